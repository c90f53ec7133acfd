/*
 * mcgk/sip.h - SIP messages for the GMS and the MC clients: a bounded
 * parser and builders for requests and responses (RFC 3261 §7, §8.1.1,
 * §8.2.6, §20; Event / Subscription-State from RFC 6665 §8.2; Reason
 * from RFC 3326). The profile mcgk speaks is in docs/sip.md.
 *
 * The SIP grammar is checked by libosip2 (osipparser2). Before libosip2
 * sees a byte, mcgk checks the framing itself, with hard bounds: the
 * message size, NUL octets, CRLF line ends, the number and length of
 * header fields, and a Content-Length that must equal the body length
 * exactly. The result is a caller-allocated mcgk_sip_msg holding copies
 * of the header values the protocol logic needs (bounded,
 * NUL-terminated) and a pointer to the body inside the caller's buffer.
 * Builders check every value (tokens, URIs libosip2 accepts, no CR/LF/NUL)
 * and write the text themselves; docs/sip.md says why.
 *
 * Secrets: bodies may carry key material (I_MESSAGEs). This module never
 * logs; the parser wipes libosip2's copy of the body before freeing it.
 */
#ifndef MCGK_SIP_H
#define MCGK_SIP_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/base.h"
#include "mcgk/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- bounds ------------------------------------------------------------------- */

#define MCGK_SIP_MAX_MSG_LEN 65535u /* a whole message (fits one UDP datagram) */
#define MCGK_SIP_MAX_HEADERS 64     /* header fields (a folded field counts once) */
#define MCGK_SIP_MAX_FIELD_LEN 2048 /* start line, or one field with its continuations */
#define MCGK_SIP_MAX_VIA 8          /* Via values (each of a comma list counts) */
#define MCGK_SIP_URI_MAX 256        /* URIs kept, with the NUL */
#define MCGK_SIP_VALUE_MAX 256      /* other header values kept, with the NUL */
#define MCGK_SIP_TOKEN_MAX 128      /* method, tags, branch, with the NUL */

/* RFC 3261 §8.1.1.7: every branch mcgk creates or accepts starts with this. */
#define MCGK_SIP_BRANCH_COOKIE "z9hG4bK"

/*
 * The event package of the group configuration push and the Content-Type
 * of its body (design decisions, docs/sip.md "Profile").
 */
#define MCGK_SIP_EVENT_GROUP_CONFIG "mcgk-group-config"
#define MCGK_SIP_CT_GROUP_CONFIG "application/vnd.mcgk.group-config+xml"

/* ---- a parsed message --------------------------------------------------------- */

/*
 * Every string is NUL-terminated and "" when absent. The struct owns its
 * strings (fixed arrays), so it may be copied; only `body` points into the
 * buffer given to mcgk_sip_msg_parse, which must outlive its use.
 */
typedef struct mcgk_sip_msg {
    int is_request;                       /* 1: request, 0: response */
    char method[MCGK_SIP_TOKEN_MAX];      /* request method; for a response, the CSeq method */
    char request_uri[MCGK_SIP_URI_MAX];   /* requests only */
    int status;                           /* responses only: 100..699 */
    char reason_phrase[MCGK_SIP_VALUE_MAX]; /* responses only */

    /* Via header fields top first, as received (unfolded), for responses (§8.2.6.2);
     * a field may hold a comma list; values in all fields <= MCGK_SIP_MAX_VIA */
    size_t n_via;
    char via[MCGK_SIP_MAX_VIA][MCGK_SIP_VALUE_MAX];
    char branch[MCGK_SIP_TOKEN_MAX];       /* top Via branch, starts with the cookie */
    char via_transport[16];                /* top Via transport, upper case: "UDP", "TCP" */
    char via_sent_by[MCGK_SIP_VALUE_MAX];  /* top Via sent-by, "host[:port]" */

    char from[MCGK_SIP_VALUE_MAX];       /* the whole From value as received (unfolded) */
    char from_uri[MCGK_SIP_URI_MAX];
    char from_tag[MCGK_SIP_TOKEN_MAX];
    char to[MCGK_SIP_VALUE_MAX];         /* the whole To value as received */
    char to_uri[MCGK_SIP_URI_MAX];
    char to_tag[MCGK_SIP_TOKEN_MAX];
    char call_id[MCGK_SIP_VALUE_MAX];
    uint32_t cseq;                       /* < 2^31 (RFC 3261 §8.1.1.5) */

    /* first Contact: its URI, or contact_star for "Contact: *" (§10.2.2) */
    char contact_uri[MCGK_SIP_URI_MAX];
    int contact_star;
    int has_contact_expires;             /* the Contact's ;expires= parameter */
    uint32_t contact_expires;
    size_t n_contacts;                   /* all Contact values (only the first is kept) */

    int has_expires;                     /* Expires header (seconds, clamped to 2^32-1) */
    uint32_t expires;
    int has_min_expires;                 /* Min-Expires header (423 responses) */
    uint32_t min_expires;
    char event[MCGK_SIP_VALUE_MAX];      /* whole Event value, e.g. "mcgk-group-config;id=1" */
    char event_package[MCGK_SIP_TOKEN_MAX]; /* its package token, lower case */
    char subscription_state[MCGK_SIP_VALUE_MAX]; /* whole value, e.g. "active;expires=600" */
    char content_type[MCGK_SIP_VALUE_MAX]; /* whole value, e.g. "application/xml" */

    /* first Warning (RFC 3261 §20.43): code 300..399, agent, text without quotes */
    int warning_code;                    /* 0 when absent */
    char warning_agent[MCGK_SIP_TOKEN_MAX];
    char warning_text[MCGK_SIP_VALUE_MAX];
    /* first Reason (RFC 3326): protocol "SIP" / "Q.850" ..., cause, text */
    char reason_protocol[32];
    int reason_cause;                    /* -1 when absent */
    char reason_text[MCGK_SIP_VALUE_MAX];

    const uint8_t *body;                 /* inside the parsed buffer; NULL when empty */
    size_t body_len;
} mcgk_sip_msg;

