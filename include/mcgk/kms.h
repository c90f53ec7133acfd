/*
 * mcgk/kms.h - the KMS interface of TS 33.180 Annex D (§5.3, D.2, D.3) and
 * the sans-I/O KMS core.
 *
 * Three parts:
 *  1. The XML codec: KmsRequest, KmsResponse (KmsInit / KmsKeyProv /
 *     KmsCertCache / KmsError), KmsCertificate and KmsKeySet in the
 *     namespace urn:3gpp:ns:mcsecKMSInterface:1.0, parsed and built with
 *     libxml2, strictly bounded: a size cap, a depth cap, an element-count
 *     cap, no DTD (a DOCTYPE is refused), no entity expansion, no network
 *     or file loading; every element must be in the namespace and known,
 *     every leaf within its length bound; on failure outputs are untouched.
 *  2. The KMS core: one step function from (HTTP method, path, bearer
 *     token, request body) plus the store rows, the time and an RNG to the
 *     HTTP status and the KmsResponse XML. It issues RSK (RFC 6508 §6.1.1),
 *     SSK and PVT (RFC 6507 §5.1.1) for UID format 2 (TS 33.180 F.2.1).
 *     It never touches a socket, a file or the clock.
 *  3. Client-side checks: a received certificate and key set are checked
 *     (identity, period, UID, KMS, then RFC 6507 §5.1.2 / RFC 6508 §6.1.2
 *     validation) before anything is stored.
 *
 * Secrets: the master secrets z (SAKKE) and KSAK (ECCSI) inside mcgk_kms;
 * RSK and SSK inside mcgk_kms_keyset and in every KmsResponse that carries
 * a key set (mcgk_kms_reply.body, mcgk_kms_response after parse). Every
 * _clear / _free wipes them. libxml2's allocations are wiped on free (the
 * codec installs wiping allocators), so key text does not linger in freed
 * heap memory.
 *
 * Times: the XML carries xsd:dateTime (here: Unix seconds, UTC); key periods
 * count NTP seconds (Unix + 2208988800) as in TS 33.180 §5.3.
 */
#ifndef MCGK_KMS_H
#define MCGK_KMS_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/base.h"
#include "mcgk/eccsi.h"
#include "mcgk/kdf.h"
#include "mcgk/sakke.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MCGK_KMS_NS "urn:3gpp:ns:mcsecKMSInterface:1.0"
#define MCGK_KMS_ROOT_PATH "/keymanagement/identity/v1"
#define MCGK_KMS_REQUEST_VERSION "1.1.0"
#define MCGK_KMS_RESPONSE_VERSION "1.0.0"
#define MCGK_KMS_CERT_VERSION "1.1.0"
#define MCGK_KMS_KEYSET_VERSION "1.1.0"
#define MCGK_KMS_USER_ID_FORMAT 2 /* TS 33.180 F.2.1 */
#define MCGK_KMS_PARAMETER_SET 1  /* RFC 6509 SAKKE parameter set 1 */

/* Bounds (each string bound includes the terminating NUL). */
#define MCGK_KMS_URI_MAX 512
#define MCGK_KMS_STR_MAX 256
#define MCGK_KMS_URL_MAX 1024
#define MCGK_KMS_VERSION_MAX 16
#define MCGK_KMS_REQUEST_MAX_LEN 16384u      /* a KmsRequest body */
#define MCGK_KMS_RESPONSE_MAX_LEN (1u << 20) /* any other document */
#define MCGK_KMS_XML_MAX_DEPTH 16
#define MCGK_KMS_XML_MAX_ELEMENTS 8192
#define MCGK_KMS_MAX_CERTS 64
#define MCGK_KMS_MAX_KEYSETS 16
#define MCGK_KMS_MAX_DOMAINS 16
#define MCGK_KMS_MAX_IDENTITIES 16
#define MCGK_KMS_TOKEN_HASH_LEN 32 /* SHA-256 of the bearer token text */
#define MCGK_KMS_TOKEN_LEN 64      /* issued tokens: 32 random octets as hex */
#define MCGK_KMS_DATETIME_LEN 21   /* "YYYY-MM-DDThh:mm:ssZ" + NUL */

