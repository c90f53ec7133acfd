/*
 * Registrar, subscriptions and notifier for the GMS. See
 * net/sip_registrar.h. RFC 3261 §10.3 (processing REGISTER), RFC 6665
 * §4.2.1 (SUBSCRIBE at the notifier), §4.2.2 (NOTIFY), §8.3.1 (489).
 *
 * Secrets: none kept. NOTIFY bodies are handed to the endpoint, which
 * copies them into the request it retransmits (wiped there).
 */
#include "net/sip_registrar.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/platform.h"

#define DEFAULT_MAX_BINDINGS 100000u

/* A SUBSCRIBE dialog (RFC 6665 §4.1.2.1), seen from the notifier. */
typedef struct dialog {
    char call_id[MCGK_SIP_VALUE_MAX];
    char remote_uri[MCGK_SIP_URI_MAX]; /* the subscriber (From of the SUBSCRIBE) */
    char remote_tag[MCGK_SIP_TOKEN_MAX];
    char local_uri[MCGK_SIP_URI_MAX];  /* us (To of the SUBSCRIBE) */
    char local_tag[64];
    uint32_t local_cseq;
} dialog;

typedef struct entry {
    struct entry *next;
    uint32_t hash;
    char *aor;
    char *contact;
    uint64_t expires_unix_s;
    uint64_t reg_call_id_hash; /* RFC 3261 §10.3 step 7: REGISTER ordering */
    uint32_t reg_cseq;
    int has_reg;
    dialog *dlg;
} entry;

struct mcgk_sip_registrar {
    pthread_mutex_t mu;
    char local_uri[MCGK_SIP_URI_MAX];
    size_t max_bindings, count;
    uint32_t min_expires, max_expires, default_expires;
    mcgk_sip_binding_cb on_binding;
    void *ctx;
    const mcgk_rng *rng;
    entry **buckets;
    size_t mask;
};

