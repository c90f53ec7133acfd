/*
 * Client side of the GMK I_MESSAGE: open a MIKEY-SAKKE I_MESSAGE with the
 * complete receiver checklist (ts33180.md §9; TS 33.180 §5.2.2-§5.2.6,
 * Annex E.2/E.5/E.6/E.7; RFC 6509; mikey.md §13) and say what goes back to
 * the GMS. Contract: see mcgk/gmk_message.h.
 *
 * Secrets: the decapsulated key (a local, copied to the result only when
 * every check passed, wiped on every path), the held key returned by the
 * lookup callback (wiped after the constant-time comparison), the
 * decrypted key parameters (confidential; in the local result, wiped).
 * The message, identities, UIDs, timestamps are public: parsing and the
 * checks on them run in variable time.
 */
#include <string.h>

#include "base/ct.h"
#include "gmk_internal.h"
#include "mcgk/gmk_message.h"

/* The payloads of a message that passed the profile check (step 1). */
typedef struct view {
    const mcgk_mikey_t *t;
    const mcgk_mikey_rand *rand;
    const mcgk_mikey_idr *idri, *idruidi, *idrr, *idruidr, *kmsi, *kmsr;
    const mcgk_mikey_sakke *sakke;
    const mcgk_mikey_sign *sign;
    const mcgk_mikey_genext *self, *kp;
} view;

void mcgk_gmk_open_cfg_init(mcgk_gmk_open_cfg *cfg)
{
    if (cfg == NULL)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->window_past_s = MCGK_GMK_WINDOW_PAST_S;
    cfg->window_future_s = MCGK_GMK_WINDOW_FUTURE_S;
}

void mcgk_gmk_result_clear(mcgk_gmk_result *r)
{
    if (r != NULL)
        mcgk_wipe(r, sizeof *r);
}

/* ---- what goes back to the GMS --------------------------------------------------------- */

void mcgk_gmk_reply_for(mcgk_err outcome, mcgk_gmk_reply *r)
{
    if (r == NULL)
        return;
    r->confirm = 0;
    r->mikey_err_no = MCGK_MIKEY_ERR_UNSPECIFIED;
    switch (outcome) {
    case MCGK_OK:
    case MCGK_ERR_REVOKED: /* a revocation accepted: confirmed like any update */
        r->confirm = 1;
        r->sip_status = 200;
        r->reason = "OK";
        return;
    /* the message cannot be read as a GMK I_MESSAGE */
    case MCGK_ERR_TRUNCATED:
    case MCGK_ERR_TRAILING_DATA:
    case MCGK_ERR_OVERSIZED:
    case MCGK_ERR_MALFORMED:
    case MCGK_ERR_UNSUPPORTED:
    case MCGK_ERR_BASE64:
    case MCGK_ERR_MIKEY_VERSION:
    case MCGK_ERR_MIKEY_PAYLOAD_TYPE:
    case MCGK_ERR_MIKEY_CS_MAP:
    case MCGK_ERR_MIKEY_PROFILE:
        r->sip_status = 400;
        r->reason = "Bad Request";
        return;
    /* the receiver has no key set for that period yet: the GMS may retry later */
    case MCGK_ERR_NO_KEYS:
        r->sip_status = 480;
        r->reason = "Temporarily Unavailable";
        return;
    /* rejected: coarse MIKEY reasons (RFC 3830 §6.12), never which crypto step failed */
    case MCGK_ERR_TIMESTAMP:
    case MCGK_ERR_REPLAY:
        r->sip_status = 403;
        r->reason = "Forbidden";
        r->mikey_err_no = 1; /* Invalid TS */
        return;
    case MCGK_ERR_UNKNOWN_KMS:
    case MCGK_ERR_NOT_FOR_ME:
        r->sip_status = 403;
        r->reason = "Forbidden";
        r->mikey_err_no = 7; /* Invalid ID */
        return;
    case MCGK_ERR_SIGNATURE:
    case MCGK_ERR_DECAPSULATE:
    case MCGK_ERR_KEY_PARAMS:
    case MCGK_ERR_NOT_AUTHORISED:
    case MCGK_ERR_INITIATOR:
        r->sip_status = 403;
        r->reason = "Forbidden";
        r->mikey_err_no = MCGK_MIKEY_ERR_AUTH_FAILURE;
        return;
    case MCGK_ERR_KEY_PURPOSE:
    case MCGK_ERR_DUPLICATE_KEY_ID:
        r->sip_status = 403;
        r->reason = "Forbidden";
        return;
    default:
        r->sip_status = 500;
        r->reason = "Server Internal Error";
        return;
    }
}

