/*
 * xsd:dateTime (XML Schema Part 2 §3.2.7) to and from Unix seconds, and the
 * NTP 64-bit timestamp of the keyprov path (TS 33.180 D.2, RFC 5905 §6).
 * Pure functions, no clock, no tables of the C library (no locale/TZ).
 * No secrets.
 */
#include <string.h>

#include "mcgk/kms.h"

#define MAX_UNIX_S 253402300799ull /* 9999-12-31T23:59:59Z */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), for y >= 1970. */
static uint64_t days_from_civil(uint64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    uint64_t era = y / 400;
    uint64_t yoe = y - era * 400;
    uint64_t doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(uint64_t z, uint64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    uint64_t era = z / 146097;
    uint64_t doe = z - era * 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t yy = yoe + era * 400;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yy + (*m <= 2);
}

static int is_leap(uint64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned days_in_month(uint64_t y, unsigned m)
{
    static const unsigned k[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : k[m - 1];
}

/* n decimal digits at s[*i], advancing *i */
static int digits(const char *s, size_t len, size_t *i, unsigned n, unsigned *v)
{
    unsigned x = 0;
    for (unsigned k = 0; k < n; k++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9')
            return 0;
        x = x * 10 + (unsigned)(s[*i] - '0');
        (*i)++;
    }
    *v = x;
    return 1;
}

static int expect(const char *s, size_t len, size_t *i, char c)
{
    if (*i >= len || s[*i] != c)
        return 0;
    (*i)++;
    return 1;
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

mcgk_err mcgk_xsd_datetime_parse(const char *s, size_t len, uint64_t *unix_s)
{
    if (s == NULL || unix_s == NULL)
        return MCGK_ERR_INVALID_ARG;
    while (len > 0 && is_ws(s[0])) {
        s++;
        len--;
    }
    while (len > 0 && is_ws(s[len - 1]))
        len--;
    size_t i = 0;
    unsigned y, mo, d, h, mi, se;
    if (!digits(s, len, &i, 4, &y) || !expect(s, len, &i, '-') || !digits(s, len, &i, 2, &mo) ||
        !expect(s, len, &i, '-') || !digits(s, len, &i, 2, &d) || !expect(s, len, &i, 'T') ||
        !digits(s, len, &i, 2, &h) || !expect(s, len, &i, ':') || !digits(s, len, &i, 2, &mi) ||
        !expect(s, len, &i, ':') || !digits(s, len, &i, 2, &se))
        return MCGK_ERR_MALFORMED;
    if (i < len && s[i] == '.') {
        i++;
        size_t start = i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return MCGK_ERR_MALFORMED;
    }
    int64_t tz_s = 0;
    if (i < len && s[i] == 'Z') {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int neg = s[i] == '-';
        i++;
        unsigned th, tm;
        if (!digits(s, len, &i, 2, &th) || !expect(s, len, &i, ':') ||
            !digits(s, len, &i, 2, &tm) || tm > 59 || th > 14 || (th == 14 && tm != 0))
            return MCGK_ERR_MALFORMED;
        tz_s = (int64_t)(th * 3600 + tm * 60);
        if (neg)
            tz_s = -tz_s;
    }
    if (i != len)
        return MCGK_ERR_MALFORMED;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
        mi > 59 || se > 59)
        return MCGK_ERR_MALFORMED;
    uint64_t t = days_from_civil(y, mo, d) * 86400u + h * 3600u + mi * 60u + se;
    /* local time = UTC + offset */
    if (tz_s > 0 && t < (uint64_t)tz_s)
        return MCGK_ERR_MALFORMED;
    t = tz_s >= 0 ? t - (uint64_t)tz_s : t + (uint64_t)(-tz_s);
    if (t > MAX_UNIX_S)
        return MCGK_ERR_MALFORMED; /* past 9999-12-31T23:59:59Z: cannot be written back */
    *unix_s = t;
    return MCGK_OK;
}

mcgk_err mcgk_xsd_datetime_format(uint64_t unix_s, char out[MCGK_KMS_DATETIME_LEN])
{
    if (out == NULL)
        return MCGK_ERR_INVALID_ARG;
    uint64_t days = unix_s / 86400, rem = unix_s % 86400;
    uint64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y > 9999)
        return MCGK_ERR_INVALID_ARG;
    unsigned h = (unsigned)(rem / 3600), mi = (unsigned)(rem / 60 % 60), se = (unsigned)(rem % 60);
    const unsigned v[6] = {(unsigned)y, m, d, h, mi, se};
    const unsigned w[6] = {4, 2, 2, 2, 2, 2};
    const char sep[6] = {'-', '-', 'T', ':', ':', 'Z'};
    size_t o = 0;
    for (int k = 0; k < 6; k++) {
        unsigned x = v[k];
        for (unsigned j = w[k]; j > 0; j--) {
            out[o + j - 1] = (char)('0' + x % 10);
            x /= 10;
        }
        o += w[k];
        out[o++] = sep[k];
    }
    out[o] = '\0';
    return MCGK_OK;
}

uint64_t mcgk_ntp64_to_ntp_s(uint64_t ntp64, uint64_t ref_ntp_s)
{
    uint64_t secs = ntp64 >> 32; /* seconds within an NTP era of 2^32 s (RFC 5905 §6) */
    uint64_t era = ref_ntp_s >> 32;
    uint64_t best = (era << 32) | secs;
    uint64_t best_dist = best > ref_ntp_s ? best - ref_ntp_s : ref_ntp_s - best;
    for (int k = -1; k <= 1; k += 2) {
        if (k < 0 && era == 0)
            continue;
        uint64_t e2 = k < 0 ? era - 1 : era + 1;
        if (e2 >= (1ull << 32))
            continue;
        uint64_t cand = (e2 << 32) | secs;
        uint64_t dist = cand > ref_ntp_s ? cand - ref_ntp_s : ref_ntp_s - cand;
        if (dist < best_dist) {
            best = cand;
            best_dist = dist;
        }
    }
    return best;
}
