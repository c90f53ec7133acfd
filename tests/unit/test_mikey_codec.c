/*
 * Tests of the MIKEY codec (src/mikey/codec.c, sdp.c, names.c; mcgk/mikey.h).
 *
 * - The four Streamwide messages and the synthetic GMK message parse to
 *   exactly the fields decoded in the vector comments and re-encode octet
 *   for octet (tests/vectors/streamwide-mikey-sakke.txt,
 *   synthetic-gmk-imessage.txt).
 * - Robustness: every single-byte flip, every truncation and random
 *   appended data of every vector message is either rejected with a
 *   specific parse error or parses and re-encodes identically.
 * - Every error code the codec returns, on hand-built input.
 * - Hand-built messages for payloads the vectors do not have (KEMAC + Key
 *   data, V, ERR, ID, CERT, SP variants, SRTP-ID and empty maps, GENERIC-ID
 *   with session data, SAKKE-to-self), checked against literal octets.
 * - Transport unwrapping (binary, base64, SDP) and the builder flow.
 */
#include "test.h"

#include "mcgk/base64.h"
#include "mcgk/mikey.h"

static mcgk_vecfile *g_sw;  /* streamwide-mikey-sakke.txt */
static mcgk_vecfile *g_syn; /* synthetic-gmk-imessage.txt */

/* ---- helpers ------------------------------------------------------------------------ */

static uint8_t *unhex(const char *hex, size_t *len)
{
    return mcgk_test_unhex(hex, len);
}

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* p[0..len) equals the hex value `name` of `section` in vector file v */
static int eq_vec(mcgk_vecfile *v, const char *section, const char *name, const uint8_t *p,
                  size_t len)
{
    size_t n;
    uint8_t *want = mcgk_vec_hex(v, section, name, &n);
    int ok = n == len && (len == 0 || memcmp(want, p, len) == 0);
    free(want);
    return ok;
}

/* parse, then encode again and compare (also the size query and signed_len) */
static void check_round_trip(const uint8_t *msg, size_t len)
{
    mcgk_mikey_msg m;
    size_t n = 0, sl = 0, qn = 0, qsl = 0;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    CHECK(m.len == len);
    uint8_t *buf = malloc(len + 8);
    CHECK_OK(mcgk_mikey_encode(&m, NULL, 0, &qn, &qsl));
    CHECK_OK(mcgk_mikey_encode(&m, buf, len + 8, &n, &sl));
    CHECK(qn == len && n == len && qsl == sl && sl == m.signed_len);
    CHECK_MEM(buf, msg, len);
    free(buf);
}

/* encode a hand-built message into a malloc'ed buffer */
static uint8_t *build(const mcgk_mikey_msg *m, size_t *len)
{
    size_t n = 0;
    CHECK_OK(mcgk_mikey_encode(m, NULL, 0, &n, NULL));
    uint8_t *buf = malloc(n ? n : 1);
    CHECK_OK(mcgk_mikey_encode(m, buf, n, len, NULL));
    return buf;
}

static void init_msg(mcgk_mikey_msg *m, uint8_t data_type)
{
    memset(m, 0, sizeof *m);
    m->hdr.data_type = data_type;
    m->hdr.prf_func = MCGK_MIKEY_PRF_HMAC_SHA256;
    m->hdr.csb_id = 0x0abcdef1;
    m->hdr.map_type = MCGK_MIKEY_MAP_EMPTY;
}

static mcgk_mikey_payload *add(mcgk_mikey_msg *m, uint8_t type)
{
    mcgk_mikey_payload *p = &m->payloads[m->n_payloads++];
    memset(p, 0, sizeof *p);
    p->type = type;
    return p;
}

/* the parse errors a damaged message may legitimately produce */
static int is_parse_error(mcgk_err e)
{
    switch (e) {
    case MCGK_ERR_TRUNCATED:
    case MCGK_ERR_TRAILING_DATA:
    case MCGK_ERR_OVERSIZED:
    case MCGK_ERR_UNSUPPORTED:
    case MCGK_ERR_MALFORMED:
    case MCGK_ERR_MIKEY_VERSION:
    case MCGK_ERR_MIKEY_PAYLOAD_TYPE:
    case MCGK_ERR_MIKEY_CS_MAP:
        return 1;
    default:
        return 0;
    }
}

/* ---- the Streamwide messages ------------------------------------------------------------- */

static const struct sw_case {
    const char *section;
    const char *initiator, *responder; /* user sections: IDRuidi / IDRuidr data, signer PVT */
    uint8_t map_type, n_cs, cs_id;
    const char *spi_hex;               /* GENERIC-ID SPI */
    unsigned purpose;                  /* of the CSB ID */
    int legacy_params;                 /* type-7 data is the legacy cleartext form */
    uint16_t genext_len;
} k_sw[] = {
    {"imessage.1.GMK", "user.GMS", "user.Alice", MCGK_MIKEY_MAP_GENERIC_ID, 1, 4,
     "0df9bc3906a12aea", MCGK_MIKEY_PURPOSE_GMK, 0, 71},
    {"imessage.2.CSK", "user.Alice", "user.GMS", MCGK_MIKEY_MAP_GENERIC_ID, 1, 6, "2ddd5bf0",
     MCGK_MIKEY_PURPOSE_CSK, 0, 68},
    {"imessage.3.PCK", "user.Alice", "user.Bob", MCGK_MIKEY_MAP_EMPTY, 0, 0, NULL,
     MCGK_MIKEY_PURPOSE_PCK, 0, 68},
    {"imessage.4.GMK_LEGACY_IWF", "user.GMS", "user.IWF", MCGK_MIKEY_MAP_SRTP_ID, 2, 0, NULL,
     MCGK_MIKEY_PURPOSE_GMK, 1, 17},
};

/* the SRTP policy of all four Streamwide messages (TS 33.179 Table E.2-1 without type 13) */
static const uint8_t k_sw_sp[][2] = {{0, 0x06}, {1, 0x10}, {2, 0x04}, {4, 0x0c}, {5, 0x00},
                                     {6, 0x00}, {18, 0x04}, {19, 0x00}, {20, 0x10}};

static void check_sp(const mcgk_mikey_sp *sp, const uint8_t (*want)[2], size_t n)
{
    CHECK(sp->policy_no == 0 && sp->prot_type == MCGK_MIKEY_PROT_SRTP);
    CHECK(sp->n_params == n && sp->params_len == 3 * n);
    size_t cursor = 0;
    for (size_t i = 0; i < n; i++) {
        mcgk_mikey_sp_param prm;
        CHECK_OK(mcgk_mikey_sp_param_next(sp, &cursor, &prm));
        CHECK(prm.type == want[i][0] && prm.len == 1 && prm.value[0] == want[i][1]);
    }
    mcgk_mikey_sp_param prm;
    CHECK_ERR(mcgk_mikey_sp_param_next(sp, &cursor, &prm), MCGK_ERR_NOT_FOUND);
}

static void check_streamwide(const struct sw_case *c)
{
    size_t len, b64len;
    uint8_t *msg = mcgk_vec_hex(g_sw, c->section, "i_message", &len);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));

    /* the published base64 form is the same message */
    const char *b64 = mcgk_vec_str(g_sw, c->section, "i_message_base64");
    CHECK(b64 != NULL);
    uint8_t *bin = malloc(len);
    CHECK_OK(mcgk_base64_decode(b64, strlen(b64), 0, bin, len, &b64len));
    CHECK(b64len == len);
    CHECK_MEM(bin, msg, len);
    free(bin);

    /* HDR: version 1, data type 26, V 0, PRF 1, CSB ID, map */
    CHECK(m.hdr.data_type == MCGK_MIKEY_DT_SAKKE && m.hdr.v == 0);
    CHECK(m.hdr.prf_func == MCGK_MIKEY_PRF_HMAC_SHA256);
    size_t n;
    uint8_t *csb = mcgk_vec_hex(g_sw, c->section, "csb_id", &n);
    CHECK(n == 4 && m.hdr.csb_id == be32(csb));
    free(csb);
    CHECK(MCGK_MIKEY_PURPOSE_OF(m.hdr.csb_id) == c->purpose);
    CHECK(m.hdr.map_type == c->map_type && m.hdr.n_cs == c->n_cs);
    if (c->map_type == MCGK_MIKEY_MAP_GENERIC_ID) {
        const mcgk_mikey_cs_generic *g = &m.hdr.map.generic[0];
        uint8_t *spi = unhex(c->spi_hex, &n);
        CHECK(g->cs_id == c->cs_id && g->prot_type == MCGK_MIKEY_PROT_SRTP && g->s == 0);
        CHECK(g->n_policies == 1 && g->policies[0] == 0 && g->session_data_len == 0);
        CHECK(g->spi_len == n && memcmp(g->spi, spi, n) == 0);
        free(spi);
    } else if (c->map_type == MCGK_MIKEY_MAP_SRTP_ID) {
        /* map=['00cafebabe00000000', '000000000000000000'] */
        CHECK(m.hdr.map.srtp[0].policy_no == 0 && m.hdr.map.srtp[0].ssrc == 0xcafebabe);
        CHECK(m.hdr.map.srtp[0].roc == 0);
        CHECK(m.hdr.map.srtp[1].policy_no == 0 && m.hdr.map.srtp[1].ssrc == 0);
        CHECK(m.hdr.map.srtp[1].roc == 0);
    }
    CHECK(m.hdr_len == 10 + (c->map_type == MCGK_MIKEY_MAP_GENERIC_ID ? 7u + strlen(c->spi_hex) / 2
                             : c->map_type == MCGK_MIKEY_MAP_SRTP_ID ? 9u * c->n_cs : 0u));

    /* payload order: HDR, T, RAND, IDR x4, SP, SAKKE, GENEXT(7), SIGN */
    static const uint8_t order[] = {MCGK_MIKEY_PT_T,     MCGK_MIKEY_PT_RAND, MCGK_MIKEY_PT_IDR,
                                    MCGK_MIKEY_PT_IDR,   MCGK_MIKEY_PT_IDR,  MCGK_MIKEY_PT_IDR,
                                    MCGK_MIKEY_PT_SP,    MCGK_MIKEY_PT_SAKKE,
                                    MCGK_MIKEY_PT_GENERAL_EXT, MCGK_MIKEY_PT_SIGN};
    CHECK(m.n_payloads == sizeof order);
    for (size_t i = 0; i < sizeof order && i < m.n_payloads; i++)
        CHECK(m.payloads[i].type == order[i]);
    CHECK(m.payloads[0].offset == m.hdr_len);
    for (size_t i = 1; i < m.n_payloads; i++)
        CHECK(m.payloads[i].offset == m.payloads[i - 1].offset + m.payloads[i - 1].len);

    /* T: NTP-UTC ec898da800000000 */
    CHECK(m.payloads[0].u.t.ts_type == MCGK_MIKEY_TS_NTP_UTC);
    CHECK(m.payloads[0].u.t.value == 0xec898da800000000ull);
    /* RAND */
    CHECK(m.payloads[1].u.rand.len == 16);
    CHECK(eq_vec(g_sw, c->section, "stated_rand", m.payloads[1].u.rand.data, 16));
    /* IDR: roles 8, 9, 6, 7, all ID type 1 (URI) */
    const mcgk_mikey_idr *idr = &m.payloads[2].u.idr;
    CHECK(idr->role == MCGK_MIKEY_ROLE_IDRUIDI && idr->id_type == MCGK_MIKEY_IDTYPE_URI);
    CHECK(eq_vec(g_sw, c->initiator, "uid", idr->data, idr->len));
    idr = &m.payloads[3].u.idr;
    CHECK(idr->role == MCGK_MIKEY_ROLE_IDRUIDR && idr->id_type == MCGK_MIKEY_IDTYPE_URI);
    CHECK(eq_vec(g_sw, c->responder, "uid", idr->data, idr->len));
    idr = &m.payloads[4].u.idr;
    CHECK(idr->role == MCGK_MIKEY_ROLE_IDRKMSI && idr->id_type == MCGK_MIKEY_IDTYPE_URI);
    CHECK(eq_vec(g_sw, "kms", "kms_uri", idr->data, idr->len));
    idr = &m.payloads[5].u.idr;
    CHECK(idr->role == MCGK_MIKEY_ROLE_IDRKMSR && idr->len == 24);
    CHECK(eq_vec(g_sw, "kms", "kms_uri", idr->data, idr->len));
    CHECK(mcgk_mikey_find_idr(&m, MCGK_MIKEY_ROLE_IDRUIDR) == &m.payloads[3].u.idr);
    CHECK(mcgk_mikey_find_idr(&m, MCGK_MIKEY_ROLE_IDRI) == NULL);
    /* SP */
    check_sp(&m.payloads[6].u.sp, k_sw_sp, sizeof k_sw_sp / sizeof k_sw_sp[0]);
    /* SAKKE: parameter set 1, ID scheme 2, 273 octets R || H */
    const mcgk_mikey_sakke *sk = &m.payloads[7].u.sakke;
    CHECK(sk->params == MCGK_MIKEY_SAKKE_PARAMS_SET1);
    CHECK(sk->id_scheme == MCGK_MIKEY_SAKKE_SCHEME_3GPP_UID);
    CHECK(sk->len == MCGK_MIKEY_SAKKE_DATA_LEN_SET1 && sk->data[0] == 0x04);
    /* GENERAL EXTENSION type 7 */
    const mcgk_mikey_genext *g = &m.payloads[8].u.genext;
    CHECK(g->type == MCGK_MIKEY_EXT_KEY_PARAMS && g->len == c->genext_len);
    CHECK(mcgk_mikey_find_genext(&m, MCGK_MIKEY_EXT_KEY_PARAMS) == g);
    CHECK(mcgk_mikey_find_genext(&m, MCGK_MIKEY_EXT_SAKKE_TO_SELF) == NULL);
    if (c->legacy_params) {
        CHECK(g->form == MCGK_MIKEY_GENEXT_OPAQUE);
        CHECK(eq_vec(g_sw, c->section, "keyparams_legacy_cleartext", g->data, g->len));
    } else {
        uint8_t aad[MCGK_MIKEY_PP_AAD_LEN];
        CHECK(g->form == MCGK_MIKEY_GENEXT_KEY_PARAMS);
        CHECK(g->kp.message_type == MCGK_MIKEY_PP_MSG_TYPE && g->kp.date_time == 1);
        CHECK(g->kp.payload_id == 0 && g->kp.payload_seq == 0);
        CHECK(g->kp.algorithm == MCGK_MIKEY_PP_ALG_AES_128_GCM);
        CHECK(eq_vec(g_sw, c->section, "keyparams_iv", g->kp.iv, MCGK_MIKEY_PP_IV_LEN));
        CHECK(g->kp.dppk_id == m.hdr.csb_id && g->kp.payload_iei == 0);
        CHECK(eq_vec(g_sw, c->section, "keyparams_ciphertext_and_tag", g->kp.payload,
                     g->kp.payload_len));
        CHECK_OK(mcgk_mikey_pp_aad(&g->kp, aad));
        CHECK(eq_vec(g_sw, c->section, "keyparams_aad", aad, sizeof aad));
        CHECK(memcmp(aad, g->data, sizeof aad) == 0);
    }
    /* SIGN: ECCSI, 129 octets, last; signed octets include its 2-octet header */
    const mcgk_mikey_sign *s = &m.payloads[9].u.sign;
    CHECK(s->s_type == MCGK_MIKEY_SIGN_ECCSI && s->len == MCGK_MIKEY_SIGN_ECCSI_LEN);
    CHECK(m.signed_len == mcgk_vec_u64(g_sw, c->section, "signed_octets_length"));
    CHECK(m.signed_len + 129 == len && s->sig == msg + m.signed_len);
    CHECK(msg[m.signed_len - 2] == 0x20 && msg[m.signed_len - 1] == 0x81);
    CHECK(eq_vec(g_sw, c->initiator, "pvt", s->sig + 64, 65)); /* r || s || PVT */

    check_round_trip(msg, len);
    free(msg);
}

