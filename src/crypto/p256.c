/*
 * NIST P-256 arithmetic for ECCSI (RFC 6507 §4.1 with RFC 6509's choice of
 * P-256; curve constants FIPS 186-4 D.1.2.3). See crypto/p256.h.
 *
 * Field: Montgomery multiplication specialised to p = 2^256 - 2^224 + 2^192
 * + 2^96 - 1. Because p = -1 mod 2^64, the Montgomery quotient digit is the
 * low limb itself, and its product with p reduces to shifts plus one 64x64
 * multiplication (by the top limb of p); the generic CIOS of crypto/mont.c
 * spends four. The order q has no such form: scalars use crypto/mont.c.
 *
 * Group: Jacobian coordinates with the a = -3 doubling (3M + 5S) and
 * Jacobian + affine addition (8M + 3S).
 *
 * Secret data: the scalar of mcgk_p256_mul_base and all the intermediate
 * points and digits of that multiplication; field elements passed to the
 * constant-time functions. Nothing here branches on, or indexes memory by,
 * such data; every temporary that held it is wiped before returning.
 */
#include "crypto/p256.h"
#include "crypto/mulx4.h"

#include <string.h>

#include "base/ct.h"
#include "mcgk/base.h"

typedef unsigned __int128 u128;

#define P256_P0 0xffffffffffffffffULL
#define P256_P1 0x00000000ffffffffULL
#define P256_P2 0x0000000000000000ULL
#define P256_P3 0xffffffff00000001ULL

/* Montgomery constants, precomputed (tests/unit/test_p256.c checks them
 * against mcgk_mont_init). */
const mcgk_mont mcgk_p256_p = {
    .n = 4,
    .gmp = 0,
    .m = {P256_P0, P256_P1, P256_P2, P256_P3},
    .minv = 0x1ULL,
    .rr = {0x0000000000000003ULL, 0xfffffffbffffffffULL, 0xfffffffffffffffeULL,
           0x00000004fffffffdULL},
    .rrr = {0xfffffffd0000000aULL, 0xffffffedfffffff7ULL, 0x00000005fffffffcULL,
            0x0000001800000001ULL},
    .one = {0x0000000000000001ULL, 0xffffffff00000000ULL, 0xffffffffffffffffULL,
            0x00000000fffffffeULL},
    .mm2 = {0xfffffffffffffffdULL, 0x00000000ffffffffULL, 0x0000000000000000ULL,
            0xffffffff00000001ULL},
};

const mcgk_mont mcgk_p256_q = {
    .n = 4,
    .gmp = 0,
    .m = {0xf3b9cac2fc632551ULL, 0xbce6faada7179e84ULL, 0xffffffffffffffffULL,
          0xffffffff00000000ULL},
    .minv = 0xccd1c8aaee00bc4fULL,
    .rr = {0x83244c95be79eea2ULL, 0x4699799c49bd6fa6ULL, 0x2845b2392b6bec59ULL,
           0x66e12d94f3d95620ULL},
    .rrr = {0xac8ebec90b65a624ULL, 0x111f28ae0c0555c9ULL, 0x2543b9246ba5e93fULL,
            0x503a54e76407be65ULL},
    .one = {0x0c46353d039cdaafULL, 0x4319055258e8617bULL, 0x0000000000000000ULL,
            0x00000000ffffffffULL},
    .mm2 = {0xf3b9cac2fc63254fULL, 0xbce6faada7179e84ULL, 0xffffffffffffffffULL,
            0xffffffff00000000ULL},
};

/* G = (Gx, Gy) and B, Montgomery form (RFC 6507 / FIPS 186-4 values times 2^256 mod p). */
const p256_aff mcgk_p256_g = {
    .x = {0x79e730d418a9143cULL, 0x75ba95fc5fedb601ULL, 0x79fb732b77622510ULL,
          0x18905f76a53755c6ULL},
    .y = {0xddf25357ce95560aULL, 0x8b4ab8e4ba19e45cULL, 0xd2e88688dd21f325ULL,
          0x8571ff1825885d85ULL},
};

const p256_fe mcgk_p256_b = {0xd89cdf6229c4bddfULL, 0xacf005cd78843090ULL,
                             0xe5a220abf7212ed6ULL, 0xdc30061d04874834ULL};

/* ======================================================================== */
/* Field F_p                                                                 */
/* ======================================================================== */

/* t (5 limbs, t < 2p) -> r = t mod p, by one masked subtraction. */
static inline __attribute__((always_inline)) void fe_reduce_once(p256_fe r, uint64_t t0,
                                                                 uint64_t t1, uint64_t t2,
                                                                 uint64_t t3, uint64_t t4)
{
    u128 d;
    uint64_t s0, s1, s2, s3, b;
    d = (u128)t0 - P256_P0;
    s0 = (uint64_t)d;
    b = (uint64_t)(d >> 64) & 1;
    d = (u128)t1 - P256_P1 - b;
    s1 = (uint64_t)d;
    b = (uint64_t)(d >> 64) & 1;
    d = (u128)t2 - P256_P2 - b;
    s2 = (uint64_t)d;
    b = (uint64_t)(d >> 64) & 1;
    d = (u128)t3 - P256_P3 - b;
    s3 = (uint64_t)d;
    b = (uint64_t)(d >> 64) & 1;
    /* t >= p when the 5th limb is set or the subtraction did not borrow */
    uint64_t take = mcgk_ct_nonzero_mask64(t4) | mcgk_ct_zero_mask64(b);
    r[0] = mcgk_ct_select64(take, s0, t0);
    r[1] = mcgk_ct_select64(take, s1, t1);
    r[2] = mcgk_ct_select64(take, s2, t2);
    r[3] = mcgk_ct_select64(take, s3, t3);
}

/*
 * One CIOS round: t = (t + a*bi + m*p) / 2^64 with m = low limb of (t + a*bi)
 * (since -p^-1 = 1 mod 2^64). m*p is folded in limb by limb:
 *   limb 0: t0 + m*(2^64-1)        = m*2^64           -> low 0, carry m
 *   limb 1: t1 + m*(2^32-1) + m    = t1 + m*2^32
 *   limb 2: t2 + 0
 *   limb 3: t3 + m*(2^64-2^32+1)
 */
static inline __attribute__((always_inline)) void fe_mul_round(uint64_t t[5],
                                                               const uint64_t *a, uint64_t bi)
{
    u128 acc;
    uint64_t c, t5;
    acc = (u128)a[0] * bi + t[0];
    t[0] = (uint64_t)acc;
    c = (uint64_t)(acc >> 64);
    acc = (u128)a[1] * bi + t[1] + c;
    t[1] = (uint64_t)acc;
    c = (uint64_t)(acc >> 64);
    acc = (u128)a[2] * bi + t[2] + c;
    t[2] = (uint64_t)acc;
    c = (uint64_t)(acc >> 64);
    acc = (u128)a[3] * bi + t[3] + c;
    t[3] = (uint64_t)acc;
    c = (uint64_t)(acc >> 64);
    acc = (u128)t[4] + c;
    t[4] = (uint64_t)acc;
    t5 = (uint64_t)(acc >> 64);

    uint64_t m = t[0];
    acc = (u128)t[1] + (m << 32);
    t[0] = (uint64_t)acc;
    c = (uint64_t)(acc >> 64) + (m >> 32);
    acc = (u128)t[2] + c;
    t[1] = (uint64_t)acc;
    c = (uint64_t)(acc >> 64);
    acc = (u128)m * P256_P3 + t[3] + c;
    t[2] = (uint64_t)acc;
    c = (uint64_t)(acc >> 64);
    acc = (u128)t[4] + c;
    t[3] = (uint64_t)acc;
    t[4] = t5 + (uint64_t)(acc >> 64);
}

