/*
 * mcgk client <verb>: an MC client / UE (and, for its own URI, a GMS).
 *   provision  fetch, check and store this client's KMS key material
 *              (TS 33.180 §5.3, Annex D), once or as a refresh loop
 *   keysets    show the key sets held (IDs, periods - never key bytes), or
 *              look one up "at time T"
 *   run        the client daemon: provision, register with the GMS, receive
 *              (SIP NOTIFY) or pull (HTTPS) group configuration documents,
 *              open and store their GMKs, answer (cmd_client_run.c)
 *   keys       show the GMKs held and the one chosen per group, never key
 *              bytes (cmd_client_keys.c)
 *   call       talk to a group: SRTP under this member's own key from the
 *              group's GMK, floor control, the off-network GSK (cmd_client_call.c)
 *   listen     hear a group call: keys by MKI through the key ring, counts
 *              (cmd_client_listen.c)
 * All open the same store (DATA_DIR/client.db).
 *
 * Secrets: the access token (read from a 0600 file, never logged), the
 * store's key-encryption key, RSK/SSK (sealed at rest; wiped after use).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client_app.h"
#include "mcgk/kms.h"
#include "mcgk/platform.h"
#include "net/kms_client.h"
#include "platform/file.h"
#include "platform/log.h"
#include "roles.h"
#include "shell.h"
#include "store/store.h"

#define FLAGS(...) SHELL_PARSE_FLAGS(__VA_ARGS__)

#define DB_NAME CLIENT_DB_NAME
#define MAX_IDS MCGK_KMS_MAX_IDENTITIES

/* Open the store and unlock its DEK (creating both on first use). See client_app.h. */
mcgk_err client_open_store(const cli_args *a, int create, char dir[SHELL_PATH_MAX],
                           mcgk_client_store **s, uint8_t dek[MCGK_SEAL_KEY_LEN])
{
    char path[SHELL_PATH_MAX];
    shell_kek kek;
    memset(&kek, 0, sizeof kek);
    mcgk_err e = shell_data_dir(a, "client", create, dir);
    if (e == MCGK_OK)
        e = shell_path(dir, DB_NAME, path);
    if (e == MCGK_OK && !create && !mcgk_file_exists(path)) {
        fprintf(stderr, "no client store in %s (run 'mcgk client provision' first)\n", dir);
        return MCGK_ERR_NO_KEYS;
    }
    if (e == MCGK_OK)
        e = shell_kek_resolve(a, dir, create, &kek);
    if (e == MCGK_OK) {
        e = mcgk_client_store_open_sqlite(path, s);
        if (e != MCGK_OK)
            fprintf(stderr, "cannot open %s\n", path);
    }
    if (e == MCGK_OK) {
        e = mcgk_client_store_unlock(*s, &kek.src, 0, mcgk_rng_system(), dek);
        if (e == MCGK_ERR_UNSEAL)
            fprintf(stderr, "cannot unlock the client store: wrong key file or passphrase\n");
        else if (e == MCGK_ERR_UNSUPPORTED)
            fprintf(stderr, "the store was sealed with the other kind of key\n");
    }
    shell_kek_clear(&kek);
    return e;
}

/* ================================ provision ================================ */

