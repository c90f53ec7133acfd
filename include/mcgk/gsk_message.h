/*
 * mcgk/gsk_message.h - the ProSe Group Session Key (GSK) message: a MIKEY
 * pre-shared-key I_MESSAGE (RFC 3830 §3.1) that carries a fresh GSK
 * protected under the GMK its key identifier names, optionally signed with
 * the session initiator's ECCSI key (RFC 6509 / RFC 6507). The initiator
 * builds it (UE 1, in the SDP offer of the session creation or in a
 * broadcast media-session announcement); every member opens it with the GMK
 * it already holds.
 *
 * Spec: ../shared/spec/README.md §2.8; mikey.md §11 (KEMAC, Key data), §12.3
 * (transport keys, RFC 3830 §4.1.4), §12.4 (AES-CM, RFC 3830 §4.2.3), §12.5
 * (MAC), §14 (the profile); seed-requirements.md section J (R-002-09 ..
 * R-002-25). The profile beyond the seed is mcgk's design (spec README §4,
 * UNCONFIRMED), documented in docs/mikey.md "The ProSe GSK message".
 *
 * Message written (in this order):
 *   HDR    version 1, data type 0 (Pre-shared), V = 0 (no verification
 *          message: one-to-many, no response, R-002-19/20), PRF 1
 *          (PRF-HMAC-SHA-256, RFC 6043), CSB ID = 32 fresh random bits,
 *          #CS = 0 with the empty map (the default security profile);
 *   T      NTP-UTC: the message time (seconds and fraction);
 *   RAND   16 fresh octets;
 *   IDRpsk IDR role 4, ID type 2 (byte string), 4 octets = the GMK-ID: the
 *          key identifier that lets members find the GMK (R-002-14);
 *   IDRi   role 1, URI: the initiator - optional, required with SIGN;
 *   IDRkmsi role 6, URI: the initiator's KMS - written with SIGN;
 *   SP     one policy, only when the caller gives one;
 *   KEMAC  AES-CM-128 encryption of one Key data sub-payload (type TGK,
 *          KV NULL, 16 octets = the GSK) under encr_key / salt_key, MAC
 *          HMAC-SHA-1-160 under auth_key over every octet before the MAC;
 *          the three transport keys are PRF(GMK, constant || 0xFF || CSB ID
 *          || RAND) (R-002-13/21);
 *   SIGN   optional: ECCSI, 129 octets, by the UID of IDRi under IDRkmsi for
 *          the key period of T, over every octet before the signature - the
 *          SIGN header and the KEMAC MAC included (R-002-15/22).
 *
 * The GSK is carried as a TGK: members derive the media keys from it as
 * from a GMK (RFC 3830 §4.1.3; TS 33.180 §7 style), with this message's
 * CSB ID and RAND: SRTP master key = mcgk_mikey_derive(GSK, MCGK_PRF_TEK,
 * cs_id, csb_id, rand, 16), master salt the same with MCGK_PRF_SALT, 12.
 *
 * Pre-generation (R-002-16, R-002-25): a message is a pure function of the
 * configuration (GMK, GMK-ID, GSK, time, identity, signer) and the
 * randomness drawn while building it. Building fixes the CSB ID, the RAND,
 * the T value - and so the transport keys, the ciphertext, the MAC and the
 * signature: the message can be built ahead of time for the time it is
 * meant to be sent (cfg.ts_ntp_s) and sent unchanged later, as long as that
 * time falls in the receivers' window then (default 3600 s back, 300 s
 * ahead). A signed message needs the signer's key set for the key period of
 * that time.
 *
 * Receiver checks (mcgk_gsk_open), in order, each with its own code:
 *   1 MIKEY parse (the codec's codes), then the profile .. MCGK_ERR_MIKEY_PROFILE
 *   2 a signature required but absent ..................... MCGK_ERR_UNSIGNED
 *   3 T within the window around now ...................... MCGK_ERR_TIMESTAMP
 *   4 (GMK-ID, T, CSB ID) not accepted before ............. MCGK_ERR_REPLAY
 *   5 the key identifier names a GMK (purpose tag 0) ...... MCGK_ERR_KEY_PURPOSE
 *     and a GMK is held under it (callback) ............... MCGK_ERR_UNKNOWN_KEY_ID
 *   6 the KEMAC MAC (constant-time comparison), before any
 *     decryption ........................................... MCGK_ERR_MAC
 *   7 decrypt; one 16-octet TGK, KV NULL .................. MCGK_ERR_KEY_DATA
 *   8 SIGN: the initiator's KMS (callback) ................ MCGK_ERR_UNKNOWN_KMS
 *     the ECCSI signature by the initiator's UID .......... MCGK_ERR_SIGNATURE
 *
 * Secrets: the GMK (an argument / returned by the lookup callback), the GSK
 * (argument, result), the transport keys encr_key, auth_key, salt_key and
 * the AES-CM counter blocks and keystream (wiped on every path), the
 * cleartext Key data, the signer's SSK and the ECCSI ephemeral (inside
 * mcgk_eccsi_sign). The MAC comparison runs in constant time and only its
 * verdict is released. Everything else - the message, identities, IDs,
 * RAND, times - is public: parsing and the checks on it run in variable
 * time.
 */
