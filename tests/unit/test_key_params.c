/*
 * Tests of the 3GPP key parameters and their MCData protected-payload
 * envelope (src/mikey/key_params.c; mcgk/key_params.h; TS 33.180 §5.2.4,
 * E.6, §8.5.4).
 *
 * - Streamwide's three encrypted key-parameter payloads open under the
 *   stated keys to the decoded plaintexts; the legacy cleartext content
 *   decodes (tests/vectors/streamwide-mikey-sakke.txt).
 * - The synthetic vector's envelope is rebuilt octet for octet from its
 *   fixed IV (tests/vectors/synthetic-gmk-imessage.txt).
 * - Round trips with several group IDs, times and text; every error code
 *   of every function; every byte flip and truncation of a sealed envelope
 *   is rejected and leaves the output untouched.
 */
#include "test.h"

#include "mcgk/key_params.h"
#include "mcgk/mikey.h"

static mcgk_vecfile *g_sw;
static mcgk_vecfile *g_syn;

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* The type-7 extension data of a vector message (via the codec). */
static const uint8_t *kp_ext(const uint8_t *msg, size_t len, mcgk_mikey_msg *m, size_t *ext_len)
{
    CHECK_OK(mcgk_mikey_parse(msg, len, m, NULL));
    const mcgk_mikey_genext *g = mcgk_mikey_find_genext(m, MCGK_MIKEY_EXT_KEY_PARAMS);
    CHECK(g != NULL);
    if (g == NULL)
        return NULL;
    *ext_len = g->len;
    return g->data;
}

static const char *const k_sw_sections[] = {"imessage.1.GMK", "imessage.2.CSK", "imessage.3.PCK"};
static const uint8_t k_sw_types[] = {0, 2, 1};

/* TS 33.180 E.6 / §8: the published payloads decrypt to the decoded plaintexts */
static void test_streamwide_params_open(void)
{
    for (size_t i = 0; i < 3; i++) {
        const char *sec = k_sw_sections[i];
        size_t len, kl, pl, el = 0, cl = 0;
        uint8_t *msg = mcgk_vec_hex(g_sw, sec, "i_message", &len);
        uint8_t *key = mcgk_vec_hex(g_sw, sec, "stated_key", &kl);
        uint8_t *pt = mcgk_vec_hex(g_sw, sec, "keyparams_plaintext", &pl);
        mcgk_mikey_msg m;
        const uint8_t *env = kp_ext(msg, len, &m, &el);
        uint8_t content[MCGK_KP_CONTENT_MAX_LEN];
        CHECK_OK(mcgk_key_params_envelope_open(key, m.hdr.csb_id, env, el, content,
                                               sizeof content, &cl));
        CHECK(cl == pl);
        CHECK_MEM(content, pt, pl);
        mcgk_key_params kp;
        CHECK_OK(mcgk_key_params_open(key, m.hdr.csb_id, env, el, &kp));
        CHECK(kp.key_type == k_sw_types[i]);
        CHECK(kp.status == MCGK_KP_STATUS_NOT_REVOKED);
        CHECK(kp.activation_ntp_s == 0 && kp.expiry_ntp_s == 0 && kp.text_len == 0);
        CHECK(kp.has_groups == (i == 0) && kp.n_groups == 0);
        /* and it re-encodes to the same content */
        size_t n = 0;
        CHECK_OK(mcgk_key_params_encode(&kp, content, sizeof content, &n));
        CHECK(n == pl);
        CHECK_MEM(content, pt, pl);
        free(msg);
        free(key);
        free(pt);
    }
}

/* the legacy IWF message carries the content in clear, key type coded 1 for a GMK */
static void test_streamwide_legacy_content(void)
{
    size_t n;
    uint8_t *pt = mcgk_vec_hex(g_sw, "imessage.4.GMK_LEGACY_IWF", "keyparams_legacy_cleartext", &n);
    mcgk_key_params kp;
    CHECK_OK(mcgk_key_params_decode(pt, n, &kp));
    CHECK(kp.key_type == 1 && kp.status == 1 && !kp.has_groups && kp.text_len == 0);
    free(pt);
}

static void synthetic_params(mcgk_key_params *kp)
{
    uint64_t t = mcgk_vec_u64(g_syn, NULL, "ntp_seconds");
    mcgk_key_params_init(kp, 0);
    kp->activation_ntp_s = t;
    kp->expiry_ntp_s = t + mcgk_vec_u64(g_syn, NULL, "user_key_period");
    memcpy(kp->text, "Group Alpha", 11);
    kp->text_len = 11;
}

