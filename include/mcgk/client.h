/*
 * mcgk/client.h - the MC client's GMK logic, sans I/O: what a client does
 * with a group configuration document (docs/gms-protocol.md) pushed by SIP
 * ('Notify group configuration request') or pulled by HTTPS ('Get group
 * configuration response'), and which GMK it uses for a group.
 *
 * Spec: seed-requirements.md D (reception: R-001-14..23, R-003-17..25,
 * R-004-08..11, R-000-21..23), E (HTTP: R-003-30..32), F (revocation:
 * R-003-34), G (removal: R-001-33), H (two GMKs: R-004-12/13);
 * ts33180.md §5.2 and the receiver checklist of §9 (run by mcgk_gmk_open,
 * mcgk/gmk_message.h).
 *
 * The state of one client identity (its held GMKs, the groups it knows,
 * the replay cache, deletion tombstones, the last documents accepted) is a
 * plain struct that the store loads and commits (src/store/client_gmk.h).
 * mcgk_client_process opens every I_MESSAGE of a document, and only when
 * every one passes (a document is all or nothing) applies the decision to
 * the state and marks what changed; the caller commits the marked changes
 * in one transaction and only then sends the reply (outcome->status). On
 * any failure the state is untouched and the reply is the error status
 * with the name of the check that failed (R-001-20, R-003-23, R-003-31,
 * R-004-09).
 *
 * Rules decided here (docs/client.md):
 *  - a new GMK is stored with GMK-ID, GUK-ID, RAND, its parameters, the
 *    groups it serves (its key parameters' group IDs, R-001-07; the
 *    document's member groups when the parameters list none), its use
 *    (media / floor control, R-004-13) and the I_MESSAGE timestamp
 *    (R-001-21, R-003-24, R-003-32, R-004-10);
 *  - the same GMK again is answered 200 (idempotent); a newer message for
 *    it updates its parameters; a different key under a held GMK-ID is
 *    refused (duplicate-key-id, R-001-16, R-003-20);
 *  - a revocation marks the GMK-ID unusable and wipes its key (R-003-34);
 *    a revocation is never undone by a later (or replayed) message;
 *  - state="removed": the group's GMKs are deleted and wiped unless a
 *    group the client remains a member of still uses them (R-001-33); the
 *    deletion leaves a tombstone, so a message stamped before the deletion
 *    cannot bring the GMK back (replay);
 *  - group states are ordered by the document's seq: an older document
 *    does not undo a newer state;
 *  - an exact re-delivery of an accepted document is answered 200 without
 *    any change (the GMS retrying after a lost 200);
 *  - selection (mcgk_client_select): for a group and a use, the GMK that
 *    serves the group, is not revoked, is active (activation <= now <
 *    expiry, 0 = no bound) and has the latest activation time (R-001-23);
 *    ties go to the latest I_MESSAGE timestamp (R-000-23). Only groups the
 *    client is a member of have a current GMK.
 *
 * Secrets: mcgk_client_gmk.key (the GMK) and .params (confidential: they
 * travel encrypted). mcgk_client_state_clear and every path that drops a
 * GMK wipe them. Outcomes and events carry IDs only.
 */
#ifndef MCGK_CLIENT_H
#define MCGK_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/error.h"
#include "mcgk/gmk_message.h"
#include "mcgk/group_doc.h"
#include "mcgk/gsk_message.h"
#include "mcgk/key_params.h"
#include "mcgk/media.h"
#include "mcgk/sakke.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MCGK_CLIENT_MAX_GMKS 256       /* GMKs (incl. revoked records) held per identity */
#define MCGK_CLIENT_MAX_GROUPS 256     /* groups known per identity */
#define MCGK_CLIENT_REPLAY_CAP 256     /* replay cache entries per identity */
#define MCGK_CLIENT_MAX_TOMBSTONES 256 /* deleted GMK-IDs remembered per identity */
#define MCGK_CLIENT_DOC_HASHES 8       /* last accepted documents remembered */
#define MCGK_CLIENT_HASH_LEN 32        /* SHA-256 of a document */
#define MCGK_CLIENT_MAX_EVENTS 96

