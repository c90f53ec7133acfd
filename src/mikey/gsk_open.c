/*
 * The members' side of the ProSe GSK message: find the GMK by the key
 * identifier, check everything, extract the GSK (seed 002 step 5 / step 3,
 * R-002-19, R-002-23; RFC 3830 §5.3 PSK processing, §4.1.4, §4.2.3, §6.2;
 * RFC 6509 §4.3 for the optional SIGN; mikey.md §14). Contract and check
 * order: see mcgk/gsk_message.h.
 *
 * Secrets: the GMK copied out by the lookup callback, the transport keys,
 * the AES-CM IV, the decrypted Key data and the GSK - all in a local state,
 * the GSK copied to the caller's result only when every check passed, the
 * rest wiped on every path. The MAC is compared in constant time and only
 * the verdict is released; the Key data's four framing octets (fixed by the
 * profile) are released to be parsed. The message, identities, IDs, times
 * are public: parsing and the checks on them run in variable time.
 */
#include <string.h>

#include "base/ct.h"
#include "gmk_internal.h"
#include "mcgk/gsk_message.h"

#define KEY_DATA_HEADER_LEN 4 /* next | type, KV | key length (RFC 3830 §6.13) */

/* The payloads of a message that passed the profile check. */
typedef struct view {
    const mcgk_mikey_t *t;
    const mcgk_mikey_rand *rand;
    const mcgk_mikey_idr *psk, *idri, *kmsi;
    const mcgk_mikey_kemac *kemac;
    size_t kemac_at;
    const mcgk_mikey_sign *sign;
} view;

typedef struct open_state {
    mcgk_mikey_msg m;
    view v;
    mcgk_gsk_result r;
    uint8_t gmk[MCGK_KEY_LEN];                 /* secret */
    mcgk_mikey_psk_keys keys;                  /* secret */
    uint8_t iv[MCGK_MIKEY_AES_CM_IV_LEN];      /* secret */
    uint8_t mac[MCGK_MIKEY_MAC_HMAC_SHA1_160_LEN];
    uint8_t kd[MCGK_GSK_KEMAC_MAX];            /* secret: the decrypted Key data */
} open_state;

void mcgk_gsk_open_cfg_init(mcgk_gsk_open_cfg *cfg)
{
    if (cfg == NULL)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->window_past_s = MCGK_GSK_WINDOW_PAST_S;
    cfg->window_future_s = MCGK_GSK_WINDOW_FUTURE_S;
}

void mcgk_gsk_result_clear(mcgk_gsk_result *r)
{
    if (r != NULL)
        mcgk_wipe(r, sizeof *r);
}

/* ---- step 1: the profile of mcgk/gsk_message.h over a parsed message --------------------- */

static mcgk_err check_idr(const mcgk_mikey_idr *d, view *v)
{
    switch (d->role) {
    case MCGK_MIKEY_ROLE_IDRPSK: /* the key identifier: a 4-octet GMK-ID (mikey.md §14) */
        if (d->id_type != MCGK_MIKEY_IDTYPE_BYTES || d->len != MCGK_GSK_KEY_ID_LEN)
            return MCGK_ERR_MIKEY_PROFILE;
        GMK_ONCE(v->psk, d);
        return MCGK_OK;
    case MCGK_MIKEY_ROLE_IDRI:
        if (!gmk_is_uri_idr(d))
            return MCGK_ERR_MIKEY_PROFILE;
        GMK_ONCE(v->idri, d);
        return MCGK_OK;
    case MCGK_MIKEY_ROLE_IDRKMSI:
        if (!gmk_is_uri_idr(d))
            return MCGK_ERR_MIKEY_PROFILE;
        GMK_ONCE(v->kmsi, d);
        return MCGK_OK;
    default: /* a responder, UIDs, other KMS roles: not in a one-to-many PSK message */
        return MCGK_ERR_MIKEY_PROFILE;
    }
}

