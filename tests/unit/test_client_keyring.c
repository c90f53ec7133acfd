/*
 * Tests of the client's key ring (src/client/keyring.c, mcgk/client.h "using
 * the GMKs"): the media key lookup (mcgk_media_key_fn) and the GSK open's GMK
 * lookup over a client state, the sender's choice for a group, GSKs accepted
 * from GSK messages, the update after a reload - and, end to end through
 * libsrtp (mcgk/srtp.h), members sending to each other under their own keys
 * (R-003-37), floor control under the second GMK (R-004-12/13), a removed
 * member and a non-member refused, a GSK session (R-002-19/23). States are
 * built by hand (the rules that fill them are test_client.c's).
 */
#include "test.h"

#include "mcgk/client.h"
#include "mcgk/gsk_message.h"
#include "mcgk/kdf.h"
#include "mcgk/mikey.h"
#include "mcgk/srtp.h"

#define GA "sip:alpha@example.org"
#define GB "sip:bravo@example.org"
#define NOW 1780000000u /* Unix seconds */
#define NTP(u) ((uint64_t)(u) + MCGK_NTP_UNIX_OFFSET_S)

#define K_MEDIA 0x0a000001u
#define K_FLOOR 0x0a000002u
#define K_OLD 0x0a000003u
#define K_BRAVO 0x0b000001u
#define GUK_A 0x01234567u
#define GUK_B 0x07654321u

static const uint8_t k_rand[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                   0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};

/* ---- states --------------------------------------------------------------------------- */

static void st_init(mcgk_client_state *s)
{
    CHECK_OK(mcgk_client_state_init(s));
    CHECK_OK(mcgk_client_state_reserve_gmks(s, 8));
    CHECK_OK(mcgk_client_state_reserve_groups(s, 4));
}

static void add_group(mcgk_client_state *s, const char *id, int removed)
{
    mcgk_client_group *g = &s->groups[s->n_groups++];
    memset(g, 0, sizeof *g);
    snprintf(g->id, sizeof g->id, "%s", id);
    g->removed = removed;
}

typedef struct gopt {
    uint32_t id, guk;
    mcgk_gmk_use use;
    uint8_t fill;          /* key octets */
    int revoked;
    int64_t act, exp;      /* relative to NOW; 0 = not given */
    const char *groups[2]; /* default {GA} */
    uint64_t ts;           /* I_MESSAGE time, relative */
    int64_t rcv;           /* when the client stored it, relative to NOW */
} gopt;

static mcgk_client_gmk *add_gmk(mcgk_client_state *s, const gopt *o)
{
    mcgk_client_gmk *g = &s->gmks[s->n_gmks++];
    memset(g, 0, sizeof *g);
    g->gmk_id = o->id;
    g->guk_id = o->guk ? o->guk : GUK_A;
    g->purpose = MCGK_PURPOSE_GMK;
    g->use = o->use;
    g->revoked = o->revoked;
    g->has_key = !o->revoked;
    if (g->has_key)
        memset(g->key, o->fill ? o->fill : 0x11, MCGK_KEY_LEN);
    g->rand_len = sizeof k_rand;
    memcpy(g->rand, k_rand, sizeof k_rand);
    g->has_params = 1;
    mcgk_key_params_init(&g->params, MCGK_PURPOSE_GMK);
    if (o->act)
        g->params.activation_ntp_s = (uint64_t)((int64_t)NTP(NOW) + o->act);
    if (o->exp)
        g->params.expiry_ntp_s = (uint64_t)((int64_t)NTP(NOW) + o->exp);
    const char *g0 = o->groups[0] ? o->groups[0] : GA;
    CHECK_OK(mcgk_key_params_add_group(&g->params, g0, strlen(g0)));
    if (o->groups[1])
        CHECK_OK(mcgk_key_params_add_group(&g->params, o->groups[1], strlen(o->groups[1])));
    g->first_ts_ntp_s = g->last_ts_ntp_s = NTP(NOW) - 100 + o->ts;
    g->received_unix_s = (uint64_t)((int64_t)NOW + o->rcv); /* default: just arrived */
    return g;
}

/* alpha with one media GMK (and, with floor, a floor-control GMK); member */
static void st_alpha(mcgk_client_state *s, uint32_t guk, int floor)
{
    st_init(s);
    add_group(s, GA, 0);
    gopt m = {.id = K_MEDIA, .guk = guk, .use = MCGK_GMK_USE_MEDIA, .fill = 0x11, .act = -60};
    add_gmk(s, &m);
    if (floor) {
        gopt f = {.id = K_FLOOR, .guk = guk ^ 0x00ff0000u, .use = MCGK_GMK_USE_FLOOR_CONTROL,
                  .fill = 0x22, .act = -60};
        add_gmk(s, &f);
    }
}

static mcgk_err lookup(mcgk_client_keyring *kr, uint32_t id, mcgk_media_key *out)
{
    memset(out, 0xee, sizeof *out);
    return mcgk_client_keyring_media_key(kr, id, out);
}

/* ================================ the media key lookup ================================ */

/* §7.4.2: GMK-ID -> the GMK and the RAND of its I_MESSAGE; a group with one GMK lets it
   protect media, floor control and data (R-003-40) */
static void test_media_key_by_gmk_id(void)
{
    mcgk_client_state s;
    st_alpha(&s, GUK_A, 0);
    mcgk_client_keyring kr;
    CHECK_OK(mcgk_client_keyring_init(&kr, &s, GA, NOW));
    mcgk_media_key k;
    CHECK_OK(lookup(&kr, K_MEDIA, &k));
    uint8_t want[MCGK_KEY_LEN];
    memset(want, 0x11, sizeof want);
    CHECK_MEM(k.key, want, MCGK_KEY_LEN);
    CHECK(k.rand_len == 16 && memcmp(k.rand, k_rand, 16) == 0);
    CHECK(k.uses == MCGK_MEDIA_USE_ALL);
    /* unknown: nothing written */
    CHECK_ERR(lookup(&kr, 0x0a0000ffu, &k), MCGK_ERR_UNKNOWN_KEY_ID);
    CHECK(k.key[0] == 0xee && k.rand_len == (size_t)0xeeeeeeeeeeeeeeeeull);
    /* an unscoped ring answers the same */
    mcgk_client_keyring all;
    CHECK_OK(mcgk_client_keyring_init(&all, &s, NULL, NOW));
    CHECK_OK(lookup(&all, K_MEDIA, &k));
    CHECK_OK(mcgk_client_keyring_init(&all, &s, "", NOW));
    CHECK_OK(lookup(&all, K_MEDIA, &k));
    mcgk_wipe(&k, sizeof k);
    mcgk_client_keyring_clear(&kr);
    mcgk_client_keyring_clear(&all);
    mcgk_client_state_clear(&s);
}

