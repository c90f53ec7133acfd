/*
 * Tests of src/mikey/protected_payload.c: the MCData Protected Payload envelope
 * (TS 33.180 §8.5.4 layout, ts33180.md §8) shared by the key parameters and MCData.
 *
 * - Streamwide's three published envelopes (rebuilt from the vector's AAD, IV and
 *   ciphertext fields) parse, re-encode octet for octet, give the published AAD and
 *   open under DPCK(stated key, CSB ID) to the published plaintexts;
 * - a sealed envelope equals an independent OpenSSL computation (HMAC-SHA-256 DPCK,
 *   AES-128-GCM with the 16-octet IV, AAD = octets 0..31);
 * - every error code of parse, encode, write, aad, seal and open.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "mcgk/protected_payload.h"
#include "test.h"

static mcgk_vecfile *g_sw;

static const char *const k_secs[] = {"imessage.1.GMK", "imessage.2.CSK", "imessage.3.PCK"};

/* envelope = AAD (32) || IEI 00 || length || ciphertext || tag, from the vector's fields */
static uint8_t *sw_envelope(const char *sec, size_t *len)
{
    size_t al = 0, cl = 0;
    uint8_t *aad = mcgk_vec_hex(g_sw, sec, "keyparams_aad", &al);
    uint8_t *ct = mcgk_vec_hex(g_sw, sec, "keyparams_ciphertext_and_tag", &cl);
    CHECK(al == MCGK_PP_AAD_LEN);
    uint8_t *env = malloc(al + 3 + cl);
    memcpy(env, aad, al);
    env[al] = 0x00;
    env[al + 1] = (uint8_t)(cl >> 8);
    env[al + 2] = (uint8_t)cl;
    memcpy(env + al + 3, ct, cl);
    *len = al + 3 + cl;
    free(aad);
    free(ct);
    return env;
}

static void test_streamwide_envelopes(void)
{
    for (size_t i = 0; i < 3; i++) {
        const char *sec = k_secs[i];
        size_t el = 0, kl = 0, pl = 0, ivl = 0, n = 0;
        uint8_t *env = sw_envelope(sec, &el);
        uint8_t *key = mcgk_vec_hex(g_sw, sec, "stated_key", &kl);
        uint8_t *pt = mcgk_vec_hex(g_sw, sec, "keyparams_plaintext", &pl);
        uint8_t *iv = mcgk_vec_hex(g_sw, sec, "keyparams_iv", &ivl);
        uint8_t *id = mcgk_vec_hex(g_sw, sec, "keyparams_dppk_id", &n);
        mcgk_pp pp;
        CHECK_OK(mcgk_pp_parse(env, el, &pp));
        CHECK(pp.message_type == MCGK_PP_MSG_TYPE && pp.date_time == 1 && pp.payload_id == 0 &&
              pp.payload_seq == 0 && pp.algorithm == MCGK_PP_ALG_AES_128_GCM &&
              pp.payload_iei == 0);
        CHECK(ivl == MCGK_PP_IV_LEN && memcmp(pp.iv, iv, ivl) == 0);
        CHECK(pp.dppk_id == ((uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 |
                             (uint32_t)id[2] << 8 | id[3]));
        uint8_t again[256], aad[MCGK_PP_AAD_LEN], out[256];
        size_t al = 0, ol = 0;
        CHECK_OK(mcgk_pp_encode(&pp, again, sizeof again, &al));
        CHECK(al == el && memcmp(again, env, el) == 0);
        CHECK_OK(mcgk_pp_aad(&pp, aad));
        CHECK_MEM(aad, env, MCGK_PP_AAD_LEN);
        CHECK_OK(mcgk_pp_open(key, &pp, out, sizeof out, &ol));
        CHECK(ol == pl);
        CHECK_MEM(out, pt, pl);
        /* sealing the plaintext again under the same header gives the same envelope */
        CHECK_OK(mcgk_pp_seal(key, &pp, pt, pl, again, sizeof again, &al));
        CHECK(al == el && memcmp(again, env, el) == 0);
        free(env);
        free(key);
        free(pt);
        free(iv);
        free(id);
    }
}

/* An independent computation with OpenSSL: DPCK = 128 LSBs of HMAC-SHA-256(DPPK,
 * 0x53 || DPPK-ID || 0x0004), GCM(DPCK, IV16, AAD = octets 0..31). */
static void test_seal_matches_openssl(void)
{
    static const uint8_t key[16] = {0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
                                    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
    uint8_t iv[16], pt[100];
    for (int i = 0; i < 16; i++)
        iv[i] = (uint8_t)(0xf0 + i);
    for (int i = 0; i < 100; i++)
        pt[i] = (uint8_t)i;
    mcgk_pp hdr = {0x43, 0x1234567890ull, 0xdeadbeefu, 7, MCGK_PP_ALG_AES_128_GCM, iv,
                   0x0abcdef1u, 0x5a, 0, NULL};
    uint8_t env[256];
    size_t el = 0;
    CHECK_OK(mcgk_pp_seal(key, &hdr, pt, sizeof pt, env, sizeof env, &el));
    CHECK(el == MCGK_PP_ENVELOPE_LEN(sizeof pt));

    uint8_t s[7] = {0x53, 0x0a, 0xbc, 0xde, 0xf1, 0x00, 0x04}, mac[32];
    unsigned ml = 0;
    HMAC(EVP_sha256(), key, 16, s, sizeof s, mac, &ml);
    static const uint8_t want_hdr[35] = {0x43, 0x12, 0x34, 0x56, 0x78, 0x90, 0xde, 0xad, 0xbe,
                                         0xef, 0x07, 0x01, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5,
                                         0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe,
                                         0xff, 0x0a, 0xbc, 0xde, 0xf1, 0x5a, 0x00, 116};
    CHECK_MEM(env, want_hdr, sizeof want_hdr);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    uint8_t ct[100], tag[16];
    int l = 0;
    CHECK(EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL) == 1);
    CHECK(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 16, NULL) == 1);
    CHECK(EVP_EncryptInit_ex(c, NULL, NULL, mac + 16, iv) == 1);
    CHECK(EVP_EncryptUpdate(c, NULL, &l, want_hdr, 32) == 1);
    CHECK(EVP_EncryptUpdate(c, ct, &l, pt, sizeof pt) == 1);
    CHECK(EVP_EncryptFinal_ex(c, ct, &l) == 1);
    CHECK(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1);
    EVP_CIPHER_CTX_free(c);
    CHECK_MEM(env + 35, ct, sizeof ct);
    CHECK_MEM(env + 35 + sizeof ct, tag, 16);
}

