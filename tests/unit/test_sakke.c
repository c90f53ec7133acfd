/*
 * SAKKE (RFC 6508, parameter set 1 of RFC 6509): every value of
 * tests/vectors/rfc6508-sakke.txt (RFC 6508 Appendix A + intermediates),
 * the Streamwide key sets and I_MESSAGE SAKKE payloads, the field and curve
 * arithmetic against GMP, and every error code of mcgk/sakke.h.
 */
#include <gmp.h>
#include <openssl/sha.h>

#include "crypto/sakke_internal.h"
#include "mcgk/kdf.h"
#include "mcgk/sakke.h"
#include "test.h"

static mcgk_vecfile *V;

static uint8_t *vec(const char *name, size_t *len) { return mcgk_vec_hex(V, NULL, name, len); }

static void test_rfc6508_params_and_g(void)
{
    const sk_params *S = sk_params_get();
    CHECK(S != NULL);
    size_t n;
    uint8_t *P = vec("P", &n);
    uint8_t enc[257];
    sk_point_encode(enc, &S->P, S);
    CHECK(n == 257);
    CHECK_MEM(enc, P, 257);
    /* g = <P, P> (RFC 6508 §3.2) recomputed with the pairing */
    sk_lines L;
    CHECK_OK(sk_lines_build(&L, &S->P, S));
    uint64_t w[SK_N], v1[SK_N], v2[SK_N];
    sk_pairing_eval(v1, v2, &L, &S->P, S);
    sk_pf_to_fp(w, v1, v2, S);
    CHECK(mcgk_limbs_eq_mask(w, S->g, SK_N) != 0);
    CHECK(sk_pf_eq_fp_mask(v1, v2, S->g, S) != 0);
    /* the one-pass pairing agrees */
    sk_pairing(v1, v2, &S->P, &S->P, S);
    CHECK(sk_pf_eq_fp_mask(v1, v2, S->g, S) != 0);
    sk_lines_free(&L);
    free(P);
}

static void test_rfc6508_kms_Z_and_rsk(void)
{
    size_t zl, Zl, bl, rl;
    uint8_t *z = vec("z", &zl), *Z = vec("Z", &Zl), *b = vec("b", &bl), *rsk = vec("RSK", &rl);
    uint8_t out[257];
    CHECK_OK(mcgk_sakke_public_from_secret(z, zl, out));
    CHECK_MEM(out, Z, 257);
    CHECK_OK(mcgk_sakke_rsk_issue(z, zl, b, bl, out));
    CHECK_MEM(out, rsk, 257);
    mcgk_sakke_community *c = NULL;
    CHECK_OK(mcgk_sakke_community_new(Z, &c));
    CHECK_OK(mcgk_sakke_rsk_validate(c, b, bl, rsk));
    mcgk_sakke_community_free(c);
    free(z);
    free(Z);
    free(b);
    free(rsk);
}

