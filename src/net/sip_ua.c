/*
 * A minimal SIP user agent for group calls. See net/sip_ua.h. RFC 3261
 * §10.2 (REGISTER), §13.2 (UAC INVITE; the ACK of a 2xx, §13.2.2.4),
 * §13.3 (UAS INVITE), §15 (BYE), §12 (dialogs: Call-ID + tags), §9 (CANCEL).
 *
 * Threads: the endpoint's loop runs the callee's side and every callback;
 * mcgk_sip_ua_register / _invite / _bye block the calling thread on a
 * condition variable until the loop reports the outcome (exactly once,
 * net/sip_transport.h), so a waiter is never freed under the loop.
 *
 * Secrets: none kept; answer bodies are copied for the caller and freed
 * (not wiped: SDP is public).
 */
#include "net/sip_ua.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mcgk/platform.h"
#include "platform/log.h"

#define DEFAULT_MAX_DIALOGS 1024u
#define DEFAULT_MAX_TXNS 1024u

typedef struct dialog {
    uint64_t seq; /* 0: free; else its age (the oldest is replaced when full) */
    int ended;
    char call_id[MCGK_SIP_VALUE_MAX];
    char local_tag[MCGK_SIP_TOKEN_MAX];
    char remote_tag[MCGK_SIP_TOKEN_MAX];
} dialog;

struct mcgk_sip_ua_call {
    uint64_t seq; /* its dialog entry */
    char call_id[MCGK_SIP_VALUE_MAX];
    char local_tag[MCGK_SIP_TOKEN_MAX];
    char remote_tag[MCGK_SIP_TOKEN_MAX];
    char remote_target[MCGK_SIP_URI_MAX];
    char from_uri[MCGK_SIP_URI_MAX];
    char to_uri[MCGK_SIP_URI_MAX];
    uint32_t cseq;
    mcgk_sip_peer peer;
};

struct mcgk_sip_ua {
    mcgk_sip_endpoint *ep;
    mcgk_sip_ua_offer_cb on_offer;
    mcgk_sip_ua_event_cb on_event;
    void *ctx;
    const mcgk_rng *rng;
    char comp[24];
    char contact[MCGK_SIP_URI_MAX];
    pthread_mutex_t mu; /* guards dlg, seq */
    dialog *dlg;
    size_t max_dialogs;
    uint64_t seq;
};

/* ---- dialogs (RFC 3261 §12: Call-ID, local tag, remote tag) ------------------------------ */

static uint64_t dialog_add(mcgk_sip_ua *ua, const char *call_id, const char *local_tag,
                           const char *remote_tag)
{
    pthread_mutex_lock(&ua->mu);
    size_t slot = 0;
    for (size_t i = 0; i < ua->max_dialogs; i++) {
        if (ua->dlg[i].seq == 0) {
            slot = i;
            break;
        }
        if (ua->dlg[i].seq < ua->dlg[slot].seq)
            slot = i;
    }
    dialog *d = &ua->dlg[slot];
    memset(d, 0, sizeof *d);
    d->seq = ++ua->seq;
    snprintf(d->call_id, sizeof d->call_id, "%s", call_id);
    snprintf(d->local_tag, sizeof d->local_tag, "%s", local_tag);
    snprintf(d->remote_tag, sizeof d->remote_tag, "%s", remote_tag);
    uint64_t seq = d->seq;
    pthread_mutex_unlock(&ua->mu);
    return seq;
}

/* Mark the dialog ended; 1 when it was open. */
static int dialog_end(mcgk_sip_ua *ua, const char *call_id, const char *local_tag,
                      const char *remote_tag)
{
    int found = 0;
    pthread_mutex_lock(&ua->mu);
    for (size_t i = 0; i < ua->max_dialogs && !found; i++) {
        dialog *d = &ua->dlg[i];
        if (d->seq != 0 && !d->ended && strcmp(d->call_id, call_id) == 0 &&
            strcmp(d->local_tag, local_tag) == 0 && strcmp(d->remote_tag, remote_tag) == 0) {
            d->ended = 1;
            found = 1;
        }
    }
    pthread_mutex_unlock(&ua->mu);
    return found;
}

