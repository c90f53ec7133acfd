/*
 * The bounded reader and writer: the only code in mcgk that indexes wire
 * bytes by hand. Contract: see mcgk/reader.h. No secrets of its own; time
 * depends only on lengths (and, in mcgk_reader_until, on where the
 * delimiter occurs, which is public framing).
 */
#include "mcgk/reader.h"

#include <string.h>

/* ---- reader ---------------------------------------------------------------- */

void mcgk_reader_init(mcgk_reader *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->len = p == NULL ? 0 : len;
    r->pos = 0;
    r->origin = 0;
}

size_t mcgk_reader_remaining(const mcgk_reader *r)
{
    return r->len - r->pos;
}

size_t mcgk_reader_offset(const mcgk_reader *r)
{
    return r->origin + r->pos;
}

mcgk_err mcgk_reader_uint(mcgk_reader *r, size_t n, uint64_t *v)
{
    if (n == 0 || n > 8)
        return MCGK_ERR_INVALID_ARG;
    if (mcgk_reader_remaining(r) < n)
        return MCGK_ERR_TRUNCATED;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++)
        x = (x << 8) | r->p[r->pos + i];
    r->pos += n;
    *v = x;
    return MCGK_OK;
}

mcgk_err mcgk_reader_u8(mcgk_reader *r, uint8_t *v)
{
    if (mcgk_reader_remaining(r) < 1)
        return MCGK_ERR_TRUNCATED;
    *v = r->p[r->pos++];
    return MCGK_OK;
}

mcgk_err mcgk_reader_u16(mcgk_reader *r, uint16_t *v)
{
    uint64_t x;
    mcgk_err e = mcgk_reader_uint(r, 2, &x);
    if (e == MCGK_OK)
        *v = (uint16_t)x;
    return e;
}

mcgk_err mcgk_reader_u32(mcgk_reader *r, uint32_t *v)
{
    uint64_t x;
    mcgk_err e = mcgk_reader_uint(r, 4, &x);
    if (e == MCGK_OK)
        *v = (uint32_t)x;
    return e;
}

mcgk_err mcgk_reader_u64(mcgk_reader *r, uint64_t *v)
{
    return mcgk_reader_uint(r, 8, v);
}

mcgk_err mcgk_reader_peek_u8(const mcgk_reader *r, uint8_t *v)
{
    if (mcgk_reader_remaining(r) < 1)
        return MCGK_ERR_TRUNCATED;
    *v = r->p[r->pos];
    return MCGK_OK;
}

mcgk_err mcgk_reader_bytes(mcgk_reader *r, size_t n, const uint8_t **out)
{
    if (mcgk_reader_remaining(r) < n)
        return MCGK_ERR_TRUNCATED;
    *out = r->p == NULL ? NULL : r->p + r->pos;
    r->pos += n;
    return MCGK_OK;
}

mcgk_err mcgk_reader_copy(mcgk_reader *r, uint8_t *out, size_t n)
{
    if (mcgk_reader_remaining(r) < n)
        return MCGK_ERR_TRUNCATED;
    if (n > 0)
        memcpy(out, r->p + r->pos, n);
    r->pos += n;
    return MCGK_OK;
}

mcgk_err mcgk_reader_skip(mcgk_reader *r, size_t n)
{
    if (mcgk_reader_remaining(r) < n)
        return MCGK_ERR_TRUNCATED;
    r->pos += n;
    return MCGK_OK;
}

void mcgk_reader_rest(mcgk_reader *r, const uint8_t **out, size_t *out_len)
{
    *out_len = mcgk_reader_remaining(r);
    *out = r->p == NULL ? NULL : r->p + r->pos;
    r->pos = r->len;
}

mcgk_err mcgk_reader_sub(mcgk_reader *r, size_t n, mcgk_reader *sub)
{
    if (mcgk_reader_remaining(r) < n)
        return MCGK_ERR_TRUNCATED;
    sub->p = r->p == NULL ? NULL : r->p + r->pos;
    sub->len = n;
    sub->pos = 0;
    sub->origin = r->origin + r->pos;
    r->pos += n;
    return MCGK_OK;
}

