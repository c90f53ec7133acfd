/*
 * SQLite implementations of the KMS store and a client's store
 * (store/store.h). WAL journal, synchronous=FULL, foreign keys on, a busy
 * timeout so that the CLI and a running daemon can share one file; the
 * database file is created with mode 0600 (SQLite gives its -wal and -shm
 * files the same mode). One connection per open store, one mutex around
 * each operation, so any thread may call.
 *
 * Secrets: none in clear - key columns hold sealed blobs (store/seal.h),
 * token columns SHA-256 hashes.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/sqlite_util.h"
#include "store/store.h"

#define BUSY_TIMEOUT_MS 10000

typedef struct sq {
    sqlite3 *db;
    pthread_mutex_t mu;
} sq;

static mcgk_err sq_exec(sq *q, const char *sql) { return mcgk_sql_exec(q->db, sql); }

static mcgk_err sq_open(const char *path, const char *schema, sq *q)
{
    mcgk_err e = mcgk_sql_open(path, schema, BUSY_TIMEOUT_MS, &q->db);
    if (e == MCGK_OK)
        pthread_mutex_init(&q->mu, NULL);
    return e;
}

static void sq_close(sq *q)
{
    if (q->db != NULL) {
        sqlite3_close(q->db);
        q->db = NULL;
        pthread_mutex_destroy(&q->mu);
    }
}

static mcgk_err sq_prepare(sq *q, const char *sql, sqlite3_stmt **st)
{
    return mcgk_sql_prepare(q->db, sql, st);
}

/* ================================ KMS ================================ */

static const char k_kms_schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta(key, value) VALUES('schema', 1), ('cache_num', 1);"
    "CREATE TABLE IF NOT EXISTS community("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  cert_xml TEXT NOT NULL, ring BLOB NOT NULL,"
    "  sealed_z BLOB NOT NULL, sealed_ksak BLOB NOT NULL, created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS users("
    "  uri TEXT PRIMARY KEY, role INTEGER NOT NULL, token_hash BLOB NOT NULL,"
    "  created INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS identities("
    "  uri TEXT NOT NULL REFERENCES users(uri) ON DELETE CASCADE,"
    "  identity TEXT NOT NULL, PRIMARY KEY (uri, identity));"
    "CREATE TABLE IF NOT EXISTS partners("
    "  kms_uri TEXT PRIMARY KEY, cert_xml TEXT NOT NULL, added INTEGER NOT NULL);";

typedef struct kms_sq {
    mcgk_kms_store base;
    sq q;
} kms_sq;

static sq *KQ(mcgk_kms_store *s) { return &((kms_sq *)s)->q; }

static mcgk_err k_community_put(mcgk_kms_store *s, const mcgk_kms_community_row *row)
{
    sq *q = KQ(s);
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&q->mu);
    mcgk_err e = sq_prepare(q,
                            "INSERT INTO community(id, cert_xml, ring, sealed_z, sealed_ksak, "
                            "created) VALUES(1, ?, ?, ?, ?, ?)",
                            &st);
    if (e == MCGK_OK &&
        !(mcgk_sql_bind_text(st, 1, row->cert_xml) && mcgk_sql_bind_blob(st, 2, row->ring, sizeof row->ring) &&
          mcgk_sql_bind_blob(st, 3, row->sealed_z, sizeof row->sealed_z) &&
          mcgk_sql_bind_blob(st, 4, row->sealed_ksak, sizeof row->sealed_ksak) &&
          mcgk_sql_bind_u64(st, 5, row->created_unix_s)))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_done(st, MCGK_ERR_EXISTS);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    return e;
}

static mcgk_err k_community_get(mcgk_kms_store *s, mcgk_kms_community_row *row)
{
    sq *q = KQ(s);
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&q->mu);
    mcgk_err e = sq_prepare(
        q, "SELECT cert_xml, ring, sealed_z, sealed_ksak, created FROM community WHERE id = 1",
        &st);
    if (e == MCGK_OK)
        e = mcgk_sql_step_row(st, MCGK_ERR_NOT_FOUND);
    if (e == MCGK_OK)
        e = mcgk_sql_col_text(st, 0, row->cert_xml, sizeof row->cert_xml);
    if (e == MCGK_OK)
        e = mcgk_sql_col_blob(st, 1, row->ring, sizeof row->ring);
    if (e == MCGK_OK)
        e = mcgk_sql_col_blob(st, 2, row->sealed_z, sizeof row->sealed_z);
    if (e == MCGK_OK)
        e = mcgk_sql_col_blob(st, 3, row->sealed_ksak, sizeof row->sealed_ksak);
    if (e == MCGK_OK)
        row->created_unix_s = mcgk_sql_col_u64(st, 4);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    return e;
}

