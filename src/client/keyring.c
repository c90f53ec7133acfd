/*
 * The client's key ring (sans I/O): the GMKs of the client's state and the
 * GSKs accepted in this process, as the media layer and the GSK message
 * need them - by key identifier for a receiver (mcgk_media_key_fn,
 * mcgk_gmk_lookup_fn) and by group for a sender. Contract and rules:
 * mcgk/client.h ("using the GMKs"); docs/media.md "The client's key ring".
 * Spec: ts33180.md §7.4.2 (MKI = GMK-ID || GUK-ID; GMK-ID -> GMK, RAND),
 * README §2.5 and seed 004 (floor-control GMK, R-004-12/13), §2.8 and seed
 * 002 (GSK, R-002-19/23), R-001-23 / R-000-23 (selection), R-003-34
 * (revocation), R-001-33 (deletion on removal).
 *
 * Secrets: the GMKs read from the state and the GSKs held here; every copy
 * handed out (mcgk_media_key.key, the lookup's key[], mcgk_client_sender)
 * is the caller's to wipe; dropped GSKs and temporaries are wiped here.
 * Key IDs, GUK-IDs, RANDs and group names are public; the lookups branch
 * on them only.
 */
#include <string.h>

#include "mcgk/base.h"
#include "mcgk/client.h"
#include "mcgk/kdf.h"

/* ---- what a GMK answers for ------------------------------------------------------------ */

static int in_scope(const mcgk_client_keyring *kr, const mcgk_client_gmk *g)
{
    return kr->group[0] == '\0' || mcgk_client_gmk_serves(g, kr->group);
}

/* The ring's group is one the client is a member of (always true without a group). */
static int member_of_scope(const mcgk_client_keyring *kr, const mcgk_client_state *s)
{
    if (kr->group[0] == '\0')
        return 1;
    const mcgk_client_group *grp = mcgk_client_find_group(s, kr->group);
    return grp != NULL && !grp->removed;
}

/* Does a group g serves (within the ring's scope) have an active floor-control GMK? */
static int has_floor_gmk(const mcgk_client_keyring *kr, const mcgk_client_state *s,
                         const mcgk_client_gmk *g, uint64_t now_unix_s)
{
    size_t ng = mcgk_client_gmk_group_count(g);
    for (size_t j = 0; j < ng; j++) {
        const char *grp = mcgk_client_gmk_group(g, j);
        if (kr->group[0] != '\0' && strcmp(grp, kr->group) != 0)
            continue;
        for (size_t i = 0; i < s->n_gmks; i++) {
            const mcgk_client_gmk *f = &s->gmks[i];
            if (f->use == MCGK_GMK_USE_FLOOR_CONTROL && f->purpose == MCGK_PURPOSE_GMK &&
                mcgk_client_gmk_status_at(f, now_unix_s) == MCGK_CLIENT_GMK_ACTIVE &&
                mcgk_client_gmk_serves(f, grp))
                return 1;
        }
    }
    return 0;
}

/*
 * Whether active GMK g (index gi) is superseded in every group it serves within
 * the ring's scope: another GMK of its use is the one selected there, and that
 * one arrived more than MCGK_CLIENT_SUPERSEDED_GRACE_S ago (mcgk/client.h).
 */
static int superseded(const mcgk_client_keyring *kr, const mcgk_client_state *s,
                      const mcgk_client_gmk *g, size_t gi, uint64_t now_unix_s)
{
    size_t ng = mcgk_client_gmk_group_count(g);
    int any = 0;
    for (size_t j = 0; j < ng; j++) {
        const char *grp = mcgk_client_gmk_group(g, j);
        if (kr->group[0] != '\0' && strcmp(grp, kr->group) != 0)
            continue;
        size_t sel = 0;
        if (mcgk_client_select(s, grp, g->use, now_unix_s, &sel) != MCGK_OK || sel == gi)
            return 0; /* nothing else current there, or g itself is */
        if (s->gmks[sel].received_unix_s + MCGK_CLIENT_SUPERSEDED_GRACE_S > now_unix_s)
            return 0; /* its successor is new: packets under g may still be in flight */
        any = 1;
    }
    return any;
}

static int has_tombstone(const mcgk_client_state *s, uint32_t id)
{
    for (size_t i = 0; i < s->n_tombstones; i++)
        if (s->tombstones[i].gmk_id == id)
            return 1;
    return 0;
}

