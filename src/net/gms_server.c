/*
 * The GMS daemon's machinery (see net/gms_server.h): keyring, job cache,
 * the delivery pipeline (scheduler -> workers -> SIP -> recorder), the SIP
 * registrar glue and the HTTPS pull handler.
 * Spec: TS 33.180 §5.2.1 (GMS distributes the GMK per member), §5.7 (SIP
 * 'Notify group configuration request', HTTP 'Get group configuration');
 * docs/gms-protocol.md; docs/architecture.md (pipeline, crash safety).
 *
 * Secrets: the DEKs, unsealed GMKs in the job cache (wiped on eviction and
 * at stop), signers (SSK; worker copies wiped after each batch), bearer
 * tokens of HTTP requests, the documents in flight (they carry I_MESSAGEs,
 * which are encrypted: not secret, but wiped with the buffers anyway).
 */
#include "net/gms_server.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mcgk/kms.h"
#include "mcgk/platform.h"
#include "mcgk/sip.h"
#include "net/sip_registrar.h"
#include "net/sip_transport.h"
#include "platform/log.h"

#define COMP "gms"
#define MAX_KMS 64        /* KMS certificates held (home + partners) */
#define JOB_CACHE_MAX 32  /* jobs kept unsealed while idle */
#define BATCH_MAX 16      /* members per build batch */
#define DOC_CAP MCGK_GROUPDOC_MAX_LEN
#define OUTCOME_BATCH 1024
#define KEYS_RELOAD_MS 30000

/* ================================ time ================================ */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A message time strictly after the previous one of this process (NTP 32.32):
 * a resend never repeats (sender, timestamp, GUK-ID), so it is not a replay. */
static void fresh_timestamp(uint64_t *ntp_s, uint32_t *frac)
{
    static _Atomic uint64_t last;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t v = (((uint64_t)ts.tv_sec + MCGK_NTP_UNIX_OFFSET_S) << 32) |
                 (((uint64_t)ts.tv_nsec << 32) / 1000000000u);
    uint64_t prev = atomic_load(&last);
    for (;;) {
        uint64_t next = v > prev ? v : prev + 1;
        if (atomic_compare_exchange_weak(&last, &prev, next)) {
            v = next;
            break;
        }
    }
    *ntp_s = v >> 32;
    *frac = (uint32_t)v;
}

/* ================================ keyring ================================ */

typedef struct kms_entry {
    mcgk_kms_cert cert;
    mcgk_sakke_community *community;
    mcgk_gmk_kms view;
    int home;
} kms_entry;

typedef struct keyring {
    pthread_mutex_t mu;
    mcgk_client_store *keys;
    uint8_t dek[MCGK_SEAL_KEY_LEN];
    const char *gms_uri;
    kms_entry *kms[MAX_KMS]; /* never freed before stop: pointers stay valid */
    size_t n_kms;
    kms_entry *retired[MAX_KMS]; /* replaced entries, freed at stop */
    size_t n_retired;
    uint64_t loaded_ms;
    /* the signer of the last key period asked for */
    int have_signer;
    uint64_t signer_period;
    mcgk_eccsi_signer signer; /* secret */
} keyring;

static void kms_entry_free(kms_entry *k)
{
    if (k == NULL)
        return;
    mcgk_sakke_community_free(k->community);
    free(k);
}

typedef struct load_ctx {
    keyring *kr;
    uint64_t now;
    size_t added;
} load_ctx;

static int load_cert(void *ctx, const mcgk_client_cert_row *row)
{
    load_ctx *lc = ctx;
    keyring *kr = lc->kr;
    kms_entry *k = calloc(1, sizeof *k);
    if (k == NULL)
        return 1;
    char q[MCGK_KMS_URI_MAX + 8];
    mcgk_err e = mcgk_kms_cert_parse((const uint8_t *)row->cert_xml, strlen(row->cert_xml),
                                     &k->cert);
    if (e == MCGK_OK)
        e = mcgk_kms_cert_check(&k->cert, lc->now);
    size_t same = kr->n_kms;
    for (size_t i = 0; e == MCGK_OK && i < kr->n_kms; i++)
        if (strcmp(kr->kms[i]->cert.kms_uri, k->cert.kms_uri) == 0)
            same = i;
    if (e == MCGK_OK && same < kr->n_kms &&
        memcmp(kr->kms[same]->cert.pub_enc_key, k->cert.pub_enc_key, MCGK_SAKKE_POINT_LEN) == 0 &&
        memcmp(kr->kms[same]->cert.pub_auth_key, k->cert.pub_auth_key, MCGK_ECCSI_POINT_LEN) ==
            0) {
        kr->kms[same]->home = row->home; /* unchanged */
        free(k);
        return 0;
    }
    if (e == MCGK_OK && !row->home)
        e = mcgk_kms_cert_keys_check(&k->cert); /* a partner's keys before trusting (R-004-03) */
    if (e == MCGK_OK)
        e = mcgk_sakke_community_new(k->cert.pub_enc_key, &k->community);
    if (e != MCGK_OK) {
        mcgk_log(MCGK_LOG_WARN, COMP, "kms-cert-unusable", "kms=%s error=%s",
                 mcgk_log_quote(row->kms_uri, q, sizeof q), mcgk_err_name(e));
        kms_entry_free(k);
        return 0;
    }
    k->home = row->home;
    k->view.kms_uri = k->cert.kms_uri;
    k->view.period_s = k->cert.user_key_period_s;
    k->view.offset_s = k->cert.user_key_offset_s;
    k->view.kpak = k->cert.pub_auth_key;
    k->view.community = k->community;
    if (same < kr->n_kms) {
        if (kr->n_retired < MAX_KMS)
            kr->retired[kr->n_retired++] = kr->kms[same];
        kr->kms[same] = k;
    } else if (kr->n_kms < MAX_KMS) {
        kr->kms[kr->n_kms++] = k;
    } else {
        kms_entry_free(k);
        return 1;
    }
    lc->added++;
    return 0;
}

/* (re)load the certificates; mutex held */
static mcgk_err keyring_load_locked(keyring *kr)
{
    load_ctx lc = {kr, mcgk_now_unix_s(), 0};
    mcgk_err e = kr->keys->ops->cert_list(kr->keys, load_cert, &lc);
    kr->loaded_ms = now_ms();
    if (lc.added > 0)
        mcgk_log(MCGK_LOG_INFO, COMP, "kms-certs", "loaded=%zu held=%zu", lc.added, kr->n_kms);
    return e;
}

static const kms_entry *home_locked(keyring *kr)
{
    for (size_t i = 0; i < kr->n_kms; i++)
        if (kr->kms[i]->home)
            return kr->kms[i];
    return NULL;
}

/* The KMS view for kms_uri ("" = home); NULL when unknown. The pointer stays
 * valid until the server stops. */
