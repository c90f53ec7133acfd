/*
 * The bounded replay cache of the I_MESSAGE receiver (RFC 3830 §5.4: the
 * timestamp with a replay cache; ts33180.md §9 step 3). Contract: see
 * mcgk/gmk_message.h. Holds only public values (UIDs, timestamps, CSB IDs);
 * linear scans over caller-owned storage, no allocation.
 */
#include <string.h>

#include "mcgk/gmk_message.h"

void mcgk_replay_cache_init(mcgk_replay_cache *c, mcgk_replay_entry *entries, size_t cap)
{
    if (c == NULL)
        return;
    c->entries = entries;
    c->cap = entries != NULL ? cap : 0;
    c->n = 0;
    c->floor_ntp_s = 0;
}

mcgk_err mcgk_replay_cache_check(const mcgk_replay_cache *c, const uint8_t sender_uid[MCGK_UID_LEN],
                                 uint64_t ts_ntp_s, uint32_t ts_frac, uint32_t csb_id)
{
    if (c == NULL || sender_uid == NULL || (c->entries == NULL && c->n != 0))
        return MCGK_ERR_INVALID_ARG;
    if (c->floor_ntp_s != 0 && ts_ntp_s <= c->floor_ntp_s)
        return MCGK_ERR_TIMESTAMP; /* older than anything the cache still remembers */
    for (size_t i = 0; i < c->n; i++) {
        const mcgk_replay_entry *e = &c->entries[i];
        if (e->ts_ntp_s == ts_ntp_s && e->ts_frac == ts_frac && e->csb_id == csb_id &&
            memcmp(e->sender_uid, sender_uid, MCGK_UID_LEN) == 0)
            return MCGK_ERR_REPLAY;
    }
    return MCGK_OK;
}

/* Drop the entries older than limit (inclusive: at or older than limit). */
static void drop_older(mcgk_replay_cache *c, uint64_t limit, int inclusive)
{
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++) {
        uint64_t t = c->entries[i].ts_ntp_s;
        int drop = inclusive ? t <= limit : t < limit;
        if (!drop)
            c->entries[k++] = c->entries[i];
    }
    c->n = k;
}

mcgk_err mcgk_replay_cache_add(mcgk_replay_cache *c, const uint8_t sender_uid[MCGK_UID_LEN],
                               uint64_t ts_ntp_s, uint32_t ts_frac, uint32_t csb_id,
                               uint64_t oldest_ntp_s)
{
    if (c == NULL || sender_uid == NULL || (c->entries == NULL && c->cap != 0))
        return MCGK_ERR_INVALID_ARG;
    if (c->n >= c->cap)
        drop_older(c, oldest_ntp_s, 0); /* outside the window: refused by time anyway */
    if (c->n >= c->cap) {
        /* still full: forget the oldest second and refuse everything up to it */
        uint64_t oldest = ts_ntp_s;
        for (size_t i = 0; i < c->n; i++)
            if (c->entries[i].ts_ntp_s < oldest)
                oldest = c->entries[i].ts_ntp_s;
        if (oldest > c->floor_ntp_s)
            c->floor_ntp_s = oldest;
        drop_older(c, c->floor_ntp_s, 1);
    }
    if (c->n >= c->cap || ts_ntp_s <= c->floor_ntp_s)
        return MCGK_OK; /* no room (cap 0) or covered by the floor: refused from now on */
    mcgk_replay_entry *e = &c->entries[c->n++];
    memcpy(e->sender_uid, sender_uid, MCGK_UID_LEN);
    e->ts_ntp_s = ts_ntp_s;
    e->ts_frac = ts_frac;
    e->csb_id = csb_id;
    return MCGK_OK;
}
