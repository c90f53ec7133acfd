/*
 * The initiator's side of the ProSe GSK message: a MIKEY pre-shared-key
 * I_MESSAGE (RFC 3830 §3.1) carrying a GSK under the GMK named by its key
 * identifier, optionally ECCSI-signed (seed 002 steps 2, R-002-09 ..
 * R-002-16, R-002-20 .. R-002-25; mikey.md §14). Contract and layout: see
 * mcgk/gsk_message.h.
 *
 * Secrets: the GMK (read from the caller), the GSK (drawn or given; copied to
 * the caller's mcgk_gsk_sealed), the transport keys, the AES-CM IV and the
 * cleartext Key data - all in the local state, wiped before returning; the
 * SSK and the ECCSI ephemeral inside mcgk_eccsi_sign. The message and
 * everything in the local mcgk_mikey_msg are public.
 */
#include <string.h>

#include "gmk_internal.h"
#include "mcgk/gsk_message.h"
#include "mcgk/reader.h"

/* One Key data sub-payload: next (1) | type, KV (1) | key length (2) | the GSK */
#define KEY_DATA_LEN (4 + MCGK_KEY_LEN)
/* SIGN: S type and length (2) | ECCSI signature */
#define SIGN_LEN (2 + MCGK_ECCSI_SIG_LEN)

typedef struct build_state {
    mcgk_mikey_msg m;
    uint8_t key_id[MCGK_GSK_KEY_ID_LEN];
    uint32_t csb_id;
    uint8_t rand[MCGK_GSK_RAND_LEN];
    uint64_t t_value;
    uint8_t gsk[MCGK_KEY_LEN];     /* secret */
    uint8_t kd[KEY_DATA_LEN];      /* secret: the cleartext Key data */
    uint8_t enc[KEY_DATA_LEN];     /* the encrypted Key data */
    uint8_t iv[MCGK_MIKEY_AES_CM_IV_LEN]; /* secret (salt-derived) */
    mcgk_mikey_psk_keys keys;      /* secret */
    uint8_t uid[MCGK_UID_LEN];
} build_state;

void mcgk_gsk_sealed_clear(mcgk_gsk_sealed *s)
{
    if (s != NULL)
        mcgk_wipe(s, sizeof *s);
}

/* mikey.md §14: the records of the message, KEMAC MAC and SIGN left to fill */
static void fill_msg(const mcgk_gsk_build_cfg *cfg, size_t uri_len, build_state *st)
{
    mcgk_mikey_msg *m = &st->m;
    memset(&m->hdr, 0, sizeof m->hdr);
    m->n_payloads = 0;
    m->hdr.data_type = MCGK_MIKEY_DT_PSK_INIT;    /* RFC 3830 §3.1; R-002-12 */
    m->hdr.v = 0;                                 /* no verification message (R-002-19/20) */
    m->hdr.prf_func = MCGK_MIKEY_PRF_HMAC_SHA256; /* RFC 6043 §6.1, as for GMK messages */
    m->hdr.csb_id = st->csb_id;                   /* fresh: an input of every derived key */
    m->hdr.n_cs = 0;                              /* #CS = 0: the default profile applies */
    m->hdr.map_type = MCGK_MIKEY_MAP_EMPTY;

    mcgk_mikey_payload *p = &m->payloads[m->n_payloads++];
    p->type = MCGK_MIKEY_PT_T; /* RFC 3830 §6.6: NTP-UTC */
    p->u.t.ts_type = MCGK_MIKEY_TS_NTP_UTC;
    p->u.t.value = st->t_value;

    p = &m->payloads[m->n_payloads++];
    p->type = MCGK_MIKEY_PT_RAND; /* RFC 3830 §6.11 */
    p->u.rand.len = MCGK_GSK_RAND_LEN;
    p->u.rand.data = st->rand;

    /* R-002-14: the key identifier that names the GMK (mikey.md §14 design: IDRpsk) */
    gmk_add_idr(m, MCGK_MIKEY_ROLE_IDRPSK, MCGK_MIKEY_IDTYPE_BYTES, st->key_id, sizeof st->key_id);
    if (uri_len != 0)
        gmk_add_idr(m, MCGK_MIKEY_ROLE_IDRI, MCGK_MIKEY_IDTYPE_URI, cfg->initiator_uri, uri_len);
    if (cfg->signer != NULL)
        gmk_add_idr(m, MCGK_MIKEY_ROLE_IDRKMSI, MCGK_MIKEY_IDTYPE_URI, cfg->signer_kms->kms_uri,
                    strlen(cfg->signer_kms->kms_uri));
    if (cfg->sp != NULL) {
        p = &m->payloads[m->n_payloads++];
        p->type = MCGK_MIKEY_PT_SP; /* RFC 3830 §6.10, as the caller gives it */
        p->u.sp = *cfg->sp;
    }

    /* RFC 3830 §6.2: the KEMAC last before SIGN, so the MAC covers every other payload */
    p = &m->payloads[m->n_payloads++];
    p->type = MCGK_MIKEY_PT_KEMAC;
    p->u.kemac.encr_alg = MCGK_MIKEY_ENCR_AES_CM_128;
    p->u.kemac.encr_len = KEY_DATA_LEN;
    p->u.kemac.encr_data = st->enc;
    p->u.kemac.mac_alg = MCGK_MIKEY_MAC_HMAC_SHA1_160;
    p->u.kemac.mac = NULL; /* written after encoding */

    if (cfg->signer != NULL) {
        p = &m->payloads[m->n_payloads++];
        p->type = MCGK_MIKEY_PT_SIGN; /* RFC 6509 §4.3; R-002-15/22 */
        p->u.sign.s_type = MCGK_MIKEY_SIGN_ECCSI;
        p->u.sign.len = MCGK_ECCSI_SIG_LEN;
        p->u.sign.sig = NULL; /* written after the MAC */
    }
}

