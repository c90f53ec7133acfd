/*
 * libFuzzer target for the SIP message parser and builders
 * (src/net/sip_msg.c) and the transaction engine's receive path
 * (src/net/sip_txn.c). Seed corpus: fuzz/corpus/sip_parse/ (REGISTER,
 * NOTIFY with a body, SUBSCRIBE, 200 OK, 488 with Warning and Reason,
 * compact and folded headers, INVITE, CANCEL, ACK).
 *
 * Properties checked on every input (abort = finding):
 *  1. mcgk_sip_msg_parse succeeds or fails with a parse error code only,
 *     and a failure leaves the output untouched;
 *  2. the stream framer agrees: a message it frames passes every framing
 *     check of the datagram parser (size, NUL, head, Content-Length);
 *  3. for a parsed request: a 200 (with a To tag) and a 488 (Warning,
 *     Reason) built from it parse back with the same Vias, From, To tag,
 *     Call-ID, CSeq, Warning and Reason text; the request rebuilt from its
 *     fields (when the stricter builder accepts them) parses back to the
 *     same method, URIs, tags, Call-ID, CSeq, Event, body;
 *  4. the engine (taking INVITEs too) takes the input as a datagram (and
 *     answers a new request) without crashing, leaking or misbehaving.
 * ASan/UBSan (scripts/fuzz builds with them) catch memory errors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/sip.h"
#include "net/sip_txn.h"

static int parse_error(mcgk_err e)
{
    switch (e) {
    case MCGK_ERR_SIP_MALFORMED:
    case MCGK_ERR_SIP_TOO_LARGE:
    case MCGK_ERR_SIP_HEADERS:
    case MCGK_ERR_SIP_CONTENT_LENGTH:
    case MCGK_ERR_SIP_NUL:
    case MCGK_ERR_SIP_MISSING_HEADER:
    case MCGK_ERR_SIP_CSEQ:
    case MCGK_ERR_SIP_BRANCH:
    case MCGK_ERR_TRUNCATED:
    case MCGK_ERR_UNSUPPORTED:
    case MCGK_ERR_NO_MEMORY:
        return 1;
    default:
        return 0;
    }
}

static uint8_t g_out[MCGK_SIP_MAX_MSG_LEN];
static mcgk_sip_msg g_req, g_back, g_before;

static void check_response(const mcgk_sip_msg *req, int status)
{
    mcgk_sip_response_params p;
    memset(&p, 0, sizeof p);
    p.status = status;
    p.to_tag = "fz1";
    if (status >= 300) {
        p.warning_code = 399;
        p.warning_text = "signature \"x\"";
        p.reason_text = "signature";
    }
    size_t len;
    mcgk_err e = mcgk_sip_response_build(req, &p, g_out, sizeof g_out, &len);
    if (e == MCGK_ERR_SIP_TOO_LARGE)
        return; /* a request near the size limit cannot be echoed with more headers */
    if (e != MCGK_OK)
        abort();
    if (mcgk_sip_msg_parse(g_out, len, &g_back) != MCGK_OK)
        abort();
    if (g_back.is_request || g_back.status != status || g_back.n_via != req->n_via ||
        strcmp(g_back.branch, req->branch) || strcmp(g_back.call_id, req->call_id) ||
        g_back.cseq != req->cseq || strcmp(g_back.method, req->method) ||
        strcmp(g_back.from_tag, req->from_tag) || strcmp(g_back.from, req->from))
        abort();
    for (size_t i = 0; i < req->n_via; i++)
        if (strcmp(g_back.via[i], req->via[i]))
            abort();
    if (strcmp(g_back.to_tag, req->to_tag[0] ? req->to_tag : "fz1"))
        abort();
    if (status >= 300 && (g_back.warning_code != 399 ||
                          strcmp(g_back.warning_text, "signature \"x\"") ||
                          strcmp(g_back.reason_text, "signature") || g_back.reason_cause != status))
        abort();
}

