/*
 * Tests of the GMK I_MESSAGE (src/mikey/gmk_build.c, gmk_open.c, replay.c;
 * mcgk/gmk_message.h; TS 33.180 §5.2, Annex E; ts33180.md §9).
 *
 * - The four Streamwide messages open to the stated keys, IDs, RAND and
 *   parameters (the legacy IWF message only on request), and their SRTP
 *   keys derive from the result (tests/vectors/streamwide-mikey-sakke.txt).
 * - The synthetic message is rebuilt octet for octet from its fixed
 *   randomness (tests/vectors/synthetic-gmk-imessage.txt).
 * - One test per 'shall' of seed-requirements.md C, D, E and H that the
 *   message layer implements (named by its R-ID).
 * - For every check of the receiver checklist, a message failing exactly
 *   that check (re-signed by the GMS where needed, so that every other
 *   check passes) gives exactly that error, and leaves the output untouched.
 * - Every single-byte flip, every truncation and appended data of a built
 *   message and of a Streamwide message is rejected, outputs untouched.
 * - Every error code of the builder, the context, the replay cache, and
 *   the reply mapping.
 *
 * Keys: KMS A is the synthetic vector's KMS (RFC 6507/6508 test secrets), so
 * any identity can be issued keys; KMS B is a partner KMS generated here.
 */
#include "test.h"

#include "mcgk/gmk_message.h"
#include "mcgk/kdf.h"
#include "mcgk/mikey.h"

#define MSG_CAP 4096
#define GMS_URI "sip:gms@example.org"
#define USER_URI "sip:user@example.org" /* the synthetic vector's user */
#define BOB_URI "sip:bob@example.org"
#define ROGUE_URI "sip:rogue@example.org"
#define GROUP_A "sip:grp-a@example.org"
#define GROUP_B "sip:grp-b@example.org"
#define PGMS_URI "sip:gms@partner.example.net"
#define CAROL_URI "sip:carol@partner.example.net"
#define KMS_B_URI "kms.partner.example.net"
#define KMS_B_PERIOD 604800

static mcgk_vecfile *g_sw, *g_syn;
static mcgk_test_prng g_prng;
static mcgk_rng g_rng;

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* ---- fixtures: two KMSs and their users ---------------------------------------------------- */

typedef struct kms_fx {
    char uri[64];
    uint8_t z[MCGK_SAKKE_FP_LEN];
    size_t z_len;
    uint8_t Z[MCGK_SAKKE_POINT_LEN];
    uint8_t ksak[MCGK_ECCSI_SCALAR_LEN];
    uint8_t kpak[MCGK_ECCSI_POINT_LEN];
    mcgk_sakke_community *community;
    mcgk_gmk_kms kms;
} kms_fx;

typedef struct user_fx {
    const char *uri;
    const kms_fx *k;
    uint64_t period_no;
    uint8_t uid[MCGK_UID_LEN];
    mcgk_sakke_receiver *receiver;
    mcgk_eccsi_signer signer;
    mcgk_gmk_own_keys own;
} user_fx;

static kms_fx g_a, g_b;
static user_fx g_gms, g_user, g_bob, g_rogue, g_pgms, g_carol;
static uint64_t g_t_ntp; /* the synthetic vector's message time */
static uint64_t g_now;   /* Unix seconds at that time */

static void kms_from_secrets(kms_fx *k, const char *uri, uint64_t period)
{
    snprintf(k->uri, sizeof k->uri, "%s", uri);
    CHECK_OK(mcgk_sakke_public_from_secret(k->z, k->z_len, k->Z));
    CHECK_OK(mcgk_eccsi_kpak_from_ksak(k->ksak, k->kpak));
    CHECK_OK(mcgk_sakke_community_new(k->Z, &k->community));
    k->kms.kms_uri = k->uri;
    k->kms.period_s = period;
    k->kms.offset_s = 0;
    k->kms.kpak = k->kpak;
    k->kms.community = k->community;
}

/* issue RSK and SSK/PVT for uri under k for the period of g_t_ntp */
static void issue(user_fx *u, const char *uri, const kms_fx *k)
{
    u->uri = uri;
    u->k = k;
    CHECK_OK(mcgk_key_period_no(g_t_ntp, k->kms.period_s, 0, &u->period_no));
    CHECK_OK(mcgk_uid(uri, strlen(uri), k->uri, strlen(k->uri), k->kms.period_s, 0, u->period_no,
                      u->uid));
    uint8_t rsk[MCGK_SAKKE_POINT_LEN], ssk[MCGK_ECCSI_SCALAR_LEN], pvt[MCGK_ECCSI_POINT_LEN];
    CHECK_OK(mcgk_sakke_rsk_issue(k->z, k->z_len, u->uid, MCGK_UID_LEN, rsk));
    CHECK_OK(mcgk_sakke_receiver_new(k->community, u->uid, MCGK_UID_LEN, rsk, &u->receiver));
    CHECK_OK(mcgk_eccsi_issue(k->ksak, u->uid, MCGK_UID_LEN, &g_rng, ssk, pvt));
    CHECK_OK(mcgk_eccsi_signer_init(&u->signer, k->kpak, u->uid, MCGK_UID_LEN, ssk, pvt));
    u->own.period_no = u->period_no;
    u->own.receiver = u->receiver;
    mcgk_wipe(rsk, sizeof rsk);
    mcgk_wipe(ssk, sizeof ssk);
}

static void user_free(user_fx *u)
{
    mcgk_sakke_receiver_free(u->receiver);
    mcgk_eccsi_signer_clear(&u->signer);
}

static void setup(void)
{
    size_t n;
    g_t_ntp = mcgk_vec_u64(g_syn, NULL, "ntp_seconds");
    g_now = g_t_ntp - MCGK_NTP_UNIX_OFFSET_S;
    uint8_t *z = mcgk_vec_hex(g_syn, NULL, "kms_z", &n);
    memcpy(g_a.z, z, n);
    g_a.z_len = n;
    free(z);
    uint8_t *ksak = mcgk_vec_hex(g_syn, NULL, "kms_KSAK", &n);
    memcpy(g_a.ksak, ksak, n);
    free(ksak);
    kms_from_secrets(&g_a, "kms.example.org", mcgk_vec_u64(g_syn, NULL, "user_key_period"));
    /* the partner KMS: fresh secrets */
    CHECK_OK(mcgk_sakke_kms_keygen(&g_rng, g_b.z, g_b.Z));
    g_b.z_len = sizeof g_b.z;
    CHECK_OK(mcgk_eccsi_kms_keygen(&g_rng, g_b.ksak, g_b.kpak));
    kms_from_secrets(&g_b, KMS_B_URI, KMS_B_PERIOD);
    issue(&g_gms, GMS_URI, &g_a);
    issue(&g_user, USER_URI, &g_a);
    issue(&g_bob, BOB_URI, &g_a);
    issue(&g_rogue, ROGUE_URI, &g_a);
    issue(&g_pgms, PGMS_URI, &g_b);
    issue(&g_carol, CAROL_URI, &g_b);
}

static void teardown(void)
{
    user_fx *us[] = {&g_gms, &g_user, &g_bob, &g_rogue, &g_pgms, &g_carol};
    for (size_t i = 0; i < sizeof us / sizeof us[0]; i++)
        user_free(us[i]);
    mcgk_sakke_community_free(g_a.community);
    mcgk_sakke_community_free(g_b.community);
}

/* ---- building ----------------------------------------------------------------------------- */

