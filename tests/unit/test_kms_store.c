/*
 * Unit tests of the stores (store/store.h on SQLite): the KMS tables
 * (community sealed at rest, users, identities, partners, cache number),
 * a client's tables (ring, certificates, sealed key sets), the sealing
 * helpers, and "keys at time T" (TS 33.180 §5.3) with the seed
 * requirements of section A that a client's key store carries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "mcgk/kms.h"
#include "platform/file.h"
#include "store/store.h"
#include "test.h"

#define KMS_URI "kms.example.org"
#define ALICE "sip:alice@example.org"
#define PERIOD 3600u
#define NOW 1714564800u

static char g_dir[256];
static mcgk_test_prng g_prng;
static mcgk_rng g_rng;
static mcgk_kms_cert g_cert;
static uint8_t g_z[MCGK_SAKKE_FP_LEN], g_ksak[MCGK_ECCSI_SCALAR_LEN];
static mcgk_kms *g_kms;

static void path_of(const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", g_dir, name);
}

static void setup(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/mcgk-test-store-XXXXXX");
    if (mkdtemp(g_dir) == NULL)
        exit(2);
    g_rng = mcgk_test_prng_init(&g_prng, 77);
    mcgk_kms_cert tmpl;
    memset(&tmpl, 0, sizeof tmpl);
    snprintf(tmpl.kms_uri, sizeof tmpl.kms_uri, KMS_URI);
    tmpl.user_key_period_s = PERIOD;
    if (mcgk_kms_generate(&tmpl, &g_rng, &g_cert, g_z, g_ksak) != MCGK_OK ||
        mcgk_kms_new(&g_cert, g_z, g_ksak, NULL, &g_kms) != MCGK_OK)
        exit(2);
}

static uint64_t period_of(uint64_t unix_s)
{
    return (unix_s + MCGK_NTP_UNIX_OFFSET_S) / PERIOD;
}

/* ---- KMS store ---- */

static void test_kms_community_sealed(void)
{
    char db[512], kf[512], kf2[512];
    path_of("kms.db", db, sizeof db);
    path_of("kek.key", kf, sizeof kf);
    path_of("other.key", kf2, sizeof kf2);
    CHECK_OK(mcgk_seal_keyfile_create(kf, &g_rng));
    CHECK_OK(mcgk_seal_keyfile_create(kf2, &g_rng));
    mcgk_kms_store *s = NULL;
    CHECK_OK(mcgk_kms_store_open_sqlite(db, &s));
    struct stat st;
    CHECK(stat(db, &st) == 0 && (st.st_mode & 077) == 0);
    mcgk_seal_kek_source src = {kf, NULL, 0}, wrong = {kf2, NULL, 0};
    mcgk_kms_cert c;
    uint8_t z[MCGK_SAKKE_FP_LEN], k[MCGK_ECCSI_SCALAR_LEN];
    CHECK_ERR(mcgk_kms_store_load_community(s, &src, &c, z, k), MCGK_ERR_NOT_FOUND);
    CHECK_OK(mcgk_kms_store_init_community(s, &src, 0, &g_cert, g_z, g_ksak, NOW, &g_rng));
    CHECK_ERR(mcgk_kms_store_init_community(s, &src, 0, &g_cert, g_z, g_ksak, NOW, &g_rng),
              MCGK_ERR_EXISTS);
    mcgk_kms_store_close(s);
    /* reopen (a restart keeps everything) */
    CHECK_OK(mcgk_kms_store_open_sqlite(db, &s));
    CHECK_OK(mcgk_kms_store_load_community(s, &src, &c, z, k));
    CHECK(memcmp(z, g_z, sizeof z) == 0 && memcmp(k, g_ksak, sizeof k) == 0);
    CHECK(memcmp(c.pub_enc_key, g_cert.pub_enc_key, sizeof c.pub_enc_key) == 0);
    CHECK_ERR(mcgk_kms_store_load_community(s, &wrong, &c, z, k), MCGK_ERR_UNSEAL);
    /* the master secrets are not in the file in clear */
    uint8_t *raw = NULL;
    size_t n = 0;
    CHECK_OK(mcgk_file_read(db, 1 << 24, &raw, &n));
    int found = 0;
    for (size_t i = 0; i + 16 <= n; i++)
        if (memcmp(raw + i, g_z + 100, 16) == 0 || memcmp(raw + i, g_ksak + 8, 16) == 0)
            found = 1;
    CHECK(!found);
    mcgk_file_free(raw, n);
    /* a tampered sealed column does not open */
    mcgk_kms_community_row *row = malloc(sizeof *row);
    CHECK_OK(s->ops->community_get(s, row));
    CHECK(row->created_unix_s == NOW);
    CHECK_ERR(s->ops->community_put(s, row), MCGK_ERR_EXISTS);
    free(row);
    mcgk_kms_store_close(s);
    CHECK_ERR(mcgk_kms_store_open_sqlite(NULL, &s), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_kms_store_open_sqlite("/nonexistent/dir/kms.db", &s), MCGK_ERR_IO);
    CHECK_ERR(mcgk_kms_store_init_community(NULL, &src, 0, &g_cert, g_z, g_ksak, NOW, &g_rng),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_kms_store_load_community(NULL, &src, &c, z, k), MCGK_ERR_INVALID_ARG);
    mcgk_kms_store_close(NULL);
}