static void check_rebuild(const mcgk_sip_msg *m)
{
    mcgk_sip_request_params p;
    memset(&p, 0, sizeof p);
    p.method = m->method;
    p.request_uri = m->request_uri;
    p.via_transport = m->via_transport;
    p.via_sent_by = m->via_sent_by;
    p.branch = m->branch;
    p.from_uri = m->from_uri;
    p.from_tag = m->from_tag[0] ? m->from_tag : "t";
    p.to_uri = m->to_uri;
    p.to_tag = m->to_tag[0] ? m->to_tag : NULL;
    p.call_id = m->call_id;
    p.cseq = m->cseq;
    p.contact_uri = m->contact_star ? "*" : m->contact_uri[0] ? m->contact_uri : NULL;
    p.has_expires = m->has_expires;
    p.expires = m->expires;
    p.event = m->event[0] ? m->event : NULL;
    p.subscription_state = m->subscription_state[0] ? m->subscription_state : NULL;
    p.content_type = m->content_type[0] ? m->content_type : NULL;
    p.body = m->body;
    p.body_len = m->body_len;
    size_t len;
    mcgk_err e = mcgk_sip_request_build(&p, g_out, sizeof g_out, &len);
    if (e == MCGK_ERR_INVALID_ARG || e == MCGK_ERR_SIP_MALFORMED || e == MCGK_ERR_SIP_TOO_LARGE)
        return; /* valid SIP outside the builder's stricter profile */
    if (e != MCGK_OK)
        abort();
    if (mcgk_sip_msg_parse(g_out, len, &g_back) != MCGK_OK)
        abort();
    if (!g_back.is_request || strcmp(g_back.method, m->method) ||
        strcmp(g_back.request_uri, m->request_uri) || strcmp(g_back.branch, m->branch) ||
        strcmp(g_back.from_uri, m->from_uri) || strcmp(g_back.to_uri, m->to_uri) ||
        strcmp(g_back.to_tag, m->to_tag) || strcmp(g_back.call_id, m->call_id) ||
        g_back.cseq != m->cseq || strcmp(g_back.event, m->event) ||
        strcmp(g_back.subscription_state, m->subscription_state) ||
        g_back.has_expires != m->has_expires || g_back.expires != m->expires ||
        g_back.contact_star != m->contact_star || strcmp(g_back.contact_uri, m->contact_uri) ||
        g_back.body_len != m->body_len ||
        (m->body_len && memcmp(g_back.body, m->body, m->body_len)))
        abort();
}

static int sink(void *ctx, const mcgk_sip_peer *to, const uint8_t *data, size_t len)
{
    (void)ctx;
    (void)to;
    (void)data;
    (void)len;
    return 0;
}

static int fixed_rng(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    memset(out, 0x5a, len);
    return 0;
}

static void check_engine(const uint8_t *data, size_t size)
{
    static mcgk_sip_engine *eng;
    static mcgk_sip_event ev;
    static uint64_t now;
    if (eng == NULL) {
        static const mcgk_rng rng = {fixed_rng, NULL};
        mcgk_sip_engine_config c;
        memset(&c, 0, sizeof c);
        c.via_sent_by = "127.0.0.1:5060";
        c.send = sink;
        c.rng = &rng;
        c.max_client_txns = 64;
        c.max_server_txns = 64;
        c.accept_invite = 1; /* INVITE server transactions too (issue 6) */
        if (mcgk_sip_engine_new(&c, &eng) != MCGK_OK)
            abort();
    }
    mcgk_sip_peer from;
    if (mcgk_sip_peer_set(&from, "127.0.0.1", 5070) != MCGK_OK)
        abort();
    now += 1000; /* transactions from earlier inputs expire as time goes on */
    mcgk_err e = mcgk_sip_engine_receive(eng, now, &from, data, size, &ev);
    if (e != MCGK_OK && !parse_error(e))
        abort();
    if (e == MCGK_OK && ev.type == MCGK_SIP_EV_REQUEST) {
        mcgk_sip_response_params p;
        memset(&p, 0, sizeof p);
        p.status = 200;
        e = mcgk_sip_engine_respond(eng, now, ev.txn, &p);
        if (e != MCGK_OK && e != MCGK_ERR_SIP_TOO_LARGE)
            abort();
    }
    mcgk_sip_timeout to[8];
    while (mcgk_sip_engine_expire(eng, now, to, 8) == 8) {
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    memset(&g_req, 0xa5, sizeof g_req);
    memcpy(&g_before, &g_req, sizeof g_req);
    mcgk_err e = mcgk_sip_msg_parse(data, size, &g_req);
    if (e != MCGK_OK) {
        if (!parse_error(e) || memcmp(&g_req, &g_before, sizeof g_req) != 0)
            abort();
    }
    size_t fl;
    mcgk_err fe = mcgk_sip_frame_len(data, size, &fl);
    if (fe == MCGK_OK) {
        if (fl > size)
            abort();
        /* the framed prefix passes every framing check of the datagram parser */
        mcgk_err pe = mcgk_sip_msg_parse(data, fl, &g_back);
        if (pe == MCGK_ERR_SIP_CONTENT_LENGTH || pe == MCGK_ERR_TRUNCATED ||
            pe == MCGK_ERR_SIP_NUL || pe == MCGK_ERR_SIP_TOO_LARGE)
            abort();
    } else if (!parse_error(fe)) {
        abort();
    }
    if (e == MCGK_OK && g_req.is_request) {
        check_response(&g_req, 200);
        check_response(&g_req, 488);
        check_rebuild(&g_req);
    }
    check_engine(data, size);
    return 0;
}
