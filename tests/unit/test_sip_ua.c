/*
 * Tests of the SIP user agent (src/net/sip_ua.c) and the group
 * controller's shell (src/net/controller_server.c) over real UDP sockets
 * on 127.0.0.1, in one process: members register with the controller, a
 * caller's INVITE reaches each of them with the caller's SDP octet for
 * octet (R-002-18), the caller sees 100 / 183 / 200 without key material
 * (R-002-17, R-002-19), BYE reaches every member; a direct call refused
 * (486 + Warning) and one CANCELed; a members list (403 for others, a
 * static member); 50 members at once. No timings are asserted.
 */
#include "test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "mcgk/controller.h"
#include "mcgk/platform.h"
#include "net/controller_server.h"
#include "net/sip_ua.h"
#include "platform/log.h"

static const char k_offer[] = "v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
                              "c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                              "a=key-mgmt:mikey AQQFgAAfSrZ6AAAAAAAAAAAAAAAKAhMCf5ESOf5q\r\n"
                              "m=audio 49170 RTP/SAVP 0\r\n";

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void wait_until(atomic_int *v, int want, int seconds)
{
    for (int i = 0; i < seconds * 200 && atomic_load(v) < want; i++)
        sleep_ms(5);
}

/* A member: answers with `status` (an SDP answer built from the offer, no key-mgmt). */
typedef struct member {
    mcgk_sip_ua *ua;
    int status;
    const char *warning;
    atomic_int offers, byes, acks, cancels;
    pthread_mutex_t mu;
    uint8_t body[1024];
    size_t body_len;
    char from[MCGK_SIP_URI_MAX];
    char answer[MCGK_CTL_MAX_ANSWER_LEN];
} member;

static void member_offer(void *ctx, const mcgk_sip_ua_offer *o, mcgk_sip_ua_answer *a)
{
    member *m = ctx;
    pthread_mutex_lock(&m->mu);
    if (o->body_len <= sizeof m->body) {
        memcpy(m->body, o->body, o->body_len);
        m->body_len = o->body_len;
    }
    snprintf(m->from, sizeof m->from, "%s", o->from_uri);
    a->status = m->status;
    a->ring = 1;
    a->warning = m->warning;
    size_t len;
    if (m->status == 200 && mcgk_ctl_sdp_answer(o->body, o->body_len, "127.0.0.1", 1, m->answer,
                                                sizeof m->answer, &len) == MCGK_OK) {
        a->body = (const uint8_t *)m->answer;
        a->body_len = len;
    }
    pthread_mutex_unlock(&m->mu);
    atomic_fetch_add(&m->offers, 1);
}

static void member_event(void *ctx, mcgk_sip_ua_event ev, const char *call_id)
{
    member *m = ctx;
    (void)call_id;
    if (ev == MCGK_SIP_UA_EV_BYE)
        atomic_fetch_add(&m->byes, 1);
    else if (ev == MCGK_SIP_UA_EV_ACK)
        atomic_fetch_add(&m->acks, 1);
    else if (ev == MCGK_SIP_UA_EV_CANCEL)
        atomic_fetch_add(&m->cancels, 1);
}

static mcgk_sip_ua *ua_new(member *m, const char *user)
{
    mcgk_sip_ua_config c;
    memset(&c, 0, sizeof c);
    c.host = "127.0.0.1";
    c.t1_ms = 20;
    c.user = user;
    if (m != NULL) {
        pthread_mutex_init(&m->mu, NULL);
        c.on_offer = member_offer;
        c.on_event = member_event;
        c.ctx = m;
    }
    mcgk_sip_ua *ua = NULL;
    CHECK_OK(mcgk_sip_ua_new(&c, &ua));
    return ua;
}

static mcgk_ctl_server *controller(const mcgk_ctl_member *listed, size_t n, uint32_t window)
{
    mcgk_ctl_server_config c;
    memset(&c, 0, sizeof c);
    c.host = "127.0.0.1";
    c.group_uri = "sip:group1@example.org";
    c.t1_ms = 20;
    c.answer_timeout_ms = window;
    c.listed = listed;
    c.n_listed = n;
    mcgk_ctl_server *s = NULL;
    CHECK_OK(mcgk_ctl_server_start(&c, &s));
    return s;
}