static const mcgk_gmk_kms *keyring_kms(keyring *kr, const char *kms_uri)
{
    pthread_mutex_lock(&kr->mu);
    const mcgk_gmk_kms *v = NULL;
    for (int pass = 0; pass < 2 && v == NULL; pass++) {
        if (kms_uri == NULL || kms_uri[0] == '\0') {
            const kms_entry *h = home_locked(kr);
            v = h != NULL ? &h->view : NULL;
        } else {
            for (size_t i = 0; i < kr->n_kms && v == NULL; i++)
                if (strcmp(kr->kms[i]->cert.kms_uri, kms_uri) == 0)
                    v = &kr->kms[i]->view;
        }
        /* unknown: the provisioning loop may have fetched it meanwhile */
        if (v == NULL && pass == 0 && now_ms() - kr->loaded_ms > 1000)
            keyring_load_locked(kr);
        else if (v == NULL)
            break;
    }
    pthread_mutex_unlock(&kr->mu);
    return v;
}

/* A copy of the GMS's signer for the key period of t_ntp_s (R-001-02 / R-003-02:
 * its own key set) and its KMS view. MCGK_ERR_NO_KEYS when none. */
static mcgk_err keyring_signer(keyring *kr, uint64_t t_ntp_s, mcgk_eccsi_signer *out,
                               const mcgk_gmk_kms **gms_kms)
{
    pthread_mutex_lock(&kr->mu);
    mcgk_err e = MCGK_OK;
    const kms_entry *h = home_locked(kr);
    uint64_t period = 0;
    if (h == NULL)
        e = MCGK_ERR_NO_KEYS;
    if (e == MCGK_OK && mcgk_kms_cert_period(&h->cert, t_ntp_s, &period, NULL, NULL) != MCGK_OK)
        e = MCGK_ERR_NO_KEYS;
    if (e == MCGK_OK && (!kr->have_signer || kr->signer_period != period)) {
        mcgk_kms_keyset *ks = malloc(sizeof *ks);
        e = ks == NULL ? MCGK_ERR_NO_MEMORY
                       : mcgk_client_keys_at(kr->keys, kr->dek, kr->gms_uri, NULL, t_ntp_s, ks);
        if (e == MCGK_OK) {
            mcgk_eccsi_signer_clear(&kr->signer);
            kr->have_signer = 0;
            e = mcgk_eccsi_signer_init(&kr->signer, h->cert.pub_auth_key, ks->user_id,
                                       MCGK_UID_LEN, ks->ssk, ks->pvt);
        }
        if (e == MCGK_OK) {
            kr->have_signer = 1;
            kr->signer_period = period;
            mcgk_log(MCGK_LOG_INFO, COMP, "signing-keys", "period=%" PRIu64, period);
        } else {
            mcgk_log(MCGK_LOG_WARN, COMP, "no-signing-keys", "period=%" PRIu64 " error=%s",
                     period, mcgk_err_name(e));
            e = MCGK_ERR_NO_KEYS;
        }
        if (ks != NULL) {
            mcgk_kms_keyset_clear(ks);
            free(ks);
        }
    }
    if (e == MCGK_OK) {
        *out = kr->signer;
        *gms_kms = &h->view;
    }
    pthread_mutex_unlock(&kr->mu);
    return e;
}

static void keyring_free(keyring *kr)
{
    for (size_t i = 0; i < kr->n_kms; i++)
        kms_entry_free(kr->kms[i]);
    for (size_t i = 0; i < kr->n_retired; i++)
        kms_entry_free(kr->retired[i]);
    mcgk_eccsi_signer_clear(&kr->signer);
    mcgk_wipe(kr->dek, sizeof kr->dek);
    pthread_mutex_destroy(&kr->mu);
}

/* ================================ job cache ================================ */

typedef struct job_gmk {
    uint32_t key_id;
    uint8_t key[MCGK_KEY_LEN]; /* secret */
    uint8_t rand[MCGK_GMK_RAND_LEN];
    mcgk_gms_gmk_info info;
    mcgk_gmk_use use;
} job_gmk;

typedef struct job_entry {
    uint64_t id;
    int refs;
    uint64_t used_ms;
    mcgk_err err; /* loading failed: every delivery of it fails with this */
    mcgk_gms_job_row row;
    char names[MCGK_GMS_JOB_GROUPS][MCGK_GMS_NAME_MAX + 1];
    char gms[MCGK_GMS_JOB_GROUPS][MCGK_GMS_URI_MAX + 1];
    mcgk_gms_group_ref refs_[MCGK_GMS_JOB_GROUPS];
    size_t n_gmks;
    job_gmk gmks[MCGK_GMS_DOC_GMKS];
} job_entry;

typedef struct job_cache {
    pthread_mutex_t mu;
    job_entry *e[JOB_CACHE_MAX * 4];
    size_t n;
} job_cache;

static void job_entry_free(job_entry *j)
{
    if (j == NULL)
        return;
    mcgk_wipe(j, sizeof *j);
    free(j);
}

/* ================================ the server ================================ */

typedef struct out_item {
    uint64_t job_id;
    char uri[MCGK_GMS_URI_MAX + 1];
    uint32_t attempts;
    mcgk_err transport;
    int status;
    char reason[MCGK_GMS_REASON_MAX];
} out_item;

typedef struct bind_item {
    int removed;
    char aor[MCGK_SIP_URI_MAX];
    char contact[MCGK_SIP_URI_MAX];
    uint64_t expires;
} bind_item;

struct mcgk_gms_server {
    mcgk_gms_store *store;
    uint8_t dek[MCGK_SEAL_KEY_LEN]; /* secret */
    char gms_uri[MCGK_GMS_URI_MAX + 1];
    mcgk_gms_retry retry;
    size_t chunk, max_inflight;
    uint64_t poll_ms, lease_ms;
    keyring kr;
    job_cache jc;
    mcgk_sip_endpoint *ep;
    mcgk_sip_registrar *reg;
    mcgk_http_server *http;

    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_sched, cv_slots, cv_rec, cv_bq;
    int stopping, rec_stopping;
    mcgk_gms_claim *q;
    size_t q_head, q_len, q_cap;
    size_t inflight;
    out_item *oq;
    size_t oq_head, oq_len, oq_cap;
    bind_item *bq;
    size_t bq_head, bq_len, bq_cap;

    pthread_t sched, rec;
    pthread_t *workers;
    unsigned n_workers, started_workers;
    int sched_started, rec_started;

    _Atomic uint64_t n_sent, n_confirmed, n_failed, n_retried;
};

/* ---- job cache ---- */

static mcgk_err job_load(mcgk_gms_server *s, job_entry *j)
{
    mcgk_err e = mcgk_gms_store_job_get(s->store, j->id, &j->row);
    for (size_t i = 0; e == MCGK_OK && i < j->row.n_groups; i++) {
        mcgk_gms_group_row g;
        e = mcgk_gms_store_group_get_basic(s->store, j->row.groups[i], &g);
        if (e == MCGK_OK) {
            snprintf(j->names[i], sizeof j->names[i], "%s", g.name);
            snprintf(j->gms[i], sizeof j->gms[i], "%s", g.gms_uri);
            j->refs_[i].id = j->row.groups[i];
            j->refs_[i].gms_uri = j->gms[i];
            j->refs_[i].name = j->names[i];
        }
    }
    for (size_t k = 0; e == MCGK_OK && k < j->row.n_gmks; k++) {
        job_gmk *g = &j->gmks[k];
        uint8_t sealed[MCGK_GMS_SEALED_GMK_LEN];
        g->key_id = j->row.key_ids[k];
        e = mcgk_gms_store_gmk_get(s->store, g->key_id, &g->info, sealed, g->rand, NULL, NULL);
        if (e == MCGK_OK)
            e = mcgk_gms_gmk_unseal(s->dek, g->key_id, sealed, g->key);
        g->use = g->info.use;
        j->n_gmks = k + 1;
    }
    return e;
}