/* ---- step 1: the TS 33.180 Annex E profile over a parsed message -------------------- */

static int is_uid_idr(const mcgk_mikey_idr *d)
{
    /* E.7: a 32-octet UID; ID type 1 (Streamwide) or 2 (byte string) accepted (mikey.md §5) */
    return (d->id_type == MCGK_MIKEY_IDTYPE_URI || d->id_type == MCGK_MIKEY_IDTYPE_BYTES) &&
           d->len == MCGK_UID_LEN;
}

static int sakke_ok(const mcgk_mikey_sakke *s)
{
    /* RFC 6509 §4.2 parameter set 1; ID scheme of the 3GPP UID (UserIdFormat 2) only */
    return s->params == MCGK_MIKEY_SAKKE_PARAMS_SET1 &&
           s->id_scheme == MCGK_MIKEY_SAKKE_SCHEME_3GPP_UID && s->len == MCGK_SAKKE_ENCAP_LEN;
}

static mcgk_err check_idr(const mcgk_mikey_idr *d, view *v)
{
    switch (d->role) {
    case MCGK_MIKEY_ROLE_IDRI:
        if (!gmk_is_uri_idr(d))
            return MCGK_ERR_MIKEY_PROFILE;
        GMK_ONCE(v->idri, d);
        return MCGK_OK;
    case MCGK_MIKEY_ROLE_IDRR:
        if (!gmk_is_uri_idr(d))
            return MCGK_ERR_MIKEY_PROFILE;
        GMK_ONCE(v->idrr, d);
        return MCGK_OK;
    case MCGK_MIKEY_ROLE_IDRKMSI:
        if (!gmk_is_uri_idr(d))
            return MCGK_ERR_MIKEY_PROFILE;
        GMK_ONCE(v->kmsi, d);
        return MCGK_OK;
    case MCGK_MIKEY_ROLE_IDRKMSR:
        if (!gmk_is_uri_idr(d))
            return MCGK_ERR_MIKEY_PROFILE;
        GMK_ONCE(v->kmsr, d);
        return MCGK_OK;
    case MCGK_MIKEY_ROLE_IDRUIDI:
        if (!is_uid_idr(d))
            return MCGK_ERR_MIKEY_PROFILE;
        GMK_ONCE(v->idruidi, d);
        return MCGK_OK;
    case MCGK_MIKEY_ROLE_IDRUIDR:
        if (!is_uid_idr(d))
            return MCGK_ERR_MIKEY_PROFILE;
        GMK_ONCE(v->idruidr, d);
        return MCGK_OK;
    default: /* IDRkms, IDRpsk, IDRapp: not part of the profile */
        return MCGK_ERR_MIKEY_PROFILE;
    }
}

