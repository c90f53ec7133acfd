/*
 * mcgk/key_params.h - the "3GPP key parameters" carried with a key in a
 * MIKEY-SAKKE I_MESSAGE (TS 33.180 §5.2.4, Annex E.6) and the MCData
 * protected-payload envelope that encrypts them (TS 33.180 §8.5.4 layout,
 * E.6.1: DPPK = the key carried, DPPK-ID = the MIKEY CSB ID).
 *
 * Spec: ../shared/spec/ts33180.md §E.6 (content), §8 (envelope, DPCK),
 * README §4 (UNCONFIRMED items). Every UNCONFIRMED value is one named
 * constant below, chosen as the Streamwide implementation sends it, and
 * written down in docs/mikey.md.
 *
 * Content (E.6.1, Streamwide layout; format V / LV-E of TS 24.379 Annex I):
 *   Key Type (1) | Status (4) | Activation Time (5) | Expiry Time (5) |
 *   Text: length (2) + UTF-8 |
 *   MC Group IDs, only for key types GMK, MKFC, MuSiK: length (2) +
 *     number of group IDs (1) + per group ID: IEI (1) | length (2) | ID
 *
 * Envelope (§8.5.4, 35 octets + ciphertext; mcgk/protected_payload.h):
 *   message type (1) | date and time (5) | payload ID (4) | payload
 *   sequence number (1) | algorithm (1) | IV (16) | DPPK-ID (4) |
 *   payload IEI (1) | payload length (2) | AES-128-GCM(content) || tag (16)
 *   with key DPCK = KDF(DPPK, 0x53, DPPK-ID) (mcgk/kdf.h mcgk_dpck), the
 *   16-octet IV as the GCM nonce (J0 = GHASH(IV)), AAD = octets 0..31.
 *
 * Secrets: the DPPK (the GMK ...) and the DPCK derived from it are secret
 * and wiped; the decrypted content is confidential (it travelled
 * encrypted) and every temporary copy of it is wiped. Parsing and
 * decoding run in variable time over public framing only; the tag check
 * is OpenSSL's (constant time).
 */
#ifndef MCGK_KEY_PARAMS_H
#define MCGK_KEY_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/error.h"
#include "mcgk/kdf.h"
#include "mcgk/protected_payload.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- content bounds ---------------------------------------------------------------- */

#define MCGK_KP_TEXT_MAX 255      /* octets of Text accepted / written */
#define MCGK_KP_MAX_GROUPS 16     /* MC group IDs in one element */
#define MCGK_KP_GROUP_ID_MAX 255  /* octets of one MC group ID */
/* Longest content mcgk writes or accepts. */
#define MCGK_KP_CONTENT_MAX_LEN \
    (1 + 4 + 5 + 5 + 2 + MCGK_KP_TEXT_MAX + 2 + 1 + MCGK_KP_MAX_GROUPS * (3 + MCGK_KP_GROUP_ID_MAX))

/* Status bits (E.6.9): bit 0 set = the key is NOT revoked; bit 1 = shared with a
 * security gateway. Other bits are kept as received. */
#define MCGK_KP_STATUS_NOT_REVOKED 0x00000001u
#define MCGK_KP_STATUS_SEC_GATEWAY 0x00000002u

/*
 * Epoch of the 40-bit Activation / Expiry times, as NTP seconds (seconds since
 * 1900-01-01 UTC) at that epoch. UNCONFIRMED (spec README §4): the digest and its
 * synthetic vector count NTP seconds (epoch 1900, value 0); other 5-octet MONP time
 * IEs count from 1970 (then this would be 2208988800). The one switch.
 */
#define MCGK_KP_TIME_EPOCH_NTP_S 0ull
#define MCGK_KP_TIME_MAX ((1ull << 40) - 1) /* largest 40-bit time value */

/*
 * IEI written in front of each MC group ID. UNCONFIRMED (spec README §4): the
 * TS 24.282 "MCData group ID" IE, whose IEI is 0x7B. Any IEI is accepted on receipt.
 */
#define MCGK_KP_GROUP_ID_IEI 0x7B