static void fe_mul_portable(p256_fe r, const p256_fe a, const p256_fe b)
{
    uint64_t t[5] = {0, 0, 0, 0, 0};
    fe_mul_round(t, a, b[0]);
    fe_mul_round(t, a, b[1]);
    fe_mul_round(t, a, b[2]);
    fe_mul_round(t, a, b[3]);
    fe_reduce_once(r, t[0], t[1], t[2], t[3], t[4]);
}

#if defined(__x86_64__) && defined(__BMI2__) && defined(__ADX__)
#define P256_HAVE_ADX 1
/*
 * The same CIOS rounds with mulx and the two carry chains of adcx (CF) and
 * adox (OF), as inline assembly: six accumulator registers rotate by one
 * limb per round (x0..x5 -> x1..x5, x0), so the division by 2^64 is free.
 * Round i:  t += a * b[i]   (x5 = 0 beforehand; afterwards t fits 6 limbs)
 *           m = t0; t += m*p, folded as in fe_mul_round: x1 += m << 32,
 *           x2 += m >> 32, x3:x4 += m * (2^64 - 2^32 + 1); then x0 = 0.
 * The final t < 2p loses p once when t >= p, chosen by cmov (no branch).
 */
static const uint64_t k_p256_p1 = P256_P1;
static const uint64_t k_p256_p3 = P256_P3;

#define FE_ROUND(off, x0, x1, x2, x3, x4, x5)                                            \
    MCGK_MULX4_ROW(off, x0, x1, x2, x3, x4, x5)                    \
    "movq %[" #x0 "], %%rdx\n\t"                                                         \
    "mulxq %[p3], %[lo], %[hi]\n\t"                                                      \
    "shlq $32, %[" #x0 "]\n\t"                                                           \
    "shrq $32, %%rdx\n\t"                                                                \
    "addq %[" #x0 "], %[" #x1 "]\n\t"                                                    \
    "adcq %%rdx, %[" #x2 "]\n\t"                                                         \
    "adcq %[lo], %[" #x3 "]\n\t"                                                         \
    "adcq %[hi], %[" #x4 "]\n\t"                                                         \
    "adcq $0, %[" #x5 "]\n\t"

static inline __attribute__((always_inline)) void fe_mul_adx(p256_fe r, const p256_fe a,
                                                             const p256_fe b)
{
    uint64_t r0 = 0, r1 = 0, r2 = 0, r3 = 0, r4 = 0, r5, lo, hi;
    __asm__ __volatile__("" /* round 0 starts from t = 0 */
                         FE_ROUND(0, r0, r1, r2, r3, r4, r5)
                         FE_ROUND(8, r1, r2, r3, r4, r5, r0)
                         FE_ROUND(16, r2, r3, r4, r5, r0, r1)
                         FE_ROUND(24, r3, r4, r5, r0, r1, r2)
                         /* t = r4 r5 r0 r1 : r2; s = t - p into lo hi rdx r3 */
                         "movq %[r4], %[lo]\n\t"
                         "movq %[r5], %[hi]\n\t"
                         "movq %[r0], %%rdx\n\t"
                         "movq %[r1], %[r3]\n\t"
                         "subq $-1, %[lo]\n\t"
                         "sbbq %[p1], %[hi]\n\t"
                         "sbbq $0, %%rdx\n\t"
                         "sbbq %[p3], %[r3]\n\t"
                         "sbbq $0, %[r2]\n\t"
                         /* borrow: t < p, keep t */
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
                         : [a] "r"(a), [b] "r"(b), [r] "r"(r), [p1] "m"(k_p256_p1),
                           [p3] "m"(k_p256_p3)
                         : "rdx", "cc", "memory");
}

/* One reduction round of the low half (x0..x3) -> (x1, x2, x3, x0): m = x0,
 * (x + m*p) / 2^64 with m*p folded as in fe_mul_round; the new top limb is
 * hi(m * (2^64 - 2^32 + 1)) plus the carry. */
#define FE_REDC(x0, x1, x2, x3)                                                          \
    "movq %[" #x0 "], %%rdx\n\t"                                                         \
    "mulxq %[p3], %[lo], %[hi]\n\t"                                                      \
    "shlq $32, %[" #x0 "]\n\t"                                                           \
    "shrq $32, %%rdx\n\t"                                                                \
    "addq %[" #x0 "], %[" #x1 "]\n\t"                                                    \
    "adcq %%rdx, %[" #x2 "]\n\t"                                                         \
    "adcq %[lo], %[" #x3 "]\n\t"                                                         \
    "adcq $0, %[hi]\n\t"                                                                 \
    "movq %[hi], %[" #x0 "]\n\t"

/*
 * a^2: the six cross products a_i a_j (i < j) with two carry chains,
 * doubled, plus the four squares: the 512-bit square t0..t7. Four
 * reduction rounds turn the low half into L' <= p (L' = (L + M p) / 2^256),
 * then L' + high half < 2p loses p once when it is >= p (cmov).
 */