/* ---- time helpers ----------------------------------------------------------------- */

/*
 * Parse an xsd:dateTime ("2024-05-01T12:00:00", optional fraction, optional
 * "Z" or "+hh:mm"/"-hh:mm"; no zone means UTC). Surrounding whitespace is
 * allowed. Years 1970..9999. Returns MCGK_OK, MCGK_ERR_INVALID_ARG,
 * MCGK_ERR_MALFORMED (out untouched).
 */
mcgk_err mcgk_xsd_datetime_parse(const char *s, size_t len, uint64_t *unix_s);
/* Format Unix seconds as "YYYY-MM-DDThh:mm:ssZ". Returns MCGK_OK,
 * MCGK_ERR_INVALID_ARG (year after 9999). */
mcgk_err mcgk_xsd_datetime_format(uint64_t unix_s, char out[MCGK_KMS_DATETIME_LEN]);

/*
 * An NTP 64-bit timestamp (32-bit seconds since 1900 . 32-bit fraction, the
 * keyprov path time of D.2) to NTP seconds, choosing the NTP era (the
 * 32-bit seconds wrap in 2036) that brings it closest to ref_ntp_s.
 */
uint64_t mcgk_ntp64_to_ntp_s(uint64_t ntp64, uint64_t ref_ntp_s);

/* ---- XML documents ---------------------------------------------------------------- */

/* KmsRequest (Table D.2.2-1). Empty strings are absent optional elements. */
typedef struct mcgk_kms_request {
    char version[MCGK_KMS_VERSION_MAX];
    char id[MCGK_KMS_STR_MAX];
    char user_uri[MCGK_KMS_URI_MAX];
    char kms_uri[MCGK_KMS_URI_MAX];
    uint64_t time_unix_s;
    char client_id[MCGK_KMS_STR_MAX];
    char device_id[MCGK_KMS_STR_MAX];
    char client_req_url[MCGK_KMS_URL_MAX];
    int has_client_error;
    int64_t client_error_code;
    char client_error_msg[MCGK_KMS_STR_MAX];
} mcgk_kms_request;

/* KmsCertificate (D.3.2). */
typedef struct mcgk_kms_cert {
    char version[MCGK_KMS_VERSION_MAX];
    char role[MCGK_KMS_VERSION_MAX]; /* "Root" or "External" */
    int is_security_gateway;
    char cert_uri[MCGK_KMS_URI_MAX];
    char kms_uri[MCGK_KMS_URI_MAX]; /* P2 of the UID (F.2.1) */
    char issuer[MCGK_KMS_URI_MAX];
    int has_valid_from, has_valid_to;
    uint64_t valid_from_unix_s, valid_to_unix_s;
    int revoked;
    uint64_t user_id_format;
    uint64_t user_key_period_s; /* P3 */
    uint64_t user_key_offset_s; /* P4 */
    uint8_t pub_enc_key[MCGK_SAKKE_POINT_LEN];  /* Z */
    uint8_t pub_auth_key[MCGK_ECCSI_POINT_LEN]; /* KPAK */
    int has_parameter_set;
    uint64_t parameter_set;
    size_t n_domains;
    char domains[MCGK_KMS_MAX_DOMAINS][MCGK_KMS_URI_MAX];
} mcgk_kms_cert;

/* KmsKeySet (D.3.3). rsk and ssk are secret. */
typedef struct mcgk_kms_keyset {
    char version[MCGK_KMS_VERSION_MAX];
    char kms_uri[MCGK_KMS_URI_MAX];
    char cert_uri[MCGK_KMS_URI_MAX];
    char issuer[MCGK_KMS_URI_MAX];
    char user_uri[MCGK_KMS_URI_MAX];
    uint8_t user_id[MCGK_UID_LEN];
    int has_valid_from, has_valid_to;
    uint64_t valid_from_unix_s, valid_to_unix_s;
    uint64_t key_period_no;
    int revoked;
    uint8_t rsk[MCGK_SAKKE_POINT_LEN];   /* UserDecryptKey, secret */
    uint8_t ssk[MCGK_ECCSI_SCALAR_LEN];  /* UserSigningKeySSK, secret */
    uint8_t pvt[MCGK_ECCSI_POINT_LEN];   /* UserPubTokenPVT */
} mcgk_kms_keyset;