static void test_rfc6508_intermediates(void)
{
    const sk_params *S = sk_params_get();
    size_t n, bl, zl;
    uint8_t *b = vec("b", &bl), *z = vec("z", &zl);
    /* [b]P + Z */
    uint8_t *bPZ = vec("bP_plus_Z", &n);
    uint64_t bs[SK_N], one[SK_N] = {1}, zinv[SK_N];
    mcgk_limbs_from_be(bs, SK_N, b, bl);
    uint8_t *Zb = vec("Z", &n);
    mcgk_sakke_community *c = NULL;
    CHECK_OK(mcgk_sakke_community_new(Zb, &c));
    sk_jac J;
    sk_affine A;
    uint8_t enc[257];
    /* the community's Z table is internal; recompute [b]P + [1]Z via a fresh table */
    sk_affine Zp;
    CHECK_OK(sk_point_decode(&Zp, Zb, 257, S));
    sk_fb_table *Zt = sk_fb_table_new(&Zp, S);
    CHECK(sk_fb_mul2(&J, S->P_table, bs, Zt, one, S) == 0);
    mcgk_mont_inv(zinv, J.Z, &S->p);
    sk_jac_to_affine_with_zinv(&A, &J, zinv, S);
    sk_point_encode(enc, &A, S);
    CHECK_MEM(enc, bPZ, 257);
    /* HashToIntegerRange internals */
    uint8_t *h1 = vec("HTIR_h1", &n);
    CHECK_MEM(S->h[0], h1, 32);
    uint8_t *gr = vec("g_pow_r", &n), *mask = vec("mask", &n);
    uint8_t m[16];
    CHECK_OK(mcgk_sakke_hash_to_mask(gr, 128, m));
    CHECK_MEM(m, mask, 16);
    /* r = HashToIntegerRange(SSV || b, q) with its first step A = SHA-256(SSV || b) */
    uint8_t *r = vec("r", &n);
    {
        size_t sl, al;
        uint8_t *ssv = vec("SSV", &sl), *rA = vec("HTIR_r_A", &al);
        uint8_t buf[16 + 64], dig[32], rb[128];
        uint64_t rr[SK_N];
        memcpy(buf, ssv, 16);
        memcpy(buf + 16, b, bl);
        SHA256(buf, 16 + bl, dig);
        CHECK(al == 32);
        CHECK_MEM(dig, rA, 32);
        sk_htir_q(rr, buf, 16 + bl, S);
        mcgk_limbs_to_be(rb, 128, rr, SK_N);
        CHECK_MEM(rb + 128 - n, r, n);
        /* the mask's internals: A = SHA-256(g^r), v1 = SHA-256(h1 || A), mask = v1 mod 2^128 */
        size_t gl;
        uint8_t *g_r = vec("g_pow_r", &gl), *mA = vec("HTIR_mask_A", &al), *v1 = vec("HTIR_v1", &al);
        SHA256(g_r, gl, dig);
        CHECK_MEM(dig, mA, 32);
        memcpy(buf, S->h[0], 32);
        memcpy(buf + 32, dig, 32);
        SHA256(buf, 64, dig);
        CHECK_MEM(dig, v1, 32);
        /* w (receiver) equals g^r (sender) */
        uint8_t *w = vec("w", &al);
        CHECK(al == gl);
        CHECK_MEM(w, g_r, gl);
        free(ssv);
        free(rA);
        free(g_r);
        free(mA);
        free(v1);
        free(w);
    }
    /* g^r by the fixed-base table */
    uint64_t rs[SK_N], x1[SK_N], x2[SK_N], inv[SK_N], w[SK_N], wn[SK_N];
    mcgk_limbs_from_be(rs, SK_N, r, n);
    sk_g_pow(x1, x2, rs, S);
    mcgk_mont_inv(inv, x1, &S->p);
    sk_mul(w, x2, inv, S);
    mcgk_mont_from(wn, w, &S->p);
    uint8_t wb[128];
    mcgk_limbs_to_be(wb, 128, wn, SK_N);
    CHECK_MEM(wb, gr, 128);
    free(Zt);
    mcgk_sakke_community_free(c);
    free(b);
    free(z);
    free(bPZ);
    free(Zb);
    free(h1);
    free(gr);
    free(mask);
    free(r);
}

static void test_rfc6508_encapsulate_decapsulate(void)
{
    size_t n, bl;
    uint8_t *Z = vec("Z", &n), *b = vec("b", &bl), *rsk = vec("RSK", &n), *ssv = vec("SSV", &n);
    uint8_t *ed = vec("ENCAPSULATED_DATA", &n);
    CHECK(n == MCGK_SAKKE_ENCAP_LEN);
    mcgk_sakke_community *c = NULL;
    mcgk_sakke_receiver *r = NULL;
    CHECK_OK(mcgk_sakke_community_new(Z, &c));
    uint8_t enc[MCGK_SAKKE_ENCAP_LEN], out[16];
    CHECK_OK(mcgk_sakke_encapsulate(c, b, bl, ssv, enc));
    CHECK_MEM(enc, ed, MCGK_SAKKE_ENCAP_LEN);
    CHECK_OK(mcgk_sakke_receiver_new(c, b, bl, rsk, &r));
    CHECK_OK(mcgk_sakke_decapsulate(r, ed, out));
    CHECK_MEM(out, ssv, 16);
    /* the negative case: H altered -> TEST fails (RFC 6508 §6.2.2 step 5) */
    uint8_t *bad = vec("ENCAPSULATED_DATA_BAD_H", &n);
    CHECK_ERR(mcgk_sakke_decapsulate(r, bad, out), MCGK_ERR_DECAPSULATE);
    static const uint8_t zero[16];
    CHECK_MEM(out, zero, 16);
    mcgk_sakke_receiver_free(r);
    mcgk_sakke_community_free(c);
    free(Z);
    free(b);
    free(rsk);
    free(ssv);
    free(ed);
    free(bad);
}

