/*
 * Tests of the group controller's state machine (src/controller/, seed
 * requirements R-002-17, R-002-18, R-002-19) with a fake clock: the
 * fan-out with the caller's SDP byte for byte, 100/183 then 200 to the
 * caller with an answer free of key material, both answer policies, every
 * failure (member timeout, 486/480, unreachable, caller CANCEL / BYE /
 * no ACK, merged and re-INVITEs, too many members or calls, no members,
 * bad offers, the call time limit), members leaving, a 2xx after the end;
 * the SDP answer builder; and the controller driven through real engines
 * (src/net/sip_txn.c) over an in-memory network, where a retransmitted
 * INVITE reaches the controller once.
 */
#include "test.h"

#include "mcgk/controller.h"
#include "mcgk/sip.h"
#include "net/sip_txn.h"
#include "platform/log.h"

static mcgk_test_prng g_prng;
static mcgk_rng g_rng;

static const char k_offer[] = "v=0\r\n"
                              "o=alice 2890844526 2890844526 IN IP4 127.0.0.1\r\n"
                              "s=group call\r\n"
                              "c=IN IP4 239.1.2.3/1\r\n"
                              "t=0 0\r\n"
                              "a=key-mgmt:mikey AQQFgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\r\n"
                              "m=audio 49170 RTP/SAVP 0 8\r\n"
                              "a=rtpmap:0 PCMU/8000\r\n"
                              "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:xyz\r\n"
                              "m=application 49172 udp MCPTT\r\n"
                              "a=fmtp:MCPTT mc_queueing\r\n";

static mcgk_ctl *controller(mcgk_ctl_policy policy, size_t max_members, size_t max_calls,
                            uint64_t max_call_ms)
{
    g_rng = mcgk_test_prng_init(&g_prng, 5);
    mcgk_ctl_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.group_uri = "sip:group1@example.org";
    cfg.contact_uri = "sip:group1@127.0.0.1:5062";
    cfg.host = "127.0.0.1";
    cfg.policy = policy;
    cfg.max_members = max_members;
    cfg.max_calls = max_calls;
    cfg.answer_timeout_ms = 10000;
    cfg.max_call_ms = max_call_ms;
    cfg.rng = &g_rng;
    mcgk_ctl *c = NULL;
    CHECK_OK(mcgk_ctl_new(&cfg, &c));
    return c;
}

/* A caller's INVITE as the engine hands it over. */
static mcgk_sip_msg invite(const char *call_id, const char *body)
{
    mcgk_sip_msg m;
    memset(&m, 0, sizeof m);
    m.is_request = 1;
    snprintf(m.method, sizeof m.method, "INVITE");
    snprintf(m.request_uri, sizeof m.request_uri, "sip:group1@127.0.0.1:5062");
    snprintf(m.from_uri, sizeof m.from_uri, "sip:alice@example.org");
    snprintf(m.from_tag, sizeof m.from_tag, "alice-tag");
    snprintf(m.to_uri, sizeof m.to_uri, "sip:group1@example.org");
    snprintf(m.call_id, sizeof m.call_id, "%s", call_id);
    snprintf(m.contact_uri, sizeof m.contact_uri, "sip:alice@127.0.0.1:5060");
    m.cseq = 1;
    if (body != NULL) {
        snprintf(m.content_type, sizeof m.content_type, "application/sdp");
        m.body = (const uint8_t *)body;
        m.body_len = strlen(body);
    }
    m.reason_cause = -1;
    return m;
}

static const mcgk_ctl_member k_members[] = {
    {"sip:bob@example.org", "sip:bob@127.0.0.1:6001"},
    {"sip:carol@example.org", "sip:carol@127.0.0.1:6002"},
    {"sip:alice@example.org", "sip:alice@127.0.0.1:5060"}, /* the caller: skipped */
    {"sip:dave@example.org", "sip:dave@127.0.0.1:6003"},
};

/* What one input produced (copied: action pointers live until the next input). */
#define MAX_ACTS 64
typedef struct acts {
    size_t n;
    mcgk_ctl_action a[MAX_ACTS];
    char target[MAX_ACTS][MCGK_SIP_URI_MAX];
    char call_id[MAX_ACTS][MCGK_SIP_VALUE_MAX];
    char to_tag[MAX_ACTS][MCGK_SIP_TOKEN_MAX];
    char ruri[MAX_ACTS][MCGK_SIP_URI_MAX];
    char warning[MAX_ACTS][MCGK_SIP_VALUE_MAX];
    char body[MAX_ACTS][2048];
    size_t body_len[MAX_ACTS];
    mcgk_ctl_report report[MAX_ACTS];
} acts;

static acts g_a;

/* Take every action; INVITEs are "sent" with transaction ids 1000 + index (or fail). */
static void drain_send(mcgk_ctl *c, uint64_t now, mcgk_err send_result)
{
    memset(&g_a, 0, sizeof g_a);
    mcgk_ctl_action a;
    while (mcgk_ctl_next_action(c, &a)) {
        CHECK(g_a.n < MAX_ACTS);
        if (g_a.n >= MAX_ACTS)
            break;
        size_t i = g_a.n++;
        g_a.a[i] = a;
        if (a.target)
            snprintf(g_a.target[i], sizeof g_a.target[i], "%s", a.target);
        if (a.req.call_id)
            snprintf(g_a.call_id[i], sizeof g_a.call_id[i], "%s", a.req.call_id);
        if (a.req.to_tag)
            snprintf(g_a.to_tag[i], sizeof g_a.to_tag[i], "%s", a.req.to_tag);
        if (a.req.request_uri)
            snprintf(g_a.ruri[i], sizeof g_a.ruri[i], "%s", a.req.request_uri);
        if (a.resp.warning_text)
            snprintf(g_a.warning[i], sizeof g_a.warning[i], "%s", a.resp.warning_text);
        const uint8_t *b = a.type == MCGK_CTL_ACT_RESPOND ? a.resp.body : a.req.body;
        size_t bl = a.type == MCGK_CTL_ACT_RESPOND ? a.resp.body_len : a.req.body_len;
        if (b != NULL && bl < sizeof g_a.body[i]) {
            memcpy(g_a.body[i], b, bl);
            g_a.body_len[i] = bl;
        }
        if (a.report)
            g_a.report[i] = *a.report;
        if (a.type == MCGK_CTL_ACT_INVITE)
            mcgk_ctl_on_fork_sent(c, now, a.fork, send_result, 1000 + (a.fork & 0xffffff));
    }
}

static void drain(mcgk_ctl *c, uint64_t now)
{
    drain_send(c, now, MCGK_OK);
}

/* The index of the k-th action of a type in g_a, or -1. */
static int find_act(mcgk_ctl_action_type t, int k)
{
    for (size_t i = 0; i < g_a.n; i++)
        if (g_a.a[i].type == t && k-- == 0)
            return (int)i;
    return -1;
}

static size_t count_act(mcgk_ctl_action_type t)
{
    size_t n = 0;
    for (size_t i = 0; i < g_a.n; i++)
        n += g_a.a[i].type == t;
    return n;
}

static mcgk_sip_msg response(int status, const char *to_tag, const char *contact)
{
    mcgk_sip_msg m;
    memset(&m, 0, sizeof m);
    m.status = status;
    snprintf(m.method, sizeof m.method, "INVITE");
    snprintf(m.to_tag, sizeof m.to_tag, "%s", to_tag);
    if (contact)
        snprintf(m.contact_uri, sizeof m.contact_uri, "%s", contact);
    return m;
}

/* Start a call with k_members; returns the forks' ids (3 members: bob, carol, dave). */
static void start_call(mcgk_ctl *c, const char *call_id, uint64_t txn, uint64_t forks[3])
{
    mcgk_sip_msg inv = invite(call_id, k_offer);
    CHECK_OK(mcgk_ctl_on_invite(c, 0, txn, &inv, k_members, 4));
    drain(c, 0);
    CHECK(count_act(MCGK_CTL_ACT_INVITE) == 3);
    for (int i = 0; i < 3; i++) {
        int j = find_act(MCGK_CTL_ACT_INVITE, i);
        forks[i] = j >= 0 ? g_a.a[j].fork : 0;
    }
}

