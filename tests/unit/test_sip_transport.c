/*
 * Tests of the SIP transaction engine (src/net/sip_txn.c) with a fake
 * clock and an in-memory network, the registrar's decisions
 * (src/net/sip_registrar.c), and two real UDP endpoints on 127.0.0.1 in
 * one process (src/net/sip_transport.c): REGISTER -> 200, NOTIFY -> 200,
 * NOTIFY -> 488 + Warning, a lost response -> retransmission, no answer
 * -> timeout, SUBSCRIBE -> 200 + NOTIFY in the dialog, 1,000 concurrent
 * NOTIFYs all answered, and a clean shutdown. No timings are asserted:
 * the loopback tests only wait (with a generous deadline) for outcomes.
 */
#include "test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "mcgk/platform.h"
#include "mcgk/sip.h"
#include "net/sip_registrar.h"
#include "net/sip_transport.h"
#include "net/sip_txn.h"
#include "platform/log.h"

/* ---- an in-memory network for the engine ---- */

#define NET_MAX 64

typedef struct datagram {
    mcgk_sip_peer to;
    uint8_t data[4096];
    size_t len;
} datagram;

typedef struct fake_net {
    datagram q[NET_MAX];
    size_t n;
    size_t sent_total;
} fake_net;

static int net_send(void *ctx, const mcgk_sip_peer *to, const uint8_t *data, size_t len)
{
    fake_net *net = ctx;
    net->sent_total++;
    if (net->n < NET_MAX && len <= sizeof net->q[0].data) {
        net->q[net->n].to = *to;
        memcpy(net->q[net->n].data, data, len);
        net->q[net->n].len = len;
        net->n++;
    }
    return 0;
}

static mcgk_test_prng g_prng;

static mcgk_sip_engine *engine(fake_net *net, const char *sent_by, size_t max_client,
                               size_t max_server)
{
    static mcgk_rng rng;
    rng = mcgk_test_prng_init(&g_prng, 42);
    mcgk_sip_engine_config c;
    memset(&c, 0, sizeof c);
    c.via_sent_by = sent_by;
    c.send = net_send;
    c.send_ctx = net;
    c.rng = &rng;
    c.max_client_txns = max_client;
    c.max_server_txns = max_server;
    mcgk_sip_engine *e = NULL;
    CHECK_OK(mcgk_sip_engine_new(&c, &e));
    return e;
}

static mcgk_sip_peer peer(const char *host, uint16_t port)
{
    mcgk_sip_peer p;
    CHECK_OK(mcgk_sip_peer_set(&p, host, port));
    return p;
}

static mcgk_sip_request_params notify_req(const char *body)
{
    mcgk_sip_request_params p;
    memset(&p, 0, sizeof p);
    p.method = "NOTIFY";
    p.request_uri = "sip:bob@127.0.0.1:5070";
    p.from_uri = "sip:gms@example.org";
    p.from_tag = "g1";
    p.to_uri = "sip:bob@example.org";
    p.call_id = "c1@gms";
    p.cseq = 1;
    p.event = MCGK_SIP_EVENT_GROUP_CONFIG;
    p.subscription_state = "active;expires=600";
    if (body != NULL) {
        p.content_type = MCGK_SIP_CT_GROUP_CONFIG;
        p.body = (const uint8_t *)body;
        p.body_len = strlen(body);
    }
    return p;
}

static mcgk_sip_event g_ev;

/* Deliver the oldest datagram of src to dst. */
static mcgk_err deliver(fake_net *src, mcgk_sip_engine *dst, uint64_t now,
                        const mcgk_sip_peer *from)
{
    CHECK(src->n > 0);
    if (src->n == 0)
        return MCGK_ERR_INVALID_ARG;
    datagram d = src->q[0];
    memmove(src->q, src->q + 1, (src->n - 1) * sizeof src->q[0]);
    src->n--;
    return mcgk_sip_engine_receive(dst, now, from, d.data, d.len, &g_ev);
}

/* RFC 3261 §17.1.2.2: Timer E at T1, 2T1, 4T1 ... capped at T2; Timer F at 64*T1:
 * 11 transmissions in all with the defaults (0, .5, 1.5, 3.5, 7.5, ... 31.5 s). */
static void test_sip_engine_timer_e_f(void)
{
    fake_net net = {0};
    mcgk_sip_engine *e = engine(&net, "127.0.0.1:5060", 0, 0);
    mcgk_sip_peer to = peer("127.0.0.1", 5070);
    mcgk_sip_request_params p = notify_req("<x/>");
    uint64_t id = 0;
    int token;
    CHECK_OK(mcgk_sip_engine_request(e, 1000, &to, &p, &token, &id));
    CHECK(id != 0 && net.sent_total == 1);
    uint64_t expect[] = {1500, 2500, 4500, 8500, 12500, 16500, 20500, 24500, 28500, 32500};
    uint64_t dl;
    mcgk_sip_timeout to_out[4];
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        CHECK(mcgk_sip_engine_next_deadline(e, &dl) == 1);
        CHECK(dl == expect[i]);
        CHECK(mcgk_sip_engine_expire(e, dl - 1, to_out, 4) == 0);
        CHECK(net.sent_total == i + 1); /* nothing early */
        CHECK(mcgk_sip_engine_expire(e, dl, to_out, 4) == 0);
        CHECK(net.sent_total == i + 2);
    }
    CHECK(mcgk_sip_engine_next_deadline(e, &dl) == 1 && dl == 33000);
    CHECK(mcgk_sip_engine_expire(e, 33000, to_out, 4) == 1);
    CHECK(to_out[0].txn == id && to_out[0].user == &token);
    CHECK(net.sent_total == 11);
    CHECK(mcgk_sip_engine_next_deadline(e, &dl) == 0);
    mcgk_sip_engine_stats st;
    mcgk_sip_engine_get_stats(e, &st);
    CHECK(st.retransmissions == 10 && st.timeouts == 1 && st.client_txns == 0 && st.bytes == 0);
    /* every retransmission is the same request */
    for (size_t i = 1; i < net.n; i++)
        CHECK(net.q[i].len == net.q[0].len && memcmp(net.q[i].data, net.q[0].data, net.q[0].len) == 0);
    mcgk_sip_engine_free(e);
}

/* Client and server engines talking: a final answer ends the retransmissions; a 1xx
 * moves Timer E to T2; a repeated final is a stray. */
