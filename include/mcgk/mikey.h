/*
 * mcgk/mikey.h - the MIKEY codec: parse and encode MIKEY messages
 * (RFC 3830, RFC 6043, RFC 6509; 3GPP TS 33.180 Annex E additions) and
 * unwrap their transport encodings (base64, SDP `a=key-mgmt:mikey`).
 *
 * Spec: ../shared/spec/mikey.md (payload layouts, registries),
 * ts33180.md §5.2.5 (SAKKE-to-self), §8 / §E.6 (key parameters envelope).
 *
 * Model. A message is the Common Header (HDR) followed by a chain of
 * payloads, each naming the type of the next one (mikey.md §1). A parsed
 * message (mcgk_mikey_msg) is the HDR plus an ordered array of payload
 * records; every variable-length field is a pointer INTO the caller's
 * buffer (no copies, no allocation), so the buffer must outlive the
 * parsed message. The "next payload" octets are not stored: the encoder
 * derives them from the order of the records, so encode(parse(m)) == m
 * octet for octet for every message parse accepts.
 *
 * Building: fill an mcgk_mikey_msg (HDR + records in order; offsets and
 * lengths marked "parse output" are ignored), call mcgk_mikey_encode with
 * out == NULL to learn the size, then again to write it. A SIGN record
 * whose sig is NULL is written as zeros and *signed_len tells where the
 * signature goes: sign out[0..signed_len) and copy the signature to
 * out + signed_len (RFC 6509 / eccsi.md §8: the signature covers the SIGN
 * header too). To learn other offsets of an encoded message (e.g. the
 * KEMAC MAC), parse it.
 *
 * Caps (bounded parsing, caller-owned fixed-capacity storage):
 * MCGK_MIKEY_MAX_MSG_LEN octets, MCGK_MIKEY_MAX_PAYLOADS payloads after
 * the HDR, MCGK_MIKEY_MAX_CS crypto sessions in the CS ID map,
 * MCGK_MIKEY_MAX_KEY_DATA Key data sub-payloads in a KEMAC.
 *
 * Secrets: the codec treats every field as public bytes (variable time)
 * except the Key data sub-payloads of a decrypted KEMAC (the keys and
 * salts), which it only points at and copies into the caller's output;
 * wiping those buffers is the caller's job. Encrypted data (KEMAC, the
 * key-parameters ciphertext, SAKKE R||H) is opaque here.
 */
#ifndef MCGK_MIKEY_H
#define MCGK_MIKEY_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/error.h"
#include "mcgk/protected_payload.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- bounds ------------------------------------------------------------------ */

#define MCGK_MIKEY_VERSION 1          /* HDR version (RFC 3830 §6.1) */
#define MCGK_MIKEY_MAX_MSG_LEN 65536  /* longest message accepted */
#define MCGK_MIKEY_MAX_PAYLOADS 64    /* payloads after the HDR, SIGN included */
#define MCGK_MIKEY_MAX_CS 16          /* entries of the CS ID map */
#define MCGK_MIKEY_MAX_KEY_DATA 16    /* Key data sub-payloads in one KEMAC */

/* ---- registries (mikey.md §1.1, §2.1, §2.2, §3, §5 ...) ------------------------ */

/* Payload types: the "Next payload" values (RFC 3830 §6.1, RFC 6043 §6, RFC 6509 §4) */
#define MCGK_MIKEY_PT_LAST 0
#define MCGK_MIKEY_PT_KEMAC 1
#define MCGK_MIKEY_PT_PKE 2
#define MCGK_MIKEY_PT_DH 3
#define MCGK_MIKEY_PT_SIGN 4
#define MCGK_MIKEY_PT_T 5
#define MCGK_MIKEY_PT_ID 6
#define MCGK_MIKEY_PT_CERT 7
#define MCGK_MIKEY_PT_CHASH 8
#define MCGK_MIKEY_PT_V 9
#define MCGK_MIKEY_PT_SP 10
#define MCGK_MIKEY_PT_RAND 11
#define MCGK_MIKEY_PT_ERR 12
#define MCGK_MIKEY_PT_TR 13
#define MCGK_MIKEY_PT_IDR 14
#define MCGK_MIKEY_PT_RANDR 15
#define MCGK_MIKEY_PT_TP 16
#define MCGK_MIKEY_PT_TICKET 17
#define MCGK_MIKEY_PT_KEY_DATA 20  /* only inside a KEMAC's (decrypted) data */
#define MCGK_MIKEY_PT_GENERAL_EXT 21
#define MCGK_MIKEY_PT_SAKKE 26

