/*
 * libFuzzer target for the off-network media-session creation frame
 * (src/net/broadcast_frame.c, mcgk/broadcast.h; R-002-20). Seed corpus:
 * fuzz/corpus/broadcast/ (frames with an SDP offer holding a key-mgmt
 * line, the longest URIs, a one-octet SDP, repeats, and broken ones).
 *
 * Properties checked on every input (abort = finding):
 *  1. mcgk_bcast_parse succeeds or fails with one of its listed codes, and
 *     a failure leaves the output untouched;
 *  2. a parsed frame encodes back to the input octet for octet, and that
 *     parses again to the same fields;
 *  3. a parsed frame's URIs are visible ASCII and its SDP has no NUL.
 * ASan/UBSan (scripts/fuzz builds with them) catch memory errors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/broadcast.h"

static uint8_t g_out[MCGK_BCAST_MAX_FRAME];

static int listed(mcgk_err e)
{
    return e == MCGK_ERR_TRUNCATED || e == MCGK_ERR_BCAST_MAGIC || e == MCGK_ERR_UNSUPPORTED ||
           e == MCGK_ERR_LENGTH || e == MCGK_ERR_OVERSIZED || e == MCGK_ERR_MALFORMED ||
           e == MCGK_ERR_TRAILING_DATA;
}

static int visible(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mcgk_bcast_frame f, before, g;
    memset(&f, 0xa5, sizeof f);
    memcpy(&before, &f, sizeof f);
    mcgk_err e = mcgk_bcast_parse(data, size, &f);
    if (e != MCGK_OK) {
        if (!listed(e) || memcmp(&f, &before, sizeof f) != 0)
            abort();
        return 0;
    }
    if (!visible(f.originator) || !visible(f.group) || f.sdp_len == 0 ||
        f.sdp_len > MCGK_BCAST_MAX_SDP || memchr(f.sdp, 0, f.sdp_len) != NULL)
        abort();
    size_t len;
    if (mcgk_bcast_encode(&f, g_out, sizeof g_out, &len) != MCGK_OK || len != size ||
        memcmp(g_out, data, size) != 0)
        abort();
    if (mcgk_bcast_parse(g_out, len, &g) != MCGK_OK || g.repeat != f.repeat ||
        g.sent_unix_ms != f.sent_unix_ms || memcmp(g.session_id, f.session_id, 8) != 0 ||
        strcmp(g.originator, f.originator) != 0 || strcmp(g.group, f.group) != 0 ||
        g.sdp_len != f.sdp_len || memcmp(g.sdp, f.sdp, f.sdp_len) != 0)
        abort();
    return 0;
}
