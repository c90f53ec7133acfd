/*
 * Tests of the ProSe GSK message (src/mikey/gsk_build.c, gsk_open.c,
 * kemac.c; mcgk/gsk_message.h; seed 002 section J, mikey.md §11, §12, §14).
 *
 * - Round trips, unsigned and signed, with a given and with a fresh GSK.
 * - A known-answer test: the transport keys, the AES-CM IV, the ciphertext
 *   and the MAC of a message built from fixed randomness are recomputed
 *   independently here with OpenSSL EVP (HMAC-SHA-256 for the RFC 3830 PRF,
 *   AES-128-CTR, HMAC-SHA-1) and pinned.
 * - One test per 'shall' / 'may' of seed 002 that the message layer
 *   implements (named by its R-ID).
 * - For every check of the receiver, a message failing exactly that check
 *   (re-sealed under the GMK and re-signed where needed, so that every other
 *   check passes) gives exactly that error and leaves the output untouched.
 * - Every single-byte flip, every truncation and appended data of an
 *   unsigned and of a signed message is rejected, outputs untouched.
 * - Every error code of the builder and of the KEMAC primitives.
 */
#include "test.h"

#include <openssl/evp.h>

#include "mcgk/gsk_message.h"
#include "mcgk/kdf.h"
#include "mcgk/mikey.h"

#define MSG_CAP 2048
#define KMS_URI "kms.prose.example"
#define KMS2_URI "kms.other.example"
#define PERIOD_S 2592000
#define ALICE "sip:alice@prose.example"
#define CAROL "sip:carol@prose.example" /* same length as ALICE */
#define BOB "sip:bob@prose.example"
#define NOW 1800000000ull /* Unix seconds of every test */
#define T_NTP (NOW + MCGK_NTP_UNIX_OFFSET_S)
#define GMK_ID 0x0a1b2c3du
#define GMK2_ID 0x01020304u

static const uint8_t k_gmk[MCGK_KEY_LEN] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                           0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
static const uint8_t k_gmk2[MCGK_KEY_LEN] = {0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
                                            0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f};
static const uint8_t k_gsk[MCGK_KEY_LEN] = {0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60, 0x61,
                                           0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69};

static mcgk_test_prng g_prng;
static mcgk_rng g_rng;

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* ---- fixtures: one IDENTITY KMS (ECCSI only), its users' signing keys --------------------- */

typedef struct kms_fx {
    char uri[64];
    uint8_t ksak[MCGK_ECCSI_SCALAR_LEN], kpak[MCGK_ECCSI_POINT_LEN];
    mcgk_gmk_kms kms;
} kms_fx;

static kms_fx g_kms, g_kms2;
static mcgk_eccsi_signer g_alice, g_bob, g_carol, g_alice_next, g_alice_k2;
static uint8_t g_alice_uid[MCGK_UID_LEN];

static void kms_init(kms_fx *k, const char *uri)
{
    snprintf(k->uri, sizeof k->uri, "%s", uri);
    CHECK_OK(mcgk_eccsi_kms_keygen(&g_rng, k->ksak, k->kpak));
    k->kms.kms_uri = k->uri;
    k->kms.period_s = PERIOD_S;
    k->kms.offset_s = 0;
    k->kms.kpak = k->kpak;
    k->kms.community = NULL;
}

/* the signing key set of uri under k for the key period of t_ntp */
static void issue(mcgk_eccsi_signer *s, const char *uri, const kms_fx *k, uint64_t t_ntp,
                  uint8_t uid_out[MCGK_UID_LEN])
{
    uint64_t pno;
    uint8_t uid[MCGK_UID_LEN], ssk[MCGK_ECCSI_SCALAR_LEN], pvt[MCGK_ECCSI_POINT_LEN];
    CHECK_OK(mcgk_key_period_no(t_ntp, PERIOD_S, 0, &pno));
    CHECK_OK(mcgk_uid(uri, strlen(uri), k->uri, strlen(k->uri), PERIOD_S, 0, pno, uid));
    CHECK_OK(mcgk_eccsi_issue(k->ksak, uid, sizeof uid, &g_rng, ssk, pvt));
    CHECK_OK(mcgk_eccsi_signer_init(s, k->kpak, uid, sizeof uid, ssk, pvt));
    if (uid_out != NULL)
        memcpy(uid_out, uid, sizeof uid);
    mcgk_wipe(ssk, sizeof ssk);
}

static void setup(void)
{
    kms_init(&g_kms, KMS_URI);
    kms_init(&g_kms2, KMS2_URI);
    issue(&g_alice, ALICE, &g_kms, T_NTP, g_alice_uid);
    issue(&g_bob, BOB, &g_kms, T_NTP, NULL);
    issue(&g_carol, CAROL, &g_kms, T_NTP, NULL);
    issue(&g_alice_next, ALICE, &g_kms, T_NTP + PERIOD_S, NULL);
    issue(&g_alice_k2, ALICE, &g_kms2, T_NTP, NULL);
}

static void teardown(void)
{
    mcgk_eccsi_signer *s[] = {&g_alice, &g_bob, &g_carol, &g_alice_next, &g_alice_k2};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        mcgk_eccsi_signer_clear(s[i]);
}

/* ---- building --------------------------------------------------------------------------- */

typedef struct bopts {
    int sign;                        /* signed by ALICE (or o->signer) */
    const mcgk_eccsi_signer *signer; /* default g_alice */
    const char *uri;                 /* IDRi; default ALICE when signed, none otherwise */
    const kms_fx *kms;               /* signer's KMS; default g_kms */
    const uint8_t *gmk;              /* default k_gmk */
    uint32_t gmk_id;                 /* default GMK_ID */
    const uint8_t *gsk;              /* default k_gsk; fresh when fresh_gsk */
    int fresh_gsk;
    uint64_t ts_ntp_s;               /* default T_NTP */
    const mcgk_mikey_sp *sp;
} bopts;

static void make_cfg(const bopts *o, mcgk_gsk_build_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->gmk = o->gmk != NULL ? o->gmk : k_gmk;
    c->gmk_id = o->gmk_id != 0 ? o->gmk_id : GMK_ID;
    c->gsk = o->fresh_gsk ? NULL : o->gsk != NULL ? o->gsk : k_gsk;
    c->ts_ntp_s = o->ts_ntp_s != 0 ? o->ts_ntp_s : T_NTP;
    c->ts_frac = 0x80000000u;
    c->initiator_uri = o->uri != NULL ? o->uri : o->sign ? ALICE : NULL;
    if (o->sign) {
        c->signer = o->signer != NULL ? o->signer : &g_alice;
        c->signer_kms = &(o->kms != NULL ? o->kms : &g_kms)->kms;
    }
    c->sp = o->sp;
}

static size_t build_msg(const bopts *o, uint8_t *out, mcgk_gsk_sealed *sealed)
{
    static const bopts dflt;
    mcgk_gsk_build_cfg c;
    mcgk_gsk_sealed s;
    make_cfg(o != NULL ? o : &dflt, &c);
    size_t n = 0;
    CHECK_OK(mcgk_gsk_build(&c, &g_rng, out, MSG_CAP, &n, &s));
    if (sealed != NULL)
        *sealed = s;
    mcgk_gsk_sealed_clear(&s);
    return n;
}

/* ---- opening ------------------------------------------------------------------------------ */

typedef struct held {
    size_t n;
    uint32_t ids[4];
    const uint8_t *keys[4];
    int calls;
    uint32_t last_id;
    unsigned last_purpose;
} held;

static int lookup(void *ctx, unsigned purpose, uint32_t key_id, uint8_t key[MCGK_KEY_LEN])
{
    held *h = ctx;
    h->calls++;
    h->last_id = key_id;
    h->last_purpose = purpose;
    for (size_t i = 0; i < h->n; i++)
        if (h->ids[i] == key_id) {
            memcpy(key, h->keys[i], MCGK_KEY_LEN);
            return 1;
        }
    return 0;
}

typedef struct trust {
    const mcgk_gmk_kms *kms; /* returned for every initiator, or NULL */
    char uri[MCGK_GMK_URI_MAX + 1], kms_uri[MCGK_GMK_URI_MAX + 1];
} trust;

static const mcgk_gmk_kms *signer_kms(void *ctx, const char *uri, const char *kms_uri)
{
    trust *t = ctx;
    snprintf(t->uri, sizeof t->uri, "%s", uri);
    snprintf(t->kms_uri, sizeof t->kms_uri, "%s", kms_uri);
    return t->kms;
}

static held g_held;
static trust g_trust;

/* the default member: holds k_gmk (GMK_ID) and k_gmk2 (GMK2_ID), trusts g_kms */
static void open_cfg(mcgk_gsk_open_cfg *cfg)
{
    mcgk_gsk_open_cfg_init(cfg);
    memset(&g_held, 0, sizeof g_held);
    g_held.n = 2;
    g_held.ids[0] = GMK_ID;
    g_held.keys[0] = k_gmk;
    g_held.ids[1] = GMK2_ID;
    g_held.keys[1] = k_gmk2;
    memset(&g_trust, 0, sizeof g_trust);
    g_trust.kms = &g_kms.kms;
    cfg->lookup = lookup;
    cfg->lookup_ctx = &g_held;
    cfg->signer_kms = signer_kms;
    cfg->signer_kms_ctx = &g_trust;
}

/* open and expect `want`; a rejection must leave the output untouched; returns detail */
static mcgk_err expect_open(const mcgk_gsk_open_cfg *cfg, const uint8_t *msg, size_t len,
                            uint64_t now, mcgk_err want, mcgk_gsk_result *res)
{
    static mcgk_gsk_result r, guard;
    memset(&r, 0xA5, sizeof r);
    guard = r;
    mcgk_err d = MCGK_OK;
    mcgk_err e = mcgk_gsk_open(cfg, msg, len, now, &r, &d);
    CHECK_ERR(e, want);
    if (e != MCGK_OK) {
        CHECK(memcmp(&r, &guard, sizeof r) == 0);
        CHECK(d != MCGK_OK);
    } else {
        CHECK(d == MCGK_OK);
    }
    if (res != NULL)
        *res = r;
    mcgk_gsk_result_clear(&r);
    return d;
}