/*
 * The verdict on GMK-ID id in state s at now (see mcgk/client.h): MCGK_OK with
 * *gi (index in s->gmks) and *uses, or the code. A GSK is not looked at here.
 */
static mcgk_err gmk_verdict(const mcgk_client_keyring *kr, const mcgk_client_state *s,
                            uint32_t id, uint64_t now_unix_s, size_t *gi, unsigned *uses)
{
    const mcgk_client_gmk *g = NULL;
    size_t idx = 0;
    for (size_t i = 0; i < s->n_gmks && g == NULL; i++)
        if (s->gmks[i].gmk_id == id && s->gmks[i].purpose == MCGK_PURPOSE_GMK) {
            g = &s->gmks[i];
            idx = i;
        }
    if (g == NULL)
        /* R-001-33: deleted when the client left the group; the tombstone remembers it */
        return has_tombstone(s, id) ? MCGK_ERR_REVOKED : MCGK_ERR_UNKNOWN_KEY_ID;
    /* a scoped ring answers only for its group, and only while the client is in it */
    if (!member_of_scope(kr, s) || !in_scope(kr, g))
        return MCGK_ERR_UNKNOWN_KEY_ID;
    switch (mcgk_client_gmk_status_at(g, now_unix_s)) {
    case MCGK_CLIENT_GMK_REVOKED: /* R-003-34: never used again */
        return MCGK_ERR_REVOKED;
    case MCGK_CLIENT_GMK_EXPIRED: /* E.6.10: past its expiry */
        return MCGK_ERR_VALIDITY;
    case MCGK_CLIENT_GMK_PENDING: /* accepted on receipt: the sender's clock may run ahead */
        break;
    case MCGK_CLIENT_GMK_ACTIVE: /* replaced for its groups, past the grace (R-001-24) */
        if (superseded(kr, s, g, idx, now_unix_s))
            return MCGK_ERR_SUPERSEDED;
        break;
    }
    if (g->rand_len == 0 || g->rand_len > MCGK_MEDIA_RAND_MAX)
        return MCGK_ERR_UNKNOWN_KEY_ID; /* no RAND: no §7.4.2 derivation possible */
    if (g->use == MCGK_GMK_USE_FLOOR_CONTROL)
        *uses = MCGK_MEDIA_USE_RTCP; /* R-004-12: floor control only */
    else if (has_floor_gmk(kr, s, g, now_unix_s))
        *uses = MCGK_MEDIA_USE_RTP | MCGK_MEDIA_USE_DATA;
    else
        *uses = MCGK_MEDIA_USE_ALL; /* R-003-40: floor control under the group's root key */
    *gi = idx;
    return MCGK_OK;
}

static mcgk_client_gsk *find_gsk(const mcgk_client_keyring *kr, uint32_t csb_id)
{
    for (size_t i = 0; i < kr->n_gsks; i++)
        if (kr->gsks[i].csb_id == csb_id)
            return (mcgk_client_gsk *)&kr->gsks[i];
    return NULL;
}

static void drop_gsk(mcgk_client_keyring *kr, size_t i)
{
    if (i + 1 < kr->n_gsks)
        kr->gsks[i] = kr->gsks[kr->n_gsks - 1];
    kr->n_gsks--;
    mcgk_wipe(&kr->gsks[kr->n_gsks], sizeof kr->gsks[kr->n_gsks]);
}

/* ---- the ring ------------------------------------------------------------------------ */

mcgk_err mcgk_client_keyring_init(mcgk_client_keyring *kr, const mcgk_client_state *s,
                                  const char *group, uint64_t now_unix_s)
{
    if (kr == NULL || s == NULL)
        return MCGK_ERR_INVALID_ARG;
    size_t gl = group != NULL ? strlen(group) : 0;
    if (gl >= sizeof kr->group)
        return MCGK_ERR_INVALID_ARG;
    memset(kr, 0, sizeof *kr);
    kr->state = s;
    if (gl > 0)
        memcpy(kr->group, group, gl + 1);
    kr->now_unix_s = now_unix_s;
    return MCGK_OK;
}

void mcgk_client_keyring_clear(mcgk_client_keyring *kr)
{
    if (kr != NULL)
        mcgk_wipe(kr, sizeof *kr);
}