static void test_error_codes(void)
{
    static const uint8_t key[16] = {7};
    uint8_t iv[16] = {1}, pt[64] = {2}, env[128], out[128];
    mcgk_pp hdr = {MCGK_PP_MSG_TYPE, 1, 0, 0, MCGK_PP_ALG_AES_128_GCM, iv, 0x01020304u, 0, 0, NULL};
    size_t el = 0, n = 0;
    /* seal */
    CHECK_ERR(mcgk_pp_seal(NULL, &hdr, pt, 10, env, sizeof env, &el), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_pp_seal(key, NULL, pt, 10, env, sizeof env, &el), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_pp_seal(key, &hdr, NULL, 10, env, sizeof env, &el), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_pp_seal(key, &hdr, pt, 10, env, sizeof env, NULL), MCGK_ERR_INVALID_ARG);
    mcgk_pp bad = hdr;
    bad.iv = NULL;
    CHECK_ERR(mcgk_pp_seal(key, &bad, pt, 10, env, sizeof env, &el), MCGK_ERR_INVALID_ARG);
    bad = hdr;
    bad.date_time = MCGK_PP_DATE_TIME_MAX + 1;
    CHECK_ERR(mcgk_pp_seal(key, &bad, pt, 10, env, sizeof env, &el), MCGK_ERR_INVALID_ARG);
    bad = hdr;
    bad.algorithm = 2;
    CHECK_ERR(mcgk_pp_seal(key, &bad, pt, 10, env, sizeof env, &el), MCGK_ERR_UNSUPPORTED);
    CHECK_ERR(mcgk_pp_seal(key, &hdr, pt, MCGK_PP_PLAINTEXT_MAX_LEN + 1, NULL, 0, &el),
              MCGK_ERR_OVERSIZED);
    CHECK_ERR(mcgk_pp_seal(key, &hdr, pt, 10, env, 60, &el), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(el == 61);
    CHECK_OK(mcgk_pp_seal(key, &hdr, pt, 10, NULL, 0, &el));
    CHECK(el == 61);
    CHECK_OK(mcgk_pp_seal(key, &hdr, pt, 10, env, sizeof env, &el));
    /* parse */
    mcgk_pp pp, guard;
    memset(&guard, 0x6b, sizeof guard);
    pp = guard;
    CHECK_ERR(mcgk_pp_parse(env, el, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_pp_parse(NULL, 1, &pp), MCGK_ERR_INVALID_ARG);
    for (size_t cut = 0; cut < el; cut++)
        CHECK_ERR(mcgk_pp_parse(env, cut, &pp), MCGK_ERR_TRUNCATED);
    env[el] = 0;
    CHECK_ERR(mcgk_pp_parse(env, el + 1, &pp), MCGK_ERR_TRAILING_DATA);
    CHECK(memcmp(&pp, &guard, sizeof pp) == 0);
    CHECK_OK(mcgk_pp_parse(env, el, &pp));
    /* open */
    CHECK_ERR(mcgk_pp_open(NULL, &pp, out, sizeof out, &n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_pp_open(key, NULL, out, sizeof out, &n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_pp_open(key, &pp, NULL, 5, &n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_pp_open(key, &pp, out, sizeof out, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_pp_open(key, &pp, out, 9, &n), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(n == 10);
    CHECK_ERR(mcgk_pp_open(key, &pp, NULL, 0, &n), MCGK_ERR_BUFFER_TOO_SMALL);
    bad = pp;
    bad.algorithm = 0;
    CHECK_ERR(mcgk_pp_open(key, &bad, out, sizeof out, &n), MCGK_ERR_UNSUPPORTED);
    bad = pp;
    bad.payload_len = 15;
    CHECK_ERR(mcgk_pp_open(key, &bad, out, sizeof out, &n), MCGK_ERR_MALFORMED);
    bad = pp;
    bad.payload = NULL;
    CHECK_ERR(mcgk_pp_open(key, &bad, out, sizeof out, &n), MCGK_ERR_INVALID_ARG);
    uint8_t other[16] = {8};
    memset(out, 0x99, sizeof out);
    CHECK_ERR(mcgk_pp_open(other, &pp, out, sizeof out, &n), MCGK_ERR_PAYLOAD_AUTH);
    for (size_t i = 0; i < 10; i++)
        CHECK(out[i] == 0); /* nothing unauthenticated released */
    CHECK_OK(mcgk_pp_open(key, &pp, out, sizeof out, &n));
    CHECK(n == 10 && memcmp(out, pt, 10) == 0);
    /* a zero-length plaintext */
    CHECK_OK(mcgk_pp_seal(key, &hdr, NULL, 0, env, sizeof env, &el));
    CHECK(el == 51);
    CHECK_OK(mcgk_pp_parse(env, el, &pp));
    CHECK_OK(mcgk_pp_open(key, &pp, NULL, 0, &n));
    CHECK(n == 0);
    /* encode, write, aad */
    CHECK_ERR(mcgk_pp_encode(NULL, env, sizeof env, &n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_pp_encode(&pp, env, sizeof env, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_pp_encode(&pp, env, 50, &n), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(n == 51);
    CHECK_OK(mcgk_pp_encode(&pp, NULL, 0, &n));
    bad = pp;
    bad.payload = NULL;
    CHECK_ERR(mcgk_pp_encode(&bad, env, sizeof env, &n), MCGK_ERR_INVALID_ARG);
    bad = pp;
    bad.date_time = MCGK_PP_DATE_TIME_MAX + 1;
    CHECK_ERR(mcgk_pp_encode(&bad, env, sizeof env, &n), MCGK_ERR_INVALID_ARG);
    mcgk_writer w;
    mcgk_writer_init(&w, env, 10);
    CHECK_ERR(mcgk_pp_write(NULL, &pp), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_pp_write(&w, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_OK(mcgk_pp_write(&w, &pp));
    CHECK_ERR(mcgk_writer_finish(&w, &n), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(n == 51);
    uint8_t aad[MCGK_PP_AAD_LEN];
    CHECK_ERR(mcgk_pp_aad(NULL, aad), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_pp_aad(&pp, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_pp_aad(&bad, aad), MCGK_ERR_INVALID_ARG);
}

int main(void)
{
    g_sw = mcgk_vec_load("streamwide-mikey-sakke.txt");
    TEST_RUN(test_streamwide_envelopes);
    TEST_RUN(test_seal_matches_openssl);
    TEST_RUN(test_error_codes);
    mcgk_vec_free(g_sw);
    TEST_MAIN_END();
}