typedef struct count_ctx {
    int n;
    char last[MCGK_KMS_URI_MAX];
    size_t last_ids;
} count_ctx;

static int count_user(void *ctx, const mcgk_kms_user *u)
{
    count_ctx *c = ctx;
    c->n++;
    snprintf(c->last, sizeof c->last, "%s", u->uri);
    c->last_ids = u->n_identities;
    return 0;
}

static int count_partner(void *ctx, const mcgk_kms_partner_row *r)
{
    count_ctx *c = ctx;
    c->n++;
    snprintf(c->last, sizeof c->last, "%s", r->kms_uri);
    return 0;
}

static int stop_first(void *ctx, const mcgk_kms_user *u)
{
    (void)u;
    ((count_ctx *)ctx)->n++;
    return 1;
}

static void test_kms_users_and_partners(void)
{
    char db[512];
    path_of("users.db", db, sizeof db);
    mcgk_kms_store *s = NULL;
    CHECK_OK(mcgk_kms_store_open_sqlite(db, &s));
    mcgk_kms_user u, got;
    memset(&u, 0, sizeof u);
    snprintf(u.uri, sizeof u.uri, ALICE);
    mcgk_kms_token_hash("t1", 2, u.token_hash);
    u.created_unix_s = NOW;
    CHECK_OK(s->ops->user_add(s, &u));
    CHECK_ERR(s->ops->user_add(s, &u), MCGK_ERR_EXISTS);
    mcgk_kms_user g;
    memset(&g, 0, sizeof g);
    snprintf(g.uri, sizeof g.uri, "sip:gms@example.org");
    g.role = MCGK_KMS_ROLE_GMS;
    g.n_identities = 2;
    snprintf(g.identities[0], sizeof g.identities[0], "sip:g1@example.org");
    snprintf(g.identities[1], sizeof g.identities[1], "sip:g2@example.org");
    CHECK_OK(s->ops->user_add(s, &g));
    CHECK_OK(s->ops->user_get(s, "sip:gms@example.org", &got));
    CHECK(got.role == MCGK_KMS_ROLE_GMS && got.n_identities == 2 && !got.revoked);
    CHECK(strcmp(got.identities[1], "sip:g2@example.org") == 0);
    CHECK_ERR(s->ops->user_get(s, "sip:nobody@example.org", &got), MCGK_ERR_UNKNOWN_USER);
    g.n_identities = MCGK_KMS_MAX_IDENTITIES + 1;
    CHECK_ERR(s->ops->user_add(s, &g), MCGK_ERR_OVERSIZED);
    /* grant */
    CHECK_OK(s->ops->user_grant(s, ALICE, "sip:g9@example.org"));
    CHECK_ERR(s->ops->user_grant(s, ALICE, "sip:g9@example.org"), MCGK_ERR_EXISTS);
    CHECK_ERR(s->ops->user_grant(s, "sip:nobody@x", "sip:g9@example.org"),
              MCGK_ERR_UNKNOWN_USER);
    for (int i = 1; i < MCGK_KMS_MAX_IDENTITIES; i++) {
        char id[64];
        snprintf(id, sizeof id, "sip:extra%d@example.org", i);
        CHECK_OK(s->ops->user_grant(s, ALICE, id));
    }
    CHECK_ERR(s->ops->user_grant(s, ALICE, "sip:one-too-many@example.org"), MCGK_ERR_OVERSIZED);
    CHECK_OK(s->ops->user_get(s, ALICE, &got));
    CHECK(got.n_identities == MCGK_KMS_MAX_IDENTITIES);
    /* revoke, token replacement reinstates */
    CHECK_OK(s->ops->user_revoke(s, ALICE, NOW));
    CHECK_OK(s->ops->user_revoke(s, ALICE, NOW + 5));
    CHECK_OK(s->ops->user_get(s, ALICE, &got));
    CHECK(got.revoked);
    CHECK_ERR(s->ops->user_revoke(s, "sip:nobody@x", NOW), MCGK_ERR_UNKNOWN_USER);
    uint8_t h2[32];
    mcgk_kms_token_hash("t2", 2, h2);
    CHECK_OK(s->ops->user_set_token(s, ALICE, h2));
    CHECK_OK(s->ops->user_get(s, ALICE, &got));
    CHECK(!got.revoked && memcmp(got.token_hash, h2, 32) == 0);
    CHECK_ERR(s->ops->user_set_token(s, "sip:nobody@x", h2), MCGK_ERR_UNKNOWN_USER);
    count_ctx cc;
    memset(&cc, 0, sizeof cc);
    CHECK_OK(s->ops->user_list(s, count_user, &cc));
    CHECK(cc.n == 2 && strcmp(cc.last, "sip:gms@example.org") == 0 && cc.last_ids == 2);
    memset(&cc, 0, sizeof cc);
    CHECK_OK(s->ops->user_list(s, stop_first, &cc));
    CHECK(cc.n == 1);
    /* partners and the cache number */
    uint64_t n0 = 0, n1 = 0;
    CHECK_OK(s->ops->cache_num(s, &n0));
    mcgk_kms_partner_row *p = calloc(1, sizeof *p);
    snprintf(p->kms_uri, sizeof p->kms_uri, "kms.partner.org");
    snprintf(p->cert_xml, sizeof p->cert_xml, "<KmsCertificate/>");
    CHECK_OK(s->ops->partner_put(s, p));
    CHECK_OK(s->ops->partner_put(s, p)); /* replace */
    CHECK_OK(s->ops->cache_num(s, &n1));
    CHECK(n1 == n0 + 2);
    memset(&cc, 0, sizeof cc);
    CHECK_OK(s->ops->partner_list(s, count_partner, &cc));
    CHECK(cc.n == 1 && strcmp(cc.last, "kms.partner.org") == 0);
    CHECK_OK(s->ops->partner_remove(s, "kms.partner.org"));
    CHECK_ERR(s->ops->partner_remove(s, "kms.partner.org"), MCGK_ERR_NOT_FOUND);
    CHECK_OK(s->ops->cache_num(s, &n1));
    CHECK(n1 == n0 + 3);
    free(p);
    mcgk_kms_store_close(s);
    /* a second connection sees what the first wrote (CLI beside a running server) */
    mcgk_kms_store *s2 = NULL;
    CHECK_OK(mcgk_kms_store_open_sqlite(db, &s2));
    CHECK_OK(s2->ops->user_get(s2, ALICE, &got));
    mcgk_kms_store_close(s2);
}

