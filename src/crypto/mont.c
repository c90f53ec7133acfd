/*
 * Montgomery multiplication (CIOS, Koc et al.) with 64-bit limbs. See mont.h.
 * The limb count is public; nothing here branches on or indexes by a value.
 */
#include "crypto/mont.h"
#include "crypto/mulx4.h"

#include <string.h>

#include <gmp.h>

#include "base/ct.h"
#include "mcgk/base.h"

typedef unsigned __int128 u128;

#define MCGK_MONT_INV_SCRATCH 160

/* CIOS with the modulus length as a compile-time constant in each instance. */
static inline __attribute__((always_inline)) void mont_mul_n(uint64_t *r, const uint64_t *a,
                                                             const uint64_t *b, const uint64_t *m,
                                                             uint64_t minv, size_t n)
{
    uint64_t t[MCGK_MONT_MAX_LIMBS + 2];
    for (size_t j = 0; j < n + 2; j++)
        t[j] = 0;
    for (size_t i = 0; i < n; i++) {
        u128 acc;
        uint64_t c = 0, bi = b[i];
        for (size_t j = 0; j < n; j++) {
            acc = (u128)a[j] * bi + t[j] + c;
            t[j] = (uint64_t)acc;
            c = (uint64_t)(acc >> 64);
        }
        acc = (u128)t[n] + c;
        t[n] = (uint64_t)acc;
        t[n + 1] = (uint64_t)(acc >> 64);

        uint64_t mq = t[0] * minv;
        acc = (u128)mq * m[0] + t[0];
        c = (uint64_t)(acc >> 64);
        for (size_t j = 1; j < n; j++) {
            acc = (u128)mq * m[j] + t[j] + c;
            t[j - 1] = (uint64_t)acc;
            c = (uint64_t)(acc >> 64);
        }
        acc = (u128)t[n] + c;
        t[n - 1] = (uint64_t)acc;
        t[n] = t[n + 1] + (uint64_t)(acc >> 64);
    }
    /* t < 2m: subtract m once when t >= m */
    uint64_t s[MCGK_MONT_MAX_LIMBS];
    uint64_t borrow = 0;
    for (size_t j = 0; j < n; j++) {
        u128 d = (u128)t[j] - m[j] - borrow;
        s[j] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    /* keep s when t[n] carries or no borrow */
    uint64_t take = mcgk_ct_nonzero_mask64(t[n]) | mcgk_ct_zero_mask64(borrow);
    for (size_t j = 0; j < n; j++)
        r[j] = mcgk_ct_select64(take, s[j], t[j]);
}

#if defined(__x86_64__) && defined(__BMI2__) && defined(__ADX__)
/*
 * 4 limbs (the P-256 order q) on x86-64: the same CIOS rounds in inline
 * assembly with mulx and the two independent carry chains of adcx (CF) and
 * adox (OF). Six accumulator registers rotate by one limb per round, which
 * is the division by 2^64. Round i: x5 = 0; t += a*b[i] (x0..x5);
 * u = x0*minv; t += u*m (x0 becomes 0 and serves as the zero register).
 * The final t < 2m loses m once when t >= m, chosen by cmov (no branch).
 */
#define MONT4_STR2(x) #x
#define MONT4_STR(x) MONT4_STR2(x)
#define MONT4_ROUND(off, x0, x1, x2, x3, x4, x5)                                            \
    MCGK_MULX4_ROW(off, x0, x1, x2, x3, x4, x5)                    \
    "movq %[" #x0 "], %%rdx\n\t"                                                           \
    "imulq 8*" MONT4_STR(MCGK_MONT_MAX_LIMBS) "(%[m]), %%rdx\n\t" /* minv */              \
    "xorl %k[lo], %k[lo]\n\t"                                                              \
    "mulxq 0(%[m]), %[lo], %[hi]\n\t"                                                      \
    "adcxq %[lo], %[" #x0 "]\n\t"                                                          \
    "adoxq %[hi], %[" #x1 "]\n\t"                                                          \
    "mulxq 8(%[m]), %[lo], %[hi]\n\t"                                                      \
    "adcxq %[lo], %[" #x1 "]\n\t"                                                          \
    "adoxq %[hi], %[" #x2 "]\n\t"                                                          \
    "mulxq 16(%[m]), %[lo], %[hi]\n\t"                                                     \
    "adcxq %[lo], %[" #x2 "]\n\t"                                                          \
    "adoxq %[hi], %[" #x3 "]\n\t"                                                          \
    "mulxq 24(%[m]), %[lo], %[hi]\n\t"                                                     \
    "adcxq %[lo], %[" #x3 "]\n\t"                                                          \
    "adoxq %[hi], %[" #x4 "]\n\t"                                                          \
    "adcxq %[" #x0 "], %[" #x4 "]\n\t"                                                     \
    "adoxq %[" #x0 "], %[" #x5 "]\n\t"                                                     \
    "adcxq %[" #x0 "], %[" #x5 "]\n\t"

/* minv is addressed from the modulus pointer: it follows m[] in mcgk_mont */
_Static_assert(offsetof(mcgk_mont, minv) == offsetof(mcgk_mont, m) + 8 * MCGK_MONT_MAX_LIMBS,
               "mcgk_mont layout: minv right after m");

static void mont_mul_4(uint64_t *r, const uint64_t *a, const uint64_t *b, const mcgk_mont *M)
{
    uint64_t r0 = 0, r1 = 0, r2 = 0, r3 = 0, r4 = 0, r5, lo, hi;
    __asm__ __volatile__(MONT4_ROUND(0, r0, r1, r2, r3, r4, r5)
                         MONT4_ROUND(8, r1, r2, r3, r4, r5, r0)
                         MONT4_ROUND(16, r2, r3, r4, r5, r0, r1)
                         MONT4_ROUND(24, r3, r4, r5, r0, r1, r2)
                         /* t = r4 r5 r0 r1 : r2; s = t - m into lo hi rdx r3 */
                         "movq %[r4], %[lo]\n\t"
                         "movq %[r5], %[hi]\n\t"
                         "movq %[r0], %%rdx\n\t"
                         "movq %[r1], %[r3]\n\t"
                         "subq 0(%[m]), %[lo]\n\t"
                         "sbbq 8(%[m]), %[hi]\n\t"
                         "sbbq 16(%[m]), %%rdx\n\t"
                         "sbbq 24(%[m]), %[r3]\n\t"
                         "sbbq $0, %[r2]\n\t"
                         "cmovcq %[r4], %[lo]\n\t"
                         "cmovcq %[r5], %[hi]\n\t"
                         "cmovcq %[r0], %%rdx\n\t"
                         "cmovcq %[r1], %[r3]\n\t"
                         "movq %[lo], 0(%[r])\n\t"
                         "movq %[hi], 8(%[r])\n\t"
                         "movq %%rdx, 16(%[r])\n\t"
                         "movq %[r3], 24(%[r])\n\t"
                         : [r0] "+&r"(r0), [r1] "+&r"(r1), [r2] "+&r"(r2), [r3] "+&r"(r3),
                           [r4] "+&r"(r4), [r5] "=&r"(r5), [lo] "=&r"(lo), [hi] "=&r"(hi)
                         : [a] "r"(a), [b] "r"(b), [r] "r"(r), [m] "r"(M->m)
                         : "rdx", "cc", "memory");
}
#else
static void mont_mul_4(uint64_t *r, const uint64_t *a, const uint64_t *b, const mcgk_mont *M)
{
    mont_mul_n(r, a, b, M->m, M->minv, 4);
}
#endif

/*
 * 16 limbs (the SAKKE primes): GMP's assembly does the 1024x1024 product
 * (mpn_sec_mul / mpn_sec_sqr, documented side-channel silent) and the REDC
 * runs on mpn_addmul_1 / mpn_add_n / mpn_sub_n, whose loops depend only on
 * the limb count. Each addmul carry is parked in the limb it just zeroed and
 * added once at the end (carries land above limb 15, so deferring them does
 * not change the quotient digits).
 */
static void mont_redc_16(uint64_t *r, mp_limb_t t[32], const mcgk_mont *M)
{
    mp_limb_t s[16];
    for (size_t i = 0; i < 16; i++) {
        mp_limb_t u = t[i] * M->minv;
        t[i] = mpn_addmul_1(t + i, (const mp_limb_t *)M->m, 16, u);
    }
    mp_limb_t c = mpn_add_n((mp_limb_t *)r, t + 16, t, 16);
    mp_limb_t borrow = mpn_sub_n(s, (const mp_limb_t *)r, (const mp_limb_t *)M->m, 16);
    uint64_t take = mcgk_ct_nonzero_mask64(c) | mcgk_ct_zero_mask64(borrow);
    for (size_t j = 0; j < 16; j++)
        r[j] = mcgk_ct_select64(take, s[j], r[j]);
}

static void mont_mul_16(uint64_t *r, const uint64_t *a, const uint64_t *b, const mcgk_mont *M)
{
    mp_limb_t t[32], scratch[8];
    _Static_assert(sizeof(mp_limb_t) == sizeof(uint64_t), "64-bit GMP limbs");
    mpn_sec_mul(t, (const mp_limb_t *)a, 16, (const mp_limb_t *)b, 16, scratch);
    mont_redc_16(r, t, M);
}

static void mont_sqr_16(uint64_t *r, const uint64_t *a, const mcgk_mont *M)
{
    mp_limb_t t[32], scratch[8];
    mpn_sec_sqr(t, (const mp_limb_t *)a, 16, scratch);
    mont_redc_16(r, t, M);
}

static void mont_mul_any(uint64_t *r, const uint64_t *a, const uint64_t *b, const mcgk_mont *M)
{
    mont_mul_n(r, a, b, M->m, M->minv, M->n);
}

void mcgk_mont_mul(uint64_t *r, const uint64_t *a, const uint64_t *b, const mcgk_mont *M)
{
    switch (M->n) { /* the limb count is public */
    case 4:
        mont_mul_4(r, a, b, M);
        break;
    case 16:
        if (M->gmp)
            mont_mul_16(r, a, b, M);
        else
            mont_mul_n(r, a, b, M->m, M->minv, 16);
        break;
    default:
        mont_mul_any(r, a, b, M);
        break;
    }
}

void mcgk_mont_sqr(uint64_t *r, const uint64_t *a, const mcgk_mont *M)
{
    if (M->n == 16 && M->gmp)
        mont_sqr_16(r, a, M);
    else
        mcgk_mont_mul(r, a, a, M);
}

uint64_t mcgk_limbs_add(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n)
{
    uint64_t c = 0;
    for (size_t j = 0; j < n; j++) {
        u128 s = (u128)a[j] + b[j] + c;
        r[j] = (uint64_t)s;
        c = (uint64_t)(s >> 64);
    }
    return c;
}

uint64_t mcgk_limbs_sub(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n)
{
    uint64_t borrow = 0;
    for (size_t j = 0; j < n; j++) {
        u128 d = (u128)a[j] - b[j] - borrow;
        r[j] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    return borrow;
}

void mcgk_mont_add(uint64_t *r, const uint64_t *a, const uint64_t *b, const mcgk_mont *M)
{
    size_t n = M->n;
    uint64_t t[MCGK_MONT_MAX_LIMBS], s[MCGK_MONT_MAX_LIMBS];
    uint64_t carry = mcgk_limbs_add(t, a, b, n);
    uint64_t borrow = mcgk_limbs_sub(s, t, M->m, n);
    /* a + b >= m when it carried out or the subtraction did not borrow */
    uint64_t take = mcgk_ct_nonzero_mask64(carry) | mcgk_ct_zero_mask64(borrow);
    for (size_t j = 0; j < n; j++)
        r[j] = mcgk_ct_select64(take, s[j], t[j]);
}

void mcgk_mont_sub(uint64_t *r, const uint64_t *a, const uint64_t *b, const mcgk_mont *M)
{
    size_t n = M->n;
    uint64_t t[MCGK_MONT_MAX_LIMBS], s[MCGK_MONT_MAX_LIMBS];
    uint64_t borrow = mcgk_limbs_sub(t, a, b, n);
    mcgk_limbs_add(s, t, M->m, n);
    uint64_t take = mcgk_ct_nonzero_mask64(borrow);
    for (size_t j = 0; j < n; j++)
        r[j] = mcgk_ct_select64(take, s[j], t[j]);
}

void mcgk_mont_neg(uint64_t *r, const uint64_t *a, const mcgk_mont *M)
{
    uint64_t z[MCGK_MONT_MAX_LIMBS] = {0};
    mcgk_mont_sub(r, z, a, M);
}

void mcgk_mont_to(uint64_t *r, const uint64_t *a, const mcgk_mont *M) { mcgk_mont_mul(r, a, M->rr, M); }

void mcgk_mont_from(uint64_t *r, const uint64_t *a, const mcgk_mont *M)
{
    uint64_t one[MCGK_MONT_MAX_LIMBS] = {1};
    mcgk_mont_mul(r, a, one, M);
}

/* Left-to-right fixed 4-bit windows over a public exponent; the base may be secret:
 * the table is indexed by exponent bits only. */
void mcgk_mont_pow_public(uint64_t *r, const uint64_t *a, const uint64_t *e, const mcgk_mont *M)
{
    size_t n = M->n;
    uint64_t tab[16][MCGK_MONT_MAX_LIMBS];
    uint64_t acc[MCGK_MONT_MAX_LIMBS];
    memcpy(tab[0], M->one, n * 8);
    memcpy(tab[1], a, n * 8);
    for (int i = 2; i < 16; i++)
        mcgk_mont_mul(tab[i], tab[i - 1], a, M);
    memcpy(acc, M->one, n * 8);
    int started = 0;
    for (size_t w = n * 16; w-- > 0;) {
        unsigned d = (unsigned)((e[w / 16] >> (4 * (w % 16))) & 15);
        if (started) {
            for (int k = 0; k < 4; k++)
                mcgk_mont_sqr(acc, acc, M);
        }
        if (d) {
            mcgk_mont_mul(acc, acc, tab[d], M);
            started = 1;
        }
    }
    memcpy(r, acc, n * 8);
    for (int i = 0; i < 16; i++) /* only the n limbs in use hold data */
        mcgk_wipe(tab[i], n * 8);
    mcgk_wipe(acc, n * 8);
}

/*
 * r = a^-1 in Montgomery form. 16 limbs: GMP's mpn_sec_invert (documented
 * side-channel silent, ~1.6x faster than Fermat here) inverts aR; multiplying
 * by R^3 gives a^-1 R. Other sizes: Fermat, a^(m-2). 0 maps to 0 either way.
 */
void mcgk_mont_inv(uint64_t *r, const uint64_t *a, const mcgk_mont *M)
{
    if (M->n == 16 && M->gmp) {
        mp_limb_t t[16], x[16], scratch[MCGK_MONT_INV_SCRATCH];
        memcpy(t, a, sizeof t);
        int ok = mpn_sec_invert(x, t, (const mp_limb_t *)M->m, 16, 2 * 16 * 64, scratch);
        uint64_t keep = (uint64_t)0 - (uint64_t)(ok & 1); /* ok == 0 only for a == 0 */
        for (size_t j = 0; j < 16; j++)
            x[j] &= keep;
        mont_mul_16(r, x, M->rrr, M);
        mcgk_wipe(t, sizeof t);
        mcgk_wipe(x, sizeof x);
        mcgk_wipe(scratch, sizeof scratch);
        return;
    }
    mcgk_mont_pow_public(r, a, M->mm2, M);
}

void mcgk_mont_inv_batch(uint64_t *a, size_t cnt, uint64_t *tmp, const mcgk_mont *M)
{
    size_t n = M->n;
    if (cnt == 0)
        return;
    /* tmp[i] = a[0]*...*a[i] */
    memcpy(tmp, a, n * 8);
    for (size_t i = 1; i < cnt; i++)
        mcgk_mont_mul(tmp + i * n, tmp + (i - 1) * n, a + i * n, M);
    uint64_t inv[MCGK_MONT_MAX_LIMBS], t[MCGK_MONT_MAX_LIMBS];
    mcgk_mont_inv(inv, tmp + (cnt - 1) * n, M);
    for (size_t i = cnt; i-- > 1;) {
        /* a[i]^-1 = inv * prefix(i-1); then inv *= a[i] */
        mcgk_mont_mul(t, inv, tmp + (i - 1) * n, M);
        mcgk_mont_mul(inv, inv, a + i * n, M);
        memcpy(a + i * n, t, n * 8);
    }
    memcpy(a, inv, n * 8);
    mcgk_wipe(inv, sizeof inv);
    mcgk_wipe(t, sizeof t);
}

void mcgk_limbs_from_be(uint64_t *r, size_t n, const uint8_t *be, size_t len)
{
    for (size_t j = 0; j < n; j++)
        r[j] = 0;
    for (size_t i = 0; i < len && i < 8 * n; i++)
        r[i / 8] |= (uint64_t)be[len - 1 - i] << (8 * (i % 8));
}

void mcgk_limbs_to_be(uint8_t *be, size_t len, const uint64_t *a, size_t n)
{
    for (size_t i = 0; i < len; i++)
        be[len - 1 - i] = (uint8_t)(i < 8 * n ? a[i / 8] >> (8 * (i % 8)) : 0);
}

uint64_t mcgk_limbs_lt_mask(const uint64_t *a, const uint64_t *b, size_t n)
{
    uint64_t t[MCGK_MONT_MAX_LIMBS];
    uint64_t borrow = mcgk_limbs_sub(t, a, b, n);
    return (uint64_t)0 - borrow;
}

uint64_t mcgk_limbs_zero_mask(const uint64_t *a, size_t n)
{
    uint64_t acc = 0;
    for (size_t j = 0; j < n; j++)
        acc |= a[j];
    return mcgk_ct_zero_mask64(acc);
}

uint64_t mcgk_limbs_eq_mask(const uint64_t *a, const uint64_t *b, size_t n)
{
    uint64_t acc = 0;
    for (size_t j = 0; j < n; j++)
        acc |= a[j] ^ b[j];
    return mcgk_ct_zero_mask64(acc);
}

void mcgk_mont_init(mcgk_mont *M, const uint8_t *mod_be, size_t len)
{
    memset(M, 0, sizeof *M);
    size_t n = (len + 7) / 8;
    M->n = n;
    mcgk_limbs_from_be(M->m, n, mod_be, len);
    /* -m^-1 mod 2^64 by Newton iteration */
    uint64_t x = 1;
    for (int i = 0; i < 7; i++)
        x *= 2 - M->m[0] * x;
    M->minv = (uint64_t)0 - x;
    /* R mod m: start from 2^(64n) - m computed as (0 - m) mod 2^(64n), reduce */
    uint64_t z[MCGK_MONT_MAX_LIMBS] = {0};
    mcgk_limbs_sub(M->one, z, M->m, n); /* 2^(64n) - m */
    while (!mcgk_limbs_lt_mask(M->one, M->m, n))
        mcgk_limbs_sub(M->one, M->one, M->m, n);
    /* R^2 mod m by 64n doublings of R */
    memcpy(M->rr, M->one, n * 8);
    for (size_t i = 0; i < 64 * n; i++)
        mcgk_mont_add(M->rr, M->rr, M->rr, M);
    uint64_t two[MCGK_MONT_MAX_LIMBS] = {2};
    mcgk_limbs_sub(M->mm2, M->m, two, n);
    /* the GMP path needs no more scratch than it is given (0/0/64 limbs on x86-64) */
    M->gmp = n == 16 && mpn_sec_mul_itch(16, 16) <= 8 && mpn_sec_sqr_itch(16) <= 8 &&
             mpn_sec_invert_itch(16) <= MCGK_MONT_INV_SCRATCH;
    mcgk_mont_mul(M->rrr, M->rr, M->rr, M); /* R^4 / R = R^3 */
}
