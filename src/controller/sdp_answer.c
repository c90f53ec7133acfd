/*
 * The group controller's SDP answer (RFC 4566 syntax, RFC 3264 §6 offer /
 * answer; R-002-19: the answer carries no security content). Contract:
 * see mcgk/controller.h. The offer is read line by line through the
 * bounded reader; only the lines the answer mirrors are checked closely.
 *
 * No secrets: SDP is public; the MIKEY line of the offer is never copied.
 */
#include <stdio.h>
#include <string.h>

#include "mcgk/controller.h"
#include "mcgk/reader.h"

#define MAX_LINE 1024
#define MAX_MEDIA 16

static const uint8_t k_lf[] = {'\n'};

/* One line without its LF and an optional CR before it. */
static int next_line(mcgk_reader *r, const uint8_t **p, size_t *n)
{
    if (mcgk_reader_remaining(r) == 0)
        return 0;
    if (mcgk_reader_until(r, k_lf, sizeof k_lf, p, n) != MCGK_OK)
        mcgk_reader_rest(r, p, n);
    if (*n > 0 && (*p)[*n - 1] == '\r')
        (*n)--;
    return 1;
}

static int starts(const uint8_t *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && memcmp(p, lit, l) == 0;
}

/* RFC 4566 §5: text; a NUL, CR or other control character (but HTAB) is refused */
static int text_ok(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
            return 0;
    return 1;
}

static int is_token_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("!#$%&'*+-.^_`{|}~", c) != NULL;
}

/* Check one space-separated field of an m= line; classes: 0 token, 1 port[/n], 2 proto */
static int field_ok(const uint8_t *p, size_t n, int cls)
{
    if (n == 0)
        return 0;
    size_t slash = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (cls == 1) {
            if (c == '/') {
                if (slash++ || i == 0 || i + 1 == n)
                    return 0;
            } else if (c < '0' || c > '9') {
                return 0;
            }
        } else if (!(is_token_char(c) || (cls == 2 && c == '/'))) {
            return 0;
        }
    }
    return 1;
}

/* RFC 4566 §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> ... */
static int media_line_ok(const uint8_t *p, size_t n)
{
    mcgk_reader r;
    mcgk_reader_init(&r, p + 2, n - 2);
    static const uint8_t sp[] = {' '};
    int field = 0;
    for (;;) {
        const uint8_t *f;
        size_t fl;
        int last = mcgk_reader_until(&r, sp, sizeof sp, &f, &fl) != MCGK_OK;
        if (last)
            mcgk_reader_rest(&r, &f, &fl);
        if (!field_ok(f, fl, field == 0 ? 0 : field == 1 ? 1 : field == 2 ? 2 : 0))
            return 0;
        field++;
        if (last)
            break;
    }
    return field >= 4;
}

static void put(mcgk_writer *w, const char *s)
{
    (void)mcgk_writer_bytes(w, (const uint8_t *)s, strlen(s));
}

static void put_line(mcgk_writer *w, const uint8_t *p, size_t n)
{
    (void)mcgk_writer_bytes(w, p, n);
    put(w, "\r\n");
}

