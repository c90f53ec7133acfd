/*
 * mcgk client run: the MC client daemon (docs/client.md, the contract
 * docs/gms-protocol.md). For each of its identities (one, or many in one
 * process for large tests):
 *   - provisions its key material from the KMS (TS 33.180 §5.3, Annex D:
 *     net/kms_client.h) and keeps the current and the next key period's;
 *   - REGISTERs with the GMS (refreshing before the binding expires) so the
 *     GMS can push ('Notify group configuration request', R-001-08,
 *     R-003-11, R-000-06) and answers each NOTIFY: 200 once the result is
 *     committed, or the error status with Warning: 399 <host> "<check>"
 *     (R-001-20/22, R-003-23/25, R-004-09/11, R-000-10);
 *   - pulls by HTTPS ('Get group configuration request', R-003-27) and
 *     posts the outcome back (R-003-31);
 *   - opens every I_MESSAGE with the full checklist and applies the
 *     client's rules (src/client/client.c), storing in one transaction
 *     before answering (src/store/client_gmk_sqlite.c).
 * The SIP endpoint (one UDP socket for every identity: each identity's
 * Contact user is "m<index>") runs its own thread; documents are handled
 * by a pool of worker threads (one identity at a time each); the main
 * thread schedules provisioning, registrations and pulls, and stops the
 * whole cleanly on SIGTERM / SIGINT.
 *
 * Logs (stderr, comp "client"): identities, groups, GMK-IDs, GUK-IDs,
 * statuses and error names; never keys, tokens or bodies.
 *
 * Secrets: KMS and GMS bearer tokens (read from 0600 files, wiped on
 * exit), the store's DEK, the RSKs unsealed to build receivers (wiped;
 * receivers wipe on free), the GMKs in loaded states (wiped).
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client_app.h"
#include "mcgk/client.h"
#include "mcgk/group_doc.h"
#include "mcgk/kms.h"
#include "mcgk/platform.h"
#include "mcgk/sip.h"
#include "net/http_client.h"
#include "net/kms_client.h"
#include "net/sip_transport.h"
#include "platform/file.h"
#include "platform/log.h"
#include "shell.h"
#include "store/client_gmk.h"

#define COMP "client"
#define MAX_IDENTITIES 100000
#define MAX_LIST 32          /* --gms, --group, --pull entries */
#define QUEUE_MAX 65536      /* pending jobs */
#define REG_IN_FLIGHT 256    /* REGISTERs outstanding at once */
#define REG_BACKOFF_MAX_S 300
#define UNREGISTER_WAIT_MS 2000 /* at shutdown: how long the Expires: 0 answers are awaited */
#define TOKEN_MAX 4096

/* ================================ configuration ================================ */

typedef struct ident {
    char *uri;
    char contact_user[24];       /* "m<index>": our Contact's user part */
    uint8_t *kms_token;          /* secret */
    size_t kms_token_len;
    uint8_t *gms_token;          /* secret; NULL when none */
    size_t gms_token_len;
    pthread_mutex_t mu;          /* one document at a time per identity */
    /* guarded by daemon.mu */
    int provisioned;             /* key sets stored (or no KMS configured) */
    int prov_queued;
    uint64_t prov_next_unix_s;   /* 0 = not scheduled */
    int reg_state;               /* 0 idle, 1 in flight, 2 registered */
    uint64_t reg_next_ms;        /* monotonic ms; 0 = not scheduled */
    uint32_t reg_backoff_s;
    uint32_t reg_expires;        /* asked for next */
    uint32_t cseq;
    char *call_id, *from_tag;    /* made at the first REGISTER */
    uint64_t pull_next_unix_s;   /* 0 = not scheduled */
    int initial_pulls_done;
} ident;

typedef enum job_kind { JOB_NOTIFY = 1, JOB_PULL = 2, JOB_PROVISION = 3 } job_kind;

typedef struct job {
    job_kind kind;
    size_t ident;
    uint64_t txn;         /* NOTIFY: the server transaction */
    uint64_t queued_ms;   /* NOTIFY: when it arrived (monotonic) */
    uint8_t *body;        /* NOTIFY: a copy of the body */
    size_t body_len;
    char *group;          /* PULL: the group, NULL = every known and configured group */
    struct job *next;
} job;

/* A receiver (RSK with its pairing lines) of an identity for a key period, shared. */
typedef struct rentry {
    size_t ident;
    uint64_t period_no;
    mcgk_sakke_receiver *r;
    int refs;
    uint64_t used;        /* LRU tick */
    int in_cache;         /* 0: built while the cache was full; freed on release */
} rentry;

typedef struct cdaemon {
    /* flags */
    const char *kms_url, *cacert, *gms_sip, *gms_url;
    long timeout_ms;
    uint64_t prefetch_s, retry_s, pull_interval_s;
    uint32_t expires;
    int once;
    const char *authorised[MAX_LIST];
    size_t n_authorised;
    mcgk_gmk_group_gms profile[MAX_LIST];
    size_t n_profile;
    const char *pulls[MAX_LIST];
    size_t n_pulls;

    /* stores */
    mcgk_client_store *cstore;
    mcgk_client_gmk_store *gstore;
    uint8_t dek[MCGK_SEAL_KEY_LEN];

    /* KMS certificates (home and partners), rebuilt when provisioning changes them */
    pthread_rwlock_t kms_lock;
    int have_kms;
    mcgk_kms_cert *home;
    mcgk_sakke_community *community;
    mcgk_gmk_kms own_kms;
    mcgk_kms_cert *partners;
    mcgk_gmk_kms *trusted;
    size_t n_trusted;

    /* receivers */
    pthread_mutex_t rmu;
    rentry *rcache;
    size_t rcap;
    uint64_t rtick;

    /* identities */
    ident *ids;
    size_t n_ids;

    /* SIP */
    mcgk_sip_endpoint *ep;
    mcgk_sip_peer gms_peer;
    char agent[64];       /* our host:port for Warning headers */

    /* work */
    pthread_mutex_t mu;   /* guards the queue and the schedule fields of ident */
    pthread_cond_t cv;
    job *head, *tail;     /* NOTIFYs first: the GMS waits for their answers */
    job *lo_head, *lo_tail; /* provisioning and pulls */
    size_t queued;
    uint64_t notify_ttl_ms; /* a NOTIFY older than this cannot be answered any more */
    pthread_mutex_t full_mu; /* one full provisioning round (certificates) at a time */
    uint64_t full_period;  /* the key period of the last full round (0: none yet) */
    size_t active;        /* jobs being worked on */
    pthread_t *workers;
    size_t n_workers;
    atomic_int stopping;
    size_t reg_in_flight;
    int unregistering;    /* shutdown: REGISTERs carry Expires: 0 */
    size_t unregistered;

    /* results (for --once and the final log) */
    atomic_int docs_ok, docs_refused, pulls_failed;
} cdaemon;

static cdaemon *g_d; /* for the SIP callbacks' context checks only */

/* ================================ small helpers ================================ */

static uint64_t now_ms(void)
{
    return mcgk_monotonic_ns() / 1000000ull;
}

static const char *q(const char *s, char *buf, size_t cap)
{
    return mcgk_log_quote(s, buf, cap);
}

/* Split "a,b,c" (copied into *store) into out[], at most MAX_LIST. */
static mcgk_err split_list(const char *flag, const char *v, char **store, const char **out,
                           size_t *n)
{
    *n = 0;
    if (v == NULL)
        return MCGK_OK;
    char *c = strdup(v);
    if (c == NULL)
        return MCGK_ERR_NO_MEMORY;
    *store = c;
    for (char *save = NULL, *t = strtok_r(c, ",", &save); t != NULL;
         t = strtok_r(NULL, ",", &save)) {
        if (*n == MAX_LIST || t[0] == '\0' || strlen(t) >= MCGK_GROUPDOC_URI_MAX) {
            fprintf(stderr, "--%s: at most %d non-empty entries below %d octets\n", flag,
                    MAX_LIST, MCGK_GROUPDOC_URI_MAX);
            return MCGK_ERR_USAGE;
        }
        out[(*n)++] = t;
    }
    return MCGK_OK;
}

/* HOST:PORT or PORT (host 127.0.0.1); IPv6 as [ADDR]:PORT. */
static mcgk_err parse_listen(const char *s, char *host, size_t cap, uint16_t *port)
{
    const char *h = "127.0.0.1", *p = s;
    size_t hl = strlen(h);
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (rb == NULL || rb[1] != ':')
            return MCGK_ERR_USAGE;
        h = s + 1;
        hl = (size_t)(rb - s - 1);
        p = rb + 2;
    } else if (strrchr(s, ':') != NULL) {
        const char *c = strrchr(s, ':');
        h = s;
        hl = (size_t)(c - s);
        p = c + 1;
    }
    if (hl == 0 || hl >= cap)
        return MCGK_ERR_USAGE;
    char *end = NULL;
    unsigned long v = strtoul(p, &end, 10);
    if (end == p || *end != '\0' || v > 65535)
        return MCGK_ERR_USAGE;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (uint16_t)v;
    return MCGK_OK;
}

static void free_secret(uint8_t *p, size_t len)
{
    if (p != NULL)
        mcgk_file_free(p, len + 1);
}

/* A token given inline (identities file): a private copy with a NUL after it. */
static mcgk_err dup_secret(const char *s, size_t n, uint8_t **out, size_t *out_len)
{
    uint8_t *p = malloc(n + 1);
    if (p == NULL)
        return MCGK_ERR_NO_MEMORY;
    memcpy(p, s, n);
    p[n] = 0;
    *out = p;
    *out_len = n;
    return MCGK_OK;
}

/* ================================ identities ================================ */

static mcgk_err add_ident(cdaemon *d, size_t cap, const char *uri, size_t uri_len)
{
    if (d->n_ids == cap || uri_len == 0 || uri_len >= MCGK_KMS_URI_MAX) {
        fprintf(stderr, "identities: at most %zu, each 1..%d octets\n", cap, MCGK_KMS_URI_MAX - 1);
        return MCGK_ERR_USAGE;
    }
    ident *id = &d->ids[d->n_ids];
    memset(id, 0, sizeof *id);
    id->uri = strndup(uri, uri_len);
    if (id->uri == NULL)
        return MCGK_ERR_NO_MEMORY;
    snprintf(id->contact_user, sizeof id->contact_user, "m%zu", d->n_ids);
    pthread_mutex_init(&id->mu, NULL);
    d->n_ids++;
    return MCGK_OK;
}

