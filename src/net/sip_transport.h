/*
 * net/sip_transport.h - a SIP endpoint for the GMS, the group controller
 * and the clients: one UDP socket on a numeric address (127.0.0.1 in the
 * demo), driven by poll(), carrying the transactions of net/sip_txn.h
 * (non-INVITE always; INVITE when accept_invite is set, or when sending
 * one with mcgk_sip_endpoint_invite).
 *
 * Run it in its own thread (mcgk_sip_endpoint_start) or from your loop
 * (mcgk_sip_endpoint_run_once). Requests may be sent and answered from
 * any thread. Callbacks run on the thread that runs the loop, never
 * with the endpoint's lock held, so they may call back into the
 * endpoint (answer, send) - but never free it (the loop thread would wait
 * for itself). They should return quickly: a slow callback delays every
 * transaction's timers.
 *
 * Logs (platform/log.h, comp "sip" unless configured): method, Call-ID,
 * status, peer, the reason a datagram was dropped; never bodies.
 *
 * Secrets: bodies of messages in flight (see net/sip_txn.h); the receive
 * buffer is wiped after each datagram.
 */
#ifndef MCGK_NET_SIP_TRANSPORT_H
#define MCGK_NET_SIP_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/base.h"
#include "mcgk/error.h"
#include "mcgk/sip.h"
#include "net/sip_txn.h"

typedef struct mcgk_sip_endpoint mcgk_sip_endpoint;

/*
 * A new request from a peer (txn identifies its server transaction).
 * Answer it with mcgk_sip_endpoint_respond - inside the callback or
 * later, from any thread, within the transaction's TU timeout (64*T1).
 * req->body points into a buffer that is reused after the callback
 * returns: copy what you keep.
 */
typedef void (*mcgk_sip_request_cb)(void *ctx, mcgk_sip_endpoint *ep, uint64_t txn,
                                    const mcgk_sip_peer *from, const mcgk_sip_msg *req);

/*
 * The outcome of a request sent with mcgk_sip_endpoint_request:
 *   MCGK_OK             a 2xx final response (resp)
 *   MCGK_ERR_PEER       a 3xx-6xx final response (resp: status, Warning, Reason)
 *   MCGK_ERR_SIP_TIMEOUT no final response before Timer F (resp NULL)
 *   MCGK_ERR_SIP_CLOSED the endpoint was freed first (resp NULL)
 * Called exactly once per request that was accepted.
 */
typedef void (*mcgk_sip_result_cb)(void *user, mcgk_sip_endpoint *ep, uint64_t txn,
                                   mcgk_err result, const mcgk_sip_msg *resp);

/*
 * What happened to a server INVITE transaction after its request callback
 * (net/sip_txn.h): the ACK of our 2xx came (msg: the ACK); the caller
 * CANCELed it and the engine answered 487 (msg: the CANCEL); our 2xx was
 * never ACKed within 64*T1 (msg NULL; end the session with a BYE,
 * RFC 3261 §13.3.1.4).
 */
typedef enum mcgk_sip_txn_event {
    MCGK_SIP_TXN_ACK = 1,
    MCGK_SIP_TXN_CANCEL,
    MCGK_SIP_TXN_NO_ACK,
} mcgk_sip_txn_event;

typedef void (*mcgk_sip_txn_event_cb)(void *ctx, mcgk_sip_endpoint *ep, uint64_t txn,
                                      mcgk_sip_txn_event what, const mcgk_sip_msg *msg);

/* Test hook: return non-zero to drop the datagram (outgoing = 1 for ours). Runs
 * with the endpoint's lock held for outgoing datagrams: it must not call the endpoint. */
typedef int (*mcgk_sip_filter_fn)(void *ctx, int outgoing, const mcgk_sip_peer *peer,
                                  const uint8_t *data, size_t len);

typedef struct mcgk_sip_endpoint_config {
    const char *host;            /* numeric address to bind: "127.0.0.1", "::1" */
    uint16_t port;               /* 0 = any free port (see mcgk_sip_endpoint_port) */
    uint32_t t1_ms, t2_ms;       /* 0 = RFC 3261 defaults (500, 4000) */
    size_t max_client_txns;      /* 0 = 16384 */
    size_t max_server_txns;      /* 0 = 16384 */
    size_t max_bytes;            /* stored messages; 0 = 128 MiB */
    mcgk_sip_request_cb on_request; /* NULL: every request is answered 501 */
    void *ctx;
    const mcgk_rng *rng;         /* NULL = the system RNG */
    const char *log_comp;        /* NULL = "sip" */
    mcgk_sip_filter_fn filter;   /* NULL in production */
    void *filter_ctx;
    /* INVITE (net/sip_txn.h): 0 = INVITEs are answered 501 statelessly; 1 = they reach
     * on_request (after the engine's 100 Trying) and on_txn_event reports ACK / CANCEL */
    int accept_invite;
    mcgk_sip_txn_event_cb on_txn_event; /* may be NULL */
    uint32_t tu_timeout_ms;      /* a request not answered by then is forgotten (an INVITE
                                  * answered 408); 0 = 64*T1 */
    uint32_t trying_delay_ms;    /* see mcgk_sip_engine_config: 0 = 100 Trying at once */
} mcgk_sip_endpoint_config;

