/*
 * The group controller, sans-I/O (seed requirements R-002-11..19; RFC 3261
 * §13 INVITE, §15 BYE, §9 CANCEL, §8.2.2.2 merged requests, §12 dialogs).
 * Contract: see mcgk/controller.h; the design is in docs/controller.md.
 *
 * Data: a small table of calls (max_calls, searched linearly: a call is
 * found by its id, its INVITE's server transaction or a Call-ID); per call
 * an array of members ("forks": one INVITE, one dialog each) addressed by
 * fork ids (call id << 24 | index); a FIFO of actions for the shell. A call
 * that is over stays until every member's INVITE transaction has ended,
 * then is freed at the next input that finds the action queue empty, so
 * the pointers in actions already taken stay valid until then.
 *
 * The controller copies the caller's SDP body and Content-Type into every
 * member's INVITE unchanged (R-002-18) and never reads the MIKEY message
 * in it; its own answers (183, 200) carry no key material (R-002-17, -19).
 *
 * Secrets: none.
 */
#include "mcgk/controller.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CALL_GATHERING, CALL_ANSWERED, CALL_CONFIRMED, CALL_ENDED };
/* a member: F_NEW until the shell sent its INVITE; pending = NEW, TRYING or RINGING */
enum { F_NEW, F_TRYING, F_RINGING, F_ANSWERED, F_DONE };
enum { CNT_NONE, CNT_ANSWERED, CNT_REFUSED, CNT_TIMEOUT, CNT_UNREACHABLE, CNT_CANCELLED };

#define FORK_BITS 24
#define TOKEN_LEN 40

typedef struct member {
    int state;
    int counted;   /* CNT_*: each member counts once (a late 2xx moves it to answered) */
    int reached;   /* any response came */
    int cancelled; /* we sent a CANCEL */
    uint64_t txn;  /* its INVITE client transaction */
    char *aor;
    char *contact;
    char *remote_target; /* the Contact of its 2xx, for the BYE (§12.1.2) */
    char remote_tag[MCGK_SIP_TOKEN_MAX];
    char call_id[TOKEN_LEN + 16];
} member;

typedef struct counts {
    size_t reached, answered, refused, timeouts, unreachable, cancelled, left;
} counts;

typedef struct call {
    uint32_t id;
    int state;
    int dead;
    uint64_t caller_txn;
    char token[TOKEN_LEN];                    /* random: the members' Call-IDs start with it */
    char our_tag[TOKEN_LEN];                  /* To tag toward the caller, From tag of forks */
    char call_id[MCGK_SIP_VALUE_MAX];         /* the caller's dialog (§12.1.1) */
    char caller_uri[MCGK_SIP_URI_MAX];
    char caller_tag[MCGK_SIP_TOKEN_MAX];
    char caller_contact[MCGK_SIP_URI_MAX];    /* remote target of our BYE to the caller */
    char group_as_called[MCGK_SIP_URI_MAX];   /* the To URI the caller used: our From */
    uint32_t caller_cseq;
    uint32_t our_cseq;
    uint8_t *offer;                           /* the caller's SDP, as received */
    size_t offer_len;
    char offer_type[MCGK_SIP_VALUE_MAX];
    char answer[MCGK_CTL_MAX_ANSWER_LEN];     /* our SDP answer */
    size_t answer_len;
    char warning[MCGK_SIP_VALUE_MAX];
    int key_mgmt;
    int caller_status;
    uint64_t t0_ms, answered_ms, gather_deadline_ms, end_deadline_ms;
    size_t n_forks, n_pending;
    member *forks;
    counts cnt;
    mcgk_ctl_report rep_answered, rep_ended;
} call;

struct mcgk_ctl {
    char group_aor[MCGK_SIP_URI_MAX];
    char group_uri[MCGK_SIP_URI_MAX];
    char contact[MCGK_SIP_URI_MAX];
    char host[72];
    mcgk_ctl_policy policy;
    size_t max_members, max_calls;
    uint32_t answer_timeout_ms;
    uint64_t max_call_ms;
    const mcgk_rng *rng;

    call **calls; /* [0..n_calls) in use */
    size_t n_calls;
    uint32_t next_id;

    mcgk_ctl_action *q;
    size_t q_head, q_len, q_cap;

    /* a refusal before any call exists: its Warning and report */
    char ref_warning[MCGK_SIP_VALUE_MAX];
    char ref_call_id[MCGK_SIP_VALUE_MAX];
    char ref_caller[MCGK_SIP_URI_MAX];
    mcgk_ctl_report ref_report;

    mcgk_ctl_stats stats;
};

/* ---- set-up ---------------------------------------------------------------------------- */

static int copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        return 0;
    memcpy(dst, src, n + 1);
    return 1;
}

