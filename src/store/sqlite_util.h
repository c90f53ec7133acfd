/*
 * The SQLite plumbing every mcgk store shares (sqlite.c: KMS and client key
 * sets; gms_sqlite.c: the GMS; client_gmk_sqlite.c: the client's GMKs): one
 * way to open a database file, to bind and read columns with bounds, and to
 * run a statement or a transaction. Internal to src/store/.
 */
#ifndef MCGK_STORE_SQLITE_UTIL_H
#define MCGK_STORE_SQLITE_UTIL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "mcgk/error.h"

/* Opens (creating it with mode 0600 when missing) the database at path with
 * the mcgk settings - WAL journal, synchronous=FULL, foreign keys, secure
 * delete, a busy timeout of busy_ms so that the CLI and a running daemon share
 * the file, one serialized connection - and runs schema, whose statements
 * must be idempotent (CREATE ... IF NOT EXISTS, INSERT OR IGNORE).
 * The file is created with O_EXCL and never opened otherwise by mcgk itself:
 * closing any descriptor of a database file drops every POSIX lock this
 * process holds on it, those of connections already open included.
 * MCGK_ERR_IO on any failure (*db is then NULL). */
mcgk_err mcgk_sql_open(const char *path, const char *schema, int busy_ms, sqlite3 **db);

mcgk_err mcgk_sql_exec(sqlite3 *db, const char *sql);
/* *st = NULL on failure. */
mcgk_err mcgk_sql_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st);
/* BEGIN IMMEDIATE; mcgk_sql_end commits when e is MCGK_OK, else rolls back,
 * and returns the outcome. */
mcgk_err mcgk_sql_begin(sqlite3 *db);
mcgk_err mcgk_sql_end(sqlite3 *db, mcgk_err e);

/* Binders return 1 on success. A NULL blob binds SQL NULL. */
int mcgk_sql_bind_text(sqlite3_stmt *st, int i, const char *v);
int mcgk_sql_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n);
int mcgk_sql_bind_u64(sqlite3_stmt *st, int i, uint64_t v);

/* Text column into out (NUL-terminated; NULL reads as ""); MCGK_ERR_OVERSIZED
 * when it does not fit. */
mcgk_err mcgk_sql_col_text(sqlite3_stmt *st, int i, char *out, size_t cap);
/* A blob column of exactly n octets; anything else is a corrupt row (MCGK_ERR_IO). */
mcgk_err mcgk_sql_col_blob(sqlite3_stmt *st, int i, void *out, size_t n);
/* A blob column of at most cap octets, *len its length (0 for NULL);
 * MCGK_ERR_OVERSIZED when longer. */
mcgk_err mcgk_sql_col_blob_upto(sqlite3_stmt *st, int i, uint8_t *out, size_t cap, size_t *len);
uint64_t mcgk_sql_col_u64(sqlite3_stmt *st, int i);

/* Steps a statement that returns no rows: MCGK_OK, on_conflict for a
 * constraint violation, else MCGK_ERR_IO. */
mcgk_err mcgk_sql_step_done(sqlite3_stmt *st, mcgk_err on_conflict);
/* Steps a statement that returns rows: 1 with a row to read; 0 when there are
 * no more (*e untouched) or on an error (*e = MCGK_ERR_IO). The loop idiom:
 *   while (e == MCGK_OK && mcgk_sql_next_row(st, &e)) { ...read the row... } */
int mcgk_sql_next_row(sqlite3_stmt *st, mcgk_err *e);
/* Steps expecting one row: MCGK_OK, missing when there is none, else MCGK_ERR_IO. */
mcgk_err mcgk_sql_step_row(sqlite3_stmt *st, mcgk_err missing);
/* Prepares, binds and steps one statement without rows. fmt has one character
 * per parameter: 't' (const char *) or 'u' (uint64_t). A constraint violation
 * gives on_conflict. */
mcgk_err mcgk_sql_run(sqlite3 *db, mcgk_err on_conflict, const char *sql, const char *fmt, ...);

#endif
