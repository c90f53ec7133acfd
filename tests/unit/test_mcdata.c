/*
 * Tests of src/media/mcdata.c: MCData group payload protection (TS 33.180 §8,
 * R-003-38: DPPK = GMK, DPPK-ID = GMK-ID, no user-specific derivation).
 *
 * - round trips (empty, one octet, an SDS text, the largest payload) through
 *   protect / open / unprotect, with the header fields kept;
 * - R-003-38: any two members produce the same envelope from the same IV (no
 *   per-user key), the DPPK-ID on the wire is the GMK-ID and the key is
 *   DPCK(GMK, GMK-ID);
 * - every octet flip and every truncation is rejected; a wrong GMK, an unknown,
 *   revoked or media-only GMK are rejected with their own codes; every error code.
 */
#include "mcgk/kdf.h"
#include "mcgk/mcdata.h"
#include "test.h"

static const uint8_t k_gmk[16] = {0x07, 0xd1, 0xa1, 0x67, 0x7a, 0xc3, 0x6d, 0x8e,
                                  0x81, 0x62, 0x04, 0x84, 0x68, 0x9b, 0x3c, 0x2d};
static const uint32_t k_gmk_id = 0x0df9bc39u;

typedef struct store {
    uint32_t id;
    uint8_t key[16];
    unsigned uses;
    mcgk_err verdict; /* what the lookup answers for id */
    int calls;
} store;

static mcgk_err lookup(void *ctx, uint32_t id, mcgk_media_key *out)
{
    store *s = ctx;
    s->calls++;
    if (id != s->id)
        return MCGK_ERR_UNKNOWN_KEY_ID;
    if (s->verdict != MCGK_OK)
        return s->verdict;
    memcpy(out->key, s->key, 16);
    out->rand_len = 1; /* MCData does not use the RAND */
    out->rand[0] = 0;
    out->uses = s->uses;
    return MCGK_OK;
}

static store good_store(void)
{
    store s;
    memset(&s, 0, sizeof s);
    s.id = k_gmk_id;
    memcpy(s.key, k_gmk, 16);
    s.uses = MCGK_MEDIA_USE_ALL;
    return s;
}

static uint8_t g_iv_bytes[4096];

static mcgk_rng iv_rng(mcgk_test_fixed_rng *st)
{
    return mcgk_test_fixed_rng_init(st, g_iv_bytes, sizeof g_iv_bytes);
}

static void test_round_trips(void)
{
    static uint8_t payload[MCGK_MCDATA_PAYLOAD_MAX_LEN], env[MCGK_MCDATA_PAYLOAD_MAX_LEN + 64];
    static uint8_t out[MCGK_MCDATA_PAYLOAD_MAX_LEN];
    mcgk_test_prng pr;
    mcgk_rng rng = mcgk_test_prng_init(&pr, 38);
    mcgk_test_prng_fill(&pr, payload, sizeof payload);
    const size_t lens[] = {0, 1, 15, 16, 17, 140, 1000, MCGK_MCDATA_PAYLOAD_MAX_LEN};
    store s = good_store();
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t n = lens[i], el = 0, ol = 0;
        mcgk_mcdata_info info, got;
        mcgk_mcdata_info_init(&info);
        info.date_time = 0x00ffeeddccull;
        info.payload_id = (uint32_t)(0x1000 + i);
        info.payload_seq = (uint8_t)i;
        CHECK_OK(mcgk_mcdata_protect(k_gmk, k_gmk_id, &info, &rng, payload, n, NULL, 0, &el));
        CHECK(el == n + MCGK_MCDATA_OVERHEAD);
        CHECK_OK(mcgk_mcdata_protect(k_gmk, k_gmk_id, &info, &rng, payload, n, env, sizeof env,
                                     &el));
        CHECK(el == n + MCGK_MCDATA_OVERHEAD);
        CHECK_OK(mcgk_mcdata_open(k_gmk, k_gmk_id, env, el, out, sizeof out, &ol, &got));
        CHECK(ol == n && memcmp(out, payload, n) == 0);
        CHECK(got.message_type == MCGK_MCDATA_MSG_TYPE && got.date_time == info.date_time &&
              got.payload_id == info.payload_id && got.payload_seq == info.payload_seq);
        uint32_t id = 0;
        memset(out, 0, n);
        CHECK_OK(mcgk_mcdata_unprotect(lookup, &s, env, el, out, sizeof out, &ol, NULL, &id));
        CHECK(ol == n && memcmp(out, payload, n) == 0 && id == k_gmk_id);
    }
    /* info NULL: the defaults */
    size_t el = 0, ol = 0;
    CHECK_OK(mcgk_mcdata_protect(k_gmk, k_gmk_id, NULL, &rng, payload, 5, env, sizeof env, &el));
    CHECK(env[0] == MCGK_MCDATA_MSG_TYPE && env[32] == MCGK_MCDATA_PAYLOAD_IEI);
    CHECK_OK(mcgk_mcdata_open(k_gmk, k_gmk_id, env, el, out, sizeof out, &ol, NULL));
}

