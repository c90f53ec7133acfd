/*
 * mcgk/broadcast.h - the off-network media-session creation message
 * (seed requirements R-002-20..25; spec/README.md §2.8; mikey.md §14): a
 * UE without a network broadcasts its SDP offer - carrying the MIKEY-PSK
 * message with the GSK under the GMK (a=key-mgmt:mikey ...) - to the
 * group; members take the GSK from it; nobody answers; best effort.
 *
 * The seeds name the procedure, not a wire format, so mcgk frames the
 * offer in one UDP datagram of its own design (docs/controller.md
 * "Broadcast frame"), big-endian:
 *
 *   offset size
 *    0     4   magic "MCGB"
 *    4     1   version, 1
 *    5     1   type, 1 = media-session creation
 *    6     2   flags, 0 (others are refused: nothing is defined yet)
 *    8     8   session id: random, the same in every repeat of one message
 *   16     2   repeat number: 0, 1, 2 ... (best effort: the sender repeats)
 *   18     8   sent at, Unix milliseconds (for logs and staleness checks)
 *   26     1   originator URI length o (1..255), then o octets
 *    .     1   group URI length g (1..255), then g octets
 *    .     2   SDP length b (1..MCGK_BCAST_MAX_SDP), then b octets
 *   (nothing after it)
 *
 * URIs are visible ASCII (0x21..0x7e); the SDP is text without NUL. The
 * frame carries no integrity check of its own: the MIKEY message inside is
 * MACed under keys derived from the GMK and may be ECCSI-signed
 * (R-002-21, R-002-22); a receiver trusts what the MIKEY checks say, not
 * the frame's originator field.
 *
 * Secrets: none (the GSK inside the MIKEY message is encrypted).
 */
#ifndef MCGK_BROADCAST_H
#define MCGK_BROADCAST_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MCGK_BCAST_MAGIC "MCGB"
#define MCGK_BCAST_VERSION 1
#define MCGK_BCAST_TYPE_SESSION 1
#define MCGK_BCAST_HEADER_LEN 26
#define MCGK_BCAST_MAX_URI 255
#define MCGK_BCAST_MAX_SDP 16384
#define MCGK_BCAST_MAX_FRAME                                                                  \
    (MCGK_BCAST_HEADER_LEN + 1 + MCGK_BCAST_MAX_URI + 1 + MCGK_BCAST_MAX_URI + 2 +               \
     MCGK_BCAST_MAX_SDP)

typedef struct mcgk_bcast_frame {
    uint8_t type;                            /* MCGK_BCAST_TYPE_SESSION */
    uint8_t session_id[8];
    uint16_t repeat;
    uint64_t sent_unix_ms;
    char originator[MCGK_BCAST_MAX_URI + 1]; /* NUL-terminated */
    char group[MCGK_BCAST_MAX_URI + 1];
    const uint8_t *sdp;                      /* parse: points into the input */
    size_t sdp_len;
} mcgk_bcast_frame;

/*
 * Encode f into out[0..out_cap); *out_len = its length (also on
 * MCGK_ERR_BUFFER_TOO_SMALL). Returns MCGK_OK, MCGK_ERR_BUFFER_TOO_SMALL,
 * MCGK_ERR_INVALID_ARG (a URI empty, too long or not visible ASCII, an SDP
 * empty, longer than MCGK_BCAST_MAX_SDP or with a NUL, a type other than
 * MCGK_BCAST_TYPE_SESSION).
 */
mcgk_err mcgk_bcast_encode(const mcgk_bcast_frame *f, uint8_t *out, size_t out_cap,
                           size_t *out_len);

/*
 * Parse one datagram. On failure *out is untouched. Checks, in order:
 *   MCGK_ERR_TRUNCATED      the input ends inside a field
 *   MCGK_ERR_BCAST_MAGIC    the first 4 octets are not "MCGB"
 *   MCGK_ERR_UNSUPPORTED    version not 1, type not 1, or a flag set
 *   MCGK_ERR_LENGTH         a URI or the SDP of length 0
 *   MCGK_ERR_OVERSIZED      SDP length above MCGK_BCAST_MAX_SDP
 *   MCGK_ERR_MALFORMED      a URI octet outside 0x21..0x7e, a NUL in the SDP
 *   MCGK_ERR_TRAILING_DATA  octets after the SDP
 *   MCGK_ERR_INVALID_ARG    out == NULL, or in == NULL with len > 0
 * Variable time (public data).
 */
mcgk_err mcgk_bcast_parse(const uint8_t *in, size_t len, mcgk_bcast_frame *out);

#ifdef __cplusplus
}
#endif
#endif
