/*
 * The group controller's shell: SIP over UDP around the sans-I/O
 * controller. See net/controller_server.h and docs/controller.md.
 * RFC 3261 §10.3 (the registrar is the member list), §13-§15 through
 * mcgk/controller.h; the transactions are net/sip_txn.h's.
 *
 * Secrets: none.
 */
#include "net/controller_server.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/platform.h"
#include "net/sip_registrar.h"
#include "net/sip_transport.h"
#include "platform/log.h"

#define COMP "controller"
#define LOOP_WAIT_MS 100
#define STATIC_EXPIRY_S (100ull * 365 * 86400) /* "for good" */

struct mcgk_ctl_server {
    mcgk_sip_endpoint *ep;
    mcgk_sip_registrar *reg;
    pthread_mutex_t mu; /* guards ctl (the loop thread and stats readers) */
    mcgk_ctl *ctl;
    char group[MCGK_SIP_URI_MAX];
    char **listed; /* sorted canonical AORs allowed to register; NULL = anyone */
    size_t n_listed;
    mcgk_sip_binding *bindings; /* scratch for the member list of an INVITE */
    mcgk_ctl_member *members;
    size_t list_cap;
    pthread_t thread;
    int started;
    atomic_int stop;
};

/* What an INVITE or BYE of ours carries back to its callback. */
typedef struct ref {
    mcgk_ctl_server *s;
    uint64_t fork;
    char label[MCGK_SIP_URI_MAX]; /* for the log: the member's AOR, or "caller" */
} ref;

static uint64_t now_ms(void)
{
    return mcgk_monotonic_ns() / 1000000u;
}

static const char *q(const char *v, char *buf, size_t cap)
{
    return mcgk_log_quote(v, buf, cap);
}

/* ---- actions ---------------------------------------------------------------------------- */

static void log_report(const mcgk_ctl_report *r)
{
    char cid[96], caller[MCGK_SIP_URI_MAX + 8];
    q(r->call_id, cid, sizeof cid);
    q(r->caller, caller, sizeof caller);
    if (r->kind == MCGK_CTL_REPORT_ANSWERED) {
        mcgk_log(MCGK_LOG_INFO, COMP, "call-answered",
                 "call_id=%s caller=%s status=%d members=%zu reached=%zu answered=%zu "
                 "refused=%zu timeout=%zu unreachable=%zu setup_ms=%llu key_mgmt=%s",
                 cid, caller, r->caller_status, r->members, r->reached, r->answered, r->refused,
                 r->timeouts, r->unreachable, (unsigned long long)r->setup_ms,
                 r->key_mgmt ? "yes" : "no");
    } else if (r->members == 0) {
        mcgk_log(MCGK_LOG_INFO, COMP, "call-refused",
                 "call_id=%s caller=%s status=%d result=%s key_mgmt=%s", cid, caller,
                 r->caller_status, mcgk_err_name(r->result), r->key_mgmt ? "yes" : "no");
    } else {
        mcgk_log(MCGK_LOG_INFO, COMP, "call-ended",
                 "call_id=%s caller=%s result=%s caller_status=%d members=%zu reached=%zu "
                 "answered=%zu refused=%zu timeout=%zu unreachable=%zu cancelled=%zu left=%zu "
                 "duration_ms=%llu",
                 cid, caller, r->result == MCGK_OK ? "ok" : mcgk_err_name(r->result),
                 r->caller_status, r->members, r->reached, r->answered, r->refused, r->timeouts,
                 r->unreachable, r->cancelled, r->left, (unsigned long long)r->duration_ms);
    }
}

static void on_fork_provisional(void *user, mcgk_sip_endpoint *ep, uint64_t txn, mcgk_err result,
                                const mcgk_sip_msg *resp);
static void on_fork_final(void *user, mcgk_sip_endpoint *ep, uint64_t txn, mcgk_err result,
                          const mcgk_sip_msg *resp);
