/*
 * The sans-I/O KMS core: a community's certificate and master secrets,
 * key-set issuance, and the step function from an HTTP call of TS 33.180
 * Annex D (D.2: POST .../init, .../keyprov[/<uri>[/<NTP time>]],
 * .../certcache[/<n>]) to the HTTP status and the KmsResponse (D.3).
 * See mcgk/kms.h.
 *
 * Secrets: z (SAKKE master secret), KSAK (ECCSI master secret), every
 * issued RSK/SSK and the response bodies carrying them; bearer tokens
 * (hashed at once, compared as hashes in constant time).
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/kms.h"

struct mcgk_kms {
    mcgk_kms_cert cert;
    mcgk_kms_policy policy;
    uint8_t z[MCGK_SAKKE_FP_LEN];      /* secret */
    uint8_t ksak[MCGK_ECCSI_SCALAR_LEN]; /* secret */
};

/* ---- community ---- */

mcgk_err mcgk_kms_generate(const mcgk_kms_cert *tmpl, const mcgk_rng *rng, mcgk_kms_cert *cert,
                           uint8_t z[MCGK_SAKKE_FP_LEN], uint8_t ksak[MCGK_ECCSI_SCALAR_LEN])
{
    if (tmpl == NULL || cert == NULL || z == NULL || ksak == NULL || tmpl->kms_uri[0] == '\0' ||
        tmpl->user_key_period_s == 0)
        return MCGK_ERR_INVALID_ARG;
    mcgk_kms_cert *c = malloc(sizeof *c);
    if (c == NULL)
        return MCGK_ERR_NO_MEMORY;
    *c = *tmpl;
    snprintf(c->version, sizeof c->version, "%s", MCGK_KMS_CERT_VERSION);
    snprintf(c->role, sizeof c->role, "Root");
    c->user_id_format = MCGK_KMS_USER_ID_FORMAT;
    c->has_parameter_set = 1;
    c->parameter_set = MCGK_KMS_PARAMETER_SET;
    c->revoked = 0;
    uint8_t zz[MCGK_SAKKE_FP_LEN], kk[MCGK_ECCSI_SCALAR_LEN];
    /* RFC 6508 §2.2 (z, Z = [z]P), RFC 6507 §4.2 (KSAK, KPAK = [KSAK]G) */
    mcgk_err e = mcgk_sakke_kms_keygen(rng, zz, c->pub_enc_key);
    if (e == MCGK_OK)
        e = mcgk_eccsi_kms_keygen(rng, kk, c->pub_auth_key);
    if (e == MCGK_OK) {
        memcpy(z, zz, sizeof zz);
        memcpy(ksak, kk, sizeof kk);
        *cert = *c;
    }
    mcgk_wipe(zz, sizeof zz);
    mcgk_wipe(kk, sizeof kk);
    free(c);
    return e;
}

