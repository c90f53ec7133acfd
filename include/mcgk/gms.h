/*
 * mcgk/gms.h - the Group Management Server's decisions, sans I/O: names
 * and bounds, fresh GMKs for a rotation, the key parameters a GMK carries,
 * which GMKs are current for a group, the delivery state machine of one
 * (job, member) with retries and exponential backoff, the per-member group
 * configuration document, and the parsing of the HTTPS pull requests.
 *
 * Spec: TS 33.180 §5.2.1 (GMS creates the GMK, distributes it per member),
 * §5.2.4 / E.6 (key parameters: activation, expiry, status, text, group
 * IDs), §5.7 (SIP push, HTTP pull; revocation by SIP only); seed
 * requirements R-001-06 (one GMK for several groups), R-001-24 (rotate on
 * removal per the group's profile), R-001-27/28/31 (a member gets the GMK
 * only once authorised), R-003-34/35 (revocation), R-004-12/13 (media +
 * floor-control pair in one procedure), R-004-16 (a partner GMS is a member).
 * The protocol between GMS and client: docs/gms-protocol.md.
 *
 * Vocabulary. A job is one procedure of the GMS: a rotation (one GMK, or a
 * media + floor-control pair, for one or more groups), a revocation, an
 * added member, a removed member. Each job has one delivery per member it
 * concerns: the state machine below, kept in the store
 * (store/gms_store.h) in the same transaction as the job.
 *
 * Secrets: generated GMKs (mcgk_gms_new_gmk.key) - wipe with
 * mcgk_gms_new_gmk_clear. Tokens and their hashes are handled by
 * mcgk_kms_token_new / mcgk_kms_token_hash (mcgk/kms.h). Everything else
 * here is public; the code runs in variable time over public data.
 */
#ifndef MCGK_GMS_H
#define MCGK_GMS_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/base.h"
#include "mcgk/gmk_message.h"
#include "mcgk/group_doc.h"
#include "mcgk/key_params.h"
#include "mcgk/kms.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- names and bounds -------------------------------------------------------------- */

#define MCGK_GMS_GROUP_ID_MAX MCGK_KP_GROUP_ID_MAX /* octets of a group ID (E.6.3 bound) */
#define MCGK_GMS_URI_MAX 511                       /* octets of a member / GMS URI */
#define MCGK_GMS_NAME_MAX (MCGK_GROUPDOC_NAME_MAX - 1)
#define MCGK_GMS_TEXT_MAX MCGK_KP_TEXT_MAX         /* a GMK's text (E.6.5) */
#define MCGK_GMS_JOB_GROUPS MCGK_KP_MAX_GROUPS     /* groups one GMK / one job serves */
#define MCGK_GMS_JOB_GMKS 2                        /* GMKs one rotation makes (R-004-13) */
#define MCGK_GMS_DOC_GMKS MCGK_GROUPDOC_MAX_GMKS   /* GMKs one document carries */

/*
 * A group ID or a member URI this GMS accepts: non-empty, within its bound,
 * printable UTF-8 without controls, spaces or commas (the CLI's list
 * separator). Returns MCGK_OK, MCGK_ERR_INVALID_ARG (NULL, empty, too long),
 * MCGK_ERR_MALFORMED (a character refused).
 */
mcgk_err mcgk_gms_check_group_id(const char *id);
/* The same for a member or GMS URI, which must also start with "sip:", "sips:"
 * or "tel:" (an MC service ID). */
mcgk_err mcgk_gms_check_uri(const char *uri);

/* ---- jobs and deliveries ------------------------------------------------------------- */

typedef enum mcgk_gms_job_kind {
    MCGK_GMS_JOB_ROTATE = 1, /* new GMK(s) for group(s) */
    MCGK_GMS_JOB_REVOKE = 2, /* the same GMK, status revoked; SIP only (R-003-35) */
    MCGK_GMS_JOB_ADD = 3,    /* an authorised member gets the current GMK(s) (R-001-28) */
    MCGK_GMS_JOB_REMOVE = 4  /* a removed member is told: state="removed" (R-001-25) */
} mcgk_gms_job_kind;

/* "rotate", "revoke", "add", "remove" (NULL for another value). */
const char *mcgk_gms_job_kind_name(int kind);

typedef enum mcgk_gms_dlv_state {
    MCGK_GMS_DLV_PENDING = 0,   /* to send (at next_ms), or waiting for a pull */
    MCGK_GMS_DLV_SENT = 1,      /* a NOTIFY is in flight (claimed until next_ms) */
    MCGK_GMS_DLV_CONFIRMED = 2, /* the member answered 200 (final) */
    MCGK_GMS_DLV_FAILED = 3,    /* the member refused it, or we gave up (final) */
    MCGK_GMS_DLV_CANCELLED = 4  /* no longer owed: the member left, or the GMK was revoked */
} mcgk_gms_dlv_state;

