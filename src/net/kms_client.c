/*
 * The client side of the KMS interface (TS 33.180 Annex D) and key
 * provisioning (§5.3). See net/kms_client.h.
 * Secrets: the bearer token (only handed to the HTTP client), the DEK,
 * fetched RSK/SSK (wiped with the parsed responses).
 */
#include "net/kms_client.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http_client.h"
#include "platform/log.h"

#define URL_MAX 2048

static mcgk_err build_url(const char *base, const char *path, char *out, size_t cap)
{
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    size_t rl = strlen(MCGK_KMS_ROOT_PATH);
    int has_root = bl >= rl && memcmp(base + bl - rl, MCGK_KMS_ROOT_PATH, rl) == 0;
    int n = snprintf(out, cap, "%.*s%s/%s", (int)bl, base, has_root ? "" : MCGK_KMS_ROOT_PATH,
                     path);
    return n < 0 || (size_t)n >= cap ? MCGK_ERR_INVALID_ARG : MCGK_OK;
}

mcgk_err mcgk_kms_client_call(const mcgk_kms_client *c, const char *path, const char *kms_uri,
                              uint64_t now_unix_s, mcgk_kms_msg want, mcgk_kms_response *resp)
{
    if (c == NULL || c->base_url == NULL || c->user_uri == NULL || path == NULL ||
        kms_uri == NULL || resp == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_kms_request *req = calloc(1, sizeof *req);
    if (req == NULL)
        return MCGK_ERR_NO_MEMORY;
    mcgk_err e = build_url(c->base_url, path, req->client_req_url, sizeof req->client_req_url);
    if (e == MCGK_OK && (strlen(c->user_uri) >= sizeof req->user_uri ||
                         strlen(kms_uri) >= sizeof req->kms_uri))
        e = MCGK_ERR_INVALID_ARG;
    char *xml = NULL;
    size_t xml_len = 0;
    if (e == MCGK_OK) {
        snprintf(req->version, sizeof req->version, "%s", MCGK_KMS_REQUEST_VERSION);
        snprintf(req->user_uri, sizeof req->user_uri, "%s", c->user_uri);
        snprintf(req->kms_uri, sizeof req->kms_uri, "%s", kms_uri);
        if (c->client_id != NULL)
            snprintf(req->client_id, sizeof req->client_id, "%s", c->client_id);
        req->time_unix_s = now_unix_s;
        e = mcgk_kms_request_encode(req, &xml, &xml_len);
    }
    uint8_t *body = NULL;
    size_t body_len = 0;
    int status = 0;
    if (e == MCGK_OK) {
        mcgk_http_client_opts o;
        memset(&o, 0, sizeof o);
        o.ca_file = c->ca_file;
        o.bearer = c->token;
        o.timeout_ms = c->timeout_ms;
        o.max_response_len = MCGK_KMS_RESPONSE_MAX_LEN;
        e = mcgk_http_post(&o, req->client_req_url, "application/xml", (const uint8_t *)xml,
                           xml_len, &status, &body, &body_len);
    }
    if (e == MCGK_OK) {
        mcgk_kms_response r;
        mcgk_err pe = mcgk_kms_response_parse(body, body_len, &r);
        if (pe != MCGK_OK) {
            e = status == 200 ? pe : MCGK_ERR_PEER;
        } else if (r.has_error) {
            e = r.error_code > 0 && r.error_code < (int64_t)MCGK_ERR__COUNT
                    ? (mcgk_err)r.error_code
                    : MCGK_ERR_PEER;
            mcgk_kms_response_clear(&r);
        } else if (status != 200 || r.msg != want) {
            e = MCGK_ERR_PEER;
            mcgk_kms_response_clear(&r);
        } else {
            *resp = r;
        }
    }
    mcgk_http_body_free(body, body_len);
    mcgk_kms_xml_free(xml, xml_len);
    free(req);
    return e;
}

/* ---- provisioning ---- */

static void host_of(const char *url, char *out, size_t cap)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, ":/");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

typedef struct prov {
    const mcgk_kms_client *c;
    mcgk_client_store *store;
    const uint8_t *dek;
    const mcgk_rng *rng;
    uint64_t now_unix_s;
    const mcgk_kms_cert *cert;
    mcgk_sakke_community *community;
    mcgk_provision_result *res;
} prov;

