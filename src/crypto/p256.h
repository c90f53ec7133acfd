/*
 * NIST P-256 (internal): the field F_p, scalars mod the group order q, and
 * the group of y^2 = x^3 - 3x + B, as used by ECCSI (RFC 6507 §4.1 with the
 * RFC 6509 profile; curve from FIPS 186-4 D.1.2.3).
 *
 * Representation: field elements are 4 little-endian 64-bit limbs in
 * Montgomery form (a*2^256 mod p), always fully reduced. Points are affine
 * (x, y) or Jacobian (X, Y, Z) with x = X/Z^2, y = Y/Z^3; Z = 0 is the point
 * at infinity. Scalars are 4 limbs in normal form; scalar arithmetic mod q
 * goes through the shared Montgomery module (crypto/mont.h, mcgk_p256_q).
 *
 * Secret data: any scalar given to mcgk_p256_mul_base, and everything
 * derived from it before it is made public. Functions without _vartime in
 * their name run in time independent of their inputs, except
 * mcgk_p256_point_decode (received points are public); _vartime ones take
 * public data only (verification, validation against public points, tests).
 *
 * The fixed-base table for G is a generated constant (p256_table.c, 53 KB)
 * rather than a table built at first use: no initialisation, no lock or
 * once-flag on the signing path, read-only pages shared by every process,
 * and nothing for ctgrind to see but fixed addresses. The unit test
 * recomputes it from the group law.
 */
#ifndef MCGK_CRYPTO_P256_H
#define MCGK_CRYPTO_P256_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/mont.h"
#include "mcgk/error.h"

#define MCGK_P256_LIMBS 4
#define MCGK_P256_POINT_LEN 65
#define MCGK_P256_SCALAR_LEN 32

/* Fixed-base table for G: signed (Booth) 5-bit windows. */
#define MCGK_P256_WIN_BITS 5
#define MCGK_P256_WINDOWS 52 /* ceil(257 / 5): a 256-bit scalar plus the Booth carry */
#define MCGK_P256_WIN_ENTRIES 16 /* |digit| in 1..16 */

typedef uint64_t p256_fe[MCGK_P256_LIMBS];

typedef struct p256_aff {
    p256_fe x, y;
} p256_aff;

typedef struct p256_jac {
    p256_fe X, Y, Z;
} p256_jac;

/* Montgomery contexts of the field prime p and of the group order q. */
extern const mcgk_mont mcgk_p256_p;
extern const mcgk_mont mcgk_p256_q;
/* The generator G (affine, Montgomery form) and B in Montgomery form. */
extern const p256_aff mcgk_p256_g;
extern const p256_fe mcgk_p256_b;
/* The fixed-base table (generated, src/crypto/p256_table.c):
 * mcgk_p256_base_table[i][d-1] = [d * 2^(5i)]G, affine, Montgomery form. */
extern const p256_aff mcgk_p256_base_table[MCGK_P256_WINDOWS][MCGK_P256_WIN_ENTRIES];

/* ---- field F_p (constant time) ---- */

/* r = a*b/2^256 mod p (Montgomery product); r may alias a or b. */
void mcgk_p256_fe_mul(p256_fe r, const p256_fe a, const p256_fe b);
void mcgk_p256_fe_sqr(p256_fe r, const p256_fe a);
/* The portable C versions behind mcgk_p256_fe_mul/_add/_sub where the x86-64
 * mulx/adx assembly is not built; exported so tests check them everywhere. */
void mcgk_p256_fe_mul_portable(p256_fe r, const p256_fe a, const p256_fe b);
void mcgk_p256_fe_add_portable(p256_fe r, const p256_fe a, const p256_fe b);
void mcgk_p256_fe_sub_portable(p256_fe r, const p256_fe a, const p256_fe b);
void mcgk_p256_fe_add(p256_fe r, const p256_fe a, const p256_fe b);
void mcgk_p256_fe_sub(p256_fe r, const p256_fe a, const p256_fe b);
void mcgk_p256_fe_neg(p256_fe r, const p256_fe a);
/* r = a^-1 (Fermat, a fixed addition chain for p - 2); 0 maps to 0. */
void mcgk_p256_fe_inv(p256_fe r, const p256_fe a);
/* Normal form (< 2^256, any value) to Montgomery form, and back. */
void mcgk_p256_fe_to_mont(p256_fe r, const uint64_t a[MCGK_P256_LIMBS]);
void mcgk_p256_fe_from_mont(uint64_t r[MCGK_P256_LIMBS], const p256_fe a);

