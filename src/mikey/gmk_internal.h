/*
 * Helpers shared by the MIKEY message layers: the GMK I_MESSAGE builder
 * (gmk_build.c) and receiver (gmk_open.c) and the ProSe GSK message
 * (gsk_build.c, gsk_open.c): key periods and UIDs under a KMS (TS 33.180
 * §5.3, F.2.1), the signer's key set for a message time, bounded lengths of
 * caller strings, IDR records, the NTP era and the timestamp window, the
 * replay cache update. Internal; see mcgk/gmk_message.h, mcgk/gsk_message.h.
 * No secrets pass through here (the signer's SSK is not touched: only its
 * public PVT and cached HS are).
 */
#ifndef MCGK_MIKEY_GMK_INTERNAL_H
#define MCGK_MIKEY_GMK_INTERNAL_H

#include <string.h>

#include "mcgk/eccsi.h"
#include "mcgk/gmk_message.h"
#include "mcgk/kdf.h"
#include "mcgk/mikey.h"

/* Length of a caller string if it is 1..MCGK_GMK_URI_MAX octets, else 0. */
static inline size_t gmk_uri_len(const char *s)
{
    if (s == NULL)
        return 0;
    size_t n = strnlen(s, MCGK_GMK_URI_MAX + 1);
    return n > MCGK_GMK_URI_MAX ? 0 : n;
}

/* A KMS description usable for UIDs (and, with need_kpak, for signatures). */
static inline int gmk_kms_usable(const mcgk_gmk_kms *k, int need_kpak)
{
    return k != NULL && gmk_uri_len(k->kms_uri) > 0 && k->period_s > 0 &&
           (!need_kpak || k->kpak != NULL);
}

/* KeyPeriodNo of t under kms (§5.3); MCGK_ERR_TIMESTAMP when t is before its offset. */
static inline mcgk_err gmk_period(const mcgk_gmk_kms *kms, uint64_t t_ntp_s, uint64_t *no)
{
    if (t_ntp_s < kms->offset_s)
        return MCGK_ERR_TIMESTAMP;
    return mcgk_key_period_no(t_ntp_s, kms->period_s, kms->offset_s, no);
}

/* UID of uri under kms for period_no (F.2.1). */
static inline mcgk_err gmk_uid(const char *uri, size_t uri_len, const mcgk_gmk_kms *kms,
                               uint64_t period_no, uint8_t uid[MCGK_UID_LEN])
{
    return mcgk_uid(uri, uri_len, kms->kms_uri, strlen(kms->kms_uri), kms->period_s,
                    kms->offset_s, period_no, uid);
}

/* Whether a key of this purpose is sent with end-point diversity (GUK-ID, §5.2.3).
 * mcgk applies it to GMKs only (the purpose tag signals it; GMKs always use it). */
static inline int gmk_diversified(unsigned purpose)
{
    return purpose == MCGK_PURPOSE_GMK;
}

/*
 * The UID a signer signs with at time t_ntp_s: uri under kms for the key period
 * of t (TS 33.180 E.1.1, §5.3), checked against the signer's key set - its
 * cached HS must be SHA-256(G || KPAK || UID || PVT) (RFC 6507 §5.1.1 step 3),
 * so a key set of another identity or period is refused before anything is
 * signed. MCGK_ERR_TIMESTAMP (t before the KMS's offset), MCGK_ERR_KEYSET_MISMATCH,
 * the codes of mcgk_uid / mcgk_eccsi_hs.
 */
static inline mcgk_err gmk_signer_uid(const mcgk_gmk_kms *kms, const char *uri, size_t uri_len,
                                      uint64_t t_ntp_s, const mcgk_eccsi_signer *signer,
                                      uint8_t uid[MCGK_UID_LEN])
{
    uint64_t period_no;
    mcgk_err e = gmk_period(kms, t_ntp_s, &period_no);
    if (e == MCGK_OK)
        e = gmk_uid(uri, uri_len, kms, period_no, uid);
    uint8_t hs[MCGK_ECCSI_HASH_LEN];
    if (e == MCGK_OK)
        e = mcgk_eccsi_hs(kms->kpak, uid, MCGK_UID_LEN, signer->pvt, hs);
    if (e == MCGK_OK && memcmp(hs, signer->hs, sizeof hs) != 0)
        e = MCGK_ERR_KEYSET_MISMATCH;
    return e;
}

