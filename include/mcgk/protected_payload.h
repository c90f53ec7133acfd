/*
 * mcgk/protected_payload.h - the MCData Protected Payload message (TS 33.180
 * §8.5.4 layout as observed in Streamwide, ts33180.md §8): one envelope that
 * both the "3GPP key parameters" of a MIKEY I_MESSAGE (E.6.1, via
 * mcgk/key_params.h) and MCData group payloads (§8, via mcgk/mcdata.h) use.
 *
 * Layout (35 octets of header, then the AEAD output):
 *   off  len  field
 *    0    1   message type               (MCGK_PP_MSG_TYPE written by key params)
 *    1    5   date and time (40 bits)
 *    6    4   payload ID
 *   10    1   payload sequence number
 *   11    1   payload algorithm          (MCGK_PP_ALG_AES_128_GCM the only one)
 *   12   16   IV                         (GCM nonce, J0 = GHASH(IV))
 *   28    4   DPPK-ID
 *   32    1   payload IEI
 *   33    2   payload length L
 *   35    L   AES-128-GCM ciphertext || 16-octet tag
 * AAD = octets 0..31 (message type .. DPPK-ID). Key = DPCK = KDF(DPPK, 0x53,
 * DPPK-ID) (mcgk/kdf.h mcgk_dpck). Every size and value above is UNCONFIRMED
 * against the 3GPP tables (spec README §4) and is one named constant here.
 *
 * Secrets: the DPPK argument (a GMK, PCK, CSK ...) and the DPCK derived from
 * it, wiped before every return; the plaintext. Framing (parse, encode, AAD)
 * is public and runs in variable time; AES-GCM and its tag comparison are
 * OpenSSL's (constant time).
 */
#ifndef MCGK_PROTECTED_PAYLOAD_H
#define MCGK_PROTECTED_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/error.h"
#include "mcgk/kdf.h"
#include "mcgk/reader.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MCGK_PP_IV_LEN 16
#define MCGK_PP_TAG_LEN 16
#define MCGK_PP_AAD_LEN 32            /* message type .. DPPK-ID */
#define MCGK_PP_HEADER_LEN 35         /* AAD + payload IEI + 2-octet length */
#define MCGK_PP_DATE_TIME_MAX ((1ull << 40) - 1)
#define MCGK_PP_PAYLOAD_MAX_LEN 0xFFFFu /* the 16-bit payload length (ciphertext + tag) */
/* Longest plaintext an envelope can carry. */
#define MCGK_PP_PLAINTEXT_MAX_LEN (MCGK_PP_PAYLOAD_MAX_LEN - MCGK_PP_TAG_LEN)
/* Envelope length for a plaintext of n octets. */
#define MCGK_PP_ENVELOPE_LEN(n) (MCGK_PP_HEADER_LEN + (n) + MCGK_PP_TAG_LEN)

#define MCGK_PP_MSG_TYPE 0x43        /* UNCONFIRMED: Streamwide's message type */
#define MCGK_PP_ALG_AES_128_GCM 1    /* UNCONFIRMED: Streamwide's algorithm value */

/*
 * One envelope. Parse: iv and payload point into the caller's buffer (which
 * must outlive the struct). Encode: every field is written as given.
 * Seal: payload and payload_len are outputs and ignored on input.
 */
typedef struct mcgk_pp {
    uint8_t message_type;
    uint64_t date_time;     /* 40 bits */
    uint32_t payload_id;
    uint8_t payload_seq;
    uint8_t algorithm;
    const uint8_t *iv;      /* MCGK_PP_IV_LEN octets */
    uint32_t dppk_id;
    uint8_t payload_iei;
    uint16_t payload_len;   /* octets of payload: ciphertext || tag */
    const uint8_t *payload;
} mcgk_pp;

/*
 * Parse in[0..len) as exactly one envelope (any field value is kept: the
 * caller judges them). Public data, variable time.
 * Returns MCGK_OK; MCGK_ERR_INVALID_ARG (out NULL, in NULL with len > 0);
 * MCGK_ERR_TRUNCATED (ends inside the header or the declared payload);
 * MCGK_ERR_TRAILING_DATA (octets after the payload). On error *out is untouched.
 */
