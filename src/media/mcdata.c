/*
 * MCData payload protection for group communications (TS 33.180 §8,
 * ts33180.md §8; seed 003 R-003-38): DPPK = GMK, DPPK-ID = GMK-ID, no
 * user-specific derivation, the payload sealed in the MCData Protected
 * Payload envelope of src/mikey/protected_payload.c (§8.5.4 layout).
 * Contract: see mcgk/mcdata.h; decisions: docs/media.md.
 *
 * Secrets: the GMK (argument or from the lookup; the latter is wiped here),
 * the DPCK (derived and wiped inside the envelope module), the payload.
 * Framing is public and checked in variable time before any key is touched.
 */
#include "mcgk/mcdata.h"

#include <string.h>

#include "mcgk/base.h"
#include "mcgk/protected_payload.h"

#define PURPOSE_SHIFT 28 /* the purpose tag: 4 MSBs of a key ID (ts33180.md §0.1) */

void mcgk_mcdata_info_init(mcgk_mcdata_info *info)
{
    if (info == NULL)
        return;
    memset(info, 0, sizeof *info);
    info->message_type = MCGK_MCDATA_MSG_TYPE;
}

static int is_gmk_id(uint32_t id)
{
    return (id >> PURPOSE_SHIFT) == MCGK_PURPOSE_GMK;
}

mcgk_err mcgk_mcdata_protect(const uint8_t gmk[MCGK_KEY_LEN], uint32_t gmk_id,
                             const mcgk_mcdata_info *info, const mcgk_rng *rng,
                             const uint8_t *payload, size_t len, uint8_t *out, size_t out_cap,
                             size_t *out_len)
{
    mcgk_mcdata_info def;
    if (info == NULL) {
        mcgk_mcdata_info_init(&def);
        info = &def;
    }
    if (gmk == NULL || rng == NULL || out_len == NULL || (payload == NULL && len != 0) ||
        info->date_time > MCGK_PP_DATE_TIME_MAX)
        return MCGK_ERR_INVALID_ARG;
    if (!is_gmk_id(gmk_id))
        return MCGK_ERR_KEY_PURPOSE; /* R-003-38: group data is protected under the GMK */
    if (len > MCGK_MCDATA_PAYLOAD_MAX_LEN)
        return MCGK_ERR_OVERSIZED;
    size_t need = MCGK_PP_ENVELOPE_LEN(len);
    *out_len = need;
    if (out == NULL)
        return MCGK_OK;
    if (out_cap < need)
        return MCGK_ERR_BUFFER_TOO_SMALL;

    uint8_t iv[MCGK_PP_IV_LEN];
    mcgk_err e = mcgk_rng_bytes(rng, iv, sizeof iv); /* GCM nonce: fresh per payload */
    if (e != MCGK_OK)
        return e;
    mcgk_pp hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.message_type = info->message_type;
    hdr.date_time = info->date_time;
    hdr.payload_id = info->payload_id;
    hdr.payload_seq = info->payload_seq;
    hdr.algorithm = MCGK_PP_ALG_AES_128_GCM;
    hdr.iv = iv;
    hdr.dppk_id = gmk_id; /* §8: DPPK-ID = GMK-ID for group data (no GUK-ID here) */
    hdr.payload_iei = MCGK_MCDATA_PAYLOAD_IEI; /* pinned: outside the AAD */
    return mcgk_pp_seal(gmk, &hdr, payload, len, out, out_cap, out_len);
}

/* The checks on public framing shared by open and unprotect. */
static mcgk_err check_envelope(const uint8_t *in, size_t len, mcgk_pp *pp)
{
    mcgk_err e = mcgk_pp_parse(in, len, pp);
    if (e != MCGK_OK)
        return e;
    if (pp->algorithm != MCGK_PP_ALG_AES_128_GCM)
        return MCGK_ERR_UNSUPPORTED;
    if (!is_gmk_id(pp->dppk_id))
        return MCGK_ERR_KEY_PURPOSE;
    /* the IEI is not covered by the AAD (§8.5.4 octets 0..31): only the pinned value
       is accepted, so no unauthenticated octet reaches the caller */
    if (pp->payload_iei != MCGK_MCDATA_PAYLOAD_IEI || pp->payload_len < MCGK_PP_TAG_LEN)
        return MCGK_ERR_MALFORMED;
    return MCGK_OK;
}

static mcgk_err open_parsed(const uint8_t gmk[MCGK_KEY_LEN], const mcgk_pp *pp, uint8_t *out,
                            size_t out_cap, size_t *out_len, mcgk_mcdata_info *info)
{
    mcgk_err e = mcgk_pp_open(gmk, pp, out, out_cap, out_len);
    if (e == MCGK_OK && info != NULL) {
        info->message_type = pp->message_type;
        info->date_time = pp->date_time;
        info->payload_id = pp->payload_id;
        info->payload_seq = pp->payload_seq;
    }
    return e;
}

static mcgk_err check_room(const mcgk_pp *pp, size_t out_cap, size_t *out_len)
{
    size_t n = (size_t)pp->payload_len - MCGK_PP_TAG_LEN;
    if (out_cap < n) {
        *out_len = n;
        return MCGK_ERR_BUFFER_TOO_SMALL;
    }
    return MCGK_OK;
}

mcgk_err mcgk_mcdata_open(const uint8_t gmk[MCGK_KEY_LEN], uint32_t gmk_id, const uint8_t *in,
                          size_t len, uint8_t *out, size_t out_cap, size_t *out_len,
                          mcgk_mcdata_info *info)
{
    if (gmk == NULL || (in == NULL && len != 0) || out_len == NULL ||
        (out == NULL && out_cap != 0))
        return MCGK_ERR_INVALID_ARG;
    mcgk_pp pp;
    mcgk_err e = check_envelope(in, len, &pp);
    if (e != MCGK_OK)
        return e;
    if (pp.dppk_id != gmk_id)
        return MCGK_ERR_UNKNOWN_KEY_ID; /* the envelope is under another GMK */
    e = check_room(&pp, out_cap, out_len);
    if (e != MCGK_OK)
        return e;
    return open_parsed(gmk, &pp, out, out_cap, out_len, info);
}

mcgk_err mcgk_mcdata_unprotect(mcgk_media_key_fn lookup, void *lookup_ctx, const uint8_t *in,
                               size_t len, uint8_t *out, size_t out_cap, size_t *out_len,
                               mcgk_mcdata_info *info, uint32_t *gmk_id)
{
    if (lookup == NULL || (in == NULL && len != 0) || out_len == NULL ||
        (out == NULL && out_cap != 0))
        return MCGK_ERR_INVALID_ARG;
    mcgk_pp pp;
    mcgk_err e = check_envelope(in, len, &pp);
    if (e == MCGK_OK)
        e = check_room(&pp, out_cap, out_len);
    if (e != MCGK_OK)
        return e;
    mcgk_media_key mk;
    memset(&mk, 0, sizeof mk);
    e = lookup(lookup_ctx, pp.dppk_id, &mk); /* §8: DPPK-ID -> DPPK (the GMK) */
    if (e == MCGK_OK && (mk.uses & MCGK_MEDIA_USE_DATA) == 0)
        e = MCGK_ERR_KEY_USAGE;
    if (e == MCGK_OK)
        e = open_parsed(mk.key, &pp, out, out_cap, out_len, info);
    mcgk_wipe(&mk, sizeof mk);
    if (e == MCGK_OK && gmk_id != NULL)
        *gmk_id = pp.dppk_id;
    return e;
}