static const uint8_t k_gmk[MCGK_KEY_LEN] = {0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
                                           0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
static const uint8_t k_rand[MCGK_GMK_RAND_LEN] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                                 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
#define GMK_ID 0x0abcdef1u

typedef struct bopts {
    const user_fx *gms;           /* signer (default g_gms) */
    const uint8_t *key;           /* default k_gmk */
    uint32_t key_id;              /* default GMK_ID */
    int no_params;
    uint32_t status;              /* default not revoked */
    const char *group;            /* default GROUP_A; "" = none */
    int hide_i, hide_r, self, empty_map;
} bopts;

static mcgk_key_params g_params;

static void make_cfg(const bopts *o, mcgk_gmk_build_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    const user_fx *gms = o->gms != NULL ? o->gms : &g_gms;
    cfg->key = o->key != NULL ? o->key : k_gmk;
    cfg->key_id = o->key_id != 0 ? o->key_id : GMK_ID;
    cfg->rand = k_rand;
    cfg->rand_len = sizeof k_rand;
    cfg->ts_ntp_s = g_t_ntp;
    cfg->ts_frac = 0;
    if (!o->no_params) {
        mcgk_key_params_init(&g_params, (uint8_t)MCGK_MIKEY_PURPOSE_OF(cfg->key_id));
        g_params.activation_ntp_s = g_t_ntp;
        g_params.expiry_ntp_s = g_t_ntp + 86400;
        memcpy(g_params.text, "Alpha", 5);
        g_params.text_len = 5;
        if (o->status != 0)
            g_params.status = o->status == 0xFFFFFFFFu ? 0 : o->status;
        const char *grp = o->group != NULL ? o->group : GROUP_A;
        if (grp[0] != '\0' && mcgk_key_params_type_has_groups(g_params.key_type))
            CHECK_OK(mcgk_key_params_add_group(&g_params, grp, strlen(grp)));
        cfg->params = &g_params;
    }
    cfg->gms_uri = gms->uri;
    cfg->gms_kms = &gms->k->kms;
    cfg->signer = &gms->signer;
    cfg->sakke_to_self = o->self;
    cfg->hide_initiator = o->hide_i;
    cfg->hide_responder = o->hide_r;
    cfg->map = o->empty_map ? MCGK_GMK_MAP_EMPTY : MCGK_GMK_MAP_GENERIC;
    cfg->cs_id = MCGK_GMK_CS_ID_MCPTT;
}

/* build one message for `to` (default options when o is NULL) */
static size_t build_msg(const bopts *o, const user_fx *to, uint8_t *out)
{
    static const bopts dflt;
    if (o == NULL)
        o = &dflt;
    mcgk_gmk_build_cfg cfg;
    mcgk_gmk_ctx ctx;
    make_cfg(o, &cfg);
    CHECK_OK(mcgk_gmk_ctx_init(&ctx, &cfg));
    mcgk_gmk_member mb = {to->uri, &to->k->kms};
    size_t n = 0;
    CHECK_OK(mcgk_gmk_build_one(&ctx, &mb, &g_rng, out, MSG_CAP, &n, NULL));
    mcgk_gmk_ctx_clear(&ctx);
    return n;
}

/* ---- opening ------------------------------------------------------------------------------ */

static const char *const k_authorised[] = {GMS_URI};
static const mcgk_gmk_group_gms k_groups[] = {{GROUP_A, GMS_URI}, {GROUP_B, ROGUE_URI}};

typedef struct held_db {
    int has;
    uint32_t key_id;
    uint8_t key[MCGK_KEY_LEN];
} held_db;

static int lookup(void *ctx, unsigned purpose, uint32_t key_id, uint8_t key[MCGK_KEY_LEN])
{
    const held_db *db = ctx;
    (void)purpose;
    if (!db->has || db->key_id != key_id)
        return 0;
    memcpy(key, db->key, MCGK_KEY_LEN);
    return 1;
}

static mcgk_gmk_kms g_trusted[2];

/* the receiver configuration of u: trusts both KMSs, knows GMS as authorised */
static void open_cfg(const user_fx *u, mcgk_gmk_open_cfg *cfg)
{
    mcgk_gmk_open_cfg_init(cfg);
    g_trusted[0] = g_a.kms;
    g_trusted[1] = g_b.kms;
    cfg->own_uri = u->uri;
    cfg->own_kms = &u->k->kms;
    cfg->own_keys = &u->own;
    cfg->n_own_keys = 1;
    cfg->trusted = g_trusted;
    cfg->n_trusted = 2;
    cfg->authorised_gms = k_authorised;
    cfg->n_authorised_gms = 1;
    cfg->groups = k_groups;
    cfg->n_groups = 2;
}

/* open and expect `want`; on a rejection the output must be untouched */
static mcgk_err expect_open(const mcgk_gmk_open_cfg *cfg, const uint8_t *msg, size_t len,
                            uint64_t now, mcgk_err want, mcgk_gmk_result *res)
{
    static mcgk_gmk_result r, guard;
    memset(&r, 0xA5, sizeof r);
    guard = r;
    mcgk_err d = MCGK_OK;
    mcgk_err e = mcgk_gmk_open(cfg, msg, len, now, &r, &d);
    CHECK_ERR(e, want);
    if (e != MCGK_OK && e != MCGK_ERR_REVOKED) {
        CHECK(memcmp(&r, &guard, sizeof r) == 0);
        CHECK(d != MCGK_OK);
    } else {
        CHECK(d == MCGK_OK);
    }
    if (res != NULL)
        *res = r;
    mcgk_gmk_result_clear(&r);
    return d;
}

/* ---- re-signing a modified message ------------------------------------------------------- */

/* encode m and, when signer is not NULL, sign it again (a GMS that signs a bad message) */
static size_t resign(const mcgk_mikey_msg *m, const mcgk_eccsi_signer *signer, uint8_t *out)
{
    size_t n = 0, sl = 0;
    CHECK_OK(mcgk_mikey_encode(m, out, MSG_CAP, &n, &sl));
    if (signer != NULL)
        CHECK_OK(mcgk_eccsi_sign(signer, out, sl, &g_rng, out + sl));
    return n;
}

static mcgk_mikey_payload *find_p(mcgk_mikey_msg *m, uint8_t type, int role_or_ext)
{
    for (size_t i = 0; i < m->n_payloads; i++) {
        mcgk_mikey_payload *p = &m->payloads[i];
        if (p->type != type)
            continue;
        if (type == MCGK_MIKEY_PT_IDR && p->u.idr.role != role_or_ext)
            continue;
        if (type == MCGK_MIKEY_PT_GENERAL_EXT && p->u.genext.type != role_or_ext)
            continue;
        return p;
    }
    return NULL;
}

static void remove_p(mcgk_mikey_msg *m, mcgk_mikey_payload *p)
{
    size_t i = (size_t)(p - m->payloads);
    memmove(&m->payloads[i], &m->payloads[i + 1], (m->n_payloads - i - 1) * sizeof *p);
    m->n_payloads--;
}

/* insert a copy of q before position `at` */
static void insert_p(mcgk_mikey_msg *m, size_t at, const mcgk_mikey_payload *q)
{
    mcgk_mikey_payload copy = *q;
    memmove(&m->payloads[at + 1], &m->payloads[at], (m->n_payloads - at) * sizeof copy);
    m->payloads[at] = copy;
    m->n_payloads++;
}

/* ================================ vectors ================================ */

typedef struct sw_case {
    const char *section;
    const char *user;     /* the recipient's section */
    unsigned purposes;
    int legacy;
    unsigned purpose;
    const char *sender;   /* the sender's configured URI (GMK: the authorised GMS) */
} sw_case;

static const sw_case k_sw[] = {
    {"imessage.1.GMK", "user.Alice", 0, 0, MCGK_PURPOSE_GMK, "gms@streamwide.com"},
    {"imessage.2.CSK", "user.GMS", 1u << MCGK_PURPOSE_CSK, 0, MCGK_PURPOSE_CSK, NULL},
    {"imessage.3.PCK", "user.Bob", 1u << MCGK_PURPOSE_PCK, 0, MCGK_PURPOSE_PCK, NULL},
    {"imessage.4.GMK_LEGACY_IWF", "user.IWF", 0, 1, MCGK_PURPOSE_GMK, "gms@streamwide.com"},
};

typedef struct sw_fx {
    uint8_t Z[MCGK_SAKKE_POINT_LEN], kpak[MCGK_ECCSI_POINT_LEN];
    char kms_uri[64], user_uri[128];
    mcgk_sakke_community *c;
    mcgk_sakke_receiver *rcv;
    mcgk_gmk_kms kms;
    mcgk_gmk_own_keys own;
    uint64_t now;
} sw_fx;

static void sw_setup(sw_fx *f, const char *user)
{
    size_t n;
    uint8_t *v = mcgk_vec_hex(g_sw, "kms", "Z", &n);
    memcpy(f->Z, v, n);
    free(v);
    v = mcgk_vec_hex(g_sw, "kms", "KPAK", &n);
    memcpy(f->kpak, v, n);
    free(v);
    v = mcgk_vec_hex(g_sw, "kms", "kms_uri", &n);
    memcpy(f->kms_uri, v, n);
    f->kms_uri[n] = '\0';
    free(v);
    v = mcgk_vec_hex(g_sw, user, "user_uri", &n);
    memcpy(f->user_uri, v, n);
    f->user_uri[n] = '\0';
    free(v);
    CHECK_OK(mcgk_sakke_community_new(f->Z, &f->c));
    uint8_t *uid = mcgk_vec_hex(g_sw, user, "uid", &n);
    uint8_t *rsk = mcgk_vec_hex(g_sw, user, "rsk", &n);
    CHECK_OK(mcgk_sakke_receiver_new(f->c, uid, MCGK_UID_LEN, rsk, &f->rcv));
    free(uid);
    free(rsk);
    f->kms.kms_uri = f->kms_uri;
    f->kms.period_s = mcgk_vec_u64(g_sw, "kms", "user_key_period");
    f->kms.offset_s = mcgk_vec_u64(g_sw, "kms", "user_key_offset");
    f->kms.kpak = f->kpak;
    f->kms.community = f->c;
    f->own.period_no = mcgk_vec_u64(g_sw, user, "key_period_no");
    f->own.receiver = f->rcv;
    f->now = 0xec898da8ull - MCGK_NTP_UNIX_OFFSET_S + 30; /* 30 s after the timestamp */
}

static void sw_free(sw_fx *f)
{
    mcgk_sakke_receiver_free(f->rcv);
    mcgk_sakke_community_free(f->c);
}

static void sw_cfg(sw_fx *f, const sw_case *c, const char **authorised, mcgk_gmk_open_cfg *cfg)
{
    mcgk_gmk_open_cfg_init(cfg);
    cfg->own_uri = f->user_uri;
    cfg->own_kms = &f->kms;
    cfg->own_keys = &f->own;
    cfg->n_own_keys = 1;
    cfg->purposes = c->purposes;
    cfg->accept_legacy_params = c->legacy;
    if (c->sender != NULL) {
        authorised[0] = c->sender;
        cfg->authorised_gms = authorised;
        cfg->n_authorised_gms = 1;
    }
}

/* All four Streamwide messages parse, verify and open to the stated values */
static void test_streamwide_messages_open(void)
{
    for (size_t i = 0; i < sizeof k_sw / sizeof k_sw[0]; i++) {
        const sw_case *c = &k_sw[i];
        sw_fx f;
        sw_setup(&f, c->user);
        mcgk_gmk_open_cfg cfg;
        const char *auth[1];
        sw_cfg(&f, c, auth, &cfg);
        size_t len, n;
        uint8_t *msg = mcgk_vec_hex(g_sw, c->section, "i_message", &len);
        mcgk_gmk_result r;
        expect_open(&cfg, msg, len, f.now, MCGK_OK, &r);
        uint8_t *key = mcgk_vec_hex(g_sw, c->section, "stated_key", &n);
        CHECK_MEM(r.key, key, n);
        uint8_t *kid = mcgk_vec_hex(g_sw, c->section, "stated_key_id", &n);
        CHECK(r.key_id == be32(kid));
        uint8_t *rnd = mcgk_vec_hex(g_sw, c->section, "stated_rand", &n);
        CHECK(r.rand_len == n);
        CHECK_MEM(r.rand, rnd, n);
        uint8_t *csb = mcgk_vec_hex(g_sw, c->section, "csb_id", &n);
        CHECK(r.csb_id == be32(csb));
        CHECK(r.purpose == c->purpose);
        CHECK(r.ts_ntp_s == 0xec898da8ull && r.ts_ntp64 == 0xec898da800000000ull);
        CHECK(r.own_period_no == 236 && r.sender_period_no == 236);
        CHECK(r.sender_hidden);
        CHECK(r.has_params && r.params_legacy == c->legacy);
        CHECK(r.params.status == MCGK_KP_STATUS_NOT_REVOKED && !r.revoked);
        CHECK(r.reply.confirm && r.reply.sip_status == 200);
        if (c->sender != NULL)
            CHECK(strcmp(r.sender_uri, c->sender) == 0);
        else
            CHECK(r.sender_uri[0] == '\0');
        CHECK(strcmp(r.sender_kms_uri, f.kms_uri) == 0);
        if (c->legacy)
            CHECK(r.params.key_type == 1); /* the legacy coding of a GMK */
        else
            CHECK(r.params.key_type == c->purpose);
        /* §7.4.2: SRTP master key and salt from GMK, CS-ID 4, GUK-ID and RAND */
        if (mcgk_vec_str(g_sw, c->section, "srtp_master_key_cs4") != NULL) {
            uint8_t mk[16], ms[12];
            CHECK(r.map_type == MCGK_MIKEY_MAP_GENERIC_ID ? r.cs_ids[0] == 4 : 1);
            CHECK_OK(mcgk_mikey_derive(r.key, 16, MCGK_PRF_TEK, 4, r.csb_id, r.rand, r.rand_len,
                                       mk, 16));
            CHECK_OK(mcgk_mikey_derive(r.key, 16, MCGK_PRF_SALT, 4, r.csb_id, r.rand, r.rand_len,
                                       ms, 12));
            uint8_t *wk = mcgk_vec_hex(g_sw, c->section, "srtp_master_key_cs4", &n);
            CHECK_MEM(mk, wk, 16);
            free(wk);
            wk = mcgk_vec_hex(g_sw, c->section, "srtp_master_salt_cs4", &n);
            CHECK_MEM(ms, wk, 12);
            free(wk);
        }
        /* the identity-hiding follow-up check (E.7) with the sender's real URI */
        if (c->sender != NULL) {
            CHECK_OK(mcgk_gmk_check_initiator(&cfg, &r, c->sender, strlen(c->sender)));
            CHECK_ERR(mcgk_gmk_check_initiator(&cfg, &r, "sip:alice@streamwide.com", 24),
                      MCGK_ERR_INITIATOR);
        }
        mcgk_gmk_result_clear(&r);
        free(key);
        free(kid);
        free(rnd);
        free(csb);
        free(msg);
        sw_free(&f);
    }
}

/* The published base64 form opens the same (checklist step 1: decode base64) */
static void test_streamwide_base64(void)
{
    sw_fx f;
    sw_setup(&f, "user.Alice");
    mcgk_gmk_open_cfg cfg;
    const char *auth[1];
    sw_cfg(&f, &k_sw[0], auth, &cfg);
    const char *b64 = mcgk_vec_str(g_sw, "imessage.1.GMK", "i_message_base64");
    CHECK(b64 != NULL);
    char sdp[2048];
    snprintf(sdp, sizeof sdp, "a=key-mgmt:mikey %s\r\n", b64);
    uint8_t bin[MSG_CAP];
    size_t n = 0;
    CHECK_OK(mcgk_mikey_unwrap((const uint8_t *)sdp, strlen(sdp), bin, sizeof bin, &n));
    expect_open(&cfg, bin, n, f.now, MCGK_OK, NULL);
    sw_free(&f);
}

/* The legacy IWF message: its cleartext parameters are refused unless asked for */
static void test_streamwide_legacy_refused_by_default(void)
{
    sw_fx f;
    sw_setup(&f, "user.IWF");
    mcgk_gmk_open_cfg cfg;
    const char *auth[1];
    sw_cfg(&f, &k_sw[3], auth, &cfg);
    cfg.accept_legacy_params = 0;
    size_t len;
    uint8_t *msg = mcgk_vec_hex(g_sw, "imessage.4.GMK_LEGACY_IWF", "i_message", &len);
    mcgk_err d = expect_open(&cfg, msg, len, f.now, MCGK_ERR_KEY_PARAMS, NULL);
    CHECK(d == MCGK_ERR_TRUNCATED); /* 17 octets are no envelope */
    free(msg);
    sw_free(&f);
}

/* A CSK or PCK message is recognised and refused where only GMKs are expected */
static void test_streamwide_other_purposes_recognised(void)
{
    for (size_t i = 1; i <= 2; i++) {
        sw_fx f;
        sw_setup(&f, k_sw[i].user);
        mcgk_gmk_open_cfg cfg;
        const char *auth[1];
        sw_cfg(&f, &k_sw[i], auth, &cfg);
        cfg.purposes = 0; /* GMK only */
        size_t len;
        uint8_t *msg = mcgk_vec_hex(g_sw, k_sw[i].section, "i_message", &len);
        expect_open(&cfg, msg, len, f.now, MCGK_ERR_KEY_PURPOSE, NULL);
        free(msg);
        sw_free(&f);
    }
}

/* The synthetic GMK message, rebuilt octet for octet from its fixed randomness */
static void test_synthetic_rebuilt_byte_for_byte(void)
{
    size_t n, want_len;
    uint8_t *want = mcgk_vec_hex(g_syn, NULL, "i_message", &want_len);
    uint8_t *gmk = mcgk_vec_hex(g_syn, NULL, "gmk", &n);
    uint8_t *gid = mcgk_vec_hex(g_syn, NULL, "gmk_id", &n);
    uint8_t *rnd = mcgk_vec_hex(g_syn, NULL, "rand", &n);
    uint8_t *iv = mcgk_vec_hex(g_syn, NULL, "keyparams_gcm_iv", &n);
    uint8_t *j = mcgk_vec_hex(g_syn, NULL, "eccsi_j", &n);
    uint8_t *pvt = mcgk_vec_hex(g_syn, NULL, "gms_PVT", &n);
    uint8_t *ssk = mcgk_vec_hex(g_syn, NULL, "gms_SSK", &n);
    uint8_t *guid = mcgk_vec_hex(g_syn, NULL, "gms_uid", &n);
    uint8_t *guk = mcgk_vec_hex(g_syn, NULL, "guk_id", &n);
    CHECK(memcmp(guid, g_gms.uid, MCGK_UID_LEN) == 0);
    mcgk_eccsi_signer signer;
    CHECK_OK(mcgk_eccsi_signer_init(&signer, g_a.kpak, guid, MCGK_UID_LEN, ssk, pvt));

    mcgk_key_params kp;
    mcgk_key_params_init(&kp, MCGK_PURPOSE_GMK);
    kp.activation_ntp_s = g_t_ntp;
    kp.expiry_ntp_s = g_t_ntp + mcgk_vec_u64(g_syn, NULL, "user_key_period");
    memcpy(kp.text, "Group Alpha", 11);
    kp.text_len = 11;
    mcgk_gmk_build_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.key = gmk;
    cfg.key_id = be32(gid);
    cfg.rand = rnd;
    cfg.rand_len = 16;
    cfg.ts_ntp_s = g_t_ntp;
    cfg.params = &kp;
    cfg.gms_uri = GMS_URI;
    cfg.gms_kms = &g_a.kms;
    cfg.signer = &signer;
    cfg.map = MCGK_GMK_MAP_GENERIC;
    cfg.cs_id = MCGK_GMK_CS_ID_MCPTT;
    mcgk_gmk_ctx ctx;
    CHECK_OK(mcgk_gmk_ctx_init(&ctx, &cfg));
    /* the randomness, in the order the builder draws it: the key-parameters IV, then j */
    uint8_t fixed[16 + 32];
    memcpy(fixed, iv, 16);
    memcpy(fixed + 16, j, 32);
    mcgk_test_fixed_rng st;
    mcgk_rng rng = mcgk_test_fixed_rng_init(&st, fixed, sizeof fixed);
    mcgk_gmk_member mb = {USER_URI, &g_a.kms};
    uint8_t out[MSG_CAP];
    size_t len = 0;
    uint32_t got_guk = 0;
    CHECK_OK(mcgk_gmk_build_one(&ctx, &mb, &rng, NULL, 0, &len, NULL));
    CHECK(len == want_len && len == mcgk_vec_u64(g_syn, NULL, "i_message_length"));
    CHECK_OK(mcgk_gmk_build_one(&ctx, &mb, &rng, out, sizeof out, &len, &got_guk));
    CHECK(len == want_len);
    CHECK_MEM(out, want, want_len);
    CHECK(got_guk == be32(guk));
    /* and the user opens it */
    mcgk_gmk_open_cfg oc;
    open_cfg(&g_user, &oc);
    mcgk_gmk_result r;
    expect_open(&oc, out, len, g_now, MCGK_OK, &r);
    CHECK(memcmp(r.key, gmk, 16) == 0 && r.key_id == be32(gid) && r.csb_id == be32(guk));
    CHECK(r.params.text_len == 11 && r.params.expiry_ntp_s == kp.expiry_ntp_s);
    CHECK(strcmp(r.sender_uri, GMS_URI) == 0 && !r.sender_hidden);
    mcgk_gmk_result_clear(&r);
    mcgk_gmk_ctx_clear(&ctx);
    mcgk_eccsi_signer_clear(&signer);
    free(want);
    free(gmk);
    free(gid);
    free(rnd);
    free(iv);
    free(j);
    free(pvt);
    free(ssk);
    free(guid);
    free(guk);
}

/* ============================ section C: the message the GMS sends ============================ */

/* R-000-13: a MIKEY-SAKKE I_MESSAGE (RFC 6509): data type 26, SAKKE and SIGN present */
static void test_R_000_13_is_mikey_sakke_i_message(void)
{
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, &g_user, msg);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    CHECK(m.hdr.data_type == MCGK_MIKEY_DT_SAKKE && m.hdr.v == 0 && m.hdr.prf_func == 1);
    CHECK(mcgk_mikey_find(&m, MCGK_MIKEY_PT_SAKKE, NULL) != NULL);
    CHECK(m.payloads[m.n_payloads - 1].type == MCGK_MIKEY_PT_SIGN);
    CHECK(m.payloads[m.n_payloads - 1].u.sign.len == MCGK_ECCSI_SIG_LEN);
    /* E.2 order */
    static const uint8_t order[] = {MCGK_MIKEY_PT_T,   MCGK_MIKEY_PT_RAND,  MCGK_MIKEY_PT_IDR,
                                    MCGK_MIKEY_PT_IDR, MCGK_MIKEY_PT_IDR,   MCGK_MIKEY_PT_IDR,
                                    MCGK_MIKEY_PT_SP,  MCGK_MIKEY_PT_SAKKE,
                                    MCGK_MIKEY_PT_GENERAL_EXT,
                                    MCGK_MIKEY_PT_SIGN};
    CHECK(m.n_payloads == sizeof order);
    for (size_t i = 0; i < sizeof order && i < m.n_payloads; i++)
        CHECK(m.payloads[i].type == order[i]);
}

