/*
 * The off-network media-session creation frame (R-002-20; the layout is in
 * mcgk/broadcast.h, the design in docs/controller.md). Encoding and
 * parsing only - no I/O (the sockets are net/broadcast.c's). Every field
 * goes through the bounded reader / writer.
 *
 * No secrets.
 */
#include "mcgk/broadcast.h"

#include <string.h>

#include "mcgk/reader.h"

static int uri_ok(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x21 || p[i] > 0x7e)
            return 0;
    return 1;
}

mcgk_err mcgk_bcast_encode(const mcgk_bcast_frame *f, uint8_t *out, size_t out_cap,
                           size_t *out_len)
{
    if (f == NULL || out_len == NULL || (f->sdp == NULL && f->sdp_len > 0))
        return MCGK_ERR_INVALID_ARG;
    size_t ol = strnlen(f->originator, sizeof f->originator);
    size_t gl = strnlen(f->group, sizeof f->group);
    if (f->type != MCGK_BCAST_TYPE_SESSION || ol == 0 || ol > MCGK_BCAST_MAX_URI || gl == 0 ||
        gl > MCGK_BCAST_MAX_URI || !uri_ok((const uint8_t *)f->originator, ol) ||
        !uri_ok((const uint8_t *)f->group, gl) || f->sdp_len == 0 ||
        f->sdp_len > MCGK_BCAST_MAX_SDP || memchr(f->sdp, 0, f->sdp_len) != NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_writer w;
    mcgk_writer_init(&w, out, out_cap);
    (void)mcgk_writer_bytes(&w, (const uint8_t *)MCGK_BCAST_MAGIC, 4);
    (void)mcgk_writer_u8(&w, MCGK_BCAST_VERSION);
    (void)mcgk_writer_u8(&w, f->type);
    (void)mcgk_writer_u16(&w, 0); /* flags */
    (void)mcgk_writer_bytes(&w, f->session_id, sizeof f->session_id);
    (void)mcgk_writer_u16(&w, f->repeat);
    (void)mcgk_writer_u64(&w, f->sent_unix_ms);
    (void)mcgk_writer_u8(&w, (uint8_t)ol);
    (void)mcgk_writer_bytes(&w, (const uint8_t *)f->originator, ol);
    (void)mcgk_writer_u8(&w, (uint8_t)gl);
    (void)mcgk_writer_bytes(&w, (const uint8_t *)f->group, gl);
    (void)mcgk_writer_u16(&w, (uint16_t)f->sdp_len);
    (void)mcgk_writer_bytes(&w, f->sdp, f->sdp_len);
    return mcgk_writer_finish(&w, out_len);
}

/* A URI with a 1-octet length in front: *p, *n (a view into the input). */
static mcgk_err read_uri(mcgk_reader *r, const uint8_t **p, size_t *n)
{
    uint8_t l;
    mcgk_err e = mcgk_reader_u8(r, &l);
    if (e == MCGK_OK)
        e = mcgk_reader_bytes(r, l, p);
    if (e != MCGK_OK)
        return e;
    *n = l;
    return l == 0 ? MCGK_ERR_LENGTH : MCGK_OK;
}

mcgk_err mcgk_bcast_parse(const uint8_t *in, size_t len, mcgk_bcast_frame *out)
{
    if (out == NULL || (in == NULL && len > 0))
        return MCGK_ERR_INVALID_ARG;
    mcgk_reader r;
    mcgk_reader_init(&r, in, len);
    const uint8_t *magic, *sid, *orig, *grp, *sdp;
    uint8_t version, type;
    uint16_t flags, repeat, sdp_len;
    uint64_t sent;
    size_t ol, gl;
    mcgk_err e = mcgk_reader_bytes(&r, 4, &magic);
    if (e != MCGK_OK)
        return e;
    if (memcmp(magic, MCGK_BCAST_MAGIC, 4) != 0)
        return MCGK_ERR_BCAST_MAGIC;
    if ((e = mcgk_reader_u8(&r, &version)) != MCGK_OK ||
        (e = mcgk_reader_u8(&r, &type)) != MCGK_OK || (e = mcgk_reader_u16(&r, &flags)) != MCGK_OK)
        return e;
    if (version != MCGK_BCAST_VERSION || type != MCGK_BCAST_TYPE_SESSION || flags != 0)
        return MCGK_ERR_UNSUPPORTED;
    if ((e = mcgk_reader_bytes(&r, 8, &sid)) != MCGK_OK ||
        (e = mcgk_reader_u16(&r, &repeat)) != MCGK_OK ||
        (e = mcgk_reader_u64(&r, &sent)) != MCGK_OK || (e = read_uri(&r, &orig, &ol)) != MCGK_OK ||
        (e = read_uri(&r, &grp, &gl)) != MCGK_OK || (e = mcgk_reader_u16(&r, &sdp_len)) != MCGK_OK)
        return e;
    if (sdp_len == 0)
        return MCGK_ERR_LENGTH;
    if (sdp_len > MCGK_BCAST_MAX_SDP)
        return MCGK_ERR_OVERSIZED;
    if ((e = mcgk_reader_bytes(&r, sdp_len, &sdp)) != MCGK_OK)
        return e;
    if (!uri_ok(orig, ol) || !uri_ok(grp, gl) || memchr(sdp, 0, sdp_len) != NULL)
        return MCGK_ERR_MALFORMED;
    if ((e = mcgk_reader_expect_end(&r)) != MCGK_OK)
        return e;
    /* validated: commit */
    out->type = type;
    memcpy(out->session_id, sid, 8);
    out->repeat = repeat;
    out->sent_unix_ms = sent;
    memcpy(out->originator, orig, ol);
    out->originator[ol] = '\0';
    memcpy(out->group, grp, gl);
    out->group[gl] = '\0';
    out->sdp = sdp;
    out->sdp_len = sdp_len;
    return MCGK_OK;
}
