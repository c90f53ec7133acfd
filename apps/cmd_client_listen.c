/*
 * mcgk client listen GROUP: a member (or anyone with a client store) hears a
 * group call - joins the multicast group (or binds the unicast address),
 * unprotects every SRTP / SRTCP packet with the receiver of mcgk/srtp.h,
 * whose keys come from the client's key ring (mcgk/client.h: the GMK named
 * by the MKI's GMK-ID, TS 33.180 §7.4.2, and that sender's key from the
 * MKI's GUK-ID), accepts GSK announcements (off network: the broadcast
 * frame of mcgk/broadcast.h around the SDP offer, repeats dropped by session
 * id; the GSK message opened with the ring's GMK lookup, R-002-19/23; the
 * GSK then answers for its media), with --controller registers with the
 * group controller and takes the GSK from each INVITE's offer the same way,
 * answering 200 without key-mgmt whether or not it could (R-002-17..19;
 * net/sip_ua.h, whose thread shares the ring under a mutex), and
 * counts: received, decrypted, rejected by reason, per sender SSRC; floor
 * control requests and releases (R-004-12/13: under the floor-control GMK
 * when the group has one). The state is reloaded from the store every
 * second, so a GMK revoked or deleted meanwhile stops being accepted (its
 * cached sender keys are dropped). Started before the call, it stops at
 * the deadline (--seconds), after --idle-ms of silence once packets came,
 * after --packets RTP packets, or on SIGINT / SIGTERM; then prints the
 * counts and exits 0.
 *
 * Secrets: the store's DEK, the GMKs of the loaded states, the GSKs in the
 * ring, libsrtp's session keys; wiped before exit. Output and logs carry
 * IDs and counts only; decrypted media is dropped.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "client_app.h"
#include "cmd_sip.h"
#include "mcgk/broadcast.h"
#include "mcgk/controller.h"
#include "mcgk/base.h"
#include "mcgk/client.h"
#include "mcgk/gsk_message.h"
#include "mcgk/kdf.h"
#include "mcgk/platform.h"
#include "mcgk/srtp.h"
#include "media_io.h"
#include "platform/file.h"
#include "platform/log.h"
#include "shell.h"

const char client_listen_help[] =
    "usage: mcgk client listen GROUP (--media HOST:PORT | --controller sip:HOST:PORT)\n"
    "                          [--identity URI] [--seconds S]\n"
    "                          [--idle-ms MS] [--packets N] [--json] [--require-signature]\n"
    "                          [--interface ADDR] [--controller sip:HOST:PORT\n"
    "                          [--sip-listen HOST:PORT] [--t1-ms N] [--offer-dir DIR]]\n"
    "                          [--data-dir DIR]\n"
    "                          [--key-file PATH | --passphrase-file P] [--log-level LEVEL]\n\n"
    "Hears a group call on HOST:PORT (joins a multicast group on --interface, default\n"
    "127.0.0.1, or binds a unicast address) and unprotects every SRTP/SRTCP packet with\n"
    "the keys this identity holds for GROUP, chosen by the packet's MKI (GMK-ID ||\n"
    "GUK-ID, TS 33.180 7.4.2); accepts GSK announcements (a GSK message under the\n"
    "group's GMK) and then media under that GSK. Decrypted media is counted, not played.\n\n"
    "  --seconds S          stop S seconds after starting (default 60)\n"
    "  --idle-ms MS         stop after MS of silence once packets came (default 2000; 0: no)\n"
    "  --packets N          stop after N RTP packets\n"
    "  --require-signature  refuse unsigned GSK announcements and offers\n"
    "  --controller URI     on network: register this identity with the group controller at\n"
    "                       URI (numeric host; AOR = the identity, Contact = our SIP address)\n"
    "                       and answer each INVITE 200 with an SDP answer without key-mgmt;\n"
    "                       the GSK message of its offer is opened like an announcement (an\n"
    "                       offer that cannot be opened is answered all the same). Without\n"
    "                       --media the call is heard where the first offer's m=/c= lines\n"
    "                       say (joined before the 200 goes back)\n"
    "  --sip-listen H:P     our SIP address with --controller (default 127.0.0.1:0)\n"
    "  --t1-ms N            RFC 3261 T1 with --controller (default 500)\n"
    "  --offer-dir DIR      keep each offer received in DIR/offer-<n>.sdp, as received\n"
    "  --json               the counts as one JSON document\n" SHELL_COMMON_HELP SHELL_KEK_HELP
    "\nPrints (stdout) name = value lines: identity, group, media, received, decrypted,\n"
    "rejected, rejected.<reason> (unknown-key-id, revoked, srtp-auth, replay, key-usage,\n"
    "validity, malformed, truncated ...), the same for rtcp.*, floor.request,\n"
    "floor.release, gsk.received / accepted / rejected / rejected.<reason> / duplicate,\n"
    "other, keys_dropped, sip.invites / answered / byes (with --controller), then one\n"
    "line per sender SSRC:\n"
    "  sender ssrc=HEX key=gmk|gsk|- key_id=HEX guk_id=HEX received=N decrypted=N\n"
    "         rejected=N rtcp_key_id=HEX|- rtcp_received=N rtcp_decrypted=N\n"
    "(key_id = the MKI's GMK-ID, or the GSK's ID; read from rejected packets too).\n"
    "stderr: event=registered (with --controller), event=listening when ready, event=gsk\n"
    "per GSK accepted, event=invite per INVITE (key_mgmt, gsk=accepted|<error>, status,\n"
    "answer_key_mgmt).\n";

#define MAX_SENDERS 256
#define RELOAD_MS 1000
#define REPLAY_CAP 64
#define SEEN_MAX 16 /* broadcast session ids remembered to drop repeats */