static mcgk_err check_profile(const mcgk_mikey_msg *m, view *v)
{
    memset(v, 0, sizeof *v);
    /* RFC 3830 §3.1 PSK I_MESSAGE (R-002-12); V = 0: nobody answers (R-002-19/20);
       PRF-HMAC-SHA-256 (the only PRF mcgk implements) */
    if (m->hdr.data_type != MCGK_MIKEY_DT_PSK_INIT || m->hdr.v != 0 ||
        m->hdr.prf_func != MCGK_MIKEY_PRF_HMAC_SHA256)
        return MCGK_ERR_MIKEY_PROFILE;
    for (size_t i = 0; i < m->n_payloads; i++) {
        const mcgk_mikey_payload *p = &m->payloads[i];
        mcgk_err e;
        switch (p->type) {
        case MCGK_MIKEY_PT_T: /* NTP-UTC: it enters the AES-CM IV and the window */
            if (p->u.t.ts_type != MCGK_MIKEY_TS_NTP_UTC)
                return MCGK_ERR_MIKEY_PROFILE;
            GMK_ONCE(v->t, &p->u.t);
            break;
        case MCGK_MIKEY_PT_RAND: /* RFC 3830 §6.11: at least 16 octets */
            if (p->u.rand.len < MCGK_GSK_RAND_LEN)
                return MCGK_ERR_MIKEY_PROFILE;
            GMK_ONCE(v->rand, &p->u.rand);
            break;
        case MCGK_MIKEY_PT_IDR:
            e = check_idr(&p->u.idr, v);
            if (e != MCGK_OK)
                return e;
            break;
        case MCGK_MIKEY_PT_SP: /* RFC 3830 §3.1 {SP}: any number, passed over */
            break;
        case MCGK_MIKEY_PT_KEMAC: /* AES-CM-128 and HMAC-SHA-1-160 only: never a clear key */
            if (p->u.kemac.encr_alg != MCGK_MIKEY_ENCR_AES_CM_128 ||
                p->u.kemac.mac_alg != MCGK_MIKEY_MAC_HMAC_SHA1_160 ||
                p->u.kemac.encr_len == 0 || p->u.kemac.encr_len > MCGK_GSK_KEMAC_MAX)
                return MCGK_ERR_MIKEY_PROFILE;
            GMK_ONCE(v->kemac, &p->u.kemac);
            v->kemac_at = i;
            break;
        case MCGK_MIKEY_PT_SIGN: /* RFC 6509 §4.3: ECCSI, 129 octets */
            if (p->u.sign.s_type != MCGK_MIKEY_SIGN_ECCSI ||
                p->u.sign.len != MCGK_MIKEY_SIGN_ECCSI_LEN)
                return MCGK_ERR_MIKEY_PROFILE;
            GMK_ONCE(v->sign, &p->u.sign);
            break;
        default: /* SAKKE, extensions, ID, CERT, V, ERR ...: not in this message */
            return MCGK_ERR_MIKEY_PROFILE;
        }
    }
    if (v->t == NULL || v->rand == NULL || v->psk == NULL || v->kemac == NULL)
        return MCGK_ERR_MIKEY_PROFILE;
    /* The MAC covers only what precedes it: the KEMAC must be the last payload (SIGN, which
       the codec only accepts last, may follow), or a payload after it would be unprotected
       by the GMK. A signature needs the identity it is verified with (IDRi). */
    if (v->kemac_at + (v->sign != NULL ? 2u : 1u) != m->n_payloads ||
        (v->sign != NULL && v->idri == NULL))
        return MCGK_ERR_MIKEY_PROFILE;
    return MCGK_OK;
}

