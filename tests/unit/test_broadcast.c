/*
 * Tests of the off-network media-session creation message (R-002-20):
 * the frame (src/net/broadcast_frame.c: every parse error code, an
 * untouched output on failure, byte flips and truncations, encode ->
 * parse) and the sockets (src/net/broadcast.c: UDP multicast on the
 * loopback interface to three receivers, the broadcast fallback, an
 * oversized datagram).
 */
#include "test.h"

#include <unistd.h>

#include "mcgk/broadcast.h"
#include "net/broadcast.h"
#include "platform/log.h"

static const char k_sdp[] = "v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
                            "c=IN IP4 239.255.10.10/1\r\nt=0 0\r\n"
                            "a=key-mgmt:mikey AQQFgAAfSrZ6AAAAAAAAAAAAAAAKAhMCf5E=\r\n"
                            "m=audio 49170 RTP/SAVP 0\r\n";

static mcgk_bcast_frame frame(void)
{
    mcgk_bcast_frame f;
    memset(&f, 0, sizeof f);
    f.type = MCGK_BCAST_TYPE_SESSION;
    for (int i = 0; i < 8; i++)
        f.session_id[i] = (uint8_t)(0xa0 + i);
    f.repeat = 2;
    f.sent_unix_ms = 1700000000123ull;
    snprintf(f.originator, sizeof f.originator, "sip:alice@example.org");
    snprintf(f.group, sizeof f.group, "sip:group1@example.org");
    f.sdp = (const uint8_t *)k_sdp;
    f.sdp_len = strlen(k_sdp);
    return f;
}

static uint8_t g_buf[MCGK_BCAST_MAX_FRAME + 16];

/* The layout of mcgk/broadcast.h, octet for octet, and back (R-002-20). */
static void test_bcast_encode_parse_R_002_20(void)
{
    mcgk_bcast_frame f = frame(), g;
    size_t len = 0;
    CHECK_OK(mcgk_bcast_encode(&f, g_buf, sizeof g_buf, &len));
    size_t ol = strlen(f.originator), gl = strlen(f.group);
    CHECK(len == MCGK_BCAST_HEADER_LEN + 1 + ol + 1 + gl + 2 + strlen(k_sdp));
    CHECK(memcmp(g_buf, "MCGB\x01\x01\x00\x00\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7\x00\x02", 18) == 0);
    CHECK(g_buf[18] == 0x00 && g_buf[25] == (uint8_t)(1700000000123ull & 0xff));
    CHECK(g_buf[26] == ol && memcmp(g_buf + 27, f.originator, ol) == 0);
    CHECK(g_buf[27 + ol] == gl);
    size_t at = 28 + ol + gl;
    CHECK(g_buf[at] == 0 && g_buf[at + 1] == strlen(k_sdp));
    CHECK(memcmp(g_buf + at + 2, k_sdp, strlen(k_sdp)) == 0); /* the SDP as given */
    memset(&g, 0, sizeof g);
    CHECK_OK(mcgk_bcast_parse(g_buf, len, &g));
    CHECK(g.type == 1 && memcmp(g.session_id, f.session_id, 8) == 0 && g.repeat == 2);
    CHECK(g.sent_unix_ms == f.sent_unix_ms);
    CHECK(strcmp(g.originator, f.originator) == 0 && strcmp(g.group, f.group) == 0);
    CHECK(g.sdp == g_buf + at + 2 && g.sdp_len == strlen(k_sdp));
    /* size query and a short buffer */
    size_t need;
    CHECK_OK(mcgk_bcast_encode(&f, NULL, 0, &need));
    CHECK(need == len);
    CHECK_ERR(mcgk_bcast_encode(&f, g_buf, len - 1, &need), MCGK_ERR_BUFFER_TOO_SMALL);
    /* the largest frame */
    static uint8_t big[MCGK_BCAST_MAX_SDP];
    memset(big, 'x', sizeof big);
    memset(f.originator, 'o', MCGK_BCAST_MAX_URI);
    f.originator[MCGK_BCAST_MAX_URI] = '\0';
    memset(f.group, 'g', MCGK_BCAST_MAX_URI);
    f.group[MCGK_BCAST_MAX_URI] = '\0';
    f.sdp = big;
    f.sdp_len = sizeof big;
    CHECK_OK(mcgk_bcast_encode(&f, g_buf, sizeof g_buf, &len));
    CHECK(len == MCGK_BCAST_MAX_FRAME);
    CHECK_OK(mcgk_bcast_parse(g_buf, len, &g));
    CHECK(g.sdp_len == MCGK_BCAST_MAX_SDP && strlen(g.group) == MCGK_BCAST_MAX_URI);
}

