/*
 * mcgk sip invite / mcgk sip answer: a group call's caller and member for
 * tests and integrators (issue 6; docs/controller.md), on the user agent of
 * net/sip_ua.h, without any key handling: the SDP offer (with its
 * a=key-mgmt:mikey line) comes from a file and is sent as it is; a member
 * keeps each offer it receives in a file, octet for octet, so that a test
 * can compare it with the caller's (R-002-18).
 *
 * Output: one line per event on stdout ("key=value ..."); logs on stderr.
 * Exit 0 on success, 1 on a failed outcome (error: <name>), 2 on bad usage.
 *
 * Secrets: none (an offer's MIKEY message is public). Bodies are never
 * printed, only their length and whether they hold an a=key-mgmt line.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cmd_sip.h"
#include "mcgk/controller.h"
#include "mcgk/platform.h"
#include "net/sip_ua.h"
#include "platform/file.h"
#include "platform/log.h"
#include "shell.h"

#define SDP_MAX MCGK_CTL_MAX_OFFER_LEN

#define FLAGS(...) SHELL_PARSE_FLAGS(__VA_ARGS__, {"log-level", 1})

static const char *q(const char *s, char *buf, size_t cap)
{
    return mcgk_log_quote(s, buf, cap);
}

static const char *yes(int v)
{
    return v ? "yes" : "no";
}

static mcgk_err start_ua(const cli_args *a, mcgk_sip_ua_config *c, mcgk_sip_ua **ua)
{
    mcgk_err e = mcgk_sip_ua_new(c, ua);
    if (e != MCGK_OK) {
        fprintf(stderr, "cannot listen on %s:%u\n", c->host, (unsigned)c->port);
        return e;
    }
    mcgk_sip_endpoint *ep = mcgk_sip_ua_endpoint(*ua);
    printf("listening addr=%s\n", mcgk_sip_endpoint_sent_by(ep));
    fflush(stdout);
    return sip_cli_port_file(a, mcgk_sip_endpoint_port(ep));
}

static void sleep_ms(uint32_t ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- invite ------------------------------------------------------------------------------ */

typedef struct caller_state {
    atomic_int remote_bye;
} caller_state;

static void caller_event(void *ctx, mcgk_sip_ua_event ev, const char *call_id)
{
    caller_state *cs = ctx;
    char cid[96];
    if (ev == MCGK_SIP_UA_EV_BYE) {
        printf("bye-received call_id=%s\n", q(call_id, cid, sizeof cid));
        fflush(stdout);
        atomic_store(&cs->remote_bye, 1);
    }
}

static void caller_progress(void *user, const mcgk_sip_msg *m)
{
    (void)user;
    char w[300];
    printf("provisional status=%d body_len=%zu key_mgmt=%s warning=%s\n", m->status, m->body_len,
           yes(mcgk_ctl_sdp_has_key_mgmt(m->body, m->body_len)),
           q(m->warning_text, w, sizeof w));
    fflush(stdout);
}

const char sip_help_invite[] =
    "usage: mcgk sip invite --to URI --sdp-file FILE [--from URI] [--aor URI]\n"
    "                       [--listen HOST:PORT] [--user NAME] [--t1-ms N]\n"
    "                       [--cancel-after-ms N] [--hold-ms N] [--no-bye]\n"
    "                       [--answer-file FILE] [--port-file FILE] [--log-level LEVEL]\n\n"
    "Places a call, as the caller of a group call does (R-002-12): an INVITE whose body\n"
    "is the SDP offer of FILE, sent as it is (it should hold the a=key-mgmt:mikey line\n"
    "with the MIKEY-PSK GSK message), to the host and port of URI (numeric; e.g. the\n"
    "group controller, sip:group1@127.0.0.1:5062). Prints each answer:\n"
    "  provisional status=100 body_len=0 key_mgmt=no warning=\"\"\n"
    "  provisional status=183 ...\n"
    "  final status=200 result=ok body_len=N key_mgmt=no warning=\"\"\n"
    "ACKs a 2xx, keeps the call --hold-ms (default 0) - or until the other side\n"
    "hangs up (\"bye-received\") - then hangs up with a BYE (\"bye status=200\").\n"
    "Exit 0 on a 2xx (and a BYE answered 2xx), 1 otherwise.\n\n"
    "  --from URI           us, default sip:caller@127.0.0.1\n"
    "  --aor URI            To, default the --to URI\n"
    "  --cancel-after-ms N  CANCEL the INVITE when no final answer came by then\n"
    "  --no-bye             leave the call up at exit (the other side's BYE goes unanswered)\n"
    "  --answer-file FILE   write the answer's body there (mode 0600)\n"
    "  --listen HOST:PORT   our address, default 127.0.0.1:0\n"
    "  --t1-ms N            RFC 3261 T1, default 500\n";