/* ---- the checks ------------------------------------------------------------------------ */

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Step 8: the initiator's KMS (callback) and its ECCSI signature (RFC 6509 §4.3). */
static mcgk_err check_signature(const mcgk_gsk_open_cfg *cfg, const uint8_t *msg,
                                open_state *st, mcgk_err *detail)
{
    const view *v = &st->v;
    mcgk_gsk_result *r = &st->r;
    const mcgk_gmk_kms *kms = NULL;
    if (cfg->signer_kms != NULL)
        kms = cfg->signer_kms(cfg->signer_kms_ctx, r->initiator_uri, r->initiator_kms_uri);
    if (kms == NULL || !gmk_kms_usable(kms, 1) ||
        (v->kmsi != NULL && !gmk_bytes_eq_str(v->kmsi->data, v->kmsi->len, kms->kms_uri)))
        return MCGK_ERR_UNKNOWN_KMS;
    /* the initiator's UID under its KMS for the key period of T (TS 33.180 §5.3, F.2.1) */
    mcgk_err e = gmk_period(kms, r->ts_ntp_s, &r->initiator_period_no);
    if (e == MCGK_OK)
        e = gmk_uid(r->initiator_uri, v->idri->len, kms, r->initiator_period_no,
                    r->initiator_uid);
    if (e != MCGK_OK)
        return e;
    /* R-002-15/22: over every octet before the signature, the SIGN header included */
    e = mcgk_eccsi_verify(kms->kpak, r->initiator_uid, MCGK_UID_LEN, msg, st->m.signed_len,
                          v->sign->sig);
    if (e != MCGK_OK) {
        *detail = e;
        return MCGK_ERR_SIGNATURE;
    }
    r->is_signed = 1;
    return MCGK_OK;
}

static mcgk_err run(const mcgk_gsk_open_cfg *cfg, const uint8_t *msg, size_t len,
                    uint64_t now_unix_s, open_state *st, mcgk_err *detail)
{
    mcgk_mikey_msg *m = &st->m;
    view *v = &st->v;
    mcgk_gsk_result *r = &st->r;

    /* 1. parse strictly; the profile */
    mcgk_err e = mcgk_mikey_parse(msg, len, m, NULL);
    if (e != MCGK_OK)
        return e;
    e = check_profile(m, v);
    if (e != MCGK_OK)
        return e;
    r->gmk_id = be32(v->psk->data);
    r->csb_id = m->hdr.csb_id;
    r->map_type = m->hdr.map_type;
    r->n_cs = m->hdr.n_cs;
    if (m->hdr.map_type == MCGK_MIKEY_MAP_GENERIC_ID)
        for (size_t i = 0; i < m->hdr.n_cs; i++)
            r->cs_ids[i] = m->hdr.map.generic[i].cs_id;
    if (v->idri != NULL)
        gmk_copy_str(r->initiator_uri, v->idri->data, v->idri->len);
    if (v->kmsi != NULL)
        gmk_copy_str(r->initiator_kms_uri, v->kmsi->data, v->kmsi->len);

    /* 2. policy: a signature may be required (R-002-15/22 make it optional for the sender) */
    if (v->sign == NULL && cfg->require_signature)
        return MCGK_ERR_UNSIGNED;

    /* 3. the timestamp within the window (RFC 3830 §5.4) */
    uint64_t now_ntp_s = now_unix_s + MCGK_NTP_UNIX_OFFSET_S;
    r->ts_ntp64 = v->t->value;
    uint32_t ts_frac = (uint32_t)(v->t->value & 0xFFFFFFFFu);
    e = gmk_check_time(v->t->value, now_ntp_s, cfg->window_past_s, cfg->window_future_s,
                       &r->ts_ntp_s);
    if (e != MCGK_OK)
        return e;

    /* 4. not accepted before: (GMK-ID, T, CSB ID) in the replay cache (RFC 3830 §5.4) */
    uint8_t replay_id[MCGK_UID_LEN] = {0};
    memcpy(replay_id, v->psk->data, MCGK_GSK_KEY_ID_LEN);
    if (cfg->replay != NULL) {
        e = mcgk_replay_cache_check(cfg->replay, replay_id, r->ts_ntp_s, ts_frac, r->csb_id);
        if (e != MCGK_OK)
            return e;
    }

    /* 5. R-002-19/23: the key identifier finds the GMK */
    if (MCGK_MIKEY_PURPOSE_OF(r->gmk_id) != MCGK_PURPOSE_GMK)
        return MCGK_ERR_KEY_PURPOSE;
    if (cfg->lookup == NULL || !cfg->lookup(cfg->lookup_ctx, MCGK_PURPOSE_GMK, r->gmk_id, st->gmk))
        return MCGK_ERR_UNKNOWN_KEY_ID;

    /* 6. transport keys from the GMK (RFC 3830 §4.1.4); the MAC over every octet before
       it, compared in constant time, before anything is decrypted */
    e = mcgk_mikey_psk_keys_derive(st->gmk, MCGK_KEY_LEN, r->csb_id, v->rand->data, v->rand->len,
                                   &st->keys);
    if (e == MCGK_OK)
        e = mcgk_mikey_kemac_mac(st->keys.auth, msg, v->kemac->mac_offset, st->mac);
    if (e != MCGK_OK)
        return e;
    int mac_ok = mcgk_ct_memeq(st->mac, v->kemac->mac, sizeof st->mac);
    mcgk_ct_declassify(&mac_ok, sizeof mac_ok); /* the verdict */
    if (!mac_ok)
        return MCGK_ERR_MAC;

    /* 7. decrypt (RFC 3830 §4.2.3); exactly one Key data sub-payload: a 16-octet TGK
       without key validity data (the profile) */
    size_t kd_len = v->kemac->encr_len;
    mcgk_mikey_aes_cm_iv(st->keys.salt, r->csb_id, v->t->value, st->iv);
    e = mcgk_mikey_aes_cm(st->keys.encr, st->iv, v->kemac->encr_data, kd_len, st->kd);
    if (e != MCGK_OK)
        return e;
    mcgk_ct_declassify(st->kd, kd_len < KEY_DATA_HEADER_LEN ? kd_len : KEY_DATA_HEADER_LEN);
    mcgk_mikey_key_data kd;
    size_t n_kd = 0;
    e = mcgk_mikey_key_data_parse(st->kd, kd_len, &kd, 1, &n_kd);
    if (e == MCGK_OK && (kd.type != MCGK_MIKEY_KD_TGK || kd.kv != MCGK_MIKEY_KV_NULL ||
                         kd.key_len != MCGK_KEY_LEN))
        e = MCGK_ERR_MALFORMED;
    if (e != MCGK_OK) {
        *detail = e;
        return MCGK_ERR_KEY_DATA;
    }
    memcpy(r->gsk, kd.key, MCGK_KEY_LEN);
    r->key_type = kd.type;

    /* 8. the optional signature (R-002-15, R-002-22) */
    if (v->sign != NULL) {
        e = check_signature(cfg, msg, st, detail);
        if (e != MCGK_OK)
            return e;
    }
    r->rand_len = v->rand->len;
    memcpy(r->rand, v->rand->data, v->rand->len);

    /* accepted: remember it against replays */
    if (cfg->replay != NULL) {
        e = gmk_replay_remember(cfg->replay, replay_id, r->ts_ntp_s, ts_frac, r->csb_id,
                                now_ntp_s, cfg->window_past_s);
        if (e != MCGK_OK)
            return e;
    }
    return MCGK_OK;
}

