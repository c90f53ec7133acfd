/*
 * mcgk sip <verb>: SIP diagnostics for integrators and tests (issue 5,
 * the SIP layer; profile in docs/sip.md).
 *
 *   listen    an endpoint with mcgk's registrar (what the GMS runs): answers
 *             REGISTER / SUBSCRIBE, optionally pushes a NOTIFY with a body to
 *             each new binding, answers other requests with a chosen status
 *   notify    send one NOTIFY (Event: mcgk-group-config) and print the outcome
 *   register  register with a registrar, then optionally answer NOTIFYs like
 *             a member would
 *   invite, answer                    a group call's caller and member
 *                                     (apps/cmd_sip_call.c, issue 6)
 *   broadcast-send, broadcast-listen  the off-network media-session creation
 *                                     message (apps/cmd_sip_bcast.c, issue 6)
 *
 * Output: one line per event on stdout ("key=value ..."); logs on stderr.
 * Exit 0 on success, 1 on a failed outcome (error: <name> on stderr), 2 on
 * bad usage.
 *
 * Secrets: bodies given with --body-file / --notify-file may carry key
 * material; they are never printed (only their length) and are wiped.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_sip.h"
#include "mcgk/platform.h"
#include "mcgk/sip.h"
#include "net/sip_registrar.h"
#include "net/sip_transport.h"
#include "platform/file.h"
#include "platform/log.h"
#include "roles.h"
#include "shell.h"

#define BODY_MAX (MCGK_SIP_MAX_MSG_LEN - 4096) /* room for the headers */

#define FLAGS(...) SHELL_PARSE_FLAGS(__VA_ARGS__, {"log-level", 1})

/* ---- shared plumbing ------------------------------------------------------------------- */

/* see cmd_sip.h */
mcgk_err sip_cli_hostport(const char *s, char *host, size_t cap, uint16_t *port)
{
    const char *h = "127.0.0.1", *p = s;
    size_t hl = strlen(h);
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (rb == NULL || rb[1] != ':')
            return MCGK_ERR_USAGE;
        h = s + 1;
        hl = (size_t)(rb - s - 1);
        p = rb + 2;
    } else if (strrchr(s, ':') != NULL) {
        const char *c = strrchr(s, ':');
        h = s;
        hl = (size_t)(c - s);
        p = c + 1;
    }
    if (hl == 0 || hl >= cap)
        return MCGK_ERR_USAGE;
    char *end = NULL;
    unsigned long v = strtoul(p, &end, 10);
    if (end == p || *end != '\0' || v > 65535)
        return MCGK_ERR_USAGE;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (uint16_t)v;
    return MCGK_OK;
}

/* see cmd_sip.h */
mcgk_err sip_cli_u32(const cli_args *a, const char *name, uint32_t lo, uint32_t hi, uint32_t def,
                     uint32_t *out)
{
    uint64_t v = def;
    if (cli_has(a, name)) {
        mcgk_err e = cli_u64_flag(a, name, &v);
        if (e != MCGK_OK)
            return e;
    }
    if (v < lo || v > hi) {
        fprintf(stderr, "--%s: want %u..%u\n", name, (unsigned)lo, (unsigned)hi);
        return MCGK_ERR_USAGE;
    }
    *out = (uint32_t)v;
    return MCGK_OK;
}

/* see cmd_sip.h */
mcgk_err sip_cli_ua_flags(const cli_args *a, const char *listen_flag, mcgk_sip_ua_config *c,
                          char *host, size_t cap)
{
    uint16_t port = 0;
    const char *l = cli_get(a, listen_flag);
    snprintf(host, cap, "127.0.0.1");
    if (l != NULL && sip_cli_hostport(l, host, cap, &port) != MCGK_OK) {
        fprintf(stderr, "--%s: want HOST:PORT, [V6ADDR]:PORT or PORT\n", listen_flag);
        return MCGK_ERR_USAGE;
    }
    uint32_t t1;
    mcgk_err e = sip_cli_u32(a, "t1-ms", 0, 60000, 0, &t1);
    if (e != MCGK_OK)
        return e;
    c->host = host;
    c->port = port;
    c->t1_ms = t1;
    c->user = cli_get(a, "user");
    return MCGK_OK;
}

