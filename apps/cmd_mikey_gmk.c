/*
 * mcgk mikey open | seal: the GMK I_MESSAGE for integrators (issue 3, part 4).
 *
 *   open   open a MIKEY-SAKKE I_MESSAGE as its recipient, given the recipient's
 *          KMS certificate and key sets as the Annex D XML documents (KmsInit /
 *          KmsKeyProv responses), running the whole receiver checklist
 *          (mcgk_gmk_open); prints the key IDs, purpose, parameters and the
 *          reply for the GMS - the key itself only with --show-key;
 *   seal   build one I_MESSAGE as a GMS would (mcgk_gmk_ctx_init +
 *          mcgk_gmk_build_one) from the GMS's key sets, so integrators can test
 *          their own clients.
 *
 * This is a shell: it reads files, converts the KMS documents (mcgk/kms.h)
 * into the I_MESSAGE layer's inputs (mcgk/gmk_message.h), and prints.
 * Exit 0 on success; 1 with `error: <name>` on stderr when the operation
 * fails (open: the message is rejected); 2 for bad usage.
 *
 * Secrets: the key sets (RSK, SSK) read from the documents - wiped by
 * mcgk_kms_response_clear and mcgk_file_free; the GMK - wiped after use and
 * printed only with --show-key; a --gmk given on the command line is visible
 * to other local users (use test keys).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_mikey_gmk.h"
#include "cli.h"
#include "mikey_io.h"
#include "mcgk/gmk_message.h"
#include "mcgk/kms.h"
#include "mcgk/mikey.h"
#include "mcgk/platform.h"

#define MAX_TRUST 16
#define MAX_LIST 32 /* --gms, --group, --groups entries */
#define MSG_CAP 8192

/* ---- inputs ----------------------------------------------------------------------------- */

static const char *const k_purpose_names[] = {"gmk", "pck", "csk", "spk", "mkfc", "mscck", "musik"};

static mcgk_err parse_purpose(const char *s, unsigned *tag)
{
    for (unsigned i = 0; i < sizeof k_purpose_names / sizeof k_purpose_names[0]; i++)
        if (strcmp(s, k_purpose_names[i]) == 0) {
            *tag = i;
            return MCGK_OK;
        }
    fprintf(stderr, "unknown key purpose '%s' (gmk, pck, csk, spk, mkfc, mscck, musik)\n", s);
    return MCGK_ERR_USAGE;
}

/* ---- output ------------------------------------------------------------------------------ */

static void print_result(const mcgk_gmk_result *r, int show_key)
{
    const char *pn = mcgk_mikey_purpose_name(r->purpose);
    printf("outcome = %s\n", r->revoked ? "revoked" : "accepted");
    printf("purpose = %u (%s)\n", r->purpose, pn != NULL ? pn : "?");
    printf("key_id = %08x\n", r->key_id);
    printf("%s = %08x\n", r->purpose == MCGK_PURPOSE_GMK ? "guk_id" : "csb_id", r->csb_id);
    cli_print_hex("rand", r->rand, r->rand_len);
    mikey_io_print_ntp("timestamp", r->ts_ntp_s);
    printf("key_period = %llu\n", (unsigned long long)r->own_period_no);
    if (r->sender_uri[0] != '\0')
        mikey_io_print_text("sender", r->sender_uri, strlen(r->sender_uri));
    printf("sender_hidden = %s\n", r->sender_hidden ? "yes" : "no");
    cli_print_hex("sender_uid", r->sender_uid, sizeof r->sender_uid);
    mikey_io_print_text("sender_kms", r->sender_kms_uri, strlen(r->sender_kms_uri));
    for (size_t i = 0; i < r->n_cs && r->map_type == MCGK_MIKEY_MAP_GENERIC_ID; i++) {
        const char *cn = mcgk_mikey_cs_id_name(r->cs_ids[i]);
        printf("cs_id = %u (%s)\n", r->cs_ids[i], cn != NULL ? cn : "?");
    }
    printf("sakke_to_self = %s\n", r->has_sakke_to_self ? "yes" : "no");
    printf("params = %s\n", !r->has_params ? "none" : r->params_legacy ? "legacy-cleartext"
                                                                      : "encrypted");
    if (r->has_params) {
        const mcgk_key_params *p = &r->params;
        const char *tn = mcgk_mikey_purpose_name(p->key_type);
        printf("key_type = %u (%s)\n", p->key_type, tn != NULL ? tn : "?");
        printf("status = %08x (%s%s)\n", p->status,
               (p->status & MCGK_KP_STATUS_NOT_REVOKED) ? "not revoked" : "revoked",
               (p->status & MCGK_KP_STATUS_SEC_GATEWAY) ? ", shared with a security gateway"
                                                        : "");
        if (p->activation_ntp_s != 0)
            mikey_io_print_ntp("activation", p->activation_ntp_s);
        else
            printf("activation = none\n");
        if (p->expiry_ntp_s != 0)
            mikey_io_print_ntp("expiry", p->expiry_ntp_s);
        else
            printf("expiry = none\n");
        mikey_io_print_text("text", p->text, p->text_len);
        for (size_t i = 0; i < p->n_groups; i++)
            mikey_io_print_text("group", p->groups[i].id, p->groups[i].len);
    }
    printf("reply = %d %s\n", r->reply.sip_status, r->reply.reason);
    if (show_key && !r->revoked)
        cli_print_hex("key", r->key, sizeof r->key);
}