mcgk_err mcgk_ctl_new(const mcgk_ctl_config *cfg, mcgk_ctl **out)
{
    if (cfg == NULL || out == NULL || cfg->group_uri == NULL || cfg->contact_uri == NULL ||
        cfg->host == NULL || cfg->rng == NULL || cfg->max_members > MCGK_CTL_LIMIT_MAX_MEMBERS ||
        (cfg->policy != MCGK_CTL_ANSWER_FIRST && cfg->policy != MCGK_CTL_ANSWER_ALL))
        return MCGK_ERR_INVALID_ARG;
    mcgk_ctl *c = calloc(1, sizeof *c);
    if (c == NULL)
        return MCGK_ERR_NO_MEMORY;
    char tmp[MCGK_SIP_URI_MAX];
    if (!copy_str(c->group_uri, sizeof c->group_uri, cfg->group_uri) ||
        !copy_str(c->contact, sizeof c->contact, cfg->contact_uri) ||
        !copy_str(c->host, sizeof c->host, cfg->host) || cfg->host[0] == '\0' ||
        strpbrk(cfg->host, " \t\r\n") != NULL ||
        mcgk_sip_uri_aor(cfg->group_uri, c->group_aor, sizeof c->group_aor) != MCGK_OK ||
        mcgk_sip_uri_aor(cfg->contact_uri, tmp, sizeof tmp) != MCGK_OK) {
        free(c);
        return MCGK_ERR_INVALID_ARG;
    }
    c->policy = cfg->policy;
    c->max_members = cfg->max_members ? cfg->max_members : MCGK_CTL_DEFAULT_MAX_MEMBERS;
    c->max_calls = cfg->max_calls ? cfg->max_calls : MCGK_CTL_DEFAULT_MAX_CALLS;
    c->answer_timeout_ms =
        cfg->answer_timeout_ms ? cfg->answer_timeout_ms : MCGK_CTL_DEFAULT_ANSWER_TIMEOUT_MS;
    c->max_call_ms = cfg->max_call_ms ? cfg->max_call_ms : MCGK_CTL_DEFAULT_MAX_CALL_MS;
    c->rng = cfg->rng;
    c->calls = calloc(c->max_calls, sizeof *c->calls);
    if (c->calls == NULL) {
        free(c);
        return MCGK_ERR_NO_MEMORY;
    }
    *out = c;
    return MCGK_OK;
}

static void call_free(call *k)
{
    if (k == NULL)
        return;
    for (size_t i = 0; i < k->n_forks; i++) {
        free(k->forks[i].aor);
        free(k->forks[i].contact);
        free(k->forks[i].remote_target);
    }
    free(k->forks);
    free(k->offer);
    free(k);
}

void mcgk_ctl_free(mcgk_ctl *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n_calls; i++)
        call_free(c->calls[i]);
    free(c->calls);
    free(c->q);
    free(c);
}

void mcgk_ctl_get_stats(const mcgk_ctl *c, mcgk_ctl_stats *s)
{
    *s = c->stats;
    s->calls = c->n_calls;
}

/* ---- the action queue ------------------------------------------------------------------ */

static mcgk_ctl_action *push(mcgk_ctl *c, mcgk_ctl_action_type type)
{
    if (c->q_len == c->q_cap) {
        size_t cap = c->q_cap ? 2 * c->q_cap : 64;
        mcgk_ctl_action *q = realloc(c->q, cap * sizeof *q);
        if (q == NULL)
            return NULL; /* the action is lost: timers and the peers' own end the call */
        c->q = q;
        c->q_cap = cap;
    }
    mcgk_ctl_action *a = &c->q[c->q_len++];
    memset(a, 0, sizeof *a);
    a->type = type;
    return a;
}

int mcgk_ctl_next_action(mcgk_ctl *c, mcgk_ctl_action *out)
{
    if (c == NULL || out == NULL || c->q_head == c->q_len)
        return 0;
    *out = c->q[c->q_head++];
    if (c->q_head == c->q_len)
        c->q_head = c->q_len = 0;
    return 1;
}

/* Free the calls that are over, once no action can point into them any more. */
static void reap(mcgk_ctl *c)
{
    if (c->q_len != 0)
        return;
    for (size_t i = 0; i < c->n_calls;) {
        if (c->calls[i]->dead) {
            call_free(c->calls[i]);
            c->calls[i] = c->calls[--c->n_calls];
            c->calls[c->n_calls] = NULL;
        } else {
            i++;
        }
    }
}

/* ---- lookups --------------------------------------------------------------------------- */

