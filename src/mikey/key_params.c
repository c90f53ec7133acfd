/*
 * The 3GPP key parameters (TS 33.180 §5.2.4, E.6.1) and the MCData
 * protected-payload envelope that carries them encrypted under the key of
 * the MIKEY message (TS 33.180 §8.5.4 layout, DPCK of F.1 / §8).
 * Contract: see mcgk/key_params.h. Layout: spec/ts33180.md §E.6 and §8.
 *
 * Every wire octet goes through the bounded reader / writer (mcgk/reader.h).
 *
 * The envelope's framing and AES-GCM are the shared module
 * src/mikey/protected_payload.c; this file fills in the key parameters'
 * values (E.6.1) and checks DPPK-ID = CSB ID.
 *
 * Secrets: the DPPK argument (the DPCK is derived and wiped inside the
 * shared module); the decrypted content, which is decrypted into a local
 * buffer, copied out only after the tag verified, and wiped. Framing and
 * lengths are public and handled in variable time.
 */
#include "mcgk/key_params.h"

#include <string.h>

#include "mcgk/base.h"
#include "mcgk/kdf.h"
#include "mcgk/protected_payload.h"
#include "mcgk/reader.h"

#define R(expr)                                                                  \
    do {                                                                         \
        mcgk_err r_e_ = (expr);                                                  \
        if (r_e_ != MCGK_OK)                                                     \
            return r_e_;                                                         \
    } while (0)

/* Propagate an error, except BUFFER_TOO_SMALL, which the writer keeps (sticky)
 * and mcgk_writer_finish reports once everything has been counted. */
#define W(expr)                                                                  \
    do {                                                                         \
        mcgk_err w_e_ = (expr);                                                  \
        if (w_e_ != MCGK_OK && w_e_ != MCGK_ERR_BUFFER_TOO_SMALL)                \
            return w_e_;                                                         \
    } while (0)

#define TIME_LEN 5 /* 40-bit times (E.6.4, E.6.10) and the envelope date/time (§8.5.4) */

/* the epoch as a variable, so that comparisons with it stay meaningful whatever its value */
static const uint64_t k_epoch_ntp_s = MCGK_KP_TIME_EPOCH_NTP_S;

int mcgk_key_params_type_has_groups(uint8_t t)
{
    /* E.6.1: the MC Group IDs element accompanies GMK, MKFC and MuSiK only */
    return t == MCGK_PURPOSE_GMK || t == MCGK_PURPOSE_MKFC || t == MCGK_PURPOSE_MUSIK;
}

void mcgk_key_params_init(mcgk_key_params *kp, uint8_t key_type)
{
    if (kp == NULL)
        return;
    memset(kp, 0, sizeof *kp);
    kp->key_type = key_type;
    kp->status = MCGK_KP_STATUS_NOT_REVOKED;
    kp->has_groups = mcgk_key_params_type_has_groups(key_type);
}

mcgk_err mcgk_key_params_add_group(mcgk_key_params *kp, const char *id, size_t id_len)
{
    if (kp == NULL || id == NULL || id_len == 0)
        return MCGK_ERR_INVALID_ARG;
    if (id_len > MCGK_KP_GROUP_ID_MAX || kp->n_groups >= MCGK_KP_MAX_GROUPS)
        return MCGK_ERR_OVERSIZED;
    mcgk_kp_group *g = &kp->groups[kp->n_groups];
    g->iei = MCGK_KP_GROUP_ID_IEI;
    g->len = id_len;
    memcpy(g->id, id, id_len);
    g->id[id_len] = '\0';
    kp->n_groups++;
    kp->has_groups = 1;
    return MCGK_OK;
}

/* ---- 40-bit times with the one switchable epoch ----------------------------------------- */