typedef enum mcgk_kms_msg {
    MCGK_KMS_MSG_NONE = 0, /* a KmsError response */
    MCGK_KMS_MSG_INIT = 1,
    MCGK_KMS_MSG_KEYPROV = 2,
    MCGK_KMS_MSG_CERTCACHE = 3
} mcgk_kms_msg;

/*
 * KmsResponse (D.3.1). For encoding, certs / keysets point at the caller's
 * arrays (INIT: exactly one cert; CERTCACHE: 0..MCGK_KMS_MAX_CERTS;
 * KEYPROV: 0..MCGK_KMS_MAX_KEYSETS). After mcgk_kms_response_parse they are
 * allocated by the parser: release with mcgk_kms_response_clear (wipes).
 */
typedef struct mcgk_kms_response {
    char version[MCGK_KMS_VERSION_MAX];
    char user_uri[MCGK_KMS_URI_MAX];
    char kms_uri[MCGK_KMS_URI_MAX];
    uint64_t time_unix_s;
    char kms_id[MCGK_KMS_STR_MAX];
    char client_req_url[MCGK_KMS_URL_MAX];
    mcgk_kms_msg msg;
    mcgk_kms_cert *certs;
    size_t n_certs;
    mcgk_kms_keyset *keysets;
    size_t n_keysets;
    int has_cache_num;
    uint64_t cache_num;
    int has_error;
    int64_t error_code; /* mcgk's KmsError codes are mcgk_err values */
    char error_msg[MCGK_KMS_STR_MAX];
} mcgk_kms_response;

/*
 * Parsers. Each takes the raw document (no NUL needed) and fills *out only
 * on success. Common codes: MCGK_ERR_INVALID_ARG, MCGK_ERR_NO_MEMORY,
 * MCGK_ERR_OVERSIZED (document above MCGK_KMS_REQUEST_MAX_LEN for requests,
 * MCGK_KMS_RESPONSE_MAX_LEN otherwise; more than MCGK_KMS_XML_MAX_ELEMENTS
 * elements; a string above its bound; more certs/key sets/domains than
 * allowed), MCGK_ERR_XML_SYNTAX, MCGK_ERR_XML_DTD, MCGK_ERR_XML_DEPTH,
 * MCGK_ERR_XML_NAMESPACE (root or a child in another namespace),
 * MCGK_ERR_XML_UNKNOWN (unknown element or attribute, or another root
 * element), MCGK_ERR_XML_MISSING, MCGK_ERR_XML_DUPLICATE, MCGK_ERR_MALFORMED
 * (a value violates its type: dateTime, integer, boolean, text inside a
 * structure), MCGK_ERR_HEX / MCGK_ERR_LENGTH (hexBinary keys; UserID as 64
 * hex characters or base64 of 32 octets, else MCGK_ERR_LENGTH),
 * MCGK_ERR_UNSUPPORTED (encrypted key content, a KrrList, TrK-ID or
 * Signature-ID: the TrK extension is not implemented).
 */
mcgk_err mcgk_kms_request_parse(const uint8_t *xml, size_t len, mcgk_kms_request *out);
mcgk_err mcgk_kms_response_parse(const uint8_t *xml, size_t len, mcgk_kms_response *out);
/* A stand-alone KmsCertificate document, or the certificate of a KmsInit response. */
mcgk_err mcgk_kms_cert_parse(const uint8_t *xml, size_t len, mcgk_kms_cert *out);

/* Wipe and free what mcgk_kms_response_parse allocated; zeroes *r. */
void mcgk_kms_response_clear(mcgk_kms_response *r);
/* Wipe a key set. */
void mcgk_kms_keyset_clear(mcgk_kms_keyset *k);

