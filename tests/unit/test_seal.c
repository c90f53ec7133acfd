/*
 * Unit tests of secrets at rest (store/seal.h): AES-256-GCM seal/unseal
 * with associated data, every refusal code, the envelope ring under a key
 * file or a scrypt passphrase, key files (mode checks, both encodings),
 * and the private file helpers (platform/file.h).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/file.h"
#include "store/seal.h"
#include "test.h"

static char g_dir[256];

static void make_dir(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/mcgk-test-seal-XXXXXX");
    if (mkdtemp(g_dir) == NULL) {
        perror("mkdtemp");
        exit(2);
    }
}

static void path_of(const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", g_dir, name);
}

static void test_seal_roundtrip(void)
{
    mcgk_test_prng prng;
    mcgk_rng rng = mcgk_test_prng_init(&prng, 1);
    uint8_t key[MCGK_SEAL_KEY_LEN], pt[300], ct[300 + MCGK_SEAL_OVERHEAD], back[300];
    mcgk_test_prng_fill(&prng, key, sizeof key);
    mcgk_test_prng_fill(&prng, pt, sizeof pt);
    const uint8_t aad[] = "kms/z";
    size_t n = 0, m = 0;
    CHECK_OK(mcgk_seal(key, aad, sizeof aad - 1, pt, sizeof pt, &rng, ct, sizeof ct, &n));
    CHECK(n == sizeof pt + MCGK_SEAL_OVERHEAD);
    CHECK(ct[0] == 1);
    CHECK(memcmp(ct + 1 + MCGK_SEAL_NONCE_LEN, pt, 16) != 0);
    CHECK_OK(mcgk_unseal(key, aad, sizeof aad - 1, ct, n, back, sizeof back, &m));
    CHECK(m == sizeof pt);
    CHECK_MEM(back, pt, sizeof pt);
    /* two seals of the same plaintext differ (fresh nonce) */
    uint8_t ct2[sizeof ct];
    CHECK_OK(mcgk_seal(key, aad, sizeof aad - 1, pt, sizeof pt, &rng, ct2, sizeof ct2, &n));
    CHECK(memcmp(ct, ct2, n) != 0);
    /* empty plaintext and empty aad */
    uint8_t e[MCGK_SEAL_OVERHEAD];
    CHECK_OK(mcgk_seal(key, NULL, 0, NULL, 0, &rng, e, sizeof e, &n));
    CHECK(n == MCGK_SEAL_OVERHEAD);
    CHECK_OK(mcgk_unseal(key, NULL, 0, e, n, NULL, 0, &m));
    CHECK(m == 0);
}