/*
 * Parse one complete SIP message data[0..len) (a UDP datagram, or one
 * message framed by mcgk_sip_frame_len). Leading CRLFs are ignored
 * (RFC 3261 §7.5). On failure *out is left untouched. Checks, in order:
 *   MCGK_ERR_SIP_TOO_LARGE       len > MCGK_SIP_MAX_MSG_LEN
 *   MCGK_ERR_SIP_NUL             a NUL octet anywhere (bodies are text in this profile)
 *   MCGK_ERR_TRUNCATED           no empty line ends the header section
 *   MCGK_ERR_SIP_MALFORMED       a bare CR or LF, a control character in the head, a
 *                                header line that is not "name: value", a continuation
 *                                line first, nothing but CRLFs, libosip2 rejects the
 *                                (unfolded) message, From / To / Call-ID given twice, an
 *                                empty Via, text after a From / To that is not a
 *                                parameter, a top Via sent-by that is not host[:port],
 *                                a request's To that libosip2 refuses with a tag, or an
 *                                Expires, Min-Expires, Event, Warning or Reason that
 *                                does not follow its grammar
 *   MCGK_ERR_SIP_HEADERS         > MCGK_SIP_MAX_HEADERS fields, a field (or the start
 *                                line) > MCGK_SIP_MAX_FIELD_LEN, > MCGK_SIP_MAX_VIA Vias,
 *                                a value longer than the mcgk_sip_msg field for it, or
 *                                a request's untagged To too long to take a tag in an
 *                                answer (> MCGK_SIP_VALUE_MAX - 69 octets)
 *   MCGK_ERR_SIP_CONTENT_LENGTH  Content-Length not a decimal number, given twice, not
 *                                the body length, or absent while there is a body
 *   MCGK_ERR_UNSUPPORTED         SIP version other than SIP/2.0
 *   MCGK_ERR_SIP_MISSING_HEADER  Via, From, To, Call-ID or CSeq absent (§8.1.1)
 *   MCGK_ERR_SIP_CSEQ            CSeq number >= 2^31, or its method differs from the
 *                                request method (§8.1.1.5)
 *   MCGK_ERR_SIP_BRANCH          the top Via has no branch starting with z9hG4bK
 *   MCGK_ERR_NO_MEMORY           libosip2 could not allocate
 *   MCGK_ERR_INVALID_ARG         out == NULL, or data == NULL with len > 0
 * Variable time (public data only).
 */
mcgk_err mcgk_sip_msg_parse(const uint8_t *data, size_t len, mcgk_sip_msg *out);

/*
 * Stream framing (for TCP): given the octets received so far, set
 * *msg_len to the length of the first complete message. Leading CRLFs
 * (keep-alives) count toward it. Returns MCGK_OK, MCGK_ERR_TRUNCATED
 * (need more octets), or the framing errors of mcgk_sip_msg_parse
 * (SIP_TOO_LARGE, SIP_NUL, SIP_MALFORMED, SIP_HEADERS, SIP_CONTENT_LENGTH;
 * Content-Length is mandatory on streams, RFC 3261 §18.3).
 */
mcgk_err mcgk_sip_frame_len(const uint8_t *data, size_t len, size_t *msg_len);

/* 1 when data[0..len) holds only CR and LF octets (a keep-alive, RFC 5626 §3.5.1). */
int mcgk_sip_is_keepalive(const uint8_t *data, size_t len);

/* ---- builders ----------------------------------------------------------------- */

/*
 * A request. Strings are copied; none may contain CR, LF or NUL. Optional
 * strings are NULL when absent.
 */
