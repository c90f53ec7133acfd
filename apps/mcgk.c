/*
 * mcgk - one binary for every role: mcgk <role> <verb> [options].
 * Each role lives in apps/cmd_<role>.c and registers in k_roles below.
 */
#include <stdio.h>
#include <string.h>

#include "roles.h"

typedef struct role {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} role;

static const role k_roles[] = {
    {"crypto", "ECCSI / SAKKE / KDF diagnostics for integrators (hex in, name = HEX out)",
     mcgk_cmd_crypto},
    {"kms", "the Key Management Server: init, serve (HTTPS, TS 33.180 Annex D), users",
     mcgk_cmd_kms},
    {"client", "an MC client: provision keys, receive / pull, store and show GMKs",
     mcgk_cmd_client},
    {"mikey", "MIKEY tools for integrators: inspect, open and seal GMK I_MESSAGEs",
     mcgk_cmd_mikey},
    {"sip", "SIP diagnostics: registrar + NOTIFY push, calls (invite, answer), broadcast",
     mcgk_cmd_sip},
    {"gms", "the Group Management Server: groups, members, GMKs, SIP push, HTTPS pull",
     mcgk_cmd_gms},
    {"media", "media protection for interop checks: SRTP keys, MCData payloads",
     mcgk_cmd_media},
    {"controller", "the group controller: fans a group call's INVITE out to the members",
     mcgk_cmd_controller},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: mcgk <role> <verb> [options]\n\n"
                 "mcgk - Mission-Critical Group Keys (3GPP TS 33.180 GMK management)\n\nroles:\n");
    for (size_t i = 0; i < sizeof k_roles / sizeof k_roles[0]; i++)
        fprintf(out, "  %-11s %s\n", k_roles[i].name, k_roles[i].summary);
    fprintf(out, "\nRun 'mcgk <role> --help' for the verbs of a role.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("mcgk 0.1.0\n");
        return 0;
    }
    for (size_t i = 0; i < sizeof k_roles / sizeof k_roles[0]; i++)
        if (strcmp(argv[1], k_roles[i].name) == 0)
            return k_roles[i].run(argc - 2, argv + 2);
    fprintf(stderr, "mcgk: unknown role '%s' (see 'mcgk --help')\n", argv[1]);
    return 2;
}