mcgk_err mcgk_pp_parse(const uint8_t *in, size_t len, mcgk_pp *out);

/*
 * Encode pp (header and payload as given): encode(parse(x)) == x.
 * out == NULL: size query (*out_len = MCGK_PP_HEADER_LEN + payload_len).
 * Returns MCGK_OK; MCGK_ERR_INVALID_ARG (NULLs, iv NULL, payload NULL with a
 * non-zero length, date_time above 40 bits); MCGK_ERR_BUFFER_TOO_SMALL
 * (nothing written, *out_len = needed).
 */
mcgk_err mcgk_pp_encode(const mcgk_pp *pp, uint8_t *out, size_t out_cap, size_t *out_len);

/* mcgk_pp_encode through a writer (for containers such as the MIKEY type-7
 * extension): MCGK_ERR_INVALID_ARG as encode; a short writer keeps counting
 * (mcgk_writer_finish reports MCGK_ERR_BUFFER_TOO_SMALL). */
mcgk_err mcgk_pp_write(mcgk_writer *w, const mcgk_pp *pp);

/* The MCGK_PP_AAD_LEN-octet AAD of pp (its first 32 octets, §8.5.4).
 * Returns MCGK_OK; MCGK_ERR_INVALID_ARG (NULLs, iv NULL, date_time above 40 bits). */
mcgk_err mcgk_pp_aad(const mcgk_pp *pp, uint8_t aad[MCGK_PP_AAD_LEN]);

/*
 * Seal pt[0..pt_len) under DPPK `dppk` (MCGK_KEY_LEN octets, secret): the
 * header fields come from *hdr (hdr->iv must be fresh for every message under
 * one DPPK: GCM nonce; hdr->payload/_len are ignored), the key is
 * DPCK = KDF(dppk, 0x53, hdr->dppk_id). Writes the whole envelope,
 * MCGK_PP_ENVELOPE_LEN(pt_len) octets. out == NULL: size query.
 * Returns MCGK_OK; MCGK_ERR_INVALID_ARG (NULLs, date_time above 40 bits);
 * MCGK_ERR_UNSUPPORTED (hdr->algorithm is not MCGK_PP_ALG_AES_128_GCM);
 * MCGK_ERR_OVERSIZED (pt_len above MCGK_PP_PLAINTEXT_MAX_LEN);
 * MCGK_ERR_BUFFER_TOO_SMALL (nothing written, *out_len = needed);
 * MCGK_ERR_NO_MEMORY (libcrypto; out is then wiped).
 */
mcgk_err mcgk_pp_seal(const uint8_t dppk[MCGK_KEY_LEN], const mcgk_pp *hdr, const uint8_t *pt,
                      size_t pt_len, uint8_t *out, size_t out_cap, size_t *out_len);

/*
 * Decrypt and authenticate a parsed envelope under DPPK `dppk` (secret; the
 * DPCK is derived from pp->dppk_id: the caller checks that DPPK-ID names the
 * key it passes). The plaintext (payload_len - 16 octets) goes to pt.
 * Returns MCGK_OK; MCGK_ERR_INVALID_ARG (NULLs); MCGK_ERR_UNSUPPORTED (the
 * algorithm); MCGK_ERR_MALFORMED (payload shorter than the tag);
 * MCGK_ERR_BUFFER_TOO_SMALL (pt_cap short; *pt_len = needed, nothing written);
 * MCGK_ERR_PAYLOAD_AUTH (the tag does not verify: wrong key or tampered;
 * pt[0..plaintext length) is then wiped: nothing unauthenticated is released);
 * MCGK_ERR_NO_MEMORY (libcrypto; pt wiped likewise).
 */
mcgk_err mcgk_pp_open(const uint8_t dppk[MCGK_KEY_LEN], const mcgk_pp *pp, uint8_t *pt,
                      size_t pt_cap, size_t *pt_len);

#ifdef __cplusplus
}
#endif
#endif