/* R-002-18: one INVITE per member (not the caller) with the caller's SDP octet for octet
 * and its Content-Type; R-002-17: the caller gets 183 without any body. */
static void test_ctl_fanout_byte_identical_R_002_18(void)
{
    mcgk_ctl *c = controller(MCGK_CTL_ANSWER_FIRST, 0, 0, 0);
    mcgk_sip_msg inv = invite("call-a", k_offer);
    CHECK_OK(mcgk_ctl_on_invite(c, 0, 7, &inv, k_members, 4));
    drain(c, 0);
    CHECK(g_a.n == 4);
    const char *aors[] = {"sip:bob@example.org", "sip:carol@example.org", "sip:dave@example.org"};
    const char *contacts[] = {"sip:bob@127.0.0.1:6001", "sip:carol@127.0.0.1:6002",
                              "sip:dave@127.0.0.1:6003"};
    for (int i = 0; i < 3; i++) {
        mcgk_ctl_action *a = &g_a.a[i];
        CHECK(a->type == MCGK_CTL_ACT_INVITE);
        CHECK(strcmp(a->req.method, "INVITE") == 0 && a->req.cseq == 1);
        CHECK(strcmp(g_a.target[i], contacts[i]) == 0 && strcmp(g_a.ruri[i], contacts[i]) == 0);
        CHECK(strcmp(a->req.to_uri, aors[i]) == 0 && a->req.to_tag == NULL);
        CHECK(strcmp(a->req.from_uri, "sip:group1@example.org") == 0);
        CHECK(strcmp(a->req.contact_uri, "sip:group1@127.0.0.1:5062") == 0);
        CHECK(strcmp(a->req.content_type, "application/sdp") == 0);
        CHECK(g_a.body_len[i] == strlen(k_offer));
        CHECK_MEM(g_a.body[i], k_offer, strlen(k_offer));
        for (int j = 0; j < i; j++) /* a dialog each */
            CHECK(strcmp(g_a.call_id[i], g_a.call_id[j]) != 0);
        CHECK(strcmp(g_a.call_id[i], "call-a") != 0);
    }
    mcgk_ctl_action *r = &g_a.a[3];
    CHECK(r->type == MCGK_CTL_ACT_RESPOND && r->txn == 7 && r->resp.status == 183);
    CHECK(r->resp.body == NULL && r->resp.body_len == 0 && r->resp.warning_code == 0);
    CHECK(r->resp.to_tag != NULL);
    mcgk_ctl_stats st;
    mcgk_ctl_get_stats(c, &st);
    CHECK(st.calls == 1 && st.calls_total == 1 && st.forks_total == 3);
    uint64_t dl;
    CHECK(mcgk_ctl_next_deadline(c, &dl) == 1 && dl == 10000);
    mcgk_ctl_free(c);
}

/* Answer policy "first": the caller's 200 at the first member's 2xx, with our own SDP
 * answer (R-002-17, R-002-19: no key-mgmt, no crypto); the member's 2xx is ACKed; a
 * refusal and a member still ringing at the end of the window (CANCELed) are counted;
 * the caller's ACK, then BYE: 200 and a BYE to the member in the call. */
static void test_ctl_first_answer_R_002_17_R_002_19(void)
{
    mcgk_ctl *c = controller(MCGK_CTL_ANSWER_FIRST, 0, 0, 0);
    uint64_t f[3];
    start_call(c, "call-b", 7, f);
    mcgk_sip_msg ring = response(180, "bob-tag", NULL);
    mcgk_ctl_on_fork_provisional(c, 10, f[0], &ring);
    drain(c, 10);
    CHECK(g_a.n == 0); /* nothing relayed */
    mcgk_sip_msg ok = response(200, "bob-tag", "sip:bob@127.0.0.1:6001;transport=udp");
    mcgk_ctl_on_fork_final(c, 20, f[0], MCGK_OK, &ok);
    drain(c, 20);
    int ack = find_act(MCGK_CTL_ACT_ACK, 0), resp = find_act(MCGK_CTL_ACT_RESPOND, 0),
        rep = find_act(MCGK_CTL_ACT_REPORT, 0);
    CHECK(g_a.n == 3 && ack >= 0 && resp >= 0 && rep >= 0);
    CHECK(g_a.a[ack].txn == 1000 + (f[0] & 0xffffff));
    mcgk_ctl_action *r = &g_a.a[resp];
    CHECK(r->txn == 7 && r->resp.status == 200);
    CHECK(strcmp(r->resp.content_type, "application/sdp") == 0);
    CHECK(strcmp(r->resp.contact_uri, "sip:group1@127.0.0.1:5062") == 0);
    CHECK(g_a.body_len[resp] > 0);
    CHECK(strstr(g_a.body[resp], "key-mgmt") == NULL && strstr(g_a.body[resp], "crypto") == NULL);
    CHECK(strstr(g_a.body[resp], "m=audio 49170 RTP/SAVP 0 8\r\n") != NULL);
    CHECK(strstr(g_a.body[resp], "m=application 49172 udp MCPTT\r\n") != NULL);
    CHECK(strstr(g_a.body[resp], "c=IN IP4 239.1.2.3/1\r\n") != NULL);
    CHECK(mcgk_ctl_sdp_has_key_mgmt((const uint8_t *)g_a.body[resp], g_a.body_len[resp]) == 0);
    mcgk_ctl_report *rp = &g_a.report[rep];
    CHECK(rp->kind == MCGK_CTL_REPORT_ANSWERED && rp->answered == 1 && rp->members == 3);
    CHECK(rp->reached == 1 && rp->setup_ms == 20 && rp->key_mgmt == 1 && rp->caller_status == 200);
    CHECK(strcmp(rp->call_id, "call-b") == 0 && strcmp(rp->caller, "sip:alice@example.org") == 0);
    /* carol refuses: counted, no effect on the caller */
    mcgk_sip_msg busy = response(486, "carol-tag", NULL);
    mcgk_ctl_on_fork_final(c, 30, f[1], MCGK_ERR_PEER, &busy);
    drain(c, 30);
    CHECK(g_a.n == 0);
    /* dave rings until the window closes: CANCEL */
    ring = response(180, "dave-tag", NULL);
    mcgk_ctl_on_fork_provisional(c, 40, f[2], &ring);
    uint64_t dl;
    CHECK(mcgk_ctl_next_deadline(c, &dl) == 1 && dl == 10000);
    mcgk_ctl_expire(c, 9999);
    drain(c, 9999);
    CHECK(g_a.n == 0);
    mcgk_ctl_expire(c, 10000);
    drain(c, 10000);
    CHECK(g_a.n == 1 && g_a.a[0].type == MCGK_CTL_ACT_CANCEL);
    CHECK(g_a.a[0].txn == 1000 + (f[2] & 0xffffff));
    mcgk_sip_msg term = response(487, "dave-tag", NULL);
    mcgk_ctl_on_fork_final(c, 10010, f[2], MCGK_ERR_PEER, &term);
    mcgk_ctl_on_caller_ack(c, 10020, 7);
    drain(c, 10020);
    CHECK(g_a.n == 0);
    /* the caller hangs up */
    mcgk_sip_msg bye = invite("call-b", NULL);
    snprintf(bye.method, sizeof bye.method, "BYE");
    snprintf(bye.to_tag, sizeof bye.to_tag, "x");
    CHECK(mcgk_ctl_on_request(c, 10030, 99, &bye) == 0); /* wrong To tag: not ours */
    drain(c, 10030);
    mcgk_ctl_free(c);
}