/* R-000-14, R-001-09, R-003-12, R-004-05: the I_MESSAGE encapsulates the group's GMK */
static void test_R_000_14_R_001_09_R_003_12_R_004_05_encapsulates_gmk(void)
{
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, &g_user, msg);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    const mcgk_mikey_payload *s = mcgk_mikey_find(&m, MCGK_MIKEY_PT_SAKKE, NULL);
    uint8_t ssv[MCGK_SAKKE_SSV_LEN];
    CHECK(s != NULL && s->u.sakke.len == MCGK_SAKKE_ENCAP_LEN);
    CHECK_OK(mcgk_sakke_decapsulate(g_user.receiver, s->u.sakke.data, ssv));
    CHECK_MEM(ssv, k_gmk, 16);
}

/* R-000-15, R-001-10, R-003-13, R-004-06: encrypted to the member's identity: its UID
   for the period, under its KMS; another member cannot decrypt it */
static void test_R_000_15_R_001_10_R_003_13_R_004_06_encrypted_to_member(void)
{
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, &g_user, msg);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    const mcgk_mikey_payload *s = mcgk_mikey_find(&m, MCGK_MIKEY_PT_SAKKE, NULL);
    uint8_t ssv[MCGK_SAKKE_SSV_LEN];
    CHECK(s != NULL);
    CHECK_ERR(mcgk_sakke_decapsulate(g_bob.receiver, s->u.sakke.data, ssv), MCGK_ERR_DECAPSULATE);
    /* bob, handed alice's message, finds it is not for him */
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_bob, &cfg);
    expect_open(&cfg, msg, len, g_now, MCGK_ERR_NOT_FOR_ME, NULL);
    /* the recipient is named by URI (IDRr) and KMS (IDRkmsr) */
    const mcgk_mikey_idr *r = mcgk_mikey_find_idr(&m, MCGK_MIKEY_ROLE_IDRR);
    CHECK(r != NULL && r->len == strlen(USER_URI) && memcmp(r->data, USER_URI, r->len) == 0);
    r = mcgk_mikey_find_idr(&m, MCGK_MIKEY_ROLE_IDRKMSR);
    CHECK(r != NULL && r->len == strlen(g_a.uri) && memcmp(r->data, g_a.uri, r->len) == 0);
}

/* R-000-16, R-001-11, R-003-14, R-004-06: signed by the GMS (its UID for the period) */
static void test_R_000_16_R_001_11_R_003_14_R_004_06_signed_by_gms(void)
{
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, &g_user, msg);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    CHECK(m.signed_len == len - MCGK_ECCSI_SIG_LEN);
    CHECK_OK(mcgk_eccsi_verify(g_a.kpak, g_gms.uid, MCGK_UID_LEN, msg, m.signed_len,
                               msg + m.signed_len));
    CHECK_ERR(mcgk_eccsi_verify(g_a.kpak, g_user.uid, MCGK_UID_LEN, msg, m.signed_len,
                                msg + m.signed_len),
              MCGK_ERR_SIGNATURE);
    /* the signature covers the SIGN header too */
    CHECK(msg[m.signed_len - 2] == 0x20 && msg[m.signed_len - 1] == 0x81);
}

/* R-000-17: the GMK key ID and the period of use are provided */
static void test_R_000_17_key_id_and_period_of_use(void)
{
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, &g_user, msg);
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    mcgk_gmk_result r;
    expect_open(&cfg, msg, len, g_now, MCGK_OK, &r);
    CHECK(r.key_id == GMK_ID);
    CHECK(r.params.activation_ntp_s == g_t_ntp && r.params.expiry_ntp_s == g_t_ntp + 86400);
    mcgk_gmk_result_clear(&r);
}

/* R-000-19 / R-002-06: one different I_MESSAGE per UE in one batch (distinct UIDs,
   GUK-IDs, encapsulations); RAND and GMK-ID the same for all (§7.4.2) */
static void test_R_000_19_batch_one_message_per_member(void)
{
    mcgk_gmk_build_cfg bc;
    bopts o;
    memset(&o, 0, sizeof o);
    make_cfg(&o, &bc);
    mcgk_gmk_ctx ctx;
    CHECK_OK(mcgk_gmk_ctx_init(&ctx, &bc));
    mcgk_gmk_member members[3] = {{USER_URI, &g_a.kms}, {BOB_URI, &g_a.kms},
                                  {CAROL_URI, &g_b.kms}};
    static uint8_t bufs[3][MSG_CAP];
    mcgk_gmk_out outs[3];
    for (int i = 0; i < 3; i++) {
        outs[i].buf = bufs[i];
        outs[i].cap = MSG_CAP;
    }
    CHECK_OK(mcgk_gmk_build_batch(&ctx, members, 3, &g_rng, outs));
    const user_fx *who[3] = {&g_user, &g_bob, &g_carol};
    for (int i = 0; i < 3; i++) {
        CHECK(outs[i].err == MCGK_OK);
        mcgk_gmk_open_cfg cfg;
        open_cfg(who[i], &cfg);
        mcgk_gmk_result r;
        expect_open(&cfg, bufs[i], outs[i].len, g_now, MCGK_OK, &r);
        CHECK(r.csb_id == outs[i].guk_id && r.key_id == GMK_ID);
        CHECK(memcmp(r.rand, k_rand, 16) == 0 && memcmp(r.key, k_gmk, 16) == 0);
        mcgk_gmk_result_clear(&r);
        for (int k = 0; k < i; k++)
            CHECK(outs[k].guk_id != outs[i].guk_id);
    }
    /* a failing member does not stop the batch */
    mcgk_gmk_member bad[2] = {{"", &g_a.kms}, {BOB_URI, &g_a.kms}};
    CHECK_ERR(mcgk_gmk_build_batch(&ctx, bad, 2, &g_rng, outs), MCGK_ERR_INVALID_ARG);
    CHECK(outs[0].err == MCGK_ERR_INVALID_ARG && outs[1].err == MCGK_OK);
    outs[1].cap = 100;
    CHECK_ERR(mcgk_gmk_build_batch(&ctx, bad + 1, 1, &g_rng, outs + 1),
              MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(outs[1].len > 100);
    outs[1].buf = NULL;
    CHECK_ERR(mcgk_gmk_build_batch(&ctx, bad + 1, 1, &g_rng, outs + 1), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gmk_build_batch(NULL, bad, 1, &g_rng, outs), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gmk_build_batch(&ctx, NULL, 1, &g_rng, outs), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gmk_build_batch(&ctx, bad, 1, NULL, outs), MCGK_ERR_INVALID_ARG);
    CHECK_OK(mcgk_gmk_build_batch(&ctx, NULL, 0, &g_rng, outs));
    mcgk_gmk_ctx_clear(&ctx);
}

/* R-001-05, R-003-10: initiating entity = GMS (IDRi = GMS URI, IDRkmsi its KMS),
   receiving entity = the user's URI; K = GMK, K-ID = GMK-ID, UK-ID = GUK-ID */
static void test_R_001_05_R_003_10_entities(void)
{
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, &g_user, msg);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    const mcgk_mikey_idr *i = mcgk_mikey_find_idr(&m, MCGK_MIKEY_ROLE_IDRI);
    CHECK(i != NULL && i->id_type == MCGK_MIKEY_IDTYPE_URI && i->len == strlen(GMS_URI) &&
          memcmp(i->data, GMS_URI, i->len) == 0);
    i = mcgk_mikey_find_idr(&m, MCGK_MIKEY_ROLE_IDRKMSI);
    CHECK(i != NULL && i->len == strlen(g_a.uri) && memcmp(i->data, g_a.uri, i->len) == 0);
    uint32_t guk;
    CHECK_OK(mcgk_guk_id(k_gmk, 16, GMK_ID, USER_URI, strlen(USER_URI), &guk));
    CHECK(m.hdr.csb_id == guk);
    /* SPI of the GENERIC-ID map = GMK-ID || GUK-ID (the SRTP MKI) */
    CHECK(m.hdr.map_type == MCGK_MIKEY_MAP_GENERIC_ID && m.hdr.map.generic[0].spi_len == 8);
    CHECK(be32(m.hdr.map.generic[0].spi) == GMK_ID && be32(m.hdr.map.generic[0].spi + 4) == guk);
}

/* R-001-12, R-003-15, R-004-07, R-003-06: the GUK-ID is provided as the CSB ID
   (end-point diversity): not the GMK-ID */
static void test_R_001_12_R_003_15_R_004_07_R_003_06_guk_id(void)
{
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, &g_user, msg);
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    mcgk_gmk_result r;
    expect_open(&cfg, msg, len, g_now, MCGK_OK, &r);
    uint32_t guk;
    CHECK_OK(mcgk_guk_id(k_gmk, 16, GMK_ID, USER_URI, strlen(USER_URI), &guk));
    CHECK(r.csb_id == guk && r.csb_id != GMK_ID && (guk >> 28) == 0);
    mcgk_gmk_result_clear(&r);
}

/* R-001-13, R-003-16, R-003-29, R-003-07: the associated parameters travel in a type-7
   extension, encrypted under DPCK = KDF(GMK, 0x53, GUK-ID) */
