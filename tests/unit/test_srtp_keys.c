/*
 * Tests of src/media/srtp_keys.c: the per-sender SRTP master key, master salt
 * and MKI under a GMK (TS 33.180 §7.4.2). Known answers: every SRTP value of
 * streamwide-mikey-sakke.txt (GMK message 1 -> acb1b4e2..., salt ee2f78e5...,
 * MKI 0df9bc3906a12aea; the legacy GMK message 4; the PCK message's CS-ID 0/1
 * keys), of synthetic-gmk-imessage.txt, and the relevant lines of
 * ts33180-kdf.txt (mikey_prf.*: labels, TEK and salts; guk_id.*: the MKI of
 * each member). R-003-37: every member's key differs.
 */
#include "mcgk/gmk_message.h"
#include "mcgk/kdf.h"
#include "mcgk/srtp.h"
#include "test.h"

static mcgk_vecfile *g_sw, *g_kdf, *g_syn;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t vec32(mcgk_vecfile *v, const char *sec, const char *name)
{
    size_t n = 0;
    uint8_t *b = mcgk_vec_hex(v, sec, name, &n);
    CHECK(n == 4);
    uint32_t x = n == 4 ? be32(b) : 0;
    free(b);
    return x;
}

static int vec_eq(mcgk_vecfile *v, const char *sec, const char *name, const uint8_t *got,
                  size_t len)
{
    size_t n = 0;
    uint8_t *want = mcgk_vec_hex(v, sec, name, &n);
    int ok = n == len && memcmp(want, got, len) == 0;
    if (!ok)
        printf("  mismatch: [%s] %s\n", sec ? sec : "", name);
    free(want);
    return ok;
}

/* A Streamwide GMK message: key, key ID, GUK-ID (CSB ID), RAND -> key, salt, MKI for CS-ID 4 */
static void check_sw_gmk(const char *sec)
{
    size_t kl = 0, rl = 0;
    uint8_t *gmk = mcgk_vec_hex(g_sw, sec, "stated_key", &kl);
    uint8_t *rand = mcgk_vec_hex(g_sw, sec, "stated_rand", &rl);
    uint32_t gmk_id = vec32(g_sw, sec, "stated_key_id"), guk = vec32(g_sw, sec, "guk_id");
    CHECK(kl == MCGK_KEY_LEN && guk == vec32(g_sw, sec, "csb_id"));
    mcgk_srtp_keys k;
    CHECK_OK(mcgk_srtp_keys_derive(gmk, gmk_id, guk, rand, rl, MCGK_GMK_CS_ID_MCPTT, &k));
    CHECK(vec_eq(g_sw, sec, "srtp_master_key_cs4", k.master_key, sizeof k.master_key));
    CHECK(vec_eq(g_sw, sec, "srtp_master_salt_cs4", k.master_salt, sizeof k.master_salt));
    CHECK(vec_eq(g_sw, sec, "srtp_mki", k.mki, sizeof k.mki));
    uint32_t a = 0, b = 0;
    CHECK_OK(mcgk_srtp_mki_parse(k.mki, sizeof k.mki, &a, &b));
    CHECK(a == gmk_id && b == guk);
    mcgk_srtp_keys_clear(&k);
    free(gmk);
    free(rand);
}

/* The brief's headline vector: GMK message 1 -> acb1b4e2..., ee2f78e5..., 0df9bc3906a12aea */
static void test_streamwide_gmk_message_1(void)
{
    check_sw_gmk("imessage.1.GMK");
    static const uint8_t want_key[16] = {0xac, 0xb1, 0xb4, 0xe2, 0xb2, 0xdc, 0xa1, 0x22,
                                         0x91, 0xe1, 0x79, 0x4a, 0x8e, 0xf8, 0x49, 0x47};
    static const uint8_t want_salt[12] = {0xee, 0x2f, 0x78, 0xe5, 0xef, 0x16,
                                          0x93, 0x9d, 0x4a, 0x93, 0x83, 0x27};
    static const uint8_t want_mki[8] = {0x0d, 0xf9, 0xbc, 0x39, 0x06, 0xa1, 0x2a, 0xea};
    static const uint8_t gmk[16] = {0x07, 0xd1, 0xa1, 0x67, 0x7a, 0xc3, 0x6d, 0x8e,
                                    0x81, 0x62, 0x04, 0x84, 0x68, 0x9b, 0x3c, 0x2d};
    static const uint8_t rand[16] = {0xca, 0x2f, 0x5d, 0x51, 0xff, 0x08, 0x66, 0x36,
                                     0x2c, 0x1d, 0x85, 0xa5, 0x6f, 0x84, 0x65, 0x1e};
    /* the receiver's path: GUK-ID from the sender's URI (§5.2.3), then the keys */
    uint32_t guk = 0;
    const char *alice = "sip:alice@streamwide.com";
    CHECK_OK(mcgk_guk_id(gmk, sizeof gmk, 0x0df9bc39u, alice, strlen(alice), &guk));
    CHECK(guk == 0x06a12aeau);
    mcgk_srtp_keys k;
    CHECK_OK(mcgk_srtp_keys_derive(gmk, 0x0df9bc39u, guk, rand, sizeof rand, 4, &k));
    CHECK_MEM(k.master_key, want_key, 16);
    CHECK_MEM(k.master_salt, want_salt, 12);
    CHECK_MEM(k.mki, want_mki, 8);
    mcgk_srtp_keys_clear(&k);
}

