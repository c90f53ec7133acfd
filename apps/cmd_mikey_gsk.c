/*
 * mcgk mikey gsk-seal | gsk-open: the ProSe GSK message for integrators
 * (mcgk/gsk_message.h; seed 002, mikey.md §14; docs/mikey.md).
 *
 *   gsk-seal   build a MIKEY pre-shared-key message carrying a GSK (given or
 *              fresh) under a GMK named by its GMK-ID, optionally signed with
 *              the initiator's ECCSI key set from KMS documents, for now or for
 *              a later time (pre-generation);
 *   gsk-open   open one as a member holding the GMK: every check of
 *              mcgk_gsk_open, the signature against the initiator's KMS
 *              certificate; prints the IDs, RAND, time, initiator - the GSK
 *              only with --show-key.
 *
 * This is a shell: it reads files and flags, calls the message layer and
 * prints. Exit 0 on success; 1 with `error: <name>` on stderr when the
 * operation fails (gsk-open: the message is rejected); 2 for bad usage.
 *
 * Secrets: the GMK and GSK given as flags (visible to other local users: use
 * test keys) or drawn, wiped after use; the key sets read from KMS documents
 * (wiped by mcgk_kms_response_clear); the GSK is printed only with --show-key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_mikey_gsk.h"
#include "mcgk/gsk_message.h"
#include "mcgk/kms.h"
#include "mcgk/platform.h"
#include "mikey_io.h"

#define MAX_TRUST 16
#define MSG_CAP 2048

/* The GMK held under one GMK-ID (--gmk, --gmk-id), SECRET. */
typedef struct gmk_flag {
    uint8_t key[MCGK_KEY_LEN];
    uint32_t id;
} gmk_flag;

static mcgk_err read_gmk(const cli_args *a, gmk_flag *g)
{
    if (cli_require(a, "gmk") == NULL || cli_require(a, "gmk-id") == NULL)
        return MCGK_ERR_USAGE;
    mcgk_err e = cli_hex_fixed(a, "gmk", g->key, sizeof g->key);
    if (e == MCGK_OK)
        e = mikey_io_u32_hex_flag(a, "gmk-id", &g->id);
    if (e == MCGK_OK && MCGK_MIKEY_PURPOSE_OF(g->id) != MCGK_PURPOSE_GMK) {
        fprintf(stderr, "--gmk-id: a GMK-ID has purpose tag 0 (its first hex digit is 0)\n");
        e = MCGK_ERR_USAGE;
    }
    return e;
}

static void print_hex_stderr(const char *name, const uint8_t *p, size_t n)
{
    fprintf(stderr, "%s = ", name);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%02x", p[i]);
    fprintf(stderr, "\n");
}

/* ================================ gsk-seal ================================ */

const char mcgk_mikey_gsk_seal_help[] =
    "usage: mcgk mikey gsk-seal --gmk HEX --gmk-id HEX [--gsk HEX] [--initiator URI]\n"
    "                           [--kms-cert FILE --keys FILE] [--time UNIX]\n"
    "                           [--format base64|binary|sdp] [--out FILE] [--show-key]\n\n"
    "Builds a ProSe Group Session Key message: a MIKEY pre-shared-key I_MESSAGE\n"
    "(RFC 3830, data type 0) carrying the GSK under the GMK named by its GMK-ID (IDR\n"
    "role 4), for the SDP offer of a group session or a broadcast announcement.\n"
    "The KEMAC holds the GSK as a TGK, encrypted with AES-CM-128 and MACed with\n"
    "HMAC-SHA-1 under transport keys derived from the GMK; with --keys the message\n"
    "is also signed (ECCSI SIGN) by the initiator.\n\n"
    "  --gmk HEX          the GMK (16 octets)\n"
    "  --gmk-id HEX       its GMK-ID (4 octets, purpose tag 0): the key identifier\n"
    "  --gsk HEX          the GSK to distribute (16 octets); default a fresh random one\n"
    "  --initiator URI    the initiator's identity (IDRi); with --keys the signing\n"
    "                     identity, default the UserUri of the first key set\n"
    "  --kms-cert FILE    the initiator's KMS certificate (KmsInit or KmsCertificate)\n"
    "  --keys FILE        the initiator's key sets (KmsKeyProv response): the one for\n"
    "                     the key period of --time signs\n"
    "  --time UNIX        the message time (Unix seconds); default the clock. A later\n"
    "                     time pre-generates the message for when it will be sent\n"
    "                     (receivers accept it from 300 s before that time on)\n"
    "  --format F         base64 (default, one line), binary, or sdp (a=key-mgmt line)\n"
    "  --out FILE         write the message to FILE (mode 0600) instead of stdout\n"
    "  --show-key         also report the GSK on stderr\n\n"
    "The message goes to stdout (or --out); `gmk_id`, `csb_id`, `rand`, `time` (Unix),\n"
    "`signed`, `length` (and `gsk` with --show-key) go to stderr as `name = value`.\n"
    "Exit status 0; 1 with `error: <name>` (e.g. keyset-mismatch, no-keys); 2 for bad\n"
    "usage.\n";

