/*
 * mcgk controller <verb>: the group controller of network-connected group
 * calls (issue 6; seed requirements R-002-11..19; docs/controller.md).
 *
 *   serve   a SIP endpoint (UDP) for one group: members REGISTER with it,
 *           a caller's INVITE (SDP offer with a=key-mgmt:mikey) is answered
 *           100 / 183, duplicated to every member byte for byte, and the
 *           caller gets 200 with the controller's own SDP answer
 *
 * Output: "listening addr=HOST:PORT" on stdout; logs (one line per call
 * and member event) on stderr. Exit 0 on SIGTERM / SIGINT, 1 on a failure
 * to start, 2 on bad usage.
 *
 * Secrets: none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_sip.h"
#include "mcgk/controller.h"
#include "mcgk/platform.h"
#include "net/controller_server.h"
#include "platform/file.h"
#include "platform/log.h"
#include "roles.h"
#include "shell.h"

#define MEMBERS_FILE_MAX (16u * 1024 * 1024)

/* The members file: "AOR [CONTACT]" per line; '#' comments, blank lines. */
typedef struct members_file {
    uint8_t *data;
    size_t len;
    mcgk_ctl_member *m;
    size_t n;
} members_file;

static mcgk_err read_members(const char *path, members_file *mf)
{
    mcgk_err e = mcgk_file_read(path, MEMBERS_FILE_MAX, &mf->data, &mf->len);
    if (e != MCGK_OK) {
        fprintf(stderr, "cannot read --members-file %s\n", path);
        return e;
    }
    /* mcgk_file_read leaves a NUL after the data */
    size_t cap = 0;
    char *save = NULL;
    size_t lineno = 0;
    for (char *line = strtok_r((char *)mf->data, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        char *sp = NULL;
        char *aor = strtok_r(line, " \t\r", &sp);
        if (aor == NULL)
            continue;
        char *contact = strtok_r(NULL, " \t\r", &sp);
        if (strtok_r(NULL, " \t\r", &sp) != NULL) {
            fprintf(stderr, "--members-file line %zu: want AOR [CONTACT]\n", lineno);
            return MCGK_ERR_USAGE;
        }
        if (mf->n == cap) {
            cap = cap ? 2 * cap : 64;
            mcgk_ctl_member *m = realloc(mf->m, cap * sizeof *m);
            if (m == NULL)
                return MCGK_ERR_NO_MEMORY;
            mf->m = m;
        }
        mf->m[mf->n].aor = aor;
        mf->m[mf->n].contact = contact;
        mf->n++;
    }
    return MCGK_OK;
}

static const char help_serve[] =
    "usage: mcgk controller serve --group URI [--sip-listen HOST:PORT] [--members-file FILE]\n"
    "                             [--answer-policy first|all] [--answer-timeout-ms N]\n"
    "                             [--max-members N] [--max-calls N] [--t1-ms N]\n"
    "                             [--port-file FILE] [--log-level LEVEL]\n\n"
    "The group controller of one group (docs/controller.md). Members are those who\n"
    "REGISTER with it (To = their address of record) and those of --members-file.\n"
    "A caller's INVITE to the group (To = --group), with an SDP offer holding the\n"
    "a=key-mgmt:mikey line of the MIKEY-PSK GSK message, is answered 100 Trying and\n"
    "183 (no security content, R-002-17) and sent to every member with the caller's\n"
    "SDP unchanged (R-002-18); the members' answers are gathered, not forwarded\n"
    "(R-002-19). The caller gets 200 with the controller's own SDP answer (the\n"
    "offer's media, no key-mgmt) when the first member accepted (--answer-policy\n"
    "first, the default) or when all have answered or timed out (all); 480 with a\n"
    "Warning when none accepted. Members still ringing after --answer-timeout-ms are\n"
    "CANCELed. The caller's BYE (or CANCEL) ends the call for every member.\n"
    "The controller holds no GMK and never reads the MIKEY message.\n\n"
    "  --group URI            the group's URI, e.g. sip:group1@example.org\n"
    "  --sip-listen HOST:PORT numeric address, default 127.0.0.1:0 (a free port,\n"
    "                         printed as \"listening addr=HOST:PORT\")\n"
    "  --members-file FILE    \"AOR [CONTACT]\" per line: only these AORs may register\n"
    "                         (others get 403); those with a CONTACT are members\n"
    "                         without registering\n"
    "  --answer-timeout-ms N  how long members may take, default 16000\n"
    "  --max-members N        members a call may reach, default 1000 (more: 503)\n"
    "  --max-calls N          calls at once, default 64 (more: 503)\n"
    "  --t1-ms N              RFC 3261 T1, default 500\n"
    "  --port-file FILE       write the bound port to FILE\n"
    "  --log-level LEVEL      debug, info (default), warn, error, off (stderr)\n"
    "Logs per call: call-fanout (members sent the INVITE), call-answered (the\n"
    "caller's 200: reached, answered, refused, timeout, unreachable, setup_ms),\n"
    "call-ended (result and the same counts, cancelled, left, duration_ms),\n"
    "call-refused (status, reason). Stops cleanly on SIGTERM or SIGINT.\n";

static int run_serve(int argc, char **argv)
{
    static const cli_flag flags[] = {
        {"group", 1},       {"sip-listen", 1}, {"members-file", 1},      {"answer-policy", 1},
        {"answer-timeout-ms", 1}, {"max-members", 1}, {"max-calls", 1}, {"t1-ms", 1},
        {"port-file", 1},   {"log-level", 1}};
    cli_args a;
    mcgk_err e = cli_parse(&a, flags, sizeof flags / sizeof flags[0], argc - 1, argv + 1);
    if (e != MCGK_OK)
        return cli_fail(e);
    if ((e = shell_log_level(&a)) != MCGK_OK)
        return cli_fail(e);
    const char *group = cli_require(&a, "group");
    if (group == NULL)
        return cli_fail(MCGK_ERR_USAGE);
    mcgk_ctl_server_config c;
    memset(&c, 0, sizeof c);
    char host[64] = "127.0.0.1";
    uint16_t port = 0;
    const char *l = cli_get(&a, "sip-listen");
    if (l != NULL && sip_cli_hostport(l, host, sizeof host, &port) != MCGK_OK) {
        fprintf(stderr, "--sip-listen: want HOST:PORT, [V6ADDR]:PORT or PORT\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    const char *pol = cli_get(&a, "answer-policy");
    if (pol != NULL && strcmp(pol, "first") != 0 && strcmp(pol, "all") != 0) {
        fprintf(stderr, "--answer-policy: want first or all\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    uint32_t window, max_members, max_calls, t1;
    if ((e = sip_cli_u32(&a, "answer-timeout-ms", 1, 3600000, MCGK_CTL_DEFAULT_ANSWER_TIMEOUT_MS,
                         &window)) != MCGK_OK ||
        (e = sip_cli_u32(&a, "max-members", 1, MCGK_CTL_LIMIT_MAX_MEMBERS,
                         MCGK_CTL_DEFAULT_MAX_MEMBERS, &max_members)) != MCGK_OK ||
        (e = sip_cli_u32(&a, "max-calls", 1, 100000, MCGK_CTL_DEFAULT_MAX_CALLS, &max_calls)) !=
            MCGK_OK ||
        (e = sip_cli_u32(&a, "t1-ms", 1, 60000, 500, &t1)) != MCGK_OK)
        return cli_fail(e);
    members_file mf;
    memset(&mf, 0, sizeof mf);
    const char *mpath = cli_get(&a, "members-file");
    if (mpath != NULL && (e = read_members(mpath, &mf)) != MCGK_OK) {
        free(mf.m);
        mcgk_file_free(mf.data, mf.len);
        return cli_fail(e);
    }
    if (mpath != NULL && mf.n == 0) {
        fprintf(stderr, "--members-file %s lists nobody\n", mpath);
        mcgk_file_free(mf.data, mf.len);
        return cli_fail(MCGK_ERR_USAGE);
    }
    c.host = host;
    c.port = port;
    c.group_uri = group;
    c.t1_ms = t1;
    c.policy = pol != NULL && strcmp(pol, "all") == 0 ? MCGK_CTL_ANSWER_ALL : MCGK_CTL_ANSWER_FIRST;
    c.answer_timeout_ms = window;
    c.max_members = max_members;
    c.max_calls = max_calls;
    c.listed = mf.m;
    c.n_listed = mf.n;
    shell_signals_block(); /* before the thread exists */
    mcgk_ctl_server *srv = NULL;
    e = mcgk_ctl_server_start(&c, &srv);
    if (e != MCGK_OK) {
        fprintf(stderr, "cannot start the controller on %s:%u (%s)\n", host, (unsigned)port,
                e == MCGK_ERR_INVALID_ARG ? "--group or --members-file not usable" : "socket");
    } else {
        printf("listening addr=%s group=%s\n", mcgk_ctl_server_sent_by(srv), group);
        fflush(stdout);
        e = sip_cli_port_file(&a, mcgk_ctl_server_port(srv));
    }
    if (e == MCGK_OK) {
        int sig = shell_signal_wait(-1);
        mcgk_log(MCGK_LOG_INFO, "controller", "stopping", "signal=%d", sig);
    }
    mcgk_ctl_server_stop(srv);
    free(mf.m);
    mcgk_file_free(mf.data, mf.len);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

static const cli_verb k_verbs[] = {
    {"serve", "the group controller of one group (SIP over UDP)", run_serve, help_serve},
};

int mcgk_cmd_controller(int argc, char **argv)
{
    return cli_dispatch("controller",
                        "The group controller of network-connected group calls (R-002-11..19):\n"
                        "fans a caller's INVITE with its MIKEY-carrying SDP out to every member\n"
                        "and gathers their answers; holds no keys (docs/controller.md).",
                        k_verbs, sizeof k_verbs / sizeof k_verbs[0], argc, argv);
}
