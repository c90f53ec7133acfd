/*
 * Tests of src/crypto/kdf.c: the TS 33.220 KDF, the TS 33.180 UID (F.2.1), user salt /
 * GUK-ID (F.1.3, §5.2.3), DPCK, key periods (§5.3) and the MIKEY PRF (RFC 3830 §4.1 with
 * RFC 6043 §6.1). Every value of tests/vectors/ts33180-kdf.txt is reproduced, plus the
 * derived KDF values of streamwide-mikey-sakke.txt and synthetic-gmk-imessage.txt.
 * A failing-allocator loop (CRYPTO_set_mem_functions) covers MCGK_ERR_NO_MEMORY.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "mcgk/kdf.h"
#include "test.h"

/* ---- a failing allocator for libcrypto ---------------------------------------------- */

static long alloc_budget = -1; /* < 0: unlimited; else the number of allocations left */

static int alloc_allowed(void)
{
    if (alloc_budget < 0)
        return 1;
    if (alloc_budget == 0)
        return 0;
    alloc_budget--;
    return 1;
}

static void *fail_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return alloc_allowed() ? malloc(n) : NULL;
}

static void *fail_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return alloc_allowed() ? realloc(p, n) : NULL;
}

static void fail_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    free(p);
}

/* ---- helpers ------------------------------------------------------------------------- */

static mcgk_vecfile *kdfv;
static mcgk_vecfile *swv;
static mcgk_vecfile *synv;

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* A 32-bit value written as 1..8 hex digits in a vector (e.g. user_salt = b5896d3). */
static uint32_t vec_hex32(const mcgk_vecfile *v, const char *sec, const char *name)
{
    const char *s = mcgk_vec_str(v, sec, name);
    CHECK(s != NULL);
    return s ? (uint32_t)strtoul(s, NULL, 16) : 0;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Builds the hash input S of F.2.1 with mcgk's own encoders: used to check S itself. */
static size_t build_uid_s(const uint8_t *uri, size_t uri_len, const uint8_t *kms, size_t kms_len,
                          uint64_t period, uint64_t offset, uint64_t no, uint8_t *s)
{
    size_t n = 0;
    s[n++] = 0x00;
    const char *label = "MIKEY-SAKKE-UID";
    uint8_t ints[3][8];
    size_t il[3] = {mcgk_kdf_encode_uint(period, ints[0]), mcgk_kdf_encode_uint(offset, ints[1]),
                    mcgk_kdf_encode_uint(no, ints[2])};
    const uint8_t *p[6] = {(const uint8_t *)label, uri, kms, ints[0], ints[1], ints[2]};
    size_t pl[6] = {15, uri_len, kms_len, il[0], il[1], il[2]};
    for (int i = 0; i < 6; i++) {
        memcpy(s + n, p[i], pl[i]);
        n += pl[i];
        s[n++] = (uint8_t)(pl[i] >> 8);
        s[n++] = (uint8_t)pl[i];
    }
    return n;
}

static void sha256(const uint8_t *in, size_t len, uint8_t out[32])
{
    unsigned int n = 0;
    CHECK(EVP_Digest(in, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32);
}

/* ---- TS 33.220 KDF -------------------------------------------------------------------- */

static void test_kdf_hash_inputs_of_vectors(void)
{
    /* For every [guk_id.N] and [dpck.N], S as given hashes (HMAC) to kdf_output, and
     * mcgk_kdf with the structured parameters yields the same. */
    size_t checked = 0;
    for (size_t i = 0; i < mcgk_vec_section_count(kdfv); i++) {
        const char *sec = mcgk_vec_section_name(kdfv, i);
        if (!starts_with(sec, "guk_id.") && !starts_with(sec, "dpck."))
            continue;
        int is_guk = starts_with(sec, "guk_id.");
        size_t key_len, s_len, out_len, p0_len;
        uint8_t *key = mcgk_vec_hex(kdfv, sec, is_guk ? "gmk" : "dppk", &key_len);
        uint8_t *s = mcgk_vec_hex(kdfv, sec, "kdf_input_S", &s_len);
        uint8_t *want = mcgk_vec_hex(kdfv, sec, "kdf_output", &out_len);
        uint8_t *p0 = mcgk_vec_hex(kdfv, sec, is_guk ? "user_uri" : "dppk_id", &p0_len);
        CHECK(out_len == 32);
        /* S = FC || P0 || L0 */
        CHECK(s_len == 1 + p0_len + 2);
        CHECK(s[0] == (is_guk ? MCGK_KDF_FC_USER_SALT : MCGK_KDF_FC_DPCK));
        CHECK_MEM(s + 1, p0, p0_len);
        CHECK(s[1 + p0_len] == (uint8_t)(p0_len >> 8) && s[2 + p0_len] == (uint8_t)p0_len);

        uint8_t out[MCGK_KDF_OUT_LEN];
        mcgk_kdf_param p = {p0, p0_len};
        CHECK_OK(mcgk_kdf(key, key_len, s[0], &p, 1, out));
        CHECK_MEM(out, want, 32);
        /* and S exactly as published, through an independent HMAC call */
        uint8_t mac[32];
        size_t mac_len = 0;
        CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, key_len, s, s_len, mac,
                        sizeof mac, &mac_len) != NULL);
        CHECK(mac_len == 32);
        CHECK_MEM(mac, want, 32);
        free(key);
        free(s);
        free(want);
        free(p0);
        checked++;
    }
    CHECK(checked == 7);
}

