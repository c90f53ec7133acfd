/*
 * Tests of src/media/srtp_session.c: SRTP/SRTCP under GMK-derived per-sender keys
 * (TS 33.180 §7.4.2) with libsrtp2, on real RTP packets (160-octet G.711 frames)
 * and RTCP APP floor-control packets built here.
 *
 * - a member protects, another unprotects choosing the key by MKI (new sender ->
 *   lookup -> derivation -> cached);
 * - the packets are RFC 7714 AEAD_AES_128_GCM: recomputed independently with
 *   OpenSSL from the master key (RFC 3711 §4.3 KDF, RFC 7714 §8.1/§9.1 IV and AAD);
 * - R-003-37: every member's key differs (a packet re-labelled with another
 *   member's GUK-ID does not authenticate);
 * - a removed member whose GMK was replaced cannot send; wrong keys, tampered,
 *   truncated and replayed packets are rejected with their own codes, and leave no
 *   sender key behind;
 * - floor control: SRTCP under a second (floor-control) GMK, and the usage checks
 *   (R-003-40, R-004-12);
 * - ROC estimation across a sequence-number wrap, LRU of sender keys, every error code.
 */
#include <openssl/evp.h>

#include "mcgk/gmk_message.h"
#include "mcgk/kdf.h"
#include "mcgk/srtp.h"
#include "test.h"

#define PAYLOAD_LEN 160 /* 20 ms of G.711 */
#define BUF_WORDS 512
#define SRTP_CANARY 64 /* octets checked behind a protected packet */

/* ---- a key store ------------------------------------------------------------------------ */

typedef struct fake_key {
    uint32_t id;
    uint8_t key[MCGK_KEY_LEN];
    uint8_t rand[16];
    size_t rand_len;
    unsigned uses;
    int revoked;
} fake_key;

typedef struct fake_store {
    fake_key k[8];
    size_t n;
    int calls;
    mcgk_err force; /* != OK: returned as is */
} fake_store;

static mcgk_err lookup(void *ctx, uint32_t id, mcgk_media_key *out)
{
    fake_store *st = ctx;
    st->calls++;
    if (st->force != MCGK_OK)
        return st->force;
    for (size_t i = 0; i < st->n; i++) {
        const fake_key *k = &st->k[i];
        if (k->id != id)
            continue;
        if (k->revoked)
            return MCGK_ERR_REVOKED;
        memcpy(out->key, k->key, MCGK_KEY_LEN);
        memcpy(out->rand, k->rand, k->rand_len);
        out->rand_len = k->rand_len;
        out->uses = k->uses;
        return MCGK_OK;
    }
    return MCGK_ERR_UNKNOWN_KEY_ID;
}

static fake_key *store_add(fake_store *st, uint32_t id, uint8_t seed, unsigned uses)
{
    fake_key *k = &st->k[st->n++];
    memset(k, 0, sizeof *k);
    k->id = id;
    for (int i = 0; i < MCGK_KEY_LEN; i++)
        k->key[i] = (uint8_t)(seed + 17 * i);
    for (int i = 0; i < 16; i++)
        k->rand[i] = (uint8_t)(seed ^ (0xa0 + i));
    k->rand_len = 16;
    k->uses = uses;
    return k;
}

/* ---- members ------------------------------------------------------------------------- */

static const char *const k_uri[] = {"sip:alice@example.org", "sip:bob@example.org",
                                    "sip:carol@example.org"};
enum { ALICE = 0, BOB = 1, CAROL = 2 };

static uint32_t guk_of(const fake_key *k, int member)
{
    uint32_t g = 0;
    CHECK_OK(mcgk_guk_id(k->key, MCGK_KEY_LEN, k->id, k_uri[member], strlen(k_uri[member]), &g));
    return g;
}

static mcgk_srtp_sender_key sender_key(const fake_key *k, int member)
{
    mcgk_srtp_sender_key s = {k->key, k->id, guk_of(k, member), k->rand, k->rand_len};
    return s;
}

static mcgk_srtp_tx *tx_for(const fake_key *media, const fake_key *floor, int member)
{
    mcgk_srtp_sender_key f;
    mcgk_srtp_tx_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.cs_id = MCGK_GMK_CS_ID_MCPTT;
    cfg.media = sender_key(media, member);
    if (floor != NULL) {
        f = sender_key(floor, member);
        cfg.floor = &f;
    }
    mcgk_srtp_tx *tx = NULL;
    CHECK_OK(mcgk_srtp_tx_new(&cfg, &tx));
    return tx;
}

static mcgk_srtp_rx *rx_for(fake_store *st, size_t max_senders)
{
    mcgk_srtp_rx_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.cs_id = MCGK_GMK_CS_ID_MCPTT;
    cfg.lookup = lookup;
    cfg.lookup_ctx = st;
    cfg.max_senders = max_senders;
    mcgk_srtp_rx *rx = NULL;
    CHECK_OK(mcgk_srtp_rx_new(&cfg, &rx));
    return rx;
}

/* ---- packets ------------------------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RTP (RFC 3550 §5.1): V=2, PT 0 (PCMU), one 20 ms G.711 frame */
static size_t rtp_build(uint8_t *p, uint16_t seq, uint32_t ssrc)
{
    p[0] = 0x80;
    p[1] = 0x00;
    put16(p + 2, seq);
    put32(p + 4, (uint32_t)seq * PAYLOAD_LEN);
    put32(p + 8, ssrc);
    for (size_t i = 0; i < PAYLOAD_LEN; i++)
        p[12 + i] = (uint8_t)(0xd5 ^ (seq + i)); /* mu-law-ish samples */
    return 12 + PAYLOAD_LEN;
}