/* One GMK held by the client (or the record of a revoked one). */
typedef struct mcgk_client_gmk {
    uint32_t gmk_id;           /* GMK-ID (purpose tag 0 in its 4 MSBs) */
    uint32_t guk_id;           /* this client's GUK-ID (the CSB ID) */
    uint8_t purpose;           /* MCGK_PURPOSE_GMK */
    mcgk_gmk_use use;          /* media or floor control (the document's use attribute) */
    int revoked;               /* revoked: never used again; has_key = 0 */
    int has_key;
    uint8_t key[MCGK_KEY_LEN]; /* the GMK (secret) */
    size_t rand_len;
    uint8_t rand[255];         /* RAND of its I_MESSAGE (TS 33.180 §7.4.2) */
    int has_params;
    mcgk_key_params params;    /* confidential */
    size_t n_assoc;            /* groups it serves when the parameters list none: the
                                  document's member groups at receipt */
    char assoc[MCGK_GROUPDOC_MAX_GROUPS][MCGK_GROUPDOC_URI_MAX];
    uint64_t first_ts_ntp_s;   /* timestamp of the first I_MESSAGE accepted for it */
    uint32_t first_ts_frac;
    uint64_t last_ts_ntp_s;    /* ... and of the newest one */
    uint32_t last_ts_frac;
    char sender[MCGK_GMK_URI_MAX + 1]; /* the GMS that signed it */
    uint64_t received_unix_s;
    int dirty;                 /* changed since the last commit (for the store) */
} mcgk_client_gmk;

/* A group the client knows from a document (or its configuration). */
typedef struct mcgk_client_group {
    char id[MCGK_GROUPDOC_URI_MAX];
    char gms[MCGK_GROUPDOC_URI_MAX];
    char name[MCGK_GROUPDOC_NAME_MAX];
    int removed;               /* 1: the client was removed (or is not a member) */
    uint64_t seq;              /* seq of the document that set this state */
    uint64_t updated_unix_s;
    int dirty;
} mcgk_client_group;

/* A deleted GMK-ID: messages stamped at or before deleted_ntp_s cannot restore it. */
typedef struct mcgk_client_tombstone {
    uint32_t gmk_id;
    uint64_t deleted_ntp_s;
} mcgk_client_tombstone;

/*
 * The state of one identity. Arrays are owned by the state (malloc'ed by
 * mcgk_client_state_reserve / the store's loader); free with
 * mcgk_client_state_clear, which wipes. The *_dirty flags and deleted[]
 * tell the store what the last mcgk_client_process changed.
 */
typedef struct mcgk_client_state {
    mcgk_client_gmk *gmks;
    size_t n_gmks, cap_gmks;
    mcgk_client_group *groups;
    size_t n_groups, cap_groups;
    mcgk_client_tombstone *tombstones;
    size_t n_tombstones;       /* capacity MCGK_CLIENT_MAX_TOMBSTONES */
    mcgk_replay_entry *replay;
    size_t n_replay;           /* capacity MCGK_CLIENT_REPLAY_CAP */
    uint64_t replay_floor_ntp_s;
    uint8_t (*doc_hashes)[MCGK_CLIENT_HASH_LEN];
    size_t n_doc_hashes;       /* newest last; capacity MCGK_CLIENT_DOC_HASHES */
    /* what changed (set by mcgk_client_process, cleared by mcgk_client_state_clean) */
    uint32_t *deleted;         /* GMK-IDs whose rows go (capacity MCGK_CLIENT_MAX_GMKS) */
    size_t n_deleted;
    int replay_dirty, tombstones_dirty, docs_dirty;
} mcgk_client_state;

/*
 * Allocate the fixed-capacity arrays of an empty state (*s zeroed first).
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_NO_MEMORY (nothing kept).
 */
mcgk_err mcgk_client_state_init(mcgk_client_state *s);

/* Room for n GMKs / n groups (n <= the maxima). MCGK_OK, MCGK_ERR_OVERSIZED,
 * MCGK_ERR_NO_MEMORY (the state is unchanged on failure). */
mcgk_err mcgk_client_state_reserve_gmks(mcgk_client_state *s, size_t n);
mcgk_err mcgk_client_state_reserve_groups(mcgk_client_state *s, size_t n);

/* Forget the change marks (after the store committed them). */
void mcgk_client_state_clean(mcgk_client_state *s);

/* Wipe and free everything (safe on a zeroed or cleared state). */
void mcgk_client_state_clear(mcgk_client_state *s);

