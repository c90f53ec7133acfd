/*
 * mcgk crypto <verb>: diagnostics for integrators. Hex in, `name = HEX` lines
 * out (the format of the test vectors). Exit 0 on success; on failure exit 1
 * (2 for bad usage) with `error: <error-name>` on stderr.
 *
 * This is a shell: it parses flags, calls the core (mcgk/eccsi.h,
 * mcgk/sakke.h, mcgk/kdf.h) and prints. Secrets given on the command line
 * are wiped after use, but a command line is visible to other local users:
 * use these verbs with test keys.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mcgk/eccsi.h"
#include "mcgk/kdf.h"
#include "mcgk/platform.h"
#include "mcgk/sakke.h"
#include "roles.h"

#define FLAGS(...) CLI_PARSE_FLAGS(__VA_ARGS__)

/* ---- uid ---- */
static const char help_uid[] =
    "usage: mcgk crypto uid --user URI --kms URI --period SECONDS --offset SECONDS\n"
    "                       (--period-no N | --time NTP_SECONDS)\n\n"
    "Computes the MIKEY-SAKKE UID of TS 33.180 F.2.1 (UserIdFormat 2):\n"
    "SHA-256 of 0x00 || 'MIKEY-SAKKE-UID' || the user URI || the KMS URI ||\n"
    "key period || offset || key period number, each with its 2-octet length.\n\n"
    "  --user URI         the identity (MC service user ID, GMS URI, ...), exact string\n"
    "  --kms URI          the KMS URI exactly as in the KMS certificate (KmsUri)\n"
    "  --period SECONDS   UserKeyPeriod of the KMS certificate\n"
    "  --offset SECONDS   UserKeyOffset of the KMS certificate\n"
    "  --period-no N      the key period number, or\n"
    "  --time NTP         a time in NTP seconds (Unix + 2208988800): its period is used\n\n"
    "Prints: uid = HEX (and period_no = N in decimal when --time is given).\n";

static int run_uid(int argc, char **argv)
{
    FLAGS({"user", 1}, {"kms", 1}, {"period", 1}, {"offset", 1}, {"period-no", 1}, {"time", 1});
    const char *user = cli_require(&a, "user"), *kms = cli_require(&a, "kms");
    uint64_t period = 0, offset = 0, no = 0, t = 0;
    if (!user || !kms)
        return cli_fail(MCGK_ERR_USAGE);
    if ((e = cli_u64_flag(&a, "period", &period)) != MCGK_OK ||
        (e = cli_u64_flag(&a, "offset", &offset)) != MCGK_OK)
        return cli_fail(e);
    int by_time = cli_has(&a, "time");
    if (by_time) {
        if ((e = cli_u64_flag(&a, "time", &t)) != MCGK_OK)
            return cli_fail(e);
        if ((e = mcgk_key_period_no(t, period, offset, &no)) != MCGK_OK)
            return cli_fail(e);
    } else if ((e = cli_u64_flag(&a, "period-no", &no)) != MCGK_OK) {
        return cli_fail(e);
    }
    uint8_t uid[MCGK_UID_LEN];
    e = mcgk_uid(user, strlen(user), kms, strlen(kms), period, offset, no, uid);
    if (e != MCGK_OK)
        return cli_fail(e);
    cli_print_hex("uid", uid, sizeof uid);
    if (by_time)
        printf("period_no = %llu\n", (unsigned long long)no);
    return 0;
}

/* ---- kms-keygen ---- */
static const char help_kms_keygen[] =
    "usage: mcgk crypto kms-keygen\n\n"
    "Draws fresh KMS master secrets from the OS random generator and prints them\n"
    "with their public keys: ksak (ECCSI KMS Secret Authentication Key, 32 octets),\n"
    "kpak (= [KSAK]G, 65 octets), z (SAKKE KMS master secret, 128 octets) and\n"
    "Z (= [z]P, 257 octets). For tests and integration only: a real KMS keeps its\n"
    "secrets encrypted (mcgk kms init).\n";