static job_entry *job_get(mcgk_gms_server *s, uint64_t id)
{
    job_cache *c = &s->jc;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n; i++) {
        if (c->e[i]->id == id) {
            job_entry *j = c->e[i];
            j->refs++;
            j->used_ms = now_ms();
            pthread_mutex_unlock(&c->mu);
            return j;
        }
    }
    /* evict idle entries beyond the bound, oldest first */
    while (c->n >= JOB_CACHE_MAX) {
        size_t victim = c->n;
        for (size_t i = 0; i < c->n; i++)
            if (c->e[i]->refs == 0 && (victim == c->n || c->e[i]->used_ms < c->e[victim]->used_ms))
                victim = i;
        if (victim == c->n || c->n >= sizeof c->e / sizeof c->e[0])
            break;
        job_entry_free(c->e[victim]);
        c->e[victim] = c->e[--c->n];
    }
    job_entry *j = calloc(1, sizeof *j);
    if (j == NULL || c->n >= sizeof c->e / sizeof c->e[0]) {
        pthread_mutex_unlock(&c->mu);
        free(j);
        return NULL;
    }
    j->id = id;
    j->refs = 1;
    j->used_ms = now_ms();
    j->err = job_load(s, j);
    if (j->err != MCGK_OK)
        mcgk_log(MCGK_LOG_ERROR, COMP, "job-unusable", "job=%" PRIu64 " error=%s", id,
                 mcgk_err_name(j->err));
    c->e[c->n++] = j;
    pthread_mutex_unlock(&c->mu);
    return j;
}

static void job_put(mcgk_gms_server *s, job_entry *j)
{
    if (j == NULL)
        return;
    pthread_mutex_lock(&s->jc.mu);
    j->refs--;
    pthread_mutex_unlock(&s->jc.mu);
}

/* ---- outcomes ---- */

static void push_outcome(mcgk_gms_server *s, uint64_t job, const char *uri, uint32_t attempts,
                         mcgk_err transport, int status, const char *reason)
{
    pthread_mutex_lock(&s->mu);
    if (s->oq_len == s->oq_cap) {
        /* cannot happen (the queue holds every claimed row); drop: the lease
           makes the row due again */
        pthread_mutex_unlock(&s->mu);
        return;
    }
    out_item *o = &s->oq[(s->oq_head + s->oq_len) % s->oq_cap];
    o->job_id = job;
    snprintf(o->uri, sizeof o->uri, "%s", uri);
    o->attempts = attempts;
    o->transport = transport;
    o->status = status;
    snprintf(o->reason, sizeof o->reason, "%s", reason != NULL ? reason : "");
    s->oq_len++;
    pthread_cond_signal(&s->cv_rec);
    pthread_mutex_unlock(&s->mu);
}

typedef struct send_ctx {
    mcgk_gms_server *s;
    uint64_t job_id;
    uint32_t attempts;
    char uri[MCGK_GMS_URI_MAX + 1];
} send_ctx;

static void release_slot(mcgk_gms_server *s)
{
    pthread_mutex_lock(&s->mu);
    if (s->inflight > 0)
        s->inflight--;
    pthread_cond_signal(&s->cv_slots);
    pthread_mutex_unlock(&s->mu);
}

/* the member's answer (R-000-10..12, R-001-22, R-003-25: the 'Notify group
 * configuration response'; R-001-20, R-003-23: an error with the failed check) */
static void on_notify_result(void *user, const mcgk_sip_notify_result *r)
{
    send_ctx *c = user;
    const char *why = r->warning_code != 0 && r->warning_text[0] != '\0' ? r->warning_text
                      : r->reason_text[0] != '\0'                       ? r->reason_text
                                                                         : NULL;
    push_outcome(c->s, c->job_id, c->uri, c->attempts, r->result, r->status, why);
    release_slot(c->s);
    free(c);
}

/* ---- the workers ---- */

typedef struct worker_buf {
    char *docs;                     /* BATCH_MAX * DOC_CAP */
    mcgk_gms_claim items[BATCH_MAX];
} worker_buf;