/* identities of uri into u (mutex held) */
static mcgk_err load_identities(sq *q, mcgk_kms_user *u)
{
    sqlite3_stmt *st = NULL;
    mcgk_err e = sq_prepare(q, "SELECT identity FROM identities WHERE uri = ? ORDER BY identity",
                            &st);
    if (e == MCGK_OK && !mcgk_sql_bind_text(st, 1, u->uri))
        e = MCGK_ERR_IO;
    u->n_identities = 0;
    while (e == MCGK_OK && mcgk_sql_next_row(st, &e)) {
        if (u->n_identities == MCGK_KMS_MAX_IDENTITIES) {
            e = MCGK_ERR_OVERSIZED;
            break;
        }
        e = mcgk_sql_col_text(st, 0, u->identities[u->n_identities], MCGK_KMS_URI_MAX);
        if (e == MCGK_OK)
            u->n_identities++;
    }
    sqlite3_finalize(st);
    return e;
}

static mcgk_err user_from_row(sqlite3_stmt *st, mcgk_kms_user *u)
{
    memset(u, 0, sizeof *u);
    mcgk_err e = mcgk_sql_col_text(st, 0, u->uri, sizeof u->uri);
    if (e == MCGK_OK) {
        u->role = sqlite3_column_int(st, 1) == MCGK_KMS_ROLE_GMS ? MCGK_KMS_ROLE_GMS
                                                                 : MCGK_KMS_ROLE_USER;
        e = mcgk_sql_col_blob(st, 2, u->token_hash, sizeof u->token_hash);
    }
    if (e == MCGK_OK) {
        u->created_unix_s = mcgk_sql_col_u64(st, 3);
        u->revoked = sqlite3_column_int64(st, 4) != 0;
    }
    return e;
}

static mcgk_err k_user_add(mcgk_kms_store *s, const mcgk_kms_user *u)
{
    sq *q = KQ(s);
    sqlite3_stmt *st = NULL;
    if (u->n_identities > MCGK_KMS_MAX_IDENTITIES)
        return MCGK_ERR_OVERSIZED;
    pthread_mutex_lock(&q->mu);
    mcgk_err e = mcgk_sql_begin(q->db);
    if (e == MCGK_OK)
        e = sq_prepare(q,
                       "INSERT INTO users(uri, role, token_hash, created, revoked) "
                       "VALUES(?, ?, ?, ?, 0)",
                       &st);
    if (e == MCGK_OK &&
        !(mcgk_sql_bind_text(st, 1, u->uri) && sqlite3_bind_int(st, 2, (int)u->role) == SQLITE_OK &&
          mcgk_sql_bind_blob(st, 3, u->token_hash, sizeof u->token_hash) &&
          mcgk_sql_bind_u64(st, 4, u->created_unix_s)))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_done(st, MCGK_ERR_EXISTS);
    sqlite3_finalize(st);
    st = NULL;
    for (size_t i = 0; e == MCGK_OK && i < u->n_identities; i++) {
        e = sq_prepare(q, "INSERT OR IGNORE INTO identities(uri, identity) VALUES(?, ?)", &st);
        if (e == MCGK_OK && !(mcgk_sql_bind_text(st, 1, u->uri) && mcgk_sql_bind_text(st, 2, u->identities[i])))
            e = MCGK_ERR_IO;
        if (e == MCGK_OK)
            e = mcgk_sql_step_done(st, MCGK_ERR_IO);
        sqlite3_finalize(st);
        st = NULL;
    }
    e = mcgk_sql_end(q->db, e);
    pthread_mutex_unlock(&q->mu);
    return e;
}

