/*
 * net/controller_server.h - `mcgk controller serve`: the group controller
 * (mcgk/controller.h) on a SIP endpoint over UDP, with the registrar
 * (net/sip_registrar.h) as its member list: whoever REGISTERs with it is a
 * member of its group (an affiliation), and members from a file are bound
 * for good. docs/controller.md has the design.
 *
 * One thread runs everything: the endpoint's loop (run_once), the
 * controller's timers and the actions it asks for (INVITE to each member,
 * answers to the caller, ACK, CANCEL, BYE), so the state machine needs no
 * lock of its own; a mutex only guards the statistics read from outside.
 *
 * Logs (platform/log.h, comp "controller"): listening; per call
 * `call-fanout` (members the INVITE went to), `call-answered` (the
 * caller's 200 and the counts then), `call-ended` (result, reached,
 * answered, refused, timeout, unreachable, cancelled, left, duration);
 * refusals with their reason; at debug each member's outcome. Never
 * bodies.
 *
 * Secrets: none (the offers' MIKEY messages are public and pass through).
 */
#ifndef MCGK_NET_CONTROLLER_SERVER_H
#define MCGK_NET_CONTROLLER_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/controller.h"
#include "mcgk/error.h"

typedef struct mcgk_ctl_server_config {
    const char *host;            /* numeric address to bind */
    uint16_t port;               /* 0 = any */
    const char *group_uri;       /* the group this controller serves */
    uint32_t t1_ms;              /* 0 = 500 */
    mcgk_ctl_policy policy;
    uint32_t answer_timeout_ms;  /* 0 = MCGK_CTL_DEFAULT_ANSWER_TIMEOUT_MS */
    size_t max_members;          /* 0 = MCGK_CTL_DEFAULT_MAX_MEMBERS; also the registrar's size */
    size_t max_calls;            /* 0 = MCGK_CTL_DEFAULT_MAX_CALLS */
    /* from --members-file: each AOR may register (others get 403); those with a contact
     * are bound for good. n_listed == 0: anyone who registers is a member. */
    const mcgk_ctl_member *listed;
    size_t n_listed;
    const mcgk_rng *rng;         /* NULL = the system RNG */
} mcgk_ctl_server_config;

typedef struct mcgk_ctl_server mcgk_ctl_server;

/*
 * Bind, load the members, start the thread. Returns MCGK_OK,
 * MCGK_ERR_INVALID_ARG (group_uri not a SIP URI, a listed AOR that is not
 * one or a contact without a numeric host, t1 too long for the answer
 * window), the codes of mcgk_sip_endpoint_new, mcgk_ctl_new,
 * MCGK_ERR_IO (thread), MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_ctl_server_start(const mcgk_ctl_server_config *cfg, mcgk_ctl_server **out);

uint16_t mcgk_ctl_server_port(const mcgk_ctl_server *srv);
/* "host:port" as in our Vias and Contact. */
const char *mcgk_ctl_server_sent_by(const mcgk_ctl_server *srv);
void mcgk_ctl_server_get_stats(mcgk_ctl_server *srv, mcgk_ctl_stats *s);

/* Stop the thread, close the socket (calls in progress are dropped). NULL is fine. */
void mcgk_ctl_server_stop(mcgk_ctl_server *srv);

#endif
