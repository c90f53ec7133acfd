/*
 * The group configuration document (GMS -> client, SIP NOTIFY body and
 * HTTPS GET response) and the client's result document (HTTPS POST).
 * Format: docs/gms-protocol.md (mcgk's design, shaped after TS 24.481's
 * group configuration; TS 33.180 §5.2.2 'Notify group configuration request'
 * carries the GMK I_MESSAGEs). Contract: see mcgk/group_doc.h.
 *
 * Parsing goes through the bounded libxml2 layer (kms/xml_util.h: no DTD,
 * no entities, no network, depth and element caps), then a strict walk:
 * every element and attribute is known, every value checked. Encoding is
 * written by hand (attribute escaping, one line per element) so it is fast
 * for a GMS that builds one document per member.
 *
 * Nothing here is secret: the GMKs travel encrypted inside the I_MESSAGEs.
 */
#include "mcgk/group_doc.h"

#include <inttypes.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kms/xml_util.h"
#include "mcgk/base64.h"

/* base64 text of the largest I_MESSAGE, with the NUL */
#define GMK_TEXT_CAP (((MCGK_GROUPDOC_MSG_MAX + 2) / 3) * 4 + 1)
/* depth bound of docs/gms-protocol.md (the format itself only needs 2) */
#define GROUPDOC_MAX_DEPTH 4

/* ---- parsing ---- */

/* Every failure of the XML layer is a malformed document to our callers,
 * except the size bound and memory. */
static mcgk_err map_xml_err(mcgk_err e)
{
    switch (e) {
    case MCGK_OK:
    case MCGK_ERR_OVERSIZED:
    case MCGK_ERR_NO_MEMORY:
    case MCGK_ERR_INVALID_ARG:
        return e;
    default:
        return MCGK_ERR_MALFORMED;
    }
}

static int in_ns(const xmlNode *n)
{
    return n->ns != NULL && n->ns->href != NULL &&
           strcmp((const char *)n->ns->href, MCGK_GROUPDOC_NS) == 0;
}

static int is_space_text(const xmlChar *s)
{
    if (s == NULL)
        return 1;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return 0;
    return 1;
}

/* Next element child of parent in our namespace (start with *cur = NULL);
 * *cur = NULL at the end. Anything else that is not whitespace, a comment or
 * a PI is refused. */
