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
 *            GSK (R-002-23; mcgk/gsk_message.h). The announcement is the
 *            broadcast frame of mcgk/broadcast.h around the SDP offer;
 *   --controller  on network (R-002-12/17/18/19): the same GSK message in the
 *            SDP offer of a SIP INVITE to the group controller, which hands
 *            it to every member; the caller waits for the 200 (ACKs it),
 *            sends the media under the GSK, then BYE (net/sip_ua.h).
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
#include "cmd_sip.h"
#include "mcgk/controller.h"
#include "mcgk/base.h"
#include "mcgk/client.h"
#include "mcgk/gsk_message.h"
#include "mcgk/kdf.h"
#include "mcgk/platform.h"
#include "mcgk/srtp.h"
#include "media_io.h"
#include "net/sip_ua.h"
#include "platform/file.h"
#include "platform/log.h"
#include "shell.h"

const char client_call_help[] =
    "usage: mcgk client call GROUP --media HOST:PORT [--identity URI] [--seconds S]\n"
    "                        [--floor] [--gsk [--sign]] [--interface ADDR] [--ttl N]\n"
    "                        [--controller sip:HOST:PORT [--sip-listen HOST:PORT]\n"
    "                        [--t1-ms N]] [--offer-file FILE]\n"
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
    "                     (the SDP offer with a=key-mgmt:mikey in a broadcast frame)\n"
    "  --controller URI   on network (implies --gsk): the GSK message in the SDP offer of\n"
    "                     a SIP INVITE to the group controller at URI (numeric host), To\n"
    "                     GROUP; wait for its 200 (ACKed), talk, then BYE. No broadcast\n"
    "  --sip-listen H:P   our SIP address with --controller (default 127.0.0.1:0)\n"
    "  --t1-ms N          RFC 3261 T1 with --controller (default 500)\n"
    "  --offer-file FILE  write the SDP offer sent (with --gsk or --controller)\n"
    "  --sign             sign the GSK message with this identity's ECCSI key\n"
    "  --interface ADDR   the interface for multicast (default 127.0.0.1)\n"
    "  --ttl N            multicast TTL (default 1)\n"
    "  --tamper N         test aid: flip one bit in N media packets (receivers: srtp-auth)\n"
    "  --duplicate N      test aid: send N media packets twice (receivers: replay)\n"
    SHELL_COMMON_HELP SHELL_KEK_HELP
    "\nstderr: event=calling ... then event=call-done with ssrc, gmk_id, guk_id,\n"
    "floor_gmk_id, floor_guk_id, gsk_id, packets, rtcp, announcements, sip_status,\n"
    "send_errors. With --controller also event=provisional status=N per 1xx,\n"
    "event=answered status=N key_mgmt=yes|no (the answer's) and event=bye status=N.\n"
    "Exit 1 with 'error: not-found' when the identity has no usable media GMK for GROUP.\n";

#define ANNOUNCE_MAX MCGK_BCAST_MAX_FRAME
#define SDP_MAX 4096
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

/* The off-network announcement: the offer in a broadcast frame, repeat n (R-002-20). */
typedef struct announce {
    const char *sdp;
    size_t sdp_len;
    const char *originator, *group;
    uint8_t session_id[8];
    uint16_t repeat;
    uint8_t *buf; /* ANNOUNCE_MAX */
} announce;

static mcgk_err send_announce(call_ctx *c, announce *an)
{
    size_t n = 0;
    mcgk_err e = media_announce_encode(an->sdp, an->sdp_len, an->originator, an->group,
                                       an->session_id, an->repeat, mcgk_now_unix_ms(), an->buf,
                                       ANNOUNCE_MAX, &n);
    if (e != MCGK_OK)
        return e;
    an->repeat++;
    if (media_send(c->fd, &c->dst, an->buf, n) != 0)
        c->errors++;
    return MCGK_OK;
}

