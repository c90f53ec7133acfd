/*
 * libFuzzer target for MCData group payloads (src/media/mcdata.c) and the shared
 * protected-payload envelope under them (src/mikey/protected_payload.c).
 * Seed corpus: fuzz/corpus/mcdata/ (envelopes sealed by mcgk under the test GMK:
 * empty, an SDS text, 200 octets, the largest seed; and Streamwide's GMK
 * key-parameter envelope, whose DPPK-ID is a GUK-ID).
 *
 * Every input is
 *   1. parsed as an envelope: when it parses, encode must give back the input
 *      octet for octet and parse again to the same fields;
 *   2. opened with the known GMK and GMK-ID (mcgk_mcdata_open) and through a key
 *      store (mcgk_mcdata_unprotect) that knows the GMK under its GMK-ID and under
 *      Streamwide's GUK-ID: an accepted payload, sealed again under the same IV
 *      and header, must give back the input; a rejection must be a documented
 *      code and leave the output untouched (except the wiped payload-auth case).
 * abort() = finding. The keys are public test vectors.
 */
#include <stdlib.h>
#include <string.h>

#include "mcgk/mcdata.h"
#include "mcgk/protected_payload.h"

static const uint8_t k_gmk[16] = {0x07, 0xd1, 0xa1, 0x67, 0x7a, 0xc3, 0x6d, 0x8e,
                                  0x81, 0x62, 0x04, 0x84, 0x68, 0x9b, 0x3c, 0x2d};
#define GMK_ID 0x0df9bc39u
#define SW_GUK_ID 0x06a12aeau /* Streamwide message 1's CSB ID: its key parameters' DPPK-ID */

static mcgk_err lookup(void *ctx, uint32_t id, mcgk_media_key *out)
{
    (void)ctx;
    if (id != GMK_ID && id != SW_GUK_ID)
        return MCGK_ERR_UNKNOWN_KEY_ID;
    memcpy(out->key, k_gmk, sizeof k_gmk);
    out->rand_len = 1;
    out->rand[0] = 0;
    out->uses = MCGK_MEDIA_USE_DATA;
    return MCGK_OK;
}

static int documented(mcgk_err e)
{
    return e == MCGK_ERR_TRUNCATED || e == MCGK_ERR_TRAILING_DATA ||
           e == MCGK_ERR_UNSUPPORTED || e == MCGK_ERR_KEY_PURPOSE ||
           e == MCGK_ERR_UNKNOWN_KEY_ID || e == MCGK_ERR_MALFORMED ||
           e == MCGK_ERR_PAYLOAD_AUTH;
}

static int rng_iv(void *ctx, uint8_t *out, size_t len)
{
    memcpy(out, ctx, len); /* the IV of the input, to seal it again identically */
    return 0;
}

static void check_parse(const uint8_t *data, size_t size)
{
    static uint8_t again[MCGK_PP_HEADER_LEN + MCGK_PP_PAYLOAD_MAX_LEN];
    mcgk_pp pp, back;
    mcgk_err e = mcgk_pp_parse(data, size, &pp);
    if (e != MCGK_OK) {
        if (e != MCGK_ERR_TRUNCATED && e != MCGK_ERR_TRAILING_DATA)
            abort();
        return;
    }
    size_t n = 0;
    if (mcgk_pp_encode(&pp, again, sizeof again, &n) != MCGK_OK || n != size ||
        memcmp(again, data, size) != 0 || mcgk_pp_parse(again, n, &back) != MCGK_OK ||
        back.dppk_id != pp.dppk_id || back.payload_len != pp.payload_len ||
        back.date_time != pp.date_time)
        abort();
}

static void check_open(const uint8_t *data, size_t size, int via_store)
{
    static uint8_t out[MCGK_MCDATA_PAYLOAD_MAX_LEN], guard[MCGK_MCDATA_PAYLOAD_MAX_LEN];
    static uint8_t again[MCGK_MCDATA_PAYLOAD_MAX_LEN + MCGK_MCDATA_OVERHEAD];
    memset(guard, 0x5c, sizeof guard);
    memcpy(out, guard, sizeof out);
    mcgk_mcdata_info info;
    size_t n = 0;
    uint32_t id = 0;
    mcgk_err e = via_store
                     ? mcgk_mcdata_unprotect(lookup, NULL, data, size, out, sizeof out, &n, &info,
                                             &id)
                     : mcgk_mcdata_open(k_gmk, GMK_ID, data, size, out, sizeof out, &n, &info);
    if (e != MCGK_OK) {
        if (!documented(e) || (e != MCGK_ERR_PAYLOAD_AUTH && memcmp(out, guard, sizeof out) != 0))
            abort();
        return;
    }
    if (size < MCGK_MCDATA_OVERHEAD || n != size - MCGK_MCDATA_OVERHEAD)
        abort();
    uint32_t dppk_id = (uint32_t)data[28] << 24 | (uint32_t)data[29] << 16 |
                       (uint32_t)data[30] << 8 | data[31];
    if (via_store && id != dppk_id)
        abort();
    /* the same GMK-ID, header and IV seal the payload back to the input */
    mcgk_rng rng = {rng_iv, (void *)(data + 12)};
    size_t al = 0;
    if (mcgk_mcdata_protect(k_gmk, dppk_id, &info, &rng, out, n, again, sizeof again, &al) !=
            MCGK_OK ||
        al != size || memcmp(again, data, size) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_parse(data, size);
    check_open(data, size, 0);
    check_open(data, size, 1);
    return 0;
}
