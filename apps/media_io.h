/*
 * apps/media_io.h - what `mcgk client call` and `mcgk client listen` share
 * (apps/cmd_client_call.c, apps/cmd_client_listen.c): the client's stores
 * and the state of one identity, the KMSs it trusts and its ECCSI signer,
 * UDP sockets for group media (IPv4 unicast or multicast, loopback by
 * default), and the packets of a group call - a G.711 tone in RTP, MCPTT
 * floor control in RTCP APP, the SDP offer with the GSK message and its
 * off-network broadcast frame - and how a received
 * datagram is told apart.
 *
 * Spec: TS 33.180 §7.4.2 (group media under the GMK), RFC 3550 (RTP, RTCP
 * APP), RFC 5761 §4 (RTP / RTCP on one port), ITU-T G.711 (u-law), TS 24.380
 * (floor control "MCPT" APP messages), README §2.8 / seed 002 (the GSK in a
 * broadcast media-session creation message, R-002-20..23), RFC 4566 / RFC
 * 4567 (SDP with a=key-mgmt:mikey).
 *
 * Secrets: the store's DEK (media_keys.dek, wiped by media_keys_close), the
 * states loaded (mcgk_client_state_clear wipes), the signer's SSK
 * (mcgk_eccsi_signer_clear). Packets built here carry no secret before they
 * are protected.
 */
#ifndef MCGK_APPS_MEDIA_IO_H
#define MCGK_APPS_MEDIA_IO_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "mcgk/broadcast.h"
#include "mcgk/client.h"
#include "mcgk/eccsi.h"
#include "mcgk/gmk_message.h"
#include "mcgk/kms.h"
#include "shell.h"
#include "store/client_gmk.h"
#include "store/store.h"

/* ---- the stores and one identity ---------------------------------------------------------- */

typedef struct media_keys {
    char dir[SHELL_PATH_MAX];
    mcgk_client_store *cs;          /* key sets, KMS certificates */
    mcgk_client_gmk_store *gs;      /* GMK states */
    uint8_t dek[MCGK_SEAL_KEY_LEN]; /* secret */
    char identity[MCGK_KMS_URI_MAX];
} media_keys;

/*
 * Open DATA_DIR/client.db (it must exist) for --identity, or for the only
 * identity with GMK rows when the flag is absent. Prints the problem.
 * Returns MCGK_OK, MCGK_ERR_USAGE (no --identity and not exactly one
 * identity), and the codes of client_open_store and the GMK store.
 */
mcgk_err media_keys_open(const cli_args *a, media_keys *m);
/* Load the identity's state (see mcgk_client_gmk_store_load). */
mcgk_err media_keys_load(media_keys *m, mcgk_client_state *st);
void media_keys_close(media_keys *m);

/* The KMSs whose users' signatures are accepted: the home KMS and every partner KMS
 * certificate usable now (R-004-03). */
typedef struct media_trust {
    mcgk_kms_cert *certs;
    mcgk_gmk_kms *kms; /* views into certs; kms[0] is the home KMS when home = 1 */
    size_t n;
    int home;
} media_trust;

mcgk_err media_trust_load(media_keys *m, uint64_t now_unix_s, media_trust *t);
void media_trust_free(media_trust *t);
/* mcgk_gsk_signer_kms_fn over a media_trust (ctx): the KMS the message names, or the home
 * KMS when it names none. */
const mcgk_gmk_kms *media_trust_find(void *ctx, const char *initiator_uri, const char *kms_uri);

/* The identity's ECCSI signer for the key period of t_ntp_s under its home KMS (t->kms[0]).
 * MCGK_ERR_NO_KEYS when none is held; the codes of mcgk_client_keys_at and
 * mcgk_eccsi_signer_init. Wipe with mcgk_eccsi_signer_clear. */
mcgk_err media_signer(media_keys *m, const media_trust *t, uint64_t t_ntp_s,
                      mcgk_eccsi_signer *signer);

/* ---- addresses and sockets ------------------------------------------------------------------ */

typedef struct media_addr {
    struct sockaddr_in sa;
    int multicast; /* 224.0.0.0/4 */
    char text[32]; /* "A.B.C.D:PORT" */
} media_addr;

/* "A.B.C.D:PORT" (IPv4, port 1..65535). Prints the problem; MCGK_ERR_USAGE. */
mcgk_err media_addr_parse(const char *flag, const char *s, media_addr *out);
/* --interface A.B.C.D (default 127.0.0.1): the interface multicast is sent and joined on. */
mcgk_err media_iface(const cli_args *a, struct in_addr *out);