/* RTCP APP (RFC 3550 §6.7) as MCPTT floor control (TS 24.380): subtype 0 Floor Request,
 * name "MCPT", a Floor Priority field */
static size_t rtcp_floor_request(uint8_t *p, uint32_t ssrc, uint8_t priority)
{
    p[0] = 0x80 | 0x00; /* V=2, P=0, subtype 0 */
    p[1] = 204;         /* APP */
    put16(p + 2, 4);    /* length: 5 words - 1 */
    put32(p + 4, ssrc);
    memcpy(p + 8, "MCPT", 4);
    p[12] = 102; /* Floor Priority field ID */
    p[13] = 2;
    p[14] = priority;
    p[15] = 0;
    memset(p + 16, 0, 4);
    return 20;
}

typedef struct pkt {
    uint32_t w[BUF_WORDS]; /* 4-octet aligned, as libsrtp wants */
    size_t len;
} pkt;

static uint8_t *B(pkt *p)
{
    return (uint8_t *)p->w;
}

static mcgk_err send_rtp(mcgk_srtp_tx *tx, pkt *p, uint16_t seq, uint32_t ssrc)
{
    size_t n = rtp_build(B(p), seq, ssrc);
    return mcgk_srtp_tx_protect_rtp(tx, B(p), n, sizeof p->w, &p->len);
}

static mcgk_err recv_rtp(mcgk_srtp_rx *rx, const pkt *in, mcgk_srtp_origin *from)
{
    pkt c = *in; /* unprotect works in place: keep the original */
    size_t n = 0;
    return mcgk_srtp_rx_unprotect_rtp(rx, B(&c), c.len, &n, from);
}

/* ---- an independent RFC 7714 computation (OpenSSL) ------------------------------------- */

/* RFC 3711 §4.3.1/§4.3.3 with kdr 0: AES-CM keystream at (salt14 ^ label<<48) * 2^16.
 * RFC 7714 §11 + libsrtp: the 12-octet GCM master salt is padded with two zero octets. */
static void srtp_kdf(const uint8_t mk[16], const uint8_t ms[12], uint8_t label, uint8_t *out,
                     size_t n)
{
    uint8_t x[16] = {0};
    memcpy(x, ms, 12);
    x[7] ^= label;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int l = 0;
    uint8_t zeros[32] = {0};
    CHECK(EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, mk, x) == 1);
    CHECK(EVP_EncryptUpdate(c, out, &l, zeros, (int)n) == 1);
    EVP_CIPHER_CTX_free(c);
}

static void gcm(const uint8_t key[16], const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                const uint8_t *pt, size_t pt_len, uint8_t *ct, uint8_t tag[16])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int l = 0;
    CHECK(EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, iv) == 1);
    CHECK(EVP_EncryptUpdate(c, NULL, &l, aad, (int)aad_len) == 1);
    CHECK(EVP_EncryptUpdate(c, ct, &l, pt, (int)pt_len) == 1);
    CHECK(EVP_EncryptFinal_ex(c, ct + pt_len, &l) == 1);
    CHECK(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1);
    EVP_CIPHER_CTX_free(c);
}

/* ---- tests ------------------------------------------------------------------------------ */

/* Member A (alice) protects, member B (bob) unprotects choosing by MKI (§7.4.2). */
static void test_member_a_to_member_b(void)
{
    fake_store st = {0};
    fake_key *gmk = store_add(&st, 0x0abcdef1u, 0x11, MCGK_MEDIA_USE_ALL);
    mcgk_srtp_tx *a = tx_for(gmk, NULL, ALICE);
    mcgk_srtp_rx *b = rx_for(&st, 0);
    pkt p, plain;
    for (uint16_t seq = 1000; seq < 1050; seq++) {
        size_t n = rtp_build(B(&plain), seq, 0x5eed0001u);
        CHECK_OK(send_rtp(a, &p, seq, 0x5eed0001u));
        CHECK(p.len == n + MCGK_SRTP_RTP_OVERHEAD);
        /* the MKI is the packet's last 8 octets: GMK-ID || alice's GUK-ID */
        CHECK(get32(B(&p) + p.len - 8) == gmk->id);
        CHECK(get32(B(&p) + p.len - 4) == guk_of(gmk, ALICE));
        CHECK(memcmp(B(&p), B(&plain), 12) == 0);              /* header in clear */
        CHECK(memcmp(B(&p) + 12, B(&plain) + 12, 160) != 0);  /* payload encrypted */
        mcgk_srtp_origin from;
        size_t out = 0;
        CHECK_OK(mcgk_srtp_rx_unprotect_rtp(b, B(&p), p.len, &out, &from));
        CHECK(out == n);
        CHECK_MEM(B(&p), B(&plain), n);
        CHECK(from.key_id == gmk->id && from.guk_id == guk_of(gmk, ALICE));
        CHECK(from.ssrc == 0x5eed0001u && from.new_sender == (seq == 1000));
    }
    CHECK(st.calls == 1); /* one lookup: the sender's key is cached */
    CHECK(mcgk_srtp_rx_sender_count(b) == 1);
    mcgk_srtp_tx_free(a);
    mcgk_srtp_rx_free(b);
}

