/*
 * Montgomery arithmetic modulo an odd multi-limb modulus (internal).
 *
 * One implementation serves every prime of mcgk: the SAKKE field prime p
 * and group order q (16 limbs of 64 bits, RFC 6509 parameter set 1) and the
 * P-256 prime and order (4 limbs, RFC 6507). Elements are little-endian
 * arrays of 64-bit limbs in Montgomery form (a*R mod m, R = 2^(64n)),
 * always fully reduced (< m).
 *
 * Constant time: every function runs in time that depends only on the limb
 * count, never on the values, except mcgk_mont_pow_public whose exponent
 * (not its base) may steer branches, and mcgk_mont_is_zero_vartime.
 */
#ifndef MCGK_CRYPTO_MONT_H
#define MCGK_CRYPTO_MONT_H

#include <stddef.h>
#include <stdint.h>

#define MCGK_MONT_MAX_LIMBS 16

typedef struct mcgk_mont {
    size_t n;                        /* limbs */
    uint64_t m[MCGK_MONT_MAX_LIMBS];  /* the modulus */
    uint64_t minv;                    /* -m^-1 mod 2^64 */
    uint64_t rr[MCGK_MONT_MAX_LIMBS]; /* R^2 mod m */
    uint64_t rrr[MCGK_MONT_MAX_LIMBS];/* R^3 mod m */
    uint64_t one[MCGK_MONT_MAX_LIMBS];/* R mod m: 1 in Montgomery form */
    uint64_t mm2[MCGK_MONT_MAX_LIMBS];/* m - 2, the Fermat inversion exponent */
    int gmp;                          /* 16 limbs: use GMP's mpn_sec_* products */
} mcgk_mont;

/* Set up for the odd modulus given as len big-endian octets (len <= 8*16). */
void mcgk_mont_init(mcgk_mont *M, const uint8_t *mod_be, size_t len);

/* r = a*b/R mod m. r may alias a or b. Inputs < m (a may be any value < R if b < m). */
void mcgk_mont_mul(uint64_t *r, const uint64_t *a, const uint64_t *b, const mcgk_mont *M);
void mcgk_mont_sqr(uint64_t *r, const uint64_t *a, const mcgk_mont *M);
/* r = a + b, a - b, -a mod m. */
void mcgk_mont_add(uint64_t *r, const uint64_t *a, const uint64_t *b, const mcgk_mont *M);
void mcgk_mont_sub(uint64_t *r, const uint64_t *a, const uint64_t *b, const mcgk_mont *M);
void mcgk_mont_neg(uint64_t *r, const uint64_t *a, const mcgk_mont *M);
/* Montgomery form in/out: r = a*R mod m for any a < R; r = a/R mod m. */
void mcgk_mont_to(uint64_t *r, const uint64_t *a, const mcgk_mont *M);
void mcgk_mont_from(uint64_t *r, const uint64_t *a, const mcgk_mont *M);
/* r = a^e for a public exponent e (n limbs, little-endian), a in Montgomery form. */
void mcgk_mont_pow_public(uint64_t *r, const uint64_t *a, const uint64_t *e, const mcgk_mont *M);
/* r = a^-1 (Fermat: a^(m-2)); m must be prime; 0 maps to 0. Constant time in a. */
void mcgk_mont_inv(uint64_t *r, const uint64_t *a, const mcgk_mont *M);

/* Batch inversion (Montgomery's trick): a[i] <- a[i]^-1 for cnt elements of
 * n limbs each, stored contiguously. tmp: cnt*n limbs of scratch. A zero
 * element makes every output zero (constant time). */
void mcgk_mont_inv_batch(uint64_t *a, size_t cnt, uint64_t *tmp, const mcgk_mont *M);

/* ---- plain limb helpers (constant time unless named _vartime) ---- */

/* Big-endian octets (len <= 8n) to n limbs, left-padded. */
void mcgk_limbs_from_be(uint64_t *r, size_t n, const uint8_t *be, size_t len);
/* n limbs to len big-endian octets (len <= 8n; high limbs beyond len must be 0). */
void mcgk_limbs_to_be(uint8_t *be, size_t len, const uint64_t *a, size_t n);
/* all-ones mask when a < b (n limbs). */
uint64_t mcgk_limbs_lt_mask(const uint64_t *a, const uint64_t *b, size_t n);
/* all-ones mask when a == 0 / a == b. */
uint64_t mcgk_limbs_zero_mask(const uint64_t *a, size_t n);
uint64_t mcgk_limbs_eq_mask(const uint64_t *a, const uint64_t *b, size_t n);
/* r = a + b, returns carry; r = a - b, returns borrow. */
uint64_t mcgk_limbs_add(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n);
uint64_t mcgk_limbs_sub(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n);
/* Bit i of a (public index). */
static inline unsigned mcgk_limbs_bit(const uint64_t *a, size_t i)
{
    return (unsigned)((a[i / 64] >> (i % 64)) & 1);
}

#endif