/*
 * The receiver (validated RSK with its pairing lines) of this identity for
 * key period period_no under its own KMS, built on first use by the caller
 * (store + crypto). Return MCGK_OK with *out, MCGK_ERR_NO_KEYS when no key
 * set is held for that period, or another error (it becomes a 500).
 */
typedef mcgk_err (*mcgk_client_receiver_fn)(void *ctx, uint64_t period_no,
                                            const mcgk_sakke_receiver **out);

/* Who the client is and whom it trusts. Pointers must outlive the call. */
typedef struct mcgk_client_cfg {
    const char *identity;             /* MC service user ID / VAL service ID */
    const mcgk_gmk_kms *own_kms;      /* its KMS (KmsUri, period, offset, KPAK) */
    mcgk_client_receiver_fn receiver; /* its keys per period */
    void *receiver_ctx;
    const mcgk_gmk_kms *trusted;      /* partner KMSs (R-004-03) */
    size_t n_trusted;
    /* GMS identities authorised to create groups (R-003-18): a document's group
       managed by one of them is accepted */
    const char *const *authorised_gms;
    size_t n_authorised_gms;
    /* the user profile: the GMS configured per group (R-001-19); a document
       naming another GMS for one of these groups is refused */
    const mcgk_gmk_group_gms *profile;
    size_t n_profile;
    uint64_t window_past_s, window_future_s; /* 0, 0 = the defaults of gmk_message.h */
} mcgk_client_cfg;

typedef enum mcgk_client_action {
    MCGK_CLIENT_EV_STORED = 1,        /* a new GMK stored */
    MCGK_CLIENT_EV_UPDATED = 2,       /* held; a newer message: parameters refreshed */
    MCGK_CLIENT_EV_SAME = 3,          /* held; a re-send, nothing newer */
    MCGK_CLIENT_EV_REVOKED = 4,       /* revoked: unusable from now on, key wiped */
    MCGK_CLIENT_EV_STILL_REVOKED = 5, /* a message for a GMK-ID revoked before: ignored */
    MCGK_CLIENT_EV_DELETED = 6,       /* its groups left: deleted and wiped (R-001-33) */
    MCGK_CLIENT_EV_KEPT = 7,          /* a removed group's GMK kept: another group uses it */
    MCGK_CLIENT_EV_GROUP_MEMBER = 8,  /* a group joined / confirmed */
    MCGK_CLIENT_EV_GROUP_REMOVED = 9, /* removed from a group */
    MCGK_CLIENT_EV_GROUP_STALE = 10   /* an older document's state for a group: ignored */
} mcgk_client_action;

/* One thing that happened (for the log: IDs and group names, never keys). */
typedef struct mcgk_client_event {
    mcgk_client_action action;
    uint32_t gmk_id, guk_id;   /* GMK events */
    mcgk_gmk_use use;
    char group[MCGK_GROUPDOC_URI_MAX]; /* group events and DELETED/KEPT; "" otherwise */
} mcgk_client_event;

/* What to answer the GMS and what happened. */
typedef struct mcgk_client_outcome {
    mcgk_err result;      /* MCGK_OK: accepted (and changes marked); else the failed check */
    mcgk_err detail;      /* the underlying cause, for the local log only */
    int status;           /* 200; 400 bad document / message; 403 refused; 480 no keys
                             for that period yet; 500 internal (mcgk_gmk_reply_for) */
    const char *reason;   /* the reason phrase */
    const char *warning;  /* NULL for 200; else mcgk_err_name(result) for Warning 399 */
    int gmk_index;        /* the <gmk> that failed, -1 when none */
    int duplicate_doc;    /* an exact re-delivery of an accepted document */
    size_t n_events;
    mcgk_client_event events[MCGK_CLIENT_MAX_EVENTS];
} mcgk_client_outcome;