static void test_kdf_multiple_params_and_lengths(void)
{
    /* S = FC || P0 || L0 || P1 || L1 with L = 2 octets even for long parameters
     * (the digest notes Streamwide writes the high length octet as 0: not us). */
    static uint8_t big[300];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)i;
    const uint8_t key[16] = {1, 2, 3};
    uint8_t s[1 + 300 + 2 + 3 + 2];
    size_t n = 0;
    s[n++] = 0x51;
    memcpy(s + n, big, 300);
    n += 300;
    s[n++] = 0x01;
    s[n++] = 0x2c;
    s[n++] = 'a';
    s[n++] = 'b';
    s[n++] = 'c';
    s[n++] = 0x00;
    s[n++] = 0x03;
    uint8_t want[32];
    size_t wl = 0;
    CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, sizeof key, s, n, want, 32, &wl) !=
          NULL);
    mcgk_kdf_param p[2] = {{big, 300}, {(const uint8_t *)"abc", 3}};
    uint8_t out[32];
    CHECK_OK(mcgk_kdf(key, sizeof key, 0x51, p, 2, out));
    CHECK_MEM(out, want, 32);

    /* no parameters: S = FC; an empty parameter contributes only 00 00; empty key */
    uint8_t s2[3] = {0x50, 0x00, 0x00};
    CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, 0, s2, 3, want, 32, &wl) != NULL);
    mcgk_kdf_param empty = {NULL, 0};
    CHECK_OK(mcgk_kdf(NULL, 0, 0x50, &empty, 1, out));
    CHECK_MEM(out, want, 32);
    CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, sizeof key, s2, 1, want, 32, &wl) !=
          NULL);
    CHECK_OK(mcgk_kdf(key, sizeof key, 0x50, NULL, 0, out));
    CHECK_MEM(out, want, 32);

    /* the maximum: 8 parameters of 0xFFFF octets */
    uint8_t *huge = calloc(1, MCGK_KDF_PARAM_MAX_LEN);
    CHECK(huge != NULL);
    mcgk_kdf_param hp[MCGK_KDF_MAX_PARAMS];
    for (size_t i = 0; i < MCGK_KDF_MAX_PARAMS; i++)
        hp[i] = (mcgk_kdf_param){huge, MCGK_KDF_PARAM_MAX_LEN};
    CHECK_OK(mcgk_kdf(key, sizeof key, 0x50, hp, MCGK_KDF_MAX_PARAMS, out));
    free(huge);
}

