/*
 * mcgk/controller.h - the group controller of a network-connected group
 * call (seed requirements R-002-11..19; spec/README.md §2.8): a caller's
 * SIP INVITE whose SDP offer carries the MIKEY-PSK GSK message
 * (`a=key-mgmt:mikey ...`, R-002-12) is acknowledged to the caller with no
 * security content (R-002-17), duplicated to every member of the group with
 * the caller's SDP byte for byte (R-002-18), and the members' answers -
 * which carry no security content either (R-002-19) - are gathered. The
 * controller adds no key material, holds no GMK and never looks inside the
 * MIKEY blob (unless it is made a member, R-002-11, which is the client's
 * business, not this module's). docs/controller.md has the whole picture.
 *
 * This is a sans-I/O state machine: SIP events, the time (milliseconds of
 * a monotonic clock) and an RNG go in; actions come out of a queue
 * (mcgk_ctl_next_action) for a shell to perform on a SIP endpoint
 * (net/controller_server.h does so over UDP). It never opens a socket or
 * reads a clock, so every failure is tested with a fake clock
 * (tests/unit/test_controller.c).
 *
 * A call:
 *   caller INVITE (server transaction; the engine has sent 100 Trying)
 *     -> one INVITE per member (new Call-ID each, From the group URI, To the
 *        member's AOR, the caller's Content-Type and body unchanged)
 *     -> 183 Session Progress to the caller (no body)
 *     -> members answer: 2xx (ACKed; counted answered), 3xx-6xx (refused),
 *        no final answer (timeout; after answer_timeout_ms they are
 *        CANCELed), or could not be sent (unreachable)
 *     -> the caller gets 200 OK with the controller's own SDP answer (no
 *        key-mgmt) when the first member accepted (MCGK_CTL_ANSWER_FIRST,
 *        the default) or when every member has answered or timed out
 *        (MCGK_CTL_ANSWER_ALL); 480 + Warning when no member accepted;
 *     -> the caller's ACK confirms it; its BYE (or CANCEL before the final
 *        answer) ends the call: BYE to every member in it, CANCEL to those
 *        still ringing. A member's BYE takes that member out of the call.
 *
 * Bounded: max_calls calls at once, max_members members a call, offers of
 * at most MCGK_CTL_MAX_OFFER_LEN octets, a call's life max_call_ms.
 *
 * Secrets: none. The offer's MIKEY message is public (its GSK is encrypted
 * under the GMK, mikey.md §14) and passes through unchanged.
 *
 * Not thread-safe: one controller, one thread (the shell's loop).
 */
#ifndef MCGK_CONTROLLER_H
#define MCGK_CONTROLLER_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/base.h"
#include "mcgk/error.h"
#include "mcgk/sip.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MCGK_CTL_MAX_OFFER_LEN 32768u          /* the caller's SDP (a fork must fit a datagram) */
#define MCGK_CTL_MAX_ANSWER_LEN 8192u          /* our SDP answer */
#define MCGK_CTL_DEFAULT_MAX_MEMBERS 1000u
#define MCGK_CTL_LIMIT_MAX_MEMBERS (1u << 20)  /* the most max_members may be */
#define MCGK_CTL_DEFAULT_MAX_CALLS 64u
#define MCGK_CTL_DEFAULT_ANSWER_TIMEOUT_MS 16000u /* below the caller's 64*T1 (32 s) */
#define MCGK_CTL_DEFAULT_MAX_CALL_MS (24ull * 3600 * 1000)
#define MCGK_CTL_SDP_TYPE "application/sdp"

/* When the caller gets its final answer (docs/controller.md "Answer policy"). */
typedef enum mcgk_ctl_policy {
    MCGK_CTL_ANSWER_FIRST = 0, /* 200 at the first member's 2xx: the talker starts at once */
    MCGK_CTL_ANSWER_ALL = 1,   /* 200 once every member answered or timed out */
} mcgk_ctl_policy;