/* see cmd_sip.h */
mcgk_err sip_cli_save_offer(const char *dir, int n, const uint8_t *body, size_t len)
{
    char path[SHELL_PATH_MAX];
    snprintf(path, sizeof path, "%s/offer-%d.sdp", dir, n);
    mcgk_err e = mcgk_file_write_private(path, body, len, 0);
    if (e != MCGK_OK)
        fprintf(stderr, "cannot write %s\n", path);
    return e;
}

static const char *q(const char *s, char *buf, size_t cap)
{
    return mcgk_log_quote(s, buf, cap);
}

static mcgk_err start_endpoint(const cli_args *a, uint32_t t1, mcgk_sip_request_cb cb, void *ctx,
                               mcgk_sip_endpoint **ep)
{
    char host[64];
    uint16_t port = 0;
    const char *l = cli_get(a, "listen");
    if (l != NULL && sip_cli_hostport(l, host, sizeof host, &port) != MCGK_OK) {
        fprintf(stderr, "--listen: want HOST:PORT, [V6ADDR]:PORT or PORT\n");
        return MCGK_ERR_USAGE;
    }
    if (l == NULL)
        snprintf(host, sizeof host, "127.0.0.1");
    mcgk_sip_endpoint_config c;
    memset(&c, 0, sizeof c);
    c.host = host;
    c.port = port;
    c.t1_ms = t1;
    c.t2_ms = t1 > MCGK_SIP_T2_MS ? t1 : (t1 ? (8 * t1 < MCGK_SIP_T2_MS ? 8 * t1 : MCGK_SIP_T2_MS) : 0);
    c.on_request = cb;
    c.ctx = ctx;
    mcgk_err e = mcgk_sip_endpoint_new(&c, ep);
    if (e != MCGK_OK) {
        fprintf(stderr, "cannot listen on %s:%u\n", host, (unsigned)port);
        return e;
    }
    printf("listening addr=%s\n", mcgk_sip_endpoint_sent_by(*ep));
    fflush(stdout);
    if ((e = sip_cli_port_file(a, mcgk_sip_endpoint_port(*ep))) != MCGK_OK) {
        mcgk_sip_endpoint_free(*ep);
        *ep = NULL;
        return e;
    }
    return MCGK_OK;
}

/* see cmd_sip.h */
mcgk_err sip_cli_port_file(const cli_args *a, uint16_t port)
{
    const char *pf = cli_get(a, "port-file");
    if (pf == NULL)
        return MCGK_OK;
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%u\n", (unsigned)port);
    mcgk_err e = mcgk_file_write_private(pf, buf, (size_t)n, 0);
    if (e != MCGK_OK)
        fprintf(stderr, "cannot write %s\n", pf);
    return e;
}

/* How a verb answers requests that are not the registrar's. */
typedef struct answerer {
    int status;
    const char *warning; /* NULL: none */
} answerer;

static mcgk_err answer_flags(const cli_args *a, answerer *an)
{
    uint32_t st;
    mcgk_err e = sip_cli_u32(a, "answer", 200, 699, 200, &st);
    if (e != MCGK_OK)
        return e;
    an->status = (int)st;
    an->warning = cli_get(a, "warning");
    return MCGK_OK;
}

static void answer(const answerer *an, mcgk_sip_endpoint *ep, uint64_t txn,
                   const mcgk_sip_msg *req)
{
    mcgk_sip_response_params r;
    memset(&r, 0, sizeof r);
    r.status = an->status;
    if (an->warning != NULL && an->status >= 300) {
        /* how a client tells the GMS why it refused (docs/sip.md) */
        r.warning_code = 399;
        r.warning_text = an->warning;
        r.reason_text = an->warning;
    }
    mcgk_err e = mcgk_sip_endpoint_respond(ep, txn, &r);
    char cid[96], ct[96];
    printf("request method=%s call_id=%s content_type=%s body_len=%zu answered=%d%s%s\n",
           req->method, q(req->call_id, cid, sizeof cid), q(req->content_type, ct, sizeof ct),
           req->body_len, an->status, e == MCGK_OK ? "" : " error=", e == MCGK_OK ? "" : mcgk_err_name(e));
    fflush(stdout);
}