static mcgk_err next_child(const xmlNode *parent, const xmlNode **cur)
{
    const xmlNode *n = *cur == NULL ? parent->children : (*cur)->next;
    for (; n != NULL; n = n->next) {
        switch (n->type) {
        case XML_ELEMENT_NODE:
            if (!in_ns(n))
                return MCGK_ERR_MALFORMED;
            *cur = n;
            return MCGK_OK;
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if (!is_space_text(n->content))
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

/* The depth of the element tree under n (n itself counts 1). */
static int depth_of(const xmlNode *n, int limit)
{
    int best = 0;
    for (const xmlNode *c = n->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (limit <= 1)
            return limit + 1; /* already too deep: stop walking */
        int d = depth_of(c, limit - 1);
        if (d > best)
            best = d;
    }
    return best + 1;
}

/* No attribute in a namespace is allowed in this format (unlike the KMS
 * documents, which carry xsi:type). */
static mcgk_err check_attrs(const xmlNode *n, const char *const *allowed, size_t count)
{
    for (const xmlAttr *a = n->properties; a != NULL; a = a->next)
        if (a->ns != NULL)
            return MCGK_ERR_MALFORMED;
    mcgk_err e = mcgk_xml_attrs(n, allowed, count);
    return e == MCGK_OK ? MCGK_OK : MCGK_ERR_MALFORMED;
}

/* A required, non-empty attribute (MALFORMED if absent or empty,
 * OVERSIZED if over cap). */
static mcgk_err req_attr(const xmlNode *n, const char *name, char *out, size_t cap)
{
    int present = 0;
    mcgk_err e = mcgk_xml_attr(n, name, out, cap, &present);
    if (e != MCGK_OK)
        return e;
    if (!present || out[0] == '\0')
        return MCGK_ERR_MALFORMED;
    return MCGK_OK;
}

static mcgk_err parse_group(const xmlNode *n, mcgk_groupdoc_group *g)
{
    static const char *const k_attrs[] = {"id", "gms", "state", "name"};
    mcgk_err e = check_attrs(n, k_attrs, sizeof k_attrs / sizeof k_attrs[0]);
    if (e != MCGK_OK)
        return e;
    const xmlNode *c = NULL;
    if ((e = next_child(n, &c)) != MCGK_OK)
        return e;
    if (c != NULL)
        return MCGK_ERR_MALFORMED; /* <group> is empty */
    if ((e = req_attr(n, "id", g->id, sizeof g->id)) != MCGK_OK)
        return e;
    if ((e = req_attr(n, "gms", g->gms, sizeof g->gms)) != MCGK_OK)
        return e;
    char state[16];
    int present = 0;
    e = mcgk_xml_attr(n, "state", state, sizeof state, &present);
    if (e == MCGK_ERR_OVERSIZED)
        return MCGK_ERR_MALFORMED; /* no state value is that long */
    if (e != MCGK_OK)
        return e;
    if (!present || strcmp(state, "member") == 0)
        g->removed = 0;
    else if (strcmp(state, "removed") == 0)
        g->removed = 1;
    else
        return MCGK_ERR_MALFORMED;
    e = mcgk_xml_attr(n, "name", g->name, sizeof g->name, &present);
    if (e != MCGK_OK)
        return e;
    if (!present)
        g->name[0] = '\0';
    return MCGK_OK;
}

static mcgk_err parse_gmk(const xmlNode *n, mcgk_groupdoc_gmk *k, char *text)
{
    static const char *const k_attrs[] = {"use"};
    mcgk_err e = check_attrs(n, k_attrs, 1);
    if (e != MCGK_OK)
        return e;
    char use[16];
    int present = 0;
    e = mcgk_xml_attr(n, "use", use, sizeof use, &present);
    if (e == MCGK_ERR_OVERSIZED)
        return MCGK_ERR_MALFORMED;
    if (e != MCGK_OK)
        return e;
    if (!present || strcmp(use, "media") == 0)
        k->use = MCGK_GMK_USE_MEDIA;
    else if (strcmp(use, "floor-control") == 0)
        k->use = MCGK_GMK_USE_FLOOR_CONTROL;
    else
        return MCGK_ERR_MALFORMED;
    e = mcgk_xml_text(n, text, GMK_TEXT_CAP);
    if (e == MCGK_ERR_XML_UNKNOWN || e == MCGK_ERR_MALFORMED)
        return MCGK_ERR_MALFORMED;
    if (e != MCGK_OK)
        return e; /* OVERSIZED: an I_MESSAGE over the bound; NO_MEMORY */
    size_t tl = strlen(text);
    if (tl == 0)
        return MCGK_ERR_MALFORMED;
    size_t need = 0;
    e = mcgk_base64_decode(text, tl, 0, NULL, 0, &need);
    if (e != MCGK_OK)
        return MCGK_ERR_BASE64;
    if (need > MCGK_GROUPDOC_MSG_MAX)
        return MCGK_ERR_OVERSIZED;
    e = mcgk_base64_decode(text, tl, 0, k->msg, sizeof k->msg, &k->msg_len);
    if (e != MCGK_OK)
        return MCGK_ERR_BASE64;
    if (k->msg_len == 0)
        return MCGK_ERR_MALFORMED;
    return MCGK_OK;
}

/* The one root check shared by both documents: element name, namespace,
 * no text, bounded depth. */
static mcgk_err check_root(const xmlNode *root, const char *name)
{
    if (root == NULL || root->type != XML_ELEMENT_NODE || !in_ns(root) ||
        strcmp((const char *)root->name, name) != 0)
        return MCGK_ERR_MALFORMED;
    if (depth_of(root, GROUPDOC_MAX_DEPTH) > GROUPDOC_MAX_DEPTH)
        return MCGK_ERR_MALFORMED;
    return MCGK_OK;
}

static mcgk_err parse_doc(const xmlNode *root, mcgk_groupdoc *d, char *text)
{
    mcgk_err e = check_root(root, "group-config");
    if (e != MCGK_OK)
        return e;
    static const char *const k_attrs[] = {"version", "seq"};
    if ((e = check_attrs(root, k_attrs, 2)) != MCGK_OK)
        return e;
    char v[24];
    if ((e = req_attr(root, "version", v, sizeof v)) != MCGK_OK)
        return e == MCGK_ERR_OVERSIZED ? MCGK_ERR_MALFORMED : e;
    if (strcmp(v, "1") != 0)
        return MCGK_ERR_MALFORMED;
    if ((e = req_attr(root, "seq", v, sizeof v)) != MCGK_OK)
        return e == MCGK_ERR_OVERSIZED ? MCGK_ERR_MALFORMED : e;
    if (v[0] == '+' || mcgk_xml_u64(v, &d->seq) != MCGK_OK)
        return MCGK_ERR_MALFORMED;
    d->n_groups = 0;
    d->n_gmks = 0;
    const xmlNode *c = NULL;
    for (;;) {
        if ((e = next_child(root, &c)) != MCGK_OK)
            return e;
        if (c == NULL)
            break;
        if (strcmp((const char *)c->name, "group") == 0) {
            if (d->n_groups == MCGK_GROUPDOC_MAX_GROUPS)
                return MCGK_ERR_OVERSIZED;
            mcgk_groupdoc_group *g = &d->groups[d->n_groups];
            if ((e = parse_group(c, g)) != MCGK_OK)
                return e;
            for (size_t i = 0; i < d->n_groups; i++)
                if (strcmp(d->groups[i].id, g->id) == 0)
                    return MCGK_ERR_MALFORMED; /* one entry per group */
            d->n_groups++;
        } else if (strcmp((const char *)c->name, "gmk") == 0) {
            if (d->n_gmks == MCGK_GROUPDOC_MAX_GMKS)
                return MCGK_ERR_OVERSIZED;
            if ((e = parse_gmk(c, &d->gmks[d->n_gmks], text)) != MCGK_OK)
                return e;
            d->n_gmks++;
        } else {
            return MCGK_ERR_MALFORMED;
        }
    }
    if (d->n_groups == 0)
        return MCGK_ERR_MALFORMED;
    return MCGK_OK;
}

mcgk_err mcgk_groupdoc_parse(const uint8_t *xml, size_t len, mcgk_groupdoc *out)
{
    if (xml == NULL || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (len > MCGK_GROUPDOC_MAX_LEN)
        return MCGK_ERR_OVERSIZED;
    xmlDocPtr doc = NULL;
    mcgk_err e = map_xml_err(mcgk_xml_parse(xml, len, MCGK_GROUPDOC_MAX_LEN, &doc));
    if (e != MCGK_OK)
        return e;
    /* the struct is ~20 KiB: build on the heap, commit on success only */
    mcgk_groupdoc *tmp = malloc(sizeof *tmp);
    char *text = malloc(GMK_TEXT_CAP);
    if (tmp == NULL || text == NULL) {
        e = MCGK_ERR_NO_MEMORY;
    } else {
        memset(tmp, 0, sizeof *tmp);
        e = parse_doc(xmlDocGetRootElement(doc), tmp, text);
        if (e == MCGK_OK)
            memcpy(out, tmp, sizeof *tmp);
    }
    free(text);
    free(tmp);
    xmlFreeDoc(doc);
    return e;
}

mcgk_err mcgk_groupdoc_result_parse(const uint8_t *xml, size_t len, mcgk_groupdoc_result *out)
{
    if (xml == NULL || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (len > MCGK_GROUPDOC_MAX_LEN)
        return MCGK_ERR_OVERSIZED;
    xmlDocPtr doc = NULL;
    mcgk_err e = map_xml_err(mcgk_xml_parse(xml, len, MCGK_GROUPDOC_MAX_LEN, &doc));
    if (e != MCGK_OK)
        return e;
    mcgk_groupdoc_result r;
    memset(&r, 0, sizeof r);
    const xmlNode *root = xmlDocGetRootElement(doc);
    static const char *const k_attrs[] = {"status", "reason"};
    char st[8];
    const xmlNode *c = NULL;
    uint64_t status = 0;
    if ((e = check_root(root, "result")) != MCGK_OK)
        goto out;
    if ((e = check_attrs(root, k_attrs, 2)) != MCGK_OK)
        goto out;
    if ((e = next_child(root, &c)) != MCGK_OK)
        goto out;
    if (c != NULL) {
        e = MCGK_ERR_MALFORMED;
        goto out;
    }
    e = req_attr(root, "status", st, sizeof st);
    if (e == MCGK_ERR_OVERSIZED)
        e = MCGK_ERR_MALFORMED;
    if (e != MCGK_OK)
        goto out;
    if (strlen(st) != 3 || st[0] == '+' || mcgk_xml_u64(st, &status) != MCGK_OK ||
        status < 100 || status > 699) {
        e = MCGK_ERR_MALFORMED;
        goto out;
    }
    r.status = (unsigned)status;
    if ((e = req_attr(root, "reason", r.reason, sizeof r.reason)) != MCGK_OK)
        goto out;
    *out = r;
out:
    xmlFreeDoc(doc);
    return e;
}

/* ---- encoding ---- */

/* A writer that counts past the end, so out == NULL measures. */
typedef struct wr {
    char *buf;
    size_t cap;
    size_t pos;
} wr;

static void put(wr *w, const char *s, size_t n)
{
    if (w->buf != NULL && w->pos + n < w->cap)
        memcpy(w->buf + w->pos, s, n);
    w->pos += n;
}

static void puts_(wr *w, const char *s) { put(w, s, strlen(s)); }

/* An attribute value with the XML specials escaped. */
static void put_attr(wr *w, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': puts_(w, "&amp;"); break;
        case '<': puts_(w, "&lt;"); break;
        case '>': puts_(w, "&gt;"); break;
        case '"': puts_(w, "&quot;"); break;
        case '\t': puts_(w, "&#9;"); break;
        case '\n': puts_(w, "&#10;"); break;
        case '\r': puts_(w, "&#13;"); break;
        default: put(w, s, 1); break;
        }
    }
}

/* A string field fits its array (NUL within cap) and is text XML can carry. */
static int field_ok(const char *s, size_t cap, int may_be_empty)
{
    size_t n = strnlen(s, cap);
    if (n == cap || (n == 0 && !may_be_empty))
        return 0;
    return mcgk_xml_text_ok(s);
}

static mcgk_err finish(wr *w, char *out, size_t out_cap, size_t *out_len)
{
    *out_len = w->pos;
    if (out == NULL)
        return MCGK_OK;
    if (w->pos >= out_cap)
        return MCGK_ERR_BUFFER_TOO_SMALL;
    out[w->pos] = '\0';
    return MCGK_OK;
}

mcgk_err mcgk_groupdoc_encode(const mcgk_groupdoc *doc, char *out, size_t out_cap,
                              size_t *out_len)
{
    if (doc == NULL || out_len == NULL || (out != NULL && out_cap == 0))
        return MCGK_ERR_INVALID_ARG;
    if (doc->n_groups == 0 || doc->n_groups > MCGK_GROUPDOC_MAX_GROUPS ||
        doc->n_gmks > MCGK_GROUPDOC_MAX_GMKS)
        return MCGK_ERR_INVALID_ARG;
    for (size_t i = 0; i < doc->n_groups; i++) {
        const mcgk_groupdoc_group *g = &doc->groups[i];
        if (!field_ok(g->id, sizeof g->id, 0) || !field_ok(g->gms, sizeof g->gms, 0) ||
            !field_ok(g->name, sizeof g->name, 1))
            return MCGK_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < doc->n_gmks; i++) {
        const mcgk_groupdoc_gmk *k = &doc->gmks[i];
        if (k->msg_len == 0 || k->msg_len > MCGK_GROUPDOC_MSG_MAX ||
            (k->use != MCGK_GMK_USE_MEDIA && k->use != MCGK_GMK_USE_FLOOR_CONTROL))
            return MCGK_ERR_INVALID_ARG;
    }
    wr w = {out, out_cap, 0};
    char num[32];
    puts_(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<group-config xmlns=\"" MCGK_GROUPDOC_NS
              "\" version=\"1\" seq=\"");
    snprintf(num, sizeof num, "%" PRIu64, doc->seq);
    puts_(&w, num);
    puts_(&w, "\">\n");
    for (size_t i = 0; i < doc->n_groups; i++) {
        const mcgk_groupdoc_group *g = &doc->groups[i];
        puts_(&w, "  <group id=\"");
        put_attr(&w, g->id);
        puts_(&w, "\" gms=\"");
        put_attr(&w, g->gms);
        puts_(&w, g->removed ? "\" state=\"removed\"" : "\" state=\"member\"");
        if (g->name[0] != '\0') {
            puts_(&w, " name=\"");
            put_attr(&w, g->name);
            puts_(&w, "\"");
        }
        puts_(&w, "/>\n");
    }
    for (size_t i = 0; i < doc->n_gmks; i++) {
        const mcgk_groupdoc_gmk *k = &doc->gmks[i];
        puts_(&w, k->use == MCGK_GMK_USE_FLOOR_CONTROL ? "  <gmk use=\"floor-control\">"
                                                       : "  <gmk use=\"media\">");
        size_t b64 = mcgk_base64_encoded_len(k->msg_len);
        if (w.buf != NULL && w.pos + b64 < w.cap) {
            size_t got = 0;
            mcgk_err e = mcgk_base64_encode(k->msg, k->msg_len, w.buf + w.pos, w.cap - w.pos,
                                            &got);
            if (e != MCGK_OK)
                return e;
        }
        w.pos += b64;
        puts_(&w, "</gmk>\n");
    }
    puts_(&w, "</group-config>\n");
    return finish(&w, out, out_cap, out_len);
}

mcgk_err mcgk_groupdoc_result_encode(const mcgk_groupdoc_result *r, char *out, size_t out_cap,
                                     size_t *out_len)
{
    if (r == NULL || out_len == NULL || (out != NULL && out_cap == 0))
        return MCGK_ERR_INVALID_ARG;
    if (r->status < 100 || r->status > 699 || !field_ok(r->reason, sizeof r->reason, 0))
        return MCGK_ERR_INVALID_ARG;
    wr w = {out, out_cap, 0};
    char num[16];
    snprintf(num, sizeof num, "%u", r->status);
    puts_(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<result xmlns=\"" MCGK_GROUPDOC_NS
              "\" status=\"");
    puts_(&w, num);
    puts_(&w, "\" reason=\"");
    put_attr(&w, r->reason);
    puts_(&w, "\"/>\n");
    return finish(&w, out, out_cap, out_len);
}
