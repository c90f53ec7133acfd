/*
 * Tests of the INVITE transactions of the SIP engine (src/net/sip_txn.c,
 * RFC 3261 §17.1.1, §17.2.1, §13, §9; RFC 6026 §7) with a fake clock and
 * an in-memory network: Timers A/B, provisional responses, a 2xx handed
 * to the TU which ACKs it (and the ACK repeated for each 2xx
 * retransmission), a 3xx-6xx ACKed by the transaction, Timers G/H/I, the
 * 2xx retransmitted until its ACK or given up (no ACK), 100 Trying and
 * INVITE retransmissions, CANCEL both ways, 408 for an INVITE the TU
 * never answers, the limit on a ringing INVITE, BYE inside the dialog,
 * and shutdown.
 */
#include "test.h"

#include "mcgk/sip.h"
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

static mcgk_sip_engine *engine(fake_net *net, const char *sent_by, int accept_invite)
{
    static mcgk_rng rng;
    rng = mcgk_test_prng_init(&g_prng, 7);
    mcgk_sip_engine_config c;
    memset(&c, 0, sizeof c);
    c.via_sent_by = sent_by;
    c.send = net_send;
    c.send_ctx = net;
    c.rng = &rng;
    c.accept_invite = accept_invite;
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

static const char k_sdp[] = "v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
                            "t=0 0\r\na=key-mgmt:mikey AQIDBA==\r\n"
                            "m=audio 49170 RTP/SAVP 0\r\n";

static mcgk_sip_request_params invite_req(void)
{
    mcgk_sip_request_params p;
    memset(&p, 0, sizeof p);
    p.method = "INVITE";
    p.request_uri = "sip:group@127.0.0.1:5070";
    p.from_uri = "sip:alice@example.org";
    p.from_tag = "a1";
    p.to_uri = "sip:group@example.org";
    p.call_id = "call-1@alice";
    p.cseq = 1;
    p.contact_uri = "sip:alice@127.0.0.1:5060";
    p.content_type = "application/sdp";
    p.body = (const uint8_t *)k_sdp;
    p.body_len = sizeof k_sdp - 1;
    return p;
}

static mcgk_sip_event g_ev;

static datagram pop(fake_net *net)
{
    datagram d;
    memset(&d, 0, sizeof d);
    CHECK(net->n > 0);
    if (net->n == 0)
        return d;
    d = net->q[0];
    memmove(net->q, net->q + 1, (net->n - 1) * sizeof net->q[0]);
    net->n--;
    return d;
}

/* Deliver the oldest datagram of src to dst. */
static mcgk_err deliver(fake_net *src, mcgk_sip_engine *dst, uint64_t now,
                        const mcgk_sip_peer *from)
{
    if (src->n == 0) {
        CHECK(src->n > 0);
        return MCGK_ERR_INVALID_ARG;
    }
    datagram d = pop(src);
    return mcgk_sip_engine_receive(dst, now, from, d.data, d.len, &g_ev);
}

static mcgk_sip_msg parsed(const datagram *d)
{
    mcgk_sip_msg m;
    memset(&m, 0, sizeof m);
    CHECK_OK(mcgk_sip_msg_parse(d->data, d->len, &m));
    return m;
}

static int starts(const datagram *d, const char *s)
{
    return d->len >= strlen(s) && memcmp(d->data, s, strlen(s)) == 0;
}

/* RFC 3261 §17.1.1.2: Timer A at T1 doubling (no cap), Timer B at 64*T1: 7 sends in 32 s. */
static void test_sip_invite_timer_a_b(void)
{
    fake_net net = {0};
    mcgk_sip_engine *e = engine(&net, "127.0.0.1:5060", 0);
    mcgk_sip_peer to = peer("127.0.0.1", 5070);
    mcgk_sip_request_params p = invite_req();
    int token;
    uint64_t id = 0;
    CHECK_OK(mcgk_sip_engine_invite(e, 0, &to, &p, &token, &id));
    CHECK(id != 0 && net.sent_total == 1 && starts(&net.q[0], "INVITE "));
    uint64_t expect[] = {500, 1500, 3500, 7500, 15500, 31500};
    uint64_t dl;
    mcgk_sip_timeout out[2];
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        CHECK(mcgk_sip_engine_next_deadline(e, &dl) == 1 && dl == expect[i]);
        CHECK(mcgk_sip_engine_expire(e, dl, out, 2) == 0);
        CHECK(net.sent_total == i + 2);
    }
    CHECK(mcgk_sip_engine_next_deadline(e, &dl) == 1 && dl == 32000);
    CHECK(mcgk_sip_engine_expire(e, 32000, out, 2) == 1);
    CHECK(out[0].txn == id && out[0].user == &token && out[0].kind == MCGK_SIP_TIMEOUT_CLIENT);
    CHECK(mcgk_sip_engine_next_deadline(e, &dl) == 0);
    for (size_t i = 1; i < net.n; i++)
        CHECK(net.q[i].len == net.q[0].len && memcmp(net.q[i].data, net.q[0].data, net.q[0].len) == 0);
    /* wrong method; non-INVITE entry points refuse INVITE */
    p.method = "NOTIFY";
    CHECK_ERR(mcgk_sip_engine_invite(e, 0, &to, &p, NULL, NULL), MCGK_ERR_INVALID_ARG);
    p.method = "INVITE";
    CHECK_ERR(mcgk_sip_engine_request(e, 0, &to, &p, NULL, NULL), MCGK_ERR_UNSUPPORTED);
    CHECK_ERR(mcgk_sip_engine_invite(NULL, 0, &to, &p, NULL, NULL), MCGK_ERR_INVALID_ARG);
    mcgk_sip_engine_free(e);
}

