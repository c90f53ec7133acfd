/*
 * mcgk/gmk_message.h - the GMK I_MESSAGE: a MIKEY-SAKKE I_MESSAGE (RFC 6509)
 * as profiled by TS 33.180 Annex E.2, built per member at the GMS and
 * opened with the complete receiver checklist at the client.
 *
 * Spec: ../shared/spec/ts33180.md §0 (identifiers, purpose tags), §5.2.1-
 * §5.2.6 (distribution, GUK-ID, key parameters, SAKKE-to-self, identity
 * hiding), §5.3 (key periods), §7.4.2 (RAND), Annex E.2/E.5/E.6/E.7 and
 * the receiver checklist of §9; mikey.md §13; seed-requirements.md C, D, E, H.
 *
 * GMS side. One build context per GMK (mcgk_gmk_ctx) holds everything that
 * is the same for every member: the GMK, its GMK-ID, the RAND shared by all
 * members (§7.4.2), the timestamp, the key parameters in clear, the GMS
 * UID, the SAKKE-to-self encapsulation (E.5), the SP parameter list. Per
 * member (mcgk_gmk_build_one, or mcgk_gmk_build_batch for a list) only what
 * differs is computed: the member's UID for the key period of the
 * timestamp under its KMS, its GUK-ID (CSB ID, §5.2.3), the SAKKE
 * encapsulation to its UID with its KMS's community (the per-community
 * tables are built once by the caller and shared), the key parameters
 * sealed under its DPCK, the encoding and the ECCSI signature over the
 * whole message including the SIGN header (RFC 6509; eccsi.md §8). The
 * context is read-only while building, so several threads may build from
 * one context at once, each with its own RNG.
 *
 * Client side. mcgk_gmk_open runs the checklist of ts33180.md §9 in order
 * and stops at the first failure, each with its own code (below). Inputs:
 * the message, the receiver's identity and its SAKKE receivers per key
 * period, the trusted KMSs (its own and partner KMSs, R-004-03), the group
 * -> GMS configuration, a lookup of the key IDs already held, a replay
 * cache and the time. Output: the key, its IDs, RAND, key parameters,
 * purpose, sender - and what goes back to the GMS (mcgk_gmk_reply_for).
 * Other key purposes (PCK, CSK, MKFC ...) are recognised and, when the
 * configuration accepts them, opened the same way; the result says which
 * purpose the message carries.
 *
 * Secrets: the GMK (in mcgk_gmk_ctx, in mcgk_gmk_result.key), the DPCK, the
 * ECCSI ephemeral j (inside mcgk_eccsi_sign) and the SSV (= GMK) inside the
 * SAKKE calls. _clear functions wipe; every temporary is wiped on every
 * path. The key parameters are confidential (they travel encrypted) and
 * are wiped with the result. Everything else (identities, IDs, RAND,
 * timestamps, the message) is public; parsing and the checks on public
 * data run in variable time.
 */
#ifndef MCGK_GMK_MESSAGE_H
#define MCGK_GMK_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/base.h"
#include "mcgk/eccsi.h"
#include "mcgk/kdf.h"
#include "mcgk/key_params.h"
#include "mcgk/mikey.h"
#include "mcgk/sakke.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MCGK_GMK_RAND_LEN 16     /* RAND written (mikey.md §4); at least this much accepted */
#define MCGK_GMK_URI_MAX 512     /* longest identity / KMS URI, octets (without the NUL) */
#define MCGK_GMK_CS_ID_MCPTT 4   /* CS-ID of an MCPTT group call (Table E.1.3-1, UNCONFIRMED) */
#define MCGK_GMK_CS_ID_MCVIDEO 5 /* CS-ID of an MCVideo group call (UNCONFIRMED) */
#define MCGK_GMK_POLICY_NO 0     /* SP policy number used with a GENERIC-ID map */

/* Default replay window around "now" (ts33180.md §9 step 3): a message may be
 * this much older or this much newer than the receiver's clock. */
#define MCGK_GMK_WINDOW_PAST_S 3600
#define MCGK_GMK_WINDOW_FUTURE_S 300

/* ---- a KMS as this layer needs it (from its KmsCertificate, mcgk/kms.h) ---------------- */