/* Each 1xx from the controller (R-002-17), on the user agent's thread. */
static void on_provisional(void *user, const mcgk_sip_msg *m)
{
    (void)user;
    mcgk_log(MCGK_LOG_INFO, "client-call", "provisional", "status=%d key_mgmt=%s", m->status,
             mcgk_ctl_sdp_has_key_mgmt(m->body, m->body_len) ? "yes" : "no");
}

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
                                     {"duplicate", 1}, {"controller", 1}, {"sip-listen", 1},
                                     {"t1-ms", 1},     {"offer-file", 1}, SHELL_COMMON_FLAGS,
                                     SHELL_KEK_FLAGS};
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
        ttl > 255 || (cli_has(&a, "sign") && !cli_has(&a, "gsk") && !cli_has(&a, "controller")) ||
        (cli_has(&a, "offer-file") && !cli_has(&a, "gsk") && !cli_has(&a, "controller"))) {
        fprintf(stderr, "want one GROUP, --media, --seconds 1..3600, --ttl 1..255, --sign and "
                        "--offer-file only with --gsk or --controller (see --help)\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    const char *group = a.positional[0];
    uint64_t npk = seconds * 50; /* 20 ms frames */
    if (tamper + dup > npk / 10) {
        fprintf(stderr, "--tamper + --duplicate: at most one packet in ten (%" PRIu64 ")\n",
                npk / 10);
        return cli_fail(MCGK_ERR_USAGE);
    }
    const char *controller = cli_get(&a, "controller");
    /* R-002-12: on network the caller's offer carries the GSK message too */
    int gsk = cli_has(&a, "gsk") || controller != NULL, floor = cli_has(&a, "floor");
    mcgk_sip_ua_config uc;
    memset(&uc, 0, sizeof uc);
    char sip_host[64];
    if (controller != NULL && (e = sip_cli_ua_flags(&a, "sip-listen", &uc, sip_host,
                                                    sizeof sip_host)) != MCGK_OK)
        return cli_fail(e);
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
    char *sdp = NULL;
    size_t msg_len = 0, sdp_len = 0;
    announce an;
    memset(&an, 0, sizeof an);
    mcgk_sip_ua *ua = NULL;
    mcgk_sip_ua_call *sip_call = NULL;
    int sip_status = 0;
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
        sdp = malloc(SDP_MAX);
        an.buf = controller == NULL ? malloc(ANNOUNCE_MAX) : NULL;
        if (e == MCGK_OK && (msg == NULL || sdp == NULL || (controller == NULL && an.buf == NULL)))
            e = MCGK_ERR_NO_MEMORY;
        if (e == MCGK_OK)
            e = mcgk_gsk_build(&bc, mcgk_rng_system(), msg, MSG_MAX, &msg_len, &sealed);
        /* R-002-12: the GSK message in the SDP offer (a=key-mgmt:mikey, RFC 4567) */
        if (e == MCGK_OK)
            e = media_offer_sdp(msg, msg_len, &dst, sealed.csb_id, sdp, SDP_MAX, &sdp_len);
        /* R-002-20: off network the offer goes out in the broadcast frame; one session id
           for all its repeats, so that receivers drop them */
        if (e == MCGK_OK && controller == NULL)
            e = mcgk_rng_bytes(mcgk_rng_system(), an.session_id, sizeof an.session_id);
        an.sdp = sdp;
        an.sdp_len = sdp_len;
        an.originator = m.identity;
        an.group = group;
        const char *of = cli_get(&a, "offer-file");
        if (e == MCGK_OK && of != NULL &&
            (e = mcgk_file_write_private(of, (const uint8_t *)sdp, sdp_len, 0)) != MCGK_OK)
            fprintf(stderr, "cannot write --offer-file %s\n", of);
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
    if (controller != NULL) {
        /* R-002-12/17/18: the INVITE with the offer to the group controller, which hands it
           to every member; the media starts once the call is answered (and ACKed) */
        if (uc.user == NULL)
            uc.user = "client";
        e = mcgk_sip_ua_new(&uc, &ua);
        if (e != MCGK_OK) {
            fprintf(stderr, "cannot listen on %s:%u for SIP\n", uc.host, (unsigned)uc.port);
            goto out;
        }
        mcgk_sip_ua_invite_params p;
        memset(&p, 0, sizeof p);
        p.target_uri = controller;
        p.from_uri = m.identity;
        p.to_uri = group;
        p.body = (const uint8_t *)sdp;
        p.body_len = sdp_len;
        p.on_provisional = on_provisional;
        mcgk_sip_ua_result res;
        e = mcgk_sip_ua_invite(ua, &p, &res, &sip_call);
        sip_status = res.status;
        char w[300];
        mcgk_log(e == MCGK_OK ? MCGK_LOG_INFO : MCGK_LOG_ERROR, "client-call", "answered",
                 "status=%d result=%s key_mgmt=%s warning=%s", res.status,
                 e == MCGK_OK ? "ok" : mcgk_err_name(e),
                 mcgk_ctl_sdp_has_key_mgmt(res.body, res.body_len) ? "yes" : "no",
                 mcgk_log_quote(res.warning, w, sizeof w));
        mcgk_sip_ua_result_clear(&res);
        if (e != MCGK_OK)
            goto out;
        t0 = mcgk_monotonic_ns();
    } else if (gsk) {
        /* R-002-20: broadcast, no answers, best effort: a few copies before the media */
        for (int i = 0; i < 3 && e == MCGK_OK; i++) {
            e = send_announce(&c, &an);
            announcements++;
            sleep_until_ns(t0 + (uint64_t)(i + 1) * 20000000u);
        }
        if (e != MCGK_OK)
            goto out;
        t0 = mcgk_monotonic_ns();
    }
    if (floor && (e = send_floor(&c, MEDIA_FLOOR_REQUEST)) != MCGK_OK)
        goto out;
    for (uint64_t i = 0; i < npk && e == MCGK_OK; i++) {
        sleep_until_ns(t0 + i * 20000000u);
        if (an.buf != NULL && i > 0 && i % 50 == 0) { /* once a second, for late listeners */
            if ((e = send_announce(&c, &an)) != MCGK_OK)
                break;
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
    if (sip_call != NULL && !mcgk_sip_ua_call_ended(ua, sip_call)) {
        int bs = 0;
        mcgk_err be = mcgk_sip_ua_bye(ua, sip_call, &bs);
        mcgk_log(be == MCGK_OK ? MCGK_LOG_INFO : MCGK_LOG_WARN, "client-call", "bye",
                 "status=%d result=%s", bs, be == MCGK_OK ? "ok" : mcgk_err_name(be));
    }
    char ss[12] = "-";
    if (controller != NULL)
        snprintf(ss, sizeof ss, "%d", sip_status);
    if (e == MCGK_OK)
        mcgk_log(MCGK_LOG_INFO, "client-call", "call-done",
                 "group=%s ssrc=%08" PRIx32 " gmk_id=%08" PRIx32 " guk_id=%08" PRIx32
                 " floor_gmk_id=%s gsk_id=%s packets=%" PRIu64 " rtcp=%" PRIu64
                 " announcements=%" PRIu64 " sip_status=%s tampered=%" PRIu64
                 " duplicated=%" PRIu64 " send_errors=%" PRIu64 " seconds=%.2f",
                 mcgk_log_quote(group, qg, sizeof qg), c.ssrc, snd.media.gmk_id,
                 snd.media.guk_id, fl, gk, sent, c.rtcp, announcements, ss, tampered, duplicated,
                 c.errors, (double)(mcgk_monotonic_ns() - t0) / 1e9);
out:
    mcgk_sip_ua_call_free(ua, sip_call);
    mcgk_sip_ua_free(ua);
    if (c.fd >= 0)
        close(c.fd);
    mcgk_srtp_tx_free(c.tx);
    mcgk_client_sender_clear(&snd);
    mcgk_gsk_sealed_clear(&sealed);
    mcgk_eccsi_signer_clear(&signer);
    media_trust_free(&trust);
    free(msg);
    free(sdp);
    free(an.buf);
    mcgk_client_state_clear(&st);
    media_keys_close(&m);
    return e == MCGK_OK ? 0 : cli_fail(e);
}