static void fe_sqr_adx(p256_fe r, const p256_fe a)
{
    uint64_t t0, t1, t2, t3, t4, t5, t6, t7, lo, hi;
    __asm__ __volatile__("xorl %k[t5], %k[t5]\n\t"
                         "xorl %k[t6], %k[t6]\n\t"
                         "xorl %k[t7], %k[t7]\n\t"
                         /* a0 * (a1, a2, a3) -> t1..t4 */
                         "movq 0(%[a]), %%rdx\n\t"
                         "mulxq 8(%[a]), %[t1], %[t2]\n\t"
                         "mulxq 16(%[a]), %[lo], %[t3]\n\t"
                         "adcxq %[lo], %[t2]\n\t"
                         "mulxq 24(%[a]), %[lo], %[t4]\n\t"
                         "adcxq %[lo], %[t3]\n\t"
                         "adcxq %[t5], %[t4]\n\t"
                         /* a1 * (a2, a3) -> t3..t5 */
                         "movq 8(%[a]), %%rdx\n\t"
                         "mulxq 16(%[a]), %[lo], %[hi]\n\t"
                         "adcxq %[lo], %[t3]\n\t"
                         "adoxq %[hi], %[t4]\n\t"
                         "mulxq 24(%[a]), %[lo], %[hi]\n\t"
                         "adcxq %[lo], %[t4]\n\t"
                         "adoxq %[hi], %[t5]\n\t"
                         "adcxq %[t6], %[t5]\n\t"
                         /* a2 * a3 -> t5, t6 */
                         "movq 16(%[a]), %%rdx\n\t"
                         "mulxq 24(%[a]), %[lo], %[hi]\n\t"
                         "adcxq %[lo], %[t5]\n\t"
                         "adoxq %[hi], %[t6]\n\t"
                         "adcxq %[t7], %[t6]\n\t"
                         /* double the cross products */
                         "addq %[t1], %[t1]\n\t"
                         "adcq %[t2], %[t2]\n\t"
                         "adcq %[t3], %[t3]\n\t"
                         "adcq %[t4], %[t4]\n\t"
                         "adcq %[t5], %[t5]\n\t"
                         "adcq %[t6], %[t6]\n\t"
                         "adcq $0, %[t7]\n\t"
                         /* add the squares (mulx leaves the flags alone) */
                         "movq 0(%[a]), %%rdx\n\t"
                         "mulxq %%rdx, %[t0], %[hi]\n\t"
                         "movq 8(%[a]), %%rdx\n\t"
                         "addq %[hi], %[t1]\n\t"
                         "mulxq %%rdx, %[lo], %[hi]\n\t"
                         "adcq %[lo], %[t2]\n\t"
                         "adcq %[hi], %[t3]\n\t"
                         "movq 16(%[a]), %%rdx\n\t"
                         "mulxq %%rdx, %[lo], %[hi]\n\t"
                         "adcq %[lo], %[t4]\n\t"
                         "adcq %[hi], %[t5]\n\t"
                         "movq 24(%[a]), %%rdx\n\t"
                         "mulxq %%rdx, %[lo], %[hi]\n\t"
                         "adcq %[lo], %[t6]\n\t"
                         "adcq %[hi], %[t7]\n\t"
                         /* reduce the low half */
                         FE_REDC(t0, t1, t2, t3)
                         FE_REDC(t1, t2, t3, t0)
                         FE_REDC(t2, t3, t0, t1)
                         FE_REDC(t3, t0, t1, t2)
                         /* t0..t3 + t4..t7 -> t0..t3 : lo */
                         "movl $0, %k[lo]\n\t"
                         "addq %[t4], %[t0]\n\t"
                         "adcq %[t5], %[t1]\n\t"
                         "adcq %[t6], %[t2]\n\t"
                         "adcq %[t7], %[t3]\n\t"
                         "adcq $0, %[lo]\n\t"
                         "movq %[t0], %[t4]\n\t"
                         "movq %[t1], %[t5]\n\t"
                         "movq %[t2], %[t6]\n\t"
                         "movq %[t3], %[t7]\n\t"
                         "subq $-1, %[t4]\n\t"
                         "sbbq %[p1], %[t5]\n\t"
                         "sbbq $0, %[t6]\n\t"
                         "sbbq %[p3], %[t7]\n\t"
                         "sbbq $0, %[lo]\n\t"
                         "cmovcq %[t0], %[t4]\n\t"
                         "cmovcq %[t1], %[t5]\n\t"
                         "cmovcq %[t2], %[t6]\n\t"
                         "cmovcq %[t3], %[t7]\n\t"
                         "movq %[t4], 0(%[r])\n\t"
                         "movq %[t5], 8(%[r])\n\t"
                         "movq %[t6], 16(%[r])\n\t"
                         "movq %[t7], 24(%[r])\n\t"
                         : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3),
                           [t4] "=&r"(t4),
                           [t5] "=&r"(t5), [t6] "=&r"(t6), [t7] "=&r"(t7), [lo] "=&r"(lo),
                             [hi] "=&r"(hi)
                         : [a] "r"(a), [r] "r"(r), [p1] "m"(k_p256_p1), [p3] "m"(k_p256_p3)
                         : "rdx", "cc", "memory");
}

static void fe_mul(p256_fe r, const p256_fe a, const p256_fe b) { fe_mul_adx(r, a, b); }
static void fe_sqr(p256_fe r, const p256_fe a) { fe_sqr_adx(r, a); }
#else
static void fe_mul(p256_fe r, const p256_fe a, const p256_fe b) { fe_mul_portable(r, a, b); }
static void fe_sqr(p256_fe r, const p256_fe a) { fe_mul_portable(r, a, a); }
#endif

void mcgk_p256_fe_mul_portable(p256_fe r, const p256_fe a, const p256_fe b)
{
    fe_mul_portable(r, a, b);
}

static inline __attribute__((always_inline)) void fe_add_portable(p256_fe r, const p256_fe a,
                                                                  const p256_fe b)
{
    u128 s;
    uint64_t t0, t1, t2, t3, c;
    s = (u128)a[0] + b[0];
    t0 = (uint64_t)s;
    c = (uint64_t)(s >> 64);
    s = (u128)a[1] + b[1] + c;
    t1 = (uint64_t)s;
    c = (uint64_t)(s >> 64);
    s = (u128)a[2] + b[2] + c;
    t2 = (uint64_t)s;
    c = (uint64_t)(s >> 64);
    s = (u128)a[3] + b[3] + c;
    t3 = (uint64_t)s;
    c = (uint64_t)(s >> 64);
    fe_reduce_once(r, t0, t1, t2, t3, c);
}

static inline __attribute__((always_inline)) void fe_sub_portable(p256_fe r, const p256_fe a,
                                                                  const p256_fe b)
{
    u128 d;
    uint64_t t0, t1, t2, t3, bw;
    d = (u128)a[0] - b[0];
    t0 = (uint64_t)d;
    bw = (uint64_t)(d >> 64) & 1;
    d = (u128)a[1] - b[1] - bw;
    t1 = (uint64_t)d;
    bw = (uint64_t)(d >> 64) & 1;
    d = (u128)a[2] - b[2] - bw;
    t2 = (uint64_t)d;
    bw = (uint64_t)(d >> 64) & 1;
    d = (u128)a[3] - b[3] - bw;
    t3 = (uint64_t)d;
    bw = (uint64_t)(d >> 64) & 1;
    /* on borrow add p back (masked) */
    uint64_t mask = (uint64_t)0 - mcgk_ct_barrier64(bw);
    u128 s;
    uint64_t c;
    s = (u128)t0 + (P256_P0 & mask);
    r[0] = (uint64_t)s;
    c = (uint64_t)(s >> 64);
    s = (u128)t1 + (P256_P1 & mask) + c;
    r[1] = (uint64_t)s;
    c = (uint64_t)(s >> 64);
    s = (u128)t2 + (P256_P2 & mask) + c;
    r[2] = (uint64_t)s;
    c = (uint64_t)(s >> 64);
    s = (u128)t3 + (P256_P3 & mask) + c;
    r[3] = (uint64_t)s;
}