/* R-003-38: no user-specific derivation - the envelope carries the GMK-ID (not a GUK-ID)
 * and is keyed by DPCK(GMK, GMK-ID); two members with the same IV write the same octets;
 * fresh IVs make two protections of one payload differ. */
static void test_R_003_38_dppk_is_the_gmk(void)
{
    const char sds[] = "MCData SDS: evacuate sector 7";
    uint8_t a[128], b[128], out[128];
    size_t al = 0, bl = 0, ol = 0;
    mcgk_test_fixed_rng fa, fb;
    mcgk_rng ra = iv_rng(&fa), rb = iv_rng(&fb);
    CHECK_OK(mcgk_mcdata_protect(k_gmk, k_gmk_id, NULL, &ra, (const uint8_t *)sds, strlen(sds),
                                 a, sizeof a, &al));
    CHECK_OK(mcgk_mcdata_protect(k_gmk, k_gmk_id, NULL, &rb, (const uint8_t *)sds, strlen(sds),
                                 b, sizeof b, &bl));
    CHECK(al == bl && memcmp(a, b, al) == 0);
    CHECK(a[28] == 0x0d && a[29] == 0xf9 && a[30] == 0xbc && a[31] == 0x39); /* DPPK-ID */
    CHECK(a[11] == MCGK_PP_ALG_AES_128_GCM);
    CHECK_MEM(a + 12, g_iv_bytes, 16);
    /* the same envelope opened directly with DPCK(GMK, GMK-ID) */
    uint8_t dpck[16];
    CHECK_OK(mcgk_dpck(k_gmk, 16, k_gmk_id, dpck));
    mcgk_pp pp;
    CHECK_OK(mcgk_pp_parse(a, al, &pp));
    CHECK_OK(mcgk_pp_open(k_gmk, &pp, out, sizeof out, &ol));
    CHECK(ol == strlen(sds) && memcmp(out, sds, ol) == 0);
    /* ... and not with a per-user key (the GUK-ID of a member as DPPK-ID) */
    uint32_t guk = 0;
    const char *alice = "sip:alice@streamwide.com";
    CHECK_OK(mcgk_guk_id(k_gmk, 16, k_gmk_id, alice, strlen(alice), &guk));
    pp.dppk_id = guk;
    CHECK_ERR(mcgk_pp_open(k_gmk, &pp, out, sizeof out, &ol), MCGK_ERR_PAYLOAD_AUTH);
    /* fresh IVs: two protections differ */
    mcgk_test_prng pr;
    mcgk_rng rr = mcgk_test_prng_init(&pr, 1);
    CHECK_OK(mcgk_mcdata_protect(k_gmk, k_gmk_id, NULL, &rr, (const uint8_t *)sds, strlen(sds),
                                 a, sizeof a, &al));
    CHECK_OK(mcgk_mcdata_protect(k_gmk, k_gmk_id, NULL, &rr, (const uint8_t *)sds, strlen(sds),
                                 b, sizeof b, &bl));
    CHECK(memcmp(a + 12, b + 12, al - 12) != 0);
}