/* "pending", "sent", "confirmed", "failed", "cancelled" (NULL for another value). */
const char *mcgk_gms_dlv_state_name(int state);
/* The inverse; MCGK_ERR_MALFORMED for an unknown name. */
mcgk_err mcgk_gms_dlv_state_parse(const char *name, int *state);

#define MCGK_GMS_REASON_MAX 128 /* with the NUL */

/* One delivery as the state machine sees it. */
typedef struct mcgk_gms_delivery {
    int state;                        /* mcgk_gms_dlv_state */
    uint32_t attempts;                /* NOTIFYs sent so far (the claim counts them) */
    uint64_t next_ms;                 /* pending: when to send; sent: claim lease end */
    int status;                       /* last final SIP / pull result status, 0 none */
    char reason[MCGK_GMS_REASON_MAX]; /* the member's Warning text / mcgk error name,
                                         or why we retry / gave up */
} mcgk_gms_delivery;

/* Retry policy: delay after attempt n (n >= 1) = min(base_ms * 2^(n-1), cap_ms);
 * after max_attempts attempts a retryable outcome becomes failed. */
typedef struct mcgk_gms_retry {
    uint64_t base_ms;      /* 0 = 500 */
    uint64_t cap_ms;       /* 0 = 60000 */
    uint32_t max_attempts; /* 0 = 20 */
} mcgk_gms_retry;

/* The delay before the next attempt after `attempts` attempts (>= 1). */
uint64_t mcgk_gms_backoff_ms(const mcgk_gms_retry *policy, uint32_t attempts);

/* What came back for one NOTIFY (or one pull result). */
typedef struct mcgk_gms_answer {
    mcgk_err transport;   /* MCGK_OK (2xx), MCGK_ERR_PEER (error status), MCGK_ERR_SIP_TIMEOUT,
                             MCGK_ERR_SIP_NOT_REGISTERED, MCGK_ERR_SIP_BUSY, MCGK_ERR_SIP_CLOSED,
                             MCGK_ERR_NO_KEYS (the GMS's own keys are missing: retried),
                             or any other code of a local failure (the message could not be
                             built: final) */
    int status;           /* the final status (0 without one) */
    const char *reason;   /* the member's Warning text / reason, or NULL */
} mcgk_gms_answer;

typedef enum mcgk_gms_verdict {
    MCGK_GMS_CONFIRM = 0, /* 2xx */
    MCGK_GMS_RETRY = 1,   /* timeout, not registered, busy, shut down, 408, 480, 5xx */
    MCGK_GMS_FAIL = 2     /* the member refused (other 3xx..6xx), or a local failure */
} mcgk_gms_verdict;

/*
 * Classify an answer (docs/gms-protocol.md): 2xx confirms; a timeout, no
 * registration, a busy or closing SIP layer, the GMS lacking its own keys for
 * the period (MCGK_ERR_NO_KEYS), 408, 480 (the member lacks keys for the
 * period yet) and 5xx are retried; any other status (400, 403 ...)
 * is the member's refusal, and a local failure is final too.
 */
mcgk_gms_verdict mcgk_gms_classify(const mcgk_gms_answer *a);

/*
 * Apply an answer to a delivery at now_ms: CONFIRMED (final), FAILED (final,
 * with status and reason), or back to PENDING with next_ms = now + backoff
 * (after max_attempts: FAILED with reason "gave up: <why>"). A confirmed or
 * cancelled delivery does not change (a repeated answer is idempotent); a
 * failed one may still be confirmed (a late 200, or a pull). Returns MCGK_OK,
 * MCGK_ERR_INVALID_ARG.
 */
mcgk_err mcgk_gms_delivery_apply(const mcgk_gms_retry *policy, uint64_t now_ms,
                                 const mcgk_gms_answer *a, mcgk_gms_delivery *d);

/* ---- GMKs ------------------------------------------------------------------------------ */

/* A fresh GMK of a rotation (secret: key). */
typedef struct mcgk_gms_new_gmk {
    uint8_t key[MCGK_KEY_LEN];          /* secret */
    uint32_t key_id;                    /* GMK-ID, purpose tag 0 in the 4 MSBs */
    uint8_t rand[MCGK_GMK_RAND_LEN];    /* RAND shared by every member (§7.4.2) */
    mcgk_gmk_use use;
} mcgk_gms_new_gmk;

