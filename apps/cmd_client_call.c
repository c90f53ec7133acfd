/*
 * mcgk client call GROUP: a member talks to its group - a short 440 Hz tone
 * as G.711 u-law RTP (8 kHz, 20 ms, 160 octets per packet, PT 0, a random
 * SSRC, sequence number and timestamp), every packet protected with SRTP
 * under this member's own key (TS 33.180 §7.4.2: the group's media GMK
 * chosen by R-001-23 / R-000-23, this member's GUK-ID, the RAND; MKI =
 * GMK-ID || GUK-ID, so each member sends under a key of its own,
 * R-003-37), sent to a multicast group or a unicast address.
 *   --floor  MCPTT floor control (RTCP APP "MCPT" Floor Request at the start,
 *            Floor Release at the end) under the group's floor-control GMK
 *            when it has one (R-004-12/13), else under the media GMK (R-003-40);
 *   --gsk    off network (ProSe, seed 002): a fresh GSK sent first in a GSK
 *            message under the group's GMK (R-002-09/13/14/21), optionally
 *            signed (--sign, R-002-10/15/22), broadcast in the media-session
 *            announcement (R-002-20; repeated each second, best effort, no
 *            answers), and the media protected under keys derived from the
 *            GSK (R-002-23; mcgk/gsk_message.h).
 * Progress and the summary go to stderr (logfmt, component client-call).
 *
 * Secrets: the store's DEK, the GMKs of the loaded state, the sender's keys
 * (mcgk_client_sender), the GSK (mcgk_gsk_sealed), the signer's SSK, the
 * SRTP session keys inside libsrtp. All are wiped before exit; logs carry
 * IDs only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "client_app.h"
#include "mcgk/base.h"
#include "mcgk/client.h"
#include "mcgk/gsk_message.h"
#include "mcgk/kdf.h"
#include "mcgk/platform.h"
#include "mcgk/srtp.h"
#include "media_io.h"
#include "platform/log.h"
#include "shell.h"

const char client_call_help[] =
    "usage: mcgk client call GROUP --media HOST:PORT [--identity URI] [--seconds S]\n"
    "                        [--floor] [--gsk [--sign]] [--interface ADDR] [--ttl N]\n"
    "                        [--tamper N] [--duplicate N]\n"
    "                        [--data-dir DIR] [--key-file PATH | --passphrase-file P]\n"
    "                        [--log-level LEVEL]\n\n"
    "Talks to GROUP: a 440 Hz tone as G.711 u-law RTP (20 ms, 160 octets, PT 0, random\n"
    "SSRC, sequence number and timestamp), every packet SRTP-protected with this\n"
    "member's own key (TS 33.180 7.4.2: the group's current media GMK, this member's\n"
    "GUK-ID and the RAND; MKI = GMK-ID || GUK-ID), sent to HOST:PORT.\n\n"
    "  --media HOST:PORT  a multicast group (e.g. 239.1.2.3:40000) or a unicast address\n"
    "  --identity URI     whose keys (default: the only identity in the store)\n"
    "  --seconds S        how long to talk, 1..3600 (default 2; 50 packets a second)\n"
    "  --floor            floor control: an RTCP APP \"MCPT\" Floor Request first and a\n"
    "                     Floor Release last, under the group's floor-control GMK when\n"
    "                     it has one, else under the media GMK\n"
    "  --gsk              off network: a fresh GSK, sent first in a GSK message under the\n"
    "                     group's GMK inside an SDP session announcement on the same\n"
    "                     address (three times, then once a second), media under the GSK\n"
    "  --sign             sign the GSK message with this identity's ECCSI key\n"
    "  --interface ADDR   the interface for multicast (default 127.0.0.1)\n"
    "  --ttl N            multicast TTL (default 1)\n"
    "  --tamper N         test aid: flip one bit in N media packets (receivers: srtp-auth)\n"
    "  --duplicate N      test aid: send N media packets twice (receivers: replay)\n"
    SHELL_COMMON_HELP SHELL_KEK_HELP
    "\nstderr: event=calling ... then event=call-done with ssrc, gmk_id, guk_id,\n"
    "floor_gmk_id, floor_guk_id, gsk_id, packets, rtcp, announcements, send_errors.\n"
    "Exit 1 with 'error: not-found' when the identity has no usable media GMK for GROUP.\n";

#define ANNOUNCE_MAX 4096
#define MSG_MAX 2048

typedef struct call_buf {
    uint32_t w[(MEDIA_RTP_LEN + MCGK_SRTP_RTP_OVERHEAD) / 4 + 16]; /* 4-octet aligned */
} call_buf;