/* The SRTP and SRTCP packets are RFC 7714 AEAD_AES_128_GCM under the derived master key. */
static void test_rfc7714_layout_recomputed(void)
{
    fake_store st = {0};
    fake_key *gmk = store_add(&st, 0x0df9bc39u, 0x22, MCGK_MEDIA_USE_ALL);
    mcgk_srtp_keys k;
    uint32_t guk = guk_of(gmk, ALICE);
    CHECK_OK(mcgk_srtp_keys_derive(gmk->key, gmk->id, guk, gmk->rand, 16, 4, &k));
    mcgk_srtp_tx *a = tx_for(gmk, NULL, ALICE);

    /* SRTP, RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) ^ session salt, AAD = header */
    uint8_t sk[16], ss[12], iv[12] = {0}, ct[PAYLOAD_LEN + 16], tag[16];
    srtp_kdf(k.master_key, k.master_salt, 0x00, sk, 16);
    srtp_kdf(k.master_key, k.master_salt, 0x02, ss, 12);
    pkt p, plain;
    const uint32_t ssrc = 0xcafe0042u;
    size_t n = rtp_build(B(&plain), 4242, ssrc);
    CHECK_OK(send_rtp(a, &p, 4242, ssrc));
    put32(iv + 2, ssrc);
    put32(iv + 6, 0); /* ROC */
    put16(iv + 10, 4242);
    for (int i = 0; i < 12; i++)
        iv[i] ^= ss[i];
    gcm(sk, iv, B(&plain), 12, B(&plain) + 12, PAYLOAD_LEN, ct, tag);
    CHECK(p.len == n + 16 + 8);
    CHECK_MEM(B(&p) + 12, ct, PAYLOAD_LEN);
    CHECK_MEM(B(&p) + 12 + PAYLOAD_LEN, tag, 16);
    CHECK_MEM(B(&p) + 12 + PAYLOAD_LEN + 16, k.mki, 8);

    /* SRTCP, RFC 7714 §9.1: IV = (00 00 || SSRC || 00 00 || 0 || index) ^ salt,
       AAD = header (8) || E || index; then E || index, then the MKI */
    srtp_kdf(k.master_key, k.master_salt, 0x03, sk, 16);
    srtp_kdf(k.master_key, k.master_salt, 0x05, ss, 12);
    pkt r, rplain;
    size_t rn = rtcp_floor_request(B(&rplain), ssrc, 7);
    memcpy(B(&r), B(&rplain), rn);
    CHECK_OK(mcgk_srtp_tx_protect_rtcp(a, B(&r), rn, sizeof r.w, &r.len));
    CHECK(r.len == rn + MCGK_SRTP_RTCP_OVERHEAD);
    uint32_t e_index = get32(B(&r) + rn + 16);
    CHECK((e_index & 0x80000000u) != 0); /* E: encrypted */
    memset(iv, 0, sizeof iv);
    put32(iv + 2, ssrc);
    put32(iv + 8, e_index & 0x7fffffffu);
    for (int i = 0; i < 12; i++)
        iv[i] ^= ss[i];
    uint8_t aad[12];
    memcpy(aad, B(&rplain), 8);
    put32(aad + 8, e_index);
    gcm(sk, iv, aad, sizeof aad, B(&rplain) + 8, rn - 8, ct, tag);
    CHECK_MEM(B(&r) + 8, ct, rn - 8);
    CHECK_MEM(B(&r) + rn, tag, 16);
    CHECK_MEM(B(&r) + rn + 20, k.mki, 8);

    mcgk_srtp_keys_clear(&k);
    mcgk_srtp_tx_free(a);
}

/* R-003-37: each member encrypts with a different key - the same packet from alice and
 * carol differs, and alice's packet relabelled with carol's GUK-ID does not authenticate
 * (and leaves no key behind). */
static void test_R_003_37_members_send_under_different_keys(void)
{
    fake_store st = {0};
    fake_key *gmk = store_add(&st, 0x01234567u, 0x33, MCGK_MEDIA_USE_ALL);
    mcgk_srtp_tx *a = tx_for(gmk, NULL, ALICE), *c = tx_for(gmk, NULL, CAROL);
    mcgk_srtp_rx *b = rx_for(&st, 0);
    pkt pa, pc;
    CHECK_OK(send_rtp(a, &pa, 7, 0x1111u));
    CHECK_OK(send_rtp(c, &pc, 7, 0x1111u));
    CHECK(pa.len == pc.len);
    CHECK(memcmp(B(&pa) + 12, B(&pc) + 12, pa.len - 12) != 0);
    CHECK(memcmp(B(&pa) + pa.len - 4, B(&pc) + pc.len - 4, 4) != 0); /* GUK-IDs differ */

    pkt forged = pa; /* alice's ciphertext under carol's MKI */
    memcpy(B(&forged) + forged.len - 8, B(&pc) + pc.len - 8, 8);
    CHECK_ERR(recv_rtp(b, &forged, NULL), MCGK_ERR_SRTP_AUTH);
    CHECK(mcgk_srtp_rx_sender_count(b) == 0);

    mcgk_srtp_origin fa, fc;
    CHECK_OK(recv_rtp(b, &pa, &fa));
    CHECK_OK(recv_rtp(b, &pc, &fc));
    CHECK(fa.guk_id == guk_of(gmk, ALICE) && fc.guk_id == guk_of(gmk, CAROL));
    CHECK(mcgk_srtp_rx_sender_count(b) == 2);
    mcgk_srtp_tx_free(a);
    mcgk_srtp_tx_free(c);
    mcgk_srtp_rx_free(b);
}

/* A removed member whose GMK was replaced cannot send (seed 005 SEAL rules, R-004-12 rekey):
 * carol is removed, the GMS replaces GMK1 by GMK2, bob's store revokes GMK1 and bob's
 * receiver forgets it. */
