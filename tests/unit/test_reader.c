/*
 * Tests of the bounded reader and writer (src/base/reader.c, mcgk/reader.h):
 * big-endian values, every read stopping at the end with MCGK_ERR_TRUNCATED
 * and consuming nothing, sub-readers and their offsets, the text delimiter
 * search, trailing data, and the writer's overflow / size-only behaviour.
 */
#include "test.h"

#include "mcgk/reader.h"

static const uint8_t k_buf[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};

static void test_reader_values_big_endian(void)
{
    mcgk_reader r;
    uint8_t a;
    uint16_t b;
    uint32_t c;
    uint64_t d, e;
    mcgk_reader_init(&r, k_buf, sizeof k_buf);
    CHECK(mcgk_reader_remaining(&r) == 16);
    CHECK_OK(mcgk_reader_u8(&r, &a));
    CHECK(a == 0x01);
    CHECK_OK(mcgk_reader_u16(&r, &b));
    CHECK(b == 0x0203);
    CHECK_OK(mcgk_reader_u32(&r, &c));
    CHECK(c == 0x04050607);
    CHECK(mcgk_reader_offset(&r) == 7);
    CHECK_OK(mcgk_reader_uint(&r, 5, &e));
    CHECK(e == 0x08090a0b0cull);
    mcgk_reader_init(&r, k_buf, sizeof k_buf);
    CHECK_OK(mcgk_reader_u64(&r, &d));
    CHECK(d == 0x0102030405060708ull);
    CHECK_ERR(mcgk_reader_expect_end(&r), MCGK_ERR_TRAILING_DATA);
    CHECK_OK(mcgk_reader_skip(&r, 8));
    CHECK_OK(mcgk_reader_expect_end(&r));
}

/* Every kind of read at every position: past the end is TRUNCATED and consumes nothing. */
static void test_reader_truncated_consumes_nothing(void)
{
    for (size_t len = 0; len <= sizeof k_buf; len++) {
        for (size_t width = 1; width <= 9; width++) {
            mcgk_reader r;
            mcgk_reader_init(&r, k_buf, len);
            uint64_t v = 0xdead;
            const uint8_t *p = (const uint8_t *)"x";
            uint8_t copy[16];
            memset(copy, 0xaa, sizeof copy);
            mcgk_err want = width > len ? MCGK_ERR_TRUNCATED : MCGK_OK;
            if (width <= 8) {
                CHECK_ERR(mcgk_reader_uint(&r, width, &v), want);
                if (want != MCGK_OK)
                    CHECK(v == 0xdead && mcgk_reader_offset(&r) == 0);
            }
            mcgk_reader_init(&r, k_buf, len);
            CHECK_ERR(mcgk_reader_bytes(&r, width, &p), want);
            if (want != MCGK_OK)
                CHECK(p[0] == 'x' && mcgk_reader_offset(&r) == 0);
            else
                CHECK(p == k_buf && mcgk_reader_offset(&r) == width);
            mcgk_reader_init(&r, k_buf, len);
            CHECK_ERR(mcgk_reader_copy(&r, copy, width), want);
            if (want != MCGK_OK)
                CHECK(copy[0] == 0xaa && mcgk_reader_offset(&r) == 0);
            else
                CHECK_MEM(copy, k_buf, width);
            mcgk_reader_init(&r, k_buf, len);
            CHECK_ERR(mcgk_reader_skip(&r, width), want);
            CHECK(mcgk_reader_offset(&r) == (want == MCGK_OK ? width : 0));
        }
        mcgk_reader r;
        uint8_t a = 7;
        uint16_t b = 7;
        uint32_t c = 7;
        uint64_t d = 7;
        mcgk_reader_init(&r, k_buf, len);
        CHECK_ERR(mcgk_reader_u8(&r, &a), len >= 1 ? MCGK_OK : MCGK_ERR_TRUNCATED);
        mcgk_reader_init(&r, k_buf, len);
        CHECK_ERR(mcgk_reader_peek_u8(&r, &a), len >= 1 ? MCGK_OK : MCGK_ERR_TRUNCATED);
        CHECK(mcgk_reader_offset(&r) == 0);
        CHECK_ERR(mcgk_reader_u16(&r, &b), len >= 2 ? MCGK_OK : MCGK_ERR_TRUNCATED);
        mcgk_reader_init(&r, k_buf, len);
        CHECK_ERR(mcgk_reader_u32(&r, &c), len >= 4 ? MCGK_OK : MCGK_ERR_TRUNCATED);
        mcgk_reader_init(&r, k_buf, len);
        CHECK_ERR(mcgk_reader_u64(&r, &d), len >= 8 ? MCGK_OK : MCGK_ERR_TRUNCATED);
        if (len < 8)
            CHECK(d == 7);
    }
}

