/*
 * store/gms_store.h - the GMS's state (SQLite, WAL): groups, members and
 * their bearer tokens (hashed), GMKs (sealed) and the groups each serves,
 * jobs (rotate / revoke / add / remove) and one delivery per (job, member)
 * with its state machine (mcgk/gms.h), SIP bindings, the last pull of each
 * member. Implemented by store/gms_sqlite.c; a shared-database
 * implementation (PostgreSQL, several GMS workers claiming rows) would
 * implement the same functions.
 *
 * Crash safety (docs/architecture.md "State that must survive a crash"):
 * every decision is one transaction - a rotation writes its GMKs, their
 * groups, the job and every delivery row together; a removal writes the
 * membership change, the cancellations, the removal notice and (profile
 * permitting) the rotation together. Claims and outcomes are batched
 * transactions. mcgk_gms_store_resume (at start) turns every "sent" row
 * back into "pending" so it is sent again; a confirmed row never is.
 *
 * Streaming: lists walk the rows with a callback; claims return at most
 * `max` rows; nothing loads a whole group into memory.
 *
 * Secrets: GMK columns hold mcgk_seal blobs under the store's DEK (aad
 * "gms/gmk/<key id hex>"); token columns hold SHA-256 hashes. The DEK
 * returned by mcgk_gms_store_unlock is secret (wipe it).
 *
 * Every function returns MCGK_OK or MCGK_ERR_INVALID_ARG, MCGK_ERR_IO (the
 * database failed), MCGK_ERR_NO_MEMORY, and where stated MCGK_ERR_EXISTS,
 * MCGK_ERR_NOT_FOUND, MCGK_ERR_OVERSIZED (a stored value larger than its
 * row field). Thread-safe (one connection, one mutex); a callback must not
 * call back into the store.
 */
#ifndef MCGK_STORE_GMS_STORE_H
#define MCGK_STORE_GMS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/gms.h"
#include "mcgk/kms.h"
#include "store/seal.h"

#define MCGK_GMS_SEALED_GMK_LEN (MCGK_KEY_LEN + MCGK_SEAL_OVERHEAD)

typedef struct mcgk_gms_store mcgk_gms_store;

/* Open (create, mode 0600, WAL) the database at path. */
mcgk_err mcgk_gms_store_open(const char *path, mcgk_gms_store **out);
void mcgk_gms_store_close(mcgk_gms_store *s);

/* The DEK, creating the seal ring under src on first use (scrypt_log2_n 0 =
 * default). Also the codes of mcgk_seal_ring_create / _open (MCGK_ERR_UNSEAL:
 * wrong key file or passphrase). */
mcgk_err mcgk_gms_store_unlock(mcgk_gms_store *s, const mcgk_seal_kek_source *src,
                               uint8_t scrypt_log2_n, const mcgk_rng *rng,
                               uint8_t dek[MCGK_SEAL_KEY_LEN]);

/* Settings (GMS URI, KMS URL ...): MCGK_ERR_NOT_FOUND, MCGK_ERR_OVERSIZED. */
mcgk_err mcgk_gms_store_config_get(mcgk_gms_store *s, const char *key, char *out, size_t cap);
mcgk_err mcgk_gms_store_config_set(mcgk_gms_store *s, const char *key, const char *value);

/* Seal / unseal a GMK for its column (aad "gms/gmk/<key id hex>": a blob moved to
 * another GMK's row does not open). Codes of mcgk_seal / mcgk_unseal
 * (MCGK_ERR_UNSEAL: wrong DEK or tampered). key is secret. */
mcgk_err mcgk_gms_gmk_seal(const uint8_t dek[MCGK_SEAL_KEY_LEN], uint32_t key_id,
                           const uint8_t key[MCGK_KEY_LEN], const mcgk_rng *rng,
                           uint8_t sealed[MCGK_GMS_SEALED_GMK_LEN]);
