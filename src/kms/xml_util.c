/*
 * The bounded libxml2 layer of the KMS interface codec. See kms/xml_util.h.
 * Secrets: documents may carry RSK/SSK text; libxml2's heap blocks are
 * wiped before they are freed (wiping allocators installed once), local
 * copies are wiped by the callers.
 */
#include "kms/xml_util.h"

#include <inttypes.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlmemory.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/base.h"
#include "mcgk/kms.h"

#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"

/* ---- wiping allocators: key text must not stay in freed heap blocks ---- */

static void wipe_free(void *p)
{
    if (p == NULL)
        return;
    mcgk_wipe(p, malloc_usable_size(p));
    free(p);
}

static void *plain_malloc(size_t n) { return malloc(n); }

static void *wipe_realloc(void *p, size_t n)
{
    if (p == NULL)
        return malloc(n);
    if (n == 0) {
        wipe_free(p);
        return NULL;
    }
    size_t old = malloc_usable_size(p);
    void *q = malloc(n);
    if (q == NULL)
        return NULL;
    memcpy(q, p, old < n ? old : n);
    wipe_free(p);
    return q;
}

static char *plain_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

/* No external entity, DTD or XInclude is ever loaded. */
static xmlParserInputPtr no_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    (void)url;
    (void)id;
    (void)ctxt;
    return NULL;
}

static void silent_error(void *ctx, xmlErrorPtr err)
{
    (void)ctx;
    (void)err;
}

/* libxml2 reports some errors (e.g. encoding conversion) through its per-thread
 * generic handler, which prints to stderr by default: silence it. */
static void silent_generic(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void init_once(void)
{
    /* The wrappers sit on the same malloc as libxml2's defaults, so blocks
     * allocated before this point are still freed correctly. */
    xmlMemSetup(wipe_free, plain_malloc, wipe_realloc, plain_strdup);
    xmlInitParser();
    xmlSetExternalEntityLoader(no_loader);
    xmlThrDefSetGenericErrorFunc(NULL, silent_generic);
    xmlThrDefSetStructuredErrorFunc(NULL, silent_error);
}

void mcgk_xml_init(void) { pthread_once(&g_once, init_once); }

/* ---- the bounded parser ---- */

typedef struct guard {
    int depth;
    size_t elements;
    int too_deep;
    int too_many;
    int dtd;
    startElementNsSAX2Func start;
    endElementNsSAX2Func end;
} guard;

static void guard_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                        const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
                        int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
    xmlParserCtxtPtr p = ctx;
    guard *g = p->_private;
    g->depth++;
    g->elements++;
    if (g->depth > MCGK_KMS_XML_MAX_DEPTH) {
        g->too_deep = 1;
        xmlStopParser(p);
        return;
    }
    if (g->elements > MCGK_KMS_XML_MAX_ELEMENTS) {
        g->too_many = 1;
        xmlStopParser(p);
        return;
    }
    g->start(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
             nb_defaulted, attributes);
}

static void guard_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                      const xmlChar *uri)
{
    xmlParserCtxtPtr p = ctx;
    guard *g = p->_private;
    g->depth--;
    g->end(ctx, localname, prefix, uri);
}

static void guard_subset(void *ctx, const xmlChar *name, const xmlChar *ext_id,
                         const xmlChar *sys_id)
{
    (void)name;
    (void)ext_id;
    (void)sys_id;
    xmlParserCtxtPtr p = ctx;
    guard *g = p->_private;
    g->dtd = 1;
    xmlStopParser(p);
}

static void guard_entity(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                         const xmlChar *system_id, xmlChar *content)
{
    (void)name;
    (void)type;
    (void)public_id;
    (void)system_id;
    (void)content;
    xmlParserCtxtPtr p = ctx;
    guard *g = p->_private;
    g->dtd = 1;
    xmlStopParser(p);
}

