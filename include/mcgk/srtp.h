/*
 * mcgk/srtp.h - group media protection under the GMK (TS 33.180 §7.4.2):
 * the per-sender SRTP master key, salt and MKI (src/media/srtp_keys.c), and
 * SRTP/SRTCP sender and receiver contexts over libsrtp2 that choose the key
 * by MKI (src/media/srtp_session.c). Design and decisions: docs/media.md.
 *
 * Key derivation (§7.4.2, RFC 3830 §4.1.3, PRF-HMAC-SHA-256 of RFC 6043 §6.1):
 *   master key  = PRF(GMK, 0x2AD01C64 || CS-ID || GUK-ID || RAND), 16 octets
 *   master salt = PRF(GMK, 0x39A2C14B || CS-ID || GUK-ID || RAND), 12 octets
 *   MKI         = GMK-ID || GUK-ID, 8 octets, in every SRTP and SRTCP packet
 * GUK-ID is the *sender's* (its MIKEY CSB ID, §5.2.3), RAND the RAND of the
 * I_MESSAGE that carried the GMK (the same for every member), CS-ID 4 for an
 * MCPTT group call, 5 for MCVideo (Table E.1.3-1, MCGK_GMK_CS_ID_* of
 * mcgk/gmk_message.h). Every member sends under its own key (R-003-37); any
 * member can derive every other member's key from the MKI.
 *
 * Profile actually used (docs/media.md): AEAD_AES_128_GCM (RFC 7714) with a
 * 16-octet tag and the 8-octet MKI, for SRTP and SRTCP. The GMK default
 * profile of TS 33.179 Table E.2-1 asks for RCCm3 (RFC 4771, ROC in a 4-octet
 * tag); libsrtp2 has no RCCm3, so the ROC is not carried and the receiver
 * estimates it (RFC 3711 §3.3.1).
 *
 * Packet layouts written / expected (RFC 7714 §7.1, §9.1, as libsrtp2 writes
 * them: the MKI follows the AEAD output):
 *   SRTP   RTP header | ciphertext || tag (16) | MKI (8)
 *   SRTCP  RTCP header (8) | ciphertext || tag (16) | E || SRTCP index (4) | MKI (8)
 *
 * Secrets: the GMK, the master key and salt (mcgk_srtp_keys), and the
 * session keys inside libsrtp. mcgk wipes its copies; libsrtp zeroes its
 * session keys when a context is freed. MKI, SSRC and packet framing are
 * public. Derivation is HMAC-SHA-256 from OpenSSL libcrypto (constant time in
 * the data); the packet crypto is libsrtp's (Debian builds it on NSS).
 *
 * Threads: a context is used by one thread at a time; different contexts may
 * be used concurrently.
 */
#ifndef MCGK_SRTP_H
#define MCGK_SRTP_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/error.h"
#include "mcgk/kdf.h"
#include "mcgk/media.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MCGK_SRTP_MASTER_KEY_LEN 16
#define MCGK_SRTP_MASTER_SALT_LEN 12 /* AES-GCM (RFC 7714 §8.2) */
#define MCGK_SRTP_MKI_LEN 8          /* GMK-ID || GUK-ID */
#define MCGK_SRTP_TAG_LEN 16         /* AEAD tag (Table E.2-1 type 20) */
#define MCGK_SRTCP_INDEX_LEN 4       /* E flag || 31-bit SRTCP index */
#define MCGK_RTP_HEADER_LEN 12       /* fixed part of an RTP header (RFC 3550 §5.1) */
#define MCGK_RTCP_HEADER_LEN 8       /* RTCP header with the sender SSRC (RFC 3550 §6.4) */

/* Octets protection adds (the caller's buffer needs this much room after the packet). */
#define MCGK_SRTP_RTP_OVERHEAD (MCGK_SRTP_TAG_LEN + MCGK_SRTP_MKI_LEN)
#define MCGK_SRTP_RTCP_OVERHEAD (MCGK_SRTP_TAG_LEN + MCGK_SRTCP_INDEX_LEN + MCGK_SRTP_MKI_LEN)
/* Largest protected packet accepted (a UDP payload). */
#define MCGK_SRTP_MAX_PACKET_LEN 65507

/* ---- keys (src/media/srtp_keys.c) ---------------------------------------------------- */

/* One sender's SRTP master key, salt (SECRET) and MKI (public). */
typedef struct mcgk_srtp_keys {
    uint8_t master_key[MCGK_SRTP_MASTER_KEY_LEN];
    uint8_t master_salt[MCGK_SRTP_MASTER_SALT_LEN];
    uint8_t mki[MCGK_SRTP_MKI_LEN];
} mcgk_srtp_keys;

