/*
 * The client's GMK store on SQLite (contract: store/client_gmk.h): its own
 * connection to the client's database (WAL, synchronous=FULL, foreign keys,
 * secure_delete, a busy timeout shared with the key-set connection of
 * store/sqlite.c), one mutex per store, one transaction per commit.
 *
 * Spec: TS 33.180 §5.2.2 / seed R-001-21, R-003-24, R-003-32, R-004-10
 * (store GMK, GMK-ID, GUK-ID and the associated parameters), R-001-33
 * (deletion), R-003-34 (revocation); docs/client.md.
 *
 * Secrets: GMKs and key parameters are sealed before they reach SQLite
 * (store/seal.h) and unsealed into the caller's state; every temporary
 * plaintext buffer here is wiped.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mcgk/key_params.h"
#include "store/client_gmk.h"
#include "store/sqlite_util.h"

#define BUSY_TIMEOUT_MS 10000
#define SEALED_KEY_LEN (MCGK_KEY_LEN + MCGK_SEAL_OVERHEAD)
#define SEALED_PARAMS_MAX (MCGK_KP_CONTENT_MAX_LEN + MCGK_SEAL_OVERHEAD)

struct mcgk_client_gmk_store {
    sqlite3 *db;
    pthread_mutex_t mu;
    int crash_before_commit; /* MCGK_TEST_CRASH=client-commit (tests only) */
};

static const char k_schema[] =
    "CREATE TABLE IF NOT EXISTS client_idents("
    "  identity TEXT PRIMARY KEY, replay_floor INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS client_gmks("
    "  identity TEXT NOT NULL, gmk_id INTEGER NOT NULL, guk_id INTEGER NOT NULL,"
    "  purpose INTEGER NOT NULL, use INTEGER NOT NULL, revoked INTEGER NOT NULL,"
    "  rand BLOB NOT NULL, sealed_key BLOB, sealed_params BLOB,"
    "  first_ts INTEGER NOT NULL, first_frac INTEGER NOT NULL,"
    "  last_ts INTEGER NOT NULL, last_frac INTEGER NOT NULL,"
    "  sender TEXT NOT NULL, received INTEGER NOT NULL,"
    "  PRIMARY KEY (identity, gmk_id));"
    "CREATE TABLE IF NOT EXISTS client_gmk_assoc("
    "  identity TEXT NOT NULL, gmk_id INTEGER NOT NULL, pos INTEGER NOT NULL,"
    "  group_id TEXT NOT NULL, PRIMARY KEY (identity, gmk_id, pos),"
    "  FOREIGN KEY (identity, gmk_id) REFERENCES client_gmks(identity, gmk_id)"
    "    ON DELETE CASCADE);"
    "CREATE TABLE IF NOT EXISTS client_groups("
    "  identity TEXT NOT NULL, group_id TEXT NOT NULL, gms TEXT NOT NULL,"
    "  name TEXT NOT NULL, removed INTEGER NOT NULL, seq INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL, PRIMARY KEY (identity, group_id));"
    "CREATE TABLE IF NOT EXISTS client_tombstones("
    "  identity TEXT NOT NULL, gmk_id INTEGER NOT NULL, deleted_ntp INTEGER NOT NULL,"
    "  PRIMARY KEY (identity, gmk_id));"
    "CREATE TABLE IF NOT EXISTS client_replay("
    "  identity TEXT NOT NULL, sender_uid BLOB NOT NULL, ts INTEGER NOT NULL,"
    "  frac INTEGER NOT NULL, csb_id INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS client_replay_identity ON client_replay(identity);"
    "CREATE TABLE IF NOT EXISTS client_docs("
    "  identity TEXT NOT NULL, pos INTEGER NOT NULL, hash BLOB NOT NULL,"
    "  PRIMARY KEY (identity, pos));";