static void sleep_until_ns(uint64_t t_ns)
{
    struct timespec ts = {(time_t)(t_ns / 1000000000u), (long)(t_ns % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
    }
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

typedef struct call_ctx {
    int fd;
    media_addr dst;
    mcgk_srtp_tx *tx;
    uint32_t ssrc;
    uint64_t rtcp, errors;
} call_ctx;

/* Protect and send one floor control message. */
static mcgk_err send_floor(call_ctx *c, unsigned subtype)
{
    call_buf b;
    size_t n = media_floor_msg((uint8_t *)b.w, c->ssrc, subtype, 7), out = 0;
    mcgk_err e = mcgk_srtp_tx_protect_rtcp(c->tx, (uint8_t *)b.w, n, sizeof b.w, &out);
    if (e != MCGK_OK)
        return e;
    if (media_send(c->fd, &c->dst, (const uint8_t *)b.w, out) != 0)
        c->errors++;
    c->rtcp++;
    return MCGK_OK;
}

int client_call_main(int argc, char **argv)
{
    static const cli_flag flags[] = {{"identity", 1},  {"media", 1},     {"seconds", 1},
                                     {"floor", 0},     {"gsk", 0},       {"sign", 0},
                                     {"interface", 1}, {"ttl", 1},       {"tamper", 1},
                                     {"duplicate", 1}, SHELL_COMMON_FLAGS, SHELL_KEK_FLAGS};
    cli_args a;
    mcgk_err e = cli_parse(&a, flags, sizeof flags / sizeof flags[0], argc - 1, argv + 1);
    if (e != MCGK_OK)
        return cli_fail(e);
    if ((e = shell_log_level(&a)) != MCGK_OK)
        return cli_fail(e);
    uint64_t seconds = 2, ttl = 1, tamper = 0, dup = 0;
    if ((cli_has(&a, "seconds") && (e = cli_u64_flag(&a, "seconds", &seconds)) != MCGK_OK) ||
        (cli_has(&a, "ttl") && (e = cli_u64_flag(&a, "ttl", &ttl)) != MCGK_OK) ||
        (cli_has(&a, "tamper") && (e = cli_u64_flag(&a, "tamper", &tamper)) != MCGK_OK) ||
        (cli_has(&a, "duplicate") && (e = cli_u64_flag(&a, "duplicate", &dup)) != MCGK_OK))
        return cli_fail(e);
    const char *media = cli_require(&a, "media");
    if (a.npositional != 1 || media == NULL || seconds == 0 || seconds > 3600 || ttl == 0 ||
        ttl > 255 || (cli_has(&a, "sign") && !cli_has(&a, "gsk"))) {
        fprintf(stderr, "want one GROUP, --media, --seconds 1..3600, --ttl 1..255, --sign only "
                        "with --gsk (see --help)\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    const char *group = a.positional[0];
    uint64_t npk = seconds * 50; /* 20 ms frames */
    if (tamper + dup > npk / 10) {
        fprintf(stderr, "--tamper + --duplicate: at most one packet in ten (%" PRIu64 ")\n",
                npk / 10);
        return cli_fail(MCGK_ERR_USAGE);
    }
    int gsk = cli_has(&a, "gsk"), floor = cli_has(&a, "floor");
    media_addr dst;
    struct in_addr iface;
    if ((e = media_addr_parse("media", media, &dst)) != MCGK_OK ||
        (e = media_iface(&a, &iface)) != MCGK_OK)
        return cli_fail(e);

    media_keys m;
    mcgk_client_state st;
    mcgk_client_sender snd;
    mcgk_gsk_sealed sealed;
    mcgk_eccsi_signer signer;
    media_trust trust;
    memset(&st, 0, sizeof st);
    memset(&snd, 0, sizeof snd);
    memset(&sealed, 0, sizeof sealed);
    memset(&signer, 0, sizeof signer);
    memset(&trust, 0, sizeof trust);
    call_ctx c;
    memset(&c, 0, sizeof c);
    c.fd = -1;
    c.dst = dst;
    uint8_t *msg = NULL;
    char *ann = NULL;
    size_t msg_len = 0, ann_len = 0;
    uint64_t announcements = 0, sent = 0, tampered = 0, duplicated = 0;
    char qg[MCGK_GROUPDOC_URI_MAX + 8], qi[MCGK_KMS_URI_MAX + 8];

    e = media_keys_open(&a, &m);
    if (e == MCGK_OK)
        e = media_keys_load(&m, &st);
    uint64_t now = mcgk_now_unix_s();
    if (e == MCGK_OK) {
        /* R-001-23 / R-000-23: the group's current media GMK; R-004-12/13 its floor GMK */
        e = mcgk_client_sender_select(&st, group, now, &snd);
        if (e == MCGK_ERR_NOT_FOUND)
            fprintf(stderr, "%s holds no usable media GMK for %s (not a member, or none "
                            "active)\n", m.identity, group);
    }
    mcgk_srtp_sender_key media_key = {snd.media.key, snd.media.gmk_id, snd.media.guk_id,
                                      snd.media.rand, snd.media.rand_len};
    mcgk_srtp_sender_key floor_key = {snd.floor.key, snd.floor.gmk_id, snd.floor.guk_id,
                                      snd.floor.rand, snd.floor.rand_len};
    if (e == MCGK_OK && gsk) {
        /* R-002-09: this member, the session initiator, generates the GSK; R-002-13/14/21:
           it travels under the group's GMK, named by its GMK-ID */
        mcgk_gsk_build_cfg bc;
        memset(&bc, 0, sizeof bc);
        bc.gmk = snd.media.key;
        bc.gmk_id = snd.media.gmk_id;
        bc.ts_ntp_s = now + MCGK_NTP_UNIX_OFFSET_S;
        bc.initiator_uri = m.identity;
        mcgk_gmk_kms kms;
        if (cli_has(&a, "sign")) {
            /* R-002-10/15/22: signed with this member's identity (ECCSI SIGN) */
            e = media_trust_load(&m, now, &trust);
            if (e == MCGK_OK)
                e = media_signer(&m, &trust, bc.ts_ntp_s, &signer);
            if (e == MCGK_OK) {
                kms = trust.kms[0];
                bc.signer = &signer;
                bc.signer_kms = &kms;
            } else {
                fprintf(stderr, "no signing key for %s now\n", m.identity);
            }
        }
        msg = malloc(MSG_MAX);
        ann = malloc(ANNOUNCE_MAX);
        if (e == MCGK_OK && (msg == NULL || ann == NULL))
            e = MCGK_ERR_NO_MEMORY;
        if (e == MCGK_OK)
            e = mcgk_gsk_build(&bc, mcgk_rng_system(), msg, MSG_MAX, &msg_len, &sealed);
        if (e == MCGK_OK)
            e = media_announce_encode(msg, msg_len, &dst, sealed.csb_id, ann, ANNOUNCE_MAX,
                                      &ann_len);
        /* R-002-23: media under keys derived from the GSK; its CSB ID names it in the MKI */
        media_key.key = sealed.gsk;
        media_key.key_id = sealed.csb_id;
        media_key.guk_id = sealed.csb_id;
        media_key.rand = sealed.rand;
        media_key.rand_len = sizeof sealed.rand;
    }
    mcgk_srtp_tx_cfg tc = {MCGK_GMK_CS_ID_MCPTT, media_key, snd.has_floor ? &floor_key : NULL};
    if (e == MCGK_OK)
        e = mcgk_srtp_tx_new(&tc, &c.tx);
    if (e == MCGK_OK)
        e = media_socket_tx(&dst, iface, (int)ttl, &c.fd);
    uint8_t rnd[10];
    if (e == MCGK_OK)
        e = mcgk_rng_bytes(mcgk_rng_system(), rnd, sizeof rnd);
    if (e != MCGK_OK)
        goto out;

    /* RFC 3550 §5.1: random SSRC, initial sequence number and timestamp */
    c.ssrc = be32(rnd);
    uint16_t seq = (uint16_t)(rnd[4] << 8 | rnd[5]);
    uint32_t ts0 = be32(rnd + 6);
    char fl[48] = "-", gk[12] = "-";
    if (snd.has_floor)
        snprintf(fl, sizeof fl, "%08" PRIx32 " floor_guk_id=%08" PRIx32, snd.floor.gmk_id,
                 snd.floor.guk_id);
    if (gsk)
        snprintf(gk, sizeof gk, "%08" PRIx32, sealed.csb_id);
    mcgk_log(MCGK_LOG_INFO, "client-call", "calling",
             "identity=%s group=%s media=%s ssrc=%08" PRIx32 " gmk_id=%08" PRIx32
             " guk_id=%08" PRIx32 " floor_gmk_id=%s gsk_id=%s signed=%s packets=%" PRIu64,
             mcgk_log_quote(m.identity, qi, sizeof qi), mcgk_log_quote(group, qg, sizeof qg),
             dst.text, c.ssrc, snd.media.gmk_id, snd.media.guk_id, fl, gk,
             !gsk ? "-" : cli_has(&a, "sign") ? "yes" : "no", npk);

    uint64_t t0 = mcgk_monotonic_ns();
    if (gsk) {
        /* R-002-20: broadcast, no answers, best effort: a few copies before the media */
        for (int i = 0; i < 3; i++) {
            if (media_send(c.fd, &dst, (const uint8_t *)ann, ann_len) != 0)
                c.errors++;
            announcements++;
            sleep_until_ns(t0 + (uint64_t)(i + 1) * 20000000u);
        }
        t0 = mcgk_monotonic_ns();
    }
    if (floor && (e = send_floor(&c, MEDIA_FLOOR_REQUEST)) != MCGK_OK)
        goto out;
    for (uint64_t i = 0; i < npk && e == MCGK_OK; i++) {
        sleep_until_ns(t0 + i * 20000000u);
        if (gsk && i > 0 && i % 50 == 0) { /* once a second, for late listeners */
            if (media_send(c.fd, &dst, (const uint8_t *)ann, ann_len) != 0)
                c.errors++;
            announcements++;
        }
        call_buf b;
        size_t n = media_rtp_tone((uint8_t *)b.w, c.ssrc, seq, ts0 + (uint32_t)(i * 160u), i == 0,
                                  i * MEDIA_FRAME_SAMPLES),
               out = 0;
        seq++;
        e = mcgk_srtp_tx_protect_rtp(c.tx, (uint8_t *)b.w, n, sizeof b.w, &out);
        if (e != MCGK_OK)
            break;
        uint8_t *p = (uint8_t *)b.w;
        if (tampered < tamper && i % 10 == 5) { /* a bit of the ciphertext: srtp-auth */
            p[MCGK_RTP_HEADER_LEN + 20] ^= 0x04;
            tampered++;
        }
        if (media_send(c.fd, &dst, p, out) != 0)
            c.errors++;
        sent++;
        if (duplicated < dup && i % 10 == 7) { /* the same packet again: replay */
            if (media_send(c.fd, &dst, p, out) != 0)
                c.errors++;
            duplicated++;
        }
    }
    if (e == MCGK_OK && floor)
        e = send_floor(&c, MEDIA_FLOOR_RELEASE);
    if (e == MCGK_OK)
        mcgk_log(MCGK_LOG_INFO, "client-call", "call-done",
                 "group=%s ssrc=%08" PRIx32 " gmk_id=%08" PRIx32 " guk_id=%08" PRIx32
                 " floor_gmk_id=%s gsk_id=%s packets=%" PRIu64 " rtcp=%" PRIu64
                 " announcements=%" PRIu64 " tampered=%" PRIu64 " duplicated=%" PRIu64
                 " send_errors=%" PRIu64 " seconds=%.2f",
                 mcgk_log_quote(group, qg, sizeof qg), c.ssrc, snd.media.gmk_id,
                 snd.media.guk_id, fl, gk, sent, c.rtcp, announcements, tampered, duplicated,
                 c.errors, (double)(mcgk_monotonic_ns() - t0) / 1e9);
out:
    if (c.fd >= 0)
        close(c.fd);
    mcgk_srtp_tx_free(c.tx);
    mcgk_client_sender_clear(&snd);
    mcgk_gsk_sealed_clear(&sealed);
    mcgk_eccsi_signer_clear(&signer);
    media_trust_free(&trust);
    free(msg);
    free(ann);
    mcgk_client_state_clear(&st);
    media_keys_close(&m);
    return e == MCGK_OK ? 0 : cli_fail(e);
}