typedef struct counts {
    uint64_t received, decrypted, rejected;
    uint64_t by[MCGK_ERR__COUNT];
} counts;

typedef struct sender_stat {
    uint32_t ssrc;
    int has_rtp_mki, has_rtcp_mki, gsk;
    uint32_t rtp_key, rtp_guk, rtcp_key, rtcp_guk;
    uint64_t received, decrypted, rejected, rtcp_received, rtcp_decrypted, rtcp_rejected;
} sender_stat;

typedef struct listen_ctx {
    mcgk_client_keyring kr;
    mcgk_srtp_rx *rx;
    mcgk_gsk_open_cfg gc;
    media_trust trust;
    mcgk_replay_entry replay[REPLAY_CAP];
    mcgk_replay_cache cache;
    counts rtp, rtcp, gsk;
    uint64_t gsk_duplicate, floor_request, floor_release, other, dropped_keys;
    sender_stat senders[MAX_SENDERS];
    size_t n_senders;
    uint64_t senders_over;
    const char *group;
    uint8_t seen[SEEN_MAX][8]; /* off network: broadcast sessions accepted */
    size_t seen_next, seen_n;
    /* on network (--controller): the SIP user agent's callbacks run on its thread; mu
       guards everything above against the main loop */
    pthread_mutex_t mu;
    const char *offer_dir, *sip_host;
    uint64_t invites, answered, byes;
    /* the media socket: from --media, or joined at the first offer's c=/m= address */
    int fd;
    struct in_addr iface;
    char media_text[32];
    char answer[MCGK_CTL_MAX_ANSWER_LEN];
} listen_ctx;

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void count(counts *c, mcgk_err e)
{
    c->received++;
    if (e == MCGK_OK) {
        c->decrypted++;
    } else {
        c->rejected++;
        c->by[(unsigned)e < MCGK_ERR__COUNT ? e : MCGK_ERR_MALFORMED]++;
    }
}

static sender_stat *sender_of(listen_ctx *l, uint32_t ssrc)
{
    for (size_t i = 0; i < l->n_senders; i++)
        if (l->senders[i].ssrc == ssrc)
            return &l->senders[i];
    if (l->n_senders == MAX_SENDERS) {
        l->senders_over++;
        return NULL;
    }
    sender_stat *s = &l->senders[l->n_senders++];
    memset(s, 0, sizeof *s);
    s->ssrc = ssrc;
    return s;
}