static void test_removed_member_cannot_send(void)
{
    fake_store st = {0};
    fake_key *gmk1 = store_add(&st, 0x0aaaaaa1u, 0x44, MCGK_MEDIA_USE_ALL);
    mcgk_srtp_tx *c1 = tx_for(gmk1, NULL, CAROL), *a1 = tx_for(gmk1, NULL, ALICE);
    mcgk_srtp_rx *b = rx_for(&st, 0);
    pkt p;
    CHECK_OK(send_rtp(c1, &p, 1, 0xc0c0u));
    CHECK_OK(recv_rtp(b, &p, NULL)); /* before the removal carol is heard */
    CHECK_OK(send_rtp(a1, &p, 1, 0xa0a0u));
    CHECK_OK(recv_rtp(b, &p, NULL));

    /* removal: GMK2 for alice and bob only; GMK1 replaced */
    fake_key *gmk2 = store_add(&st, 0x0bbbbbb2u, 0x55, MCGK_MEDIA_USE_ALL);
    gmk1 = &st.k[0];
    gmk1->revoked = 1;
    CHECK(mcgk_srtp_rx_forget(b, gmk1->id) == 2);
    CHECK(mcgk_srtp_rx_sender_count(b) == 0);

    /* carol keeps sending under GMK1: refused */
    CHECK_OK(send_rtp(c1, &p, 2, 0xc0c0u));
    CHECK_ERR(recv_rtp(b, &p, NULL), MCGK_ERR_REVOKED);
    /* carol copies GMK2's ID (MKIs are in clear) but has only GMK1's key */
    pkt forged = p;
    put32(B(&forged) + forged.len - 8, gmk2->id);
    CHECK_ERR(recv_rtp(b, &forged, NULL), MCGK_ERR_SRTP_AUTH);
    /* ... or copies alice's whole GMK2 MKI */
    mcgk_srtp_tx *a2 = tx_for(gmk2, NULL, ALICE);
    pkt pa;
    CHECK_OK(send_rtp(a2, &pa, 3, 0xa0a0u));
    memcpy(B(&forged) + forged.len - 8, B(&pa) + pa.len - 8, 8);
    CHECK_ERR(recv_rtp(b, &forged, NULL), MCGK_ERR_SRTP_AUTH);
    CHECK(mcgk_srtp_rx_sender_count(b) == 0);
    /* alice under GMK2 is heard */
    mcgk_srtp_origin f;
    CHECK_OK(recv_rtp(b, &pa, &f));
    CHECK(f.key_id == gmk2->id && f.new_sender == 1);
    /* once GMK1 is deleted from the store, its ID is unknown */
    st.k[0].id = 0x0ddddddd;
    CHECK_OK(send_rtp(c1, &p, 4, 0xc0c0u));
    CHECK_ERR(recv_rtp(b, &p, NULL), MCGK_ERR_UNKNOWN_KEY_ID);
    mcgk_srtp_tx_free(c1);
    mcgk_srtp_tx_free(a1);
    mcgk_srtp_tx_free(a2);
    mcgk_srtp_rx_free(b);
}

/* Wrong keys: right GMK-ID with another GMK, another RAND, another CS-ID; an unknown GMK-ID. */
static void test_wrong_key_rejected(void)
{
    fake_store st = {0};
    fake_key *gmk = store_add(&st, 0x0c0ffee0u, 0x66, MCGK_MEDIA_USE_ALL);
    mcgk_srtp_rx *b = rx_for(&st, 0);
    pkt p;

    fake_key wrong = *gmk;
    wrong.key[0] ^= 1; /* same GMK-ID, another GMK */
    mcgk_srtp_tx *t = tx_for(&wrong, NULL, ALICE);
    CHECK_OK(send_rtp(t, &p, 1, 1));
    CHECK_ERR(recv_rtp(b, &p, NULL), MCGK_ERR_SRTP_AUTH);
    mcgk_srtp_tx_free(t);

    wrong = *gmk;
    wrong.rand[15] ^= 1; /* another RAND */
    mcgk_srtp_sender_key sk = sender_key(&wrong, ALICE);
    sk.guk_id = guk_of(gmk, ALICE);
    mcgk_srtp_tx_cfg cfg = {MCGK_GMK_CS_ID_MCPTT, sk, NULL};
    CHECK_OK(mcgk_srtp_tx_new(&cfg, &t));
    CHECK_OK(send_rtp(t, &p, 1, 1));
    CHECK_ERR(recv_rtp(b, &p, NULL), MCGK_ERR_SRTP_AUTH);
    mcgk_srtp_tx_free(t);

    cfg.media = sender_key(gmk, ALICE);
    cfg.cs_id = MCGK_GMK_CS_ID_MCVIDEO; /* an MCVideo key into an MCPTT call */
    CHECK_OK(mcgk_srtp_tx_new(&cfg, &t));
    CHECK_OK(send_rtp(t, &p, 1, 1));
    CHECK_ERR(recv_rtp(b, &p, NULL), MCGK_ERR_SRTP_AUTH);
    mcgk_srtp_tx_free(t);

    wrong = *gmk;
    wrong.id = 0x0eeeeee0u; /* a GMK bob does not hold */
    t = tx_for(&wrong, NULL, ALICE);
    CHECK_OK(send_rtp(t, &p, 1, 1));
    CHECK_ERR(recv_rtp(b, &p, NULL), MCGK_ERR_UNKNOWN_KEY_ID);
    mcgk_srtp_tx_free(t);

    CHECK(mcgk_srtp_rx_sender_count(b) == 0); /* nothing cached from any of them */
    t = tx_for(gmk, NULL, ALICE);
    CHECK_OK(send_rtp(t, &p, 1, 1));
    CHECK_OK(recv_rtp(b, &p, NULL));
    mcgk_srtp_tx_free(t);
    mcgk_srtp_rx_free(b);
}

/* Every single-octet change and every truncation of a valid packet is rejected, for a
 * receiver that does not yet hold the sender's key and for one that does. */
