/*
 * GMS side of the GMK I_MESSAGE: one build context per GMK, one message per
 * member (TS 33.180 §5.2.1-§5.2.6, Annex E.2 / E.5 / E.6 / E.7; RFC 6509;
 * ts33180.md, mikey.md §13). Contract: see mcgk/gmk_message.h.
 *
 * Message layout written (E.2 table, Streamwide's order):
 *   HDR (data type 26, PRF 1, CSB ID = GUK-ID, empty or GENERIC-ID map),
 *   T (NTP-UTC), RAND, IDRi | IDRuidi, IDRr | IDRuidr, IDRkmsi, IDRkmsr,
 *   [SP], SAKKE, [GEN EXT 6 SAKKE-to-self], [GEN EXT 7 key parameters], SIGN.
 *
 * Secrets: the GMK (copied into the context, wiped by _clear and on a failed
 * init), the key-parameters content (confidential, in the context), the
 * DPCK and the ECCSI ephemeral (inside mcgk_key_params_envelope_seal and
 * mcgk_eccsi_sign, wiped there), the SSV (= GMK) inside the SAKKE calls.
 * Per-member stack buffers hold only public values (the encapsulation,
 * the sealed envelope, the signature). Identities, IDs, the message are public.
 */
#include <string.h>

#include "gmk_internal.h"
#include "mcgk/gmk_message.h"
#include "mcgk/reader.h"

/*
 * The default SRTP profile for a GMK: TS 33.179 Table E.2-1 (ts33180.md §7,
 * "Default SRTP profile"), written in full (Streamwide omits type 13).
 */
static const uint8_t k_sp_types[] = {0, 1, 2, 4, 5, 6, 13, 18, 19, 20};
static const uint8_t k_sp_values[] = {6, 16, 4, 12, 0, 0, 1, 4, 0, 16};
static const uint8_t k_policy_no = MCGK_GMK_POLICY_NO;

mcgk_err mcgk_gmk_generate(const mcgk_rng *rng, unsigned purpose, uint8_t key[MCGK_KEY_LEN],
                           uint32_t *key_id, uint8_t rand[MCGK_GMK_RAND_LEN])
{
    if (purpose > 15)
        return MCGK_ERR_INVALID_ARG;
    uint8_t buf[MCGK_KEY_LEN + 4 + MCGK_GMK_RAND_LEN];
    mcgk_err e = mcgk_rng_bytes(rng, buf, sizeof buf);
    if (e == MCGK_OK) {
        mcgk_reader r;
        uint32_t bits = 0;
        mcgk_reader_init(&r, buf, sizeof buf);
        if (key != NULL)
            (void)mcgk_reader_copy(&r, key, MCGK_KEY_LEN);
        else
            (void)mcgk_reader_skip(&r, MCGK_KEY_LEN);
        (void)mcgk_reader_u32(&r, &bits);
        /* ts33180.md §0: purpose tag in the 4 MSBs, 28 random bits */
        if (key_id != NULL)
            *key_id = ((uint32_t)purpose << 28) | (bits & 0x0FFFFFFFu);
        if (rand != NULL)
            (void)mcgk_reader_copy(&r, rand, MCGK_GMK_RAND_LEN);
    }
    mcgk_wipe(buf, sizeof buf);
    return e;
}

void mcgk_gmk_ctx_clear(mcgk_gmk_ctx *ctx)
{
    if (ctx != NULL)
        mcgk_wipe(ctx, sizeof *ctx);
}

