/*
 * net/gms_server.h - `mcgk gms serve`: the GMS daemon's machinery.
 *
 *   - SIP: an endpoint (net/sip_transport.h) with the registrar
 *     (net/sip_registrar.h); bindings are persisted in the store and
 *     restored at start, so a restarted GMS reaches members that do not
 *     re-register;
 *   - the delivery pipeline (docs/architecture.md "Hot paths"): a scheduler
 *     claims due deliveries from the store in chunks (bounded queue) ->
 *     worker threads (one per core) build each chunk's I_MESSAGEs with
 *     mcgk_gmk_build_batch and the members' documents -> NOTIFYs sent with
 *     bounded concurrency -> a recorder applies the outcomes
 *     (mcgk_gms_delivery_apply) in batched store transactions. Retries with
 *     exponential backoff; every "sent" row is resumed at start; a CLI
 *     change (a new job in the store) is picked up by the scheduler's poll;
 *   - HTTPS (net/http_server.h): GET /groups/<id> (a fresh I_MESSAGE per
 *     current GMK for the member of the bearer token) and POST
 *     /groups/<id>/result (docs/gms-protocol.md).
 *
 * Keys: the GMS's own key sets and the KMS certificates (home and
 * partners) come from its client store (store/store.h), provisioned by
 * net/kms_client.h; per message time the signer of that key period is used.
 *
 * Logs (comp "gms"): job progress, failures member by member (the member's
 * status and reason), retries; at debug every NOTIFY sent and every outcome.
 * Never key bytes or tokens.
 *
 * Secrets: the two DEKs (copied, wiped at stop), the unsealed GMKs of the
 * jobs in progress (job cache; wiped when evicted and at stop), the GMS's
 * SSK (signer; wiped), bearer tokens of requests (wiped).
 */
#ifndef MCGK_NET_GMS_SERVER_H
#define MCGK_NET_GMS_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/gms.h"
#include "net/http_server.h"
#include "store/gms_store.h"
#include "store/store.h"

typedef struct mcgk_gms_server_config {
    mcgk_gms_store *store;               /* the GMS state (not owned) */
    const uint8_t *dek;                  /* its DEK (GMK columns), copied */
    mcgk_client_store *keys;             /* the GMS's own key sets + KMS certificates */
    const uint8_t *keys_dek;             /* their DEK, copied */
    const char *gms_uri;                 /* the GMS identity (signs; SIP From) */
    /* SIP */
    const char *sip_host;                /* numeric address, e.g. "127.0.0.1" */
    uint16_t sip_port;                   /* 0 = any */
    uint32_t sip_t1_ms;                  /* 0 = 500 */
    /* HTTPS pull; http_host NULL = no HTTPS */
    const char *http_host;
    uint16_t http_port;                  /* 0 = any */
    const char *tls_cert_path, *tls_key_path;
    unsigned http_threads;               /* 0 = CPUs */
    /* the pipeline */
    unsigned workers;                    /* 0 = CPUs */
    size_t max_inflight;                 /* NOTIFYs awaiting an answer; 0 = 1024 */
    size_t chunk;                        /* deliveries per claim; 0 = 256 */
    uint64_t poll_ms;                    /* store poll interval; 0 = 100 */
    uint64_t lease_ms;                   /* a claimed row's lease; 0 = 120000 */
    mcgk_gms_retry retry;                /* zeros = defaults of mcgk/gms.h */
} mcgk_gms_server_config;

typedef struct mcgk_gms_server mcgk_gms_server;

/*
 * Start: resume every "sent" row, restore the SIP bindings, load the keys,
 * bind SIP (and HTTPS), start the threads. Returns MCGK_OK,
 * MCGK_ERR_INVALID_ARG, MCGK_ERR_NO_MEMORY, MCGK_ERR_IO (socket, TLS files,
 * threads), MCGK_ERR_NO_KEYS (no KMS certificate in the key store), and the
 * codes of the store.
 */
mcgk_err mcgk_gms_server_start(const mcgk_gms_server_config *cfg, mcgk_gms_server **out);

uint16_t mcgk_gms_server_sip_port(const mcgk_gms_server *srv);
uint16_t mcgk_gms_server_http_port(const mcgk_gms_server *srv);

/* Reload the KMS certificates (e.g. after provisioning fetched new ones). */
void mcgk_gms_server_reload_keys(mcgk_gms_server *srv);

/* Stop: no new claims, in-flight NOTIFYs end (recorded as retries), outcomes
 * recorded, threads joined, secrets wiped. NULL is fine. */
void mcgk_gms_server_stop(mcgk_gms_server *srv);

/* The HTTPS handler (ctx = the server), exposed for tests. */
void mcgk_gms_server_handle(void *ctx, const mcgk_http_request *req, mcgk_http_response *resp);

#endif
