/*
 * mcgk/kdf.h - the 3GPP KDF (TS 33.220 Annex B.2) and its TS 33.180 uses
 * (UID format 2 of F.2.1, user salt and GUK-ID of §5.2.3/F.1.3, DPCK of
 * §8 / F.1), key periods (§5.3), and the MIKEY PRF (RFC 3830 §4.1 with
 * PRF-HMAC-SHA-256 of RFC 6043 §6.1) with its TEK / salt / auth-key uses.
 *
 * Secrets: every `key`/`gmk`/`tgk`/`inkey` argument and every derived key.
 * HMAC and SHA-256 come from OpenSSL libcrypto (constant time in the data).
 */
#ifndef MCGK_KDF_H
#define MCGK_KDF_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MCGK_KDF_OUT_LEN 32
#define MCGK_UID_LEN 32
#define MCGK_KEY_LEN 16        /* GMK, PCK, CSK, GSK, DPCK: 16 octets (TS 33.180 E.1.1) */
#define MCGK_KDF_MAX_PARAMS 8
#define MCGK_KDF_PARAM_MAX_LEN 0xFFFF

/* NTP seconds = Unix seconds + this (1900-01-01 to 1970-01-01). */
#define MCGK_NTP_UNIX_OFFSET_S 2208988800ull

/* FC values of TS 33.180 Annex F */
#define MCGK_KDF_FC_USER_SALT 0x50
#define MCGK_KDF_FC_DPCK 0x53

/* Key purpose tags, the 4 MSBs of a key identifier (TS 33.180 §0.1 of the digest) */
typedef enum mcgk_key_purpose {
    MCGK_PURPOSE_GMK = 0,
    MCGK_PURPOSE_PCK = 1,
    MCGK_PURPOSE_CSK = 2,
    MCGK_PURPOSE_SPK = 3,
    MCGK_PURPOSE_MKFC = 4,
    MCGK_PURPOSE_MSCCK = 5,
    MCGK_PURPOSE_MUSIK = 6
} mcgk_key_purpose;

typedef struct mcgk_kdf_param {
    const uint8_t *data;
    size_t len; /* <= 0xFFFF */
} mcgk_kdf_param;

/*
 * out = HMAC-SHA-256(key, FC || P0 || L0 || ... || Pn-1 || Ln-1) (TS 33.220 B.2).
 * Li is the 2-octet big-endian length of Pi. key may be empty (key_len 0).
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG (n > MCGK_KDF_MAX_PARAMS, a param > 0xFFFF,
 * out NULL, key or a param's data NULL with a non-zero length, params NULL with n > 0),
 * MCGK_ERR_NO_MEMORY (libcrypto could not allocate its HMAC context).
 * On any error out is untouched.
 */
mcgk_err mcgk_kdf(const uint8_t *key, size_t key_len, uint8_t fc, const mcgk_kdf_param *params,
                  size_t n, uint8_t out[MCGK_KDF_OUT_LEN]);

/*
 * Minimal big-endian encoding of a non-negative integer (0 -> one octet 0x00),
 * as TS 33.180 F.2.1 needs. Writes 1..8 octets to out[8]; returns the count.
 */
size_t mcgk_kdf_encode_uint(uint64_t v, uint8_t out[8]);

/* The key period number of time t (NTP seconds): floor((t - offset) / period) (§5.3).
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG when period == 0, t < offset or period_no is NULL. */
mcgk_err mcgk_key_period_no(uint64_t t_ntp_s, uint64_t period_s, uint64_t offset_s,
                            uint64_t *period_no);

/*
 * UID = SHA-256(0x00 || "MIKEY-SAKKE-UID" || L || uri || L || kms_uri || L ||
 *               period || L || offset || L || period_no || L) (TS 33.180 F.2.1).
 * uri and kms_uri are UTF-8 strings of the given lengths, hashed exactly as given (no
 * NUL terminator needed; no normalisation). Integers are minimally encoded
 * (mcgk_kdf_encode_uint: 0 -> 00). The result is public.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG (a NULL pointer, period_s == 0),
 * MCGK_ERR_IDENTITY (uri or kms_uri empty or longer than 0xFFFF octets),
 * MCGK_ERR_NO_MEMORY (libcrypto could not allocate). On error uid is untouched.
 */