/* R-003-34 revoked -> revoked; R-001-33 deleted (tombstone) -> revoked; expired -> validity;
   pending -> accepted on receipt */
static void test_R_003_34_R_001_33_revoked_deleted_expired(void)
{
    mcgk_client_state s;
    st_alpha(&s, GUK_A, 0);
    gopt rv = {.id = 0x0a000010u, .use = MCGK_GMK_USE_MEDIA, .revoked = 1};
    gopt ex = {.id = 0x0a000011u, .use = MCGK_GMK_USE_MEDIA, .act = -7200, .exp = -1};
    gopt pe = {.id = 0x0a000012u, .use = MCGK_GMK_USE_MEDIA, .act = 3600};
    add_gmk(&s, &rv);
    add_gmk(&s, &ex);
    add_gmk(&s, &pe);
    s.tombstones[s.n_tombstones].gmk_id = 0x0a000013u;
    s.tombstones[s.n_tombstones++].deleted_ntp_s = NTP(NOW) - 5;
    mcgk_client_keyring kr;
    CHECK_OK(mcgk_client_keyring_init(&kr, &s, GA, NOW));
    mcgk_media_key k;
    CHECK_ERR(lookup(&kr, 0x0a000010u, &k), MCGK_ERR_REVOKED);
    CHECK_ERR(lookup(&kr, 0x0a000011u, &k), MCGK_ERR_VALIDITY);
    CHECK_OK(lookup(&kr, 0x0a000012u, &k));
    CHECK_ERR(lookup(&kr, 0x0a000013u, &k), MCGK_ERR_REVOKED);
    /* the expired one answered before its expiry */
    kr.now_unix_s = NOW - 10;
    CHECK_OK(lookup(&kr, 0x0a000011u, &k));
    /* a GMK without a RAND cannot give §7.4.2 keys */
    kr.now_unix_s = NOW;
    s.gmks[0].rand_len = 0;
    CHECK_ERR(lookup(&kr, K_MEDIA, &k), MCGK_ERR_UNKNOWN_KEY_ID);
    /* NULLs */
    CHECK_ERR(mcgk_client_keyring_media_key(NULL, K_MEDIA, &k), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_keyring_media_key(&kr, K_MEDIA, NULL), MCGK_ERR_INVALID_ARG);
    mcgk_wipe(&k, sizeof k);
    mcgk_client_state_clear(&s);
}

/* R-004-12, R-004-13: with a floor-control GMK the group's media GMK protects RTP and data
   only, the floor-control GMK RTCP only; a pending floor GMK does not take RTCP away yet */
static void test_R_004_12_R_004_13_uses(void)
{
    mcgk_client_state s;
    st_alpha(&s, GUK_A, 1);
    mcgk_client_keyring kr;
    CHECK_OK(mcgk_client_keyring_init(&kr, &s, GA, NOW));
    mcgk_media_key k;
    CHECK_OK(lookup(&kr, K_MEDIA, &k));
    CHECK(k.uses == (MCGK_MEDIA_USE_RTP | MCGK_MEDIA_USE_DATA));
    CHECK_OK(lookup(&kr, K_FLOOR, &k));
    CHECK(k.uses == MCGK_MEDIA_USE_RTCP);
    uint8_t want[MCGK_KEY_LEN];
    memset(want, 0x22, sizeof want);
    CHECK_MEM(k.key, want, MCGK_KEY_LEN);
    s.gmks[1].params.activation_ntp_s = NTP(NOW) + 600;
    CHECK_OK(lookup(&kr, K_MEDIA, &k));
    CHECK(k.uses == MCGK_MEDIA_USE_ALL);
    /* a floor-control GMK of another group changes nothing here */
    s.gmks[1].params.activation_ntp_s = 0;
    s.gmks[1].params.n_groups = 0;
    CHECK_OK(mcgk_key_params_add_group(&s.gmks[1].params, GB, strlen(GB)));
    CHECK_OK(lookup(&kr, K_MEDIA, &k));
    CHECK(k.uses == MCGK_MEDIA_USE_ALL);
    mcgk_wipe(&k, sizeof k);
    mcgk_client_state_clear(&s);
}

/* a ring for a group answers only for that group's GMKs, and only while a member: the
   client's bravo GMK is unknown on alpha; after its removal from alpha, a kept shared
   GMK is unknown on alpha (R-001-33) but answers for bravo */
static void test_scope_group_and_membership(void)
{
    mcgk_client_state s;
    st_alpha(&s, GUK_A, 0);
    add_group(&s, GB, 0);
    gopt b = {.id = K_BRAVO, .use = MCGK_GMK_USE_MEDIA, .groups = {GB, NULL}};
    gopt ab = {.id = 0x0c000001u, .use = MCGK_GMK_USE_MEDIA, .groups = {GA, GB}};
    add_gmk(&s, &b);
    add_gmk(&s, &ab);
    mcgk_client_keyring ka, kb;
    CHECK_OK(mcgk_client_keyring_init(&ka, &s, GA, NOW));
    CHECK_OK(mcgk_client_keyring_init(&kb, &s, GB, NOW));
    mcgk_media_key k;
    CHECK_ERR(lookup(&ka, K_BRAVO, &k), MCGK_ERR_UNKNOWN_KEY_ID);
    CHECK_OK(lookup(&kb, K_BRAVO, &k));
    CHECK_ERR(lookup(&kb, K_MEDIA, &k), MCGK_ERR_UNKNOWN_KEY_ID);
    CHECK_OK(lookup(&ka, 0x0c000001u, &k));
    s.groups[0].removed = 1;
    CHECK_ERR(lookup(&ka, 0x0c000001u, &k), MCGK_ERR_UNKNOWN_KEY_ID);
    CHECK_ERR(lookup(&ka, K_MEDIA, &k), MCGK_ERR_UNKNOWN_KEY_ID);
    CHECK_OK(lookup(&kb, 0x0c000001u, &k));
    /* a group the client never heard of */
    mcgk_client_keyring kx;
    CHECK_OK(mcgk_client_keyring_init(&kx, &s, "sip:other@example.org", NOW));
    CHECK_ERR(lookup(&kx, K_BRAVO, &k), MCGK_ERR_UNKNOWN_KEY_ID);
    /* init errors */
    char longg[MCGK_GROUPDOC_URI_MAX + 1];
    memset(longg, 'g', sizeof longg - 1);
    longg[sizeof longg - 1] = '\0';
    CHECK_ERR(mcgk_client_keyring_init(&kx, &s, longg, NOW), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_keyring_init(NULL, &s, GA, NOW), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_keyring_init(&kx, NULL, GA, NOW), MCGK_ERR_INVALID_ARG);
    mcgk_wipe(&k, sizeof k);
    mcgk_client_state_clear(&s);
}