/* Build and send one group of claims of the same job and mask. */
static void send_group(mcgk_gms_server *s, job_entry *j, const mcgk_gms_claim *const *items,
                       size_t n, char *docs)
{
    mcgk_gmk_member members[BATCH_MAX];
    uint64_t seqs[BATCH_MAX];
    mcgk_gms_doc_out outs[BATCH_MAX];
    size_t idx[BATCH_MAX], m = 0;
    uint32_t mask = items[0]->mask;
    /* each member's KMS: its own, or a partner's (R-004-16) */
    for (size_t i = 0; i < n; i++) {
        /* no registration: no need to build anything (retried with backoff; a
           registration makes it due at once) */
        mcgk_sip_binding b;
        if (mcgk_sip_registrar_lookup(s->reg, items[i]->uri, mcgk_now_unix_s(), &b) != MCGK_OK) {
            push_outcome(s, items[i]->job_id, items[i]->uri, items[i]->attempts,
                         MCGK_ERR_SIP_NOT_REGISTERED, 0, NULL);
            continue;
        }
        const mcgk_gmk_kms *k = keyring_kms(&s->kr, items[i]->kms_uri);
        if (k == NULL) {
            push_outcome(s, items[i]->job_id, items[i]->uri, items[i]->attempts,
                         MCGK_ERR_UNKNOWN_KMS, 0, "unknown-kms");
            continue;
        }
        members[m].uri = items[i]->uri;
        members[m].kms = k;
        seqs[m] = items[i]->seq;
        outs[m].buf = docs + m * DOC_CAP;
        outs[m].cap = DOC_CAP;
        outs[m].len = 0;
        outs[m].err = MCGK_OK;
        idx[m++] = i;
    }
    if (m == 0)
        return;
    /* the contexts: one per GMK, a fresh timestamp, the params listing the member's groups */
    mcgk_gmk_ctx *ctxs = calloc(MCGK_GMS_DOC_GMKS, sizeof *ctxs);
    const mcgk_gmk_ctx *cp[MCGK_GMS_DOC_GMKS];
    mcgk_gmk_use uses[MCGK_GMS_DOC_GMKS];
    mcgk_eccsi_signer signer;
    const mcgk_gmk_kms *gms_kms = NULL;
    mcgk_err e = ctxs == NULL ? MCGK_ERR_NO_MEMORY : j->err;
    uint64_t ts = 0;
    uint32_t frac = 0;
    fresh_timestamp(&ts, &frac);
    size_t nk = j->row.kind == MCGK_GMS_JOB_REMOVE ? 0 : j->n_gmks;
    if (e == MCGK_OK && nk > 0)
        e = keyring_signer(&s->kr, ts, &signer, &gms_kms);
    const char *groups[MCGK_GMS_JOB_GROUPS];
    size_t ng = 0;
    for (size_t g = 0; g < j->row.n_groups; g++)
        if (mask & (1u << g))
            groups[ng++] = j->row.groups[g];
    for (size_t k = 0; e == MCGK_OK && k < nk; k++) {
        mcgk_gms_ctx_in in;
        memset(&in, 0, sizeof in);
        in.key = j->gmks[k].key;
        in.key_id = j->gmks[k].key_id;
        in.rand = j->gmks[k].rand;
        in.info = &j->gmks[k].info;
        in.groups = groups;
        in.n_groups = ng;
        in.revoked = j->row.kind == MCGK_GMS_JOB_REVOKE; /* R-003-34 */
        in.ts_ntp_s = ts;
        in.ts_frac = frac;
        in.gms_uri = s->gms_uri;
        in.gms_kms = gms_kms;
        in.signer = &signer;
        e = mcgk_gms_ctx_init(&ctxs[k], &in);
        cp[k] = &ctxs[k];
        uses[k] = j->gmks[k].use;
    }
    if (e == MCGK_OK)
        e = mcgk_gms_build_docs(j->row.kind, j->refs_, j->row.n_groups, mask, cp, uses, nk,
                                members, seqs, m, mcgk_rng_system(), outs);
    if (nk > 0)
        mcgk_eccsi_signer_clear(&signer);
    for (size_t k = 0; ctxs != NULL && k < MCGK_GMS_DOC_GMKS; k++)
        mcgk_gmk_ctx_clear(&ctxs[k]);
    free(ctxs);
    for (size_t i = 0; i < m; i++) {
        const mcgk_gms_claim *c = items[idx[i]];
        mcgk_err me = e != MCGK_OK ? e : outs[i].err;
        if (me != MCGK_OK) {
            push_outcome(s, c->job_id, c->uri, c->attempts, me, 0, mcgk_err_name(me));
            continue;
        }
        /* bounded concurrency: wait for a slot */
        pthread_mutex_lock(&s->mu);
        while (s->inflight >= s->max_inflight && !s->stopping)
            pthread_cond_wait(&s->cv_slots, &s->mu);
        int stop = s->stopping;
        if (!stop)
            s->inflight++;
        pthread_mutex_unlock(&s->mu);
        if (stop) {
            push_outcome(s, c->job_id, c->uri, c->attempts, MCGK_ERR_SIP_CLOSED, 0, NULL);
            continue;
        }
        send_ctx *sc = malloc(sizeof *sc);
        mcgk_err se = sc == NULL ? MCGK_ERR_NO_MEMORY : MCGK_OK;
        if (sc != NULL) {
            sc->s = s;
            sc->job_id = c->job_id;
            sc->attempts = c->attempts;
            snprintf(sc->uri, sizeof sc->uri, "%s", c->uri);
            /* R-001-08 / R-003-11 / R-000-06: the 'Notify group configuration request' */
            se = mcgk_sip_notify_send(s->reg, s->ep, mcgk_now_unix_s(), c->uri, NULL,
                                      (const uint8_t *)outs[i].buf, outs[i].len,
                                      on_notify_result, sc);
        }
        if (se == MCGK_OK) {
            atomic_fetch_add(&s->n_sent, 1);
            if (mcgk_log_enabled(MCGK_LOG_DEBUG)) {
                char q[MCGK_GMS_URI_MAX + 8];
                mcgk_log(MCGK_LOG_DEBUG, COMP, "notify",
                         "job=%" PRIu64 " member=%s attempt=%" PRIu32 " seq=%" PRIu64
                         " guk_id=%08" PRIx32,
                         c->job_id, mcgk_log_quote(c->uri, q, sizeof q), c->attempts, c->seq,
                         outs[i].guk_ids[0]);
            }
        } else {
            free(sc);
            release_slot(s);
            push_outcome(s, c->job_id, c->uri, c->attempts, se, 0, NULL);
        }
        mcgk_wipe(outs[i].buf, outs[i].len);
    }
}

/* Build and send a batch of claims of one job (grouped by mask). */
static void process_batch(mcgk_gms_server *s, mcgk_gms_claim *items, size_t n, char *docs)
{
    job_entry *j = job_get(s, items[0].job_id);
    if (j == NULL) {
        for (size_t i = 0; i < n; i++)
            push_outcome(s, items[i].job_id, items[i].uri, items[i].attempts,
                         MCGK_ERR_SIP_BUSY, 0, "out of memory");
        return;
    }
    int done[BATCH_MAX] = {0};
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        const mcgk_gms_claim *grp[BATCH_MAX];
        size_t g = 0;
        for (size_t k = i; k < n; k++)
            if (!done[k] && items[k].mask == items[i].mask) {
                grp[g++] = &items[k];
                done[k] = 1;
            }
        send_group(s, j, grp, g, docs);
    }
    job_put(s, j);
}

static void *worker_main(void *arg)
{
    mcgk_gms_server *s = arg;
    worker_buf *wb = calloc(1, sizeof *wb);
    char *docs = malloc((size_t)BATCH_MAX * DOC_CAP);
    if (wb == NULL || docs == NULL) {
        free(wb);
        free(docs);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (s->q_len == 0 && !s->stopping)
            pthread_cond_wait(&s->cv_work, &s->mu);
        if (s->stopping) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        /* a batch: the head and the following claims of the same job */
        size_t n = 0;
        uint64_t job = s->q[s->q_head].job_id;
        while (s->q_len > 0 && n < BATCH_MAX && s->q[s->q_head].job_id == job) {
            wb->items[n++] = s->q[s->q_head];
            s->q_head = (s->q_head + 1) % s->q_cap;
            s->q_len--;
        }
        pthread_cond_signal(&s->cv_sched);
        pthread_mutex_unlock(&s->mu);
        process_batch(s, wb->items, n, docs);
    }
    mcgk_wipe(docs, (size_t)BATCH_MAX * DOC_CAP);
    free(docs);
    free(wb);
    return NULL;
}

/* ---- the scheduler ---- */

static void *sched_main(void *arg)
{
    mcgk_gms_server *s = arg;
    mcgk_gms_claim *buf = calloc(s->chunk, sizeof *buf);
    if (buf == NULL)
        return NULL;
    int logged_error = 0;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        if (s->stopping) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        size_t room = s->q_cap - s->q_len;
        pthread_mutex_unlock(&s->mu);
        size_t want = room < s->chunk ? room : s->chunk;
        size_t got = 0;
        /* a claim when there is room for a good part of a chunk (fewer, larger
           transactions), or for anything at all when the queue is empty */
        if (want > 0 && (want >= s->chunk / 2 || room == s->q_cap)) {
            mcgk_err e = mcgk_gms_store_claim(s->store, now_ms(), s->lease_ms, buf, want, &got);
            if (e != MCGK_OK && !logged_error) {
                mcgk_log(MCGK_LOG_ERROR, COMP, "claim-failed", "error=%s", mcgk_err_name(e));
                logged_error = 1;
            } else if (e == MCGK_OK) {
                logged_error = 0;
            }
        }
        pthread_mutex_lock(&s->mu);
        for (size_t i = 0; i < got; i++)
            s->q[(s->q_head + s->q_len++) % s->q_cap] = buf[i];
        if (got > 0)
            pthread_cond_broadcast(&s->cv_work);
        if (!s->stopping && (got < want || want == 0 || got == 0)) {
            /* nothing more due now: sleep until the poll (or a wake-up) */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            uint64_t ns = (uint64_t)ts.tv_nsec + s->poll_ms * 1000000u;
            ts.tv_sec += (time_t)(ns / 1000000000u);
            ts.tv_nsec = (long)(ns % 1000000000u);
            pthread_cond_timedwait(&s->cv_sched, &s->mu, &ts);
        }
        pthread_mutex_unlock(&s->mu);
    }
    free(buf);
    return NULL;
}

