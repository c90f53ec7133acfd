/*
 * SRTP/SRTCP sender and receiver contexts under GMK-derived keys: a thin
 * wrapper over libsrtp2 that works on caller buffers (no sockets).
 * Contract: see mcgk/srtp.h; design and decisions: docs/media.md.
 * Spec: TS 33.180 §7.4.2 (per-sender keys, MKI = GMK-ID || GUK-ID, the
 * receiver resolves GMK-ID -> GMK and derives the sender's key from the
 * GUK-ID); RFC 7714 (AEAD_AES_128_GCM for SRTP and SRTCP); RFC 3711 §3.3.2
 * (replay protection), §8.1 (MKI selects the master key).
 *
 * Profile: AEAD_AES_128_GCM, 16-octet tag, 8-octet MKI, on RTP and RTCP.
 * libsrtp2 has no RCCm3 (RFC 4771), which the TS 33.179 Table E.2-1 default
 * GMK profile names: the ROC is not carried in the packet and the receiver
 * estimates it from the sequence number (RFC 3711 §3.3.1), as every libsrtp
 * receiver does (docs/media.md).
 *
 * Receiver design: one libsrtp context per sender key (per MKI), each with an
 * "any inbound SSRC" template, so libsrtp's per-SSRC streams and replay
 * windows live inside the sender key that protects them. A packet whose MKI
 * is not cached goes to the caller's lookup; its key is derived into a fresh
 * libsrtp context and kept only if the packet authenticates, so forged MKIs
 * leave no state behind. Floor control (SRTCP) uses the same machinery: the
 * lookup says whether a GMK may protect RTP, RTCP or both.
 *
 * Secrets: the GMK from the lookup, the master key and salt (wiped as soon as
 * libsrtp has derived its session keys), and libsrtp's session keys (libsrtp
 * zeroes them in srtp_dealloc). MKIs, SSRCs and framing are public; the
 * framing checks here read only public octets.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "mcgk/base.h"
#include "mcgk/srtp.h"

#define RTP_VERSION 2
#define MASTER_LEN (MCGK_SRTP_MASTER_KEY_LEN + MCGK_SRTP_MASTER_SALT_LEN) /* libsrtp: key || salt */

/* ---- libsrtp, once per process -------------------------------------------------------- */

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t g_init_status = srtp_err_status_init_fail;

static void srtp_init_once(void)
{
    g_init_status = srtp_init();
}

static mcgk_err lib_init(void)
{
    if (pthread_once(&g_once, srtp_init_once) != 0)
        return MCGK_ERR_SRTP;
    return g_init_status == srtp_err_status_ok ? MCGK_OK : MCGK_ERR_SRTP;
}

/* libsrtp's verdicts as mcgk codes (one code per cause; details stay local) */
static mcgk_err map_status(srtp_err_status_t s)
{
    switch (s) {
    case srtp_err_status_ok:
        return MCGK_OK;
    case srtp_err_status_auth_fail:   /* the AEAD tag does not verify */
    case srtp_err_status_cipher_fail:
    case srtp_err_status_bad_mki:     /* cannot happen: the context was chosen by MKI */
        return MCGK_ERR_SRTP_AUTH;
    case srtp_err_status_replay_fail: /* RFC 3711 §3.3.2: index already seen */
    case srtp_err_status_replay_old:  /* ... or left of the window */
    case srtp_err_status_pkt_idx_old:
        return MCGK_ERR_REPLAY;
    case srtp_err_status_alloc_fail:
        return MCGK_ERR_NO_MEMORY;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err:
        return MCGK_ERR_MALFORMED;
    default:
        return MCGK_ERR_SRTP;
    }
}

/*
 * A libsrtp context holding one master key (key || salt) with its MKI, AEAD
 * AES-128-GCM with 16-octet tags on RTP and RTCP (RFC 7714 §14.2).
 * The 28-octet master copy is wiped before return.
 */