/* R-002-19: the GSK open finds the GMK by key identifier: a media GMK the ring answers
   for; not a floor-control GMK, not another purpose, not a revoked one */
static void test_R_002_19_gmk_lookup_for_gsk(void)
{
    mcgk_client_state s;
    st_alpha(&s, GUK_A, 1);
    gopt rv = {.id = 0x0a000010u, .use = MCGK_GMK_USE_MEDIA, .revoked = 1};
    add_gmk(&s, &rv);
    mcgk_client_keyring kr;
    CHECK_OK(mcgk_client_keyring_init(&kr, &s, GA, NOW));
    uint8_t key[MCGK_KEY_LEN], want[MCGK_KEY_LEN];
    memset(want, 0x11, sizeof want);
    memset(key, 0, sizeof key);
    CHECK(mcgk_client_keyring_gmk_lookup(&kr, MCGK_PURPOSE_GMK, K_MEDIA, key) == 1);
    CHECK_MEM(key, want, MCGK_KEY_LEN);
    memset(key, 0, sizeof key);
    CHECK(mcgk_client_keyring_gmk_lookup(&kr, MCGK_PURPOSE_GMK, K_FLOOR, key) == 0);
    CHECK(mcgk_client_keyring_gmk_lookup(&kr, 1, K_MEDIA, key) == 0);
    CHECK(mcgk_client_keyring_gmk_lookup(&kr, MCGK_PURPOSE_GMK, 0x0a000010u, key) == 0);
    CHECK(mcgk_client_keyring_gmk_lookup(&kr, MCGK_PURPOSE_GMK, 0x0a0000ffu, key) == 0);
    CHECK(mcgk_client_keyring_gmk_lookup(NULL, MCGK_PURPOSE_GMK, K_MEDIA, key) == 0);
    uint8_t zero[MCGK_KEY_LEN] = {0};
    CHECK_MEM(key, zero, MCGK_KEY_LEN);
    mcgk_client_state_clear(&s);
}

/* ================================ the sender ================================ */

/* R-001-23, R-000-23: a sender uses the active media GMK with the latest activation (then
   the latest I_MESSAGE), its own GUK-ID and the RAND; the floor-control GMK when the group
   has one (R-004-12/13) */
static void test_R_001_23_R_000_23_sender_select(void)
{
    mcgk_client_state s;
    st_alpha(&s, GUK_A, 0);
    gopt old = {.id = K_OLD, .guk = 0x0999u, .use = MCGK_GMK_USE_MEDIA, .act = -600, .fill = 3};
    gopt pend = {.id = 0x0a000020u, .use = MCGK_GMK_USE_MEDIA, .act = 600, .fill = 4};
    add_gmk(&s, &old);
    add_gmk(&s, &pend);
    mcgk_client_sender snd;
    CHECK_OK(mcgk_client_sender_select(&s, GA, NOW, &snd));
    CHECK(snd.media.gmk_id == K_MEDIA && snd.media.guk_id == GUK_A && !snd.has_floor);
    CHECK(snd.media.key[0] == 0x11 && snd.media.rand_len == 16 &&
          memcmp(snd.media.rand, k_rand, 16) == 0);
    /* the pending one takes over at its activation */
    CHECK_OK(mcgk_client_sender_select(&s, GA, NOW + 601, &snd));
    CHECK(snd.media.gmk_id == 0x0a000020u);
    /* equal activation: the later I_MESSAGE */
    s.gmks[1].params.activation_ntp_s = s.gmks[0].params.activation_ntp_s;
    s.gmks[1].first_ts_ntp_s = s.gmks[0].first_ts_ntp_s + 1;
    CHECK_OK(mcgk_client_sender_select(&s, GA, NOW, &snd));
    CHECK(snd.media.gmk_id == K_OLD && snd.media.guk_id == 0x0999u);
    /* a floor-control GMK */
    gopt f = {.id = K_FLOOR, .guk = 0x0abcu, .use = MCGK_GMK_USE_FLOOR_CONTROL, .fill = 0x22};
    add_gmk(&s, &f);
    CHECK_OK(mcgk_client_sender_select(&s, GA, NOW, &snd));
    CHECK(snd.has_floor && snd.floor.gmk_id == K_FLOOR && snd.floor.guk_id == 0x0abcu &&
          snd.floor.key[0] == 0x22);
    mcgk_client_sender_clear(&snd);
    uint8_t zero[sizeof snd];
    memset(zero, 0, sizeof zero);
    CHECK_MEM(&snd, zero, sizeof snd);
    /* the chosen GMK without a RAND (no §7.4.2 keys): nothing to send under; a floor GMK
       without one is left out */
    size_t sel = 0;
    CHECK_OK(mcgk_client_select(&s, GA, MCGK_GMK_USE_MEDIA, NOW, &sel));
    size_t keep = s.gmks[sel].rand_len;
    s.gmks[sel].rand_len = 0;
    CHECK_ERR(mcgk_client_sender_select(&s, GA, NOW, &snd), MCGK_ERR_NOT_FOUND);
    s.gmks[sel].rand_len = keep;
    s.gmks[s.n_gmks - 1].rand_len = 0;
    CHECK_OK(mcgk_client_sender_select(&s, GA, NOW, &snd));
    CHECK(!snd.has_floor);
    s.gmks[s.n_gmks - 1].rand_len = 16;
    mcgk_client_sender_clear(&snd);
    /* not a member / no media GMK / revoked only: nothing to send under */
    CHECK_ERR(mcgk_client_sender_select(&s, GB, NOW, &snd), MCGK_ERR_NOT_FOUND);
    s.groups[0].removed = 1;
    CHECK_ERR(mcgk_client_sender_select(&s, GA, NOW, &snd), MCGK_ERR_NOT_FOUND);
    s.groups[0].removed = 0;
    for (size_t i = 0; i < s.n_gmks; i++)
        if (s.gmks[i].use == MCGK_GMK_USE_MEDIA)
            s.gmks[i].revoked = 1;
    CHECK_ERR(mcgk_client_sender_select(&s, GA, NOW, &snd), MCGK_ERR_NOT_FOUND);
    CHECK_ERR(mcgk_client_sender_select(NULL, GA, NOW, &snd), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_sender_select(&s, NULL, NOW, &snd), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_sender_select(&s, GA, NOW, NULL), MCGK_ERR_INVALID_ARG);
    mcgk_client_state_clear(&s);
}

