/*
 * The KMS's HTTPS request handler. See net/kms_server.h.
 * Secrets: response bodies with key sets (ownership passes to the HTTP
 * server, which wipes them); the parsed call (token hash) is wiped.
 */
#include "net/kms_server.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/platform.h"
#include "platform/log.h"

struct mcgk_kms_server {
    const mcgk_kms *kms;
    mcgk_kms_store *store;
    uint64_t (*clock)(void);
    const mcgk_rng *rng;
    pthread_mutex_t mu; /* guards the partner cache */
    uint64_t cache_num;
    int cache_loaded;
    mcgk_kms_cert *partners;
    size_t n_partners;
};

typedef struct collect {
    mcgk_kms_cert *certs;
    size_t n;
} collect;

static int collect_partner(void *ctx, const mcgk_kms_partner_row *row)
{
    collect *c = ctx;
    if (c->n == MCGK_KMS_MAX_CERTS)
        return 1;
    if (mcgk_kms_cert_parse((const uint8_t *)row->cert_xml, strlen(row->cert_xml),
                            &c->certs[c->n]) == MCGK_OK) {
        snprintf(c->certs[c->n].role, sizeof c->certs[c->n].role, "External");
        c->n++;
    }
    return 0;
}

/* Reload the partner certificates when the store's cache number moved (mutex held). */
static mcgk_err refresh_partners(mcgk_kms_server *srv)
{
    uint64_t num = 0;
    mcgk_err e = srv->store->ops->cache_num(srv->store, &num);
    if (e != MCGK_OK)
        return e;
    if (srv->cache_loaded && num == srv->cache_num)
        return MCGK_OK;
    collect c;
    c.n = 0;
    c.certs = calloc(MCGK_KMS_MAX_CERTS, sizeof *c.certs);
    if (c.certs == NULL)
        return MCGK_ERR_NO_MEMORY;
    e = srv->store->ops->partner_list(srv->store, collect_partner, &c);
    if (e != MCGK_OK) {
        free(c.certs);
        return e;
    }
    free(srv->partners);
    srv->partners = c.certs;
    srv->n_partners = c.n;
    srv->cache_num = num;
    srv->cache_loaded = 1;
    return MCGK_OK;
}

mcgk_err mcgk_kms_server_new(const mcgk_kms *kms, mcgk_kms_store *store,
                             uint64_t (*clock_unix_s)(void), const mcgk_rng *rng,
                             mcgk_kms_server **out)
{
    if (kms == NULL || store == NULL || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_kms_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL)
        return MCGK_ERR_NO_MEMORY;
    srv->kms = kms;
    srv->store = store;
    srv->clock = clock_unix_s ? clock_unix_s : mcgk_now_unix_s;
    srv->rng = rng ? rng : mcgk_rng_system();
    pthread_mutex_init(&srv->mu, NULL);
    mcgk_err e = refresh_partners(srv);
    if (e != MCGK_OK) {
        mcgk_kms_server_free(srv);
        return e;
    }
    *out = srv;
    return MCGK_OK;
}

void mcgk_kms_server_free(mcgk_kms_server *srv)
{
    if (srv == NULL)
        return;
    pthread_mutex_destroy(&srv->mu);
    free(srv->partners);
    free(srv);
}

size_t mcgk_kms_server_partner_count(mcgk_kms_server *srv)
{
    pthread_mutex_lock(&srv->mu);
    size_t n = srv->n_partners;
    pthread_mutex_unlock(&srv->mu);
    return n;
}

static const char *endpoint_name(const mcgk_kms_call *call)
{
    switch (call->endpoint) {
    case MCGK_KMS_EP_INIT: return "init";
    case MCGK_KMS_EP_KEYPROV: return "keyprov";
    case MCGK_KMS_EP_CERTCACHE: return "certcache";
    default: return "request";
    }
}