/* Count events; the main thread waits for `want` of them. */
typedef struct counter {
    atomic_int events;
    atomic_int failures;
} counter;

static int wait_events(counter *c, int want, uint32_t timeout_s)
{
    uint64_t start = mcgk_monotonic_ns();
    for (;;) {
        if (want > 0 && atomic_load(&c->events) >= want)
            return 0;
        if (timeout_s > 0 && mcgk_monotonic_ns() - start > (uint64_t)timeout_s * 1000000000ull)
            return -1;
        int sig = shell_signal_wait(100);
        if (sig != 0) {
            mcgk_log(MCGK_LOG_INFO, "sip", "stopping", "signal=%d", sig);
            return want > 0 ? -1 : 0;
        }
    }
}

static mcgk_err read_body(const cli_args *a, const char *flag, uint8_t **body, size_t *len)
{
    *body = NULL;
    *len = 0;
    const char *path = cli_get(a, flag);
    if (path == NULL)
        return MCGK_OK;
    mcgk_err e = mcgk_file_read(path, BODY_MAX, body, len);
    if (e != MCGK_OK)
        fprintf(stderr, "cannot read --%s %s\n", flag, path);
    return e;
}

/* ---- listen ------------------------------------------------------------------------------ */

typedef struct listen_state {
    mcgk_sip_registrar *reg;
    mcgk_sip_endpoint *ep;
    answerer an;
    const uint8_t *body; /* --notify-file, or NULL */
    size_t body_len;
    const char *content_type;
    counter cnt;
} listen_state;

static void on_notify_result(void *user, const mcgk_sip_notify_result *r)
{
    listen_state *s = user;
    char aor[MCGK_SIP_URI_MAX + 8], w[300], rs[300];
    printf("notify aor=%s result=%s status=%d warning=%s reason=%s\n", q(r->aor, aor, sizeof aor),
           r->result == MCGK_OK ? "ok" : mcgk_err_name(r->result), r->status,
           q(r->warning_text, w, sizeof w), q(r->reason_text, rs, sizeof rs));
    fflush(stdout);
    if (r->result != MCGK_OK)
        atomic_fetch_add(&s->cnt.failures, 1);
    atomic_fetch_add(&s->cnt.events, 1);
}

static void listen_on_binding(void *ctx, const mcgk_sip_binding *b, int removed)
{
    listen_state *s = ctx;
    char aor[MCGK_SIP_URI_MAX + 8], ct[MCGK_SIP_URI_MAX + 8];
    uint64_t now = mcgk_now_unix_s();
    printf("binding aor=%s contact=%s expires=%llu subscribed=%d removed=%d\n",
           q(b->aor, aor, sizeof aor), q(b->contact, ct, sizeof ct),
           (unsigned long long)(b->expires_unix_s > now ? b->expires_unix_s - now : 0),
           b->subscribed, removed);
    fflush(stdout);
    if (removed || s->body == NULL)
        return;
    /* push the configured body to the new binding (RFC 6665 §4.2.1.2 for SUBSCRIBE) */
    mcgk_err e = mcgk_sip_notify_send(s->reg, s->ep, now, b->aor, s->content_type, s->body,
                                      s->body_len, on_notify_result, s);
    if (e != MCGK_OK) {
        printf("notify aor=%s result=%s status=0\n", q(b->aor, aor, sizeof aor), mcgk_err_name(e));
        fflush(stdout);
        atomic_fetch_add(&s->cnt.failures, 1);
        atomic_fetch_add(&s->cnt.events, 1);
    }
}

static void listen_on_request(void *ctx, mcgk_sip_endpoint *ep, uint64_t txn,
                              const mcgk_sip_peer *from, const mcgk_sip_msg *req)
{
    (void)from;
    listen_state *s = ctx;
    if (mcgk_sip_registrar_on_request(s->reg, ep, txn, req))
        return;
    answer(&s->an, ep, txn, req);
    if (s->body == NULL)
        atomic_fetch_add(&s->cnt.events, 1);
}