mcgk_err mcgk_uid(const char *uri, size_t uri_len, const char *kms_uri, size_t kms_uri_len,
                  uint64_t period_s, uint64_t offset_s, uint64_t period_no,
                  uint8_t uid[MCGK_UID_LEN]);

/* Salt = 28 LSBs of KDF(gmk, 0x50, P0 = uri) (TS 33.180 F.1.3); *salt < 2^28.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG (a NULL pointer, gmk_len == 0),
 * MCGK_ERR_IDENTITY (uri empty or longer than 0xFFFF octets), MCGK_ERR_NO_MEMORY.
 * On error *salt is untouched. */
mcgk_err mcgk_user_salt(const uint8_t *gmk, size_t gmk_len, const char *uri, size_t uri_len,
                        uint32_t *salt);

/*
 * GUK-ID = (GMK-ID & 0xF0000000) | ((GMK-ID ^ Salt) & 0x0FFFFFFF) (TS 33.180 §5.2.3).
 * The same function maps a GUK-ID back to the GMK-ID (it is an involution): pass the
 * GUK-ID as gmk_id and the receiver's own URI. Errors as mcgk_user_salt (and
 * MCGK_ERR_INVALID_ARG when guk_id is NULL); on error *guk_id is untouched.
 */
mcgk_err mcgk_guk_id(const uint8_t *gmk, size_t gmk_len, uint32_t gmk_id, const char *uri,
                     size_t uri_len, uint32_t *guk_id);

/* DPCK = 128 LSBs of KDF(dppk, 0x53, P0 = DPPK-ID as 4 octets) (TS 33.180 F.1, UNCONFIRMED FC).
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG (a NULL pointer, dppk_len == 0), MCGK_ERR_NO_MEMORY.
 * On error dpck is untouched. */
mcgk_err mcgk_dpck(const uint8_t *dppk, size_t dppk_len, uint32_t dppk_id,
                   uint8_t dpck[MCGK_KEY_LEN]);

/*
 * MIKEY PRF (RFC 3830 §4.1.2) with HMAC-SHA-256 (PRF func 1, RFC 6043 §6.1):
 * inkey split in 256-bit pieces, P(s_i, label, m) xor-ed, truncated to out_len.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG (inkey/out NULL, inkey_len or out_len 0, label
 * NULL with label_len > 0), MCGK_ERR_NO_MEMORY (then out[0..out_len) is zeroed; on
 * MCGK_ERR_INVALID_ARG it is untouched).
 */
mcgk_err mcgk_mikey_prf(const uint8_t *inkey, size_t inkey_len, const uint8_t *label,
                        size_t label_len, uint8_t *out, size_t out_len);

/* Key-derivation constants of RFC 3830 §4.1.3 (TGK) and §4.1.4 (pre-shared key). */
#define MCGK_PRF_TEK 0x2AD01C64u
#define MCGK_PRF_AUTH 0x1B5C7973u
#define MCGK_PRF_ENCR 0x15798CEFu
#define MCGK_PRF_SALT 0x39A2C14Bu
#define MCGK_PRF_PSK_ENCR 0x150533E1u
#define MCGK_PRF_PSK_AUTH 0x2D22AC75u
#define MCGK_PRF_PSK_SALT 0x29B88916u

/*
 * out = PRF(key, constant || cs_id || csb_id || rand) (RFC 3830 §4.1.3/§4.1.4;
 * for §4.1.4 pass cs_id = 0xFF). E.g. the SRTP master key for a group member
 * (TS 33.180 §7.4.2) is mcgk_mikey_derive(GMK, MCGK_PRF_TEK, cs_id, GUK-ID, RAND, 16),
 * the master salt the same with MCGK_PRF_SALT and 12 octets.
 * Returns as mcgk_mikey_prf, plus MCGK_ERR_INVALID_ARG when rand is NULL with rand_len > 0
 * or rand_len > 255 (the MIKEY RAND payload length is one octet).
 */
mcgk_err mcgk_mikey_derive(const uint8_t *key, size_t key_len, uint32_t constant, uint8_t cs_id,
                           uint32_t csb_id, const uint8_t *rand, size_t rand_len, uint8_t *out,
                           size_t out_len);

#ifdef __cplusplus
}
#endif
#endif
