/* Group call plumbing for `mcgk client call` / `listen`. See media_io.h. */
#include "media_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client_app.h"
#include "mcgk/base.h"
#include "mcgk/kdf.h"
#include "mcgk/mikey.h"
#include "mcgk/srtp.h"

/* ---- the stores ------------------------------------------------------------------------- */

typedef struct ident_pick {
    char first[MCGK_KMS_URI_MAX];
    size_t n;
} ident_pick;

static int pick_identity(void *ctx, const char *identity)
{
    ident_pick *p = ctx;
    if (p->n++ == 0)
        snprintf(p->first, sizeof p->first, "%s", identity);
    return 0;
}

mcgk_err media_keys_open(const cli_args *a, media_keys *m)
{
    memset(m, 0, sizeof *m);
    char path[SHELL_PATH_MAX];
    mcgk_err e = client_open_store(a, 0, m->dir, &m->cs, m->dek);
    if (e == MCGK_OK)
        e = shell_path(m->dir, CLIENT_DB_NAME, path);
    if (e == MCGK_OK)
        e = mcgk_client_gmk_store_open(path, &m->gs);
    if (e != MCGK_OK)
        return e;
    const char *id = cli_get(a, "identity");
    if (id != NULL) {
        if (id[0] == '\0' || strlen(id) >= sizeof m->identity) {
            fprintf(stderr, "--identity: empty or too long\n");
            return MCGK_ERR_USAGE;
        }
        memcpy(m->identity, id, strlen(id) + 1);
        return MCGK_OK;
    }
    ident_pick p;
    memset(&p, 0, sizeof p);
    e = mcgk_client_gmk_store_identities(m->gs, pick_identity, &p);
    if (e == MCGK_OK && p.n != 1) {
        fprintf(stderr, "%s identities in %s: say which with --identity\n",
                p.n == 0 ? "no" : "several", m->dir);
        return MCGK_ERR_USAGE;
    }
    if (e == MCGK_OK)
        memcpy(m->identity, p.first, sizeof m->identity);
    return e;
}

mcgk_err media_keys_load(media_keys *m, mcgk_client_state *st)
{
    return mcgk_client_gmk_store_load(m->gs, m->dek, m->identity, st);
}

void media_keys_close(media_keys *m)
{
    if (m == NULL)
        return;
    mcgk_wipe(m->dek, sizeof m->dek);
    mcgk_client_gmk_store_close(m->gs);
    mcgk_client_store_close(m->cs);
    m->gs = NULL;
    m->cs = NULL;
}

/* ---- trust and signing -------------------------------------------------------------------- */

typedef struct trust_ctx {
    media_trust *t;
    size_t cap;
    uint64_t now;
    int pass; /* 0: count; 1: home; 2: partners */
} trust_ctx;

static int trust_row(void *ctx, const mcgk_client_cert_row *row)
{
    trust_ctx *c = ctx;
    if (c->pass == 0) {
        c->cap++;
        return 0;
    }
    if ((c->pass == 1) != (row->home != 0) || c->t->n >= c->cap)
        return 0;
    mcgk_kms_cert *cert = &c->t->certs[c->t->n];
    const uint8_t *xml = (const uint8_t *)row->cert_xml;
    if (mcgk_kms_cert_parse(xml, strlen(row->cert_xml), cert) != MCGK_OK ||
        mcgk_kms_cert_check(cert, c->now) != MCGK_OK)
        return 0; /* not usable now: not trusted */
    mcgk_gmk_kms *k = &c->t->kms[c->t->n++];
    k->kms_uri = cert->kms_uri;
    k->period_s = cert->user_key_period_s;
    k->offset_s = cert->user_key_offset_s;
    k->kpak = cert->pub_auth_key;
    k->community = NULL;
    if (row->home)
        c->t->home = 1;
    return 0;
}