#ifdef P256_HAVE_ADX
/* a + b mod p: add with carry into a fifth limb, subtract p, keep the sum on borrow (cmov). */
static inline __attribute__((always_inline)) void fe_add(p256_fe r, const p256_fe a,
                                                         const p256_fe b)
{
    uint64_t t0, t1, t2, t3, t4, s0, s1, s2, s3;
    __asm__ __volatile__("movq 0(%[a]), %[t0]\n\t"
                         "movq 8(%[a]), %[t1]\n\t"
                         "movq 16(%[a]), %[t2]\n\t"
                         "movq 24(%[a]), %[t3]\n\t"
                         "xorl %k[t4], %k[t4]\n\t"
                         "addq 0(%[b]), %[t0]\n\t"
                         "adcq 8(%[b]), %[t1]\n\t"
                         "adcq 16(%[b]), %[t2]\n\t"
                         "adcq 24(%[b]), %[t3]\n\t"
                         "adcq $0, %[t4]\n\t"
                         "movq %[t0], %[s0]\n\t"
                         "movq %[t1], %[s1]\n\t"
                         "movq %[t2], %[s2]\n\t"
                         "movq %[t3], %[s3]\n\t"
                         "subq $-1, %[s0]\n\t"
                         "sbbq %[p1], %[s1]\n\t"
                         "sbbq $0, %[s2]\n\t"
                         "sbbq %[p3], %[s3]\n\t"
                         "sbbq $0, %[t4]\n\t"
                         "cmovcq %[t0], %[s0]\n\t"
                         "cmovcq %[t1], %[s1]\n\t"
                         "cmovcq %[t2], %[s2]\n\t"
                         "cmovcq %[t3], %[s3]\n\t"
                         "movq %[s0], 0(%[r])\n\t"
                         "movq %[s1], 8(%[r])\n\t"
                         "movq %[s2], 16(%[r])\n\t"
                         "movq %[s3], 24(%[r])\n\t"
                         : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3),
                           [t4] "=&r"(t4),
                           [s0] "=&r"(s0), [s1] "=&r"(s1), [s2] "=&r"(s2), [s3] "=&r"(s3)
                         : [a] "r"(a), [b] "r"(b), [r] "r"(r), [p1] "m"(k_p256_p1),
                           [p3] "m"(k_p256_p3)
                         : "cc", "memory");
}

/* a - b mod p: subtract, turn the borrow into a mask, add p & mask. */
static inline __attribute__((always_inline)) void fe_sub(p256_fe r, const p256_fe a,
                                                         const p256_fe b)
{
    uint64_t t0, t1, t2, t3, m, m1, m3;
    __asm__ __volatile__("movq 0(%[a]), %[t0]\n\t"
                         "movq 8(%[a]), %[t1]\n\t"
                         "movq 16(%[a]), %[t2]\n\t"
                         "movq 24(%[a]), %[t3]\n\t"
                         "subq 0(%[b]), %[t0]\n\t"
                         "sbbq 8(%[b]), %[t1]\n\t"
                         "sbbq 16(%[b]), %[t2]\n\t"
                         "sbbq 24(%[b]), %[t3]\n\t"
                         "sbbq %[m], %[m]\n\t"
                         "movq %[m], %[m1]\n\t"
                         "shrq $32, %[m1]\n\t"
                         "movq %[m], %[m3]\n\t"
                         "andq %[p3], %[m3]\n\t"
                         "addq %[m], %[t0]\n\t"
                         "adcq %[m1], %[t1]\n\t"
                         "adcq $0, %[t2]\n\t"
                         "adcq %[m3], %[t3]\n\t"
                         "movq %[t0], 0(%[r])\n\t"
                         "movq %[t1], 8(%[r])\n\t"
                         "movq %[t2], 16(%[r])\n\t"
                         "movq %[t3], 24(%[r])\n\t"
                         : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3),
                           [m] "=&r"(m), [m1] "=&r"(m1), [m3] "=&r"(m3)
                         : [a] "r"(a), [b] "r"(b), [r] "r"(r), [p3] "m"(k_p256_p3)
                         : "cc", "memory");
}
#else
static inline __attribute__((always_inline)) void fe_add(p256_fe r, const p256_fe a,
                                                         const p256_fe b)
{
    fe_add_portable(r, a, b);
}
static inline __attribute__((always_inline)) void fe_sub(p256_fe r, const p256_fe a,
                                                         const p256_fe b)
{
    fe_sub_portable(r, a, b);
}
#endif

void mcgk_p256_fe_add_portable(p256_fe r, const p256_fe a, const p256_fe b)
{
    fe_add_portable(r, a, b);
}
void mcgk_p256_fe_sub_portable(p256_fe r, const p256_fe a, const p256_fe b)
{
    fe_sub_portable(r, a, b);
}

void mcgk_p256_fe_mul(p256_fe r, const p256_fe a, const p256_fe b) { fe_mul(r, a, b); }
void mcgk_p256_fe_sqr(p256_fe r, const p256_fe a) { fe_sqr(r, a); }
void mcgk_p256_fe_add(p256_fe r, const p256_fe a, const p256_fe b) { fe_add(r, a, b); }
void mcgk_p256_fe_sub(p256_fe r, const p256_fe a, const p256_fe b) { fe_sub(r, a, b); }

void mcgk_p256_fe_neg(p256_fe r, const p256_fe a)
{
    static const p256_fe zero = {0, 0, 0, 0};
    fe_sub(r, zero, a);
}

void mcgk_p256_fe_to_mont(p256_fe r, const uint64_t a[MCGK_P256_LIMBS])
{
    fe_mul(r, a, mcgk_p256_p.rr);
}

void mcgk_p256_fe_from_mont(uint64_t r[MCGK_P256_LIMBS], const p256_fe a)
{
    static const p256_fe one = {1, 0, 0, 0};
    fe_mul(r, a, one);
}

static void fe_sqr_n(p256_fe r, const p256_fe a, unsigned n)
{
    fe_sqr(r, a);
    for (unsigned i = 1; i < n; i++)
        fe_sqr(r, r);
}

/*
 * a^(p-2) by a fixed addition chain (255 squarings, 12 multiplications).
 * p - 2 in binary, from the top: 32 ones, 31 zeros, 1 one, 96 zeros,
 * 94 ones, 0, 1. With x_k = a^(2^k - 1):
 *   x2, x3, x6, x12, x15, x30, x32;
 *   t = x32; t = t^(2^32)*a; t = t^(2^128)*x32; t = t^(2^32)*x32;
 *   t = t^(2^30)*x30; t = t^(2^2)*a.
 */
void mcgk_p256_fe_inv(p256_fe r, const p256_fe a)
{
    p256_fe x2, x3, x6, x12, x15, x30, x32, t;
    fe_sqr_n(t, a, 1);
    fe_mul(x2, t, a);
    fe_sqr_n(t, x2, 1);
    fe_mul(x3, t, a);
    fe_sqr_n(t, x3, 3);
    fe_mul(x6, t, x3);
    fe_sqr_n(t, x6, 6);
    fe_mul(x12, t, x6);
    fe_sqr_n(t, x12, 3);
    fe_mul(x15, t, x3);
    fe_sqr_n(t, x15, 15);
    fe_mul(x30, t, x15);
    fe_sqr_n(t, x30, 2);
    fe_mul(x32, t, x2);

    fe_sqr_n(t, x32, 32);
    fe_mul(t, t, a);
    fe_sqr_n(t, t, 128);
    fe_mul(t, t, x32);
    fe_sqr_n(t, t, 32);
    fe_mul(t, t, x32);
    fe_sqr_n(t, t, 30);
    fe_mul(t, t, x30);
    fe_sqr_n(t, t, 2);
    fe_mul(r, t, a);

    mcgk_wipe(x2, sizeof x2);
    mcgk_wipe(x3, sizeof x3);
    mcgk_wipe(x6, sizeof x6);
    mcgk_wipe(x12, sizeof x12);
    mcgk_wipe(x15, sizeof x15);
    mcgk_wipe(x30, sizeof x30);
    mcgk_wipe(x32, sizeof x32);
    mcgk_wipe(t, sizeof t);
}