/* The caller's BYE with the right tags; the member in the call gets a BYE in its dialog. */
static void test_ctl_caller_bye(void)
{
    mcgk_ctl *c = controller(MCGK_CTL_ANSWER_FIRST, 0, 0, 0);
    uint64_t f[3];
    start_call(c, "call-c", 7, f);
    char our_tag[MCGK_SIP_TOKEN_MAX], bob_call_id[MCGK_SIP_VALUE_MAX];
    int r183 = find_act(MCGK_CTL_ACT_RESPOND, 0);
    snprintf(our_tag, sizeof our_tag, "%s", g_a.a[r183].resp.to_tag);
    snprintf(bob_call_id, sizeof bob_call_id, "%s", g_a.call_id[0]);
    mcgk_sip_msg ok = response(200, "bob-tag", "sip:bob@127.0.0.1:6001;transport=udp");
    mcgk_ctl_on_fork_final(c, 20, f[0], MCGK_OK, &ok);
    drain(c, 20);
    int resp = find_act(MCGK_CTL_ACT_RESPOND, 0);
    CHECK(strcmp(g_a.a[resp].resp.to_tag, our_tag) == 0); /* 183 and 200: one dialog */
    mcgk_ctl_on_caller_ack(c, 30, 7);
    mcgk_sip_msg bye = invite("call-c", NULL);
    snprintf(bye.method, sizeof bye.method, "BYE");
    snprintf(bye.to_tag, sizeof bye.to_tag, "%s", our_tag);
    bye.cseq = 2;
    CHECK(mcgk_ctl_on_request(c, 40, 99, &bye) == 1);
    drain(c, 40);
    int r = find_act(MCGK_CTL_ACT_RESPOND, 0), b = find_act(MCGK_CTL_ACT_BYE, 0),
        cn = find_act(MCGK_CTL_ACT_CANCEL, 0), rep = find_act(MCGK_CTL_ACT_REPORT, 0);
    CHECK(r >= 0 && g_a.a[r].txn == 99 && g_a.a[r].resp.status == 200);
    CHECK(b >= 0 && count_act(MCGK_CTL_ACT_BYE) == 1);
    CHECK(strcmp(g_a.a[b].req.method, "BYE") == 0 && g_a.a[b].req.cseq == 2);
    CHECK(strcmp(g_a.call_id[b], bob_call_id) == 0 && strcmp(g_a.to_tag[b], "bob-tag") == 0);
    CHECK(strcmp(g_a.ruri[b], "sip:bob@127.0.0.1:6001;transport=udp") == 0); /* remote target */
    CHECK(strcmp(g_a.target[b], "sip:bob@127.0.0.1:6001") == 0);
    CHECK(count_act(MCGK_CTL_ACT_CANCEL) == 2 && cn >= 0); /* carol and dave: still ringing */
    CHECK(rep >= 0 && g_a.report[rep].kind == MCGK_CTL_REPORT_ENDED);
    CHECK_ERR(g_a.report[rep].result, MCGK_OK);
    CHECK(g_a.report[rep].answered == 1 && g_a.report[rep].cancelled == 2);
    /* the 487s end the call; it is freed at the next input */
    mcgk_sip_msg term = response(487, "t", NULL);
    mcgk_ctl_on_fork_final(c, 50, f[1], MCGK_ERR_PEER, &term);
    mcgk_ctl_on_fork_final(c, 51, f[2], MCGK_ERR_PEER, &term);
    drain(c, 51);
    CHECK(g_a.n == 0);
    mcgk_ctl_expire(c, 52);
    mcgk_ctl_stats st;
    mcgk_ctl_get_stats(c, &st);
    CHECK(st.calls == 0);
    CHECK(mcgk_ctl_next_deadline(c, NULL) == 0);
    /* a BYE for the call now: not the controller's (the shell answers 481) */
    CHECK(mcgk_ctl_on_request(c, 53, 100, &bye) == 0);
    mcgk_ctl_free(c);
}

/* Answer policy "all": the 200 waits for every member (2xx, refusal, Timer B timeout). */
static void test_ctl_answer_all(void)
{
    mcgk_ctl *c = controller(MCGK_CTL_ANSWER_ALL, 0, 0, 0);
    uint64_t f[3];
    start_call(c, "call-d", 7, f);
    mcgk_sip_msg ok = response(200, "bob-tag", NULL);
    mcgk_ctl_on_fork_final(c, 10, f[0], MCGK_OK, &ok);
    drain(c, 10);
    CHECK(g_a.n == 1 && g_a.a[0].type == MCGK_CTL_ACT_ACK);
    mcgk_sip_msg busy = response(480, "carol-tag", NULL);
    mcgk_ctl_on_fork_final(c, 20, f[1], MCGK_ERR_PEER, &busy);
    drain(c, 20);
    CHECK(g_a.n == 0);
    mcgk_ctl_on_fork_final(c, 30, f[2], MCGK_ERR_SIP_TIMEOUT, NULL);
    drain(c, 30);
    int resp = find_act(MCGK_CTL_ACT_RESPOND, 0), rep = find_act(MCGK_CTL_ACT_REPORT, 0);
    CHECK(resp >= 0 && g_a.a[resp].resp.status == 200 && rep >= 0);
    CHECK(g_a.report[rep].answered == 1 && g_a.report[rep].refused == 1);
    CHECK(g_a.report[rep].timeouts == 1 && g_a.report[rep].reached == 2);
    CHECK(g_a.report[rep].setup_ms == 30);
    mcgk_ctl_free(c);
}

/* Every member refuses (486, 480): 480 + Warning with the counts; result peer. */
static void test_ctl_all_refuse(void)
{
    mcgk_ctl *c = controller(MCGK_CTL_ANSWER_FIRST, 0, 0, 0);
    uint64_t f[3];
    start_call(c, "call-e", 7, f);
    int st[3] = {486, 480, 603};
    for (int i = 0; i < 3; i++) {
        mcgk_sip_msg m = response(st[i], "t", NULL);
        mcgk_ctl_on_fork_final(c, 10, f[i], MCGK_ERR_PEER, &m);
        drain(c, 10);
    }
    int resp = find_act(MCGK_CTL_ACT_RESPOND, 0), rep = find_act(MCGK_CTL_ACT_REPORT, 0);
    CHECK(resp >= 0 && g_a.a[resp].resp.status == 480 && g_a.a[resp].resp.warning_code == 399);
    CHECK(strstr(g_a.warning[resp], "3 refused") != NULL);
    CHECK(g_a.a[resp].resp.body == NULL);
    CHECK(rep >= 0 && g_a.report[rep].kind == MCGK_CTL_REPORT_ENDED);
    CHECK_ERR(g_a.report[rep].result, MCGK_ERR_PEER);
    CHECK(g_a.report[rep].refused == 3 && g_a.report[rep].caller_status == 480);
    mcgk_ctl_expire(c, 11);
    mcgk_ctl_stats s;
    mcgk_ctl_get_stats(c, &s);
    CHECK(s.calls == 0);
    mcgk_ctl_free(c);
}

/* Nobody answers within the window: every member CANCELed, 480, result sip-timeout; the
 * call lasts until their INVITEs end. */
static void test_ctl_member_timeout(void)
{
    mcgk_ctl *c = controller(MCGK_CTL_ANSWER_FIRST, 0, 0, 0);
    uint64_t f[3];
    start_call(c, "call-f", 7, f);
    mcgk_ctl_expire(c, 10000);
    drain(c, 10000);
    CHECK(count_act(MCGK_CTL_ACT_CANCEL) == 3);
    int resp = find_act(MCGK_CTL_ACT_RESPOND, 0), rep = find_act(MCGK_CTL_ACT_REPORT, 0);
    CHECK(resp >= 0 && g_a.a[resp].resp.status == 480);
    CHECK(strstr(g_a.warning[resp], "3 timed out") != NULL);
    CHECK(rep >= 0);
    CHECK_ERR(g_a.report[rep].result, MCGK_ERR_SIP_TIMEOUT);
    CHECK(g_a.report[rep].timeouts == 3 && g_a.report[rep].reached == 0);
    mcgk_ctl_stats s;
    mcgk_ctl_get_stats(c, &s);
    CHECK(s.calls == 1);
    /* a 2xx crossing the CANCEL: ACK and BYE (RFC 3261 §15) */
    mcgk_sip_msg ok = response(200, "bob-tag", NULL);
    mcgk_ctl_on_fork_final(c, 10001, f[0], MCGK_OK, &ok);
    drain(c, 10001);
    CHECK(g_a.n == 2 && g_a.a[0].type == MCGK_CTL_ACT_ACK && g_a.a[1].type == MCGK_CTL_ACT_BYE);
    CHECK(strcmp(g_a.to_tag[1], "bob-tag") == 0);
    mcgk_ctl_on_fork_final(c, 10002, f[1], MCGK_ERR_SIP_TIMEOUT, NULL);
    mcgk_ctl_on_fork_final(c, 10003, f[2], MCGK_ERR_SIP_CLOSED, NULL);
    mcgk_ctl_expire(c, 10004);
    mcgk_ctl_get_stats(c, &s);
    CHECK(s.calls == 0);
    mcgk_ctl_free(c);
}