static void test_streamwide_gmk_message_fields(void)
{
    check_streamwide(&k_sw[0]);
}

static void test_streamwide_csk_message_fields(void)
{
    check_streamwide(&k_sw[1]);
}

static void test_streamwide_pck_message_fields(void)
{
    check_streamwide(&k_sw[2]);
}

static void test_streamwide_legacy_iwf_message_fields(void)
{
    check_streamwide(&k_sw[3]);
}

/* ---- the synthetic message --------------------------------------------------------------- */

static void test_synthetic_gmk_message_fields(void)
{
    size_t len, n;
    uint8_t *msg = mcgk_vec_hex(g_syn, NULL, "i_message", &len);
    mcgk_mikey_msg m;
    CHECK(len == mcgk_vec_u64(g_syn, NULL, "i_message_length"));
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    uint8_t *guk = mcgk_vec_hex(g_syn, NULL, "guk_id", &n);
    CHECK(m.hdr.csb_id == be32(guk));
    free(guk);
    CHECK(m.hdr.data_type == 26 && m.hdr.v == 0 && m.hdr.prf_func == 1);
    CHECK(m.hdr.map_type == MCGK_MIKEY_MAP_GENERIC_ID && m.hdr.n_cs == 1);
    CHECK(m.hdr.map.generic[0].cs_id == 4 && m.hdr.map.generic[0].n_policies == 1);
    CHECK(eq_vec(g_syn, NULL, "srtp_mki", m.hdr.map.generic[0].spi, m.hdr.map.generic[0].spi_len));
    CHECK(m.n_payloads == 10);
    uint8_t *ts = mcgk_vec_hex(g_syn, NULL, "ts_ntp64", &n);
    CHECK(m.payloads[0].u.t.value == (((uint64_t)be32(ts)) << 32 | be32(ts + 4)));
    free(ts);
    CHECK(eq_vec(g_syn, NULL, "rand", m.payloads[1].u.rand.data, m.payloads[1].u.rand.len));
    /* real identities: IDRi / IDRr URIs, then the KMS URIs */
    const mcgk_mikey_idr *idr = mcgk_mikey_find_idr(&m, MCGK_MIKEY_ROLE_IDRI);
    CHECK(idr != NULL && idr->id_type == MCGK_MIKEY_IDTYPE_URI);
    CHECK(idr != NULL && eq_vec(g_syn, NULL, "gms_uri", idr->data, idr->len));
    idr = mcgk_mikey_find_idr(&m, MCGK_MIKEY_ROLE_IDRR);
    CHECK(idr != NULL && eq_vec(g_syn, NULL, "user_uri", idr->data, idr->len));
    idr = mcgk_mikey_find_idr(&m, MCGK_MIKEY_ROLE_IDRKMSI);
    CHECK(idr != NULL && eq_vec(g_syn, NULL, "kms_uri", idr->data, idr->len));
    idr = mcgk_mikey_find_idr(&m, MCGK_MIKEY_ROLE_IDRKMSR);
    CHECK(idr != NULL && eq_vec(g_syn, NULL, "kms_uri", idr->data, idr->len));
    /* the full TS 33.179 default profile, type 13 included */
    static const uint8_t sp[][2] = {{0, 6},  {1, 16},  {2, 4},  {4, 12}, {5, 0},
                                    {6, 0},  {13, 1},  {18, 4}, {19, 0}, {20, 16}};
    check_sp(&m.payloads[6].u.sp, sp, 10);
    mcgk_mikey_sp_param prm;
    CHECK_OK(mcgk_mikey_sp_param_find(&m.payloads[6].u.sp, 13, &prm));
    CHECK(prm.len == 1 && prm.value[0] == 1);
    /* SAKKE data = R || H */
    const mcgk_mikey_sakke *sk = &m.payloads[7].u.sakke;
    CHECK(sk->len == 273 && sk->id_scheme == 2);
    CHECK(eq_vec(g_syn, NULL, "sakke_R", sk->data, 257));
    CHECK(eq_vec(g_syn, NULL, "sakke_H", sk->data + 257, 16));
    /* key parameters envelope */
    const mcgk_mikey_genext *g = mcgk_mikey_find_genext(&m, MCGK_MIKEY_EXT_KEY_PARAMS);
    CHECK(g != NULL && g->form == MCGK_MIKEY_GENEXT_KEY_PARAMS);
    if (g != NULL) {
        uint8_t aad[MCGK_MIKEY_PP_AAD_LEN];
        CHECK(eq_vec(g_syn, NULL, "protected_payload", g->data, g->len));
        CHECK(eq_vec(g_syn, NULL, "keyparams_gcm_iv", g->kp.iv, MCGK_MIKEY_PP_IV_LEN));
        CHECK(eq_vec(g_syn, NULL, "keyparams_ciphertext_and_tag", g->kp.payload,
                     g->kp.payload_len));
        CHECK(g->kp.dppk_id == m.hdr.csb_id);
        CHECK_OK(mcgk_mikey_pp_aad(&g->kp, aad));
        CHECK(eq_vec(g_syn, NULL, "keyparams_aad", aad, sizeof aad));
    }
    /* SIGN = r || s || PVT */
    const mcgk_mikey_sign *s = &m.payloads[9].u.sign;
    CHECK(s->s_type == 2 && s->len == 129 && m.signed_len == len - 129);
    CHECK(eq_vec(g_syn, NULL, "eccsi_r", s->sig, 32));
    CHECK(eq_vec(g_syn, NULL, "eccsi_s", s->sig + 32, 32));
    CHECK(eq_vec(g_syn, NULL, "gms_PVT", s->sig + 64, 65));
    check_round_trip(msg, len);
    free(msg);
}

/* ---- robustness on every vector message ------------------------------------------------------ */

static uint8_t *vector_message(size_t i, size_t *len)
{
    if (i < 4)
        return mcgk_vec_hex(g_sw, k_sw[i].section, "i_message", len);
    return mcgk_vec_hex(g_syn, NULL, "i_message", len);
}

/* parse must either fail with a parse error or round-trip exactly */
static int parse_total(const uint8_t *buf, size_t len)
{
    mcgk_mikey_msg m;
    mcgk_err e = mcgk_mikey_parse(buf, len, &m, NULL);
    if (e != MCGK_OK) {
        if (!is_parse_error(e))
            mcgk_test_fail(__FILE__, __LINE__, "unexpected error %s", mcgk_err_name(e));
        return 0;
    }
    uint8_t *out = malloc(len + 1);
    size_t n = 0;
    CHECK_OK(mcgk_mikey_encode(&m, out, len + 1, &n, NULL));
    if (n != len || memcmp(out, buf, len) != 0)
        mcgk_test_fail(__FILE__, __LINE__, "re-encode differs (%zu vs %zu octets)", n, len);
    free(out);
    return 1;
}

static void test_every_byte_flip_rejected_or_round_trips(void)
{
    static const uint8_t full[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff};
    static const uint8_t quick[] = {0x01, 0x80, 0xff};
    const uint8_t *masks = mcgk_test_quick() ? quick : full;
    size_t nmasks = mcgk_test_quick() ? sizeof quick : sizeof full;
    for (size_t v = 0; v < 5; v++) {
        size_t len, accepted = 0, rejected = 0;
        uint8_t *msg = vector_message(v, &len);
        uint8_t *mut = malloc(len);
        for (size_t i = 0; i < len; i++) {
            for (size_t k = 0; k < nmasks; k++) {
                memcpy(mut, msg, len);
                mut[i] ^= masks[k];
                if (parse_total(mut, len))
                    accepted++;
                else
                    rejected++;
            }
        }
        /* flips inside opaque data are accepted, framing flips are rejected: both happen */
        CHECK(accepted > 0 && rejected > 0);
        free(mut);
        free(msg);
    }
}