static void test_streamwide_gmk_legacy_message_4(void)
{
    check_sw_gmk("imessage.4.GMK_LEGACY_IWF");
}

/* The PCK message: TGK = PCK, CSB ID = PCK-ID, CS-ID 0 / 1 (§7.4.1) */
static void test_streamwide_pck_cs0_cs1(void)
{
    const char *sec = "imessage.3.PCK";
    size_t kl = 0, rl = 0;
    uint8_t *pck = mcgk_vec_hex(g_sw, sec, "stated_key", &kl);
    uint8_t *rand = mcgk_vec_hex(g_sw, sec, "stated_rand", &rl);
    uint32_t id = vec32(g_sw, sec, "stated_key_id");
    mcgk_srtp_keys k;
    CHECK_OK(mcgk_srtp_keys_derive(pck, id, id, rand, rl, 0, &k));
    CHECK(vec_eq(g_sw, sec, "srtp_master_key_cs0", k.master_key, 16));
    CHECK(vec_eq(g_sw, sec, "srtp_master_salt_cs0", k.master_salt, 12));
    CHECK_OK(mcgk_srtp_keys_derive(pck, id, id, rand, rl, 1, &k));
    CHECK(vec_eq(g_sw, sec, "srtp_master_key_cs1", k.master_key, 16));
    CHECK(vec_eq(g_sw, sec, "srtp_master_salt_cs1", k.master_salt, 12));
    mcgk_srtp_keys_clear(&k);
    free(pck);
    free(rand);
}

static void test_synthetic_vector(void)
{
    size_t kl = 0, rl = 0, ll = 0;
    uint8_t *gmk = mcgk_vec_hex(g_syn, NULL, "gmk", &kl);
    uint8_t *rand = mcgk_vec_hex(g_syn, NULL, "rand", &rl);
    uint8_t *label = mcgk_vec_hex(g_syn, NULL, "srtp_label_tek_cs4", &ll);
    uint32_t gmk_id = vec32(g_syn, NULL, "gmk_id"), guk = vec32(g_syn, NULL, "guk_id");
    mcgk_srtp_keys k;
    CHECK_OK(mcgk_srtp_keys_derive(gmk, gmk_id, guk, rand, rl, 4, &k));
    CHECK(vec_eq(g_syn, NULL, "srtp_master_key_cs4", k.master_key, 16));
    CHECK(vec_eq(g_syn, NULL, "srtp_master_salt_cs4", k.master_salt, 12));
    CHECK(vec_eq(g_syn, NULL, "srtp_mki", k.mki, 8));
    /* the label is TEK constant || CS-ID || GUK-ID || RAND (RFC 3830 §4.1.3) */
    uint8_t direct[16];
    CHECK_OK(mcgk_mikey_prf(gmk, kl, label, ll, direct, sizeof direct));
    CHECK_MEM(direct, k.master_key, 16);
    mcgk_srtp_keys_clear(&k);
    free(gmk);
    free(rand);
    free(label);
}

/* ts33180-kdf.txt [mikey_prf.N]: the salt of every section is the SRTP master salt of
 * (tgk, cs_id, csb_id, rand); [mikey_prf.3] is a TEK, i.e. an SRTP master key; the key_16
 * of .1/.2 uses the encryption-key constant and is reproduced through its label. */
