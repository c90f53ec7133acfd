/*
 * The srtp suite of mcgk-bench: group media protection under GMK-derived keys
 * (TS 33.180 §7.4.2) - mcgk's libsrtp2 wrapper beside libsrtp2 called directly on
 * the same keys, and MCData payloads. One core, one thread.
 *
 * Operations (microseconds; "libsrtp" column = raw libsrtp2 with the same master
 * key, salt, MKI and AEAD_AES_128_GCM policy, i.e. the wrapper's overhead):
 *   srtp_key_derive          master key + salt + MKI of one sender (two MIKEY PRF
 *                            calls, HMAC-SHA-256), a different GUK-ID every call
 *   srtp_protect_160         per packet: one RTP packet with a 160-octet G.711 payload
 *                            (20 ms), protected in place with the MKI
 *   srtp_unprotect_160       per packet: the receiver with the sender's key cached
 *                            (MKI lookup + libsrtp)
 *   srtp_rx_new_sender       the receiver's first packet of a new sender: key-store
 *                            lookup, derivation, a libsrtp context, unprotect (the
 *                            packets, one per sender, are protected untimed)
 *   mcdata_protect_160 / mcdata_unprotect_160
 *                            one 160-octet MCData payload sealed / opened (DPCK
 *                            derivation + AES-128-GCM with the 16-octet IV)
 * Per-packet figures are the median over o->calls batches of 256 packets (the
 * packets of a batch are prepared untimed), and are also printed as packets per
 * second per core.
 *
 * Secrets: a fixed test GMK.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "bench.h"
#include "mcgk/mcdata.h"
#include "mcgk/platform.h"
#include "mcgk/srtp.h"

#define BATCH 256
#define PAYLOAD 160
#define PKT_WORDS 64 /* 256 octets: header + 160 + tag + MKI fit */

static const uint8_t k_gmk[16] = {0x07, 0xd1, 0xa1, 0x67, 0x7a, 0xc3, 0x6d, 0x8e,
                                  0x81, 0x62, 0x04, 0x84, 0x68, 0x9b, 0x3c, 0x2d};
static const uint8_t k_rand[16] = {0xca, 0x2f, 0x5d, 0x51, 0xff, 0x08, 0x66, 0x36,
                                   0x2c, 0x1d, 0x85, 0xa5, 0x6f, 0x84, 0x65, 0x1e};
#define GMK_ID 0x0df9bc39u
#define GUK_ID 0x06a12aeau /* Streamwide's alice */

typedef struct pkt {
    uint32_t w[PKT_WORDS];
    int len;
} pkt;

static pkt g_a[BATCH], g_b[BATCH];

static mcgk_err lookup(void *ctx, uint32_t id, mcgk_media_key *out)
{
    (void)ctx;
    if (id != GMK_ID)
        return MCGK_ERR_UNKNOWN_KEY_ID;
    memcpy(out->key, k_gmk, 16);
    memcpy(out->rand, k_rand, 16);
    out->rand_len = 16;
    out->uses = MCGK_MEDIA_USE_ALL;
    return MCGK_OK;
}

static size_t rtp_build(uint8_t *p, uint16_t seq, uint32_t ssrc)
{
    p[0] = 0x80;
    p[1] = 0x00;
    p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
    uint32_t ts = (uint32_t)seq * PAYLOAD;
    p[4] = (uint8_t)(ts >> 24), p[5] = (uint8_t)(ts >> 16), p[6] = (uint8_t)(ts >> 8);
    p[7] = (uint8_t)ts;
    p[8] = (uint8_t)(ssrc >> 24), p[9] = (uint8_t)(ssrc >> 16), p[10] = (uint8_t)(ssrc >> 8);
    p[11] = (uint8_t)ssrc;
    memset(p + 12, 0xd5, PAYLOAD);
    return 12 + PAYLOAD;
}

/* raw libsrtp with the same key material and policy as mcgk's wrapper */
static srtp_t raw_session(const mcgk_srtp_keys *k, srtp_ssrc_type_t type)
{
    uint8_t material[28], mki[8];
    memcpy(material, k->master_key, 16);
    memcpy(material + 16, k->master_salt, 12);
    memcpy(mki, k->mki, 8);
    srtp_master_key_t mk = {material, mki, 8};
    srtp_master_key_t *keys[1] = {&mk};
    srtp_policy_t p;
    memset(&p, 0, sizeof p);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
    p.ssrc.type = type;
    p.keys = keys;
    p.num_master_keys = 1;
    srtp_t s = NULL;
    if (srtp_create(&s, &p) != srtp_err_status_ok)
        s = NULL;
    mcgk_wipe(material, sizeof material);
    return s;
}

static double per_packet(double t0, double t1)
{
    return (t1 - t0) / BATCH;
}

/* ---- key derivation ------------------------------------------------------------------- */

