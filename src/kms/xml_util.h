/*
 * kms/xml_util.h - the bounded libxml2 layer under the KMS interface codec
 * (internal). Parsing refuses DTDs, never loads anything, caps depth and
 * element count while parsing (SAX hooks stop the parser), and reports
 * each violation with its own code. libxml2 allocations are wiped on free.
 * Secrets: element text may be key material; callers wipe their copies.
 */
#ifndef MCGK_KMS_XML_UTIL_H
#define MCGK_KMS_XML_UTIL_H

#include <libxml/tree.h>
#include <stddef.h>
#include <stdint.h>

#include "mcgk/error.h"

/* One-time libxml2 setup (wiping allocators, no external entities). Idempotent. */
void mcgk_xml_init(void);

/*
 * Parse buf[0..len) (len <= max_len) into *doc (free with xmlFreeDoc).
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_OVERSIZED (len or element
 * count), MCGK_ERR_XML_DTD, MCGK_ERR_XML_DEPTH, MCGK_ERR_XML_SYNTAX,
 * MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_xml_parse(const uint8_t *buf, size_t len, size_t max_len, xmlDocPtr *doc);

/* 1 when n is an element in the KMS namespace named name. */
int mcgk_xml_is(const xmlNode *n, const char *name);

/*
 * Advance *cur to the next element child of parent (start with *cur = NULL).
 * Skips comments, processing instructions and whitespace-only text.
 * Returns MCGK_OK with *cur NULL at the end; MCGK_ERR_MALFORMED for
 * non-whitespace text among elements; MCGK_ERR_XML_NAMESPACE for an element
 * outside the KMS namespace.
 */
mcgk_err mcgk_xml_next(const xmlNode *parent, const xmlNode **cur);

/* Index of n's name in names[0..count) or MCGK_ERR_XML_UNKNOWN. */
mcgk_err mcgk_xml_index(const xmlNode *n, const char *const *names, size_t count, size_t *idx);

/*
 * The text of leaf element n, surrounding XML whitespace removed, into
 * out (cap includes the NUL). Returns MCGK_OK, MCGK_ERR_XML_UNKNOWN (an
 * element inside), MCGK_ERR_OVERSIZED (does not fit).
 */
mcgk_err mcgk_xml_text(const xmlNode *n, char *out, size_t cap);

/*
 * Attributes of n without a namespace must be in allowed[0..count)
 * (MCGK_ERR_XML_UNKNOWN otherwise); attributes in other namespaces are
 * ignored (xsi:, extensions).
 */
mcgk_err mcgk_xml_attrs(const xmlNode *n, const char *const *allowed, size_t count);

/* Value of no-namespace attribute name into out (cap incl. NUL); *present
 * says whether it is there. Returns MCGK_OK, MCGK_ERR_OVERSIZED. */
mcgk_err mcgk_xml_attr(const xmlNode *n, const char *name, char *out, size_t cap, int *present);

/* Value of xsi:type (local part after any prefix) into out; *present. */
mcgk_err mcgk_xml_xsi_type(const xmlNode *n, char *out, size_t cap, int *present);

/* Value parsers (strict). MCGK_ERR_MALFORMED when the text is not of the type. */
mcgk_err mcgk_xml_u64(const char *s, uint64_t *v);
mcgk_err mcgk_xml_i64(const char *s, int64_t *v);
mcgk_err mcgk_xml_bool(const char *s, int *v);

/* Writers. Each returns MCGK_ERR_MALFORMED for text XML cannot carry (not
 * UTF-8, control characters) and MCGK_ERR_NO_MEMORY. */
mcgk_err mcgk_xml_add_text(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text);
mcgk_err mcgk_xml_add_u64(xmlNodePtr parent, xmlNsPtr ns, const char *name, uint64_t v);
mcgk_err mcgk_xml_add_i64(xmlNodePtr parent, xmlNsPtr ns, const char *name, int64_t v);
mcgk_err mcgk_xml_add_hex(xmlNodePtr parent, xmlNsPtr ns, const char *name, const uint8_t *v,
                          size_t len);
mcgk_err mcgk_xml_add_time(xmlNodePtr parent, xmlNsPtr ns, const char *name, uint64_t unix_s);
mcgk_err mcgk_xml_set_attr(xmlNodePtr n, const char *name, const char *value);
/* 1 when s is valid UTF-8 without characters XML 1.0 forbids. */
int mcgk_xml_text_ok(const char *s);

/* Serialise doc (UTF-8, indented) into a malloc'ed buffer with a NUL;
 * libxml2's own buffer is wiped. Returns MCGK_OK, MCGK_ERR_NO_MEMORY. */
mcgk_err mcgk_xml_dump(xmlDocPtr doc, char **out, size_t *out_len);

#endif