/* The successful call: 100 Trying from the transaction, 180 and 200 from the TU; the 2xx
 * goes to the TU, which ACKs it (RFC 3261 §13.2.2.4); the server repeats its 2xx until the
 * ACK (§13.3.1.4); a late 2xx copy is ACKed again; BYE inside the dialog. */
static void test_sip_invite_2xx_and_ack(void)
{
    fake_net na = {0}, nb = {0};
    mcgk_sip_engine *a = engine(&na, "127.0.0.1:5060", 0);
    mcgk_sip_engine *b = engine(&nb, "127.0.0.1:5070", 1);
    mcgk_sip_peer pa = peer("127.0.0.1", 5060), pb = peer("127.0.0.1", 5070);
    mcgk_sip_request_params p = invite_req();
    int token;
    uint64_t cid;
    CHECK_OK(mcgk_sip_engine_invite(a, 0, &pb, &p, &token, &cid));
    CHECK_OK(deliver(&na, b, 5, &pa));
    CHECK(g_ev.type == MCGK_SIP_EV_REQUEST && strcmp(g_ev.msg.method, "INVITE") == 0);
    CHECK(g_ev.msg.body_len == sizeof k_sdp - 1 && memcmp(g_ev.msg.body, k_sdp, g_ev.msg.body_len) == 0);
    uint64_t sid = g_ev.txn;
    /* §17.2.1: the server transaction answered 100 Trying itself, without a To tag */
    CHECK(nb.n == 1 && starts(&nb.q[0], "SIP/2.0 100 "));
    mcgk_sip_msg m = parsed(&nb.q[0]);
    CHECK(m.to_tag[0] == '\0');
    CHECK_OK(deliver(&nb, a, 6, &pb));
    CHECK(g_ev.type == MCGK_SIP_EV_PROVISIONAL && g_ev.txn == cid && g_ev.user == &token);
    CHECK(g_ev.msg.status == 100);
    /* Proceeding: Timer A stopped (nothing at 500 ms) */
    mcgk_sip_timeout out[2];
    CHECK(mcgk_sip_engine_expire(a, 600, out, 2) == 0 && na.n == 0);
    mcgk_sip_response_params r;
    memset(&r, 0, sizeof r);
    r.status = 180;
    CHECK_OK(mcgk_sip_engine_respond(b, 700, sid, &r));
    CHECK_OK(deliver(&nb, a, 701, &pb));
    CHECK(g_ev.type == MCGK_SIP_EV_PROVISIONAL && g_ev.msg.status == 180);
    CHECK(g_ev.msg.to_tag[0] != '\0');
    CHECK_ERR(mcgk_sip_engine_ack(a, 702, cid), MCGK_ERR_SIP_TXN_STATE); /* no 2xx yet */
    /* 200 with the answer and a Contact */
    r.status = 200;
    r.contact_uri = "sip:bob@127.0.0.1:5070";
    r.content_type = "application/sdp";
    r.body = (const uint8_t *)"v=0\r\n";
    r.body_len = 5;
    CHECK_OK(mcgk_sip_engine_respond(b, 1000, sid, &r));
    CHECK_ERR(mcgk_sip_engine_respond(b, 1000, sid, &r), MCGK_ERR_SIP_TXN_STATE);
    datagram ok200 = nb.q[0];
    CHECK_OK(deliver(&nb, a, 1001, &pb));
    CHECK(g_ev.type == MCGK_SIP_EV_RESPONSE && g_ev.txn == cid && g_ev.user == &token);
    CHECK(g_ev.msg.status == 200 && g_ev.msg.body_len == 5);
    char to_tag[MCGK_SIP_TOKEN_MAX];
    snprintf(to_tag, sizeof to_tag, "%s", g_ev.msg.to_tag);
    CHECK(na.n == 0); /* the ACK of a 2xx is the TU's to send */
    CHECK_ERR(mcgk_sip_engine_cancel(a, 1001, cid), MCGK_ERR_SIP_TXN_STATE);
    /* the server repeats the 2xx at T1, 2T1 ... until the ACK */
    uint64_t dl;
    CHECK(mcgk_sip_engine_next_deadline(b, &dl) == 1 && dl == 1500);
    CHECK(mcgk_sip_engine_expire(b, 1500, out, 2) == 0);
    CHECK(nb.n == 1 && nb.q[0].len == ok200.len && memcmp(nb.q[0].data, ok200.data, ok200.len) == 0);
    CHECK(mcgk_sip_engine_next_deadline(b, &dl) == 1 && dl == 2500);
    CHECK_OK(deliver(&nb, a, 1501, &pb)); /* before the TU's ACK: absorbed, nothing sent */
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && strcmp(g_ev.note, "2xx-retransmission") == 0);
    CHECK(na.n == 0);
    /* the TU ACKs: a new branch, CSeq 1 ACK, the 2xx's To tag, its Contact as Request-URI */
    CHECK_OK(mcgk_sip_engine_ack(a, 1600, cid));
    CHECK(na.n == 1 && starts(&na.q[0], "ACK sip:bob@127.0.0.1:5070 SIP/2.0"));
    m = parsed(&na.q[0]);
    mcgk_sip_msg inv = parsed(&ok200); /* the 200 echoes the INVITE's Via */
    CHECK(strcmp(m.branch, inv.branch) != 0 && m.cseq == 1 && strcmp(m.method, "ACK") == 0);
    CHECK(strcmp(m.to_tag, to_tag) == 0 && strcmp(m.from_tag, "a1") == 0);
    CHECK(strcmp(m.call_id, "call-1@alice") == 0 && m.body_len == 0);
    datagram ack = na.q[0];
    CHECK_OK(deliver(&na, b, 1601, &pa));
    CHECK(g_ev.type == MCGK_SIP_EV_ACK && g_ev.txn == sid);
    /* the ACK stops the 2xx retransmissions; a copy of it is absorbed */
    nb.n = 0;
    CHECK(mcgk_sip_engine_next_deadline(b, &dl) == 1 && dl == 1000 + 64 * 500);
    CHECK_OK(mcgk_sip_engine_receive(b, 1602, &pa, ack.data, ack.len, &g_ev));
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && strcmp(g_ev.note, "ack") == 0);
    /* a 2xx copy after the ACK: the same ACK again (§13.2.2.4) */
    CHECK_OK(mcgk_sip_engine_receive(a, 1700, &pb, ok200.data, ok200.len, &g_ev));
    CHECK(strcmp(g_ev.note, "2xx-retransmission") == 0);
    CHECK(na.n == 1 && na.q[0].len == ack.len && memcmp(na.q[0].data, ack.data, ack.len) == 0);
    na.n = 0;
    /* BYE inside the dialog (a non-INVITE transaction): 200 */
    mcgk_sip_request_params bye;
    memset(&bye, 0, sizeof bye);
    bye.method = "BYE";
    bye.request_uri = "sip:bob@127.0.0.1:5070";
    bye.from_uri = p.from_uri;
    bye.from_tag = "a1";
    bye.to_uri = p.to_uri;
    bye.to_tag = to_tag;
    bye.call_id = p.call_id;
    bye.cseq = 2;
    uint64_t bid;
    CHECK_OK(mcgk_sip_engine_request(a, 2000, &pb, &bye, &token, &bid));
    CHECK_OK(deliver(&na, b, 2001, &pa));
    CHECK(g_ev.type == MCGK_SIP_EV_REQUEST && strcmp(g_ev.msg.method, "BYE") == 0);
    CHECK(strcmp(g_ev.msg.to_tag, to_tag) == 0);
    memset(&r, 0, sizeof r);
    r.status = 200;
    CHECK_OK(mcgk_sip_engine_respond(b, 2002, g_ev.txn, &r));
    CHECK_OK(deliver(&nb, a, 2003, &pb));
    CHECK(g_ev.type == MCGK_SIP_EV_RESPONSE && g_ev.txn == bid && g_ev.msg.status == 200);
    /* Timer M and Timer L: both transactions are gone, nothing reported */
    CHECK(mcgk_sip_engine_expire(a, 1001 + 64 * 500, out, 2) == 0);
    CHECK(mcgk_sip_engine_expire(b, 1000 + 64 * 500, out, 2) == 0);
    CHECK(mcgk_sip_engine_expire(b, 2002 + 64 * 500, out, 2) == 0);
    mcgk_sip_engine_stats st;
    mcgk_sip_engine_get_stats(a, &st);
    CHECK(st.client_txns == 0 && st.bytes == 0);
    mcgk_sip_engine_get_stats(b, &st);
    CHECK(st.server_txns == 0 && st.bytes == 0 && st.no_ack == 0);
    CHECK(st.response_retransmissions == 1);
    CHECK_ERR(mcgk_sip_engine_ack(a, 40000, cid), MCGK_ERR_NOT_FOUND);
    mcgk_sip_engine_free(a);
    mcgk_sip_engine_free(b);
}

