/*
 * Unit tests of the sans-I/O KMS core (mcgk/kms.h): community creation,
 * key-set issuance and its validation by a client (TS 33.180 §5.3,
 * RFC 6507 §5.1.2, RFC 6508 §6.1.2), routing of the Annex D resources,
 * every KmsError path with its HTTP status, and the seed requirements of
 * section A that the KMS side carries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/kms.h"
#include "test.h"

#define KMS_URI "kms.example.org"
#define ALICE "sip:alice@example.org"
#define BOB "sip:bob@example.org"
#define GMS "sip:gms@example.org"
#define GROUP "sip:group1@example.org"
#define PERIOD 3600u
#define NOW 1714564800u /* 2024-05-01T12:00:00Z */

static mcgk_test_prng g_prng;
static mcgk_rng g_rng;
static mcgk_kms_cert g_cert;
static uint8_t g_z[MCGK_SAKKE_FP_LEN], g_ksak[MCGK_ECCSI_SCALAR_LEN];
static mcgk_kms *g_kms;
static mcgk_sakke_community *g_community;

static const char k_token_alice[] = "alice-token";
static const char k_token_gms[] = "gms-token";

static void setup(void)
{
    g_rng = mcgk_test_prng_init(&g_prng, 2024);
    mcgk_kms_cert tmpl;
    memset(&tmpl, 0, sizeof tmpl);
    snprintf(tmpl.kms_uri, sizeof tmpl.kms_uri, KMS_URI);
    tmpl.user_key_period_s = PERIOD;
    tmpl.user_key_offset_s = 0;
    if (mcgk_kms_generate(&tmpl, &g_rng, &g_cert, g_z, g_ksak) != MCGK_OK ||
        mcgk_kms_new(&g_cert, g_z, g_ksak, NULL, &g_kms) != MCGK_OK ||
        mcgk_sakke_community_new(g_cert.pub_enc_key, &g_community) != MCGK_OK) {
        fprintf(stderr, "setup failed\n");
        exit(2);
    }
}

static void user_row(mcgk_kms_user *u, const char *uri, const char *token)
{
    memset(u, 0, sizeof *u);
    snprintf(u->uri, sizeof u->uri, "%s", uri);
    mcgk_kms_token_hash(token, strlen(token), u->token_hash);
}

static char *request_xml(const char *user, const char *kms)
{
    mcgk_kms_request r;
    memset(&r, 0, sizeof r);
    snprintf(r.user_uri, sizeof r.user_uri, "%s", user);
    snprintf(r.kms_uri, sizeof r.kms_uri, "%s", kms);
    snprintf(r.client_req_url, sizeof r.client_req_url, "https://kms/x");
    r.time_unix_s = NOW;
    char *xml = NULL;
    size_t len = 0;
    if (mcgk_kms_request_encode(&r, &xml, &len) != MCGK_OK)
        abort();
    return xml;
}

static uint64_t period_of(uint64_t unix_s)
{
    return (unix_s + MCGK_NTP_UNIX_OFFSET_S) / PERIOD;
}

/* One full call through both steps; returns the outcome, reply filled. */
static mcgk_err do_call(const char *method, const char *path, const char *auth,
                        const char *body_user, const char *body_kms, const mcgk_kms_user *user,
                        uint64_t now, mcgk_kms_reply *reply)
{
    char *xml = request_xml(body_user, body_kms);
    mcgk_kms_call call;
    mcgk_err e = mcgk_kms_call_parse(method, path, auth, (const uint8_t *)xml, strlen(xml),
                                     &call);
    mcgk_kms_xml_free(xml, strlen(xml));
    if (e != MCGK_OK)
        return mcgk_kms_error_reply(g_kms, &call, e, now, reply);
    return mcgk_kms_call_answer(g_kms, &call, user, NULL, 0, 1, now, &g_rng, reply);
}

static void parse_reply(const mcgk_kms_reply *reply, mcgk_kms_response *r)
{
    CHECK_OK(mcgk_kms_response_parse((const uint8_t *)reply->body, reply->body_len, r));
}

/* ---- community ---- */