/* Every flipped bit and every truncation is rejected; the output is wiped on a bad tag. */
static void test_tamper_and_truncation(void)
{
    uint8_t payload[200], env[300], out[300];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 7);
    mcgk_test_prng pr;
    mcgk_rng rng = mcgk_test_prng_init(&pr, 2);
    size_t el = 0, ol = 0;
    CHECK_OK(mcgk_mcdata_protect(k_gmk, k_gmk_id, NULL, &rng, payload, sizeof payload, env,
                                 sizeof env, &el));
    store s = good_store();
    int accepted = 0;
    for (size_t i = 0; i < el; i++)
        for (int bit = 0; bit < 8; bit++) {
            env[i] ^= (uint8_t)(1u << bit);
            memset(out, 0x77, sizeof out);
            mcgk_err e = mcgk_mcdata_open(k_gmk, k_gmk_id, env, el, out, sizeof out, &ol, NULL);
            if (e == MCGK_ERR_PAYLOAD_AUTH) { /* nothing unauthenticated released */
                size_t z = 0;
                while (z < sizeof payload && out[z] == 0)
                    z++;
                CHECK(z == sizeof payload);
            }
            mcgk_err u = mcgk_mcdata_unprotect(lookup, &s, env, el, out, sizeof out, &ol, NULL,
                                               NULL);
            env[i] ^= (uint8_t)(1u << bit);
            if (e == MCGK_OK || u == MCGK_OK) {
                accepted++;
                continue;
            }
            CHECK(e == MCGK_ERR_PAYLOAD_AUTH || e == MCGK_ERR_TRUNCATED ||
                  e == MCGK_ERR_TRAILING_DATA || e == MCGK_ERR_UNSUPPORTED ||
                  e == MCGK_ERR_KEY_PURPOSE || e == MCGK_ERR_UNKNOWN_KEY_ID ||
                  e == MCGK_ERR_MALFORMED);
            CHECK(u == MCGK_ERR_PAYLOAD_AUTH || u == MCGK_ERR_TRUNCATED ||
                  u == MCGK_ERR_TRAILING_DATA || u == MCGK_ERR_UNSUPPORTED ||
                  u == MCGK_ERR_KEY_PURPOSE || u == MCGK_ERR_UNKNOWN_KEY_ID ||
                  u == MCGK_ERR_MALFORMED);
        }
    CHECK(accepted == 0);
    for (size_t cut = 0; cut < el; cut++) {
        CHECK_ERR(mcgk_mcdata_open(k_gmk, k_gmk_id, env, cut, out, sizeof out, &ol, NULL),
                  MCGK_ERR_TRUNCATED);
        CHECK_ERR(mcgk_mcdata_unprotect(lookup, &s, env, cut, out, sizeof out, &ol, NULL, NULL),
                  MCGK_ERR_TRUNCATED);
    }
    env[el] = 0;
    CHECK_ERR(mcgk_mcdata_open(k_gmk, k_gmk_id, env, el + 1, out, sizeof out, &ol, NULL),
              MCGK_ERR_TRAILING_DATA);
    CHECK_OK(mcgk_mcdata_open(k_gmk, k_gmk_id, env, el, out, sizeof out, &ol, NULL));
    CHECK(ol == sizeof payload && memcmp(out, payload, ol) == 0);
}