static void test_bcast_encode_errors(void)
{
    mcgk_bcast_frame f = frame();
    size_t len;
    CHECK_ERR(mcgk_bcast_encode(NULL, g_buf, sizeof g_buf, &len), MCGK_ERR_INVALID_ARG);
    f.type = 2;
    CHECK_ERR(mcgk_bcast_encode(&f, g_buf, sizeof g_buf, &len), MCGK_ERR_INVALID_ARG);
    f = frame();
    f.originator[0] = '\0';
    CHECK_ERR(mcgk_bcast_encode(&f, g_buf, sizeof g_buf, &len), MCGK_ERR_INVALID_ARG);
    f = frame();
    f.group[3] = ' ';
    CHECK_ERR(mcgk_bcast_encode(&f, g_buf, sizeof g_buf, &len), MCGK_ERR_INVALID_ARG);
    f = frame();
    f.sdp_len = 0;
    CHECK_ERR(mcgk_bcast_encode(&f, g_buf, sizeof g_buf, &len), MCGK_ERR_INVALID_ARG);
    f.sdp_len = MCGK_BCAST_MAX_SDP + 1;
    CHECK_ERR(mcgk_bcast_encode(&f, g_buf, sizeof g_buf, &len), MCGK_ERR_INVALID_ARG);
    f.sdp = (const uint8_t *)"v=0\0x";
    f.sdp_len = 5;
    CHECK_ERR(mcgk_bcast_encode(&f, g_buf, sizeof g_buf, &len), MCGK_ERR_INVALID_ARG);
}

