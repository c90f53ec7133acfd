/*
 * SIP transactions, sans-I/O. See net/sip_txn.h.
 * RFC 3261 §17.1.2 (non-INVITE client, Timers E and F), §17.1.1 (INVITE
 * client, Timers A, B, D; the ACK of a non-2xx, §17.1.1.3), §17.1.3
 * (matching responses), §17.2.2 (non-INVITE server, Timer J), §17.2.1
 * (INVITE server: 100 Trying, Timers G, H, I), §17.2.3 (matching
 * requests), §13.2.2.4 / §13.3.1.4 (the ACK of a 2xx and the 2xx
 * retransmissions, kept here for the TU), RFC 6026 §7 (the Accepted
 * states, Timers L and M), §8.2.6.2 (To tags), §9.1 / §9.2 (CANCEL),
 * §8.1.3.3 (responses with several Vias are discarded).
 *
 * Data: a slot table (id -> transaction), one hash table (matching key ->
 * transaction), a second one for the ACKs of our 2xx (dialog key ->
 * INVITE server transaction) and a binary min-heap of deadlines (one
 * entry per transaction), all sized once from the configured limits, so
 * every operation is O(1) or O(log n) and memory is bounded.
 *
 * Secrets: stored messages may carry key material in their bodies; they
 * are wiped before they are freed.
 */
#include "net/sip_txn.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_TXNS 16384u
#define DEFAULT_MAX_BYTES (128u * 1024u * 1024u)

#define DEFAULT_PROCEEDING_MS 180000u /* RFC 3261 §16.6 Timer C: > 3 minutes */
#define TIMER_D_MIN_MS 32000u        /* RFC 3261 Table 4: Timer D > 32 s over UDP */

/* C_TRYING is "Calling" for an INVITE; C_ACCEPTED and S_ACCEPTED are RFC 6026's */
enum {
    C_TRYING,
    C_PROCEEDING,
    C_COMPLETED,
    C_ACCEPTED,
    S_TRYING,
    S_PROCEEDING,
    S_COMPLETED,
    S_CONFIRMED,
    S_ACCEPTED
};

typedef struct txn {
    uint64_t id;
    int is_client;
    int state;
    uint32_t hash;
    struct txn *hnext;
    char *key;
    mcgk_sip_peer peer;
    char method[MCGK_SIP_TOKEN_MAX];
    char to_tag[56];      /* server: the tag of our responses (one per transaction) */
    uint8_t *req;         /* client: the request; server: the request until answered */
    size_t req_len;
    uint8_t *resp;        /* server: the last response sent */
    size_t resp_len;
    uint64_t deadline_ms; /* heap key: next time this transaction needs the timer */
    uint64_t end_ms;      /* client: Timer F; server: TU timeout, then Timer J */
    uint32_t interval_ms; /* client: Timer E */
    size_t heap_idx;
    void *user;
    /* INVITE transactions */
    int is_invite;
    int reported;      /* client: the TU has had the final outcome */
    int internal;      /* client: a CANCEL of the engine's; its outcome is not reported */
    int cancel_wanted; /* client INVITE: send a CANCEL when a provisional comes (§9.1) */
    int acked;         /* server: our 2xx was ACKed; client: the TU sent the 2xx ACK */
    int trying_due;    /* server INVITE: send 100 Trying when the deadline comes first */
    char *ruri;        /* client INVITE: its Request-URI (for the ACK of a non-2xx) */
    uint8_t *ack;      /* client INVITE: the ACK of its final response */
    size_t ack_len;
    char *akey;        /* server INVITE after a 2xx: the key its ACK matches */
    uint32_t ahash;
    struct txn *anext;
} txn;

struct mcgk_sip_engine {
    mcgk_sip_send_fn send;
    void *send_ctx;
    char via_transport[16];
    char via_sent_by[MCGK_SIP_VALUE_MAX - 64];
    uint32_t t1, t2, t4, tu_timeout, proceeding, trying_delay;
    int accept_invite;
    size_t max_client, max_server, max_bytes;
    size_t n_client, n_server, bytes;

    txn **slots;          /* id & 0xffffffff -> transaction */
    uint32_t *free_slots; /* stack of free slot indices */
    size_t n_free, n_slots;
    txn **buckets;        /* hash chains */
    txn **abuckets;       /* hash chains of the ACK keys */
    size_t bucket_mask;
    txn **heap;           /* min-heap on deadline_ms */
    size_t heap_len;

    uint32_t seq;
    uint64_t branch_seq, tag_seq;
    char branch_prefix[32]; /* z9hG4bK + 16 random hex */
    char tag_prefix[32];

    mcgk_sip_engine_stats stats;
    uint8_t scratch[MCGK_SIP_MAX_MSG_LEN];
    mcgk_sip_msg tmp;
};

/* ---- peers --------------------------------------------------------------------------- */

mcgk_err mcgk_sip_peer_set(mcgk_sip_peer *p, const char *host, uint16_t port)
{
    if (p == NULL || host == NULL || port == 0)
        return MCGK_ERR_INVALID_ARG;
    char h[64];
    size_t n = strlen(host);
    if (n >= sizeof h)
        return MCGK_ERR_INVALID_ARG;
    memcpy(h, host, n + 1);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        memmove(h, h + 1, n - 2);
        h[n - 2] = '\0';
    }
    mcgk_sip_peer q;
    memset(&q, 0, sizeof q);
    q.port = port;
    if (inet_pton(AF_INET, h, q.addr) == 1)
        q.family = 4;
    else if (inet_pton(AF_INET6, h, q.addr) == 1)
        q.family = 6;
    else
        return MCGK_ERR_INVALID_ARG;
    *p = q;
    return MCGK_OK;
}

mcgk_err mcgk_sip_peer_from_uri(mcgk_sip_peer *p, const char *uri)
{
    char host[MCGK_SIP_URI_MAX];
    uint16_t port;
    mcgk_err e = mcgk_sip_uri_host_port(uri, host, sizeof host, &port);
    if (e == MCGK_ERR_BUFFER_TOO_SMALL)
        return MCGK_ERR_SIP_MALFORMED;
    if (e != MCGK_OK)
        return e;
    return mcgk_sip_peer_set(p, host, port);
}