static void on_bye_done(void *user, mcgk_sip_endpoint *ep, uint64_t txn, mcgk_err result,
                        const mcgk_sip_msg *resp);

static ref *new_ref(mcgk_ctl_server *s, uint64_t fork, const char *label)
{
    ref *r = calloc(1, sizeof *r);
    if (r != NULL) {
        r->s = s;
        r->fork = fork;
        snprintf(r->label, sizeof r->label, "%s", label ? label : "");
    }
    return r;
}

/* Do what the controller asks, in order (s->mu held). */
static void take_actions(mcgk_ctl_server *s, const char *call_id)
{
    mcgk_ctl_action a;
    size_t sent = 0, failed = 0;
    uint64_t t0_ns = mcgk_monotonic_ns();
    while (mcgk_ctl_next_action(s->ctl, &a)) {
        mcgk_sip_peer to;
        uint64_t txn = 0;
        mcgk_err e = MCGK_OK;
        switch (a.type) {
        case MCGK_CTL_ACT_RESPOND:
            e = mcgk_sip_endpoint_respond(s->ep, a.txn, &a.resp);
            break;
        case MCGK_CTL_ACT_INVITE: {
            ref *r = new_ref(s, a.fork, a.req.to_uri);
            e = r == NULL ? MCGK_ERR_NO_MEMORY : mcgk_sip_peer_from_uri(&to, a.target);
            if (e == MCGK_OK)
                e = mcgk_sip_endpoint_invite(s->ep, &to, &a.req, on_fork_provisional,
                                             on_fork_final, r, &txn);
            if (e != MCGK_OK) {
                char aor[MCGK_SIP_URI_MAX + 8];
                mcgk_log(MCGK_LOG_WARN, COMP, "member-unreachable", "aor=%s error=%s",
                         q(a.req.to_uri, aor, sizeof aor), mcgk_err_name(e));
                free(r);
                failed++;
            } else {
                sent++;
            }
            mcgk_ctl_on_fork_sent(s->ctl, now_ms(), a.fork, e, txn);
            e = MCGK_OK;
            break;
        }
        case MCGK_CTL_ACT_ACK:
            e = mcgk_sip_endpoint_ack(s->ep, a.txn);
            break;
        case MCGK_CTL_ACT_CANCEL:
            e = mcgk_sip_endpoint_cancel(s->ep, a.txn);
            break;
        case MCGK_CTL_ACT_BYE: {
            ref *r = new_ref(s, a.fork, a.fork == UINT64_MAX ? "caller" : a.req.to_uri);
            e = r == NULL ? MCGK_ERR_NO_MEMORY : mcgk_sip_peer_from_uri(&to, a.target);
            if (e == MCGK_OK)
                e = mcgk_sip_endpoint_request(s->ep, &to, &a.req, on_bye_done, r, NULL);
            if (e != MCGK_OK)
                free(r);
            break;
        }
        case MCGK_CTL_ACT_REPORT:
            log_report(a.report);
            break;
        }
        if (e != MCGK_OK)
            mcgk_log(MCGK_LOG_WARN, COMP, "action-failed", "action=%d error=%s", (int)a.type,
                     mcgk_err_name(e));
    }
    if (sent + failed > 0) {
        /* send_us: handing every member's INVITE to the kernel (bench/bench_controller.c) */
        char cid[96];
        mcgk_log(MCGK_LOG_INFO, COMP, "call-fanout",
                 "call_id=%s members=%zu sent=%zu failed=%zu send_us=%llu",
                 q(call_id ? call_id : "", cid, sizeof cid), sent + failed, sent, failed,
                 (unsigned long long)((mcgk_monotonic_ns() - t0_ns) / 1000));
    }
}

/* ---- the members' answers --------------------------------------------------------------- */

static void on_fork_provisional(void *user, mcgk_sip_endpoint *ep, uint64_t txn, mcgk_err result,
                                const mcgk_sip_msg *resp)
{
    (void)ep;
    (void)txn;
    (void)result;
    ref *r = user;
    pthread_mutex_lock(&r->s->mu);
    mcgk_ctl_on_fork_provisional(r->s->ctl, now_ms(), r->fork, resp);
    take_actions(r->s, NULL);
    pthread_mutex_unlock(&r->s->mu);
}

