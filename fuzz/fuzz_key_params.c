/*
 * libFuzzer target for the 3GPP key parameters and their protected-payload
 * envelope (src/mikey/key_params.c). Seed corpus: fuzz/corpus/key_params/
 * (the synthetic and Streamwide contents and envelopes, each behind a
 * selector octet).
 *
 * The first octet selects what the rest is:
 *   0      key-parameters content: decode; when it decodes, encode must
 *          succeed and decode back to the same fields, and give the same
 *          octets whenever the group element was present or not expected;
 *   1 .. 4 an envelope opened under a known key and DPPK-ID (1: the
 *          synthetic vector's GMK / GUK-ID, 2..4: the Streamwide GMK, CSK, PCK
 *          messages'); when it opens, sealing the content again under the
 *          same IV gives back an envelope that opens to the same content.
 * Failures must be documented codes and leave the outputs untouched
 * (abort = finding). The keys are public test vectors.
 */
#include <stdlib.h>
#include <string.h>

#include "mcgk/key_params.h"

typedef struct known_key {
    const char *key;
    uint32_t id;
} known_key;

static const known_key k_keys[] = {
    {"00112233445566778899aabbccddeeff", 0x0c195d7du}, /* synthetic */
    {"07d1a1677ac36d8e81620484689b3c2d", 0x06a12aeau}, /* Streamwide 1 (GMK) */
    {"e06e65106183547342d3e8a6ce2540a8", 0x2ddd5bf0u}, /* Streamwide 2 (CSK) */
    {"b4c96b703acd5c1bf7d4cc45068d9965", 0x16992638u}, /* Streamwide 3 (PCK) */
};

static int same_fields(const mcgk_key_params *a, const mcgk_key_params *b)
{
    if (a->key_type != b->key_type || a->status != b->status ||
        a->activation_ntp_s != b->activation_ntp_s || a->expiry_ntp_s != b->expiry_ntp_s ||
        a->text_len != b->text_len || memcmp(a->text, b->text, a->text_len) != 0 ||
        a->n_groups != b->n_groups)
        return 0;
    for (size_t i = 0; i < a->n_groups; i++)
        if (a->groups[i].iei != b->groups[i].iei || a->groups[i].len != b->groups[i].len ||
            memcmp(a->groups[i].id, b->groups[i].id, a->groups[i].len) != 0)
            return 0;
    return 1;
}

static void check_content(const uint8_t *data, size_t size)
{
    static mcgk_key_params kp, back, guard;
    static uint8_t out[MCGK_KP_CONTENT_MAX_LEN];
    memset(&guard, 0x77, sizeof guard);
    kp = guard;
    mcgk_err e = mcgk_key_params_decode(data, size, &kp);
    if (e != MCGK_OK) {
        if ((e != MCGK_ERR_TRUNCATED && e != MCGK_ERR_TRAILING_DATA && e != MCGK_ERR_OVERSIZED &&
             e != MCGK_ERR_MALFORMED) ||
            memcmp(&kp, &guard, sizeof kp) != 0)
            abort();
        return;
    }
    size_t n = 0;
    if (mcgk_key_params_encode(&kp, out, sizeof out, &n) != MCGK_OK ||
        mcgk_key_params_decode(out, n, &back) != MCGK_OK || !same_fields(&kp, &back))
        abort();
    int exact = kp.has_groups || !mcgk_key_params_type_has_groups(kp.key_type);
    if (exact && (n != size || memcmp(out, data, size) != 0))
        abort();
}

static void check_envelope(const known_key *k, const uint8_t *data, size_t size)
{
    uint8_t key[MCGK_KEY_LEN];
    size_t kl = 0;
    if (mcgk_hex_decode(k->key, strlen(k->key), key, sizeof key, &kl) != MCGK_OK)
        abort();
    static uint8_t content[MCGK_KP_CONTENT_MAX_LEN], guard[MCGK_KP_CONTENT_MAX_LEN];
    static uint8_t again[MCGK_KP_ENVELOPE_MAX_LEN], content2[MCGK_KP_CONTENT_MAX_LEN];
    memset(guard, 0x33, sizeof guard);
    memcpy(content, guard, sizeof content);
    size_t cl = 0;
    mcgk_err e = mcgk_key_params_envelope_open(key, k->id, data, size, content, sizeof content,
                                               &cl);
    if (e != MCGK_OK) {
        if ((e != MCGK_ERR_TRUNCATED && e != MCGK_ERR_TRAILING_DATA &&
             e != MCGK_ERR_UNSUPPORTED && e != MCGK_ERR_MALFORMED && e != MCGK_ERR_OVERSIZED &&
             e != MCGK_ERR_KEY_PARAMS) ||
            memcmp(content, guard, sizeof content) != 0)
            abort();
        return;
    }
    /* the IV is octets 12..27 of what opened (§8.5.4) */
    size_t n = 0, cl2 = 0;
    if (size < 28 ||
        mcgk_key_params_envelope_seal(key, k->id, data + 12, content, cl, again, sizeof again,
                                      &n) != MCGK_OK ||
        mcgk_key_params_envelope_open(key, k->id, again, n, content2, sizeof content2, &cl2) !=
            MCGK_OK ||
        cl2 != cl || memcmp(content, content2, cl) != 0)
        abort();
    mcgk_key_params kp;
    (void)mcgk_key_params_decode(content, cl, &kp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned sel = data[0] % 5;
    if (sel == 0)
        check_content(data + 1, size - 1);
    else
        check_envelope(&k_keys[sel - 1], data + 1, size - 1);
    return 0;
}