static void test_every_truncation_rejected(void)
{
    for (size_t v = 0; v < 5; v++) {
        size_t len;
        uint8_t *msg = vector_message(v, &len);
        for (size_t k = 0; k < len; k++) {
            uint8_t *cut = malloc(k ? k : 1); /* exact size, so ASan sees any over-read */
            memcpy(cut, msg, k);
            mcgk_mikey_msg m;
            mcgk_err e = mcgk_mikey_parse(cut, k, &m, NULL);
            if (e != MCGK_ERR_TRUNCATED)
                mcgk_test_fail(__FILE__, __LINE__, "msg %zu cut at %zu: %s", v, k,
                               mcgk_err_name(e));
            free(cut);
        }
        free(msg);
    }
}

static void test_appended_data_rejected(void)
{
    mcgk_test_prng prng;
    mcgk_test_prng_init(&prng, 3830);
    for (size_t v = 0; v < 5; v++) {
        size_t len, off = 7;
        uint8_t *msg = vector_message(v, &len);
        for (size_t extra = 1; extra <= 64; extra++) {
            uint8_t *buf = malloc(len + extra);
            memcpy(buf, msg, len);
            mcgk_test_prng_fill(&prng, buf + len, extra);
            CHECK_ERR(mcgk_mikey_parse(buf, len + extra, NULL, NULL), MCGK_ERR_INVALID_ARG);
            mcgk_mikey_msg m;
            CHECK_ERR(mcgk_mikey_parse(buf, len + extra, &m, &off), MCGK_ERR_TRAILING_DATA);
            CHECK(off == len);
            free(buf);
        }
        free(msg);
    }
}

/* random octets after a valid HDR: every outcome is an error code or a faithful round trip */
static void test_random_payload_chains_total(void)
{
    mcgk_test_prng prng;
    mcgk_test_prng_init(&prng, 6509);
    int rounds = mcgk_test_quick() ? 2000 : 20000;
    static const uint8_t types[] = {1, 4, 5, 6, 7, 9, 10, 11, 12, 14, 21, 26, 0};
    for (int i = 0; i < rounds; i++) {
        uint8_t buf[96];
        size_t len = 10 + (size_t)(mcgk_test_prng_next(&prng) % 86);
        mcgk_test_prng_fill(&prng, buf, len);
        buf[0] = 1;
        buf[2] = types[mcgk_test_prng_next(&prng) % sizeof types];
        buf[8] = (uint8_t)(mcgk_test_prng_next(&prng) % 3);
        buf[9] = (uint8_t)(mcgk_test_prng_next(&prng) % 3);
        /* steer some next-payload octets to known types so chains get deep */
        for (size_t k = 10; k < len; k += 1 + mcgk_test_prng_next(&prng) % 8)
            if (mcgk_test_prng_next(&prng) & 1)
                buf[k] = types[mcgk_test_prng_next(&prng) % sizeof types];
        uint8_t *exact = malloc(len);
        memcpy(exact, buf, len);
        (void)parse_total(exact, len);
        free(exact);
    }
}

/* ---- every parse error, on hand-built input ---------------------------------------------- */

/* HDR: version 1, SAKKE, next = `next`, PRF 1, CSB 1, #CS 0, empty map */
#define HDR(next) 0x01, 0x1a, (next), 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01

static mcgk_err parse_at(const uint8_t *buf, size_t len, size_t *off)
{
    mcgk_mikey_msg m;
    uint8_t *exact = malloc(len ? len : 1);
    memcpy(exact, buf, len);
    mcgk_err e = mcgk_mikey_parse(exact, len, &m, off);
    free(exact);
    return e;
}