/* A late joiner: answered after its CANCEL while the call is up - it joins the call and
 * moves from timeout to answered. */
static void test_ctl_late_joiner(void)
{
    mcgk_ctl *c = controller(MCGK_CTL_ANSWER_FIRST, 0, 0, 0);
    uint64_t f[3];
    start_call(c, "call-g", 7, f);
    mcgk_sip_msg ok = response(200, "bob-tag", NULL);
    mcgk_ctl_on_fork_final(c, 10, f[0], MCGK_OK, &ok);
    drain(c, 10);
    mcgk_ctl_expire(c, 10000);
    drain(c, 10000);
    CHECK(count_act(MCGK_CTL_ACT_CANCEL) == 2);
    mcgk_sip_msg ok2 = response(200, "carol-tag", NULL);
    mcgk_ctl_on_fork_final(c, 10001, f[1], MCGK_OK, &ok2);
    drain(c, 10001);
    CHECK(g_a.n == 1 && g_a.a[0].type == MCGK_CTL_ACT_ACK);
    mcgk_ctl_on_fork_final(c, 10002, f[2], MCGK_ERR_PEER, NULL);
    mcgk_ctl_on_caller_no_ack(c, 40000, 7); /* and then the caller never ACKed */
    drain(c, 40000);
    CHECK(count_act(MCGK_CTL_ACT_BYE) == 3); /* bob, carol, the caller */
    int rep = find_act(MCGK_CTL_ACT_REPORT, 0);
    CHECK(rep >= 0);
    CHECK_ERR(g_a.report[rep].result, MCGK_ERR_SIP_NO_ACK);
    CHECK(g_a.report[rep].answered == 2 && g_a.report[rep].timeouts == 1);
    int bc = -1;
    for (int i = 0; i < 3; i++) {
        int b = find_act(MCGK_CTL_ACT_BYE, i);
        if (b >= 0 && strcmp(g_a.call_id[b], "call-g") == 0)
            bc = b;
    }
    CHECK(bc >= 0);
    if (bc >= 0) { /* our BYE to the caller: its dialog, its Contact */
        CHECK(strcmp(g_a.to_tag[bc], "alice-tag") == 0 && g_a.a[bc].req.cseq == 1);
        CHECK(strcmp(g_a.target[bc], "sip:alice@127.0.0.1:5060") == 0);
        CHECK(strcmp(g_a.a[bc].req.from_uri, "sip:group1@example.org") == 0);
    }
    mcgk_ctl_free(c);
}

/* The caller CANCELs while members ring: CANCEL to them, BYE to the one that answered
 * (policy "all" kept the caller waiting); the caller's status is 487. */
static void test_ctl_caller_cancel(void)
{
    mcgk_ctl *c = controller(MCGK_CTL_ANSWER_ALL, 0, 0, 0);
    uint64_t f[3];
    start_call(c, "call-h", 7, f);
    mcgk_sip_msg ok = response(200, "bob-tag", NULL);
    mcgk_ctl_on_fork_final(c, 10, f[0], MCGK_OK, &ok);
    drain(c, 10);
    mcgk_ctl_on_caller_cancel(c, 20, 8); /* another transaction: nothing */
    drain(c, 20);
    CHECK(g_a.n == 0);
    mcgk_ctl_on_caller_cancel(c, 20, 7);
    drain(c, 20);
    CHECK(count_act(MCGK_CTL_ACT_CANCEL) == 2 && count_act(MCGK_CTL_ACT_BYE) == 1);
    CHECK(count_act(MCGK_CTL_ACT_RESPOND) == 0); /* the engine answered 487 */
    int rep = find_act(MCGK_CTL_ACT_REPORT, 0);
    CHECK(rep >= 0 && g_a.report[rep].caller_status == 487);
    CHECK_ERR(g_a.report[rep].result, MCGK_ERR_SIP_CANCELLED);
    CHECK(g_a.report[rep].cancelled == 2 && g_a.report[rep].answered == 1);
    mcgk_ctl_on_caller_cancel(c, 21, 7); /* again: nothing */
    drain(c, 21);
    CHECK(g_a.n == 0);
    mcgk_ctl_free(c);
}

/* The caller's BYE in the early dialog (after 183, before the final): 200 to the BYE,
 * 487 to the INVITE (RFC 3261 §15). */
static void test_ctl_caller_bye_early(void)
{
    mcgk_ctl *c = controller(MCGK_CTL_ANSWER_FIRST, 0, 0, 0);
    uint64_t f[3];
    start_call(c, "call-i", 7, f);
    char our_tag[MCGK_SIP_TOKEN_MAX];
    snprintf(our_tag, sizeof our_tag, "%s", g_a.a[find_act(MCGK_CTL_ACT_RESPOND, 0)].resp.to_tag);
    mcgk_sip_msg bye = invite("call-i", NULL);
    snprintf(bye.method, sizeof bye.method, "BYE");
    snprintf(bye.to_tag, sizeof bye.to_tag, "%s", our_tag);
    CHECK(mcgk_ctl_on_request(c, 5, 99, &bye) == 1);
    drain(c, 5);
    int r0 = find_act(MCGK_CTL_ACT_RESPOND, 0), r1 = find_act(MCGK_CTL_ACT_RESPOND, 1);
    CHECK(r0 >= 0 && g_a.a[r0].txn == 99 && g_a.a[r0].resp.status == 200);
    CHECK(r1 >= 0 && g_a.a[r1].txn == 7 && g_a.a[r1].resp.status == 487);
    CHECK(count_act(MCGK_CTL_ACT_CANCEL) == 3);
    mcgk_ctl_free(c);
}

/* A member hangs up: 200, counted as left; a BYE matching nothing is not ours. */
static void test_ctl_member_bye(void)
{
    mcgk_ctl *c = controller(MCGK_CTL_ANSWER_FIRST, 0, 0, 0);
    uint64_t f[3];
    start_call(c, "call-j", 7, f);
    char our_tag[MCGK_SIP_TOKEN_MAX], bob_cid[128];
    snprintf(our_tag, sizeof our_tag, "%s", g_a.a[find_act(MCGK_CTL_ACT_RESPOND, 0)].resp.to_tag);
    snprintf(bob_cid, sizeof bob_cid, "%.100s", g_a.call_id[0]);
    mcgk_sip_msg ok = response(200, "bob-tag", NULL);
    mcgk_ctl_on_fork_final(c, 10, f[0], MCGK_OK, &ok);
    drain(c, 10);
    mcgk_sip_msg bye;
    memset(&bye, 0, sizeof bye);
    bye.is_request = 1;
    snprintf(bye.method, sizeof bye.method, "BYE");
    snprintf(bye.call_id, sizeof bye.call_id, "%s", bob_cid);
    snprintf(bye.from_tag, sizeof bye.from_tag, "wrong");
    snprintf(bye.to_tag, sizeof bye.to_tag, "%s", our_tag);
    CHECK(mcgk_ctl_on_request(c, 20, 50, &bye) == 0); /* a From tag of another dialog */
    snprintf(bye.from_tag, sizeof bye.from_tag, "bob-tag");
    CHECK(mcgk_ctl_on_request(c, 20, 50, &bye) == 1);
    drain(c, 20);
    CHECK(g_a.n == 1 && g_a.a[0].txn == 50 && g_a.a[0].resp.status == 200);
    snprintf(bye.call_id, sizeof bye.call_id, "%s-99", bob_cid); /* no such member */
    CHECK(mcgk_ctl_on_request(c, 21, 51, &bye) == 0);
    snprintf(bye.call_id, sizeof bye.call_id, "nothing");
    CHECK(mcgk_ctl_on_request(c, 21, 51, &bye) == 0);
    snprintf(bye.method, sizeof bye.method, "OPTIONS");
    CHECK(mcgk_ctl_on_request(c, 21, 51, &bye) == 0);
    /* the caller hangs up later: bob is not BYEd again */
    mcgk_sip_msg cb = invite("call-j", NULL);
    snprintf(cb.method, sizeof cb.method, "BYE");
    snprintf(cb.to_tag, sizeof cb.to_tag, "%s", our_tag);
    CHECK(mcgk_ctl_on_request(c, 30, 52, &cb) == 1);
    drain(c, 30);
    CHECK(count_act(MCGK_CTL_ACT_BYE) == 0);
    int rep = find_act(MCGK_CTL_ACT_REPORT, 0);
    CHECK(rep >= 0 && g_a.report[rep].left == 1);
    mcgk_ctl_free(c);
}