static mcgk_err time_to_wire(uint64_t ntp_s, uint64_t *wire)
{
    if (ntp_s == 0) { /* "not given" / "no expiry" travels as 0 */
        *wire = 0;
        return MCGK_OK;
    }
    if (ntp_s < k_epoch_ntp_s || ntp_s - k_epoch_ntp_s > MCGK_KP_TIME_MAX)
        return MCGK_ERR_INVALID_ARG;
    *wire = ntp_s - k_epoch_ntp_s;
    return MCGK_OK;
}

static uint64_t time_from_wire(uint64_t wire)
{
    return wire == 0 ? 0 : wire + k_epoch_ntp_s;
}

/* ---- content ------------------------------------------------------------------------ */

static mcgk_err enc_content(mcgk_writer *w, const mcgk_key_params *kp)
{
    uint64_t act, exp;
    int groups = mcgk_key_params_type_has_groups(kp->key_type);
    if (kp->text_len > MCGK_KP_TEXT_MAX || kp->n_groups > MCGK_KP_MAX_GROUPS ||
        (!groups && kp->n_groups != 0))
        return MCGK_ERR_INVALID_ARG;
    R(time_to_wire(kp->activation_ntp_s, &act));
    R(time_to_wire(kp->expiry_ntp_s, &exp));
    /* E.6.11 Key Type, E.6.9 Status, E.6.4 Activation, E.6.10 Expiry: format V */
    W(mcgk_writer_u8(w, kp->key_type));
    W(mcgk_writer_u32(w, kp->status));
    W(mcgk_writer_uint(w, act, TIME_LEN));
    W(mcgk_writer_uint(w, exp, TIME_LEN));
    /* E.6.5 Text: LV-E */
    W(mcgk_writer_u16(w, (uint16_t)kp->text_len));
    W(mcgk_writer_bytes(w, (const uint8_t *)kp->text, kp->text_len));
    if (!groups)
        return MCGK_OK;
    /* E.6.3 MC Group IDs: LV-E holding the count and one IEI | length | ID per group */
    size_t m = 1;
    for (size_t i = 0; i < kp->n_groups; i++) {
        if (kp->groups[i].len == 0 || kp->groups[i].len > MCGK_KP_GROUP_ID_MAX)
            return MCGK_ERR_INVALID_ARG;
        m += 3 + kp->groups[i].len;
    }
    W(mcgk_writer_u16(w, (uint16_t)m));
    W(mcgk_writer_u8(w, (uint8_t)kp->n_groups));
    for (size_t i = 0; i < kp->n_groups; i++) {
        const mcgk_kp_group *g = &kp->groups[i];
        W(mcgk_writer_u8(w, g->iei));
        W(mcgk_writer_u16(w, (uint16_t)g->len));
        W(mcgk_writer_bytes(w, (const uint8_t *)g->id, g->len));
    }
    return MCGK_OK;
}

mcgk_err mcgk_key_params_encode(const mcgk_key_params *kp, uint8_t *out, size_t out_cap,
                                size_t *out_len)
{
    if (kp == NULL || out_len == NULL)
        return MCGK_ERR_INVALID_ARG;
    /* a size-only pass validates everything first, so nothing is written on an error */
    mcgk_writer w;
    size_t need;
    mcgk_writer_init(&w, NULL, 0);
    R(enc_content(&w, kp));
    R(mcgk_writer_finish(&w, &need));
    *out_len = need;
    if (out == NULL)
        return MCGK_OK;
    if (out_cap < need)
        return MCGK_ERR_BUFFER_TOO_SMALL;
    mcgk_writer_init(&w, out, out_cap);
    R(enc_content(&w, kp));
    return mcgk_writer_finish(&w, out_len);
}

