/*
 * Unit tests for the GMS store (store/gms_store.h on SQLite): the seal ring,
 * groups, members and tokens, rotations with their delivery rows in one
 * transaction, claims / outcomes / resume (crash safety), revocation,
 * removal with the profile's rotation, bindings, pulls. Each test uses a
 * fresh database file in a temporary directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mcgk/gms.h"
#include "store/gms_store.h"
#include "test.h"

#define GA "sip:group-a@example.org"
#define GB "sip:group-b@example.org"
#define GMS "sip:gms@example.org"
#define ALICE "sip:alice@example.org"
#define BOB "sip:bob@example.org"
#define CAROL "sip:carol@example.org"
#define NOW 1700000000ull

static char g_dir[64];
static int g_n;
static mcgk_test_prng g_prng;
static mcgk_rng g_rng;

static mcgk_gms_store *fresh(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/gms%d.db", g_dir, g_n++);
    mcgk_gms_store *s = NULL;
    CHECK_OK(mcgk_gms_store_open(path, &s));
    return s;
}

static void hash_of(const char *tok, uint8_t h[MCGK_KMS_TOKEN_HASH_LEN])
{
    CHECK_OK(mcgk_kms_token_hash(tok, strlen(tok), h));
}

static void group(mcgk_gms_store *s, const char *id, int rekey)
{
    mcgk_gms_group_row g;
    memset(&g, 0, sizeof g);
    snprintf(g.id, sizeof g.id, "%s", id);
    snprintf(g.name, sizeof g.name, "name of %s", id);
    snprintf(g.gms_uri, sizeof g.gms_uri, "%s", GMS);
    g.rekey_on_removal = rekey;
    g.created_unix_s = NOW;
    CHECK_OK(mcgk_gms_store_group_create(s, &g));
}

static uint64_t add(mcgk_gms_store *s, const char *grp, const char *uri, int authorised)
{
    uint8_t h[MCGK_KMS_TOKEN_HASH_LEN];
    hash_of(uri, h); /* the URI as its token: enough for these tests */
    uint64_t job = 99;
    CHECK_OK(mcgk_gms_store_member_add(s, grp, uri, NULL, authorised, h, NOW, &job, NULL));
    return job;
}

static void rotation(mcgk_gms_rotation *r, uint32_t key_id, const char *g1, const char *g2,
                     int push)
{
    memset(r, 0, sizeof *r);
    r->n_gmks = 1;
    r->key_ids[0] = key_id;
    memset(r->sealed[0], 0x5A, sizeof r->sealed[0]);
    memset(r->rands[0], 0x11, sizeof r->rands[0]);
    r->uses[0] = MCGK_GMK_USE_MEDIA;
    r->groups[r->n_groups++] = g1;
    if (g2 != NULL)
        r->groups[r->n_groups++] = g2;
    r->text = "k";
    r->push = push;
}

typedef struct counter {
    size_t n;
    char last[MCGK_GMS_URI_MAX + 1];
    mcgk_gms_delivery_row row;
} counter;

static int count_dlv(void *ctx, const mcgk_gms_delivery_row *r)
{
    counter *c = ctx;
    c->n++;
    snprintf(c->last, sizeof c->last, "%s", r->uri);
    c->row = *r;
    return 0;
}

static size_t deliveries(mcgk_gms_store *s, uint64_t job, int state, counter *c)
{
    memset(c, 0, sizeof *c);
    CHECK_OK(mcgk_gms_store_delivery_list(s, job, state, NULL, count_dlv, c));
    return c->n;
}

