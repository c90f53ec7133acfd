/*
 * net/sip_txn.h - SIP transactions (RFC 3261 §17) as a sans-I/O state
 * machine, non-INVITE (§17.1.2, §17.2.2) and INVITE (§17.1.1, §17.2.1,
 * with the Accepted states of RFC 6026 §7): datagrams, the time and an RNG go in;
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
 * INVITE client transactions (mcgk_sip_engine_invite): Timer A (T1,
 * doubling) until a response, Timer B (64*T1) as a timeout while nothing
 * came; each 1xx is an event (MCGK_SIP_EV_PROVISIONAL); a 3xx-6xx final is
 * ACKed by the engine itself (§17.1.1.3, the ACK repeated for each
 * retransmitted final until Timer D); a 2xx is handed to the TU, which
 * sends the ACK with mcgk_sip_engine_ack (§13.2.2.4) - the engine keeps it
 * and repeats it for each retransmitted 2xx until Timer M (64*T1, RFC 6026
 * §7.2). mcgk_sip_engine_cancel sends a CANCEL (§9.1) once a provisional
 * response has come. A transaction still without a final answer
 * invite_proceeding_ms after its first 1xx is CANCELed and reported as a
 * timeout (the value of proxy Timer C, §16.6: bounded memory).
 *
 * INVITE server transactions (opt-in: accept_invite): the engine answers
 * 100 Trying at once (§17.2.1) - or after trying_delay_ms if the TU has not
 * answered by then - and hands the INVITE to the TU. A 3xx-6xx
 * final is repeated on Timer G (T1 doubling up to T2) until the ACK
 * (absorbed; Timer I = T4) or Timer H (64*T1). A 2xx is repeated the same
 * way until the ACK of the 2xx arrives (matched by Call-ID, From tag and
 * CSeq, §13.3.1.4; MCGK_SIP_EV_ACK) or 64*T1 passes without it
 * (MCGK_SIP_TIMEOUT_NO_ACK: the TU should end the session with a BYE). A
 * CANCEL of an INVITE still waiting for its final answer is answered 200
 * and the INVITE 487 by the engine (§9.2), then reported
 * (MCGK_SIP_EV_CANCEL). An INVITE the TU leaves unanswered for
 * tu_timeout_ms is answered 408, so the caller is not left waiting.
 * Without accept_invite an INVITE is answered 501 statelessly.
 *
 * Not here (documented in docs/sip.md): TCP, DNS, forking proxies (the
 * 2xx of one INVITE come from one UAS).
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
    int accept_invite;          /* 1: INVITE server transactions; 0: INVITE answered 501 */
    uint32_t t4_ms;             /* 0 = MCGK_SIP_T4_MS (Timer I) */
    uint32_t invite_proceeding_ms; /* our INVITE without a final answer after its 1xx is
                                    * CANCELed and times out; 0 = 180000 (Timer C) */
    uint32_t trying_delay_ms;   /* 0: 100 Trying at once; else only when the TU has not
                                 * answered by then (§17.2.1 allows 200 for a TU that answers
                                 * at once: one datagram less each way) */
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
    MCGK_SIP_EV_PROVISIONAL, /* a 1xx to an INVITE we sent (ev->txn, ev->user, ev->msg) */
    MCGK_SIP_EV_ACK,      /* the ACK of the 2xx we sent to INVITE ev->txn (ev->msg: the ACK) */
    MCGK_SIP_EV_CANCEL,   /* INVITE ev->txn was CANCELed: the engine answered it 487 */
} mcgk_sip_event_type;

typedef struct mcgk_sip_event {
    mcgk_sip_event_type type;
    uint64_t txn;          /* REQUEST: server transaction; RESPONSE: client transaction */
    void *user;            /* RESPONSE: as given to mcgk_sip_engine_request */
    const char *note;      /* NONE: "retransmission", "provisional", "stray-response",
                            * "keepalive", "ack", "cancel", "invite-501", "busy-503",
                            * "multiple-via", "2xx-retransmission", "cancel-response"
                            * (static strings) */
    mcgk_sip_peer peer;    /* where it came from */
    mcgk_sip_msg msg;      /* REQUEST / RESPONSE; body points into the caller's datagram */
} mcgk_sip_event;