typedef struct mcgk_gmk_kms {
    const char *kms_uri;    /* KmsUri, NUL-terminated, exactly as in the certificate (UID P2) */
    uint64_t period_s;      /* UserKeyPeriod (> 0) */
    uint64_t offset_s;      /* UserKeyOffset */
    const uint8_t *kpak;    /* PubAuthKey (MCGK_ECCSI_POINT_LEN octets): verifies its users */
    const mcgk_sakke_community *community; /* PubEncKey with tables: encapsulates to its users
                                              (needed for recipients and SAKKE-to-self) */
} mcgk_gmk_kms;

/* ================================ GMS side ================================ */

/*
 * Fresh key material for one GMK (ts33180.md §0, §5.2.1 step 1): 16 random
 * octets of key, a key ID with `purpose` in its 4 MSBs and 28 random bits,
 * and the RAND shared by every member (§7.4.2). Any output may be NULL.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG (purpose > 15), MCGK_ERR_RNG.
 */
mcgk_err mcgk_gmk_generate(const mcgk_rng *rng, unsigned purpose, uint8_t key[MCGK_KEY_LEN],
                           uint32_t *key_id, uint8_t rand[MCGK_GMK_RAND_LEN]);

/* How the HDR CS ID map is written (TS 33.180 E.2 row 1). */
typedef enum mcgk_gmk_map {
    MCGK_GMK_MAP_EMPTY = 0,  /* #CS 0, map type 1: the default profile applies, no SP */
    MCGK_GMK_MAP_GENERIC = 1 /* #CS 1, GENERIC-ID: cs_id, SRTP, policy MCGK_GMK_POLICY_NO,
                                SPI = GMK-ID || GUK-ID, and an SP payload with the default
                                SRTP profile of TS 33.179 Table E.2-1 */
} mcgk_gmk_map;

/* What the GMS puts in every I_MESSAGE of one GMK. Pointers must outlive the context. */
typedef struct mcgk_gmk_build_cfg {
    const uint8_t *key;       /* the GMK (MCGK_KEY_LEN octets, secret; copied) */
    uint32_t key_id;          /* GMK-ID, purpose tag in the 4 MSBs (0 for a GMK) */
    const uint8_t *rand;      /* RAND, identical for every member (§7.4.2; copied) */
    size_t rand_len;          /* 16 .. 255 */
    uint64_t ts_ntp_s;        /* the message time, NTP seconds (Unix + MCGK_NTP_UNIX_OFFSET_S):
                                 selects every key period; the T payload (NTP-UTC, RFC 3830
                                 §6.6) carries its low 32 bits and ts_frac */
    uint32_t ts_frac;         /* T payload fraction of a second (2^-32 s) */
    const mcgk_key_params *params; /* the key parameters (E.6), or NULL for none */
    /* the initiator: the GMS identity "authorised to create groups" (R-003-02) */
    const char *gms_uri;      /* NUL-terminated */
    const mcgk_gmk_kms *gms_kms;
    const mcgk_eccsi_signer *signer; /* the GMS's SSK/PVT for the key period of ts (R-001-02) */
    /* options */
    int sakke_to_self;        /* E.5: also encapsulate the GMK to the GMS's own UID */
    int hide_initiator;       /* E.7: IDRuidi (UID) instead of IDRi (URI) */
    int hide_responder;       /* E.7: IDRuidr (UID) instead of IDRr (URI) */
    mcgk_gmk_map map;
    uint8_t cs_id;            /* GENERIC map: MCGK_GMK_CS_ID_MCPTT or _MCVIDEO ... */
} mcgk_gmk_build_cfg;

/* The per-GMK build context. Caller-allocated; fields are private. */
typedef struct mcgk_gmk_ctx {
    uint8_t key[MCGK_KEY_LEN]; /* secret */
    uint32_t key_id;
    uint8_t rand[255];
    size_t rand_len;
    uint64_t ts_ntp_s;
    uint32_t ts_frac;
    const char *gms_uri;
    size_t gms_uri_len;
    const mcgk_gmk_kms *gms_kms;
    const mcgk_eccsi_signer *signer;
    uint8_t gms_uid[MCGK_UID_LEN];
    int has_params;
    uint8_t kp_content[MCGK_KP_CONTENT_MAX_LEN]; /* confidential */
    size_t kp_content_len;
    int sakke_to_self;
    uint8_t self_encap[MCGK_SAKKE_ENCAP_LEN];
    int hide_initiator, hide_responder;
    mcgk_gmk_map map;
    uint8_t cs_id;
    uint8_t sp_params[64];
    size_t sp_params_len;
    int ready;
} mcgk_gmk_ctx;