static void on_fork_final(void *user, mcgk_sip_endpoint *ep, uint64_t txn, mcgk_err result,
                          const mcgk_sip_msg *resp)
{
    (void)ep;
    (void)txn;
    ref *r = user;
    char aor[MCGK_SIP_URI_MAX + 8];
    /* R-002-19: a member's answer should carry no security content; say if one does */
    int km = resp != NULL && mcgk_ctl_sdp_has_key_mgmt(resp->body, resp->body_len);
    mcgk_log(km ? MCGK_LOG_WARN : MCGK_LOG_DEBUG, COMP, "member-answer",
             "aor=%s status=%d result=%s key_mgmt=%s", q(r->label, aor, sizeof aor),
             resp ? resp->status : 0, result == MCGK_OK ? "ok" : mcgk_err_name(result),
             km ? "yes" : "no");
    pthread_mutex_lock(&r->s->mu);
    mcgk_ctl_on_fork_final(r->s->ctl, now_ms(), r->fork, result, resp);
    take_actions(r->s, NULL);
    pthread_mutex_unlock(&r->s->mu);
    free(r);
}

static void on_bye_done(void *user, mcgk_sip_endpoint *ep, uint64_t txn, mcgk_err result,
                        const mcgk_sip_msg *resp)
{
    (void)ep;
    (void)txn;
    ref *r = user;
    char who[MCGK_SIP_URI_MAX + 8];
    mcgk_log(result == MCGK_OK ? MCGK_LOG_DEBUG : MCGK_LOG_INFO, COMP, "bye-answered",
             "to=%s status=%d result=%s", q(r->label, who, sizeof who), resp ? resp->status : 0,
             result == MCGK_OK ? "ok" : mcgk_err_name(result));
    free(r);
}

/* ---- requests ---------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int is_listed(const mcgk_ctl_server *s, const char *uri)
{
    char aor[MCGK_SIP_URI_MAX];
    if (mcgk_sip_uri_aor(uri, aor, sizeof aor) != MCGK_OK)
        return 0;
    const char *key = aor;
    return bsearch(&key, s->listed, s->n_listed, sizeof *s->listed, cmp_str) != NULL;
}

static void respond(mcgk_sip_endpoint *ep, uint64_t txn, int status, const char *warning)
{
    mcgk_sip_response_params p;
    memset(&p, 0, sizeof p);
    p.status = status;
    if (warning != NULL) {
        p.warning_code = 399;
        p.warning_text = warning;
    }
    (void)mcgk_sip_endpoint_respond(ep, txn, &p);
}

static void on_invite(mcgk_ctl_server *s, mcgk_sip_endpoint *ep, uint64_t txn,
                      const mcgk_sip_msg *req)
{
    size_t n = 0, total = 0;
    (void)mcgk_sip_registrar_list(s->reg, mcgk_now_unix_s(), s->bindings, s->list_cap, &n,
                                  &total);
    for (size_t i = 0; i < n; i++) {
        s->members[i].aor = s->bindings[i].aor;
        s->members[i].contact = s->bindings[i].contact;
    }
    pthread_mutex_lock(&s->mu);
    mcgk_err e = mcgk_ctl_on_invite(s->ctl, now_ms(), txn, req, s->members, n);
    take_actions(s, req->call_id);
    pthread_mutex_unlock(&s->mu);
    if (e != MCGK_OK) {
        mcgk_log(MCGK_LOG_ERROR, COMP, "invite-failed", "error=%s", mcgk_err_name(e));
        respond(ep, txn, 500, NULL);
    }
}

static void on_request(void *ctx, mcgk_sip_endpoint *ep, uint64_t txn, const mcgk_sip_peer *from,
                       const mcgk_sip_msg *req)
{
    (void)from;
    mcgk_ctl_server *s = ctx;
    int reg = strcmp(req->method, "REGISTER") == 0, sub = strcmp(req->method, "SUBSCRIBE") == 0;
    if (reg || sub) {
        const char *who = reg ? req->to_uri : req->from_uri;
        if (s->listed != NULL && !is_listed(s, who)) {
            char aor[MCGK_SIP_URI_MAX + 8];
            mcgk_log(MCGK_LOG_INFO, COMP, "register-refused", "aor=%s reason=not-listed",
                     q(who, aor, sizeof aor));
            respond(ep, txn, 403, "not a member of this group");
            return;
        }
        (void)mcgk_sip_registrar_on_request(s->reg, ep, txn, req);
        return;
    }
    if (strcmp(req->method, "INVITE") == 0) {
        on_invite(s, ep, txn, req);
        return;
    }
    pthread_mutex_lock(&s->mu);
    int handled = mcgk_ctl_on_request(s->ctl, now_ms(), txn, req);
    take_actions(s, NULL);
    pthread_mutex_unlock(&s->mu);
    if (handled)
        return;
    if (strcmp(req->method, "BYE") == 0)
        respond(ep, txn, 481, NULL); /* RFC 3261 §15.1.2 */
    else if (strcmp(req->method, "OPTIONS") == 0)
        respond(ep, txn, 200, NULL);
    else
        respond(ep, txn, 405, NULL);
}

