/*
 * mcgk/base64.h - base64 (RFC 4648 §4, the standard alphabet with '='
 * padding), strict.
 *
 * The decoder accepts exactly the canonical encoding: a length that is a
 * multiple of 4, '=' only as the last one or two characters, no characters
 * outside the alphabet, and zero bits in the unused low-order bits of the
 * last quantum (RFC 4648 §3.5) - so decode then encode gives back the input.
 * Whitespace is rejected unless MCGK_BASE64_TRIM is passed, which ignores
 * leading and trailing whitespace (space, tab, CR, LF); whitespace inside
 * the text is always rejected (RFC 4648 §3.3).
 *
 * Size queries: out == NULL returns MCGK_OK with *out_len = the size needed.
 * No secrets are kept; time depends on the input length and on which
 * characters are padding (public framing), not on other character values
 * beyond a table lookup.
 */
#ifndef MCGK_BASE64_H
#define MCGK_BASE64_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Decoder flag: ignore leading and trailing whitespace. */
#define MCGK_BASE64_TRIM 1u

/* Characters produced for len input octets: 4 * ceil(len / 3) (no NUL). */
size_t mcgk_base64_encoded_len(size_t len);

/*
 * Encode in[0..len) into out as text followed by a NUL; *out_len = the
 * number of characters (without the NUL). out_cap must be at least
 * mcgk_base64_encoded_len(len) + 1.
 * Returns MCGK_OK; MCGK_ERR_BUFFER_TOO_SMALL (out_cap too small; *out_len
 * = characters needed); MCGK_ERR_INVALID_ARG (in NULL with len > 0, out_len
 * NULL, len too large for size_t arithmetic).
 */
mcgk_err mcgk_base64_encode(const uint8_t *in, size_t len, char *out, size_t out_cap,
                            size_t *out_len);

/*
 * Decode text[0..text_len) into out; *out_len = octets decoded (also set,
 * to the size needed, for MCGK_ERR_BUFFER_TOO_SMALL and size queries).
 * flags: 0 or MCGK_BASE64_TRIM.
 * Returns MCGK_OK; MCGK_ERR_BASE64 (length not a multiple of 4, a character
 * outside the alphabet, misplaced or excess '=', non-zero pad bits, inner
 * whitespace); MCGK_ERR_BUFFER_TOO_SMALL (out_cap too small); MCGK_ERR_INVALID_ARG
 * (text NULL with text_len > 0, out_len NULL, unknown flags). On any error
 * out is untouched.
 */
mcgk_err mcgk_base64_decode(const char *text, size_t text_len, unsigned flags, uint8_t *out,
                            size_t out_cap, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
