/*
 * net/sip_ua.h - a minimal SIP user agent for MC clients in a group call
 * (issue 6; seed requirements R-002-12, R-002-17..19): the caller's side
 * sends an INVITE whose SDP offer carries the MIKEY message and waits for
 * the final answer (ACKing a 2xx, RFC 3261 §13.2.2.4), then ends the call
 * with a BYE (§15.1.1); the member's side registers with the group
 * controller (§10.2), answers an incoming INVITE with 200 + an SDP answer
 * after handing the received SDP to a callback - which is where the
 * client will extract the GSK (R-002-19) - and answers BYE (§15.1.2).
 * One endpoint (net/sip_transport.h, accept_invite) in its own thread.
 *
 * The UA never looks inside the bodies: the offer is given to the
 * callback as received; what is sent is what the caller gives.
 *
 * Logs (comp "sip-ua" unless configured): calls set up and ended, by
 * Call-ID; never bodies.
 *
 * Secrets: none of its own; bodies pass through (the MIKEY message in an
 * offer is public, its GSK encrypted under the GMK).
 */
#ifndef MCGK_NET_SIP_UA_H
#define MCGK_NET_SIP_UA_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/base.h"
#include "mcgk/error.h"
#include "mcgk/sip.h"
#include "net/sip_transport.h"

typedef struct mcgk_sip_ua mcgk_sip_ua;

/* An incoming INVITE, as the callee's callback sees it (valid during the callback). */
typedef struct mcgk_sip_ua_offer {
    const char *from_uri;
    const char *to_uri;
    const char *call_id;
    const char *content_type;
    const uint8_t *body; /* the SDP offer as received, octet for octet */
    size_t body_len;
} mcgk_sip_ua_offer;

/* The callee's answer; body and strings are copied before the callback returns. */
typedef struct mcgk_sip_ua_answer {
    int status;               /* preset 200; 300..699 refuses; 0 leaves it unanswered
                               * (the transaction answers 408 after 64*T1) */
    int ring;                 /* send 180 Ringing before the final answer */
    const char *content_type; /* NULL = application/sdp (when a body is given) */
    const uint8_t *body;      /* the SDP answer (a 2xx to an offer needs one, RFC 3264) */
    size_t body_len;
    const char *warning;      /* a Warning 399 text with a refusal, or NULL */
} mcgk_sip_ua_answer;

typedef void (*mcgk_sip_ua_offer_cb)(void *ctx, const mcgk_sip_ua_offer *offer,
                                     mcgk_sip_ua_answer *answer);

typedef enum mcgk_sip_ua_event {
    MCGK_SIP_UA_EV_ACK = 1, /* the caller ACKed our 2xx */
    MCGK_SIP_UA_EV_BYE,     /* the other side ended a call (answered 200) */
    MCGK_SIP_UA_EV_CANCEL,  /* an INVITE we had not answered finally was CANCELed (487) */
    MCGK_SIP_UA_EV_NO_ACK,  /* our 2xx was never ACKed (call_id may be "") */
} mcgk_sip_ua_event;

typedef void (*mcgk_sip_ua_event_cb)(void *ctx, mcgk_sip_ua_event ev, const char *call_id);

typedef struct mcgk_sip_ua_config {
    const char *host;              /* numeric address to bind */
    uint16_t port;                 /* 0 = any */
    uint32_t t1_ms;                /* 0 = 500 */
    const char *user;              /* user part of our Contact; NULL = "ua" */
    mcgk_sip_ua_offer_cb on_offer; /* NULL: INVITEs are refused 480 */
    mcgk_sip_ua_event_cb on_event; /* may be NULL */
    void *ctx;
    size_t max_dialogs;            /* calls remembered for BYE; 0 = 1024 (oldest dropped) */
    size_t max_txns;               /* client and server transactions each; 0 = 1024 */
    const mcgk_rng *rng;           /* NULL = the system RNG */
    const char *log_comp;          /* NULL = "sip-ua" */
} mcgk_sip_ua_config;

/* Bind and start the thread. Returns MCGK_OK and the codes of mcgk_sip_endpoint_new and
 * mcgk_sip_endpoint_start, MCGK_ERR_NO_MEMORY. */
mcgk_err mcgk_sip_ua_new(const mcgk_sip_ua_config *cfg, mcgk_sip_ua **out);
/* Stops the thread; calls in progress are dropped (no BYE). NULL is fine. Must not be
 * called from a callback. */
