/*
 * Unit tests for the GMS's sans-I/O decisions (mcgk/gms.h): names, backoff,
 * the delivery state machine, rotation planning, key parameters, current
 * GMKs, the member's document, the members' messages (opened by the real
 * receiver checklist), the HTTPS pull request parser. Requirement IDs from
 * seed-requirements.md sections C-H in the test names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/eccsi.h"
#include "mcgk/gms.h"
#include "mcgk/kdf.h"
#include "mcgk/sakke.h"
#include "test.h"

#define NOW 1700000000ull
#define GMS_URI "sip:gms@example.org"
#define ALICE "sip:alice@example.org"
#define BOB "sip:bob@example.org"
#define PGMS "sip:gms@partner.example.net"
#define GROUP_A "sip:group-a@example.org"
#define GROUP_B "sip:group-b@example.org"
#define KMS_A "kms.example.org"
#define KMS_B "kms.partner.example.net"
#define PERIOD 86400

static mcgk_test_prng g_prng;
static mcgk_rng g_rng;

/* ---- fixtures: two KMSs, the GMS and members with keys for the period of NOW ---- */

typedef struct kms_fx {
    const char *uri;
    uint8_t z[MCGK_SAKKE_FP_LEN], Z[MCGK_SAKKE_POINT_LEN];
    uint8_t ksak[MCGK_ECCSI_SCALAR_LEN], kpak[MCGK_ECCSI_POINT_LEN];
    mcgk_sakke_community *community;
    mcgk_gmk_kms kms;
} kms_fx;

typedef struct user_fx {
    const char *uri;
    const kms_fx *k;
    uint8_t uid[MCGK_UID_LEN];
    mcgk_sakke_receiver *receiver;
    mcgk_eccsi_signer signer;
    mcgk_gmk_own_keys own;
} user_fx;

static kms_fx g_ka, g_kb;
static user_fx g_gms, g_alice, g_bob, g_pgms;

static void kms_init(kms_fx *k, const char *uri)
{
    k->uri = uri;
    CHECK_OK(mcgk_sakke_kms_keygen(&g_rng, k->z, k->Z));
    CHECK_OK(mcgk_eccsi_kms_keygen(&g_rng, k->ksak, k->kpak));
    CHECK_OK(mcgk_sakke_community_new(k->Z, &k->community));
    k->kms.kms_uri = uri;
    k->kms.period_s = PERIOD;
    k->kms.offset_s = 0;
    k->kms.kpak = k->kpak;
    k->kms.community = k->community;
}

static void user_init(user_fx *u, const char *uri, const kms_fx *k)
{
    uint64_t period = 0;
    u->uri = uri;
    u->k = k;
    CHECK_OK(mcgk_key_period_no(NOW + MCGK_NTP_UNIX_OFFSET_S, PERIOD, 0, &period));
    CHECK_OK(mcgk_uid(uri, strlen(uri), k->uri, strlen(k->uri), PERIOD, 0, period, u->uid));
    uint8_t rsk[MCGK_SAKKE_POINT_LEN], ssk[MCGK_ECCSI_SCALAR_LEN], pvt[MCGK_ECCSI_POINT_LEN];
    CHECK_OK(mcgk_sakke_rsk_issue(k->z, sizeof k->z, u->uid, MCGK_UID_LEN, rsk));
    CHECK_OK(mcgk_sakke_receiver_new(k->community, u->uid, MCGK_UID_LEN, rsk, &u->receiver));
    CHECK_OK(mcgk_eccsi_issue(k->ksak, u->uid, MCGK_UID_LEN, &g_rng, ssk, pvt));
    CHECK_OK(mcgk_eccsi_signer_init(&u->signer, k->kpak, u->uid, MCGK_UID_LEN, ssk, pvt));
    u->own.period_no = period;
    u->own.receiver = u->receiver;
    mcgk_wipe(rsk, sizeof rsk);
    mcgk_wipe(ssk, sizeof ssk);
}

static void setup(void)
{
    g_rng = mcgk_test_prng_init(&g_prng, 5);
    kms_init(&g_ka, KMS_A);
    kms_init(&g_kb, KMS_B);
    user_init(&g_gms, GMS_URI, &g_ka);
    user_init(&g_alice, ALICE, &g_ka);
    user_init(&g_bob, BOB, &g_ka);
    user_init(&g_pgms, PGMS, &g_kb);
}

static void teardown(void)
{
    user_fx *us[] = {&g_gms, &g_alice, &g_bob, &g_pgms};
    for (size_t i = 0; i < 4; i++) {
        mcgk_sakke_receiver_free(us[i]->receiver);
        mcgk_eccsi_signer_clear(&us[i]->signer);
    }
    mcgk_sakke_community_free(g_ka.community);
    mcgk_sakke_community_free(g_kb.community);
}

/* ---- names ---- */