/* HDR data types (RFC 3830 §6.1, RFC 4650, RFC 4738, RFC 6509) */
#define MCGK_MIKEY_DT_PSK_INIT 0
#define MCGK_MIKEY_DT_PSK_RESP 1
#define MCGK_MIKEY_DT_PK_INIT 2
#define MCGK_MIKEY_DT_PK_RESP 3
#define MCGK_MIKEY_DT_DH_INIT 4
#define MCGK_MIKEY_DT_DH_RESP 5
#define MCGK_MIKEY_DT_ERROR 6
#define MCGK_MIKEY_DT_DHHMAC_INIT 7
#define MCGK_MIKEY_DT_DHHMAC_RESP 8
#define MCGK_MIKEY_DT_RSA_R_INIT 9
#define MCGK_MIKEY_DT_RSA_R_RESP 10
#define MCGK_MIKEY_DT_SAKKE 26
#define MCGK_MIKEY_DT_SAKKE_RESP 27 /* Streamwide headers only (UNCONFIRMED), never sent */

/* HDR PRF func (7 bits) */
#define MCGK_MIKEY_PRF_MIKEY_1 0
#define MCGK_MIKEY_PRF_HMAC_SHA256 1

/* CS ID map types (RFC 3830 §6.1.1, RFC 6043 §6.1.1) */
#define MCGK_MIKEY_MAP_SRTP_ID 0
#define MCGK_MIKEY_MAP_EMPTY 1
#define MCGK_MIKEY_MAP_GENERIC_ID 2

/* T payload TS types (RFC 3830 §6.6) */
#define MCGK_MIKEY_TS_NTP_UTC 0  /* 64 bits */
#define MCGK_MIKEY_TS_NTP 1      /* 64 bits */
#define MCGK_MIKEY_TS_COUNTER 2  /* 32 bits */

/* IDR roles (RFC 6043 §6.6; 8/9 TS 33.180 E.7) */
#define MCGK_MIKEY_ROLE_IDRI 1
#define MCGK_MIKEY_ROLE_IDRR 2
#define MCGK_MIKEY_ROLE_IDRKMS 3
#define MCGK_MIKEY_ROLE_IDRPSK 4
#define MCGK_MIKEY_ROLE_IDRAPP 5
#define MCGK_MIKEY_ROLE_IDRKMSI 6
#define MCGK_MIKEY_ROLE_IDRKMSR 7
#define MCGK_MIKEY_ROLE_IDRUIDI 8
#define MCGK_MIKEY_ROLE_IDRUIDR 9

/* ID types of IDR and ID payloads */
#define MCGK_MIKEY_IDTYPE_NAI 0
#define MCGK_MIKEY_IDTYPE_URI 1
#define MCGK_MIKEY_IDTYPE_BYTES 2

/*
 * ID type written for IDRuidi/IDRuidr (roles 8/9). UNCONFIRMED (spec README
 * §4): Streamwide sends 1 (URI) for the 32-octet UID; 2 (byte string) is
 * the other reading. The codec accepts any type; builders send this one.
 */
#define MCGK_MIKEY_UID_ID_TYPE MCGK_MIKEY_IDTYPE_URI

/* SAKKE payload (RFC 6509 §4.2) */
#define MCGK_MIKEY_SAKKE_PARAMS_SET1 1
#define MCGK_MIKEY_SAKKE_SCHEME_TEL_URI 1 /* RFC 6509 §3.2 monthly tel URI */
/* ID scheme for the 3GPP hashed UID. UNCONFIRMED (spec README §4): value 2 is
 * what Streamwide sends; TS 33.180 names the scheme without a number. */