/* Streamwide: independent KMS data and real I_MESSAGEs (SAKKE payload = 273 octets after the
 * SAKKE payload header 1a 00 01 02 01 11 ... located by searching the payload header) */
static void test_streamwide_rsk_and_imessages(void)
{
    mcgk_vecfile *W = mcgk_vec_load("streamwide-mikey-sakke.txt");
    size_t n;
    uint8_t *Z = mcgk_vec_hex(W, "kms", "Z", &n);
    mcgk_sakke_community *c = NULL;
    CHECK_OK(mcgk_sakke_community_new(Z, &c));
    const char *users[] = {"user.GMS", "user.Alice", "user.IWF", "user.Bob"};
    for (size_t i = 0; i < 4; i++) {
        size_t ul, rl;
        uint8_t *uid = mcgk_vec_hex(W, users[i], "uid", &ul);
        uint8_t *rsk = mcgk_vec_hex(W, users[i], "rsk", &rl);
        CHECK_OK(mcgk_sakke_rsk_validate(c, uid, ul, rsk));
        /* the RSK of one user is not valid for another */
        uint8_t *other = mcgk_vec_hex(W, users[(i + 1) % 4], "uid", &ul);
        CHECK_ERR(mcgk_sakke_rsk_validate(c, other, ul, rsk), MCGK_ERR_RSK_INVALID);
        free(other);
        free(uid);
        free(rsk);
    }
    /* every I_MESSAGE: find the recipient by the IDRuidr in the message, decapsulate */
    for (size_t s = 0; s < mcgk_vec_section_count(W); s++) {
        const char *sec = mcgk_vec_section_name(W, s);
        if (strncmp(sec, "imessage.", 9) != 0)
            continue;
        size_t ml, kl;
        uint8_t *msg = mcgk_vec_hex(W, sec, "i_message", &ml);
        uint8_t *key = mcgk_vec_hex(W, sec, "stated_key", &kl);
        int opened = 0;
        for (size_t u = 0; u < 4; u++) {
            size_t ul, rl;
            uint8_t *uid = mcgk_vec_hex(W, users[u], "uid", &ul);
            /* IDRuidr payload: 0e 09 01 0020 <uid> appears in the message */
            int found = 0;
            for (size_t k = 0; k + 5 + 32 <= ml; k++)
                if (msg[k + 1] == 9 && msg[k + 3] == 0 && msg[k + 4] == 32 &&
                    memcmp(msg + k + 5, uid, 32) == 0)
                    found = 1;
            if (found) {
                uint8_t *rsk = mcgk_vec_hex(W, users[u], "rsk", &rl);
                mcgk_sakke_receiver *r = NULL;
                CHECK_OK(mcgk_sakke_receiver_new(c, uid, ul, rsk, &r));
                /* the SAKKE payload: next(1) params=1 scheme len=0x0111 then 273 octets */
                for (size_t k = 0; k + 5 + 273 <= ml; k++) {
                    if (msg[k + 1] == 1 && msg[k + 3] == 0x01 && msg[k + 4] == 0x11 &&
                        msg[k + 5] == 0x04) {
                        uint8_t out[16];
                        if (mcgk_sakke_decapsulate(r, msg + k + 5, out) == MCGK_OK &&
                            memcmp(out, key, 16) == 0)
                            opened = 1;
                    }
                }
                mcgk_sakke_receiver_free(r);
                free(rsk);
            }
            free(uid);
        }
        if (!opened)
            printf("  %s did not open\n", sec);
        CHECK(opened);
        free(msg);
        free(key);
    }
    mcgk_sakke_community_free(c);
    free(Z);
    mcgk_vec_free(W);
}