/*
 * Encoders: a malloc'ed UTF-8 document of *len octets with a NUL after it.
 * Free with mcgk_kms_xml_free (wipes: a response may carry keys).
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG (message type and arrays
 * inconsistent), MCGK_ERR_MALFORMED (a string is not valid UTF-8 or holds
 * characters XML cannot carry), MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_kms_request_encode(const mcgk_kms_request *req, char **xml, size_t *len);
mcgk_err mcgk_kms_response_encode(const mcgk_kms_response *resp, char **xml, size_t *len);
mcgk_err mcgk_kms_cert_encode(const mcgk_kms_cert *cert, char **xml, size_t *len);
void mcgk_kms_xml_free(char *xml, size_t len);

/*
 * Percent-encode a URI for a path segment (RFC 3986 unreserved characters
 * kept, everything else %XX). Returns MCGK_OK, MCGK_ERR_INVALID_ARG,
 * MCGK_ERR_BUFFER_TOO_SMALL.
 */
mcgk_err mcgk_kms_percent_encode(const char *in, char *out, size_t out_cap);

/* ---- client-side checks (TS 33.180 §5.3) -------------------------------------------- */

/*
 * A certificate this implementation can use at now_unix_s: UserIdFormat 2,
 * ParameterSet absent or 1, UserKeyPeriod > 0, not revoked, within
 * ValidFrom/ValidTo when present.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_UNSUPPORTED,
 * MCGK_ERR_MALFORMED, MCGK_ERR_REVOKED, MCGK_ERR_VALIDITY.
 */
mcgk_err mcgk_kms_cert_check(const mcgk_kms_cert *cert, uint64_t now_unix_s);

/*
 * The certificate's public keys are valid points: PubEncKey (Z) on the SAKKE
 * curve and PubAuthKey (KPAK) on P-256 - for a partner KMS certificate before
 * it is trusted (R-004-03). Returns MCGK_OK, MCGK_ERR_INVALID_ARG,
 * MCGK_ERR_NO_MEMORY and the MCGK_ERR_POINT_* codes.
 */
mcgk_err mcgk_kms_cert_keys_check(const mcgk_kms_cert *cert);

/*
 * Key period of time t (NTP seconds) under cert, with the period bounds in
 * NTP seconds (start inclusive, end exclusive). Returns MCGK_OK,
 * MCGK_ERR_INVALID_ARG, MCGK_ERR_PERIOD (t before the offset, or overflow).
 */
mcgk_err mcgk_kms_cert_period(const mcgk_kms_cert *cert, uint64_t t_ntp_s, uint64_t *period_no,
                              uint64_t *start_ntp_s, uint64_t *end_ntp_s);

/*
 * Check a received key set before installing it (TS 33.180 §5.3): issued by
 * cert's KMS (MCGK_ERR_WRONG_KMS), for identity_uri and, unless
 * want_period_no is UINT64_MAX, for that period (MCGK_ERR_KEYSET_MISMATCH),
 * its UserID equal to the UID of F.2.1 (MCGK_ERR_KEYSET_MISMATCH), not
 * revoked (MCGK_ERR_REVOKED); then the SSK/PVT against KPAK (RFC 6507
 * §5.1.2) and the RSK against Z (RFC 6508 §6.1.2) - community must hold
 * cert's Z. Returns also the codes of mcgk_eccsi_validate_ssk and
 * mcgk_sakke_rsk_validate (MCGK_ERR_SSK_INVALID, MCGK_ERR_RSK_INVALID,
 * MCGK_ERR_POINT_*, MCGK_ERR_SCALAR_RANGE ...).
 */
mcgk_err mcgk_kms_keyset_check(const mcgk_kms_cert *cert, const mcgk_sakke_community *community,
                               const mcgk_kms_keyset *ks, const char *identity_uri,
                               uint64_t want_period_no);

/* ---- the KMS core ----------------------------------------------------------------- */

typedef struct mcgk_kms mcgk_kms;

/* Which periods are served, relative to the current one (defaults 1 and 1). */
typedef struct mcgk_kms_policy {
    uint32_t max_future_periods;
    uint32_t max_past_periods;
} mcgk_kms_policy;