static void test_ring_and_config(void)
{
    mcgk_gms_store *s = fresh();
    char kf[128];
    snprintf(kf, sizeof kf, "%s/kek%d", g_dir, g_n);
    CHECK_OK(mcgk_seal_keyfile_create(kf, &g_rng));
    mcgk_seal_kek_source src = {kf, NULL, 0};
    uint8_t d1[MCGK_SEAL_KEY_LEN], d2[MCGK_SEAL_KEY_LEN];
    CHECK_OK(mcgk_gms_store_unlock(s, &src, 0, &g_rng, d1));
    CHECK_OK(mcgk_gms_store_unlock(s, &src, 0, &g_rng, d2));
    CHECK_MEM(d1, d2, sizeof d1);
    char kf2[128];
    snprintf(kf2, sizeof kf2, "%s/kek-other%d", g_dir, g_n);
    CHECK_OK(mcgk_seal_keyfile_create(kf2, &g_rng));
    mcgk_seal_kek_source other = {kf2, NULL, 0};
    CHECK_ERR(mcgk_gms_store_unlock(s, &other, 0, &g_rng, d2), MCGK_ERR_UNSEAL);
    char v[16];
    CHECK_ERR(mcgk_gms_store_config_get(s, "gms_uri", v, sizeof v), MCGK_ERR_NOT_FOUND);
    CHECK_OK(mcgk_gms_store_config_set(s, "gms_uri", GMS));
    CHECK_ERR(mcgk_gms_store_config_get(s, "gms_uri", v, sizeof v), MCGK_ERR_OVERSIZED);
    char w[64];
    CHECK_OK(mcgk_gms_store_config_get(s, "gms_uri", w, sizeof w));
    CHECK(strcmp(w, GMS) == 0);
    CHECK_ERR(mcgk_gms_store_config_get(s, NULL, w, sizeof w), MCGK_ERR_INVALID_ARG);
    /* GMKs sealed at rest, bound to their key ID */
    uint8_t key[MCGK_KEY_LEN] = {1, 2, 3}, back[MCGK_KEY_LEN], sealed[MCGK_GMS_SEALED_GMK_LEN];
    CHECK_OK(mcgk_gms_gmk_seal(d1, 0x0abc, key, &g_rng, sealed));
    CHECK_OK(mcgk_gms_gmk_unseal(d1, 0x0abc, sealed, back));
    CHECK_MEM(key, back, sizeof key);
    CHECK_ERR(mcgk_gms_gmk_unseal(d1, 0x0abd, sealed, back), MCGK_ERR_UNSEAL);
    sealed[20] ^= 1;
    CHECK_ERR(mcgk_gms_gmk_unseal(d1, 0x0abc, sealed, back), MCGK_ERR_UNSEAL);
    CHECK_ERR(mcgk_gms_gmk_seal(NULL, 1, key, &g_rng, sealed), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gms_gmk_unseal(d1, 1, NULL, back), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_gms_store_open(NULL, &s), MCGK_ERR_INVALID_ARG);
    mcgk_gms_store *bad = NULL;
    CHECK_ERR(mcgk_gms_store_open("/nonexistent-dir/x.db", &bad), MCGK_ERR_IO);
    mcgk_gms_store_close(s);
    mcgk_gms_store_close(NULL);
}

static int count_groups(void *ctx, const mcgk_gms_group_row *r)
{
    (void)r;
    (*(size_t *)ctx)++;
    return 0;
}

static void test_groups(void)
{
    mcgk_gms_store *s = fresh();
    group(s, GA, 1);
    group(s, GB, 0);
    mcgk_gms_group_row g;
    memset(&g, 0, sizeof g);
    strcpy(g.id, GA);
    CHECK_ERR(mcgk_gms_store_group_create(s, &g), MCGK_ERR_EXISTS);
    CHECK_OK(mcgk_gms_store_group_get(s, GA, &g));
    CHECK(g.rekey_on_removal == 1 && strcmp(g.gms_uri, GMS) == 0 && g.n_members == 0);
    CHECK_ERR(mcgk_gms_store_group_get(s, "sip:nope@x", &g), MCGK_ERR_NOT_FOUND);
    CHECK_ERR(mcgk_gms_store_group_get_basic(s, "sip:nope@x", &g), MCGK_ERR_NOT_FOUND);
    CHECK_OK(mcgk_gms_store_group_get_basic(s, GB, &g));
    CHECK(strcmp(g.id, GB) == 0 && g.rekey_on_removal == 0 && strcmp(g.gms_uri, GMS) == 0);
    size_t n = 0;
    CHECK_OK(mcgk_gms_store_group_list(s, count_groups, &n));
    CHECK(n == 2);
    mcgk_gms_store_close(s);
}

/* R-001-27 / R-001-31: no GMK (no delivery) before the member is authorised;
 * R-001-28: once authorised, it gets the current GMK. */