void mcgk_sip_peer_format(const mcgk_sip_peer *p, char *out, size_t cap)
{
    char h[INET6_ADDRSTRLEN];
    if (p == NULL || out == NULL || cap == 0)
        return;
    if (inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, p->addr, h, sizeof h) == NULL)
        strcpy(h, "?");
    snprintf(out, cap, p->family == 6 ? "[%s]:%u" : "%s:%u", h, (unsigned)p->port);
}

int mcgk_sip_peer_eq(const mcgk_sip_peer *a, const mcgk_sip_peer *b)
{
    size_t n = a->family == 6 ? 16 : 4;
    return a->family == b->family && a->port == b->port && memcmp(a->addr, b->addr, n) == 0;
}

/* ---- storage --------------------------------------------------------------------------- */

static void free_bytes(mcgk_sip_engine *e, uint8_t **p, size_t *len)
{
    if (*p != NULL) {
        mcgk_wipe(*p, *len);
        free(*p);
        e->bytes -= *len;
    }
    *p = NULL;
    *len = 0;
}

static uint8_t *copy_bytes(mcgk_sip_engine *e, const uint8_t *src, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    if (p == NULL)
        return NULL;
    memcpy(p, src, len);
    e->bytes += len;
    return p;
}

/* FNV-1a: public keys only (branches, sent-by, methods) */
static uint32_t hash_key(const char *k)
{
    uint32_t h = 2166136261u;
    for (; *k; k++)
        h = (h ^ (uint8_t)*k) * 16777619u;
    return h;
}

static char *make_key(char kind, const char *branch, const char *sent_by)
{
    size_t n = strlen(branch) + (sent_by ? strlen(sent_by) + 1 : 0) + 3;
    char *k = malloc(n);
    if (k == NULL)
        return NULL;
    snprintf(k, n, "%c|%s%s%s", kind, branch, sent_by ? "|" : "", sent_by ? sent_by : "");
    if (sent_by != NULL) /* RFC 3261 §17.2.3: sent-by compares case-insensitively (host) */
        for (char *c = k + 3 + strlen(branch); *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
    return k;
}

static txn *find(const mcgk_sip_engine *e, const char *key)
{
    uint32_t h = hash_key(key);
    for (txn *t = e->buckets[h & e->bucket_mask]; t != NULL; t = t->hnext)
        if (t->hash == h && strcmp(t->key, key) == 0)
            return t;
    return NULL;
}

static txn *by_id(const mcgk_sip_engine *e, uint64_t id)
{
    uint64_t slot = id & 0xffffffffu;
    if (slot >= e->n_slots || e->slots[slot] == NULL || e->slots[slot]->id != id)
        return NULL;
    return e->slots[slot];
}

/* ---- the deadline heap ----------------------------------------------------------------- */

static void heap_swap(mcgk_sip_engine *e, size_t a, size_t b)
{
    txn *t = e->heap[a];
    e->heap[a] = e->heap[b];
    e->heap[b] = t;
    e->heap[a]->heap_idx = a;
    e->heap[b]->heap_idx = b;
}

static void heap_up(mcgk_sip_engine *e, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (e->heap[p]->deadline_ms <= e->heap[i]->deadline_ms)
            break;
        heap_swap(e, i, p);
        i = p;
    }
}

static void heap_down(mcgk_sip_engine *e, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < e->heap_len && e->heap[l]->deadline_ms < e->heap[m]->deadline_ms)
            m = l;
        if (r < e->heap_len && e->heap[r]->deadline_ms < e->heap[m]->deadline_ms)
            m = r;
        if (m == i)
            return;
        heap_swap(e, i, m);
        i = m;
    }
}

static void heap_push(mcgk_sip_engine *e, txn *t)
{
    t->heap_idx = e->heap_len;
    e->heap[e->heap_len++] = t;
    heap_up(e, t->heap_idx);
}

static void heap_remove(mcgk_sip_engine *e, txn *t)
{
    size_t i = t->heap_idx;
    e->heap_len--;
    if (i != e->heap_len) {
        e->heap[i] = e->heap[e->heap_len];
        e->heap[i]->heap_idx = i;
        heap_up(e, i);
        heap_down(e, e->heap[i]->heap_idx);
    }
}

static void reschedule(mcgk_sip_engine *e, txn *t, uint64_t deadline_ms)
{
    uint64_t old = t->deadline_ms;
    t->deadline_ms = deadline_ms;
    if (deadline_ms < old)
        heap_up(e, t->heap_idx);
    else
        heap_down(e, t->heap_idx);
}

/* ---- transactions ---------------------------------------------------------------------- */

/* Insert t (key and times set) into the slot table, the hash and the heap. */
static void attach(mcgk_sip_engine *e, txn *t)
{
    uint32_t slot = e->free_slots[--e->n_free];
    e->seq++;
    if (e->seq == 0)
        e->seq = 1;
    t->id = ((uint64_t)e->seq << 32) | slot;
    e->slots[slot] = t;
    t->hash = hash_key(t->key);
    txn **b = &e->buckets[t->hash & e->bucket_mask];
    t->hnext = *b;
    *b = t;
    heap_push(e, t);
    if (t->is_client)
        e->n_client++;
    else
        e->n_server++;
}

/* The ACK of a 2xx is a transaction of its own (§17.1.1.3): it matches the INVITE
 * server transaction by Call-ID, From tag and CSeq number (§13.3.1.4, §12.2.2). */
static char *ack_key(const char *call_id, const char *from_tag, uint32_t cseq)
{
    size_t n = strlen(call_id) + strlen(from_tag) + 16;
    char *k = malloc(n);
    if (k != NULL)
        snprintf(k, n, "a|%s|%s|%u", call_id, from_tag, (unsigned)cseq);
    return k;
}