static const char help_listen[] =
    "usage: mcgk sip listen [--listen HOST:PORT] [--local-uri URI] [--answer STATUS]\n"
    "                       [--warning TEXT] [--notify-file FILE] [--content-type TYPE]\n"
    "                       [--count N] [--timeout-s N] [--t1-ms N] [--port-file FILE]\n"
    "                       [--log-level LEVEL]\n\n"
    "A SIP endpoint (UDP) with mcgk's registrar, as the GMS runs it:\n"
    "  REGISTER, and SUBSCRIBE with Event: mcgk-group-config, are answered by the\n"
    "  registrar (200 with Expires; 423, 400, 489 ... with a Warning);\n"
    "  with --notify-file, every new binding is sent a NOTIFY with that body and the\n"
    "  outcome is printed (\"notify aor=... result=ok status=200\");\n"
    "  any other request is answered --answer (with Warning 399 and Reason TEXT for\n"
    "  an error status when --warning TEXT is given).\n\n"
    "  --listen HOST:PORT   numeric address, default 127.0.0.1:0 (a free port;\n"
    "                       printed as \"listening addr=HOST:PORT\")\n"
    "  --local-uri URI      our identity in NOTIFYs, default sip:gms@127.0.0.1\n"
    "  --content-type TYPE  of the NOTIFY body, default " MCGK_SIP_CT_GROUP_CONFIG "\n"
    "  --count N            exit after N NOTIFY outcomes (with --notify-file) or N\n"
    "                       answered requests; exit 1 if any NOTIFY failed\n"
    "  --timeout-s N        give up after N seconds (exit 1, error: sip-timeout)\n"
    "  --t1-ms N            RFC 3261 T1, default 500 (Timer F = 64*T1)\n"
    "  --port-file FILE     write the bound port to FILE\n"
    "Stops cleanly on SIGTERM or SIGINT. Bodies are never printed.\n";