typedef struct progress {
    int statuses[8];
    int n;
    int with_body;
} progress;

static void on_progress(void *user, const mcgk_sip_msg *m)
{
    progress *p = user;
    if (p->n < 8)
        p->statuses[p->n++] = m->status;
    if (m->body_len > 0)
        p->with_body = 1;
}

/* R-002-17, R-002-18, R-002-19 through the controller, over sockets. */
static void test_ua_group_call_R_002_17_R_002_18_R_002_19(void)
{
    mcgk_ctl_server *s = controller(NULL, 0, 3000);
    char reg[64], target[96];
    snprintf(reg, sizeof reg, "sip:%s", mcgk_ctl_server_sent_by(s));
    snprintf(target, sizeof target, "sip:group1@%s", mcgk_ctl_server_sent_by(s));
    static member m[3];
    memset(m, 0, sizeof m);
    const char *aors[] = {"sip:bob@example.org", "sip:carol@example.org", "sip:dave@example.org"};
    for (int i = 0; i < 3; i++) {
        m[i].status = 200;
        m[i].ua = ua_new(&m[i], "member");
        int st = 0;
        CHECK_OK(mcgk_sip_ua_register(m[i].ua, reg, aors[i], 600, &st));
        CHECK(st == 200);
    }
    mcgk_sip_ua *caller = ua_new(NULL, "alice");
    progress pr;
    memset(&pr, 0, sizeof pr);
    mcgk_sip_ua_invite_params p;
    memset(&p, 0, sizeof p);
    p.target_uri = target;
    p.from_uri = "sip:alice@example.org";
    p.to_uri = "sip:group1@example.org";
    p.body = (const uint8_t *)k_offer;
    p.body_len = strlen(k_offer);
    p.on_provisional = on_progress;
    p.user = &pr;
    mcgk_sip_ua_result res;
    mcgk_sip_ua_call *call = NULL;
    CHECK_OK(mcgk_sip_ua_invite(caller, &p, &res, &call));
    CHECK(res.status == 200 && call != NULL);
    CHECK(strcmp(res.content_type, "application/sdp") == 0 && res.body_len > 0);
    CHECK(mcgk_ctl_sdp_has_key_mgmt(res.body, res.body_len) == 0); /* R-002-19 */
    CHECK(pr.n >= 2 && pr.statuses[0] == 100 && pr.statuses[1] == 183 && !pr.with_body);
    mcgk_sip_ua_result_clear(&res);
    for (int i = 0; i < 3; i++) {
        wait_until(&m[i].offers, 1, 10);
        CHECK(atomic_load(&m[i].offers) == 1);
        pthread_mutex_lock(&m[i].mu);
        CHECK(m[i].body_len == strlen(k_offer));
        CHECK_MEM(m[i].body, k_offer, strlen(k_offer)); /* R-002-18 */
        CHECK(strcmp(m[i].from, "sip:group1@example.org") == 0);
        pthread_mutex_unlock(&m[i].mu);
        wait_until(&m[i].acks, 1, 10);
        CHECK(atomic_load(&m[i].acks) == 1);
    }
    int st = 0;
    CHECK_OK(mcgk_sip_ua_bye(caller, call, &st));
    CHECK(st == 200);
    CHECK_ERR(mcgk_sip_ua_bye(caller, call, &st), MCGK_ERR_NOT_FOUND);
    for (int i = 0; i < 3; i++) {
        wait_until(&m[i].byes, 1, 10);
        CHECK(atomic_load(&m[i].byes) == 1);
    }
    mcgk_ctl_stats cs;
    for (int i = 0; i < 400; i++) {
        mcgk_ctl_server_get_stats(s, &cs);
        if (cs.calls == 0)
            break;
        sleep_ms(5);
    }
    CHECK(cs.calls == 0 && cs.calls_total == 1 && cs.forks_total == 3);
    mcgk_sip_ua_call_free(caller, call);
    mcgk_sip_ua_free(caller);
    for (int i = 0; i < 3; i++) {
        mcgk_sip_ua_free(m[i].ua);
        pthread_mutex_destroy(&m[i].mu);
    }
    mcgk_ctl_server_stop(s);
}

