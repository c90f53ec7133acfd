/*
 * mcgk sip broadcast-send / broadcast-listen: the off-network
 * media-session creation message (R-002-20: broadcast, no answers, best
 * effort; the frame is mcgk/broadcast.h's, the sockets net/broadcast.h's)
 * for tests and integrators, without any key handling: the SDP offer
 * (with its a=key-mgmt:mikey line) comes from a file; a listener keeps
 * each one it receives in a file, octet for octet.
 *
 * Output: one line per event on stdout; logs on stderr. Exit 0 on
 * success, 1 on a failure (error: <name>), 2 on bad usage.
 *
 * Secrets: none (the MIKEY message is public). Bodies are never printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cmd_sip.h"
#include "mcgk/broadcast.h"
#include "mcgk/controller.h"
#include "mcgk/platform.h"
#include "net/broadcast.h"
#include "platform/file.h"
#include "platform/log.h"
#include "shell.h"

#define FLAGS(...) SHELL_PARSE_FLAGS(__VA_ARGS__, {"log-level", 1})

#define SEEN_MAX 64 /* sessions remembered to drop repeats */

/* --group ADDR:PORT (IPv4). */
static mcgk_err group_flag(const cli_args *a, char *addr, size_t cap, uint16_t *port)
{
    const char *g = cli_require(a, "group");
    if (g == NULL)
        return MCGK_ERR_USAGE;
    if (strchr(g, ':') == NULL || sip_cli_hostport(g, addr, cap, port) != MCGK_OK || *port == 0) {
        fprintf(stderr, "--group: want ADDR:PORT, e.g. 239.255.0.1:5999\n");
        return MCGK_ERR_USAGE;
    }
    return MCGK_OK;
}

/* ---- broadcast-send ------------------------------------------------------------------------ */

const char sip_help_bcast_send[] =
    "usage: mcgk sip broadcast-send --group ADDR:PORT --sdp-file FILE --from URI\n"
    "                               --group-uri URI [--interface ADDR] [--ttl N]\n"
    "                               [--repeat N] [--interval-ms N] [--no-loop]\n"
    "                               [--log-level LEVEL]\n\n"
    "Off network (R-002-20): broadcasts the media-session creation message - the SDP\n"
    "offer of FILE, sent as it is (with its a=key-mgmt:mikey line: the MIKEY-PSK\n"
    "message carrying the GSK under the GMK) - in mcgk's broadcast frame\n"
    "(docs/controller.md) to a UDP multicast group, or a broadcast or unicast address\n"
    "where multicast does not work. Nobody answers; it is sent --repeat times (default\n"
    "3) --interval-ms apart (default 50) with one session id, so that listeners can\n"
    "drop the repeats. Prints \"sent session=HEX repeat=N len=N\" per datagram.\n\n"
    "  --group ADDR:PORT    e.g. 239.255.0.1:5999 (IPv4)\n"
    "  --from URI           the originator, in the frame\n"
    "  --group-uri URI      the group, in the frame\n"
    "  --interface ADDR     the local address to send from (127.0.0.1 on one host)\n"
    "  --ttl N              multicast TTL, default 1 (0: this host only)\n"
    "  --no-loop            local listeners do not get a copy\n";