#ifndef MCGK_GSK_MESSAGE_H
#define MCGK_GSK_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/base.h"
#include "mcgk/eccsi.h"
#include "mcgk/gmk_message.h"
#include "mcgk/kdf.h"
#include "mcgk/mikey.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MCGK_GSK_RAND_LEN 16   /* RAND written; at least this much accepted (mikey.md §4) */
#define MCGK_GSK_KEY_ID_LEN 4  /* IDRpsk data: the GMK-ID */
#define MCGK_GSK_KEMAC_MAX 255 /* longest encrypted Key data accepted, octets */
#define MCGK_GSK_WINDOW_PAST_S MCGK_GMK_WINDOW_PAST_S
#define MCGK_GSK_WINDOW_FUTURE_S MCGK_GMK_WINDOW_FUTURE_S

/* =============== KEMAC protection under a pre-shared key (src/mikey/kemac.c) =============== */

#define MCGK_MIKEY_PSK_ENCR_KEY_LEN 16 /* AES-CM-128 key (RFC 3830 §4.1.4) */
#define MCGK_MIKEY_PSK_AUTH_KEY_LEN 20 /* HMAC-SHA-1-160 key */
#define MCGK_MIKEY_PSK_SALT_KEY_LEN 14 /* 112-bit AES-CM salt */
#define MCGK_MIKEY_AES_CM_IV_LEN 16
#define MCGK_MIKEY_AES_CM_MAX_LEN (16u * 65536u) /* the 16-bit block counter's range */

/* The transport keys of one message (all SECRET). */
typedef struct mcgk_mikey_psk_keys {
    uint8_t encr[MCGK_MIKEY_PSK_ENCR_KEY_LEN];
    uint8_t auth[MCGK_MIKEY_PSK_AUTH_KEY_LEN];
    uint8_t salt[MCGK_MIKEY_PSK_SALT_KEY_LEN];
} mcgk_mikey_psk_keys;

/*
 * encr_key, auth_key, salt_key = PRF(psk, constant || 0xFF || csb_id || rand)
 * with the constants 0x150533E1, 0x2D22AC75, 0x29B88916 (RFC 3830 §4.1.4;
 * PRF-HMAC-SHA-256 of RFC 6043 §6.1, mikey.md §12.3). psk is SECRET.
 * Returns MCGK_OK; the codes of mcgk_mikey_derive (MCGK_ERR_INVALID_ARG for
 * NULLs, an empty psk, rand_len > 255; MCGK_ERR_NO_MEMORY). *keys is wiped on error.
 */
mcgk_err mcgk_mikey_psk_keys_derive(const uint8_t *psk, size_t psk_len, uint32_t csb_id,
                                    const uint8_t *rand, size_t rand_len,
                                    mcgk_mikey_psk_keys *keys);
/* Wipe transport keys (NULL allowed). */
void mcgk_mikey_psk_keys_clear(mcgk_mikey_psk_keys *keys);

/*
 * The AES-CM initial counter block of a KEMAC (RFC 3830 §4.2.3):
 * iv = (salt XOR (0x0000 || csb_id || t_value)) || 0x0000, t_value being the
 * 64-bit T payload value. salt and iv are SECRET.
 */
void mcgk_mikey_aes_cm_iv(const uint8_t salt[MCGK_MIKEY_PSK_SALT_KEY_LEN], uint32_t csb_id,
                          uint64_t t_value, uint8_t iv[MCGK_MIKEY_AES_CM_IV_LEN]);

/*
 * AES-CM-128 (RFC 3711 §4.1.1 as used by RFC 3830 §4.2.3): out = in XOR the
 * keystream AES(key, iv + i), i = 0, 1, ... added to the 16-bit counter in
 * the two last octets. Encryption and decryption are the same; out may be in.
 * key, iv and the data are SECRET (constant time: OpenSSL AES). Returns
 * MCGK_OK; MCGK_ERR_INVALID_ARG (NULLs with len > 0, len > MCGK_MIKEY_AES_CM_MAX_LEN);
 * MCGK_ERR_NO_MEMORY (then out[0..len) is wiped).
 */
mcgk_err mcgk_mikey_aes_cm(const uint8_t key[MCGK_MIKEY_PSK_ENCR_KEY_LEN],
                           const uint8_t iv[MCGK_MIKEY_AES_CM_IV_LEN], const uint8_t *in,
                           size_t len, uint8_t *out);

