/*
 * mcgk-bench suite "kms": KMS throughput (TS 33.180 Annex D over HTTPS).
 *
 * In one process: a real KMS (SQLite store in a temporary directory, the
 * sans-I/O core, libmicrohttpd + GnuTLS on 127.0.0.1 with a certificate made
 * by the openssl tool, one worker thread per CPU) and N client threads, each
 * keeping one TLS connection open (libcurl, keep-alive) and POSTing keyprov
 * requests for its own user as fast as the server answers, for a fixed time.
 * Every answer is checked to be a 200 with a key set.
 *
 * Reported (stdout and <csv-dir>/kms.csv):
 *   kms_issue              one key set issued by the core (UID + RSK + SSK/PVT), median us
 *   kms_keyprov_https_p50  latency of one keyprov over HTTPS under load, p50 us
 *   kms_keyprov_https_p99  ... p99 us
 * and a line "kms_keysets_per_s=<rate> clients=<N>" (the issue's target: >= 500
 * key sets/s on a 2-core machine; RSK issuance dominates).
 * Environment: MCGK_BENCH_KMS_CLIENTS (default 8), MCGK_BENCH_KMS_SECONDS
 * (default 5; --quick: 1).
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "mcgk/kms.h"
#include "mcgk/platform.h"
#include "net/http_server.h"
#include "net/kms_server.h"
#include "platform/log.h"
#include "store/store.h"

#define MAX_CLIENTS 64
#define MAX_SAMPLES 200000

typedef struct client {
    pthread_t th;
    int idx;
    unsigned port;
    const char *ca;
    double stop_us;
    double *lat;
    size_t n;
    size_t cap;
    int failed;
} client;

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
    (void)p;
    size_t *len = ud;
    *len += s * n;
    return s * n;
}

static void *client_main(void *arg)
{
    client *c = arg;
    CURL *h = curl_easy_init();
    if (h == NULL) {
        c->failed = 1;
        return NULL;
    }
    char url[256], user[64], body[1024], auth[128];
    snprintf(user, sizeof user, "sip:bench%d@example.org", c->idx);
    snprintf(url, sizeof url, "https://127.0.0.1:%u" MCGK_KMS_ROOT_PATH "/keyprov", c->port);
    snprintf(body, sizeof body,
             "<KmsRequest xmlns=\"" MCGK_KMS_NS "\" Version=\"1.1.0\"><UserUri>%s</UserUri>"
             "<KmsUri>kms.bench.org</KmsUri><Time>2024-05-01T12:00:00Z</Time>"
             "<ClientReqUrl>%s</ClientReqUrl></KmsRequest>",
             user, url);
    snprintf(auth, sizeof auth, "Authorization: Bearer token-%d", c->idx);
    struct curl_slist *hd = curl_slist_append(NULL, auth);
    hd = curl_slist_append(hd, "Content-Type: application/xml");
    hd = curl_slist_append(hd, "Expect:");
    size_t got = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_CAINFO, c->ca);
    curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &got);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    while (bench_now_us() < c->stop_us && c->n < c->cap) {
        got = 0;
        double t0 = bench_now_us();
        CURLcode rc = curl_easy_perform(h);
        double t1 = bench_now_us();
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK || status != 200 || got < 1000) {
            c->failed = 1;
            break;
        }
        c->lat[c->n++] = t1 - t0;
    }
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    return NULL;
}

typedef struct issue_ctx {
    const mcgk_kms *kms;
    const mcgk_rng *rng;
} issue_ctx;

static int op_issue(void *ctx, size_t i)
{
    issue_ctx *c = ctx;
    char uri[64];
    snprintf(uri, sizeof uri, "sip:user%zu@example.org", i);
    mcgk_kms_keyset ks;
    mcgk_err e = mcgk_kms_issue(c->kms, uri, 600000, c->rng, &ks);
    mcgk_kms_keyset_clear(&ks);
    return e == MCGK_OK ? 0 : -1;
}

static double percentile(double *v, size_t n, double p)
{
    if (n == 0)
        return -1.0;
    bench_median(v, n); /* sorts */
    size_t k = (size_t)(p * (double)(n - 1) + 0.5);
    return v[k];
}

