/*
 * Tests of the client's GMK logic (src/client/client.c, client_doc.c;
 * mcgk/client.h): group configuration documents with real I_MESSAGEs
 * (built here by a GMS with the synthetic vector's KMS secrets) go through
 * mcgk_client_process_bytes, and each rule of the client is checked: what
 * is stored, what is answered (200, or the error status with the name of
 * the failed check), revocation, removal (R-001-33), selection (R-001-23,
 * R-000-23), two GMKs in one procedure (R-004-13), a document being all or
 * nothing, and every error code the client code returns itself.
 */
#include "test.h"

#include <openssl/evp.h>

#include "mcgk/client.h"
#include "mcgk/gmk_message.h"
#include "mcgk/kdf.h"
#include "mcgk/mikey.h"

#define MSG_CAP 4096
#define DOC_CAP (2 * MCGK_GROUPDOC_MAX_LEN)
#define GMS_URI "sip:gms@example.org"
#define GMS2_URI "sip:gms2@example.org"
#define USER_URI "sip:user@example.org"
#define BOB_URI "sip:bob@example.org"
#define ROGUE_URI "sip:rogue@example.org"
#define GROUP_A "sip:grp-a@example.org"
#define GROUP_B "sip:grp-b@example.org"
#define GROUP_C "sip:grp-c@example.org"

static mcgk_vecfile *g_syn;
static mcgk_test_prng g_prng;
static mcgk_rng g_rng;

/* ---- fixtures: the synthetic KMS, a GMS, users ------------------------------------------- */

typedef struct user_fx {
    const char *uri;
    uint64_t period_no;
    uint8_t uid[MCGK_UID_LEN];
    mcgk_sakke_receiver *receiver;
    mcgk_eccsi_signer signer;
} user_fx;

static uint8_t g_z[MCGK_SAKKE_FP_LEN], g_Z[MCGK_SAKKE_POINT_LEN];
static size_t g_z_len;
static uint8_t g_ksak[MCGK_ECCSI_SCALAR_LEN], g_kpak[MCGK_ECCSI_POINT_LEN];
static mcgk_sakke_community *g_community;
static mcgk_gmk_kms g_kms;
static user_fx g_gms, g_gms2, g_user, g_bob, g_rogue;
static uint64_t g_t_ntp; /* the synthetic vector's time: messages are stamped around it */
static uint64_t g_now;   /* ... in Unix seconds: "now" of the client */

static void issue(user_fx *u, const char *uri)
{
    u->uri = uri;
    CHECK_OK(mcgk_key_period_no(g_t_ntp, g_kms.period_s, 0, &u->period_no));
    CHECK_OK(mcgk_uid(uri, strlen(uri), g_kms.kms_uri, strlen(g_kms.kms_uri), g_kms.period_s, 0,
                      u->period_no, u->uid));
    uint8_t rsk[MCGK_SAKKE_POINT_LEN], ssk[MCGK_ECCSI_SCALAR_LEN], pvt[MCGK_ECCSI_POINT_LEN];
    CHECK_OK(mcgk_sakke_rsk_issue(g_z, g_z_len, u->uid, MCGK_UID_LEN, rsk));
    CHECK_OK(mcgk_sakke_receiver_new(g_community, u->uid, MCGK_UID_LEN, rsk, &u->receiver));
    CHECK_OK(mcgk_eccsi_issue(g_ksak, u->uid, MCGK_UID_LEN, &g_rng, ssk, pvt));
    CHECK_OK(mcgk_eccsi_signer_init(&u->signer, g_kpak, u->uid, MCGK_UID_LEN, ssk, pvt));
    mcgk_wipe(rsk, sizeof rsk);
    mcgk_wipe(ssk, sizeof ssk);
}

static void setup(void)
{
    size_t n;
    g_t_ntp = mcgk_vec_u64(g_syn, NULL, "ntp_seconds");
    g_now = g_t_ntp - MCGK_NTP_UNIX_OFFSET_S;
    uint8_t *z = mcgk_vec_hex(g_syn, NULL, "kms_z", &n);
    memcpy(g_z, z, n);
    g_z_len = n;
    free(z);
    uint8_t *ksak = mcgk_vec_hex(g_syn, NULL, "kms_KSAK", &n);
    memcpy(g_ksak, ksak, n);
    free(ksak);
    CHECK_OK(mcgk_sakke_public_from_secret(g_z, g_z_len, g_Z));
    CHECK_OK(mcgk_eccsi_kpak_from_ksak(g_ksak, g_kpak));
    CHECK_OK(mcgk_sakke_community_new(g_Z, &g_community));
    g_kms.kms_uri = "kms.example.org";
    g_kms.period_s = mcgk_vec_u64(g_syn, NULL, "user_key_period");
    g_kms.offset_s = 0;
    g_kms.kpak = g_kpak;
    g_kms.community = g_community;
    issue(&g_gms, GMS_URI);
    issue(&g_gms2, GMS2_URI);
    issue(&g_user, USER_URI);
    issue(&g_bob, BOB_URI);
    issue(&g_rogue, ROGUE_URI);
}

static void teardown(void)
{
    user_fx *us[] = {&g_gms, &g_gms2, &g_user, &g_bob, &g_rogue};
    for (size_t i = 0; i < sizeof us / sizeof us[0]; i++) {
        mcgk_sakke_receiver_free(us[i]->receiver);
        mcgk_eccsi_signer_clear(&us[i]->signer);
    }
    mcgk_sakke_community_free(g_community);
}

/* ---- building I_MESSAGEs ------------------------------------------------------------------ */

