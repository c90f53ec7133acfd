/*
 * net/sip_registrar.h - what the GMS needs to reach its members by SIP:
 *
 *  - a registrar (RFC 3261 §10.3): REGISTER binds an address of record
 *    (the To URI, e.g. the member's MC service ID) to one contact URI
 *    with an expiry; answered 200 with Contact;expires and Expires,
 *    423 + Min-Expires below the minimum, 400 + Warning for a contact
 *    mcgk cannot reach (not a sip: URI with a numeric host);
 *  - subscriptions (RFC 6665, optional for members): SUBSCRIBE with
 *    Event: mcgk-group-config binds the From URI the same way and keeps
 *    the dialog, so NOTIFYs for that member go inside it; the NOTIFY
 *    RFC 6665 §4.2.1.2 wants right after the 200 is the application's to
 *    send, from on_binding (it knows the body) - `mcgk sip listen` does;
 *  - a notifier: "send this body to that AOR" as a NOTIFY (Event:
 *    mcgk-group-config, Subscription-State: active), its outcome -
 *    final status with the Warning / Reason a member gave, or a timeout -
 *    reported through a callback.
 *
 * The table is bounded (max_bindings), thread-safe (one mutex), and
 * in memory: the GMS restores it after a restart with
 * mcgk_sip_registrar_bind (from its store, or from the members'
 * re-registration) - see docs/sip.md.
 *
 * No authentication (digest or otherwise): anyone who can reach the
 * port can bind any AOR. What a NOTIFY carries is encrypted to and
 * signed for its member (I_MESSAGE), so a false binding leaks nothing
 * but delays delivery; deployments put the GMS behind an authenticating
 * SIP core (IMS), as TS 33.180 assumes.
 *
 * Secrets: none kept; NOTIFY bodies pass through to the endpoint.
 */
#ifndef MCGK_NET_SIP_REGISTRAR_H
#define MCGK_NET_SIP_REGISTRAR_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/error.h"
#include "mcgk/sip.h"
#include "net/sip_transport.h"

typedef struct mcgk_sip_binding {
    char aor[MCGK_SIP_URI_MAX];      /* canonical (mcgk_sip_uri_aor) */
    char contact[MCGK_SIP_URI_MAX];  /* where NOTIFYs go */
    uint64_t expires_unix_s;
    int subscribed;                  /* a SUBSCRIBE dialog exists (else: REGISTER only) */
} mcgk_sip_binding;

/* A binding was made or refreshed (removed = 0), or removed (removed = 1; by
 * REGISTER expires=0 / Contact: *, or SUBSCRIBE Expires: 0). Called without
 * the registrar's lock, on the endpoint's thread. */
typedef void (*mcgk_sip_binding_cb)(void *ctx, const mcgk_sip_binding *b, int removed);

typedef struct mcgk_sip_registrar_config {
    const char *local_uri;       /* our identity: From of NOTIFYs, e.g. "sip:gms@example.org" */
    size_t max_bindings;         /* 0 = 100000 */
    uint32_t min_expires_s;      /* 0 = 60 */
    uint32_t max_expires_s;      /* 0 = 86400 (longer requests are shortened) */
    uint32_t default_expires_s;  /* no Expires given; 0 = 3600 */
    mcgk_sip_binding_cb on_binding; /* may be NULL */
    void *ctx;
    const mcgk_rng *rng;         /* tags and Call-IDs; NULL = the system RNG */
} mcgk_sip_registrar_config;

typedef struct mcgk_sip_registrar mcgk_sip_registrar;

/* MCGK_OK, MCGK_ERR_INVALID_ARG (local_uri missing or not a SIP URI, min > max),
 * MCGK_ERR_NO_MEMORY. */
mcgk_err mcgk_sip_registrar_new(const mcgk_sip_registrar_config *cfg, mcgk_sip_registrar **out);
void mcgk_sip_registrar_free(mcgk_sip_registrar *reg);

/*
 * The decision for one REGISTER or SUBSCRIBE (sans-I/O: the table and the
 * clock are the only inputs). local_tag is the To tag the answer will
 * carry (a SUBSCRIBE dialog keeps it); local_contact is our Contact for
 * a SUBSCRIBE's 200 (RFC 6665 §4.2.1.1). Fills *resp (its strings point
 * into *scratch, which must live as long as *resp) and, when a binding
 * changed, *changed / *removed. Returns MCGK_OK (answer with *resp),
 * MCGK_ERR_UNSUPPORTED (neither REGISTER nor SUBSCRIBE: not ours to
 * answer), MCGK_ERR_INVALID_ARG.
 */