/* ---- client store ---- */

static mcgk_client_store *open_client(const char *name, uint8_t dek[MCGK_SEAL_KEY_LEN])
{
    char db[512], kf[600];
    path_of(name, db, sizeof db);
    snprintf(kf, sizeof kf, "%s.key", db);
    if (!mcgk_file_exists(kf))
        mcgk_seal_keyfile_create(kf, &g_rng);
    mcgk_client_store *s = NULL;
    CHECK_OK(mcgk_client_store_open_sqlite(db, &s));
    mcgk_seal_kek_source src = {NULL, NULL, 0};
    static char kf_keep[8][600];
    static int slot;
    snprintf(kf_keep[slot & 7], sizeof kf_keep[0], "%s", kf);
    src.key_file = kf_keep[slot++ & 7];
    CHECK_OK(mcgk_client_store_unlock(s, &src, 0, &g_rng, dek));
    return s;
}

static void put_cert(mcgk_client_store *s, const mcgk_kms_cert *c, int home)
{
    mcgk_client_cert_row *row = calloc(1, sizeof *row);
    char *xml = NULL;
    size_t len = 0;
    CHECK_OK(mcgk_kms_cert_encode(c, &xml, &len));
    snprintf(row->kms_uri, sizeof row->kms_uri, "%s", c->kms_uri);
    memcpy(row->cert_xml, xml, len + 1);
    row->home = home;
    row->fetched_unix_s = NOW;
    CHECK_OK(s->ops->cert_put(s, row));
    mcgk_kms_xml_free(xml, len);
    free(row);
}