static mcgk_err k_user_get(mcgk_kms_store *s, const char *uri, mcgk_kms_user *u)
{
    sq *q = KQ(s);
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&q->mu);
    mcgk_err e = sq_prepare(
        q, "SELECT uri, role, token_hash, created, revoked FROM users WHERE uri = ?", &st);
    if (e == MCGK_OK && !mcgk_sql_bind_text(st, 1, uri))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            e = MCGK_ERR_UNKNOWN_USER;
        else if (rc != SQLITE_ROW)
            e = MCGK_ERR_IO;
    }
    if (e == MCGK_OK)
        e = user_from_row(st, u);
    sqlite3_finalize(st);
    if (e == MCGK_OK)
        e = load_identities(q, u);
    pthread_mutex_unlock(&q->mu);
    return e;
}

static mcgk_err k_user_list(mcgk_kms_store *s, mcgk_kms_user_cb cb, void *ctx)
{
    sq *q = KQ(s);
    sqlite3_stmt *st = NULL;
    mcgk_kms_user *u = malloc(sizeof *u);
    if (u == NULL)
        return MCGK_ERR_NO_MEMORY;
    pthread_mutex_lock(&q->mu);
    mcgk_err e = sq_prepare(
        q, "SELECT uri, role, token_hash, created, revoked FROM users ORDER BY uri", &st);
    while (e == MCGK_OK && mcgk_sql_next_row(st, &e)) {
        e = user_from_row(st, u);
        if (e == MCGK_OK)
            e = load_identities(q, u);
        if (e == MCGK_OK && cb(ctx, u) != 0)
            break;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    free(u);
    return e;
}

static mcgk_err update_user(sq *q, const char *sql, const char *uri, const void *blob,
                            size_t blob_len, uint64_t num)
{
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&q->mu);
    mcgk_err e = sq_prepare(q, sql, &st);
    if (e == MCGK_OK && blob != NULL && !mcgk_sql_bind_blob(st, 1, blob, blob_len))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK && blob == NULL && !mcgk_sql_bind_u64(st, 1, num))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK && !mcgk_sql_bind_text(st, 2, uri))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_done(st, MCGK_ERR_IO);
    if (e == MCGK_OK && sqlite3_changes(q->db) == 0)
        e = MCGK_ERR_UNKNOWN_USER;
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    return e;
}

static mcgk_err k_user_revoke(mcgk_kms_store *s, const char *uri, uint64_t now_unix_s)
{
    /* revoked holds the time of revocation (never 0 for a revoked user) */
    return update_user(KQ(s),
                       "UPDATE users SET revoked = CASE WHEN revoked = 0 THEN max(?, 1) "
                       "ELSE revoked END WHERE uri = ?",
                       uri, NULL, 0, now_unix_s);
}

static mcgk_err k_user_set_token(mcgk_kms_store *s, const char *uri,
                                 const uint8_t hash[MCGK_KMS_TOKEN_HASH_LEN])
{
    return update_user(KQ(s), "UPDATE users SET token_hash = ?, revoked = 0 WHERE uri = ?", uri,
                       hash, MCGK_KMS_TOKEN_HASH_LEN, 0);
}

static mcgk_err k_user_grant(mcgk_kms_store *s, const char *uri, const char *identity)
{
    sq *q = KQ(s);
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&q->mu);
    mcgk_err e = mcgk_sql_begin(q->db);
    if (e == MCGK_OK)
        e = sq_prepare(q, "SELECT (SELECT count(*) FROM users WHERE uri = ?1), "
                          "(SELECT count(*) FROM identities WHERE uri = ?1)",
                       &st);
    if (e == MCGK_OK && !mcgk_sql_bind_text(st, 1, uri))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK && sqlite3_step(st) != SQLITE_ROW)
        e = MCGK_ERR_IO;
    if (e == MCGK_OK && sqlite3_column_int(st, 0) == 0)
        e = MCGK_ERR_UNKNOWN_USER;
    if (e == MCGK_OK && sqlite3_column_int(st, 1) >= MCGK_KMS_MAX_IDENTITIES)
        e = MCGK_ERR_OVERSIZED;
    sqlite3_finalize(st);
    st = NULL;
    if (e == MCGK_OK)
        e = sq_prepare(q, "INSERT INTO identities(uri, identity) VALUES(?, ?)", &st);
    if (e == MCGK_OK && !(mcgk_sql_bind_text(st, 1, uri) && mcgk_sql_bind_text(st, 2, identity)))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_done(st, MCGK_ERR_EXISTS);
    sqlite3_finalize(st);
    e = mcgk_sql_end(q->db, e);
    pthread_mutex_unlock(&q->mu);
    return e;
}

