/*
 * mcgk kms <verb>: the Key Management Server of TS 33.180 (§5.3, Annex D).
 *   init    create a community (z, KSAK sealed at rest; the certificate)
 *   serve   HTTPS: POST .../keymanagement/identity/v1/init|keyprov|certcache
 *   user    add | list | revoke | grant | token - users and their access tokens
 *   trust   store / list / remove partner KMS certificates (seed 004)
 *   cert    print this KMS's certificate (to give to partners and clients)
 *
 * A shell: flags, files, the store, the HTTPS server, logs. Protocol
 * decisions are made by the core (mcgk/kms.h). Administrative verbs write
 * the SQLite store directly; a running server reads users and partner
 * certificates from it on each request, so changes apply without a restart.
 *
 * Secrets: z and KSAK (unsealed only inside `serve`, wiped at exit), access
 * tokens (printed once by `user add` / `user token`, stored as SHA-256),
 * the passphrase / key file, the TLS key, response bodies with keys. None
 * is ever logged.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mcgk/kms.h"
#include "mcgk/platform.h"
#include "net/http_server.h"
#include "net/kms_server.h"
#include "platform/file.h"
#include "platform/log.h"
#include "roles.h"
#include "shell.h"
#include "store/store.h"

#define FLAGS(...) SHELL_PARSE_FLAGS(__VA_ARGS__)

#define DB_NAME "kms.db"

static mcgk_err open_store(const cli_args *a, int create, char dir[SHELL_PATH_MAX],
                           mcgk_kms_store **s)
{
    char path[SHELL_PATH_MAX];
    mcgk_err e = shell_data_dir(a, "kms", create, dir);
    if (e == MCGK_OK)
        e = shell_path(dir, DB_NAME, path);
    if (e == MCGK_OK && !create && !mcgk_file_exists(path)) {
        fprintf(stderr, "no KMS in %s (run 'mcgk kms init' first)\n", dir);
        return MCGK_ERR_NOT_FOUND;
    }
    if (e == MCGK_OK) {
        e = mcgk_kms_store_open_sqlite(path, s);
        if (e != MCGK_OK)
            fprintf(stderr, "cannot open %s\n", path);
    }
    return e;
}

/* Split "a,b,c" into at most max entries of cap octets each. */
static mcgk_err split_list(const char *list, char (*out)[MCGK_KMS_URI_MAX], size_t max,
                           size_t *n)
{
    *n = 0;
    if (list == NULL || list[0] == '\0')
        return MCGK_OK;
    const char *p = list;
    for (;;) {
        size_t l = strcspn(p, ",");
        if (l == 0 || l >= MCGK_KMS_URI_MAX || *n == max) {
            fprintf(stderr, "bad list entry in '%s' (empty, too long, or more than %zu)\n",
                    list, max);
            return MCGK_ERR_USAGE;
        }
        memcpy(out[*n], p, l);
        out[*n][l] = '\0';
        (*n)++;
        if (p[l] == '\0')
            return MCGK_OK;
        p += l + 1;
    }
}

static void print_time(const char *name, uint64_t unix_s)
{
    char t[MCGK_KMS_DATETIME_LEN];
    if (mcgk_xsd_datetime_format(unix_s, t) == MCGK_OK)
        printf("%s = %s\n", name, t);
}

/* ================================ init ================================ */

static const char help_init[] =
    "usage: mcgk kms init --kms-uri URI [--period SECONDS] [--offset SECONDS]\n"
    "                     [--valid-days N] [--cert-uri URI] [--issuer URI]\n"
    "                     [--domains D1,D2] [--data-dir DIR] [--key-file PATH |\n"
    "                     --passphrase-file PATH [--scrypt-log2n N]]\n\n"
    "Creates a KMS community (TS 33.180 §5.3): the SAKKE master secret z and public\n"
    "key Z (RFC 6508), the ECCSI master secret KSAK and public key KPAK (RFC 6507),\n"
    "and the KMS certificate (Annex D.3.2: UserIdFormat 2, ParameterSet 1). The\n"
    "master secrets are stored sealed (AES-256-GCM envelope) in DATA_DIR/kms.db\n"
    "under a key-encryption key from a key file or a passphrase; they are never\n"
    "printed or logged. Refuses to overwrite an existing community.\n\n"
    "  --kms-uri URI         the KMS identifier (KmsUri); part of every user's UID\n"
    "  --period SECONDS      key period (UserKeyPeriod), default 2592000 (30 days)\n"
    "  --offset SECONDS      key period offset from 1900-01-01 (UserKeyOffset), default 0\n"
    "  --valid-days N        certificate validity from now, default 3650; 0 = no bounds\n"
    "  --cert-uri URI        CertUri of the certificate (optional)\n"
    "  --issuer URI          Issuer of the certificate (optional)\n"
    "  --domains D1,D2       KmsDomainList (optional)\n"
    "  --scrypt-log2n N      passphrase stretching cost 2^N (10..20), default 15\n"
    SHELL_COMMON_HELP SHELL_KEK_HELP
    "\nPrints the certificate's public values as 'name = value' lines.\n"
    "Back up kms.db together with the key file or passphrase: one without the other\n"
    "cannot be opened.\n";