int sip_cmd_invite(int argc, char **argv)
{
    FLAGS({"to", 1}, {"sdp-file", 1}, {"from", 1}, {"aor", 1}, {"listen", 1}, {"user", 1},
          {"t1-ms", 1}, {"cancel-after-ms", 1}, {"hold-ms", 1}, {"no-bye", 0},
          {"answer-file", 1}, {"port-file", 1});
    const char *to = cli_require(&a, "to");
    const char *sdp_path = to ? cli_require(&a, "sdp-file") : NULL;
    if (sdp_path == NULL)
        return cli_fail(MCGK_ERR_USAGE);
    uint32_t cancel_after, hold;
    if ((e = sip_cli_u32(&a, "cancel-after-ms", 0, 3600000, 0, &cancel_after)) != MCGK_OK ||
        (e = sip_cli_u32(&a, "hold-ms", 0, 86400000, 0, &hold)) != MCGK_OK)
        return cli_fail(e);
    uint8_t *sdp = NULL;
    size_t sdp_len = 0;
    if ((e = mcgk_file_read(sdp_path, SDP_MAX, &sdp, &sdp_len)) != MCGK_OK) {
        fprintf(stderr, "cannot read --sdp-file %s\n", sdp_path);
        return cli_fail(e);
    }
    caller_state cs;
    memset(&cs, 0, sizeof cs);
    mcgk_sip_ua_config c;
    memset(&c, 0, sizeof c);
    char host[64];
    c.on_event = caller_event;
    c.ctx = &cs;
    mcgk_sip_ua *ua = NULL;
    shell_signals_block();
    if ((e = sip_cli_ua_flags(&a, "listen", &c, host, sizeof host)) == MCGK_OK) {
        if (c.user == NULL)
            c.user = "caller";
        e = start_ua(&a, &c, &ua);
    }
    mcgk_sip_ua_call *call = NULL;
    if (e == MCGK_OK) {
        mcgk_sip_ua_invite_params p;
        memset(&p, 0, sizeof p);
        p.target_uri = to;
        p.from_uri = cli_get(&a, "from") ? cli_get(&a, "from") : "sip:caller@127.0.0.1";
        p.to_uri = cli_get(&a, "aor");
        p.body = sdp;
        p.body_len = sdp_len;
        p.on_provisional = caller_progress;
        p.cancel_after_ms = cancel_after;
        mcgk_sip_ua_result res;
        e = mcgk_sip_ua_invite(ua, &p, &res, &call);
        char w[300];
        printf("final status=%d result=%s body_len=%zu key_mgmt=%s warning=%s\n", res.status,
               e == MCGK_OK ? "ok" : mcgk_err_name(e), res.body_len,
               yes(mcgk_ctl_sdp_has_key_mgmt(res.body, res.body_len)),
               q(res.warning, w, sizeof w));
        fflush(stdout);
        const char *af = cli_get(&a, "answer-file");
        if (af != NULL && res.body != NULL &&
            mcgk_file_write_private(af, res.body, res.body_len, 0) != MCGK_OK)
            fprintf(stderr, "cannot write %s\n", af);
        mcgk_sip_ua_result_clear(&res);
    }
    if (e == MCGK_OK && call != NULL) {
        for (uint32_t t = 0; t < hold && !atomic_load(&cs.remote_bye); t += 10) {
            if (shell_signal_wait(10) != 0)
                break;
        }
        if (!cli_has(&a, "no-bye") && !mcgk_sip_ua_call_ended(ua, call)) {
            int st = 0;
            e = mcgk_sip_ua_bye(ua, call, &st);
            printf("bye status=%d result=%s\n", st, e == MCGK_OK ? "ok" : mcgk_err_name(e));
            fflush(stdout);
            if (e == MCGK_ERR_NOT_FOUND)
                e = MCGK_OK; /* it ended meanwhile */
        }
    }
    mcgk_sip_ua_call_free(ua, call);
    mcgk_sip_ua_free(ua);
    mcgk_file_free(sdp, sdp_len);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ---- answer ------------------------------------------------------------------------------ */

typedef struct member_state {
    pthread_mutex_t mu;
    int status;          /* how to answer; 0 = not at all */
    int ring;
    const char *warning;
    const uint8_t *sdp;  /* --sdp-file, or NULL: an answer made from the offer */
    size_t sdp_len;
    const char *offer_dir;
    const char *host;
    char answer[MCGK_CTL_MAX_ANSWER_LEN];
    atomic_int invites;  /* INVITEs handled */
    atomic_int open;     /* calls waiting for their end (BYE, CANCEL) */
    atomic_int failures;
} member_state;

static void member_offer(void *ctx, const mcgk_sip_ua_offer *o, mcgk_sip_ua_answer *ans)
{
    member_state *m = ctx;
    pthread_mutex_lock(&m->mu);
    /* open first: the main thread exits when it sees the INVITE counted and nothing open */
    if (m->status == 0 || (m->status >= 200 && m->status < 300))
        atomic_fetch_add(&m->open, 1);
    int n = atomic_load(&m->invites) + 1; /* counted at the end, once all is printed */
    int km = mcgk_ctl_sdp_has_key_mgmt(o->body, o->body_len);
    if (m->offer_dir != NULL) {
        /* R-002-18: what arrived, octet for octet, for the test to compare */
        if (sip_cli_save_offer(m->offer_dir, n, o->body, o->body_len) != MCGK_OK)
            atomic_fetch_add(&m->failures, 1);
    }
    ans->status = m->status;
    ans->ring = m->ring;
    ans->warning = m->warning;
    if (m->status >= 200 && m->status < 300) {
        /* R-002-19: our answer carries no security content */
        size_t len = 0;
        if (m->sdp != NULL) {
            ans->body = m->sdp;
            ans->body_len = m->sdp_len;
        } else if (mcgk_ctl_sdp_answer(o->body, o->body_len, m->host, (uint64_t)n, m->answer,
                                       sizeof m->answer, &len) == MCGK_OK) {
            ans->body = (const uint8_t *)m->answer;
            ans->body_len = len;
        }
    }
    char cid[96], from[MCGK_SIP_URI_MAX + 8];
    printf("invite n=%d call_id=%s from=%s body_len=%zu key_mgmt=%s answered=%d\n", n,
           q(o->call_id, cid, sizeof cid), q(o->from_uri, from, sizeof from), o->body_len,
           yes(km), m->status);
    fflush(stdout);
    atomic_fetch_add(&m->invites, 1);
    pthread_mutex_unlock(&m->mu);
}

static void member_event(void *ctx, mcgk_sip_ua_event ev, const char *call_id)
{
    member_state *m = ctx;
    const char *what = ev == MCGK_SIP_UA_EV_ACK      ? "ack"
                       : ev == MCGK_SIP_UA_EV_BYE    ? "bye"
                       : ev == MCGK_SIP_UA_EV_CANCEL ? "cancel"
                                                     : "no-ack";
    char cid[96];
    printf("%s call_id=%s\n", what, q(call_id, cid, sizeof cid));
    fflush(stdout);
    if (ev != MCGK_SIP_UA_EV_ACK)
        atomic_fetch_sub(&m->open, 1);
}

const char sip_help_answer[] =
    "usage: mcgk sip answer [--registrar URI --aor URI] [--expires N] [--listen HOST:PORT]\n"
    "                       [--user NAME] [--answer STATUS] [--ring] [--warning TEXT]\n"
    "                       [--sdp-file FILE] [--offer-dir DIR] [--count N] [--timeout-s N]\n"
    "                       [--t1-ms N] [--port-file FILE] [--log-level LEVEL]\n\n"
    "A group member's side of a call: registers AOR with the registrar (the group\n"
    "controller: registering makes it a member), then answers each INVITE\n"
    "--answer (default 200) with an SDP answer that carries no key material\n"
    "(R-002-19) - the --sdp-file, or one made from the offer's media - and answers\n"
    "BYE 200. Prints \"registered status=200\", then per call:\n"
    "  invite n=1 call_id=\"...\" from=\"...\" body_len=N key_mgmt=yes answered=200\n"
    "  ack call_id=\"...\"   bye call_id=\"...\"   cancel call_id=\"...\"\n"
    "With --count N it exits (0) once N INVITEs came and each call ended (a BYE after a\n"
    "2xx, a CANCEL when unanswered); --timeout-s gives up (exit 1).\n\n"
    "  --answer STATUS      200 (default), an error status 300..699, or 0: never answer\n"
    "  --ring               send 180 Ringing first\n"
    "  --warning TEXT       Warning 399 text with an error status\n"
    "  --offer-dir DIR      write each offer received to DIR/offer-<n>.sdp, as received\n"
    "  --expires N          registration time, default 3600\n"
    "  --user NAME          user part of our Contact, default member\n";

int sip_cmd_answer(int argc, char **argv)
{
    FLAGS({"registrar", 1}, {"aor", 1}, {"expires", 1}, {"listen", 1}, {"user", 1},
          {"answer", 1}, {"ring", 0}, {"warning", 1}, {"sdp-file", 1}, {"offer-dir", 1},
          {"count", 1}, {"timeout-s", 1}, {"t1-ms", 1}, {"port-file", 1});
    const char *registrar = cli_get(&a, "registrar");
    const char *aor = cli_get(&a, "aor");
    if ((registrar == NULL) != (aor == NULL)) {
        fprintf(stderr, "--registrar and --aor go together\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    member_state *m = calloc(1, sizeof *m);
    if (m == NULL || pthread_mutex_init(&m->mu, NULL) != 0) {
        free(m);
        return cli_fail(MCGK_ERR_NO_MEMORY);
    }
    uint32_t status, count, timeout_s, expires;
    uint8_t *sdp = NULL;
    size_t sdp_len = 0;
    if ((e = sip_cli_u32(&a, "answer", 0, 699, 200, &status)) == MCGK_OK && status != 0 &&
        status < 200) {
        fprintf(stderr, "--answer: want 0 or 200..699\n");
        e = MCGK_ERR_USAGE;
    }
    if (e == MCGK_OK)
        e = sip_cli_u32(&a, "count", 0, 10000000, 0, &count);
    if (e == MCGK_OK)
        e = sip_cli_u32(&a, "timeout-s", 0, 86400, 0, &timeout_s);
    if (e == MCGK_OK)
        e = sip_cli_u32(&a, "expires", 0, 0x7fffffff, 3600, &expires);
    if (e == MCGK_OK && cli_get(&a, "sdp-file") != NULL &&
        (e = mcgk_file_read(cli_get(&a, "sdp-file"), SDP_MAX, &sdp, &sdp_len)) != MCGK_OK)
        fprintf(stderr, "cannot read --sdp-file\n");
    const char *dir = cli_get(&a, "offer-dir");
    if (e == MCGK_OK && dir != NULL && (e = mcgk_dir_ensure_private(dir)) != MCGK_OK)
        fprintf(stderr, "cannot use --offer-dir %s\n", dir);
    char host[64];
    mcgk_sip_ua_config c;
    memset(&c, 0, sizeof c);
    if (e == MCGK_OK)
        e = sip_cli_ua_flags(&a, "listen", &c, host, sizeof host);
    m->status = (int)status;
    m->ring = cli_has(&a, "ring");
    m->warning = cli_get(&a, "warning");
    m->sdp = sdp;
    m->sdp_len = sdp_len;
    m->offer_dir = dir;
    m->host = host;
    c.on_offer = member_offer;
    c.on_event = member_event;
    c.ctx = m;
    if (c.user == NULL)
        c.user = "member";
    mcgk_sip_ua *ua = NULL;
    shell_signals_block();
    if (e == MCGK_OK)
        e = start_ua(&a, &c, &ua);
    if (e == MCGK_OK && registrar != NULL) {
        int st = 0;
        e = mcgk_sip_ua_register(ua, registrar, aor, expires, &st);
        printf("registered status=%d result=%s\n", st, e == MCGK_OK ? "ok" : mcgk_err_name(e));
        fflush(stdout);
    }
    if (e == MCGK_OK) {
        uint64_t start = mcgk_monotonic_ns();
        for (;;) {
            if (count > 0 && atomic_load(&m->invites) >= (int)count && atomic_load(&m->open) <= 0)
                break;
            if (timeout_s > 0 &&
                mcgk_monotonic_ns() - start > (uint64_t)timeout_s * 1000000000ull) {
                e = MCGK_ERR_SIP_TIMEOUT;
                break;
            }
            int sig = shell_signal_wait(20);
            if (sig != 0) {
                if (count > 0)
                    e = MCGK_ERR_SIP_CLOSED;
                break;
            }
        }
        sleep_ms(50); /* let the last answer (e.g. the BYE's 200) leave */
    }
    if (e == MCGK_OK && atomic_load(&m->failures) > 0)
        e = MCGK_ERR_IO;
    mcgk_sip_ua_free(ua);
    mcgk_file_free(sdp, sdp_len);
    pthread_mutex_destroy(&m->mu);
    free(m);
    return e == MCGK_OK ? 0 : cli_fail(e);
}