static call *by_txn(const mcgk_ctl *c, uint64_t txn)
{
    for (size_t i = 0; i < c->n_calls; i++)
        if (c->calls[i]->caller_txn == txn && !c->calls[i]->dead)
            return c->calls[i];
    return NULL;
}

static member *by_fork(const mcgk_ctl *c, uint64_t fork, call **k_out)
{
    uint32_t id = (uint32_t)(fork >> FORK_BITS);
    size_t idx = (size_t)(fork & ((1u << FORK_BITS) - 1));
    for (size_t i = 0; i < c->n_calls; i++) {
        call *k = c->calls[i];
        if (k->id == id && idx < k->n_forks) {
            *k_out = k;
            return &k->forks[idx];
        }
    }
    return NULL;
}

static uint64_t fork_id(const call *k, size_t idx)
{
    return ((uint64_t)k->id << FORK_BITS) | idx;
}

/* A member's dialog from a request's Call-ID ("<token>-<index>"). */
static member *by_member_call_id(const mcgk_ctl *c, const char *call_id, call **k_out)
{
    for (size_t i = 0; i < c->n_calls; i++) {
        call *k = c->calls[i];
        size_t tl = strlen(k->token);
        if (strncmp(call_id, k->token, tl) != 0 || call_id[tl] != '-')
            continue;
        const char *d = call_id + tl + 1;
        size_t idx = 0;
        if (*d == '\0')
            return NULL;
        for (; *d; d++) {
            if (*d < '0' || *d > '9' || idx > MCGK_CTL_LIMIT_MAX_MEMBERS)
                return NULL;
            idx = idx * 10 + (size_t)(*d - '0');
        }
        if (idx >= k->n_forks)
            return NULL;
        *k_out = k;
        return &k->forks[idx];
    }
    return NULL;
}

/* ---- bookkeeping ----------------------------------------------------------------------- */

static int pending(const member *f)
{
    return f->state == F_NEW || f->state == F_TRYING || f->state == F_RINGING;
}

/* Members still expected to answer (pending and not CANCELed by us). */
static size_t open_forks(const call *k)
{
    size_t n = 0;
    for (size_t i = 0; i < k->n_forks; i++)
        if (pending(&k->forks[i]) && !k->forks[i].cancelled)
            n++;
    return n;
}

static size_t *counter(counts *n, int what)
{
    switch (what) {
    case CNT_ANSWERED:
        return &n->answered;
    case CNT_REFUSED:
        return &n->refused;
    case CNT_TIMEOUT:
        return &n->timeouts;
    case CNT_UNREACHABLE:
        return &n->unreachable;
    default:
        return &n->cancelled;
    }
}

/* Count member f as `what` - once; a late 2xx moves a timeout / cancelled to answered. */
static void count(call *k, member *f, int what)
{
    if (f->counted == what)
        return;
    if (f->counted != CNT_NONE) {
        if (what != CNT_ANSWERED ||
            (f->counted != CNT_TIMEOUT && f->counted != CNT_CANCELLED))
            return;
        (*counter(&k->cnt, f->counted))--;
    }
    f->counted = what;
    (*counter(&k->cnt, what))++;
}

static void reached(call *k, member *f)
{
    if (!f->reached) {
        f->reached = 1;
        k->cnt.reached++;
    }
}

/* f's INVITE transaction ended. */
static void settle(call *k, member *f, int state)
{
    if (pending(f) && k->n_pending > 0)
        k->n_pending--;
    f->state = state;
}

static void maybe_dead(call *k)
{
    if (k->state == CALL_ENDED && k->n_pending == 0)
        k->dead = 1;
}

static void fill_report(const call *k, mcgk_ctl_report *r, mcgk_ctl_report_kind kind,
                        mcgk_err result, uint64_t now_ms)
{
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->call_id = k->call_id;
    r->caller = k->caller_uri;
    r->caller_status = k->caller_status;
    r->result = result;
    r->members = k->n_forks;
    r->reached = k->cnt.reached;
    r->answered = k->cnt.answered;
    r->refused = k->cnt.refused;
    r->timeouts = k->cnt.timeouts;
    r->unreachable = k->cnt.unreachable;
    r->cancelled = k->cnt.cancelled;
    r->left = k->cnt.left;
    r->setup_ms = k->answered_ms ? k->answered_ms - k->t0_ms : 0;
    r->duration_ms = now_ms - k->t0_ms;
    r->key_mgmt = k->key_mgmt;
}

static void report(mcgk_ctl *c, call *k, mcgk_ctl_report_kind kind, mcgk_err result,
                   uint64_t now_ms)
{
    mcgk_ctl_report *r = kind == MCGK_CTL_REPORT_ANSWERED ? &k->rep_answered : &k->rep_ended;
    fill_report(k, r, kind, result, now_ms);
    mcgk_ctl_action *a = push(c, MCGK_CTL_ACT_REPORT);
    if (a != NULL)
        a->report = r;
}