/* ================================ end to end through SRTP ================================ */

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

typedef struct pkt {
    uint32_t w[64]; /* 4-octet aligned */
    size_t len;
} pkt;
#define B(p) ((uint8_t *)(p)->w)

/* RTP, PT 0 (G.711 u-law), 160 octets */
static void rtp(pkt *p, uint32_t ssrc, uint16_t seq)
{
    uint8_t *b = B(p);
    b[0] = 0x80;
    b[1] = 0;
    put16(b + 2, seq);
    put32(b + 4, 160u * seq);
    put32(b + 8, ssrc);
    for (size_t i = 0; i < 160; i++)
        b[12 + i] = (uint8_t)(0xd5 ^ (seq + i));
    p->len = 172;
}

/* RTCP APP "MCPT" floor request (TS 24.380: subtype 0) */
static void floor_request(pkt *p, uint32_t ssrc)
{
    uint8_t *b = B(p);
    b[0] = 0x80;
    b[1] = 204;
    put16(b + 2, 2);
    put32(b + 4, ssrc);
    memcpy(b + 8, "MCPT", 4);
    p->len = 12;
}

static void tx_from(const mcgk_client_sender *snd, mcgk_srtp_tx **tx)
{
    mcgk_srtp_sender_key floor = {snd->floor.key, snd->floor.gmk_id, snd->floor.guk_id,
                                  snd->floor.rand, snd->floor.rand_len};
    mcgk_srtp_tx_cfg cfg = {MCGK_GMK_CS_ID_MCPTT,
                            {snd->media.key, snd->media.gmk_id, snd->media.guk_id,
                             snd->media.rand, snd->media.rand_len},
                            snd->has_floor ? &floor : NULL};
    CHECK_OK(mcgk_srtp_tx_new(&cfg, tx));
}

static void rx_for(mcgk_client_keyring *kr, mcgk_srtp_rx **rx)
{
    mcgk_srtp_rx_cfg cfg = {MCGK_GMK_CS_ID_MCPTT, mcgk_client_keyring_media_key, kr, 0, 0};
    CHECK_OK(mcgk_srtp_rx_new(&cfg, rx));
}

/* protect one RTP packet with tx and offer it to rx; returns the verdict */
static mcgk_err send_rtp(mcgk_srtp_tx *tx, mcgk_srtp_rx *rx, uint32_t ssrc, uint16_t seq,
                         mcgk_srtp_origin *from)
{
    pkt p;
    size_t n = 0;
    rtp(&p, ssrc, seq);
    CHECK_OK(mcgk_srtp_tx_protect_rtp(tx, B(&p), p.len, sizeof p.w, &n));
    size_t out = 0;
    mcgk_err e = mcgk_srtp_rx_unprotect_rtp(rx, B(&p), n, &out, from);
    if (e == MCGK_OK)
        CHECK(out == 172);
    return e;
}

/* R-003-37: two members send under the one GMK with their own GUK-IDs: each packet names
   its sender in the MKI, every member decrypts both, and the two senders' keys differ */
static void test_R_003_37_members_send_under_their_own_keys(void)
{
    mcgk_client_state sa, sb;
    st_alpha(&sa, GUK_A, 0);
    st_alpha(&sb, GUK_B, 0);
    mcgk_client_sender a, b;
    CHECK_OK(mcgk_client_sender_select(&sa, GA, NOW, &a));
    CHECK_OK(mcgk_client_sender_select(&sb, GA, NOW, &b));
    mcgk_srtp_keys ka, kb;
    CHECK_OK(mcgk_srtp_keys_derive(a.media.key, a.media.gmk_id, a.media.guk_id, a.media.rand,
                                   a.media.rand_len, MCGK_GMK_CS_ID_MCPTT, &ka));
    CHECK_OK(mcgk_srtp_keys_derive(b.media.key, b.media.gmk_id, b.media.guk_id, b.media.rand,
                                   b.media.rand_len, MCGK_GMK_CS_ID_MCPTT, &kb));
    CHECK(memcmp(ka.master_key, kb.master_key, sizeof ka.master_key) != 0);
    CHECK(memcmp(ka.mki, kb.mki, sizeof ka.mki) != 0);
    mcgk_srtp_keys_clear(&ka);
    mcgk_srtp_keys_clear(&kb);

    mcgk_srtp_tx *ta = NULL, *tb = NULL;
    mcgk_srtp_rx *ra = NULL, *rb = NULL;
    mcgk_client_keyring kra, krb;
    CHECK_OK(mcgk_client_keyring_init(&kra, &sa, GA, NOW));
    CHECK_OK(mcgk_client_keyring_init(&krb, &sb, GA, NOW));
    tx_from(&a, &ta);
    tx_from(&b, &tb);
    rx_for(&kra, &ra);
    rx_for(&krb, &rb);
    mcgk_srtp_origin o;
    for (uint16_t i = 1; i <= 5; i++) {
        CHECK_OK(send_rtp(ta, rb, 0xaaaa0001u, i, &o));
        CHECK(o.key_id == K_MEDIA && o.guk_id == GUK_A && o.ssrc == 0xaaaa0001u);
        CHECK_OK(send_rtp(tb, ra, 0xbbbb0001u, i, &o));
        CHECK(o.key_id == K_MEDIA && o.guk_id == GUK_B);
        CHECK_OK(send_rtp(ta, ra, 0xaaaa0001u, (uint16_t)(i + 100), &o)); /* its own, looped */
    }
    CHECK(mcgk_srtp_rx_sender_count(rb) == 1 && mcgk_srtp_rx_sender_count(ra) == 2);
    mcgk_srtp_tx_free(ta);
    mcgk_srtp_tx_free(tb);
    mcgk_srtp_rx_free(ra);
    mcgk_srtp_rx_free(rb);
    mcgk_client_sender_clear(&a);
    mcgk_client_sender_clear(&b);
    mcgk_client_state_clear(&sa);
    mcgk_client_state_clear(&sb);
}

