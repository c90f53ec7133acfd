/*
 * mcgk media <verb>: media-protection diagnostics for interop checks (docs/media.md).
 * Hex in, `name = HEX` lines out; exit 0 on success, 1 with `error: <name>` on a
 * failed operation, 2 for bad usage.
 *
 *   srtp-keys    the SRTP master key, salt and MKI of a sender under a GMK (§7.4.2)
 *   mcdata-seal  an MCData group payload sealed under the GMK (§8, R-003-38)
 *   mcdata-open  ... and opened
 *
 * This is a shell over mcgk/srtp.h and mcgk/mcdata.h. Secrets given on the command
 * line are wiped after use, but a command line is visible to other local users: use
 * these verbs with test keys.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mcgk/gmk_message.h"
#include "mcgk/kdf.h"
#include "mcgk/mcdata.h"
#include "mcgk/platform.h"
#include "mcgk/srtp.h"
#include "roles.h"

#define FLAGS(...) CLI_PARSE_FLAGS(__VA_ARGS__)

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* a 4-octet key identifier flag */
static mcgk_err id_flag(const cli_args *a, const char *name, uint32_t *out)
{
    uint8_t b[4];
    mcgk_err e = cli_hex_fixed(a, name, b, sizeof b);
    if (e == MCGK_OK)
        *out = be32(b);
    return e;
}

static void print_id(const char *name, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    cli_print_hex(name, b, 4);
}

/* ---- srtp-keys ---- */
static const char help_srtp_keys[] =
    "usage: mcgk media srtp-keys --gmk HEX --gmk-id HEX (--guk-id HEX | --user URI)\n"
    "                            --rand HEX [--cs-id N]\n\n"
    "The SRTP master key and salt a group member sends under (TS 33.180 7.4.2):\n"
    "  master key  = PRF(GMK, 0x2AD01C64 || CS-ID || GUK-ID || RAND)   16 octets\n"
    "  master salt = PRF(GMK, 0x39A2C14B || CS-ID || GUK-ID || RAND)   12 octets\n"
    "  MKI         = GMK-ID || GUK-ID                                   8 octets\n"
    "GUK-ID is the sender's (its I_MESSAGE's CSB ID); with --user it is computed from\n"
    "the sender's URI (5.2.3). RAND is the RAND of the I_MESSAGE that carried the GMK.\n"
    "--cs-id: 4 MCPTT group call (default), 5 MCVideo group call.\n"
    "Prints master_key, master_salt, mki (and guk_id with --user).\n";

