/*
 * SIP messages: bounded framing checks (through the bounded reader; the
 * field offsets it returns address the values), the grammar checked by
 * libosip2 on the unfolded text, values copied from the wire into an
 * mcgk_sip_msg, and request / response builders writing through the
 * bounded writer. See mcgk/sip.h and docs/sip.md ("Decision").
 * RFC 3261 §7 (messages), §7.3.1 (folding), §8.1.1 (mandatory headers),
 * §8.2.6 (responses), §18.3 (framing), §20 (header fields); RFC 6665
 * §8.2 (Event, Subscription-State); RFC 3326 (Reason).
 *
 * Secrets: message bodies may carry key material (I_MESSAGEs, even if
 * encrypted). They are never logged; libosip2's copy of a parsed body and
 * the unfolded copy of a message are wiped before they are freed.
 * Everything else is public and runs in variable time.
 */
#include "mcgk/sip.h"

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>

#include "mcgk/reader.h"

/* ---- libosip2 set-up ---------------------------------------------------------- */

static pthread_once_t g_osip_once = PTHREAD_ONCE_INIT;

/* libosip2 prints parse errors to stdout unless given a trace function:
 * a peer must not be able to write to our output, so traces go nowhere. */
static void osip_quiet(const char *fi, int li, osip_trace_level_t level, const char *chfr,
                       va_list ap)
{
    (void)fi;
    (void)li;
    (void)level;
    (void)chfr;
    (void)ap;
}

static void osip_setup(void)
{
    parser_init();
    osip_trace_initialize_func(TRACE_LEVEL0, osip_quiet);
    for (int l = 0; l < (int)END_TRACE_LEVEL; l++)
        osip_trace_disable_level((osip_trace_level_t)l);
}

static void osip_ready(void)
{
    pthread_once(&g_osip_once, osip_setup);
}

/* ---- small helpers ------------------------------------------------------------ */

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (lower((unsigned char)*a) != lower((unsigned char)*b))
            return 0;
    return *a == *b;
}

static int ieq_n(const uint8_t *a, size_t n, const char *b)
{
    size_t i = 0;
    for (; i < n && b[i]; i++)
        if (lower(a[i]) != lower((unsigned char)b[i]))
            return 0;
    return i == n && b[i] == '\0';
}

/* RFC 3261 §25.1 token characters */
static int is_token_char(int c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != '\0' && strchr("-.!%*_+`'~", c) != NULL;
}

static int is_token(const char *s)
{
    if (s == NULL || *s == '\0')
        return 0;
    for (; *s; s++)
        if (!is_token_char((unsigned char)*s))
            return 0;
    return 1;
}

/* RFC 3261 §25.1 callid = word [ "@" word ] */
static int is_callid(const char *s)
{
    if (s == NULL || *s == '\0' || *s == '@')
        return 0;
    int at = 0;
    for (; *s; s++) {
        if (*s == '@') {
            if (at++ || s[1] == '\0')
                return 0;
            continue;
        }
        if (!is_token_char((unsigned char)*s) && strchr("()<>:\\\"/[]?{}", *s) == NULL)
            return 0;
    }
    return 1;
}

/* A value mcgk writes into a header: printable UTF-8, no CR, LF, NUL or other controls. */
static int is_safe_text(const char *s)
{
    if (s == NULL)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 0;
    }
    return 1;
}

/* A URI mcgk writes between angle brackets. */
static int is_safe_uri(const char *s)
{
    if (s == NULL || *s == '\0' || !is_safe_text(s))
        return 0;
    return strpbrk(s, " \t<>\"") == NULL;
}

/* host [ ":" port ] (RFC 3261 §25.1 hostport): a host name or IPv4 address
 * (letters, digits, '-', '.'), or an IPv6 reference in brackets; port 1..65535. */
static int is_hostport(const char *s)
{
    size_t i = 0;
    if (s == NULL)
        return 0;
    if (s[0] == '[') {
        for (i = 1; s[i] != ']'; i++)
            if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
                  (s[i] >= 'A' && s[i] <= 'F') || s[i] == ':' || s[i] == '.'))
                return 0;
        if (i < 3)
            return 0;
        i++;
    } else {
        for (; (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
               (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.';
             i++) {
        }
        if (i == 0)
            return 0;
    }
    if (s[i] == '\0')
        return 1;
    if (s[i] != ':')
        return 0;
    unsigned port = 0;
    size_t digits = 0;
    for (i++; s[i] >= '0' && s[i] <= '9' && digits < 6; i++, digits++)
        port = port * 10 + (unsigned)(s[i] - '0');
    return s[i] == '\0' && digits > 0 && port > 0 && port <= 65535;
}

/* Copy a C string into dst[cap]; MCGK_ERR_SIP_HEADERS when it does not fit. */
static mcgk_err copy_field(char *dst, size_t cap, const char *src)
{
    if (src == NULL) {
        dst[0] = '\0';
        return MCGK_OK;
    }
    size_t n = strlen(src);
    if (n >= cap)
        return MCGK_ERR_SIP_HEADERS;
    memcpy(dst, src, n + 1);
    return MCGK_OK;
}

/* Decimal digits into a value clamped at max; 0 when s is not all digits. */
static int parse_decimal(const char *s, size_t n, uint64_t max, uint64_t *v)
{
    if (n == 0)
        return 0;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        x = x * 10 + (uint64_t)(s[i] - '0');
        if (x > max)
            x = max + 1; /* stays above max: the caller sees the overflow */
    }
    *v = x;
    return 1;
}

/* ---- a cursor over a header value (C string) ------------------------------------ */

typedef struct text_cursor {
    mcgk_reader r;
} text_cursor;

static void tc_init(text_cursor *c, const char *s)
{
    mcgk_reader_init(&c->r, (const uint8_t *)s, strlen(s));
}

static int tc_peek(const text_cursor *c)
{
    uint8_t b;
    return mcgk_reader_peek_u8(&c->r, &b) == MCGK_OK ? b : -1;
}

static void tc_skip_ws(text_cursor *c)
{
    int ch;
    while ((ch = tc_peek(c)) == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
        (void)mcgk_reader_skip(&c->r, 1);
}

static int tc_eat(text_cursor *c, int want)
{
    tc_skip_ws(c);
    if (tc_peek(c) != want)
        return 0;
    (void)mcgk_reader_skip(&c->r, 1);
    return 1;
}

/* A run of characters accepted by pred into out[cap]; 0 when empty or too long. */
static int tc_take(text_cursor *c, int (*pred)(int), char *out, size_t cap)
{
    tc_skip_ws(c);
    size_t n = 0;
    int ch;
    while ((ch = tc_peek(c)) >= 0 && pred(ch)) {
        if (n + 1 >= cap)
            return 0;
        out[n++] = (char)ch;
        (void)mcgk_reader_skip(&c->r, 1);
    }
    out[n] = '\0';
    return n > 0;
}

static int is_digit_char(int c)
{
    return c >= '0' && c <= '9';
}

static int is_agent_char(int c)
{
    /* warn-agent = hostport / pseudonym (token): token chars, ':' and IPv6 brackets */
    return is_token_char(c) || c == ':' || c == '[' || c == ']';
}

/* quoted-string (RFC 3261 §25.1) without its quotes, escapes removed. */
static int tc_quoted(text_cursor *c, char *out, size_t cap)
{
    if (!tc_eat(c, '"'))
        return 0;
    size_t n = 0;
    for (;;) {
        uint8_t ch;
        if (mcgk_reader_u8(&c->r, &ch) != MCGK_OK)
            return 0; /* no closing quote */
        if (ch == '"')
            break;
        if (ch == '\\' && mcgk_reader_u8(&c->r, &ch) != MCGK_OK)
            return 0;
        if (n + 1 >= cap)
            return 0;
        out[n++] = (char)ch;
    }
    out[n] = '\0';
    return 1;
}

static int tc_at_end(text_cursor *c)
{
    tc_skip_ws(c);
    return tc_peek(c) < 0 || tc_peek(c) == ',';
}

/* ---- framing: the checks made before libosip2 sees the message -------------------- */

/* A header field as it is on the wire: name, and value with LWS trimmed (may be folded). */
typedef struct raw_field {
    size_t name_at, name_len;
    size_t value_at, value_len;
} raw_field;

typedef struct frame_info {
    size_t start;     /* offset of the start line (after leading CRLFs) */
    size_t start_len; /* its length without CRLF */
    size_t head_end;  /* offset of the first body octet */
    int has_cl;
    uint64_t cl;      /* Content-Length value (up to 10 digits) */
    int folded;       /* a header field spans continuation lines */
    size_t n_fields;
    raw_field f[MCGK_SIP_MAX_HEADERS];
} frame_info;

static const uint8_t k_crlf[2] = {'\r', '\n'};

/* A line (without its CRLF) must hold no NUL, no bare CR / LF and no control octet but HT. */
static mcgk_err line_clean(const uint8_t *line, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = line[i];
        if (c == 0)
            return MCGK_ERR_SIP_NUL;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return MCGK_ERR_SIP_MALFORMED;
    }
    return MCGK_OK;
}