/* A socket that sends to dst: for a multicast group through iface, with IP_MULTICAST_LOOP
 * on (so listeners on the same host hear it) and TTL ttl. MCGK_ERR_IO. */
mcgk_err media_socket_tx(const media_addr *dst, struct in_addr iface, int ttl, int *fd);
/* A socket that receives what is sent to at: bound to the group and joined on iface
 * (several listeners on one host share the port), or bound to the unicast address.
 * MCGK_ERR_IO (printed). */
mcgk_err media_socket_rx(const media_addr *at, struct in_addr iface, int *fd);
/* sendto; 0 or -1 (errno kept). */
int media_send(int fd, const media_addr *dst, const uint8_t *p, size_t n);

/* ---- packets ----------------------------------------------------------------------------- */

#define MEDIA_SAMPLE_RATE 8000 /* G.711 */
#define MEDIA_FRAME_SAMPLES 160 /* 20 ms at 8 kHz, one octet each */
#define MEDIA_PT_PCMU 0        /* RTP payload type of G.711 u-law (RFC 3551) */
#define MEDIA_RTP_LEN (MCGK_RTP_HEADER_LEN + MEDIA_FRAME_SAMPLES)

/* One 20 ms packet of a 440 Hz tone (G.711 u-law, PT 0; samples sample0 .. +159):
 * writes MEDIA_RTP_LEN octets. */
size_t media_rtp_tone(uint8_t *p, uint32_t ssrc, uint16_t seq, uint32_t timestamp, int marker,
                      uint64_t sample0);

/* G.711 u-law of a 16-bit linear sample. */
uint8_t media_ulaw(int16_t pcm);

#define MEDIA_FLOOR_REQUEST 0 /* TS 24.380 floor control message subtypes ("MCPT") */
#define MEDIA_FLOOR_RELEASE 4

/* An RTCP APP "MCPT" floor control message (RFC 3550 §6.7, TS 24.380): a Floor Request
 * carries a Floor Priority field; 12 or 16 octets. */
size_t media_floor_msg(uint8_t *p, uint32_t ssrc, unsigned subtype, uint8_t priority);
/* The subtype of an APP "MCPT" message, or -1. */
int media_floor_subtype(const uint8_t *p, size_t n);

typedef enum media_kind {
    MEDIA_KIND_RTP = 0,
    MEDIA_KIND_RTCP = 1,     /* RFC 5761 §4: packet types 192..223 */
    MEDIA_KIND_ANNOUNCE = 2, /* a GSK announcement (a broadcast frame, "MCGB") */
    MEDIA_KIND_OTHER = 3
} media_kind;

media_kind media_classify(const uint8_t *p, size_t n);

/*
 * The SDP offer of a group call (RFC 4566): the call's one audio stream
 * (G.711 u-law over RTP/SAVP on the media address) and the GSK message in
 * a=key-mgmt:mikey at session level (RFC 4567 §3.1; mikey.md §14,
 * R-002-12). The same offer goes in the INVITE to the group controller
 * (on network, R-002-17/18) and in the broadcast frame (off network,
 * R-002-20). MCGK_OK, MCGK_ERR_BUFFER_TOO_SMALL, MCGK_ERR_NO_MEMORY, the
 * codes of mcgk_mikey_sdp_attr.
 */
mcgk_err media_offer_sdp(const uint8_t *gsk_msg, size_t len, const media_addr *media,
                         uint32_t session_id, char *out, size_t cap, size_t *out_len);
/* The GSK message of an offer's a=key-mgmt:mikey line into msg[0..cap) (the codes of
 * mcgk_mikey_unwrap). */
mcgk_err media_offer_gsk(const uint8_t *sdp, size_t n, uint8_t *msg, size_t cap,
                         size_t *msg_len);

/*
 * The GSK announcement off network (R-002-20: the media-session creation
 * message, broadcast on the call's own address, best effort, no answers):
 * the offer in the broadcast frame of mcgk/broadcast.h, so that the
 * off-network path has one format (docs/controller.md "Broadcast frame").
 * Every repeat of one announcement carries the same session id and the
 * next repeat number. Encode: the codes of mcgk_bcast_encode. Decode: the
 * codes of mcgk_bcast_parse (f->sdp points into p).
 */
mcgk_err media_announce_encode(const char *sdp, size_t sdp_len, const char *originator,
                               const char *group, const uint8_t session_id[8], uint16_t repeat,
                               uint64_t sent_unix_ms, uint8_t *out, size_t cap, size_t *out_len);
mcgk_err media_announce_decode(const uint8_t *p, size_t n, mcgk_bcast_frame *f);

#endif
