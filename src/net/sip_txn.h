/*
 * net/sip_txn.h - SIP non-INVITE transactions (RFC 3261 §17.1.2, §17.2.2)
 * as a sans-I/O state machine: datagrams, the time and an RNG go in;
 * datagrams (through a send callback) and events come out. It never
 * opens a socket or reads a clock, so the timers are tested with a fake
 * clock (tests/unit/test_sip_transport.c); net/sip_transport.h wraps it
 * with a UDP socket and poll().
 *
 * Client transactions: the engine writes the Via (transport, sent-by, a
 * fresh branch), sends, retransmits on Timer E (T1, doubling up to T2;
 * every T2 once a provisional response came), and ends with the final
 * response (matched by branch + CSeq method, §17.1.3) or Timer F (64*T1)
 * as a timeout. Server transactions: a new request becomes an event
 * carrying a transaction id; retransmissions of it are absorbed, or
 * answered again with the last response sent (§17.2.2), until Timer J
 * (64*T1) ends the transaction. Matching: branch + sent-by + method
 * (§17.2.3).
 *
 * Not here (documented in docs/sip.md): INVITE transactions (an INVITE is
 * answered 501 statelessly until issue 6 adds them), TCP, DNS.
 *
 * Bounded: at most max_client_txns + max_server_txns transactions and
 * max_bytes of stored messages; beyond, a new request of ours fails with
 * MCGK_ERR_SIP_BUSY and a peer's new request is answered 503 statelessly.
 *
 * Secrets: stored messages (requests we retransmit, responses we repeat,
 * requests waiting for an answer) may carry key material in their
 * bodies; they are wiped when freed. The engine never logs.
 *
 * Not thread-safe: one engine, one lock (the endpoint holds it).
 */
#ifndef MCGK_NET_SIP_TXN_H
#define MCGK_NET_SIP_TXN_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/base.h"
#include "mcgk/error.h"
#include "mcgk/sip.h"

/* RFC 3261 §17.1.1.1 / Table 4 defaults */
#define MCGK_SIP_T1_MS 500u
#define MCGK_SIP_T2_MS 4000u
#define MCGK_SIP_T4_MS 5000u

/* A transport address: IPv4 (family 4, addr[0..4)) or IPv6 (family 6). */
typedef struct mcgk_sip_peer {
    uint8_t family;
    uint8_t addr[16];
    uint16_t port;
} mcgk_sip_peer;

/* A numeric host ("127.0.0.1", "::1", "[::1]") and a port; no DNS.
 * MCGK_ERR_INVALID_ARG when host is not a numeric address or port is 0. */
mcgk_err mcgk_sip_peer_set(mcgk_sip_peer *p, const char *host, uint16_t port);
/* The host and port of a SIP URI (numeric hosts only). MCGK_ERR_SIP_MALFORMED,
 * MCGK_ERR_INVALID_ARG (host not numeric: no DNS here). */
mcgk_err mcgk_sip_peer_from_uri(mcgk_sip_peer *p, const char *uri);
/* "127.0.0.1:5060" or "[::1]:5060" (cap >= 48 always suffices). */
void mcgk_sip_peer_format(const mcgk_sip_peer *p, char *out, size_t cap);
int mcgk_sip_peer_eq(const mcgk_sip_peer *a, const mcgk_sip_peer *b);

/* Output: send one datagram. Return 0 when handed to the network; a
 * failure is not fatal (the retransmission timer or the peer's
 * retransmission tries again). */
typedef int (*mcgk_sip_send_fn)(void *ctx, const mcgk_sip_peer *to, const uint8_t *data,
                                size_t len);

typedef struct mcgk_sip_engine_config {
    const char *via_transport;  /* NULL = "UDP" */
    const char *via_sent_by;    /* host:port written in our Vias, e.g. "127.0.0.1:5060" */
    uint32_t t1_ms, t2_ms;      /* 0 = MCGK_SIP_T1_MS, MCGK_SIP_T2_MS */
    uint32_t tu_timeout_ms;     /* a request not answered by then is forgotten; 0 = 64*T1 */
    size_t max_client_txns;     /* 0 = 16384 */
    size_t max_server_txns;     /* 0 = 16384 */
    size_t max_bytes;           /* stored messages, all together; 0 = 128 MiB */
    mcgk_sip_send_fn send;
    void *send_ctx;
    const mcgk_rng *rng;        /* seeds branch and tag generation (read once) */
} mcgk_sip_engine_config;

typedef struct mcgk_sip_engine mcgk_sip_engine;

/*
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG (no send, no sent-by, T2 < T1,
 * a sent-by or transport that cannot go into a Via), MCGK_ERR_RNG,
 * MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_sip_engine_new(const mcgk_sip_engine_config *cfg, mcgk_sip_engine **out);
/* Frees every transaction (wiping stored messages) without events. NULL is fine. */
void mcgk_sip_engine_free(mcgk_sip_engine *e);