/* Members that cannot be sent their INVITE (the shell's send failed): unreachable. */
static void test_ctl_unreachable(void)
{
    mcgk_ctl *c = controller(MCGK_CTL_ANSWER_FIRST, 0, 0, 0);
    mcgk_sip_msg inv = invite("call-k", k_offer);
    CHECK_OK(mcgk_ctl_on_invite(c, 0, 7, &inv, k_members, 4));
    drain_send(c, 0, MCGK_ERR_SIP_BUSY);
    int resp = find_act(MCGK_CTL_ACT_RESPOND, 1), rep = find_act(MCGK_CTL_ACT_REPORT, 0);
    CHECK(resp >= 0 && g_a.a[resp].resp.status == 480);
    CHECK(rep >= 0 && g_a.report[rep].unreachable == 3);
    CHECK_ERR(g_a.report[rep].result, MCGK_ERR_IO);
    mcgk_ctl_expire(c, 1);
    mcgk_ctl_stats s;
    mcgk_ctl_get_stats(c, &s);
    CHECK(s.calls == 0);
    mcgk_ctl_free(c);
}

/* Every refusal before a fan-out, each with its status and report code. */
static void test_ctl_refusals(void)
{
    mcgk_ctl *c = controller(MCGK_CTL_ANSWER_FIRST, 2, 1, 0);
    mcgk_sip_msg inv;
    /* no members but the caller */
    inv = invite("r1", k_offer);
    CHECK_OK(mcgk_ctl_on_invite(c, 0, 1, &inv, &k_members[2], 1));
    drain(c, 0);
    CHECK(g_a.n == 2 && g_a.a[0].resp.status == 480 && strcmp(g_a.warning[0], "no members registered") == 0);
    CHECK_ERR(g_a.report[1].result, MCGK_ERR_CTL_NO_MEMBERS);
    CHECK(g_a.report[1].key_mgmt == 1 && strcmp(g_a.report[1].call_id, "r1") == 0);
    /* too many members (3 > 2) */
    CHECK_OK(mcgk_ctl_on_invite(c, 0, 2, &inv, k_members, 4));
    drain(c, 0);
    CHECK(g_a.n == 2 && g_a.a[0].resp.status == 503 && strstr(g_a.warning[0], "too many members"));
    CHECK_ERR(g_a.report[1].result, MCGK_ERR_CTL_TOO_MANY_MEMBERS);
    /* not our group */
    snprintf(inv.to_uri, sizeof inv.to_uri, "sip:group2@example.org");
    CHECK_OK(mcgk_ctl_on_invite(c, 0, 3, &inv, k_members, 2));
    drain(c, 0);
    CHECK(g_a.a[0].resp.status == 404);
    CHECK_ERR(g_a.report[1].result, MCGK_ERR_NOT_FOUND);
    /* no offer; not SDP; too long; unusable */
    inv = invite("r2", NULL);
    CHECK_OK(mcgk_ctl_on_invite(c, 0, 4, &inv, k_members, 2));
    drain(c, 0);
    CHECK(g_a.a[0].resp.status == 488);
    CHECK_ERR(g_a.report[1].result, MCGK_ERR_MALFORMED);
    inv = invite("r3", k_offer);
    snprintf(inv.content_type, sizeof inv.content_type, "text/plain");
    CHECK_OK(mcgk_ctl_on_invite(c, 0, 5, &inv, k_members, 2));
    drain(c, 0);
    CHECK(g_a.a[0].resp.status == 415);
    snprintf(inv.content_type, sizeof inv.content_type, "Application/SDP; charset=x");
    inv.body_len = MCGK_CTL_MAX_OFFER_LEN + 1; /* checked before anything reads it */
    CHECK_OK(mcgk_ctl_on_invite(c, 0, 6, &inv, k_members, 2));
    drain(c, 0);
    CHECK(g_a.a[0].resp.status == 413);
    CHECK_ERR(g_a.report[1].result, MCGK_ERR_OVERSIZED);
    inv = invite("r4", "v=0\r\ns=-\r\n");
    CHECK_OK(mcgk_ctl_on_invite(c, 0, 7, &inv, k_members, 2));
    drain(c, 0);
    CHECK(g_a.a[0].resp.status == 488);
    CHECK_ERR(g_a.report[1].result, MCGK_ERR_MALFORMED);
    /* too many calls (max 1) */
    inv = invite("r5", k_offer);
    CHECK_OK(mcgk_ctl_on_invite(c, 0, 8, &inv, k_members, 2));
    drain(c, 0);
    CHECK(count_act(MCGK_CTL_ACT_INVITE) == 2);
    inv = invite("r6", k_offer);
    CHECK_OK(mcgk_ctl_on_invite(c, 0, 9, &inv, k_members, 2));
    drain(c, 0);
    CHECK(g_a.a[0].resp.status == 503 && strcmp(g_a.warning[0], "too many calls") == 0);
    CHECK_ERR(g_a.report[1].result, MCGK_ERR_SIP_BUSY);
    /* §8.2.2.2: the same INVITE on a new transaction (a new branch): 482 */
    inv = invite("r5", k_offer);
    CHECK_OK(mcgk_ctl_on_invite(c, 0, 10, &inv, k_members, 2));
    drain(c, 0);
    CHECK(g_a.n == 2 && g_a.a[0].txn == 10 && g_a.a[0].resp.status == 482);
    CHECK_ERR(g_a.report[1].result, MCGK_ERR_EXISTS);
    mcgk_ctl_on_fork_final(c, 1, 0, MCGK_OK, NULL); /* no such member: ignored */
    drain(c, 1);
    CHECK(g_a.n == 0);
    mcgk_ctl_stats s;
    mcgk_ctl_get_stats(c, &s);
    CHECK(s.calls == 1 && s.calls_refused == 9 && s.calls_total == 1);
    mcgk_ctl_free(c);
}

static void test_ctl_reinvite(void)
{
    mcgk_ctl *c = controller(MCGK_CTL_ANSWER_FIRST, 0, 0, 0);
    uint64_t f[3];
    start_call(c, "call-l", 7, f);
    char our_tag[MCGK_SIP_TOKEN_MAX];
    snprintf(our_tag, sizeof our_tag, "%s", g_a.a[find_act(MCGK_CTL_ACT_RESPOND, 0)].resp.to_tag);
    mcgk_sip_msg re = invite("call-l", k_offer);
    snprintf(re.to_tag, sizeof re.to_tag, "%s", our_tag);
    re.cseq = 2;
    CHECK_OK(mcgk_ctl_on_invite(c, 5, 20, &re, k_members, 4));
    drain(c, 5);
    CHECK(g_a.n == 2 && g_a.a[0].txn == 20 && g_a.a[0].resp.status == 488);
    CHECK(strstr(g_a.warning[0], "re-INVITE") != NULL);
    CHECK_ERR(g_a.report[1].result, MCGK_ERR_UNSUPPORTED);
    snprintf(re.to_tag, sizeof re.to_tag, "other");
    CHECK_OK(mcgk_ctl_on_invite(c, 5, 21, &re, k_members, 4));
    drain(c, 5);
    CHECK(g_a.a[0].resp.status == 481);
    mcgk_ctl_free(c);
}