static inline uint64_t fe_is_zero_mask(const p256_fe a)
{
    return mcgk_ct_zero_mask64(a[0] | a[1] | a[2] | a[3]);
}

static inline uint64_t fe_eq_mask(const p256_fe a, const p256_fe b)
{
    return mcgk_ct_zero_mask64((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]));
}

static inline int fe_is_zero_vartime(const p256_fe a) { return (a[0] | a[1] | a[2] | a[3]) == 0; }

/* ======================================================================== */
/* Scalars mod q                                                             */
/* ======================================================================== */

uint64_t mcgk_p256_scalar_from_be(uint64_t k[MCGK_P256_LIMBS], const uint8_t be[32])
{
    mcgk_limbs_from_be(k, MCGK_P256_LIMBS, be, 32);
    return ~mcgk_limbs_zero_mask(k, MCGK_P256_LIMBS) &
           mcgk_limbs_lt_mask(k, mcgk_p256_q.m, MCGK_P256_LIMBS);
}

void mcgk_p256_scalar_reduce_be(uint64_t k[MCGK_P256_LIMBS], const uint8_t be[32])
{
    /* a 256-bit value is < 2q: one masked subtraction reduces it */
    uint64_t t[MCGK_P256_LIMBS], s[MCGK_P256_LIMBS];
    mcgk_limbs_from_be(t, MCGK_P256_LIMBS, be, 32);
    uint64_t borrow = mcgk_limbs_sub(s, t, mcgk_p256_q.m, MCGK_P256_LIMBS);
    uint64_t take = mcgk_ct_zero_mask64(borrow);
    for (size_t i = 0; i < MCGK_P256_LIMBS; i++)
        k[i] = mcgk_ct_select64(take, s[i], t[i]);
    mcgk_wipe(t, sizeof t);
    mcgk_wipe(s, sizeof s);
}

void mcgk_p256_scalar_to_be(uint8_t be[32], const uint64_t k[MCGK_P256_LIMBS])
{
    mcgk_limbs_to_be(be, 32, k, MCGK_P256_LIMBS);
}

void mcgk_p256_scalar_mul(uint64_t r[MCGK_P256_LIMBS], const uint64_t a[MCGK_P256_LIMBS],
                          const uint64_t b[MCGK_P256_LIMBS])
{
    /* mont(a*R, b) = a*b: one conversion, one product, result in normal form */
    uint64_t am[MCGK_P256_LIMBS];
    mcgk_mont_mul(am, a, mcgk_p256_q.rr, &mcgk_p256_q);
    mcgk_mont_mul(r, am, b, &mcgk_p256_q);
    mcgk_wipe(am, sizeof am);
}

void mcgk_p256_scalar_add(uint64_t r[MCGK_P256_LIMBS], const uint64_t a[MCGK_P256_LIMBS],
                          const uint64_t b[MCGK_P256_LIMBS])
{
    mcgk_mont_add(r, a, b, &mcgk_p256_q);
}

static void sc_sqr_n(uint64_t r[MCGK_P256_LIMBS], unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        mcgk_mont_sqr(r, r, &mcgk_p256_q);
}

/*
 * a^-1 = a^(q-2) (Fermat) on crypto/mont.c, with a fixed chain for q - 2
 * instead of the generic 4-bit windows of mcgk_mont_inv: 256 squarings and
 * 40 multiplications instead of 256 and 78. The top half of q - 2 is
 * 32 ones, 32 zeros, 64 ones, made from x_k = a^(2^k - 1); the bottom half
 * (a public constant) goes by sliding 4-bit windows over the odd powers
 * a, a^3, ..., a^15. The exponent is public; the base never steers anything.
 */
void mcgk_p256_scalar_inv(uint64_t r[MCGK_P256_LIMBS], const uint64_t a[MCGK_P256_LIMBS])
{
    static const uint64_t low[2] = {0xf3b9cac2fc63254fULL, 0xbce6faada7179e84ULL};
    const mcgk_mont *Q = &mcgk_p256_q;
    struct {
        uint64_t odd[8][MCGK_P256_LIMBS]; /* a^(2i+1), Montgomery form */
        uint64_t a2[MCGK_P256_LIMBS], x[MCGK_P256_LIMBS], t[MCGK_P256_LIMBS];
    } w;
    mcgk_mont_to(w.odd[0], a, Q);
    mcgk_mont_sqr(w.a2, w.odd[0], Q);
    for (int i = 1; i < 8; i++)
        mcgk_mont_mul(w.odd[i], w.odd[i - 1], w.a2, Q);
    /* x = a^(2^32 - 1) from a^(2^2 - 1) = a^3 */
    memcpy(w.x, w.odd[1], sizeof w.x);
    for (unsigned k = 2; k < 32; k *= 2) {
        memcpy(w.t, w.x, sizeof w.t);
        sc_sqr_n(w.t, k);
        mcgk_mont_mul(w.x, w.t, w.x, Q);
    }
    /* top 128 bits: 1^32 0^32 1^64 */
    memcpy(w.t, w.x, sizeof w.t);
    sc_sqr_n(w.t, 64);
    mcgk_mont_mul(w.t, w.t, w.x, Q);
    sc_sqr_n(w.t, 32);
    mcgk_mont_mul(w.t, w.t, w.x, Q);
    /* bottom 128 bits */
    int i = 127;
    while (i >= 0) {
        if (((low[i / 64] >> (i % 64)) & 1) == 0) {
            mcgk_mont_sqr(w.t, w.t, Q);
            i--;
            continue;
        }
        int j = i - 3 < 0 ? 0 : i - 3;
        while (((low[j / 64] >> (j % 64)) & 1) == 0)
            j++;
        unsigned v = 0;
        for (int k = i; k >= j; k--)
            v = (v << 1) | (unsigned)((low[k / 64] >> (k % 64)) & 1);
        sc_sqr_n(w.t, (unsigned)(i - j + 1));
        mcgk_mont_mul(w.t, w.t, w.odd[v >> 1], Q);
        i = j - 1;
    }
    mcgk_mont_from(r, w.t, Q);
    mcgk_wipe(&w, sizeof w);
}

/* ======================================================================== */
/* Points                                                                    */
/* ======================================================================== */

/* 1 when y^2 = x^3 - 3x + B, as a mask (constant time). */
static uint64_t aff_on_curve_mask(const p256_aff *P)
{
    p256_fe lhs, rhs, t;
    fe_sqr(lhs, P->y);
    fe_sqr(t, P->x);
    fe_mul(rhs, t, P->x); /* x^3 */
    fe_add(t, P->x, P->x);
    fe_add(t, t, P->x); /* 3x */
    fe_sub(rhs, rhs, t);
    fe_add(rhs, rhs, mcgk_p256_b);
    return fe_eq_mask(lhs, rhs);
}

int mcgk_p256_aff_on_curve(const p256_aff *P) { return (int)(aff_on_curve_mask(P) & 1); }