static void test_R_001_27_R_001_28_R_001_31_authorise_before_gmk(void)
{
    mcgk_gms_store *s = fresh();
    group(s, GA, 0);
    uint64_t j0 = add(s, GA, ALICE, 1);
    CHECK(j0 != 0); /* told it is a member, no GMK yet */
    mcgk_gms_rotation r;
    rotation(&r, 0x0000aaaa, GA, NULL, 1);
    uint64_t job = 0, n = 0;
    CHECK_OK(mcgk_gms_store_rotate(s, &r, NOW, &job, &n));
    CHECK(n == 1);
    CHECK(add(s, GA, BOB, 0) == 0); /* not authorised: no job at all */
    counter c;
    CHECK(deliveries(s, 0, -1, &c) == 2); /* alice's add + alice's rotation */
    memset(&c, 0, sizeof c);
    CHECK_OK(mcgk_gms_store_delivery_list(s, 0, -1, BOB, count_dlv, &c));
    CHECK(c.n == 0);
    uint64_t ja = 0;
    CHECK_OK(mcgk_gms_store_member_authorise(s, GA, BOB, NOW, &ja));
    CHECK(ja != 0);
    mcgk_gms_job_row jr;
    CHECK_OK(mcgk_gms_store_job_get(s, ja, &jr));
    CHECK(jr.kind == MCGK_GMS_JOB_ADD && jr.n_gmks == 1 && jr.key_ids[0] == 0x0000aaaa);
    CHECK(jr.n_groups == 1 && strcmp(jr.groups[0], GA) == 0 && jr.counts[0] == 1);
    CHECK_OK(mcgk_gms_store_member_authorise(s, GA, BOB, NOW, &ja));
    CHECK(ja == 0); /* already */
    CHECK_ERR(mcgk_gms_store_member_authorise(s, GA, CAROL, NOW, &ja), MCGK_ERR_NOT_FOUND);
    /* a member twice; a new user without a token; an unknown group */
    uint64_t j;
    CHECK_ERR(mcgk_gms_store_member_add(s, GA, ALICE, NULL, 1, NULL, NOW, &j, NULL),
              MCGK_ERR_EXISTS);
    CHECK_ERR(mcgk_gms_store_member_add(s, GA, CAROL, NULL, 1, NULL, NOW, &j, NULL),
              MCGK_ERR_INVALID_ARG);
    uint8_t h[MCGK_KMS_TOKEN_HASH_LEN];
    hash_of("t", h);
    CHECK_ERR(mcgk_gms_store_member_add(s, "sip:none@x", CAROL, NULL, 1, h, NOW, &j, NULL),
              MCGK_ERR_NOT_FOUND);
    mcgk_gms_group_row g;
    CHECK_OK(mcgk_gms_store_group_get(s, GA, &g));
    CHECK(g.n_members == 2 && g.n_authorised == 2);
    mcgk_gms_store_close(s);
}

/* A rotation writes GMKs, groups, job and deliveries together - or nothing. */
static void test_rotation_atomic(void)
{
    mcgk_gms_store *s = fresh();
    group(s, GA, 0);
    group(s, GB, 0);
    add(s, GA, ALICE, 1);
    add(s, GB, ALICE, 1);
    add(s, GB, BOB, 1);
    mcgk_gms_rotation r;
    rotation(&r, 0x0000bbbb, GA, GB, 1); /* R-001-06: one GMK, two groups */
    r.n_gmks = 2;
    r.key_ids[1] = 0x0000bbbc;
    memset(r.sealed[1], 0x5A, sizeof r.sealed[1]);
    memset(r.rands[1], 0x11, sizeof r.rands[1]);
    r.uses[1] = MCGK_GMK_USE_FLOOR_CONTROL;
    uint64_t job = 0, n = 0;
    CHECK_OK(mcgk_gms_store_rotate(s, &r, NOW, &job, &n));
    CHECK(n == 2); /* alice once (both groups), bob */
    counter c;
    memset(&c, 0, sizeof c);
    CHECK_OK(mcgk_gms_store_delivery_list(s, job, -1, ALICE, count_dlv, &c));
    CHECK(c.n == 1 && c.row.mask == 3 && c.row.push == 1 && c.row.d.state == 0);
    memset(&c, 0, sizeof c);
    CHECK_OK(mcgk_gms_store_delivery_list(s, job, -1, BOB, count_dlv, &c));
    CHECK(c.n == 1 && c.row.mask == 2);
    mcgk_gms_gmk_info info;
    uint8_t sealed[MCGK_GMS_SEALED_GMK_LEN], rnd[MCGK_GMK_RAND_LEN];
    char groups[MCGK_GMS_JOB_GROUPS][MCGK_GMS_GROUP_ID_MAX + 1];
    size_t ng = 0;
    CHECK_OK(mcgk_gms_store_gmk_get(s, 0x0000bbbc, &info, sealed, rnd, groups, &ng));
    CHECK(info.use == MCGK_GMK_USE_FLOOR_CONTROL && ng == 2 && sealed[0] == 0x5A &&
          rnd[0] == 0x11);
    CHECK_ERR(mcgk_gms_store_gmk_get(s, 1, &info, NULL, NULL, NULL, NULL), MCGK_ERR_NOT_FOUND);
    /* the same key ID again: EXISTS, and nothing of the second attempt stays */
    mcgk_gms_rotation r2;
    rotation(&r2, 0x0000bbbb, GA, NULL, 1);
    uint64_t job2 = 0;
    CHECK_ERR(mcgk_gms_store_rotate(s, &r2, NOW, &job2, &n), MCGK_ERR_EXISTS);
    CHECK(deliveries(s, 0, -1, &c) == 5); /* 3 adds + 2 */
    /* an unknown group */
    rotation(&r2, 0x0000cccc, "sip:none@x", NULL, 1);
    CHECK_ERR(mcgk_gms_store_rotate(s, &r2, NOW, &job2, &n), MCGK_ERR_NOT_FOUND);
    CHECK_ERR(mcgk_gms_store_gmk_get(s, 0x0000cccc, NULL, NULL, NULL, NULL, NULL),
              MCGK_ERR_NOT_FOUND);
    rotation(&r2, 0x0000cccc, GA, NULL, 1);
    r2.n_gmks = 0;
    CHECK_ERR(mcgk_gms_store_rotate(s, &r2, NOW, &job2, &n), MCGK_ERR_INVALID_ARG);
    mcgk_gms_store_close(s);
}