/* the synthetic vector: content, DPCK and envelope octet for octet */
static void test_synthetic_envelope(void)
{
    size_t n, gl, il, pl, el, ivl, dl;
    uint8_t *gmk = mcgk_vec_hex(g_syn, NULL, "gmk", &gl);
    uint8_t *guk = mcgk_vec_hex(g_syn, NULL, "guk_id", &il);
    uint8_t *pt = mcgk_vec_hex(g_syn, NULL, "keyparams_plaintext", &pl);
    uint8_t *env = mcgk_vec_hex(g_syn, NULL, "protected_payload", &el);
    uint8_t *iv = mcgk_vec_hex(g_syn, NULL, "keyparams_gcm_iv", &ivl);
    uint8_t *dpck = mcgk_vec_hex(g_syn, NULL, "dpck", &dl);
    mcgk_key_params kp;
    synthetic_params(&kp);
    uint8_t content[MCGK_KP_CONTENT_MAX_LEN];
    CHECK_OK(mcgk_key_params_encode(&kp, NULL, 0, &n));
    CHECK(n == pl);
    CHECK_OK(mcgk_key_params_encode(&kp, content, sizeof content, &n));
    CHECK(n == pl);
    CHECK_MEM(content, pt, pl);
    uint8_t d[MCGK_KEY_LEN];
    CHECK_OK(mcgk_dpck(gmk, gl, be32(guk), d));
    CHECK_MEM(d, dpck, dl);
    uint8_t out[MCGK_KP_ENVELOPE_MAX_LEN];
    CHECK_OK(mcgk_key_params_seal(gmk, be32(guk), iv, &kp, NULL, 0, &n));
    CHECK(n == el);
    CHECK_OK(mcgk_key_params_seal(gmk, be32(guk), iv, &kp, out, sizeof out, &n));
    CHECK(n == el);
    CHECK_MEM(out, env, el);
    mcgk_key_params back;
    CHECK_OK(mcgk_key_params_open(gmk, be32(guk), env, el, &back));
    CHECK(back.activation_ntp_s == kp.activation_ntp_s && back.expiry_ntp_s == kp.expiry_ntp_s);
    CHECK(back.text_len == 11 && strcmp(back.text, "Group Alpha") == 0);
    CHECK(back.has_groups && back.n_groups == 0);
    free(gmk);
    free(guk);
    free(pt);
    free(env);
    free(iv);
    free(dpck);
}

/* R-001-06: one GMK for several groups; R-000-17: the period of use */
static void test_R_001_06_several_groups_round_trip(void)
{
    static const char *groups[] = {"sip:group-a@example.org", "sip:group-b@example.org",
                                   "tel:+4412345"};
    mcgk_key_params kp, back;
    mcgk_key_params_init(&kp, MCGK_PURPOSE_GMK);
    kp.activation_ntp_s = 3900000000ull;
    kp.expiry_ntp_s = 3900086400ull;
    kp.status |= MCGK_KP_STATUS_SEC_GATEWAY;
    for (size_t i = 0; i < 3; i++)
        CHECK_OK(mcgk_key_params_add_group(&kp, groups[i], strlen(groups[i])));
    uint8_t key[MCGK_KEY_LEN] = {1, 2, 3}, iv[MCGK_KP_IV_LEN] = {9};
    uint8_t env[MCGK_KP_ENVELOPE_MAX_LEN];
    size_t n;
    CHECK_OK(mcgk_key_params_seal(key, 0x01234567, iv, &kp, env, sizeof env, &n));
    CHECK_OK(mcgk_key_params_open(key, 0x01234567, env, n, &back));
    CHECK(back.n_groups == 3 && back.has_groups);
    for (size_t i = 0; i < 3; i++) {
        CHECK(back.groups[i].iei == MCGK_KP_GROUP_ID_IEI);
        CHECK(back.groups[i].len == strlen(groups[i]) && strcmp(back.groups[i].id, groups[i]) == 0);
    }
    CHECK(back.activation_ntp_s == kp.activation_ntp_s && back.expiry_ntp_s == kp.expiry_ntp_s);
    CHECK(back.status == (MCGK_KP_STATUS_NOT_REVOKED | MCGK_KP_STATUS_SEC_GATEWAY));
    /* other purposes: no group element at all */
    mcgk_key_params_init(&kp, MCGK_PURPOSE_PCK);
    CHECK(!kp.has_groups);
    uint8_t c[64];
    CHECK_OK(mcgk_key_params_encode(&kp, c, sizeof c, &n));
    CHECK(n == 17);
    CHECK(mcgk_key_params_type_has_groups(MCGK_PURPOSE_MKFC) &&
          mcgk_key_params_type_has_groups(MCGK_PURPOSE_MUSIK) &&
          !mcgk_key_params_type_has_groups(MCGK_PURPOSE_CSK));
}