static int op_derive(void *ctx, size_t i)
{
    (void)ctx;
    mcgk_srtp_keys k;
    mcgk_err e = mcgk_srtp_keys_derive(k_gmk, GMK_ID, (uint32_t)(GUK_ID + i), k_rand, 16, 4, &k);
    mcgk_srtp_keys_clear(&k);
    return e != MCGK_OK;
}

/* packets from distinct senders (one GUK-ID each), protected untimed */
typedef struct new_sender_ctx {
    mcgk_srtp_rx *rx;
    pkt *pkts;
    size_t n;
} new_sender_ctx;

static int op_new_sender(void *ctx, size_t i)
{
    new_sender_ctx *c = ctx;
    if (i >= c->n)
        return 1;
    size_t out = 0;
    mcgk_srtp_origin f;
    return mcgk_srtp_rx_unprotect_rtp(c->rx, (uint8_t *)c->pkts[i].w, (size_t)c->pkts[i].len,
                                      &out, &f) != MCGK_OK ||
           !f.new_sender;
}

static int prepare_new_senders(new_sender_ctx *c, size_t n)
{
    c->pkts = calloc(n, sizeof *c->pkts);
    if (c->pkts == NULL)
        return 0;
    c->n = n;
    for (size_t i = 0; i < n; i++) {
        uint32_t guk = 0x01000000u + (uint32_t)i;
        mcgk_srtp_tx_cfg cfg = {4, {k_gmk, GMK_ID, guk, k_rand, 16}, NULL};
        mcgk_srtp_tx *tx = NULL;
        size_t len = rtp_build((uint8_t *)c->pkts[i].w, 1, guk), out = 0;
        int ok = mcgk_srtp_tx_new(&cfg, &tx) == MCGK_OK &&
                 mcgk_srtp_tx_protect_rtp(tx, (uint8_t *)c->pkts[i].w, len,
                                          sizeof c->pkts[i].w, &out) == MCGK_OK;
        mcgk_srtp_tx_free(tx);
        if (!ok)
            return 0;
        c->pkts[i].len = (int)out;
    }
    return 1;
}

/* ---- MCData ------------------------------------------------------------------------- */

typedef struct mcdata_ctx {
    const mcgk_rng *rng;
    uint8_t payload[PAYLOAD];
    uint8_t env[PAYLOAD + MCGK_MCDATA_OVERHEAD];
    uint8_t out[PAYLOAD];
    size_t env_len;
} mcdata_ctx;

static int op_mcdata_protect(void *ctx, size_t i)
{
    (void)i;
    mcdata_ctx *c = ctx;
    return mcgk_mcdata_protect(k_gmk, GMK_ID, NULL, c->rng, c->payload, PAYLOAD, c->env,
                               sizeof c->env, &c->env_len) != MCGK_OK;
}

static int op_mcdata_unprotect(void *ctx, size_t i)
{
    (void)i;
    mcdata_ctx *c = ctx;
    size_t n = 0;
    return mcgk_mcdata_unprotect(lookup, NULL, c->env, c->env_len, c->out, sizeof c->out, &n,
                                 NULL, NULL) != MCGK_OK ||
           n != PAYLOAD;
}

/* ---- the suite ------------------------------------------------------------------------ */

static void report_pps(const char *op, double mcgk_us, double raw_us)
{
    bench_report(op, mcgk_us, raw_us);
    printf("# %s: %.0f packets/s per core (mcgk), %.0f (libsrtp direct)\n", op,
           mcgk_us > 0 ? 1e6 / mcgk_us : 0.0, raw_us > 0 ? 1e6 / raw_us : 0.0);
}

