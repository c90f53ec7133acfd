/*
 * SAKKE internals: the parameter-set-1 field, curve, fixed-base tables and
 * pairing (RFC 6508 §2-§3, RFC 6509 Appendix A). Shared by sakke_curve.c,
 * sakke_pairing.c and sakke.c only.
 *
 * Elements of F_p are 16-limb arrays in Montgomery form. Points are affine
 * (x, y) or Jacobian (X, Y, Z) with x = X/Z^2, y = Y/Z^3.
 */
#ifndef MCGK_CRYPTO_SAKKE_INTERNAL_H
#define MCGK_CRYPTO_SAKKE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/mont.h"
#include "mcgk/error.h"

#define SK_N 16         /* limbs per element */
#define SK_WIN_BITS 6   /* signed-digit window width of the point tables */
#define SK_WINDOWS 171  /* ceil(1022 / 6): scalars are < q < 2^1022 */
#define SK_WIN_ENTRIES 32 /* |digit| in 1..32 */
#define SK_G_WIN_BITS 4 /* unsigned window width of the g table */
#define SK_G_WINDOWS 256

typedef uint64_t sk_fp[SK_N];

typedef struct sk_affine {
    sk_fp x, y;
} sk_affine;

typedef struct sk_jac {
    sk_fp X, Y, Z;
} sk_jac;

/* The fixed-base table of a point B: T[i][d-1] = [d * 64^i]B, affine, d in 1..32. */
typedef struct sk_fb_table {
    sk_affine t[SK_WINDOWS][SK_WIN_ENTRIES];
} sk_fb_table;

/* The fixed-base table of g in PF_p: s[i][d] with (1, s) ~ (1, g)^(d*16^i); s[i][0] = 0. */
typedef struct sk_g_table {
    sk_fp s[SK_G_WINDOWS][16];
} sk_g_table;

typedef struct sk_params {
    mcgk_mont p, q;
    sk_affine P;         /* generator, Montgomery form */
    sk_fp g;             /* <P,P> as the F_p representative, Montgomery form */
    sk_fp three;         /* 3 in Montgomery form */
    uint64_t q_minus_1[SK_N]; /* normal form */
    unsigned q_bits;     /* bit length of q */
    int8_t naf[64 * SK_N + 1]; /* non-adjacent form of q - 1, least significant digit first */
    unsigned naf_len;    /* digits; naf[naf_len - 1] == 1 */
    uint8_t h[4][32];    /* HashToIntegerRange chain h_1..h_4 = SHA-256 iterates of 0^256 */
    const sk_fb_table *P_table;
    const sk_g_table *g_table;
} sk_params;

/* The parameters, built on first use (thread safe). NULL only if out of memory. */
const sk_params *sk_params_get(void);

/* ---- field ---- */
static inline void sk_mul(uint64_t *r, const uint64_t *a, const uint64_t *b, const sk_params *S)
{
    mcgk_mont_mul(r, a, b, &S->p);
}
static inline void sk_sqr(uint64_t *r, const uint64_t *a, const sk_params *S)
{
    mcgk_mont_sqr(r, a, &S->p);
}
static inline void sk_add(uint64_t *r, const uint64_t *a, const uint64_t *b, const sk_params *S)
{
    mcgk_mont_add(r, a, b, &S->p);
}
static inline void sk_sub(uint64_t *r, const uint64_t *a, const uint64_t *b, const sk_params *S)
{
    mcgk_mont_sub(r, a, b, &S->p);
}

/* ---- points ---- */

/* Decode 0x04||x||y (257 octets) with every check; the all-zero point counts as infinity.
 * Returns MCGK_OK, MCGK_ERR_LENGTH, _POINT_FORMAT, _POINT_RANGE, _POINT_INFINITY, _POINT_NOT_ON_CURVE. */
mcgk_err sk_point_decode(sk_affine *pt, const uint8_t *in, size_t len, const sk_params *S);
void sk_point_encode(uint8_t out[257], const sk_affine *pt, const sk_params *S);