/* R-001-33, R-001-24: after a removal with rekey the remaining members send under the new
   GMK: the removed member (holds only the old GMK, or nothing, or a tombstone) and a
   non-member (another group's GMK) decrypt nothing - each with its own verdict */
static void test_R_001_33_removed_member_and_non_member_cannot_decrypt(void)
{
    mcgk_client_state member, removed_old, removed_none, outsider;
    st_alpha(&member, GUK_A, 0);
    gopt newk = {.id = 0x0a000099u, .use = MCGK_GMK_USE_MEDIA, .fill = 0x99, .act = -1};
    add_gmk(&member, &newk); /* the rekey after the removal: latest activation */
    st_alpha(&removed_old, GUK_B, 0); /* stopped before it was told: the old GMK only */
    st_init(&removed_none);           /* told: deleted, a tombstone left */
    add_group(&removed_none, GA, 1);
    removed_none.tombstones[0].gmk_id = K_MEDIA;
    removed_none.n_tombstones = 1;
    st_init(&outsider);
    add_group(&outsider, GB, 0);
    gopt b = {.id = K_BRAVO, .use = MCGK_GMK_USE_MEDIA, .groups = {GB, NULL}};
    add_gmk(&outsider, &b);

    mcgk_client_sender snd;
    CHECK_OK(mcgk_client_sender_select(&member, GA, NOW, &snd));
    CHECK(snd.media.gmk_id == 0x0a000099u);
    mcgk_srtp_tx *tx = NULL;
    tx_from(&snd, &tx);
    mcgk_client_keyring k1, k2, k3;
    CHECK_OK(mcgk_client_keyring_init(&k1, &removed_old, GA, NOW));
    CHECK_OK(mcgk_client_keyring_init(&k2, &removed_none, GA, NOW));
    CHECK_OK(mcgk_client_keyring_init(&k3, &outsider, GA, NOW));
    mcgk_srtp_rx *r1 = NULL, *r2 = NULL, *r3 = NULL;
    rx_for(&k1, &r1);
    rx_for(&k2, &r2);
    rx_for(&k3, &r3);
    CHECK_ERR(send_rtp(tx, r1, 7, 1, NULL), MCGK_ERR_UNKNOWN_KEY_ID);
    CHECK_ERR(send_rtp(tx, r2, 7, 2, NULL), MCGK_ERR_UNKNOWN_KEY_ID);
    CHECK_ERR(send_rtp(tx, r3, 7, 3, NULL), MCGK_ERR_UNKNOWN_KEY_ID);
    /* under the old GMK (a sender that missed the rekey): the told one says revoked, the
       outsider does not know it */
    mcgk_client_sender old;
    CHECK_OK(mcgk_client_sender_select(&removed_old, GA, NOW, &old));
    mcgk_srtp_tx *tx_old = NULL;
    tx_from(&old, &tx_old);
    CHECK_ERR(send_rtp(tx_old, r2, 8, 1, NULL), MCGK_ERR_REVOKED);
    CHECK_ERR(send_rtp(tx_old, r3, 8, 2, NULL), MCGK_ERR_UNKNOWN_KEY_ID);
    /* the removed member relabels its packets with the new GMK-ID: the key is wrong */
    mcgk_client_sender forged = old;
    forged.media.gmk_id = 0x0a000099u;
    mcgk_srtp_tx *tx_forged = NULL;
    tx_from(&forged, &tx_forged);
    mcgk_client_keyring km;
    CHECK_OK(mcgk_client_keyring_init(&km, &member, GA, NOW));
    mcgk_srtp_rx *rm = NULL;
    rx_for(&km, &rm);
    CHECK_ERR(send_rtp(tx_forged, rm, 9, 1, NULL), MCGK_ERR_SRTP_AUTH);
    CHECK_OK(send_rtp(tx, rm, 7, 4, NULL));
    mcgk_srtp_tx_free(tx);
    mcgk_srtp_tx_free(tx_old);
    mcgk_srtp_tx_free(tx_forged);
    mcgk_srtp_rx_free(r1);
    mcgk_srtp_rx_free(r2);
    mcgk_srtp_rx_free(r3);
    mcgk_srtp_rx_free(rm);
    mcgk_client_sender_clear(&snd);
    mcgk_client_sender_clear(&old);
    mcgk_client_sender_clear(&forged);
    mcgk_client_state_clear(&member);
    mcgk_client_state_clear(&removed_old);
    mcgk_client_state_clear(&removed_none);
    mcgk_client_state_clear(&outsider);
}

/* R-004-12, R-004-13: floor control goes under the floor-control GMK (its own MKI), media
   under the media GMK; RTP under the floor GMK and RTCP under the media GMK are refused */