/* A refusal (486): the client transaction ACKs it itself with the INVITE's branch
 * (§17.1.1.3) and ACKs each repeat; the server repeats it on Timer G until the ACK, then
 * Confirmed absorbs ACKs until Timer I. */
static void test_sip_invite_non2xx_acked_by_txn(void)
{
    fake_net na = {0}, nb = {0};
    mcgk_sip_engine *a = engine(&na, "127.0.0.1:5060", 0);
    mcgk_sip_engine *b = engine(&nb, "127.0.0.1:5070", 1);
    mcgk_sip_peer pa = peer("127.0.0.1", 5060), pb = peer("127.0.0.1", 5070);
    mcgk_sip_request_params p = invite_req();
    uint64_t cid;
    CHECK_OK(mcgk_sip_engine_invite(a, 0, &pb, &p, NULL, &cid));
    datagram invite = na.q[0];
    CHECK_OK(deliver(&na, b, 1, &pa));
    uint64_t sid = g_ev.txn;
    nb.n = 0; /* the 100 is lost */
    mcgk_sip_response_params r;
    memset(&r, 0, sizeof r);
    r.status = 486;
    r.warning_code = 399;
    r.warning_text = "busy";
    CHECK_OK(mcgk_sip_engine_respond(b, 2, sid, &r));
    datagram busy = nb.q[0];
    nb.n = 0; /* lost as well: Timer G repeats it at T1, 2T1, 4T1, T2 ... */
    mcgk_sip_timeout out[2];
    uint64_t expect[] = {502, 1502, 3502, 7502, 11502};
    uint64_t dl;
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        CHECK(mcgk_sip_engine_next_deadline(b, &dl) == 1 && dl == expect[i]);
        CHECK(mcgk_sip_engine_expire(b, dl, out, 2) == 0);
    }
    CHECK(nb.n == 5);
    nb.n = 1;
    CHECK_OK(deliver(&nb, a, 11503, &pb));
    CHECK(g_ev.type == MCGK_SIP_EV_RESPONSE && g_ev.msg.status == 486 && g_ev.txn == cid);
    CHECK(strcmp(g_ev.msg.warning_text, "busy") == 0);
    CHECK(na.n == 1 && starts(&na.q[0], "ACK sip:group@127.0.0.1:5070 SIP/2.0"));
    mcgk_sip_msg ack = parsed(&na.q[0]), inv = parsed(&invite);
    CHECK(strcmp(ack.branch, inv.branch) == 0 && ack.cseq == inv.cseq);
    CHECK(ack.to_tag[0] != '\0');
    datagram ackd = na.q[0];
    CHECK_ERR(mcgk_sip_engine_ack(a, 11504, cid), MCGK_ERR_SIP_TXN_STATE);
    /* a repeat of the 486: ACKed again, not reported again */
    CHECK_OK(mcgk_sip_engine_receive(a, 11505, &pb, busy.data, busy.len, &g_ev));
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && strcmp(g_ev.note, "retransmission") == 0);
    CHECK(na.n == 2);
    na.n = 0;
    /* the ACK: Confirmed; a copy is absorbed; Timer I (T4) ends it */
    CHECK_OK(mcgk_sip_engine_receive(b, 11506, &pa, ackd.data, ackd.len, &g_ev));
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && strcmp(g_ev.note, "ack") == 0);
    CHECK(mcgk_sip_engine_next_deadline(b, &dl) == 1 && dl == 11506 + 5000);
    CHECK_OK(mcgk_sip_engine_receive(b, 11507, &pa, ackd.data, ackd.len, &g_ev));
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && nb.n == 0);
    /* an INVITE copy while Confirmed: nothing to repeat */
    CHECK_OK(mcgk_sip_engine_receive(b, 11508, &pa, invite.data, invite.len, &g_ev));
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && strcmp(g_ev.note, "retransmission") == 0 && nb.n == 0);
    CHECK(mcgk_sip_engine_expire(b, 16506, out, 2) == 0);
    mcgk_sip_engine_stats st;
    mcgk_sip_engine_get_stats(b, &st);
    CHECK(st.server_txns == 0 && st.no_ack == 0 && st.response_retransmissions == 5);
    /* Timer D ends the client transaction (32 s over UDP) */
    CHECK(mcgk_sip_engine_next_deadline(a, &dl) == 1 && dl == 11503 + 32000);
    CHECK(mcgk_sip_engine_expire(a, dl, out, 2) == 0);
    mcgk_sip_engine_get_stats(a, &st);
    CHECK(st.client_txns == 0 && st.bytes == 0);
    mcgk_sip_engine_free(a);
    mcgk_sip_engine_free(b);
}