static void store_period(mcgk_client_store *s, const uint8_t *dek, const char *id,
                         uint64_t n)
{
    mcgk_kms_keyset ks;
    CHECK_OK(mcgk_kms_issue(g_kms, id, n, &g_rng, &ks));
    CHECK_OK(mcgk_client_store_put_keyset(s, dek, &ks, NOW, &g_rng));
    mcgk_kms_keyset_clear(&ks);
}

/* R-000-01 / R-002-01 / R-003-05: no key material before provisioning, so nothing that
 * needs keys (GMK processing, group management) can proceed. */
static void test_R_000_01_R_002_01_R_003_05_no_keys_without_provisioning(void)
{
    uint8_t dek[MCGK_SEAL_KEY_LEN];
    mcgk_client_store *s = open_client("fresh.db", dek);
    mcgk_kms_keyset ks;
    uint64_t t = NOW + MCGK_NTP_UNIX_OFFSET_S;
    CHECK_ERR(mcgk_client_keys_at(s, dek, ALICE, NULL, t, &ks), MCGK_ERR_NO_KEYS);
    put_cert(s, &g_cert, 1);
    CHECK_ERR(mcgk_client_keys_at(s, dek, ALICE, NULL, t, &ks), MCGK_ERR_NO_KEYS);
    store_period(s, dek, ALICE, period_of(NOW));
    CHECK_OK(mcgk_client_keys_at(s, dek, ALICE, NULL, t, &ks));
    mcgk_kms_keyset_clear(&ks);
    mcgk_client_store_close(s);
}

/* R-001-01 / R-003-01: key material is time-limited: a key set serves exactly its
 * key period, and the next period's keys are a separate key set. */
