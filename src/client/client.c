/*
 * The MC client's GMK logic (sans I/O): a group configuration document in,
 * the decision (state changes + the reply to the GMS) out; and the choice
 * of the GMK for a group. Contract and rules: mcgk/client.h, docs/client.md.
 * Spec: seed-requirements.md D-H; ts33180.md §5.2, §9 (mcgk_gmk_open).
 *
 * Secrets: the GMKs (state->gmks[].key, the opened results) and their key
 * parameters (confidential). Every result is wiped after use, a dropped GMK
 * is wiped in place before its slot is reused, and arrays are wiped before
 * they are freed or replaced.
 */
#include <stdlib.h>
#include <string.h>

#include "mcgk/client.h"
#include "mcgk/kdf.h"
#include "mcgk/kms.h"
#include "mcgk/mikey.h"

/* ---- the state ------------------------------------------------------------------------ */

mcgk_err mcgk_client_state_init(mcgk_client_state *s)
{
    if (s == NULL)
        return MCGK_ERR_INVALID_ARG;
    memset(s, 0, sizeof *s);
    s->tombstones = calloc(MCGK_CLIENT_MAX_TOMBSTONES, sizeof *s->tombstones);
    s->replay = calloc(MCGK_CLIENT_REPLAY_CAP, sizeof *s->replay);
    s->doc_hashes = calloc(MCGK_CLIENT_DOC_HASHES, sizeof *s->doc_hashes);
    s->deleted = calloc(MCGK_CLIENT_MAX_GMKS, sizeof *s->deleted);
    if (s->tombstones == NULL || s->replay == NULL || s->doc_hashes == NULL ||
        s->deleted == NULL) {
        mcgk_client_state_clear(s);
        return MCGK_ERR_NO_MEMORY;
    }
    return MCGK_OK;
}

/* Grow an array by copying, so that the old block (it may hold keys) can be wiped. */
static mcgk_err grow(void **arr, size_t *cap, size_t want, size_t max, size_t elem)
{
    if (want <= *cap)
        return MCGK_OK;
    if (want > max)
        return MCGK_ERR_OVERSIZED;
    size_t ncap = *cap ? *cap : 4;
    while (ncap < want)
        ncap *= 2;
    if (ncap > max)
        ncap = max;
    void *n = calloc(ncap, elem);
    if (n == NULL)
        return MCGK_ERR_NO_MEMORY;
    if (*arr != NULL) {
        memcpy(n, *arr, *cap * elem);
        mcgk_wipe(*arr, *cap * elem);
        free(*arr);
    }
    *arr = n;
    *cap = ncap;
    return MCGK_OK;
}

mcgk_err mcgk_client_state_reserve_gmks(mcgk_client_state *s, size_t n)
{
    if (s == NULL)
        return MCGK_ERR_INVALID_ARG;
    void *p = s->gmks;
    mcgk_err e = grow(&p, &s->cap_gmks, n, MCGK_CLIENT_MAX_GMKS, sizeof *s->gmks);
    s->gmks = p;
    return e;
}

mcgk_err mcgk_client_state_reserve_groups(mcgk_client_state *s, size_t n)
{
    if (s == NULL)
        return MCGK_ERR_INVALID_ARG;
    void *p = s->groups;
    mcgk_err e = grow(&p, &s->cap_groups, n, MCGK_CLIENT_MAX_GROUPS, sizeof *s->groups);
    s->groups = p;
    return e;
}

void mcgk_client_state_clean(mcgk_client_state *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_gmks; i++)
        s->gmks[i].dirty = 0;
    for (size_t i = 0; i < s->n_groups; i++)
        s->groups[i].dirty = 0;
    s->n_deleted = 0;
    s->replay_dirty = s->tombstones_dirty = s->docs_dirty = 0;
}

static void free_wiped(void *p, size_t len)
{
    if (p != NULL) {
        mcgk_wipe(p, len);
        free(p);
    }
}

void mcgk_client_state_clear(mcgk_client_state *s)
{
    if (s == NULL)
        return;
    free_wiped(s->gmks, s->cap_gmks * sizeof *s->gmks);
    free_wiped(s->groups, s->cap_groups * sizeof *s->groups);
    free_wiped(s->tombstones, MCGK_CLIENT_MAX_TOMBSTONES * sizeof *s->tombstones);
    free_wiped(s->replay, MCGK_CLIENT_REPLAY_CAP * sizeof *s->replay);
    free_wiped(s->doc_hashes, MCGK_CLIENT_DOC_HASHES * sizeof *s->doc_hashes);
    free_wiped(s->deleted, MCGK_CLIENT_MAX_GMKS * sizeof *s->deleted);
    memset(s, 0, sizeof *s);
}

