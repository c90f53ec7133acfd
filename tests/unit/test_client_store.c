/*
 * Tests of the client's GMK store (src/store/client_gmk_sqlite.c,
 * store/client_gmk.h): a state round-trips through SQLite field for field;
 * GMKs and key parameters are sealed at rest (their bytes are not in the
 * database files, a wrong DEK or a value moved to another row does not
 * open); deletions remove the rows; a process killed (SIGKILL) after
 * writing every row but before COMMIT leaves the old state, and the next
 * commit the new one (the "kill -9 while storing" requirement); corrupt
 * rows and bad arguments give their codes.
 */
#include "test.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mcgk/client.h"
#include "mcgk/kdf.h"
#include "store/client_gmk.h"

#define ALICE "sip:alice@example.org"
#define BOB "sip:bob@example.org"
#define GROUP_A "sip:grp-a@example.org"
#define GROUP_B "sip:grp-b@example.org"

static mcgk_test_prng g_prng;
static mcgk_rng g_rng;
static char g_dir[256];
static char g_path[300];
static uint8_t g_dek[MCGK_SEAL_KEY_LEN];

static const uint8_t k_key1[MCGK_KEY_LEN] = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x23, 0x45, 0x67,
                                            0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98};
static const uint8_t k_key2[MCGK_KEY_LEN] = {0xc0, 0xff, 0xee, 0x11, 0x22, 0x33, 0x44, 0x55,
                                            0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd};
#define SECRET_TEXT "Text-that-travels-encrypted"

static void fresh_db(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm", g_path, g_path, g_path);
    CHECK(system(cmd) == 0);
}

/* a state with: a GMK with parameters (two groups), a GMK without parameters (its
   association), a revoked record, two groups, replay entries, a tombstone, a document */
static void fill(mcgk_client_state *s)
{
    CHECK_OK(mcgk_client_state_init(s));
    CHECK_OK(mcgk_client_state_reserve_gmks(s, 3));
    CHECK_OK(mcgk_client_state_reserve_groups(s, 2));
    mcgk_client_gmk *g = &s->gmks[0];
    g->gmk_id = 0x0abcdef1u;
    g->guk_id = 0x01234567u;
    g->purpose = MCGK_PURPOSE_GMK;
    g->use = MCGK_GMK_USE_MEDIA;
    g->has_key = 1;
    memcpy(g->key, k_key1, MCGK_KEY_LEN);
    g->rand_len = 16;
    memset(g->rand, 0x5a, 16);
    g->has_params = 1;
    mcgk_key_params_init(&g->params, MCGK_PURPOSE_GMK);
    g->params.activation_ntp_s = 3900000000ull;
    g->params.expiry_ntp_s = 3900086400ull;
    memcpy(g->params.text, SECRET_TEXT, strlen(SECRET_TEXT));
    g->params.text_len = strlen(SECRET_TEXT);
    CHECK_OK(mcgk_key_params_add_group(&g->params, GROUP_A, strlen(GROUP_A)));
    CHECK_OK(mcgk_key_params_add_group(&g->params, GROUP_B, strlen(GROUP_B)));
    g->first_ts_ntp_s = 3900000001ull;
    g->first_ts_frac = 7;
    g->last_ts_ntp_s = 3900000002ull;
    g->last_ts_frac = 8;
    snprintf(g->sender, sizeof g->sender, "sip:gms@example.org");
    g->received_unix_s = 1690000000;
    g->dirty = 1;
    g = &s->gmks[1];
    g->gmk_id = 0x0000beefu;
    g->guk_id = 0x0fffffffu;
    g->use = MCGK_GMK_USE_FLOOR_CONTROL;
    g->has_key = 1;
    memcpy(g->key, k_key2, MCGK_KEY_LEN);
    g->rand_len = 20;
    memset(g->rand, 0x11, 20);
    g->n_assoc = 1;
    snprintf(g->assoc[0], sizeof g->assoc[0], "%s", GROUP_A);
    g->first_ts_ntp_s = g->last_ts_ntp_s = 3900000003ull;
    snprintf(g->sender, sizeof g->sender, "sip:gms@example.org");
    g->dirty = 1;
    g = &s->gmks[2];
    g->gmk_id = 0x00000001u;
    g->revoked = 1;
    g->rand_len = 16;
    snprintf(g->sender, sizeof g->sender, "sip:gms@example.org");
    g->dirty = 1;
    s->n_gmks = 3;
    mcgk_client_group *gr = &s->groups[0];
    snprintf(gr->id, sizeof gr->id, "%s", GROUP_A);
    snprintf(gr->gms, sizeof gr->gms, "sip:gms@example.org");
    snprintf(gr->name, sizeof gr->name, "Fire crew A");
    gr->seq = 17;
    gr->updated_unix_s = 1690000001;
    gr->dirty = 1;
    gr = &s->groups[1];
    snprintf(gr->id, sizeof gr->id, "%s", GROUP_B);
    snprintf(gr->gms, sizeof gr->gms, "sip:gms@example.org");
    gr->removed = 1;
    gr->seq = 18;
    gr->dirty = 1;
    s->n_groups = 2;
    for (size_t i = 0; i < 3; i++) {
        memset(s->replay[i].sender_uid, (int)(0x40 + i), MCGK_UID_LEN);
        s->replay[i].ts_ntp_s = 3900000000ull + i;
        s->replay[i].ts_frac = (uint32_t)i;
        s->replay[i].csb_id = 0x100u + (uint32_t)i;
    }
    s->n_replay = 3;
    s->replay_floor_ntp_s = 3899990000ull;
    s->replay_dirty = 1;
    s->tombstones[0].gmk_id = 0x0777u;
    s->tombstones[0].deleted_ntp_s = 3900000100ull;
    s->n_tombstones = 1;
    s->tombstones_dirty = 1;
    memset(s->doc_hashes[0], 0xd0, MCGK_CLIENT_HASH_LEN);
    memset(s->doc_hashes[1], 0xd1, MCGK_CLIENT_HASH_LEN);
    s->n_doc_hashes = 2;
    s->docs_dirty = 1;
}

