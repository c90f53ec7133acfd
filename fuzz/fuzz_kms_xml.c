/*
 * libFuzzer target for the KMS interface XML codec (src/kms/xml.c,
 * xml_util.c, time.c) and the KMS call router (src/kms/kms.c step 1).
 * Seed corpus: fuzz/corpus/kms_xml/ (requests, init / keyprov / certcache /
 * error responses, a certificate, hostile documents).
 *
 * Properties checked on every input (abort = finding):
 *  1. each parser (KmsRequest, KmsResponse, KmsCertificate) either succeeds
 *     or fails with a parse error code - never another code;
 *  2. on success, parse -> encode -> parse gives the same values (versions
 *     and the certificate role normalised to what the encoder writes);
 *  3. the router, given the input as a request body on a fixed keyprov
 *     path, and a path taken from the input's first line, never fails oddly.
 * ASan/UBSan (scripts/fuzz builds with them) catch every memory error; the
 * parser's own bounds keep each run small.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/kms.h"

static int parse_error(mcgk_err e)
{
    switch (e) {
    case MCGK_ERR_XML_SYNTAX:
    case MCGK_ERR_XML_DTD:
    case MCGK_ERR_XML_DEPTH:
    case MCGK_ERR_XML_NAMESPACE:
    case MCGK_ERR_XML_UNKNOWN:
    case MCGK_ERR_XML_MISSING:
    case MCGK_ERR_XML_DUPLICATE:
    case MCGK_ERR_MALFORMED:
    case MCGK_ERR_OVERSIZED:
    case MCGK_ERR_LENGTH:
    case MCGK_ERR_HEX:
    case MCGK_ERR_UNSUPPORTED:
    case MCGK_ERR_NO_MEMORY:
        return 1;
    default:
        return 0;
    }
}

static void norm_cert(mcgk_kms_cert *c)
{
    if (c->version[0] == '\0')
        strcpy(c->version, MCGK_KMS_CERT_VERSION);
    if (c->role[0] == '\0')
        strcpy(c->role, "Root");
}

static void norm_keyset(mcgk_kms_keyset *k)
{
    if (k->version[0] == '\0')
        strcpy(k->version, MCGK_KMS_KEYSET_VERSION);
}

static void check_request(const uint8_t *data, size_t size)
{
    static mcgk_kms_request a, b;
    mcgk_err e = mcgk_kms_request_parse(data, size, &a);
    if (e != MCGK_OK) {
        if (!parse_error(e))
            abort();
        return;
    }
    char *xml = NULL;
    size_t len = 0;
    if (mcgk_kms_request_encode(&a, &xml, &len) != MCGK_OK)
        abort();
    if (mcgk_kms_request_parse((const uint8_t *)xml, len, &b) != MCGK_OK)
        abort();
    if (a.version[0] == '\0')
        strcpy(a.version, MCGK_KMS_REQUEST_VERSION);
    if (memcmp(&a, &b, sizeof a) != 0)
        abort();
    mcgk_kms_xml_free(xml, len);
}

static void check_response(const uint8_t *data, size_t size)
{
    mcgk_kms_response a, b;
    mcgk_err e = mcgk_kms_response_parse(data, size, &a);
    if (e != MCGK_OK) {
        if (!parse_error(e))
            abort();
        return;
    }
    char *xml = NULL;
    size_t len = 0;
    if (mcgk_kms_response_encode(&a, &xml, &len) != MCGK_OK)
        abort();
    if (mcgk_kms_response_parse((const uint8_t *)xml, len, &b) != MCGK_OK)
        abort();
    if (a.version[0] == '\0')
        strcpy(a.version, MCGK_KMS_RESPONSE_VERSION);
    if (strcmp(a.version, b.version) || strcmp(a.user_uri, b.user_uri) ||
        strcmp(a.kms_uri, b.kms_uri) || a.time_unix_s != b.time_unix_s ||
        strcmp(a.kms_id, b.kms_id) || strcmp(a.client_req_url, b.client_req_url) ||
        a.msg != b.msg || a.n_certs != b.n_certs || a.n_keysets != b.n_keysets ||
        a.has_cache_num != b.has_cache_num || a.cache_num != b.cache_num ||
        a.has_error != b.has_error || a.error_code != b.error_code ||
        strcmp(a.error_msg, b.error_msg))
        abort();
    for (size_t i = 0; i < a.n_certs; i++) {
        norm_cert(&a.certs[i]);
        if (memcmp(&a.certs[i], &b.certs[i], sizeof a.certs[i]) != 0)
            abort();
    }
    for (size_t i = 0; i < a.n_keysets; i++) {
        norm_keyset(&a.keysets[i]);
        if (memcmp(&a.keysets[i], &b.keysets[i], sizeof a.keysets[i]) != 0)
            abort();
    }
    mcgk_kms_xml_free(xml, len);
    mcgk_kms_response_clear(&a);
    mcgk_kms_response_clear(&b);
}

static void check_cert(const uint8_t *data, size_t size)
{
    static mcgk_kms_cert a, b;
    mcgk_err e = mcgk_kms_cert_parse(data, size, &a);
    if (e != MCGK_OK) {
        if (!parse_error(e))
            abort();
        return;
    }
    char *xml = NULL;
    size_t len = 0;
    if (mcgk_kms_cert_encode(&a, &xml, &len) != MCGK_OK)
        abort();
    if (mcgk_kms_cert_parse((const uint8_t *)xml, len, &b) != MCGK_OK)
        abort();
    norm_cert(&a);
    if (memcmp(&a, &b, sizeof a) != 0)
        abort();
    mcgk_kms_xml_free(xml, len);
}

static void check_router(const uint8_t *data, size_t size)
{
    static mcgk_kms_call call;
    mcgk_err e = mcgk_kms_call_parse("POST", MCGK_KMS_ROOT_PATH "/keyprov", "Bearer t", data,
                                     size, &call);
    if (e != MCGK_OK && !parse_error(e) && e != MCGK_ERR_XML_MISSING)
        abort();
    /* the first line as a path, the rest as the body */
    const uint8_t *nl = memchr(data, '\n', size < 2048 ? size : 2048);
    if (nl == NULL)
        return;
    size_t pl = (size_t)(nl - data);
    char path[2049];
    memcpy(path, data, pl);
    path[pl] = '\0';
    if (strlen(path) != pl)
        return; /* a NUL inside: not a C string path */
    e = mcgk_kms_call_parse("POST", path, NULL, nl + 1, size - pl - 1, &call);
    if (e != MCGK_OK && !parse_error(e) && e != MCGK_ERR_NOT_FOUND && e != MCGK_ERR_XML_MISSING)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_request(data, size);
    check_response(data, size);
    check_cert(data, size);
    check_router(data, size);
    return 0;
}