/*
 * Prepare the context for one GMK: checks the configuration, computes the
 * GMS UID for the key period of the timestamp (TS 33.180 F.2.1, §5.3),
 * checks that the signer holds the key set of that UID (its cached HS must
 * be SHA-256(G || KPAK || UID || PVT)), encodes the key parameters and, with
 * sakke_to_self, encapsulates the GMK to the GMS UID (E.5) once for all members.
 * Returns MCGK_OK; MCGK_ERR_INVALID_ARG (NULLs, rand_len outside 16..255, an
 * empty or over-long URI, map unknown, sakke_to_self without a community);
 * MCGK_ERR_KEY_PURPOSE (params->key_type is not the purpose tag of key_id);
 * MCGK_ERR_TIMESTAMP (the timestamp is before the GMS KMS's offset);
 * MCGK_ERR_KEYSET_MISMATCH (the signer is not for that UID);
 * MCGK_ERR_NO_MEMORY; the codes of mcgk_key_params_encode and
 * mcgk_sakke_encapsulate. On error the context is wiped (not ready).
 */
mcgk_err mcgk_gmk_ctx_init(mcgk_gmk_ctx *ctx, const mcgk_gmk_build_cfg *cfg);
/* Wipe the context (safe on a wiped or failed one). */
void mcgk_gmk_ctx_clear(mcgk_gmk_ctx *ctx);

/* One recipient: an MC service user ID / VAL service ID, or a partner GMS URI (R-004-16). */
typedef struct mcgk_gmk_member {
    const char *uri;         /* NUL-terminated; the encryption identity and salt input */
    const mcgk_gmk_kms *kms; /* the member's KMS (community required) */
} mcgk_gmk_member;

/*
 * Build the I_MESSAGE of one member into out[0..out_cap); *out_len = its
 * length; *guk_id (may be NULL) = the member's GUK-ID. rng supplies, in this
 * order, the 16-octet key-parameters IV (when there are parameters) and the
 * ECCSI ephemeral j. out == NULL: size query (no crypto, no randomness used;
 * the length does not depend on randomness).
 * Returns MCGK_OK; MCGK_ERR_BUFFER_TOO_SMALL (*out_len = needed);
 * MCGK_ERR_INVALID_ARG (NULLs, context not ready, member without KMS or
 * community, empty or over-long URI); MCGK_ERR_TIMESTAMP (timestamp before
 * the member KMS's offset); MCGK_ERR_RNG; MCGK_ERR_NO_MEMORY; the codes of
 * mcgk_sakke_encapsulate (MCGK_ERR_IDENTITY, MCGK_ERR_SCALAR_RANGE) and
 * mcgk_eccsi_sign. On error out[0..out_cap) holds nothing usable (it is wiped).
 */
mcgk_err mcgk_gmk_build_one(const mcgk_gmk_ctx *ctx, const mcgk_gmk_member *member,
                            const mcgk_rng *rng, uint8_t *out, size_t out_cap, size_t *out_len,
                            uint32_t *guk_id);

/* One output slot of a batch: the caller sets buf/cap; the batch sets the rest. */
typedef struct mcgk_gmk_out {
    uint8_t *buf;
    size_t cap;
    size_t len;      /* message length (needed length on MCGK_ERR_BUFFER_TOO_SMALL) */
    uint32_t guk_id; /* the member's GUK-ID (CSB ID) */
    mcgk_err err;    /* this member's outcome (mcgk_gmk_build_one codes) */
} mcgk_gmk_out;

/*
 * Build the I_MESSAGE of every member (one each, R-000-19), reusing the
 * context (per GMK) and each member KMS's community (per KMS). A failing
 * member does not stop the batch: outs[i].err says how each went.
 * Returns MCGK_OK when every member succeeded, MCGK_ERR_INVALID_ARG for
 * NULL arguments (nothing built), else the error of the first member that failed.
 */