/* Fetch, check and store the key set of identity for period n (start_ntp within it). */
static mcgk_err fetch_keyset(prov *p, const char *identity, uint64_t n, uint64_t at_ntp_s)
{
    char q1[MCGK_KMS_URI_MAX + 8], q2[64];
    mcgk_client_keyset_row *row = malloc(sizeof *row);
    if (row == NULL)
        return MCGK_ERR_NO_MEMORY;
    mcgk_err e = p->store->ops->keyset_get(p->store, identity, p->cert->kms_uri, n, row);
    free(row);
    if (e == MCGK_OK)
        return MCGK_OK; /* already held */
    if (e != MCGK_ERR_NO_KEYS)
        return e;
    char enc[3 * MCGK_KMS_URI_MAX];
    char path[3 * MCGK_KMS_URI_MAX + 64];
    e = mcgk_kms_percent_encode(identity, enc, sizeof enc);
    if (e != MCGK_OK)
        return MCGK_ERR_INVALID_ARG;
    /* D.2: keyprov/<URI>/<NTP-UTC 64-bit hex> */
    uint64_t ntp64 = (at_ntp_s & 0xffffffffu) << 32;
    snprintf(path, sizeof path, "keyprov/%s/%016" PRIX64, enc, ntp64);
    mcgk_kms_response r;
    e = mcgk_kms_client_call(p->c, path, p->cert->kms_uri, p->now_unix_s, MCGK_KMS_MSG_KEYPROV,
                             &r);
    if (e != MCGK_OK) {
        mcgk_log(MCGK_LOG_ERROR, "client", "keyprov-failed", "identity=%s period=%" PRIu64
                 " error=%s", mcgk_log_quote(identity, q1, sizeof q1), n, mcgk_err_name(e));
        return e;
    }
    const mcgk_kms_keyset *found = NULL;
    for (size_t i = 0; i < r.n_keysets; i++)
        if (r.keysets[i].key_period_no == n && strcmp(r.keysets[i].user_uri, identity) == 0)
            found = &r.keysets[i];
    e = found ? MCGK_OK : MCGK_ERR_KEYSET_MISMATCH;
    /* TS 33.180 §5.3: validate before installing; refuse bad material */
    if (e == MCGK_OK)
        e = mcgk_kms_keyset_check(p->cert, p->community, found, identity, n);
    if (e == MCGK_OK)
        e = mcgk_client_store_put_keyset(p->store, p->dek, found, p->now_unix_s, p->rng);
    if (e == MCGK_OK) {
        p->res->fetched++;
        mcgk_log(MCGK_LOG_INFO, "client", "keyset-stored", "identity=%s kms=%s period=%" PRIu64,
                 mcgk_log_quote(identity, q1, sizeof q1),
                 mcgk_log_quote(p->cert->kms_uri, q2, sizeof q2), n);
    } else {
        mcgk_log(MCGK_LOG_ERROR, "client", "keyset-refused",
                 "identity=%s period=%" PRIu64 " error=%s",
                 mcgk_log_quote(identity, q1, sizeof q1), n, mcgk_err_name(e));
    }
    mcgk_kms_response_clear(&r);
    return e;
}

