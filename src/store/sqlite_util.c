/* SQLite plumbing shared by the stores - see sqlite_util.h. */
#include "store/sqlite_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

mcgk_err mcgk_sql_exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? MCGK_OK : MCGK_ERR_IO;
}

mcgk_err mcgk_sql_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
    *st = NULL;
    return sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK ? MCGK_OK : MCGK_ERR_IO;
}

mcgk_err mcgk_sql_begin(sqlite3 *db) { return mcgk_sql_exec(db, "BEGIN IMMEDIATE"); }

mcgk_err mcgk_sql_end(sqlite3 *db, mcgk_err e)
{
    if (e == MCGK_OK)
        e = mcgk_sql_exec(db, "COMMIT");
    if (e != MCGK_OK)
        mcgk_sql_exec(db, "ROLLBACK");
    return e;
}

mcgk_err mcgk_sql_open(const char *path, const char *schema, int busy_ms, sqlite3 **db)
{
    *db = NULL;
    /* create with 0600 before SQLite does (it would use 0644 & ~umask); SQLite
       gives the -wal and -shm files the database's mode */
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    else if (errno != EEXIST)
        return MCGK_ERR_IO;
    sqlite3 *h = NULL;
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) !=
        SQLITE_OK) {
        sqlite3_close(h);
        return MCGK_ERR_IO;
    }
    sqlite3_busy_timeout(h, busy_ms);
    mcgk_err e = mcgk_sql_exec(h, "PRAGMA journal_mode=WAL;"
                                  "PRAGMA synchronous=FULL;"
                                  "PRAGMA foreign_keys=ON;"
                                  "PRAGMA secure_delete=ON;");
    /* every statement of a schema is idempotent (IF NOT EXISTS, INSERT OR IGNORE):
       no transaction, so that opening an existing store takes no write lock */
    if (e == MCGK_OK)
        e = mcgk_sql_exec(h, schema);
    if (e != MCGK_OK) {
        sqlite3_close(h);
        return e;
    }
    *db = h;
    return MCGK_OK;
}

int mcgk_sql_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    return sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) == SQLITE_OK;
}

int mcgk_sql_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n)
{
    if (p == NULL)
        return sqlite3_bind_null(st, i) == SQLITE_OK;
    return sqlite3_bind_blob(st, i, p, (int)n, SQLITE_TRANSIENT) == SQLITE_OK;
}

int mcgk_sql_bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
    return sqlite3_bind_int64(st, i, (sqlite3_int64)v) == SQLITE_OK;
}

mcgk_err mcgk_sql_col_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    int n = sqlite3_column_bytes(st, i);
    if (t == NULL) {
        out[0] = '\0';
        return MCGK_OK;
    }
    if (n < 0 || (size_t)n >= cap)
        return MCGK_ERR_OVERSIZED;
    memcpy(out, t, (size_t)n);
    out[n] = '\0';
    return MCGK_OK;
}

mcgk_err mcgk_sql_col_blob(sqlite3_stmt *st, int i, void *out, size_t n)
{
    const void *b = sqlite3_column_blob(st, i);
    int len = sqlite3_column_bytes(st, i);
    if (b == NULL || len < 0 || (size_t)len != n)
        return MCGK_ERR_IO;
    memcpy(out, b, n);
    return MCGK_OK;
}

mcgk_err mcgk_sql_col_blob_upto(sqlite3_stmt *st, int i, uint8_t *out, size_t cap, size_t *len)
{
    const void *b = sqlite3_column_blob(st, i);
    int n = sqlite3_column_bytes(st, i);
    *len = 0;
    if (b == NULL || n <= 0)
        return MCGK_OK;
    if ((size_t)n > cap)
        return MCGK_ERR_OVERSIZED;
    memcpy(out, b, (size_t)n);
    *len = (size_t)n;
    return MCGK_OK;
}

uint64_t mcgk_sql_col_u64(sqlite3_stmt *st, int i) { return (uint64_t)sqlite3_column_int64(st, i); }

mcgk_err mcgk_sql_step_done(sqlite3_stmt *st, mcgk_err on_conflict)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return MCGK_OK;
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return on_conflict;
    return MCGK_ERR_IO;
}

int mcgk_sql_next_row(sqlite3_stmt *st, mcgk_err *e)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc != SQLITE_DONE)
        *e = MCGK_ERR_IO;
    return 0;
}

mcgk_err mcgk_sql_step_row(sqlite3_stmt *st, mcgk_err missing)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return MCGK_OK;
    return rc == SQLITE_DONE ? missing : MCGK_ERR_IO;
}

mcgk_err mcgk_sql_run(sqlite3 *db, mcgk_err on_conflict, const char *sql, const char *fmt, ...)
{
    sqlite3_stmt *st = NULL;
    mcgk_err e = mcgk_sql_prepare(db, sql, &st);
    va_list ap;
    va_start(ap, fmt);
    for (int i = 0; e == MCGK_OK && fmt[i] != '\0'; i++) {
        int ok = fmt[i] == 't' ? mcgk_sql_bind_text(st, i + 1, va_arg(ap, const char *))
                               : mcgk_sql_bind_u64(st, i + 1, va_arg(ap, uint64_t));
        if (!ok)
            e = MCGK_ERR_IO;
    }
    va_end(ap);
    if (e == MCGK_OK)
        e = mcgk_sql_step_done(st, on_conflict);
    sqlite3_finalize(st);
    return e;
}