static void test_R_001_01_key_material_time_limited(void)
{
    uint8_t dek[MCGK_SEAL_KEY_LEN];
    mcgk_client_store *s = open_client("timed.db", dek);
    put_cert(s, &g_cert, 1);
    uint64_t n = period_of(NOW);
    store_period(s, dek, ALICE, n);
    uint64_t start_ntp = n * PERIOD, end_ntp = start_ntp + PERIOD;
    mcgk_kms_keyset ks;
    CHECK_OK(mcgk_client_keys_at(s, dek, ALICE, NULL, start_ntp, &ks));
    CHECK(ks.key_period_no == n);
    CHECK(ks.valid_from_unix_s + MCGK_NTP_UNIX_OFFSET_S == start_ntp);
    CHECK(ks.valid_to_unix_s + MCGK_NTP_UNIX_OFFSET_S == end_ntp);
    mcgk_kms_cert *cert = malloc(sizeof *cert);
    mcgk_sakke_community *com = NULL;
    CHECK_OK(mcgk_sakke_community_new(g_cert.pub_enc_key, &com));
    CHECK_OK(mcgk_client_cert_at(s, NULL, cert));
    CHECK_OK(mcgk_kms_keyset_check(cert, com, &ks, ALICE, n)); /* unsealed intact */
    CHECK_OK(mcgk_client_keys_at(s, dek, ALICE, NULL, end_ntp - 1, &ks));
    CHECK_ERR(mcgk_client_keys_at(s, dek, ALICE, NULL, end_ntp, &ks), MCGK_ERR_NO_KEYS);
    CHECK_ERR(mcgk_client_keys_at(s, dek, ALICE, NULL, start_ntp - 1, &ks), MCGK_ERR_NO_KEYS);
    /* the next period's key set, fetched ahead, takes over at the boundary */
    store_period(s, dek, ALICE, n + 1);
    CHECK_OK(mcgk_client_keys_at(s, dek, ALICE, NULL, end_ntp, &ks));
    CHECK(ks.key_period_no == n + 1);
    CHECK_OK(mcgk_kms_keyset_check(cert, com, &ks, ALICE, n + 1));
    /* pruning drops periods before the given one */
    uint64_t gone = 0;
    CHECK_OK(s->ops->keyset_prune(s, KMS_URI, n + 1, &gone));
    CHECK(gone == 1);
    CHECK_ERR(mcgk_client_keys_at(s, dek, ALICE, NULL, start_ntp, &ks), MCGK_ERR_NO_KEYS);
    mcgk_kms_keyset_clear(&ks);
    mcgk_sakke_community_free(com);
    free(cert);
    mcgk_client_store_close(s);
}

/* Two processes open a new client store at once (the daemon and `client keysets`):
 * both find no seal ring; the one whose insert loses must take the winner's ring,
 * not fail with "exists" (seen under ASan in test_kms_server). Simulated with two
 * connections and a ring_get that lets the other one create the ring first. */
static mcgk_client_store *g_race_other;
static const mcgk_seal_kek_source *g_race_src;
static const mcgk_client_store_ops *g_race_real;
static int g_race_calls;

static mcgk_err race_ring_get(mcgk_client_store *s, uint8_t ring[MCGK_SEAL_RING_LEN])
{
    if (g_race_calls++ == 0) {
        uint8_t other[MCGK_SEAL_KEY_LEN];
        CHECK_OK(mcgk_client_store_unlock(g_race_other, g_race_src, 0, &g_rng, other));
        return MCGK_ERR_NOT_FOUND; /* what this connection saw a moment before */
    }
    return g_race_real->ring_get(s, ring);
}

static void test_client_store_ring_race(void)
{
    char db[512], kf[600];
    path_of("race.db", db, sizeof db);
    snprintf(kf, sizeof kf, "%s.key", db);
    CHECK_OK(mcgk_seal_keyfile_create(kf, &g_rng));
    mcgk_seal_kek_source src = {NULL, NULL, 0};
    src.key_file = kf;
    mcgk_client_store *a = NULL, *b = NULL;
    CHECK_OK(mcgk_client_store_open_sqlite(db, &a));
    CHECK_OK(mcgk_client_store_open_sqlite(db, &b));
    g_race_other = b;
    g_race_src = &src;
    g_race_real = a->ops;
    mcgk_client_store_ops ops = *a->ops;
    ops.ring_get = race_ring_get;
    a->ops = &ops;
    uint8_t dek_a[MCGK_SEAL_KEY_LEN], dek_b[MCGK_SEAL_KEY_LEN];
    CHECK_OK(mcgk_client_store_unlock(a, &src, 0, &g_rng, dek_a));
    CHECK(g_race_calls == 2);
    CHECK_OK(mcgk_client_store_unlock(b, &src, 0, &g_rng, dek_b));
    CHECK_MEM(dek_a, dek_b, sizeof dek_a); /* one ring, one DEK for both */
    a->ops = g_race_real;
    mcgk_client_store_close(a);
    mcgk_client_store_close(b);
}