/* --identities FILE: "URI KMS-TOKEN [GMS-TOKEN]" per line, # comments; mode 0600. */
static mcgk_err load_identities_file(cdaemon *d, const char *path)
{
    uint8_t *data = NULL;
    size_t len = 0;
    mcgk_err e = mcgk_file_read_private(path, 64u << 20, &data, &len);
    if (e != MCGK_OK) {
        fprintf(stderr, "cannot read --identities %s (%s)\n", path, mcgk_err_name(e));
        return e;
    }
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += data[i] == '\n';
    d->ids = calloc(lines < MAX_IDENTITIES ? lines : MAX_IDENTITIES, sizeof *d->ids);
    if (d->ids == NULL)
        e = MCGK_ERR_NO_MEMORY;
    char *p = (char *)data, *end = (char *)data + len;
    size_t line_no = 0;
    while (e == MCGK_OK && p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl != NULL ? nl : end;
        line_no++;
        const char *f[3];
        size_t fl[3], nf = 0;
        for (char *c = p; c < le;) {
            while (c < le && (*c == ' ' || *c == '\t' || *c == '\r'))
                c++;
            if (c == le || *c == '#')
                break;
            char *s = c;
            while (c < le && *c != ' ' && *c != '\t' && *c != '\r')
                c++;
            if (nf == 3) {
                nf = 4;
                break;
            }
            f[nf] = s;
            fl[nf++] = (size_t)(c - s);
        }
        int too_long = nf >= 2 && (fl[1] > TOKEN_MAX || (nf == 3 && fl[2] > TOKEN_MAX));
        if (nf == 1 || nf > 3 || too_long) {
            fprintf(stderr, "%s:%zu: want URI KMS-TOKEN [GMS-TOKEN]\n", path, line_no);
            e = MCGK_ERR_USAGE;
        } else if (nf >= 2) {
            e = add_ident(d, lines < MAX_IDENTITIES ? lines : MAX_IDENTITIES, f[0], fl[0]);
            ident *id = &d->ids[d->n_ids - 1];
            if (e == MCGK_OK)
                e = dup_secret(f[1], fl[1], &id->kms_token, &id->kms_token_len);
            if (e == MCGK_OK && nf == 3)
                e = dup_secret(f[2], fl[2], &id->gms_token, &id->gms_token_len);
        }
        p = le + 1;
    }
    mcgk_file_free(data, len);
    if (e == MCGK_OK && d->n_ids == 0) {
        fprintf(stderr, "--identities %s: no identity\n", path);
        e = MCGK_ERR_USAGE;
    }
    return e;
}

/* --user-range PATTERN:A-B (PATTERN has one %d), tokens from --token-dir DIR/N.tok and
   DIR/N.gms.tok (the latter optional). */
static mcgk_err load_user_range(cdaemon *d, const char *spec, const char *token_dir)
{
    const char *colon = strrchr(spec, ':');
    const char *pct = strstr(spec, "%d");
    unsigned long a = 0, b = 0;
    char *end = NULL;
    if (colon != NULL) {
        a = strtoul(colon + 1, &end, 10);
        if (end != NULL && *end == '-')
            b = strtoul(end + 1, &end, 10);
        else
            end = NULL;
    }
    if (colon == NULL || pct == NULL || pct > colon || strstr(pct + 2, "%") != NULL ||
        strchr(spec, '%') != pct || end == NULL || *end != '\0' || a > b ||
        b - a >= MAX_IDENTITIES || (size_t)(colon - spec) >= MCGK_KMS_URI_MAX - 12) {
        fprintf(stderr, "--user-range: want PATTERN:A-B with one %%d in PATTERN, A <= B, "
                        "at most %d identities\n",
                MAX_IDENTITIES);
        return MCGK_ERR_USAGE;
    }
    size_t n = (size_t)(b - a + 1);
    d->ids = calloc(n, sizeof *d->ids);
    if (d->ids == NULL)
        return MCGK_ERR_NO_MEMORY;
    char pattern[MCGK_KMS_URI_MAX];
    memcpy(pattern, spec, (size_t)(colon - spec));
    pattern[colon - spec] = '\0';
    mcgk_err e = MCGK_OK;
    for (unsigned long k = a; e == MCGK_OK && k <= b; k++) {
        char uri[MCGK_KMS_URI_MAX + 16], path[SHELL_PATH_MAX + 32];
        size_t pre = (size_t)(pct - spec);
        int m = snprintf(uri, sizeof uri, "%.*s%lu%s", (int)pre, pattern, k, pattern + pre + 2);
        if (m < 0 || (size_t)m >= MCGK_KMS_URI_MAX) {
            e = MCGK_ERR_USAGE;
            break;
        }
        e = add_ident(d, n, uri, (size_t)m);
        ident *id = &d->ids[d->n_ids - 1];
        if (e == MCGK_OK && token_dir != NULL) {
            snprintf(path, sizeof path, "%s/%lu.tok", token_dir, k);
            if (mcgk_file_exists(path))
                e = shell_read_secret(path, &id->kms_token, &id->kms_token_len);
            snprintf(path, sizeof path, "%s/%lu.gms.tok", token_dir, k);
            if (e == MCGK_OK && mcgk_file_exists(path))
                e = shell_read_secret(path, &id->gms_token, &id->gms_token_len);
            if (e != MCGK_OK)
                fprintf(stderr, "cannot read the tokens of %s in %s\n", uri, token_dir);
        }
    }
    return e;
}

/* ================================ KMS certificates ================================ */

typedef struct partner_ctx {
    cdaemon *d;
    size_t n;
} partner_ctx;

static int count_partner(void *ctx, const mcgk_client_cert_row *row)
{
    partner_ctx *p = ctx;
    p->n += !row->home;
    return 0;
}

static int load_partner(void *ctx, const mcgk_client_cert_row *row)
{
    partner_ctx *p = ctx;
    cdaemon *d = p->d;
    if (row->home || d->n_trusted >= p->n)
        return 0;
    mcgk_kms_cert *c = &d->partners[d->n_trusted];
    if (mcgk_kms_cert_parse((const uint8_t *)row->cert_xml, strlen(row->cert_xml), c) != MCGK_OK ||
        mcgk_kms_cert_check(c, mcgk_now_unix_s()) != MCGK_OK)
        return 0; /* not usable now: not trusted */
    mcgk_gmk_kms *t = &d->trusted[d->n_trusted++];
    t->kms_uri = c->kms_uri;
    t->period_s = c->user_key_period_s;
    t->offset_s = c->user_key_offset_s;
    t->kpak = c->pub_auth_key;
    t->community = NULL;
    return 0;
}

/* Free the receivers (the caller holds kms_lock for writing, or is alone). */
static void rcache_flush(cdaemon *d)
{
    pthread_mutex_lock(&d->rmu);
    for (size_t i = 0; i < d->rcap; i++)
        if (d->rcache[i].r != NULL && d->rcache[i].refs == 0) {
            mcgk_sakke_receiver_free(d->rcache[i].r);
            memset(&d->rcache[i], 0, sizeof d->rcache[i]);
        }
    pthread_mutex_unlock(&d->rmu);
}

/* (Re)load the home and partner certificates from the store (write lock held). */
static mcgk_err load_kms(cdaemon *d)
{
    mcgk_kms_cert *home = malloc(sizeof *home);
    if (home == NULL)
        return MCGK_ERR_NO_MEMORY;
    mcgk_err e = mcgk_client_cert_at(d->cstore, NULL, home);
    if (e != MCGK_OK) {
        free(home);
        return e == MCGK_ERR_NOT_FOUND ? MCGK_ERR_NO_KEYS : e;
    }
    if (d->have_kms &&
        memcmp(home->pub_enc_key, d->home->pub_enc_key, sizeof home->pub_enc_key) == 0 &&
        memcmp(home->pub_auth_key, d->home->pub_auth_key, sizeof home->pub_auth_key) == 0 &&
        strcmp(home->kms_uri, d->home->kms_uri) == 0 &&
        home->user_key_period_s == d->home->user_key_period_s &&
        home->user_key_offset_s == d->home->user_key_offset_s) {
        free(home);
    } else {
        mcgk_sakke_community *c = NULL;
        e = mcgk_sakke_community_new(home->pub_enc_key, &c);
        if (e != MCGK_OK) {
            free(home);
            return e;
        }
        rcache_flush(d); /* receivers of the old community */
        mcgk_sakke_community_free(d->community);
        free(d->home);
        d->home = home;
        d->community = c;
        d->own_kms.kms_uri = home->kms_uri;
        d->own_kms.period_s = home->user_key_period_s;
        d->own_kms.offset_s = home->user_key_offset_s;
        d->own_kms.kpak = home->pub_auth_key;
        d->own_kms.community = c;
        d->have_kms = 1;
    }
    /* partners (R-004-03): every usable certificate from the certcache */
    partner_ctx p = {d, 0};
    e = d->cstore->ops->cert_list(d->cstore, count_partner, &p);
    free(d->partners);
    free(d->trusted);
    d->partners = NULL;
    d->trusted = NULL;
    d->n_trusted = 0;
    if (e == MCGK_OK && p.n > 0) {
        d->partners = calloc(p.n, sizeof *d->partners);
        d->trusted = calloc(p.n, sizeof *d->trusted);
        if (d->partners == NULL || d->trusted == NULL)
            e = MCGK_ERR_NO_MEMORY;
        if (e == MCGK_OK)
            e = d->cstore->ops->cert_list(d->cstore, load_partner, &p);
    }
    return e;
}

static void reload_kms(cdaemon *d)
{
    pthread_rwlock_wrlock(&d->kms_lock);
    mcgk_err e = load_kms(d);
    pthread_rwlock_unlock(&d->kms_lock);
    if (e != MCGK_OK && e != MCGK_ERR_NO_KEYS)
        mcgk_log(MCGK_LOG_WARN, COMP, "kms-certificates", "error=%s", mcgk_err_name(e));
}

/* ================================ receivers ================================ */