/* max_call_ms: the call is ended with BYEs to everyone. */
static void test_ctl_call_time_limit(void)
{
    mcgk_ctl *c = controller(MCGK_CTL_ANSWER_FIRST, 0, 0, 60000);
    uint64_t f[3];
    start_call(c, "call-m", 7, f);
    for (int i = 0; i < 3; i++) {
        mcgk_sip_msg ok = response(200, "t", NULL);
        mcgk_ctl_on_fork_final(c, 10, f[i], MCGK_OK, &ok);
        drain(c, 10);
    }
    mcgk_ctl_on_caller_ack(c, 20, 7);
    uint64_t dl;
    CHECK(mcgk_ctl_next_deadline(c, &dl) == 1 && dl == 60000);
    mcgk_ctl_expire(c, 60000);
    drain(c, 60000);
    CHECK(count_act(MCGK_CTL_ACT_BYE) == 4);
    int rep = find_act(MCGK_CTL_ACT_REPORT, 0);
    CHECK(rep >= 0 && g_a.report[rep].duration_ms == 60000);
    CHECK_ERR(g_a.report[rep].result, MCGK_ERR_SIP_TIMEOUT);
    CHECK(mcgk_ctl_next_deadline(c, &dl) == 0);
    mcgk_ctl_free(c);
}

static void test_ctl_config(void)
{
    mcgk_ctl_config cfg;
    memset(&cfg, 0, sizeof cfg);
    mcgk_ctl *c = NULL;
    mcgk_rng rng = mcgk_test_prng_init(&g_prng, 1);
    CHECK_ERR(mcgk_ctl_new(&cfg, &c), MCGK_ERR_INVALID_ARG);
    cfg.group_uri = "sip:g@example.org";
    cfg.contact_uri = "sip:g@127.0.0.1:5062";
    cfg.host = "127.0.0.1";
    CHECK_ERR(mcgk_ctl_new(&cfg, &c), MCGK_ERR_INVALID_ARG); /* no rng */
    cfg.rng = &rng;
    cfg.group_uri = "mailto:g@example.org";
    CHECK_ERR(mcgk_ctl_new(&cfg, &c), MCGK_ERR_INVALID_ARG);
    cfg.group_uri = "sip:g@example.org";
    cfg.max_members = MCGK_CTL_LIMIT_MAX_MEMBERS + 1;
    CHECK_ERR(mcgk_ctl_new(&cfg, &c), MCGK_ERR_INVALID_ARG);
    cfg.max_members = 0;
    cfg.policy = (mcgk_ctl_policy)7;
    CHECK_ERR(mcgk_ctl_new(&cfg, &c), MCGK_ERR_INVALID_ARG);
    cfg.policy = MCGK_CTL_ANSWER_ALL;
    cfg.host = "";
    CHECK_ERR(mcgk_ctl_new(&cfg, &c), MCGK_ERR_INVALID_ARG);
    cfg.host = "127.0.0.1";
    CHECK_OK(mcgk_ctl_new(&cfg, &c));
    mcgk_sip_msg inv = invite("x", k_offer);
    CHECK_ERR(mcgk_ctl_on_invite(c, 0, 1, NULL, k_members, 1), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_ctl_on_invite(c, 0, 1, &inv, NULL, 1), MCGK_ERR_INVALID_ARG);
    snprintf(inv.method, sizeof inv.method, "BYE");
    CHECK_ERR(mcgk_ctl_on_invite(c, 0, 1, &inv, k_members, 1), MCGK_ERR_INVALID_ARG);
    mcgk_ctl_member bad = {NULL, "sip:x@127.0.0.1:1"};
    inv = invite("x", k_offer);
    inv.to_uri[0] = '\0';
    snprintf(inv.to_uri, sizeof inv.to_uri, "sip:g@example.org");
    CHECK_ERR(mcgk_ctl_on_invite(c, 0, 1, &inv, &bad, 1), MCGK_ERR_INVALID_ARG);
    mcgk_test_fixed_rng fr;
    mcgk_rng none = mcgk_test_fixed_rng_init(&fr, NULL, 0);
    mcgk_ctl_free(c);
    cfg.rng = &none;
    CHECK_OK(mcgk_ctl_new(&cfg, &c));
    CHECK_ERR(mcgk_ctl_on_invite(c, 0, 1, &inv, k_members, 1), MCGK_ERR_RNG);
    mcgk_ctl_action a;
    CHECK(mcgk_ctl_next_action(c, &a) == 0);
    mcgk_ctl_free(c);
    mcgk_ctl_free(NULL);
    mcgk_ctl_on_fork_final(NULL, 0, 0, MCGK_OK, NULL);
    mcgk_ctl_expire(NULL, 0);
    CHECK(mcgk_ctl_on_request(NULL, 0, 0, &inv) == 0);
}

/* ---- the SDP answer ---------------------------------------------------------------------- */

static mcgk_err answer_of(const char *offer, char *out, size_t cap, size_t *len)
{
    return mcgk_ctl_sdp_answer((const uint8_t *)offer, strlen(offer), "127.0.0.1", 42, out, cap,
                               len);
}

/* R-002-19: the controller's answer holds no key-mgmt or crypto line; it mirrors the media. */
/* a member hears the call where the offer says: the first m= line's port, its c= line
   (media level over session level), multicast TTL suffix dropped */