/* ================================ open ================================ */

const char mcgk_mikey_open_help[] =
    "usage: mcgk mikey open --kms-cert FILE --keys FILE [--user URI] [--trust F1,F2]\n"
    "                       [--gms URI1,URI2] [--group GROUP=GMS,...] [--purposes LIST]\n"
    "                       [--legacy-params] [--initiator URI] [--now UNIX]\n"
    "                       [--window-past S] [--window-future S] [--show-key] FILE|-\n\n"
    "Opens a MIKEY-SAKKE I_MESSAGE (a GMK distribution message, TS 33.180 Annex E.2) as\n"
    "its recipient, with the whole receiver checklist: profile, key purpose, timestamp\n"
    "window, own keys for the key period, the sender's KMS, the sender authorised as GMS,\n"
    "the ECCSI signature, addressed to me, SAKKE decapsulation, GMK-ID from GUK-ID, the\n"
    "key parameters (decrypted under the GMK), the groups' GMS, the revocation status.\n\n"
    "The message (FILE, or - for standard input): binary, base64, `mikey <base64>` or an\n"
    "SDP `a=key-mgmt:mikey` line / body.\n\n"
    "  --kms-cert FILE     the recipient's KMS certificate: a KmsInit response or a\n"
    "                      KmsCertificate document (TS 33.180 Annex D)\n"
    "  --keys FILE         the recipient's key sets: a KmsKeyProv response (every key set\n"
    "                      of --user is validated: UID, RSK, SSK/PVT)\n"
    "  --user URI          the recipient's identity (MC service user ID, or a partner GMS\n"
    "                      URI); default the UserUri of the first key set\n"
    "  --trust F1,F2       further trusted KMS certificates (partner KMSs): KmsInit,\n"
    "                      KmsCertCache or KmsCertificate documents\n"
    "  --gms URI1,URI2     GMS identities authorised to create groups (a GMK's signer must\n"
    "                      be one of these or the GMS of a --group)\n"
    "  --group G=GMS,...   the GMS configured for each group: every group listed in the\n"
    "                      key parameters must be configured with the signing GMS\n"
    "  --purposes LIST     key purposes accepted: gmk (default), pck, csk, spk, mkfc,\n"
    "                      mscck, musik, comma-separated, or all\n"
    "  --legacy-params     accept Streamwide's legacy cleartext key parameters\n"
    "  --initiator URI     identity hiding (E.7): check that the hidden initiator's UID\n"
    "                      is the one of URI\n"
    "  --now UNIX          judge the timestamp at this time (Unix seconds); default the clock\n"
    "  --window-past S     accept timestamps up to S seconds old (default 3600)\n"
    "  --window-future S   ... and up to S seconds ahead (default 300)\n"
    "  --show-key          also print the key (key = HEX); never by default\n\n"
    "Prints `name = value` lines: outcome (accepted | revoked), purpose, key_id (the\n"
    "GMK-ID), guk_id (the CSB ID), rand, timestamp, key_period, sender, sender_uid,\n"
    "sender_kms, cs_id, sakke_to_self, params, key_type, status, activation, expiry,\n"
    "text, group (one line each), reply (what to answer the GMS).\n\n"
    "Exit status 0 (accepted, or a revocation accepted); 1 when the message is\n"
    "rejected: stdout has `outcome = rejected` and the reply for the GMS, stderr the\n"
    "detail and `error: <name>` (e.g. mikey-profile, key-purpose, timestamp, no-keys,\n"
    "unknown-kms, not-authorised, signature, not-for-me, decapsulate,\n"
    "duplicate-key-id, key-params, initiator); 2 for bad usage.\n";