static void test_parse_error_invalid_arg(void)
{
    static const uint8_t ok[] = {HDR(0)};
    mcgk_mikey_msg m;
    CHECK_ERR(mcgk_mikey_parse(NULL, 4, &m, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_parse(ok, sizeof ok, NULL, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_OK(mcgk_mikey_parse(ok, sizeof ok, &m, NULL)); /* a bare HDR is a (useless) message */
    CHECK(m.n_payloads == 0 && m.signed_len == 0 && m.len == 10);
    CHECK_ERR(mcgk_mikey_parse(NULL, 0, &m, NULL), MCGK_ERR_TRUNCATED);
}

static void test_parse_error_version(void)
{
    static const uint8_t v0[] = {0x00, 0x1a, 0x00, 0x01, 0, 0, 0, 1, 0, 1};
    static const uint8_t v2[] = {0x02, 0x1a, 0x00, 0x01, 0, 0, 0, 1, 0, 1};
    size_t off = 99;
    CHECK_ERR(parse_at(v0, sizeof v0, &off), MCGK_ERR_MIKEY_VERSION);
    CHECK(off == 0);
    CHECK_ERR(parse_at(v2, sizeof v2, NULL), MCGK_ERR_MIKEY_VERSION);
}

static void test_parse_error_unknown_payload_type(void)
{
    static const uint8_t unknown[] = {18, 19, 22, 23, 24, 25, 27, 99, 255,
                                      MCGK_MIKEY_PT_KEY_DATA /* only inside a KEMAC */};
    for (size_t i = 0; i < sizeof unknown; i++) {
        uint8_t buf[] = {HDR(unknown[i]), 0x00, 0x00, 0x00};
        size_t off = 0;
        CHECK_ERR(parse_at(buf, sizeof buf, &off), MCGK_ERR_MIKEY_PAYLOAD_TYPE);
        CHECK(off == 10);
    }
    /* an unknown type later in the chain: reported at that payload */
    static const uint8_t later[] = {HDR(MCGK_MIKEY_PT_RAND), 99, 0x01, 0xaa, 0x00};
    size_t off = 0;
    CHECK_ERR(parse_at(later, sizeof later, &off), MCGK_ERR_MIKEY_PAYLOAD_TYPE);
    CHECK(off == 13);
}

static void test_parse_error_unsupported(void)
{
    /* registered payload types that mcgk does not decode */
    static const uint8_t types[] = {MCGK_MIKEY_PT_PKE,   MCGK_MIKEY_PT_DH, MCGK_MIKEY_PT_CHASH,
                                    MCGK_MIKEY_PT_TR,    MCGK_MIKEY_PT_RANDR, MCGK_MIKEY_PT_TP,
                                    MCGK_MIKEY_PT_TICKET};
    for (size_t i = 0; i < sizeof types; i++) {
        uint8_t buf[] = {HDR(types[i]), 0x00, 0x00, 0x00, 0x00};
        CHECK_ERR(parse_at(buf, sizeof buf, NULL), MCGK_ERR_UNSUPPORTED);
    }
    /* an unknown CS ID map type */
    static const uint8_t map3[] = {0x01, 0x1a, 0x00, 0x01, 0, 0, 0, 1, 0x00, 0x03};
    CHECK_ERR(parse_at(map3, sizeof map3, NULL), MCGK_ERR_UNSUPPORTED);
    /* an unknown TS type (its length is unknown) */
    static const uint8_t ts3[] = {HDR(MCGK_MIKEY_PT_T), 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK_ERR(parse_at(ts3, sizeof ts3, NULL), MCGK_ERR_UNSUPPORTED);
    /* KEMAC with an unknown MAC algorithm */
    static const uint8_t kemac[] = {HDR(MCGK_MIKEY_PT_KEMAC), 0x00, 0x00, 0x00, 0x00, 0x02};
    CHECK_ERR(parse_at(kemac, sizeof kemac, NULL), MCGK_ERR_UNSUPPORTED);
    /* V with an unknown algorithm */
    static const uint8_t v[] = {HDR(MCGK_MIKEY_PT_V), 0x00, 0x07};
    CHECK_ERR(parse_at(v, sizeof v, NULL), MCGK_ERR_UNSUPPORTED);
}

static void test_parse_error_cs_map(void)
{
    /* RFC 6043 §6.1.1: the empty map has #CS = 0 */
    static const uint8_t buf[] = {0x01, 0x1a, 0x00, 0x01, 0, 0, 0, 1, 0x01, 0x01};
    CHECK_ERR(parse_at(buf, sizeof buf, NULL), MCGK_ERR_MIKEY_CS_MAP);
}

static void test_parse_error_oversized(void)
{
    /* #CS above MCGK_MIKEY_MAX_CS, for both maps that carry entries */
    static const uint8_t srtp[] = {0x01, 0x1a, 0x00, 0x01, 0, 0, 0, 1, MCGK_MIKEY_MAX_CS + 1, 0x00};
    static const uint8_t gen[] = {0x01, 0x1a, 0x00, 0x01, 0, 0, 0, 1, MCGK_MIKEY_MAX_CS + 1, 0x02};
    CHECK_ERR(parse_at(srtp, sizeof srtp, NULL), MCGK_ERR_OVERSIZED);
    CHECK_ERR(parse_at(gen, sizeof gen, NULL), MCGK_ERR_OVERSIZED);
    /* exactly MCGK_MIKEY_MAX_CS entries is fine */
    uint8_t full[10 + 9 * MCGK_MIKEY_MAX_CS];
    memset(full, 0x33, sizeof full);
    memcpy(full, srtp, 10);
    full[8] = MCGK_MIKEY_MAX_CS;
    CHECK_OK(parse_at(full, sizeof full, NULL));
    /* more than MCGK_MIKEY_MAX_PAYLOADS payloads: a chain of empty RANDs */
    for (size_t count = MCGK_MIKEY_MAX_PAYLOADS; count <= MCGK_MIKEY_MAX_PAYLOADS + 1; count++) {
        size_t len = 10 + 2 * count, off = 0;
        uint8_t *buf = malloc(len);
        uint8_t hdr[] = {HDR(MCGK_MIKEY_PT_RAND)};
        memcpy(buf, hdr, 10);
        for (size_t i = 0; i < count; i++) {
            buf[10 + 2 * i] = i + 1 < count ? MCGK_MIKEY_PT_RAND : 0;
            buf[11 + 2 * i] = 0;
        }
        if (count == MCGK_MIKEY_MAX_PAYLOADS) {
            CHECK_OK(parse_at(buf, len, NULL));
        } else {
            CHECK_ERR(parse_at(buf, len, &off), MCGK_ERR_OVERSIZED);
            CHECK(off == 10 + 2 * MCGK_MIKEY_MAX_PAYLOADS);
        }
        free(buf);
    }
    /* a message longer than MCGK_MIKEY_MAX_MSG_LEN */
    uint8_t *big = calloc(1, MCGK_MIKEY_MAX_MSG_LEN + 1);
    big[0] = 1;
    mcgk_mikey_msg m;
    CHECK_ERR(mcgk_mikey_parse(big, MCGK_MIKEY_MAX_MSG_LEN + 1, &m, NULL), MCGK_ERR_OVERSIZED);
    free(big);
}

static void test_parse_error_malformed(void)
{
    /* SP: a parameter that runs past the policy param length */
    static const uint8_t sp[] = {HDR(MCGK_MIKEY_PT_SP), 0x00, 0x00, 0x00, 0x00, 0x03,
                                 0x00, 0x05, 0x06};
    CHECK_ERR(parse_at(sp, sizeof sp, NULL), MCGK_ERR_MALFORMED);
    /* ... whereas a policy param length past the message end is a truncation */
    static const uint8_t sp_cut[] = {HDR(MCGK_MIKEY_PT_SP), 0x00, 0x00, 0x00, 0x00, 0x10,
                                     0x00, 0x01, 0x06};
    CHECK_ERR(parse_at(sp_cut, sizeof sp_cut, NULL), MCGK_ERR_TRUNCATED);
    /* SAKKE-to-self whose inner SAKKE length overruns the extension */
    static const uint8_t self_over[] = {HDR(MCGK_MIKEY_PT_GENERAL_EXT), 0x00, 0x06, 0x00, 0x06,
                                        0x00, 0x01, 0x02, 0x00, 0x02, 0xaa};
    CHECK_ERR(parse_at(self_over, sizeof self_over, NULL), MCGK_ERR_MALFORMED);
    /* ... or leaves octets inside the extension */
    static const uint8_t self_under[] = {HDR(MCGK_MIKEY_PT_GENERAL_EXT), 0x00, 0x06, 0x00, 0x07,
                                         0x00, 0x01, 0x02, 0x00, 0x00, 0xaa, 0xbb};
    CHECK_ERR(parse_at(self_under, sizeof self_under, NULL), MCGK_ERR_MALFORMED);
    /* ... or is shorter than a SAKKE header */
    static const uint8_t self_short[] = {HDR(MCGK_MIKEY_PT_GENERAL_EXT), 0x00, 0x06, 0x00, 0x02,
                                         0x00, 0x01};
    CHECK_ERR(parse_at(self_short, sizeof self_short, NULL), MCGK_ERR_MALFORMED);
}

static void test_parse_error_trailing_data(void)
{
    /* after a chain that ends with next payload = 0 */
    static const uint8_t buf[] = {HDR(MCGK_MIKEY_PT_RAND), 0x00, 0x02, 0xaa, 0xbb, 0xff};
    size_t off = 0;
    CHECK_ERR(parse_at(buf, sizeof buf, &off), MCGK_ERR_TRAILING_DATA);
    CHECK(off == 14);
    /* after SIGN: nothing may follow the last payload (RFC 3830 §6.5) */
    static const uint8_t sign[] = {HDR(MCGK_MIKEY_PT_SIGN), 0x20, 0x01, 0x55, 0x04};
    CHECK_ERR(parse_at(sign, sizeof sign, &off), MCGK_ERR_TRAILING_DATA);
    CHECK(off == 13);
    CHECK_OK(parse_at(sign, sizeof sign - 1, NULL));
}

static void test_parse_error_truncated(void)
{
    static const uint8_t hdr_only[] = {0x01, 0x1a, 0x00, 0x01, 0, 0, 0, 1, 0x00};
    CHECK_ERR(parse_at(hdr_only, sizeof hdr_only, NULL), MCGK_ERR_TRUNCATED);
    /* the next payload announced but absent */
    static const uint8_t missing[] = {HDR(MCGK_MIKEY_PT_T)};
    size_t off = 0;
    CHECK_ERR(parse_at(missing, sizeof missing, &off), MCGK_ERR_TRUNCATED);
    CHECK(off == 10);
    /* GENERIC-ID map cut inside its SPI */
    static const uint8_t gen[] = {0x01, 0x1a, 0x00, 0x01, 0, 0, 0, 1, 0x01, 0x02,
                                  0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x0d};
    CHECK_ERR(parse_at(gen, sizeof gen, NULL), MCGK_ERR_TRUNCATED);
}

/* A failed parse leaves the output exactly as it was. */
static void test_failed_parse_leaves_output_untouched(void)
{
    size_t len;
    uint8_t *msg = vector_message(0, &len);
    mcgk_mikey_msg *m = malloc(sizeof *m), *ref = malloc(sizeof *ref);
    memset(m, 0x5a, sizeof *m);
    memset(ref, 0x5a, sizeof *ref);
    msg[len - 200] ^= 0xff; /* somewhere in the key-parameters extension / SIGN header */
    for (size_t cut = 1; cut < len; cut += 37)
        CHECK_ERR(mcgk_mikey_parse(msg, cut, m, NULL), MCGK_ERR_TRUNCATED);
    static const uint8_t bad[] = {0x02, 0x1a, 0x00, 0x01, 0, 0, 0, 1, 0, 1};
    CHECK_ERR(mcgk_mikey_parse(bad, sizeof bad, m, NULL), MCGK_ERR_MIKEY_VERSION);
    CHECK(memcmp(m, ref, sizeof *m) == 0);
    free(m);
    free(ref);
    free(msg);
}

/* ---- hand-built messages, checked against literal octets ---------------------------------- */

/* An error message (RFC 3830 §6.12): HDR (data type 6) + ERR */
static void test_error_message_encodes_and_parses(void)
{
    static const uint8_t want[] = {0x01, 0x06, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
                                   0x00, 0x0c, 0x00, 0x00};
    mcgk_mikey_msg m;
    init_msg(&m, MCGK_MIKEY_DT_ERROR);
    m.hdr.prf_func = 0;
    m.hdr.csb_id = 1;
    add(&m, MCGK_MIKEY_PT_ERR)->u.err.err_no = MCGK_MIKEY_ERR_UNSPECIFIED;
    size_t len;
    uint8_t *buf = build(&m, &len);
    CHECK(len == sizeof want);
    CHECK_MEM(buf, want, sizeof want);
    mcgk_mikey_msg p;
    CHECK_OK(mcgk_mikey_parse(buf, len, &p, NULL));
    CHECK(p.n_payloads == 1 && p.payloads[0].u.err.err_no == 12);
    CHECK(p.payloads[0].u.err.reserved == 0);
    check_round_trip(buf, len);
    free(buf);
    /* a non-zero Reserved field survives the round trip */
    static const uint8_t rsv[] = {0x01, 0x06, 0x0c, 0x00, 0, 0, 0, 1, 0x00, 0x01, 0x00, 0x03,
                                  0x12, 0x34};
    CHECK_OK(mcgk_mikey_parse(rsv, sizeof rsv, &p, NULL));
    CHECK(p.payloads[0].u.err.err_no == 3 && p.payloads[0].u.err.reserved == 0x1234);
    check_round_trip(rsv, sizeof rsv);
}

/* A PSK verification message: SRTP-ID map, COUNTER timestamp, V payload */
static void test_verification_message_srtp_id_map_counter_v(void)
{
    static const uint8_t mac[20] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11};
    uint8_t want[] = {0x01, 0x01, 0x05, 0x81, 0x12, 0x34, 0x56, 0x78, 0x01, 0x00, /* HDR, V=1 */
                      0x07, 0xca, 0xfe, 0xba, 0xbe, 0x00, 0x00, 0x00, 0x09,       /* SRTP-ID */
                      0x09, 0x02, 0x00, 0x00, 0x00, 0x07,                         /* T COUNTER */
                      0x00, 0x01, /* V HMAC-SHA-1-160 */ 0x11, 0x11, 0x11, 0x11, 0x11,
                      0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                      0x11, 0x11, 0x11, 0x11};
    mcgk_mikey_msg m;
    init_msg(&m, MCGK_MIKEY_DT_PSK_RESP);
    m.hdr.v = 1;
    m.hdr.csb_id = 0x12345678;
    m.hdr.map_type = MCGK_MIKEY_MAP_SRTP_ID;
    m.hdr.n_cs = 1;
    m.hdr.map.srtp[0].policy_no = 7;
    m.hdr.map.srtp[0].ssrc = 0xcafebabe;
    m.hdr.map.srtp[0].roc = 9;
    mcgk_mikey_payload *t = add(&m, MCGK_MIKEY_PT_T);
    t->u.t.ts_type = MCGK_MIKEY_TS_COUNTER;
    t->u.t.value = 7;
    mcgk_mikey_payload *v = add(&m, MCGK_MIKEY_PT_V);
    v->u.v.auth_alg = MCGK_MIKEY_MAC_HMAC_SHA1_160;
    v->u.v.ver_data = mac;
    size_t len;
    uint8_t *buf = build(&m, &len);
    CHECK(len == sizeof want);
    CHECK_MEM(buf, want, sizeof want);
    mcgk_mikey_msg p;
    CHECK_OK(mcgk_mikey_parse(buf, len, &p, NULL));
    CHECK(p.hdr.v == 1 && p.hdr.prf_func == 1 && p.hdr.map.srtp[0].ssrc == 0xcafebabe);
    CHECK(p.hdr.map.srtp[0].policy_no == 7 && p.hdr.map.srtp[0].roc == 9);
    CHECK(p.payloads[0].u.t.value == 7 && p.payloads[1].u.v.ver_data == buf + 27);
    check_round_trip(buf, len);
    /* V with the NULL algorithm has no verification data; NULL ver_data encodes as zeros */
    v->u.v.auth_alg = MCGK_MIKEY_MAC_NULL;
    free(buf);
    buf = build(&m, &len);
    CHECK(len == sizeof want - 20);
    check_round_trip(buf, len);
    v->u.v.auth_alg = MCGK_MIKEY_MAC_HMAC_SHA1_160;
    v->u.v.ver_data = NULL;
    free(buf);
    buf = build(&m, &len);
    CHECK(len == sizeof want && buf[len - 1] == 0 && buf[len - 20] == 0);
    free(buf);
}

/* A MIKEY-PSK I_MESSAGE (mikey.md §14): IDRpsk, SP, KEMAC with a Key data chain, SIGN */
static void test_psk_message_kemac_key_data(void)
{
    static const uint8_t gsk[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t rnd[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                    0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
    static const uint8_t gmk_id[4] = {0x0a, 0xbc, 0xde, 0xf1};
    static const uint8_t params[] = {0x00, 0x01, 0x06, 0x01, 0x01, 0x10};
    uint8_t mac[20];
    memset(mac, 0x22, sizeof mac);
    /* the Key data chain: one TGK, no KV */
    mcgk_mikey_key_data kd = {.type = MCGK_MIKEY_KD_TGK, .kv = MCGK_MIKEY_KV_NULL,
                              .key_len = 8, .key = gsk};
    uint8_t chain[12];
    size_t clen;
    CHECK_OK(mcgk_mikey_key_data_encode(&kd, 1, chain, sizeof chain, &clen));
    static const uint8_t want_chain[] = {0x00, 0x00, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8};
    CHECK(clen == 12);
    CHECK_MEM(chain, want_chain, 12);

    mcgk_mikey_msg m;
    init_msg(&m, MCGK_MIKEY_DT_PSK_INIT);
    m.hdr.csb_id = 0x0000abcd;
    mcgk_mikey_payload *p = add(&m, MCGK_MIKEY_PT_T);
    p->u.t.ts_type = MCGK_MIKEY_TS_NTP_UTC;
    p->u.t.value = 0xd672124000000000ull;
    p = add(&m, MCGK_MIKEY_PT_RAND);
    p->u.rand.len = 16;
    p->u.rand.data = rnd;
    p = add(&m, MCGK_MIKEY_PT_IDR);
    p->u.idr.role = MCGK_MIKEY_ROLE_IDRPSK;
    p->u.idr.id_type = MCGK_MIKEY_IDTYPE_BYTES;
    p->u.idr.len = 4;
    p->u.idr.data = gmk_id;
    p = add(&m, MCGK_MIKEY_PT_SP);
    p->u.sp.prot_type = MCGK_MIKEY_PROT_SRTP;
    p->u.sp.params_len = sizeof params;
    p->u.sp.params = params;
    p = add(&m, MCGK_MIKEY_PT_KEMAC);
    p->u.kemac.encr_alg = MCGK_MIKEY_ENCR_NULL;
    p->u.kemac.encr_len = (uint16_t)clen;
    p->u.kemac.encr_data = chain;
    p->u.kemac.mac_alg = MCGK_MIKEY_MAC_HMAC_SHA1_160;
    p->u.kemac.mac = mac;
    p = add(&m, MCGK_MIKEY_PT_SIGN);
    p->u.sign.s_type = MCGK_MIKEY_SIGN_ECCSI;
    p->u.sign.len = 129;
    p->u.sign.sig = NULL; /* placeholder: zeros */

    uint8_t want[] = {
        0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0xab, 0xcd, 0x00, 0x01,                   /* HDR */
        0x0b, 0x00, 0xd6, 0x72, 0x12, 0x40, 0x00, 0x00, 0x00, 0x00,                   /* T */
        0x0e, 0x10, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, /* RAND */
        0xab, 0xac, 0xad, 0xae, 0xaf,
        0x0a, 0x04, 0x02, 0x00, 0x04, 0x0a, 0xbc, 0xde, 0xf1,                         /* IDRpsk */
        0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x01, 0x06, 0x01, 0x01, 0x10,             /* SP */
        0x04, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8,       /* KEMAC */
        0x01, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
        0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
        0x20, 0x81, /* SIGN header; 129 zero octets follow */
    };
    size_t len, sl = 0;
    CHECK_OK(mcgk_mikey_encode(&m, NULL, 0, &len, &sl));
    CHECK(len == sizeof want + 129 && sl == sizeof want);
    uint8_t *buf = malloc(len);
    CHECK_OK(mcgk_mikey_encode(&m, buf, len, &len, &sl));
    CHECK_MEM(buf, want, sizeof want);
    for (size_t i = sizeof want; i < len; i++)
        CHECK(buf[i] == 0);

    mcgk_mikey_msg q;
    CHECK_OK(mcgk_mikey_parse(buf, len, &q, NULL));
    CHECK(q.n_payloads == 6 && q.signed_len == sl);
    const mcgk_mikey_payload *k = mcgk_mikey_find(&q, MCGK_MIKEY_PT_KEMAC, NULL);
    CHECK(k != NULL);
    if (k != NULL) {
        /* the MAC covers everything up to and including the MAC alg octet (mikey.md §12.5) */
        CHECK(k->u.kemac.mac_offset == 75 && buf[k->u.kemac.mac_offset - 1] == 0x01);
        CHECK(k->u.kemac.mac == buf + 75 && k->offset == 58 && k->len == 37);
        mcgk_mikey_key_data out[4];
        size_t n = 0;
        CHECK_OK(mcgk_mikey_key_data_parse(k->u.kemac.encr_data, k->u.kemac.encr_len, out, 4, &n));
        CHECK(n == 1 && out[0].type == MCGK_MIKEY_KD_TGK && out[0].key_len == 8);
        CHECK(memcmp(out[0].key, gsk, 8) == 0);
    }
    const mcgk_mikey_idr *psk = mcgk_mikey_find_idr(&q, MCGK_MIKEY_ROLE_IDRPSK);
    CHECK(psk != NULL && psk->id_type == MCGK_MIKEY_IDTYPE_BYTES && psk->len == 4);
    check_round_trip(buf, len);
    free(buf);
}

/* GENERIC-ID map with S = 1, session data and two policies; two crypto sessions */
static void test_generic_id_map_session_data(void)
{
    static const uint8_t pol[2] = {0, 1};
    static const uint8_t sess[6] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01};
    static const uint8_t spi[4] = {0x2d, 0xdd, 0x5b, 0xf0};
    static const uint8_t want[] = {0x01, 0x1a, 0x00, 0x01, 0x2d, 0xdd, 0x5b, 0xf0, 0x02, 0x02,
                                   0x06, 0x00, 0x82, 0x00, 0x01, 0x00, 0x06, 0xde, 0xad, 0xbe,
                                   0xef, 0x00, 0x01, 0x04, 0x2d, 0xdd, 0x5b, 0xf0,
                                   0x08, 0x00, 0x00, 0x00, 0x00, 0x00};
    mcgk_mikey_msg m;
    init_msg(&m, MCGK_MIKEY_DT_SAKKE);
    m.hdr.csb_id = 0x2ddd5bf0;
    m.hdr.map_type = MCGK_MIKEY_MAP_GENERIC_ID;
    m.hdr.n_cs = 2;
    mcgk_mikey_cs_generic *g = &m.hdr.map.generic[0];
    g->cs_id = 6;
    g->s = 1;
    g->n_policies = 2;
    g->policies = pol;
    g->session_data_len = sizeof sess;
    g->session_data = sess;
    g->spi_len = 4;
    g->spi = spi;
    m.hdr.map.generic[1].cs_id = 8; /* no policies, no session data, no SPI */
    size_t len;
    uint8_t *buf = build(&m, &len);
    CHECK(len == sizeof want);
    CHECK_MEM(buf, want, sizeof want);
    mcgk_mikey_msg p;
    CHECK_OK(mcgk_mikey_parse(buf, len, &p, NULL));
    CHECK(p.hdr.map.generic[0].s == 1 && p.hdr.map.generic[0].n_policies == 2);
    CHECK(p.hdr.map.generic[0].policies[1] == 1 && p.hdr.map.generic[0].session_data_len == 6);
    CHECK(p.hdr.map.generic[1].cs_id == 8 && p.hdr.map.generic[1].spi_len == 0);
    check_round_trip(buf, len);
    free(buf);
}

/* ID (6) and CERT (7) kept opaque; NTP timestamp; vendor extension; SAKKE-to-self; SP variants */
static void test_opaque_payloads_and_extensions(void)
{
    static const uint8_t uri[] = "sip:gms@example.org";
    static const uint8_t cert[5] = {0x30, 0x03, 0x02, 0x01, 0x00};
    static const uint8_t vendor[3] = {'a', 'b', 'c'};
    static const uint8_t other_prot[] = {0x07, 0x02, 0xab, 0xcd};
    uint8_t rh[273];
    memset(rh, 0x44, sizeof rh);
    rh[0] = 0x04;
    mcgk_mikey_msg m;
    init_msg(&m, MCGK_MIKEY_DT_PK_INIT);
    mcgk_mikey_payload *p = add(&m, MCGK_MIKEY_PT_T);
    p->u.t.ts_type = MCGK_MIKEY_TS_NTP;
    p->u.t.value = 0x0102030405060708ull;
    p = add(&m, MCGK_MIKEY_PT_ID);
    p->u.idr.id_type = MCGK_MIKEY_IDTYPE_URI;
    p->u.idr.len = (uint16_t)(sizeof uri - 1);
    p->u.idr.data = uri;
    p = add(&m, MCGK_MIKEY_PT_CERT);
    p->u.cert.cert_type = 0;
    p->u.cert.len = sizeof cert;
    p->u.cert.data = cert;
    p = add(&m, MCGK_MIKEY_PT_SP); /* SP with no parameters */
    p->u.sp.policy_no = 3;
    p = add(&m, MCGK_MIKEY_PT_SP); /* SP of another protocol */
    p->u.sp.policy_no = 4;
    p->u.sp.prot_type = 9;
    p->u.sp.params_len = sizeof other_prot;
    p->u.sp.params = other_prot;
    p = add(&m, MCGK_MIKEY_PT_GENERAL_EXT);
    p->u.genext.type = MCGK_MIKEY_EXT_VENDOR;
    p->u.genext.len = sizeof vendor;
    p->u.genext.data = vendor;
    p = add(&m, MCGK_MIKEY_PT_GENERAL_EXT);
    p->u.genext.type = MCGK_MIKEY_EXT_SAKKE_TO_SELF;
    p->u.genext.form = MCGK_MIKEY_GENEXT_SAKKE_TO_SELF;
    p->u.genext.sakke.params = 1;
    p->u.genext.sakke.id_scheme = 2;
    p->u.genext.sakke.len = sizeof rh;
    p->u.genext.sakke.data = rh;
    p = add(&m, MCGK_MIKEY_PT_IDR);
    p->u.idr.role = MCGK_MIKEY_ROLE_IDRAPP;
    size_t len;
    uint8_t *buf = build(&m, &len);
    mcgk_mikey_msg q;
    CHECK_OK(mcgk_mikey_parse(buf, len, &q, NULL));
    CHECK(q.n_payloads == 8);
    CHECK(q.payloads[0].u.t.ts_type == 1 && q.payloads[0].u.t.value == 0x0102030405060708ull);
    CHECK(q.payloads[1].type == MCGK_MIKEY_PT_ID && q.payloads[1].u.idr.len == sizeof uri - 1);
    CHECK(memcmp(q.payloads[1].u.idr.data, uri, sizeof uri - 1) == 0);
    CHECK(q.payloads[2].u.cert.len == 5 && memcmp(q.payloads[2].u.cert.data, cert, 5) == 0);
    CHECK(q.payloads[3].u.sp.policy_no == 3 && q.payloads[3].u.sp.n_params == 0);
    CHECK(q.payloads[4].u.sp.prot_type == 9 && q.payloads[4].u.sp.n_params == 1);
    CHECK(q.payloads[5].u.genext.form == MCGK_MIKEY_GENEXT_OPAQUE);
    CHECK(q.payloads[5].u.genext.len == 3 && memcmp(q.payloads[5].u.genext.data, "abc", 3) == 0);
    const mcgk_mikey_genext *self = mcgk_mikey_find_genext(&q, MCGK_MIKEY_EXT_SAKKE_TO_SELF);
    CHECK(self != NULL && self->form == MCGK_MIKEY_GENEXT_SAKKE_TO_SELF);
    if (self != NULL) {
        /* TS 33.180 E.5: type 6, length 5 + 273 = 278, inner next payload 0 */
        CHECK(self->len == 278 && self->self_next == 0 && self->sakke.len == 273);
        CHECK(self->sakke.data == self->data + 5 && self->data[0] == 0 && self->data[1] == 1);
        CHECK(self->data[2] == 2 && self->data[3] == 0x01 && self->data[4] == 0x11);
    }
    CHECK(q.payloads[7].u.idr.role == MCGK_MIKEY_ROLE_IDRAPP && q.payloads[7].u.idr.len == 0);
    check_round_trip(buf, len);
    free(buf);
    /* a non-zero inner next-payload octet is kept (it is ignored on receipt, E.5) */
    m.payloads[6].u.genext.self_next = 0x1a;
    buf = build(&m, &len);
    CHECK_OK(mcgk_mikey_parse(buf, len, &q, NULL));
    CHECK(q.payloads[6].u.genext.self_next == 0x1a);
    check_round_trip(buf, len);
    free(buf);
}

/* Type 7: an exact envelope is KEY_PARAMS; anything else stays OPAQUE; both round-trip */
static void test_key_params_envelope_forms(void)
{
    static const uint8_t iv[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    static const uint8_t ct[20] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
    mcgk_mikey_msg m;
    init_msg(&m, MCGK_MIKEY_DT_SAKKE);
    mcgk_mikey_payload *p = add(&m, MCGK_MIKEY_PT_GENERAL_EXT);
    p->u.genext.type = MCGK_MIKEY_EXT_KEY_PARAMS;
    p->u.genext.form = MCGK_MIKEY_GENEXT_KEY_PARAMS;
    mcgk_mikey_protected_payload *kp = &p->u.genext.kp;
    kp->message_type = MCGK_MIKEY_PP_MSG_TYPE;
    kp->date_time = 0xffffffffffull;
    kp->payload_id = 0x01020304;
    kp->payload_seq = 5;
    kp->algorithm = 1;
    kp->iv = iv;
    kp->dppk_id = 0x0abcdef1;
    kp->payload_iei = 0x00;
    kp->payload_len = sizeof ct;
    kp->payload = ct;
    size_t len;
    uint8_t *buf = build(&m, &len);
    CHECK(len == 10 + 4 + 35 + 20);
    static const uint8_t head[] = {0x00, 0x07, 0x00, 0x37, 0x43, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0x01, 0x02, 0x03, 0x04, 0x05, 0x01};
    CHECK_MEM(buf + 10, head, sizeof head);
    mcgk_mikey_msg q;
    CHECK_OK(mcgk_mikey_parse(buf, len, &q, NULL));
    const mcgk_mikey_genext *g = &q.payloads[0].u.genext;
    CHECK(g->form == MCGK_MIKEY_GENEXT_KEY_PARAMS && g->kp.date_time == 0xffffffffffull);
    CHECK(g->kp.payload_id == 0x01020304 && g->kp.payload_seq == 5 && g->kp.dppk_id == 0x0abcdef1);
    CHECK(g->kp.payload_len == 20 && g->kp.payload == g->data + 35);
    check_round_trip(buf, len);
    /* the same octets with one more octet in the extension: opaque */
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, buf, len);
    longer[len] = 0xee;
    longer[13] = 0x38; /* extension length 56 */
    CHECK_OK(mcgk_mikey_parse(longer, len + 1, &q, NULL));
    CHECK(q.payloads[0].u.genext.form == MCGK_MIKEY_GENEXT_OPAQUE);
    CHECK(q.payloads[0].u.genext.len == 56);
    check_round_trip(longer, len + 1);
    free(longer);
    free(buf);
    /* an opaque type 7 built by hand round-trips too */
    static const uint8_t legacy[] = {0x01, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    p->u.genext.form = MCGK_MIKEY_GENEXT_OPAQUE;
    p->u.genext.len = sizeof legacy;
    p->u.genext.data = legacy;
    buf = build(&m, &len);
    CHECK_OK(mcgk_mikey_parse(buf, len, &q, NULL));
    CHECK(q.payloads[0].u.genext.form == MCGK_MIKEY_GENEXT_OPAQUE);
    free(buf);
}

/* Build with a SIGN placeholder, sign the prefix, put the signature in, parse. */
static void test_builder_sign_placeholder_flow(void)
{
    size_t len, sl, n;
    uint8_t *msg = vector_message(4, &len);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    const uint8_t *sig = m.payloads[m.n_payloads - 1].u.sign.sig;
    m.payloads[m.n_payloads - 1].u.sign.sig = NULL;
    CHECK_OK(mcgk_mikey_encode(&m, NULL, 0, &n, &sl));
    CHECK(n == len && sl == len - 129);
    uint8_t *out = malloc(n);
    CHECK_OK(mcgk_mikey_encode(&m, out, n, &n, &sl));
    CHECK_MEM(out, msg, sl); /* the signed octets are final before the signature exists */
    memcpy(out + sl, sig, 129);
    CHECK_MEM(out, msg, len);
    free(out);
    free(msg);
}

static void test_encode_buffer_too_small_writes_nothing(void)
{
    size_t len, n = 0;
    uint8_t *msg = vector_message(0, &len);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    uint8_t *out = malloc(len);
    memset(out, 0xa5, len);
    CHECK_ERR(mcgk_mikey_encode(&m, out, len - 1, &n, NULL), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(n == len);
    for (size_t i = 0; i < len; i++)
        CHECK(out[i] == 0xa5);
    free(out);
    free(msg);
}

static void test_encode_invalid_arg(void)
{
    static const uint8_t bad_params[] = {0x00, 0x05, 0x06};
    uint8_t out[512];
    size_t n;
    mcgk_mikey_msg base, m;
    init_msg(&base, MCGK_MIKEY_DT_SAKKE);
    add(&base, MCGK_MIKEY_PT_RAND);
    m = base;
    CHECK_OK(mcgk_mikey_encode(&m, out, sizeof out, &n, NULL));
    CHECK_ERR(mcgk_mikey_encode(NULL, out, sizeof out, &n, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_encode(&m, out, sizeof out, NULL, NULL), MCGK_ERR_INVALID_ARG);

#define EXPECT_INVALID(mutation)                                                           \
    do {                                                                                   \
        m = base;                                                                          \
        mutation;                                                                          \
        CHECK_ERR(mcgk_mikey_encode(&m, out, sizeof out, &n, NULL), MCGK_ERR_INVALID_ARG); \
    } while (0)

    EXPECT_INVALID(m.n_payloads = MCGK_MIKEY_MAX_PAYLOADS + 1);
    EXPECT_INVALID(m.hdr.v = 2);
    EXPECT_INVALID(m.hdr.prf_func = 128);
    EXPECT_INVALID(m.hdr.map_type = 3);
    EXPECT_INVALID(m.hdr.n_cs = 1); /* empty map with #CS 1 */
    EXPECT_INVALID((m.hdr.map_type = MCGK_MIKEY_MAP_SRTP_ID, m.hdr.n_cs = MCGK_MIKEY_MAX_CS + 1));
    EXPECT_INVALID((m.hdr.map_type = MCGK_MIKEY_MAP_GENERIC_ID, m.hdr.n_cs = 1,
                    m.hdr.map.generic[0].n_policies = 128));
    EXPECT_INVALID((m.hdr.map_type = MCGK_MIKEY_MAP_GENERIC_ID, m.hdr.n_cs = 1,
                    m.hdr.map.generic[0].s = 2));
    EXPECT_INVALID((m.hdr.map_type = MCGK_MIKEY_MAP_GENERIC_ID, m.hdr.n_cs = 1,
                    m.hdr.map.generic[0].spi_len = 4)); /* SPI NULL */
    EXPECT_INVALID(m.payloads[0].type = MCGK_MIKEY_PT_PKE);
    EXPECT_INVALID(m.payloads[0].type = MCGK_MIKEY_PT_LAST);
    EXPECT_INVALID(m.payloads[0].type = MCGK_MIKEY_PT_KEY_DATA);
    EXPECT_INVALID(m.payloads[0].u.rand.len = 2); /* data NULL */
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_T, m.payloads[0].u.t.ts_type = 3));
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_T, m.payloads[0].u.t.ts_type = 2,
                    m.payloads[0].u.t.value = 0x100000000ull));
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_KEMAC, m.payloads[0].u.kemac.mac_alg = 2));
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_V, m.payloads[0].u.v.auth_alg = 2));
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_SP, m.payloads[0].u.sp.params = bad_params,
                    m.payloads[0].u.sp.params_len = sizeof bad_params));
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_SP, m.payloads[0].u.sp.params_len = 3));
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_SIGN, m.payloads[0].u.sign.s_type = 16));
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_SIGN, m.payloads[0].u.sign.len = 4096));
    /* SIGN not last */
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_SIGN, add(&m, MCGK_MIKEY_PT_RAND)));
    /* General Extension forms */
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_GENERAL_EXT,
                    m.payloads[0].u.genext.type = MCGK_MIKEY_EXT_SAKKE_TO_SELF,
                    m.payloads[0].u.genext.form = MCGK_MIKEY_GENEXT_OPAQUE));
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_GENERAL_EXT,
                    m.payloads[0].u.genext.type = 0,
                    m.payloads[0].u.genext.form = MCGK_MIKEY_GENEXT_SAKKE_TO_SELF));
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_GENERAL_EXT,
                    m.payloads[0].u.genext.type = MCGK_MIKEY_EXT_SAKKE_TO_SELF,
                    m.payloads[0].u.genext.form = MCGK_MIKEY_GENEXT_SAKKE_TO_SELF,
                    m.payloads[0].u.genext.sakke.len = UINT16_MAX - 4,
                    m.payloads[0].u.genext.sakke.data = out));
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_GENERAL_EXT,
                    m.payloads[0].u.genext.type = 6,
                    m.payloads[0].u.genext.form = MCGK_MIKEY_GENEXT_KEY_PARAMS));
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_GENERAL_EXT,
                    m.payloads[0].u.genext.type = 7, m.payloads[0].u.genext.form = 3));
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_GENERAL_EXT,
                    m.payloads[0].u.genext.type = 7,
                    m.payloads[0].u.genext.form = MCGK_MIKEY_GENEXT_KEY_PARAMS)); /* iv NULL */
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_GENERAL_EXT,
                    m.payloads[0].u.genext.type = 7,
                    m.payloads[0].u.genext.form = MCGK_MIKEY_GENEXT_KEY_PARAMS,
                    m.payloads[0].u.genext.kp.iv = out,
                    m.payloads[0].u.genext.kp.date_time = 1ull << 40));
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_GENERAL_EXT,
                    m.payloads[0].u.genext.type = 7,
                    m.payloads[0].u.genext.form = MCGK_MIKEY_GENEXT_KEY_PARAMS,
                    m.payloads[0].u.genext.kp.iv = out,
                    m.payloads[0].u.genext.kp.payload_len = UINT16_MAX - 10,
                    m.payloads[0].u.genext.kp.payload = out));
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_IDR, m.payloads[0].u.idr.len = 1));
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_CERT, m.payloads[0].u.cert.len = 1));
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_SAKKE, m.payloads[0].u.sakke.len = 1));
    EXPECT_INVALID((m.payloads[0].type = MCGK_MIKEY_PT_KEMAC, m.payloads[0].u.kemac.encr_len = 1));
