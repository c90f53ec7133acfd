/*
 * net/broadcast.h - the sockets of the off-network media-session creation
 * message (R-002-20: broadcast, no answers, best effort; the frame is
 * mcgk/broadcast.h's). The destination is an IPv4 multicast group (e.g.
 * 239.255.0.1 - administratively scoped, RFC 2365) or, as a fallback where
 * multicast does not work, a broadcast or unicast address: the sender
 * sets IP_MULTICAST_IF / TTL / LOOP for a group, SO_BROADCAST otherwise;
 * the receiver binds the port (SO_REUSEADDR, so several members share a
 * host) and joins the group on the given interface.
 *
 * On one host (the tests): group 239.x, interface 127.0.0.1, TTL 0 or 1,
 * loop on - the kernel delivers a copy to every local member. Across a
 * link (network namespaces, real radios): TTL 1, the interface's address.
 *
 * Secrets: none.
 */
#ifndef MCGK_NET_BROADCAST_H
#define MCGK_NET_BROADCAST_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/error.h"

typedef struct mcgk_bcast_sender_config {
    const char *addr;      /* numeric IPv4 destination: multicast group, broadcast, unicast */
    uint16_t port;
    const char *interface; /* numeric local address to send from; NULL = the kernel's choice */
    int ttl;               /* multicast TTL 0..255 (0: this host only); -1 = 1 */
    int loop;              /* 1: local members get it too (IP_MULTICAST_LOOP) */
} mcgk_bcast_sender_config;

typedef struct mcgk_bcast_sender mcgk_bcast_sender;

/* MCGK_OK, MCGK_ERR_INVALID_ARG (not a numeric IPv4 address, port 0, ttl > 255),
 * MCGK_ERR_IO (socket options), MCGK_ERR_NO_MEMORY. */
mcgk_err mcgk_bcast_sender_new(const mcgk_bcast_sender_config *cfg, mcgk_bcast_sender **out);
/* One datagram. MCGK_ERR_IO when the kernel refuses it (e.g. no route). */
mcgk_err mcgk_bcast_send(mcgk_bcast_sender *s, const uint8_t *frame, size_t len);
void mcgk_bcast_sender_free(mcgk_bcast_sender *s);

typedef struct mcgk_bcast_receiver mcgk_bcast_receiver;

/*
 * Listen on port; join addr when it is a multicast group (on interface, or
 * INADDR_ANY's choice when NULL). MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_IO
 * (bind, join), MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_bcast_receiver_new(const char *addr, uint16_t port, const char *interface,
                                 mcgk_bcast_receiver **out);
/*
 * Wait up to timeout_ms for one datagram (bounded: at most cap octets are
 * kept; a longer one is reported with *len = cap + 1 and dropped). *len = 0
 * when the time ran out. from (may be NULL) gets "a.b.c.d:port".
 * MCGK_OK, MCGK_ERR_IO.
 */
mcgk_err mcgk_bcast_receive(mcgk_bcast_receiver *r, int timeout_ms, uint8_t *buf, size_t cap,
                            size_t *len, char *from, size_t from_cap);
void mcgk_bcast_receiver_free(mcgk_bcast_receiver *r);

#endif
