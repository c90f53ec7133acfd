/*
 * MIKEY codec: parse and encode MIKEY messages (RFC 3830 §6, RFC 6043 §6,
 * RFC 6509 §4; TS 33.180 E.5 SAKKE-to-self, E.6 / §8.5.4 key-parameters
 * envelope). Contract: see mcgk/mikey.h. Layouts: spec/mikey.md.
 *
 * Every wire octet is read through the bounded reader and written through
 * the bounded writer (mcgk/reader.h). Parsing is total: any input gives
 * MCGK_OK or a specific error, never a read outside the buffer.
 *
 * Secrets: none are handled here except the Key data sub-payloads of a
 * decrypted KEMAC (mcgk_mikey_key_data_*), which are only pointed at
 * (parse) or copied into the caller's buffer (encode). No copies are made
 * on the stack, so nothing needs wiping. All of this runs in variable time
 * over public framing (lengths, types).
 */
#include "mcgk/mikey.h"

#include <string.h>

#include "mcgk/reader.h"

/* Propagate an error, except BUFFER_TOO_SMALL, which the writer keeps (sticky)
 * and mcgk_writer_finish reports once everything has been counted. */
#define W(expr)                                                                                    \
    do {                                                                                           \
        mcgk_err w_e_ = (expr);                                                                    \
        if (w_e_ != MCGK_OK && w_e_ != MCGK_ERR_BUFFER_TOO_SMALL)                                  \
            return w_e_;                                                                           \
    } while (0)

#define R(expr)                                                                                    \
    do {                                                                                           \
        mcgk_err r_e_ = (expr);                                                                    \
        if (r_e_ != MCGK_OK)                                                                       \
            return r_e_;                                                                           \
    } while (0)

/* ---- lengths that follow from algorithm / type values ----------------------------- */

/* TS value length (RFC 3830 §6.6); 0 = unknown type */
static size_t ts_len(uint8_t ts_type)
{
    switch (ts_type) {
    case MCGK_MIKEY_TS_NTP_UTC:
    case MCGK_MIKEY_TS_NTP:
        return 8;
    case MCGK_MIKEY_TS_COUNTER:
        return 4;
    default:
        return 0;
    }
}

/* MAC / verification data length (RFC 3830 §6.2, §6.9); -1 = unknown algorithm */
static int mac_len(uint8_t alg)
{
    switch (alg) {
    case MCGK_MIKEY_MAC_NULL:
        return 0;
    case MCGK_MIKEY_MAC_HMAC_SHA1_160:
        return MCGK_MIKEY_MAC_HMAC_SHA1_160_LEN;
    default:
        return -1;
    }
}

/* Is `type` a payload that may follow in the main chain? (RFC 3830 §6.1 table) */
static mcgk_err check_payload_type(uint8_t type)
{
    switch (type) {
    case MCGK_MIKEY_PT_KEMAC:
    case MCGK_MIKEY_PT_SIGN:
    case MCGK_MIKEY_PT_T:
    case MCGK_MIKEY_PT_ID:
    case MCGK_MIKEY_PT_CERT:
    case MCGK_MIKEY_PT_V:
    case MCGK_MIKEY_PT_SP:
    case MCGK_MIKEY_PT_RAND:
    case MCGK_MIKEY_PT_ERR:
    case MCGK_MIKEY_PT_IDR:
    case MCGK_MIKEY_PT_GENERAL_EXT:
    case MCGK_MIKEY_PT_SAKKE:
        return MCGK_OK;
    case MCGK_MIKEY_PT_PKE:
    case MCGK_MIKEY_PT_DH:
    case MCGK_MIKEY_PT_CHASH:
    case MCGK_MIKEY_PT_TR:
    case MCGK_MIKEY_PT_RANDR:
    case MCGK_MIKEY_PT_TP:
    case MCGK_MIKEY_PT_TICKET:
        return MCGK_ERR_UNSUPPORTED; /* registered, not used by 3GPP, not decoded */
    default:
        return MCGK_ERR_MIKEY_PAYLOAD_TYPE; /* includes Key data (20) outside a KEMAC */
    }
}

/* ---- parse ---------------------------------------------------------------------- */