void sk_jac_double(sk_jac *r, const sk_jac *a, const sk_params *S);
/* The same, also writing the line (A, B, C: 3 * SK_N limbs) used by the pairing. */
void sk_jac_double_line(sk_jac *r, const sk_jac *a, uint64_t *line, const sk_params *S);
void sk_jac_madd_line(sk_jac *r, const sk_jac *a, const sk_affine *b, uint64_t *line,
                      const sk_params *S);
/* r = a + b (b affine); a != +-b, a not infinity. */
void sk_jac_madd(sk_jac *r, const sk_jac *a, const sk_affine *b, const sk_params *S);
/* r = a + b, general Jacobian (a != +-b, neither infinity); used for tables only. */
void sk_jac_add(sk_jac *r, const sk_jac *a, const sk_jac *b, const sk_params *S);
void sk_jac_from_affine(sk_jac *r, const sk_affine *a, const sk_params *S);
/* Affine from Jacobian given Z^-1 (Montgomery form). */
void sk_jac_to_affine_with_zinv(sk_affine *r, const sk_jac *a, const uint64_t *zinv,
                                const sk_params *S);

/* Build the fixed-base table of B (public point). Returns NULL when out of memory. */
sk_fb_table *sk_fb_table_new(const sk_affine *B, const sk_params *S);

/*
 * Constant time in k1, k2 (normal form, < q, 16 limbs):
 * acc = [k1]T1 + [k2]T2 (T2 may be NULL) as a Jacobian point, and a mask that
 * is all-ones when the result is the point at infinity.
 */
uint64_t sk_fb_mul2(sk_jac *acc, const sk_fb_table *T1, const uint64_t *k1, const sk_fb_table *T2,
                    const uint64_t *k2, const sk_params *S);

/* g^k in PF_p as a projective pair (x1, x2), constant time in k (< q, normal form). */
void sk_g_pow(uint64_t *x1, uint64_t *x2, const uint64_t *k, const sk_params *S);

/* HashToIntegerRange(s, q) of RFC 6508 §5.1 with SHA-256 (l = 4): the scalar r
 * of an encapsulation, normal form, constant time in s (sakke.c). */
void sk_htir_q(uint64_t *v, const uint8_t *s, size_t s_len, const sk_params *S);

/* ---- pairing (sakke_pairing.c) ---- */

/* The Miller-loop lines of a fixed first argument A (e.g. the RSK): for each step
 * the line at psi(Q) is proportional to (lambda*Qx + c) + i*Qy. */
typedef struct sk_lines {
    size_t count;
    uint64_t *coef; /* count * 2 * SK_N limbs: lambda, c */
} sk_lines;

/* Build the lines of A (constant time in A). Returns MCGK_ERR_NO_MEMORY or MCGK_OK. */
mcgk_err sk_lines_build(sk_lines *L, const sk_affine *A, const sk_params *S);
void sk_lines_free(sk_lines *L);
/* <A, Q> as a PF_p pair (v1, v2) (after the final exponentiation), using A's lines. */
void sk_pairing_eval(uint64_t *v1, uint64_t *v2, const sk_lines *L, const sk_affine *Q,
                     const sk_params *S);
/* <A, Q> in one pass, without a line table (for a one-off pairing). */
void sk_pairing(uint64_t *v1, uint64_t *v2, const sk_affine *A, const sk_affine *Q,
                const sk_params *S);
/* The F_p representative w = v2 / v1 of a PF_p pair (RFC 6508 §2.1). */
void sk_pf_to_fp(uint64_t *w, const uint64_t *v1, const uint64_t *v2, const sk_params *S);
/* all-ones when the pair (v1, v2) represents the F_p value t, without an inversion */
uint64_t sk_pf_eq_fp_mask(const uint64_t *v1, const uint64_t *v2, const uint64_t *t,
                          const sk_params *S);

#endif