mcgk_err mcgk_kms_new(const mcgk_kms_cert *cert, const uint8_t z[MCGK_SAKKE_FP_LEN],
                      const uint8_t ksak[MCGK_ECCSI_SCALAR_LEN], const mcgk_kms_policy *policy,
                      mcgk_kms **out)
{
    if (cert == NULL || z == NULL || ksak == NULL || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    /* validity times are checked per request by clients, not here */
    mcgk_kms_cert tmp = *cert;
    tmp.has_valid_from = tmp.has_valid_to = 0;
    mcgk_err e = mcgk_kms_cert_check(&tmp, 0);
    if (e != MCGK_OK)
        return e;
    uint8_t Z[MCGK_SAKKE_POINT_LEN], kpak[MCGK_ECCSI_POINT_LEN];
    e = mcgk_sakke_public_from_secret(z, MCGK_SAKKE_FP_LEN, Z);
    if (e != MCGK_OK)
        return e;
    e = mcgk_eccsi_kpak_from_ksak(ksak, kpak);
    if (e != MCGK_OK)
        return e;
    if (memcmp(Z, cert->pub_enc_key, sizeof Z) != 0 ||
        memcmp(kpak, cert->pub_auth_key, sizeof kpak) != 0)
        return MCGK_ERR_KEYSET_MISMATCH;
    mcgk_kms *k = calloc(1, sizeof *k);
    if (k == NULL)
        return MCGK_ERR_NO_MEMORY;
    k->cert = *cert;
    k->policy.max_future_periods = policy ? policy->max_future_periods : 1;
    k->policy.max_past_periods = policy ? policy->max_past_periods : 1;
    memcpy(k->z, z, sizeof k->z);
    memcpy(k->ksak, ksak, sizeof k->ksak);
    *out = k;
    return MCGK_OK;
}

void mcgk_kms_free(mcgk_kms *kms)
{
    if (kms == NULL)
        return;
    mcgk_wipe(kms, sizeof *kms);
    free(kms);
}

const mcgk_kms_cert *mcgk_kms_certificate(const mcgk_kms *kms)
{
    return kms == NULL ? NULL : &kms->cert;
}

/* Unix seconds of an NTP time, 0 when before 1970 (then the bound is omitted). */
static int ntp_to_unix(uint64_t ntp_s, uint64_t *unix_s)
{
    if (ntp_s < MCGK_NTP_UNIX_OFFSET_S)
        return 0;
    *unix_s = ntp_s - MCGK_NTP_UNIX_OFFSET_S;
    return 1;
}

mcgk_err mcgk_kms_issue(const mcgk_kms *kms, const char *identity_uri, uint64_t period_no,
                        const mcgk_rng *rng, mcgk_kms_keyset *ks)
{
    if (kms == NULL || identity_uri == NULL || ks == NULL)
        return MCGK_ERR_INVALID_ARG;
    size_t ulen = strlen(identity_uri);
    if (ulen == 0 || ulen >= MCGK_KMS_URI_MAX)
        return MCGK_ERR_IDENTITY;
    const mcgk_kms_cert *c = &kms->cert;
    mcgk_kms_keyset *k = calloc(1, sizeof *k);
    if (k == NULL)
        return MCGK_ERR_NO_MEMORY;
    snprintf(k->version, sizeof k->version, "%s", MCGK_KMS_KEYSET_VERSION);
    memcpy(k->kms_uri, c->kms_uri, sizeof k->kms_uri);
    memcpy(k->cert_uri, c->cert_uri, sizeof k->cert_uri);
    memcpy(k->issuer, c->issuer, sizeof k->issuer);
    memcpy(k->user_uri, identity_uri, ulen + 1);
    k->key_period_no = period_no;
    /* TS 33.180 §5.3: the period's bounds */
    if (period_no <= (UINT64_MAX - c->user_key_offset_s) / c->user_key_period_s - 1) {
        uint64_t start = c->user_key_offset_s + period_no * c->user_key_period_s;
        k->has_valid_from = ntp_to_unix(start, &k->valid_from_unix_s);
        k->has_valid_to = ntp_to_unix(start + c->user_key_period_s, &k->valid_to_unix_s);
    }
    /* UID format 2 (TS 33.180 F.2.1) */
    mcgk_err e = mcgk_uid(identity_uri, ulen, c->kms_uri, strlen(c->kms_uri),
                          c->user_key_period_s, c->user_key_offset_s, period_no, k->user_id);
    /* RSK = [(a + z)^-1]P (RFC 6508 §6.1.1) */
    if (e == MCGK_OK)
        e = mcgk_sakke_rsk_issue(kms->z, sizeof kms->z, k->user_id, sizeof k->user_id, k->rsk);
    /* SSK, PVT (RFC 6507 §5.1.1) */
    if (e == MCGK_OK)
        e = mcgk_eccsi_issue(kms->ksak, k->user_id, sizeof k->user_id, rng, k->ssk, k->pvt);
    if (e == MCGK_OK)
        *ks = *k;
    mcgk_kms_keyset_clear(k);
    free(k);
    return e;
}

/* ---- tokens ---- */

mcgk_err mcgk_kms_token_hash(const char *token, size_t token_len,
                             uint8_t hash[MCGK_KMS_TOKEN_HASH_LEN])
{
    if (token == NULL || hash == NULL)
        return MCGK_ERR_INVALID_ARG;
    unsigned int n = 0;
    if (EVP_Digest(token, token_len, hash, &n, EVP_sha256(), NULL) != 1 ||
        n != MCGK_KMS_TOKEN_HASH_LEN)
        return MCGK_ERR_NO_MEMORY;
    return MCGK_OK;
}

mcgk_err mcgk_kms_token_new(const mcgk_rng *rng, char token[MCGK_KMS_TOKEN_LEN + 1])
{
    if (token == NULL)
        return MCGK_ERR_INVALID_ARG;
    uint8_t raw[MCGK_KMS_TOKEN_LEN / 2];
    mcgk_err e = mcgk_rng_bytes(rng, raw, sizeof raw);
    if (e == MCGK_OK)
        e = mcgk_hex_encode(raw, sizeof raw, token, MCGK_KMS_TOKEN_LEN + 1);
    mcgk_wipe(raw, sizeof raw);
    return e;
}

/* ---- step 1: routing ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode seg[0..len) into out (cap incl. NUL); no NUL octets allowed. */
static mcgk_err pct_decode(const char *seg, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)seg[i];
        if (c == '%') {
            if (i + 2 >= len)
                return MCGK_ERR_MALFORMED;
            int h = hexval(seg[i + 1]), l = hexval(seg[i + 2]);
            if (h < 0 || l < 0)
                return MCGK_ERR_MALFORMED;
            c = h * 16 + l;
            i += 2;
        }
        if (c == 0)
            return MCGK_ERR_MALFORMED;
        if (o + 1 >= cap)
            return MCGK_ERR_OVERSIZED;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return MCGK_OK;
}