/* ---- re-sealing a modified message -------------------------------------------------------- */

static const mcgk_mikey_payload *find_p(const mcgk_mikey_msg *m, uint8_t type)
{
    return mcgk_mikey_find(m, type, NULL);
}

static mcgk_mikey_payload *find_w(mcgk_mikey_msg *m, uint8_t type, int role)
{
    for (size_t i = 0; i < m->n_payloads; i++)
        if (m->payloads[i].type == type &&
            (type != MCGK_MIKEY_PT_IDR || m->payloads[i].u.idr.role == role))
            return &m->payloads[i];
    return NULL;
}

static void remove_p(mcgk_mikey_msg *m, mcgk_mikey_payload *p)
{
    size_t i = (size_t)(p - m->payloads);
    memmove(&m->payloads[i], &m->payloads[i + 1], (m->n_payloads - i - 1) * sizeof *p);
    m->n_payloads--;
}

static void insert_p(mcgk_mikey_msg *m, size_t at, const mcgk_mikey_payload *q)
{
    mcgk_mikey_payload copy = *q;
    memmove(&m->payloads[at + 1], &m->payloads[at], (m->n_payloads - at) * sizeof copy);
    m->payloads[at] = copy;
    m->n_payloads++;
}

/*
 * Encrypt a cleartext Key data chain for m (its CSB ID, RAND, T) under gmk into enc
 * and point m's KEMAC at it: a GMK holder writing a bad Key data.
 */
static void set_key_data(mcgk_mikey_msg *m, const uint8_t *gmk, const uint8_t *kd, size_t len,
                         uint8_t *enc)
{
    const mcgk_mikey_rand *rd = &find_p(m, MCGK_MIKEY_PT_RAND)->u.rand;
    const mcgk_mikey_t *t = &find_p(m, MCGK_MIKEY_PT_T)->u.t;
    mcgk_mikey_psk_keys k;
    uint8_t iv[16];
    CHECK_OK(mcgk_mikey_psk_keys_derive(gmk, MCGK_KEY_LEN, m->hdr.csb_id, rd->data, rd->len, &k));
    mcgk_mikey_aes_cm_iv(k.salt, m->hdr.csb_id, t->value, iv);
    CHECK_OK(mcgk_mikey_aes_cm(k.encr, iv, kd, len, enc));
    mcgk_mikey_payload *p = find_w(m, MCGK_MIKEY_PT_KEMAC, 0);
    p->u.kemac.encr_data = enc;
    p->u.kemac.encr_len = (uint16_t)len;
}

/*
 * Encode m, MAC it under gmk (the transport keys from m's CSB ID and RAND) when the
 * KEMAC has a MAC, and sign it when signer is not NULL: a sender holding the GMK (and
 * a key set) that builds a message off the profile.
 */
static size_t reseal(mcgk_mikey_msg *m, const uint8_t *gmk, const mcgk_eccsi_signer *signer,
                     uint8_t *out)
{
    mcgk_mikey_payload *k = find_w(m, MCGK_MIKEY_PT_KEMAC, 0);
    mcgk_mikey_payload *s = find_w(m, MCGK_MIKEY_PT_SIGN, 0);
    if (k != NULL)
        k->u.kemac.mac = NULL;
    if (s != NULL)
        s->u.sign.sig = NULL;
    size_t n = 0, sl = 0;
    CHECK_OK(mcgk_mikey_encode(m, out, MSG_CAP, &n, &sl));
    static mcgk_mikey_msg back;
    CHECK_OK(mcgk_mikey_parse(out, n, &back, NULL));
    const mcgk_mikey_payload *bk = find_p(&back, MCGK_MIKEY_PT_KEMAC);
    const mcgk_mikey_payload *br = find_p(&back, MCGK_MIKEY_PT_RAND);
    if (bk != NULL && bk->u.kemac.mac_alg == MCGK_MIKEY_MAC_HMAC_SHA1_160 && br != NULL) {
        mcgk_mikey_psk_keys keys;
        CHECK_OK(mcgk_mikey_psk_keys_derive(gmk, MCGK_KEY_LEN, back.hdr.csb_id, br->u.rand.data,
                                            br->u.rand.len, &keys));
        CHECK_OK(mcgk_mikey_kemac_mac(keys.auth, out, bk->u.kemac.mac_offset,
                                      out + bk->u.kemac.mac_offset));
    }
    if (signer != NULL && sl != 0)
        CHECK_OK(mcgk_eccsi_sign(signer, out, sl, &g_rng, out + sl));
    return n;
}

/* ================================ KEMAC primitives and the known answer ===================== */

/* An independent RFC 3830 §4.1.2 PRF with HMAC-SHA-256 (RFC 6043 §6.1), for a key of at
 * most 256 bits: P(key, label, m) = HMAC(key, A_i || label), A_i = HMAC(key, A_{i-1}). */
static void ref_prf(const uint8_t key[16], uint32_t constant, uint32_t csb, const uint8_t *rand,
                    size_t rand_len, uint8_t *out, size_t out_len)
{
    uint8_t label[9 + 255], a[32], blk[32], buf[32 + 9 + 255];
    size_t ll = 0, n = 0;
    label[ll++] = (uint8_t)(constant >> 24);
    label[ll++] = (uint8_t)(constant >> 16);
    label[ll++] = (uint8_t)(constant >> 8);
    label[ll++] = (uint8_t)constant;
    label[ll++] = 0xFF;
    label[ll++] = (uint8_t)(csb >> 24);
    label[ll++] = (uint8_t)(csb >> 16);
    label[ll++] = (uint8_t)(csb >> 8);
    label[ll++] = (uint8_t)csb;
    memcpy(label + ll, rand, rand_len);
    ll += rand_len;
    CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, 16, label, ll, a, 32, &n) != NULL);
    for (size_t off = 0; off < out_len; off += 32) {
        if (off != 0)
            CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, 16, a, 32, a, 32, &n) !=
                  NULL);
        memcpy(buf, a, 32);
        memcpy(buf + 32, label, ll);
        CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, 16, buf, 32 + ll, blk, 32,
                        &n) != NULL);
        memcpy(out + off, blk, out_len - off < 32 ? out_len - off : 32);
    }
}

/* AES-128-CTR with a 128-bit big-endian counter (OpenSSL EVP) */
static void ref_ctr(const uint8_t key[16], const uint8_t iv[16], const uint8_t *in, size_t len,
                    uint8_t *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int l1 = 0, l2 = 0;
    CHECK(c != NULL && EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, key, iv) == 1 &&
          EVP_EncryptUpdate(c, out, &l1, in, (int)len) == 1 &&
          EVP_EncryptFinal_ex(c, out + l1, &l2) == 1 && (size_t)(l1 + l2) == len);
    EVP_CIPHER_CTX_free(c);
}

static void unhex_into(const char *hex, uint8_t *out, size_t want)
{
    size_t n = 0;
    uint8_t *b = mcgk_test_unhex(hex, &n);
    CHECK(n == want);
    memcpy(out, b, n < want ? n : want);
    free(b);
}