/* Common Header, RFC 3830 §6.1; CS ID maps RFC 3830 §6.1.1 and RFC 6043 §6.1.1 */
static mcgk_err parse_hdr(mcgk_reader *r, mcgk_mikey_hdr *h, uint8_t *next)
{
    uint8_t version, vprf;
    R(mcgk_reader_u8(r, &version));
    if (version != MCGK_MIKEY_VERSION)
        return MCGK_ERR_MIKEY_VERSION;
    R(mcgk_reader_u8(r, &h->data_type));
    R(mcgk_reader_u8(r, next));
    R(mcgk_reader_u8(r, &vprf));
    h->v = (uint8_t)(vprf >> 7);
    h->prf_func = (uint8_t)(vprf & 0x7f);
    R(mcgk_reader_u32(r, &h->csb_id));
    R(mcgk_reader_u8(r, &h->n_cs));
    R(mcgk_reader_u8(r, &h->map_type));
    switch (h->map_type) {
    case MCGK_MIKEY_MAP_SRTP_ID:
        if (h->n_cs > MCGK_MIKEY_MAX_CS)
            return MCGK_ERR_OVERSIZED;
        for (size_t i = 0; i < h->n_cs; i++) {
            mcgk_mikey_cs_srtp *e = &h->map.srtp[i];
            R(mcgk_reader_u8(r, &e->policy_no));
            R(mcgk_reader_u32(r, &e->ssrc));
            R(mcgk_reader_u32(r, &e->roc));
        }
        return MCGK_OK;
    case MCGK_MIKEY_MAP_EMPTY:
        /* RFC 6043 §6.1.1: no map info; #CS must be 0 */
        return h->n_cs == 0 ? MCGK_OK : MCGK_ERR_MIKEY_CS_MAP;
    case MCGK_MIKEY_MAP_GENERIC_ID:
        if (h->n_cs > MCGK_MIKEY_MAX_CS)
            return MCGK_ERR_OVERSIZED;
        for (size_t i = 0; i < h->n_cs; i++) {
            mcgk_mikey_cs_generic *e = &h->map.generic[i];
            uint8_t sp;
            R(mcgk_reader_u8(r, &e->cs_id));
            R(mcgk_reader_u8(r, &e->prot_type));
            R(mcgk_reader_u8(r, &sp));
            e->s = (uint8_t)(sp >> 7);
            e->n_policies = (uint8_t)(sp & 0x7f);
            R(mcgk_reader_bytes(r, e->n_policies, &e->policies));
            R(mcgk_reader_u16(r, &e->session_data_len));
            R(mcgk_reader_bytes(r, e->session_data_len, &e->session_data));
            R(mcgk_reader_u8(r, &e->spi_len));
            R(mcgk_reader_bytes(r, e->spi_len, &e->spi));
        }
        return MCGK_OK;
    default:
        return MCGK_ERR_UNSUPPORTED;
    }
}

/* SP parameter list (RFC 3830 §6.10): Type(1) | Length(1) | Value, filling params_len exactly */
static mcgk_err walk_sp_params(const uint8_t *params, size_t params_len, size_t *n)
{
    mcgk_reader r;
    mcgk_reader_init(&r, params, params_len);
    size_t count = 0;
    while (mcgk_reader_remaining(&r) > 0) {
        uint8_t type, len;
        if (mcgk_reader_u8(&r, &type) != MCGK_OK || mcgk_reader_u8(&r, &len) != MCGK_OK ||
            mcgk_reader_skip(&r, len) != MCGK_OK)
            return MCGK_ERR_MALFORMED;
        count++;
    }
    *n = count;
    return MCGK_OK;
}

/* SAKKE payload body after its next-payload octet (RFC 6509 §4.2) */
static mcgk_err parse_sakke_body(mcgk_reader *r, mcgk_mikey_sakke *s)
{
    R(mcgk_reader_u8(r, &s->params));
    R(mcgk_reader_u8(r, &s->id_scheme));
    R(mcgk_reader_u16(r, &s->len));
    return mcgk_reader_bytes(r, s->len, &s->data);
}

/* The type-7 envelope (ts33180.md §8.5.4): 1 if data is exactly one envelope */
static int parse_pp(const uint8_t *data, size_t len, mcgk_mikey_protected_payload *kp)
{
    return mcgk_pp_parse(data, len, kp) == MCGK_OK; /* the shared envelope parser */
}

/* General Extension, RFC 3830 §6.15 (after the next-payload octet) */
static mcgk_err parse_genext(mcgk_reader *r, mcgk_mikey_genext *g)
{
    mcgk_reader sub;
    R(mcgk_reader_u8(r, &g->type));
    R(mcgk_reader_u16(r, &g->len));
    R(mcgk_reader_sub(r, g->len, &sub));
    g->data = sub.p;
    g->form = MCGK_MIKEY_GENEXT_OPAQUE;
    if (g->type == MCGK_MIKEY_EXT_SAKKE_TO_SELF) {
        /* TS 33.180 E.5: Data is one complete SAKKE payload, nothing else */
        if (mcgk_reader_u8(&sub, &g->self_next) != MCGK_OK ||
            parse_sakke_body(&sub, &g->sakke) != MCGK_OK || mcgk_reader_expect_end(&sub) != MCGK_OK)
            return MCGK_ERR_MALFORMED;
        g->form = MCGK_MIKEY_GENEXT_SAKKE_TO_SELF;
    } else if (g->type == MCGK_MIKEY_EXT_KEY_PARAMS) {
        /* TS 33.180 E.6: an MCData protected payload; anything else stays opaque */
        if (parse_pp(g->data, g->len, &g->kp))
            g->form = MCGK_MIKEY_GENEXT_KEY_PARAMS;
    }
    return MCGK_OK;
}