/*
 * Create a community (TS 33.180 §5.3): z and Z (RFC 6508 §2.2), KSAK and
 * KPAK (RFC 6507 §4.2); cert is filled from tmpl (KmsUri, period, offset,
 * validity, CertUri, Issuer, domains are taken from it) with Version,
 * Role "Root", UserIdFormat 2, ParameterSet 1, Z and KPAK set.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG (no KmsUri, period 0), MCGK_ERR_RNG,
 * and the codes of the keygen functions. z and ksak are secret.
 */
mcgk_err mcgk_kms_generate(const mcgk_kms_cert *tmpl, const mcgk_rng *rng, mcgk_kms_cert *cert,
                           uint8_t z[MCGK_SAKKE_FP_LEN], uint8_t ksak[MCGK_ECCSI_SCALAR_LEN]);

/*
 * A running KMS: the certificate and the master secrets (copied; wiped by
 * mcgk_kms_free). Checks the certificate (mcgk_kms_cert_check codes except
 * validity) and that Z = [z]P and KPAK = [KSAK]G (MCGK_ERR_KEYSET_MISMATCH
 * otherwise). policy NULL takes the defaults.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_NO_MEMORY,
 * MCGK_ERR_UNSUPPORTED, MCGK_ERR_MALFORMED, MCGK_ERR_REVOKED,
 * MCGK_ERR_KEYSET_MISMATCH, MCGK_ERR_SCALAR_RANGE, MCGK_ERR_LENGTH.
 */
mcgk_err mcgk_kms_new(const mcgk_kms_cert *cert, const uint8_t z[MCGK_SAKKE_FP_LEN],
                      const uint8_t ksak[MCGK_ECCSI_SCALAR_LEN], const mcgk_kms_policy *policy,
                      mcgk_kms **out);
void mcgk_kms_free(mcgk_kms *kms);
const mcgk_kms_cert *mcgk_kms_certificate(const mcgk_kms *kms);

/*
 * Issue the key set of identity_uri for period_no (RFC 6507 §5.1.1, RFC 6508
 * §6.1.1, UID of F.2.1). No policy check. ks->rsk and ks->ssk are secret.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_RNG, MCGK_ERR_IDENTITY and
 * the codes of mcgk_uid / mcgk_sakke_rsk_issue / mcgk_eccsi_issue.
 */
mcgk_err mcgk_kms_issue(const mcgk_kms *kms, const char *identity_uri, uint64_t period_no,
                        const mcgk_rng *rng, mcgk_kms_keyset *ks);

typedef enum mcgk_kms_endpoint {
    MCGK_KMS_EP_INIT = 1,
    MCGK_KMS_EP_KEYPROV = 2,
    MCGK_KMS_EP_CERTCACHE = 3
} mcgk_kms_endpoint;

typedef enum mcgk_kms_role { MCGK_KMS_ROLE_USER = 0, MCGK_KMS_ROLE_GMS = 1 } mcgk_kms_role;

/* One HTTP call, routed and parsed (step 1 of the core). */
typedef struct mcgk_kms_call {
    mcgk_kms_endpoint endpoint;
    char identity_uri[MCGK_KMS_URI_MAX]; /* keyprov: path URI, else the request's UserUri */
    int has_time;
    uint64_t time_ntp_s; /* keyprov/<uri>/<NTP hex> */
    int has_cache_num;
    uint64_t cache_num; /* certcache/<n> */
    int has_token;
    uint8_t token_hash[MCGK_KMS_TOKEN_HASH_LEN];
    mcgk_kms_request req;
} mcgk_kms_call;

/* A user row of the KMS store. */
typedef struct mcgk_kms_user {
    char uri[MCGK_KMS_URI_MAX];
    mcgk_kms_role role;
    uint8_t token_hash[MCGK_KMS_TOKEN_HASH_LEN];
    int revoked;
    uint64_t created_unix_s;
    /* further identities this user may fetch keys for (a GMS's group
     * identities, R-000-02) */
    size_t n_identities;
    char identities[MCGK_KMS_MAX_IDENTITIES][MCGK_KMS_URI_MAX];
} mcgk_kms_user;