mcgk_err mcgk_gmk_build_batch(const mcgk_gmk_ctx *ctx, const mcgk_gmk_member *members,
                              size_t n, const mcgk_rng *rng, mcgk_gmk_out *outs);

/* ================================ client side ================================ */

/* The receiver's own keys for one key period. */
typedef struct mcgk_gmk_own_keys {
    uint64_t period_no;                   /* KeyPeriodNo under the own KMS */
    const mcgk_sakke_receiver *receiver;  /* validated RSK of the own UID for that period */
} mcgk_gmk_own_keys;

/* One entry of the group -> GMS configuration (user profile, R-001-19). */
typedef struct mcgk_gmk_group_gms {
    const char *group_id; /* MC / VAL group ID, NUL-terminated */
    const char *gms_uri;  /* the GMS (Server URI) configured for that group */
} mcgk_gmk_group_gms;

/*
 * Look up a key ID already held (ts33180.md §9 step 10): return 1 and copy
 * the held key to key[] when key_id (with that purpose) is held, 0 when not.
 * mcgk compares the keys in constant time and wipes key[] afterwards.
 */
typedef int (*mcgk_gmk_lookup_fn)(void *ctx, unsigned purpose, uint32_t key_id,
                                  uint8_t key[MCGK_KEY_LEN]);

/* ---- replay cache (RFC 3830 §5.4; ts33180.md §9 step 3) --------------------------- */

typedef struct mcgk_replay_entry {
    uint8_t sender_uid[MCGK_UID_LEN];
    uint64_t ts_ntp_s;  /* era-resolved seconds */
    uint32_t ts_frac;
    uint32_t csb_id;
} mcgk_replay_entry;

/*
 * A bounded replay cache over caller-owned storage: the (sender UID,
 * timestamp, CSB ID) of every accepted message. When full, entries outside
 * the window are dropped first; if none is, the oldest entry is dropped and
 * every timestamp up to its second is refused from then on (floor_ntp_s), so
 * a full cache never lets a replay through: it only narrows the window.
 */
typedef struct mcgk_replay_cache {
    mcgk_replay_entry *entries;
    size_t cap;
    size_t n;
    uint64_t floor_ntp_s; /* timestamps at or before this second are refused (0: none) */
} mcgk_replay_cache;

/* Start an empty cache over entries[0..cap) (cap 0: only the floor is kept). */
void mcgk_replay_cache_init(mcgk_replay_cache *c, mcgk_replay_entry *entries, size_t cap);

/*
 * Has (sender_uid, ts, csb_id) been accepted before? MCGK_OK (no);
 * MCGK_ERR_REPLAY (yes); MCGK_ERR_TIMESTAMP (ts at or before the floor: the
 * cache cannot tell any more); MCGK_ERR_INVALID_ARG (NULLs).
 */
mcgk_err mcgk_replay_cache_check(const mcgk_replay_cache *c, const uint8_t sender_uid[MCGK_UID_LEN],
                                 uint64_t ts_ntp_s, uint32_t ts_frac, uint32_t csb_id);

/*
 * Record an accepted message. oldest_ntp_s = the lower edge of the window now:
 * entries older than it are dropped first when the cache is full.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG (NULLs).
 */
mcgk_err mcgk_replay_cache_add(mcgk_replay_cache *c, const uint8_t sender_uid[MCGK_UID_LEN],
                               uint64_t ts_ntp_s, uint32_t ts_frac, uint32_t csb_id,
                               uint64_t oldest_ntp_s);

/* ---- the receiver configuration -------------------------------------------------- */