static void on_txn_event(void *ctx, mcgk_sip_endpoint *ep, uint64_t txn, mcgk_sip_txn_event what,
                         const mcgk_sip_msg *msg)
{
    (void)ep;
    (void)msg;
    mcgk_ctl_server *s = ctx;
    pthread_mutex_lock(&s->mu);
    if (what == MCGK_SIP_TXN_ACK)
        mcgk_ctl_on_caller_ack(s->ctl, now_ms(), txn);
    else if (what == MCGK_SIP_TXN_CANCEL)
        mcgk_ctl_on_caller_cancel(s->ctl, now_ms(), txn);
    else
        mcgk_ctl_on_caller_no_ack(s->ctl, now_ms(), txn);
    take_actions(s, NULL);
    pthread_mutex_unlock(&s->mu);
}

static void on_binding(void *ctx, const mcgk_sip_binding *b, int removed)
{
    (void)ctx;
    char aor[MCGK_SIP_URI_MAX + 8], ct[MCGK_SIP_URI_MAX + 8];
    uint64_t now = mcgk_now_unix_s();
    mcgk_log(MCGK_LOG_INFO, COMP, removed ? "member-removed" : "member-registered",
             "aor=%s contact=%s expires=%llu", q(b->aor, aor, sizeof aor),
             q(b->contact, ct, sizeof ct),
             (unsigned long long)(b->expires_unix_s > now ? b->expires_unix_s - now : 0));
}

/* ---- the loop ---------------------------------------------------------------------------- */

