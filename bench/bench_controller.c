/*
 * The controller suite of mcgk-bench: the group controller's fan-out
 * latency (issue 6) with real UDP sockets on 127.0.0.1, in one process:
 * `mcgk controller serve`'s machinery (net/controller_server.h) and 100
 * members, each a SIP user agent with its own socket and thread
 * (net/sip_ua.h) registered with it, and a caller. Per call, from the
 * moment the caller sends its INVITE (with an SDP offer of ~350 octets
 * holding an a=key-mgmt:mikey line):
 *   fanout   until the last of the 100 members has the INVITE
 *   final    until the caller has its final 200 (answer policy "first": the
 *            first member's 2xx; "all": every member's)
 * then the caller hangs up and the next call starts once every member has
 * its BYE. Reported: p50 and p99 over the calls, in microseconds
 * (controller_<what>_<members>_p50/_p99; no counterpart: "-"), and as a '#'
 * line in milliseconds. MCGK_BENCH_CTL_MEMBERS overrides the 100.
 *
 * Secrets: none.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "mcgk/controller.h"
#include "mcgk/platform.h"
#include "net/controller_server.h"
#include "net/sip_ua.h"
#include "platform/log.h"

#define MAX_MEMBERS 1000

static const char k_offer[] =
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 127.0.0.1\r\n"
    "s=group call\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "a=key-mgmt:mikey AQQFgAAfSrZ6AAAAAAAAAAAAAAAKAhMCf5ESOf5qDx8g5KbEiTIa3zaSzPQ9aQ0AAQECAAAACQs"
    "AAAAAOAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n"
    "m=audio 49170 RTP/SAVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

static const char k_answer[] = "v=0\r\no=member 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
                               "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 49170 RTP/SAVP 0\r\n";

typedef struct member {
    mcgk_sip_ua *ua;
} member;

/* Across all members: INVITEs and BYEs received, and when the latest INVITE came. */
static atomic_int g_offers, g_byes;
static _Atomic uint64_t g_last_ns;

static void member_offer(void *ctx, const mcgk_sip_ua_offer *o, mcgk_sip_ua_answer *a)
{
    (void)o;
    (void)ctx;
    uint64_t now = mcgk_monotonic_ns(), prev = atomic_load(&g_last_ns);
    while (now > prev && !atomic_compare_exchange_weak(&g_last_ns, &prev, now))
        ;
    atomic_fetch_add(&g_offers, 1);
    a->status = 200;
    a->body = (const uint8_t *)k_answer;
    a->body_len = sizeof k_answer - 1;
}

static void member_event(void *ctx, mcgk_sip_ua_event ev, const char *call_id)
{
    (void)call_id;
    (void)ctx;
    if (ev == MCGK_SIP_UA_EV_BYE)
        atomic_fetch_add(&g_byes, 1);
}

