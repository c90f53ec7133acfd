/*
 * ECCSI (RFC 6507, src/crypto/eccsi.c): every value of
 * tests/vectors/rfc6507-eccsi.txt (RFC 6507 Appendix A with intermediates)
 * and its _BAD cases, the Streamwide key sets and I_MESSAGE signatures of
 * tests/vectors/streamwide-mikey-sakke.txt, every error code of
 * mcgk/eccsi.h, tampering (every byte of a signature), and random round
 * trips issue -> validate -> sign -> verify over many identities.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>

#include "crypto/p256.h"
#include "mcgk/eccsi.h"
#include "test.h"

static mcgk_vecfile *V;

static uint8_t *vec(const char *name, size_t *len) { return mcgk_vec_hex(V, NULL, name, len); }

/* a fixed RNG that hands out one 32-octet scalar (or several, concatenated) */
typedef struct fixed {
    mcgk_test_fixed_rng st;
    mcgk_rng rng;
} fixed;

static void fixed_init(fixed *f, const uint8_t *bytes, size_t len)
{
    f->rng = mcgk_test_fixed_rng_init(&f->st, bytes, len);
}

static int failing_fill(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    (void)out;
    (void)len;
    return -1;
}

static const uint8_t k_q_be[32] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
};
static const uint8_t k_p_be[32] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
};

/* big-endian 32-octet add of a small value (no overflow in the uses here) */
static void be_add_small(uint8_t x[32], unsigned v)
{
    for (int i = 31; i >= 0 && v; i--) {
        unsigned s = x[i] + (v & 0xFF);
        x[i] = (uint8_t)s;
        v = (v >> 8) + (s >> 8);
    }
}

/* ---- RFC 6507 Appendix A ---- */

static void test_rfc6507_kpak(void)
{
    size_t n;
    uint8_t *ksak = vec("KSAK", &n), *kpak = vec("KPAK", &n), *G = vec("G", &n);
    uint8_t out[65];
    CHECK_OK(mcgk_eccsi_kpak_from_ksak(ksak, out));
    CHECK_MEM(out, kpak, 65);
    /* the generator itself: [1]G */
    uint8_t one[32] = {0};
    one[31] = 1;
    CHECK_OK(mcgk_eccsi_kpak_from_ksak(one, out));
    CHECK_MEM(out, G, 65);
    free(ksak);
    free(kpak);
    free(G);
}

static void test_rfc6507_issue(void)
{
    size_t n;
    uint8_t *ksak = vec("KSAK", &n), *id = NULL, *v = vec("v", &n), *pvt = vec("PVT", &n);
    uint8_t *hs = vec("HS", &n), *ssk = vec("SSK", &n), *kpak = vec("KPAK", &n);
    size_t id_len;
    id = vec("ID", &id_len);
    CHECK(id_len == 26);
    fixed f;
    fixed_init(&f, v, 32);
    uint8_t got_ssk[32], got_pvt[65], got_hs[32];
    CHECK_OK(mcgk_eccsi_issue(ksak, id, id_len, &f.rng, got_ssk, got_pvt));
    CHECK_MEM(got_pvt, pvt, 65); /* PVT = [v]G */
    CHECK_MEM(got_ssk, ssk, 32); /* SSK = KSAK + HS v mod q */
    CHECK(f.st.pos == 32);       /* exactly one draw: v */
    CHECK_OK(mcgk_eccsi_hs(kpak, id, id_len, pvt, got_hs));
    CHECK_MEM(got_hs, hs, 32);
    /* v = 0 and v = q are rejected by the sampling, then v is used */
    uint8_t draws[96] = {0};
    memcpy(draws + 32, k_q_be, 32);
    memcpy(draws + 64, v, 32);
    fixed_init(&f, draws, sizeof draws);
    CHECK_OK(mcgk_eccsi_issue(ksak, id, id_len, &f.rng, got_ssk, got_pvt));
    CHECK_MEM(got_pvt, pvt, 65);
    CHECK_MEM(got_ssk, ssk, 32);
    CHECK(f.st.pos == 96);
    free(ksak);
    free(id);
    free(v);
    free(pvt);
    free(hs);
    free(ssk);
    free(kpak);
}

static void test_rfc6507_validate(void)
{
    size_t n, id_len;
    uint8_t *kpak = vec("KPAK", &n), *id = vec("ID", &id_len), *ssk = vec("SSK", &n);
    uint8_t *pvt = vec("PVT", &n), *bad = vec("SSK_BAD", &n), *Y = vec("Y", &n);
    uint8_t *hs = vec("HS", &n);
    CHECK_OK(mcgk_eccsi_validate_ssk(kpak, id, id_len, ssk, pvt));
    CHECK_ERR(mcgk_eccsi_validate_ssk(kpak, id, id_len, bad, pvt), MCGK_ERR_SSK_INVALID);
    /* Y = [HS]PVT + KPAK (RFC 6507 §5.2.2 step 4), and [SSK]G == Y */
    p256_aff K, P, A;
    CHECK_OK(mcgk_p256_point_decode(&K, kpak));
    CHECK_OK(mcgk_p256_point_decode(&P, pvt));
    uint64_t hsq[4], one[4] = {1, 0, 0, 0}, s[4];
    mcgk_p256_scalar_reduce_be(hsq, hs);
    p256_jac J;
    mcgk_p256_mul3_vartime(&J, NULL, hsq, &P, one, &K);
    CHECK(mcgk_p256_jac_to_aff(&A, &J) == 0);
    uint8_t enc[65];
    mcgk_p256_point_encode(enc, &A);
    CHECK_MEM(enc, Y, 65);
    CHECK(mcgk_p256_scalar_from_be(s, ssk) != 0);
    mcgk_p256_mul_base(&J, s);
    CHECK(mcgk_p256_jac_to_aff(&A, &J) == 0);
    mcgk_p256_point_encode(enc, &A);
    CHECK_MEM(enc, Y, 65);
    free(kpak);
    free(id);
    free(ssk);
    free(pvt);
    free(bad);
    free(Y);
    free(hs);
}