static mcgk_err k_partner_put(mcgk_kms_store *s, const mcgk_kms_partner_row *row)
{
    sq *q = KQ(s);
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&q->mu);
    mcgk_err e = mcgk_sql_begin(q->db);
    if (e == MCGK_OK)
        e = sq_prepare(q, "INSERT OR REPLACE INTO partners(kms_uri, cert_xml, added) "
                          "VALUES(?, ?, ?)",
                       &st);
    if (e == MCGK_OK && !(mcgk_sql_bind_text(st, 1, row->kms_uri) && mcgk_sql_bind_text(st, 2, row->cert_xml) &&
                          mcgk_sql_bind_u64(st, 3, row->added_unix_s)))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_done(st, MCGK_ERR_IO);
    sqlite3_finalize(st);
    if (e == MCGK_OK)
        e = sq_exec(q, "UPDATE meta SET value = value + 1 WHERE key = 'cache_num'");
    e = mcgk_sql_end(q->db, e);
    pthread_mutex_unlock(&q->mu);
    return e;
}

static mcgk_err k_partner_remove(mcgk_kms_store *s, const char *kms_uri)
{
    sq *q = KQ(s);
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&q->mu);
    mcgk_err e = mcgk_sql_begin(q->db);
    if (e == MCGK_OK)
        e = sq_prepare(q, "DELETE FROM partners WHERE kms_uri = ?", &st);
    if (e == MCGK_OK && !mcgk_sql_bind_text(st, 1, kms_uri))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_done(st, MCGK_ERR_IO);
    if (e == MCGK_OK && sqlite3_changes(q->db) == 0)
        e = MCGK_ERR_NOT_FOUND;
    sqlite3_finalize(st);
    if (e == MCGK_OK)
        e = sq_exec(q, "UPDATE meta SET value = value + 1 WHERE key = 'cache_num'");
    e = mcgk_sql_end(q->db, e);
    pthread_mutex_unlock(&q->mu);
    return e;
}

static mcgk_err k_partner_list(mcgk_kms_store *s, mcgk_kms_partner_cb cb, void *ctx)
{
    sq *q = KQ(s);
    sqlite3_stmt *st = NULL;
    mcgk_kms_partner_row *row = malloc(sizeof *row);
    if (row == NULL)
        return MCGK_ERR_NO_MEMORY;
    pthread_mutex_lock(&q->mu);
    mcgk_err e =
        sq_prepare(q, "SELECT kms_uri, cert_xml, added FROM partners ORDER BY kms_uri", &st);
    while (e == MCGK_OK && mcgk_sql_next_row(st, &e)) {
        e = mcgk_sql_col_text(st, 0, row->kms_uri, sizeof row->kms_uri);
        if (e == MCGK_OK)
            e = mcgk_sql_col_text(st, 1, row->cert_xml, sizeof row->cert_xml);
        row->added_unix_s = mcgk_sql_col_u64(st, 2);
        if (e == MCGK_OK && cb(ctx, row) != 0)
            break;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    free(row);
    return e;
}

static mcgk_err k_cache_num(mcgk_kms_store *s, uint64_t *n)
{
    sq *q = KQ(s);
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&q->mu);
    mcgk_err e = sq_prepare(q, "SELECT value FROM meta WHERE key = 'cache_num'", &st);
    if (e == MCGK_OK && sqlite3_step(st) != SQLITE_ROW)
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        *n = mcgk_sql_col_u64(st, 0);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    return e;
}

static void k_close(mcgk_kms_store *s)
{
    kms_sq *k = (kms_sq *)s;
    sq_close(&k->q);
    free(k);
}

static const mcgk_kms_store_ops k_kms_ops = {
    k_community_put, k_community_get, k_user_add,     k_user_get,       k_user_list,
    k_user_revoke,   k_user_set_token, k_user_grant,  k_partner_put,    k_partner_remove,
    k_partner_list,  k_cache_num,      k_close,
};