typedef struct mcgk_sip_request_params {
    const char *method;        /* a token: "REGISTER", "SUBSCRIBE", "NOTIFY", "INVITE", "ACK" ... */
    const char *request_uri;   /* "sip:bob@127.0.0.1:5070" */
    const char *via_transport; /* NULL = "UDP" */
    const char *via_sent_by;   /* "127.0.0.1:5060" */
    const char *branch;        /* must start with MCGK_SIP_BRANCH_COOKIE */
    const char *from_uri;      /* written as <uri>;tag=from_tag */
    const char *from_tag;      /* required (§8.1.1.3) */
    const char *to_uri;        /* written as <uri>[;tag=to_tag] */
    const char *to_tag;        /* NULL outside a dialog */
    const char *call_id;
    uint32_t cseq;             /* < 2^31 */
    const char *contact_uri;   /* NULL, a URI, or "*" (REGISTER) */
    int has_expires;           /* writes "Expires: expires" */
    uint32_t expires;
    const char *event;              /* Event value, e.g. MCGK_SIP_EVENT_GROUP_CONFIG */
    const char *subscription_state; /* e.g. "active;expires=3600" */
    const char *content_type;  /* required when body_len > 0 */
    const uint8_t *body;       /* text, no NUL (the parser refuses NULs) */
    size_t body_len;
} mcgk_sip_request_params;

/*
 * A response to a parsed request `req` (RFC 3261 §8.2.6): the Vias, From,
 * Call-ID, CSeq and To are copied from req, and To gets ;tag=to_tag when
 * req's To has no tag and status > 100 (§8.2.6.2).
 */
typedef struct mcgk_sip_response_params {
    int status;                /* 100..699 */
    const char *reason_phrase; /* NULL = the RFC 3261 §21 phrase for status */
    const char *to_tag;        /* used as described above; NULL = none added */
    const char *contact_uri;   /* NULL or a URI */
    int has_contact_expires;   /* Contact: <uri>;expires=N (REGISTER 200, §10.3 step 8) */
    uint32_t contact_expires;
    int has_expires;           /* Expires header (SUBSCRIBE 200, RFC 6665 §4.2.1.1) */
    uint32_t expires;
    int has_min_expires;       /* Min-Expires header (423, §10.3 step 7) */
    uint32_t min_expires;
    /* Warning (§20.43): "Warning: code agent "text"" when warning_code != 0 */
    int warning_code;          /* 0 or 300..399; 399 = miscellaneous */
    const char *warning_agent; /* a token or host[:port]; NULL = "mcgk" */
    const char *warning_text;  /* quoted and escaped on the wire */
    /* Reason (RFC 3326): "Reason: SIP;cause=status;text="reason_text"" when set */
    const char *reason_text;
    const char *content_type;  /* required when body_len > 0 */
    const uint8_t *body;
    size_t body_len;
} mcgk_sip_response_params;

/*
 * Encode into out[0..out_cap); *out_len = the encoded length (also on
 * MCGK_ERR_BUFFER_TOO_SMALL). out == NULL asks for the length only.
 * The output always parses with mcgk_sip_msg_parse.
 * Returns MCGK_OK, MCGK_ERR_BUFFER_TOO_SMALL, MCGK_ERR_INVALID_ARG (a
 * required field missing, a CR/LF/NUL in a value, a method that is not a
 * token, a branch without the cookie, cseq >= 2^31, a status outside
 * 100..699, a warning code outside 300..399, a body without a
 * Content-Type), MCGK_ERR_SIP_MALFORMED (libosip2 refuses a URI or header
 * value), MCGK_ERR_SIP_TOO_LARGE (longer than MCGK_SIP_MAX_MSG_LEN),
 * MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_sip_request_build(const mcgk_sip_request_params *p, uint8_t *out, size_t out_cap,
                                size_t *out_len);
mcgk_err mcgk_sip_response_build(const mcgk_sip_msg *req, const mcgk_sip_response_params *p,
                                 uint8_t *out, size_t out_cap, size_t *out_len);

/* The RFC 3261 §21 reason phrase of a status ("Not Acceptable Here"); never NULL. */
const char *mcgk_sip_reason_phrase(int status);

/*
 * A random token for Call-IDs, tags and branches: prefix followed by
 * 2*nbytes lower-case hex digits (nbytes 4..32). MCGK_ERR_RNG,
 * MCGK_ERR_INVALID_ARG (nbytes out of range), MCGK_ERR_BUFFER_TOO_SMALL.
 */
mcgk_err mcgk_sip_random_token(const mcgk_rng *rng, const char *prefix, size_t nbytes, char *out,
                               size_t out_cap);

/*
 * The address of record of a SIP URI, for registrar keys (RFC 3261 §10.3
 * step 5): "scheme:user@host[:port]" with the scheme and host in lower
 * case and parameters and headers removed. MCGK_ERR_SIP_MALFORMED (not a
 * sip/sips URI), MCGK_ERR_BUFFER_TOO_SMALL, MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_sip_uri_aor(const char *uri, char *out, size_t out_cap);

/*
 * Host and port of a SIP URI (the port defaults to 5060, 5061 for sips):
 * host is copied without IPv6 brackets. MCGK_ERR_SIP_MALFORMED,
 * MCGK_ERR_BUFFER_TOO_SMALL, MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_sip_uri_host_port(const char *uri, char *host, size_t host_cap, uint16_t *port);

#ifdef __cplusplus
}
#endif
#endif