static void test_rfc6507_sign(void)
{
    size_t n, id_len, m_len;
    uint8_t *kpak = vec("KPAK", &n), *id = vec("ID", &id_len), *ssk = vec("SSK", &n);
    uint8_t *pvt = vec("PVT", &n), *hs = vec("HS", &n), *M = vec("M", &m_len);
    uint8_t *j = vec("j", &n), *J = vec("J", &n), *r = vec("r", &n), *HE = vec("HE", &n);
    uint8_t *s = vec("s", &n), *SIG = vec("SIGNATURE", &n);
    mcgk_eccsi_signer signer;
    CHECK_OK(mcgk_eccsi_signer_init(&signer, kpak, id, id_len, ssk, pvt));
    CHECK_MEM(signer.hs, hs, 32); /* HS cached */
    CHECK_MEM(signer.ssk, ssk, 32);
    CHECK_MEM(signer.pvt, pvt, 65);

    /* J = [j]G and r = Jx */
    uint8_t enc[65];
    CHECK_OK(mcgk_eccsi_kpak_from_ksak(j, enc));
    CHECK_MEM(enc, J, 65);
    CHECK_MEM(J + 1, r, 32);
    /* HE = hash(HS || r || M) */
    uint8_t he[32];
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, hs, 32);
    SHA256_Update(&c, r, 32);
    SHA256_Update(&c, M, m_len);
    SHA256_Final(he, &c);
    CHECK_MEM(he, HE, 32);
    /* s = (HE + r SSK)^-1 j mod q, not negated (s > q/2 here) */
    uint64_t hel[4], rl[4], sl[4], jl[4], t[4], want[4];
    mcgk_p256_scalar_reduce_be(hel, HE);
    mcgk_p256_scalar_reduce_be(rl, r);
    CHECK(mcgk_p256_scalar_from_be(sl, ssk) != 0);
    CHECK(mcgk_p256_scalar_from_be(jl, j) != 0);
    mcgk_p256_scalar_mul(t, rl, sl);
    mcgk_p256_scalar_add(t, t, hel);
    mcgk_p256_scalar_inv(t, t);
    mcgk_p256_scalar_mul(want, t, jl);
    uint8_t s_calc[32];
    mcgk_p256_scalar_to_be(s_calc, want);
    CHECK_MEM(s_calc, s, 32);

    /* the signature itself, with j from the RNG */
    fixed f;
    fixed_init(&f, j, 32);
    uint8_t sig[129];
    CHECK_OK(mcgk_eccsi_sign(&signer, M, m_len, &f.rng, sig));
    CHECK_MEM(sig, SIG, 129);
    CHECK_MEM(sig + 32, s, 32);
    CHECK(f.st.pos == 32);
    /* j = 0 and j = q are rejected by the sampling first */
    uint8_t draws[96] = {0};
    memcpy(draws + 32, k_q_be, 32);
    memcpy(draws + 64, j, 32);
    fixed_init(&f, draws, sizeof draws);
    CHECK_OK(mcgk_eccsi_sign(&signer, M, m_len, &f.rng, sig));
    CHECK_MEM(sig, SIG, 129);
    mcgk_eccsi_signer_clear(&signer);
    uint8_t zero[sizeof signer] = {0};
    CHECK_MEM(&signer, zero, sizeof signer);
    mcgk_eccsi_signer_clear(NULL);
    free(kpak);
    free(id);
    free(ssk);
    free(pvt);
    free(hs);
    free(M);
    free(j);
    free(J);
    free(r);
    free(HE);
    free(s);
    free(SIG);
}

static void test_rfc6507_verify(void)
{
    size_t n, id_len, m_len;
    uint8_t *kpak = vec("KPAK", &n), *id = vec("ID", &id_len), *M = vec("M", &m_len);
    uint8_t *SIG = vec("SIGNATURE", &n), *bad_r = vec("SIGNATURE_BAD_R", &n);
    uint8_t *bad_s = vec("SIGNATURE_BAD_S", &n), *m_bad = vec("M_BAD", &n);
    CHECK_OK(mcgk_eccsi_verify(kpak, id, id_len, M, m_len, SIG));
    CHECK_ERR(mcgk_eccsi_verify(kpak, id, id_len, M, m_len, bad_r), MCGK_ERR_SIGNATURE);
    CHECK_ERR(mcgk_eccsi_verify(kpak, id, id_len, M, m_len, bad_s), MCGK_ERR_SIGNATURE);
    CHECK_ERR(mcgk_eccsi_verify(kpak, id, id_len, m_bad, n, SIG), MCGK_ERR_SIGNATURE);
    free(kpak);
    free(id);
    free(M);
    free(SIG);
    free(bad_r);
    free(bad_s);
    free(m_bad);
}

