/*
 * net/http_server.h - an HTTPS server for mcgk's daemons on libmicrohttpd
 * (Debian's build uses GnuTLS): TLS 1.2 and 1.3 only, a thread pool, a
 * bounded request body, a connection timeout and limit. The handler gets
 * one complete request (raw path, still percent-encoded) and fills one
 * response; the server frees (and wipes) the body after sending it.
 * Written for the KMS (TS 33.180 Annex D) and reusable by the GMS.
 *
 * Secrets: the TLS private key (read from its file, wiped at stop) and
 * response bodies (may carry keys; wiped after sending).
 */
#ifndef MCGK_NET_HTTP_SERVER_H
#define MCGK_NET_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/error.h"

typedef struct mcgk_http_request {
    const char *method;        /* "POST", "GET" ... */
    const char *path;          /* raw path, percent-encoding kept, no query */
    const char *authorization; /* Authorization header, or NULL */
    const char *content_type;  /* or NULL */
    const uint8_t *body;       /* NULL when empty */
    size_t body_len;
    const char *peer;          /* client address, "ip" */
} mcgk_http_request;

typedef struct mcgk_http_response {
    int status;                   /* HTTP status code */
    const char *content_type;     /* static string; NULL = application/xml */
    const char *www_authenticate; /* static string or NULL (for 401) */
    uint8_t *body;                /* malloc'ed by the handler; owned by the server */
    size_t body_len;
} mcgk_http_response;

/* Called on a pool thread for each complete request; must fill resp. */
typedef void (*mcgk_http_handler)(void *ctx, const mcgk_http_request *req,
                                  mcgk_http_response *resp);

/* Optional: fills the body of a refusal the server makes itself (today: 413 for a body
 * above max_body_len), so that it speaks the application's error format. status is
 * preset; the hook may leave resp->body NULL for a plain-text body. */
typedef void (*mcgk_http_refusal)(void *ctx, const mcgk_http_request *req,
                                  mcgk_http_response *resp);

typedef struct mcgk_http_server_config {
    const char *host;           /* numeric address to bind, e.g. "127.0.0.1", "::" */
    uint16_t port;              /* 0 = any free port (see mcgk_http_server_port) */
    const char *tls_cert_path;  /* PEM certificate (chain) */
    const char *tls_key_path;   /* PEM private key, mode 0600 advised */
    unsigned threads;           /* 0 = number of CPUs */
    size_t max_body_len;        /* larger bodies get 413 */
    unsigned timeout_s;         /* idle connection timeout; 0 = 30 */
    unsigned max_connections;   /* 0 = 1024 */
    mcgk_http_handler handler;
    mcgk_http_refusal refuse;   /* optional, see above */
    void *ctx;
} mcgk_http_server_config;

typedef struct mcgk_http_server mcgk_http_server;

/*
 * Start serving. Returns MCGK_OK, MCGK_ERR_INVALID_ARG (no handler, bad
 * host), MCGK_ERR_UNSUPPORTED (libmicrohttpd without TLS), MCGK_ERR_IO
 * (cannot read the certificate or key, cannot bind, TLS setup failed),
 * MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_http_server_start(const mcgk_http_server_config *cfg, mcgk_http_server **out);

/* The port actually bound. */
uint16_t mcgk_http_server_port(const mcgk_http_server *srv);

/* Stop: finish in-flight requests, close, wipe the key. NULL is fine. */
void mcgk_http_server_stop(mcgk_http_server *srv);

/* The reason phrase of a status code ("Not Found"). */
const char *mcgk_http_reason(int status);

#endif