static void test_tampered_and_truncated_rejected(void)
{
    fake_store st = {0};
    fake_key *gmk = store_add(&st, 0x01010101u, 0x77, MCGK_MEDIA_USE_ALL);
    mcgk_srtp_tx *a = tx_for(gmk, NULL, ALICE);
    for (int warm = 0; warm < 2; warm++) {
        mcgk_srtp_rx *b = rx_for(&st, 0);
        pkt p, q;
        if (warm) {
            CHECK_OK(send_rtp(a, &q, 99, 0xabcdu));
            CHECK_OK(recv_rtp(b, &q, NULL));
        }
        CHECK_OK(send_rtp(a, &p, (uint16_t)(100 + warm), 0xabcdu));
        int accepted = 0;
        for (size_t i = 0; i < p.len; i++)
            for (int bit = 0; bit < 8; bit += 3) {
                pkt t = p;
                B(&t)[i] ^= (uint8_t)(1u << bit);
                mcgk_err e = recv_rtp(b, &t, NULL);
                if (e == MCGK_OK)
                    accepted++;
                else
                    CHECK(e == MCGK_ERR_SRTP_AUTH || e == MCGK_ERR_MALFORMED ||
                          e == MCGK_ERR_TRUNCATED || e == MCGK_ERR_UNKNOWN_KEY_ID);
            }
        CHECK(accepted == 0);
        for (size_t cut = 0; cut < p.len; cut++) {
            pkt t = p;
            t.len = cut;
            CHECK(recv_rtp(b, &t, NULL) != MCGK_OK);
        }
        CHECK(mcgk_srtp_rx_sender_count(b) == (size_t)warm);
        CHECK_OK(recv_rtp(b, &p, NULL)); /* the genuine packet still passes */
        mcgk_srtp_rx_free(b);
    }
    mcgk_srtp_tx_free(a);
}

/* RFC 3711 §3.3.2: a packet is accepted once; one older than the window is refused;
 * reordering inside the window is fine. */
static void test_replay_rejected(void)
{
    fake_store st = {0};
    fake_key *gmk = store_add(&st, 0x02020202u, 0x88, MCGK_MEDIA_USE_ALL);
    mcgk_srtp_tx *a = tx_for(gmk, NULL, ALICE);
    mcgk_srtp_rx *b = rx_for(&st, 0);
    static pkt p[300];
    for (int i = 0; i < 300; i++)
        CHECK_OK(send_rtp(a, &p[i], (uint16_t)(500 + i), 0x7777u));
    CHECK_OK(recv_rtp(b, &p[0], NULL));
    CHECK_ERR(recv_rtp(b, &p[0], NULL), MCGK_ERR_REPLAY); /* the first packet replayed */
    CHECK_OK(recv_rtp(b, &p[2], NULL));
    CHECK_OK(recv_rtp(b, &p[1], NULL)); /* late, inside the window */
    CHECK_ERR(recv_rtp(b, &p[1], NULL), MCGK_ERR_REPLAY);
    for (int i = 3; i < 300; i++)
        CHECK_OK(recv_rtp(b, &p[i], NULL));
    CHECK_ERR(recv_rtp(b, &p[299], NULL), MCGK_ERR_REPLAY);
    CHECK_ERR(recv_rtp(b, &p[100], NULL), MCGK_ERR_REPLAY); /* left of the 128-packet window */
    /* the sender refuses to reuse a sequence number (its GCM nonce) */
    pkt again;
    CHECK_ERR(send_rtp(a, &again, 500, 0x7777u), MCGK_ERR_REPLAY);
    mcgk_srtp_tx_free(a);
    mcgk_srtp_rx_free(b);
}

/* RCCm3 is not available: the ROC is estimated across a sequence wrap (RFC 3711 §3.3.1). */
static void test_roc_estimated_across_wrap(void)
{
    fake_store st = {0};
    fake_key *gmk = store_add(&st, 0x03030303u, 0x99, MCGK_MEDIA_USE_ALL);
    mcgk_srtp_tx *a = tx_for(gmk, NULL, ALICE);
    mcgk_srtp_rx *b = rx_for(&st, 0);
    pkt p;
    for (uint32_t s = 65500; s < 65600; s++) {
        CHECK_OK(send_rtp(a, &p, (uint16_t)s, 0x4242u));
        CHECK_OK(recv_rtp(b, &p, NULL));
    }
    mcgk_srtp_tx_free(a);
    mcgk_srtp_rx_free(b);
}

/* Floor control (R-003-40, R-004-12): SRTCP under a second GMK dedicated to floor control,
 * RTP under the media GMK; each GMK only for its use. */