static void *loop(void *arg)
{
    mcgk_ctl_server *s = arg;
    while (!atomic_load(&s->stop)) {
        uint64_t dl, now = now_ms();
        int wait = LOOP_WAIT_MS;
        pthread_mutex_lock(&s->mu);
        int have = mcgk_ctl_next_deadline(s->ctl, &dl);
        pthread_mutex_unlock(&s->mu);
        if (have)
            wait = dl <= now ? 0 : dl - now < LOOP_WAIT_MS ? (int)(dl - now) : LOOP_WAIT_MS;
        mcgk_sip_endpoint_run_once(s->ep, wait);
        pthread_mutex_lock(&s->mu);
        mcgk_ctl_expire(s->ctl, now_ms());
        take_actions(s, NULL);
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

/* ---- start / stop ------------------------------------------------------------------------ */

static mcgk_err load_listed(mcgk_ctl_server *s, const mcgk_ctl_server_config *cfg)
{
    if (cfg->n_listed == 0)
        return MCGK_OK;
    s->listed = calloc(cfg->n_listed, sizeof *s->listed);
    if (s->listed == NULL)
        return MCGK_ERR_NO_MEMORY;
    for (size_t i = 0; i < cfg->n_listed; i++) {
        const mcgk_ctl_member *m = &cfg->listed[i];
        char aor[MCGK_SIP_URI_MAX];
        if (m->aor == NULL || mcgk_sip_uri_aor(m->aor, aor, sizeof aor) != MCGK_OK)
            return MCGK_ERR_INVALID_ARG;
        if ((s->listed[s->n_listed++] = strdup(aor)) == NULL)
            return MCGK_ERR_NO_MEMORY;
        if (m->contact != NULL) {
            mcgk_err e = mcgk_sip_registrar_bind(s->reg, aor, m->contact,
                                                 mcgk_now_unix_s() + STATIC_EXPIRY_S);
            if (e != MCGK_OK)
                return e == MCGK_ERR_SIP_MALFORMED ? MCGK_ERR_INVALID_ARG : e;
        }
    }
    qsort(s->listed, s->n_listed, sizeof *s->listed, cmp_str);
    return MCGK_OK;
}

mcgk_err mcgk_ctl_server_start(const mcgk_ctl_server_config *cfg, mcgk_ctl_server **out)
{
    if (cfg == NULL || out == NULL || cfg->host == NULL || cfg->group_uri == NULL ||
        (cfg->listed == NULL && cfg->n_listed > 0))
        return MCGK_ERR_INVALID_ARG;
    mcgk_ctl_server *s = calloc(1, sizeof *s);
    if (s == NULL)
        return MCGK_ERR_NO_MEMORY;
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        free(s);
        return MCGK_ERR_NO_MEMORY;
    }
    snprintf(s->group, sizeof s->group, "%s", cfg->group_uri);
    const mcgk_rng *rng = cfg->rng ? cfg->rng : mcgk_rng_system();
    uint32_t t1 = cfg->t1_ms ? cfg->t1_ms : 500;
    uint32_t window = cfg->answer_timeout_ms ? cfg->answer_timeout_ms
                                             : MCGK_CTL_DEFAULT_ANSWER_TIMEOUT_MS;
    size_t max_members = cfg->max_members ? cfg->max_members : MCGK_CTL_DEFAULT_MAX_MEMBERS;
    mcgk_err e = MCGK_OK;
    if (strlen(cfg->group_uri) >= MCGK_SIP_URI_MAX || max_members > MCGK_CTL_LIMIT_MAX_MEMBERS)
        e = MCGK_ERR_INVALID_ARG;
    s->list_cap = max_members + 2; /* the caller may be one; one more shows "too many" */
    s->bindings = e == MCGK_OK ? calloc(s->list_cap, sizeof *s->bindings) : NULL;
    s->members = e == MCGK_OK ? calloc(s->list_cap, sizeof *s->members) : NULL;
    if (e == MCGK_OK && (s->bindings == NULL || s->members == NULL))
        e = MCGK_ERR_NO_MEMORY;
    if (e == MCGK_OK) {
        mcgk_sip_registrar_config rc;
        memset(&rc, 0, sizeof rc);
        rc.local_uri = cfg->group_uri;
        rc.max_bindings = 2 * max_members + 16; /* a fuller group is refused per call */
        rc.on_binding = on_binding;
        rc.ctx = s;
        rc.rng = rng;
        e = mcgk_sip_registrar_new(&rc, &s->reg);
    }
    if (e == MCGK_OK)
        e = load_listed(s, cfg);
    if (e == MCGK_OK) {
        mcgk_sip_endpoint_config ec;
        memset(&ec, 0, sizeof ec);
        ec.host = cfg->host;
        ec.port = cfg->port;
        ec.t1_ms = t1;
        ec.t2_ms = t1 > MCGK_SIP_T2_MS ? t1 : 0;
        /* fan-outs with their CANCELs, ACKed finals (kept 32 s) and BYEs; REGISTERs */
        ec.max_client_txns = 4 * max_members + 64;
        ec.max_server_txns = 2 * max_members + 16 * (cfg->max_calls ? cfg->max_calls : 64) + 64;
        ec.on_request = on_request;
        ec.on_txn_event = on_txn_event;
        ec.ctx = s;
        ec.rng = rng;
        ec.log_comp = COMP;
        ec.accept_invite = 1;
        /* the controller answers within its window; the engine's 408 only if it did not */
        ec.tu_timeout_ms = window + 64 * t1;
        e = mcgk_sip_endpoint_new(&ec, &s->ep);
    }
    char contact[MCGK_SIP_URI_MAX], host[80];
    if (e == MCGK_OK) {
        /* our Contact: the group's user part at our address */
        char user[MCGK_SIP_URI_MAX] = "group";
        const char *c = strchr(cfg->group_uri, ':'), *at = c ? strchr(c, '@') : NULL;
        if (c != NULL && at != NULL && (size_t)(at - c - 1) < sizeof user && at > c + 1)
            snprintf(user, sizeof user, "%.*s", (int)(at - c - 1), c + 1);
        e = mcgk_sip_endpoint_contact(s->ep, user, contact, sizeof contact);
        if (e != MCGK_OK)
            e = mcgk_sip_endpoint_contact(s->ep, "group", contact, sizeof contact);
        snprintf(host, sizeof host, "%s", cfg->host);
    }
    if (e == MCGK_OK) {
        mcgk_ctl_config cc;
        memset(&cc, 0, sizeof cc);
        cc.group_uri = cfg->group_uri;
        cc.contact_uri = contact;
        cc.host = host;
        cc.policy = cfg->policy;
        cc.max_members = max_members;
        cc.max_calls = cfg->max_calls;
        cc.answer_timeout_ms = window;
        cc.rng = rng;
        e = mcgk_ctl_new(&cc, &s->ctl);
    }
    if (e == MCGK_OK) {
        atomic_store(&s->stop, 0);
        if (pthread_create(&s->thread, NULL, loop, s) != 0)
            e = MCGK_ERR_IO;
        else
            s->started = 1;
    }
    if (e != MCGK_OK) {
        mcgk_ctl_server_stop(s);
        return e;
    }
    char g[MCGK_SIP_URI_MAX + 8];
    mcgk_log(MCGK_LOG_INFO, COMP, "serving",
             "group=%s addr=%s policy=%s answer_timeout_ms=%u max_members=%zu listed=%zu",
             q(cfg->group_uri, g, sizeof g), mcgk_sip_endpoint_sent_by(s->ep),
             cfg->policy == MCGK_CTL_ANSWER_ALL ? "all" : "first", (unsigned)window, max_members,
             s->n_listed);
    *out = s;
    return MCGK_OK;
}

uint16_t mcgk_ctl_server_port(const mcgk_ctl_server *srv)
{
    return mcgk_sip_endpoint_port(srv->ep);
}

const char *mcgk_ctl_server_sent_by(const mcgk_ctl_server *srv)
{
    return mcgk_sip_endpoint_sent_by(srv->ep);
}

void mcgk_ctl_server_get_stats(mcgk_ctl_server *srv, mcgk_ctl_stats *st)
{
    pthread_mutex_lock(&srv->mu);
    mcgk_ctl_get_stats(srv->ctl, st);
    pthread_mutex_unlock(&srv->mu);
}

void mcgk_ctl_server_stop(mcgk_ctl_server *s)
{
    if (s == NULL)
        return;
    if (s->started) {
        atomic_store(&s->stop, 1);
        pthread_join(s->thread, NULL);
    }
    /* requests still waiting end with sip-closed through the callbacks, here */
    mcgk_sip_endpoint_free(s->ep);
    mcgk_ctl_free(s->ctl);
    mcgk_sip_registrar_free(s->reg);
    for (size_t i = 0; i < s->n_listed; i++)
        free(s->listed[i]);
    free(s->listed);
    free(s->bindings);
    free(s->members);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