static const uint8_t k_key1[MCGK_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t k_key2[MCGK_KEY_LEN] = {0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
                                            0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30};
static const uint8_t k_key3[MCGK_KEY_LEN] = {0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38,
                                            0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40};
#define ID1 0x01000001u
#define ID2 0x02000002u
#define ID3 0x03000003u

typedef struct mopt {
    const user_fx *gms;     /* signer, default g_gms */
    const user_fx *to;      /* recipient, default g_user */
    const uint8_t *key;     /* default k_key1 */
    uint32_t key_id;        /* default ID1 */
    int64_t dt;             /* message time - g_t_ntp */
    int revoked;
    const char *groups[3];  /* default {GROUP_A}; groups[0] = "" for none */
    int no_params;
    int64_t act, exp;       /* relative to g_t_ntp; 0 = not given */
} mopt;

static size_t build(const mopt *o, uint8_t *out)
{
    const user_fx *gms = o->gms ? o->gms : &g_gms;
    const user_fx *to = o->to ? o->to : &g_user;
    static const uint8_t rnd[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                    0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
    mcgk_key_params kp;
    mcgk_gmk_build_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.key = o->key ? o->key : k_key1;
    cfg.key_id = o->key_id ? o->key_id : ID1;
    cfg.rand = rnd;
    cfg.rand_len = sizeof rnd;
    cfg.ts_ntp_s = (uint64_t)((int64_t)g_t_ntp + o->dt);
    if (!o->no_params) {
        mcgk_key_params_init(&kp, (uint8_t)MCGK_MIKEY_PURPOSE_OF(cfg.key_id));
        if (o->act)
            kp.activation_ntp_s = (uint64_t)((int64_t)g_t_ntp + o->act);
        if (o->exp)
            kp.expiry_ntp_s = (uint64_t)((int64_t)g_t_ntp + o->exp);
        memcpy(kp.text, "Alpha", 5);
        kp.text_len = 5;
        if (o->revoked)
            kp.status = 0;
        if (o->groups[0] == NULL) {
            CHECK_OK(mcgk_key_params_add_group(&kp, GROUP_A, strlen(GROUP_A)));
        } else {
            for (size_t i = 0; i < 3 && o->groups[i] != NULL && o->groups[i][0] != '\0'; i++)
                CHECK_OK(mcgk_key_params_add_group(&kp, o->groups[i], strlen(o->groups[i])));
        }
        cfg.params = &kp;
    }
    cfg.gms_uri = gms->uri;
    cfg.gms_kms = &g_kms;
    cfg.signer = &gms->signer;
    cfg.map = MCGK_GMK_MAP_GENERIC;
    cfg.cs_id = MCGK_GMK_CS_ID_MCPTT;
    mcgk_gmk_ctx ctx;
    CHECK_OK(mcgk_gmk_ctx_init(&ctx, &cfg));
    mcgk_gmk_member mb = {to->uri, &g_kms};
    size_t n = 0;
    CHECK_OK(mcgk_gmk_build_one(&ctx, &mb, &g_rng, out, MSG_CAP, &n, NULL));
    mcgk_gmk_ctx_clear(&ctx);
    return n;
}

/* ---- documents ---------------------------------------------------------------------------- */

static void doc_init(mcgk_groupdoc *d, uint64_t seq)
{
    memset(d, 0, sizeof *d);
    d->seq = seq;
}

static void doc_group(mcgk_groupdoc *d, const char *id, const char *gms, int removed)
{
    mcgk_groupdoc_group *g = &d->groups[d->n_groups++];
    snprintf(g->id, sizeof g->id, "%s", id);
    snprintf(g->gms, sizeof g->gms, "%s", gms);
    g->removed = removed;
}

/* add a message built with o */
static void doc_msg(mcgk_groupdoc *d, const mopt *o, mcgk_gmk_use use)
{
    mcgk_groupdoc_gmk *g = &d->gmks[d->n_gmks++];
    g->use = use;
    g->msg_len = build(o, g->msg);
}

/* ---- the client ----------------------------------------------------------------------------- */

static const char *const k_authorised[] = {GMS_URI};
static mcgk_client_cfg g_cfg;
static mcgk_err g_receiver_err; /* what the receiver callback answers (tests) */
static int g_receiver_calls;

static mcgk_err receiver(void *ctx, uint64_t period_no, const mcgk_sakke_receiver **out)
{
    const user_fx *u = ctx;
    g_receiver_calls++;
    if (g_receiver_err != MCGK_OK)
        return g_receiver_err;
    if (period_no != u->period_no)
        return MCGK_ERR_NO_KEYS;
    *out = u->receiver;
    return MCGK_OK;
}

static void cfg_default(void)
{
    memset(&g_cfg, 0, sizeof g_cfg);
    g_cfg.identity = USER_URI;
    g_cfg.own_kms = &g_kms;
    g_cfg.receiver = receiver;
    g_cfg.receiver_ctx = &g_user;
    g_cfg.authorised_gms = k_authorised;
    g_cfg.n_authorised_gms = 1;
    g_receiver_err = MCGK_OK;
}

/* encode d and hand its bytes to the client at now (g_now + dnow) */
static mcgk_err run(mcgk_client_state *s, const mcgk_groupdoc *d, int64_t dnow,
                    mcgk_client_outcome *o)
{
    char *buf = malloc(DOC_CAP);
    size_t n = 0;
    CHECK(buf != NULL);
    CHECK_OK(mcgk_groupdoc_encode(d, buf, DOC_CAP, &n));
    mcgk_err e = mcgk_client_process_bytes(&g_cfg, s, (const uint8_t *)buf, n,
                                           (uint64_t)((int64_t)g_now + dnow), o);
    free(buf);
    return e;
}

/* a one-GMK document for GROUP_A (member) */
static mcgk_err run_one(mcgk_client_state *s, uint64_t seq, const mopt *o, mcgk_client_outcome *out)
{
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    doc_init(d, seq);
    doc_group(d, GROUP_A, GMS_URI, 0);
    doc_msg(d, o, MCGK_GMK_USE_MEDIA);
    mcgk_err e = run(s, d, 0, out);
    free(d);
    return e;
}

static const mcgk_client_gmk *held(const mcgk_client_state *s, uint32_t id)
{
    for (size_t i = 0; i < s->n_gmks; i++)
        if (s->gmks[i].gmk_id == id)
            return &s->gmks[i];
    return NULL;
}

static int has_event(const mcgk_client_outcome *o, mcgk_client_action a, uint32_t id)
{
    for (size_t i = 0; i < o->n_events; i++)
        if (o->events[i].action == a && (id == 0 || o->events[i].gmk_id == id))
            return 1;
    return 0;
}

/* the refusal shape: status, warning = the error's name, state untouched */
static void check_refused(const mcgk_client_outcome *o, mcgk_err want, int status)
{
    CHECK_ERR(o->result, want);
    CHECK(o->status == status);
    CHECK(o->warning != NULL && strcmp(o->warning, mcgk_err_name(want)) == 0);
    CHECK(o->n_events == 0);
}

/* a snapshot of the parts of a state a refusal must leave as they were */
typedef struct snap {
    size_t n_gmks, n_groups, n_replay, n_tomb, n_docs;
    uint8_t keys[8][MCGK_KEY_LEN];
} snap;

static void take(const mcgk_client_state *s, snap *p)
{
    memset(p, 0, sizeof *p);
    p->n_gmks = s->n_gmks;
    p->n_groups = s->n_groups;
    p->n_replay = s->n_replay;
    p->n_tomb = s->n_tombstones;
    p->n_docs = s->n_doc_hashes;
    for (size_t i = 0; i < s->n_gmks && i < 8; i++)
        memcpy(p->keys[i], s->gmks[i].key, MCGK_KEY_LEN);
}

static void same(const mcgk_client_state *s, const snap *p)
{
    snap q;
    take(s, &q);
    CHECK(memcmp(p, &q, sizeof q) == 0);
}

/* ================================ storing and answering ================================ */

/* R-001-21, R-003-24, R-004-10, R-001-15, R-003-19: on success the client stores GMK,
   GMK-ID, GUK-ID (the end-point specific key ID), RAND and the parameters; R-001-17,
   R-003-21: group identity, activation time and text come from the decrypted parameters */
static void test_R_001_21_R_003_24_R_004_10_R_001_15_R_003_19_R_001_17_R_003_21_R_000_22_store(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mopt m = {.act = -10, .exp = 86400};
    CHECK_OK(run_one(&s, 1, &m, &o));
    CHECK(o.status == 200 && o.warning == NULL && o.gmk_index == -1);
    CHECK(has_event(&o, MCGK_CLIENT_EV_STORED, ID1));
    CHECK(has_event(&o, MCGK_CLIENT_EV_GROUP_MEMBER, 0));
    const mcgk_client_gmk *g = held(&s, ID1);
    CHECK(g != NULL);
    if (g != NULL) {
        CHECK(g->has_key && !g->revoked);
        CHECK_MEM(g->key, k_key1, MCGK_KEY_LEN);
        uint32_t guk = 0;
        CHECK_OK(mcgk_guk_id(k_key1, MCGK_KEY_LEN, ID1, USER_URI, strlen(USER_URI), &guk));
        CHECK(g->guk_id == guk);
        CHECK(g->rand_len == 16 && g->rand[0] == 0xa0);
        CHECK(g->has_params && g->params.activation_ntp_s == g_t_ntp - 10);
        CHECK(g->params.text_len == 5 && memcmp(g->params.text, "Alpha", 5) == 0);
        CHECK(mcgk_client_gmk_serves(g, GROUP_A) && !mcgk_client_gmk_serves(g, GROUP_B));
        CHECK(strcmp(g->sender, GMS_URI) == 0);
        CHECK(g->first_ts_ntp_s == g_t_ntp && g->received_unix_s == g_now);
        CHECK(g->dirty == 1);
        CHECK(mcgk_client_gmk_status_at(g, g_now) == MCGK_CLIENT_GMK_ACTIVE);
    }
    CHECK(s.n_groups == 1 && s.groups[0].dirty && !s.groups[0].removed && s.groups[0].seq == 1);
    CHECK(s.n_replay == 1 && s.replay_dirty && s.n_doc_hashes == 1 && s.docs_dirty);
    mcgk_client_state_clean(&s);
    CHECK(!s.gmks[0].dirty && !s.groups[0].dirty && !s.replay_dirty && !s.docs_dirty);
    mcgk_client_state_clear(&s);
    CHECK(s.gmks == NULL && s.n_gmks == 0);
}

/* R-001-22, R-003-25, R-004-11, R-000-10: the response to an accepted notification is
   200 and carries no security content (no key, no warning) */
static void test_R_001_22_R_003_25_R_004_11_response_has_no_keys(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mopt m = {0};
    CHECK_OK(run_one(&s, 1, &m, &o));
    CHECK(o.status == 200 && strcmp(o.reason, "OK") == 0 && o.warning == NULL);
    /* nothing in the outcome holds the key */
    const uint8_t *p = (const uint8_t *)&o;
    int found = 0;
    for (size_t i = 0; i + MCGK_KEY_LEN <= sizeof o; i++)
        found |= memcmp(p + i, k_key1, MCGK_KEY_LEN) == 0;
    CHECK(!found);
    mcgk_client_state_clear(&s);
}

/* R-003-30, R-003-32: a document pulled over HTTPS is validated and stored exactly like a
   pushed one (the logic does not know the transport); R-000-22: the GMK is extracted */
static void test_R_003_30_R_003_32_R_003_31_pulled_document(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    doc_init(d, 7);
    doc_group(d, GROUP_A, GMS_URI, 0);
    mopt m = {.key = k_key2, .key_id = ID2};
    doc_msg(d, &m, MCGK_GMK_USE_MEDIA);
    CHECK_OK(run(&s, d, 0, &o));
    CHECK(held(&s, ID2) != NULL && memcmp(held(&s, ID2)->key, k_key2, 16) == 0);
    /* R-003-31: a pulled document that fails validation gives the error to report */
    d->seq = 8;
    mopt m2 = {.key = k_key2, .key_id = ID2, .dt = 1}; /* a fresh message, tampered */
    d->gmks[0].msg_len = build(&m2, d->gmks[0].msg);
    d->gmks[0].msg[d->gmks[0].msg_len - 3] ^= 0x10;
    CHECK_ERR(run(&s, d, 0, &o), MCGK_ERR_SIGNATURE);
    CHECK(o.status == 403 && strcmp(o.warning, "signature") == 0);
    free(d);
    mcgk_client_state_clear(&s);
}

/* the same GMK again (a fresh message: the GMS retried) is answered 200 and changes
   nothing but the newest timestamp; an exact re-delivery of the document too */
static void test_duplicate_gmk_idempotent(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mopt m = {0};
    CHECK_OK(run_one(&s, 1, &m, &o));
    mcgk_client_state_clean(&s);
    m.dt = 5;
    CHECK_OK(run_one(&s, 2, &m, &o));
    CHECK(o.status == 200 && has_event(&o, MCGK_CLIENT_EV_UPDATED, ID1));
    CHECK(s.n_gmks == 1 && held(&s, ID1)->last_ts_ntp_s == g_t_ntp + 5);
    CHECK(held(&s, ID1)->first_ts_ntp_s == g_t_ntp);
    mcgk_client_state_clean(&s);
    /* an older fresh message for it: 200, nothing newer */
    m.dt = 2;
    CHECK_OK(run_one(&s, 3, &m, &o));
    CHECK(o.status == 200 && has_event(&o, MCGK_CLIENT_EV_SAME, ID1));
    CHECK(!held(&s, ID1)->dirty && held(&s, ID1)->last_ts_ntp_s == g_t_ntp + 5);

    /* the exact same document bytes again: 200 without looking further */
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    doc_init(d, 9);
    doc_group(d, GROUP_A, GMS_URI, 0);
    mopt m3 = {.key = k_key3, .key_id = ID3};
    doc_msg(d, &m3, MCGK_GMK_USE_MEDIA);
    CHECK_OK(run(&s, d, 0, &o));
    CHECK(!o.duplicate_doc);
    mcgk_client_state_clean(&s);
    snap before;
    take(&s, &before);
    CHECK_OK(run(&s, d, 0, &o));
    CHECK(o.duplicate_doc && o.status == 200 && o.n_events == 0);
    same(&s, &before);
    CHECK(!s.replay_dirty && !s.docs_dirty);
    free(d);
    mcgk_client_state_clear(&s);
}

/* R-001-16, R-003-20, R-004-08: a GMK-ID already held with another key is refused;
   R-001-20, R-003-23: the error goes back to the GMS */
static void test_R_001_16_R_003_20_R_004_08_duplicate_gmk_id_refused(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mopt m = {0};
    CHECK_OK(run_one(&s, 1, &m, &o));
    snap before;
    take(&s, &before);
    mopt other = {.key = k_key2, .dt = 1}; /* same GMK-ID ID1, another key */
    CHECK_ERR(run_one(&s, 2, &other, &o), MCGK_ERR_DUPLICATE_KEY_ID);
    check_refused(&o, MCGK_ERR_DUPLICATE_KEY_ID, 403);
    CHECK(o.gmk_index == 0);
    same(&s, &before);
    CHECK_MEM(held(&s, ID1)->key, k_key1, MCGK_KEY_LEN);
    /* two messages of one document with one GMK-ID and two keys */
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    doc_init(d, 3);
    doc_group(d, GROUP_A, GMS_URI, 0);
    mopt a = {.key = k_key2, .key_id = ID2, .dt = 2}, b = {.key = k_key3, .key_id = ID2, .dt = 3};
    doc_msg(d, &a, MCGK_GMK_USE_MEDIA);
    doc_msg(d, &b, MCGK_GMK_USE_MEDIA);
    CHECK_ERR(run(&s, d, 0, &o), MCGK_ERR_DUPLICATE_KEY_ID);
    check_refused(&o, MCGK_ERR_DUPLICATE_KEY_ID, 403);
    CHECK(o.gmk_index == 1);
    same(&s, &before);
    free(d);
    mcgk_client_state_clear(&s);
}

/* R-001-14, R-003-17, R-000-21, R-004-08: the signature is checked; a tampered message
   is refused (R-001-20, R-003-23, R-004-09: the error status goes back) */
static void test_R_001_14_R_003_17_R_004_08_R_001_20_R_003_23_R_004_09_tampered(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    doc_init(d, 1);
    doc_group(d, GROUP_A, GMS_URI, 0);
    mopt m = {0};
    doc_msg(d, &m, MCGK_GMK_USE_MEDIA);
    d->gmks[0].msg[d->gmks[0].msg_len - 10] ^= 0x01; /* inside the signature */
    CHECK_ERR(run(&s, d, 0, &o), MCGK_ERR_SIGNATURE);
    check_refused(&o, MCGK_ERR_SIGNATURE, 403);
    CHECK(s.n_gmks == 0 && s.n_groups == 0 && s.n_replay == 0 && s.n_doc_hashes == 0);
    /* a flipped octet in the key parameters (re-signing impossible for an attacker):
       the signature covers it */
    d->gmks[0].msg_len = build(&m, d->gmks[0].msg);
    d->gmks[0].msg[d->gmks[0].msg_len - 140] ^= 0x80;
    CHECK(run(&s, d, 0, &o) != MCGK_OK);
    CHECK(o.status == 403 || o.status == 400);
    CHECK(s.n_gmks == 0);
    free(d);
    mcgk_client_state_clear(&s);
}

/* R-001-18, R-003-22: the parameters must decrypt: a message whose key-parameters
   envelope was altered and re-signed by the GMS itself is refused (key-params) */
static void test_R_001_18_R_003_22_params_must_decrypt(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    doc_init(d, 1);
    doc_group(d, GROUP_A, GMS_URI, 0);
    mopt m = {0};
    doc_msg(d, &m, MCGK_GMK_USE_MEDIA);
    mcgk_mikey_msg mm;
    CHECK_OK(mcgk_mikey_parse(d->gmks[0].msg, d->gmks[0].msg_len, &mm, NULL));
    mcgk_mikey_payload *p = NULL;
    for (size_t i = 0; i < mm.n_payloads; i++)
        if (mm.payloads[i].type == MCGK_MIKEY_PT_GENERAL_EXT &&
            mm.payloads[i].u.genext.type == MCGK_MIKEY_EXT_KEY_PARAMS)
            p = &mm.payloads[i];
    CHECK(p != NULL);
    if (p != NULL) {
        uint8_t env[MCGK_KP_ENVELOPE_MAX_LEN], out[MSG_CAP];
        memcpy(env, p->u.genext.data, p->u.genext.len);
        env[p->u.genext.len - 1] ^= 0x01; /* the GCM tag */
        p->u.genext.data = env;
        p->u.genext.form = MCGK_MIKEY_GENEXT_OPAQUE;
        size_t n = 0, sl = 0;
        CHECK_OK(mcgk_mikey_encode(&mm, out, sizeof out, &n, &sl));
        CHECK_OK(mcgk_eccsi_sign(&g_gms.signer, out, sl, &g_rng, out + sl));
        memcpy(d->gmks[0].msg, out, n);
        d->gmks[0].msg_len = n;
        CHECK_ERR(run(&s, d, 0, &o), MCGK_ERR_KEY_PARAMS);
        check_refused(&o, MCGK_ERR_KEY_PARAMS, 403);
        CHECK(s.n_gmks == 0);
    }
    free(d);
    mcgk_client_state_clear(&s);
}

/* R-003-18, R-004-08, R-000-21: a GMK signed by a GMS that is not authorised to create
   groups is refused */
static void test_R_003_18_R_004_08_wrong_signer_refused(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mopt m = {.gms = &g_rogue};
    CHECK_ERR(run_one(&s, 1, &m, &o), MCGK_ERR_NOT_AUTHORISED);
    check_refused(&o, MCGK_ERR_NOT_AUTHORISED, 403);
    CHECK(s.n_gmks == 0);
    /* the document naming a GMS that is not authorised for a group: refused first */
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    doc_init(d, 2);
    doc_group(d, GROUP_A, ROGUE_URI, 0);
    CHECK_ERR(run(&s, d, 0, &o), MCGK_ERR_NOT_AUTHORISED);
    check_refused(&o, MCGK_ERR_NOT_AUTHORISED, 403);
    CHECK(s.n_groups == 0);
    free(d);
    mcgk_client_state_clear(&s);
}

/* R-001-19: the client looks the group up in its profile and checks that the signing GMS
   is the one configured for it (SEAL: no authorised list, a profile) */
static void test_R_001_19_profile_gms(void)
{
    static const mcgk_gmk_group_gms profile[] = {{GROUP_A, GMS_URI}, {GROUP_B, GMS2_URI}};
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    g_cfg.authorised_gms = NULL;
    g_cfg.n_authorised_gms = 0;
    g_cfg.profile = profile;
    g_cfg.n_profile = 2;
    /* the configured GMS for A: accepted */
    mopt m = {0};
    CHECK_OK(run_one(&s, 1, &m, &o));
    /* a GMK for group B signed by GMS 1, while the profile says GMS 2 for B */
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    doc_init(d, 2);
    doc_group(d, GROUP_A, GMS_URI, 0);
    mopt mb = {.key = k_key2, .key_id = ID2, .groups = {GROUP_B}};
    doc_msg(d, &mb, MCGK_GMK_USE_MEDIA);
    CHECK_ERR(run(&s, d, 0, &o), MCGK_ERR_NOT_AUTHORISED);
    check_refused(&o, MCGK_ERR_NOT_AUTHORISED, 403);
    /* the document itself claims GMS 1 manages B: refused before any opening */
    d->n_groups = 0;
    doc_group(d, GROUP_B, GMS_URI, 0);
    CHECK_ERR(run(&s, d, 0, &o), MCGK_ERR_NOT_AUTHORISED);
    CHECK(o.gmk_index == -1);
    /* signed by GMS 2 for B: accepted */
    d->n_groups = 0;
    d->n_gmks = 0;
    doc_group(d, GROUP_B, GMS2_URI, 0);
    mopt m2 = {.gms = &g_gms2, .key = k_key2, .key_id = ID2, .groups = {GROUP_B}};
    doc_msg(d, &m2, MCGK_GMK_USE_MEDIA);
    CHECK_OK(run(&s, d, 0, &o));
    CHECK(held(&s, ID2) != NULL);
    /* a group in no profile, with no authorised list: refused */
    d->n_groups = 0;
    d->n_gmks = 0;
    d->seq = 3;
    doc_group(d, GROUP_C, GMS_URI, 0);
    CHECK_ERR(run(&s, d, 0, &o), MCGK_ERR_NOT_AUTHORISED);
    free(d);
    cfg_default();
    mcgk_client_state_clear(&s);
}

/* R-000-21: the group identity must be acceptable: a GMK for a group the client does not
   know (not in the document, profile or state) is refused (wrong group) */
static void test_R_000_21_wrong_group_refused(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mopt m = {.groups = {GROUP_C}};
    CHECK_ERR(run_one(&s, 1, &m, &o), MCGK_ERR_NOT_AUTHORISED);
    check_refused(&o, MCGK_ERR_NOT_AUTHORISED, 403);
    CHECK(s.n_gmks == 0 && s.n_groups == 0);
    mcgk_client_state_clear(&s);
}

/* a message for another user (not-for-me), outside the time window (timestamp), of
   another purpose (key-purpose), garbage (400): each refused with its name */
static void test_refusals_by_check(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mopt bob = {.to = &g_bob};
    CHECK_ERR(run_one(&s, 1, &bob, &o), MCGK_ERR_NOT_FOR_ME);
    check_refused(&o, MCGK_ERR_NOT_FOR_ME, 403);
    mopt old = {.dt = -(MCGK_GMK_WINDOW_PAST_S + 10)};
    CHECK_ERR(run_one(&s, 1, &old, &o), MCGK_ERR_TIMESTAMP);
    check_refused(&o, MCGK_ERR_TIMESTAMP, 403);
    mopt pck = {.key_id = 0x11000001u, .no_params = 1}; /* purpose 1: a PCK */
    CHECK_ERR(run_one(&s, 1, &pck, &o), MCGK_ERR_KEY_PURPOSE);
    check_refused(&o, MCGK_ERR_KEY_PURPOSE, 403);
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    doc_init(d, 1);
    doc_group(d, GROUP_A, GMS_URI, 0);
    d->n_gmks = 1;
    d->gmks[0].msg_len = 3;
    memcpy(d->gmks[0].msg, "\x01\x1a\x05", 3);
    CHECK(run(&s, d, 0, &o) != MCGK_OK);
    CHECK(o.status == 400 && o.warning != NULL && o.gmk_index == 0);
    /* a document that is not one: 400 with the parser's error */
    CHECK_ERR(mcgk_client_process_bytes(&g_cfg, &s, (const uint8_t *)"<x/>", 4, g_now, &o),
              MCGK_ERR_MALFORMED);
    check_refused(&o, MCGK_ERR_MALFORMED, 400);
    CHECK(s.n_gmks == 0 && s.n_groups == 0 && s.n_replay == 0);
    free(d);
    mcgk_client_state_clear(&s);
}

/* R-000-01, R-003-01: no key set for the message's period: 480 (the GMS retries later);
   a failing key lookup is a 500 */
static void test_R_000_01_no_keys_480(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    g_receiver_err = MCGK_ERR_NO_KEYS;
    mopt m = {0};
    CHECK_ERR(run_one(&s, 1, &m, &o), MCGK_ERR_NO_KEYS);
    check_refused(&o, MCGK_ERR_NO_KEYS, 480);
    g_receiver_err = MCGK_ERR_IO;
    CHECK_ERR(run_one(&s, 1, &m, &o), MCGK_ERR_IO);
    check_refused(&o, MCGK_ERR_IO, 500);
    CHECK(o.detail == MCGK_ERR_IO && o.gmk_index == 0);
    CHECK(s.n_gmks == 0);
    cfg_default();
    mcgk_client_state_clear(&s);
}

static mcgk_err null_receiver(void *ctx, uint64_t period_no, const mcgk_sakke_receiver **out)
{
    (void)ctx;
    (void)period_no;
    *out = NULL;
    return MCGK_OK;
}

static void test_receiver_without_keys(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    g_cfg.receiver = null_receiver;
    mopt m = {0};
    CHECK_ERR(run_one(&s, 1, &m, &o), MCGK_ERR_NO_KEYS);
    CHECK(o.status == 480);
    cfg_default();
    mcgk_client_state_clear(&s);
}

/* a replayed message (the same I_MESSAGE in another document) is refused */
static void test_replay_refused(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    doc_init(d, 1);
    doc_group(d, GROUP_A, GMS_URI, 0);
    mopt m = {0};
    doc_msg(d, &m, MCGK_GMK_USE_MEDIA);
    CHECK_OK(run(&s, d, 0, &o));
    d->seq = 2; /* another document, the same message */
    CHECK_ERR(run(&s, d, 0, &o), MCGK_ERR_REPLAY);
    check_refused(&o, MCGK_ERR_REPLAY, 403);
    free(d);
    mcgk_client_state_clear(&s);
}

/* a document is all or nothing: one bad message, nothing stored (and the good one is
   not burnt in the replay cache: it is accepted alone afterwards) */
static void test_document_all_or_nothing(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    doc_init(d, 1);
    doc_group(d, GROUP_A, GMS_URI, 0);
    mopt good = {0}, bad = {.key = k_key2, .key_id = ID2, .gms = &g_rogue};
    doc_msg(d, &good, MCGK_GMK_USE_MEDIA);
    doc_msg(d, &bad, MCGK_GMK_USE_FLOOR_CONTROL);
    CHECK_ERR(run(&s, d, 0, &o), MCGK_ERR_NOT_AUTHORISED);
    CHECK(o.gmk_index == 1);
    CHECK(s.n_gmks == 0 && s.n_groups == 0 && s.n_replay == 0 && s.n_doc_hashes == 0);
    d->n_gmks = 1;
    CHECK_OK(run(&s, d, 0, &o));
    CHECK(held(&s, ID1) != NULL);
    free(d);
    mcgk_client_state_clear(&s);
}

/* ================================ revocation ================================ */

/* R-003-34: a revocation (Status bit cleared) marks the GMK unusable; the key is wiped;
   it is answered 200; nothing later undoes it */
static void test_R_003_34_revocation(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mopt m = {0};
    CHECK_OK(run_one(&s, 1, &m, &o));
    size_t idx = 99;
    CHECK_OK(mcgk_client_select(&s, GROUP_A, MCGK_GMK_USE_MEDIA, g_now, &idx));
    mopt rev = {.revoked = 1, .dt = 10};
    CHECK_OK(run_one(&s, 2, &rev, &o));
    CHECK(o.status == 200 && has_event(&o, MCGK_CLIENT_EV_REVOKED, ID1));
    const mcgk_client_gmk *g = held(&s, ID1);
    CHECK(g != NULL && g->revoked && !g->has_key && g->dirty);
    uint8_t zero[MCGK_KEY_LEN] = {0};
    CHECK_MEM(g->key, zero, MCGK_KEY_LEN);
    CHECK(mcgk_client_gmk_status_at(g, g_now) == MCGK_CLIENT_GMK_REVOKED);
    CHECK_ERR(mcgk_client_select(&s, GROUP_A, MCGK_GMK_USE_MEDIA, g_now, &idx), MCGK_ERR_NOT_FOUND);
    /* a later non-revoked message for the same GMK: ignored, still revoked */
    mcgk_client_state_clean(&s);
    mopt again = {.dt = 20};
    CHECK_OK(run_one(&s, 3, &again, &o));
    CHECK(o.status == 200 && has_event(&o, MCGK_CLIENT_EV_STILL_REVOKED, ID1));
    CHECK(held(&s, ID1)->revoked && !held(&s, ID1)->has_key && !held(&s, ID1)->dirty);
    CHECK_ERR(mcgk_client_select(&s, GROUP_A, MCGK_GMK_USE_MEDIA, g_now, &idx), MCGK_ERR_NOT_FOUND);
    mcgk_client_state_clear(&s);
}

/* a revocation for a GMK-ID not held is remembered, so the GMK cannot arrive later */
static void test_R_003_34_revocation_first(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mopt rev = {.revoked = 1, .dt = 10};
    CHECK_OK(run_one(&s, 1, &rev, &o));
    CHECK(has_event(&o, MCGK_CLIENT_EV_REVOKED, ID1));
    CHECK(held(&s, ID1) != NULL && held(&s, ID1)->revoked && !held(&s, ID1)->has_key);
    mopt late = {.dt = 5}; /* the original message, delivered late */
    CHECK_OK(run_one(&s, 2, &late, &o));
    CHECK(has_event(&o, MCGK_CLIENT_EV_STILL_REVOKED, ID1));
    CHECK(!held(&s, ID1)->has_key);
    mcgk_client_state_clear(&s);
}

/* ================================ removal ================================ */

/* R-001-33: removed from a group, the client deletes and wipes its GMK unless the GMK is
   also associated with another group it remains a member of */
static void test_R_001_33_removal_deletes_unless_shared(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    doc_init(d, 1);
    doc_group(d, GROUP_A, GMS_URI, 0);
    doc_group(d, GROUP_B, GMS_URI, 0);
    mopt only_a = {0};                                                 /* ID1: A */
    mopt a_and_b = {.key = k_key2, .key_id = ID2, .groups = {GROUP_A, GROUP_B}}; /* ID2 */
    mopt only_b = {.key = k_key3, .key_id = ID3, .groups = {GROUP_B}};  /* ID3: B */
    doc_msg(d, &only_a, MCGK_GMK_USE_MEDIA);
    doc_msg(d, &a_and_b, MCGK_GMK_USE_FLOOR_CONTROL);
    doc_msg(d, &only_b, MCGK_GMK_USE_MEDIA);
    CHECK_OK(run(&s, d, 0, &o));
    CHECK(s.n_gmks == 3);
    mcgk_client_state_clean(&s);

    /* removed from A: ID1 goes (wiped, tombstone), ID2 stays (B still uses it) */
    memset(d, 0, sizeof *d);
    doc_init(d, 2);
    doc_group(d, GROUP_A, GMS_URI, 1);
    CHECK_OK(run(&s, d, 60, &o));
    CHECK(has_event(&o, MCGK_CLIENT_EV_GROUP_REMOVED, 0));
    CHECK(has_event(&o, MCGK_CLIENT_EV_DELETED, ID1));
    CHECK(has_event(&o, MCGK_CLIENT_EV_KEPT, ID2));
    CHECK(held(&s, ID1) == NULL && held(&s, ID2) != NULL && held(&s, ID3) != NULL);
    CHECK(s.n_deleted == 1 && s.deleted[0] == ID1);
    CHECK(s.n_tombstones == 1 && s.tombstones[0].gmk_id == ID1 && s.tombstones_dirty);
    CHECK(s.tombstones[0].deleted_ntp_s == g_t_ntp + 60);
    /* the wiped slot holds no key */
    for (size_t i = s.n_gmks; i < s.cap_gmks; i++) {
        uint8_t zero[MCGK_KEY_LEN] = {0};
        CHECK_MEM(s.gmks[i].key, zero, MCGK_KEY_LEN);
    }
    size_t idx = 0;
    CHECK_ERR(mcgk_client_select(&s, GROUP_A, MCGK_GMK_USE_FLOOR_CONTROL, g_now, &idx),
              MCGK_ERR_NOT_FOUND); /* not a member of A any more */
    CHECK_OK(mcgk_client_select(&s, GROUP_B, MCGK_GMK_USE_FLOOR_CONTROL, g_now, &idx));
    CHECK(s.gmks[idx].gmk_id == ID2);
    mcgk_client_state_clean(&s);

    /* removed from B as well: ID2 and ID3 go */
    memset(d, 0, sizeof *d);
    doc_init(d, 3);
    doc_group(d, GROUP_B, GMS_URI, 1);
    CHECK_OK(run(&s, d, 120, &o));
    CHECK(has_event(&o, MCGK_CLIENT_EV_DELETED, ID2) && has_event(&o, MCGK_CLIENT_EV_DELETED, ID3));
    CHECK(s.n_gmks == 0 && s.n_deleted == 2 && s.n_tombstones == 3);
    free(d);
    mcgk_client_state_clear(&s);
}

/* R-001-33: a deleted GMK cannot come back from a message stamped before the deletion (a
   replayed or withheld one); a fresh one after re-admission is accepted */
static void test_R_001_33_deleted_stays_deleted(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mopt m = {0};
    CHECK_OK(run_one(&s, 1, &m, &o));
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    doc_init(d, 2);
    doc_group(d, GROUP_A, GMS_URI, 1);
    CHECK_OK(run(&s, d, 30, &o));
    CHECK(held(&s, ID1) == NULL);
    /* an older (never delivered) message for it, in a document re-adding the member */
    mopt withheld = {.dt = 20};
    CHECK_ERR(run_one(&s, 3, &withheld, &o), MCGK_ERR_REPLAY);
    check_refused(&o, MCGK_ERR_REPLAY, 403);
    CHECK(held(&s, ID1) == NULL);
    /* re-admitted later: a fresh message is accepted */
    mopt fresh = {.dt = 40};
    memset(d, 0, sizeof *d);
    doc_init(d, 4);
    doc_group(d, GROUP_A, GMS_URI, 0);
    doc_msg(d, &fresh, MCGK_GMK_USE_MEDIA);
    CHECK_OK(run(&s, d, 45, &o));
    CHECK(held(&s, ID1) != NULL && held(&s, ID1)->has_key);
    free(d);
    mcgk_client_state_clear(&s);
}

/* group states follow the document sequence: an older document cannot undo a removal */
static void test_group_state_ordered_by_seq(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    doc_init(d, 5);
    doc_group(d, GROUP_A, GMS_URI, 1);
    CHECK_OK(run(&s, d, 0, &o));
    CHECK(mcgk_client_find_group(&s, GROUP_A)->removed);
    mcgk_client_state_clean(&s);
    memset(d, 0, sizeof *d);
    doc_init(d, 4);
    doc_group(d, GROUP_A, GMS_URI, 0);
    CHECK_OK(run(&s, d, 0, &o));
    CHECK(o.status == 200 && o.n_events == 1 && o.events[0].action == MCGK_CLIENT_EV_GROUP_STALE);
    CHECK(mcgk_client_find_group(&s, GROUP_A)->removed && !s.groups[0].dirty);
    CHECK(mcgk_client_find_group(&s, GROUP_B) == NULL);
    free(d);
    mcgk_client_state_clear(&s);
}

/* ================================ selection ================================ */

/* R-001-23: with several active GMKs for a group, the one with the most recent activation
   time; pending, expired and revoked ones are not used */
static void test_R_001_23_latest_activation(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    doc_init(d, 1);
    doc_group(d, GROUP_A, GMS_URI, 0);
    mopt g1 = {.act = -100, .dt = 3};                                 /* active, older */
    mopt g2 = {.key = k_key2, .key_id = ID2, .act = -50, .dt = 1};    /* active, newest act */
    mopt g3 = {.key = k_key3, .key_id = ID3, .act = 100, .dt = 2};    /* pending */
    doc_msg(d, &g1, MCGK_GMK_USE_MEDIA);
    doc_msg(d, &g2, MCGK_GMK_USE_MEDIA);
    doc_msg(d, &g3, MCGK_GMK_USE_MEDIA);
    CHECK_OK(run(&s, d, 0, &o));
    size_t idx = 99;
    CHECK_OK(mcgk_client_select(&s, GROUP_A, MCGK_GMK_USE_MEDIA, g_now, &idx));
    CHECK(s.gmks[idx].gmk_id == ID2);
    CHECK(mcgk_client_gmk_status_at(held(&s, ID3), g_now) == MCGK_CLIENT_GMK_PENDING);
    /* once ID3's activation time comes, it is the one */
    CHECK_OK(mcgk_client_select(&s, GROUP_A, MCGK_GMK_USE_MEDIA, g_now + 100, &idx));
    CHECK(s.gmks[idx].gmk_id == ID3);
    /* expired: g2 with an expiry, after it */
    mcgk_client_state_clean(&s);
    memset(d, 0, sizeof *d);
    doc_init(d, 2);
    doc_group(d, GROUP_A, GMS_URI, 0);
    mopt g4 = {.key = k_key1, .key_id = 0x04000004u, .act = -20, .exp = 30, .dt = 4};
    g4.key = k_key3;
    doc_msg(d, &g4, MCGK_GMK_USE_MEDIA);
    CHECK_OK(run(&s, d, 0, &o));
    CHECK_OK(mcgk_client_select(&s, GROUP_A, MCGK_GMK_USE_MEDIA, g_now + 10, &idx));
    CHECK(s.gmks[idx].gmk_id == 0x04000004u);
    CHECK_OK(mcgk_client_select(&s, GROUP_A, MCGK_GMK_USE_MEDIA, g_now + 40, &idx));
    CHECK(s.gmks[idx].gmk_id == ID2);
    CHECK(mcgk_client_gmk_status_at(held(&s, 0x04000004u), g_now + 40) == MCGK_CLIENT_GMK_EXPIRED);
    /* revoking ID2 hands the group back to ID1 */
    mcgk_client_state_clean(&s);
    mopt rev2 = {.key = k_key2, .key_id = ID2, .act = -50, .revoked = 1, .dt = 9};
    CHECK_OK(run_one(&s, 3, &rev2, &o));
    CHECK_OK(mcgk_client_select(&s, GROUP_A, MCGK_GMK_USE_MEDIA, g_now + 40, &idx));
    CHECK(s.gmks[idx].gmk_id == ID1);
    CHECK_ERR(mcgk_client_select(&s, GROUP_B, MCGK_GMK_USE_MEDIA, g_now, &idx), MCGK_ERR_NOT_FOUND);
    CHECK_ERR(mcgk_client_select(&s, NULL, MCGK_GMK_USE_MEDIA, g_now, &idx), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_select(NULL, GROUP_A, MCGK_GMK_USE_MEDIA, g_now, &idx),
              MCGK_ERR_INVALID_ARG);
    free(d);
    mcgk_client_state_clear(&s);
}

/* R-000-23: equal activation: the last received GMK by I_MESSAGE timestamp is current,
   and a message with an older timestamp arriving later does not replace it */
static void test_R_000_23_latest_timestamp(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mopt newer = {.key = k_key2, .key_id = ID2, .dt = 200};
    CHECK_OK(run_one(&s, 1, &newer, &o));
    mopt older = {.dt = 100}; /* arrives second, stamped earlier */
    CHECK_OK(run_one(&s, 2, &older, &o));
    size_t idx = 99;
    CHECK_OK(mcgk_client_select(&s, GROUP_A, MCGK_GMK_USE_MEDIA, g_now, &idx));
    CHECK(s.gmks[idx].gmk_id == ID2);
    mopt newest = {.key = k_key3, .key_id = ID3, .dt = 250};
    CHECK_OK(run_one(&s, 3, &newest, &o));
    CHECK_OK(mcgk_client_select(&s, GROUP_A, MCGK_GMK_USE_MEDIA, g_now, &idx));
    CHECK(s.gmks[idx].gmk_id == ID3);
    mcgk_client_state_clear(&s);
}

/* R-004-13, R-004-12: two different GMKs in one procedure, one for media and one for
   floor control: both stored, each chosen for its use */
static void test_R_004_13_media_and_floor_control(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    doc_init(d, 1);
    doc_group(d, GROUP_A, GMS_URI, 0);
    mopt media = {0}, floor = {.key = k_key2, .key_id = ID2};
    doc_msg(d, &media, MCGK_GMK_USE_MEDIA);
    doc_msg(d, &floor, MCGK_GMK_USE_FLOOR_CONTROL);
    CHECK_OK(run(&s, d, 0, &o));
    CHECK(has_event(&o, MCGK_CLIENT_EV_STORED, ID1) && has_event(&o, MCGK_CLIENT_EV_STORED, ID2));
    size_t a = 99, b = 99;
    CHECK_OK(mcgk_client_select(&s, GROUP_A, MCGK_GMK_USE_MEDIA, g_now, &a));
    CHECK_OK(mcgk_client_select(&s, GROUP_A, MCGK_GMK_USE_FLOOR_CONTROL, g_now, &b));
    CHECK(s.gmks[a].gmk_id == ID1 && s.gmks[b].gmk_id == ID2);
    CHECK(s.gmks[b].use == MCGK_GMK_USE_FLOOR_CONTROL);
    free(d);
    mcgk_client_state_clear(&s);
}

/* R-001-07, R-001-06: each group listed in the parameters uses the GMK (one GMK for
   several groups) */
static void test_R_001_07_one_gmk_several_groups(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    doc_init(d, 1);
    doc_group(d, GROUP_A, GMS_URI, 0);
    doc_group(d, GROUP_B, GMS_URI, 0);
    mopt m = {.groups = {GROUP_A, GROUP_B}};
    doc_msg(d, &m, MCGK_GMK_USE_MEDIA);
    CHECK_OK(run(&s, d, 0, &o));
    size_t a = 99, b = 99;
    CHECK_OK(mcgk_client_select(&s, GROUP_A, MCGK_GMK_USE_MEDIA, g_now, &a));
    CHECK_OK(mcgk_client_select(&s, GROUP_B, MCGK_GMK_USE_MEDIA, g_now, &b));
    CHECK(a == b && s.gmks[a].gmk_id == ID1);
    CHECK(mcgk_client_gmk_group_count(&s.gmks[a]) == 2);
    CHECK(strcmp(mcgk_client_gmk_group(&s.gmks[a], 1), GROUP_B) == 0);
    CHECK(mcgk_client_gmk_group(&s.gmks[a], 2) == NULL);
    free(d);
    mcgk_client_state_clear(&s);
}

/* a GMK whose parameters list no group serves the document's member groups */
static void test_gmk_without_groups(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_OK(mcgk_client_state_init(&s));
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    doc_init(d, 1);
    doc_group(d, GROUP_A, GMS_URI, 0);
    doc_group(d, GROUP_C, GMS_URI, 1);
    mopt none = {.groups = {""}};
    doc_msg(d, &none, MCGK_GMK_USE_MEDIA);
    CHECK_OK(run(&s, d, 0, &o));
    const mcgk_client_gmk *g = held(&s, ID1);
    CHECK(g != NULL && g->n_assoc == 1 && strcmp(g->assoc[0], GROUP_A) == 0);
    CHECK(mcgk_client_gmk_serves(g, GROUP_A) && !mcgk_client_gmk_serves(g, GROUP_C));
    mopt np = {.key = k_key2, .key_id = ID2, .no_params = 1, .dt = 1};
    CHECK_OK(run_one(&s, 2, &np, &o));
    CHECK(!held(&s, ID2)->has_params &&
          mcgk_client_gmk_status_at(held(&s, ID2), g_now) == MCGK_CLIENT_GMK_ACTIVE);
    free(d);
    mcgk_client_state_clear(&s);
}

/* ================================ limits and arguments ================================ */

static void test_capacity_and_arguments(void)
{
    mcgk_client_state s;
    mcgk_client_outcome o;
    CHECK_ERR(mcgk_client_state_init(NULL), MCGK_ERR_INVALID_ARG);
    CHECK_OK(mcgk_client_state_init(&s));
    CHECK_ERR(mcgk_client_state_reserve_gmks(&s, MCGK_CLIENT_MAX_GMKS + 1), MCGK_ERR_OVERSIZED);
    CHECK_ERR(mcgk_client_state_reserve_groups(&s, MCGK_CLIENT_MAX_GROUPS + 1), MCGK_ERR_OVERSIZED);
    CHECK_ERR(mcgk_client_state_reserve_gmks(NULL, 1), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_state_reserve_groups(NULL, 1), MCGK_ERR_INVALID_ARG);
    /* a full state: a new GMK is the client's problem (500), not the GMS's */
    CHECK_OK(mcgk_client_state_reserve_gmks(&s, MCGK_CLIENT_MAX_GMKS));
    for (size_t i = 0; i < MCGK_CLIENT_MAX_GMKS; i++) {
        s.gmks[i].gmk_id = 0x0f000000u + (uint32_t)i;
        s.gmks[i].use = MCGK_GMK_USE_MEDIA;
    }
    s.n_gmks = MCGK_CLIENT_MAX_GMKS;
    mopt m = {0};
    CHECK_ERR(run_one(&s, 1, &m, &o), MCGK_ERR_OVERSIZED);
    CHECK(o.status == 500 && strcmp(o.warning, "oversized") == 0);
    CHECK(s.n_gmks == MCGK_CLIENT_MAX_GMKS && s.n_groups == 0);
    /* arguments */
    uint8_t h[MCGK_CLIENT_HASH_LEN] = {0};
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    CHECK_ERR(mcgk_client_process(NULL, &s, d, h, g_now, &o), MCGK_ERR_INVALID_ARG);
    CHECK(o.status == 500);
    CHECK_ERR(mcgk_client_process(&g_cfg, NULL, d, h, g_now, &o), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_process(&g_cfg, &s, NULL, h, g_now, &o), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_process(&g_cfg, &s, d, NULL, g_now, &o), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_process(&g_cfg, &s, d, h, g_now, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_process_bytes(&g_cfg, &s, NULL, 5, g_now, &o), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_process_bytes(&g_cfg, &s, NULL, 0, g_now, NULL), MCGK_ERR_INVALID_ARG);
    d->n_gmks = MCGK_GROUPDOC_MAX_GMKS + 1;
    CHECK_ERR(mcgk_client_process(&g_cfg, &s, d, h, g_now, &o), MCGK_ERR_INVALID_ARG);
    free(d);
    mcgk_client_outcome_fail(NULL, MCGK_ERR_IO);
    mcgk_client_state_clean(NULL);
    mcgk_client_state_clear(NULL);
    mcgk_client_state_clear(&s);
    mcgk_client_state_clear(&s); /* twice is fine */
}

static void test_names(void)
{
    CHECK(strcmp(mcgk_client_gmk_status_name(MCGK_CLIENT_GMK_ACTIVE), "active") == 0);
    CHECK(strcmp(mcgk_client_gmk_status_name(MCGK_CLIENT_GMK_PENDING), "pending") == 0);
    CHECK(strcmp(mcgk_client_gmk_status_name(MCGK_CLIENT_GMK_EXPIRED), "expired") == 0);
    CHECK(strcmp(mcgk_client_gmk_status_name(MCGK_CLIENT_GMK_REVOKED), "revoked") == 0);
    CHECK(strcmp(mcgk_client_gmk_status_name((mcgk_client_gmk_status)9), "unknown") == 0);
    static const char *const names[] = {"stored", "updated", "same", "revoked", "still-revoked",
                                        "deleted", "kept", "member", "removed", "stale"};
    for (int a = 1; a <= 10; a++)
        CHECK(strcmp(mcgk_client_action_name((mcgk_client_action)a), names[a - 1]) == 0);
    CHECK(strcmp(mcgk_client_action_name((mcgk_client_action)0), "unknown") == 0);
    CHECK(mcgk_client_gmk_status_at(NULL, 0) == MCGK_CLIENT_GMK_REVOKED);
    CHECK(!mcgk_client_gmk_serves(NULL, GROUP_A));
    CHECK(mcgk_client_gmk_group_count(NULL) == 0 && mcgk_client_gmk_group(NULL, 0) == NULL);
    CHECK(mcgk_client_find_group(NULL, GROUP_A) == NULL);
}

int main(void)
{
    g_syn = mcgk_vec_load("synthetic-gmk-imessage.txt");
    g_rng = mcgk_test_prng_init(&g_prng, 0x5eed0c11e47ull);
    setup();
    cfg_default();
    TEST_RUN(test_R_001_21_R_003_24_R_004_10_R_001_15_R_003_19_R_001_17_R_003_21_R_000_22_store);
    TEST_RUN(test_R_001_22_R_003_25_R_004_11_response_has_no_keys);
    TEST_RUN(test_R_003_30_R_003_32_R_003_31_pulled_document);
    TEST_RUN(test_duplicate_gmk_idempotent);
    TEST_RUN(test_R_001_16_R_003_20_R_004_08_duplicate_gmk_id_refused);
    TEST_RUN(test_R_001_14_R_003_17_R_004_08_R_001_20_R_003_23_R_004_09_tampered);
    TEST_RUN(test_R_001_18_R_003_22_params_must_decrypt);
    TEST_RUN(test_R_003_18_R_004_08_wrong_signer_refused);
    TEST_RUN(test_R_001_19_profile_gms);
    TEST_RUN(test_R_000_21_wrong_group_refused);
    TEST_RUN(test_refusals_by_check);
    TEST_RUN(test_R_000_01_no_keys_480);
    TEST_RUN(test_receiver_without_keys);
    TEST_RUN(test_replay_refused);
    TEST_RUN(test_document_all_or_nothing);
    TEST_RUN(test_R_003_34_revocation);
    TEST_RUN(test_R_003_34_revocation_first);
    TEST_RUN(test_R_001_33_removal_deletes_unless_shared);
    TEST_RUN(test_R_001_33_deleted_stays_deleted);
    TEST_RUN(test_group_state_ordered_by_seq);
    TEST_RUN(test_R_001_23_latest_activation);
    TEST_RUN(test_R_000_23_latest_timestamp);
    TEST_RUN(test_R_004_13_media_and_floor_control);
    TEST_RUN(test_R_001_07_one_gmk_several_groups);
    TEST_RUN(test_gmk_without_groups);
    TEST_RUN(test_capacity_and_arguments);
    TEST_RUN(test_names);
    teardown();
    mcgk_vec_free(g_syn);
    TEST_MAIN_END();
}
