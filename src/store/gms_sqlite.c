/*
 * The GMS store on SQLite (see store/gms_store.h): WAL journal,
 * synchronous=FULL, foreign keys, a busy timeout so that the admin CLI and
 * the running `mcgk gms serve` share one file. One connection and one
 * mutex per open store. Every decision is one BEGIN IMMEDIATE transaction
 * (docs/architecture.md "State that must survive a crash"); the delivery
 * rows of a job are inserted by one INSERT ... SELECT over the members, so
 * a rotation for 10,000 members is one statement, not 10,000 round trips.
 *
 * Secrets: none in clear - GMKs are sealed blobs, tokens SHA-256 hashes;
 * the seal ring (wrapped DEK) lives in meta. secure_delete is on.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/gms_store.h"
#include "store/sqlite_util.h"

#define BUSY_TIMEOUT_MS 15000

struct mcgk_gms_store {
    sqlite3 *db;
    pthread_mutex_t mu;
};

static const char k_schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "INSERT OR IGNORE INTO meta(key, value) VALUES('schema', 1);"
    "CREATE TABLE IF NOT EXISTS groups("
    "  id TEXT PRIMARY KEY, name TEXT NOT NULL, gms_uri TEXT NOT NULL,"
    "  rekey INTEGER NOT NULL, created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS users("
    "  uri TEXT PRIMARY KEY, kms_uri TEXT NOT NULL, token_hash BLOB NOT NULL,"
    "  seq INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS users_token ON users(token_hash);"
    "CREATE TABLE IF NOT EXISTS members("
    "  group_id TEXT NOT NULL REFERENCES groups(id), uri TEXT NOT NULL REFERENCES users(uri),"
    "  authorised INTEGER NOT NULL, removed INTEGER NOT NULL, added INTEGER NOT NULL,"
    "  PRIMARY KEY(group_id, uri));"
    "CREATE INDEX IF NOT EXISTS members_uri ON members(uri);"
    "CREATE TABLE IF NOT EXISTS gmks("
    "  key_id INTEGER PRIMARY KEY, sealed BLOB NOT NULL, rand BLOB NOT NULL,"
    "  use INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0, activation INTEGER NOT NULL,"
    "  expiry INTEGER NOT NULL, text TEXT NOT NULL, created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS gmk_groups("
    "  key_id INTEGER NOT NULL REFERENCES gmks(key_id),"
    "  group_id TEXT NOT NULL REFERENCES groups(id), PRIMARY KEY(key_id, group_id));"
    "CREATE INDEX IF NOT EXISTS gmk_groups_group ON gmk_groups(group_id);"
    "CREATE TABLE IF NOT EXISTS jobs("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, kind INTEGER NOT NULL, push INTEGER NOT NULL,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS job_gmks("
    "  job_id INTEGER NOT NULL REFERENCES jobs(id), idx INTEGER NOT NULL,"
    "  key_id INTEGER NOT NULL REFERENCES gmks(key_id), PRIMARY KEY(job_id, idx));"
    "CREATE INDEX IF NOT EXISTS job_gmks_key ON job_gmks(key_id);"
    "CREATE TABLE IF NOT EXISTS job_groups("
    "  job_id INTEGER NOT NULL REFERENCES jobs(id), idx INTEGER NOT NULL,"
    "  group_id TEXT NOT NULL, PRIMARY KEY(job_id, idx));"
    "CREATE INDEX IF NOT EXISTS job_groups_group ON job_groups(group_id);"
    "CREATE TABLE IF NOT EXISTS deliveries("
    "  job_id INTEGER NOT NULL REFERENCES jobs(id), uri TEXT NOT NULL, mask INTEGER NOT NULL,"
    "  push INTEGER NOT NULL, state INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_ms INTEGER NOT NULL, status INTEGER NOT NULL DEFAULT 0,"
    "  reason TEXT NOT NULL DEFAULT '', seq INTEGER NOT NULL DEFAULT 0,"
    "  updated_ms INTEGER NOT NULL, PRIMARY KEY(job_id, uri)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(next_ms)"
    "  WHERE push = 1 AND state IN (0, 1);"
    "CREATE INDEX IF NOT EXISTS deliveries_uri ON deliveries(uri, state);"
    "CREATE TABLE IF NOT EXISTS bindings("
    "  aor TEXT PRIMARY KEY, contact TEXT NOT NULL, expires INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS pulls("
    "  uri TEXT NOT NULL, group_id TEXT NOT NULL, seq INTEGER NOT NULL,"
    "  key_ids TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY(uri, group_id));";

/* ---- plumbing (store/sqlite_util.h) ---- */

static mcgk_err prep(mcgk_gms_store *s, const char *sql, sqlite3_stmt **st)
{
    return mcgk_sql_prepare(s->db, sql, st);
}

static mcgk_err begin(mcgk_gms_store *s) { return mcgk_sql_begin(s->db); }

static mcgk_err end(mcgk_gms_store *s, mcgk_err e) { return mcgk_sql_end(s->db, e); }

#define run(s, sql, ...) mcgk_sql_run((s)->db, MCGK_ERR_EXISTS, sql, __VA_ARGS__)

/* ---- open / close ---- */