static int dialog_ended(mcgk_sip_ua *ua, uint64_t seq)
{
    int ended = 1; /* forgotten (replaced): treat as over */
    pthread_mutex_lock(&ua->mu);
    for (size_t i = 0; i < ua->max_dialogs; i++)
        if (ua->dlg[i].seq == seq)
            ended = ua->dlg[i].ended;
    pthread_mutex_unlock(&ua->mu);
    return ended;
}

static void dialog_forget(mcgk_sip_ua *ua, uint64_t seq)
{
    pthread_mutex_lock(&ua->mu);
    for (size_t i = 0; i < ua->max_dialogs; i++)
        if (ua->dlg[i].seq == seq)
            memset(&ua->dlg[i], 0, sizeof ua->dlg[i]);
    pthread_mutex_unlock(&ua->mu);
}

/* ---- the callee's side (on the loop thread) ---------------------------------------------- */

static void respond_status(mcgk_sip_endpoint *ep, uint64_t txn, int status)
{
    mcgk_sip_response_params r;
    memset(&r, 0, sizeof r);
    r.status = status;
    (void)mcgk_sip_endpoint_respond(ep, txn, &r);
}

static void on_invite(mcgk_sip_ua *ua, uint64_t txn, const mcgk_sip_msg *req)
{
    char cid[96];
    mcgk_log_quote(req->call_id, cid, sizeof cid);
    if (ua->on_offer == NULL) {
        respond_status(ua->ep, txn, 480); /* §21.4.18: takes no calls */
        return;
    }
    mcgk_sip_ua_offer offer;
    offer.from_uri = req->from_uri;
    offer.to_uri = req->to_uri;
    offer.call_id = req->call_id;
    offer.content_type = req->content_type;
    offer.body = req->body;
    offer.body_len = req->body_len;
    mcgk_sip_ua_answer ans;
    memset(&ans, 0, sizeof ans);
    ans.status = 200;
    ua->on_offer(ua->ctx, &offer, &ans);
    if (ans.status == 0) {
        mcgk_log(MCGK_LOG_INFO, ua->comp, "invite-unanswered", "call_id=%s", cid);
        return;
    }
    char tag[40];
    if (mcgk_sip_random_token(ua->rng, "u", 8, tag, sizeof tag) != MCGK_OK) {
        respond_status(ua->ep, txn, 500);
        return;
    }
    mcgk_sip_response_params r;
    memset(&r, 0, sizeof r);
    r.to_tag = tag; /* ours, so that a BYE can be matched to the dialog (§12.2.2) */
    if (ans.ring) {
        r.status = 180;
        r.contact_uri = ua->contact;
        (void)mcgk_sip_endpoint_respond(ua->ep, txn, &r);
    }
    r.status = ans.status < 100 || ans.status > 699 ? 500 : ans.status;
    r.contact_uri = r.status < 300 ? ua->contact : NULL; /* §12.1.1 */
    if (ans.body != NULL && ans.body_len > 0) {
        r.content_type = ans.content_type ? ans.content_type : "application/sdp";
        r.body = ans.body;
        r.body_len = ans.body_len;
    }
    if (ans.warning != NULL && r.status >= 300) {
        r.warning_code = 399;
        r.warning_text = ans.warning;
    }
    mcgk_err e = mcgk_sip_endpoint_respond(ua->ep, txn, &r);
    if (e != MCGK_OK) {
        mcgk_log(MCGK_LOG_WARN, ua->comp, "answer-failed", "call_id=%s error=%s", cid,
                 mcgk_err_name(e));
        respond_status(ua->ep, txn, 500);
        return;
    }
    if (r.status < 300)
        (void)dialog_add(ua, req->call_id, tag, req->from_tag);
    mcgk_log(MCGK_LOG_INFO, ua->comp, "invite-answered", "call_id=%s status=%d", cid, r.status);
}