/* Build the receiver of identity i for period_no from its stored key set. */
static mcgk_err build_receiver(cdaemon *d, size_t i, uint64_t period_no, mcgk_sakke_receiver **out)
{
    mcgk_kms_keyset *ks = malloc(sizeof *ks);
    if (ks == NULL)
        return MCGK_ERR_NO_MEMORY;
    /* TS 33.180 §5.3: the key set of the period (a time inside it) */
    uint64_t t = d->own_kms.offset_s + period_no * d->own_kms.period_s;
    mcgk_err e = mcgk_client_keys_at(d->cstore, d->dek, d->ids[i].uri, d->home->kms_uri, t, ks);
    if (e == MCGK_ERR_PERIOD)
        e = MCGK_ERR_NO_KEYS;
    if (e == MCGK_OK)
        e = mcgk_sakke_receiver_new(d->community, ks->user_id, sizeof ks->user_id, ks->rsk, out);
    mcgk_kms_keyset_clear(ks);
    free(ks);
    return e;
}

/* Take a receiver (cached, or built now); release with rcache_release. */
static mcgk_err rcache_acquire(cdaemon *d, size_t i, uint64_t period_no, rentry **out)
{
    pthread_mutex_lock(&d->rmu);
    for (size_t k = 0; k < d->rcap; k++) {
        rentry *r = &d->rcache[k];
        if (r->r != NULL && r->ident == i && r->period_no == period_no) {
            r->refs++;
            r->used = ++d->rtick;
            *out = r;
            pthread_mutex_unlock(&d->rmu);
            return MCGK_OK;
        }
    }
    pthread_mutex_unlock(&d->rmu);
    mcgk_sakke_receiver *rcv = NULL;
    mcgk_err e = build_receiver(d, i, period_no, &rcv);
    if (e != MCGK_OK)
        return e;
    pthread_mutex_lock(&d->rmu);
    rentry *slot = NULL;
    for (size_t k = 0; k < d->rcap; k++) {
        rentry *r = &d->rcache[k];
        if (r->r != NULL && r->ident == i && r->period_no == period_no) {
            /* another worker built it meanwhile: use that one */
            mcgk_sakke_receiver_free(rcv);
            r->refs++;
            r->used = ++d->rtick;
            *out = r;
            pthread_mutex_unlock(&d->rmu);
            return MCGK_OK;
        }
        if (r->r == NULL)
            slot = slot != NULL && slot->r == NULL ? slot : r;
        else if (r->refs == 0 && (slot == NULL || (slot->r != NULL && r->used < slot->used)))
            slot = r;
    }
    if (slot == NULL) {
        /* every cached receiver is in use: a private one, freed on release */
        pthread_mutex_unlock(&d->rmu);
        rentry *p = calloc(1, sizeof *p);
        if (p == NULL) {
            mcgk_sakke_receiver_free(rcv);
            return MCGK_ERR_NO_MEMORY;
        }
        p->r = rcv;
        p->refs = 1;
        *out = p;
        return MCGK_OK;
    }
    if (slot->r != NULL)
        mcgk_sakke_receiver_free(slot->r); /* least recently used */
    slot->ident = i;
    slot->period_no = period_no;
    slot->r = rcv;
    slot->refs = 1;
    slot->used = ++d->rtick;
    slot->in_cache = 1;
    *out = slot;
    pthread_mutex_unlock(&d->rmu);
    return MCGK_OK;
}

static void rcache_release(cdaemon *d, rentry *r)
{
    if (r == NULL)
        return;
    if (!r->in_cache) {
        mcgk_sakke_receiver_free(r->r);
        free(r);
        return;
    }
    pthread_mutex_lock(&d->rmu);
    r->refs--;
    pthread_mutex_unlock(&d->rmu);
}

/* ================================ the queue ================================ */

static void job_free(job *j)
{
    if (j == NULL)
        return;
    if (j->body != NULL) {
        mcgk_wipe(j->body, j->body_len);
        free(j->body);
    }
    free(j->group);
    free(j);
}

/* Queue a job (takes it). MCGK_ERR_SIP_BUSY when the queue is full or stopping. */
static mcgk_err enqueue(cdaemon *d, job *j)
{
    pthread_mutex_lock(&d->mu);
    if (d->queued >= QUEUE_MAX || atomic_load(&d->stopping)) {
        pthread_mutex_unlock(&d->mu);
        return MCGK_ERR_SIP_BUSY;
    }
    j->next = NULL;
    job **head = j->kind == JOB_NOTIFY ? &d->head : &d->lo_head;
    job **tail = j->kind == JOB_NOTIFY ? &d->tail : &d->lo_tail;
    if (*tail != NULL)
        (*tail)->next = j;
    else
        *head = j;
    *tail = j;
    d->queued++;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    return MCGK_OK;
}

/* The next job: NOTIFYs before the rest (d->mu held). NULL when none. */
static job *dequeue(cdaemon *d)
{
    job **head = d->head != NULL ? &d->head : &d->lo_head;
    job **tail = d->head != NULL ? &d->tail : &d->lo_tail;
    job *j = *head;
    if (j == NULL)
        return NULL;
    *head = j->next;
    if (*head == NULL)
        *tail = NULL;
    d->queued--;
    return j;
}

static mcgk_err queue_simple(cdaemon *d, job_kind kind, size_t i, const char *group)
{
    job *j = calloc(1, sizeof *j);
    if (j == NULL)
        return MCGK_ERR_NO_MEMORY;
    j->kind = kind;
    j->ident = i;
    if (group != NULL && (j->group = strdup(group)) == NULL) {
        free(j);
        return MCGK_ERR_NO_MEMORY;
    }
    mcgk_err e = enqueue(d, j);
    if (e != MCGK_OK)
        job_free(j);
    return e;
}

/* ================================ one document ================================ */

typedef struct rctx {
    cdaemon *d;
    size_t ident;
    rentry *held[MCGK_GROUPDOC_MAX_GMKS];
    size_t n_held;
    int no_keys;
} rctx;

static mcgk_err receiver_cb(void *ctx, uint64_t period_no, const mcgk_sakke_receiver **out)
{
    rctx *c = ctx;
    if (c->n_held == MCGK_GROUPDOC_MAX_GMKS)
        return MCGK_ERR_INVALID_ARG;
    rentry *r = NULL;
    mcgk_err e = rcache_acquire(c->d, c->ident, period_no, &r);
    if (e == MCGK_ERR_NO_KEYS)
        c->no_keys = 1;
    if (e != MCGK_OK)
        return e;
    c->held[c->n_held++] = r;
    *out = r->r;
    return MCGK_OK;
}

static void log_outcome(const ident *id, const char *via, const char *group,
                        const mcgk_client_outcome *o, uint64_t elapsed_us)
{
    char u[MCGK_KMS_URI_MAX + 8], g[MCGK_GROUPDOC_URI_MAX + 8];
    q(id->uri, u, sizeof u);
    if (o->result != MCGK_OK) {
        mcgk_log(MCGK_LOG_WARN, COMP, "refused",
                 "identity=%s via=%s%s%s status=%d error=%s detail=%s gmk_index=%d us=%" PRIu64,
                 u, via, group ? " group=" : "", group ? q(group, g, sizeof g) : "", o->status,
                 mcgk_err_name(o->result), mcgk_err_name(o->detail), o->gmk_index, elapsed_us);
        return;
    }
    for (size_t i = 0; i < o->n_events; i++) {
        const mcgk_client_event *ev = &o->events[i];
        if (ev->action >= MCGK_CLIENT_EV_GROUP_MEMBER)
            mcgk_log(MCGK_LOG_INFO, COMP, "group", "identity=%s group=%s state=%s", u,
                     q(ev->group, g, sizeof g), mcgk_client_action_name(ev->action));
        else
            mcgk_log(MCGK_LOG_INFO, COMP, "gmk",
                     "identity=%s gmk_id=%08" PRIx32 " guk_id=%08" PRIx32 " use=%s action=%s%s%s",
                     u, ev->gmk_id, ev->guk_id,
                     ev->use == MCGK_GMK_USE_FLOOR_CONTROL ? "floor-control" : "media",
                     mcgk_client_action_name(ev->action), ev->group[0] ? " group=" : "",
                     ev->group[0] ? q(ev->group, g, sizeof g) : "");
    }
    mcgk_log(MCGK_LOG_INFO, COMP, "accepted",
             "identity=%s via=%s status=200 duplicate=%s us=%" PRIu64, u, via,
             o->duplicate_doc ? "yes" : "no", elapsed_us);
}

/* Open, decide, commit: the whole handling of one document for identity i. */
static void handle_doc(cdaemon *d, size_t i, const uint8_t *body, size_t len,
                       mcgk_client_outcome *o)
{
    ident *id = &d->ids[i];
    pthread_mutex_lock(&id->mu);
    pthread_rwlock_rdlock(&d->kms_lock);
    mcgk_client_state st;
    memset(&st, 0, sizeof st);
    rctx rc;
    memset(&rc, 0, sizeof rc);
    rc.d = d;
    rc.ident = i;
    mcgk_err e = d->have_kms ? MCGK_OK : MCGK_ERR_NO_KEYS;
    if (e == MCGK_OK)
        e = mcgk_client_gmk_store_load(d->gstore, d->dek, id->uri, &st);
    if (e != MCGK_OK) {
        memset(o, 0, sizeof *o);
        o->gmk_index = -1;
        mcgk_client_outcome_fail(o, e);
    } else {
        mcgk_client_cfg cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.identity = id->uri;
        cfg.own_kms = &d->own_kms;
        cfg.receiver = receiver_cb;
        cfg.receiver_ctx = &rc;
        cfg.trusted = d->trusted;
        cfg.n_trusted = d->n_trusted;
        cfg.authorised_gms = d->authorised;
        cfg.n_authorised_gms = d->n_authorised;
        cfg.profile = d->profile;
        cfg.n_profile = d->n_profile;
        mcgk_client_process_bytes(&cfg, &st, body, len, mcgk_now_unix_s(), o);
        /* stored before the answer goes back (docs/gms-protocol.md) */
        if (o->result == MCGK_OK && !o->duplicate_doc) {
            e = mcgk_client_gmk_store_commit(d->gstore, d->dek, id->uri, &st, mcgk_rng_system());
            if (e != MCGK_OK)
                mcgk_client_outcome_fail(o, e);
        }
    }
    for (size_t k = 0; k < rc.n_held; k++)
        rcache_release(d, rc.held[k]);
    pthread_rwlock_unlock(&d->kms_lock);
    mcgk_client_state_clear(&st);
    pthread_mutex_unlock(&id->mu);
    if (o->result == MCGK_OK)
        atomic_fetch_add(&d->docs_ok, 1);
    else
        atomic_fetch_add(&d->docs_refused, 1);
    if (rc.no_keys && d->kms_url != NULL) {
        /* keys for that period are missing: fetch them soon */
        pthread_mutex_lock(&d->mu);
        id->prov_next_unix_s = 1;
        pthread_mutex_unlock(&d->mu);
    }
}

