/*
 * The KMS interface documents of TS 33.180 Annex D: KmsRequest (D.2.2),
 * KmsResponse (D.3.1) with KmsInit / KmsKeyProv / KmsCertCache / KmsError,
 * KmsCertificate (D.3.2) and KmsKeySet (D.3.3), namespace
 * urn:3gpp:ns:mcsecKMSInterface:1.0. See mcgk/kms.h.
 *
 * Parsing is strict: every element must be in the namespace and known,
 * occur no more often than the schema allows, and carry a value of its
 * type within its bound; order is not enforced. Results are built in a
 * scratch structure and copied out only on success.
 * Secrets: RSK/SSK in key sets (wiped from every scratch copy).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kms/xml_util.h"
#include "mcgk/base64.h"
#include "mcgk/kms.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define HEX_MAX (2 * MCGK_SAKKE_POINT_LEN + 1)

static const char *const k_version_id[] = {"Version", "Id"};

/* ---- leaf helpers ---- */

static mcgk_err leaf_str(const xmlNode *n, char *out, size_t cap)
{
    mcgk_err e = mcgk_xml_attrs(n, NULL, 0);
    if (e != MCGK_OK)
        return e;
    return mcgk_xml_text(n, out, cap);
}

static mcgk_err leaf_u64(const xmlNode *n, uint64_t *v)
{
    char buf[32];
    mcgk_err e = leaf_str(n, buf, sizeof buf);
    if (e == MCGK_ERR_OVERSIZED)
        return MCGK_ERR_MALFORMED;
    return e != MCGK_OK ? e : mcgk_xml_u64(buf, v);
}

static mcgk_err leaf_i64(const xmlNode *n, int64_t *v)
{
    char buf[32];
    mcgk_err e = leaf_str(n, buf, sizeof buf);
    if (e == MCGK_ERR_OVERSIZED)
        return MCGK_ERR_MALFORMED;
    return e != MCGK_OK ? e : mcgk_xml_i64(buf, v);
}

static mcgk_err leaf_bool(const xmlNode *n, int *v)
{
    char buf[16];
    mcgk_err e = leaf_str(n, buf, sizeof buf);
    if (e == MCGK_ERR_OVERSIZED)
        return MCGK_ERR_MALFORMED;
    return e != MCGK_OK ? e : mcgk_xml_bool(buf, v);
}

static mcgk_err leaf_time(const xmlNode *n, uint64_t *v)
{
    char buf[64];
    mcgk_err e = leaf_str(n, buf, sizeof buf);
    if (e == MCGK_ERR_OVERSIZED)
        return MCGK_ERR_MALFORMED;
    return e != MCGK_OK ? e : mcgk_xsd_datetime_parse(buf, strlen(buf), v);
}

/*
 * A key value (KeyContentType: hexBinary of exactly len octets). An
 * xsi:type of EncKeyContentType (the TrK extension) is not supported.
 */
static mcgk_err leaf_key(const xmlNode *n, uint8_t *out, size_t len)
{
    char type[64];
    int has_type = 0;
    mcgk_err e = mcgk_xml_xsi_type(n, type, sizeof type, &has_type);
    if (e != MCGK_OK)
        return MCGK_ERR_MALFORMED;
    if (has_type && strcmp(type, "EncKeyContentType") == 0)
        return MCGK_ERR_UNSUPPORTED;
    if (has_type && strcmp(type, "KeyContentType") != 0)
        return MCGK_ERR_MALFORMED;
    char hex[HEX_MAX + 1];
    size_t got = 0;
    e = leaf_str(n, hex, sizeof hex);
    if (e == MCGK_ERR_OVERSIZED)
        e = MCGK_ERR_LENGTH;
    if (e == MCGK_OK) {
        size_t hl = strlen(hex);
        if (hl != 2 * len) {
            /* a wrong length of valid hex is a length error, bad text a hex error */
            e = mcgk_hex_decode(hex, hl, NULL, 0, &got);
            e = e == MCGK_ERR_HEX ? MCGK_ERR_HEX : MCGK_ERR_LENGTH;
        } else {
            e = mcgk_hex_decode(hex, hl, out, len, &got);
        }
    }
    mcgk_wipe(hex, sizeof hex);
    return e;
}

/* UserID: 64 hex characters (Streamwide), or base64 of 32 octets (accepted too). */
static mcgk_err leaf_uid(const xmlNode *n, uint8_t out[MCGK_UID_LEN])
{
    char buf[2 * MCGK_UID_LEN + 8];
    size_t got = 0;
    mcgk_err e = leaf_str(n, buf, sizeof buf);
    if (e == MCGK_ERR_OVERSIZED)
        return MCGK_ERR_LENGTH;
    if (e != MCGK_OK)
        return e;
    size_t l = strlen(buf);
    if (l == 2 * MCGK_UID_LEN)
        return mcgk_hex_decode(buf, l, out, MCGK_UID_LEN, &got);
    uint8_t tmp[MCGK_UID_LEN + 3];
    e = mcgk_base64_decode(buf, l, 0, tmp, sizeof tmp, &got);
    if (e != MCGK_OK || got != MCGK_UID_LEN)
        return MCGK_ERR_LENGTH;
    memcpy(out, tmp, MCGK_UID_LEN);
    return MCGK_OK;
}

