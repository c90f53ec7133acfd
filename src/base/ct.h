/*
 * Constant-time helpers (internal). Masks are all-ones (true) or zero.
 * WARNING: compilers may turn mask arithmetic back into branches; these
 * helpers pass values through an empty asm barrier to stop that, and the
 * ctgrind test (tests/ct/) checks the generated code under valgrind.
 */
#ifndef MCGK_BASE_CT_H
#define MCGK_BASE_CT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Secret marking for the ctgrind check (tests/ct/, Monocypher style): under
 * valgrind memcheck, mcgk_ct_poison marks a secret as undefined so any branch
 * or address that depends on it is reported; mcgk_ct_declassify releases a
 * value on purpose - a verdict (valid / invalid) or an event of negligible
 * probability that the protocol must act on. Outside valgrind both are a few
 * no-op instructions.
 */
#if defined(MCGK_HAVE_VALGRIND)
#include <valgrind/memcheck.h>
#define mcgk_ct_poison(p, n) ((void)VALGRIND_MAKE_MEM_UNDEFINED((p), (n)))
#define mcgk_ct_declassify(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#else
#define mcgk_ct_poison(p, n) ((void)(p), (void)(n))
#define mcgk_ct_declassify(p, n) ((void)(p), (void)(n))
#endif

/* Release a mask / flag value and return it (see mcgk_ct_declassify). */
static inline uint64_t mcgk_ct_declassify64(uint64_t x)
{
    mcgk_ct_declassify(&x, sizeof x);
    return x;
}

static inline uint64_t mcgk_ct_barrier64(uint64_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    __asm__("" : "+r"(x));
#endif
    return x;
}

/* all-ones when x != 0 */
static inline uint64_t mcgk_ct_nonzero_mask64(uint64_t x)
{
    x = mcgk_ct_barrier64(x);
    return (uint64_t)0 - ((x | ((uint64_t)0 - x)) >> 63);
}

/* all-ones when x == 0 */
static inline uint64_t mcgk_ct_zero_mask64(uint64_t x)
{
    return ~mcgk_ct_nonzero_mask64(x);
}

/* all-ones when a == b */
static inline uint64_t mcgk_ct_eq_mask64(uint64_t a, uint64_t b)
{
    return mcgk_ct_zero_mask64(a ^ b);
}

/* mask ? a : b */
static inline uint64_t mcgk_ct_select64(uint64_t mask, uint64_t a, uint64_t b)
{
    return b ^ (mask & (a ^ b));
}

/* dst = mask ? src : dst, over n words */
static inline void mcgk_ct_cmov64(uint64_t *dst, const uint64_t *src, size_t n, uint64_t mask)
{
    for (size_t i = 0; i < n; i++)
        dst[i] ^= mask & (dst[i] ^ src[i]);
}

/* swap a and b over n words when mask is all-ones */
static inline void mcgk_ct_cswap64(uint64_t *a, uint64_t *b, size_t n, uint64_t mask)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t t = mask & (a[i] ^ b[i]);
        a[i] ^= t;
        b[i] ^= t;
    }
}

#endif