/* Every parse check, with its own code; the output is untouched on failure. */
static void test_bcast_parse_errors(void)
{
    mcgk_bcast_frame f = frame(), out, sentinel;
    size_t len;
    CHECK_OK(mcgk_bcast_encode(&f, g_buf, sizeof g_buf, &len));
    uint8_t b[1024];
    CHECK(len <= sizeof b);
    memset(&sentinel, 0x5a, sizeof sentinel);
    size_t ol = strlen(f.originator), gl = strlen(f.group);
    struct {
        size_t at;
        uint8_t v;
        mcgk_err want;
    } flips[] = {
        {0, 'X', MCGK_ERR_BCAST_MAGIC},
        {3, 'C', MCGK_ERR_BCAST_MAGIC},
        {4, 2, MCGK_ERR_UNSUPPORTED},  /* version */
        {5, 2, MCGK_ERR_UNSUPPORTED},  /* type */
        {7, 1, MCGK_ERR_UNSUPPORTED},  /* a flag */
        {26, 0, MCGK_ERR_LENGTH},      /* empty originator */
        {27, ' ', MCGK_ERR_MALFORMED}, /* a space in the originator */
        {27 + ol, 0, MCGK_ERR_LENGTH}, /* empty group */
        {28 + ol, 0x7f, MCGK_ERR_MALFORMED},
        {28 + ol + gl, 0x40, MCGK_ERR_OVERSIZED}, /* SDP length 16384 + ... */
        {30 + ol + gl + 3, 0, MCGK_ERR_MALFORMED}, /* a NUL in the SDP */
        {26, 200, MCGK_ERR_TRUNCATED},            /* originator length past the end */
    };
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
        memcpy(b, g_buf, len);
        b[flips[i].at] = flips[i].v;
        out = sentinel;
        CHECK_ERR(mcgk_bcast_parse(b, len, &out), flips[i].want);
        CHECK(memcmp(&out, &sentinel, sizeof out) == 0);
    }
    /* SDP length 0 */
    memcpy(b, g_buf, len);
    b[28 + ol + gl] = 0;
    b[29 + ol + gl] = 0;
    CHECK_ERR(mcgk_bcast_parse(b, 30 + ol + gl, &out), MCGK_ERR_LENGTH);
    /* trailing data; every truncation */
    memcpy(b, g_buf, len);
    b[len] = 0;
    CHECK_ERR(mcgk_bcast_parse(b, len + 1, &out), MCGK_ERR_TRAILING_DATA);
    for (size_t n = 0; n < len; n++) {
        out = sentinel;
        mcgk_err e = mcgk_bcast_parse(g_buf, n, &out);
        CHECK(e == MCGK_ERR_TRUNCATED || (n < 4 && e == MCGK_ERR_TRUNCATED));
        CHECK(memcmp(&out, &sentinel, sizeof out) == 0);
    }
    CHECK_ERR(mcgk_bcast_parse(NULL, 3, &out), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_bcast_parse(g_buf, len, NULL), MCGK_ERR_INVALID_ARG);
    /* every octet flipped: a listed code or a frame that encodes back to the same octets */
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(b, g_buf, len);
            b[i] ^= (uint8_t)(1u << bit);
            mcgk_err e = mcgk_bcast_parse(b, len, &out);
            if (e == MCGK_OK) {
                uint8_t again[1024];
                size_t l2;
                CHECK_OK(mcgk_bcast_encode(&out, again, sizeof again, &l2));
                CHECK(l2 == len && memcmp(again, b, len) == 0);
            } else {
                CHECK(e == MCGK_ERR_BCAST_MAGIC || e == MCGK_ERR_UNSUPPORTED ||
                      e == MCGK_ERR_LENGTH || e == MCGK_ERR_OVERSIZED || e == MCGK_ERR_MALFORMED ||
                      e == MCGK_ERR_TRUNCATED || e == MCGK_ERR_TRAILING_DATA);
            }
        }
    }
}

/* ---- sockets ---------------------------------------------------------------------------- */

static uint16_t test_port(void)
{
    mcgk_test_prng p;
    mcgk_rng rng = mcgk_test_prng_init(&p, (uint64_t)getpid());
    uint8_t r[2];
    (void)mcgk_rng_bytes(&rng, r, 2);
    return (uint16_t)(30000 + ((r[0] << 8 | r[1]) % 20000));
}

/* R-002-20 over real sockets: three members on one host get the frame from a multicast
 * group on the loopback interface, once each. */
static void test_bcast_multicast_loopback_R_002_20(void)
{
    uint16_t port = test_port();
    mcgk_bcast_receiver *r[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++)
        CHECK_OK(mcgk_bcast_receiver_new("239.255.77.7", port, "127.0.0.1", &r[i]));
    mcgk_bcast_sender_config sc;
    memset(&sc, 0, sizeof sc);
    sc.addr = "239.255.77.7";
    sc.port = port;
    sc.interface = "127.0.0.1";
    sc.ttl = 0;
    sc.loop = 1;
    mcgk_bcast_sender *s = NULL;
    CHECK_OK(mcgk_bcast_sender_new(&sc, &s));
    mcgk_bcast_frame f = frame();
    size_t len;
    CHECK_OK(mcgk_bcast_encode(&f, g_buf, sizeof g_buf, &len));
    CHECK_OK(mcgk_bcast_send(s, g_buf, len));
    for (int i = 0; i < 3; i++) {
        static uint8_t in[MCGK_BCAST_MAX_FRAME];
        size_t n = 0;
        char from[64];
        for (int k = 0; k < 40 && n == 0; k++)
            CHECK_OK(mcgk_bcast_receive(r[i], 50, in, sizeof in, &n, from, sizeof from));
        CHECK(n == len && memcmp(in, g_buf, len) == 0);
        CHECK(strncmp(from, "127.0.0.1:", 10) == 0);
        mcgk_bcast_frame g;
        CHECK_OK(mcgk_bcast_parse(in, n, &g));
        CHECK(g.sdp_len == strlen(k_sdp) && memcmp(g.sdp, k_sdp, g.sdp_len) == 0);
        /* nothing else waits */
        CHECK_OK(mcgk_bcast_receive(r[i], 10, in, sizeof in, &n, NULL, 0));
        CHECK(n == 0);
    }
    /* an oversized datagram is reported as such (cap + 1) and dropped */
    uint8_t small[8];
    size_t n = 0;
    CHECK_OK(mcgk_bcast_send(s, g_buf, len));
    for (int k = 0; k < 40 && n == 0; k++)
        CHECK_OK(mcgk_bcast_receive(r[0], 50, small, sizeof small, &n, NULL, 0));
    CHECK(n == sizeof small + 1);
    mcgk_bcast_sender_free(s);
    for (int i = 0; i < 3; i++)
        mcgk_bcast_receiver_free(r[i]);
}

