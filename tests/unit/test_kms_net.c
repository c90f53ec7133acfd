/*
 * In-process tests of the HTTPS shells: the server (net/http_server.h) and
 * the client (net/http_client.h) on 127.0.0.1 with a certificate made by
 * the openssl tool, the KMS client calls (net/kms_client.h), and
 * provisioning against a fake KMS that serves bad material - which must be
 * refused, reported and not stored (TS 33.180 §5.3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/kms.h"
#include "mcgk/platform.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "net/kms_client.h"
#include "net/kms_server.h"
#include "store/store.h"
#include "test.h"

#define KMS_URI "kms.example.org"
#define ALICE "sip:alice@example.org"
#define TOKEN "alice-token"

static char g_dir[256], g_crt[300], g_key[300], g_other[300];
static mcgk_test_prng g_prng;
static mcgk_rng g_rng;
static mcgk_kms *g_kms;
static mcgk_kms_cert g_cert;

/* What the fake server does with each request. */
typedef enum mode {
    M_ECHO,          /* 200, the request body back */
    M_KMS,           /* the real KMS core */
    M_KMS_BAD_SSK,   /* the real core, then a flipped SSK bit */
    M_KMS_BAD_UID,   /* the real core, then another UserID */
    M_KMS_NO_KEYSET, /* the real core, then no key set */
    M_PLAIN_500,     /* 500 text/plain */
    M_ODD_ERROR,     /* a KmsError with an unknown code */
    M_BIG,           /* 200 with a 64 KiB body */
} mode;
static volatile mode g_mode;
static mcgk_kms_store *g_store;
static mcgk_kms_server *g_ks;

static void reply_text(mcgk_http_response *resp, int status, const char *text)
{
    resp->status = status;
    resp->content_type = "text/plain";
    resp->body_len = strlen(text);
    resp->body = malloc(resp->body_len + 1);
    memcpy(resp->body, text, resp->body_len + 1);
}

/* Re-encode the keyprov response in resp after fiddling with its key set. */
static void tamper(mcgk_http_response *resp, mode m)
{
    mcgk_kms_response r;
    if (mcgk_kms_response_parse(resp->body, resp->body_len, &r) != MCGK_OK || r.n_keysets != 1)
        return;
    if (m == M_KMS_BAD_SSK)
        r.keysets[0].ssk[31] ^= 1;
    else if (m == M_KMS_BAD_UID)
        r.keysets[0].user_id[5] ^= 1;
    else
        r.n_keysets = 0;
    char *xml = NULL;
    size_t len = 0;
    if (mcgk_kms_response_encode(&r, &xml, &len) == MCGK_OK) {
        mcgk_wipe(resp->body, resp->body_len);
        free(resp->body);
        resp->body = (uint8_t *)xml;
        resp->body_len = len;
    }
    mcgk_kms_response_clear(&r);
}

static void handler(void *ctx, const mcgk_http_request *req, mcgk_http_response *resp)
{
    (void)ctx;
    mode m = g_mode;
    switch (m) {
    case M_ECHO:
        resp->status = 200;
        resp->body_len = req->body_len;
        resp->body = malloc(req->body_len + 1);
        if (req->body_len)
            memcpy(resp->body, req->body, req->body_len);
        return;
    case M_PLAIN_500:
        reply_text(resp, 500, "boom");
        return;
    case M_ODD_ERROR: {
        mcgk_kms_reply rep;
        mcgk_kms_error_reply(g_kms, NULL, MCGK_ERR_IO, 0, &rep);
        char *p = strstr(rep.body, "<ErrorCode>");
        if (p != NULL)
            memcpy(p + 11, "9", 1); /* 23 -> 93: unknown to the client */
        resp->status = 500;
        resp->body = (uint8_t *)rep.body;
        resp->body_len = rep.body_len;
        return;
    }
    case M_BIG: {
        resp->status = 200;
        resp->body_len = 65536;
        resp->body = calloc(1, resp->body_len);
        return;
    }
    default:
        mcgk_kms_server_handle(g_ks, req, resp);
        if (m != M_KMS && strstr(req->path, "/keyprov") != NULL && resp->status == 200)
            tamper(resp, m);
        return;
    }
}