typedef struct seal_state {
    gmk_flag gmk;
    uint8_t gsk[MCGK_KEY_LEN];
    mcgk_kms_cert cert;
    size_t n_certs;
    mcgk_sakke_community *community;
    mcgk_kms_response keys;
    mcgk_eccsi_signer signer;
    mcgk_gsk_sealed sealed;
    uint8_t msg[MSG_CAP];
} seal_state;

static void seal_state_free(seal_state *s)
{
    mcgk_eccsi_signer_clear(&s->signer);
    mcgk_sakke_community_free(s->community);
    mcgk_kms_response_clear(&s->keys);
    mcgk_gsk_sealed_clear(&s->sealed);
    mcgk_wipe(s, sizeof *s);
}

static mcgk_err seal_run(const cli_args *a, seal_state *s)
{
    mcgk_err e = read_gmk(a, &s->gmk);
    if (e != MCGK_OK)
        return e;
    uint64_t now = mcgk_now_unix_s(), t = now;
    if (cli_has(a, "time") && (e = cli_u64_flag(a, "time", &t)) != MCGK_OK)
        return e;
    if (cli_has(a, "gsk") && (e = cli_hex_fixed(a, "gsk", s->gsk, sizeof s->gsk)) != MCGK_OK)
        return e;
    if (cli_has(a, "kms-cert") != cli_has(a, "keys")) {
        fprintf(stderr, "--kms-cert and --keys go together (they sign the message)\n");
        return MCGK_ERR_USAGE;
    }
    mcgk_gsk_build_cfg bc;
    memset(&bc, 0, sizeof bc);
    bc.gmk = s->gmk.key;
    bc.gmk_id = s->gmk.id;
    bc.gsk = cli_has(a, "gsk") ? s->gsk : NULL;
    bc.ts_ntp_s = t + MCGK_NTP_UNIX_OFFSET_S;
    bc.initiator_uri = cli_get(a, "initiator");
    mcgk_gmk_kms kms;
    if (cli_has(a, "keys")) {
        /* R-002-10: signed with the initiator's identity key set for the period of T */
        e = mikey_io_load_certs(cli_get(a, "kms-cert"), &s->cert, 1, &s->n_certs, now);
        if (e == MCGK_OK)
            e = mcgk_sakke_community_new(s->cert.pub_enc_key, &s->community);
        if (e == MCGK_OK)
            e = mikey_io_load_keysets(cli_get(a, "keys"), &s->keys);
        if (e != MCGK_OK)
            return e;
        if (bc.initiator_uri == NULL)
            bc.initiator_uri = s->keys.keysets[0].user_uri;
        e = mikey_io_signer(&s->cert, s->community, &s->keys, bc.initiator_uri, bc.ts_ntp_s,
                            &s->signer);
        if (e != MCGK_OK)
            return e;
        mikey_io_kms_view(&s->cert, NULL, &kms);
        bc.signer = &s->signer;
        bc.signer_kms = &kms;
    }
    size_t len = 0;
    e = mcgk_gsk_build(&bc, mcgk_rng_system(), s->msg, sizeof s->msg, &len, &s->sealed);
    if (e != MCGK_OK)
        return e;
    e = mikey_io_write_message(a, s->msg, len);
    if (e != MCGK_OK)
        return e;
    fprintf(stderr, "gmk_id = %08x\ncsb_id = %08x\n", s->gmk.id, s->sealed.csb_id);
    print_hex_stderr("rand", s->sealed.rand, sizeof s->sealed.rand);
    fprintf(stderr, "time = %llu\nsigned = %s\nlength = %zu\n", (unsigned long long)t,
            bc.signer != NULL ? "yes" : "no", len);
    if (cli_has(a, "show-key"))
        print_hex_stderr("gsk", s->sealed.gsk, sizeof s->sealed.gsk);
    return MCGK_OK;
}