/* One payload of `type` (already checked) starting at the reader; *next = the
 * following type (SIGN has none: *next = LAST). */
static mcgk_err parse_payload(mcgk_reader *r, uint8_t type, mcgk_mikey_payload *p, uint8_t *next,
                              size_t *signed_len)
{
    memset(&p->u, 0, sizeof p->u);
    p->type = type;
    if (type == MCGK_MIKEY_PT_SIGN) {
        /* RFC 3830 §6.5: S type (4 bits) | Signature len (12 bits) | Signature; no next payload */
        uint16_t x;
        R(mcgk_reader_u16(r, &x));
        p->u.sign.s_type = (uint8_t)(x >> 12);
        p->u.sign.len = (uint16_t)(x & 0x0fff);
        /* RFC 6509 / eccsi.md §8: the signature covers everything before it, SIGN header included
         */
        *signed_len = mcgk_reader_offset(r);
        R(mcgk_reader_bytes(r, p->u.sign.len, &p->u.sign.sig));
        *next = MCGK_MIKEY_PT_LAST;
        return MCGK_OK;
    }
    R(mcgk_reader_u8(r, next));
    switch (type) {
    case MCGK_MIKEY_PT_KEMAC: { /* RFC 3830 §6.2 */
        mcgk_mikey_kemac *k = &p->u.kemac;
        R(mcgk_reader_u8(r, &k->encr_alg));
        R(mcgk_reader_u16(r, &k->encr_len));
        R(mcgk_reader_bytes(r, k->encr_len, &k->encr_data));
        R(mcgk_reader_u8(r, &k->mac_alg));
        int ml = mac_len(k->mac_alg);
        if (ml < 0)
            return MCGK_ERR_UNSUPPORTED;
        k->mac_offset = mcgk_reader_offset(r);
        return mcgk_reader_bytes(r, (size_t)ml, &k->mac);
    }
    case MCGK_MIKEY_PT_T: { /* RFC 3830 §6.6 */
        R(mcgk_reader_u8(r, &p->u.t.ts_type));
        size_t n = ts_len(p->u.t.ts_type);
        if (n == 0)
            return MCGK_ERR_UNSUPPORTED;
        return mcgk_reader_uint(r, n, &p->u.t.value);
    }
    case MCGK_MIKEY_PT_ID: /* RFC 3830 §6.7 */
        R(mcgk_reader_u8(r, &p->u.idr.id_type));
        R(mcgk_reader_u16(r, &p->u.idr.len));
        return mcgk_reader_bytes(r, p->u.idr.len, &p->u.idr.data);
    case MCGK_MIKEY_PT_CERT: /* RFC 3830 §6.7 */
        R(mcgk_reader_u8(r, &p->u.cert.cert_type));
        R(mcgk_reader_u16(r, &p->u.cert.len));
        return mcgk_reader_bytes(r, p->u.cert.len, &p->u.cert.data);
    case MCGK_MIKEY_PT_V: { /* RFC 3830 §6.9 */
        R(mcgk_reader_u8(r, &p->u.v.auth_alg));
        int ml = mac_len(p->u.v.auth_alg);
        if (ml < 0)
            return MCGK_ERR_UNSUPPORTED;
        return mcgk_reader_bytes(r, (size_t)ml, &p->u.v.ver_data);
    }
    case MCGK_MIKEY_PT_SP: { /* RFC 3830 §6.10 */
        mcgk_mikey_sp *sp = &p->u.sp;
        R(mcgk_reader_u8(r, &sp->policy_no));
        R(mcgk_reader_u8(r, &sp->prot_type));
        R(mcgk_reader_u16(r, &sp->params_len));
        R(mcgk_reader_bytes(r, sp->params_len, &sp->params));
        return walk_sp_params(sp->params, sp->params_len, &sp->n_params);
    }
    case MCGK_MIKEY_PT_RAND: /* RFC 3830 §6.11 */
        R(mcgk_reader_u8(r, &p->u.rand.len));
        return mcgk_reader_bytes(r, p->u.rand.len, &p->u.rand.data);
    case MCGK_MIKEY_PT_ERR: /* RFC 3830 §6.12 */
        R(mcgk_reader_u8(r, &p->u.err.err_no));
        return mcgk_reader_u16(r, &p->u.err.reserved);
    case MCGK_MIKEY_PT_IDR: /* RFC 6043 §6.6 */
        R(mcgk_reader_u8(r, &p->u.idr.role));
        R(mcgk_reader_u8(r, &p->u.idr.id_type));
        R(mcgk_reader_u16(r, &p->u.idr.len));
        return mcgk_reader_bytes(r, p->u.idr.len, &p->u.idr.data);
    case MCGK_MIKEY_PT_GENERAL_EXT:
        return parse_genext(r, &p->u.genext);
    case MCGK_MIKEY_PT_SAKKE: /* RFC 6509 §4.2 */
        return parse_sakke_body(r, &p->u.sakke);
    default:
        return MCGK_ERR_MIKEY_PAYLOAD_TYPE; /* not reached: type was checked */
    }
}