mcgk_err mcgk_xml_parse(const uint8_t *buf, size_t len, size_t max_len, xmlDocPtr *doc)
{
    if (buf == NULL || doc == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (len > max_len || len > (size_t)INT32_MAX)
        return MCGK_ERR_OVERSIZED;
    if (len == 0)
        return MCGK_ERR_XML_SYNTAX;
    mcgk_xml_init();
    /* per thread (the defaults above only reach threads created later) */
    xmlSetGenericErrorFunc(NULL, silent_generic);
    xmlSetStructuredErrorFunc(NULL, silent_error);
    xmlParserCtxtPtr p = xmlCreateMemoryParserCtxt((const char *)buf, (int)len);
    if (p == NULL)
        return MCGK_ERR_NO_MEMORY;
    guard g;
    memset(&g, 0, sizeof g);
    g.start = p->sax->startElementNs;
    g.end = p->sax->endElementNs;
    p->_private = &g;
    p->sax->startElementNs = guard_start;
    p->sax->endElementNs = guard_end;
    p->sax->internalSubset = guard_subset;
    p->sax->externalSubset = guard_subset;
    p->sax->entityDecl = guard_entity;
    p->sax->serror = silent_error;
    p->sax->error = NULL;
    p->sax->warning = NULL;
    p->sax->fatalError = NULL;
    xmlCtxtUseOptions(p, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                             XML_PARSE_NOCDATA);
    /* belt and braces: the options above must not have re-enabled these */
    p->replaceEntities = 0;
    p->loadsubset = 0;
    p->validate = 0;
    xmlParseDocument(p);
    mcgk_err e = MCGK_OK;
    if (g.dtd)
        e = MCGK_ERR_XML_DTD;
    else if (g.too_deep)
        e = MCGK_ERR_XML_DEPTH;
    else if (g.too_many)
        e = MCGK_ERR_OVERSIZED;
    else if (!p->wellFormed || p->myDoc == NULL)
        e = MCGK_ERR_XML_SYNTAX;
    else if (p->myDoc->intSubset != NULL || p->myDoc->extSubset != NULL)
        e = MCGK_ERR_XML_DTD;
    if (e == MCGK_OK) {
        *doc = p->myDoc;
    } else if (p->myDoc != NULL) {
        xmlFreeDoc(p->myDoc);
    }
    p->myDoc = NULL;
    xmlFreeParserCtxt(p);
    return e;
}

/* ---- walking the tree ---- */

static int is_xml_space(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static int all_space(const xmlChar *s)
{
    if (s == NULL)
        return 1;
    for (; *s; s++)
        if (!is_xml_space(*s))
            return 0;
    return 1;
}

static int in_kms_ns(const xmlNode *n)
{
    return n->ns != NULL && n->ns->href != NULL &&
           strcmp((const char *)n->ns->href, MCGK_KMS_NS) == 0;
}

int mcgk_xml_is(const xmlNode *n, const char *name)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && in_kms_ns(n) &&
           strcmp((const char *)n->name, name) == 0;
}

mcgk_err mcgk_xml_next(const xmlNode *parent, const xmlNode **cur)
{
    const xmlNode *n = *cur == NULL ? parent->children : (*cur)->next;
    for (; n != NULL; n = n->next) {
        switch (n->type) {
        case XML_ELEMENT_NODE:
            if (!in_kms_ns(n))
                return MCGK_ERR_XML_NAMESPACE;
            *cur = n;
            return MCGK_OK;
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if (!all_space(n->content))
                return MCGK_ERR_MALFORMED;
            break;
        case XML_COMMENT_NODE:
        case XML_PI_NODE:
            break;
        default:
            return MCGK_ERR_MALFORMED;
        }
    }
    *cur = NULL;
    return MCGK_OK;
}

mcgk_err mcgk_xml_index(const xmlNode *n, const char *const *names, size_t count, size_t *idx)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp((const char *)n->name, names[i]) == 0) {
            *idx = i;
            return MCGK_OK;
        }
    }
    return MCGK_ERR_XML_UNKNOWN;
}