/* Claims, outcomes, resume: the crash-safety rules. */
static void test_claim_record_resume(void)
{
    mcgk_gms_store *s = fresh();
    group(s, GA, 0);
    add(s, GA, ALICE, 1);
    add(s, GA, BOB, 1);
    add(s, GA, CAROL, 1);
    mcgk_gms_claim cl[8];
    size_t n = 0;
    /* the three add jobs first: claim and confirm them */
    CHECK_OK(mcgk_gms_store_claim(s, NOW * 1000, 60000, cl, 8, &n));
    CHECK(n == 3);
    mcgk_gms_outcome o[3];
    for (size_t i = 0; i < n; i++) {
        o[i].job_id = cl[i].job_id;
        strcpy(o[i].uri, cl[i].uri);
        memset(&o[i].d, 0, sizeof o[i].d);
        o[i].d.state = MCGK_GMS_DLV_CONFIRMED;
        o[i].d.status = 200;
        strcpy(o[i].d.reason, "ok");
    }
    size_t applied = 0;
    CHECK_OK(mcgk_gms_store_record(s, o, n, NOW * 1000, &applied));
    CHECK(applied == 3);
    CHECK_OK(mcgk_gms_store_record(s, o, n, NOW * 1000, &applied));
    CHECK(applied == 0); /* idempotent: confirmed rows stay */
    mcgk_gms_rotation r;
    rotation(&r, 0x00001111, GA, NULL, 1);
    uint64_t job = 0, cnt = 0;
    CHECK_OK(mcgk_gms_store_rotate(s, &r, NOW, &job, &cnt));
    CHECK(cnt == 3);
    uint64_t due = 0;
    CHECK_OK(mcgk_gms_store_next_due(s, &due));
    CHECK(due == NOW * 1000);
    CHECK_OK(mcgk_gms_store_claim(s, NOW * 1000, 60000, cl, 2, &n));
    CHECK(n == 2 && cl[0].attempts == 1 && cl[0].job_id == job);
    CHECK(cl[0].seq == 2 && cl[1].seq == 2); /* the second document of each */
    CHECK(cl[0].kms_uri[0] == '\0');
    /* leased: not claimed again before the lease ends */
    size_t m = 0;
    CHECK_OK(mcgk_gms_store_claim(s, NOW * 1000 + 1, 60000, cl + 2, 6, &m));
    CHECK(m == 1);
    /* alice confirms; bob is told to retry; carol's NOTIFY is in flight at the "crash" */
    mcgk_gms_outcome a[2];
    memset(a, 0, sizeof a);
    a[0].job_id = job;
    strcpy(a[0].uri, cl[0].uri);
    a[0].d.state = MCGK_GMS_DLV_CONFIRMED;
    a[1].job_id = job;
    strcpy(a[1].uri, cl[1].uri);
    a[1].d.state = MCGK_GMS_DLV_PENDING;
    a[1].d.next_ms = NOW * 1000 + 500;
    strcpy(a[1].d.reason, "not-registered");
    CHECK_OK(mcgk_gms_store_record(s, a, 2, NOW * 1000 + 2, &applied));
    CHECK(applied == 2);
    counter cs;
    CHECK(deliveries(s, job, MCGK_GMS_DLV_SENT, &cs) == 1);
    /* wake: someone else's registration leaves bob waiting; his own makes him due */
    mcgk_gms_binding_change reg = {0, "sip:nobody@example.org", "sip:nobody@127.0.0.1:5070",
                                   NOW + 3600};
    CHECK_OK(mcgk_gms_store_binding_apply(s, &reg, 1, NOW * 1000 + 3));
    CHECK_OK(mcgk_gms_store_next_due(s, &due));
    CHECK(due == NOW * 1000 + 500);
    reg.aor = a[1].uri;
    CHECK_OK(mcgk_gms_store_binding_apply(s, &reg, 1, NOW * 1000 + 3));
    CHECK_OK(mcgk_gms_store_next_due(s, &due));
    CHECK(due == NOW * 1000 + 3);
    CHECK_ERR(mcgk_gms_store_binding_apply(s, NULL, 1, 0), MCGK_ERR_INVALID_ARG);
    /* restart: carol's row is resumed; alice's confirmed row never comes back */
    uint64_t resumed = 0;
    CHECK_OK(mcgk_gms_store_resume(s, NOW * 1000 + 10, &resumed));
    CHECK(resumed == 1);
    CHECK_OK(mcgk_gms_store_claim(s, NOW * 1000 + 10, 60000, cl, 8, &n));
    CHECK(n == 2);
    for (size_t i = 0; i < n; i++)
        CHECK(strcmp(cl[i].uri, a[0].uri) != 0);
    CHECK(cl[0].attempts == 2 && cl[1].attempts == 2);
    counter c;
    CHECK(deliveries(s, job, MCGK_GMS_DLV_CONFIRMED, &c) == 1);
    mcgk_gms_job_row jr;
    CHECK_OK(mcgk_gms_store_job_get(s, job, &jr));
    CHECK(jr.counts[MCGK_GMS_DLV_SENT] == 2 && jr.counts[MCGK_GMS_DLV_CONFIRMED] == 1);
    CHECK_ERR(mcgk_gms_store_job_get(s, 999, &jr), MCGK_ERR_NOT_FOUND);
    CHECK_OK(mcgk_gms_store_claim(s, NOW * 1000, 60000, cl, 0, &n));
    CHECK(n == 0);
    mcgk_gms_store_close(s);
}