/* RFC 6507 §3.2: points are 0x04 || x || y (SEC1 uncompressed), x, y < p. */
mcgk_err mcgk_p256_point_decode(p256_aff *P, const uint8_t in[MCGK_P256_POINT_LEN])
{
    uint8_t any = 0;
    for (size_t i = 0; i < MCGK_P256_POINT_LEN; i++)
        any |= in[i];
    if (any == 0)
        return MCGK_ERR_POINT_INFINITY;
    if (in[0] != 0x04)
        return MCGK_ERR_POINT_FORMAT;
    uint64_t x[MCGK_P256_LIMBS], y[MCGK_P256_LIMBS];
    mcgk_limbs_from_be(x, MCGK_P256_LIMBS, in + 1, 32);
    mcgk_limbs_from_be(y, MCGK_P256_LIMBS, in + 33, 32);
    if (!mcgk_limbs_lt_mask(x, mcgk_p256_p.m, MCGK_P256_LIMBS) ||
        !mcgk_limbs_lt_mask(y, mcgk_p256_p.m, MCGK_P256_LIMBS))
        return MCGK_ERR_POINT_RANGE;
    if (fe_is_zero_vartime(x) && fe_is_zero_vartime(y))
        return MCGK_ERR_POINT_INFINITY;
    p256_aff t;
    fe_mul(t.x, x, mcgk_p256_p.rr);
    fe_mul(t.y, y, mcgk_p256_p.rr);
    if (!aff_on_curve_mask(&t))
        return MCGK_ERR_POINT_NOT_ON_CURVE;
    *P = t;
    return MCGK_OK;
}

void mcgk_p256_point_encode(uint8_t out[MCGK_P256_POINT_LEN], const p256_aff *P)
{
    uint64_t t[MCGK_P256_LIMBS];
    out[0] = 0x04;
    mcgk_p256_fe_from_mont(t, P->x);
    mcgk_limbs_to_be(out + 1, 32, t, MCGK_P256_LIMBS);
    mcgk_p256_fe_from_mont(t, P->y);
    mcgk_limbs_to_be(out + 33, 32, t, MCGK_P256_LIMBS);
    mcgk_wipe(t, sizeof t);
}

void mcgk_p256_jac_from_aff(p256_jac *r, const p256_aff *a)
{
    memcpy(r->X, a->x, sizeof r->X);
    memcpy(r->Y, a->y, sizeof r->Y);
    memcpy(r->Z, mcgk_p256_p.one, sizeof r->Z);
}

uint64_t mcgk_p256_jac_to_aff(p256_aff *r, const p256_jac *P)
{
    p256_fe zi, z2, z3;
    uint64_t inf = fe_is_zero_mask(P->Z);
    mcgk_p256_fe_inv(zi, P->Z); /* 0 -> 0, so infinity yields (0, 0) */
    fe_sqr(z2, zi);
    fe_mul(z3, z2, zi);
    fe_mul(r->x, P->X, z2);
    fe_mul(r->y, P->Y, z3);
    mcgk_wipe(zi, sizeof zi);
    mcgk_wipe(z2, sizeof z2);
    mcgk_wipe(z3, sizeof z3);
    return inf;
}

void mcgk_p256_jac_to_aff2(p256_aff *a, const p256_jac *A, p256_aff *b, const p256_jac *B)
{
    /* Montgomery's trick: one inversion of Z_A Z_B gives both 1/Z */
    struct {
        p256_fe zz, zi, za, zb, z2, z3;
    } w;
    fe_mul(w.zz, A->Z, B->Z);
    mcgk_p256_fe_inv(w.zi, w.zz);
    fe_mul(w.za, w.zi, B->Z);
    fe_mul(w.zb, w.zi, A->Z);
    fe_sqr(w.z2, w.za);
    fe_mul(w.z3, w.z2, w.za);
    fe_mul(a->x, A->X, w.z2);
    fe_mul(a->y, A->Y, w.z3);
    fe_sqr(w.z2, w.zb);
    fe_mul(w.z3, w.z2, w.zb);
    fe_mul(b->x, B->X, w.z2);
    fe_mul(b->y, B->Y, w.z3);
    mcgk_wipe(&w, sizeof w);
}

uint64_t mcgk_p256_jac_eq_mask(const p256_jac *P, const p256_jac *Q)
{
    p256_fe z1z1, z2z2, a, b, c, d;
    uint64_t infP = fe_is_zero_mask(P->Z), infQ = fe_is_zero_mask(Q->Z);
    fe_sqr(z1z1, P->Z);
    fe_sqr(z2z2, Q->Z);
    fe_mul(a, P->X, z2z2);
    fe_mul(b, Q->X, z1z1);
    uint64_t eqx = fe_eq_mask(a, b);
    fe_mul(z2z2, z2z2, Q->Z);
    fe_mul(z1z1, z1z1, P->Z);
    fe_mul(c, P->Y, z2z2);
    fe_mul(d, Q->Y, z1z1);
    uint64_t eqy = fe_eq_mask(c, d);
    uint64_t eq = (infP & infQ) | (~infP & ~infQ & eqx & eqy);
    mcgk_wipe(z1z1, sizeof z1z1);
    mcgk_wipe(z2z2, sizeof z2z2);
    mcgk_wipe(a, sizeof a);
    mcgk_wipe(b, sizeof b);
    mcgk_wipe(c, sizeof c);
    mcgk_wipe(d, sizeof d);
    return eq;
}

/* dbl-2001-b (a = -3): 3M + 5S. Z = 0 gives Z3 = 0. r may alias P. */
static inline __attribute__((always_inline)) void jac_dbl(p256_jac *r, const p256_jac *P)
{
    p256_fe delta, gamma, beta, alpha, t, u;
    fe_sqr(delta, P->Z);
    fe_sqr(gamma, P->Y);
    fe_mul(beta, P->X, gamma);
    fe_sub(t, P->X, delta);
    fe_add(u, P->X, delta);
    fe_mul(alpha, t, u);
    fe_add(t, alpha, alpha);
    fe_add(alpha, t, alpha); /* 3(X - delta)(X + delta) */
    fe_add(t, P->Y, P->Z);
    fe_sqr(t, t);
    fe_sub(t, t, gamma);
    fe_sub(r->Z, t, delta); /* (Y + Z)^2 - gamma - delta = 2YZ */
    fe_add(beta, beta, beta);
    fe_add(beta, beta, beta); /* 4 beta */
    fe_sqr(t, alpha);
    fe_add(u, beta, beta);
    fe_sub(r->X, t, u); /* alpha^2 - 8 beta */
    fe_sub(t, beta, r->X);
    fe_mul(t, alpha, t);
    fe_sqr(gamma, gamma);
    fe_add(gamma, gamma, gamma);
    fe_add(gamma, gamma, gamma);
    fe_add(gamma, gamma, gamma); /* 8 gamma^2 */
    fe_sub(r->Y, t, gamma);
}

void mcgk_p256_jac_dbl(p256_jac *r, const p256_jac *P) { jac_dbl(r, P); }

/*
 * Jacobian + affine (madd, 8M + 3S), no special cases: wrong when P is
 * infinity or P = Q (the callers handle those), Z3 = 0 when P = -Q.
 * r may alias P.
 */
/* The temporaries of jac_madd_raw, kept by the caller so that a secret
 * computation can wipe them once at its end. */