static void test_ts33180_kdf_mikey_prf_sections(void)
{
    static const char *secs[] = {"mikey_prf.1", "mikey_prf.2", "mikey_prf.3"};
    for (size_t i = 0; i < 3; i++) {
        const char *sec = secs[i];
        size_t tl = 0, rl = 0, kl = 0, sl = 0;
        uint8_t *tgk = mcgk_vec_hex(g_kdf, sec, "tgk", &tl);
        uint8_t *rand = mcgk_vec_hex(g_kdf, sec, "rand", &rl);
        uint8_t cs[1] = {(uint8_t)mcgk_vec_u64(g_kdf, sec, "cs_id")}; /* decimal */
        uint8_t *label_key = mcgk_vec_hex(g_kdf, sec, "label_key", &kl);
        uint8_t *label_salt = mcgk_vec_hex(g_kdf, sec, "label_salt", &sl);
        uint32_t csb = vec32(g_kdf, sec, "csb_id");
        CHECK(tl == MCGK_KEY_LEN && kl >= 4);
        mcgk_srtp_keys k;
        CHECK_OK(mcgk_srtp_keys_derive(tgk, 0x01020304u, csb, rand, rl, cs[0], &k));
        CHECK(vec_eq(g_kdf, sec, "salt_12", k.master_salt, 12));
        uint8_t out[16];
        CHECK_OK(mcgk_mikey_prf(tgk, tl, label_salt, sl, out, 12));
        CHECK_MEM(out, k.master_salt, 12);
        uint32_t constant = be32(label_key);
        if (constant == MCGK_PRF_TEK) {
            CHECK(vec_eq(g_kdf, sec, "key_16", k.master_key, 16));
        } else {
            CHECK(constant == MCGK_PRF_ENCR);
            CHECK_OK(mcgk_mikey_derive(tgk, tl, constant, cs[0], csb, rand, rl, out, 16));
            CHECK(vec_eq(g_kdf, sec, "key_16", out, 16));
            CHECK(memcmp(out, k.master_key, 16) != 0); /* the TEK is another key */
        }
        CHECK_OK(mcgk_mikey_prf(tgk, tl, label_key, kl, out, 16));
        CHECK(vec_eq(g_kdf, sec, "key_16", out, 16));
        mcgk_srtp_keys_clear(&k);
        free(tgk);
        free(rand);
        free(label_key);
        free(label_salt);
    }
}

/* ts33180-kdf.txt [guk_id.N]: the MKI of each member is GMK-ID || its GUK-ID */
static void test_ts33180_kdf_guk_id_mki(void)
{
    for (int i = 1; i <= 4; i++) {
        char sec[16];
        snprintf(sec, sizeof sec, "guk_id.%d", i);
        size_t kl = 0, ul = 0;
        uint8_t *gmk = mcgk_vec_hex(g_kdf, sec, "gmk", &kl);
        uint8_t *uri = mcgk_vec_hex(g_kdf, sec, "user_uri", &ul);
        uint32_t gmk_id = vec32(g_kdf, sec, "gmk_id"), want = vec32(g_kdf, sec, "guk_id");
        uint32_t guk = 0;
        CHECK_OK(mcgk_guk_id(gmk, kl, gmk_id, (const char *)uri, ul, &guk));
        CHECK(guk == want);
        uint8_t mki[8], want_mki[8];
        mcgk_srtp_mki_encode(gmk_id, guk, mki);
        want_mki[0] = (uint8_t)(gmk_id >> 24), want_mki[1] = (uint8_t)(gmk_id >> 16);
        want_mki[2] = (uint8_t)(gmk_id >> 8), want_mki[3] = (uint8_t)gmk_id;
        want_mki[4] = (uint8_t)(want >> 24), want_mki[5] = (uint8_t)(want >> 16);
        want_mki[6] = (uint8_t)(want >> 8), want_mki[7] = (uint8_t)want;
        CHECK_MEM(mki, want_mki, 8);
        /* the receiver maps the MKI back: GUK-ID -> GMK-ID with the sender's URI (involution) */
        uint32_t a = 0, b = 0, back = 0;
        CHECK_OK(mcgk_srtp_mki_parse(mki, 8, &a, &b));
        CHECK(a == gmk_id && b == guk);
        CHECK_OK(mcgk_guk_id(gmk, kl, b, (const char *)uri, ul, &back));
        CHECK(back == gmk_id);
        free(gmk);
        free(uri);
    }
}

/* R-003-37: key derivation is based on the user identity, so each member encrypts with a
 * different key - 200 members of one GMK, all master keys and salts distinct. */