static int run_kms_keygen(int argc, char **argv)
{
    FLAGS({"_", 0});
    (void)a;
    uint8_t ksak[32], kpak[65], z[128], Z[257];
    e = mcgk_eccsi_kms_keygen(mcgk_rng_system(), ksak, kpak);
    if (e == MCGK_OK)
        e = mcgk_sakke_kms_keygen(mcgk_rng_system(), z, Z);
    if (e == MCGK_OK) {
        cli_print_hex("ksak", ksak, sizeof ksak);
        cli_print_hex("kpak", kpak, sizeof kpak);
        cli_print_hex("z", z, sizeof z);
        cli_print_hex("Z", Z, sizeof Z);
    }
    mcgk_wipe(ksak, sizeof ksak);
    mcgk_wipe(z, sizeof z);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ---- issue ---- */
static const char help_issue[] =
    "usage: mcgk crypto issue --ksak HEX --z HEX --id HEX\n\n"
    "Issues the key set of one identifier as a KMS does: ssk and pvt (ECCSI,\n"
    "RFC 6507 5.1.1, with a fresh random v) and rsk (SAKKE, RFC 6508 6.1.1).\n\n"
    "  --ksak HEX   ECCSI KMS secret (32 octets)\n"
    "  --z HEX      SAKKE KMS master secret (1..128 octets, big-endian)\n"
    "  --id HEX     the identifier (normally a 32-octet UID: see 'mcgk crypto uid')\n";

static int run_issue(int argc, char **argv)
{
    FLAGS({"ksak", 1}, {"z", 1}, {"id", 1});
    uint8_t ksak[32], ssk[32], pvt[65], rsk[257];
    uint8_t *z = NULL, *id = NULL;
    size_t zl = 0, idl = 0;
    if ((e = cli_hex_fixed(&a, "ksak", ksak, sizeof ksak)) == MCGK_OK &&
        (e = cli_hex_flag(&a, "z", &z, &zl)) == MCGK_OK &&
        (e = cli_hex_flag(&a, "id", &id, &idl)) == MCGK_OK &&
        (e = mcgk_eccsi_issue(ksak, id, idl, mcgk_rng_system(), ssk, pvt)) == MCGK_OK &&
        (e = mcgk_sakke_rsk_issue(z, zl, id, idl, rsk)) == MCGK_OK) {
        cli_print_hex("ssk", ssk, sizeof ssk);
        cli_print_hex("pvt", pvt, sizeof pvt);
        cli_print_hex("rsk", rsk, sizeof rsk);
    }
    mcgk_wipe(ksak, sizeof ksak);
    mcgk_wipe(ssk, sizeof ssk);
    mcgk_wipe(rsk, sizeof rsk);
    if (z)
        mcgk_wipe(z, zl);
    free(z);
    free(id);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ---- validate ---- */
static const char help_validate[] =
    "usage: mcgk crypto validate --kpak HEX --Z HEX --id HEX [--ssk HEX --pvt HEX] [--rsk HEX]\n\n"
    "Validates a received key set as a client must before installing it:\n"
    "SSK/PVT by RFC 6507 5.1.2 ([SSK]G == KPAK + [HS]PVT) and the RSK by\n"
    "RFC 6508 6.1.2 (<[a]P + Z, RSK> == g). Prints ssk_valid = 01 and/or\n"
    "rsk_valid = 01; exits 1 with error: ssk-invalid / rsk-invalid (or a point\n"
    "or length error) otherwise.\n\n"
    "  --kpak HEX   the KMS's ECCSI public key (PubAuthKey, 65 octets)\n"
    "  --Z HEX      the KMS's SAKKE public key (PubEncKey, 257 octets)\n"
    "  --id HEX     the identifier the keys were issued for (the UID)\n"
    "  --ssk HEX, --pvt HEX   the ECCSI pair to check (32 and 65 octets)\n"
    "  --rsk HEX    the SAKKE RSK to check (257 octets)\n";

static int run_validate(int argc, char **argv)
{
    FLAGS({"kpak", 1}, {"Z", 1}, {"id", 1}, {"ssk", 1}, {"pvt", 1}, {"rsk", 1});
    uint8_t kpak[65], Z[257], ssk[32], pvt[65], rsk[257];
    uint8_t *id = NULL;
    size_t idl = 0;
    int want_ssk = cli_has(&a, "ssk") || cli_has(&a, "pvt"), want_rsk = cli_has(&a, "rsk");
    mcgk_sakke_community *c = NULL;
    if (!want_ssk && !want_rsk) {
        fprintf(stderr, "nothing to validate: give --ssk/--pvt and/or --rsk\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    if ((e = cli_hex_flag(&a, "id", &id, &idl)) != MCGK_OK)
        goto out;
    if (want_ssk) {
        if ((e = cli_hex_fixed(&a, "kpak", kpak, sizeof kpak)) != MCGK_OK ||
            (e = cli_hex_fixed(&a, "ssk", ssk, sizeof ssk)) != MCGK_OK ||
            (e = cli_hex_fixed(&a, "pvt", pvt, sizeof pvt)) != MCGK_OK ||
            (e = mcgk_eccsi_validate_ssk(kpak, id, idl, ssk, pvt)) != MCGK_OK)
            goto out;
        cli_print_hex("ssk_valid", (const uint8_t *)"\x01", 1);
    }
    if (want_rsk) {
        if ((e = cli_hex_fixed(&a, "Z", Z, sizeof Z)) != MCGK_OK ||
            (e = cli_hex_fixed(&a, "rsk", rsk, sizeof rsk)) != MCGK_OK ||
            (e = mcgk_sakke_community_new(Z, &c)) != MCGK_OK ||
            (e = mcgk_sakke_rsk_validate(c, id, idl, rsk)) != MCGK_OK)
            goto out;
        cli_print_hex("rsk_valid", (const uint8_t *)"\x01", 1);
    }
out:
    mcgk_wipe(ssk, sizeof ssk);
    mcgk_wipe(rsk, sizeof rsk);
    mcgk_sakke_community_free(c);
    free(id);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ---- eccsi-sign / eccsi-verify ---- */
static const char help_sign[] =
    "usage: mcgk crypto eccsi-sign --kpak HEX --id HEX --ssk HEX --pvt HEX --msg HEX\n\n"
    "Signs msg with ECCSI (RFC 6507 5.2.1) after validating the key pair, with a\n"
    "fresh random j. Prints sig = r || s || PVT (129 octets).\n";

static int run_sign(int argc, char **argv)
{
    FLAGS({"kpak", 1}, {"id", 1}, {"ssk", 1}, {"pvt", 1}, {"msg", 1});
    uint8_t kpak[65], ssk[32], pvt[65], sig[129];
    uint8_t *id = NULL, *msg = NULL;
    size_t idl = 0, ml = 0;
    mcgk_eccsi_signer signer;
    memset(&signer, 0, sizeof signer);
    if ((e = cli_hex_fixed(&a, "kpak", kpak, sizeof kpak)) == MCGK_OK &&
        (e = cli_hex_flag(&a, "id", &id, &idl)) == MCGK_OK &&
        (e = cli_hex_fixed(&a, "ssk", ssk, sizeof ssk)) == MCGK_OK &&
        (e = cli_hex_fixed(&a, "pvt", pvt, sizeof pvt)) == MCGK_OK &&
        (e = cli_hex_flag(&a, "msg", &msg, &ml)) == MCGK_OK &&
        (e = mcgk_eccsi_signer_init(&signer, kpak, id, idl, ssk, pvt)) == MCGK_OK &&
        (e = mcgk_eccsi_sign(&signer, msg, ml, mcgk_rng_system(), sig)) == MCGK_OK)
        cli_print_hex("sig", sig, sizeof sig);
    mcgk_eccsi_signer_clear(&signer);
    mcgk_wipe(ssk, sizeof ssk);
    free(id);
    free(msg);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

static const char help_verify[] =
    "usage: mcgk crypto eccsi-verify --kpak HEX --id HEX --msg HEX --sig HEX\n\n"
    "Verifies an ECCSI signature (RFC 6507 5.2.2). Prints valid = 01 and exits 0\n"
    "when it verifies; exits 1 with error: signature (or a point error for a bad\n"
    "PVT inside the signature) when it does not.\n";

static int run_verify(int argc, char **argv)
{
    FLAGS({"kpak", 1}, {"id", 1}, {"msg", 1}, {"sig", 1});
    uint8_t kpak[65], sig[129];
    uint8_t *id = NULL, *msg = NULL;
    size_t idl = 0, ml = 0;
    if ((e = cli_hex_fixed(&a, "kpak", kpak, sizeof kpak)) == MCGK_OK &&
        (e = cli_hex_flag(&a, "id", &id, &idl)) == MCGK_OK &&
        (e = cli_hex_flag(&a, "msg", &msg, &ml)) == MCGK_OK &&
        (e = cli_hex_fixed(&a, "sig", sig, sizeof sig)) == MCGK_OK &&
        (e = mcgk_eccsi_verify(kpak, id, idl, msg, ml, sig)) == MCGK_OK)
        cli_print_hex("valid", (const uint8_t *)"\x01", 1);
    free(id);
    free(msg);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ---- sakke-encap / sakke-decap ---- */
static const char help_encap[] =
    "usage: mcgk crypto sakke-encap --Z HEX --id HEX --ssv HEX\n\n"
    "Encapsulates the 16-octet SSV (a GMK, PCK ...) to the identifier with SAKKE\n"
    "(RFC 6508 6.2.1, parameter set 1). Deterministic for a given SSV.\n"
    "Prints encap = R || H (273 octets).\n";

static int run_encap(int argc, char **argv)
{
    FLAGS({"Z", 1}, {"id", 1}, {"ssv", 1});
    uint8_t Z[257], ssv[16], enc[273];
    uint8_t *id = NULL;
    size_t idl = 0;
    mcgk_sakke_community *c = NULL;
    if ((e = cli_hex_fixed(&a, "Z", Z, sizeof Z)) == MCGK_OK &&
        (e = cli_hex_flag(&a, "id", &id, &idl)) == MCGK_OK &&
        (e = cli_hex_fixed(&a, "ssv", ssv, sizeof ssv)) == MCGK_OK &&
        (e = mcgk_sakke_community_new(Z, &c)) == MCGK_OK &&
        (e = mcgk_sakke_encapsulate(c, id, idl, ssv, enc)) == MCGK_OK)
        cli_print_hex("encap", enc, sizeof enc);
    mcgk_wipe(ssv, sizeof ssv);
    mcgk_sakke_community_free(c);
    free(id);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

static const char help_decap[] =
    "usage: mcgk crypto sakke-decap --Z HEX --id HEX --rsk HEX --encap HEX\n\n"
    "Validates the RSK, decapsulates (RFC 6508 6.2.2) and re-checks R (the TEST\n"
    "step). Prints ssv = HEX (16 octets); error: decapsulate when TEST fails.\n";

static int run_decap(int argc, char **argv)
{
    FLAGS({"Z", 1}, {"id", 1}, {"rsk", 1}, {"encap", 1});
    uint8_t Z[257], rsk[257], enc[273], ssv[16];
    uint8_t *id = NULL;
    size_t idl = 0;
    mcgk_sakke_community *c = NULL;
    mcgk_sakke_receiver *r = NULL;
    if ((e = cli_hex_fixed(&a, "Z", Z, sizeof Z)) == MCGK_OK &&
        (e = cli_hex_flag(&a, "id", &id, &idl)) == MCGK_OK &&
        (e = cli_hex_fixed(&a, "rsk", rsk, sizeof rsk)) == MCGK_OK &&
        (e = cli_hex_fixed(&a, "encap", enc, sizeof enc)) == MCGK_OK &&
        (e = mcgk_sakke_community_new(Z, &c)) == MCGK_OK &&
        (e = mcgk_sakke_receiver_new(c, id, idl, rsk, &r)) == MCGK_OK &&
        (e = mcgk_sakke_decapsulate(r, enc, ssv)) == MCGK_OK)
        cli_print_hex("ssv", ssv, sizeof ssv);
    mcgk_wipe(rsk, sizeof rsk);
    mcgk_wipe(ssv, sizeof ssv);
    mcgk_sakke_receiver_free(r);
    mcgk_sakke_community_free(c);
    free(id);
    return e == MCGK_OK ? 0 : cli_fail(e);
}

/* ---- guk-id ---- */
static const char help_guk[] =
    "usage: mcgk crypto guk-id --gmk HEX --gmk-id HEX --user URI\n\n"
    "Computes the user salt (28 LSBs of KDF(GMK, 0x50, URI), TS 33.180 F.1.3) and\n"
    "GUK-ID = purpose tag of GMK-ID || (GMK-ID xor salt) (TS 33.180 5.2.3).\n"
    "The same computation maps a received GUK-ID back to the GMK-ID.\n"
    "Prints guk_id = HEX (4 octets) and user_salt = HEX (28 bits, 7 hex digits).\n";

static int run_guk(int argc, char **argv)
{
    FLAGS({"gmk", 1}, {"gmk-id", 1}, {"user", 1});
    uint8_t gmk[16], kid[4];
    const char *user = cli_require(&a, "user");
    uint32_t guk = 0, salt = 0;
    if (user == NULL)
        return cli_fail(MCGK_ERR_USAGE);
    if ((e = cli_hex_fixed(&a, "gmk", gmk, sizeof gmk)) == MCGK_OK &&
        (e = cli_hex_fixed(&a, "gmk-id", kid, sizeof kid)) == MCGK_OK) {
        uint32_t gmk_id = (uint32_t)kid[0] << 24 | (uint32_t)kid[1] << 16 |
                          (uint32_t)kid[2] << 8 | kid[3];
        if ((e = mcgk_guk_id(gmk, sizeof gmk, gmk_id, user, strlen(user), &guk)) == MCGK_OK &&
            (e = mcgk_user_salt(gmk, sizeof gmk, user, strlen(user), &salt)) == MCGK_OK) {
            uint8_t g[4] = {(uint8_t)(guk >> 24), (uint8_t)(guk >> 16), (uint8_t)(guk >> 8),
                            (uint8_t)guk};
            cli_print_hex("guk_id", g, 4);
            printf("user_salt = %07x\n", (unsigned)salt);
        }
    }
    mcgk_wipe(gmk, sizeof gmk);
    return e == MCGK_OK ? 0 : cli_fail(e);
}


/* ---- demo ---- */
static const char help_demo[] =
    "usage: mcgk crypto demo [--users N]\n\n"
    "The crypto round trip of a GMK distribution, in one process: a KMS makes its\n"
    "secrets and issues key sets (SSK, PVT, RSK) to a GMS and N users (default 50)\n"
    "for the current key period; every party validates its keys; the GMS draws a\n"
    "GMK, SAKKE-encapsulates it to each user and ECCSI-signs each copy; every user\n"
    "verifies the signature and decapsulates. Prints what happened and the time\n"
    "per operation; exits 1 if any user ends without the GMK.\n";

typedef struct demo_timer {
    const char *name;
    double total_us;
    unsigned count;
} demo_timer;

static void demo_add(demo_timer *t, uint64_t t0)
{
    t->total_us += (double)(mcgk_monotonic_ns() - t0) / 1e3;
    t->count++;
}

static int run_demo(int argc, char **argv)
{
    FLAGS({"users", 1});
    uint64_t n = 50;
    if (cli_has(&a, "users") && ((e = cli_u64_flag(&a, "users", &n)) != MCGK_OK || n == 0 ||
                                 n > 100000))
        return cli_fail(e != MCGK_OK ? e : MCGK_ERR_USAGE);
    static const char kms_uri[] = "kms.demo.example.org", gms_uri[] = "sip:gms@demo.example.org";
    const uint64_t period = 2592000, offset = 0;
    uint64_t now = mcgk_now_ntp_s(), pno = 0;
    demo_timer t_issue = {"KMS: issue SSK+PVT+RSK", 0, 0}, t_val = {"user: validate SSK+RSK", 0, 0},
               t_enc = {"GMS: SAKKE encapsulate GMK", 0, 0}, t_sig = {"GMS: ECCSI sign", 0, 0},
               t_ver = {"user: ECCSI verify", 0, 0}, t_dec = {"user: SAKKE decapsulate", 0, 0};
    uint8_t ksak[32], kpak[65], z[128], Z[257], gmk[16], gms_uid[32], ssk[32], pvt[65], rsk[257];
    mcgk_sakke_community *c = NULL;
    mcgk_eccsi_signer gms;
    size_t ok_users = 0;
    memset(&gms, 0, sizeof gms);
    (void)mcgk_key_period_no(now, period, offset, &pno);
    printf("KMS %s: key period %llu s, current period %llu\n", kms_uri,
           (unsigned long long)period, (unsigned long long)pno);
    if ((e = mcgk_eccsi_kms_keygen(mcgk_rng_system(), ksak, kpak)) != MCGK_OK ||
        (e = mcgk_sakke_kms_keygen(mcgk_rng_system(), z, Z)) != MCGK_OK ||
        (e = mcgk_sakke_community_new(Z, &c)) != MCGK_OK)
        goto out;
    /* the GMS's own key set (R-003-02: an identity authorised to create groups) */
    if ((e = mcgk_uid(gms_uri, strlen(gms_uri), kms_uri, strlen(kms_uri), period, offset, pno,
                      gms_uid)) != MCGK_OK ||
        (e = mcgk_eccsi_issue(ksak, gms_uid, 32, mcgk_rng_system(), ssk, pvt)) != MCGK_OK ||
        (e = mcgk_eccsi_signer_init(&gms, kpak, gms_uid, 32, ssk, pvt)) != MCGK_OK)
        goto out;
    printf("GMS %s provisioned\n", gms_uri);
    if ((e = mcgk_rng_bytes(mcgk_rng_system(), gmk, sizeof gmk)) != MCGK_OK)
        goto out;
    printf("GMS drew a GMK; distributing to %llu users\n", (unsigned long long)n);
    for (uint64_t i = 0; i < n; i++) {
        char uri[64];
        uint8_t uid[32], enc[273], sig[129], out[16];
        int len = snprintf(uri, sizeof uri, "sip:user%llu@demo.example.org", (unsigned long long)i);
        mcgk_sakke_receiver *r = NULL;
        uint64_t t0;
        (void)mcgk_uid(uri, (size_t)len, kms_uri, strlen(kms_uri), period, offset, pno, uid);
        t0 = mcgk_monotonic_ns();
        e = mcgk_eccsi_issue(ksak, uid, 32, mcgk_rng_system(), ssk, pvt);
        if (e == MCGK_OK)
            e = mcgk_sakke_rsk_issue(z, sizeof z, uid, 32, rsk);
        demo_add(&t_issue, t0);
        if (e == MCGK_OK) {
            t0 = mcgk_monotonic_ns();
            e = mcgk_eccsi_validate_ssk(kpak, uid, 32, ssk, pvt);
            if (e == MCGK_OK)
                e = mcgk_sakke_receiver_new(c, uid, 32, rsk, &r);
            demo_add(&t_val, t0);
        }
        if (e == MCGK_OK) {
            t0 = mcgk_monotonic_ns();
            e = mcgk_sakke_encapsulate(c, uid, 32, gmk, enc);
            demo_add(&t_enc, t0);
        }
        if (e == MCGK_OK) {
            t0 = mcgk_monotonic_ns();
            e = mcgk_eccsi_sign(&gms, enc, sizeof enc, mcgk_rng_system(), sig);
            demo_add(&t_sig, t0);
        }
        if (e == MCGK_OK) {
            t0 = mcgk_monotonic_ns();
            e = mcgk_eccsi_verify(kpak, gms_uid, 32, enc, sizeof enc, sig);
            demo_add(&t_ver, t0);
        }
        if (e == MCGK_OK) {
            t0 = mcgk_monotonic_ns();
            e = mcgk_sakke_decapsulate(r, enc, out);
            demo_add(&t_dec, t0);
        }
        if (e == MCGK_OK && mcgk_ct_memeq(out, gmk, 16))
            ok_users++;
        else
            printf("  %s: FAILED (%s)\n", uri, mcgk_err_name(e));
        mcgk_wipe(out, sizeof out);
        mcgk_sakke_receiver_free(r);
        if ((i + 1) % 10 == 0 || i + 1 == n) {
            fprintf(stderr, "\r  %llu/%llu users", (unsigned long long)(i + 1), (unsigned long long)n);
            fflush(stderr);
        }
    }
    fprintf(stderr, "\n");
    e = MCGK_OK;
    printf("\n%-30s %8s %12s\n", "operation", "count", "mean (us)");
    const demo_timer *all[] = {&t_issue, &t_val, &t_enc, &t_sig, &t_ver, &t_dec};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        printf("%-30s %8u %12.1f\n", all[k]->name, all[k]->count,
               all[k]->count ? all[k]->total_us / all[k]->count : 0.0);
    printf("\n%zu of %llu users hold the GMK\n", ok_users, (unsigned long long)n);
out:
    mcgk_wipe(ksak, sizeof ksak);
    mcgk_wipe(z, sizeof z);
    mcgk_wipe(gmk, sizeof gmk);
    mcgk_wipe(ssk, sizeof ssk);
    mcgk_wipe(rsk, sizeof rsk);
    mcgk_eccsi_signer_clear(&gms);
    mcgk_sakke_community_free(c);
    if (e != MCGK_OK)
        return cli_fail(e);
    return ok_users == n ? 0 : 1;
}

static const cli_verb k_verbs[] = {
    {"uid", "MIKEY-SAKKE UID of an identity for a key period (TS 33.180 F.2.1)", run_uid, help_uid},
    {"kms-keygen", "fresh KMS secrets and public keys (KSAK/KPAK, z/Z)", run_kms_keygen,
     help_kms_keygen},
    {"issue", "issue SSK, PVT and RSK for an identifier", run_issue, help_issue},
    {"validate", "validate SSK/PVT and/or RSK against the KMS public keys", run_validate,
     help_validate},
    {"eccsi-sign", "ECCSI signature (RFC 6507)", run_sign, help_sign},
    {"eccsi-verify", "verify an ECCSI signature", run_verify, help_verify},
    {"sakke-encap", "SAKKE encapsulation of an SSV (RFC 6508)", run_encap, help_encap},
    {"sakke-decap", "SAKKE decapsulation with the TEST re-check", run_decap, help_decap},
    {"guk-id", "user salt and GUK-ID of a GMK for a user (TS 33.180 5.2.3)", run_guk, help_guk},
    {"demo", "the crypto round trip of a GMK to N users, with timings", run_demo, help_demo},
};

int mcgk_cmd_crypto(int argc, char **argv)
{
    return cli_dispatch("crypto",
                        "ECCSI, SAKKE and TS 33.180 KDF diagnostics. Hex in, 'name = HEX' lines "
                        "out;\non failure 'error: <name>' on stderr and a non-zero exit.",
                        k_verbs, sizeof k_verbs / sizeof k_verbs[0], argc, argv);
}
