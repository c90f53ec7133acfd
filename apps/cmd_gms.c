/*
 * mcgk gms <verb>: the Group Management Server (TS 33.180 §5.2, §5.7; the
 * SEAL / ProSe / MCPTT seeds of ../shared/spec/seed-requirements.md C-H).
 *   init     the GMS identity, its store, and its own key material from the
 *            KMS (R-001-02, R-003-02: provisioned like a client, for the GMS URI)
 *   serve    SIP (registrar + NOTIFY push) and HTTPS (pull) with the delivery
 *            pipeline (net/gms_server.h)
 *   group    create | show | list
 *   member   add | authorise | remove | list
 *   gmk      rotate | revoke | show
 *   status   delivery per job and per member, failures with the client's words
 *
 * A shell: flags, files, the store, the daemon. Decisions are made by
 * src/gms (mcgk/gms.h) and recorded by the store in single transactions;
 * the admin verbs write DATA_DIR/gms.db directly and a running `serve`
 * picks the new jobs up within its poll interval - no restart.
 *
 * Secrets: the key-encryption key (file or passphrase), both stores' DEKs,
 * new GMKs (sealed before they are stored, wiped), member tokens (shown
 * once, stored as SHA-256), the KMS access token (kept 0600 in the data
 * directory for the refresh loop). Never logged.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "mcgk/gms.h"
#include "mcgk/kms.h"
#include "mcgk/platform.h"
#include "net/gms_server.h"
#include "net/kms_client.h"
#include "platform/file.h"
#include "platform/log.h"
#include "roles.h"
#include "shell.h"
#include "store/gms_store.h"
#include "store/store.h"

#define FLAGS(...) SHELL_PARSE_FLAGS(__VA_ARGS__)

#define DB_NAME "gms.db"
#define KEYS_NAME "keys.db"
#define TOKEN_NAME "kms.token"

/* ================================ plumbing ================================ */

typedef struct gms_ctx {
    char dir[SHELL_PATH_MAX];
    mcgk_gms_store *store;
    mcgk_client_store *keys;
    uint8_t dek[MCGK_SEAL_KEY_LEN];      /* secret */
    uint8_t keys_dek[MCGK_SEAL_KEY_LEN]; /* secret */
    int unlocked;
    char gms_uri[MCGK_GMS_URI_MAX + 1];
} gms_ctx;

static void gms_close(gms_ctx *g)
{
    mcgk_gms_store_close(g->store);
    mcgk_client_store_close(g->keys);
    mcgk_wipe(g->dek, sizeof g->dek);
    mcgk_wipe(g->keys_dek, sizeof g->keys_dek);
    g->store = NULL;
    g->keys = NULL;
}

/*
 * Open DATA_DIR/gms.db (create: for init). unlock: also the DEKs of gms.db and
 * keys.db under the KEK (needed to seal GMKs and to sign). Prints the problem.
 */
static mcgk_err gms_open(const cli_args *a, int create, int unlock, gms_ctx *g)
{
    char path[SHELL_PATH_MAX];
    memset(g, 0, sizeof *g);
    mcgk_err e = shell_data_dir(a, "gms", create, g->dir);
    if (e == MCGK_OK)
        e = shell_path(g->dir, DB_NAME, path);
    if (e == MCGK_OK && !create && !mcgk_file_exists(path)) {
        fprintf(stderr, "no GMS in %s (run 'mcgk gms init' first)\n", g->dir);
        return MCGK_ERR_NOT_FOUND;
    }
    if (e == MCGK_OK) {
        e = mcgk_gms_store_open(path, &g->store);
        if (e != MCGK_OK)
            fprintf(stderr, "cannot open %s\n", path);
    }
    if (e == MCGK_OK && !create) {
        e = mcgk_gms_store_config_get(g->store, "gms_uri", g->gms_uri, sizeof g->gms_uri);
        if (e == MCGK_ERR_NOT_FOUND)
            fprintf(stderr, "%s is not initialised (run 'mcgk gms init')\n", g->dir);
    }
    if (e == MCGK_OK && unlock) {
        shell_kek kek;
        memset(&kek, 0, sizeof kek);
        e = shell_kek_resolve(a, g->dir, create, &kek);
        if (e == MCGK_OK)
            e = mcgk_gms_store_unlock(g->store, &kek.src, 0, mcgk_rng_system(), g->dek);
        if (e == MCGK_OK)
            e = shell_path(g->dir, KEYS_NAME, path);
        if (e == MCGK_OK)
            e = mcgk_client_store_open_sqlite(path, &g->keys);
        if (e == MCGK_OK)
            e = mcgk_client_store_unlock(g->keys, &kek.src, 0, mcgk_rng_system(), g->keys_dek);
        if (e == MCGK_ERR_UNSEAL)
            fprintf(stderr, "cannot unlock the GMS store: wrong key file or passphrase\n");
        else if (e == MCGK_ERR_UNSUPPORTED)
            fprintf(stderr, "the store was sealed with the other kind of key\n");
        shell_kek_clear(&kek);
        g->unlocked = e == MCGK_OK;
    }
    if (e != MCGK_OK)
        gms_close(g);
    return e;
}

/* A time flag: Unix seconds, "+SECONDS" from now, or YYYY-MM-DDThh:mm:ssZ. */
static mcgk_err time_flag(const cli_args *a, const char *name, uint64_t now, uint64_t *out)
{
    const char *v = cli_get(a, name);
    if (v == NULL) {
        *out = 0;
        return MCGK_OK;
    }
    uint64_t x = 0;
    if (v[0] == '+') {
        char *end = NULL;
        unsigned long long d = strtoull(v + 1, &end, 10);
        if (end != v + 1 && *end == '\0' && v[1] != '-') {
            *out = now + d;
            return MCGK_OK;
        }
    } else if (strchr(v, 'T') != NULL) {
        if (mcgk_xsd_datetime_parse(v, strlen(v), &x) == MCGK_OK) {
            *out = x;
            return MCGK_OK;
        }
    } else {
        char *end = NULL;
        unsigned long long d = strtoull(v, &end, 10);
        if (end != v && *end == '\0' && v[0] != '-') {
            *out = d;
            return MCGK_OK;
        }
    }
    fprintf(stderr, "--%s: want UNIX seconds, +SECONDS or YYYY-MM-DDThh:mm:ssZ\n", name);
    return MCGK_ERR_USAGE;
}

static void fmt_time(uint64_t unix_s, char out[MCGK_KMS_DATETIME_LEN])
{
    if (unix_s == 0 || mcgk_xsd_datetime_format(unix_s, out) != MCGK_OK)
        snprintf(out, MCGK_KMS_DATETIME_LEN, "-");
}

/* Split "a,b" into items (pointers into buf). */
static size_t split(char *buf, const char **items, size_t cap, int *too_many)
{
    size_t n = 0;
    *too_many = 0;
    for (char *p = buf; p != NULL && *p != '\0';) {
        char *c = strchr(p, ',');
        if (c != NULL)
            *c = '\0';
        if (*p != '\0') {
            if (n == cap) {
                *too_many = 1;
                break;
            }
            items[n++] = p;
        }
        p = c != NULL ? c + 1 : NULL;
    }
    return n;
}

static const char *use_name(mcgk_gmk_use u)
{
    return u == MCGK_GMK_USE_FLOOR_CONTROL ? "floor-control" : "media";
}

/* ================================ init ================================ */

static const char help_init[] =
    "usage: mcgk gms init --gms-uri URI --kms URL --token FILE [--cacert PEM]\n"
    "                     [--timeout-ms MS] [--data-dir DIR]\n"
    "                     [--key-file PATH | --passphrase-file PATH] [--log-level L]\n\n"
    "Creates a Group Management Server in DATA_DIR (default ~/.local/share/mcgk/gms):\n"
    "  - DATA_DIR/gms.db: groups, members, GMKs (sealed with AES-256-GCM under a key\n"
    "    that the key-encryption key wraps), jobs and delivery state (SQLite, WAL);\n"
    "  - DATA_DIR/keys.db: the GMS's own key sets (RSK, SSK sealed) and the KMS\n"
    "    certificates, provisioned now from the KMS for the GMS URI exactly as a client\n"
    "    provisions its user (TS 33.180 §5.3, Annex D; R-001-02, R-003-02: the GMS signs\n"
    "    every I_MESSAGE with the key of its own identity). The KMS must know the GMS URI\n"
    "    as a user ('mcgk kms user add URI --role gms').\n"
    "  - DATA_DIR/kms.token: a 0600 copy of the KMS access token, so that 'serve' can\n"
    "    fetch the next key period's keys before the current one ends.\n"
    "Running init again on an initialised directory re-provisions (same GMS URI only).\n\n"
    "  --gms-uri URI       the GMS identity (a SIP URI, e.g. sip:gms@example.org)\n"
    "  --kms URL           the KMS, e.g. https://kms.example.org:8443\n"
    "  --token FILE        the GMS's KMS access token (mode 0600)\n"
    "  --cacert PEM        the CA (or self-signed) certificate of the KMS's TLS\n"
    "  --timeout-ms MS     per KMS request, default 30000\n" SHELL_COMMON_HELP SHELL_KEK_HELP
    "\nPrints 'name = value' lines: gms_uri, kms_uri, period_no, fetched.\n";