/* Store the partner certificates of certcache that this client can use. */
static mcgk_err fetch_partners(prov *p)
{
    mcgk_kms_response r;
    mcgk_err e = mcgk_kms_client_call(p->c, "certcache", p->cert->kms_uri, p->now_unix_s,
                                      MCGK_KMS_MSG_CERTCACHE, &r);
    if (e != MCGK_OK)
        return e;
    mcgk_client_cert_row *row = malloc(sizeof *row);
    if (row == NULL) {
        mcgk_kms_response_clear(&r);
        return MCGK_ERR_NO_MEMORY;
    }
    for (size_t i = 0; e == MCGK_OK && i < r.n_certs; i++) {
        const mcgk_kms_cert *pc = &r.certs[i];
        char q[MCGK_KMS_URI_MAX + 8];
        mcgk_err ce = mcgk_kms_cert_check(pc, p->now_unix_s);
        if (ce == MCGK_OK && strcmp(pc->kms_uri, p->cert->kms_uri) == 0)
            ce = MCGK_ERR_WRONG_KMS; /* a partner cannot replace the home KMS */
        if (ce == MCGK_OK)
            ce = mcgk_kms_cert_keys_check(pc); /* valid Z and KPAK */
        if (ce != MCGK_OK) {
            mcgk_log(MCGK_LOG_WARN, "client", "partner-cert-skipped", "kms=%s error=%s",
                     mcgk_log_quote(pc->kms_uri, q, sizeof q), mcgk_err_name(ce));
            continue;
        }
        char *xml = NULL;
        size_t xl = 0;
        e = mcgk_kms_cert_encode(pc, &xml, &xl);
        if (e == MCGK_OK && xl >= sizeof row->cert_xml)
            e = MCGK_ERR_OVERSIZED;
        if (e == MCGK_OK) {
            memset(row, 0, sizeof *row);
            memcpy(row->kms_uri, pc->kms_uri, sizeof row->kms_uri);
            memcpy(row->cert_xml, xml, xl + 1);
            row->home = 0;
            row->fetched_unix_s = p->now_unix_s;
            e = p->store->ops->cert_put(p->store, row);
        }
        mcgk_kms_xml_free(xml, xl);
        if (e == MCGK_OK) {
            p->res->partners++;
            mcgk_log(MCGK_LOG_INFO, "client", "partner-cert-stored", "kms=%s",
                     mcgk_log_quote(pc->kms_uri, q, sizeof q));
        }
    }
    free(row);
    mcgk_kms_response_clear(&r);
    return e;
}

/* Store the home certificate; drop key sets of a replaced one. */
static mcgk_err store_home_cert(prov *p, const mcgk_kms_cert *cert)
{
    mcgk_kms_cert *old = malloc(sizeof *old);
    mcgk_client_cert_row *row = calloc(1, sizeof *row);
    if (old == NULL || row == NULL) {
        free(old);
        free(row);
        return MCGK_ERR_NO_MEMORY;
    }
    mcgk_err e = mcgk_client_cert_at(p->store, cert->kms_uri, old);
    if (e == MCGK_OK && (memcmp(old->pub_enc_key, cert->pub_enc_key, sizeof old->pub_enc_key) ||
                         memcmp(old->pub_auth_key, cert->pub_auth_key,
                                sizeof old->pub_auth_key) ||
                         old->user_key_period_s != cert->user_key_period_s ||
                         old->user_key_offset_s != cert->user_key_offset_s)) {
        uint64_t gone = 0;
        char q[MCGK_KMS_URI_MAX + 8];
        e = p->store->ops->keyset_prune(p->store, cert->kms_uri, UINT64_MAX, &gone);
        mcgk_log(MCGK_LOG_WARN, "client", "kms-cert-changed", "kms=%s dropped_keysets=%" PRIu64,
                 mcgk_log_quote(cert->kms_uri, q, sizeof q), gone);
    } else if (e == MCGK_ERR_NOT_FOUND) {
        e = MCGK_OK;
    }
    char *xml = NULL;
    size_t xl = 0;
    if (e == MCGK_OK)
        e = mcgk_kms_cert_encode(cert, &xml, &xl);
    if (e == MCGK_OK && xl >= sizeof row->cert_xml)
        e = MCGK_ERR_OVERSIZED;
    if (e == MCGK_OK) {
        memcpy(row->kms_uri, cert->kms_uri, sizeof row->kms_uri);
        memcpy(row->cert_xml, xml, xl + 1);
        row->home = 1;
        row->fetched_unix_s = p->now_unix_s;
        e = p->store->ops->cert_put(p->store, row);
    }
    mcgk_kms_xml_free(xml, xl);
    free(old);
    free(row);
    return e;
}