static void akey_attach(mcgk_sip_engine *e, txn *t, char *key)
{
    t->akey = key;
    t->ahash = hash_key(key);
    txn **b = &e->abuckets[t->ahash & e->bucket_mask];
    t->anext = *b;
    *b = t;
}

static void akey_detach(mcgk_sip_engine *e, txn *t)
{
    if (t->akey == NULL)
        return;
    for (txn **p = &e->abuckets[t->ahash & e->bucket_mask]; *p != NULL; p = &(*p)->anext) {
        if (*p == t) {
            *p = t->anext;
            break;
        }
    }
    free(t->akey);
    t->akey = NULL;
}

static txn *afind(const mcgk_sip_engine *e, const char *key)
{
    uint32_t h = hash_key(key);
    for (txn *t = e->abuckets[h & e->bucket_mask]; t != NULL; t = t->anext)
        if (t->ahash == h && strcmp(t->akey, key) == 0)
            return t;
    return NULL;
}

static void destroy(mcgk_sip_engine *e, txn *t)
{
    uint32_t slot = (uint32_t)(t->id & 0xffffffffu);
    e->slots[slot] = NULL;
    e->free_slots[e->n_free++] = slot;
    for (txn **p = &e->buckets[t->hash & e->bucket_mask]; *p != NULL; p = &(*p)->hnext) {
        if (*p == t) {
            *p = t->hnext;
            break;
        }
    }
    heap_remove(e, t);
    if (t->is_client)
        e->n_client--;
    else
        e->n_server--;
    akey_detach(e, t);
    free_bytes(e, &t->req, &t->req_len);
    free_bytes(e, &t->resp, &t->resp_len);
    free_bytes(e, &t->ack, &t->ack_len);
    free(t->ruri);
    free(t->key);
    free(t);
}

static void send_bytes(mcgk_sip_engine *e, const mcgk_sip_peer *to, const uint8_t *p, size_t n)
{
    (void)e->send(e->send_ctx, to, p, n); /* a failure is retried by the timers */
}

/* A response sent without a transaction (503, 501, CANCEL's 200/481). */
static void respond_stateless(mcgk_sip_engine *e, const mcgk_sip_peer *to, const mcgk_sip_msg *req,
                              int status)
{
    char tag[48];
    snprintf(tag, sizeof tag, "%s%llx", e->tag_prefix, (unsigned long long)++e->tag_seq);
    mcgk_sip_response_params p;
    memset(&p, 0, sizeof p);
    p.status = status;
    p.to_tag = tag;
    size_t len;
    if (mcgk_sip_response_build(req, &p, e->scratch, sizeof e->scratch, &len) == MCGK_OK)
        send_bytes(e, to, e->scratch, len);
}

/* ---- engine ---------------------------------------------------------------------------- */

static int is_token_str(const char *s)
{
    if (s == NULL || *s == '\0')
        return 0;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("-.!%*_+`'~", c) != NULL))
            return 0;
    }
    return 1;
}

mcgk_err mcgk_sip_engine_new(const mcgk_sip_engine_config *cfg, mcgk_sip_engine **out)
{
    if (cfg == NULL || out == NULL || cfg->send == NULL || cfg->via_sent_by == NULL)
        return MCGK_ERR_INVALID_ARG;
    const char *tr = cfg->via_transport ? cfg->via_transport : "UDP";
    if (!is_token_str(tr) || strlen(tr) >= 9 || cfg->via_sent_by[0] == '\0' ||
        strlen(cfg->via_sent_by) >= sizeof(((mcgk_sip_engine *)0)->via_sent_by) ||
        strpbrk(cfg->via_sent_by, " \t\r\n;,<>\"") != NULL)
        return MCGK_ERR_INVALID_ARG;
    uint32_t t1 = cfg->t1_ms ? cfg->t1_ms : MCGK_SIP_T1_MS;
    uint32_t t2 = cfg->t2_ms ? cfg->t2_ms : MCGK_SIP_T2_MS;
    if (t2 < t1 || t1 > 60000)
        return MCGK_ERR_INVALID_ARG;
    size_t mc = cfg->max_client_txns ? cfg->max_client_txns : DEFAULT_MAX_TXNS;
    size_t ms = cfg->max_server_txns ? cfg->max_server_txns : DEFAULT_MAX_TXNS;
    if (mc > (1u << 24) || ms > (1u << 24))
        return MCGK_ERR_INVALID_ARG;
    uint8_t rnd[12];
    mcgk_err err = mcgk_rng_bytes(cfg->rng, rnd, sizeof rnd);
    if (err != MCGK_OK)
        return err;

    mcgk_sip_engine *e = calloc(1, sizeof *e);
    if (e == NULL)
        return MCGK_ERR_NO_MEMORY;
    e->send = cfg->send;
    e->send_ctx = cfg->send_ctx;
    strcpy(e->via_transport, tr);
    strcpy(e->via_sent_by, cfg->via_sent_by);
    e->t1 = t1;
    e->t2 = t2;
    e->t4 = cfg->t4_ms ? cfg->t4_ms : MCGK_SIP_T4_MS;
    e->proceeding = cfg->invite_proceeding_ms ? cfg->invite_proceeding_ms : DEFAULT_PROCEEDING_MS;
    e->accept_invite = cfg->accept_invite != 0;
    e->trying_delay = cfg->trying_delay_ms;
    e->tu_timeout = cfg->tu_timeout_ms ? cfg->tu_timeout_ms : 64 * t1;
    e->max_client = mc;
    e->max_server = ms;
    e->max_bytes = cfg->max_bytes ? cfg->max_bytes : DEFAULT_MAX_BYTES;
    e->n_slots = mc + ms;
    size_t nb = 1;
    while (nb < 2 * e->n_slots)
        nb <<= 1;
    e->bucket_mask = nb - 1;
    e->slots = calloc(e->n_slots, sizeof *e->slots);
    e->free_slots = malloc(e->n_slots * sizeof *e->free_slots);
    e->buckets = calloc(nb, sizeof *e->buckets);
    e->abuckets = calloc(nb, sizeof *e->abuckets);
    e->heap = malloc(e->n_slots * sizeof *e->heap);
    if (e->slots == NULL || e->free_slots == NULL || e->buckets == NULL || e->abuckets == NULL ||
        e->heap == NULL) {
        mcgk_sip_engine_free(e);
        return MCGK_ERR_NO_MEMORY;
    }
    for (size_t i = 0; i < e->n_slots; i++) /* slot 0 on top */
        e->free_slots[i] = (uint32_t)(e->n_slots - 1 - i);
    e->n_free = e->n_slots;
    /* RFC 3261 §8.1.1.7: branches unique over space and time; §19.3: tags random */
    char hex[25];
    (void)mcgk_hex_encode(rnd, 8, hex, sizeof hex);
    snprintf(e->branch_prefix, sizeof e->branch_prefix, "%s%s", MCGK_SIP_BRANCH_COOKIE, hex);
    (void)mcgk_hex_encode(rnd + 8, 4, hex, sizeof hex);
    snprintf(e->tag_prefix, sizeof e->tag_prefix, "m%s.", hex);
    mcgk_wipe(rnd, sizeof rnd);
    *out = e;
    return MCGK_OK;
}