/* The fixed randomness of the known answer: CSB ID, RAND (the GSK is given) */
static const uint8_t k_kat_rng[] = {0x11, 0x22, 0x33, 0x44, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                                    0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
/* pinned, after the independent computation below agreed with them */
static const char k_kat_encr[] = "9a23faaec908ebcacce2e961063f9aba";
static const char k_kat_auth[] = "a7ad3b421e0a20647e7c643de8f1b78799cfa362";
static const char k_kat_salt[] = "ba287aba2d1e9e7b7024b8ab6811";
static const char k_kat_iv[] = "ba286b981e5a708f20a438ab68110000";
/* HDR, T, RAND, IDRpsk, IDRi, KEMAC */
static const char k_kat_msg[] =
    "010005011122334400010b00eef45080800000000e10a0a1a2a3a4a5a6a7a8a9"
    "aaabacadaeaf0e040200040a1b2c3d01010100177369703a616c696365407072"
    "6f73652e6578616d706c65000100143f4b1f47a678f7be77a2224af1366cb20b"
    "f8922601207b7e41ea633152e76f6ccf158a3e79d80c151b";

/* R-002-13 / R-002-21: the GSK is encapsulated with the GMK - transport keys per RFC 3830
 * §4.1.4 from the GMK, AES-CM per §4.2.3, HMAC-SHA-1 per §6.2, each recomputed here */
static void test_R_002_13_R_002_21_kat_transport_keys_against_openssl(void)
{
    mcgk_test_fixed_rng fr;
    mcgk_rng rng = mcgk_test_fixed_rng_init(&fr, k_kat_rng, sizeof k_kat_rng);
    mcgk_gsk_build_cfg c;
    bopts o;
    memset(&o, 0, sizeof o);
    o.uri = ALICE;
    make_cfg(&o, &c);
    uint8_t msg[MSG_CAP];
    size_t len = 0;
    mcgk_gsk_sealed sealed;
    CHECK_OK(mcgk_gsk_build(&c, &rng, msg, sizeof msg, &len, &sealed));
    CHECK(fr.pos == sizeof k_kat_rng); /* CSB ID then RAND, nothing else */
    CHECK(sealed.csb_id == 0x11223344u);
    CHECK_MEM(sealed.rand, k_kat_rng + 4, 16);
    CHECK_MEM(sealed.gsk, k_gsk, 16);
    uint64_t t_value = ((T_NTP & 0xFFFFFFFFu) << 32) | 0x80000000u;
    CHECK(sealed.ts_ntp64 == t_value);

    /* independent: the three transport keys (RFC 3830 §4.1.4 constants) */
    uint8_t encr[16], auth[20], salt[14], iv[16], x[14] = {0};
    ref_prf(k_gmk, 0x150533E1u, 0x11223344u, k_kat_rng + 4, 16, encr, sizeof encr);
    ref_prf(k_gmk, 0x2D22AC75u, 0x11223344u, k_kat_rng + 4, 16, auth, sizeof auth);
    ref_prf(k_gmk, 0x29B88916u, 0x11223344u, k_kat_rng + 4, 16, salt, sizeof salt);
    mcgk_mikey_psk_keys keys;
    CHECK_OK(mcgk_mikey_psk_keys_derive(k_gmk, 16, 0x11223344u, k_kat_rng + 4, 16, &keys));
    CHECK_MEM(keys.encr, encr, 16);
    CHECK_MEM(keys.auth, auth, 20);
    CHECK_MEM(keys.salt, salt, 14);
    /* IV = (salt XOR (0x0000 || CSB ID || T)) || 0x0000 (§4.2.3) */
    x[2] = 0x11, x[3] = 0x22, x[4] = 0x33, x[5] = 0x44;
    for (int i = 0; i < 8; i++)
        x[6 + i] = (uint8_t)(t_value >> (56 - 8 * i));
    for (int i = 0; i < 14; i++)
        iv[i] = (uint8_t)(salt[i] ^ x[i]);
    iv[14] = iv[15] = 0;
    uint8_t iv2[16];
    mcgk_mikey_aes_cm_iv(keys.salt, 0x11223344u, t_value, iv2);
    CHECK_MEM(iv2, iv, 16);

    /* the KEMAC decrypts (AES-128-CTR) to Key data: last, TGK / KV NULL, length 16, GSK */
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    const mcgk_mikey_kemac *k = &find_p(&m, MCGK_MIKEY_PT_KEMAC)->u.kemac;
    CHECK(k->encr_len == 20);
    uint8_t pt[20], want_pt[20] = {0x00, 0x00, 0x00, 0x10};
    memcpy(want_pt + 4, k_gsk, 16);
    ref_ctr(encr, iv, k->encr_data, 20, pt);
    CHECK_MEM(pt, want_pt, 20);
    /* the MAC: HMAC-SHA-1 under auth_key over every octet before it, 160 bits */
    uint8_t mac[20];
    size_t n = 0;
    CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, auth, 20, msg, k->mac_offset, mac, 20,
                    &n) != NULL &&
          n == 20);
    CHECK(k->mac_offset + 20 == len);
    CHECK_MEM(k->mac, mac, 20);

    /* pinned values */
    uint8_t pin[MSG_CAP];
    unhex_into(k_kat_encr, pin, 16);
    CHECK_MEM(pin, encr, 16);
    unhex_into(k_kat_auth, pin, 20);
    CHECK_MEM(pin, auth, 20);
    unhex_into(k_kat_salt, pin, 14);
    CHECK_MEM(pin, salt, 14);
    unhex_into(k_kat_iv, pin, 16);
    CHECK_MEM(pin, iv, 16);
    unhex_into(k_kat_msg, pin, len);
    CHECK_MEM(pin, msg, len);

    /* and it opens */
    mcgk_gsk_open_cfg oc;
    open_cfg(&oc);
    mcgk_gsk_result r;
    expect_open(&oc, msg, len, NOW, MCGK_OK, &r);
    CHECK_MEM(r.gsk, k_gsk, 16);
    mcgk_gsk_result_clear(&r);
    mcgk_mikey_psk_keys_clear(&keys);
}

/* AES-CM over many blocks (more than one internal chunk), and with a counter that carries
 * out of the 16-bit low end, equals AES-128-CTR; in place works */
static void test_aes_cm_against_openssl_ctr(void)
{
    static uint8_t in[4099], out[4099], ref[4099];
    uint8_t key[16], iv[16];
    mcgk_test_prng_fill(&g_prng, key, sizeof key);
    mcgk_test_prng_fill(&g_prng, iv, sizeof iv);
    mcgk_test_prng_fill(&g_prng, in, sizeof in);
    iv[14] = 0;
    iv[15] = 0;
    CHECK_OK(mcgk_mikey_aes_cm(key, iv, in, sizeof in, out));
    ref_ctr(key, iv, in, sizeof in, ref);
    CHECK_MEM(out, ref, sizeof in);
    iv[13] = 0xff;
    iv[14] = 0xff;
    iv[15] = 0xf0; /* carries into octets 13 and 12 after 16 blocks */
    CHECK_OK(mcgk_mikey_aes_cm(key, iv, in, 1000, out));
    ref_ctr(key, iv, in, 1000, ref);
    CHECK_MEM(out, ref, 1000);
    memcpy(out, in, sizeof in);
    CHECK_OK(mcgk_mikey_aes_cm(key, iv, out, sizeof in, out));
    ref_ctr(key, iv, in, sizeof in, ref);
    CHECK_MEM(out, ref, sizeof in);
    CHECK_OK(mcgk_mikey_aes_cm(key, iv, NULL, 0, NULL));
}