static void setup(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/mcgk-test-net-XXXXXX");
    if (mkdtemp(g_dir) == NULL)
        exit(2);
    snprintf(g_crt, sizeof g_crt, "%s/tls.crt", g_dir);
    snprintf(g_key, sizeof g_key, "%s/tls.key", g_dir);
    snprintf(g_other, sizeof g_other, "%s/other.crt", g_dir);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s "
             "-out %s -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
             ">/dev/null 2>&1 && openssl req -x509 -newkey ec -pkeyopt "
             "ec_paramgen_curve:P-256 -nodes -keyout %s/o.key -out %s -days 2 -subj "
             "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
             g_key, g_crt, g_dir, g_other);
    if (system(cmd) != 0) {
        fprintf(stderr, "openssl req failed\n");
        exit(2);
    }
    g_rng = mcgk_test_prng_init(&g_prng, 99);
    mcgk_kms_cert tmpl;
    uint8_t z[MCGK_SAKKE_FP_LEN], ksak[MCGK_ECCSI_SCALAR_LEN];
    memset(&tmpl, 0, sizeof tmpl);
    snprintf(tmpl.kms_uri, sizeof tmpl.kms_uri, KMS_URI);
    tmpl.user_key_period_s = 3600;
    char db[300];
    snprintf(db, sizeof db, "%s/kms.db", g_dir);
    mcgk_kms_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.uri, sizeof u.uri, ALICE);
    if (mcgk_kms_generate(&tmpl, &g_rng, &g_cert, z, ksak) != MCGK_OK ||
        mcgk_kms_new(&g_cert, z, ksak, NULL, &g_kms) != MCGK_OK ||
        mcgk_kms_store_open_sqlite(db, &g_store) != MCGK_OK ||
        mcgk_kms_token_hash(TOKEN, strlen(TOKEN), u.token_hash) != MCGK_OK ||
        g_store->ops->user_add(g_store, &u) != MCGK_OK ||
        mcgk_kms_server_new(g_kms, g_store, NULL, NULL, &g_ks) != MCGK_OK) {
        fprintf(stderr, "setup failed\n");
        exit(2);
    }
}

static mcgk_http_server *start_with(size_t max_body, mcgk_http_refusal refuse)
{
    mcgk_http_server_config c;
    memset(&c, 0, sizeof c);
    c.refuse = refuse;
    c.ctx = g_ks;
    c.host = "127.0.0.1";
    c.tls_cert_path = g_crt;
    c.tls_key_path = g_key;
    c.threads = 2;
    c.max_body_len = max_body;
    c.handler = handler;
    mcgk_http_server *s = NULL;
    CHECK_OK(mcgk_http_server_start(&c, &s));
    CHECK(mcgk_http_server_port(s) != 0);
    return s;
}

static mcgk_http_server *start(size_t max_body) { return start_with(max_body, NULL); }

static void url_of(const mcgk_http_server *s, const char *path, char *out, size_t cap)
{
    snprintf(out, cap, "https://127.0.0.1:%u%s", (unsigned)mcgk_http_server_port(s), path);
}