static mcgk_err version_attrs(const xmlNode *n, char version[MCGK_KMS_VERSION_MAX])
{
    int present = 0;
    mcgk_err e = mcgk_xml_attrs(n, k_version_id, COUNT(k_version_id));
    if (e == MCGK_OK)
        e = mcgk_xml_attr(n, "Version", version, MCGK_KMS_VERSION_MAX, &present);
    if (e == MCGK_OK && !present)
        version[0] = '\0';
    return e;
}

/* ---- KmsCertificate ---- */

enum {
    C_CERT_URI, C_KMS_URI, C_ISSUER, C_VALID_FROM, C_VALID_TO, C_REVOKED, C_USER_ID_FORMAT,
    C_PERIOD, C_OFFSET, C_ENC, C_AUTH, C_PARAM_SET, C_DOMAINS, C__N
};
static const char *const k_cert_children[C__N] = {
    "CertUri", "KmsUri", "Issuer", "ValidFrom", "ValidTo", "Revoked", "UserIdFormat",
    "UserKeyPeriod", "UserKeyOffset", "PubEncKey", "PubAuthKey", "ParameterSet",
    "KmsDomainList"};
static const char *const k_cert_attrs[] = {"Version", "Role", "IsSecurityGateway", "Id"};

static mcgk_err parse_domains(const xmlNode *list, mcgk_kms_cert *c)
{
    mcgk_err e = mcgk_xml_attrs(list, NULL, 0);
    const xmlNode *k = NULL;
    while (e == MCGK_OK && (e = mcgk_xml_next(list, &k)) == MCGK_OK && k != NULL) {
        if (!mcgk_xml_is(k, "KmsDomain"))
            return MCGK_ERR_XML_UNKNOWN;
        if (c->n_domains == MCGK_KMS_MAX_DOMAINS)
            return MCGK_ERR_OVERSIZED;
        e = leaf_str(k, c->domains[c->n_domains], MCGK_KMS_URI_MAX);
        if (e == MCGK_OK)
            c->n_domains++;
    }
    return e;
}

/* Parse a KmsCertificate element into *c (c is scratch: zeroed here). */
static mcgk_err parse_cert_elem(const xmlNode *n, mcgk_kms_cert *c)
{
    memset(c, 0, sizeof *c);
    int present = 0;
    char flag[16];
    mcgk_err e = mcgk_xml_attrs(n, k_cert_attrs, COUNT(k_cert_attrs));
    if (e == MCGK_OK)
        e = mcgk_xml_attr(n, "Version", c->version, sizeof c->version, &present);
    if (e == MCGK_OK)
        e = mcgk_xml_attr(n, "Role", c->role, sizeof c->role, &present);
    if (e == MCGK_OK) {
        e = mcgk_xml_attr(n, "IsSecurityGateway", flag, sizeof flag, &present);
        if (e == MCGK_ERR_OVERSIZED) /* no boolean is that long */
            e = MCGK_ERR_MALFORMED;
    }
    if (e == MCGK_OK && present)
        e = mcgk_xml_bool(flag, &c->is_security_gateway);
    if (e != MCGK_OK)
        return e;
    if (c->role[0] != '\0' && strcmp(c->role, "Root") != 0 && strcmp(c->role, "External") != 0)
        return MCGK_ERR_MALFORMED;
    unsigned seen[C__N] = {0};
    const xmlNode *k = NULL;
    while ((e = mcgk_xml_next(n, &k)) == MCGK_OK && k != NULL) {
        size_t i;
        e = mcgk_xml_index(k, k_cert_children, C__N, &i);
        if (e != MCGK_OK)
            return e;
        if (seen[i]++)
            return MCGK_ERR_XML_DUPLICATE;
        switch (i) {
        case C_CERT_URI: e = leaf_str(k, c->cert_uri, sizeof c->cert_uri); break;
        case C_KMS_URI: e = leaf_str(k, c->kms_uri, sizeof c->kms_uri); break;
        case C_ISSUER: e = leaf_str(k, c->issuer, sizeof c->issuer); break;
        case C_VALID_FROM:
            e = leaf_time(k, &c->valid_from_unix_s);
            c->has_valid_from = 1;
            break;
        case C_VALID_TO:
            e = leaf_time(k, &c->valid_to_unix_s);
            c->has_valid_to = 1;
            break;
        case C_REVOKED: e = leaf_bool(k, &c->revoked); break;
        case C_USER_ID_FORMAT: e = leaf_u64(k, &c->user_id_format); break;
        case C_PERIOD: e = leaf_u64(k, &c->user_key_period_s); break;
        case C_OFFSET: e = leaf_u64(k, &c->user_key_offset_s); break;
        case C_ENC: e = leaf_key(k, c->pub_enc_key, sizeof c->pub_enc_key); break;
        case C_AUTH: e = leaf_key(k, c->pub_auth_key, sizeof c->pub_auth_key); break;
        case C_PARAM_SET:
            e = leaf_u64(k, &c->parameter_set);
            c->has_parameter_set = 1;
            break;
        default: e = parse_domains(k, c); break;
        }
        if (e != MCGK_OK)
            return e;
    }
    if (e != MCGK_OK)
        return e;
    if (!seen[C_KMS_URI] || !seen[C_USER_ID_FORMAT] || !seen[C_PERIOD] || !seen[C_OFFSET] ||
        !seen[C_ENC] || !seen[C_AUTH])
        return MCGK_ERR_XML_MISSING;
    return MCGK_OK;
}

/* ---- KmsKeySet ---- */