static mcgk_err parse_hex64(const char *s, size_t len, uint64_t *v)
{
    if (len == 0 || len > 16)
        return MCGK_ERR_MALFORMED;
    uint64_t x = 0;
    for (size_t i = 0; i < len; i++) {
        int h = hexval(s[i]);
        if (h < 0)
            return MCGK_ERR_MALFORMED;
        x = (x << 4) | (uint64_t)h;
    }
    *v = x;
    return MCGK_OK;
}

static mcgk_err parse_dec64(const char *s, size_t len, uint64_t *v)
{
    if (len == 0 || len > 19)
        return MCGK_ERR_MALFORMED;
    uint64_t x = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return MCGK_ERR_MALFORMED;
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    *v = x;
    return MCGK_OK;
}

/* "Bearer <token>" (RFC 6750 §2.1; the scheme is case-insensitive) */
static void parse_bearer(const char *authorization, mcgk_kms_call *call)
{
    if (authorization == NULL)
        return;
    const char *p = authorization;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
        return;
    p += 6;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n == 0)
        return;
    if (mcgk_kms_token_hash(p, n, call->token_hash) == MCGK_OK)
        call->has_token = 1;
}

mcgk_err mcgk_kms_call_parse(const char *method, const char *path, const char *authorization,
                             const uint8_t *body, size_t body_len, mcgk_kms_call *call)
{
    if (method == NULL || path == NULL || call == NULL || (body == NULL && body_len != 0))
        return MCGK_ERR_INVALID_ARG;
    memset(call, 0, sizeof *call);
    parse_bearer(authorization, call);
    /* D.2: resources rooted at /keymanagement/identity/v1 */
    size_t rl = strlen(MCGK_KMS_ROOT_PATH);
    if (strncmp(path, MCGK_KMS_ROOT_PATH, rl) != 0 || path[rl] != '/')
        return MCGK_ERR_NOT_FOUND;
    const char *rest = path + rl + 1;
    const char *q = strchr(rest, '?');
    size_t rest_len = q ? (size_t)(q - rest) : strlen(rest);
    /* split into at most three segments */
    const char *seg[4] = {NULL};
    size_t seg_len[4] = {0}, nseg = 0;
    const char *s = rest;
    const char *end = rest + rest_len;
    while (s <= end && nseg < 4) {
        const char *slash = memchr(s, '/', (size_t)(end - s));
        const char *e = slash ? slash : end;
        seg[nseg] = s;
        seg_len[nseg++] = (size_t)(e - s);
        if (slash == NULL)
            break;
        s = slash + 1;
    }
    if (nseg == 4 || (nseg > 1 && seg_len[nseg - 1] == 0))
        return MCGK_ERR_NOT_FOUND; /* too many segments, or a trailing slash */
    mcgk_err e = MCGK_OK;
    if (seg_len[0] == 4 && memcmp(seg[0], "init", 4) == 0 && nseg == 1) {
        call->endpoint = MCGK_KMS_EP_INIT;
    } else if (seg_len[0] == 7 && memcmp(seg[0], "keyprov", 7) == 0) {
        call->endpoint = MCGK_KMS_EP_KEYPROV;
        if (nseg >= 2)
            e = pct_decode(seg[1], seg_len[1], call->identity_uri, sizeof call->identity_uri);
        if (e == MCGK_OK && nseg == 3) {
            uint64_t ntp64 = 0;
            e = parse_hex64(seg[2], seg_len[2], &ntp64);
            call->has_time = e == MCGK_OK;
            call->time_ntp_s = ntp64; /* resolved against now in step 2 */
        }
        if (e == MCGK_OK && nseg >= 2 && call->identity_uri[0] == '\0')
            e = MCGK_ERR_MALFORMED;
    } else if (seg_len[0] == 9 && memcmp(seg[0], "certcache", 9) == 0 && nseg <= 2) {
        call->endpoint = MCGK_KMS_EP_CERTCACHE;
        if (nseg == 2) {
            e = parse_dec64(seg[1], seg_len[1], &call->cache_num);
            call->has_cache_num = e == MCGK_OK;
        }
    } else {
        return MCGK_ERR_NOT_FOUND;
    }
    if (e != MCGK_OK)
        return e == MCGK_ERR_OVERSIZED ? MCGK_ERR_MALFORMED : e;
    if (strcmp(method, "POST") != 0)
        return MCGK_ERR_METHOD; /* D.2: every request is an HTTP POST */
    if (body == NULL || body_len == 0)
        return MCGK_ERR_XML_MISSING;
    mcgk_kms_request *req = malloc(sizeof *req);
    if (req == NULL)
        return MCGK_ERR_NO_MEMORY;
    e = mcgk_kms_request_parse(body, body_len, req);
    if (e == MCGK_OK) {
        call->req = *req;
        if (call->identity_uri[0] == '\0')
            memcpy(call->identity_uri, req->user_uri, sizeof call->identity_uri);
    }
    free(req);
    return e;
}

