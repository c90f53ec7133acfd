/*
 * The SIP endpoint: a UDP socket and poll() around the sans-I/O
 * transaction engine. See net/sip_transport.h. RFC 3261 §18 (transport:
 * responses go back to the source address of the request, as RFC 3581
 * rport does; messages up to 64 KiB over loopback UDP), §17 (through
 * net/sip_txn.c).
 *
 * Secrets: datagrams may carry key material in their bodies: the
 * receive buffer is wiped after each one; bodies are never logged.
 */
#include "net/sip_transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mcgk/platform.h"
#include "platform/log.h"

#define RX_BATCH 64       /* datagrams read per loop turn before timers run */
#define TIMEOUT_BATCH 64
#define SOCK_BUF_LEN (4 * 1024 * 1024)

/* What the endpoint keeps for each request it sent, until its outcome. */
typedef struct pending {
    mcgk_sip_result_cb cb;
    mcgk_sip_result_cb prov; /* INVITE: each 1xx; may be NULL */
    void *user;
    char method[16];
    char call_id[64]; /* for the log line only */
} pending;

struct mcgk_sip_endpoint {
    int fd;
    int wake_fd;
    uint16_t port;
    char sent_by[80];
    char host[64];
    char comp[24];
    mcgk_sip_request_cb on_request;
    void *ctx;
    mcgk_sip_filter_fn filter;
    void *filter_ctx;
    mcgk_sip_txn_event_cb on_txn_event;

    pthread_mutex_t mu; /* guards eng and closing */
    mcgk_sip_engine *eng;
    int closing;

    pthread_t thread;
    int started;
    atomic_int stop;

    /* loop-thread only */
    uint8_t rx[MCGK_SIP_MAX_MSG_LEN + 1];
    mcgk_sip_event ev;
};

static uint64_t now_ms(void)
{
    return mcgk_monotonic_ns() / 1000000u;
}

/* The endpoint whose loop this thread is running (callbacks run inside it). */
static _Thread_local const mcgk_sip_endpoint *tl_in_loop;

static void wake(mcgk_sip_endpoint *ep)
{
    if (tl_in_loop == ep)
        return; /* called from a callback: the loop recomputes its timeout on return */
    uint64_t one = 1;
    ssize_t r = write(ep->wake_fd, &one, sizeof one);
    (void)r; /* a full counter still wakes the loop */
}

static socklen_t to_sockaddr(const mcgk_sip_peer *p, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (p->family == 6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(p->port);
        memcpy(&s6->sin6_addr, p->addr, 16);
        return sizeof *s6;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(p->port);
    memcpy(&s4->sin_addr, p->addr, 4);
    return sizeof *s4;
}

static int from_sockaddr(const struct sockaddr_storage *ss, mcgk_sip_peer *p)
{
    memset(p, 0, sizeof *p);
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        p->family = 6;
        memcpy(p->addr, &s6->sin6_addr, 16);
        p->port = ntohs(s6->sin6_port);
        return 1;
    }
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        p->family = 4;
        memcpy(p->addr, &s4->sin_addr, 4);
        p->port = ntohs(s4->sin_port);
        return 1;
    }
    return 0;
}

/* The engine's output (called with mu held). */
static int send_cb(void *ctx, const mcgk_sip_peer *to, const uint8_t *data, size_t len)
{
    mcgk_sip_endpoint *ep = ctx;
    if (ep->filter != NULL && ep->filter(ep->filter_ctx, 1, to, data, len))
        return 0;
    struct sockaddr_storage ss;
    socklen_t sl = to_sockaddr(to, &ss);
    ssize_t n = sendto(ep->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&ss, sl);
    return n == (ssize_t)len ? 0 : -1;
}

static void set_buf(int fd, int opt_force, int opt)
{
    int v = SOCK_BUF_LEN;
    /* the FORCE variant passes rmem_max/wmem_max when privileged; else the plain one */
    if (setsockopt(fd, SOL_SOCKET, opt_force, &v, sizeof v) != 0)
        (void)setsockopt(fd, SOL_SOCKET, opt, &v, sizeof v);
}