static void test_sip_engine_request_response(void)
{
    fake_net na = {0}, nb = {0};
    mcgk_sip_engine *a = engine(&na, "127.0.0.1:5060", 0, 0);
    mcgk_sip_engine *b = engine(&nb, "127.0.0.1:5070", 0, 0);
    mcgk_sip_peer pa = peer("127.0.0.1", 5060), pb = peer("127.0.0.1", 5070);
    mcgk_sip_request_params p = notify_req("<group/>");
    int token;
    uint64_t cid;
    CHECK_OK(mcgk_sip_engine_request(a, 0, &pb, &p, &token, &cid));
    CHECK(mcgk_sip_peer_eq(&na.q[0].to, &pb));
    CHECK_OK(deliver(&na, b, 10, &pa));
    CHECK(g_ev.type == MCGK_SIP_EV_REQUEST && g_ev.txn != 0);
    CHECK(strcmp(g_ev.msg.method, "NOTIFY") == 0 && g_ev.msg.body_len == 8);
    CHECK(strncmp(g_ev.msg.branch, MCGK_SIP_BRANCH_COOKIE, 7) == 0);
    CHECK(strcmp(g_ev.msg.via_sent_by, "127.0.0.1:5060") == 0);
    uint64_t sid = g_ev.txn;
    /* a 180 first: the client moves to Proceeding */
    mcgk_sip_response_params r;
    memset(&r, 0, sizeof r);
    r.status = 180;
    CHECK_OK(mcgk_sip_engine_respond(b, 20, sid, &r));
    CHECK_OK(deliver(&nb, a, 30, &pb));
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && strcmp(g_ev.note, "provisional") == 0);
    mcgk_sip_timeout to[2];
    CHECK(mcgk_sip_engine_expire(a, 500, to, 2) == 0); /* Timer E fires: next in T2 */
    uint64_t dl;
    CHECK(mcgk_sip_engine_next_deadline(a, &dl) == 1 && dl == 4500);
    CHECK_OK(deliver(&na, b, 501, &pa)); /* the retransmission: the 180 again */
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && strcmp(g_ev.note, "retransmission") == 0);
    CHECK(nb.n == 1);
    nb.n = 0;
    r.status = 200;
    CHECK_OK(mcgk_sip_engine_respond(b, 600, sid, &r));
    CHECK_ERR(mcgk_sip_engine_respond(b, 600, sid, &r), MCGK_ERR_SIP_TXN_STATE);
    datagram final = nb.q[0];
    CHECK_OK(deliver(&nb, a, 610, &pb));
    CHECK(g_ev.type == MCGK_SIP_EV_RESPONSE && g_ev.txn == cid && g_ev.user == &token);
    CHECK(g_ev.msg.status == 200 && g_ev.msg.to_tag[0] != '\0'); /* RFC 3261 §8.2.6.2 */
    CHECK(mcgk_sip_engine_next_deadline(a, &dl) == 0);          /* no more retransmissions */
    CHECK_OK(mcgk_sip_engine_receive(a, 620, &pb, final.data, final.len, &g_ev));
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && strcmp(g_ev.note, "stray-response") == 0);
    mcgk_sip_engine_free(a);
    mcgk_sip_engine_free(b);
}

/* A lost final response: the client retransmits, the server answers from its cache
 * (RFC 3261 §17.2.2) without asking its TU again. */
static void test_sip_engine_lost_response(void)
{
    fake_net na = {0}, nb = {0};
    mcgk_sip_engine *a = engine(&na, "127.0.0.1:5060", 0, 0);
    mcgk_sip_engine *b = engine(&nb, "127.0.0.1:5070", 0, 0);
    mcgk_sip_peer pa = peer("127.0.0.1", 5060), pb = peer("127.0.0.1", 5070);
    mcgk_sip_request_params p = notify_req(NULL);
    CHECK_OK(mcgk_sip_engine_request(a, 0, &pb, &p, NULL, NULL));
    CHECK_OK(deliver(&na, b, 1, &pa));
    CHECK(g_ev.type == MCGK_SIP_EV_REQUEST);
    uint64_t sid = g_ev.txn;
    mcgk_sip_response_params r;
    memset(&r, 0, sizeof r);
    r.status = 488;
    r.warning_code = 399;
    r.warning_text = "signature";
    CHECK_OK(mcgk_sip_engine_respond(b, 2, sid, &r));
    nb.n = 0; /* the 488 is lost */
    mcgk_sip_timeout to[2];
    CHECK(mcgk_sip_engine_expire(a, 500, to, 2) == 0);
    CHECK(na.n == 1); /* Timer E: retransmitted */
    CHECK_OK(deliver(&na, b, 501, &pa));
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && strcmp(g_ev.note, "retransmission") == 0);
    CHECK(nb.n == 1); /* the cached 488 again */
    CHECK_OK(deliver(&nb, a, 502, &pb));
    CHECK(g_ev.type == MCGK_SIP_EV_RESPONSE && g_ev.msg.status == 488);
    CHECK(g_ev.msg.warning_code == 399 && strcmp(g_ev.msg.warning_text, "signature") == 0);
    mcgk_sip_engine_stats st;
    mcgk_sip_engine_get_stats(a, &st);
    CHECK(st.retransmissions == 1);
    mcgk_sip_engine_get_stats(b, &st);
    CHECK(st.repeats == 1 && st.server_txns == 1);
    /* Timer J (64*T1) ends the server transaction; the same request is then new */
    CHECK(mcgk_sip_engine_expire(b, 2 + 64 * 500, to, 2) == 0);
    mcgk_sip_engine_get_stats(b, &st);
    CHECK(st.server_txns == 0 && st.bytes == 0);
    CHECK_ERR(mcgk_sip_engine_respond(b, 40000, sid, &r), MCGK_ERR_NOT_FOUND);
    mcgk_sip_engine_free(a);
    mcgk_sip_engine_free(b);
}

/* A request the TU never answers is forgotten after 64*T1 (and its retransmissions
 * are absorbed meanwhile, nothing sent). */
static void test_sip_engine_unanswered(void)
{
    fake_net na = {0}, nb = {0};
    mcgk_sip_engine *a = engine(&na, "127.0.0.1:5060", 0, 0);
    mcgk_sip_engine *b = engine(&nb, "127.0.0.1:5070", 0, 0);
    mcgk_sip_peer pa = peer("127.0.0.1", 5060), pb = peer("127.0.0.1", 5070);
    mcgk_sip_request_params p = notify_req(NULL);
    CHECK_OK(mcgk_sip_engine_request(a, 0, &pb, &p, NULL, NULL));
    datagram d = na.q[0];
    CHECK_OK(deliver(&na, b, 1, &pa));
    uint64_t sid = g_ev.txn;
    CHECK_OK(mcgk_sip_engine_receive(b, 2, &pa, d.data, d.len, &g_ev));
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && nb.n == 0);
    mcgk_sip_timeout to[2];
    CHECK(mcgk_sip_engine_expire(b, 1 + 64 * 500, to, 2) == 0);
    mcgk_sip_response_params r;
    memset(&r, 0, sizeof r);
    r.status = 200;
    CHECK_ERR(mcgk_sip_engine_respond(b, 40000, sid, &r), MCGK_ERR_NOT_FOUND);
    CHECK_ERR(mcgk_sip_engine_respond(b, 40000, 12345, &r), MCGK_ERR_NOT_FOUND);
    mcgk_sip_engine_free(a);
    mcgk_sip_engine_free(b);
}

