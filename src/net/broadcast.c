/*
 * UDP multicast (or broadcast / unicast) for the off-network media-session
 * creation message. See net/broadcast.h. RFC 1112 (host groups, TTL),
 * RFC 2365 (239/8, administratively scoped); Linux ip(7) socket options.
 *
 * No secrets.
 */
#include "net/broadcast.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "platform/log.h"

#define COMP "broadcast"

struct mcgk_bcast_sender {
    int fd;
    struct sockaddr_in to;
};

struct mcgk_bcast_receiver {
    int fd;
};

static int parse_v4(const char *s, struct in_addr *a)
{
    return s != NULL && inet_pton(AF_INET, s, a) == 1;
}

static int is_multicast(struct in_addr a)
{
    return IN_MULTICAST(ntohl(a.s_addr));
}

mcgk_err mcgk_bcast_sender_new(const mcgk_bcast_sender_config *cfg, mcgk_bcast_sender **out)
{
    struct in_addr dst, ifa;
    if (cfg == NULL || out == NULL || !parse_v4(cfg->addr, &dst) || cfg->port == 0 ||
        cfg->ttl > 255 || (cfg->interface != NULL && !parse_v4(cfg->interface, &ifa)))
        return MCGK_ERR_INVALID_ARG;
    mcgk_bcast_sender *s = calloc(1, sizeof *s);
    if (s == NULL)
        return MCGK_ERR_NO_MEMORY;
    s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int ok = s->fd >= 0;
    if (ok && is_multicast(dst)) {
        unsigned char ttl = (unsigned char)(cfg->ttl < 0 ? 1 : cfg->ttl);
        unsigned char loop = cfg->loop ? 1 : 0;
        ok = setsockopt(s->fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) == 0 &&
             setsockopt(s->fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop) == 0 &&
             (cfg->interface == NULL ||
              setsockopt(s->fd, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof ifa) == 0);
    } else if (ok) {
        /* the fallback: a broadcast address needs SO_BROADCAST; harmless for unicast */
        int one = 1;
        ok = setsockopt(s->fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) == 0;
        if (ok && cfg->interface != NULL) {
            struct sockaddr_in local;
            memset(&local, 0, sizeof local);
            local.sin_family = AF_INET;
            local.sin_addr = ifa;
            ok = bind(s->fd, (struct sockaddr *)&local, sizeof local) == 0;
        }
    }
    if (!ok) {
        mcgk_log(MCGK_LOG_ERROR, COMP, "socket-failed", "addr=%s errno=%d", cfg->addr, errno);
        mcgk_bcast_sender_free(s);
        return MCGK_ERR_IO;
    }
    s->to.sin_family = AF_INET;
    s->to.sin_port = htons(cfg->port);
    s->to.sin_addr = dst;
    *out = s;
    return MCGK_OK;
}

mcgk_err mcgk_bcast_send(mcgk_bcast_sender *s, const uint8_t *frame, size_t len)
{
    if (s == NULL || (frame == NULL && len > 0))
        return MCGK_ERR_INVALID_ARG;
    ssize_t n = sendto(s->fd, frame, len, MSG_NOSIGNAL, (const struct sockaddr *)&s->to,
                       sizeof s->to);
    if (n != (ssize_t)len) {
        mcgk_log(MCGK_LOG_WARN, COMP, "send-failed", "errno=%d", errno);
        return MCGK_ERR_IO;
    }
    return MCGK_OK;
}

void mcgk_bcast_sender_free(mcgk_bcast_sender *s)
{
    if (s == NULL)
        return;
    if (s->fd >= 0)
        close(s->fd);
    free(s);
}

mcgk_err mcgk_bcast_receiver_new(const char *addr, uint16_t port, const char *interface,
                                 mcgk_bcast_receiver **out)
{
    struct in_addr group, ifa;
    ifa.s_addr = htonl(INADDR_ANY);
    if (out == NULL || !parse_v4(addr, &group) || port == 0 ||
        (interface != NULL && !parse_v4(interface, &ifa)))
        return MCGK_ERR_INVALID_ARG;
    mcgk_bcast_receiver *r = calloc(1, sizeof *r);
    if (r == NULL)
        return MCGK_ERR_NO_MEMORY;
    r->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1, ok = r->fd >= 0;
    struct sockaddr_in local;
    memset(&local, 0, sizeof local);
    local.sin_family = AF_INET;
    local.sin_port = htons(port);
    /* a group: bind the group address itself, so that only its datagrams arrive; a
     * broadcast or unicast destination: any address of ours */
    local.sin_addr.s_addr = is_multicast(group) ? group.s_addr : htonl(INADDR_ANY);
    ok = ok && setsockopt(r->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
         bind(r->fd, (struct sockaddr *)&local, sizeof local) == 0;
    if (ok && is_multicast(group)) {
        struct ip_mreq mr;
        mr.imr_multiaddr = group;
        mr.imr_interface = ifa;
        ok = setsockopt(r->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr) == 0;
    }
    if (!ok) {
        mcgk_log(MCGK_LOG_ERROR, COMP, "listen-failed", "addr=%s port=%u errno=%d", addr,
                 (unsigned)port, errno);
        mcgk_bcast_receiver_free(r);
        return MCGK_ERR_IO;
    }
    *out = r;
    return MCGK_OK;
}

mcgk_err mcgk_bcast_receive(mcgk_bcast_receiver *r, int timeout_ms, uint8_t *buf, size_t cap,
                            size_t *len, char *from, size_t from_cap)
{
    if (r == NULL || buf == NULL || len == NULL)
        return MCGK_ERR_INVALID_ARG;
    *len = 0;
    struct pollfd pf = {r->fd, POLLIN, 0};
    int pr = poll(&pf, 1, timeout_ms < 0 ? 0 : timeout_ms);
    if (pr < 0)
        return errno == EINTR ? MCGK_OK : MCGK_ERR_IO;
    if (pr == 0)
        return MCGK_OK;
    struct sockaddr_in src;
    socklen_t sl = sizeof src;
    /* MSG_TRUNC: the real length, so that an oversized datagram is seen and dropped */
    ssize_t n = recvfrom(r->fd, buf, cap, MSG_TRUNC | MSG_DONTWAIT, (struct sockaddr *)&src, &sl);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? MCGK_OK : MCGK_ERR_IO;
    *len = (size_t)n > cap ? cap + 1 : (size_t)n;
    if (from != NULL && from_cap > 0) {
        char h[INET_ADDRSTRLEN] = "?";
        (void)inet_ntop(AF_INET, &src.sin_addr, h, sizeof h);
        snprintf(from, from_cap, "%s:%u", h, (unsigned)ntohs(src.sin_port));
    }
    return MCGK_OK;
}

void mcgk_bcast_receiver_free(mcgk_bcast_receiver *r)
{
    if (r == NULL)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r);
}