typedef struct mcgk_gmk_open_cfg {
    /* who I am */
    const char *own_uri;                 /* MC service user ID / VAL service ID / partner GMS URI */
    const mcgk_gmk_kms *own_kms;         /* my KMS (its URI must be IDRkmsr) */
    const mcgk_gmk_own_keys *own_keys;   /* my receivers, one per key period held */
    size_t n_own_keys;
    /* whom I trust: KMSs whose users may sign to me (my own KMS is always trusted;
       partner KMSs via KmsCertCache, R-004-03). Checked (validity, revocation) by the caller. */
    const mcgk_gmk_kms *trusted;
    size_t n_trusted;
    /* who may send me GMKs: GMS identities authorised to create groups (R-003-18) and the
       GMS configured for each group (R-001-19). A signer must be in one of the two; each
       group listed in the key parameters must be configured with that signer. */
    const char *const *authorised_gms;
    size_t n_authorised_gms;
    const mcgk_gmk_group_gms *groups;
    size_t n_groups;
    /* state */
    mcgk_gmk_lookup_fn lookup;           /* NULL: nothing held */
    void *lookup_ctx;
    mcgk_replay_cache *replay;           /* NULL: the window only; updated on acceptance */
    uint64_t window_past_s, window_future_s;
    /* policy */
    unsigned purposes;                   /* accepted purposes, bit (1u << tag); 0 = GMK only */
    int accept_legacy_params;            /* accept Streamwide's legacy cleartext type-7 data */
} mcgk_gmk_open_cfg;

/* Zero *cfg and set the default window (MCGK_GMK_WINDOW_PAST_S / _FUTURE_S). */
void mcgk_gmk_open_cfg_init(mcgk_gmk_open_cfg *cfg);

/* ---- what goes back to the GMS (R-001-20, R-003-23, R-003-31, R-004-09) ------------ */

typedef struct mcgk_gmk_reply {
    int confirm;           /* 1: a positive 'Notify group configuration response' (200 OK) */
    int sip_status;        /* 200; 400 unparsable / off-profile; 403 rejected; 480 the
                              receiver lacks keys for that period (retry later); 500 internal */
    const char *reason;    /* reason phrase; coarse on purpose: no detail of which
                              cryptographic step failed goes to the peer */
    uint8_t mikey_err_no;  /* RFC 3830 §6.12 ERR number for an optional MIKEY error
                              message (meaningless when confirm = 1) */
} mcgk_gmk_reply;

/* The reply for an outcome of mcgk_gmk_open (MCGK_OK and MCGK_ERR_REVOKED confirm). */
void mcgk_gmk_reply_for(mcgk_err outcome, mcgk_gmk_reply *reply);

/* ---- the result ------------------------------------------------------------------- */

typedef struct mcgk_gmk_result {
    unsigned purpose;          /* purpose tag of the key (MCGK_PURPOSE_*) */
    uint8_t key[MCGK_KEY_LEN]; /* the GMK (secret); zeros for a revocation */
    uint32_t key_id;           /* GMK-ID (from the GUK-ID, §5.2.3); for other purposes = CSB ID */
    uint32_t csb_id;           /* the HDR CSB ID: this receiver's GUK-ID for a GMK */
    uint8_t rand[255];
    size_t rand_len;
    uint64_t ts_ntp64;         /* T payload value */
    uint64_t ts_ntp_s;         /* its seconds, era resolved */
    uint64_t own_period_no;    /* key period of the timestamp under the own KMS */
    uint64_t sender_period_no; /* ... under the sender's KMS */
    uint8_t sender_uid[MCGK_UID_LEN];
    int sender_hidden;         /* the message carried IDRuidi (E.7) */
    char sender_uri[MCGK_GMK_URI_MAX + 1];     /* IDRi, or the configured GMS whose UID is
                                                  IDRuidi; "" when unknown */
    char sender_kms_uri[MCGK_GMK_URI_MAX + 1]; /* IDRkmsi */
    uint8_t map_type;          /* HDR CS ID map */
    size_t n_cs;
    uint8_t cs_ids[MCGK_MIKEY_MAX_CS]; /* GENERIC-ID map: the CS-IDs (SRTP derivation, §7.4.2) */
    int has_sakke_to_self;     /* an E.5 extension was present (not for this receiver) */
    int has_params;            /* a type-7 extension was present and opened */
    int params_legacy;         /* ... in Streamwide's legacy cleartext form */
    mcgk_key_params params;    /* confidential */
    int already_held;          /* the key ID was held with this same key (update / re-send) */
    int revoked;               /* Status says revoked: mark the key ID unusable */
    mcgk_gmk_reply reply;      /* what to answer the GMS */
} mcgk_gmk_result;

/* Wipe a result. */
void mcgk_gmk_result_clear(mcgk_gmk_result *r);