static void test_R_004_12_floor_control_srtcp_under_second_gmk(void)
{
    fake_store st = {0};
    fake_key *media = store_add(&st, 0x04040404u, 0xa1, MCGK_MEDIA_USE_RTP | MCGK_MEDIA_USE_DATA);
    fake_key *floor = store_add(&st, 0x05050505u, 0xb2, MCGK_MEDIA_USE_RTCP);
    mcgk_srtp_tx *a = tx_for(media, floor, ALICE);
    mcgk_srtp_rx *b = rx_for(&st, 0);

    pkt r, plain;
    size_t rn = rtcp_floor_request(B(&plain), 0x5151u, 9);
    memcpy(B(&r), B(&plain), rn);
    CHECK_OK(mcgk_srtp_tx_protect_rtcp(a, B(&r), rn, sizeof r.w, &r.len));
    CHECK(get32(B(&r) + r.len - 8) == floor->id);
    CHECK(get32(B(&r) + r.len - 4) == guk_of(floor, ALICE));
    pkt keep = r;
    mcgk_srtp_origin f;
    size_t out = 0;
    CHECK_OK(mcgk_srtp_rx_unprotect_rtcp(b, B(&r), r.len, &out, &f));
    CHECK(out == rn);
    CHECK_MEM(B(&r), B(&plain), rn);
    CHECK(f.key_id == floor->id && f.guk_id == guk_of(floor, ALICE) && f.ssrc == 0x5151u);
    r = keep; /* SRTCP replay */
    CHECK_ERR(mcgk_srtp_rx_unprotect_rtcp(b, B(&r), r.len, &out, NULL), MCGK_ERR_REPLAY);
    memcpy(B(&r), B(&plain), rn); /* the next floor message */
    CHECK_OK(mcgk_srtp_tx_protect_rtcp(a, B(&r), rn, sizeof r.w, &r.len));
    keep = r;
    B(&r)[10] ^= 0x01; /* tampered */
    CHECK_ERR(mcgk_srtp_rx_unprotect_rtcp(b, B(&r), r.len, &out, NULL), MCGK_ERR_SRTP_AUTH);
    r = keep;
    CHECK_OK(mcgk_srtp_rx_unprotect_rtcp(b, B(&r), r.len, &out, NULL));

    /* media under the media GMK */
    pkt p;
    CHECK_OK(send_rtp(a, &p, 1, 0x5151u));
    CHECK(get32(B(&p) + p.len - 8) == media->id);
    CHECK_OK(recv_rtp(b, &p, &f));
    CHECK(f.key_id == media->id);

    /* RTP under the floor-control GMK, RTCP under the media GMK: refused */
    mcgk_srtp_tx *wrong = tx_for(floor, NULL, CAROL);
    CHECK_OK(send_rtp(wrong, &p, 1, 0x6161u));
    CHECK_ERR(recv_rtp(b, &p, NULL), MCGK_ERR_KEY_USAGE);
    mcgk_srtp_tx_free(wrong);
    wrong = tx_for(media, NULL, CAROL);
    memcpy(B(&r), B(&plain), rn);
    CHECK_OK(mcgk_srtp_tx_protect_rtcp(wrong, B(&r), rn, sizeof r.w, &r.len));
    CHECK_ERR(mcgk_srtp_rx_unprotect_rtcp(b, B(&r), r.len, &out, NULL), MCGK_ERR_KEY_USAGE);
    /* ... also once the key is cached (alice's media key, cached above, is RTP only) */
    memcpy(B(&r), B(&plain), rn);
    mcgk_srtp_tx *am = tx_for(media, NULL, ALICE);
    CHECK_OK(mcgk_srtp_tx_protect_rtcp(am, B(&r), rn, sizeof r.w, &r.len));
    CHECK_ERR(mcgk_srtp_rx_unprotect_rtcp(b, B(&r), r.len, &out, NULL), MCGK_ERR_KEY_USAGE);
    mcgk_srtp_tx_free(am);
    mcgk_srtp_tx_free(wrong);

    /* a group with one GMK: floor control under it (seed 003 §4.3.5.2) */
    fake_store one = {0};
    fake_key *g = store_add(&one, 0x06060606u, 0xc3, MCGK_MEDIA_USE_ALL);
    mcgk_srtp_tx *t = tx_for(g, NULL, BOB);
    mcgk_srtp_rx *rx1 = rx_for(&one, 0);
    memcpy(B(&r), B(&plain), rn);
    CHECK_OK(mcgk_srtp_tx_protect_rtcp(t, B(&r), rn, sizeof r.w, &r.len));
    CHECK_OK(mcgk_srtp_rx_unprotect_rtcp(rx1, B(&r), r.len, &out, &f));
    CHECK(f.key_id == g->id && f.guk_id == guk_of(g, BOB));
    CHECK_OK(send_rtp(t, &p, 9, 0x9999u));
    CHECK_OK(recv_rtp(rx1, &p, &f));
    CHECK(mcgk_srtp_rx_sender_count(rx1) == 1); /* one sender key for both */
    mcgk_srtp_tx_free(t);
    mcgk_srtp_rx_free(rx1);
    mcgk_srtp_tx_free(a);
    mcgk_srtp_rx_free(b);
}

/* A receiver keeps at most max_senders keys, dropping the least recently used. */
static void test_sender_cache_lru(void)
{
    fake_store st = {0};
    fake_key *gmk = store_add(&st, 0x07070707u, 0xd4, MCGK_MEDIA_USE_ALL);
    mcgk_srtp_tx *tx[3];
    for (int m = 0; m < 3; m++)
        tx[m] = tx_for(gmk, NULL, m);
    mcgk_srtp_rx *b = rx_for(&st, 2);
    pkt p;
    mcgk_srtp_origin f;
    CHECK_OK(send_rtp(tx[0], &p, 1, 10));
    CHECK_OK(recv_rtp(b, &p, &f));
    CHECK_OK(send_rtp(tx[1], &p, 1, 11));
    CHECK_OK(recv_rtp(b, &p, &f));
    CHECK_OK(send_rtp(tx[0], &p, 2, 10)); /* alice used again: bob is now the oldest */
    CHECK_OK(recv_rtp(b, &p, &f));
    CHECK_OK(send_rtp(tx[2], &p, 1, 12));
    CHECK_OK(recv_rtp(b, &p, &f));
    CHECK(f.new_sender == 1 && mcgk_srtp_rx_sender_count(b) == 2);
    CHECK_OK(send_rtp(tx[0], &p, 3, 10));
    CHECK_OK(recv_rtp(b, &p, &f));
    CHECK(f.new_sender == 0); /* alice kept */
    CHECK_OK(send_rtp(tx[1], &p, 2, 11));
    CHECK_OK(recv_rtp(b, &p, &f));
    CHECK(f.new_sender == 1); /* bob was dropped, installed again */
    CHECK(mcgk_srtp_rx_forget(b, 0x12345678u) == 0);
    CHECK(mcgk_srtp_rx_forget(NULL, gmk->id) == 0);
    for (int m = 0; m < 3; m++)
        mcgk_srtp_tx_free(tx[m]);
    mcgk_srtp_rx_free(b);
}

