/*
 * libFuzzer target for the MIKEY codec (src/mikey/codec.c, sdp.c) and
 * base64 (src/base/base64.c). Seed corpus: fuzz/corpus/mikey_codec/ (the
 * vector messages as binary files).
 *
 * Properties checked on every input (abort = finding):
 *  1. mcgk_mikey_parse either fails with a parse error code or succeeds,
 *     and then encode(parse(x)) == x octet for octet, and parsing the
 *     encoding gives the same signed length;
 *  2. the same for a Key data chain (mcgk_mikey_key_data_parse / _encode);
 *  3. mcgk_mikey_unwrap (binary / base64 / SDP) never fails oddly, and what
 *     it returns is parsed as in 1;
 *  4. strict base64: decode then encode gives back the (trimmed) input.
 * ASan/UBSan (scripts/fuzz builds with them) catch every out-of-bounds read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/base64.h"
#include "mcgk/mikey.h"

static int parse_error(mcgk_err e)
{
    return e == MCGK_ERR_TRUNCATED || e == MCGK_ERR_TRAILING_DATA || e == MCGK_ERR_OVERSIZED ||
           e == MCGK_ERR_UNSUPPORTED || e == MCGK_ERR_MALFORMED || e == MCGK_ERR_MIKEY_VERSION ||
           e == MCGK_ERR_MIKEY_PAYLOAD_TYPE || e == MCGK_ERR_MIKEY_CS_MAP;
}

static void check_message(const uint8_t *data, size_t size)
{
    static mcgk_mikey_msg m, m2; /* static: large, and the target is single-threaded */
    size_t off = 0;
    mcgk_err e = mcgk_mikey_parse(data, size, &m, &off);
    if (e != MCGK_OK) {
        if (!parse_error(e) || off > size)
            abort();
        return;
    }
    size_t n = 0, sl = 0;
    if (mcgk_mikey_encode(&m, NULL, 0, &n, &sl) != MCGK_OK || n != size || sl != m.signed_len)
        abort();
    uint8_t *out = malloc(n ? n : 1);
    if (out == NULL)
        return;
    if (mcgk_mikey_encode(&m, out, n, &n, &sl) != MCGK_OK || n != size ||
        memcmp(out, data, size) != 0)
        abort();
    if (mcgk_mikey_parse(out, n, &m2, NULL) != MCGK_OK || m2.n_payloads != m.n_payloads ||
        m2.signed_len != m.signed_len || m2.hdr_len != m.hdr_len)
        abort();
    free(out);
}

static void check_key_data(const uint8_t *data, size_t size)
{
    mcgk_mikey_key_data kd[MCGK_MIKEY_MAX_KEY_DATA];
    size_t n = 0, len = 0;
    mcgk_err e = mcgk_mikey_key_data_parse(data, size, kd, MCGK_MIKEY_MAX_KEY_DATA, &n);
    if (e != MCGK_OK) {
        if (!parse_error(e) && e != MCGK_ERR_MIKEY_PAYLOAD_TYPE)
            abort();
        return;
    }
    uint8_t *out = malloc(size);
    if (out == NULL)
        return;
    if (mcgk_mikey_key_data_encode(kd, n, out, size, &len) != MCGK_OK || len != size ||
        memcmp(out, data, size) != 0)
        abort();
    free(out);
}

static void check_text(const uint8_t *data, size_t size)
{
    size_t n = 0;
    mcgk_err e = mcgk_mikey_unwrap(data, size, NULL, 0, &n);
    if (e == MCGK_OK) {
        uint8_t *msg = malloc(n ? n : 1);
        if (msg == NULL)
            return;
        size_t n2 = 0;
        if (mcgk_mikey_unwrap(data, size, msg, n, &n2) != MCGK_OK || n2 != n)
            abort();
        check_message(msg, n);
        free(msg);
    } else if (e != MCGK_ERR_BASE64 && e != MCGK_ERR_UNSUPPORTED && e != MCGK_ERR_MALFORMED) {
        abort();
    }

    /* strict base64 is canonical: decode(x) ok  =>  encode(decode(x)) == x */
    e = mcgk_base64_decode((const char *)data, size, 0, NULL, 0, &n);
    if (e == MCGK_OK) {
        uint8_t *bin = malloc(n ? n : 1);
        char *txt = malloc(size + 1);
        size_t m = 0;
        if (bin == NULL || txt == NULL) {
            free(bin);
            free(txt);
            return;
        }
        if (mcgk_base64_decode((const char *)data, size, 0, bin, n, &n) != MCGK_OK ||
            mcgk_base64_encode(bin, n, txt, size + 1, &m) != MCGK_OK || m != size ||
            memcmp(txt, data, size) != 0)
            abort();
        free(bin);
        free(txt);
    } else if (e != MCGK_ERR_BASE64) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_message(data, size);
    check_key_data(data, size);
    check_text(data, size);
    return 0;
}