/*
 * Handle one parsed document (doc_hash = SHA-256 of its bytes) at
 * now_unix_s for the identity of cfg. Checks, in order: an exact
 * re-delivery (200, nothing changes); every group's GMS against the
 * profile (R-001-19) or the authorised list (R-003-18)
 * (MCGK_ERR_NOT_AUTHORISED); every I_MESSAGE through mcgk_gmk_open (its
 * codes; its replay cache is the state's, and the groups it accepts are
 * the profile's, the document's and the known ones), then: a GMK-ID
 * deleted after the message was stamped (MCGK_ERR_REPLAY), a GMK of
 * another purpose (MCGK_ERR_KEY_PURPOSE), two messages in the document
 * for one GMK-ID with different keys (MCGK_ERR_DUPLICATE_KEY_ID), more
 * GMKs or groups than the state holds (MCGK_ERR_OVERSIZED). Then it
 * applies the rules above to *s and marks the changes.
 * Returns outcome->result (MCGK_OK when accepted). MCGK_ERR_INVALID_ARG for
 * NULLs (outcome then says 500); MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_client_process(const mcgk_client_cfg *cfg, mcgk_client_state *s,
                             const mcgk_groupdoc *doc,
                             const uint8_t doc_hash[MCGK_CLIENT_HASH_LEN], uint64_t now_unix_s,
                             mcgk_client_outcome *outcome);

/*
 * The same from the document's bytes (a SIP NOTIFY body, an HTTPS GET
 * response): parse with mcgk_groupdoc_parse (its codes, answered 400), hash,
 * process. Returns outcome->result.
 */
mcgk_err mcgk_client_process_bytes(const mcgk_client_cfg *cfg, mcgk_client_state *s,
                                   const uint8_t *body, size_t body_len, uint64_t now_unix_s,
                                   mcgk_client_outcome *outcome);

/* The outcome for a failure outside the document's content (e.g. a store error: 500). */
void mcgk_client_outcome_fail(mcgk_client_outcome *o, mcgk_err e);

/*
 * The GMK to use for group and use at now_unix_s (R-001-23, R-000-23; see
 * above): *index into s->gmks. Returns MCGK_OK, MCGK_ERR_NOT_FOUND (none
 * usable, or not a member of the group), MCGK_ERR_INVALID_ARG.
 */
mcgk_err mcgk_client_select(const mcgk_client_state *s, const char *group, mcgk_gmk_use use,
                            uint64_t now_unix_s, size_t *index);

typedef enum mcgk_client_gmk_status {
    MCGK_CLIENT_GMK_ACTIVE = 0,  /* usable now */
    MCGK_CLIENT_GMK_PENDING = 1, /* activation time not reached */
    MCGK_CLIENT_GMK_EXPIRED = 2, /* expiry passed */
    MCGK_CLIENT_GMK_REVOKED = 3
} mcgk_client_gmk_status;

mcgk_client_gmk_status mcgk_client_gmk_status_at(const mcgk_client_gmk *g, uint64_t now_unix_s);
/* "active", "pending", "expired", "revoked" */
const char *mcgk_client_gmk_status_name(mcgk_client_gmk_status st);

/* 1 when g serves group (its parameters' group IDs, or its association). */
int mcgk_client_gmk_serves(const mcgk_client_gmk *g, const char *group);

/* The groups g serves: count, and the i-th (NUL-terminated). */
size_t mcgk_client_gmk_group_count(const mcgk_client_gmk *g);
const char *mcgk_client_gmk_group(const mcgk_client_gmk *g, size_t i);

/* The known group with this id, or NULL. */
const mcgk_client_group *mcgk_client_find_group(const mcgk_client_state *s, const char *id);

/* "stored", "updated", ... for logs. */
const char *mcgk_client_action_name(mcgk_client_action a);

/* ==================== using the GMKs: the key ring (src/client/keyring.c) ==================== */