static int run_init(int argc, char **argv)
{
    FLAGS({"kms-uri", 1}, {"period", 1}, {"offset", 1}, {"valid-days", 1}, {"cert-uri", 1},
          {"issuer", 1}, {"domains", 1}, {"scrypt-log2n", 1}, SHELL_COMMON_FLAGS,
          SHELL_KEK_FLAGS);
    const char *uri = cli_require(&a, "kms-uri");
    if (uri == NULL)
        return cli_fail(MCGK_ERR_USAGE);
    uint64_t period = 2592000, offset = 0, days = 3650, log2n = 0;
    if ((cli_has(&a, "period") && (e = cli_u64_flag(&a, "period", &period)) != MCGK_OK) ||
        (cli_has(&a, "offset") && (e = cli_u64_flag(&a, "offset", &offset)) != MCGK_OK) ||
        (cli_has(&a, "valid-days") && (e = cli_u64_flag(&a, "valid-days", &days)) != MCGK_OK) ||
        (cli_has(&a, "scrypt-log2n") &&
         (e = cli_u64_flag(&a, "scrypt-log2n", &log2n)) != MCGK_OK))
        return cli_fail(e);
    if (period == 0 || days > 100000 || log2n > 20 ||
        strlen(uri) >= MCGK_KMS_URI_MAX) {
        fprintf(stderr, "--period must be > 0, --valid-days <= 100000, --kms-uri shorter "
                        "than %d octets\n",
                MCGK_KMS_URI_MAX);
        return cli_fail(MCGK_ERR_USAGE);
    }
    mcgk_kms_cert *tmpl = calloc(1, sizeof *tmpl);
    mcgk_kms_cert *cert = calloc(1, sizeof *cert);
    if (tmpl == NULL || cert == NULL) {
        free(tmpl);
        free(cert);
        return cli_fail(MCGK_ERR_NO_MEMORY);
    }
    snprintf(tmpl->kms_uri, sizeof tmpl->kms_uri, "%s", uri);
    if (cli_get(&a, "cert-uri"))
        snprintf(tmpl->cert_uri, sizeof tmpl->cert_uri, "%s", cli_get(&a, "cert-uri"));
    if (cli_get(&a, "issuer"))
        snprintf(tmpl->issuer, sizeof tmpl->issuer, "%s", cli_get(&a, "issuer"));
    tmpl->user_key_period_s = period;
    tmpl->user_key_offset_s = offset;
    uint64_t now = mcgk_now_unix_s();
    if (days > 0) {
        tmpl->has_valid_from = tmpl->has_valid_to = 1;
        tmpl->valid_from_unix_s = now;
        tmpl->valid_to_unix_s = now + days * 86400;
    }
    char dir[SHELL_PATH_MAX];
    mcgk_kms_store *s = NULL;
    shell_kek kek;
    memset(&kek, 0, sizeof kek);
    uint8_t z[MCGK_SAKKE_FP_LEN], ksak[MCGK_ECCSI_SCALAR_LEN];
    e = split_list(cli_get(&a, "domains"), tmpl->domains, MCGK_KMS_MAX_DOMAINS,
                   &tmpl->n_domains);
    if (e == MCGK_OK)
        e = open_store(&a, 1, dir, &s);
    if (e == MCGK_OK) {
        mcgk_kms_community_row *row = malloc(sizeof *row);
        e = row == NULL ? MCGK_ERR_NO_MEMORY : s->ops->community_get(s, row);
        free(row);
        if (e == MCGK_OK) {
            fprintf(stderr, "a KMS community already exists in %s\n", dir);
            e = MCGK_ERR_EXISTS;
        } else if (e == MCGK_ERR_NOT_FOUND) {
            e = MCGK_OK;
        }
    }
    if (e == MCGK_OK)
        e = shell_kek_resolve(&a, dir, 1, &kek);
    if (e == MCGK_OK)
        e = mcgk_kms_generate(tmpl, mcgk_rng_system(), cert, z, ksak);
    if (e == MCGK_OK)
        e = mcgk_kms_store_init_community(s, &kek.src, (uint8_t)log2n, cert, z, ksak, now,
                                          mcgk_rng_system());
    mcgk_wipe(z, sizeof z);
    mcgk_wipe(ksak, sizeof ksak);
    if (e == MCGK_OK) {
        char q[MCGK_KMS_URI_MAX + 8];
        mcgk_log(MCGK_LOG_INFO, "kms", "init", "kms=%s period=%" PRIu64 " offset=%" PRIu64
                 " sealing=%s", mcgk_log_quote(cert->kms_uri, q, sizeof q), period, offset,
                 kek.src.key_file ? "key-file" : "passphrase");
        printf("kms_uri = %s\n", cert->kms_uri);
        printf("user_key_period = %" PRIu64 "\n", period);
        printf("user_key_offset = %" PRIu64 "\n", offset);
        if (cert->has_valid_from)
            print_time("valid_from", cert->valid_from_unix_s);
        if (cert->has_valid_to)
            print_time("valid_to", cert->valid_to_unix_s);
        cli_print_hex("kpak", cert->pub_auth_key, sizeof cert->pub_auth_key);
        cli_print_hex("Z", cert->pub_enc_key, sizeof cert->pub_enc_key);
        printf("data_dir = %s\n", dir);
        if (kek.src.key_file)
            printf("key_file = %s\n", kek.src.key_file);
    }
    shell_kek_clear(&kek);
    mcgk_kms_store_close(s);
    free(tmpl);
    free(cert);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ================================ serve ================================ */

/* "HOST:PORT", "[V6]:PORT" or "PORT" */
static mcgk_err parse_listen(const char *s, char *host, size_t cap, uint16_t *port)
{
    const char *colon = NULL;
    const char *h = s;
    size_t hl = 0;
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (rb == NULL || rb[1] != ':')
            return MCGK_ERR_USAGE;
        h = s + 1;
        hl = (size_t)(rb - s - 1);
        colon = rb + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL) {
            h = "127.0.0.1";
            hl = strlen(h);
            colon = s - 1;
        } else {
            hl = (size_t)(colon - s);
        }
    }
    if (hl == 0 || hl >= cap)
        return MCGK_ERR_USAGE;
    memcpy(host, h, hl);
    host[hl] = '\0';
    char *end = NULL;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (end == colon + 1 || *end != '\0' || p > 65535)
        return MCGK_ERR_USAGE;
    *port = (uint16_t)p;
    return MCGK_OK;
}