/* ================================ NOTIFY ================================ */

static void answer(cdaemon *d, uint64_t txn, int status, const char *reason, const char *warning)
{
    mcgk_sip_response_params r;
    memset(&r, 0, sizeof r);
    r.status = status;
    r.reason_phrase = reason;
    if (warning != NULL && status >= 300) {
        /* docs/gms-protocol.md: Warning: 399 <client-host> "<mcgk error name>" */
        r.warning_code = 399;
        r.warning_agent = d->agent;
        r.warning_text = warning;
        r.reason_text = warning;
    }
    mcgk_err e = mcgk_sip_endpoint_respond(d->ep, txn, &r);
    if (e != MCGK_OK)
        mcgk_log(MCGK_LOG_WARN, COMP, "answer-failed", "status=%d error=%s", status,
                 mcgk_err_name(e));
}

static void do_notify(cdaemon *d, job *j)
{
    mcgk_client_outcome *o = malloc(sizeof *o);
    if (o == NULL) {
        answer(d, j->txn, 500, NULL, mcgk_err_name(MCGK_ERR_NO_MEMORY));
        return;
    }
    uint64_t t0 = mcgk_monotonic_ns();
    handle_doc(d, j->ident, j->body, j->body_len, o);
    log_outcome(&d->ids[j->ident], "sip", NULL, o, (mcgk_monotonic_ns() - t0) / 1000);
    const char *crash = getenv("MCGK_TEST_CRASH");
    if (crash != NULL && strcmp(crash, "client-reply") == 0 && o->result == MCGK_OK)
        raise(SIGKILL); /* the crash test: committed, not yet answered */
    answer(d, j->txn, o->status, o->reason, o->warning);
    free(o);
}

/* "sip:m12@127.0.0.1:5070" -> 12 (our Contact users) */
static int ident_of_uri(const cdaemon *d, const char *uri, size_t *i)
{
    const char *u = strncmp(uri, "sip:", 4) == 0 ? uri + 4 : NULL;
    if (u == NULL || u[0] != 'm' || u[1] < '0' || u[1] > '9')
        return 0;
    char *end = NULL;
    unsigned long v = strtoul(u + 1, &end, 10);
    if (end == NULL || *end != '@' || v >= d->n_ids)
        return 0;
    *i = (size_t)v;
    return 1;
}

static void on_request(void *ctx, mcgk_sip_endpoint *ep, uint64_t txn, const mcgk_sip_peer *from,
                       const mcgk_sip_msg *req)
{
    (void)from;
    cdaemon *d = ctx;
    (void)ep;
    char cid[96], ru[MCGK_SIP_URI_MAX + 8];
    if (strcmp(req->method, "OPTIONS") == 0) {
        answer(d, txn, 200, NULL, NULL);
        return;
    }
    if (strcmp(req->method, "NOTIFY") != 0) {
        answer(d, txn, 405, NULL, NULL);
        return;
    }
    size_t i = 0;
    if (!ident_of_uri(d, req->request_uri, &i)) {
        mcgk_log(MCGK_LOG_WARN, COMP, "notify-unknown", "request_uri=%s call_id=%s",
                 q(req->request_uri, ru, sizeof ru), q(req->call_id, cid, sizeof cid));
        answer(d, txn, 404, NULL, NULL);
        return;
    }
    /* the contract's event package and body type (docs/gms-protocol.md) */
    if (strcmp(req->event_package, MCGK_SIP_EVENT_GROUP_CONFIG) != 0) {
        answer(d, txn, 489, NULL, NULL);
        return;
    }
    size_t ctl = strlen(MCGK_SIP_CT_GROUP_CONFIG);
    if (strncmp(req->content_type, MCGK_SIP_CT_GROUP_CONFIG, ctl) != 0) {
        answer(d, txn, 415, NULL, NULL);
        return;
    }
    job *j = calloc(1, sizeof *j);
    if (j != NULL && req->body_len > 0 && (j->body = malloc(req->body_len)) == NULL) {
        free(j);
        j = NULL;
    }
    if (j == NULL) {
        answer(d, txn, 500, NULL, mcgk_err_name(MCGK_ERR_NO_MEMORY));
        return;
    }
    j->kind = JOB_NOTIFY;
    j->ident = i;
    j->txn = txn;
    j->queued_ms = now_ms();
    if (req->body_len > 0)
        memcpy(j->body, req->body, req->body_len);
    j->body_len = req->body_len;
    if (enqueue(d, j) != MCGK_OK) {
        job_free(j);
        answer(d, txn, 503, NULL, NULL); /* the GMS retries later */
    }
}

/* ================================ REGISTER ================================ */

static void on_register(void *user, mcgk_sip_endpoint *ep, uint64_t txn, mcgk_err result,
                        const mcgk_sip_msg *resp)
{
    (void)ep;
    (void)txn;
    cdaemon *d = g_d;
    ident *id = user;
    char u[MCGK_KMS_URI_MAX + 8];
    uint64_t t = now_ms();
    pthread_mutex_lock(&d->mu);
    d->reg_in_flight--;
    if (d->unregistering) { /* shutdown: whatever the answer, we are gone */
        id->reg_state = 0;
        d->unregistered += result == MCGK_OK;
        pthread_mutex_unlock(&d->mu);
        mcgk_log(MCGK_LOG_DEBUG, COMP, "unregistered", "identity=%s result=%s",
                 q(id->uri, u, sizeof u), mcgk_err_name(result));
        return;
    }
    if (result == MCGK_OK) {
        uint32_t granted = id->reg_expires;
        if (resp != NULL && resp->has_contact_expires)
            granted = resp->contact_expires;
        else if (resp != NULL && resp->has_expires)
            granted = resp->expires;
        if (granted == 0)
            granted = id->reg_expires;
        id->reg_state = 2;
        id->reg_backoff_s = 0;
        /* refresh at half the granted time (RFC 3261 §10.2.4) */
        id->reg_next_ms = t + (uint64_t)(granted > 2 ? granted / 2 : 1) * 1000ull;
        pthread_mutex_unlock(&d->mu);
        mcgk_log(MCGK_LOG_INFO, COMP, "registered", "identity=%s expires=%u",
                 q(id->uri, u, sizeof u), (unsigned)granted);
        return;
    }
    int status = resp != NULL ? resp->status : 0;
    if (status == 423 && resp->has_min_expires && resp->min_expires > id->reg_expires) {
        /* Interval Too Brief: ask again with the minimum (§10.2.8) */
        id->reg_expires = resp->min_expires;
        id->reg_state = 0;
        id->reg_next_ms = t;
    } else {
        id->reg_state = 0;
        id->reg_backoff_s = id->reg_backoff_s ? id->reg_backoff_s * 2 : 2;
        if (id->reg_backoff_s > REG_BACKOFF_MAX_S)
            id->reg_backoff_s = REG_BACKOFF_MAX_S;
        id->reg_next_ms = t + (uint64_t)id->reg_backoff_s * 1000ull;
    }
    uint32_t backoff = id->reg_backoff_s;
    pthread_mutex_unlock(&d->mu);
    mcgk_log(MCGK_LOG_WARN, COMP, "register-failed", "identity=%s status=%d error=%s retry_in_s=%u",
             q(id->uri, u, sizeof u), status, mcgk_err_name(result), (unsigned)backoff);
}

/* Send the REGISTER of identity i (daemon.mu held). */
static void send_register(cdaemon *d, size_t i)
{
    ident *id = &d->ids[i];
    char contact[MCGK_SIP_URI_MAX], u[MCGK_KMS_URI_MAX + 8];
    mcgk_err e = MCGK_OK;
    if (id->call_id == NULL) {
        id->call_id = malloc(48);
        id->from_tag = malloc(40);
        if (id->call_id == NULL || id->from_tag == NULL)
            e = MCGK_ERR_NO_MEMORY;
        if (e == MCGK_OK)
            e = mcgk_sip_random_token(mcgk_rng_system(), NULL, 16, id->call_id, 48);
        if (e == MCGK_OK)
            e = mcgk_sip_random_token(mcgk_rng_system(), "t", 8, id->from_tag, 40);
        if (e != MCGK_OK) {
            free(id->call_id);
            free(id->from_tag);
            id->call_id = id->from_tag = NULL;
        }
        if (id->reg_expires == 0)
            id->reg_expires = d->expires;
    }
    if (e == MCGK_OK)
        e = mcgk_sip_endpoint_contact(d->ep, id->contact_user, contact, sizeof contact);
    if (e == MCGK_OK) {
        mcgk_sip_request_params p;
        memset(&p, 0, sizeof p);
        p.method = "REGISTER";
        p.request_uri = d->gms_sip;
        p.from_uri = p.to_uri = id->uri; /* RFC 3261 §10.2: To is the address of record */
        p.from_tag = id->from_tag;
        p.call_id = id->call_id; /* the same Call-ID for every refresh (§10.2.4) */
        p.cseq = ++id->cseq;
        p.contact_uri = contact;
        p.has_expires = 1;
        p.expires = d->unregistering ? 0 : id->reg_expires;
        id->reg_state = 1;
        d->reg_in_flight++;
        /* the callback may run before this returns: it takes d->mu, so release it */
        pthread_mutex_unlock(&d->mu);
        e = mcgk_sip_endpoint_request(d->ep, &d->gms_peer, &p, on_register, id, NULL);
        pthread_mutex_lock(&d->mu);
        if (e != MCGK_OK) {
            d->reg_in_flight--;
            id->reg_state = 0;
        }
    }
    if (e != MCGK_OK) {
        id->reg_next_ms = now_ms() + 5000;
        mcgk_log(MCGK_LOG_WARN, COMP, "register-failed", "identity=%s error=%s retry_in_s=5",
                 q(id->uri, u, sizeof u), mcgk_err_name(e));
    }
}