/* E.6.3: the MC Group IDs element after its 2-octet length, exactly m octets */
static mcgk_err dec_groups(mcgk_reader *el, mcgk_key_params *kp)
{
    uint8_t n;
    if (mcgk_reader_u8(el, &n) != MCGK_OK)
        return MCGK_ERR_MALFORMED; /* an empty element: the count is mandatory */
    if (n > MCGK_KP_MAX_GROUPS)
        return MCGK_ERR_OVERSIZED;
    for (size_t i = 0; i < n; i++) {
        mcgk_kp_group *g = &kp->groups[i];
        uint16_t len;
        const uint8_t *id;
        if (mcgk_reader_u8(el, &g->iei) != MCGK_OK || mcgk_reader_u16(el, &len) != MCGK_OK)
            return MCGK_ERR_MALFORMED; /* the entries run past the element's length */
        if (len == 0)
            return MCGK_ERR_MALFORMED;
        if (len > MCGK_KP_GROUP_ID_MAX)
            return MCGK_ERR_OVERSIZED;
        if (mcgk_reader_bytes(el, len, &id) != MCGK_OK)
            return MCGK_ERR_MALFORMED;
        memcpy(g->id, id, len);
        g->id[len] = '\0';
        g->len = len;
    }
    if (mcgk_reader_expect_end(el) != MCGK_OK)
        return MCGK_ERR_MALFORMED; /* count and entries do not fill the element */
    kp->n_groups = n;
    kp->has_groups = 1;
    return MCGK_OK;
}

static mcgk_err dec_content(mcgk_reader *r, mcgk_key_params *kp)
{
    uint64_t act, exp;
    uint16_t tlen;
    const uint8_t *text;
    R(mcgk_reader_u8(r, &kp->key_type));
    R(mcgk_reader_u32(r, &kp->status));
    R(mcgk_reader_uint(r, TIME_LEN, &act));
    R(mcgk_reader_uint(r, TIME_LEN, &exp));
    kp->activation_ntp_s = time_from_wire(act);
    kp->expiry_ntp_s = time_from_wire(exp);
    R(mcgk_reader_u16(r, &tlen));
    if (tlen > MCGK_KP_TEXT_MAX)
        return MCGK_ERR_OVERSIZED;
    R(mcgk_reader_bytes(r, tlen, &text));
    memcpy(kp->text, text, tlen);
    kp->text[tlen] = '\0';
    kp->text_len = tlen;
    if (mcgk_key_params_type_has_groups(kp->key_type) && mcgk_reader_remaining(r) > 0) {
        uint16_t m;
        mcgk_reader el;
        R(mcgk_reader_u16(r, &m));
        R(mcgk_reader_sub(r, m, &el));
        R(dec_groups(&el, kp));
    }
    return mcgk_reader_expect_end(r);
}