/* ---- small queries ---------------------------------------------------------------------- */

static int id_eq(const char *a, size_t a_len, const char *b)
{
    return strlen(b) == a_len && memcmp(a, b, a_len) == 0;
}

size_t mcgk_client_gmk_group_count(const mcgk_client_gmk *g)
{
    if (g == NULL)
        return 0;
    if (g->has_params && g->params.n_groups > 0)
        return g->params.n_groups;
    return g->n_assoc;
}

const char *mcgk_client_gmk_group(const mcgk_client_gmk *g, size_t i)
{
    if (g == NULL || i >= mcgk_client_gmk_group_count(g))
        return NULL;
    if (g->has_params && g->params.n_groups > 0)
        return g->params.groups[i].id;
    return g->assoc[i];
}

int mcgk_client_gmk_serves(const mcgk_client_gmk *g, const char *group)
{
    if (g == NULL || group == NULL)
        return 0;
    if (g->has_params && g->params.n_groups > 0) {
        /* R-001-07: each group ID in the key parameters uses this GMK */
        for (size_t i = 0; i < g->params.n_groups; i++)
            if (id_eq(g->params.groups[i].id, g->params.groups[i].len, group))
                return 1;
        return 0;
    }
    for (size_t i = 0; i < g->n_assoc; i++)
        if (strcmp(g->assoc[i], group) == 0)
            return 1;
    return 0;
}

const mcgk_client_group *mcgk_client_find_group(const mcgk_client_state *s, const char *id)
{
    if (s == NULL || id == NULL)
        return NULL;
    for (size_t i = 0; i < s->n_groups; i++)
        if (strcmp(s->groups[i].id, id) == 0)
            return &s->groups[i];
    return NULL;
}

static mcgk_client_group *find_group_mut(mcgk_client_state *s, const char *id)
{
    return (mcgk_client_group *)mcgk_client_find_group(s, id);
}

static mcgk_client_gmk *find_gmk(mcgk_client_state *s, uint32_t gmk_id)
{
    for (size_t i = 0; i < s->n_gmks; i++)
        if (s->gmks[i].gmk_id == gmk_id)
            return &s->gmks[i];
    return NULL;
}

mcgk_client_gmk_status mcgk_client_gmk_status_at(const mcgk_client_gmk *g, uint64_t now_unix_s)
{
    if (g == NULL || g->revoked || !g->has_key)
        return MCGK_CLIENT_GMK_REVOKED;
    if (!g->has_params)
        return MCGK_CLIENT_GMK_ACTIVE; /* no period of use given: no bound */
    uint64_t now = now_unix_s + MCGK_NTP_UNIX_OFFSET_S;
    /* TS 33.180 E.6.4 / E.6.10: 0 = not given */
    if (g->params.expiry_ntp_s != 0 && now >= g->params.expiry_ntp_s)
        return MCGK_CLIENT_GMK_EXPIRED;
    if (g->params.activation_ntp_s != 0 && now < g->params.activation_ntp_s)
        return MCGK_CLIENT_GMK_PENDING;
    return MCGK_CLIENT_GMK_ACTIVE;
}

const char *mcgk_client_gmk_status_name(mcgk_client_gmk_status st)
{
    switch (st) {
    case MCGK_CLIENT_GMK_ACTIVE:
        return "active";
    case MCGK_CLIENT_GMK_PENDING:
        return "pending";
    case MCGK_CLIENT_GMK_EXPIRED:
        return "expired";
    case MCGK_CLIENT_GMK_REVOKED:
        return "revoked";
    }
    return "unknown";
}

const char *mcgk_client_action_name(mcgk_client_action a)
{
    switch (a) {
    case MCGK_CLIENT_EV_STORED:
        return "stored";
    case MCGK_CLIENT_EV_UPDATED:
        return "updated";
    case MCGK_CLIENT_EV_SAME:
        return "same";
    case MCGK_CLIENT_EV_REVOKED:
        return "revoked";
    case MCGK_CLIENT_EV_STILL_REVOKED:
        return "still-revoked";
    case MCGK_CLIENT_EV_DELETED:
        return "deleted";
    case MCGK_CLIENT_EV_KEPT:
        return "kept";
    case MCGK_CLIENT_EV_GROUP_MEMBER:
        return "member";
    case MCGK_CLIENT_EV_GROUP_REMOVED:
        return "removed";
    case MCGK_CLIENT_EV_GROUP_STALE:
        return "stale";
    }
    return "unknown";
}