static void test_R_001_13_R_003_16_R_003_29_params_encrypted_under_gmk(void)
{
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, &g_user, msg);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    const mcgk_mikey_genext *g = mcgk_mikey_find_genext(&m, MCGK_MIKEY_EXT_KEY_PARAMS);
    CHECK(g != NULL && g->form == MCGK_MIKEY_GENEXT_KEY_PARAMS);
    if (g == NULL)
        return;
    CHECK(g->kp.dppk_id == m.hdr.csb_id && g->kp.algorithm == MCGK_KP_ALG_AES_128_GCM);
    mcgk_key_params kp;
    CHECK_OK(mcgk_key_params_open(k_gmk, m.hdr.csb_id, g->data, g->len, &kp));
    CHECK(kp.n_groups == 1 && strcmp(kp.groups[0].id, GROUP_A) == 0);
    uint8_t other[16] = {1};
    CHECK_ERR(mcgk_key_params_open(other, m.hdr.csb_id, g->data, g->len, &kp),
              MCGK_ERR_KEY_PARAMS);
    /* without parameters there is no type-7 extension */
    bopts o;
    memset(&o, 0, sizeof o);
    o.no_params = 1;
    len = build_msg(&o, &g_user, msg);
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    CHECK(mcgk_mikey_find_genext(&m, MCGK_MIKEY_EXT_KEY_PARAMS) == NULL);
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    mcgk_gmk_result r;
    expect_open(&cfg, msg, len, g_now, MCGK_OK, &r);
    CHECK(!r.has_params);
    mcgk_gmk_result_clear(&r);
}

/* R-003-08: SAKKE-to-self (E.5): the GMS can recover the GMK from its own extension;
   the member ignores it */
static void test_R_003_08_sakke_to_self(void)
{
    bopts o;
    memset(&o, 0, sizeof o);
    o.self = 1;
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(&o, &g_user, msg);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    const mcgk_mikey_genext *g = mcgk_mikey_find_genext(&m, MCGK_MIKEY_EXT_SAKKE_TO_SELF);
    CHECK(g != NULL && g->form == MCGK_MIKEY_GENEXT_SAKKE_TO_SELF && g->len == 278);
    if (g == NULL)
        return;
    uint8_t ssv[16];
    CHECK_OK(mcgk_sakke_decapsulate(g_gms.receiver, g->sakke.data, ssv));
    CHECK_MEM(ssv, k_gmk, 16);
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    mcgk_gmk_result r;
    expect_open(&cfg, msg, len, g_now, MCGK_OK, &r);
    CHECK(r.has_sakke_to_self && memcmp(r.key, k_gmk, 16) == 0);
    mcgk_gmk_result_clear(&r);
}

/* R-003-09: identity hiding (E.7): IDRuidi / IDRuidr accepted and checked */
static void test_R_003_09_identity_hiding(void)
{
    bopts o;
    memset(&o, 0, sizeof o);
    o.hide_i = 1;
    o.hide_r = 1;
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(&o, &g_user, msg);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    const mcgk_mikey_idr *i = mcgk_mikey_find_idr(&m, MCGK_MIKEY_ROLE_IDRUIDI);
    CHECK(i != NULL && i->len == 32 && memcmp(i->data, g_gms.uid, 32) == 0 &&
          i->id_type == MCGK_MIKEY_UID_ID_TYPE);
    i = mcgk_mikey_find_idr(&m, MCGK_MIKEY_ROLE_IDRUIDR);
    CHECK(i != NULL && i->len == 32 && memcmp(i->data, g_user.uid, 32) == 0);
    CHECK(mcgk_mikey_find_idr(&m, MCGK_MIKEY_ROLE_IDRI) == NULL &&
          mcgk_mikey_find_idr(&m, MCGK_MIKEY_ROLE_IDRR) == NULL);
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    mcgk_gmk_result r;
    expect_open(&cfg, msg, len, g_now, MCGK_OK, &r);
    CHECK(r.sender_hidden && strcmp(r.sender_uri, GMS_URI) == 0);
    CHECK(memcmp(r.sender_uid, g_gms.uid, 32) == 0);
    /* E.7: later the initiator's URI must give the same UID */
    CHECK_OK(mcgk_gmk_check_initiator(&cfg, &r, GMS_URI, strlen(GMS_URI)));
    CHECK_ERR(mcgk_gmk_check_initiator(&cfg, &r, ROGUE_URI, strlen(ROGUE_URI)),
              MCGK_ERR_INITIATOR);
    CHECK_ERR(mcgk_gmk_check_initiator(NULL, &r, GMS_URI, 3), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gmk_check_initiator(&cfg, &r, NULL, 3), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gmk_check_initiator(&cfg, &r, "", 0), MCGK_ERR_IDENTITY);
    snprintf(r.sender_kms_uri, sizeof r.sender_kms_uri, "kms.nowhere");
    CHECK_ERR(mcgk_gmk_check_initiator(&cfg, &r, GMS_URI, strlen(GMS_URI)), MCGK_ERR_UNKNOWN_KMS);
    mcgk_gmk_result_clear(&r);
    /* the UID may also come with ID type 2 (byte string, mikey.md §5) */
    mcgk_mikey_payload *p = find_p(&m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRUIDR);
    p->u.idr.id_type = MCGK_MIKEY_IDTYPE_BYTES;
    uint8_t out[MSG_CAP];
    len = resign(&m, &g_gms.signer, out);
    expect_open(&cfg, out, len, g_now, MCGK_OK, NULL);
}

/* R-001-06, R-001-07: one GMK for several groups; each listed group uses it */
static void test_R_001_06_R_001_07_one_gmk_several_groups(void)
{
    mcgk_gmk_build_cfg bc;
    bopts o;
    memset(&o, 0, sizeof o);
    make_cfg(&o, &bc);
    CHECK_OK(mcgk_key_params_add_group(&g_params, "sip:grp-c@example.org", 21));
    mcgk_gmk_ctx ctx;
    CHECK_OK(mcgk_gmk_ctx_init(&ctx, &bc));
    mcgk_gmk_member mb = {USER_URI, &g_a.kms};
    uint8_t msg[MSG_CAP];
    size_t len;
    CHECK_OK(mcgk_gmk_build_one(&ctx, &mb, &g_rng, msg, sizeof msg, &len, NULL));
    mcgk_gmk_ctx_clear(&ctx);
    static const mcgk_gmk_group_gms groups[] = {{GROUP_A, GMS_URI},
                                                {"sip:grp-c@example.org", GMS_URI}};
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    cfg.groups = groups;
    cfg.n_groups = 2;
    mcgk_gmk_result r;
    expect_open(&cfg, msg, len, g_now, MCGK_OK, &r);
    CHECK(r.params.n_groups == 2 && strcmp(r.params.groups[0].id, GROUP_A) == 0 &&
          strcmp(r.params.groups[1].id, "sip:grp-c@example.org") == 0);
    mcgk_gmk_result_clear(&r);
}

/* ================================ section D: the client ================================ */

/* R-000-21, R-001-14, R-003-17: the signature is checked */
static void test_R_000_21_R_001_14_R_003_17_signature_checked(void)
{
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, &g_user, msg);
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    msg[len - 100] ^= 0x01; /* inside s */
    mcgk_err d = expect_open(&cfg, msg, len, g_now, MCGK_ERR_SIGNATURE, NULL);
    CHECK(d == MCGK_ERR_SIGNATURE);
    msg[len - 100] ^= 0x01;
    msg[len - 10] ^= 0x01; /* inside the PVT: not on the curve */
    d = expect_open(&cfg, msg, len, g_now, MCGK_ERR_SIGNATURE, NULL);
    CHECK(d != MCGK_ERR_SIGNATURE && d != MCGK_OK); /* the point error, for the local log */
    msg[len - 10] ^= 0x01;
    expect_open(&cfg, msg, len, g_now, MCGK_OK, NULL);
}

/* R-000-21, R-003-18, R-004-08: the signer must be a GMS authorised to create groups;
   the group identity must be acceptable */
static void test_R_000_21_R_003_18_R_004_08_gms_authorised(void)
{
    bopts o;
    memset(&o, 0, sizeof o);
    o.gms = &g_rogue; /* a valid key set, but not a configured GMS */
    o.group = "";
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(&o, &g_user, msg);
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    cfg.n_groups = 0;
    expect_open(&cfg, msg, len, g_now, MCGK_ERR_NOT_AUTHORISED, NULL);
    /* hidden: no configured GMS has this UID */
    o.hide_i = 1;
    len = build_msg(&o, &g_user, msg);
    expect_open(&cfg, msg, len, g_now, MCGK_ERR_NOT_AUTHORISED, NULL);
    /* configured only as a group's GMS (SEAL): authorised for that group */
    cfg.n_groups = 2;
    o.group = GROUP_B;
    len = build_msg(&o, &g_user, msg);
    mcgk_gmk_result r;
    expect_open(&cfg, msg, len, g_now, MCGK_OK, &r);
    CHECK(strcmp(r.sender_uri, ROGUE_URI) == 0);
    mcgk_gmk_result_clear(&r);
    /* ... not for another group */
    o.group = GROUP_A;
    len = build_msg(&o, &g_user, msg);
    expect_open(&cfg, msg, len, g_now, MCGK_ERR_NOT_AUTHORISED, NULL);
    /* nobody configured: nobody authorised */
    cfg.n_groups = 0;
    cfg.n_authorised_gms = 0;
    len = build_msg(NULL, &g_user, msg);
    expect_open(&cfg, msg, len, g_now, MCGK_ERR_NOT_AUTHORISED, NULL);
}

/* R-001-19: the GMS identity must equal the Server URI configured for each VAL group */
static void test_R_001_19_group_gms_matches(void)
{
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    uint8_t msg[MSG_CAP];
    bopts o;
    memset(&o, 0, sizeof o);
    o.group = GROUP_B; /* configured with ROGUE as its GMS, signed by GMS */
    size_t len = build_msg(&o, &g_user, msg);
    expect_open(&cfg, msg, len, g_now, MCGK_ERR_NOT_AUTHORISED, NULL);
    o.group = "sip:unknown-group@example.org"; /* not in the profile */
    len = build_msg(&o, &g_user, msg);
    expect_open(&cfg, msg, len, g_now, MCGK_ERR_NOT_AUTHORISED, NULL);
    o.group = GROUP_A;
    len = build_msg(&o, &g_user, msg);
    expect_open(&cfg, msg, len, g_now, MCGK_OK, NULL);
}

/* R-000-22, R-001-15, R-003-19, R-004-08, R-001-21, R-003-24, R-004-10, R-003-32: the GMK,
   GMK-ID and GUK-ID are extracted, with everything the client stores */
static void test_R_000_22_R_001_15_R_003_19_R_001_21_R_003_24_R_003_32_R_004_10_extracted(void)
{
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, &g_user, msg);
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    mcgk_gmk_result r;
    expect_open(&cfg, msg, len, g_now, MCGK_OK, &r);
    uint32_t guk;
    CHECK_OK(mcgk_guk_id(k_gmk, 16, GMK_ID, USER_URI, strlen(USER_URI), &guk));
    CHECK(memcmp(r.key, k_gmk, 16) == 0 && r.key_id == GMK_ID && r.csb_id == guk);
    CHECK(r.rand_len == 16 && memcmp(r.rand, k_rand, 16) == 0 && r.has_params);
    CHECK(r.purpose == MCGK_PURPOSE_GMK && r.ts_ntp_s == g_t_ntp && !r.revoked);
    CHECK(r.n_cs == 1 && r.cs_ids[0] == MCGK_GMK_CS_ID_MCPTT);
    mcgk_gmk_result_clear(&r);
    int zero = 1;
    for (size_t i = 0; i < sizeof r; i++)
        zero &= ((const uint8_t *)&r)[i] == 0;
    CHECK(zero); /* result_clear wipes everything */
}

/* R-001-16, R-003-20, R-004-08: a GMK-ID that duplicates a different GMK is rejected;
   the same GMK again is an update */
static void test_R_001_16_R_003_20_duplicate_key_id(void)
{
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, &g_user, msg);
    held_db db = {1, GMK_ID, {0}};
    memset(db.key, 0x77, 16);
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    cfg.lookup = lookup;
    cfg.lookup_ctx = &db;
    expect_open(&cfg, msg, len, g_now, MCGK_ERR_DUPLICATE_KEY_ID, NULL);
    memcpy(db.key, k_gmk, 16);
    mcgk_gmk_result r;
    expect_open(&cfg, msg, len, g_now, MCGK_OK, &r);
    CHECK(r.already_held);
    mcgk_gmk_result_clear(&r);
    db.key_id = GMK_ID + 1; /* another key ID held: not a duplicate */
    memset(db.key, 0x77, 16);
    expect_open(&cfg, msg, len, g_now, MCGK_OK, &r);
    CHECK(!r.already_held);
    mcgk_gmk_result_clear(&r);
}

/* R-001-17, R-003-21, R-003-30: group identity, activation time and text come out of
   the decrypted parameters */
static void test_R_001_17_R_003_21_R_003_30_params_extracted(void)
{
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, &g_user, msg);
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    mcgk_gmk_result r;
    expect_open(&cfg, msg, len, g_now, MCGK_OK, &r);
    CHECK(r.params.n_groups == 1 && strcmp(r.params.groups[0].id, GROUP_A) == 0);
    CHECK(r.params.activation_ntp_s == g_t_ntp);
    CHECK(r.params.text_len == 5 && strcmp(r.params.text, "Alpha") == 0);
    mcgk_gmk_result_clear(&r);
}