static void test_server_start_refusals(void)
{
    mcgk_http_server_config c;
    memset(&c, 0, sizeof c);
    mcgk_http_server *s = NULL;
    CHECK_ERR(mcgk_http_server_start(&c, &s), MCGK_ERR_INVALID_ARG);
    c.host = "127.0.0.1";
    c.tls_cert_path = g_crt;
    c.tls_key_path = "/nonexistent.key";
    c.max_body_len = 100;
    c.handler = handler;
    CHECK_ERR(mcgk_http_server_start(&c, &s), MCGK_ERR_IO);
    c.tls_key_path = g_key;
    c.host = "not-an-address";
    CHECK_ERR(mcgk_http_server_start(&c, &s), MCGK_ERR_INVALID_ARG);
    c.host = "127.0.0.1";
    c.tls_key_path = g_crt; /* a certificate is no key */
    CHECK_ERR(mcgk_http_server_start(&c, &s), MCGK_ERR_IO);
    mcgk_http_server_stop(NULL);
    CHECK(strcmp(mcgk_http_reason(404), "Not Found") == 0);
    CHECK(strcmp(mcgk_http_reason(299), "Status") == 0);
}

static void test_https_roundtrip_and_bounds(void)
{
    mcgk_http_server *s = start(1000);
    char url[256];
    url_of(s, "/echo", url, sizeof url);
    mcgk_http_client_opts o;
    memset(&o, 0, sizeof o);
    o.ca_file = g_crt;
    o.bearer = "t";
    int status = 0;
    uint8_t *body = NULL;
    size_t len = 0;
    g_mode = M_ECHO;
    CHECK_OK(mcgk_http_post(&o, url, NULL, (const uint8_t *)"hello", 5, &status, &body, &len));
    CHECK(status == 200 && len == 5 && memcmp(body, "hello", 5) == 0);
    mcgk_http_body_free(body, len);
    /* an empty body */
    CHECK_OK(mcgk_http_post(&o, url, "text/plain", NULL, 0, &status, &body, &len));
    CHECK(status == 200 && len == 0 && body != NULL);
    mcgk_http_body_free(body, len);
    /* a request body above the bound: 413 before it is read */
    uint8_t *big = calloc(1, 5000);
    CHECK_OK(mcgk_http_post(&o, url, NULL, big, 5000, &status, &body, &len));
    CHECK(status == 413);
    mcgk_http_body_free(body, len);
    free(big);
    /* ... and in the application's format when it gives a refusal hook: a KmsError */
    mcgk_http_server *s2 = start_with(1000, mcgk_kms_server_refuse);
    char url2[256];
    url_of(s2, "/keymanagement/identity/v1/keyprov", url2, sizeof url2);
    big = calloc(1, 5000);
    CHECK_OK(mcgk_http_post(&o, url2, NULL, big, 5000, &status, &body, &len));
    free(big);
    CHECK(status == 413);
    mcgk_kms_response kr;
    CHECK_OK(mcgk_kms_response_parse(body, len, &kr));
    CHECK(kr.has_error && kr.error_code == MCGK_ERR_OVERSIZED);
    mcgk_kms_response_clear(&kr);
    mcgk_http_body_free(body, len);
    mcgk_http_server_stop(s2);
    /* a response above the client's bound */
    g_mode = M_BIG;
    o.max_response_len = 1000;
    CHECK_ERR(mcgk_http_post(&o, url, NULL, (const uint8_t *)"x", 1, &status, &body, &len),
              MCGK_ERR_OVERSIZED);
    o.max_response_len = 0;
    CHECK_OK(mcgk_http_post(&o, url, NULL, (const uint8_t *)"x", 1, &status, &body, &len));
    CHECK(len == 65536);
    mcgk_http_body_free(body, len);
    /* TLS: another trust anchor is refused; a closed port is an I/O error */
    o.ca_file = g_other;
    CHECK_ERR(mcgk_http_post(&o, url, NULL, (const uint8_t *)"x", 1, &status, &body, &len),
              MCGK_ERR_TLS);
    o.ca_file = g_crt;
    o.timeout_ms = 2000;
    CHECK_ERR(mcgk_http_post(&o, "https://127.0.0.1:1/", NULL, (const uint8_t *)"x", 1, &status,
                             &body, &len),
              MCGK_ERR_IO);
    /* plain http is not spoken */
    CHECK_ERR(mcgk_http_post(&o, "http://127.0.0.1:1/", NULL, (const uint8_t *)"x", 1, &status,
                             &body, &len),
              MCGK_ERR_IO);
    CHECK_ERR(mcgk_http_post(&o, NULL, NULL, NULL, 0, &status, &body, &len),
              MCGK_ERR_INVALID_ARG);
    mcgk_http_server_stop(s);
}