typedef struct open_state {
    mcgk_kms_cert *certs; /* [0] = own KMS, then trusted */
    size_t n_certs;
    mcgk_sakke_community *community;
    mcgk_kms_response keys;
    mcgk_sakke_receiver *receivers[MCGK_KMS_MAX_KEYSETS];
    mcgk_gmk_own_keys own[MCGK_KMS_MAX_KEYSETS];
    size_t n_own;
    mcgk_gmk_kms trusted[MAX_TRUST + 1];
    mcgk_gmk_kms own_kms;
    char *gms[MAX_LIST];
    mcgk_gmk_group_gms groups[MAX_LIST];
    char *lists[2];
    uint8_t *msg;
    size_t msg_len;
} open_state;

static void open_state_free(open_state *s)
{
    for (size_t i = 0; i < s->n_own; i++)
        mcgk_sakke_receiver_free(s->receivers[i]);
    mcgk_sakke_community_free(s->community);
    mcgk_kms_response_clear(&s->keys);
    free(s->certs);
    free(s->lists[0]);
    free(s->lists[1]);
    free(s->msg);
}

/* own key sets: every key set of user, checked, with its receiver */
static mcgk_err own_receivers(open_state *s, const char *user)
{
    for (size_t i = 0; i < s->keys.n_keysets; i++) {
        mcgk_kms_keyset *ks = &s->keys.keysets[i];
        if (strcmp(ks->user_uri, user) != 0)
            continue;
        mcgk_err e = mcgk_kms_keyset_check(&s->certs[0], s->community, ks, user, UINT64_MAX);
        if (e == MCGK_OK)
            e = mcgk_sakke_receiver_new(s->community, ks->user_id, MCGK_UID_LEN, ks->rsk,
                                        &s->receivers[s->n_own]);
        if (e != MCGK_OK) {
            fprintf(stderr, "key set of %s for period %llu: %s\n", user,
                    (unsigned long long)ks->key_period_no, mcgk_strerror(e));
            return e;
        }
        s->own[s->n_own].period_no = ks->key_period_no;
        s->own[s->n_own].receiver = s->receivers[s->n_own];
        s->n_own++;
    }
    if (s->n_own == 0) {
        fprintf(stderr, "no key set for %s in --keys\n", user);
        return MCGK_ERR_NO_KEYS;
    }
    return MCGK_OK;
}