static int is_lws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Content-Length value (it may be folded): digits only, LWS trimmed already. */
static mcgk_err parse_content_length(const uint8_t *value, size_t n, uint64_t *out)
{
    mcgk_reader r;
    mcgk_reader_init(&r, value, n);
    uint8_t c;
    uint64_t v = 0;
    size_t digits = 0;
    while (mcgk_reader_u8(&r, &c) == MCGK_OK) {
        if (c < '0' || c > '9' || ++digits > 10)
            return MCGK_ERR_SIP_CONTENT_LENGTH;
        v = v * 10 + (uint64_t)(c - '0');
    }
    if (digits == 0)
        return MCGK_ERR_SIP_CONTENT_LENGTH;
    *out = v;
    return MCGK_OK;
}

/* One finished header field data[at .. at+n) (continuations included). */
static mcgk_err check_field(const uint8_t *data, size_t at, size_t n, frame_info *fi)
{
    if (n > MCGK_SIP_MAX_FIELD_LEN)
        return MCGK_ERR_SIP_HEADERS;
    mcgk_reader r;
    mcgk_reader_init(&r, data + at, n);
    const uint8_t *name;
    size_t name_len;
    static const uint8_t colon = ':';
    if (mcgk_reader_until(&r, &colon, 1, &name, &name_len) != MCGK_OK)
        return MCGK_ERR_SIP_MALFORMED; /* not "name: value" */
    while (name_len > 0 && (name[name_len - 1] == ' ' || name[name_len - 1] == '\t'))
        name_len--;
    if (name_len == 0)
        return MCGK_ERR_SIP_MALFORMED;
    for (size_t i = 0; i < name_len; i++)
        if (!is_token_char(name[i]))
            return MCGK_ERR_SIP_MALFORMED;
    const uint8_t *value;
    size_t value_len;
    size_t value_at = at + mcgk_reader_offset(&r);
    mcgk_reader_rest(&r, &value, &value_len);
    while (value_len > 0 && is_lws(value[0])) {
        value++;
        value_len--;
        value_at++;
    }
    while (value_len > 0 && is_lws(value[value_len - 1]))
        value_len--;
    if (ieq_n(name, name_len, "content-length") || ieq_n(name, name_len, "l")) {
        if (fi->has_cl)
            return MCGK_ERR_SIP_CONTENT_LENGTH; /* given twice */
        mcgk_err e = parse_content_length(value, value_len, &fi->cl);
        if (e != MCGK_OK)
            return e;
        fi->has_cl = 1;
    }
    raw_field *f = &fi->f[fi->n_fields++];
    f->name_at = at;
    f->name_len = name_len;
    f->value_at = value_at;
    f->value_len = value_len;
    return MCGK_OK;
}

/*
 * Walk the head of data[0..len): leading CRLFs, the start line, header
 * fields up to the empty line. stream = 1: data may hold more (or less)
 * than one message.
 */
static mcgk_err scan_head(const uint8_t *data, size_t len, int stream, frame_info *fi)
{
    memset(fi, 0, offsetof(frame_info, f));
    mcgk_reader r;
    mcgk_reader_init(&r, data, len);

    /* RFC 3261 §7.5: CRLFs before the start line are ignored */
    for (;;) {
        mcgk_reader ahead = r;
        const uint8_t *two;
        if (mcgk_reader_bytes(&ahead, 2, &two) != MCGK_OK || two[0] != '\r' || two[1] != '\n')
            break;
        r = ahead;
    }
    fi->start = mcgk_reader_offset(&r);
    if (mcgk_reader_remaining(&r) == 0)
        return stream ? MCGK_ERR_TRUNCATED : MCGK_ERR_SIP_MALFORMED;

    const uint8_t *line;
    size_t line_len;
    mcgk_err e = mcgk_reader_until(&r, k_crlf, 2, &line, &line_len);
    if (e != MCGK_OK) /* no line end: too long already, or more is needed */
        return mcgk_reader_remaining(&r) > MCGK_SIP_MAX_FIELD_LEN ? MCGK_ERR_SIP_HEADERS
                                                                   : MCGK_ERR_TRUNCATED;
    if (line_len > MCGK_SIP_MAX_FIELD_LEN)
        return MCGK_ERR_SIP_HEADERS;
    if ((e = line_clean(line, line_len)) != MCGK_OK)
        return e;
    if (line_len == 0 || line[0] == ' ' || line[0] == '\t')
        return MCGK_ERR_SIP_MALFORMED;
    fi->start_len = line_len;

    int have_field = 0; /* a field is being gathered (with its continuations) */
    size_t field_at = 0, field_len = 0;
    for (;;) {
        size_t at = mcgk_reader_offset(&r);
        e = mcgk_reader_until(&r, k_crlf, 2, &line, &line_len);
        if (e != MCGK_OK) /* no empty line */
            return mcgk_reader_remaining(&r) > MCGK_SIP_MAX_FIELD_LEN ? MCGK_ERR_SIP_HEADERS
                                                                       : MCGK_ERR_TRUNCATED;
        if (line_len > MCGK_SIP_MAX_FIELD_LEN)
            return MCGK_ERR_SIP_HEADERS;
        if ((e = line_clean(line, line_len)) != MCGK_OK)
            return e;
        if (line_len > 0 && (line[0] == ' ' || line[0] == '\t')) {
            /* RFC 3261 §7.3.1: a continuation line folds into the field before it */
            if (!have_field)
                return MCGK_ERR_SIP_MALFORMED;
            fi->folded = 1;
            field_len = at + line_len - field_at;
            if (field_len > MCGK_SIP_MAX_FIELD_LEN)
                return MCGK_ERR_SIP_HEADERS;
            continue;
        }
        if (have_field && (e = check_field(data, field_at, field_len, fi)) != MCGK_OK)
            return e;
        if (line_len == 0)
            break; /* the empty line: end of the head */
        if (fi->n_fields >= MCGK_SIP_MAX_HEADERS)
            return MCGK_ERR_SIP_HEADERS;
        have_field = 1;
        field_at = at;
        field_len = line_len;
    }
    fi->head_end = mcgk_reader_offset(&r);
    return MCGK_OK;
}

/* Framing of a whole datagram: bounds, NULs, head, Content-Length == body. */
static mcgk_err frame_datagram(const uint8_t *data, size_t len, frame_info *fi)
{
    if (len > MCGK_SIP_MAX_MSG_LEN)
        return MCGK_ERR_SIP_TOO_LARGE;
    if (len > 0 && memchr(data, 0, len) != NULL)
        return MCGK_ERR_SIP_NUL;
    mcgk_err e = scan_head(data, len, 0, fi);
    if (e != MCGK_OK)
        return e;
    size_t body_len = len - fi->head_end;
    if (fi->has_cl ? fi->cl != body_len : body_len != 0)
        return MCGK_ERR_SIP_CONTENT_LENGTH;
    return MCGK_OK;
}

mcgk_err mcgk_sip_frame_len(const uint8_t *data, size_t len, size_t *msg_len)
{
    if ((data == NULL && len > 0) || msg_len == NULL)
        return MCGK_ERR_INVALID_ARG;
    frame_info *fi = malloc(sizeof *fi);
    if (fi == NULL)
        return MCGK_ERR_NO_MEMORY;
    /* look no further than one message can reach */
    size_t look = len > MCGK_SIP_MAX_MSG_LEN ? MCGK_SIP_MAX_MSG_LEN : len;
    mcgk_err e = scan_head(data, look, 1, fi);
    size_t total = 0;
    if (e == MCGK_ERR_TRUNCATED && len > MCGK_SIP_MAX_MSG_LEN)
        e = MCGK_ERR_SIP_TOO_LARGE;
    else if (e == MCGK_OK && !fi->has_cl)
        e = MCGK_ERR_SIP_CONTENT_LENGTH; /* RFC 3261 §18.3: mandatory on streams */
    else if (e == MCGK_OK && (fi->cl > MCGK_SIP_MAX_MSG_LEN ||
                              fi->head_end + (size_t)fi->cl > MCGK_SIP_MAX_MSG_LEN))
        e = MCGK_ERR_SIP_TOO_LARGE;
    if (e == MCGK_OK) {
        total = fi->head_end + (size_t)fi->cl;
        if (len < total)
            e = MCGK_ERR_TRUNCATED;
        else if (fi->cl > 0 && memchr(data + fi->head_end, 0, (size_t)fi->cl) != NULL)
            e = MCGK_ERR_SIP_NUL;
    }
    free(fi);
    if (e == MCGK_OK)
        *msg_len = total;
    return e;
}