static void on_request(void *ctx, mcgk_sip_endpoint *ep, uint64_t txn,
                       const mcgk_sip_peer *from, const mcgk_sip_msg *req)
{
    (void)from;
    mcgk_sip_ua *ua = ctx;
    if (strcmp(req->method, "INVITE") == 0) {
        on_invite(ua, txn, req);
    } else if (strcmp(req->method, "BYE") == 0) {
        /* §15.1.2: 481 when no dialog matches */
        int found = dialog_end(ua, req->call_id, req->to_tag, req->from_tag);
        respond_status(ep, txn, found ? 200 : 481);
        if (found) {
            char cid[96];
            mcgk_log(MCGK_LOG_INFO, ua->comp, "bye-received", "call_id=%s",
                     mcgk_log_quote(req->call_id, cid, sizeof cid));
            if (ua->on_event != NULL)
                ua->on_event(ua->ctx, MCGK_SIP_UA_EV_BYE, req->call_id);
        }
    } else if (strcmp(req->method, "OPTIONS") == 0) {
        respond_status(ep, txn, 200);
    } else {
        respond_status(ep, txn, 405);
    }
}

static void on_txn_event(void *ctx, mcgk_sip_endpoint *ep, uint64_t txn, mcgk_sip_txn_event what,
                         const mcgk_sip_msg *msg)
{
    (void)ep;
    (void)txn;
    mcgk_sip_ua *ua = ctx;
    if (ua->on_event == NULL)
        return;
    const char *cid = msg != NULL ? msg->call_id : "";
    mcgk_sip_ua_event ev = what == MCGK_SIP_TXN_ACK      ? MCGK_SIP_UA_EV_ACK
                           : what == MCGK_SIP_TXN_CANCEL ? MCGK_SIP_UA_EV_CANCEL
                                                         : MCGK_SIP_UA_EV_NO_ACK;
    ua->on_event(ua->ctx, ev, cid);
}

/* ---- set-up ----------------------------------------------------------------------------- */

mcgk_err mcgk_sip_ua_new(const mcgk_sip_ua_config *cfg, mcgk_sip_ua **out)
{
    if (cfg == NULL || out == NULL || cfg->host == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_sip_ua *ua = calloc(1, sizeof *ua);
    if (ua == NULL)
        return MCGK_ERR_NO_MEMORY;
    ua->on_offer = cfg->on_offer;
    ua->on_event = cfg->on_event;
    ua->ctx = cfg->ctx;
    ua->rng = cfg->rng ? cfg->rng : mcgk_rng_system();
    snprintf(ua->comp, sizeof ua->comp, "%s", cfg->log_comp ? cfg->log_comp : "sip-ua");
    ua->max_dialogs = cfg->max_dialogs ? cfg->max_dialogs : DEFAULT_MAX_DIALOGS;
    ua->dlg = calloc(ua->max_dialogs, sizeof *ua->dlg);
    if (ua->dlg == NULL || pthread_mutex_init(&ua->mu, NULL) != 0) {
        free(ua->dlg);
        free(ua);
        return MCGK_ERR_NO_MEMORY;
    }
    mcgk_sip_endpoint_config ec;
    memset(&ec, 0, sizeof ec);
    ec.host = cfg->host;
    ec.port = cfg->port;
    ec.t1_ms = cfg->t1_ms;
    if (cfg->t1_ms != 0 && cfg->t1_ms > MCGK_SIP_T2_MS)
        ec.t2_ms = cfg->t1_ms;
    ec.on_request = on_request;
    ec.on_txn_event = on_txn_event;
    ec.ctx = ua;
    ec.rng = ua->rng;
    ec.log_comp = ua->comp;
    ec.accept_invite = 1;
    /* RFC 3261 §17.2.1: the UA answers in its callback, so a 100 Trying is only sent for
     * an INVITE it leaves waiting */
    ec.trying_delay_ms = 200;
    /* a client's transactions, not a server's: small tables (net/sip_txn.h sizes them once) */
    ec.max_client_txns = cfg->max_txns ? cfg->max_txns : DEFAULT_MAX_TXNS;
    ec.max_server_txns = ec.max_client_txns;
    mcgk_err e = mcgk_sip_endpoint_new(&ec, &ua->ep);
    if (e == MCGK_OK)
        e = mcgk_sip_endpoint_contact(ua->ep, cfg->user ? cfg->user : "ua", ua->contact,
                                      sizeof ua->contact);
    if (e == MCGK_OK)
        e = mcgk_sip_endpoint_start(ua->ep);
    if (e != MCGK_OK) {
        mcgk_sip_ua_free(ua);
        return e;
    }
    *out = ua;
    return MCGK_OK;
}

void mcgk_sip_ua_free(mcgk_sip_ua *ua)
{
    if (ua == NULL)
        return;
    mcgk_sip_endpoint_free(ua->ep);
    pthread_mutex_destroy(&ua->mu);
    free(ua->dlg);
    free(ua);
}

mcgk_sip_endpoint *mcgk_sip_ua_endpoint(mcgk_sip_ua *ua)
{
    return ua->ep;
}

mcgk_err mcgk_sip_ua_contact(const mcgk_sip_ua *ua, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s", ua->contact);
    return n < 0 || (size_t)n >= cap ? MCGK_ERR_BUFFER_TOO_SMALL : MCGK_OK;
}

/* ---- waiting for an outcome --------------------------------------------------------------- */

typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    mcgk_sip_ua *ua;
    int invite;
    mcgk_sip_ua_progress_cb prov;
    void *user;
    mcgk_err result;
    int status;
    char warning[MCGK_SIP_VALUE_MAX];
    char content_type[MCGK_SIP_VALUE_MAX];
    char to_tag[MCGK_SIP_TOKEN_MAX];
    char contact[MCGK_SIP_URI_MAX];
    uint8_t *body;
    size_t body_len;
} waiter;