/* R-001-18, R-003-22: decryption of the parameters must succeed: tampered -> rejected */
static void test_R_001_18_R_003_22_params_must_decrypt(void)
{
    uint8_t msg[MSG_CAP], out[MSG_CAP];
    size_t len = build_msg(NULL, &g_user, msg);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    mcgk_mikey_payload *p = find_p(&m, MCGK_MIKEY_PT_GENERAL_EXT, MCGK_MIKEY_EXT_KEY_PARAMS);
    CHECK(p != NULL);
    if (p == NULL)
        return;
    uint8_t env[MCGK_KP_ENVELOPE_MAX_LEN];
    memcpy(env, p->u.genext.data, p->u.genext.len);
    env[p->u.genext.len - 1] ^= 0x01; /* the tag */
    p->u.genext.data = env;
    p->u.genext.form = MCGK_MIKEY_GENEXT_OPAQUE;
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    len = resign(&m, &g_gms.signer, out);
    mcgk_err d = expect_open(&cfg, out, len, g_now, MCGK_ERR_KEY_PARAMS, NULL);
    CHECK(d == MCGK_ERR_KEY_PARAMS);
    /* a DPPK-ID other than the CSB ID */
    env[p->u.genext.len - 1] ^= 0x01;
    env[31] ^= 0x01;
    len = resign(&m, &g_gms.signer, out);
    d = expect_open(&cfg, out, len, g_now, MCGK_ERR_KEY_PARAMS, NULL);
    CHECK(d == MCGK_ERR_MALFORMED);
    /* the legacy acceptance does not cover an envelope that fails */
    cfg.accept_legacy_params = 1;
    expect_open(&cfg, out, len, g_now, MCGK_ERR_KEY_PARAMS, NULL);
    /* parameters naming another key type than the key carried */
    mcgk_key_params kp;
    mcgk_key_params_init(&kp, MCGK_PURPOSE_PCK);
    uint8_t iv[16] = {0};
    size_t el;
    CHECK_OK(mcgk_key_params_seal(k_gmk, m.hdr.csb_id, iv, &kp, env, sizeof env, &el));
    p->u.genext.len = (uint16_t)el;
    len = resign(&m, &g_gms.signer, out);
    cfg.accept_legacy_params = 0;
    d = expect_open(&cfg, out, len, g_now, MCGK_ERR_KEY_PARAMS, NULL);
    CHECK(d == MCGK_ERR_MALFORMED);
}

/* R-001-20, R-003-23, R-003-31, R-004-09: if any check fails an error goes back to the GMS;
   R-001-22, R-003-25, R-004-11, R-000-10: on success a confirmation without security
   information */
static void test_R_001_20_R_003_23_R_003_31_R_004_09_reply_to_gms(void)
{
    mcgk_gmk_reply r;
    mcgk_gmk_reply_for(MCGK_OK, &r);
    CHECK(r.confirm && r.sip_status == 200 && strcmp(r.reason, "OK") == 0);
    mcgk_gmk_reply_for(MCGK_ERR_REVOKED, &r);
    CHECK(r.confirm && r.sip_status == 200);
    static const mcgk_err rejected[] = {
        MCGK_ERR_SIGNATURE,      MCGK_ERR_DECAPSULATE,  MCGK_ERR_KEY_PARAMS,
        MCGK_ERR_NOT_AUTHORISED, MCGK_ERR_INITIATOR,    MCGK_ERR_TIMESTAMP,
        MCGK_ERR_REPLAY,         MCGK_ERR_UNKNOWN_KMS,  MCGK_ERR_NOT_FOR_ME,
        MCGK_ERR_KEY_PURPOSE,    MCGK_ERR_DUPLICATE_KEY_ID};
    for (size_t i = 0; i < sizeof rejected / sizeof rejected[0]; i++) {
        mcgk_gmk_reply_for(rejected[i], &r);
        CHECK(!r.confirm && r.sip_status == 403 && strcmp(r.reason, "Forbidden") == 0);
    }
    /* the crypto verdicts look alike to the peer */
    mcgk_gmk_reply a, b;
    mcgk_gmk_reply_for(MCGK_ERR_SIGNATURE, &a);
    mcgk_gmk_reply_for(MCGK_ERR_DECAPSULATE, &b);
    CHECK(a.mikey_err_no == b.mikey_err_no && a.mikey_err_no == MCGK_MIKEY_ERR_AUTH_FAILURE);
    mcgk_gmk_reply_for(MCGK_ERR_TIMESTAMP, &r);
    CHECK(r.mikey_err_no == 1);
    mcgk_gmk_reply_for(MCGK_ERR_NOT_FOR_ME, &r);
    CHECK(r.mikey_err_no == 7);
    static const mcgk_err bad[] = {MCGK_ERR_TRUNCATED, MCGK_ERR_TRAILING_DATA,
                                   MCGK_ERR_OVERSIZED, MCGK_ERR_MALFORMED,
                                   MCGK_ERR_UNSUPPORTED, MCGK_ERR_BASE64,
                                   MCGK_ERR_MIKEY_VERSION, MCGK_ERR_MIKEY_PAYLOAD_TYPE,
                                   MCGK_ERR_MIKEY_CS_MAP, MCGK_ERR_MIKEY_PROFILE};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mcgk_gmk_reply_for(bad[i], &r);
        CHECK(!r.confirm && r.sip_status == 400);
    }
    mcgk_gmk_reply_for(MCGK_ERR_NO_KEYS, &r);
    CHECK(!r.confirm && r.sip_status == 480);
    mcgk_gmk_reply_for(MCGK_ERR_NO_MEMORY, &r);
    CHECK(!r.confirm && r.sip_status == 500);
    mcgk_gmk_reply_for(MCGK_OK, NULL); /* harmless */
    /* an accepted message carries its reply */
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, &g_user, msg);
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    mcgk_gmk_result res;
    expect_open(&cfg, msg, len, g_now, MCGK_OK, &res);
    CHECK(res.reply.confirm && res.reply.sip_status == 200);
    mcgk_gmk_result_clear(&res);
}

/* R-001-22, R-003-25, R-004-11, R-000-10: on success the client confirms; the
   confirmation carries no security information (a status and a reason phrase only) */
static void test_R_001_22_R_003_25_R_004_11_confirmation_without_keys(void)
{
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, &g_user, msg);
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    mcgk_gmk_result r;
    expect_open(&cfg, msg, len, g_now, MCGK_OK, &r);
    CHECK(r.reply.confirm && r.reply.sip_status == 200 && strcmp(r.reply.reason, "OK") == 0);
    /* the reply type has no room for key material: a flag, a status, a phrase, a number */
    CHECK(sizeof r.reply <= sizeof(int) * 2 + sizeof(const char *) + 8);
    mcgk_gmk_result_clear(&r);
}

/* R-001-02, R-003-02, R-003-04, R-004-02: the GMS signs with the key set of its own URI
   for the period; another identity's or another period's key set is refused */
static void test_R_001_02_R_003_02_gms_signs_with_own_key_set(void)
{
    mcgk_gmk_build_cfg cfg;
    bopts o;
    memset(&o, 0, sizeof o);
    make_cfg(&o, &cfg);
    mcgk_gmk_ctx ctx;
    CHECK_OK(mcgk_gmk_ctx_init(&ctx, &cfg));
    CHECK(memcmp(ctx.gms_uid, g_gms.uid, MCGK_UID_LEN) == 0);
    mcgk_gmk_ctx_clear(&ctx);
    mcgk_gmk_build_cfg b = cfg;
    b.signer = &g_bob.signer;
    CHECK_ERR(mcgk_gmk_ctx_init(&ctx, &b), MCGK_ERR_KEYSET_MISMATCH);
    b = cfg;
    b.gms_uri = BOB_URI; /* bob's keys, but he is no GMS: signs fine, the member refuses */
    b.signer = &g_bob.signer;
    b.params = NULL;
    CHECK_OK(mcgk_gmk_ctx_init(&ctx, &b));
    mcgk_gmk_member mb = {USER_URI, &g_a.kms};
    uint8_t msg[MSG_CAP];
    size_t len = 0;
    CHECK_OK(mcgk_gmk_build_one(&ctx, &mb, &g_rng, msg, sizeof msg, &len, NULL));
    mcgk_gmk_ctx_clear(&ctx);
    mcgk_gmk_open_cfg oc;
    open_cfg(&g_user, &oc);
    expect_open(&oc, msg, len, g_now, MCGK_ERR_NOT_AUTHORISED, NULL);
}

/* R-003-34 (message part) and §5.2.4: Status revoked -> accepted as a revocation, the key
   withheld, the GMS gets a confirmation */
static void test_R_003_34_revocation_accepted(void)
{
    bopts o;
    memset(&o, 0, sizeof o);
    o.status = 0xFFFFFFFFu; /* -> status 0: revoked */
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(&o, &g_user, msg);
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    held_db db = {1, GMK_ID, {0}};
    memcpy(db.key, k_gmk, 16);
    cfg.lookup = lookup;
    cfg.lookup_ctx = &db;
    mcgk_gmk_result r;
    expect_open(&cfg, msg, len, g_now, MCGK_ERR_REVOKED, &r);
    static const uint8_t zero[16];
    CHECK(r.revoked && r.key_id == GMK_ID && memcmp(r.key, zero, 16) == 0);
    CHECK(r.already_held && r.reply.confirm && (r.params.status & 1) == 0);
    mcgk_gmk_result_clear(&r);
}

/* R-004-03: a partner KMS's users are verified with the partner KMS certificate */
static void test_R_004_03_partner_kms(void)
{
    /* GMS of KMS A to carol of KMS B */
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, &g_carol, msg);
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_carol, &cfg);
    cfg.trusted = &g_b.kms; /* only her own KMS */
    cfg.n_trusted = 1;
    expect_open(&cfg, msg, len, g_now, MCGK_ERR_UNKNOWN_KMS, NULL);
    g_trusted[0] = g_b.kms;
    g_trusted[1] = g_a.kms; /* KmsCertCache: the partner certificate */
    cfg.trusted = g_trusted;
    cfg.n_trusted = 2;
    mcgk_gmk_result r;
    expect_open(&cfg, msg, len, g_now, MCGK_OK, &r);
    CHECK(r.own_period_no == g_carol.period_no && r.sender_period_no == g_gms.period_no);
    CHECK(strcmp(r.sender_kms_uri, g_a.uri) == 0);
    mcgk_gmk_result_clear(&r);
}

/* ================================ section H: two GMKs, regroup ================================ */

/* R-004-12, R-004-13, R-004-19: two GMKs (media, floor control) in one procedure = two
   I_MESSAGEs with distinct GMK-IDs, both accepted */
static void test_R_004_12_R_004_13_R_004_19_two_gmks(void)
{
    uint8_t k1[16], k2[16], r1[16], r2[16];
    uint32_t id1, id2;
    CHECK_OK(mcgk_gmk_generate(&g_rng, MCGK_PURPOSE_GMK, k1, &id1, r1));
    CHECK_OK(mcgk_gmk_generate(&g_rng, MCGK_PURPOSE_GMK, k2, &id2, r2));
    CHECK(id1 != id2 && memcmp(k1, k2, 16) != 0 && (id1 >> 28) == 0 && (id2 >> 28) == 0);
    bopts o;
    memset(&o, 0, sizeof o);
    uint8_t m1[MSG_CAP], m2[MSG_CAP];
    o.key = k1;
    o.key_id = id1;
    size_t l1 = build_msg(&o, &g_user, m1);
    o.key = k2;
    o.key_id = id2;
    size_t l2 = build_msg(&o, &g_user, m2);
    held_db db = {0, 0, {0}};
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    cfg.lookup = lookup;
    cfg.lookup_ctx = &db;
    mcgk_gmk_result r;
    expect_open(&cfg, m1, l1, g_now, MCGK_OK, &r);
    CHECK(r.key_id == id1 && memcmp(r.key, k1, 16) == 0);
    db.has = 1; /* the first is stored */
    db.key_id = r.key_id;
    memcpy(db.key, r.key, 16);
    mcgk_gmk_result_clear(&r);
    expect_open(&cfg, m2, l2, g_now, MCGK_OK, &r);
    CHECK(r.key_id == id2 && memcmp(r.key, k2, 16) == 0 && !r.already_held);
    mcgk_gmk_result_clear(&r);
    CHECK_ERR(mcgk_gmk_generate(&g_rng, 16, k1, &id1, r1), MCGK_ERR_INVALID_ARG);
    mcgk_test_fixed_rng st;
    mcgk_rng empty = mcgk_test_fixed_rng_init(&st, k1, 0);
    CHECK_ERR(mcgk_gmk_generate(&empty, 0, k1, &id1, r1), MCGK_ERR_RNG);
    CHECK_OK(mcgk_gmk_generate(&g_rng, MCGK_PURPOSE_PCK, NULL, &id1, NULL));
    CHECK((id1 >> 28) == MCGK_PURPOSE_PCK);
}

/* R-004-14, R-004-16, R-004-17: regroup across a partner system. The primary GMS sends
   the GMK to the partner GMS as to a user (GUK-ID from the partner GMS URI, encrypted to
   the partner GMS, signed by the primary GMS); the partner GMS extracts GMK and GMK-ID
   and re-sends the same GMK to its own users with new GUK-IDs, signed by itself */