static void test_community(void)
{
    CHECK(mcgk_kms_certificate(g_kms) != NULL);
    CHECK(strcmp(mcgk_kms_certificate(g_kms)->kms_uri, KMS_URI) == 0);
    CHECK(g_cert.user_id_format == 2 && g_cert.parameter_set == 1);
    CHECK_OK(mcgk_kms_cert_check(&g_cert, NOW));
    /* the secrets must match the certificate */
    uint8_t z2[MCGK_SAKKE_FP_LEN];
    memcpy(z2, g_z, sizeof z2);
    z2[127] ^= 1;
    mcgk_kms *k = NULL;
    CHECK_ERR(mcgk_kms_new(&g_cert, z2, g_ksak, NULL, &k), MCGK_ERR_KEYSET_MISMATCH);
    uint8_t ks2[MCGK_ECCSI_SCALAR_LEN];
    memcpy(ks2, g_ksak, sizeof ks2);
    ks2[31] ^= 1;
    CHECK_ERR(mcgk_kms_new(&g_cert, g_z, ks2, NULL, &k), MCGK_ERR_KEYSET_MISMATCH);
    mcgk_kms_cert c = g_cert;
    c.user_id_format = 3;
    CHECK_ERR(mcgk_kms_new(&c, g_z, g_ksak, NULL, &k), MCGK_ERR_UNSUPPORTED);
    c = g_cert;
    c.parameter_set = 2;
    CHECK_ERR(mcgk_kms_new(&c, g_z, g_ksak, NULL, &k), MCGK_ERR_UNSUPPORTED);
    c = g_cert;
    c.user_key_period_s = 0;
    CHECK_ERR(mcgk_kms_new(&c, g_z, g_ksak, NULL, &k), MCGK_ERR_MALFORMED);
    c = g_cert;
    c.revoked = 1;
    CHECK_ERR(mcgk_kms_new(&c, g_z, g_ksak, NULL, &k), MCGK_ERR_REVOKED);
    CHECK_ERR(mcgk_kms_new(NULL, g_z, g_ksak, NULL, &k), MCGK_ERR_INVALID_ARG);
    mcgk_kms_free(NULL);
    /* generate refuses an empty URI or period */
    mcgk_kms_cert tmpl;
    memset(&tmpl, 0, sizeof tmpl);
    tmpl.user_key_period_s = 60;
    CHECK_ERR(mcgk_kms_generate(&tmpl, &g_rng, &c, z2, ks2), MCGK_ERR_INVALID_ARG);
    snprintf(tmpl.kms_uri, sizeof tmpl.kms_uri, "k");
    tmpl.user_key_period_s = 0;
    CHECK_ERR(mcgk_kms_generate(&tmpl, &g_rng, &c, z2, ks2), MCGK_ERR_INVALID_ARG);
    tmpl.user_key_period_s = 60;
    CHECK_ERR(mcgk_kms_generate(&tmpl, NULL, &c, z2, ks2), MCGK_ERR_RNG);
}

static void test_cert_check(void)
{
    mcgk_kms_cert c = g_cert;
    c.has_valid_from = c.has_valid_to = 1;
    c.valid_from_unix_s = NOW;
    c.valid_to_unix_s = NOW + 10;
    CHECK_OK(mcgk_kms_cert_check(&c, NOW));
    CHECK_ERR(mcgk_kms_cert_check(&c, NOW - 1), MCGK_ERR_VALIDITY);
    CHECK_ERR(mcgk_kms_cert_check(&c, NOW + 10), MCGK_ERR_VALIDITY);
    c = g_cert;
    c.kms_uri[0] = '\0';
    CHECK_ERR(mcgk_kms_cert_check(&c, NOW), MCGK_ERR_MALFORMED);
    CHECK_ERR(mcgk_kms_cert_check(NULL, NOW), MCGK_ERR_INVALID_ARG);
    uint64_t n, s, e;
    CHECK_OK(mcgk_kms_cert_period(&g_cert, 7200 + 5, &n, &s, &e));
    CHECK(n == 2 && s == 7200 && e == 10800);
    c = g_cert;
    c.user_key_offset_s = 100;
    CHECK_ERR(mcgk_kms_cert_period(&c, 50, &n, NULL, NULL), MCGK_ERR_PERIOD);
    c.user_key_period_s = 0;
    CHECK_ERR(mcgk_kms_cert_period(&c, 500, &n, NULL, NULL), MCGK_ERR_INVALID_ARG);
    c = g_cert;
    c.user_key_period_s = UINT64_MAX / 2;
    CHECK_ERR(mcgk_kms_cert_period(&c, UINT64_MAX - 1, &n, NULL, NULL), MCGK_ERR_PERIOD);
}

/* ---- issuance and the client's checks ---- */

/* R-001-03 / R-003-03: identity-specific key material, valid only for that identity */
static void test_R_001_03_keys_are_identity_specific(void)
{
    uint64_t n = period_of(NOW);
    mcgk_kms_keyset a, b;
    CHECK_OK(mcgk_kms_issue(g_kms, ALICE, n, &g_rng, &a));
    CHECK_OK(mcgk_kms_issue(g_kms, BOB, n, &g_rng, &b));
    uint8_t uid[MCGK_UID_LEN];
    CHECK_OK(mcgk_uid(ALICE, strlen(ALICE), KMS_URI, strlen(KMS_URI), PERIOD, 0, n, uid));
    CHECK_MEM(a.user_id, uid, MCGK_UID_LEN);
    CHECK_OK(mcgk_kms_keyset_check(&g_cert, g_community, &a, ALICE, n));
    CHECK_OK(mcgk_kms_keyset_check(&g_cert, g_community, &b, BOB, n));
    /* Alice's keys do not pass as Bob's */
    mcgk_kms_keyset x = a;
    snprintf(x.user_uri, sizeof x.user_uri, BOB);
    CHECK_ERR(mcgk_kms_keyset_check(&g_cert, g_community, &x, BOB, n),
              MCGK_ERR_KEYSET_MISMATCH);
    /* Bob's UID with Alice's SSK/PVT, then Alice's RSK */
    x = b;
    memcpy(x.ssk, a.ssk, sizeof x.ssk);
    memcpy(x.pvt, a.pvt, sizeof x.pvt);
    CHECK_ERR(mcgk_kms_keyset_check(&g_cert, g_community, &x, BOB, n), MCGK_ERR_SSK_INVALID);
    x = b;
    memcpy(x.rsk, a.rsk, sizeof x.rsk);
    CHECK_ERR(mcgk_kms_keyset_check(&g_cert, g_community, &x, BOB, n), MCGK_ERR_RSK_INVALID);
    mcgk_kms_keyset_clear(&a);
    mcgk_kms_keyset_clear(&b);
}