/* One SRTP or SRTCP packet (pkt is 4-octet aligned, as libsrtp wants). */
static void on_media(listen_ctx *l, int rtcp, uint8_t *pkt, size_t n)
{
    /* public framing for the per-sender table, read before unprotect changes the buffer */
    uint32_t ssrc = n >= 12 ? be32(pkt + (rtcp ? 4 : 8)) : 0;
    int has_mki = n >= 12 + MCGK_SRTP_MKI_LEN;
    uint32_t key_id = has_mki ? be32(pkt + n - 8) : 0, guk_id = has_mki ? be32(pkt + n - 4) : 0;
    size_t out = 0;
    mcgk_srtp_origin from;
    mcgk_err e = rtcp ? mcgk_srtp_rx_unprotect_rtcp(l->rx, pkt, n, &out, &from)
                      : mcgk_srtp_rx_unprotect_rtp(l->rx, pkt, n, &out, &from);
    count(rtcp ? &l->rtcp : &l->rtp, e);
    sender_stat *s = sender_of(l, ssrc);
    if (s != NULL && rtcp) {
        s->has_rtcp_mki |= has_mki;
        s->rtcp_key = key_id;
        s->rtcp_guk = guk_id;
        s->rtcp_received++;
        if (e == MCGK_OK)
            s->rtcp_decrypted++;
        else
            s->rtcp_rejected++;
    } else if (s != NULL) {
        s->has_rtp_mki |= has_mki;
        s->rtp_key = key_id;
        s->rtp_guk = guk_id;
        s->received++;
        if (e == MCGK_OK) {
            s->decrypted++;
            s->gsk = mcgk_client_keyring_find_gsk(&l->kr, from.key_id) != NULL;
        } else {
            s->rejected++;
        }
    }
    if (e == MCGK_OK && rtcp) {
        int st = media_floor_subtype(pkt, out);
        l->floor_request += st == MEDIA_FLOOR_REQUEST;
        l->floor_release += st == MEDIA_FLOOR_RELEASE;
    }
    if (e == MCGK_OK && from.new_sender)
        mcgk_log(MCGK_LOG_INFO, "client-listen", "sender", "ssrc=%08" PRIx32 " key_id=%08" PRIx32
                 " guk_id=%08" PRIx32 " kind=%s", from.ssrc, from.key_id, from.guk_id,
                 rtcp ? "rtcp" : "rtp");
}

/* A GSK message in an SDP offer: R-002-19/23 - find the GMK by the key identifier, extract
   the GSK into the ring. Returns what the message came to (MCGK_ERR_REPLAY: seen before). */
static mcgk_err accept_gsk(listen_ctx *l, const uint8_t *sdp, size_t n, uint64_t now)
{
    uint8_t msg[4096];
    size_t len = 0;
    mcgk_gsk_result r;
    memset(&r, 0, sizeof r);
    mcgk_err d = MCGK_OK;
    mcgk_err e = media_offer_gsk(sdp, n, msg, sizeof msg, &len);
    if (e == MCGK_OK)
        e = mcgk_gsk_open(&l->gc, msg, len, now, &r, &d);
    if (e == MCGK_ERR_REPLAY) { /* the same message again */
        l->gsk.received++;
        l->gsk_duplicate++;
        return e;
    }
    uint32_t evicted = 0;
    if (e == MCGK_OK)
        e = mcgk_client_keyring_add_gsk(&l->kr, &r, now, &evicted);
    if (evicted != 0)
        mcgk_srtp_rx_forget(l->rx, evicted);
    count(&l->gsk, e);
    char q[MCGK_GMK_URI_MAX + 8];
    if (e == MCGK_OK)
        mcgk_log(MCGK_LOG_INFO, "client-listen", "gsk", "gsk_id=%08" PRIx32 " gmk_id=%08" PRIx32
                 " initiator=%s signed=%s", r.csb_id, r.gmk_id,
                 mcgk_log_quote(r.initiator_uri, q, sizeof q), r.is_signed ? "yes" : "no");
    else
        mcgk_log(MCGK_LOG_INFO, "client-listen", "gsk-refused", "error=%s detail=%s",
                 mcgk_err_name(e), mcgk_err_name(d));
    mcgk_gsk_result_clear(&r);
    mcgk_wipe(msg, len);
    return e;
}

/* An off-network announcement: the broadcast frame around the offer (R-002-20). Repeats
   of an announcement already accepted are dropped by session id, before any crypto; a
   refused one is tried again at its next repeat (its GMK may have arrived meanwhile). */
static void on_announce(listen_ctx *l, const uint8_t *p, size_t n, uint64_t now)
{
    mcgk_bcast_frame f;
    mcgk_err e = media_announce_decode(p, n, &f);
    if (e != MCGK_OK) {
        count(&l->gsk, e);
        return;
    }
    if (strcmp(f.group, l->group) != 0) { /* another group's call on this address */
        l->other++;
        return;
    }
    for (size_t i = 0; i < l->seen_n; i++)
        if (memcmp(l->seen[i], f.session_id, sizeof f.session_id) == 0) {
            l->gsk.received++;
            l->gsk_duplicate++;
            return;
        }
    if (accept_gsk(l, f.sdp, f.sdp_len, now) == MCGK_OK) {
        memcpy(l->seen[l->seen_next], f.session_id, sizeof f.session_id);
        l->seen_next = (l->seen_next + 1) % SEEN_MAX;
        if (l->seen_n < SEEN_MAX)
            l->seen_n++;
    }
}