/* the 40-bit times use the one epoch constant */
static void test_time_epoch(void)
{
    mcgk_key_params kp;
    mcgk_key_params_init(&kp, MCGK_PURPOSE_PCK);
    kp.activation_ntp_s = MCGK_KP_TIME_EPOCH_NTP_S + 0x00d6721240ull;
    uint8_t c[64];
    size_t n;
    CHECK_OK(mcgk_key_params_encode(&kp, c, sizeof c, &n));
    static const uint8_t want[5] = {0x00, 0xd6, 0x72, 0x12, 0x40};
    CHECK_MEM(c + 5, want, 5);
    kp.activation_ntp_s = MCGK_KP_TIME_EPOCH_NTP_S + MCGK_KP_TIME_MAX;
    CHECK_OK(mcgk_key_params_encode(&kp, c, sizeof c, &n));
    kp.activation_ntp_s = MCGK_KP_TIME_EPOCH_NTP_S + MCGK_KP_TIME_MAX + 1;
    CHECK_ERR(mcgk_key_params_encode(&kp, c, sizeof c, &n), MCGK_ERR_INVALID_ARG);
    kp.activation_ntp_s = 0;
    kp.expiry_ntp_s = MCGK_KP_TIME_EPOCH_NTP_S + MCGK_KP_TIME_MAX + 1;
    CHECK_ERR(mcgk_key_params_encode(&kp, c, sizeof c, &n), MCGK_ERR_INVALID_ARG);
}