static mcgk_err open_config(const cli_args *a, open_state *s, mcgk_gmk_open_cfg *cfg,
                            uint64_t now)
{
    const char *kc = cli_require(a, "kms-cert"), *kf = cli_require(a, "keys");
    if (kc == NULL || kf == NULL)
        return MCGK_ERR_USAGE;
    s->certs = calloc(MAX_TRUST + 1, sizeof *s->certs);
    if (s->certs == NULL)
        return MCGK_ERR_NO_MEMORY;
    mcgk_err e = mikey_io_load_certs(kc, s->certs, 1, &s->n_certs, now);
    if (e == MCGK_OK && cli_has(a, "trust")) {
        char buf[4096], *items[MAX_TRUST];
        snprintf(buf, sizeof buf, "%s", cli_get(a, "trust"));
        size_t n = mikey_io_split_list(buf, items, MAX_TRUST);
        for (size_t i = 0; i < n && e == MCGK_OK; i++)
            e = mikey_io_load_certs(items[i], s->certs, MAX_TRUST + 1, &s->n_certs, now);
    }
    if (e == MCGK_OK)
        e = mcgk_sakke_community_new(s->certs[0].pub_enc_key, &s->community);
    if (e == MCGK_OK)
        e = mikey_io_load_keysets(kf, &s->keys);
    if (e != MCGK_OK)
        return e;
    const char *user = cli_has(a, "user") ? cli_get(a, "user") : s->keys.keysets[0].user_uri;
    e = own_receivers(s, user);
    if (e != MCGK_OK)
        return e;

    mcgk_gmk_open_cfg_init(cfg);
    mikey_io_kms_view(&s->certs[0], s->community, &s->own_kms);
    for (size_t i = 0; i < s->n_certs; i++)
        mikey_io_kms_view(&s->certs[i], i == 0 ? s->community : NULL, &s->trusted[i]);
    cfg->own_uri = user;
    cfg->own_kms = &s->own_kms;
    cfg->own_keys = s->own;
    cfg->n_own_keys = s->n_own;
    cfg->trusted = s->trusted;
    cfg->n_trusted = s->n_certs;
    if (cli_has(a, "gms")) {
        s->lists[0] = strdup(cli_get(a, "gms"));
        if (s->lists[0] == NULL)
            return MCGK_ERR_NO_MEMORY;
        cfg->n_authorised_gms = mikey_io_split_list(s->lists[0], s->gms, MAX_LIST);
        cfg->authorised_gms = (const char *const *)s->gms;
    }
    if (cli_has(a, "group")) {
        char *items[MAX_LIST];
        s->lists[1] = strdup(cli_get(a, "group"));
        if (s->lists[1] == NULL)
            return MCGK_ERR_NO_MEMORY;
        size_t n = mikey_io_split_list(s->lists[1], items, MAX_LIST);
        for (size_t i = 0; i < n; i++) {
            char *eq = strchr(items[i], '=');
            if (eq == NULL || eq == items[i] || eq[1] == '\0') {
                fprintf(stderr, "--group: want GROUP=GMS, got '%s'\n", items[i]);
                return MCGK_ERR_USAGE;
            }
            *eq = '\0';
            s->groups[i].group_id = items[i];
            s->groups[i].gms_uri = eq + 1;
        }
        cfg->groups = s->groups;
        cfg->n_groups = n;
    }
    if (cli_has(a, "purposes")) {
        char buf[256], *items[8];
        snprintf(buf, sizeof buf, "%s", cli_get(a, "purposes"));
        size_t n = mikey_io_split_list(buf, items, 8);
        for (size_t i = 0; i < n; i++) {
            unsigned tag;
            if (strcmp(items[i], "all") == 0) {
                cfg->purposes = 0x7F;
                continue;
            }
            if ((e = parse_purpose(items[i], &tag)) != MCGK_OK)
                return e;
            cfg->purposes |= 1u << tag;
        }
    }
    cfg->accept_legacy_params = cli_has(a, "legacy-params");
    if ((cli_has(a, "window-past") &&
         (e = cli_u64_flag(a, "window-past", &cfg->window_past_s)) != MCGK_OK) ||
        (cli_has(a, "window-future") &&
         (e = cli_u64_flag(a, "window-future", &cfg->window_future_s)) != MCGK_OK))
        return e;
    return MCGK_OK;
}