static void test_client_store_details(void)
{
    uint8_t dek[MCGK_SEAL_KEY_LEN], dek2[MCGK_SEAL_KEY_LEN];
    mcgk_client_store *s = open_client("details.db", dek);
    /* the ring persists: reopening yields the same DEK */
    mcgk_client_store_close(s);
    s = open_client("details.db", dek2);
    CHECK_MEM(dek, dek2, sizeof dek);
    uint8_t ring[MCGK_SEAL_RING_LEN];
    CHECK_OK(s->ops->ring_get(s, ring));
    CHECK_ERR(s->ops->ring_put(s, ring), MCGK_ERR_EXISTS);
    /* certificates: home and partners */
    mcgk_kms_cert partner = g_cert;
    snprintf(partner.kms_uri, sizeof partner.kms_uri, "kms.partner.org");
    put_cert(s, &partner, 1);
    put_cert(s, &g_cert, 1); /* the new home makes the old one a partner */
    mcgk_client_cert_row *row = malloc(sizeof *row);
    CHECK_OK(s->ops->cert_get(s, NULL, row));
    CHECK(strcmp(row->kms_uri, KMS_URI) == 0 && row->home);
    CHECK_OK(s->ops->cert_get(s, "kms.partner.org", row));
    CHECK(!row->home);
    CHECK_ERR(s->ops->cert_get(s, "kms.none.org", row), MCGK_ERR_NOT_FOUND);
    free(row);
    mcgk_kms_cert c;
    CHECK_ERR(mcgk_client_cert_at(s, "kms.none.org", &c), MCGK_ERR_NOT_FOUND);
    /* a key set of the partner KMS, asked for by KMS URI */
    uint64_t n = period_of(NOW);
    store_period(s, dek, ALICE, n);
    mcgk_kms_keyset ks;
    uint64_t t = NOW + MCGK_NTP_UNIX_OFFSET_S;
    CHECK_ERR(mcgk_client_keys_at(s, dek, ALICE, "kms.partner.org", t, &ks), MCGK_ERR_NO_KEYS);
    CHECK_ERR(mcgk_client_keys_at(s, dek, ALICE, "kms.none.org", t, &ks), MCGK_ERR_NO_KEYS);
    CHECK_OK(mcgk_client_keys_at(s, dek, ALICE, KMS_URI, t, &ks));
    /* the wrong DEK does not open a key set */
    uint8_t bad[MCGK_SEAL_KEY_LEN];
    memcpy(bad, dek, sizeof bad);
    bad[0] ^= 1;
    CHECK_ERR(mcgk_client_keys_at(s, bad, ALICE, NULL, t, &ks), MCGK_ERR_UNSEAL);
    /* a sealed RSK moved to another row does not open there (associated data) */
    mcgk_client_keyset_row *r = malloc(sizeof *r);
    CHECK_OK(s->ops->keyset_get(s, ALICE, KMS_URI, n, r));
    r->period_no = n + 5;
    CHECK_OK(s->ops->keyset_put(s, r));
    CHECK_ERR(mcgk_client_keys_at(s, dek, ALICE, NULL, t + 5 * PERIOD, &ks), MCGK_ERR_UNSEAL);
    CHECK_ERR(s->ops->keyset_get(s, ALICE, KMS_URI, n + 9, r), MCGK_ERR_NO_KEYS);
    free(r);
    /* before the KMS's offset there is no period */
    mcgk_kms_cert late = g_cert;
    late.user_key_offset_s = t + 1000;
    put_cert(s, &late, 1);
    CHECK_ERR(mcgk_client_keys_at(s, dek, ALICE, NULL, t, &ks), MCGK_ERR_PERIOD);
    CHECK_ERR(mcgk_client_keys_at(NULL, dek, ALICE, NULL, t, &ks), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_store_put_keyset(NULL, dek, &ks, NOW, &g_rng), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_store_unlock(NULL, NULL, 0, &g_rng, dek), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_cert_at(NULL, NULL, &c), MCGK_ERR_INVALID_ARG);
    mcgk_kms_keyset_clear(&ks);
    mcgk_client_store_close(s);
    mcgk_client_store_close(NULL);
    /* a passphrase store refuses the wrong passphrase */
    char db[512];
    path_of("pass.db", db, sizeof db);
    CHECK_OK(mcgk_client_store_open_sqlite(db, &s));
    mcgk_seal_kek_source pw = {NULL, "secret", 6}, wrong = {NULL, "Secret", 6};
    CHECK_OK(mcgk_client_store_unlock(s, &pw, 10, &g_rng, dek));
    CHECK_ERR(mcgk_client_store_unlock(s, &wrong, 10, &g_rng, dek2), MCGK_ERR_UNSEAL);
    CHECK_OK(mcgk_client_store_unlock(s, &pw, 10, &g_rng, dek2));
    CHECK_MEM(dek, dek2, sizeof dek);
    mcgk_client_store_close(s);
    CHECK_ERR(mcgk_client_store_open_sqlite(NULL, &s), MCGK_ERR_INVALID_ARG);
}