static void test_encode_errors(void)
{
    mcgk_key_params kp;
    uint8_t c[MCGK_KP_CONTENT_MAX_LEN];
    size_t n = 0;
    mcgk_key_params_init(&kp, MCGK_PURPOSE_GMK);
    CHECK_ERR(mcgk_key_params_encode(NULL, c, sizeof c, &n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_key_params_encode(&kp, c, sizeof c, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_key_params_encode(&kp, c, 5, &n), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(n == 20);
    kp.text_len = MCGK_KP_TEXT_MAX + 1;
    CHECK_ERR(mcgk_key_params_encode(&kp, c, sizeof c, &n), MCGK_ERR_INVALID_ARG);
    kp.text_len = MCGK_KP_TEXT_MAX;
    memset(kp.text, 'x', MCGK_KP_TEXT_MAX);
    CHECK_OK(mcgk_key_params_encode(&kp, c, sizeof c, &n));
    kp.n_groups = MCGK_KP_MAX_GROUPS + 1;
    CHECK_ERR(mcgk_key_params_encode(&kp, c, sizeof c, &n), MCGK_ERR_INVALID_ARG);
    kp.n_groups = 1;
    kp.groups[0].len = 0;
    CHECK_ERR(mcgk_key_params_encode(&kp, c, sizeof c, &n), MCGK_ERR_INVALID_ARG);
    kp.groups[0].len = MCGK_KP_GROUP_ID_MAX + 1;
    CHECK_ERR(mcgk_key_params_encode(&kp, c, sizeof c, &n), MCGK_ERR_INVALID_ARG);
    mcgk_key_params_init(&kp, MCGK_PURPOSE_CSK);
    kp.n_groups = 1;
    kp.groups[0].len = 1;
    CHECK_ERR(mcgk_key_params_encode(&kp, c, sizeof c, &n), MCGK_ERR_INVALID_ARG);
    /* the largest content fits MCGK_KP_CONTENT_MAX_LEN exactly */
    mcgk_key_params_init(&kp, MCGK_PURPOSE_GMK);
    kp.text_len = MCGK_KP_TEXT_MAX;
    memset(kp.text, 't', MCGK_KP_TEXT_MAX);
    char id[MCGK_KP_GROUP_ID_MAX];
    memset(id, 'g', sizeof id);
    for (size_t i = 0; i < MCGK_KP_MAX_GROUPS; i++)
        CHECK_OK(mcgk_key_params_add_group(&kp, id, sizeof id));
    CHECK_ERR(mcgk_key_params_add_group(&kp, "x", 1), MCGK_ERR_OVERSIZED);
    CHECK_OK(mcgk_key_params_encode(&kp, NULL, 0, &n));
    CHECK(n == MCGK_KP_CONTENT_MAX_LEN);
    mcgk_key_params back;
    CHECK_OK(mcgk_key_params_encode(&kp, c, sizeof c, &n));
    CHECK_OK(mcgk_key_params_decode(c, n, &back));
    CHECK(back.n_groups == MCGK_KP_MAX_GROUPS && back.text_len == MCGK_KP_TEXT_MAX);
    /* add_group */
    mcgk_key_params_init(&kp, MCGK_PURPOSE_GMK);
    CHECK_ERR(mcgk_key_params_add_group(NULL, "x", 1), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_key_params_add_group(&kp, NULL, 1), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_key_params_add_group(&kp, "x", 0), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_key_params_add_group(&kp, id, MCGK_KP_GROUP_ID_MAX + 1), MCGK_ERR_OVERSIZED);
}

/* key type, status "not revoked", activation 0, expiry 0 */
#define HEAD_GMK "00" "00000001" "0000000000" "0000000000"
#define HEAD_PCK "01" "00000001" "0000000000" "0000000000"

/* decode a hex content and expect an error; the output stays untouched */
static void decode_fails(const char *hex, mcgk_err want)
{
    size_t n;
    uint8_t *c = mcgk_test_unhex(hex, &n);
    mcgk_key_params out;
    memset(&out, 0xA5, sizeof out);
    mcgk_key_params before = out;
    CHECK_ERR(mcgk_key_params_decode(c, n, &out), want);
    CHECK(memcmp(&out, &before, sizeof out) == 0);
    free(c);
}

static void test_decode_errors(void)
{
    mcgk_key_params kp;
    CHECK_ERR(mcgk_key_params_decode(NULL, 1, &kp), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_key_params_decode((const uint8_t *)"", 0, NULL), MCGK_ERR_INVALID_ARG);
    /* truncations of a full GMK content, each one */
    size_t n;
    uint8_t *full = mcgk_test_unhex(HEAD_GMK "0002" "6869" "0008" "01" "7b0004" "67727031", &n);
    CHECK_OK(mcgk_key_params_decode(full, n, &kp));
    CHECK(kp.n_groups == 1 && strcmp(kp.groups[0].id, "grp1") == 0);
    for (size_t cut = 0; cut < n; cut++) {
        mcgk_err e = mcgk_key_params_decode(full, cut, &kp);
        /* cutting exactly before the group element leaves a valid content without it */
        if (cut == 19) {
            CHECK_OK(e);
            CHECK(!kp.has_groups);
        } else {
            CHECK(e == MCGK_ERR_TRUNCATED);
        }
    }
    free(full);
    /* a trailing octet; a group element on a PCK */
    decode_fails(HEAD_GMK "0000" "0001" "00" "ff", MCGK_ERR_TRAILING_DATA);
    decode_fails(HEAD_PCK "0000" "0001" "00", MCGK_ERR_TRAILING_DATA);
    /* text above the bound (declared 256 octets) */
    decode_fails(HEAD_PCK "0100", MCGK_ERR_OVERSIZED);
    /* 17 group IDs announced */
    decode_fails(HEAD_GMK "0000" "0001" "11", MCGK_ERR_OVERSIZED);
    /* a group ID of 256 octets announced */
    decode_fails(HEAD_GMK "0000" "0004" "01" "7b" "0100", MCGK_ERR_OVERSIZED);
    /* element length 0: no count */
    decode_fails(HEAD_GMK "0000" "0000", MCGK_ERR_MALFORMED);
    /* count 1 but no entry inside the element */
    decode_fails(HEAD_GMK "0000" "0001" "01", MCGK_ERR_MALFORMED);
    /* an entry longer than the element */
    decode_fails(HEAD_GMK "0000" "0004" "01" "7b" "0004", MCGK_ERR_MALFORMED);
    /* an empty group ID */
    decode_fails(HEAD_GMK "0000" "0004" "01" "7b" "0000", MCGK_ERR_MALFORMED);
    /* count 0 but octets left inside the element */
    decode_fails(HEAD_GMK "0000" "0002" "00" "00", MCGK_ERR_MALFORMED);
    /* an entry whose ID runs past the element */
    decode_fails(HEAD_GMK "0000" "0005" "01" "7b" "0002" "67", MCGK_ERR_MALFORMED);
    /* an element length past the end */
    decode_fails(HEAD_GMK "0000" "0005" "00", MCGK_ERR_TRUNCATED);
}

/* a sealed envelope for the error tests */
static size_t make_env(uint8_t *env, size_t cap, const uint8_t key[MCGK_KEY_LEN], uint32_t id)
{
    mcgk_key_params kp;
    mcgk_key_params_init(&kp, MCGK_PURPOSE_GMK);
    CHECK_OK(mcgk_key_params_add_group(&kp, "sip:g@example.org", 17));
    uint8_t iv[MCGK_KP_IV_LEN];
    memset(iv, 0x3c, sizeof iv);
    size_t n = 0;
    CHECK_OK(mcgk_key_params_seal(key, id, iv, &kp, env, cap, &n));
    return n;
}

static void test_envelope_errors(void)
{
    uint8_t key[MCGK_KEY_LEN] = {0x42}, iv[MCGK_KP_IV_LEN] = {0};
    uint8_t env[MCGK_KP_ENVELOPE_MAX_LEN + 64], content[MCGK_KP_CONTENT_MAX_LEN];
    size_t n, cl = 0;
    size_t el = make_env(env, sizeof env, key, 0x0a0b0c0d);
    /* seal */
    CHECK_ERR(mcgk_key_params_envelope_seal(NULL, 1, iv, content, 1, env, sizeof env, &n),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_key_params_envelope_seal(key, 1, iv, NULL, 1, env, sizeof env, &n),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_key_params_envelope_seal(key, 1, iv, content, MCGK_KP_CONTENT_MAX_LEN + 1,
                                            env, sizeof env, &n),
              MCGK_ERR_INVALID_ARG);
    uint8_t small[40];
    CHECK_ERR(mcgk_key_params_envelope_seal(key, 1, iv, content, 10, small, sizeof small, &n),
              MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(n == 35 + 10 + 16);
    CHECK_ERR(mcgk_key_params_seal(key, 1, iv, NULL, env, sizeof env, &n), MCGK_ERR_INVALID_ARG);
    /* open: arguments */
    CHECK_ERR(mcgk_key_params_envelope_open(NULL, 1, env, el, content, sizeof content, &cl),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_key_params_envelope_open(key, 1, env, el, content, sizeof content, NULL),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_key_params_open(key, 1, env, el, NULL), MCGK_ERR_INVALID_ARG);
    /* framing */
    CHECK_ERR(mcgk_key_params_envelope_open(key, 0x0a0b0c0d, env, 20, content, sizeof content, &cl),
              MCGK_ERR_TRUNCATED);
    CHECK_ERR(mcgk_key_params_envelope_open(key, 0x0a0b0c0d, env, el - 1, content, sizeof content,
                                            &cl),
              MCGK_ERR_TRUNCATED);
    env[el] = 0;
    CHECK_ERR(mcgk_key_params_envelope_open(key, 0x0a0b0c0d, env, el + 1, content, sizeof content,
                                            &cl),
              MCGK_ERR_TRAILING_DATA);
    /* wrong DPPK-ID (E.6.1: DPPK-ID = CSB ID) */
    CHECK_ERR(mcgk_key_params_envelope_open(key, 0x0a0b0c0e, env, el, content, sizeof content, &cl),
              MCGK_ERR_MALFORMED);
    /* too small for the content */
    CHECK_ERR(mcgk_key_params_envelope_open(key, 0x0a0b0c0d, env, el, content, 3, &cl),
              MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(cl == el - 35 - 16);
    /* wrong key: the tag does not verify */
    uint8_t other[MCGK_KEY_LEN] = {0x43};
    CHECK_ERR(mcgk_key_params_envelope_open(other, 0x0a0b0c0d, env, el, content, sizeof content,
                                            &cl),
              MCGK_ERR_KEY_PARAMS);
    /* algorithm 2 */
    uint8_t bad[MCGK_KP_ENVELOPE_MAX_LEN];
    memcpy(bad, env, el);
    bad[11] = 2;
    CHECK_ERR(mcgk_key_params_envelope_open(key, 0x0a0b0c0d, bad, el, content, sizeof content, &cl),
              MCGK_ERR_UNSUPPORTED);
    /* payload shorter than a tag */
    size_t sl;
    uint8_t *shortp = mcgk_test_unhex("43" "0000000001" "00000000" "00" "01"
                                      "00000000000000000000000000000000" "0a0b0c0d" "00" "000f"
                                      "000102030405060708090a0b0c0d0e",
                                      &sl);
    CHECK_ERR(mcgk_key_params_envelope_open(key, 0x0a0b0c0d, shortp, sl, content, sizeof content,
                                            &cl),
              MCGK_ERR_MALFORMED);
    free(shortp);
    /* a payload above the content bound */
    static uint8_t big[35 + MCGK_KP_CONTENT_MAX_LEN + 17];
    memcpy(big, env, 33);
    size_t plen = MCGK_KP_CONTENT_MAX_LEN + 17;
    big[33] = (uint8_t)(plen >> 8);
    big[34] = (uint8_t)plen;
    CHECK_ERR(mcgk_key_params_envelope_open(key, 0x0a0b0c0d, big, sizeof big, content,
                                            sizeof content, &cl),
              MCGK_ERR_OVERSIZED);
    /* message type, date/time, payload ID, sequence and IEI are accepted as received, but
       they are authenticated: changing one breaks the tag */
    memcpy(bad, env, el);
    bad[0] ^= 1;
    CHECK_ERR(mcgk_key_params_envelope_open(key, 0x0a0b0c0d, bad, el, content, sizeof content, &cl),
              MCGK_ERR_KEY_PARAMS);
    memcpy(bad, env, el);
    bad[32] = 0x78; /* the IEI is outside the AAD: accepted */
    CHECK_OK(mcgk_key_params_envelope_open(key, 0x0a0b0c0d, bad, el, content, sizeof content, &cl));
}

/* every single-byte flip and every truncation of a sealed envelope is rejected; the
   output buffer is untouched */
static void test_envelope_flips_and_truncations(void)
{
    uint8_t key[MCGK_KEY_LEN] = {7, 7, 7};
    uint8_t env[MCGK_KP_ENVELOPE_MAX_LEN];
    size_t el = make_env(env, sizeof env, key, 0x01020304);
    uint8_t content[MCGK_KP_CONTENT_MAX_LEN], guard[MCGK_KP_CONTENT_MAX_LEN];
    memset(guard, 0x5a, sizeof guard);
    for (size_t i = 0; i < el; i++) {
        if (i == 32)
            continue; /* the payload IEI: not authenticated, accepted as received */
        for (unsigned bit = 0; bit < 8; bit += mcgk_test_quick() ? 7 : 1) {
            env[i] ^= (uint8_t)(1u << bit);
            memcpy(content, guard, sizeof content);
            size_t cl = 12345;
            mcgk_err e = mcgk_key_params_envelope_open(key, 0x01020304, env, el, content,
                                                       sizeof content, &cl);
            CHECK(e != MCGK_OK);
            CHECK(memcmp(content, guard, sizeof content) == 0);
            env[i] ^= (uint8_t)(1u << bit);
        }
    }
    for (size_t cut = 0; cut < el; cut++) {
        size_t cl = 0;
        memcpy(content, guard, sizeof content);
        CHECK(mcgk_key_params_envelope_open(key, 0x01020304, env, cut, content, sizeof content,
                                            &cl) != MCGK_OK);
        CHECK(memcmp(content, guard, sizeof content) == 0);
    }
    mcgk_key_params kp;
    CHECK_OK(mcgk_key_params_open(key, 0x01020304, env, el, &kp));
    CHECK(kp.n_groups == 1);
}

int main(void)
{
    g_sw = mcgk_vec_load("streamwide-mikey-sakke.txt");
    g_syn = mcgk_vec_load("synthetic-gmk-imessage.txt");
    TEST_RUN(test_streamwide_params_open);
    TEST_RUN(test_streamwide_legacy_content);
    TEST_RUN(test_synthetic_envelope);
    TEST_RUN(test_R_001_06_several_groups_round_trip);
    TEST_RUN(test_time_epoch);
    TEST_RUN(test_encode_errors);
    TEST_RUN(test_decode_errors);
    TEST_RUN(test_envelope_errors);
    TEST_RUN(test_envelope_flips_and_truncations);
    mcgk_vec_free(g_sw);
    mcgk_vec_free(g_syn);
    TEST_MAIN_END();
}