mcgk_err mcgk_gms_gmk_unseal(const uint8_t dek[MCGK_SEAL_KEY_LEN], uint32_t key_id,
                             const uint8_t sealed[MCGK_GMS_SEALED_GMK_LEN],
                             uint8_t key[MCGK_KEY_LEN]);

/* ---- groups ---- */

typedef struct mcgk_gms_group_row {
    char id[MCGK_GMS_GROUP_ID_MAX + 1];
    char name[MCGK_GMS_NAME_MAX + 1];
    char gms_uri[MCGK_GMS_URI_MAX + 1]; /* the GMS that manages it */
    int rekey_on_removal;               /* profile: rotate when a member is removed (R-001-24) */
    uint64_t created_unix_s;
    uint64_t n_members;                 /* current members (filled by get/list) */
    uint64_t n_authorised;              /* of which authorised */
} mcgk_gms_group_row;

typedef int (*mcgk_gms_group_cb)(void *ctx, const mcgk_gms_group_row *row);

/* MCGK_ERR_EXISTS */
mcgk_err mcgk_gms_store_group_create(mcgk_gms_store *s, const mcgk_gms_group_row *row);
/* MCGK_ERR_NOT_FOUND. with_counts = 0 leaves n_members / n_authorised 0 (they cost a
 * walk over the group's members; the daemon's hot paths do without). */
mcgk_err mcgk_gms_store_group_get(mcgk_gms_store *s, const char *id, mcgk_gms_group_row *row);
mcgk_err mcgk_gms_store_group_get_basic(mcgk_gms_store *s, const char *id,
                                        mcgk_gms_group_row *row);
mcgk_err mcgk_gms_store_group_list(mcgk_gms_store *s, mcgk_gms_group_cb cb, void *ctx);

/* ---- members and their tokens ---- */

typedef struct mcgk_gms_member_row {
    char group_id[MCGK_GMS_GROUP_ID_MAX + 1];
    char uri[MCGK_GMS_URI_MAX + 1];
    char kms_uri[MCGK_KMS_URI_MAX]; /* the member's KMS, "" = the GMS's own KMS */
    int authorised;                 /* R-001-27: no GMK before this is set */
    int removed;
    uint64_t added_unix_s;
} mcgk_gms_member_row;

typedef int (*mcgk_gms_member_cb)(void *ctx, const mcgk_gms_member_row *row);

/*
 * Add uri to group (or re-add a removed member). A user seen for the first
 * time needs token_hash (its bearer token for the HTTPS pull); a known user
 * keeps its token unless token_hash is given. kms_uri "" = the GMS's KMS
 * (a known user's KMS is updated). When authorised, the same transaction
 * creates an "add" job giving the member the group's current GMKs
 * (mcgk_gms_current_gmks at now; R-001-28) and *job_id is its id, else 0.
 * *new_user (may be NULL) says whether the user was created.
 * MCGK_ERR_NOT_FOUND (no such group), MCGK_ERR_EXISTS (already a member),
 * MCGK_ERR_INVALID_ARG (a new user without token_hash).
 */
mcgk_err mcgk_gms_store_member_add(mcgk_gms_store *s, const char *group_id, const char *uri,
                                   const char *kms_uri, int authorised,
                                   const uint8_t *token_hash, uint64_t now_unix_s,
                                   uint64_t *job_id, int *new_user);

/* Many members at once, in one transaction (bulk provisioning): each as
 * mcgk_gms_store_member_add; members already present are skipped. *added
 * counts the new memberships. MCGK_ERR_NOT_FOUND (no such group),
 * MCGK_ERR_INVALID_ARG (a new user without token_hash): nothing is added. */
typedef struct mcgk_gms_new_member {
    const char *uri;
    const char *kms_uri;       /* NULL = keep / "" */
    const uint8_t *token_hash; /* needed for a new user; NULL keeps a known user's */
} mcgk_gms_new_member;

mcgk_err mcgk_gms_store_member_add_many(mcgk_gms_store *s, const char *group_id,
                                        const mcgk_gms_new_member *m, size_t n, int authorised,
                                        uint64_t now, size_t *added);