static const mcgk_client_gmk *by_id(const mcgk_client_state *s, uint32_t id)
{
    for (size_t i = 0; i < s->n_gmks; i++)
        if (s->gmks[i].gmk_id == id)
            return &s->gmks[i];
    return NULL;
}

static void same_gmk(const mcgk_client_gmk *a, const mcgk_client_gmk *b)
{
    CHECK(a != NULL && b != NULL);
    if (a == NULL || b == NULL)
        return;
    CHECK(a->guk_id == b->guk_id && a->purpose == b->purpose && a->use == b->use);
    CHECK(a->revoked == b->revoked && a->has_key == b->has_key);
    CHECK_MEM(a->key, b->key, MCGK_KEY_LEN);
    CHECK(a->rand_len == b->rand_len);
    CHECK_MEM(a->rand, b->rand, a->rand_len);
    CHECK(a->has_params == b->has_params);
    if (a->has_params && b->has_params) {
        CHECK(a->params.activation_ntp_s == b->params.activation_ntp_s);
        CHECK(a->params.expiry_ntp_s == b->params.expiry_ntp_s);
        CHECK(a->params.status == b->params.status);
        CHECK(a->params.text_len == b->params.text_len);
        CHECK_MEM(a->params.text, b->params.text, a->params.text_len);
        CHECK(a->params.n_groups == b->params.n_groups);
        for (size_t i = 0; i < a->params.n_groups && i < b->params.n_groups; i++)
            CHECK(strcmp(a->params.groups[i].id, b->params.groups[i].id) == 0);
    }
    CHECK(a->n_assoc == b->n_assoc);
    for (size_t i = 0; i < a->n_assoc && i < b->n_assoc; i++)
        CHECK(strcmp(a->assoc[i], b->assoc[i]) == 0);
    CHECK(a->first_ts_ntp_s == b->first_ts_ntp_s && a->first_ts_frac == b->first_ts_frac);
    CHECK(a->last_ts_ntp_s == b->last_ts_ntp_s && a->last_ts_frac == b->last_ts_frac);
    CHECK(strcmp(a->sender, b->sender) == 0 && a->received_unix_s == b->received_unix_s);
}