/* ---- envelope constants (§8.5.4; all UNCONFIRMED, Streamwide's values) -----------------
 * The envelope itself is mcgk/protected_payload.h; these are the values the key
 * parameters write into it. */

#define MCGK_KP_MSG_TYPE MCGK_PP_MSG_TYPE /* message type written (any accepted: it is in the AAD) */
#define MCGK_KP_DATE_TIME 1          /* 40-bit date and time written; ignored on receipt */
#define MCGK_KP_PAYLOAD_IEI 0x00     /* payload IEI written (any accepted) */
#define MCGK_KP_ALG_AES_128_GCM MCGK_PP_ALG_AES_128_GCM /* the only payload algorithm accepted */
#define MCGK_KP_IV_LEN MCGK_PP_IV_LEN
#define MCGK_KP_TAG_LEN MCGK_PP_TAG_LEN
#define MCGK_KP_AAD_LEN MCGK_PP_AAD_LEN /* message type .. DPPK-ID */
#define MCGK_KP_ENVELOPE_HEADER_LEN MCGK_PP_HEADER_LEN
#define MCGK_KP_ENVELOPE_MAX_LEN \
    (MCGK_KP_ENVELOPE_HEADER_LEN + MCGK_KP_CONTENT_MAX_LEN + MCGK_KP_TAG_LEN)

/* ---- the parameters ---------------------------------------------------------------------- */

typedef struct mcgk_kp_group {
    uint8_t iei;                        /* as received; MCGK_KP_GROUP_ID_IEI when built */
    size_t len;                         /* octets of id */
    char id[MCGK_KP_GROUP_ID_MAX + 1];  /* the MC group ID (UTF-8), NUL after len octets */
} mcgk_kp_group;

typedef struct mcgk_key_params {
    uint8_t key_type;          /* E.6.11: the key purpose, MCGK_PURPOSE_* of mcgk/kdf.h */
    uint32_t status;           /* MCGK_KP_STATUS_* bits */
    uint64_t activation_ntp_s; /* E.6.4; 0 = not given (sent as 0) */
    uint64_t expiry_ntp_s;     /* E.6.10; 0 = no expiry (sent as 0) */
    size_t text_len;
    char text[MCGK_KP_TEXT_MAX + 1]; /* E.6.5 (UTF-8, as received), NUL after text_len */
    int has_groups;            /* decode: the MC Group IDs element was present */
    size_t n_groups;
    mcgk_kp_group groups[MCGK_KP_MAX_GROUPS]; /* E.6.3 */
} mcgk_key_params;

/* 1 when key type `t` carries the MC Group IDs element (GMK, MKFC, MuSiK; E.6.1). */
int mcgk_key_params_type_has_groups(uint8_t t);

/*
 * Fill *kp for a key of `key_type`: status "not revoked", no times, no text,
 * no groups. Then set fields, or add groups with mcgk_key_params_add_group.
 */
void mcgk_key_params_init(mcgk_key_params *kp, uint8_t key_type);

/*
 * Append one MC group ID (IEI MCGK_KP_GROUP_ID_IEI). Returns MCGK_OK;
 * MCGK_ERR_INVALID_ARG (NULLs, empty id); MCGK_ERR_OVERSIZED (longer than
 * MCGK_KP_GROUP_ID_MAX, or MCGK_KP_MAX_GROUPS already present).
 */
mcgk_err mcgk_key_params_add_group(mcgk_key_params *kp, const char *id, size_t id_len);

/*
 * Encode the content. The MC Group IDs element is written exactly when the key
 * type carries it (even with no group: count 0, as Streamwide does).
 * out == NULL: size query. Returns MCGK_OK; MCGK_ERR_BUFFER_TOO_SMALL (*out_len =
 * size needed); MCGK_ERR_INVALID_ARG (NULLs; text or a group ID above its bound;
 * more than MCGK_KP_MAX_GROUPS groups; groups on a key type without the element;
 * a time before MCGK_KP_TIME_EPOCH_NTP_S or beyond 40 bits).
 */