/* Shutdown: each registered identity sends REGISTER with Expires: 0 (RFC 3261
 * §10.2.2), so that the GMS keeps its notifications until we are back instead
 * of sending them into the void; the answers are awaited UNREGISTER_WAIT_MS. */
static void unregister_all(cdaemon *d)
{
    if (d->ep == NULL)
        return;
    uint64_t deadline = now_ms() + UNREGISTER_WAIT_MS;
    size_t next = 0, sent = 0;
    pthread_mutex_lock(&d->mu);
    d->unregistering = 1;
    while (now_ms() < deadline) {
        while (next < d->n_ids && d->reg_in_flight < REG_IN_FLIGHT) {
            if (d->ids[next].reg_state == 2) {
                send_register(d, next);
                sent++;
            }
            next++;
        }
        if (next >= d->n_ids && d->reg_in_flight == 0)
            break;
        pthread_mutex_unlock(&d->mu);
        struct timespec ts = {0, 10000000L}; /* 10 ms */
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&d->mu);
    }
    size_t done = d->unregistered;
    pthread_mutex_unlock(&d->mu);
    if (sent > 0)
        mcgk_log(MCGK_LOG_INFO, COMP, "unregistered", "identities=%zu answered=%zu", sent, done);
}

/* ================================ HTTPS pull ================================ */

static mcgk_err group_url(const cdaemon *d, const char *group, const char *suffix, char *out,
                          size_t cap)
{
    char enc[3 * MCGK_GROUPDOC_URI_MAX + 1];
    mcgk_err e = mcgk_kms_percent_encode(group, enc, sizeof enc);
    if (e != MCGK_OK)
        return e;
    size_t bl = strlen(d->gms_url);
    while (bl > 0 && d->gms_url[bl - 1] == '/')
        bl--;
    int n = snprintf(out, cap, "%.*s/groups/%s%s", (int)bl, d->gms_url, enc, suffix);
    return n > 0 && (size_t)n < cap ? MCGK_OK : MCGK_ERR_BUFFER_TOO_SMALL;
}

/* 'Get group configuration' for one group, and the result back (R-003-27, R-003-31). */
static void pull_one(cdaemon *d, size_t i, const char *group)
{
    ident *id = &d->ids[i];
    char url[4096], u[MCGK_KMS_URI_MAX + 8], g[MCGK_GROUPDOC_URI_MAX + 8];
    q(id->uri, u, sizeof u);
    q(group, g, sizeof g);
    mcgk_http_client_opts ho;
    memset(&ho, 0, sizeof ho);
    ho.ca_file = d->cacert;
    ho.bearer = (const char *)id->gms_token;
    ho.timeout_ms = d->timeout_ms;
    ho.max_response_len = MCGK_GROUPDOC_MAX_LEN;
    int status = 0;
    uint8_t *resp = NULL;
    size_t resp_len = 0;
    mcgk_err e = group_url(d, group, "", url, sizeof url);
    if (e == MCGK_OK)
        e = mcgk_http_get(&ho, url, MCGK_SIP_CT_GROUP_CONFIG, &status, &resp, &resp_len);
    if (e != MCGK_OK || status != 200) {
        /* 401 wrong token, 403 not a member, 404 unknown group (docs/gms-protocol.md) */
        mcgk_log(MCGK_LOG_WARN, COMP, "pull-failed", "identity=%s group=%s status=%d error=%s", u,
                 g, status, e == MCGK_OK ? "peer" : mcgk_err_name(e));
        mcgk_http_body_free(resp, resp_len);
        atomic_fetch_add(&d->pulls_failed, 1);
        return;
    }
    mcgk_client_outcome *o = malloc(sizeof *o);
    if (o == NULL) {
        mcgk_http_body_free(resp, resp_len);
        atomic_fetch_add(&d->pulls_failed, 1);
        return;
    }
    uint64_t t0 = mcgk_monotonic_ns();
    handle_doc(d, i, resp, resp_len, o);
    mcgk_http_body_free(resp, resp_len);
    log_outcome(id, "https", group, o, (mcgk_monotonic_ns() - t0) / 1000);
    if (o->result != MCGK_OK)
        atomic_fetch_add(&d->pulls_failed, 1);
    /* the outcome goes back like a SIP answer: status and the check's name */
    mcgk_groupdoc_result res;
    memset(&res, 0, sizeof res);
    res.status = (unsigned)o->status;
    snprintf(res.reason, sizeof res.reason, "%s", o->result == MCGK_OK ? "ok" : o->warning);
    char body[512];
    size_t bl = 0;
    int st2 = 0;
    uint8_t *r2 = NULL;
    size_t r2_len = 0;
    e = mcgk_groupdoc_result_encode(&res, body, sizeof body, &bl);
    if (e == MCGK_OK)
        e = group_url(d, group, "/result", url, sizeof url);
    if (e == MCGK_OK)
        e = mcgk_http_post(&ho, url, "application/xml", (const uint8_t *)body, bl, &st2, &r2,
                           &r2_len);
    mcgk_http_body_free(r2, r2_len);
    if (e != MCGK_OK || st2 / 100 != 2)
        mcgk_log(MCGK_LOG_WARN, COMP, "result-failed", "identity=%s group=%s status=%d error=%s",
                 u, g, st2, e == MCGK_OK ? "peer" : mcgk_err_name(e));
    else
        mcgk_log(MCGK_LOG_INFO, COMP, "result-sent", "identity=%s group=%s result=%d", u, g,
                 o->status);
    free(o);
}

/* Every configured (--pull) group and every group the identity is a member of. */
static void pull_all(cdaemon *d, size_t i)
{
    const char *groups[MAX_LIST + MCGK_CLIENT_MAX_GROUPS];
    size_t n = 0;
    for (size_t k = 0; k < d->n_pulls; k++)
        groups[n++] = d->pulls[k];
    mcgk_client_state st;
    memset(&st, 0, sizeof st);
    pthread_mutex_lock(&d->ids[i].mu);
    mcgk_err e = mcgk_client_gmk_store_load(d->gstore, d->dek, d->ids[i].uri, &st);
    pthread_mutex_unlock(&d->ids[i].mu);
    char *copies[MCGK_CLIENT_MAX_GROUPS];
    size_t nc = 0;
    if (e == MCGK_OK)
        for (size_t k = 0; k < st.n_groups && nc < MCGK_CLIENT_MAX_GROUPS; k++) {
            int dup = 0;
            for (size_t m = 0; m < n && !dup; m++)
                dup = strcmp(groups[m], st.groups[k].id) == 0;
            if (dup || st.groups[k].removed || (copies[nc] = strdup(st.groups[k].id)) == NULL)
                continue;
            groups[n++] = copies[nc++];
        }
    mcgk_client_state_clear(&st);
    for (size_t k = 0; k < n && !atomic_load(&d->stopping); k++)
        pull_one(d, i, groups[k]);
    for (size_t k = 0; k < nc; k++)
        free(copies[k]);
}

/* ================================ provisioning ================================ */

/* Fetch, check (against the community built once) and store the key set of
   identity i for period n (at_ntp_s inside it): TS 33.180 §5.3, Annex D.2 keyprov.
   The caller holds kms_lock for reading. */
static mcgk_err light_keyset(cdaemon *d, size_t i, const mcgk_kms_client *c, uint64_t n,
                             uint64_t at_ntp_s, uint64_t now, size_t *fetched)
{
    const char *uri = d->ids[i].uri;
    mcgk_client_keyset_row *row = malloc(sizeof *row);
    if (row == NULL)
        return MCGK_ERR_NO_MEMORY;
    mcgk_err e = d->cstore->ops->keyset_get(d->cstore, uri, d->home->kms_uri, n, row);
    free(row);
    if (e == MCGK_OK)
        return MCGK_OK; /* already held */
    if (e != MCGK_ERR_NO_KEYS)
        return e;
    char enc[3 * MCGK_KMS_URI_MAX], path[3 * MCGK_KMS_URI_MAX + 64];
    if (mcgk_kms_percent_encode(uri, enc, sizeof enc) != MCGK_OK)
        return MCGK_ERR_INVALID_ARG;
    /* D.2: keyprov/<URI>/<NTP-UTC 64-bit hex> */
    snprintf(path, sizeof path, "keyprov/%s/%016" PRIX64, enc, (at_ntp_s & 0xffffffffu) << 32);
    mcgk_kms_response r;
    e = mcgk_kms_client_call(c, path, d->home->kms_uri, now, MCGK_KMS_MSG_KEYPROV, &r);
    if (e != MCGK_OK)
        return e;
    const mcgk_kms_keyset *found = NULL;
    for (size_t k = 0; k < r.n_keysets; k++)
        if (r.keysets[k].key_period_no == n && strcmp(r.keysets[k].user_uri, uri) == 0)
            found = &r.keysets[k];
    e = found != NULL ? MCGK_OK : MCGK_ERR_KEYSET_MISMATCH;
    /* §5.3: validated before it is installed */
    if (e == MCGK_OK)
        e = mcgk_kms_keyset_check(d->home, d->community, found, uri, n);
    if (e == MCGK_OK)
        e = mcgk_client_store_put_keyset(d->cstore, d->dek, found, now, mcgk_rng_system());
    if (e == MCGK_OK)
        (*fetched)++;
    mcgk_kms_response_clear(&r);
    return e;
}

/* The key sets of the current period and, near its end, of the next one (as
   mcgk_kms_provision decides), without the certificate round. */
static mcgk_err light_provision(cdaemon *d, size_t i, const mcgk_kms_client *c, uint64_t now,
                                uint64_t *period_no, size_t *fetched, int *have_next,
                                uint64_t *next_run)
{
    pthread_rwlock_rdlock(&d->kms_lock);
    uint64_t now_ntp = now + MCGK_NTP_UNIX_OFFSET_S, n = 0, start = 0, end = 0;
    mcgk_err e = d->have_kms ? mcgk_kms_cert_period(d->home, now_ntp, &n, &start, &end)
                             : MCGK_ERR_NO_KEYS;
    uint64_t period = d->own_kms.period_s;
    uint64_t prefetch = d->prefetch_s ? d->prefetch_s : period / 10;
    if (prefetch >= period)
        prefetch = period - 1;
    int want_next = e == MCGK_OK && now_ntp + prefetch >= end;
    if (e == MCGK_OK)
        e = light_keyset(d, i, c, n, now_ntp, now, fetched);
    if (e == MCGK_OK && want_next)
        e = light_keyset(d, i, c, n + 1, end, now, fetched);
    pthread_rwlock_unlock(&d->kms_lock);
    uint64_t end_unix = end > MCGK_NTP_UNIX_OFFSET_S ? end - MCGK_NTP_UNIX_OFFSET_S : 0;
    *period_no = n;
    *have_next = e == MCGK_OK && want_next;
    *next_run = *have_next ? end_unix + 1 : (end_unix > prefetch ? end_unix - prefetch : 0);
    if (*next_run <= now)
        *next_run = now + 1;
    return e;
}

