/*
 * HTTPS server on libmicrohttpd + GnuTLS. See net/http_server.h.
 * Secrets: the TLS key PEM (kept for the daemon's life, wiped at stop) and
 * response bodies (wiped by the free callback after sending).
 */
#include "net/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mcgk/base.h"
#include "platform/file.h"
#include "platform/log.h"

/* TLS 1.2 and 1.3 only (TS 33.180 D.1 asks for TLS; 1.0/1.1 are obsolete, RFC 8996) */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%SERVER_PRECEDENCE"
#define PEM_MAX (64 * 1024)

struct mcgk_http_server {
    struct MHD_Daemon *d;
    mcgk_http_server_config cfg;
    uint8_t *cert;
    size_t cert_len;
    uint8_t *key; /* secret */
    size_t key_len;
    uint16_t port;
};

typedef struct conn_state {
    uint8_t *buf;
    size_t len, cap;
    int too_big;
    int answered; /* a response was queued early */
} conn_state;

typedef struct owned_body {
    size_t len;
    uint8_t *data;
} owned_body;

const char *mcgk_http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

static void free_body(void *cls)
{
    owned_body *b = cls;
    if (b == NULL)
        return;
    if (b->data != NULL) {
        mcgk_wipe(b->data, b->len);
        free(b->data);
    }
    free(b);
}

/* Queue resp (takes its body). */
static enum MHD_Result send_response(struct MHD_Connection *c, mcgk_http_response *resp)
{
    owned_body *b = calloc(1, sizeof *b);
    if (b == NULL) {
        if (resp->body != NULL) {
            mcgk_wipe(resp->body, resp->body_len);
            free(resp->body);
        }
        return MHD_NO;
    }
    b->data = resp->body;
    b->len = resp->body_len;
    resp->body = NULL;
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback_cls(
        b->len, b->data ? (void *)b->data : (void *)"", free_body, b);
    if (r == NULL) {
        free_body(b);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            resp->content_type ? resp->content_type : "application/xml");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (resp->www_authenticate != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, resp->www_authenticate);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned int)resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

static void peer_of(struct MHD_Connection *c, char *out, size_t cap);

/* A transport-level refusal: the application's error body if it gives one, else text. */
static enum MHD_Result send_refusal(mcgk_http_server *srv, struct MHD_Connection *c,
                                    const char *url, const char *method, int status)
{
    mcgk_http_response resp;
    memset(&resp, 0, sizeof resp);
    resp.status = status;
    if (srv->cfg.refuse != NULL) {
        char peer[INET6_ADDRSTRLEN + 1];
        peer_of(c, peer, sizeof peer);
        mcgk_http_request req;
        memset(&req, 0, sizeof req);
        req.method = method;
        req.path = url;
        req.peer = peer;
        srv->cfg.refuse(srv->cfg.ctx, &req, &resp);
        resp.status = status;
        if (resp.body != NULL)
            return send_response(c, &resp);
    }
    resp.content_type = "text/plain";
    const char *reason = mcgk_http_reason(status);
    size_t n = strlen(reason);
    resp.body = malloc(n + 1);
    if (resp.body != NULL) {
        memcpy(resp.body, reason, n);
        resp.body[n] = '\n';
        resp.body_len = n + 1;
    }
    return send_response(c, &resp);
}