mcgk_err mcgk_key_params_encode(const mcgk_key_params *kp, uint8_t *out, size_t out_cap,
                                size_t *out_len);

/*
 * Decode content in[0..len) (all of it). The MC Group IDs element is optional
 * for GMK/MKFC/MuSiK (absent: has_groups = 0) and absent for the other types.
 * Returns MCGK_OK; MCGK_ERR_INVALID_ARG (NULLs); MCGK_ERR_TRUNCATED; MCGK_ERR_TRAILING_DATA
 * (octets after the last element, including a group element on a key type
 * without one); MCGK_ERR_OVERSIZED (text, a group ID or the count above its
 * bound); MCGK_ERR_MALFORMED (the group element's length disagrees with its
 * count and entries, an empty group ID). On error *out is untouched.
 */
mcgk_err mcgk_key_params_decode(const uint8_t *in, size_t len, mcgk_key_params *out);

/* ---- the envelope --------------------------------------------------------------------- */

/*
 * Seal content[0..content_len) under DPPK `dppk` (MCGK_KEY_LEN octets, secret) for
 * DPPK-ID dppk_id with the 16-octet iv (fresh random per message): writes the
 * whole envelope (the General Extension type-7 Data). out == NULL: size query.
 * Returns MCGK_OK; MCGK_ERR_BUFFER_TOO_SMALL; MCGK_ERR_INVALID_ARG (NULLs,
 * content longer than MCGK_KP_CONTENT_MAX_LEN); MCGK_ERR_NO_MEMORY (libcrypto).
 */
mcgk_err mcgk_key_params_envelope_seal(const uint8_t dppk[MCGK_KEY_LEN], uint32_t dppk_id,
                                       const uint8_t iv[MCGK_KP_IV_LEN], const uint8_t *content,
                                       size_t content_len, uint8_t *out, size_t out_cap,
                                       size_t *out_len);

/*
 * Open an envelope env[0..env_len): check its framing, that the algorithm is
 * AES-128-GCM and that DPPK-ID equals want_dppk_id (the CSB ID), derive the
 * DPCK from dppk and decrypt + authenticate into content (out_cap >=
 * MCGK_KP_CONTENT_MAX_LEN is always enough). Message type, date/time, payload
 * ID / sequence number and payload IEI are accepted as received (they are
 * authenticated as AAD; E.6.1: ignored on receipt).
 * Returns MCGK_OK; MCGK_ERR_INVALID_ARG (NULLs); MCGK_ERR_TRUNCATED /
 * MCGK_ERR_TRAILING_DATA (framing); MCGK_ERR_UNSUPPORTED (algorithm);
 * MCGK_ERR_MALFORMED (DPPK-ID is not want_dppk_id, payload shorter than the
 * tag); MCGK_ERR_OVERSIZED (plaintext longer than MCGK_KP_CONTENT_MAX_LEN);
 * MCGK_ERR_BUFFER_TOO_SMALL (out_cap short; *content_len = needed);
 * MCGK_ERR_KEY_PARAMS (the tag does not verify: wrong key or tampered);
 * MCGK_ERR_NO_MEMORY. On error content is untouched (nothing decrypted is
 * released).
 */
mcgk_err mcgk_key_params_envelope_open(const uint8_t dppk[MCGK_KEY_LEN], uint32_t want_dppk_id,
                                       const uint8_t *env, size_t env_len, uint8_t *content,
                                       size_t content_cap, size_t *content_len);

/* encode + envelope_seal. Codes of both. */
mcgk_err mcgk_key_params_seal(const uint8_t dppk[MCGK_KEY_LEN], uint32_t dppk_id,
                              const uint8_t iv[MCGK_KP_IV_LEN], const mcgk_key_params *kp,
                              uint8_t *out, size_t out_cap, size_t *out_len);

/* envelope_open + decode. Codes of both; on error *out is untouched. */
mcgk_err mcgk_key_params_open(const uint8_t dppk[MCGK_KEY_LEN], uint32_t want_dppk_id,
                              const uint8_t *env, size_t env_len, mcgk_key_params *out);

#ifdef __cplusplus
}
#endif
#endif
