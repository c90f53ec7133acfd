/*
 * ctgrind: the constant-time check (Monocypher's tests/ctgrind.c idea).
 *
 * Run under valgrind memcheck (scripts/ctgrind). Every secret input - the
 * KMS secrets z and KSAK, RSKs, SSKs, SSVs/GMKs, the random v, j and the
 * KMS's z draws - is marked undefined with mcgk_ct_poison before the
 * operation; memcheck then reports every conditional branch and every
 * memory address computed from it. The library releases verdicts on
 * purpose with mcgk_ct_declassify (valid/invalid, the negligible-probability
 * retries); anything else reported is a leak and fails the run.
 *
 * `mcgk-ctgrind --canary` runs a deliberately leaky branch instead: the
 * script checks that valgrind does flag it, so a broken setup cannot pass.
 */
#include <stdio.h>
#include <string.h>

#include "base/ct.h"
#include "mcgk/eccsi.h"
#include "mcgk/gmk_message.h"
#include "mcgk/gsk_message.h"
#include "mcgk/kdf.h"
#include "mcgk/key_params.h"
#include "mcgk/mcdata.h"
#include "mcgk/sakke.h"
#include "mcgk/srtp.h"
#include "test.h"

/* An RNG whose output is marked secret (v, j, z draws). */
static int secret_fill(void *ctx, uint8_t *out, size_t len)
{
    mcgk_test_prng_fill(ctx, out, len);
    mcgk_ct_poison(out, len);
    return 0;
}

#define PUBLIC(x) mcgk_ct_declassify(&(x), sizeof(x))

static int canary(void)
{
    uint8_t s[16] = {1};
    mcgk_ct_poison(s, sizeof s);
    volatile int r = 0;
    if (s[3] == 0) /* a secret-dependent branch: valgrind must report it */
        r = 1;
    return r;
}

static void ct_sakke(mcgk_test_prng *pr)
{
    mcgk_rng srng = {secret_fill, pr};
    uint8_t z[128], Z[257], id[32], rsk[257], ssv[16], enc[273], out[16];
    mcgk_err e;

    /* KMS: master secret draw and Z = [z]P */
    e = mcgk_sakke_kms_keygen(&srng, z, Z);
    PUBLIC(e);
    CHECK_OK(e);
    mcgk_ct_declassify(Z, sizeof Z); /* public key */

    /* KMS: RSK issuance with secret z */
    mcgk_test_prng_fill(pr, id, sizeof id);
    mcgk_ct_poison(z, sizeof z);
    e = mcgk_sakke_rsk_issue(z, sizeof z, id, sizeof id, rsk);
    PUBLIC(e);
    CHECK_OK(e);

    mcgk_sakke_community *c = NULL;
    CHECK_OK(mcgk_sakke_community_new(Z, &c));

    /* receiver: RSK validation + line precomputation with a secret RSK */
    mcgk_ct_poison(rsk + 1, 256);
    mcgk_sakke_receiver *r = NULL;
    e = mcgk_sakke_receiver_new(c, id, sizeof id, rsk, &r);
    PUBLIC(e);
    CHECK_OK(e);
    e = mcgk_sakke_rsk_validate(c, id, sizeof id, rsk);
    PUBLIC(e);
    CHECK_OK(e);

    /* sender: encapsulation of a secret SSV */
    mcgk_test_prng_fill(pr, ssv, sizeof ssv);
    mcgk_ct_poison(ssv, sizeof ssv);
    e = mcgk_sakke_encapsulate(c, id, sizeof id, ssv, enc);
    PUBLIC(e);
    CHECK_OK(e);
    mcgk_ct_declassify(enc, sizeof enc); /* the ciphertext is public */

    /* receiver: decapsulation (secret lines, secret w, r, SSV) */
    e = mcgk_sakke_decapsulate(r, enc, out);
    PUBLIC(e);
    CHECK_OK(e);
    mcgk_ct_declassify(out, sizeof out);
    mcgk_ct_declassify(ssv, sizeof ssv);
    CHECK_MEM(out, ssv, 16);
    mcgk_sakke_receiver_free(r);
    mcgk_sakke_community_free(c);
}

