/*
 * mcgk/group_doc.h - the group configuration document that carries a
 * member's GMK I_MESSAGE(s) from the GMS to the client (SIP NOTIFY body and
 * HTTPS GET response), and the client's result document for the HTTPS pull.
 * Format and rules: docs/gms-protocol.md (a design decision; TS 24.481's own
 * schema is not in the spec digest).
 *
 * Pure functions over bytes (no I/O). Parsing is bounded and total: size
 * <= MCGK_GROUPDOC_MAX_LEN, depth <= 4, no DTD or entities, unknown elements
 * or attributes refused; a failed parse leaves *out untouched. The
 * I_MESSAGEs are base64 in the XML and binary in the struct. Nothing here is
 * secret (the keys are encrypted inside the I_MESSAGEs).
 */
#ifndef MCGK_GROUP_DOC_H
#define MCGK_GROUP_DOC_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MCGK_GROUPDOC_NS "urn:mcgk:params:xml:ns:group-config"
#define MCGK_GROUPDOC_MAX_LEN 65536
#define MCGK_GROUPDOC_MAX_GROUPS 16
#define MCGK_GROUPDOC_MAX_GMKS 4
#define MCGK_GROUPDOC_URI_MAX 512     /* with the NUL */
#define MCGK_GROUPDOC_NAME_MAX 128    /* with the NUL */
#define MCGK_GROUPDOC_MSG_MAX 4096    /* one binary I_MESSAGE */
#define MCGK_GROUPDOC_REASON_MAX 128  /* with the NUL */

typedef enum mcgk_gmk_use {
    MCGK_GMK_USE_MEDIA = 0,         /* use="media" (default) */
    MCGK_GMK_USE_FLOOR_CONTROL = 1  /* use="floor-control" (seed 004, UNCONFIRMED marker) */
} mcgk_gmk_use;

typedef struct mcgk_groupdoc_group {
    char id[MCGK_GROUPDOC_URI_MAX];    /* MC group ID */
    char gms[MCGK_GROUPDOC_URI_MAX];   /* the GMS that manages it */
    char name[MCGK_GROUPDOC_NAME_MAX]; /* display name, "" when absent */
    int removed;                       /* state="removed" (1) or "member" (0) */
} mcgk_groupdoc_group;

typedef struct mcgk_groupdoc_gmk {
    mcgk_gmk_use use;
    size_t msg_len;
    uint8_t msg[MCGK_GROUPDOC_MSG_MAX]; /* the binary I_MESSAGE */
} mcgk_groupdoc_gmk;

typedef struct mcgk_groupdoc {
    uint64_t seq; /* per-member sequence number */
    size_t n_groups;
    mcgk_groupdoc_group groups[MCGK_GROUPDOC_MAX_GROUPS];
    size_t n_gmks;
    mcgk_groupdoc_gmk gmks[MCGK_GROUPDOC_MAX_GMKS];
} mcgk_groupdoc;

/*
 * Parse a document. Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_OVERSIZED,
 * MCGK_ERR_MALFORMED (not XML, wrong namespace/root/version, unknown element or
 * attribute, bad state/use/seq, a group without id or gms, no group at all),
 * MCGK_ERR_BASE64, and MCGK_ERR_OVERSIZED for too many groups/gmks, an
 * attribute over its field, or an I_MESSAGE over MCGK_GROUPDOC_MSG_MAX;
 * MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_groupdoc_parse(const uint8_t *xml, size_t len, mcgk_groupdoc *out);

/*
 * Encode into out[0..out_cap) (NUL-terminated); *out_len = length without the
 * NUL. out == NULL asks for the length. Returns MCGK_OK, MCGK_ERR_INVALID_ARG
 * (counts over the caps, empty id/gms), MCGK_ERR_BUFFER_TOO_SMALL.
 */
mcgk_err mcgk_groupdoc_encode(const mcgk_groupdoc *doc, char *out, size_t out_cap,
                              size_t *out_len);

/* The client's result for an HTTPS pull: <result status="200" reason="ok"/>. */
typedef struct mcgk_groupdoc_result {
    unsigned status;                       /* 200, or the mcgk_gmk_reply status */
    char reason[MCGK_GROUPDOC_REASON_MAX]; /* "ok" or the mcgk error name */
} mcgk_groupdoc_result;

/* Parse: MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_OVERSIZED (document or
 * reason too long), MCGK_ERR_MALFORMED (not XML, wrong root/namespace,
 * unknown attribute, status not 100..699, reason missing/empty),
 * MCGK_ERR_NO_MEMORY. Encode: MCGK_OK, MCGK_ERR_INVALID_ARG (status out of
 * range, empty reason), MCGK_ERR_BUFFER_TOO_SMALL; out == NULL measures. */
mcgk_err mcgk_groupdoc_result_parse(const uint8_t *xml, size_t len, mcgk_groupdoc_result *out);
mcgk_err mcgk_groupdoc_result_encode(const mcgk_groupdoc_result *r, char *out, size_t out_cap,
                                     size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