static void test_sip_engine_limits(void)
{
    fake_net na = {0}, nb = {0};
    mcgk_sip_engine *a = engine(&na, "127.0.0.1:5060", 2, 0);
    mcgk_sip_engine *b = engine(&nb, "127.0.0.1:5070", 0, 1);
    mcgk_sip_peer pa = peer("127.0.0.1", 5060), pb = peer("127.0.0.1", 5070);
    mcgk_sip_request_params p = notify_req(NULL);
    uint64_t id1;
    CHECK_OK(mcgk_sip_engine_request(a, 0, &pb, &p, NULL, &id1));
    CHECK_OK(mcgk_sip_engine_request(a, 0, &pb, &p, NULL, NULL));
    CHECK_ERR(mcgk_sip_engine_request(a, 0, &pb, &p, NULL, NULL), MCGK_ERR_SIP_BUSY);
    /* our own id is not a server transaction */
    mcgk_sip_response_params r;
    memset(&r, 0, sizeof r);
    r.status = 200;
    CHECK_ERR(mcgk_sip_engine_respond(a, 0, id1, &r), MCGK_ERR_NOT_FOUND);
    /* the server holds one transaction: the second new request gets 503 */
    CHECK_OK(deliver(&na, b, 1, &pa));
    CHECK(g_ev.type == MCGK_SIP_EV_REQUEST);
    CHECK_OK(deliver(&na, b, 1, &pa));
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && strcmp(g_ev.note, "busy-503") == 0);
    CHECK(nb.n == 1);
    CHECK_OK(deliver(&nb, a, 2, &pb));
    CHECK(g_ev.type == MCGK_SIP_EV_RESPONSE && g_ev.msg.status == 503);
    mcgk_sip_engine_stats st;
    mcgk_sip_engine_get_stats(b, &st);
    CHECK(st.rejected_busy == 1);
    /* INVITE, ACK, CANCEL are not non-INVITE client transactions */
    p.method = "INVITE";
    CHECK_ERR(mcgk_sip_engine_request(a, 0, &pb, &p, NULL, NULL), MCGK_ERR_UNSUPPORTED);
    p.method = "ACK";
    CHECK_ERR(mcgk_sip_engine_request(a, 0, &pb, &p, NULL, NULL), MCGK_ERR_UNSUPPORTED);
    p.method = "CANCEL";
    CHECK_ERR(mcgk_sip_engine_request(a, 0, &pb, &p, NULL, NULL), MCGK_ERR_UNSUPPORTED);
    /* a request that does not build */
    mcgk_sip_engine *c = engine(&na, "127.0.0.1:5060", 0, 0);
    p = notify_req(NULL);
    p.call_id = "bad id";
    CHECK_ERR(mcgk_sip_engine_request(c, 0, &pb, &p, NULL, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_sip_engine_request(c, 0, NULL, &p, NULL, NULL), MCGK_ERR_INVALID_ARG);
    mcgk_sip_engine_free(c);
    /* the byte budget */
    static mcgk_rng rng;
    rng = mcgk_test_prng_init(&g_prng, 1);
    mcgk_sip_engine_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.via_sent_by = "127.0.0.1:5061";
    cfg.send = net_send;
    cfg.send_ctx = &na;
    cfg.rng = &rng;
    cfg.max_bytes = 600;
    CHECK_OK(mcgk_sip_engine_new(&cfg, &c));
    p = notify_req("0123456789012345678901234567890123456789012345678901234567890123456789");
    CHECK_OK(mcgk_sip_engine_request(c, 0, &pb, &p, NULL, NULL));
    CHECK_ERR(mcgk_sip_engine_request(c, 0, &pb, &p, NULL, NULL), MCGK_ERR_SIP_BUSY);
    mcgk_sip_engine_free(c);
    mcgk_sip_engine_free(a);
    mcgk_sip_engine_free(b);
}

static mcgk_err receive_str(mcgk_sip_engine *e, const mcgk_sip_peer *from, const char *s)
{
    return mcgk_sip_engine_receive(e, 0, from, (const uint8_t *)s, strlen(s), &g_ev);
}

static void test_sip_engine_special_requests(void)
{
    fake_net nb = {0};
    mcgk_sip_engine *b = engine(&nb, "127.0.0.1:5070", 0, 0);
    mcgk_sip_peer pa = peer("127.0.0.1", 5060);
    const char *invite = "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h:1;branch=z9hG4bKi\r\n"
                         "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: i1\r\n"
                         "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    CHECK_OK(receive_str(b, &pa, invite));
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && strcmp(g_ev.note, "invite-501") == 0);
    CHECK(nb.n == 1 && memcmp(nb.q[0].data, "SIP/2.0 501 ", 12) == 0);
    nb.n = 0;
    const char *ack = "ACK sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h:1;branch=z9hG4bKi\r\n"
                      "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: i1\r\n"
                      "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
    CHECK_OK(receive_str(b, &pa, ack));
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && strcmp(g_ev.note, "ack") == 0 && nb.n == 0);
    /* CANCEL: 481 without a matching transaction, 200 with one (no effect, RFC 3261 §9.2) */
    const char *cancel = "CANCEL sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h:1;branch=z9hG4bKn\r\n"
                         "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: n1\r\n"
                         "CSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n";
    CHECK_OK(receive_str(b, &pa, cancel));
    CHECK(strcmp(g_ev.note, "cancel") == 0 && nb.n == 1 &&
          memcmp(nb.q[0].data, "SIP/2.0 481 ", 12) == 0);
    nb.n = 0;
    const char *notify = "NOTIFY sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h:1;branch=z9hG4bKn\r\n"
                         "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: n1\r\n"
                         "CSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n";
    CHECK_OK(receive_str(b, &pa, notify));
    CHECK(g_ev.type == MCGK_SIP_EV_REQUEST);
    uint64_t sid = g_ev.txn;
    CHECK_OK(receive_str(b, &pa, cancel));
    CHECK(nb.n == 1 && memcmp(nb.q[0].data, "SIP/2.0 200 ", 12) == 0);
    nb.n = 0;
    /* the To tag of a transaction's responses is the same for 1xx and final */
    mcgk_sip_response_params r;
    memset(&r, 0, sizeof r);
    r.status = 183;
    CHECK_OK(mcgk_sip_engine_respond(b, 0, sid, &r));
    r.status = 200;
    CHECK_OK(mcgk_sip_engine_respond(b, 0, sid, &r));
    mcgk_sip_msg m1, m2;
    CHECK_OK(mcgk_sip_msg_parse(nb.q[0].data, nb.q[0].len, &m1));
    CHECK_OK(mcgk_sip_msg_parse(nb.q[1].data, nb.q[1].len, &m2));
    CHECK(m1.to_tag[0] != '\0' && strcmp(m1.to_tag, m2.to_tag) == 0);
    /* a response with two Vias is not for us (RFC 3261 §8.1.3.3) */
    const char *two = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h:1;branch=z9hG4bKq\r\n"
                      "Via: SIP/2.0/UDP h:2;branch=z9hG4bKr\r\nFrom: <sip:a@h>;tag=1\r\n"
                      "To: <sip:b@h>;tag=2\r\nCall-ID: q1\r\nCSeq: 1 NOTIFY\r\n\r\n";
    CHECK_OK(receive_str(b, &pa, two));
    CHECK(strcmp(g_ev.note, "multiple-via") == 0);
    /* keep-alives, parse errors */
    CHECK_OK(receive_str(b, &pa, "\r\n\r\n"));
    CHECK(strcmp(g_ev.note, "keepalive") == 0);
    nb.n = 0;
    CHECK_ERR(receive_str(b, &pa, "NOTIFY sip:b@h SIP/2.0\r\nContent-Length: 5\r\n\r\nab"),
              MCGK_ERR_SIP_CONTENT_LENGTH);
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && nb.n == 0);
    CHECK_ERR(mcgk_sip_engine_receive(b, 0, NULL, (const uint8_t *)"x", 1, &g_ev),
              MCGK_ERR_INVALID_ARG);
    /* an answer the builder refuses */
    CHECK_OK(receive_str(b, &pa, "OPTIONS sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h:1;branch=z9hG4bKo"
                                 "\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: o1\r\n"
                                 "CSeq: 1 OPTIONS\r\n\r\n"));
    r.status = 99;
    CHECK_ERR(mcgk_sip_engine_respond(b, 0, g_ev.txn, &r), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_sip_engine_respond(b, 0, g_ev.txn, NULL), MCGK_ERR_INVALID_ARG);
    mcgk_sip_engine_free(b);
}

static int failing_rng(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    (void)out;
    (void)len;
    return -1;
}