/*
 * Derive the SRTP master key and salt of the member whose GUK-ID is guk_id
 * under key `key` (a GMK; or a ProSe GSK, with the CSB ID of its MIKEY-PSK
 * message as guk_id) with identifier key_id, from the RAND of the I_MESSAGE
 * and the CS-ID (§7.4.2), and the MKI key_id || guk_id.
 * Returns MCGK_OK; MCGK_ERR_INVALID_ARG (NULLs; rand_len 0 or above 255);
 * MCGK_ERR_NO_MEMORY (libcrypto). On error *out is untouched.
 */
mcgk_err mcgk_srtp_keys_derive(const uint8_t key[MCGK_KEY_LEN], uint32_t key_id, uint32_t guk_id,
                               const uint8_t *rand, size_t rand_len, uint8_t cs_id,
                               mcgk_srtp_keys *out);

/* Wipe *k (NULL is fine). */
void mcgk_srtp_keys_clear(mcgk_srtp_keys *k);

/* mki = key_id || guk_id, big-endian (§7.4.2). */
void mcgk_srtp_mki_encode(uint32_t key_id, uint32_t guk_id, uint8_t mki[MCGK_SRTP_MKI_LEN]);

/*
 * Split an MKI into GMK-ID and GUK-ID. Public data, variable time.
 * Returns MCGK_OK; MCGK_ERR_INVALID_ARG (NULLs); MCGK_ERR_LENGTH (mki_len is
 * not 8); MCGK_ERR_MALFORMED (the two purpose tags differ: a GUK-ID copies
 * the GMK-ID's, §5.2.3). On error the outputs are untouched.
 */
mcgk_err mcgk_srtp_mki_parse(const uint8_t *mki, size_t mki_len, uint32_t *key_id,
                             uint32_t *guk_id);

/* ---- sender (src/media/srtp_session.c) --------------------------------------------- */

/* The key one member sends under. key is SECRET; it is read by mcgk_srtp_tx_new
 * (which keeps only libsrtp's session keys) and may be wiped afterwards. */
typedef struct mcgk_srtp_sender_key {
    const uint8_t *key;      /* the GMK, MCGK_KEY_LEN octets */
    uint32_t key_id;         /* GMK-ID */
    uint32_t guk_id;         /* the sender's own GUK-ID: the CSB ID of the I_MESSAGE it got */
    const uint8_t *rand;     /* RAND of that I_MESSAGE */
    size_t rand_len;
} mcgk_srtp_sender_key;

typedef struct mcgk_srtp_tx_cfg {
    uint8_t cs_id;                      /* 4 MCPTT group call, 5 MCVideo (Table E.1.3-1) */
    mcgk_srtp_sender_key media;         /* protects RTP */
    const mcgk_srtp_sender_key *floor;  /* protects RTCP (floor control); NULL: the media key */
} mcgk_srtp_tx_cfg;

typedef struct mcgk_srtp_tx mcgk_srtp_tx;

/*
 * A sender context (opaque, owned by the caller; free with mcgk_srtp_tx_free).
 * The GCM nonce is (SSRC, ROC, SEQ) under a key: a sender must never protect
 * two packets with the same SSRC and index under one key, so a restarted
 * sender picks a new random SSRC (RFC 3550 §8.1) or a new key.
 * Returns MCGK_OK; MCGK_ERR_INVALID_ARG (NULLs, rand_len 0 or above 255);
 * MCGK_ERR_NO_MEMORY; MCGK_ERR_SRTP (libsrtp could not be initialised).
 */
mcgk_err mcgk_srtp_tx_new(const mcgk_srtp_tx_cfg *cfg, mcgk_srtp_tx **out);

/* Free and wipe (NULL is fine). */
void mcgk_srtp_tx_free(mcgk_srtp_tx *tx);

/*
 * Protect the RTP packet pkt[0..len) in place with the media key: the SRTP
 * packet (len + MCGK_SRTP_RTP_OVERHEAD octets) replaces it. pkt should be
 * 4-octet aligned (libsrtp reads the header as 32-bit words).
 * Returns MCGK_OK (*out_len = SRTP length); MCGK_ERR_INVALID_ARG (NULLs);
 * MCGK_ERR_TRUNCATED (shorter than its RTP header); MCGK_ERR_MALFORMED (not
 * RTP version 2, or a header libsrtp rejects); MCGK_ERR_OVERSIZED (the result
 * would exceed MCGK_SRTP_MAX_PACKET_LEN); MCGK_ERR_BUFFER_TOO_SMALL (cap <
 * len + overhead; *out_len = needed, nothing changed); MCGK_ERR_REPLAY (this
 * SSRC and sequence number were already protected: a nonce would repeat);
 * MCGK_ERR_SRTP (other libsrtp failure).
 */
mcgk_err mcgk_srtp_tx_protect_rtp(mcgk_srtp_tx *tx, uint8_t *pkt, size_t len, size_t cap,
                                  size_t *out_len);

/* The same for an RTCP packet (floor control) with the floor key and the
 * SRTCP index of this context; MCGK_SRTP_RTCP_OVERHEAD octets are added. */