typedef struct mcgk_gms_rotate_req {
    size_t n_groups;           /* 1..MCGK_GMS_JOB_GROUPS */
    uint64_t activation_unix_s; /* 0 = none (active at once) */
    uint64_t expiry_unix_s;     /* 0 = none */
    int floor_control;          /* also a second GMK for floor control (R-004-13) */
    uint64_t now_unix_s;
} mcgk_gms_rotate_req;

/*
 * The GMK(s) of a rotation (TS 33.180 §5.2.1 step 1; key ID purpose tag 0,
 * ts33180.md §0): one for media, and with floor_control a second one with a
 * different GMK-ID (R-004-12/13). *n = how many.
 * Returns MCGK_OK; MCGK_ERR_INVALID_ARG (NULLs, n_groups outside 1..16);
 * MCGK_ERR_PERIOD (the expiry is not after both now and the activation);
 * MCGK_ERR_RNG. On error out is wiped.
 */
mcgk_err mcgk_gms_rotate_plan(const mcgk_gms_rotate_req *req, const mcgk_rng *rng,
                              mcgk_gms_new_gmk out[MCGK_GMS_JOB_GMKS], size_t *n);
void mcgk_gms_new_gmk_clear(mcgk_gms_new_gmk *g);

/* What the GMS knows about one GMK (no key bytes). */
typedef struct mcgk_gms_gmk_info {
    uint32_t key_id;
    mcgk_gmk_use use;
    int revoked;
    uint64_t activation_unix_s; /* 0 = none */
    uint64_t expiry_unix_s;     /* 0 = none */
    uint64_t created_unix_s;
    char text[MCGK_GMS_TEXT_MAX + 1];
} mcgk_gms_gmk_info;

/*
 * The key parameters of a GMK (TS 33.180 E.6): key type GMK, status
 * (not revoked, or revoked for a revocation: R-003-34), activation and expiry
 * as NTP seconds, the text, and every group the GMK serves (R-001-06/07).
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG (NULLs, no group, more than 16, a
 * text or group ID over its bound).
 */
mcgk_err mcgk_gms_key_params(const mcgk_gms_gmk_info *g, const char *const *groups,
                             size_t n_groups, int revoked, mcgk_key_params *kp);

/*
 * The GMKs of a group that a member should hold now (an added member,
 * R-001-28; an HTTPS pull, R-003-28): not revoked and not expired at
 * now_unix_s (activation may be in the future: the client holds it until
 * then), the most recent activation first (ties: the most recently
 * created), at most two of each use, at most `cap` in all. Writes indices
 * into c[] to idx[] and returns how many.
 */
size_t mcgk_gms_current_gmks(const mcgk_gms_gmk_info *c, size_t n, uint64_t now_unix_s,
                             size_t *idx, size_t cap);

/* ---- the member's document --------------------------------------------------------------- */

/* A group entry of a job. */
typedef struct mcgk_gms_group_ref {
    const char *id;
    const char *gms_uri;
    const char *name; /* "" or NULL: none */
} mcgk_gms_group_ref;

/*
 * Assemble and encode the group configuration document for one member
 * (docs/gms-protocol.md): seq, the job's groups whose bit is set in mask
 * (bit i = groups[i]) with state "removed" for a removal job and "member"
 * otherwise, and the member's I_MESSAGEs msgs[i] (msg_lens[i] octets) with
 * uses[i]. out as mcgk_groupdoc_encode (out == NULL measures).
 * Returns MCGK_OK; MCGK_ERR_INVALID_ARG (NULLs, mask selects no group or a
 * group beyond n_groups, more than MCGK_GMS_DOC_GMKS messages, a message
 * over MCGK_GROUPDOC_MSG_MAX, a removal job with messages); the codes of
 * mcgk_groupdoc_encode; MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_gms_member_doc(int kind, const mcgk_gms_group_ref *groups, size_t n_groups,
                             uint32_t mask, uint64_t seq, const uint8_t *const *msgs,
                             const size_t *msg_lens, const mcgk_gmk_use *uses, size_t n_msgs,
                             char *out, size_t out_cap, size_t *out_len);

/* ---- building the members' messages ---------------------------------------------------- */