/* ---- the recorder ---- */

static void log_outcome(const out_item *o, const mcgk_gms_delivery *d)
{
    char q[MCGK_GMS_URI_MAX + 8], r[MCGK_GMS_REASON_MAX + 8];
    if (d->state == MCGK_GMS_DLV_FAILED)
        mcgk_log(MCGK_LOG_WARN, COMP, "delivery-failed",
                 "job=%" PRIu64 " member=%s status=%d reason=%s attempts=%" PRIu32, o->job_id,
                 mcgk_log_quote(o->uri, q, sizeof q), d->status,
                 mcgk_log_quote(d->reason, r, sizeof r), o->attempts);
    else if (mcgk_log_enabled(MCGK_LOG_DEBUG))
        mcgk_log(MCGK_LOG_DEBUG, COMP, "delivery",
                 "job=%" PRIu64 " member=%s state=%s status=%d reason=%s attempt=%" PRIu32,
                 o->job_id, mcgk_log_quote(o->uri, q, sizeof q),
                 mcgk_gms_dlv_state_name(d->state), d->status,
                 mcgk_log_quote(d->reason, r, sizeof r), o->attempts);
}

static void *rec_main(void *arg)
{
    mcgk_gms_server *s = arg;
    out_item *items = calloc(OUTCOME_BATCH, sizeof *items);
    mcgk_gms_outcome *outs = calloc(OUTCOME_BATCH, sizeof *outs);
    bind_item *binds = calloc(OUTCOME_BATCH, sizeof *binds);
    if (items == NULL || outs == NULL || binds == NULL) {
        free(items);
        free(outs);
        free(binds);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (s->oq_len == 0 && s->bq_len == 0 && !s->rec_stopping) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&s->cv_rec, &s->mu, &ts);
        }
        if (s->oq_len == 0 && s->bq_len == 0 && s->rec_stopping) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        size_t n = 0, nb = 0;
        while (s->oq_len > 0 && n < OUTCOME_BATCH) {
            items[n++] = s->oq[s->oq_head];
            s->oq_head = (s->oq_head + 1) % s->oq_cap;
            s->oq_len--;
        }
        while (s->bq_len > 0 && nb < OUTCOME_BATCH) {
            binds[nb++] = s->bq[s->bq_head];
            s->bq_head = (s->bq_head + 1) % s->bq_cap;
            s->bq_len--;
        }
        pthread_mutex_unlock(&s->mu);
        uint64_t t = now_ms();
        /* bindings: persisted for the next start (one transaction per batch); a
           registration wakes the deliveries that were waiting for one */
        if (nb > 0) {
            mcgk_gms_binding_change *ch = calloc(nb, sizeof *ch);
            int woke = 0;
            mcgk_err e = ch == NULL ? MCGK_ERR_NO_MEMORY : MCGK_OK;
            for (size_t i = 0; e == MCGK_OK && i < nb; i++) {
                ch[i].removed = binds[i].removed;
                ch[i].aor = binds[i].aor;
                ch[i].contact = binds[i].contact;
                ch[i].expires_unix_s = binds[i].expires;
                woke |= !binds[i].removed;
            }
            if (e == MCGK_OK)
                e = mcgk_gms_store_binding_apply(s->store, ch, nb, t);
            free(ch);
            if (e != MCGK_OK)
                mcgk_log(MCGK_LOG_WARN, COMP, "bindings-not-stored", "n=%zu error=%s", nb,
                         mcgk_err_name(e));
            pthread_mutex_lock(&s->mu);
            pthread_cond_broadcast(&s->cv_bq); /* room again for the SIP thread */
            if (woke)
                pthread_cond_signal(&s->cv_sched);
            pthread_mutex_unlock(&s->mu);
        }
        if (n == 0)
            continue;
        for (size_t i = 0; i < n; i++) {
            mcgk_gms_answer a = {items[i].transport, items[i].status,
                                 items[i].reason[0] ? items[i].reason : NULL};
            mcgk_gms_outcome *o = &outs[i];
            memset(&o->d, 0, sizeof o->d);
            o->job_id = items[i].job_id;
            memcpy(o->uri, items[i].uri, sizeof o->uri);
            o->d.state = MCGK_GMS_DLV_SENT;
            o->d.attempts = items[i].attempts;
            mcgk_gms_delivery_apply(&s->retry, t, &a, &o->d);
            if (o->d.state == MCGK_GMS_DLV_CONFIRMED)
                atomic_fetch_add(&s->n_confirmed, 1);
            else if (o->d.state == MCGK_GMS_DLV_FAILED)
                atomic_fetch_add(&s->n_failed, 1);
            else
                atomic_fetch_add(&s->n_retried, 1);
            log_outcome(&items[i], &o->d);
        }
        size_t applied = 0;
        mcgk_err e = mcgk_gms_store_record(s->store, outs, n, t, &applied);
        if (e != MCGK_OK)
            mcgk_log(MCGK_LOG_ERROR, COMP, "record-failed", "outcomes=%zu error=%s", n,
                     mcgk_err_name(e));
        /* retries may be due soon: let the scheduler look */
        pthread_mutex_lock(&s->mu);
        pthread_cond_signal(&s->cv_sched);
        pthread_mutex_unlock(&s->mu);
    }
    free(items);
    free(outs);
    free(binds);
    return NULL;
}

/* ---- SIP ---- */

static void on_binding(void *ctx, const mcgk_sip_binding *b, int removed)
{
    mcgk_gms_server *s = ctx;
    pthread_mutex_lock(&s->mu);
    /* a registration storm: wait (bounded) for the recorder to store a batch rather than
       drop a binding the next start would need */
    for (int i = 0; s->bq_len == s->bq_cap && !s->rec_stopping && i < 50; i++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_signal(&s->cv_rec);
        pthread_cond_timedwait(&s->cv_bq, &s->mu, &ts);
    }
    if (s->bq_len < s->bq_cap) {
        bind_item *it = &s->bq[(s->bq_head + s->bq_len++) % s->bq_cap];
        it->removed = removed;
        snprintf(it->aor, sizeof it->aor, "%s", b->aor);
        snprintf(it->contact, sizeof it->contact, "%s", b->contact);
        it->expires = b->expires_unix_s;
        pthread_cond_signal(&s->cv_rec);
    } else {
        mcgk_log(MCGK_LOG_WARN, COMP, "binding-not-stored", "reason=queue-full");
    }
    pthread_mutex_unlock(&s->mu);
}