static void peer_of(struct MHD_Connection *c, char *out, size_t cap)
{
    snprintf(out, cap, "-");
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci == NULL || ci->client_addr == NULL)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)cap);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    (void)version;
    mcgk_http_server *srv = cls;
    conn_state *st = *req_cls;
    if (st == NULL) {
        st = calloc(1, sizeof *st);
        if (st == NULL)
            return MHD_NO;
        *req_cls = st;
        /* refuse a declared oversized body before reading it */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL) {
            char *end = NULL;
            unsigned long long n = strtoull(cl, &end, 10);
            if (end != cl && n > srv->cfg.max_body_len) {
                st->answered = 1;
                return send_refusal(srv, c, url, method, 413);
            }
        }
        return MHD_YES;
    }
    if (st->answered)
        return MHD_YES;
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (st->too_big || n > srv->cfg.max_body_len - st->len) {
            st->too_big = 1;
            return MHD_YES; /* discard; answered with 413 at the end */
        }
        if (st->len + n > st->cap) {
            size_t ncap = st->cap ? st->cap * 2 : 4096;
            while (ncap < st->len + n)
                ncap *= 2;
            if (ncap > srv->cfg.max_body_len)
                ncap = srv->cfg.max_body_len;
            uint8_t *nb = malloc(ncap);
            if (nb == NULL)
                return MHD_NO;
            if (st->len > 0)
                memcpy(nb, st->buf, st->len);
            if (st->buf != NULL) {
                mcgk_wipe(st->buf, st->len);
                free(st->buf);
            }
            st->buf = nb;
            st->cap = ncap;
        }
        memcpy(st->buf + st->len, upload_data, n);
        st->len += n;
        return MHD_YES;
    }
    if (st->too_big)
        return send_refusal(srv, c, url, method, 413);
    char peer[INET6_ADDRSTRLEN + 1];
    peer_of(c, peer, sizeof peer);
    mcgk_http_request req;
    req.method = method;
    req.path = url;
    req.authorization =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    req.content_type =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    req.body = st->buf;
    req.body_len = st->len;
    req.peer = peer;
    mcgk_http_response resp;
    memset(&resp, 0, sizeof resp);
    resp.status = 500;
    srv->cfg.handler(srv->cfg.ctx, &req, &resp);
    return send_response(c, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    conn_state *st = *req_cls;
    if (st == NULL)
        return;
    if (st->buf != NULL) {
        mcgk_wipe(st->buf, st->len);
        free(st->buf);
    }
    free(st);
    *req_cls = NULL;
}

/* Keep the path exactly as sent: the application decodes each segment. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    char q[600];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    mcgk_log(MCGK_LOG_DEBUG, "http", "mhd", "msg=%s", mcgk_log_quote(msg, q, sizeof q));
}

static void release(mcgk_http_server *srv)
{
    mcgk_file_free(srv->cert, srv->cert_len);
    mcgk_file_free(srv->key, srv->key_len);
    free(srv);
}

mcgk_err mcgk_http_server_start(const mcgk_http_server_config *cfg, mcgk_http_server **out)
{
    if (cfg == NULL || out == NULL || cfg->handler == NULL || cfg->host == NULL ||
        cfg->tls_cert_path == NULL || cfg->tls_key_path == NULL || cfg->max_body_len == 0)
        return MCGK_ERR_INVALID_ARG;
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return MCGK_ERR_UNSUPPORTED;
    mcgk_http_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL)
        return MCGK_ERR_NO_MEMORY;
    srv->cfg = *cfg;
    if (srv->cfg.timeout_s == 0)
        srv->cfg.timeout_s = 30;
    if (srv->cfg.max_connections == 0)
        srv->cfg.max_connections = 1024;
    if (srv->cfg.threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        srv->cfg.threads = n > 0 ? (unsigned)n : 2;
    }
    mcgk_err e = mcgk_file_read(cfg->tls_cert_path, PEM_MAX, &srv->cert, &srv->cert_len);
    if (e == MCGK_OK)
        e = mcgk_file_read(cfg->tls_key_path, PEM_MAX, &srv->key, &srv->key_len);
    if (e != MCGK_OK) {
        release(srv);
        return e == MCGK_ERR_NO_MEMORY ? e : MCGK_ERR_IO;
    }
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
    hints.ai_socktype = SOCK_STREAM;
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)cfg->port);
    if (getaddrinfo(cfg->host, port, &hints, &ai) != 0 || ai == NULL) {
        release(srv);
        return MCGK_ERR_INVALID_ARG;
    }
    unsigned int flags = MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (srv->cfg.threads > 1)
        flags |= MHD_USE_EPOLL;
    srv->d = MHD_start_daemon(
        flags, cfg->port, NULL, NULL, on_request, srv,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_HTTPS_MEM_CERT, (const char *)srv->cert,
        MHD_OPTION_HTTPS_MEM_KEY, (const char *)srv->key,
        MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
        MHD_OPTION_THREAD_POOL_SIZE, srv->cfg.threads > 1 ? srv->cfg.threads : 0u,
        MHD_OPTION_CONNECTION_TIMEOUT, srv->cfg.timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, srv->cfg.max_connections,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, srv,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
        MHD_OPTION_END);
    freeaddrinfo(ai);
    if (srv->d == NULL) {
        release(srv);
        return MCGK_ERR_IO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di != NULL ? di->port : cfg->port;
    *out = srv;
    return MCGK_OK;
}

uint16_t mcgk_http_server_port(const mcgk_http_server *srv) { return srv ? srv->port : 0; }

void mcgk_http_server_stop(mcgk_http_server *srv)
{
    if (srv == NULL)
        return;
    if (srv->d != NULL)
        MHD_stop_daemon(srv->d);
    release(srv);
}
