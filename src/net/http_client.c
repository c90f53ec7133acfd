/*
 * HTTPS client on libcurl. See net/http_client.h.
 * Secrets: the bearer token (its header buffer is wiped after the
 * transfer) and response bodies (wiped on growth and on free).
 */
#include "net/http_client.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/base.h"

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_init_ok;

static void init_once(void) { g_init_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }

typedef struct sink {
    uint8_t *buf;
    size_t len, cap, max;
    int too_big;
    int no_memory;
} sink;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    sink *s = ud;
    size_t n = size * nmemb;
    if (n > s->max - s->len) {
        s->too_big = 1;
        return 0; /* aborts the transfer */
    }
    if (s->len + n + 1 > s->cap) {
        size_t ncap = s->cap ? s->cap : 4096;
        while (ncap < s->len + n + 1)
            ncap *= 2;
        if (ncap > s->max + 1)
            ncap = s->max + 1;
        /* grow by copy so the old block can be wiped (it may hold keys) */
        uint8_t *nb = malloc(ncap);
        if (nb == NULL) {
            s->no_memory = 1;
            return 0;
        }
        if (s->len > 0)
            memcpy(nb, s->buf, s->len);
        if (s->buf != NULL) {
            mcgk_wipe(s->buf, s->len);
            free(s->buf);
        }
        s->buf = nb;
        s->cap = ncap;
    }
    memcpy(s->buf + s->len, ptr, n);
    s->len += n;
    s->buf[s->len] = 0;
    return n;
}

void mcgk_http_body_free(uint8_t *body, size_t len)
{
    if (body == NULL)
        return;
    mcgk_wipe(body, len);
    free(body);
}

/* One exchange: a GET (get != 0, no body) or a POST of body. */
static mcgk_err perform(const mcgk_http_client_opts *opts, const char *url, int get,
                        const char *content_type, const uint8_t *body, size_t body_len,
                        int *status, uint8_t **resp, size_t *resp_len)
{
    if (url == NULL || (body == NULL && body_len != 0) || status == NULL || resp == NULL ||
        resp_len == NULL)
        return MCGK_ERR_INVALID_ARG;
    pthread_once(&g_once, init_once);
    if (!g_init_ok)
        return MCGK_ERR_IO;
    CURL *h = curl_easy_init();
    if (h == NULL)
        return MCGK_ERR_NO_MEMORY;
    sink s;
    memset(&s, 0, sizeof s);
    s.max = opts && opts->max_response_len ? opts->max_response_len : (1u << 20);
    struct curl_slist *hdrs = NULL;
    char ctype[128];
    char *auth = NULL;
    size_t auth_len = 0;
    mcgk_err e = MCGK_OK;
    snprintf(ctype, sizeof ctype, "%s: %s", get ? "Accept" : "Content-Type",
             content_type ? content_type : "application/xml");
    hdrs = curl_slist_append(hdrs, ctype);
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (hdrs != NULL && opts != NULL && opts->bearer != NULL) {
        auth_len = strlen("Authorization: Bearer ") + strlen(opts->bearer) + 1;
        auth = malloc(auth_len);
        if (auth == NULL) {
            e = MCGK_ERR_NO_MEMORY;
        } else {
            snprintf(auth, auth_len, "Authorization: Bearer %s", opts->bearer);
            struct curl_slist *h2 = curl_slist_append(hdrs, auth);
            hdrs = h2;
        }
    }
    if (hdrs == NULL)
        e = MCGK_ERR_NO_MEMORY;
    long timeout = opts && opts->timeout_ms > 0 ? opts->timeout_ms : 30000;
    if (e == MCGK_OK) {
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
        if (get) {
            curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        } else {
            curl_easy_setopt(h, CURLOPT_POST, 1L);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        }
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout < 10000 ? timeout : 10000L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        if (opts != NULL && opts->ca_file != NULL)
            curl_easy_setopt(h, CURLOPT_CAINFO, opts->ca_file);
        CURLcode rc = curl_easy_perform(h);
        if (rc == CURLE_OK) {
            long code = 0;
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
            *status = (int)code;
        } else if (s.too_big) {
            e = MCGK_ERR_OVERSIZED;
        } else if (s.no_memory || rc == CURLE_OUT_OF_MEMORY) {
            e = MCGK_ERR_NO_MEMORY;
        } else if (rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
                   rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM ||
                   rc == CURLE_SSL_CIPHER || rc == CURLE_SSL_ISSUER_ERROR ||
                   rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH || rc == CURLE_USE_SSL_FAILED) {
            e = MCGK_ERR_TLS;
        } else {
            e = MCGK_ERR_IO;
        }
    }
    /* curl copied the token into the list: wipe the copies before freeing */
    for (struct curl_slist *l = hdrs; l != NULL; l = l->next)
        if (l->data != NULL)
            mcgk_wipe(l->data, strlen(l->data));
    curl_slist_free_all(hdrs);
    if (auth != NULL) {
        mcgk_wipe(auth, auth_len);
        free(auth);
    }
    curl_easy_cleanup(h);
    if (e != MCGK_OK) {
        mcgk_http_body_free(s.buf, s.len);
        return e;
    }
    if (s.buf == NULL) {
        s.buf = malloc(1);
        if (s.buf == NULL)
            return MCGK_ERR_NO_MEMORY;
        s.buf[0] = 0;
    }
    *resp = s.buf;
    *resp_len = s.len;
    return MCGK_OK;
}

mcgk_err mcgk_http_post(const mcgk_http_client_opts *opts, const char *url,
                        const char *content_type, const uint8_t *body, size_t body_len,
                        int *status, uint8_t **resp, size_t *resp_len)
{
    return perform(opts, url, 0, content_type, body, body_len, status, resp, resp_len);
}

mcgk_err mcgk_http_get(const mcgk_http_client_opts *opts, const char *url, const char *accept,
                       int *status, uint8_t **resp, size_t *resp_len)
{
    return perform(opts, url, 1, accept, NULL, 0, status, resp, resp_len);
}