static int waiter_init(waiter *w, mcgk_sip_ua *ua)
{
    memset(w, 0, sizeof *w);
    w->ua = ua;
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return 0;
    (void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int ok = pthread_mutex_init(&w->mu, NULL) == 0 && pthread_cond_init(&w->cv, &ca) == 0;
    pthread_condattr_destroy(&ca);
    return ok;
}

static void waiter_clear(waiter *w)
{
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w->body);
}

static void on_provisional(void *user, mcgk_sip_endpoint *ep, uint64_t txn, mcgk_err result,
                           const mcgk_sip_msg *resp)
{
    (void)ep;
    (void)txn;
    (void)result;
    waiter *w = user;
    if (w->prov != NULL)
        w->prov(w->user, resp);
}

static void on_final(void *user, mcgk_sip_endpoint *ep, uint64_t txn, mcgk_err result,
                     const mcgk_sip_msg *resp)
{
    waiter *w = user;
    if (w->invite && result == MCGK_OK)
        (void)mcgk_sip_endpoint_ack(ep, txn); /* §13.2.2.4: at once, from the loop thread */
    pthread_mutex_lock(&w->mu);
    w->result = result;
    if (resp != NULL) {
        w->status = resp->status;
        snprintf(w->warning, sizeof w->warning, "%s", resp->warning_text);
        snprintf(w->content_type, sizeof w->content_type, "%s", resp->content_type);
        snprintf(w->to_tag, sizeof w->to_tag, "%s", resp->to_tag);
        snprintf(w->contact, sizeof w->contact, "%s", resp->contact_uri);
        if (resp->body_len > 0 && (w->body = malloc(resp->body_len)) != NULL) {
            memcpy(w->body, resp->body, resp->body_len);
            w->body_len = resp->body_len;
        }
    }
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* Wait for the outcome; call cancel(txn) once when cancel_after_ms passes first. */
static void wait_outcome(waiter *w, uint64_t txn, uint32_t cancel_after_ms)
{
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += cancel_after_ms / 1000;
    dl.tv_nsec += (long)(cancel_after_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    int cancelled = cancel_after_ms == 0;
    pthread_mutex_lock(&w->mu);
    while (!w->done) {
        if (cancelled) {
            pthread_cond_wait(&w->cv, &w->mu);
            continue;
        }
        if (pthread_cond_timedwait(&w->cv, &w->mu, &dl) != 0 && !w->done) {
            cancelled = 1;
            pthread_mutex_unlock(&w->mu);
            (void)mcgk_sip_endpoint_cancel(w->ua->ep, txn); /* §9.1 */
            pthread_mutex_lock(&w->mu);
        }
    }
    pthread_mutex_unlock(&w->mu);
}

static mcgk_err new_ids(mcgk_sip_ua *ua, char *tag, size_t tcap, char *cid, size_t ccap)
{
    mcgk_err e = mcgk_sip_random_token(ua->rng, "u", 8, tag, tcap);
    return e == MCGK_OK ? mcgk_sip_random_token(ua->rng, NULL, 16, cid, ccap) : e;
}

/* ---- the caller's side ------------------------------------------------------------------- */

mcgk_err mcgk_sip_ua_register(mcgk_sip_ua *ua, const char *registrar_uri, const char *aor,
                              uint32_t expires_s, int *status)
{
    if (ua == NULL || registrar_uri == NULL || aor == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_sip_peer to;
    mcgk_err e = mcgk_sip_peer_from_uri(&to, registrar_uri);
    if (e != MCGK_OK)
        return e;
    char tag[40], cid[48];
    if ((e = new_ids(ua, tag, sizeof tag, cid, sizeof cid)) != MCGK_OK)
        return e;
    mcgk_sip_request_params p;
    memset(&p, 0, sizeof p);
    p.method = "REGISTER";
    p.request_uri = registrar_uri;
    p.from_uri = p.to_uri = aor; /* §10.2: To is the address of record */
    p.from_tag = tag;
    p.call_id = cid;
    p.cseq = 1;
    p.contact_uri = ua->contact;
    p.has_expires = 1;
    p.expires = expires_s;
    waiter w;
    if (!waiter_init(&w, ua))
        return MCGK_ERR_NO_MEMORY;
    e = mcgk_sip_endpoint_request(ua->ep, &to, &p, on_final, &w, NULL);
    if (e == MCGK_OK) {
        wait_outcome(&w, 0, 0);
        e = w.result;
        if (status != NULL)
            *status = w.status;
    }
    waiter_clear(&w);
    return e;
}

void mcgk_sip_ua_result_clear(mcgk_sip_ua_result *res)
{
    if (res == NULL)
        return;
    free(res->body);
    memset(res, 0, sizeof *res);
}

mcgk_err mcgk_sip_ua_invite(mcgk_sip_ua *ua, const mcgk_sip_ua_invite_params *p,
                            mcgk_sip_ua_result *res, mcgk_sip_ua_call **call)
{
    if (res != NULL)
        memset(res, 0, sizeof *res);
    if (call != NULL)
        *call = NULL;
    if (ua == NULL || p == NULL || p->target_uri == NULL || p->from_uri == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_sip_ua_call *k = calloc(1, sizeof *k);
    if (k == NULL)
        return MCGK_ERR_NO_MEMORY;
    mcgk_err e = mcgk_sip_peer_from_uri(&k->peer, p->target_uri);
    if (e == MCGK_OK)
        e = new_ids(ua, k->local_tag, sizeof k->local_tag, k->call_id, sizeof k->call_id);
    const char *to_uri = p->to_uri ? p->to_uri : p->target_uri;
    if (e == MCGK_OK && (strlen(p->from_uri) >= sizeof k->from_uri ||
                         strlen(to_uri) >= sizeof k->to_uri ||
                         strlen(p->target_uri) >= sizeof k->remote_target))
        e = MCGK_ERR_INVALID_ARG;
    if (e != MCGK_OK) {
        free(k);
        return e;
    }
    snprintf(k->from_uri, sizeof k->from_uri, "%s", p->from_uri);
    snprintf(k->to_uri, sizeof k->to_uri, "%s", to_uri);
    snprintf(k->remote_target, sizeof k->remote_target, "%s", p->target_uri);
    k->cseq = 1;
    mcgk_sip_request_params q;
    memset(&q, 0, sizeof q);
    q.method = "INVITE";
    q.request_uri = p->target_uri;
    q.from_uri = k->from_uri;
    q.from_tag = k->local_tag;
    q.to_uri = k->to_uri;
    q.call_id = k->call_id;
    q.cseq = k->cseq;
    q.contact_uri = ua->contact; /* §8.1.1.8 */
    if (p->body_len > 0) {
        q.content_type = p->content_type ? p->content_type : "application/sdp";
        q.body = p->body;
        q.body_len = p->body_len;
    }
    waiter w;
    if (!waiter_init(&w, ua)) {
        free(k);
        return MCGK_ERR_NO_MEMORY;
    }
    w.invite = 1;
    w.prov = p->on_provisional;
    w.user = p->user;
    uint64_t txn = 0;
    char cid[96];
    mcgk_log_quote(k->call_id, cid, sizeof cid);
    e = mcgk_sip_endpoint_invite(ua->ep, &k->peer, &q, on_provisional, on_final, &w, &txn);
    if (e == MCGK_OK) {
        wait_outcome(&w, txn, p->cancel_after_ms);
        e = w.result;
        if (e == MCGK_ERR_PEER && w.status == 487 && p->cancel_after_ms != 0)
            e = MCGK_ERR_SIP_CANCELLED;
        if (res != NULL) {
            res->status = w.status;
            snprintf(res->warning, sizeof res->warning, "%s", w.warning);
            snprintf(res->content_type, sizeof res->content_type, "%s", w.content_type);
            res->body = w.body;
            res->body_len = w.body_len;
            w.body = NULL;
        }
        mcgk_log(e == MCGK_OK ? MCGK_LOG_INFO : MCGK_LOG_WARN, ua->comp, "invite-final",
                 "call_id=%s status=%d result=%s", cid, w.status, mcgk_err_name(e));
    }
    if (e == MCGK_OK) {
        snprintf(k->remote_tag, sizeof k->remote_tag, "%s", w.to_tag);
        if (w.contact[0] != '\0') /* §12.1.2: the remote target is the 2xx's Contact */
            snprintf(k->remote_target, sizeof k->remote_target, "%s", w.contact);
        k->seq = dialog_add(ua, k->call_id, k->local_tag, k->remote_tag);
    }
    waiter_clear(&w);
    if (e == MCGK_OK && call != NULL)
        *call = k;
    else
        free(k);
    return e;
}

mcgk_err mcgk_sip_ua_bye(mcgk_sip_ua *ua, mcgk_sip_ua_call *call, int *status)
{
    if (ua == NULL || call == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (dialog_ended(ua, call->seq))
        return MCGK_ERR_NOT_FOUND;
    mcgk_sip_request_params q;
    memset(&q, 0, sizeof q);
    q.method = "BYE";
    q.request_uri = call->remote_target;
    q.from_uri = call->from_uri;
    q.from_tag = call->local_tag;
    q.to_uri = call->to_uri;
    q.to_tag = call->remote_tag[0] ? call->remote_tag : NULL;
    q.call_id = call->call_id;
    q.cseq = ++call->cseq; /* §12.2.1.1: one higher than the last request in the dialog */
    q.contact_uri = ua->contact;
    waiter w;
    if (!waiter_init(&w, ua))
        return MCGK_ERR_NO_MEMORY;
    /* to where the INVITE went (the profile has no proxies; docs/sip.md) */
    mcgk_err e = mcgk_sip_endpoint_request(ua->ep, &call->peer, &q, on_final, &w, NULL);
    if (e == MCGK_OK) {
        wait_outcome(&w, 0, 0);
        e = w.result;
        if (status != NULL)
            *status = w.status;
        (void)dialog_end(ua, call->call_id, call->local_tag, call->remote_tag);
    }
    waiter_clear(&w);
    return e;
}

int mcgk_sip_ua_call_ended(mcgk_sip_ua *ua, const mcgk_sip_ua_call *call)
{
    return ua == NULL || call == NULL || dialog_ended(ua, call->seq);
}

void mcgk_sip_ua_call_free(mcgk_sip_ua *ua, mcgk_sip_ua_call *call)
{
    if (call == NULL)
        return;
    if (ua != NULL)
        dialog_forget(ua, call->seq);
    free(call);
}