void mcgk_sip_ua_free(mcgk_sip_ua *ua);

mcgk_sip_endpoint *mcgk_sip_ua_endpoint(mcgk_sip_ua *ua);
/* Our Contact, "sip:user@host:port". MCGK_ERR_BUFFER_TOO_SMALL. */
mcgk_err mcgk_sip_ua_contact(const mcgk_sip_ua *ua, char *out, size_t cap);

/*
 * REGISTER aor with the registrar at registrar_uri (numeric host), our
 * Contact as the binding, and wait for the final answer. *status (may be
 * NULL) gets it. Returns MCGK_OK (2xx), MCGK_ERR_PEER, MCGK_ERR_SIP_TIMEOUT,
 * MCGK_ERR_SIP_CLOSED, MCGK_ERR_SIP_MALFORMED / MCGK_ERR_INVALID_ARG (a URI
 * without a numeric host), the codes of mcgk_sip_endpoint_request.
 */
mcgk_err mcgk_sip_ua_register(mcgk_sip_ua *ua, const char *registrar_uri, const char *aor,
                              uint32_t expires_s, int *status);

/* A call we set up (as the caller); free with mcgk_sip_ua_call_free. */
typedef struct mcgk_sip_ua_call mcgk_sip_ua_call;

typedef void (*mcgk_sip_ua_progress_cb)(void *user, const mcgk_sip_msg *provisional);

typedef struct mcgk_sip_ua_invite_params {
    const char *target_uri;   /* Request-URI; its host and port are where it goes (numeric) */
    const char *from_uri;     /* us */
    const char *to_uri;       /* NULL = target_uri */
    const char *content_type; /* NULL = application/sdp */
    const uint8_t *body;      /* the SDP offer (with a=key-mgmt:mikey ..., R-002-12) */
    size_t body_len;
    mcgk_sip_ua_progress_cb on_provisional; /* each 1xx (on the UA's thread); may be NULL */
    void *user;
    uint32_t cancel_after_ms; /* CANCEL when no final answer by then; 0 = never */
} mcgk_sip_ua_invite_params;

typedef struct mcgk_sip_ua_result {
    int status;                            /* the final status, 0 without one */
    char warning[MCGK_SIP_VALUE_MAX];      /* its Warning text */
    char content_type[MCGK_SIP_VALUE_MAX];
    uint8_t *body;                         /* the answer's body (malloc'ed, or NULL) */
    size_t body_len;
} mcgk_sip_ua_result;

/*
 * Send an INVITE and wait for its final answer. A 2xx is ACKed at once and,
 * when call != NULL, *call is the dialog (for mcgk_sip_ua_bye). Returns
 * MCGK_OK (2xx), MCGK_ERR_PEER (3xx-6xx; res->status), MCGK_ERR_SIP_CANCELLED
 * (487 after our CANCEL), MCGK_ERR_SIP_TIMEOUT, MCGK_ERR_SIP_CLOSED, the codes
 * of mcgk_sip_endpoint_invite, MCGK_ERR_NO_MEMORY, MCGK_ERR_RNG. res (may be
 * NULL) is filled in every case; release with mcgk_sip_ua_result_clear.
 */
mcgk_err mcgk_sip_ua_invite(mcgk_sip_ua *ua, const mcgk_sip_ua_invite_params *p,
                            mcgk_sip_ua_result *res, mcgk_sip_ua_call **call);
void mcgk_sip_ua_result_clear(mcgk_sip_ua_result *res);

/*
 * End the call with a BYE and wait for its answer (*status may be NULL).
 * MCGK_OK (2xx), MCGK_ERR_PEER, MCGK_ERR_SIP_TIMEOUT, MCGK_ERR_SIP_CLOSED,
 * MCGK_ERR_NOT_FOUND (the other side ended it already), the codes of
 * mcgk_sip_endpoint_request.
 */
mcgk_err mcgk_sip_ua_bye(mcgk_sip_ua *ua, mcgk_sip_ua_call *call, int *status);
/* 1 when the other side ended the call with a BYE. */
int mcgk_sip_ua_call_ended(mcgk_sip_ua *ua, const mcgk_sip_ua_call *call);
void mcgk_sip_ua_call_free(mcgk_sip_ua *ua, mcgk_sip_ua_call *call);

#endif