/* R-003-34 / R-003-35: revocation - the same GMK, status revoked, pushed by SIP to the
 * members of its groups; what was still owed of it is cancelled. */
static void test_R_003_34_R_003_35_revoke(void)
{
    mcgk_gms_store *s = fresh();
    group(s, GA, 0);
    add(s, GA, ALICE, 1);
    add(s, GA, BOB, 1);
    mcgk_gms_rotation r;
    rotation(&r, 0x00002222, GA, NULL, 0); /* distributed by pull */
    uint64_t job = 0, n = 0;
    CHECK_OK(mcgk_gms_store_rotate(s, &r, NOW, &job, &n));
    counter c;
    CHECK(deliveries(s, job, MCGK_GMS_DLV_PENDING, &c) == 2 && c.row.push == 0);
    uint64_t rj = 0;
    CHECK_OK(mcgk_gms_store_revoke(s, 0x00002222, NOW, &rj, &n));
    CHECK(n == 2);
    CHECK(deliveries(s, job, MCGK_GMS_DLV_CANCELLED, &c) == 2);
    mcgk_gms_job_row jr;
    CHECK_OK(mcgk_gms_store_job_get(s, rj, &jr));
    CHECK(jr.kind == MCGK_GMS_JOB_REVOKE && jr.push == 1 && jr.n_gmks == 1 && jr.n_groups == 1);
    CHECK(deliveries(s, rj, -1, &c) == 2 && c.row.push == 1); /* R-003-35: SIP only */
    mcgk_gms_gmk_info info;
    CHECK_OK(mcgk_gms_store_gmk_get(s, 0x00002222, &info, NULL, NULL, NULL, NULL));
    CHECK(info.revoked);
    CHECK_ERR(mcgk_gms_store_revoke(s, 0x00002222, NOW, &rj, &n), MCGK_ERR_REVOKED);
    CHECK_ERR(mcgk_gms_store_revoke(s, 0x00009999, NOW, &rj, &n), MCGK_ERR_NOT_FOUND);
    /* a revoked GMK is not given to a new member */
    uint64_t aj = add(s, GA, CAROL, 1);
    CHECK_OK(mcgk_gms_store_job_get(s, aj, &jr));
    CHECK(jr.n_gmks == 0);
    mcgk_gms_store_close(s);
}