enum {
    K_KMS_URI, K_CERT_URI, K_ISSUER, K_USER_URI, K_USER_ID, K_VALID_FROM, K_VALID_TO,
    K_PERIOD_NO, K_REVOKED, K_RSK, K_SSK, K_PVT, K__N
};
static const char *const k_keyset_children[K__N] = {
    "KmsUri", "CertUri", "Issuer", "UserUri", "UserID", "ValidFrom", "ValidTo",
    "KeyPeriodNo", "Revoked", "UserDecryptKey", "UserSigningKeySSK", "UserPubTokenPVT"};

static mcgk_err parse_keyset_elem(const xmlNode *n, mcgk_kms_keyset *ks)
{
    memset(ks, 0, sizeof *ks);
    mcgk_err e = version_attrs(n, ks->version);
    if (e != MCGK_OK)
        return e;
    unsigned seen[K__N] = {0};
    const xmlNode *k = NULL;
    while ((e = mcgk_xml_next(n, &k)) == MCGK_OK && k != NULL) {
        size_t i;
        e = mcgk_xml_index(k, k_keyset_children, K__N, &i);
        if (e != MCGK_OK)
            return e;
        if (seen[i]++)
            return MCGK_ERR_XML_DUPLICATE;
        switch (i) {
        case K_KMS_URI: e = leaf_str(k, ks->kms_uri, sizeof ks->kms_uri); break;
        case K_CERT_URI: e = leaf_str(k, ks->cert_uri, sizeof ks->cert_uri); break;
        case K_ISSUER: e = leaf_str(k, ks->issuer, sizeof ks->issuer); break;
        case K_USER_URI: e = leaf_str(k, ks->user_uri, sizeof ks->user_uri); break;
        case K_USER_ID: e = leaf_uid(k, ks->user_id); break;
        case K_VALID_FROM:
            e = leaf_time(k, &ks->valid_from_unix_s);
            ks->has_valid_from = 1;
            break;
        case K_VALID_TO:
            e = leaf_time(k, &ks->valid_to_unix_s);
            ks->has_valid_to = 1;
            break;
        case K_PERIOD_NO: e = leaf_u64(k, &ks->key_period_no); break;
        case K_REVOKED: e = leaf_bool(k, &ks->revoked); break;
        case K_RSK: e = leaf_key(k, ks->rsk, sizeof ks->rsk); break;
        case K_SSK: e = leaf_key(k, ks->ssk, sizeof ks->ssk); break;
        default: e = leaf_key(k, ks->pvt, sizeof ks->pvt); break;
        }
        if (e != MCGK_OK)
            return e;
    }
    if (e != MCGK_OK)
        return e;
    if (!seen[K_KMS_URI] || !seen[K_USER_URI] || !seen[K_USER_ID] || !seen[K_PERIOD_NO] ||
        !seen[K_RSK] || !seen[K_SSK] || !seen[K_PVT])
        return MCGK_ERR_XML_MISSING;
    return MCGK_OK;
}

/* ---- ErrorType ---- */

static mcgk_err parse_error_elem(const xmlNode *n, int64_t *code, char *msg, size_t cap)
{
    static const char *const names[] = {"ErrorCode", "ErrorMsg"};
    unsigned seen[2] = {0};
    mcgk_err e = mcgk_xml_attrs(n, NULL, 0);
    const xmlNode *k = NULL;
    msg[0] = '\0';
    while (e == MCGK_OK && (e = mcgk_xml_next(n, &k)) == MCGK_OK && k != NULL) {
        size_t i;
        e = mcgk_xml_index(k, names, 2, &i);
        if (e != MCGK_OK)
            return e;
        if (seen[i]++)
            return MCGK_ERR_XML_DUPLICATE;
        e = i == 0 ? leaf_i64(k, code) : leaf_str(k, msg, cap);
    }
    if (e != MCGK_OK)
        return e;
    return seen[0] ? MCGK_OK : MCGK_ERR_XML_MISSING;
}

/* ---- KmsRequest ---- */

enum {
    R_USER_URI, R_KMS_URI, R_TIME, R_CLIENT_ID, R_DEVICE_ID, R_REQ_URL, R_KRR, R_CLIENT_ERROR,
    R_TRK, R_SIG, R__N
};
static const char *const k_request_children[R__N] = {
    "UserUri", "KmsUri", "Time", "ClientId", "DeviceId", "ClientReqUrl", "KrrList",
    "ClientError", "TrK-ID", "Signature-ID"};

static mcgk_err root_of(xmlDocPtr doc, const char *name, const xmlNode **root)
{
    const xmlNode *r = xmlDocGetRootElement(doc);
    if (r == NULL)
        return MCGK_ERR_XML_SYNTAX;
    if (r->ns == NULL || r->ns->href == NULL || strcmp((const char *)r->ns->href, MCGK_KMS_NS))
        return MCGK_ERR_XML_NAMESPACE;
    if (strcmp((const char *)r->name, name) != 0)
        return MCGK_ERR_XML_UNKNOWN;
    *root = r;
    return MCGK_OK;
}

