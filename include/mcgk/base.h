/*
 * mcgk/base.h - things every layer uses: the RNG callback, secret wiping,
 * constant-time comparison, hex.
 *
 * The core never calls the OS RNG: every function that needs randomness
 * takes a `const mcgk_rng *`. The shells pass mcgk_rng_system() (see
 * mcgk/platform.h); tests pass fixed bytes so spec vectors reproduce.
 */
#ifndef MCGK_BASE_H
#define MCGK_BASE_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fill out[0..len) with random octets; return 0 on success, non-zero on failure. */
typedef int (*mcgk_rng_fn)(void *ctx, uint8_t *out, size_t len);

typedef struct mcgk_rng {
    mcgk_rng_fn fill;
    void *ctx;
} mcgk_rng;

/* Calls rng->fill; MCGK_ERR_RNG when it fails or rng is NULL. */
mcgk_err mcgk_rng_bytes(const mcgk_rng *rng, uint8_t *out, size_t len);

/* Overwrite len octets at p with zeros in a way the compiler cannot drop. */
void mcgk_wipe(void *p, size_t len);

/* 1 when a[0..len) == b[0..len), else 0. Time depends only on len. */
int mcgk_ct_memeq(const void *a, const void *b, size_t len);

/*
 * Hex. mcgk_hex_decode accepts upper and lower case, no separators.
 * Returns MCGK_ERR_HEX for an odd length or a non-hex character,
 * MCGK_ERR_BUFFER_TOO_SMALL when out_cap < strlen/2 (*out_len = needed).
 */
mcgk_err mcgk_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t out_cap,
                         size_t *out_len);
/* Writes 2*len lower-case hex characters and a NUL: out_cap >= 2*len+1. */
mcgk_err mcgk_hex_encode(const uint8_t *in, size_t len, char *out, size_t out_cap);

#ifdef __cplusplus
}
#endif
#endif
