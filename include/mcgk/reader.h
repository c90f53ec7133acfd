/*
 * mcgk/reader.h - the one bounded reader and the one bounded writer.
 *
 * Every parser in mcgk reads wire bytes through an mcgk_reader and every
 * encoder writes through an mcgk_writer; no other code does pointer
 * arithmetic on wire bytes (STYLE "Errors"). Multi-octet integers are
 * big-endian (network order), as in every format mcgk speaks.
 *
 * Reader: a cursor over a caller-owned buffer (p, len). A read that would
 * pass the end returns MCGK_ERR_TRUNCATED and leaves the cursor where it
 * was, so a failed read consumes nothing. Views returned by the reader
 * (mcgk_reader_bytes ...) point into the caller's buffer: no copies.
 *
 * Writer: a cursor over a caller-owned output (out, cap). With out == NULL
 * it is a size-only pass: nothing is stored and every write succeeds, so
 * the same encoder code computes the length first and writes second. A
 * write that does not fit returns MCGK_ERR_BUFFER_TOO_SMALL, stores
 * nothing, and still counts its octets, so mcgk_writer_finish() reports
 * the total length that would have been needed.
 *
 * Neither keeps secrets of its own: whatever secret bytes pass through
 * (e.g. a decrypted Key data sub-payload) stay in the caller's buffers.
 * Both run in time that depends only on the lengths involved.
 */
#ifndef MCGK_READER_H
#define MCGK_READER_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- reader ---------------------------------------------------------------- */

typedef struct mcgk_reader {
    const uint8_t *p; /* the bytes (caller-owned, not copied) */
    size_t len;       /* octets at p */
    size_t pos;       /* octets consumed */
    size_t origin;    /* offset of p[0] in the outermost buffer (sub-readers) */
} mcgk_reader;

/* Start reading p[0..len). p may be NULL only when len == 0. */
void mcgk_reader_init(mcgk_reader *r, const uint8_t *p, size_t len);

/* Octets not yet consumed. */
size_t mcgk_reader_remaining(const mcgk_reader *r);

/* Offset of the next octet, counted from the start of the outermost buffer
 * (a sub-reader made by mcgk_reader_sub keeps counting from there). */
size_t mcgk_reader_offset(const mcgk_reader *r);

/*
 * Fixed-size big-endian reads. Each returns MCGK_OK, or MCGK_ERR_TRUNCATED
 * when fewer octets remain than the value needs (then *v and the cursor are
 * unchanged).
 */
mcgk_err mcgk_reader_u8(mcgk_reader *r, uint8_t *v);
mcgk_err mcgk_reader_u16(mcgk_reader *r, uint16_t *v);
mcgk_err mcgk_reader_u32(mcgk_reader *r, uint32_t *v);
mcgk_err mcgk_reader_u64(mcgk_reader *r, uint64_t *v);
/* An n-octet big-endian unsigned integer, 1 <= n <= 8 (e.g. n = 5 for a
 * 40-bit time). MCGK_ERR_INVALID_ARG when n is 0 or above 8; MCGK_ERR_TRUNCATED. */
mcgk_err mcgk_reader_uint(mcgk_reader *r, size_t n, uint64_t *v);

/* Look at the next octet without consuming it. MCGK_ERR_TRUNCATED at the end. */
mcgk_err mcgk_reader_peek_u8(const mcgk_reader *r, uint8_t *v);

/*
 * Consume n octets and point *out at them (inside the caller's buffer; for
 * n == 0 *out is the current position, possibly NULL for an empty reader).
 * MCGK_ERR_TRUNCATED when fewer than n remain (*out unchanged).
 */