static void raw_sql(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    CHECK(sqlite3_open(db, &h) == SQLITE_OK);
    CHECK(sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(h);
}

/* A damaged database or row is reported as such, never trusted. */
static void test_store_damage(void)
{
    char db[512];
    path_of("garbage.db", db, sizeof db);
    char junk[4096];
    memset(junk, 'x', sizeof junk);
    CHECK_OK(mcgk_file_write_private(db, junk, sizeof junk, 0));
    mcgk_kms_store *s = NULL;
    mcgk_client_store *cs = NULL;
    CHECK_ERR(mcgk_kms_store_open_sqlite(db, &s), MCGK_ERR_IO);
    CHECK_ERR(mcgk_client_store_open_sqlite(db, &cs), MCGK_ERR_IO);
    /* a sealed column of the wrong length */
    path_of("damaged.db", db, sizeof db);
    CHECK_OK(mcgk_kms_store_open_sqlite(db, &s));
    mcgk_kms_store_close(s);
    raw_sql(db, "INSERT INTO community(id, cert_xml, ring, sealed_z, sealed_ksak, created) "
                "VALUES(1, 'x', x'00', x'00', x'00', 0)");
    CHECK_OK(mcgk_kms_store_open_sqlite(db, &s));
    mcgk_kms_community_row *row = malloc(sizeof *row);
    CHECK_ERR(s->ops->community_get(s, row), MCGK_ERR_IO);
    /* a text column longer than its row field */
    raw_sql(db, "INSERT INTO partners(kms_uri, cert_xml, added) VALUES(hex(randomblob(400)), "
                "'c', 0)");
    count_ctx cc;
    memset(&cc, 0, sizeof cc);
    CHECK_ERR(s->ops->partner_list(s, count_partner, &cc), MCGK_ERR_OVERSIZED);
    mcgk_kms_user u;
    raw_sql(db, "INSERT INTO users(uri, role, token_hash, created) VALUES('sip:x', 0, x'00', 0)");
    CHECK_ERR(s->ops->user_get(s, "sip:x", &u), MCGK_ERR_IO);
    /* a closed/locked database: writes fail as I/O errors */
    raw_sql(db, "DROP TABLE identities");
    CHECK_ERR(s->ops->user_grant(s, "sip:x", "sip:y"), MCGK_ERR_IO);
    free(row);
    mcgk_kms_store_close(s);
}

int main(void)
{
    setup();
    TEST_RUN(test_kms_community_sealed);
    TEST_RUN(test_kms_users_and_partners);
    TEST_RUN(test_R_000_01_R_002_01_R_003_05_no_keys_without_provisioning);
    TEST_RUN(test_R_001_01_key_material_time_limited);
    TEST_RUN(test_client_store_details);
    TEST_RUN(test_client_store_ring_race);
    TEST_RUN(test_store_damage);
    mcgk_kms_free(g_kms);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_dir);
    TEST_MAIN_END();
}