static mcgk_err provision_once(gms_ctx *g, const char *url, const char *cacert,
                               const char *token, long timeout_ms, mcgk_provision_result *res)
{
    mcgk_kms_client c;
    memset(&c, 0, sizeof c);
    c.base_url = url;
    c.user_uri = g->gms_uri;
    c.token = token;
    c.ca_file = cacert != NULL && cacert[0] != '\0' ? cacert : NULL;
    c.timeout_ms = timeout_ms;
    mcgk_provision_opts po;
    memset(&po, 0, sizeof po);
    return mcgk_kms_provision(&c, &po, g->keys, g->keys_dek, mcgk_now_unix_s(),
                              mcgk_rng_system(), res);
}

static int run_init(int argc, char **argv)
{
    FLAGS({"gms-uri", 1}, {"kms", 1}, {"token", 1}, {"cacert", 1}, {"timeout-ms", 1},
          SHELL_COMMON_FLAGS, SHELL_KEK_FLAGS);
    const char *uri = cli_require(&a, "gms-uri"), *url = cli_require(&a, "kms"),
               *tokf = cli_require(&a, "token");
    if (uri == NULL || url == NULL || tokf == NULL)
        return cli_fail(MCGK_ERR_USAGE);
    uint64_t timeout = 30000;
    if (cli_has(&a, "timeout-ms") && (e = cli_u64_flag(&a, "timeout-ms", &timeout)) != MCGK_OK)
        return cli_fail(e);
    if ((e = mcgk_gms_check_uri(uri)) != MCGK_OK || strncmp(uri, "sip", 3) != 0) {
        fprintf(stderr, "--gms-uri: a SIP URI without spaces or commas\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    uint8_t *token = NULL;
    size_t token_len = 0;
    e = shell_read_secret(tokf, &token, &token_len);
    if (e == MCGK_OK && token_len == 0) {
        fprintf(stderr, "%s: empty token\n", tokf);
        e = MCGK_ERR_USAGE;
    }
    gms_ctx g;
    memset(&g, 0, sizeof g);
    if (e == MCGK_OK)
        e = gms_open(&a, 1, 1, &g);
    char have[MCGK_GMS_URI_MAX + 1];
    if (e == MCGK_OK) {
        mcgk_err ce = mcgk_gms_store_config_get(g.store, "gms_uri", have, sizeof have);
        if (ce == MCGK_OK && strcmp(have, uri) != 0) {
            fprintf(stderr, "%s already holds the GMS %s\n", g.dir, have);
            e = MCGK_ERR_EXISTS;
        }
        snprintf(g.gms_uri, sizeof g.gms_uri, "%s", uri);
    }
    char cacert[SHELL_PATH_MAX] = "";
    if (e == MCGK_OK && cli_get(&a, "cacert") != NULL &&
        realpath(cli_get(&a, "cacert"), cacert) == NULL) {
        fprintf(stderr, "--cacert: cannot resolve %s\n", cli_get(&a, "cacert"));
        e = MCGK_ERR_USAGE;
    }
    mcgk_provision_result res;
    memset(&res, 0, sizeof res);
    if (e == MCGK_OK) {
        e = provision_once(&g, url, cacert, (const char *)token, (long)timeout, &res);
        if (e != MCGK_OK)
            fprintf(stderr, "provisioning the GMS keys from %s failed: %s\n", url,
                    mcgk_strerror(e));
    }
    char tpath[SHELL_PATH_MAX];
    if (e == MCGK_OK)
        e = shell_path(g.dir, TOKEN_NAME, tpath);
    if (e == MCGK_OK) {
        e = mcgk_file_write_private(tpath, token, token_len, 0);
        if (e != MCGK_OK)
            fprintf(stderr, "cannot write %s\n", tpath);
    }
    if (e == MCGK_OK)
        e = mcgk_gms_store_config_set(g.store, "gms_uri", uri);
    if (e == MCGK_OK)
        e = mcgk_gms_store_config_set(g.store, "kms_url", url);
    if (e == MCGK_OK)
        e = mcgk_gms_store_config_set(g.store, "kms_cacert", cacert);
    if (e == MCGK_OK) {
        char q[MCGK_GMS_URI_MAX + 8];
        mcgk_log(MCGK_LOG_INFO, "gms", "init", "gms=%s kms=%s period=%" PRIu64,
                 mcgk_log_quote(uri, q, sizeof q), res.kms_uri, res.period_no);
        printf("gms_uri = %s\nkms_uri = %s\nperiod_no = %" PRIu64 "\nfetched = %zu\n", uri,
               res.kms_uri, res.period_no, res.fetched);
    }
    gms_close(&g);
    mcgk_file_free(token, token_len + 1);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ================================ serve ================================ */

static const char help_serve[] =
    "usage: mcgk gms serve [--sip HOST:PORT] [--https HOST:PORT] [--tls-cert PEM]\n"
    "                      [--tls-key PEM] [--workers N] [--max-inflight N] [--chunk N]\n"
    "                      [--poll-ms MS] [--retry-base-ms MS] [--retry-cap-ms MS]\n"
    "                      [--max-attempts N] [--t1-ms MS] [--port-file FILE]\n"
    "                      [--no-provision] [--data-dir DIR] [--key-file PATH |\n"
    "                      --passphrase-file PATH] [--log-level LEVEL]\n\n"
    "Runs the GMS until SIGTERM / SIGINT:\n"
    "  SIP (UDP): members REGISTER (or SUBSCRIBE, Event: mcgk-group-config) with their\n"
    "    MC service ID; the GMS sends each member a NOTIFY carrying the group\n"
    "    configuration document with that member's own I_MESSAGE(s) - the 'Notify group\n"
    "    configuration request' (TS 33.180 §5.7, R-001-08, R-003-11). The member's answer\n"
    "    is recorded: 200 = confirmed; an error status with its Warning = failed, shown\n"
    "    member by member by 'mcgk gms status'; a timeout, no registration, 408, 480 or\n"
    "    5xx = retried with exponential backoff (--retry-*), up to --max-attempts.\n"
    "  HTTPS (with --https): GET /groups/<group ID> with 'Authorization: Bearer <member\n"
    "    token>' returns the group's document with a fresh I_MESSAGE per current GMK\n"
    "    (R-003-28); POST /groups/<group ID>/result records the member's verdict\n"
    "    (R-003-31). 401 without / with a wrong token, 403 for a non-member or a member\n"
    "    not yet authorised, 404 for an unknown group (docs/gms-protocol.md).\n"
    "  The delivery pipeline: due deliveries are claimed from the store in chunks,\n"
    "    built by --workers threads (mcgk_gmk_build_batch: per-GMK and per-KMS work done\n"
    "    once), sent with at most --max-inflight NOTIFYs awaiting an answer, and the\n"
    "    outcomes written in batched transactions. The admin verbs (group, member, gmk)\n"
    "    write the store; the server sees new work within --poll-ms. After a crash or\n"
    "    kill, every delivery that was in flight is resumed at start; a confirmed one\n"
    "    is never sent again. SIP registrations are kept in the store and restored.\n"
    "  Keys: the GMS signs with its own key set for the key period of each message;\n"
    "    unless --no-provision, it fetches the next period's keys from the KMS (as set\n"
    "    up by init) before the current period ends.\n\n"
    "  --sip HOST:PORT       SIP address (numeric), default 127.0.0.1:5060; port 0 = any\n"
    "  --https HOST:PORT     serve the HTTPS pull there (port 0 = any); off by default\n"
    "  --tls-cert PEM        HTTPS certificate, default DATA_DIR/tls.crt\n"
    "  --tls-key PEM         its private key, default DATA_DIR/tls.key\n"
    "  --workers N           build threads, default one per CPU\n"
    "  --max-inflight N      NOTIFYs awaiting an answer at once, default 1024\n"
    "  --chunk N             deliveries claimed per store transaction, default 256\n"
    "  --poll-ms MS          how often the store is polled for new work, default 100\n"
    "  --retry-base-ms MS    first retry delay, doubling each attempt; default 500\n"
    "  --retry-cap-ms MS     longest retry delay, default 60000\n"
    "  --max-attempts N      NOTIFYs per delivery before it is failed, default 20\n"
    "  --t1-ms MS            SIP timer T1 (RFC 3261 §17), default 500\n"
    "  --port-file FILE      write 'sip PORT' and 'https PORT' lines once listening\n"
    "  --no-provision        never contact the KMS (keys must already be in keys.db)\n"
    SHELL_COMMON_HELP SHELL_KEK_HELP;

/* HOST:PORT, [V6]:PORT or PORT (host 127.0.0.1) */
static mcgk_err parse_listen(const char *s, char *host, size_t cap, uint16_t *port)
{
    const char *h = "127.0.0.1", *p = s;
    size_t hl = strlen(h);
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (rb == NULL || rb[1] != ':')
            return MCGK_ERR_USAGE;
        h = s + 1;
        hl = (size_t)(rb - s - 1);
        p = rb + 2;
    } else if (strrchr(s, ':') != NULL) {
        const char *c = strrchr(s, ':');
        h = s;
        hl = (size_t)(c - s);
        p = c + 1;
    }
    if (hl == 0 || hl >= cap)
        return MCGK_ERR_USAGE;
    memcpy(host, h, hl);
    host[hl] = '\0';
    char *end = NULL;
    unsigned long v = strtoul(p, &end, 10);
    if (end == p || *end != '\0' || v > 65535)
        return MCGK_ERR_USAGE;
    *port = (uint16_t)v;
    return MCGK_OK;
}

typedef struct prov_thread {
    gms_ctx *g;
    mcgk_gms_server *srv;
    char url[MCGK_KMS_URL_MAX];
    char cacert[SHELL_PATH_MAX];
    uint8_t *token;
    size_t token_len;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
} prov_thread;

/* keep the GMS's key sets fresh: the next period's before the current one ends */
static void *prov_main(void *arg)
{
    prov_thread *p = arg;
    for (;;) {
        mcgk_provision_result res;
        memset(&res, 0, sizeof res);
        uint64_t now = mcgk_now_unix_s();
        mcgk_err e = provision_once(p->g, p->url, p->cacert, (const char *)p->token, 30000, &res);
        uint64_t wait_s = 60;
        if (e == MCGK_OK) {
            wait_s = res.next_run_unix_s > now ? res.next_run_unix_s - now : 1;
            if (res.fetched > 0 || res.partners > 0)
                mcgk_gms_server_reload_keys(p->srv);
        } else {
            mcgk_log(MCGK_LOG_WARN, "gms", "provision-failed", "error=%s retry_in_s=60",
                     mcgk_err_name(e));
        }
        if (wait_s > 3600)
            wait_s = 3600;
        pthread_mutex_lock(&p->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t)wait_s;
        while (!p->stop && pthread_cond_timedwait(&p->cv, &p->mu, &ts) == 0)
            ;
        int stop = p->stop;
        pthread_mutex_unlock(&p->mu);
        if (stop)
            break;
    }
    return NULL;
}

static int run_serve(int argc, char **argv)
{
    FLAGS({"sip", 1}, {"https", 1}, {"tls-cert", 1}, {"tls-key", 1}, {"workers", 1},
          {"max-inflight", 1}, {"chunk", 1}, {"poll-ms", 1}, {"retry-base-ms", 1},
          {"retry-cap-ms", 1}, {"max-attempts", 1}, {"t1-ms", 1}, {"port-file", 1},
          {"no-provision", 0}, SHELL_COMMON_FLAGS, SHELL_KEK_FLAGS);
    char sip_host[64] = "127.0.0.1", http_host[64] = "";
    uint16_t sip_port = 5060, http_port = 0;
    if (cli_get(&a, "sip") != NULL &&
        parse_listen(cli_get(&a, "sip"), sip_host, sizeof sip_host, &sip_port) != MCGK_OK) {
        fprintf(stderr, "--sip: want HOST:PORT, [V6ADDR]:PORT or PORT\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    if (cli_get(&a, "https") != NULL &&
        parse_listen(cli_get(&a, "https"), http_host, sizeof http_host, &http_port) != MCGK_OK) {
        fprintf(stderr, "--https: want HOST:PORT, [V6ADDR]:PORT or PORT\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    uint64_t workers = 0, inflight = 0, chunk = 0, poll = 0, rbase = 0, rcap = 0, rmax = 0,
             t1 = 0;
    if ((cli_has(&a, "workers") && (e = cli_u64_flag(&a, "workers", &workers)) != MCGK_OK) ||
        (cli_has(&a, "max-inflight") &&
         (e = cli_u64_flag(&a, "max-inflight", &inflight)) != MCGK_OK) ||
        (cli_has(&a, "chunk") && (e = cli_u64_flag(&a, "chunk", &chunk)) != MCGK_OK) ||
        (cli_has(&a, "poll-ms") && (e = cli_u64_flag(&a, "poll-ms", &poll)) != MCGK_OK) ||
        (cli_has(&a, "retry-base-ms") &&
         (e = cli_u64_flag(&a, "retry-base-ms", &rbase)) != MCGK_OK) ||
        (cli_has(&a, "retry-cap-ms") && (e = cli_u64_flag(&a, "retry-cap-ms", &rcap)) != MCGK_OK) ||
        (cli_has(&a, "max-attempts") &&
         (e = cli_u64_flag(&a, "max-attempts", &rmax)) != MCGK_OK) ||
        (cli_has(&a, "t1-ms") && (e = cli_u64_flag(&a, "t1-ms", &t1)) != MCGK_OK))
        return cli_fail(e);
    if (workers > 256 || inflight > 65536 || chunk > 8192 || poll > 60000 || rmax > 100000 ||
        t1 > 10000 || (rcap != 0 && rbase > rcap)) {
        fprintf(stderr, "--workers <= 256, --max-inflight <= 65536, --chunk <= 8192, --poll-ms "
                        "<= 60000, --max-attempts <= 100000, --t1-ms <= 10000, base <= cap\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    gms_ctx g;
    e = gms_open(&a, 0, 1, &g);
    if (e != MCGK_OK)
        return cli_fail(e);
    char cert_path[SHELL_PATH_MAX], key_path[SHELL_PATH_MAX];
    const char *c = cli_get(&a, "tls-cert"), *k = cli_get(&a, "tls-key");
    e = c ? (snprintf(cert_path, sizeof cert_path, "%s", c), MCGK_OK)
          : shell_path(g.dir, "tls.crt", cert_path);
    if (e == MCGK_OK)
        e = k ? (snprintf(key_path, sizeof key_path, "%s", k), MCGK_OK)
              : shell_path(g.dir, "tls.key", key_path);
    prov_thread pt;
    memset(&pt, 0, sizeof pt);
    pthread_mutex_init(&pt.mu, NULL);
    pthread_cond_init(&pt.cv, NULL);
    int provision = !cli_has(&a, "no-provision");
    if (e == MCGK_OK && provision) {
        char tpath[SHELL_PATH_MAX];
        if (mcgk_gms_store_config_get(g.store, "kms_url", pt.url, sizeof pt.url) != MCGK_OK ||
            shell_path(g.dir, TOKEN_NAME, tpath) != MCGK_OK ||
            shell_read_secret(tpath, &pt.token, &pt.token_len) != MCGK_OK) {
            mcgk_log(MCGK_LOG_WARN, "gms", "no-provisioning",
                     "reason=\"no KMS URL or token in the data directory\"");
            provision = 0;
        } else if (mcgk_gms_store_config_get(g.store, "kms_cacert", pt.cacert,
                                             sizeof pt.cacert) != MCGK_OK) {
            pt.cacert[0] = '\0';
        }
    }
    mcgk_gms_server *srv = NULL;
    if (e == MCGK_OK) {
        shell_signals_block(); /* before any thread exists */
        mcgk_gms_server_config sc;
        memset(&sc, 0, sizeof sc);
        sc.store = g.store;
        sc.dek = g.dek;
        sc.keys = g.keys;
        sc.keys_dek = g.keys_dek;
        sc.gms_uri = g.gms_uri;
        sc.sip_host = sip_host;
        sc.sip_port = sip_port;
        sc.sip_t1_ms = (uint32_t)t1;
        sc.http_host = http_host[0] ? http_host : NULL;
        sc.http_port = http_port;
        sc.tls_cert_path = cert_path;
        sc.tls_key_path = key_path;
        sc.workers = (unsigned)workers;
        sc.max_inflight = (size_t)inflight;
        sc.chunk = (size_t)chunk;
        sc.poll_ms = poll;
        sc.retry.base_ms = rbase;
        sc.retry.cap_ms = rcap;
        sc.retry.max_attempts = (uint32_t)rmax;
        e = mcgk_gms_server_start(&sc, &srv);
        if (e != MCGK_OK)
            fprintf(stderr, "cannot start the GMS (SIP %s:%u%s%s): %s\n", sip_host,
                    (unsigned)sip_port, http_host[0] ? ", HTTPS " : "", http_host,
                    mcgk_strerror(e));
    }
    pthread_t prov;
    int prov_started = 0;
    if (e == MCGK_OK && provision) {
        pt.g = &g;
        pt.srv = srv;
        prov_started = pthread_create(&prov, NULL, prov_main, &pt) == 0;
    }
    if (e == MCGK_OK && cli_get(&a, "port-file") != NULL) {
        char buf[64];
        int n = snprintf(buf, sizeof buf, "sip %u\nhttps %u\n",
                         (unsigned)mcgk_gms_server_sip_port(srv),
                         (unsigned)mcgk_gms_server_http_port(srv));
        e = mcgk_file_write_private(cli_get(&a, "port-file"), buf, (size_t)n, 0);
    }
    if (e == MCGK_OK) {
        char q[MCGK_GMS_URI_MAX + 8];
        mcgk_log(MCGK_LOG_INFO, "gms", "listening", "gms=%s sip=%s:%u https=%s%s%u",
                 mcgk_log_quote(g.gms_uri, q, sizeof q), sip_host,
                 (unsigned)mcgk_gms_server_sip_port(srv), http_host[0] ? http_host : "off",
                 http_host[0] ? ":" : "", (unsigned)mcgk_gms_server_http_port(srv));
        int sig = shell_signal_wait(-1);
        mcgk_log(MCGK_LOG_INFO, "gms", "stopping", "signal=%d", sig);
    }
    if (prov_started) {
        pthread_mutex_lock(&pt.mu);
        pt.stop = 1;
        pthread_cond_signal(&pt.cv);
        pthread_mutex_unlock(&pt.mu);
        pthread_join(prov, NULL);
    }
    mcgk_gms_server_stop(srv);
    if (pt.token != NULL)
        mcgk_file_free(pt.token, pt.token_len + 1);
    pthread_mutex_destroy(&pt.mu);
    pthread_cond_destroy(&pt.cv);
    gms_close(&g);
    if (e == MCGK_OK)
        mcgk_log(MCGK_LOG_INFO, "gms", "stopped", NULL);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ================================ group ================================ */

static const char help_group[] =
    "usage: mcgk gms group create GROUP_ID [--name NAME] [--rekey-on-removal]\n"
    "       mcgk gms group show GROUP_ID\n"
    "       mcgk gms group list\n"
    "       (each with [--data-dir DIR] [--log-level LEVEL])\n\n"
    "Groups are identified by their MC group ID URI (e.g. sip:fire-a@example.org; at\n"
    "most 255 octets, no spaces or commas) and managed by this GMS (its URI is the\n"
    "'gms' of every document, which the client checks, R-001-19).\n\n"
    "  create   a new group. --name gives a display name (sent in documents);\n"
    "           --rekey-on-removal sets the group's security profile so that removing\n"
    "           a member rotates the GMK for the members who remain (R-001-24).\n"
    "  show     the group, its members (authorised or not, removed), and its GMKs.\n"
    "  list     every group with its member counts.\n";

static int print_group_row(void *ctx, const mcgk_gms_group_row *g)
{
    (void)ctx;
    char t[MCGK_KMS_DATETIME_LEN];
    fmt_time(g->created_unix_s, t);
    printf("%-40s members %-6" PRIu64 " authorised %-6" PRIu64 " rekey-on-removal %-3s %s\n",
           g->id, g->n_members, g->n_authorised, g->rekey_on_removal ? "yes" : "no", t);
    return 0;
}

static int print_member_row(void *ctx, const mcgk_gms_member_row *m)
{
    (void)ctx;
    char t[MCGK_KMS_DATETIME_LEN];
    fmt_time(m->added_unix_s, t);
    printf("member %-40s %-12s kms %-24s since %s\n", m->uri,
           m->removed ? "removed" : m->authorised ? "authorised" : "unauthorised",
           m->kms_uri[0] ? m->kms_uri : "(home)", t);
    return 0;
}

static int print_gmk_row(void *ctx, const mcgk_gms_gmk_info *k)
{
    (void)ctx;
    char act[MCGK_KMS_DATETIME_LEN], exp[MCGK_KMS_DATETIME_LEN];
    fmt_time(k->activation_unix_s, act);
    fmt_time(k->expiry_unix_s, exp);
    uint64_t now = mcgk_now_unix_s();
    const char *st = k->revoked                                            ? "revoked"
                     : (k->expiry_unix_s && k->expiry_unix_s <= now)       ? "expired"
                     : (k->activation_unix_s && k->activation_unix_s > now) ? "future"
                                                                           : "active";
    printf("gmk %08" PRIx32 " %-13s %-8s activation %s expiry %s text \"%s\"\n", k->key_id,
           use_name(k->use), st, act, exp, k->text);
    return 0;
}

static int run_group(int argc, char **argv)
{
    FLAGS({"name", 1}, {"rekey-on-removal", 0}, SHELL_COMMON_FLAGS);
    if (a.npositional < 1) {
        fprintf(stderr, "mcgk gms group: create, show or list (see --help)\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    const char *verb = a.positional[0];
    gms_ctx g;
    if ((e = gms_open(&a, 0, 0, &g)) != MCGK_OK)
        return cli_fail(e);
    if (strcmp(verb, "create") == 0 && a.npositional == 2) {
        const char *id = a.positional[1];
        mcgk_gms_group_row r;
        memset(&r, 0, sizeof r);
        const char *name = cli_get(&a, "name") ? cli_get(&a, "name") : "";
        if (mcgk_gms_check_group_id(id) != MCGK_OK || strlen(name) > MCGK_GMS_NAME_MAX) {
            fprintf(stderr, "GROUP_ID: 1..255 octets of printable UTF-8 without spaces or "
                            "commas; --name at most %d octets\n",
                    MCGK_GMS_NAME_MAX);
            e = MCGK_ERR_USAGE;
        } else {
            snprintf(r.id, sizeof r.id, "%s", id);
            snprintf(r.name, sizeof r.name, "%s", name);
            snprintf(r.gms_uri, sizeof r.gms_uri, "%s", g.gms_uri);
            r.rekey_on_removal = cli_has(&a, "rekey-on-removal");
            r.created_unix_s = mcgk_now_unix_s();
            e = mcgk_gms_store_group_create(g.store, &r);
            if (e == MCGK_ERR_EXISTS)
                fprintf(stderr, "group %s exists\n", id);
            if (e == MCGK_OK)
                printf("group = %s\nrekey_on_removal = %s\n", id,
                       r.rekey_on_removal ? "yes" : "no");
        }
    } else if (strcmp(verb, "show") == 0 && a.npositional == 2) {
        mcgk_gms_group_row r;
        e = mcgk_gms_store_group_get(g.store, a.positional[1], &r);
        if (e == MCGK_ERR_NOT_FOUND)
            fprintf(stderr, "no group %s\n", a.positional[1]);
        if (e == MCGK_OK) {
            printf("group %s\nname \"%s\"\ngms %s\nrekey-on-removal %s\n", r.id, r.name,
                   r.gms_uri, r.rekey_on_removal ? "yes" : "no");
            e = mcgk_gms_store_member_list(g.store, r.id, print_member_row, NULL);
        }
        if (e == MCGK_OK)
            e = mcgk_gms_store_gmk_list(g.store, r.id, print_gmk_row, NULL);
    } else if (strcmp(verb, "list") == 0 && a.npositional == 1) {
        e = mcgk_gms_store_group_list(g.store, print_group_row, NULL);
    } else {
        fprintf(stderr, "mcgk gms group: create GROUP_ID | show GROUP_ID | list (see --help)\n");
        e = MCGK_ERR_USAGE;
    }
    gms_close(&g);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ================================ rotation helpers ================================ */

/* Fresh GMK(s), sealed, into r; keys wiped. */
static mcgk_err make_rotation(const gms_ctx *g, const mcgk_gms_rotate_req *req,
                              mcgk_gms_rotation *r)
{
    mcgk_gms_new_gmk k[MCGK_GMS_JOB_GMKS];
    size_t n = 0;
    mcgk_err e = mcgk_gms_rotate_plan(req, mcgk_rng_system(), k, &n);
    for (size_t i = 0; e == MCGK_OK && i < n; i++) {
        r->key_ids[i] = k[i].key_id;
        memcpy(r->rands[i], k[i].rand, MCGK_GMK_RAND_LEN);
        r->uses[i] = k[i].use;
        e = mcgk_gms_gmk_seal(g->dek, k[i].key_id, k[i].key, mcgk_rng_system(), r->sealed[i]);
    }
    r->n_gmks = n;
    for (size_t i = 0; i < MCGK_GMS_JOB_GMKS; i++)
        mcgk_gms_new_gmk_clear(&k[i]);
    return e;
}

/* ---- waiting for a job, with a progress bar ---- */

static int print_failure(void *ctx, const mcgk_gms_delivery_row *r)
{
    (void)ctx;
    fprintf(stderr, "  failed %-40s status %-3d %s (attempts %" PRIu32 ")\n", r->uri,
            r->d.status, r->d.reason, r->d.attempts);
    return 0;
}

static mcgk_err wait_job(gms_ctx *g, uint64_t job, uint64_t timeout_s)
{
    uint64_t start = mcgk_monotonic_ns();
    int tty = isatty(2);
    mcgk_gms_job_row *r = malloc(sizeof *r);
    if (r == NULL)
        return MCGK_ERR_NO_MEMORY;
    mcgk_err e = MCGK_OK;
    unsigned long polls = 0;
    for (;;) {
        e = mcgk_gms_store_job_get(g->store, job, r);
        if (e != MCGK_OK)
            break;
        uint64_t total = 0, fin = r->counts[MCGK_GMS_DLV_CONFIRMED] +
                                  r->counts[MCGK_GMS_DLV_FAILED] +
                                  r->counts[MCGK_GMS_DLV_CANCELLED];
        for (int i = 0; i < 5; i++)
            total += r->counts[i];
        double secs = (double)(mcgk_monotonic_ns() - start) / 1e9;
        int width = 30, fill = total ? (int)((fin * (uint64_t)width) / total) : width;
        char bar[64];
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '#' : '-';
        bar[width] = '\0';
        /* a terminal gets the bar redrawn; a file a line per second and the last one */
        if (tty || fin == total || polls % 10 == 0)
            fprintf(stderr,
                    "%s[%s] %" PRIu64 "/%" PRIu64 " confirmed %" PRIu64 " failed %" PRIu64
                    " pending %" PRIu64 " %.1fs%s",
                    tty ? "\r" : "", bar, fin, total, r->counts[MCGK_GMS_DLV_CONFIRMED],
                    r->counts[MCGK_GMS_DLV_FAILED],
                    r->counts[MCGK_GMS_DLV_PENDING] + r->counts[MCGK_GMS_DLV_SENT], secs,
                    tty ? "" : "\n");
        polls++;
        if (fin == total) {
            if (tty)
                fprintf(stderr, "\n");
            if (r->counts[MCGK_GMS_DLV_FAILED] > 0) {
                mcgk_gms_store_delivery_list(g->store, job, MCGK_GMS_DLV_FAILED, NULL,
                                             print_failure, NULL);
                e = MCGK_ERR_PEER;
            }
            break;
        }
        if (timeout_s != 0 && secs >= (double)timeout_s) {
            fprintf(stderr, "\nstopped waiting after %" PRIu64 " s (the GMS keeps trying)\n",
                    timeout_s);
            mcgk_gms_store_delivery_list(g->store, job, MCGK_GMS_DLV_FAILED, NULL, print_failure,
                                         NULL);
            e = r->counts[MCGK_GMS_DLV_FAILED] > 0 ? MCGK_ERR_PEER : MCGK_ERR_SIP_TIMEOUT;
            break;
        }
        struct timespec ts = {0, 100000000L}; /* 100 ms */
        nanosleep(&ts, NULL);
    }
    free(r);
    return e;
}

/* ================================ member ================================ */

typedef struct gmk_collect {
    mcgk_gms_gmk_info c[64];
    size_t n;
} gmk_collect;

static int collect_gmk(void *ctx, const mcgk_gms_gmk_info *info)
{
    gmk_collect *k = ctx;
    if (k->n < sizeof k->c / sizeof k->c[0])
        k->c[k->n++] = *info;
    return 0;
}

/* Whether the group's current GMKs (as a member would be sent them) include a
 * floor-control one. */
static int group_has_floor_gmk(gms_ctx *g, const char *grp, uint64_t now)
{
    gmk_collect *k = calloc(1, sizeof *k);
    int floor = 0;
    if (k != NULL && mcgk_gms_store_gmk_list(g->store, grp, collect_gmk, k) == MCGK_OK) {
        size_t idx[8];
        size_t n = mcgk_gms_current_gmks(k->c, k->n, now, idx, 8);
        for (size_t i = 0; i < n; i++)
            floor |= k->c[idx[i]].use == MCGK_GMK_USE_FLOOR_CONTROL;
    }
    free(k);
    return floor;
}

static const char help_member[] =
    "usage: mcgk gms member add GROUP_ID URI [--kms KMS_URI] [--unauthorised]\n"
    "                                        [--new-token] [--token-out FILE]\n"
    "       mcgk gms member add GROUP_ID --range PATTERN:A-B --token-dir DIR\n"
    "                                        [--kms KMS_URI] [--unauthorised]\n"
    "       mcgk gms member authorise GROUP_ID URI\n"
    "       mcgk gms member remove GROUP_ID URI [--no-rekey] [--wait] [--timeout S]\n"
    "       mcgk gms member list [GROUP_ID]\n"
    "       (each with [--data-dir DIR] [--key-file P | --passphrase-file P])\n\n"
    "Members are MC service user IDs (or, for a regroup, a partner GMS URI: R-004-16 -\n"
    "it is sent the GMK like any member, encrypted to its identity under its own KMS).\n\n"
    "  add        adds URI to the group. A user new to this GMS gets a bearer token for\n"
    "             the HTTPS pull, printed once ('token = ...') or written to --token-out\n"
    "             (mode 0600); it is stored only as SHA-256. --new-token replaces a known\n"
    "             user's token. --kms names the member's KMS when it is not the GMS's\n"
    "             own (its certificate must be among the partner certificates). Unless\n"
    "             --unauthorised, the member is authorised at once and is sent the\n"
    "             group's current GMK(s) (R-001-27/28: only once authorised).\n"
    "             --range adds many at once (one transaction per thousand): PATTERN has\n"
    "             one %d, e.g. sip:u%d@example.org:1-1000; each listed user gets a fresh\n"
    "             token in DIR/N.gms.tok (mode 0600) - the layout 'mcgk client run\n"
    "             --user-range ... --token-dir DIR' reads.\n"
    "  authorise  authorises a member added with --unauthorised: it is sent the\n"
    "             group's current GMK(s) now (R-001-31).\n"
    "  remove     removes URI: it is told (a document with state=\"removed\"; the client\n"
    "             deletes the GMK unless another of its groups uses it, R-001-33), its\n"
    "             outstanding deliveries for the group are cancelled, and - when the\n"
    "             group's profile says rekey-on-removal and --no-rekey is not given - a\n"
    "             new GMK is rotated for the members who remain (R-001-24), in the same\n"
    "             transaction. --wait shows the rotation's progress.\n"
    "  list       members of GROUP_ID (or of every group).\n";

/* member add GROUP --range PATTERN:A-B --token-dir DIR */
static int member_add_range(const cli_args *a, const char *grp)
{
    const char *range = cli_get(a, "range"), *dir = cli_get(a, "token-dir");
    const char *colon = range != NULL ? strrchr(range, ':') : NULL;
    unsigned long lo = 0, hi = 0;
    char pattern[MCGK_GMS_URI_MAX + 1];
    mcgk_err e = MCGK_OK;
    if (dir == NULL || colon == NULL || (size_t)(colon - range) >= sizeof pattern ||
        sscanf(colon + 1, "%lu-%lu", &lo, &hi) != 2 || lo > hi || hi - lo >= 1000000) {
        e = MCGK_ERR_USAGE;
    } else {
        memcpy(pattern, range, (size_t)(colon - range));
        pattern[colon - range] = '\0';
        const char *pc = strstr(pattern, "%d");
        if (pc == NULL || strchr(pc + 2, '%') != NULL || strchr(pattern, '%') != pc)
            e = MCGK_ERR_USAGE;
    }
    if (e != MCGK_OK) {
        fprintf(stderr, "--range PATTERN:A-B (PATTERN with one %%d, A <= B) and --token-dir DIR\n");
        return cli_fail(e);
    }
    gms_ctx g;
    if ((e = gms_open(a, 0, 0, &g)) != MCGK_OK)
        return cli_fail(e);
    e = mcgk_dir_ensure_private(dir);
    enum { BULK = 1000 };
    char(*uris)[MCGK_GMS_URI_MAX + 1] = calloc(BULK, sizeof *uris);
    uint8_t(*hashes)[MCGK_KMS_TOKEN_HASH_LEN] = calloc(BULK, sizeof *hashes);
    mcgk_gms_new_member *nm = calloc(BULK, sizeof *nm);
    if (uris == NULL || hashes == NULL || nm == NULL)
        e = MCGK_ERR_NO_MEMORY;
    size_t total = 0;
    uint64_t now = mcgk_now_unix_s();
    for (unsigned long k = lo; e == MCGK_OK && k <= hi;) {
        size_t n = 0;
        for (; k <= hi && n < BULK && e == MCGK_OK; k++, n++) {
            char token[MCGK_KMS_TOKEN_LEN + 2], path[SHELL_PATH_MAX];
            snprintf(uris[n], sizeof uris[n], pattern, (int)k);
            if (mcgk_gms_check_uri(uris[n]) != MCGK_OK) {
                fprintf(stderr, "--range: %s is not a usable URI\n", uris[n]);
                e = MCGK_ERR_USAGE;
                break;
            }
            e = mcgk_kms_token_new(mcgk_rng_system(), token);
            if (e == MCGK_OK)
                e = mcgk_kms_token_hash(token, strlen(token), hashes[n]);
            if (e == MCGK_OK && snprintf(path, sizeof path, "%s/%lu.gms.tok", dir, k) >=
                                    (int)sizeof path)
                e = MCGK_ERR_USAGE;
            if (e == MCGK_OK) {
                strcat(token, "\n");
                e = mcgk_file_write_private(path, token, strlen(token), 0);
            }
            mcgk_wipe(token, sizeof token);
            nm[n].uri = uris[n];
            nm[n].kms_uri = cli_get(a, "kms");
            nm[n].token_hash = hashes[n];
        }
        size_t added = 0;
        if (e == MCGK_OK) {
            /* every listed user gets the fresh token: new ones are created with it,
               known ones have theirs replaced first */
            for (size_t i = 0; i < n && e == MCGK_OK; i++) {
                mcgk_err te = mcgk_gms_store_user_token(g.store, uris[i], hashes[i]);
                if (te != MCGK_OK && te != MCGK_ERR_NOT_FOUND)
                    e = te;
            }
        }
        if (e == MCGK_OK)
            e = mcgk_gms_store_member_add_many(g.store, grp, nm, n, !cli_has(a, "unauthorised"),
                                               now, &added);
        total += added;
    }
    if (e == MCGK_ERR_NOT_FOUND)
        fprintf(stderr, "no group %s\n", grp);
    if (e == MCGK_OK)
        printf("group = %s\nadded = %zu\ntokens = %s/N.gms.tok\n", grp, total, dir);
    if (hashes != NULL)
        mcgk_wipe(hashes, BULK * sizeof *hashes);
    free(uris);
    free(hashes);
    free(nm);
    gms_close(&g);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

static int run_member(int argc, char **argv)
{
    FLAGS({"kms", 1}, {"unauthorised", 0}, {"new-token", 0}, {"token-out", 1}, {"no-rekey", 0},
          {"wait", 0}, {"timeout", 1}, {"range", 1}, {"token-dir", 1}, SHELL_COMMON_FLAGS,
          SHELL_KEK_FLAGS);
    if (a.npositional < 1) {
        fprintf(stderr, "mcgk gms member: add, authorise, remove or list (see --help)\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    const char *verb = a.positional[0];
    uint64_t timeout = 0;
    if (cli_has(&a, "timeout") && (e = cli_u64_flag(&a, "timeout", &timeout)) != MCGK_OK)
        return cli_fail(e);
    int is_list = strcmp(verb, "list") == 0;
    if (strcmp(verb, "add") == 0 && cli_has(&a, "range")) {
        if (a.npositional != 2)
            return cli_fail(MCGK_ERR_USAGE);
        return member_add_range(&a, a.positional[1]);
    }
    if (!is_list && a.npositional != 3) {
        fprintf(stderr, "mcgk gms member %s GROUP_ID URI (see --help)\n", verb);
        return cli_fail(MCGK_ERR_USAGE);
    }
    const char *grp = a.npositional > 1 ? a.positional[1] : NULL;
    const char *uri = a.npositional > 2 ? a.positional[2] : NULL;
    if (uri != NULL && mcgk_gms_check_uri(uri) != MCGK_OK) {
        fprintf(stderr, "URI: a sip:, sips: or tel: URI of at most %d octets without spaces "
                        "or commas\n",
                MCGK_GMS_URI_MAX);
        return cli_fail(MCGK_ERR_USAGE);
    }
    const char *kms = cli_get(&a, "kms");
    if (kms != NULL && (kms[0] == '\0' || strlen(kms) >= MCGK_KMS_URI_MAX)) {
        fprintf(stderr, "--kms: a KMS URI\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    gms_ctx g;
    int need_dek = strcmp(verb, "remove") == 0;
    if ((e = gms_open(&a, 0, need_dek, &g)) != MCGK_OK)
        return cli_fail(e);
    uint64_t now = mcgk_now_unix_s(), job = 0;
    char q[MCGK_GMS_URI_MAX + 8];
    if (strcmp(verb, "add") == 0) {
        char token[MCGK_KMS_TOKEN_LEN + 1] = "";
        uint8_t hash[MCGK_KMS_TOKEN_HASH_LEN];
        e = mcgk_kms_token_new(mcgk_rng_system(), token);
        if (e == MCGK_OK)
            e = mcgk_kms_token_hash(token, strlen(token), hash);
        int new_user = 0;
        /* a new user needs a token; a known one keeps its own unless --new-token */
        if (e == MCGK_OK) {
            e = mcgk_gms_store_member_add(g.store, grp, uri, kms, !cli_has(&a, "unauthorised"),
                                          cli_has(&a, "new-token") ? hash : NULL, now, &job,
                                          &new_user);
            if (e == MCGK_ERR_INVALID_ARG) /* a new user: retry with the token */
                e = mcgk_gms_store_member_add(g.store, grp, uri, kms,
                                              !cli_has(&a, "unauthorised"), hash, now, &job,
                                              &new_user);
        }
        if (e == MCGK_ERR_NOT_FOUND)
            fprintf(stderr, "no group %s\n", grp);
        else if (e == MCGK_ERR_EXISTS)
            fprintf(stderr, "%s is already a member of %s\n", uri, grp);
        if (e == MCGK_OK) {
            printf("member = %s\ngroup = %s\nauthorised = %s\n", uri, grp,
                   cli_has(&a, "unauthorised") ? "no" : "yes");
            if (job != 0)
                printf("job = %" PRIu64 "\n", job);
            if (new_user || cli_has(&a, "new-token")) {
                const char *out = cli_get(&a, "token-out");
                if (out != NULL) {
                    char line[MCGK_KMS_TOKEN_LEN + 2];
                    snprintf(line, sizeof line, "%s\n", token);
                    e = mcgk_file_write_private(out, line, strlen(line), 0);
                    mcgk_wipe(line, sizeof line);
                    if (e != MCGK_OK)
                        fprintf(stderr, "cannot write %s\n", out);
                } else {
                    printf("token = %s\n", token);
                }
            }
            mcgk_log(MCGK_LOG_INFO, "gms", "member-added", "group=%s member=%s job=%" PRIu64,
                     grp, mcgk_log_quote(uri, q, sizeof q), job);
        }
        mcgk_wipe(token, sizeof token);
        mcgk_wipe(hash, sizeof hash);
    } else if (strcmp(verb, "authorise") == 0 || strcmp(verb, "authorize") == 0) {
        e = mcgk_gms_store_member_authorise(g.store, grp, uri, now, &job);
        if (e == MCGK_ERR_NOT_FOUND)
            fprintf(stderr, "%s is not a member of %s\n", uri, grp);
        if (e == MCGK_OK)
            printf("member = %s\ngroup = %s\nauthorised = yes\njob = %" PRIu64 "\n", uri, grp,
                   job);
    } else if (strcmp(verb, "remove") == 0) {
        mcgk_gms_group_row gr;
        e = mcgk_gms_store_group_get(g.store, grp, &gr);
        mcgk_gms_rotation rot, *rp = NULL;
        memset(&rot, 0, sizeof rot);
        /* the removed member knows every current key of the group: a floor-control
           GMK is replaced along with the media one (R-001-24, R-004-13) */
        int floor = e == MCGK_OK && group_has_floor_gmk(&g, grp, now);
        if (e == MCGK_OK && gr.rekey_on_removal && !cli_has(&a, "no-rekey")) {
            mcgk_gms_rotate_req req = {1, 0, 0, floor, now};
            rot.n_groups = 1;
            rot.groups[0] = gr.id;
            rot.push = 1;
            rot.text = "rekey after removal";
            e = make_rotation(&g, &req, &rot);
            rp = &rot;
        }
        uint64_t remj = 0, rotj = 0;
        for (int tries = 0; e == MCGK_OK || (e == MCGK_ERR_EXISTS && tries < 4); tries++) {
            e = mcgk_gms_store_member_remove(g.store, grp, uri, rp, now, &remj, &rotj);
            if (e != MCGK_ERR_EXISTS || rp == NULL)
                break;
            mcgk_gms_rotate_req req = {1, 0, 0, floor, now}; /* a GMK-ID collision: new ones */
            e = make_rotation(&g, &req, &rot);
            if (e == MCGK_OK)
                e = MCGK_ERR_EXISTS;
        }
        if (e == MCGK_ERR_NOT_FOUND)
            fprintf(stderr, "%s is not a member of %s\n", uri, grp);
        if (e == MCGK_OK) {
            printf("member = %s\ngroup = %s\nremoved = yes\n", uri, grp);
            if (remj)
                printf("notice_job = %" PRIu64 "\n", remj);
            if (rotj)
                printf("rekey_job = %" PRIu64 "\nkey_id = %08" PRIx32 " (media)\n", rotj,
                       rot.key_ids[0]);
            if (rotj && rot.n_gmks > 1)
                printf("key_id = %08" PRIx32 " (floor-control)\n", rot.key_ids[1]);
            mcgk_log(MCGK_LOG_INFO, "gms", "member-removed",
                     "group=%s member=%s rekey_job=%" PRIu64, grp,
                     mcgk_log_quote(uri, q, sizeof q), rotj);
            if (rotj && cli_has(&a, "wait"))
                e = wait_job(&g, rotj, timeout);
        }
    } else if (is_list) {
        e = mcgk_gms_store_member_list(g.store, grp, print_member_row, NULL);
    } else {
        fprintf(stderr, "mcgk gms member: add, authorise, remove or list (see --help)\n");
        e = MCGK_ERR_USAGE;
    }
    gms_close(&g);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ================================ gmk ================================ */

static const char help_gmk[] =
    "usage: mcgk gms gmk rotate --groups G1[,G2...] [--activate-at T] [--expires T]\n"
    "                           [--text TEXT] [--floor-control] [--pull] [--wait]\n"
    "                           [--timeout SECONDS]\n"
    "       mcgk gms gmk revoke KEY_ID [--wait] [--timeout SECONDS]\n"
    "       mcgk gms gmk show [KEY_ID] [--group GROUP_ID]\n"
    "       (each with [--data-dir DIR] [--key-file P | --passphrase-file P])\n\n"
    "  rotate   creates a new GMK (16 random octets, GMK-ID with purpose tag 0, one RAND\n"
    "           for all members; TS 33.180 §5.2.1) for the groups - one GMK may serve\n"
    "           several groups (SEAL, R-001-06) - and schedules its delivery to every\n"
    "           authorised member, each by its own I_MESSAGE (R-000-19), in one store\n"
    "           transaction. Prints key_id and job. The key never leaves the GMS in\n"
    "           clear; at rest it is sealed.\n"
    "             --activate-at T  Activation Time (E.6.4): the client uses the active\n"
    "                              GMK with the latest activation (R-001-23)\n"
    "             --expires T      Expiry Time (E.6.10)\n"
    "                              T = UNIX seconds, +SECONDS from now, or\n"
    "                              YYYY-MM-DDThh:mm:ssZ\n"
    "             --text TEXT      a name for the key (E.6.5, at most 255 octets)\n"
    "             --floor-control  also a second, different GMK for floor control, sent\n"
    "                              in the same notification (seed 004, R-004-13)\n"
    "             --pull           do not push: members fetch it with an HTTPS GET\n"
    "                              (R-003-26); the deliveries wait for their results\n"
    "                              (POSTed after each GET; --wait waits for them too)\n"
    "             --wait           show a progress bar on stderr until every member\n"
    "                              has confirmed or failed; failures are listed member by\n"
    "                              member with the client's status and reason; exit 1\n"
    "                              when any failed. --timeout bounds the wait.\n"
    "  revoke   marks the GMK revoked and sends every member of its groups the same GMK\n"
    "           with Status 'revoked' (R-003-34) - always by SIP (R-003-35); deliveries\n"
    "           of it still outstanding are cancelled.\n"
    "  show     one GMK (its groups, use, status, times) or the list (of --group).\n";

static int run_gmk(int argc, char **argv)
{
    FLAGS({"groups", 1}, {"activate-at", 1}, {"expires", 1}, {"text", 1}, {"floor-control", 0},
          {"pull", 0}, {"wait", 0}, {"timeout", 1}, {"group", 1}, SHELL_COMMON_FLAGS,
          SHELL_KEK_FLAGS);
    if (a.npositional < 1) {
        fprintf(stderr, "mcgk gms gmk: rotate, revoke or show (see --help)\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    const char *verb = a.positional[0];
    uint64_t now = mcgk_now_unix_s(), timeout = 0, act = 0, exp = 0;
    if (cli_has(&a, "timeout") && (e = cli_u64_flag(&a, "timeout", &timeout)) != MCGK_OK)
        return cli_fail(e);
    if ((e = time_flag(&a, "activate-at", now, &act)) != MCGK_OK ||
        (e = time_flag(&a, "expires", now, &exp)) != MCGK_OK)
        return cli_fail(e);
    gms_ctx g;
    if ((e = gms_open(&a, 0, strcmp(verb, "rotate") == 0, &g)) != MCGK_OK)
        return cli_fail(e);
    if (strcmp(verb, "rotate") == 0 && a.npositional == 1) {
        char *list = cli_get(&a, "groups") ? strdup(cli_get(&a, "groups")) : NULL;
        mcgk_gms_rotation rot;
        memset(&rot, 0, sizeof rot);
        int many = 0;
        rot.n_groups = list ? split(list, rot.groups, MCGK_GMS_JOB_GROUPS, &many) : 0;
        const char *text = cli_get(&a, "text");
        if (rot.n_groups == 0 || many || (text != NULL && strlen(text) > MCGK_GMS_TEXT_MAX)) {
            fprintf(stderr, "--groups: 1 to %d group IDs, comma-separated; --text at most %d "
                            "octets\n",
                    MCGK_GMS_JOB_GROUPS, MCGK_GMS_TEXT_MAX);
            e = MCGK_ERR_USAGE;
        }
        for (size_t i = 0; e == MCGK_OK && i < rot.n_groups; i++)
            for (size_t k = 0; k < i; k++)
                if (strcmp(rot.groups[i], rot.groups[k]) == 0) {
                    fprintf(stderr, "--groups: %s twice\n", rot.groups[i]);
                    e = MCGK_ERR_USAGE;
                }
        mcgk_gms_rotate_req req = {rot.n_groups, act, exp, cli_has(&a, "floor-control"), now};
        rot.activation_unix_s = act;
        rot.expiry_unix_s = exp;
        rot.text = text;
        rot.push = !cli_has(&a, "pull");
        uint64_t job = 0, n = 0;
        for (int tries = 0; e == MCGK_OK && tries < 4; tries++) {
            e = make_rotation(&g, &req, &rot);
            if (e == MCGK_ERR_PERIOD)
                fprintf(stderr, "--expires must be after now and after --activate-at\n");
            if (e == MCGK_OK)
                e = mcgk_gms_store_rotate(g.store, &rot, now, &job, &n);
            if (e != MCGK_ERR_EXISTS)
                break;
            e = MCGK_OK; /* a GMK-ID collision: draw again */
        }
        if (e == MCGK_ERR_NOT_FOUND)
            fprintf(stderr, "a group in --groups does not exist\n");
        if (e == MCGK_OK) {
            for (size_t i = 0; i < rot.n_gmks; i++)
                printf("key_id = %08" PRIx32 " (%s)\n", rot.key_ids[i], use_name(rot.uses[i]));
            printf("job = %" PRIu64 "\nmembers = %" PRIu64 "\ndelivery = %s\n", job, n,
                   rot.push ? "push" : "pull");
            mcgk_log(MCGK_LOG_INFO, "gms", "rotate",
                     "job=%" PRIu64 " key_id=%08" PRIx32 " groups=%zu members=%" PRIu64
                     " floor_control=%s delivery=%s",
                     job, rot.key_ids[0], rot.n_groups, n, rot.n_gmks > 1 ? "yes" : "no",
                     rot.push ? "push" : "pull");
            fflush(stdout);
            if (cli_has(&a, "wait")) /* a pull job waits for the members' results */
                e = wait_job(&g, job, timeout);
        }
        free(list);
    } else if (strcmp(verb, "revoke") == 0 && a.npositional == 2) {
        char *end = NULL;
        unsigned long long id = strtoull(a.positional[1], &end, 16);
        if (end == a.positional[1] || *end != '\0' || id > 0xffffffffull) {
            fprintf(stderr, "KEY_ID: the GMK-ID in hex (8 digits, as 'gmk show' prints it)\n");
            e = MCGK_ERR_USAGE;
        }
        uint64_t job = 0, n = 0;
        if (e == MCGK_OK)
            e = mcgk_gms_store_revoke(g.store, (uint32_t)id, now, &job, &n);
        if (e == MCGK_ERR_NOT_FOUND)
            fprintf(stderr, "no GMK %08llx\n", id);
        else if (e == MCGK_ERR_REVOKED)
            fprintf(stderr, "GMK %08llx is already revoked\n", id);
        if (e == MCGK_OK) {
            printf("key_id = %08llx\nrevoked = yes\njob = %" PRIu64 "\nmembers = %" PRIu64 "\n",
                   id, job, n);
            mcgk_log(MCGK_LOG_INFO, "gms", "revoke", "job=%" PRIu64 " key_id=%08llx members=%" PRIu64,
                     job, id, n);
            fflush(stdout);
            if (cli_has(&a, "wait"))
                e = wait_job(&g, job, timeout);
        }
    } else if (strcmp(verb, "show") == 0 && a.npositional <= 2) {
        if (a.npositional == 2) {
            char *end = NULL;
            unsigned long long id = strtoull(a.positional[1], &end, 16);
            mcgk_gms_gmk_info info;
            char groups[MCGK_GMS_JOB_GROUPS][MCGK_GMS_GROUP_ID_MAX + 1];
            size_t ng = 0;
            if (end == a.positional[1] || *end != '\0' || id > 0xffffffffull)
                e = MCGK_ERR_USAGE;
            if (e == MCGK_OK)
                e = mcgk_gms_store_gmk_get(g.store, (uint32_t)id, &info, NULL, NULL, groups, &ng);
            if (e == MCGK_ERR_NOT_FOUND)
                fprintf(stderr, "no GMK %08llx\n", id);
            if (e == MCGK_OK) {
                print_gmk_row(NULL, &info);
                for (size_t i = 0; i < ng; i++)
                    printf("  group %s\n", groups[i]);
            }
        } else {
            e = mcgk_gms_store_gmk_list(g.store, cli_get(&a, "group"), print_gmk_row, NULL);
        }
    } else {
        fprintf(stderr, "mcgk gms gmk: rotate | revoke KEY_ID | show [KEY_ID] (see --help)\n");
        e = MCGK_ERR_USAGE;
    }
    gms_close(&g);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ================================ status ================================ */

static const char help_status[] =
    "usage: mcgk gms status [--job N] [--member URI] [--state S] [--failed] [--limit N]\n"
    "                       [--data-dir DIR]\n\n"
    "Without options: one line per job (newest first, --limit, default 20): its kind\n"
    "(rotate, revoke, add, remove), delivery (push / pull), GMK-IDs, groups and how many\n"
    "of its deliveries are pending, sent, confirmed, failed or cancelled.\n"
    "With --job N (and/or --member URI, --state S): the per-member delivery table - state,\n"
    "attempts, the member's last status and reason (its Warning text, e.g. \"signature\"\n"
    "or \"not-authorised\", R-001-20), the document sequence number.\n"
    "--failed: every failed delivery, member by member (any job unless --job).\n"
    "States: pending (to send, or waiting for a pull), sent (awaiting the answer),\n"
    "confirmed, failed, cancelled (the member left, or the GMK was revoked).\n";

static int print_job(void *ctx, const mcgk_gms_job_row *j)
{
    (void)ctx;
    char t[MCGK_KMS_DATETIME_LEN];
    fmt_time(j->created_unix_s, t);
    printf("job %-5" PRIu64 " %-7s %-4s %s gmk", j->id, mcgk_gms_job_kind_name(j->kind),
           j->push ? "push" : "pull", t);
    if (j->n_gmks == 0)
        printf(" -");
    for (size_t i = 0; i < j->n_gmks; i++)
        printf("%s%08" PRIx32, i ? "," : " ", j->key_ids[i]);
    printf(" pending %" PRIu64 " sent %" PRIu64 " confirmed %" PRIu64 " failed %" PRIu64
           " cancelled %" PRIu64 " groups",
           j->counts[0], j->counts[1], j->counts[2], j->counts[3], j->counts[4]);
    for (size_t i = 0; i < j->n_groups; i++)
        printf("%s%s", i ? "," : " ", j->groups[i]);
    printf("\n");
    return 0;
}

static int print_delivery(void *ctx, const mcgk_gms_delivery_row *r)
{
    (void)ctx;
    printf("job %-5" PRIu64 " %-40s %-9s attempts %-3" PRIu32 " status %-3d seq %-5" PRIu64
           " %s\n",
           r->job_id, r->uri, mcgk_gms_dlv_state_name(r->d.state), r->d.attempts, r->d.status,
           r->seq, r->d.reason);
    return 0;
}

static int run_status(int argc, char **argv)
{
    FLAGS({"job", 1}, {"member", 1}, {"state", 1}, {"failed", 0}, {"limit", 1},
          SHELL_COMMON_FLAGS);
    uint64_t job = 0, limit = 20;
    int state = -1;
    if ((cli_has(&a, "job") && (e = cli_u64_flag(&a, "job", &job)) != MCGK_OK) ||
        (cli_has(&a, "limit") && (e = cli_u64_flag(&a, "limit", &limit)) != MCGK_OK))
        return cli_fail(e);
    if (cli_has(&a, "state") && mcgk_gms_dlv_state_parse(cli_get(&a, "state"), &state) != MCGK_OK) {
        fprintf(stderr, "--state: pending, sent, confirmed, failed or cancelled\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    if (cli_has(&a, "failed"))
        state = MCGK_GMS_DLV_FAILED;
    gms_ctx g;
    if ((e = gms_open(&a, 0, 0, &g)) != MCGK_OK)
        return cli_fail(e);
    if (job == 0 && state < 0 && cli_get(&a, "member") == NULL) {
        e = mcgk_gms_store_job_list(g.store, (size_t)limit, print_job, NULL);
    } else {
        if (job != 0) {
            mcgk_gms_job_row *r = malloc(sizeof *r);
            e = r == NULL ? MCGK_ERR_NO_MEMORY : mcgk_gms_store_job_get(g.store, job, r);
            if (e == MCGK_ERR_NOT_FOUND)
                fprintf(stderr, "no job %" PRIu64 "\n", job);
            if (e == MCGK_OK)
                print_job(NULL, r);
            free(r);
        }
        if (e == MCGK_OK)
            e = mcgk_gms_store_delivery_list(g.store, job, state, cli_get(&a, "member"),
                                             print_delivery, NULL);
    }
    gms_close(&g);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ================================ role ================================ */

static const cli_verb k_verbs[] = {
    {"init", "create the GMS and provision its own keys from the KMS", run_init, help_init},
    {"serve", "run the GMS: SIP push, HTTPS pull, the delivery pipeline", run_serve,
     help_serve},
    {"group", "create | show | list groups", run_group, help_group},
    {"member", "add | authorise | remove | list members", run_member, help_member},
    {"gmk", "rotate | revoke | show GMKs", run_gmk, help_gmk},
    {"status", "delivery state per job and per member", run_status, help_status},
};

int mcgk_cmd_gms(int argc, char **argv)
{
    return cli_dispatch("gms",
                        "The Group Management Server (TS 33.180 §5.2, §5.7): groups, members, "
                        "GMKs,\nand their delivery to every member by SIP push or HTTPS pull.",
                        k_verbs, sizeof k_verbs / sizeof k_verbs[0], argc, argv);
}