#define MCGK_MIKEY_SAKKE_SCHEME_3GPP_UID 2
#define MCGK_MIKEY_SAKKE_DATA_LEN_SET1 273 /* R (257) || H (16) */

/* SIGN S types (RFC 3830 §6.5, RFC 6509 §4.3) */
#define MCGK_MIKEY_SIGN_RSA_PKCS1 0
#define MCGK_MIKEY_SIGN_RSA_PSS 1
#define MCGK_MIKEY_SIGN_ECCSI 2
/* ECCSI signature r || s || PVT; TS 33.180 E.1.2's "32" is wrong (spec README §5) */
#define MCGK_MIKEY_SIGN_ECCSI_LEN 129

/* General Extension types (RFC 3830 §6.15, TS 33.180 E.5/E.6) */
#define MCGK_MIKEY_EXT_VENDOR 0
#define MCGK_MIKEY_EXT_SDP_IDS 1
#define MCGK_MIKEY_EXT_KEY_ID 2
#define MCGK_MIKEY_EXT_SAKKE_TO_SELF 6
#define MCGK_MIKEY_EXT_KEY_PARAMS 7

/* KEMAC encryption / MAC, V authentication algorithms (RFC 3830 §6.2, §6.9) */
#define MCGK_MIKEY_ENCR_NULL 0
#define MCGK_MIKEY_ENCR_AES_CM_128 1
#define MCGK_MIKEY_ENCR_AES_KW_128 2
#define MCGK_MIKEY_MAC_NULL 0
#define MCGK_MIKEY_MAC_HMAC_SHA1_160 1
#define MCGK_MIKEY_MAC_HMAC_SHA1_160_LEN 20

/* ERR payload error numbers (RFC 3830 §6.12) */
#define MCGK_MIKEY_ERR_AUTH_FAILURE 0
#define MCGK_MIKEY_ERR_UNSPECIFIED 12

/* Key data sub-payload (RFC 3830 §6.13, §6.14) */
#define MCGK_MIKEY_KD_TGK 0
#define MCGK_MIKEY_KD_TGK_SALT 1
#define MCGK_MIKEY_KD_TEK 2
#define MCGK_MIKEY_KD_TEK_SALT 3
#define MCGK_MIKEY_KV_NULL 0
#define MCGK_MIKEY_KV_SPI 1
#define MCGK_MIKEY_KV_INTERVAL 2

/* SP payload protocol type and SRTP policy parameter types (RFC 3830 §6.10.1, mikey.md §6) */
#define MCGK_MIKEY_PROT_SRTP 0

/*
 * Key purpose tags: the 4 most significant bits of a key identifier
 * (CSB ID, GMK-ID ...), ts33180.md §0.1. 3..6 are UNCONFIRMED (Streamwide only).
 */
#define MCGK_MIKEY_PURPOSE_GMK 0
#define MCGK_MIKEY_PURPOSE_PCK 1
#define MCGK_MIKEY_PURPOSE_CSK 2
#define MCGK_MIKEY_PURPOSE_SPK 3
#define MCGK_MIKEY_PURPOSE_MKFC 4
#define MCGK_MIKEY_PURPOSE_MSCCK 5
#define MCGK_MIKEY_PURPOSE_MUSIK 6
#define MCGK_MIKEY_PURPOSE_OF(key_id) ((unsigned)((uint32_t)(key_id) >> 28))

/* ---- payload records ----------------------------------------------------------- */

/* SRTP-ID map entry (RFC 3830 §6.1.1), 9 octets */
typedef struct mcgk_mikey_cs_srtp {
    uint8_t policy_no;
    uint32_t ssrc;
    uint32_t roc;
} mcgk_mikey_cs_srtp;