mcgk_err mcgk_ctl_sdp_answer(const uint8_t *offer, size_t offer_len, const char *host,
                             uint64_t sess_id, char *out, size_t out_cap, size_t *out_len)
{
    if ((offer == NULL && offer_len > 0) || host == NULL || out_len == NULL || out == NULL ||
        out_cap == 0 || host[0] == '\0' || strlen(host) > 64 ||
        strpbrk(host, " \r\n\t") != NULL)
        return MCGK_ERR_INVALID_ARG;
    if (offer_len > MCGK_CTL_MAX_OFFER_LEN)
        return MCGK_ERR_OVERSIZED;
    /* first pass: check the lines the answer depends on */
    mcgk_reader r;
    mcgk_reader_init(&r, offer, offer_len);
    const uint8_t *p;
    size_t n;
    size_t lines = 0, media = 0;
    while (next_line(&r, &p, &n)) {
        if (n > MAX_LINE)
            return MCGK_ERR_OVERSIZED;
        if (memchr(p, 0, n) != NULL || !text_ok(p, n))
            return MCGK_ERR_MALFORMED;
        if (lines++ == 0 && !(n == 3 && memcmp(p, "v=0", 3) == 0))
            return MCGK_ERR_MALFORMED; /* RFC 4566 §5: v=0 first */
        if (starts(p, n, "m=")) {
            if (++media > MAX_MEDIA)
                return MCGK_ERR_OVERSIZED;
            if (!media_line_ok(p, n))
                return MCGK_ERR_MALFORMED;
        }
    }
    if (media == 0)
        return MCGK_ERR_MALFORMED;

    char head[160];
    snprintf(head, sizeof head, "v=0\r\no=mcgk %llu 1 IN %s %s\r\ns=-\r\n",
             (unsigned long long)sess_id, strchr(host, ':') != NULL ? "IP6" : "IP4", host);
    mcgk_writer w;
    mcgk_writer_init(&w, (uint8_t *)out, out_cap - 1); /* room for the NUL */
    put(&w, head);
    /* session level: the c= line; then t=; then each media section */
    mcgk_reader_init(&r, offer, offer_len);
    int in_media = 0;
    while (next_line(&r, &p, &n)) {
        if (starts(p, n, "m=")) {
            if (!in_media)
                put(&w, "t=0 0\r\n");
            in_media = 1;
            put_line(&w, p, n);
        } else if (starts(p, n, "c=")) {
            put_line(&w, p, n);
        } else if (in_media && (starts(p, n, "a=rtpmap:") || starts(p, n, "a=fmtp:"))) {
            put_line(&w, p, n);
        }
        /* everything else - a=key-mgmt, a=crypto, b=, i= ... - stays out */
    }
    size_t len;
    mcgk_err err = mcgk_writer_finish(&w, &len);
    *out_len = len;
    if (err != MCGK_OK)
        return MCGK_ERR_BUFFER_TOO_SMALL;
    out[len] = '\0';
    return MCGK_OK;
}

int mcgk_ctl_sdp_has_key_mgmt(const uint8_t *sdp, size_t len)
{
    mcgk_reader r;
    mcgk_reader_init(&r, sdp, sdp ? len : 0);
    const uint8_t *p;
    size_t n;
    while (next_line(&r, &p, &n))
        if (starts(p, n, "a=key-mgmt:"))
            return 1;
    return 0;
}

/* "c=IN IP4 <dotted quad>[/<ttl>]": the address into addr (NUL-terminated) */
static int conn_addr(const uint8_t *p, size_t n, char addr[16])
{
    static const char pre[] = "c=IN IP4 ";
    if (!starts(p, n, pre))
        return 0;
    p += sizeof pre - 1;
    n -= sizeof pre - 1;
    size_t a = 0, dots = 0;
    while (a < n && p[a] != '/') {
        if (!((p[a] >= '0' && p[a] <= '9') || p[a] == '.') || a >= 15)
            return 0;
        dots += p[a] == '.';
        a++;
    }
    if (a < 7 || dots != 3)
        return 0;
    memcpy(addr, p, a);
    addr[a] = '\0';
    return 1;
}

mcgk_err mcgk_ctl_sdp_media_addr(const uint8_t *sdp, size_t len, char *out, size_t out_cap)
{
    if (sdp == NULL || out == NULL || out_cap == 0)
        return MCGK_ERR_INVALID_ARG;
    mcgk_reader r;
    mcgk_reader_init(&r, sdp, len);
    char session[16] = "", media[16] = "";
    unsigned long port = 0;
    int in_media = 0;
    const uint8_t *p;
    size_t n;
    while (next_line(&r, &p, &n)) {
        if (starts(p, n, "m=")) {
            if (in_media)
                break; /* the first m= line only */
            if (!media_line_ok(p, n))
                return MCGK_ERR_MALFORMED;
            const uint8_t *q = memchr(p, ' ', n);
            size_t i = (size_t)(q - p) + 1;
            for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
                port = port * 10 + (unsigned long)(p[i] - '0');
            in_media = 1;
            if (port == 0 || port > 65535)
                return MCGK_ERR_MALFORMED;
        } else if (starts(p, n, "c=")) {
            char a[16];
            if (!conn_addr(p, n, a))
                continue; /* IPv6 or other network types: not for this member */
            memcpy(in_media ? media : session, a, sizeof a);
        }
    }
    const char *addr = media[0] ? media : session;
    if (!in_media || addr[0] == '\0')
        return MCGK_ERR_MALFORMED;
    int w = snprintf(out, out_cap, "%s:%lu", addr, port);
    return w > 0 && (size_t)w < out_cap ? MCGK_OK : MCGK_ERR_BUFFER_TOO_SMALL;
}