/* A refusal never ACKed: Timer H (64*T1) ends the server transaction, counted. */
static void test_sip_invite_timer_h(void)
{
    fake_net na = {0}, nb = {0};
    mcgk_sip_engine *a = engine(&na, "127.0.0.1:5060", 0);
    mcgk_sip_engine *b = engine(&nb, "127.0.0.1:5070", 1);
    mcgk_sip_peer pa = peer("127.0.0.1", 5060), pb = peer("127.0.0.1", 5070);
    mcgk_sip_request_params p = invite_req();
    CHECK_OK(mcgk_sip_engine_invite(a, 0, &pb, &p, NULL, NULL));
    CHECK_OK(deliver(&na, b, 0, &pa));
    mcgk_sip_response_params r;
    memset(&r, 0, sizeof r);
    r.status = 480;
    CHECK_OK(mcgk_sip_engine_respond(b, 0, g_ev.txn, &r));
    mcgk_sip_timeout out[2];
    for (uint64_t t = 0; t <= 64 * 500; t += 250)
        CHECK(mcgk_sip_engine_expire(b, t, out, 2) == 0);
    mcgk_sip_engine_stats st;
    mcgk_sip_engine_get_stats(b, &st);
    CHECK(st.server_txns == 0 && st.no_ack == 1);
    /* 100, 480, then Timer G: 0.5, 1.5, 3.5, 7.5, 11.5 ... 31.5 s */
    CHECK(st.response_retransmissions == 10);
    mcgk_sip_engine_free(a);
    mcgk_sip_engine_free(b);
}

/* INVITE retransmissions: the last provisional again while Proceeding (§17.2.1), absorbed
 * once a 2xx was sent (RFC 6026 §7.1), never a second request for the TU. */
