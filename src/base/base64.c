/*
 * Base64, RFC 4648 §4 (standard alphabet, '=' padding), strict decoding
 * (RFC 4648 §3.3 no characters outside the alphabet, §3.5 canonical pad
 * bits). Contract: see mcgk/base64.h. Used for MIKEY messages carried in
 * SDP (RFC 4567) and KMS XML documents; base64 of a secret (e.g. an
 * encrypted key in XML) passes through here, so the decoder maps
 * characters with arithmetic instead of a table lookup indexed by them.
 */
#include "mcgk/base64.h"

static const char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t mcgk_base64_encoded_len(size_t len)
{
    return (len / 3 + (len % 3 != 0)) * 4;
}

mcgk_err mcgk_base64_encode(const uint8_t *in, size_t len, char *out, size_t out_cap,
                            size_t *out_len)
{
    if ((in == NULL && len != 0) || out_len == NULL || len > (SIZE_MAX / 4) * 3 - 3)
        return MCGK_ERR_INVALID_ARG;
    size_t need = mcgk_base64_encoded_len(len);
    *out_len = need;
    if (out == NULL)
        return MCGK_OK;
    if (out_cap < need + 1)
        return MCGK_ERR_BUFFER_TOO_SMALL;
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = k_alphabet[(v >> 18) & 63];
        out[o++] = k_alphabet[(v >> 12) & 63];
        out[o++] = k_alphabet[(v >> 6) & 63];
        out[o++] = k_alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = k_alphabet[(v >> 18) & 63];
        out[o++] = k_alphabet[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (len - i == 2) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
        out[o++] = k_alphabet[(v >> 18) & 63];
        out[o++] = k_alphabet[(v >> 12) & 63];
        out[o++] = k_alphabet[(v >> 6) & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
    return MCGK_OK;
}

/* Value 0..63 of an alphabet character, or -1; branch-free in c. */
static int b64_val(unsigned char c)
{
    int x = c;
    /* each term is (value + 1) masked by "x in range", so exactly one or none is non-zero */
    int upper = ((('A' - 1 - x) & (x - 'Z' - 1)) >> 8) & (x - 'A' + 1);
    int lower = ((('a' - 1 - x) & (x - 'z' - 1)) >> 8) & (x - 'a' + 27);
    int digit = ((('0' - 1 - x) & (x - '9' - 1)) >> 8) & (x - '0' + 53);
    int plus = ((('+' - 1 - x) & (x - '+' - 1)) >> 8) & 63;
    int slash = ((('/' - 1 - x) & (x - '/' - 1)) >> 8) & 64;
    return (upper | lower | digit | plus | slash) - 1;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

mcgk_err mcgk_base64_decode(const char *text, size_t text_len, unsigned flags, uint8_t *out,
                            size_t out_cap, size_t *out_len)
{
    if ((text == NULL && text_len != 0) || out_len == NULL || (flags & ~MCGK_BASE64_TRIM) != 0)
        return MCGK_ERR_INVALID_ARG;
    size_t start = 0, end = text_len;
    if (flags & MCGK_BASE64_TRIM) {
        while (start < end && is_space(text[start]))
            start++;
        while (end > start && is_space(text[end - 1]))
            end--;
    }
    size_t n = end - start;
    if (n % 4 != 0)
        return MCGK_ERR_BASE64;
    size_t pad = 0;
    if (n > 0 && text[end - 1] == '=')
        pad = (n > 1 && text[end - 2] == '=') ? 2 : 1;
    /* validate everything before writing anything */
    for (size_t i = start; i < end - pad; i++)
        if (b64_val((unsigned char)text[i]) < 0)
            return MCGK_ERR_BASE64;
    if (pad > 0) {
        /* the unused low bits of the last character before '=' must be zero (RFC 4648 §3.5) */
        int last = b64_val((unsigned char)text[end - pad - 1]);
        if ((pad == 1 && (last & 3) != 0) || (pad == 2 && (last & 15) != 0))
            return MCGK_ERR_BASE64;
    }
    size_t need = n / 4 * 3 - pad;
    *out_len = need;
    if (out == NULL)
        return MCGK_OK;
    if (out_cap < need)
        return MCGK_ERR_BUFFER_TOO_SMALL;
    size_t o = 0;
    for (size_t i = start; i < end; i += 4) {
        uint32_t v = 0;
        for (size_t k = 0; k < 4; k++) {
            char c = text[i + k];
            v = (v << 6) | (c == '=' ? 0u : (uint32_t)b64_val((unsigned char)c));
        }
        out[o++] = (uint8_t)(v >> 16);
        if (o < need)
            out[o++] = (uint8_t)(v >> 8);
        if (o < need)
            out[o++] = (uint8_t)v;
    }
    return MCGK_OK;
}