static void test_kemac_primitive_errors(void)
{
    uint8_t k[32] = {1}, b[32], mac[20];
    mcgk_mikey_psk_keys keys;
    memset(&keys, 0x77, sizeof keys);
    CHECK_ERR(mcgk_mikey_psk_keys_derive(NULL, 16, 1, k, 16, &keys), MCGK_ERR_INVALID_ARG);
    static const mcgk_mikey_psk_keys zero;
    CHECK(memcmp(&keys, &zero, sizeof keys) == 0); /* wiped on error */
    CHECK_ERR(mcgk_mikey_psk_keys_derive(k, 0, 1, k, 16, &keys), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_psk_keys_derive(k, 16, 1, NULL, 16, &keys), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_psk_keys_derive(k, 16, 1, k, 256, &keys), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_psk_keys_derive(k, 16, 1, k, 16, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_aes_cm(NULL, k, k, 16, b), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_aes_cm(k, NULL, k, 16, b), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_aes_cm(k, k, NULL, 16, b), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_aes_cm(k, k, k, 16, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_aes_cm(k, k, k, MCGK_MIKEY_AES_CM_MAX_LEN + 1, b), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_kemac_mac(NULL, k, 4, mac), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_kemac_mac(k, NULL, 4, mac), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_kemac_mac(k, k, 4, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_OK(mcgk_mikey_kemac_mac(k, NULL, 0, mac)); /* the MAC of nothing */
    mcgk_mikey_psk_keys_clear(NULL);
    mcgk_gsk_sealed_clear(NULL);
    mcgk_gsk_result_clear(NULL);
    mcgk_gsk_open_cfg_init(NULL);
}

/* ================================ round trips and the seed 002 requirements ================== */

/* R-002-12: a MIKEY pre-shared-key message (RFC 3830 data type 0) for the SDP offer */
static void test_R_002_12_psk_i_message(void)
{
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, msg, NULL);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    CHECK(m.hdr.data_type == MCGK_MIKEY_DT_PSK_INIT && m.hdr.v == 0 &&
          m.hdr.prf_func == MCGK_MIKEY_PRF_HMAC_SHA256 && m.hdr.map_type == MCGK_MIKEY_MAP_EMPTY &&
          m.hdr.n_cs == 0);
    /* HDR, T, RAND, IDRpsk, KEMAC (RFC 3830 §3.1 order) */
    CHECK(m.n_payloads == 4);
    CHECK(m.payloads[0].type == MCGK_MIKEY_PT_T &&
          m.payloads[0].u.t.ts_type == MCGK_MIKEY_TS_NTP_UTC);
    CHECK(m.payloads[1].type == MCGK_MIKEY_PT_RAND && m.payloads[1].u.rand.len == 16);
    CHECK(m.payloads[2].type == MCGK_MIKEY_PT_IDR &&
          m.payloads[2].u.idr.role == MCGK_MIKEY_ROLE_IDRPSK);
    CHECK(m.payloads[3].type == MCGK_MIKEY_PT_KEMAC &&
          m.payloads[3].u.kemac.encr_alg == MCGK_MIKEY_ENCR_AES_CM_128 &&
          m.payloads[3].u.kemac.mac_alg == MCGK_MIKEY_MAC_HMAC_SHA1_160);
    CHECK(m.signed_len == 0);
    /* the SDP attribute form carries it (RFC 4567) and unwraps to the same octets */
    char sdp[4096];
    size_t sl = 0, bl = 0;
    CHECK_OK(mcgk_mikey_sdp_attr(msg, len, sdp, sizeof sdp, &sl));
    uint8_t back[MSG_CAP];
    CHECK_OK(mcgk_mikey_unwrap((const uint8_t *)sdp, sl, back, sizeof back, &bl));
    CHECK(bl == len && memcmp(back, msg, len) == 0);
    mcgk_gsk_open_cfg oc;
    open_cfg(&oc);
    expect_open(&oc, back, bl, NOW, MCGK_OK, NULL);
}

/* R-002-09: the session initiator generates the GSK (fresh from the RNG) and the GMK
 * protects its distribution; the members extract that GSK */
static void test_R_002_09_initiator_generates_gsk(void)
{
    uint8_t msg[MSG_CAP];
    bopts o;
    memset(&o, 0, sizeof o);
    o.fresh_gsk = 1;
    mcgk_gsk_sealed s1, s2;
    size_t len = build_msg(&o, msg, &s1);
    uint8_t msg2[MSG_CAP];
    size_t len2 = build_msg(&o, msg2, &s2);
    CHECK(memcmp(s1.gsk, s2.gsk, 16) != 0 && memcmp(s1.gsk, k_gsk, 16) != 0);
    CHECK(s1.csb_id != s2.csb_id && memcmp(s1.rand, s2.rand, 16) != 0);
    mcgk_gsk_open_cfg oc;
    open_cfg(&oc);
    mcgk_gsk_result r;
    expect_open(&oc, msg, len, NOW, MCGK_OK, &r);
    CHECK_MEM(r.gsk, s1.gsk, 16);
    CHECK(r.key_type == MCGK_MIKEY_KD_TGK && r.gmk_id == GMK_ID && r.csb_id == s1.csb_id);
    CHECK(r.rand_len == 16 && memcmp(r.rand, s1.rand, 16) == 0 && r.ts_ntp_s == T_NTP &&
          r.ts_ntp64 == s1.ts_ntp64);
    CHECK(!r.is_signed && r.initiator_uri[0] == '\0' && r.initiator_kms_uri[0] == '\0');
    CHECK(r.map_type == MCGK_MIKEY_MAP_EMPTY && r.n_cs == 0);
    expect_open(&oc, msg2, len2, NOW, MCGK_OK, &r);
    CHECK_MEM(r.gsk, s2.gsk, 16);
    /* the media keys: SRTP master key / salt from the GSK as a TGK (RFC 3830 §4.1.3) */
    uint8_t k1[16], k2[16];
    CHECK_OK(mcgk_mikey_derive(r.gsk, 16, MCGK_PRF_TEK, 0, r.csb_id, r.rand, r.rand_len, k1, 16));
    CHECK_OK(mcgk_mikey_derive(s2.gsk, 16, MCGK_PRF_TEK, 0, s2.csb_id, s2.rand, 16, k2, 16));
    CHECK_MEM(k1, k2, 16);
    mcgk_gsk_result_clear(&r);
    mcgk_gsk_sealed_clear(&s1);
    mcgk_gsk_sealed_clear(&s2);
}

/* R-002-14 / R-002-19 / R-002-23: the GMK is denoted by a key identifier; members use it
 * to find the GMK (of several held) and extract the GSK; an unknown one is refused */
static void test_R_002_14_R_002_19_R_002_23_key_identifier(void)
{
    uint8_t msg[MSG_CAP];
    bopts o;
    memset(&o, 0, sizeof o);
    o.gmk = k_gmk2;
    o.gmk_id = GMK2_ID;
    size_t len = build_msg(&o, msg, NULL);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    const mcgk_mikey_idr *psk = mcgk_mikey_find_idr(&m, MCGK_MIKEY_ROLE_IDRPSK);
    CHECK(psk != NULL && psk->id_type == MCGK_MIKEY_IDTYPE_BYTES && psk->len == 4 &&
          be32(psk->data) == GMK2_ID);
    mcgk_gsk_open_cfg oc;
    open_cfg(&oc);
    mcgk_gsk_result r;
    expect_open(&oc, msg, len, NOW, MCGK_OK, &r);
    CHECK(g_held.calls == 1 && g_held.last_id == GMK2_ID &&
          g_held.last_purpose == MCGK_PURPOSE_GMK);
    CHECK(r.gmk_id == GMK2_ID && memcmp(r.gsk, k_gsk, 16) == 0);
    /* a member without that GMK */
    g_held.n = 1;
    expect_open(&oc, msg, len, NOW, MCGK_ERR_UNKNOWN_KEY_ID, NULL);
    oc.lookup = NULL;
    expect_open(&oc, msg, len, NOW, MCGK_ERR_UNKNOWN_KEY_ID, NULL);
    mcgk_gsk_result_clear(&r);
}

/* R-002-10 / R-002-15 / R-002-22: the initiator may sign with its identity (an ECCSI SIGN
 * after the KEMAC); members verify it by the initiator's UID under its KMS */
static void test_R_002_10_R_002_15_R_002_22_signed(void)
{
    uint8_t msg[MSG_CAP];
    bopts o;
    memset(&o, 0, sizeof o);
    o.sign = 1;
    size_t len = build_msg(&o, msg, NULL);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    CHECK(m.n_payloads == 7);
    const mcgk_mikey_payload *last = &m.payloads[m.n_payloads - 1];
    CHECK(last->type == MCGK_MIKEY_PT_SIGN && last->u.sign.s_type == MCGK_MIKEY_SIGN_ECCSI &&
          last->u.sign.len == 129 && m.signed_len == len - 129);
    CHECK(m.payloads[m.n_payloads - 2].type == MCGK_MIKEY_PT_KEMAC);
    const mcgk_mikey_idr *i = mcgk_mikey_find_idr(&m, MCGK_MIKEY_ROLE_IDRI);
    const mcgk_mikey_idr *k = mcgk_mikey_find_idr(&m, MCGK_MIKEY_ROLE_IDRKMSI);
    CHECK(i != NULL && i->len == strlen(ALICE) && memcmp(i->data, ALICE, i->len) == 0);
    CHECK(k != NULL && k->len == strlen(KMS_URI) && memcmp(k->data, KMS_URI, k->len) == 0);
    /* the signature verifies directly with the RFC 6507 verifier, over the MAC too */
    CHECK_OK(mcgk_eccsi_verify(g_kms.kpak, g_alice_uid, 32, msg, m.signed_len, last->u.sign.sig));
    mcgk_gsk_open_cfg oc;
    open_cfg(&oc);
    oc.require_signature = 1;
    mcgk_gsk_result r;
    expect_open(&oc, msg, len, NOW, MCGK_OK, &r);
    CHECK(r.is_signed && strcmp(r.initiator_uri, ALICE) == 0 &&
          strcmp(r.initiator_kms_uri, KMS_URI) == 0 &&
          memcmp(r.initiator_uid, g_alice_uid, 32) == 0);
    CHECK(strcmp(g_trust.uri, ALICE) == 0 && strcmp(g_trust.kms_uri, KMS_URI) == 0);
    CHECK_MEM(r.gsk, k_gsk, 16);
    uint64_t pno;
    CHECK_OK(mcgk_key_period_no(T_NTP, PERIOD_S, 0, &pno));
    CHECK(r.initiator_period_no == pno);
    /* signed by a KMS other than the receiver's own: the callback names it */
    o.kms = &g_kms2;
    o.signer = &g_alice_k2;
    len = build_msg(&o, msg, NULL);
    expect_open(&oc, msg, len, NOW, MCGK_ERR_UNKNOWN_KMS, NULL); /* g_kms is not KMS2 */
    g_trust.kms = &g_kms2.kms;
    expect_open(&oc, msg, len, NOW, MCGK_OK, &r);
    CHECK(strcmp(r.initiator_kms_uri, KMS2_URI) == 0);
    mcgk_gsk_result_clear(&r);
}

/* An unsigned message may name its initiator (IDRi); it is reported, not verified */
static void test_unsigned_with_initiator(void)
{
    uint8_t msg[MSG_CAP];
    bopts o;
    memset(&o, 0, sizeof o);
    o.uri = BOB;
    size_t len = build_msg(&o, msg, NULL);
    mcgk_gsk_open_cfg oc;
    open_cfg(&oc);
    mcgk_gsk_result r;
    expect_open(&oc, msg, len, NOW, MCGK_OK, &r);
    CHECK(!r.is_signed && strcmp(r.initiator_uri, BOB) == 0);
    oc.require_signature = 1;
    expect_open(&oc, msg, len, NOW, MCGK_ERR_UNSIGNED, NULL);
    mcgk_gsk_result_clear(&r);
}

/* An SP given by the caller is carried (before the KEMAC, MAC-protected) */
static void test_security_policy_carried(void)
{
    static const uint8_t params[] = {0, 1, 1, 1, 1, 16, 2, 1, 1};
    mcgk_mikey_sp sp = {3, MCGK_MIKEY_PROT_SRTP, sizeof params, params, 0};
    uint8_t msg[MSG_CAP];
    bopts o;
    memset(&o, 0, sizeof o);
    o.sp = &sp;
    o.sign = 1;
    size_t len = build_msg(&o, msg, NULL);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    const mcgk_mikey_payload *p = find_p(&m, MCGK_MIKEY_PT_SP);
    CHECK(p != NULL && p->u.sp.policy_no == 3 && p->u.sp.n_params == 3 &&
          p->u.sp.params_len == sizeof params);
    CHECK(m.payloads[m.n_payloads - 2].type == MCGK_MIKEY_PT_KEMAC);
    mcgk_gsk_open_cfg oc;
    open_cfg(&oc);
    expect_open(&oc, msg, len, NOW, MCGK_OK, NULL);
    /* a bad parameter list is the caller's bug */
    static const uint8_t bad[] = {0, 5, 1};
    sp.params = bad;
    sp.params_len = sizeof bad;
    mcgk_gsk_build_cfg c;
    make_cfg(&o, &c);
    size_t n = 0;
    mcgk_gsk_sealed s;
    CHECK_ERR(mcgk_gsk_build(&c, &g_rng, msg, sizeof msg, &n, &s), MCGK_ERR_INVALID_ARG);
}

/* R-002-16 / R-002-25: the message may be pre-generated. Built ahead for the time it will
 * be sent, it is fixed (CSB ID, RAND, T, MAC, signature) and opens when that time comes */
static void test_R_002_16_R_002_25_pregenerated(void)
{
    const uint64_t send_at = NOW + 1800; /* built now for half an hour later */
    uint8_t msg[MSG_CAP], again[MSG_CAP];
    bopts o;
    memset(&o, 0, sizeof o);
    o.sign = 1;
    o.ts_ntp_s = send_at + MCGK_NTP_UNIX_OFFSET_S;
    mcgk_test_prng p1, p2;
    mcgk_rng r1 = mcgk_test_prng_init(&p1, 42), r2 = mcgk_test_prng_init(&p2, 42);
    mcgk_gsk_build_cfg c;
    make_cfg(&o, &c);
    size_t len = 0, len2 = 0;
    mcgk_gsk_sealed s, s2;
    CHECK_OK(mcgk_gsk_build(&c, &r1, msg, sizeof msg, &len, &s));
    CHECK_OK(mcgk_gsk_build(&c, &r2, again, sizeof again, &len2, &s2));
    /* a pure function of the configuration and the randomness */
    CHECK(len == len2 && memcmp(msg, again, len) == 0);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    CHECK(m.hdr.csb_id == s.csb_id &&
          memcmp(find_p(&m, MCGK_MIKEY_PT_RAND)->u.rand.data, s.rand, 16) == 0 &&
          find_p(&m, MCGK_MIKEY_PT_T)->u.t.value == s.ts_ntp64 &&
          (s.ts_ntp64 >> 32) == ((send_at + MCGK_NTP_UNIX_OFFSET_S) & 0xFFFFFFFFu));
    mcgk_gsk_open_cfg oc;
    open_cfg(&oc);
    /* too early now (beyond the 300 s ahead the window allows); fine when sent */
    expect_open(&oc, msg, len, NOW, MCGK_ERR_TIMESTAMP, NULL);
    mcgk_gsk_result r;
    expect_open(&oc, msg, len, send_at + 5, MCGK_OK, &r);
    CHECK_MEM(r.gsk, k_gsk, 16);
    CHECK(r.ts_ntp_s == send_at + MCGK_NTP_UNIX_OFFSET_S);
    /* for a time in the next key period the key set of that period signs */
    o.ts_ntp_s = T_NTP + PERIOD_S;
    make_cfg(&o, &c);
    CHECK_ERR(mcgk_gsk_build(&c, &g_rng, msg, sizeof msg, &len, &s), MCGK_ERR_KEYSET_MISMATCH);
    o.signer = &g_alice_next;
    make_cfg(&o, &c);
    CHECK_OK(mcgk_gsk_build(&c, &g_rng, msg, sizeof msg, &len, &s));
    expect_open(&oc, msg, len, NOW + PERIOD_S, MCGK_OK, NULL);
    mcgk_gsk_result_clear(&r);
    mcgk_gsk_sealed_clear(&s);
    mcgk_gsk_sealed_clear(&s2);
}

/* R-002-18 (with R-002-19): the group controller duplicates the offer byte for byte; the
 * message names no responder, so every member opens the same octets */
static void test_R_002_18_same_octets_for_every_member(void)
{
    uint8_t msg[MSG_CAP];
    bopts o;
    memset(&o, 0, sizeof o);
    o.sign = 1;
    size_t len = build_msg(&o, msg, NULL);
    for (int member = 0; member < 3; member++) {
        mcgk_replay_entry e[4];
        mcgk_replay_cache cache;
        mcgk_replay_cache_init(&cache, e, 4);
        mcgk_gsk_open_cfg oc;
        open_cfg(&oc);
        oc.replay = &cache;
        mcgk_gsk_result r;
        expect_open(&oc, msg, len, NOW + (uint64_t)member, MCGK_OK, &r);
        CHECK_MEM(r.gsk, k_gsk, 16);
        mcgk_gsk_result_clear(&r);
    }
}

/* R-002-20 (and R-002-19: responses carry no security information): V = 0, no verification
 * message is asked for; a message asking for one is off the one-to-many profile */
static void test_R_002_20_no_verification_message(void)
{
    uint8_t msg[MSG_CAP], out[MSG_CAP];
    size_t len = build_msg(NULL, msg, NULL);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    CHECK(m.hdr.v == 0);
    m.hdr.v = 1;
    size_t n = reseal(&m, k_gmk, NULL, out);
    mcgk_gsk_open_cfg oc;
    open_cfg(&oc);
    expect_open(&oc, out, n, NOW, MCGK_ERR_MIKEY_PROFILE, NULL);
}

/* ================================ every check, each failing alone ============================ */

typedef void (*mutate_fn)(mcgk_mikey_msg *m, uint8_t *scratch);

static void mut_data_type(mcgk_mikey_msg *m, uint8_t *s) { (void)s; m->hdr.data_type = 26; }
static void mut_prf(mcgk_mikey_msg *m, uint8_t *s) { (void)s; m->hdr.prf_func = 0; }
static void mut_t_type(mcgk_mikey_msg *m, uint8_t *s)
{
    (void)s;
    mcgk_mikey_payload *p = find_w(m, MCGK_MIKEY_PT_T, 0);
    p->u.t.ts_type = MCGK_MIKEY_TS_COUNTER;
    p->u.t.value = 5;
}
static void mut_rand_short(mcgk_mikey_msg *m, uint8_t *s)
{
    (void)s;
    find_w(m, MCGK_MIKEY_PT_RAND, 0)->u.rand.len = 15;
}
static void mut_no_t(mcgk_mikey_msg *m, uint8_t *s)
{
    (void)s;
    remove_p(m, find_w(m, MCGK_MIKEY_PT_T, 0));
}
static void mut_no_rand(mcgk_mikey_msg *m, uint8_t *s)
{
    (void)s;
    remove_p(m, find_w(m, MCGK_MIKEY_PT_RAND, 0));
}
static void mut_two_t(mcgk_mikey_msg *m, uint8_t *s)
{
    (void)s;
    insert_p(m, 1, find_w(m, MCGK_MIKEY_PT_T, 0));
}
static void mut_psk_type(mcgk_mikey_msg *m, uint8_t *s)
{
    (void)s;
    find_w(m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRPSK)->u.idr.id_type = MCGK_MIKEY_IDTYPE_URI;
}
static void mut_psk_len(mcgk_mikey_msg *m, uint8_t *s)
{
    (void)s;
    find_w(m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRPSK)->u.idr.len = 3;
}
static void mut_no_psk(mcgk_mikey_msg *m, uint8_t *s)
{
    (void)s;
    remove_p(m, find_w(m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRPSK));
}
static void mut_two_psk(mcgk_mikey_msg *m, uint8_t *s)
{
    (void)s;
    insert_p(m, 2, find_w(m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRPSK));
}
static void mut_idrr(mcgk_mikey_msg *m, uint8_t *s)
{
    (void)s;
    mcgk_mikey_payload q = *find_w(m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRI);
    q.u.idr.role = MCGK_MIKEY_ROLE_IDRR;
    insert_p(m, 2, &q);
}
static void mut_idri_bytes(mcgk_mikey_msg *m, uint8_t *s)
{
    (void)s;
    find_w(m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRI)->u.idr.id_type = MCGK_MIKEY_IDTYPE_BYTES;
}
static void mut_two_idri(mcgk_mikey_msg *m, uint8_t *s)
{
    (void)s;
    insert_p(m, 2, find_w(m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRI));
}
static void mut_kmsi_bytes(mcgk_mikey_msg *m, uint8_t *s)
{
    (void)s;
    find_w(m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRKMSI)->u.idr.id_type = MCGK_MIKEY_IDTYPE_NAI;
}
static void mut_no_idri(mcgk_mikey_msg *m, uint8_t *s) /* SIGN without an identity */
{
    (void)s;
    remove_p(m, find_w(m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRI));
}
static void mut_encr_null(mcgk_mikey_msg *m, uint8_t *s)
{
    (void)s;
    find_w(m, MCGK_MIKEY_PT_KEMAC, 0)->u.kemac.encr_alg = MCGK_MIKEY_ENCR_NULL;
}
static void mut_mac_null(mcgk_mikey_msg *m, uint8_t *s)
{
    (void)s;
    find_w(m, MCGK_MIKEY_PT_KEMAC, 0)->u.kemac.mac_alg = MCGK_MIKEY_MAC_NULL;
}
static void mut_kemac_empty(mcgk_mikey_msg *m, uint8_t *s)
{
    (void)s;
    find_w(m, MCGK_MIKEY_PT_KEMAC, 0)->u.kemac.encr_len = 0;
}
static void mut_kemac_long(mcgk_mikey_msg *m, uint8_t *s)
{
    memset(s, 0, 256);
    mcgk_mikey_payload *p = find_w(m, MCGK_MIKEY_PT_KEMAC, 0);
    p->u.kemac.encr_len = MCGK_GSK_KEMAC_MAX + 1;
    p->u.kemac.encr_data = s;
}
static void mut_no_kemac(mcgk_mikey_msg *m, uint8_t *s)
{
    (void)s;
    remove_p(m, find_w(m, MCGK_MIKEY_PT_KEMAC, 0));
}
static void mut_two_kemac(mcgk_mikey_msg *m, uint8_t *s)
{
    (void)s;
    mcgk_mikey_payload *k = find_w(m, MCGK_MIKEY_PT_KEMAC, 0);
    insert_p(m, (size_t)(k - m->payloads), k);
}
static mcgk_mikey_sp g_sp;
static const uint8_t k_sp_params[] = {0, 1, 1};
static void add_sp(mcgk_mikey_msg *m, size_t at)
{
    mcgk_mikey_payload q;
    memset(&q, 0, sizeof q);
    q.type = MCGK_MIKEY_PT_SP;
    g_sp.policy_no = 0;
    g_sp.prot_type = MCGK_MIKEY_PROT_SRTP;
    g_sp.params = k_sp_params;
    g_sp.params_len = sizeof k_sp_params;
    q.u.sp = g_sp;
    insert_p(m, at, &q);
}
static void mut_sp_after_kemac(mcgk_mikey_msg *m, uint8_t *s) /* not MAC-protected */
{
    (void)s;
    mcgk_mikey_payload *k = find_w(m, MCGK_MIKEY_PT_KEMAC, 0);
    add_sp(m, (size_t)(k - m->payloads) + 1);
}
static void mut_genext(mcgk_mikey_msg *m, uint8_t *s)
{
    mcgk_mikey_payload q;
    memset(&q, 0, sizeof q);
    q.type = MCGK_MIKEY_PT_GENERAL_EXT;
    q.u.genext.type = MCGK_MIKEY_EXT_VENDOR;
    q.u.genext.form = MCGK_MIKEY_GENEXT_OPAQUE;
    q.u.genext.len = 2;
    q.u.genext.data = s;
    insert_p(m, 2, &q);
}
static void mut_sign_type(mcgk_mikey_msg *m, uint8_t *s)
{
    (void)s;
    find_w(m, MCGK_MIKEY_PT_SIGN, 0)->u.sign.s_type = MCGK_MIKEY_SIGN_RSA_PSS;
}
static void mut_sign_len(mcgk_mikey_msg *m, uint8_t *s)
{
    (void)s;
    find_w(m, MCGK_MIKEY_PT_SIGN, 0)->u.sign.len = 32; /* E.1.2's "32" */
}

typedef struct profile_case {
    const char *name;
    int sign;
    mutate_fn fn;
} profile_case;

static const profile_case k_profile[] = {
    {"data type 26", 0, mut_data_type},   {"PRF 0", 0, mut_prf},
    {"T counter", 0, mut_t_type},         {"RAND 15", 0, mut_rand_short},
    {"no T", 0, mut_no_t},                {"no RAND", 0, mut_no_rand},
    {"two T", 0, mut_two_t},              {"IDRpsk URI", 0, mut_psk_type},
    {"IDRpsk 3 octets", 0, mut_psk_len},  {"no IDRpsk", 0, mut_no_psk},
    {"two IDRpsk", 0, mut_two_psk},       {"IDRr", 1, mut_idrr},
    {"IDRi bytes", 1, mut_idri_bytes},    {"two IDRi", 1, mut_two_idri},
    {"IDRkmsi NAI", 1, mut_kmsi_bytes},   {"SIGN without IDRi", 1, mut_no_idri},
    {"KEMAC NULL encr", 0, mut_encr_null}, {"KEMAC NULL MAC", 0, mut_mac_null},
    {"KEMAC empty", 0, mut_kemac_empty},  {"KEMAC too long", 0, mut_kemac_long},
    {"no KEMAC", 0, mut_no_kemac},        {"two KEMAC", 0, mut_two_kemac},
    {"SP after KEMAC", 0, mut_sp_after_kemac}, {"SP after KEMAC, signed", 1, mut_sp_after_kemac},
    {"General Extension", 0, mut_genext}, {"SIGN RSA", 1, mut_sign_type},
    {"SIGN 32", 1, mut_sign_len},
};

/* Step 1: each profile violation, MAC'd and signed correctly otherwise: mikey-profile */
static void test_profile_each_violation(void)
{
    static uint8_t msg[MSG_CAP], out[MSG_CAP], scratch[512];
    mcgk_gsk_open_cfg oc;
    open_cfg(&oc);
    for (size_t i = 0; i < sizeof k_profile / sizeof k_profile[0]; i++) {
        bopts o;
        memset(&o, 0, sizeof o);
        o.sign = k_profile[i].sign;
        size_t len = build_msg(&o, msg, NULL);
        static mcgk_mikey_msg m;
        CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
        k_profile[i].fn(&m, scratch);
        size_t n = reseal(&m, k_gmk, o.sign ? &g_alice : NULL, out);
        int f = mcgk_test_failures;
        expect_open(&oc, out, n, NOW, MCGK_ERR_MIKEY_PROFILE, NULL);
        if (mcgk_test_failures != f)
            printf("  case: %s\n", k_profile[i].name);
    }
    /* an SP before the KEMAC is part of the profile */
    bopts o;
    memset(&o, 0, sizeof o);
    size_t len = build_msg(&o, msg, NULL);
    static mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    add_sp(&m, 3);
    add_sp(&m, 3);
    size_t n = reseal(&m, k_gmk, NULL, out);
    expect_open(&oc, out, n, NOW, MCGK_OK, NULL);
}

/* Step 3: the timestamp window (expired, too far ahead, the edges) */
static void test_timestamp_window(void)
{
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, msg, NULL);
    mcgk_gsk_open_cfg oc;
    open_cfg(&oc);
    expect_open(&oc, msg, len, NOW + MCGK_GSK_WINDOW_PAST_S, MCGK_OK, NULL);
    expect_open(&oc, msg, len, NOW + MCGK_GSK_WINDOW_PAST_S + 1, MCGK_ERR_TIMESTAMP, NULL);
    expect_open(&oc, msg, len, NOW - MCGK_GSK_WINDOW_FUTURE_S, MCGK_OK, NULL);
    expect_open(&oc, msg, len, NOW - MCGK_GSK_WINDOW_FUTURE_S - 1, MCGK_ERR_TIMESTAMP, NULL);
    expect_open(&oc, msg, len, NOW + 86400 * 365, MCGK_ERR_TIMESTAMP, NULL); /* expired */
    oc.window_past_s = 10;
    expect_open(&oc, msg, len, NOW + 11, MCGK_ERR_TIMESTAMP, NULL);
}

/* Step 4: replay cache - the same message twice is a replay; a cache that had to forget
 * refuses what it can no longer judge */
static void test_replay(void)
{
    uint8_t msg[MSG_CAP], msg2[MSG_CAP];
    bopts o;
    memset(&o, 0, sizeof o);
    o.sign = 1;
    size_t len = build_msg(&o, msg, NULL);
    mcgk_replay_entry e[1];
    mcgk_replay_cache cache;
    mcgk_replay_cache_init(&cache, e, 1);
    mcgk_gsk_open_cfg oc;
    open_cfg(&oc);
    oc.replay = &cache;
    /* a rejected message does not enter the cache */
    g_trust.kms = NULL;
    expect_open(&oc, msg, len, NOW, MCGK_ERR_UNKNOWN_KMS, NULL);
    CHECK(cache.n == 0);
    g_trust.kms = &g_kms.kms;
    expect_open(&oc, msg, len, NOW, MCGK_OK, NULL);
    CHECK(cache.n == 1);
    uint8_t id[MCGK_UID_LEN] = {0x0a, 0x1b, 0x2c, 0x3d};
    CHECK(memcmp(cache.entries[0].sender_uid, id, sizeof id) == 0);
    expect_open(&oc, msg, len, NOW + 1, MCGK_ERR_REPLAY, NULL);
    /* a different message at the same second: fine; then the first is below the floor */
    o.ts_ntp_s = T_NTP + 1;
    size_t len2 = build_msg(&o, msg2, NULL);
    expect_open(&oc, msg2, len2, NOW + 1, MCGK_OK, NULL);
    expect_open(&oc, msg, len, NOW + 1, MCGK_ERR_TIMESTAMP, NULL);
    expect_open(&oc, msg2, len2, NOW + 1, MCGK_ERR_REPLAY, NULL);
}

/* Step 5: the key identifier must name a GMK (purpose tag 0) */
static void test_key_purpose(void)
{
    uint8_t msg[MSG_CAP], out[MSG_CAP];
    size_t len = build_msg(NULL, msg, NULL);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    uint8_t pck_id[4] = {0x1a, 0x1b, 0x2c, 0x3d}; /* purpose tag 1: a PCK */
    find_w(&m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRPSK)->u.idr.data = pck_id;
    size_t n = reseal(&m, k_gmk, NULL, out);
    mcgk_gsk_open_cfg oc;
    open_cfg(&oc);
    g_held.ids[0] = 0x1a1b2c3du; /* even when that key is held */
    expect_open(&oc, out, n, NOW, MCGK_ERR_KEY_PURPOSE, NULL);
    CHECK(g_held.calls == 0);
}

/* Step 6: the MAC - a wrong GMK under the right identifier, a flipped MAC, a flipped
 * ciphertext (MAC-protected): mac, before any decryption */
static void test_mac(void)
{
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, msg, NULL);
    mcgk_gsk_open_cfg oc;
    open_cfg(&oc);
    g_held.keys[0] = k_gmk2; /* another GMK held under GMK_ID */
    expect_open(&oc, msg, len, NOW, MCGK_ERR_MAC, NULL);
    open_cfg(&oc);
    msg[len - 1] ^= 0x01;
    expect_open(&oc, msg, len, NOW, MCGK_ERR_MAC, NULL);
    msg[len - 1] ^= 0x01;
    msg[len - 22 - 3] ^= 0x40; /* inside the encrypted Key data */
    expect_open(&oc, msg, len, NOW, MCGK_ERR_MAC, NULL);
    msg[len - 22 - 3] ^= 0x40;
    msg[5] ^= 0x01; /* the CSB ID: other transport keys */
    expect_open(&oc, msg, len, NOW, MCGK_ERR_MAC, NULL);
    msg[5] ^= 0x01;
    expect_open(&oc, msg, len, NOW, MCGK_OK, NULL);
}

/* Step 7: the decrypted Key data (written by a GMK holder): one 16-octet TGK, KV NULL */
static void test_key_data(void)
{
    static const struct {
        const char *name;
        uint8_t kd[48];
        size_t len;
        mcgk_err detail;
    } cases[] = {
        {"TEK", {0x00, 0x20, 0x00, 0x10}, 20, MCGK_ERR_MALFORMED},
        {"TGK+SALT", {0x00, 0x10, 0x00, 0x10, [20] = 0x00, 0x00}, 22, MCGK_ERR_MALFORMED},
        {"15 octets", {0x00, 0x00, 0x00, 0x0f}, 19, MCGK_ERR_MALFORMED},
        {"17 octets", {0x00, 0x00, 0x00, 0x11}, 21, MCGK_ERR_MALFORMED},
        {"KV SPI", {0x00, 0x01, 0x00, 0x10, [20] = 0x01, 0x42}, 22, MCGK_ERR_MALFORMED},
        {"two keys", {0x14, 0x00, 0x00, 0x10, [20] = 0x00, 0x00, 0x00, 0x10}, 40,
         MCGK_ERR_OVERSIZED},
        {"type 5", {0x00, 0x50, 0x00, 0x10}, 20, MCGK_ERR_UNSUPPORTED},
        {"next 7", {0x07, 0x00, 0x00, 0x10}, 20, MCGK_ERR_MIKEY_PAYLOAD_TYPE},
        {"truncated", {0x00, 0x00, 0x00, 0x10}, 12, MCGK_ERR_TRUNCATED},
        {"trailing", {0x00, 0x00, 0x00, 0x10}, 24, MCGK_ERR_TRAILING_DATA},
    };
    uint8_t msg[MSG_CAP], out[MSG_CAP], enc[64];
    bopts o;
    memset(&o, 0, sizeof o);
    o.sign = 1;
    size_t len = build_msg(&o, msg, NULL);
    mcgk_gsk_open_cfg oc;
    open_cfg(&oc);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        static mcgk_mikey_msg m;
        CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
        uint8_t kd[48];
        memcpy(kd, cases[i].kd, sizeof kd);
        memcpy(kd + 4, k_gsk, 16);
        if (cases[i].len >= 40)
            memcpy(kd + 24, k_gsk, 16);
        set_key_data(&m, k_gmk, kd, cases[i].len, enc);
        size_t n = reseal(&m, k_gmk, &g_alice, out);
        int f = mcgk_test_failures;
        mcgk_err d = expect_open(&oc, out, n, NOW, MCGK_ERR_KEY_DATA, NULL);
        CHECK_ERR(d, cases[i].detail);
        if (mcgk_test_failures != f)
            printf("  case: %s\n", cases[i].name);
    }
    /* the same path with the profile's own Key data opens */
    static mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    uint8_t kd[20] = {0x00, 0x00, 0x00, 0x10};
    memcpy(kd + 4, k_gsk, 16);
    set_key_data(&m, k_gmk, kd, sizeof kd, enc);
    size_t n = reseal(&m, k_gmk, &g_alice, out);
    CHECK(n == len && memcmp(out, msg, len - 129) == 0);
    expect_open(&oc, out, n, NOW, MCGK_OK, NULL);
}