static int run_srtp_keys(int argc, char **argv)
{
    FLAGS({"gmk", 1}, {"gmk-id", 1}, {"guk-id", 1}, {"user", 1}, {"rand", 1}, {"cs-id", 1});
    uint8_t gmk[MCGK_KEY_LEN];
    uint8_t *rand = NULL;
    size_t rand_len = 0;
    uint32_t gmk_id = 0, guk_id = 0;
    uint64_t cs = MCGK_GMK_CS_ID_MCPTT;
    const char *user = cli_get(&a, "user");
    mcgk_srtp_keys k;
    memset(&k, 0, sizeof k);
    if ((user != NULL) == cli_has(&a, "guk-id")) {
        fprintf(stderr, "give exactly one of --guk-id and --user (see --help)\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    if ((e = cli_hex_fixed(&a, "gmk", gmk, sizeof gmk)) != MCGK_OK ||
        (e = id_flag(&a, "gmk-id", &gmk_id)) != MCGK_OK ||
        (e = cli_hex_flag(&a, "rand", &rand, &rand_len)) != MCGK_OK)
        goto out;
    if (cli_has(&a, "cs-id") && ((e = cli_u64_flag(&a, "cs-id", &cs)) != MCGK_OK || cs > 255)) {
        fprintf(stderr, "--cs-id: 0..255\n");
        e = MCGK_ERR_USAGE;
        goto out;
    }
    if (user != NULL)
        e = mcgk_guk_id(gmk, sizeof gmk, gmk_id, user, strlen(user), &guk_id);
    else
        e = id_flag(&a, "guk-id", &guk_id);
    if (e == MCGK_OK)
        e = mcgk_srtp_keys_derive(gmk, gmk_id, guk_id, rand, rand_len, (uint8_t)cs, &k);
    if (e == MCGK_OK) {
        cli_print_hex("master_key", k.master_key, sizeof k.master_key);
        cli_print_hex("master_salt", k.master_salt, sizeof k.master_salt);
        cli_print_hex("mki", k.mki, sizeof k.mki);
        if (user != NULL)
            print_id("guk_id", guk_id);
    }
out:
    mcgk_wipe(gmk, sizeof gmk);
    mcgk_srtp_keys_clear(&k);
    free(rand);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ---- mcdata-seal ---- */

/* the RNG of --iv: hands out the given IV */
static int fill_fixed_iv(void *ctx, uint8_t *out, size_t len)
{
    if (len != MCGK_PP_IV_LEN)
        return 1;
    memcpy(out, ctx, len);
    return 0;
}

static const char help_mcdata_seal[] =
    "usage: mcgk media mcdata-seal --gmk HEX --gmk-id HEX --payload HEX [--iv HEX]\n"
    "                              [--date-time N] [--payload-id N] [--seq N]\n\n"
    "Seals an MCData group payload under the GMK (TS 33.180 8; R-003-38: DPPK = GMK,\n"
    "DPPK-ID = GMK-ID, DPCK = KDF(GMK, 0x53, GMK-ID), AES-128-GCM). The IV (16 octets)\n"
    "is random unless --iv is given (for reproducible interop checks only: never reuse\n"
    "an IV under one GMK). Prints envelope = HEX.\n";

static int run_mcdata_seal(int argc, char **argv)
{
    FLAGS({"gmk", 1}, {"gmk-id", 1}, {"payload", 1}, {"iv", 1}, {"date-time", 1},
          {"payload-id", 1}, {"seq", 1});
    uint8_t gmk[MCGK_KEY_LEN], iv[MCGK_PP_IV_LEN];
    uint8_t *payload = NULL, *env = NULL;
    size_t plen = 0, el = 0;
    uint32_t gmk_id = 0;
    uint64_t v = 0;
    mcgk_mcdata_info info;
    mcgk_mcdata_info_init(&info);
    int fixed_iv = cli_has(&a, "iv");
    if ((e = cli_hex_fixed(&a, "gmk", gmk, sizeof gmk)) != MCGK_OK ||
        (e = id_flag(&a, "gmk-id", &gmk_id)) != MCGK_OK ||
        (e = cli_hex_flag(&a, "payload", &payload, &plen)) != MCGK_OK ||
        (fixed_iv && (e = cli_hex_fixed(&a, "iv", iv, sizeof iv)) != MCGK_OK))
        goto out;
    if (cli_has(&a, "date-time")) {
        if ((e = cli_u64_flag(&a, "date-time", &v)) != MCGK_OK)
            goto out;
        info.date_time = v;
    }
    if (cli_has(&a, "payload-id")) {
        if ((e = cli_u64_flag(&a, "payload-id", &v)) != MCGK_OK || v > UINT32_MAX) {
            e = MCGK_ERR_USAGE;
            goto out;
        }
        info.payload_id = (uint32_t)v;
    }
    if (cli_has(&a, "seq")) {
        if ((e = cli_u64_flag(&a, "seq", &v)) != MCGK_OK || v > 255) {
            e = MCGK_ERR_USAGE;
            goto out;
        }
        info.payload_seq = (uint8_t)v;
    }
    mcgk_rng given = {fill_fixed_iv, iv};
    const mcgk_rng *rng = fixed_iv ? &given : mcgk_rng_system();
    if ((e = mcgk_mcdata_protect(gmk, gmk_id, &info, rng, payload, plen, NULL, 0, &el)) !=
        MCGK_OK)
        goto out;
    if ((env = malloc(el)) == NULL) {
        e = MCGK_ERR_NO_MEMORY;
        goto out;
    }
    if ((e = mcgk_mcdata_protect(gmk, gmk_id, &info, rng, payload, plen, env, el, &el)) ==
        MCGK_OK)
        cli_print_hex("envelope", env, el);
out:
    mcgk_wipe(gmk, sizeof gmk);
    if (payload != NULL)
        mcgk_wipe(payload, plen);
    free(payload);
    free(env);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ---- mcdata-open ---- */
static const char help_mcdata_open[] =
    "usage: mcgk media mcdata-open --gmk HEX --gmk-id HEX --envelope HEX\n\n"
    "Opens an MCData group payload envelope (TS 33.180 8.5.4 layout) under the GMK:\n"
    "checks the framing, the algorithm, that DPPK-ID is the GMK-ID, and the AES-GCM\n"
    "tag. Prints payload = HEX and the header fields.\n";

static int run_mcdata_open(int argc, char **argv)
{
    FLAGS({"gmk", 1}, {"gmk-id", 1}, {"envelope", 1});
    uint8_t gmk[MCGK_KEY_LEN];
    uint8_t *env = NULL, *out = NULL;
    size_t el = 0, ol = 0;
    uint32_t gmk_id = 0;
    mcgk_mcdata_info info;
    if ((e = cli_hex_fixed(&a, "gmk", gmk, sizeof gmk)) != MCGK_OK ||
        (e = id_flag(&a, "gmk-id", &gmk_id)) != MCGK_OK ||
        (e = cli_hex_flag(&a, "envelope", &env, &el)) != MCGK_OK)
        goto out;
    if ((out = malloc(el + 1)) == NULL) {
        e = MCGK_ERR_NO_MEMORY;
        goto out;
    }
    e = mcgk_mcdata_open(gmk, gmk_id, env, el, out, el, &ol, &info);
    if (e == MCGK_OK) {
        cli_print_hex("payload", out, ol);
        printf("message_type = %02x\ndate_time = %llu\npayload_id = %lu\npayload_seq = %u\n",
               info.message_type, (unsigned long long)info.date_time,
               (unsigned long)info.payload_id, (unsigned)info.payload_seq);
    }
out:
    mcgk_wipe(gmk, sizeof gmk);
    if (out != NULL)
        mcgk_wipe(out, el);
    free(out);
    free(env);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

static const cli_verb k_verbs[] = {
    {"srtp-keys", "SRTP master key, salt and MKI of a group member (TS 33.180 7.4.2)",
     run_srtp_keys, help_srtp_keys},
    {"mcdata-seal", "seal an MCData group payload under the GMK (TS 33.180 8)",
     run_mcdata_seal, help_mcdata_seal},
    {"mcdata-open", "open an MCData group payload envelope under the GMK", run_mcdata_open,
     help_mcdata_open},
};

int mcgk_cmd_media(int argc, char **argv)
{
    return cli_dispatch("media",
                        "Media protection under the GMK (SRTP keys, MCData payloads) for interop\n"
                        "checks. Hex in, 'name = HEX' lines out; on failure 'error: <name>' on\n"
                        "stderr and a non-zero exit.",
                        k_verbs, sizeof k_verbs / sizeof k_verbs[0], argc, argv);
}
