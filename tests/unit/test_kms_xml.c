/*
 * Unit tests of the KMS interface XML codec (TS 33.180 Annex D): round
 * trips of KmsRequest / KmsResponse (init, keyprov, certcache, error) /
 * KmsCertificate; every parse error with its own code (malformed,
 * oversized, deeply nested, wrong namespace, unknown elements, DTDs ...);
 * xsd:dateTime and NTP helpers; a byte-flip and truncation loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/kms.h"
#include "test.h"

#define NS "urn:3gpp:ns:mcsecKMSInterface:1.0"

static const char k_req_ok[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<KmsRequest xmlns=\"" NS "\" Version=\"1.1.0\">\n"
    "  <UserUri>sip:alice@example.org</UserUri>\n"
    "  <KmsUri>kms.example.org</KmsUri>\n"
    "  <Time>2024-05-01T12:00:00Z</Time>\n"
    "  <ClientReqUrl>https://kms.example.org/keymanagement/identity/v1/init</ClientReqUrl>\n"
    "</KmsRequest>\n";

static mcgk_err parse_req(const char *xml, mcgk_kms_request *r)
{
    return mcgk_kms_request_parse((const uint8_t *)xml, strlen(xml), r);
}

static mcgk_err parse_resp(const char *xml, mcgk_kms_response *r)
{
    return mcgk_kms_response_parse((const uint8_t *)xml, strlen(xml), r);
}

/* A request whose body (between the root tags) is given. */
static char *req_with(const char *root_attrs, const char *body)
{
    size_t n = strlen(body) + 512;
    char *x = malloc(n);
    snprintf(x, n, "<KmsRequest xmlns=\"" NS "\"%s>%s</KmsRequest>", root_attrs, body);
    return x;
}

#define REQ_BASE                                                                             \
    "<UserUri>u</UserUri><KmsUri>k</KmsUri><Time>2024-05-01T12:00:00Z</Time>"                \
    "<ClientReqUrl>https://k/</ClientReqUrl>"

static void check_req(const char *attrs, const char *body, mcgk_err want, int line)
{
    char *x = req_with(attrs, body);
    mcgk_kms_request r;
    memset(&r, 0xA5, sizeof r);
    mcgk_err got = parse_req(x, &r);
    if (got != want)
        mcgk_test_fail(__FILE__, line, "request %s: got %s, want %s", body, mcgk_err_name(got),
                       mcgk_err_name(want));
    if (want != MCGK_OK) {
        /* a failed parse leaves the output untouched */
        unsigned char probe[sizeof r];
        memset(probe, 0xA5, sizeof probe);
        if (memcmp(&r, probe, sizeof r) != 0)
            mcgk_test_fail(__FILE__, line, "output touched on failure");
    }
    free(x);
}
#define CHECK_REQ(attrs, body, want) check_req(attrs, body, want, __LINE__)

static void test_request_parse(void)
{
    mcgk_kms_request r;
    CHECK_OK(parse_req(k_req_ok, &r));
    CHECK(strcmp(r.user_uri, "sip:alice@example.org") == 0);
    CHECK(strcmp(r.kms_uri, "kms.example.org") == 0);
    CHECK(strcmp(r.version, "1.1.0") == 0);
    CHECK(r.time_unix_s == 1714564800u);
    CHECK(strstr(r.client_req_url, "/init") != NULL);
    CHECK(!r.has_client_error);
    /* a prefixed namespace, comments, optional elements, ClientError */
    const char *x = "<?xml version='1.0'?><!-- hi --><k:KmsRequest xmlns:k='" NS "' Id='x1'>"
                    "<k:UserUri> sip:bob@example.org </k:UserUri><k:KmsUri>k</k:KmsUri>"
                    "<k:Time>2024-05-01T14:00:00+02:00</k:Time><k:ClientId>c</k:ClientId>"
                    "<k:DeviceId>d</k:DeviceId><k:ClientReqUrl>u</k:ClientReqUrl>"
                    "<k:ClientError><k:ErrorCode>-7</k:ErrorCode><k:ErrorMsg>bad"
                    "</k:ErrorMsg></k:ClientError><?pi x?></k:KmsRequest>";
    CHECK_OK(parse_req(x, &r));
    CHECK(strcmp(r.user_uri, "sip:bob@example.org") == 0); /* whitespace trimmed */
    CHECK(strcmp(r.id, "x1") == 0);
    CHECK(r.time_unix_s == 1714564800u);
    CHECK(strcmp(r.client_id, "c") == 0 && strcmp(r.device_id, "d") == 0);
    CHECK(r.has_client_error && r.client_error_code == -7);
    CHECK(strcmp(r.client_error_msg, "bad") == 0);
    /* CDATA and character references */
    CHECK_REQ("", "<UserUri><![CDATA[a&b]]></UserUri><KmsUri>k&#x41;</KmsUri>"
                  "<Time>2024-05-01T12:00:00Z</Time><ClientReqUrl>x</ClientReqUrl>",
              MCGK_OK);
}

static void test_request_roundtrip(void)
{
    mcgk_kms_request r, r2;
    memset(&r, 0, sizeof r);
    snprintf(r.user_uri, sizeof r.user_uri, "sip:a&b<c>@example.org");
    snprintf(r.kms_uri, sizeof r.kms_uri, "kms.example.org");
    snprintf(r.client_req_url, sizeof r.client_req_url, "https://k/x?a=1&b=2");
    snprintf(r.client_id, sizeof r.client_id, "client-\xc3\xa9");
    r.time_unix_s = 1700000000;
    r.has_client_error = 1;
    r.client_error_code = 12;
    snprintf(r.client_error_msg, sizeof r.client_error_msg, "oops");
    char *xml = NULL;
    size_t len = 0;
    CHECK_OK(mcgk_kms_request_encode(&r, &xml, &len));
    CHECK(xml != NULL && strlen(xml) == len);
    CHECK_OK(mcgk_kms_request_parse((const uint8_t *)xml, len, &r2));
    CHECK(strcmp(r2.user_uri, r.user_uri) == 0);
    CHECK(strcmp(r2.client_req_url, r.client_req_url) == 0);
    CHECK(strcmp(r2.client_id, r.client_id) == 0);
    CHECK(strcmp(r2.version, MCGK_KMS_REQUEST_VERSION) == 0);
    CHECK(r2.time_unix_s == r.time_unix_s && r2.client_error_code == 12);
    mcgk_kms_xml_free(xml, len);
    /* text XML cannot carry */
    snprintf(r.user_uri, sizeof r.user_uri, "bad\x01");
    CHECK_ERR(mcgk_kms_request_encode(&r, &xml, &len), MCGK_ERR_MALFORMED);
    snprintf(r.user_uri, sizeof r.user_uri, "bad\xff\xfe");
    CHECK_ERR(mcgk_kms_request_encode(&r, &xml, &len), MCGK_ERR_MALFORMED);
    snprintf(r.user_uri, sizeof r.user_uri, "ok");
    r.time_unix_s = 400000000000ull; /* after 9999 */
    CHECK_ERR(mcgk_kms_request_encode(&r, &xml, &len), MCGK_ERR_MALFORMED);
    CHECK_ERR(mcgk_kms_request_encode(NULL, &xml, &len), MCGK_ERR_INVALID_ARG);
}