typedef struct mcgk_ctl_config {
    const char *group_uri;      /* the group: the To of the INVITEs this controller takes */
    const char *contact_uri;    /* our Contact, e.g. "sip:group@127.0.0.1:5062" */
    const char *host;           /* numeric address for our SDP answer's o= line */
    mcgk_ctl_policy policy;
    size_t max_members;         /* members a call may fan out to; 0 = 1000 */
    size_t max_calls;           /* calls at once; 0 = 64 */
    uint32_t answer_timeout_ms; /* how long members may take; 0 = 16000 */
    uint64_t max_call_ms;       /* a call is ended (BYEs) after this; 0 = 24 h */
    const mcgk_rng *rng;        /* tags, Call-IDs, SDP session ids */
} mcgk_ctl_config;

typedef struct mcgk_ctl mcgk_ctl;

/*
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG (a URI missing or not a SIP URI,
 * host not given, max_members above MCGK_CTL_LIMIT_MAX_MEMBERS, no rng),
 * MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_ctl_new(const mcgk_ctl_config *cfg, mcgk_ctl **out);
/* NULL is fine. Actions not taken are dropped. */
void mcgk_ctl_free(mcgk_ctl *c);

/* A member of the group as the registrar knows it. */
typedef struct mcgk_ctl_member {
    const char *aor;     /* its address of record: the To of its INVITE */
    const char *contact; /* where to send it: the Request-URI (numeric host) */
} mcgk_ctl_member;

/* ---- actions ------------------------------------------------------------------------ */

typedef enum mcgk_ctl_action_type {
    MCGK_CTL_ACT_RESPOND = 1, /* answer server transaction txn with resp */
    MCGK_CTL_ACT_INVITE,      /* send req (an INVITE) to target's host and port, then call
                               * mcgk_ctl_on_fork_sent(fork, ...) with the outcome */
    MCGK_CTL_ACT_ACK,         /* send the ACK of the 2xx that ended client INVITE txn */
    MCGK_CTL_ACT_CANCEL,      /* CANCEL client INVITE txn */
    MCGK_CTL_ACT_BYE,         /* send req (a BYE) to target; its outcome is only logged */
    MCGK_CTL_ACT_REPORT,      /* *report: what became of a call, for the log */
} mcgk_ctl_action_type;

typedef enum mcgk_ctl_report_kind {
    MCGK_CTL_REPORT_ANSWERED = 1, /* the caller got its 200 */
    MCGK_CTL_REPORT_ENDED,        /* the call is over (or was refused) */
} mcgk_ctl_report_kind;

/* Counts per call: each member is counted once as answered, refused, timeout or
 * unreachable (a member that accepts after it was counted as a timeout moves to
 * answered); cancelled counts members still ringing when the call ended. */
typedef struct mcgk_ctl_report {
    mcgk_ctl_report_kind kind;
    const char *call_id;  /* the caller's Call-ID */
    const char *caller;   /* the caller's From URI */
    int caller_status;    /* the final status the caller got (0: none yet) */
    mcgk_err result;      /* ENDED: MCGK_OK (a BYE ended it), MCGK_ERR_SIP_CANCELLED,
                           * MCGK_ERR_SIP_NO_ACK, MCGK_ERR_SIP_TIMEOUT (max_call_ms, or no
                           * member answered in time), MCGK_ERR_PEER (every member refused),
                           * MCGK_ERR_CTL_NO_MEMBERS, MCGK_ERR_CTL_TOO_MANY_MEMBERS,
                           * MCGK_ERR_IO (no member could be sent its INVITE),
                           * MCGK_ERR_SIP_BUSY (max_calls), MCGK_ERR_NOT_FOUND (not our
                           * group, or a re-INVITE of no call), MCGK_ERR_EXISTS (a merged
                           * copy of a call), MCGK_ERR_UNSUPPORTED (a re-INVITE, or not
                           * SDP), MCGK_ERR_MALFORMED / MCGK_ERR_OVERSIZED (the codes of
                           * mcgk_ctl_sdp_answer: no usable offer) */
    size_t members;       /* INVITEs the call fanned out */
    size_t reached;       /* members that sent any response */
    size_t answered, refused, timeouts, unreachable, cancelled;
    size_t left;          /* members that hung up (BYE) */
    uint64_t setup_ms;    /* from the caller's INVITE to its final answer */
    uint64_t duration_ms; /* ENDED: from the caller's INVITE to the end */
    int key_mgmt;         /* the offer has an a=key-mgmt line (public fact, for the log) */
} mcgk_ctl_report;