/* Authorise a member (R-001-27/31): creates its "add" job (*job_id; 0 when it
 * was authorised already). MCGK_ERR_NOT_FOUND (not a current member). */
mcgk_err mcgk_gms_store_member_authorise(mcgk_gms_store *s, const char *group_id,
                                         const char *uri, uint64_t now_unix_s, uint64_t *job_id);

/* A rotation as the store records it: the new GMKs sealed. */
typedef struct mcgk_gms_rotation {
    size_t n_gmks;                                  /* 1 or 2 */
    uint32_t key_ids[MCGK_GMS_JOB_GMKS];
    uint8_t sealed[MCGK_GMS_JOB_GMKS][MCGK_GMS_SEALED_GMK_LEN];
    uint8_t rands[MCGK_GMS_JOB_GMKS][MCGK_GMK_RAND_LEN];
    mcgk_gmk_use uses[MCGK_GMS_JOB_GMKS];
    size_t n_groups;
    const char *groups[MCGK_GMS_JOB_GROUPS];
    uint64_t activation_unix_s, expiry_unix_s;      /* 0 = none */
    const char *text;                               /* NULL = none */
    int push;                                       /* 1: SIP push; 0: members pull */
} mcgk_gms_rotation;

/*
 * Remove uri from group: marks it removed, drops the group from the
 * member's outstanding deliveries (cancelling those left with no group),
 * and, when it had been authorised, creates a "remove" job telling it
 * (state="removed", R-001-25, R-001-33) - *remove_job. With rotate != NULL
 * (the caller passes one when the group's profile says so, R-001-24) the
 * same transaction records that rotation for the remaining members -
 * *rotate_job (0 without). MCGK_ERR_NOT_FOUND (not a current member),
 * MCGK_ERR_EXISTS (a GMK-ID of the rotation is taken).
 */
mcgk_err mcgk_gms_store_member_remove(mcgk_gms_store *s, const char *group_id, const char *uri,
                                      const mcgk_gms_rotation *rotate, uint64_t now_unix_s,
                                      uint64_t *remove_job, uint64_t *rotate_job);

/* One membership (removed ones too). MCGK_ERR_NOT_FOUND. */
mcgk_err mcgk_gms_store_member_get(mcgk_gms_store *s, const char *group_id, const char *uri,
                                   mcgk_gms_member_row *row);

/* The members of a group (group_id) or of every group (NULL), removed ones too. */
mcgk_err mcgk_gms_store_member_list(mcgk_gms_store *s, const char *group_id,
                                    mcgk_gms_member_cb cb, void *ctx);

/* Replace a user's token hash. MCGK_ERR_NOT_FOUND. */
mcgk_err mcgk_gms_store_user_token(mcgk_gms_store *s, const char *uri,
                                   const uint8_t hash[MCGK_KMS_TOKEN_HASH_LEN]);

/* The user whose token hashes to hash (compared in constant time after the
 * index lookup). MCGK_ERR_AUTH_FAILED when none. */
mcgk_err mcgk_gms_store_user_by_token(mcgk_gms_store *s,
                                      const uint8_t hash[MCGK_KMS_TOKEN_HASH_LEN],
                                      char uri[MCGK_GMS_URI_MAX + 1]);

/* The user's KMS ("" = home) and the next document sequence number (the
 * counter is incremented: every document gets a new one).
 * MCGK_ERR_NOT_FOUND. */
mcgk_err mcgk_gms_store_user_next_seq(mcgk_gms_store *s, const char *uri,
                                      char kms_uri[MCGK_KMS_URI_MAX], uint64_t *seq);

/* ---- GMKs ---- */

/*
 * Record a rotation: its GMKs, the groups they serve, a "rotate" job and a
 * delivery for every authorised current member of those groups (push:
 * scheduled now; pull: waiting for the member's GET). *job_id, *n_members.
 * MCGK_ERR_NOT_FOUND (a group does not exist), MCGK_ERR_EXISTS (a GMK-ID is
 * taken: draw new ones).
 */
