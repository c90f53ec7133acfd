/*
 * Transport encodings of a MIKEY message (spec/mikey.md §15): base64 in
 * SDP (RFC 4567 §3.1 `a=key-mgmt:mikey <base64>`), the bare
 * "mikey <base64>" form of Streamwide's vectors, raw base64 (possibly
 * wrapped over lines) and binary. Contract: see mcgk/mikey.h.
 * No secrets: MIKEY messages are public (their secrets are encrypted).
 */
#include "mcgk/mikey.h"

#include <string.h>

#include "mcgk/base64.h"
#include "mcgk/reader.h"

static const uint8_t k_nl[] = {'\n'};

static int is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void skip_blanks(mcgk_reader *r)
{
    uint8_t c;
    while (mcgk_reader_peek_u8(r, &c) == MCGK_OK && is_blank(c))
        (void)mcgk_reader_skip(r, 1);
}

/* Consume the literal lit when the reader starts with it; 1 if it did. */
static int eat(mcgk_reader *r, const char *lit)
{
    size_t n = strlen(lit);
    mcgk_reader t = *r;
    const uint8_t *p;
    if (mcgk_reader_bytes(&t, n, &p) != MCGK_OK || memcmp(p, lit, n) != 0)
        return 0;
    *r = t;
    return 1;
}

/* The next line (without its '\n'); 0 when the reader is exhausted. */
static int next_line(mcgk_reader *r, mcgk_reader *line)
{
    const uint8_t *p;
    size_t n;
    if (mcgk_reader_remaining(r) == 0)
        return 0;
    if (mcgk_reader_until(r, k_nl, sizeof k_nl, &p, &n) != MCGK_OK)
        mcgk_reader_rest(r, &p, &n);
    mcgk_reader_init(line, p, n);
    return 1;
}

/*
 * Classify a line: 1 = it is `[a=]key-mgmt:mikey <data>` or `mikey <data>`
 * (*data = the base64 part), 2 = a key-mgmt line of another protocol, 0 = other.
 */
static int key_mgmt_line(mcgk_reader line, mcgk_reader *data)
{
    skip_blanks(&line);
    int attr = eat(&line, "a=key-mgmt:") || eat(&line, "key-mgmt:");
    if (attr)
        skip_blanks(&line);
    uint8_t c;
    if (eat(&line, "mikey") && mcgk_reader_peek_u8(&line, &c) == MCGK_OK &&
        (c == ' ' || c == '\t')) {
        *data = line;
        return 1;
    }
    return attr ? 2 : 0;
}

static mcgk_err b64_reader(const mcgk_reader *r, uint8_t *out, size_t cap, size_t *n)
{
    mcgk_reader t = *r;
    const uint8_t *p;
    size_t len;
    mcgk_reader_rest(&t, &p, &len);
    return mcgk_base64_decode((const char *)p, len, MCGK_BASE64_TRIM, out, cap, n);
}

/* Raw base64 over one or more lines; out == NULL only sizes (and validates). */
static mcgk_err decode_lines(const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
                             size_t *total)
{
    mcgk_reader r, line;
    size_t sum = 0;
    int padded = 0, any = 0;
    mcgk_reader_init(&r, in, in_len);
    while (next_line(&r, &line)) {
        size_t n;
        skip_blanks(&line);
        if (mcgk_reader_remaining(&line) == 0)
            continue; /* blank line */
        if (padded)
            return MCGK_ERR_BASE64; /* '=' may only end the last line */
        mcgk_err e = b64_reader(&line, NULL, 0, &n);
        if (e != MCGK_OK)
            return e;
        if (out != NULL) {
            e = b64_reader(&line, out + sum, cap - sum, &n);
            if (e != MCGK_OK)
                return e;
        }
        /* strict base64 of a line: 3 octets per quantum unless the line ends with '=' */
        padded = n % 3 != 0;
        sum += n;
        any = 1;
    }
    if (!any)
        return MCGK_ERR_MALFORMED;
    *total = sum;
    return MCGK_OK;
}

mcgk_err mcgk_mikey_unwrap(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                           size_t *out_len)
{
    if ((in == NULL && in_len != 0) || out_len == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_reader r;
    mcgk_reader_init(&r, in, in_len);
    uint8_t first;
    if (mcgk_reader_peek_u8(&r, &first) != MCGK_OK)
        return MCGK_ERR_MALFORMED;
    if (first == MCGK_MIKEY_VERSION) {
        /* binary: no text encoding starts with octet 0x01 */
        *out_len = in_len;
        if (out == NULL)
            return MCGK_OK;
        if (out_cap < in_len)
            return MCGK_ERR_BUFFER_TOO_SMALL;
        return mcgk_reader_copy(&r, out, in_len);
    }

    /* SDP: the first key-mgmt line for MIKEY (RFC 4567 §3.1) */
    mcgk_reader line, data;
    int other = 0;
    while (next_line(&r, &line)) {
        int k = key_mgmt_line(line, &data);
        if (k == 2)
            other = 1;
        if (k != 1)
            continue;
        size_t n;
        mcgk_err e = b64_reader(&data, NULL, 0, &n);
        if (e != MCGK_OK)
            return e;
        *out_len = n;
        if (out == NULL)
            return MCGK_OK;
        if (out_cap < n)
            return MCGK_ERR_BUFFER_TOO_SMALL;
        return b64_reader(&data, out, out_cap, &n);
    }
    if (other)
        return MCGK_ERR_UNSUPPORTED;

    /* raw base64 */
    size_t n;
    mcgk_err e = decode_lines(in, in_len, NULL, 0, &n);
    if (e != MCGK_OK)
        return e;
    *out_len = n;
    if (out == NULL)
        return MCGK_OK;
    if (out_cap < n)
        return MCGK_ERR_BUFFER_TOO_SMALL;
    return decode_lines(in, in_len, out, out_cap, &n);
}

mcgk_err mcgk_mikey_sdp_attr(const uint8_t *msg, size_t msg_len, char *out, size_t out_cap,
                             size_t *out_len)
{
    static const char prefix[] = "a=key-mgmt:mikey ";
    const size_t plen = sizeof prefix - 1;
    if ((msg == NULL && msg_len != 0) || out_len == NULL || msg_len > MCGK_MIKEY_MAX_MSG_LEN)
        return MCGK_ERR_INVALID_ARG;
    size_t b64 = mcgk_base64_encoded_len(msg_len);
    *out_len = plen + b64;
    if (out == NULL)
        return MCGK_OK;
    if (out_cap < plen + b64 + 1)
        return MCGK_ERR_BUFFER_TOO_SMALL;
    memcpy(out, prefix, plen);
    size_t n;
    return mcgk_base64_encode(msg, msg_len, out + plen, out_cap - plen, &n);
}