static mcgk_err ctx_fill(mcgk_gmk_ctx *ctx, const mcgk_gmk_build_cfg *cfg)
{
    size_t gms_len = gmk_uri_len(cfg->gms_uri);
    if (cfg->key == NULL || cfg->rand == NULL || cfg->rand_len < MCGK_GMK_RAND_LEN ||
        cfg->rand_len > sizeof ctx->rand || gms_len == 0 || !gmk_kms_usable(cfg->gms_kms, 1) ||
        cfg->signer == NULL ||
        (cfg->map != MCGK_GMK_MAP_EMPTY && cfg->map != MCGK_GMK_MAP_GENERIC) ||
        (cfg->sakke_to_self && cfg->gms_kms->community == NULL))
        return MCGK_ERR_INVALID_ARG;
    unsigned purpose = MCGK_MIKEY_PURPOSE_OF(cfg->key_id);
    if (cfg->params != NULL && cfg->params->key_type != purpose)
        return MCGK_ERR_KEY_PURPOSE; /* E.6.11: Key Type names the key carried */

    memcpy(ctx->key, cfg->key, MCGK_KEY_LEN);
    ctx->key_id = cfg->key_id;
    memcpy(ctx->rand, cfg->rand, cfg->rand_len);
    ctx->rand_len = cfg->rand_len;
    ctx->ts_ntp_s = cfg->ts_ntp_s;
    ctx->ts_frac = cfg->ts_frac;
    ctx->gms_uri = cfg->gms_uri;
    ctx->gms_uri_len = gms_len;
    ctx->gms_kms = cfg->gms_kms;
    ctx->signer = cfg->signer;
    ctx->sakke_to_self = cfg->sakke_to_self != 0;
    ctx->hide_initiator = cfg->hide_initiator != 0;
    ctx->hide_responder = cfg->hide_responder != 0;
    ctx->map = cfg->map;
    ctx->cs_id = cfg->cs_id;

    /* E.1.1: the GMS signs with the UID of its URI for the key period of the message time;
       the signer's cached HS binds its key set to that UID (RFC 6507 §5.1.1 step 3) */
    mcgk_err e = gmk_signer_uid(cfg->gms_kms, cfg->gms_uri, gms_len, cfg->ts_ntp_s, cfg->signer,
                                ctx->gms_uid);
    if (e != MCGK_OK)
        return e;

    if (cfg->params != NULL) {
        e = mcgk_key_params_encode(cfg->params, ctx->kp_content, sizeof ctx->kp_content,
                                   &ctx->kp_content_len);
        if (e != MCGK_OK)
            return e;
        ctx->has_params = 1;
    }
    if (ctx->sakke_to_self) {
        /* E.5: the same GMK encapsulated to the GMS's own UID, once for every member */
        e = mcgk_sakke_encapsulate(cfg->gms_kms->community, ctx->gms_uid, MCGK_UID_LEN, ctx->key,
                                   ctx->self_encap);
        if (e != MCGK_OK)
            return e;
    }
    if (ctx->map == MCGK_GMK_MAP_GENERIC) {
        mcgk_mikey_sp_param p[sizeof k_sp_types];
        for (size_t i = 0; i < sizeof k_sp_types; i++) {
            p[i].type = k_sp_types[i];
            p[i].len = 1;
            p[i].value = &k_sp_values[i];
        }
        e = mcgk_mikey_sp_params_encode(p, sizeof k_sp_types, ctx->sp_params,
                                        sizeof ctx->sp_params, &ctx->sp_params_len);
        if (e != MCGK_OK)
            return e;
    }
    ctx->ready = 1;
    return MCGK_OK;
}