mcgk_err mcgk_gms_store_rotate(mcgk_gms_store *s, const mcgk_gms_rotation *r,
                               uint64_t now_unix_s, uint64_t *job_id, uint64_t *n_members);

/*
 * Revoke a GMK (R-003-34): status revoked, outstanding deliveries of the
 * jobs that carry it cancelled, and a "revoke" job (always pushed by SIP,
 * R-003-35) to every authorised current member of its groups.
 * MCGK_ERR_NOT_FOUND, MCGK_ERR_REVOKED (already revoked).
 */
mcgk_err mcgk_gms_store_revoke(mcgk_gms_store *s, uint32_t key_id, uint64_t now_unix_s,
                               uint64_t *job_id, uint64_t *n_members);

/* One GMK: its facts, its sealed key and RAND (any of the three may be NULL),
 * and its groups (ids[0..*n_groups), may be NULL). MCGK_ERR_NOT_FOUND. */
mcgk_err mcgk_gms_store_gmk_get(mcgk_gms_store *s, uint32_t key_id, mcgk_gms_gmk_info *info,
                                uint8_t sealed[MCGK_GMS_SEALED_GMK_LEN],
                                uint8_t rand[MCGK_GMK_RAND_LEN],
                                char (*groups)[MCGK_GMS_GROUP_ID_MAX + 1], size_t *n_groups);

typedef int (*mcgk_gms_gmk_cb)(void *ctx, const mcgk_gms_gmk_info *info);

/* The GMKs serving group_id (NULL: all), newest first. */
mcgk_err mcgk_gms_store_gmk_list(mcgk_gms_store *s, const char *group_id, mcgk_gms_gmk_cb cb,
                                 void *ctx);

/* ---- jobs and deliveries ---- */

typedef struct mcgk_gms_job_row {
    uint64_t id;
    int kind;                       /* mcgk_gms_job_kind */
    int push;
    uint64_t created_unix_s;
    size_t n_gmks;
    uint32_t key_ids[MCGK_GMS_DOC_GMKS];
    size_t n_groups;
    char groups[MCGK_GMS_JOB_GROUPS][MCGK_GMS_GROUP_ID_MAX + 1]; /* bit i of a mask */
    uint64_t counts[5];             /* deliveries per mcgk_gms_dlv_state (get/list) */
} mcgk_gms_job_row;

typedef int (*mcgk_gms_job_cb)(void *ctx, const mcgk_gms_job_row *row);

/* MCGK_ERR_NOT_FOUND */
mcgk_err mcgk_gms_store_job_get(mcgk_gms_store *s, uint64_t id, mcgk_gms_job_row *row);
/* Newest first; at most `limit` (0: all). */
mcgk_err mcgk_gms_store_job_list(mcgk_gms_store *s, size_t limit, mcgk_gms_job_cb cb,
                                 void *ctx);

/* A delivery row. */
typedef struct mcgk_gms_delivery_row {
    uint64_t job_id;
    char uri[MCGK_GMS_URI_MAX + 1];
    uint32_t mask;                  /* which of the job's groups concern this member */
    int push;
    mcgk_gms_delivery d;
    uint64_t seq;                   /* seq of the last document sent */
    uint64_t updated_ms;
} mcgk_gms_delivery_row;

typedef int (*mcgk_gms_delivery_cb)(void *ctx, const mcgk_gms_delivery_row *row);

/* Deliveries of job_id (0: every job) in state (-1: any), optionally of one
 * member (uri NULL: all); in (job, member) order. */
mcgk_err mcgk_gms_store_delivery_list(mcgk_gms_store *s, uint64_t job_id, int state,
                                      const char *uri, mcgk_gms_delivery_cb cb, void *ctx);