static void test_request_errors(void)
{
    mcgk_kms_request r;
    CHECK_ERR(parse_req("", &r), MCGK_ERR_XML_SYNTAX);
    CHECK_ERR(parse_req("<KmsRequest xmlns='" NS "'>", &r), MCGK_ERR_XML_SYNTAX);
    CHECK_ERR(parse_req("not xml at all", &r), MCGK_ERR_XML_SYNTAX);
    CHECK_ERR(parse_req("<a></b>", &r), MCGK_ERR_XML_SYNTAX);
    CHECK_ERR(mcgk_kms_request_parse(NULL, 1, &r), MCGK_ERR_INVALID_ARG);
    /* namespace: none, another, a child in another */
    CHECK_ERR(parse_req("<KmsRequest>" REQ_BASE "</KmsRequest>", &r), MCGK_ERR_XML_NAMESPACE);
    CHECK_ERR(parse_req("<KmsRequest xmlns='urn:3gpp:ns:mcsecKMSInterface:2.0'>" REQ_BASE
                        "</KmsRequest>",
                        &r),
              MCGK_ERR_XML_NAMESPACE);
    CHECK_REQ("", REQ_BASE "<x:ClientId xmlns:x='urn:other'>c</x:ClientId>",
              MCGK_ERR_XML_NAMESPACE);
    /* another root element, the signed wrapper */
    CHECK_ERR(parse_req("<KmsResponse xmlns='" NS "'/>", &r), MCGK_ERR_XML_UNKNOWN);
    CHECK_ERR(parse_req("<SignedKmsRequest xmlns='" NS "'/>", &r), MCGK_ERR_UNSUPPORTED);
    /* unknown elements and attributes */
    CHECK_REQ("", REQ_BASE "<Extra>1</Extra>", MCGK_ERR_XML_UNKNOWN);
    CHECK_REQ(" Colour='red'", REQ_BASE, MCGK_ERR_XML_UNKNOWN);
    CHECK_REQ(" xmlns:e='urn:ext' e:note='ok'", REQ_BASE, MCGK_OK); /* foreign attrs ignored */
    CHECK_REQ("", "<UserUri a='1'>u</UserUri><KmsUri>k</KmsUri>"
                  "<Time>2024-05-01T12:00:00Z</Time><ClientReqUrl>x</ClientReqUrl>",
              MCGK_ERR_XML_UNKNOWN);
    CHECK_REQ("", "<UserUri><b/>u</UserUri><KmsUri>k</KmsUri>"
                  "<Time>2024-05-01T12:00:00Z</Time><ClientReqUrl>x</ClientReqUrl>",
              MCGK_ERR_XML_UNKNOWN);
    /* multiplicity */
    CHECK_REQ("", REQ_BASE "<UserUri>v</UserUri>", MCGK_ERR_XML_DUPLICATE);
    CHECK_REQ("", "<UserUri>u</UserUri><KmsUri>k</KmsUri><ClientReqUrl>x</ClientReqUrl>",
              MCGK_ERR_XML_MISSING);
    CHECK_REQ("", "<KmsUri>k</KmsUri><Time>2024-05-01T12:00:00Z</Time>"
                  "<ClientReqUrl>x</ClientReqUrl>",
              MCGK_ERR_XML_MISSING);
    /* values */
    CHECK_REQ("", "<UserUri>u</UserUri><KmsUri>k</KmsUri><Time>yesterday</Time>"
                  "<ClientReqUrl>x</ClientReqUrl>",
              MCGK_ERR_MALFORMED);
    CHECK_REQ("", "<UserUri>u</UserUri><KmsUri>k</KmsUri>"
                  "<Time>2024-05-01T12:00:00Z, and more text that is far too long</Time>"
                  "<ClientReqUrl>x</ClientReqUrl>",
              MCGK_ERR_MALFORMED);
    CHECK_REQ("", REQ_BASE "stray text", MCGK_ERR_MALFORMED);
    CHECK_REQ("", REQ_BASE "<ClientError><ErrorMsg>m</ErrorMsg></ClientError>",
              MCGK_ERR_XML_MISSING);
    CHECK_REQ("", REQ_BASE "<ClientError><ErrorCode>x</ErrorCode></ClientError>",
              MCGK_ERR_MALFORMED);
    CHECK_REQ("", REQ_BASE "<ClientError><ErrorCode>99999999999999999999</ErrorCode>"
                           "</ClientError>",
              MCGK_ERR_MALFORMED);
    CHECK_REQ("", REQ_BASE "<ClientError><ErrorCode>1</ErrorCode><ErrorCode>2</ErrorCode>"
                           "</ClientError>",
              MCGK_ERR_XML_DUPLICATE);
    CHECK_REQ("", REQ_BASE "<ClientError><Code>1</Code></ClientError>", MCGK_ERR_XML_UNKNOWN);
    /* the TrK / KRR extensions are not implemented */
    CHECK_REQ("", REQ_BASE "<KrrList/>", MCGK_ERR_UNSUPPORTED);
    CHECK_REQ("", REQ_BASE "<TrK-ID>t</TrK-ID>", MCGK_ERR_UNSUPPORTED);
    CHECK_REQ("", REQ_BASE "<Signature-ID>s</Signature-ID>", MCGK_ERR_UNSUPPORTED);
    /* bounds: a long URI, a long Version, a long Id */
    char big[700];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char body[1200];
    snprintf(body, sizeof body,
             "<UserUri>%s</UserUri><KmsUri>k</KmsUri><Time>2024-05-01T12:00:00Z</Time>"
             "<ClientReqUrl>x</ClientReqUrl>",
             big);
    CHECK_REQ("", body, MCGK_ERR_OVERSIZED);
    CHECK_REQ(" Version='1.1.0.0.0.0.0.0.0.0.0'", REQ_BASE, MCGK_ERR_OVERSIZED);
}