static int count_gmk(void *ctx, const mcgk_gms_gmk_info *g)
{
    (void)g;
    (*(size_t *)ctx)++;
    return 0;
}

static int count_member(void *ctx, const mcgk_gms_member_row *m)
{
    size_t *n = ctx;
    n[0]++;
    if (m->removed)
        n[1]++;
    return 0;
}

/* R-001-24: removal rotates the GMK for the remaining members when the profile says
 * so; R-001-25 / R-001-33: the removed member is told. */
static void test_R_001_24_R_001_25_remove(void)
{
    mcgk_gms_store *s = fresh();
    group(s, GA, 1);
    group(s, GB, 0);
    add(s, GA, ALICE, 1);
    add(s, GA, BOB, 1);
    add(s, GB, BOB, 1);
    mcgk_gms_rotation r;
    rotation(&r, 0x00003333, GA, GB, 1);
    uint64_t job = 0, n = 0;
    CHECK_OK(mcgk_gms_store_rotate(s, &r, NOW, &job, &n));
    /* bob leaves A while the rotation is outstanding: his delivery keeps group B only */
    mcgk_gms_rotation again;
    rotation(&again, 0x00004444, GA, NULL, 1);
    uint64_t remj = 0, rotj = 0;
    CHECK_OK(mcgk_gms_store_member_remove(s, GA, BOB, &again, NOW, &remj, &rotj));
    CHECK(remj != 0 && rotj != 0);
    counter c;
    memset(&c, 0, sizeof c);
    CHECK_OK(mcgk_gms_store_delivery_list(s, job, -1, BOB, count_dlv, &c));
    CHECK(c.n == 1 && c.row.mask == 2 && c.row.d.state == MCGK_GMS_DLV_PENDING);
    mcgk_gms_job_row jr;
    CHECK_OK(mcgk_gms_store_job_get(s, remj, &jr));
    CHECK(jr.kind == MCGK_GMS_JOB_REMOVE && jr.n_gmks == 0 && jr.counts[0] == 1);
    CHECK(deliveries(s, rotj, -1, &c) == 1 && strcmp(c.last, ALICE) == 0); /* R-001-24 */
    /* alice leaves A too: her outstanding delivery had only A - cancelled */
    CHECK_OK(mcgk_gms_store_member_remove(s, GA, ALICE, NULL, NOW, &remj, &rotj));
    CHECK(rotj == 0);
    CHECK(deliveries(s, job, MCGK_GMS_DLV_CANCELLED, &c) == 1 && strcmp(c.last, ALICE) == 0);
    CHECK_ERR(mcgk_gms_store_member_remove(s, GA, ALICE, NULL, NOW, &remj, &rotj),
              MCGK_ERR_NOT_FOUND);
    /* an unauthorised member is removed silently */
    add(s, GA, CAROL, 0);
    CHECK_OK(mcgk_gms_store_member_remove(s, GA, CAROL, NULL, NOW, &remj, &rotj));
    CHECK(remj == 0);
    /* a removed member may come back */
    CHECK(add(s, GA, ALICE, 1) != 0);
    mcgk_gms_member_row mr;
    CHECK_OK(mcgk_gms_store_member_get(s, GA, BOB, &mr));
    CHECK(mr.removed && mr.authorised && strcmp(mr.uri, BOB) == 0);
    CHECK_ERR(mcgk_gms_store_member_get(s, GB, CAROL, &mr), MCGK_ERR_NOT_FOUND);
    size_t counts[2] = {0, 0};
    CHECK_OK(mcgk_gms_store_member_list(s, GA, count_member, counts));
    CHECK(counts[0] == 3 && counts[1] == 2);
    size_t k = 0;
    CHECK_OK(mcgk_gms_store_gmk_list(s, GA, count_gmk, &k));
    CHECK(k == 2);
    k = 0;
    CHECK_OK(mcgk_gms_store_gmk_list(s, GB, count_gmk, &k));
    CHECK(k == 1);
    mcgk_gms_store_close(s);
}