mcgk_err mcgk_client_keyring_media_key(void *ctx, uint32_t key_id, mcgk_media_key *out)
{
    const mcgk_client_keyring *kr = ctx;
    if (kr == NULL || kr->state == NULL || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    const mcgk_client_gsk *k = find_gsk(kr, key_id);
    if (k != NULL) {
        /* media under a GSK: its CSB ID in the MKI (mcgk/gsk_message.h, docs/media.md) */
        memcpy(out->key, k->gsk, MCGK_KEY_LEN);
        memcpy(out->rand, k->rand, k->rand_len);
        out->rand_len = k->rand_len;
        out->uses = MCGK_MEDIA_USE_RTP | MCGK_MEDIA_USE_RTCP;
        return MCGK_OK;
    }
    size_t gi = 0;
    unsigned uses = 0;
    mcgk_err e = gmk_verdict(kr, kr->state, key_id, kr->now_unix_s, &gi, &uses);
    if (e != MCGK_OK)
        return e;
    /* §7.4.2: the GMK and the RAND of the I_MESSAGE that carried it */
    const mcgk_client_gmk *g = &kr->state->gmks[gi];
    memcpy(out->key, g->key, MCGK_KEY_LEN);
    memcpy(out->rand, g->rand, g->rand_len);
    out->rand_len = g->rand_len;
    out->uses = uses;
    return MCGK_OK;
}

int mcgk_client_keyring_gmk_lookup(void *ctx, unsigned purpose, uint32_t key_id,
                                   uint8_t key[MCGK_KEY_LEN])
{
    const mcgk_client_keyring *kr = ctx;
    if (kr == NULL || kr->state == NULL || key == NULL || purpose != MCGK_PURPOSE_GMK)
        return 0;
    size_t gi = 0;
    unsigned uses = 0;
    if (gmk_verdict(kr, kr->state, key_id, kr->now_unix_s, &gi, &uses) != MCGK_OK)
        return 0;
    const mcgk_client_gmk *g = &kr->state->gmks[gi];
    /* R-002-13/19: the GSK travels under the group's (media) GMK */
    if (g->use != MCGK_GMK_USE_MEDIA)
        return 0;
    memcpy(key, g->key, MCGK_KEY_LEN);
    return 1;
}

const mcgk_client_gsk *mcgk_client_keyring_find_gsk(const mcgk_client_keyring *kr,
                                                    uint32_t csb_id)
{
    return kr == NULL ? NULL : find_gsk(kr, csb_id);
}

mcgk_err mcgk_client_keyring_add_gsk(mcgk_client_keyring *kr, const mcgk_gsk_result *r,
                                     uint64_t now_unix_s, uint32_t *evicted)
{
    if (kr == NULL || kr->state == NULL || r == NULL || r->rand_len == 0 ||
        r->rand_len > MCGK_MEDIA_RAND_MAX)
        return MCGK_ERR_INVALID_ARG;
    if (evicted != NULL)
        *evicted = 0;
    /* R-002-19: the GMK that protected it is one this ring answers for */
    size_t gi = 0;
    unsigned uses = 0;
    mcgk_err e = gmk_verdict(kr, kr->state, r->gmk_id, now_unix_s, &gi, &uses);
    if (e != MCGK_OK)
        return e;
    if (kr->state->gmks[gi].use != MCGK_GMK_USE_MEDIA)
        return MCGK_ERR_KEY_USAGE;
    mcgk_client_gsk *k = find_gsk(kr, r->csb_id);
    if (k != NULL) {
        /* the same announcement again (or a copy): nothing new; another key: refused */
        return mcgk_ct_memeq(k->gsk, r->gsk, MCGK_KEY_LEN) && k->rand_len == r->rand_len &&
                       memcmp(k->rand, r->rand, r->rand_len) == 0
                   ? MCGK_OK
                   : MCGK_ERR_DUPLICATE_KEY_ID;
    }
    /* its CSB ID becomes a key identifier beside the GMK-IDs: it must not name one */
    for (size_t i = 0; i < kr->state->n_gmks; i++)
        if (kr->state->gmks[i].gmk_id == r->csb_id)
            return MCGK_ERR_DUPLICATE_KEY_ID;
    if (has_tombstone(kr->state, r->csb_id))
        return MCGK_ERR_DUPLICATE_KEY_ID;
    if (kr->n_gsks == MCGK_CLIENT_MAX_GSKS) {
        size_t oldest = 0;
        for (size_t i = 1; i < kr->n_gsks; i++)
            if (kr->gsks[i].accepted_unix_s < kr->gsks[oldest].accepted_unix_s)
                oldest = i;
        if (evicted != NULL)
            *evicted = kr->gsks[oldest].csb_id;
        drop_gsk(kr, oldest);
    }
    k = &kr->gsks[kr->n_gsks++];
    memset(k, 0, sizeof *k);
    k->csb_id = r->csb_id;
    k->gmk_id = r->gmk_id;
    memcpy(k->gsk, r->gsk, MCGK_KEY_LEN);
    memcpy(k->rand, r->rand, r->rand_len);
    k->rand_len = r->rand_len;
    memcpy(k->initiator, r->initiator_uri, sizeof k->initiator);
    k->initiator[sizeof k->initiator - 1] = '\0';
    k->is_signed = r->is_signed;
    k->accepted_unix_s = now_unix_s;
    return MCGK_OK;
}

size_t mcgk_client_keyring_update(mcgk_client_keyring *kr, const mcgk_client_state *s,
                                  uint64_t now_unix_s, uint32_t *dropped, size_t cap)
{
    if (kr == NULL || kr->state == NULL || s == NULL)
        return 0;
    const mcgk_client_state *old = kr->state;
    uint64_t old_now = kr->now_unix_s;
    size_t n = 0;
    /* GMKs that answered (with these uses) before and do not now */
    for (size_t i = 0; i < old->n_gmks; i++) {
        uint32_t id = old->gmks[i].gmk_id;
        size_t gi = 0;
        unsigned u0 = 0, u1 = 0;
        if (gmk_verdict(kr, old, id, old_now, &gi, &u0) != MCGK_OK)
            continue;
        if (gmk_verdict(kr, s, id, now_unix_s, &gi, &u1) == MCGK_OK && u1 == u0)
            continue;
        if (n < cap && dropped != NULL)
            dropped[n] = id;
        n++;
    }
    /* GSKs whose GMK went: their sessions end with it */
    size_t i = 0;
    while (i < kr->n_gsks) {
        size_t gi = 0;
        unsigned u = 0;
        if (gmk_verdict(kr, s, kr->gsks[i].gmk_id, now_unix_s, &gi, &u) == MCGK_OK &&
            s->gmks[gi].use == MCGK_GMK_USE_MEDIA) {
            i++;
            continue;
        }
        if (n < cap && dropped != NULL)
            dropped[n] = kr->gsks[i].csb_id;
        n++;
        drop_gsk(kr, i);
    }
    kr->state = s;
    kr->now_unix_s = now_unix_s;
    return n;
}

/* ---- the sender ---------------------------------------------------------------------- */

static void sender_key(const mcgk_client_gmk *g, mcgk_client_sender_key *k)
{
    memcpy(k->key, g->key, MCGK_KEY_LEN);
    k->gmk_id = g->gmk_id;
    k->guk_id = g->guk_id; /* §7.4.2: the sender's own GUK-ID, so its key is its own (R-003-37) */
    memcpy(k->rand, g->rand, g->rand_len);
    k->rand_len = g->rand_len;
}

mcgk_err mcgk_client_sender_select(const mcgk_client_state *s, const char *group,
                                   uint64_t now_unix_s, mcgk_client_sender *out)
{
    if (s == NULL || group == NULL || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    size_t mi = 0, fi = 0;
    /* R-001-23, R-000-23: the active media GMK with the latest activation / message */
    mcgk_err e = mcgk_client_select(s, group, MCGK_GMK_USE_MEDIA, now_unix_s, &mi);
    if (e != MCGK_OK)
        return e;
    const mcgk_client_gmk *m = &s->gmks[mi];
    if (m->rand_len == 0 || m->rand_len > MCGK_MEDIA_RAND_MAX)
        return MCGK_ERR_NOT_FOUND;
    /* R-004-12/13: the group's own floor-control GMK, when it has one */
    int has_floor = mcgk_client_select(s, group, MCGK_GMK_USE_FLOOR_CONTROL, now_unix_s, &fi) ==
                        MCGK_OK &&
                    s->gmks[fi].rand_len > 0 && s->gmks[fi].rand_len <= MCGK_MEDIA_RAND_MAX;
    memset(out, 0, sizeof *out);
    sender_key(m, &out->media);
    out->has_floor = has_floor;
    if (has_floor)
        sender_key(&s->gmks[fi], &out->floor);
    return MCGK_OK;
}

void mcgk_client_sender_clear(mcgk_client_sender *snd)
{
    if (snd != NULL)
        mcgk_wipe(snd, sizeof *snd);
}