/* Step 8: the signature - a bad one, a wrong signer, an untrusted / other KMS */
static void test_signature_checks(void)
{
    uint8_t msg[MSG_CAP], out[MSG_CAP];
    bopts o;
    memset(&o, 0, sizeof o);
    o.sign = 1;
    size_t len = build_msg(&o, msg, NULL);
    mcgk_gsk_open_cfg oc;
    open_cfg(&oc);
    /* bad signature: r, s and PVT flipped in turn (the MAC does not cover them) */
    size_t at[] = {len - 129, len - 100, len - 65 + 10};
    for (size_t i = 0; i < 3; i++) {
        msg[at[i]] ^= 0x01;
        mcgk_err d = expect_open(&oc, msg, len, NOW, MCGK_ERR_SIGNATURE, NULL);
        CHECK(d != MCGK_ERR_SIGNATURE || i < 2);
        msg[at[i]] ^= 0x01;
    }
    /* wrong signer: a member (it holds the GMK) claims to be alice but signs as carol */
    static mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    size_t n = reseal(&m, k_gmk, &g_carol, out);
    expect_open(&oc, out, n, NOW, MCGK_ERR_SIGNATURE, NULL);
    /* ... or names carol, signed by alice */
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    find_w(&m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRI)->u.idr.data = (const uint8_t *)CAROL;
    n = reseal(&m, k_gmk, &g_alice, out);
    expect_open(&oc, out, n, NOW, MCGK_ERR_SIGNATURE, NULL);
    n = reseal(&m, k_gmk, &g_carol, out); /* and carol's own signature is fine */
    expect_open(&oc, out, n, NOW, MCGK_OK, NULL);
    /* the initiator's KMS: no callback, a NULL answer, a KMS that is not IDRkmsi */
    g_trust.kms = NULL;
    expect_open(&oc, msg, len, NOW, MCGK_ERR_UNKNOWN_KMS, NULL);
    g_trust.kms = &g_kms2.kms;
    expect_open(&oc, msg, len, NOW, MCGK_ERR_UNKNOWN_KMS, NULL);
    open_cfg(&oc);
    oc.signer_kms = NULL;
    expect_open(&oc, msg, len, NOW, MCGK_ERR_UNKNOWN_KMS, NULL);
    /* without IDRkmsi the callback decides alone */
    open_cfg(&oc);
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    remove_p(&m, find_w(&m, MCGK_MIKEY_PT_IDR, MCGK_MIKEY_ROLE_IDRKMSI));
    n = reseal(&m, k_gmk, &g_alice, out);
    mcgk_gsk_result r;
    expect_open(&oc, out, n, NOW, MCGK_OK, &r);
    CHECK(r.is_signed && r.initiator_kms_uri[0] == '\0' && g_trust.kms_uri[0] == '\0');
    /* a trusted KMS whose offset lies after T */
    mcgk_gmk_kms late = g_kms.kms;
    late.offset_s = T_NTP + 10;
    g_trust.kms = &late;
    expect_open(&oc, msg, len, NOW, MCGK_ERR_TIMESTAMP, NULL);
    /* an unusable KMS description (no KPAK) */
    mcgk_gmk_kms nokpak = g_kms.kms;
    nokpak.kpak = NULL;
    g_trust.kms = &nokpak;
    expect_open(&oc, msg, len, NOW, MCGK_ERR_UNKNOWN_KMS, NULL);
    mcgk_gsk_result_clear(&r);
}