/*
 * Bind and set up (the loop does not run yet). Returns MCGK_OK,
 * MCGK_ERR_INVALID_ARG (host not numeric), MCGK_ERR_IO (socket, bind),
 * MCGK_ERR_RNG, MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_sip_endpoint_new(const mcgk_sip_endpoint_config *cfg, mcgk_sip_endpoint **out);

/* The bound port, and "host:port" as written in our Vias. */
uint16_t mcgk_sip_endpoint_port(const mcgk_sip_endpoint *ep);
const char *mcgk_sip_endpoint_sent_by(const mcgk_sip_endpoint *ep);
/* "sip:user@host:port" for a Contact header. MCGK_ERR_BUFFER_TOO_SMALL, INVALID_ARG. */
mcgk_err mcgk_sip_endpoint_contact(const mcgk_sip_endpoint *ep, const char *user, char *out,
                                   size_t cap);

/* Run the loop in a new thread until mcgk_sip_endpoint_free. MCGK_ERR_IO when the
 * thread cannot start, MCGK_ERR_INVALID_ARG when already started. */
mcgk_err mcgk_sip_endpoint_start(mcgk_sip_endpoint *ep);

/* Or drive it yourself: one poll (at most max_wait_ms), then receive and run timers.
 * Not while a started thread runs it. */
void mcgk_sip_endpoint_run_once(mcgk_sip_endpoint *ep, int max_wait_ms);

/*
 * Send a request as a client transaction (the engine writes the Via; see
 * mcgk_sip_engine_request). cb(user, ...) reports the outcome exactly
 * once - possibly before this function returns. Thread-safe. Returns
 * MCGK_OK (cb will be called) or, without calling cb: the codes of
 * mcgk_sip_engine_request (MCGK_ERR_SIP_BUSY: try again later),
 * MCGK_ERR_SIP_CLOSED (shutting down), MCGK_ERR_INVALID_ARG, MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_sip_endpoint_request(mcgk_sip_endpoint *ep, const mcgk_sip_peer *to,
                                   const mcgk_sip_request_params *p, mcgk_sip_result_cb cb,
                                   void *user, uint64_t *txn);

/*
 * Send an INVITE (mcgk_sip_engine_invite): on_provisional(user, ...) for
 * each 1xx (result MCGK_OK; may be NULL), then on_final exactly once, like
 * mcgk_sip_result_cb (MCGK_OK for a 2xx: send the ACK with
 * mcgk_sip_endpoint_ack; MCGK_ERR_PEER for 3xx-6xx, already ACKed;
 * MCGK_ERR_SIP_TIMEOUT; MCGK_ERR_SIP_CLOSED). Thread-safe; the same codes
 * as mcgk_sip_endpoint_request.
 */
mcgk_err mcgk_sip_endpoint_invite(mcgk_sip_endpoint *ep, const mcgk_sip_peer *to,
                                  const mcgk_sip_request_params *p,
                                  mcgk_sip_result_cb on_provisional, mcgk_sip_result_cb on_final,
                                  void *user, uint64_t *txn);

/* The ACK of the 2xx of INVITE txn, and a CANCEL of INVITE txn: see
 * mcgk_sip_engine_ack / mcgk_sip_engine_cancel for the codes. Thread-safe. */
mcgk_err mcgk_sip_endpoint_ack(mcgk_sip_endpoint *ep, uint64_t txn);
mcgk_err mcgk_sip_endpoint_cancel(mcgk_sip_endpoint *ep, uint64_t txn);

/* Answer a request (see mcgk_sip_engine_respond for the codes). Thread-safe. */
mcgk_err mcgk_sip_endpoint_respond(mcgk_sip_endpoint *ep, uint64_t txn,
                                   const mcgk_sip_response_params *p);

void mcgk_sip_endpoint_get_stats(mcgk_sip_endpoint *ep, mcgk_sip_engine_stats *s);

/*
 * Clean shutdown: stop the thread (if started), report MCGK_ERR_SIP_CLOSED
 * for every request still waiting (on the caller's thread), free every
 * transaction (wiping stored messages) and close the socket. NULL is fine.
 */
void mcgk_sip_endpoint_free(mcgk_sip_endpoint *ep);

#endif