/* ---- replies ---- */

int mcgk_kms_http_status(mcgk_err e)
{
    switch (e) {
    case MCGK_OK:
        return 200;
    case MCGK_ERR_XML_SYNTAX:
    case MCGK_ERR_XML_DTD:
    case MCGK_ERR_XML_DEPTH:
    case MCGK_ERR_XML_NAMESPACE:
    case MCGK_ERR_XML_UNKNOWN:
    case MCGK_ERR_XML_MISSING:
    case MCGK_ERR_XML_DUPLICATE:
    case MCGK_ERR_MALFORMED:
    case MCGK_ERR_LENGTH:
    case MCGK_ERR_HEX:
    case MCGK_ERR_BASE64:
    case MCGK_ERR_UNSUPPORTED:
    case MCGK_ERR_WRONG_KMS:
    case MCGK_ERR_IDENTITY:
        return 400;
    case MCGK_ERR_AUTH_MISSING:
    case MCGK_ERR_AUTH_FAILED:
        return 401;
    case MCGK_ERR_UNKNOWN_USER:
    case MCGK_ERR_REVOKED:
    case MCGK_ERR_FORBIDDEN:
    case MCGK_ERR_PERIOD:
        return 403;
    case MCGK_ERR_NOT_FOUND:
        return 404;
    case MCGK_ERR_METHOD:
        return 405;
    case MCGK_ERR_OVERSIZED:
        return 413;
    default:
        return 500;
    }
}

void mcgk_kms_reply_clear(mcgk_kms_reply *reply)
{
    if (reply == NULL)
        return;
    mcgk_kms_xml_free(reply->body, reply->body_len);
    memset(reply, 0, sizeof *reply);
}