static void test_sip_engine_config_and_abort(void)
{
    fake_net n = {0};
    mcgk_rng rng = mcgk_test_prng_init(&g_prng, 3);
    mcgk_sip_engine_config c;
    memset(&c, 0, sizeof c);
    c.send = net_send;
    c.send_ctx = &n;
    c.rng = &rng;
    mcgk_sip_engine *e = NULL;
    CHECK_ERR(mcgk_sip_engine_new(&c, &e), MCGK_ERR_INVALID_ARG); /* no sent-by */
    c.via_sent_by = "a b";
    CHECK_ERR(mcgk_sip_engine_new(&c, &e), MCGK_ERR_INVALID_ARG);
    c.via_sent_by = "127.0.0.1:5060";
    c.via_transport = "U;DP";
    CHECK_ERR(mcgk_sip_engine_new(&c, &e), MCGK_ERR_INVALID_ARG);
    c.via_transport = NULL;
    c.t1_ms = 5000;
    c.t2_ms = 4000;
    CHECK_ERR(mcgk_sip_engine_new(&c, &e), MCGK_ERR_INVALID_ARG);
    c.t1_ms = c.t2_ms = 0;
    mcgk_rng bad = {failing_rng, NULL};
    c.rng = &bad;
    CHECK_ERR(mcgk_sip_engine_new(&c, &e), MCGK_ERR_RNG);
    c.rng = &rng;
    c.send = NULL;
    CHECK_ERR(mcgk_sip_engine_new(&c, &e), MCGK_ERR_INVALID_ARG);
    c.send = net_send;
    CHECK_OK(mcgk_sip_engine_new(&c, &e));
    mcgk_sip_peer to = peer("127.0.0.1", 5070);
    mcgk_sip_request_params p = notify_req(NULL);
    int users[5];
    for (int i = 0; i < 5; i++)
        CHECK_OK(mcgk_sip_engine_request(e, 0, &to, &p, &users[i], NULL));
    mcgk_sip_timeout out[3];
    CHECK(mcgk_sip_engine_abort_clients(e, out, 3) == 3);
    CHECK(mcgk_sip_engine_abort_clients(e, out, 3) == 2);
    CHECK(mcgk_sip_engine_abort_clients(e, out, 3) == 0);
    mcgk_sip_engine_free(e);
    mcgk_sip_engine_free(NULL);
}

static void test_sip_peer_helpers(void)
{
    mcgk_sip_peer p, q;
    char s[64];
    CHECK_OK(mcgk_sip_peer_from_uri(&p, "sip:alice@127.0.0.1:5070;transport=udp"));
    mcgk_sip_peer_format(&p, s, sizeof s);
    CHECK(strcmp(s, "127.0.0.1:5070") == 0);
    CHECK_OK(mcgk_sip_peer_from_uri(&q, "sip:[::1]:5071"));
    mcgk_sip_peer_format(&q, s, sizeof s);
    CHECK(strcmp(s, "[::1]:5071") == 0);
    CHECK(!mcgk_sip_peer_eq(&p, &q));
    CHECK_OK(mcgk_sip_peer_set(&q, "[127.0.0.1]", 5070));
    CHECK(mcgk_sip_peer_eq(&p, &q));
    CHECK_ERR(mcgk_sip_peer_from_uri(&p, "sip:alice@example.org"), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_sip_peer_from_uri(&p, "mailto:x@y"), MCGK_ERR_SIP_MALFORMED);
    CHECK_ERR(mcgk_sip_peer_set(&p, "127.0.0.1", 0), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_sip_peer_set(&p, NULL, 1), MCGK_ERR_INVALID_ARG);
}

/* ---- the registrar's decisions (sans-I/O) ---- */

static mcgk_sip_registrar *registrar(size_t max_bindings)
{
    static mcgk_rng rng;
    rng = mcgk_test_prng_init(&g_prng, 9);
    mcgk_sip_registrar_config c;
    memset(&c, 0, sizeof c);
    c.local_uri = "sip:gms@example.org";
    c.max_bindings = max_bindings;
    c.rng = &rng;
    mcgk_sip_registrar *r = NULL;
    CHECK_OK(mcgk_sip_registrar_new(&c, &r));
    return r;
}

typedef struct decision {
    mcgk_sip_response_params resp;
    mcgk_sip_registrar_scratch s;
    mcgk_sip_binding b;
    int changed, removed;
} decision;

static mcgk_err decide(mcgk_sip_registrar *r, uint64_t now, const char *msg, decision *d)
{
    mcgk_sip_msg m;
    mcgk_err e = mcgk_sip_msg_parse((const uint8_t *)msg, strlen(msg), &m);
    CHECK_OK(e);
    if (e != MCGK_OK)
        return e;
    return mcgk_sip_registrar_decide(r, now, &m, "ltag", "sip:127.0.0.1:5060", &d->resp, &d->s,
                                     &d->b, &d->changed, &d->removed);
}

static char *reg_msg(const char *aor, uint32_t cseq, const char *extra)
{
    static char buf[1024];
    snprintf(buf, sizeof buf,
             "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKr%u"
             "\r\nFrom: <%s>;tag=f\r\nTo: <%s>\r\nCall-ID: reg-1\r\nCSeq: %u REGISTER\r\n%s"
             "Content-Length: 0\r\n\r\n",
             (unsigned)cseq, aor, aor, (unsigned)cseq, extra);
    return buf;
}

/* RFC 3261 §10.3 step by step */
static void test_sip_registrar_register(void)
{
    mcgk_sip_registrar *r = registrar(2);
    decision d;
    const char *alice = "sip:alice@Example.org";
    CHECK_OK(decide(r, 1000, reg_msg(alice, 1, "Contact: <sip:alice@127.0.0.1:5070>\r\n"
                                               "Expires: 600\r\n"),
                    &d));
    CHECK(d.resp.status == 200 && d.changed && !d.removed);
    CHECK(strcmp(d.b.aor, "sip:alice@example.org") == 0);
    CHECK(strcmp(d.b.contact, "sip:alice@127.0.0.1:5070") == 0 && d.b.expires_unix_s == 1600);
    CHECK(d.resp.has_contact_expires && d.resp.contact_expires == 600 && d.resp.expires == 600);
    CHECK(strcmp(d.resp.to_tag, "ltag") == 0);
    mcgk_sip_binding b;
    CHECK_OK(mcgk_sip_registrar_lookup(r, "sip:alice@example.org;transport=udp", 1500, &b));
    CHECK(strcmp(b.contact, "sip:alice@127.0.0.1:5070") == 0 && !b.subscribed);
    CHECK_ERR(mcgk_sip_registrar_lookup(r, alice, 1600, &b), MCGK_ERR_SIP_NOT_REGISTERED);
    /* a query (no Contact) lists the binding */
    CHECK_OK(decide(r, 1100, reg_msg(alice, 2, ""), &d));
    CHECK(d.resp.status == 200 && !d.changed && d.resp.contact_expires == 500);
    /* out of order (same Call-ID, lower CSeq) */
    CHECK_OK(decide(r, 1100, reg_msg(alice, 1, "Contact: <sip:alice@127.0.0.1:5071>\r\n"), &d));
    CHECK(d.resp.status == 500 && !d.changed && d.resp.warning_code == 399);
    /* the Contact's expires parameter wins; too short -> 423 + Min-Expires */
    CHECK_OK(decide(r, 1100, reg_msg(alice, 3, "Contact: <sip:alice@127.0.0.1:5070>;expires=10\r\n"
                                               "Expires: 600\r\n"),
                    &d));
    CHECK(d.resp.status == 423 && d.resp.has_min_expires && d.resp.min_expires == 60);
    /* too long -> shortened to the maximum */
    CHECK_OK(decide(r, 1100, reg_msg(alice, 4, "Contact: <sip:alice@127.0.0.1:5070>\r\n"
                                               "Expires: 999999\r\n"),
                    &d));
    CHECK(d.resp.status == 200 && d.resp.expires == 86400);
    /* no Expires at all: the default */
    CHECK_OK(decide(r, 1100, reg_msg(alice, 5, "Contact: <sip:alice@127.0.0.1:5070>\r\n"), &d));
    CHECK(d.resp.expires == 3600);
    /* a contact mcgk cannot reach */
    CHECK_OK(decide(r, 1100, reg_msg(alice, 6, "Contact: <sip:alice@pc.example.org>\r\n"), &d));
    CHECK(d.resp.status == 400 && d.resp.warning_code == 399);
    CHECK(strstr(d.resp.warning_text, "numeric") != NULL);
    /* Contact: * needs Expires: 0 */
    CHECK_OK(decide(r, 1100, reg_msg(alice, 7, "Contact: *\r\n"), &d));
    CHECK(d.resp.status == 400);
    CHECK_OK(decide(r, 1100, reg_msg(alice, 8, "Contact: *\r\nExpires: 0\r\n"), &d));
    CHECK(d.resp.status == 200 && d.changed && d.removed);
    CHECK_ERR(mcgk_sip_registrar_lookup(r, alice, 1100, &b), MCGK_ERR_SIP_NOT_REGISTERED);
    /* expires=0 removes; the table holds two; a third is refused 503 */
    CHECK_OK(decide(r, 1100, reg_msg("sip:a@x", 1, "Contact: <sip:a@127.0.0.1:1>\r\n"), &d));
    CHECK_OK(decide(r, 1100, reg_msg("sip:b@x", 1, "Contact: <sip:b@127.0.0.1:1>\r\n"), &d));
    CHECK_OK(decide(r, 1100, reg_msg("sip:c@x", 1, "Contact: <sip:c@127.0.0.1:1>\r\n"), &d));
    CHECK(d.resp.status == 503 && strcmp(d.resp.warning_text, "registrar full") == 0);
    CHECK_OK(decide(r, 1100, reg_msg("sip:a@x", 2, "Contact: <sip:a@127.0.0.1:1>;expires=0\r\n"),
                    &d));
    CHECK(d.resp.status == 200 && d.removed);
    CHECK_OK(decide(r, 1100, reg_msg("sip:c@x", 1, "Contact: <sip:c@127.0.0.1:1>\r\n"), &d));
    CHECK(d.resp.status == 200);
    /* expired bindings make room */
    CHECK(mcgk_sip_registrar_purge(r, 1100 + 3601) == 0);
    CHECK_OK(decide(r, 9000, reg_msg("sip:d@x", 1, "Contact: <sip:d@127.0.0.1:1>\r\n"), &d));
    CHECK(d.resp.status == 200);
    /* a To that is not a SIP URI */
    CHECK_OK(decide(r, 9000, reg_msg("tel:+1234", 1, "Contact: <sip:d@127.0.0.1:1>\r\n"), &d));
    CHECK(d.resp.status == 400);
    /* not ours to answer; bad arguments */
    mcgk_sip_msg m;
    const char *opt = "OPTIONS sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKo\r\n"
                      "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: o\r\nCSeq: 1 OPTIONS\r\n\r\n";
    CHECK_OK(mcgk_sip_msg_parse((const uint8_t *)opt, strlen(opt), &m));
    CHECK_ERR(mcgk_sip_registrar_decide(r, 0, &m, "t", NULL, &d.resp, &d.s, &d.b, &d.changed,
                                        &d.removed),
              MCGK_ERR_UNSUPPORTED);
    CHECK_ERR(mcgk_sip_registrar_decide(r, 0, &m, NULL, NULL, &d.resp, &d.s, &d.b, &d.changed,
                                        &d.removed),
              MCGK_ERR_INVALID_ARG);
    mcgk_sip_registrar_free(r);
}