static void test_seal_refusals(void)
{
    mcgk_test_prng prng;
    mcgk_rng rng = mcgk_test_prng_init(&prng, 2);
    uint8_t key[MCGK_SEAL_KEY_LEN], key2[MCGK_SEAL_KEY_LEN], pt[32], ct[32 + MCGK_SEAL_OVERHEAD];
    uint8_t out[32];
    mcgk_test_prng_fill(&prng, key, sizeof key);
    memcpy(key2, key, sizeof key);
    key2[5] ^= 1;
    memset(pt, 7, sizeof pt);
    size_t n = 0, m = 0;
    CHECK_OK(mcgk_seal(key, (const uint8_t *)"a", 1, pt, sizeof pt, &rng, ct, sizeof ct, &n));
    /* wrong key, wrong aad, every flipped octet: MCGK_ERR_UNSEAL, output wiped */
    memset(out, 0xEE, sizeof out);
    CHECK_ERR(mcgk_unseal(key2, (const uint8_t *)"a", 1, ct, n, out, sizeof out, &m),
              MCGK_ERR_UNSEAL);
    uint8_t zero[32] = {0};
    CHECK_MEM(out, zero, sizeof out);
    CHECK_ERR(mcgk_unseal(key, (const uint8_t *)"b", 1, ct, n, out, sizeof out, &m),
              MCGK_ERR_UNSEAL);
    for (size_t i = 1; i < n; i++) {
        ct[i] ^= 0x80;
        if (mcgk_unseal(key, (const uint8_t *)"a", 1, ct, n, out, sizeof out, &m) !=
            MCGK_ERR_UNSEAL)
            mcgk_test_fail(__FILE__, __LINE__, "flip at %zu accepted", i);
        ct[i] ^= 0x80;
    }
    /* framing */
    ct[0] = 2;
    CHECK_ERR(mcgk_unseal(key, (const uint8_t *)"a", 1, ct, n, out, sizeof out, &m),
              MCGK_ERR_UNSUPPORTED);
    ct[0] = 1;
    CHECK_ERR(mcgk_unseal(key, (const uint8_t *)"a", 1, ct, MCGK_SEAL_OVERHEAD - 1, out,
                          sizeof out, &m),
              MCGK_ERR_TRUNCATED);
    CHECK_ERR(mcgk_unseal(key, (const uint8_t *)"a", 1, ct, n, out, 31, &m),
              MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(m == 32);
    CHECK_ERR(mcgk_unseal(NULL, NULL, 0, ct, n, out, sizeof out, &m), MCGK_ERR_INVALID_ARG);
    size_t big = (size_t)MCGK_SEAL_MAX_PLAINTEXT + MCGK_SEAL_OVERHEAD + 1;
    uint8_t *huge = calloc(1, big);
    huge[0] = 1;
    CHECK_ERR(mcgk_unseal(key, NULL, 0, huge, big, out, sizeof out, &m), MCGK_ERR_OVERSIZED);
    /* seal side */
    CHECK_ERR(mcgk_seal(key, NULL, 0, pt, sizeof pt, &rng, ct, sizeof ct - 1, &n),
              MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(n == sizeof ct);
    CHECK_ERR(mcgk_seal(key, NULL, 0, huge, (size_t)MCGK_SEAL_MAX_PLAINTEXT + 1, &rng, huge,
                        big, &n),
              MCGK_ERR_OVERSIZED);
    free(huge);
    CHECK_ERR(mcgk_seal(key, NULL, 0, pt, sizeof pt, NULL, ct, sizeof ct, &n), MCGK_ERR_RNG);
    CHECK_ERR(mcgk_seal(NULL, NULL, 0, pt, sizeof pt, &rng, ct, sizeof ct, &n),
              MCGK_ERR_INVALID_ARG);
}

static void test_keyfile(void)
{
    mcgk_test_prng prng;
    mcgk_rng rng = mcgk_test_prng_init(&prng, 3);
    char p[512], q[512];
    path_of("kek.key", p, sizeof p);
    uint8_t k1[MCGK_SEAL_KEY_LEN], k2[MCGK_SEAL_KEY_LEN];
    CHECK_OK(mcgk_seal_keyfile_create(p, &rng));
    struct stat st;
    CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(st.st_size == 65);
    CHECK_ERR(mcgk_seal_keyfile_create(p, &rng), MCGK_ERR_EXISTS);
    CHECK_OK(mcgk_seal_keyfile_load(p, k1));
    CHECK_OK(mcgk_seal_keyfile_load(p, k2));
    CHECK_MEM(k1, k2, sizeof k1);
    /* readable by others: refused */
    chmod(p, 0644);
    CHECK_ERR(mcgk_seal_keyfile_load(p, k2), MCGK_ERR_FILE_MODE);
    chmod(p, 0600);
    /* a raw 32-octet file */
    path_of("raw.key", q, sizeof q);
    CHECK_OK(mcgk_file_write_private(q, k1, sizeof k1, 1));
    CHECK_OK(mcgk_seal_keyfile_load(q, k2));
    CHECK_MEM(k1, k2, sizeof k1);
    /* wrong lengths, not hex, missing */
    CHECK_OK(mcgk_file_write_private(q, "abcd\n", 5, 0));
    CHECK_ERR(mcgk_seal_keyfile_load(q, k2), MCGK_ERR_LENGTH);
    char hex[66];
    memset(hex, 'g', 64);
    hex[64] = '\n';
    CHECK_OK(mcgk_file_write_private(q, hex, 65, 0));
    CHECK_ERR(mcgk_seal_keyfile_load(q, k2), MCGK_ERR_HEX);
    char big[400];
    memset(big, 'a', sizeof big);
    CHECK_OK(mcgk_file_write_private(q, big, sizeof big, 0));
    CHECK_ERR(mcgk_seal_keyfile_load(q, k2), MCGK_ERR_LENGTH);
    path_of("absent.key", q, sizeof q);
    CHECK_ERR(mcgk_seal_keyfile_load(q, k2), MCGK_ERR_IO);
    CHECK_ERR(mcgk_seal_keyfile_load(NULL, k2), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_seal_keyfile_create(NULL, &rng), MCGK_ERR_INVALID_ARG);
    path_of("nodir/x.key", q, sizeof q);
    CHECK_ERR(mcgk_seal_keyfile_create(q, &rng), MCGK_ERR_IO);
}

static void test_ring_keyfile(void)
{
    mcgk_test_prng prng;
    mcgk_rng rng = mcgk_test_prng_init(&prng, 4);
    char p[512], p2[512];
    path_of("ring.key", p, sizeof p);
    path_of("other.key", p2, sizeof p2);
    CHECK_OK(mcgk_seal_keyfile_create(p, &rng));
    CHECK_OK(mcgk_seal_keyfile_create(p2, &rng));
    mcgk_seal_kek_source src = {p, NULL, 0}, other = {p2, NULL, 0};
    mcgk_seal_ring ring, ring2;
    uint8_t dek[MCGK_SEAL_KEY_LEN], dek2[MCGK_SEAL_KEY_LEN];
    CHECK_OK(mcgk_seal_ring_create(&src, 0, &rng, &ring, dek));
    CHECK(ring.kind == MCGK_SEAL_KIND_KEYFILE);
    uint8_t enc[MCGK_SEAL_RING_LEN];
    mcgk_seal_ring_encode(&ring, enc);
    CHECK_OK(mcgk_seal_ring_decode(enc, sizeof enc, &ring2));
    CHECK_OK(mcgk_seal_ring_open(&ring2, &src, dek2));
    CHECK_MEM(dek, dek2, sizeof dek);
    /* the wrong key file */
    CHECK_ERR(mcgk_seal_ring_open(&ring2, &other, dek2), MCGK_ERR_UNSEAL);
    /* a passphrase for a key-file ring */
    mcgk_seal_kek_source pass = {NULL, "pw", 2};
    CHECK_ERR(mcgk_seal_ring_open(&ring2, &pass, dek2), MCGK_ERR_UNSUPPORTED);
    /* neither / both sources */
    mcgk_seal_kek_source none = {NULL, NULL, 0}, both = {p, "pw", 2};
    CHECK_ERR(mcgk_seal_ring_create(&none, 0, &rng, &ring, dek), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_seal_ring_create(&both, 0, &rng, &ring, dek), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_seal_ring_open(&ring2, &both, dek), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_seal_ring_create(&src, 30, &rng, &ring, dek), MCGK_ERR_INVALID_ARG);
    /* decode refusals */
    CHECK_ERR(mcgk_seal_ring_decode(enc, sizeof enc - 1, &ring2), MCGK_ERR_LENGTH);
    enc[0] = 9;
    CHECK_ERR(mcgk_seal_ring_decode(enc, sizeof enc, &ring2), MCGK_ERR_UNSUPPORTED);
    enc[0] = 1;
    enc[1] = 7;
    CHECK_ERR(mcgk_seal_ring_decode(enc, sizeof enc, &ring2), MCGK_ERR_UNSUPPORTED);
    enc[1] = 1;
    enc[2] = 40;
    CHECK_ERR(mcgk_seal_ring_decode(enc, sizeof enc, &ring2), MCGK_ERR_MALFORMED);
    CHECK_ERR(mcgk_seal_ring_decode(NULL, 0, &ring2), MCGK_ERR_INVALID_ARG);
}

static void test_ring_passphrase(void)
{
    mcgk_test_prng prng;
    mcgk_rng rng = mcgk_test_prng_init(&prng, 5);
    const char pw[] = "correct horse battery staple";
    mcgk_seal_kek_source src = {NULL, pw, sizeof pw - 1};
    mcgk_seal_kek_source wrong = {NULL, "correct horse battery stapler", sizeof pw};
    mcgk_seal_ring ring;
    uint8_t dek[MCGK_SEAL_KEY_LEN], dek2[MCGK_SEAL_KEY_LEN];
    CHECK_OK(mcgk_seal_ring_create(&src, 10, &rng, &ring, dek)); /* cheap cost for the test */
    CHECK(ring.kind == MCGK_SEAL_KIND_PASSPHRASE && ring.scrypt_log2_n == 10);
    CHECK_OK(mcgk_seal_ring_open(&ring, &src, dek2));
    CHECK_MEM(dek, dek2, sizeof dek);
    CHECK_ERR(mcgk_seal_ring_open(&ring, &wrong, dek2), MCGK_ERR_UNSEAL);
    /* scrypt itself: RFC 7914 §12 vector 2 (N=1024, r=8, p=16) is out of our cost
     * range; check determinism and salt dependence instead */
    uint8_t salt[MCGK_SEAL_SALT_LEN] = {1}, k1[32], k2[32];
    CHECK_OK(mcgk_seal_kek_from_passphrase("pw", 2, salt, 10, 8, 1, k1));
    CHECK_OK(mcgk_seal_kek_from_passphrase("pw", 2, salt, 10, 8, 1, k2));
    CHECK_MEM(k1, k2, 32);
    salt[0] = 2;
    CHECK_OK(mcgk_seal_kek_from_passphrase("pw", 2, salt, 10, 8, 1, k2));
    CHECK(memcmp(k1, k2, 32) != 0);
    CHECK_ERR(mcgk_seal_kek_from_passphrase("pw", 2, salt, 9, 8, 1, k2), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_seal_kek_from_passphrase("pw", 2, salt, 10, 0, 1, k2), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_seal_kek_from_passphrase("pw", 2, salt, 10, 8, 5, k2), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_seal_kek_from_passphrase("pw", 2, NULL, 10, 8, 1, k2), MCGK_ERR_INVALID_ARG);
}

static void test_files(void)
{
    char p[512];
    path_of("f.txt", p, sizeof p);
    CHECK_OK(mcgk_file_write_private(p, "hello", 5, 0));
    CHECK_OK(mcgk_file_write_private(p, "hello!", 6, 0)); /* replace */
    CHECK_ERR(mcgk_file_write_private(p, "x", 1, 1), MCGK_ERR_EXISTS);
    uint8_t *d = NULL;
    size_t n = 0;
    CHECK_OK(mcgk_file_read(p, 100, &d, &n));
    CHECK(n == 6 && memcmp(d, "hello!", 6) == 0 && d[6] == 0);
    mcgk_file_free(d, n);
    CHECK_ERR(mcgk_file_read(p, 5, &d, &n), MCGK_ERR_OVERSIZED);
    CHECK_OK(mcgk_file_read_private(p, 100, &d, &n));
    mcgk_file_free(d, n);
    chmod(p, 0640);
    CHECK_ERR(mcgk_file_read_private(p, 100, &d, &n), MCGK_ERR_FILE_MODE);
    CHECK_ERR(mcgk_file_read(g_dir, 100, &d, &n), MCGK_ERR_IO); /* a directory */
    CHECK_ERR(mcgk_file_read(NULL, 100, &d, &n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_file_write_private(NULL, "x", 1, 0), MCGK_ERR_INVALID_ARG);
    /* a larger file crosses the growth steps */
    size_t big = 100000;
    uint8_t *b = malloc(big);
    for (size_t i = 0; i < big; i++)
        b[i] = (uint8_t)i;
    CHECK_OK(mcgk_file_write_private(p, b, big, 0));
    CHECK_OK(mcgk_file_read(p, big, &d, &n));
    CHECK(n == big && memcmp(d, b, big) == 0);
    mcgk_file_free(d, n);
    CHECK_ERR(mcgk_file_read(p, big - 1, &d, &n), MCGK_ERR_OVERSIZED);
    free(b);
    char sub[512];
    path_of("a/b/c", sub, sizeof sub);
    CHECK_OK(mcgk_dir_ensure_private(sub));
    struct stat st;
    CHECK(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700);
    CHECK_OK(mcgk_dir_ensure_private(sub));
    CHECK_ERR(mcgk_dir_ensure_private(""), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_dir_ensure_private(p), MCGK_ERR_IO); /* a file is in the way */
    CHECK(mcgk_file_exists(p) && !mcgk_file_exists("/nonexistent/x"));
}

int main(void)
{
    make_dir();
    TEST_RUN(test_seal_roundtrip);
    TEST_RUN(test_seal_refusals);
    TEST_RUN(test_keyfile);
    TEST_RUN(test_ring_keyfile);
    TEST_RUN(test_ring_passphrase);
    TEST_RUN(test_files);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_dir);
    TEST_MAIN_END();
}