/*
 * The key sets the store already holds make a KMS round unnecessary: the current
 * period's, and the next one's once the current one is within the prefetch time of
 * its end (as mcgk_kms_provision decides). Returns 1 and *next_unix_s (when to look
 * again) when nothing is missing. Saves a restart of many identities a network round
 * and a community build each.
 */
static int keys_present(cdaemon *d, size_t i, uint64_t now, uint64_t *next_unix_s)
{
    mcgk_client_keyset_row *row = malloc(sizeof *row);
    if (row == NULL)
        return 0;
    pthread_rwlock_rdlock(&d->kms_lock);
    int ok = d->have_kms;
    uint64_t no = 0, start = 0, end = 0, now_ntp = now + MCGK_NTP_UNIX_OFFSET_S;
    if (ok)
        ok = mcgk_kms_cert_period(d->home, now_ntp, &no, &start, &end) == MCGK_OK &&
             mcgk_kms_cert_check(d->home, now) == MCGK_OK;
    uint64_t prefetch = d->prefetch_s ? d->prefetch_s : d->own_kms.period_s / 10;
    if (ok)
        ok = d->cstore->ops->keyset_get(d->cstore, d->ids[i].uri, d->home->kms_uri, no, row) ==
             MCGK_OK;
    uint64_t refetch = end > prefetch ? end - prefetch : start;
    if (ok && now_ntp >= refetch)
        ok = d->cstore->ops->keyset_get(d->cstore, d->ids[i].uri, d->home->kms_uri, no + 1,
                                        row) == MCGK_OK;
    pthread_rwlock_unlock(&d->kms_lock);
    mcgk_wipe(row, sizeof *row); /* sealed values only, but tidy */
    free(row);
    if (ok)
        *next_unix_s = (now_ntp >= refetch ? end : refetch) - MCGK_NTP_UNIX_OFFSET_S;
    return ok;
}

static void do_provision(cdaemon *d, size_t i)
{
    ident *id = &d->ids[i];
    char u[MCGK_KMS_URI_MAX + 8];
    q(id->uri, u, sizeof u);
    uint64_t next = 0, t0 = mcgk_now_unix_s();
    if (!id->provisioned && keys_present(d, i, t0, &next)) {
        /* restarted with the keys in the store: no KMS round now */
        pthread_mutex_lock(&d->mu);
        id->prov_queued = 0;
        id->provisioned = 1;
        id->prov_next_unix_s = next > t0 ? next : t0 + 1;
        if (d->gms_sip != NULL && id->reg_next_ms == 0)
            id->reg_next_ms = now_ms();
        if ((d->n_pulls > 0 || d->pull_interval_s > 0) && d->gms_url != NULL)
            id->pull_next_unix_s = t0;
        pthread_mutex_unlock(&d->mu);
        mcgk_log(MCGK_LOG_DEBUG, COMP, "keys-held", "identity=%s next_check_in_s=%" PRIu64, u,
                 id->prov_next_unix_s - t0);
        return;
    }
    mcgk_kms_client c;
    memset(&c, 0, sizeof c);
    c.base_url = d->kms_url;
    c.user_uri = id->uri;
    c.token = (const char *)id->kms_token;
    c.ca_file = d->cacert;
    c.timeout_ms = d->timeout_ms;
    uint64_t now = mcgk_now_unix_s(), period_no = 0, next_run = 0, cur = 0;
    size_t fetched = 0;
    int have_next = 0;
    mcgk_err e = MCGK_OK;
    if (id->kms_token == NULL) {
        e = MCGK_ERR_AUTH_MISSING;
    } else {
        /* once per key period (and at the first start) a full round: certificate,
           partner certificates, this identity's keys; the other identities then only
           fetch their key sets, checked against the community built once */
        pthread_mutex_lock(&d->full_mu);
        pthread_rwlock_rdlock(&d->kms_lock);
        int full = !d->have_kms ||
                   mcgk_kms_cert_period(d->home, now + MCGK_NTP_UNIX_OFFSET_S, &cur, NULL, NULL) !=
                       MCGK_OK ||
                   cur != d->full_period;
        pthread_rwlock_unlock(&d->kms_lock);
        if (full) {
            mcgk_provision_opts po;
            memset(&po, 0, sizeof po);
            po.prefetch_s = d->prefetch_s;
            mcgk_provision_result res;
            e = mcgk_kms_provision(&c, &po, d->cstore, d->dek, now, mcgk_rng_system(), &res);
            if (e == MCGK_OK) {
                reload_kms(d);
                d->full_period = res.period_no;
                period_no = res.period_no;
                fetched = res.fetched;
                have_next = res.have_next;
                next_run = res.next_run_unix_s;
            }
            pthread_mutex_unlock(&d->full_mu);
        } else {
            pthread_mutex_unlock(&d->full_mu);
            e = light_provision(d, i, &c, now, &period_no, &fetched, &have_next, &next_run);
        }
    }
    pthread_mutex_lock(&d->mu);
    id->prov_queued = 0;
    if (e == MCGK_OK) {
        int first = !id->provisioned;
        id->provisioned = 1;
        id->prov_next_unix_s = next_run > now ? next_run : now + 1;
        if (first && d->gms_sip != NULL && id->reg_next_ms == 0)
            id->reg_next_ms = now_ms();
        if (first && (d->n_pulls > 0 || d->pull_interval_s > 0) && d->gms_url != NULL)
            id->pull_next_unix_s = now;
        pthread_mutex_unlock(&d->mu);
        mcgk_log(first ? MCGK_LOG_INFO : MCGK_LOG_DEBUG, COMP, "provisioned",
                 "identity=%s period=%" PRIu64 " fetched=%zu next_period=%s", u, period_no,
                 fetched, have_next ? "yes" : "no");
    } else {
        id->prov_next_unix_s = now + d->retry_s;
        pthread_mutex_unlock(&d->mu);
        mcgk_log(MCGK_LOG_WARN, COMP, "provision-failed",
                 "identity=%s error=%s retry_in_s=%" PRIu64, u, mcgk_err_name(e), d->retry_s);
    }
}

/* ================================ workers ================================ */

static void *worker(void *arg)
{
    cdaemon *d = arg;
    for (;;) {
        pthread_mutex_lock(&d->mu);
        while (d->head == NULL && d->lo_head == NULL && !atomic_load(&d->stopping))
            pthread_cond_wait(&d->cv, &d->mu);
        job *j = dequeue(d);
        if (j == NULL) { /* stopping and nothing left */
            pthread_mutex_unlock(&d->mu);
            return NULL;
        }
        d->active++;
        pthread_mutex_unlock(&d->mu);
        if (atomic_load(&d->stopping)) {
            if (j->kind == JOB_NOTIFY)
                answer(d, j->txn, 503, NULL, NULL); /* not handled: the GMS retries */
        } else if (j->kind == JOB_NOTIFY && now_ms() - j->queued_ms > d->notify_ttl_ms) {
            /* its transaction is gone: the GMS has timed out and will send it again */
            mcgk_log(MCGK_LOG_WARN, COMP, "notify-expired", "identity_index=%zu waited_ms=%" PRIu64,
                     j->ident, now_ms() - j->queued_ms);
        } else if (j->kind == JOB_NOTIFY) {
            do_notify(d, j);
        } else if (j->kind == JOB_PULL) {
            if (j->group != NULL)
                pull_one(d, j->ident, j->group);
            else
                pull_all(d, j->ident);
        } else {
            do_provision(d, j->ident);
        }
        job_free(j);
        pthread_mutex_lock(&d->mu);
        d->active--;
        pthread_cond_broadcast(&d->cv);
        pthread_mutex_unlock(&d->mu);
    }
}

/* ================================ the schedule ================================ */

/* One pass of the main thread: provisioning, registrations and pulls that are due. */
static void schedule(cdaemon *d)
{
    uint64_t now = mcgk_now_unix_s(), t = now_ms();
    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < d->n_ids && !atomic_load(&d->stopping); i++) {
        ident *id = &d->ids[i];
        if (d->kms_url != NULL && !id->prov_queued && id->prov_next_unix_s != 0 &&
            id->prov_next_unix_s <= now && d->queued < QUEUE_MAX / 2) {
            id->prov_queued = 1;
            pthread_mutex_unlock(&d->mu);
            mcgk_err e = queue_simple(d, JOB_PROVISION, i, NULL);
            pthread_mutex_lock(&d->mu);
            if (e != MCGK_OK)
                id->prov_queued = 0;
        }
        if (d->ep != NULL && id->reg_state != 1 && id->reg_next_ms != 0 && id->reg_next_ms <= t &&
            d->reg_in_flight < REG_IN_FLIGHT)
            send_register(d, i);
        if (d->gms_url != NULL && id->pull_next_unix_s != 0 && id->pull_next_unix_s <= now &&
            d->queued < QUEUE_MAX / 2) {
            int first = !id->initial_pulls_done;
            id->initial_pulls_done = 1;
            id->pull_next_unix_s = d->pull_interval_s > 0 ? now + d->pull_interval_s : 0;
            pthread_mutex_unlock(&d->mu);
            if (first && d->pull_interval_s == 0) {
                for (size_t k = 0; k < d->n_pulls; k++)
                    queue_simple(d, JOB_PULL, i, d->pulls[k]);
            } else {
                queue_simple(d, JOB_PULL, i, NULL);
            }
            pthread_mutex_lock(&d->mu);
        }
    }
    pthread_mutex_unlock(&d->mu);
}