/* GENERIC-ID map entry (RFC 6043 §6.1.1) */
typedef struct mcgk_mikey_cs_generic {
    uint8_t cs_id;               /* TS 33.180 Table E.1.3-1 */
    uint8_t prot_type;           /* 0 = SRTP */
    uint8_t s;                   /* 1 bit: Session Data carries ROC/SEQ */
    uint8_t n_policies;          /* 7 bits */
    const uint8_t *policies;     /* n_policies policy numbers */
    uint16_t session_data_len;
    const uint8_t *session_data; /* opaque */
    uint8_t spi_len;
    const uint8_t *spi;          /* SRTP: the MKI (Streamwide: GMK-ID || GUK-ID) */
} mcgk_mikey_cs_generic;

/* Common Header (RFC 3830 §6.1). The version (1) and next-payload octets are implied. */
typedef struct mcgk_mikey_hdr {
    uint8_t data_type; /* MCGK_MIKEY_DT_* */
    uint8_t v;         /* 1 bit: verification message requested */
    uint8_t prf_func;  /* 7 bits */
    uint32_t csb_id;   /* 3GPP: the key identifier (GUK-ID for a GMK) */
    uint8_t n_cs;      /* #CS; <= MCGK_MIKEY_MAX_CS; 0 for the empty map */
    uint8_t map_type;  /* MCGK_MIKEY_MAP_* */
    union {
        mcgk_mikey_cs_srtp srtp[MCGK_MIKEY_MAX_CS];
        mcgk_mikey_cs_generic generic[MCGK_MIKEY_MAX_CS];
    } map;
} mcgk_mikey_hdr;

/* T (RFC 3830 §6.6). NTP types: 32-bit seconds since 1900 || 32-bit fraction. */
typedef struct mcgk_mikey_t {
    uint8_t ts_type; /* MCGK_MIKEY_TS_*; COUNTER values fit in 32 bits */
    uint64_t value;
} mcgk_mikey_t;

/* RAND (RFC 3830 §6.11) */
typedef struct mcgk_mikey_rand {
    uint8_t len;
    const uint8_t *data;
} mcgk_mikey_rand;

/* IDR (RFC 6043 §6.6), and the legacy ID payload (RFC 3830 §6.7, role unused) */
typedef struct mcgk_mikey_idr {
    uint8_t role;    /* MCGK_MIKEY_ROLE_* (IDR only) */
    uint8_t id_type; /* MCGK_MIKEY_IDTYPE_* */
    uint16_t len;
    const uint8_t *data;
} mcgk_mikey_idr;

/* CERT (RFC 3830 §6.7): kept opaque */
typedef struct mcgk_mikey_cert {
    uint8_t cert_type;
    uint16_t len;
    const uint8_t *data;
} mcgk_mikey_cert;

/* SAKKE (RFC 6509 §4.2); data = R_(b,S) || H for parameter set 1 */
typedef struct mcgk_mikey_sakke {
    uint8_t params;    /* MCGK_MIKEY_SAKKE_PARAMS_SET1 */
    uint8_t id_scheme; /* MCGK_MIKEY_SAKKE_SCHEME_* */
    uint16_t len;
    const uint8_t *data;
} mcgk_mikey_sakke;

/* SIGN (RFC 3830 §6.5): no next-payload octet; always last */
typedef struct mcgk_mikey_sign {
    uint8_t s_type;     /* 4 bits */
    uint16_t len;       /* 12 bits */
    const uint8_t *sig; /* len octets; encode: NULL = write zeros (fill in after signing) */
} mcgk_mikey_sign;

/* One SP policy parameter: Type(1) | Length(1) | Value */
typedef struct mcgk_mikey_sp_param {
    uint8_t type;
    uint8_t len;
    const uint8_t *value;
} mcgk_mikey_sp_param;

/* SP (RFC 3830 §6.10). params = the raw parameter list (well formed after a parse). */
typedef struct mcgk_mikey_sp {
    uint8_t policy_no;
    uint8_t prot_type;
    uint16_t params_len;
    const uint8_t *params;
    size_t n_params; /* parse output */
} mcgk_mikey_sp;

