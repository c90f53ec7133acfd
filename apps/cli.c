/* Command-line plumbing. See cli.h. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/base.h"

mcgk_err cli_parse(cli_args *a, const cli_flag *flags, size_t nflags, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->flags = flags;
    a->nflags = nflags < CLI_MAX_FLAGS ? nflags : CLI_MAX_FLAGS;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            a->help = 1;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            if (a->npositional == CLI_MAX_POSITIONAL) {
                fprintf(stderr, "too many arguments: %s\n", arg);
                return MCGK_ERR_USAGE;
            }
            a->positional[a->npositional++] = arg;
            continue;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        size_t k;
        for (k = 0; k < a->nflags; k++)
            if (strlen(flags[k].name) == nlen && strncmp(flags[k].name, name, nlen) == 0)
                break;
        if (k == a->nflags) {
            fprintf(stderr, "unknown option --%.*s (see --help)\n", (int)nlen, name);
            return MCGK_ERR_USAGE;
        }
        a->present[k] = 1;
        if (flags[k].takes_value) {
            if (eq) {
                a->values[k] = eq + 1;
            } else if (i + 1 < argc) {
                a->values[k] = argv[++i];
            } else {
                fprintf(stderr, "option --%s needs a value\n", flags[k].name);
                return MCGK_ERR_USAGE;
            }
        } else if (eq) {
            fprintf(stderr, "option --%s takes no value\n", flags[k].name);
            return MCGK_ERR_USAGE;
        }
    }
    return MCGK_OK;
}

static int flag_index(const cli_args *a, const char *name)
{
    for (size_t k = 0; k < a->nflags; k++)
        if (strcmp(a->flags[k].name, name) == 0)
            return (int)k;
    return -1;
}

const char *cli_get(const cli_args *a, const char *name)
{
    int k = flag_index(a, name);
    return k < 0 ? NULL : a->values[k];
}

int cli_has(const cli_args *a, const char *name)
{
    int k = flag_index(a, name);
    return k >= 0 && a->present[k];
}

const char *cli_require(const cli_args *a, const char *name)
{
    const char *v = cli_get(a, name);
    if (v == NULL)
        fprintf(stderr, "missing --%s (see --help)\n", name);
    return v;
}

mcgk_err cli_hex_flag(const cli_args *a, const char *name, uint8_t **out, size_t *out_len)
{
    const char *v = cli_require(a, name);
    if (v == NULL)
        return MCGK_ERR_USAGE;
    size_t n = 0, len = strlen(v);
    if (len >= 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
        v += 2;
        len -= 2;
    }
    mcgk_err e = mcgk_hex_decode(v, len, NULL, 0, &n);
    if (e == MCGK_ERR_HEX) {
        fprintf(stderr, "--%s: not a hex string\n", name);
        return e;
    }
    uint8_t *buf = malloc(n ? n : 1);
    if (buf == NULL)
        return MCGK_ERR_NO_MEMORY;
    e = mcgk_hex_decode(v, len, buf, n, &n);
    if (e != MCGK_OK) {
        free(buf);
        return e;
    }
    *out = buf;
    *out_len = n;
    return MCGK_OK;
}

mcgk_err cli_hex_fixed(const cli_args *a, const char *name, uint8_t *out, size_t want_len)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    mcgk_err e = cli_hex_flag(a, name, &buf, &n);
    if (e != MCGK_OK)
        return e;
    if (n != want_len) {
        fprintf(stderr, "--%s: %zu octets, want %zu\n", name, n, want_len);
        mcgk_wipe(buf, n);
        free(buf);
        return MCGK_ERR_LENGTH;
    }
    memcpy(out, buf, n);
    mcgk_wipe(buf, n);
    free(buf);
    return MCGK_OK;
}

mcgk_err cli_u64_flag(const cli_args *a, const char *name, uint64_t *out)
{
    const char *v = cli_require(a, name);
    if (v == NULL)
        return MCGK_ERR_USAGE;
    char *end = NULL;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || v[0] == '-') {
        fprintf(stderr, "--%s: not an unsigned decimal integer: %s\n", name, v);
        return MCGK_ERR_USAGE;
    }
    *out = (uint64_t)x;
    return MCGK_OK;
}

void cli_print_hex(const char *name, const uint8_t *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    printf("%s = ", name);
    for (size_t i = 0; i < len; i++) {
        putchar(digits[data[i] >> 4]);
        putchar(digits[data[i] & 15]);
    }
    putchar('\n');
}

int cli_fail(mcgk_err e)
{
    fprintf(stderr, "error: %s\n", mcgk_err_name(e));
    return e == MCGK_ERR_USAGE ? 2 : 1;
}

int cli_dispatch(const char *role, const char *role_summary, const cli_verb *verbs, size_t nverbs,
                 int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 ||
        strcmp(argv[0], "help") == 0) {
        FILE *out = argc < 1 ? stderr : stdout;
        fprintf(out, "usage: mcgk %s <verb> [options]\n\n%s\n\nverbs:\n", role, role_summary);
        for (size_t i = 0; i < nverbs; i++)
            fprintf(out, "  %-14s %s\n", verbs[i].name, verbs[i].summary);
        fprintf(out, "\nRun 'mcgk %s <verb> --help' for the options of a verb.\n", role);
        return argc < 1 ? 2 : 0;
    }
    for (size_t i = 0; i < nverbs; i++) {
        if (strcmp(argv[0], verbs[i].name) == 0) {
            for (int k = 1; k < argc; k++) {
                if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
                    fputs(verbs[i].help, stdout);
                    return 0;
                }
            }
            return verbs[i].run(argc, argv);
        }
    }
    fprintf(stderr, "mcgk %s: unknown verb '%s' (see 'mcgk %s --help')\n", role, argv[0], role);
    return 2;
}