/* Header fields of a response: echo what the request said. */
static void fill_header(const mcgk_kms *kms, const mcgk_kms_call *call, uint64_t now_unix_s,
                        mcgk_kms_response *r)
{
    memset(r, 0, sizeof *r);
    if (call != NULL) {
        memcpy(r->user_uri, call->req.user_uri, sizeof r->user_uri);
        memcpy(r->client_req_url, call->req.client_req_url, sizeof r->client_req_url);
    }
    if (kms != NULL)
        memcpy(r->kms_uri, kms->cert.kms_uri, sizeof r->kms_uri);
    r->time_unix_s = now_unix_s;
}

/* Encode r into reply; returns the encoder's code (reply untouched on failure). */
static mcgk_err emit(const mcgk_kms_response *r, mcgk_err outcome, mcgk_kms_reply *reply)
{
    char *xml = NULL;
    size_t len = 0;
    mcgk_err e = mcgk_kms_response_encode(r, &xml, &len);
    if (e != MCGK_OK)
        return e;
    reply->http_status = mcgk_kms_http_status(outcome);
    reply->err = outcome;
    reply->body = xml;
    reply->body_len = len;
    return MCGK_OK;
}

mcgk_err mcgk_kms_error_reply(const mcgk_kms *kms, const mcgk_kms_call *call, mcgk_err why,
                              uint64_t now_unix_s, mcgk_kms_reply *reply)
{
    if (reply == NULL || why == MCGK_OK)
        return MCGK_ERR_INVALID_ARG;
    memset(reply, 0, sizeof *reply);
    mcgk_kms_response *r = malloc(sizeof *r);
    if (r == NULL)
        return MCGK_ERR_NO_MEMORY;
    fill_header(kms, call, now_unix_s, r);
    /* A request that did not parse may have left invalid text behind: the
     * echo is dropped when it cannot be encoded. */
    r->msg = MCGK_KMS_MSG_NONE;
    r->has_error = 1;
    r->error_code = (int64_t)why;
    snprintf(r->error_msg, sizeof r->error_msg, "%s: %s", mcgk_err_name(why),
             mcgk_strerror(why));
    mcgk_err e = emit(r, why, reply);
    if (e == MCGK_ERR_MALFORMED) {
        r->user_uri[0] = '\0';
        r->client_req_url[0] = '\0';
        e = emit(r, why, reply);
    }
    free(r);
    return e == MCGK_OK ? why : e;
}

static int may_use_identity(const mcgk_kms_user *u, const char *identity)
{
    if (strcmp(u->uri, identity) == 0)
        return 1;
    for (size_t i = 0; i < u->n_identities && i < MCGK_KMS_MAX_IDENTITIES; i++)
        if (strcmp(u->identities[i], identity) == 0)
            return 1;
    return 0;
}

static mcgk_err answer_keyprov(const mcgk_kms *kms, const mcgk_kms_call *call,
                               uint64_t now_unix_s, const mcgk_rng *rng, mcgk_kms_response *r,
                               mcgk_kms_keyset *ks, mcgk_kms_reply *reply)
{
    const mcgk_kms_cert *c = &kms->cert;
    uint64_t now_ntp = now_unix_s + MCGK_NTP_UNIX_OFFSET_S;
    uint64_t t = call->has_time ? mcgk_ntp64_to_ntp_s(call->time_ntp_s, now_ntp) : now_ntp;
    uint64_t n = 0, n_now = 0;
    /* TS 33.180 §5.3: KeyPeriodNo = floor((T - offset) / period) */
    if (mcgk_key_period_no(t, c->user_key_period_s, c->user_key_offset_s, &n) != MCGK_OK ||
        mcgk_key_period_no(now_ntp, c->user_key_period_s, c->user_key_offset_s, &n_now) !=
            MCGK_OK)
        return MCGK_ERR_PERIOD;
    reply->has_period = 1;
    reply->period_no = n;
    if (n > n_now && n - n_now > kms->policy.max_future_periods)
        return MCGK_ERR_PERIOD;
    if (n < n_now && n_now - n > kms->policy.max_past_periods)
        return MCGK_ERR_PERIOD;
    mcgk_err e = mcgk_kms_issue(kms, call->identity_uri, n, rng, ks);
    if (e != MCGK_OK)
        return e;
    r->msg = MCGK_KMS_MSG_KEYPROV;
    r->keysets = ks;
    r->n_keysets = 1;
    return MCGK_OK;
}

