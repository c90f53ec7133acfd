/*
 * apps/cmd_sip.h - what the `mcgk sip` verbs in several files share
 * (apps/cmd_sip.c: listen, notify, register; apps/cmd_sip_call.c: invite,
 * answer; apps/cmd_sip_bcast.c: broadcast-send, broadcast-listen) and
 * `mcgk controller`.
 */
#ifndef MCGK_APPS_CMD_SIP_H
#define MCGK_APPS_CMD_SIP_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "net/sip_ua.h"

/* HOST:PORT, [V6]:PORT or PORT (host 127.0.0.1). MCGK_ERR_USAGE. */
mcgk_err sip_cli_hostport(const char *s, char *host, size_t cap, uint16_t *port);

/* An unsigned flag within [lo, hi] (absent: def). Prints the problem. */
mcgk_err sip_cli_u32(const cli_args *a, const char *name, uint32_t lo, uint32_t hi, uint32_t def,
                     uint32_t *out);

/* Write the port to the file of --port-file, if given. Prints the problem. */
mcgk_err sip_cli_port_file(const cli_args *a, uint16_t port);

/* The --LISTEN_FLAG (HOST:PORT, default 127.0.0.1:0), --t1-ms and --user flags into a user
 * agent's config (host is where the address goes; c keeps pointers into it). Prints the
 * problem; MCGK_ERR_USAGE. Used by `mcgk sip invite|answer` and `mcgk client call|listen`. */
mcgk_err sip_cli_ua_flags(const cli_args *a, const char *listen_flag, mcgk_sip_ua_config *c,
                          char *host, size_t cap);

/* Keep an SDP offer as received, octet for octet (mode 0600), in DIR/offer-<n>.sdp: the
 * test's evidence that every member got the caller's offer unchanged (R-002-18). Prints the
 * problem; the codes of mcgk_file_write_private. */
mcgk_err sip_cli_save_offer(const char *dir, int n, const uint8_t *body, size_t len);

/* The verbs of apps/cmd_sip_call.c and apps/cmd_sip_bcast.c. */
int sip_cmd_invite(int argc, char **argv);
int sip_cmd_answer(int argc, char **argv);
int sip_cmd_bcast_send(int argc, char **argv);
int sip_cmd_bcast_listen(int argc, char **argv);
extern const char sip_help_invite[], sip_help_answer[], sip_help_bcast_send[],
    sip_help_bcast_listen[];

#endif
