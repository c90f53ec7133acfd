/*
 * Helpers shared by the GMK I_MESSAGE builder (gmk_build.c) and receiver
 * (gmk_open.c): key periods and UIDs under a KMS (TS 33.180 §5.3, F.2.1),
 * bounded lengths of caller strings. Internal; see mcgk/gmk_message.h.
 * No secrets pass through here.
 */
#ifndef MCGK_MIKEY_GMK_INTERNAL_H
#define MCGK_MIKEY_GMK_INTERNAL_H

#include <string.h>

#include "mcgk/gmk_message.h"
#include "mcgk/kdf.h"

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

#endif