/* Direct calls: refused with 486 + Warning; unanswered and CANCELed by the caller. */
static void test_ua_refuse_and_cancel(void)
{
    static member m;
    memset(&m, 0, sizeof m);
    m.status = 486;
    m.warning = "busy elsewhere";
    m.ua = ua_new(&m, "bob");
    char target[96];
    snprintf(target, sizeof target, "sip:bob@%s",
             mcgk_sip_endpoint_sent_by(mcgk_sip_ua_endpoint(m.ua)));
    mcgk_sip_ua *caller = ua_new(NULL, "alice");
    mcgk_sip_ua_invite_params p;
    memset(&p, 0, sizeof p);
    p.target_uri = target;
    p.from_uri = "sip:alice@example.org";
    p.body = (const uint8_t *)k_offer;
    p.body_len = strlen(k_offer);
    mcgk_sip_ua_result res;
    mcgk_sip_ua_call *call = NULL;
    CHECK_ERR(mcgk_sip_ua_invite(caller, &p, &res, &call), MCGK_ERR_PEER);
    CHECK(res.status == 486 && strcmp(res.warning, "busy elsewhere") == 0 && call == NULL);
    mcgk_sip_ua_result_clear(&res);
    m.status = 0; /* never answers */
    p.cancel_after_ms = 150;
    CHECK_ERR(mcgk_sip_ua_invite(caller, &p, &res, &call), MCGK_ERR_SIP_CANCELLED);
    CHECK(res.status == 487);
    wait_until(&m.cancels, 1, 10);
    CHECK(atomic_load(&m.cancels) == 1);
    /* a BYE for no dialog: 481 */
    CHECK_ERR(mcgk_sip_ua_bye(caller, NULL, NULL), MCGK_ERR_INVALID_ARG);
    /* no on_offer: 480 */
    mcgk_sip_ua *deaf = ua_new(NULL, "deaf");
    snprintf(target, sizeof target, "sip:x@%s",
             mcgk_sip_endpoint_sent_by(mcgk_sip_ua_endpoint(deaf)));
    p.cancel_after_ms = 0;
    CHECK_ERR(mcgk_sip_ua_invite(caller, &p, &res, &call), MCGK_ERR_PEER);
    CHECK(res.status == 480);
    /* not a numeric target */
    p.target_uri = "sip:x@example.org";
    CHECK_ERR(mcgk_sip_ua_invite(caller, &p, &res, &call), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_sip_ua_register(caller, "sip:example.org", "sip:a@b", 60, NULL),
              MCGK_ERR_INVALID_ARG);
    mcgk_sip_ua_free(deaf);
    mcgk_sip_ua_free(caller);
    mcgk_sip_ua_free(m.ua);
    pthread_mutex_destroy(&m.mu);
    mcgk_sip_ua_free(NULL);
}

/* A members list: others' REGISTER gets 403; a listed member with a contact is reached
 * without registering; a call with no member answering in the window gets 480. */