/* Wait (at most 5 s) until *v reaches want. */
static int wait_count(atomic_int *v, int want)
{
    for (int i = 0; i < 25000; i++) {
        if (atomic_load(v) >= want)
            return 1;
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(double *v, size_t n, double p)
{
    if (n == 0)
        return -1.0;
    qsort(v, n, sizeof *v, cmp_double);
    size_t k = (size_t)(p * (double)n + 0.999999); /* nearest rank */
    if (k == 0)
        k = 1;
    if (k > n)
        k = n;
    return v[k - 1];
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One run: a controller with this policy, n members, calls calls. */
static void run_policy(const bench_opts *o, member *m, int n, mcgk_ctl_policy policy,
                       const char *tag)
{
    mcgk_ctl_server_config cc;
    memset(&cc, 0, sizeof cc);
    cc.host = "127.0.0.1";
    cc.group_uri = "sip:group1@example.org";
    cc.policy = policy;
    mcgk_ctl_server *srv = NULL;
    if (mcgk_ctl_server_start(&cc, &srv) != MCGK_OK) {
        bench_fail("controller: cannot start");
        return;
    }
    char reg[64], target[96];
    snprintf(reg, sizeof reg, "sip:%s", mcgk_ctl_server_sent_by(srv));
    snprintf(target, sizeof target, "sip:group1@%s", mcgk_ctl_server_sent_by(srv));
    for (int i = 0; i < n; i++) {
        char aor[64];
        snprintf(aor, sizeof aor, "sip:member%d@example.org", i);
        if (mcgk_sip_ua_register(m[i].ua, reg, aor, 3600, NULL) != MCGK_OK) {
            bench_fail("controller: a member could not register");
            mcgk_ctl_server_stop(srv);
            return;
        }
    }
    mcgk_sip_ua_config uc;
    memset(&uc, 0, sizeof uc);
    uc.host = "127.0.0.1";
    uc.user = "alice";
    mcgk_sip_ua *caller = NULL;
    if (mcgk_sip_ua_new(&uc, &caller) != MCGK_OK) {
        bench_fail("controller: no caller");
        mcgk_ctl_server_stop(srv);
        return;
    }
    int calls = o->calls + o->warmup;
    double *fan = calloc((size_t)calls, sizeof *fan), *fin = calloc((size_t)calls, sizeof *fin);
    size_t nf = 0;
    int failed = 0;
    for (int c = 0; c < calls && !failed; c++) {
        atomic_store(&g_offers, 0);
        atomic_store(&g_byes, 0);
        atomic_store(&g_last_ns, 0);
        mcgk_sip_ua_invite_params p;
        memset(&p, 0, sizeof p);
        p.target_uri = target;
        p.from_uri = "sip:alice@example.org";
        p.to_uri = "sip:group1@example.org";
        p.body = (const uint8_t *)k_offer;
        p.body_len = sizeof k_offer - 1;
        mcgk_sip_ua_call *call = NULL;
        uint64_t t0 = mcgk_monotonic_ns();
        mcgk_err e = mcgk_sip_ua_invite(caller, &p, NULL, &call);
        uint64_t t1 = mcgk_monotonic_ns();
        if (e != MCGK_OK) {
            fprintf(stderr, "controller bench: call %d: %s\n", c, mcgk_err_name(e));
            failed = 1;
            break;
        }
        /* every member has it (policy "first" may answer before the last one) */
        uint64_t last = wait_count(&g_offers, n) ? atomic_load(&g_last_ns) : 0;
        if (last == 0) {
            fprintf(stderr, "controller bench: call %d: not every member got the INVITE\n", c);
            failed = 1;
        }
        if (c >= o->warmup && !failed) {
            fan[nf] = (double)(last - t0) / 1e3;
            fin[nf] = (double)(t1 - t0) / 1e3;
            nf++;
        }
        (void)mcgk_sip_ua_bye(caller, call, NULL);
        mcgk_sip_ua_call_free(caller, call);
        if (!failed && !wait_count(&g_byes, n)) {
            fprintf(stderr, "controller bench: call %d: not every member got the BYE\n", c);
            failed = 1;
        }
        sleep_ms(20); /* let the last ACKs and 200s settle before the next call */
    }
    if (failed) {
        bench_fail("controller: a call failed");
    } else {
        char op[64];
        double f50 = percentile(fan, nf, 0.50), f99 = percentile(fan, nf, 0.99);
        double a50 = percentile(fin, nf, 0.50), a99 = percentile(fin, nf, 0.99);
        snprintf(op, sizeof op, "controller_fanout_%d_%s_p50", n, tag);
        bench_report(op, f50, -1.0);
        snprintf(op, sizeof op, "controller_fanout_%d_%s_p99", n, tag);
        bench_report(op, f99, -1.0);
        snprintf(op, sizeof op, "controller_final200_%d_%s_p50", n, tag);
        bench_report(op, a50, -1.0);
        snprintf(op, sizeof op, "controller_final200_%d_%s_p99", n, tag);
        bench_report(op, a99, -1.0);
        printf("# controller, %d members, policy %s, %zu calls: INVITE -> all members have it "
               "p50 %.2f ms p99 %.2f ms; -> caller's 200 p50 %.2f ms p99 %.2f ms\n",
               n, tag, nf, f50 / 1e3, f99 / 1e3, a50 / 1e3, a99 / 1e3);
        fflush(stdout);
    }
    free(fan);
    free(fin);
    mcgk_sip_ua_free(caller);
    mcgk_ctl_server_stop(srv);
}

static void run_controller(const bench_opts *o)
{
    mcgk_log_set_level(MCGK_LOG_WARN);
    int n = 100;
    const char *env = getenv("MCGK_BENCH_CTL_MEMBERS");
    if (env != NULL && atoi(env) > 0)
        n = atoi(env) > MAX_MEMBERS ? MAX_MEMBERS : atoi(env);
    member *m = calloc((size_t)n, sizeof *m);
    if (m == NULL) {
        bench_fail("controller: no memory");
        return;
    }
    int ok = 1;
    for (int i = 0; i < n && ok; i++) {
        mcgk_sip_ua_config c;
        memset(&c, 0, sizeof c);
        c.host = "127.0.0.1";
        c.user = "member";
        c.on_offer = member_offer;
        c.on_event = member_event;
        c.ctx = &m[i];
        ok = mcgk_sip_ua_new(&c, &m[i].ua) == MCGK_OK;
    }
    if (!ok)
        bench_fail("controller: cannot start the members");
    else {
        run_policy(o, m, n, MCGK_CTL_ANSWER_FIRST, "first");
        run_policy(o, m, n, MCGK_CTL_ANSWER_ALL, "all");
    }
    for (int i = 0; i < n; i++)
        mcgk_sip_ua_free(m[i].ua);
    free(m);
    mcgk_log_set_level(MCGK_LOG_INFO);
}

BENCH_SUITE("controller", "-", run_controller)