static const char help_provision[] =
    "usage: mcgk client provision --kms URL --user URI --token FILE [--cacert PEM]\n"
    "                             [--identities URI1,URI2] [--once] [--prefetch SECONDS]\n"
    "                             [--retry SECONDS] [--timeout-ms MS] [--data-dir DIR]\n"
    "                             [--key-file PATH | --passphrase-file PATH]\n"
    "                             [--log-level LEVEL]\n\n"
    "Provisions this client's key material from its KMS (TS 33.180 §5.3, Annex D):\n"
    "  1. init      - the KMS certificate (Z, KPAK, key period, offset); it must use\n"
    "                 UserIdFormat 2 and parameter set 1 and be within its validity\n"
    "  2. keyprov   - the key set (RSK, SSK, PVT) of the current key period for --user\n"
    "                 and each of --identities; the next period's too once the current\n"
    "                 one is within --prefetch of its end\n"
    "  3. certcache - partner KMS certificates\n"
    "Every key set is checked before it is stored: issued by that KMS for that\n"
    "identity and period, UserID = the UID of TS 33.180 F.2.1, SSK/PVT valid for KPAK\n"
    "(RFC 6507 5.1.2), RSK valid for Z (RFC 6508 6.1.2). Bad material is refused,\n"
    "reported, and not stored. RSK and SSK are stored sealed (AES-256-GCM) in\n"
    "DATA_DIR/client.db. Key sets already held are not fetched again; key sets older\n"
    "than the previous period are deleted.\n\n"
    "  --kms URL            the KMS, e.g. https://kms.example.org:8443\n"
    "  --user URI           this client's identity (MC service user ID or GMS URI)\n"
    "  --token FILE         file holding the access token from 'mcgk kms user add'\n"
    "                       (mode 0600)\n"
    "  --cacert PEM         trust this CA (or self-signed) certificate for the KMS's TLS;\n"
    "                       default the system store. Verification is always on.\n"
    "  --identities L       further identities to provision (a GMS's group identities)\n"
    "  --once               provision once and exit (0 on success); without it, keep\n"
    "                       running and refresh before each period ends (SIGTERM stops)\n"
    "  --prefetch SECONDS   how long before a period ends to fetch the next one's keys;\n"
    "                       default a tenth of the key period\n"
    "  --retry SECONDS      wait after a failed run (loop mode), default 60\n"
    "  --timeout-ms MS      per request, default 30000\n"
    SHELL_COMMON_HELP SHELL_KEK_HELP
    "\nPrints 'name = value' lines: kms_uri, period_no, fetched, next_period, partners.\n";

static mcgk_err split_ids(const char *list, char (*ids)[MCGK_KMS_URI_MAX], size_t *n)
{
    *n = 0;
    if (list == NULL || list[0] == '\0')
        return MCGK_OK;
    const char *p = list;
    for (;;) {
        size_t l = strcspn(p, ",");
        if (l == 0 || l >= MCGK_KMS_URI_MAX || *n == MAX_IDS) {
            fprintf(stderr, "--identities: empty, too long or more than %d entries\n", MAX_IDS);
            return MCGK_ERR_USAGE;
        }
        memcpy(ids[*n], p, l);
        ids[*n][l] = '\0';
        (*n)++;
        if (p[l] == '\0')
            return MCGK_OK;
        p += l + 1;
    }
}