/* random round trips with KMS keys made here */
static void test_random_round_trips(void)
{
    mcgk_test_prng pr;
    mcgk_rng rng = mcgk_test_prng_init(&pr, 6508);
    uint8_t z[128], Z[257];
    CHECK_OK(mcgk_sakke_kms_keygen(&rng, z, Z));
    mcgk_sakke_community *c = NULL;
    CHECK_OK(mcgk_sakke_community_new(Z, &c));
    int rounds = mcgk_test_quick() ? 2 : 8;
    for (int i = 0; i < rounds; i++) {
        uint8_t id[32], rsk[257], ssv[16], enc[273], out[16];
        mcgk_test_prng_fill(&pr, id, sizeof id);
        mcgk_test_prng_fill(&pr, ssv, sizeof ssv);
        CHECK_OK(mcgk_sakke_rsk_issue(z, sizeof z, id, sizeof id, rsk));
        mcgk_sakke_receiver *r = NULL;
        CHECK_OK(mcgk_sakke_receiver_new(c, id, sizeof id, rsk, &r));
        CHECK_OK(mcgk_sakke_encapsulate(c, id, sizeof id, ssv, enc));
        CHECK_OK(mcgk_sakke_decapsulate(r, enc, out));
        CHECK_MEM(out, ssv, 16);
        /* a flipped bit in H or in R is rejected */
        enc[257 + (size_t)i % 16] ^= 1;
        CHECK_ERR(mcgk_sakke_decapsulate(r, enc, out), MCGK_ERR_DECAPSULATE);
        enc[257 + (size_t)i % 16] ^= 1;
        enc[200] ^= 0x10; /* R no longer on the curve */
        CHECK_ERR(mcgk_sakke_decapsulate(r, enc, out), MCGK_ERR_POINT_NOT_ON_CURVE);
        mcgk_sakke_receiver_free(r);
    }
    mcgk_sakke_community_free(c);
}