static void test_sip_invite_retransmission(void)
{
    fake_net na = {0}, nb = {0};
    mcgk_sip_engine *a = engine(&na, "127.0.0.1:5060", 0);
    mcgk_sip_engine *b = engine(&nb, "127.0.0.1:5070", 1);
    mcgk_sip_peer pa = peer("127.0.0.1", 5060), pb = peer("127.0.0.1", 5070);
    mcgk_sip_request_params p = invite_req();
    CHECK_OK(mcgk_sip_engine_invite(a, 0, &pb, &p, NULL, NULL));
    datagram invite = na.q[0];
    CHECK_OK(deliver(&na, b, 0, &pa));
    CHECK(g_ev.type == MCGK_SIP_EV_REQUEST);
    uint64_t sid = g_ev.txn;
    nb.n = 0;
    CHECK_OK(mcgk_sip_engine_receive(b, 500, &pa, invite.data, invite.len, &g_ev));
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && strcmp(g_ev.note, "retransmission") == 0);
    CHECK(nb.n == 1 && starts(&nb.q[0], "SIP/2.0 100 "));
    mcgk_sip_response_params r;
    memset(&r, 0, sizeof r);
    r.status = 183;
    CHECK_OK(mcgk_sip_engine_respond(b, 600, sid, &r));
    nb.n = 0;
    CHECK_OK(mcgk_sip_engine_receive(b, 1500, &pa, invite.data, invite.len, &g_ev));
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && nb.n == 1 && starts(&nb.q[0], "SIP/2.0 183 "));
    r.status = 200;
    CHECK_OK(mcgk_sip_engine_respond(b, 1600, sid, &r));
    nb.n = 0;
    CHECK_OK(mcgk_sip_engine_receive(b, 1700, &pa, invite.data, invite.len, &g_ev));
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && strcmp(g_ev.note, "retransmission") == 0 && nb.n == 0);
    mcgk_sip_engine_stats st;
    mcgk_sip_engine_get_stats(b, &st);
    CHECK(st.server_txns == 1 && st.repeats == 2);
    mcgk_sip_engine_free(a);
    mcgk_sip_engine_free(b);
}

/* Our 2xx never ACKed: repeated at T1, 2T1 ... T2 for 64*T1, then reported (§13.3.1.4). */
static void test_sip_invite_no_ack(void)
{
    fake_net na = {0}, nb = {0};
    mcgk_sip_engine *a = engine(&na, "127.0.0.1:5060", 0);
    mcgk_sip_engine *b = engine(&nb, "127.0.0.1:5070", 1);
    mcgk_sip_peer pa = peer("127.0.0.1", 5060), pb = peer("127.0.0.1", 5070);
    mcgk_sip_request_params p = invite_req();
    CHECK_OK(mcgk_sip_engine_invite(a, 0, &pb, &p, NULL, NULL));
    CHECK_OK(deliver(&na, b, 0, &pa));
    uint64_t sid = g_ev.txn;
    mcgk_sip_response_params r;
    memset(&r, 0, sizeof r);
    r.status = 200;
    CHECK_OK(mcgk_sip_engine_respond(b, 0, sid, &r));
    nb.n = 0;
    mcgk_sip_timeout out[2];
    size_t reported = 0;
    for (uint64_t t = 0; t < 64 * 500; t += 100)
        reported += mcgk_sip_engine_expire(b, t, out, 2);
    CHECK(reported == 0);
    CHECK(nb.n == 10); /* 0.5 1.5 3.5 7.5 11.5 15.5 19.5 23.5 27.5 31.5 */
    CHECK(mcgk_sip_engine_expire(b, 64 * 500, out, 0) == 0); /* no room: kept for later */
    CHECK(mcgk_sip_engine_expire(b, 64 * 500, out, 2) == 1);
    CHECK(out[0].kind == MCGK_SIP_TIMEOUT_NO_ACK && out[0].txn == sid && out[0].user == NULL);
    mcgk_sip_engine_stats st;
    mcgk_sip_engine_get_stats(b, &st);
    CHECK(st.server_txns == 0 && st.no_ack == 1 && st.bytes == 0);
    mcgk_sip_engine_free(a);
    mcgk_sip_engine_free(b);
}

/* CANCEL (§9.1, §9.2): asked before any provisional, sent when the 100 comes; the server
 * answers it 200 and the INVITE 487 and tells its TU; the client ACKs the 487 and reports it. */