/* What one GMK's build context is made from (TS 33.180 §5.2.1, E.2). */
typedef struct mcgk_gms_ctx_in {
    const uint8_t *key;              /* the GMK (MCGK_KEY_LEN octets, secret) */
    uint32_t key_id;                 /* GMK-ID */
    const uint8_t *rand;             /* its RAND (MCGK_GMK_RAND_LEN octets) */
    const mcgk_gms_gmk_info *info;   /* activation, expiry, text */
    const char *const *groups;       /* the group IDs the key parameters list: those of */
    size_t n_groups;                 /* the job that concern the members being built */
    int revoked;                     /* a revocation (R-003-34) */
    uint64_t ts_ntp_s;               /* the message time (selects every key period) */
    uint32_t ts_frac;                /* a fresh fraction per build: a resend is not a replay */
    const char *gms_uri;             /* the GMS identity (R-001-02, R-003-10) */
    const mcgk_gmk_kms *gms_kms;
    const mcgk_eccsi_signer *signer; /* the GMS's key set for the period of ts */
} mcgk_gms_ctx_in;

/*
 * Key parameters (mcgk_gms_key_params) and the I_MESSAGE build context
 * (mcgk_gmk_ctx_init with a GENERIC-ID map, CS-ID MCPTT). Returns MCGK_OK,
 * MCGK_ERR_INVALID_ARG and the codes of mcgk_gmk_ctx_init.
 */
mcgk_err mcgk_gms_ctx_init(mcgk_gmk_ctx *ctx, const mcgk_gms_ctx_in *in);

/* One member's document slot: the caller sets buf / cap, the build the rest. */
typedef struct mcgk_gms_doc_out {
    char *buf;
    size_t cap;
    size_t len;
    uint32_t guk_ids[MCGK_GMS_DOC_GMKS]; /* the member's GUK-ID per GMK (CSB ID, §5.2.3) */
    mcgk_err err;                        /* this member's outcome */
} mcgk_gms_doc_out;

/*
 * The documents of n members of one job who share one mask (the same groups):
 * each GMK's I_MESSAGEs for all of them with mcgk_gmk_build_batch (one per
 * member, R-000-19; the per-GMK and per-KMS precomputations reused), then one
 * document per member (mcgk_gms_member_doc) with seqs[i]. A partner GMS is
 * a member like any other (R-004-16): its own KMS in members[i].kms, its
 * GUK-ID from its own URI. A member that fails does not stop the others:
 * outs[i].err. Returns MCGK_OK (see outs), MCGK_ERR_INVALID_ARG,
 * MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_gms_build_docs(int kind, const mcgk_gms_group_ref *groups, size_t n_groups,
                             uint32_t mask, const mcgk_gmk_ctx *const *ctxs,
                             const mcgk_gmk_use *uses, size_t n_gmks,
                             const mcgk_gmk_member *members, const uint64_t *seqs, size_t n,
                             const mcgk_rng *rng, mcgk_gms_doc_out *outs);

/* ---- the HTTPS pull (docs/gms-protocol.md "Pull over HTTPS") --------------------------- */

typedef enum mcgk_gms_route_kind {
    MCGK_GMS_ROUTE_GET_GROUP = 1, /* GET /groups/<id> */
    MCGK_GMS_ROUTE_RESULT = 2     /* POST /groups/<id>/result */
} mcgk_gms_route_kind;

typedef struct mcgk_gms_http_req {
    int route;                                /* mcgk_gms_route_kind */
    char group_id[MCGK_GMS_GROUP_ID_MAX + 1]; /* percent-decoded */
    char token[MCGK_KMS_TOKEN_LEN + 1];       /* the bearer token (secret) */
    mcgk_groupdoc_result result;              /* ROUTE_RESULT: the parsed body */
} mcgk_gms_http_req;

/*
 * Parse one request (method, raw path, Authorization header or NULL, body).
 * Checks in order: the path is /groups/<id> or /groups/<id>/result
 * (MCGK_ERR_NOT_FOUND otherwise, also for a percent-encoding error or a
 * group ID that mcgk_gms_check_group_id refuses), the method is GET resp.
 * POST (MCGK_ERR_METHOD), an Authorization "Bearer <token>" of 64 hex
 * characters (MCGK_ERR_AUTH_MISSING without one, MCGK_ERR_AUTH_FAILED for
 * another scheme or form), and for a result the body (the codes of
 * mcgk_groupdoc_result_parse). Also MCGK_ERR_INVALID_ARG. On error *out
 * is untouched; mcgk_gms_http_req_clear wipes the token.
 */
mcgk_err mcgk_gms_http_parse(const char *method, const char *path, const char *authorization,
                             const uint8_t *body, size_t body_len, mcgk_gms_http_req *out);
void mcgk_gms_http_req_clear(mcgk_gms_http_req *r);

/* The HTTP status for an mcgk_gms_http_parse / handler outcome: 200, 400, 401,
 * 403, 404, 405, 413, 500. */
int mcgk_gms_http_status(mcgk_err e);

#ifdef __cplusplus
}
#endif
#endif