static void test_R_004_14_R_004_16_R_004_17_partner_regroup(void)
{
    uint8_t msg[MSG_CAP];
    /* step 1 (R-004-14): the primary GMS's own users */
    size_t len = build_msg(NULL, &g_user, msg);
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    expect_open(&cfg, msg, len, g_now, MCGK_OK, NULL);
    /* step 3 (R-004-16): to the partner GMS */
    len = build_msg(NULL, &g_pgms, msg);
    open_cfg(&g_pgms, &cfg);
    mcgk_gmk_result r;
    expect_open(&cfg, msg, len, g_now, MCGK_OK, &r);
    uint32_t guk;
    CHECK_OK(mcgk_guk_id(k_gmk, 16, GMK_ID, PGMS_URI, strlen(PGMS_URI), &guk));
    CHECK(r.csb_id == guk && r.key_id == GMK_ID && memcmp(r.key, k_gmk, 16) == 0);
    CHECK(strcmp(r.sender_uri, GMS_URI) == 0);
    /* step 4 (R-004-17): the partner GMS re-encrypts the same GMK to carol */
    mcgk_gmk_build_cfg bc;
    memset(&bc, 0, sizeof bc);
    bc.key = r.key;
    bc.key_id = r.key_id;
    bc.rand = r.rand;
    bc.rand_len = r.rand_len;
    bc.ts_ntp_s = g_t_ntp + 5;
    bc.params = &r.params;
    bc.gms_uri = PGMS_URI;
    bc.gms_kms = &g_b.kms;
    bc.signer = &g_pgms.signer;
    bc.map = MCGK_GMK_MAP_EMPTY;
    mcgk_gmk_ctx ctx;
    CHECK_OK(mcgk_gmk_ctx_init(&ctx, &bc));
    mcgk_gmk_member mb = {CAROL_URI, &g_b.kms};
    uint32_t carol_guk = 0;
    CHECK_OK(mcgk_gmk_build_one(&ctx, &mb, &g_rng, msg, sizeof msg, &len, &carol_guk));
    mcgk_gmk_ctx_clear(&ctx);
    static const char *const pauth[] = {PGMS_URI};
    static const mcgk_gmk_group_gms pgroups[] = {{GROUP_A, PGMS_URI}};
    open_cfg(&g_carol, &cfg);
    cfg.authorised_gms = pauth;
    cfg.groups = pgroups;
    cfg.n_groups = 1;
    mcgk_gmk_result rc;
    expect_open(&cfg, msg, len, g_now, MCGK_OK, &rc);
    CHECK(rc.key_id == GMK_ID && memcmp(rc.key, k_gmk, 16) == 0 && rc.csb_id == carol_guk);
    CHECK(carol_guk != guk && strcmp(rc.sender_uri, PGMS_URI) == 0);
    CHECK(memcmp(rc.rand, k_rand, 16) == 0); /* the same RAND: the same SRTP keys */
    mcgk_gmk_result_clear(&rc);
    mcgk_gmk_result_clear(&r);
}

/* ============================== the checklist, one failure each ============================== */

typedef void (*mutate_fn)(mcgk_mikey_msg *m);

static void mut_data_type(mcgk_mikey_msg *m) { m->hdr.data_type = MCGK_MIKEY_DT_PK_INIT; }
static void mut_v(mcgk_mikey_msg *m) { m->hdr.v = 1; }
static void mut_prf(mcgk_mikey_msg *m) { m->hdr.prf_func = MCGK_MIKEY_PRF_MIKEY_1; }
static void mut_ts_type(mcgk_mikey_msg *m) { find_p(m, MCGK_MIKEY_PT_T, 0)->u.t.ts_type = 1; }
static void mut_no_t(mcgk_mikey_msg *m) { remove_p(m, find_p(m, MCGK_MIKEY_PT_T, 0)); }
static void mut_dup_t(mcgk_mikey_msg *m) { insert_p(m, 1, find_p(m, MCGK_MIKEY_PT_T, 0)); }
static void mut_rand_short(mcgk_mikey_msg *m) { find_p(m, MCGK_MIKEY_PT_RAND, 0)->u.rand.len = 15; }
static void mut_no_rand(mcgk_mikey_msg *m) { remove_p(m, find_p(m, MCGK_MIKEY_PT_RAND, 0)); }
static void mut_idri_type(mcgk_mikey_msg *m)
{
    find_p(m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRI)->u.idr.id_type = MCGK_MIKEY_IDTYPE_NAI;
}
static void mut_idr_role3(mcgk_mikey_msg *m)
{
    mcgk_mikey_payload p = *find_p(m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRKMSI);
    p.u.idr.role = MCGK_MIKEY_ROLE_IDRKMS;
    insert_p(m, 2, &p);
}
static void mut_both_i(mcgk_mikey_msg *m)
{
    static const uint8_t uid[32];
    mcgk_mikey_payload p = *find_p(m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRI);
    p.u.idr.role = MCGK_MIKEY_ROLE_IDRUIDI;
    p.u.idr.len = 32;
    p.u.idr.data = uid;
    insert_p(m, 2, &p);
}
static void mut_no_i(mcgk_mikey_msg *m) { remove_p(m, find_p(m, MCGK_MIKEY_PT_IDR, 1)); }
static void mut_no_r(mcgk_mikey_msg *m) { remove_p(m, find_p(m, MCGK_MIKEY_PT_IDR, 2)); }
static void mut_no_kmsi(mcgk_mikey_msg *m) { remove_p(m, find_p(m, MCGK_MIKEY_PT_IDR, 6)); }
static void mut_no_kmsr(mcgk_mikey_msg *m) { remove_p(m, find_p(m, MCGK_MIKEY_PT_IDR, 7)); }
static void mut_dup_kmsr(mcgk_mikey_msg *m) { insert_p(m, 2, find_p(m, MCGK_MIKEY_PT_IDR, 7)); }
static void mut_uid_len(mcgk_mikey_msg *m)
{
    mcgk_mikey_payload *p = find_p(m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRI);
    p->u.idr.role = MCGK_MIKEY_ROLE_IDRUIDI; /* a 19-octet "UID" */
}
static void mut_uri_long(mcgk_mikey_msg *m)
{
    static uint8_t longuri[MCGK_GMK_URI_MAX + 1];
    memset(longuri, 'a', sizeof longuri);
    mcgk_mikey_payload *p = find_p(m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRI);
    p->u.idr.data = longuri;
    p->u.idr.len = sizeof longuri;
}
static void mut_sakke_params(mcgk_mikey_msg *m)
{
    find_p(m, MCGK_MIKEY_PT_SAKKE, 0)->u.sakke.params = 2;
}
static void mut_sakke_scheme(mcgk_mikey_msg *m)
{
    find_p(m, MCGK_MIKEY_PT_SAKKE, 0)->u.sakke.id_scheme = MCGK_MIKEY_SAKKE_SCHEME_TEL_URI;
}
static void mut_sakke_len(mcgk_mikey_msg *m)
{
    find_p(m, MCGK_MIKEY_PT_SAKKE, 0)->u.sakke.len = 272;
}
static void mut_no_sakke(mcgk_mikey_msg *m) { remove_p(m, find_p(m, MCGK_MIKEY_PT_SAKKE, 0)); }
static void mut_dup_sakke(mcgk_mikey_msg *m) { insert_p(m, 3, find_p(m, MCGK_MIKEY_PT_SAKKE, 0)); }
static void mut_sign_type(mcgk_mikey_msg *m)
{
    m->payloads[m->n_payloads - 1].u.sign.s_type = MCGK_MIKEY_SIGN_RSA_PSS;
}
static void mut_sign_len(mcgk_mikey_msg *m) { m->payloads[m->n_payloads - 1].u.sign.len = 128; }
static void mut_no_sign(mcgk_mikey_msg *m) { m->n_payloads--; }
static void mut_kemac(mcgk_mikey_msg *m)
{
    mcgk_mikey_payload p;
    memset(&p, 0, sizeof p);
    p.type = MCGK_MIKEY_PT_KEMAC;
    insert_p(m, 2, &p);
}
static void mut_cert(mcgk_mikey_msg *m)
{
    mcgk_mikey_payload p;
    memset(&p, 0, sizeof p);
    p.type = MCGK_MIKEY_PT_CERT;
    insert_p(m, 2, &p);
}
static void mut_dup_kp(mcgk_mikey_msg *m)
{
    mcgk_mikey_payload *p = find_p(m, MCGK_MIKEY_PT_GENERAL_EXT, MCGK_MIKEY_EXT_KEY_PARAMS);
    insert_p(m, (size_t)(p - m->payloads), p);
}
static void mut_self_bad(mcgk_mikey_msg *m)
{
    mcgk_mikey_payload p = *find_p(m, MCGK_MIKEY_PT_SAKKE, 0);
    mcgk_mikey_sakke s = p.u.sakke;
    memset(&p.u, 0, sizeof p.u);
    p.type = MCGK_MIKEY_PT_GENERAL_EXT;
    p.u.genext.type = MCGK_MIKEY_EXT_SAKKE_TO_SELF;
    p.u.genext.form = MCGK_MIKEY_GENEXT_SAKKE_TO_SELF;
    p.u.genext.sakke = s;
    p.u.genext.sakke.params = 3;
    insert_p(m, m->n_payloads - 1, &p);
}
static void mut_vendor_ext(mcgk_mikey_msg *m)
{
    static const uint8_t data[3] = {1, 2, 3};
    mcgk_mikey_payload p;
    memset(&p, 0, sizeof p);
    p.type = MCGK_MIKEY_PT_GENERAL_EXT;
    p.u.genext.type = MCGK_MIKEY_EXT_VENDOR;
    p.u.genext.len = 3;
    p.u.genext.data = data;
    insert_p(m, m->n_payloads - 1, &p);
}
static void mut_purpose(mcgk_mikey_msg *m) { m->hdr.csb_id |= 0x10000000u; }
static void mut_unknown_kms(mcgk_mikey_msg *m)
{
    static const char k[] = "kms.unknown.example";
    mcgk_mikey_payload *p = find_p(m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRKMSI);
    p->u.idr.data = (const uint8_t *)k;
    p->u.idr.len = sizeof k - 1;
}
static void mut_other_r(mcgk_mikey_msg *m)
{
    mcgk_mikey_payload *p = find_p(m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRR);
    p->u.idr.data = (const uint8_t *)BOB_URI;
    p->u.idr.len = (uint16_t)strlen(BOB_URI);
}
static void mut_other_kmsr(mcgk_mikey_msg *m)
{
    mcgk_mikey_payload *p = find_p(m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRKMSR);
    p->u.idr.data = (const uint8_t *)KMS_B_URI;
    p->u.idr.len = (uint16_t)strlen(KMS_B_URI);
}
static void mut_other_uidr(mcgk_mikey_msg *m)
{
    mcgk_mikey_payload *p = find_p(m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRR);
    p->u.idr.role = MCGK_MIKEY_ROLE_IDRUIDR;
    p->u.idr.data = g_bob.uid;
    p->u.idr.len = MCGK_UID_LEN;
}
static uint8_t g_sakke_copy[MCGK_SAKKE_ENCAP_LEN];
static void mut_sakke_h(mcgk_mikey_msg *m)
{
    mcgk_mikey_payload *p = find_p(m, MCGK_MIKEY_PT_SAKKE, 0);
    memcpy(g_sakke_copy, p->u.sakke.data, sizeof g_sakke_copy);
    g_sakke_copy[MCGK_SAKKE_ENCAP_LEN - 1] ^= 0x01;
    p->u.sakke.data = g_sakke_copy;
}
static void mut_sakke_r(mcgk_mikey_msg *m)
{
    mcgk_mikey_payload *p = find_p(m, MCGK_MIKEY_PT_SAKKE, 0);
    memcpy(g_sakke_copy, p->u.sakke.data, sizeof g_sakke_copy);
    g_sakke_copy[100] ^= 0x01; /* R is no longer on the curve */
    p->u.sakke.data = g_sakke_copy;
}

typedef struct mut_case {
    const char *name;
    mutate_fn fn;
    int resign;   /* 1: the GMS signs the modified message */
    mcgk_err want;
} mut_case;

