/*
 * mcgk/platform.h - the only place the OS clock and RNG are read. Used by
 * the shells (apps, net, store); the core takes time and randomness as
 * arguments.
 */
#ifndef MCGK_PLATFORM_H
#define MCGK_PLATFORM_H

#include <stdint.h>

#include "mcgk/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The OS CSPRNG (getrandom(2)). */
const mcgk_rng *mcgk_rng_system(void);

/* Wall clock, Unix seconds, and NTP seconds (Unix + 2208988800). */
uint64_t mcgk_now_unix_s(void);
uint64_t mcgk_now_ntp_s(void);
/* Wall clock, Unix milliseconds (e.g. the broadcast frame's "sent at"). */
uint64_t mcgk_now_unix_ms(void);
/* Monotonic clock in nanoseconds, for timings. */
uint64_t mcgk_monotonic_ns(void);

#ifdef __cplusplus
}
#endif
#endif