static uint32_t hash32(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static uint64_t hash64(const char *s)
{
    uint64_t h = 14695981039346656037ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

mcgk_err mcgk_sip_registrar_new(const mcgk_sip_registrar_config *cfg, mcgk_sip_registrar **out)
{
    if (cfg == NULL || out == NULL || cfg->local_uri == NULL)
        return MCGK_ERR_INVALID_ARG;
    char aor[MCGK_SIP_URI_MAX];
    if (strlen(cfg->local_uri) >= MCGK_SIP_URI_MAX ||
        mcgk_sip_uri_aor(cfg->local_uri, aor, sizeof aor) != MCGK_OK)
        return MCGK_ERR_INVALID_ARG;
    uint32_t mn = cfg->min_expires_s ? cfg->min_expires_s : 60;
    uint32_t mx = cfg->max_expires_s ? cfg->max_expires_s : 86400;
    uint32_t df = cfg->default_expires_s ? cfg->default_expires_s : 3600;
    if (mn > mx)
        return MCGK_ERR_INVALID_ARG;
    mcgk_sip_registrar *r = calloc(1, sizeof *r);
    if (r == NULL)
        return MCGK_ERR_NO_MEMORY;
    strcpy(r->local_uri, cfg->local_uri);
    r->max_bindings = cfg->max_bindings ? cfg->max_bindings : DEFAULT_MAX_BINDINGS;
    r->min_expires = mn;
    r->max_expires = mx;
    r->default_expires = df < mn ? mn : df > mx ? mx : df;
    r->on_binding = cfg->on_binding;
    r->ctx = cfg->ctx;
    r->rng = cfg->rng ? cfg->rng : mcgk_rng_system();
    size_t nb = 1;
    while (nb < r->max_bindings && nb < (1u << 24))
        nb <<= 1;
    r->mask = nb - 1;
    r->buckets = calloc(nb, sizeof *r->buckets);
    if (r->buckets == NULL || pthread_mutex_init(&r->mu, NULL) != 0) {
        free(r->buckets);
        free(r);
        return MCGK_ERR_NO_MEMORY;
    }
    *out = r;
    return MCGK_OK;
}

static void entry_free(entry *e)
{
    free(e->aor);
    free(e->contact);
    free(e->dlg);
    free(e);
}

void mcgk_sip_registrar_free(mcgk_sip_registrar *reg)
{
    if (reg == NULL)
        return;
    for (size_t i = 0; i <= reg->mask; i++) {
        entry *e = reg->buckets[i];
        while (e != NULL) {
            entry *n = e->next;
            entry_free(e);
            e = n;
        }
    }
    free(reg->buckets);
    pthread_mutex_destroy(&reg->mu);
    free(reg);
}

/* ---- the table (callers hold mu) ---------------------------------------------------------- */

static entry *find(mcgk_sip_registrar *r, const char *aor, entry ***link)
{
    uint32_t h = hash32(aor);
    entry **p = &r->buckets[h & r->mask];
    for (; *p != NULL; p = &(*p)->next) {
        if ((*p)->hash == h && strcmp((*p)->aor, aor) == 0) {
            if (link != NULL)
                *link = p;
            return *p;
        }
    }
    return NULL;
}

static void unlink_entry(mcgk_sip_registrar *r, entry **link)
{
    entry *e = *link;
    *link = e->next;
    entry_free(e);
    r->count--;
}

static size_t purge_locked(mcgk_sip_registrar *r, uint64_t now)
{
    for (size_t i = 0; i <= r->mask; i++) {
        entry **p = &r->buckets[i];
        while (*p != NULL) {
            if ((*p)->expires_unix_s <= now)
                unlink_entry(r, p);
            else
                p = &(*p)->next;
        }
    }
    return r->count;
}

/* The entry for aor, created when absent (NULL: table full or no memory; *full tells). */
static entry *upsert(mcgk_sip_registrar *r, const char *aor, uint64_t now, int *full)
{
    *full = 0;
    entry *e = find(r, aor, NULL);
    if (e != NULL)
        return e;
    if (r->count >= r->max_bindings && purge_locked(r, now) >= r->max_bindings) {
        *full = 1;
        return NULL;
    }
    e = calloc(1, sizeof *e);
    if (e == NULL || (e->aor = strdup(aor)) == NULL) {
        free(e);
        return NULL;
    }
    e->hash = hash32(aor);
    entry **b = &r->buckets[e->hash & r->mask];
    e->next = *b;
    *b = e;
    r->count++;
    return e;
}

static int set_contact(entry *e, const char *contact)
{
    if (e->contact != NULL && strcmp(e->contact, contact) == 0)
        return 1;
    char *c = strdup(contact);
    if (c == NULL)
        return 0;
    free(e->contact);
    e->contact = c;
    return 1;
}

static void to_binding(const entry *e, mcgk_sip_binding *b)
{
    memset(b, 0, sizeof *b);
    snprintf(b->aor, sizeof b->aor, "%s", e->aor);
    snprintf(b->contact, sizeof b->contact, "%s", e->contact ? e->contact : "");
    b->expires_unix_s = e->expires_unix_s;
    b->subscribed = e->dlg != NULL;
}

/* A contact mcgk can send to: a sip: URI with a numeric host (no DNS here). */
static int reachable(const char *contact)
{
    mcgk_sip_peer p;
    return mcgk_sip_peer_from_uri(&p, contact) == MCGK_OK;
}

/* ---- decisions ------------------------------------------------------------------------- */

static void refuse(mcgk_sip_response_params *resp, mcgk_sip_registrar_scratch *s, int status,
                   const char *why)
{
    resp->status = status;
    snprintf(s->warning, sizeof s->warning, "%s", why);
    resp->warning_code = 399;
    resp->warning_text = s->warning;
}

static uint32_t remaining(const entry *e, uint64_t now)
{
    uint64_t left = e->expires_unix_s > now ? e->expires_unix_s - now : 0;
    return left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
}

/* RFC 3261 §10.3 */
static void decide_register(mcgk_sip_registrar *r, uint64_t now, const mcgk_sip_msg *req,
                            mcgk_sip_response_params *resp, mcgk_sip_registrar_scratch *s,
                            mcgk_sip_binding *changed, int *has_change, int *removed)
{
    char aor[MCGK_SIP_URI_MAX];
    /* step 5: the address of record is the To URI */
    if (mcgk_sip_uri_aor(req->to_uri, aor, sizeof aor) != MCGK_OK) {
        refuse(resp, s, 400, "To is not a SIP URI");
        return;
    }
    entry **link = NULL;
    entry *e = find(r, aor, &link);
    if (e != NULL && e->expires_unix_s <= now) {
        unlink_entry(r, link);
        e = NULL;
    }
    if (req->n_contacts == 0) { /* step 8: a query */
        resp->status = 200;
        if (e != NULL && e->contact != NULL) {
            snprintf(s->contact, sizeof s->contact, "%s", e->contact);
            resp->contact_uri = s->contact;
            resp->has_contact_expires = 1;
            resp->contact_expires = remaining(e, now);
        }
        return;
    }
    /* step 7: a request older than the binding's (same Call-ID, lower CSeq) fails */
    if (e != NULL && e->has_reg && e->reg_call_id_hash == hash64(req->call_id) &&
        req->cseq <= e->reg_cseq) {
        refuse(resp, s, 500, "REGISTER out of order");
        return;
    }
    if (req->contact_star) { /* step 6: Contact: * needs Expires: 0 */
        if (!req->has_expires || req->expires != 0) {
            refuse(resp, s, 400, "Contact: * needs Expires: 0");
            return;
        }
        if (e != NULL) {
            to_binding(e, changed);
            *has_change = 1;
            *removed = 1;
            unlink_entry(r, link);
        }
        resp->status = 200;
        return;
    }
    uint32_t exp = req->has_contact_expires ? req->contact_expires
                   : req->has_expires       ? req->expires
                                            : r->default_expires;
    if (exp != 0 && exp < r->min_expires) {
        resp->status = 423; /* step 7: Interval Too Brief */
        resp->has_min_expires = 1;
        resp->min_expires = r->min_expires;
        return;
    }
    if (exp > r->max_expires)
        exp = r->max_expires;
    if (exp == 0) { /* removal */
        if (e != NULL) {
            to_binding(e, changed);
            *has_change = 1;
            *removed = 1;
            unlink_entry(r, link);
        }
        resp->status = 200;
        return;
    }
    if (!reachable(req->contact_uri)) {
        refuse(resp, s, 400, "Contact must be a sip: URI with a numeric host");
        return;
    }
    int full;
    e = upsert(r, aor, now, &full);
    if (e == NULL || !set_contact(e, req->contact_uri)) {
        refuse(resp, s, full ? 503 : 500, full ? "registrar full" : "out of memory");
        return;
    }
    e->expires_unix_s = now + exp;
    e->has_reg = 1;
    e->reg_call_id_hash = hash64(req->call_id);
    e->reg_cseq = req->cseq;
    to_binding(e, changed);
    *has_change = 1;
    resp->status = 200;
    snprintf(s->contact, sizeof s->contact, "%s", e->contact);
    resp->contact_uri = s->contact;
    resp->has_contact_expires = 1; /* step 8 */
    resp->contact_expires = exp;
    resp->has_expires = 1;
    resp->expires = exp;
}

/* RFC 6665 §4.2.1 */
static void decide_subscribe(mcgk_sip_registrar *r, uint64_t now, const mcgk_sip_msg *req,
                             const char *local_tag, const char *local_contact,
                             mcgk_sip_response_params *resp, mcgk_sip_registrar_scratch *s,
                             mcgk_sip_binding *changed, int *has_change, int *removed)
{
    if (strcmp(req->event_package, MCGK_SIP_EVENT_GROUP_CONFIG) != 0) {
        refuse(resp, s, 489, "event package not supported"); /* RFC 6665 §4.2.1.1 */
        return;
    }
    char aor[MCGK_SIP_URI_MAX];
    if (mcgk_sip_uri_aor(req->from_uri, aor, sizeof aor) != MCGK_OK) {
        refuse(resp, s, 400, "From is not a SIP URI");
        return;
    }
    if (req->n_contacts != 1 || req->contact_star) {
        refuse(resp, s, 400, "SUBSCRIBE needs one Contact"); /* RFC 6665 §4.1.2.1 */
        return;
    }
    uint32_t exp = req->has_expires ? req->expires : r->default_expires;
    if (exp != 0 && exp < r->min_expires) {
        resp->status = 423;
        resp->has_min_expires = 1;
        resp->min_expires = r->min_expires;
        return;
    }
    if (exp > r->max_expires)
        exp = r->max_expires;
    entry **link = NULL;
    entry *e = find(r, aor, &link);
    int in_dialog = req->to_tag[0] != '\0';
    if (in_dialog && (e == NULL || e->dlg == NULL || strcmp(e->dlg->local_tag, req->to_tag) ||
                      strcmp(e->dlg->call_id, req->call_id))) {
        resp->status = 481; /* a refresh for a subscription we do not have */
        return;
    }
    if (exp == 0) { /* unsubscribe */
        if (e != NULL) {
            to_binding(e, changed);
            *has_change = 1;
            *removed = 1;
            unlink_entry(r, link);
        }
        resp->status = 200;
        resp->has_expires = 1;
        resp->expires = 0;
        return;
    }
    if (!reachable(req->contact_uri)) {
        refuse(resp, s, 400, "Contact must be a sip: URI with a numeric host");
        return;
    }
    int full;
    e = upsert(r, aor, now, &full);
    if (e == NULL || !set_contact(e, req->contact_uri)) {
        refuse(resp, s, full ? 503 : 500, full ? "registrar full" : "out of memory");
        return;
    }
    if (!in_dialog) { /* a new subscription: a new dialog, our tag */
        dialog *d = calloc(1, sizeof *d);
        if (d == NULL) {
            refuse(resp, s, 500, "out of memory");
            return;
        }
        snprintf(d->call_id, sizeof d->call_id, "%s", req->call_id);
        snprintf(d->remote_uri, sizeof d->remote_uri, "%s", req->from_uri);
        snprintf(d->remote_tag, sizeof d->remote_tag, "%s", req->from_tag);
        snprintf(d->local_uri, sizeof d->local_uri, "%s", req->to_uri);
        snprintf(d->local_tag, sizeof d->local_tag, "%s", local_tag);
        free(e->dlg);
        e->dlg = d;
    }
    e->expires_unix_s = now + exp;
    to_binding(e, changed);
    *has_change = 1;
    resp->status = 200;
    resp->has_expires = 1; /* RFC 6665 §4.2.1.1: the duration granted */
    resp->expires = exp;
    if (local_contact != NULL) {
        snprintf(s->contact, sizeof s->contact, "%s", local_contact);
        resp->contact_uri = s->contact;
    }
}

mcgk_err mcgk_sip_registrar_decide(mcgk_sip_registrar *reg, uint64_t now_unix_s,
                                   const mcgk_sip_msg *req, const char *local_tag,
                                   const char *local_contact, mcgk_sip_response_params *resp,
                                   mcgk_sip_registrar_scratch *scratch, mcgk_sip_binding *changed,
                                   int *has_change, int *removed)
{
    if (reg == NULL || req == NULL || resp == NULL || scratch == NULL || changed == NULL ||
        has_change == NULL || removed == NULL || local_tag == NULL || !req->is_request)
        return MCGK_ERR_INVALID_ARG;
    int is_reg = strcmp(req->method, "REGISTER") == 0;
    int is_sub = strcmp(req->method, "SUBSCRIBE") == 0;
    if (!is_reg && !is_sub)
        return MCGK_ERR_UNSUPPORTED;
    memset(resp, 0, sizeof *resp);
    *has_change = 0;
    *removed = 0;
    resp->to_tag = local_tag;
    pthread_mutex_lock(&reg->mu);
    if (is_reg)
        decide_register(reg, now_unix_s, req, resp, scratch, changed, has_change, removed);
    else
        decide_subscribe(reg, now_unix_s, req, local_tag, local_contact, resp, scratch, changed,
                         has_change, removed);
    pthread_mutex_unlock(&reg->mu);
    resp->to_tag = local_tag;
    return MCGK_OK;
}

int mcgk_sip_registrar_on_request(mcgk_sip_registrar *reg, mcgk_sip_endpoint *ep, uint64_t txn,
                                  const mcgk_sip_msg *req)
{
    if (reg == NULL || ep == NULL || req == NULL)
        return 0;
    if (strcmp(req->method, "REGISTER") != 0 && strcmp(req->method, "SUBSCRIBE") != 0)
        return 0;
    char tag[40], contact[MCGK_SIP_URI_MAX];
    mcgk_sip_response_params resp;
    mcgk_sip_registrar_scratch scratch;
    mcgk_sip_binding changed;
    int has_change = 0, removed = 0;
    if (mcgk_sip_random_token(reg->rng, "r", 8, tag, sizeof tag) != MCGK_OK ||
        mcgk_sip_endpoint_contact(ep, NULL, contact, sizeof contact) != MCGK_OK ||
        mcgk_sip_registrar_decide(reg, mcgk_now_unix_s(), req, tag, contact, &resp, &scratch,
                                  &changed, &has_change, &removed) != MCGK_OK) {
        memset(&resp, 0, sizeof resp);
        resp.status = 500;
    }
    (void)mcgk_sip_endpoint_respond(ep, txn, &resp);
    if (has_change && reg->on_binding != NULL)
        reg->on_binding(reg->ctx, &changed, removed);
    return 1;
}

mcgk_err mcgk_sip_registrar_bind(mcgk_sip_registrar *reg, const char *aor, const char *contact,
                                 uint64_t expires_unix_s)
{
    if (reg == NULL || contact == NULL)
        return MCGK_ERR_INVALID_ARG;
    char key[MCGK_SIP_URI_MAX];
    mcgk_err err = mcgk_sip_uri_aor(aor, key, sizeof key);
    if (err == MCGK_ERR_BUFFER_TOO_SMALL)
        err = MCGK_ERR_SIP_MALFORMED;
    if (err != MCGK_OK)
        return err;
    if (strlen(contact) >= MCGK_SIP_URI_MAX || !reachable(contact))
        return MCGK_ERR_INVALID_ARG;
    pthread_mutex_lock(&reg->mu);
    int full;
    entry *e = upsert(reg, key, 0, &full);
    if (e != NULL && set_contact(e, contact)) {
        e->expires_unix_s = expires_unix_s;
        err = MCGK_OK;
    } else {
        err = full ? MCGK_ERR_SIP_BUSY : MCGK_ERR_NO_MEMORY;
    }
    pthread_mutex_unlock(&reg->mu);
    return err;
}

mcgk_err mcgk_sip_registrar_lookup(mcgk_sip_registrar *reg, const char *aor, uint64_t now_unix_s,
                                   mcgk_sip_binding *out)
{
    if (reg == NULL || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    char key[MCGK_SIP_URI_MAX];
    mcgk_err err = mcgk_sip_uri_aor(aor, key, sizeof key);
    if (err != MCGK_OK)
        return err == MCGK_ERR_BUFFER_TOO_SMALL ? MCGK_ERR_SIP_MALFORMED : err;
    pthread_mutex_lock(&reg->mu);
    entry *e = find(reg, key, NULL);
    if (e != NULL && e->expires_unix_s > now_unix_s && e->contact != NULL)
        to_binding(e, out);
    else
        err = MCGK_ERR_SIP_NOT_REGISTERED;
    pthread_mutex_unlock(&reg->mu);
    return err;
}

mcgk_err mcgk_sip_registrar_list(mcgk_sip_registrar *reg, uint64_t now_unix_s,
                                 mcgk_sip_binding *out, size_t cap, size_t *n_out,
                                 size_t *n_total)
{
    if (reg == NULL || n_out == NULL || (out == NULL && cap > 0))
        return MCGK_ERR_INVALID_ARG;
    size_t n = 0, total = 0;
    pthread_mutex_lock(&reg->mu);
    for (size_t i = 0; i <= reg->mask; i++) {
        for (const entry *e = reg->buckets[i]; e != NULL; e = e->next) {
            if (e->expires_unix_s <= now_unix_s || e->contact == NULL)
                continue;
            if (n < cap)
                to_binding(e, &out[n++]);
            total++;
        }
    }
    pthread_mutex_unlock(&reg->mu);
    *n_out = n;
    if (n_total != NULL)
        *n_total = total;
    return MCGK_OK;
}

size_t mcgk_sip_registrar_purge(mcgk_sip_registrar *reg, uint64_t now_unix_s)
{
    pthread_mutex_lock(&reg->mu);
    size_t n = purge_locked(reg, now_unix_s);
    pthread_mutex_unlock(&reg->mu);
    return n;
}

/* ---- the notifier ---------------------------------------------------------------------- */

typedef struct notify_op {
    mcgk_sip_notify_cb cb;
    void *user;
    char aor[MCGK_SIP_URI_MAX];
} notify_op;

static void notify_done(void *user, mcgk_sip_endpoint *ep, uint64_t txn, mcgk_err result,
                        const mcgk_sip_msg *resp)
{
    (void)ep;
    (void)txn;
    notify_op *op = user;
    mcgk_sip_notify_result r;
    memset(&r, 0, sizeof r);
    r.result = result;
    snprintf(r.aor, sizeof r.aor, "%s", op->aor);
    if (resp != NULL) {
        r.status = resp->status;
        r.warning_code = resp->warning_code;
        snprintf(r.warning_text, sizeof r.warning_text, "%s", resp->warning_text);
        snprintf(r.reason_text, sizeof r.reason_text, "%s", resp->reason_text);
    }
    op->cb(op->user, &r);
    free(op);
}

mcgk_err mcgk_sip_notify_send(mcgk_sip_registrar *reg, mcgk_sip_endpoint *ep,
                              uint64_t now_unix_s, const char *aor, const char *content_type,
                              const uint8_t *body, size_t body_len, mcgk_sip_notify_cb cb,
                              void *user)
{
    if (reg == NULL || ep == NULL || aor == NULL || cb == NULL || (body == NULL && body_len))
        return MCGK_ERR_INVALID_ARG;
    char key[MCGK_SIP_URI_MAX];
    mcgk_err err = mcgk_sip_uri_aor(aor, key, sizeof key);
    if (err != MCGK_OK)
        return err == MCGK_ERR_BUFFER_TOO_SMALL ? MCGK_ERR_SIP_MALFORMED : err;

    /* a copy of what the NOTIFY needs, taken under the lock */
    char contact[MCGK_SIP_URI_MAX], state[48];
    dialog dlg;
    int in_dialog = 0;
    pthread_mutex_lock(&reg->mu);
    entry *e = find(reg, key, NULL);
    if (e == NULL || e->expires_unix_s <= now_unix_s || e->contact == NULL) {
        pthread_mutex_unlock(&reg->mu);
        return MCGK_ERR_SIP_NOT_REGISTERED;
    }
    snprintf(contact, sizeof contact, "%s", e->contact);
    /* RFC 6665 §4.1.3 / §8.2.3: the time the subscription has left */
    snprintf(state, sizeof state, "active;expires=%u", (unsigned)remaining(e, now_unix_s));
    if (e->dlg != NULL) {
        e->dlg->local_cseq++; /* RFC 3261 §12.2.1.1: in-dialog CSeq increases by one */
        dlg = *e->dlg;
        in_dialog = 1;
    }
    pthread_mutex_unlock(&reg->mu);

    mcgk_sip_peer to;
    if ((err = mcgk_sip_peer_from_uri(&to, contact)) != MCGK_OK)
        return err == MCGK_ERR_INVALID_ARG ? MCGK_ERR_SIP_MALFORMED : err;
    char our_contact[MCGK_SIP_URI_MAX], from_tag[40], call_id[48];
    if ((err = mcgk_sip_endpoint_contact(ep, NULL, our_contact, sizeof our_contact)) != MCGK_OK)
        return err;
    mcgk_sip_request_params p;
    memset(&p, 0, sizeof p);
    p.method = "NOTIFY";
    p.request_uri = contact; /* the remote target */
    p.contact_uri = our_contact; /* RFC 6665 §4.2.2 */
    if (in_dialog) {
        p.from_uri = dlg.local_uri;
        p.from_tag = dlg.local_tag;
        p.to_uri = dlg.remote_uri;
        p.to_tag = dlg.remote_tag[0] ? dlg.remote_tag : NULL;
        p.call_id = dlg.call_id;
        p.cseq = dlg.local_cseq;
    } else {
        /* bound by REGISTER only: the NOTIFY opens no dialog of its own (docs/sip.md) */
        if ((err = mcgk_sip_random_token(reg->rng, "g", 8, from_tag, sizeof from_tag)) !=
                MCGK_OK ||
            (err = mcgk_sip_random_token(reg->rng, NULL, 16, call_id, sizeof call_id)) !=
                MCGK_OK)
            return err;
        p.from_uri = reg->local_uri;
        p.from_tag = from_tag;
        p.to_uri = key;
        p.call_id = call_id;
        p.cseq = 1;
    }
    p.event = MCGK_SIP_EVENT_GROUP_CONFIG;
    p.subscription_state = state;
    p.content_type = content_type ? content_type : MCGK_SIP_CT_GROUP_CONFIG;
    p.body = body;
    p.body_len = body_len;

    notify_op *op = calloc(1, sizeof *op);
    if (op == NULL)
        return MCGK_ERR_NO_MEMORY;
    op->cb = cb;
    op->user = user;
    snprintf(op->aor, sizeof op->aor, "%s", key);
    err = mcgk_sip_endpoint_request(ep, &to, &p, notify_done, op, NULL);
    if (err != MCGK_OK)
        free(op);
    return err;
}