static mcgk_err check_profile(const mcgk_mikey_msg *m, view *v)
{
    memset(v, 0, sizeof *v);
    /* E.1.2: data type 26, V = 0, PRF-HMAC-SHA-256 */
    if (m->hdr.data_type != MCGK_MIKEY_DT_SAKKE || m->hdr.v != 0 ||
        m->hdr.prf_func != MCGK_MIKEY_PRF_HMAC_SHA256)
        return MCGK_ERR_MIKEY_PROFILE;
    for (size_t i = 0; i < m->n_payloads; i++) {
        const mcgk_mikey_payload *p = &m->payloads[i];
        mcgk_err e;
        switch (p->type) {
        case MCGK_MIKEY_PT_T: /* E.1.1 (33.179): NTP-UTC, 64 bits */
            if (p->u.t.ts_type != MCGK_MIKEY_TS_NTP_UTC)
                return MCGK_ERR_MIKEY_PROFILE;
            GMK_ONCE(v->t, &p->u.t);
            break;
        case MCGK_MIKEY_PT_RAND: /* RFC 3830 §6.11: at least 16 octets recommended */
            if (p->u.rand.len < MCGK_GMK_RAND_LEN)
                return MCGK_ERR_MIKEY_PROFILE;
            GMK_ONCE(v->rand, &p->u.rand);
            break;
        case MCGK_MIKEY_PT_IDR:
            e = check_idr(&p->u.idr, v);
            if (e != MCGK_OK)
                return e;
            break;
        case MCGK_MIKEY_PT_SP: /* E.2 row 8: optional, any number */
            break;
        case MCGK_MIKEY_PT_SAKKE:
            if (!sakke_ok(&p->u.sakke))
                return MCGK_ERR_MIKEY_PROFILE;
            GMK_ONCE(v->sakke, &p->u.sakke);
            break;
        case MCGK_MIKEY_PT_GENERAL_EXT:
            if (p->u.genext.type == MCGK_MIKEY_EXT_SAKKE_TO_SELF) { /* E.5 */
                if (!sakke_ok(&p->u.genext.sakke))
                    return MCGK_ERR_MIKEY_PROFILE;
                GMK_ONCE(v->self, &p->u.genext);
            } else if (p->u.genext.type == MCGK_MIKEY_EXT_KEY_PARAMS) { /* E.6 */
                GMK_ONCE(v->kp, &p->u.genext);
            }
            /* other extension types carry nothing for this receiver (RFC 3830 §6.15) */
            break;
        case MCGK_MIKEY_PT_SIGN: /* RFC 6509 §4.3: ECCSI, 129 octets (README §5) */
            if (p->u.sign.s_type != MCGK_MIKEY_SIGN_ECCSI ||
                p->u.sign.len != MCGK_MIKEY_SIGN_ECCSI_LEN)
                return MCGK_ERR_MIKEY_PROFILE;
            GMK_ONCE(v->sign, &p->u.sign);
            break;
        default: /* KEMAC, V, ERR, ID, CERT ...: not in a MIKEY-SAKKE GMK message */
            return MCGK_ERR_MIKEY_PROFILE;
        }
    }
    /* E.1.2: HDR, T, RAND, IDRi, IDRr, IDRkmsi, IDRkmsr, SAKKE, SIGN are mandatory;
       E.7 replaces IDRi by IDRuidi and/or IDRr by IDRuidr */
    if (v->t == NULL || v->rand == NULL || v->sakke == NULL || v->sign == NULL ||
        v->kmsi == NULL || v->kmsr == NULL || (v->idri == NULL) == (v->idruidi == NULL) ||
        (v->idrr == NULL) == (v->idruidr == NULL))
        return MCGK_ERR_MIKEY_PROFILE;
    return MCGK_OK;
}

/* ---- helpers -------------------------------------------------------------------------- */

static const mcgk_gmk_kms *find_kms(const mcgk_gmk_open_cfg *cfg, const uint8_t *uri, size_t n)
{
    for (size_t i = 0; i < cfg->n_trusted; i++)
        if (gmk_kms_usable(&cfg->trusted[i], 1) &&
            gmk_bytes_eq_str(uri, n, cfg->trusted[i].kms_uri))
            return &cfg->trusted[i];
    if (gmk_kms_usable(cfg->own_kms, 1) && gmk_bytes_eq_str(uri, n, cfg->own_kms->kms_uri))
        return cfg->own_kms;
    return NULL;
}