static void test_reader_uint_width_invalid(void)
{
    mcgk_reader r;
    uint64_t v;
    mcgk_reader_init(&r, k_buf, sizeof k_buf);
    CHECK_ERR(mcgk_reader_uint(&r, 0, &v), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_reader_uint(&r, 9, &v), MCGK_ERR_INVALID_ARG);
    CHECK(mcgk_reader_offset(&r) == 0);
}

static void test_reader_empty_and_rest(void)
{
    mcgk_reader r;
    const uint8_t *p;
    size_t n = 99;
    mcgk_reader_init(&r, NULL, 5); /* NULL buffer reads as empty */
    CHECK(mcgk_reader_remaining(&r) == 0);
    CHECK_OK(mcgk_reader_bytes(&r, 0, &p));
    CHECK(p == NULL);
    mcgk_reader_rest(&r, &p, &n);
    CHECK(n == 0);
    mcgk_reader_init(&r, k_buf, sizeof k_buf);
    CHECK_OK(mcgk_reader_skip(&r, 10));
    mcgk_reader_rest(&r, &p, &n);
    CHECK(n == 6 && p == k_buf + 10);
    CHECK_OK(mcgk_reader_expect_end(&r));
}

static void test_reader_sub_bounds_and_offsets(void)
{
    mcgk_reader r, sub, subsub;
    uint8_t a;
    uint32_t c;
    mcgk_reader_init(&r, k_buf, sizeof k_buf);
    CHECK_OK(mcgk_reader_skip(&r, 3));
    CHECK_ERR(mcgk_reader_sub(&r, 14, &sub), MCGK_ERR_TRUNCATED);
    CHECK(mcgk_reader_offset(&r) == 3);
    CHECK_OK(mcgk_reader_sub(&r, 5, &sub));
    CHECK(mcgk_reader_offset(&r) == 8);
    CHECK(mcgk_reader_offset(&sub) == 3);
    CHECK_OK(mcgk_reader_u8(&sub, &a));
    CHECK(a == 0x04);
    CHECK_OK(mcgk_reader_sub(&sub, 2, &subsub));
    CHECK(mcgk_reader_offset(&subsub) == 4);
    /* the sub-reader cannot read past its container */
    CHECK_ERR(mcgk_reader_u32(&sub, &c), MCGK_ERR_TRUNCATED);
    CHECK_ERR(mcgk_reader_u32(&subsub, &c), MCGK_ERR_TRUNCATED);
    CHECK_ERR(mcgk_reader_expect_end(&sub), MCGK_ERR_TRAILING_DATA);
}

static void test_reader_until_delimiter(void)
{
    const char *text = "GET / HTTP/1.1\r\nHost: x\r\n\r\ntail";
    mcgk_reader r;
    const uint8_t *p;
    size_t n;
    static const uint8_t crlf[] = {'\r', '\n'};
    mcgk_reader_init(&r, (const uint8_t *)text, strlen(text));
    CHECK_OK(mcgk_reader_until(&r, crlf, 2, &p, &n));
    CHECK(n == 14 && memcmp(p, "GET / HTTP/1.1", 14) == 0);
    CHECK_OK(mcgk_reader_until(&r, crlf, 2, &p, &n));
    CHECK(n == 7 && memcmp(p, "Host: x", 7) == 0);
    CHECK_OK(mcgk_reader_until(&r, crlf, 2, &p, &n));
    CHECK(n == 0);
    size_t before = mcgk_reader_offset(&r);
    CHECK_ERR(mcgk_reader_until(&r, crlf, 2, &p, &n), MCGK_ERR_TRUNCATED);
    CHECK(mcgk_reader_offset(&r) == before);
    CHECK_ERR(mcgk_reader_until(&r, crlf, 0, &p, &n), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_reader_until(&r, NULL, 2, &p, &n), MCGK_ERR_INVALID_ARG);
    /* a delimiter longer than what remains */
    mcgk_reader_init(&r, (const uint8_t *)"\r", 1);
    CHECK_ERR(mcgk_reader_until(&r, crlf, 2, &p, &n), MCGK_ERR_TRUNCATED);
}