static void test_kms_client_calls(void)
{
    mcgk_http_server *s = start(MCGK_KMS_REQUEST_MAX_LEN);
    char base[256];
    url_of(s, "", base, sizeof base);
    mcgk_kms_client c;
    memset(&c, 0, sizeof c);
    c.base_url = base;
    c.user_uri = ALICE;
    c.token = TOKEN;
    c.ca_file = g_crt;
    c.client_id = "unit";
    mcgk_kms_response r;
    g_mode = M_KMS;
    CHECK_OK(mcgk_kms_client_call(&c, "init", KMS_URI, 1714564800u, MCGK_KMS_MSG_INIT, &r));
    CHECK(r.n_certs == 1 && strcmp(r.certs[0].kms_uri, KMS_URI) == 0);
    mcgk_kms_response_clear(&r);
    /* the base URL may carry the root path already */
    char base2[300];
    snprintf(base2, sizeof base2, "%s" MCGK_KMS_ROOT_PATH "/", base);
    c.base_url = base2;
    CHECK_OK(mcgk_kms_client_call(&c, "certcache", KMS_URI, 1714564800u,
                                  MCGK_KMS_MSG_CERTCACHE, &r));
    mcgk_kms_response_clear(&r);
    c.base_url = base;
    /* a KmsError comes back as its code */
    CHECK_ERR(mcgk_kms_client_call(&c, "keyprov/sip%3Abob%40example.org", KMS_URI, 1714564800u,
                                   MCGK_KMS_MSG_KEYPROV, &r),
              MCGK_ERR_FORBIDDEN);
    /* the wrong kind of answer, a plain error page, an unknown error code */
    CHECK_ERR(mcgk_kms_client_call(&c, "init", KMS_URI, 1714564800u, MCGK_KMS_MSG_KEYPROV, &r),
              MCGK_ERR_PEER);
    g_mode = M_PLAIN_500;
    CHECK_ERR(mcgk_kms_client_call(&c, "init", KMS_URI, 1714564800u, MCGK_KMS_MSG_INIT, &r),
              MCGK_ERR_PEER);
    g_mode = M_ODD_ERROR;
    CHECK_ERR(mcgk_kms_client_call(&c, "init", KMS_URI, 1714564800u, MCGK_KMS_MSG_INIT, &r),
              MCGK_ERR_PEER);
    /* 200 with a body that is no KmsResponse: its parse error */
    g_mode = M_ECHO;
    CHECK_ERR(mcgk_kms_client_call(&c, "init", KMS_URI, 1714564800u, MCGK_KMS_MSG_INIT, &r),
              MCGK_ERR_XML_UNKNOWN);
    CHECK_ERR(mcgk_kms_client_call(NULL, "init", KMS_URI, 0, MCGK_KMS_MSG_INIT, &r),
              MCGK_ERR_INVALID_ARG);
    char longurl[3000];
    memset(longurl, 'a', sizeof longurl - 1);
    longurl[sizeof longurl - 1] = '\0';
    c.base_url = longurl;
    CHECK_ERR(mcgk_kms_client_call(&c, "init", KMS_URI, 0, MCGK_KMS_MSG_INIT, &r),
              MCGK_ERR_INVALID_ARG);
    mcgk_http_server_stop(s);
}