int mcgk_sip_is_keepalive(const uint8_t *data, size_t len)
{
    if (data == NULL || len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (data[i] != '\r' && data[i] != '\n')
            return 0;
    return 1;
}

/* ---- extraction --------------------------------------------------------------------- */

/*
 * libosip2 checks the grammar and splits Via values, CSeq and tags; the
 * values mcgk echoes or keeps are copied from the wire (RFC 3261 §8.2.6.2
 * wants the response's Via, From, Call-ID and CSeq equal to the request's).
 * mcgk does not call libosip2's *_to_str serialisers: under allocation
 * failure libosip2 can leave NULL fields in a structure it returned, and
 * those serialisers then dereference them. Every libosip2 field read here
 * is checked for NULL.
 */

typedef struct parse_ctx {
    const uint8_t *data;
    const frame_info *fi;
    osip_message_t *sip;
} parse_ctx;

static int field_is(const parse_ctx *c, size_t i, const char *name, const char *compact)
{
    const raw_field *f = &c->fi->f[i];
    const uint8_t *n = c->data + f->name_at;
    return ieq_n(n, f->name_len, name) || (compact != NULL && ieq_n(n, f->name_len, compact));
}

/* A raw value unfolded (each CRLF + LWS run becomes one space) into dst[cap]. */
static mcgk_err copy_raw(const parse_ctx *c, size_t i, char *dst, size_t cap)
{
    const raw_field *f = &c->fi->f[i];
    mcgk_reader r;
    mcgk_reader_init(&r, c->data + f->value_at, f->value_len);
    size_t n = 0;
    uint8_t ch;
    while (mcgk_reader_u8(&r, &ch) == MCGK_OK) {
        if (ch == '\r' || ch == '\n') {
            uint8_t nx;
            while (mcgk_reader_peek_u8(&r, &nx) == MCGK_OK && is_lws(nx))
                (void)mcgk_reader_skip(&r, 1);
            ch = ' ';
            if (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\t'))
                continue;
        }
        if (n + 1 >= cap)
            return MCGK_ERR_SIP_HEADERS;
        dst[n++] = (char)ch;
    }
    dst[n] = '\0';
    return MCGK_OK;
}

/* The first field called name (or compact) at or after index `from`; SIZE_MAX when absent. */
static size_t find_field_from(const parse_ctx *c, size_t from, const char *name,
                              const char *compact)
{
    for (size_t i = from; i < c->fi->n_fields; i++)
        if (field_is(c, i, name, compact))
            return i;
    return SIZE_MAX;
}

static size_t find_field(const parse_ctx *c, const char *name, const char *compact)
{
    return find_field_from(c, 0, name, compact);
}

/* A generic parameter of a libosip2 list, NULL-safe; NULL when absent. */
static const osip_generic_param_t *osip_param(const osip_list_t *list, const char *name)
{
    osip_list_iterator_t it;
    for (osip_generic_param_t *p = osip_list_get_first((osip_list_t *)list, &it); p != NULL;
         p = osip_list_get_next(&it))
        if (p->gname != NULL && ieq(p->gname, name))
            return p;
    return NULL;
}

/* delta-seconds (RFC 3261 §25.1), clamped to 2^32-1 */
static mcgk_err parse_delta_seconds(const char *s, uint32_t *out)
{
    size_t a = 0, n = strlen(s);
    while (a < n && (s[a] == ' ' || s[a] == '\t'))
        a++;
    while (n > a && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    uint64_t v;
    if (!parse_decimal(s + a, n - a, UINT32_MAX, &v))
        return MCGK_ERR_SIP_MALFORMED;
    *out = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    return MCGK_OK;
}

/* Warning: warn-code SP warn-agent SP warn-text (first value only) */
static mcgk_err parse_warning(const char *v, mcgk_sip_msg *m)
{
    text_cursor c;
    tc_init(&c, v);
    char code[8];
    uint64_t n;
    if (!tc_take(&c, is_digit_char, code, sizeof code) || strlen(code) != 3 ||
        !parse_decimal(code, 3, 999, &n) || n < 300 || n > 399)
        return MCGK_ERR_SIP_MALFORMED;
    if (!tc_take(&c, is_agent_char, m->warning_agent, sizeof m->warning_agent))
        return MCGK_ERR_SIP_MALFORMED;
    if (!tc_quoted(&c, m->warning_text, sizeof m->warning_text) || !tc_at_end(&c))
        return MCGK_ERR_SIP_MALFORMED;
    m->warning_code = (int)n;
    return MCGK_OK;
}

static int is_token_int(int c)
{
    return is_token_char(c);
}

/* Reason: protocol *( ";" param ), with cause=digits and text=quoted-string (RFC 3326 §2) */
static mcgk_err parse_reason(const char *v, mcgk_sip_msg *m)
{
    text_cursor c;
    tc_init(&c, v);
    if (!tc_take(&c, is_token_int, m->reason_protocol, sizeof m->reason_protocol))
        return MCGK_ERR_SIP_MALFORMED;
    while (tc_eat(&c, ';')) {
        char name[32], val[32];
        if (!tc_take(&c, is_token_int, name, sizeof name))
            return MCGK_ERR_SIP_MALFORMED;
        if (!tc_eat(&c, '='))
            continue; /* a flag parameter */
        tc_skip_ws(&c);
        if (tc_peek(&c) == '"') {
            char tmp[MCGK_SIP_VALUE_MAX];
            if (!tc_quoted(&c, tmp, sizeof tmp))
                return MCGK_ERR_SIP_MALFORMED;
            if (ieq(name, "text"))
                memcpy(m->reason_text, tmp, strlen(tmp) + 1);
        } else {
            if (!tc_take(&c, is_token_int, val, sizeof val))
                return MCGK_ERR_SIP_MALFORMED;
            if (ieq(name, "cause")) {
                uint64_t n;
                if (!parse_decimal(val, strlen(val), 65535, &n) || n > 65535)
                    return MCGK_ERR_SIP_MALFORMED;
                m->reason_cause = (int)n;
            }
        }
    }
    return tc_at_end(&c) ? MCGK_OK : MCGK_ERR_SIP_MALFORMED;
}

/*
 * The URI of a name-addr / addr-spec value (From, To, Contact; RFC 3261
 * §20.10): between the first '<' and '>' outside a quoted display name,
 * else up to the first ';' or ','.
 */
static mcgk_err addr_uri(const char *v, char *uri, size_t cap, size_t *rest)
{
    size_t n = strlen(v), a = 0, b = 0;
    int in_quote = 0, found = 0;
    for (size_t i = 0; i < n && !found; i++) {
        if (in_quote) {
            if (v[i] == '\\' && i + 1 < n)
                i++;
            else if (v[i] == '"')
                in_quote = 0;
        } else if (v[i] == '"') {
            in_quote = 1;
        } else if (v[i] == '<') {
            const char *close = strchr(v + i + 1, '>');
            if (close == NULL)
                return MCGK_ERR_SIP_MALFORMED;
            a = i + 1;
            b = (size_t)(close - v);
            found = 1;
        }
    }
    if (!found) {
        b = strcspn(v, ";,");
        while (a < b && (v[a] == ' ' || v[a] == '\t'))
            a++;
        while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
            b--;
    }
    if (b <= a)
        return MCGK_ERR_SIP_MALFORMED;
    if (b - a >= cap)
        return MCGK_ERR_SIP_HEADERS;
    memcpy(uri, v + a, b - a);
    uri[b - a] = '\0';
    if (rest != NULL)
        *rest = found ? b + 1 : b;
    return MCGK_OK;
}

static int is_param_value_char(int c)
{
    return is_token_char(c) || c == ':' || c == '[' || c == ']';
}

/*
 * What follows the URI in From / To: *( ";" token [ "=" ( token / host /
 * quoted-string ) ] ) (RFC 3261 §20.20, §20.39). libosip2 lets other text
 * through; mcgk refuses it, because a response appends ";tag=" to To.
 */
static mcgk_err check_addr_params(const char *s)
{
    text_cursor c;
    tc_init(&c, s);
    char name[MCGK_SIP_VALUE_MAX], value[MCGK_SIP_VALUE_MAX];
    for (;;) {
        tc_skip_ws(&c);
        if (tc_peek(&c) < 0)
            return MCGK_OK;
        if (!tc_eat(&c, ';') || !tc_take(&c, is_token_int, name, sizeof name))
            return MCGK_ERR_SIP_MALFORMED;
        if (!tc_eat(&c, '='))
            continue;
        tc_skip_ws(&c);
        if (tc_peek(&c) == '"' ? !tc_quoted(&c, value, sizeof value)
                               : !tc_take(&c, is_param_value_char, value, sizeof value))
            return MCGK_ERR_SIP_MALFORMED;
    }
}

static mcgk_err extract_start(const parse_ctx *c, mcgk_sip_msg *m)
{
    osip_message_t *sip = c->sip;
    if (sip->sip_version == NULL)
        return MCGK_ERR_SIP_MALFORMED;
    if (!ieq(sip->sip_version, "SIP/2.0"))
        return MCGK_ERR_UNSUPPORTED;
    mcgk_err e;
    if (sip->sip_method != NULL) {
        m->is_request = 1;
        if (!is_token(sip->sip_method))
            return MCGK_ERR_SIP_MALFORMED;
        if ((e = copy_field(m->method, sizeof m->method, sip->sip_method)) != MCGK_OK)
            return e;
        /* RFC 3261 §7.1: Method SP Request-URI SP SIP-Version, from the wire */
        mcgk_reader r;
        mcgk_reader_init(&r, c->data + c->fi->start, c->fi->start_len);
        const uint8_t *tok, *uri;
        size_t tok_len, uri_len;
        static const uint8_t sp = ' ';
        if (mcgk_reader_until(&r, &sp, 1, &tok, &tok_len) != MCGK_OK ||
            mcgk_reader_until(&r, &sp, 1, &uri, &uri_len) != MCGK_OK || uri_len == 0)
            return MCGK_ERR_SIP_MALFORMED;
        if (uri_len >= sizeof m->request_uri)
            return MCGK_ERR_SIP_HEADERS;
        memcpy(m->request_uri, uri, uri_len);
        m->request_uri[uri_len] = '\0';
        if (!is_safe_text(m->request_uri) || strpbrk(m->request_uri, " \t<>\"") != NULL)
            return MCGK_ERR_SIP_MALFORMED;
    } else {
        if (sip->status_code < 100 || sip->status_code > 699)
            return MCGK_ERR_SIP_MALFORMED;
        m->status = sip->status_code;
        if ((e = copy_field(m->reason_phrase, sizeof m->reason_phrase, sip->reason_phrase)) !=
            MCGK_OK)
            return e;
    }
    return MCGK_OK;
}

/* Values in a comma list: commas outside quoted strings and comments, plus one. */
static size_t list_values(const char *v)
{
    size_t n = 1;
    int quoted = 0, depth = 0;
    for (; *v; v++) {
        if (quoted) {
            if (*v == '\\' && v[1] != '\0')
                v++;
            else if (*v == '"')
                quoted = 0;
        } else if (*v == '"') {
            quoted = 1;
        } else if (*v == '(') {
            depth++;
        } else if (*v == ')' && depth > 0) {
            depth--;
        } else if (*v == ',' && depth == 0) {
            n++;
        }
    }
    return n;
}

static mcgk_err extract_via(const parse_ctx *c, mcgk_sip_msg *m)
{
    int n = osip_list_size(&c->sip->vias);
    if (n <= 0)
        return MCGK_ERR_SIP_MISSING_HEADER;
    if (n > MCGK_SIP_MAX_VIA)
        return MCGK_ERR_SIP_HEADERS;
    mcgk_err e;
    size_t values = 0;
    for (size_t i = 0; i < c->fi->n_fields; i++) {
        if (!field_is(c, i, "via", "v"))
            continue;
        if (m->n_via >= MCGK_SIP_MAX_VIA)
            return MCGK_ERR_SIP_HEADERS;
        if ((e = copy_raw(c, i, m->via[m->n_via], sizeof m->via[0])) != MCGK_OK)
            return e;
        values += list_values(m->via[m->n_via]);
        m->n_via++;
    }
    /* what is echoed must be what libosip2 checked: as many values on the wire
     * (an empty Via, which libosip2 skips, counts one) */
    if (m->n_via == 0 || values != (size_t)n)
        return MCGK_ERR_SIP_MALFORMED;
    const osip_via_t *top = osip_list_get(&c->sip->vias, 0);
    if (top == NULL || top->host == NULL || top->protocol == NULL)
        return MCGK_ERR_SIP_MALFORMED;
    const osip_generic_param_t *br = osip_param(&top->via_params, "branch");
    if (br == NULL || br->gvalue == NULL || strncmp(br->gvalue, MCGK_SIP_BRANCH_COOKIE, 7) != 0 ||
        br->gvalue[7] == '\0')
        return MCGK_ERR_SIP_BRANCH; /* RFC 3261 §8.1.1.7 */
    if (!is_token(br->gvalue))
        return MCGK_ERR_SIP_MALFORMED;
    if ((e = copy_field(m->branch, sizeof m->branch, br->gvalue)) != MCGK_OK)
        return e;
    if (!is_token(top->protocol))
        return MCGK_ERR_SIP_MALFORMED;
    if ((e = copy_field(m->via_transport, sizeof m->via_transport, top->protocol)) != MCGK_OK)
        return e;
    for (char *p = m->via_transport; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    if (!is_safe_text(top->host) || (top->port != NULL && !is_token(top->port)))
        return MCGK_ERR_SIP_MALFORMED;
    int v6 = strchr(top->host, ':') != NULL;
    int k = snprintf(m->via_sent_by, sizeof m->via_sent_by, "%s%s%s%s%s", v6 ? "[" : "",
                     top->host, v6 ? "]" : "", top->port ? ":" : "", top->port ? top->port : "");
    if (k < 0 || (size_t)k >= sizeof m->via_sent_by)
        return MCGK_ERR_SIP_HEADERS;
    if (!is_hostport(m->via_sent_by))
        return MCGK_ERR_SIP_MALFORMED; /* libosip2 lets an empty or odd host through */
    return MCGK_OK;
}

static mcgk_err extract_addr(const parse_ctx *c, const osip_from_t *h, const char *name,
                             const char *compact, char *whole, size_t whole_cap, char *uri,
                             size_t uri_cap, char *tag, size_t tag_cap)
{
    size_t i = find_field(c, name, compact);
    if (h == NULL || i == SIZE_MAX)
        return MCGK_ERR_SIP_MISSING_HEADER;
    if (h->url == NULL || find_field_from(c, i + 1, name, compact) != SIZE_MAX)
        return MCGK_ERR_SIP_MALFORMED; /* given twice: which one would we echo? */
    size_t rest = 0;
    mcgk_err e = copy_raw(c, i, whole, whole_cap);
    if (e == MCGK_OK)
        e = addr_uri(whole, uri, uri_cap, &rest);
    if (e == MCGK_OK)
        e = check_addr_params(whole + rest);
    if (e != MCGK_OK)
        return e;
    const osip_generic_param_t *t = osip_param(&h->gen_params, "tag");
    if (t != NULL) {
        if (t->gvalue == NULL || !is_token(t->gvalue))
            return MCGK_ERR_SIP_MALFORMED;
        return copy_field(tag, tag_cap, t->gvalue);
    }
    return MCGK_OK;
}

/*
 * A request's To without a tag gets one in every answer but 100 (RFC 3261
 * §8.2.6.2): the To must leave room for it in mcgk_sip_msg.to (found by
 * fuzz_sip_parse), and libosip2 refuses some To values once a tag is appended that
 * it accepts without one (found by fuzz_sip_parse: "sip:g" and "<sip:g>;tag=t"
 * - a one-character host without a user), so a request whose answer would
 * not parse is refused now rather than answered with a broken message.
 */
static mcgk_err to_takes_tag(const char *to)
{
    /* with ";tag=" and the longest tag a builder writes (63), it must still fit */
    if (strlen(to) + 5 + 63 >= MCGK_SIP_VALUE_MAX)
        return MCGK_ERR_SIP_HEADERS;
    char v[MCGK_SIP_VALUE_MAX + 16];
    snprintf(v, sizeof v, "%s;tag=mcgk", to);
    osip_to_t *h = NULL;
    if (osip_to_init(&h) != 0)
        return MCGK_ERR_NO_MEMORY;
    int rc = osip_to_parse(h, v);
    osip_to_free(h);
    if (rc == OSIP_NOMEM)
        return MCGK_ERR_NO_MEMORY;
    return rc == 0 ? MCGK_OK : MCGK_ERR_SIP_MALFORMED;
}

static mcgk_err extract_contact(const parse_ctx *c, mcgk_sip_msg *m)
{
    int n = osip_list_size(&c->sip->contacts);
    size_t i = find_field(c, "contact", "m");
    if (n <= 0 || i == SIZE_MAX)
        return MCGK_OK;
    m->n_contacts = (size_t)n;
    char v[MCGK_SIP_MAX_FIELD_LEN];
    mcgk_err e = copy_raw(c, i, v, sizeof v);
    if (e != MCGK_OK)
        return e;
    if (strcmp(v, "*") == 0) {
        if (n != 1)
            return MCGK_ERR_SIP_MALFORMED;
        m->contact_star = 1; /* RFC 3261 §10.2.2: remove all bindings */
        return MCGK_OK;
    }
    const osip_contact_t *ct = osip_list_get(&c->sip->contacts, 0);
    if (ct == NULL || ct->url == NULL)
        return MCGK_ERR_SIP_MALFORMED;
    if ((e = addr_uri(v, m->contact_uri, sizeof m->contact_uri, NULL)) != MCGK_OK)
        return e;
    const osip_generic_param_t *x = osip_param(&ct->gen_params, "expires");
    if (x != NULL) {
        if (x->gvalue == NULL || parse_delta_seconds(x->gvalue, &m->contact_expires) != MCGK_OK)
            return MCGK_ERR_SIP_MALFORMED;
        m->has_contact_expires = 1;
    }
    return MCGK_OK;
}

/* The first field name/compact, unfolded into buf; 0 when absent. */
static int raw_value(const parse_ctx *c, const char *name, const char *compact, char *buf,
                     size_t cap, mcgk_err *e)
{
    size_t i = find_field(c, name, compact);
    if (i == SIZE_MAX)
        return 0;
    *e = copy_raw(c, i, buf, cap);
    return 1;
}

static mcgk_err extract(const parse_ctx *c, mcgk_sip_msg *m)
{
    osip_message_t *sip = c->sip;
    mcgk_err e;
    if ((e = extract_start(c, m)) != MCGK_OK)
        return e;
    /* RFC 3261 §8.1.1: To, From, CSeq, Call-ID, Via (Max-Forwards is a proxy matter) */
    if ((e = extract_via(c, m)) != MCGK_OK)
        return e;
    if ((e = extract_addr(c, sip->from, "from", "f", m->from, sizeof m->from, m->from_uri,
                          sizeof m->from_uri, m->from_tag, sizeof m->from_tag)) != MCGK_OK)
        return e;
    if ((e = extract_addr(c, sip->to, "to", "t", m->to, sizeof m->to, m->to_uri,
                          sizeof m->to_uri, m->to_tag, sizeof m->to_tag)) != MCGK_OK)
        return e;
    if (m->is_request && m->to_tag[0] == '\0' && (e = to_takes_tag(m->to)) != MCGK_OK)
        return e;
    size_t i = find_field(c, "call-id", "i");
    if (sip->call_id == NULL || i == SIZE_MAX)
        return MCGK_ERR_SIP_MISSING_HEADER;
    if ((e = copy_raw(c, i, m->call_id, sizeof m->call_id)) != MCGK_OK)
        return e;
    if (m->call_id[0] == '\0' || find_field_from(c, i + 1, "call-id", "i") != SIZE_MAX)
        return MCGK_ERR_SIP_MALFORMED; /* empty, or two Call-IDs: which one to echo? */
    i = find_field(c, "cseq", NULL);
    if (sip->cseq == NULL || i == SIZE_MAX)
        return MCGK_ERR_SIP_MISSING_HEADER;
    if (sip->cseq->number == NULL || sip->cseq->method == NULL)
        return MCGK_ERR_SIP_CSEQ;
    uint64_t num;
    if (!parse_decimal(sip->cseq->number, strlen(sip->cseq->number), 0x7fffffffu, &num) ||
        num > 0x7fffffffu || !is_token(sip->cseq->method))
        return MCGK_ERR_SIP_CSEQ; /* RFC 3261 §8.1.1.5: < 2^31 */
    m->cseq = (uint32_t)num;
    if (m->is_request) {
        if (strcmp(sip->cseq->method, m->method) != 0)
            return MCGK_ERR_SIP_CSEQ;
    } else if ((e = copy_field(m->method, sizeof m->method, sip->cseq->method)) != MCGK_OK) {
        return e;
    }

    if ((e = extract_contact(c, m)) != MCGK_OK)
        return e;
    char v[MCGK_SIP_MAX_FIELD_LEN];
    e = MCGK_OK;
    if (raw_value(c, "expires", NULL, v, sizeof v, &e)) {
        if (e != MCGK_OK || (e = parse_delta_seconds(v, &m->expires)) != MCGK_OK)
            return e;
        m->has_expires = 1;
    }
    if (raw_value(c, "min-expires", NULL, v, sizeof v, &e)) {
        if (e != MCGK_OK || (e = parse_delta_seconds(v, &m->min_expires)) != MCGK_OK)
            return e;
        m->has_min_expires = 1;
    }
    if (raw_value(c, "event", "o", m->event, sizeof m->event, &e)) {
        if (e != MCGK_OK)
            return e;
        text_cursor tc;
        tc_init(&tc, m->event);
        if (!tc_take(&tc, is_token_int, m->event_package, sizeof m->event_package))
            return MCGK_ERR_SIP_MALFORMED;
        for (char *p = m->event_package; *p; p++)
            *p = (char)lower((unsigned char)*p);
    }
    if (raw_value(c, "subscription-state", NULL, m->subscription_state,
                  sizeof m->subscription_state, &e) &&
        e != MCGK_OK)
        return e;
    if (raw_value(c, "content-type", "c", m->content_type, sizeof m->content_type, &e) &&
        e != MCGK_OK)
        return e;
    if (raw_value(c, "warning", NULL, v, sizeof v, &e) &&
        (e != MCGK_OK || (e = parse_warning(v, m)) != MCGK_OK))
        return e;
    if (raw_value(c, "reason", NULL, v, sizeof v, &e) &&
        (e != MCGK_OK || (e = parse_reason(v, m)) != MCGK_OK))
        return e;
    return MCGK_OK;
}

/*
 * The message with its folded header fields unfolded (RFC 3261 §7.3.1: a
 * CRLF and the white space after it become one SP, none after white
 * space) - exactly as copy_raw unfolds each value - for libosip2 to check:
 * libosip2 handles folding its own way (it accepted "SIP/2.0/g>" CRLF
 * " ;x" but not "SIP/2.0/g> ;x"), so it must check the text mcgk echoes.
 * *out (malloc'ed, *out_len octets) holds the unfolded head and the body.
 */
static mcgk_err unfold(const uint8_t *data, size_t len, const frame_info *fi, uint8_t **out,
                       size_t *out_len)
{
    uint8_t *buf = malloc(len - fi->start + 1);
    if (buf == NULL)
        return MCGK_ERR_NO_MEMORY;
    mcgk_reader r;
    mcgk_reader_init(&r, data + fi->start, fi->head_end - fi->start);
    size_t n = 0;
    uint8_t c, nx;
    while (mcgk_reader_u8(&r, &c) == MCGK_OK) {
        if (c == '\r') {
            mcgk_reader ahead = r;
            uint8_t lf, ws;
            if (mcgk_reader_u8(&ahead, &lf) == MCGK_OK && lf == '\n' &&
                mcgk_reader_u8(&ahead, &ws) == MCGK_OK && (ws == ' ' || ws == '\t')) {
                r = ahead; /* a continuation: CRLF + WS ... */
                while (mcgk_reader_peek_u8(&r, &nx) == MCGK_OK && (nx == ' ' || nx == '\t'))
                    (void)mcgk_reader_skip(&r, 1);
                if (n > 0 && buf[n - 1] != ' ' && buf[n - 1] != '\t')
                    buf[n++] = ' '; /* ... becomes one SP */
                continue;
            }
        }
        buf[n++] = c;
    }
    const uint8_t *body;
    size_t body_len;
    mcgk_reader_init(&r, data + fi->head_end, len - fi->head_end);
    mcgk_reader_rest(&r, &body, &body_len);
    if (body_len > 0)
        memcpy(buf + n, body, body_len);
    *out = buf;
    *out_len = n + body_len;
    return MCGK_OK;
}

/* libosip2 keeps a copy of the body: wipe it (and its message cache) before freeing. */
static void osip_wipe_free(osip_message_t *sip)
{
    if (sip == NULL)
        return;
    osip_list_iterator_t it;
    for (osip_body_t *b = osip_list_get_first(&sip->bodies, &it); b != NULL;
         b = osip_list_get_next(&it))
        if (b->body != NULL)
            mcgk_wipe(b->body, b->length);
    if (sip->message != NULL)
        mcgk_wipe(sip->message, sip->message_length);
    osip_message_free(sip);
}

mcgk_err mcgk_sip_msg_parse(const uint8_t *data, size_t len, mcgk_sip_msg *out)
{
    if (out == NULL || (data == NULL && len > 0))
        return MCGK_ERR_INVALID_ARG;
    /* both on the heap: ~10 KiB together, and the endpoint thread's stack stays small */
    frame_info *fi = malloc(sizeof *fi);
    mcgk_sip_msg *m = malloc(sizeof *m);
    osip_message_t *sip = NULL;
    mcgk_err e = MCGK_OK;
    if (fi == NULL || m == NULL) {
        e = MCGK_ERR_NO_MEMORY;
        goto out;
    }
    if ((e = frame_datagram(data, len, fi)) != MCGK_OK)
        goto out;
    osip_ready();
    if (osip_message_init(&sip) != 0) {
        sip = NULL;
        e = MCGK_ERR_NO_MEMORY;
        goto out;
    }
    /* libosip2 reads from the start line, unfolded */
    int rc;
    if (fi->folded) {
        uint8_t *plain = NULL;
        size_t plain_len = 0;
        if ((e = unfold(data, len, fi, &plain, &plain_len)) != MCGK_OK)
            goto out;
        rc = osip_message_parse(sip, (const char *)plain, plain_len);
        mcgk_wipe(plain, plain_len);
        free(plain);
    } else {
        rc = osip_message_parse(sip, (const char *)data + fi->start, len - fi->start);
    }
    if (rc != 0) {
        e = rc == OSIP_NOMEM ? MCGK_ERR_NO_MEMORY : MCGK_ERR_SIP_MALFORMED;
        goto out;
    }
    memset(m, 0, sizeof *m);
    m->reason_cause = -1;
    parse_ctx c = {data, fi, sip};
    if ((e = extract(&c, m)) != MCGK_OK)
        goto out;
    m->body_len = len - fi->head_end;
    m->body = m->body_len > 0 ? data + fi->head_end : NULL;
    memcpy(out, m, sizeof *m); /* validate, then commit */
out:
    osip_wipe_free(sip);
    free(fi);
    free(m);
    return e;
}

/* ---- builders ----------------------------------------------------------------------- */

/*
 * Messages are written as text through the bounded writer, after every
 * value has been checked (tokens, URIs that libosip2 accepts, no CR / LF /
 * NUL), so a value can never start a header of its own. libosip2's
 * serialiser is not used (see the note above "extraction" and docs/sip.md).
 */

static const struct {
    int status;
    const char *phrase;
} k_phrases[] = {
    {100, "Trying"},
    {180, "Ringing"},
    {183, "Session Progress"},
    {200, "OK"},
    {202, "Accepted"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {408, "Request Timeout"},
    {415, "Unsupported Media Type"},
    {420, "Bad Extension"},
    {423, "Interval Too Brief"},
    {480, "Temporarily Unavailable"},
    {481, "Call/Transaction Does Not Exist"},
    {482, "Loop Detected"},
    {483, "Too Many Hops"},
    {486, "Busy Here"},
    {487, "Request Terminated"},
    {488, "Not Acceptable Here"},
    {489, "Bad Event"},
    {500, "Server Internal Error"},
    {501, "Not Implemented"},
    {503, "Service Unavailable"},
    {504, "Server Time-out"},
    {505, "Version Not Supported"},
    {513, "Message Too Large"},
    {600, "Busy Everywhere"},
    {603, "Decline"},
    {604, "Does Not Exist Anywhere"},
    {606, "Not Acceptable"},
};

const char *mcgk_sip_reason_phrase(int status)
{
    for (size_t i = 0; i < sizeof k_phrases / sizeof k_phrases[0]; i++)
        if (k_phrases[i].status == status)
            return k_phrases[i].phrase;
    if (status >= 100 && status < 200)
        return "Progress";
    if (status >= 200 && status < 300)
        return "OK";
    if (status >= 300 && status < 400)
        return "Redirection";
    if (status >= 400 && status < 500)
        return "Client Error";
    if (status >= 500 && status < 600)
        return "Server Error";
    return "Global Failure";
}

static void w_str(mcgk_writer *w, const char *s)
{
    (void)mcgk_writer_bytes(w, (const uint8_t *)s, strlen(s));
}

static void w_u32(mcgk_writer *w, uint32_t v)
{
    char d[16];
    int n = snprintf(d, sizeof d, "%u", (unsigned)v);
    (void)mcgk_writer_bytes(w, (const uint8_t *)d, (size_t)n);
}

/* "Name: value\r\n" */
static void w_hdr(mcgk_writer *w, const char *name, const char *value)
{
    w_str(w, name);
    w_str(w, ": ");
    w_str(w, value);
    w_str(w, "\r\n");
}

/* quoted-string: backslash before '"' and '\\' (RFC 3261 §25.1) */
static void w_quoted(mcgk_writer *w, const char *s)
{
    w_str(w, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            w_str(w, "\\");
        (void)mcgk_writer_u8(w, (uint8_t)*s);
    }
    w_str(w, "\"");
}

static void w_body(mcgk_writer *w, const char *content_type, const uint8_t *body, size_t len)
{
    if (len > 0)
        w_hdr(w, "Content-Type", content_type);
    w_str(w, "Content-Length: ");
    w_u32(w, (uint32_t)len);
    w_str(w, "\r\n\r\n");
    if (len > 0)
        (void)mcgk_writer_bytes(w, body, len);
}

static mcgk_err w_finish(const mcgk_writer *w, size_t *out_len)
{
    size_t len;
    mcgk_err e = mcgk_writer_finish(w, &len);
    *out_len = len;
    if (len > MCGK_SIP_MAX_MSG_LEN)
        return MCGK_ERR_SIP_TOO_LARGE;
    return e;
}

static int fits(const char *s, size_t cap)
{
    return s == NULL || strlen(s) < cap;
}

/* A URI mcgk may write: safe characters, fits the parser's field, and libosip2 parses it. */
static mcgk_err check_uri(const char *s)
{
    if (!is_safe_uri(s) || !fits(s, MCGK_SIP_URI_MAX))
        return MCGK_ERR_INVALID_ARG;
    osip_ready();
    osip_uri_t *u = NULL;
    if (osip_uri_init(&u) != 0)
        return MCGK_ERR_NO_MEMORY;
    int rc = osip_uri_parse(u, s);
    mcgk_err e = MCGK_OK;
    if (rc == OSIP_NOMEM)
        e = MCGK_ERR_NO_MEMORY;
    else if (rc != 0 || u->scheme == NULL)
        e = MCGK_ERR_SIP_MALFORMED;
    osip_uri_free(u);
    return e;
}

static mcgk_err check_body(const char *content_type, const uint8_t *body, size_t body_len)
{
    if (body_len == 0)
        return MCGK_OK;
    if (body_len > MCGK_SIP_MAX_MSG_LEN)
        return MCGK_ERR_SIP_TOO_LARGE;
    if (body == NULL || content_type == NULL || !is_safe_text(content_type) ||
        content_type[0] == '\0' || !fits(content_type, MCGK_SIP_VALUE_MAX) ||
        memchr(body, 0, body_len) != NULL)
        return MCGK_ERR_INVALID_ARG;
    return MCGK_OK;
}

static int is_value(const char *s, size_t cap)
{
    return s != NULL && s[0] != '\0' && s[0] != ' ' && is_safe_text(s) && fits(s, cap);
}

static mcgk_err check_request(const mcgk_sip_request_params *p)
{
    if (!is_token(p->method) || !fits(p->method, MCGK_SIP_TOKEN_MAX))
        return MCGK_ERR_INVALID_ARG;
    if (p->via_sent_by == NULL || !is_hostport(p->via_sent_by) ||
        !fits(p->via_sent_by, MCGK_SIP_VALUE_MAX - 64) ||
        (p->via_transport != NULL && (!is_token(p->via_transport) || strlen(p->via_transport) > 8)))
        return MCGK_ERR_INVALID_ARG;
    if (p->branch == NULL || strncmp(p->branch, MCGK_SIP_BRANCH_COOKIE, 7) != 0 ||
        p->branch[7] == '\0' || !is_token(p->branch) || !fits(p->branch, 64))
        return MCGK_ERR_INVALID_ARG;
    if (!is_token(p->from_tag) || !fits(p->from_tag, 64))
        return MCGK_ERR_INVALID_ARG;
    if (p->to_tag != NULL && (!is_token(p->to_tag) || !fits(p->to_tag, 64)))
        return MCGK_ERR_INVALID_ARG;
    /* From / To values are "<uri>;tag=t": they must fit the parser's whole-value fields */
    if (p->from_uri == NULL || p->to_uri == NULL ||
        strlen(p->from_uri) + 72 >= MCGK_SIP_VALUE_MAX || strlen(p->to_uri) + 72 >= MCGK_SIP_VALUE_MAX)
        return MCGK_ERR_INVALID_ARG;
    if (!is_callid(p->call_id) || !fits(p->call_id, MCGK_SIP_VALUE_MAX))
        return MCGK_ERR_INVALID_ARG;
    if (p->cseq > 0x7fffffffu)
        return MCGK_ERR_INVALID_ARG;
    if (p->event != NULL && (!is_value(p->event, MCGK_SIP_VALUE_MAX) ||
                             !is_token_char((unsigned char)p->event[0])))
        return MCGK_ERR_INVALID_ARG;
    if (p->subscription_state != NULL && !is_value(p->subscription_state, MCGK_SIP_VALUE_MAX))
        return MCGK_ERR_INVALID_ARG;
    mcgk_err e;
    if ((e = check_uri(p->request_uri)) != MCGK_OK || (e = check_uri(p->from_uri)) != MCGK_OK ||
        (e = check_uri(p->to_uri)) != MCGK_OK)
        return e;
    if (p->contact_uri != NULL && strcmp(p->contact_uri, "*") != 0 &&
        (e = check_uri(p->contact_uri)) != MCGK_OK)
        return e;
    return check_body(p->content_type, p->body, p->body_len);
}

mcgk_err mcgk_sip_request_build(const mcgk_sip_request_params *p, uint8_t *out, size_t out_cap,
                                size_t *out_len)
{
    if (p == NULL || out_len == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_err e = check_request(p);
    if (e != MCGK_OK)
        return e;
    mcgk_writer w;
    mcgk_writer_init(&w, out, out_cap);
    /* RFC 3261 §7.1 request line; §8.1.1 Via, Max-Forwards, From, To, Call-ID, CSeq */
    w_str(&w, p->method);
    w_str(&w, " ");
    w_str(&w, p->request_uri);
    w_str(&w, " SIP/2.0\r\nVia: SIP/2.0/");
    w_str(&w, p->via_transport ? p->via_transport : "UDP");
    w_str(&w, " ");
    w_str(&w, p->via_sent_by);
    w_str(&w, ";branch=");
    w_str(&w, p->branch);
    w_str(&w, "\r\nMax-Forwards: 70\r\nFrom: <");
    w_str(&w, p->from_uri);
    w_str(&w, ">;tag=");
    w_str(&w, p->from_tag);
    w_str(&w, "\r\nTo: <");
    w_str(&w, p->to_uri);
    w_str(&w, ">");
    if (p->to_tag != NULL) {
        w_str(&w, ";tag=");
        w_str(&w, p->to_tag);
    }
    w_str(&w, "\r\n");
    w_hdr(&w, "Call-ID", p->call_id);
    w_str(&w, "CSeq: ");
    w_u32(&w, p->cseq);
    w_str(&w, " ");
    w_str(&w, p->method);
    w_str(&w, "\r\n");
    if (p->contact_uri != NULL) {
        if (strcmp(p->contact_uri, "*") == 0) {
            w_hdr(&w, "Contact", "*");
        } else {
            w_str(&w, "Contact: <");
            w_str(&w, p->contact_uri);
            w_str(&w, ">\r\n");
        }
    }
    if (p->has_expires) {
        w_str(&w, "Expires: ");
        w_u32(&w, p->expires);
        w_str(&w, "\r\n");
    }
    if (p->event != NULL)
        w_hdr(&w, "Event", p->event); /* RFC 6665 §8.2.1 */
    if (p->subscription_state != NULL)
        w_hdr(&w, "Subscription-State", p->subscription_state); /* RFC 6665 §8.2.3 */
    w_body(&w, p->content_type, p->body, p->body_len);
    return w_finish(&w, out_len);
}

static mcgk_err check_response(const mcgk_sip_msg *req, const mcgk_sip_response_params *p)
{
    if (!req->is_request || req->n_via == 0 || req->n_via > MCGK_SIP_MAX_VIA ||
        req->cseq > 0x7fffffffu)
        return MCGK_ERR_INVALID_ARG;
    /* req may have been filled by hand: its values must be safe to echo */
    for (size_t i = 0; i < req->n_via; i++)
        if (!is_value(req->via[i], sizeof req->via[i]))
            return MCGK_ERR_INVALID_ARG;
    if (!is_value(req->from, sizeof req->from) || !is_value(req->to, sizeof req->to) ||
        !is_value(req->call_id, sizeof req->call_id) || !is_token(req->method) ||
        !fits(req->method, sizeof req->method))
        return MCGK_ERR_INVALID_ARG;
    if (p->status < 100 || p->status > 699)
        return MCGK_ERR_INVALID_ARG;
    if (p->reason_phrase != NULL && !is_value(p->reason_phrase, MCGK_SIP_VALUE_MAX))
        return MCGK_ERR_INVALID_ARG;
    if (p->to_tag != NULL && (!is_token(p->to_tag) || !fits(p->to_tag, 64)))
        return MCGK_ERR_INVALID_ARG;
    if (p->warning_code != 0) {
        if (p->warning_code < 300 || p->warning_code > 399)
            return MCGK_ERR_INVALID_ARG;
        if (p->warning_agent != NULL &&
            (p->warning_agent[0] == '\0' || !fits(p->warning_agent, MCGK_SIP_TOKEN_MAX)))
            return MCGK_ERR_INVALID_ARG;
        for (const char *a = p->warning_agent; a != NULL && *a; a++)
            if (!is_agent_char((unsigned char)*a))
                return MCGK_ERR_INVALID_ARG;
        if (p->warning_text == NULL || !is_safe_text(p->warning_text) ||
            !fits(p->warning_text, MCGK_SIP_VALUE_MAX))
            return MCGK_ERR_INVALID_ARG;
    }
    if (p->reason_text != NULL &&
        (!is_safe_text(p->reason_text) || !fits(p->reason_text, MCGK_SIP_VALUE_MAX)))
        return MCGK_ERR_INVALID_ARG;
    mcgk_err e;
    if (p->contact_uri != NULL && (e = check_uri(p->contact_uri)) != MCGK_OK)
        return e;
    return check_body(p->content_type, p->body, p->body_len);
}

mcgk_err mcgk_sip_response_build(const mcgk_sip_msg *req, const mcgk_sip_response_params *p,
                                 uint8_t *out, size_t out_cap, size_t *out_len)
{
    if (req == NULL || p == NULL || out_len == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_err e = check_response(req, p);
    if (e != MCGK_OK)
        return e;
    mcgk_writer w;
    mcgk_writer_init(&w, out, out_cap);
    /* RFC 3261 §7.2 status line */
    w_str(&w, "SIP/2.0 ");
    w_u32(&w, (uint32_t)p->status);
    w_str(&w, " ");
    w_str(&w, p->reason_phrase ? p->reason_phrase : mcgk_sip_reason_phrase(p->status));
    w_str(&w, "\r\n");
    /* RFC 3261 §8.2.6.2: Via (in order), From, Call-ID, CSeq copied; To gets a tag */
    for (size_t i = 0; i < req->n_via; i++)
        w_hdr(&w, "Via", req->via[i]);
    w_hdr(&w, "From", req->from);
    w_str(&w, "To: ");
    w_str(&w, req->to);
    if (req->to_tag[0] == '\0' && p->status > 100 && p->to_tag != NULL) {
        w_str(&w, ";tag=");
        w_str(&w, p->to_tag);
    }
    w_str(&w, "\r\n");
    w_hdr(&w, "Call-ID", req->call_id);
    w_str(&w, "CSeq: ");
    w_u32(&w, req->cseq);
    w_str(&w, " ");
    w_str(&w, req->method);
    w_str(&w, "\r\n");
    if (p->contact_uri != NULL) {
        w_str(&w, "Contact: <");
        w_str(&w, p->contact_uri);
        w_str(&w, ">");
        if (p->has_contact_expires) { /* RFC 3261 §10.3 step 8 */
            w_str(&w, ";expires=");
            w_u32(&w, p->contact_expires);
        }
        w_str(&w, "\r\n");
    }
    if (p->has_expires) {
        w_str(&w, "Expires: ");
        w_u32(&w, p->expires);
        w_str(&w, "\r\n");
    }
    if (p->has_min_expires) { /* RFC 3261 §10.3 step 7 (423) */
        w_str(&w, "Min-Expires: ");
        w_u32(&w, p->min_expires);
        w_str(&w, "\r\n");
    }
    if (p->warning_code != 0) { /* RFC 3261 §20.43 */
        w_str(&w, "Warning: ");
        w_u32(&w, (uint32_t)p->warning_code);
        w_str(&w, " ");
        w_str(&w, p->warning_agent ? p->warning_agent : "mcgk");
        w_str(&w, " ");
        w_quoted(&w, p->warning_text);
        w_str(&w, "\r\n");
    }
    if (p->reason_text != NULL) { /* RFC 3326 §2; in responses RFC 6432 */
        w_str(&w, "Reason: SIP;cause=");
        w_u32(&w, (uint32_t)p->status);
        w_str(&w, ";text=");
        w_quoted(&w, p->reason_text);
        w_str(&w, "\r\n");
    }
    w_body(&w, p->content_type, p->body, p->body_len);
    return w_finish(&w, out_len);
}

/* ---- tokens and URIs -------------------------------------------------------------------- */

mcgk_err mcgk_sip_random_token(const mcgk_rng *rng, const char *prefix, size_t nbytes, char *out,
                               size_t out_cap)
{
    if (out == NULL || nbytes < 4 || nbytes > 32)
        return MCGK_ERR_INVALID_ARG;
    size_t pl = prefix ? strlen(prefix) : 0;
    if (out_cap < pl + 2 * nbytes + 1)
        return MCGK_ERR_BUFFER_TOO_SMALL;
    uint8_t rnd[32];
    mcgk_err e = mcgk_rng_bytes(rng, rnd, nbytes);
    if (e != MCGK_OK)
        return e;
    if (pl > 0)
        memcpy(out, prefix, pl);
    e = mcgk_hex_encode(rnd, nbytes, out + pl, out_cap - pl);
    mcgk_wipe(rnd, sizeof rnd);
    return e;
}

/*
 * A sip: / sips: URI split on the wire text (RFC 3261 §19.1.1):
 * scheme ":" [ userinfo "@" ] hostport [ ";" params ] [ "?" headers ],
 * after libosip2 has accepted the whole URI.
 */
typedef struct uri_parts {
    size_t scheme_len;
    size_t user_at, user_len; /* userinfo, without the "@" */
    size_t host_at, host_len; /* with IPv6 brackets */
    int has_port;
    uint16_t port;
} uri_parts;

static mcgk_err split_sip_uri(const char *s, uri_parts *u)
{
    if (s == NULL || !is_safe_uri(s) || strlen(s) >= MCGK_SIP_MAX_FIELD_LEN)
        return MCGK_ERR_SIP_MALFORMED;
    mcgk_err e = check_uri(s);
    if (e != MCGK_OK)
        return e == MCGK_ERR_NO_MEMORY ? e : MCGK_ERR_SIP_MALFORMED;
    memset(u, 0, sizeof *u);
    const char *colon = strchr(s, ':');
    if (colon == NULL)
        return MCGK_ERR_SIP_MALFORMED;
    u->scheme_len = (size_t)(colon - s);
    if (!((u->scheme_len == 3 && strncasecmp(s, "sip", 3) == 0) ||
          (u->scheme_len == 4 && strncasecmp(s, "sips", 4) == 0)))
        return MCGK_ERR_SIP_MALFORMED;
    size_t rest = u->scheme_len + 1;
    size_t end = rest + strcspn(s + rest, "?"); /* headers never hold the userinfo */
    const char *at = memchr(s + rest, '@', end - rest);
    size_t hp = rest;
    if (at != NULL) {
        u->user_at = rest;
        u->user_len = (size_t)(at - (s + rest));
        hp = (size_t)(at - s) + 1;
    }
    size_t hp_end = hp + strcspn(s + hp, ";?");
    size_t host_end = hp_end;
    if (s[hp] == '[') {
        const char *rb = memchr(s + hp, ']', hp_end - hp);
        if (rb == NULL)
            return MCGK_ERR_SIP_MALFORMED;
        host_end = (size_t)(rb - s) + 1;
    } else {
        const char *pc = memchr(s + hp, ':', hp_end - hp);
        if (pc != NULL)
            host_end = (size_t)(pc - s);
    }
    u->host_at = hp;
    u->host_len = host_end - hp;
    if (u->host_len == 0)
        return MCGK_ERR_SIP_MALFORMED;
    if (host_end < hp_end) {
        uint64_t v;
        if (s[host_end] != ':' ||
            !parse_decimal(s + host_end + 1, hp_end - host_end - 1, 65535, &v) || v == 0 ||
            v > 65535)
            return MCGK_ERR_SIP_MALFORMED;
        u->has_port = 1;
        u->port = (uint16_t)v;
    }
    return MCGK_OK;
}

mcgk_err mcgk_sip_uri_aor(const char *uri, char *out, size_t out_cap)
{
    if (out == NULL)
        return MCGK_ERR_INVALID_ARG;
    uri_parts u;
    mcgk_err e = split_sip_uri(uri, &u);
    if (e != MCGK_OK)
        return e;
    /* RFC 3261 §10.3 step 5 / §19.1.4: scheme and host compare case-insensitively;
     * parameters, headers and a password are not part of the AOR */
    size_t user_len = u.user_len;
    const char *pw = u.user_len ? memchr(uri + u.user_at, ':', u.user_len) : NULL;
    if (pw != NULL)
        user_len = (size_t)(pw - (uri + u.user_at));
    char port[8] = "";
    if (u.has_port)
        snprintf(port, sizeof port, ":%u", (unsigned)u.port);
    size_t need = u.scheme_len + 1 + (user_len ? user_len + 1 : 0) + u.host_len + strlen(port);
    if (need >= out_cap)
        return MCGK_ERR_BUFFER_TOO_SMALL;
    size_t n = 0;
    for (size_t i = 0; i < u.scheme_len; i++)
        out[n++] = (char)lower((unsigned char)uri[i]);
    out[n++] = ':';
    if (user_len) {
        memcpy(out + n, uri + u.user_at, user_len);
        n += user_len;
        out[n++] = '@';
    }
    for (size_t i = 0; i < u.host_len; i++)
        out[n++] = (char)lower((unsigned char)uri[u.host_at + i]);
    memcpy(out + n, port, strlen(port) + 1);
    return MCGK_OK;
}

mcgk_err mcgk_sip_uri_host_port(const char *uri, char *host, size_t host_cap, uint16_t *port)
{
    if (host == NULL || port == NULL)
        return MCGK_ERR_INVALID_ARG;
    uri_parts u;
    mcgk_err e = split_sip_uri(uri, &u);
    if (e != MCGK_OK)
        return e;
    size_t at = u.host_at, n = u.host_len;
    if (uri[at] == '[') { /* IPv6 reference without its brackets */
        at++;
        n -= 2;
    }
    if (n >= host_cap)
        return MCGK_ERR_BUFFER_TOO_SMALL;
    memcpy(host, uri + at, n);
    host[n] = '\0';
    *port = u.has_port ? u.port : (u.scheme_len == 4 ? 5061 : 5060);
    return MCGK_OK;
}