mcgk_err mcgk_srtp_tx_protect_rtcp(mcgk_srtp_tx *tx, uint8_t *pkt, size_t len, size_t cap,
                                   size_t *out_len);

/* ---- receiver (src/media/srtp_session.c) ------------------------------------------- */

#define MCGK_SRTP_RX_DEFAULT_SENDERS 64
#define MCGK_SRTP_RX_MAX_SENDERS 4096

typedef struct mcgk_srtp_rx_cfg {
    uint8_t cs_id;            /* of the call: 4 MCPTT group call, 5 MCVideo */
    mcgk_media_key_fn lookup; /* GMK-ID -> GMK, RAND, uses (the client's key store) */
    void *lookup_ctx;
    size_t max_senders;       /* cached sender keys; 0 = MCGK_SRTP_RX_DEFAULT_SENDERS; the
                                 least recently used one is dropped beyond it */
    size_t replay_window;     /* SRTP replay window in packets; 0 = libsrtp's 128; 64..32768 */
} mcgk_srtp_rx_cfg;

/* Who sent a packet that unprotected (all public). */
typedef struct mcgk_srtp_origin {
    uint32_t key_id;  /* GMK-ID */
    uint32_t guk_id;  /* the sender's GUK-ID */
    uint32_t ssrc;
    int new_sender;   /* 1: this packet installed the sender's key */
} mcgk_srtp_origin;

typedef struct mcgk_srtp_rx mcgk_srtp_rx;

/*
 * A receiver context (opaque; free with mcgk_srtp_rx_free). It caches one
 * libsrtp context per sender key (MKI); a packet with an MKI it does not hold
 * makes it resolve the GMK-ID through cfg->lookup, derive that sender's key
 * from the GUK-ID, and keep the key only when the packet authenticates.
 * Returns MCGK_OK; MCGK_ERR_INVALID_ARG (NULLs, no lookup, max_senders above
 * MCGK_SRTP_RX_MAX_SENDERS, replay_window outside 64..32768);
 * MCGK_ERR_NO_MEMORY; MCGK_ERR_SRTP (libsrtp could not be initialised).
 */
mcgk_err mcgk_srtp_rx_new(const mcgk_srtp_rx_cfg *cfg, mcgk_srtp_rx **out);

/* Free and wipe (NULL is fine). */
void mcgk_srtp_rx_free(mcgk_srtp_rx *rx);

/*
 * Unprotect the SRTP packet pkt[0..len) in place: on MCGK_OK pkt[0..*out_len)
 * is the RTP packet. The key is chosen by the MKI (the last 8 octets).
 * from (may be NULL) receives the sender on MCGK_OK. On any error the packet
 * must be dropped; its octets may have been changed.
 * Returns MCGK_OK; MCGK_ERR_INVALID_ARG (NULLs);
 * MCGK_ERR_TRUNCATED (shorter than an RTP header + tag + MKI);
 * MCGK_ERR_OVERSIZED (longer than MCGK_SRTP_MAX_PACKET_LEN);
 * MCGK_ERR_MALFORMED (not RTP version 2, MKI purpose tags differ, a header
 * libsrtp rejects);
 * MCGK_ERR_UNKNOWN_KEY_ID / MCGK_ERR_REVOKED / other codes from the lookup
 * (the GMK-ID is not usable);
 * MCGK_ERR_KEY_USAGE (the GMK is not held for media);
 * MCGK_ERR_SRTP_AUTH (the tag does not verify: wrong key, a forged MKI, tampered);
 * MCGK_ERR_REPLAY (already received, or older than the replay window);
 * MCGK_ERR_NO_MEMORY; MCGK_ERR_SRTP (other libsrtp failure).
 */
mcgk_err mcgk_srtp_rx_unprotect_rtp(mcgk_srtp_rx *rx, uint8_t *pkt, size_t len,
                                    size_t *out_len, mcgk_srtp_origin *from);

/* The same for an SRTCP packet (floor control): the key must be held for
 * MCGK_MEDIA_USE_RTCP (else MCGK_ERR_KEY_USAGE); TRUNCATED below an RTCP
 * header + tag + index + MKI. */
mcgk_err mcgk_srtp_rx_unprotect_rtcp(mcgk_srtp_rx *rx, uint8_t *pkt, size_t len,
                                     size_t *out_len, mcgk_srtp_origin *from);

/*
 * Drop (and wipe) every cached sender key under GMK-ID key_id: call it when
 * the key store revokes, replaces or deletes that GMK, so that packets under
 * it go back to the lookup (which then refuses them). Returns how many
 * sender keys were dropped.
 */
size_t mcgk_srtp_rx_forget(mcgk_srtp_rx *rx, uint32_t key_id);

/* Number of sender keys cached. */
size_t mcgk_srtp_rx_sender_count(const mcgk_srtp_rx *rx);

#ifdef __cplusplus
}
#endif
#endif