mcgk_err mcgk_kms_store_open_sqlite(const char *path, mcgk_kms_store **out)
{
    if (path == NULL || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    kms_sq *k = calloc(1, sizeof *k);
    if (k == NULL)
        return MCGK_ERR_NO_MEMORY;
    mcgk_err e = sq_open(path, k_kms_schema, &k->q);
    if (e != MCGK_OK) {
        free(k);
        return e;
    }
    k->base.ops = &k_kms_ops;
    *out = &k->base;
    return MCGK_OK;
}

void mcgk_kms_store_close(mcgk_kms_store *s)
{
    if (s != NULL)
        s->ops->close(s);
}

/* ================================ client ================================ */

static const char k_client_schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "INSERT OR IGNORE INTO meta(key, value) VALUES('schema', 1);"
    "CREATE TABLE IF NOT EXISTS certs("
    "  kms_uri TEXT PRIMARY KEY, home INTEGER NOT NULL, cert_xml TEXT NOT NULL,"
    "  fetched INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS keysets("
    "  identity TEXT NOT NULL, kms_uri TEXT NOT NULL, period_no INTEGER NOT NULL,"
    "  valid_from INTEGER, valid_to INTEGER, user_id BLOB NOT NULL, pvt BLOB NOT NULL,"
    "  sealed_rsk BLOB NOT NULL, sealed_ssk BLOB NOT NULL, fetched INTEGER NOT NULL,"
    "  PRIMARY KEY (identity, kms_uri, period_no));";

typedef struct client_sq {
    mcgk_client_store base;
    sq q;
} client_sq;

static sq *CQ(mcgk_client_store *s) { return &((client_sq *)s)->q; }

static mcgk_err c_ring_get(mcgk_client_store *s, uint8_t ring[MCGK_SEAL_RING_LEN])
{
    sq *q = CQ(s);
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&q->mu);
    mcgk_err e = sq_prepare(q, "SELECT value FROM meta WHERE key = 'ring'", &st);
    if (e == MCGK_OK) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            e = MCGK_ERR_NOT_FOUND;
        else if (rc != SQLITE_ROW)
            e = MCGK_ERR_IO;
        else
            e = mcgk_sql_col_blob(st, 0, ring, MCGK_SEAL_RING_LEN);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    return e;
}

static mcgk_err c_ring_put(mcgk_client_store *s, const uint8_t ring[MCGK_SEAL_RING_LEN])
{
    sq *q = CQ(s);
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&q->mu);
    mcgk_err e = sq_prepare(q, "INSERT INTO meta(key, value) VALUES('ring', ?)", &st);
    if (e == MCGK_OK && !mcgk_sql_bind_blob(st, 1, ring, MCGK_SEAL_RING_LEN))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_done(st, MCGK_ERR_EXISTS);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    return e;
}

static mcgk_err c_cert_put(mcgk_client_store *s, const mcgk_client_cert_row *row)
{
    sq *q = CQ(s);
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&q->mu);
    mcgk_err e = mcgk_sql_begin(q->db);
    if (e == MCGK_OK && row->home)
        e = sq_exec(q, "UPDATE certs SET home = 0");
    if (e == MCGK_OK)
        e = sq_prepare(q, "INSERT OR REPLACE INTO certs(kms_uri, home, cert_xml, fetched) "
                          "VALUES(?, ?, ?, ?)",
                       &st);
    if (e == MCGK_OK &&
        !(mcgk_sql_bind_text(st, 1, row->kms_uri) && sqlite3_bind_int(st, 2, row->home != 0) == SQLITE_OK &&
          mcgk_sql_bind_text(st, 3, row->cert_xml) && mcgk_sql_bind_u64(st, 4, row->fetched_unix_s)))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_done(st, MCGK_ERR_IO);
    sqlite3_finalize(st);
    e = mcgk_sql_end(q->db, e);
    pthread_mutex_unlock(&q->mu);
    return e;
}

static mcgk_err cert_from_row(sqlite3_stmt *st, mcgk_client_cert_row *row)
{
    mcgk_err e = mcgk_sql_col_text(st, 0, row->kms_uri, sizeof row->kms_uri);
    if (e == MCGK_OK) {
        row->home = sqlite3_column_int(st, 1) != 0;
        e = mcgk_sql_col_text(st, 2, row->cert_xml, sizeof row->cert_xml);
    }
    row->fetched_unix_s = mcgk_sql_col_u64(st, 3);
    return e;
}

