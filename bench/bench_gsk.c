/*
 * The gsk suite of mcgk-bench: the ProSe GSK message (mcgk/gsk_message.h), a
 * MIKEY pre-shared-key I_MESSAGE under the GMK, built by the session
 * initiator and opened by a member.
 *
 *   gsk_create          mcgk_gsk_build, unsigned: fresh CSB ID, RAND and GSK,
 *                       three PRF-HMAC-SHA-256 transport keys, AES-CM, HMAC-SHA-1,
 *                       the encoding. Beside it ("floor"): the same transport keys,
 *                       AES-CM and MAC called directly (mcgk's primitives).
 *   gsk_open            mcgk_gsk_open of that message (parse, profile, window, GMK
 *                       lookup, keys, MAC, decryption, Key data), no replay cache.
 *                       Floor: transport keys + MAC + AES-CM.
 *   gsk_create_signed   the same with the initiator's ECCSI signature (IDRi,
 *                       IDRkmsi, SIGN). Floor: mcgk_eccsi_sign of a message of the
 *                       same length.
 *   gsk_open_signed     the same with the signature verified (UID computed per
 *                       call). Floor: mcgk_eccsi_verify of it.
 * The floor column is what the message layer cannot avoid; the ratio shows
 * its own cost (parsing, encoding, checks).
 *
 * Secrets: test keys only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "mcgk/gsk_message.h"
#include "mcgk/platform.h"

#define MSG_CAP 1024
#define KMS_URI "kms.bench.example"
#define UE_URI "sip:ue1@bench.example"
#define PERIOD_S 2592000
#define GMK_ID 0x0a1b2c3du

typedef struct gsk_ctx {
    const mcgk_rng *rng;
    uint64_t now_unix_s;
    uint8_t gmk[MCGK_KEY_LEN];
    uint8_t ksak[MCGK_ECCSI_SCALAR_LEN], kpak[MCGK_ECCSI_POINT_LEN];
    uint8_t uid[MCGK_UID_LEN];
    mcgk_eccsi_signer signer;
    mcgk_gmk_kms kms;
    mcgk_gsk_build_cfg plain, sig;
    mcgk_gsk_open_cfg ocfg;
    uint8_t msg[MSG_CAP], smsg[MSG_CAP], out[MSG_CAP];
    size_t len, slen, signed_len;
    const uint8_t *sig_at;
} gsk_ctx;

static int lookup(void *ctx, unsigned purpose, uint32_t key_id, uint8_t key[MCGK_KEY_LEN])
{
    const gsk_ctx *c = ctx;
    (void)purpose;
    if (key_id != GMK_ID)
        return 0;
    memcpy(key, c->gmk, MCGK_KEY_LEN);
    return 1;
}

static const mcgk_gmk_kms *signer_kms(void *ctx, const char *uri, const char *kms_uri)
{
    (void)uri;
    (void)kms_uri;
    return &((const gsk_ctx *)ctx)->kms;
}

/* ---- operations ------------------------------------------------------------------------ */

static int build(gsk_ctx *c, const mcgk_gsk_build_cfg *cfg)
{
    size_t n = 0;
    mcgk_gsk_sealed s;
    int bad = mcgk_gsk_build(cfg, c->rng, c->out, sizeof c->out, &n, &s) != MCGK_OK;
    mcgk_gsk_sealed_clear(&s);
    return bad;
}

static int open_msg(gsk_ctx *c, const uint8_t *msg, size_t len, int is_signed)
{
    mcgk_gsk_result r;
    int bad = mcgk_gsk_open(&c->ocfg, msg, len, c->now_unix_s, &r, NULL) != MCGK_OK ||
              r.is_signed != is_signed;
    mcgk_gsk_result_clear(&r);
    return bad;
}

static int m_create(void *p, size_t i)
{
    (void)i;
    gsk_ctx *c = p;
    return build(c, &c->plain);
}

static int m_create_signed(void *p, size_t i)
{
    (void)i;
    gsk_ctx *c = p;
    return build(c, &c->sig);
}

static int m_open(void *p, size_t i)
{
    (void)i;
    gsk_ctx *c = p;
    return open_msg(c, c->msg, c->len, 0);
}

static int m_open_signed(void *p, size_t i)
{
    (void)i;
    gsk_ctx *c = p;
    return open_msg(c, c->smsg, c->slen, 1);
}

/* the cryptography of a PSK KEMAC: transport keys, AES-CM of 20 octets, the MAC */
static int f_kemac(void *p, size_t i)
{
    gsk_ctx *c = p;
    mcgk_mikey_psk_keys k;
    uint8_t iv[16], kd[20] = {0}, mac[20];
    int bad = mcgk_mikey_psk_keys_derive(c->gmk, MCGK_KEY_LEN, (uint32_t)i, c->gmk, 16, &k) !=
                  MCGK_OK;
    mcgk_mikey_aes_cm_iv(k.salt, (uint32_t)i, i, iv);
    bad |= mcgk_mikey_aes_cm(k.encr, iv, kd, sizeof kd, kd) != MCGK_OK;
    bad |= mcgk_mikey_kemac_mac(k.auth, c->msg, c->len - 20, mac) != MCGK_OK;
    mcgk_mikey_psk_keys_clear(&k);
    return bad;
}