static void ct_eccsi(mcgk_test_prng *pr)
{
    mcgk_rng srng = {secret_fill, pr};
    uint8_t ksak[32], kpak[65], id[32], ssk[32], pvt[65], sig[129], msg[64];
    mcgk_err e;
    e = mcgk_eccsi_kms_keygen(&srng, ksak, kpak);
    PUBLIC(e);
    CHECK_OK(e);
    mcgk_ct_declassify(kpak, sizeof kpak);
    mcgk_test_prng_fill(pr, id, sizeof id);
    mcgk_ct_poison(ksak, sizeof ksak);
    e = mcgk_eccsi_issue(ksak, id, sizeof id, &srng, ssk, pvt);
    PUBLIC(e);
    CHECK_OK(e);
    mcgk_ct_declassify(pvt, sizeof pvt); /* PVT is public */
    mcgk_ct_poison(ssk, sizeof ssk);
    e = mcgk_eccsi_validate_ssk(kpak, id, sizeof id, ssk, pvt);
    PUBLIC(e);
    CHECK_OK(e);
    mcgk_eccsi_signer signer;
    e = mcgk_eccsi_signer_init(&signer, kpak, id, sizeof id, ssk, pvt);
    PUBLIC(e);
    CHECK_OK(e);
    mcgk_test_prng_fill(pr, msg, sizeof msg);
    e = mcgk_eccsi_sign(&signer, msg, sizeof msg, &srng, sig);
    PUBLIC(e);
    CHECK_OK(e);
    mcgk_ct_declassify(sig, sizeof sig); /* the signature is public */
    CHECK_OK(mcgk_eccsi_verify(kpak, id, sizeof id, msg, sizeof msg, sig));
    mcgk_eccsi_signer_clear(&signer);
}

static void ct_kdf(mcgk_test_prng *pr)
{
    uint8_t gmk[16], out[32], rand[16];
    uint32_t guk = 0;
    mcgk_test_prng_fill(pr, gmk, sizeof gmk);
    mcgk_test_prng_fill(pr, rand, sizeof rand);
    mcgk_ct_poison(gmk, sizeof gmk);
    static const char uri[] = "sip:alice@example.org";
    mcgk_err e = mcgk_guk_id(gmk, sizeof gmk, 0x0abcdef1, uri, sizeof uri - 1, &guk);
    PUBLIC(e);
    CHECK_OK(e);
    e = mcgk_dpck(gmk, sizeof gmk, guk, out);
    PUBLIC(e);
    CHECK_OK(e);
    e = mcgk_mikey_derive(gmk, sizeof gmk, MCGK_PRF_TEK, 4, guk, rand, sizeof rand, out, 16);
    PUBLIC(e);
    CHECK_OK(e);
    e = mcgk_mikey_derive(gmk, sizeof gmk, MCGK_PRF_SALT, 4, guk, rand, sizeof rand, out, 12);
    PUBLIC(e);
    CHECK_OK(e);
}

/* Media under a secret GMK (docs/media.md): a member's SRTP master key and salt, and an
 * MCData payload (secret too) sealed and opened under DPCK(GMK, GMK-ID). The packet
 * crypto itself is libsrtp2's and is not run here. */