/* ---- scalars mod q (constant time) ---- */

/* k = the 32 big-endian octets; returns an all-ones mask when 1 <= k <= q-1. */
uint64_t mcgk_p256_scalar_from_be(uint64_t k[MCGK_P256_LIMBS], const uint8_t be[32]);
/* k = (the 32 big-endian octets, e.g. a SHA-256 value) mod q. */
void mcgk_p256_scalar_reduce_be(uint64_t k[MCGK_P256_LIMBS], const uint8_t be[32]);
void mcgk_p256_scalar_to_be(uint8_t be[32], const uint64_t k[MCGK_P256_LIMBS]);
/* Normal-form arithmetic mod q (inputs < q): r = a*b, a+b, and a^-1 by
 * Fermat (a^(q-2), a fixed chain on crypto/mont.c; 0 maps to 0). */
void mcgk_p256_scalar_mul(uint64_t r[MCGK_P256_LIMBS], const uint64_t a[MCGK_P256_LIMBS],
                          const uint64_t b[MCGK_P256_LIMBS]);
void mcgk_p256_scalar_add(uint64_t r[MCGK_P256_LIMBS], const uint64_t a[MCGK_P256_LIMBS],
                          const uint64_t b[MCGK_P256_LIMBS]);
void mcgk_p256_scalar_inv(uint64_t r[MCGK_P256_LIMBS], const uint64_t a[MCGK_P256_LIMBS]);

/* ---- points ---- */

/*
 * Decode 0x04||x||y (RFC 6507 §3.2, SEC1 uncompressed) with every check, in
 * this order: the all-zero octet string -> MCGK_ERR_POINT_INFINITY; first
 * octet not 0x04 -> MCGK_ERR_POINT_FORMAT; x or y >= p -> MCGK_ERR_POINT_RANGE;
 * x = y = 0 (a common encoding of infinity) -> MCGK_ERR_POINT_INFINITY; not on
 * the curve -> MCGK_ERR_POINT_NOT_ON_CURVE. Public data (variable time).
 * On error *P is untouched.
 */
mcgk_err mcgk_p256_point_decode(p256_aff *P, const uint8_t in[MCGK_P256_POINT_LEN]);
void mcgk_p256_point_encode(uint8_t out[MCGK_P256_POINT_LEN], const p256_aff *P);

void mcgk_p256_jac_from_aff(p256_jac *r, const p256_aff *a);
/* Affine form (one inversion); returns an all-ones mask when P is infinity
 * (then r = (0, 0)). Constant time. */
uint64_t mcgk_p256_jac_to_aff(p256_aff *r, const p256_jac *P);
/* Both affine forms with one inversion; A and B must be finite. Constant time. */
void mcgk_p256_jac_to_aff2(p256_aff *a, const p256_jac *A, p256_aff *b, const p256_jac *B);
/* All-ones when P and Q are the same point (either may be infinity). Constant time. */
uint64_t mcgk_p256_jac_eq_mask(const p256_jac *P, const p256_jac *Q);
/* 1 when the affine point satisfies the curve equation. Constant time. */
int mcgk_p256_aff_on_curve(const p256_aff *P);

/* r = 2P (a = -3 formula; infinity stays infinity). Constant time. */
void mcgk_p256_jac_dbl(p256_jac *r, const p256_jac *P);
/* r = P + Q for any P, Q (infinity, P == Q and P == -Q included). Public data. */
void mcgk_p256_jac_add_vartime(p256_jac *r, const p256_jac *P, const p256_jac *Q);

/*
 * r = [k]G for a secret k in [1, q-1] (normal form). Constant time: the
 * Booth digits of k are computed with masks and each table row is read in
 * full and selected with masks. Exception-free for k in [1, q-1] (p256.c
 * explains why the formulas never meet the doubling case).
 */
void mcgk_p256_mul_base(p256_jac *r, const uint64_t k[MCGK_P256_LIMBS]);

/*
 * r = [a]G + [b]P + [c]Q for public scalars (< 2^256) and public points;
 * a, b/P or c/Q may be NULL to drop the term. Variable time: the G term
 * uses the fixed-base table, P and Q a joint width-5 wNAF (Straus).
 */
void mcgk_p256_mul3_vartime(p256_jac *r, const uint64_t a[MCGK_P256_LIMBS],
                            const uint64_t b[MCGK_P256_LIMBS], const p256_aff *P,
                            const uint64_t c[MCGK_P256_LIMBS], const p256_aff *Q);

#endif