static const mut_case k_muts[] = {
    /* 1. parse + profile */
    {"data type", mut_data_type, 1, MCGK_ERR_MIKEY_PROFILE},
    {"V bit", mut_v, 1, MCGK_ERR_MIKEY_PROFILE},
    {"PRF", mut_prf, 1, MCGK_ERR_MIKEY_PROFILE},
    {"TS type", mut_ts_type, 1, MCGK_ERR_MIKEY_PROFILE},
    {"no T", mut_no_t, 1, MCGK_ERR_MIKEY_PROFILE},
    {"two T", mut_dup_t, 1, MCGK_ERR_MIKEY_PROFILE},
    {"short RAND", mut_rand_short, 1, MCGK_ERR_MIKEY_PROFILE},
    {"no RAND", mut_no_rand, 1, MCGK_ERR_MIKEY_PROFILE},
    {"IDRi not a URI", mut_idri_type, 1, MCGK_ERR_MIKEY_PROFILE},
    {"IDRkms role 3", mut_idr_role3, 1, MCGK_ERR_MIKEY_PROFILE},
    {"IDRi and IDRuidi", mut_both_i, 1, MCGK_ERR_MIKEY_PROFILE},
    {"no initiator", mut_no_i, 1, MCGK_ERR_MIKEY_PROFILE},
    {"no responder", mut_no_r, 1, MCGK_ERR_MIKEY_PROFILE},
    {"no IDRkmsi", mut_no_kmsi, 1, MCGK_ERR_MIKEY_PROFILE},
    {"no IDRkmsr", mut_no_kmsr, 1, MCGK_ERR_MIKEY_PROFILE},
    {"two IDRkmsr", mut_dup_kmsr, 1, MCGK_ERR_MIKEY_PROFILE},
    {"UID not 32 octets", mut_uid_len, 1, MCGK_ERR_MIKEY_PROFILE},
    {"URI too long", mut_uri_long, 1, MCGK_ERR_MIKEY_PROFILE},
    {"SAKKE params", mut_sakke_params, 1, MCGK_ERR_MIKEY_PROFILE},
    {"SAKKE ID scheme", mut_sakke_scheme, 1, MCGK_ERR_MIKEY_PROFILE},
    {"SAKKE length", mut_sakke_len, 1, MCGK_ERR_MIKEY_PROFILE},
    {"no SAKKE", mut_no_sakke, 1, MCGK_ERR_MIKEY_PROFILE},
    {"two SAKKE", mut_dup_sakke, 1, MCGK_ERR_MIKEY_PROFILE},
    {"SIGN type", mut_sign_type, 0, MCGK_ERR_MIKEY_PROFILE},
    {"SIGN length", mut_sign_len, 0, MCGK_ERR_MIKEY_PROFILE},
    {"no SIGN", mut_no_sign, 0, MCGK_ERR_MIKEY_PROFILE},
    {"a KEMAC", mut_kemac, 1, MCGK_ERR_MIKEY_PROFILE},
    {"a CERT", mut_cert, 1, MCGK_ERR_MIKEY_PROFILE},
    {"two key-parameter extensions", mut_dup_kp, 1, MCGK_ERR_MIKEY_PROFILE},
    {"SAKKE-to-self params", mut_self_bad, 1, MCGK_ERR_MIKEY_PROFILE},
    /* ... a vendor extension is ignored */
    {"vendor extension", mut_vendor_ext, 1, MCGK_OK},
    /* 2. purpose */
    {"CSB ID purpose tag", mut_purpose, 1, MCGK_ERR_KEY_PURPOSE},
    /* 4. KMS */
    {"unknown IDRkmsi", mut_unknown_kms, 1, MCGK_ERR_UNKNOWN_KMS},
    /* 7. for me */
    {"IDRr another user", mut_other_r, 1, MCGK_ERR_NOT_FOR_ME},
    {"IDRkmsr another KMS", mut_other_kmsr, 1, MCGK_ERR_NOT_FOR_ME},
    {"IDRuidr another UID", mut_other_uidr, 1, MCGK_ERR_NOT_FOR_ME},
    /* 8. decapsulation */
    {"SAKKE H", mut_sakke_h, 1, MCGK_ERR_DECAPSULATE},
    {"SAKKE R", mut_sakke_r, 1, MCGK_ERR_DECAPSULATE},
};

/* §9: each check, a message failing exactly that check */
static void test_checklist_each_failure(void)
{
    uint8_t msg[MSG_CAP], out[MSG_CAP];
    size_t len = build_msg(NULL, &g_user, msg);
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    for (size_t i = 0; i < sizeof k_muts / sizeof k_muts[0]; i++) {
        const mut_case *c = &k_muts[i];
        mcgk_mikey_msg m;
        CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
        c->fn(&m);
        size_t n = resign(&m, c->resign ? &g_gms.signer : NULL, out);
        mcgk_gmk_result r;
        memset(&r, 0, sizeof r);
        mcgk_err e = mcgk_gmk_open(&cfg, out, n, g_now, &r, NULL);
        if (e != c->want)
            mcgk_test_fail(__FILE__, __LINE__, "%s: %s, want %s", c->name, mcgk_err_name(e),
                           mcgk_err_name(c->want));
        mcgk_gmk_result_clear(&r);
    }
    /* the unmodified message passes */
    expect_open(&cfg, msg, len, g_now, MCGK_OK, NULL);
}

/* 3. the replay window and the replay cache */
static void test_checklist_timestamp_and_replay(void)
{
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, &g_user, msg);
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    expect_open(&cfg, msg, len, g_now + MCGK_GMK_WINDOW_PAST_S, MCGK_OK, NULL);
    expect_open(&cfg, msg, len, g_now + MCGK_GMK_WINDOW_PAST_S + 1, MCGK_ERR_TIMESTAMP, NULL);
    expect_open(&cfg, msg, len, g_now - MCGK_GMK_WINDOW_FUTURE_S, MCGK_OK, NULL);
    expect_open(&cfg, msg, len, g_now - MCGK_GMK_WINDOW_FUTURE_S - 1, MCGK_ERR_TIMESTAMP, NULL);
    /* half an NTP era off (68 years): the nearest era is still far outside the window */
    expect_open(&cfg, msg, len, g_now + (1ull << 31), MCGK_ERR_TIMESTAMP, NULL);
    expect_open(&cfg, msg, len, g_now + (1ull << 31) + 7, MCGK_ERR_TIMESTAMP, NULL);
    /* a time before the own KMS's, or the sender KMS's, key period offset (§5.3) */
    mcgk_gmk_kms late = g_a.kms;
    late.offset_s = g_t_ntp + 1;
    cfg.own_kms = &late;
    expect_open(&cfg, msg, len, g_now, MCGK_ERR_TIMESTAMP, NULL);
    cfg.own_kms = &g_a.kms;
    g_trusted[0] = late;
    expect_open(&cfg, msg, len, g_now, MCGK_ERR_TIMESTAMP, NULL);
    g_trusted[0] = g_a.kms;
    mcgk_replay_entry entries[4];
    mcgk_replay_cache cache;
    mcgk_replay_cache_init(&cache, entries, 4);
    cfg.replay = &cache;
    expect_open(&cfg, msg, len, g_now, MCGK_OK, NULL);
    CHECK(cache.n == 1);
    expect_open(&cfg, msg, len, g_now + 1, MCGK_ERR_REPLAY, NULL);
    CHECK(cache.n == 1);
    /* a rejected message does not enter the cache */
    mcgk_replay_cache_init(&cache, entries, 4);
    msg[len - 1] ^= 1;
    expect_open(&cfg, msg, len, g_now, MCGK_ERR_SIGNATURE, NULL);
    CHECK(cache.n == 0);
    msg[len - 1] ^= 1;
    /* a revocation accepted is remembered as well */
    bopts o;
    memset(&o, 0, sizeof o);
    o.status = 0xFFFFFFFFu;
    uint8_t rev[MSG_CAP];
    size_t rl = build_msg(&o, &g_user, rev);
    expect_open(&cfg, rev, rl, g_now, MCGK_ERR_REVOKED, NULL);
    expect_open(&cfg, rev, rl, g_now, MCGK_ERR_REPLAY, NULL);
    /* a cache of capacity 0 keeps only a floor */
    mcgk_replay_cache_init(&cache, NULL, 5);
    CHECK(cache.cap == 0);
    expect_open(&cfg, msg, len, g_now, MCGK_OK, NULL);
    CHECK(cache.floor_ntp_s == g_t_ntp);
    expect_open(&cfg, msg, len, g_now, MCGK_ERR_TIMESTAMP, NULL);
}

static void test_replay_cache(void)
{
    mcgk_replay_entry e[3];
    mcgk_replay_cache c;
    uint8_t a[32] = {1}, b[32] = {2};
    mcgk_replay_cache_init(&c, e, 3);
    mcgk_replay_cache_init(NULL, e, 3);
    CHECK_ERR(mcgk_replay_cache_check(NULL, a, 10, 0, 1), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_replay_cache_check(&c, NULL, 10, 0, 1), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_replay_cache_add(NULL, a, 10, 0, 1, 0), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_replay_cache_add(&c, NULL, 10, 0, 1, 0), MCGK_ERR_INVALID_ARG);
    CHECK_OK(mcgk_replay_cache_add(&c, a, 100, 0, 1, 50));
    CHECK_ERR(mcgk_replay_cache_check(&c, a, 100, 0, 1), MCGK_ERR_REPLAY);
    CHECK_OK(mcgk_replay_cache_check(&c, b, 100, 0, 1));  /* another sender */
    CHECK_OK(mcgk_replay_cache_check(&c, a, 100, 1, 1));  /* another fraction */
    CHECK_OK(mcgk_replay_cache_check(&c, a, 100, 0, 2));  /* another CSB ID */
    CHECK_OK(mcgk_replay_cache_add(&c, a, 110, 0, 1, 50));
    CHECK_OK(mcgk_replay_cache_add(&c, a, 120, 0, 1, 50));
    CHECK(c.n == 3);
    /* full: entries outside the window go first */
    CHECK_OK(mcgk_replay_cache_add(&c, a, 130, 0, 1, 105));
    CHECK(c.n == 3 && c.floor_ntp_s == 0);
    CHECK_OK(mcgk_replay_cache_check(&c, a, 100, 0, 1)); /* forgotten: the window refuses it */
    /* full, all inside the window: the oldest second becomes the floor */
    CHECK_OK(mcgk_replay_cache_add(&c, a, 140, 0, 1, 0));
    CHECK(c.floor_ntp_s == 110 && c.n == 3);
    CHECK_ERR(mcgk_replay_cache_check(&c, b, 110, 5, 9), MCGK_ERR_TIMESTAMP);
    CHECK_ERR(mcgk_replay_cache_check(&c, a, 140, 0, 1), MCGK_ERR_REPLAY);
    CHECK_ERR(mcgk_replay_cache_check(&c, a, 130, 0, 1), MCGK_ERR_REPLAY);
}

/* 3. no own keys for the key period of the timestamp */
static void test_R_000_01_R_003_01_no_keys_for_period(void)
{
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, &g_user, msg);
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    mcgk_gmk_own_keys other = {g_user.period_no + 1, g_user.receiver};
    cfg.own_keys = &other;
    expect_open(&cfg, msg, len, g_now, MCGK_ERR_NO_KEYS, NULL);
    cfg.n_own_keys = 0;
    expect_open(&cfg, msg, len, g_now, MCGK_ERR_NO_KEYS, NULL);
    mcgk_gmk_own_keys both[2] = {other, g_user.own};
    cfg.own_keys = both;
    cfg.n_own_keys = 2;
    expect_open(&cfg, msg, len, g_now, MCGK_OK, NULL);
}

/* open's argument checks and the codec's codes passed through */
static void test_open_arguments_and_parse_errors(void)
{
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, &g_user, msg);
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    mcgk_gmk_result r;
    mcgk_err d;
    CHECK_ERR(mcgk_gmk_open(NULL, msg, len, g_now, &r, &d), MCGK_ERR_INVALID_ARG);
    CHECK(d == MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gmk_open(&cfg, NULL, len, g_now, &r, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gmk_open(&cfg, msg, len, g_now, NULL, NULL), MCGK_ERR_INVALID_ARG);
    mcgk_gmk_open_cfg bad = cfg;
    bad.own_uri = NULL;
    CHECK_ERR(mcgk_gmk_open(&bad, msg, len, g_now, &r, NULL), MCGK_ERR_INVALID_ARG);
    bad = cfg;
    bad.own_kms = NULL;
    CHECK_ERR(mcgk_gmk_open(&bad, msg, len, g_now, &r, NULL), MCGK_ERR_INVALID_ARG);
    bad = cfg;
    bad.own_keys = NULL;
    CHECK_ERR(mcgk_gmk_open(&bad, msg, len, g_now, &r, NULL), MCGK_ERR_INVALID_ARG);
    bad = cfg;
    bad.trusted = NULL;
    CHECK_ERR(mcgk_gmk_open(&bad, msg, len, g_now, &r, NULL), MCGK_ERR_INVALID_ARG);
    bad = cfg;
    bad.authorised_gms = NULL;
    CHECK_ERR(mcgk_gmk_open(&bad, msg, len, g_now, &r, NULL), MCGK_ERR_INVALID_ARG);
    bad = cfg;
    bad.groups = NULL;
    CHECK_ERR(mcgk_gmk_open(&bad, msg, len, g_now, &r, NULL), MCGK_ERR_INVALID_ARG);
    mcgk_gmk_open_cfg_init(NULL);
    mcgk_gmk_result_clear(NULL);
    /* the codec's verdicts */
    expect_open(&cfg, msg, len - 1, g_now, MCGK_ERR_TRUNCATED, NULL);
    msg[len] = 0;
    expect_open(&cfg, msg, len + 1, g_now, MCGK_ERR_TRAILING_DATA, NULL);
    msg[0] = 2;
    expect_open(&cfg, msg, len, g_now, MCGK_ERR_MIKEY_VERSION, NULL);
    expect_open(&cfg, msg, 0, g_now, MCGK_ERR_TRUNCATED, NULL);
}