static void ct_media(mcgk_test_prng *pr)
{
    uint8_t gmk[16], rand[16], payload[48], env[48 + MCGK_MCDATA_OVERHEAD], back[48];
    mcgk_test_prng_fill(pr, gmk, sizeof gmk);
    mcgk_test_prng_fill(pr, rand, sizeof rand);
    mcgk_test_prng_fill(pr, payload, sizeof payload);
    mcgk_ct_poison(gmk, sizeof gmk);
    mcgk_ct_poison(payload, sizeof payload);
    mcgk_srtp_keys k;
    mcgk_err e = mcgk_srtp_keys_derive(gmk, 0x0abcdef1u, 0x0c195d7du, rand, sizeof rand, 4, &k);
    PUBLIC(e);
    CHECK_OK(e);
    mcgk_srtp_keys_clear(&k);
    mcgk_test_prng iv_pr = *pr;
    mcgk_rng iv = mcgk_test_prng_init(&iv_pr, 0x1d);
    size_t el = 0, bl = 0;
    e = mcgk_mcdata_protect(gmk, 0x0abcdef1u, NULL, &iv, payload, sizeof payload, env,
                            sizeof env, &el);
    PUBLIC(e);
    CHECK_OK(e);
    mcgk_ct_declassify(env, sizeof env); /* ciphertext and tag are public */
    e = mcgk_mcdata_open(gmk, 0x0abcdef1u, env, el, back, sizeof back, &bl, NULL);
    PUBLIC(e);
    CHECK_OK(e);
    mcgk_wipe(gmk, sizeof gmk);
}

/* The GMK I_MESSAGE layer: a GMS builds a message with a secret GMK and a
 * secret SSK (key parameters sealed under the DPCK); the member opens it
 * with a secret RSK. */
static void ct_gmk(mcgk_test_prng *pr)
{
    mcgk_rng srng = {secret_fill, pr};
    static const char kms_uri[] = "kms.ct.example", gms_uri[] = "sip:gms@ct.example",
                      user[] = "sip:user@ct.example", group[] = "sip:group@ct.example";
    const uint64_t period = 2592000, now_unix = 1700000000;
    const uint64_t t_ntp = now_unix + MCGK_NTP_UNIX_OFFSET_S;
    uint64_t pno = 0;
    uint8_t ksak[32], kpak[65], z[128], Z[257], gms_uid[32], user_uid[32];
    uint8_t ssk[32], pvt[65], rsk[257], gmk[16], rand[16], msg[2048];
    uint32_t gmk_id = 0, guk = 0;
    size_t len = 0;
    mcgk_err e;

    CHECK_OK(mcgk_eccsi_kms_keygen(&srng, ksak, kpak));
    CHECK_OK(mcgk_sakke_kms_keygen(&srng, z, Z));
    mcgk_ct_declassify(kpak, sizeof kpak);
    mcgk_ct_declassify(Z, sizeof Z);
    mcgk_sakke_community *c = NULL;
    CHECK_OK(mcgk_sakke_community_new(Z, &c));
    mcgk_gmk_kms kms = {kms_uri, period, 0, kpak, c};
    CHECK_OK(mcgk_key_period_no(t_ntp, period, 0, &pno));
    CHECK_OK(mcgk_uid(gms_uri, sizeof gms_uri - 1, kms_uri, sizeof kms_uri - 1, period, 0, pno,
                      gms_uid));
    CHECK_OK(mcgk_uid(user, sizeof user - 1, kms_uri, sizeof kms_uri - 1, period, 0, pno,
                      user_uid));
    e = mcgk_eccsi_issue(ksak, gms_uid, 32, &srng, ssk, pvt);
    PUBLIC(e);
    mcgk_ct_declassify(pvt, sizeof pvt);
    mcgk_eccsi_signer signer;
    e = mcgk_eccsi_signer_init(&signer, kpak, gms_uid, 32, ssk, pvt);
    PUBLIC(e);
    CHECK_OK(e);
    e = mcgk_sakke_rsk_issue(z, sizeof z, user_uid, 32, rsk);
    PUBLIC(e);

    /* GMS: a secret GMK; public GMK-ID and RAND */
    e = mcgk_gmk_generate(&srng, 0, gmk, &gmk_id, rand);
    PUBLIC(e);
    mcgk_ct_declassify(&gmk_id, sizeof gmk_id);
    mcgk_ct_declassify(rand, sizeof rand);
    mcgk_key_params kp;
    mcgk_key_params_init(&kp, 0);
    CHECK_OK(mcgk_key_params_add_group(&kp, group, sizeof group - 1));
    mcgk_gmk_build_cfg bc;
    memset(&bc, 0, sizeof bc);
    bc.key = gmk;
    bc.key_id = gmk_id;
    bc.rand = rand;
    bc.rand_len = sizeof rand;
    bc.ts_ntp_s = t_ntp;
    bc.params = &kp;
    bc.gms_uri = gms_uri;
    bc.gms_kms = &kms;
    bc.signer = &signer;
    bc.sakke_to_self = 1;
    mcgk_gmk_ctx ctx;
    e = mcgk_gmk_ctx_init(&ctx, &bc);
    PUBLIC(e);
    CHECK_OK(e);
    mcgk_gmk_member m = {user, &kms};
    e = mcgk_gmk_build_one(&ctx, &m, &srng, msg, sizeof msg, &len, &guk);
    PUBLIC(e);
    CHECK_OK(e);
    PUBLIC(len);
    PUBLIC(guk);
    mcgk_ct_declassify(msg, len); /* the message is public */

    /* member: a secret RSK (lines), the GMK comes out secret */
    mcgk_ct_poison(rsk + 1, 256);
    mcgk_sakke_receiver *r = NULL;
    e = mcgk_sakke_receiver_new(c, user_uid, 32, rsk, &r);
    PUBLIC(e);
    CHECK_OK(e);
    mcgk_gmk_own_keys own = {pno, r};
    const char *auth[] = {gms_uri};
    mcgk_gmk_group_gms gg = {group, gms_uri};
    mcgk_gmk_open_cfg oc;
    mcgk_gmk_open_cfg_init(&oc);
    oc.own_uri = user;
    oc.own_kms = &kms;
    oc.own_keys = &own;
    oc.n_own_keys = 1;
    oc.authorised_gms = auth;
    oc.n_authorised_gms = 1;
    oc.groups = &gg;
    oc.n_groups = 1;
    mcgk_gmk_result res;
    e = mcgk_gmk_open(&oc, msg, len, now_unix, &res, NULL);
    PUBLIC(e);
    CHECK_OK(e);
    mcgk_ct_declassify(res.key, sizeof res.key);
    mcgk_ct_declassify(gmk, sizeof gmk);
    CHECK_MEM(res.key, gmk, 16);
    mcgk_gmk_result_clear(&res);
    mcgk_gmk_ctx_clear(&ctx);
    mcgk_eccsi_signer_clear(&signer);
    mcgk_sakke_receiver_free(r);
    mcgk_sakke_community_free(c);
}

