/*
 * Unit tests for the group configuration document and the result document
 * (mcgk/group_doc.h, docs/gms-protocol.md): round trips, every refusal with
 * its exact code, output untouched on failure, a byte-flip loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/group_doc.h"
#include "test.h"

static mcgk_groupdoc *new_doc(void)
{
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    if (d == NULL)
        abort();
    return d;
}

static void fill(mcgk_groupdoc *d)
{
    memset(d, 0, sizeof *d);
    d->seq = 17;
    d->n_groups = 2;
    strcpy(d->groups[0].id, "sip:group-a@mcgk.example");
    strcpy(d->groups[0].gms, "sip:gms@mcgk.example");
    strcpy(d->groups[0].name, "Fire crew \"A\" & <B>\tC");
    strcpy(d->groups[1].id, "sip:group-b@mcgk.example");
    strcpy(d->groups[1].gms, "sip:gms@mcgk.example");
    d->groups[1].removed = 1;
    d->n_gmks = 2;
    d->gmks[0].use = MCGK_GMK_USE_MEDIA;
    d->gmks[0].msg_len = 300;
    for (size_t i = 0; i < 300; i++)
        d->gmks[0].msg[i] = (uint8_t)(i * 7 + 1);
    d->gmks[1].use = MCGK_GMK_USE_FLOOR_CONTROL;
    d->gmks[1].msg_len = 1;
    d->gmks[1].msg[0] = 0x55;
}

static int docs_equal(const mcgk_groupdoc *a, const mcgk_groupdoc *b)
{
    if (a->seq != b->seq || a->n_groups != b->n_groups || a->n_gmks != b->n_gmks)
        return 0;
    for (size_t i = 0; i < a->n_groups; i++) {
        const mcgk_groupdoc_group *x = &a->groups[i], *y = &b->groups[i];
        if (strcmp(x->id, y->id) || strcmp(x->gms, y->gms) || strcmp(x->name, y->name) ||
            x->removed != y->removed)
            return 0;
    }
    for (size_t i = 0; i < a->n_gmks; i++) {
        const mcgk_groupdoc_gmk *x = &a->gmks[i], *y = &b->gmks[i];
        if (x->use != y->use || x->msg_len != y->msg_len || memcmp(x->msg, y->msg, x->msg_len))
            return 0;
    }
    return 1;
}

static mcgk_err parse_str(const char *s, mcgk_groupdoc *d)
{
    return mcgk_groupdoc_parse((const uint8_t *)s, strlen(s), d);
}

#define HEAD "<group-config xmlns=\"" MCGK_GROUPDOC_NS "\" version=\"1\" seq=\"3\">"
#define GRP "<group id=\"sip:g@x\" gms=\"sip:gms@x\" state=\"member\"/>"
#define TAIL "</group-config>"

/* R-004-13: a media GMK and a floor-control GMK travel in one notification. */
static void test_R_004_13_roundtrip_media_and_floor_control(void)
{
    mcgk_groupdoc *d = new_doc(), *e = new_doc();
    fill(d);
    size_t need = 0;
    CHECK_OK(mcgk_groupdoc_encode(d, NULL, 0, &need));
    char *buf = malloc(need + 1);
    size_t len = 0;
    CHECK_OK(mcgk_groupdoc_encode(d, buf, need + 1, &len));
    CHECK(len == need);
    CHECK(strlen(buf) == len);
    CHECK_OK(mcgk_groupdoc_parse((const uint8_t *)buf, len, e));
    CHECK(docs_equal(d, e));
    CHECK(e->gmks[0].use == MCGK_GMK_USE_MEDIA);
    CHECK(e->gmks[1].use == MCGK_GMK_USE_FLOOR_CONTROL);
    CHECK(e->groups[1].removed == 1);
    /* too small by one (the NUL) */
    CHECK_ERR(mcgk_groupdoc_encode(d, buf, need, &len), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK_ERR(mcgk_groupdoc_encode(d, buf, 10, &len), MCGK_ERR_BUFFER_TOO_SMALL);
    free(buf);
    free(d);
    free(e);
}

static void test_parse_contract_example_and_defaults(void)
{
    mcgk_groupdoc *d = new_doc();
    /* no state -> member, no use -> media, base64 with surrounding whitespace, a comment */
    const char *s = "<?xml version=\"1.0\"?>\n" HEAD "<!-- c -->\n <group id=\"sip:g@x\" "
                    "gms=\"sip:gms@x\"/>\n <gmk>\n AQID \n</gmk>" TAIL;
    CHECK_OK(parse_str(s, d));
    CHECK(d->seq == 3);
    CHECK(d->n_groups == 1 && d->groups[0].removed == 0 && d->groups[0].name[0] == '\0');
    CHECK(d->n_gmks == 1 && d->gmks[0].use == MCGK_GMK_USE_MEDIA);
    CHECK(d->gmks[0].msg_len == 3 && d->gmks[0].msg[2] == 3);
    /* a prefixed namespace is the same namespace */
    const char *p = "<g:group-config xmlns:g=\"" MCGK_GROUPDOC_NS "\" version=\"1\" seq=\"0\">"
                    "<g:group id=\"a\" gms=\"b\"/></g:group-config>";
    CHECK_OK(parse_str(p, d));
    CHECK(d->seq == 0 && d->n_gmks == 0);
    /* the largest seq */
    const char *big = "<group-config xmlns=\"" MCGK_GROUPDOC_NS
                      "\" version=\"1\" seq=\"18446744073709551615\">" GRP TAIL;
    CHECK_OK(parse_str(big, d));
    CHECK(d->seq == UINT64_MAX);
    free(d);
}

static void expect_parse(const char *s, mcgk_err want)
{
    mcgk_groupdoc *d = new_doc();
    memset(d, 0xA5, sizeof *d);
    mcgk_groupdoc *copy = new_doc();
    memcpy(copy, d, sizeof *d);
    mcgk_err got = parse_str(s, d);
    if (got != want)
        mcgk_test_fail(__FILE__, __LINE__, "parse(%s) = %s, want %s", s, mcgk_err_name(got),
                       mcgk_err_name(want));
    /* a failed parse leaves the output untouched */
    if (want != MCGK_OK)
        CHECK(memcmp(d, copy, sizeof *d) == 0);
    free(d);
    free(copy);
}

static void test_parse_refusals_malformed(void)
{
    expect_parse("", MCGK_ERR_MALFORMED);
    expect_parse("not xml", MCGK_ERR_MALFORMED);
    expect_parse(HEAD GRP, MCGK_ERR_MALFORMED); /* unterminated */
    expect_parse("<!DOCTYPE group-config [<!ENTITY x \"y\">]>" HEAD GRP TAIL, MCGK_ERR_MALFORMED);
    expect_parse("<group-config xmlns=\"urn:other\" version=\"1\" seq=\"1\">" GRP TAIL,
                 MCGK_ERR_MALFORMED); /* wrong namespace */
    expect_parse("<group-config version=\"1\" seq=\"1\">" GRP TAIL, MCGK_ERR_MALFORMED);
    expect_parse("<config xmlns=\"" MCGK_GROUPDOC_NS "\" version=\"1\" seq=\"1\">" GRP "</config>",
                 MCGK_ERR_MALFORMED); /* wrong root */
    expect_parse("<group-config xmlns=\"" MCGK_GROUPDOC_NS "\" version=\"2\" seq=\"1\">" GRP TAIL,
                 MCGK_ERR_MALFORMED);
    expect_parse("<group-config xmlns=\"" MCGK_GROUPDOC_NS "\" seq=\"1\">" GRP TAIL,
                 MCGK_ERR_MALFORMED); /* no version */
    expect_parse("<group-config xmlns=\"" MCGK_GROUPDOC_NS "\" version=\"1\">" GRP TAIL,
                 MCGK_ERR_MALFORMED); /* no seq */
    expect_parse("<group-config xmlns=\"" MCGK_GROUPDOC_NS "\" version=\"1\" seq=\"-1\">" GRP TAIL,
                 MCGK_ERR_MALFORMED);
    expect_parse("<group-config xmlns=\"" MCGK_GROUPDOC_NS "\" version=\"1\" seq=\"+1\">" GRP TAIL,
                 MCGK_ERR_MALFORMED);
    expect_parse("<group-config xmlns=\"" MCGK_GROUPDOC_NS
                 "\" version=\"1\" seq=\"18446744073709551616\">" GRP TAIL,
                 MCGK_ERR_MALFORMED); /* overflow */
    expect_parse("<group-config xmlns=\"" MCGK_GROUPDOC_NS
                 "\" version=\"1\" seq=\"123456789012345678901234567890\">" GRP TAIL,
                 MCGK_ERR_MALFORMED); /* longer than any u64 */
    expect_parse("<group-config xmlns=\"" MCGK_GROUPDOC_NS
                 "\" version=\"1\" seq=\"1\" extra=\"x\">" GRP TAIL,
                 MCGK_ERR_MALFORMED); /* unknown attribute */
    expect_parse("<group-config xmlns=\"" MCGK_GROUPDOC_NS
                 "\" xmlns:o=\"urn:o\" version=\"1\" seq=\"1\" o:x=\"1\">" GRP TAIL,
                 MCGK_ERR_MALFORMED); /* namespaced attribute */
    expect_parse(HEAD TAIL, MCGK_ERR_MALFORMED); /* no group */
    expect_parse(HEAD GRP "<other/>" TAIL, MCGK_ERR_MALFORMED);
    expect_parse(HEAD GRP "<o:gmk xmlns:o=\"urn:o\">AQID</o:gmk>" TAIL, MCGK_ERR_MALFORMED);
    expect_parse(HEAD GRP "text" TAIL, MCGK_ERR_MALFORMED);
    expect_parse(HEAD "<group gms=\"sip:gms@x\"/>" TAIL, MCGK_ERR_MALFORMED); /* no id */
    expect_parse(HEAD "<group id=\"sip:g@x\"/>" TAIL, MCGK_ERR_MALFORMED);   /* no gms */
    expect_parse(HEAD "<group id=\"\" gms=\"sip:gms@x\"/>" TAIL, MCGK_ERR_MALFORMED);
    expect_parse(HEAD "<group id=\"a\" gms=\"b\" state=\"gone\"/>" TAIL, MCGK_ERR_MALFORMED);
    expect_parse(HEAD "<group id=\"a\" gms=\"b\" state=\"a-very-long-state-value\"/>" TAIL,
                 MCGK_ERR_MALFORMED);
    expect_parse(HEAD "<group id=\"a\" gms=\"b\" colour=\"red\"/>" TAIL, MCGK_ERR_MALFORMED);
    expect_parse(HEAD "<group id=\"a\" gms=\"b\"><x/></group>" TAIL, MCGK_ERR_MALFORMED);
    expect_parse(HEAD "<group id=\"a\" gms=\"b\"/><group id=\"a\" gms=\"c\"/>" TAIL,
                 MCGK_ERR_MALFORMED); /* the same group twice */
    expect_parse(HEAD GRP "<gmk use=\"audio\">AQID</gmk>" TAIL, MCGK_ERR_MALFORMED);
    expect_parse(HEAD GRP "<gmk use=\"floor-control-and-more\">AQID</gmk>" TAIL,
                 MCGK_ERR_MALFORMED);
    expect_parse(HEAD GRP "<gmk x=\"1\">AQID</gmk>" TAIL, MCGK_ERR_MALFORMED);
    expect_parse(HEAD GRP "<gmk></gmk>" TAIL, MCGK_ERR_MALFORMED);
    expect_parse(HEAD GRP "<gmk><b>AQID</b></gmk>" TAIL, MCGK_ERR_MALFORMED);
    /* nested deeper than 4 */
    expect_parse(HEAD "<group id=\"a\" gms=\"b\"><a><b><c><d/></c></b></a></group>" TAIL,
                 MCGK_ERR_MALFORMED);
    /* deeper than the XML layer's own bound */
    char deep[2048] = HEAD GRP;
    for (int i = 0; i < 40; i++)
        strcat(deep, "<a>");
    for (int i = 0; i < 40; i++)
        strcat(deep, "</a>");
    strcat(deep, TAIL);
    expect_parse(deep, MCGK_ERR_MALFORMED);
    /* an entity reference to an undeclared entity */
    expect_parse(HEAD "<group id=\"&x;\" gms=\"b\"/>" TAIL, MCGK_ERR_MALFORMED);
}

static void test_parse_refusals_base64_and_oversized(void)
{
    expect_parse(HEAD GRP "<gmk>AQI</gmk>" TAIL, MCGK_ERR_BASE64);
    expect_parse(HEAD GRP "<gmk>AQ ID</gmk>" TAIL, MCGK_ERR_BASE64);
    expect_parse(HEAD GRP "<gmk>AQ!D</gmk>" TAIL, MCGK_ERR_BASE64);
    /* 17 groups */
    char *s = malloc(MCGK_GROUPDOC_MAX_LEN * 2);
    strcpy(s, HEAD);
    for (int i = 0; i < 17; i++)
        sprintf(s + strlen(s), "<group id=\"g%d\" gms=\"x\"/>", i);
    strcat(s, TAIL);
    expect_parse(s, MCGK_ERR_OVERSIZED);
    /* 16 groups are fine */
    strcpy(s, HEAD);
    for (int i = 0; i < 16; i++)
        sprintf(s + strlen(s), "<group id=\"g%d\" gms=\"x\"/>", i);
    strcat(s, TAIL);
    expect_parse(s, MCGK_OK);
    /* 5 gmks */
    strcpy(s, HEAD GRP);
    for (int i = 0; i < 5; i++)
        strcat(s, "<gmk>AQID</gmk>");
    strcat(s, TAIL);
    expect_parse(s, MCGK_ERR_OVERSIZED);
    /* an I_MESSAGE of MSG_MAX + 3 octets */
    strcpy(s, HEAD GRP "<gmk>");
    for (int i = 0; i < (MCGK_GROUPDOC_MSG_MAX + 3) / 3; i++)
        strcat(s, "AAAA");
    strcat(s, "</gmk>" TAIL);
    expect_parse(s, MCGK_ERR_OVERSIZED);
    /* exactly MSG_MAX octets (4096 = 1365 * 3 + 1) */
    strcpy(s, HEAD GRP "<gmk>");
    for (int i = 0; i < MCGK_GROUPDOC_MSG_MAX / 3; i++)
        strcat(s, "AAAA");
    strcat(s, "AA==</gmk>" TAIL);
    expect_parse(s, MCGK_OK);
    /* 4097 octets: base64 text fits the text cap but decodes too long */
    strcpy(s, HEAD GRP "<gmk>");
    for (int i = 0; i < MCGK_GROUPDOC_MSG_MAX / 3; i++)
        strcat(s, "AAAA");
    strcat(s, "AAA=</gmk>" TAIL);
    expect_parse(s, MCGK_ERR_OVERSIZED);
    /* an id over its field */
    strcpy(s, HEAD "<group id=\"");
    memset(s + strlen(s), 'a', MCGK_GROUPDOC_URI_MAX);
    s[strlen(HEAD "<group id=\"") + MCGK_GROUPDOC_URI_MAX] = '\0';
    strcat(s, "\" gms=\"x\"/>" TAIL);
    expect_parse(s, MCGK_ERR_OVERSIZED);
    /* a name over its field */
    strcpy(s, HEAD "<group id=\"a\" gms=\"b\" name=\"");
    memset(s + strlen(s), 'n', MCGK_GROUPDOC_NAME_MAX);
    s[strlen(HEAD "<group id=\"a\" gms=\"b\" name=\"") + MCGK_GROUPDOC_NAME_MAX] = '\0';
    strcat(s, "\"/>" TAIL);
    expect_parse(s, MCGK_ERR_OVERSIZED);
    /* the document over 64 KiB */
    strcpy(s, HEAD GRP);
    size_t l = strlen(s);
    memset(s + l, ' ', MCGK_GROUPDOC_MAX_LEN);
    strcpy(s + l + MCGK_GROUPDOC_MAX_LEN, TAIL);
    expect_parse(s, MCGK_ERR_OVERSIZED);
    free(s);
}

static void test_invalid_args(void)
{
    mcgk_groupdoc *d = new_doc();
    fill(d);
    size_t n = 0;
    char buf[16];
    CHECK_ERR(mcgk_groupdoc_parse(NULL, 0, d), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_groupdoc_parse((const uint8_t *)"x", 1, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_groupdoc_encode(NULL, NULL, 0, &n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_groupdoc_encode(d, NULL, 0, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_groupdoc_encode(d, buf, 0, &n), MCGK_ERR_INVALID_ARG);

    mcgk_groupdoc *b = new_doc();
    memcpy(b, d, sizeof *d);
    b->n_groups = 0;
    CHECK_ERR(mcgk_groupdoc_encode(b, NULL, 0, &n), MCGK_ERR_INVALID_ARG);
    b->n_groups = MCGK_GROUPDOC_MAX_GROUPS + 1;
    CHECK_ERR(mcgk_groupdoc_encode(b, NULL, 0, &n), MCGK_ERR_INVALID_ARG);
    memcpy(b, d, sizeof *d);
    b->n_gmks = MCGK_GROUPDOC_MAX_GMKS + 1;
    CHECK_ERR(mcgk_groupdoc_encode(b, NULL, 0, &n), MCGK_ERR_INVALID_ARG);
    memcpy(b, d, sizeof *d);
    b->groups[0].id[0] = '\0';
    CHECK_ERR(mcgk_groupdoc_encode(b, NULL, 0, &n), MCGK_ERR_INVALID_ARG);
    memcpy(b, d, sizeof *d);
    b->groups[1].gms[0] = '\0';
    CHECK_ERR(mcgk_groupdoc_encode(b, NULL, 0, &n), MCGK_ERR_INVALID_ARG);
    memcpy(b, d, sizeof *d);
    memset(b->groups[0].id, 'a', sizeof b->groups[0].id); /* no NUL */
    CHECK_ERR(mcgk_groupdoc_encode(b, NULL, 0, &n), MCGK_ERR_INVALID_ARG);
    memcpy(b, d, sizeof *d);
    strcpy(b->groups[0].name, "\xff\xfe"); /* not UTF-8 */
    CHECK_ERR(mcgk_groupdoc_encode(b, NULL, 0, &n), MCGK_ERR_INVALID_ARG);
    memcpy(b, d, sizeof *d);
    strcpy(b->groups[0].name, "a\x01"); /* a control character XML cannot carry */
    CHECK_ERR(mcgk_groupdoc_encode(b, NULL, 0, &n), MCGK_ERR_INVALID_ARG);
    memcpy(b, d, sizeof *d);
    b->gmks[0].msg_len = 0;
    CHECK_ERR(mcgk_groupdoc_encode(b, NULL, 0, &n), MCGK_ERR_INVALID_ARG);
    memcpy(b, d, sizeof *d);
    b->gmks[0].msg_len = MCGK_GROUPDOC_MSG_MAX + 1;
    CHECK_ERR(mcgk_groupdoc_encode(b, NULL, 0, &n), MCGK_ERR_INVALID_ARG);
    memcpy(b, d, sizeof *d);
    b->gmks[0].use = (mcgk_gmk_use)7;
    CHECK_ERR(mcgk_groupdoc_encode(b, NULL, 0, &n), MCGK_ERR_INVALID_ARG);
    free(b);
    free(d);
}

/* Flip every byte of a valid document: never a crash; whatever parses
 * re-encodes and parses to the same struct. */
static void test_byte_flips(void)
{
    mcgk_groupdoc *d = new_doc(), *e = new_doc(), *f = new_doc();
    fill(d);
    d->gmks[0].msg_len = 12;
    size_t len = 0;
    char *buf = malloc(8192), *re = malloc(MCGK_GROUPDOC_MAX_LEN * 2);
    CHECK_OK(mcgk_groupdoc_encode(d, buf, 8192, &len));
    size_t step = mcgk_test_quick() ? 7 : 1;
    for (size_t i = 0; i < len; i += step) {
        static const uint8_t masks[] = {0x01, 0x20, 0x80, 0xFF};
        for (size_t m = 0; m < sizeof masks; m++) {
            buf[i] = (char)(buf[i] ^ masks[m]);
            if (mcgk_groupdoc_parse((const uint8_t *)buf, len, e) == MCGK_OK) {
                size_t rl = 0;
                mcgk_err er = mcgk_groupdoc_encode(e, re, MCGK_GROUPDOC_MAX_LEN * 2, &rl);
                /* a flip may produce a name XML carries but we would not write */
                if (er == MCGK_OK) {
                    CHECK_OK(mcgk_groupdoc_parse((const uint8_t *)re, rl, f));
                    CHECK(docs_equal(e, f));
                }
            }
            buf[i] = (char)(buf[i] ^ masks[m]);
        }
    }
    free(buf);
    free(re);
    free(d);
    free(e);
    free(f);
}

/* R-000-10 / R-004-11: the result the client returns carries a status and an
 * error name, never security information. */
static void test_R_000_10_result_roundtrip_no_security_content(void)
{
    mcgk_groupdoc_result r = {403, "signature"}, q;
    char buf[512];
    size_t n = 0, m = 0;
    CHECK_OK(mcgk_groupdoc_result_encode(&r, NULL, 0, &m));
    CHECK_OK(mcgk_groupdoc_result_encode(&r, buf, sizeof buf, &n));
    CHECK(n == m && strlen(buf) == n);
    CHECK(strstr(buf, "<gmk") == NULL);
    CHECK_OK(mcgk_groupdoc_result_parse((const uint8_t *)buf, n, &q));
    CHECK(q.status == 403 && strcmp(q.reason, "signature") == 0);
    mcgk_groupdoc_result s = {200, "ok & <fine>"};
    CHECK_OK(mcgk_groupdoc_result_encode(&s, buf, sizeof buf, &n));
    CHECK_OK(mcgk_groupdoc_result_parse((const uint8_t *)buf, n, &q));
    CHECK(q.status == 200 && strcmp(q.reason, "ok & <fine>") == 0);
    CHECK_ERR(mcgk_groupdoc_result_encode(&s, buf, n, &m), MCGK_ERR_BUFFER_TOO_SMALL);
}

static void expect_result(const char *s, mcgk_err want)
{
    mcgk_groupdoc_result r;
    memset(&r, 0x5A, sizeof r);
    mcgk_groupdoc_result copy = r;
    mcgk_err got = mcgk_groupdoc_result_parse((const uint8_t *)s, strlen(s), &r);
    if (got != want)
        mcgk_test_fail(__FILE__, __LINE__, "result_parse(%s) = %s, want %s", s,
                       mcgk_err_name(got), mcgk_err_name(want));
    if (want != MCGK_OK)
        CHECK(memcmp(&r, &copy, sizeof r) == 0);
}

#define RES "<result xmlns=\"" MCGK_GROUPDOC_NS "\" "

static void test_result_refusals(void)
{
    expect_result(RES "status=\"200\" reason=\"ok\"/>", MCGK_OK);
    expect_result(RES "status=\"200\" reason=\"ok\"><!-- c --></result>", MCGK_OK);
    expect_result("garbage", MCGK_ERR_MALFORMED);
    expect_result("<result status=\"200\" reason=\"ok\"/>", MCGK_ERR_MALFORMED);
    expect_result(RES "status=\"200\"/>", MCGK_ERR_MALFORMED);
    expect_result(RES "reason=\"ok\"/>", MCGK_ERR_MALFORMED);
    expect_result(RES "status=\"200\" reason=\"\"/>", MCGK_ERR_MALFORMED);
    expect_result(RES "status=\"99\" reason=\"x\"/>", MCGK_ERR_MALFORMED);
    expect_result(RES "status=\"700\" reason=\"x\"/>", MCGK_ERR_MALFORMED);
    expect_result(RES "status=\"+20\" reason=\"x\"/>", MCGK_ERR_MALFORMED);
    expect_result(RES "status=\"2000000\" reason=\"x\"/>", MCGK_ERR_MALFORMED);
    expect_result(RES "status=\"abc\" reason=\"x\"/>", MCGK_ERR_MALFORMED);
    expect_result(RES "status=\"200\" reason=\"x\" x=\"1\"/>", MCGK_ERR_MALFORMED);
    expect_result(RES "status=\"200\" reason=\"x\"><a/></result>", MCGK_ERR_MALFORMED);
    expect_result(RES "status=\"200\" reason=\"x\">text</result>", MCGK_ERR_MALFORMED);
    char s[1024];
    strcpy(s, RES "status=\"400\" reason=\"");
    memset(s + strlen(s), 'r', MCGK_GROUPDOC_REASON_MAX);
    s[strlen(RES "status=\"400\" reason=\"") + MCGK_GROUPDOC_REASON_MAX] = '\0';
    strcat(s, "\"/>");
    expect_result(s, MCGK_ERR_OVERSIZED);
    char *big = malloc(MCGK_GROUPDOC_MAX_LEN + 2);
    memset(big, ' ', MCGK_GROUPDOC_MAX_LEN + 1);
    big[MCGK_GROUPDOC_MAX_LEN + 1] = '\0';
    expect_result(big, MCGK_ERR_OVERSIZED);
    free(big);

    mcgk_groupdoc_result r = {200, "ok"};
    size_t n;
    CHECK_ERR(mcgk_groupdoc_result_parse(NULL, 0, &r), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_groupdoc_result_parse((const uint8_t *)"x", 1, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_groupdoc_result_encode(NULL, NULL, 0, &n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_groupdoc_result_encode(&r, NULL, 0, NULL), MCGK_ERR_INVALID_ARG);
    mcgk_groupdoc_result bad = {99, "x"};
    CHECK_ERR(mcgk_groupdoc_result_encode(&bad, NULL, 0, &n), MCGK_ERR_INVALID_ARG);
    bad.status = 700;
    CHECK_ERR(mcgk_groupdoc_result_encode(&bad, NULL, 0, &n), MCGK_ERR_INVALID_ARG);
    mcgk_groupdoc_result empty = {200, ""};
    CHECK_ERR(mcgk_groupdoc_result_encode(&empty, NULL, 0, &n), MCGK_ERR_INVALID_ARG);
}

int main(void)
{
    TEST_RUN(test_R_004_13_roundtrip_media_and_floor_control);
    TEST_RUN(test_parse_contract_example_and_defaults);
    TEST_RUN(test_parse_refusals_malformed);
    TEST_RUN(test_parse_refusals_base64_and_oversized);
    TEST_RUN(test_invalid_args);
    TEST_RUN(test_byte_flips);
    TEST_RUN(test_R_000_10_result_roundtrip_no_security_content);
    TEST_RUN(test_result_refusals);
    TEST_MAIN_END();
}