mcgk_err mcgk_kms_provision(const mcgk_kms_client *c, const mcgk_provision_opts *opts,
                            mcgk_client_store *store, const uint8_t dek[MCGK_SEAL_KEY_LEN],
                            uint64_t now_unix_s, const mcgk_rng *rng,
                            mcgk_provision_result *res)
{
    if (c == NULL || store == NULL || dek == NULL || res == NULL || c->user_uri == NULL)
        return MCGK_ERR_INVALID_ARG;
    memset(res, 0, sizeof *res);
    prov p;
    memset(&p, 0, sizeof p);
    p.c = c;
    p.store = store;
    p.dek = dek;
    p.rng = rng;
    p.now_unix_s = now_unix_s;
    p.res = res;
    char q[MCGK_KMS_URI_MAX + 8];

    /* 1. init: the home KMS certificate (D.3.2) */
    mcgk_kms_cert *cert = malloc(sizeof *cert);
    if (cert == NULL)
        return MCGK_ERR_NO_MEMORY;
    char kms_hint[MCGK_KMS_URI_MAX];
    if (mcgk_client_cert_at(store, NULL, cert) == MCGK_OK)
        memcpy(kms_hint, cert->kms_uri, sizeof kms_hint);
    else
        host_of(c->base_url, kms_hint, sizeof kms_hint);
    mcgk_kms_response r;
    mcgk_err e = mcgk_kms_client_call(c, "init", kms_hint, now_unix_s, MCGK_KMS_MSG_INIT, &r);
    if (e == MCGK_OK) {
        *cert = r.certs[0];
        mcgk_kms_response_clear(&r);
        e = mcgk_kms_cert_check(cert, now_unix_s);
        if (e != MCGK_OK)
            mcgk_log(MCGK_LOG_ERROR, "client", "kms-cert-refused", "kms=%s error=%s",
                     mcgk_log_quote(cert->kms_uri, q, sizeof q), mcgk_err_name(e));
    }
    p.cert = cert;
    if (e == MCGK_OK)
        e = mcgk_sakke_community_new(cert->pub_enc_key, &p.community);
    if (e == MCGK_OK)
        e = store_home_cert(&p, cert);
    if (e != MCGK_OK) {
        mcgk_sakke_community_free(p.community);
        free(cert);
        return e;
    }
    snprintf(res->kms_uri, sizeof res->kms_uri, "%s", cert->kms_uri);

    /* 2. keyprov: current and (near its end) next period, every identity (§5.3) */
    uint64_t now_ntp = now_unix_s + MCGK_NTP_UNIX_OFFSET_S, n = 0, start = 0, end = 0;
    e = mcgk_kms_cert_period(cert, now_ntp, &n, &start, &end);
    uint64_t prefetch = opts && opts->prefetch_s ? opts->prefetch_s
                                                 : cert->user_key_period_s / 10;
    if (prefetch >= cert->user_key_period_s)
        prefetch = cert->user_key_period_s - 1;
    int want_next = e == MCGK_OK && now_ntp + prefetch >= end;
    res->period_no = n;
    res->period_end_unix_s = end > MCGK_NTP_UNIX_OFFSET_S ? end - MCGK_NTP_UNIX_OFFSET_S : 0;
    size_t n_ids = 1 + (opts ? opts->n_identities : 0);
    for (size_t i = 0; e == MCGK_OK && i < n_ids; i++) {
        const char *id = i == 0 ? c->user_uri : opts->identities[i - 1];
        e = fetch_keyset(&p, id, n, now_ntp);
        if (e == MCGK_OK && want_next)
            e = fetch_keyset(&p, id, n + 1, end);
    }
    res->have_next = e == MCGK_OK && want_next;

    /* 3. certcache: partner KMS certificates (seed 004) */
    if (e == MCGK_OK)
        e = fetch_partners(&p);

    /* 4. keep the previous period (messages straddling the boundary), drop older */
    uint64_t pruned = 0;
    if (e == MCGK_OK && n > 1)
        e = store->ops->keyset_prune(store, cert->kms_uri, n - 1, &pruned);

    /* next run: at the prefetch point, or right after the rollover */
    uint64_t end_unix = res->period_end_unix_s;
    res->next_run_unix_s = res->have_next ? end_unix + 1
                                          : (end_unix > prefetch ? end_unix - prefetch : 0);
    if (res->next_run_unix_s <= now_unix_s)
        res->next_run_unix_s = now_unix_s + 1;
    if (e == MCGK_OK) {
        char q2[MCGK_KMS_URI_MAX + 8];
        mcgk_log(MCGK_LOG_INFO, "client", "provisioned",
                 "kms=%s user=%s period=%" PRIu64 " fetched=%zu next_period=%s partners=%zu",
                 mcgk_log_quote(cert->kms_uri, q, sizeof q),
                 mcgk_log_quote(c->user_uri, q2, sizeof q2), n, res->fetched,
                 res->have_next ? "yes" : "no", res->partners);
    }
    mcgk_sakke_community_free(p.community);
    free(cert);
    return e;
}