mcgk_err mcgk_xml_text(const xmlNode *n, char *out, size_t cap)
{
    if (cap == 0)
        return MCGK_ERR_OVERSIZED;
    /* first pass: check the children and measure */
    size_t total = 0;
    for (const xmlNode *c = n->children; c != NULL; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            if (c->content != NULL)
                total += strlen((const char *)c->content);
        } else if (c->type == XML_ELEMENT_NODE) {
            return MCGK_ERR_XML_UNKNOWN;
        } else if (c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE) {
            return MCGK_ERR_MALFORMED;
        }
    }
    /* second pass: copy, trimming the ends (a bounded scratch copy first) */
    char *tmp = malloc(total + 1);
    if (tmp == NULL)
        return MCGK_ERR_NO_MEMORY;
    size_t o = 0;
    for (const xmlNode *c = n->children; c != NULL; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            size_t l = strlen((const char *)c->content);
            memcpy(tmp + o, c->content, l);
            o += l;
        }
    }
    tmp[o] = '\0';
    size_t b = 0, e = o;
    while (b < e && is_xml_space((unsigned char)tmp[b]))
        b++;
    while (e > b && is_xml_space((unsigned char)tmp[e - 1]))
        e--;
    mcgk_err r = MCGK_OK;
    if (e - b >= cap) {
        r = MCGK_ERR_OVERSIZED;
    } else {
        memcpy(out, tmp + b, e - b);
        out[e - b] = '\0';
    }
    mcgk_wipe(tmp, total + 1);
    free(tmp);
    return r;
}

mcgk_err mcgk_xml_attrs(const xmlNode *n, const char *const *allowed, size_t count)
{
    for (const xmlAttr *a = n->properties; a != NULL; a = a->next) {
        if (a->ns != NULL)
            continue; /* xsi:type and foreign extensions */
        size_t i;
        for (i = 0; i < count; i++)
            if (strcmp((const char *)a->name, allowed[i]) == 0)
                break;
        if (i == count)
            return MCGK_ERR_XML_UNKNOWN;
    }
    return MCGK_OK;
}

static mcgk_err attr_value(const xmlAttr *a, char *out, size_t cap)
{
    size_t o = 0;
    for (const xmlNode *c = a->children; c != NULL; c = c->next) {
        if (c->type != XML_TEXT_NODE || c->content == NULL)
            continue;
        size_t l = strlen((const char *)c->content);
        if (o + l >= cap)
            return MCGK_ERR_OVERSIZED;
        memcpy(out + o, c->content, l);
        o += l;
    }
    out[o] = '\0';
    /* trim */
    size_t b = 0;
    while (out[b] && is_xml_space((unsigned char)out[b]))
        b++;
    size_t e = strlen(out);
    while (e > b && is_xml_space((unsigned char)out[e - 1]))
        e--;
    memmove(out, out + b, e - b);
    out[e - b] = '\0';
    return MCGK_OK;
}

mcgk_err mcgk_xml_attr(const xmlNode *n, const char *name, char *out, size_t cap, int *present)
{
    for (const xmlAttr *a = n->properties; a != NULL; a = a->next) {
        if (a->ns == NULL && strcmp((const char *)a->name, name) == 0) {
            mcgk_err e = attr_value(a, out, cap);
            if (e != MCGK_OK)
                return e;
            *present = 1;
            return MCGK_OK;
        }
    }
    *present = 0;
    return MCGK_OK;
}

mcgk_err mcgk_xml_xsi_type(const xmlNode *n, char *out, size_t cap, int *present)
{
    for (const xmlAttr *a = n->properties; a != NULL; a = a->next) {
        if (a->ns != NULL && a->ns->href != NULL &&
            strcmp((const char *)a->ns->href, XSI_NS) == 0 &&
            strcmp((const char *)a->name, "type") == 0) {
            mcgk_err e = attr_value(a, out, cap);
            if (e != MCGK_OK)
                return e;
            char *colon = strchr(out, ':');
            if (colon != NULL)
                memmove(out, colon + 1, strlen(colon + 1) + 1);
            *present = 1;
            return MCGK_OK;
        }
    }
    *present = 0;
    return MCGK_OK;
}

/* ---- value parsers ---- */

mcgk_err mcgk_xml_u64(const char *s, uint64_t *v)
{
    const char *p = s;
    if (*p == '+')
        p++;
    if (*p == '\0')
        return MCGK_ERR_MALFORMED;
    uint64_t x = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return MCGK_ERR_MALFORMED;
        unsigned d = (unsigned)(*p - '0');
        if (x > (UINT64_MAX - d) / 10)
            return MCGK_ERR_MALFORMED;
        x = x * 10 + d;
    }
    *v = x;
    return MCGK_OK;
}