static void on_request(void *ctx, mcgk_sip_endpoint *ep, uint64_t txn, const mcgk_sip_peer *from,
                       const mcgk_sip_msg *req)
{
    (void)from;
    mcgk_gms_server *s = ctx;
    if (mcgk_sip_registrar_on_request(s->reg, ep, txn, req))
        return;
    /* the GMS takes REGISTER and SUBSCRIBE only */
    mcgk_sip_response_params p;
    memset(&p, 0, sizeof p);
    p.status = 405;
    (void)mcgk_sip_endpoint_respond(ep, txn, &p);
}

static int restore_binding(void *ctx, const char *aor, const char *contact, uint64_t expires)
{
    mcgk_gms_server *s = ctx;
    (void)mcgk_sip_registrar_bind(s->reg, aor, contact, expires);
    return 0;
}

/* ---- HTTPS ---- */

static void respond(mcgk_http_response *resp, int status, const char *text)
{
    resp->status = status;
    resp->content_type = "text/plain";
    resp->www_authenticate = status == 401 ? "Bearer realm=\"mcgk-gms\"" : NULL;
    size_t n = strlen(text);
    resp->body = malloc(n + 1);
    if (resp->body != NULL) {
        memcpy(resp->body, text, n + 1);
        resp->body_len = n;
    }
}

typedef struct gmk_pick {
    mcgk_gms_gmk_info all[64];
    size_t n;
} gmk_pick;

static int collect_gmk(void *ctx, const mcgk_gms_gmk_info *g)
{
    gmk_pick *p = ctx;
    if (p->n == sizeof p->all / sizeof p->all[0])
        return 1;
    p->all[p->n++] = *g;
    return 0;
}

/* GET /groups/<id>: a fresh I_MESSAGE for each current GMK (R-003-26..29). */
static mcgk_err pull_doc(mcgk_gms_server *s, const char *uri, const mcgk_gms_member_row *mem,
                         const mcgk_gms_group_row *grp, mcgk_http_response *resp)
{
    gmk_pick *p = calloc(1, sizeof *p);
    job_entry *j = calloc(1, sizeof *j); /* the pull as a one-member "add" job */
    char *doc = malloc(DOC_CAP);
    mcgk_err e = p == NULL || j == NULL || doc == NULL ? MCGK_ERR_NO_MEMORY : MCGK_OK;
    if (e == MCGK_OK)
        e = mcgk_gms_store_gmk_list(s->store, grp->id, collect_gmk, p);
    size_t idx[MCGK_GMS_DOC_GMKS], k = 0;
    if (e == MCGK_OK)
        k = mcgk_gms_current_gmks(p->all, p->n, mcgk_now_unix_s(), idx, MCGK_GMS_DOC_GMKS);
    mcgk_gmk_ctx *ctxs = e == MCGK_OK ? calloc(MCGK_GMS_DOC_GMKS, sizeof *ctxs) : NULL;
    if (e == MCGK_OK && ctxs == NULL)
        e = MCGK_ERR_NO_MEMORY;
    const mcgk_gmk_ctx *cp[MCGK_GMS_DOC_GMKS];
    mcgk_gmk_use uses[MCGK_GMS_DOC_GMKS];
    uint32_t ids[MCGK_GMS_DOC_GMKS];
    mcgk_eccsi_signer signer;
    const mcgk_gmk_kms *gms_kms = NULL;
    uint64_t ts = 0;
    uint32_t frac = 0;
    fresh_timestamp(&ts, &frac);
    if (e == MCGK_OK && k > 0)
        e = keyring_signer(&s->kr, ts, &signer, &gms_kms);
    for (size_t i = 0; e == MCGK_OK && i < k; i++) {
        job_gmk *g = &j->gmks[i];
        uint8_t sealed[MCGK_GMS_SEALED_GMK_LEN];
        char groups[MCGK_GMS_JOB_GROUPS][MCGK_GMS_GROUP_ID_MAX + 1];
        size_t ng = 0;
        g->key_id = p->all[idx[i]].key_id;
        e = mcgk_gms_store_gmk_get(s->store, g->key_id, &g->info, sealed, g->rand, groups, &ng);
        if (e == MCGK_OK)
            e = mcgk_gms_gmk_unseal(s->dek, g->key_id, sealed, g->key);
        /* the parameters list the GMK's groups this member is in (R-001-07) */
        const char *mine[MCGK_GMS_JOB_GROUPS];
        size_t nm = 0;
        for (size_t x = 0; e == MCGK_OK && x < ng; x++) {
            mcgk_gms_member_row r;
            if (strcmp(groups[x], grp->id) == 0 ||
                (mcgk_gms_store_member_get(s->store, groups[x], uri, &r) == MCGK_OK &&
                 !r.removed && r.authorised))
                mine[nm++] = groups[x];
        }
        mcgk_gms_ctx_in in;
        memset(&in, 0, sizeof in);
        in.key = g->key;
        in.key_id = g->key_id;
        in.rand = g->rand;
        in.info = &g->info;
        in.groups = mine;
        in.n_groups = nm;
        in.ts_ntp_s = ts;
        in.ts_frac = frac;
        in.gms_uri = s->gms_uri;
        in.gms_kms = gms_kms;
        in.signer = &signer;
        if (e == MCGK_OK)
            e = mcgk_gms_ctx_init(&ctxs[i], &in);
        cp[i] = &ctxs[i];
        uses[i] = g->info.use;
        ids[i] = g->key_id;
    }
    const mcgk_gmk_kms *mk = NULL;
    if (e == MCGK_OK) {
        mk = keyring_kms(&s->kr, mem->kms_uri);
        if (mk == NULL)
            e = MCGK_ERR_UNKNOWN_KMS;
    }
    uint64_t seq = 0;
    if (e == MCGK_OK)
        e = mcgk_gms_store_user_next_seq(s->store, uri, NULL, &seq);
    mcgk_gms_doc_out out = {doc, DOC_CAP, 0, {0}, MCGK_OK};
    if (e == MCGK_OK) {
        mcgk_gms_group_ref ref = {grp->id, grp->gms_uri, grp->name};
        mcgk_gmk_member m = {uri, mk};
        e = mcgk_gms_build_docs(MCGK_GMS_JOB_ADD, &ref, 1, 1, cp, uses, k, &m, &seq, 1,
                                mcgk_rng_system(), &out);
        if (e == MCGK_OK)
            e = out.err;
    }
    if (e == MCGK_OK)
        e = mcgk_gms_store_pull_put(s->store, uri, grp->id, seq, ids, k, mcgk_now_unix_s());
    if (e == MCGK_OK) {
        resp->status = 200;
        resp->content_type = MCGK_SIP_CT_GROUP_CONFIG;
        resp->body = malloc(out.len + 1);
        if (resp->body == NULL) {
            e = MCGK_ERR_NO_MEMORY;
        } else {
            memcpy(resp->body, doc, out.len);
            resp->body_len = out.len;
        }
        char q[MCGK_GMS_URI_MAX + 8], g[MCGK_GMS_GROUP_ID_MAX + 8];
        mcgk_log(MCGK_LOG_INFO, COMP, "pull", "member=%s group=%s gmks=%zu seq=%" PRIu64,
                 mcgk_log_quote(uri, q, sizeof q), mcgk_log_quote(grp->id, g, sizeof g), k, seq);
    }
    if (k > 0 && gms_kms != NULL)
        mcgk_eccsi_signer_clear(&signer);
    for (size_t i = 0; ctxs != NULL && i < MCGK_GMS_DOC_GMKS; i++)
        mcgk_gmk_ctx_clear(&ctxs[i]);
    free(ctxs);
    job_entry_free(j);
    if (doc != NULL)
        mcgk_wipe(doc, DOC_CAP);
    free(doc);
    free(p);
    return e;
}

