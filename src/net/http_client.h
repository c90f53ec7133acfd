/*
 * net/http_client.h - HTTPS requests for mcgk's clients on libcurl: TLS 1.2
 * or later, peer and host verification always on (a private CA file may be
 * given), a bearer token, bounded response bodies, timeouts.
 *
 * Secrets: the bearer token (never logged; the header buffer is wiped) and
 * response bodies (may carry keys: the growing buffer is wiped on every
 * reallocation; free with mcgk_http_body_free).
 */
#ifndef MCGK_NET_HTTP_CLIENT_H
#define MCGK_NET_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/error.h"

typedef struct mcgk_http_client_opts {
    const char *ca_file;   /* PEM bundle to trust; NULL = the system store */
    const char *bearer;    /* secret; NULL = no Authorization header */
    long timeout_ms;       /* whole transfer; 0 = 30000 */
    size_t max_response_len; /* 0 = 1 MiB */
} mcgk_http_client_opts;

/*
 * POST body (content_type) to url; on a completed exchange *status is the
 * HTTP status and *resp, *resp_len the body (malloc'ed, NUL after it; free
 * with mcgk_http_body_free) whatever the status.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_TLS (handshake or
 * certificate verification failed), MCGK_ERR_IO (cannot connect, timeout,
 * transfer failed), MCGK_ERR_OVERSIZED (response above the bound),
 * MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_http_post(const mcgk_http_client_opts *opts, const char *url,
                        const char *content_type, const uint8_t *body, size_t body_len,
                        int *status, uint8_t **resp, size_t *resp_len);

/*
 * GET url (Accept: accept, NULL = application/xml), with the same rules,
 * results and codes as mcgk_http_post (the group configuration pull of
 * the clients, docs/gms-protocol.md).
 */
mcgk_err mcgk_http_get(const mcgk_http_client_opts *opts, const char *url, const char *accept,
                       int *status, uint8_t **resp, size_t *resp_len);

void mcgk_http_body_free(uint8_t *body, size_t len);

#endif