mcgk_err mcgk_reader_until(mcgk_reader *r, const uint8_t *delim, size_t delim_len,
                           const uint8_t **out, size_t *out_len)
{
    if (delim == NULL || delim_len == 0)
        return MCGK_ERR_INVALID_ARG;
    size_t rem = mcgk_reader_remaining(r);
    if (rem < delim_len)
        return MCGK_ERR_TRUNCATED;
    const uint8_t *base = r->p + r->pos;
    for (size_t i = 0; i + delim_len <= rem; i++) {
        if (base[i] == delim[0] && memcmp(base + i, delim, delim_len) == 0) {
            *out = base;
            *out_len = i;
            r->pos += i + delim_len;
            return MCGK_OK;
        }
    }
    return MCGK_ERR_TRUNCATED;
}

mcgk_err mcgk_reader_expect_end(const mcgk_reader *r)
{
    return mcgk_reader_remaining(r) == 0 ? MCGK_OK : MCGK_ERR_TRAILING_DATA;
}

/* ---- writer ---------------------------------------------------------------- */

void mcgk_writer_init(mcgk_writer *w, uint8_t *out, size_t cap)
{
    w->out = out;
    w->cap = out == NULL ? 0 : cap;
    w->len = 0;
    w->overflow = 0;
}

/* Reserve n octets: returns where to store them, or NULL when they are only
 * counted (size-only pass or no room; the latter marks the overflow). */
static uint8_t *reserve(mcgk_writer *w, size_t n, mcgk_err *e)
{
    *e = MCGK_OK;
    size_t start = w->len;
    if (n > SIZE_MAX - start) {
        w->len = SIZE_MAX;
        w->overflow = 1;
        *e = MCGK_ERR_BUFFER_TOO_SMALL;
        return NULL;
    }
    w->len = start + n;
    if (w->out == NULL)
        return NULL;
    if (w->overflow || w->len > w->cap) {
        w->overflow = 1;
        *e = MCGK_ERR_BUFFER_TOO_SMALL;
        return NULL;
    }
    return w->out + start;
}

mcgk_err mcgk_writer_uint(mcgk_writer *w, uint64_t v, size_t n)
{
    if (n == 0 || n > 8 || (n < 8 && (v >> (8 * n)) != 0))
        return MCGK_ERR_INVALID_ARG;
    mcgk_err e;
    uint8_t *d = reserve(w, n, &e);
    if (d != NULL)
        for (size_t i = 0; i < n; i++)
            d[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return e;
}

mcgk_err mcgk_writer_u8(mcgk_writer *w, uint8_t v)
{
    return mcgk_writer_uint(w, v, 1);
}

mcgk_err mcgk_writer_u16(mcgk_writer *w, uint16_t v)
{
    return mcgk_writer_uint(w, v, 2);
}

mcgk_err mcgk_writer_u32(mcgk_writer *w, uint32_t v)
{
    return mcgk_writer_uint(w, v, 4);
}

mcgk_err mcgk_writer_u64(mcgk_writer *w, uint64_t v)
{
    return mcgk_writer_uint(w, v, 8);
}

mcgk_err mcgk_writer_bytes(mcgk_writer *w, const uint8_t *p, size_t n)
{
    if (p == NULL && n != 0)
        return MCGK_ERR_INVALID_ARG;
    mcgk_err e;
    uint8_t *d = reserve(w, n, &e);
    if (d != NULL && n > 0)
        memcpy(d, p, n);
    return e;
}

mcgk_err mcgk_writer_zeros(mcgk_writer *w, size_t n)
{
    mcgk_err e;
    uint8_t *d = reserve(w, n, &e);
    if (d != NULL && n > 0)
        memset(d, 0, n);
    return e;
}

mcgk_err mcgk_writer_put_u16_at(mcgk_writer *w, size_t at, uint16_t v)
{
    if (at > w->len || w->len - at < 2)
        return MCGK_ERR_INVALID_ARG;
    if (w->out != NULL && at + 2 <= w->cap) {
        w->out[at] = (uint8_t)(v >> 8);
        w->out[at + 1] = (uint8_t)v;
    }
    return MCGK_OK;
}

size_t mcgk_writer_len(const mcgk_writer *w)
{
    return w->len;
}

mcgk_err mcgk_writer_finish(const mcgk_writer *w, size_t *out_len)
{
    *out_len = w->len;
    return w->overflow ? MCGK_ERR_BUFFER_TOO_SMALL : MCGK_OK;
}