static void test_error_codes(void)
{
    size_t n, bl;
    uint8_t *Z = vec("Z", &n), *b = vec("b", &bl), *rsk = vec("RSK", &n), *z = vec("z", &n);
    size_t zl = n;
    const sk_params *S = sk_params_get();
    mcgk_sakke_community *c = NULL;
    uint8_t bad[257], out[257], ssv[16] = {1};
    CHECK_ERR(mcgk_sakke_community_new(NULL, &c), MCGK_ERR_INVALID_ARG);
    memcpy(bad, Z, 257);
    bad[0] = 0x02;
    CHECK_ERR(mcgk_sakke_community_new(bad, &c), MCGK_ERR_POINT_FORMAT);
    memset(bad, 0, 257);
    bad[0] = 0x04;
    CHECK_ERR(mcgk_sakke_community_new(bad, &c), MCGK_ERR_POINT_INFINITY);
    memcpy(bad, Z, 257);
    bad[256] ^= 1;
    CHECK_ERR(mcgk_sakke_community_new(bad, &c), MCGK_ERR_POINT_NOT_ON_CURVE);
    /* x = p: out of range */
    memcpy(bad, Z, 257);
    mcgk_limbs_to_be(bad + 1, 128, S->p.m, SK_N);
    CHECK_ERR(mcgk_sakke_community_new(bad, &c), MCGK_ERR_POINT_RANGE);
    CHECK(c == NULL);
    CHECK_OK(mcgk_sakke_community_new(Z, &c));
    /* RSK checks */
    CHECK_ERR(mcgk_sakke_rsk_validate(c, b, 0, rsk), MCGK_ERR_IDENTITY);
    CHECK_ERR(mcgk_sakke_rsk_validate(c, b, MCGK_SAKKE_ID_MAX_LEN + 1, rsk), MCGK_ERR_IDENTITY);
    CHECK_ERR(mcgk_sakke_rsk_validate(c, b, bl, NULL), MCGK_ERR_INVALID_ARG);
    memcpy(bad, rsk, 257);
    bad[100] ^= 1;
    CHECK_ERR(mcgk_sakke_rsk_validate(c, b, bl, bad), MCGK_ERR_POINT_NOT_ON_CURVE);
    /* a valid point that is not the RSK: P itself */
    sk_point_encode(bad, &S->P, S);
    CHECK_ERR(mcgk_sakke_rsk_validate(c, b, bl, bad), MCGK_ERR_RSK_INVALID);
    /* KMS side */
    uint8_t zero[128] = {0};
    CHECK_ERR(mcgk_sakke_rsk_issue(zero, sizeof zero, b, bl, out), MCGK_ERR_SCALAR_RANGE);
    uint8_t qb[128];
    mcgk_limbs_to_be(qb, 128, S->q.m, SK_N);
    CHECK_ERR(mcgk_sakke_public_from_secret(qb, 128, out), MCGK_ERR_SCALAR_RANGE);
    CHECK_ERR(mcgk_sakke_public_from_secret(z, 0, out), MCGK_ERR_LENGTH);
    CHECK_ERR(mcgk_sakke_public_from_secret(qb, 129, out), MCGK_ERR_LENGTH);
    CHECK_ERR(mcgk_sakke_rsk_issue(z, zl, b, 0, out), MCGK_ERR_IDENTITY);
    /* an identity with a + z = 0 mod q cannot be given a key: a = q - z */
    {
        uint64_t zz[SK_N], a[SK_N];
        uint8_t ab[128];
        mcgk_limbs_from_be(zz, SK_N, z, zl);
        mcgk_limbs_sub(a, S->q.m, zz, SK_N);
        mcgk_limbs_to_be(ab, 128, a, SK_N);
        CHECK_ERR(mcgk_sakke_rsk_issue(z, zl, ab, 128, out), MCGK_ERR_IDENTITY);
    }
    uint8_t enc[273];
    CHECK_ERR(mcgk_sakke_encapsulate(c, b, 0, ssv, enc), MCGK_ERR_IDENTITY);
    CHECK_ERR(mcgk_sakke_encapsulate(NULL, b, bl, ssv, enc), MCGK_ERR_INVALID_ARG);
    mcgk_sakke_receiver *r = NULL;
    CHECK_OK(mcgk_sakke_receiver_new(c, b, bl, rsk, &r));
    CHECK_OK(mcgk_sakke_encapsulate(c, b, bl, ssv, enc));
    uint8_t o[16];
    enc[0] = 0x05;
    CHECK_ERR(mcgk_sakke_decapsulate(r, enc, o), MCGK_ERR_POINT_FORMAT);
    memset(enc, 0, 257);
    enc[0] = 4;
    CHECK_ERR(mcgk_sakke_decapsulate(r, enc, o), MCGK_ERR_POINT_INFINITY);
    CHECK_ERR(mcgk_sakke_decapsulate(r, NULL, o), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_sakke_hash_to_mask(NULL, 1, o), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_sakke_kms_keygen(NULL, zero, out), MCGK_ERR_RNG);
    mcgk_sakke_receiver_free(r);
    mcgk_sakke_community_free(c);
    free(Z);
    free(b);
    free(rsk);
    free(z);
}

/* The Montgomery arithmetic mod p and mod q against GMP, on random values and
 * edges (0, 1, m-1); values >= p are refused by the decoders. */
static void check_mont_against_gmp(const mcgk_mont *M, uint64_t seed);

static void test_field_against_gmp(void)
{
    const sk_params *S = sk_params_get();
    check_mont_against_gmp(&S->p, 1024);
    check_mont_against_gmp(&S->q, 1022);
    /* values >= p are rejected by the point decoder (range check) */
    uint8_t pt[257] = {4};
    mcgk_limbs_to_be(pt + 1, 128, S->p.m, SK_N);
    sk_affine A;
    CHECK_ERR(sk_point_decode(&A, pt, 257, S), MCGK_ERR_POINT_RANGE);
    CHECK_ERR(sk_point_decode(&A, pt, 256, S), MCGK_ERR_LENGTH);
}