/* (seconds, fraction) a later than b */
static int ts_after(uint64_t a_s, uint32_t a_f, uint64_t b_s, uint32_t b_f)
{
    return a_s > b_s || (a_s == b_s && a_f > b_f);
}

static uint64_t gmk_activation(const mcgk_client_gmk *g)
{
    return g->has_params ? g->params.activation_ntp_s : 0;
}

mcgk_err mcgk_client_select(const mcgk_client_state *s, const char *group, mcgk_gmk_use use,
                            uint64_t now_unix_s, size_t *index)
{
    if (s == NULL || group == NULL || index == NULL)
        return MCGK_ERR_INVALID_ARG;
    const mcgk_client_group *grp = mcgk_client_find_group(s, group);
    if (grp == NULL || grp->removed)
        return MCGK_ERR_NOT_FOUND;
    const mcgk_client_gmk *best = NULL;
    size_t best_i = 0;
    for (size_t i = 0; i < s->n_gmks; i++) {
        const mcgk_client_gmk *g = &s->gmks[i];
        if (g->purpose != MCGK_PURPOSE_GMK || g->use != use || !mcgk_client_gmk_serves(g, group) ||
            mcgk_client_gmk_status_at(g, now_unix_s) != MCGK_CLIENT_GMK_ACTIVE)
            continue;
        /* R-001-23: the most recent activation time; R-000-23: then the latest
           I_MESSAGE timestamp (the one that brought the key) */
        if (best == NULL || gmk_activation(g) > gmk_activation(best) ||
            (gmk_activation(g) == gmk_activation(best) &&
             ts_after(g->first_ts_ntp_s, g->first_ts_frac, best->first_ts_ntp_s,
                      best->first_ts_frac))) {
            best = g;
            best_i = i;
        }
    }
    if (best == NULL)
        return MCGK_ERR_NOT_FOUND;
    *index = best_i;
    return MCGK_OK;
}

/* ---- the outcome -------------------------------------------------------------------------- */

static void outcome_init(mcgk_client_outcome *o)
{
    memset(o, 0, sizeof *o);
    o->result = MCGK_OK;
    o->detail = MCGK_OK;
    o->status = 200;
    o->reason = "OK";
    o->warning = NULL;
    o->gmk_index = -1;
}