/* ---- Streamwide ---- */

static void test_streamwide_key_sets_validate(void)
{
    mcgk_vecfile *W = mcgk_vec_load("streamwide-mikey-sakke.txt");
    size_t n, users = 0;
    uint8_t *kpak = mcgk_vec_hex(W, "kms", "KPAK", &n);
    for (size_t i = 0; i < mcgk_vec_section_count(W); i++) {
        const char *sec = mcgk_vec_section_name(W, i);
        if (strncmp(sec, "user.", 5) != 0)
            continue;
        users++;
        size_t uid_len;
        uint8_t *uid = mcgk_vec_hex(W, sec, "uid", &uid_len);
        uint8_t *ssk = mcgk_vec_hex(W, sec, "ssk", &n);
        uint8_t *pvt = mcgk_vec_hex(W, sec, "pvt", &n);
        uint8_t *hs = mcgk_vec_hex(W, sec, "hs", &n);
        uint8_t got[32];
        CHECK_OK(mcgk_eccsi_validate_ssk(kpak, uid, uid_len, ssk, pvt));
        CHECK_OK(mcgk_eccsi_hs(kpak, uid, uid_len, pvt, got));
        CHECK_MEM(got, hs, 32);
        mcgk_eccsi_signer signer;
        CHECK_OK(mcgk_eccsi_signer_init(&signer, kpak, uid, uid_len, ssk, pvt));
        CHECK_MEM(signer.hs, hs, 32);
        mcgk_eccsi_signer_clear(&signer);
        free(uid);
        free(ssk);
        free(pvt);
        free(hs);
    }
    CHECK(users == 4);
    free(kpak);
    mcgk_vec_free(W);
}

/*
 * The four I_MESSAGEs: signature = the last 129 octets, signed data = all
 * octets before them (including the SIGN payload header). The signer is the
 * initiator (IDR role 8): the user whose PVT the signature carries - the GMS
 * for the GMK messages, Alice for the CSK and PCK messages.
 */
static void test_R_003_17_streamwide_imessage_signatures(void)
{
    mcgk_vecfile *W = mcgk_vec_load("streamwide-mikey-sakke.txt");
    size_t n, msgs = 0, by_gms = 0;
    uint8_t *kpak = mcgk_vec_hex(W, "kms", "KPAK", &n);
    for (size_t i = 0; i < mcgk_vec_section_count(W); i++) {
        const char *sec = mcgk_vec_section_name(W, i);
        if (strncmp(sec, "imessage.", 9) != 0)
            continue;
        msgs++;
        size_t len;
        uint8_t *msg = mcgk_vec_hex(W, sec, "i_message", &len);
        uint8_t *he_want = mcgk_vec_hex(W, sec, "eccsi_HE", &n);
        CHECK(len > 129);
        CHECK(len - 129 == mcgk_vec_u64(W, sec, "signed_octets_length"));
        const uint8_t *sig = msg + len - 129;
        /* find the signer by the PVT inside the signature */
        const char *signer = NULL;
        for (size_t k = 0; k < mcgk_vec_section_count(W); k++) {
            const char *us = mcgk_vec_section_name(W, k);
            if (strncmp(us, "user.", 5) != 0)
                continue;
            uint8_t *pvt = mcgk_vec_hex(W, us, "pvt", &n);
            if (memcmp(pvt, sig + 64, 65) == 0)
                signer = us;
            free(pvt);
        }
        CHECK(signer != NULL);
        if (signer == NULL) {
            free(msg);
            free(he_want);
            continue;
        }
        if (strcmp(signer, "user.GMS") == 0)
            by_gms++;
        size_t uid_len;
        uint8_t *uid = mcgk_vec_hex(W, signer, "uid", &uid_len);
        uint8_t *hs = mcgk_vec_hex(W, signer, "hs", &n);
        /* the signer UID is the one in the IDR role 8 payload of the message */
        int found = 0;
        for (size_t o = 0; o + 4 + uid_len <= len - 129; o++)
            if (msg[o] == 8 && msg[o + 1] == 1 && memcmp(msg + o + 4, uid, uid_len) == 0)
                found = 1;
        CHECK(found);
        CHECK_OK(mcgk_eccsi_verify(kpak, uid, uid_len, msg, len - 129, sig));
        /* HE = hash(HS || r || M) as derived in the vector file */
        uint8_t he[32];
        SHA256_CTX c;
        SHA256_Init(&c);
        SHA256_Update(&c, hs, 32);
        SHA256_Update(&c, sig, 32);
        SHA256_Update(&c, msg, len - 129);
        SHA256_Final(he, &c);
        CHECK_MEM(he, he_want, 32);
        /* without the 2-octet SIGN header the signature does not verify */
        CHECK_ERR(mcgk_eccsi_verify(kpak, uid, uid_len, msg, len - 131, sig), MCGK_ERR_SIGNATURE);
        /* a flipped message octet does not verify */
        msg[len / 2] ^= 0x01;
        CHECK_ERR(mcgk_eccsi_verify(kpak, uid, uid_len, msg, len - 129, sig), MCGK_ERR_SIGNATURE);
        free(uid);
        free(hs);
        free(msg);
        free(he_want);
    }
    CHECK(msgs == 4);
    CHECK(by_gms == 2);
    free(kpak);
    mcgk_vec_free(W);
}