/* R-001-21, R-003-24, R-003-32: GMK, GMK-ID, GUK-ID, RAND and the associated parameters
   are stored (and come back exactly) */
static void test_R_001_21_R_003_32_round_trip(void)
{
    fresh_db();
    mcgk_client_gmk_store *st = NULL;
    CHECK_OK(mcgk_client_gmk_store_open(g_path, &st));
    mcgk_client_state a, b;
    fill(&a);
    CHECK_OK(mcgk_client_gmk_store_commit(st, g_dek, ALICE, &a, &g_rng));
    CHECK(!a.gmks[0].dirty && !a.replay_dirty && !a.docs_dirty && !a.tombstones_dirty);
    CHECK_OK(mcgk_client_gmk_store_load(st, g_dek, ALICE, &b));
    CHECK(b.n_gmks == 3 && b.n_groups == 2);
    for (size_t i = 0; i < a.n_gmks; i++)
        same_gmk(&a.gmks[i], by_id(&b, a.gmks[i].gmk_id));
    const mcgk_client_group *ga = mcgk_client_find_group(&b, GROUP_A);
    const mcgk_client_group *gb = mcgk_client_find_group(&b, GROUP_B);
    CHECK(ga != NULL && gb != NULL);
    if (ga != NULL && gb != NULL) {
        CHECK(!ga->removed && ga->seq == 17 && strcmp(ga->name, "Fire crew A") == 0);
        CHECK(strcmp(ga->gms, "sip:gms@example.org") == 0 && ga->updated_unix_s == 1690000001);
        CHECK(gb->removed && gb->seq == 18 && gb->name[0] == '\0');
    }
    CHECK(b.n_replay == 3 && b.replay_floor_ntp_s == 3899990000ull);
    for (size_t i = 0; i < 3; i++) {
        int found = 0;
        for (size_t j = 0; j < b.n_replay; j++)
            found |= memcmp(&a.replay[i], &b.replay[j], sizeof a.replay[i]) == 0;
        CHECK(found);
    }
    CHECK(b.n_tombstones == 1 && b.tombstones[0].gmk_id == 0x0777u &&
          b.tombstones[0].deleted_ntp_s == 3900000100ull);
    CHECK(b.n_doc_hashes == 2 && b.doc_hashes[0][0] == 0xd0 && b.doc_hashes[1][0] == 0xd1);
    /* another identity sees nothing of alice's */
    mcgk_client_state c;
    CHECK_OK(mcgk_client_gmk_store_load(st, g_dek, BOB, &c));
    CHECK(c.n_gmks == 0 && c.n_groups == 0 && c.n_replay == 0 && c.n_tombstones == 0 &&
          c.n_doc_hashes == 0);
    mcgk_client_state_clear(&c);
    mcgk_client_state_clear(&a);
    mcgk_client_state_clear(&b);
    mcgk_client_gmk_store_close(st);
}

static int contains(const char *path, const void *needle, size_t n)
{
    uint8_t *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    int found = 0;
    if (len > 0 && (buf = malloc((size_t)len)) != NULL &&
        fread(buf, 1, (size_t)len, f) == (size_t)len)
        for (long i = 0; i + (long)n <= len && !found; i++)
            found = memcmp(buf + i, needle, n) == 0;
    free(buf);
    fclose(f);
    return found;
}

/* GMKs and parameters are sealed at rest: neither the keys nor the text appear in the
   database or its journal; the file is private (0600) */