/* On network: an INVITE from the group controller (R-002-18), on the user agent's thread.
   The GSK is taken before the answer leaves, so it is in the ring before the caller can
   start talking. Every INVITE is answered 200 with an SDP answer without key-mgmt
   (R-002-19), whether or not the GSK could be opened: the controller learns nothing. */
static void on_offer(void *ctx, const mcgk_sip_ua_offer *o, mcgk_sip_ua_answer *ans)
{
    listen_ctx *l = ctx;
    pthread_mutex_lock(&l->mu);
    int n = (int)++l->invites;
    if (l->offer_dir != NULL)
        (void)sip_cli_save_offer(l->offer_dir, n, o->body, o->body_len);
    uint64_t now = mcgk_now_unix_s();
    l->kr.now_unix_s = now;
    if (l->fd < 0) {
        /* no --media: hear the call where the offer says (its first m= line), joined
           before the 200 goes back so that no packet of the call is missed */
        char where[32];
        media_addr at;
        int fd = -1;
        if (mcgk_ctl_sdp_media_addr(o->body, o->body_len, where, sizeof where) == MCGK_OK &&
            media_addr_parse("offer", where, &at) == MCGK_OK &&
            media_socket_rx(&at, l->iface, &fd) == MCGK_OK) {
            l->fd = fd;
            snprintf(l->media_text, sizeof l->media_text, "%s", at.text);
            mcgk_log(MCGK_LOG_INFO, "client-listen", "media-joined", "media=%s from=offer",
                     at.text);
        }
    }
    mcgk_err g = accept_gsk(l, o->body, o->body_len, now);
    size_t len = 0;
    mcgk_err e = mcgk_ctl_sdp_answer(o->body, o->body_len, l->sip_host, (uint64_t)n, l->answer,
                                     sizeof l->answer, &len);
    if (e == MCGK_OK) {
        ans->status = 200;
        ans->body = (const uint8_t *)l->answer;
        ans->body_len = len;
        l->answered++;
    } else {
        ans->status = 488; /* RFC 3261 §21.4.26: no SDP answer can be made of it */
        ans->warning = "no usable SDP offer";
    }
    char cid[96], from[MCGK_SIP_URI_MAX + 8];
    mcgk_log(MCGK_LOG_INFO, "client-listen", "invite",
             "n=%d call_id=%s from=%s key_mgmt=%s gsk=%s status=%d answer_key_mgmt=%s", n,
             mcgk_log_quote(o->call_id, cid, sizeof cid),
             mcgk_log_quote(o->from_uri, from, sizeof from),
             mcgk_ctl_sdp_has_key_mgmt(o->body, o->body_len) ? "yes" : "no",
             g == MCGK_OK ? "accepted" : mcgk_err_name(g), ans->status,
             e == MCGK_OK && mcgk_ctl_sdp_has_key_mgmt(ans->body, len) ? "yes" : "no");
    pthread_mutex_unlock(&l->mu);
}

static void on_sip_event(void *ctx, mcgk_sip_ua_event ev, const char *call_id)
{
    listen_ctx *l = ctx;
    char cid[96];
    pthread_mutex_lock(&l->mu);
    l->byes += ev == MCGK_SIP_UA_EV_BYE;
    pthread_mutex_unlock(&l->mu);
    mcgk_log(MCGK_LOG_INFO, "client-listen", ev == MCGK_SIP_UA_EV_ACK      ? "ack"
                                             : ev == MCGK_SIP_UA_EV_BYE    ? "bye"
                                             : ev == MCGK_SIP_UA_EV_CANCEL ? "cancel"
                                                                           : "no-ack",
             "call_id=%s", mcgk_log_quote(call_id, cid, sizeof cid));
}

/* ---- output ---------------------------------------------------------------------------- */