/* One claimed delivery: what the pipeline needs to build and send it. */
typedef struct mcgk_gms_claim {
    uint64_t job_id;
    char uri[MCGK_GMS_URI_MAX + 1];
    char kms_uri[MCGK_KMS_URI_MAX];
    uint32_t mask;
    uint32_t attempts;              /* including this one */
    uint64_t seq;                   /* the document's sequence number */
} mcgk_gms_claim;

/*
 * Claim up to max push deliveries that are due (pending or sent, next_ms <=
 * now_ms), ordered by job then due time: each becomes "sent" with one more
 * attempt, a lease until now_ms + lease_ms and a fresh seq from its user.
 * One transaction. *n = how many written to out.
 */
mcgk_err mcgk_gms_store_claim(mcgk_gms_store *s, uint64_t now_ms, uint64_t lease_ms,
                              mcgk_gms_claim *out, size_t max, size_t *n);

/* An outcome to record (the new state computed with mcgk_gms_delivery_apply). */
typedef struct mcgk_gms_outcome {
    uint64_t job_id;
    char uri[MCGK_GMS_URI_MAX + 1];
    mcgk_gms_delivery d;
} mcgk_gms_outcome;

/* Record outcomes in one transaction; a row no longer "sent" (confirmed by a
 * pull, cancelled) is left alone. *applied (may be NULL) counts the rows changed. */
mcgk_err mcgk_gms_store_record(mcgk_gms_store *s, const mcgk_gms_outcome *o, size_t n,
                               uint64_t now_ms, size_t *applied);

/* At start: every "sent" row becomes "pending", due now (*n resumed). */
mcgk_err mcgk_gms_store_resume(mcgk_gms_store *s, uint64_t now_ms, uint64_t *n);


/* The earliest due time of a pending push delivery; MCGK_ERR_NOT_FOUND when none. */
mcgk_err mcgk_gms_store_next_due(mcgk_gms_store *s, uint64_t *next_ms);

/* ---- SIP bindings (restored into the registrar at start) ---- */

typedef int (*mcgk_gms_binding_cb)(void *ctx, const char *aor, const char *contact,
                                   uint64_t expires_unix_s);
mcgk_err mcgk_gms_store_binding_put(mcgk_gms_store *s, const char *aor, const char *contact,
                                    uint64_t expires_unix_s);
mcgk_err mcgk_gms_store_binding_del(mcgk_gms_store *s, const char *aor);
/* Many binding changes in one transaction (put, or delete when removed);
 * each put makes that member's deliveries waiting for a registration due at
 * now_ms - only that member's: waking everyone's would re-try every
 * unregistered member each time anyone registers. */
typedef struct mcgk_gms_binding_change {
    int removed;
    const char *aor;
    const char *contact;
    uint64_t expires_unix_s;
} mcgk_gms_binding_change;

mcgk_err mcgk_gms_store_binding_apply(mcgk_gms_store *s, const mcgk_gms_binding_change *c,
                                      size_t n, uint64_t now_ms);

/* Bindings not expired at now_unix_s. */
mcgk_err mcgk_gms_store_binding_list(mcgk_gms_store *s, uint64_t now_unix_s,
                                     mcgk_gms_binding_cb cb, void *ctx);

/* ---- the HTTPS pull ---- */

/* Remember what a pull sent (seq and GMK-IDs) for the member's result. */
mcgk_err mcgk_gms_store_pull_put(mcgk_gms_store *s, const char *uri, const char *group_id,
                                 uint64_t seq, const uint32_t *key_ids, size_t n,
                                 uint64_t now_unix_s);

/*
 * The member's result for its last pull of group_id (R-003-31): applied
 * (mcgk_gms_delivery_apply) to its outstanding or failed deliveries of the
 * rotate / add jobs that carry the GMKs of that pull. *applied counts them.
 * MCGK_ERR_NOT_FOUND (no pull of that group by that member).
 */
mcgk_err mcgk_gms_store_pull_result(mcgk_gms_store *s, const char *uri, const char *group_id,
                                    const mcgk_gms_answer *a, uint64_t now_ms, size_t *applied);

#endif