static int run_provision(int argc, char **argv)
{
    FLAGS({"kms", 1}, {"user", 1}, {"token", 1}, {"cacert", 1}, {"identities", 1},
          {"once", 0}, {"prefetch", 1}, {"retry", 1}, {"timeout-ms", 1}, SHELL_COMMON_FLAGS,
          SHELL_KEK_FLAGS);
    const char *url = cli_require(&a, "kms"), *user = cli_require(&a, "user");
    const char *token_file = cli_require(&a, "token");
    if (url == NULL || user == NULL || token_file == NULL)
        return cli_fail(MCGK_ERR_USAGE);
    uint64_t prefetch = 0, retry = 60, timeout = 30000;
    if ((cli_has(&a, "prefetch") && (e = cli_u64_flag(&a, "prefetch", &prefetch)) != MCGK_OK) ||
        (cli_has(&a, "retry") && (e = cli_u64_flag(&a, "retry", &retry)) != MCGK_OK) ||
        (cli_has(&a, "timeout-ms") && (e = cli_u64_flag(&a, "timeout-ms", &timeout)) != MCGK_OK))
        return cli_fail(e);
    if (retry == 0 || retry > 86400 || timeout == 0 || timeout > 600000 ||
        strlen(user) >= MCGK_KMS_URI_MAX || user[0] == '\0') {
        fprintf(stderr, "--retry in 1..86400, --timeout-ms in 1..600000, --user non-empty\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    char(*ids)[MCGK_KMS_URI_MAX] = calloc(MAX_IDS, sizeof *ids);
    const char *idp[MAX_IDS];
    size_t n_ids = 0;
    if (ids == NULL)
        return cli_fail(MCGK_ERR_NO_MEMORY);
    e = split_ids(cli_get(&a, "identities"), ids, &n_ids);
    for (size_t i = 0; i < n_ids; i++)
        idp[i] = ids[i];
    uint8_t *token = NULL;
    size_t token_len = 0;
    if (e == MCGK_OK)
        e = shell_read_secret(token_file, &token, &token_len);
    if (e == MCGK_OK && token_len == 0) {
        fprintf(stderr, "%s: empty token\n", token_file);
        e = MCGK_ERR_USAGE;
    }
    char dir[SHELL_PATH_MAX];
    mcgk_client_store *s = NULL;
    uint8_t dek[MCGK_SEAL_KEY_LEN];
    if (e == MCGK_OK)
        e = client_open_store(&a, 1, dir, &s, dek);
    mcgk_kms_client c;
    memset(&c, 0, sizeof c);
    c.base_url = url;
    c.user_uri = user;
    c.token = (const char *)token;
    c.ca_file = cli_get(&a, "cacert");
    c.timeout_ms = (long)timeout;
    mcgk_provision_opts po;
    memset(&po, 0, sizeof po);
    po.identities = idp;
    po.n_identities = n_ids;
    po.prefetch_s = prefetch;
    int once = cli_has(&a, "once");
    if (e == MCGK_OK && !once)
        shell_signals_block();
    while (e == MCGK_OK) {
        mcgk_provision_result res;
        uint64_t now = mcgk_now_unix_s();
        mcgk_err pe = mcgk_kms_provision(&c, &po, s, dek, now, mcgk_rng_system(), &res);
        if (once) {
            e = pe;
            if (pe == MCGK_OK) {
                printf("kms_uri = %s\n", res.kms_uri);
                printf("period_no = %" PRIu64 "\n", res.period_no);
                printf("fetched = %zu\n", res.fetched);
                printf("next_period = %s\n", res.have_next ? "yes" : "no");
                printf("partners = %zu\n", res.partners);
            }
            break;
        }
        uint64_t wait_s = pe == MCGK_OK ? res.next_run_unix_s - now : retry;
        if (pe != MCGK_OK)
            mcgk_log(MCGK_LOG_WARN, "client", "provision-failed",
                     "error=%s retry_in_s=%" PRIu64, mcgk_err_name(pe), wait_s);
        else
            mcgk_log(MCGK_LOG_INFO, "client", "sleeping", "next_run_in_s=%" PRIu64, wait_s);
        /* sleep until the refresh point; a day at most so clock changes are caught */
        if (wait_s > 86400)
            wait_s = 86400;
        int sig = shell_signal_wait((long)wait_s * 1000L);
        if (sig != 0) {
            mcgk_log(MCGK_LOG_INFO, "client", "stopping", "signal=%d", sig);
            break;
        }
    }
    mcgk_wipe(dek, sizeof dek);
    mcgk_client_store_close(s);
    mcgk_file_free(token, token_len + 1);
    free(ids);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ================================ keysets ================================ */

static const char help_keysets[] =
    "usage: mcgk client keysets [--at UNIX_SECONDS] [--identity URI] [--kms URI]\n"
    "                           [--data-dir DIR] [--key-file PATH | --passphrase-file P]\n\n"
    "Without --at: lists the KMS certificates and key sets held (identity, KMS, key\n"
    "period, validity) - never key bytes.\n"
    "With --at: asks the store for the key set of --identity (default: the only one,\n"
    "or the first) under --kms (default the home KMS) at that time, as every consumer\n"
    "of keys does (TS 33.180 §5.3): unseals it and prints its identity, period, UID\n"
    "and PVT. Exit 1 with 'error: no-keys' when none covers that time.\n";

static int print_cert(void *ctx, const mcgk_client_cert_row *row)
{
    (void)ctx;
    char t[MCGK_KMS_DATETIME_LEN] = "-";
    mcgk_xsd_datetime_format(row->fetched_unix_s, t);
    printf("cert %-36s %-8s fetched %s\n", row->kms_uri, row->home ? "home" : "partner", t);
    return 0;
}

static int print_keyset(void *ctx, const mcgk_client_keyset_row *r)
{
    (void)ctx;
    char f[MCGK_KMS_DATETIME_LEN] = "-", t[MCGK_KMS_DATETIME_LEN] = "-";
    if (r->has_valid_from)
        mcgk_xsd_datetime_format(r->valid_from_unix_s, f);
    if (r->has_valid_to)
        mcgk_xsd_datetime_format(r->valid_to_unix_s, t);
    printf("keyset %-34s %-24s period %" PRIu64 " %s .. %s\n", r->identity, r->kms_uri,
           r->period_no, f, t);
    return 0;
}

static int first_identity(void *ctx, const mcgk_client_keyset_row *r)
{
    char *out = ctx;
    if (out[0] == '\0')
        memcpy(out, r->identity, MCGK_KMS_URI_MAX);
    return 1;
}

static int run_keysets(int argc, char **argv)
{
    FLAGS({"at", 1}, {"identity", 1}, {"kms", 1}, SHELL_COMMON_FLAGS, SHELL_KEK_FLAGS);
    char dir[SHELL_PATH_MAX];
    mcgk_client_store *s = NULL;
    uint8_t dek[MCGK_SEAL_KEY_LEN];
    uint64_t at = 0;
    if (cli_has(&a, "at") && (e = cli_u64_flag(&a, "at", &at)) != MCGK_OK)
        return cli_fail(e);
    e = client_open_store(&a, 0, dir, &s, dek);
    if (e == MCGK_OK && !cli_has(&a, "at")) {
        e = s->ops->cert_list(s, print_cert, NULL);
        if (e == MCGK_OK)
            e = s->ops->keyset_list(s, print_keyset, NULL);
    } else if (e == MCGK_OK) {
        char id[MCGK_KMS_URI_MAX] = "";
        if (cli_get(&a, "identity") != NULL)
            snprintf(id, sizeof id, "%s", cli_get(&a, "identity"));
        else
            e = s->ops->keyset_list(s, first_identity, id);
        mcgk_kms_keyset *ks = malloc(sizeof *ks);
        if (ks == NULL)
            e = MCGK_ERR_NO_MEMORY;
        if (e == MCGK_OK)
            e = mcgk_client_keys_at(s, dek, id, cli_get(&a, "kms"),
                                    at + MCGK_NTP_UNIX_OFFSET_S, ks);
        if (e == MCGK_OK) {
            printf("identity = %s\nkms_uri = %s\nperiod_no = %" PRIu64 "\n", ks->user_uri,
                   ks->kms_uri, ks->key_period_no);
            cli_print_hex("uid", ks->user_id, sizeof ks->user_id);
            cli_print_hex("pvt", ks->pvt, sizeof ks->pvt);
        }
        if (ks != NULL) {
            mcgk_kms_keyset_clear(ks);
            free(ks);
        }
    }
    mcgk_wipe(dek, sizeof dek);
    mcgk_client_store_close(s);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ================================ role ================================ */

static const cli_verb k_verbs[] = {
    {"provision", "fetch, check and store KMS key material (TS 33.180 5.3)", run_provision,
     help_provision},
    {"keysets", "show the key sets held, or the one at a time", run_keysets, help_keysets},
    {"run", "the client daemon: provision, register, receive / pull and store GMKs",
     client_run_main, client_run_help},
    {"keys", "show the GMKs held and the one used per group (never key bytes)",
     client_keys_main, client_keys_help},
    {"call", "talk to a group: a tone as SRTP under this member's key (--floor, --gsk)",
     client_call_main, client_call_help},
    {"listen", "hear a group call: decrypt by MKI, count received/decrypted/rejected",
     client_listen_main, client_listen_help},
};

int mcgk_cmd_client(int argc, char **argv)
{
    return cli_dispatch("client",
                        "An MC client: its KMS key material, its groups and their GMKs\n"
                        "(TS 33.180 5.2, 5.3; docs/client.md).",
                        k_verbs, sizeof k_verbs / sizeof k_verbs[0], argc, argv);
}