/*
 * What the media layer (mcgk/srtp.h, mcgk/mcdata.h) and the ProSe GSK message
 * (mcgk/gsk_message.h) need from the client's state, sans I/O: the keys by
 * key identifier, the sender's keys for a group, and the GSKs accepted in
 * this process. docs/media.md "The client's key ring".
 *
 * Spec: ts33180.md §7.4.2 (GMK-ID -> GMK + RAND; the sender's own GUK-ID),
 * README §2.5 / seed 004 (a separate floor-control GMK, R-004-12/13), §2.8
 * and seed 002 (GSK under the GMK, R-002-19/23), R-001-23 / R-000-23 (which
 * GMK a sender uses), R-003-34 (revoked: not used), R-001-33 (deleted).
 *
 * Rules (decided here):
 *  - a GMK answers for media when it has its key, is not revoked and has not
 *    expired; a pending one (activation in the future) is accepted on
 *    receipt, so that a sender whose clock runs ahead is not cut off;
 *    senders only use active ones (mcgk_client_select);
 *  - what it may protect (mcgk_media_key.uses): a floor-control GMK RTCP
 *    only; a media GMK RTP and data, and RTCP too unless a group it serves
 *    (the ring's group, when it has one) has an active floor-control GMK;
 *  - a ring with a group answers only for that group, and only while the
 *    client is a member of it: another group's GMK (even one this client
 *    holds for another group) is unknown-key-id there;
 *  - a GSK (accepted by mcgk_client_keyring_add_gsk from a GSK message that
 *    opened under a media GMK of the ring) answers under its CSB ID:
 *    media under a GSK carries MKI = CSB ID || CSB ID and its keys are
 *    derived with the CSB ID as the GUK-ID (mcgk/gsk_message.h; mcgk's
 *    choice, docs/media.md); it may protect RTP and RTCP.
 *
 * Secrets: the GMKs (read from the state), the GSKs (held in the ring),
 * every key copied out (mcgk_media_key.key, the lookup's key[], the
 * sender's keys). mcgk_client_keyring_clear and mcgk_client_sender_clear
 * wipe; a dropped GSK is wiped in place.
 */

#define MCGK_CLIENT_MAX_GSKS 16 /* GSKs a ring holds; the oldest goes first */

/* One GSK accepted from a GSK message (secret: gsk). */
typedef struct mcgk_client_gsk {
    uint32_t csb_id;           /* the message's CSB ID: the key identifier of its media */
    uint32_t gmk_id;           /* the GMK it was protected under */
    uint8_t gsk[MCGK_KEY_LEN]; /* SECRET */
    size_t rand_len;
    uint8_t rand[MCGK_MEDIA_RAND_MAX];
    char initiator[MCGK_GMK_URI_MAX + 1]; /* IDRi, "" when absent */
    int is_signed;
    uint64_t accepted_unix_s;
} mcgk_client_gsk;

/*
 * The key ring: a view of one identity's state (borrowed: the caller keeps
 * it loaded and unchanged while the ring uses it) at a time, scoped to one
 * group or to all, plus the GSKs accepted. Plain struct, owned by the
 * caller; mcgk_client_keyring_clear wipes it.
 */
/*
 * How long a GMK that a newer one has replaced for its group (another GMK of
 * the same use became the one mcgk_client_select chooses) still protects
 * media: from the moment the newer one arrived. Packets in flight across a
 * rekey still decrypt; after the grace only the current GMK is accepted, so a
 * rekey on removal (R-001-24) shuts the removed member - who still holds the
 * old GMK - out of the group's media and floor control, not only out of what
 * the others send next. Lookups then answer MCGK_ERR_SUPERSEDED.
 */
#define MCGK_CLIENT_SUPERSEDED_GRACE_S 30u

typedef struct mcgk_client_keyring {
    const mcgk_client_state *state;
    char group[MCGK_GROUPDOC_URI_MAX]; /* "" = every group */
    uint64_t now_unix_s;               /* the caller moves it on */
    size_t n_gsks;
    mcgk_client_gsk gsks[MCGK_CLIENT_MAX_GSKS];
} mcgk_client_keyring;

/*
 * Start a ring over s at now_unix_s for group (NULL or "": every group).
 * Returns MCGK_OK; MCGK_ERR_INVALID_ARG (NULL kr or s, a group longer than
 * MCGK_GROUPDOC_URI_MAX - 1).
 */
mcgk_err mcgk_client_keyring_init(mcgk_client_keyring *kr, const mcgk_client_state *s,
                                  const char *group, uint64_t now_unix_s);

/* Wipe the ring (its GSKs); the state is not touched. NULL is fine. */
void mcgk_client_keyring_clear(mcgk_client_keyring *kr);

/*
 * The mcgk_media_key_fn of mcgk/media.h (ctx = the ring): key_id (the GMK-ID
 * of an MKI, a DPPK-ID; or a GSK's CSB ID) -> key, RAND, uses.
 * Returns MCGK_OK with *out filled; MCGK_ERR_UNKNOWN_KEY_ID (not held; another
 * group's key in a scoped ring; the ring's group is one the client is not a
 * member of); MCGK_ERR_REVOKED (revoked, R-003-34, or deleted on removal,
 * R-001-33: a tombstone); MCGK_ERR_VALIDITY (expired); MCGK_ERR_INVALID_ARG
 * (NULLs). *out is written only on MCGK_OK.
 */