mcgk_err mcgk_key_params_decode(const uint8_t *in, size_t len, mcgk_key_params *out)
{
    if ((in == NULL && len != 0) || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    /* decode into a local, commit on success (the content is confidential: wipe it) */
    mcgk_key_params tmp;
    memset(&tmp, 0, sizeof tmp);
    mcgk_reader r;
    mcgk_reader_init(&r, in, len);
    mcgk_err e = dec_content(&r, &tmp);
    if (e == MCGK_OK)
        *out = tmp;
    mcgk_wipe(&tmp, sizeof tmp);
    return e;
}

/* ---- envelope (§8.5.4): the shared module, with the key parameters' values ------------ */

mcgk_err mcgk_key_params_envelope_seal(const uint8_t dppk[MCGK_KEY_LEN], uint32_t dppk_id,
                                       const uint8_t iv[MCGK_KP_IV_LEN], const uint8_t *content,
                                       size_t content_len, uint8_t *out, size_t out_cap,
                                       size_t *out_len)
{
    if (dppk == NULL || iv == NULL || (content == NULL && content_len != 0) || out_len == NULL ||
        content_len > MCGK_KP_CONTENT_MAX_LEN)
        return MCGK_ERR_INVALID_ARG;
    mcgk_pp hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.message_type = MCGK_KP_MSG_TYPE;
    hdr.date_time = MCGK_KP_DATE_TIME;
    hdr.payload_id = 0;  /* E.6.1: Payload ID = 0 */
    hdr.payload_seq = 0; /* E.6.1: Payload sequence number = 0 */
    hdr.algorithm = MCGK_KP_ALG_AES_128_GCM;
    hdr.iv = iv;
    hdr.dppk_id = dppk_id; /* E.6.1: DPPK-ID = CSB ID */
    hdr.payload_iei = MCGK_KP_PAYLOAD_IEI;
    return mcgk_pp_seal(dppk, &hdr, content, content_len, out, out_cap, out_len);
}

mcgk_err mcgk_key_params_envelope_open(const uint8_t dppk[MCGK_KEY_LEN], uint32_t want_dppk_id,
                                       const uint8_t *env, size_t env_len, uint8_t *content,
                                       size_t content_cap, size_t *content_len)
{
    if (dppk == NULL || (env == NULL && env_len != 0) || content_len == NULL ||
        (content == NULL && content_cap != 0))
        return MCGK_ERR_INVALID_ARG;
    mcgk_pp pp;
    R(mcgk_pp_parse(env, env_len, &pp));
    /* Message type, date/time, payload ID / sequence number and payload IEI are
       accepted as received (authenticated as AAD; E.6.1: ignored on receipt). */
    if (pp.algorithm != MCGK_KP_ALG_AES_128_GCM)
        return MCGK_ERR_UNSUPPORTED;
    if (pp.dppk_id != want_dppk_id || pp.payload_len < MCGK_KP_TAG_LEN)
        return MCGK_ERR_MALFORMED; /* E.6.1: DPPK-ID = CSB ID */
    size_t ct_len = (size_t)pp.payload_len - MCGK_KP_TAG_LEN;
    if (ct_len > MCGK_KP_CONTENT_MAX_LEN)
        return MCGK_ERR_OVERSIZED;
    if (content_cap < ct_len) {
        *content_len = ct_len;
        return MCGK_ERR_BUFFER_TOO_SMALL;
    }
    /* decrypt into a local, copy out only what authenticated: content stays untouched */
    uint8_t pt[MCGK_KP_CONTENT_MAX_LEN];
    size_t n = 0;
    mcgk_err e = mcgk_pp_open(dppk, &pp, pt, sizeof pt, &n);
    if (e == MCGK_ERR_PAYLOAD_AUTH)
        e = MCGK_ERR_KEY_PARAMS; /* §5.2.4: the parameters do not decrypt: reject the key */
    if (e == MCGK_OK) {
        if (n > 0)
            memcpy(content, pt, n);
        *content_len = n;
    }
    mcgk_wipe(pt, n > 0 ? n : ct_len);
    return e;
}

mcgk_err mcgk_key_params_seal(const uint8_t dppk[MCGK_KEY_LEN], uint32_t dppk_id,
                              const uint8_t iv[MCGK_KP_IV_LEN], const mcgk_key_params *kp,
                              uint8_t *out, size_t out_cap, size_t *out_len)
{
    if (kp == NULL || out_len == NULL)
        return MCGK_ERR_INVALID_ARG;
    uint8_t content[MCGK_KP_CONTENT_MAX_LEN];
    size_t n;
    mcgk_err e = mcgk_key_params_encode(kp, content, sizeof content, &n);
    if (e == MCGK_OK)
        e = mcgk_key_params_envelope_seal(dppk, dppk_id, iv, content, n, out, out_cap, out_len);
    mcgk_wipe(content, sizeof content);
    return e;
}

mcgk_err mcgk_key_params_open(const uint8_t dppk[MCGK_KEY_LEN], uint32_t want_dppk_id,
                              const uint8_t *env, size_t env_len, mcgk_key_params *out)
{
    if (out == NULL)
        return MCGK_ERR_INVALID_ARG;
    uint8_t content[MCGK_KP_CONTENT_MAX_LEN];
    size_t n = 0;
    mcgk_err e = mcgk_key_params_envelope_open(dppk, want_dppk_id, env, env_len, content,
                                               sizeof content, &n);
    if (e == MCGK_OK)
        e = mcgk_key_params_decode(content, n, out);
    mcgk_wipe(content, sizeof content);
    return e;
}