static void test_sealed_at_rest(void)
{
    fresh_db();
    mcgk_client_gmk_store *st = NULL;
    CHECK_OK(mcgk_client_gmk_store_open(g_path, &st));
    mcgk_client_state a;
    fill(&a);
    CHECK_OK(mcgk_client_gmk_store_commit(st, g_dek, ALICE, &a, &g_rng));
    char wal[320];
    snprintf(wal, sizeof wal, "%s-wal", g_path);
    const char *files[] = {g_path, wal};
    for (size_t i = 0; i < 2; i++) {
        CHECK(!contains(files[i], k_key1, MCGK_KEY_LEN));
        CHECK(!contains(files[i], k_key2, MCGK_KEY_LEN));
        CHECK(!contains(files[i], SECRET_TEXT, strlen(SECRET_TEXT)));
    }
    /* the group name is not secret: it is there (the check above can see plain text) */
    CHECK(contains(g_path, "Fire crew A", 11) || contains(wal, "Fire crew A", 11));
    struct stat sb;
    CHECK(stat(g_path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    mcgk_client_state_clear(&a);
    mcgk_client_gmk_store_close(st);
}

/* a wrong DEK, or a sealed key moved to another row, does not open */
static void test_wrong_dek_and_moved_rows(void)
{
    fresh_db();
    mcgk_client_gmk_store *st = NULL;
    CHECK_OK(mcgk_client_gmk_store_open(g_path, &st));
    mcgk_client_state a, b;
    fill(&a);
    CHECK_OK(mcgk_client_gmk_store_commit(st, g_dek, ALICE, &a, &g_rng));
    uint8_t other[MCGK_SEAL_KEY_LEN];
    memcpy(other, g_dek, sizeof other);
    other[0] ^= 1;
    memset(&b, 0x77, sizeof b);
    CHECK_ERR(mcgk_client_gmk_store_load(st, other, ALICE, &b), MCGK_ERR_UNSEAL);
    CHECK(b.gmks == NULL && b.n_gmks == 0); /* left cleared */
    /* alice's sealed GMK copied into bob's identical row */
    a.gmks[0].dirty = 1;
    CHECK_OK(mcgk_client_gmk_store_commit(st, g_dek, BOB, &a, &g_rng));
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(g_path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db,
                       "UPDATE client_gmks SET sealed_key = (SELECT sealed_key FROM client_gmks "
                       "WHERE identity = 'sip:alice@example.org' AND gmk_id = 180150001) "
                       "WHERE identity = 'sip:bob@example.org' AND gmk_id = 180150001",
                       NULL, NULL, NULL) == SQLITE_OK);
    CHECK(sqlite3_changes(db) == 1);
    sqlite3_close(db);
    CHECK_OK(mcgk_client_gmk_store_load(st, g_dek, ALICE, &b));
    mcgk_client_state_clear(&b);
    CHECK_ERR(mcgk_client_gmk_store_load(st, g_dek, BOB, &b), MCGK_ERR_UNSEAL);
    mcgk_client_state_clear(&a);
    mcgk_client_gmk_store_close(st);
}

/* R-001-33: deleted GMKs leave no row (and no association row) behind */
static void test_R_001_33_delete_rows(void)
{
    fresh_db();
    mcgk_client_gmk_store *st = NULL;
    CHECK_OK(mcgk_client_gmk_store_open(g_path, &st));
    mcgk_client_state a, b;
    fill(&a);
    CHECK_OK(mcgk_client_gmk_store_commit(st, g_dek, ALICE, &a, &g_rng));
    /* drop the association-carrying GMK and the revoked one */
    a.deleted[a.n_deleted++] = 0x0000beefu;
    a.deleted[a.n_deleted++] = 0x00000001u;
    a.n_gmks = 1;
    CHECK_OK(mcgk_client_gmk_store_commit(st, g_dek, ALICE, &a, &g_rng));
    CHECK(a.n_deleted == 0);
    CHECK_OK(mcgk_client_gmk_store_load(st, g_dek, ALICE, &b));
    CHECK(b.n_gmks == 1 && b.gmks[0].gmk_id == 0x0abcdef1u);
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    CHECK(sqlite3_open(g_path, &db) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "SELECT count(*) FROM client_gmk_assoc", -1, &q, NULL) ==
          SQLITE_OK);
    CHECK(sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    mcgk_client_state_clear(&a);
    mcgk_client_state_clear(&b);
    mcgk_client_gmk_store_close(st);
}

/* Kill -9 while storing: a child writes every row of a change and is killed (SIGKILL)
   before COMMIT; the store then holds the old state, complete. The same change committed
   without the kill gives the new state. */
static void test_kill_while_storing(void)
{
    fresh_db();
    mcgk_client_gmk_store *st = NULL;
    CHECK_OK(mcgk_client_gmk_store_open(g_path, &st));
    mcgk_client_state a;
    fill(&a);
    CHECK_OK(mcgk_client_gmk_store_commit(st, g_dek, ALICE, &a, &g_rng));
    mcgk_client_gmk_store_close(st);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("MCGK_TEST_CRASH", "client-commit", 1);
        mcgk_client_gmk_store *cs = NULL;
        mcgk_client_state c;
        if (mcgk_client_gmk_store_open(g_path, &cs) != MCGK_OK ||
            mcgk_client_gmk_store_load(cs, g_dek, ALICE, &c) != MCGK_OK)
            _exit(3);
        /* the change: a new GMK, one deleted, a group removed, a new replay entry */
        mcgk_client_state_reserve_gmks(&c, c.n_gmks + 1);
        mcgk_client_gmk *g = &c.gmks[c.n_gmks++];
        memset(g, 0, sizeof *g);
        g->gmk_id = 0x0c0ffee0u;
        g->has_key = 1;
        memset(g->key, 0x99, MCGK_KEY_LEN);
        g->rand_len = 16;
        g->dirty = 1;
        c.deleted[c.n_deleted++] = 0x0000beefu;
        for (size_t i = 0; i < c.n_groups; i++) {
            c.groups[i].removed = 1;
            c.groups[i].seq = 99;
            c.groups[i].dirty = 1;
        }
        c.replay[c.n_replay].ts_ntp_s = 42;
        c.n_replay++;
        c.replay_dirty = 1;
        mcgk_client_gmk_store_commit(cs, g_dek, ALICE, &c, &g_rng);
        _exit(4); /* not reached: the commit kills the process */
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    /* the old state, whole */
    mcgk_client_state b;
    CHECK_OK(mcgk_client_gmk_store_open(g_path, &st));
    CHECK_OK(mcgk_client_gmk_store_load(st, g_dek, ALICE, &b));
    CHECK(b.n_gmks == 3 && by_id(&b, 0x0c0ffee0u) == NULL && by_id(&b, 0x0000beefu) != NULL);
    CHECK(b.n_replay == 3);
    for (size_t i = 0; i < b.n_groups; i++)
        CHECK(b.groups[i].seq == 17 || b.groups[i].seq == 18);
    for (size_t i = 0; i < a.n_gmks; i++)
        same_gmk(&a.gmks[i], by_id(&b, a.gmks[i].gmk_id));
    /* the same change, now committed: the new state */
    mcgk_client_state_reserve_gmks(&b, b.n_gmks + 1);
    mcgk_client_gmk *g = &b.gmks[b.n_gmks++];
    memset(g, 0, sizeof *g);
    g->gmk_id = 0x0c0ffee0u;
    g->has_key = 1;
    memset(g->key, 0x99, MCGK_KEY_LEN);
    g->rand_len = 16;
    g->dirty = 1;
    b.deleted[b.n_deleted++] = 0x0000beefu;
    CHECK_OK(mcgk_client_gmk_store_commit(st, g_dek, ALICE, &b, &g_rng));
    mcgk_client_state c;
    CHECK_OK(mcgk_client_gmk_store_load(st, g_dek, ALICE, &c));
    CHECK(by_id(&c, 0x0c0ffee0u) != NULL && by_id(&c, 0x0000beefu) == NULL && c.n_gmks == 3);
    mcgk_client_state_clear(&a);
    mcgk_client_state_clear(&b);
    mcgk_client_state_clear(&c);
    mcgk_client_gmk_store_close(st);
}

static int count_ids(void *ctx, const char *id)
{
    int *n = ctx;
    (*n)++;
    return strcmp(id, BOB) == 0; /* stop at bob */
}

static void test_identities(void)
{
    fresh_db();
    mcgk_client_gmk_store *st = NULL;
    CHECK_OK(mcgk_client_gmk_store_open(g_path, &st));
    mcgk_client_state a;
    fill(&a);
    CHECK_OK(mcgk_client_gmk_store_commit(st, g_dek, ALICE, &a, &g_rng));
    a.gmks[0].dirty = a.groups[0].dirty = 1;
    CHECK_OK(mcgk_client_gmk_store_commit(st, g_dek, BOB, &a, &g_rng));
    a.groups[0].dirty = 1;
    CHECK_OK(mcgk_client_gmk_store_commit(st, g_dek, "sip:carol@example.org", &a, &g_rng));
    int n = 0;
    CHECK_OK(mcgk_client_gmk_store_identities(st, count_ids, &n));
    CHECK(n == 2); /* alice, bob (stopped) */
    CHECK_ERR(mcgk_client_gmk_store_identities(NULL, count_ids, &n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_gmk_store_identities(st, NULL, &n), MCGK_ERR_INVALID_ARG);
    mcgk_client_state_clear(&a);
    mcgk_client_gmk_store_close(st);
}

/* a corrupt row is refused with its code, and the state is left cleared */
static void corrupt(const char *sql, mcgk_err want)
{
    fresh_db();
    mcgk_client_gmk_store *st = NULL;
    CHECK_OK(mcgk_client_gmk_store_open(g_path, &st));
    mcgk_client_state a, b;
    fill(&a);
    CHECK_OK(mcgk_client_gmk_store_commit(st, g_dek, ALICE, &a, &g_rng));
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(g_path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    CHECK_ERR(mcgk_client_gmk_store_load(st, g_dek, ALICE, &b), want);
    CHECK(b.gmks == NULL && b.replay == NULL);
    mcgk_client_state_clear(&a);
    mcgk_client_gmk_store_close(st);
}

static void test_corrupt_rows(void)
{
    corrupt("UPDATE client_gmks SET rand = zeroblob(300)", MCGK_ERR_OVERSIZED);
    corrupt("UPDATE client_gmks SET sealed_key = zeroblob(45)", MCGK_ERR_UNSUPPORTED);
    corrupt("UPDATE client_gmks SET sealed_params = zeroblob(10)", MCGK_ERR_TRUNCATED);
    corrupt("UPDATE client_replay SET sender_uid = x'0102'", MCGK_ERR_MALFORMED);
    corrupt("UPDATE client_docs SET hash = x'0102'", MCGK_ERR_MALFORMED);
    corrupt("UPDATE client_groups SET name = printf('%.200c', 'x')", MCGK_ERR_OVERSIZED);
    corrupt("UPDATE client_gmks SET sender = printf('%.600c', 'x')", MCGK_ERR_OVERSIZED);
    corrupt("INSERT INTO client_gmk_assoc VALUES('sip:alice@example.org', 48879, 1, "
            "printf('%.600c', 'x'))",
            MCGK_ERR_OVERSIZED);
    corrupt("DROP TABLE client_docs", MCGK_ERR_IO);
}

/* a sealed GMK of the wrong length (sealed with the right label) is malformed */
static void test_wrong_length_key(void)
{
    fresh_db();
    mcgk_client_gmk_store *st = NULL;
    CHECK_OK(mcgk_client_gmk_store_open(g_path, &st));
    mcgk_client_state a, b;
    fill(&a);
    CHECK_OK(mcgk_client_gmk_store_commit(st, g_dek, ALICE, &a, &g_rng));
    const char *label = "mcgk/client/gmk|sip:alice@example.org|0000beef";
    uint8_t sealed[64];
    size_t n = 0;
    CHECK_OK(mcgk_seal(g_dek, (const uint8_t *)label, strlen(label), k_key1, 15, &g_rng, sealed,
                       sizeof sealed, &n));
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    CHECK(sqlite3_open(g_path, &db) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "UPDATE client_gmks SET sealed_key = ? WHERE gmk_id = 48879", -1,
                             &q, NULL) == SQLITE_OK);
    sqlite3_bind_blob(q, 1, sealed, (int)n, SQLITE_TRANSIENT);
    CHECK(sqlite3_step(q) == SQLITE_DONE);
    sqlite3_finalize(q);
    sqlite3_close(db);
    CHECK_ERR(mcgk_client_gmk_store_load(st, g_dek, ALICE, &b), MCGK_ERR_MALFORMED);
    mcgk_client_state_clear(&a);
    mcgk_client_gmk_store_close(st);
}

static void test_arguments(void)
{
    mcgk_client_gmk_store *st = NULL;
    mcgk_client_state s;
    CHECK_ERR(mcgk_client_gmk_store_open(NULL, &st), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_gmk_store_open(g_path, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_gmk_store_open(g_dir, &st), MCGK_ERR_IO); /* a directory */
    char bad[300];
    snprintf(bad, sizeof bad, "%s/no/such/dir/x.db", g_dir);
    CHECK_ERR(mcgk_client_gmk_store_open(bad, &st), MCGK_ERR_IO);
    fresh_db();
    CHECK_OK(mcgk_client_gmk_store_open(g_path, &st));
    CHECK_ERR(mcgk_client_gmk_store_load(NULL, g_dek, ALICE, &s), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_gmk_store_load(st, NULL, ALICE, &s), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_gmk_store_load(st, g_dek, NULL, &s), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_gmk_store_load(st, g_dek, ALICE, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_OK(mcgk_client_state_init(&s));
    CHECK_ERR(mcgk_client_gmk_store_commit(NULL, g_dek, ALICE, &s, &g_rng), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_gmk_store_commit(st, NULL, ALICE, &s, &g_rng), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_gmk_store_commit(st, g_dek, NULL, &s, &g_rng), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_gmk_store_commit(st, g_dek, ALICE, NULL, &g_rng), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_gmk_store_commit(st, g_dek, ALICE, &s, NULL), MCGK_ERR_INVALID_ARG);
    /* parameters that cannot be encoded: nothing is written, the marks stay */
    CHECK_OK(mcgk_client_state_reserve_gmks(&s, 1));
    s.gmks[0].gmk_id = 5;
    s.gmks[0].has_params = 1;
    mcgk_key_params_init(&s.gmks[0].params, MCGK_PURPOSE_GMK);
    s.gmks[0].params.text_len = MCGK_KP_TEXT_MAX + 1;
    s.gmks[0].dirty = 1;
    s.n_gmks = 1;
    CHECK_ERR(mcgk_client_gmk_store_commit(st, g_dek, ALICE, &s, &g_rng), MCGK_ERR_INVALID_ARG);
    CHECK(s.gmks[0].dirty == 1);
    mcgk_client_state c;
    CHECK_OK(mcgk_client_gmk_store_load(st, g_dek, ALICE, &c));
    CHECK(c.n_gmks == 0);
    mcgk_client_state_clear(&c);
    /* a failing RNG: nothing written */
    s.gmks[0].has_params = 0;
    s.gmks[0].has_key = 1;
    mcgk_test_fixed_rng fr;
    mcgk_rng none = mcgk_test_fixed_rng_init(&fr, NULL, 0);
    CHECK_ERR(mcgk_client_gmk_store_commit(st, g_dek, ALICE, &s, &none), MCGK_ERR_RNG);
    mcgk_client_state_clear(&s);
    mcgk_client_gmk_store_close(st);
    mcgk_client_gmk_store_close(NULL);
}

int main(void)
{
    g_rng = mcgk_test_prng_init(&g_prng, 0xc11e57ull);
    mcgk_test_prng_fill(&g_prng, g_dek, sizeof g_dek);
    snprintf(g_dir, sizeof g_dir, "/tmp/mcgk-test-client-store.XXXXXX");
    if (mkdtemp(g_dir) == NULL) {
        printf("cannot make a temporary directory\n");
        return 1;
    }
    snprintf(g_path, sizeof g_path, "%s/client.db", g_dir);
    TEST_RUN(test_R_001_21_R_003_32_round_trip);
    TEST_RUN(test_sealed_at_rest);
    TEST_RUN(test_wrong_dek_and_moved_rows);
    TEST_RUN(test_R_001_33_delete_rows);
    TEST_RUN(test_kill_while_storing);
    TEST_RUN(test_identities);
    TEST_RUN(test_corrupt_rows);
    TEST_RUN(test_wrong_length_key);
    TEST_RUN(test_arguments);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd) != 0)
        printf("cannot remove %s\n", g_dir);
    TEST_MAIN_END();
}