int sip_cmd_bcast_send(int argc, char **argv)
{
    FLAGS({"group", 1}, {"sdp-file", 1}, {"from", 1}, {"group-uri", 1}, {"interface", 1},
          {"ttl", 1}, {"repeat", 1}, {"interval-ms", 1}, {"no-loop", 0});
    char addr[64];
    uint16_t port;
    uint32_t ttl, repeat, interval;
    const char *from, *guri, *path;
    if ((e = group_flag(&a, addr, sizeof addr, &port)) != MCGK_OK ||
        (path = cli_require(&a, "sdp-file")) == NULL || (from = cli_require(&a, "from")) == NULL ||
        (guri = cli_require(&a, "group-uri")) == NULL)
        return cli_fail(MCGK_ERR_USAGE);
    if ((e = sip_cli_u32(&a, "ttl", 0, 255, 1, &ttl)) != MCGK_OK ||
        (e = sip_cli_u32(&a, "repeat", 1, 100, 3, &repeat)) != MCGK_OK ||
        (e = sip_cli_u32(&a, "interval-ms", 0, 60000, 50, &interval)) != MCGK_OK)
        return cli_fail(e);
    uint8_t *sdp = NULL;
    size_t sdp_len = 0;
    if ((e = mcgk_file_read(path, MCGK_BCAST_MAX_SDP, &sdp, &sdp_len)) != MCGK_OK) {
        fprintf(stderr, "cannot read --sdp-file %s (at most %d octets)\n", path,
                MCGK_BCAST_MAX_SDP);
        return cli_fail(e);
    }
    mcgk_bcast_frame f;
    memset(&f, 0, sizeof f);
    f.type = MCGK_BCAST_TYPE_SESSION;
    f.sdp = sdp;
    f.sdp_len = sdp_len;
    if (snprintf(f.originator, sizeof f.originator, "%s", from) >= (int)sizeof f.originator ||
        snprintf(f.group, sizeof f.group, "%s", guri) >= (int)sizeof f.group)
        e = MCGK_ERR_USAGE;
    if (e == MCGK_OK)
        e = mcgk_rng_bytes(mcgk_rng_system(), f.session_id, sizeof f.session_id);
    mcgk_bcast_sender_config sc;
    memset(&sc, 0, sizeof sc);
    sc.addr = addr;
    sc.port = port;
    sc.interface = cli_get(&a, "interface");
    sc.ttl = (int)ttl;
    sc.loop = !cli_has(&a, "no-loop");
    mcgk_bcast_sender *s = NULL;
    if (e == MCGK_OK && (e = mcgk_bcast_sender_new(&sc, &s)) != MCGK_OK)
        fprintf(stderr, "cannot send to %s:%u\n", addr, (unsigned)port);
    static uint8_t buf[MCGK_BCAST_MAX_FRAME];
    char sid[17];
    (void)mcgk_hex_encode(f.session_id, 8, sid, sizeof sid);
    for (uint32_t i = 0; e == MCGK_OK && i < repeat; i++) {
        size_t len;
        f.repeat = (uint16_t)i;
        f.sent_unix_ms = mcgk_now_unix_ms();
        e = mcgk_bcast_encode(&f, buf, sizeof buf, &len);
        if (e == MCGK_ERR_INVALID_ARG)
            fprintf(stderr, "--from / --group-uri: visible ASCII only; the SDP: no NUL\n");
        if (e == MCGK_OK)
            e = mcgk_bcast_send(s, buf, len);
        if (e == MCGK_OK) {
            printf("sent session=%s repeat=%u len=%zu\n", sid, (unsigned)i, len);
            fflush(stdout);
        }
        if (e == MCGK_OK && i + 1 < repeat && interval > 0) {
            struct timespec ts = {interval / 1000, (long)(interval % 1000) * 1000000L};
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
        }
    }
    mcgk_bcast_sender_free(s);
    mcgk_file_free(sdp, sdp_len);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ---- broadcast-listen ---------------------------------------------------------------------- */

const char sip_help_bcast_listen[] =
    "usage: mcgk sip broadcast-listen --group ADDR:PORT [--interface ADDR] [--count N]\n"
    "                                 [--timeout-s N] [--offer-dir DIR] [--log-level LEVEL]\n\n"
    "Off network (R-002-20, R-002-23): a member receiving media-session creation\n"
    "messages. Joins the multicast group (or listens on the port for a broadcast or\n"
    "unicast fallback), prints \"listening group=ADDR:PORT\", then per message:\n"
    "  media-session from=\"...\" group=\"...\" session=HEX repeat=N body_len=N key_mgmt=yes\n"
    "  duplicate session=HEX repeat=N        (a repeat of one already received)\n"
    "  dropped from=ADDR:PORT reason=NAME    (not a valid frame; nothing is answered)\n"
    "and with --offer-dir writes each new offer to DIR/offer-<n>.sdp as received.\n"
    "Exit 0 after --count N new messages; 1 when --timeout-s passes first.\n\n"
    "  --interface ADDR     the local address to join on (127.0.0.1 on one host)\n";

int sip_cmd_bcast_listen(int argc, char **argv)
{
    FLAGS({"group", 1}, {"interface", 1}, {"count", 1}, {"timeout-s", 1}, {"offer-dir", 1});
    char addr[64];
    uint16_t port;
    uint32_t count, timeout_s;
    if ((e = group_flag(&a, addr, sizeof addr, &port)) != MCGK_OK)
        return cli_fail(e);
    if ((e = sip_cli_u32(&a, "count", 0, 10000000, 0, &count)) != MCGK_OK ||
        (e = sip_cli_u32(&a, "timeout-s", 0, 86400, 0, &timeout_s)) != MCGK_OK)
        return cli_fail(e);
    const char *dir = cli_get(&a, "offer-dir");
    if (dir != NULL && (e = mcgk_dir_ensure_private(dir)) != MCGK_OK) {
        fprintf(stderr, "cannot use --offer-dir %s\n", dir);
        return cli_fail(e);
    }
    shell_signals_block();
    mcgk_bcast_receiver *r = NULL;
    if ((e = mcgk_bcast_receiver_new(addr, port, cli_get(&a, "interface"), &r)) != MCGK_OK) {
        fprintf(stderr, "cannot listen on %s:%u\n", addr, (unsigned)port);
        return cli_fail(e);
    }
    printf("listening group=%s:%u\n", addr, (unsigned)port);
    fflush(stdout);
    static uint8_t buf[MCGK_BCAST_MAX_FRAME];
    uint8_t seen[SEEN_MAX][8];
    size_t n_seen = 0, got = 0;
    uint64_t start = mcgk_monotonic_ns();
    while (count == 0 || got < count) {
        if (timeout_s > 0 && mcgk_monotonic_ns() - start > (uint64_t)timeout_s * 1000000000ull) {
            e = MCGK_ERR_SIP_TIMEOUT;
            break;
        }
        if (shell_signal_wait(0) != 0)
            break;
        size_t len;
        char from[64];
        if ((e = mcgk_bcast_receive(r, 50, buf, sizeof buf, &len, from, sizeof from)) != MCGK_OK)
            break;
        if (len == 0)
            continue;
        mcgk_bcast_frame f;
        mcgk_err pe = len > sizeof buf ? MCGK_ERR_OVERSIZED : mcgk_bcast_parse(buf, len, &f);
        if (pe != MCGK_OK) {
            printf("dropped from=%s reason=%s\n", from, mcgk_err_name(pe));
            fflush(stdout);
            continue;
        }
        char sid[17];
        (void)mcgk_hex_encode(f.session_id, 8, sid, sizeof sid);
        int dup = 0;
        for (size_t i = 0; i < n_seen && i < SEEN_MAX && !dup; i++)
            dup = memcmp(seen[i], f.session_id, 8) == 0;
        if (dup) {
            printf("duplicate session=%s repeat=%u\n", sid, (unsigned)f.repeat);
            fflush(stdout);
            continue;
        }
        memcpy(seen[n_seen++ % SEEN_MAX], f.session_id, 8);
        got++;
        char o[MCGK_BCAST_MAX_URI + 8], g[MCGK_BCAST_MAX_URI + 8];
        printf("media-session from=%s group=%s session=%s repeat=%u body_len=%zu key_mgmt=%s\n",
               mcgk_log_quote(f.originator, o, sizeof o), mcgk_log_quote(f.group, g, sizeof g),
               sid, (unsigned)f.repeat, f.sdp_len,
               mcgk_ctl_sdp_has_key_mgmt(f.sdp, f.sdp_len) ? "yes" : "no");
        fflush(stdout);
        if (dir != NULL) {
            char path[SHELL_PATH_MAX];
            snprintf(path, sizeof path, "%s/offer-%zu.sdp", dir, got);
            if (mcgk_file_write_private(path, f.sdp, f.sdp_len, 0) != MCGK_OK)
                fprintf(stderr, "cannot write %s\n", path);
        }
    }
    mcgk_bcast_receiver_free(r);
    return e == MCGK_OK ? 0 : cli_fail(e);
}