mcgk_err mcgk_kms_call_answer(const mcgk_kms *kms, const mcgk_kms_call *call,
                              const mcgk_kms_user *user, const mcgk_kms_cert *partners,
                              size_t n_partners, uint64_t cache_num, uint64_t now_unix_s,
                              const mcgk_rng *rng, mcgk_kms_reply *reply)
{
    if (kms == NULL || call == NULL || reply == NULL || (partners == NULL && n_partners != 0))
        return MCGK_ERR_INVALID_ARG;
    memset(reply, 0, sizeof *reply);
    mcgk_err why = MCGK_OK;
    /* authentication and authorisation, in this order (see mcgk/kms.h) */
    if (user == NULL)
        why = MCGK_ERR_UNKNOWN_USER;
    else if (!call->has_token)
        why = MCGK_ERR_AUTH_MISSING;
    else if (!mcgk_ct_memeq(call->token_hash, user->token_hash, MCGK_KMS_TOKEN_HASH_LEN))
        why = MCGK_ERR_AUTH_FAILED;
    else if (user->revoked)
        why = MCGK_ERR_REVOKED;
    else if (call->endpoint != MCGK_KMS_EP_INIT &&
             strcmp(call->req.kms_uri, kms->cert.kms_uri) != 0)
        why = MCGK_ERR_WRONG_KMS;
    else if (call->endpoint == MCGK_KMS_EP_KEYPROV && !may_use_identity(user, call->identity_uri))
        why = MCGK_ERR_FORBIDDEN;
    if (why != MCGK_OK)
        return mcgk_kms_error_reply(kms, call, why, now_unix_s, reply);

    mcgk_kms_response *r = malloc(sizeof *r);
    mcgk_kms_keyset *ks = malloc(sizeof *ks);
    if (r == NULL || ks == NULL) {
        free(r);
        free(ks);
        return MCGK_ERR_NO_MEMORY;
    }
    fill_header(kms, call, now_unix_s, r);
    mcgk_err e = MCGK_OK;
    switch (call->endpoint) {
    case MCGK_KMS_EP_INIT:
        r->msg = MCGK_KMS_MSG_INIT;
        r->certs = (mcgk_kms_cert *)&kms->cert;
        r->n_certs = 1;
        break;
    case MCGK_KMS_EP_KEYPROV:
        e = answer_keyprov(kms, call, now_unix_s, rng, r, ks, reply);
        break;
    case MCGK_KMS_EP_CERTCACHE:
        r->msg = MCGK_KMS_MSG_CERTCACHE;
        r->has_cache_num = 1;
        r->cache_num = cache_num;
        /* a client that holds this cache number gets an empty cache */
        if (!(call->has_cache_num && call->cache_num == cache_num)) {
            r->certs = (mcgk_kms_cert *)partners;
            r->n_certs = n_partners > MCGK_KMS_MAX_CERTS ? MCGK_KMS_MAX_CERTS : n_partners;
        }
        break;
    default:
        e = MCGK_ERR_NOT_FOUND;
        break;
    }
    if (e == MCGK_OK) {
        e = emit(r, MCGK_OK, reply);
        if (e == MCGK_ERR_MALFORMED) /* a request echo XML cannot carry */
            e = mcgk_kms_error_reply(kms, call, e, now_unix_s, reply);
    } else if (e != MCGK_ERR_NO_MEMORY) {
        int has_period = reply->has_period;
        uint64_t period_no = reply->period_no;
        e = mcgk_kms_error_reply(kms, call, e, now_unix_s, reply);
        reply->has_period = has_period;
        reply->period_no = period_no;
    }
    mcgk_kms_keyset_clear(ks);
    free(ks);
    free(r);
    return e;
}