static void test_names(void)
{
    CHECK_OK(mcgk_gms_check_group_id(GROUP_A));
    CHECK_OK(mcgk_gms_check_group_id("Feuerwehr-\xc3\xa4"));
    CHECK_ERR(mcgk_gms_check_group_id(NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gms_check_group_id(""), MCGK_ERR_INVALID_ARG);
    char big[300];
    memset(big, 'g', sizeof big);
    big[MCGK_GMS_GROUP_ID_MAX + 1] = '\0';
    CHECK_ERR(mcgk_gms_check_group_id(big), MCGK_ERR_INVALID_ARG);
    big[MCGK_GMS_GROUP_ID_MAX] = '\0';
    CHECK_OK(mcgk_gms_check_group_id(big));
    CHECK_ERR(mcgk_gms_check_group_id("a,b"), MCGK_ERR_MALFORMED);
    CHECK_ERR(mcgk_gms_check_group_id("a b"), MCGK_ERR_MALFORMED);
    CHECK_ERR(mcgk_gms_check_group_id("a\nb"), MCGK_ERR_MALFORMED);
    CHECK_ERR(mcgk_gms_check_group_id("a\x7f"), MCGK_ERR_MALFORMED);
    CHECK_ERR(mcgk_gms_check_group_id("\xc0\xaf"), MCGK_ERR_MALFORMED);     /* overlong */
    CHECK_ERR(mcgk_gms_check_group_id("\xed\xa0\x80"), MCGK_ERR_MALFORMED); /* surrogate */
    CHECK_ERR(mcgk_gms_check_group_id("\xc2\x85"), MCGK_ERR_MALFORMED);     /* C1 control */
    CHECK_ERR(mcgk_gms_check_group_id("\xe2\x82"), MCGK_ERR_MALFORMED);     /* cut short */
    CHECK_ERR(mcgk_gms_check_group_id("\xff"), MCGK_ERR_MALFORMED);
    CHECK_OK(mcgk_gms_check_uri(ALICE));
    CHECK_OK(mcgk_gms_check_uri("tel:+4477001234"));
    CHECK_OK(mcgk_gms_check_uri("sips:x@y"));
    CHECK_ERR(mcgk_gms_check_uri("http://x"), MCGK_ERR_MALFORMED);
    CHECK_ERR(mcgk_gms_check_uri("sip:"), MCGK_ERR_MALFORMED);
    CHECK_ERR(mcgk_gms_check_uri("sip:a b"), MCGK_ERR_MALFORMED);
    CHECK_ERR(mcgk_gms_check_uri(""), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gms_check_uri(NULL), MCGK_ERR_INVALID_ARG);
    CHECK(strcmp(mcgk_gms_job_kind_name(MCGK_GMS_JOB_REVOKE), "revoke") == 0);
    CHECK(mcgk_gms_job_kind_name(9) == NULL);
    int st = -1;
    CHECK_OK(mcgk_gms_dlv_state_parse("confirmed", &st));
    CHECK(st == MCGK_GMS_DLV_CONFIRMED);
    CHECK(strcmp(mcgk_gms_dlv_state_name(st), "confirmed") == 0);
    CHECK(mcgk_gms_dlv_state_name(7) == NULL && mcgk_gms_dlv_state_name(-1) == NULL);
    CHECK_ERR(mcgk_gms_dlv_state_parse("lost", &st), MCGK_ERR_MALFORMED);
    CHECK_ERR(mcgk_gms_dlv_state_parse(NULL, &st), MCGK_ERR_INVALID_ARG);
}

/* ---- backoff and the delivery state machine ---- */

static void test_backoff_doubles_to_cap(void)
{
    mcgk_gms_retry p = {100, 1000, 5};
    CHECK(mcgk_gms_backoff_ms(&p, 1) == 100);
    CHECK(mcgk_gms_backoff_ms(&p, 2) == 200);
    CHECK(mcgk_gms_backoff_ms(&p, 3) == 400);
    CHECK(mcgk_gms_backoff_ms(&p, 4) == 800);
    CHECK(mcgk_gms_backoff_ms(&p, 5) == 1000);
    CHECK(mcgk_gms_backoff_ms(&p, 4000000000u) == 1000);
    CHECK(mcgk_gms_backoff_ms(&p, 0) == 100);
    CHECK(mcgk_gms_backoff_ms(NULL, 1) == 500);
    CHECK(mcgk_gms_backoff_ms(NULL, 30) == 60000);
    mcgk_gms_retry huge = {UINT64_MAX / 2, UINT64_MAX, 1};
    CHECK(mcgk_gms_backoff_ms(&huge, 64) == UINT64_MAX); /* no overflow */
}

static mcgk_gms_delivery sent(uint32_t attempts)
{
    mcgk_gms_delivery d;
    memset(&d, 0, sizeof d);
    d.state = MCGK_GMS_DLV_SENT;
    d.attempts = attempts;
    return d;
}

static void test_classify(void)
{
    struct {
        mcgk_err t;
        int status;
        mcgk_gms_verdict v;
    } k[] = {
        {MCGK_OK, 200, MCGK_GMS_CONFIRM},
        {MCGK_OK, 0, MCGK_GMS_CONFIRM},
        {MCGK_OK, 302, MCGK_GMS_FAIL},
        {MCGK_ERR_PEER, 202, MCGK_GMS_CONFIRM},
        {MCGK_ERR_PEER, 400, MCGK_GMS_FAIL},
        {MCGK_ERR_PEER, 403, MCGK_GMS_FAIL},
        {MCGK_ERR_PEER, 404, MCGK_GMS_FAIL},
        {MCGK_ERR_PEER, 408, MCGK_GMS_RETRY},
        {MCGK_ERR_PEER, 480, MCGK_GMS_RETRY},
        {MCGK_ERR_PEER, 500, MCGK_GMS_RETRY},
        {MCGK_ERR_PEER, 503, MCGK_GMS_RETRY},
        {MCGK_ERR_PEER, 603, MCGK_GMS_FAIL},
        {MCGK_ERR_SIP_TIMEOUT, 0, MCGK_GMS_RETRY},
        {MCGK_ERR_SIP_NOT_REGISTERED, 0, MCGK_GMS_RETRY},
        {MCGK_ERR_SIP_BUSY, 0, MCGK_GMS_RETRY},
        {MCGK_ERR_SIP_CLOSED, 0, MCGK_GMS_RETRY},
        {MCGK_ERR_NO_KEYS, 0, MCGK_GMS_RETRY},
        {MCGK_ERR_IDENTITY, 0, MCGK_GMS_FAIL},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        mcgk_gms_answer a = {k[i].t, k[i].status, NULL};
        if (mcgk_gms_classify(&a) != k[i].v)
            mcgk_test_fail(__FILE__, __LINE__, "case %zu", i);
    }
    CHECK(mcgk_gms_classify(NULL) == MCGK_GMS_FAIL);
}

/* R-001-20 / R-003-23 / R-004-09: the client's error goes back to the GMS, which
 * records it member by member with the client's status and reason. */
static void test_R_001_20_R_003_23_R_004_09_error_recorded(void)
{
    mcgk_gms_delivery d = sent(1);
    mcgk_gms_answer a = {MCGK_ERR_PEER, 403, "signature"};
    CHECK_OK(mcgk_gms_delivery_apply(NULL, 1000, &a, &d));
    CHECK(d.state == MCGK_GMS_DLV_FAILED && d.status == 403);
    CHECK(strcmp(d.reason, "signature") == 0);
    /* a failed one may still be confirmed (a pull, a late 200) */
    mcgk_gms_answer ok = {MCGK_OK, 200, NULL};
    CHECK_OK(mcgk_gms_delivery_apply(NULL, 2000, &ok, &d));
    CHECK(d.state == MCGK_GMS_DLV_CONFIRMED && d.status == 200);
    /* confirmed is final: a later error changes nothing (idempotent) */
    CHECK_OK(mcgk_gms_delivery_apply(NULL, 3000, &a, &d));
    CHECK(d.state == MCGK_GMS_DLV_CONFIRMED);
    CHECK_OK(mcgk_gms_delivery_apply(NULL, 3000, &ok, &d));
    CHECK(d.state == MCGK_GMS_DLV_CONFIRMED);
    /* a failure without the member's words names the outcome */
    mcgk_gms_delivery f = sent(1);
    mcgk_gms_answer bare = {MCGK_ERR_PEER, 400, NULL};
    CHECK_OK(mcgk_gms_delivery_apply(NULL, 0, &bare, &f));
    CHECK(f.state == MCGK_GMS_DLV_FAILED && strcmp(f.reason, "error status") == 0);
    /* a local failure (cannot build) is final and named */
    mcgk_gms_delivery l = sent(1);
    mcgk_gms_answer local = {MCGK_ERR_UNKNOWN_KMS, 0, NULL};
    CHECK_OK(mcgk_gms_delivery_apply(NULL, 0, &local, &l));
    CHECK(l.state == MCGK_GMS_DLV_FAILED && strcmp(l.reason, "unknown-kms") == 0);
    /* ... and does not overwrite a member's verdict */
    CHECK_OK(mcgk_gms_delivery_apply(NULL, 0, &local, &f));
    CHECK(strcmp(f.reason, "error status") == 0);
    /* a retryable answer to a failed delivery leaves it failed */
    mcgk_gms_answer to = {MCGK_ERR_SIP_TIMEOUT, 0, NULL};
    CHECK_OK(mcgk_gms_delivery_apply(NULL, 0, &to, &f));
    CHECK(f.state == MCGK_GMS_DLV_FAILED);
    /* cancelled stays cancelled */
    mcgk_gms_delivery c = sent(1);
    c.state = MCGK_GMS_DLV_CANCELLED;
    CHECK_OK(mcgk_gms_delivery_apply(NULL, 0, &ok, &c));
    CHECK(c.state == MCGK_GMS_DLV_CANCELLED);
    CHECK_ERR(mcgk_gms_delivery_apply(NULL, 0, NULL, &c), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gms_delivery_apply(NULL, 0, &ok, NULL), MCGK_ERR_INVALID_ARG);
}

static void test_retry_with_backoff_then_give_up(void)
{
    mcgk_gms_retry p = {100, 400, 3};
    mcgk_gms_delivery d = sent(1);
    mcgk_gms_answer nr = {MCGK_ERR_SIP_NOT_REGISTERED, 0, NULL};
    CHECK_OK(mcgk_gms_delivery_apply(&p, 5000, &nr, &d));
    CHECK(d.state == MCGK_GMS_DLV_PENDING && d.next_ms == 5100);
    CHECK(strcmp(d.reason, "not-registered") == 0);
    d.state = MCGK_GMS_DLV_SENT;
    d.attempts = 2;
    mcgk_gms_answer busy = {MCGK_ERR_PEER, 503, "overloaded"};
    CHECK_OK(mcgk_gms_delivery_apply(&p, 6000, &busy, &d));
    CHECK(d.state == MCGK_GMS_DLV_PENDING && d.next_ms == 6200 && d.status == 503);
    CHECK(strcmp(d.reason, "overloaded") == 0);
    d.state = MCGK_GMS_DLV_SENT;
    d.attempts = 3;
    mcgk_gms_answer to = {MCGK_ERR_SIP_TIMEOUT, 0, NULL};
    CHECK_OK(mcgk_gms_delivery_apply(&p, 7000, &to, &d));
    CHECK(d.state == MCGK_GMS_DLV_FAILED);
    CHECK(strcmp(d.reason, "gave up: timeout") == 0);
    /* an unregistered member is waited for, however many re-checks it took: it
       gets the key when it registers again */
    mcgk_gms_delivery off = sent(1);
    off.attempts = 50;
    CHECK_OK(mcgk_gms_delivery_apply(&p, 8000, &nr, &off));
    CHECK(off.state == MCGK_GMS_DLV_PENDING && off.next_ms == 8400);
    /* the other transport names */
    mcgk_gms_answer b2 = {MCGK_ERR_SIP_BUSY, 0, NULL}, cl = {MCGK_ERR_SIP_CLOSED, 0, NULL};
    mcgk_gms_delivery x = sent(1), y = sent(1);
    CHECK_OK(mcgk_gms_delivery_apply(&p, 0, &b2, &x));
    CHECK_OK(mcgk_gms_delivery_apply(&p, 0, &cl, &y));
    CHECK(strcmp(x.reason, "busy") == 0 && strcmp(y.reason, "shutdown") == 0);
}

/* ---- GMKs ---- */

static int fail_rng(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    (void)out;
    (void)len;
    return 1;
}

/* R-004-12 / R-004-13: a media and a different floor-control GMK in one procedure. */
static void test_R_004_12_R_004_13_rotation_pair(void)
{
    mcgk_gms_rotate_req req = {1, 0, 0, 1, NOW};
    mcgk_gms_new_gmk g[MCGK_GMS_JOB_GMKS];
    size_t n = 0;
    CHECK_OK(mcgk_gms_rotate_plan(&req, &g_rng, g, &n));
    CHECK(n == 2);
    CHECK(g[0].use == MCGK_GMK_USE_MEDIA && g[1].use == MCGK_GMK_USE_FLOOR_CONTROL);
    CHECK(g[0].key_id != g[1].key_id);
    CHECK((g[0].key_id >> 28) == MCGK_PURPOSE_GMK && (g[1].key_id >> 28) == MCGK_PURPOSE_GMK);
    CHECK(memcmp(g[0].key, g[1].key, MCGK_KEY_LEN) != 0);
    mcgk_gms_new_gmk_clear(&g[0]);
    mcgk_gms_new_gmk_clear(&g[1]);
    uint8_t zero[sizeof g[0]];
    memset(zero, 0, sizeof zero);
    CHECK(memcmp(&g[0], zero, sizeof zero) == 0);
    mcgk_gms_new_gmk_clear(NULL);
    req.floor_control = 0;
    CHECK_OK(mcgk_gms_rotate_plan(&req, &g_rng, g, &n));
    CHECK(n == 1);
}

static void test_rotation_refusals(void)
{
    mcgk_gms_new_gmk g[MCGK_GMS_JOB_GMKS];
    size_t n = 0;
    mcgk_gms_rotate_req req = {1, NOW + 100, NOW + 50, 0, NOW};
    CHECK_ERR(mcgk_gms_rotate_plan(&req, &g_rng, g, &n), MCGK_ERR_PERIOD); /* before activation */
    req.activation_unix_s = 0;
    req.expiry_unix_s = NOW;
    CHECK_ERR(mcgk_gms_rotate_plan(&req, &g_rng, g, &n), MCGK_ERR_PERIOD); /* already expired */
    req.expiry_unix_s = NOW + 1;
    CHECK_OK(mcgk_gms_rotate_plan(&req, &g_rng, g, &n));
    req.n_groups = 0;
    CHECK_ERR(mcgk_gms_rotate_plan(&req, &g_rng, g, &n), MCGK_ERR_INVALID_ARG);
    req.n_groups = MCGK_GMS_JOB_GROUPS + 1;
    CHECK_ERR(mcgk_gms_rotate_plan(&req, &g_rng, g, &n), MCGK_ERR_INVALID_ARG);
    req.n_groups = 1;
    CHECK_ERR(mcgk_gms_rotate_plan(NULL, &g_rng, g, &n), MCGK_ERR_INVALID_ARG);
    mcgk_rng bad = {fail_rng, NULL};
    CHECK_ERR(mcgk_gms_rotate_plan(&req, &bad, g, &n), MCGK_ERR_RNG);
}

static mcgk_gms_gmk_info info(uint32_t id, int use, int revoked, uint64_t act, uint64_t exp,
                              uint64_t created)
{
    mcgk_gms_gmk_info g;
    memset(&g, 0, sizeof g);
    g.key_id = id;
    g.use = (mcgk_gmk_use)use;
    g.revoked = revoked;
    g.activation_unix_s = act;
    g.expiry_unix_s = exp;
    g.created_unix_s = created;
    strcpy(g.text, "crew A key");
    return g;
}

/* R-001-06 / R-001-07: one GMK for several groups - each listed in its parameters;
 * R-003-34: a revocation says so in its Status; R-000-17: period of use. */
static void test_R_001_06_R_003_34_R_000_17_key_params(void)
{
    mcgk_gms_gmk_info g = info(0x0abcdef1, 0, 0, NOW + 60, NOW + 3600, NOW);
    const char *groups[] = {GROUP_A, GROUP_B};
    mcgk_key_params kp;
    CHECK_OK(mcgk_gms_key_params(&g, groups, 2, 0, &kp));
    CHECK(kp.key_type == MCGK_PURPOSE_GMK);
    CHECK(kp.status & MCGK_KP_STATUS_NOT_REVOKED);
    CHECK(kp.activation_ntp_s == NOW + 60 + MCGK_NTP_UNIX_OFFSET_S);
    CHECK(kp.expiry_ntp_s == NOW + 3600 + MCGK_NTP_UNIX_OFFSET_S);
    CHECK(kp.text_len == strlen("crew A key") && memcmp(kp.text, "crew A key", kp.text_len) == 0);
    CHECK(kp.n_groups == 2 && strcmp(kp.groups[0].id, GROUP_A) == 0 &&
          strcmp(kp.groups[1].id, GROUP_B) == 0);
    CHECK_OK(mcgk_gms_key_params(&g, groups, 1, 1, &kp));
    CHECK(!(kp.status & MCGK_KP_STATUS_NOT_REVOKED)); /* R-003-34 */
    g.activation_unix_s = g.expiry_unix_s = 0;
    CHECK_OK(mcgk_gms_key_params(&g, groups, 1, 0, &kp));
    CHECK(kp.activation_ntp_s == 0 && kp.expiry_ntp_s == 0);
    CHECK_ERR(mcgk_gms_key_params(&g, groups, 0, 0, &kp), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gms_key_params(&g, groups, 17, 0, &kp), MCGK_ERR_INVALID_ARG);
    const char *bad[] = {NULL};
    CHECK_ERR(mcgk_gms_key_params(&g, bad, 1, 0, &kp), MCGK_ERR_INVALID_ARG);
    char big[300];
    memset(big, 'x', sizeof big);
    big[299] = '\0';
    const char *bg[] = {big};
    CHECK_ERR(mcgk_gms_key_params(&g, bg, 1, 0, &kp), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gms_key_params(NULL, groups, 1, 0, &kp), MCGK_ERR_INVALID_ARG);
}

/* R-001-28 / R-003-28: what an added or pulling member gets: not revoked, not
 * expired, newest activation first, at most two per use. */
static void test_R_001_28_R_003_28_current_gmks(void)
{
    mcgk_gms_gmk_info c[] = {
        info(1, 0, 0, 100, 0, 10),        /* old media */
        info(2, 0, 1, 500, 0, 20),        /* revoked */
        info(3, 0, 0, 300, NOW - 1, 30),  /* expired */
        info(4, 0, 0, NOW + 50, 0, 40),   /* future activation: held until then */
        info(5, 1, 0, 200, 0, 50),        /* floor control */
        info(6, 0, 0, 200, 0, 60),        /* media, mid */
        info(7, 1, 0, 200, NOW + 9, 70),  /* floor control, newer by creation */
        info(8, 1, 0, 100, 0, 80),        /* third floor-control: dropped */
    };
    size_t idx[4];
    size_t n = mcgk_gms_current_gmks(c, 8, NOW, idx, 4);
    CHECK(n == 4);
    CHECK(c[idx[0]].key_id == 4); /* newest activation */
    CHECK(c[idx[1]].key_id == 7); /* 200, created later than 5 and 6 */
    CHECK(c[idx[2]].key_id == 6);
    CHECK(c[idx[3]].key_id == 5);
    n = mcgk_gms_current_gmks(c, 8, NOW, idx, 1);
    CHECK(n == 1 && c[idx[0]].key_id == 4);
    CHECK(mcgk_gms_current_gmks(c, 0, NOW, idx, 4) == 0);
    CHECK(mcgk_gms_current_gmks(NULL, 3, NOW, idx, 4) == 0);
    /* everything revoked or expired: nothing */
    mcgk_gms_gmk_info d[] = {info(1, 0, 1, 0, 0, 1), info(2, 0, 0, 0, NOW, 2)};
    CHECK(mcgk_gms_current_gmks(d, 2, NOW, idx, 4) == 0);
}

/* ---- the member's document ---- */

static const mcgk_gms_group_ref k_groups[] = {
    {GROUP_A, GMS_URI, "Crew A"}, {GROUP_B, GMS_URI, NULL}, {"sip:c@x", GMS_URI, ""}};

/* R-001-25 / R-001-33: a removed member is told, with no key. */
static void test_R_001_25_member_doc(void)
{
    char buf[8192];
    size_t len = 0, need = 0;
    static const uint8_t m1[] = {1, 2, 3}, m2[] = {4, 5};
    const uint8_t *msgs[] = {m1, m2};
    size_t lens[] = {3, 2};
    mcgk_gmk_use uses[] = {MCGK_GMK_USE_MEDIA, MCGK_GMK_USE_FLOOR_CONTROL};
    CHECK_OK(mcgk_gms_member_doc(MCGK_GMS_JOB_ROTATE, k_groups, 3, 0x5, 42, msgs, lens, uses, 2,
                                 NULL, 0, &need));
    CHECK_OK(mcgk_gms_member_doc(MCGK_GMS_JOB_ROTATE, k_groups, 3, 0x5, 42, msgs, lens, uses, 2,
                                 buf, sizeof buf, &len));
    CHECK(len == need);
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    CHECK_OK(mcgk_groupdoc_parse((const uint8_t *)buf, len, d));
    CHECK(d->seq == 42 && d->n_groups == 2 && d->n_gmks == 2);
    CHECK(strcmp(d->groups[0].id, GROUP_A) == 0 && strcmp(d->groups[0].name, "Crew A") == 0);
    CHECK(strcmp(d->groups[1].id, "sip:c@x") == 0 && !d->groups[1].removed);
    CHECK(d->gmks[1].use == MCGK_GMK_USE_FLOOR_CONTROL && d->gmks[1].msg_len == 2);
    CHECK_OK(mcgk_gms_member_doc(MCGK_GMS_JOB_REMOVE, k_groups, 1, 1, 43, NULL, NULL, NULL, 0,
                                 buf, sizeof buf, &len));
    CHECK_OK(mcgk_groupdoc_parse((const uint8_t *)buf, len, d));
    CHECK(d->n_groups == 1 && d->groups[0].removed && d->n_gmks == 0 && d->seq == 43);
    free(d);
    /* refusals */
    CHECK_ERR(mcgk_gms_member_doc(MCGK_GMS_JOB_REMOVE, k_groups, 1, 1, 1, msgs, lens, uses, 1,
                                  buf, sizeof buf, &len),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gms_member_doc(MCGK_GMS_JOB_ROTATE, k_groups, 3, 0, 1, msgs, lens, uses, 1,
                                  buf, sizeof buf, &len),
              MCGK_ERR_INVALID_ARG); /* no group */
    CHECK_ERR(mcgk_gms_member_doc(MCGK_GMS_JOB_ROTATE, k_groups, 2, 0x4, 1, msgs, lens, uses, 1,
                                  buf, sizeof buf, &len),
              MCGK_ERR_INVALID_ARG); /* a bit beyond the groups */
    CHECK_ERR(mcgk_gms_member_doc(99, k_groups, 1, 1, 1, NULL, NULL, NULL, 0, buf, sizeof buf,
                                  &len),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gms_member_doc(MCGK_GMS_JOB_ROTATE, k_groups, 1, 1, 1, msgs, lens, uses, 5,
                                  buf, sizeof buf, &len),
              MCGK_ERR_INVALID_ARG);
    size_t zero[] = {0};
    CHECK_ERR(mcgk_gms_member_doc(MCGK_GMS_JOB_ROTATE, k_groups, 1, 1, 1, msgs, zero, uses, 1,
                                  buf, sizeof buf, &len),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gms_member_doc(MCGK_GMS_JOB_ROTATE, k_groups, 1, 1, 1, msgs, lens, uses, 1,
                                  buf, 10, &len),
              MCGK_ERR_BUFFER_TOO_SMALL);
    mcgk_gms_group_ref nog[] = {{NULL, GMS_URI, NULL}};
    CHECK_ERR(mcgk_gms_member_doc(MCGK_GMS_JOB_ADD, nog, 1, 1, 1, NULL, NULL, NULL, 0, buf,
                                  sizeof buf, &len),
              MCGK_ERR_INVALID_ARG);
}

/* ---- building and opening the members' messages ---- */

static const uint8_t k_gmk[MCGK_KEY_LEN] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                                            0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
static const uint8_t k_rand[MCGK_GMK_RAND_LEN] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
#define KEY_ID 0x01234567u

static mcgk_err make_ctx(mcgk_gmk_ctx *ctx, const char *const *groups, size_t n, int revoked,
                         uint32_t frac)
{
    mcgk_gms_gmk_info g = info(KEY_ID, 0, revoked, 0, 0, NOW);
    mcgk_gms_ctx_in in;
    memset(&in, 0, sizeof in);
    in.key = k_gmk;
    in.key_id = KEY_ID;
    in.rand = k_rand;
    in.info = &g;
    in.groups = groups;
    in.n_groups = n;
    in.revoked = revoked;
    in.ts_ntp_s = NOW + MCGK_NTP_UNIX_OFFSET_S;
    in.ts_frac = frac;
    in.gms_uri = GMS_URI;
    in.gms_kms = &g_ka.kms;
    in.signer = &g_gms.signer;
    return mcgk_gms_ctx_init(ctx, &in);
}

/* the receiver: trusts both KMSs and knows GMS_URI manages groups A and B */
static mcgk_err open_as(const user_fx *u, const uint8_t *msg, size_t len, mcgk_gmk_result *r)
{
    static const char *const gms[] = {GMS_URI};
    static const mcgk_gmk_group_gms groups[] = {{GROUP_A, GMS_URI}, {GROUP_B, GMS_URI}};
    mcgk_gmk_kms trusted[2] = {g_ka.kms, g_kb.kms};
    mcgk_gmk_open_cfg cfg;
    mcgk_gmk_open_cfg_init(&cfg);
    cfg.own_uri = u->uri;
    cfg.own_kms = &u->k->kms;
    cfg.own_keys = &u->own;
    cfg.n_own_keys = 1;
    cfg.trusted = trusted;
    cfg.n_trusted = 2;
    cfg.authorised_gms = gms;
    cfg.n_authorised_gms = 1;
    cfg.groups = groups;
    cfg.n_groups = 2;
    return mcgk_gmk_open(&cfg, msg, len, NOW, r, NULL);
}

static void get_msg(const char *doc, size_t len, size_t k, uint8_t *out, size_t *out_len)
{
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    CHECK_OK(mcgk_groupdoc_parse((const uint8_t *)doc, len, d));
    CHECK(k < d->n_gmks);
    memcpy(out, d->gmks[k].msg, d->gmks[k].msg_len);
    *out_len = d->gmks[k].msg_len;
    free(d);
}

/* The messages of one rotation for alice and bob (built once, opened by the tests below
 * with the real receiver checklist). */
static uint8_t g_m0[MCGK_GROUPDOC_MSG_MAX], g_m1[MCGK_GROUPDOC_MSG_MAX];
static size_t g_l0, g_l1;
static uint32_t g_guk0;
static int g_built;

static void build_pair(void)
{
    if (g_built)
        return;
    const char *groups[] = {GROUP_A, GROUP_B};
    mcgk_gmk_ctx ctx;
    CHECK_OK(make_ctx(&ctx, groups, 2, 0, 1));
    const mcgk_gmk_ctx *ctxs[] = {&ctx};
    mcgk_gmk_use uses[] = {MCGK_GMK_USE_MEDIA};
    mcgk_gmk_member members[] = {{ALICE, &g_ka.kms}, {BOB, &g_ka.kms}};
    uint64_t seqs[] = {7, 9};
    char *b0 = malloc(8192), *b1 = malloc(8192);
    mcgk_gms_doc_out outs[2] = {{b0, 8192, 0, {0}, MCGK_OK}, {b1, 8192, 0, {0}, MCGK_OK}};
    CHECK_OK(mcgk_gms_build_docs(MCGK_GMS_JOB_ROTATE, k_groups, 2, 0x3, ctxs, uses, 1, members,
                                 seqs, 2, &g_rng, outs));
    CHECK_OK(outs[0].err);
    CHECK_OK(outs[1].err);
    get_msg(b0, outs[0].len, 0, g_m0, &g_l0);
    get_msg(b1, outs[1].len, 0, g_m1, &g_l1);
    g_guk0 = outs[0].guk_ids[0];
    free(b0);
    free(b1);
    mcgk_gmk_ctx_clear(&ctx);
    g_built = 1;
}

/* R-000-19 / R-002-06 / R-001-08 / R-003-11 / R-000-06: one notification per member,
 * each with a different I_MESSAGE. */
static void test_R_000_19_R_001_08_R_003_11_one_message_per_member(void)
{
    build_pair();
    CHECK(g_l0 > 0 && g_l1 > 0);
    CHECK(g_l0 != g_l1 || memcmp(g_m0, g_m1, g_l0) != 0);
}

/* R-000-14 / R-001-09 / R-003-12 / R-004-05: the message encapsulates the GMK. */
static void test_R_000_14_R_001_09_R_003_12_R_004_05_encapsulates_the_gmk(void)
{
    build_pair();
    mcgk_gmk_result *r = calloc(1, sizeof *r);
    CHECK_OK(open_as(&g_alice, g_m0, g_l0, r));
    CHECK(r->purpose == MCGK_PURPOSE_GMK && memcmp(r->key, k_gmk, MCGK_KEY_LEN) == 0);
    mcgk_gmk_result_clear(r);
    free(r);
}

/* R-000-15 / R-001-10 / R-003-13 / R-004-06: encrypted to the member's identity - another
 * member cannot open it. */
static void test_R_000_15_R_001_10_R_003_13_R_004_06_encrypted_to_the_member(void)
{
    build_pair();
    mcgk_gmk_result *r = calloc(1, sizeof *r);
    CHECK(open_as(&g_bob, g_m0, g_l0, r) != MCGK_OK);
    CHECK_OK(open_as(&g_bob, g_m1, g_l1, r));
    mcgk_gmk_result_clear(r);
    free(r);
}

/* R-001-11 / R-003-14 / R-004-06 / R-001-05 / R-003-10: signed by the GMS, whose URI is
 * the initiator; K-ID = GMK-ID; the receiver is the member. */
static void test_R_001_11_R_003_14_R_001_05_R_003_10_signed_by_the_gms(void)
{
    build_pair();
    mcgk_gmk_result *r = calloc(1, sizeof *r);
    CHECK_OK(open_as(&g_alice, g_m0, g_l0, r));
    CHECK(strcmp(r->sender_uri, GMS_URI) == 0 && strcmp(r->sender_kms_uri, KMS_A) == 0);
    CHECK(memcmp(r->sender_uid, g_gms.uid, MCGK_UID_LEN) == 0);
    CHECK(r->key_id == KEY_ID);
    mcgk_gmk_result_clear(r);
    /* a flipped octet of the signed message is refused */
    g_m0[g_l0 / 2] ^= 1;
    CHECK(open_as(&g_alice, g_m0, g_l0, r) != MCGK_OK);
    g_m0[g_l0 / 2] ^= 1;
    free(r);
}

/* R-001-12 / R-003-15 / R-004-07 / R-003-06: the message provides the GUK-ID (CSB ID),
 * the member's own (end-point diversity). */
static void test_R_001_12_R_003_15_R_004_07_guk_id(void)
{
    build_pair();
    mcgk_gmk_result *r = calloc(1, sizeof *r);
    CHECK_OK(open_as(&g_alice, g_m0, g_l0, r));
    uint32_t guk = 0;
    CHECK_OK(mcgk_guk_id(k_gmk, MCGK_KEY_LEN, KEY_ID, ALICE, strlen(ALICE), &guk));
    CHECK(r->csb_id == guk && g_guk0 == guk && guk != KEY_ID);
    mcgk_gmk_result_clear(r);
    free(r);
}

/* R-001-13 / R-003-16 / R-001-07: the parameters travel encrypted under the GMK and list
 * the groups of the job that the member is in. */
static void test_R_001_13_R_003_16_R_001_07_params_encrypted(void)
{
    build_pair();
    mcgk_gmk_result *r = calloc(1, sizeof *r);
    CHECK_OK(open_as(&g_alice, g_m0, g_l0, r));
    CHECK(r->has_params && !r->params_legacy);
    CHECK(r->params.n_groups == 2 && strcmp(r->params.groups[0].id, GROUP_A) == 0);
    CHECK(r->params.key_type == MCGK_PURPOSE_GMK);
    mcgk_gmk_result_clear(r);
    free(r);
}

/* R-004-16: the partner GMS is a member: encrypted to its identity under its own KMS,
 * signed by this GMS, GUK-ID from the partner GMS URI's salt. */
static void test_R_004_16_partner_gms_as_member(void)
{
    const char *groups[] = {GROUP_A};
    mcgk_gmk_ctx ctx;
    CHECK_OK(make_ctx(&ctx, groups, 1, 0, 2));
    const mcgk_gmk_ctx *ctxs[] = {&ctx};
    mcgk_gmk_use uses[] = {MCGK_GMK_USE_MEDIA};
    mcgk_gmk_member m = {PGMS, &g_kb.kms};
    uint64_t seq = 1;
    char buf[8192];
    mcgk_gms_doc_out out = {buf, sizeof buf, 0, {0}, MCGK_OK};
    CHECK_OK(mcgk_gms_build_docs(MCGK_GMS_JOB_ROTATE, k_groups, 1, 1, ctxs, uses, 1, &m, &seq, 1,
                                 &g_rng, &out));
    CHECK_OK(out.err);
    uint8_t msg[MCGK_GROUPDOC_MSG_MAX];
    size_t len = 0;
    get_msg(buf, out.len, 0, msg, &len);
    uint32_t guk = 0;
    CHECK_OK(mcgk_guk_id(k_gmk, MCGK_KEY_LEN, KEY_ID, PGMS, strlen(PGMS), &guk));
    CHECK(out.guk_ids[0] == guk);
    mcgk_gmk_result *r = calloc(1, sizeof *r);
    CHECK_OK(open_as(&g_pgms, msg, len, r));
    CHECK(r->csb_id == guk && r->key_id == KEY_ID);
    CHECK(strcmp(r->sender_uri, GMS_URI) == 0);
    mcgk_gmk_result_clear(r);
    free(r);
    mcgk_gmk_ctx_clear(&ctx);
}

/* R-003-34: a revocation is the same GMK with status revoked; the client accepts it
 * as a revocation (MCGK_ERR_REVOKED with a confirming reply). */
static void test_R_003_34_revocation_message(void)
{
    const char *groups[] = {GROUP_A};
    mcgk_gmk_ctx ctx;
    CHECK_OK(make_ctx(&ctx, groups, 1, 1, 3));
    const mcgk_gmk_ctx *ctxs[] = {&ctx};
    mcgk_gmk_use uses[] = {MCGK_GMK_USE_MEDIA};
    mcgk_gmk_member m = {ALICE, &g_ka.kms};
    uint64_t seq = 2;
    char buf[8192];
    mcgk_gms_doc_out out = {buf, sizeof buf, 0, {0}, MCGK_OK};
    CHECK_OK(mcgk_gms_build_docs(MCGK_GMS_JOB_REVOKE, k_groups, 1, 1, ctxs, uses, 1, &m, &seq, 1,
                                 &g_rng, &out));
    CHECK_OK(out.err);
    uint8_t msg[MCGK_GROUPDOC_MSG_MAX];
    size_t len = 0;
    get_msg(buf, out.len, 0, msg, &len);
    mcgk_gmk_result *r = calloc(1, sizeof *r);
    CHECK_ERR(open_as(&g_alice, msg, len, r), MCGK_ERR_REVOKED);
    CHECK(r->revoked && r->key_id == KEY_ID && r->reply.confirm);
    mcgk_gmk_result_clear(r);
    free(r);
    mcgk_gmk_ctx_clear(&ctx);
}

static void test_build_failures_per_member(void)
{
    const char *groups[] = {GROUP_A};
    mcgk_gmk_ctx ctx;
    CHECK_OK(make_ctx(&ctx, groups, 1, 0, 4));
    const mcgk_gmk_ctx *ctxs[] = {&ctx};
    mcgk_gmk_use uses[] = {MCGK_GMK_USE_MEDIA};
    mcgk_gmk_kms nokms = g_ka.kms;
    nokms.community = NULL;
    mcgk_gmk_member members[] = {{ALICE, &nokms}, {BOB, &g_ka.kms}};
    uint64_t seqs[] = {1, 1};
    char b0[8192], b1[16];
    mcgk_gms_doc_out outs[2] = {{b0, sizeof b0, 0, {0}, MCGK_OK}, {b1, sizeof b1, 0, {0}, MCGK_OK}};
    CHECK_OK(mcgk_gms_build_docs(MCGK_GMS_JOB_ROTATE, k_groups, 1, 1, ctxs, uses, 1, members,
                                 seqs, 2, &g_rng, outs));
    CHECK_ERR(outs[0].err, MCGK_ERR_INVALID_ARG);      /* no community for that member */
    CHECK_ERR(outs[1].err, MCGK_ERR_BUFFER_TOO_SMALL); /* its slot too small */
    CHECK_ERR(mcgk_gms_build_docs(MCGK_GMS_JOB_ROTATE, k_groups, 1, 1, NULL, uses, 1, members,
                                  seqs, 2, &g_rng, outs),
              MCGK_ERR_INVALID_ARG);
    CHECK_OK(mcgk_gms_build_docs(MCGK_GMS_JOB_ROTATE, k_groups, 1, 1, ctxs, uses, 1, members,
                                 seqs, 0, &g_rng, outs));
    /* a context from bad inputs */
    mcgk_gmk_ctx bad;
    mcgk_gms_ctx_in in;
    memset(&in, 0, sizeof in);
    CHECK_ERR(mcgk_gms_ctx_init(&bad, &in), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gms_ctx_init(NULL, &in), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(make_ctx(&bad, groups, 0, 0, 5), MCGK_ERR_INVALID_ARG); /* no group */
    mcgk_gmk_ctx_clear(&ctx);
}

/* ---- the HTTPS pull parser ---- */

#define TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789ABCDEF"
#define RESULT_OK "<result xmlns=\"" MCGK_GROUPDOC_NS "\" status=\"200\" reason=\"ok\"/>"

static mcgk_err parse(const char *m, const char *p, const char *auth, const char *body,
                      mcgk_gms_http_req *r)
{
    return mcgk_gms_http_parse(m, p, auth, (const uint8_t *)body, body ? strlen(body) : 0, r);
}

static void test_R_003_27_http_parse(void)
{
    mcgk_gms_http_req r;
    CHECK_OK(parse("GET", "/groups/sip%3Agroup-a%40example.org", "Bearer " TOKEN, NULL, &r));
    CHECK(r.route == MCGK_GMS_ROUTE_GET_GROUP && strcmp(r.group_id, GROUP_A) == 0);
    CHECK(strcmp(r.token, TOKEN) == 0);
    mcgk_gms_http_req_clear(&r);
    CHECK(r.token[0] == '\0');
    CHECK_OK(parse("POST", "/groups/g1/result", "bearer " TOKEN, RESULT_OK, &r));
    CHECK(r.route == MCGK_GMS_ROUTE_RESULT && strcmp(r.group_id, "g1") == 0);
    CHECK(r.result.status == 200 && strcmp(r.result.reason, "ok") == 0);
    /* untouched on failure */
    mcgk_gms_http_req keep;
    memset(&keep, 0x77, sizeof keep);
    memcpy(&r, &keep, sizeof r);
    CHECK_ERR(parse("GET", "/nope", "Bearer " TOKEN, NULL, &r), MCGK_ERR_NOT_FOUND);
    CHECK(memcmp(&r, &keep, sizeof r) == 0);
    CHECK_ERR(parse("GET", "/groups/", "Bearer " TOKEN, NULL, &r), MCGK_ERR_NOT_FOUND);
    CHECK_ERR(parse("GET", "/groups", "Bearer " TOKEN, NULL, &r), MCGK_ERR_NOT_FOUND);
    CHECK_ERR(parse("GET", "/groups/a/b", "Bearer " TOKEN, NULL, &r), MCGK_ERR_NOT_FOUND);
    CHECK_ERR(parse("GET", "/groups/a/result/x", "Bearer " TOKEN, NULL, &r), MCGK_ERR_NOT_FOUND);
    CHECK_ERR(parse("GET", "/groups/a%2", "Bearer " TOKEN, NULL, &r), MCGK_ERR_NOT_FOUND);
    CHECK_ERR(parse("GET", "/groups/a%zz", "Bearer " TOKEN, NULL, &r), MCGK_ERR_NOT_FOUND);
    CHECK_ERR(parse("GET", "/groups/a%00", "Bearer " TOKEN, NULL, &r), MCGK_ERR_NOT_FOUND);
    CHECK_ERR(parse("GET", "/groups/a%2Cb", "Bearer " TOKEN, NULL, &r), MCGK_ERR_NOT_FOUND);
    char longp[400] = "/groups/";
    memset(longp + 8, 'a', 300);
    longp[308] = '\0';
    CHECK_ERR(parse("GET", longp, "Bearer " TOKEN, NULL, &r), MCGK_ERR_NOT_FOUND);
    CHECK_ERR(parse("POST", "/groups/a", "Bearer " TOKEN, NULL, &r), MCGK_ERR_METHOD);
    CHECK_ERR(parse("GET", "/groups/a/result", "Bearer " TOKEN, NULL, &r), MCGK_ERR_METHOD);
    CHECK_ERR(parse("GET", "/groups/a", NULL, NULL, &r), MCGK_ERR_AUTH_MISSING);
    CHECK_ERR(parse("GET", "/groups/a", "", NULL, &r), MCGK_ERR_AUTH_MISSING);
    CHECK_ERR(parse("GET", "/groups/a", "Basic " TOKEN, NULL, &r), MCGK_ERR_AUTH_FAILED);
    CHECK_ERR(parse("GET", "/groups/a", "Bearer abc", NULL, &r), MCGK_ERR_AUTH_FAILED);
    CHECK_ERR(parse("GET", "/groups/a",
                    "Bearer 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
                    NULL, &r),
              MCGK_ERR_AUTH_FAILED);
    CHECK_ERR(parse("POST", "/groups/a/result", "Bearer " TOKEN, "junk", &r), MCGK_ERR_MALFORMED);
    CHECK_ERR(parse("POST", "/groups/a/result", "Bearer " TOKEN, NULL, &r), MCGK_ERR_MALFORMED);
    CHECK_ERR(mcgk_gms_http_parse(NULL, "/groups/a", NULL, NULL, 0, &r), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gms_http_parse("GET", "/groups/a", NULL, NULL, 3, &r), MCGK_ERR_INVALID_ARG);
    /* statuses */
    CHECK(mcgk_gms_http_status(MCGK_OK) == 200);
    CHECK(mcgk_gms_http_status(MCGK_ERR_MALFORMED) == 400);
    CHECK(mcgk_gms_http_status(MCGK_ERR_XML_DTD) == 400);
    CHECK(mcgk_gms_http_status(MCGK_ERR_AUTH_MISSING) == 401);
    CHECK(mcgk_gms_http_status(MCGK_ERR_AUTH_FAILED) == 401);
    CHECK(mcgk_gms_http_status(MCGK_ERR_FORBIDDEN) == 403);
    CHECK(mcgk_gms_http_status(MCGK_ERR_NOT_FOUND) == 404);
    CHECK(mcgk_gms_http_status(MCGK_ERR_METHOD) == 405);
    CHECK(mcgk_gms_http_status(MCGK_ERR_OVERSIZED) == 413);
    CHECK(mcgk_gms_http_status(MCGK_ERR_IO) == 500);
}

int main(void)
{
    setup();
    TEST_RUN(test_names);
    TEST_RUN(test_backoff_doubles_to_cap);
    TEST_RUN(test_classify);
    TEST_RUN(test_R_001_20_R_003_23_R_004_09_error_recorded);
    TEST_RUN(test_retry_with_backoff_then_give_up);
    TEST_RUN(test_R_004_12_R_004_13_rotation_pair);
    TEST_RUN(test_rotation_refusals);
    TEST_RUN(test_R_001_06_R_003_34_R_000_17_key_params);
    TEST_RUN(test_R_001_28_R_003_28_current_gmks);
    TEST_RUN(test_R_001_25_member_doc);
    TEST_RUN(test_R_000_19_R_001_08_R_003_11_one_message_per_member);
    TEST_RUN(test_R_000_14_R_001_09_R_003_12_R_004_05_encapsulates_the_gmk);
    TEST_RUN(test_R_000_15_R_001_10_R_003_13_R_004_06_encrypted_to_the_member);
    TEST_RUN(test_R_001_11_R_003_14_R_001_05_R_003_10_signed_by_the_gms);
    TEST_RUN(test_R_001_12_R_003_15_R_004_07_guk_id);
    TEST_RUN(test_R_001_13_R_003_16_R_001_07_params_encrypted);
    TEST_RUN(test_R_004_16_partner_gms_as_member);
    TEST_RUN(test_R_003_34_revocation_message);
    TEST_RUN(test_build_failures_per_member);
    TEST_RUN(test_R_003_27_http_parse);
    teardown();
    TEST_MAIN_END();
}