/* libsrtp writes only the tag and the MKI after the packet: a canary right behind a
 * buffer of exactly len + overhead is untouched. */
static void test_writes_stay_inside_the_buffer(void)
{
    fake_store st = {0};
    fake_key *gmk = store_add(&st, 0x08080808u, 0xe5, MCGK_MEDIA_USE_ALL);
    mcgk_srtp_tx *a = tx_for(gmk, NULL, ALICE);
    pkt p;
    memset(p.w, 0xee, sizeof p.w);
    size_t n = rtp_build(B(&p), 1, 1), out = 0;
    size_t cap = n + MCGK_SRTP_RTP_OVERHEAD;
    CHECK_ERR(mcgk_srtp_tx_protect_rtp(a, B(&p), n, cap - 1, &out), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK(out == cap);
    CHECK_OK(mcgk_srtp_tx_protect_rtp(a, B(&p), n, cap, &out));
    CHECK(out == cap);
    for (size_t i = cap; i < cap + SRTP_CANARY; i++)
        CHECK(B(&p)[i] == 0xee);
    n = rtcp_floor_request(B(&p), 1, 1);
    memset(B(&p) + n, 0xee, 64);
    cap = n + MCGK_SRTP_RTCP_OVERHEAD;
    CHECK_ERR(mcgk_srtp_tx_protect_rtcp(a, B(&p), n, cap - 1, &out), MCGK_ERR_BUFFER_TOO_SMALL);
    CHECK_OK(mcgk_srtp_tx_protect_rtcp(a, B(&p), n, cap, &out));
    for (size_t i = cap; i < n + 64; i++)
        CHECK(B(&p)[i] == 0xee);
    mcgk_srtp_tx_free(a);
}

static void test_error_codes(void)
{
    fake_store st = {0};
    fake_key *gmk = store_add(&st, 0x09090909u, 0xf6, MCGK_MEDIA_USE_ALL);
    mcgk_srtp_rx_cfg rc = {MCGK_GMK_CS_ID_MCPTT, lookup, &st, 0, 0};
    mcgk_srtp_rx *rx = NULL;
    mcgk_srtp_tx *tx = NULL;
    CHECK_ERR(mcgk_srtp_rx_new(NULL, &rx), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_srtp_rx_new(&rc, NULL), MCGK_ERR_INVALID_ARG);
    rc.lookup = NULL;
    CHECK_ERR(mcgk_srtp_rx_new(&rc, &rx), MCGK_ERR_INVALID_ARG);
    rc.lookup = lookup;
    rc.max_senders = MCGK_SRTP_RX_MAX_SENDERS + 1;
    CHECK_ERR(mcgk_srtp_rx_new(&rc, &rx), MCGK_ERR_INVALID_ARG);
    rc.max_senders = 0;
    rc.replay_window = 63;
    CHECK_ERR(mcgk_srtp_rx_new(&rc, &rx), MCGK_ERR_INVALID_ARG);
    rc.replay_window = 32769;
    CHECK_ERR(mcgk_srtp_rx_new(&rc, &rx), MCGK_ERR_INVALID_ARG);
    rc.replay_window = 1024;
    CHECK_OK(mcgk_srtp_rx_new(&rc, &rx));

    mcgk_srtp_tx_cfg tc = {MCGK_GMK_CS_ID_MCPTT, sender_key(gmk, ALICE), NULL};
    CHECK_ERR(mcgk_srtp_tx_new(NULL, &tx), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_srtp_tx_new(&tc, NULL), MCGK_ERR_INVALID_ARG);
    mcgk_srtp_sender_key bad = tc.media;
    bad.rand_len = 0;
    tc.floor = &bad;
    CHECK_ERR(mcgk_srtp_tx_new(&tc, &tx), MCGK_ERR_INVALID_ARG);
    tc.floor = NULL;
    tc.media.key = NULL;
    CHECK_ERR(mcgk_srtp_tx_new(&tc, &tx), MCGK_ERR_INVALID_ARG);
    tc.media = sender_key(gmk, ALICE);
    tc.media.rand_len = 256;
    CHECK_ERR(mcgk_srtp_tx_new(&tc, &tx), MCGK_ERR_INVALID_ARG);
    tc.media = sender_key(gmk, ALICE);
    CHECK_OK(mcgk_srtp_tx_new(&tc, &tx));

    pkt p;
    size_t out = 0, n = rtp_build(B(&p), 1, 1);
    /* sender */
    CHECK_ERR(mcgk_srtp_tx_protect_rtp(NULL, B(&p), n, sizeof p.w, &out), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_srtp_tx_protect_rtp(tx, NULL, n, sizeof p.w, &out), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_srtp_tx_protect_rtp(tx, B(&p), n, sizeof p.w, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_srtp_tx_protect_rtcp(NULL, B(&p), n, sizeof p.w, &out), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_srtp_tx_protect_rtp(tx, B(&p), 11, sizeof p.w, &out), MCGK_ERR_TRUNCATED);
    CHECK_ERR(mcgk_srtp_tx_protect_rtcp(tx, B(&p), 7, sizeof p.w, &out), MCGK_ERR_TRUNCATED);
    B(&p)[0] = 0x40; /* version 1 */
    CHECK_ERR(mcgk_srtp_tx_protect_rtp(tx, B(&p), n, sizeof p.w, &out), MCGK_ERR_MALFORMED);
    CHECK_ERR(mcgk_srtp_tx_protect_rtcp(tx, B(&p), n, sizeof p.w, &out), MCGK_ERR_MALFORMED);
    B(&p)[0] = 0x8f; /* 15 CSRCs: 72 octets of header in a 30-octet packet */
    CHECK_ERR(mcgk_srtp_tx_protect_rtp(tx, B(&p), 30, sizeof p.w, &out), MCGK_ERR_TRUNCATED);
    B(&p)[0] = 0x90; /* X set, extension length runs past the end */
    B(&p)[12 + 2] = 0xff;
    CHECK_ERR(mcgk_srtp_tx_protect_rtp(tx, B(&p), n, sizeof p.w, &out), MCGK_ERR_TRUNCATED);
    CHECK_ERR(mcgk_srtp_tx_protect_rtp(tx, B(&p), 14, sizeof p.w, &out), MCGK_ERR_TRUNCATED);
    static uint8_t big[MCGK_SRTP_MAX_PACKET_LEN + 64];
    rtp_build(big, 1, 1);
    CHECK_ERR(mcgk_srtp_tx_protect_rtp(tx, big, MCGK_SRTP_MAX_PACKET_LEN, sizeof big, &out),
              MCGK_ERR_OVERSIZED);

    /* receiver */
    n = rtp_build(B(&p), 2, 1);
    CHECK_OK(mcgk_srtp_tx_protect_rtp(tx, B(&p), n, sizeof p.w, &p.len));
    pkt keep = p;
    CHECK_ERR(mcgk_srtp_rx_unprotect_rtp(NULL, B(&p), p.len, &out, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_srtp_rx_unprotect_rtp(rx, NULL, p.len, &out, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_srtp_rx_unprotect_rtp(rx, B(&p), p.len, NULL, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_srtp_rx_unprotect_rtcp(rx, NULL, p.len, &out, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_srtp_rx_unprotect_rtp(rx, B(&p), 12 + 24 - 1, &out, NULL), MCGK_ERR_TRUNCATED);
    CHECK_ERR(mcgk_srtp_rx_unprotect_rtcp(rx, B(&p), 8 + 28 - 1, &out, NULL), MCGK_ERR_TRUNCATED);
    CHECK_ERR(mcgk_srtp_rx_unprotect_rtp(rx, big, MCGK_SRTP_MAX_PACKET_LEN + 1, &out, NULL),
              MCGK_ERR_OVERSIZED);
    B(&p)[0] = 0xc0; /* version 3 */
    CHECK_ERR(mcgk_srtp_rx_unprotect_rtp(rx, B(&p), p.len, &out, NULL), MCGK_ERR_MALFORMED);
    CHECK_ERR(mcgk_srtp_rx_unprotect_rtcp(rx, B(&p), p.len, &out, NULL), MCGK_ERR_MALFORMED);
    p = keep;
    B(&p)[p.len - 4] ^= 0x10; /* GUK-ID purpose tag differs from the GMK-ID's */
    CHECK_ERR(mcgk_srtp_rx_unprotect_rtp(rx, B(&p), p.len, &out, NULL), MCGK_ERR_MALFORMED);
    p = keep;
    B(&p)[0] = 0x8f; /* CSRCs over the ciphertext: the header would reach the tag */
    CHECK_ERR(mcgk_srtp_rx_unprotect_rtp(rx, B(&p), 12 + 40 + 24, &out, NULL),
              MCGK_ERR_TRUNCATED);
    /* the lookup's verdicts */
    p = keep;
    st.force = MCGK_ERR_IO;
    CHECK_ERR(mcgk_srtp_rx_unprotect_rtp(rx, B(&p), p.len, &out, NULL), MCGK_ERR_IO);
    st.force = MCGK_OK;
    st.k[0].uses = MCGK_MEDIA_USE_DATA;
    CHECK_ERR(mcgk_srtp_rx_unprotect_rtp(rx, B(&p), p.len, &out, NULL), MCGK_ERR_KEY_USAGE);
    st.k[0].uses = MCGK_MEDIA_USE_ALL;
    st.k[0].rand_len = 0; /* a store without the RAND */
    CHECK_ERR(mcgk_srtp_rx_unprotect_rtp(rx, B(&p), p.len, &out, NULL), MCGK_ERR_INVALID_ARG);
    st.k[0].rand_len = 16;
    CHECK(mcgk_srtp_rx_sender_count(rx) == 0);
    CHECK_OK(mcgk_srtp_rx_unprotect_rtp(rx, B(&p), p.len, &out, NULL));
    CHECK(mcgk_srtp_rx_sender_count(NULL) == 0);

    mcgk_srtp_rx_free(rx);
    mcgk_srtp_tx_free(tx);
    mcgk_srtp_rx_free(NULL);
    mcgk_srtp_tx_free(NULL);
}

int main(void)
{
    TEST_RUN(test_member_a_to_member_b);
    TEST_RUN(test_rfc7714_layout_recomputed);
    TEST_RUN(test_R_003_37_members_send_under_different_keys);
    TEST_RUN(test_removed_member_cannot_send);
    TEST_RUN(test_wrong_key_rejected);
    TEST_RUN(test_tampered_and_truncated_rejected);
    TEST_RUN(test_replay_rejected);
    TEST_RUN(test_roc_estimated_across_wrap);
    TEST_RUN(test_R_004_12_floor_control_srtcp_under_second_gmk);
    TEST_RUN(test_sender_cache_lru);
    TEST_RUN(test_writes_stay_inside_the_buffer);
    TEST_RUN(test_error_codes);
    TEST_MAIN_END();
}