static void test_R_004_12_R_004_13_floor_control_under_the_second_gmk(void)
{
    mcgk_client_state sa, sb;
    st_alpha(&sa, GUK_A, 1);
    st_alpha(&sb, GUK_B, 1);
    mcgk_client_sender a;
    CHECK_OK(mcgk_client_sender_select(&sa, GA, NOW, &a));
    CHECK(a.has_floor && a.floor.gmk_id == K_FLOOR && a.media.gmk_id == K_MEDIA);
    mcgk_srtp_tx *tx = NULL;
    tx_from(&a, &tx);
    mcgk_client_keyring kb;
    CHECK_OK(mcgk_client_keyring_init(&kb, &sb, GA, NOW));
    mcgk_srtp_rx *rx = NULL;
    rx_for(&kb, &rx);
    mcgk_srtp_origin o;
    CHECK_OK(send_rtp(tx, rx, 0x51u, 1, &o));
    CHECK(o.key_id == K_MEDIA);
    pkt p;
    size_t n = 0, out = 0;
    floor_request(&p, 0x51u);
    CHECK_OK(mcgk_srtp_tx_protect_rtcp(tx, B(&p), p.len, sizeof p.w, &n));
    CHECK_OK(mcgk_srtp_rx_unprotect_rtcp(rx, B(&p), n, &out, &o));
    CHECK(out == 12 && o.key_id == K_FLOOR && memcmp(B(&p) + 8, "MCPT", 4) == 0);
    mcgk_srtp_tx_free(tx);
    /* a sender that puts RTP under the floor GMK, or RTCP under the media GMK */
    mcgk_client_sender wrong = a;
    wrong.media = a.floor;
    wrong.has_floor = 0;
    tx_from(&wrong, &tx);
    CHECK_ERR(send_rtp(tx, rx, 0x52u, 1, NULL), MCGK_ERR_KEY_USAGE);
    mcgk_srtp_tx_free(tx);
    wrong.media = a.media;
    tx_from(&wrong, &tx);
    floor_request(&p, 0x53u);
    CHECK_OK(mcgk_srtp_tx_protect_rtcp(tx, B(&p), p.len, sizeof p.w, &n));
    CHECK_ERR(mcgk_srtp_rx_unprotect_rtcp(rx, B(&p), n, &out, NULL), MCGK_ERR_KEY_USAGE);
    mcgk_srtp_tx_free(tx);
    mcgk_srtp_rx_free(rx);
    mcgk_client_sender_clear(&a);
    mcgk_client_sender_clear(&wrong);
    mcgk_client_state_clear(&sa);
    mcgk_client_state_clear(&sb);
}

/* ================================ GSKs ================================ */

static mcgk_test_prng g_prng;
static mcgk_rng g_rng;

static size_t gsk_msg(const mcgk_client_sender *snd, uint8_t *msg, size_t cap,
                      mcgk_gsk_sealed *sealed)
{
    mcgk_gsk_build_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.gmk = snd->media.key;
    cfg.gmk_id = snd->media.gmk_id;
    cfg.ts_ntp_s = NTP(NOW);
    cfg.initiator_uri = "sip:u1@example.org";
    size_t n = 0;
    CHECK_OK(mcgk_gsk_build(&cfg, &g_rng, msg, cap, &n, sealed));
    return n;
}

static mcgk_err gsk_open(mcgk_client_keyring *kr, const uint8_t *msg, size_t n,
                         mcgk_gsk_result *r)
{
    mcgk_gsk_open_cfg oc;
    mcgk_gsk_open_cfg_init(&oc);
    oc.lookup = mcgk_client_keyring_gmk_lookup;
    oc.lookup_ctx = kr;
    return mcgk_gsk_open(&oc, msg, n, NOW, r, NULL);
}

/* R-002-19, R-002-23, R-002-09: the caller's GSK travels under the group's GMK; members
   find the GMK by the key identifier through the ring, keep the GSK, and decrypt media
   protected under it (MKI = CSB ID || CSB ID); a removed member and a non-member find no
   GMK, so neither the GSK nor the media */
static void test_R_002_19_R_002_23_gsk_session(void)
{
    mcgk_client_state caller, member, outsider;
    st_alpha(&caller, GUK_A, 0);
    st_alpha(&member, GUK_B, 0);
    st_init(&outsider);
    add_group(&outsider, GA, 1); /* removed, GMK deleted */
    mcgk_client_sender snd;
    CHECK_OK(mcgk_client_sender_select(&caller, GA, NOW, &snd));
    uint8_t msg[1024];
    mcgk_gsk_sealed sealed;
    size_t n = gsk_msg(&snd, msg, sizeof msg, &sealed);

    mcgk_client_keyring km, ko;
    CHECK_OK(mcgk_client_keyring_init(&km, &member, GA, NOW));
    CHECK_OK(mcgk_client_keyring_init(&ko, &outsider, GA, NOW));
    mcgk_gsk_result r;
    CHECK_ERR(gsk_open(&ko, msg, n, &r), MCGK_ERR_UNKNOWN_KEY_ID);
    CHECK_OK(gsk_open(&km, msg, n, &r));
    CHECK(r.gmk_id == K_MEDIA && r.csb_id == sealed.csb_id);
    uint32_t ev = 1;
    CHECK_OK(mcgk_client_keyring_add_gsk(&km, &r, NOW, &ev));
    CHECK(ev == 0 && km.n_gsks == 1);
    const mcgk_client_gsk *held = mcgk_client_keyring_find_gsk(&km, sealed.csb_id);
    CHECK(held != NULL && held->gmk_id == K_MEDIA &&
          strcmp(held->initiator, "sip:u1@example.org") == 0 && !held->is_signed);
    CHECK(held != NULL && memcmp(held->gsk, sealed.gsk, MCGK_KEY_LEN) == 0);
    /* the same GSK again changes nothing */
    CHECK_OK(mcgk_client_keyring_add_gsk(&km, &r, NOW, NULL));
    CHECK(km.n_gsks == 1);

    /* media under the GSK: keys from the CSB ID and RAND of the message */
    mcgk_srtp_sender_key sk = {sealed.gsk, sealed.csb_id, sealed.csb_id, sealed.rand,
                               sizeof sealed.rand};
    mcgk_srtp_tx_cfg tc = {MCGK_GMK_CS_ID_MCPTT, sk, NULL};
    mcgk_srtp_tx *tx = NULL;
    CHECK_OK(mcgk_srtp_tx_new(&tc, &tx));
    mcgk_srtp_rx *rm = NULL, *ro = NULL;
    rx_for(&km, &rm);
    rx_for(&ko, &ro);
    mcgk_srtp_origin o;
    CHECK_OK(send_rtp(tx, rm, 0x6666u, 1, &o));
    CHECK(o.key_id == sealed.csb_id && o.guk_id == sealed.csb_id);
    CHECK_ERR(send_rtp(tx, ro, 0x6666u, 2, NULL), MCGK_ERR_UNKNOWN_KEY_ID);
    /* the keys are the ones gsk_message.h names: PRF(GSK, TEK || CS-ID || CSB ID || RAND) */
    uint8_t mk[16];
    mcgk_srtp_keys k;
    CHECK_OK(mcgk_mikey_derive(sealed.gsk, MCGK_KEY_LEN, MCGK_PRF_TEK, MCGK_GMK_CS_ID_MCPTT,
                               sealed.csb_id, sealed.rand, sizeof sealed.rand, mk, sizeof mk));
    CHECK_OK(mcgk_srtp_keys_derive(sealed.gsk, sealed.csb_id, sealed.csb_id, sealed.rand,
                                   sizeof sealed.rand, MCGK_GMK_CS_ID_MCPTT, &k));
    CHECK_MEM(k.master_key, mk, sizeof mk);
    mcgk_srtp_keys_clear(&k);

    /* the GMK it came under revoked: on the next update the GSK goes with it */
    mcgk_client_state later;
    st_alpha(&later, GUK_B, 0);
    later.gmks[0].revoked = 1;
    later.gmks[0].has_key = 0;
    uint32_t dropped[8];
    size_t nd = mcgk_client_keyring_update(&km, &later, NOW + 1, dropped, 8);
    CHECK(nd == 2 && km.n_gsks == 0);
    CHECK((dropped[0] == K_MEDIA && dropped[1] == sealed.csb_id));
    CHECK(mcgk_srtp_rx_forget(rm, sealed.csb_id) == 1);
    CHECK_ERR(send_rtp(tx, rm, 0x6666u, 3, NULL), MCGK_ERR_UNKNOWN_KEY_ID);
    /* and a new GSK message under the revoked GMK is not opened */
    CHECK_ERR(gsk_open(&km, msg, n, &r), MCGK_ERR_UNKNOWN_KEY_ID);

    mcgk_srtp_tx_free(tx);
    mcgk_srtp_rx_free(rm);
    mcgk_srtp_rx_free(ro);
    mcgk_gsk_result_clear(&r);
    mcgk_gsk_sealed_clear(&sealed);
    mcgk_client_sender_clear(&snd);
    mcgk_client_keyring_clear(&km);
    mcgk_client_state_clear(&caller);
    mcgk_client_state_clear(&member);
    mcgk_client_state_clear(&outsider);
    mcgk_client_state_clear(&later);
}