static void test_request_dtd_refused(void)
{
    mcgk_kms_request r;
    /* billion laughs, external entities, a bare DOCTYPE: all refused before use */
    CHECK_ERR(parse_req("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
                        "<!ENTITY lol2 '&lol;&lol;&lol;&lol;'>]>"
                        "<KmsRequest xmlns='" NS "'><UserUri>&lol2;</UserUri></KmsRequest>",
                        &r),
              MCGK_ERR_XML_DTD);
    CHECK_ERR(parse_req("<!DOCTYPE x SYSTEM 'file:///etc/passwd'><KmsRequest xmlns='" NS
                        "'/>",
                        &r),
              MCGK_ERR_XML_DTD);
    CHECK_ERR(parse_req("<!DOCTYPE KmsRequest><KmsRequest xmlns='" NS "'/>", &r),
              MCGK_ERR_XML_DTD);
    /* an undeclared entity is simply not well-formed */
    CHECK_REQ("", "<UserUri>&xxe;</UserUri>", MCGK_ERR_XML_SYNTAX);
}

static void test_request_depth_and_size(void)
{
    mcgk_kms_request r;
    /* deeply nested: 1000 levels */
    size_t n = 1000;
    char *x = malloc(n * 8 + 256);
    size_t o = (size_t)sprintf(x, "<KmsRequest xmlns='" NS "'>");
    for (size_t i = 0; i < n; i++)
        o += (size_t)sprintf(x + o, "<a>");
    for (size_t i = 0; i < n; i++)
        o += (size_t)sprintf(x + o, "</a>");
    sprintf(x + o, "</KmsRequest>");
    CHECK_ERR(parse_req(x, &r), MCGK_ERR_XML_DEPTH);
    free(x);
    /* exactly at the bound (16) the depth is fine; the unknown element is the error */
    char y[512];
    o = (size_t)sprintf(y, "<KmsRequest xmlns='" NS "'>");
    for (int i = 0; i < MCGK_KMS_XML_MAX_DEPTH - 1; i++)
        o += (size_t)sprintf(y + o, "<a>");
    for (int i = 0; i < MCGK_KMS_XML_MAX_DEPTH - 1; i++)
        o += (size_t)sprintf(y + o, "</a>");
    sprintf(y + o, "</KmsRequest>");
    CHECK_ERR(parse_req(y, &r), MCGK_ERR_XML_UNKNOWN);
    /* oversized: above the request cap */
    size_t big = MCGK_KMS_REQUEST_MAX_LEN + 1;
    char *z = malloc(big + 1);
    memset(z, ' ', big);
    memcpy(z, k_req_ok, strlen(k_req_ok));
    z[big] = '\0';
    CHECK_ERR(mcgk_kms_request_parse((const uint8_t *)z, big, &r), MCGK_ERR_OVERSIZED);
    CHECK_OK(mcgk_kms_request_parse((const uint8_t *)z, big - 1, &r)); /* at the cap */
    free(z);
}

/* ---- responses ---- */

static void fill_cert(mcgk_kms_cert *c, const char *uri, int seed)
{
    memset(c, 0, sizeof *c);
    snprintf(c->kms_uri, sizeof c->kms_uri, "%s", uri);
    snprintf(c->cert_uri, sizeof c->cert_uri, "cert:%s", uri);
    snprintf(c->issuer, sizeof c->issuer, "issuer.example.org");
    snprintf(c->role, sizeof c->role, "Root");
    c->has_valid_from = c->has_valid_to = 1;
    c->valid_from_unix_s = 1700000000;
    c->valid_to_unix_s = 1800000000;
    c->user_id_format = 2;
    c->user_key_period_s = 2592000;
    c->user_key_offset_s = 0;
    for (size_t i = 0; i < sizeof c->pub_enc_key; i++)
        c->pub_enc_key[i] = (uint8_t)(i * 7 + (size_t)seed);
    for (size_t i = 0; i < sizeof c->pub_auth_key; i++)
        c->pub_auth_key[i] = (uint8_t)(i * 3 + (size_t)seed);
    c->has_parameter_set = 1;
    c->parameter_set = 1;
    c->n_domains = 2;
    snprintf(c->domains[0], sizeof c->domains[0], "example.org");
    snprintf(c->domains[1], sizeof c->domains[1], "example.net");
}

static void fill_keyset(mcgk_kms_keyset *k, const char *user, uint64_t period, int seed)
{
    memset(k, 0, sizeof *k);
    snprintf(k->kms_uri, sizeof k->kms_uri, "kms.example.org");
    snprintf(k->user_uri, sizeof k->user_uri, "%s", user);
    for (size_t i = 0; i < sizeof k->user_id; i++)
        k->user_id[i] = (uint8_t)(i + (size_t)seed);
    k->key_period_no = period;
    k->has_valid_from = k->has_valid_to = 1;
    k->valid_from_unix_s = 1700000000;
    k->valid_to_unix_s = 1700003600;
    for (size_t i = 0; i < sizeof k->rsk; i++)
        k->rsk[i] = (uint8_t)(i ^ (size_t)seed);
    for (size_t i = 0; i < sizeof k->ssk; i++)
        k->ssk[i] = (uint8_t)(0x55 ^ i);
    for (size_t i = 0; i < sizeof k->pvt; i++)
        k->pvt[i] = (uint8_t)(0xAA ^ i);
}

static int cert_eq(const mcgk_kms_cert *a, const mcgk_kms_cert *b)
{
    return strcmp(a->kms_uri, b->kms_uri) == 0 && strcmp(a->cert_uri, b->cert_uri) == 0 &&
           strcmp(a->issuer, b->issuer) == 0 && a->valid_from_unix_s == b->valid_from_unix_s &&
           a->valid_to_unix_s == b->valid_to_unix_s && a->user_id_format == b->user_id_format &&
           a->user_key_period_s == b->user_key_period_s &&
           a->user_key_offset_s == b->user_key_offset_s &&
           memcmp(a->pub_enc_key, b->pub_enc_key, sizeof a->pub_enc_key) == 0 &&
           memcmp(a->pub_auth_key, b->pub_auth_key, sizeof a->pub_auth_key) == 0 &&
           a->parameter_set == b->parameter_set && a->n_domains == b->n_domains &&
           strcmp(a->domains[1], b->domains[1]) == 0 && a->revoked == b->revoked &&
           a->is_security_gateway == b->is_security_gateway;
}

static int keyset_eq(const mcgk_kms_keyset *a, const mcgk_kms_keyset *b)
{
    return strcmp(a->kms_uri, b->kms_uri) == 0 && strcmp(a->user_uri, b->user_uri) == 0 &&
           memcmp(a->user_id, b->user_id, sizeof a->user_id) == 0 &&
           a->key_period_no == b->key_period_no && a->valid_to_unix_s == b->valid_to_unix_s &&
           memcmp(a->rsk, b->rsk, sizeof a->rsk) == 0 &&
           memcmp(a->ssk, b->ssk, sizeof a->ssk) == 0 &&
           memcmp(a->pvt, b->pvt, sizeof a->pvt) == 0 && a->revoked == b->revoked;
}