mcgk_err mcgk_gsk_open(const mcgk_gsk_open_cfg *cfg, const uint8_t *msg, size_t len,
                       uint64_t now_unix_s, mcgk_gsk_result *out, mcgk_err *detail)
{
    if (cfg == NULL || (msg == NULL && len != 0) || out == NULL) {
        if (detail != NULL)
            *detail = MCGK_ERR_INVALID_ARG;
        return MCGK_ERR_INVALID_ARG;
    }
    /* everything is worked out in a local state and committed only on acceptance */
    open_state st;
    memset(&st.r, 0, sizeof st.r);
    mcgk_err d = MCGK_OK;
    mcgk_err e = run(cfg, msg, len, now_unix_s, &st, &d);
    if (e == MCGK_OK)
        *out = st.r;
    else if (d == MCGK_OK)
        d = e;
    if (detail != NULL)
        *detail = e == MCGK_OK ? MCGK_OK : d;
    mcgk_wipe(&st.r, sizeof st.r);
    mcgk_wipe(st.gmk, sizeof st.gmk);
    mcgk_mikey_psk_keys_clear(&st.keys);
    mcgk_wipe(st.iv, sizeof st.iv);
    mcgk_wipe(st.mac, sizeof st.mac); /* the right MAC of a forged message: never let it out */
    mcgk_wipe(st.kd, sizeof st.kd);
    return e;
}