/* ---- actions on a call ------------------------------------------------------------------ */

static void respond_caller(mcgk_ctl *c, call *k, int status, const char *warning, int with_sdp,
                           uint64_t now_ms)
{
    mcgk_ctl_action *a = push(c, MCGK_CTL_ACT_RESPOND);
    if (a == NULL)
        return;
    a->txn = k->caller_txn;
    a->resp.status = status;
    a->resp.to_tag = k->our_tag; /* the same tag in 183 and 200: one dialog (§12.1.1) */
    if (status < 300)
        a->resp.contact_uri = c->contact; /* §12.1.1: Contact in 1xx / 2xx that set up dialogs */
    if (warning != NULL) {
        snprintf(k->warning, sizeof k->warning, "%s", warning);
        a->resp.warning_code = 399;
        a->resp.warning_text = k->warning;
    }
    if (with_sdp) {
        a->resp.content_type = MCGK_CTL_SDP_TYPE;
        a->resp.body = (const uint8_t *)k->answer;
        a->resp.body_len = k->answer_len;
    }
    if (status >= 200) {
        k->caller_status = status;
        k->answered_ms = now_ms;
    }
}

static void member_request(const mcgk_ctl *c, const call *k, const member *f,
                           mcgk_ctl_action *a, const char *method, uint32_t cseq)
{
    a->target = f->contact;
    a->req.method = method;
    a->req.request_uri = f->remote_target != NULL ? f->remote_target : f->contact;
    a->req.from_uri = c->group_uri;
    a->req.from_tag = k->our_tag;
    a->req.to_uri = f->aor;
    a->req.to_tag = f->remote_tag[0] != '\0' ? f->remote_tag : NULL;
    a->req.call_id = f->call_id;
    a->req.cseq = cseq;
    a->req.contact_uri = c->contact;
}

static void bye_member(mcgk_ctl *c, call *k, member *f)
{
    mcgk_ctl_action *a = push(c, MCGK_CTL_ACT_BYE);
    if (a == NULL)
        return;
    a->fork = fork_id(k, (size_t)(f - k->forks));
    member_request(c, k, f, a, "BYE", 2);
}

static void cancel_member(mcgk_ctl *c, call *k, member *f, int what)
{
    if (f->cancelled || !pending(f))
        return;
    f->cancelled = 1;
    count(k, f, what);
    if (f->state == F_NEW)
        return; /* not sent (cannot happen between inputs): nothing to cancel */
    mcgk_ctl_action *a = push(c, MCGK_CTL_ACT_CANCEL);
    if (a == NULL)
        return;
    a->txn = f->txn;
    a->fork = fork_id(k, (size_t)(f - k->forks));
}

/* RFC 3261 §15: our BYE to the caller, in the dialog our 2xx set up. */
static void bye_caller(mcgk_ctl *c, call *k)
{
    mcgk_ctl_action *a = push(c, MCGK_CTL_ACT_BYE);
    if (a == NULL)
        return;
    a->fork = UINT64_MAX;
    a->target = k->caller_contact[0] != '\0' ? k->caller_contact : k->caller_uri;
    a->req.method = "BYE";
    a->req.request_uri = a->target;
    a->req.from_uri = k->group_as_called;
    a->req.from_tag = k->our_tag;
    a->req.to_uri = k->caller_uri;
    a->req.to_tag = k->caller_tag;
    a->req.call_id = k->call_id;
    a->req.cseq = ++k->our_cseq;
    a->req.contact_uri = c->contact;
}

/* End the call: BYE the members in it (and the caller when told), CANCEL the ringing ones. */
static void end_call(mcgk_ctl *c, call *k, mcgk_err result, int bye_the_caller, uint64_t now_ms)
{
    if (k->state == CALL_ENDED)
        return;
    for (size_t i = 0; i < k->n_forks; i++) {
        member *f = &k->forks[i];
        if (f->state == F_ANSWERED) {
            bye_member(c, k, f);
            f->state = F_DONE;
        } else if (pending(f)) {
            cancel_member(c, k, f, CNT_CANCELLED);
        }
    }
    if (bye_the_caller && (k->state == CALL_ANSWERED || k->state == CALL_CONFIRMED))
        bye_caller(c, k);
    k->state = CALL_ENDED;
    report(c, k, MCGK_CTL_REPORT_ENDED, result, now_ms);
    maybe_dead(k);
}