/*
 * An action. Pointers (target, the strings and body in req / resp, report)
 * point into the controller and stay valid until the next call of a
 * function of this header other than mcgk_ctl_next_action and
 * mcgk_ctl_on_fork_sent - take every action before feeding more input.
 */
typedef struct mcgk_ctl_action {
    mcgk_ctl_action_type type;
    uint64_t txn;                  /* RESPOND: server txn; ACK, CANCEL: client INVITE txn */
    uint64_t fork;                 /* INVITE, BYE to a member, ACK, CANCEL: the member's id */
    const char *target;            /* INVITE, BYE: a SIP URI with a numeric host */
    mcgk_sip_request_params req;   /* INVITE, BYE (the engine adds the Via) */
    mcgk_sip_response_params resp; /* RESPOND */
    const mcgk_ctl_report *report; /* REPORT */
} mcgk_ctl_action;

/* Take the next action in order: 1 and *out, or 0 when none is left. */
int mcgk_ctl_next_action(mcgk_ctl *c, mcgk_ctl_action *out);

/* ---- input -------------------------------------------------------------------------- */

/*
 * A new INVITE (server transaction txn, 100 Trying already sent) and the
 * group's members now (the caller is skipped when it is one of them; pass
 * up to max_members + 1 so that "too many" can be seen). Queues the
 * answer: a refusal (404 not our group, 413 offer too long, 415 not SDP,
 * 488 no offer or no usable media, 482 a merged copy of a call in
 * progress, 481/488 a re-INVITE, 503 + Warning too many calls or members,
 * 480 + Warning no members) or the fan-out. Returns MCGK_OK (the answer is
 * queued), MCGK_ERR_INVALID_ARG, MCGK_ERR_NO_MEMORY, MCGK_ERR_RNG.
 */
mcgk_err mcgk_ctl_on_invite(mcgk_ctl *c, uint64_t now_ms, uint64_t txn, const mcgk_sip_msg *req,
                            const mcgk_ctl_member *members, size_t n_members);

/*
 * What came of an INVITE action: MCGK_OK and the client transaction txn,
 * or the error that kept it from being sent (the member is unreachable).
 * May be called while taking actions.
 */
void mcgk_ctl_on_fork_sent(mcgk_ctl *c, uint64_t now_ms, uint64_t fork, mcgk_err result,
                           uint64_t txn);
/* A 1xx from a member. */
void mcgk_ctl_on_fork_provisional(mcgk_ctl *c, uint64_t now_ms, uint64_t fork,
                                  const mcgk_sip_msg *resp);
/* A member's final answer: result MCGK_OK (2xx, resp), MCGK_ERR_PEER (3xx-6xx, resp;
 * the engine ACKed it), MCGK_ERR_SIP_TIMEOUT or MCGK_ERR_SIP_CLOSED (resp NULL). */
void mcgk_ctl_on_fork_final(mcgk_ctl *c, uint64_t now_ms, uint64_t fork, mcgk_err result,
                            const mcgk_sip_msg *resp);

/* The caller ACKed our 2xx; CANCELed its INVITE (the engine answered it 487); never
 * ACKed our 2xx (RFC 3261 §13.3.1.4). txn: the caller's INVITE server transaction. */