static mcgk_err build(const mcgk_gsk_build_cfg *cfg, const mcgk_rng *rng, uint8_t *out,
                      size_t out_cap, size_t *out_len, mcgk_gsk_sealed *sealed,
                      build_state *st)
{
    size_t uri_len = 0;
    if (cfg->initiator_uri != NULL && (uri_len = gmk_uri_len(cfg->initiator_uri)) == 0)
        return MCGK_ERR_INVALID_ARG;
    if (cfg->gmk == NULL ||
        (cfg->signer != NULL && (uri_len == 0 || !gmk_kms_usable(cfg->signer_kms, 1))))
        return MCGK_ERR_INVALID_ARG;
    if (MCGK_MIKEY_PURPOSE_OF(cfg->gmk_id) != MCGK_PURPOSE_GMK)
        return MCGK_ERR_KEY_PURPOSE; /* the PSK of a GSK message is a GMK (R-002-13) */

    mcgk_writer w;
    size_t n;
    mcgk_writer_init(&w, st->key_id, sizeof st->key_id);
    (void)mcgk_writer_u32(&w, cfg->gmk_id);
    (void)mcgk_writer_finish(&w, &n);
    st->t_value = ((cfg->ts_ntp_s & 0xFFFFFFFFu) << 32) | cfg->ts_frac; /* NTP-UTC, 64 bits */

    /* the length first: it depends on the configuration only */
    size_t need, signed_len;
    fill_msg(cfg, uri_len, st);
    mcgk_err e = mcgk_mikey_encode(&st->m, NULL, 0, &need, &signed_len);
    if (e != MCGK_OK)
        return e;
    *out_len = need;
    if (out == NULL)
        return MCGK_OK;
    if (out_cap < need)
        return MCGK_ERR_BUFFER_TOO_SMALL;

    /* E.1.1 style: the initiator signs with the UID of its URI for the key period of T */
    if (cfg->signer != NULL) {
        e = gmk_signer_uid(cfg->signer_kms, cfg->initiator_uri, uri_len, cfg->ts_ntp_s,
                           cfg->signer, st->uid);
        if (e != MCGK_OK)
            return e;
    }

    /* fresh CSB ID and RAND, and the GSK unless given (R-002-09: UE 1 generates it), in
       one draw: CSB ID || RAND [|| GSK] */
    uint8_t draw[4 + MCGK_GSK_RAND_LEN + MCGK_KEY_LEN];
    size_t draw_len = sizeof draw - (cfg->gsk != NULL ? MCGK_KEY_LEN : 0);
    e = mcgk_rng_bytes(rng, draw, draw_len);
    if (e == MCGK_OK) {
        st->csb_id = ((uint32_t)draw[0] << 24) | ((uint32_t)draw[1] << 16) |
                     ((uint32_t)draw[2] << 8) | draw[3];
        memcpy(st->rand, draw + 4, MCGK_GSK_RAND_LEN);
        memcpy(st->gsk, cfg->gsk != NULL ? cfg->gsk : draw + 4 + MCGK_GSK_RAND_LEN,
               MCGK_KEY_LEN);
    }
    mcgk_wipe(draw, sizeof draw);
    if (e != MCGK_OK)
        return e;

    /* R-002-13/21: the GSK encapsulated with the GMK - transport keys from the GMK
       (RFC 3830 §4.1.4), one TGK Key data sub-payload (§6.13) under AES-CM (§4.2.3) */
    e = mcgk_mikey_psk_keys_derive(cfg->gmk, MCGK_KEY_LEN, st->csb_id, st->rand,
                                   sizeof st->rand, &st->keys);
    if (e != MCGK_OK)
        return e;
    mcgk_mikey_key_data kd;
    memset(&kd, 0, sizeof kd);
    kd.type = MCGK_MIKEY_KD_TGK;
    kd.kv = MCGK_MIKEY_KV_NULL;
    kd.key_len = MCGK_KEY_LEN;
    kd.key = st->gsk;
    e = mcgk_mikey_key_data_encode(&kd, 1, st->kd, sizeof st->kd, &n);
    if (e != MCGK_OK)
        return e;
    mcgk_mikey_aes_cm_iv(st->keys.salt, st->csb_id, st->t_value, st->iv);
    e = mcgk_mikey_aes_cm(st->keys.encr, st->iv, st->kd, sizeof st->kd, st->enc);
    if (e != MCGK_OK)
        return e;

    fill_msg(cfg, uri_len, st);
    e = mcgk_mikey_encode(&st->m, out, out_cap, &need, &signed_len);
    if (e != MCGK_OK)
        return e;
    /* RFC 3830 §6.2: the MAC covers every octet before it. The KEMAC is the last
       payload before the optional SIGN, so its MAC ends the message or the SIGN follows. */
    size_t mac_at = need - MCGK_MIKEY_MAC_HMAC_SHA1_160_LEN - (cfg->signer != NULL ? SIGN_LEN : 0);
    e = mcgk_mikey_kemac_mac(st->keys.auth, out, mac_at, out + mac_at);
    if (e != MCGK_OK)
        return e;
    /* RFC 6509 §4.3 / eccsi.md §8: the signature covers everything before it - the SIGN
       header and the KEMAC MAC included (R-002-15, R-002-22) */
    if (cfg->signer != NULL) {
        e = mcgk_eccsi_sign(cfg->signer, out, signed_len, rng, out + signed_len);
        if (e != MCGK_OK)
            return e;
    }
    memcpy(sealed->gsk, st->gsk, MCGK_KEY_LEN);
    sealed->csb_id = st->csb_id;
    memcpy(sealed->rand, st->rand, sizeof sealed->rand);
    sealed->ts_ntp64 = st->t_value;
    return MCGK_OK;
}

mcgk_err mcgk_gsk_build(const mcgk_gsk_build_cfg *cfg, const mcgk_rng *rng, uint8_t *out,
                        size_t out_cap, size_t *out_len, mcgk_gsk_sealed *sealed)
{
    if (cfg == NULL || out_len == NULL || (out != NULL && (rng == NULL || sealed == NULL)))
        return MCGK_ERR_INVALID_ARG;
    build_state st;
    memset(&st, 0, sizeof st);
    mcgk_err e = build(cfg, rng, out, out_cap, out_len, sealed, &st);
    if (e != MCGK_OK && e != MCGK_ERR_BUFFER_TOO_SMALL && out != NULL)
        mcgk_wipe(out, out_cap);
    mcgk_wipe(st.gsk, sizeof st.gsk);
    mcgk_wipe(st.kd, sizeof st.kd);
    mcgk_wipe(st.iv, sizeof st.iv);
    mcgk_mikey_psk_keys_clear(&st.keys);
    return e;
}
