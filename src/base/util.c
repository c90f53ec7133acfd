/* RNG wrapper, wiping, constant-time compare, hex. See mcgk/base.h. */
#include <string.h>

#include "mcgk/base.h"

mcgk_err mcgk_rng_bytes(const mcgk_rng *rng, uint8_t *out, size_t len)
{
    if (rng == NULL || rng->fill == NULL)
        return MCGK_ERR_RNG;
    if (len == 0)
        return MCGK_OK;
    if (rng->fill(rng->ctx, out, len) != 0) {
        mcgk_wipe(out, len);
        return MCGK_ERR_RNG;
    }
    return MCGK_OK;
}

void mcgk_wipe(void *p, size_t len)
{
    if (p == NULL || len == 0)
        return;
    /* glibc's explicit_bzero is a memset the compiler may not elide; the
     * barrier keeps the stores even if it were inlined */
    explicit_bzero(p, len);
#if defined(__GNUC__) || defined(__clang__)
    __asm__ __volatile__("" : : "r"(p) : "memory");
#endif
}

int mcgk_ct_memeq(const void *a, const void *b, size_t len)
{
    const uint8_t *x = a, *y = b;
    uint32_t d = 0;
    for (size_t i = 0; i < len; i++)
        d |= (uint32_t)(x[i] ^ y[i]);
    /* 1 when d == 0, without a branch */
    return (int)(1u & ((d - 1u) >> 8));
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

mcgk_err mcgk_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t out_cap,
                         size_t *out_len)
{
    if (hex == NULL || out_len == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (hex_len % 2 != 0)
        return MCGK_ERR_HEX;
    size_t n = hex_len / 2;
    for (size_t i = 0; i < hex_len; i++)
        if (hex_val(hex[i]) < 0)
            return MCGK_ERR_HEX;
    *out_len = n;
    if (out == NULL || out_cap < n)
        return MCGK_ERR_BUFFER_TOO_SMALL;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)((hex_val(hex[2 * i]) << 4) | hex_val(hex[2 * i + 1]));
    return MCGK_OK;
}

mcgk_err mcgk_hex_encode(const uint8_t *in, size_t len, char *out, size_t out_cap)
{
    static const char digits[] = "0123456789abcdef";
    if ((in == NULL && len != 0) || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (out_cap < 2 * len + 1)
        return MCGK_ERR_BUFFER_TOO_SMALL;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
    return MCGK_OK;
}