static void run_srtp(const bench_opts *o)
{
    int failed = 0;
    double m = bench_time_op("srtp_key_derive", op_derive, NULL, o, &failed);
    bench_report("srtp_key_derive", m, -1.0);

    mcgk_srtp_keys k;
    if (mcgk_srtp_keys_derive(k_gmk, GMK_ID, GUK_ID, k_rand, 16, 4, &k) != MCGK_OK) {
        bench_fail("srtp: key derivation");
        return;
    }
    mcgk_srtp_tx_cfg tcfg = {4, {k_gmk, GMK_ID, GUK_ID, k_rand, 16}, NULL};
    mcgk_srtp_rx_cfg rcfg = {4, lookup, NULL, 0, 0};
    mcgk_srtp_tx *tx = NULL;
    mcgk_srtp_rx *rx = NULL;
    srtp_t raw_tx = NULL, raw_rx = NULL;
    int calls = o->calls + o->warmup;
    double *tm = calloc((size_t)calls, sizeof *tm), *tr = calloc((size_t)calls, sizeof *tr);
    if (tm == NULL || tr == NULL || mcgk_srtp_tx_new(&tcfg, &tx) != MCGK_OK ||
        mcgk_srtp_rx_new(&rcfg, &rx) != MCGK_OK ||
        (raw_tx = raw_session(&k, ssrc_any_outbound)) == NULL ||
        (raw_rx = raw_session(&k, ssrc_any_inbound)) == NULL) {
        bench_fail("srtp: set-up");
        goto out;
    }

    /* protect: mcgk (SSRC 1) and raw libsrtp (SSRC 2), fresh sequence numbers */
    uint32_t seq = 0;
    for (int c = 0; c < calls; c++) {
        for (int i = 0; i < BATCH; i++) {
            g_a[i].len = (int)rtp_build((uint8_t *)g_a[i].w, (uint16_t)(seq + i), 1);
            g_b[i].len = (int)rtp_build((uint8_t *)g_b[i].w, (uint16_t)(seq + i), 2);
        }
        seq += BATCH;
        double t0 = bench_now_us();
        for (int i = 0; i < BATCH; i++) {
            size_t out = 0;
            if (mcgk_srtp_tx_protect_rtp(tx, (uint8_t *)g_a[i].w, (size_t)g_a[i].len,
                                         sizeof g_a[i].w, &out) != MCGK_OK)
                failed = 1;
        }
        double t1 = bench_now_us();
        for (int i = 0; i < BATCH; i++)
            if (srtp_protect_mki(raw_tx, g_b[i].w, &g_b[i].len, 1, 0) != srtp_err_status_ok)
                failed = 1;
        double t2 = bench_now_us();
        tm[c] = per_packet(t0, t1);
        tr[c] = per_packet(t1, t2);
    }
    report_pps("srtp_protect_160", bench_median(tm + o->warmup, (size_t)o->calls),
               bench_median(tr + o->warmup, (size_t)o->calls));

    /* unprotect: packets protected untimed (by mcgk's sender), each consumed once by
       mcgk's receiver and once by a raw libsrtp receiver */
    seq = 0;
    for (int c = 0; c < calls; c++) {
        for (int i = 0; i < BATCH; i++) {
            size_t n = rtp_build((uint8_t *)g_a[i].w, (uint16_t)(seq + i), 3), out = 0;
            mcgk_srtp_tx_protect_rtp(tx, (uint8_t *)g_a[i].w, n, sizeof g_a[i].w, &out);
            g_a[i].len = (int)out;
            g_b[i] = g_a[i];
        }
        seq += BATCH;
        double t0 = bench_now_us();
        for (int i = 0; i < BATCH; i++) {
            size_t out = 0;
            if (mcgk_srtp_rx_unprotect_rtp(rx, (uint8_t *)g_a[i].w, (size_t)g_a[i].len, &out,
                                           NULL) != MCGK_OK)
                failed = 1;
        }
        double t1 = bench_now_us();
        for (int i = 0; i < BATCH; i++)
            if (srtp_unprotect_mki(raw_rx, g_b[i].w, &g_b[i].len, 1) != srtp_err_status_ok)
                failed = 1;
        double t2 = bench_now_us();
        tm[c] = per_packet(t0, t1);
        tr[c] = per_packet(t1, t2);
    }
    report_pps("srtp_unprotect_160", bench_median(tm + o->warmup, (size_t)o->calls),
               bench_median(tr + o->warmup, (size_t)o->calls));
    if (failed)
        bench_fail("srtp: a packet failed");

    /* the first packet of a new sender: lookup, derivation, libsrtp context, unprotect */
    new_sender_ctx ns = {NULL, NULL, 0};
    mcgk_srtp_rx_cfg big = rcfg;
    big.max_senders = MCGK_SRTP_RX_MAX_SENDERS;
    if ((size_t)calls > MCGK_SRTP_RX_MAX_SENDERS || mcgk_srtp_rx_new(&big, &ns.rx) != MCGK_OK ||
        !prepare_new_senders(&ns, (size_t)calls)) {
        bench_fail("srtp: new-sender set-up");
    } else {
        m = bench_time_op("srtp_rx_new_sender", op_new_sender, &ns, o, &failed);
        bench_report("srtp_rx_new_sender", m, -1.0);
    }
    mcgk_srtp_rx_free(ns.rx);
    free(ns.pkts);

    /* MCData */
    mcdata_ctx mc;
    memset(&mc, 0, sizeof mc);
    mc.rng = mcgk_rng_system();
    memset(mc.payload, 0x42, sizeof mc.payload);
    m = bench_time_op("mcdata_protect_160", op_mcdata_protect, &mc, o, &failed);
    bench_report("mcdata_protect_160", m, -1.0);
    m = bench_time_op("mcdata_unprotect_160", op_mcdata_unprotect, &mc, o, &failed);
    bench_report("mcdata_unprotect_160", m, -1.0);

out:
    mcgk_srtp_keys_clear(&k);
    mcgk_srtp_tx_free(tx);
    mcgk_srtp_rx_free(rx);
    if (raw_tx != NULL)
        srtp_dealloc(raw_tx);
    if (raw_rx != NULL)
        srtp_dealloc(raw_rx);
    free(tm);
    free(tr);
}

BENCH_SUITE("srtp", "libsrtp", run_srtp)
