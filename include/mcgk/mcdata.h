/*
 * mcgk/mcdata.h - MCData payload protection for group communications
 * (TS 33.180 §8, ts33180.md §8; seed 003, R-003-38): the payload travels in
 * the MCData Protected Payload envelope (mcgk/protected_payload.h) under
 *   DPPK    = the GMK of the group (no user-specific derivation: every member
 *             protects under the same key, unlike SRTP's per-sender keys)
 *   DPPK-ID = the GMK-ID
 *   DPCK    = KDF(GMK, 0x53, GMK-ID) (mcgk_dpck; FC UNCONFIRMED)
 * with AES-128-GCM, a fresh random 16-octet IV per payload, AAD = the first
 * 32 octets of the envelope. Decisions: docs/media.md.
 *
 * The payload is opaque here: the caller's MCData content (an SDS or FD
 * payload of TS 24.282). Header fields the 3GPP tables define and the digest
 * does not pin down (message type, payload IEI) are the caller's, with
 * Streamwide's values as defaults (mcgk_mcdata_info_init); the payload IEI is
 * pinned (see MCGK_MCDATA_PAYLOAD_IEI).
 *
 * Secrets: the GMK (and the DPCK derived inside), the payload. Parsing is
 * public and variable time; the tag check is OpenSSL's (constant time).
 */
#ifndef MCGK_MCDATA_H
#define MCGK_MCDATA_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/base.h"
#include "mcgk/error.h"
#include "mcgk/kdf.h"
#include "mcgk/media.h"
#include "mcgk/protected_payload.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MCGK_MCDATA_PAYLOAD_MAX_LEN MCGK_PP_PLAINTEXT_MAX_LEN         /* 65519 octets */
#define MCGK_MCDATA_OVERHEAD (MCGK_PP_HEADER_LEN + MCGK_PP_TAG_LEN) /* 51 octets */
#define MCGK_MCDATA_MSG_TYPE MCGK_PP_MSG_TYPE /* default message type (UNCONFIRMED) */
/* The payload IEI written and required (UNCONFIRMED value, Streamwide's). It sits
 * outside the AAD (octets 0..31) in the §8.5.4 layout, so a receiver could not
 * tell a changed IEI: mcgk pins it, and every octet it accepts is authenticated. */
#define MCGK_MCDATA_PAYLOAD_IEI 0x00

/* The envelope's header fields besides algorithm, IV, DPPK-ID and payload IEI (all
 * public, all authenticated as AAD). */
typedef struct mcgk_mcdata_info {
    uint8_t message_type;
    uint64_t date_time;   /* 40 bits (caller's clock; mcgk does not read one) */
    uint32_t payload_id;
    uint8_t payload_seq;
} mcgk_mcdata_info;

/* Defaults: message type MCGK_MCDATA_MSG_TYPE, the rest 0. */
void mcgk_mcdata_info_init(mcgk_mcdata_info *info);

/*
 * Protect payload[0..len) for the group under GMK `gmk` (SECRET) with GMK-ID
 * gmk_id: writes the envelope (len + MCGK_MCDATA_OVERHEAD octets) to out.
 * info NULL: the defaults. The 16-octet IV is drawn from rng. out == NULL: size
 * query (no randomness drawn).
 * Returns MCGK_OK; MCGK_ERR_INVALID_ARG (NULLs, date_time above 40 bits);
 * MCGK_ERR_KEY_PURPOSE (gmk_id's purpose tag is not GMK, 0);
 * MCGK_ERR_OVERSIZED (len above MCGK_MCDATA_PAYLOAD_MAX_LEN);
 * MCGK_ERR_BUFFER_TOO_SMALL (*out_len = needed, nothing written);
 * MCGK_ERR_RNG; MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_mcdata_protect(const uint8_t gmk[MCGK_KEY_LEN], uint32_t gmk_id,
                             const mcgk_mcdata_info *info, const mcgk_rng *rng,
                             const uint8_t *payload, size_t len, uint8_t *out, size_t out_cap,
                             size_t *out_len);

/*
 * Open an envelope in[0..len) with a known GMK (SECRET) and its GMK-ID: the
 * payload (envelope length - 51 octets) goes to out, which must not overlap
 * in. info (may be NULL) receives the header fields on MCGK_OK.
 * Returns MCGK_OK; MCGK_ERR_INVALID_ARG (NULLs);
 * MCGK_ERR_TRUNCATED / MCGK_ERR_TRAILING_DATA (framing);
 * MCGK_ERR_UNSUPPORTED (payload algorithm);
 * MCGK_ERR_KEY_PURPOSE (the DPPK-ID's purpose tag is not GMK);
 * MCGK_ERR_MALFORMED (payload IEI is not MCGK_MCDATA_PAYLOAD_IEI, or the
 * payload is shorter than the tag);
 * MCGK_ERR_UNKNOWN_KEY_ID (the DPPK-ID is not gmk_id);
 * MCGK_ERR_BUFFER_TOO_SMALL (*out_len = needed, nothing written);
 * MCGK_ERR_PAYLOAD_AUTH (wrong key or tampered: out[0..payload length) is
 * wiped, nothing unauthenticated is released); MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_mcdata_open(const uint8_t gmk[MCGK_KEY_LEN], uint32_t gmk_id, const uint8_t *in,
                          size_t len, uint8_t *out, size_t out_cap, size_t *out_len,
                          mcgk_mcdata_info *info);

/*
 * Receiver: parse the envelope, resolve its DPPK-ID (a GMK-ID) through lookup
 * (the client's key store, mcgk/media.h), check that the GMK is held for
 * MCGK_MEDIA_USE_DATA, and open. gmk_id (may be NULL) receives the DPPK-ID on
 * MCGK_OK. The GMK is wiped before return.
 * Returns mcgk_mcdata_open's codes (framing checks before the lookup), plus
 * MCGK_ERR_UNKNOWN_KEY_ID / MCGK_ERR_REVOKED / other codes of the lookup, and
 * MCGK_ERR_KEY_USAGE (the GMK is not held for data).
 */
mcgk_err mcgk_mcdata_unprotect(mcgk_media_key_fn lookup, void *lookup_ctx, const uint8_t *in,
                               size_t len, uint8_t *out, size_t out_cap, size_t *out_len,
                               mcgk_mcdata_info *info, uint32_t *gmk_id);

#ifdef __cplusplus
}
#endif
#endif