/* KEMAC (RFC 3830 §6.2). MAC length follows from mac_alg (0 or 20 octets). */
typedef struct mcgk_mikey_kemac {
    uint8_t encr_alg;
    uint16_t encr_len;
    const uint8_t *encr_data; /* Key data sub-payloads, encrypted unless encr_alg = NULL */
    uint8_t mac_alg;
    const uint8_t *mac;       /* encode: NULL = write zeros (fill in after MACing) */
    size_t mac_offset;        /* parse output: offset of the MAC in the message */
} mcgk_mikey_kemac;

/* V (RFC 3830 §6.9). Verification data length follows from auth_alg. */
typedef struct mcgk_mikey_v {
    uint8_t auth_alg;
    const uint8_t *ver_data; /* encode: NULL = zeros */
} mcgk_mikey_v;

/* ERR (RFC 3830 §6.12) */
typedef struct mcgk_mikey_err {
    uint8_t err_no;
    uint16_t reserved;
} mcgk_mikey_err;

/*
 * The MCData protected-payload envelope carried by the type-7 "3GPP key
 * parameters" extension (ts33180.md §8.5.4 / E.6): the shared envelope of
 * mcgk/protected_payload.h. Field sizes follow Streamwide (UNCONFIRMED, spec
 * README §4): 16-octet IV, 1-octet payload IEI. The first
 * MCGK_MIKEY_PP_AAD_LEN octets are the AEAD AAD.
 */
#define MCGK_MIKEY_PP_IV_LEN MCGK_PP_IV_LEN
#define MCGK_MIKEY_PP_AAD_LEN MCGK_PP_AAD_LEN       /* message type .. DPPK-ID */
#define MCGK_MIKEY_PP_HEADER_LEN MCGK_PP_HEADER_LEN /* AAD + IEI + 2-octet length */
#define MCGK_MIKEY_PP_MSG_TYPE MCGK_PP_MSG_TYPE     /* UNCONFIRMED: Streamwide's value */
#define MCGK_MIKEY_PP_ALG_AES_128_GCM MCGK_PP_ALG_AES_128_GCM
typedef mcgk_pp mcgk_mikey_protected_payload;

/* How a General Extension's Data is represented */
#define MCGK_MIKEY_GENEXT_OPAQUE 0        /* data/len */
#define MCGK_MIKEY_GENEXT_SAKKE_TO_SELF 1 /* type 6: self_next + sakke */
#define MCGK_MIKEY_GENEXT_KEY_PARAMS 2    /* type 7: kp */

/*
 * General Extension (RFC 3830 §6.15). A parse fills data/len for every
 * form. Type 6 must hold a SAKKE payload (TS 33.180 E.5). Type 7 has form
 * KEY_PARAMS when its Data is exactly one protected-payload envelope, and
 * stays OPAQUE otherwise (e.g. Streamwide's legacy cleartext parameters).
 * The encoder writes data/len for OPAQUE and the sub-record otherwise.
 */
typedef struct mcgk_mikey_genext {
    uint8_t type;
    uint8_t form;      /* MCGK_MIKEY_GENEXT_* */
    uint16_t len;
    const uint8_t *data;
    uint8_t self_next; /* SAKKE-to-self: the inner next-payload octet (0, ignored on receipt) */
    mcgk_mikey_sakke sakke;
    mcgk_mikey_protected_payload kp;
} mcgk_mikey_genext;

/* One payload after the HDR, in message order. */
typedef struct mcgk_mikey_payload {
    uint8_t type;  /* MCGK_MIKEY_PT_* (selects the union member) */
    size_t offset; /* parse output: offset of its first octet */
    size_t len;    /* parse output: its encoded length */
    union {
        mcgk_mikey_t t;
        mcgk_mikey_rand rand;
        mcgk_mikey_idr idr; /* PT_IDR and PT_ID (role unused) */
        mcgk_mikey_cert cert;
        mcgk_mikey_sakke sakke;
        mcgk_mikey_sign sign;
        mcgk_mikey_sp sp;
        mcgk_mikey_kemac kemac;
        mcgk_mikey_v v;
        mcgk_mikey_err err;
        mcgk_mikey_genext genext;
    } u;
} mcgk_mikey_payload;