void mcgk_sip_engine_free(mcgk_sip_engine *e)
{
    if (e == NULL)
        return;
    if (e->slots != NULL)
        for (size_t i = 0; i < e->n_slots; i++)
            if (e->slots[i] != NULL)
                destroy(e, e->slots[i]);
    mcgk_wipe(e->scratch, sizeof e->scratch);
    mcgk_wipe(&e->tmp, sizeof e->tmp);
    free(e->slots);
    free(e->free_slots);
    free(e->buckets);
    free(e->abuckets);
    free(e->heap);
    free(e);
}

void mcgk_sip_engine_get_stats(const mcgk_sip_engine *e, mcgk_sip_engine_stats *s)
{
    *s = e->stats;
    s->client_txns = e->n_client;
    s->server_txns = e->n_server;
    s->bytes = e->bytes;
}

int mcgk_sip_engine_next_deadline(const mcgk_sip_engine *e, uint64_t *deadline_ms)
{
    if (e->heap_len == 0)
        return 0;
    *deadline_ms = e->heap[0]->deadline_ms;
    return 1;
}

/* ---- client transactions (RFC 3261 §17.1.1, §17.1.2) ------------------------------------ */

static void new_branch(mcgk_sip_engine *e, char *out, size_t cap)
{
    snprintf(out, cap, "%s.%llx", e->branch_prefix, (unsigned long long)++e->branch_seq);
}

/*
 * Build q (its Via complete), store and send it as a new client transaction:
 * Timer E / A at T1, Timer F / B at 64*T1.
 */
static mcgk_err client_start(mcgk_sip_engine *e, uint64_t now_ms, const mcgk_sip_peer *to,
                             const mcgk_sip_request_params *q, int is_invite, int internal,
                             void *user, txn **out)
{
    size_t len;
    mcgk_err err = mcgk_sip_request_build(q, e->scratch, sizeof e->scratch, &len);
    if (err != MCGK_OK)
        return err;
    if (e->n_client >= e->max_client || e->bytes + len > e->max_bytes)
        return MCGK_ERR_SIP_BUSY;
    txn *t = calloc(1, sizeof *t);
    if (t == NULL)
        return MCGK_ERR_NO_MEMORY;
    /* RFC 3261 §17.1.3: a response matches by its top branch and CSeq method */
    char kb[MCGK_SIP_TOKEN_MAX + 80];
    snprintf(kb, sizeof kb, "%s|%s", q->branch, q->method);
    t->key = make_key('c', kb, NULL);
    t->req = copy_bytes(e, e->scratch, len);
    if (is_invite)
        t->ruri = strdup(q->request_uri);
    if (t->key == NULL || t->req == NULL || (is_invite && t->ruri == NULL)) {
        if (t->req != NULL)
            free_bytes(e, &t->req, &len);
        free(t->key);
        free(t->ruri);
        free(t);
        return MCGK_ERR_NO_MEMORY;
    }
    t->req_len = len;
    t->is_client = 1;
    t->is_invite = is_invite;
    t->internal = internal;
    t->state = C_TRYING;
    t->peer = *to;
    t->user = user;
    snprintf(t->method, sizeof t->method, "%s", q->method);
    t->interval_ms = e->t1;             /* Timer E / Timer A start at T1 */
    t->end_ms = now_ms + 64ull * e->t1; /* Timer F / Timer B */
    t->deadline_ms = now_ms + e->t1;
    attach(e, t);
    if (out != NULL)
        *out = t;
    send_bytes(e, to, t->req, t->req_len);
    return MCGK_OK;
}