/* --once: every identity provisioned (or failed) and every queued job done */
static int all_done(cdaemon *d)
{
    pthread_mutex_lock(&d->mu);
    int done = d->queued == 0 && d->active == 0;
    for (size_t i = 0; done && i < d->n_ids; i++)
        done = d->ids[i].initial_pulls_done || (d->kms_url != NULL && !d->ids[i].provisioned &&
                                                !d->ids[i].prov_queued);
    pthread_mutex_unlock(&d->mu);
    return done;
}

/* ================================ the verb ================================ */

const char client_run_help[] =
    "usage: mcgk client run (--user URI | --identities FILE | --user-range PATTERN:A-B)\n"
    "                       [--kms URL --token FILE | --token-dir DIR] [--cacert PEM]\n"
    "                       --gms URI[,URI] [--group GROUP=GMS[,...]]\n"
    "                       [--gms-sip URI] [--listen HOST:PORT] [--expires S] [--port-file F]\n"
    "                       [--gms-url URL --gms-token FILE] [--pull GROUP[,...]]\n"
    "                       [--pull-interval S] [--once] [--workers N] [--receiver-cache N]\n"
    "                       [--prefetch S] [--retry S] [--timeout-ms MS] [--t1-ms MS]\n"
    "                       [--data-dir DIR] [--key-file PATH | --passphrase-file P]\n"
    "                       [--log-level LEVEL]\n\n"
    "The MC client daemon (docs/client.md; the GMS contract: docs/gms-protocol.md).\n"
    "For each identity it provisions key material from the KMS (as 'client provision',\n"
    "keeping the current and the next key period), REGISTERs with the GMS and answers\n"
    "its NOTIFYs ('Notify group configuration request'), and/or pulls group\n"
    "documents by HTTPS and posts the outcome back. Every I_MESSAGE is opened with\n"
    "the full checklist (TS 33.180 §5.2, §9); the GMK, GMK-ID, GUK-ID, RAND and\n"
    "parameters are stored sealed in DATA_DIR/client.db in one transaction before the\n"
    "answer goes back: 200, or the error status with Warning: 399 HOST \"<check>\".\n"
    "Removed from a group, its GMKs are deleted unless another group still uses them.\n\n"
    "Identities:\n"
    "  --user URI            one identity (MC service user ID)\n"
    "  --identities FILE     many: one 'URI KMS-TOKEN [GMS-TOKEN]' per line (mode 0600)\n"
    "  --user-range P:A-B    many: P with one %d, e.g. sip:u%d@example.org:1-500;\n"
    "                        tokens from --token-dir DIR (DIR/N.tok, DIR/N.gms.tok)\n"
    "KMS:\n"
    "  --kms URL             provision from this KMS (without it: the store's keys)\n"
    "  --token FILE          --user's KMS token (mode 0600)\n"
    "  --cacert PEM          trust anchor for the KMS's and the GMS's TLS\n"
    "  --prefetch S, --retry S, --timeout-ms MS   as in 'client provision'\n"
    "GMS:\n"
    "  --gms URI[,URI]       GMS identities authorised to create groups (R-003-18)\n"
    "  --group G=GMS[,...]   the user profile: the GMS configured per group (R-001-19)\n"
    "  --gms-sip URI         the GMS's SIP address to REGISTER with, e.g.\n"
    "                        sip:127.0.0.1:5060 (numeric host)\n"
    "  --listen HOST:PORT    our SIP address, default 127.0.0.1:0 (printed as\n"
    "                        'listening addr=HOST:PORT'); --port-file F writes the port\n"
    "  --expires S           registration time asked for, default 3600\n"
    "  --t1-ms MS            SIP T1, default 500\n"
    "  --gms-url URL         the GMS's HTTPS base, e.g. https://127.0.0.1:8443\n"
    "  --gms-token FILE      --user's member token for the pull (mode 0600)\n"
    "  --pull G[,G]          pull these groups once at start\n"
    "  --pull-interval S     pull every S seconds (the --pull groups and the groups held)\n"
    "  --once                with --pull: pull once and exit (0: every document accepted)\n"
    "Capacity:\n"
    "  --workers N           threads opening documents, default the number of CPUs\n"
    "  --receiver-cache N    receivers (RSK pairing lines, ~400 KB each) kept, default 64\n"
    SHELL_COMMON_HELP SHELL_KEK_HELP
    "\nStops cleanly on SIGTERM or SIGINT (documents in the queue are answered 503).\n";

static void daemon_free(cdaemon *d, char **lists, size_t n_lists)
{
    mcgk_sip_endpoint_free(d->ep);
    for (size_t i = 0; i < d->rcap; i++)
        mcgk_sakke_receiver_free(d->rcache[i].r);
    free(d->rcache);
    for (size_t i = 0; i < d->n_ids; i++) {
        ident *id = &d->ids[i];
        free(id->uri);
        free_secret(id->kms_token, id->kms_token_len);
        free_secret(id->gms_token, id->gms_token_len);
        free(id->call_id);
        free(id->from_tag);
        pthread_mutex_destroy(&id->mu);
    }
    free(d->ids);
    for (job *j = d->head; j != NULL;) {
        job *n = j->next;
        job_free(j);
        j = n;
    }
    for (job *j = d->lo_head; j != NULL;) {
        job *n = j->next;
        job_free(j);
        j = n;
    }
    mcgk_client_gmk_store_close(d->gstore);
    mcgk_client_store_close(d->cstore);
    mcgk_sakke_community_free(d->community);
    free(d->home);
    free(d->partners);
    free(d->trusted);
    mcgk_wipe(d->dek, sizeof d->dek);
    for (size_t i = 0; i < n_lists; i++)
        free(lists[i]);
    free(d->workers);
}