mcgk_err mcgk_sip_endpoint_new(const mcgk_sip_endpoint_config *cfg, mcgk_sip_endpoint **out)
{
    if (cfg == NULL || out == NULL || cfg->host == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_sip_peer local;
    mcgk_err err = mcgk_sip_peer_set(&local, cfg->host, cfg->port ? cfg->port : 1);
    if (err != MCGK_OK)
        return err;
    local.port = cfg->port;
    mcgk_sip_endpoint *ep = calloc(1, sizeof *ep);
    if (ep == NULL)
        return MCGK_ERR_NO_MEMORY;
    ep->fd = -1;
    ep->wake_fd = -1;
    ep->on_request = cfg->on_request;
    ep->ctx = cfg->ctx;
    ep->filter = cfg->filter;
    ep->filter_ctx = cfg->filter_ctx;
    ep->on_txn_event = cfg->on_txn_event;
    snprintf(ep->comp, sizeof ep->comp, "%s", cfg->log_comp ? cfg->log_comp : "sip");
    if (pthread_mutex_init(&ep->mu, NULL) != 0) {
        free(ep);
        return MCGK_ERR_NO_MEMORY;
    }

    struct sockaddr_storage ss;
    socklen_t sl = to_sockaddr(&local, &ss);
    ep->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ep->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (ep->fd < 0 || ep->wake_fd < 0 || bind(ep->fd, (struct sockaddr *)&ss, sl) != 0) {
        mcgk_log(MCGK_LOG_ERROR, ep->comp, "bind-failed", "host=%s port=%u errno=%d", cfg->host,
                 (unsigned)cfg->port, errno);
        mcgk_sip_endpoint_free(ep);
        return MCGK_ERR_IO;
    }
    set_buf(ep->fd, SO_RCVBUFFORCE, SO_RCVBUF);
    set_buf(ep->fd, SO_SNDBUFFORCE, SO_SNDBUF);
    sl = sizeof ss;
    mcgk_sip_peer bound;
    if (getsockname(ep->fd, (struct sockaddr *)&ss, &sl) != 0 || !from_sockaddr(&ss, &bound)) {
        mcgk_sip_endpoint_free(ep);
        return MCGK_ERR_IO;
    }
    ep->port = bound.port;
    mcgk_sip_peer_format(&bound, ep->sent_by, sizeof ep->sent_by);
    snprintf(ep->host, sizeof ep->host, "%s", cfg->host);

    mcgk_sip_engine_config ec;
    memset(&ec, 0, sizeof ec);
    ec.via_transport = "UDP";
    ec.via_sent_by = ep->sent_by;
    ec.t1_ms = cfg->t1_ms;
    ec.t2_ms = cfg->t2_ms;
    ec.max_client_txns = cfg->max_client_txns;
    ec.max_server_txns = cfg->max_server_txns;
    ec.max_bytes = cfg->max_bytes;
    ec.send = send_cb;
    ec.send_ctx = ep;
    ec.rng = cfg->rng ? cfg->rng : mcgk_rng_system();
    ec.accept_invite = cfg->accept_invite;
    ec.tu_timeout_ms = cfg->tu_timeout_ms;
    ec.trying_delay_ms = cfg->trying_delay_ms;
    err = mcgk_sip_engine_new(&ec, &ep->eng);
    if (err != MCGK_OK) {
        mcgk_sip_endpoint_free(ep);
        return err;
    }
    mcgk_log(MCGK_LOG_INFO, ep->comp, "listening", "transport=udp addr=%s", ep->sent_by);
    *out = ep;
    return MCGK_OK;
}

uint16_t mcgk_sip_endpoint_port(const mcgk_sip_endpoint *ep)
{
    return ep->port;
}

const char *mcgk_sip_endpoint_sent_by(const mcgk_sip_endpoint *ep)
{
    return ep->sent_by;
}

mcgk_err mcgk_sip_endpoint_contact(const mcgk_sip_endpoint *ep, const char *user, char *out,
                                   size_t cap)
{
    if (ep == NULL || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (user != NULL)
        for (const char *c = user; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || strchr("-_.!~*'()&=+$,;?/", *c) != NULL))
                return MCGK_ERR_INVALID_ARG;
    int n = snprintf(out, cap, "sip:%s%s%s", user ? user : "", user ? "@" : "", ep->sent_by);
    return (n < 0 || (size_t)n >= cap) ? MCGK_ERR_BUFFER_TOO_SMALL : MCGK_OK;
}

/* ---- the loop ---------------------------------------------------------------------------- */

static void log_value(const char *v, char *buf, size_t cap)
{
    mcgk_log_quote(v, buf, cap);
}

static void finish_pending(mcgk_sip_endpoint *ep, pending *pd, uint64_t txn, mcgk_err result,
                           const mcgk_sip_msg *resp)
{
    char cid[96];
    log_value(pd->call_id, cid, sizeof cid);
    if (resp != NULL)
        mcgk_log(result == MCGK_OK ? MCGK_LOG_DEBUG : MCGK_LOG_INFO, ep->comp, "response",
                 "method=%s call_id=%s status=%d", pd->method, cid, resp->status);
    else
        mcgk_log(MCGK_LOG_INFO, ep->comp, "no-response", "method=%s call_id=%s result=%s",
                 pd->method, cid, mcgk_err_name(result));
    pd->cb(pd->user, ep, txn, result, resp);
    free(pd);
}

static void dispatch(mcgk_sip_endpoint *ep, mcgk_err err, const mcgk_sip_event *ev)
{
    char peer[64], cid[96];
    if (err != MCGK_OK) {
        mcgk_sip_peer_format(&ev->peer, peer, sizeof peer);
        mcgk_log(MCGK_LOG_WARN, ep->comp, "dropped", "peer=%s reason=%s", peer,
                 mcgk_err_name(err));
        return;
    }
    switch (ev->type) {
    case MCGK_SIP_EV_REQUEST:
        log_value(ev->msg.call_id, cid, sizeof cid);
        mcgk_sip_peer_format(&ev->peer, peer, sizeof peer);
        mcgk_log(MCGK_LOG_DEBUG, ep->comp, "request", "method=%s call_id=%s peer=%s",
                 ev->msg.method, cid, peer);
        if (ep->on_request != NULL) {
            ep->on_request(ep->ctx, ep, ev->txn, &ev->peer, &ev->msg);
        } else {
            mcgk_sip_response_params p;
            memset(&p, 0, sizeof p);
            p.status = 501;
            (void)mcgk_sip_endpoint_respond(ep, ev->txn, &p);
        }
        break;
    case MCGK_SIP_EV_RESPONSE: {
        int ok = ev->msg.status >= 200 && ev->msg.status < 300;
        finish_pending(ep, ev->user, ev->txn, ok ? MCGK_OK : MCGK_ERR_PEER, &ev->msg);
        break;
    }
    case MCGK_SIP_EV_PROVISIONAL: {
        pending *pd = ev->user;
        if (pd != NULL && pd->prov != NULL)
            pd->prov(pd->user, ep, ev->txn, MCGK_OK, &ev->msg);
        break;
    }
    case MCGK_SIP_EV_ACK:
    case MCGK_SIP_EV_CANCEL:
        log_value(ev->msg.call_id, cid, sizeof cid);
        mcgk_log(MCGK_LOG_DEBUG, ep->comp, ev->type == MCGK_SIP_EV_ACK ? "ack" : "cancelled",
                 "call_id=%s", cid);
        if (ep->on_txn_event != NULL)
            ep->on_txn_event(ep->ctx, ep, ev->txn,
                             ev->type == MCGK_SIP_EV_ACK ? MCGK_SIP_TXN_ACK : MCGK_SIP_TXN_CANCEL,
                             &ev->msg);
        break;
    default:
        if (ev->note != NULL && strcmp(ev->note, "busy-503") == 0) {
            mcgk_sip_peer_format(&ev->peer, peer, sizeof peer);
            mcgk_log(MCGK_LOG_WARN, ep->comp, "busy", "peer=%s answered=503", peer);
        } else if (ev->note != NULL && strcmp(ev->note, "keepalive") != 0) {
            mcgk_log(MCGK_LOG_DEBUG, ep->comp, "absorbed", "what=%s", ev->note);
        }
        break;
    }
}

static void run_timers(mcgk_sip_endpoint *ep)
{
    mcgk_sip_timeout to[TIMEOUT_BATCH];
    size_t n;
    do {
        pthread_mutex_lock(&ep->mu);
        n = mcgk_sip_engine_expire(ep->eng, now_ms(), to, TIMEOUT_BATCH);
        pthread_mutex_unlock(&ep->mu);
        for (size_t i = 0; i < n; i++) {
            if (to[i].kind == MCGK_SIP_TIMEOUT_CLIENT) {
                finish_pending(ep, to[i].user, to[i].txn, MCGK_ERR_SIP_TIMEOUT, NULL);
                continue;
            }
            mcgk_log(MCGK_LOG_INFO, ep->comp, "no-ack", "txn=%llx",
                     (unsigned long long)to[i].txn); /* RFC 3261 §13.3.1.4 */
            if (ep->on_txn_event != NULL)
                ep->on_txn_event(ep->ctx, ep, to[i].txn, MCGK_SIP_TXN_NO_ACK, NULL);
        }
    } while (n == TIMEOUT_BATCH);
}

static void receive_some(mcgk_sip_endpoint *ep)
{
    for (int i = 0; i < RX_BATCH; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        ssize_t n = recvfrom(ep->fd, ep->rx, sizeof ep->rx, MSG_DONTWAIT, (struct sockaddr *)&ss,
                             &sl);
        if (n < 0)
            return; /* EAGAIN: drained (other errors: ICMP reports, retried by timers) */
        mcgk_sip_peer from;
        if (!from_sockaddr(&ss, &from))
            continue;
        size_t len = (size_t)n;
        if (ep->filter != NULL && ep->filter(ep->filter_ctx, 0, &from, ep->rx, len)) {
            mcgk_wipe(ep->rx, len);
            continue;
        }
        pthread_mutex_lock(&ep->mu);
        mcgk_err err = mcgk_sip_engine_receive(ep->eng, now_ms(), &from, ep->rx, len, &ep->ev);
        pthread_mutex_unlock(&ep->mu);
        dispatch(ep, err, &ep->ev);
        mcgk_wipe(ep->rx, len);
    }
}

void mcgk_sip_endpoint_run_once(mcgk_sip_endpoint *ep, int max_wait_ms)
{
    const mcgk_sip_endpoint *outer = tl_in_loop;
    uint64_t deadline, now = now_ms();
    int timeout = max_wait_ms < 0 ? 0 : max_wait_ms;
    pthread_mutex_lock(&ep->mu);
    int have = mcgk_sip_engine_next_deadline(ep->eng, &deadline);
    pthread_mutex_unlock(&ep->mu);
    if (have)
        timeout = deadline <= now ? 0
                  : deadline - now < (uint64_t)timeout ? (int)(deadline - now)
                                                       : timeout;
    struct pollfd pf[2] = {{ep->fd, POLLIN, 0}, {ep->wake_fd, POLLIN, 0}};
    if (poll(pf, 2, timeout) > 0) {
        if (pf[1].revents & POLLIN) {
            uint64_t v;
            ssize_t r = read(ep->wake_fd, &v, sizeof v);
            (void)r;
        }
        tl_in_loop = ep;
        if (pf[0].revents & POLLIN)
            receive_some(ep);
    }
    tl_in_loop = ep;
    run_timers(ep);
    tl_in_loop = outer;
}

static void *loop(void *arg)
{
    mcgk_sip_endpoint *ep = arg;
    while (!atomic_load(&ep->stop))
        mcgk_sip_endpoint_run_once(ep, 1000);
    return NULL;
}

mcgk_err mcgk_sip_endpoint_start(mcgk_sip_endpoint *ep)
{
    if (ep == NULL || ep->started)
        return MCGK_ERR_INVALID_ARG;
    atomic_store(&ep->stop, 0);
    if (pthread_create(&ep->thread, NULL, loop, ep) != 0)
        return MCGK_ERR_IO;
    ep->started = 1;
    return MCGK_OK;
}

/* ---- requests and answers ---------------------------------------------------------------- */

static mcgk_err start_request(mcgk_sip_endpoint *ep, const mcgk_sip_peer *to,
                              const mcgk_sip_request_params *p, mcgk_sip_result_cb prov,
                              mcgk_sip_result_cb cb, void *user, uint64_t *txn, int invite)
{
    if (ep == NULL || to == NULL || p == NULL || cb == NULL)
        return MCGK_ERR_INVALID_ARG;
    pending *pd = calloc(1, sizeof *pd);
    if (pd == NULL)
        return MCGK_ERR_NO_MEMORY;
    pd->cb = cb;
    pd->prov = prov;
    pd->user = user;
    snprintf(pd->method, sizeof pd->method, "%s", p->method ? p->method : "");
    snprintf(pd->call_id, sizeof pd->call_id, "%s", p->call_id ? p->call_id : "");
    pthread_mutex_lock(&ep->mu);
    mcgk_err err = ep->closing ? MCGK_ERR_SIP_CLOSED
                   : invite    ? mcgk_sip_engine_invite(ep->eng, now_ms(), to, p, pd, txn)
                               : mcgk_sip_engine_request(ep->eng, now_ms(), to, p, pd, txn);
    pthread_mutex_unlock(&ep->mu);
    if (err != MCGK_OK) {
        free(pd);
        return err;
    }
    wake(ep); /* the loop recomputes its poll timeout with the new Timer E */
    return MCGK_OK;
}

mcgk_err mcgk_sip_endpoint_request(mcgk_sip_endpoint *ep, const mcgk_sip_peer *to,
                                   const mcgk_sip_request_params *p, mcgk_sip_result_cb cb,
                                   void *user, uint64_t *txn)
{
    return start_request(ep, to, p, NULL, cb, user, txn, 0);
}

mcgk_err mcgk_sip_endpoint_invite(mcgk_sip_endpoint *ep, const mcgk_sip_peer *to,
                                  const mcgk_sip_request_params *p,
                                  mcgk_sip_result_cb on_provisional, mcgk_sip_result_cb on_final,
                                  void *user, uint64_t *txn)
{
    return start_request(ep, to, p, on_provisional, on_final, user, txn, 1);
}

mcgk_err mcgk_sip_endpoint_ack(mcgk_sip_endpoint *ep, uint64_t txn)
{
    if (ep == NULL)
        return MCGK_ERR_INVALID_ARG;
    pthread_mutex_lock(&ep->mu);
    mcgk_err err = mcgk_sip_engine_ack(ep->eng, now_ms(), txn);
    pthread_mutex_unlock(&ep->mu);
    return err;
}

mcgk_err mcgk_sip_endpoint_cancel(mcgk_sip_endpoint *ep, uint64_t txn)
{
    if (ep == NULL)
        return MCGK_ERR_INVALID_ARG;
    pthread_mutex_lock(&ep->mu);
    mcgk_err err = mcgk_sip_engine_cancel(ep->eng, now_ms(), txn);
    pthread_mutex_unlock(&ep->mu);
    if (err == MCGK_OK)
        wake(ep); /* a CANCEL may have started a transaction with its own timer */
    return err;
}

mcgk_err mcgk_sip_endpoint_respond(mcgk_sip_endpoint *ep, uint64_t txn,
                                   const mcgk_sip_response_params *p)
{
    if (ep == NULL || p == NULL)
        return MCGK_ERR_INVALID_ARG;
    pthread_mutex_lock(&ep->mu);
    mcgk_err err = mcgk_sip_engine_respond(ep->eng, now_ms(), txn, p);
    pthread_mutex_unlock(&ep->mu);
    if (err == MCGK_OK && p->status >= 200)
        wake(ep); /* an INVITE's final is repeated from T1 on: the loop's timeout changes */
    if (err == MCGK_OK && p->status >= 300)
        mcgk_log(MCGK_LOG_INFO, ep->comp, "answered", "status=%d", p->status);
    return err;
}

void mcgk_sip_endpoint_get_stats(mcgk_sip_endpoint *ep, mcgk_sip_engine_stats *s)
{
    pthread_mutex_lock(&ep->mu);
    mcgk_sip_engine_get_stats(ep->eng, s);
    pthread_mutex_unlock(&ep->mu);
}

void mcgk_sip_endpoint_free(mcgk_sip_endpoint *ep)
{
    if (ep == NULL)
        return;
    if (ep->started) {
        atomic_store(&ep->stop, 1);
        wake(ep);
        pthread_join(ep->thread, NULL);
        ep->started = 0;
    }
    if (ep->eng != NULL) {
        pthread_mutex_lock(&ep->mu);
        ep->closing = 1;
        pthread_mutex_unlock(&ep->mu);
        mcgk_sip_timeout to[TIMEOUT_BATCH];
        size_t n;
        do {
            pthread_mutex_lock(&ep->mu);
            n = mcgk_sip_engine_abort_clients(ep->eng, to, TIMEOUT_BATCH);
            pthread_mutex_unlock(&ep->mu);
            for (size_t i = 0; i < n; i++)
                finish_pending(ep, to[i].user, to[i].txn, MCGK_ERR_SIP_CLOSED, NULL);
        } while (n == TIMEOUT_BATCH);
        mcgk_sip_engine_free(ep->eng);
    }
    if (ep->fd >= 0)
        close(ep->fd);
    if (ep->wake_fd >= 0)
        close(ep->wake_fd);
    pthread_mutex_destroy(&ep->mu);
    mcgk_wipe(ep->rx, sizeof ep->rx);
    free(ep);
}