/* Wrong key: another GMK under the same GMK-ID; the store's verdicts. */
static void test_wrong_key_and_store_verdicts(void)
{
    uint8_t env[128], out[128];
    mcgk_test_prng pr;
    mcgk_rng rng = mcgk_test_prng_init(&pr, 3);
    size_t el = 0, ol = 0;
    CHECK_OK(mcgk_mcdata_protect(k_gmk, k_gmk_id, NULL, &rng, (const uint8_t *)"hello", 5, env,
                                 sizeof env, &el));
    uint8_t other[16];
    memcpy(other, k_gmk, 16);
    other[15] ^= 0x80;
    memset(out, 0x55, sizeof out);
    CHECK_ERR(mcgk_mcdata_open(other, k_gmk_id, env, el, out, sizeof out, &ol, NULL),
              MCGK_ERR_PAYLOAD_AUTH);
    CHECK(out[0] == 0 && out[4] == 0); /* wiped */
    CHECK_ERR(mcgk_mcdata_open(k_gmk, k_gmk_id + 1, env, el, out, sizeof out, &ol, NULL),
              MCGK_ERR_UNKNOWN_KEY_ID);
    store s = good_store();
    memcpy(s.key, other, 16); /* the store holds another key under that ID */
    CHECK_ERR(mcgk_mcdata_unprotect(lookup, &s, env, el, out, sizeof out, &ol, NULL, NULL),
              MCGK_ERR_PAYLOAD_AUTH);
    s = good_store();
    s.id = 0x0aaaaaaau;
    CHECK_ERR(mcgk_mcdata_unprotect(lookup, &s, env, el, out, sizeof out, &ol, NULL, NULL),
              MCGK_ERR_UNKNOWN_KEY_ID);
    s = good_store();
    s.verdict = MCGK_ERR_REVOKED;
    CHECK_ERR(mcgk_mcdata_unprotect(lookup, &s, env, el, out, sizeof out, &ol, NULL, NULL),
              MCGK_ERR_REVOKED);
    s = good_store();
    s.uses = MCGK_MEDIA_USE_RTP | MCGK_MEDIA_USE_RTCP; /* a media-only GMK */
    CHECK_ERR(mcgk_mcdata_unprotect(lookup, &s, env, el, out, sizeof out, &ol, NULL, NULL),
              MCGK_ERR_KEY_USAGE);
    s = good_store();
    s.calls = 0;
    CHECK_ERR(mcgk_mcdata_unprotect(lookup, &s, env, el, out, 4, &ol, NULL, NULL),
              MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(ol == 5 && s.calls == 0); /* framing and room are checked before the lookup */
    uint32_t id = 0x12345678u;
    CHECK_OK(mcgk_mcdata_unprotect(lookup, &s, env, el, out, sizeof out, &ol, NULL, &id));
    CHECK(id == k_gmk_id && ol == 5 && memcmp(out, "hello", 5) == 0);
}

static void test_error_codes(void)
{
    uint8_t env[128], out[128], p[8] = {1, 2, 3};
    mcgk_test_prng pr;
    mcgk_rng rng = mcgk_test_prng_init(&pr, 4);
    size_t el = 0, ol = 0;
    /* protect */
    CHECK_ERR(mcgk_mcdata_protect(NULL, k_gmk_id, NULL, &rng, p, 3, env, sizeof env, &el),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mcdata_protect(k_gmk, k_gmk_id, NULL, NULL, p, 3, env, sizeof env, &el),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mcdata_protect(k_gmk, k_gmk_id, NULL, &rng, NULL, 3, env, sizeof env, &el),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mcdata_protect(k_gmk, k_gmk_id, NULL, &rng, p, 3, env, sizeof env, NULL),
              MCGK_ERR_INVALID_ARG);
    mcgk_mcdata_info info;
    mcgk_mcdata_info_init(&info);
    info.date_time = 1ull << 40;
    CHECK_ERR(mcgk_mcdata_protect(k_gmk, k_gmk_id, &info, &rng, p, 3, env, sizeof env, &el),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mcdata_protect(k_gmk, 0x1df9bc39u, NULL, &rng, p, 3, env, sizeof env, &el),
              MCGK_ERR_KEY_PURPOSE); /* a PCK-ID */
    CHECK_ERR(mcgk_mcdata_protect(k_gmk, k_gmk_id, NULL, &rng, p,
                                  MCGK_MCDATA_PAYLOAD_MAX_LEN + 1, NULL, 0, &el),
              MCGK_ERR_OVERSIZED);
    CHECK_ERR(mcgk_mcdata_protect(k_gmk, k_gmk_id, NULL, &rng, p, 3, env, 53, &el),
              MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(el == 54);
    mcgk_test_fixed_rng fr;
    mcgk_rng empty = mcgk_test_fixed_rng_init(&fr, NULL, 0);
    CHECK_ERR(mcgk_mcdata_protect(k_gmk, k_gmk_id, NULL, &empty, p, 3, env, sizeof env, &el),
              MCGK_ERR_RNG);
    CHECK_OK(mcgk_mcdata_protect(k_gmk, k_gmk_id, NULL, &empty, p, 3, NULL, 0, &el)); /* no RNG */
    mcgk_mcdata_info_init(NULL);

    CHECK_OK(mcgk_mcdata_protect(k_gmk, k_gmk_id, NULL, &rng, p, 3, env, sizeof env, &el));
    store s = good_store();
    /* open / unprotect arguments */
    CHECK_ERR(mcgk_mcdata_open(NULL, k_gmk_id, env, el, out, sizeof out, &ol, NULL),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mcdata_open(k_gmk, k_gmk_id, NULL, el, out, sizeof out, &ol, NULL),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mcdata_open(k_gmk, k_gmk_id, env, el, NULL, 3, &ol, NULL),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mcdata_open(k_gmk, k_gmk_id, env, el, out, sizeof out, NULL, NULL),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mcdata_unprotect(NULL, &s, env, el, out, sizeof out, &ol, NULL, NULL),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mcdata_unprotect(lookup, &s, NULL, el, out, sizeof out, &ol, NULL, NULL),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mcdata_unprotect(lookup, &s, env, el, NULL, 3, &ol, NULL, NULL),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mcdata_unprotect(lookup, &s, env, el, out, sizeof out, NULL, NULL, NULL),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_mcdata_open(k_gmk, k_gmk_id, env, el, out, 2, &ol, NULL),
              MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(ol == 3);
    /* header checks: algorithm, purpose tag, payload shorter than the tag */
    uint8_t bad[128];
    memcpy(bad, env, el);
    bad[11] = 2;
    CHECK_ERR(mcgk_mcdata_open(k_gmk, k_gmk_id, bad, el, out, sizeof out, &ol, NULL),
              MCGK_ERR_UNSUPPORTED);
    CHECK_ERR(mcgk_mcdata_unprotect(lookup, &s, bad, el, out, sizeof out, &ol, NULL, NULL),
              MCGK_ERR_UNSUPPORTED);
    memcpy(bad, env, el);
    bad[28] = 0x2d; /* DPPK-ID with purpose tag 2 (CSK) */
    CHECK_ERR(mcgk_mcdata_open(k_gmk, k_gmk_id, bad, el, out, sizeof out, &ol, NULL),
              MCGK_ERR_KEY_PURPOSE);
    CHECK_ERR(mcgk_mcdata_unprotect(lookup, &s, bad, el, out, sizeof out, &ol, NULL, NULL),
              MCGK_ERR_KEY_PURPOSE);
    memcpy(bad, env, el);
    bad[32] = 0x7b; /* another payload IEI (not authenticated: refused) */
    CHECK_ERR(mcgk_mcdata_open(k_gmk, k_gmk_id, bad, el, out, sizeof out, &ol, NULL),
              MCGK_ERR_MALFORMED);
    CHECK_ERR(mcgk_mcdata_unprotect(lookup, &s, bad, el, out, sizeof out, &ol, NULL, NULL),
              MCGK_ERR_MALFORMED);
    memcpy(bad, env, 35);
    bad[33] = 0;
    bad[34] = 15; /* 15 octets of payload: less than a tag */
    CHECK_ERR(mcgk_mcdata_open(k_gmk, k_gmk_id, bad, 35 + 15, out, sizeof out, &ol, NULL),
              MCGK_ERR_MALFORMED);
    CHECK_ERR(mcgk_mcdata_unprotect(lookup, &s, bad, 35 + 15, out, sizeof out, &ol, NULL, NULL),
              MCGK_ERR_MALFORMED);
}

/* The fuzz seeds (fuzz/corpus/mcdata/, written by an independent Python AES-GCM) open:
 * the four group payloads with the GMK, Streamwide's key-parameter envelope through a
 * store holding the GMK under that message's GUK-ID (its DPPK-ID). */
static void test_fuzz_seeds_open(void)
{
    static const struct {
        const char *name;
        size_t payload_len;
        uint32_t dppk_id;
    } seeds[] = {{"empty.bin", 0, 0x0df9bc39u},
                 {"sds-text.bin", 29, 0x0df9bc39u},
                 {"payload-200.bin", 200, 0x0df9bc39u},
                 {"payload-1400.bin", 1400, 0x0df9bc39u},
                 {"streamwide-1-key-params.bin", 20, 0x06a12aeau}};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/fuzz/corpus/mcdata/%s", MCGK_SOURCE_DIR, seeds[i].name);
        FILE *f = fopen(path, "rb");
        CHECK(f != NULL);
        if (f == NULL)
            continue;
        uint8_t env[2048], out[2048];
        size_t el = fread(env, 1, sizeof env, f), ol = 0;
        fclose(f);
        store s = good_store();
        s.id = seeds[i].dppk_id;
        uint32_t id = 0;
        CHECK_OK(mcgk_mcdata_unprotect(lookup, &s, env, el, out, sizeof out, &ol, NULL, &id));
        CHECK(ol == seeds[i].payload_len && id == seeds[i].dppk_id);
    }
}

int main(void)
{
    for (size_t i = 0; i < sizeof g_iv_bytes; i++)
        g_iv_bytes[i] = (uint8_t)(0x3c + i * 13);
    TEST_RUN(test_round_trips);
    TEST_RUN(test_R_003_38_dppk_is_the_gmk);
    TEST_RUN(test_tamper_and_truncation);
    TEST_RUN(test_wrong_key_and_store_verdicts);
    TEST_RUN(test_error_codes);
    TEST_RUN(test_fuzz_seeds_open);
    TEST_MAIN_END();
}