typedef struct madd_tmp {
    p256_fe z1z1, u2, s2, h, rr, hh, hhh, v, t;
} madd_tmp;

static inline __attribute__((always_inline)) void jac_madd_raw(p256_jac *r, const p256_jac *P,
                                                               const p256_aff *Q, madd_tmp *w)
{
    fe_sqr(w->z1z1, P->Z);
    fe_mul(w->u2, Q->x, w->z1z1);
    fe_mul(w->s2, P->Z, w->z1z1);
    fe_mul(w->s2, Q->y, w->s2);
    fe_sub(w->h, w->u2, P->X);
    fe_sub(w->rr, w->s2, P->Y);
    fe_sqr(w->hh, w->h);
    fe_mul(w->hhh, w->h, w->hh);
    fe_mul(w->v, P->X, w->hh);
    fe_mul(r->Z, P->Z, w->h);
    fe_sqr(w->t, w->rr);
    fe_sub(w->t, w->t, w->hhh);
    fe_sub(w->t, w->t, w->v);
    fe_sub(w->t, w->t, w->v); /* X3 = R^2 - HHH - 2V */
    fe_sub(w->v, w->v, w->t);
    fe_mul(w->v, w->rr, w->v);
    fe_mul(w->hhh, P->Y, w->hhh);
    fe_sub(r->Y, w->v, w->hhh); /* Y3 = R(V - X3) - Y1 HHH */
    memcpy(r->X, w->t, sizeof w->t);
}

/* Jacobian + Jacobian for public data, every case handled. */
void mcgk_p256_jac_add_vartime(p256_jac *r, const p256_jac *P, const p256_jac *Q)
{
    if (fe_is_zero_vartime(P->Z)) {
        *r = *Q;
        return;
    }
    if (fe_is_zero_vartime(Q->Z)) {
        *r = *P;
        return;
    }
    p256_fe z1z1, z2z2, u1, u2, s1, s2, h, rr, hh, hhh, v, t;
    fe_sqr(z1z1, P->Z);
    fe_sqr(z2z2, Q->Z);
    fe_mul(u1, P->X, z2z2);
    fe_mul(u2, Q->X, z1z1);
    fe_mul(s1, Q->Z, z2z2);
    fe_mul(s1, P->Y, s1);
    fe_mul(s2, P->Z, z1z1);
    fe_mul(s2, Q->Y, s2);
    fe_sub(h, u2, u1);
    fe_sub(rr, s2, s1);
    if (fe_is_zero_vartime(h)) {
        if (fe_is_zero_vartime(rr)) {
            jac_dbl(r, P);
        } else {
            memset(r, 0, sizeof *r);
        }
        return;
    }
    fe_sqr(hh, h);
    fe_mul(hhh, h, hh);
    fe_mul(v, u1, hh);
    fe_mul(t, P->Z, Q->Z);
    fe_mul(r->Z, t, h);
    fe_sqr(t, rr);
    fe_sub(t, t, hhh);
    fe_sub(t, t, v);
    fe_sub(t, t, v);
    fe_sub(v, v, t);
    fe_mul(v, rr, v);
    fe_mul(hhh, s1, hhh);
    fe_sub(r->Y, v, hhh);
    memcpy(r->X, t, sizeof t);
}

/* Jacobian + affine for public data, every case handled. r may alias P. */
static void jac_madd_vartime(p256_jac *r, const p256_jac *P, const p256_aff *Q)
{
    if (fe_is_zero_vartime(P->Z)) {
        mcgk_p256_jac_from_aff(r, Q);
        return;
    }
    p256_fe z1z1, u2, s2, h, rr;
    fe_sqr(z1z1, P->Z);
    fe_mul(u2, Q->x, z1z1);
    fe_mul(s2, P->Z, z1z1);
    fe_mul(s2, Q->y, s2);
    fe_sub(h, u2, P->X);
    fe_sub(rr, s2, P->Y);
    if (fe_is_zero_vartime(h)) {
        if (fe_is_zero_vartime(rr))
            jac_dbl(r, P);
        else
            memset(r, 0, sizeof *r);
        return;
    }
    madd_tmp w;
    jac_madd_raw(r, P, Q, &w);
}

/* ---- signed 5-bit windows (Booth recoding) ---- */

/*
 * The Booth digit of window i of k (i public): with the 6 bits
 * w = k[5i+4 .. 5i-1] (bit -1 = 0), d = (w >> 1) + (w & 1) - 32*(w >> 5),
 * so that k = sum d_i 2^(5i) with d_i in [-16, 16]. Returns |d| and sets
 * *neg to an all-ones mask when d < 0. Arithmetic only: no branch on k.
 */
static inline uint64_t booth_digit(const uint64_t k[MCGK_P256_LIMBS], unsigned i, uint64_t *neg)
{
    uint64_t w;
    if (i == 0) {
        w = (k[0] << 1) & 63;
    } else {
        unsigned pos = 5 * i - 1, limb = pos / 64, sh = pos % 64;
        w = k[limb] >> sh;
        if (sh > 58 && limb + 1 < MCGK_P256_LIMBS)
            w |= k[limb + 1] << (64 - sh);
        w &= 63;
    }
    uint64_t u = w >> 1, low = w & 1, top = w >> 5;
    uint64_t n = (uint64_t)0 - top;
    uint64_t mag = mcgk_ct_select64(n, 32 - u - low, u + low);
    *neg = n & mcgk_ct_nonzero_mask64(mag);
    return mag;
}

/* Read every entry of a table row; keep entry mag-1 (all zero when mag = 0).
 * Two-limb vectors (SSE2 on x86-64, generic code elsewhere) halve the work;
 * the selection is accumulated in registers and stored once into T. */
typedef uint64_t p256_v2 __attribute__((vector_size(16)));

static inline void table_select(p256_aff *T, const p256_aff row[MCGK_P256_WIN_ENTRIES],
                                uint64_t mag)
{
    p256_v2 a0 = {0, 0}, a1 = {0, 0}, a2 = {0, 0}, a3 = {0, 0};
    for (uint64_t j = 0; j < MCGK_P256_WIN_ENTRIES; j++) {
        uint64_t m1 = mcgk_ct_eq_mask64(mag, j + 1);
        p256_v2 m = {m1, m1}, e0, e1, e2, e3;
        memcpy(&e0, row[j].x, 16);
        memcpy(&e1, row[j].x + 2, 16);
        memcpy(&e2, row[j].y, 16);
        memcpy(&e3, row[j].y + 2, 16);
        a0 |= m & e0;
        a1 |= m & e1;
        a2 |= m & e2;
        a3 |= m & e3;
    }
    memcpy(T->x, &a0, 16);
    memcpy(T->x + 2, &a1, 16);
    memcpy(T->y, &a2, 16);
    memcpy(T->y + 2, &a3, 16);
}