static void header(mcgk_kms_response *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->user_uri, sizeof r->user_uri, "sip:alice@example.org");
    snprintf(r->kms_uri, sizeof r->kms_uri, "kms.example.org");
    snprintf(r->client_req_url, sizeof r->client_req_url, "https://k/");
    snprintf(r->kms_id, sizeof r->kms_id, "kms-1");
    r->time_unix_s = 1714564800;
}

static char *encode_resp(const mcgk_kms_response *r, size_t *len)
{
    char *xml = NULL;
    CHECK_OK(mcgk_kms_response_encode(r, &xml, len));
    return xml;
}

static void test_response_init_roundtrip(void)
{
    mcgk_kms_cert cert;
    fill_cert(&cert, "kms.example.org", 1);
    cert.is_security_gateway = 1;
    mcgk_kms_response r, p;
    header(&r);
    r.msg = MCGK_KMS_MSG_INIT;
    r.certs = &cert;
    r.n_certs = 1;
    size_t len = 0;
    char *xml = encode_resp(&r, &len);
    CHECK_OK(mcgk_kms_response_parse((const uint8_t *)xml, len, &p));
    CHECK(p.msg == MCGK_KMS_MSG_INIT && p.n_certs == 1);
    CHECK(cert_eq(&cert, &p.certs[0]));
    CHECK(strcmp(p.certs[0].role, "Root") == 0);
    CHECK(strcmp(p.kms_id, "kms-1") == 0 && p.time_unix_s == r.time_unix_s);
    mcgk_kms_response_clear(&p);
    /* the certificate from an init response, and stand-alone */
    mcgk_kms_cert c2;
    CHECK_OK(mcgk_kms_cert_parse((const uint8_t *)xml, len, &c2));
    CHECK(cert_eq(&cert, &c2));
    mcgk_kms_xml_free(xml, len);
    CHECK_OK(mcgk_kms_cert_encode(&cert, &xml, &len));
    memset(&c2, 0, sizeof c2);
    CHECK_OK(mcgk_kms_cert_parse((const uint8_t *)xml, len, &c2));
    CHECK(cert_eq(&cert, &c2));
    mcgk_kms_xml_free(xml, len);
    /* a response that is not an init has no certificate for cert_parse */
    header(&r);
    r.msg = MCGK_KMS_MSG_KEYPROV;
    xml = encode_resp(&r, &len);
    CHECK_ERR(mcgk_kms_cert_parse((const uint8_t *)xml, len, &c2), MCGK_ERR_XML_MISSING);
    mcgk_kms_xml_free(xml, len);
    const char *other = "<KmsKeySet xmlns='" NS "'/>";
    CHECK_ERR(mcgk_kms_cert_parse((const uint8_t *)other, strlen(other), &c2),
              MCGK_ERR_XML_UNKNOWN);
    /* too many domains cannot be encoded */
    cert.n_domains = MCGK_KMS_MAX_DOMAINS + 1;
    CHECK_ERR(mcgk_kms_cert_encode(&cert, &xml, &len), MCGK_ERR_INVALID_ARG);
}

static void test_response_keyprov_roundtrip(void)
{
    mcgk_kms_keyset ks[2];
    fill_keyset(&ks[0], "sip:alice@example.org", 1388, 1);
    fill_keyset(&ks[1], "sip:alice@example.org", 1389, 2);
    ks[1].revoked = 1;
    mcgk_kms_response r, p;
    header(&r);
    r.msg = MCGK_KMS_MSG_KEYPROV;
    r.keysets = ks;
    r.n_keysets = 2;
    size_t len = 0;
    char *xml = encode_resp(&r, &len);
    CHECK_OK(mcgk_kms_response_parse((const uint8_t *)xml, len, &p));
    CHECK(p.msg == MCGK_KMS_MSG_KEYPROV && p.n_keysets == 2);
    CHECK(keyset_eq(&ks[0], &p.keysets[0]));
    CHECK(keyset_eq(&ks[1], &p.keysets[1]));
    mcgk_kms_response_clear(&p);
    CHECK(p.keysets == NULL && p.n_keysets == 0);
    mcgk_kms_xml_free(xml, len);
    /* an empty KmsKeyProv is fine */
    r.n_keysets = 0;
    xml = encode_resp(&r, &len);
    CHECK_OK(mcgk_kms_response_parse((const uint8_t *)xml, len, &p));
    CHECK(p.n_keysets == 0);
    mcgk_kms_response_clear(&p);
    mcgk_kms_xml_free(xml, len);
    /* inconsistent inputs to the encoder */
    r.n_keysets = MCGK_KMS_MAX_KEYSETS + 1;
    CHECK_ERR(mcgk_kms_response_encode(&r, &xml, &len), MCGK_ERR_INVALID_ARG);
    r.n_keysets = 1;
    r.keysets = NULL;
    CHECK_ERR(mcgk_kms_response_encode(&r, &xml, &len), MCGK_ERR_INVALID_ARG);
    r.msg = MCGK_KMS_MSG_INIT;
    CHECK_ERR(mcgk_kms_response_encode(&r, &xml, &len), MCGK_ERR_INVALID_ARG);
    r.msg = MCGK_KMS_MSG_NONE;
    CHECK_ERR(mcgk_kms_response_encode(&r, &xml, &len), MCGK_ERR_INVALID_ARG);
    r.msg = MCGK_KMS_MSG_CERTCACHE;
    r.n_certs = MCGK_KMS_MAX_CERTS + 1;
    CHECK_ERR(mcgk_kms_response_encode(&r, &xml, &len), MCGK_ERR_INVALID_ARG);
    r.n_certs = 0;
    r.has_error = 1;
    CHECK_ERR(mcgk_kms_response_encode(&r, &xml, &len), MCGK_ERR_INVALID_ARG);
    r.msg = (mcgk_kms_msg)9;
    CHECK_ERR(mcgk_kms_response_encode(&r, &xml, &len), MCGK_ERR_INVALID_ARG);
}