static void test_sip_invite_cancel(void)
{
    fake_net na = {0}, nb = {0};
    mcgk_sip_engine *a = engine(&na, "127.0.0.1:5060", 0);
    mcgk_sip_engine *b = engine(&nb, "127.0.0.1:5070", 1);
    mcgk_sip_peer pa = peer("127.0.0.1", 5060), pb = peer("127.0.0.1", 5070);
    mcgk_sip_request_params p = invite_req();
    int token;
    uint64_t cid;
    CHECK_OK(mcgk_sip_engine_invite(a, 0, &pb, &p, &token, &cid));
    CHECK_OK(mcgk_sip_engine_cancel(a, 1, cid));
    CHECK(na.n == 1); /* the INVITE only: no CANCEL before a provisional */
    CHECK_OK(deliver(&na, b, 2, &pa));
    uint64_t sid = g_ev.txn;
    CHECK_OK(deliver(&nb, a, 3, &pb)); /* 100 Trying */
    CHECK(g_ev.type == MCGK_SIP_EV_PROVISIONAL);
    CHECK(na.n == 1 && starts(&na.q[0], "CANCEL sip:group@127.0.0.1:5070 SIP/2.0"));
    mcgk_sip_msg c = parsed(&na.q[0]);
    CHECK(c.cseq == 1 && strcmp(c.method, "CANCEL") == 0 && strcmp(c.call_id, p.call_id) == 0);
    CHECK_OK(deliver(&na, b, 4, &pa));
    CHECK(g_ev.type == MCGK_SIP_EV_CANCEL && g_ev.txn == sid);
    CHECK(nb.n == 2 && starts(&nb.q[0], "SIP/2.0 200 ") && starts(&nb.q[1], "SIP/2.0 487 "));
    mcgk_sip_response_params r;
    memset(&r, 0, sizeof r);
    r.status = 200;
    CHECK_ERR(mcgk_sip_engine_respond(b, 5, sid, &r), MCGK_ERR_SIP_TXN_STATE);
    CHECK_OK(deliver(&nb, a, 6, &pb)); /* the CANCEL's 200: not the TU's business */
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && strcmp(g_ev.note, "cancel-response") == 0);
    CHECK_OK(deliver(&nb, a, 7, &pb)); /* 487: reported, ACKed */
    CHECK(g_ev.type == MCGK_SIP_EV_RESPONSE && g_ev.msg.status == 487 && g_ev.user == &token);
    CHECK(na.n == 1 && starts(&na.q[0], "ACK "));
    CHECK_OK(deliver(&na, b, 8, &pa));
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && strcmp(g_ev.note, "ack") == 0);
    CHECK_ERR(mcgk_sip_engine_cancel(a, 9, cid), MCGK_ERR_SIP_TXN_STATE);
    CHECK_ERR(mcgk_sip_engine_cancel(a, 9, 12345), MCGK_ERR_NOT_FOUND);
    CHECK_ERR(mcgk_sip_engine_ack(a, 9, 12345), MCGK_ERR_NOT_FOUND);
    /* a CANCEL of an INVITE already answered: 200, no effect */
    CHECK_OK(mcgk_sip_engine_invite(a, 10, &pb, &p, &token, &cid));
    CHECK_OK(deliver(&na, b, 11, &pa));
    sid = g_ev.txn;
    nb.n = 0;
    r.status = 200;
    CHECK_OK(mcgk_sip_engine_respond(b, 12, sid, &r));
    CHECK_OK(deliver(&nb, a, 13, &pb));
    CHECK(g_ev.type == MCGK_SIP_EV_RESPONSE && g_ev.msg.status == 200);
    CHECK_ERR(mcgk_sip_engine_cancel(a, 14, cid), MCGK_ERR_SIP_TXN_STATE);
    mcgk_sip_engine_free(a);
    mcgk_sip_engine_free(b);
}

/* An INVITE its TU never answers gets 408 at the TU timeout (64*T1), then Timer G/H. */
static void test_sip_invite_tu_timeout_408(void)
{
    fake_net na = {0}, nb = {0};
    mcgk_sip_engine *a = engine(&na, "127.0.0.1:5060", 0);
    mcgk_sip_engine *b = engine(&nb, "127.0.0.1:5070", 1);
    mcgk_sip_peer pa = peer("127.0.0.1", 5060), pb = peer("127.0.0.1", 5070);
    mcgk_sip_request_params p = invite_req();
    CHECK_OK(mcgk_sip_engine_invite(a, 0, &pb, &p, NULL, NULL));
    CHECK_OK(deliver(&na, b, 0, &pa));
    uint64_t sid = g_ev.txn;
    CHECK_OK(deliver(&nb, a, 1, &pb));
    CHECK(g_ev.type == MCGK_SIP_EV_PROVISIONAL);
    mcgk_sip_timeout out[2];
    CHECK(mcgk_sip_engine_expire(b, 64 * 500 - 1, out, 2) == 0 && nb.n == 0);
    CHECK(mcgk_sip_engine_expire(b, 64 * 500, out, 2) == 0);
    CHECK(nb.n == 1 && starts(&nb.q[0], "SIP/2.0 408 "));
    mcgk_sip_response_params r;
    memset(&r, 0, sizeof r);
    r.status = 200;
    CHECK_ERR(mcgk_sip_engine_respond(b, 64 * 500 + 1, sid, &r), MCGK_ERR_SIP_TXN_STATE);
    CHECK_OK(deliver(&nb, a, 64 * 500 + 2, &pb));
    CHECK(g_ev.type == MCGK_SIP_EV_RESPONSE && g_ev.msg.status == 408);
    mcgk_sip_engine_free(a);
    mcgk_sip_engine_free(b);
}

/* A callee that rings for ever: after invite_proceeding_ms our INVITE is CANCELed and
 * reported as a timeout; the late 487 is absorbed. */
static void test_sip_invite_proceeding_limit(void)
{
    fake_net na = {0}, nb = {0};
    static mcgk_rng rng;
    rng = mcgk_test_prng_init(&g_prng, 9);
    mcgk_sip_engine_config c;
    memset(&c, 0, sizeof c);
    c.via_sent_by = "127.0.0.1:5060";
    c.send = net_send;
    c.send_ctx = &na;
    c.rng = &rng;
    c.invite_proceeding_ms = 10000;
    mcgk_sip_engine *a = NULL;
    CHECK_OK(mcgk_sip_engine_new(&c, &a));
    mcgk_sip_engine *b = engine(&nb, "127.0.0.1:5070", 1);
    mcgk_sip_peer pa = peer("127.0.0.1", 5060), pb = peer("127.0.0.1", 5070);
    mcgk_sip_request_params p = invite_req();
    int token;
    uint64_t cid;
    CHECK_OK(mcgk_sip_engine_invite(a, 0, &pb, &p, &token, &cid));
    CHECK_OK(deliver(&na, b, 0, &pa));
    CHECK_OK(deliver(&nb, a, 100, &pb));
    CHECK(g_ev.type == MCGK_SIP_EV_PROVISIONAL);
    mcgk_sip_timeout out[2];
    CHECK(mcgk_sip_engine_expire(a, 10099, out, 2) == 0 && na.n == 0);
    CHECK(mcgk_sip_engine_expire(a, 10100, out, 2) == 1);
    CHECK(out[0].txn == cid && out[0].user == &token && out[0].kind == MCGK_SIP_TIMEOUT_CLIENT);
    CHECK(na.n == 1 && starts(&na.q[0], "CANCEL "));
    CHECK_OK(deliver(&na, b, 10101, &pa));
    CHECK(g_ev.type == MCGK_SIP_EV_CANCEL);
    CHECK_OK(deliver(&nb, a, 10102, &pb));
    CHECK(strcmp(g_ev.note, "cancel-response") == 0);
    CHECK_OK(deliver(&nb, a, 10103, &pb));
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && strcmp(g_ev.note, "stray-response") == 0);
    mcgk_sip_engine_stats st;
    mcgk_sip_engine_get_stats(a, &st);
    CHECK(st.client_txns == 0 && st.timeouts == 1);
    mcgk_sip_engine_free(a);
    mcgk_sip_engine_free(b);
}