mcgk_err media_trust_load(media_keys *m, uint64_t now_unix_s, media_trust *t)
{
    memset(t, 0, sizeof *t);
    trust_ctx c = {t, 0, now_unix_s, 0};
    mcgk_err e = m->cs->ops->cert_list(m->cs, trust_row, &c);
    if (e != MCGK_OK || c.cap == 0)
        return e;
    t->certs = calloc(c.cap, sizeof *t->certs);
    t->kms = calloc(c.cap, sizeof *t->kms);
    if (t->certs == NULL || t->kms == NULL) {
        media_trust_free(t);
        return MCGK_ERR_NO_MEMORY;
    }
    for (c.pass = 1; c.pass <= 2 && e == MCGK_OK; c.pass++)
        e = m->cs->ops->cert_list(m->cs, trust_row, &c);
    return e;
}

void media_trust_free(media_trust *t)
{
    if (t == NULL)
        return;
    free(t->certs);
    free(t->kms);
    memset(t, 0, sizeof *t);
}

const mcgk_gmk_kms *media_trust_find(void *ctx, const char *initiator_uri, const char *kms_uri)
{
    const media_trust *t = ctx;
    (void)initiator_uri;
    if (t == NULL || t->n == 0)
        return NULL;
    if (kms_uri == NULL || kms_uri[0] == '\0')
        return t->home ? &t->kms[0] : NULL;
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->kms[i].kms_uri, kms_uri) == 0)
            return &t->kms[i];
    return NULL;
}

mcgk_err media_signer(media_keys *m, const media_trust *t, uint64_t t_ntp_s,
                      mcgk_eccsi_signer *signer)
{
    if (!t->home)
        return MCGK_ERR_NO_KEYS;
    mcgk_kms_keyset *ks = malloc(sizeof *ks);
    if (ks == NULL)
        return MCGK_ERR_NO_MEMORY;
    mcgk_err e = mcgk_client_keys_at(m->cs, m->dek, m->identity, t->kms[0].kms_uri, t_ntp_s, ks);
    if (e == MCGK_OK)
        e = mcgk_eccsi_signer_init(signer, t->kms[0].kpak, ks->user_id, sizeof ks->user_id,
                                   ks->ssk, ks->pvt);
    mcgk_kms_keyset_clear(ks);
    free(ks);
    return e;
}

/* ---- addresses and sockets ---------------------------------------------------------------- */

mcgk_err media_addr_parse(const char *flag, const char *s, media_addr *out)
{
    memset(out, 0, sizeof *out);
    const char *colon = s != NULL ? strrchr(s, ':') : NULL;
    char host[INET_ADDRSTRLEN];
    size_t hl = colon != NULL ? (size_t)(colon - s) : 0;
    char *end = NULL;
    unsigned long port = colon != NULL ? strtoul(colon + 1, &end, 10) : 0;
    if (colon == NULL || hl == 0 || hl >= sizeof host || end == colon + 1 || *end != '\0' ||
        port == 0 || port > 65535) {
        fprintf(stderr, "--%s: want A.B.C.D:PORT (IPv4), got '%s'\n", flag, s ? s : "");
        return MCGK_ERR_USAGE;
    }
    memcpy(host, s, hl);
    host[hl] = '\0';
    out->sa.sin_family = AF_INET;
    out->sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &out->sa.sin_addr) != 1) {
        fprintf(stderr, "--%s: '%s' is not an IPv4 address\n", flag, host);
        return MCGK_ERR_USAGE;
    }
    out->multicast = IN_MULTICAST(ntohl(out->sa.sin_addr.s_addr));
    snprintf(out->text, sizeof out->text, "%s:%lu", host, port);
    return MCGK_OK;
}

mcgk_err media_iface(const cli_args *a, struct in_addr *out)
{
    const char *v = cli_get(a, "interface");
    if (v == NULL)
        v = "127.0.0.1";
    if (inet_pton(AF_INET, v, out) != 1) {
        fprintf(stderr, "--interface: '%s' is not an IPv4 address\n", v);
        return MCGK_ERR_USAGE;
    }
    return MCGK_OK;
}

mcgk_err media_socket_tx(const media_addr *dst, struct in_addr iface, int ttl, int *fd)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        perror("socket");
        return MCGK_ERR_IO;
    }
    if (dst->multicast) {
        unsigned char loop = 1, t = (unsigned char)ttl;
        if (setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &iface, sizeof iface) != 0 ||
            setsockopt(s, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop) != 0 ||
            setsockopt(s, IPPROTO_IP, IP_MULTICAST_TTL, &t, sizeof t) != 0) {
            perror("multicast options");
            close(s);
            return MCGK_ERR_IO;
        }
    }
    *fd = s;
    return MCGK_OK;
}