mcgk_err mcgk_gms_store_open(const char *path, mcgk_gms_store **out)
{
    if (path == NULL || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_gms_store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return MCGK_ERR_NO_MEMORY;
    mcgk_err e = mcgk_sql_open(path, k_schema, BUSY_TIMEOUT_MS, &s->db);
    if (e != MCGK_OK) {
        free(s);
        return e;
    }
    pthread_mutex_init(&s->mu, NULL);
    *out = s;
    return MCGK_OK;
}

void mcgk_gms_store_close(mcgk_gms_store *s)
{
    if (s == NULL)
        return;
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

#define LOCK(s) pthread_mutex_lock(&(s)->mu)
#define UNLOCK(s) pthread_mutex_unlock(&(s)->mu)

/* ---- meta ---- */

static mcgk_err meta_get(mcgk_gms_store *s, const char *key, void *out, size_t cap,
                         size_t *len, int text)
{
    sqlite3_stmt *st = NULL;
    mcgk_err e = prep(s, "SELECT value FROM meta WHERE key = ?", &st);
    if (e == MCGK_OK && !mcgk_sql_bind_text(st, 1, key))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_row(st, MCGK_ERR_NOT_FOUND);
    if (e == MCGK_OK) {
        const void *v = sqlite3_column_blob(st, 0);
        int n = sqlite3_column_bytes(st, 0);
        if (n < 0 || (size_t)n + (text ? 1 : 0) > cap)
            e = MCGK_ERR_OVERSIZED;
        else {
            if (n > 0)
                memcpy(out, v, (size_t)n);
            if (text)
                ((char *)out)[n] = '\0';
            *len = (size_t)n;
        }
    }
    sqlite3_finalize(st);
    return e;
}

static mcgk_err meta_put(mcgk_gms_store *s, const char *key, const void *v, size_t n)
{
    sqlite3_stmt *st = NULL;
    mcgk_err e = prep(s, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", &st);
    if (e == MCGK_OK && !(mcgk_sql_bind_text(st, 1, key) && mcgk_sql_bind_blob(st, 2, v, n)))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_done(st, MCGK_ERR_IO);
    sqlite3_finalize(st);
    return e;
}

mcgk_err mcgk_gms_store_config_get(mcgk_gms_store *s, const char *key, char *out, size_t cap)
{
    if (s == NULL || key == NULL || out == NULL || cap == 0)
        return MCGK_ERR_INVALID_ARG;
    size_t n = 0;
    LOCK(s);
    mcgk_err e = meta_get(s, key, out, cap, &n, 1);
    UNLOCK(s);
    return e;
}

mcgk_err mcgk_gms_store_config_set(mcgk_gms_store *s, const char *key, const char *value)
{
    if (s == NULL || key == NULL || value == NULL)
        return MCGK_ERR_INVALID_ARG;
    LOCK(s);
    mcgk_err e = meta_put(s, key, value, strlen(value));
    UNLOCK(s);
    return e;
}

mcgk_err mcgk_gms_store_unlock(mcgk_gms_store *s, const mcgk_seal_kek_source *src,
                               uint8_t scrypt_log2_n, const mcgk_rng *rng,
                               uint8_t dek[MCGK_SEAL_KEY_LEN])
{
    if (s == NULL || src == NULL || dek == NULL)
        return MCGK_ERR_INVALID_ARG;
    uint8_t enc[MCGK_SEAL_RING_LEN];
    size_t n = 0;
    mcgk_seal_ring ring;
    LOCK(s);
    mcgk_err e = begin(s);
    if (e == MCGK_OK) {
        e = meta_get(s, "ring", enc, sizeof enc, &n, 0);
        if (e == MCGK_OK) {
            e = mcgk_seal_ring_decode(enc, n, &ring);
            if (e == MCGK_OK)
                e = mcgk_seal_ring_open(&ring, src, dek);
        } else if (e == MCGK_ERR_NOT_FOUND) {
            e = mcgk_seal_ring_create(src, scrypt_log2_n, rng, &ring, dek);
            if (e == MCGK_OK) {
                mcgk_seal_ring_encode(&ring, enc);
                e = meta_put(s, "ring", enc, sizeof enc);
            }
            if (e != MCGK_OK)
                mcgk_wipe(dek, MCGK_SEAL_KEY_LEN);
        }
        e = end(s, e);
    }
    UNLOCK(s);
    return e;
}

/* ---- groups ---- */

mcgk_err mcgk_gms_store_group_create(mcgk_gms_store *s, const mcgk_gms_group_row *r)
{
    if (s == NULL || r == NULL)
        return MCGK_ERR_INVALID_ARG;
    LOCK(s);
    mcgk_err e = run(s,
                     "INSERT INTO groups(id, name, gms_uri, rekey, created) "
                     "VALUES(?, ?, ?, ?, ?)",
                     "tttuu", r->id, r->name, r->gms_uri, (uint64_t)(r->rekey_on_removal != 0),
                     r->created_unix_s);
    UNLOCK(s);
    return e;
}

#define GROUP_COLS                                                                           \
    "SELECT g.id, g.name, g.gms_uri, g.rekey, g.created,"                                     \
    " (SELECT count(*) FROM members m WHERE m.group_id = g.id AND m.removed = 0),"            \
    " (SELECT count(*) FROM members m WHERE m.group_id = g.id AND m.removed = 0"              \
    "  AND m.authorised = 1) FROM groups g"

static mcgk_err group_from(sqlite3_stmt *st, mcgk_gms_group_row *r)
{
    memset(r, 0, sizeof *r);
    mcgk_err e = mcgk_sql_col_text(st, 0, r->id, sizeof r->id);
    if (e == MCGK_OK)
        e = mcgk_sql_col_text(st, 1, r->name, sizeof r->name);
    if (e == MCGK_OK)
        e = mcgk_sql_col_text(st, 2, r->gms_uri, sizeof r->gms_uri);
    r->rekey_on_removal = sqlite3_column_int(st, 3) != 0;
    r->created_unix_s = mcgk_sql_col_u64(st, 4);
    r->n_members = mcgk_sql_col_u64(st, 5);
    r->n_authorised = mcgk_sql_col_u64(st, 6);
    return e;
}

static mcgk_err group_get_locked(mcgk_gms_store *s, const char *id, mcgk_gms_group_row *r)
{
    sqlite3_stmt *st = NULL;
    mcgk_err e = r == NULL ? prep(s, "SELECT 1 FROM groups WHERE id = ?", &st)
                           : prep(s, GROUP_COLS " WHERE g.id = ?", &st);
    if (e == MCGK_OK && !mcgk_sql_bind_text(st, 1, id))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_row(st, MCGK_ERR_NOT_FOUND);
    if (e == MCGK_OK && r != NULL)
        e = group_from(st, r);
    sqlite3_finalize(st);
    return e;
}

mcgk_err mcgk_gms_store_group_get(mcgk_gms_store *s, const char *id, mcgk_gms_group_row *r)
{
    if (s == NULL || id == NULL || r == NULL)
        return MCGK_ERR_INVALID_ARG;
    LOCK(s);
    mcgk_err e = group_get_locked(s, id, r);
    UNLOCK(s);
    return e;
}

mcgk_err mcgk_gms_store_group_get_basic(mcgk_gms_store *s, const char *id,
                                        mcgk_gms_group_row *r)
{
    if (s == NULL || id == NULL || r == NULL)
        return MCGK_ERR_INVALID_ARG;
    sqlite3_stmt *st = NULL;
    LOCK(s);
    mcgk_err e = prep(s,
                      "SELECT g.id, g.name, g.gms_uri, g.rekey, g.created, 0, 0 FROM groups g"
                      " WHERE g.id = ?",
                      &st);
    if (e == MCGK_OK && !mcgk_sql_bind_text(st, 1, id))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_row(st, MCGK_ERR_NOT_FOUND);
    if (e == MCGK_OK)
        e = group_from(st, r);
    sqlite3_finalize(st);
    UNLOCK(s);
    return e;
}

mcgk_err mcgk_gms_store_group_list(mcgk_gms_store *s, mcgk_gms_group_cb cb, void *ctx)
{
    if (s == NULL || cb == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_gms_group_row r;
    sqlite3_stmt *st = NULL;
    LOCK(s);
    mcgk_err e = prep(s, GROUP_COLS " ORDER BY g.id", &st);
    while (e == MCGK_OK && mcgk_sql_next_row(st, &e)) {
        e = group_from(st, &r);
        if (e == MCGK_OK && cb(ctx, &r) != 0)
            break;
    }
    sqlite3_finalize(st);
    UNLOCK(s);
    return e;
}

/* ---- jobs (mutex held, inside a transaction) ---- */

static mcgk_err job_new(mcgk_gms_store *s, int kind, int push, uint64_t now, uint64_t *id)
{
    mcgk_err e = run(s, "INSERT INTO jobs(kind, push, created) VALUES(?, ?, ?)", "uuu",
                     (uint64_t)kind, (uint64_t)push, now);
    if (e == MCGK_OK)
        *id = (uint64_t)sqlite3_last_insert_rowid(s->db);
    return e;
}

static mcgk_err job_add_gmk(mcgk_gms_store *s, uint64_t job, size_t idx, uint32_t key_id)
{
    return run(s, "INSERT INTO job_gmks(job_id, idx, key_id) VALUES(?, ?, ?)", "uuu", job,
               (uint64_t)idx, (uint64_t)key_id);
}

static mcgk_err job_add_group(mcgk_gms_store *s, uint64_t job, size_t idx, const char *group)
{
    return run(s, "INSERT INTO job_groups(job_id, idx, group_id) VALUES(?, ?, ?)", "uut", job,
               (uint64_t)idx, group);
}

/* One delivery per authorised current member of the job's groups, mask = the
 * job's groups that member is in. push: due now; pull: waits (next_ms 0). */
static mcgk_err job_fanout(mcgk_gms_store *s, uint64_t job, int push, uint64_t now_ms,
                           uint64_t *n)
{
    mcgk_err e = run(s,
                     "INSERT INTO deliveries(job_id, uri, mask, push, state, next_ms, updated_ms)"
                     " SELECT jg.job_id, m.uri, sum(1 << jg.idx), ?, 0, ?, ?"
                     " FROM job_groups jg JOIN members m ON m.group_id = jg.group_id"
                     " WHERE jg.job_id = ? AND m.removed = 0 AND m.authorised = 1"
                     " GROUP BY m.uri",
                     "uuuu", (uint64_t)(push != 0), push ? now_ms : 0, now_ms, job);
    if (e == MCGK_OK && n != NULL)
        *n = (uint64_t)sqlite3_changes(s->db);
    return e;
}

/* the GMKs of a group, for mcgk_gms_current_gmks (mutex held) */
static mcgk_err group_gmk_infos(mcgk_gms_store *s, const char *group, mcgk_gms_gmk_info *out,
                                size_t cap, size_t *n)
{
    sqlite3_stmt *st = NULL;
    *n = 0;
    mcgk_err e = prep(s,
                      "SELECT k.key_id, k.use, k.revoked, k.activation, k.expiry, k.created"
                      " FROM gmks k JOIN gmk_groups gg ON gg.key_id = k.key_id"
                      " WHERE gg.group_id = ? AND k.revoked = 0"
                      " ORDER BY k.activation DESC, k.created DESC, k.key_id DESC LIMIT ?",
                      &st);
    if (e == MCGK_OK && !(mcgk_sql_bind_text(st, 1, group) && mcgk_sql_bind_u64(st, 2, cap)))
        e = MCGK_ERR_IO;
    while (e == MCGK_OK && mcgk_sql_next_row(st, &e)) {
        mcgk_gms_gmk_info *g = &out[(*n)++];
        memset(g, 0, sizeof *g);
        g->key_id = (uint32_t)mcgk_sql_col_u64(st, 0);
        g->use = sqlite3_column_int(st, 1) == MCGK_GMK_USE_FLOOR_CONTROL
                     ? MCGK_GMK_USE_FLOOR_CONTROL
                     : MCGK_GMK_USE_MEDIA;
        g->revoked = sqlite3_column_int(st, 2) != 0;
        g->activation_unix_s = mcgk_sql_col_u64(st, 3);
        g->expiry_unix_s = mcgk_sql_col_u64(st, 4);
        g->created_unix_s = mcgk_sql_col_u64(st, 5);
    }
    sqlite3_finalize(st);
    return e;
}

#define INFO_CAP 64

/* An "add" job for one member: the group's current GMKs (R-001-28). */
static mcgk_err add_job(mcgk_gms_store *s, const char *group, const char *uri, uint64_t now,
                        uint64_t *job)
{
    mcgk_gms_gmk_info *infos = calloc(INFO_CAP, sizeof *infos);
    if (infos == NULL)
        return MCGK_ERR_NO_MEMORY;
    size_t n = 0, idx[MCGK_GMS_DOC_GMKS];
    mcgk_err e = group_gmk_infos(s, group, infos, INFO_CAP, &n);
    size_t k = e == MCGK_OK ? mcgk_gms_current_gmks(infos, n, now, idx, MCGK_GMS_DOC_GMKS) : 0;
    if (e == MCGK_OK)
        e = job_new(s, MCGK_GMS_JOB_ADD, 1, now, job);
    for (size_t i = 0; i < k && e == MCGK_OK; i++)
        e = job_add_gmk(s, *job, i, infos[idx[i]].key_id);
    if (e == MCGK_OK)
        e = job_add_group(s, *job, 0, group);
    if (e == MCGK_OK)
        e = run(s,
                "INSERT INTO deliveries(job_id, uri, mask, push, state, next_ms, updated_ms)"
                " VALUES(?, ?, 1, 1, 0, ?, ?)",
                "utuu", *job, uri, now * 1000, now * 1000);
    free(infos);
    return e;
}

/* ---- members ---- */

/* add one member (mutex held, in a transaction) */
static mcgk_err member_add_locked(mcgk_gms_store *s, const char *group_id, const char *uri,
                                  const char *kms_uri, int authorised, const uint8_t *token_hash,
                                  uint64_t now, uint64_t *job_id, int *created_out)
{
    int created = 0;
    sqlite3_stmt *st = NULL;
    mcgk_err e = prep(s, "SELECT kms_uri FROM users WHERE uri = ?", &st);
    if (e == MCGK_OK && !mcgk_sql_bind_text(st, 1, uri))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK) {
        e = mcgk_sql_step_row(st, MCGK_ERR_NOT_FOUND);
        if (e == MCGK_ERR_NOT_FOUND) {
            created = 1;
            e = MCGK_OK;
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    if (e == MCGK_OK && created) {
        if (token_hash == NULL)
            e = MCGK_ERR_INVALID_ARG;
        if (e == MCGK_OK)
            e = prep(s,
                     "INSERT INTO users(uri, kms_uri, token_hash, seq, created) "
                     "VALUES(?, ?, ?, 0, ?)",
                     &st);
        if (e == MCGK_OK &&
            !(mcgk_sql_bind_text(st, 1, uri) && mcgk_sql_bind_text(st, 2, kms_uri ? kms_uri : "") &&
              mcgk_sql_bind_blob(st, 3, token_hash, MCGK_KMS_TOKEN_HASH_LEN) && mcgk_sql_bind_u64(st, 4, now)))
            e = MCGK_ERR_IO;
        if (e == MCGK_OK)
            e = mcgk_sql_step_done(st, MCGK_ERR_EXISTS);
        sqlite3_finalize(st);
        st = NULL;
    } else if (e == MCGK_OK) {
        if (kms_uri != NULL)
            e = run(s, "UPDATE users SET kms_uri = ? WHERE uri = ?", "tt", kms_uri, uri);
        if (e == MCGK_OK && token_hash != NULL) {
            e = prep(s, "UPDATE users SET token_hash = ? WHERE uri = ?", &st);
            if (e == MCGK_OK &&
                !(mcgk_sql_bind_blob(st, 1, token_hash, MCGK_KMS_TOKEN_HASH_LEN) && mcgk_sql_bind_text(st, 2, uri)))
                e = MCGK_ERR_IO;
            if (e == MCGK_OK)
                e = mcgk_sql_step_done(st, MCGK_ERR_IO);
            sqlite3_finalize(st);
            st = NULL;
        }
    }
    /* the membership: new, or a removed member back */
    if (e == MCGK_OK)
        e = prep(s, "SELECT removed FROM members WHERE group_id = ? AND uri = ?", &st);
    if (e == MCGK_OK && !(mcgk_sql_bind_text(st, 1, group_id) && mcgk_sql_bind_text(st, 2, uri)))
        e = MCGK_ERR_IO;
    int exists = 0;
    if (e == MCGK_OK) {
        e = mcgk_sql_step_row(st, MCGK_ERR_NOT_FOUND);
        if (e == MCGK_OK) {
            exists = 1;
            if (sqlite3_column_int(st, 0) == 0)
                e = MCGK_ERR_EXISTS;
        } else if (e == MCGK_ERR_NOT_FOUND) {
            e = MCGK_OK;
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    if (e == MCGK_OK)
        e = exists ? run(s,
                         "UPDATE members SET removed = 0, authorised = ?, added = ? "
                         "WHERE group_id = ? AND uri = ?",
                         "uutt", (uint64_t)(authorised != 0), now, group_id, uri)
                   : run(s,
                         "INSERT INTO members(group_id, uri, authorised, removed, added) "
                         "VALUES(?, ?, ?, 0, ?)",
                         "ttuu", group_id, uri, (uint64_t)(authorised != 0), now);
    /* R-001-27/28: the GMK only once authorised */
    if (e == MCGK_OK && authorised)
        e = add_job(s, group_id, uri, now, job_id);
    if (e == MCGK_OK && created_out != NULL)
        *created_out = created;
    return e;
}

mcgk_err mcgk_gms_store_member_add(mcgk_gms_store *s, const char *group_id, const char *uri,
                                   const char *kms_uri, int authorised,
                                   const uint8_t *token_hash, uint64_t now, uint64_t *job_id,
                                   int *new_user)
{
    if (s == NULL || group_id == NULL || uri == NULL || job_id == NULL)
        return MCGK_ERR_INVALID_ARG;
    *job_id = 0;
    int created = 0;
    LOCK(s);
    mcgk_err e = begin(s);
    if (e == MCGK_OK) {
        e = group_get_locked(s, group_id, NULL);
        if (e == MCGK_OK)
            e = member_add_locked(s, group_id, uri, kms_uri, authorised, token_hash, now, job_id,
                                  &created);
        e = end(s, e);
    }
    UNLOCK(s);
    if (e != MCGK_OK)
        *job_id = 0;
    else if (new_user != NULL)
        *new_user = created;
    return e;
}

mcgk_err mcgk_gms_store_member_add_many(mcgk_gms_store *s, const char *group_id,
                                        const mcgk_gms_new_member *m, size_t n, int authorised,
                                        uint64_t now, size_t *added)
{
    if (s == NULL || group_id == NULL || (m == NULL && n != 0))
        return MCGK_ERR_INVALID_ARG;
    size_t k = 0;
    LOCK(s);
    mcgk_err e = begin(s);
    if (e == MCGK_OK) {
        e = group_get_locked(s, group_id, NULL);
        for (size_t i = 0; e == MCGK_OK && i < n; i++) {
            uint64_t job = 0;
            if (m[i].uri == NULL)
                e = MCGK_ERR_INVALID_ARG;
            if (e == MCGK_OK)
                e = member_add_locked(s, group_id, m[i].uri, m[i].kms_uri, authorised,
                                      m[i].token_hash, now, &job, NULL);
            if (e == MCGK_ERR_EXISTS)
                e = MCGK_OK; /* already a member: nothing to do */
            else if (e == MCGK_OK)
                k++;
        }
        e = end(s, e);
    }
    UNLOCK(s);
    if (added != NULL)
        *added = e == MCGK_OK ? k : 0;
    return e;
}

mcgk_err mcgk_gms_store_member_authorise(mcgk_gms_store *s, const char *group_id,
                                         const char *uri, uint64_t now, uint64_t *job_id)
{
    if (s == NULL || group_id == NULL || uri == NULL || job_id == NULL)
        return MCGK_ERR_INVALID_ARG;
    *job_id = 0;
    sqlite3_stmt *st = NULL;
    LOCK(s);
    mcgk_err e = begin(s);
    if (e == MCGK_OK)
        e = prep(s, "SELECT authorised FROM members WHERE group_id = ? AND uri = ? "
                    "AND removed = 0",
                 &st);
    if (e == MCGK_OK && !(mcgk_sql_bind_text(st, 1, group_id) && mcgk_sql_bind_text(st, 2, uri)))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_row(st, MCGK_ERR_NOT_FOUND);
    int already = e == MCGK_OK && sqlite3_column_int(st, 0) != 0;
    sqlite3_finalize(st);
    if (e == MCGK_OK && !already) {
        e = run(s, "UPDATE members SET authorised = 1 WHERE group_id = ? AND uri = ?", "tt",
                group_id, uri);
        if (e == MCGK_OK)
            e = add_job(s, group_id, uri, now, job_id);
    }
    e = end(s, e);
    UNLOCK(s);
    if (e != MCGK_OK)
        *job_id = 0;
    return e;
}

/* record a rotation (mutex held, in a transaction) */
static mcgk_err rotate_locked(mcgk_gms_store *s, const mcgk_gms_rotation *r, uint64_t now,
                              uint64_t *job, uint64_t *n)
{
    if (r->n_gmks == 0 || r->n_gmks > MCGK_GMS_JOB_GMKS || r->n_groups == 0 ||
        r->n_groups > MCGK_GMS_JOB_GROUPS)
        return MCGK_ERR_INVALID_ARG;
    mcgk_err e = MCGK_OK;
    for (size_t i = 0; i < r->n_groups && e == MCGK_OK; i++) {
        if (r->groups[i] == NULL)
            return MCGK_ERR_INVALID_ARG;
        e = group_get_locked(s, r->groups[i], NULL);
    }
    if (e == MCGK_OK)
        e = job_new(s, MCGK_GMS_JOB_ROTATE, r->push, now, job);
    for (size_t i = 0; i < r->n_gmks && e == MCGK_OK; i++) {
        sqlite3_stmt *st = NULL;
        e = prep(s,
                 "INSERT INTO gmks(key_id, sealed, rand, use, revoked, activation, expiry,"
                 " text, created) VALUES(?, ?, ?, ?, 0, ?, ?, ?, ?)",
                 &st);
        if (e == MCGK_OK &&
            !(mcgk_sql_bind_u64(st, 1, r->key_ids[i]) && mcgk_sql_bind_blob(st, 2, r->sealed[i], MCGK_GMS_SEALED_GMK_LEN) &&
              mcgk_sql_bind_blob(st, 3, r->rands[i], MCGK_GMK_RAND_LEN) && mcgk_sql_bind_u64(st, 4, (uint64_t)r->uses[i]) &&
              mcgk_sql_bind_u64(st, 5, r->activation_unix_s) && mcgk_sql_bind_u64(st, 6, r->expiry_unix_s) &&
              mcgk_sql_bind_text(st, 7, r->text != NULL ? r->text : "") && mcgk_sql_bind_u64(st, 8, now)))
            e = MCGK_ERR_IO;
        if (e == MCGK_OK)
            e = mcgk_sql_step_done(st, MCGK_ERR_EXISTS);
        sqlite3_finalize(st);
        if (e == MCGK_OK)
            e = job_add_gmk(s, *job, i, r->key_ids[i]);
        for (size_t g = 0; g < r->n_groups && e == MCGK_OK; g++)
            e = run(s, "INSERT OR IGNORE INTO gmk_groups(key_id, group_id) VALUES(?, ?)", "ut",
                    (uint64_t)r->key_ids[i], r->groups[g]);
    }
    for (size_t g = 0; g < r->n_groups && e == MCGK_OK; g++)
        e = job_add_group(s, *job, g, r->groups[g]);
    if (e == MCGK_OK)
        e = job_fanout(s, *job, r->push, now * 1000, n);
    return e;
}

mcgk_err mcgk_gms_store_member_remove(mcgk_gms_store *s, const char *group_id, const char *uri,
                                      const mcgk_gms_rotation *rotate, uint64_t now,
                                      uint64_t *remove_job, uint64_t *rotate_job)
{
    if (s == NULL || group_id == NULL || uri == NULL || remove_job == NULL ||
        rotate_job == NULL)
        return MCGK_ERR_INVALID_ARG;
    *remove_job = *rotate_job = 0;
    sqlite3_stmt *st = NULL;
    LOCK(s);
    mcgk_err e = begin(s);
    if (e == MCGK_OK)
        e = prep(s, "SELECT authorised FROM members WHERE group_id = ? AND uri = ? "
                    "AND removed = 0",
                 &st);
    if (e == MCGK_OK && !(mcgk_sql_bind_text(st, 1, group_id) && mcgk_sql_bind_text(st, 2, uri)))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_row(st, MCGK_ERR_NOT_FOUND);
    int authorised = e == MCGK_OK && sqlite3_column_int(st, 0) != 0;
    sqlite3_finalize(st);
    if (e == MCGK_OK)
        e = run(s, "UPDATE members SET removed = 1 WHERE group_id = ? AND uri = ?", "tt",
                group_id, uri);
    /* the group leaves the member's outstanding deliveries; none left: cancelled */
    if (e == MCGK_OK)
        e = run(s,
                "UPDATE deliveries SET mask = mask & ~(1 << (SELECT jg.idx FROM job_groups jg"
                " WHERE jg.job_id = deliveries.job_id AND jg.group_id = ?1)), updated_ms = ?3"
                " WHERE uri = ?2 AND state IN (0, 1)"
                " AND job_id IN (SELECT job_id FROM job_groups WHERE group_id = ?1)"
                " AND job_id IN (SELECT id FROM jobs WHERE kind IN (1, 2, 3))",
                "ttu", group_id, uri, now * 1000);
    if (e == MCGK_OK)
        e = run(s,
                "UPDATE deliveries SET state = 4, reason = 'member removed', updated_ms = ?"
                " WHERE uri = ? AND state IN (0, 1) AND mask = 0",
                "ut", now * 1000, uri);
    /* R-001-25 / R-001-33: tell the member (it deletes the GMK unless another of its
       groups uses it) */
    if (e == MCGK_OK && authorised) {
        e = job_new(s, MCGK_GMS_JOB_REMOVE, 1, now, remove_job);
        if (e == MCGK_OK)
            e = job_add_group(s, *remove_job, 0, group_id);
        if (e == MCGK_OK)
            e = run(s,
                    "INSERT INTO deliveries(job_id, uri, mask, push, state, next_ms, updated_ms)"
                    " VALUES(?, ?, 1, 1, 0, ?, ?)",
                    "utuu", *remove_job, uri, now * 1000, now * 1000);
    }
    /* R-001-24: a new GMK for those who remain, when the profile says so */
    uint64_t n = 0;
    if (e == MCGK_OK && rotate != NULL)
        e = rotate_locked(s, rotate, now, rotate_job, &n);
    e = end(s, e);
    UNLOCK(s);
    if (e != MCGK_OK)
        *remove_job = *rotate_job = 0;
    return e;
}

#define MEMBER_COLS                                                                          \
    "SELECT m.group_id, m.uri, u.kms_uri, m.authorised, m.removed, m.added"                  \
    " FROM members m JOIN users u ON u.uri = m.uri"

static mcgk_err member_from(sqlite3_stmt *st, mcgk_gms_member_row *r)
{
    memset(r, 0, sizeof *r);
    mcgk_err e = mcgk_sql_col_text(st, 0, r->group_id, sizeof r->group_id);
    if (e == MCGK_OK)
        e = mcgk_sql_col_text(st, 1, r->uri, sizeof r->uri);
    if (e == MCGK_OK)
        e = mcgk_sql_col_text(st, 2, r->kms_uri, sizeof r->kms_uri);
    r->authorised = sqlite3_column_int(st, 3) != 0;
    r->removed = sqlite3_column_int(st, 4) != 0;
    r->added_unix_s = mcgk_sql_col_u64(st, 5);
    return e;
}

mcgk_err mcgk_gms_store_member_get(mcgk_gms_store *s, const char *group_id, const char *uri,
                                   mcgk_gms_member_row *row)
{
    if (s == NULL || group_id == NULL || uri == NULL || row == NULL)
        return MCGK_ERR_INVALID_ARG;
    sqlite3_stmt *st = NULL;
    LOCK(s);
    mcgk_err e = prep(s, MEMBER_COLS " WHERE m.group_id = ? AND m.uri = ?", &st);
    if (e == MCGK_OK && !(mcgk_sql_bind_text(st, 1, group_id) && mcgk_sql_bind_text(st, 2, uri)))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_row(st, MCGK_ERR_NOT_FOUND);
    if (e == MCGK_OK)
        e = member_from(st, row);
    sqlite3_finalize(st);
    UNLOCK(s);
    return e;
}

mcgk_err mcgk_gms_store_member_list(mcgk_gms_store *s, const char *group_id,
                                    mcgk_gms_member_cb cb, void *ctx)
{
    if (s == NULL || cb == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_gms_member_row r;
    sqlite3_stmt *st = NULL;
    LOCK(s);
    mcgk_err e = prep(s, MEMBER_COLS " WHERE ?1 IS NULL OR m.group_id = ?1"
                                     " ORDER BY m.group_id, m.uri",
                      &st);
    if (e == MCGK_OK && group_id != NULL && !mcgk_sql_bind_text(st, 1, group_id))
        e = MCGK_ERR_IO;
    while (e == MCGK_OK && mcgk_sql_next_row(st, &e)) {
        e = member_from(st, &r);
        if (e == MCGK_OK && cb(ctx, &r) != 0)
            break;
    }
    sqlite3_finalize(st);
    UNLOCK(s);
    return e;
}

mcgk_err mcgk_gms_store_user_token(mcgk_gms_store *s, const char *uri,
                                   const uint8_t hash[MCGK_KMS_TOKEN_HASH_LEN])
{
    if (s == NULL || uri == NULL || hash == NULL)
        return MCGK_ERR_INVALID_ARG;
    sqlite3_stmt *st = NULL;
    LOCK(s);
    mcgk_err e = prep(s, "UPDATE users SET token_hash = ? WHERE uri = ?", &st);
    if (e == MCGK_OK && !(mcgk_sql_bind_blob(st, 1, hash, MCGK_KMS_TOKEN_HASH_LEN) && mcgk_sql_bind_text(st, 2, uri)))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_done(st, MCGK_ERR_IO);
    if (e == MCGK_OK && sqlite3_changes(s->db) == 0)
        e = MCGK_ERR_NOT_FOUND;
    sqlite3_finalize(st);
    UNLOCK(s);
    return e;
}

mcgk_err mcgk_gms_store_user_by_token(mcgk_gms_store *s,
                                      const uint8_t hash[MCGK_KMS_TOKEN_HASH_LEN],
                                      char uri[MCGK_GMS_URI_MAX + 1])
{
    if (s == NULL || hash == NULL || uri == NULL)
        return MCGK_ERR_INVALID_ARG;
    sqlite3_stmt *st = NULL;
    uint8_t stored[MCGK_KMS_TOKEN_HASH_LEN];
    LOCK(s);
    mcgk_err e = prep(s, "SELECT uri, token_hash FROM users WHERE token_hash = ?", &st);
    if (e == MCGK_OK && !mcgk_sql_bind_blob(st, 1, hash, MCGK_KMS_TOKEN_HASH_LEN))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_row(st, MCGK_ERR_AUTH_FAILED);
    if (e == MCGK_OK)
        e = mcgk_sql_col_blob(st, 1, stored, sizeof stored);
    /* the index found the row; the decision is a constant-time comparison */
    if (e == MCGK_OK && !mcgk_ct_memeq(stored, hash, sizeof stored))
        e = MCGK_ERR_AUTH_FAILED;
    if (e == MCGK_OK)
        e = mcgk_sql_col_text(st, 0, uri, MCGK_GMS_URI_MAX + 1);
    sqlite3_finalize(st);
    UNLOCK(s);
    return e;
}

/* mutex held */
static mcgk_err next_seq_locked(mcgk_gms_store *s, const char *uri, char *kms_uri, size_t cap,
                                uint64_t *seq)
{
    sqlite3_stmt *st = NULL;
    mcgk_err e = prep(s, "UPDATE users SET seq = seq + 1 WHERE uri = ? RETURNING seq, kms_uri",
                      &st);
    if (e == MCGK_OK && !mcgk_sql_bind_text(st, 1, uri))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_row(st, MCGK_ERR_NOT_FOUND);
    if (e == MCGK_OK) {
        *seq = mcgk_sql_col_u64(st, 0);
        if (kms_uri != NULL)
            e = mcgk_sql_col_text(st, 1, kms_uri, cap);
    }
    /* finish the statement so the update is complete */
    if (e == MCGK_OK && sqlite3_step(st) != SQLITE_DONE)
        e = MCGK_ERR_IO;
    sqlite3_finalize(st);
    return e;
}

mcgk_err mcgk_gms_store_user_next_seq(mcgk_gms_store *s, const char *uri,
                                      char kms_uri[MCGK_KMS_URI_MAX], uint64_t *seq)
{
    if (s == NULL || uri == NULL || seq == NULL)
        return MCGK_ERR_INVALID_ARG;
    LOCK(s);
    mcgk_err e = begin(s);
    if (e == MCGK_OK)
        e = end(s, next_seq_locked(s, uri, kms_uri, MCGK_KMS_URI_MAX, seq));
    UNLOCK(s);
    return e;
}

/* ---- GMKs ---- */

mcgk_err mcgk_gms_store_rotate(mcgk_gms_store *s, const mcgk_gms_rotation *r, uint64_t now,
                               uint64_t *job_id, uint64_t *n_members)
{
    if (s == NULL || r == NULL || job_id == NULL)
        return MCGK_ERR_INVALID_ARG;
    uint64_t n = 0;
    LOCK(s);
    mcgk_err e = begin(s);
    if (e == MCGK_OK)
        e = end(s, rotate_locked(s, r, now, job_id, &n));
    UNLOCK(s);
    if (e == MCGK_OK && n_members != NULL)
        *n_members = n;
    return e;
}

mcgk_err mcgk_gms_store_revoke(mcgk_gms_store *s, uint32_t key_id, uint64_t now,
                               uint64_t *job_id, uint64_t *n_members)
{
    if (s == NULL || job_id == NULL)
        return MCGK_ERR_INVALID_ARG;
    sqlite3_stmt *st = NULL;
    uint64_t n = 0;
    LOCK(s);
    mcgk_err e = begin(s);
    if (e == MCGK_OK)
        e = prep(s, "SELECT revoked FROM gmks WHERE key_id = ?", &st);
    if (e == MCGK_OK && !mcgk_sql_bind_u64(st, 1, key_id))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_row(st, MCGK_ERR_NOT_FOUND);
    if (e == MCGK_OK && sqlite3_column_int(st, 0) != 0)
        e = MCGK_ERR_REVOKED;
    sqlite3_finalize(st);
    if (e == MCGK_OK)
        e = run(s, "UPDATE gmks SET revoked = 1 WHERE key_id = ?", "u", (uint64_t)key_id);
    /* nobody should still receive it as a key to use */
    if (e == MCGK_OK)
        e = run(s,
                "UPDATE deliveries SET state = 4, reason = 'gmk revoked', updated_ms = ?"
                " WHERE state IN (0, 1)"
                " AND job_id IN (SELECT job_id FROM job_gmks WHERE key_id = ?)"
                " AND job_id IN (SELECT id FROM jobs WHERE kind IN (1, 3))",
                "uu", now * 1000, (uint64_t)key_id);
    /* R-003-34 / R-003-35: the revocation, by SIP, to the members of its groups */
    if (e == MCGK_OK)
        e = job_new(s, MCGK_GMS_JOB_REVOKE, 1, now, job_id);
    if (e == MCGK_OK)
        e = job_add_gmk(s, *job_id, 0, key_id);
    if (e == MCGK_OK)
        e = run(s,
                "INSERT INTO job_groups(job_id, idx, group_id)"
                " SELECT ?1, row_number() OVER (ORDER BY group_id) - 1, group_id"
                " FROM gmk_groups WHERE key_id = ?2",
                "uu", *job_id, (uint64_t)key_id);
    if (e == MCGK_OK)
        e = job_fanout(s, *job_id, 1, now * 1000, &n);
    e = end(s, e);
    UNLOCK(s);
    if (e != MCGK_OK)
        *job_id = 0;
    else if (n_members != NULL)
        *n_members = n;
    return e;
}

static void info_from(sqlite3_stmt *st, int base, mcgk_gms_gmk_info *g)
{
    memset(g, 0, sizeof *g);
    g->key_id = (uint32_t)mcgk_sql_col_u64(st, base);
    g->use = sqlite3_column_int(st, base + 1) == MCGK_GMK_USE_FLOOR_CONTROL
                 ? MCGK_GMK_USE_FLOOR_CONTROL
                 : MCGK_GMK_USE_MEDIA;
    g->revoked = sqlite3_column_int(st, base + 2) != 0;
    g->activation_unix_s = mcgk_sql_col_u64(st, base + 3);
    g->expiry_unix_s = mcgk_sql_col_u64(st, base + 4);
    g->created_unix_s = mcgk_sql_col_u64(st, base + 5);
    if (mcgk_sql_col_text(st, base + 6, g->text, sizeof g->text) != MCGK_OK)
        g->text[0] = '\0';
}

#define INFO_COLS "k.key_id, k.use, k.revoked, k.activation, k.expiry, k.created, k.text"

mcgk_err mcgk_gms_store_gmk_get(mcgk_gms_store *s, uint32_t key_id, mcgk_gms_gmk_info *info,
                                uint8_t sealed[MCGK_GMS_SEALED_GMK_LEN],
                                uint8_t rand[MCGK_GMK_RAND_LEN],
                                char (*groups)[MCGK_GMS_GROUP_ID_MAX + 1], size_t *n_groups)
{
    if (s == NULL || (groups != NULL && n_groups == NULL))
        return MCGK_ERR_INVALID_ARG;
    sqlite3_stmt *st = NULL;
    LOCK(s);
    mcgk_err e = prep(s, "SELECT " INFO_COLS ", k.sealed, k.rand FROM gmks k WHERE k.key_id = ?",
                      &st);
    if (e == MCGK_OK && !mcgk_sql_bind_u64(st, 1, key_id))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_row(st, MCGK_ERR_NOT_FOUND);
    if (e == MCGK_OK && info != NULL)
        info_from(st, 0, info);
    if (e == MCGK_OK && sealed != NULL)
        e = mcgk_sql_col_blob(st, 7, sealed, MCGK_GMS_SEALED_GMK_LEN);
    if (e == MCGK_OK && rand != NULL)
        e = mcgk_sql_col_blob(st, 8, rand, MCGK_GMK_RAND_LEN);
    sqlite3_finalize(st);
    st = NULL;
    if (e == MCGK_OK && groups != NULL) {
        *n_groups = 0;
        e = prep(s, "SELECT group_id FROM gmk_groups WHERE key_id = ? ORDER BY group_id", &st);
        if (e == MCGK_OK && !mcgk_sql_bind_u64(st, 1, key_id))
            e = MCGK_ERR_IO;
        while (e == MCGK_OK) {
            int rc = sqlite3_step(st);
            if (rc == SQLITE_DONE)
                break;
            if (rc != SQLITE_ROW || *n_groups == MCGK_GMS_JOB_GROUPS) {
                e = rc != SQLITE_ROW ? MCGK_ERR_IO : MCGK_ERR_OVERSIZED;
                break;
            }
            e = mcgk_sql_col_text(st, 0, groups[*n_groups], MCGK_GMS_GROUP_ID_MAX + 1);
            (*n_groups)++;
        }
        sqlite3_finalize(st);
    }
    UNLOCK(s);
    return e;
}

mcgk_err mcgk_gms_store_gmk_list(mcgk_gms_store *s, const char *group_id, mcgk_gms_gmk_cb cb,
                                 void *ctx)
{
    if (s == NULL || cb == NULL)
        return MCGK_ERR_INVALID_ARG;
    sqlite3_stmt *st = NULL;
    mcgk_gms_gmk_info g;
    LOCK(s);
    mcgk_err e = prep(s,
                      "SELECT " INFO_COLS " FROM gmks k WHERE ?1 IS NULL OR k.key_id IN"
                      " (SELECT key_id FROM gmk_groups WHERE group_id = ?1)"
                      " ORDER BY k.created DESC, k.key_id DESC",
                      &st);
    if (e == MCGK_OK && group_id != NULL && !mcgk_sql_bind_text(st, 1, group_id))
        e = MCGK_ERR_IO;
    while (e == MCGK_OK && mcgk_sql_next_row(st, &e)) {
        info_from(st, 0, &g);
        if (cb(ctx, &g) != 0)
            break;
    }
    sqlite3_finalize(st);
    UNLOCK(s);
    return e;
}

/* ---- jobs and deliveries ---- */

static mcgk_err job_fill(mcgk_gms_store *s, mcgk_gms_job_row *r)
{
    sqlite3_stmt *st = NULL;
    r->n_gmks = r->n_groups = 0;
    memset(r->counts, 0, sizeof r->counts);
    mcgk_err e = prep(s, "SELECT key_id FROM job_gmks WHERE job_id = ? ORDER BY idx", &st);
    if (e == MCGK_OK && !mcgk_sql_bind_u64(st, 1, r->id))
        e = MCGK_ERR_IO;
    while (e == MCGK_OK) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW || r->n_gmks == MCGK_GMS_DOC_GMKS) {
            e = rc != SQLITE_ROW ? MCGK_ERR_IO : MCGK_ERR_OVERSIZED;
            break;
        }
        r->key_ids[r->n_gmks++] = (uint32_t)mcgk_sql_col_u64(st, 0);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (e == MCGK_OK)
        e = prep(s, "SELECT group_id FROM job_groups WHERE job_id = ? ORDER BY idx", &st);
    if (e == MCGK_OK && !mcgk_sql_bind_u64(st, 1, r->id))
        e = MCGK_ERR_IO;
    while (e == MCGK_OK) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW || r->n_groups == MCGK_GMS_JOB_GROUPS) {
            e = rc != SQLITE_ROW ? MCGK_ERR_IO : MCGK_ERR_OVERSIZED;
            break;
        }
        e = mcgk_sql_col_text(st, 0, r->groups[r->n_groups++], MCGK_GMS_GROUP_ID_MAX + 1);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (e == MCGK_OK)
        e = prep(s, "SELECT state, count(*) FROM deliveries WHERE job_id = ? GROUP BY state",
                 &st);
    if (e == MCGK_OK && !mcgk_sql_bind_u64(st, 1, r->id))
        e = MCGK_ERR_IO;
    while (e == MCGK_OK && mcgk_sql_next_row(st, &e)) {
        int state = sqlite3_column_int(st, 0);
        if (state >= 0 && state < 5)
            r->counts[state] = mcgk_sql_col_u64(st, 1);
    }
    sqlite3_finalize(st);
    return e;
}

mcgk_err mcgk_gms_store_job_get(mcgk_gms_store *s, uint64_t id, mcgk_gms_job_row *r)
{
    if (s == NULL || r == NULL)
        return MCGK_ERR_INVALID_ARG;
    sqlite3_stmt *st = NULL;
    LOCK(s);
    mcgk_err e = prep(s, "SELECT kind, push, created FROM jobs WHERE id = ?", &st);
    if (e == MCGK_OK && !mcgk_sql_bind_u64(st, 1, id))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_row(st, MCGK_ERR_NOT_FOUND);
    if (e == MCGK_OK) {
        r->id = id;
        r->kind = sqlite3_column_int(st, 0);
        r->push = sqlite3_column_int(st, 1);
        r->created_unix_s = mcgk_sql_col_u64(st, 2);
    }
    sqlite3_finalize(st);
    if (e == MCGK_OK)
        e = job_fill(s, r);
    UNLOCK(s);
    return e;
}

mcgk_err mcgk_gms_store_job_list(mcgk_gms_store *s, size_t limit, mcgk_gms_job_cb cb, void *ctx)
{
    if (s == NULL || cb == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_gms_job_row *r = malloc(sizeof *r);
    if (r == NULL)
        return MCGK_ERR_NO_MEMORY;
    /* ids first (the row callbacks need further queries on the same connection) */
    size_t cap = limit ? limit : 1024, n = 0;
    uint64_t *ids = malloc(cap * sizeof *ids);
    sqlite3_stmt *st = NULL;
    mcgk_err e = ids == NULL ? MCGK_ERR_NO_MEMORY : MCGK_OK;
    LOCK(s);
    if (e == MCGK_OK)
        e = prep(s, "SELECT id FROM jobs ORDER BY id DESC LIMIT ?", &st);
    if (e == MCGK_OK && !mcgk_sql_bind_u64(st, 1, limit ? limit : (uint64_t)INT64_MAX))
        e = MCGK_ERR_IO;
    while (e == MCGK_OK && mcgk_sql_next_row(st, &e)) {
        if (n == cap) {
            uint64_t *ni = realloc(ids, 2 * cap * sizeof *ids);
            if (ni == NULL) {
                e = MCGK_ERR_NO_MEMORY;
                break;
            }
            ids = ni;
            cap *= 2;
        }
        ids[n++] = mcgk_sql_col_u64(st, 0);
    }
    sqlite3_finalize(st);
    UNLOCK(s);
    for (size_t i = 0; i < n && e == MCGK_OK; i++) {
        e = mcgk_gms_store_job_get(s, ids[i], r);
        if (e == MCGK_OK && cb(ctx, r) != 0)
            break;
    }
    free(ids);
    free(r);
    return e;
}

static mcgk_err delivery_from(sqlite3_stmt *st, mcgk_gms_delivery_row *r)
{
    memset(r, 0, sizeof *r);
    r->job_id = mcgk_sql_col_u64(st, 0);
    mcgk_err e = mcgk_sql_col_text(st, 1, r->uri, sizeof r->uri);
    r->mask = (uint32_t)mcgk_sql_col_u64(st, 2);
    r->push = sqlite3_column_int(st, 3);
    r->d.state = sqlite3_column_int(st, 4);
    r->d.attempts = (uint32_t)mcgk_sql_col_u64(st, 5);
    r->d.next_ms = mcgk_sql_col_u64(st, 6);
    r->d.status = sqlite3_column_int(st, 7);
    if (e == MCGK_OK && mcgk_sql_col_text(st, 8, r->d.reason, sizeof r->d.reason) != MCGK_OK)
        r->d.reason[0] = '\0';
    r->seq = mcgk_sql_col_u64(st, 9);
    r->updated_ms = mcgk_sql_col_u64(st, 10);
    return e;
}

#define DLV_COLS "job_id, uri, mask, push, state, attempts, next_ms, status, reason, seq, updated_ms"

mcgk_err mcgk_gms_store_delivery_list(mcgk_gms_store *s, uint64_t job_id, int state,
                                      const char *uri, mcgk_gms_delivery_cb cb, void *ctx)
{
    if (s == NULL || cb == NULL)
        return MCGK_ERR_INVALID_ARG;
    sqlite3_stmt *st = NULL;
    mcgk_gms_delivery_row r;
    LOCK(s);
    mcgk_err e = prep(s,
                      "SELECT " DLV_COLS " FROM deliveries WHERE (?1 = 0 OR job_id = ?1)"
                      " AND (?2 < 0 OR state = ?2) AND (?3 IS NULL OR uri = ?3)"
                      " ORDER BY job_id, uri",
                      &st);
    if (e == MCGK_OK &&
        !(mcgk_sql_bind_u64(st, 1, job_id) && sqlite3_bind_int(st, 2, state) == SQLITE_OK &&
          (uri == NULL || mcgk_sql_bind_text(st, 3, uri))))
        e = MCGK_ERR_IO;
    while (e == MCGK_OK && mcgk_sql_next_row(st, &e)) {
        e = delivery_from(st, &r);
        if (e == MCGK_OK && cb(ctx, &r) != 0)
            break;
    }
    sqlite3_finalize(st);
    UNLOCK(s);
    return e;
}

mcgk_err mcgk_gms_store_claim(mcgk_gms_store *s, uint64_t now_ms, uint64_t lease_ms,
                              mcgk_gms_claim *out, size_t max, size_t *n)
{
    if (s == NULL || out == NULL || n == NULL)
        return MCGK_ERR_INVALID_ARG;
    *n = 0;
    if (max == 0)
        return MCGK_OK;
    sqlite3_stmt *sel = NULL, *upd = NULL, *seq = NULL;
    size_t got = 0;
    LOCK(s);
    mcgk_err e = begin(s);
    if (e == MCGK_OK)
        e = prep(s,
                 "SELECT job_id, uri, mask, attempts FROM deliveries"
                 " WHERE push = 1 AND state IN (0, 1) AND next_ms <= ?"
                 " ORDER BY next_ms, job_id LIMIT ?",
                 &sel);
    if (e == MCGK_OK && !(mcgk_sql_bind_u64(sel, 1, now_ms) && mcgk_sql_bind_u64(sel, 2, max)))
        e = MCGK_ERR_IO;
    while (e == MCGK_OK && got < max && mcgk_sql_next_row(sel, &e)) {
        mcgk_gms_claim *c = &out[got];
        memset(c, 0, sizeof *c);
        c->job_id = mcgk_sql_col_u64(sel, 0);
        e = mcgk_sql_col_text(sel, 1, c->uri, sizeof c->uri);
        c->mask = (uint32_t)mcgk_sql_col_u64(sel, 2);
        c->attempts = (uint32_t)mcgk_sql_col_u64(sel, 3) + 1;
        if (e == MCGK_OK)
            got++;
    }
    sqlite3_finalize(sel);
    if (e == MCGK_OK)
        e = prep(s,
                 "UPDATE deliveries SET state = 1, attempts = ?, next_ms = ?, seq = ?,"
                 " updated_ms = ? WHERE job_id = ? AND uri = ?",
                 &upd);
    if (e == MCGK_OK)
        e = prep(s, "UPDATE users SET seq = seq + 1 WHERE uri = ? RETURNING seq, kms_uri", &seq);
    for (size_t i = 0; i < got && e == MCGK_OK; i++) {
        mcgk_gms_claim *c = &out[i];
        sqlite3_reset(seq);
        if (!mcgk_sql_bind_text(seq, 1, c->uri))
            e = MCGK_ERR_IO;
        if (e == MCGK_OK)
            e = mcgk_sql_step_row(seq, MCGK_ERR_IO); /* every member is a user (foreign key) */
        if (e == MCGK_OK) {
            c->seq = mcgk_sql_col_u64(seq, 0);
            e = mcgk_sql_col_text(seq, 1, c->kms_uri, sizeof c->kms_uri);
        }
        if (e == MCGK_OK && sqlite3_step(seq) != SQLITE_DONE)
            e = MCGK_ERR_IO;
        sqlite3_reset(upd);
        if (e == MCGK_OK &&
            !(mcgk_sql_bind_u64(upd, 1, c->attempts) && mcgk_sql_bind_u64(upd, 2, now_ms + lease_ms) &&
              mcgk_sql_bind_u64(upd, 3, c->seq) && mcgk_sql_bind_u64(upd, 4, now_ms) && mcgk_sql_bind_u64(upd, 5, c->job_id) &&
              mcgk_sql_bind_text(upd, 6, c->uri)))
            e = MCGK_ERR_IO;
        if (e == MCGK_OK)
            e = mcgk_sql_step_done(upd, MCGK_ERR_IO);
    }
    sqlite3_finalize(upd);
    sqlite3_finalize(seq);
    e = end(s, e);
    UNLOCK(s);
    *n = e == MCGK_OK ? got : 0;
    return e;
}

mcgk_err mcgk_gms_store_record(mcgk_gms_store *s, const mcgk_gms_outcome *o, size_t n,
                               uint64_t now_ms, size_t *applied)
{
    if (s == NULL || (o == NULL && n != 0))
        return MCGK_ERR_INVALID_ARG;
    sqlite3_stmt *st = NULL;
    size_t changed = 0;
    LOCK(s);
    mcgk_err e = begin(s);
    if (e == MCGK_OK)
        e = prep(s,
                 "UPDATE deliveries SET state = ?, next_ms = ?, status = ?, reason = ?,"
                 " updated_ms = ? WHERE job_id = ? AND uri = ? AND state = 1",
                 &st);
    for (size_t i = 0; i < n && e == MCGK_OK; i++) {
        sqlite3_reset(st);
        if (!(mcgk_sql_bind_u64(st, 1, (uint64_t)o[i].d.state) && mcgk_sql_bind_u64(st, 2, o[i].d.next_ms) &&
              sqlite3_bind_int(st, 3, o[i].d.status) == SQLITE_OK &&
              mcgk_sql_bind_text(st, 4, o[i].d.reason) && mcgk_sql_bind_u64(st, 5, now_ms) &&
              mcgk_sql_bind_u64(st, 6, o[i].job_id) && mcgk_sql_bind_text(st, 7, o[i].uri)))
            e = MCGK_ERR_IO;
        if (e == MCGK_OK)
            e = mcgk_sql_step_done(st, MCGK_ERR_IO);
        if (e == MCGK_OK)
            changed += (size_t)sqlite3_changes(s->db);
    }
    sqlite3_finalize(st);
    e = end(s, e);
    UNLOCK(s);
    if (applied != NULL)
        *applied = e == MCGK_OK ? changed : 0;
    return e;
}

mcgk_err mcgk_gms_store_resume(mcgk_gms_store *s, uint64_t now_ms, uint64_t *n)
{
    if (s == NULL)
        return MCGK_ERR_INVALID_ARG;
    LOCK(s);
    mcgk_err e = begin(s);
    uint64_t k = 0;
    if (e == MCGK_OK) {
        e = run(s, "UPDATE deliveries SET state = 0, next_ms = ?, reason = 'resumed'"
                   " WHERE state = 1",
                "u", now_ms);
        k = (uint64_t)sqlite3_changes(s->db);
        e = end(s, e);
    }
    UNLOCK(s);
    if (e == MCGK_OK && n != NULL)
        *n = k;
    return e;
}

/* A registration makes that member's deliveries that waited for one due now -
   only that member's: waking everyone's would re-try every unregistered member
   each time anyone registers. */
static const char k_wake_sql[] =
    "UPDATE deliveries SET next_ms = ?1 WHERE uri = ?2 AND push = 1 AND state = 0"
    " AND next_ms > ?1 AND reason = 'not-registered'";

mcgk_err mcgk_gms_store_next_due(mcgk_gms_store *s, uint64_t *next_ms)
{
    if (s == NULL || next_ms == NULL)
        return MCGK_ERR_INVALID_ARG;
    sqlite3_stmt *st = NULL;
    LOCK(s);
    mcgk_err e = prep(s,
                      "SELECT min(next_ms) FROM deliveries WHERE push = 1 AND state IN (0, 1)",
                      &st);
    if (e == MCGK_OK)
        e = mcgk_sql_step_row(st, MCGK_ERR_NOT_FOUND);
    if (e == MCGK_OK) {
        if (sqlite3_column_type(st, 0) == SQLITE_NULL)
            e = MCGK_ERR_NOT_FOUND;
        else
            *next_ms = mcgk_sql_col_u64(st, 0);
    }
    sqlite3_finalize(st);
    UNLOCK(s);
    return e;
}

/* ---- bindings ---- */

mcgk_err mcgk_gms_store_binding_put(mcgk_gms_store *s, const char *aor, const char *contact,
                                    uint64_t expires)
{
    if (s == NULL || aor == NULL || contact == NULL)
        return MCGK_ERR_INVALID_ARG;
    LOCK(s);
    mcgk_err e = run(s, "INSERT OR REPLACE INTO bindings(aor, contact, expires) VALUES(?, ?, ?)",
                     "ttu", aor, contact, expires);
    UNLOCK(s);
    return e;
}

mcgk_err mcgk_gms_store_binding_del(mcgk_gms_store *s, const char *aor)
{
    if (s == NULL || aor == NULL)
        return MCGK_ERR_INVALID_ARG;
    LOCK(s);
    mcgk_err e = run(s, "DELETE FROM bindings WHERE aor = ?", "t", aor);
    UNLOCK(s);
    return e;
}

mcgk_err mcgk_gms_store_binding_apply(mcgk_gms_store *s, const mcgk_gms_binding_change *c,
                                      size_t n, uint64_t now_ms)
{
    if (s == NULL || (c == NULL && n != 0))
        return MCGK_ERR_INVALID_ARG;
    sqlite3_stmt *put = NULL, *del = NULL, *wake = NULL;
    LOCK(s);
    mcgk_err e = begin(s);
    if (e == MCGK_OK)
        e = prep(s, "INSERT OR REPLACE INTO bindings(aor, contact, expires) VALUES(?, ?, ?)",
                 &put);
    if (e == MCGK_OK)
        e = prep(s, "DELETE FROM bindings WHERE aor = ?", &del);
    if (e == MCGK_OK)
        e = prep(s, k_wake_sql, &wake);
    for (size_t i = 0; i < n && e == MCGK_OK; i++) {
        if (c[i].aor == NULL || (!c[i].removed && c[i].contact == NULL)) {
            e = MCGK_ERR_INVALID_ARG;
            break;
        }
        sqlite3_stmt *st = c[i].removed ? del : put;
        sqlite3_reset(st);
        if (!mcgk_sql_bind_text(st, 1, c[i].aor) ||
            (!c[i].removed && !(mcgk_sql_bind_text(st, 2, c[i].contact) && mcgk_sql_bind_u64(st, 3, c[i].expires_unix_s))))
            e = MCGK_ERR_IO;
        if (e == MCGK_OK)
            e = mcgk_sql_step_done(st, MCGK_ERR_IO);
        if (e == MCGK_OK && !c[i].removed) {
            sqlite3_reset(wake);
            if (!mcgk_sql_bind_u64(wake, 1, now_ms) || !mcgk_sql_bind_text(wake, 2, c[i].aor))
                e = MCGK_ERR_IO;
            if (e == MCGK_OK)
                e = mcgk_sql_step_done(wake, MCGK_ERR_IO);
        }
    }
    sqlite3_finalize(put);
    sqlite3_finalize(del);
    sqlite3_finalize(wake);
    e = end(s, e);
    UNLOCK(s);
    return e;
}

mcgk_err mcgk_gms_store_binding_list(mcgk_gms_store *s, uint64_t now, mcgk_gms_binding_cb cb,
                                     void *ctx)
{
    if (s == NULL || cb == NULL)
        return MCGK_ERR_INVALID_ARG;
    sqlite3_stmt *st = NULL;
    char aor[MCGK_GMS_URI_MAX + 1], contact[MCGK_GMS_URI_MAX + 1];
    LOCK(s);
    mcgk_err e = prep(s, "SELECT aor, contact, expires FROM bindings WHERE expires > ?", &st);
    if (e == MCGK_OK && !mcgk_sql_bind_u64(st, 1, now))
        e = MCGK_ERR_IO;
    while (e == MCGK_OK && mcgk_sql_next_row(st, &e)) {
        if (mcgk_sql_col_text(st, 0, aor, sizeof aor) != MCGK_OK ||
            mcgk_sql_col_text(st, 1, contact, sizeof contact) != MCGK_OK)
            continue; /* a row we cannot use is skipped: the member re-registers */
        if (cb(ctx, aor, contact, mcgk_sql_col_u64(st, 2)) != 0)
            break;
    }
    sqlite3_finalize(st);
    UNLOCK(s);
    return e;
}

/* ---- pulls ---- */

mcgk_err mcgk_gms_store_pull_put(mcgk_gms_store *s, const char *uri, const char *group_id,
                                 uint64_t seq, const uint32_t *key_ids, size_t n, uint64_t now)
{
    if (s == NULL || uri == NULL || group_id == NULL || (key_ids == NULL && n != 0) ||
        n > MCGK_GMS_DOC_GMKS)
        return MCGK_ERR_INVALID_ARG;
    char list[MCGK_GMS_DOC_GMKS * 12 + 1] = "";
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%" PRIu32, i ? "," : "", key_ids[i]);
    }
    LOCK(s);
    mcgk_err e = run(s,
                     "INSERT OR REPLACE INTO pulls(uri, group_id, seq, key_ids, at)"
                     " VALUES(?, ?, ?, ?, ?)",
                     "ttutu", uri, group_id, seq, list, now);
    UNLOCK(s);
    return e;
}

mcgk_err mcgk_gms_store_pull_result(mcgk_gms_store *s, const char *uri, const char *group_id,
                                    const mcgk_gms_answer *a, uint64_t now_ms, size_t *applied)
{
    if (s == NULL || uri == NULL || group_id == NULL || a == NULL)
        return MCGK_ERR_INVALID_ARG;
    sqlite3_stmt *st = NULL;
    char list[MCGK_GMS_DOC_GMKS * 12 + 1];
    size_t changed = 0;
    LOCK(s);
    mcgk_err e = begin(s);
    if (e == MCGK_OK)
        e = prep(s, "SELECT key_ids FROM pulls WHERE uri = ? AND group_id = ?", &st);
    if (e == MCGK_OK && !(mcgk_sql_bind_text(st, 1, uri) && mcgk_sql_bind_text(st, 2, group_id)))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_row(st, MCGK_ERR_NOT_FOUND);
    if (e == MCGK_OK)
        e = mcgk_sql_col_text(st, 0, list, sizeof list);
    sqlite3_finalize(st);
    st = NULL;
    /* the deliveries owed to this member of the jobs carrying those GMKs */
    if (e == MCGK_OK)
        e = prep(s,
                 "SELECT " DLV_COLS " FROM deliveries WHERE uri = ?1 AND state IN (0, 1, 3)"
                 " AND job_id IN (SELECT jg.job_id FROM job_gmks jg JOIN jobs j ON j.id ="
                 " jg.job_id WHERE j.kind IN (1, 3) AND (',' || ?2 || ',') LIKE"
                 " ('%,' || jg.key_id || ',%'))",
                 &st);
    if (e == MCGK_OK && !(mcgk_sql_bind_text(st, 1, uri) && mcgk_sql_bind_text(st, 2, list)))
        e = MCGK_ERR_IO;
    mcgk_gms_outcome *out = NULL;
    size_t n = 0, cap = 0;
    while (e == MCGK_OK && list[0] != '\0' && mcgk_sql_next_row(st, &e)) {
        mcgk_gms_delivery_row r;
        e = delivery_from(st, &r);
        if (e != MCGK_OK)
            break;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            mcgk_gms_outcome *no = realloc(out, nc * sizeof *no);
            if (no == NULL) {
                e = MCGK_ERR_NO_MEMORY;
                break;
            }
            out = no;
            cap = nc;
        }
        out[n].job_id = r.job_id;
        memcpy(out[n].uri, r.uri, sizeof r.uri);
        out[n].d = r.d;
        /* R-003-31: recorded like a SIP answer */
        e = mcgk_gms_delivery_apply(NULL, now_ms, a, &out[n].d);
        n++;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (e == MCGK_OK)
        e = prep(s,
                 "UPDATE deliveries SET state = ?, next_ms = ?, status = ?, reason = ?,"
                 " updated_ms = ? WHERE job_id = ? AND uri = ?",
                 &st);
    for (size_t i = 0; i < n && e == MCGK_OK; i++) {
        sqlite3_reset(st);
        if (!(mcgk_sql_bind_u64(st, 1, (uint64_t)out[i].d.state) && mcgk_sql_bind_u64(st, 2, out[i].d.next_ms) &&
              sqlite3_bind_int(st, 3, out[i].d.status) == SQLITE_OK &&
              mcgk_sql_bind_text(st, 4, out[i].d.reason) && mcgk_sql_bind_u64(st, 5, now_ms) &&
              mcgk_sql_bind_u64(st, 6, out[i].job_id) && mcgk_sql_bind_text(st, 7, out[i].uri)))
            e = MCGK_ERR_IO;
        if (e == MCGK_OK)
            e = mcgk_sql_step_done(st, MCGK_ERR_IO);
        if (e == MCGK_OK)
            changed++;
    }
    sqlite3_finalize(st);
    free(out);
    e = end(s, e);
    UNLOCK(s);
    if (applied != NULL)
        *applied = e == MCGK_OK ? changed : 0;
    return e;
}

/* ---- sealing GMKs ---- */

static size_t gmk_aad(uint32_t key_id, char buf[32])
{
    int n = snprintf(buf, 32, "gms/gmk/%08" PRIx32, key_id);
    return n > 0 ? (size_t)n : 0;
}

mcgk_err mcgk_gms_gmk_seal(const uint8_t dek[MCGK_SEAL_KEY_LEN], uint32_t key_id,
                           const uint8_t key[MCGK_KEY_LEN], const mcgk_rng *rng,
                           uint8_t sealed[MCGK_GMS_SEALED_GMK_LEN])
{
    if (dek == NULL || key == NULL || sealed == NULL)
        return MCGK_ERR_INVALID_ARG;
    char aad[32];
    size_t al = gmk_aad(key_id, aad), n = 0;
    return mcgk_seal(dek, (const uint8_t *)aad, al, key, MCGK_KEY_LEN, rng, sealed,
                     MCGK_GMS_SEALED_GMK_LEN, &n);
}

mcgk_err mcgk_gms_gmk_unseal(const uint8_t dek[MCGK_SEAL_KEY_LEN], uint32_t key_id,
                             const uint8_t sealed[MCGK_GMS_SEALED_GMK_LEN],
                             uint8_t key[MCGK_KEY_LEN])
{
    if (dek == NULL || key == NULL || sealed == NULL)
        return MCGK_ERR_INVALID_ARG;
    char aad[32];
    size_t al = gmk_aad(key_id, aad), n = 0;
    return mcgk_unseal(dek, (const uint8_t *)aad, al, sealed, MCGK_GMS_SEALED_GMK_LEN, key,
                       MCGK_KEY_LEN, &n);
}