static int count_binding(void *ctx, const char *aor, const char *contact, uint64_t exp)
{
    (void)aor;
    (void)contact;
    (void)exp;
    (*(size_t *)ctx)++;
    return 0;
}

static int count_job(void *ctx, const mcgk_gms_job_row *j)
{
    (void)j;
    (*(size_t *)ctx)++;
    return 0;
}

static void test_tokens_bindings_pulls(void)
{
    mcgk_gms_store *s = fresh();
    group(s, GA, 0);
    add(s, GA, ALICE, 1);
    uint8_t h[MCGK_KMS_TOKEN_HASH_LEN];
    char uri[MCGK_GMS_URI_MAX + 1];
    hash_of(ALICE, h);
    CHECK_OK(mcgk_gms_store_user_by_token(s, h, uri));
    CHECK(strcmp(uri, ALICE) == 0);
    hash_of("wrong", h);
    CHECK_ERR(mcgk_gms_store_user_by_token(s, h, uri), MCGK_ERR_AUTH_FAILED);
    CHECK_OK(mcgk_gms_store_user_token(s, ALICE, h));
    CHECK_OK(mcgk_gms_store_user_by_token(s, h, uri));
    CHECK_ERR(mcgk_gms_store_user_token(s, BOB, h), MCGK_ERR_NOT_FOUND);
    char kms[MCGK_KMS_URI_MAX];
    uint64_t seq = 0, seq2 = 0;
    CHECK_OK(mcgk_gms_store_user_next_seq(s, ALICE, kms, &seq));
    CHECK_OK(mcgk_gms_store_user_next_seq(s, ALICE, kms, &seq2));
    CHECK(seq2 == seq + 1);
    CHECK_ERR(mcgk_gms_store_user_next_seq(s, BOB, kms, &seq), MCGK_ERR_NOT_FOUND);
    /* bindings */
    size_t n = 0;
    CHECK_OK(mcgk_gms_store_binding_put(s, ALICE, "sip:alice@127.0.0.1:5070", NOW + 60));
    CHECK_OK(mcgk_gms_store_binding_put(s, BOB, "sip:bob@127.0.0.1:5071", NOW - 1));
    CHECK_OK(mcgk_gms_store_binding_list(s, NOW, count_binding, &n));
    CHECK(n == 1);
    CHECK_OK(mcgk_gms_store_binding_del(s, ALICE));
    n = 0;
    CHECK_OK(mcgk_gms_store_binding_list(s, NOW, count_binding, &n));
    CHECK(n == 0);
    /* R-003-31: the pull result recorded like a SIP answer */
    mcgk_gms_rotation r;
    rotation(&r, 0x00005555, GA, NULL, 0);
    uint64_t job = 0, cnt = 0;
    CHECK_OK(mcgk_gms_store_rotate(s, &r, NOW, &job, &cnt));
    mcgk_gms_answer ok = {MCGK_OK, 200, "ok"};
    size_t applied = 0;
    CHECK_ERR(mcgk_gms_store_pull_result(s, ALICE, GA, &ok, NOW * 1000, &applied),
              MCGK_ERR_NOT_FOUND);
    uint32_t ids[] = {0x00005555};
    CHECK_OK(mcgk_gms_store_pull_put(s, ALICE, GA, 5, ids, 1, NOW));
    mcgk_gms_answer bad = {MCGK_ERR_PEER, 403, "signature"};
    CHECK_OK(mcgk_gms_store_pull_result(s, ALICE, GA, &bad, NOW * 1000, &applied));
    CHECK(applied == 1);
    counter c;
    CHECK(deliveries(s, job, MCGK_GMS_DLV_FAILED, &c) == 1 && c.row.d.status == 403 &&
          strcmp(c.row.d.reason, "signature") == 0);
    CHECK_OK(mcgk_gms_store_pull_result(s, ALICE, GA, &ok, NOW * 1000, &applied));
    CHECK(applied == 1);
    CHECK(deliveries(s, job, MCGK_GMS_DLV_CONFIRMED, &c) == 1);
    CHECK_OK(mcgk_gms_store_pull_put(s, ALICE, GA, 6, NULL, 0, NOW));
    CHECK_OK(mcgk_gms_store_pull_result(s, ALICE, GA, &ok, NOW * 1000, &applied));
    CHECK(applied == 0);
    size_t jobs = 0;
    CHECK_OK(mcgk_gms_store_job_list(s, 0, count_job, &jobs));
    CHECK(jobs == 2);
    jobs = 0;
    CHECK_OK(mcgk_gms_store_job_list(s, 1, count_job, &jobs));
    CHECK(jobs == 1);
    mcgk_gms_store_close(s);
}