typedef struct mcgk_sip_registrar_scratch {
    char contact[MCGK_SIP_URI_MAX];
    char warning[MCGK_SIP_VALUE_MAX];
} mcgk_sip_registrar_scratch;

mcgk_err mcgk_sip_registrar_decide(mcgk_sip_registrar *reg, uint64_t now_unix_s,
                                   const mcgk_sip_msg *req, const char *local_tag,
                                   const char *local_contact, mcgk_sip_response_params *resp,
                                   mcgk_sip_registrar_scratch *scratch, mcgk_sip_binding *changed,
                                   int *has_change, int *removed);

/*
 * For the endpoint's request callback: answers REGISTER and SUBSCRIBE
 * (through mcgk_sip_registrar_decide and the endpoint) and returns 1;
 * returns 0 for any other method, which the caller answers.
 */
int mcgk_sip_registrar_on_request(mcgk_sip_registrar *reg, mcgk_sip_endpoint *ep, uint64_t txn,
                                  const mcgk_sip_msg *req);

/* Restore or add a binding (e.g. from the GMS store). MCGK_OK,
 * MCGK_ERR_SIP_MALFORMED (aor not a SIP URI), MCGK_ERR_INVALID_ARG (contact not
 * reachable: not a sip: URI with a numeric host), MCGK_ERR_SIP_BUSY (table full),
 * MCGK_ERR_NO_MEMORY. */
mcgk_err mcgk_sip_registrar_bind(mcgk_sip_registrar *reg, const char *aor, const char *contact,
                                 uint64_t expires_unix_s);

/* The current binding of aor (any form of the URI). MCGK_OK,
 * MCGK_ERR_SIP_NOT_REGISTERED (none, or expired), MCGK_ERR_SIP_MALFORMED. */
mcgk_err mcgk_sip_registrar_lookup(mcgk_sip_registrar *reg, const char *aor, uint64_t now_unix_s,
                                   mcgk_sip_binding *out);

/*
 * The current (unexpired) bindings, in no particular order: up to cap of
 * them into out[0..*n_out); *n_total (may be NULL) = how many there are
 * (more than cap: the caller sees the list was cut). The group controller
 * takes its members from here. MCGK_OK, MCGK_ERR_INVALID_ARG.
 */
mcgk_err mcgk_sip_registrar_list(mcgk_sip_registrar *reg, uint64_t now_unix_s,
                                 mcgk_sip_binding *out, size_t cap, size_t *n_out,
                                 size_t *n_total);

/* Drop expired bindings; returns how many remain. */
size_t mcgk_sip_registrar_purge(mcgk_sip_registrar *reg, uint64_t now_unix_s);

/* ---- the notifier ---------------------------------------------------------------------- */

typedef struct mcgk_sip_notify_result {
    mcgk_err result;        /* MCGK_OK (2xx), MCGK_ERR_PEER (error status),
                             * MCGK_ERR_SIP_TIMEOUT, MCGK_ERR_SIP_CLOSED */
    int status;             /* the final status, 0 without one */
    int warning_code;       /* the member's Warning (0: none) and text */
    char warning_text[MCGK_SIP_VALUE_MAX];
    char reason_text[MCGK_SIP_VALUE_MAX]; /* the member's Reason text, "" when none */
    char aor[MCGK_SIP_URI_MAX];
} mcgk_sip_notify_result;

typedef void (*mcgk_sip_notify_cb)(void *user, const mcgk_sip_notify_result *r);

/*
 * Send body (content_type; NULL = MCGK_SIP_CT_GROUP_CONFIG) to aor's
 * current contact in a NOTIFY (inside its SUBSCRIBE dialog when there is
 * one). cb reports the outcome once, possibly before this returns.
 * Returns MCGK_OK, or without calling cb: MCGK_ERR_SIP_NOT_REGISTERED,
 * MCGK_ERR_SIP_MALFORMED, the codes of mcgk_sip_endpoint_request
 * (MCGK_ERR_SIP_BUSY: retry later), MCGK_ERR_RNG, MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_sip_notify_send(mcgk_sip_registrar *reg, mcgk_sip_endpoint *ep,
                              uint64_t now_unix_s, const char *aor, const char *content_type,
                              const uint8_t *body, size_t body_len, mcgk_sip_notify_cb cb,
                              void *user);

#endif