/* ================================ robustness ================================ */

/* every single-byte flip, truncation and appended data: rejected, nothing released */
static void robustness(const mcgk_gsk_open_cfg *cfg, uint8_t *msg, size_t len)
{
    static mcgk_gsk_result r, guard;
    memset(&guard, 0x3C, sizeof guard);
    int quick = mcgk_test_quick();
    static const uint8_t flips[] = {0x01, 0x80, 0xFF};
    for (size_t i = 0; i < len; i++) {
        for (size_t f = 0; f < (quick ? 1u : sizeof flips); f++) {
            msg[i] ^= flips[f];
            r = guard;
            mcgk_err e = mcgk_gsk_open(cfg, msg, len, NOW, &r, NULL);
            if (e == MCGK_OK || memcmp(&r, &guard, sizeof r) != 0)
                mcgk_test_fail(__FILE__, __LINE__, "flip %02x at %zu: %s", flips[f], i,
                               mcgk_err_name(e));
            msg[i] ^= flips[f];
        }
    }
    for (size_t cut = 0; cut < len; cut++) {
        r = guard;
        mcgk_err e = mcgk_gsk_open(cfg, msg, cut, NOW, &r, NULL);
        if (e == MCGK_OK || memcmp(&r, &guard, sizeof r) != 0)
            mcgk_test_fail(__FILE__, __LINE__, "cut at %zu: %s", cut, mcgk_err_name(e));
    }
    mcgk_test_prng p;
    mcgk_test_prng_init(&p, 99);
    for (size_t extra = 1; extra <= 64; extra += quick ? 21 : 1) {
        mcgk_test_prng_fill(&p, msg + len, extra);
        r = guard;
        mcgk_err e = mcgk_gsk_open(cfg, msg, len + extra, NOW, &r, NULL);
        CHECK_ERR(e, MCGK_ERR_TRAILING_DATA);
        CHECK(memcmp(&r, &guard, sizeof r) == 0);
    }
    r = guard;
    CHECK_OK(mcgk_gsk_open(cfg, msg, len, NOW, &r, NULL));
    mcgk_gsk_result_clear(&r);
}