/* After any change: does the caller get its final answer now (mcgk/controller.h policy)? */
static void progress(mcgk_ctl *c, call *k, uint64_t now_ms)
{
    if (k->state != CALL_GATHERING) {
        maybe_dead(k);
        return;
    }
    size_t open = open_forks(k);
    if (k->cnt.answered > 0 && (c->policy == MCGK_CTL_ANSWER_FIRST || open == 0)) {
        respond_caller(c, k, 200, NULL, 1, now_ms);
        k->state = CALL_ANSWERED;
        report(c, k, MCGK_CTL_REPORT_ANSWERED, MCGK_OK, now_ms);
        return;
    }
    if (open > 0)
        return;
    /* nobody accepted: 480 with the counts (RFC 3261 §21.4.18) */
    char w[MCGK_SIP_VALUE_MAX];
    snprintf(w, sizeof w, "no member accepted: %zu refused, %zu timed out, %zu unreachable",
             k->cnt.refused, k->cnt.timeouts, k->cnt.unreachable);
    mcgk_err result = k->cnt.timeouts > 0       ? MCGK_ERR_SIP_TIMEOUT
                      : k->cnt.refused > 0      ? MCGK_ERR_PEER
                                                : MCGK_ERR_IO;
    respond_caller(c, k, 480, w, 0, now_ms);
    end_call(c, k, result, 0, now_ms);
}

/* ---- input: the caller's INVITE --------------------------------------------------------- */

static void refuse(mcgk_ctl *c, uint64_t now_ms, uint64_t txn, const mcgk_sip_msg *req,
                   int status, const char *warning, mcgk_err result)
{
    c->stats.calls_refused++;
    mcgk_ctl_action *a = push(c, MCGK_CTL_ACT_RESPOND);
    if (a != NULL) {
        a->txn = txn;
        a->resp.status = status;
        if (warning != NULL) {
            snprintf(c->ref_warning, sizeof c->ref_warning, "%s", warning);
            a->resp.warning_code = 399;
            a->resp.warning_text = c->ref_warning;
        }
    }
    snprintf(c->ref_call_id, sizeof c->ref_call_id, "%s", req->call_id);
    snprintf(c->ref_caller, sizeof c->ref_caller, "%s", req->from_uri);
    mcgk_ctl_report *r = &c->ref_report;
    memset(r, 0, sizeof *r);
    r->kind = MCGK_CTL_REPORT_ENDED;
    r->call_id = c->ref_call_id;
    r->caller = c->ref_caller;
    r->caller_status = status;
    r->result = result;
    r->key_mgmt = mcgk_ctl_sdp_has_key_mgmt(req->body, req->body_len);
    (void)now_ms;
    a = push(c, MCGK_CTL_ACT_REPORT);
    if (a != NULL)
        a->report = r;
}