typedef struct mcgk_mikey_msg {
    mcgk_mikey_hdr hdr;
    size_t n_payloads;
    mcgk_mikey_payload payloads[MCGK_MIKEY_MAX_PAYLOADS];
    size_t hdr_len;    /* parse output */
    size_t len;        /* parse output: total octets */
    size_t signed_len; /* parse output: with SIGN, octets the signature covers
                          (= offset of the signature field); else 0 */
} mcgk_mikey_msg;

/* ---- parse / encode -------------------------------------------------------------- */

/*
 * Parse buf[0..len) into *out (records point into buf). Strict: the chain
 * must end exactly at the end of buf (after SIGN, or after a payload whose
 * next payload is 0).
 * Returns MCGK_OK;
 *   MCGK_ERR_INVALID_ARG      buf NULL with len > 0, out NULL;
 *   MCGK_ERR_OVERSIZED        len > MCGK_MIKEY_MAX_MSG_LEN, #CS > MCGK_MIKEY_MAX_CS,
 *                             more than MCGK_MIKEY_MAX_PAYLOADS payloads;
 *   MCGK_ERR_TRUNCATED        the message ends inside a payload;
 *   MCGK_ERR_TRAILING_DATA    octets after the last payload / after SIGN;
 *   MCGK_ERR_MIKEY_VERSION    HDR version is not 1;
 *   MCGK_ERR_MIKEY_PAYLOAD_TYPE  a next-payload value that is not a MIKEY payload
 *                             type, or Key data (20) outside a KEMAC;
 *   MCGK_ERR_MIKEY_CS_MAP     empty map (type 1) with #CS != 0;
 *   MCGK_ERR_UNSUPPORTED      a payload type mcgk does not decode (PKE, DH, CHASH,
 *                             TR, RANDR, TP, TICKET), an unknown CS ID map type,
 *                             TS type, KEMAC MAC algorithm or V algorithm (their
 *                             lengths are unknown);
 *   MCGK_ERR_MALFORMED        a length inside a payload disagrees with its
 *                             container (SP parameter list, SAKKE-to-self data).
 * On error *out is untouched and, if err_offset is not NULL, *err_offset =
 * the offset of the payload (or field) where parsing stopped.
 */
mcgk_err mcgk_mikey_parse(const uint8_t *buf, size_t len, mcgk_mikey_msg *out,
                          size_t *err_offset);

/*
 * Encode *m into out[0..out_cap). out == NULL: size query, returns MCGK_OK.
 * *out_len = total length (also for MCGK_ERR_BUFFER_TOO_SMALL). signed_len
 * (may be NULL) = offset of the SIGN signature field (0 without SIGN).
 * Returns MCGK_OK; MCGK_ERR_BUFFER_TOO_SMALL;
 * MCGK_ERR_INVALID_ARG: m/out_len NULL, more than MCGK_MIKEY_MAX_PAYLOADS
 * records, SIGN not the last record, a record type the codec cannot encode,
 * a field out of its range (V > 1, PRF > 127, S type > 15, SIGN length >
 * 4095, #CS > MCGK_MIKEY_MAX_CS, empty map with #CS != 0, unknown map / TS
 * type / MAC / V algorithm, COUNTER > 32 bits, #P > 127, 40-bit date-time
 * overflow, a SAKKE-to-self or key-parameters form on the wrong extension
 * type, a NULL pointer with a non-zero length, an SP parameter list that is
 * not well formed, the message longer than MCGK_MIKEY_MAX_MSG_LEN).
 * The output parses back to the same octets and fields (an OPAQUE type-7
 * extension whose data happens to be one envelope parses as KEY_PARAMS).
 */
mcgk_err mcgk_mikey_encode(const mcgk_mikey_msg *m, uint8_t *out, size_t out_cap,
                           size_t *out_len, size_t *signed_len);

/* ---- lookups ------------------------------------------------------------------- */

/* The first payload of `type` at index >= *pos (pos may be NULL: from 0); on a
 * hit *pos = its index + 1, so repeated calls iterate. NULL when none. */
