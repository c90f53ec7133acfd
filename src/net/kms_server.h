/*
 * net/kms_server.h - the KMS's HTTPS request handler: glue between the
 * HTTP server (net/http_server.h), the KMS store (store/store.h) and the
 * sans-I/O core (mcgk/kms.h). Per request: route and parse, look the user
 * up, (for certcache) refresh the partner certificates when the store's
 * cache number moved, answer, and log one line (user, identity, key
 * period, status - never keys). Users and partners are read from the store
 * on each request, so administrative changes apply without a restart.
 *
 * Secrets: the mcgk_kms it is given (not owned); response bodies (handed
 * to the HTTP server, which wipes them after sending).
 */
#ifndef MCGK_NET_KMS_SERVER_H
#define MCGK_NET_KMS_SERVER_H

#include "mcgk/kms.h"
#include "net/http_server.h"
#include "store/store.h"

typedef struct mcgk_kms_server mcgk_kms_server;

/* kms and store must outlive the server. clock_unix_s NULL = the wall clock;
 * rng NULL = the OS RNG. Returns MCGK_OK, MCGK_ERR_INVALID_ARG,
 * MCGK_ERR_NO_MEMORY, and the store's codes (loading the partner cache). */
mcgk_err mcgk_kms_server_new(const mcgk_kms *kms, mcgk_kms_store *store,
                             uint64_t (*clock_unix_s)(void), const mcgk_rng *rng,
                             mcgk_kms_server **out);
void mcgk_kms_server_free(mcgk_kms_server *srv);

/* Partner certificates currently cached (for the start-up log line). */
size_t mcgk_kms_server_partner_count(mcgk_kms_server *srv);

/* The mcgk_http_handler: ctx is the mcgk_kms_server. */
void mcgk_kms_server_handle(void *ctx, const mcgk_http_request *req, mcgk_http_response *resp);

/* The mcgk_http_refusal: a KmsError (oversized) for a body the server would not read. */
void mcgk_kms_server_refuse(void *ctx, const mcgk_http_request *req, mcgk_http_response *resp);

#endif