void mcgk_ctl_on_caller_ack(mcgk_ctl *c, uint64_t now_ms, uint64_t txn);
void mcgk_ctl_on_caller_cancel(mcgk_ctl *c, uint64_t now_ms, uint64_t txn);
void mcgk_ctl_on_caller_no_ack(mcgk_ctl *c, uint64_t now_ms, uint64_t txn);

/*
 * Another request (server transaction txn): a BYE of a call's caller or of
 * one of its members is answered 200 and handled; returns 1 when the
 * request belonged to a call (its answer is queued), 0 when it is not the
 * controller's (the shell answers it: 481 for a BYE, 405 ...).
 */
int mcgk_ctl_on_request(mcgk_ctl *c, uint64_t now_ms, uint64_t txn, const mcgk_sip_msg *req);

/* Run the timers due at now_ms (answer_timeout_ms, max_call_ms). */
void mcgk_ctl_expire(mcgk_ctl *c, uint64_t now_ms);
/* The earliest timer: 1 and *deadline_ms, or 0 when none runs. */
int mcgk_ctl_next_deadline(const mcgk_ctl *c, uint64_t *deadline_ms);

typedef struct mcgk_ctl_stats {
    size_t calls;           /* in progress (a call lasts until every member's INVITE ended) */
    uint64_t calls_total;   /* INVITEs that started a fan-out */
    uint64_t calls_refused; /* INVITEs refused before any fan-out */
    uint64_t forks_total;   /* INVITEs sent to members */
} mcgk_ctl_stats;

void mcgk_ctl_get_stats(const mcgk_ctl *c, mcgk_ctl_stats *s);

/*
 * The controller's SDP answer to offer[0..offer_len) (RFC 3264 §6): "v=0",
 * an o= line with session id sess_id and host, "s=-", the offer's
 * session-level c= line, "t=0 0", and per m= line of the offer the same
 * m= line (media, port, proto, formats: for a multicast group session the
 * answer must mirror them, §6.2), its c= line and its a=rtpmap / a=fmtp
 * lines - never a=key-mgmt or a=crypto (no security content, R-002-19).
 * The controller relays no media itself. Written with a NUL into
 * out[0..out_cap); *out_len without it. Returns MCGK_OK,
 * MCGK_ERR_MALFORMED (not "v=0" first, a NUL or a control character, an
 * m= line that is not "m=<media> <port> <proto> <fmt>...", no m= line),
 * MCGK_ERR_OVERSIZED (longer than MCGK_CTL_MAX_OFFER_LEN, a line over 1024
 * octets, more than 16 m= lines), MCGK_ERR_BUFFER_TOO_SMALL,
 * MCGK_ERR_INVALID_ARG. Variable time (public data).
 */
mcgk_err mcgk_ctl_sdp_answer(const uint8_t *offer, size_t offer_len, const char *host,
                             uint64_t sess_id, char *out, size_t out_cap, size_t *out_len);

/* 1 when the SDP has an `a=key-mgmt:` line. */
int mcgk_ctl_sdp_has_key_mgmt(const uint8_t *sdp, size_t len);

/*
 * Where a member hears the call: "ADDR:PORT" from the SDP's first m= line's
 * port and the c= line that applies to it (the media-level c= of that m=
 * line, else the session-level one; "c=IN IP4 <addr>[/<ttl>]", RFC 4566
 * §5.7), written with a NUL into out[0..out_cap). Returns MCGK_OK,
 * MCGK_ERR_MALFORMED (no m= line, no IPv4 c= line for it, a bad address
 * or port), MCGK_ERR_BUFFER_TOO_SMALL, MCGK_ERR_INVALID_ARG.
 */
mcgk_err mcgk_ctl_sdp_media_addr(const uint8_t *sdp, size_t len, char *out, size_t out_cap);

#ifdef __cplusplus
}
#endif
#endif