static void test_keyset_check_paths(void)
{
    uint64_t n = period_of(NOW);
    mcgk_kms_keyset a, x;
    CHECK_OK(mcgk_kms_issue(g_kms, ALICE, n, &g_rng, &a));
    CHECK(a.has_valid_from && a.has_valid_to);
    CHECK(a.valid_to_unix_s - a.valid_from_unix_s == PERIOD);
    CHECK(a.valid_from_unix_s <= NOW && NOW < a.valid_to_unix_s);
    x = a;
    snprintf(x.kms_uri, sizeof x.kms_uri, "kms.other.org");
    CHECK_ERR(mcgk_kms_keyset_check(&g_cert, g_community, &x, ALICE, n), MCGK_ERR_WRONG_KMS);
    CHECK_ERR(mcgk_kms_keyset_check(&g_cert, g_community, &a, ALICE, n + 1),
              MCGK_ERR_KEYSET_MISMATCH);
    CHECK_OK(mcgk_kms_keyset_check(&g_cert, g_community, &a, ALICE, UINT64_MAX));
    x = a;
    x.user_id[0] ^= 1;
    CHECK_ERR(mcgk_kms_keyset_check(&g_cert, g_community, &x, ALICE, n),
              MCGK_ERR_KEYSET_MISMATCH);
    x = a;
    x.revoked = 1;
    CHECK_ERR(mcgk_kms_keyset_check(&g_cert, g_community, &x, ALICE, n), MCGK_ERR_REVOKED);
    x = a;
    x.pvt[0] = 0x02;
    CHECK_ERR(mcgk_kms_keyset_check(&g_cert, g_community, &x, ALICE, n),
              MCGK_ERR_POINT_FORMAT);
    x = a;
    x.rsk[0] = 0x05;
    CHECK_ERR(mcgk_kms_keyset_check(&g_cert, g_community, &x, ALICE, n),
              MCGK_ERR_POINT_FORMAT);
    CHECK_ERR(mcgk_kms_keyset_check(NULL, g_community, &a, ALICE, n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_kms_issue(g_kms, "", n, &g_rng, &x), MCGK_ERR_IDENTITY);
    CHECK_ERR(mcgk_kms_issue(NULL, ALICE, n, &g_rng, &x), MCGK_ERR_INVALID_ARG);
    mcgk_test_fixed_rng empty;
    mcgk_rng dry = mcgk_test_fixed_rng_init(&empty, NULL, 0); /* fails at once */
    CHECK_ERR(mcgk_kms_issue(g_kms, ALICE, n, &dry, &x), MCGK_ERR_RNG);
    mcgk_kms_keyset_clear(&a);
}

/* ---- routing (step 1) ---- */

static void test_call_parse_routes(void)
{
    char *xml = request_xml(ALICE, KMS_URI);
    size_t len = strlen(xml);
    const uint8_t *b = (const uint8_t *)xml;
    mcgk_kms_call c;
    CHECK_OK(mcgk_kms_call_parse("POST", "/keymanagement/identity/v1/init", NULL, b, len, &c));
    CHECK(c.endpoint == MCGK_KMS_EP_INIT && !c.has_token);
    CHECK_OK(mcgk_kms_call_parse("POST", "/keymanagement/identity/v1/keyprov", "Bearer t", b,
                                 len, &c));
    CHECK(c.endpoint == MCGK_KMS_EP_KEYPROV && strcmp(c.identity_uri, ALICE) == 0);
    CHECK(c.has_token && !c.has_time);
    uint8_t h[32];
    mcgk_kms_token_hash("t", 1, h);
    CHECK_MEM(c.token_hash, h, 32);
    CHECK_OK(mcgk_kms_call_parse("POST",
                                 "/keymanagement/identity/v1/keyprov/sip%3Agroup1%40example.org",
                                 "bearer   t  ", b, len, &c));
    CHECK(strcmp(c.identity_uri, GROUP) == 0 && c.has_token);
    CHECK_MEM(c.token_hash, h, 32);
    CHECK_OK(mcgk_kms_call_parse(
        "POST", "/keymanagement/identity/v1/keyprov/sip%3Auser%40example.org/D6B4323200000000",
        NULL, b, len, &c));
    CHECK(c.has_time && c.time_ntp_s == 0xD6B4323200000000ull);
    CHECK_OK(mcgk_kms_call_parse("POST", "/keymanagement/identity/v1/certcache", NULL, b, len,
                                 &c));
    CHECK(c.endpoint == MCGK_KMS_EP_CERTCACHE && !c.has_cache_num);
    CHECK_OK(mcgk_kms_call_parse("POST", "/keymanagement/identity/v1/certcache/17?x=1", NULL, b,
                                 len, &c));
    CHECK(c.has_cache_num && c.cache_num == 17);
    /* other schemes are no token */
    CHECK_OK(mcgk_kms_call_parse("POST", "/keymanagement/identity/v1/init", "Basic dTpw", b, len,
                                 &c));
    CHECK(!c.has_token);
    CHECK_OK(mcgk_kms_call_parse("POST", "/keymanagement/identity/v1/init", "Bearer ", b, len,
                                 &c));
    CHECK(!c.has_token);
    CHECK_OK(mcgk_kms_call_parse("POST", "/keymanagement/identity/v1/init", "Bearerx", b, len,
                                 &c));
    CHECK(!c.has_token);
    mcgk_kms_xml_free(xml, len);
}

static void test_call_parse_errors(void)
{
    char *xml = request_xml(ALICE, KMS_URI);
    size_t len = strlen(xml);
    const uint8_t *b = (const uint8_t *)xml;
    mcgk_kms_call c;
    const char *not_found[] = {"/", "/keymanagement/identity/v2/init",
                               "/keymanagement/identity/v1", "/keymanagement/identity/v1/",
                               "/keymanagement/identity/v1/initx", "/keymanagement/identity/v1/init/x",
                               "/keymanagement/identity/v1/keyprov/", "/keymanagement/identity/v1/keyprov/a/b/c",
                               "/keymanagement/identity/v1/certcache/1/2", "/x/keymanagement/identity/v1/init"};
    for (size_t i = 0; i < sizeof not_found / sizeof not_found[0]; i++)
        if (mcgk_kms_call_parse("POST", not_found[i], NULL, b, len, &c) != MCGK_ERR_NOT_FOUND)
            mcgk_test_fail(__FILE__, __LINE__, "%s routed", not_found[i]);
    CHECK_ERR(mcgk_kms_call_parse("GET", "/keymanagement/identity/v1/init", NULL, b, len, &c),
              MCGK_ERR_METHOD);
    const char *bad[] = {"/keymanagement/identity/v1/keyprov/sip%3", "/keymanagement/identity/v1/keyprov/sip%zz",
                         "/keymanagement/identity/v1/keyprov/a%00b", "/keymanagement/identity/v1/keyprov/a/XYZ",
                         "/keymanagement/identity/v1/keyprov/a/00000000000000000", "/keymanagement/identity/v1/certcache/x1",
                         "/keymanagement/identity/v1/certcache/99999999999999999999", "/keymanagement/identity/v1/keyprov/a/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mcgk_err e = mcgk_kms_call_parse("POST", bad[i], NULL, b, len, &c);
        if (e != MCGK_ERR_MALFORMED && !(i == 7 && e == MCGK_ERR_NOT_FOUND))
            mcgk_test_fail(__FILE__, __LINE__, "%s: %s", bad[i], mcgk_err_name(e));
    }
    char longp[2000];
    int o = snprintf(longp, sizeof longp, "/keymanagement/identity/v1/keyprov/");
    memset(longp + o, 'a', 700);
    longp[o + 700] = '\0';
    CHECK_ERR(mcgk_kms_call_parse("POST", longp, NULL, b, len, &c), MCGK_ERR_MALFORMED);
    CHECK_ERR(mcgk_kms_call_parse("POST", "/keymanagement/identity/v1/init", NULL, NULL, 0, &c),
              MCGK_ERR_XML_MISSING);
    CHECK_ERR(mcgk_kms_call_parse("POST", "/keymanagement/identity/v1/init", NULL,
                                  (const uint8_t *)"<x/>", 4, &c),
              MCGK_ERR_XML_NAMESPACE);
    CHECK_ERR(mcgk_kms_call_parse(NULL, "/", NULL, b, len, &c), MCGK_ERR_INVALID_ARG);
    mcgk_kms_xml_free(xml, len);
}

/* ---- answers (step 2) ---- */

static void test_answer_init_and_keyprov(void)
{
    mcgk_kms_user alice;
    user_row(&alice, ALICE, k_token_alice);
    mcgk_kms_reply rep;
    mcgk_kms_response r;
    CHECK_OK(do_call("POST", "/keymanagement/identity/v1/init", "Bearer alice-token", ALICE,
                     "anything", &alice, NOW, &rep));
    CHECK(rep.http_status == 200 && rep.err == MCGK_OK);
    parse_reply(&rep, &r);
    CHECK(r.msg == MCGK_KMS_MSG_INIT && r.n_certs == 1);
    CHECK(memcmp(r.certs[0].pub_enc_key, g_cert.pub_enc_key, MCGK_SAKKE_POINT_LEN) == 0);
    CHECK(strcmp(r.user_uri, ALICE) == 0 && strcmp(r.kms_uri, KMS_URI) == 0);
    mcgk_kms_response_clear(&r);
    mcgk_kms_reply_clear(&rep);
    CHECK(rep.body == NULL);

    CHECK_OK(do_call("POST", "/keymanagement/identity/v1/keyprov", "Bearer alice-token", ALICE,
                     KMS_URI, &alice, NOW, &rep));
    CHECK(rep.http_status == 200 && rep.has_period && rep.period_no == period_of(NOW));
    parse_reply(&rep, &r);
    CHECK(r.msg == MCGK_KMS_MSG_KEYPROV && r.n_keysets == 1);
    CHECK_OK(mcgk_kms_keyset_check(&g_cert, g_community, &r.keysets[0], ALICE,
                                   period_of(NOW)));
    mcgk_kms_response_clear(&r);
    mcgk_kms_reply_clear(&rep);
}

static mcgk_err expect_error(const char *path, const char *auth, const char *body_user,
                             const char *body_kms, const mcgk_kms_user *user, uint64_t now,
                             int want_status, int line)
{
    mcgk_kms_reply rep;
    mcgk_err e = do_call("POST", path, auth, body_user, body_kms, user, now, &rep);
    if (rep.http_status != want_status)
        mcgk_test_fail(__FILE__, line, "%s: status %d, want %d (%s)", path, rep.http_status,
                       want_status, mcgk_err_name(e));
    if (rep.body != NULL) {
        mcgk_kms_response r;
        if (mcgk_kms_response_parse((const uint8_t *)rep.body, rep.body_len, &r) != MCGK_OK ||
            !r.has_error || r.error_code != (int64_t)e || rep.err != e)
            mcgk_test_fail(__FILE__, line, "%s: no KmsError %d", path, (int)e);
        else
            mcgk_kms_response_clear(&r);
    } else {
        mcgk_test_fail(__FILE__, line, "no body");
    }
    mcgk_kms_reply_clear(&rep);
    return e;
}
#define EXPECT(path, auth, bu, bk, user, now, status, want)                                  \
    CHECK_ERR(expect_error(path, auth, bu, bk, user, now, status, __LINE__), want)

static void test_answer_errors(void)
{
    mcgk_kms_user alice, revoked;
    user_row(&alice, ALICE, k_token_alice);
    user_row(&revoked, ALICE, k_token_alice);
    revoked.revoked = 1;
    const char *kp = "/keymanagement/identity/v1/keyprov";
    const char *auth = "Bearer alice-token";
    EXPECT(kp, auth, ALICE, KMS_URI, NULL, NOW, 403, MCGK_ERR_UNKNOWN_USER);
    EXPECT(kp, NULL, ALICE, KMS_URI, &alice, NOW, 401, MCGK_ERR_AUTH_MISSING);
    EXPECT(kp, "Bearer wrong", ALICE, KMS_URI, &alice, NOW, 401, MCGK_ERR_AUTH_FAILED);
    EXPECT(kp, auth, ALICE, KMS_URI, &revoked, NOW, 403, MCGK_ERR_REVOKED);
    EXPECT(kp, auth, ALICE, "kms.other.org", &alice, NOW, 400, MCGK_ERR_WRONG_KMS);
    EXPECT("/keymanagement/identity/v1/certcache", auth, ALICE, "kms.other.org", &alice, NOW, 400,
           MCGK_ERR_WRONG_KMS);
    /* another user's URI */
    EXPECT("/keymanagement/identity/v1/keyprov/sip%3Abob%40example.org", auth, ALICE, KMS_URI,
           &alice, NOW, 403, MCGK_ERR_FORBIDDEN);
    /* step-1 failures */
    EXPECT("/keymanagement/identity/v1/nothing", auth, ALICE, KMS_URI, &alice, NOW, 404,
           MCGK_ERR_NOT_FOUND);
    mcgk_kms_reply rep;
    CHECK_ERR(do_call("PUT", kp, auth, ALICE, KMS_URI, &alice, NOW, &rep), MCGK_ERR_METHOD);
    CHECK(rep.http_status == 405);
    mcgk_kms_reply_clear(&rep);
    /* a malformed body */
    mcgk_kms_call c;
    mcgk_err e = mcgk_kms_call_parse("POST", kp, auth, (const uint8_t *)"<KmsRequest", 11, &c);
    CHECK_ERR(e, MCGK_ERR_XML_SYNTAX);
    CHECK_ERR(mcgk_kms_error_reply(g_kms, &c, e, NOW, &rep), MCGK_ERR_XML_SYNTAX);
    CHECK(rep.http_status == 400 && rep.body != NULL);
    mcgk_kms_reply_clear(&rep);
    CHECK_ERR(mcgk_kms_error_reply(g_kms, NULL, MCGK_ERR_OVERSIZED, NOW, &rep),
              MCGK_ERR_OVERSIZED);
    CHECK(rep.http_status == 413);
    mcgk_kms_reply_clear(&rep);
    CHECK_ERR(mcgk_kms_error_reply(NULL, NULL, MCGK_ERR_IO, NOW, &rep), MCGK_ERR_IO);
    CHECK(rep.http_status == 500);
    mcgk_kms_reply_clear(&rep);
    CHECK_ERR(mcgk_kms_error_reply(g_kms, NULL, MCGK_OK, NOW, &rep), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_kms_call_answer(NULL, &c, &alice, NULL, 0, 0, NOW, &g_rng, &rep),
              MCGK_ERR_INVALID_ARG);
}

static void test_answer_periods(void)
{
    mcgk_kms_user alice;
    user_row(&alice, ALICE, k_token_alice);
    const char *auth = "Bearer alice-token";
    uint64_t now_ntp = NOW + MCGK_NTP_UNIX_OFFSET_S;
    char path[256];
    mcgk_kms_reply rep;
    mcgk_kms_response r;
    /* the next period: allowed (policy 1 ahead) */
    snprintf(path, sizeof path, "/keymanagement/identity/v1/keyprov/%s/%016llX",
             "sip%3Aalice%40example.org",
             (unsigned long long)(((now_ntp + PERIOD) & 0xffffffffu) << 32));
    CHECK_OK(do_call("POST", path, auth, ALICE, KMS_URI, &alice, NOW, &rep));
    CHECK(rep.period_no == period_of(NOW) + 1);
    parse_reply(&rep, &r);
    CHECK_OK(mcgk_kms_keyset_check(&g_cert, g_community, &r.keysets[0], ALICE,
                                   period_of(NOW) + 1));
    mcgk_kms_response_clear(&r);
    mcgk_kms_reply_clear(&rep);
    /* the previous period: allowed (policy 1 back) */
    snprintf(path, sizeof path, "/keymanagement/identity/v1/keyprov/%s/%016llX",
             "sip%3Aalice%40example.org",
             (unsigned long long)(((now_ntp - PERIOD) & 0xffffffffu) << 32));
    CHECK_OK(do_call("POST", path, auth, ALICE, KMS_URI, &alice, NOW, &rep));
    CHECK(rep.period_no == period_of(NOW) - 1);
    mcgk_kms_reply_clear(&rep);
    /* two ahead, two back: refused */
    snprintf(path, sizeof path, "/keymanagement/identity/v1/keyprov/%s/%016llX",
             "sip%3Aalice%40example.org",
             (unsigned long long)(((now_ntp + 2 * PERIOD) & 0xffffffffu) << 32));
    EXPECT(path, auth, ALICE, KMS_URI, &alice, NOW, 403, MCGK_ERR_PERIOD);
    snprintf(path, sizeof path, "/keymanagement/identity/v1/keyprov/%s/%016llX",
             "sip%3Aalice%40example.org",
             (unsigned long long)(((now_ntp - 2 * PERIOD) & 0xffffffffu) << 32));
    EXPECT(path, auth, ALICE, KMS_URI, &alice, NOW, 403, MCGK_ERR_PERIOD);
    /* a wider policy serves them */
    mcgk_kms_policy wide = {5, 5};
    mcgk_kms *k2 = NULL;
    CHECK_OK(mcgk_kms_new(&g_cert, g_z, g_ksak, &wide, &k2));
    char *xml = request_xml(ALICE, KMS_URI);
    mcgk_kms_call c;
    CHECK_OK(mcgk_kms_call_parse("POST", path, auth, (const uint8_t *)xml, strlen(xml), &c));
    CHECK_OK(mcgk_kms_call_answer(k2, &c, &alice, NULL, 0, 0, NOW, &g_rng, &rep));
    CHECK(rep.period_no == period_of(NOW) - 2);
    mcgk_kms_reply_clear(&rep);
    mcgk_kms_xml_free(xml, strlen(xml));
    mcgk_kms_free(k2);
    /* a time before the offset has no period */
    mcgk_kms_cert late = g_cert;
    late.user_key_offset_s = NOW + MCGK_NTP_UNIX_OFFSET_S + 100000;
    /* (the offset is checked by the period arithmetic; the cert check ignores it) */
    CHECK_ERR(mcgk_kms_new(&late, g_z, g_ksak, NULL, &k2), MCGK_OK);
    xml = request_xml(ALICE, KMS_URI);
    CHECK_OK(mcgk_kms_call_parse("POST", "/keymanagement/identity/v1/keyprov", auth,
                                 (const uint8_t *)xml, strlen(xml), &c));
    CHECK_ERR(mcgk_kms_call_answer(k2, &c, &alice, NULL, 0, 0, NOW, &g_rng, &rep),
              MCGK_ERR_PERIOD);
    CHECK(rep.http_status == 403);
    mcgk_kms_reply_clear(&rep);
    mcgk_kms_xml_free(xml, strlen(xml));
    mcgk_kms_free(k2);
}

/* R-000-02 / R-002-02: a Group Manager gets the keys of the group identities it manages,
 * and only those. */
static void test_R_000_02_R_002_02_gms_group_identity_needs_grant(void)
{
    mcgk_kms_user gms;
    user_row(&gms, GMS, k_token_gms);
    gms.role = MCGK_KMS_ROLE_GMS;
    const char *auth = "Bearer gms-token";
    const char *grp = "/keymanagement/identity/v1/keyprov/sip%3Agroup1%40example.org";
    EXPECT(grp, auth, GMS, KMS_URI, &gms, NOW, 403, MCGK_ERR_FORBIDDEN);
    gms.n_identities = 1;
    snprintf(gms.identities[0], sizeof gms.identities[0], GROUP);
    mcgk_kms_reply rep;
    mcgk_kms_response r;
    CHECK_OK(do_call("POST", grp, auth, GMS, KMS_URI, &gms, NOW, &rep));
    parse_reply(&rep, &r);
    CHECK(strcmp(r.keysets[0].user_uri, GROUP) == 0);
    CHECK_OK(mcgk_kms_keyset_check(&g_cert, g_community, &r.keysets[0], GROUP, period_of(NOW)));
    mcgk_kms_response_clear(&r);
    mcgk_kms_reply_clear(&rep);
    /* a user cannot ask for the group identity */
    mcgk_kms_user alice;
    user_row(&alice, ALICE, k_token_alice);
    EXPECT(grp, "Bearer alice-token", ALICE, KMS_URI, &alice, NOW, 403, MCGK_ERR_FORBIDDEN);
}

/* R-001-02 / R-003-02 / R-001-04: the GMS is provisioned for its own URI (the identity
 * authorised to create groups) and signs with the UID of that URI; another token cannot
 * fetch those keys. */
static void test_R_001_02_R_001_04_R_003_02_gms_keys_for_server_uri(void)
{
    mcgk_kms_user gms;
    user_row(&gms, GMS, k_token_gms);
    gms.role = MCGK_KMS_ROLE_GMS;
    mcgk_kms_reply rep;
    mcgk_kms_response r;
    CHECK_OK(do_call("POST", "/keymanagement/identity/v1/keyprov", "Bearer gms-token", GMS,
                     KMS_URI, &gms, NOW, &rep));
    parse_reply(&rep, &r);
    const mcgk_kms_keyset *ks = &r.keysets[0];
    CHECK_OK(mcgk_kms_keyset_check(&g_cert, g_community, ks, GMS, period_of(NOW)));
    uint8_t uid[MCGK_UID_LEN];
    CHECK_OK(mcgk_uid(GMS, strlen(GMS), KMS_URI, strlen(KMS_URI), PERIOD, 0, period_of(NOW),
                      uid));
    mcgk_eccsi_signer signer;
    CHECK_OK(mcgk_eccsi_signer_init(&signer, g_cert.pub_auth_key, uid, sizeof uid, ks->ssk,
                                    ks->pvt));
    uint8_t sig[MCGK_ECCSI_SIG_LEN];
    const uint8_t msg[] = "I_MESSAGE";
    CHECK_OK(mcgk_eccsi_sign(&signer, msg, sizeof msg, &g_rng, sig));
    CHECK_OK(mcgk_eccsi_verify(g_cert.pub_auth_key, uid, sizeof uid, msg, sizeof msg, sig));
    mcgk_eccsi_signer_clear(&signer);
    mcgk_kms_response_clear(&r);
    mcgk_kms_reply_clear(&rep);
    /* securely: Alice's token does not open the GMS's keys */
    EXPECT("/keymanagement/identity/v1/keyprov", "Bearer alice-token", GMS, KMS_URI, &gms, NOW,
           401, MCGK_ERR_AUTH_FAILED);
}

/* R-004-03: the KMS's certificate cache carries the partner KMS after the exchange */
/* R-004-03: a partner KMS certificate is trusted only with valid Z and KPAK points */
static void test_R_004_03_partner_cert_keys_checked(void)
{
    mcgk_kms_cert c = g_cert;
    CHECK_OK(mcgk_kms_cert_keys_check(&c));
    c.pub_enc_key[200] ^= 1;
    CHECK_ERR(mcgk_kms_cert_keys_check(&c), MCGK_ERR_POINT_NOT_ON_CURVE);
    c = g_cert;
    c.pub_auth_key[0] = 0x02;
    CHECK_ERR(mcgk_kms_cert_keys_check(&c), MCGK_ERR_POINT_FORMAT);
    c = g_cert;
    c.pub_auth_key[40] ^= 1;
    CHECK_ERR(mcgk_kms_cert_keys_check(&c), MCGK_ERR_POINT_NOT_ON_CURVE);
    memset(c.pub_auth_key + 1, 0, 64);
    CHECK_ERR(mcgk_kms_cert_keys_check(&c), MCGK_ERR_POINT_INFINITY);
    CHECK_ERR(mcgk_kms_cert_keys_check(NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_sakke_point_check(NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_point_check(NULL), MCGK_ERR_INVALID_ARG);
}

static void test_R_004_03_certcache_serves_partners(void)
{
    mcgk_kms_user alice;
    user_row(&alice, ALICE, k_token_alice);
    mcgk_kms_cert partners[2];
    partners[0] = g_cert;
    snprintf(partners[0].kms_uri, sizeof partners[0].kms_uri, "kms.partner.org");
    snprintf(partners[0].role, sizeof partners[0].role, "External");
    partners[1] = partners[0];
    snprintf(partners[1].kms_uri, sizeof partners[1].kms_uri, "kms.partner2.org");
    char *xml = request_xml(ALICE, KMS_URI);
    mcgk_kms_call c;
    mcgk_kms_reply rep;
    mcgk_kms_response r;
    CHECK_OK(mcgk_kms_call_parse("POST", "/keymanagement/identity/v1/certcache",
                                 "Bearer alice-token", (const uint8_t *)xml, strlen(xml), &c));
    CHECK_OK(mcgk_kms_call_answer(g_kms, &c, &alice, partners, 2, 7, NOW, &g_rng, &rep));
    parse_reply(&rep, &r);
    CHECK(r.msg == MCGK_KMS_MSG_CERTCACHE && r.n_certs == 2 && r.cache_num == 7);
    CHECK(strcmp(r.certs[1].kms_uri, "kms.partner2.org") == 0);
    CHECK(strcmp(r.certs[0].role, "External") == 0);
    mcgk_kms_response_clear(&r);
    mcgk_kms_reply_clear(&rep);
    /* a client holding cache 7 gets an empty cache; one holding 6 gets all */
    CHECK_OK(mcgk_kms_call_parse("POST", "/keymanagement/identity/v1/certcache/7",
                                 "Bearer alice-token", (const uint8_t *)xml, strlen(xml), &c));
    CHECK_OK(mcgk_kms_call_answer(g_kms, &c, &alice, partners, 2, 7, NOW, &g_rng, &rep));
    parse_reply(&rep, &r);
    CHECK(r.n_certs == 0 && r.cache_num == 7);
    mcgk_kms_response_clear(&r);
    mcgk_kms_reply_clear(&rep);
    CHECK_OK(mcgk_kms_call_parse("POST", "/keymanagement/identity/v1/certcache/6",
                                 "Bearer alice-token", (const uint8_t *)xml, strlen(xml), &c));
    CHECK_OK(mcgk_kms_call_answer(g_kms, &c, &alice, partners, 2, 7, NOW, &g_rng, &rep));
    parse_reply(&rep, &r);
    CHECK(r.n_certs == 2);
    mcgk_kms_response_clear(&r);
    mcgk_kms_reply_clear(&rep);
    mcgk_kms_xml_free(xml, strlen(xml));
}

static void test_http_status_and_tokens(void)
{
    CHECK(mcgk_kms_http_status(MCGK_OK) == 200);
    CHECK(mcgk_kms_http_status(MCGK_ERR_XML_DEPTH) == 400);
    CHECK(mcgk_kms_http_status(MCGK_ERR_AUTH_MISSING) == 401);
    CHECK(mcgk_kms_http_status(MCGK_ERR_PERIOD) == 403);
    CHECK(mcgk_kms_http_status(MCGK_ERR_NOT_FOUND) == 404);
    CHECK(mcgk_kms_http_status(MCGK_ERR_METHOD) == 405);
    CHECK(mcgk_kms_http_status(MCGK_ERR_OVERSIZED) == 413);
    CHECK(mcgk_kms_http_status(MCGK_ERR_RNG) == 500);
    char t1[MCGK_KMS_TOKEN_LEN + 1], t2[MCGK_KMS_TOKEN_LEN + 1];
    CHECK_OK(mcgk_kms_token_new(&g_rng, t1));
    CHECK_OK(mcgk_kms_token_new(&g_rng, t2));
    CHECK(strlen(t1) == MCGK_KMS_TOKEN_LEN && strcmp(t1, t2) != 0);
    CHECK_ERR(mcgk_kms_token_new(NULL, t1), MCGK_ERR_RNG);
    CHECK_ERR(mcgk_kms_token_new(&g_rng, NULL), MCGK_ERR_INVALID_ARG);
    /* SHA-256("abc") */
    uint8_t h[32];
    CHECK_OK(mcgk_kms_token_hash("abc", 3, h));
    uint8_t *want = mcgk_test_unhex(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", NULL);
    CHECK_MEM(h, want, 32);
    free(want);
    CHECK_ERR(mcgk_kms_token_hash(NULL, 0, h), MCGK_ERR_INVALID_ARG);
}

int main(void)
{
    setup();
    TEST_RUN(test_community);
    TEST_RUN(test_cert_check);
    TEST_RUN(test_R_001_03_keys_are_identity_specific);
    TEST_RUN(test_keyset_check_paths);
    TEST_RUN(test_call_parse_routes);
    TEST_RUN(test_call_parse_errors);
    TEST_RUN(test_answer_init_and_keyprov);
    TEST_RUN(test_answer_errors);
    TEST_RUN(test_answer_periods);
    TEST_RUN(test_R_000_02_R_002_02_gms_group_identity_needs_grant);
    TEST_RUN(test_R_001_02_R_001_04_R_003_02_gms_keys_for_server_uri);
    TEST_RUN(test_R_004_03_partner_cert_keys_checked);
    TEST_RUN(test_R_004_03_certcache_serves_partners);
    TEST_RUN(test_http_status_and_tokens);
    mcgk_kms_free(g_kms);
    mcgk_sakke_community_free(g_community);
    TEST_MAIN_END();
}