const mcgk_mikey_payload *mcgk_mikey_find(const mcgk_mikey_msg *m, uint8_t type, size_t *pos);
/* The first IDR with this role, or NULL. */
const mcgk_mikey_idr *mcgk_mikey_find_idr(const mcgk_mikey_msg *m, uint8_t role);
/* The first General Extension of this extension type, or NULL. */
const mcgk_mikey_genext *mcgk_mikey_find_genext(const mcgk_mikey_msg *m, uint8_t ext_type);

/*
 * SP parameters. Iterate with *cursor starting at 0: MCGK_OK and the next
 * parameter, MCGK_ERR_NOT_FOUND after the last one, MCGK_ERR_MALFORMED when
 * the list overruns params_len (never after a successful parse),
 * MCGK_ERR_INVALID_ARG for NULL arguments.
 */
mcgk_err mcgk_mikey_sp_param_next(const mcgk_mikey_sp *sp, size_t *cursor,
                                  mcgk_mikey_sp_param *out);
/* The first parameter of this type: MCGK_OK, MCGK_ERR_NOT_FOUND, MCGK_ERR_MALFORMED,
 * MCGK_ERR_INVALID_ARG. */
mcgk_err mcgk_mikey_sp_param_find(const mcgk_mikey_sp *sp, uint8_t type, mcgk_mikey_sp_param *out);
/* Write a parameter list (Type | Length | Value ...) for an SP record.
 * out == NULL: size query. MCGK_OK, MCGK_ERR_BUFFER_TOO_SMALL,
 * MCGK_ERR_INVALID_ARG (NULL with a non-zero count/length, list longer than 65535). */
mcgk_err mcgk_mikey_sp_params_encode(const mcgk_mikey_sp_param *params, size_t n, uint8_t *out,
                                     size_t out_cap, size_t *out_len);

/* Write the MCGK_MIKEY_PP_AAD_LEN-octet AAD (header) of a key-parameters envelope.
 * MCGK_OK; MCGK_ERR_INVALID_ARG (NULL, iv NULL, date_time above 40 bits). */
mcgk_err mcgk_mikey_pp_aad(const mcgk_mikey_protected_payload *kp,
                           uint8_t aad[MCGK_MIKEY_PP_AAD_LEN]);

/* ---- Key data sub-payloads (inside a decrypted KEMAC) ---------------------------- */

/* One Key data sub-payload (RFC 3830 §6.13). key and salt are SECRET. */
typedef struct mcgk_mikey_key_data {
    uint8_t type;        /* MCGK_MIKEY_KD_* (4 bits) */
    uint8_t kv;          /* MCGK_MIKEY_KV_* (4 bits) */
    uint16_t key_len;
    const uint8_t *key;
    uint16_t salt_len;   /* types TGK_SALT / TEK_SALT only */
    const uint8_t *salt;
    uint8_t spi_len;     /* KV_SPI */
    const uint8_t *spi;
    uint8_t vf_len;      /* KV_INTERVAL: Valid From */
    const uint8_t *vf;
    uint8_t vt_len;      /* KV_INTERVAL: Valid To */
    const uint8_t *vt;
} mcgk_mikey_key_data;

/*
 * Parse the chain of Key data sub-payloads of a decrypted KEMAC
 * (buf[0..len), all of it) into out[0..out_cap); *n_out = how many.
 * Records point into buf. Returns MCGK_OK; MCGK_ERR_INVALID_ARG (NULLs);
 * MCGK_ERR_TRUNCATED; MCGK_ERR_TRAILING_DATA (octets after the last one);
 * MCGK_ERR_MIKEY_PAYLOAD_TYPE (a next payload other than 20 or 0);
 * MCGK_ERR_UNSUPPORTED (Type > 3 or KV > 2); MCGK_ERR_OVERSIZED (more than
 * out_cap or MCGK_MIKEY_MAX_KEY_DATA sub-payloads); MCGK_ERR_MALFORMED (an
 * empty chain). On error out and *n_out are untouched.
 */
mcgk_err mcgk_mikey_key_data_parse(const uint8_t *buf, size_t len, mcgk_mikey_key_data *out,
                                   size_t out_cap, size_t *n_out);