mcgk_err mcgk_sip_engine_request(mcgk_sip_engine *e, uint64_t now_ms, const mcgk_sip_peer *to,
                                 const mcgk_sip_request_params *p, void *user, uint64_t *txn_id)
{
    if (e == NULL || to == NULL || p == NULL || p->method == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (strcmp(p->method, "INVITE") == 0 || strcmp(p->method, "ACK") == 0 ||
        strcmp(p->method, "CANCEL") == 0)
        return MCGK_ERR_UNSUPPORTED;
    if (e->n_client >= e->max_client)
        return MCGK_ERR_SIP_BUSY;
    char branch[64];
    new_branch(e, branch, sizeof branch);
    mcgk_sip_request_params q = *p;
    q.via_transport = e->via_transport;
    q.via_sent_by = e->via_sent_by;
    q.branch = branch;
    txn *t = NULL;
    mcgk_err err = client_start(e, now_ms, to, &q, 0, 0, user, &t);
    if (err == MCGK_OK && txn_id != NULL)
        *txn_id = t->id;
    return err;
}

mcgk_err mcgk_sip_engine_invite(mcgk_sip_engine *e, uint64_t now_ms, const mcgk_sip_peer *to,
                                const mcgk_sip_request_params *p, void *user, uint64_t *txn_id)
{
    if (e == NULL || to == NULL || p == NULL || p->method == NULL ||
        strcmp(p->method, "INVITE") != 0)
        return MCGK_ERR_INVALID_ARG;
    if (e->n_client >= e->max_client)
        return MCGK_ERR_SIP_BUSY;
    char branch[64];
    new_branch(e, branch, sizeof branch);
    mcgk_sip_request_params q = *p;
    q.via_transport = e->via_transport;
    q.via_sent_by = e->via_sent_by;
    q.branch = branch;
    txn *t = NULL;
    mcgk_err err = client_start(e, now_ms, to, &q, 1, 0, user, &t);
    if (err == MCGK_OK && txn_id != NULL)
        *txn_id = t->id;
    return err;
}

/*
 * The ACK of INVITE transaction t's final response resp, stored in t->ack
 * (not sent). A non-2xx's ACK belongs to the transaction (§17.1.1.3: the
 * INVITE's branch, Request-URI, From, Call-ID, CSeq number; the response's
 * To); a 2xx's is the TU's (§13.2.2.4: a new branch, the remote target as
 * Request-URI).
 */
static mcgk_err build_ack(mcgk_sip_engine *e, txn *t, const mcgk_sip_msg *resp, int is_2xx)
{
    /* From, Call-ID, CSeq and our branch come back in the response (§8.2.6.2: copied
     * from the request; it matched our transaction by them), so the INVITE itself need
     * not be parsed again - only its Request-URI is kept */
    char branch[64];
    if (is_2xx)
        new_branch(e, branch, sizeof branch);
    mcgk_sip_request_params q;
    memset(&q, 0, sizeof q);
    q.method = "ACK";
    q.request_uri = is_2xx && resp->contact_uri[0] != '\0' ? resp->contact_uri : t->ruri;
    q.via_transport = e->via_transport;
    q.via_sent_by = e->via_sent_by;
    q.branch = is_2xx ? branch : resp->branch;
    q.from_uri = resp->from_uri;
    q.from_tag = resp->from_tag;
    q.to_uri = resp->to_uri;
    q.to_tag = resp->to_tag[0] != '\0' ? resp->to_tag : NULL;
    q.call_id = resp->call_id;
    q.cseq = resp->cseq;
    size_t len;
    mcgk_err err = mcgk_sip_request_build(&q, e->scratch, sizeof e->scratch, &len);
    if (err != MCGK_OK && q.request_uri != t->ruri) {
        q.request_uri = t->ruri; /* a Contact our builder refuses */
        err = mcgk_sip_request_build(&q, e->scratch, sizeof e->scratch, &len);
    }
    if (err != MCGK_OK)
        return err;
    uint8_t *copy = copy_bytes(e, e->scratch, len);
    if (copy == NULL)
        return MCGK_ERR_NO_MEMORY;
    free_bytes(e, &t->ack, &t->ack_len);
    t->ack = copy;
    t->ack_len = len;
    return MCGK_OK;
}

/* RFC 3261 §9.1: a CANCEL has the INVITE's Request-URI, Call-ID, To, From, CSeq number
 * and top Via (branch); it is a non-INVITE transaction of its own, run by the engine. */
static mcgk_err send_cancel(mcgk_sip_engine *e, uint64_t now_ms, txn *inv_t)
{
    mcgk_sip_msg *inv = &e->tmp;
    mcgk_err err = mcgk_sip_msg_parse(inv_t->req, inv_t->req_len, inv);
    if (err != MCGK_OK)
        return err;
    mcgk_sip_request_params q;
    memset(&q, 0, sizeof q);
    q.method = "CANCEL";
    q.request_uri = inv->request_uri;
    q.via_transport = e->via_transport;
    q.via_sent_by = e->via_sent_by;
    q.branch = inv->branch;
    q.from_uri = inv->from_uri;
    q.from_tag = inv->from_tag;
    q.to_uri = inv->to_uri;
    q.to_tag = inv->to_tag[0] != '\0' ? inv->to_tag : NULL;
    q.call_id = inv->call_id;
    q.cseq = inv->cseq;
    return client_start(e, now_ms, &inv_t->peer, &q, 0, 1, NULL, NULL);
}

mcgk_err mcgk_sip_engine_ack(mcgk_sip_engine *e, uint64_t now_ms, uint64_t txn_id)
{
    (void)now_ms;
    if (e == NULL)
        return MCGK_ERR_INVALID_ARG;
    txn *t = by_id(e, txn_id);
    if (t == NULL || !t->is_client || !t->is_invite)
        return MCGK_ERR_NOT_FOUND;
    if (t->state != C_ACCEPTED || t->ack == NULL)
        return MCGK_ERR_SIP_TXN_STATE;
    t->acked = 1;
    send_bytes(e, &t->peer, t->ack, t->ack_len);
    return MCGK_OK;
}

mcgk_err mcgk_sip_engine_cancel(mcgk_sip_engine *e, uint64_t now_ms, uint64_t txn_id)
{
    if (e == NULL)
        return MCGK_ERR_INVALID_ARG;
    txn *t = by_id(e, txn_id);
    if (t == NULL || !t->is_client || !t->is_invite)
        return MCGK_ERR_NOT_FOUND;
    if (t->reported)
        return MCGK_ERR_SIP_TXN_STATE;
    if (t->state == C_PROCEEDING)
        return send_cancel(e, now_ms, t);
    t->cancel_wanted = 1; /* §9.1: not before a provisional response */
    return MCGK_OK;
}

/* A response to an INVITE client transaction (§17.1.1.2; RFC 6026 §7.2). */
static void on_invite_response(mcgk_sip_engine *e, uint64_t now_ms, txn *t, mcgk_sip_event *ev)
{
    const mcgk_sip_msg *m = &ev->msg;
    int open = t->state == C_TRYING || t->state == C_PROCEEDING;
    if (m->status < 200) {
        if (!open) {
            ev->note = "provisional"; /* after the final one: nothing to do */
            return;
        }
        if (t->state == C_TRYING) {
            /* Proceeding: Timer A stops; the TU (or our limit) decides how long to wait */
            t->state = C_PROCEEDING;
            t->end_ms = now_ms + e->proceeding;
            reschedule(e, t, t->end_ms);
        }
        if (t->cancel_wanted) {
            t->cancel_wanted = 0;
            (void)send_cancel(e, now_ms, t); /* best effort: the INVITE still ends */
        }
        ev->type = MCGK_SIP_EV_PROVISIONAL;
        ev->txn = t->id;
        ev->user = t->user;
        return;
    }
    int is_2xx = m->status < 300;
    if (!open) {
        if (is_2xx && t->state == C_ACCEPTED) {
            /* §13.2.2.4: every retransmission of the 2xx is ACKed again (by the TU's ACK) */
            if (t->acked)
                send_bytes(e, &t->peer, t->ack, t->ack_len);
            ev->note = "2xx-retransmission";
        } else if (!is_2xx && t->state == C_COMPLETED) {
            send_bytes(e, &t->peer, t->ack, t->ack_len); /* §17.1.1.2: ACK again */
            ev->note = "retransmission";
        } else {
            ev->note = "stray-response";
        }
        return;
    }
    (void)build_ack(e, t, m, is_2xx); /* without it the peer's Timer H / L ends its side */
    if (is_2xx) {
        t->state = C_ACCEPTED; /* RFC 6026 §7.2: Timer M */
        t->end_ms = now_ms + 64ull * e->t1;
    } else {
        t->state = C_COMPLETED; /* Timer D */
        uint64_t d = 64ull * e->t1 > TIMER_D_MIN_MS ? 64ull * e->t1 : TIMER_D_MIN_MS;
        t->end_ms = now_ms + d;
        if (t->ack != NULL)
            send_bytes(e, &t->peer, t->ack, t->ack_len);
    }
    reschedule(e, t, t->end_ms);
    free_bytes(e, &t->req, &t->req_len);
    ev->type = MCGK_SIP_EV_RESPONSE;
    ev->txn = t->id;
    ev->user = t->user;
    t->user = NULL;
    t->reported = 1;
    t->cancel_wanted = 0;
}

static void on_response(mcgk_sip_engine *e, uint64_t now_ms, mcgk_sip_event *ev)
{
    const mcgk_sip_msg *m = &ev->msg;
    if (m->n_via != 1 || strchr(m->via[0], ',') != NULL) {
        ev->note = "multiple-via"; /* RFC 3261 §8.1.3.3 */
        return;
    }
    char kb[2 * MCGK_SIP_TOKEN_MAX + 2];
    snprintf(kb, sizeof kb, "%s|%s", m->branch, m->method);
    char *key = make_key('c', kb, NULL);
    txn *t = key ? find(e, key) : NULL;
    free(key);
    if (t == NULL) {
        ev->note = "stray-response";
        return;
    }
    if (t->is_invite) {
        on_invite_response(e, now_ms, t, ev);
        return;
    }
    if (m->status < 200) {
        t->state = C_PROCEEDING; /* Timer E now fires every T2 */
        ev->note = "provisional";
        return;
    }
    if (t->internal) {
        ev->note = "cancel-response"; /* the outcome of our CANCEL is not the TU's */
        destroy(e, t);
        return;
    }
    /* a final response ends the transaction; Timer K's absorption of response
     * retransmissions is the same as dropping them as strays */
    ev->type = MCGK_SIP_EV_RESPONSE;
    ev->txn = t->id;
    ev->user = t->user;
    destroy(e, t);
}

/* ---- server transactions (RFC 3261 §17.2.1, §17.2.2) -------------------------------------- */

/* Answer t with p; req is t's request already parsed, or NULL (parsed here). */
static mcgk_err server_respond(mcgk_sip_engine *e, uint64_t now_ms, txn *t,
                               const mcgk_sip_response_params *p, const mcgk_sip_msg *req)
{
    if (t->state == S_COMPLETED || t->state == S_CONFIRMED || t->state == S_ACCEPTED)
        return MCGK_ERR_SIP_TXN_STATE;
    mcgk_err err;
    if (req == NULL) {
        err = mcgk_sip_msg_parse(t->req, t->req_len, &e->tmp);
        if (err != MCGK_OK)
            return err; /* cannot happen: it parsed when it arrived */
        req = &e->tmp;
    }
    mcgk_sip_response_params q = *p;
    if (q.to_tag == NULL)
        q.to_tag = t->to_tag; /* RFC 3261 §8.2.6.2 */
    size_t len;
    err = mcgk_sip_response_build(req, &q, e->scratch, sizeof e->scratch, &len);
    if (err != MCGK_OK)
        return err;
    t->trying_due = 0; /* the TU answered: no 100 of ours needed (§17.2.1) */
    char *akey = NULL;
    if (t->is_invite && p->status >= 200 && p->status < 300) {
        akey = ack_key(req->call_id, req->from_tag, req->cseq);
        if (akey == NULL)
            return MCGK_ERR_NO_MEMORY;
    }
    uint8_t *copy = copy_bytes(e, e->scratch, len);
    if (copy == NULL) {
        free(akey);
        return MCGK_ERR_NO_MEMORY;
    }
    free_bytes(e, &t->resp, &t->resp_len);
    t->resp = copy;
    t->resp_len = len;
    send_bytes(e, &t->peer, t->resp, t->resp_len);
    if (p->status < 200) {
        t->state = S_PROCEEDING;
        return MCGK_OK;
    }
    free_bytes(e, &t->req, &t->req_len);
    if (!t->is_invite) {
        /* Completed: repeat this response to retransmissions until Timer J (64*T1, UDP) */
        t->state = S_COMPLETED;
        t->end_ms = now_ms + 64ull * e->t1;
        reschedule(e, t, t->end_ms);
        return MCGK_OK;
    }
    /* INVITE: a 3xx-6xx is repeated on Timer G until the ACK or Timer H (§17.2.1); a 2xx
     * the same way until its ACK (§13.3.1.4), the transaction Accepted (RFC 6026 §7.1) */
    if (akey != NULL) {
        t->state = S_ACCEPTED;
        akey_attach(e, t, akey);
    } else {
        t->state = S_COMPLETED;
    }
    t->interval_ms = e->t1;
    t->end_ms = now_ms + 64ull * e->t1;
    reschedule(e, t, now_ms + e->t1);
    return MCGK_OK;
}

/* The ACK of our 2xx (§13.3.1.4): the retransmissions stop; Timer L runs out. */
static void ack_of_2xx(mcgk_sip_engine *e, txn *t, mcgk_sip_event *ev)
{
    if (t->acked) {
        ev->note = "ack";
        return;
    }
    t->acked = 1;
    reschedule(e, t, t->end_ms);
    ev->type = MCGK_SIP_EV_ACK;
    ev->txn = t->id;
}

static void on_ack(mcgk_sip_engine *e, uint64_t now_ms, txn *t, mcgk_sip_event *ev)
{
    const mcgk_sip_msg *m = &ev->msg;
    ev->note = "ack";
    if (t != NULL && t->is_invite) {
        if (t->state == S_COMPLETED) {
            /* §17.2.1: Confirmed; Timer I absorbs further ACKs */
            t->state = S_CONFIRMED;
            free_bytes(e, &t->resp, &t->resp_len);
            t->end_ms = now_ms + e->t4;
            reschedule(e, t, t->end_ms);
        } else if (t->state == S_ACCEPTED) {
            ack_of_2xx(e, t, ev); /* an ACK of a 2xx that reused the INVITE's branch */
        }
        return;
    }
    char *key = ack_key(m->call_id, m->from_tag, m->cseq);
    txn *a = key ? afind(e, key) : NULL;
    free(key);
    if (a != NULL && a->state == S_ACCEPTED)
        ack_of_2xx(e, a, ev);
    /* else: an ACK for nothing we know (e.g. after Timer L), absorbed */
}

static void on_request(mcgk_sip_engine *e, uint64_t now_ms, const uint8_t *data, size_t len,
                       mcgk_sip_event *ev)
{
    const mcgk_sip_msg *m = &ev->msg;
    char *key = make_key('s', m->branch, m->via_sent_by);
    if (key == NULL)
        return; /* out of memory: dropped, the peer retransmits */
    txn *t = find(e, key);
    if (strcmp(m->method, "ACK") == 0) {
        free(key);
        on_ack(e, now_ms, t, ev);
        return;
    }
    if (strcmp(m->method, "CANCEL") == 0) {
        free(key);
        ev->note = "cancel";
        if (t != NULL && t->is_invite && (t->state == S_TRYING || t->state == S_PROCEEDING)) {
            /* RFC 3261 §9.2: 200 to the CANCEL, 487 to the INVITE it cancels */
            respond_stateless(e, &ev->peer, m, 200);
            mcgk_sip_response_params r;
            memset(&r, 0, sizeof r);
            r.status = 487;
            if (server_respond(e, now_ms, t, &r, NULL) == MCGK_OK) {
                ev->type = MCGK_SIP_EV_CANCEL;
                ev->txn = t->id;
            }
            return;
        }
        /* §9.2: of a non-INVITE, or an answered INVITE: no effect; 481 when nothing matches */
        respond_stateless(e, &ev->peer, m, t != NULL ? 200 : 481);
        return;
    }
    if (t != NULL) {
        free(key);
        ev->note = "retransmission";
        /* §17.2.1 / §17.2.2: the last response again; RFC 6026 §7.1: absorbed once Accepted */
        if (strcmp(t->method, m->method) == 0 && t->resp != NULL && t->state != S_ACCEPTED) {
            send_bytes(e, &t->peer, t->resp, t->resp_len);
            e->stats.repeats++;
        }
        return;
    }
    int is_invite = strcmp(m->method, "INVITE") == 0;
    if (is_invite && !e->accept_invite) {
        free(key);
        ev->note = "invite-501"; /* this endpoint takes no calls */
        respond_stateless(e, &ev->peer, m, 501);
        return;
    }
    if (e->n_server >= e->max_server || e->bytes + len > e->max_bytes) {
        free(key);
        ev->note = "busy-503"; /* RFC 3261 §21.5.4 */
        e->stats.rejected_busy++;
        respond_stateless(e, &ev->peer, m, 503);
        return;
    }
    t = calloc(1, sizeof *t);
    uint8_t *copy = t ? copy_bytes(e, data, len) : NULL;
    if (copy == NULL) {
        free(t);
        free(key);
        return;
    }
    t->key = key;
    t->req = copy;
    t->req_len = len;
    t->state = S_TRYING;
    t->is_invite = is_invite;
    t->peer = ev->peer;
    snprintf(t->method, sizeof t->method, "%s", m->method);
    snprintf(t->to_tag, sizeof t->to_tag, "%s%llx", e->tag_prefix,
             (unsigned long long)++e->tag_seq);
    t->end_ms = now_ms + e->tu_timeout;
    t->deadline_ms = t->end_ms;
    attach(e, t);
    if (is_invite && e->trying_delay == 0) {
        /* §17.2.1: 100 Trying at once, so the caller's Timer A stops */
        mcgk_sip_response_params r;
        memset(&r, 0, sizeof r);
        r.status = 100;
        (void)server_respond(e, now_ms, t, &r, m);
    } else if (is_invite && e->trying_delay < e->tu_timeout) {
        /* §17.2.1: ... unless the TU answers within 200 ms: a 100 only if it has not */
        t->trying_due = 1;
        reschedule(e, t, now_ms + e->trying_delay);
    }
    ev->type = MCGK_SIP_EV_REQUEST;
    ev->txn = t->id;
}

mcgk_err mcgk_sip_engine_receive(mcgk_sip_engine *e, uint64_t now_ms, const mcgk_sip_peer *from,
                                 const uint8_t *data, size_t len, mcgk_sip_event *ev)
{
    if (e == NULL || from == NULL || ev == NULL || (data == NULL && len > 0))
        return MCGK_ERR_INVALID_ARG;
    ev->type = MCGK_SIP_EV_NONE;
    ev->txn = 0;
    ev->user = NULL;
    ev->note = NULL;
    ev->peer = *from;
    if (mcgk_sip_is_keepalive(data, len)) {
        ev->note = "keepalive"; /* RFC 5626 §3.5.1 */
        return MCGK_OK;
    }
    mcgk_err err = mcgk_sip_msg_parse(data, len, &ev->msg);
    if (err != MCGK_OK)
        return err;
    if (ev->msg.is_request)
        on_request(e, now_ms, data, len, ev);
    else
        on_response(e, now_ms, ev);
    return MCGK_OK;
}

mcgk_err mcgk_sip_engine_respond(mcgk_sip_engine *e, uint64_t now_ms, uint64_t txn_id,
                                 const mcgk_sip_response_params *p)
{
    if (e == NULL || p == NULL)
        return MCGK_ERR_INVALID_ARG;
    txn *t = by_id(e, txn_id);
    if (t == NULL || t->is_client)
        return MCGK_ERR_NOT_FOUND;
    return server_respond(e, now_ms, t, p, NULL);
}

/* ---- timers ----------------------------------------------------------------------------- */

static uint32_t doubled(const mcgk_sip_engine *e, uint32_t interval)
{
    return 2 * interval < e->t2 ? 2 * interval : e->t2;
}

/* An INVITE server transaction's timer. Returns 1 when our 2xx was never ACKed: the
 * caller reports it and destroys t; otherwise t may have been destroyed. */
static int expire_invite_server(mcgk_sip_engine *e, uint64_t now_ms, txn *t)
{
    switch (t->state) {
    case S_TRYING:
    case S_PROCEEDING: {
        mcgk_sip_response_params r;
        memset(&r, 0, sizeof r);
        if (now_ms < t->end_ms) {
            /* the delayed 100 Trying (the TU has not answered within trying_delay_ms) */
            if (t->trying_due) {
                r.status = 100;
                (void)server_respond(e, now_ms, t, &r, NULL);
            }
            reschedule(e, t, t->end_ms);
            return 0;
        }
        /* the TU never answered: 408, so the caller does not wait for ever */
        r.status = 408;
        if (server_respond(e, now_ms, t, &r, NULL) != MCGK_OK)
            destroy(e, t);
        return 0;
    }
    case S_COMPLETED:
        if (now_ms >= t->end_ms) { /* Timer H: no ACK came */
            e->stats.no_ack++;
            destroy(e, t);
            return 0;
        }
        break;
    case S_ACCEPTED:
        if (now_ms >= t->end_ms) { /* Timer L (and the 2xx give-up of §13.3.1.4) */
            if (!t->acked) {
                e->stats.no_ack++;
                return 1; /* the caller reports it and destroys t */
            }
            destroy(e, t);
            return 0;
        }
        if (t->acked) {
            reschedule(e, t, t->end_ms);
            return 0;
        }
        break;
    default: /* S_CONFIRMED: Timer I */
        destroy(e, t);
        return 0;
    }
    /* Timer G, or the 2xx retransmission: T1 doubling up to T2 */
    send_bytes(e, &t->peer, t->resp, t->resp_len);
    e->stats.response_retransmissions++;
    t->interval_ms = doubled(e, t->interval_ms);
    uint64_t next = now_ms + t->interval_ms;
    reschedule(e, t, next < t->end_ms ? next : t->end_ms);
    return 0;
}

size_t mcgk_sip_engine_expire(mcgk_sip_engine *e, uint64_t now_ms, mcgk_sip_timeout *out,
                              size_t cap)
{
    size_t n = 0;
    while (e->heap_len > 0 && e->heap[0]->deadline_ms <= now_ms) {
        txn *t = e->heap[0];
        if (!t->is_client) {
            if (!t->is_invite) {
                destroy(e, t); /* Timer J, or the TU never answered */
                continue;
            }
            if (t->state == S_ACCEPTED && now_ms >= t->end_ms && !t->acked && n == cap)
                break;
            if (expire_invite_server(e, now_ms, t)) {
                out[n].txn = t->id;
                out[n].user = NULL;
                out[n].kind = MCGK_SIP_TIMEOUT_NO_ACK;
                n++;
                destroy(e, t);
            }
            continue;
        }
        if (t->state == C_COMPLETED || t->state == C_ACCEPTED) {
            destroy(e, t); /* Timer D / Timer M */
            continue;
        }
        int ends = now_ms >= t->end_ms || (t->is_invite && t->state == C_PROCEEDING);
        if (ends) { /* Timer F, Timer B, or our limit on a ringing INVITE */
            if (!t->internal) {
                if (n == cap)
                    break;
                out[n].txn = t->id;
                out[n].user = t->user;
                out[n].kind = MCGK_SIP_TIMEOUT_CLIENT;
                n++;
                e->stats.timeouts++;
            }
            if (t->is_invite && t->state == C_PROCEEDING)
                (void)send_cancel(e, now_ms, t); /* tell the callee we gave up */
            destroy(e, t);
            continue;
        }
        /* Timer E (non-INVITE: doubles up to T2; T2 once Proceeding) or Timer A (INVITE:
         * doubles without a cap, §17.1.1.2) */
        send_bytes(e, &t->peer, t->req, t->req_len);
        e->stats.retransmissions++;
        if (t->is_invite)
            t->interval_ms = 2 * t->interval_ms;
        else if (t->state == C_PROCEEDING)
            t->interval_ms = e->t2;
        else
            t->interval_ms = doubled(e, t->interval_ms);
        uint64_t next = now_ms + t->interval_ms;
        reschedule(e, t, next < t->end_ms ? next : t->end_ms);
    }
    return n;
}

size_t mcgk_sip_engine_abort_clients(mcgk_sip_engine *e, mcgk_sip_timeout *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < e->n_slots; i++) {
        txn *t = e->slots[i];
        if (t == NULL || !t->is_client)
            continue;
        if (!t->reported && !t->internal) {
            if (n == cap)
                break;
            out[n].txn = t->id;
            out[n].user = t->user;
            out[n].kind = MCGK_SIP_TIMEOUT_CLIENT;
            n++;
        }
        destroy(e, t);
    }
    return n;
}
