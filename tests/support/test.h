/*
 * Minimal test harness. Each test binary defines test functions and calls
 * them from main() via TEST_RUN; TEST_MAIN_END prints "N passed, N failed"
 * and returns non-zero on any failure. A test's name carries the
 * requirement number it checks (R-...), where it checks one.
 */
#ifndef MCGK_TEST_H
#define MCGK_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/base.h"
#include "mcgk/error.h"

extern int mcgk_test_failures;   /* failures inside the current test */
extern int mcgk_test_passed;
extern int mcgk_test_failed;

void mcgk_test_fail(const char *file, int line, const char *fmt, ...);

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond))                                                             \
            mcgk_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);              \
    } while (0)

#define CHECK_ERR(expr, want)                                                    \
    do {                                                                         \
        mcgk_err got_ = (expr);                                                  \
        mcgk_err want_ = (want);                                                 \
        if (got_ != want_)                                                       \
            mcgk_test_fail(__FILE__, __LINE__, "%s = %s, want %s", #expr,        \
                           mcgk_err_name(got_), mcgk_err_name(want_));           \
    } while (0)

#define CHECK_OK(expr) CHECK_ERR(expr, MCGK_OK)

#define CHECK_MEM(a, b, len)                                                     \
    do {                                                                         \
        if (memcmp((a), (b), (len)) != 0)                                        \
            mcgk_test_fail(__FILE__, __LINE__, "memory differs: %s vs %s (%zu)", \
                           #a, #b, (size_t)(len));                               \
    } while (0)

#define TEST_RUN(fn)                                                             \
    do {                                                                         \
        mcgk_test_failures = 0;                                                  \
        fn();                                                                    \
        if (mcgk_test_failures) {                                                \
            mcgk_test_failed++;                                                  \
            printf("FAIL %s\n", #fn);                                            \
        } else {                                                                 \
            mcgk_test_passed++;                                                  \
            printf("ok   %s\n", #fn);                                            \
        }                                                                        \
        fflush(stdout);                                                          \
    } while (0)

#define TEST_MAIN_END()                                                          \
    do {                                                                         \
        printf("%d passed, %d failed\n", mcgk_test_passed, mcgk_test_failed);    \
        return mcgk_test_failed ? 1 : 0;                                         \
    } while (0)

/* 1 when MCGK_TEST_QUICK is set (the sanitizer run): loops use fewer rounds. */
int mcgk_test_quick(void);

/* ---- deterministic RNGs for tests ---- */

/* Returns the given bytes in order (then fails). */
typedef struct mcgk_test_fixed_rng {
    const uint8_t *bytes;
    size_t len;
    size_t pos;
} mcgk_test_fixed_rng;
mcgk_rng mcgk_test_fixed_rng_init(mcgk_test_fixed_rng *st, const uint8_t *bytes, size_t len);

/* A seeded pseudo-random generator (xoshiro256**): reproducible random tests. */
typedef struct mcgk_test_prng {
    uint64_t s[4];
} mcgk_test_prng;
mcgk_rng mcgk_test_prng_init(mcgk_test_prng *st, uint64_t seed);
void mcgk_test_prng_fill(mcgk_test_prng *st, uint8_t *out, size_t len);
uint64_t mcgk_test_prng_next(mcgk_test_prng *st);

/* ---- vector files (tests/vectors/<name>.txt: "name = hex", [section], # comments) ---- */

typedef struct mcgk_vecfile mcgk_vecfile;
/* Loads tests/vectors/<name>; aborts the test binary if the file is missing. */
mcgk_vecfile *mcgk_vec_load(const char *name);
void mcgk_vec_free(mcgk_vecfile *v);
/* Raw value text (section may be NULL for the top level); NULL if absent. */
const char *mcgk_vec_str(const mcgk_vecfile *v, const char *section, const char *name);
/* Hex-decoded value into a malloc'ed buffer (caller frees); aborts if absent/bad. */
uint8_t *mcgk_vec_hex(const mcgk_vecfile *v, const char *section, const char *name, size_t *len);
/* Decimal value; aborts if absent. */
uint64_t mcgk_vec_u64(const mcgk_vecfile *v, const char *section, const char *name);
/* Number of sections and the name of section i, to iterate e.g. all [uid.N]. */
size_t mcgk_vec_section_count(const mcgk_vecfile *v);
const char *mcgk_vec_section_name(const mcgk_vecfile *v, size_t i);

/* Decode a hex literal into a malloc'ed buffer (test helper); aborts on bad hex. */
uint8_t *mcgk_test_unhex(const char *hex, size_t *len);

#endif