mcgk_err mcgk_gmk_ctx_init(mcgk_gmk_ctx *ctx, const mcgk_gmk_build_cfg *cfg)
{
    if (ctx == NULL || cfg == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_gmk_ctx_clear(ctx);
    mcgk_err e = ctx_fill(ctx, cfg);
    if (e != MCGK_OK)
        mcgk_gmk_ctx_clear(ctx);
    return e;
}

/* ---- one member -------------------------------------------------------------------------- */

/* Per-member values that the message records point at. */
typedef struct member_vals {
    const char *uri;
    size_t uri_len;
    const mcgk_gmk_kms *kms;
    uint8_t uid[MCGK_UID_LEN];
    uint32_t guk_id;
    uint8_t spi[8];
    uint8_t encap[MCGK_SAKKE_ENCAP_LEN];
    uint8_t env[MCGK_KP_ENVELOPE_MAX_LEN];
    size_t env_len;
} member_vals;

/* TS 33.180 Annex E.2: the records of one member's message (SIGN left to fill) */
static void fill_msg(const mcgk_gmk_ctx *ctx, const member_vals *v, mcgk_mikey_msg *m)
{
    memset(&m->hdr, 0, sizeof m->hdr);
    m->n_payloads = 0;
    m->hdr.data_type = MCGK_MIKEY_DT_SAKKE;           /* E.1.2 */
    m->hdr.v = 0;                                     /* no verification message */
    m->hdr.prf_func = MCGK_MIKEY_PRF_HMAC_SHA256;     /* E.1.2 */
    m->hdr.csb_id = v->guk_id;                        /* §5.2.3: CSB ID = GUK-ID */
    if (ctx->map == MCGK_GMK_MAP_GENERIC) {
        mcgk_mikey_cs_generic *g = &m->hdr.map.generic[0];
        m->hdr.n_cs = 1;
        m->hdr.map_type = MCGK_MIKEY_MAP_GENERIC_ID;
        g->cs_id = ctx->cs_id;
        g->prot_type = MCGK_MIKEY_PROT_SRTP;
        g->s = 0;
        g->n_policies = 1;
        g->policies = &k_policy_no;
        g->session_data_len = 0;
        g->session_data = NULL;
        g->spi_len = sizeof v->spi; /* SPI = MKI = GMK-ID || GUK-ID (UNCONFIRMED, Streamwide) */
        g->spi = v->spi;
    } else {
        m->hdr.n_cs = 0; /* #CS = 0: the default profile applies (E.3.1) */
        m->hdr.map_type = MCGK_MIKEY_MAP_EMPTY;
    }

    mcgk_mikey_payload *p = &m->payloads[m->n_payloads++];
    p->type = MCGK_MIKEY_PT_T; /* RFC 3830 §6.6, NTP-UTC */
    p->u.t.ts_type = MCGK_MIKEY_TS_NTP_UTC;
    p->u.t.value = ((ctx->ts_ntp_s & 0xFFFFFFFFu) << 32) | ctx->ts_frac;

    p = &m->payloads[m->n_payloads++];
    p->type = MCGK_MIKEY_PT_RAND; /* §7.4.2: the same RAND for every member */
    p->u.rand.len = (uint8_t)ctx->rand_len;
    p->u.rand.data = ctx->rand;

    /* E.2 rows 4-7; E.7 replaces the URIs by UIDs */
    if (ctx->hide_initiator)
        gmk_add_idr(m, MCGK_MIKEY_ROLE_IDRUIDI, MCGK_MIKEY_UID_ID_TYPE, ctx->gms_uid, MCGK_UID_LEN);
    else
        gmk_add_idr(m, MCGK_MIKEY_ROLE_IDRI, MCGK_MIKEY_IDTYPE_URI, ctx->gms_uri, ctx->gms_uri_len);
    if (ctx->hide_responder)
        gmk_add_idr(m, MCGK_MIKEY_ROLE_IDRUIDR, MCGK_MIKEY_UID_ID_TYPE, v->uid, MCGK_UID_LEN);
    else
        gmk_add_idr(m, MCGK_MIKEY_ROLE_IDRR, MCGK_MIKEY_IDTYPE_URI, v->uri, v->uri_len);
    gmk_add_idr(m, MCGK_MIKEY_ROLE_IDRKMSI, MCGK_MIKEY_IDTYPE_URI, ctx->gms_kms->kms_uri,
            strlen(ctx->gms_kms->kms_uri));
    gmk_add_idr(m, MCGK_MIKEY_ROLE_IDRKMSR, MCGK_MIKEY_IDTYPE_URI, v->kms->kms_uri,
            strlen(v->kms->kms_uri));

    if (ctx->map == MCGK_GMK_MAP_GENERIC) {
        p = &m->payloads[m->n_payloads++];
        p->type = MCGK_MIKEY_PT_SP; /* E.2 row 8: the policy the map refers to */
        p->u.sp.policy_no = MCGK_GMK_POLICY_NO;
        p->u.sp.prot_type = MCGK_MIKEY_PROT_SRTP;
        p->u.sp.params_len = (uint16_t)ctx->sp_params_len;
        p->u.sp.params = ctx->sp_params;
    }

    p = &m->payloads[m->n_payloads++];
    p->type = MCGK_MIKEY_PT_SAKKE; /* RFC 6509 §4.2; E.2 row 9 */
    p->u.sakke.params = MCGK_MIKEY_SAKKE_PARAMS_SET1;
    p->u.sakke.id_scheme = MCGK_MIKEY_SAKKE_SCHEME_3GPP_UID;
    p->u.sakke.len = MCGK_SAKKE_ENCAP_LEN;
    p->u.sakke.data = v->encap;

    if (ctx->sakke_to_self) {
        p = &m->payloads[m->n_payloads++];
        p->type = MCGK_MIKEY_PT_GENERAL_EXT; /* E.5 */
        p->u.genext.type = MCGK_MIKEY_EXT_SAKKE_TO_SELF;
        p->u.genext.form = MCGK_MIKEY_GENEXT_SAKKE_TO_SELF;
        p->u.genext.self_next = MCGK_MIKEY_PT_LAST;
        p->u.genext.sakke.params = MCGK_MIKEY_SAKKE_PARAMS_SET1;
        p->u.genext.sakke.id_scheme = MCGK_MIKEY_SAKKE_SCHEME_3GPP_UID;
        p->u.genext.sakke.len = MCGK_SAKKE_ENCAP_LEN;
        p->u.genext.sakke.data = ctx->self_encap;
    }
    if (ctx->has_params) {
        p = &m->payloads[m->n_payloads++];
        p->type = MCGK_MIKEY_PT_GENERAL_EXT; /* E.6: the sealed envelope, written as is */
        p->u.genext.type = MCGK_MIKEY_EXT_KEY_PARAMS;
        p->u.genext.form = MCGK_MIKEY_GENEXT_OPAQUE;
        p->u.genext.len = (uint16_t)v->env_len;
        p->u.genext.data = v->env;
    }

    p = &m->payloads[m->n_payloads++];
    p->type = MCGK_MIKEY_PT_SIGN; /* RFC 6509 §4.3: ECCSI, 129 octets, filled after signing */
    p->u.sign.s_type = MCGK_MIKEY_SIGN_ECCSI;
    p->u.sign.len = MCGK_ECCSI_SIG_LEN;
    p->u.sign.sig = NULL;
}

static mcgk_err build(const mcgk_gmk_ctx *ctx, const mcgk_gmk_member *member,
                      const mcgk_rng *rng, uint8_t *out, size_t out_cap, size_t *out_len,
                      uint32_t *guk_id_out, member_vals *v, mcgk_mikey_msg *m)
{
    v->uri = member->uri;
    v->uri_len = gmk_uri_len(member->uri);
    v->kms = member->kms;
    if (v->uri_len == 0 || !gmk_kms_usable(member->kms, 0) ||
        (out != NULL && member->kms->community == NULL))
        return MCGK_ERR_INVALID_ARG;
    uint64_t period_no;
    mcgk_err e = gmk_period(member->kms, ctx->ts_ntp_s, &period_no);
    if (e != MCGK_OK)
        return e;
    v->env_len = ctx->has_params ? MCGK_KP_ENVELOPE_HEADER_LEN + ctx->kp_content_len +
                                       MCGK_KP_TAG_LEN
                                 : 0;
    /* the length first (it does not depend on the values): no crypto for a short buffer */
    size_t need, signed_len;
    fill_msg(ctx, v, m);
    e = mcgk_mikey_encode(m, NULL, 0, &need, &signed_len);
    if (e != MCGK_OK)
        return e;
    *out_len = need;
    if (out == NULL)
        return MCGK_OK;
    if (out_cap < need)
        return MCGK_ERR_BUFFER_TOO_SMALL;

    /* E.1.1: encrypted to the UID of the member's URI for the key period of the message
       time under the member's KMS (§5.2.1 step 2) */
    e = gmk_uid(v->uri, v->uri_len, v->kms, period_no, v->uid);
    if (e != MCGK_OK)
        return e;
    /* §5.2.3: end-point diversity for GMKs */
    v->guk_id = ctx->key_id;
    if (gmk_diversified(MCGK_MIKEY_PURPOSE_OF(ctx->key_id))) {
        e = mcgk_guk_id(ctx->key, MCGK_KEY_LEN, ctx->key_id, v->uri, v->uri_len, &v->guk_id);
        if (e != MCGK_OK)
            return e;
    }
    mcgk_writer spi;
    size_t spi_len;
    mcgk_writer_init(&spi, v->spi, sizeof v->spi);
    (void)mcgk_writer_u32(&spi, ctx->key_id);
    (void)mcgk_writer_u32(&spi, v->guk_id);
    (void)mcgk_writer_finish(&spi, &spi_len);
    /* §5.2.1 step 3: SAKKE (RFC 6508 §6.2.1) to the member's UID with its KMS's Z */
    e = mcgk_sakke_encapsulate(v->kms->community, v->uid, MCGK_UID_LEN, ctx->key, v->encap);
    if (e != MCGK_OK)
        return e;
    if (ctx->has_params) {
        /* §5.2.4 / E.6.1: sealed under DPCK = KDF(GMK, 0x53, CSB ID), a fresh IV each */
        uint8_t iv[MCGK_KP_IV_LEN];
        e = mcgk_rng_bytes(rng, iv, sizeof iv);
        if (e == MCGK_OK)
            e = mcgk_key_params_envelope_seal(ctx->key, v->guk_id, iv, ctx->kp_content,
                                              ctx->kp_content_len, v->env, sizeof v->env,
                                              &v->env_len);
        if (e != MCGK_OK)
            return e;
    }
    fill_msg(ctx, v, m);
    e = mcgk_mikey_encode(m, out, out_cap, &need, &signed_len);
    if (e != MCGK_OK)
        return e;
    /* RFC 6509 §4.3 / eccsi.md §8: the signature covers everything before it, the SIGN
       header included; the GMS signs with the UID of its URI (E.1.1) */
    e = mcgk_eccsi_sign(ctx->signer, out, signed_len, rng, out + signed_len);
    if (e != MCGK_OK)
        return e;
    if (guk_id_out != NULL)
        *guk_id_out = v->guk_id;
    return MCGK_OK;
}

mcgk_err mcgk_gmk_build_one(const mcgk_gmk_ctx *ctx, const mcgk_gmk_member *member,
                            const mcgk_rng *rng, uint8_t *out, size_t out_cap, size_t *out_len,
                            uint32_t *guk_id)
{
    if (ctx == NULL || !ctx->ready || member == NULL || out_len == NULL ||
        (out != NULL && rng == NULL))
        return MCGK_ERR_INVALID_ARG;
    member_vals v;
    mcgk_mikey_msg m;
    mcgk_err e = build(ctx, member, rng, out, out_cap, out_len, guk_id, &v, &m);
    if (e != MCGK_OK && e != MCGK_ERR_BUFFER_TOO_SMALL && out != NULL)
        mcgk_wipe(out, out_cap);
    return e;
}

mcgk_err mcgk_gmk_build_batch(const mcgk_gmk_ctx *ctx, const mcgk_gmk_member *members,
                              size_t n, const mcgk_rng *rng, mcgk_gmk_out *outs)
{
    if (ctx == NULL || !ctx->ready || (members == NULL && n != 0) || outs == NULL || rng == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_err first = MCGK_OK;
    /* the per-GMK work is in ctx, the per-KMS tables in each community: per member
       only its UID, GUK-ID, encapsulation, sealed parameters, encoding and signature */
    for (size_t i = 0; i < n; i++) {
        mcgk_gmk_out *o = &outs[i];
        o->len = 0;
        o->guk_id = 0;
        if (o->buf == NULL)
            o->err = MCGK_ERR_INVALID_ARG;
        else
            o->err = mcgk_gmk_build_one(ctx, &members[i], rng, o->buf, o->cap, &o->len,
                                        &o->guk_id);
        if (o->err != MCGK_OK && first == MCGK_OK)
            first = o->err;
    }
    return first;
}