mcgk_err mcgk_reader_bytes(mcgk_reader *r, size_t n, const uint8_t **out);
/* Consume n octets, copying them into out[0..n). MCGK_ERR_TRUNCATED. */
mcgk_err mcgk_reader_copy(mcgk_reader *r, uint8_t *out, size_t n);
/* Consume n octets. MCGK_ERR_TRUNCATED. */
mcgk_err mcgk_reader_skip(mcgk_reader *r, size_t n);
/* Point *out at everything that remains and consume it; *out_len = its length. */
void mcgk_reader_rest(mcgk_reader *r, const uint8_t **out, size_t *out_len);

/*
 * Consume n octets as a separate reader *sub (for a length-prefixed
 * container: what is inside cannot read past it). MCGK_ERR_TRUNCATED when
 * fewer than n remain (*sub and r unchanged).
 */
mcgk_err mcgk_reader_sub(mcgk_reader *r, size_t n, mcgk_reader *sub);

/*
 * For text protocols: find the first occurrence of delim[0..delim_len) at
 * or after the cursor; point *out at the octets before it (*out_len of
 * them) and consume both those octets and the delimiter. MCGK_ERR_TRUNCATED
 * when the delimiter does not occur (nothing consumed); MCGK_ERR_INVALID_ARG
 * when delim_len == 0.
 */
mcgk_err mcgk_reader_until(mcgk_reader *r, const uint8_t *delim, size_t delim_len,
                           const uint8_t **out, size_t *out_len);

/* MCGK_OK when every octet was consumed, else MCGK_ERR_TRAILING_DATA. */
mcgk_err mcgk_reader_expect_end(const mcgk_reader *r);

/* ---- writer ---------------------------------------------------------------- */

typedef struct mcgk_writer {
    uint8_t *out; /* caller-owned output; NULL = size-only pass */
    size_t cap;   /* octets available at out */
    size_t len;   /* octets written so far, or that would have been */
    int overflow; /* a write did not fit (sticky) */
} mcgk_writer;

/* Start writing into out[0..cap). out == NULL: a size-only pass (cap ignored). */
void mcgk_writer_init(mcgk_writer *w, uint8_t *out, size_t cap);

/*
 * Appends. Each returns MCGK_OK, or MCGK_ERR_BUFFER_TOO_SMALL when the
 * value does not fit in the remaining capacity (nothing is stored, the
 * length is still counted and the writer stays overflowed).
 */
mcgk_err mcgk_writer_u8(mcgk_writer *w, uint8_t v);
mcgk_err mcgk_writer_u16(mcgk_writer *w, uint16_t v);
mcgk_err mcgk_writer_u32(mcgk_writer *w, uint32_t v);
mcgk_err mcgk_writer_u64(mcgk_writer *w, uint64_t v);
/* The n low-order octets of v, big-endian, 1 <= n <= 8. Also
 * MCGK_ERR_INVALID_ARG when n is out of range or v does not fit in n octets. */
mcgk_err mcgk_writer_uint(mcgk_writer *w, uint64_t v, size_t n);
/* n octets from p (p may be NULL only when n == 0). Also MCGK_ERR_INVALID_ARG. */
mcgk_err mcgk_writer_bytes(mcgk_writer *w, const uint8_t *p, size_t n);
/* n zero octets (a placeholder to be filled later, e.g. a signature). */
mcgk_err mcgk_writer_zeros(mcgk_writer *w, size_t n);
/*
 * Overwrite the 2 octets at offset `at` (already written) with v: for a
 * length field whose value is known only after its contents. Does nothing
 * in a size-only pass or when those octets were not stored because of an
 * overflow. MCGK_ERR_INVALID_ARG when at + 2 exceeds the written length.
 */
mcgk_err mcgk_writer_put_u16_at(mcgk_writer *w, size_t at, uint16_t v);

/* Octets written so far (or counted, in a size-only pass / after an overflow). */
size_t mcgk_writer_len(const mcgk_writer *w);

/*
 * End of the encoding: *out_len = total length (always set). Returns
 * MCGK_OK for a size-only pass or when everything fit, else
 * MCGK_ERR_BUFFER_TOO_SMALL.
 */
mcgk_err mcgk_writer_finish(const mcgk_writer *w, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