static void test_kdf_invalid_args(void)
{
    const uint8_t key[16] = {0};
    uint8_t out[32];
    uint8_t before[32];
    memset(out, 0xA5, sizeof out);
    memcpy(before, out, sizeof out);
    mcgk_kdf_param p[MCGK_KDF_MAX_PARAMS + 1];
    for (size_t i = 0; i <= MCGK_KDF_MAX_PARAMS; i++)
        p[i] = (mcgk_kdf_param){key, 1};
    CHECK_ERR(mcgk_kdf(key, 16, 0x50, p, MCGK_KDF_MAX_PARAMS + 1, out), MCGK_ERR_INVALID_ARG);
    mcgk_kdf_param toolong = {key, MCGK_KDF_PARAM_MAX_LEN + 1};
    CHECK_ERR(mcgk_kdf(key, 16, 0x50, &toolong, 1, out), MCGK_ERR_INVALID_ARG);
    mcgk_kdf_param nulldata = {NULL, 1};
    CHECK_ERR(mcgk_kdf(key, 16, 0x50, &nulldata, 1, out), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_kdf(key, 16, 0x50, NULL, 1, out), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_kdf(NULL, 16, 0x50, p, 1, out), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_kdf(key, 16, 0x50, p, 1, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_MEM(out, before, sizeof out); /* untouched */
}

/* ---- integer encoding ----------------------------------------------------------------- */

static void test_kdf_encode_uint_minimal(void)
{
    struct {
        uint64_t v;
        size_t n;
        const char *hex;
    } cases[] = {
        {0, 1, "00"},
        {1, 1, "01"},
        {255, 1, "ff"},
        {256, 2, "0100"},
        {65535, 2, "ffff"},
        {65536, 3, "010000"},
        {2592000, 3, "278d00"},
        {16777215, 3, "ffffff"},
        {25920000, 4, "018b8200"},
        {0xFFFFFFFFull, 4, "ffffffff"},
        {0x100000000ull, 5, "0100000000"},
        {0x00FFFFFFFFFFFFFFull, 7, "ffffffffffffff"},
        {0x0100000000000000ull, 8, "0100000000000000"},
        {UINT64_MAX, 8, "ffffffffffffffff"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t out[8];
        memset(out, 0xEE, sizeof out);
        size_t n = mcgk_kdf_encode_uint(cases[i].v, out);
        CHECK(n == cases[i].n);
        size_t wl = 0;
        uint8_t *want = mcgk_test_unhex(cases[i].hex, &wl);
        CHECK(wl == n);
        CHECK_MEM(out, want, wl);
        for (size_t j = n; j < 8; j++)
            CHECK(out[j] == 0xEE); /* nothing written past the count */
        free(want);
    }
}

/* ---- key period numbers (TS 33.180 §5.3) -------------------------------------------- */

static void test_key_period_no(void)
{
    uint64_t no = 0;
    /* Streamwide: MIKEY T = 0xec898da8 NTP seconds, period 16777215, offset 0 -> 236 */
    CHECK_OK(mcgk_key_period_no(0xec898da8ull, 16777215, 0, &no));
    CHECK(no == 236);
    CHECK(no == mcgk_vec_u64(swv, "user.Alice", "key_period_no"));
    /* synthetic vector: T = 3597800000, period 2592000 -> 1388 */
    CHECK_OK(mcgk_key_period_no(mcgk_vec_u64(synv, NULL, "ntp_seconds"),
                                mcgk_vec_u64(synv, NULL, "user_key_period"),
                                mcgk_vec_u64(synv, NULL, "user_key_offset"), &no));
    CHECK(no == mcgk_vec_u64(synv, NULL, "key_period_no"));
    /* and its T payload (NTP 64-bit: seconds || fraction) carries those seconds */
    size_t tl;
    uint8_t *ts = mcgk_vec_hex(synv, NULL, "ts_ntp64", &tl);
    CHECK(tl == 8 && be32(ts) == mcgk_vec_u64(synv, NULL, "ntp_seconds"));
    free(ts);
    /* boundaries: the period starts at offset + k * period */
    CHECK_OK(mcgk_key_period_no(100, 10, 100, &no));
    CHECK(no == 0);
    CHECK_OK(mcgk_key_period_no(109, 10, 100, &no));
    CHECK(no == 0);
    CHECK_OK(mcgk_key_period_no(110, 10, 100, &no));
    CHECK(no == 1);
    CHECK_OK(mcgk_key_period_no(UINT64_MAX, 1, 0, &no));
    CHECK(no == UINT64_MAX);
    /* Unix time -> NTP with the named offset */
    CHECK_OK(mcgk_key_period_no(1700000000ull + MCGK_NTP_UNIX_OFFSET_S, 2592000, 0, &no));
    CHECK(no == (1700000000ull + 2208988800ull) / 2592000);
}

static void test_key_period_no_invalid(void)
{
    uint64_t no = 77;
    CHECK_ERR(mcgk_key_period_no(1000, 0, 0, &no), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_key_period_no(99, 10, 100, &no), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_key_period_no(1000, 10, 0, NULL), MCGK_ERR_INVALID_ARG);
    CHECK(no == 77);
}

/* ---- UID (TS 33.180 F.2.1) -------------------------------------------------------------- */

static void check_uid_section(const mcgk_vecfile *v, const char *sec, const char *uri_name,
                              const char *kms_sec, const char *kms_name, uint64_t period,
                              uint64_t offset, uint64_t no, const char *s_name,
                              const char *uid_name)
{
    size_t ul, kl, wl;
    uint8_t *uri = mcgk_vec_hex(v, sec, uri_name, &ul);
    uint8_t *kms = mcgk_vec_hex(v, kms_sec, kms_name, &kl);
    uint8_t *want = mcgk_vec_hex(v, sec, uid_name, &wl);
    CHECK(wl == MCGK_UID_LEN);
    uint8_t uid[MCGK_UID_LEN];
    CHECK_OK(mcgk_uid((const char *)uri, ul, (const char *)kms, kl, period, offset, no, uid));
    CHECK_MEM(uid, want, MCGK_UID_LEN);
    if (s_name != NULL) {
        size_t sl;
        uint8_t *want_s = mcgk_vec_hex(v, sec, s_name, &sl);
        uint8_t *s = malloc(ul + kl + 64);
        CHECK(s != NULL);
        size_t n = build_uid_s(uri, ul, kms, kl, period, offset, no, s);
        CHECK(n == sl);
        if (n == sl)
            CHECK_MEM(s, want_s, sl);
        uint8_t h[32];
        sha256(want_s, sl, h);
        CHECK_MEM(h, want, 32); /* S as published hashes to the UID */
        free(s);
        free(want_s);
    }
    free(uri);
    free(kms);
    free(want);
}

static void test_uid_vectors(void)
{
    size_t checked = 0;
    for (size_t i = 0; i < mcgk_vec_section_count(kdfv); i++) {
        const char *sec = mcgk_vec_section_name(kdfv, i);
        if (!starts_with(sec, "uid."))
            continue;
        check_uid_section(kdfv, sec, "user_uri", sec, "kms_uri",
                          mcgk_vec_u64(kdfv, sec, "key_period"),
                          mcgk_vec_u64(kdfv, sec, "key_period_offset"),
                          mcgk_vec_u64(kdfv, sec, "key_period_no"), "hash_input_S", "uid");
        checked++;
    }
    CHECK(checked == 12);
}

static void test_uid_streamwide_users_and_synthetic(void)
{
    const char *users[] = {"user.GMS", "user.Alice", "user.IWF", "user.Bob"};
    uint64_t period = mcgk_vec_u64(swv, "kms", "user_key_period");
    uint64_t offset = mcgk_vec_u64(swv, "kms", "user_key_offset");
    for (size_t i = 0; i < 4; i++)
        check_uid_section(swv, users[i], "user_uri", "kms", "kms_uri", period, offset,
                          mcgk_vec_u64(swv, users[i], "key_period_no"), NULL, "uid");
    period = mcgk_vec_u64(synv, NULL, "user_key_period");
    offset = mcgk_vec_u64(synv, NULL, "user_key_offset");
    uint64_t no = mcgk_vec_u64(synv, NULL, "key_period_no");
    check_uid_section(synv, NULL, "gms_uri", NULL, "kms_uri", period, offset, no,
                      "gms_uid_hash_input_S", "gms_uid");
    check_uid_section(synv, NULL, "user_uri", NULL, "kms_uri", period, offset, no,
                      "user_uid_hash_input_S", "user_uid");
}

static void test_uid_large_integers(void)
{
    /* 2^64-1 in every integer slot: S must carry 8-octet integers with L = 0x0008 */
    const char *uri = "sip:a@b";
    const char *kms = "kms";
    uint8_t s[128];
    size_t n = build_uid_s((const uint8_t *)uri, 7, (const uint8_t *)kms, 3, UINT64_MAX,
                           UINT64_MAX, UINT64_MAX, s);
    CHECK(n == 1 + (15 + 2) + (7 + 2) + (3 + 2) + 3 * (8 + 2));
    uint8_t want[32], uid[32];
    sha256(s, n, want);
    CHECK_OK(mcgk_uid(uri, 7, kms, 3, UINT64_MAX, UINT64_MAX, UINT64_MAX, uid));
    CHECK_MEM(uid, want, 32);
    /* a different period number gives a different UID */
    uint8_t uid2[32];
    CHECK_OK(mcgk_uid(uri, 7, kms, 3, UINT64_MAX, UINT64_MAX, UINT64_MAX - 1, uid2));
    CHECK(memcmp(uid, uid2, 32) != 0);
}

static void test_uid_invalid(void)
{
    uint8_t uid[32];
    uint8_t before[32];
    memset(uid, 0x5A, sizeof uid);
    memcpy(before, uid, sizeof uid);
    CHECK_ERR(mcgk_uid(NULL, 3, "kms", 3, 10, 0, 1, uid), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_uid("abc", 3, NULL, 3, 10, 0, 1, uid), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_uid("abc", 3, "kms", 3, 10, 0, 1, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_uid("abc", 3, "kms", 3, 0, 0, 1, uid), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_uid("abc", 0, "kms", 3, 10, 0, 1, uid), MCGK_ERR_IDENTITY);
    CHECK_ERR(mcgk_uid("abc", 3, "kms", 0, 10, 0, 1, uid), MCGK_ERR_IDENTITY);
    CHECK_ERR(mcgk_uid("abc", 0x10000, "kms", 3, 10, 0, 1, uid), MCGK_ERR_IDENTITY);
    CHECK_ERR(mcgk_uid("abc", 3, "kms", 0x10000, 10, 0, 1, uid), MCGK_ERR_IDENTITY);
    CHECK_MEM(uid, before, sizeof uid);
    /* the longest identifier is accepted */
    char *long_uri = malloc(0xFFFF);
    CHECK(long_uri != NULL);
    memset(long_uri, 'x', 0xFFFF);
    CHECK_OK(mcgk_uid(long_uri, 0xFFFF, "kms", 3, 10, 0, 1, uid));
    free(long_uri);
}

/* ---- user salt and GUK-ID (TS 33.180 F.1.3, §5.2.3) ------------------------------------ */

static void check_guk(const mcgk_vecfile *v, const char *sec, const char *key_name,
                      const char *id_name, const char *uri_name, const char *salt_name,
                      const char *guk_name, uint8_t **key_out, size_t *key_len_out)
{
    size_t kl, ul, idl;
    uint8_t *gmk = mcgk_vec_hex(v, sec, key_name, &kl);
    uint8_t *uri = mcgk_vec_hex(v, sec, uri_name, &ul);
    uint8_t *id = mcgk_vec_hex(v, sec, id_name, &idl);
    CHECK(idl == 4);
    uint32_t gmk_id = be32(id);
    uint32_t salt = 0xFFFFFFFFu, guk = 0, back = 0;
    CHECK_OK(mcgk_user_salt(gmk, kl, (const char *)uri, ul, &salt));
    CHECK(salt == vec_hex32(v, sec, salt_name));
    CHECK(salt <= 0x0FFFFFFFu);
    CHECK_OK(mcgk_guk_id(gmk, kl, gmk_id, (const char *)uri, ul, &guk));
    CHECK(guk == vec_hex32(v, sec, guk_name));
    /* involution: the receiver recovers the GMK-ID from the GUK-ID with its own URI */
    CHECK_OK(mcgk_guk_id(gmk, kl, guk, (const char *)uri, ul, &back));
    CHECK(back == gmk_id);
    CHECK((guk & 0xF0000000u) == (gmk_id & 0xF0000000u)); /* purpose tag kept */
    if (key_out) {
        *key_out = gmk;
        *key_len_out = kl;
    } else {
        free(gmk);
    }
    free(uri);
    free(id);
}

static void test_R_003_06_guk_id_vectors(void)
{
    size_t checked = 0;
    for (size_t i = 0; i < mcgk_vec_section_count(kdfv); i++) {
        const char *sec = mcgk_vec_section_name(kdfv, i);
        if (!starts_with(sec, "guk_id."))
            continue;
        check_guk(kdfv, sec, "gmk", "gmk_id", "user_uri", "user_salt", "guk_id", NULL, NULL);
        checked++;
    }
    CHECK(checked == 4);
}

static void test_R_003_19_guk_id_of_published_imessages(void)
{
    /* Streamwide GMK messages 1 (Alice) and 4 (IWF): key = stated_key, user = responder,
     * the CSB ID of the message is the GUK-ID; the user salt KDF input/output are given. */
    struct {
        const char *msg, *user;
    } m[] = {{"imessage.1.GMK", "user.Alice"}, {"imessage.4.GMK_LEGACY_IWF", "user.IWF"}};
    for (size_t i = 0; i < 2; i++) {
        size_t kl, ul, il, sl, ol;
        uint8_t *gmk = mcgk_vec_hex(swv, m[i].msg, "stated_key", &kl);
        uint8_t *uri = mcgk_vec_hex(swv, m[i].user, "user_uri", &ul);
        uint8_t *id = mcgk_vec_hex(swv, m[i].msg, "stated_key_id", &il);
        uint8_t *s = mcgk_vec_hex(swv, m[i].msg, "user_salt_kdf_input", &sl);
        uint8_t *want_out = mcgk_vec_hex(swv, m[i].msg, "user_salt_kdf_output", &ol);
        CHECK(sl == 1 + ul + 2 && s[0] == MCGK_KDF_FC_USER_SALT);
        CHECK_MEM(s + 1, uri, ul);
        uint8_t out[32];
        mcgk_kdf_param p0 = {uri, ul};
        CHECK_OK(mcgk_kdf(gmk, kl, MCGK_KDF_FC_USER_SALT, &p0, 1, out));
        CHECK_MEM(out, want_out, 32);
        uint32_t salt = 0, guk = 0, back = 0;
        CHECK_OK(mcgk_user_salt(gmk, kl, (const char *)uri, ul, &salt));
        CHECK(salt == vec_hex32(swv, m[i].msg, "user_salt"));
        CHECK_OK(mcgk_guk_id(gmk, kl, be32(id), (const char *)uri, ul, &guk));
        CHECK(guk == vec_hex32(swv, m[i].msg, "guk_id"));
        CHECK(guk == vec_hex32(swv, m[i].msg, "csb_id"));
        CHECK_OK(mcgk_guk_id(gmk, kl, guk, (const char *)uri, ul, &back));
        CHECK(back == be32(id));
        free(gmk);
        free(uri);
        free(id);
        free(s);
        free(want_out);
    }
    /* synthetic GMK message */
    size_t kl, ul, il, sl, ol;
    uint8_t *gmk = mcgk_vec_hex(synv, NULL, "gmk", &kl);
    uint8_t *uri = mcgk_vec_hex(synv, NULL, "user_uri", &ul);
    uint8_t *id = mcgk_vec_hex(synv, NULL, "gmk_id", &il);
    uint8_t *s = mcgk_vec_hex(synv, NULL, "salt_kdf_input_S", &sl);
    uint8_t *want_out = mcgk_vec_hex(synv, NULL, "salt_kdf_output", &ol);
    uint8_t out[32];
    mcgk_kdf_param p0 = {uri, ul};
    CHECK(sl == 1 + ul + 2);
    CHECK_MEM(s + 1, uri, ul);
    CHECK_OK(mcgk_kdf(gmk, kl, s[0], &p0, 1, out));
    CHECK_MEM(out, want_out, 32);
    uint32_t salt = 0, guk = 0;
    CHECK_OK(mcgk_user_salt(gmk, kl, (const char *)uri, ul, &salt));
    CHECK(salt == vec_hex32(synv, NULL, "user_salt_28bit"));
    CHECK_OK(mcgk_guk_id(gmk, kl, be32(id), (const char *)uri, ul, &guk));
    CHECK(guk == vec_hex32(synv, NULL, "guk_id"));
    free(gmk);
    free(uri);
    free(id);
    free(s);
    free(want_out);
}

static void test_R_004_16_guk_id_involution_and_purpose_tag(void)
{
    /* For every purpose tag and many random GMKs/IDs/URIs: GUK-ID keeps the tag, the
     * same function maps it back, and distinct URIs (partner GMS vs users) give
     * distinct salts (R-004-16/17: the partner GMS URI is just another salt input). */
    mcgk_test_prng prng;
    mcgk_test_prng_init(&prng, 0x6b6466);
    int rounds = mcgk_test_quick() ? 50 : 1000;
    int same_salt = 0;
    for (int r = 0; r < rounds; r++) {
        uint8_t gmk[MCGK_KEY_LEN];
        mcgk_test_prng_fill(&prng, gmk, sizeof gmk);
        uint32_t tag = (uint32_t)(r % 16);
        uint32_t gmk_id = (tag << 28) | ((uint32_t)mcgk_test_prng_next(&prng) & 0x0FFFFFFFu);
        char uri_a[40], uri_b[40];
        snprintf(uri_a, sizeof uri_a, "sip:user%d@example.org", r);
        snprintf(uri_b, sizeof uri_b, "sip:partner-gms%d@example.net", r);
        uint32_t guk_a = 0, guk_b = 0, back = 0, salt_a = 0;
        CHECK_OK(mcgk_guk_id(gmk, sizeof gmk, gmk_id, uri_a, strlen(uri_a), &guk_a));
        CHECK_OK(mcgk_guk_id(gmk, sizeof gmk, gmk_id, uri_b, strlen(uri_b), &guk_b));
        CHECK_OK(mcgk_user_salt(gmk, sizeof gmk, uri_a, strlen(uri_a), &salt_a));
        CHECK(guk_a >> 28 == tag);
        CHECK(guk_b >> 28 == tag);
        CHECK((guk_a ^ gmk_id) == salt_a);
        CHECK_OK(mcgk_guk_id(gmk, sizeof gmk, guk_a, uri_a, strlen(uri_a), &back));
        CHECK(back == gmk_id);
        CHECK_OK(mcgk_guk_id(gmk, sizeof gmk, guk_b, uri_b, strlen(uri_b), &back));
        CHECK(back == gmk_id);
        if (guk_a == guk_b)
            same_salt++;
    }
    CHECK(same_salt == 0); /* 2^-28 per round */
    /* the named purpose tags */
    CHECK(MCGK_PURPOSE_GMK == 0 && MCGK_PURPOSE_PCK == 1 && MCGK_PURPOSE_CSK == 2 &&
          MCGK_PURPOSE_MUSIK == 6);
}

static void test_guk_id_invalid(void)
{
    const uint8_t gmk[16] = {0};
    uint32_t out = 0xDEADBEEFu;
    CHECK_ERR(mcgk_user_salt(NULL, 16, "a", 1, &out), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_user_salt(gmk, 0, "a", 1, &out), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_user_salt(gmk, 16, NULL, 1, &out), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_user_salt(gmk, 16, "a", 1, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_user_salt(gmk, 16, "a", 0, &out), MCGK_ERR_IDENTITY);
    CHECK_ERR(mcgk_user_salt(gmk, 16, "a", 0x10000, &out), MCGK_ERR_IDENTITY);
    CHECK_ERR(mcgk_guk_id(NULL, 16, 1, "a", 1, &out), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_guk_id(gmk, 0, 1, "a", 1, &out), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_guk_id(gmk, 16, 1, NULL, 1, &out), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_guk_id(gmk, 16, 1, "a", 1, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_guk_id(gmk, 16, 1, "a", 0, &out), MCGK_ERR_IDENTITY);
    CHECK_ERR(mcgk_guk_id(gmk, 16, 1, "a", 0x10000, &out), MCGK_ERR_IDENTITY);
    CHECK(out == 0xDEADBEEFu);
}

/* ---- DPCK ------------------------------------------------------------------------------ */

static void test_dpck_vectors(void)
{
    size_t checked = 0;
    for (size_t i = 0; i < mcgk_vec_section_count(kdfv); i++) {
        const char *sec = mcgk_vec_section_name(kdfv, i);
        if (!starts_with(sec, "dpck."))
            continue;
        size_t kl, il, dl, ol;
        uint8_t *dppk = mcgk_vec_hex(kdfv, sec, "dppk", &kl);
        uint8_t *id = mcgk_vec_hex(kdfv, sec, "dppk_id", &il);
        uint8_t *want = mcgk_vec_hex(kdfv, sec, "dpck", &dl);
        uint8_t *kout = mcgk_vec_hex(kdfv, sec, "kdf_output", &ol);
        CHECK(il == 4 && dl == MCGK_KEY_LEN);
        CHECK_MEM(kout + 16, want, 16); /* 128 LSBs = the last 16 octets */
        uint8_t dpck[MCGK_KEY_LEN];
        CHECK_OK(mcgk_dpck(dppk, kl, be32(id), dpck));
        CHECK_MEM(dpck, want, MCGK_KEY_LEN);
        free(dppk);
        free(id);
        free(want);
        free(kout);
        checked++;
    }
    CHECK(checked == 3);
}

static void test_R_001_13_dpck_of_published_imessages(void)
{
    /* the key-parameter key of each Streamwide message: DPPK = the carried key,
     * DPPK-ID = CSB ID; and of the synthetic message (with its KDF input/output) */
    const char *msgs[] = {"imessage.1.GMK", "imessage.2.CSK", "imessage.3.PCK"};
    for (size_t i = 0; i < 3; i++) {
        size_t kl, il, dl;
        uint8_t *key = mcgk_vec_hex(swv, msgs[i], "stated_key", &kl);
        uint8_t *id = mcgk_vec_hex(swv, msgs[i], "keyparams_dppk_id", &il);
        uint8_t *want = mcgk_vec_hex(swv, msgs[i], "keyparams_dpck", &dl);
        CHECK(be32(id) == vec_hex32(swv, msgs[i], "csb_id"));
        uint8_t dpck[MCGK_KEY_LEN];
        CHECK_OK(mcgk_dpck(key, kl, be32(id), dpck));
        CHECK_MEM(dpck, want, MCGK_KEY_LEN);
        free(key);
        free(id);
        free(want);
    }
    size_t kl, sl, ol, dl;
    uint8_t *gmk = mcgk_vec_hex(synv, NULL, "gmk", &kl);
    uint8_t *s = mcgk_vec_hex(synv, NULL, "dpck_kdf_input_S", &sl);
    uint8_t *kout = mcgk_vec_hex(synv, NULL, "dpck_kdf_output", &ol);
    uint8_t *want = mcgk_vec_hex(synv, NULL, "dpck", &dl);
    uint32_t guk = vec_hex32(synv, NULL, "guk_id");
    CHECK(sl == 7 && s[0] == MCGK_KDF_FC_DPCK && be32(s + 1) == guk && s[5] == 0 && s[6] == 4);
    uint8_t out[32];
    mcgk_kdf_param p0 = {s + 1, 4};
    CHECK_OK(mcgk_kdf(gmk, kl, MCGK_KDF_FC_DPCK, &p0, 1, out));
    CHECK_MEM(out, kout, 32);
    uint8_t dpck[MCGK_KEY_LEN];
    CHECK_OK(mcgk_dpck(gmk, kl, guk, dpck));
    CHECK_MEM(dpck, want, MCGK_KEY_LEN);
    free(gmk);
    free(s);
    free(kout);
    free(want);
}

static void test_dpck_invalid(void)
{
    const uint8_t k[16] = {0};
    uint8_t out[16];
    uint8_t before[16];
    memset(out, 0x11, sizeof out);
    memcpy(before, out, sizeof out);
    CHECK_ERR(mcgk_dpck(NULL, 16, 1, out), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_dpck(k, 0, 1, out), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_dpck(k, 16, 1, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_MEM(out, before, sizeof out);
}

/* ---- MIKEY PRF (RFC 3830 §4.1, RFC 6043 §6.1) ---------------------------------------- */

static void test_mikey_prf_vectors(void)
{
    size_t checked = 0;
    for (size_t i = 0; i < mcgk_vec_section_count(kdfv); i++) {
        const char *sec = mcgk_vec_section_name(kdfv, i);
        if (!starts_with(sec, "mikey_prf."))
            continue;
        size_t tl, rl, kl, sl, ll, l2;
        uint8_t *tgk = mcgk_vec_hex(kdfv, sec, "tgk", &tl);
        uint8_t *rnd = mcgk_vec_hex(kdfv, sec, "rand", &rl);
        uint8_t *key16 = mcgk_vec_hex(kdfv, sec, "key_16", &kl);
        uint8_t *salt12 = mcgk_vec_hex(kdfv, sec, "salt_12", &sl);
        uint8_t *label_key = mcgk_vec_hex(kdfv, sec, "label_key", &ll);
        uint8_t *label_salt = mcgk_vec_hex(kdfv, sec, "label_salt", &l2);
        uint8_t cs_id = (uint8_t)mcgk_vec_u64(kdfv, sec, "cs_id");
        uint32_t csb = vec_hex32(kdfv, sec, "csb_id");
        CHECK(kl == 16 && sl == 12 && ll == 9 + rl && l2 == 9 + rl);
        /* the key constant is the first 4 octets of label_key (0x15798CEF or 0x2AD01C64) */
        uint32_t kconst = be32(label_key);
        CHECK(kconst == MCGK_PRF_ENCR || kconst == MCGK_PRF_TEK);
        CHECK(be32(label_salt) == MCGK_PRF_SALT);
        CHECK(label_key[4] == cs_id && be32(label_key + 5) == csb);
        CHECK_MEM(label_key + 9, rnd, rl);

        uint8_t out[16];
        CHECK_OK(mcgk_mikey_prf(tgk, tl, label_key, ll, out, 16));
        CHECK_MEM(out, key16, 16);
        CHECK_OK(mcgk_mikey_prf(tgk, tl, label_salt, l2, out, 12));
        CHECK_MEM(out, salt12, 12);
        CHECK_OK(mcgk_mikey_derive(tgk, tl, kconst, cs_id, csb, rnd, rl, out, 16));
        CHECK_MEM(out, key16, 16);
        CHECK_OK(mcgk_mikey_derive(tgk, tl, MCGK_PRF_SALT, cs_id, csb, rnd, rl, out, 12));
        CHECK_MEM(out, salt12, 12);
        free(tgk);
        free(rnd);
        free(key16);
        free(salt12);
        free(label_key);
        free(label_salt);
        checked++;
    }
    CHECK(checked == 3);
}

static void check_srtp(const mcgk_vecfile *v, const char *sec, const char *key_name,
                       const char *rand_name, uint32_t csb, uint8_t cs_id, const char *mk_name,
                       const char *ms_name)
{
    size_t kl, rl, ml, sl;
    uint8_t *key = mcgk_vec_hex(v, sec, key_name, &kl);
    uint8_t *rnd = mcgk_vec_hex(v, sec, rand_name, &rl);
    uint8_t *mk = mcgk_vec_hex(v, sec, mk_name, &ml);
    uint8_t *ms = mcgk_vec_hex(v, sec, ms_name, &sl);
    CHECK(ml == 16 && sl == 12);
    uint8_t out[16];
    CHECK_OK(mcgk_mikey_derive(key, kl, MCGK_PRF_TEK, cs_id, csb, rnd, rl, out, 16));
    CHECK_MEM(out, mk, 16);
    CHECK_OK(mcgk_mikey_derive(key, kl, MCGK_PRF_SALT, cs_id, csb, rnd, rl, out, 12));
    CHECK_MEM(out, ms, 12);
    free(key);
    free(rnd);
    free(mk);
    free(ms);
}

static void test_R_003_37_srtp_keys_of_published_imessages(void)
{
    /* TS 33.180 §7.4.2: TGK = GMK, CSB ID = GUK-ID, RAND of the message, CS-ID 4;
     * MKI = GMK-ID || GUK-ID. The GUK-ID is recomputed from the GMK and the user URI. */
    struct {
        const char *msg, *user;
    } m[] = {{"imessage.1.GMK", "user.Alice"}, {"imessage.4.GMK_LEGACY_IWF", "user.IWF"}};
    for (size_t i = 0; i < 2; i++) {
        size_t kl, ul, il, mkil;
        uint8_t *gmk = mcgk_vec_hex(swv, m[i].msg, "stated_key", &kl);
        uint8_t *uri = mcgk_vec_hex(swv, m[i].user, "user_uri", &ul);
        uint8_t *id = mcgk_vec_hex(swv, m[i].msg, "stated_key_id", &il);
        uint8_t *mki = mcgk_vec_hex(swv, m[i].msg, "srtp_mki", &mkil);
        uint32_t guk = 0;
        CHECK_OK(mcgk_guk_id(gmk, kl, be32(id), (const char *)uri, ul, &guk));
        CHECK(mkil == 8 && be32(mki) == be32(id) && be32(mki + 4) == guk);
        check_srtp(swv, m[i].msg, "stated_key", "stated_rand", guk, 4, "srtp_master_key_cs4",
                   "srtp_master_salt_cs4");
        free(gmk);
        free(uri);
        free(id);
        free(mki);
    }
    /* §7.4.1 private call: TGK = PCK, CSB ID = PCK-ID, CS-ID 0 / 1 */
    uint32_t pck_id = vec_hex32(swv, "imessage.3.PCK", "stated_key_id");
    CHECK(pck_id >> 28 == MCGK_PURPOSE_PCK);
    check_srtp(swv, "imessage.3.PCK", "stated_key", "stated_rand", pck_id, 0,
               "srtp_master_key_cs0", "srtp_master_salt_cs0");
    check_srtp(swv, "imessage.3.PCK", "stated_key", "stated_rand", pck_id, 1,
               "srtp_master_key_cs1", "srtp_master_salt_cs1");
    /* synthetic GMK message: label as given, MKI */
    size_t ll, rl, mkil;
    uint8_t *label = mcgk_vec_hex(synv, NULL, "srtp_label_tek_cs4", &ll);
    uint8_t *rnd = mcgk_vec_hex(synv, NULL, "rand", &rl);
    uint8_t *mki = mcgk_vec_hex(synv, NULL, "srtp_mki", &mkil);
    uint32_t guk = vec_hex32(synv, NULL, "guk_id");
    CHECK(ll == 9 + rl && be32(label) == MCGK_PRF_TEK && label[4] == 4 &&
          be32(label + 5) == guk);
    CHECK_MEM(label + 9, rnd, rl);
    CHECK(mkil == 8 && be32(mki) == vec_hex32(synv, NULL, "gmk_id") && be32(mki + 4) == guk);
    check_srtp(synv, NULL, "gmk", "rand", guk, 4, "srtp_master_key_cs4", "srtp_master_salt_cs4");
    free(label);
    free(rnd);
    free(mki);

    /* R-003-37: members' GUK-IDs differ, hence so do their SRTP master keys */
    const uint8_t gmk[16] = {9, 8, 7};
    const uint8_t r16[16] = {1};
    uint32_t g1 = 0, g2 = 0;
    CHECK_OK(mcgk_guk_id(gmk, 16, 0x01234567, "sip:a@x", 7, &g1));
    CHECK_OK(mcgk_guk_id(gmk, 16, 0x01234567, "sip:b@x", 7, &g2));
    uint8_t k1[16], k2[16];
    CHECK_OK(mcgk_mikey_derive(gmk, 16, MCGK_PRF_TEK, 4, g1, r16, 16, k1, 16));
    CHECK_OK(mcgk_mikey_derive(gmk, 16, MCGK_PRF_TEK, 4, g2, r16, 16, k2, 16));
    CHECK(g1 != g2 && memcmp(k1, k2, 16) != 0);
}

/* A direct implementation of RFC 3830 §4.1.2 P() for one piece, from EVP_Q_mac. */
static void ref_p(const uint8_t *s, size_t sl, const uint8_t *label, size_t ll, uint8_t *out,
                  size_t outlen)
{
    uint8_t a[32], buf[32 + 512];
    size_t n = 0;
    memcpy(buf, label, ll);
    CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, s, sl, buf, ll, a, 32, &n) != NULL);
    for (size_t off = 0; off < outlen; off += 32) {
        if (off)
            CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, s, sl, a, 32, a, 32, &n) != NULL);
        memcpy(buf, a, 32);
        memcpy(buf + 32, label, ll);
        uint8_t blk[32];
        CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, s, sl, buf, 32 + ll, blk, 32, &n) !=
              NULL);
        for (size_t i = 0; i < 32 && off + i < outlen; i++)
            out[off + i] ^= blk[i];
    }
}

static void test_mikey_prf_long_key_and_output(void)
{
    /* inkey of 80 octets = pieces of 32, 32, 16 xor-ed; outputs of 1, 32, 33, 100 octets */
    uint8_t inkey[80];
    for (size_t i = 0; i < sizeof inkey; i++)
        inkey[i] = (uint8_t)(i * 7 + 1);
    const uint8_t label[] = {0x2a, 0xd0, 0x1c, 0x64, 0xff, 1, 2, 3, 4, 5, 6};
    size_t lens[] = {1, 16, 32, 33, 64, 100};
    for (size_t t = 0; t < sizeof lens / sizeof lens[0]; t++) {
        uint8_t want[100] = {0}, got[100];
        for (size_t off = 0; off < sizeof inkey; off += 32) {
            size_t sl = sizeof inkey - off < 32 ? sizeof inkey - off : 32;
            ref_p(inkey + off, sl, label, sizeof label, want, lens[t]);
        }
        CHECK_OK(mcgk_mikey_prf(inkey, sizeof inkey, label, sizeof label, got, lens[t]));
        CHECK_MEM(got, want, lens[t]);
    }
    /* a prefix property: shorter outputs are prefixes of longer ones */
    uint8_t a[20], b[64];
    CHECK_OK(mcgk_mikey_prf(inkey, 16, label, sizeof label, a, 20));
    CHECK_OK(mcgk_mikey_prf(inkey, 16, label, sizeof label, b, 64));
    CHECK_MEM(a, b, 20);
    /* empty label and an empty RAND are allowed */
    CHECK_OK(mcgk_mikey_prf(inkey, 16, NULL, 0, a, 20));
    CHECK_OK(mcgk_mikey_derive(inkey, 16, MCGK_PRF_PSK_ENCR, 0xFF, 1, NULL, 0, a, 16));
    uint8_t lab[9] = {0x15, 0x05, 0x33, 0xe1, 0xff, 0, 0, 0, 1};
    CHECK_OK(mcgk_mikey_prf(inkey, 16, lab, 9, b, 16));
    CHECK_MEM(a, b, 16);
    /* the largest RAND */
    uint8_t r255[255];
    memset(r255, 0x3c, sizeof r255);
    CHECK_OK(mcgk_mikey_derive(inkey, 16, MCGK_PRF_PSK_SALT, 0xFF, 1, r255, 255, a, 14));
}

static void test_mikey_prf_invalid(void)
{
    const uint8_t k[16] = {0}, label[4] = {0};
    uint8_t out[16];
    uint8_t before[16];
    memset(out, 0x77, sizeof out);
    memcpy(before, out, sizeof out);
    CHECK_ERR(mcgk_mikey_prf(NULL, 16, label, 4, out, 16), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_prf(k, 0, label, 4, out, 16), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_prf(k, 16, NULL, 4, out, 16), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_prf(k, 16, label, 4, NULL, 16), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_prf(k, 16, label, 4, out, 0), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_derive(k, 16, MCGK_PRF_TEK, 4, 1, NULL, 16, out, 16),
              MCGK_ERR_INVALID_ARG);
    uint8_t r256[256] = {0};
    CHECK_ERR(mcgk_mikey_derive(k, 16, MCGK_PRF_TEK, 4, 1, r256, 256, out, 16),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_derive(NULL, 16, MCGK_PRF_TEK, 4, 1, r256, 16, out, 16),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mikey_derive(k, 16, MCGK_PRF_TEK, 4, 1, r256, 16, NULL, 16),
              MCGK_ERR_INVALID_ARG);
    CHECK_MEM(out, before, sizeof out);
}

/* ---- allocation failures: MCGK_ERR_NO_MEMORY ------------------------------------------- */

/* Runs f with an allocation budget of 0, 1, 2 ... until it succeeds; every failure must
 * be MCGK_ERR_NO_MEMORY, leave the fixed-size outputs untouched (or zeroed, for the PRF)
 * and leak nothing (ASan checks the last part). */
typedef mcgk_err (*op_fn)(uint8_t *out);

static const uint8_t fm_key[16] = {0x42};

static mcgk_err op_kdf(uint8_t *out)
{
    mcgk_kdf_param p = {(const uint8_t *)"sip:x", 5};
    return mcgk_kdf(fm_key, 16, 0x50, &p, 1, out);
}
static mcgk_err op_uid(uint8_t *out) { return mcgk_uid("sip:x", 5, "kms", 3, 10, 0, 1, out); }
static mcgk_err op_salt(uint8_t *out)
{
    uint32_t s = 0;
    mcgk_err e = mcgk_user_salt(fm_key, 16, "sip:x", 5, &s);
    if (e == MCGK_OK)
        memcpy(out, &s, 4);
    return e;
}
static mcgk_err op_guk(uint8_t *out)
{
    uint32_t g = 0;
    mcgk_err e = mcgk_guk_id(fm_key, 16, 0x01020304, "sip:x", 5, &g);
    if (e == MCGK_OK)
        memcpy(out, &g, 4);
    return e;
}
static mcgk_err op_dpck(uint8_t *out) { return mcgk_dpck(fm_key, 16, 0x01020304, out); }
static mcgk_err op_prf(uint8_t *out)
{
    const uint8_t r[16] = {5};
    return mcgk_mikey_derive(fm_key, 16, MCGK_PRF_TEK, 4, 1, r, 16, out, 32);
}

static void test_kdf_no_memory(void)
{
    op_fn ops[] = {op_kdf, op_uid, op_salt, op_guk, op_dpck, op_prf};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        int failures = 0, done = 0;
        for (long budget = 0; budget < 200 && !done; budget++) {
            uint8_t out[32];
            memset(out, 0xCC, sizeof out);
            alloc_budget = budget;
            mcgk_err e = ops[i](out);
            alloc_budget = -1;
            if (e == MCGK_OK) {
                done = 1;
                break;
            }
            CHECK_ERR(e, MCGK_ERR_NO_MEMORY);
            failures++;
            int untouched = 1, zero = 1;
            for (size_t j = 0; j < sizeof out; j++) {
                untouched &= out[j] == 0xCC;
                zero &= out[j] == 0;
            }
            CHECK(untouched || (ops[i] == op_prf && zero));
        }
        CHECK(done);
        CHECK(failures > 0); /* the loop did exercise at least one failure */
    }
}

int main(void)
{
    /* must come before any libcrypto allocation */
    int mem_hooks = CRYPTO_set_mem_functions(fail_malloc, fail_realloc, fail_free);
    kdfv = mcgk_vec_load("ts33180-kdf.txt");
    swv = mcgk_vec_load("streamwide-mikey-sakke.txt");
    synv = mcgk_vec_load("synthetic-gmk-imessage.txt");

    TEST_RUN(test_kdf_hash_inputs_of_vectors);
    TEST_RUN(test_kdf_multiple_params_and_lengths);
    TEST_RUN(test_kdf_invalid_args);
    TEST_RUN(test_kdf_encode_uint_minimal);
    TEST_RUN(test_key_period_no);
    TEST_RUN(test_key_period_no_invalid);
    TEST_RUN(test_uid_vectors);
    TEST_RUN(test_uid_streamwide_users_and_synthetic);
    TEST_RUN(test_uid_large_integers);
    TEST_RUN(test_uid_invalid);
    TEST_RUN(test_R_003_06_guk_id_vectors);
    TEST_RUN(test_R_003_19_guk_id_of_published_imessages);
    TEST_RUN(test_R_004_16_guk_id_involution_and_purpose_tag);
    TEST_RUN(test_guk_id_invalid);
    TEST_RUN(test_dpck_vectors);
    TEST_RUN(test_R_001_13_dpck_of_published_imessages);
    TEST_RUN(test_dpck_invalid);
    TEST_RUN(test_mikey_prf_vectors);
    TEST_RUN(test_R_003_37_srtp_keys_of_published_imessages);
    TEST_RUN(test_mikey_prf_long_key_and_output);
    TEST_RUN(test_mikey_prf_invalid);
    if (mem_hooks)
        TEST_RUN(test_kdf_no_memory);
    else
        printf("skip test_kdf_no_memory (libcrypto allocated before main)\n");

    mcgk_vec_free(kdfv);
    mcgk_vec_free(swv);
    mcgk_vec_free(synv);
    TEST_MAIN_END();
}