static int run_listen(int argc, char **argv)
{
    FLAGS({"listen", 1}, {"local-uri", 1}, {"answer", 1}, {"warning", 1}, {"notify-file", 1},
          {"content-type", 1}, {"count", 1}, {"timeout-s", 1}, {"t1-ms", 1}, {"port-file", 1});
    listen_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return cli_fail(MCGK_ERR_NO_MEMORY);
    uint32_t count, timeout_s, t1;
    uint8_t *body = NULL;
    size_t body_len = 0;
    if ((e = answer_flags(&a, &s->an)) != MCGK_OK ||
        (e = sip_cli_u32(&a, "count", 0, 10000000, 0, &count)) != MCGK_OK ||
        (e = sip_cli_u32(&a, "timeout-s", 0, 86400, 0, &timeout_s)) != MCGK_OK ||
        (e = sip_cli_u32(&a, "t1-ms", 0, 60000, 0, &t1)) != MCGK_OK ||
        (e = read_body(&a, "notify-file", &body, &body_len)) != MCGK_OK) {
        free(s);
        return cli_fail(e);
    }
    s->body = body;
    s->body_len = body_len;
    s->content_type = cli_get(&a, "content-type");
    mcgk_sip_registrar_config rc;
    memset(&rc, 0, sizeof rc);
    rc.local_uri = cli_get(&a, "local-uri") ? cli_get(&a, "local-uri") : "sip:gms@127.0.0.1";
    rc.on_binding = listen_on_binding;
    rc.ctx = s;
    shell_signals_block(); /* before the endpoint's thread exists */
    if ((e = mcgk_sip_registrar_new(&rc, &s->reg)) != MCGK_OK)
        fprintf(stderr, "--local-uri: not a SIP URI\n");
    if (e == MCGK_OK)
        e = start_endpoint(&a, t1, listen_on_request, s, &s->ep);
    if (e == MCGK_OK)
        e = mcgk_sip_endpoint_start(s->ep);
    if (e == MCGK_OK) {
        int w = wait_events(&s->cnt, (int)count, timeout_s);
        if (w != 0 && count > 0)
            e = MCGK_ERR_SIP_TIMEOUT;
        else if (atomic_load(&s->cnt.failures) > 0)
            e = MCGK_ERR_PEER;
    }
    mcgk_sip_endpoint_free(s->ep);
    mcgk_sip_registrar_free(s->reg);
    mcgk_file_free(body, body_len);
    free(s);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ---- notify ------------------------------------------------------------------------------ */

typedef struct one_result {
    counter cnt;
    mcgk_err result;
    int status;
} one_result;

static void on_one(void *user, mcgk_sip_endpoint *ep, uint64_t txn, mcgk_err result,
                   const mcgk_sip_msg *resp)
{
    (void)ep;
    (void)txn;
    one_result *o = user;
    char w[300], rs[300], ct[MCGK_SIP_URI_MAX + 8];
    o->result = result;
    o->status = resp ? resp->status : 0;
    printf("status=%d result=%s", o->status, result == MCGK_OK ? "ok" : mcgk_err_name(result));
    if (resp != NULL) {
        printf(" warning=%s reason=%s", q(resp->warning_text, w, sizeof w),
               q(resp->reason_text, rs, sizeof rs));
        if (resp->has_expires)
            printf(" expires=%u", (unsigned)resp->expires);
        if (resp->has_contact_expires)
            printf(" contact=%s contact_expires=%u", q(resp->contact_uri, ct, sizeof ct),
                   (unsigned)resp->contact_expires);
    }
    printf("\n");
    fflush(stdout);
    atomic_fetch_add(&o->cnt.events, 1);
}

static mcgk_err random_ids(char *tag, size_t tag_cap, char *call_id, size_t cid_cap)
{
    mcgk_err e = mcgk_sip_random_token(mcgk_rng_system(), "t", 8, tag, tag_cap);
    return e == MCGK_OK ? mcgk_sip_random_token(mcgk_rng_system(), NULL, 16, call_id, cid_cap) : e;
}

static const char help_notify[] =
    "usage: mcgk sip notify --to URI [--body-file FILE] [--content-type TYPE]\n"
    "                       [--from URI] [--aor URI] [--listen HOST:PORT] [--t1-ms N]\n"
    "                       [--log-level LEVEL]\n\n"
    "Sends one NOTIFY (Event: " MCGK_SIP_EVENT_GROUP_CONFIG ", Subscription-State: active)\n"
    "to the host and port of URI (numeric) and prints its outcome:\n"
    "  status=200 result=ok warning=\"\" reason=\"\"\n"
    "  status=488 result=peer warning=\"signature\" reason=\"signature\"\n"
    "  status=0 result=sip-timeout           (no final answer before Timer F)\n"
    "Exit 0 on a 2xx, 1 otherwise.\n\n"
    "  --to URI             Request-URI, e.g. sip:alice@127.0.0.1:5070\n"
    "  --body-file FILE     the body (never printed), default none\n"
    "  --content-type TYPE  default " MCGK_SIP_CT_GROUP_CONFIG "\n"
    "  --from URI           default sip:gms@127.0.0.1\n"
    "  --aor URI            To, default the --to URI\n"
    "  --listen HOST:PORT   our address, default 127.0.0.1:0\n"
    "  --t1-ms N            RFC 3261 T1, default 500 (Timer F = 64*T1)\n";

static int run_notify(int argc, char **argv)
{
    FLAGS({"to", 1}, {"body-file", 1}, {"content-type", 1}, {"from", 1}, {"aor", 1},
          {"listen", 1}, {"t1-ms", 1});
    const char *to_uri = cli_require(&a, "to");
    if (to_uri == NULL)
        return cli_fail(MCGK_ERR_USAGE);
    uint32_t t1;
    uint8_t *body = NULL;
    size_t body_len = 0;
    if ((e = sip_cli_u32(&a, "t1-ms", 0, 60000, 0, &t1)) != MCGK_OK ||
        (e = read_body(&a, "body-file", &body, &body_len)) != MCGK_OK)
        return cli_fail(e);
    mcgk_sip_peer to;
    if ((e = mcgk_sip_peer_from_uri(&to, to_uri)) != MCGK_OK) {
        fprintf(stderr, "--to: want a sip: URI with a numeric host\n");
        mcgk_file_free(body, body_len);
        return cli_fail(e);
    }
    one_result o;
    memset(&o, 0, sizeof o);
    mcgk_sip_endpoint *ep = NULL;
    char tag[40], call_id[48], contact[MCGK_SIP_URI_MAX];
    shell_signals_block();
    if ((e = random_ids(tag, sizeof tag, call_id, sizeof call_id)) == MCGK_OK)
        e = start_endpoint(&a, t1, NULL, NULL, &ep);
    if (e == MCGK_OK)
        e = mcgk_sip_endpoint_contact(ep, "gms", contact, sizeof contact);
    if (e == MCGK_OK)
        e = mcgk_sip_endpoint_start(ep);
    if (e == MCGK_OK) {
        mcgk_sip_request_params p;
        memset(&p, 0, sizeof p);
        p.method = "NOTIFY";
        p.request_uri = to_uri;
        p.from_uri = cli_get(&a, "from") ? cli_get(&a, "from") : "sip:gms@127.0.0.1";
        p.from_tag = tag;
        p.to_uri = cli_get(&a, "aor") ? cli_get(&a, "aor") : to_uri;
        p.call_id = call_id;
        p.cseq = 1;
        p.contact_uri = contact;
        p.event = MCGK_SIP_EVENT_GROUP_CONFIG;
        p.subscription_state = "active;expires=3600";
        p.content_type = cli_get(&a, "content-type") ? cli_get(&a, "content-type")
                                                      : MCGK_SIP_CT_GROUP_CONFIG;
        p.body = body;
        p.body_len = body_len;
        e = mcgk_sip_endpoint_request(ep, &to, &p, on_one, &o, NULL);
        if (e == MCGK_OK && wait_events(&o.cnt, 1, 0) != 0)
            e = MCGK_ERR_SIP_CLOSED; /* a signal */
        if (e == MCGK_OK)
            e = o.result;
    }
    mcgk_sip_endpoint_free(ep);
    mcgk_file_free(body, body_len);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ---- register ---------------------------------------------------------------------------- */

typedef struct member_state {
    answerer an;
    counter cnt;
} member_state;

static void member_on_request(void *ctx, mcgk_sip_endpoint *ep, uint64_t txn,
                              const mcgk_sip_peer *from, const mcgk_sip_msg *req)
{
    (void)from;
    member_state *m = ctx;
    answer(&m->an, ep, txn, req);
    atomic_fetch_add(&m->cnt.events, 1);
}

static const char help_register[] =
    "usage: mcgk sip register --registrar URI --aor URI [--expires N] [--user NAME]\n"
    "                         [--listen HOST:PORT] [--count N] [--answer STATUS]\n"
    "                         [--warning TEXT] [--timeout-s N] [--t1-ms N]\n"
    "                         [--port-file FILE] [--log-level L]\n\n"
    "Registers AOR with the registrar at URI (numeric host), the contact being this\n"
    "endpoint, and prints \"status=200 result=ok expires=N ...\". With --count N it\n"
    "then stays, answering requests (NOTIFYs) with --answer like a member would,\n"
    "until N are answered (or --timeout-s passes: exit 1).\n\n"
    "  --expires N          requested registration time, default 3600\n"
    "  --user NAME          user part of our Contact, default member\n"
    "  --port-file FILE     write the bound port to FILE\n";

static int run_register(int argc, char **argv)
{
    FLAGS({"registrar", 1}, {"aor", 1}, {"expires", 1}, {"user", 1}, {"listen", 1},
          {"count", 1}, {"answer", 1}, {"warning", 1}, {"timeout-s", 1}, {"t1-ms", 1},
          {"port-file", 1});
    const char *reg_uri = cli_require(&a, "registrar");
    const char *aor = reg_uri ? cli_require(&a, "aor") : NULL;
    if (aor == NULL)
        return cli_fail(MCGK_ERR_USAGE);
    member_state m;
    memset(&m, 0, sizeof m);
    uint32_t expires, count, timeout_s, t1;
    if ((e = answer_flags(&a, &m.an)) != MCGK_OK ||
        (e = sip_cli_u32(&a, "expires", 0, 0x7fffffff, 3600, &expires)) != MCGK_OK ||
        (e = sip_cli_u32(&a, "count", 0, 10000000, 0, &count)) != MCGK_OK ||
        (e = sip_cli_u32(&a, "timeout-s", 0, 86400, 0, &timeout_s)) != MCGK_OK ||
        (e = sip_cli_u32(&a, "t1-ms", 0, 60000, 0, &t1)) != MCGK_OK)
        return cli_fail(e);
    mcgk_sip_peer to;
    if ((e = mcgk_sip_peer_from_uri(&to, reg_uri)) != MCGK_OK) {
        fprintf(stderr, "--registrar: want a sip: URI with a numeric host\n");
        return cli_fail(e);
    }
    one_result o;
    memset(&o, 0, sizeof o);
    mcgk_sip_endpoint *ep = NULL;
    char tag[40], call_id[48], contact[MCGK_SIP_URI_MAX];
    shell_signals_block();
    if ((e = random_ids(tag, sizeof tag, call_id, sizeof call_id)) == MCGK_OK)
        e = start_endpoint(&a, t1, member_on_request, &m, &ep);
    if (e == MCGK_OK)
        e = mcgk_sip_endpoint_contact(ep, cli_get(&a, "user") ? cli_get(&a, "user") : "member",
                                      contact, sizeof contact);
    if (e == MCGK_OK)
        e = mcgk_sip_endpoint_start(ep);
    if (e == MCGK_OK) {
        mcgk_sip_request_params p;
        memset(&p, 0, sizeof p);
        p.method = "REGISTER";
        p.request_uri = reg_uri;
        p.from_uri = p.to_uri = aor; /* RFC 3261 §10.2: To is the AOR */
        p.from_tag = tag;
        p.call_id = call_id;
        p.cseq = 1;
        p.contact_uri = contact;
        p.has_expires = 1;
        p.expires = expires;
        e = mcgk_sip_endpoint_request(ep, &to, &p, on_one, &o, NULL);
        if (e == MCGK_OK && wait_events(&o.cnt, 1, 0) != 0)
            e = MCGK_ERR_SIP_CLOSED;
        if (e == MCGK_OK)
            e = o.result;
    }
    if (e == MCGK_OK && count > 0 && wait_events(&m.cnt, (int)count, timeout_s) != 0)
        e = MCGK_ERR_SIP_TIMEOUT;
    mcgk_sip_endpoint_free(ep);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ================================ role ================================ */

static const cli_verb k_verbs[] = {
    {"listen", "an endpoint with mcgk's registrar; pushes a NOTIFY to each binding", run_listen,
     help_listen},
    {"notify", "send one NOTIFY and print its outcome", run_notify, help_notify},
    {"register", "register with a registrar, then answer NOTIFYs like a member", run_register,
     help_register},
    {"invite", "call: send an INVITE with an SDP offer, wait for the answer, BYE",
     sip_cmd_invite, sip_help_invite},
    {"answer", "a group member: register, answer INVITEs with 200 + SDP, keep the offers",
     sip_cmd_answer, sip_help_answer},
    {"broadcast-send", "off network: broadcast a media-session creation message (SDP)",
     sip_cmd_bcast_send, sip_help_bcast_send},
    {"broadcast-listen", "off network: receive media-session creation messages",
     sip_cmd_bcast_listen, sip_help_bcast_listen},
};

int mcgk_cmd_sip(int argc, char **argv)
{
    return cli_dispatch("sip",
                        "SIP diagnostics (RFC 3261 over UDP; the profile is in docs/sip.md):\n"
                        "the registrar and NOTIFY push the GMS uses, and a member's side;\n"
                        "a group call's caller and members (INVITE through `mcgk controller`)\n"
                        "and the off-network broadcast (docs/controller.md).",
                        k_verbs, sizeof k_verbs / sizeof k_verbs[0], argc, argv);
}