static void run_kms(const bench_opts *o)
{
    mcgk_log_set_level(MCGK_LOG_ERROR);
    char dir[] = "/tmp/mcgk-bench-kms-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        bench_fail("kms: mkdtemp");
        return;
    }
    char crt[128], key[128], db[128], cmd[1024];
    snprintf(crt, sizeof crt, "%s/tls.crt", dir);
    snprintf(key, sizeof key, "%s/tls.key", dir);
    snprintf(db, sizeof db, "%s/kms.db", dir);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s "
             "-out %s -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
             ">/dev/null 2>&1",
             key, crt);
    const mcgk_rng *rng = mcgk_rng_system();
    mcgk_kms_cert tmpl, cert;
    uint8_t z[MCGK_SAKKE_FP_LEN], ksak[MCGK_ECCSI_SCALAR_LEN];
    memset(&tmpl, 0, sizeof tmpl);
    snprintf(tmpl.kms_uri, sizeof tmpl.kms_uri, "kms.bench.org");
    tmpl.user_key_period_s = 2592000;
    mcgk_kms *kms = NULL;
    mcgk_kms_store *store = NULL;
    mcgk_kms_server *ks = NULL;
    mcgk_http_server *http = NULL;
    int n_clients = 8;
    double secs = o->quick ? 1.0 : 5.0;
    const char *env = getenv("MCGK_BENCH_KMS_CLIENTS");
    if (env != NULL && atoi(env) > 0)
        n_clients = atoi(env) > MAX_CLIENTS ? MAX_CLIENTS : atoi(env);
    env = getenv("MCGK_BENCH_KMS_SECONDS");
    if (env != NULL && atof(env) > 0)
        secs = atof(env);
    int ok = system(cmd) == 0 && mcgk_kms_generate(&tmpl, rng, &cert, z, ksak) == MCGK_OK &&
             mcgk_kms_new(&cert, z, ksak, NULL, &kms) == MCGK_OK &&
             mcgk_kms_store_open_sqlite(db, &store) == MCGK_OK;
    mcgk_wipe(z, sizeof z);
    mcgk_wipe(ksak, sizeof ksak);
    for (int i = 0; ok && i < n_clients; i++) {
        mcgk_kms_user u;
        memset(&u, 0, sizeof u);
        snprintf(u.uri, sizeof u.uri, "sip:bench%d@example.org", i);
        char tok[32];
        snprintf(tok, sizeof tok, "token-%d", i);
        ok = mcgk_kms_token_hash(tok, strlen(tok), u.token_hash) == MCGK_OK &&
             store->ops->user_add(store, &u) == MCGK_OK;
    }
    ok = ok && mcgk_kms_server_new(kms, store, NULL, NULL, &ks) == MCGK_OK;
    if (ok) {
        /* the core alone */
        issue_ctx ic = {kms, rng};
        double m = bench_time_op("kms_issue", op_issue, &ic, o, NULL);
        bench_report("kms_issue", m, -1.0);
        mcgk_http_server_config hc;
        memset(&hc, 0, sizeof hc);
        hc.host = "127.0.0.1";
        hc.tls_cert_path = crt;
        hc.tls_key_path = key;
        hc.max_body_len = MCGK_KMS_REQUEST_MAX_LEN;
        hc.handler = mcgk_kms_server_handle;
        hc.refuse = mcgk_kms_server_refuse;
        hc.ctx = ks;
        ok = mcgk_http_server_start(&hc, &http) == MCGK_OK;
    }
    if (!ok) {
        bench_fail("kms: set-up (openssl, store, server)");
    } else {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        client cl[MAX_CLIENTS];
        double t0 = bench_now_us();
        double stop = t0 + secs * 1e6;
        int failed = 0;
        for (int i = 0; i < n_clients; i++) {
            memset(&cl[i], 0, sizeof cl[i]);
            cl[i].idx = i;
            cl[i].port = mcgk_http_server_port(http);
            cl[i].ca = crt;
            cl[i].stop_us = stop;
            cl[i].cap = MAX_SAMPLES / (size_t)n_clients;
            cl[i].lat = malloc(cl[i].cap * sizeof(double));
            pthread_create(&cl[i].th, NULL, client_main, &cl[i]);
        }
        size_t total = 0;
        for (int i = 0; i < n_clients; i++) {
            pthread_join(cl[i].th, NULL);
            total += cl[i].n;
            failed |= cl[i].failed;
        }
        double elapsed = (bench_now_us() - t0) / 1e6;
        double *all = malloc((total ? total : 1) * sizeof(double));
        size_t k = 0;
        for (int i = 0; i < n_clients; i++) {
            memcpy(all + k, cl[i].lat, cl[i].n * sizeof(double));
            k += cl[i].n;
            free(cl[i].lat);
        }
        if (failed)
            bench_fail("kms: a keyprov request failed");
        double p50 = percentile(all, total, 0.50), p99 = percentile(all, total, 0.99);
        bench_report("kms_keyprov_https_p50", p50, -1.0);
        bench_report("kms_keyprov_https_p99", p99, -1.0);
        printf("kms_keysets_per_s=%.0f clients=%d seconds=%.1f requests=%zu\n",
               (double)total / elapsed, n_clients, elapsed, total);
        free(all);
        curl_global_cleanup();
    }
    mcgk_http_server_stop(http);
    mcgk_kms_server_free(ks);
    mcgk_kms_store_close(store);
    mcgk_kms_free(kms);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "kms bench: could not remove %s\n", dir);
}

BENCH_SUITE("kms", "-", run_kms)