/*
 * [k]G in constant time: for each window i, R += [d_i 2^(5i)]G with the
 * table entry selected by masks and negated by mask. The accumulator starts
 * at infinity; the three cases of each step (R at infinity -> take T,
 * d_i = 0 -> keep R, otherwise R + T) are all computed and chosen by masks.
 *
 * Why the doubling case R = T never occurs for k in [1, q-1]: before window
 * i, R = [a]G with a = sum_{j<i} d_j 2^(5j), |a| <= 16 (2^(5i) - 1)/31 <
 * 2^(5i-1), and T = [d 2^(5i)]G with 1 <= |d| <= 16. For i <= 50,
 * 0 < |a -+ d 2^(5i)| < 2^(5i+4) + 2^(5i-1) < q, so R != +-T. For i = 51,
 * d in {1, 2} (k < 2^256): d = 1 gives 0 < |a -+ 2^255| < 2^255 + 2^254 < q;
 * d = 2 would need a = -+(2^256 mod q) - and a = -(2^256 - q) makes
 * k = q (excluded), a = +(2^256 - q) makes k = 2^257 - q > 2^256
 * (impossible). R = -T would mean k = 0 mod q (excluded).
 */
void mcgk_p256_mul_base(p256_jac *r, const uint64_t k[MCGK_P256_LIMBS])
{
    p256_jac acc, sum;
    p256_aff T;
    p256_fe ny;
    madd_tmp w;
    memset(&acc, 0, sizeof acc); /* Z = 0: infinity */
    for (unsigned i = 0; i < MCGK_P256_WINDOWS; i++) {
        uint64_t neg;
        uint64_t mag = booth_digit(k, i, &neg);
        table_select(&T, mcgk_p256_base_table[i], mag);
        mcgk_p256_fe_neg(ny, T.y);
        mcgk_ct_cmov64(T.y, ny, MCGK_P256_LIMBS, neg);
        jac_madd_raw(&sum, &acc, &T, &w);
        uint64_t inf = fe_is_zero_mask(acc.Z);
        uint64_t zero = mcgk_ct_zero_mask64(mag);
        /* R at infinity: R = (T.x, T.y, 1) */
        mcgk_ct_cmov64(sum.X, T.x, MCGK_P256_LIMBS, inf);
        mcgk_ct_cmov64(sum.Y, T.y, MCGK_P256_LIMBS, inf);
        mcgk_ct_cmov64(sum.Z, mcgk_p256_p.one, MCGK_P256_LIMBS, inf);
        /* d = 0: keep R */
        mcgk_ct_cmov64(sum.X, acc.X, MCGK_P256_LIMBS, zero);
        mcgk_ct_cmov64(sum.Y, acc.Y, MCGK_P256_LIMBS, zero);
        mcgk_ct_cmov64(sum.Z, acc.Z, MCGK_P256_LIMBS, zero);
        acc = sum;
    }
    *r = acc;
    mcgk_wipe(&acc, sizeof acc);
    mcgk_wipe(&sum, sizeof sum);
    mcgk_wipe(&T, sizeof T);
    mcgk_wipe(ny, sizeof ny);
    mcgk_wipe(&w, sizeof w);
}

/* [a]G for public a via the same table, skipping zero digits. */
static void mul_base_vartime(p256_jac *r, const uint64_t a[MCGK_P256_LIMBS])
{
    p256_jac acc;
    memset(&acc, 0, sizeof acc);
    for (unsigned i = 0; i < MCGK_P256_WINDOWS; i++) {
        uint64_t neg;
        uint64_t mag = booth_digit(a, i, &neg);
        if (mag == 0)
            continue;
        p256_aff T = mcgk_p256_base_table[i][mag - 1];
        if (neg)
            mcgk_p256_fe_neg(T.y, T.y);
        jac_madd_vartime(&acc, &acc, &T);
    }
    *r = acc;
}

/* Bits [pos, pos + cnt) of k (cnt <= 5, pos + cnt <= 256; public). */
static inline unsigned get_bits(const uint64_t k[MCGK_P256_LIMBS], unsigned pos, unsigned cnt)
{
    unsigned limb = pos / 64, sh = pos % 64;
    uint64_t w = k[limb] >> sh;
    if (sh + cnt > 64 && limb + 1 < MCGK_P256_LIMBS)
        w |= k[limb + 1] << (64 - sh);
    return (unsigned)(w & ((1u << cnt) - 1));
}

/*
 * Width-5 NAF of a public k < 2^256: out[i] odd in [-15, 15] or 0 with
 * k = sum out[i] 2^i; returns the number of digits (<= 257). A position whose
 * bit equals the running carry gives a zero digit; otherwise the next five
 * bits plus the carry form an odd digit, negative (with a carry) above 15.
 */
static unsigned wnaf5(int8_t out[257], const uint64_t k[MCGK_P256_LIMBS])
{
    unsigned carry = 0, len = 0, bit = 0;
    memset(out, 0, 257);
    while (bit < 256) {
        if (get_bits(k, bit, 1) == carry) {
            bit++;
            continue;
        }
        unsigned now = 256 - bit < 5 ? 256 - bit : 5;
        int word = (int)(get_bits(k, bit, now) + carry);
        carry = (unsigned)(word >> 4) & 1;
        word -= (int)(carry << 5);
        out[bit] = (int8_t)word;
        bit += now;
        len = bit < 257 ? bit : 257;
    }
    if (carry) {
        out[256] = 1;
        len = 257;
    }
    return len;
}

/* Odd multiples P, 3P, ..., 15P (Jacobian). */
static void odd_multiples(p256_jac tab[8], const p256_aff *P)
{
    p256_jac p2;
    mcgk_p256_jac_from_aff(&tab[0], P);
    jac_dbl(&p2, &tab[0]);
    for (int i = 1; i < 8; i++)
        mcgk_p256_jac_add_vartime(&tab[i], &tab[i - 1], &p2);
}

static void add_digit(p256_jac *acc, const p256_jac tab[8], int d)
{
    if (d > 0) {
        mcgk_p256_jac_add_vartime(acc, acc, &tab[d >> 1]);
    } else {
        p256_jac m = tab[(-d) >> 1];
        mcgk_p256_fe_neg(m.Y, m.Y);
        mcgk_p256_jac_add_vartime(acc, acc, &m);
    }
}

void mcgk_p256_mul3_vartime(p256_jac *r, const uint64_t a[MCGK_P256_LIMBS],
                            const uint64_t b[MCGK_P256_LIMBS], const p256_aff *P,
                            const uint64_t c[MCGK_P256_LIMBS], const p256_aff *Q)
{
    int8_t nb[257], nc[257];
    unsigned lb = 0, lc = 0;
    p256_jac tb[8], tc[8], acc;
    memset(&acc, 0, sizeof acc);
    if (b != NULL && P != NULL) {
        lb = wnaf5(nb, b);
        odd_multiples(tb, P);
    }
    if (c != NULL && Q != NULL) {
        lc = wnaf5(nc, c);
        odd_multiples(tc, Q);
    }
    unsigned len = lb > lc ? lb : lc;
    int started = 0;
    for (unsigned i = len; i-- > 0;) {
        if (started)
            jac_dbl(&acc, &acc);
        if (i < lb && nb[i] != 0) {
            add_digit(&acc, tb, nb[i]);
            started = 1;
        }
        if (i < lc && nc[i] != 0) {
            add_digit(&acc, tc, nc[i]);
            started = 1;
        }
    }
    if (a != NULL) {
        p256_jac g;
        mul_base_vartime(&g, a);
        mcgk_p256_jac_add_vartime(&acc, &acc, &g);
    }
    *r = acc;
}
