/*
 * mcgk/media.h - how the media layer (SRTP/SRTCP in mcgk/srtp.h, MCData in
 * mcgk/mcdata.h) obtains group keys: a caller callback that resolves a key
 * identifier (the GMK-ID in an SRTP MKI, the DPPK-ID of an MCData payload)
 * to the key and what it may protect. The client's key store provides it
 * (docs/media.md shows the mapping from mcgk_client_gmk).
 *
 * Spec: ts33180.md §7.4.2 (GMK-ID -> GMK, RAND of the I_MESSAGE), §8 (DPPK),
 * README §2.5 and seed 004 (a separate GMK for floor control).
 *
 * Secrets: mcgk_media_key.key. The callback writes it into a struct owned by
 * the media layer, which wipes it as soon as the per-sender keys are derived.
 */
#ifndef MCGK_MEDIA_H
#define MCGK_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/error.h"
#include "mcgk/kdf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MCGK_MEDIA_RAND_MAX 255 /* the MIKEY RAND payload length is one octet */

/*
 * What a key may protect (bits of mcgk_media_key.uses). The key store decides:
 * a group with a separate floor-control GMK (use="floor-control", seed 004)
 * gives that GMK MCGK_MEDIA_USE_RTCP only and the media GMK MCGK_MEDIA_USE_RTP
 * (+ DATA); a group with one GMK gives it all three (seed 003 §4.3.5.2: floor
 * control under keys derived from the group's root key).
 */
#define MCGK_MEDIA_USE_RTP 0x1u  /* SRTP: group media (MCPTT voice, MCVideo) */
#define MCGK_MEDIA_USE_RTCP 0x2u /* SRTCP: floor control (TS 24.380 RTCP APP) */
#define MCGK_MEDIA_USE_DATA 0x4u /* MCData protected payloads (DPPK) */
#define MCGK_MEDIA_USE_ALL (MCGK_MEDIA_USE_RTP | MCGK_MEDIA_USE_RTCP | MCGK_MEDIA_USE_DATA)

/* One resolved key. */
typedef struct mcgk_media_key {
    uint8_t key[MCGK_KEY_LEN];      /* the GMK (SECRET) */
    size_t rand_len;                /* RAND of the I_MESSAGE that carried it (§7.4.2) */
    uint8_t rand[MCGK_MEDIA_RAND_MAX];
    unsigned uses;                  /* MCGK_MEDIA_USE_* */
} mcgk_media_key;

/*
 * Resolve key_id (a GMK-ID) into *out. Return MCGK_OK with *out filled;
 * MCGK_ERR_UNKNOWN_KEY_ID when no such key is held; MCGK_ERR_REVOKED when it
 * was revoked (or replaced, e.g. after the sender's removal from the group);
 * any other code is passed through to the caller of the media function.
 * Called from the thread that called the media function; must not call back
 * into the same media context.
 */
typedef mcgk_err (*mcgk_media_key_fn)(void *ctx, uint32_t key_id, mcgk_media_key *out);

#ifdef __cplusplus
}
#endif
#endif
