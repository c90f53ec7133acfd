/*
 * Tests of base64 (src/base/base64.c, mcgk/base64.h): the RFC 4648 §10
 * test vectors, strict rejection (alphabet, length, padding placement,
 * non-canonical pad bits, inner whitespace), the trim flag, buffer
 * handling, and random round trips.
 */
#include "test.h"

#include "mcgk/base64.h"

static const struct {
    const char *plain;
    const char *b64;
} k_rfc4648[] = {
    {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

static mcgk_err dec(const char *s, unsigned flags, uint8_t *out, size_t cap, size_t *n)
{
    return mcgk_base64_decode(s, strlen(s), flags, out, cap, n);
}

static void test_base64_rfc4648_vectors(void)
{
    for (size_t i = 0; i < sizeof k_rfc4648 / sizeof k_rfc4648[0]; i++) {
        const char *p = k_rfc4648[i].plain, *b = k_rfc4648[i].b64;
        char text[16];
        uint8_t bin[16];
        size_t n = 99;
        CHECK(mcgk_base64_encoded_len(strlen(p)) == strlen(b));
        CHECK_OK(mcgk_base64_encode((const uint8_t *)p, strlen(p), text, sizeof text, &n));
        CHECK(n == strlen(b) && strcmp(text, b) == 0);
        CHECK_OK(dec(b, 0, bin, sizeof bin, &n));
        CHECK(n == strlen(p));
        CHECK_MEM(bin, p, n);
    }
}

static void test_base64_rejects_non_canonical(void)
{
    static const char *const bad[] = {
        "Zg",       /* length not a multiple of 4 */
        "Zg=",      /* idem */
        "Zm9vY",    /* idem */
        "Zg==Zg==", /* padding in the middle */
        "Z===",     /* three '=' */
        "====",     /* only padding */
        "Zh==",     /* non-zero pad bits (RFC 4648 §3.5) */
        "Zm9=",     /* non-zero pad bits */
        "Zm-v",     /* URL-safe alphabet is not base64 */
        "Zm_v",     /* idem */
        "Zm9v\n",   /* trailing newline without the trim flag */
        " Zm9v",    /* leading space without the trim flag */
        "Zm 9v",    /* inner whitespace */
        "Zm9vYm\nFy", /* inner newline */
        "Zm9\x80",  /* non-ASCII */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t out[16];
        size_t n = 77;
        memset(out, 0xaa, sizeof out);
        CHECK_ERR(dec(bad[i], 0, out, sizeof out, &n), MCGK_ERR_BASE64);
        CHECK(n == 77 && out[0] == 0xaa);
    }
    /* inner whitespace stays an error even with the trim flag */
    size_t n;
    uint8_t out[16];
    CHECK_ERR(dec(" Zm 9v ", MCGK_BASE64_TRIM, out, sizeof out, &n), MCGK_ERR_BASE64);
    /* an explicit NUL inside the counted text */
    CHECK_ERR(mcgk_base64_decode("Zm\0v", 4, 0, out, sizeof out, &n), MCGK_ERR_BASE64);
}

/* Every one of the 256 octet values in the last position of a quantum. */
static void test_base64_every_character(void)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int c = 0; c < 256; c++) {
        char text[4] = {'A', 'A', 'A', (char)c};
        uint8_t out[3];
        size_t n;
        const char *pos = c != 0 ? memchr(alphabet, c, 64) : NULL;
        mcgk_err e = mcgk_base64_decode(text, 4, 0, out, sizeof out, &n);
        if (pos != NULL) {
            CHECK_OK(e);
            CHECK(n == 3 && out[0] == 0 && out[1] == 0 && out[2] == (uint8_t)(pos - alphabet));
        } else if (c == '=') {
            CHECK_OK(e); /* "AAA=" is one padded quantum */
            CHECK(n == 2 && out[0] == 0 && out[1] == 0);
        } else {
            CHECK_ERR(e, MCGK_ERR_BASE64);
        }
    }
}

static void test_base64_trim_flag(void)
{
    uint8_t out[8];
    size_t n;
    CHECK_OK(dec(" \t\r\nZm9vYg==\r\n ", MCGK_BASE64_TRIM, out, sizeof out, &n));
    CHECK(n == 4 && memcmp(out, "foob", 4) == 0);
    CHECK_OK(dec("  \n", MCGK_BASE64_TRIM, out, sizeof out, &n));
    CHECK(n == 0);
}

static void test_base64_buffers_and_args(void)
{
    uint8_t out[8];
    char text[16];
    size_t n = 0;
    /* size queries */
    CHECK_OK(dec("Zm9vYmFy", 0, NULL, 0, &n));
    CHECK(n == 6);
    CHECK_OK(mcgk_base64_encode((const uint8_t *)"foobar", 6, NULL, 0, &n));
    CHECK(n == 8);
    /* too small: nothing written, the size is reported */
    memset(out, 0xaa, sizeof out);
    CHECK_ERR(dec("Zm9vYmFy", 0, out, 5, &n), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(n == 6 && out[0] == 0xaa);
    CHECK_ERR(mcgk_base64_encode((const uint8_t *)"foobar", 6, text, 8, &n),
              MCGK_ERR_BUFFER_TOO_SMALL); /* no room for the NUL */
    CHECK(n == 8);
    /* caller errors */
    CHECK_ERR(mcgk_base64_decode(NULL, 4, 0, out, sizeof out, &n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(dec("Zm9v", 0, out, sizeof out, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(dec("Zm9v", 2, out, sizeof out, &n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_base64_encode(NULL, 3, text, sizeof text, &n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_base64_encode((const uint8_t *)"x", 1, text, sizeof text, NULL),
              MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_base64_encode((const uint8_t *)"x", SIZE_MAX, text, sizeof text, &n),
              MCGK_ERR_INVALID_ARG);
    CHECK_OK(mcgk_base64_decode(NULL, 0, 0, NULL, 0, &n));
    CHECK(n == 0);
}

static void test_base64_random_round_trips(void)
{
    mcgk_test_prng prng;
    mcgk_test_prng_init(&prng, 6507);
    int rounds = mcgk_test_quick() ? 200 : 2000;
    for (int i = 0; i < rounds; i++) {
        uint8_t in[100], back[100];
        char text[140];
        size_t len = (size_t)(mcgk_test_prng_next(&prng) % sizeof in), n, m;
        mcgk_test_prng_fill(&prng, in, len);
        CHECK_OK(mcgk_base64_encode(in, len, text, sizeof text, &n));
        CHECK(strlen(text) == n);
        CHECK_OK(mcgk_base64_decode(text, n, 0, back, sizeof back, &m));
        CHECK(m == len);
        CHECK_MEM(back, in, len);
    }
}

int main(void)
{
    TEST_RUN(test_base64_rfc4648_vectors);
    TEST_RUN(test_base64_rejects_non_canonical);
    TEST_RUN(test_base64_every_character);
    TEST_RUN(test_base64_trim_flag);
    TEST_RUN(test_base64_buffers_and_args);
    TEST_RUN(test_base64_random_round_trips);
    TEST_MAIN_END();
}