static void test_response_certcache_and_error(void)
{
    mcgk_kms_cert certs[3];
    fill_cert(&certs[0], "kms.partner-a.org", 3);
    fill_cert(&certs[1], "kms.partner-b.org", 4);
    fill_cert(&certs[2], "kms.partner-c.org", 5);
    for (int i = 0; i < 3; i++)
        snprintf(certs[i].role, sizeof certs[i].role, "External");
    mcgk_kms_response r, p;
    header(&r);
    r.msg = MCGK_KMS_MSG_CERTCACHE;
    r.certs = certs;
    r.n_certs = 3;
    r.has_cache_num = 1;
    r.cache_num = 42;
    size_t len = 0;
    char *xml = encode_resp(&r, &len);
    CHECK_OK(mcgk_kms_response_parse((const uint8_t *)xml, len, &p));
    CHECK(p.msg == MCGK_KMS_MSG_CERTCACHE && p.n_certs == 3 && p.has_cache_num &&
          p.cache_num == 42);
    CHECK(cert_eq(&certs[2], &p.certs[2]));
    CHECK(strcmp(p.certs[0].role, "External") == 0);
    mcgk_kms_response_clear(&p);
    mcgk_kms_xml_free(xml, len);
    /* KmsError */
    header(&r);
    r.has_error = 1;
    r.error_code = MCGK_ERR_FORBIDDEN;
    snprintf(r.error_msg, sizeof r.error_msg, "forbidden <&>");
    xml = encode_resp(&r, &len);
    CHECK_OK(mcgk_kms_response_parse((const uint8_t *)xml, len, &p));
    CHECK(p.msg == MCGK_KMS_MSG_NONE && p.has_error && p.error_code == MCGK_ERR_FORBIDDEN);
    CHECK(strcmp(p.error_msg, "forbidden <&>") == 0);
    mcgk_kms_response_clear(&p);
    mcgk_kms_xml_free(xml, len);
}

/* ---- response parse errors ---- */

#define RESP_HEAD                                                                            \
    "<KmsResponse xmlns='" NS "' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' "     \
    "Version='1.0.0'><UserUri>u</UserUri><KmsUri>k</KmsUri>"                                 \
    "<Time>2024-05-01T12:00:00Z</Time><ClientReqUrl>x</ClientReqUrl>"
#define RESP_TAIL "</KmsResponse>"

static char g_hex257[515], g_hex65[131], g_hex32[65];

static void init_hex(void)
{
    for (int i = 0; i < 514; i++)
        g_hex257[i] = "0123456789abcdef"[i % 16];
    g_hex257[0] = '0';
    g_hex257[1] = '4';
    for (int i = 0; i < 130; i++)
        g_hex65[i] = "fedcba9876543210"[i % 16];
    g_hex65[0] = '0';
    g_hex65[1] = '4';
    for (int i = 0; i < 64; i++)
        g_hex32[i] = "0123456789ABCDEF"[i % 16];
}

/* A keyset with its children given; NULL takes the default for that slot. */
static char *keyset_xml(const char *attrs, const char *uid, const char *rsk_el,
                        const char *extra)
{
    size_t n = 4096;
    char *x = malloc(n);
    snprintf(x, n,
             RESP_HEAD "<KmsMessage><KmsKeyProv><KmsKeySet%s><KmsUri>k</KmsUri>"
                       "<UserUri>sip:a@b</UserUri><UserID>%s</UserID>"
                       "<KeyPeriodNo>7</KeyPeriodNo>%s"
                       "<UserSigningKeySSK>%s</UserSigningKeySSK>"
                       "<UserPubTokenPVT>%s</UserPubTokenPVT>%s"
                       "</KmsKeySet></KmsKeyProv></KmsMessage>" RESP_TAIL,
             attrs ? attrs : "", uid ? uid : g_hex32, rsk_el, g_hex32, g_hex65,
             extra ? extra : "");
    return x;
}

static void check_resp(const char *xml, mcgk_err want, int line)
{
    mcgk_kms_response r;
    memset(&r, 0x5A, sizeof r);
    mcgk_err got = parse_resp(xml, &r);
    if (got != want)
        mcgk_test_fail(__FILE__, line, "response: got %s, want %s", mcgk_err_name(got),
                       mcgk_err_name(want));
    if (got == MCGK_OK)
        mcgk_kms_response_clear(&r);
    else {
        unsigned char probe[sizeof r];
        memset(probe, 0x5A, sizeof probe);
        if (memcmp(&r, probe, sizeof r) != 0)
            mcgk_test_fail(__FILE__, line, "output touched on failure");
    }
}
#define CHECK_RESP(xml, want) check_resp(xml, want, __LINE__)

static void check_keyset(const char *attrs, const char *uid, const char *rsk_el,
                         const char *extra, mcgk_err want, int line)
{
    char *x = keyset_xml(attrs, uid, rsk_el, extra);
    check_resp(x, want, line);
    free(x);
}
#define CHECK_KS(attrs, uid, rsk, extra, want) check_keyset(attrs, uid, rsk, extra, want, __LINE__)