typedef enum mcgk_sip_timeout_kind {
    MCGK_SIP_TIMEOUT_CLIENT = 0, /* a request of ours ended without a final response */
    MCGK_SIP_TIMEOUT_NO_ACK,     /* server INVITE txn: our 2xx was never ACKed (user NULL) */
} mcgk_sip_timeout_kind;

/* A transaction that ended on a timer with something to tell the TU. */
typedef struct mcgk_sip_timeout {
    uint64_t txn;
    void *user;
    mcgk_sip_timeout_kind kind;
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
 * Start an INVITE client transaction (RFC 3261 §17.1.1; p->method must be
 * "INVITE", p->contact_uri should be set, §8.1.1.8). Events: zero or more
 * MCGK_SIP_EV_PROVISIONAL, then one MCGK_SIP_EV_RESPONSE or one timeout
 * (MCGK_SIP_TIMEOUT_CLIENT). After a 2xx send the ACK with
 * mcgk_sip_engine_ack. Returns the codes of mcgk_sip_engine_request, and
 * MCGK_ERR_INVALID_ARG for another method.
 */
mcgk_err mcgk_sip_engine_invite(mcgk_sip_engine *e, uint64_t now_ms, const mcgk_sip_peer *to,
                                const mcgk_sip_request_params *p, void *user, uint64_t *txn);

/*
 * Send the ACK of the 2xx that ended INVITE client transaction txn
 * (§13.2.2.4: a new branch, CSeq number of the INVITE, To with the 2xx's
 * tag, Request-URI = the 2xx's Contact; sent to the address the INVITE
 * went to). It is repeated for each retransmission of the 2xx until
 * Timer M. Calling it again re-sends it. Returns MCGK_OK,
 * MCGK_ERR_NOT_FOUND (no such INVITE client transaction, or forgotten
 * after Timer M), MCGK_ERR_SIP_TXN_STATE (it did not end with a 2xx).
 */
mcgk_err mcgk_sip_engine_ack(mcgk_sip_engine *e, uint64_t now_ms, uint64_t txn);

/*
 * CANCEL INVITE client transaction txn (§9.1): sent now when a provisional
 * response has come, else as soon as one does (the INVITE then normally
 * ends with a 487, reported as usual). The CANCEL's own outcome is not
 * reported. Returns MCGK_OK, MCGK_ERR_NOT_FOUND (no such INVITE client
 * transaction), MCGK_ERR_SIP_TXN_STATE (it already has its final
 * response), MCGK_ERR_SIP_BUSY, MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_sip_engine_cancel(mcgk_sip_engine *e, uint64_t now_ms, uint64_t txn);

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
 * Run the timers due at now_ms: retransmissions, client transactions that
 * time out (Timer F, Timer B, the proceeding limit) and 2xx never ACKed,
 * written to out[0..cap) - call again while it returns cap. Non-INVITE
 * server transactions past Timer J or tu_timeout_ms are freed silently;
 * an INVITE past tu_timeout_ms is answered 408.
 */
size_t mcgk_sip_engine_expire(mcgk_sip_engine *e, uint64_t now_ms, mcgk_sip_timeout *out,
                              size_t cap);

/* The earliest timer: 1 and *deadline_ms, or 0 when no timer runs. */
int mcgk_sip_engine_next_deadline(const mcgk_sip_engine *e, uint64_t *deadline_ms);

/* End every client transaction now (shutdown): those whose outcome was not
 * reported yet are written to out[0..cap) like mcgk_sip_engine_expire; call
 * again while it returns cap. */
size_t mcgk_sip_engine_abort_clients(mcgk_sip_engine *e, mcgk_sip_timeout *out, size_t cap);

typedef struct mcgk_sip_engine_stats {
    size_t client_txns, server_txns; /* in progress */
    size_t bytes;                    /* stored message bytes */
    uint64_t retransmissions;        /* requests we sent again (Timer E) */
    uint64_t repeats;                /* responses we sent again for a retransmitted request */
    uint64_t timeouts;               /* client transactions ended by Timer F */
    uint64_t rejected_busy;          /* peer requests answered 503 */
    uint64_t response_retransmissions; /* INVITE finals sent again on Timer G / for a 2xx */
    uint64_t no_ack;                 /* INVITE finals of ours never ACKed (Timer H, 64*T1) */
} mcgk_sip_engine_stats;

void mcgk_sip_engine_get_stats(const mcgk_sip_engine *e, mcgk_sip_engine_stats *s);

#endif