static int f_sign(void *p, size_t i)
{
    (void)i;
    gsk_ctx *c = p;
    uint8_t sig[MCGK_ECCSI_SIG_LEN];
    return mcgk_eccsi_sign(&c->signer, c->smsg, c->signed_len, c->rng, sig) != MCGK_OK;
}

static int f_verify(void *p, size_t i)
{
    (void)i;
    gsk_ctx *c = p;
    return mcgk_eccsi_verify(c->kpak, c->uid, MCGK_UID_LEN, c->smsg, c->signed_len, c->sig_at) !=
           MCGK_OK;
}

/* ---- set-up -------------------------------------------------------------------------------- */

static int setup(gsk_ctx *c)
{
    c->rng = mcgk_rng_system();
    c->now_unix_s = mcgk_now_unix_s();
    uint64_t t = c->now_unix_s + MCGK_NTP_UNIX_OFFSET_S, pno = 0;
    uint8_t ssk[MCGK_ECCSI_SCALAR_LEN], pvt[MCGK_ECCSI_POINT_LEN];
    int bad = mcgk_rng_bytes(c->rng, c->gmk, sizeof c->gmk) != MCGK_OK ||
              mcgk_eccsi_kms_keygen(c->rng, c->ksak, c->kpak) != MCGK_OK ||
              mcgk_key_period_no(t, PERIOD_S, 0, &pno) != MCGK_OK ||
              mcgk_uid(UE_URI, strlen(UE_URI), KMS_URI, strlen(KMS_URI), PERIOD_S, 0, pno,
                       c->uid) != MCGK_OK ||
              mcgk_eccsi_issue(c->ksak, c->uid, MCGK_UID_LEN, c->rng, ssk, pvt) != MCGK_OK ||
              mcgk_eccsi_signer_init(&c->signer, c->kpak, c->uid, MCGK_UID_LEN, ssk, pvt) !=
                  MCGK_OK;
    mcgk_wipe(ssk, sizeof ssk);
    if (bad) {
        bench_fail("gsk: key set-up failed");
        return -1;
    }
    c->kms.kms_uri = KMS_URI;
    c->kms.period_s = PERIOD_S;
    c->kms.offset_s = 0;
    c->kms.kpak = c->kpak;
    c->kms.community = NULL;
    memset(&c->plain, 0, sizeof c->plain);
    c->plain.gmk = c->gmk;
    c->plain.gmk_id = GMK_ID;
    c->plain.gsk = NULL; /* a fresh GSK every time, as an initiator does */
    c->plain.ts_ntp_s = t;
    c->sig = c->plain;
    c->sig.initiator_uri = UE_URI;
    c->sig.signer = &c->signer;
    c->sig.signer_kms = &c->kms;
    mcgk_gsk_open_cfg_init(&c->ocfg);
    c->ocfg.lookup = lookup;
    c->ocfg.lookup_ctx = c;
    c->ocfg.signer_kms = signer_kms;
    c->ocfg.signer_kms_ctx = c;
    mcgk_gsk_sealed s;
    bad = mcgk_gsk_build(&c->plain, c->rng, c->msg, sizeof c->msg, &c->len, &s) != MCGK_OK ||
          mcgk_gsk_build(&c->sig, c->rng, c->smsg, sizeof c->smsg, &c->slen, &s) != MCGK_OK;
    mcgk_gsk_sealed_clear(&s);
    if (bad) {
        bench_fail("gsk: building the messages failed");
        return -1;
    }
    c->signed_len = c->slen - MCGK_ECCSI_SIG_LEN;
    c->sig_at = c->smsg + c->signed_len;
    return 0;
}

static void run_gsk(const bench_opts *o)
{
    gsk_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        bench_fail("gsk: out of memory");
        return;
    }
    if (setup(c) == 0) {
        printf("# ProSe GSK message: %zu octets unsigned, %zu signed\n", c->len, c->slen);
        double kemac = bench_time_op("kemac primitives", f_kemac, c, o, NULL);
        double sign = bench_time_op("eccsi sign", f_sign, c, o, NULL);
        double verify = bench_time_op("eccsi verify", f_verify, c, o, NULL);
        bench_report("gsk_create", bench_time_op("gsk_create", m_create, c, o, NULL), kemac);
        bench_report("gsk_open", bench_time_op("gsk_open", m_open, c, o, NULL), kemac);
        bench_report("gsk_create_signed",
                     bench_time_op("gsk_create_signed", m_create_signed, c, o, NULL), sign);
        bench_report("gsk_open_signed",
                     bench_time_op("gsk_open_signed", m_open_signed, c, o, NULL), verify);
    }
    mcgk_eccsi_signer_clear(&c->signer);
    mcgk_wipe(c, sizeof *c);
    free(c);
}

BENCH_SUITE("gsk", "floor", run_gsk)