static char *sub_msg(const char *from, const char *to_tag, const char *call_id, const char *extra)
{
    static char buf[1024];
    snprintf(buf, sizeof buf,
             "SUBSCRIBE sip:gms@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKs"
             "\r\nFrom: <%s>;tag=sf\r\nTo: <sip:gms@example.org>%s%s\r\nCall-ID: %s\r\n"
             "CSeq: 1 SUBSCRIBE\r\nContact: <sip:m@127.0.0.1:5070>\r\n%s\r\n",
             from, to_tag ? ";tag=" : "", to_tag ? to_tag : "", call_id, extra);
    return buf;
}

/* RFC 6665 §4.2.1 */
static void test_sip_registrar_subscribe(void)
{
    mcgk_sip_registrar *r = registrar(0);
    decision d;
    CHECK_OK(decide(r, 100, sub_msg("sip:m@x", NULL, "s1", "Event: presence\r\n"), &d));
    CHECK(d.resp.status == 489); /* not our event package */
    CHECK_OK(decide(r, 100, sub_msg("sip:m@x", NULL, "s1",
                                    "Event: mcgk-group-config\r\nExpires: 5\r\n"),
                    &d));
    CHECK(d.resp.status == 423);
    CHECK_OK(decide(r, 100, sub_msg("sip:m@x", NULL, "s1", "Event: mcgk-group-config\r\n"), &d));
    CHECK(d.resp.status == 200 && d.changed && d.b.subscribed && d.resp.expires == 3600);
    CHECK(strcmp(d.resp.to_tag, "ltag") == 0 && strcmp(d.resp.contact_uri, "sip:127.0.0.1:5060") == 0);
    /* a refresh inside the dialog; one for a dialog we do not know */
    CHECK_OK(decide(r, 200, sub_msg("sip:m@x", "ltag", "s1",
                                    "Event: mcgk-group-config\r\nExpires: 600\r\n"),
                    &d));
    CHECK(d.resp.status == 200 && d.b.expires_unix_s == 800);
    CHECK_OK(decide(r, 200, sub_msg("sip:m@x", "other", "s1", "Event: mcgk-group-config\r\n"), &d));
    CHECK(d.resp.status == 481);
    CHECK_OK(decide(r, 200, sub_msg("sip:n@x", "ltag", "s1", "Event: mcgk-group-config\r\n"), &d));
    CHECK(d.resp.status == 481);
    /* unsubscribe */
    CHECK_OK(decide(r, 300, sub_msg("sip:m@x", "ltag", "s1",
                                    "Event: mcgk-group-config\r\nExpires: 0\r\n"),
                    &d));
    CHECK(d.resp.status == 200 && d.removed && d.resp.has_expires && d.resp.expires == 0);
    mcgk_sip_registrar_free(r);
}

