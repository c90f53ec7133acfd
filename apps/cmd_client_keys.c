/*
 * mcgk client keys: what the client holds, per identity - its groups (state,
 * GMS, the GMK chosen for media and for floor control) and its GMKs (GMK-ID,
 * GUK-ID, use, status, activation, expiry, groups, the groups it is chosen
 * for: R-001-23, R-000-23) - as text lines or JSON. Never key bytes.
 *
 * Secrets: the store's DEK (the states are unsealed to read the parameters;
 * they are wiped after printing). The GMKs themselves are never printed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client_app.h"
#include "mcgk/client.h"
#include "mcgk/kdf.h"
#include "mcgk/kms.h"
#include "mcgk/platform.h"
#include "platform/log.h"
#include "shell.h"
#include "store/client_gmk.h"

const char client_keys_help[] =
    "usage: mcgk client keys [--identity URI] [--json] [--at UNIX_SECONDS]\n"
    "                        [--data-dir DIR] [--key-file PATH | --passphrase-file P]\n"
    "                        [--log-level LEVEL]\n\n"
    "Shows the groups and GMKs the client holds (every identity, or --identity),\n"
    "never key bytes. One line per group:\n"
    "  group identity=URI group=URI state=member|removed gms=URI seq=N\n"
    "        media=GMK-ID|- floor_control=GMK-ID|-\n"
    "(the GMK used now for each: active, not revoked, latest activation time, then\n"
    "latest I_MESSAGE timestamp - R-001-23, R-000-23), and one per GMK:\n"
    "  gmk identity=URI gmk_id=HEX guk_id=HEX use=media|floor-control\n"
    "      status=active|pending|expired|revoked activation=TIME|- expiry=TIME|-\n"
    "      groups=URI,... selected_for=URI,...|- sender=URI received=TIME text=\"...\"\n"
    "--json prints the same as one JSON document. --at evaluates status and choice\n"
    "at that time instead of now.\n";

typedef struct keys_ctx {
    mcgk_client_gmk_store *gs;
    const uint8_t *dek;
    uint64_t at;
    int json;
    int first_ident;
    mcgk_err err;
} keys_ctx;

static void time_str(uint64_t ntp_s, char out[MCGK_KMS_DATETIME_LEN])
{
    if (ntp_s == 0 || ntp_s < MCGK_NTP_UNIX_OFFSET_S ||
        mcgk_xsd_datetime_format(ntp_s - MCGK_NTP_UNIX_OFFSET_S, out) != MCGK_OK)
        snprintf(out, MCGK_KMS_DATETIME_LEN, "-");
}

/* a JSON string (quotes, backslashes, control characters escaped) */
static void jstr(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void jtime(uint64_t ntp_s)
{
    char t[MCGK_KMS_DATETIME_LEN];
    time_str(ntp_s, t);
    if (strcmp(t, "-") == 0)
        printf("null");
    else
        jstr(t);
}

/* the GMK-ID chosen for group/use, or "-" */
static void chosen(const mcgk_client_state *s, const char *group, mcgk_gmk_use use, uint64_t at,
                   char out[12])
{
    size_t i = 0;
    if (mcgk_client_select(s, group, use, at, &i) == MCGK_OK)
        snprintf(out, 12, "%08" PRIx32, s->gmks[i].gmk_id);
    else
        snprintf(out, 12, "-");
}

static int is_selected(const mcgk_client_state *s, size_t gi, const char *group, uint64_t at)
{
    size_t i = 0;
    return mcgk_client_select(s, group, s->gmks[gi].use, at, &i) == MCGK_OK && i == gi;
}

static void print_text(const char *identity, const mcgk_client_state *s, uint64_t at)
{
    char u[MCGK_KMS_URI_MAX + 8], g[MCGK_GROUPDOC_URI_MAX + 8], m[MCGK_GROUPDOC_URI_MAX + 8];
    char media[12], floor[12];
    mcgk_log_quote(identity, u, sizeof u);
    for (size_t i = 0; i < s->n_groups; i++) {
        const mcgk_client_group *gr = &s->groups[i];
        chosen(s, gr->id, MCGK_GMK_USE_MEDIA, at, media);
        chosen(s, gr->id, MCGK_GMK_USE_FLOOR_CONTROL, at, floor);
        printf("group identity=%s group=%s state=%s gms=%s seq=%" PRIu64
               " media=%s floor_control=%s\n",
               u, mcgk_log_quote(gr->id, g, sizeof g), gr->removed ? "removed" : "member",
               mcgk_log_quote(gr->gms, m, sizeof m), gr->seq, media, floor);
    }
    for (size_t i = 0; i < s->n_gmks; i++) {
        const mcgk_client_gmk *k = &s->gmks[i];
        char act[MCGK_KMS_DATETIME_LEN] = "-", exp[MCGK_KMS_DATETIME_LEN] = "-";
        char rcv[MCGK_KMS_DATETIME_LEN] = "-";
        if (k->has_params) {
            time_str(k->params.activation_ntp_s, act);
            time_str(k->params.expiry_ntp_s, exp);
        }
        time_str(k->received_unix_s + MCGK_NTP_UNIX_OFFSET_S, rcv);
        printf("gmk identity=%s gmk_id=%08" PRIx32 " guk_id=%08" PRIx32
               " use=%s status=%s activation=%s expiry=%s groups=",
               u, k->gmk_id, k->guk_id,
               k->use == MCGK_GMK_USE_FLOOR_CONTROL ? "floor-control" : "media",
               mcgk_client_gmk_status_name(mcgk_client_gmk_status_at(k, at)), act, exp);
        size_t ng = mcgk_client_gmk_group_count(k), ns = 0;
        for (size_t j = 0; j < ng; j++)
            printf("%s%s", j ? "," : "", mcgk_log_quote(mcgk_client_gmk_group(k, j), g, sizeof g));
        if (ng == 0)
            printf("-");
        printf(" selected_for=");
        for (size_t j = 0; j < ng; j++)
            if (is_selected(s, i, mcgk_client_gmk_group(k, j), at))
                printf("%s%s", ns++ ? "," : "",
                       mcgk_log_quote(mcgk_client_gmk_group(k, j), g, sizeof g));
        if (ns == 0)
            printf("-");
        printf(" sender=%s received=%s text=%s\n", mcgk_log_quote(k->sender, m, sizeof m), rcv,
               k->has_params ? mcgk_log_quote(k->params.text, g, sizeof g) : "\"\"");
    }
}

static void print_json(const char *identity, const mcgk_client_state *s, uint64_t at, int first)
{
    char media[12], floor[12];
    printf("%s\n    {\"identity\": ", first ? "" : ",");
    jstr(identity);
    printf(",\n     \"groups\": [");
    for (size_t i = 0; i < s->n_groups; i++) {
        const mcgk_client_group *gr = &s->groups[i];
        chosen(s, gr->id, MCGK_GMK_USE_MEDIA, at, media);
        chosen(s, gr->id, MCGK_GMK_USE_FLOOR_CONTROL, at, floor);
        printf("%s\n       {\"id\": ", i ? "," : "");
        jstr(gr->id);
        printf(", \"gms\": ");
        jstr(gr->gms);
        printf(", \"name\": ");
        jstr(gr->name);
        printf(", \"state\": \"%s\", \"seq\": %" PRIu64 ", \"media\": ",
               gr->removed ? "removed" : "member", gr->seq);
        if (strcmp(media, "-") == 0)
            printf("null");
        else
            jstr(media);
        printf(", \"floor_control\": ");
        if (strcmp(floor, "-") == 0)
            printf("null");
        else
            jstr(floor);
        printf("}");
    }
    printf("],\n     \"gmks\": [");
    for (size_t i = 0; i < s->n_gmks; i++) {
        const mcgk_client_gmk *k = &s->gmks[i];
        printf("%s\n       {\"gmk_id\": \"%08" PRIx32 "\", \"guk_id\": \"%08" PRIx32
               "\", \"use\": \"%s\", \"status\": \"%s\", \"activation\": ",
               i ? "," : "", k->gmk_id, k->guk_id,
               k->use == MCGK_GMK_USE_FLOOR_CONTROL ? "floor-control" : "media",
               mcgk_client_gmk_status_name(mcgk_client_gmk_status_at(k, at)));
        jtime(k->has_params ? k->params.activation_ntp_s : 0);
        printf(", \"expiry\": ");
        jtime(k->has_params ? k->params.expiry_ntp_s : 0);
        printf(", \"groups\": [");
        size_t ng = mcgk_client_gmk_group_count(k), ns = 0;
        for (size_t j = 0; j < ng; j++) {
            printf("%s", j ? ", " : "");
            jstr(mcgk_client_gmk_group(k, j));
        }
        printf("], \"selected_for\": [");
        for (size_t j = 0; j < ng; j++)
            if (is_selected(s, i, mcgk_client_gmk_group(k, j), at)) {
                printf("%s", ns++ ? ", " : "");
                jstr(mcgk_client_gmk_group(k, j));
            }
        printf("], \"sender\": ");
        jstr(k->sender);
        printf(", \"received\": ");
        jtime(k->received_unix_s + MCGK_NTP_UNIX_OFFSET_S);
        printf(", \"text\": ");
        jstr(k->has_params ? k->params.text : "");
        printf("}");
    }
    printf("]}");
}

static int show_identity(void *ctx, const char *identity)
{
    keys_ctx *c = ctx;
    mcgk_client_state s;
    c->err = mcgk_client_gmk_store_load(c->gs, c->dek, identity, &s);
    if (c->err != MCGK_OK)
        return 1;
    if (c->json)
        print_json(identity, &s, c->at, c->first_ident);
    else
        print_text(identity, &s, c->at);
    c->first_ident = 0;
    mcgk_client_state_clear(&s);
    return 0;
}

int client_keys_main(int argc, char **argv)
{
    static const cli_flag flags[] = {{"identity", 1}, {"json", 0}, {"at", 1}, SHELL_COMMON_FLAGS,
                                     SHELL_KEK_FLAGS};
    cli_args a;
    mcgk_err e = cli_parse(&a, flags, sizeof flags / sizeof flags[0], argc - 1, argv + 1);
    if (e != MCGK_OK)
        return cli_fail(e);
    if ((e = shell_log_level(&a)) != MCGK_OK)
        return cli_fail(e);
    keys_ctx c;
    memset(&c, 0, sizeof c);
    c.at = mcgk_now_unix_s();
    c.json = cli_has(&a, "json");
    c.first_ident = 1;
    if (cli_has(&a, "at") && (e = cli_u64_flag(&a, "at", &c.at)) != MCGK_OK)
        return cli_fail(e);
    char dir[SHELL_PATH_MAX], path[SHELL_PATH_MAX];
    mcgk_client_store *cs = NULL;
    uint8_t dek[MCGK_SEAL_KEY_LEN];
    e = client_open_store(&a, 0, dir, &cs, dek);
    if (e == MCGK_OK)
        e = shell_path(dir, CLIENT_DB_NAME, path);
    if (e == MCGK_OK)
        e = mcgk_client_gmk_store_open(path, &c.gs);
    c.dek = dek;
    if (e == MCGK_OK) {
        if (c.json)
            printf("{\"at\": %" PRIu64 ",\n  \"identities\": [", c.at);
        if (cli_has(&a, "identity"))
            show_identity(&c, cli_get(&a, "identity"));
        else
            e = mcgk_client_gmk_store_identities(c.gs, show_identity, &c);
        if (e == MCGK_OK)
            e = c.err;
        if (c.json)
            printf("]}\n");
    }
    mcgk_wipe(dek, sizeof dek);
    mcgk_client_gmk_store_close(c.gs);
    mcgk_client_store_close(cs);
    return e == MCGK_OK ? 0 : cli_fail(e);
}