/*
 * The KEMAC MAC: HMAC-SHA-1(auth_key, msg[0..len)), 160 bits (RFC 3830 §6.2;
 * msg = every octet of the message before the MAC field). auth_key is SECRET.
 * Returns MCGK_OK; MCGK_ERR_INVALID_ARG; MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_mikey_kemac_mac(const uint8_t auth_key[MCGK_MIKEY_PSK_AUTH_KEY_LEN],
                              const uint8_t *msg, size_t len,
                              uint8_t mac[MCGK_MIKEY_MAC_HMAC_SHA1_160_LEN]);

/* ================================ the initiator ================================ */

/* What goes into one GSK message. Pointers are only read during the call. */
typedef struct mcgk_gsk_build_cfg {
    const uint8_t *gmk;       /* the GMK (MCGK_KEY_LEN octets, SECRET): the pre-shared key */
    uint32_t gmk_id;          /* its key identifier, purpose tag 0 (MCGK_PURPOSE_GMK) */
    const uint8_t *gsk;       /* the GSK to carry (MCGK_KEY_LEN, SECRET), or NULL: a fresh one */
    uint64_t ts_ntp_s;        /* the message time, NTP seconds: now, or the time a pre-generated
                                 message is meant for; T carries its low 32 bits and ts_frac */
    uint32_t ts_frac;         /* T payload fraction of a second (2^-32 s) */
    const char *initiator_uri; /* IDRi (NUL-terminated, <= MCGK_GMK_URI_MAX), or NULL for none;
                                  required with a signer: it is the signing identity */
    const mcgk_eccsi_signer *signer; /* NULL: unsigned; else the initiator's key set for the key
                                        period of ts_ntp_s under signer_kms (R-002-10/15) */
    const mcgk_gmk_kms *signer_kms;  /* with a signer: the initiator's KMS (URI, period,
                                        offset, KPAK; no community needed), written as IDRkmsi */
    const mcgk_mikey_sp *sp;  /* NULL: no SP payload; else written as given (policy no, protocol,
                                 a well-formed parameter list) */
} mcgk_gsk_build_cfg;

/* What the initiator keeps of a message it built. */
typedef struct mcgk_gsk_sealed {
    uint8_t gsk[MCGK_KEY_LEN];       /* SECRET: the GSK carried (given, or the fresh one) */
    uint32_t csb_id;                 /* the HDR CSB ID (fresh) */
    uint8_t rand[MCGK_GSK_RAND_LEN]; /* the RAND (fresh) */
    uint64_t ts_ntp64;               /* the T payload value */
} mcgk_gsk_sealed;

/* Wipe (NULL allowed). */
void mcgk_gsk_sealed_clear(mcgk_gsk_sealed *s);

/*
 * Build a GSK message into out[0..out_cap); *out_len = its length. rng
 * supplies, in one call, the CSB ID (4 octets, big-endian), the RAND (16
 * octets) and the GSK (16 octets, only when cfg->gsk is NULL), then the
 * ECCSI ephemeral j when signing. *sealed (required) receives the GSK, CSB ID,
 * RAND and T value. out == NULL: size query - no randomness drawn, no
 * cryptography, *sealed untouched; the length depends only on the
 * configuration.
 * Returns MCGK_OK; MCGK_ERR_BUFFER_TOO_SMALL (*out_len = needed);
 * MCGK_ERR_INVALID_ARG (NULLs; initiator_uri empty or longer than
 * MCGK_GMK_URI_MAX; a signer without initiator_uri or without a usable
 * signer_kms; an SP the codec cannot encode); MCGK_ERR_KEY_PURPOSE (gmk_id's
 * purpose tag is not 0); MCGK_ERR_TIMESTAMP (a signed message's time before
 * its KMS's offset); MCGK_ERR_KEYSET_MISMATCH (the signer's key set is not the
 * one of initiator_uri for the key period of ts_ntp_s); MCGK_ERR_RNG;
 * MCGK_ERR_NO_MEMORY; the codes of mcgk_eccsi_sign. On error out[0..out_cap)
 * is wiped (nothing usable) and *sealed is untouched.
 */
mcgk_err mcgk_gsk_build(const mcgk_gsk_build_cfg *cfg, const mcgk_rng *rng, uint8_t *out,
                        size_t out_cap, size_t *out_len, mcgk_gsk_sealed *sealed);

/* ================================ the members ================================ */

/*
 * The KMS that vouches for a signing initiator: given the initiator URI (IDRi)
 * and the KMS URI the message names (IDRkmsi, "" when absent), return the
 * trusted KMS description (kms_uri, period, offset and KPAK are used), or NULL
 * when this initiator / KMS is not trusted. When the message names a KMS, the
 * description must be that KMS (same URI). Strings are NUL-terminated.
 */