/* Memory does not grow with the group: a rotation for a large group is one
 * statement, and claims come in bounded chunks. */
static void test_large_group_chunks(void)
{
    mcgk_gms_store *s = fresh();
    group(s, GA, 0);
    size_t members = mcgk_test_quick() ? 300 : 3000;
    char(*uris)[64] = calloc(members, sizeof *uris);
    uint8_t(*hashes)[MCGK_KMS_TOKEN_HASH_LEN] = calloc(members, sizeof *hashes);
    mcgk_gms_new_member *nm = calloc(members, sizeof *nm);
    for (size_t i = 0; i < members; i++) {
        snprintf(uris[i], sizeof uris[i], "sip:u%zu@example.org", i);
        memcpy(hashes[i], &i, sizeof i);
        nm[i].uri = uris[i];
        nm[i].token_hash = hashes[i];
    }
    size_t added = 0;
    CHECK_OK(mcgk_gms_store_member_add_many(s, GA, nm, members, 0, NOW, &added));
    CHECK(added == members);
    CHECK_OK(mcgk_gms_store_member_add_many(s, GA, nm, 2, 0, NOW, &added));
    CHECK(added == 0); /* already there */
    CHECK_ERR(mcgk_gms_store_member_add_many(s, "sip:no@x", nm, 2, 0, NOW, &added),
              MCGK_ERR_NOT_FOUND);
    mcgk_gms_new_member fresh_user = {"sip:new@x", NULL, NULL};
    CHECK_ERR(mcgk_gms_store_member_add_many(s, GA, &fresh_user, 1, 0, NOW, &added),
              MCGK_ERR_INVALID_ARG);
    /* authorise them all and rotate: one statement fans the deliveries out */
    mcgk_gms_store_close(s);
    s = fresh();
    group(s, GA, 0);
    CHECK_OK(mcgk_gms_store_member_add_many(s, GA, nm, members, 1, NOW, &added));
    mcgk_gms_rotation r;
    rotation(&r, 0x00007777, GA, NULL, 1);
    uint64_t job = 0, n = 0;
    CHECK_OK(mcgk_gms_store_rotate(s, &r, NOW, &job, &n));
    CHECK(n == members);
    mcgk_gms_claim *cl = calloc(64, sizeof *cl);
    size_t got = 0, total = 0;
    /* the add jobs first (one per member), then the rotation, in chunks of 64 */
    do {
        CHECK_OK(mcgk_gms_store_claim(s, NOW * 1000, 60000, cl, 64, &got));
        CHECK(got <= 64);
        total += got;
    } while (got > 0);
    CHECK(total == 2 * members);
    free(cl);
    free(uris);
    free(hashes);
    free(nm);
    mcgk_gms_group_row g;
    CHECK_OK(mcgk_gms_store_group_get(s, GA, &g));
    CHECK(g.n_members == members && g.n_authorised == members);
    mcgk_gms_store_close(s);
}

int main(void)
{
    g_rng = mcgk_test_prng_init(&g_prng, 11);
    snprintf(g_dir, sizeof g_dir, "/tmp/mcgk-gms-store-XXXXXX");
    if (mkdtemp(g_dir) == NULL)
        return 1;
    TEST_RUN(test_ring_and_config);
    TEST_RUN(test_groups);
    TEST_RUN(test_R_001_27_R_001_28_R_001_31_authorise_before_gmk);
    TEST_RUN(test_rotation_atomic);
    TEST_RUN(test_claim_record_resume);
    TEST_RUN(test_R_003_34_R_003_35_revoke);
    TEST_RUN(test_R_001_24_R_001_25_remove);
    TEST_RUN(test_tokens_bindings_pulls);
    TEST_RUN(test_large_group_chunks);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd) != 0)
        printf("could not remove %s\n", g_dir);
    TEST_MAIN_END();
}