/* Step 2 with the store rows. */
static mcgk_err answer(mcgk_kms_server *srv, const mcgk_kms_call *call, mcgk_kms_user *user,
                       uint64_t now, mcgk_kms_reply *reply)
{
    mcgk_err ue = srv->store->ops->user_get(srv->store, call->req.user_uri, user);
    if (ue != MCGK_OK && ue != MCGK_ERR_UNKNOWN_USER)
        return mcgk_kms_error_reply(srv->kms, call, ue, now, reply);
    const mcgk_kms_user *u = ue == MCGK_OK ? user : NULL;
    if (call->endpoint != MCGK_KMS_EP_CERTCACHE)
        return mcgk_kms_call_answer(srv->kms, call, u, NULL, 0, 0, now, srv->rng, reply);
    pthread_mutex_lock(&srv->mu);
    mcgk_err e = refresh_partners(srv);
    if (e == MCGK_OK)
        e = mcgk_kms_call_answer(srv->kms, call, u, srv->partners, srv->n_partners,
                                 srv->cache_num, now, srv->rng, reply);
    else
        e = mcgk_kms_error_reply(srv->kms, call, e, now, reply);
    pthread_mutex_unlock(&srv->mu);
    return e;
}

void mcgk_kms_server_handle(void *ctx, const mcgk_http_request *req, mcgk_http_response *resp)
{
    mcgk_kms_server *srv = ctx;
    uint64_t now = srv->clock();
    mcgk_kms_call *call = calloc(1, sizeof *call);
    mcgk_kms_user *user = calloc(1, sizeof *user);
    mcgk_kms_reply reply;
    memset(&reply, 0, sizeof reply);
    mcgk_err e = call && user ? MCGK_OK : MCGK_ERR_NO_MEMORY;
    if (e == MCGK_OK) {
        e = mcgk_kms_call_parse(req->method, req->path, req->authorization, req->body,
                                req->body_len, call);
        if (e == MCGK_OK)
            e = answer(srv, call, user, now, &reply);
        else
            e = mcgk_kms_error_reply(srv->kms, call, e, now, &reply);
    }
    if (reply.body != NULL) {
        resp->status = reply.http_status;
        resp->body = (uint8_t *)reply.body;
        resp->body_len = reply.body_len;
        reply.body = NULL;
        /* RFC 6750 §3 */
        if (reply.err == MCGK_ERR_AUTH_MISSING)
            resp->www_authenticate = "Bearer realm=\"mcgk-kms\"";
        else if (reply.err == MCGK_ERR_AUTH_FAILED)
            resp->www_authenticate = "Bearer realm=\"mcgk-kms\", error=\"invalid_token\"";
    } else {
        resp->status = 500;
        reply.err = e;
    }
    /* one structured line per request: who, what, which period - never keys */
    char qu[MCGK_KMS_URI_MAX + 8], qi[MCGK_KMS_URI_MAX + 8], period[32];
    if (reply.has_period)
        snprintf(period, sizeof period, "%" PRIu64, reply.period_no);
    else
        snprintf(period, sizeof period, "-");
    int is_keyprov = call != NULL && call->endpoint == MCGK_KMS_EP_KEYPROV;
    mcgk_log(reply.err == MCGK_OK ? MCGK_LOG_INFO : MCGK_LOG_WARN, "kms",
             call ? endpoint_name(call) : "request",
             "status=%d user=%s identity=%s period=%s peer=%s error=%s", resp->status,
             mcgk_log_quote(call && call->req.user_uri[0] ? call->req.user_uri : NULL, qu,
                            sizeof qu),
             mcgk_log_quote(is_keyprov && call->identity_uri[0] ? call->identity_uri : NULL,
                            qi, sizeof qi),
             period, req->peer ? req->peer : "-",
             reply.err == MCGK_OK ? "-" : mcgk_err_name(reply.err));
    mcgk_kms_reply_clear(&reply);
    if (call != NULL)
        mcgk_wipe(call, sizeof *call);
    free(call);
    free(user);
}

void mcgk_kms_server_refuse(void *ctx, const mcgk_http_request *req, mcgk_http_response *resp)
{
    mcgk_kms_server *srv = ctx;
    mcgk_kms_reply reply;
    if (mcgk_kms_error_reply(srv->kms, NULL, MCGK_ERR_OVERSIZED, srv->clock(), &reply) !=
            MCGK_ERR_OVERSIZED ||
        reply.body == NULL)
        return;
    resp->body = (uint8_t *)reply.body;
    resp->body_len = reply.body_len;
    mcgk_log(MCGK_LOG_WARN, "kms", "request", "status=413 user=- identity=- period=- peer=%s "
             "error=oversized", req->peer ? req->peer : "-");
}