static void test_ctl_server_listed_members(void)
{
    static member st;
    memset(&st, 0, sizeof st);
    st.status = 0; /* rings for ever: the window closes */
    st.ua = ua_new(&st, "static");
    char contact[96];
    CHECK_OK(mcgk_sip_ua_contact(st.ua, contact, sizeof contact));
    mcgk_ctl_member listed[] = {{"sip:kim@example.org", NULL}, {"sip:static@example.org", contact}};
    mcgk_ctl_server *s = controller(listed, 2, 300);
    char reg[64], target[96];
    snprintf(reg, sizeof reg, "sip:%s", mcgk_ctl_server_sent_by(s));
    snprintf(target, sizeof target, "sip:group1@%s", mcgk_ctl_server_sent_by(s));
    mcgk_sip_ua *other = ua_new(NULL, "mallory");
    int status = 0;
    CHECK_ERR(mcgk_sip_ua_register(other, reg, "sip:mallory@example.org", 600, &status),
              MCGK_ERR_PEER);
    CHECK(status == 403);
    mcgk_sip_ua_invite_params p;
    memset(&p, 0, sizeof p);
    p.target_uri = target;
    p.from_uri = "sip:mallory@example.org";
    p.to_uri = "sip:group1@example.org";
    p.body = (const uint8_t *)k_offer;
    p.body_len = strlen(k_offer);
    mcgk_sip_ua_result res;
    CHECK_ERR(mcgk_sip_ua_invite(other, &p, &res, NULL), MCGK_ERR_PEER);
    CHECK(res.status == 480 && strstr(res.warning, "1 timed out") != NULL);
    CHECK(atomic_load(&st.offers) == 1);
    wait_until(&st.cancels, 1, 10);
    CHECK(atomic_load(&st.cancels) == 1);
    mcgk_sip_ua_free(other);
    mcgk_ctl_server_stop(s);
    mcgk_sip_ua_free(st.ua);
    pthread_mutex_destroy(&st.mu);
    /* start-up errors */
    mcgk_ctl_server_config c;
    memset(&c, 0, sizeof c);
    c.host = "127.0.0.1";
    c.group_uri = "mailto:x@y";
    CHECK_ERR(mcgk_ctl_server_start(&c, &s), MCGK_ERR_INVALID_ARG);
    c.group_uri = "sip:g@example.org";
    mcgk_ctl_member bad[] = {{"sip:a@example.org", "sip:a@example.org"}};
    c.listed = bad;
    c.n_listed = 1;
    CHECK_ERR(mcgk_ctl_server_start(&c, &s), MCGK_ERR_INVALID_ARG);
    c.listed = NULL;
    c.host = "example.org";
    CHECK_ERR(mcgk_ctl_server_start(&c, &s), MCGK_ERR_INVALID_ARG);
    mcgk_ctl_server_stop(NULL);
}

/* Many members at once: every one gets the offer and the BYE. */
static void test_ua_many_members(void)
{
    int n = mcgk_test_quick() ? 10 : 50;
    mcgk_ctl_server *s = controller(NULL, 0, 5000);
    char reg[64], target[96];
    snprintf(reg, sizeof reg, "sip:%s", mcgk_ctl_server_sent_by(s));
    snprintf(target, sizeof target, "sip:group1@%s", mcgk_ctl_server_sent_by(s));
    member *m = calloc((size_t)n, sizeof *m);
    for (int i = 0; i < n; i++) {
        m[i].status = 200;
        m[i].ua = ua_new(&m[i], "member");
        char aor[64];
        snprintf(aor, sizeof aor, "sip:m%d@example.org", i);
        CHECK_OK(mcgk_sip_ua_register(m[i].ua, reg, aor, 600, NULL));
    }
    mcgk_sip_ua *caller = ua_new(NULL, "alice");
    mcgk_sip_ua_invite_params p;
    memset(&p, 0, sizeof p);
    p.target_uri = target;
    p.from_uri = "sip:alice@example.org";
    p.to_uri = "sip:group1@example.org";
    p.body = (const uint8_t *)k_offer;
    p.body_len = strlen(k_offer);
    mcgk_sip_ua_call *call = NULL;
    CHECK_OK(mcgk_sip_ua_invite(caller, &p, NULL, &call));
    CHECK_OK(mcgk_sip_ua_bye(caller, call, NULL));
    for (int i = 0; i < n; i++) {
        wait_until(&m[i].byes, 1, 10);
        CHECK(atomic_load(&m[i].offers) == 1 && atomic_load(&m[i].byes) == 1);
        CHECK(m[i].body_len == strlen(k_offer));
    }
    mcgk_sip_ua_call_free(caller, call);
    mcgk_sip_ua_free(caller);
    for (int i = 0; i < n; i++) {
        mcgk_sip_ua_free(m[i].ua);
        pthread_mutex_destroy(&m[i].mu);
    }
    free(m);
    mcgk_ctl_server_stop(s);
}

int main(void)
{
    mcgk_log_set_level(getenv("MCGK_TEST_SIP_LOG") ? MCGK_LOG_DEBUG : MCGK_LOG_OFF);
    TEST_RUN(test_ua_group_call_R_002_17_R_002_18_R_002_19);
    TEST_RUN(test_ua_refuse_and_cancel);
    TEST_RUN(test_ctl_server_listed_members);
    TEST_RUN(test_ua_many_members);
    TEST_MAIN_END();
}