int mcgk_mikey_cmd_gsk_seal(int argc, char **argv)
{
    MIKEY_IO_FLAGS({"gmk", 1}, {"gmk-id", 1}, {"gsk", 1}, {"initiator", 1}, {"kms-cert", 1},
                   {"keys", 1}, {"time", 1}, {"format", 1}, {"out", 1}, {"show-key", 0});
    if (a.npositional != 0) {
        fprintf(stderr, "mcgk mikey gsk-seal: unexpected argument '%s' (see --help)\n",
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

/* ================================ gsk-open ================================ */

const char mcgk_mikey_gsk_open_help[] =
    "usage: mcgk mikey gsk-open --gmk HEX --gmk-id HEX [--kms-cert FILE] [--trust F1,F2]\n"
    "                           [--require-signature] [--now UNIX] [--window-past S]\n"
    "                           [--window-future S] [--show-key] FILE|-\n\n"
    "Opens a ProSe Group Session Key message (a MIKEY pre-shared-key I_MESSAGE) as a\n"
    "group member holding the GMK: profile, timestamp window, the key identifier\n"
    "names the GMK held, the KEMAC MAC (before decrypting), the decrypted key data,\n"
    "and the initiator's ECCSI signature when the message is signed.\n\n"
    "The message (FILE, or - for standard input): binary, base64, `mikey <base64>` or\n"
    "an SDP `a=key-mgmt:mikey` line / body.\n\n"
    "  --gmk HEX             the GMK held (16 octets)\n"
    "  --gmk-id HEX          its GMK-ID (4 octets): a message naming another key\n"
    "                        identifier is refused (unknown-key-id)\n"
    "  --kms-cert FILE       the KMS certificate that verifies signing initiators\n"
    "                        (KmsInit, KmsCertCache or KmsCertificate); without it a\n"
    "                        signed message is refused (unknown-kms)\n"
    "  --trust F1,F2         further KMS certificates (partner KMSs); a signed\n"
    "                        message's IDRkmsi selects among them\n"
    "  --require-signature   refuse unsigned messages (unsigned)\n"
    "  --now UNIX            judge the timestamp at this time (Unix seconds); default\n"
    "                        the clock\n"
    "  --window-past S       accept timestamps up to S seconds old (default 3600)\n"
    "  --window-future S     ... and up to S seconds ahead (default 300)\n"
    "  --show-key            also print the GSK (gsk = HEX); never by default\n\n"
    "Prints `name = value` lines: outcome (accepted), gmk_id, csb_id, rand, timestamp,\n"
    "signed (yes | no), initiator, initiator_kms, initiator_uid (signed), key_type.\n"
    "The media keys follow from the GSK, csb_id and rand (RFC 3830 4.1.3).\n\n"
    "Exit status 0 (accepted); 1 when the message is rejected: stdout has\n"
    "`outcome = rejected`, stderr the detail and `error: <name>` (e.g. mikey-profile,\n"
    "unsigned, timestamp, key-purpose, unknown-key-id, mac, key-data, unknown-kms,\n"
    "signature); 2 for bad usage.\n";

typedef struct gopen_state {
    gmk_flag gmk;
    mcgk_kms_cert *certs;
    size_t n_certs;
    mcgk_gmk_kms kms[MAX_TRUST + 1];
    uint8_t *msg;
    size_t msg_len;
} gopen_state;

static int held_gmk(void *ctx, unsigned purpose, uint32_t key_id, uint8_t key[MCGK_KEY_LEN])
{
    const gopen_state *s = ctx;
    if (purpose != MCGK_PURPOSE_GMK || key_id != s->gmk.id)
        return 0;
    memcpy(key, s->gmk.key, MCGK_KEY_LEN);
    return 1;
}

/* the KMS the message names (IDRkmsi), or the first certificate when it names none */
static const mcgk_gmk_kms *trusted_kms(void *ctx, const char *uri, const char *kms_uri)
{
    const gopen_state *s = ctx;
    (void)uri;
    for (size_t i = 0; i < s->n_certs; i++)
        if (kms_uri[0] == '\0' || strcmp(s->kms[i].kms_uri, kms_uri) == 0)
            return &s->kms[i];
    return NULL;
}

static void print_gsk_result(const mcgk_gsk_result *r, int show_key)
{
    printf("outcome = accepted\n");
    printf("gmk_id = %08x\n", r->gmk_id);
    printf("csb_id = %08x\n", r->csb_id);
    cli_print_hex("rand", r->rand, r->rand_len);
    mikey_io_print_ntp("timestamp", r->ts_ntp_s);
    printf("signed = %s\n", r->is_signed ? "yes" : "no");
    if (r->initiator_uri[0] != '\0')
        mikey_io_print_text("initiator", r->initiator_uri, strlen(r->initiator_uri));
    if (r->initiator_kms_uri[0] != '\0')
        mikey_io_print_text("initiator_kms", r->initiator_kms_uri,
                            strlen(r->initiator_kms_uri));
    if (r->is_signed)
        cli_print_hex("initiator_uid", r->initiator_uid, sizeof r->initiator_uid);
    const char *kn = mcgk_mikey_kd_type_name(r->key_type);
    printf("key_type = %u (%s)\n", r->key_type, kn != NULL ? kn : "?");
    if (show_key)
        cli_print_hex("gsk", r->gsk, sizeof r->gsk);
}

static mcgk_err gopen_config(const cli_args *a, gopen_state *s, mcgk_gsk_open_cfg *cfg,
                             uint64_t now)
{
    mcgk_err e = read_gmk(a, &s->gmk);
    if (e != MCGK_OK)
        return e;
    mcgk_gsk_open_cfg_init(cfg);
    cfg->lookup = held_gmk;
    cfg->lookup_ctx = s;
    cfg->require_signature = cli_has(a, "require-signature");
    if ((cli_has(a, "window-past") &&
         (e = cli_u64_flag(a, "window-past", &cfg->window_past_s)) != MCGK_OK) ||
        (cli_has(a, "window-future") &&
         (e = cli_u64_flag(a, "window-future", &cfg->window_future_s)) != MCGK_OK))
        return e;
    if (cli_has(a, "trust") && !cli_has(a, "kms-cert")) {
        fprintf(stderr, "--trust needs --kms-cert\n");
        return MCGK_ERR_USAGE;
    }
    if (!cli_has(a, "kms-cert"))
        return MCGK_OK;
    s->certs = calloc(MAX_TRUST + 1, sizeof *s->certs);
    if (s->certs == NULL)
        return MCGK_ERR_NO_MEMORY;
    e = mikey_io_load_certs(cli_get(a, "kms-cert"), s->certs, 1, &s->n_certs, now);
    if (e == MCGK_OK && cli_has(a, "trust")) {
        char buf[4096], *items[MAX_TRUST];
        snprintf(buf, sizeof buf, "%s", cli_get(a, "trust"));
        size_t n = mikey_io_split_list(buf, items, MAX_TRUST);
        for (size_t i = 0; i < n && e == MCGK_OK; i++)
            e = mikey_io_load_certs(items[i], s->certs, MAX_TRUST + 1, &s->n_certs, now);
    }
    if (e != MCGK_OK)
        return e;
    for (size_t i = 0; i < s->n_certs; i++)
        mikey_io_kms_view(&s->certs[i], NULL, &s->kms[i]);
    cfg->signer_kms = trusted_kms;
    cfg->signer_kms_ctx = s;
    return MCGK_OK;
}

int mcgk_mikey_cmd_gsk_open(int argc, char **argv)
{
    MIKEY_IO_FLAGS({"gmk", 1}, {"gmk-id", 1}, {"kms-cert", 1}, {"trust", 1},
                   {"require-signature", 0}, {"now", 1}, {"window-past", 1},
                   {"window-future", 1}, {"show-key", 0});
    if (a.npositional != 1) {
        fprintf(stderr,
                "mcgk mikey gsk-open: give one FILE, or - for standard input (see --help)\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    uint64_t now = mcgk_now_unix_s();
    if (cli_has(&a, "now") && (e = cli_u64_flag(&a, "now", &now)) != MCGK_OK)
        return cli_fail(e);
    gopen_state *s = calloc(1, sizeof *s);
    mcgk_gsk_result *r = calloc(1, sizeof *r);
    if (s == NULL || r == NULL) {
        free(s);
        free(r);
        return cli_fail(MCGK_ERR_NO_MEMORY);
    }
    mcgk_gsk_open_cfg cfg;
    e = gopen_config(&a, s, &cfg, now);
    if (e == MCGK_OK)
        e = mikey_io_read_message(a.positional[0], &s->msg, &s->msg_len);
    int rc;
    if (e != MCGK_OK) {
        rc = cli_fail(e);
    } else {
        mcgk_err detail = MCGK_OK;
        e = mcgk_gsk_open(&cfg, s->msg, s->msg_len, now, r, &detail);
        if (e == MCGK_OK) {
            print_gsk_result(r, cli_has(&a, "show-key"));
            rc = fflush(stdout) == 0 ? 0 : cli_fail(MCGK_ERR_IO);
        } else {
            printf("outcome = rejected\n");
            fflush(stdout);
            if (detail != e)
                fprintf(stderr, "detail: %s\n", mcgk_strerror(detail));
            rc = cli_fail(e);
        }
    }
    mcgk_gsk_result_clear(r);
    free(r);
    free(s->certs);
    free(s->msg);
    mcgk_wipe(s, sizeof *s);
    free(s);
    return rc;
}