static void test_flips_truncations_appended_unsigned(void)
{
    static uint8_t msg[MSG_CAP];
    bopts o;
    memset(&o, 0, sizeof o);
    o.uri = BOB;
    size_t len = build_msg(&o, msg, NULL);
    mcgk_gsk_open_cfg oc;
    open_cfg(&oc);
    robustness(&oc, msg, len);
}

static void test_flips_truncations_appended_signed(void)
{
    static uint8_t msg[MSG_CAP];
    bopts o;
    memset(&o, 0, sizeof o);
    o.sign = 1;
    size_t len = build_msg(&o, msg, NULL);
    mcgk_gsk_open_cfg oc;
    open_cfg(&oc);
    robustness(&oc, msg, len);
}

/* Which check catches a flip in each region of a signed message (everything before the
 * MAC is MAC-protected, the signature covers the MAC too) */
static void test_tamper_regions(void)
{
    static uint8_t msg[MSG_CAP];
    bopts o;
    memset(&o, 0, sizeof o);
    o.sign = 1;
    size_t len = build_msg(&o, msg, NULL);
    static mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    const mcgk_mikey_payload *k = find_p(&m, MCGK_MIKEY_PT_KEMAC);
    size_t mac_at = k->u.kemac.mac_offset, sig_at = m.signed_len;
    mcgk_gsk_open_cfg oc;
    open_cfg(&oc);
    static mcgk_gsk_result r;
    /* the encrypted Key data and the MAC: mac */
    for (size_t i = k->offset + 4; i < mac_at + 20; i++) {
        if (i == mac_at - 1)
            continue; /* the MAC algorithm octet: a parse / profile error */
        msg[i] ^= 0x10;
        CHECK_ERR(mcgk_gsk_open(&oc, msg, len, NOW, &r, NULL), MCGK_ERR_MAC);
        msg[i] ^= 0x10;
    }
    /* the RAND and the CSB ID: mac (other transport keys) */
    const mcgk_mikey_payload *rp = find_p(&m, MCGK_MIKEY_PT_RAND);
    for (size_t i = rp->offset + 2; i < rp->offset + rp->len; i++) {
        msg[i] ^= 0x10;
        CHECK_ERR(mcgk_gsk_open(&oc, msg, len, NOW, &r, NULL), MCGK_ERR_MAC);
        msg[i] ^= 0x10;
    }
    /* the signature: signature */
    for (size_t i = sig_at; i < sig_at + 64; i++) {
        msg[i] ^= 0x10;
        CHECK_ERR(mcgk_gsk_open(&oc, msg, len, NOW, &r, NULL), MCGK_ERR_SIGNATURE);
        msg[i] ^= 0x10;
    }
    CHECK_OK(mcgk_gsk_open(&oc, msg, len, NOW, &r, NULL));
    mcgk_gsk_result_clear(&r);
}