/* every single-byte flip, truncation and appended data: rejected, nothing released */
static void robustness(const mcgk_gmk_open_cfg *cfg, uint8_t *msg, size_t len, uint64_t now)
{
    static mcgk_gmk_result r, guard;
    memset(&guard, 0x3C, sizeof guard);
    int quick = mcgk_test_quick();
    static const uint8_t flips[] = {0x01, 0x80, 0xFF};
    for (size_t i = 0; i < len; i++) {
        for (size_t f = 0; f < (quick ? 1u : sizeof flips); f++) {
            msg[i] ^= flips[f];
            r = guard;
            mcgk_err e = mcgk_gmk_open(cfg, msg, len, now, &r, NULL);
            if (e == MCGK_OK || e == MCGK_ERR_REVOKED || memcmp(&r, &guard, sizeof r) != 0)
                mcgk_test_fail(__FILE__, __LINE__, "flip %02x at %zu: %s", flips[f], i,
                               mcgk_err_name(e));
            msg[i] ^= flips[f];
        }
    }
    for (size_t cut = 0; cut < len; cut += quick ? 7 : 1) {
        r = guard;
        mcgk_err e = mcgk_gmk_open(cfg, msg, cut, now, &r, NULL);
        CHECK(e != MCGK_OK && memcmp(&r, &guard, sizeof r) == 0);
    }
    mcgk_test_prng p;
    mcgk_test_prng_init(&p, 99);
    for (size_t extra = 1; extra <= 64; extra += quick ? 21 : 1) {
        mcgk_test_prng_fill(&p, msg + len, extra);
        r = guard;
        mcgk_err e = mcgk_gmk_open(cfg, msg, len + extra, now, &r, NULL);
        CHECK(e != MCGK_OK && memcmp(&r, &guard, sizeof r) == 0);
    }
    r = guard;
    CHECK_OK(mcgk_gmk_open(cfg, msg, len, now, &r, NULL));
    mcgk_gmk_result_clear(&r);
}

static void test_flips_truncations_appended_built(void)
{
    static uint8_t msg[MSG_CAP];
    bopts o;
    memset(&o, 0, sizeof o);
    o.self = 1;
    size_t len = build_msg(&o, &g_user, msg);
    mcgk_gmk_open_cfg cfg;
    open_cfg(&g_user, &cfg);
    robustness(&cfg, msg, len, g_now);
}

static void test_flips_truncations_appended_streamwide(void)
{
    sw_fx f;
    sw_setup(&f, "user.Alice");
    mcgk_gmk_open_cfg cfg;
    const char *auth[1];
    sw_cfg(&f, &k_sw[0], auth, &cfg);
    size_t len;
    uint8_t *v = mcgk_vec_hex(g_sw, "imessage.1.GMK", "i_message", &len);
    static uint8_t msg[MSG_CAP];
    memcpy(msg, v, len);
    free(v);
    robustness(&cfg, msg, len, f.now);
    sw_free(&f);
}

/* ================================ the builder's own errors ================================ */

static void test_build_errors(void)
{
    mcgk_gmk_build_cfg cfg;
    bopts o;
    memset(&o, 0, sizeof o);
    make_cfg(&o, &cfg);
    mcgk_gmk_ctx ctx;
    CHECK_ERR(mcgk_gmk_ctx_init(NULL, &cfg), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gmk_ctx_init(&ctx, NULL), MCGK_ERR_INVALID_ARG);
    mcgk_gmk_build_cfg b = cfg;
    b.key = NULL;
    CHECK_ERR(mcgk_gmk_ctx_init(&ctx, &b), MCGK_ERR_INVALID_ARG);
    CHECK(!ctx.ready);
    b = cfg;
    b.rand_len = 15;
    CHECK_ERR(mcgk_gmk_ctx_init(&ctx, &b), MCGK_ERR_INVALID_ARG);
    b = cfg;
    b.gms_uri = "";
    CHECK_ERR(mcgk_gmk_ctx_init(&ctx, &b), MCGK_ERR_INVALID_ARG);
    b = cfg;
    b.signer = NULL;
    CHECK_ERR(mcgk_gmk_ctx_init(&ctx, &b), MCGK_ERR_INVALID_ARG);
    b = cfg;
    b.map = (mcgk_gmk_map)7;
    CHECK_ERR(mcgk_gmk_ctx_init(&ctx, &b), MCGK_ERR_INVALID_ARG);
    mcgk_gmk_kms nocomm = g_a.kms;
    nocomm.community = NULL;
    b = cfg;
    b.gms_kms = &nocomm;
    b.sakke_to_self = 1;
    CHECK_ERR(mcgk_gmk_ctx_init(&ctx, &b), MCGK_ERR_INVALID_ARG);
    /* parameters that name another key type (E.6.11) */
    b = cfg;
    b.key_id = 0x1abcdef1u;
    CHECK_ERR(mcgk_gmk_ctx_init(&ctx, &b), MCGK_ERR_KEY_PURPOSE);
    /* a signer of another identity (R-001-02: the GMS signs with its own URI's keys) */
    b = cfg;
    b.signer = &g_user.signer;
    CHECK_ERR(mcgk_gmk_ctx_init(&ctx, &b), MCGK_ERR_KEYSET_MISMATCH);
    /* a signer of another period: the same identity, a later time */
    b = cfg;
    b.ts_ntp_s = g_t_ntp + g_a.kms.period_s;
    CHECK_ERR(mcgk_gmk_ctx_init(&ctx, &b), MCGK_ERR_KEYSET_MISMATCH);
    /* a time before the KMS's key period offset */
    mcgk_gmk_kms late = g_a.kms;
    late.offset_s = g_t_ntp + 1;
    b = cfg;
    b.gms_kms = &late;
    CHECK_ERR(mcgk_gmk_ctx_init(&ctx, &b), MCGK_ERR_TIMESTAMP);
    /* unencodable parameters */
    mcgk_key_params kp;
    mcgk_key_params_init(&kp, 0);
    kp.text_len = MCGK_KP_TEXT_MAX + 1;
    b = cfg;
    b.params = &kp;
    CHECK_ERR(mcgk_gmk_ctx_init(&ctx, &b), MCGK_ERR_INVALID_ARG);

    /* build_one */
    CHECK_OK(mcgk_gmk_ctx_init(&ctx, &cfg));
    mcgk_gmk_member mb = {USER_URI, &g_a.kms};
    uint8_t out[MSG_CAP];
    size_t n = 0, need = 0;
    CHECK_OK(mcgk_gmk_build_one(&ctx, &mb, NULL, NULL, 0, &need, NULL));
    CHECK_ERR(mcgk_gmk_build_one(&ctx, &mb, &g_rng, out, need - 1, &n, NULL),
              MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(n == need);
    CHECK_ERR(mcgk_gmk_build_one(NULL, &mb, &g_rng, out, sizeof out, &n, NULL),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gmk_build_one(&ctx, NULL, &g_rng, out, sizeof out, &n, NULL),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gmk_build_one(&ctx, &mb, &g_rng, out, sizeof out, NULL, NULL),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gmk_build_one(&ctx, &mb, NULL, out, sizeof out, &n, NULL),
              MCGK_ERR_INVALID_ARG);
    mcgk_gmk_member bm = {NULL, &g_a.kms};
    CHECK_ERR(mcgk_gmk_build_one(&ctx, &bm, &g_rng, out, sizeof out, &n, NULL),
              MCGK_ERR_INVALID_ARG);
    bm.uri = USER_URI;
    bm.kms = &nocomm;
    CHECK_ERR(mcgk_gmk_build_one(&ctx, &bm, &g_rng, out, sizeof out, &n, NULL),
              MCGK_ERR_INVALID_ARG);
    CHECK_OK(mcgk_gmk_build_one(&ctx, &bm, &g_rng, NULL, 0, &n, NULL)); /* a size needs no Z */
    bm.kms = &late;
    CHECK_ERR(mcgk_gmk_build_one(&ctx, &bm, &g_rng, out, sizeof out, &n, NULL),
              MCGK_ERR_TIMESTAMP);
    /* the RNG fails: for the IV, then for j; nothing usable is left in out */
    uint8_t only_iv[16] = {0};
    mcgk_test_fixed_rng st;
    mcgk_rng r0 = mcgk_test_fixed_rng_init(&st, only_iv, 0);
    memset(out, 0xEE, sizeof out);
    CHECK_ERR(mcgk_gmk_build_one(&ctx, &mb, &r0, out, sizeof out, &n, NULL), MCGK_ERR_RNG);
    mcgk_rng r1 = mcgk_test_fixed_rng_init(&st, only_iv, 16);
    CHECK_ERR(mcgk_gmk_build_one(&ctx, &mb, &r1, out, sizeof out, &n, NULL), MCGK_ERR_RNG);
    static const uint8_t zeros[MSG_CAP];
    CHECK(memcmp(out, zeros, sizeof out) == 0);
    mcgk_gmk_ctx_clear(&ctx);
    CHECK_ERR(mcgk_gmk_build_one(&ctx, &mb, &g_rng, out, sizeof out, &n, NULL),
              MCGK_ERR_INVALID_ARG);
    mcgk_gmk_ctx_clear(NULL);
    /* empty map: no SP; PCK: no diversity */
    o.empty_map = 1;
    o.key_id = 0x1234abcdu;
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(&o, &g_user, msg);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    CHECK(m.hdr.map_type == MCGK_MIKEY_MAP_EMPTY && m.hdr.n_cs == 0 &&
          mcgk_mikey_find(&m, MCGK_MIKEY_PT_SP, NULL) == NULL && m.hdr.csb_id == 0x1234abcdu);
    mcgk_gmk_open_cfg oc;
    open_cfg(&g_user, &oc);
    oc.purposes = 1u << MCGK_PURPOSE_PCK;
    mcgk_gmk_result r;
    expect_open(&oc, msg, len, g_now, MCGK_OK, &r);
    CHECK(r.purpose == MCGK_PURPOSE_PCK && r.key_id == 0x1234abcdu && r.params.key_type == 1);
    CHECK(r.sender_uri[0] != '\0'); /* IDRi is shown even where no GMS rule applies */
    mcgk_gmk_result_clear(&r);
}

int main(void)
{
    g_sw = mcgk_vec_load("streamwide-mikey-sakke.txt");
    g_syn = mcgk_vec_load("synthetic-gmk-imessage.txt");
    g_rng = mcgk_test_prng_init(&g_prng, 0x6d6b6731);
    setup();
    TEST_RUN(test_streamwide_messages_open);
    TEST_RUN(test_streamwide_base64);
    TEST_RUN(test_streamwide_legacy_refused_by_default);
    TEST_RUN(test_streamwide_other_purposes_recognised);
    TEST_RUN(test_synthetic_rebuilt_byte_for_byte);
    TEST_RUN(test_R_000_13_is_mikey_sakke_i_message);
    TEST_RUN(test_R_000_14_R_001_09_R_003_12_R_004_05_encapsulates_gmk);
    TEST_RUN(test_R_000_15_R_001_10_R_003_13_R_004_06_encrypted_to_member);
    TEST_RUN(test_R_000_16_R_001_11_R_003_14_R_004_06_signed_by_gms);
    TEST_RUN(test_R_000_17_key_id_and_period_of_use);
    TEST_RUN(test_R_000_19_batch_one_message_per_member);
    TEST_RUN(test_R_001_05_R_003_10_entities);
    TEST_RUN(test_R_001_12_R_003_15_R_004_07_R_003_06_guk_id);
    TEST_RUN(test_R_001_13_R_003_16_R_003_29_params_encrypted_under_gmk);
    TEST_RUN(test_R_003_08_sakke_to_self);
    TEST_RUN(test_R_003_09_identity_hiding);
    TEST_RUN(test_R_001_06_R_001_07_one_gmk_several_groups);
    TEST_RUN(test_R_000_21_R_001_14_R_003_17_signature_checked);
    TEST_RUN(test_R_000_21_R_003_18_R_004_08_gms_authorised);
    TEST_RUN(test_R_001_19_group_gms_matches);
    TEST_RUN(test_R_000_22_R_001_15_R_003_19_R_001_21_R_003_24_R_003_32_R_004_10_extracted);
    TEST_RUN(test_R_001_16_R_003_20_duplicate_key_id);
    TEST_RUN(test_R_001_17_R_003_21_R_003_30_params_extracted);
    TEST_RUN(test_R_001_18_R_003_22_params_must_decrypt);
    TEST_RUN(test_R_001_20_R_003_23_R_003_31_R_004_09_reply_to_gms);
    TEST_RUN(test_R_001_22_R_003_25_R_004_11_confirmation_without_keys);
    TEST_RUN(test_R_001_02_R_003_02_gms_signs_with_own_key_set);
    TEST_RUN(test_R_003_34_revocation_accepted);
    TEST_RUN(test_R_004_03_partner_kms);
    TEST_RUN(test_R_004_12_R_004_13_R_004_19_two_gmks);
    TEST_RUN(test_R_004_14_R_004_16_R_004_17_partner_regroup);
    TEST_RUN(test_checklist_each_failure);
    TEST_RUN(test_checklist_timestamp_and_replay);
    TEST_RUN(test_replay_cache);
    TEST_RUN(test_R_000_01_R_003_01_no_keys_for_period);
    TEST_RUN(test_open_arguments_and_parse_errors);
    TEST_RUN(test_flips_truncations_appended_built);
    TEST_RUN(test_flips_truncations_appended_streamwide);
    TEST_RUN(test_build_errors);
    teardown();
    mcgk_vec_free(g_sw);
    mcgk_vec_free(g_syn);
    TEST_MAIN_END();
}