static void check_mont_against_gmp(const mcgk_mont *M, uint64_t seed)
{

    mcgk_test_prng pr;
    mcgk_test_prng_init(&pr, seed);
    mpz_t p, a, b, c, R;
    mpz_inits(p, a, b, c, R, NULL);
    mpz_import(p, SK_N, -1, 8, 0, 0, M->m);
    mpz_setbit(R, 1024);
    int rounds = mcgk_test_quick() ? 50 : 500;
    for (int i = 0; i < rounds; i++) {
        uint64_t x[SK_N], y[SK_N], xm[SK_N], ym[SK_N], zm[SK_N], z[SK_N], w[SK_N];
        mcgk_test_prng_fill(&pr, (uint8_t *)x, sizeof x);
        mcgk_test_prng_fill(&pr, (uint8_t *)y, sizeof y);
        if (i == 0)
            memset(x, 0, sizeof x);
        if (i == 1) {
            memset(x, 0, sizeof x);
            x[0] = 1;
        }
        if (i == 2) {
            memcpy(x, M->m, sizeof x);
            x[0] -= 1;
            memcpy(y, x, sizeof y);
        }
        mpz_import(a, SK_N, -1, 8, 0, 0, x);
        mpz_import(b, SK_N, -1, 8, 0, 0, y);
        mpz_mod(a, a, p);
        mpz_mod(b, b, p);
        memset(x, 0, sizeof x);
        memset(y, 0, sizeof y);
        mpz_export(x, NULL, -1, 8, 0, 0, a);
        mpz_export(y, NULL, -1, 8, 0, 0, b);
        mcgk_mont_to(xm, x, M);
        mcgk_mont_to(ym, y, M);
        /* product */
        mcgk_mont_mul(zm, xm, ym, M);
        mcgk_mont_from(z, zm, M);
        mpz_mul(c, a, b);
        mpz_mod(c, c, p);
        memset(w, 0, sizeof w);
        mpz_export(w, NULL, -1, 8, 0, 0, c);
        CHECK(memcmp(z, w, sizeof z) == 0);
        /* sum and difference */
        mcgk_mont_add(z, x, y, M);
        mpz_add(c, a, b);
        mpz_mod(c, c, p);
        memset(w, 0, sizeof w);
        mpz_export(w, NULL, -1, 8, 0, 0, c);
        CHECK(memcmp(z, w, sizeof z) == 0);
        mcgk_mont_sub(z, x, y, M);
        mpz_sub(c, a, b);
        mpz_mod(c, c, p);
        memset(w, 0, sizeof w);
        mpz_export(w, NULL, -1, 8, 0, 0, c);
        CHECK(memcmp(z, w, sizeof z) == 0);
        /* inverse */
        if (i % 10 == 3) {
            mcgk_mont_inv(zm, xm, M);
            mcgk_mont_from(z, zm, M);
            if (mpz_sgn(a) != 0) {
                mpz_invert(c, a, p);
                memset(w, 0, sizeof w);
                mpz_export(w, NULL, -1, 8, 0, 0, c);
                CHECK(memcmp(z, w, sizeof z) == 0);
            }
        }
    }
    mpz_clears(p, a, b, c, R, NULL);
}

int main(void)
{
    V = mcgk_vec_load("rfc6508-sakke.txt");
    TEST_RUN(test_rfc6508_params_and_g);
    TEST_RUN(test_rfc6508_kms_Z_and_rsk);
    TEST_RUN(test_rfc6508_intermediates);
    TEST_RUN(test_rfc6508_encapsulate_decapsulate);
    TEST_RUN(test_streamwide_rsk_and_imessages);
    TEST_RUN(test_random_round_trips);
    TEST_RUN(test_error_codes);
    TEST_RUN(test_field_against_gmp);
    mcgk_vec_free(V);
    TEST_MAIN_END();
}