static mcgk_client_store *client_store(const char *name, uint8_t dek[MCGK_SEAL_KEY_LEN])
{
    char db[300];
    snprintf(db, sizeof db, "%s/%s", g_dir, name);
    mcgk_client_store *cs = NULL;
    CHECK_OK(mcgk_client_store_open_sqlite(db, &cs));
    mcgk_seal_kek_source pw = {NULL, "pw", 2};
    CHECK_OK(mcgk_client_store_unlock(cs, &pw, 10, &g_rng, dek));
    return cs;
}

static int count_keysets(void *ctx, const mcgk_client_keyset_row *row)
{
    (void)row;
    (*(int *)ctx)++;
    return 0;
}

/* TS 33.180 §5.3: validate before installing; bad material is refused and not stored */
static void test_provision_refuses_bad_material(void)
{
    mcgk_http_server *s = start(MCGK_KMS_REQUEST_MAX_LEN);
    char base[256];
    url_of(s, "", base, sizeof base);
    mcgk_kms_client c;
    memset(&c, 0, sizeof c);
    c.base_url = base;
    c.user_uri = ALICE;
    c.token = TOKEN;
    c.ca_file = g_crt;
    uint8_t dek[MCGK_SEAL_KEY_LEN];
    mcgk_client_store *cs = client_store("client.db", dek);
    mcgk_provision_result res;
    uint64_t now = mcgk_now_unix_s(); /* the server answers for its own clock */
    const mode bad[] = {M_KMS_BAD_SSK, M_KMS_BAD_UID, M_KMS_NO_KEYSET};
    const mcgk_err want[] = {MCGK_ERR_SSK_INVALID, MCGK_ERR_KEYSET_MISMATCH,
                             MCGK_ERR_KEYSET_MISMATCH};
    for (size_t i = 0; i < 3; i++) {
        g_mode = bad[i];
        CHECK_ERR(mcgk_kms_provision(&c, NULL, cs, dek, now, &g_rng, &res), want[i]);
        int n = 0;
        CHECK_OK(cs->ops->keyset_list(cs, count_keysets, &n));
        CHECK(n == 0);
    }
    /* the real KMS: stored, then nothing new on a second run; next period on request */
    g_mode = M_KMS;
    mcgk_provision_opts po;
    memset(&po, 0, sizeof po);
    po.prefetch_s = 3599;
    CHECK_OK(mcgk_kms_provision(&c, &po, cs, dek, now, &g_rng, &res));
    CHECK(res.fetched == 2 && res.have_next && strcmp(res.kms_uri, KMS_URI) == 0);
    CHECK(res.next_run_unix_s > now);
    CHECK_OK(mcgk_kms_provision(&c, &po, cs, dek, now, &g_rng, &res));
    CHECK(res.fetched == 0);
    mcgk_kms_keyset ks;
    CHECK_OK(mcgk_client_keys_at(cs, dek, ALICE, NULL, now + MCGK_NTP_UNIX_OFFSET_S, &ks));
    mcgk_kms_keyset_clear(&ks);
    /* an identity the KMS will not serve: the KMS's code, nothing stored for it */
    const char *ids[] = {"sip:bob@example.org"};
    po.identities = ids;
    po.n_identities = 1;
    CHECK_ERR(mcgk_kms_provision(&c, &po, cs, dek, now, &g_rng, &res), MCGK_ERR_FORBIDDEN);
    CHECK_ERR(mcgk_kms_provision(NULL, &po, cs, dek, now, &g_rng, &res), MCGK_ERR_INVALID_ARG);
    mcgk_client_store_close(cs);
    mcgk_http_server_stop(s);
}

int main(void)
{
    setup();
    TEST_RUN(test_server_start_refusals);
    TEST_RUN(test_https_roundtrip_and_bounds);
    TEST_RUN(test_kms_client_calls);
    TEST_RUN(test_provision_refuses_bad_material);
    mcgk_kms_server_free(g_ks);
    mcgk_kms_store_close(g_store);
    mcgk_kms_free(g_kms);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_dir);
    TEST_MAIN_END();
}