static mcgk_err session_new(const mcgk_srtp_keys *k, srtp_ssrc_type_t ssrc_type,
                            unsigned long window, srtp_t *out)
{
    uint8_t material[MASTER_LEN];
    uint8_t mki[MCGK_SRTP_MKI_LEN];
    memcpy(material, k->master_key, MCGK_SRTP_MASTER_KEY_LEN);
    memcpy(material + MCGK_SRTP_MASTER_KEY_LEN, k->master_salt, MCGK_SRTP_MASTER_SALT_LEN);
    memcpy(mki, k->mki, sizeof mki);

    srtp_master_key_t mk;
    mk.key = material;
    mk.mki_id = mki;
    mk.mki_size = MCGK_SRTP_MKI_LEN;
    srtp_master_key_t *keys[1] = {&mk};

    srtp_policy_t p;
    memset(&p, 0, sizeof p);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
    p.ssrc.type = ssrc_type;
    p.keys = keys;
    p.num_master_keys = 1;
    p.window_size = window; /* 0: libsrtp's default (128) */
    p.allow_repeat_tx = 0;  /* a repeated (SSRC, index) would repeat a GCM nonce */
    p.next = NULL;

    srtp_t s = NULL;
    srtp_err_status_t st = srtp_create(&s, &p);
    mcgk_wipe(material, sizeof material);
    if (st != srtp_err_status_ok) {
        if (s != NULL)
            srtp_dealloc(s);
        return st == srtp_err_status_alloc_fail ? MCGK_ERR_NO_MEMORY : MCGK_ERR_SRTP;
    }
    *out = s;
    return MCGK_OK;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * The RTP header (RFC 3550 §5.1, §5.3.1) within pkt[0..avail): version 2, the
 * CSRC list and the extension fit. Public octets, variable time.
 */
static mcgk_err check_rtp_header(const uint8_t *pkt, size_t len, size_t trailer)
{
    if (len < MCGK_RTP_HEADER_LEN + trailer)
        return MCGK_ERR_TRUNCATED;
    if ((pkt[0] >> 6) != RTP_VERSION)
        return MCGK_ERR_MALFORMED;
    size_t avail = len - trailer;
    size_t hl = MCGK_RTP_HEADER_LEN + 4u * (pkt[0] & 0x0Fu); /* CSRC count */
    if (pkt[0] & 0x10u) {                                     /* X: header extension */
        if (hl + 4 > avail)
            return MCGK_ERR_TRUNCATED;
        hl += 4 + 4u * (((size_t)pkt[hl + 2] << 8) | pkt[hl + 3]);
    }
    return hl > avail ? MCGK_ERR_TRUNCATED : MCGK_OK;
}

static mcgk_err check_rtcp_header(const uint8_t *pkt, size_t len, size_t trailer)
{
    if (len < MCGK_RTCP_HEADER_LEN + trailer)
        return MCGK_ERR_TRUNCATED;
    return (pkt[0] >> 6) != RTP_VERSION ? MCGK_ERR_MALFORMED : MCGK_OK;
}

/* ---- sender ---------------------------------------------------------------------------- */

struct mcgk_srtp_tx {
    srtp_t rtp;  /* media key */
    srtp_t rtcp; /* floor-control key; == rtp when one GMK serves both */
};

static int sender_key_ok(const mcgk_srtp_sender_key *k)
{
    return k->key != NULL && k->rand != NULL && k->rand_len > 0 &&
           k->rand_len <= MCGK_MEDIA_RAND_MAX;
}

static mcgk_err tx_session(const mcgk_srtp_sender_key *sk, uint8_t cs_id, srtp_t *out)
{
    mcgk_srtp_keys k;
    mcgk_err e = mcgk_srtp_keys_derive(sk->key, sk->key_id, sk->guk_id, sk->rand, sk->rand_len,
                                       cs_id, &k);
    if (e == MCGK_OK)
        e = session_new(&k, ssrc_any_outbound, 0, out);
    mcgk_srtp_keys_clear(&k);
    return e;
}

mcgk_err mcgk_srtp_tx_new(const mcgk_srtp_tx_cfg *cfg, mcgk_srtp_tx **out)
{
    if (cfg == NULL || out == NULL || !sender_key_ok(&cfg->media) ||
        (cfg->floor != NULL && !sender_key_ok(cfg->floor)))
        return MCGK_ERR_INVALID_ARG;
    mcgk_err e = lib_init();
    if (e != MCGK_OK)
        return e;
    mcgk_srtp_tx *tx = calloc(1, sizeof *tx);
    if (tx == NULL)
        return MCGK_ERR_NO_MEMORY;
    e = tx_session(&cfg->media, cfg->cs_id, &tx->rtp);
    if (e == MCGK_OK) {
        if (cfg->floor != NULL) /* seed 004: a separate GMK for floor control */
            e = tx_session(cfg->floor, cfg->cs_id, &tx->rtcp);
        else /* seed 003 §4.3.5.2: floor control under the group's media GMK */
            tx->rtcp = tx->rtp;
    }
    if (e != MCGK_OK) {
        mcgk_srtp_tx_free(tx);
        return e;
    }
    *out = tx;
    return MCGK_OK;
}

void mcgk_srtp_tx_free(mcgk_srtp_tx *tx)
{
    if (tx == NULL)
        return;
    if (tx->rtcp != NULL && tx->rtcp != tx->rtp)
        srtp_dealloc(tx->rtcp); /* libsrtp zeroes its session keys */
    if (tx->rtp != NULL)
        srtp_dealloc(tx->rtp);
    mcgk_wipe(tx, sizeof *tx);
    free(tx);
}

static mcgk_err tx_protect(srtp_t s, int rtcp, uint8_t *pkt, size_t len, size_t cap,
                           size_t *out_len)
{
    size_t overhead = rtcp ? MCGK_SRTP_RTCP_OVERHEAD : MCGK_SRTP_RTP_OVERHEAD;
    mcgk_err e = rtcp ? check_rtcp_header(pkt, len, 0) : check_rtp_header(pkt, len, 0);
    if (e != MCGK_OK)
        return e;
    if (len > MCGK_SRTP_MAX_PACKET_LEN - overhead)
        return MCGK_ERR_OVERSIZED;
    if (cap < len + overhead) {
        *out_len = len + overhead;
        return MCGK_ERR_BUFFER_TOO_SMALL;
    }
    int n = (int)len;
    /* RFC 7714 §7.1 / §9.1 with the MKI of RFC 3711 §3.1: libsrtp appends tag [index] MKI */
    srtp_err_status_t st = rtcp ? srtp_protect_rtcp_mki(s, pkt, &n, 1, 0)
                                : srtp_protect_mki(s, pkt, &n, 1, 0);
    if (st != srtp_err_status_ok)
        return map_status(st);
    *out_len = (size_t)n;
    return MCGK_OK;
}

mcgk_err mcgk_srtp_tx_protect_rtp(mcgk_srtp_tx *tx, uint8_t *pkt, size_t len, size_t cap,
                                  size_t *out_len)
{
    if (tx == NULL || pkt == NULL || out_len == NULL)
        return MCGK_ERR_INVALID_ARG;
    return tx_protect(tx->rtp, 0, pkt, len, cap, out_len);
}

mcgk_err mcgk_srtp_tx_protect_rtcp(mcgk_srtp_tx *tx, uint8_t *pkt, size_t len, size_t cap,
                                   size_t *out_len)
{
    if (tx == NULL || pkt == NULL || out_len == NULL)
        return MCGK_ERR_INVALID_ARG;
    return tx_protect(tx->rtcp, 1, pkt, len, cap, out_len);
}

/* ---- receiver ------------------------------------------------------------------------ */

typedef struct rx_sender {
    uint64_t mki;       /* GMK-ID || GUK-ID */
    unsigned uses;      /* MCGK_MEDIA_USE_* of its GMK, from the lookup */
    uint64_t last_used; /* rx->clock at its last packet (LRU) */
    srtp_t s;
} rx_sender;

struct mcgk_srtp_rx {
    mcgk_srtp_rx_cfg cfg;
    rx_sender *senders;
    size_t n, cap;
    size_t hint;     /* index of the last sender used: talk bursts come from one sender */
    uint64_t clock;  /* packets seen */
};

mcgk_err mcgk_srtp_rx_new(const mcgk_srtp_rx_cfg *cfg, mcgk_srtp_rx **out)
{
    if (cfg == NULL || out == NULL || cfg->lookup == NULL ||
        cfg->max_senders > MCGK_SRTP_RX_MAX_SENDERS ||
        (cfg->replay_window != 0 && (cfg->replay_window < 64 || cfg->replay_window > 32768)))
        return MCGK_ERR_INVALID_ARG;
    mcgk_err e = lib_init();
    if (e != MCGK_OK)
        return e;
    mcgk_srtp_rx *rx = calloc(1, sizeof *rx);
    if (rx == NULL)
        return MCGK_ERR_NO_MEMORY;
    rx->cfg = *cfg;
    rx->cap = cfg->max_senders ? cfg->max_senders : MCGK_SRTP_RX_DEFAULT_SENDERS;
    rx->senders = calloc(rx->cap, sizeof *rx->senders);
    if (rx->senders == NULL) {
        free(rx);
        return MCGK_ERR_NO_MEMORY;
    }
    *out = rx;
    return MCGK_OK;
}

void mcgk_srtp_rx_free(mcgk_srtp_rx *rx)
{
    if (rx == NULL)
        return;
    for (size_t i = 0; i < rx->n; i++)
        srtp_dealloc(rx->senders[i].s);
    free(rx->senders);
    mcgk_wipe(rx, sizeof *rx);
    free(rx);
}

size_t mcgk_srtp_rx_sender_count(const mcgk_srtp_rx *rx)
{
    return rx != NULL ? rx->n : 0;
}

static void rx_drop(mcgk_srtp_rx *rx, size_t i)
{
    srtp_dealloc(rx->senders[i].s);
    rx->senders[i] = rx->senders[rx->n - 1];
    memset(&rx->senders[rx->n - 1], 0, sizeof rx->senders[0]);
    rx->n--;
    rx->hint = 0;
}

size_t mcgk_srtp_rx_forget(mcgk_srtp_rx *rx, uint32_t key_id)
{
    if (rx == NULL)
        return 0;
    size_t dropped = 0;
    for (size_t i = 0; i < rx->n;) {
        if ((uint32_t)(rx->senders[i].mki >> 32) == key_id) {
            rx_drop(rx, i);
            dropped++;
        } else {
            i++;
        }
    }
    return dropped;
}

static rx_sender *rx_find(mcgk_srtp_rx *rx, uint64_t mki)
{
    if (rx->hint < rx->n && rx->senders[rx->hint].mki == mki)
        return &rx->senders[rx->hint];
    for (size_t i = 0; i < rx->n; i++)
        if (rx->senders[i].mki == mki) {
            rx->hint = i;
            return &rx->senders[i];
        }
    return NULL;
}

static srtp_err_status_t unprotect(srtp_t s, int rtcp, uint8_t *pkt, int *n)
{
    return rtcp ? srtp_unprotect_rtcp_mki(s, pkt, n, 1) : srtp_unprotect_mki(s, pkt, n, 1);
}

/*
 * A packet under an MKI not cached: §7.4.2, GMK-ID -> GMK through the lookup,
 * the sender's key from its GUK-ID; the key is kept only when the packet
 * authenticates under it.
 */
static mcgk_err rx_new_sender(mcgk_srtp_rx *rx, uint32_t key_id, uint32_t guk_id, unsigned need,
                              int rtcp, uint8_t *pkt, int *n)
{
    mcgk_media_key mk;
    mcgk_srtp_keys k;
    srtp_t s = NULL;
    memset(&mk, 0, sizeof mk);
    memset(&k, 0, sizeof k);
    mcgk_err e = rx->cfg.lookup(rx->cfg.lookup_ctx, key_id, &mk);
    if (e == MCGK_OK && (mk.uses & need) == 0)
        e = MCGK_ERR_KEY_USAGE;
    if (e == MCGK_OK && (mk.rand_len == 0 || mk.rand_len > MCGK_MEDIA_RAND_MAX))
        e = MCGK_ERR_INVALID_ARG; /* the lookup returned no usable RAND */
    if (e == MCGK_OK)
        e = mcgk_srtp_keys_derive(mk.key, key_id, guk_id, mk.rand, mk.rand_len, rx->cfg.cs_id,
                                  &k);
    mcgk_wipe(mk.key, sizeof mk.key);
    if (e == MCGK_OK)
        e = session_new(&k, ssrc_any_inbound, (unsigned long)rx->cfg.replay_window, &s);
    mcgk_srtp_keys_clear(&k);
    if (e != MCGK_OK)
        return e;

    srtp_err_status_t st = unprotect(s, rtcp, pkt, n);
    if (st != srtp_err_status_ok) {
        srtp_dealloc(s); /* nothing of a forged or wrong-key packet is kept */
        return map_status(st);
    }
    if (rx->n == rx->cap) { /* full: drop the least recently used sender key */
        size_t lru = 0;
        for (size_t i = 1; i < rx->n; i++)
            if (rx->senders[i].last_used < rx->senders[lru].last_used)
                lru = i;
        rx_drop(rx, lru);
    }
    rx_sender *snd = &rx->senders[rx->n];
    snd->mki = (uint64_t)key_id << 32 | guk_id;
    snd->uses = mk.uses;
    snd->last_used = rx->clock;
    snd->s = s;
    rx->hint = rx->n;
    rx->n++;
    return MCGK_OK;
}

static mcgk_err rx_unprotect(mcgk_srtp_rx *rx, int rtcp, uint8_t *pkt, size_t len,
                             size_t *out_len, mcgk_srtp_origin *from)
{
    if (rx == NULL || pkt == NULL || out_len == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (len > MCGK_SRTP_MAX_PACKET_LEN)
        return MCGK_ERR_OVERSIZED;
    mcgk_err e = rtcp ? check_rtcp_header(pkt, len, MCGK_SRTP_RTCP_OVERHEAD)
                      : check_rtp_header(pkt, len, MCGK_SRTP_RTP_OVERHEAD);
    if (e != MCGK_OK)
        return e;
    /* the MKI is the packet's last 8 octets (RFC 7714 layout as libsrtp writes it) */
    uint32_t key_id, guk_id;
    e = mcgk_srtp_mki_parse(pkt + len - MCGK_SRTP_MKI_LEN, MCGK_SRTP_MKI_LEN, &key_id, &guk_id);
    if (e != MCGK_OK)
        return e;
    uint32_t ssrc = be32(pkt + (rtcp ? 4 : 8));
    unsigned need = rtcp ? MCGK_MEDIA_USE_RTCP : MCGK_MEDIA_USE_RTP;

    rx->clock++;
    int n = (int)len, fresh = 0;
    rx_sender *snd = rx_find(rx, (uint64_t)key_id << 32 | guk_id);
    if (snd != NULL) {
        if ((snd->uses & need) == 0)
            return MCGK_ERR_KEY_USAGE;
        srtp_err_status_t st = unprotect(snd->s, rtcp, pkt, &n);
        if (st != srtp_err_status_ok)
            return map_status(st);
        snd->last_used = rx->clock;
    } else {
        e = rx_new_sender(rx, key_id, guk_id, need, rtcp, pkt, &n);
        if (e != MCGK_OK)
            return e;
        fresh = 1;
    }
    *out_len = (size_t)n;
    if (from != NULL) {
        from->key_id = key_id;
        from->guk_id = guk_id;
        from->ssrc = ssrc;
        from->new_sender = fresh;
    }
    return MCGK_OK;
}

mcgk_err mcgk_srtp_rx_unprotect_rtp(mcgk_srtp_rx *rx, uint8_t *pkt, size_t len,
                                    size_t *out_len, mcgk_srtp_origin *from)
{
    return rx_unprotect(rx, 0, pkt, len, out_len, from);
}

mcgk_err mcgk_srtp_rx_unprotect_rtcp(mcgk_srtp_rx *rx, uint8_t *pkt, size_t len,
                                     size_t *out_len, mcgk_srtp_origin *from)
{
    return rx_unprotect(rx, 1, pkt, len, out_len, from);
}