/* Shutdown reports each INVITE that had no final answer once; answered ones are not
 * reported again; the CANCEL of an unknown transaction is 481 on a server that takes calls. */
static void test_sip_invite_abort_and_strays(void)
{
    fake_net na = {0}, nb = {0};
    mcgk_sip_engine *a = engine(&na, "127.0.0.1:5060", 0);
    mcgk_sip_engine *b = engine(&nb, "127.0.0.1:5070", 1);
    mcgk_sip_peer pa = peer("127.0.0.1", 5060), pb = peer("127.0.0.1", 5070);
    mcgk_sip_request_params p = invite_req();
    int u1, u2;
    uint64_t c1, c2;
    CHECK_OK(mcgk_sip_engine_invite(a, 0, &pb, &p, &u1, &c1));
    CHECK_OK(mcgk_sip_engine_invite(a, 0, &pb, &p, &u2, &c2));
    CHECK_OK(deliver(&na, b, 0, &pa)); /* INVITE 1: left unanswered */
    CHECK(g_ev.type == MCGK_SIP_EV_REQUEST);
    CHECK_OK(deliver(&na, b, 0, &pa)); /* INVITE 2: refused */
    CHECK(g_ev.type == MCGK_SIP_EV_REQUEST);
    mcgk_sip_response_params r;
    memset(&r, 0, sizeof r);
    r.status = 603;
    CHECK_OK(mcgk_sip_engine_respond(b, 0, g_ev.txn, &r));
    CHECK(nb.n == 3);
    CHECK_OK(deliver(&nb, a, 1, &pb));
    CHECK(g_ev.type == MCGK_SIP_EV_PROVISIONAL && g_ev.user == &u1);
    CHECK_OK(deliver(&nb, a, 1, &pb));
    CHECK(g_ev.type == MCGK_SIP_EV_PROVISIONAL && g_ev.user == &u2);
    CHECK_OK(deliver(&nb, a, 2, &pb));
    CHECK(g_ev.type == MCGK_SIP_EV_RESPONSE && g_ev.user == &u2 && g_ev.msg.status == 603);
    mcgk_sip_timeout out[4];
    CHECK(mcgk_sip_engine_abort_clients(a, out, 4) == 1);
    CHECK(out[0].txn == c1 && out[0].user == &u1);
    CHECK(mcgk_sip_engine_abort_clients(a, out, 4) == 0);
    /* CANCEL that matches nothing; an ACK that matches nothing */
    nb.n = 0;
    const char *cancel = "CANCEL sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h:1;branch=z9hG4bKzz\r\n"
                         "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: zz\r\n"
                         "CSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n";
    CHECK_OK(mcgk_sip_engine_receive(b, 3, &pa, (const uint8_t *)cancel, strlen(cancel), &g_ev));
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && nb.n == 1 && starts(&nb.q[0], "SIP/2.0 481 "));
    const char *ack = "ACK sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h:1;branch=z9hG4bKyy\r\n"
                      "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: yy\r\n"
                      "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
    CHECK_OK(mcgk_sip_engine_receive(b, 3, &pa, (const uint8_t *)ack, strlen(ack), &g_ev));
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && strcmp(g_ev.note, "ack") == 0 && nb.n == 1);
    mcgk_sip_engine_free(a);
    mcgk_sip_engine_free(b);
}

/* The server side's limit applies to INVITEs too: 503 beyond it. */
static void test_sip_invite_server_limit(void)
{
    fake_net na = {0}, nb = {0};
    static mcgk_rng rng;
    rng = mcgk_test_prng_init(&g_prng, 11);
    mcgk_sip_engine_config c;
    memset(&c, 0, sizeof c);
    c.via_sent_by = "127.0.0.1:5070";
    c.send = net_send;
    c.send_ctx = &nb;
    c.rng = &rng;
    c.accept_invite = 1;
    c.max_server_txns = 1;
    mcgk_sip_engine *b = NULL;
    CHECK_OK(mcgk_sip_engine_new(&c, &b));
    mcgk_sip_engine *a = engine(&na, "127.0.0.1:5060", 0);
    mcgk_sip_peer pa = peer("127.0.0.1", 5060), pb = peer("127.0.0.1", 5070);
    mcgk_sip_request_params p = invite_req();
    CHECK_OK(mcgk_sip_engine_invite(a, 0, &pb, &p, NULL, NULL));
    CHECK_OK(mcgk_sip_engine_invite(a, 0, &pb, &p, NULL, NULL));
    CHECK_OK(deliver(&na, b, 0, &pa));
    CHECK(g_ev.type == MCGK_SIP_EV_REQUEST);
    nb.n = 0;
    CHECK_OK(deliver(&na, b, 0, &pa));
    CHECK(g_ev.type == MCGK_SIP_EV_NONE && strcmp(g_ev.note, "busy-503") == 0);
    CHECK(nb.n == 1 && starts(&nb.q[0], "SIP/2.0 503 "));
    mcgk_sip_engine_free(a);
    mcgk_sip_engine_free(b);
}