mcgk_err media_socket_rx(const media_addr *at, struct in_addr iface, int *fd)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        perror("socket");
        return MCGK_ERR_IO;
    }
    int one = 1, rcvbuf = 1 << 20;
    /* several listeners of one group on one host: each gets a copy of every datagram */
    if (at->multicast && (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
                          setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)) {
        perror("SO_REUSEADDR");
        close(s);
        return MCGK_ERR_IO;
    }
    (void)setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf); /* best effort */
    if (bind(s, (const struct sockaddr *)&at->sa, sizeof at->sa) != 0) {
        fprintf(stderr, "bind %s: %s\n", at->text, strerror(errno));
        close(s);
        return MCGK_ERR_IO;
    }
    if (at->multicast) {
        struct ip_mreq mr;
        mr.imr_multiaddr = at->sa.sin_addr;
        mr.imr_interface = iface;
        if (setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr) != 0) {
            fprintf(stderr, "join %s: %s\n", at->text, strerror(errno));
            close(s);
            return MCGK_ERR_IO;
        }
    }
    *fd = s;
    return MCGK_OK;
}

int media_send(int fd, const media_addr *dst, const uint8_t *p, size_t n)
{
    ssize_t r = sendto(fd, p, n, 0, (const struct sockaddr *)&dst->sa, sizeof dst->sa);
    return r == (ssize_t)n ? 0 : -1;
}

/* ---- packets ----------------------------------------------------------------------------- */

static void put16(uint8_t *p, uint32_t v)
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

/* ITU-T G.711 u-law: bias 0x84, clip, segment = position of the top bit, 4 mantissa bits,
   every bit inverted */
uint8_t media_ulaw(int16_t pcm)
{
    int v = pcm;
    unsigned sign = 0;
    if (v < 0) {
        v = -v;
        sign = 0x80;
    }
    if (v > 32635)
        v = 32635;
    v += 0x84;
    unsigned seg = 7;
    for (int mask = 0x4000; (v & mask) == 0 && seg > 0; mask >>= 1)
        seg--;
    unsigned mant = ((unsigned)v >> (seg + 3)) & 0x0f;
    return (uint8_t)~(sign | (seg << 4) | mant);
}

size_t media_rtp_tone(uint8_t *p, uint32_t ssrc, uint16_t seq, uint32_t timestamp, int marker,
                      uint64_t sample0)
{
    /* RFC 3550 §5.1: V=2, no padding, extension or CSRC; M on the first packet of a talk burst */
    p[0] = 0x80;
    p[1] = (uint8_t)((marker ? 0x80 : 0) | MEDIA_PT_PCMU);
    put16(p + 2, seq);
    put32(p + 4, timestamp);
    put32(p + 8, ssrc);
    const double w = 2.0 * 3.14159265358979323846 * 440.0 / MEDIA_SAMPLE_RATE;
    for (size_t i = 0; i < MEDIA_FRAME_SAMPLES; i++) {
        double x = 8000.0 * sin(w * (double)((sample0 + i) % (MEDIA_SAMPLE_RATE * 100u)));
        p[MCGK_RTP_HEADER_LEN + i] = media_ulaw((int16_t)lrint(x));
    }
    return MEDIA_RTP_LEN;
}

size_t media_floor_msg(uint8_t *p, uint32_t ssrc, unsigned subtype, uint8_t priority)
{
    /* RFC 3550 §6.7 APP: V=2, P=0, subtype (5 bits), PT=204, length in words - 1, SSRC,
       name "MCPT" (TS 24.380 §8.2); a Floor Request carries Floor Priority (field ID 102,
       length 2, priority, spare: the field layout of TS 24.380 v13, as test_srtp_session) */
    size_t n = subtype == MEDIA_FLOOR_REQUEST ? 16 : 12;
    p[0] = (uint8_t)(0x80 | (subtype & 0x1f));
    p[1] = 204;
    put16(p + 2, (uint32_t)(n / 4 - 1));
    put32(p + 4, ssrc);
    memcpy(p + 8, "MCPT", 4);
    if (n == 16) {
        p[12] = 102;
        p[13] = 2;
        p[14] = priority;
        p[15] = 0;
    }
    return n;
}