/* ---- error codes and bad input ---- */

static void test_kms_keygen_and_kpak_errors(void)
{
    uint8_t ksak[32], kpak[65], kpak2[65];
    mcgk_test_prng pr;
    mcgk_rng rng = mcgk_test_prng_init(&pr, 11);
    CHECK_OK(mcgk_eccsi_kms_keygen(&rng, ksak, kpak));
    CHECK_OK(mcgk_eccsi_kpak_from_ksak(ksak, kpak2));
    CHECK_MEM(kpak, kpak2, 65);
    CHECK_ERR(mcgk_eccsi_kms_keygen(NULL, ksak, kpak), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_kms_keygen(&rng, NULL, kpak), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_kms_keygen(&rng, ksak, NULL), MCGK_ERR_INVALID_ARG);
    mcgk_rng bad = {failing_fill, NULL};
    uint8_t sentinel[65];
    memset(kpak, 0xA5, 65);
    memcpy(sentinel, kpak, 65);
    CHECK_ERR(mcgk_eccsi_kms_keygen(&bad, ksak, kpak), MCGK_ERR_RNG);
    CHECK_MEM(kpak, sentinel, 65);
    /* an RNG that only ever returns values outside [1, q-1] */
    static uint8_t zeros[32 * 64];
    fixed f;
    fixed_init(&f, zeros, sizeof zeros);
    CHECK_ERR(mcgk_eccsi_kms_keygen(&f.rng, ksak, kpak), MCGK_ERR_RNG);
    CHECK(f.st.pos == sizeof zeros);
    CHECK_MEM(kpak, sentinel, 65);
    /* an RNG that runs dry */
    fixed_init(&f, zeros, 16);
    CHECK_ERR(mcgk_eccsi_kms_keygen(&f.rng, ksak, kpak), MCGK_ERR_RNG);

    /* KSAK out of range: 0, q, q + 1, 2^256 - 1 */
    uint8_t k[32] = {0};
    CHECK_ERR(mcgk_eccsi_kpak_from_ksak(k, kpak), MCGK_ERR_SCALAR_RANGE);
    memcpy(k, k_q_be, 32);
    CHECK_ERR(mcgk_eccsi_kpak_from_ksak(k, kpak), MCGK_ERR_SCALAR_RANGE);
    be_add_small(k, 1);
    CHECK_ERR(mcgk_eccsi_kpak_from_ksak(k, kpak), MCGK_ERR_SCALAR_RANGE);
    memset(k, 0xFF, 32);
    CHECK_ERR(mcgk_eccsi_kpak_from_ksak(k, kpak), MCGK_ERR_SCALAR_RANGE);
    CHECK_MEM(kpak, sentinel, 65);
    /* q - 1 is the largest valid KSAK: KPAK = -G */
    memcpy(k, k_q_be, 32);
    k[31] -= 1;
    CHECK_OK(mcgk_eccsi_kpak_from_ksak(k, kpak));
    CHECK(kpak[0] == 0x04);
    CHECK_ERR(mcgk_eccsi_kpak_from_ksak(NULL, kpak), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_kpak_from_ksak(k, NULL), MCGK_ERR_INVALID_ARG);
}

static void test_issue_errors(void)
{
    size_t n, id_len;
    uint8_t *ksak = vec("KSAK", &n), *id = vec("ID", &id_len), *v = vec("v", &n);
    uint8_t ssk[32], pvt[65], ssk0[32], pvt0[65];
    memset(ssk, 0x5A, 32);
    memset(pvt, 0x5A, 65);
    memcpy(ssk0, ssk, 32);
    memcpy(pvt0, pvt, 65);
    fixed f;
    fixed_init(&f, v, 32);
    CHECK_ERR(mcgk_eccsi_issue(NULL, id, id_len, &f.rng, ssk, pvt), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_issue(ksak, NULL, id_len, &f.rng, ssk, pvt), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_issue(ksak, id, id_len, NULL, ssk, pvt), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_issue(ksak, id, id_len, &f.rng, NULL, pvt), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_issue(ksak, id, id_len, &f.rng, ssk, NULL), MCGK_ERR_INVALID_ARG);
    /* identifiers: empty, too long; the longest allowed works */
    static uint8_t long_id[MCGK_ECCSI_ID_MAX_LEN + 1];
    CHECK_ERR(mcgk_eccsi_issue(ksak, id, 0, &f.rng, ssk, pvt), MCGK_ERR_IDENTITY);
    CHECK_ERR(mcgk_eccsi_issue(ksak, NULL, 0, &f.rng, ssk, pvt), MCGK_ERR_IDENTITY);
    CHECK_ERR(mcgk_eccsi_issue(ksak, long_id, sizeof long_id, &f.rng, ssk, pvt),
              MCGK_ERR_IDENTITY);
    /* KSAK out of range */
    uint8_t k[32] = {0};
    CHECK_ERR(mcgk_eccsi_issue(k, id, id_len, &f.rng, ssk, pvt), MCGK_ERR_SCALAR_RANGE);
    memcpy(k, k_q_be, 32);
    CHECK_ERR(mcgk_eccsi_issue(k, id, id_len, &f.rng, ssk, pvt), MCGK_ERR_SCALAR_RANGE);
    /* RNG failures */
    mcgk_rng bad = {failing_fill, NULL};
    CHECK_ERR(mcgk_eccsi_issue(ksak, id, id_len, &bad, ssk, pvt), MCGK_ERR_RNG);
    static uint8_t zeros[32 * 64];
    fixed_init(&f, zeros, sizeof zeros);
    CHECK_ERR(mcgk_eccsi_issue(ksak, id, id_len, &f.rng, ssk, pvt), MCGK_ERR_RNG);
    CHECK_MEM(ssk, ssk0, 32); /* outputs untouched on every error */
    CHECK_MEM(pvt, pvt0, 65);
    fixed_init(&f, v, 32);
    CHECK_OK(mcgk_eccsi_issue(ksak, long_id, MCGK_ECCSI_ID_MAX_LEN, &f.rng, ssk, pvt));
    free(ksak);
    free(id);
    free(v);
}