void mcgk_gms_server_handle(void *ctx, const mcgk_http_request *req, mcgk_http_response *resp)
{
    mcgk_gms_server *s = ctx;
    mcgk_gms_http_req *r = calloc(1, sizeof *r);
    mcgk_gms_member_row *mem = calloc(1, sizeof *mem);
    mcgk_gms_group_row *grp = calloc(1, sizeof *grp);
    char uri[MCGK_GMS_URI_MAX + 1] = "";
    mcgk_err e = r == NULL || mem == NULL || grp == NULL ? MCGK_ERR_NO_MEMORY : MCGK_OK;
    if (e == MCGK_OK)
        e = mcgk_gms_http_parse(req->method, req->path, req->authorization, req->body,
                                req->body_len, r);
    if (e == MCGK_OK) {
        uint8_t h[MCGK_KMS_TOKEN_HASH_LEN];
        e = mcgk_kms_token_hash(r->token, strlen(r->token), h);
        if (e == MCGK_OK)
            e = mcgk_gms_store_user_by_token(s->store, h, uri);
        mcgk_wipe(h, sizeof h);
    }
    /* 404 for an unknown group, 403 for a non-member (docs/gms-protocol.md) */
    if (e == MCGK_OK)
        e = mcgk_gms_store_group_get_basic(s->store, r->group_id, grp);
    if (e == MCGK_OK) {
        e = mcgk_gms_store_member_get(s->store, r->group_id, uri, mem);
        /* R-001-27 / R-001-31: authorised members only */
        if (e == MCGK_ERR_NOT_FOUND || (e == MCGK_OK && (mem->removed || !mem->authorised)))
            e = MCGK_ERR_FORBIDDEN;
    }
    if (e == MCGK_OK && r->route == MCGK_GMS_ROUTE_GET_GROUP) {
        e = pull_doc(s, uri, mem, grp, resp);
    } else if (e == MCGK_OK) {
        /* R-003-31: the client's verdict, recorded like a SIP answer */
        mcgk_gms_answer a = {r->result.status >= 200 && r->result.status < 300 ? MCGK_OK
                                                                               : MCGK_ERR_PEER,
                             (int)r->result.status, r->result.reason};
        size_t applied = 0;
        e = mcgk_gms_store_pull_result(s->store, uri, r->group_id, &a, now_ms(), &applied);
        char q[MCGK_GMS_URI_MAX + 8], g[MCGK_GMS_GROUP_ID_MAX + 8], w[MCGK_GROUPDOC_REASON_MAX + 8];
        if (e == MCGK_OK) {
            mcgk_log(a.transport == MCGK_OK ? MCGK_LOG_INFO : MCGK_LOG_WARN, COMP, "pull-result",
                     "member=%s group=%s status=%u reason=%s deliveries=%zu",
                     mcgk_log_quote(uri, q, sizeof q), mcgk_log_quote(r->group_id, g, sizeof g),
                     r->result.status, mcgk_log_quote(r->result.reason, w, sizeof w), applied);
            respond(resp, 200, "recorded\n");
        }
    }
    if (e != MCGK_OK) {
        int st = mcgk_gms_http_status(e);
        if (e == MCGK_ERR_NOT_FOUND && r != NULL && r->route == MCGK_GMS_ROUTE_RESULT &&
            grp != NULL && grp->id[0] != '\0')
            st = 409; /* a result without a pull to answer */
        char line[128];
        snprintf(line, sizeof line, "%d %s: %s\n", st, mcgk_http_reason(st), mcgk_err_name(e));
        respond(resp, st, line);
        char p[160];
        mcgk_log(st >= 500 ? MCGK_LOG_ERROR : MCGK_LOG_INFO, COMP, "http-refused",
                 "method=%s path=%s status=%d error=%s peer=%s",
                 mcgk_log_quote(req->method, p, 16), mcgk_log_quote(req->path, p + 16, 128), st,
                 mcgk_err_name(e), req->peer != NULL ? req->peer : "-");
    }
    mcgk_gms_http_req_clear(r);
    free(r);
    free(mem);
    free(grp);
}

/* ================================ start / stop ================================ */

uint16_t mcgk_gms_server_sip_port(const mcgk_gms_server *s)
{
    return s != NULL && s->ep != NULL ? mcgk_sip_endpoint_port(s->ep) : 0;
}

uint16_t mcgk_gms_server_http_port(const mcgk_gms_server *s)
{
    return s != NULL && s->http != NULL ? mcgk_http_server_port(s->http) : 0;
}

void mcgk_gms_server_reload_keys(mcgk_gms_server *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->kr.mu);
    keyring_load_locked(&s->kr);
    pthread_mutex_unlock(&s->kr.mu);
}

static unsigned cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 256 ? (unsigned)n : 2;
}

void mcgk_gms_server_stop(mcgk_gms_server *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cv_work);
    pthread_cond_broadcast(&s->cv_sched);
    pthread_cond_broadcast(&s->cv_slots);
    pthread_mutex_unlock(&s->mu);
    if (s->sched_started)
        pthread_join(s->sched, NULL);
    for (unsigned i = 0; i < s->started_workers; i++)
        pthread_join(s->workers[i], NULL);
    mcgk_http_server_stop(s->http);
    s->http = NULL;
    /* in-flight NOTIFYs end here (MCGK_ERR_SIP_CLOSED -> recorded as retries) */
    mcgk_sip_endpoint_free(s->ep);
    s->ep = NULL;
    /* claims still queued: back to pending now rather than after their lease */
    pthread_mutex_lock(&s->mu);
    while (s->q_len > 0) {
        mcgk_gms_claim *c = &s->q[s->q_head];
        s->q_head = (s->q_head + 1) % s->q_cap;
        s->q_len--;
        pthread_mutex_unlock(&s->mu);
        push_outcome(s, c->job_id, c->uri, c->attempts, MCGK_ERR_SIP_CLOSED, 0, NULL);
        pthread_mutex_lock(&s->mu);
    }
    s->rec_stopping = 1;
    pthread_cond_broadcast(&s->cv_rec);
    pthread_mutex_unlock(&s->mu);
    if (s->rec_started)
        pthread_join(s->rec, NULL);
    mcgk_sip_registrar_free(s->reg);
    mcgk_log(MCGK_LOG_INFO, COMP, "pipeline-stopped",
             "sent=%" PRIu64 " confirmed=%" PRIu64 " failed=%" PRIu64 " retried=%" PRIu64,
             atomic_load(&s->n_sent), atomic_load(&s->n_confirmed), atomic_load(&s->n_failed),
             atomic_load(&s->n_retried));
    for (size_t i = 0; i < s->jc.n; i++)
        job_entry_free(s->jc.e[i]);
    pthread_mutex_destroy(&s->jc.mu);
    keyring_free(&s->kr);
    free(s->workers);
    free(s->q);
    free(s->oq);
    free(s->bq);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv_work);
    pthread_cond_destroy(&s->cv_sched);
    pthread_cond_destroy(&s->cv_slots);
    pthread_cond_destroy(&s->cv_rec);
    pthread_cond_destroy(&s->cv_bq);
    mcgk_wipe(s->dek, sizeof s->dek);
    free(s);
}