mcgk_err mcgk_xml_i64(const char *s, int64_t *v)
{
    int neg = s[0] == '-';
    uint64_t m = 0;
    mcgk_err e = mcgk_xml_u64(neg ? s + 1 : s, &m);
    if (e != MCGK_OK || (neg && s[1] == '+'))
        return MCGK_ERR_MALFORMED;
    if (neg) {
        if (m > (uint64_t)INT64_MAX + 1)
            return MCGK_ERR_MALFORMED;
        *v = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
    } else {
        if (m > (uint64_t)INT64_MAX)
            return MCGK_ERR_MALFORMED;
        *v = (int64_t)m;
    }
    return MCGK_OK;
}

mcgk_err mcgk_xml_bool(const char *s, int *v)
{
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0) {
        *v = 1;
        return MCGK_OK;
    }
    if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0) {
        *v = 0;
        return MCGK_OK;
    }
    return MCGK_ERR_MALFORMED;
}

/* ---- writers ---- */

int mcgk_xml_text_ok(const char *s)
{
    if (s == NULL)
        return 0;
    size_t n = strlen(s);
    if (n > (size_t)INT32_MAX)
        return 0;
    int len = (int)n;
    if (xmlCheckUTF8((const unsigned char *)s) == 0)
        return 0;
    for (int i = 0; i < len;) {
        int l = len - i;
        int c = xmlGetUTF8Char((const unsigned char *)s + i, &l);
        if (c < 0 || l <= 0)
            return 0;
        /* XML 1.0 Char production */
        if (!(c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
              (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF)))
            return 0;
        i += l;
    }
    return 1;
}

mcgk_err mcgk_xml_add_text(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
    if (!mcgk_xml_text_ok(text))
        return MCGK_ERR_MALFORMED;
    /* xmlNewTextChild escapes &, < and > */
    xmlNodePtr c = xmlNewTextChild(parent, ns, (const xmlChar *)name, (const xmlChar *)text);
    return c == NULL ? MCGK_ERR_NO_MEMORY : MCGK_OK;
}

mcgk_err mcgk_xml_add_u64(xmlNodePtr parent, xmlNsPtr ns, const char *name, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return mcgk_xml_add_text(parent, ns, name, buf);
}

mcgk_err mcgk_xml_add_i64(xmlNodePtr parent, xmlNsPtr ns, const char *name, int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    return mcgk_xml_add_text(parent, ns, name, buf);
}

mcgk_err mcgk_xml_add_hex(xmlNodePtr parent, xmlNsPtr ns, const char *name, const uint8_t *v,
                          size_t len)
{
    size_t cap = 2 * len + 1;
    char *hex = malloc(cap);
    if (hex == NULL)
        return MCGK_ERR_NO_MEMORY;
    mcgk_err e = mcgk_hex_encode(v, len, hex, cap);
    if (e == MCGK_OK)
        e = mcgk_xml_add_text(parent, ns, name, hex);
    mcgk_wipe(hex, cap);
    free(hex);
    return e;
}

mcgk_err mcgk_xml_add_time(xmlNodePtr parent, xmlNsPtr ns, const char *name, uint64_t unix_s)
{
    char buf[MCGK_KMS_DATETIME_LEN];
    mcgk_err e = mcgk_xsd_datetime_format(unix_s, buf);
    if (e != MCGK_OK)
        return MCGK_ERR_MALFORMED;
    return mcgk_xml_add_text(parent, ns, name, buf);
}

mcgk_err mcgk_xml_set_attr(xmlNodePtr n, const char *name, const char *value)
{
    if (!mcgk_xml_text_ok(value))
        return MCGK_ERR_MALFORMED;
    return xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)value) == NULL
               ? MCGK_ERR_NO_MEMORY
               : MCGK_OK;
}

mcgk_err mcgk_xml_dump(xmlDocPtr doc, char **out, size_t *out_len)
{
    xmlChar *mem = NULL;
    int size = 0;
    xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
    if (mem == NULL || size <= 0)
        return MCGK_ERR_NO_MEMORY;
    char *buf = malloc((size_t)size + 1);
    if (buf == NULL) {
        mcgk_wipe(mem, (size_t)size);
        xmlFree(mem);
        return MCGK_ERR_NO_MEMORY;
    }
    memcpy(buf, mem, (size_t)size);
    buf[size] = '\0';
    mcgk_wipe(mem, (size_t)size);
    xmlFree(mem);
    *out = buf;
    *out_len = (size_t)size;
    return MCGK_OK;
}