/* The answer: HTTP status and the KmsResponse document. */
typedef struct mcgk_kms_reply {
    int http_status;
    mcgk_err err;         /* MCGK_OK, or why the call failed (for the log) */
    char *body;           /* KmsResponse XML; secret when it carries a key set */
    size_t body_len;
    int has_period;
    uint64_t period_no;   /* keyprov: the period served (for the log) */
} mcgk_kms_reply;

/*
 * Step 1: route and parse. method must be "POST"; path is the raw request
 * path (still percent-encoded) rooted at MCGK_KMS_ROOT_PATH; authorization
 * the Authorization header or NULL ("Bearer <token>"; the token is hashed
 * here and not kept). call is filled as far as it got, also on failure, so
 * that the error reply can echo what is known.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_METHOD, MCGK_ERR_NOT_FOUND
 * (unknown path), MCGK_ERR_MALFORMED (bad percent-encoding, time or cache
 * number in the path), MCGK_ERR_OVERSIZED, and the codes of
 * mcgk_kms_request_parse.
 */
mcgk_err mcgk_kms_call_parse(const char *method, const char *path, const char *authorization,
                             const uint8_t *body, size_t body_len, mcgk_kms_call *call);

/*
 * Step 2: answer a parsed call, given the store rows: user is the row of
 * call->req.user_uri (NULL when unknown), partners the certificates for
 * certcache with their cache number. Checks in order: user known
 * (MCGK_ERR_UNKNOWN_USER), a token (MCGK_ERR_AUTH_MISSING) that matches
 * (constant time; MCGK_ERR_AUTH_FAILED), user not revoked
 * (MCGK_ERR_REVOKED), KmsUri is this KMS (keyprov, certcache;
 * MCGK_ERR_WRONG_KMS), the identity is the user's or one it holds
 * (MCGK_ERR_FORBIDDEN), the period within policy (MCGK_ERR_PERIOD). Then
 * issues the key set. Returns the outcome (also in reply->err); reply is
 * always filled (status + KmsResponse, a KmsError on failure) except for
 * MCGK_ERR_INVALID_ARG and MCGK_ERR_NO_MEMORY. Free it with
 * mcgk_kms_reply_clear.
 */
mcgk_err mcgk_kms_call_answer(const mcgk_kms *kms, const mcgk_kms_call *call,
                              const mcgk_kms_user *user, const mcgk_kms_cert *partners,
                              size_t n_partners, uint64_t cache_num, uint64_t now_unix_s,
                              const mcgk_rng *rng, mcgk_kms_reply *reply);

/*
 * A KmsError reply for why (a failed step 1, or a failure of the shell).
 * call may be NULL. Returns why, or MCGK_ERR_INVALID_ARG / MCGK_ERR_NO_MEMORY
 * when no reply could be built.
 */
mcgk_err mcgk_kms_error_reply(const mcgk_kms *kms, const mcgk_kms_call *call, mcgk_err why,
                              uint64_t now_unix_s, mcgk_kms_reply *reply);

/* Wipe and free the body; zeroes *reply. */
void mcgk_kms_reply_clear(mcgk_kms_reply *reply);

/* HTTP status for an outcome: 200 OK; 400 bad request; 401 missing/wrong
 * token; 403 unknown/revoked user, another identity, period refused; 404;
 * 405; 413 oversized; 500 anything else. */
int mcgk_kms_http_status(mcgk_err e);

/* SHA-256 of a token's text (how tokens are stored). Returns MCGK_OK,
 * MCGK_ERR_INVALID_ARG, MCGK_ERR_NO_MEMORY. */
mcgk_err mcgk_kms_token_hash(const char *token, size_t token_len,
                             uint8_t hash[MCGK_KMS_TOKEN_HASH_LEN]);

/* A new token: 32 octets from rng as 64 hex characters + NUL (secret).
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_RNG. */
mcgk_err mcgk_kms_token_new(const mcgk_rng *rng, char token[MCGK_KMS_TOKEN_LEN + 1]);

#ifdef __cplusplus
}
#endif
#endif