typedef enum mcgk_sip_event_type {
    MCGK_SIP_EV_NONE = 0, /* absorbed; ev->note says why */
    MCGK_SIP_EV_REQUEST,  /* a new request: answer it with mcgk_sip_engine_respond(ev->txn) */
    MCGK_SIP_EV_RESPONSE, /* the final response to a request we sent (ev->user is its user) */
} mcgk_sip_event_type;

typedef struct mcgk_sip_event {
    mcgk_sip_event_type type;
    uint64_t txn;          /* REQUEST: server transaction; RESPONSE: client transaction */
    void *user;            /* RESPONSE: as given to mcgk_sip_engine_request */
    const char *note;      /* NONE: "retransmission", "provisional", "stray-response",
                            * "keepalive", "ack", "cancel", "invite-501", "busy-503",
                            * "multiple-via" (static strings) */
    mcgk_sip_peer peer;    /* where it came from */
    mcgk_sip_msg msg;      /* REQUEST / RESPONSE; body points into the caller's datagram */
} mcgk_sip_event;

/* A client transaction that ended without a final response. */
typedef struct mcgk_sip_timeout {
    uint64_t txn;
    void *user;
} mcgk_sip_timeout;

/*
 * Start a client transaction: the engine fills the Via (transport,
 * sent-by, a new branch) - p's via_* and branch are ignored - builds the
 * request, sends it and arms Timers E and F. *txn (may be NULL) gets its
 * id. user comes back with its response or timeout.
 * Returns MCGK_OK, MCGK_ERR_UNSUPPORTED (INVITE, ACK, CANCEL: not
 * non-INVITE transactions), MCGK_ERR_SIP_BUSY (transaction or byte limit
 * reached), the codes of mcgk_sip_request_build, MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_sip_engine_request(mcgk_sip_engine *e, uint64_t now_ms, const mcgk_sip_peer *to,
                                 const mcgk_sip_request_params *p, void *user, uint64_t *txn);

/*
 * One datagram from `from`. Fills *ev (ev->type NONE when the datagram
 * was absorbed). Returns MCGK_OK, or the parse error of
 * mcgk_sip_msg_parse (the datagram is dropped: nothing can be answered
 * without its headers), or MCGK_ERR_INVALID_ARG.
 */
mcgk_err mcgk_sip_engine_receive(mcgk_sip_engine *e, uint64_t now_ms, const mcgk_sip_peer *from,
                                 const uint8_t *data, size_t len, mcgk_sip_event *ev);

/*
 * Answer server transaction txn (from a REQUEST event), now or later. A
 * 1xx may precede the final response; a To tag is added when the request
 * had none and p->to_tag is NULL (RFC 3261 §8.2.6.2). Returns MCGK_OK,
 * MCGK_ERR_NOT_FOUND (no such transaction: unknown id, or forgotten
 * after tu_timeout_ms), MCGK_ERR_SIP_TXN_STATE (a final response was
 * already sent), the codes of mcgk_sip_response_build, MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_sip_engine_respond(mcgk_sip_engine *e, uint64_t now_ms, uint64_t txn,
                                 const mcgk_sip_response_params *p);

/*
 * Run the timers due at now_ms: retransmissions, and client transactions
 * that time out (Timer F), written to out[0..cap) - call again while it
 * returns cap. Server transactions past Timer J or tu_timeout_ms are
 * freed silently.
 */
size_t mcgk_sip_engine_expire(mcgk_sip_engine *e, uint64_t now_ms, mcgk_sip_timeout *out,
                              size_t cap);

/* The earliest timer: 1 and *deadline_ms, or 0 when no timer runs. */
int mcgk_sip_engine_next_deadline(const mcgk_sip_engine *e, uint64_t *deadline_ms);

/* End every client transaction now (shutdown): written to out[0..cap) like
 * mcgk_sip_engine_expire; call again while it returns cap. */
size_t mcgk_sip_engine_abort_clients(mcgk_sip_engine *e, mcgk_sip_timeout *out, size_t cap);

typedef struct mcgk_sip_engine_stats {
    size_t client_txns, server_txns; /* in progress */
    size_t bytes;                    /* stored message bytes */
    uint64_t retransmissions;        /* requests we sent again (Timer E) */
    uint64_t repeats;                /* responses we sent again for a retransmitted request */
    uint64_t timeouts;               /* client transactions ended by Timer F */
    uint64_t rejected_busy;          /* peer requests answered 503 */
} mcgk_sip_engine_stats;

void mcgk_sip_engine_get_stats(const mcgk_sip_engine *e, mcgk_sip_engine_stats *s);

#endif
