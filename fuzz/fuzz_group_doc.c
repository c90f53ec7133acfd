/*
 * libFuzzer target for the group configuration document and the result
 * document (src/gms/group_doc.c, docs/gms-protocol.md): the bodies a client
 * receives in a SIP NOTIFY / HTTPS GET and the GMS receives in a POST.
 * Seed corpus: fuzz/corpus/group_doc/.
 *
 * Properties checked on every input (abort = finding):
 *  1. each parser succeeds or fails with one of the codes its header lists;
 *  2. on success, parse -> encode -> parse gives the same struct (encode may
 *     refuse only text it does not write, i.e. MCGK_ERR_INVALID_ARG);
 *  3. a failed parse leaves the output untouched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/group_doc.h"

static int doc_err_ok(mcgk_err e)
{
    return e == MCGK_ERR_OVERSIZED || e == MCGK_ERR_MALFORMED || e == MCGK_ERR_BASE64 ||
           e == MCGK_ERR_NO_MEMORY;
}

static int same(const mcgk_groupdoc *a, const mcgk_groupdoc *b)
{
    if (a->seq != b->seq || a->n_groups != b->n_groups || a->n_gmks != b->n_gmks)
        return 0;
    for (size_t i = 0; i < a->n_groups; i++)
        if (strcmp(a->groups[i].id, b->groups[i].id) != 0 ||
            strcmp(a->groups[i].gms, b->groups[i].gms) != 0 ||
            strcmp(a->groups[i].name, b->groups[i].name) != 0 ||
            a->groups[i].removed != b->groups[i].removed)
            return 0;
    for (size_t i = 0; i < a->n_gmks; i++)
        if (a->gmks[i].use != b->gmks[i].use || a->gmks[i].msg_len != b->gmks[i].msg_len ||
            memcmp(a->gmks[i].msg, b->gmks[i].msg, a->gmks[i].msg_len) != 0)
            return 0;
    return 1;
}

static mcgk_groupdoc g_a, g_b, g_untouched;
static char g_buf[4 * MCGK_GROUPDOC_MAX_LEN];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    memset(&g_a, 0x3C, sizeof g_a);
    memcpy(&g_untouched, &g_a, sizeof g_a);
    mcgk_err e = mcgk_groupdoc_parse(data, size, &g_a);
    if (e == MCGK_OK) {
        size_t n = 0;
        mcgk_err w = mcgk_groupdoc_encode(&g_a, g_buf, sizeof g_buf, &n);
        if (w == MCGK_OK) {
            if (mcgk_groupdoc_parse((const uint8_t *)g_buf, n, &g_b) != MCGK_OK ||
                !same(&g_a, &g_b))
                abort();
        } else if (w != MCGK_ERR_INVALID_ARG) {
            abort();
        }
    } else if (!doc_err_ok(e) || memcmp(&g_a, &g_untouched, sizeof g_a) != 0) {
        abort();
    }

    mcgk_groupdoc_result r, q, ru;
    memset(&r, 0x3C, sizeof r);
    ru = r;
    e = mcgk_groupdoc_result_parse(data, size, &r);
    if (e == MCGK_OK) {
        size_t n = 0;
        mcgk_err w = mcgk_groupdoc_result_encode(&r, g_buf, sizeof g_buf, &n);
        if (w == MCGK_OK) {
            if (mcgk_groupdoc_result_parse((const uint8_t *)g_buf, n, &q) != MCGK_OK ||
                q.status != r.status || strcmp(q.reason, r.reason) != 0)
                abort();
        } else if (w != MCGK_ERR_INVALID_ARG) {
            abort();
        }
    } else if ((e != MCGK_ERR_OVERSIZED && e != MCGK_ERR_MALFORMED && e != MCGK_ERR_NO_MEMORY) ||
               memcmp(&r, &ru, sizeof r) != 0) {
        abort();
    }
    return 0;
}