static void test_R_003_37_every_member_key_differs(void)
{
    enum { N = 200 };
    static const uint8_t gmk[16] = {0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    static const uint8_t rand[16] = {0xa5};
    const uint32_t gmk_id = 0x01234567u;
    static mcgk_srtp_keys k[N];
    for (int i = 0; i < N; i++) {
        char uri[64];
        snprintf(uri, sizeof uri, "sip:member%d@example.org", i);
        uint32_t guk = 0;
        CHECK_OK(mcgk_guk_id(gmk, sizeof gmk, gmk_id, uri, strlen(uri), &guk));
        CHECK_OK(mcgk_srtp_keys_derive(gmk, gmk_id, guk, rand, sizeof rand, 4, &k[i]));
    }
    int dup = 0;
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            if (memcmp(k[i].master_key, k[j].master_key, 16) == 0 ||
                memcmp(k[i].master_salt, k[j].master_salt, 12) == 0 ||
                memcmp(k[i].mki, k[j].mki, 8) == 0)
                dup++;
    CHECK(dup == 0);
    /* and the same member's key differs per CS-ID (MCPTT vs MCVideo) and per RAND */
    mcgk_srtp_keys v, r2;
    static const uint8_t rand2[16] = {0xa6};
    uint32_t guk = be32(k[0].mki + 4);
    CHECK_OK(mcgk_srtp_keys_derive(gmk, gmk_id, guk, rand, sizeof rand, 5, &v));
    CHECK_OK(mcgk_srtp_keys_derive(gmk, gmk_id, guk, rand2, sizeof rand2, 4, &r2));
    CHECK(memcmp(v.master_key, k[0].master_key, 16) != 0);
    CHECK(memcmp(r2.master_key, k[0].master_key, 16) != 0);
    for (int i = 0; i < N; i++)
        mcgk_srtp_keys_clear(&k[i]);
    mcgk_srtp_keys_clear(&v);
    mcgk_srtp_keys_clear(&r2);
}

static void test_mki_parse_errors(void)
{
    uint8_t mki[9] = {0x0d, 0xf9, 0xbc, 0x39, 0x06, 0xa1, 0x2a, 0xea, 0};
    uint32_t a = 0x11111111u, b = 0x22222222u;
    CHECK_ERR(mcgk_srtp_mki_parse(NULL, 8, &a, &b), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_srtp_mki_parse(mki, 8, NULL, &b), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_srtp_mki_parse(mki, 8, &a, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_srtp_mki_parse(mki, 7, &a, &b), MCGK_ERR_LENGTH);
    CHECK_ERR(mcgk_srtp_mki_parse(mki, 9, &a, &b), MCGK_ERR_LENGTH);
    CHECK_ERR(mcgk_srtp_mki_parse(mki, 4, &a, &b), MCGK_ERR_LENGTH); /* a PCK-style MKI */
    mki[4] = 0x16; /* GUK-ID purpose tag 1 under a GMK-ID of tag 0 */
    CHECK_ERR(mcgk_srtp_mki_parse(mki, 8, &a, &b), MCGK_ERR_MALFORMED);
    CHECK(a == 0x11111111u && b == 0x22222222u); /* untouched on error */
    mki[0] = 0x1d; /* both tag 1 (a PCK-ID style pair) splits */
    CHECK_OK(mcgk_srtp_mki_parse(mki, 8, &a, &b));
    CHECK(a == 0x1df9bc39u && b == 0x16a12aeau);
    mcgk_srtp_mki_encode(1, 2, NULL); /* no crash */
}

static void test_derive_errors(void)
{
    uint8_t key[16] = {1}, rand[256] = {2};
    mcgk_srtp_keys k, guard;
    memset(&guard, 0x5a, sizeof guard);
    k = guard;
    CHECK_ERR(mcgk_srtp_keys_derive(NULL, 1, 2, rand, 16, 4, &k), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_srtp_keys_derive(key, 1, 2, NULL, 16, 4, &k), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_srtp_keys_derive(key, 1, 2, rand, 0, 4, &k), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_srtp_keys_derive(key, 1, 2, rand, 256, 4, &k), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_srtp_keys_derive(key, 1, 2, rand, 16, 4, NULL), MCGK_ERR_INVALID_ARG);
    CHECK(memcmp(&k, &guard, sizeof k) == 0);
    CHECK_OK(mcgk_srtp_keys_derive(key, 1, 2, rand, 255, 4, &k)); /* the longest RAND */
    mcgk_srtp_keys_clear(&k);
    static const mcgk_srtp_keys zero;
    CHECK(memcmp(&k, &zero, sizeof k) == 0); /* clear wipes */
    mcgk_srtp_keys_clear(NULL);
}

int main(void)
{
    g_sw = mcgk_vec_load("streamwide-mikey-sakke.txt");
    g_kdf = mcgk_vec_load("ts33180-kdf.txt");
    g_syn = mcgk_vec_load("synthetic-gmk-imessage.txt");
    TEST_RUN(test_streamwide_gmk_message_1);
    TEST_RUN(test_streamwide_gmk_legacy_message_4);
    TEST_RUN(test_streamwide_pck_cs0_cs1);
    TEST_RUN(test_synthetic_vector);
    TEST_RUN(test_ts33180_kdf_mikey_prf_sections);
    TEST_RUN(test_ts33180_kdf_guk_id_mki);
    TEST_RUN(test_R_003_37_every_member_key_differs);
    TEST_RUN(test_mki_parse_errors);
    TEST_RUN(test_derive_errors);
    mcgk_vec_free(g_sw);
    mcgk_vec_free(g_kdf);
    mcgk_vec_free(g_syn);
    TEST_MAIN_END();
}