/* every code of mcgk_client_keyring_add_gsk, and the eviction of the oldest GSK */
static void test_add_gsk_errors_and_eviction(void)
{
    mcgk_client_state s;
    st_alpha(&s, GUK_A, 1);
    s.tombstones[0].gmk_id = 0x0d000001u;
    s.n_tombstones = 1;
    mcgk_client_keyring kr;
    CHECK_OK(mcgk_client_keyring_init(&kr, &s, GA, NOW));
    mcgk_gsk_result r;
    memset(&r, 0, sizeof r);
    memset(r.gsk, 0x5a, sizeof r.gsk);
    r.gmk_id = K_MEDIA;
    r.csb_id = 0x12345678u;
    r.rand_len = 16;
    memcpy(r.rand, k_rand, 16);
    CHECK_OK(mcgk_client_keyring_add_gsk(&kr, &r, NOW, NULL));
    /* another key under the same CSB ID */
    r.gsk[0] ^= 1;
    CHECK_ERR(mcgk_client_keyring_add_gsk(&kr, &r, NOW, NULL), MCGK_ERR_DUPLICATE_KEY_ID);
    r.gsk[0] ^= 1;
    /* a CSB ID that is a GMK-ID held, or deleted */
    r.csb_id = K_FLOOR;
    CHECK_ERR(mcgk_client_keyring_add_gsk(&kr, &r, NOW, NULL), MCGK_ERR_DUPLICATE_KEY_ID);
    r.csb_id = 0x0d000001u;
    CHECK_ERR(mcgk_client_keyring_add_gsk(&kr, &r, NOW, NULL), MCGK_ERR_DUPLICATE_KEY_ID);
    /* under the floor-control GMK, an unknown GMK, a revoked one */
    r.csb_id = 0x22222222u;
    r.gmk_id = K_FLOOR;
    CHECK_ERR(mcgk_client_keyring_add_gsk(&kr, &r, NOW, NULL), MCGK_ERR_KEY_USAGE);
    r.gmk_id = 0x0a0000ffu;
    CHECK_ERR(mcgk_client_keyring_add_gsk(&kr, &r, NOW, NULL), MCGK_ERR_UNKNOWN_KEY_ID);
    r.gmk_id = K_MEDIA;
    s.gmks[0].revoked = 1;
    CHECK_ERR(mcgk_client_keyring_add_gsk(&kr, &r, NOW, NULL), MCGK_ERR_REVOKED);
    s.gmks[0].revoked = 0;
    r.rand_len = 0;
    CHECK_ERR(mcgk_client_keyring_add_gsk(&kr, &r, NOW, NULL), MCGK_ERR_INVALID_ARG);
    r.rand_len = 16;
    CHECK_ERR(mcgk_client_keyring_add_gsk(NULL, &r, NOW, NULL), MCGK_ERR_INVALID_ARG);
    CHECK_ERR(mcgk_client_keyring_add_gsk(&kr, NULL, NOW, NULL), MCGK_ERR_INVALID_ARG);
    /* fill up: the oldest (0x12345678, accepted at NOW) goes first */
    for (uint32_t i = 1; i < MCGK_CLIENT_MAX_GSKS; i++) {
        r.csb_id = 0x30000000u + i;
        CHECK_OK(mcgk_client_keyring_add_gsk(&kr, &r, NOW + i, NULL));
    }
    CHECK(kr.n_gsks == MCGK_CLIENT_MAX_GSKS);
    uint32_t ev = 0;
    r.csb_id = 0x3fffffffu;
    CHECK_OK(mcgk_client_keyring_add_gsk(&kr, &r, NOW + 100, &ev));
    CHECK(ev == 0x12345678u && kr.n_gsks == MCGK_CLIENT_MAX_GSKS);
    CHECK(mcgk_client_keyring_find_gsk(&kr, 0x12345678u) == NULL);
    CHECK(mcgk_client_keyring_find_gsk(&kr, 0x3fffffffu) != NULL);
    CHECK(mcgk_client_keyring_find_gsk(NULL, 0x3fffffffu) == NULL);
    mcgk_media_key k;
    CHECK_OK(lookup(&kr, 0x3fffffffu, &k));
    CHECK(k.uses == (MCGK_MEDIA_USE_RTP | MCGK_MEDIA_USE_RTCP) && k.key[0] == 0x5a);
    mcgk_wipe(&k, sizeof k);
    /* clear wipes the GSKs */
    mcgk_client_keyring_clear(&kr);
    static const mcgk_client_keyring zero;
    CHECK(memcmp(&kr, &zero, sizeof kr) == 0);
    mcgk_gsk_result_clear(&r);
    mcgk_client_state_clear(&s);
}