/* Candidate GMS URIs: authorised_gms[0..), then groups[0..).gms_uri. NULL past the end. */
static const char *gms_candidate(const mcgk_gmk_open_cfg *cfg, size_t i)
{
    if (i < cfg->n_authorised_gms)
        return cfg->authorised_gms != NULL ? cfg->authorised_gms[i] : NULL;
    i -= cfg->n_authorised_gms;
    if (i < cfg->n_groups)
        return cfg->groups != NULL ? cfg->groups[i].gms_uri : NULL;
    return NULL;
}

/*
 * Step 5: the signer of a GMK message must be a GMS this receiver is configured
 * with (authorised to create groups, R-003-18; the GMS of a group, R-001-19).
 * With IDRi the URI is compared; with IDRuidi (E.7) the UID of each configured
 * GMS under the sender's KMS for the sender's period is. The matching URI goes
 * to *gms (NUL-terminated, it came from the configuration).
 */
static mcgk_err find_gms(const mcgk_gmk_open_cfg *cfg, const view *v, const mcgk_gmk_kms *skms,
                         uint64_t speriod, const char **gms)
{
    size_t n = cfg->n_authorised_gms + cfg->n_groups;
    for (size_t i = 0; i < n; i++) {
        const char *c = gms_candidate(cfg, i);
        size_t cl = gmk_uri_len(c);
        if (cl == 0)
            continue;
        if (v->idri != NULL) {
            if (gmk_bytes_eq_str(v->idri->data, v->idri->len, c)) {
                *gms = c;
                return MCGK_OK;
            }
        } else {
            uint8_t uid[MCGK_UID_LEN];
            mcgk_err e = gmk_uid(c, cl, skms, speriod, uid);
            if (e == MCGK_ERR_NO_MEMORY)
                return e;
            if (e == MCGK_OK && memcmp(uid, v->idruidi->data, MCGK_UID_LEN) == 0) {
                *gms = c;
                return MCGK_OK;
            }
        }
    }
    return MCGK_ERR_NOT_AUTHORISED;
}

/* R-001-19: each listed group must be configured with the signing GMS */
static mcgk_err check_groups(const mcgk_gmk_open_cfg *cfg, const mcgk_key_params *kp,
                             const char *gms)
{
    for (size_t g = 0; g < kp->n_groups; g++) {
        int ok = 0;
        for (size_t i = 0; i < cfg->n_groups && !ok; i++) {
            const mcgk_gmk_group_gms *c = &cfg->groups[i];
            ok = gmk_bytes_eq_str((const uint8_t *)kp->groups[g].id, kp->groups[g].len,
                                  c->group_id) &&
                 gmk_uri_len(c->gms_uri) > 0 && strcmp(c->gms_uri, gms) == 0;
        }
        if (!ok)
            return MCGK_ERR_NOT_AUTHORISED;
    }
    return MCGK_OK;
}

/* ---- the checklist ------------------------------------------------------------------ */

typedef struct open_state {
    mcgk_mikey_msg m;
    view v;
    mcgk_gmk_result r;
    uint8_t held[MCGK_KEY_LEN];
} open_state;