/* Append an IDR record (RFC 6043 §6.6) to m; the caller sized m->payloads. */
static inline void gmk_add_idr(mcgk_mikey_msg *m, uint8_t role, uint8_t id_type,
                               const void *data, size_t len)
{
    mcgk_mikey_payload *p = &m->payloads[m->n_payloads++];
    p->type = MCGK_MIKEY_PT_IDR;
    p->u.idr.role = role;
    p->u.idr.id_type = id_type;
    p->u.idr.len = (uint16_t)len;
    p->u.idr.data = data;
}

/* p[0..n) equals the caller string s (1..MCGK_GMK_URI_MAX octets). */
static inline int gmk_bytes_eq_str(const uint8_t *p, size_t n, const char *s)
{
    size_t sl = gmk_uri_len(s);
    return sl == n && sl > 0 && memcmp(p, s, n) == 0;
}

/* An IDR that carries a URI (ID type URI, 1..MCGK_GMK_URI_MAX octets). */
static inline int gmk_is_uri_idr(const mcgk_mikey_idr *d)
{
    return d->id_type == MCGK_MIKEY_IDTYPE_URI && d->len >= 1 && d->len <= MCGK_GMK_URI_MAX;
}

/* In a profile check: set slot once; a second occurrence is off-profile. */
#define GMK_ONCE(slot, value)                                                     \
    do {                                                                          \
        if ((slot) != NULL)                                                       \
            return MCGK_ERR_MIKEY_PROFILE;                                        \
        (slot) = (value);                                                         \
    } while (0)

/* dst = src[0..n) and a NUL (dst holds n + 1). */
static inline void gmk_copy_str(char *dst, const uint8_t *src, size_t n)
{
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The NTP era of a 32-bit seconds value: the candidate closest to now (RFC 5905 §6). */
static inline uint64_t gmk_resolve_era(uint32_t sec, uint64_t now_ntp_s)
{
    const uint64_t era = 1ull << 32;
    uint64_t base = now_ntp_s & ~(era - 1);
    uint64_t best = base + sec;
    if (best > now_ntp_s + era / 2 && best >= era)
        best -= era;
    else if (best + era / 2 < now_ntp_s)
        best += era;
    return best;
}

/*
 * The seconds of a T payload value (NTP-UTC, RFC 3830 §6.6), era resolved, in
 * *ts_ntp_s; MCGK_ERR_TIMESTAMP when they are more than past_s before or
 * future_s after now (RFC 3830 §5.4; ts33180.md §9 step 3).
 */
static inline mcgk_err gmk_check_time(uint64_t t_value, uint64_t now_ntp_s, uint64_t past_s,
                                      uint64_t future_s, uint64_t *ts_ntp_s)
{
    uint64_t ts = gmk_resolve_era((uint32_t)(t_value >> 32), now_ntp_s);
    *ts_ntp_s = ts;
    if ((ts < now_ntp_s && now_ntp_s - ts > past_s) ||
        (ts > now_ntp_s && ts - now_ntp_s > future_s))
        return MCGK_ERR_TIMESTAMP;
    return MCGK_OK;
}

/* Remember an accepted message; entries older than the window (past_s) go first. */
static inline mcgk_err gmk_replay_remember(mcgk_replay_cache *c, const uint8_t id[MCGK_UID_LEN],
                                           uint64_t ts_ntp_s, uint32_t ts_frac, uint32_t csb_id,
                                           uint64_t now_ntp_s, uint64_t past_s)
{
    uint64_t oldest = now_ntp_s > past_s ? now_ntp_s - past_s : 0;
    return mcgk_replay_cache_add(c, id, ts_ntp_s, ts_frac, csb_id, oldest);
}

#endif