/* trying_delay_ms: no 100 when the TU answers in time; a 100 when it does not. */
static void test_sip_invite_trying_delay(void)
{
    fake_net na = {0}, nb = {0};
    static mcgk_rng rng;
    rng = mcgk_test_prng_init(&g_prng, 13);
    mcgk_sip_engine_config c;
    memset(&c, 0, sizeof c);
    c.via_sent_by = "127.0.0.1:5070";
    c.send = net_send;
    c.send_ctx = &nb;
    c.rng = &rng;
    c.accept_invite = 1;
    c.trying_delay_ms = 200;
    mcgk_sip_engine *b = NULL;
    CHECK_OK(mcgk_sip_engine_new(&c, &b));
    mcgk_sip_engine *a = engine(&na, "127.0.0.1:5060", 0);
    mcgk_sip_peer pa = peer("127.0.0.1", 5060), pb = peer("127.0.0.1", 5070);
    mcgk_sip_request_params p = invite_req();
    CHECK_OK(mcgk_sip_engine_invite(a, 0, &pb, &p, NULL, NULL));
    CHECK_OK(mcgk_sip_engine_invite(a, 0, &pb, &p, NULL, NULL));
    CHECK_OK(deliver(&na, b, 0, &pa));
    uint64_t s1 = g_ev.txn;
    CHECK_OK(deliver(&na, b, 0, &pa));
    CHECK(nb.n == 0); /* no 100 yet */
    mcgk_sip_response_params r;
    memset(&r, 0, sizeof r);
    r.status = 200;
    CHECK_OK(mcgk_sip_engine_respond(b, 50, s1, &r)); /* answered in time */
    nb.n = 0;
    mcgk_sip_timeout out[2];
    CHECK(mcgk_sip_engine_expire(b, 200, out, 2) == 0);
    CHECK(nb.n == 1 && starts(&nb.q[0], "SIP/2.0 100 ")); /* only for the second one */
    uint64_t dl;
    CHECK(mcgk_sip_engine_next_deadline(b, &dl) == 1 && dl == 550); /* the 2xx repeat */
    mcgk_sip_engine_free(a);
    mcgk_sip_engine_free(b);
}

/* The client limit applies to INVITEs and to the engine's own CANCELs. */
static void test_sip_invite_client_limit(void)
{
    fake_net na = {0}, nb = {0};
    static mcgk_rng rng;
    rng = mcgk_test_prng_init(&g_prng, 17);
    mcgk_sip_engine_config c;
    memset(&c, 0, sizeof c);
    c.via_sent_by = "127.0.0.1:5060";
    c.send = net_send;
    c.send_ctx = &na;
    c.rng = &rng;
    c.max_client_txns = 1;
    mcgk_sip_engine *a = NULL;
    CHECK_OK(mcgk_sip_engine_new(&c, &a));
    mcgk_sip_engine *b = engine(&nb, "127.0.0.1:5070", 1);
    mcgk_sip_peer pa = peer("127.0.0.1", 5060), pb = peer("127.0.0.1", 5070);
    mcgk_sip_request_params p = invite_req();
    uint64_t cid;
    CHECK_OK(mcgk_sip_engine_invite(a, 0, &pb, &p, NULL, &cid));
    CHECK_ERR(mcgk_sip_engine_invite(a, 0, &pb, &p, NULL, NULL), MCGK_ERR_SIP_BUSY);
    CHECK_OK(deliver(&na, b, 1, &pa));
    CHECK_OK(deliver(&nb, a, 2, &pb)); /* 100: Proceeding */
    CHECK(g_ev.type == MCGK_SIP_EV_PROVISIONAL);
    CHECK_ERR(mcgk_sip_engine_cancel(a, 3, cid), MCGK_ERR_SIP_BUSY); /* no room for it */
    CHECK_ERR(mcgk_sip_engine_cancel(NULL, 3, cid), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_sip_engine_ack(NULL, 3, cid), MCGK_ERR_INVALID_ARG);
    mcgk_sip_engine_free(a);
    mcgk_sip_engine_free(b);
}

int main(void)
{
    mcgk_log_set_level(getenv("MCGK_TEST_SIP_LOG") ? MCGK_LOG_DEBUG : MCGK_LOG_OFF);
    TEST_RUN(test_sip_invite_timer_a_b);
    TEST_RUN(test_sip_invite_2xx_and_ack);
    TEST_RUN(test_sip_invite_non2xx_acked_by_txn);
    TEST_RUN(test_sip_invite_timer_h);
    TEST_RUN(test_sip_invite_retransmission);
    TEST_RUN(test_sip_invite_no_ack);
    TEST_RUN(test_sip_invite_cancel);
    TEST_RUN(test_sip_invite_tu_timeout_408);
    TEST_RUN(test_sip_invite_proceeding_limit);
    TEST_RUN(test_sip_invite_abort_and_strays);
    TEST_RUN(test_sip_invite_server_limit);
    TEST_RUN(test_sip_invite_trying_delay);
    TEST_RUN(test_sip_invite_client_limit);
    TEST_MAIN_END();
}