int client_run_main(int argc, char **argv)
{
    static const cli_flag flags[] = {
        {"user", 1},          {"identities", 1}, {"user-range", 1},    {"kms", 1},
        {"token", 1},         {"token-dir", 1},  {"cacert", 1},        {"gms", 1},
        {"group", 1},         {"gms-sip", 1},    {"listen", 1},        {"expires", 1},
        {"port-file", 1},     {"gms-url", 1},    {"gms-token", 1},     {"pull", 1},
        {"pull-interval", 1}, {"once", 0},       {"workers", 1},       {"receiver-cache", 1},
        {"prefetch", 1},      {"retry", 1},      {"timeout-ms", 1},    {"t1-ms", 1},
        SHELL_COMMON_FLAGS,   SHELL_KEK_FLAGS};
    cli_args a;
    mcgk_err e = cli_parse(&a, flags, sizeof flags / sizeof flags[0], argc - 1, argv + 1);
    if (e != MCGK_OK)
        return cli_fail(e);
    if ((e = shell_log_level(&a)) != MCGK_OK)
        return cli_fail(e);

    cdaemon *d = calloc(1, sizeof *d);
    if (d == NULL)
        return cli_fail(MCGK_ERR_NO_MEMORY);
    g_d = d;
    char *lists[3] = {NULL, NULL, NULL};
    uint64_t expires = 3600, workers = 0, rcache = 64, t1 = 0, timeout = 30000;
    d->retry_s = 60;
    d->kms_url = cli_get(&a, "kms");
    d->cacert = cli_get(&a, "cacert");
    d->gms_sip = cli_get(&a, "gms-sip");
    d->gms_url = cli_get(&a, "gms-url");
    d->once = cli_has(&a, "once");
    int n_sources = cli_has(&a, "user") + cli_has(&a, "identities") + cli_has(&a, "user-range");
    if (n_sources != 1) {
        fprintf(stderr, "give exactly one of --user, --identities, --user-range\n");
        e = MCGK_ERR_USAGE;
    }
    if (e == MCGK_OK &&
        ((cli_has(&a, "expires") && (e = cli_u64_flag(&a, "expires", &expires)) != MCGK_OK) ||
         (cli_has(&a, "workers") && (e = cli_u64_flag(&a, "workers", &workers)) != MCGK_OK) ||
         (cli_has(&a, "receiver-cache") &&
          (e = cli_u64_flag(&a, "receiver-cache", &rcache)) != MCGK_OK) ||
         (cli_has(&a, "t1-ms") && (e = cli_u64_flag(&a, "t1-ms", &t1)) != MCGK_OK) ||
         (cli_has(&a, "timeout-ms") && (e = cli_u64_flag(&a, "timeout-ms", &timeout)) != MCGK_OK) ||
         (cli_has(&a, "prefetch") &&
          (e = cli_u64_flag(&a, "prefetch", &d->prefetch_s)) != MCGK_OK) ||
         (cli_has(&a, "retry") && (e = cli_u64_flag(&a, "retry", &d->retry_s)) != MCGK_OK) ||
         (cli_has(&a, "pull-interval") &&
          (e = cli_u64_flag(&a, "pull-interval", &d->pull_interval_s)) != MCGK_OK))) {
        /* e says why (cli_u64_flag printed it) */
    }
    if (e == MCGK_OK && (expires == 0 || expires > 0x7fffffff || workers > 64 || rcache == 0 ||
                         rcache > 100000 || t1 > 60000 || timeout == 0 || timeout > 600000 ||
                         d->retry_s == 0 || d->retry_s > 86400)) {
        fprintf(stderr, "--expires 1..2^31-1, --workers 0..64, --receiver-cache 1..100000, "
                        "--t1-ms 0..60000, --timeout-ms 1..600000, --retry 1..86400\n");
        e = MCGK_ERR_USAGE;
    }
    d->expires = (uint32_t)expires;
    d->timeout_ms = (long)timeout;
    if (e == MCGK_OK)
        e = split_list("gms", cli_get(&a, "gms"), &lists[0], d->authorised, &d->n_authorised);
    if (e == MCGK_OK)
        e = split_list("pull", cli_get(&a, "pull"), &lists[1], d->pulls, &d->n_pulls);
    if (e == MCGK_OK && cli_has(&a, "group")) {
        const char *items[MAX_LIST];
        size_t n = 0;
        e = split_list("group", cli_get(&a, "group"), &lists[2], items, &n);
        for (size_t i = 0; e == MCGK_OK && i < n; i++) {
            char *eq = strchr(items[i], '=');
            if (eq == NULL || eq == items[i] || eq[1] == '\0') {
                fprintf(stderr, "--group: want GROUP=GMS\n");
                e = MCGK_ERR_USAGE;
                break;
            }
            *eq = '\0';
            d->profile[d->n_profile].group_id = items[i];
            d->profile[d->n_profile].gms_uri = eq + 1;
            d->n_profile++;
        }
    }
    if (e == MCGK_OK && d->n_authorised == 0 && d->n_profile == 0) {
        fprintf(stderr, "give --gms (authorised GMS identities) and/or --group GROUP=GMS\n");
        e = MCGK_ERR_USAGE;
    }
    if (e == MCGK_OK && d->gms_sip == NULL && d->gms_url == NULL) {
        fprintf(stderr, "give --gms-sip (push) and/or --gms-url (pull)\n");
        e = MCGK_ERR_USAGE;
    }
    if (e == MCGK_OK && (d->n_pulls > 0 || d->pull_interval_s > 0 || d->once) &&
        d->gms_url == NULL) {
        fprintf(stderr, "--pull, --pull-interval and --once need --gms-url\n");
        e = MCGK_ERR_USAGE;
    }
    if (e == MCGK_OK && d->once && d->n_pulls == 0) {
        fprintf(stderr, "--once needs --pull GROUP\n");
        e = MCGK_ERR_USAGE;
    }
    if (e == MCGK_OK && d->gms_sip != NULL &&
        mcgk_sip_peer_from_uri(&d->gms_peer, d->gms_sip) != MCGK_OK) {
        fprintf(stderr,
                "--gms-sip: want a sip: URI with a numeric host, e.g. sip:127.0.0.1:5060\n");
        e = MCGK_ERR_USAGE;
    }
    /* identities and their tokens */
    if (e == MCGK_OK && cli_has(&a, "user")) {
        d->ids = calloc(1, sizeof *d->ids);
        e = d->ids == NULL ? MCGK_ERR_NO_MEMORY
                           : add_ident(d, 1, cli_get(&a, "user"), strlen(cli_get(&a, "user")));
        if (e == MCGK_OK && cli_has(&a, "token"))
            e = shell_read_secret(cli_get(&a, "token"), &d->ids[0].kms_token,
                                  &d->ids[0].kms_token_len);
        if (e == MCGK_OK && cli_has(&a, "gms-token"))
            e = shell_read_secret(cli_get(&a, "gms-token"), &d->ids[0].gms_token,
                                  &d->ids[0].gms_token_len);
    } else if (e == MCGK_OK && cli_has(&a, "identities")) {
        e = load_identities_file(d, cli_get(&a, "identities"));
    } else if (e == MCGK_OK) {
        e = load_user_range(d, cli_get(&a, "user-range"), cli_get(&a, "token-dir"));
    }
    if (e == MCGK_OK && d->kms_url != NULL)
        for (size_t i = 0; i < d->n_ids && e == MCGK_OK; i++)
            if (d->ids[i].kms_token == NULL) {
                fprintf(stderr, "no KMS token for %s (--token, the identities file or "
                                "--token-dir)\n", d->ids[i].uri);
                e = MCGK_ERR_USAGE;
            }
    if (e == MCGK_OK && d->gms_url != NULL && (d->n_pulls > 0 || d->pull_interval_s > 0))
        for (size_t i = 0; i < d->n_ids && e == MCGK_OK; i++)
            if (d->ids[i].gms_token == NULL) {
                fprintf(stderr, "no GMS token for %s (--gms-token, the identities file or "
                                "--token-dir)\n", d->ids[i].uri);
                e = MCGK_ERR_USAGE;
            }

    /* the stores */
    char dir[SHELL_PATH_MAX], path[SHELL_PATH_MAX];
    if (e == MCGK_OK)
        e = client_open_store(&a, 1, dir, &d->cstore, d->dek);
    if (e == MCGK_OK)
        e = shell_path(dir, CLIENT_DB_NAME, path);
    if (e == MCGK_OK && (e = mcgk_client_gmk_store_open(path, &d->gstore)) != MCGK_OK)
        fprintf(stderr, "cannot open the GMK tables in %s\n", path);
    pthread_rwlock_init(&d->kms_lock, NULL);
    pthread_mutex_init(&d->rmu, NULL);
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    pthread_mutex_init(&d->full_mu, NULL);
    /* RFC 3261 §17.2.2: the server transaction lives 64*T1; leave a margin */
    d->notify_ttl_ms = 64 * (t1 ? t1 : MCGK_SIP_T1_MS);
    d->notify_ttl_ms = d->notify_ttl_ms > 2000 ? d->notify_ttl_ms - 1000 : d->notify_ttl_ms / 2;
    if (e == MCGK_OK) {
        d->rcap = (size_t)rcache;
        d->rcache = calloc(d->rcap, sizeof *d->rcache);
        if (d->rcache == NULL)
            e = MCGK_ERR_NO_MEMORY;
    }
    if (e == MCGK_OK) {
        mcgk_err ke = load_kms(d); /* what the store holds already */
        if (ke != MCGK_OK && ke != MCGK_ERR_NO_KEYS)
            mcgk_log(MCGK_LOG_WARN, COMP, "kms-certificates", "error=%s", mcgk_err_name(ke));
        if (d->kms_url == NULL && !d->have_kms) {
            fprintf(stderr, "the store holds no KMS certificate: give --kms (or run "
                            "'mcgk client provision' first)\n");
            e = MCGK_ERR_NO_KEYS;
        }
    }

    shell_signals_block(); /* before any thread exists */
    /* SIP: one endpoint for every identity */
    if (e == MCGK_OK && d->gms_sip != NULL && !d->once) {
        char host[64];
        uint16_t port = 0;
        const char *l = cli_get(&a, "listen");
        if (l != NULL && parse_listen(l, host, sizeof host, &port) != MCGK_OK) {
            fprintf(stderr, "--listen: want HOST:PORT, [V6ADDR]:PORT or PORT\n");
            e = MCGK_ERR_USAGE;
        }
        if (l == NULL)
            snprintf(host, sizeof host, "127.0.0.1");
        mcgk_sip_endpoint_config c;
        memset(&c, 0, sizeof c);
        c.host = host;
        c.port = port;
        c.t1_ms = (uint32_t)t1;
        /* T2 = 8*T1 up to the default 4 s (never below T1) */
        uint64_t t2 = t1 * 8 < MCGK_SIP_T2_MS ? t1 * 8 : MCGK_SIP_T2_MS;
        c.t2_ms = t1 == 0 ? 0 : (uint32_t)(t2 < t1 ? t1 : t2);
        c.on_request = on_request;
        c.ctx = d;
        c.log_comp = "client-sip";
        if (e == MCGK_OK && (e = mcgk_sip_endpoint_new(&c, &d->ep)) != MCGK_OK)
            fprintf(stderr, "cannot listen on %s:%u\n", host, (unsigned)port);
        if (e == MCGK_OK) {
            snprintf(d->agent, sizeof d->agent, "%s", mcgk_sip_endpoint_sent_by(d->ep));
            printf("listening addr=%s\n", d->agent);
            fflush(stdout);
            const char *pf = cli_get(&a, "port-file");
            if (pf != NULL) {
                char buf[16];
                int n = snprintf(buf, sizeof buf, "%u\n", (unsigned)mcgk_sip_endpoint_port(d->ep));
                if ((e = mcgk_file_write_private(pf, buf, (size_t)n, 0)) != MCGK_OK)
                    fprintf(stderr, "cannot write %s\n", pf);
            }
        }
        if (e == MCGK_OK)
            e = mcgk_sip_endpoint_start(d->ep);
    }
    /* workers */
    if (e == MCGK_OK) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        d->n_workers = workers > 0 ? (size_t)workers : (ncpu > 0 ? (size_t)ncpu : 2);
        d->workers = calloc(d->n_workers, sizeof *d->workers);
        if (d->workers == NULL)
            e = MCGK_ERR_NO_MEMORY;
        for (size_t i = 0; e == MCGK_OK && i < d->n_workers; i++)
            if (pthread_create(&d->workers[i], NULL, worker, d) != 0) {
                d->n_workers = i;
                e = MCGK_ERR_IO;
            }
    }
    /* the first round: provision each identity (then register / pull), or go straight on */
    if (e == MCGK_OK) {
        uint64_t now = mcgk_now_unix_s();
        pthread_mutex_lock(&d->mu);
        for (size_t i = 0; i < d->n_ids; i++) {
            ident *id = &d->ids[i];
            if (d->kms_url != NULL) {
                id->prov_next_unix_s = now;
            } else {
                id->provisioned = 1;
                if (d->ep != NULL)
                    id->reg_next_ms = now_ms();
                if (d->gms_url != NULL && (d->n_pulls > 0 || d->pull_interval_s > 0))
                    id->pull_next_unix_s = now;
            }
        }
        pthread_mutex_unlock(&d->mu);
        mcgk_log(MCGK_LOG_INFO, COMP, "started", "identities=%zu workers=%zu sip=%s pull=%s",
                 d->n_ids, d->n_workers, d->ep ? d->agent : "-", d->gms_url ? "yes" : "no");
    }
    int sig = 0;
    while (e == MCGK_OK) {
        schedule(d);
        if (d->once && all_done(d))
            break;
        sig = shell_signal_wait(100);
        if (sig != 0) {
            mcgk_log(MCGK_LOG_INFO, COMP, "stopping", "signal=%d", sig);
            break;
        }
    }
    /* clean shutdown: stop taking work, let the workers finish what they hold */
    atomic_store(&d->stopping, 1);
    pthread_mutex_lock(&d->mu);
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    for (size_t i = 0; i < d->n_workers; i++)
        pthread_join(d->workers[i], NULL);
    unregister_all(d);
    int failed = atomic_load(&d->pulls_failed) > 0;
    for (size_t i = 0; i < d->n_ids; i++)
        failed |= !d->ids[i].provisioned; /* --once: no keys, no pull */
    if (e == MCGK_OK)
        mcgk_log(MCGK_LOG_INFO, COMP, "stopped", "accepted=%d refused=%d pull_failures=%d",
                 atomic_load(&d->docs_ok), atomic_load(&d->docs_refused),
                 atomic_load(&d->pulls_failed));
    daemon_free(d, lists, 3);
    pthread_rwlock_destroy(&d->kms_lock);
    pthread_mutex_destroy(&d->rmu);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->full_mu);
    int once = d->once;
    free(d);
    g_d = NULL;
    if (e != MCGK_OK)
        return cli_fail(e);
    if (once && failed)
        return cli_fail(MCGK_ERR_PEER);
    return 0;
}
