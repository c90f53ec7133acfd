/*
 * Structured logging to stderr. See platform/log.h.
 * Secrets: none pass through here by rule; values from peers are escaped.
 */
#include "platform/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static volatile int g_level = MCGK_LOG_INFO;

static const char *const k_names[] = {"debug", "info", "warn", "error", "off"};

void mcgk_log_set_level(mcgk_log_level level) { g_level = (int)level; }

int mcgk_log_enabled(mcgk_log_level level)
{
    return (int)level >= g_level && level < MCGK_LOG_OFF;
}

int mcgk_log_level_parse(const char *name, mcgk_log_level *level)
{
    for (int i = 0; i <= MCGK_LOG_OFF; i++) {
        if (name != NULL && strcmp(name, k_names[i]) == 0) {
            *level = (mcgk_log_level)i;
            return 1;
        }
    }
    return 0;
}

void mcgk_log(mcgk_log_level level, const char *comp, const char *event, const char *kv_fmt, ...)
{
    if ((int)level < g_level || level >= MCGK_LOG_OFF)
        return;
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line,
                     "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s comp=%s event=%s",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000L, k_names[level], comp ? comp : "-",
                     event ? event : "-");
    if (n < 0)
        return;
    size_t used = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (kv_fmt != NULL && kv_fmt[0] != '\0' && used + 2 < sizeof line) {
        line[used++] = ' ';
        va_list ap;
        va_start(ap, kv_fmt);
        int m = vsnprintf(line + used, sizeof line - used, kv_fmt, ap);
        va_end(ap);
        if (m > 0)
            used += (size_t)m < sizeof line - used ? (size_t)m : sizeof line - used - 1;
    }
    line[used] = '\0';
    flockfile(stderr);
    fputs(line, stderr);
    fputc('\n', stderr);
    fflush(stderr);
    funlockfile(stderr);
}

const char *mcgk_log_quote(const char *s, char *buf, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    if (buf == NULL || cap < 3)
        return "\"\"";
    if (s == NULL) {
        buf[0] = '-';
        buf[1] = '\0';
        return buf;
    }
    size_t o = 0;
    buf[o++] = '"';
    /* room for the closing quote, "..." and the NUL */
    size_t limit = cap > 6 ? cap - 5 : 1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char tmp[4];
        size_t k = 0;
        if (*p == '"' || *p == '\\') {
            tmp[k++] = '\\';
            tmp[k++] = (char)*p;
        } else if (*p < 0x20 || *p == 0x7f) {
            tmp[k++] = '\\';
            tmp[k++] = 'x';
            tmp[k++] = hex[*p >> 4];
            tmp[k++] = hex[*p & 15];
        } else {
            tmp[k++] = (char)*p;
        }
        if (o + k > limit) {
            if (cap > 6) {
                memcpy(buf + o, "...", 3);
                o += 3;
            }
            break;
        }
        memcpy(buf + o, tmp, k);
        o += k;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}