/* R-001-24: a rekey on removal leaves the removed member holding the old GMK. Once the
   new GMK has been in for the grace, the old one no longer protects the group's media
   or floor control (superseded); within the grace it does (packets in flight); a GMK
   that serves another group where it is still the current one stays usable; a pending
   (future) GMK is not superseded by the current one. */
static void test_R_001_24_superseded_after_the_grace(void)
{
    mcgk_client_state s;
    st_init(&s);
    add_group(&s, GA, 0);
    add_group(&s, GB, 0);
    gopt old = {.id = K_OLD, .use = MCGK_GMK_USE_MEDIA, .fill = 3, .act = -600, .rcv = -600};
    gopt cur = {.id = K_MEDIA, .use = MCGK_GMK_USE_MEDIA, .fill = 4, .act = -60, .rcv = -60};
    gopt nxt = {.id = 0x0a000040u, .use = MCGK_GMK_USE_MEDIA, .fill = 5, .act = 3600};
    add_gmk(&s, &old);
    add_gmk(&s, &cur);
    add_gmk(&s, &nxt);
    mcgk_client_keyring kr;
    mcgk_media_key k;
    /* 60 s after the successor arrived: superseded */
    CHECK_OK(mcgk_client_keyring_init(&kr, &s, GA, NOW));
    CHECK_ERR(lookup(&kr, K_OLD, &k), MCGK_ERR_SUPERSEDED);
    CHECK_OK(lookup(&kr, K_MEDIA, &k));
    CHECK_OK(lookup(&kr, 0x0a000040u, &k)); /* pending: accepted on receipt */
    /* within the grace: still accepted */
    s.gmks[1].received_unix_s = NOW - MCGK_CLIENT_SUPERSEDED_GRACE_S + 1;
    CHECK_OK(lookup(&kr, K_OLD, &k));
    s.gmks[1].received_unix_s = NOW - 60;
    /* the same for the unscoped ring, and the update drops it from a receiver's cache */
    mcgk_client_keyring all;
    CHECK_OK(mcgk_client_keyring_init(&all, &s, NULL, NOW - 45));
    CHECK_OK(lookup(&all, K_OLD, &k));
    uint32_t d[4];
    CHECK(mcgk_client_keyring_update(&all, &s, NOW, d, 4) == 1 && d[0] == K_OLD);
    /* an old GMK still current in another group of its stays usable there */
    mcgk_client_gmk *o = &s.gmks[0];
    CHECK_OK(mcgk_key_params_add_group(&o->params, GB, strlen(GB)));
    CHECK_OK(lookup(&all, K_OLD, &k));
    mcgk_client_keyring kb;
    CHECK_OK(mcgk_client_keyring_init(&kb, &s, GB, NOW));
    CHECK_OK(lookup(&kb, K_OLD, &k));
    CHECK_ERR(lookup(&kr, K_OLD, &k), MCGK_ERR_SUPERSEDED); /* not in alpha */
    mcgk_wipe(&k, sizeof k);
    mcgk_client_state_clear(&s);
}

/* after a reload the ring says which key IDs changed: revoked, deleted on removal (and the
   group left), expired, a media GMK that lost RTCP to a new floor-control GMK; nothing when
   nothing changed */
static void test_update_lists_what_changed(void)
{
    mcgk_client_state s0, s1;
    st_alpha(&s0, GUK_A, 0);
    gopt x = {.id = 0x0a000030u, .use = MCGK_GMK_USE_MEDIA, .exp = 30};
    add_gmk(&s0, &x);
    mcgk_client_keyring kr;
    CHECK_OK(mcgk_client_keyring_init(&kr, &s0, GA, NOW));
    uint32_t d[8];
    CHECK(mcgk_client_keyring_update(&kr, &s0, NOW + 1, d, 8) == 0);
    /* the second expires */
    CHECK(mcgk_client_keyring_update(&kr, &s0, NOW + 31, d, 8) == 1 && d[0] == 0x0a000030u);
    /* a floor-control GMK arrives: the media GMK keeps RTP, loses RTCP */
    st_alpha(&s1, GUK_A, 1);
    CHECK(mcgk_client_keyring_update(&kr, &s1, NOW + 31, d, 8) == 1 && d[0] == K_MEDIA);
    CHECK(kr.state == &s1 && kr.now_unix_s == NOW + 31);
    /* removed from the group: both go */
    s1.groups[0].removed = 1;
    mcgk_client_state s2;
    st_alpha(&s2, GUK_A, 1);
    CHECK_OK(mcgk_client_keyring_init(&kr, &s2, GA, NOW));
    CHECK(mcgk_client_keyring_update(&kr, &s1, NOW, d, 8) == 2);
    CHECK((d[0] == K_MEDIA && d[1] == K_FLOOR));
    /* cap: counted, not written beyond */
    CHECK_OK(mcgk_client_keyring_init(&kr, &s2, GA, NOW));
    d[1] = 0;
    CHECK(mcgk_client_keyring_update(&kr, &s1, NOW, d, 1) == 2 && d[1] == 0);
    CHECK(mcgk_client_keyring_update(NULL, &s1, NOW, d, 1) == 0);
    mcgk_client_state_clear(&s0);
    mcgk_client_state_clear(&s1);
    mcgk_client_state_clear(&s2);
}

int main(void)
{
    g_rng = mcgk_test_prng_init(&g_prng, 0x6b657972696e67ull);
    TEST_RUN(test_media_key_by_gmk_id);
    TEST_RUN(test_R_003_34_R_001_33_revoked_deleted_expired);
    TEST_RUN(test_R_004_12_R_004_13_uses);
    TEST_RUN(test_scope_group_and_membership);
    TEST_RUN(test_R_002_19_gmk_lookup_for_gsk);
    TEST_RUN(test_R_001_23_R_000_23_sender_select);
    TEST_RUN(test_R_003_37_members_send_under_their_own_keys);
    TEST_RUN(test_R_001_33_removed_member_and_non_member_cannot_decrypt);
    TEST_RUN(test_R_004_12_R_004_13_floor_control_under_the_second_gmk);
    TEST_RUN(test_R_002_19_R_002_23_gsk_session);
    TEST_RUN(test_add_gsk_errors_and_eviction);
    TEST_RUN(test_update_lists_what_changed);
    TEST_RUN(test_R_001_24_superseded_after_the_grace);
    TEST_MAIN_END();
}