/* The fallback where multicast does not work: UDP broadcast on the loopback network. */
static void test_bcast_broadcast_fallback(void)
{
    uint16_t port = (uint16_t)(test_port() + 1);
    mcgk_bcast_receiver *r = NULL;
    CHECK_OK(mcgk_bcast_receiver_new("127.255.255.255", port, NULL, &r));
    mcgk_bcast_sender_config sc;
    memset(&sc, 0, sizeof sc);
    sc.addr = "127.255.255.255";
    sc.port = port;
    sc.ttl = -1;
    mcgk_bcast_sender *s = NULL;
    CHECK_OK(mcgk_bcast_sender_new(&sc, &s));
    mcgk_bcast_frame f = frame();
    size_t len, n = 0;
    CHECK_OK(mcgk_bcast_encode(&f, g_buf, sizeof g_buf, &len));
    CHECK_OK(mcgk_bcast_send(s, g_buf, len));
    static uint8_t in[MCGK_BCAST_MAX_FRAME];
    for (int k = 0; k < 40 && n == 0; k++)
        CHECK_OK(mcgk_bcast_receive(r, 50, in, sizeof in, &n, NULL, 0));
    CHECK(n == len && memcmp(in, g_buf, len) == 0);
    mcgk_bcast_sender_free(s);
    mcgk_bcast_receiver_free(r);
    /* argument checks */
    sc.addr = "localhost";
    CHECK_ERR(mcgk_bcast_sender_new(&sc, &s), MCGK_ERR_INVALID_ARG);
    sc.addr = "239.1.1.1";
    sc.ttl = 256;
    CHECK_ERR(mcgk_bcast_sender_new(&sc, &s), MCGK_ERR_INVALID_ARG);
    sc.ttl = 1;
    sc.port = 0;
    CHECK_ERR(mcgk_bcast_sender_new(&sc, &s), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_bcast_receiver_new("::1", 5000, NULL, &r), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_bcast_receiver_new("239.1.1.1", 5000, "eth0", &r), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_bcast_send(NULL, g_buf, 1), MCGK_ERR_INVALID_ARG);
    /* an interface address this host does not have: the kernel refuses */
    sc.port = 5000;
    sc.interface = "192.0.2.123";
    CHECK_ERR(mcgk_bcast_sender_new(&sc, &s), MCGK_ERR_IO);
    CHECK_ERR(mcgk_bcast_receiver_new("239.1.1.1", 5000, "192.0.2.123", &r), MCGK_ERR_IO);
    mcgk_bcast_sender_free(NULL);
    mcgk_bcast_receiver_free(NULL);
}

int main(void)
{
    mcgk_log_set_level(MCGK_LOG_OFF);
    TEST_RUN(test_bcast_encode_parse_R_002_20);
    TEST_RUN(test_bcast_encode_errors);
    TEST_RUN(test_bcast_parse_errors);
    TEST_RUN(test_bcast_multicast_loopback_R_002_20);
    TEST_RUN(test_bcast_broadcast_fallback);
    TEST_MAIN_END();
}