int media_floor_subtype(const uint8_t *p, size_t n)
{
    if (n < 12 || (p[0] & 0xc0) != 0x80 || p[1] != 204 || memcmp(p + 8, "MCPT", 4) != 0)
        return -1;
    return p[0] & 0x1f;
}

media_kind media_classify(const uint8_t *p, size_t n)
{
    /* "MCGB": 0x4d has version bits 01, never RTP / RTCP (version 2) */
    if (n >= 4 && memcmp(p, MCGK_BCAST_MAGIC, 4) == 0)
        return MEDIA_KIND_ANNOUNCE;
    if (n < 8 || (p[0] & 0xc0) != 0x80)
        return MEDIA_KIND_OTHER;
    /* RFC 5761 §4: RTCP packet types 192..223 never collide with RTP payload types 0..95 */
    return p[1] >= 192 && p[1] <= 223 ? MEDIA_KIND_RTCP : MEDIA_KIND_RTP;
}

mcgk_err media_offer_sdp(const uint8_t *gsk_msg, size_t len, const media_addr *media,
                         uint32_t session_id, char *out, size_t cap, size_t *out_len)
{
    size_t al = 0;
    mcgk_err e = mcgk_mikey_sdp_attr(gsk_msg, len, NULL, 0, &al);
    if (e != MCGK_OK)
        return e;
    char *attr = malloc(al + 1);
    if (attr == NULL)
        return MCGK_ERR_NO_MEMORY;
    e = mcgk_mikey_sdp_attr(gsk_msg, len, attr, al + 1, &al);
    char host[INET_ADDRSTRLEN] = "0.0.0.0";
    inet_ntop(AF_INET, &media->sa.sin_addr, host, sizeof host);
    /* RFC 4566 session description: the group call's one audio stream, SRTP, G.711 u-law;
       the key management attribute at session level (RFC 4567 §3.1) */
    int n = e == MCGK_OK ? snprintf(out, cap,
                                    "v=0\r\no=- %" PRIu32 " 1 IN IP4 %s\r\ns=mcgk group call\r\n"
                                    "c=IN IP4 %s%s\r\nt=0 0\r\n%s\r\n"
                                    "m=audio %u RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
                                    session_id, host, host, media->multicast ? "/1" : "", attr,
                                    (unsigned)ntohs(media->sa.sin_port))
                         : 0;
    free(attr);
    if (e != MCGK_OK)
        return e;
    if (n < 0 || (size_t)n >= cap)
        return MCGK_ERR_BUFFER_TOO_SMALL;
    *out_len = (size_t)n;
    return MCGK_OK;
}

mcgk_err media_offer_gsk(const uint8_t *sdp, size_t n, uint8_t *msg, size_t cap,
                         size_t *msg_len)
{
    return mcgk_mikey_unwrap(sdp, n, msg, cap, msg_len);
}

mcgk_err media_announce_encode(const char *sdp, size_t sdp_len, const char *originator,
                               const char *group, const uint8_t session_id[8], uint16_t repeat,
                               uint64_t sent_unix_ms, uint8_t *out, size_t cap, size_t *out_len)
{
    mcgk_bcast_frame f;
    memset(&f, 0, sizeof f);
    if (strlen(originator) > MCGK_BCAST_MAX_URI || strlen(group) > MCGK_BCAST_MAX_URI)
        return MCGK_ERR_INVALID_ARG;
    f.type = MCGK_BCAST_TYPE_SESSION;
    memcpy(f.session_id, session_id, sizeof f.session_id);
    f.repeat = repeat;
    f.sent_unix_ms = sent_unix_ms;
    memcpy(f.originator, originator, strlen(originator) + 1);
    memcpy(f.group, group, strlen(group) + 1);
    f.sdp = (const uint8_t *)sdp;
    f.sdp_len = sdp_len;
    return mcgk_bcast_encode(&f, out, cap, out_len);
}

mcgk_err media_announce_decode(const uint8_t *p, size_t n, mcgk_bcast_frame *f)
{
    return mcgk_bcast_parse(p, n, f);
}