/* The ProSe GSK message: the initiator builds it with a secret GMK, a secret GSK and a
 * secret SSK (transport keys, AES-CM, HMAC-SHA-1, ECCSI); a member opens it with the
 * secret GMK from its key store (MAC compared in constant time, AES-CM decryption). */
static uint8_t g_ct_gmk[16];

static int ct_lookup(void *ctx, unsigned purpose, uint32_t key_id, uint8_t key[16])
{
    (void)ctx;
    (void)purpose;
    (void)key_id;
    memcpy(key, g_ct_gmk, 16);
    return 1;
}

static const mcgk_gmk_kms *ct_signer_kms(void *ctx, const char *uri, const char *kms_uri)
{
    (void)uri;
    (void)kms_uri;
    return ctx;
}

static void ct_gsk(mcgk_test_prng *pr)
{
    mcgk_rng srng = {secret_fill, pr};
    static const char kms_uri[] = "kms.ct.example", ue[] = "sip:ue1@ct.example";
    const uint64_t period = 2592000, now_unix = 1700000000;
    const uint64_t t_ntp = now_unix + MCGK_NTP_UNIX_OFFSET_S;
    uint64_t pno = 0;
    uint8_t ksak[32], kpak[65], uid[32], ssk[32], pvt[65], gsk[16], msg[1024];
    size_t len = 0;
    mcgk_err e;

    CHECK_OK(mcgk_eccsi_kms_keygen(&srng, ksak, kpak));
    mcgk_ct_declassify(kpak, sizeof kpak);
    mcgk_gmk_kms kms = {kms_uri, period, 0, kpak, NULL};
    CHECK_OK(mcgk_key_period_no(t_ntp, period, 0, &pno));
    CHECK_OK(mcgk_uid(ue, sizeof ue - 1, kms_uri, sizeof kms_uri - 1, period, 0, pno, uid));
    e = mcgk_eccsi_issue(ksak, uid, 32, &srng, ssk, pvt);
    PUBLIC(e);
    mcgk_ct_declassify(pvt, sizeof pvt);
    mcgk_eccsi_signer signer;
    e = mcgk_eccsi_signer_init(&signer, kpak, uid, 32, ssk, pvt);
    PUBLIC(e);
    CHECK_OK(e);

    /* UE 1: secret GMK and GSK; CSB ID and RAND are drawn secret and become public */
    mcgk_test_prng_fill(pr, g_ct_gmk, sizeof g_ct_gmk);
    mcgk_test_prng_fill(pr, gsk, sizeof gsk);
    mcgk_ct_poison(g_ct_gmk, sizeof g_ct_gmk);
    mcgk_ct_poison(gsk, sizeof gsk);
    mcgk_gsk_build_cfg bc;
    memset(&bc, 0, sizeof bc);
    bc.gmk = g_ct_gmk;
    bc.gmk_id = 0x0abcdef1;
    bc.gsk = gsk;
    bc.ts_ntp_s = t_ntp;
    bc.initiator_uri = ue;
    bc.signer = &signer;
    bc.signer_kms = &kms;
    mcgk_gsk_sealed sealed;
    e = mcgk_gsk_build(&bc, &srng, msg, sizeof msg, &len, &sealed);
    PUBLIC(e);
    CHECK_OK(e);
    PUBLIC(len);
    mcgk_ct_declassify(msg, len); /* the message is public */

    /* a member: the GMK from its store is secret, the GSK comes out secret */
    mcgk_gsk_open_cfg oc;
    mcgk_gsk_open_cfg_init(&oc);
    oc.lookup = ct_lookup;
    oc.signer_kms = ct_signer_kms;
    oc.signer_kms_ctx = &kms;
    oc.require_signature = 1;
    mcgk_gsk_result res;
    e = mcgk_gsk_open(&oc, msg, len, now_unix, &res, NULL);
    PUBLIC(e);
    CHECK_OK(e);
    mcgk_ct_declassify(res.gsk, sizeof res.gsk);
    mcgk_ct_declassify(gsk, sizeof gsk);
    CHECK_MEM(res.gsk, gsk, 16);
    /* a wrong MAC: rejected by the constant-time comparison, only the verdict released */
    msg[len - 132] ^= 1; /* the last MAC octet (before SIGN) */
    e = mcgk_gsk_open(&oc, msg, len, now_unix, &res, NULL);
    PUBLIC(e);
    CHECK_ERR(e, MCGK_ERR_MAC);
    mcgk_gsk_result_clear(&res);
    mcgk_gsk_sealed_clear(&sealed);
    mcgk_eccsi_signer_clear(&signer);
}

static mcgk_test_prng g_pr;
static void test_ct_sakke(void) { ct_sakke(&g_pr); }
static void test_ct_eccsi(void) { ct_eccsi(&g_pr); }
static void test_ct_kdf(void) { ct_kdf(&g_pr); }
static void test_ct_gmk(void) { ct_gmk(&g_pr); }
static void test_ct_media(void) { ct_media(&g_pr); }
static void test_ct_gsk(void) { ct_gsk(&g_pr); }

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--canary") == 0)
        return canary();
    mcgk_test_prng_init(&g_pr, 0xC7);
    TEST_RUN(test_ct_sakke);
    TEST_RUN(test_ct_eccsi);
    TEST_RUN(test_ct_kdf);
    TEST_RUN(test_ct_gmk);
    TEST_RUN(test_ct_media);
    TEST_RUN(test_ct_gsk);
    TEST_MAIN_END();
}