static void test_response_keyset_errors(void)
{
    init_hex();
    char rsk[700], rsk_typed[800], rsk_enc[800], rsk_bad[800], rsk_short[800], rsk_nothex[800];
    snprintf(rsk, sizeof rsk, "<UserDecryptKey>%s</UserDecryptKey>", g_hex257);
    snprintf(rsk_typed, sizeof rsk_typed,
             "<UserDecryptKey xsi:type='KeyContentType'>%s</UserDecryptKey>", g_hex257);
    snprintf(rsk_enc, sizeof rsk_enc,
             "<UserDecryptKey xsi:type='EncKeyContentType'>%s</UserDecryptKey>", g_hex257);
    snprintf(rsk_bad, sizeof rsk_bad,
             "<UserDecryptKey xsi:type='Whatever'>%s</UserDecryptKey>", g_hex257);
    snprintf(rsk_short, sizeof rsk_short, "<UserDecryptKey>%.512s</UserDecryptKey>", g_hex257);
    snprintf(rsk_nothex, sizeof rsk_nothex, "<UserDecryptKey>zz%.512s</UserDecryptKey>",
             g_hex257);
    CHECK_KS(NULL, NULL, rsk, NULL, MCGK_OK);
    CHECK_KS(" Version='1.1.0'", NULL, rsk_typed, NULL, MCGK_OK);
    CHECK_KS(NULL, NULL, rsk_enc, NULL, MCGK_ERR_UNSUPPORTED);
    CHECK_KS(NULL, NULL, rsk_bad, NULL, MCGK_ERR_MALFORMED);
    CHECK_KS(NULL, NULL, rsk_short, NULL, MCGK_ERR_LENGTH);
    CHECK_KS(NULL, NULL, rsk_nothex, NULL, MCGK_ERR_HEX);
    CHECK_KS(NULL, NULL, "", NULL, MCGK_ERR_XML_MISSING);
    CHECK_KS(NULL, NULL, rsk, rsk, MCGK_ERR_XML_DUPLICATE);
    CHECK_KS(" Flavour='x'", NULL, rsk, NULL, MCGK_ERR_XML_UNKNOWN);
    CHECK_KS(NULL, NULL, rsk, "<Colour>red</Colour>", MCGK_ERR_XML_UNKNOWN);
    CHECK_KS(NULL, NULL, rsk, "<Revoked>maybe</Revoked>", MCGK_ERR_MALFORMED);
    CHECK_KS(NULL, NULL, rsk, "<Revoked>1</Revoked>", MCGK_OK);
    CHECK_KS(NULL, NULL, rsk, "<ValidFrom>2024-13-01T00:00:00Z</ValidFrom>", MCGK_ERR_MALFORMED);
    CHECK_KS(NULL, NULL, rsk, "<ValidTo>2024-12-01T00:00:00Z</ValidTo><CertUri>c</CertUri>"
                              "<Issuer>i</Issuer>",
             MCGK_OK);
    /* UserID: 64 hex, or base64 of 32 octets */
    CHECK_KS(NULL, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", rsk, NULL, MCGK_OK);
    CHECK_KS(NULL, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==", rsk, NULL, MCGK_ERR_LENGTH);
    CHECK_KS(NULL, "0011", rsk, NULL, MCGK_ERR_LENGTH);
    CHECK_KS(NULL, "zz11223344556677889900112233445566778899001122334455667788990011", rsk,
             NULL, MCGK_ERR_HEX);
    char longuid[200];
    memset(longuid, 'a', 150);
    longuid[150] = '\0';
    CHECK_KS(NULL, longuid, rsk, NULL, MCGK_ERR_LENGTH);
    /* KeyPeriodNo beyond 64 bits */
    char *x = keyset_xml(NULL, NULL, rsk, NULL);
    char *p = strstr(x, "<KeyPeriodNo>7<");
    size_t head = (size_t)(p - x);
    char *y = malloc(strlen(x) + 64);
    sprintf(y, "%.*s<KeyPeriodNo>18446744073709551616%s", (int)head, x,
            p + strlen("<KeyPeriodNo>7"));
    CHECK_RESP(y, MCGK_ERR_MALFORMED);
    free(x);
    free(y);
}

static void test_response_structure_errors(void)
{
    init_hex();
    CHECK_RESP(RESP_HEAD RESP_TAIL, MCGK_ERR_XML_MISSING);
    CHECK_RESP(RESP_HEAD "<KmsMessage><KmsKeyProv/></KmsMessage><KmsError><ErrorCode>1"
                         "</ErrorCode></KmsError>" RESP_TAIL,
               MCGK_ERR_XML_DUPLICATE);
    CHECK_RESP(RESP_HEAD "<KmsMessage/>" RESP_TAIL, MCGK_ERR_XML_MISSING);
    CHECK_RESP(RESP_HEAD "<KmsMessage><KmsKeyProv/><KmsKeyProv/></KmsMessage>" RESP_TAIL,
               MCGK_ERR_XML_DUPLICATE);
    CHECK_RESP(RESP_HEAD "<KmsMessage><KmsWhat/></KmsMessage>" RESP_TAIL, MCGK_ERR_XML_UNKNOWN);
    CHECK_RESP(RESP_HEAD "<KmsMessage><KmsInit/></KmsMessage>" RESP_TAIL, MCGK_ERR_XML_MISSING);
    CHECK_RESP(RESP_HEAD "<KmsMessage><KmsInit><SignedKmsCertificate/></KmsInit></KmsMessage>"
                   RESP_TAIL,
               MCGK_ERR_UNSUPPORTED);
    CHECK_RESP(RESP_HEAD "<KmsMessage><KmsInit><Other/></KmsInit></KmsMessage>" RESP_TAIL,
               MCGK_ERR_XML_UNKNOWN);
    CHECK_RESP(RESP_HEAD "<KmsMessage><KmsKeyProv><Other/></KmsKeyProv></KmsMessage>" RESP_TAIL,
               MCGK_ERR_XML_UNKNOWN);
    CHECK_RESP(RESP_HEAD "<KmsMessage><KmsCertCache CacheNum='x'/></KmsMessage>" RESP_TAIL,
               MCGK_ERR_MALFORMED);
    CHECK_RESP(RESP_HEAD "<KmsMessage><KmsCertCache CacheNum='5' Id='a'/></KmsMessage>"
                   RESP_TAIL,
               MCGK_OK);
    CHECK_RESP(RESP_HEAD "<KmsMessage><KmsCertCache Size='5'/></KmsMessage>" RESP_TAIL,
               MCGK_ERR_XML_UNKNOWN);
    CHECK_RESP(RESP_HEAD "<KmsMessage><KmsCertCache><SignedKmsCertificate/></KmsCertCache>"
                         "</KmsMessage>" RESP_TAIL,
               MCGK_ERR_UNSUPPORTED);
    CHECK_RESP(RESP_HEAD "<KmsMessage><KmsCertCache><X/></KmsCertCache></KmsMessage>" RESP_TAIL,
               MCGK_ERR_XML_UNKNOWN);
    CHECK_RESP(RESP_HEAD "<KmsMessage a='1'><KmsKeyProv/></KmsMessage>" RESP_TAIL,
               MCGK_ERR_XML_UNKNOWN);
    CHECK_RESP(RESP_HEAD "<KmsError><ErrorCode>5</ErrorCode><ErrorMsg>m</ErrorMsg>"
                         "<ErrorMsg>n</ErrorMsg></KmsError>" RESP_TAIL,
               MCGK_ERR_XML_DUPLICATE);
    CHECK_RESP(RESP_HEAD "<KmsId>a</KmsId><KmsId>b</KmsId><KmsError><ErrorCode>5</ErrorCode>"
                         "</KmsError>" RESP_TAIL,
               MCGK_ERR_XML_DUPLICATE);
    CHECK_RESP("<KmsResponse xmlns='" NS "'><KmsError><ErrorCode>5</ErrorCode></KmsError>"
               "</KmsResponse>",
               MCGK_ERR_XML_MISSING);
    CHECK_RESP("<SignedKmsResponse xmlns='" NS "'/>", MCGK_ERR_UNSUPPORTED);
    CHECK_RESP("<KmsResponse xmlns='urn:x'/>", MCGK_ERR_XML_NAMESPACE);
    CHECK_RESP(RESP_HEAD "<KmsError xmlns='urn:x'><ErrorCode>1</ErrorCode></KmsError>" RESP_TAIL,
               MCGK_ERR_XML_NAMESPACE);
    CHECK_RESP(RESP_HEAD "<Time>2024-05-01T12:00:00Z</Time>" RESP_TAIL, MCGK_ERR_XML_DUPLICATE);
    /* too many key sets */
    char *x = malloc(64 * 1024);
    size_t o = (size_t)sprintf(x, RESP_HEAD "<KmsMessage><KmsKeyProv>");
    for (int i = 0; i <= MCGK_KMS_MAX_KEYSETS; i++)
        o += (size_t)sprintf(x + o,
                             "<KmsKeySet><KmsUri>k</KmsUri><UserUri>u</UserUri><UserID>%s"
                             "</UserID><KeyPeriodNo>1</KeyPeriodNo><UserDecryptKey>%s"
                             "</UserDecryptKey><UserSigningKeySSK>%s</UserSigningKeySSK>"
                             "<UserPubTokenPVT>%s</UserPubTokenPVT></KmsKeySet>",
                             g_hex32, g_hex257, g_hex32, g_hex65);
    sprintf(x + o, "</KmsKeyProv></KmsMessage>" RESP_TAIL);
    CHECK_RESP(x, MCGK_ERR_OVERSIZED);
    free(x);
    /* too many elements in one document */
    size_t n = MCGK_KMS_XML_MAX_ELEMENTS + 10;
    x = malloc(n * 4 + 1024);
    o = (size_t)sprintf(x, RESP_HEAD "<KmsError><ErrorCode>1</ErrorCode><ErrorMsg>");
    for (size_t i = 0; i < n; i++)
        o += (size_t)sprintf(x + o, "<a/>");
    sprintf(x + o, "</ErrorMsg></KmsError>" RESP_TAIL);
    CHECK_RESP(x, MCGK_ERR_OVERSIZED);
    free(x);
    /* above the response cap */
    size_t big = MCGK_KMS_RESPONSE_MAX_LEN + 1;
    x = malloc(big);
    memset(x, ' ', big);
    mcgk_kms_response r;
    CHECK_ERR(mcgk_kms_response_parse((const uint8_t *)x, big, &r), MCGK_ERR_OVERSIZED);
    free(x);
}

/* A certificate document with the given attributes and extra children. */
static void check_cert(const char *attrs, const char *body, mcgk_err want, int line)
{
    init_hex();
    size_t n = 8192;
    char *x = malloc(n);
    snprintf(x, n,
             "<KmsCertificate xmlns='" NS "'%s>%s</KmsCertificate>", attrs, body);
    mcgk_kms_cert c;
    mcgk_err got = mcgk_kms_cert_parse((const uint8_t *)x, strlen(x), &c);
    if (got != want)
        mcgk_test_fail(__FILE__, line, "cert: got %s, want %s", mcgk_err_name(got),
                       mcgk_err_name(want));
    free(x);
}
#define CHECK_CERT(attrs, body, want) check_cert(attrs, body, want, __LINE__)

static void test_cert_errors(void)
{
    init_hex();
    char base[2048];
    snprintf(base, sizeof base,
             "<KmsUri>k</KmsUri><UserIdFormat>2</UserIdFormat><UserKeyPeriod>60"
             "</UserKeyPeriod><UserKeyOffset>0</UserKeyOffset><PubEncKey>%s</PubEncKey>"
             "<PubAuthKey>%s</PubAuthKey>",
             g_hex257, g_hex65);
    char b[4096];
    CHECK_CERT(" Role='Root' Version='1.1.0'", base, MCGK_OK);
    CHECK_CERT(" Role='Boss'", base, MCGK_ERR_MALFORMED);
    CHECK_CERT(" Role='RootRootRootRootRoot'", base, MCGK_ERR_OVERSIZED);
    CHECK_CERT(" IsSecurityGateway='maybe'", base, MCGK_ERR_MALFORMED);
    CHECK_CERT(" IsSecurityGateway='a-very-long-boolean-value'", base, MCGK_ERR_MALFORMED);
    CHECK_CERT(" IsSecurityGateway='true' Id='c1'", base, MCGK_OK);
    CHECK_CERT(" Owner='me'", base, MCGK_ERR_XML_UNKNOWN);
    snprintf(b, sizeof b, "%s<UserKeyPeriod>1</UserKeyPeriod>", base);
    CHECK_CERT("", b, MCGK_ERR_XML_DUPLICATE);
    snprintf(b, sizeof b, "%s<ParameterSet>x</ParameterSet>", base);
    CHECK_CERT("", b, MCGK_ERR_MALFORMED);
    snprintf(b, sizeof b, "%s<KmsDomainList><KmsDomain>a</KmsDomain><Other/></KmsDomainList>",
             base);
    CHECK_CERT("", b, MCGK_ERR_XML_UNKNOWN);
    snprintf(b, sizeof b, "%s<KmsDomainList x='1'/>", base);
    CHECK_CERT("", b, MCGK_ERR_XML_UNKNOWN);
    size_t o = (size_t)snprintf(b, sizeof b, "%s<KmsDomainList>", base);
    for (int i = 0; i <= MCGK_KMS_MAX_DOMAINS; i++)
        o += (size_t)snprintf(b + o, sizeof b - o, "<KmsDomain>d%d</KmsDomain>", i);
    snprintf(b + o, sizeof b - o, "</KmsDomainList>");
    CHECK_CERT("", b, MCGK_ERR_OVERSIZED);
    /* PubAuthKey missing */
    snprintf(b, sizeof b,
             "<KmsUri>k</KmsUri><UserIdFormat>2</UserIdFormat><UserKeyPeriod>60"
             "</UserKeyPeriod><UserKeyOffset>0</UserKeyOffset><PubEncKey>%s</PubEncKey>",
             g_hex257);
    CHECK_CERT("", b, MCGK_ERR_XML_MISSING);
    snprintf(b, sizeof b, "%s<Revoked>yes</Revoked>", base);
    CHECK_CERT("", b, MCGK_ERR_MALFORMED);
    snprintf(b, sizeof b, "%s<ValidTo>2024-02-30T00:00:00Z</ValidTo>", base);
    CHECK_CERT("", b, MCGK_ERR_MALFORMED);
    /* a certificate in another namespace */
    mcgk_kms_cert c;
    CHECK_ERR(mcgk_kms_cert_parse((const uint8_t *)"<KmsCertificate/>", 17, &c),
              MCGK_ERR_XML_NAMESPACE);
    CHECK_ERR(mcgk_kms_cert_parse((const uint8_t *)"<x", 2, &c), MCGK_ERR_XML_SYNTAX);
    CHECK_ERR(mcgk_kms_cert_parse(NULL, 0, &c), MCGK_ERR_INVALID_ARG);
}

/* ---- flip every byte / cut at every length: total and bounded ---- */

static void test_flip_and_truncate(void)
{
    mcgk_kms_keyset ks;
    fill_keyset(&ks, "sip:alice@example.org", 1388, 9);
    mcgk_kms_response r, p;
    header(&r);
    r.msg = MCGK_KMS_MSG_KEYPROV;
    r.keysets = &ks;
    r.n_keysets = 1;
    size_t len = 0;
    char *xml = encode_resp(&r, &len);
    uint8_t *buf = malloc(len);
    size_t step = mcgk_test_quick() ? 7 : 1;
    int ok_count = 0;
    for (size_t i = 0; i < len; i += step) {
        memcpy(buf, xml, len);
        buf[i] ^= 0x01;
        mcgk_err e = mcgk_kms_response_parse(buf, len, &p);
        if (e == MCGK_OK) {
            ok_count++;
            mcgk_kms_response_clear(&p);
        }
    }
    for (size_t i = 0; i < len; i += step) {
        mcgk_err e = mcgk_kms_response_parse((const uint8_t *)xml, i, &p);
        if (e == MCGK_OK)
            mcgk_kms_response_clear(&p);
        /* a document cut before its end tag never parses */
        if (i + 2 < len)
            CHECK(e != MCGK_OK);
    }
    CHECK(ok_count < (int)len); /* most flips are refused; some (hex case) are fine */
    free(buf);
    mcgk_kms_xml_free(xml, len);
}

/* ---- time helpers ---- */

static void test_datetime(void)
{
    uint64_t t = 0;
    CHECK_OK(mcgk_xsd_datetime_parse("1970-01-01T00:00:00Z", 20, &t));
    CHECK(t == 0);
    CHECK_OK(mcgk_xsd_datetime_parse(" 2000-02-29T00:00:00 ", 21, &t));
    CHECK(t == 951782400u);
    CHECK_OK(mcgk_xsd_datetime_parse("2024-05-01T12:00:00.123456Z", 27, &t));
    CHECK(t == 1714564800u);
    CHECK_OK(mcgk_xsd_datetime_parse("2024-05-01T07:30:00-04:30", 25, &t));
    CHECK(t == 1714564800u);
    CHECK_OK(mcgk_xsd_datetime_parse("2024-05-01T14:00:00+02:00", 25, &t));
    CHECK(t == 1714564800u);
    const char *bad[] = {"2023-02-29T00:00:00Z", "1969-12-31T23:59:59Z", "2024-05-01T24:00:00Z",
                         "2024-05-01T12:60:00Z", "2024-05-01T12:00:60Z", "2024-00-01T00:00:00Z",
                         "2024-05-01 12:00:00Z", "2024-05-01T12:00:00+15:00",
                         "2024-05-01T12:00:00+02:60", "2024-05-01T12:00:00.Z",
                         "2024-05-01T12:00:00ZZ", "24-05-01T12:00:00Z", "",
                         "1970-01-01T00:00:00+01:00", "2024-04-31T00:00:00Z",
                         "9999-12-31T23:59:59-01:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t v = 77;
        mcgk_err e = mcgk_xsd_datetime_parse(bad[i], strlen(bad[i]), &v);
        if (e != MCGK_ERR_MALFORMED || v != 77)
            mcgk_test_fail(__FILE__, __LINE__, "'%s' accepted", bad[i]);
    }
    CHECK_ERR(mcgk_xsd_datetime_parse(NULL, 0, &t), MCGK_ERR_INVALID_ARG);
    char out[MCGK_KMS_DATETIME_LEN];
    CHECK_OK(mcgk_xsd_datetime_format(951782400u, out));
    CHECK(strcmp(out, "2000-02-29T00:00:00Z") == 0);
    CHECK_OK(mcgk_xsd_datetime_format(253402300799ull, out));
    CHECK(strcmp(out, "9999-12-31T23:59:59Z") == 0);
    CHECK_ERR(mcgk_xsd_datetime_format(253402300800ull, out), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_xsd_datetime_format(0, NULL), MCGK_ERR_INVALID_ARG);
    /* round trip over random instants */
    mcgk_test_prng prng;
    mcgk_test_prng_init(&prng, 11);
    for (int i = 0; i < 2000; i++) {
        uint64_t v = mcgk_test_prng_next(&prng) % 253402300800ull, back = 0;
        CHECK_OK(mcgk_xsd_datetime_format(v, out));
        CHECK_OK(mcgk_xsd_datetime_parse(out, strlen(out), &back));
        if (back != v) {
            mcgk_test_fail(__FILE__, __LINE__, "round trip %llu -> %s", (unsigned long long)v,
                           out);
            break;
        }
    }
}

static void test_ntp64(void)
{
    uint64_t ref = 3913056000ull; /* 2024 in NTP seconds, era 0 */
    CHECK(mcgk_ntp64_to_ntp_s(0xD6B4323200000000ull, ref) == 0xD6B43232ull);
    /* just after the 2036 wrap: a small era-0 value means era 1 */
    uint64_t ref2 = (1ull << 32) + 1000;
    CHECK(mcgk_ntp64_to_ntp_s(0x0000100000000000ull, ref2) == (1ull << 32) + 0x1000);
    /* just before the wrap, a large value stays in era 0 */
    CHECK(mcgk_ntp64_to_ntp_s(0xFFFFFF0000000000ull, ref2) == 0xFFFFFF00ull);
    CHECK(mcgk_ntp64_to_ntp_s(0, 0) == 0);
}

static void test_percent_encode(void)
{
    char out[64];
    CHECK_OK(mcgk_kms_percent_encode("sip:user@example.org", out, sizeof out));
    CHECK(strcmp(out, "sip%3Auser%40example.org") == 0);
    CHECK_OK(mcgk_kms_percent_encode("a-b.c_d~e/f g", out, sizeof out));
    CHECK(strcmp(out, "a-b.c_d~e%2Ff%20g") == 0);
    CHECK_ERR(mcgk_kms_percent_encode("sip:user", out, 4), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK_ERR(mcgk_kms_percent_encode("abc", out, 3), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK_ERR(mcgk_kms_percent_encode(NULL, out, 3), MCGK_ERR_INVALID_ARG);
}

int main(void)
{
    TEST_RUN(test_request_parse);
    TEST_RUN(test_request_roundtrip);
    TEST_RUN(test_request_errors);
    TEST_RUN(test_request_dtd_refused);
    TEST_RUN(test_request_depth_and_size);
    TEST_RUN(test_response_init_roundtrip);
    TEST_RUN(test_response_keyprov_roundtrip);
    TEST_RUN(test_response_certcache_and_error);
    TEST_RUN(test_response_keyset_errors);
    TEST_RUN(test_response_structure_errors);
    TEST_RUN(test_cert_errors);
    TEST_RUN(test_flip_and_truncate);
    TEST_RUN(test_datetime);
    TEST_RUN(test_ntp64);
    TEST_RUN(test_percent_encode);
    TEST_MAIN_END();
}
