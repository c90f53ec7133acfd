/*
 * libFuzzer target for the group controller's SDP answer
 * (src/controller/sdp_answer.c, mcgk_ctl_sdp_answer; R-002-19): it reads
 * a caller's SDP offer, which is peer input. Seed corpus:
 * fuzz/corpus/ctl_sdp/ (offers with a=key-mgmt:mikey and a=crypto lines,
 * several media, bare LF lines, IPv6, broken m= lines).
 *
 * Properties checked on every input (abort = finding):
 *  1. the answer is built or the call fails with one of the listed codes;
 *  2. an answer holds no a=key-mgmt and no a=crypto line (no security
 *     content) and is NUL-terminated at *out_len;
 *  3. the answer to the answer is the answer itself (what is mirrored is
 *     stable), whenever the answer is short enough to be an offer.
 * ASan/UBSan (scripts/fuzz builds with them) catch memory errors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/controller.h"

static char g_a1[2 * MCGK_CTL_MAX_OFFER_LEN], g_a2[2 * MCGK_CTL_MAX_OFFER_LEN];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t l1 = 0, l2 = 0;
    mcgk_err e = mcgk_ctl_sdp_answer(data, size, "127.0.0.1", 7, g_a1, sizeof g_a1, &l1);
    if (e != MCGK_OK) {
        if (e != MCGK_ERR_MALFORMED && e != MCGK_ERR_OVERSIZED)
            abort();
        return 0;
    }
    if (g_a1[l1] != '\0' || strlen(g_a1) != l1 || strstr(g_a1, "\na=key-mgmt") != NULL ||
        strstr(g_a1, "\na=crypto") != NULL ||
        mcgk_ctl_sdp_has_key_mgmt((const uint8_t *)g_a1, l1))
        abort();
    if (l1 > MCGK_CTL_MAX_OFFER_LEN)
        return 0;
    e = mcgk_ctl_sdp_answer((const uint8_t *)g_a1, l1, "127.0.0.1", 7, g_a2, sizeof g_a2, &l2);
    if (e != MCGK_OK || l2 != l1 || memcmp(g_a1, g_a2, l1) != 0)
        abort();
    return 0;
}