mcgk_err mcgk_gms_server_start(const mcgk_gms_server_config *cfg, mcgk_gms_server **out)
{
    if (cfg == NULL || out == NULL || cfg->store == NULL || cfg->dek == NULL ||
        cfg->keys == NULL || cfg->keys_dek == NULL || cfg->gms_uri == NULL ||
        cfg->sip_host == NULL || strlen(cfg->gms_uri) > MCGK_GMS_URI_MAX)
        return MCGK_ERR_INVALID_ARG;
    mcgk_gms_server *s = calloc(1, sizeof *s);
    if (s == NULL)
        return MCGK_ERR_NO_MEMORY;
    s->store = cfg->store;
    memcpy(s->dek, cfg->dek, sizeof s->dek);
    snprintf(s->gms_uri, sizeof s->gms_uri, "%s", cfg->gms_uri);
    s->retry = cfg->retry;
    s->chunk = cfg->chunk ? cfg->chunk : 256;
    s->max_inflight = cfg->max_inflight ? cfg->max_inflight : 1024;
    s->poll_ms = cfg->poll_ms ? cfg->poll_ms : 100;
    s->lease_ms = cfg->lease_ms ? cfg->lease_ms : 120000;
    s->n_workers = cfg->workers ? cfg->workers : cpus();
    s->q_cap = 2 * s->chunk;
    s->oq_cap = s->q_cap + s->max_inflight + (size_t)s->n_workers * BATCH_MAX + 16;
    s->bq_cap = 4096;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv_work, NULL);
    pthread_cond_init(&s->cv_sched, NULL);
    pthread_cond_init(&s->cv_slots, NULL);
    pthread_cond_init(&s->cv_rec, NULL);
    pthread_cond_init(&s->cv_bq, NULL);
    pthread_mutex_init(&s->jc.mu, NULL);
    pthread_mutex_init(&s->kr.mu, NULL);
    s->kr.keys = cfg->keys;
    memcpy(s->kr.dek, cfg->keys_dek, sizeof s->kr.dek);
    s->kr.gms_uri = s->gms_uri;
    s->q = calloc(s->q_cap, sizeof *s->q);
    s->oq = calloc(s->oq_cap, sizeof *s->oq);
    s->bq = calloc(s->bq_cap, sizeof *s->bq);
    s->workers = calloc(s->n_workers, sizeof *s->workers);
    mcgk_err e = s->q && s->oq && s->bq && s->workers ? MCGK_OK : MCGK_ERR_NO_MEMORY;
    if (e == MCGK_OK) {
        pthread_mutex_lock(&s->kr.mu);
        e = keyring_load_locked(&s->kr);
        if (e == MCGK_OK && home_locked(&s->kr) == NULL)
            e = MCGK_ERR_NO_KEYS;
        pthread_mutex_unlock(&s->kr.mu);
        if (e == MCGK_ERR_NO_KEYS)
            mcgk_log(MCGK_LOG_ERROR, COMP, "no-kms-certificate",
                     "hint=\"run 'mcgk gms init' (or provisioning) first\"");
    }
    /* crash safety: nothing is in flight after a restart - every "sent" row is resumed */
    uint64_t resumed = 0;
    if (e == MCGK_OK)
        e = mcgk_gms_store_resume(s->store, now_ms(), &resumed);
    if (e == MCGK_OK && resumed > 0)
        mcgk_log(MCGK_LOG_INFO, COMP, "resumed", "deliveries=%" PRIu64, resumed);
    if (e == MCGK_OK) {
        mcgk_sip_registrar_config rc;
        memset(&rc, 0, sizeof rc);
        rc.local_uri = s->gms_uri;
        rc.on_binding = on_binding;
        rc.ctx = s;
        e = mcgk_sip_registrar_new(&rc, &s->reg);
        if (e != MCGK_OK)
            mcgk_log(MCGK_LOG_ERROR, COMP, "registrar", "error=%s (the GMS URI must be a SIP URI)",
                     mcgk_err_name(e));
    }
    if (e == MCGK_OK)
        e = mcgk_gms_store_binding_list(s->store, mcgk_now_unix_s(), restore_binding, s);
    if (e == MCGK_OK) {
        mcgk_sip_endpoint_config ec;
        memset(&ec, 0, sizeof ec);
        ec.host = cfg->sip_host;
        ec.port = cfg->sip_port;
        ec.t1_ms = cfg->sip_t1_ms;
        ec.max_client_txns = s->max_inflight + 1024;
        ec.on_request = on_request;
        ec.ctx = s;
        ec.log_comp = "gms-sip";
        e = mcgk_sip_endpoint_new(&ec, &s->ep);
    }
    if (e == MCGK_OK && cfg->http_host != NULL) {
        mcgk_http_server_config hc;
        memset(&hc, 0, sizeof hc);
        hc.host = cfg->http_host;
        hc.port = cfg->http_port;
        hc.tls_cert_path = cfg->tls_cert_path;
        hc.tls_key_path = cfg->tls_key_path;
        hc.threads = cfg->http_threads;
        hc.max_body_len = MCGK_GROUPDOC_MAX_LEN;
        hc.handler = mcgk_gms_server_handle;
        hc.ctx = s;
        e = mcgk_http_server_start(&hc, &s->http);
    }
    if (e == MCGK_OK)
        e = mcgk_sip_endpoint_start(s->ep);
    if (e == MCGK_OK) {
        if (pthread_create(&s->rec, NULL, rec_main, s) != 0)
            e = MCGK_ERR_IO;
        else
            s->rec_started = 1;
    }
    for (unsigned i = 0; e == MCGK_OK && i < s->n_workers; i++) {
        if (pthread_create(&s->workers[i], NULL, worker_main, s) != 0)
            e = MCGK_ERR_IO;
        else
            s->started_workers++;
    }
    if (e == MCGK_OK) {
        if (pthread_create(&s->sched, NULL, sched_main, s) != 0)
            e = MCGK_ERR_IO;
        else
            s->sched_started = 1;
    }
    if (e != MCGK_OK) {
        mcgk_gms_server_stop(s);
        return e;
    }
    *out = s;
    return MCGK_OK;
}