static mcgk_err c_cert_get(mcgk_client_store *s, const char *kms_uri, mcgk_client_cert_row *row)
{
    sq *q = CQ(s);
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&q->mu);
    mcgk_err e = sq_prepare(q,
                            kms_uri ? "SELECT kms_uri, home, cert_xml, fetched FROM certs "
                                      "WHERE kms_uri = ?"
                                    : "SELECT kms_uri, home, cert_xml, fetched FROM certs "
                                      "WHERE home = 1",
                            &st);
    if (e == MCGK_OK && kms_uri && !mcgk_sql_bind_text(st, 1, kms_uri))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            e = MCGK_ERR_NOT_FOUND;
        else if (rc != SQLITE_ROW)
            e = MCGK_ERR_IO;
        else
            e = cert_from_row(st, row);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    return e;
}

static mcgk_err c_cert_list(mcgk_client_store *s, mcgk_client_cert_cb cb, void *ctx)
{
    sq *q = CQ(s);
    sqlite3_stmt *st = NULL;
    mcgk_client_cert_row *row = malloc(sizeof *row);
    if (row == NULL)
        return MCGK_ERR_NO_MEMORY;
    pthread_mutex_lock(&q->mu);
    mcgk_err e = sq_prepare(q,
                            "SELECT kms_uri, home, cert_xml, fetched FROM certs "
                            "ORDER BY home DESC, kms_uri",
                            &st);
    while (e == MCGK_OK && mcgk_sql_next_row(st, &e)) {
        e = cert_from_row(st, row);
        if (e == MCGK_OK && cb(ctx, row) != 0)
            break;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    free(row);
    return e;
}

static mcgk_err c_keyset_put(mcgk_client_store *s, const mcgk_client_keyset_row *r)
{
    sq *q = CQ(s);
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&q->mu);
    mcgk_err e = sq_prepare(q,
                            "INSERT OR REPLACE INTO keysets(identity, kms_uri, period_no, "
                            "valid_from, valid_to, user_id, pvt, sealed_rsk, sealed_ssk, "
                            "fetched) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            &st);
    if (e == MCGK_OK &&
        !(mcgk_sql_bind_text(st, 1, r->identity) && mcgk_sql_bind_text(st, 2, r->kms_uri) &&
          mcgk_sql_bind_u64(st, 3, r->period_no) &&
          (r->has_valid_from ? mcgk_sql_bind_u64(st, 4, r->valid_from_unix_s)
                             : sqlite3_bind_null(st, 4) == SQLITE_OK) &&
          (r->has_valid_to ? mcgk_sql_bind_u64(st, 5, r->valid_to_unix_s)
                           : sqlite3_bind_null(st, 5) == SQLITE_OK) &&
          mcgk_sql_bind_blob(st, 6, r->user_id, sizeof r->user_id) && mcgk_sql_bind_blob(st, 7, r->pvt, sizeof r->pvt) &&
          mcgk_sql_bind_blob(st, 8, r->sealed_rsk, sizeof r->sealed_rsk) &&
          mcgk_sql_bind_blob(st, 9, r->sealed_ssk, sizeof r->sealed_ssk) &&
          mcgk_sql_bind_u64(st, 10, r->fetched_unix_s)))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_done(st, MCGK_ERR_IO);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    return e;
}

#define KEYSET_COLS                                                                          \
    "identity, kms_uri, period_no, valid_from, valid_to, user_id, pvt, sealed_rsk, "         \
    "sealed_ssk, fetched"

static mcgk_err keyset_from_row(sqlite3_stmt *st, mcgk_client_keyset_row *r)
{
    memset(r, 0, sizeof *r);
    mcgk_err e = mcgk_sql_col_text(st, 0, r->identity, sizeof r->identity);
    if (e == MCGK_OK)
        e = mcgk_sql_col_text(st, 1, r->kms_uri, sizeof r->kms_uri);
    r->period_no = mcgk_sql_col_u64(st, 2);
    r->has_valid_from = sqlite3_column_type(st, 3) != SQLITE_NULL;
    r->valid_from_unix_s = mcgk_sql_col_u64(st, 3);
    r->has_valid_to = sqlite3_column_type(st, 4) != SQLITE_NULL;
    r->valid_to_unix_s = mcgk_sql_col_u64(st, 4);
    if (e == MCGK_OK)
        e = mcgk_sql_col_blob(st, 5, r->user_id, sizeof r->user_id);
    if (e == MCGK_OK)
        e = mcgk_sql_col_blob(st, 6, r->pvt, sizeof r->pvt);
    if (e == MCGK_OK)
        e = mcgk_sql_col_blob(st, 7, r->sealed_rsk, sizeof r->sealed_rsk);
    if (e == MCGK_OK)
        e = mcgk_sql_col_blob(st, 8, r->sealed_ssk, sizeof r->sealed_ssk);
    r->fetched_unix_s = mcgk_sql_col_u64(st, 9);
    return e;
}

static mcgk_err c_keyset_get(mcgk_client_store *s, const char *identity, const char *kms_uri,
                             uint64_t period_no, mcgk_client_keyset_row *r)
{
    sq *q = CQ(s);
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&q->mu);
    mcgk_err e = sq_prepare(q,
                            "SELECT " KEYSET_COLS " FROM keysets WHERE identity = ? AND "
                            "kms_uri = ? AND period_no = ?",
                            &st);
    if (e == MCGK_OK && !(mcgk_sql_bind_text(st, 1, identity) && mcgk_sql_bind_text(st, 2, kms_uri) &&
                          mcgk_sql_bind_u64(st, 3, period_no)))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            e = MCGK_ERR_NO_KEYS;
        else if (rc != SQLITE_ROW)
            e = MCGK_ERR_IO;
        else
            e = keyset_from_row(st, r);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    return e;
}