static void test_sip_registrar_bind_lookup(void)
{
    mcgk_sip_registrar *r = registrar(1);
    CHECK_OK(mcgk_sip_registrar_bind(r, "sip:x@y", "sip:x@127.0.0.1:9", 50));
    mcgk_sip_binding b;
    CHECK_OK(mcgk_sip_registrar_lookup(r, "SIP:x@Y", 49, &b));
    CHECK(strcmp(b.contact, "sip:x@127.0.0.1:9") == 0);
    CHECK_ERR(mcgk_sip_registrar_bind(r, "sip:z@y", "sip:z@127.0.0.1:9", 50), MCGK_ERR_SIP_BUSY);
    CHECK_ERR(mcgk_sip_registrar_bind(r, "http://x", "sip:z@127.0.0.1:9", 50),
              MCGK_ERR_SIP_MALFORMED);
    CHECK_ERR(mcgk_sip_registrar_bind(r, "sip:x@y", "sip:x@host.example", 50),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_sip_registrar_lookup(r, "nonsense", 0, &b), MCGK_ERR_SIP_MALFORMED);
    CHECK_ERR(mcgk_sip_registrar_lookup(r, "sip:q@y", 0, &b), MCGK_ERR_SIP_NOT_REGISTERED);
    CHECK_ERR(mcgk_sip_registrar_lookup(r, "sip:q@y", 0, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_sip_registrar_bind(r, "sip:x@y", NULL, 50), MCGK_ERR_INVALID_ARG);
    mcgk_sip_registrar *bad = NULL;
    mcgk_sip_registrar_config c;
    memset(&c, 0, sizeof c);
    CHECK_ERR(mcgk_sip_registrar_new(&c, &bad), MCGK_ERR_INVALID_ARG);
    c.local_uri = "gms";
    CHECK_ERR(mcgk_sip_registrar_new(&c, &bad), MCGK_ERR_INVALID_ARG);
    c.local_uri = "sip:gms@x";
    c.min_expires_s = 100;
    c.max_expires_s = 10;
    CHECK_ERR(mcgk_sip_registrar_new(&c, &bad), MCGK_ERR_INVALID_ARG);
    mcgk_sip_registrar_free(r);
    mcgk_sip_registrar_free(NULL);
}

/* ---- two real endpoints on 127.0.0.1 ---- */

static void wait_until(atomic_int *v, int want, int seconds)
{
    for (int i = 0; i < seconds * 1000 && atomic_load(v) < want; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

/* The member side: answers NOTIFYs with a configured status (and Warning). */
typedef struct member {
    mcgk_sip_endpoint *ep;
    atomic_int status;        /* 0: never answer */
    atomic_int notifies;
    atomic_int drop_next_200; /* filter: lose our next 200 */
    char last_call_id[MCGK_SIP_VALUE_MAX];
    char last_to_tag[MCGK_SIP_TOKEN_MAX];
    char last_body[64];
} member;

static void member_on_request(void *ctx, mcgk_sip_endpoint *ep, uint64_t txn,
                              const mcgk_sip_peer *from, const mcgk_sip_msg *req)
{
    (void)from;
    member *m = ctx;
    mcgk_sip_response_params r;
    memset(&r, 0, sizeof r);
    if (strcmp(req->method, "NOTIFY") != 0) {
        r.status = 405;
        (void)mcgk_sip_endpoint_respond(ep, txn, &r);
        return;
    }
    snprintf(m->last_call_id, sizeof m->last_call_id, "%s", req->call_id);
    snprintf(m->last_to_tag, sizeof m->last_to_tag, "%s", req->to_tag);
    size_t n = req->body_len < sizeof m->last_body - 1 ? req->body_len : sizeof m->last_body - 1;
    if (n > 0)
        memcpy(m->last_body, req->body, n);
    m->last_body[n] = '\0';
    atomic_fetch_add(&m->notifies, 1);
    if (m->status == 0)
        return;
    r.status = m->status;
    if (m->status >= 300) {
        r.warning_code = 399;
        r.warning_agent = "member";
        r.warning_text = "signature";
        r.reason_text = "signature";
    }
    CHECK_OK(mcgk_sip_endpoint_respond(ep, txn, &r));
}

static int member_filter(void *ctx, int outgoing, const mcgk_sip_peer *p, const uint8_t *data,
                         size_t len)
{
    (void)p;
    member *m = ctx;
    if (outgoing && len > 12 && memcmp(data, "SIP/2.0 200 ", 12) == 0 &&
        atomic_exchange(&m->drop_next_200, 0))
        return 1;
    return 0;
}

static mcgk_sip_endpoint *endpoint(mcgk_sip_request_cb cb, void *ctx, uint32_t t1,
                                   mcgk_sip_filter_fn filter)
{
    mcgk_sip_endpoint_config c;
    memset(&c, 0, sizeof c);
    c.host = "127.0.0.1";
    c.on_request = cb;
    c.ctx = ctx;
    c.t1_ms = t1;
    c.t2_ms = t1 > 0 ? 8 * t1 : 0;
    c.filter = filter;
    c.filter_ctx = ctx;
    c.log_comp = "sip-test";
    mcgk_sip_endpoint *ep = NULL;
    CHECK_OK(mcgk_sip_endpoint_new(&c, &ep));
    if (ep != NULL)
        CHECK_OK(mcgk_sip_endpoint_start(ep));
    return ep;
}

/* The GMS side: a registrar on its endpoint. */
typedef struct gms {
    mcgk_sip_registrar *reg;
    mcgk_sip_endpoint *ep;
    atomic_int bindings;
    atomic_int subscribed;
} gms;

static void gms_on_request(void *ctx, mcgk_sip_endpoint *ep, uint64_t txn,
                           const mcgk_sip_peer *from, const mcgk_sip_msg *req)
{
    (void)from;
    gms *g = ctx;
    if (!mcgk_sip_registrar_on_request(g->reg, ep, txn, req)) {
        mcgk_sip_response_params r;
        memset(&r, 0, sizeof r);
        r.status = 405;
        (void)mcgk_sip_endpoint_respond(ep, txn, &r);
    }
}

static void gms_on_binding(void *ctx, const mcgk_sip_binding *b, int removed)
{
    gms *g = ctx;
    if (!removed)
        atomic_fetch_add(&g->bindings, 1);
    if (!removed && b->subscribed)
        atomic_fetch_add(&g->subscribed, 1);
}

typedef struct outcome {
    atomic_int done;
    mcgk_err result;
    int status;
    char warning[MCGK_SIP_VALUE_MAX];
    char reason[MCGK_SIP_VALUE_MAX];
    int expires;
} outcome;

static void on_result(void *user, mcgk_sip_endpoint *ep, uint64_t txn, mcgk_err result,
                      const mcgk_sip_msg *resp)
{
    (void)ep;
    (void)txn;
    outcome *o = user;
    o->result = result;
    o->status = resp ? resp->status : 0;
    o->expires = resp && resp->has_expires ? (int)resp->expires : -1;
    snprintf(o->warning, sizeof o->warning, "%s", resp ? resp->warning_text : "");
    atomic_fetch_add(&o->done, 1);
}

static void on_notified(void *user, const mcgk_sip_notify_result *r)
{
    outcome *o = user;
    o->result = r->result;
    o->status = r->status;
    snprintf(o->warning, sizeof o->warning, "%s", r->warning_text);
    snprintf(o->reason, sizeof o->reason, "%s", r->reason_text);
    atomic_fetch_add(&o->done, 1);
}

static void gms_start(gms *g, uint32_t t1)
{
    memset(g, 0, sizeof *g);
    mcgk_sip_registrar_config rc;
    memset(&rc, 0, sizeof rc);
    rc.local_uri = "sip:gms@example.org";
    rc.on_binding = gms_on_binding;
    rc.ctx = g;
    CHECK_OK(mcgk_sip_registrar_new(&rc, &g->reg));
    g->ep = endpoint(gms_on_request, g, t1, NULL);
}

/* The member registers its endpoint's contact for aor with the GMS. */
static void member_register(member *m, gms *g, const char *aor, uint32_t cseq)
{
    char contact[MCGK_SIP_URI_MAX], ruri[64];
    CHECK_OK(mcgk_sip_endpoint_contact(m->ep, "bob", contact, sizeof contact));
    snprintf(ruri, sizeof ruri, "sip:%s", mcgk_sip_endpoint_sent_by(g->ep));
    mcgk_sip_request_params p;
    memset(&p, 0, sizeof p);
    p.method = "REGISTER";
    p.request_uri = ruri;
    p.from_uri = p.to_uri = aor;
    p.from_tag = "m1";
    p.call_id = "reg-bob";
    p.cseq = cseq;
    p.contact_uri = contact;
    p.has_expires = 1;
    p.expires = 600;
    mcgk_sip_peer to;
    CHECK_OK(mcgk_sip_peer_from_uri(&to, ruri));
    outcome o;
    memset(&o, 0, sizeof o);
    CHECK_OK(mcgk_sip_endpoint_request(m->ep, &to, &p, on_result, &o, NULL));
    wait_until(&o.done, 1, 20);
    CHECK(atomic_load(&o.done) == 1);
    CHECK_OK(o.result);
    CHECK(o.status == 200 && o.expires == 600);
}

static void notify_and_wait(gms *g, const char *aor, const char *body, outcome *o)
{
    memset(o, 0, sizeof *o);
    CHECK_OK(mcgk_sip_notify_send(g->reg, g->ep, mcgk_now_unix_s(), aor, NULL,
                                  (const uint8_t *)body, strlen(body), on_notified, o));
    wait_until(&o->done, 1, 30);
    CHECK(atomic_load(&o->done) == 1);
}

/* REGISTER -> 200; NOTIFY -> 200; NOTIFY -> 488 + Warning; the GMS sees each outcome */
static void test_sip_loopback_register_notify(void)
{
    gms g;
    gms_start(&g, 0);
    member m;
    memset(&m, 0, sizeof m);
    m.status = 200;
    m.ep = endpoint(member_on_request, &m, 0, NULL);
    member_register(&m, &g, "sip:bob@example.org", 1);
    wait_until(&g.bindings, 1, 20); /* reported after the 200 went out */
    CHECK(atomic_load(&g.bindings) == 1);
    mcgk_sip_binding b;
    CHECK_OK(mcgk_sip_registrar_lookup(g.reg, "sip:bob@example.org", mcgk_now_unix_s(), &b));

    outcome o;
    notify_and_wait(&g, "sip:bob@example.org", "<group-config/>", &o);
    CHECK_OK(o.result);
    CHECK(o.status == 200);
    CHECK(atomic_load(&m.notifies) == 1 && strcmp(m.last_body, "<group-config/>") == 0);

    m.status = 488; /* the member refuses: the GMS learns why */
    notify_and_wait(&g, "sip:bob@example.org", "<group-config/>", &o);
    CHECK_ERR(o.result, MCGK_ERR_PEER);
    CHECK(o.status == 488 && strcmp(o.warning, "signature") == 0 &&
          strcmp(o.reason, "signature") == 0);

    CHECK_ERR(mcgk_sip_notify_send(g.reg, g.ep, mcgk_now_unix_s(), "sip:nobody@example.org",
                                   NULL, NULL, 0, on_notified, &o),
              MCGK_ERR_SIP_NOT_REGISTERED);
    CHECK_ERR(mcgk_sip_notify_send(g.reg, g.ep, mcgk_now_unix_s(), "garbage", NULL, NULL, 0,
                                   on_notified, &o),
              MCGK_ERR_SIP_MALFORMED);
    mcgk_sip_endpoint_free(m.ep);
    mcgk_sip_endpoint_free(g.ep);
    mcgk_sip_registrar_free(g.reg);
}

/* The member's 200 is lost once: the GMS retransmits, the member repeats its 200. */
static void test_sip_loopback_lost_response(void)
{
    gms g;
    gms_start(&g, 50);
    member m;
    memset(&m, 0, sizeof m);
    m.status = 200;
    m.ep = endpoint(member_on_request, &m, 50, member_filter);
    member_register(&m, &g, "sip:bob@example.org", 1);
    atomic_store(&m.drop_next_200, 1);
    outcome o;
    notify_and_wait(&g, "sip:bob@example.org", "<x/>", &o);
    CHECK_OK(o.result);
    CHECK(atomic_load(&m.notifies) == 1); /* the member's logic ran once */
    mcgk_sip_engine_stats st;
    mcgk_sip_endpoint_get_stats(g.ep, &st);
    CHECK(st.retransmissions >= 1);
    mcgk_sip_endpoint_get_stats(m.ep, &st);
    CHECK(st.repeats >= 1);
    mcgk_sip_endpoint_free(m.ep);
    mcgk_sip_endpoint_free(g.ep);
    mcgk_sip_registrar_free(g.reg);
}

/* Nobody answers: Timer F (64*T1; T1 = 10 ms here) reports a timeout. */
static void test_sip_loopback_timeout(void)
{
    gms g;
    gms_start(&g, 10);
    member m;
    memset(&m, 0, sizeof m);
    m.status = 0; /* receives, never answers */
    m.ep = endpoint(member_on_request, &m, 10, NULL);
    m.status = 200;
    member_register(&m, &g, "sip:bob@example.org", 1);
    m.status = 0;
    outcome o;
    notify_and_wait(&g, "sip:bob@example.org", "<x/>", &o);
    CHECK_ERR(o.result, MCGK_ERR_SIP_TIMEOUT);
    CHECK(o.status == 0 && atomic_load(&m.notifies) == 1);
    mcgk_sip_engine_stats st;
    mcgk_sip_endpoint_get_stats(g.ep, &st);
    CHECK(st.timeouts == 1 && st.retransmissions >= 5);
    mcgk_sip_endpoint_free(m.ep);
    mcgk_sip_endpoint_free(g.ep);
    mcgk_sip_registrar_free(g.reg);
}

/* SUBSCRIBE -> 200, then a NOTIFY inside the dialog (RFC 6665 §4.2.1.2). */
static void test_sip_loopback_subscribe(void)
{
    gms g;
    gms_start(&g, 0);
    member m;
    memset(&m, 0, sizeof m);
    m.status = 200;
    m.ep = endpoint(member_on_request, &m, 0, NULL);
    char contact[MCGK_SIP_URI_MAX], ruri[64];
    CHECK_OK(mcgk_sip_endpoint_contact(m.ep, "carol", contact, sizeof contact));
    snprintf(ruri, sizeof ruri, "sip:gms@%s", mcgk_sip_endpoint_sent_by(g.ep));
    mcgk_sip_request_params p;
    memset(&p, 0, sizeof p);
    p.method = "SUBSCRIBE";
    p.request_uri = ruri;
    p.from_uri = "sip:carol@example.org";
    p.from_tag = "c1";
    p.to_uri = "sip:gms@example.org";
    p.call_id = "sub-carol";
    p.cseq = 1;
    p.contact_uri = contact;
    p.event = MCGK_SIP_EVENT_GROUP_CONFIG;
    p.has_expires = 1;
    p.expires = 300;
    mcgk_sip_peer to;
    CHECK_OK(mcgk_sip_peer_from_uri(&to, ruri));
    outcome o;
    memset(&o, 0, sizeof o);
    CHECK_OK(mcgk_sip_endpoint_request(m.ep, &to, &p, on_result, &o, NULL));
    wait_until(&o.done, 1, 20);
    CHECK_OK(o.result);
    CHECK(o.status == 200 && o.expires == 300);
    wait_until(&g.subscribed, 1, 20);
    CHECK(atomic_load(&g.subscribed) == 1);
    notify_and_wait(&g, "sip:carol@example.org", "<first/>", &o);
    CHECK_OK(o.result);
    CHECK(strcmp(m.last_call_id, "sub-carol") == 0 && strcmp(m.last_to_tag, "c1") == 0);
    mcgk_sip_endpoint_free(m.ep);
    mcgk_sip_endpoint_free(g.ep);
    mcgk_sip_registrar_free(g.reg);
}

typedef struct fanout {
    atomic_int done, ok;
} fanout;

static void on_fan(void *user, const mcgk_sip_notify_result *r)
{
    fanout *f = user;
    if (r->result == MCGK_OK && r->status == 200)
        atomic_fetch_add(&f->ok, 1);
    atomic_fetch_add(&f->done, 1);
}

/* 1,000 NOTIFYs in flight at once (to 1,000 AORs bound to one member endpoint). */
static void test_sip_loopback_many_concurrent(void)
{
    int n = mcgk_test_quick() ? 200 : 1000;
    gms g;
    gms_start(&g, 0);
    member m;
    memset(&m, 0, sizeof m);
    m.status = 200;
    m.ep = endpoint(member_on_request, &m, 0, NULL);
    char contact[MCGK_SIP_URI_MAX];
    CHECK_OK(mcgk_sip_endpoint_contact(m.ep, NULL, contact, sizeof contact));
    uint64_t now = mcgk_now_unix_s();
    char aor[64];
    for (int i = 0; i < n; i++) {
        snprintf(aor, sizeof aor, "sip:member%d@example.org", i);
        CHECK_OK(mcgk_sip_registrar_bind(g.reg, aor, contact, now + 600));
    }
    fanout f;
    memset(&f, 0, sizeof f);
    static char body[3000]; /* about the size of a record with two I_MESSAGEs */
    memset(body, 'k', sizeof body - 1);
    for (int i = 0; i < n; i++) {
        snprintf(aor, sizeof aor, "sip:member%d@example.org", i);
        CHECK_OK(mcgk_sip_notify_send(g.reg, g.ep, now, aor, NULL, (const uint8_t *)body,
                                      strlen(body), on_fan, &f));
    }
    wait_until(&f.done, n, 60);
    CHECK(atomic_load(&f.done) == n);
    CHECK(atomic_load(&f.ok) == n);
    CHECK(atomic_load(&m.notifies) >= n);
    mcgk_sip_engine_stats st;
    mcgk_sip_endpoint_get_stats(g.ep, &st);
    CHECK(st.client_txns == 0 && st.bytes == 0);
    mcgk_sip_endpoint_free(m.ep);
    mcgk_sip_endpoint_free(g.ep);
    mcgk_sip_registrar_free(g.reg);
}

/* Shutdown with requests in flight: each gets MCGK_ERR_SIP_CLOSED, exactly once. */
static void test_sip_loopback_shutdown(void)
{
    member m;
    memset(&m, 0, sizeof m);
    m.status = 0;
    m.ep = endpoint(member_on_request, &m, 0, NULL);
    mcgk_sip_endpoint *a = endpoint(NULL, NULL, 0, NULL);
    mcgk_sip_peer to;
    char ruri[64];
    snprintf(ruri, sizeof ruri, "sip:bob@%s", mcgk_sip_endpoint_sent_by(m.ep));
    CHECK_OK(mcgk_sip_peer_from_uri(&to, ruri));
    mcgk_sip_request_params p = notify_req("<x/>");
    p.request_uri = ruri;
    outcome o[3];
    memset(o, 0, sizeof o);
    for (int i = 0; i < 3; i++)
        CHECK_OK(mcgk_sip_endpoint_request(a, &to, &p, on_result, &o[i], NULL));
    wait_until(&m.notifies, 3, 20);
    mcgk_sip_endpoint_free(a);
    for (int i = 0; i < 3; i++) {
        CHECK(atomic_load(&o[i].done) == 1);
        CHECK_ERR(o[i].result, MCGK_ERR_SIP_CLOSED);
    }
    /* an endpoint without a request handler answers 501 */
    a = endpoint(NULL, NULL, 0, NULL);
    snprintf(ruri, sizeof ruri, "sip:x@%s", mcgk_sip_endpoint_sent_by(a));
    CHECK_OK(mcgk_sip_peer_from_uri(&to, ruri));
    p.request_uri = ruri;
    memset(o, 0, sizeof o);
    CHECK_OK(mcgk_sip_endpoint_request(m.ep, &to, &p, on_result, &o[0], NULL));
    wait_until(&o[0].done, 1, 20);
    CHECK_ERR(o[0].result, MCGK_ERR_PEER);
    CHECK(o[0].status == 501);
    mcgk_sip_endpoint_free(a);
    mcgk_sip_endpoint_free(m.ep);
    mcgk_sip_endpoint_free(NULL);
}

static void test_sip_endpoint_errors(void)
{
    mcgk_sip_endpoint_config c;
    memset(&c, 0, sizeof c);
    mcgk_sip_endpoint *ep = NULL;
    CHECK_ERR(mcgk_sip_endpoint_new(&c, &ep), MCGK_ERR_INVALID_ARG);
    c.host = "localhost"; /* numeric only */
    CHECK_ERR(mcgk_sip_endpoint_new(&c, &ep), MCGK_ERR_INVALID_ARG);
    c.host = "127.0.0.1";
    CHECK_OK(mcgk_sip_endpoint_new(&c, &ep));
    mcgk_sip_endpoint *dup = NULL;
    c.port = mcgk_sip_endpoint_port(ep); /* taken */
    CHECK_ERR(mcgk_sip_endpoint_new(&c, &dup), MCGK_ERR_IO);
    char s[16];
    CHECK_ERR(mcgk_sip_endpoint_contact(ep, "u", s, sizeof s), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK_ERR(mcgk_sip_endpoint_contact(ep, "a b", s, sizeof s), MCGK_ERR_INVALID_ARG);
    CHECK_OK(mcgk_sip_endpoint_start(ep));
    CHECK_ERR(mcgk_sip_endpoint_start(ep), MCGK_ERR_INVALID_ARG);
    mcgk_sip_request_params p = notify_req(NULL);
    mcgk_sip_peer to = peer("127.0.0.1", 9);
    CHECK_ERR(mcgk_sip_endpoint_request(ep, &to, &p, NULL, NULL, NULL), MCGK_ERR_INVALID_ARG);
    p.method = "INVITE";
    outcome o;
    memset(&o, 0, sizeof o);
    CHECK_ERR(mcgk_sip_endpoint_request(ep, &to, &p, on_result, &o, NULL), MCGK_ERR_UNSUPPORTED);
    mcgk_sip_response_params r;
    memset(&r, 0, sizeof r);
    r.status = 200;
    CHECK_ERR(mcgk_sip_endpoint_respond(ep, 77, &r), MCGK_ERR_NOT_FOUND);
    CHECK_ERR(mcgk_sip_endpoint_respond(ep, 77, NULL), MCGK_ERR_INVALID_ARG);
    mcgk_sip_registrar *reg = registrar(0);
    CHECK_ERR(mcgk_sip_notify_send(reg, ep, 0, "sip:a@b", NULL, NULL, 0, NULL, NULL),
              MCGK_ERR_INVALID_ARG);
    mcgk_sip_registrar_free(reg);
    mcgk_sip_endpoint_free(ep);
    CHECK(atomic_load(&o.done) == 0);
}

/* Driven from the caller's own loop instead of a thread. */
static void test_sip_endpoint_run_once(void)
{
    mcgk_sip_endpoint_config c;
    memset(&c, 0, sizeof c);
    c.host = "127.0.0.1";
    mcgk_sip_endpoint *a = NULL;
    CHECK_OK(mcgk_sip_endpoint_new(&c, &a));
    member m;
    memset(&m, 0, sizeof m);
    m.status = 202;
    m.ep = endpoint(member_on_request, &m, 0, NULL);
    char ruri[64];
    snprintf(ruri, sizeof ruri, "sip:bob@%s", mcgk_sip_endpoint_sent_by(m.ep));
    mcgk_sip_peer to;
    CHECK_OK(mcgk_sip_peer_from_uri(&to, ruri));
    mcgk_sip_request_params p = notify_req(NULL);
    p.request_uri = ruri;
    outcome o;
    memset(&o, 0, sizeof o);
    CHECK_OK(mcgk_sip_endpoint_request(a, &to, &p, on_result, &o, NULL));
    for (int i = 0; i < 2000 && atomic_load(&o.done) == 0; i++)
        mcgk_sip_endpoint_run_once(a, 10);
    CHECK_OK(o.result);
    CHECK(o.status == 202);
    mcgk_sip_endpoint_free(a);
    mcgk_sip_endpoint_free(m.ep);
}

int main(void)
{
    mcgk_log_set_level(getenv("MCGK_TEST_SIP_LOG") ? MCGK_LOG_DEBUG : MCGK_LOG_OFF);
    TEST_RUN(test_sip_engine_timer_e_f);
    TEST_RUN(test_sip_engine_request_response);
    TEST_RUN(test_sip_engine_lost_response);
    TEST_RUN(test_sip_engine_unanswered);
    TEST_RUN(test_sip_engine_limits);
    TEST_RUN(test_sip_engine_special_requests);
    TEST_RUN(test_sip_engine_config_and_abort);
    TEST_RUN(test_sip_peer_helpers);
    TEST_RUN(test_sip_registrar_register);
    TEST_RUN(test_sip_registrar_subscribe);
    TEST_RUN(test_sip_registrar_bind_lookup);
    TEST_RUN(test_sip_loopback_register_notify);
    TEST_RUN(test_sip_loopback_lost_response);
    TEST_RUN(test_sip_loopback_timeout);
    TEST_RUN(test_sip_loopback_subscribe);
    TEST_RUN(test_sip_loopback_many_concurrent);
    TEST_RUN(test_sip_loopback_shutdown);
    TEST_RUN(test_sip_endpoint_errors);
    TEST_RUN(test_sip_endpoint_run_once);
    TEST_MAIN_END();
}