static mcgk_err run(const mcgk_gmk_open_cfg *cfg, const uint8_t *msg, size_t len,
                    uint64_t now_unix_s, open_state *st, mcgk_err *detail)
{
    mcgk_mikey_msg *m = &st->m;
    view *v = &st->v;
    mcgk_gmk_result *r = &st->r;
    mcgk_err e;

    /* 1. parse strictly; the Annex E profile */
    e = mcgk_mikey_parse(msg, len, m, NULL);
    if (e != MCGK_OK)
        return e;
    e = check_profile(m, v);
    if (e != MCGK_OK)
        return e;
    r->csb_id = m->hdr.csb_id;
    r->map_type = m->hdr.map_type;
    r->n_cs = m->hdr.n_cs;
    if (m->hdr.map_type == MCGK_MIKEY_MAP_GENERIC_ID)
        for (size_t i = 0; i < m->hdr.n_cs; i++)
            r->cs_ids[i] = m->hdr.map.generic[i].cs_id;

    /* 2. the purpose tag of the CSB ID (ts33180.md §0.1): GMK unless configured otherwise */
    r->purpose = MCGK_MIKEY_PURPOSE_OF(m->hdr.csb_id);
    unsigned accepted = cfg->purposes != 0 ? cfg->purposes : 1u << MCGK_PURPOSE_GMK;
    if ((accepted & (1u << r->purpose)) == 0)
        return MCGK_ERR_KEY_PURPOSE;

    /* 3. the timestamp within the window; own keys for its key period (§5.3) */
    uint64_t now_ntp_s = now_unix_s + MCGK_NTP_UNIX_OFFSET_S;
    r->ts_ntp64 = v->t->value;
    uint32_t ts_frac = (uint32_t)(v->t->value & 0xFFFFFFFFu);
    e = gmk_check_time(v->t->value, now_ntp_s, cfg->window_past_s, cfg->window_future_s,
                       &r->ts_ntp_s);
    if (e != MCGK_OK)
        return e;
    e = gmk_period(cfg->own_kms, r->ts_ntp_s, &r->own_period_no);
    if (e != MCGK_OK)
        return e;
    const mcgk_sakke_receiver *receiver = NULL;
    for (size_t i = 0; i < cfg->n_own_keys && receiver == NULL; i++)
        if (cfg->own_keys[i].period_no == r->own_period_no)
            receiver = cfg->own_keys[i].receiver;
    if (receiver == NULL)
        return MCGK_ERR_NO_KEYS; /* R-000-01 / R-003-01: no key material for that period */

    /* 4. the initiator and its KMS (IDRkmsi): a trusted certificate (R-004-03) */
    const mcgk_gmk_kms *skms = find_kms(cfg, v->kmsi->data, v->kmsi->len);
    if (skms == NULL)
        return MCGK_ERR_UNKNOWN_KMS;
    gmk_copy_str(r->sender_kms_uri, v->kmsi->data, v->kmsi->len);
    e = gmk_period(skms, r->ts_ntp_s, &r->sender_period_no);
    if (e != MCGK_OK)
        return e;
    if (v->idri != NULL) {
        gmk_copy_str(r->sender_uri, v->idri->data, v->idri->len);
        e = gmk_uid(r->sender_uri, v->idri->len, skms, r->sender_period_no, r->sender_uid);
        if (e != MCGK_OK)
            return e;
    } else {
        r->sender_hidden = 1;
        memcpy(r->sender_uid, v->idruidi->data, MCGK_UID_LEN);
    }
    /* RFC 3830 §5.4: (sender, timestamp, CSB ID) not accepted before */
    if (cfg->replay != NULL) {
        e = mcgk_replay_cache_check(cfg->replay, r->sender_uid, r->ts_ntp_s, ts_frac,
                                    r->csb_id);
        if (e != MCGK_OK)
            return e;
    }

    /* 5. a GMK must come from the GMS this receiver is configured with (R-003-18) */
    const char *gms = NULL;
    if (r->purpose == MCGK_PURPOSE_GMK) {
        e = find_gms(cfg, v, skms, r->sender_period_no, &gms);
        if (e != MCGK_OK)
            return e;
        if (r->sender_hidden)
            gmk_copy_str(r->sender_uri, (const uint8_t *)gms, strlen(gms));
    }

    /* 6. ECCSI signature by the initiator's UID over everything before it, SIGN header
       included (RFC 6509 §4.3; R-000-21, R-001-14, R-003-17) */
    e = mcgk_eccsi_verify(skms->kpak, r->sender_uid, MCGK_UID_LEN, msg, m->signed_len,
                          v->sign->sig);
    if (e != MCGK_OK) {
        *detail = e;
        return MCGK_ERR_SIGNATURE;
    }

    /* 7. addressed to me: IDRr (URI) or IDRuidr (UID, E.7), and my KMS (IDRkmsr) */
    uint8_t own_uid[MCGK_UID_LEN];
    size_t own_len = gmk_uri_len(cfg->own_uri);
    e = gmk_uid(cfg->own_uri, own_len, cfg->own_kms, r->own_period_no, own_uid);
    if (e != MCGK_OK)
        return e;
    if (!gmk_bytes_eq_str(v->kmsr->data, v->kmsr->len, cfg->own_kms->kms_uri) ||
        (v->idrr != NULL && !gmk_bytes_eq_str(v->idrr->data, v->idrr->len, cfg->own_uri)) ||
        (v->idruidr != NULL && memcmp(v->idruidr->data, own_uid, MCGK_UID_LEN) != 0))
        return MCGK_ERR_NOT_FOR_ME;

    /* 8. SAKKE decapsulation with my RSK for that period (RFC 6508 §6.2.2) */
    e = mcgk_sakke_decapsulate(receiver, v->sakke->data, r->key);
    if (e != MCGK_OK) {
        *detail = e;
        return MCGK_ERR_DECAPSULATE;
    }

    /* 9. the key ID: GMK-ID from the GUK-ID with my URI's salt (§5.2.3); the purpose tag
       is copied from the CSB ID, so it is the one checked in step 2 */
    r->key_id = r->csb_id;
    if (gmk_diversified(r->purpose)) {
        e = mcgk_guk_id(r->key, MCGK_KEY_LEN, r->csb_id, cfg->own_uri, own_len, &r->key_id);
        if (e != MCGK_OK)
            return e;
    }

    /* 10. not a duplicate of a different key (R-001-16, R-003-20); the same key again is
       an update (a re-send, or a Status change) */
    if (cfg->lookup != NULL && cfg->lookup(cfg->lookup_ctx, r->purpose, r->key_id, st->held)) {
        int same = mcgk_ct_memeq(st->held, r->key, MCGK_KEY_LEN);
        mcgk_ct_declassify(&same, sizeof same); /* the verdict on two secrets */
        if (!same)
            return MCGK_ERR_DUPLICATE_KEY_ID;
        r->already_held = 1;
    }

    /* 11. the key parameters (§5.2.4, E.6): decrypt under the key, authenticate, decode
       (R-001-17/18, R-003-21/22); a failure rejects the key */
    if (v->kp != NULL) {
        mcgk_err pe = mcgk_key_params_open(r->key, r->csb_id, v->kp->data, v->kp->len, &r->params);
        if (pe == MCGK_OK && r->params.key_type != r->purpose)
            pe = MCGK_ERR_MALFORMED; /* E.6.11: Key Type names the key carried */
        if (pe != MCGK_OK && cfg->accept_legacy_params &&
            v->kp->form == MCGK_MIKEY_GENEXT_OPAQUE &&
            mcgk_key_params_decode(v->kp->data, v->kp->len, &r->params) == MCGK_OK) {
            /* Streamwide's legacy IWF form: the content in clear (key type coded 1 for a
               GMK, so it is not compared with the purpose) - accepted only on request */
            pe = MCGK_OK;
            r->params_legacy = 1;
        }
        if (pe != MCGK_OK) {
            *detail = pe;
            return MCGK_ERR_KEY_PARAMS;
        }
        r->has_params = 1;
        /* R-001-19: every group listed is configured with this GMS */
        if (r->purpose == MCGK_PURPOSE_GMK) {
            e = check_groups(cfg, &r->params, gms);
            if (e != MCGK_OK)
                return e;
        }
    }
    r->has_sakke_to_self = v->self != NULL;
    r->rand_len = v->rand->len;
    memcpy(r->rand, v->rand->data, v->rand->len);

    /* accepted: remember it against replays (only accepted messages enter the cache) */
    if (cfg->replay != NULL) {
        e = gmk_replay_remember(cfg->replay, r->sender_uid, r->ts_ntp_s, ts_frac, r->csb_id,
                                now_ntp_s, cfg->window_past_s);
        if (e != MCGK_OK)
            return e;
    }
    /* §5.2.4: Status revoked - the key and key ID shall not be used (E.6.9) */
    if (r->has_params && (r->params.status & MCGK_KP_STATUS_NOT_REVOKED) == 0) {
        r->revoked = 1;
        mcgk_wipe(r->key, sizeof r->key);
        mcgk_gmk_reply_for(MCGK_ERR_REVOKED, &r->reply);
        return MCGK_ERR_REVOKED;
    }
    mcgk_gmk_reply_for(MCGK_OK, &r->reply);
    return MCGK_OK;
}