static mcgk_err c_keyset_list(mcgk_client_store *s, mcgk_client_keyset_cb cb, void *ctx)
{
    sq *q = CQ(s);
    sqlite3_stmt *st = NULL;
    mcgk_client_keyset_row *row = malloc(sizeof *row);
    if (row == NULL)
        return MCGK_ERR_NO_MEMORY;
    pthread_mutex_lock(&q->mu);
    mcgk_err e = sq_prepare(
        q, "SELECT " KEYSET_COLS " FROM keysets ORDER BY kms_uri, identity, period_no", &st);
    while (e == MCGK_OK && mcgk_sql_next_row(st, &e)) {
        e = keyset_from_row(st, row);
        if (e == MCGK_OK && cb(ctx, row) != 0)
            break;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    free(row);
    return e;
}

static mcgk_err c_keyset_prune(mcgk_client_store *s, const char *kms_uri, uint64_t period_no,
                               uint64_t *deleted)
{
    sq *q = CQ(s);
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&q->mu);
    mcgk_err e = sq_prepare(q, "DELETE FROM keysets WHERE kms_uri = ? AND period_no < ?", &st);
    if (e == MCGK_OK && !(mcgk_sql_bind_text(st, 1, kms_uri) && mcgk_sql_bind_u64(st, 2, period_no)))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_done(st, MCGK_ERR_IO);
    if (e == MCGK_OK && deleted != NULL)
        *deleted = (uint64_t)sqlite3_changes(q->db);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    return e;
}

static void c_close(mcgk_client_store *s)
{
    client_sq *c = (client_sq *)s;
    sq_close(&c->q);
    free(c);
}

static const mcgk_client_store_ops k_client_ops = {
    c_ring_get,   c_ring_put,    c_cert_put,     c_cert_get, c_cert_list,
    c_keyset_put, c_keyset_get, c_keyset_list, c_keyset_prune, c_close,
};

mcgk_err mcgk_client_store_open_sqlite(const char *path, mcgk_client_store **out)
{
    if (path == NULL || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    client_sq *c = calloc(1, sizeof *c);
    if (c == NULL)
        return MCGK_ERR_NO_MEMORY;
    mcgk_err e = sq_open(path, k_client_schema, &c->q);
    if (e != MCGK_OK) {
        free(c);
        return e;
    }
    c->base.ops = &k_client_ops;
    *out = &c->base;
    return MCGK_OK;
}

void mcgk_client_store_close(mcgk_client_store *s)
{
    if (s != NULL)
        s->ops->close(s);
}