/* ================================ arguments and the builder's errors ========================= */

static int failing_rng(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    (void)out;
    (void)len;
    return 1;
}

static void test_build_errors(void)
{
    uint8_t msg[MSG_CAP];
    size_t n = 0, need = 0;
    mcgk_gsk_sealed s, guard;
    memset(&guard, 0x5C, sizeof guard);
    s = guard;
    mcgk_gsk_build_cfg c;
    bopts o;
    memset(&o, 0, sizeof o);
    o.sign = 1;
    make_cfg(&o, &c);
    /* size query: no RNG, no sealed, the exact length */
    CHECK_OK(mcgk_gsk_build(&c, NULL, NULL, 0, &need, NULL));
    CHECK_OK(mcgk_gsk_build(&c, &g_rng, msg, sizeof msg, &n, &s));
    CHECK(n == need);
    s = guard;
    CHECK_ERR(mcgk_gsk_build(&c, &g_rng, msg, need - 1, &n, &s), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(n == need && memcmp(&s, &guard, sizeof s) == 0);
    /* NULLs */
    CHECK_ERR(mcgk_gsk_build(NULL, &g_rng, msg, sizeof msg, &n, &s), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gsk_build(&c, &g_rng, msg, sizeof msg, NULL, &s), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gsk_build(&c, NULL, msg, sizeof msg, &n, &s), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gsk_build(&c, &g_rng, msg, sizeof msg, &n, NULL), MCGK_ERR_INVALID_ARG);
    mcgk_gsk_build_cfg b = c;
    b.gmk = NULL;
    CHECK_ERR(mcgk_gsk_build(&b, &g_rng, msg, sizeof msg, &n, &s), MCGK_ERR_INVALID_ARG);
    /* a signer needs its identity and a usable KMS */
    b = c;
    b.initiator_uri = NULL;
    CHECK_ERR(mcgk_gsk_build(&b, &g_rng, msg, sizeof msg, &n, &s), MCGK_ERR_INVALID_ARG);
    b = c;
    b.initiator_uri = "";
    CHECK_ERR(mcgk_gsk_build(&b, &g_rng, msg, sizeof msg, &n, &s), MCGK_ERR_INVALID_ARG);
    static char longuri[MCGK_GMK_URI_MAX + 2];
    memset(longuri, 'a', sizeof longuri - 1);
    b.initiator_uri = longuri;
    b.signer = NULL;
    CHECK_ERR(mcgk_gsk_build(&b, &g_rng, msg, sizeof msg, &n, &s), MCGK_ERR_INVALID_ARG);
    b = c;
    b.signer_kms = NULL;
    CHECK_ERR(mcgk_gsk_build(&b, &g_rng, msg, sizeof msg, &n, &s), MCGK_ERR_INVALID_ARG);
    mcgk_gmk_kms nokpak = g_kms.kms;
    nokpak.kpak = NULL;
    b.signer_kms = &nokpak;
    CHECK_ERR(mcgk_gsk_build(&b, &g_rng, msg, sizeof msg, &n, &s), MCGK_ERR_INVALID_ARG);
    /* the key identifier must be a GMK's */
    b = c;
    b.gmk_id = 0x10000001u;
    CHECK_ERR(mcgk_gsk_build(&b, &g_rng, msg, sizeof msg, &n, &s), MCGK_ERR_KEY_PURPOSE);
    /* the signer's key set must be the initiator's for the key period of T (R-002-10) */
    b = c;
    b.signer = &g_bob;
    memset(msg, 0x11, sizeof msg);
    CHECK_ERR(mcgk_gsk_build(&b, &g_rng, msg, sizeof msg, &n, &s), MCGK_ERR_KEYSET_MISMATCH);
    static const uint8_t zeros[MSG_CAP];
    CHECK(memcmp(msg, zeros, sizeof msg) == 0); /* wiped */
    CHECK(memcmp(&s, &guard, sizeof s) == 0);
    b = c;
    mcgk_gmk_kms late = g_kms.kms;
    late.offset_s = T_NTP + 1;
    b.signer_kms = &late;
    CHECK_ERR(mcgk_gsk_build(&b, &g_rng, msg, sizeof msg, &n, &s), MCGK_ERR_TIMESTAMP);
    /* the RNG fails at each draw: CSB ID, RAND, GSK, j */
    mcgk_rng bad = {failing_rng, NULL};
    CHECK_ERR(mcgk_gsk_build(&c, &bad, msg, sizeof msg, &n, &s), MCGK_ERR_RNG);
    uint8_t few[36] = {1, 2, 3, 4};
    for (size_t avail = 0; avail <= sizeof few; avail += 4) {
        mcgk_test_fixed_rng fr;
        mcgk_rng rng = mcgk_test_fixed_rng_init(&fr, few, avail);
        b = c;
        b.gsk = NULL;
        CHECK_ERR(mcgk_gsk_build(&b, &rng, msg, sizeof msg, &n, &s), MCGK_ERR_RNG);
    }
    CHECK(memcmp(&s, &guard, sizeof s) == 0);
}

static void test_open_arguments(void)
{
    uint8_t msg[MSG_CAP];
    size_t len = build_msg(NULL, msg, NULL);
    mcgk_gsk_open_cfg oc;
    open_cfg(&oc);
    mcgk_gsk_result r;
    mcgk_err d = MCGK_OK;
    CHECK_ERR(mcgk_gsk_open(NULL, msg, len, NOW, &r, &d), MCGK_ERR_INVALID_ARG);
    CHECK(d == MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gsk_open(&oc, NULL, len, NOW, &r, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gsk_open(&oc, msg, len, NOW, NULL, NULL), MCGK_ERR_INVALID_ARG);
    /* the codec's codes come through */
    expect_open(&oc, msg, 0, NOW, MCGK_ERR_TRUNCATED, NULL);
    expect_open(&oc, msg, len - 1, NOW, MCGK_ERR_TRUNCATED, NULL);
    msg[0] = 2;
    expect_open(&oc, msg, len, NOW, MCGK_ERR_MIKEY_VERSION, NULL);
    msg[0] = 1;
    msg[2] = 99;
    expect_open(&oc, msg, len, NOW, MCGK_ERR_MIKEY_PAYLOAD_TYPE, NULL);
    msg[2] = MCGK_MIKEY_PT_T;
    msg[len] = 0;
    expect_open(&oc, msg, len + 1, NOW, MCGK_ERR_TRAILING_DATA, NULL);
    /* the default window */
    mcgk_gsk_open_cfg_init(&oc);
    CHECK(oc.window_past_s == MCGK_GSK_WINDOW_PAST_S &&
          oc.window_future_s == MCGK_GSK_WINDOW_FUTURE_S && oc.lookup == NULL &&
          !oc.require_signature);
}

/* the new error codes have names and sentences */
static void test_error_names(void)
{
    mcgk_err codes[] = {MCGK_ERR_UNKNOWN_KEY_ID, MCGK_ERR_MAC, MCGK_ERR_KEY_DATA,
                        MCGK_ERR_UNSIGNED};
    const char *names[] = {"unknown-key-id", "mac", "key-data", "unsigned"};
    for (size_t i = 0; i < 4; i++) {
        CHECK(strcmp(mcgk_err_name(codes[i]), names[i]) == 0);
        CHECK(mcgk_strerror(codes[i]) != NULL && strlen(mcgk_strerror(codes[i])) > 10);
    }
}

int main(void)
{
    g_rng = mcgk_test_prng_init(&g_prng, 0x67736b31);
    setup();
    TEST_RUN(test_R_002_13_R_002_21_kat_transport_keys_against_openssl);
    TEST_RUN(test_aes_cm_against_openssl_ctr);
    TEST_RUN(test_kemac_primitive_errors);
    TEST_RUN(test_R_002_12_psk_i_message);
    TEST_RUN(test_R_002_09_initiator_generates_gsk);
    TEST_RUN(test_R_002_14_R_002_19_R_002_23_key_identifier);
    TEST_RUN(test_R_002_10_R_002_15_R_002_22_signed);
    TEST_RUN(test_unsigned_with_initiator);
    TEST_RUN(test_security_policy_carried);
    TEST_RUN(test_R_002_16_R_002_25_pregenerated);
    TEST_RUN(test_R_002_18_same_octets_for_every_member);
    TEST_RUN(test_R_002_20_no_verification_message);
    TEST_RUN(test_profile_each_violation);
    TEST_RUN(test_timestamp_window);
    TEST_RUN(test_replay);
    TEST_RUN(test_key_purpose);
    TEST_RUN(test_mac);
    TEST_RUN(test_key_data);
    TEST_RUN(test_signature_checks);
    TEST_RUN(test_flips_truncations_appended_unsigned);
    TEST_RUN(test_flips_truncations_appended_signed);
    TEST_RUN(test_tamper_regions);
    TEST_RUN(test_build_errors);
    TEST_RUN(test_open_arguments);
    TEST_RUN(test_error_names);
    teardown();
    TEST_MAIN_END();
}