void mcgk_client_outcome_fail(mcgk_client_outcome *o, mcgk_err e)
{
    if (o == NULL)
        return;
    mcgk_gmk_reply r;
    mcgk_gmk_reply_for(e, &r);
    o->result = e;
    if (o->detail == MCGK_OK)
        o->detail = e;
    o->status = r.sip_status;
    o->reason = r.reason;
    o->warning = mcgk_err_name(e);
    o->n_events = 0;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void event(mcgk_client_outcome *o, mcgk_client_action a, const mcgk_client_gmk *g,
                  const char *group)
{
    if (o->n_events >= MCGK_CLIENT_MAX_EVENTS)
        return;
    mcgk_client_event *ev = &o->events[o->n_events++];
    memset(ev, 0, sizeof *ev);
    ev->action = a;
    if (g != NULL) {
        ev->gmk_id = g->gmk_id;
        ev->guk_id = g->guk_id;
        ev->use = g->use;
    }
    if (group != NULL)
        copy_str(ev->group, sizeof ev->group, group);
}

/* ---- configuration checks --------------------------------------------------------------- */

/* The GMS the profile configures for group, or NULL. */
static const char *profile_gms(const mcgk_client_cfg *cfg, const char *group)
{
    for (size_t i = 0; i < cfg->n_profile; i++)
        if (cfg->profile[i].group_id != NULL && strcmp(cfg->profile[i].group_id, group) == 0)
            return cfg->profile[i].gms_uri;
    return NULL;
}

static int is_authorised(const mcgk_client_cfg *cfg, const char *gms)
{
    for (size_t i = 0; i < cfg->n_authorised_gms; i++)
        if (cfg->authorised_gms[i] != NULL && strcmp(cfg->authorised_gms[i], gms) == 0)
            return 1;
    return 0;
}

/* R-001-19 / R-003-18: the GMS named for a group is the one configured for it, or,
   for a group not in the profile, a GMS authorised to create groups. */
static int group_gms_ok(const mcgk_client_cfg *cfg, const char *group, const char *gms)
{
    const char *want = profile_gms(cfg, group);
    if (want != NULL)
        return strcmp(want, gms) == 0;
    return is_authorised(cfg, gms);
}

/* ---- opening -------------------------------------------------------------------------- */

/* The key period of the message's T payload under the own KMS (to fetch the keys of that
   period before mcgk_gmk_open checks them). 0 when it cannot be read: open says why. */
static int peek_period(const mcgk_gmk_kms *own, const uint8_t *msg, size_t len,
                       uint64_t now_unix_s, mcgk_mikey_msg *m, uint64_t *period_no)
{
    if (mcgk_mikey_parse(msg, len, m, NULL) != MCGK_OK)
        return 0;
    for (size_t i = 0; i < m->n_payloads; i++) {
        const mcgk_mikey_payload *p = &m->payloads[i];
        if (p->type != MCGK_MIKEY_PT_T || p->u.t.ts_type != MCGK_MIKEY_TS_NTP_UTC)
            continue;
        uint64_t t = mcgk_ntp64_to_ntp_s(p->u.t.value, now_unix_s + MCGK_NTP_UNIX_OFFSET_S);
        if (t < own->offset_s)
            return 0;
        return mcgk_key_period_no(t, own->period_s, own->offset_s, period_no) == MCGK_OK;
    }
    return 0;
}

typedef struct lookup_ctx {
    const mcgk_client_state *s;
    const mcgk_gmk_result *pending; /* messages of this document opened so far */
    size_t n_pending;
} lookup_ctx;

/* ts33180.md §9 step 10: the key held under this ID (held, or earlier in this document) */
static int lookup_held(void *ctx, unsigned purpose, uint32_t key_id, uint8_t key[MCGK_KEY_LEN])
{
    const lookup_ctx *l = ctx;
    for (size_t j = 0; j < l->n_pending; j++)
        if (!l->pending[j].revoked && l->pending[j].purpose == purpose &&
            l->pending[j].key_id == key_id) {
            memcpy(key, l->pending[j].key, MCGK_KEY_LEN);
            return 1;
        }
    for (size_t i = 0; i < l->s->n_gmks; i++) {
        const mcgk_client_gmk *g = &l->s->gmks[i];
        if (g->has_key && g->purpose == purpose && g->gmk_id == key_id) {
            memcpy(key, g->key, MCGK_KEY_LEN);
            return 1;
        }
    }
    return 0;
}

static const mcgk_client_tombstone *find_tomb(const mcgk_client_state *s, uint32_t gmk_id)
{
    for (size_t i = 0; i < s->n_tombstones; i++)
        if (s->tombstones[i].gmk_id == gmk_id)
            return &s->tombstones[i];
    return NULL;
}

/* Everything process needs on the heap (the results and the document's copy of the
   replay cache; MIKEY views are large). Wiped as a whole. */
typedef struct work {
    mcgk_gmk_result res[MCGK_GROUPDOC_MAX_GMKS];
    size_t n_res;
    mcgk_replay_entry cache_entries[MCGK_CLIENT_REPLAY_CAP];
    mcgk_replay_cache cache;
    mcgk_mikey_msg peek;
    mcgk_gmk_group_gms groups[MCGK_CLIENT_MAX_GROUPS + MCGK_GROUPDOC_MAX_GROUPS];
    size_t n_groups;
} work;

static void add_open_group(work *w, const char *id, const char *gms)
{
    for (size_t i = 0; i < w->n_groups; i++)
        if (strcmp(w->groups[i].group_id, id) == 0)
            return;
    if (w->n_groups < sizeof w->groups / sizeof w->groups[0]) {
        w->groups[w->n_groups].group_id = id;
        w->groups[w->n_groups].gms_uri = gms;
        w->n_groups++;
    }
}

/* Open every I_MESSAGE of doc into w->res (no state change). */
static mcgk_err open_all(const mcgk_client_cfg *cfg, const mcgk_client_state *s,
                         const mcgk_groupdoc *doc, uint64_t now_unix_s, work *w,
                         mcgk_client_outcome *o)
{
    /* the groups a GMK may serve, each with the GMS that must have signed it: the
       profile (R-001-19), then this document's and the known groups whose GMS is the
       configured or an authorised one (R-003-18) */
    for (size_t i = 0; i < cfg->n_profile; i++)
        if (cfg->profile[i].group_id != NULL && cfg->profile[i].gms_uri != NULL)
            add_open_group(w, cfg->profile[i].group_id, cfg->profile[i].gms_uri);
    for (size_t i = 0; i < doc->n_groups; i++)
        add_open_group(w, doc->groups[i].id, doc->groups[i].gms);
    for (size_t i = 0; i < s->n_groups; i++)
        if (group_gms_ok(cfg, s->groups[i].id, s->groups[i].gms))
            add_open_group(w, s->groups[i].id, s->groups[i].gms);

    /* the document is all or nothing: open against a copy of the replay cache */
    memcpy(w->cache_entries, s->replay, s->n_replay * sizeof *s->replay);
    mcgk_replay_cache_init(&w->cache, w->cache_entries, MCGK_CLIENT_REPLAY_CAP);
    w->cache.n = s->n_replay;
    w->cache.floor_ntp_s = s->replay_floor_ntp_s;

    mcgk_gmk_open_cfg oc;
    mcgk_gmk_open_cfg_init(&oc);
    oc.own_uri = cfg->identity;
    oc.own_kms = cfg->own_kms;
    oc.trusted = cfg->trusted;
    oc.n_trusted = cfg->n_trusted;
    oc.authorised_gms = cfg->authorised_gms;
    oc.n_authorised_gms = cfg->n_authorised_gms;
    oc.groups = w->groups;
    oc.n_groups = w->n_groups;
    lookup_ctx lc = {s, w->res, 0};
    oc.lookup = lookup_held;
    oc.lookup_ctx = &lc;
    oc.replay = &w->cache;
    if (cfg->window_past_s != 0 || cfg->window_future_s != 0) {
        oc.window_past_s = cfg->window_past_s;
        oc.window_future_s = cfg->window_future_s;
    }
    oc.purposes = 0; /* GMKs only */

    for (size_t i = 0; i < doc->n_gmks; i++) {
        const mcgk_groupdoc_gmk *dg = &doc->gmks[i];
        mcgk_gmk_own_keys own;
        uint64_t period_no = 0;
        oc.own_keys = NULL;
        oc.n_own_keys = 0;
        /* the own keys of the message's period (built on first use by the caller);
           without them mcgk_gmk_open answers no-keys (480) */
        if (peek_period(cfg->own_kms, dg->msg, dg->msg_len, now_unix_s, &w->peek, &period_no)) {
            const mcgk_sakke_receiver *rcv = NULL;
            mcgk_err re = cfg->receiver(cfg->receiver_ctx, period_no, &rcv);
            if (re == MCGK_OK && rcv != NULL) {
                own.period_no = period_no;
                own.receiver = rcv;
                oc.own_keys = &own;
                oc.n_own_keys = 1;
            } else if (re != MCGK_ERR_NO_KEYS) {
                o->gmk_index = (int)i;
                o->detail = re;
                return re == MCGK_OK ? MCGK_ERR_NO_KEYS : re;
            }
        }
        mcgk_err detail = MCGK_OK;
        mcgk_gmk_result *r = &w->res[i];
        mcgk_err e = mcgk_gmk_open(&oc, dg->msg, dg->msg_len, now_unix_s, r, &detail);
        if (e != MCGK_OK && e != MCGK_ERR_REVOKED) {
            o->gmk_index = (int)i;
            o->detail = detail;
            return e;
        }
        w->n_res = i + 1;
        lc.n_pending = i; /* earlier messages of this document; r itself is checked below */
        /* a GMK only (the configuration accepts no other purpose; kept explicit) */
        if (r->purpose != MCGK_PURPOSE_GMK) {
            o->gmk_index = (int)i;
            return MCGK_ERR_KEY_PURPOSE;
        }
        /* R-001-33: a deleted GMK comes back only from a message stamped after the
           deletion (a replayed or withheld older message cannot restore it) */
        const mcgk_client_tombstone *t = find_tomb(s, r->key_id);
        if (t != NULL && r->ts_ntp_s <= t->deleted_ntp_s) {
            o->gmk_index = (int)i;
            return MCGK_ERR_REPLAY;
        }
        /* R-001-16 within the document: one GMK-ID, one key (a revocation has no key) */
        for (size_t j = 0; j < i; j++)
            if (w->res[j].key_id == r->key_id && !w->res[j].revoked && !r->revoked &&
                !mcgk_ct_memeq(w->res[j].key, r->key, MCGK_KEY_LEN)) {
                o->gmk_index = (int)i;
                return MCGK_ERR_DUPLICATE_KEY_ID;
            }
        lc.n_pending = i + 1;
    }
    return MCGK_OK;
}

/* ---- applying ------------------------------------------------------------------------- */

/* Drop s->gmks[i]: wipe it, move the last one into its place. */
static void drop_gmk(mcgk_client_state *s, size_t i)
{
    if (i + 1 < s->n_gmks)
        s->gmks[i] = s->gmks[s->n_gmks - 1];
    s->n_gmks--;
    mcgk_wipe(&s->gmks[s->n_gmks], sizeof s->gmks[s->n_gmks]);
}

static void add_tombstone(mcgk_client_state *s, uint32_t gmk_id, uint64_t t_ntp_s,
                          uint64_t oldest_ntp_s)
{
    mcgk_client_tombstone *t = (mcgk_client_tombstone *)find_tomb(s, gmk_id);
    if (t == NULL && s->n_tombstones == MCGK_CLIENT_MAX_TOMBSTONES) {
        /* full: forget those older than the window first (the timestamp check refuses
           their messages anyway), else the oldest */
        size_t k = 0;
        for (size_t i = 0; i < s->n_tombstones; i++)
            if (s->tombstones[i].deleted_ntp_s >= oldest_ntp_s)
                s->tombstones[k++] = s->tombstones[i];
        s->n_tombstones = k;
        if (k == MCGK_CLIENT_MAX_TOMBSTONES) {
            size_t o = 0;
            for (size_t i = 1; i < k; i++)
                if (s->tombstones[i].deleted_ntp_s < s->tombstones[o].deleted_ntp_s)
                    o = i;
            s->tombstones[o] = s->tombstones[--s->n_tombstones];
        }
    }
    if (t == NULL)
        t = &s->tombstones[s->n_tombstones++];
    t->gmk_id = gmk_id;
    if (t_ntp_s > t->deleted_ntp_s)
        t->deleted_ntp_s = t_ntp_s;
    s->tombstones_dirty = 1;
}

static void apply_groups(const mcgk_groupdoc *doc, mcgk_client_state *s, uint64_t now_unix_s,
                         mcgk_client_outcome *o)
{
    for (size_t i = 0; i < doc->n_groups; i++) {
        const mcgk_groupdoc_group *dg = &doc->groups[i];
        mcgk_client_group *g = find_group_mut(s, dg->id);
        if (g == NULL) {
            g = &s->groups[s->n_groups++];
            memset(g, 0, sizeof *g);
            copy_str(g->id, sizeof g->id, dg->id);
        } else if (doc->seq < g->seq) {
            /* an older document: its view of this group is out of date */
            event(o, MCGK_CLIENT_EV_GROUP_STALE, NULL, g->id);
            continue;
        }
        copy_str(g->gms, sizeof g->gms, dg->gms);
        copy_str(g->name, sizeof g->name, dg->name);
        g->removed = dg->removed != 0;
        g->seq = doc->seq;
        g->updated_unix_s = now_unix_s;
        g->dirty = 1;
        event(o, g->removed ? MCGK_CLIENT_EV_GROUP_REMOVED : MCGK_CLIENT_EV_GROUP_MEMBER, NULL,
              g->id);
    }
}

static void new_gmk(const mcgk_groupdoc *doc, const mcgk_groupdoc_gmk *dg,
                    const mcgk_gmk_result *r, mcgk_client_state *s, uint64_t now_unix_s,
                    mcgk_client_outcome *o)
{
    mcgk_client_gmk *g = &s->gmks[s->n_gmks++];
    memset(g, 0, sizeof *g);
    g->gmk_id = r->key_id;
    g->guk_id = r->csb_id;
    g->purpose = (uint8_t)r->purpose;
    g->use = dg->use;
    g->revoked = r->revoked;
    g->has_key = !r->revoked;
    if (g->has_key)
        memcpy(g->key, r->key, MCGK_KEY_LEN);
    g->rand_len = r->rand_len;
    memcpy(g->rand, r->rand, r->rand_len);
    g->has_params = r->has_params;
    if (r->has_params)
        g->params = r->params;
    if (!(g->has_params && g->params.n_groups > 0)) {
        /* no group in the parameters: the groups this document says the client is in */
        for (size_t i = 0; i < doc->n_groups && g->n_assoc < MCGK_GROUPDOC_MAX_GROUPS; i++)
            if (!doc->groups[i].removed)
                copy_str(g->assoc[g->n_assoc++], MCGK_GROUPDOC_URI_MAX, doc->groups[i].id);
    }
    g->first_ts_ntp_s = g->last_ts_ntp_s = r->ts_ntp_s;
    g->first_ts_frac = g->last_ts_frac = (uint32_t)(r->ts_ntp64 & 0xffffffffu);
    copy_str(g->sender, sizeof g->sender, r->sender_uri);
    g->received_unix_s = now_unix_s;
    g->dirty = 1;
    event(o, g->revoked ? MCGK_CLIENT_EV_REVOKED : MCGK_CLIENT_EV_STORED, g, NULL);
}

static void apply_gmk(const mcgk_groupdoc *doc, const mcgk_groupdoc_gmk *dg,
                      const mcgk_gmk_result *r, mcgk_client_state *s, uint64_t now_unix_s,
                      mcgk_client_outcome *o)
{
    mcgk_client_gmk *g = find_gmk(s, r->key_id);
    if (g == NULL) {
        new_gmk(doc, dg, r, s, now_unix_s, o);
        return;
    }
    uint32_t frac = (uint32_t)(r->ts_ntp64 & 0xffffffffu);
    int newer = ts_after(r->ts_ntp_s, frac, g->last_ts_ntp_s, g->last_ts_frac);
    if (g->revoked) {
        /* R-003-34: a revoked GMK-ID stays revoked whatever comes later */
        event(o, MCGK_CLIENT_EV_STILL_REVOKED, g, NULL);
        return;
    }
    if (r->revoked) {
        /* R-003-34: stop using it; the key is not needed any more */
        g->revoked = 1;
        g->has_key = 0;
        mcgk_wipe(g->key, sizeof g->key);
        if (r->has_params) {
            g->has_params = 1;
            g->params = r->params;
        }
    } else if (newer && r->has_params) {
        g->has_params = 1;
        g->params = r->params;
    }
    if (newer) {
        g->last_ts_ntp_s = r->ts_ntp_s;
        g->last_ts_frac = frac;
    }
    if (r->revoked || newer) {
        g->dirty = 1;
        event(o, r->revoked ? MCGK_CLIENT_EV_REVOKED : MCGK_CLIENT_EV_UPDATED, g, NULL);
    } else {
        event(o, MCGK_CLIENT_EV_SAME, g, NULL);
    }
}

/* R-001-33: removed from `group`: delete and wipe its GMKs unless another group the
   client remains a member of still uses them. */
static void apply_removal(mcgk_client_state *s, const char *group, uint64_t now_unix_s,
                          uint64_t oldest_ntp_s, mcgk_client_outcome *o)
{
    uint64_t now_ntp = now_unix_s + MCGK_NTP_UNIX_OFFSET_S;
    size_t i = 0;
    while (i < s->n_gmks) {
        mcgk_client_gmk *g = &s->gmks[i];
        if (!mcgk_client_gmk_serves(g, group)) {
            i++;
            continue;
        }
        int still_used = 0;
        for (size_t k = 0; k < mcgk_client_gmk_group_count(g) && !still_used; k++) {
            const mcgk_client_group *other = mcgk_client_find_group(s, mcgk_client_gmk_group(g, k));
            still_used = other != NULL && !other->removed;
        }
        if (still_used) {
            event(o, MCGK_CLIENT_EV_KEPT, g, group);
            i++;
            continue;
        }
        event(o, MCGK_CLIENT_EV_DELETED, g, group);
        /* a message stamped up to now (or up to the newest one accepted for it, if the
           GMS clock is ahead) cannot bring it back */
        add_tombstone(s, g->gmk_id, g->last_ts_ntp_s > now_ntp ? g->last_ts_ntp_s : now_ntp,
                      oldest_ntp_s);
        if (s->n_deleted < MCGK_CLIENT_MAX_GMKS)
            s->deleted[s->n_deleted++] = g->gmk_id;
        drop_gmk(s, i);
    }
}

/* How many GMKs and groups the document adds (to reserve before changing anything). */
static void count_new(const mcgk_client_state *s, const mcgk_groupdoc *doc, const work *w,
                      size_t *new_gmks, size_t *new_groups)
{
    *new_gmks = *new_groups = 0;
    for (size_t i = 0; i < w->n_res; i++) {
        int seen = 0;
        for (size_t k = 0; k < s->n_gmks && !seen; k++)
            seen = s->gmks[k].gmk_id == w->res[i].key_id;
        for (size_t j = 0; j < i && !seen; j++)
            seen = w->res[j].key_id == w->res[i].key_id;
        *new_gmks += !seen;
    }
    for (size_t i = 0; i < doc->n_groups; i++) {
        int seen = mcgk_client_find_group(s, doc->groups[i].id) != NULL;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(doc->groups[j].id, doc->groups[i].id) == 0;
        *new_groups += !seen;
    }
}

mcgk_err mcgk_client_process(const mcgk_client_cfg *cfg, mcgk_client_state *s,
                             const mcgk_groupdoc *doc,
                             const uint8_t doc_hash[MCGK_CLIENT_HASH_LEN], uint64_t now_unix_s,
                             mcgk_client_outcome *o)
{
    if (o == NULL)
        return MCGK_ERR_INVALID_ARG;
    outcome_init(o);
    if (cfg == NULL || s == NULL || doc == NULL || doc_hash == NULL || cfg->identity == NULL ||
        cfg->own_kms == NULL || cfg->receiver == NULL || s->replay == NULL ||
        s->tombstones == NULL || s->doc_hashes == NULL || s->deleted == NULL ||
        doc->n_gmks > MCGK_GROUPDOC_MAX_GMKS || doc->n_groups > MCGK_GROUPDOC_MAX_GROUPS ||
        s->n_replay > MCGK_CLIENT_REPLAY_CAP) {
        mcgk_client_outcome_fail(o, MCGK_ERR_INVALID_ARG);
        return MCGK_ERR_INVALID_ARG;
    }

    /* the GMS retrying a document whose 200 it did not see: the same answer, no change */
    for (size_t i = 0; i < s->n_doc_hashes; i++)
        if (memcmp(s->doc_hashes[i], doc_hash, MCGK_CLIENT_HASH_LEN) == 0) {
            o->duplicate_doc = 1;
            return MCGK_OK;
        }

    /* R-001-19, R-003-18: every group is managed by the GMS configured for it, or by a
       GMS authorised to create groups */
    for (size_t i = 0; i < doc->n_groups; i++)
        if (!group_gms_ok(cfg, doc->groups[i].id, doc->groups[i].gms)) {
            o->detail = MCGK_ERR_NOT_AUTHORISED;
            mcgk_client_outcome_fail(o, MCGK_ERR_NOT_AUTHORISED);
            return o->result;
        }

    work *w = calloc(1, sizeof *w);
    if (w == NULL) {
        mcgk_client_outcome_fail(o, MCGK_ERR_NO_MEMORY);
        return o->result;
    }
    mcgk_err e = open_all(cfg, s, doc, now_unix_s, w, o);
    size_t new_gmks = 0, new_groups = 0;
    if (e == MCGK_OK) {
        count_new(s, doc, w, &new_gmks, &new_groups);
        e = mcgk_client_state_reserve_gmks(s, s->n_gmks + new_gmks);
        if (e == MCGK_OK)
            e = mcgk_client_state_reserve_groups(s, s->n_groups + new_groups);
    }
    if (e != MCGK_OK) {
        mcgk_client_outcome_fail(o, e);
        if (e == MCGK_ERR_OVERSIZED) { /* the client's own limit, not the GMS's fault */
            o->status = 500;
            o->reason = "Server Internal Error";
        }
        mcgk_wipe(w, sizeof *w);
        free(w);
        return o->result;
    }

    /* accepted: groups first (a GMK without groups in its parameters takes the document's
       member groups), then the GMKs, then what the removals delete */
    uint64_t now_ntp = now_unix_s + MCGK_NTP_UNIX_OFFSET_S;
    uint64_t past = cfg->window_past_s || cfg->window_future_s ? cfg->window_past_s
                                                               : MCGK_GMK_WINDOW_PAST_S;
    uint64_t oldest = now_ntp > past ? now_ntp - past : 0;
    apply_groups(doc, s, now_unix_s, o);
    for (size_t i = 0; i < w->n_res; i++)
        apply_gmk(doc, &doc->gmks[i], &w->res[i], s, now_unix_s, o);
    for (size_t i = 0; i < doc->n_groups; i++) {
        const mcgk_client_group *g = mcgk_client_find_group(s, doc->groups[i].id);
        if (g != NULL && g->removed && g->seq == doc->seq)
            apply_removal(s, g->id, now_unix_s, oldest, o);
    }
    /* the replay cache now holds this document's messages (ts33180.md §9 step 3) */
    memcpy(s->replay, w->cache.entries, w->cache.n * sizeof *s->replay);
    s->n_replay = w->cache.n;
    s->replay_floor_ntp_s = w->cache.floor_ntp_s;
    s->replay_dirty = 1;
    if (s->n_doc_hashes == MCGK_CLIENT_DOC_HASHES) {
        memmove(s->doc_hashes[0], s->doc_hashes[1],
                (MCGK_CLIENT_DOC_HASHES - 1) * sizeof s->doc_hashes[0]);
        s->n_doc_hashes--;
    }
    memcpy(s->doc_hashes[s->n_doc_hashes++], doc_hash, MCGK_CLIENT_HASH_LEN);
    s->docs_dirty = 1;

    mcgk_wipe(w, sizeof *w);
    free(w);
    return MCGK_OK;
}