mcgk_err mcgk_client_gmk_store_open(const char *path, mcgk_client_gmk_store **out)
{
    if (path == NULL || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_client_gmk_store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return MCGK_ERR_NO_MEMORY;
    mcgk_err e = mcgk_sql_open(path, k_schema, BUSY_TIMEOUT_MS, &s->db);
    if (e != MCGK_OK) {
        free(s);
        return e;
    }
    pthread_mutex_init(&s->mu, NULL);
    const char *crash = getenv("MCGK_TEST_CRASH");
    s->crash_before_commit = crash != NULL && strcmp(crash, "client-commit") == 0;
    *out = s;
    return MCGK_OK;
}

void mcgk_client_gmk_store_close(mcgk_client_gmk_store *s)
{
    if (s == NULL)
        return;
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* ---- small helpers ------------------------------------------------------------------- */

static mcgk_err prep(mcgk_client_gmk_store *s, const char *sql, sqlite3_stmt **st)
{
    return mcgk_sql_prepare(s->db, sql, st);
}

/* Run a one-identity statement (DELETE ... WHERE identity = ?). */
static mcgk_err run_for(mcgk_client_gmk_store *s, const char *sql, const char *identity)
{
    sqlite3_stmt *st = NULL;
    mcgk_err e = prep(s, sql, &st);
    if (e == MCGK_OK && !mcgk_sql_bind_text(st, 1, identity))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_done(st, MCGK_ERR_IO);
    sqlite3_finalize(st);
    return e;
}

/* associated data of a sealed value: where it lives */
static size_t aad(char *buf, size_t cap, const char *what, const char *identity, uint32_t id)
{
    int n = snprintf(buf, cap, "mcgk/client/%s|%s|%08x", what, identity, (unsigned)id);
    if (n < 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

/* ---- load ----------------------------------------------------------------------------- */

typedef struct bufs {
    uint8_t sealed[SEALED_PARAMS_MAX];
    uint8_t plain[MCGK_KP_CONTENT_MAX_LEN];
    char aad[MCGK_GMK_URI_MAX + 64];
} bufs;

static mcgk_err load_gmk_row(sqlite3_stmt *st, const uint8_t *dek, const char *identity,
                             bufs *b, mcgk_client_gmk *g)
{
    size_t n = 0, pl = 0;
    memset(g, 0, sizeof *g);
    g->gmk_id = (uint32_t)mcgk_sql_col_u64(st, 0);
    g->guk_id = (uint32_t)mcgk_sql_col_u64(st, 1);
    g->purpose = (uint8_t)mcgk_sql_col_u64(st, 2);
    g->use = mcgk_sql_col_u64(st, 3) == MCGK_GMK_USE_FLOOR_CONTROL ? MCGK_GMK_USE_FLOOR_CONTROL
                                                          : MCGK_GMK_USE_MEDIA;
    g->revoked = mcgk_sql_col_u64(st, 4) != 0;
    mcgk_err e = mcgk_sql_col_blob_upto(st, 5, g->rand, sizeof g->rand, &g->rand_len);
    if (e == MCGK_OK)
        e = mcgk_sql_col_blob_upto(st, 6, b->sealed, sizeof b->sealed, &n);
    if (e == MCGK_OK && n > 0) {
        size_t al = aad(b->aad, sizeof b->aad, "gmk", identity, g->gmk_id);
        e = mcgk_unseal(dek, (const uint8_t *)b->aad, al, b->sealed, n, g->key, sizeof g->key,
                        &pl);
        if (e == MCGK_OK && pl != MCGK_KEY_LEN)
            e = MCGK_ERR_MALFORMED;
        g->has_key = e == MCGK_OK;
    }
    if (e == MCGK_OK)
        e = mcgk_sql_col_blob_upto(st, 7, b->sealed, sizeof b->sealed, &n);
    if (e == MCGK_OK && n > 0) {
        size_t al = aad(b->aad, sizeof b->aad, "gmk-params", identity, g->gmk_id);
        e = mcgk_unseal(dek, (const uint8_t *)b->aad, al, b->sealed, n, b->plain,
                        sizeof b->plain, &pl);
        if (e == MCGK_OK)
            e = mcgk_key_params_decode(b->plain, pl, &g->params);
        g->has_params = e == MCGK_OK;
        mcgk_wipe(b->plain, sizeof b->plain);
    }
    g->first_ts_ntp_s = mcgk_sql_col_u64(st, 8);
    g->first_ts_frac = (uint32_t)mcgk_sql_col_u64(st, 9);
    g->last_ts_ntp_s = mcgk_sql_col_u64(st, 10);
    g->last_ts_frac = (uint32_t)mcgk_sql_col_u64(st, 11);
    if (e == MCGK_OK)
        e = mcgk_sql_col_text(st, 12, g->sender, sizeof g->sender);
    g->received_unix_s = mcgk_sql_col_u64(st, 13);
    if (e != MCGK_OK)
        mcgk_wipe(g, sizeof *g);
    return e;
}

static mcgk_err load_gmks(mcgk_client_gmk_store *s, const uint8_t *dek, const char *identity,
                          mcgk_client_state *st_out)
{
    sqlite3_stmt *st = NULL;
    bufs *b = malloc(sizeof *b);
    if (b == NULL)
        return MCGK_ERR_NO_MEMORY;
    mcgk_err e = prep(s,
                      "SELECT gmk_id, guk_id, purpose, use, revoked, rand, sealed_key, "
                      "sealed_params, first_ts, first_frac, last_ts, last_frac, sender, received "
                      "FROM client_gmks WHERE identity = ? ORDER BY gmk_id",
                      &st);
    if (e == MCGK_OK && !mcgk_sql_bind_text(st, 1, identity))
        e = MCGK_ERR_IO;
    while (e == MCGK_OK && mcgk_sql_next_row(st, &e)) {
        e = mcgk_client_state_reserve_gmks(st_out, st_out->n_gmks + 1);
        if (e == MCGK_OK)
            e = load_gmk_row(st, dek, identity, b, &st_out->gmks[st_out->n_gmks]);
        if (e == MCGK_OK)
            st_out->n_gmks++;
    }
    sqlite3_finalize(st);
    mcgk_wipe(b, sizeof *b);
    free(b);
    if (e != MCGK_OK)
        return e;
    /* the groups of GMKs whose parameters list none */
    st = NULL;
    e = prep(s, "SELECT gmk_id, group_id FROM client_gmk_assoc WHERE identity = ? ORDER BY "
                "gmk_id, pos",
             &st);
    if (e == MCGK_OK && !mcgk_sql_bind_text(st, 1, identity))
        e = MCGK_ERR_IO;
    while (e == MCGK_OK && mcgk_sql_next_row(st, &e)) {
        uint32_t id = (uint32_t)mcgk_sql_col_u64(st, 0);
        for (size_t i = 0; i < st_out->n_gmks; i++) {
            mcgk_client_gmk *g = &st_out->gmks[i];
            if (g->gmk_id != id)
                continue;
            if (g->n_assoc == MCGK_GROUPDOC_MAX_GROUPS) {
                e = MCGK_ERR_OVERSIZED;
                break;
            }
            e = mcgk_sql_col_text(st, 1, g->assoc[g->n_assoc], MCGK_GROUPDOC_URI_MAX);
            if (e == MCGK_OK)
                g->n_assoc++;
            break;
        }
    }
    sqlite3_finalize(st);
    return e;
}

static mcgk_err load_groups(mcgk_client_gmk_store *s, const char *identity, mcgk_client_state *o)
{
    sqlite3_stmt *st = NULL;
    mcgk_err e = prep(s,
                      "SELECT group_id, gms, name, removed, seq, updated FROM client_groups "
                      "WHERE identity = ? ORDER BY group_id",
                      &st);
    if (e == MCGK_OK && !mcgk_sql_bind_text(st, 1, identity))
        e = MCGK_ERR_IO;
    while (e == MCGK_OK && mcgk_sql_next_row(st, &e)) {
        e = mcgk_client_state_reserve_groups(o, o->n_groups + 1);
        if (e != MCGK_OK)
            break;
        mcgk_client_group *g = &o->groups[o->n_groups];
        memset(g, 0, sizeof *g);
        e = mcgk_sql_col_text(st, 0, g->id, sizeof g->id);
        if (e == MCGK_OK)
            e = mcgk_sql_col_text(st, 1, g->gms, sizeof g->gms);
        if (e == MCGK_OK)
            e = mcgk_sql_col_text(st, 2, g->name, sizeof g->name);
        g->removed = mcgk_sql_col_u64(st, 3) != 0;
        g->seq = mcgk_sql_col_u64(st, 4);
        g->updated_unix_s = mcgk_sql_col_u64(st, 5);
        if (e == MCGK_OK)
            o->n_groups++;
    }
    sqlite3_finalize(st);
    return e;
}

static mcgk_err load_small(mcgk_client_gmk_store *s, const char *identity, mcgk_client_state *o)
{
    sqlite3_stmt *st = NULL;
    mcgk_err e = prep(s, "SELECT replay_floor FROM client_idents WHERE identity = ?", &st);
    if (e == MCGK_OK && !mcgk_sql_bind_text(st, 1, identity))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            o->replay_floor_ntp_s = mcgk_sql_col_u64(st, 0);
        else if (rc != SQLITE_DONE)
            e = MCGK_ERR_IO;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (e == MCGK_OK)
        e = prep(s,
                 "SELECT gmk_id, deleted_ntp FROM client_tombstones WHERE identity = ? "
                 "ORDER BY deleted_ntp DESC LIMIT " /* newest first, bounded */
                 "256",
                 &st);
    if (e == MCGK_OK && !mcgk_sql_bind_text(st, 1, identity))
        e = MCGK_ERR_IO;
    while (e == MCGK_OK && o->n_tombstones < MCGK_CLIENT_MAX_TOMBSTONES && mcgk_sql_next_row(st, &e)) {
        o->tombstones[o->n_tombstones].gmk_id = (uint32_t)mcgk_sql_col_u64(st, 0);
        o->tombstones[o->n_tombstones].deleted_ntp_s = mcgk_sql_col_u64(st, 1);
        o->n_tombstones++;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (e == MCGK_OK)
        e = prep(s,
                 "SELECT sender_uid, ts, frac, csb_id FROM client_replay WHERE identity = ? "
                 "ORDER BY ts DESC LIMIT 256",
                 &st);
    if (e == MCGK_OK && !mcgk_sql_bind_text(st, 1, identity))
        e = MCGK_ERR_IO;
    while (e == MCGK_OK && o->n_replay < MCGK_CLIENT_REPLAY_CAP && mcgk_sql_next_row(st, &e)) {
        mcgk_replay_entry *r = &o->replay[o->n_replay];
        size_t n = 0;
        e = mcgk_sql_col_blob_upto(st, 0, r->sender_uid, sizeof r->sender_uid, &n);
        if (e == MCGK_OK && n != MCGK_UID_LEN)
            e = MCGK_ERR_MALFORMED;
        r->ts_ntp_s = mcgk_sql_col_u64(st, 1);
        r->ts_frac = (uint32_t)mcgk_sql_col_u64(st, 2);
        r->csb_id = (uint32_t)mcgk_sql_col_u64(st, 3);
        if (e == MCGK_OK)
            o->n_replay++;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (e == MCGK_OK)
        e = prep(s, "SELECT hash FROM client_docs WHERE identity = ? ORDER BY pos LIMIT 8", &st);
    if (e == MCGK_OK && !mcgk_sql_bind_text(st, 1, identity))
        e = MCGK_ERR_IO;
    while (e == MCGK_OK && o->n_doc_hashes < MCGK_CLIENT_DOC_HASHES && mcgk_sql_next_row(st, &e)) {
        size_t n = 0;
        e = mcgk_sql_col_blob_upto(st, 0, o->doc_hashes[o->n_doc_hashes], MCGK_CLIENT_HASH_LEN, &n);
        if (e == MCGK_OK && n != MCGK_CLIENT_HASH_LEN)
            e = MCGK_ERR_MALFORMED;
        if (e == MCGK_OK)
            o->n_doc_hashes++;
    }
    sqlite3_finalize(st);
    return e;
}

mcgk_err mcgk_client_gmk_store_load(mcgk_client_gmk_store *s, const uint8_t dek[MCGK_SEAL_KEY_LEN],
                                    const char *identity, mcgk_client_state *st)
{
    if (s == NULL || dek == NULL || identity == NULL || st == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_err e = mcgk_client_state_init(st);
    if (e != MCGK_OK)
        return e;
    pthread_mutex_lock(&s->mu);
    /* one read transaction: a consistent snapshot even while another process commits */
    e = mcgk_sql_exec(s->db, "BEGIN");
    if (e == MCGK_OK)
        e = load_gmks(s, dek, identity, st);
    if (e == MCGK_OK)
        e = load_groups(s, identity, st);
    if (e == MCGK_OK)
        e = load_small(s, identity, st);
    mcgk_sql_exec(s->db, e == MCGK_OK ? "COMMIT" : "ROLLBACK");
    pthread_mutex_unlock(&s->mu);
    if (e != MCGK_OK)
        mcgk_client_state_clear(st);
    return e;
}

/* ---- commit --------------------------------------------------------------------------- */

static mcgk_err del_assoc(mcgk_client_gmk_store *s, const char *identity, uint32_t id)
{
    sqlite3_stmt *st = NULL;
    mcgk_err e = prep(s, "DELETE FROM client_gmk_assoc WHERE identity = ? AND gmk_id = ?", &st);
    if (e == MCGK_OK && !(mcgk_sql_bind_text(st, 1, identity) && mcgk_sql_bind_u64(st, 2, id)))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_done(st, MCGK_ERR_IO);
    sqlite3_finalize(st);
    return e;
}

static mcgk_err put_gmk(mcgk_client_gmk_store *s, const uint8_t *dek, const char *identity,
                        const mcgk_client_gmk *g, const mcgk_rng *rng, bufs *b)
{
    uint8_t sealed_key[SEALED_KEY_LEN];
    size_t sk_len = 0, sp_len = 0, pl = 0;
    mcgk_err e = MCGK_OK;
    if (g->has_key) {
        size_t al = aad(b->aad, sizeof b->aad, "gmk", identity, g->gmk_id);
        e = mcgk_seal(dek, (const uint8_t *)b->aad, al, g->key, MCGK_KEY_LEN, rng, sealed_key,
                      sizeof sealed_key, &sk_len);
    }
    if (e == MCGK_OK && g->has_params) {
        e = mcgk_key_params_encode(&g->params, b->plain, sizeof b->plain, &pl);
        if (e == MCGK_OK) {
            size_t al = aad(b->aad, sizeof b->aad, "gmk-params", identity, g->gmk_id);
            e = mcgk_seal(dek, (const uint8_t *)b->aad, al, b->plain, pl, rng, b->sealed,
                          sizeof b->sealed, &sp_len);
        }
        mcgk_wipe(b->plain, sizeof b->plain);
    }
    sqlite3_stmt *st = NULL;
    if (e == MCGK_OK)
        e = del_assoc(s, identity, g->gmk_id);
    if (e == MCGK_OK)
        e = prep(s,
                 "INSERT OR REPLACE INTO client_gmks(identity, gmk_id, guk_id, purpose, use, "
                 "revoked, rand, sealed_key, sealed_params, first_ts, first_frac, last_ts, "
                 "last_frac, sender, received) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                 &st);
    if (e == MCGK_OK &&
        !(mcgk_sql_bind_text(st, 1, identity) && mcgk_sql_bind_u64(st, 2, g->gmk_id) && mcgk_sql_bind_u64(st, 3, g->guk_id) &&
          mcgk_sql_bind_u64(st, 4, g->purpose) && mcgk_sql_bind_u64(st, 5, (uint64_t)g->use) &&
          mcgk_sql_bind_u64(st, 6, (uint64_t)(g->revoked != 0)) && mcgk_sql_bind_blob(st, 7, g->rand, g->rand_len) &&
          mcgk_sql_bind_blob(st, 8, g->has_key ? sealed_key : NULL, sk_len) &&
          mcgk_sql_bind_blob(st, 9, g->has_params ? b->sealed : NULL, sp_len) &&
          mcgk_sql_bind_u64(st, 10, g->first_ts_ntp_s) && mcgk_sql_bind_u64(st, 11, g->first_ts_frac) &&
          mcgk_sql_bind_u64(st, 12, g->last_ts_ntp_s) && mcgk_sql_bind_u64(st, 13, g->last_ts_frac) &&
          mcgk_sql_bind_text(st, 14, g->sender) && mcgk_sql_bind_u64(st, 15, g->received_unix_s)))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_done(st, MCGK_ERR_IO);
    sqlite3_finalize(st);
    st = NULL;
    /* the association, rewritten (deleted above) */
    for (size_t i = 0; e == MCGK_OK && i < g->n_assoc; i++) {
        e = prep(s,
                 "INSERT INTO client_gmk_assoc(identity, gmk_id, pos, group_id) VALUES(?,?,?,?)",
                 &st);
        if (e == MCGK_OK && !(mcgk_sql_bind_text(st, 1, identity) && mcgk_sql_bind_u64(st, 2, g->gmk_id) &&
                              mcgk_sql_bind_u64(st, 3, i) && mcgk_sql_bind_text(st, 4, g->assoc[i])))
            e = MCGK_ERR_IO;
        if (e == MCGK_OK)
            e = mcgk_sql_step_done(st, MCGK_ERR_IO);
        sqlite3_finalize(st);
        st = NULL;
    }
    return e;
}

static mcgk_err put_group(mcgk_client_gmk_store *s, const char *identity,
                          const mcgk_client_group *g)
{
    sqlite3_stmt *st = NULL;
    mcgk_err e = prep(s,
                      "INSERT OR REPLACE INTO client_groups(identity, group_id, gms, name, "
                      "removed, seq, updated) VALUES(?,?,?,?,?,?,?)",
                      &st);
    if (e == MCGK_OK &&
        !(mcgk_sql_bind_text(st, 1, identity) && mcgk_sql_bind_text(st, 2, g->id) && mcgk_sql_bind_text(st, 3, g->gms) &&
          mcgk_sql_bind_text(st, 4, g->name) && mcgk_sql_bind_u64(st, 5, (uint64_t)(g->removed != 0)) &&
          mcgk_sql_bind_u64(st, 6, g->seq) && mcgk_sql_bind_u64(st, 7, g->updated_unix_s)))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_done(st, MCGK_ERR_IO);
    sqlite3_finalize(st);
    return e;
}

static mcgk_err del_gmk(mcgk_client_gmk_store *s, const char *identity, uint32_t id)
{
    sqlite3_stmt *st = NULL;
    mcgk_err e = del_assoc(s, identity, id);
    if (e == MCGK_OK)
        e = prep(s, "DELETE FROM client_gmks WHERE identity = ? AND gmk_id = ?", &st);
    if (e == MCGK_OK && !(mcgk_sql_bind_text(st, 1, identity) && mcgk_sql_bind_u64(st, 2, id)))
        e = MCGK_ERR_IO;
    if (e == MCGK_OK)
        e = mcgk_sql_step_done(st, MCGK_ERR_IO);
    sqlite3_finalize(st);
    return e;
}

static mcgk_err put_small(mcgk_client_gmk_store *s, const char *identity,
                          const mcgk_client_state *o)
{
    sqlite3_stmt *st = NULL;
    mcgk_err e = MCGK_OK;
    if (o->replay_dirty) {
        e = prep(s,
                 "INSERT INTO client_idents(identity, replay_floor) VALUES(?1, ?2) "
                 "ON CONFLICT(identity) DO UPDATE SET replay_floor = ?2",
                 &st);
        if (e == MCGK_OK && !(mcgk_sql_bind_text(st, 1, identity) && mcgk_sql_bind_u64(st, 2, o->replay_floor_ntp_s)))
            e = MCGK_ERR_IO;
        if (e == MCGK_OK)
            e = mcgk_sql_step_done(st, MCGK_ERR_IO);
        sqlite3_finalize(st);
        st = NULL;
        if (e == MCGK_OK)
            e = run_for(s, "DELETE FROM client_replay WHERE identity = ?", identity);
        for (size_t i = 0; e == MCGK_OK && i < o->n_replay; i++) {
            const mcgk_replay_entry *r = &o->replay[i];
            e = prep(s,
                     "INSERT INTO client_replay(identity, sender_uid, ts, frac, csb_id) "
                     "VALUES(?,?,?,?,?)",
                     &st);
            if (e == MCGK_OK &&
                !(mcgk_sql_bind_text(st, 1, identity) && mcgk_sql_bind_blob(st, 2, r->sender_uid, MCGK_UID_LEN) &&
                  mcgk_sql_bind_u64(st, 3, r->ts_ntp_s) && mcgk_sql_bind_u64(st, 4, r->ts_frac) &&
                  mcgk_sql_bind_u64(st, 5, r->csb_id)))
                e = MCGK_ERR_IO;
            if (e == MCGK_OK)
                e = mcgk_sql_step_done(st, MCGK_ERR_IO);
            sqlite3_finalize(st);
            st = NULL;
        }
    }
    if (e == MCGK_OK && o->tombstones_dirty) {
        e = run_for(s, "DELETE FROM client_tombstones WHERE identity = ?", identity);
        for (size_t i = 0; e == MCGK_OK && i < o->n_tombstones; i++) {
            e = prep(s,
                     "INSERT INTO client_tombstones(identity, gmk_id, deleted_ntp) "
                     "VALUES(?,?,?)",
                     &st);
            const mcgk_client_tombstone *t = &o->tombstones[i];
            if (e == MCGK_OK && !(mcgk_sql_bind_text(st, 1, identity) && mcgk_sql_bind_u64(st, 2, t->gmk_id) &&
                                  mcgk_sql_bind_u64(st, 3, t->deleted_ntp_s)))
                e = MCGK_ERR_IO;
            if (e == MCGK_OK)
                e = mcgk_sql_step_done(st, MCGK_ERR_IO);
            sqlite3_finalize(st);
            st = NULL;
        }
    }
    if (e == MCGK_OK && o->docs_dirty) {
        e = run_for(s, "DELETE FROM client_docs WHERE identity = ?", identity);
        for (size_t i = 0; e == MCGK_OK && i < o->n_doc_hashes; i++) {
            e = prep(s, "INSERT INTO client_docs(identity, pos, hash) VALUES(?,?,?)", &st);
            if (e == MCGK_OK && !(mcgk_sql_bind_text(st, 1, identity) && mcgk_sql_bind_u64(st, 2, i) &&
                                  mcgk_sql_bind_blob(st, 3, o->doc_hashes[i], MCGK_CLIENT_HASH_LEN)))
                e = MCGK_ERR_IO;
            if (e == MCGK_OK)
                e = mcgk_sql_step_done(st, MCGK_ERR_IO);
            sqlite3_finalize(st);
            st = NULL;
        }
    }
    return e;
}

mcgk_err mcgk_client_gmk_store_commit(mcgk_client_gmk_store *s,
                                      const uint8_t dek[MCGK_SEAL_KEY_LEN], const char *identity,
                                      mcgk_client_state *st, const mcgk_rng *rng)
{
    if (s == NULL || dek == NULL || identity == NULL || st == NULL || rng == NULL)
        return MCGK_ERR_INVALID_ARG;
    bufs *b = malloc(sizeof *b);
    if (b == NULL)
        return MCGK_ERR_NO_MEMORY;
    pthread_mutex_lock(&s->mu);
    /* one transaction for the whole decision: the old state or the new, never a mix */
    mcgk_err e = mcgk_sql_begin(s->db);
    for (size_t i = 0; e == MCGK_OK && i < st->n_deleted; i++)
        e = del_gmk(s, identity, st->deleted[i]);
    for (size_t i = 0; e == MCGK_OK && i < st->n_gmks; i++)
        if (st->gmks[i].dirty)
            e = put_gmk(s, dek, identity, &st->gmks[i], rng, b);
    for (size_t i = 0; e == MCGK_OK && i < st->n_groups; i++)
        if (st->groups[i].dirty)
            e = put_group(s, identity, &st->groups[i]);
    if (e == MCGK_OK)
        e = put_small(s, identity, st);
    if (e == MCGK_OK && s->crash_before_commit) {
        /* the crash-safety test: die with every row written but not committed */
        raise(SIGKILL);
    }
    e = mcgk_sql_end(s->db, e);
    pthread_mutex_unlock(&s->mu);
    mcgk_wipe(b, sizeof *b);
    free(b);
    if (e == MCGK_OK)
        mcgk_client_state_clean(st);
    return e;
}

mcgk_err mcgk_client_gmk_store_identities(mcgk_client_gmk_store *s, mcgk_client_identity_cb cb,
                                          void *ctx)
{
    if (s == NULL || cb == NULL)
        return MCGK_ERR_INVALID_ARG;
    char **ids = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->mu);
    mcgk_err e = prep(s,
                      "SELECT identity FROM client_gmks UNION SELECT identity FROM client_groups "
                      "ORDER BY 1",
                      &st);
    while (e == MCGK_OK && mcgk_sql_next_row(st, &e)) {
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            char **nids = realloc(ids, ncap * sizeof *ids);
            if (nids == NULL) {
                e = MCGK_ERR_NO_MEMORY;
                break;
            }
            ids = nids;
            cap = ncap;
        }
        const unsigned char *t = sqlite3_column_text(st, 0);
        ids[n] = strdup(t != NULL ? (const char *)t : "");
        if (ids[n] == NULL) {
            e = MCGK_ERR_NO_MEMORY;
            break;
        }
        n++;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    /* the callbacks run without the lock: they may load states */
    for (size_t i = 0; e == MCGK_OK && i < n; i++)
        if (cb(ctx, ids[i]) != 0)
            break;
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    return e;
}