typedef const mcgk_gmk_kms *(*mcgk_gsk_signer_kms_fn)(void *ctx, const char *initiator_uri,
                                                      const char *kms_uri);

typedef struct mcgk_gsk_open_cfg {
    /* the GMKs this member holds, by key identifier: called with MCGK_PURPOSE_GMK and the
       GMK-ID; copies the GMK and returns 1, or returns 0 (mcgk wipes the copy) */
    mcgk_gmk_lookup_fn lookup;
    void *lookup_ctx;
    /* signed messages: the initiator's KMS (NULL: every signed message is unknown-kms) */
    mcgk_gsk_signer_kms_fn signer_kms;
    void *signer_kms_ctx;
    int require_signature;      /* policy: refuse unsigned messages (MCGK_ERR_UNSIGNED) */
    mcgk_replay_cache *replay;  /* NULL: the window only; updated on acceptance */
    uint64_t window_past_s, window_future_s;
} mcgk_gsk_open_cfg;

/* Zero *cfg and set the default window (MCGK_GSK_WINDOW_PAST_S / _FUTURE_S). */
void mcgk_gsk_open_cfg_init(mcgk_gsk_open_cfg *cfg);

typedef struct mcgk_gsk_result {
    uint8_t gsk[MCGK_KEY_LEN];   /* SECRET: the GSK */
    uint8_t key_type;            /* MCGK_MIKEY_KD_TGK */
    uint32_t gmk_id;             /* the key identifier: the GMK it came under */
    uint32_t csb_id;             /* the HDR CSB ID (input of the media key derivation) */
    uint8_t rand[255];           /* the RAND (likewise) */
    size_t rand_len;
    uint64_t ts_ntp64;           /* the T payload value */
    uint64_t ts_ntp_s;           /* its seconds, era resolved */
    uint8_t map_type;            /* HDR CS ID map; the CS-IDs of a GENERIC-ID map */
    size_t n_cs;
    uint8_t cs_ids[MCGK_MIKEY_MAX_CS];
    int is_signed;               /* a SIGN was present and verified */
    char initiator_uri[MCGK_GMK_URI_MAX + 1];     /* IDRi; "" when absent */
    char initiator_kms_uri[MCGK_GMK_URI_MAX + 1]; /* IDRkmsi; "" when absent */
    uint8_t initiator_uid[MCGK_UID_LEN];          /* signed: the UID the signature verified with */
    uint64_t initiator_period_no;                 /* signed: its key period under that KMS */
} mcgk_gsk_result;

/* Wipe a result (NULL allowed). */
void mcgk_gsk_result_clear(mcgk_gsk_result *r);

/*
 * Open a binary GSK message msg[0..len) at now_unix_s (transport encodings:
 * mcgk_mikey_unwrap first) with the checks listed at the top of this file.
 * Returns MCGK_OK with *out filled; otherwise *out is untouched and the code
 * says which check failed: the codec's parse codes (MCGK_ERR_TRUNCATED,
 * MCGK_ERR_TRAILING_DATA, MCGK_ERR_OVERSIZED, MCGK_ERR_UNSUPPORTED,
 * MCGK_ERR_MALFORMED, MCGK_ERR_MIKEY_VERSION, MCGK_ERR_MIKEY_PAYLOAD_TYPE,
 * MCGK_ERR_MIKEY_CS_MAP), MCGK_ERR_MIKEY_PROFILE, MCGK_ERR_UNSIGNED,
 * MCGK_ERR_TIMESTAMP, MCGK_ERR_REPLAY, MCGK_ERR_KEY_PURPOSE,
 * MCGK_ERR_UNKNOWN_KEY_ID, MCGK_ERR_MAC, MCGK_ERR_KEY_DATA,
 * MCGK_ERR_UNKNOWN_KMS, MCGK_ERR_SIGNATURE (MCGK_ERR_TIMESTAMP also when T lies
 * before the initiator KMS's offset); MCGK_ERR_INVALID_ARG (NULLs);
 * MCGK_ERR_NO_MEMORY. detail (may be NULL) receives the underlying cause of
 * a failed step for the local log (e.g. the Key data parse code behind
 * MCGK_ERR_KEY_DATA, the point error behind MCGK_ERR_SIGNATURE); MCGK_OK on
 * success. There is no response to send (R-002-19, R-002-20). The replay
 * cache (keyed on the GMK-ID in the first 4 octets of the sender field,
 * zeros after, the T value and the CSB ID) is updated only on acceptance; a
 * cache shared with mcgk_gmk_open is fine.
 */
mcgk_err mcgk_gsk_open(const mcgk_gsk_open_cfg *cfg, const uint8_t *msg, size_t len,
                       uint64_t now_unix_s, mcgk_gsk_result *out, mcgk_err *detail);

#ifdef __cplusplus
}
#endif
#endif