/*
 * Open a binary I_MESSAGE msg[0..len) at now_unix_s (transport encodings:
 * mcgk_mikey_unwrap first). The checklist of ts33180.md §9, in order:
 *   1 parse (codec codes) and the Annex E profile ........ MCGK_ERR_MIKEY_PROFILE
 *     (data type 26, V 0, PRF 1, exactly one T / RAND (>= 16 octets) / SAKKE
 *     (params 1, ID scheme 2, 273 octets) / SIGN (ECCSI, 129 octets), one
 *     initiator (IDRi or IDRuidi), one responder (IDRr or IDRuidr), IDRkmsi,
 *     IDRkmsr, at most one extension of type 6 and of type 7, no other payloads
 *     than T, RAND, IDR, SP, SAKKE, General Extension, SIGN; UIDs 32 octets,
 *     URIs of ID type URI and at most MCGK_GMK_URI_MAX octets)
 *   2 purpose tag of the CSB ID among cfg->purposes ...... MCGK_ERR_KEY_PURPOSE
 *   3 T: NTP-UTC (profile) within the window ............. MCGK_ERR_TIMESTAMP
 *     own keys for the key period of T ................... MCGK_ERR_NO_KEYS
 *   4 the initiator's KMS (IDRkmsi) is trusted ........... MCGK_ERR_UNKNOWN_KMS
 *     (sender UID, T, CSB ID) not accepted before (replay
 *     cache; needs the sender's UID, hence here) ......... MCGK_ERR_REPLAY
 *   5 (GMK) the initiator is an authorised / configured GMS  MCGK_ERR_NOT_AUTHORISED
 *   6 ECCSI signature by the initiator's UID ............. MCGK_ERR_SIGNATURE
 *   7 IDRr / IDRuidr and IDRkmsr name this receiver ...... MCGK_ERR_NOT_FOR_ME
 *   8 SAKKE decapsulation with the own RSK ............... MCGK_ERR_DECAPSULATE
 *   9 GMK-ID from the GUK-ID (own URI salt); its purpose tag is the CSB ID's
 *  10 the key ID is not held with a different key ........ MCGK_ERR_DUPLICATE_KEY_ID
 *  11 key parameters decrypt, authenticate, decode and name the key's
 *     purpose ............................................ MCGK_ERR_KEY_PARAMS
 *     (GMK) each listed group is configured with this GMS  MCGK_ERR_NOT_AUTHORISED
 *     Status not revoked ................................. MCGK_ERR_REVOKED (accepted)
 * Returns MCGK_OK with *out filled, or MCGK_ERR_REVOKED with *out filled
 * (revoked = 1, key zeroed, reply = confirm): a revocation accepted, the caller
 * marks key_id unusable. Any other code rejects the message and leaves *out
 * untouched; mcgk_gmk_reply_for(code) says what to answer. Also
 * MCGK_ERR_INVALID_ARG (NULLs, own identity missing), MCGK_ERR_NO_MEMORY and
 * the codec's parse codes (mcgk_mikey_parse). detail (may be NULL) receives
 * the underlying code of a failed step for the local log (e.g. the point
 * error behind MCGK_ERR_SIGNATURE); never send it to the peer. The replay
 * cache is updated only when the message is accepted (OK or REVOKED).
 */
mcgk_err mcgk_gmk_open(const mcgk_gmk_open_cfg *cfg, const uint8_t *msg, size_t len,
                       uint64_t now_unix_s, mcgk_gmk_result *out, mcgk_err *detail);

/*
 * Identity hiding (E.7): once the initiator's URI is known from elsewhere
 * (e.g. the encrypted SIP body), check that its UID under the sender's KMS
 * (found in cfg's trusted KMSs by r->sender_kms_uri) for r's key period is
 * the UID the message was verified with. Returns MCGK_OK; MCGK_ERR_INITIATOR
 * (another UID); MCGK_ERR_UNKNOWN_KMS; MCGK_ERR_INVALID_ARG; MCGK_ERR_IDENTITY.
 */
mcgk_err mcgk_gmk_check_initiator(const mcgk_gmk_open_cfg *cfg, const mcgk_gmk_result *r,
                                  const char *uri, size_t uri_len);

#ifdef __cplusplus
}
#endif
#endif