static void test_writer_values_and_finish(void)
{
    uint8_t out[32];
    size_t n = 0;
    mcgk_writer w;
    mcgk_writer_init(&w, out, sizeof out);
    CHECK_OK(mcgk_writer_u8(&w, 0x01));
    CHECK_OK(mcgk_writer_u16(&w, 0x0203));
    CHECK_OK(mcgk_writer_u32(&w, 0x04050607));
    CHECK_OK(mcgk_writer_u64(&w, 0x08090a0b0c0d0e0full));
    CHECK_OK(mcgk_writer_uint(&w, 0x10, 1));
    CHECK_OK(mcgk_writer_bytes(&w, NULL, 0));
    CHECK_OK(mcgk_writer_finish(&w, &n));
    CHECK(n == 16);
    CHECK_MEM(out, k_buf, 16);
    CHECK_OK(mcgk_writer_zeros(&w, 2));
    CHECK(mcgk_writer_len(&w) == 18 && out[16] == 0 && out[17] == 0);
    CHECK_OK(mcgk_writer_put_u16_at(&w, 16, 0xbeef));
    CHECK(out[16] == 0xbe && out[17] == 0xef);
    CHECK_ERR(mcgk_writer_put_u16_at(&w, 17, 1), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_writer_put_u16_at(&w, 40, 1), MCGK_ERR_INVALID_ARG);
}

static void test_writer_invalid_args(void)
{
    uint8_t out[8];
    mcgk_writer w;
    mcgk_writer_init(&w, out, sizeof out);
    CHECK_ERR(mcgk_writer_uint(&w, 1, 0), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_writer_uint(&w, 1, 9), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_writer_uint(&w, 0x100, 1), MCGK_ERR_INVALID_ARG); /* does not fit */
    CHECK_ERR(mcgk_writer_bytes(&w, NULL, 3), MCGK_ERR_INVALID_ARG);
    CHECK(mcgk_writer_len(&w) == 0);
    CHECK_OK(mcgk_writer_uint(&w, 0xffffffffffull, 5));
    CHECK(mcgk_writer_len(&w) == 5);
}

/* A write that does not fit stores nothing, counts its length, and the writer stays overflowed. */
static void test_writer_overflow_counts_and_stores_nothing(void)
{
    uint8_t out[8];
    size_t n = 0;
    mcgk_writer w;
    memset(out, 0xaa, sizeof out);
    mcgk_writer_init(&w, out, 4);
    CHECK_OK(mcgk_writer_u16(&w, 0x0102));
    CHECK_ERR(mcgk_writer_u32(&w, 0x03040506), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(out[2] == 0xaa && out[3] == 0xaa && out[4] == 0xaa);
    /* a later write that would fit by itself still does not land */
    CHECK_ERR(mcgk_writer_u8(&w, 0x07), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK_ERR(mcgk_writer_zeros(&w, 1), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(out[2] == 0xaa);
    CHECK_ERR(mcgk_writer_finish(&w, &n), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(n == 8);
    /* size_t overflow is an overflow, not a wrap-around */
    CHECK_ERR(mcgk_writer_zeros(&w, SIZE_MAX), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK_ERR(mcgk_writer_finish(&w, &n), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(n == SIZE_MAX);
}

static void test_writer_size_only_pass(void)
{
    size_t n = 0;
    mcgk_writer w;
    mcgk_writer_init(&w, NULL, 1000);
    CHECK_OK(mcgk_writer_u64(&w, 1));
    CHECK_OK(mcgk_writer_bytes(&w, k_buf, 16));
    CHECK_OK(mcgk_writer_put_u16_at(&w, 0, 7));
    CHECK_OK(mcgk_writer_finish(&w, &n));
    CHECK(n == 24);
}

int main(void)
{
    TEST_RUN(test_reader_values_big_endian);
    TEST_RUN(test_reader_truncated_consumes_nothing);
    TEST_RUN(test_reader_uint_width_invalid);
    TEST_RUN(test_reader_empty_and_rest);
    TEST_RUN(test_reader_sub_bounds_and_offsets);
    TEST_RUN(test_reader_until_delimiter);
    TEST_RUN(test_writer_values_and_finish);
    TEST_RUN(test_writer_invalid_args);
    TEST_RUN(test_writer_overflow_counts_and_stores_nothing);
    TEST_RUN(test_writer_size_only_pass);
    TEST_MAIN_END();
}