#undef EXPECT_INVALID

    /* longer than MCGK_MIKEY_MAX_MSG_LEN: two 65535-octet CERTs */
    uint8_t *blob = calloc(1, UINT16_MAX);
    m = base;
    m.payloads[0].type = MCGK_MIKEY_PT_CERT;
    m.payloads[0].u.cert.len = UINT16_MAX;
    m.payloads[0].u.cert.data = blob;
    mcgk_mikey_payload *c2 = add(&m, MCGK_MIKEY_PT_CERT);
    c2->u.cert.len = UINT16_MAX;
    c2->u.cert.data = blob;
    CHECK_ERR(mcgk_mikey_encode(&m, NULL, 0, &n, NULL), MCGK_ERR_INVALID_ARG);
    free(blob);
}

/* ---- lookups and SP helpers ---------------------------------------------------------------- */

static void test_find_iterates_in_order(void)
{
    size_t len;
    uint8_t *msg = vector_message(0, &len);
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    size_t pos = 0, count = 0;
    const mcgk_mikey_payload *p;
    uint8_t roles[4] = {0};
    while ((p = mcgk_mikey_find(&m, MCGK_MIKEY_PT_IDR, &pos)) != NULL) {
        if (count < 4)
            roles[count] = p->u.idr.role;
        count++;
    }
    CHECK(count == 4 && roles[0] == 8 && roles[1] == 9 && roles[2] == 6 && roles[3] == 7);
    CHECK(mcgk_mikey_find(&m, MCGK_MIKEY_PT_SIGN, NULL) == &m.payloads[9]);
    CHECK(mcgk_mikey_find(&m, MCGK_MIKEY_PT_KEMAC, NULL) == NULL);
    CHECK(mcgk_mikey_find(NULL, MCGK_MIKEY_PT_T, NULL) == NULL);
    CHECK(mcgk_mikey_find_idr(NULL, 1) == NULL && mcgk_mikey_find_genext(NULL, 7) == NULL);
    free(msg);
}