mcgk_err mcgk_client_keyring_media_key(void *kr, uint32_t key_id, mcgk_media_key *out);

/*
 * The mcgk_gmk_lookup_fn that mcgk_gsk_open needs (ctx = the ring): 1 and
 * the GMK in key[] when purpose is MCGK_PURPOSE_GMK and key_id names a media
 * GMK the ring answers for (as above); 0 otherwise (key[] untouched).
 */
int mcgk_client_keyring_gmk_lookup(void *kr, unsigned purpose, uint32_t key_id,
                                   uint8_t key[MCGK_KEY_LEN]);

/*
 * Keep the GSK of an opened GSK message (r from mcgk_gsk_open with the
 * ring's lookup) at now_unix_s. The GMK it came under must still answer
 * (its code otherwise); its CSB ID must not name a GMK or tombstone of the
 * state, nor another GSK (MCGK_ERR_DUPLICATE_KEY_ID; the same GSK again is
 * MCGK_OK and changes nothing). When MCGK_CLIENT_MAX_GSKS are held the
 * oldest is wiped and *evicted (may be NULL) gets its CSB ID (else 0: drop it
 * from the SRTP receiver). Returns MCGK_OK; those codes; MCGK_ERR_INVALID_ARG.
 */
mcgk_err mcgk_client_keyring_add_gsk(mcgk_client_keyring *kr, const mcgk_gsk_result *r,
                                     uint64_t now_unix_s, uint32_t *evicted);

/* The GSK the ring holds under csb_id, or NULL. */
const mcgk_client_gsk *mcgk_client_keyring_find_gsk(const mcgk_client_keyring *kr,
                                                    uint32_t csb_id);

/*
 * Move the ring to state s (reloaded from the store; may be the same
 * pointer) at now_unix_s, and list in dropped[0..cap) the key IDs that
 * answered before and answer no more, or with other uses: GMKs revoked,
 * deleted, expired, no longer the ring group's (removal), media GMKs that
 * lost RTCP to a new floor-control GMK, and the CSB IDs of GSKs whose GMK
 * went (those GSKs are wiped). The caller hands each to
 * mcgk_srtp_rx_forget, so cached sender keys are looked up again. The old
 * state must still be valid during the call. Returns how many IDs changed
 * (those beyond cap are not listed; size cap at MCGK_CLIENT_MAX_GMKS +
 * MCGK_CLIENT_MAX_GSKS).
 */
size_t mcgk_client_keyring_update(mcgk_client_keyring *kr, const mcgk_client_state *s,
                                  uint64_t now_unix_s, uint32_t *dropped, size_t cap);

/* One key a member sends under (SECRET: key). */
typedef struct mcgk_client_sender_key {
    uint8_t key[MCGK_KEY_LEN]; /* the GMK */
    uint32_t gmk_id;
    uint32_t guk_id;           /* this client's own GUK-ID for it (§7.4.2) */
    size_t rand_len;
    uint8_t rand[MCGK_MEDIA_RAND_MAX];
} mcgk_client_sender_key;

/* What a member sends a group call under. */
typedef struct mcgk_client_sender {
    mcgk_client_sender_key media; /* the GMK mcgk_client_select chooses for media */
    int has_floor;                /* the group has its own floor-control GMK (R-004-12/13) */
    mcgk_client_sender_key floor; /* ... then that one; otherwise floor control goes under media */
} mcgk_client_sender;

/*
 * The sender's keys for group at now_unix_s: the media GMK chosen by
 * mcgk_client_select (R-001-23, R-000-23) with this client's GUK-ID and the
 * RAND, and the floor-control GMK when the group has one.
 * Returns MCGK_OK; MCGK_ERR_NOT_FOUND (not a member, or no usable media GMK);
 * MCGK_ERR_INVALID_ARG. *out is written only on MCGK_OK; wipe it with
 * mcgk_client_sender_clear.
 */
mcgk_err mcgk_client_sender_select(const mcgk_client_state *s, const char *group,
                                   uint64_t now_unix_s, mcgk_client_sender *out);

/* Wipe (NULL is fine). */
void mcgk_client_sender_clear(mcgk_client_sender *snd);

#ifdef __cplusplus
}
#endif
#endif