static void test_ctl_sdp_media_addr(void)
{
    char a[32];
    CHECK_OK(mcgk_ctl_sdp_media_addr((const uint8_t *)k_offer, strlen(k_offer), a, sizeof a));
    CHECK(strcmp(a, "239.1.2.3:49170") == 0);
    static const char media_c[] = "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/SAVP 0\r\n"
                                  "c=IN IP4 127.0.0.1\r\nm=video 5000 RTP/SAVP 96\r\n"
                                  "c=IN IP4 10.9.9.9\r\n";
    CHECK_OK(mcgk_ctl_sdp_media_addr((const uint8_t *)media_c, strlen(media_c), a, sizeof a));
    CHECK(strcmp(a, "127.0.0.1:4000") == 0);
    static const char *const bad[] = {
        "v=0\r\nc=IN IP4 127.0.0.1\r\n",                      /* no m= */
        "v=0\r\nm=audio 4000 RTP/SAVP 0\r\n",                 /* no c= */
        "v=0\r\nc=IN IP6 ::1\r\nm=audio 4000 RTP/SAVP 0\r\n", /* not IPv4 */
        "v=0\r\nc=IN IP4 1.2.3\r\nm=audio 4000 RTP/SAVP 0\r\n",
        "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 0 RTP/SAVP 0\r\n",
        "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 70000 RTP/SAVP 0\r\n",
        "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio x RTP/SAVP 0\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_ERR(mcgk_ctl_sdp_media_addr((const uint8_t *)bad[i], strlen(bad[i]), a, sizeof a),
                  MCGK_ERR_MALFORMED);
    CHECK_ERR(mcgk_ctl_sdp_media_addr((const uint8_t *)k_offer, strlen(k_offer), a, 8),
              MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK_ERR(mcgk_ctl_sdp_media_addr(NULL, 0, a, sizeof a), MCGK_ERR_INVALID_ARG);
}

static void test_ctl_sdp_answer_R_002_19(void)
{
    char out[2048];
    size_t len = 0;
    CHECK_OK(answer_of(k_offer, out, sizeof out, &len));
    const char *want = "v=0\r\n"
                       "o=mcgk 42 1 IN IP4 127.0.0.1\r\n"
                       "s=-\r\n"
                       "c=IN IP4 239.1.2.3/1\r\n"
                       "t=0 0\r\n"
                       "m=audio 49170 RTP/SAVP 0 8\r\n"
                       "a=rtpmap:0 PCMU/8000\r\n"
                       "m=application 49172 udp MCPTT\r\n"
                       "a=fmtp:MCPTT mc_queueing\r\n";
    CHECK(len == strlen(want) && strcmp(out, want) == 0);
    CHECK(mcgk_ctl_sdp_has_key_mgmt((const uint8_t *)k_offer, strlen(k_offer)) == 1);
    CHECK(mcgk_ctl_sdp_has_key_mgmt((const uint8_t *)out, len) == 0);
    CHECK(mcgk_ctl_sdp_has_key_mgmt(NULL, 0) == 0);
    /* bare LF lines, IPv6 host, media-level c= */
    const char *lf = "v=0\nm=video 0 RTP/AVP 96\nc=IN IP6 ::1\n";
    CHECK_OK(mcgk_ctl_sdp_answer((const uint8_t *)lf, strlen(lf), "::1", 1, out, sizeof out, &len));
    CHECK(strstr(out, "o=mcgk 1 1 IN IP6 ::1\r\n") && strstr(out, "m=video 0 RTP/AVP 96\r\nc=IN IP6 ::1\r\n"));
    /* the answer of an answer is itself (what the controller mirrors is stable) */
    char again[2048];
    size_t len2;
    CHECK_OK(answer_of(want, again, sizeof again, &len2));
    CHECK(len2 == strlen(want) && strcmp(again, want) == 0);
    /* errors */
    CHECK_ERR(answer_of("o=x\r\nv=0\r\nm=audio 1 RTP/AVP 0\r\n", out, sizeof out, &len),
              MCGK_ERR_MALFORMED);
    CHECK_ERR(answer_of("v=0\r\ns=-\r\n", out, sizeof out, &len), MCGK_ERR_MALFORMED);
    CHECK_ERR(answer_of("v=0\r\nm=audio 1 RTP/AVP\r\n", out, sizeof out, &len), MCGK_ERR_MALFORMED);
    CHECK_ERR(answer_of("v=0\r\nm=audio x RTP/AVP 0\r\n", out, sizeof out, &len), MCGK_ERR_MALFORMED);
    CHECK_ERR(answer_of("v=0\r\nm=audio 1/ RTP/AVP 0\r\n", out, sizeof out, &len), MCGK_ERR_MALFORMED);
    CHECK_ERR(answer_of("v=0\r\nm=audio  1 RTP/AVP 0\r\n", out, sizeof out, &len), MCGK_ERR_MALFORMED);
    CHECK_ERR(answer_of("v=0\r\nm=au\"dio 1 RTP/AVP 0\r\n", out, sizeof out, &len), MCGK_ERR_MALFORMED);
    CHECK_ERR(answer_of("v=0\r\ns=\x01\r\nm=audio 1 RTP/AVP 0\r\n", out, sizeof out, &len),
              MCGK_ERR_MALFORMED);
    CHECK_ERR(mcgk_ctl_sdp_answer((const uint8_t *)"v=0\r\n\0m=a 1 b 0\r\n", 17, "h", 1, out,
                                  sizeof out, &len),
              MCGK_ERR_MALFORMED);
    CHECK_OK(answer_of("v=0\r\nm=audio 1/2 RTP/AVP 0\r\n", out, sizeof out, &len));
    char big[2200];
    memset(big, 'x', sizeof big);
    memcpy(big, "v=0\r\ni=", 7);
    big[sizeof big - 1] = '\0';
    CHECK_ERR(answer_of(big, out, sizeof out, &len), MCGK_ERR_OVERSIZED);
    char many[600] = "v=0\r\n";
    for (int i = 0; i < 17; i++)
        strcat(many, "m=audio 1 RTP/AVP 0\r\n");
    CHECK_ERR(answer_of(many, out, sizeof out, &len), MCGK_ERR_OVERSIZED);
    CHECK_ERR(mcgk_ctl_sdp_answer((const uint8_t *)k_offer, MCGK_CTL_MAX_OFFER_LEN + 1, "h", 1,
                                  out, sizeof out, &len),
              MCGK_ERR_OVERSIZED);
    CHECK_ERR(answer_of(k_offer, out, 20, &len), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(len == strlen(want));
    CHECK_ERR(answer_of(k_offer, NULL, 0, &len), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_ctl_sdp_answer((const uint8_t *)k_offer, 5, "a b", 1, out, sizeof out, &len),
              MCGK_ERR_INVALID_ARG);
}

/* ---- the controller over real engines -------------------------------------------------- */

#define NET_MAX 256

typedef struct datagram {
    mcgk_sip_peer to;
    uint8_t data[2048];
    size_t len;
} datagram;

typedef struct fake_net {
    datagram q[NET_MAX];
    size_t n;
} fake_net;

static int net_send(void *ctx, const mcgk_sip_peer *to, const uint8_t *data, size_t len)
{
    fake_net *net = ctx;
    CHECK(net->n < NET_MAX && len <= sizeof net->q[0].data);
    if (net->n < NET_MAX && len <= sizeof net->q[0].data) {
        net->q[net->n].to = *to;
        memcpy(net->q[net->n].data, data, len);
        net->q[net->n].len = len;
        net->n++;
    }
    return 0;
}

static mcgk_sip_engine *engine_at(fake_net *net, uint16_t port, int accept_invite)
{
    static mcgk_rng rng;
    rng = mcgk_test_prng_init(&g_prng, port);
    char sent_by[32];
    snprintf(sent_by, sizeof sent_by, "127.0.0.1:%u", (unsigned)port);
    mcgk_sip_engine_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.via_sent_by = sent_by;
    cfg.send = net_send;
    cfg.send_ctx = net;
    cfg.rng = &rng;
    cfg.accept_invite = accept_invite;
    mcgk_sip_engine *e = NULL;
    CHECK_OK(mcgk_sip_engine_new(&cfg, &e));
    return e;
}

/* A world: caller A (5060), controller K (5062), members M0..M2 (6001..6003). */
typedef struct world {
    fake_net net[5];
    mcgk_sip_engine *e[5];
    uint16_t port[5];
    mcgk_ctl *ctl;
    int invites_seen;
    int member_invites[3];
    uint8_t member_body[3][2048];
    size_t member_body_len[3];
    int caller_statuses[8];
    int n_caller_statuses;
    int caller_final;
    uint8_t caller_answer[2048];
    size_t caller_answer_len;
} world;

static int by_port(const world *w, uint16_t port)
{
    for (int i = 0; i < 5; i++)
        if (w->port[i] == port)
            return i;
    return -1;
}

/* Take the controller's actions with engine K. */
static void pump_ctl(world *w, uint64_t now)
{
    mcgk_ctl_action a;
    while (mcgk_ctl_next_action(w->ctl, &a)) {
        mcgk_sip_peer to;
        uint64_t txn = 0;
        switch (a.type) {
        case MCGK_CTL_ACT_RESPOND:
            CHECK_OK(mcgk_sip_engine_respond(w->e[1], now, a.txn, &a.resp));
            break;
        case MCGK_CTL_ACT_INVITE: {
            CHECK_OK(mcgk_sip_peer_from_uri(&to, a.target));
            mcgk_err err = mcgk_sip_engine_invite(w->e[1], now, &to, &a.req,
                                                  (void *)(uintptr_t)a.fork, &txn);
            mcgk_ctl_on_fork_sent(w->ctl, now, a.fork, err, txn);
            break;
        }
        case MCGK_CTL_ACT_ACK:
            CHECK_OK(mcgk_sip_engine_ack(w->e[1], now, a.txn));
            break;
        case MCGK_CTL_ACT_CANCEL:
            CHECK_OK(mcgk_sip_engine_cancel(w->e[1], now, a.txn));
            break;
        case MCGK_CTL_ACT_BYE:
            CHECK_OK(mcgk_sip_peer_from_uri(&to, a.target));
            CHECK_OK(mcgk_sip_engine_request(w->e[1], now, &to, &a.req, NULL, NULL));
            break;
        default:
            break;
        }
    }
}

/* Deliver everything in flight until the network is quiet. Members answer INVITEs 200. */
static void run(world *w, uint64_t now)
{
    for (int guard = 0; guard < 10000; guard++) {
        int moved = 0;
        for (int s = 0; s < 5; s++) {
            while (w->net[s].n > 0) {
                datagram d = w->net[s].q[0];
                memmove(w->net[s].q, w->net[s].q + 1, (w->net[s].n - 1) * sizeof d);
                w->net[s].n--;
                moved = 1;
                int r = by_port(w, d.to.port);
                CHECK(r >= 0);
                if (r < 0)
                    continue;
                mcgk_sip_peer from;
                CHECK_OK(mcgk_sip_peer_set(&from, "127.0.0.1", w->port[s]));
                mcgk_sip_event ev;
                CHECK_OK(mcgk_sip_engine_receive(w->e[r], now, &from, d.data, d.len, &ev));
                if (r == 0) { /* the caller */
                    if (ev.type == MCGK_SIP_EV_PROVISIONAL && w->n_caller_statuses < 8)
                        w->caller_statuses[w->n_caller_statuses++] = ev.msg.status;
                    if (ev.type == MCGK_SIP_EV_RESPONSE && strcmp(ev.msg.method, "INVITE") == 0) {
                        w->caller_final = ev.msg.status;
                        w->caller_answer_len = ev.msg.body_len;
                        memcpy(w->caller_answer, ev.msg.body, ev.msg.body_len);
                        if (ev.msg.status == 200)
                            CHECK_OK(mcgk_sip_engine_ack(w->e[0], now, ev.txn));
                    }
                } else if (r == 1) { /* the controller */
                    if (ev.type == MCGK_SIP_EV_REQUEST && strcmp(ev.msg.method, "INVITE") == 0) {
                        w->invites_seen++;
                        CHECK_OK(mcgk_ctl_on_invite(w->ctl, now, ev.txn, &ev.msg, k_members, 4));
                    } else if (ev.type == MCGK_SIP_EV_REQUEST) {
                        CHECK(mcgk_ctl_on_request(w->ctl, now, ev.txn, &ev.msg) == 1);
                    } else if (ev.type == MCGK_SIP_EV_PROVISIONAL) {
                        mcgk_ctl_on_fork_provisional(w->ctl, now, (uint64_t)(uintptr_t)ev.user,
                                                     &ev.msg);
                    } else if (ev.type == MCGK_SIP_EV_RESPONSE && ev.user != NULL) {
                        int ok = ev.msg.status < 300;
                        mcgk_ctl_on_fork_final(w->ctl, now, (uint64_t)(uintptr_t)ev.user,
                                               ok ? MCGK_OK : MCGK_ERR_PEER, &ev.msg);
                    } else if (ev.type == MCGK_SIP_EV_ACK) {
                        mcgk_ctl_on_caller_ack(w->ctl, now, ev.txn);
                    }
                    pump_ctl(w, now);
                } else if (ev.type == MCGK_SIP_EV_REQUEST) { /* a member */
                    int m = r - 2;
                    mcgk_sip_response_params rp;
                    memset(&rp, 0, sizeof rp);
                    rp.status = 200;
                    if (strcmp(ev.msg.method, "INVITE") == 0) {
                        w->member_invites[m]++;
                        memcpy(w->member_body[m], ev.msg.body, ev.msg.body_len);
                        w->member_body_len[m] = ev.msg.body_len;
                        rp.contact_uri = m == 0 ? "sip:bob@127.0.0.1:6001"
                                         : m == 1 ? "sip:carol@127.0.0.1:6002"
                                                  : "sip:dave@127.0.0.1:6003";
                        rp.content_type = "application/sdp";
                        rp.body = (const uint8_t *)"v=0\r\nm=audio 0 RTP/SAVP 0\r\n";
                        rp.body_len = 27;
                    }
                    CHECK_OK(mcgk_sip_engine_respond(w->e[r], now, ev.txn, &rp));
                }
            }
        }
        if (!moved)
            return;
    }
    CHECK(!"the network never went quiet");
}

/* The whole set-up over the engines: the caller sees 100, 183, 200 (R-002-17), each member
 * gets the caller's SDP octet for octet (R-002-18), the answer has no key-mgmt (R-002-19);
 * a retransmitted INVITE does not start a second call; BYE ends it. */
static void test_ctl_over_engines_R_002_17_R_002_18(void)
{
    world *w = calloc(1, sizeof *w);
    uint16_t ports[5] = {5060, 5062, 6001, 6002, 6003};
    for (int i = 0; i < 5; i++) {
        w->port[i] = ports[i];
        w->e[i] = engine_at(&w->net[i], ports[i], i != 0);
    }
    w->ctl = controller(MCGK_CTL_ANSWER_ALL, 0, 0, 0);
    mcgk_sip_request_params p;
    memset(&p, 0, sizeof p);
    p.method = "INVITE";
    p.request_uri = "sip:group1@127.0.0.1:5062";
    p.from_uri = "sip:alice@example.org";
    p.from_tag = "alice-tag";
    p.to_uri = "sip:group1@example.org";
    p.call_id = "engine-call";
    p.cseq = 1;
    p.contact_uri = "sip:alice@127.0.0.1:5060";
    p.content_type = "application/sdp";
    p.body = (const uint8_t *)k_offer;
    p.body_len = strlen(k_offer);
    mcgk_sip_peer k;
    CHECK_OK(mcgk_sip_peer_set(&k, "127.0.0.1", 5062));
    uint64_t ctx;
    CHECK_OK(mcgk_sip_engine_invite(w->e[0], 0, &k, &p, NULL, &ctx));
    datagram inv = w->net[0].q[0];
    run(w, 1);
    CHECK(w->invites_seen == 1);
    CHECK(w->n_caller_statuses == 2 && w->caller_statuses[0] == 100 && w->caller_statuses[1] == 183);
    CHECK(w->caller_final == 200);
    CHECK(w->caller_answer_len > 0 &&
          mcgk_ctl_sdp_has_key_mgmt(w->caller_answer, w->caller_answer_len) == 0);
    for (int m = 0; m < 3; m++) {
        CHECK(w->member_invites[m] == 1);
        CHECK(w->member_body_len[m] == strlen(k_offer));
        CHECK_MEM(w->member_body[m], k_offer, strlen(k_offer));
    }
    /* the caller's INVITE again (a retransmission): absorbed by the transaction */
    mcgk_sip_peer a;
    CHECK_OK(mcgk_sip_peer_set(&a, "127.0.0.1", 5060));
    mcgk_sip_event ev;
    CHECK_OK(mcgk_sip_engine_receive(w->e[1], 3, &a, inv.data, inv.len, &ev));
    CHECK(ev.type == MCGK_SIP_EV_NONE && strcmp(ev.note, "retransmission") == 0);
    CHECK(w->invites_seen == 1);
    mcgk_ctl_stats st;
    mcgk_ctl_get_stats(w->ctl, &st);
    CHECK(st.calls_total == 1 && st.calls == 1);
    for (int i = 0; i < 5; i++)
        mcgk_sip_engine_free(w->e[i]);
    mcgk_ctl_free(w->ctl);
    free(w);
}

int main(void)
{
    mcgk_log_set_level(MCGK_LOG_OFF);
    TEST_RUN(test_ctl_fanout_byte_identical_R_002_18);
    TEST_RUN(test_ctl_first_answer_R_002_17_R_002_19);
    TEST_RUN(test_ctl_caller_bye);
    TEST_RUN(test_ctl_answer_all);
    TEST_RUN(test_ctl_all_refuse);
    TEST_RUN(test_ctl_member_timeout);
    TEST_RUN(test_ctl_late_joiner);
    TEST_RUN(test_ctl_caller_cancel);
    TEST_RUN(test_ctl_caller_bye_early);
    TEST_RUN(test_ctl_member_bye);
    TEST_RUN(test_ctl_unreachable);
    TEST_RUN(test_ctl_refusals);
    TEST_RUN(test_ctl_reinvite);
    TEST_RUN(test_ctl_call_time_limit);
    TEST_RUN(test_ctl_config);
    TEST_RUN(test_ctl_sdp_answer_R_002_19);
    TEST_RUN(test_ctl_sdp_media_addr);
    TEST_RUN(test_ctl_over_engines_R_002_17_R_002_18);
    TEST_MAIN_END();
}