mcgk_err mcgk_mikey_parse(const uint8_t *buf, size_t len, mcgk_mikey_msg *out, size_t *err_offset)
{
    if ((buf == NULL && len != 0) || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    size_t where = 0;
    mcgk_err e;
    if (len > MCGK_MIKEY_MAX_MSG_LEN) {
        e = MCGK_ERR_OVERSIZED;
        goto fail;
    }

    /* parse into a local so that a failure leaves *out untouched (validate, then commit) */
    mcgk_mikey_msg m;
    mcgk_reader r;
    uint8_t next;
    mcgk_reader_init(&r, buf, len);
    memset(&m.hdr, 0, sizeof m.hdr);
    m.n_payloads = 0;
    m.signed_len = 0;
    e = parse_hdr(&r, &m.hdr, &next);
    if (e != MCGK_OK)
        goto fail;
    m.hdr_len = mcgk_reader_offset(&r);
    while (next != MCGK_MIKEY_PT_LAST) {
        where = mcgk_reader_offset(&r);
        e = check_payload_type(next);
        if (e != MCGK_OK)
            goto fail;
        if (m.n_payloads == MCGK_MIKEY_MAX_PAYLOADS) {
            e = MCGK_ERR_OVERSIZED;
            goto fail;
        }
        mcgk_mikey_payload *p = &m.payloads[m.n_payloads];
        uint8_t type = next;
        e = parse_payload(&r, type, p, &next, &m.signed_len);
        if (e != MCGK_OK)
            goto fail;
        p->offset = where;
        p->len = mcgk_reader_offset(&r) - where;
        m.n_payloads++;
        if (type == MCGK_MIKEY_PT_SIGN)
            break; /* RFC 3830 §6.5: SIGN is the last payload */
    }
    where = mcgk_reader_offset(&r);
    e = mcgk_reader_expect_end(&r);
    if (e != MCGK_OK)
        goto fail;
    m.len = len;
    /* commit: the header, the used records and the totals */
    out->hdr = m.hdr;
    out->n_payloads = m.n_payloads;
    memcpy(out->payloads, m.payloads, m.n_payloads * sizeof m.payloads[0]);
    out->hdr_len = m.hdr_len;
    out->len = m.len;
    out->signed_len = m.signed_len;
    return MCGK_OK;

fail:
    if (err_offset != NULL)
        *err_offset = where;
    return e;
}

/* ---- encode --------------------------------------------------------------------- */

static mcgk_err enc_hdr(mcgk_writer *w, const mcgk_mikey_hdr *h, uint8_t next)
{
    if (h->v > 1 || h->prf_func > 0x7f || h->n_cs > MCGK_MIKEY_MAX_CS)
        return MCGK_ERR_INVALID_ARG;
    W(mcgk_writer_u8(w, MCGK_MIKEY_VERSION));
    W(mcgk_writer_u8(w, h->data_type));
    W(mcgk_writer_u8(w, next));
    W(mcgk_writer_u8(w, (uint8_t)((h->v << 7) | h->prf_func)));
    W(mcgk_writer_u32(w, h->csb_id));
    W(mcgk_writer_u8(w, h->n_cs));
    W(mcgk_writer_u8(w, h->map_type));
    switch (h->map_type) {
    case MCGK_MIKEY_MAP_SRTP_ID:
        for (size_t i = 0; i < h->n_cs; i++) {
            W(mcgk_writer_u8(w, h->map.srtp[i].policy_no));
            W(mcgk_writer_u32(w, h->map.srtp[i].ssrc));
            W(mcgk_writer_u32(w, h->map.srtp[i].roc));
        }
        return MCGK_OK;
    case MCGK_MIKEY_MAP_EMPTY:
        return h->n_cs == 0 ? MCGK_OK : MCGK_ERR_INVALID_ARG;
    case MCGK_MIKEY_MAP_GENERIC_ID:
        for (size_t i = 0; i < h->n_cs; i++) {
            const mcgk_mikey_cs_generic *g = &h->map.generic[i];
            if (g->s > 1 || g->n_policies > 0x7f)
                return MCGK_ERR_INVALID_ARG;
            W(mcgk_writer_u8(w, g->cs_id));
            W(mcgk_writer_u8(w, g->prot_type));
            W(mcgk_writer_u8(w, (uint8_t)((g->s << 7) | g->n_policies)));
            W(mcgk_writer_bytes(w, g->policies, g->n_policies));
            W(mcgk_writer_u16(w, g->session_data_len));
            W(mcgk_writer_bytes(w, g->session_data, g->session_data_len));
            W(mcgk_writer_u8(w, g->spi_len));
            W(mcgk_writer_bytes(w, g->spi, g->spi_len));
        }
        return MCGK_OK;
    default:
        return MCGK_ERR_INVALID_ARG;
    }
}

/* data, or zeros when data is NULL (a MAC / signature placeholder) */
static mcgk_err put_or_zeros(mcgk_writer *w, const uint8_t *data, size_t n)
{
    return data == NULL ? mcgk_writer_zeros(w, n) : mcgk_writer_bytes(w, data, n);
}

static mcgk_err enc_sakke_body(mcgk_writer *w, const mcgk_mikey_sakke *s)
{
    W(mcgk_writer_u8(w, s->params));
    W(mcgk_writer_u8(w, s->id_scheme));
    W(mcgk_writer_u16(w, s->len));
    W(mcgk_writer_bytes(w, s->data, s->len));
    return MCGK_OK;
}

static mcgk_err enc_pp(mcgk_writer *w, const mcgk_mikey_protected_payload *kp)
{
    return mcgk_pp_write(w, kp); /* the shared envelope encoder */
}

static mcgk_err enc_genext(mcgk_writer *w, const mcgk_mikey_genext *g)
{
    W(mcgk_writer_u8(w, g->type));
    switch (g->form) {
    case MCGK_MIKEY_GENEXT_OPAQUE:
        if (g->type == MCGK_MIKEY_EXT_SAKKE_TO_SELF)
            return MCGK_ERR_INVALID_ARG; /* type 6 must be built from its SAKKE record */
        W(mcgk_writer_u16(w, g->len));
        W(mcgk_writer_bytes(w, g->data, g->len));
        return MCGK_OK;
    case MCGK_MIKEY_GENEXT_SAKKE_TO_SELF: /* TS 33.180 E.5 */
        if (g->type != MCGK_MIKEY_EXT_SAKKE_TO_SELF || (size_t)g->sakke.len + 5 > UINT16_MAX)
            return MCGK_ERR_INVALID_ARG;
        W(mcgk_writer_u16(w, (uint16_t)(g->sakke.len + 5)));
        W(mcgk_writer_u8(w, g->self_next));
        return enc_sakke_body(w, &g->sakke);
    case MCGK_MIKEY_GENEXT_KEY_PARAMS: /* TS 33.180 E.6 */
        if (g->type != MCGK_MIKEY_EXT_KEY_PARAMS ||
            (size_t)g->kp.payload_len + MCGK_MIKEY_PP_HEADER_LEN > UINT16_MAX)
            return MCGK_ERR_INVALID_ARG;
        W(mcgk_writer_u16(w, (uint16_t)(g->kp.payload_len + MCGK_MIKEY_PP_HEADER_LEN)));
        return enc_pp(w, &g->kp);
    default:
        return MCGK_ERR_INVALID_ARG;
    }
}

static mcgk_err enc_payload(mcgk_writer *w, const mcgk_mikey_payload *p, uint8_t next,
                            size_t *signed_len)
{
    if (p->type == MCGK_MIKEY_PT_SIGN) {
        const mcgk_mikey_sign *s = &p->u.sign;
        if (s->s_type > 0x0f || s->len > 0x0fff)
            return MCGK_ERR_INVALID_ARG;
        W(mcgk_writer_u16(w, (uint16_t)((s->s_type << 12) | s->len)));
        *signed_len = mcgk_writer_len(w);
        W(put_or_zeros(w, s->sig, s->len));
        return MCGK_OK;
    }
    if (check_payload_type(p->type) != MCGK_OK)
        return MCGK_ERR_INVALID_ARG;
    W(mcgk_writer_u8(w, next));
    switch (p->type) {
    case MCGK_MIKEY_PT_KEMAC: {
        const mcgk_mikey_kemac *k = &p->u.kemac;
        int ml = mac_len(k->mac_alg);
        if (ml < 0)
            return MCGK_ERR_INVALID_ARG;
        W(mcgk_writer_u8(w, k->encr_alg));
        W(mcgk_writer_u16(w, k->encr_len));
        W(mcgk_writer_bytes(w, k->encr_data, k->encr_len));
        W(mcgk_writer_u8(w, k->mac_alg));
        W(put_or_zeros(w, k->mac, (size_t)ml));
        return MCGK_OK;
    }
    case MCGK_MIKEY_PT_T: {
        size_t n = ts_len(p->u.t.ts_type);
        if (n == 0 || (n == 4 && p->u.t.value > UINT32_MAX))
            return MCGK_ERR_INVALID_ARG;
        W(mcgk_writer_u8(w, p->u.t.ts_type));
        W(mcgk_writer_uint(w, p->u.t.value, n));
        return MCGK_OK;
    }
    case MCGK_MIKEY_PT_ID:
        W(mcgk_writer_u8(w, p->u.idr.id_type));
        W(mcgk_writer_u16(w, p->u.idr.len));
        W(mcgk_writer_bytes(w, p->u.idr.data, p->u.idr.len));
        return MCGK_OK;
    case MCGK_MIKEY_PT_CERT:
        W(mcgk_writer_u8(w, p->u.cert.cert_type));
        W(mcgk_writer_u16(w, p->u.cert.len));
        W(mcgk_writer_bytes(w, p->u.cert.data, p->u.cert.len));
        return MCGK_OK;
    case MCGK_MIKEY_PT_V: {
        int ml = mac_len(p->u.v.auth_alg);
        if (ml < 0)
            return MCGK_ERR_INVALID_ARG;
        W(mcgk_writer_u8(w, p->u.v.auth_alg));
        W(put_or_zeros(w, p->u.v.ver_data, (size_t)ml));
        return MCGK_OK;
    }
    case MCGK_MIKEY_PT_SP: {
        const mcgk_mikey_sp *sp = &p->u.sp;
        size_t n;
        if ((sp->params == NULL && sp->params_len != 0) ||
            walk_sp_params(sp->params, sp->params_len, &n) != MCGK_OK)
            return MCGK_ERR_INVALID_ARG;
        W(mcgk_writer_u8(w, sp->policy_no));
        W(mcgk_writer_u8(w, sp->prot_type));
        W(mcgk_writer_u16(w, sp->params_len));
        W(mcgk_writer_bytes(w, sp->params, sp->params_len));
        return MCGK_OK;
    }
    case MCGK_MIKEY_PT_RAND:
        W(mcgk_writer_u8(w, p->u.rand.len));
        W(mcgk_writer_bytes(w, p->u.rand.data, p->u.rand.len));
        return MCGK_OK;
    case MCGK_MIKEY_PT_ERR:
        W(mcgk_writer_u8(w, p->u.err.err_no));
        W(mcgk_writer_u16(w, p->u.err.reserved));
        return MCGK_OK;
    case MCGK_MIKEY_PT_IDR:
        W(mcgk_writer_u8(w, p->u.idr.role));
        W(mcgk_writer_u8(w, p->u.idr.id_type));
        W(mcgk_writer_u16(w, p->u.idr.len));
        W(mcgk_writer_bytes(w, p->u.idr.data, p->u.idr.len));
        return MCGK_OK;
    case MCGK_MIKEY_PT_GENERAL_EXT:
        return enc_genext(w, &p->u.genext);
    case MCGK_MIKEY_PT_SAKKE:
        return enc_sakke_body(w, &p->u.sakke);
    default:
        return MCGK_ERR_INVALID_ARG;
    }
}

static mcgk_err encode_pass(const mcgk_mikey_msg *m, mcgk_writer *w, size_t *signed_len)
{
    if (m->n_payloads > MCGK_MIKEY_MAX_PAYLOADS)
        return MCGK_ERR_INVALID_ARG;
    *signed_len = 0;
    uint8_t first = m->n_payloads > 0 ? m->payloads[0].type : MCGK_MIKEY_PT_LAST;
    R(enc_hdr(w, &m->hdr, first));
    for (size_t i = 0; i < m->n_payloads; i++) {
        const mcgk_mikey_payload *p = &m->payloads[i];
        if (p->type == MCGK_MIKEY_PT_SIGN && i + 1 != m->n_payloads)
            return MCGK_ERR_INVALID_ARG; /* RFC 3830 §6.5: SIGN is last */
        uint8_t next = i + 1 < m->n_payloads ? m->payloads[i + 1].type : MCGK_MIKEY_PT_LAST;
        R(enc_payload(w, p, next, signed_len));
    }
    return MCGK_OK;
}

mcgk_err mcgk_mikey_encode(const mcgk_mikey_msg *m, uint8_t *out, size_t out_cap, size_t *out_len,
                           size_t *signed_len)
{
    if (m == NULL || out_len == NULL)
        return MCGK_ERR_INVALID_ARG;
    /* a size-only pass validates everything first, so nothing is written on an error */
    mcgk_writer w;
    size_t need, sl;
    mcgk_writer_init(&w, NULL, 0);
    R(encode_pass(m, &w, &sl));
    R(mcgk_writer_finish(&w, &need));
    if (need > MCGK_MIKEY_MAX_MSG_LEN)
        return MCGK_ERR_INVALID_ARG;
    *out_len = need;
    if (signed_len != NULL)
        *signed_len = sl;
    if (out == NULL)
        return MCGK_OK;
    if (out_cap < need)
        return MCGK_ERR_BUFFER_TOO_SMALL;
    mcgk_writer_init(&w, out, out_cap);
    R(encode_pass(m, &w, &sl));
    return mcgk_writer_finish(&w, &need);
}

/* ---- lookups -------------------------------------------------------------------- */

const mcgk_mikey_payload *mcgk_mikey_find(const mcgk_mikey_msg *m, uint8_t type, size_t *pos)
{
    if (m == NULL)
        return NULL;
    size_t n = m->n_payloads < MCGK_MIKEY_MAX_PAYLOADS ? m->n_payloads : MCGK_MIKEY_MAX_PAYLOADS;
    for (size_t i = pos != NULL ? *pos : 0; i < n; i++) {
        if (m->payloads[i].type == type) {
            if (pos != NULL)
                *pos = i + 1;
            return &m->payloads[i];
        }
    }
    return NULL;
}

const mcgk_mikey_idr *mcgk_mikey_find_idr(const mcgk_mikey_msg *m, uint8_t role)
{
    size_t pos = 0;
    const mcgk_mikey_payload *p;
    while ((p = mcgk_mikey_find(m, MCGK_MIKEY_PT_IDR, &pos)) != NULL)
        if (p->u.idr.role == role)
            return &p->u.idr;
    return NULL;
}

const mcgk_mikey_genext *mcgk_mikey_find_genext(const mcgk_mikey_msg *m, uint8_t ext_type)
{
    size_t pos = 0;
    const mcgk_mikey_payload *p;
    while ((p = mcgk_mikey_find(m, MCGK_MIKEY_PT_GENERAL_EXT, &pos)) != NULL)
        if (p->u.genext.type == ext_type)
            return &p->u.genext;
    return NULL;
}

mcgk_err mcgk_mikey_sp_param_next(const mcgk_mikey_sp *sp, size_t *cursor, mcgk_mikey_sp_param *out)
{
    if (sp == NULL || cursor == NULL || out == NULL || (sp->params == NULL && sp->params_len != 0))
        return MCGK_ERR_INVALID_ARG;
    if (*cursor >= sp->params_len)
        return MCGK_ERR_NOT_FOUND;
    mcgk_reader r;
    mcgk_reader_init(&r, sp->params, sp->params_len);
    mcgk_mikey_sp_param t;
    if (mcgk_reader_skip(&r, *cursor) != MCGK_OK || mcgk_reader_u8(&r, &t.type) != MCGK_OK ||
        mcgk_reader_u8(&r, &t.len) != MCGK_OK || mcgk_reader_bytes(&r, t.len, &t.value) != MCGK_OK)
        return MCGK_ERR_MALFORMED;
    *out = t;
    *cursor = mcgk_reader_offset(&r);
    return MCGK_OK;
}

mcgk_err mcgk_mikey_sp_param_find(const mcgk_mikey_sp *sp, uint8_t type, mcgk_mikey_sp_param *out)
{
    if (out == NULL)
        return MCGK_ERR_INVALID_ARG;
    size_t cursor = 0;
    mcgk_mikey_sp_param t;
    mcgk_err e;
    while ((e = mcgk_mikey_sp_param_next(sp, &cursor, &t)) == MCGK_OK) {
        if (t.type == type) {
            *out = t;
            return MCGK_OK;
        }
    }
    return e;
}

mcgk_err mcgk_mikey_sp_params_encode(const mcgk_mikey_sp_param *params, size_t n, uint8_t *out,
                                     size_t out_cap, size_t *out_len)
{
    if ((params == NULL && n != 0) || out_len == NULL)
        return MCGK_ERR_INVALID_ARG;
    /* size (and validate) first, so that nothing is written on an error */
    size_t need = 0;
    for (size_t i = 0; i < n; i++) {
        if (params[i].value == NULL && params[i].len != 0)
            return MCGK_ERR_INVALID_ARG;
        need += 2 + (size_t)params[i].len;
        if (need > UINT16_MAX)
            return MCGK_ERR_INVALID_ARG; /* the SP "Policy param length" is 16 bits */
    }
    *out_len = need;
    if (out == NULL)
        return MCGK_OK;
    if (out_cap < need)
        return MCGK_ERR_BUFFER_TOO_SMALL;
    mcgk_writer w;
    mcgk_writer_init(&w, out, out_cap);
    for (size_t i = 0; i < n; i++) {
        W(mcgk_writer_u8(&w, params[i].type));
        W(mcgk_writer_u8(&w, params[i].len));
        W(mcgk_writer_bytes(&w, params[i].value, params[i].len));
    }
    return mcgk_writer_finish(&w, out_len);
}

mcgk_err mcgk_mikey_pp_aad(const mcgk_mikey_protected_payload *kp,
                           uint8_t aad[MCGK_MIKEY_PP_AAD_LEN])
{
    return mcgk_pp_aad(kp, aad); /* ts33180.md §8.5.4: the first 32 octets */
}

/* ---- Key data sub-payloads (RFC 3830 §6.13, §6.14) ------------------------------- */

static int kd_has_salt(uint8_t type)
{
    return type == MCGK_MIKEY_KD_TGK_SALT || type == MCGK_MIKEY_KD_TEK_SALT;
}

mcgk_err mcgk_mikey_key_data_parse(const uint8_t *buf, size_t len, mcgk_mikey_key_data *out,
                                   size_t out_cap, size_t *n_out)
{
    if ((buf == NULL && len != 0) || out == NULL || n_out == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (len == 0)
        return MCGK_ERR_MALFORMED; /* a KEMAC carries at least one key */
    mcgk_mikey_key_data tmp[MCGK_MIKEY_MAX_KEY_DATA];
    size_t cap = out_cap < MCGK_MIKEY_MAX_KEY_DATA ? out_cap : MCGK_MIKEY_MAX_KEY_DATA;
    size_t n = 0;
    mcgk_reader r;
    mcgk_reader_init(&r, buf, len);
    uint8_t next = MCGK_MIKEY_PT_KEY_DATA;
    while (next == MCGK_MIKEY_PT_KEY_DATA) {
        if (n == cap)
            return MCGK_ERR_OVERSIZED;
        mcgk_mikey_key_data *k = &tmp[n];
        memset(k, 0, sizeof *k);
        uint8_t tkv;
        R(mcgk_reader_u8(&r, &next));
        if (next != MCGK_MIKEY_PT_KEY_DATA && next != MCGK_MIKEY_PT_LAST)
            return MCGK_ERR_MIKEY_PAYLOAD_TYPE;
        R(mcgk_reader_u8(&r, &tkv));
        k->type = (uint8_t)(tkv >> 4);
        k->kv = (uint8_t)(tkv & 0x0f);
        if (k->type > MCGK_MIKEY_KD_TEK_SALT || k->kv > MCGK_MIKEY_KV_INTERVAL)
            return MCGK_ERR_UNSUPPORTED;
        R(mcgk_reader_u16(&r, &k->key_len));
        R(mcgk_reader_bytes(&r, k->key_len, &k->key));
        if (kd_has_salt(k->type)) {
            R(mcgk_reader_u16(&r, &k->salt_len));
            R(mcgk_reader_bytes(&r, k->salt_len, &k->salt));
        }
        if (k->kv == MCGK_MIKEY_KV_SPI) {
            R(mcgk_reader_u8(&r, &k->spi_len));
            R(mcgk_reader_bytes(&r, k->spi_len, &k->spi));
        } else if (k->kv == MCGK_MIKEY_KV_INTERVAL) {
            R(mcgk_reader_u8(&r, &k->vf_len));
            R(mcgk_reader_bytes(&r, k->vf_len, &k->vf));
            R(mcgk_reader_u8(&r, &k->vt_len));
            R(mcgk_reader_bytes(&r, k->vt_len, &k->vt));
        }
        n++;
    }
    R(mcgk_reader_expect_end(&r));
    memcpy(out, tmp, n * sizeof tmp[0]);
    *n_out = n;
    return MCGK_OK;
}

static mcgk_err enc_key_data(mcgk_writer *w, const mcgk_mikey_key_data *kd, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const mcgk_mikey_key_data *k = &kd[i];
        if (k->type > MCGK_MIKEY_KD_TEK_SALT || k->kv > MCGK_MIKEY_KV_INTERVAL)
            return MCGK_ERR_INVALID_ARG;
        W(mcgk_writer_u8(w, i + 1 < n ? MCGK_MIKEY_PT_KEY_DATA : MCGK_MIKEY_PT_LAST));
        W(mcgk_writer_u8(w, (uint8_t)((k->type << 4) | k->kv)));
        W(mcgk_writer_u16(w, k->key_len));
        W(mcgk_writer_bytes(w, k->key, k->key_len));
        if (kd_has_salt(k->type)) {
            W(mcgk_writer_u16(w, k->salt_len));
            W(mcgk_writer_bytes(w, k->salt, k->salt_len));
        }
        if (k->kv == MCGK_MIKEY_KV_SPI) {
            W(mcgk_writer_u8(w, k->spi_len));
            W(mcgk_writer_bytes(w, k->spi, k->spi_len));
        } else if (k->kv == MCGK_MIKEY_KV_INTERVAL) {
            W(mcgk_writer_u8(w, k->vf_len));
            W(mcgk_writer_bytes(w, k->vf, k->vf_len));
            W(mcgk_writer_u8(w, k->vt_len));
            W(mcgk_writer_bytes(w, k->vt, k->vt_len));
        }
    }
    return MCGK_OK;
}

mcgk_err mcgk_mikey_key_data_encode(const mcgk_mikey_key_data *kd, size_t n, uint8_t *out,
                                    size_t out_cap, size_t *out_len)
{
    if (kd == NULL || n == 0 || n > MCGK_MIKEY_MAX_KEY_DATA || out_len == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_writer w;
    size_t need;
    mcgk_writer_init(&w, NULL, 0);
    R(enc_key_data(&w, kd, n));
    R(mcgk_writer_finish(&w, &need));
    *out_len = need;
    if (out == NULL)
        return MCGK_OK;
    if (out_cap < need)
        return MCGK_ERR_BUFFER_TOO_SMALL;
    mcgk_writer_init(&w, out, out_cap);
    R(enc_key_data(&w, kd, n));
    return mcgk_writer_finish(&w, &need);
}