/*
 * Encode n >= 1 Key data records as a chain (next payload 20 ... 0).
 * out == NULL: size query. Returns MCGK_OK; MCGK_ERR_BUFFER_TOO_SMALL;
 * MCGK_ERR_INVALID_ARG (n == 0 or > MCGK_MIKEY_MAX_KEY_DATA, Type > 3,
 * KV > 2, NULL with a non-zero length).
 */
mcgk_err mcgk_mikey_key_data_encode(const mcgk_mikey_key_data *kd, size_t n, uint8_t *out,
                                    size_t out_cap, size_t *out_len);

/* ---- transport encodings (mikey.md §15, RFC 4567) ------------------------------- */

/*
 * Turn any of these into the binary message in out[0..out_cap):
 *   binary MIKEY (first octet 0x01, the version): copied;
 *   an SDP body or line with `a=key-mgmt:mikey <base64>` (the first such line);
 *   `key-mgmt:mikey <base64>` or `mikey <base64>`;
 *   raw base64, on one line or wrapped over several (each line strict base64,
 *   '=' only at the very end).
 * Surrounding whitespace and CR/LF are ignored. out == NULL: size query.
 * Returns MCGK_OK; MCGK_ERR_INVALID_ARG (NULLs); MCGK_ERR_BASE64;
 * MCGK_ERR_UNSUPPORTED (a key-mgmt attribute for another protocol only);
 * MCGK_ERR_MALFORMED (empty input); MCGK_ERR_BUFFER_TOO_SMALL. out is
 * untouched on error.
 */
mcgk_err mcgk_mikey_unwrap(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                           size_t *out_len);

/*
 * Write the SDP attribute line `a=key-mgmt:mikey <base64>` (RFC 4567 §3.1,
 * no CRLF) and a NUL into out; *out_len = characters without the NUL.
 * out == NULL: size query (excluding the NUL). MCGK_OK, MCGK_ERR_BUFFER_TOO_SMALL,
 * MCGK_ERR_INVALID_ARG.
 */
mcgk_err mcgk_mikey_sdp_attr(const uint8_t *msg, size_t msg_len, char *out, size_t out_cap,
                             size_t *out_len);

/* ---- names (for tools and logs; NULL when the value is not registered) ------------ */

const char *mcgk_mikey_payload_name(uint8_t type);
const char *mcgk_mikey_data_type_name(uint8_t data_type);
const char *mcgk_mikey_prf_name(uint8_t prf_func);
const char *mcgk_mikey_map_type_name(uint8_t map_type);
const char *mcgk_mikey_ts_type_name(uint8_t ts_type);
const char *mcgk_mikey_role_name(uint8_t role);
const char *mcgk_mikey_id_type_name(uint8_t id_type);
const char *mcgk_mikey_sakke_scheme_name(uint8_t id_scheme);
const char *mcgk_mikey_sign_type_name(uint8_t s_type);
const char *mcgk_mikey_ext_type_name(uint8_t ext_type);
const char *mcgk_mikey_encr_alg_name(uint8_t alg);
const char *mcgk_mikey_mac_alg_name(uint8_t alg);
const char *mcgk_mikey_err_no_name(uint8_t err_no);
const char *mcgk_mikey_kd_type_name(uint8_t type);
const char *mcgk_mikey_kv_name(uint8_t kv);
const char *mcgk_mikey_prot_name(uint8_t prot_type);
/* SRTP policy parameter type name (mikey.md §6), and the meaning of a
 * one-octet value of that type where the registry names it (else NULL). */
const char *mcgk_mikey_srtp_param_name(uint8_t type);
const char *mcgk_mikey_srtp_param_value_name(uint8_t type, uint8_t value);
/* Key purpose tag (4 MSBs of a key identifier, ts33180.md §0.1). */
const char *mcgk_mikey_purpose_name(unsigned tag);
/* CS-ID (TS 33.180 Table E.1.3-1). */
const char *mcgk_mikey_cs_id_name(uint8_t cs_id);

#ifdef __cplusplus
}
#endif
#endif