mcgk_err mcgk_kms_request_parse(const uint8_t *xml, size_t len, mcgk_kms_request *out)
{
    if (xml == NULL || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    xmlDocPtr doc = NULL;
    mcgk_err e = mcgk_xml_parse(xml, len, MCGK_KMS_REQUEST_MAX_LEN, &doc);
    if (e != MCGK_OK)
        return e;
    mcgk_kms_request *r = calloc(1, sizeof *r);
    if (r == NULL) {
        xmlFreeDoc(doc);
        return MCGK_ERR_NO_MEMORY;
    }
    const xmlNode *root = NULL;
    e = root_of(doc, "KmsRequest", &root);
    if (e == MCGK_ERR_XML_UNKNOWN && mcgk_xml_is(xmlDocGetRootElement(doc), "SignedKmsRequest"))
        e = MCGK_ERR_UNSUPPORTED; /* the InK/TrK signature extension */
    if (e == MCGK_OK)
        e = version_attrs(root, r->version);
    if (e == MCGK_OK) {
        int present = 0;
        e = mcgk_xml_attr(root, "Id", r->id, sizeof r->id, &present);
    }
    unsigned seen[R__N] = {0};
    const xmlNode *k = NULL;
    while (e == MCGK_OK && (e = mcgk_xml_next(root, &k)) == MCGK_OK && k != NULL) {
        size_t i;
        e = mcgk_xml_index(k, k_request_children, R__N, &i);
        if (e != MCGK_OK)
            break;
        if (seen[i]++) {
            e = MCGK_ERR_XML_DUPLICATE;
            break;
        }
        switch (i) {
        case R_USER_URI: e = leaf_str(k, r->user_uri, sizeof r->user_uri); break;
        case R_KMS_URI: e = leaf_str(k, r->kms_uri, sizeof r->kms_uri); break;
        case R_TIME: e = leaf_time(k, &r->time_unix_s); break;
        case R_CLIENT_ID: e = leaf_str(k, r->client_id, sizeof r->client_id); break;
        case R_DEVICE_ID: e = leaf_str(k, r->device_id, sizeof r->device_id); break;
        case R_REQ_URL: e = leaf_str(k, r->client_req_url, sizeof r->client_req_url); break;
        case R_CLIENT_ERROR:
            e = parse_error_elem(k, &r->client_error_code, r->client_error_msg,
                                 sizeof r->client_error_msg);
            r->has_client_error = 1;
            break;
        default: e = MCGK_ERR_UNSUPPORTED; break; /* KrrList, TrK-ID, Signature-ID */
        }
    }
    if (e == MCGK_OK &&
        (!seen[R_USER_URI] || !seen[R_KMS_URI] || !seen[R_TIME] || !seen[R_REQ_URL]))
        e = MCGK_ERR_XML_MISSING;
    if (e == MCGK_OK)
        *out = *r;
    xmlFreeDoc(doc);
    free(r);
    return e;
}

/* ---- KmsResponse ---- */

enum { S_USER_URI, S_KMS_URI, S_TIME, S_KMS_ID, S_REQ_URL, S_MESSAGE, S_ERROR, S__N };
static const char *const k_response_children[S__N] = {
    "UserUri", "KmsUri", "Time", "KmsId", "ClientReqUrl", "KmsMessage", "KmsError"};

static mcgk_err parse_init(const xmlNode *n, mcgk_kms_response *r)
{
    char v[MCGK_KMS_VERSION_MAX];
    mcgk_err e = version_attrs(n, v);
    const xmlNode *k = NULL;
    while (e == MCGK_OK && (e = mcgk_xml_next(n, &k)) == MCGK_OK && k != NULL) {
        if (mcgk_xml_is(k, "SignedKmsCertificate"))
            return MCGK_ERR_UNSUPPORTED;
        if (!mcgk_xml_is(k, "KmsCertificate"))
            return MCGK_ERR_XML_UNKNOWN;
        if (r->n_certs == 1)
            return MCGK_ERR_XML_DUPLICATE;
        e = parse_cert_elem(k, &r->certs[0]);
        if (e == MCGK_OK)
            r->n_certs = 1;
    }
    if (e == MCGK_OK && r->n_certs == 0)
        e = MCGK_ERR_XML_MISSING;
    return e;
}

static mcgk_err parse_keyprov(const xmlNode *n, mcgk_kms_response *r)
{
    char v[MCGK_KMS_VERSION_MAX];
    mcgk_err e = version_attrs(n, v);
    const xmlNode *k = NULL;
    while (e == MCGK_OK && (e = mcgk_xml_next(n, &k)) == MCGK_OK && k != NULL) {
        if (!mcgk_xml_is(k, "KmsKeySet"))
            return MCGK_ERR_XML_UNKNOWN;
        if (r->n_keysets == MCGK_KMS_MAX_KEYSETS)
            return MCGK_ERR_OVERSIZED;
        e = parse_keyset_elem(k, &r->keysets[r->n_keysets]);
        if (e == MCGK_OK)
            r->n_keysets++;
    }
    return e;
}

static mcgk_err parse_certcache(const xmlNode *n, mcgk_kms_response *r)
{
    static const char *const attrs[] = {"Version", "Id", "CacheNum"};
    char num[32];
    int present = 0;
    mcgk_err e = mcgk_xml_attrs(n, attrs, COUNT(attrs));
    if (e == MCGK_OK)
        e = mcgk_xml_attr(n, "CacheNum", num, sizeof num, &present);
    if (e == MCGK_ERR_OVERSIZED)
        e = MCGK_ERR_MALFORMED;
    if (e == MCGK_OK && present) {
        e = mcgk_xml_u64(num, &r->cache_num);
        r->has_cache_num = 1;
    }
    const xmlNode *k = NULL;
    while (e == MCGK_OK && (e = mcgk_xml_next(n, &k)) == MCGK_OK && k != NULL) {
        if (mcgk_xml_is(k, "SignedKmsCertificate"))
            return MCGK_ERR_UNSUPPORTED;
        if (!mcgk_xml_is(k, "KmsCertificate"))
            return MCGK_ERR_XML_UNKNOWN;
        if (r->n_certs == MCGK_KMS_MAX_CERTS)
            return MCGK_ERR_OVERSIZED;
        e = parse_cert_elem(k, &r->certs[r->n_certs]);
        if (e == MCGK_OK)
            r->n_certs++;
    }
    return e;
}

static mcgk_err parse_message(const xmlNode *n, mcgk_kms_response *r)
{
    static const char *const names[] = {"KmsInit", "KmsKeyProv", "KmsCertCache"};
    mcgk_err e = mcgk_xml_attrs(n, NULL, 0);
    const xmlNode *k = NULL;
    while (e == MCGK_OK && (e = mcgk_xml_next(n, &k)) == MCGK_OK && k != NULL) {
        size_t i;
        e = mcgk_xml_index(k, names, COUNT(names), &i);
        if (e != MCGK_OK)
            return e;
        if (r->msg != MCGK_KMS_MSG_NONE)
            return MCGK_ERR_XML_DUPLICATE;
        if (i == 0) {
            r->msg = MCGK_KMS_MSG_INIT;
            r->certs = calloc(1, sizeof *r->certs);
            if (r->certs == NULL)
                return MCGK_ERR_NO_MEMORY;
            e = parse_init(k, r);
        } else if (i == 1) {
            r->msg = MCGK_KMS_MSG_KEYPROV;
            r->keysets = calloc(MCGK_KMS_MAX_KEYSETS, sizeof *r->keysets);
            if (r->keysets == NULL)
                return MCGK_ERR_NO_MEMORY;
            e = parse_keyprov(k, r);
        } else {
            r->msg = MCGK_KMS_MSG_CERTCACHE;
            r->certs = calloc(MCGK_KMS_MAX_CERTS, sizeof *r->certs);
            if (r->certs == NULL)
                return MCGK_ERR_NO_MEMORY;
            e = parse_certcache(k, r);
        }
    }
    if (e == MCGK_OK && r->msg == MCGK_KMS_MSG_NONE)
        e = MCGK_ERR_XML_MISSING;
    return e;
}

void mcgk_kms_keyset_clear(mcgk_kms_keyset *k)
{
    if (k != NULL)
        mcgk_wipe(k, sizeof *k);
}

void mcgk_kms_response_clear(mcgk_kms_response *r)
{
    if (r == NULL)
        return;
    if (r->keysets != NULL) {
        mcgk_wipe(r->keysets, MCGK_KMS_MAX_KEYSETS * sizeof *r->keysets);
        free(r->keysets);
    }
    free(r->certs);
    mcgk_wipe(r, sizeof *r);
}

mcgk_err mcgk_kms_response_parse(const uint8_t *xml, size_t len, mcgk_kms_response *out)
{
    if (xml == NULL || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    xmlDocPtr doc = NULL;
    mcgk_err e = mcgk_xml_parse(xml, len, MCGK_KMS_RESPONSE_MAX_LEN, &doc);
    if (e != MCGK_OK)
        return e;
    mcgk_kms_response *r = calloc(1, sizeof *r);
    if (r == NULL) {
        xmlFreeDoc(doc);
        return MCGK_ERR_NO_MEMORY;
    }
    const xmlNode *root = NULL;
    e = root_of(doc, "KmsResponse", &root);
    if (e == MCGK_ERR_XML_UNKNOWN && mcgk_xml_is(xmlDocGetRootElement(doc), "SignedKmsResponse"))
        e = MCGK_ERR_UNSUPPORTED;
    if (e == MCGK_OK)
        e = version_attrs(root, r->version);
    unsigned seen[S__N] = {0};
    const xmlNode *k = NULL;
    while (e == MCGK_OK && (e = mcgk_xml_next(root, &k)) == MCGK_OK && k != NULL) {
        size_t i;
        e = mcgk_xml_index(k, k_response_children, S__N, &i);
        if (e != MCGK_OK)
            break;
        if (seen[i]++) {
            e = MCGK_ERR_XML_DUPLICATE;
            break;
        }
        switch (i) {
        case S_USER_URI: e = leaf_str(k, r->user_uri, sizeof r->user_uri); break;
        case S_KMS_URI: e = leaf_str(k, r->kms_uri, sizeof r->kms_uri); break;
        case S_TIME: e = leaf_time(k, &r->time_unix_s); break;
        case S_KMS_ID: e = leaf_str(k, r->kms_id, sizeof r->kms_id); break;
        case S_REQ_URL: e = leaf_str(k, r->client_req_url, sizeof r->client_req_url); break;
        case S_MESSAGE: e = parse_message(k, r); break;
        default:
            e = parse_error_elem(k, &r->error_code, r->error_msg, sizeof r->error_msg);
            r->has_error = 1;
            break;
        }
    }
    if (e == MCGK_OK &&
        (!seen[S_USER_URI] || !seen[S_KMS_URI] || !seen[S_TIME] || !seen[S_REQ_URL]))
        e = MCGK_ERR_XML_MISSING;
    /* exactly one of KmsMessage and KmsError */
    if (e == MCGK_OK && !seen[S_MESSAGE] && !seen[S_ERROR])
        e = MCGK_ERR_XML_MISSING;
    if (e == MCGK_OK && seen[S_MESSAGE] && seen[S_ERROR])
        e = MCGK_ERR_XML_DUPLICATE;
    xmlFreeDoc(doc);
    if (e == MCGK_OK) {
        *out = *r;
        mcgk_wipe(r, sizeof *r);
    } else {
        mcgk_kms_response_clear(r);
    }
    free(r);
    return e;
}

mcgk_err mcgk_kms_cert_parse(const uint8_t *xml, size_t len, mcgk_kms_cert *out)
{
    if (xml == NULL || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    xmlDocPtr doc = NULL;
    mcgk_err e = mcgk_xml_parse(xml, len, MCGK_KMS_RESPONSE_MAX_LEN, &doc);
    if (e != MCGK_OK)
        return e;
    if (mcgk_xml_is(xmlDocGetRootElement(doc), "KmsResponse")) {
        /* the certificate of a KmsInit response */
        xmlFreeDoc(doc);
        mcgk_kms_response r;
        e = mcgk_kms_response_parse(xml, len, &r);
        if (e != MCGK_OK)
            return e;
        if (r.msg == MCGK_KMS_MSG_INIT && r.n_certs == 1)
            *out = r.certs[0];
        else
            e = MCGK_ERR_XML_MISSING;
        mcgk_kms_response_clear(&r);
        return e;
    }
    const xmlNode *root = NULL;
    mcgk_kms_cert *c = malloc(sizeof *c);
    if (c == NULL) {
        xmlFreeDoc(doc);
        return MCGK_ERR_NO_MEMORY;
    }
    e = root_of(doc, "KmsCertificate", &root);
    if (e == MCGK_OK)
        e = parse_cert_elem(root, c);
    if (e == MCGK_OK)
        *out = *c;
    xmlFreeDoc(doc);
    free(c);
    return e;
}

/* ---- encoders ---- */

static mcgk_err new_doc(const char *root_name, xmlDocPtr *doc, xmlNodePtr *root, xmlNsPtr *ns)
{
    mcgk_xml_init();
    xmlDocPtr d = xmlNewDoc((const xmlChar *)"1.0");
    if (d == NULL)
        return MCGK_ERR_NO_MEMORY;
    xmlNodePtr r = xmlNewDocNode(d, NULL, (const xmlChar *)root_name, NULL);
    if (r == NULL) {
        xmlFreeDoc(d);
        return MCGK_ERR_NO_MEMORY;
    }
    xmlDocSetRootElement(d, r);
    xmlNsPtr n = xmlNewNs(r, (const xmlChar *)MCGK_KMS_NS, NULL);
    if (n == NULL) {
        xmlFreeDoc(d);
        return MCGK_ERR_NO_MEMORY;
    }
    xmlSetNs(r, n);
    *doc = d;
    *root = r;
    *ns = n;
    return MCGK_OK;
}

static mcgk_err add_opt(xmlNodePtr p, xmlNsPtr ns, const char *name, const char *v)
{
    return v[0] == '\0' ? MCGK_OK : mcgk_xml_add_text(p, ns, name, v);
}

static mcgk_err add_child(xmlNodePtr p, xmlNsPtr ns, const char *name, xmlNodePtr *c)
{
    *c = xmlNewChild(p, ns, (const xmlChar *)name, NULL);
    return *c == NULL ? MCGK_ERR_NO_MEMORY : MCGK_OK;
}

static mcgk_err enc_error(xmlNodePtr p, xmlNsPtr ns, const char *name, int64_t code,
                          const char *msg)
{
    xmlNodePtr c;
    mcgk_err e = add_child(p, ns, name, &c);
    if (e == MCGK_OK)
        e = mcgk_xml_add_i64(c, ns, "ErrorCode", code);
    if (e == MCGK_OK)
        e = add_opt(c, ns, "ErrorMsg", msg);
    return e;
}

/* Fill the KmsCertificate element n (attributes and children). */
static mcgk_err enc_cert_body(xmlNodePtr n, xmlNsPtr ns, const mcgk_kms_cert *c)
{
    mcgk_err e = mcgk_xml_set_attr(n, "Version",
                                   c->version[0] ? c->version : MCGK_KMS_CERT_VERSION);
    if (e == MCGK_OK)
        e = mcgk_xml_set_attr(n, "Role", c->role[0] ? c->role : "Root");
    if (e == MCGK_OK && c->is_security_gateway)
        e = mcgk_xml_set_attr(n, "IsSecurityGateway", "true");
    if (e == MCGK_OK)
        e = add_opt(n, ns, "CertUri", c->cert_uri);
    if (e == MCGK_OK)
        e = mcgk_xml_add_text(n, ns, "KmsUri", c->kms_uri);
    if (e == MCGK_OK)
        e = add_opt(n, ns, "Issuer", c->issuer);
    if (e == MCGK_OK && c->has_valid_from)
        e = mcgk_xml_add_time(n, ns, "ValidFrom", c->valid_from_unix_s);
    if (e == MCGK_OK && c->has_valid_to)
        e = mcgk_xml_add_time(n, ns, "ValidTo", c->valid_to_unix_s);
    if (e == MCGK_OK && c->revoked)
        e = mcgk_xml_add_text(n, ns, "Revoked", "true");
    if (e == MCGK_OK)
        e = mcgk_xml_add_u64(n, ns, "UserIdFormat", c->user_id_format);
    if (e == MCGK_OK)
        e = mcgk_xml_add_u64(n, ns, "UserKeyPeriod", c->user_key_period_s);
    if (e == MCGK_OK)
        e = mcgk_xml_add_u64(n, ns, "UserKeyOffset", c->user_key_offset_s);
    if (e == MCGK_OK)
        e = mcgk_xml_add_hex(n, ns, "PubEncKey", c->pub_enc_key, sizeof c->pub_enc_key);
    if (e == MCGK_OK)
        e = mcgk_xml_add_hex(n, ns, "PubAuthKey", c->pub_auth_key, sizeof c->pub_auth_key);
    if (e == MCGK_OK && c->has_parameter_set)
        e = mcgk_xml_add_u64(n, ns, "ParameterSet", c->parameter_set);
    if (e == MCGK_OK && c->n_domains > 0) {
        xmlNodePtr list;
        if (c->n_domains > MCGK_KMS_MAX_DOMAINS)
            return MCGK_ERR_INVALID_ARG;
        e = add_child(n, ns, "KmsDomainList", &list);
        for (size_t i = 0; e == MCGK_OK && i < c->n_domains; i++)
            e = mcgk_xml_add_text(list, ns, "KmsDomain", c->domains[i]);
    }
    return e;
}

static mcgk_err enc_keyset(xmlNodePtr p, xmlNsPtr ns, const mcgk_kms_keyset *k)
{
    xmlNodePtr n;
    mcgk_err e = add_child(p, ns, "KmsKeySet", &n);
    if (e == MCGK_OK)
        e = mcgk_xml_set_attr(n, "Version", k->version[0] ? k->version : MCGK_KMS_KEYSET_VERSION);
    if (e == MCGK_OK)
        e = mcgk_xml_add_text(n, ns, "KmsUri", k->kms_uri);
    if (e == MCGK_OK)
        e = add_opt(n, ns, "CertUri", k->cert_uri);
    if (e == MCGK_OK)
        e = add_opt(n, ns, "Issuer", k->issuer);
    if (e == MCGK_OK)
        e = mcgk_xml_add_text(n, ns, "UserUri", k->user_uri);
    if (e == MCGK_OK)
        e = mcgk_xml_add_hex(n, ns, "UserID", k->user_id, sizeof k->user_id);
    if (e == MCGK_OK && k->has_valid_from)
        e = mcgk_xml_add_time(n, ns, "ValidFrom", k->valid_from_unix_s);
    if (e == MCGK_OK && k->has_valid_to)
        e = mcgk_xml_add_time(n, ns, "ValidTo", k->valid_to_unix_s);
    if (e == MCGK_OK)
        e = mcgk_xml_add_u64(n, ns, "KeyPeriodNo", k->key_period_no);
    if (e == MCGK_OK)
        e = mcgk_xml_add_text(n, ns, "Revoked", k->revoked ? "true" : "false");
    if (e == MCGK_OK)
        e = mcgk_xml_add_hex(n, ns, "UserDecryptKey", k->rsk, sizeof k->rsk);
    if (e == MCGK_OK)
        e = mcgk_xml_add_hex(n, ns, "UserSigningKeySSK", k->ssk, sizeof k->ssk);
    if (e == MCGK_OK)
        e = mcgk_xml_add_hex(n, ns, "UserPubTokenPVT", k->pvt, sizeof k->pvt);
    return e;
}

static mcgk_err finish(xmlDocPtr doc, mcgk_err e, char **xml, size_t *len)
{
    if (e == MCGK_OK)
        e = mcgk_xml_dump(doc, xml, len);
    xmlFreeDoc(doc);
    return e;
}

mcgk_err mcgk_kms_request_encode(const mcgk_kms_request *req, char **xml, size_t *len)
{
    if (req == NULL || xml == NULL || len == NULL)
        return MCGK_ERR_INVALID_ARG;
    xmlDocPtr doc;
    xmlNodePtr root;
    xmlNsPtr ns;
    mcgk_err e = new_doc("KmsRequest", &doc, &root, &ns);
    if (e != MCGK_OK)
        return e;
    e = mcgk_xml_set_attr(root, "Version",
                          req->version[0] ? req->version : MCGK_KMS_REQUEST_VERSION);
    if (e == MCGK_OK && req->id[0])
        e = mcgk_xml_set_attr(root, "Id", req->id);
    if (e == MCGK_OK)
        e = mcgk_xml_add_text(root, ns, "UserUri", req->user_uri);
    if (e == MCGK_OK)
        e = mcgk_xml_add_text(root, ns, "KmsUri", req->kms_uri);
    if (e == MCGK_OK)
        e = mcgk_xml_add_time(root, ns, "Time", req->time_unix_s);
    if (e == MCGK_OK)
        e = add_opt(root, ns, "ClientId", req->client_id);
    if (e == MCGK_OK)
        e = add_opt(root, ns, "DeviceId", req->device_id);
    if (e == MCGK_OK)
        e = mcgk_xml_add_text(root, ns, "ClientReqUrl", req->client_req_url);
    if (e == MCGK_OK && req->has_client_error)
        e = enc_error(root, ns, "ClientError", req->client_error_code, req->client_error_msg);
    return finish(doc, e, xml, len);
}

mcgk_err mcgk_kms_response_encode(const mcgk_kms_response *r, char **xml, size_t *len)
{
    if (r == NULL || xml == NULL || len == NULL)
        return MCGK_ERR_INVALID_ARG;
    switch (r->msg) {
    case MCGK_KMS_MSG_NONE:
        if (!r->has_error)
            return MCGK_ERR_INVALID_ARG;
        break;
    case MCGK_KMS_MSG_INIT:
        if (r->n_certs != 1 || r->certs == NULL)
            return MCGK_ERR_INVALID_ARG;
        break;
    case MCGK_KMS_MSG_KEYPROV:
        if (r->n_keysets > MCGK_KMS_MAX_KEYSETS || (r->n_keysets > 0 && r->keysets == NULL))
            return MCGK_ERR_INVALID_ARG;
        break;
    case MCGK_KMS_MSG_CERTCACHE:
        if (r->n_certs > MCGK_KMS_MAX_CERTS || (r->n_certs > 0 && r->certs == NULL))
            return MCGK_ERR_INVALID_ARG;
        break;
    default:
        return MCGK_ERR_INVALID_ARG;
    }
    if (r->msg != MCGK_KMS_MSG_NONE && r->has_error)
        return MCGK_ERR_INVALID_ARG;
    xmlDocPtr doc;
    xmlNodePtr root, msg = NULL, body = NULL;
    xmlNsPtr ns;
    mcgk_err e = new_doc("KmsResponse", &doc, &root, &ns);
    if (e != MCGK_OK)
        return e;
    e = mcgk_xml_set_attr(root, "Version",
                          r->version[0] ? r->version : MCGK_KMS_RESPONSE_VERSION);
    if (e == MCGK_OK)
        e = mcgk_xml_add_text(root, ns, "UserUri", r->user_uri);
    if (e == MCGK_OK)
        e = mcgk_xml_add_text(root, ns, "KmsUri", r->kms_uri);
    if (e == MCGK_OK)
        e = mcgk_xml_add_time(root, ns, "Time", r->time_unix_s);
    if (e == MCGK_OK)
        e = add_opt(root, ns, "KmsId", r->kms_id);
    if (e == MCGK_OK)
        e = mcgk_xml_add_text(root, ns, "ClientReqUrl", r->client_req_url);
    if (e == MCGK_OK && r->msg != MCGK_KMS_MSG_NONE)
        e = add_child(root, ns, "KmsMessage", &msg);
    if (e == MCGK_OK && r->msg == MCGK_KMS_MSG_INIT) {
        xmlNodePtr cert;
        e = add_child(msg, ns, "KmsInit", &body);
        if (e == MCGK_OK)
            e = mcgk_xml_set_attr(body, "Version", MCGK_KMS_RESPONSE_VERSION);
        if (e == MCGK_OK)
            e = add_child(body, ns, "KmsCertificate", &cert);
        if (e == MCGK_OK)
            e = enc_cert_body(cert, ns, &r->certs[0]);
    } else if (e == MCGK_OK && r->msg == MCGK_KMS_MSG_KEYPROV) {
        e = add_child(msg, ns, "KmsKeyProv", &body);
        if (e == MCGK_OK)
            e = mcgk_xml_set_attr(body, "Version", MCGK_KMS_RESPONSE_VERSION);
        for (size_t i = 0; e == MCGK_OK && i < r->n_keysets; i++)
            e = enc_keyset(body, ns, &r->keysets[i]);
    } else if (e == MCGK_OK && r->msg == MCGK_KMS_MSG_CERTCACHE) {
        e = add_child(msg, ns, "KmsCertCache", &body);
        if (e == MCGK_OK)
            e = mcgk_xml_set_attr(body, "Version", MCGK_KMS_RESPONSE_VERSION);
        if (e == MCGK_OK && r->has_cache_num) {
            char num[24];
            snprintf(num, sizeof num, "%llu", (unsigned long long)r->cache_num);
            e = mcgk_xml_set_attr(body, "CacheNum", num);
        }
        for (size_t i = 0; e == MCGK_OK && i < r->n_certs; i++) {
            xmlNodePtr cert;
            e = add_child(body, ns, "KmsCertificate", &cert);
            if (e == MCGK_OK)
                e = enc_cert_body(cert, ns, &r->certs[i]);
        }
    }
    if (e == MCGK_OK && r->has_error)
        e = enc_error(root, ns, "KmsError", r->error_code, r->error_msg);
    return finish(doc, e, xml, len);
}

mcgk_err mcgk_kms_cert_encode(const mcgk_kms_cert *cert, char **xml, size_t *len)
{
    if (cert == NULL || xml == NULL || len == NULL)
        return MCGK_ERR_INVALID_ARG;
    xmlDocPtr doc;
    xmlNodePtr root;
    xmlNsPtr ns;
    mcgk_err e = new_doc("KmsCertificate", &doc, &root, &ns);
    if (e != MCGK_OK)
        return e;
    e = enc_cert_body(root, ns, cert);
    return finish(doc, e, xml, len);
}

void mcgk_kms_xml_free(char *xml, size_t len)
{
    if (xml == NULL)
        return;
    mcgk_wipe(xml, len);
    free(xml);
}

mcgk_err mcgk_kms_percent_encode(const char *in, char *out, size_t out_cap)
{
    static const char hex[] = "0123456789ABCDEF";
    if (in == NULL || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        int unreserved = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                         (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
                         *p == '~';
        size_t need = unreserved ? 1 : 3;
        if (o + need >= out_cap)
            return MCGK_ERR_BUFFER_TOO_SMALL;
        if (unreserved) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    if (o >= out_cap)
        return MCGK_ERR_BUFFER_TOO_SMALL;
    out[o] = '\0';
    return MCGK_OK;
}