static const char help_serve[] =
    "usage: mcgk kms serve [--listen HOST:PORT] [--tls-cert PEM] [--tls-key PEM]\n"
    "                      [--threads N] [--max-future-periods N] [--max-past-periods N]\n"
    "                      [--port-file FILE] [--data-dir DIR] [--key-file PATH |\n"
    "                      --passphrase-file PATH] [--log-level LEVEL]\n\n"
    "Serves the KMS interface of TS 33.180 Annex D over HTTPS (TLS 1.2 or 1.3):\n"
    "  POST /keymanagement/identity/v1/init                   the KMS certificate\n"
    "  POST /keymanagement/identity/v1/keyprov                key set, current period\n"
    "  POST /keymanagement/identity/v1/keyprov/URI            key set of identity URI\n"
    "  POST /keymanagement/identity/v1/keyprov/URI/NTPHEX     ... for the period of that time\n"
    "  POST /keymanagement/identity/v1/certcache[/N]          partner KMS certificates\n"
    "Each body is a KmsRequest; each answer a KmsResponse (a KmsError on failure).\n"
    "Callers authenticate with 'Authorization: Bearer TOKEN' (see 'mcgk kms user').\n\n"
    "  --listen HOST:PORT      address to bind (numeric; [v6]:port), default\n"
    "                          127.0.0.1:8443; port 0 picks a free port\n"
    "  --tls-cert PEM          server certificate chain, default DATA_DIR/tls.crt\n"
    "  --tls-key PEM           its private key, default DATA_DIR/tls.key\n"
    "  --threads N             worker threads, default the number of CPUs\n"
    "  --max-future-periods N  key periods ahead a client may fetch, default 1\n"
    "  --max-past-periods N    key periods back a client may fetch, default 1\n"
    "  --port-file FILE        write the bound port number to FILE once listening\n"
    SHELL_COMMON_HELP SHELL_KEK_HELP
    "\nLogs one line per request (user, identity, key period, status; never keys).\n"
    "Stops cleanly on SIGTERM or SIGINT.\n";