int mcgk_mikey_cmd_open(int argc, char **argv)
{
    MIKEY_IO_FLAGS({"kms-cert", 1}, {"keys", 1}, {"user", 1}, {"trust", 1}, {"gms", 1},
                   {"group", 1}, {"purposes", 1}, {"legacy-params", 0}, {"initiator", 1},
                   {"now", 1}, {"window-past", 1}, {"window-future", 1}, {"show-key", 0});
    if (a.npositional != 1) {
        fprintf(stderr, "mcgk mikey open: give one FILE, or - for standard input (see --help)\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    uint64_t now = mcgk_now_unix_s();
    if (cli_has(&a, "now") && (e = cli_u64_flag(&a, "now", &now)) != MCGK_OK)
        return cli_fail(e);
    open_state *s = calloc(1, sizeof *s);
    mcgk_gmk_open_cfg cfg;
    mcgk_gmk_result *r = calloc(1, sizeof *r);
    if (s == NULL || r == NULL) {
        free(s);
        free(r);
        return cli_fail(MCGK_ERR_NO_MEMORY);
    }
    e = open_config(&a, s, &cfg, now);
    if (e == MCGK_OK)
        e = mikey_io_read_message(a.positional[0], &s->msg, &s->msg_len);
    int rc;
    if (e != MCGK_OK) {
        rc = cli_fail(e);
    } else {
        mcgk_err detail = MCGK_OK;
        e = mcgk_gmk_open(&cfg, s->msg, s->msg_len, now, r, &detail);
        if ((e == MCGK_OK || e == MCGK_ERR_REVOKED) && cli_has(&a, "initiator")) {
            const char *iu = cli_get(&a, "initiator");
            mcgk_err ie = mcgk_gmk_check_initiator(&cfg, r, iu, strlen(iu));
            if (ie != MCGK_OK) {
                mcgk_gmk_result_clear(r);
                e = detail = ie;
            }
        }
        if (e == MCGK_OK || e == MCGK_ERR_REVOKED) {
            print_result(r, cli_has(&a, "show-key"));
            rc = fflush(stdout) == 0 ? 0 : cli_fail(MCGK_ERR_IO);
        } else {
            mcgk_gmk_reply reply;
            mcgk_gmk_reply_for(e, &reply);
            printf("outcome = rejected\n");
            printf("reply = %d %s (MIKEY error %u)\n", reply.sip_status, reply.reason,
                   reply.mikey_err_no);
            fflush(stdout);
            if (detail != e)
                fprintf(stderr, "detail: %s\n", mcgk_strerror(detail));
            rc = cli_fail(e);
        }
    }
    mcgk_gmk_result_clear(r);
    free(r);
    open_state_free(s);
    free(s);
    return rc;
}

/* ================================ seal ================================ */

const char mcgk_mikey_seal_help[] =
    "usage: mcgk mikey seal --kms-cert FILE --keys FILE --user URI [--gms URI]\n"
    "                       [--user-kms-cert FILE] [--purpose P] [--gmk HEX] [--gmk-id HEX]\n"
    "                       [--rand HEX] [--time UNIX] [--no-params | [--revoked]\n"
    "                       [--gateway] [--activation UNIX] [--expiry UNIX] [--text TEXT]\n"
    "                       [--groups G1,G2]] [--sakke-to-self] [--hide-initiator]\n"
    "                       [--hide-responder] [--empty-map | --cs-id N]\n"
    "                       [--format base64|binary|sdp] [--out FILE] [--show-key]\n\n"
    "Builds one MIKEY-SAKKE I_MESSAGE as a GMS (TS 33.180 Annex E.2): the key\n"
    "encapsulated to the recipient's UID for the key period of the message time under\n"
    "the recipient's KMS, CSB ID = the recipient's GUK-ID, the key parameters encrypted\n"
    "under the key (E.6), signed with the GMS's ECCSI key for that period.\n\n"
    "  --kms-cert FILE       the GMS's KMS certificate (KmsInit or KmsCertificate)\n"
    "  --keys FILE           the GMS's key sets (KmsKeyProv response for the GMS URI);\n"
    "                        the one for the period of --time signs\n"
    "  --gms URI             the GMS identity; default the UserUri of the key sets\n"
    "  --user URI            the recipient (MC service user ID / partner GMS URI)\n"
    "  --user-kms-cert FILE  the recipient's KMS certificate when it is another KMS\n"
    "  --purpose P           gmk (default), pck, csk, spk, mkfc, mscck or musik\n"
    "  --gmk HEX             the key (16 octets); default random\n"
    "  --gmk-id HEX          its ID (4 octets, purpose tag in the 4 MSBs); default random\n"
    "  --rand HEX            the RAND (16..255 octets); default 16 random octets\n"
    "  --time UNIX           the message time (Unix seconds); default the clock\n"
    "  --no-params           no key parameters extension\n"
    "  --revoked             Status: revoked (a revocation message)\n"
    "  --gateway             Status: shared with a security gateway\n"
    "  --activation UNIX     Activation Time (default none)\n"
    "  --expiry UNIX         Expiry Time (default none)\n"
    "  --text TEXT           Text (a name for the key)\n"
    "  --groups G1,G2        the MC group IDs that use the key (GMK, MKFC, MuSiK)\n"
    "  --sakke-to-self       add the SAKKE-to-self extension (E.5)\n"
    "  --hide-initiator      IDRuidi (the GMS UID) instead of IDRi (E.7)\n"
    "  --hide-responder      IDRuidr (the recipient UID) instead of IDRr (E.7)\n"
    "  --empty-map           #CS = 0 (default profile, no SP) instead of a GENERIC-ID map\n"
    "  --cs-id N             CS-ID of the GENERIC-ID map (default 4, MCPTT group call)\n"
    "  --format F            base64 (default, one line), binary, or sdp (a=key-mgmt line)\n"
    "  --out FILE            write the message to FILE (mode 0600) instead of stdout\n"
    "  --show-key            also report the key on stderr\n\n"
    "The message goes to stdout (or --out); `key_id = HEX`, `guk_id = HEX` and\n"
    "`length = N` go to stderr. Exit status 0; 1 with `error: <name>`; 2 for bad usage.\n";

typedef struct seal_state {
    mcgk_kms_cert *certs; /* [0] GMS KMS, [1] recipient KMS when given */
    size_t n_certs;
    mcgk_sakke_community *gms_comm, *user_comm;
    mcgk_kms_response keys;
    mcgk_eccsi_signer signer;
    mcgk_key_params params;
    mcgk_gmk_ctx ctx;
    uint8_t gmk[MCGK_KEY_LEN];
    uint8_t rand[255];
    size_t rand_len;
    char *groups;
    uint8_t msg[MSG_CAP];
} seal_state;

static void seal_state_free(seal_state *s)
{
    mcgk_gmk_ctx_clear(&s->ctx);
    mcgk_eccsi_signer_clear(&s->signer);
    mcgk_sakke_community_free(s->gms_comm);
    mcgk_sakke_community_free(s->user_comm);
    mcgk_kms_response_clear(&s->keys);
    free(s->certs);
    free(s->groups);
    mcgk_wipe(s, sizeof *s);
}

static mcgk_err seal_params(const cli_args *a, seal_state *s, unsigned purpose)
{
    mcgk_err e;
    uint64_t v;
    mcgk_key_params_init(&s->params, (uint8_t)purpose);
    if (cli_has(a, "revoked"))
        s->params.status &= ~MCGK_KP_STATUS_NOT_REVOKED;
    if (cli_has(a, "gateway"))
        s->params.status |= MCGK_KP_STATUS_SEC_GATEWAY;
    if (cli_has(a, "activation")) {
        if ((e = cli_u64_flag(a, "activation", &v)) != MCGK_OK)
            return e;
        s->params.activation_ntp_s = v + MCGK_NTP_UNIX_OFFSET_S;
    }
    if (cli_has(a, "expiry")) {
        if ((e = cli_u64_flag(a, "expiry", &v)) != MCGK_OK)
            return e;
        s->params.expiry_ntp_s = v + MCGK_NTP_UNIX_OFFSET_S;
    }
    if (cli_has(a, "text")) {
        const char *t = cli_get(a, "text");
        size_t n = strlen(t);
        if (n > MCGK_KP_TEXT_MAX) {
            fprintf(stderr, "--text: at most %d octets\n", MCGK_KP_TEXT_MAX);
            return MCGK_ERR_USAGE;
        }
        memcpy(s->params.text, t, n);
        s->params.text_len = n;
    }
    if (cli_has(a, "groups")) {
        char *items[MAX_LIST];
        if (!mcgk_key_params_type_has_groups((uint8_t)purpose)) {
            fprintf(stderr, "--groups: only a GMK, MKFC or MuSiK carries group IDs\n");
            return MCGK_ERR_USAGE;
        }
        s->groups = strdup(cli_get(a, "groups"));
        if (s->groups == NULL)
            return MCGK_ERR_NO_MEMORY;
        size_t n = mikey_io_split_list(s->groups, items, MAX_LIST);
        for (size_t i = 0; i < n; i++)
            if ((e = mcgk_key_params_add_group(&s->params, items[i], strlen(items[i]))) !=
                MCGK_OK) {
                fprintf(stderr, "--groups: %s: %s\n", items[i], mcgk_strerror(e));
                return e;
            }
    }
    return MCGK_OK;
}

static mcgk_err seal_run(const cli_args *a, seal_state *s)
{
    const char *kc = cli_require(a, "kms-cert"), *kf = cli_require(a, "keys"),
               *user = cli_require(a, "user");
    if (kc == NULL || kf == NULL || user == NULL)
        return MCGK_ERR_USAGE;
    mcgk_err e;
    uint64_t now = mcgk_now_unix_s(), cs_id = MCGK_GMK_CS_ID_MCPTT;
    unsigned purpose = MCGK_PURPOSE_GMK;
    if ((cli_has(a, "time") && (e = cli_u64_flag(a, "time", &now)) != MCGK_OK) ||
        (cli_has(a, "cs-id") && (e = cli_u64_flag(a, "cs-id", &cs_id)) != MCGK_OK) ||
        (cli_has(a, "purpose") && (e = parse_purpose(cli_get(a, "purpose"), &purpose)) != MCGK_OK))
        return e;
    if (cs_id > 255) {
        fprintf(stderr, "--cs-id: 0..255\n");
        return MCGK_ERR_USAGE;
    }
    uint64_t t_ntp = now + MCGK_NTP_UNIX_OFFSET_S;
    s->certs = calloc(2, sizeof *s->certs);
    if (s->certs == NULL)
        return MCGK_ERR_NO_MEMORY;
    e = mikey_io_load_certs(kc, s->certs, 1, &s->n_certs, now);
    if (e == MCGK_OK && cli_has(a, "user-kms-cert"))
        e = mikey_io_load_certs(cli_get(a, "user-kms-cert"), s->certs, 2, &s->n_certs, now);
    if (e == MCGK_OK)
        e = mcgk_sakke_community_new(s->certs[0].pub_enc_key, &s->gms_comm);
    if (e == MCGK_OK && s->n_certs == 2)
        e = mcgk_sakke_community_new(s->certs[1].pub_enc_key, &s->user_comm);
    if (e == MCGK_OK)
        e = mikey_io_load_keysets(kf, &s->keys);
    if (e != MCGK_OK)
        return e;
    const char *gms = cli_has(a, "gms") ? cli_get(a, "gms") : s->keys.keysets[0].user_uri;
    if ((e = mikey_io_signer(&s->certs[0], s->gms_comm, &s->keys, gms, t_ntp, &s->signer)) !=
        MCGK_OK)
        return e;

    /* the key: given or fresh (ts33180.md §0) */
    uint32_t key_id = 0;
    if ((e = mcgk_gmk_generate(mcgk_rng_system(), purpose, s->gmk, &key_id, s->rand)) != MCGK_OK)
        return e;
    s->rand_len = MCGK_GMK_RAND_LEN;
    if ((cli_has(a, "gmk") && (e = cli_hex_fixed(a, "gmk", s->gmk, MCGK_KEY_LEN)) != MCGK_OK) ||
        (cli_has(a, "gmk-id") && (e = mikey_io_u32_hex_flag(a, "gmk-id", &key_id)) != MCGK_OK))
        return e;
    if (cli_has(a, "rand")) {
        uint8_t *r = NULL;
        size_t rl = 0;
        if ((e = cli_hex_flag(a, "rand", &r, &rl)) != MCGK_OK)
            return e;
        if (rl < MCGK_GMK_RAND_LEN || rl > sizeof s->rand) {
            free(r);
            fprintf(stderr, "--rand: 16 to 255 octets\n");
            return MCGK_ERR_USAGE;
        }
        memcpy(s->rand, r, rl);
        s->rand_len = rl;
        free(r);
    }
    if (cli_has(a, "gmk-id") && cli_has(a, "purpose") && (key_id >> 28) != purpose) {
        fprintf(stderr, "--gmk-id: its purpose tag (4 MSBs) is not --purpose\n");
        return MCGK_ERR_USAGE;
    }
    purpose = key_id >> 28;
    if (!cli_has(a, "no-params") && (e = seal_params(a, s, purpose)) != MCGK_OK)
        return e;

    mcgk_gmk_kms gms_kms, user_kms;
    mikey_io_kms_view(&s->certs[0], s->gms_comm, &gms_kms);
    if (s->n_certs == 2)
        mikey_io_kms_view(&s->certs[1], s->user_comm, &user_kms);
    mcgk_gmk_build_cfg bc;
    memset(&bc, 0, sizeof bc);
    bc.key = s->gmk;
    bc.key_id = key_id;
    bc.rand = s->rand;
    bc.rand_len = s->rand_len;
    bc.ts_ntp_s = t_ntp;
    bc.params = cli_has(a, "no-params") ? NULL : &s->params;
    bc.gms_uri = gms;
    bc.gms_kms = &gms_kms;
    bc.signer = &s->signer;
    bc.sakke_to_self = cli_has(a, "sakke-to-self");
    bc.hide_initiator = cli_has(a, "hide-initiator");
    bc.hide_responder = cli_has(a, "hide-responder");
    bc.map = cli_has(a, "empty-map") ? MCGK_GMK_MAP_EMPTY : MCGK_GMK_MAP_GENERIC;
    bc.cs_id = (uint8_t)cs_id;
    if ((e = mcgk_gmk_ctx_init(&s->ctx, &bc)) != MCGK_OK)
        return e;
    mcgk_gmk_member mb = {user, s->n_certs == 2 ? &user_kms : &gms_kms};
    size_t len = 0;
    uint32_t guk = 0;
    e = mcgk_gmk_build_one(&s->ctx, &mb, mcgk_rng_system(), s->msg, sizeof s->msg, &len, &guk);
    if (e != MCGK_OK)
        return e;
    e = mikey_io_write_message(a, s->msg, len);
    if (e != MCGK_OK)
        return e;
    fprintf(stderr, "key_id = %08x\n%s = %08x\nlength = %zu\n", key_id,
            purpose == MCGK_PURPOSE_GMK ? "guk_id" : "csb_id", guk, len);
    if (cli_has(a, "show-key")) {
        fprintf(stderr, "key = ");
        for (size_t i = 0; i < MCGK_KEY_LEN; i++)
            fprintf(stderr, "%02x", s->gmk[i]);
        fprintf(stderr, "\n");
    }
    return MCGK_OK;
}

int mcgk_mikey_cmd_seal(int argc, char **argv)
{
    MIKEY_IO_FLAGS({"kms-cert", 1}, {"keys", 1}, {"gms", 1}, {"user", 1}, {"user-kms-cert", 1},
                   {"purpose", 1}, {"gmk", 1}, {"gmk-id", 1}, {"rand", 1}, {"time", 1},
                   {"no-params", 0}, {"revoked", 0}, {"gateway", 0}, {"activation", 1},
                   {"expiry", 1}, {"text", 1}, {"groups", 1}, {"sakke-to-self", 0},
                   {"hide-initiator", 0}, {"hide-responder", 0}, {"empty-map", 0}, {"cs-id", 1},
                   {"format", 1}, {"out", 1}, {"show-key", 0});
    if (a.npositional != 0) {
        fprintf(stderr, "mcgk mikey seal: unexpected argument '%s' (see --help)\n",
                a.positional[0]);
        return cli_fail(MCGK_ERR_USAGE);
    }
    seal_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return cli_fail(MCGK_ERR_NO_MEMORY);
    e = seal_run(&a, s);
    seal_state_free(s);
    free(s);
    return e == MCGK_OK ? 0 : cli_fail(e);
}
