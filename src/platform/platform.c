/* OS clock and RNG for the shells. See mcgk/platform.h. */
#include <errno.h>
#include <sys/random.h>
#include <time.h>

#include "mcgk/kdf.h"
#include "mcgk/platform.h"

static int system_fill(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    while (len > 0) {
        ssize_t n = getrandom(out, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        out += n;
        len -= (size_t)n;
    }
    return 0;
}

static const mcgk_rng k_system_rng = {system_fill, NULL};

const mcgk_rng *mcgk_rng_system(void) { return &k_system_rng; }

uint64_t mcgk_now_unix_s(void) { return (uint64_t)time(NULL); }

uint64_t mcgk_now_unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t mcgk_now_ntp_s(void) { return mcgk_now_unix_s() + MCGK_NTP_UNIX_OFFSET_S; }

uint64_t mcgk_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