/* "application/sdp" with any parameters, case-insensitive (RFC 3261 §7.3.1, RFC 4566 §8) */
static int is_sdp_type(const char *ct)
{
    const char *t = MCGK_CTL_SDP_TYPE;
    size_t n = strlen(t);
    for (size_t i = 0; i < n; i++) {
        char a = ct[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (a != t[i])
            return 0;
    }
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t';
}

static int same_aor(const char *uri, const char *aor)
{
    char a[MCGK_SIP_URI_MAX];
    return mcgk_sip_uri_aor(uri, a, sizeof a) == MCGK_OK && strcmp(a, aor) == 0;
}

mcgk_err mcgk_ctl_on_invite(mcgk_ctl *c, uint64_t now_ms, uint64_t txn, const mcgk_sip_msg *req,
                            const mcgk_ctl_member *members, size_t n_members)
{
    if (c == NULL || req == NULL || (members == NULL && n_members > 0) || !req->is_request ||
        strcmp(req->method, "INVITE") != 0)
        return MCGK_ERR_INVALID_ARG;
    reap(c);
    /* a re-INVITE inside a call's dialog (§14): refused, the session stays as it is */
    if (req->to_tag[0] != '\0') {
        for (size_t i = 0; i < c->n_calls; i++) {
            call *k = c->calls[i];
            if (!k->dead && strcmp(k->call_id, req->call_id) == 0 &&
                strcmp(k->our_tag, req->to_tag) == 0) {
                refuse(c, now_ms, txn, req, 488, "re-INVITE not supported: start a new call",
                       MCGK_ERR_UNSUPPORTED);
                return MCGK_OK;
            }
        }
        refuse(c, now_ms, txn, req, 481, NULL, MCGK_ERR_NOT_FOUND); /* §12.2.2 */
        return MCGK_OK;
    }
    /* §8.2.2.2: the same request again on another path (a new branch) */
    for (size_t i = 0; i < c->n_calls; i++) {
        call *k = c->calls[i];
        if (!k->dead && strcmp(k->call_id, req->call_id) == 0 &&
            strcmp(k->caller_tag, req->from_tag) == 0 && k->caller_cseq == req->cseq) {
            refuse(c, now_ms, txn, req, 482, NULL, MCGK_ERR_EXISTS);
            return MCGK_OK;
        }
    }
    if (!same_aor(req->to_uri, c->group_aor)) {
        refuse(c, now_ms, txn, req, 404, "not this controller's group", MCGK_ERR_NOT_FOUND);
        return MCGK_OK;
    }
    if (req->body_len == 0) {
        refuse(c, now_ms, txn, req, 488, "no SDP offer", MCGK_ERR_MALFORMED);
        return MCGK_OK;
    }
    if (!is_sdp_type(req->content_type)) {
        refuse(c, now_ms, txn, req, 415, "the offer must be application/sdp",
               MCGK_ERR_UNSUPPORTED);
        return MCGK_OK;
    }
    if (req->body_len > MCGK_CTL_MAX_OFFER_LEN) {
        refuse(c, now_ms, txn, req, 413, "SDP offer too long", MCGK_ERR_OVERSIZED);
        return MCGK_OK;
    }
    if (c->n_calls >= c->max_calls) {
        refuse(c, now_ms, txn, req, 503, "too many calls", MCGK_ERR_SIP_BUSY);
        return MCGK_OK;
    }
    /* the members to reach: everyone but the caller */
    char caller_aor[MCGK_SIP_URI_MAX] = "";
    (void)mcgk_sip_uri_aor(req->from_uri, caller_aor, sizeof caller_aor);
    size_t n = 0;
    for (size_t i = 0; i < n_members; i++) {
        if (members[i].aor == NULL || members[i].contact == NULL)
            return MCGK_ERR_INVALID_ARG;
        if (!same_aor(members[i].aor, caller_aor))
            n++;
    }
    if (n == 0) {
        refuse(c, now_ms, txn, req, 480, "no members registered", MCGK_ERR_CTL_NO_MEMBERS);
        return MCGK_OK;
    }
    if (n > c->max_members) {
        char w[96];
        snprintf(w, sizeof w, "too many members: %zu > %zu", n, c->max_members);
        refuse(c, now_ms, txn, req, 503, w, MCGK_ERR_CTL_TOO_MANY_MEMBERS);
        return MCGK_OK;
    }

    call *k = calloc(1, sizeof *k);
    if (k == NULL)
        return MCGK_ERR_NO_MEMORY;
    uint8_t sid[8];
    mcgk_err err = mcgk_rng_bytes(c->rng, sid, sizeof sid);
    if (err == MCGK_OK)
        err = mcgk_sip_random_token(c->rng, "k", 8, k->token, sizeof k->token);
    if (err == MCGK_OK)
        err = mcgk_sip_random_token(c->rng, "g", 8, k->our_tag, sizeof k->our_tag);
    if (err != MCGK_OK) {
        free(k);
        return err;
    }
    uint64_t sess = 0;
    for (size_t i = 0; i < sizeof sid; i++)
        sess = (sess << 8) | sid[i];
    sess &= 0x7fffffffffffffffull; /* RFC 4566 §5.2: fits a 64-bit signed NTP-style value */
    err = mcgk_ctl_sdp_answer(req->body, req->body_len, c->host, sess, k->answer,
                              sizeof k->answer, &k->answer_len);
    if (err != MCGK_OK) {
        free(k);
        refuse(c, now_ms, txn, req, 488, "no usable media in the SDP offer", err);
        return MCGK_OK;
    }
    k->offer = malloc(req->body_len);
    k->forks = calloc(n, sizeof *k->forks);
    if (k->offer == NULL || k->forks == NULL) {
        call_free(k);
        return MCGK_ERR_NO_MEMORY;
    }
    memcpy(k->offer, req->body, req->body_len); /* R-002-18: the caller's octets, unchanged */
    k->offer_len = req->body_len;
    snprintf(k->offer_type, sizeof k->offer_type, "%s", req->content_type);
    snprintf(k->call_id, sizeof k->call_id, "%s", req->call_id);
    snprintf(k->caller_uri, sizeof k->caller_uri, "%s", req->from_uri);
    snprintf(k->caller_tag, sizeof k->caller_tag, "%s", req->from_tag);
    snprintf(k->caller_contact, sizeof k->caller_contact, "%s", req->contact_uri);
    snprintf(k->group_as_called, sizeof k->group_as_called, "%s", req->to_uri);
    k->caller_cseq = req->cseq;
    k->caller_txn = txn;
    k->key_mgmt = mcgk_ctl_sdp_has_key_mgmt(req->body, req->body_len);
    k->t0_ms = now_ms;
    k->gather_deadline_ms = now_ms + c->answer_timeout_ms;
    k->end_deadline_ms = now_ms + c->max_call_ms;
    k->id = ++c->next_id; /* 32 bits: fork ids (id << 24 | index) fit 56 bits */
    if (k->id == 0)
        k->id = c->next_id = 1;
    for (size_t i = 0; i < n_members; i++) {
        if (same_aor(members[i].aor, caller_aor))
            continue;
        member *f = &k->forks[k->n_forks];
        f->aor = strdup(members[i].aor);
        f->contact = strdup(members[i].contact);
        if (f->aor == NULL || f->contact == NULL) {
            k->n_forks++;
            call_free(k);
            return MCGK_ERR_NO_MEMORY;
        }
        snprintf(f->call_id, sizeof f->call_id, "%s-%zu", k->token, k->n_forks);
        k->n_forks++;
    }
    k->n_pending = k->n_forks;
    c->calls[c->n_calls++] = k;
    c->stats.calls_total++;
    c->stats.forks_total += k->n_forks;
    /* R-002-18: one INVITE per member with the caller's SDP; then 183 to the caller */
    for (size_t i = 0; i < k->n_forks; i++) {
        mcgk_ctl_action *a = push(c, MCGK_CTL_ACT_INVITE);
        if (a == NULL) {
            mcgk_ctl_on_fork_sent(c, now_ms, fork_id(k, i), MCGK_ERR_NO_MEMORY, 0);
            continue;
        }
        a->fork = fork_id(k, i);
        member_request(c, k, &k->forks[i], a, "INVITE", 1);
        a->req.content_type = k->offer_type;
        a->req.body = k->offer;
        a->req.body_len = k->offer_len;
    }
    respond_caller(c, k, 183, NULL, 0, now_ms); /* R-002-17: no security content */
    return MCGK_OK;
}

/* ---- input: the members ----------------------------------------------------------------- */

void mcgk_ctl_on_fork_sent(mcgk_ctl *c, uint64_t now_ms, uint64_t fork, mcgk_err result,
                           uint64_t txn)
{
    call *k;
    member *f = c ? by_fork(c, fork, &k) : NULL;
    if (f == NULL || f->state != F_NEW)
        return;
    if (result == MCGK_OK) {
        f->state = F_TRYING;
        f->txn = txn;
        return;
    }
    count(k, f, CNT_UNREACHABLE);
    settle(k, f, F_DONE);
    progress(c, k, now_ms);
}

void mcgk_ctl_on_fork_provisional(mcgk_ctl *c, uint64_t now_ms, uint64_t fork,
                                  const mcgk_sip_msg *resp)
{
    (void)now_ms;
    (void)resp;
    call *k;
    member *f = c ? by_fork(c, fork, &k) : NULL;
    if (f == NULL || !pending(f))
        return;
    reached(k, f);
    if (f->state == F_TRYING)
        f->state = F_RINGING;
}

void mcgk_ctl_on_fork_final(mcgk_ctl *c, uint64_t now_ms, uint64_t fork, mcgk_err result,
                            const mcgk_sip_msg *resp)
{
    if (c == NULL)
        return;
    reap(c);
    call *k;
    member *f = by_fork(c, fork, &k);
    if (f == NULL || !pending(f) || f->state == F_NEW)
        return;
    if (result == MCGK_OK && resp != NULL) {
        reached(k, f);
        /* §13.2.2.4: ACK every 2xx; the member is in the call (R-002-19: its answer is
         * not forwarded anywhere) */
        snprintf(f->remote_tag, sizeof f->remote_tag, "%s", resp->to_tag);
        if (resp->contact_uri[0] != '\0' && f->remote_target == NULL)
            f->remote_target = strdup(resp->contact_uri); /* NULL: the registered contact */
        mcgk_ctl_action *a = push(c, MCGK_CTL_ACT_ACK);
        if (a != NULL) {
            a->txn = f->txn;
            a->fork = fork;
        }
        settle(k, f, F_ANSWERED);
        if (k->state == CALL_ENDED) {
            bye_member(c, k, f); /* §15: a 2xx after the call ended (or crossing our CANCEL) */
            f->state = F_DONE;
        } else {
            count(k, f, CNT_ANSWERED);
        }
    } else {
        if (resp != NULL)
            reached(k, f);
        if (!f->cancelled)
            count(k, f, result == MCGK_ERR_PEER ? CNT_REFUSED : CNT_TIMEOUT);
        settle(k, f, F_DONE);
    }
    progress(c, k, now_ms);
}

/* ---- input: the caller ------------------------------------------------------------------ */

void mcgk_ctl_on_caller_ack(mcgk_ctl *c, uint64_t now_ms, uint64_t txn)
{
    (void)now_ms;
    if (c == NULL)
        return;
    reap(c);
    call *k = by_txn(c, txn);
    if (k != NULL && k->state == CALL_ANSWERED)
        k->state = CALL_CONFIRMED;
}

void mcgk_ctl_on_caller_cancel(mcgk_ctl *c, uint64_t now_ms, uint64_t txn)
{
    if (c == NULL)
        return;
    reap(c);
    call *k = by_txn(c, txn);
    if (k == NULL || k->state != CALL_GATHERING)
        return;
    k->caller_status = 487; /* sent by the transaction (RFC 3261 §9.2) */
    k->answered_ms = now_ms;
    end_call(c, k, MCGK_ERR_SIP_CANCELLED, 0, now_ms);
}

void mcgk_ctl_on_caller_no_ack(mcgk_ctl *c, uint64_t now_ms, uint64_t txn)
{
    if (c == NULL)
        return;
    reap(c);
    call *k = by_txn(c, txn);
    if (k != NULL && k->state == CALL_ANSWERED)
        end_call(c, k, MCGK_ERR_SIP_NO_ACK, 1, now_ms); /* §13.3.1.4: BYE */
}

int mcgk_ctl_on_request(mcgk_ctl *c, uint64_t now_ms, uint64_t txn, const mcgk_sip_msg *req)
{
    if (c == NULL || req == NULL || !req->is_request)
        return 0;
    reap(c);
    if (strcmp(req->method, "BYE") != 0)
        return 0;
    call *k = NULL;
    for (size_t i = 0; i < c->n_calls && k == NULL; i++) {
        call *x = c->calls[i];
        if (strcmp(x->call_id, req->call_id) == 0 && strcmp(x->caller_tag, req->from_tag) == 0 &&
            strcmp(x->our_tag, req->to_tag) == 0)
            k = x;
    }
    mcgk_ctl_action *a;
    if (k != NULL) {
        /* the caller hangs up (§15.1.2); before our final answer (an early dialog) the
         * INVITE is answered 487 */
        a = push(c, MCGK_CTL_ACT_RESPOND);
        if (a != NULL) {
            a->txn = txn;
            a->resp.status = 200;
        }
        if (k->state == CALL_GATHERING)
            respond_caller(c, k, 487, NULL, 0, now_ms);
        end_call(c, k, MCGK_OK, 0, now_ms);
        return 1;
    }
    member *f = by_member_call_id(c, req->call_id, &k);
    if (f == NULL || strcmp(req->to_tag, k->our_tag) != 0 ||
        (f->remote_tag[0] != '\0' && strcmp(req->from_tag, f->remote_tag) != 0))
        return 0;
    a = push(c, MCGK_CTL_ACT_RESPOND);
    if (a != NULL) {
        a->txn = txn;
        a->resp.status = 200;
    }
    if (f->state == F_ANSWERED) { /* a member leaves the call */
        f->state = F_DONE;
        k->cnt.left++;
    }
    return 1;
}

/* ---- timers ----------------------------------------------------------------------------- */

void mcgk_ctl_expire(mcgk_ctl *c, uint64_t now_ms)
{
    if (c == NULL)
        return;
    reap(c);
    for (size_t i = 0; i < c->n_calls; i++) {
        call *k = c->calls[i];
        if (k->dead)
            continue;
        if (now_ms >= k->gather_deadline_ms && open_forks(k) > 0) {
            /* the answer window is over: CANCEL whoever is still ringing */
            for (size_t j = 0; j < k->n_forks; j++)
                if (pending(&k->forks[j]) && !k->forks[j].cancelled)
                    cancel_member(c, k, &k->forks[j], CNT_TIMEOUT);
            progress(c, k, now_ms);
        }
        if (now_ms >= k->end_deadline_ms && k->state != CALL_ENDED) {
            if (k->state == CALL_GATHERING)
                respond_caller(c, k, 480, "call time limit", 0, now_ms);
            end_call(c, k, MCGK_ERR_SIP_TIMEOUT, 1, now_ms);
        }
    }
}

int mcgk_ctl_next_deadline(const mcgk_ctl *c, uint64_t *deadline_ms)
{
    int have = 0;
    uint64_t best = 0;
    for (size_t i = 0; c != NULL && i < c->n_calls; i++) {
        const call *k = c->calls[i];
        if (k->dead)
            continue;
        if (open_forks(k) > 0 && (!have || k->gather_deadline_ms < best)) {
            best = k->gather_deadline_ms;
            have = 1;
        }
        if (k->state != CALL_ENDED && (!have || k->end_deadline_ms < best)) {
            best = k->end_deadline_ms;
            have = 1;
        }
    }
    if (have && deadline_ms != NULL)
        *deadline_ms = best;
    return have;
}
