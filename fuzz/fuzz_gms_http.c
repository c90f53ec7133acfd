/*
 * libFuzzer target for the GMS's HTTPS request handling (mcgk_gms_http_parse,
 * src/gms/gms.c): route, percent-decoding of the group ID, method, bearer
 * token, and the result document of a POST. The input is four parts
 * separated by newlines: method, raw path, Authorization value (empty line:
 * none), body (the rest). Seed corpus: fuzz/corpus/gms_http/.
 *
 * Properties checked on every input (abort = finding):
 *  1. the result is MCGK_OK or one of the codes the header lists;
 *  2. on MCGK_OK the route is known, the group ID passes mcgk_gms_check_group_id,
 *     the token is 64 hex characters, a result's status is 100..699;
 *  3. on error the output is untouched;
 *  4. mcgk_gms_http_status maps every outcome to a status the contract knows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/gms.h"

static int listed(mcgk_err e)
{
    switch (e) {
    case MCGK_OK:
    case MCGK_ERR_NOT_FOUND:
    case MCGK_ERR_METHOD:
    case MCGK_ERR_AUTH_MISSING:
    case MCGK_ERR_AUTH_FAILED:
    case MCGK_ERR_MALFORMED:
    case MCGK_ERR_OVERSIZED:
    case MCGK_ERR_NO_MEMORY:
        return 1;
    default:
        return 0;
    }
}

/* copy the next newline-terminated part into a NUL-terminated buffer */
static char *part(const uint8_t **p, size_t *n)
{
    size_t l = 0;
    while (l < *n && (*p)[l] != '\n')
        l++;
    char *s = malloc(l + 1);
    if (s == NULL)
        abort();
    memcpy(s, *p, l);
    s[l] = '\0';
    size_t adv = l < *n ? l + 1 : l;
    *p += adv;
    *n -= adv;
    return s;
}

static mcgk_gms_http_req g_r, g_guard;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data;
    size_t n = size;
    char *method = part(&p, &n), *path = part(&p, &n), *auth = part(&p, &n);
    memset(&g_r, 0x5C, sizeof g_r);
    g_guard = g_r;
    mcgk_err e = mcgk_gms_http_parse(method, path, auth[0] ? auth : NULL, n ? p : NULL, n, &g_r);
    if (!listed(e))
        abort();
    if (e == MCGK_OK) {
        if ((g_r.route != MCGK_GMS_ROUTE_GET_GROUP && g_r.route != MCGK_GMS_ROUTE_RESULT) ||
            mcgk_gms_check_group_id(g_r.group_id) != MCGK_OK ||
            strlen(g_r.token) != MCGK_KMS_TOKEN_LEN)
            abort();
        if (g_r.route == MCGK_GMS_ROUTE_RESULT &&
            (g_r.result.status < 100 || g_r.result.status > 699))
            abort();
    } else if (memcmp(&g_r, &g_guard, sizeof g_r) != 0) {
        abort();
    }
    int st = mcgk_gms_http_status(e);
    if (st != 200 && st != 400 && st != 401 && st != 403 && st != 404 && st != 405 && st != 413 &&
        st != 500)
        abort();
    mcgk_gms_http_req_clear(&g_r);
    free(method);
    free(path);
    free(auth);
    return 0;
}
