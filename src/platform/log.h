/*
 * platform/log.h - structured log lines on stderr for the daemons (logfmt):
 *   ts=2024-05-01T12:00:00Z level=info comp=kms event=keyprov user="sip:a@b" period=637
 * Rules: name users, identities, key periods and key IDs; never key bytes,
 * tokens or passphrases. Any value that came from a peer goes through
 * mcgk_log_quote first (it escapes quotes, backslashes and control
 * characters, so a peer cannot forge log lines).
 */
#ifndef MCGK_PLATFORM_LOG_H
#define MCGK_PLATFORM_LOG_H

#include <stddef.h>

typedef enum mcgk_log_level {
    MCGK_LOG_DEBUG = 0,
    MCGK_LOG_INFO = 1,
    MCGK_LOG_WARN = 2,
    MCGK_LOG_ERROR = 3,
    MCGK_LOG_OFF = 4
} mcgk_log_level;

/* Lines below this level are dropped (default MCGK_LOG_INFO). */
void mcgk_log_set_level(mcgk_log_level level);
/* 1 when lines of this level are written (to skip building costly debug lines). */
int mcgk_log_enabled(mcgk_log_level level);
/* "debug", "info", "warn", "error", "off" -> level; returns 0 when unknown. */
int mcgk_log_level_parse(const char *name, mcgk_log_level *level);

/* One line: ts, level, comp, event, then the printf-formatted key=value pairs. */
void mcgk_log(mcgk_log_level level, const char *comp, const char *event, const char *kv_fmt,
              ...) __attribute__((format(printf, 4, 5)));

/*
 * Write s as a double-quoted logfmt value into buf (cap >= 3): quotes,
 * backslashes and control characters escaped, cut with "..." when it does
 * not fit. Returns buf. s == NULL gives "-".
 */
const char *mcgk_log_quote(const char *s, char *buf, size_t cap);

#endif