static void test_sp_param_helpers(void)
{
    static const uint8_t v6[1] = {6}, v16[1] = {16};
    const mcgk_mikey_sp_param in[2] = {{0, 1, v6}, {20, 1, v16}};
    uint8_t buf[8];
    size_t n = 0;
    CHECK_OK(mcgk_mikey_sp_params_encode(in, 2, NULL, 0, &n));
    CHECK(n == 6);
    CHECK_ERR(mcgk_mikey_sp_params_encode(in, 2, buf, 5, &n), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK_OK(mcgk_mikey_sp_params_encode(in, 2, buf, sizeof buf, &n));
    static const uint8_t want[] = {0x00, 0x01, 0x06, 0x14, 0x01, 0x10};
    CHECK(n == 6);
    CHECK_MEM(buf, want, 6);
    CHECK_ERR(mcgk_mikey_sp_params_encode(NULL, 1, buf, sizeof buf, &n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_sp_params_encode(in, 2, buf, sizeof buf, NULL), MCGK_ERR_INVALID_ARG);
    const mcgk_mikey_sp_param nulval = {1, 3, NULL};
    CHECK_ERR(mcgk_mikey_sp_params_encode(&nulval, 1, buf, sizeof buf, &n), MCGK_ERR_INVALID_ARG);
    /* more than 65535 octets of parameters */
    static uint8_t big[255];
    mcgk_mikey_sp_param many[258];
    for (size_t i = 0; i < 258; i++)
        many[i] = (mcgk_mikey_sp_param){(uint8_t)i, 255, big};
    CHECK_ERR(mcgk_mikey_sp_params_encode(many, 258, NULL, 0, &n), MCGK_ERR_INVALID_ARG);

    mcgk_mikey_sp sp = {.params = want, .params_len = sizeof want};
    mcgk_mikey_sp_param prm;
    CHECK_OK(mcgk_mikey_sp_param_find(&sp, 20, &prm));
    CHECK(prm.len == 1 && prm.value[0] == 16);
    CHECK_ERR(mcgk_mikey_sp_param_find(&sp, 13, &prm), MCGK_ERR_NOT_FOUND);
    CHECK_ERR(mcgk_mikey_sp_param_find(&sp, 13, NULL), MCGK_ERR_INVALID_ARG);
    size_t cursor = 0;
    CHECK_ERR(mcgk_mikey_sp_param_next(NULL, &cursor, &prm), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_sp_param_next(&sp, NULL, &prm), MCGK_ERR_INVALID_ARG);
    /* a hand-made record whose list overruns */
    static const uint8_t bad[] = {0x00, 0x01, 0x06, 0x14, 0x05, 0x10};
    mcgk_mikey_sp sb = {.params = bad, .params_len = sizeof bad};
    CHECK_ERR(mcgk_mikey_sp_param_find(&sb, 13, &prm), MCGK_ERR_MALFORMED);
    mcgk_mikey_sp sn = {.params = NULL, .params_len = 3};
    CHECK_ERR(mcgk_mikey_sp_param_next(&sn, &cursor, &prm), MCGK_ERR_INVALID_ARG);
}

static void test_pp_aad_invalid_arg(void)
{
    static const uint8_t iv[16] = {0};
    uint8_t aad[MCGK_MIKEY_PP_AAD_LEN];
    mcgk_mikey_protected_payload kp = {.message_type = 0x43, .iv = iv};
    CHECK_OK(mcgk_mikey_pp_aad(&kp, aad));
    CHECK(aad[0] == 0x43 && aad[31] == 0);
    CHECK_ERR(mcgk_mikey_pp_aad(NULL, aad), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_pp_aad(&kp, NULL), MCGK_ERR_INVALID_ARG);
    kp.date_time = 1ull << 40;
    CHECK_ERR(mcgk_mikey_pp_aad(&kp, aad), MCGK_ERR_INVALID_ARG);
    kp.date_time = 0;
    kp.iv = NULL;
    CHECK_ERR(mcgk_mikey_pp_aad(&kp, aad), MCGK_ERR_INVALID_ARG);
}

/* ---- Key data sub-payloads ------------------------------------------------------------------- */

static const uint8_t k_key[16] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                  0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
static const uint8_t k_salt[14] = {0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26,
                                   0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d};
static const uint8_t k_spi[4] = {0x0a, 0xbc, 0xde, 0xf1};
static const uint8_t k_vf[2] = {0x00, 0x01}, k_vt[3] = {0x00, 0x00, 0x10};

static size_t key_chain(uint8_t *buf, size_t cap)
{
    mcgk_mikey_key_data kd[3] = {
        {.type = MCGK_MIKEY_KD_TGK, .kv = MCGK_MIKEY_KV_NULL, .key_len = 16, .key = k_key},
        {.type = MCGK_MIKEY_KD_TEK_SALT, .kv = MCGK_MIKEY_KV_SPI, .key_len = 16, .key = k_key,
         .salt_len = 14, .salt = k_salt, .spi_len = 4, .spi = k_spi},
        {.type = MCGK_MIKEY_KD_TGK_SALT, .kv = MCGK_MIKEY_KV_INTERVAL, .key_len = 16, .key = k_key,
         .salt_len = 14, .salt = k_salt, .vf_len = 2, .vf = k_vf, .vt_len = 3, .vt = k_vt},
    };
    size_t n = 0;
    CHECK_OK(mcgk_mikey_key_data_encode(kd, 3, buf, cap, &n));
    return n;
}

static void test_key_data_chain_round_trip(void)
{
    uint8_t buf[256], again[256];
    size_t len = key_chain(buf, sizeof buf);
    /* 4+16 | 4+16+2+14+1+4 | 4+16+2+14+1+2+1+3 */
    CHECK(len == 20 + 41 + 43);
    CHECK(buf[0] == 20 && buf[1] == 0x00 && buf[20] == 20 && buf[21] == 0x31 && buf[61] == 0);
    CHECK(buf[62] == 0x12);
    mcgk_mikey_key_data out[4];
    size_t n = 0;
    CHECK_OK(mcgk_mikey_key_data_parse(buf, len, out, 4, &n));
    CHECK(n == 3);
    CHECK(out[0].type == 0 && out[0].kv == 0 && out[0].key_len == 16 && out[0].salt_len == 0);
    CHECK(memcmp(out[0].key, k_key, 16) == 0);
    CHECK(out[1].type == 3 && out[1].kv == 1 && out[1].salt_len == 14 && out[1].spi_len == 4);
    CHECK(memcmp(out[1].salt, k_salt, 14) == 0 && memcmp(out[1].spi, k_spi, 4) == 0);
    CHECK(out[2].type == 1 && out[2].kv == 2 && out[2].vf_len == 2 && out[2].vt_len == 3);
    CHECK(memcmp(out[2].vt, k_vt, 3) == 0);
    size_t m = 0;
    CHECK_OK(mcgk_mikey_key_data_encode(out, n, again, sizeof again, &m));
    CHECK(m == len);
    CHECK_MEM(again, buf, len);
    mcgk_wipe(buf, sizeof buf);
    mcgk_wipe(again, sizeof again);
}

static void test_key_data_parse_errors(void)
{
    uint8_t buf[256];
    size_t len = key_chain(buf, sizeof buf), n = 77;
    mcgk_mikey_key_data out[MCGK_MIKEY_MAX_KEY_DATA + 1];
    memset(out, 0x5a, sizeof out);
    CHECK_ERR(mcgk_mikey_key_data_parse(NULL, 4, out, 4, &n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_key_data_parse(buf, len, NULL, 4, &n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_key_data_parse(buf, len, out, 4, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_key_data_parse(buf, 0, out, 4, &n), MCGK_ERR_MALFORMED);
    for (size_t k = 1; k < len; k++) {
        uint8_t *cut = malloc(k);
        memcpy(cut, buf, k);
        CHECK_ERR(mcgk_mikey_key_data_parse(cut, k, out, 4, &n), MCGK_ERR_TRUNCATED);
        free(cut);
    }
    buf[len] = 0;
    CHECK_ERR(mcgk_mikey_key_data_parse(buf, len + 1, out, 4, &n), MCGK_ERR_TRAILING_DATA);
    /* too many for the caller's array */
    CHECK_ERR(mcgk_mikey_key_data_parse(buf, len, out, 2, &n), MCGK_ERR_OVERSIZED);
    uint8_t save = buf[0];
    buf[0] = 5; /* a next payload other than Key data / Last */
    CHECK_ERR(mcgk_mikey_key_data_parse(buf, len, out, 4, &n), MCGK_ERR_MIKEY_PAYLOAD_TYPE);
    buf[0] = save;
    buf[1] = 0x40; /* Type 4 */
    CHECK_ERR(mcgk_mikey_key_data_parse(buf, len, out, 4, &n), MCGK_ERR_UNSUPPORTED);
    buf[1] = 0x03; /* KV 3 */
    CHECK_ERR(mcgk_mikey_key_data_parse(buf, len, out, 4, &n), MCGK_ERR_UNSUPPORTED);
    CHECK(n == 77 && out[0].type == 0x5a);
    /* more than MCGK_MIKEY_MAX_KEY_DATA in the chain */
    uint8_t many[5 * (MCGK_MIKEY_MAX_KEY_DATA + 1)];
    for (size_t i = 0; i <= MCGK_MIKEY_MAX_KEY_DATA; i++) {
        uint8_t one[] = {i < MCGK_MIKEY_MAX_KEY_DATA ? 20 : 0, 0x00, 0x00, 0x01, 0x99};
        memcpy(many + 5 * i, one, 5);
    }
    CHECK_ERR(mcgk_mikey_key_data_parse(many, sizeof many, out, MCGK_MIKEY_MAX_KEY_DATA + 1, &n),
              MCGK_ERR_OVERSIZED);
    CHECK_OK(
        mcgk_mikey_key_data_parse(many + 5, sizeof many - 5, out, MCGK_MIKEY_MAX_KEY_DATA, &n));
    CHECK(n == MCGK_MIKEY_MAX_KEY_DATA);
    mcgk_wipe(buf, sizeof buf);
}

static void test_key_data_encode_errors(void)
{
    mcgk_mikey_key_data kd = {.type = 0, .kv = 0, .key_len = 16, .key = k_key};
    mcgk_mikey_key_data many[MCGK_MIKEY_MAX_KEY_DATA + 1];
    uint8_t buf[64];
    size_t n = 0;
    CHECK_OK(mcgk_mikey_key_data_encode(&kd, 1, NULL, 0, &n));
    CHECK(n == 20);
    memset(buf, 0xa5, sizeof buf);
    CHECK_ERR(mcgk_mikey_key_data_encode(&kd, 1, buf, 19, &n), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(buf[0] == 0xa5);
    CHECK_ERR(mcgk_mikey_key_data_encode(NULL, 1, buf, sizeof buf, &n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_key_data_encode(&kd, 0, buf, sizeof buf, &n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_key_data_encode(&kd, 1, buf, sizeof buf, NULL), MCGK_ERR_INVALID_ARG);
    for (size_t i = 0; i <= MCGK_MIKEY_MAX_KEY_DATA; i++)
        many[i] = kd;
    CHECK_ERR(mcgk_mikey_key_data_encode(many, MCGK_MIKEY_MAX_KEY_DATA + 1, NULL, 0, &n),
              MCGK_ERR_INVALID_ARG);
    kd.type = 4;
    CHECK_ERR(mcgk_mikey_key_data_encode(&kd, 1, buf, sizeof buf, &n), MCGK_ERR_INVALID_ARG);
    kd.type = 0;
    kd.kv = 3;
    CHECK_ERR(mcgk_mikey_key_data_encode(&kd, 1, buf, sizeof buf, &n), MCGK_ERR_INVALID_ARG);
    kd.kv = 0;
    kd.key = NULL;
    CHECK_ERR(mcgk_mikey_key_data_encode(&kd, 1, buf, sizeof buf, &n), MCGK_ERR_INVALID_ARG);
}

/* ---- transport encodings -------------------------------------------------------------------- */

static void check_unwrap(const char *text, const uint8_t *want, size_t want_len)
{
    size_t n = 0;
    uint8_t *out = malloc(want_len + 4);
    CHECK_OK(mcgk_mikey_unwrap((const uint8_t *)text, strlen(text), NULL, 0, &n));
    CHECK(n == want_len);
    CHECK_OK(mcgk_mikey_unwrap((const uint8_t *)text, strlen(text), out, want_len + 4, &n));
    CHECK(n == want_len);
    CHECK_MEM(out, want, want_len);
    free(out);
}

static void test_unwrap_every_input_form(void)
{
    size_t len;
    uint8_t *msg = vector_message(0, &len);
    const char *b64 = mcgk_vec_str(g_sw, "imessage.1.GMK", "i_message_base64");
    size_t blen = strlen(b64);
    char *text = malloc(blen + 512);

    /* binary */
    uint8_t *out = malloc(len);
    size_t n = 0;
    CHECK_OK(mcgk_mikey_unwrap(msg, len, out, len, &n));
    CHECK(n == len);
    CHECK_MEM(out, msg, len);
    /* raw base64, with and without surrounding whitespace */
    check_unwrap(b64, msg, len);
    snprintf(text, blen + 512, "  \r\n%s\r\n\n", b64);
    check_unwrap(text, msg, len);
    /* Streamwide's "mikey <base64>" */
    snprintf(text, blen + 512, "mikey %s\n", b64);
    check_unwrap(text, msg, len);
    /* the SDP attribute, alone and inside an SDP body with another key-mgmt line first */
    snprintf(text, blen + 512, "a=key-mgmt:mikey %s\r\n", b64);
    check_unwrap(text, msg, len);
    snprintf(text, blen + 512, "key-mgmt:mikey  %s", b64);
    check_unwrap(text, msg, len);
    snprintf(text, blen + 512,
             "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\na=key-mgmt:other Zm9v\r\n"
             "a=key-mgmt:mikey %s\r\nm=audio 4000 RTP/SAVP 0\r\n",
             b64);
    check_unwrap(text, msg, len);
    /* base64 wrapped at 76 columns, as base64(1) writes it */
    size_t o = 0;
    for (size_t i = 0; i < blen; i += 76) {
        size_t k = blen - i < 76 ? blen - i : 76;
        memcpy(text + o, b64 + i, k);
        o += k;
        text[o++] = '\n';
    }
    text[o] = '\0';
    check_unwrap(text, msg, len);
    free(out);
    free(text);
    free(msg);
}

static void test_unwrap_errors(void)
{
    uint8_t out[64];
    size_t n = 55;
    memset(out, 0xa5, sizeof out);
#define UNWRAP(s) mcgk_mikey_unwrap((const uint8_t *)(s), strlen(s), out, sizeof out, &n)
    CHECK_ERR(UNWRAP(""), MCGK_ERR_MALFORMED);
    CHECK_ERR(UNWRAP(" \r\n \n"), MCGK_ERR_MALFORMED);
    CHECK_ERR(UNWRAP("ARoF*QA="), MCGK_ERR_BASE64);
    CHECK_OK(UNWRAP("a=key-mgmt:mikey ARoF"));
    CHECK(n == 3 && out[0] == 0x01 && out[1] == 0x1a && out[2] == 0x05);
    memset(out, 0xa5, sizeof out);
    CHECK_ERR(UNWRAP("a=key-mgmt:mikey AR=F"), MCGK_ERR_BASE64);
    CHECK_ERR(UNWRAP("mikey AR oF"), MCGK_ERR_BASE64);
    CHECK_ERR(UNWRAP("mikeyARoF"), MCGK_ERR_BASE64);
    CHECK_ERR(UNWRAP("a=key-mgmt:kerberos Zm9v\r\n"), MCGK_ERR_UNSUPPORTED);
    /* '=' may only end the last line of wrapped base64 */
    CHECK_ERR(UNWRAP("Zg==\nZm9v\n"), MCGK_ERR_BASE64);
    CHECK_OK(UNWRAP("Zm9v\nZg==\n"));
    CHECK(n == 4 && memcmp(out, "foof", 4) == 0);
    memset(out, 0xa5, sizeof out);
    CHECK_ERR(mcgk_mikey_unwrap((const uint8_t *)"Zm9vYmFy", 8, out, 5, &n),
              MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK_ERR(mcgk_mikey_unwrap((const uint8_t *)"Zm9vYmFy\nZm9v", 13, out, 8, &n),
              MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK_ERR(mcgk_mikey_unwrap((const uint8_t *)"mikey Zm9vYmFy", 14, out, 5, &n),
              MCGK_ERR_BUFFER_TOO_SMALL);
    static const uint8_t bin[3] = {0x01, 0x1a, 0x05};
    CHECK_ERR(mcgk_mikey_unwrap(bin, 3, out, 2, &n), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(out[0] == 0xa5);
    CHECK_ERR(mcgk_mikey_unwrap(NULL, 3, out, sizeof out, &n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_unwrap(bin, 3, out, sizeof out, NULL), MCGK_ERR_INVALID_ARG);
#undef UNWRAP
}

static void test_sdp_attr_round_trip(void)
{
    size_t len, n = 0, back = 0;
    uint8_t *msg = vector_message(1, &len);
    const char *b64 = mcgk_vec_str(g_sw, "imessage.2.CSK", "i_message_base64");
    CHECK_OK(mcgk_mikey_sdp_attr(msg, len, NULL, 0, &n));
    CHECK(n == 17 + strlen(b64));
    char *line = malloc(n + 1);
    CHECK_ERR(mcgk_mikey_sdp_attr(msg, len, line, n, &n), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK_OK(mcgk_mikey_sdp_attr(msg, len, line, n + 1, &n));
    CHECK(strncmp(line, "a=key-mgmt:mikey ", 17) == 0 && strcmp(line + 17, b64) == 0);
    uint8_t *out = malloc(len);
    CHECK_OK(mcgk_mikey_unwrap((const uint8_t *)line, n, out, len, &back));
    CHECK(back == len);
    CHECK_MEM(out, msg, len);
    CHECK_ERR(mcgk_mikey_sdp_attr(NULL, 3, line, n + 1, &n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_sdp_attr(msg, len, line, n + 1, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_sdp_attr(msg, MCGK_MIKEY_MAX_MSG_LEN + 1, line, n + 1, &n),
              MCGK_ERR_INVALID_ARG);
    free(out);
    free(line);
    free(msg);
}

/* ---- names ---------------------------------------------------------------------------------- */

static void test_registry_names(void)
{
    CHECK(strcmp(mcgk_mikey_payload_name(MCGK_MIKEY_PT_SAKKE), "SAKKE") == 0);
    CHECK(mcgk_mikey_payload_name(18) == NULL && mcgk_mikey_payload_name(255) == NULL);
    CHECK(strcmp(mcgk_mikey_data_type_name(26), "SAKKE I_MESSAGE") == 0);
    CHECK(mcgk_mikey_data_type_name(11) == NULL);
    CHECK(strcmp(mcgk_mikey_role_name(8), "IDRuidi (initiator UID, identity hiding)") == 0);
    CHECK(mcgk_mikey_role_name(0) == NULL && mcgk_mikey_role_name(10) == NULL);
    CHECK(strcmp(mcgk_mikey_purpose_name(MCGK_MIKEY_PURPOSE_OF(0x2ddd5bf0)),
                 "CSK (client-server key)") == 0);
    CHECK(mcgk_mikey_purpose_name(7) == NULL);
    CHECK(strcmp(mcgk_mikey_srtp_param_name(20), "AEAD authentication tag length") == 0);
    CHECK(mcgk_mikey_srtp_param_name(14) == NULL);
    CHECK(strcmp(mcgk_mikey_srtp_param_value_name(0, 6), "AES-GCM") == 0);
    CHECK(strcmp(mcgk_mikey_srtp_param_value_name(2, 4), "RCCm3") == 0);
    CHECK(strcmp(mcgk_mikey_srtp_param_value_name(8, 1), "on") == 0);
    CHECK(mcgk_mikey_srtp_param_value_name(1, 16) == NULL);
    CHECK(strcmp(mcgk_mikey_cs_id_name(4), "MCPTT group call") == 0);
    CHECK(strcmp(mcgk_mikey_sign_type_name(2), "ECCSI") == 0);
    CHECK(strcmp(mcgk_mikey_ext_type_name(6), "SAKKE-to-self") == 0);
    CHECK(strcmp(mcgk_mikey_sakke_scheme_name(2), "3GPP hashed UID (TS 33.180)") == 0);
    CHECK(strcmp(mcgk_mikey_err_no_name(12), "Unspecified error") == 0);
    CHECK(mcgk_mikey_prf_name(1) && mcgk_mikey_map_type_name(2) && mcgk_mikey_ts_type_name(0));
    CHECK(mcgk_mikey_id_type_name(2) && mcgk_mikey_encr_alg_name(1) && mcgk_mikey_mac_alg_name(1));
    CHECK(mcgk_mikey_kd_type_name(3) && mcgk_mikey_kv_name(2) && mcgk_mikey_prot_name(0));
    CHECK(mcgk_mikey_kd_type_name(4) == NULL && mcgk_mikey_prot_name(1) == NULL);
    CHECK(strcmp(mcgk_err_name(MCGK_ERR_MIKEY_PAYLOAD_TYPE), "mikey-payload-type") == 0);
    CHECK(strcmp(mcgk_err_name(MCGK_ERR_MIKEY_VERSION), "mikey-version") == 0);
    CHECK(strcmp(mcgk_err_name(MCGK_ERR_MIKEY_CS_MAP), "mikey-cs-map") == 0);
}

int main(void)
{
    g_sw = mcgk_vec_load("streamwide-mikey-sakke.txt");
    g_syn = mcgk_vec_load("synthetic-gmk-imessage.txt");

    TEST_RUN(test_streamwide_gmk_message_fields);
    TEST_RUN(test_streamwide_csk_message_fields);
    TEST_RUN(test_streamwide_pck_message_fields);
    TEST_RUN(test_streamwide_legacy_iwf_message_fields);
    TEST_RUN(test_synthetic_gmk_message_fields);

    TEST_RUN(test_every_byte_flip_rejected_or_round_trips);
    TEST_RUN(test_every_truncation_rejected);
    TEST_RUN(test_appended_data_rejected);
    TEST_RUN(test_random_payload_chains_total);

    TEST_RUN(test_parse_error_invalid_arg);
    TEST_RUN(test_parse_error_version);
    TEST_RUN(test_parse_error_unknown_payload_type);
    TEST_RUN(test_parse_error_unsupported);
    TEST_RUN(test_parse_error_cs_map);
    TEST_RUN(test_parse_error_oversized);
    TEST_RUN(test_parse_error_malformed);
    TEST_RUN(test_parse_error_trailing_data);
    TEST_RUN(test_parse_error_truncated);
    TEST_RUN(test_failed_parse_leaves_output_untouched);

    TEST_RUN(test_error_message_encodes_and_parses);
    TEST_RUN(test_verification_message_srtp_id_map_counter_v);
    TEST_RUN(test_psk_message_kemac_key_data);
    TEST_RUN(test_generic_id_map_session_data);
    TEST_RUN(test_opaque_payloads_and_extensions);
    TEST_RUN(test_key_params_envelope_forms);
    TEST_RUN(test_builder_sign_placeholder_flow);
    TEST_RUN(test_encode_buffer_too_small_writes_nothing);
    TEST_RUN(test_encode_invalid_arg);

    TEST_RUN(test_find_iterates_in_order);
    TEST_RUN(test_sp_param_helpers);
    TEST_RUN(test_pp_aad_invalid_arg);
    TEST_RUN(test_key_data_chain_round_trip);
    TEST_RUN(test_key_data_parse_errors);
    TEST_RUN(test_key_data_encode_errors);

    TEST_RUN(test_unwrap_every_input_form);
    TEST_RUN(test_unwrap_errors);
    TEST_RUN(test_sdp_attr_round_trip);
    TEST_RUN(test_registry_names);

    mcgk_vec_free(g_sw);
    mcgk_vec_free(g_syn);
    TEST_MAIN_END();
}