static int run_serve(int argc, char **argv)
{
    FLAGS({"listen", 1}, {"tls-cert", 1}, {"tls-key", 1}, {"threads", 1},
          {"max-future-periods", 1}, {"max-past-periods", 1}, {"port-file", 1},
          SHELL_COMMON_FLAGS, SHELL_KEK_FLAGS);
    char host[256];
    uint16_t port = 8443;
    uint64_t threads = 0, fut = 1, past = 1;
    const char *listen = cli_get(&a, "listen");
    if (listen != NULL && parse_listen(listen, host, sizeof host, &port) != MCGK_OK) {
        fprintf(stderr, "--listen: want HOST:PORT, [V6ADDR]:PORT or PORT\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    if (listen == NULL)
        snprintf(host, sizeof host, "127.0.0.1");
    if ((cli_has(&a, "threads") && (e = cli_u64_flag(&a, "threads", &threads)) != MCGK_OK) ||
        (cli_has(&a, "max-future-periods") &&
         (e = cli_u64_flag(&a, "max-future-periods", &fut)) != MCGK_OK) ||
        (cli_has(&a, "max-past-periods") &&
         (e = cli_u64_flag(&a, "max-past-periods", &past)) != MCGK_OK))
        return cli_fail(e);
    if (threads > 256 || fut > 1000 || past > 1000) {
        fprintf(stderr, "--threads <= 256, --max-*-periods <= 1000\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    char dir[SHELL_PATH_MAX], cert_path[SHELL_PATH_MAX], key_path[SHELL_PATH_MAX];
    mcgk_kms_store *store = NULL;
    mcgk_kms *kms = NULL;
    mcgk_kms_server *ks = NULL;
    shell_kek kek;
    memset(&kek, 0, sizeof kek);
    mcgk_kms_cert *cert = calloc(1, sizeof *cert);
    uint8_t z[MCGK_SAKKE_FP_LEN], ksak[MCGK_ECCSI_SCALAR_LEN];
    mcgk_http_server *http = NULL;
    e = cert ? open_store(&a, 0, dir, &store) : MCGK_ERR_NO_MEMORY;
    if (e == MCGK_OK)
        e = shell_kek_resolve(&a, dir, 0, &kek);
    if (e == MCGK_OK) {
        e = mcgk_kms_store_load_community(store, &kek.src, cert, z, ksak);
        if (e == MCGK_ERR_UNSEAL)
            fprintf(stderr, "cannot unseal the master secrets: wrong key file or passphrase\n");
        else if (e == MCGK_ERR_UNSUPPORTED)
            fprintf(stderr, "the store was sealed with the other kind of key "
                            "(key file vs passphrase)\n");
        else if (e == MCGK_ERR_NOT_FOUND)
            fprintf(stderr, "no KMS community in %s (run 'mcgk kms init')\n", dir);
    }
    shell_kek_clear(&kek);
    if (e == MCGK_OK) {
        mcgk_kms_policy pol = {(uint32_t)fut, (uint32_t)past};
        e = mcgk_kms_new(cert, z, ksak, &pol, &kms);
    }
    mcgk_wipe(z, sizeof z);
    mcgk_wipe(ksak, sizeof ksak);
    if (e == MCGK_OK) {
        const char *c = cli_get(&a, "tls-cert"), *k = cli_get(&a, "tls-key");
        e = c ? (snprintf(cert_path, sizeof cert_path, "%s", c), MCGK_OK)
              : shell_path(dir, "tls.crt", cert_path);
        if (e == MCGK_OK)
            e = k ? (snprintf(key_path, sizeof key_path, "%s", k), MCGK_OK)
                  : shell_path(dir, "tls.key", key_path);
    }
    if (e == MCGK_OK)
        e = mcgk_kms_server_new(kms, store, NULL, NULL, &ks);
    if (e == MCGK_OK) {
        shell_signals_block(); /* before the server's threads exist */
        mcgk_http_server_config hc;
        memset(&hc, 0, sizeof hc);
        hc.host = host;
        hc.port = port;
        hc.tls_cert_path = cert_path;
        hc.tls_key_path = key_path;
        hc.threads = (unsigned)threads;
        hc.max_body_len = MCGK_KMS_REQUEST_MAX_LEN;
        hc.handler = mcgk_kms_server_handle;
        hc.refuse = mcgk_kms_server_refuse;
        hc.ctx = ks;
        e = mcgk_http_server_start(&hc, &http);
        if (e != MCGK_OK)
            fprintf(stderr, "cannot start HTTPS on %s:%u (certificate %s, key %s)\n", host,
                    (unsigned)port, cert_path, key_path);
    }
    if (e == MCGK_OK && cli_get(&a, "port-file") != NULL) {
        char buf[16];
        int n = snprintf(buf, sizeof buf, "%u\n", (unsigned)mcgk_http_server_port(http));
        e = mcgk_file_write_private(cli_get(&a, "port-file"), buf, (size_t)n, 0);
    }
    if (e == MCGK_OK) {
        char q[MCGK_KMS_URI_MAX + 8];
        mcgk_log(MCGK_LOG_INFO, "kms", "listening",
                 "kms=%s addr=%s port=%u period=%" PRIu64 " offset=%" PRIu64 " partners=%zu",
                 mcgk_log_quote(cert->kms_uri, q, sizeof q), host,
                 (unsigned)mcgk_http_server_port(http), cert->user_key_period_s,
                 cert->user_key_offset_s, mcgk_kms_server_partner_count(ks));
        int sig = shell_signal_wait(-1);
        mcgk_log(MCGK_LOG_INFO, "kms", "stopping", "signal=%d", sig);
    }
    mcgk_http_server_stop(http);
    mcgk_kms_server_free(ks);
    mcgk_kms_free(kms);
    mcgk_kms_store_close(store);
    free(cert);
    if (e == MCGK_OK)
        mcgk_log(MCGK_LOG_INFO, "kms", "stopped", NULL);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ================================ user ================================ */

static mcgk_err emit_token(const cli_args *a, const char *token)
{
    const char *out = cli_get(a, "token-out");
    if (out == NULL) {
        printf("token = %s\n", token);
        return MCGK_OK;
    }
    char line[MCGK_KMS_TOKEN_LEN + 2];
    snprintf(line, sizeof line, "%s\n", token);
    mcgk_err e = mcgk_file_write_private(out, line, strlen(line), 0);
    mcgk_wipe(line, sizeof line);
    if (e != MCGK_OK)
        fprintf(stderr, "cannot write %s\n", out);
    else
        printf("token_file = %s\n", out);
    return e;
}

static const char help_user[] =
    "usage: mcgk kms user add URI [--role user|gms] [--identities URI1,URI2]\n"
    "                             [--token-out FILE]\n"
    "       mcgk kms user list\n"
    "       mcgk kms user revoke URI\n"
    "       mcgk kms user grant URI IDENTITY\n"
    "       mcgk kms user token URI [--token-out FILE]\n"
    "       (each with [--data-dir DIR] [--log-level LEVEL])\n\n"
    "Manages who may fetch keys. Every user has one access token (bearer, 32 random\n"
    "octets as 64 hex characters), shown exactly once - on stdout as 'token = ...',\n"
    "or written to FILE (mode 0600) with --token-out - and stored only as its SHA-256.\n"
    "Only that token gets that user's key sets. Changes apply to a running server at\n"
    "once.\n\n"
    "  add URI           record a user (an MC service user ID, or a GMS URI with\n"
    "                    --role gms) and create its token\n"
    "  --identities L    further identities the user may fetch keys for, e.g. the\n"
    "                    group identities a GMS manages (comma-separated)\n"
    "  list              URI, role, status, created, identities\n"
    "  revoke URI        refuse every further request of that user (403)\n"
    "  grant URI ID      allow URI to fetch the keys of identity ID too\n"
    "  token URI         replace the user's token (the old one stops working) and\n"
    "                    reinstate a revoked user\n";

static int user_add(int argc, char **argv)
{
    FLAGS({"role", 1}, {"identities", 1}, {"token-out", 1}, SHELL_COMMON_FLAGS);
    if (a.npositional != 1) {
        fprintf(stderr, "usage: mcgk kms user add URI [options]\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    const char *uri = a.positional[0];
    const char *role = cli_get(&a, "role");
    mcgk_kms_user *u = calloc(1, sizeof *u);
    if (u == NULL)
        return cli_fail(MCGK_ERR_NO_MEMORY);
    if (role == NULL || strcmp(role, "user") == 0) {
        u->role = MCGK_KMS_ROLE_USER;
    } else if (strcmp(role, "gms") == 0) {
        u->role = MCGK_KMS_ROLE_GMS;
    } else {
        free(u);
        fprintf(stderr, "--role: user or gms\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    if (uri[0] == '\0' || strlen(uri) >= sizeof u->uri) {
        free(u);
        fprintf(stderr, "URI empty or too long\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    snprintf(u->uri, sizeof u->uri, "%s", uri);
    e = split_list(cli_get(&a, "identities"), u->identities, MCGK_KMS_MAX_IDENTITIES,
                   &u->n_identities);
    char dir[SHELL_PATH_MAX];
    char token[MCGK_KMS_TOKEN_LEN + 1];
    mcgk_kms_store *s = NULL;
    if (e == MCGK_OK)
        e = open_store(&a, 0, dir, &s);
    if (e == MCGK_OK)
        e = mcgk_kms_token_new(mcgk_rng_system(), token);
    if (e == MCGK_OK)
        e = mcgk_kms_token_hash(token, MCGK_KMS_TOKEN_LEN, u->token_hash);
    if (e == MCGK_OK) {
        u->created_unix_s = mcgk_now_unix_s();
        e = s->ops->user_add(s, u);
        if (e == MCGK_ERR_EXISTS)
            fprintf(stderr, "user %s exists (use 'mcgk kms user token' for a new token)\n",
                    uri);
    }
    if (e == MCGK_OK) {
        char q[MCGK_KMS_URI_MAX + 8];
        mcgk_log(MCGK_LOG_INFO, "kms", "user-added", "user=%s role=%s identities=%zu",
                 mcgk_log_quote(uri, q, sizeof q), u->role == MCGK_KMS_ROLE_GMS ? "gms" : "user",
                 u->n_identities);
        printf("user = %s\nrole = %s\n", uri, u->role == MCGK_KMS_ROLE_GMS ? "gms" : "user");
        e = emit_token(&a, token);
    }
    mcgk_wipe(token, sizeof token);
    mcgk_kms_store_close(s);
    free(u);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

static int print_user(void *ctx, const mcgk_kms_user *u)
{
    (void)ctx;
    char t[MCGK_KMS_DATETIME_LEN] = "-";
    mcgk_xsd_datetime_format(u->created_unix_s, t);
    printf("%-40s %-5s %-8s %-20s ", u->uri, u->role == MCGK_KMS_ROLE_GMS ? "gms" : "user",
           u->revoked ? "revoked" : "active", t);
    if (u->n_identities == 0)
        printf("-");
    for (size_t i = 0; i < u->n_identities; i++)
        printf("%s%s", i ? "," : "", u->identities[i]);
    printf("\n");
    return 0;
}

static int user_list(int argc, char **argv)
{
    FLAGS(SHELL_COMMON_FLAGS);
    char dir[SHELL_PATH_MAX];
    mcgk_kms_store *s = NULL;
    e = open_store(&a, 0, dir, &s);
    if (e == MCGK_OK) {
        printf("%-40s %-5s %-8s %-20s %s\n", "URI", "ROLE", "STATUS", "CREATED", "IDENTITIES");
        e = s->ops->user_list(s, print_user, NULL);
    }
    mcgk_kms_store_close(s);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

static int user_revoke(int argc, char **argv)
{
    FLAGS(SHELL_COMMON_FLAGS);
    if (a.npositional != 1) {
        fprintf(stderr, "usage: mcgk kms user revoke URI\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    char dir[SHELL_PATH_MAX];
    mcgk_kms_store *s = NULL;
    e = open_store(&a, 0, dir, &s);
    if (e == MCGK_OK)
        e = s->ops->user_revoke(s, a.positional[0], mcgk_now_unix_s());
    if (e == MCGK_ERR_UNKNOWN_USER)
        fprintf(stderr, "no user %s\n", a.positional[0]);
    if (e == MCGK_OK) {
        char q[MCGK_KMS_URI_MAX + 8];
        mcgk_log(MCGK_LOG_INFO, "kms", "user-revoked", "user=%s",
                 mcgk_log_quote(a.positional[0], q, sizeof q));
        printf("revoked = %s\n", a.positional[0]);
    }
    mcgk_kms_store_close(s);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

static int user_grant(int argc, char **argv)
{
    FLAGS(SHELL_COMMON_FLAGS);
    if (a.npositional != 2 || strlen(a.positional[1]) >= MCGK_KMS_URI_MAX ||
        a.positional[1][0] == '\0') {
        fprintf(stderr, "usage: mcgk kms user grant URI IDENTITY\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    char dir[SHELL_PATH_MAX];
    mcgk_kms_store *s = NULL;
    e = open_store(&a, 0, dir, &s);
    if (e == MCGK_OK)
        e = s->ops->user_grant(s, a.positional[0], a.positional[1]);
    if (e == MCGK_ERR_UNKNOWN_USER)
        fprintf(stderr, "no user %s\n", a.positional[0]);
    if (e == MCGK_OK) {
        char q1[MCGK_KMS_URI_MAX + 8], q2[MCGK_KMS_URI_MAX + 8];
        mcgk_log(MCGK_LOG_INFO, "kms", "identity-granted", "user=%s identity=%s",
                 mcgk_log_quote(a.positional[0], q1, sizeof q1),
                 mcgk_log_quote(a.positional[1], q2, sizeof q2));
        printf("granted = %s\n", a.positional[1]);
    }
    mcgk_kms_store_close(s);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

static int user_token(int argc, char **argv)
{
    FLAGS({"token-out", 1}, SHELL_COMMON_FLAGS);
    if (a.npositional != 1) {
        fprintf(stderr, "usage: mcgk kms user token URI [--token-out FILE]\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    char dir[SHELL_PATH_MAX];
    char token[MCGK_KMS_TOKEN_LEN + 1];
    uint8_t hash[MCGK_KMS_TOKEN_HASH_LEN];
    mcgk_kms_store *s = NULL;
    e = open_store(&a, 0, dir, &s);
    if (e == MCGK_OK)
        e = mcgk_kms_token_new(mcgk_rng_system(), token);
    if (e == MCGK_OK)
        e = mcgk_kms_token_hash(token, MCGK_KMS_TOKEN_LEN, hash);
    if (e == MCGK_OK)
        e = s->ops->user_set_token(s, a.positional[0], hash);
    if (e == MCGK_ERR_UNKNOWN_USER)
        fprintf(stderr, "no user %s\n", a.positional[0]);
    if (e == MCGK_OK) {
        char q[MCGK_KMS_URI_MAX + 8];
        mcgk_log(MCGK_LOG_INFO, "kms", "token-replaced", "user=%s",
                 mcgk_log_quote(a.positional[0], q, sizeof q));
        printf("user = %s\n", a.positional[0]);
        e = emit_token(&a, token);
    }
    mcgk_wipe(token, sizeof token);
    mcgk_kms_store_close(s);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

static const cli_verb k_user_verbs[] = {
    {"add", "record a user and create its access token", user_add, help_user},
    {"list", "list users", user_list, help_user},
    {"revoke", "revoke a user", user_revoke, help_user},
    {"grant", "let a user fetch the keys of a further identity", user_grant, help_user},
    {"token", "replace a user's access token", user_token, help_user},
};

static int run_user(int argc, char **argv)
{
    return cli_dispatch("kms user", "Users of the KMS and their access tokens.", k_user_verbs,
                        sizeof k_user_verbs / sizeof k_user_verbs[0], argc - 1, argv + 1);
}

/* ================================ trust ================================ */

static const char help_trust[] =
    "usage: mcgk kms trust CERT.xml      store a partner KMS certificate\n"
    "       mcgk kms trust --list        list them\n"
    "       mcgk kms trust --remove URI  remove the one of KMS URI\n"
    "       (each with [--data-dir DIR] [--log-level LEVEL])\n\n"
    "Partner systems exchange their KMS certificates (the domain parameters, seed\n"
    "004) so that a client can check signers of the partner system. CERT.xml is the\n"
    "partner's KmsCertificate document ('mcgk kms cert' on the partner) or its init\n"
    "response. It must be in the KMS interface namespace, use UserIdFormat 2 and\n"
    "parameter set 1, be within its validity, and carry a valid Z. It is served with\n"
    "Role External by certcache; replacing or removing one bumps the cache number.\n";

static int print_partner(void *ctx, const mcgk_kms_partner_row *row)
{
    (void)ctx;
    char t[MCGK_KMS_DATETIME_LEN] = "-";
    mcgk_xsd_datetime_format(row->added_unix_s, t);
    printf("%-40s %s\n", row->kms_uri, t);
    return 0;
}

static int run_trust(int argc, char **argv)
{
    FLAGS({"list", 0}, {"remove", 1}, SHELL_COMMON_FLAGS);
    char dir[SHELL_PATH_MAX];
    mcgk_kms_store *s = NULL;
    int list = cli_has(&a, "list");
    const char *remove = cli_get(&a, "remove");
    if (list + (remove != NULL) + (a.npositional == 1) != 1 || a.npositional > 1) {
        fprintf(stderr, "usage: mcgk kms trust CERT.xml | --list | --remove KMS-URI\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    e = open_store(&a, 0, dir, &s);
    if (e == MCGK_OK && list) {
        printf("%-40s %s\n", "KMS URI", "ADDED");
        e = s->ops->partner_list(s, print_partner, NULL);
    } else if (e == MCGK_OK && remove != NULL) {
        e = s->ops->partner_remove(s, remove);
        if (e == MCGK_ERR_NOT_FOUND)
            fprintf(stderr, "no partner certificate of %s\n", remove);
        else if (e == MCGK_OK)
            printf("removed = %s\n", remove);
    } else if (e == MCGK_OK) {
        uint8_t *xml = NULL;
        size_t len = 0;
        mcgk_kms_cert *pc = calloc(1, sizeof *pc), *own = calloc(1, sizeof *own);
        mcgk_kms_community_row *row = malloc(sizeof *row);
        mcgk_kms_partner_row *prow = calloc(1, sizeof *prow);
        char *enc = NULL;
        size_t enc_len = 0;
        e = pc && own && row && prow ? MCGK_OK : MCGK_ERR_NO_MEMORY;
        if (e == MCGK_OK) {
            e = mcgk_file_read(a.positional[0], MCGK_KMS_RESPONSE_MAX_LEN, &xml, &len);
            if (e != MCGK_OK)
                fprintf(stderr, "cannot read %s\n", a.positional[0]);
        }
        if (e == MCGK_OK) {
            e = mcgk_kms_cert_parse(xml, len, pc);
            if (e != MCGK_OK)
                fprintf(stderr, "%s: not a usable KmsCertificate\n", a.positional[0]);
        }
        if (e == MCGK_OK) {
            e = mcgk_kms_cert_check(pc, mcgk_now_unix_s());
            if (e != MCGK_OK)
                fprintf(stderr, "%s: certificate refused\n", a.positional[0]);
        }
        if (e == MCGK_OK) {
            e = mcgk_kms_cert_keys_check(pc);
            if (e != MCGK_OK)
                fprintf(stderr, "%s: PubEncKey / PubAuthKey is not a valid point\n",
                        a.positional[0]);
        }
        if (e == MCGK_OK)
            e = s->ops->community_get(s, row);
        if (e == MCGK_OK)
            e = mcgk_kms_cert_parse((const uint8_t *)row->cert_xml, strlen(row->cert_xml), own);
        if (e == MCGK_OK && strcmp(own->kms_uri, pc->kms_uri) == 0) {
            fprintf(stderr, "that is this KMS's own certificate\n");
            e = MCGK_ERR_WRONG_KMS;
        }
        if (e == MCGK_OK) {
            snprintf(pc->role, sizeof pc->role, "External");
            e = mcgk_kms_cert_encode(pc, &enc, &enc_len);
        }
        if (e == MCGK_OK && enc_len >= sizeof prow->cert_xml)
            e = MCGK_ERR_OVERSIZED;
        if (e == MCGK_OK) {
            memcpy(prow->kms_uri, pc->kms_uri, sizeof prow->kms_uri);
            memcpy(prow->cert_xml, enc, enc_len + 1);
            prow->added_unix_s = mcgk_now_unix_s();
            e = s->ops->partner_put(s, prow);
        }
        if (e == MCGK_OK) {
            char q[MCGK_KMS_URI_MAX + 8];
            mcgk_log(MCGK_LOG_INFO, "kms", "partner-trusted", "kms=%s",
                     mcgk_log_quote(pc->kms_uri, q, sizeof q));
            printf("trusted = %s\n", pc->kms_uri);
        }
        mcgk_kms_xml_free(enc, enc_len);
        mcgk_file_free(xml, len);
        free(pc);
        free(own);
        free(row);
        free(prow);
    }
    mcgk_kms_store_close(s);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ================================ cert ================================ */

static const char help_cert[] =
    "usage: mcgk kms cert [--out FILE] [--data-dir DIR]\n\n"
    "Prints this KMS's certificate (a KmsCertificate document, public) - to give to a\n"
    "partner system ('mcgk kms trust' there) or to pin in clients. With --out it is\n"
    "written to FILE instead.\n";

static int run_cert(int argc, char **argv)
{
    FLAGS({"out", 1}, SHELL_COMMON_FLAGS);
    char dir[SHELL_PATH_MAX];
    mcgk_kms_store *s = NULL;
    mcgk_kms_community_row *row = malloc(sizeof *row);
    e = row ? open_store(&a, 0, dir, &s) : MCGK_ERR_NO_MEMORY;
    if (e == MCGK_OK)
        e = s->ops->community_get(s, row);
    if (e == MCGK_ERR_NOT_FOUND)
        fprintf(stderr, "no KMS community in %s\n", dir);
    if (e == MCGK_OK) {
        const char *out = cli_get(&a, "out");
        if (out != NULL) {
            e = mcgk_file_write_private(out, row->cert_xml, strlen(row->cert_xml), 0);
            if (e != MCGK_OK)
                fprintf(stderr, "cannot write %s\n", out);
        } else {
            fputs(row->cert_xml, stdout);
        }
    }
    mcgk_kms_store_close(s);
    free(row);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ================================ role ================================ */

static const cli_verb k_verbs[] = {
    {"init", "create a KMS community (master secrets, certificate)", run_init, help_init},
    {"serve", "serve TS 33.180 Annex D over HTTPS", run_serve, help_serve},
    {"user", "add | list | revoke | grant | token", run_user, help_user},
    {"trust", "store, list or remove partner KMS certificates", run_trust, help_trust},
    {"cert", "print this KMS's certificate", run_cert, help_cert},
};

int mcgk_cmd_kms(int argc, char **argv)
{
    return cli_dispatch("kms",
                        "The Key Management Server (TS 33.180 §5.3, Annex D): issues every "
                        "user's and GMS's\nkey sets (RSK, SSK, PVT) per key period over HTTPS.",
                        k_verbs, sizeof k_verbs / sizeof k_verbs[0], argc, argv);
}