static void jstr(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

/* ok_name: "decrypted" for packets, "accepted" for GSK announcements */
static void text_counts(const char *prefix, const counts *c, const char *ok_name)
{
    printf("%sreceived = %" PRIu64 "\n%s%s = %" PRIu64 "\n%srejected = %" PRIu64 "\n",
           prefix, c->received, prefix, ok_name, c->decrypted, prefix, c->rejected);
    for (unsigned i = 1; i < MCGK_ERR__COUNT; i++)
        if (c->by[i])
            printf("%srejected.%s = %" PRIu64 "\n", prefix, mcgk_err_name((mcgk_err)i), c->by[i]);
}

static void json_counts(const counts *c, const char *ok_name)
{
    printf("\"received\": %" PRIu64 ", \"%s\": %" PRIu64 ", \"rejected\": %" PRIu64
           ", \"rejected_by\": {",
           c->received, ok_name, c->decrypted, c->rejected);
    int first = 1;
    for (unsigned i = 1; i < MCGK_ERR__COUNT; i++)
        if (c->by[i]) {
            printf("%s\"%s\": %" PRIu64, first ? "" : ", ", mcgk_err_name((mcgk_err)i), c->by[i]);
            first = 0;
        }
    printf("}");
}

static void hex_or_dash(int has, uint32_t v, char out[12])
{
    if (has)
        snprintf(out, 12, "%08" PRIx32, v);
    else
        snprintf(out, 12, "-");
}

static void print_text(const listen_ctx *l, const char *identity, const char *group,
                       const char *media)
{
    printf("identity = %s\ngroup = %s\nmedia = %s\n", identity, group, media);
    text_counts("", &l->rtp, "decrypted");
    text_counts("rtcp.", &l->rtcp, "decrypted");
    printf("floor.request = %" PRIu64 "\nfloor.release = %" PRIu64 "\n", l->floor_request,
           l->floor_release);
    text_counts("gsk.", &l->gsk, "accepted");
    printf("gsk.duplicate = %" PRIu64 "\nother = %" PRIu64 "\nkeys_dropped = %" PRIu64 "\n",
           l->gsk_duplicate, l->other, l->dropped_keys);
    if (l->sip_host != NULL)
        printf("sip.invites = %" PRIu64 "\nsip.answered = %" PRIu64 "\nsip.byes = %" PRIu64 "\n",
               l->invites, l->answered, l->byes);
    for (size_t i = 0; i < l->n_senders; i++) {
        const sender_stat *s = &l->senders[i];
        char k[12], g[12], rk[12];
        hex_or_dash(s->has_rtp_mki, s->rtp_key, k);
        hex_or_dash(s->has_rtp_mki, s->rtp_guk, g);
        hex_or_dash(s->has_rtcp_mki, s->rtcp_key, rk);
        printf("sender ssrc=%08" PRIx32 " key=%s key_id=%s guk_id=%s received=%" PRIu64
               " decrypted=%" PRIu64 " rejected=%" PRIu64 " rtcp_key_id=%s rtcp_received=%" PRIu64
               " rtcp_decrypted=%" PRIu64 "\n",
               s->ssrc, s->decrypted == 0 ? "-" : s->gsk ? "gsk" : "gmk", k, g, s->received,
               s->decrypted, s->rejected, rk, s->rtcp_received, s->rtcp_decrypted);
    }
}

static void print_json(const listen_ctx *l, const char *identity, const char *group,
                       const char *media)
{
    printf("{\"identity\": ");
    jstr(identity);
    printf(", \"group\": ");
    jstr(group);
    printf(", \"media\": ");
    jstr(media);
    printf(",\n ");
    json_counts(&l->rtp, "decrypted");
    printf(",\n \"rtcp\": {");
    json_counts(&l->rtcp, "decrypted");
    printf(", \"floor_request\": %" PRIu64 ", \"floor_release\": %" PRIu64 "},\n \"gsk\": {",
           l->floor_request, l->floor_release);
    json_counts(&l->gsk, "accepted");
    printf(", \"duplicate\": %" PRIu64 "},\n \"other\": %" PRIu64 ", \"keys_dropped\": %" PRIu64,
           l->gsk_duplicate, l->other, l->dropped_keys);
    if (l->sip_host != NULL)
        printf(",\n \"sip\": {\"invites\": %" PRIu64 ", \"answered\": %" PRIu64
               ", \"byes\": %" PRIu64 "}",
               l->invites, l->answered, l->byes);
    printf(",\n \"senders\": [");
    for (size_t i = 0; i < l->n_senders; i++) {
        const sender_stat *s = &l->senders[i];
        char k[12], g[12], rk[12], rg[12];
        hex_or_dash(s->has_rtp_mki, s->rtp_key, k);
        hex_or_dash(s->has_rtp_mki, s->rtp_guk, g);
        hex_or_dash(s->has_rtcp_mki, s->rtcp_key, rk);
        hex_or_dash(s->has_rtcp_mki, s->rtcp_guk, rg);
        printf("%s\n  {\"ssrc\": \"%08" PRIx32 "\", \"key\": \"%s\", \"key_id\": \"%s\", "
               "\"guk_id\": \"%s\", \"received\": %" PRIu64 ", \"decrypted\": %" PRIu64
               ", \"rejected\": %" PRIu64 ", \"rtcp_key_id\": \"%s\", \"rtcp_guk_id\": \"%s\", "
               "\"rtcp_received\": %" PRIu64 ", \"rtcp_decrypted\": %" PRIu64 "}",
               i ? "," : "", s->ssrc, s->decrypted == 0 ? "-" : s->gsk ? "gsk" : "gmk", k, g,
               s->received, s->decrypted, s->rejected, rk, rg, s->rtcp_received,
               s->rtcp_decrypted);
    }
    printf("]}\n");
}

/* ---- the loop ---------------------------------------------------------------------------- */

int client_listen_main(int argc, char **argv)
{
    static const cli_flag flags[] = {{"identity", 1},  {"media", 1},     {"seconds", 1},
                                     {"idle-ms", 1},   {"packets", 1},   {"json", 0},
                                     {"interface", 1}, {"require-signature", 0},
                                     {"controller", 1}, {"sip-listen", 1}, {"t1-ms", 1},
                                     {"offer-dir", 1}, SHELL_COMMON_FLAGS, SHELL_KEK_FLAGS};
    cli_args a;
    mcgk_err e = cli_parse(&a, flags, sizeof flags / sizeof flags[0], argc - 1, argv + 1);
    if (e != MCGK_OK)
        return cli_fail(e);
    if ((e = shell_log_level(&a)) != MCGK_OK)
        return cli_fail(e);
    uint64_t seconds = 60, idle_ms = 2000, packets = 0;
    if ((cli_has(&a, "seconds") && (e = cli_u64_flag(&a, "seconds", &seconds)) != MCGK_OK) ||
        (cli_has(&a, "idle-ms") && (e = cli_u64_flag(&a, "idle-ms", &idle_ms)) != MCGK_OK) ||
        (cli_has(&a, "packets") && (e = cli_u64_flag(&a, "packets", &packets)) != MCGK_OK))
        return cli_fail(e);
    /* --media may be left out with --controller: the offer says where */
    const char *media =
        cli_has(&a, "controller") ? cli_get(&a, "media") : cli_require(&a, "media");
    if (a.npositional != 1 || (media == NULL && !cli_has(&a, "controller")) || seconds == 0 ||
        seconds > 86400 ||
        idle_ms > 3600000) {
        fprintf(stderr, "want one GROUP, --media, --seconds 1..86400 (see --help)\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    const char *group = a.positional[0];
    if (strlen(group) >= MCGK_GROUPDOC_URI_MAX) {
        fprintf(stderr, "GROUP too long\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    media_addr at;
    struct in_addr iface;
    memset(&at, 0, sizeof at);
    if ((media != NULL && (e = media_addr_parse("media", media, &at)) != MCGK_OK) ||
        (e = media_iface(&a, &iface)) != MCGK_OK)
        return cli_fail(e);
    const char *controller = cli_get(&a, "controller"), *offer_dir = cli_get(&a, "offer-dir");
    mcgk_sip_ua_config uc;
    memset(&uc, 0, sizeof uc);
    char sip_host[64];
    if (controller != NULL && (e = sip_cli_ua_flags(&a, "sip-listen", &uc, sip_host,
                                                    sizeof sip_host)) != MCGK_OK)
        return cli_fail(e);
    if (offer_dir != NULL && (e = mcgk_dir_ensure_private(offer_dir)) != MCGK_OK) {
        fprintf(stderr, "cannot use --offer-dir %s\n", offer_dir);
        return cli_fail(e);
    }
    mcgk_sip_ua *ua = NULL;
    int mu_init = 0;

    listen_ctx *l = calloc(1, sizeof *l);
    if (l != NULL)
        l->fd = -1;
    uint32_t *buf = malloc(MCGK_SRTP_MAX_PACKET_LEN + 4);
    mcgk_client_state st[2];
    memset(st, 0, sizeof st);
    int cur = 0, fd = -1;
    media_keys m;
    memset(&m, 0, sizeof m);
    char qi[MCGK_KMS_URI_MAX + 8], qg[MCGK_GROUPDOC_URI_MAX + 8];
    if (l == NULL || buf == NULL) {
        e = MCGK_ERR_NO_MEMORY;
        goto out;
    }
    e = media_keys_open(&a, &m);
    if (e == MCGK_OK)
        e = media_keys_load(&m, &st[cur]);
    uint64_t now = mcgk_now_unix_s();
    if (e == MCGK_OK)
        e = mcgk_client_keyring_init(&l->kr, &st[cur], group, now);
    if (e == MCGK_OK)
        e = media_trust_load(&m, now, &l->trust);
    mcgk_srtp_rx_cfg rc = {MCGK_GMK_CS_ID_MCPTT, mcgk_client_keyring_media_key, &l->kr, 0, 0};
    if (e == MCGK_OK)
        e = mcgk_srtp_rx_new(&rc, &l->rx);
    mcgk_replay_cache_init(&l->cache, l->replay, REPLAY_CAP);
    mcgk_gsk_open_cfg_init(&l->gc);
    l->gc.lookup = mcgk_client_keyring_gmk_lookup;
    l->gc.lookup_ctx = &l->kr;
    l->gc.signer_kms = media_trust_find;
    l->gc.signer_kms_ctx = &l->trust;
    l->gc.require_signature = cli_has(&a, "require-signature");
    l->gc.replay = &l->cache;
    l->group = group;
    l->fd = -1;
    l->iface = iface;
    snprintf(l->media_text, sizeof l->media_text, "%s", media != NULL ? at.text : "-");
    if (e == MCGK_OK && media != NULL)
        e = media_socket_rx(&at, iface, &l->fd);
    if (e == MCGK_OK && pthread_mutex_init(&l->mu, NULL) != 0)
        e = MCGK_ERR_NO_MEMORY;
    else if (e == MCGK_OK)
        mu_init = 1;
    if (e == MCGK_OK && controller != NULL) {
        /* R-002-17/18: registering with the group controller makes this identity a member
           of its group (AOR = the identity, Contact = our user agent); INVITEs then come to
           on_offer. The UA's thread inherits a mask without SIGINT / SIGTERM, so that they
           interrupt this thread's poll. */
        l->offer_dir = offer_dir;
        l->sip_host = sip_host;
        uc.on_offer = on_offer;
        uc.on_event = on_sip_event;
        uc.ctx = l;
        if (uc.user == NULL)
            uc.user = "member";
        sigset_t ss, old;
        sigemptyset(&ss);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &ss, &old);
        e = mcgk_sip_ua_new(&uc, &ua);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (e != MCGK_OK)
            fprintf(stderr, "cannot listen on %s:%u for SIP\n", uc.host, (unsigned)uc.port);
        int rs = 0;
        if (e == MCGK_OK)
            e = mcgk_sip_ua_register(ua, controller, m.identity, 3600, &rs);
        char qc[MCGK_SIP_URI_MAX + 8];
        mcgk_log(e == MCGK_OK ? MCGK_LOG_INFO : MCGK_LOG_ERROR, "client-listen", "registered",
                 "controller=%s aor=%s status=%d result=%s",
                 mcgk_log_quote(controller, qc, sizeof qc),
                 mcgk_log_quote(m.identity, qi, sizeof qi), rs,
                 e == MCGK_OK ? "ok" : mcgk_err_name(e));
    }
    if (e != MCGK_OK)
        goto out;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: poll returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    mcgk_log(MCGK_LOG_INFO, "client-listen", "listening", "identity=%s group=%s media=%s",
             mcgk_log_quote(m.identity, qi, sizeof qi), mcgk_log_quote(group, qg, sizeof qg),
             l->media_text);

    uint64_t t0 = mcgk_monotonic_ns(), deadline = t0 + seconds * 1000000000u;
    uint64_t last_rx = 0, next_reload = t0 + RELOAD_MS * 1000000u;
    uint32_t dropped[MCGK_CLIENT_MAX_GMKS + MCGK_CLIENT_MAX_GSKS];
    while (!g_stop) {
        uint64_t t = mcgk_monotonic_ns();
        pthread_mutex_lock(&l->mu);
        fd = l->fd; /* set by on_offer when the offer gives the address */
        pthread_mutex_unlock(&l->mu);
        if (t >= deadline || (idle_ms > 0 && last_rx != 0 && t >= last_rx + idle_ms * 1000000u) ||
            (packets > 0 && l->rtp.received >= packets))
            break;
        if (t >= next_reload) {
            pthread_mutex_lock(&l->mu);
            /* the store may have changed (revocation, removal, a new GMK): reload, and drop
               the cached sender keys of every GMK that no longer answers as before */
            int nx = 1 - cur;
            if (media_keys_load(&m, &st[nx]) == MCGK_OK) {
                size_t nd = mcgk_client_keyring_update(&l->kr, &st[nx], mcgk_now_unix_s(),
                                                       dropped,
                                                       sizeof dropped / sizeof dropped[0]);
                for (size_t i = 0; i < nd && i < sizeof dropped / sizeof dropped[0]; i++) {
                    l->dropped_keys += mcgk_srtp_rx_forget(l->rx, dropped[i]);
                    mcgk_log(MCGK_LOG_INFO, "client-listen", "key-dropped",
                             "key_id=%08" PRIx32, dropped[i]);
                }
                mcgk_client_state_clear(&st[cur]);
                cur = nx;
            }
            pthread_mutex_unlock(&l->mu);
            next_reload = t + RELOAD_MS * 1000000u;
        }
        uint64_t wake = deadline < next_reload ? deadline : next_reload;
        if (idle_ms > 0 && last_rx != 0 && last_rx + idle_ms * 1000000u < wake)
            wake = last_rx + idle_ms * 1000000u;
        int timeout_ms = wake > t ? (int)((wake - t) / 1000000u) + 1 : 0;
        if (fd < 0 && timeout_ms > 50)
            timeout_ms = 50; /* no socket yet: look again soon */
        struct pollfd pfd = {fd, POLLIN, 0};
        int pr = poll(&pfd, 1, timeout_ms);
        if (pr < 0 && errno != EINTR) {
            perror("poll");
            e = MCGK_ERR_IO;
            break;
        }
        if (pr <= 0)
            continue;
        for (;;) {
            ssize_t n = recv(fd, buf, MCGK_SRTP_MAX_PACKET_LEN + 1, MSG_DONTWAIT);
            if (n < 0)
                break;
            last_rx = mcgk_monotonic_ns();
            now = mcgk_now_unix_s();
            pthread_mutex_lock(&l->mu);
            l->kr.now_unix_s = now;
            uint8_t *p = (uint8_t *)buf;
            size_t len = (size_t)n;
            switch (len > MCGK_SRTP_MAX_PACKET_LEN ? MEDIA_KIND_OTHER : media_classify(p, len)) {
            case MEDIA_KIND_RTP:
                on_media(l, 0, p, len);
                break;
            case MEDIA_KIND_RTCP:
                on_media(l, 1, p, len);
                break;
            case MEDIA_KIND_ANNOUNCE:
                on_announce(l, p, len, now);
                break;
            case MEDIA_KIND_OTHER:
                l->other++;
                break;
            }
            pthread_mutex_unlock(&l->mu);
            if (packets > 0 && l->rtp.received >= packets)
                break;
        }
    }
    /* the user agent's thread ends before the counts are read and the state is freed */
    mcgk_sip_ua_free(ua);
    ua = NULL;
    if (e == MCGK_OK) {
        if (cli_has(&a, "json"))
            print_json(l, m.identity, group, l->media_text);
        else
            print_text(l, m.identity, group, l->media_text);
        mcgk_log(MCGK_LOG_INFO, "client-listen", "done",
                 "received=%" PRIu64 " decrypted=%" PRIu64 " rejected=%" PRIu64
                 " rtcp_decrypted=%" PRIu64 " gsk_accepted=%" PRIu64,
                 l->rtp.received, l->rtp.decrypted, l->rtp.rejected, l->rtcp.decrypted,
                 l->gsk.decrypted);
    }
out:
    mcgk_sip_ua_free(ua);
    if (l != NULL && l->fd >= 0)
        close(l->fd);
    if (mu_init)
        pthread_mutex_destroy(&l->mu);
    if (l != NULL) {
        mcgk_srtp_rx_free(l->rx);
        media_trust_free(&l->trust);
        mcgk_client_keyring_clear(&l->kr);
        mcgk_wipe(l, sizeof *l);
        free(l);
    }
    if (buf != NULL) {
        mcgk_wipe(buf, MCGK_SRTP_MAX_PACKET_LEN + 4);
        free(buf);
    }
    mcgk_client_state_clear(&st[0]);
    mcgk_client_state_clear(&st[1]);
    media_keys_close(&m);
    return e == MCGK_OK ? 0 : cli_fail(e);
}