static void test_hs_errors(void)
{
    size_t n, id_len;
    uint8_t *kpak = vec("KPAK", &n), *id = vec("ID", &id_len), *pvt = vec("PVT", &n);
    uint8_t hs[32];
    CHECK_ERR(mcgk_eccsi_hs(NULL, id, id_len, pvt, hs), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_hs(kpak, NULL, id_len, pvt, hs), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_hs(kpak, id, id_len, NULL, hs), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_hs(kpak, id, id_len, pvt, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_hs(kpak, id, 0, pvt, hs), MCGK_ERR_IDENTITY);
    CHECK_ERR(mcgk_eccsi_hs(kpak, id, MCGK_ECCSI_ID_MAX_LEN + 1, pvt, hs), MCGK_ERR_IDENTITY);
    free(kpak);
    free(id);
    free(pvt);
}

/* point encodings that fail each check, applied to KPAK or PVT */
typedef struct bad_point {
    const char *what;
    mcgk_err err;
} bad_point;

static void make_bad_point(uint8_t out[65], const uint8_t good[65], int which)
{
    memcpy(out, good, 65);
    switch (which) {
    case 0: out[0] = 0x02; break;                 /* compressed form */
    case 1: memcpy(out + 1, k_p_be, 32); break;   /* x = p */
    case 2: memcpy(out + 33, k_p_be, 32); break;  /* y = p */
    case 3: memset(out + 1, 0, 64); break;        /* 0x04 || 0 || 0 */
    case 4: memset(out, 0, 65); break;            /* all zero */
    default: out[64] ^= 1; break;                 /* off the curve */
    }
}
static const mcgk_err k_bad_point_err[6] = {MCGK_ERR_POINT_FORMAT, MCGK_ERR_POINT_RANGE,
                                            MCGK_ERR_POINT_RANGE, MCGK_ERR_POINT_INFINITY,
                                            MCGK_ERR_POINT_INFINITY,
                                            MCGK_ERR_POINT_NOT_ON_CURVE};

static void test_validate_errors(void)
{
    size_t n, id_len;
    uint8_t *kpak = vec("KPAK", &n), *id = vec("ID", &id_len), *ssk = vec("SSK", &n);
    uint8_t *pvt = vec("PVT", &n);
    uint8_t bad[65];
    for (int w = 0; w < 6; w++) {
        make_bad_point(bad, kpak, w);
        CHECK_ERR(mcgk_eccsi_validate_ssk(bad, id, id_len, ssk, pvt), k_bad_point_err[w]);
        make_bad_point(bad, pvt, w);
        CHECK_ERR(mcgk_eccsi_validate_ssk(kpak, id, id_len, ssk, bad), k_bad_point_err[w]);
    }
    /* SSK out of range */
    uint8_t k[32] = {0};
    CHECK_ERR(mcgk_eccsi_validate_ssk(kpak, id, id_len, k, pvt), MCGK_ERR_SCALAR_RANGE);
    memcpy(k, k_q_be, 32);
    CHECK_ERR(mcgk_eccsi_validate_ssk(kpak, id, id_len, k, pvt), MCGK_ERR_SCALAR_RANGE);
    memset(k, 0xFF, 32);
    CHECK_ERR(mcgk_eccsi_validate_ssk(kpak, id, id_len, k, pvt), MCGK_ERR_SCALAR_RANGE);
    /* an SSK issued for another identity, and the right SSK under another identity */
    uint8_t other[26];
    memcpy(other, id, 26);
    other[10] ^= 1;
    CHECK_ERR(mcgk_eccsi_validate_ssk(kpak, other, 26, ssk, pvt), MCGK_ERR_SSK_INVALID);
    CHECK_ERR(mcgk_eccsi_validate_ssk(kpak, id, id_len - 1, ssk, pvt), MCGK_ERR_SSK_INVALID);
    /* a different PVT (valid point) or KPAK (valid point) */
    uint8_t G[65];
    uint8_t one[32] = {0};
    one[31] = 1;
    CHECK_OK(mcgk_eccsi_kpak_from_ksak(one, G));
    CHECK_ERR(mcgk_eccsi_validate_ssk(kpak, id, id_len, ssk, G), MCGK_ERR_SSK_INVALID);
    CHECK_ERR(mcgk_eccsi_validate_ssk(G, id, id_len, ssk, pvt), MCGK_ERR_SSK_INVALID);
    /* identifiers and NULLs */
    CHECK_ERR(mcgk_eccsi_validate_ssk(kpak, id, 0, ssk, pvt), MCGK_ERR_IDENTITY);
    CHECK_ERR(mcgk_eccsi_validate_ssk(kpak, id, MCGK_ECCSI_ID_MAX_LEN + 1, ssk, pvt),
              MCGK_ERR_IDENTITY);
    CHECK_ERR(mcgk_eccsi_validate_ssk(NULL, id, id_len, ssk, pvt), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_validate_ssk(kpak, NULL, id_len, ssk, pvt), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_validate_ssk(kpak, id, id_len, NULL, pvt), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_validate_ssk(kpak, id, id_len, ssk, NULL), MCGK_ERR_INVALID_ARG);

    /* signer_init: the same codes, and the signer is untouched on failure */
    mcgk_eccsi_signer signer, before;
    memset(&signer, 0x3C, sizeof signer);
    before = signer;
    CHECK_ERR(mcgk_eccsi_signer_init(NULL, kpak, id, id_len, ssk, pvt), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_signer_init(&signer, kpak, other, 26, ssk, pvt), MCGK_ERR_SSK_INVALID);
    memset(k, 0, 32);
    CHECK_ERR(mcgk_eccsi_signer_init(&signer, kpak, id, id_len, k, pvt), MCGK_ERR_SCALAR_RANGE);
    make_bad_point(bad, pvt, 5);
    CHECK_ERR(mcgk_eccsi_signer_init(&signer, kpak, id, id_len, ssk, bad),
              MCGK_ERR_POINT_NOT_ON_CURVE);
    CHECK_ERR(mcgk_eccsi_signer_init(&signer, kpak, id, 0, ssk, pvt), MCGK_ERR_IDENTITY);
    CHECK_MEM(&signer, &before, sizeof signer);
    free(kpak);
    free(id);
    free(ssk);
    free(pvt);
}

static void test_sign_errors(void)
{
    size_t n, id_len, m_len;
    uint8_t *kpak = vec("KPAK", &n), *id = vec("ID", &id_len), *ssk = vec("SSK", &n);
    uint8_t *pvt = vec("PVT", &n), *M = vec("M", &m_len), *j = vec("j", &n);
    mcgk_eccsi_signer signer;
    CHECK_OK(mcgk_eccsi_signer_init(&signer, kpak, id, id_len, ssk, pvt));
    uint8_t sig[129], sig0[129];
    memset(sig, 0x77, sizeof sig);
    memcpy(sig0, sig, sizeof sig);
    fixed f;
    fixed_init(&f, j, 32);
    CHECK_ERR(mcgk_eccsi_sign(NULL, M, m_len, &f.rng, sig), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_sign(&signer, NULL, m_len, &f.rng, sig), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_sign(&signer, M, m_len, NULL, sig), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_sign(&signer, M, m_len, &f.rng, NULL), MCGK_ERR_INVALID_ARG);
    mcgk_rng bad = {failing_fill, NULL};
    CHECK_ERR(mcgk_eccsi_sign(&signer, M, m_len, &bad, sig), MCGK_ERR_RNG);
    static uint8_t zeros[32 * 64];
    fixed_init(&f, zeros, sizeof zeros);
    CHECK_ERR(mcgk_eccsi_sign(&signer, M, m_len, &f.rng, sig), MCGK_ERR_RNG);
    CHECK_MEM(sig, sig0, sizeof sig);
    /* a signer that was cleared (or never initialised) holds no valid SSK */
    mcgk_eccsi_signer empty;
    memset(&empty, 0, sizeof empty);
    fixed_init(&f, j, 32);
    CHECK_ERR(mcgk_eccsi_sign(&empty, M, m_len, &f.rng, sig), MCGK_ERR_INVALID_ARG);
    memcpy(empty.ssk, k_q_be, 32);
    CHECK_ERR(mcgk_eccsi_sign(&empty, M, m_len, &f.rng, sig), MCGK_ERR_INVALID_ARG);
    CHECK_MEM(sig, sig0, sizeof sig);
    /* the empty message signs and verifies */
    mcgk_test_prng pr;
    mcgk_rng rng = mcgk_test_prng_init(&pr, 5);
    CHECK_OK(mcgk_eccsi_sign(&signer, NULL, 0, &rng, sig));
    CHECK_OK(mcgk_eccsi_verify(kpak, id, id_len, NULL, 0, sig));
    CHECK_OK(mcgk_eccsi_verify(kpak, id, id_len, M, 0, sig));
    CHECK_ERR(mcgk_eccsi_verify(kpak, id, id_len, M, m_len, sig), MCGK_ERR_SIGNATURE);
    mcgk_eccsi_signer_clear(&signer);
    free(kpak);
    free(id);
    free(ssk);
    free(pvt);
    free(M);
    free(j);
}

/*
 * RFC 6507 §5.2.1 step 4: when HE + r*SSK = 0 mod q a new j is drawn. The
 * SSK is chosen (in a hand-filled signer) so that the first j hits this case.
 */
static void test_sign_retries_when_he_plus_r_ssk_is_zero(void)
{
    size_t n, m_len;
    uint8_t *hs = vec("HS", &n), *M = vec("M", &m_len), *j = vec("j", &n), *pvt = vec("PVT", &n);
    uint8_t j1[32] = {0};
    j1[31] = 7;
    uint8_t J1[65];
    CHECK_OK(mcgk_eccsi_kpak_from_ksak(j1, J1));
    /* HE for r1 = x([7]G), then SSK = -HE / r1 mod q */
    uint8_t he[32];
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, hs, 32);
    SHA256_Update(&c, J1 + 1, 32);
    SHA256_Update(&c, M, m_len);
    SHA256_Final(he, &c);
    uint64_t hel[4], rl[4], t[4], minus[4], sl[4];
    mcgk_p256_scalar_reduce_be(hel, he);
    mcgk_p256_scalar_reduce_be(rl, J1 + 1);
    mcgk_limbs_sub(minus, mcgk_p256_q.m, hel, 4); /* -HE mod q (HE != 0) */
    mcgk_p256_scalar_inv(t, rl);
    mcgk_p256_scalar_mul(sl, minus, t);
    mcgk_eccsi_signer signer;
    mcgk_p256_scalar_to_be(signer.ssk, sl);
    memcpy(signer.pvt, pvt, 65);
    memcpy(signer.hs, hs, 32);
    uint8_t draws[64];
    memcpy(draws, j1, 32);
    memcpy(draws + 32, j, 32);
    fixed f;
    fixed_init(&f, draws, sizeof draws);
    uint8_t sig[129], J[65];
    CHECK_OK(mcgk_eccsi_sign(&signer, M, m_len, &f.rng, sig));
    CHECK(f.st.pos == 64); /* the first j was discarded */
    CHECK_OK(mcgk_eccsi_kpak_from_ksak(j, J));
    CHECK_MEM(sig, J + 1, 32); /* r comes from the second j */
    /* and with only the bad j available the RNG runs dry */
    fixed_init(&f, draws, 32);
    CHECK_ERR(mcgk_eccsi_sign(&signer, M, m_len, &f.rng, sig), MCGK_ERR_RNG);
    free(hs);
    free(M);
    free(j);
    free(pvt);
}