mcgk_err mcgk_gmk_open(const mcgk_gmk_open_cfg *cfg, const uint8_t *msg, size_t len,
                       uint64_t now_unix_s, mcgk_gmk_result *out, mcgk_err *detail)
{
    mcgk_err d = MCGK_OK;
    if (cfg == NULL || (msg == NULL && len != 0) || out == NULL ||
        gmk_uri_len(cfg->own_uri) == 0 || !gmk_kms_usable(cfg->own_kms, 0) ||
        (cfg->own_keys == NULL && cfg->n_own_keys != 0) ||
        (cfg->trusted == NULL && cfg->n_trusted != 0) ||
        (cfg->authorised_gms == NULL && cfg->n_authorised_gms != 0) ||
        (cfg->groups == NULL && cfg->n_groups != 0)) {
        if (detail != NULL)
            *detail = MCGK_ERR_INVALID_ARG;
        return MCGK_ERR_INVALID_ARG;
    }
    /* everything is worked out in a local state and committed only on acceptance */
    open_state local;
    open_state *st = &local;
    memset(&st->r, 0, sizeof st->r);
    mcgk_err e = run(cfg, msg, len, now_unix_s, st, &d);
    if (e == MCGK_OK || e == MCGK_ERR_REVOKED)
        *out = st->r;
    if (d == MCGK_OK && e != MCGK_OK && e != MCGK_ERR_REVOKED)
        d = e;
    if (detail != NULL)
        *detail = e == MCGK_OK || e == MCGK_ERR_REVOKED ? MCGK_OK : d;
    mcgk_wipe(&st->r, sizeof st->r);
    mcgk_wipe(st->held, sizeof st->held);
    return e;
}

mcgk_err mcgk_gmk_check_initiator(const mcgk_gmk_open_cfg *cfg, const mcgk_gmk_result *r,
                                  const char *uri, size_t uri_len)
{
    if (cfg == NULL || r == NULL || (uri == NULL && uri_len != 0))
        return MCGK_ERR_INVALID_ARG;
    size_t kl = strnlen(r->sender_kms_uri, sizeof r->sender_kms_uri);
    const mcgk_gmk_kms *skms = find_kms(cfg, (const uint8_t *)r->sender_kms_uri, kl);
    if (skms == NULL)
        return MCGK_ERR_UNKNOWN_KMS;
    uint8_t uid[MCGK_UID_LEN];
    mcgk_err e = mcgk_uid(uri, uri_len, skms->kms_uri, strlen(skms->kms_uri), skms->period_s,
                          skms->offset_s, r->sender_period_no, uid);
    if (e != MCGK_OK)
        return e;
    /* E.7: the UID recomputed from the URI must be the one the signature was verified with */
    return memcmp(uid, r->sender_uid, MCGK_UID_LEN) == 0 ? MCGK_OK : MCGK_ERR_INITIATOR;
}
