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

/* HOST:PORT, [V6]:PORT or PORT (host 127.0.0.1). MCGK_ERR_USAGE. */
mcgk_err sip_cli_hostport(const char *s, char *host, size_t cap, uint16_t *port);

/* An unsigned flag within [lo, hi] (absent: def). Prints the problem. */
mcgk_err sip_cli_u32(const cli_args *a, const char *name, uint32_t lo, uint32_t hi, uint32_t def,
                     uint32_t *out);

/* Write the port to the file of --port-file, if given. Prints the problem. */
mcgk_err sip_cli_port_file(const cli_args *a, uint16_t port);

/* The verbs of apps/cmd_sip_call.c and apps/cmd_sip_bcast.c. */
int sip_cmd_invite(int argc, char **argv);
int sip_cmd_answer(int argc, char **argv);
int sip_cmd_bcast_send(int argc, char **argv);
int sip_cmd_bcast_listen(int argc, char **argv);
extern const char sip_help_invite[], sip_help_answer[], sip_help_bcast_send[],
    sip_help_bcast_listen[];

#endif