static void test_verify_errors(void)
{
    size_t n, id_len, m_len;
    uint8_t *kpak = vec("KPAK", &n), *id = vec("ID", &id_len), *M = vec("M", &m_len);
    uint8_t *SIG = vec("SIGNATURE", &n);
    uint8_t sig[129], bad[65];
    /* KPAK and the PVT inside the signature: each point check */
    for (int w = 0; w < 6; w++) {
        make_bad_point(bad, kpak, w);
        CHECK_ERR(mcgk_eccsi_verify(bad, id, id_len, M, m_len, SIG), k_bad_point_err[w]);
        memcpy(sig, SIG, 129);
        make_bad_point(sig + 64, SIG + 64, w);
        CHECK_ERR(mcgk_eccsi_verify(kpak, id, id_len, M, m_len, sig), k_bad_point_err[w]);
    }
    /* r = 0, r = p, r = 2^256 - 1; s = 0, s = q, s = 2^256 - 1 */
    memcpy(sig, SIG, 129);
    memset(sig, 0, 32);
    CHECK_ERR(mcgk_eccsi_verify(kpak, id, id_len, M, m_len, sig), MCGK_ERR_SIGNATURE);
    memcpy(sig, k_p_be, 32);
    CHECK_ERR(mcgk_eccsi_verify(kpak, id, id_len, M, m_len, sig), MCGK_ERR_SIGNATURE);
    memset(sig, 0xFF, 32);
    CHECK_ERR(mcgk_eccsi_verify(kpak, id, id_len, M, m_len, sig), MCGK_ERR_SIGNATURE);
    memcpy(sig, SIG, 129);
    memset(sig + 32, 0, 32);
    CHECK_ERR(mcgk_eccsi_verify(kpak, id, id_len, M, m_len, sig), MCGK_ERR_SIGNATURE);
    memcpy(sig + 32, k_q_be, 32);
    CHECK_ERR(mcgk_eccsi_verify(kpak, id, id_len, M, m_len, sig), MCGK_ERR_SIGNATURE);
    memset(sig + 32, 0xFF, 32);
    CHECK_ERR(mcgk_eccsi_verify(kpak, id, id_len, M, m_len, sig), MCGK_ERR_SIGNATURE);
    /* s + q does not fit, s - q for s < q would be negative: only s itself is accepted */
    /* another identity, another KPAK */
    uint8_t other[26];
    memcpy(other, id, 26);
    other[0] ^= 0x80;
    CHECK_ERR(mcgk_eccsi_verify(kpak, other, 26, M, m_len, SIG), MCGK_ERR_SIGNATURE);
    uint8_t G[65], one[32] = {0};
    one[31] = 1;
    CHECK_OK(mcgk_eccsi_kpak_from_ksak(one, G));
    CHECK_ERR(mcgk_eccsi_verify(G, id, id_len, M, m_len, SIG), MCGK_ERR_SIGNATURE);
    /* arguments */
    CHECK_ERR(mcgk_eccsi_verify(NULL, id, id_len, M, m_len, SIG), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_verify(kpak, NULL, id_len, M, m_len, SIG), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_verify(kpak, id, id_len, NULL, m_len, SIG), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_verify(kpak, id, id_len, M, m_len, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_eccsi_verify(kpak, id, 0, M, m_len, SIG), MCGK_ERR_IDENTITY);
    CHECK_ERR(mcgk_eccsi_verify(kpak, id, MCGK_ECCSI_ID_MAX_LEN + 1, M, m_len, SIG),
              MCGK_ERR_IDENTITY);
    free(kpak);
    free(id);
    free(M);
    free(SIG);
}

/* every single-bit flip in every octet of a valid signature is rejected */
static void test_R_003_17_every_signature_flip_rejected(void)
{
    size_t n, id_len, m_len;
    uint8_t *kpak = vec("KPAK", &n), *id = vec("ID", &id_len), *M = vec("M", &m_len);
    uint8_t *SIG = vec("SIGNATURE", &n);
    uint8_t sig[129];
    int step = mcgk_test_quick() ? 4 : 1;
    for (size_t i = 0; i < 129; i++) {
        for (int b = 0; b < 8; b += step) {
            memcpy(sig, SIG, 129);
            sig[i] ^= (uint8_t)(1u << b);
            mcgk_err e = mcgk_eccsi_verify(kpak, id, id_len, M, m_len, sig);
            CHECK(e != MCGK_OK);
            if (i < 64)
                CHECK_ERR(e, MCGK_ERR_SIGNATURE);
        }
        memcpy(sig, SIG, 129);
        sig[i] ^= 0xFF;
        CHECK(mcgk_eccsi_verify(kpak, id, id_len, M, m_len, sig) != MCGK_OK);
    }
    /* and every flip of the message */
    uint8_t m[8];
    for (size_t i = 0; i < m_len && i < sizeof m; i++) {
        memcpy(m, M, m_len);
        m[i] ^= 0x01;
        CHECK_ERR(mcgk_eccsi_verify(kpak, id, id_len, m, m_len, SIG), MCGK_ERR_SIGNATURE);
    }
    free(kpak);
    free(id);
    free(M);
    free(SIG);
}

/* ---- random round trips ---- */

static void test_random_round_trips(void)
{
    mcgk_test_prng pr;
    mcgk_rng rng = mcgk_test_prng_init(&pr, 0xECC51);
    int kms_rounds = mcgk_test_quick() ? 2 : 5;
    int ids = mcgk_test_quick() ? 5 : 40;
    for (int k = 0; k < kms_rounds; k++) {
        uint8_t ksak[32], kpak[65];
        CHECK_OK(mcgk_eccsi_kms_keygen(&rng, ksak, kpak));
        uint8_t prev_id[64], prev_ssk[32], prev_pvt[65];
        size_t prev_len = 0;
        for (int i = 0; i < ids; i++) {
            uint8_t id[64], ssk[32], pvt[65], msg[200], sig[129];
            size_t id_len = 1 + (size_t)(mcgk_test_prng_next(&pr) % sizeof id);
            size_t msg_len = (size_t)(mcgk_test_prng_next(&pr) % sizeof msg);
            mcgk_test_prng_fill(&pr, id, id_len);
            mcgk_test_prng_fill(&pr, msg, msg_len);
            CHECK_OK(mcgk_eccsi_issue(ksak, id, id_len, &rng, ssk, pvt));
            CHECK_OK(mcgk_eccsi_validate_ssk(kpak, id, id_len, ssk, pvt));
            mcgk_eccsi_signer signer;
            CHECK_OK(mcgk_eccsi_signer_init(&signer, kpak, id, id_len, ssk, pvt));
            CHECK_OK(mcgk_eccsi_sign(&signer, msg, msg_len, &rng, sig));
            CHECK_OK(mcgk_eccsi_verify(kpak, id, id_len, msg, msg_len, sig));
            /* a random flipped bit anywhere in the signature */
            size_t bit = (size_t)(mcgk_test_prng_next(&pr) % (129 * 8));
            sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            CHECK(mcgk_eccsi_verify(kpak, id, id_len, msg, msg_len, sig) != MCGK_OK);
            sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            if (prev_len > 0) {
                /* the previous identity's key set does not validate for this one */
                CHECK_ERR(mcgk_eccsi_validate_ssk(kpak, id, id_len, prev_ssk, prev_pvt),
                          MCGK_ERR_SSK_INVALID);
                CHECK_ERR(mcgk_eccsi_verify(kpak, prev_id, prev_len, msg, msg_len, sig),
                          MCGK_ERR_SIGNATURE);
            }
            memcpy(prev_id, id, id_len);
            prev_len = id_len;
            memcpy(prev_ssk, ssk, 32);
            memcpy(prev_pvt, pvt, 65);
            mcgk_eccsi_signer_clear(&signer);
        }
    }
}

int main(void)
{
    V = mcgk_vec_load("rfc6507-eccsi.txt");
    TEST_RUN(test_rfc6507_kpak);
    TEST_RUN(test_rfc6507_issue);
    TEST_RUN(test_rfc6507_validate);
    TEST_RUN(test_rfc6507_sign);
    TEST_RUN(test_rfc6507_verify);
    TEST_RUN(test_streamwide_key_sets_validate);
    TEST_RUN(test_R_003_17_streamwide_imessage_signatures);
    TEST_RUN(test_kms_keygen_and_kpak_errors);
    TEST_RUN(test_issue_errors);
    TEST_RUN(test_hs_errors);
    TEST_RUN(test_validate_errors);
    TEST_RUN(test_sign_errors);
    TEST_RUN(test_sign_retries_when_he_plus_r_ssk_is_zero);
    TEST_RUN(test_verify_errors);
    TEST_RUN(test_R_003_17_every_signature_flip_rejected);
    TEST_RUN(test_random_round_trips);
    mcgk_vec_free(V);
    TEST_MAIN_END();
}
