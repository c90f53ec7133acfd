/*
 * The crypto suite of mcgk-bench: mcgk's SAKKE (RFC 6508) and ECCSI (RFC 6507) beside
 * wolfSSL's, in one process, on the same KMS keys and the same inputs.
 *
 * Operations (median of o->calls single calls each, after warm-up):
 *   sakke_encap_new_recipient  a different identity every call (GMK fan-out). mcgk: the
 *                              community (Z with its tables) is built once, outside the
 *                              timing. wolfSSL: one client key with Z imported and warmed;
 *                              per identity it recomputes I = [b]P + Z (its per-identity
 *                              table is useless when the identity changes every call)
 *   sakke_decap                one receiver, its RSK set up once (mcgk: Miller lines;
 *                              wolfSSL: its RSK/I tables when its build supports them)
 *   sakke_rsk_validate         RFC 6508 §6.1.2 for rotating pre-issued RSKs
 *   eccsi_sign                 one signer, HS cached by both
 *   eccsi_verify               a new signer every call (rotating among pre-issued signers:
 *                              HS is recomputed from the PVT in the signature by both)
 *   eccsi_ssk_validate         RFC 6507 §5.1.2 for rotating pre-issued key sets
 *   kms_rsk_issue              RSK for a new identity every call
 *   kms_ssk_issue              (SSK, PVT) for a new identity every call
 * The KMS secrets come from mcgk and are imported into wolfSSL; before timing, every
 * input is cross-checked (RSKs identical, encapsulations and signatures accepted
 * by the other side) so both sides time the same work.
 *
 * Secrets: test KMS keys (wiped at the end).
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/eccsi.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sakke.h>
#include <wolfssl/version.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "mcgk/eccsi.h"
#include "mcgk/platform.h"
#include "mcgk/sakke.h"

#define ID_LEN 32
#define N_IDS 256    /* identities for the new-recipient / issue operations */
#define N_SIGNERS 64 /* pre-issued ECCSI signers and SAKKE receivers */
#define N_RSKS 8
#define MSG_LEN 600 /* about one GMK I_MESSAGE */

typedef struct crypto_ctx {
    const mcgk_rng *rng;
    uint8_t z[MCGK_SAKKE_FP_LEN], Z[MCGK_SAKKE_POINT_LEN];
    uint8_t ksak[MCGK_ECCSI_SCALAR_LEN], kpak[MCGK_ECCSI_POINT_LEN];
    uint8_t ids[N_IDS][ID_LEN];
    uint8_t msg[MSG_LEN];
    uint8_t ssv[MCGK_SAKKE_SSV_LEN];

    /* SAKKE receivers: ids[0..N_RSKS) */
    uint8_t rsk[N_RSKS][MCGK_SAKKE_POINT_LEN];
    uint8_t encap[MCGK_SAKKE_ENCAP_LEN]; /* to ids[0] */
    mcgk_sakke_community *community;
    mcgk_sakke_receiver *receiver;

    /* ECCSI signers: ids[0..N_SIGNERS) */
    uint8_t ssk[N_SIGNERS][MCGK_ECCSI_SCALAR_LEN];
    uint8_t pvt[N_SIGNERS][MCGK_ECCSI_POINT_LEN];
    uint8_t sig[N_SIGNERS][MCGK_ECCSI_SIG_LEN];
    mcgk_eccsi_signer signer;

    /* wolfSSL */
    WC_RNG wrng;
    SakkeKey w_kms, w_encap, w_decap, w_val;
    EccsiKey we_kms, we_sig, we_ver, we_val;
    ecc_point *w_rsk0;
    byte *w_rsk_table, *w_i_table;
    int w_ready;
} crypto_ctx;

/* ---- the operations: mcgk ------------------------------------------------------------- */

static int m_encap(void *p, size_t i)
{
    crypto_ctx *c = p;
    uint8_t out[MCGK_SAKKE_ENCAP_LEN];
    return mcgk_sakke_encapsulate(c->community, c->ids[i % N_IDS], ID_LEN, c->ssv, out) !=
           MCGK_OK;
}

static int m_decap(void *p, size_t i)
{
    crypto_ctx *c = p;
    uint8_t ssv[MCGK_SAKKE_SSV_LEN];
    (void)i;
    return mcgk_sakke_decapsulate(c->receiver, c->encap, ssv) != MCGK_OK ||
           memcmp(ssv, c->ssv, sizeof ssv) != 0;
}

static int m_rsk_validate(void *p, size_t i)
{
    crypto_ctx *c = p;
    size_t k = i % N_RSKS;
    return mcgk_sakke_rsk_validate(c->community, c->ids[k], ID_LEN, c->rsk[k]) != MCGK_OK;
}

static int m_sign(void *p, size_t i)
{
    crypto_ctx *c = p;
    uint8_t sig[MCGK_ECCSI_SIG_LEN];
    (void)i;
    return mcgk_eccsi_sign(&c->signer, c->msg, sizeof c->msg, c->rng, sig) != MCGK_OK;
}

static int m_verify(void *p, size_t i)
{
    crypto_ctx *c = p;
    size_t k = i % N_SIGNERS;
    return mcgk_eccsi_verify(c->kpak, c->ids[k], ID_LEN, c->msg, sizeof c->msg, c->sig[k]) !=
           MCGK_OK;
}

static int m_ssk_validate(void *p, size_t i)
{
    crypto_ctx *c = p;
    size_t k = i % N_SIGNERS;
    return mcgk_eccsi_validate_ssk(c->kpak, c->ids[k], ID_LEN, c->ssk[k], c->pvt[k]) != MCGK_OK;
}

static int m_rsk_issue(void *p, size_t i)
{
    crypto_ctx *c = p;
    uint8_t rsk[MCGK_SAKKE_POINT_LEN];
    int rc = mcgk_sakke_rsk_issue(c->z, sizeof c->z, c->ids[i % N_IDS], ID_LEN, rsk) != MCGK_OK;
    mcgk_wipe(rsk, sizeof rsk);
    return rc;
}

static int m_ssk_issue(void *p, size_t i)
{
    crypto_ctx *c = p;
    uint8_t ssk[MCGK_ECCSI_SCALAR_LEN], pvt[MCGK_ECCSI_POINT_LEN];
    int rc = mcgk_eccsi_issue(c->ksak, c->ids[i % N_IDS], ID_LEN, c->rng, ssk, pvt) != MCGK_OK;
    mcgk_wipe(ssk, sizeof ssk);
    return rc;
}

/* ---- the operations: wolfSSL (octet strings in and out, as mcgk) --------------------- */

static int w_encap(void *p, size_t i)
{
    crypto_ctx *c = p;
    uint8_t out[MCGK_SAKKE_ENCAP_LEN];
    word16 auth_sz = MCGK_SAKKE_POINT_LEN;
    memcpy(out + MCGK_SAKKE_POINT_LEN, c->ssv, MCGK_SAKKE_SSV_LEN);
    if (wc_SetSakkeIdentity(&c->w_encap, c->ids[i % N_IDS], ID_LEN) != 0)
        return 1;
    return wc_MakeSakkeEncapsulatedSSV(&c->w_encap, WC_HASH_TYPE_SHA256,
                                       out + MCGK_SAKKE_POINT_LEN, MCGK_SAKKE_SSV_LEN, out,
                                       &auth_sz) != 0;
}

static int w_decap(void *p, size_t i)
{
    crypto_ctx *c = p;
    uint8_t ssv[MCGK_SAKKE_SSV_LEN];
    (void)i;
    memcpy(ssv, c->encap + MCGK_SAKKE_POINT_LEN, sizeof ssv);
    return wc_DeriveSakkeSSV(&c->w_decap, WC_HASH_TYPE_SHA256, ssv, sizeof ssv, c->encap,
                             MCGK_SAKKE_POINT_LEN) != 0 ||
           memcmp(ssv, c->ssv, sizeof ssv) != 0;
}

static int w_rsk_validate(void *p, size_t i)
{
    crypto_ctx *c = p;
    size_t k = i % N_RSKS;
    ecc_point *pt = wc_ecc_new_point();
    int valid = 0;
    if (pt != NULL && wc_DecodeSakkeRsk(&c->w_val, c->rsk[k], MCGK_SAKKE_POINT_LEN, pt) == 0 &&
        wc_ValidateSakkeRsk(&c->w_val, c->ids[k], ID_LEN, pt, &valid) != 0)
        valid = 0;
    wc_ecc_del_point(pt);
    return valid != 1;
}

static int w_sign(void *p, size_t i)
{
    crypto_ctx *c = p;
    uint8_t sig[MCGK_ECCSI_SIG_LEN];
    word32 sz = sizeof sig;
    (void)i;
    return wc_SignEccsiHash(&c->we_sig, &c->wrng, WC_HASH_TYPE_SHA256, c->msg, sizeof c->msg,
                            sig, &sz) != 0;
}

static int w_verify(void *p, size_t i)
{
    crypto_ctx *c = p;
    size_t k = i % N_SIGNERS;
    ecc_point *pt = wc_ecc_new_point();
    uint8_t hs[32];
    byte hsz = sizeof hs;
    int verified = 0;
    if (pt != NULL &&
        wc_DecodeEccsiPvtFromSig(&c->we_ver, c->sig[k], MCGK_ECCSI_SIG_LEN, pt) == 0 &&
        wc_HashEccsiId(&c->we_ver, WC_HASH_TYPE_SHA256, c->ids[k], ID_LEN, pt, hs, &hsz) == 0 &&
        wc_VerifyEccsiHash(&c->we_ver, WC_HASH_TYPE_SHA256, c->msg, sizeof c->msg, c->sig[k],
                           MCGK_ECCSI_SIG_LEN, &verified) != 0)
        verified = 0;
    wc_ecc_del_point(pt);
    return verified != 1;
}

static int w_ssk_validate(void *p, size_t i)
{
    crypto_ctx *c = p;
    size_t k = i % N_SIGNERS;
    mp_int s;
    ecc_point *pt = wc_ecc_new_point();
    int valid = 0;
    if (pt != NULL && mp_init(&s) == MP_OKAY) {
        if (wc_DecodeEccsiSsk(&c->we_val, c->ssk[k], MCGK_ECCSI_SCALAR_LEN, &s) == 0 &&
            wc_DecodeEccsiPvt(&c->we_val, c->pvt[k], MCGK_ECCSI_POINT_LEN, pt) == 0 &&
            wc_ValidateEccsiPair(&c->we_val, WC_HASH_TYPE_SHA256, c->ids[k], ID_LEN, &s, pt,
                                 &valid) != 0)
            valid = 0;
        mp_forcezero(&s);
        mp_free(&s);
    }
    wc_ecc_del_point(pt);
    return valid != 1;
}

static int w_rsk_issue(void *p, size_t i)
{
    crypto_ctx *c = p;
    uint8_t rsk[MCGK_SAKKE_POINT_LEN];
    word32 sz = sizeof rsk;
    ecc_point *pt = wc_ecc_new_point();
    int rc = pt == NULL || wc_MakeSakkeRsk(&c->w_kms, c->ids[i % N_IDS], ID_LEN, pt) != 0 ||
             wc_EncodeSakkeRsk(&c->w_kms, pt, rsk, &sz, 0) != 0;
    wc_ecc_del_point(pt);
    mcgk_wipe(rsk, sizeof rsk);
    return rc;
}

static int w_ssk_issue(void *p, size_t i)
{
    crypto_ctx *c = p;
    uint8_t ssk[MCGK_ECCSI_SCALAR_LEN], pvt[MCGK_ECCSI_POINT_LEN];
    word32 sz1 = sizeof ssk, sz2 = sizeof pvt;
    mp_int s;
    ecc_point *pt = wc_ecc_new_point();
    int rc = 1;
    if (pt != NULL && mp_init(&s) == MP_OKAY) {
        rc = wc_MakeEccsiPair(&c->we_kms, &c->wrng, WC_HASH_TYPE_SHA256, c->ids[i % N_IDS],
                              ID_LEN, &s, pt) != 0 ||
             wc_EncodeEccsiSsk(&c->we_kms, &s, ssk, &sz1) != 0 ||
             wc_EncodeEccsiPvt(&c->we_kms, pt, pvt, &sz2, 0) != 0;
        mp_forcezero(&s);
        mp_free(&s);
    }
    wc_ecc_del_point(pt);
    mcgk_wipe(ssk, sizeof ssk);
    return rc;
}

/* ---- set-up: keys, inputs, cross-checks -------------------------------------------------- */

static int setup_fail(const char *what)
{
    char msg[160];
    snprintf(msg, sizeof msg, "crypto set-up failed: %s", what);
    bench_fail(msg);
    return -1;
}

/* Gives a wolfSSL table for the key's RSK / point I when this wolfSSL build has them. */
static void w_tables(crypto_ctx *c)
{
    word32 len = 0;
    if (wc_GenerateSakkeRskTable(&c->w_decap, c->w_rsk0, NULL, &len) == LENGTH_ONLY_E &&
        len > 0 && (c->w_rsk_table = malloc(len)) != NULL &&
        wc_GenerateSakkeRskTable(&c->w_decap, c->w_rsk0, c->w_rsk_table, &len) == 0)
        (void)wc_SetSakkeRsk(&c->w_decap, c->w_rsk0, c->w_rsk_table, len);
    len = 0;
    if (wc_MakeSakkePointI(&c->w_decap, c->ids[0], ID_LEN) == 0 &&
        wc_GenerateSakkePointITable(&c->w_decap, NULL, &len) == LENGTH_ONLY_E && len > 0 &&
        (c->w_i_table = malloc(len)) != NULL)
        (void)wc_GenerateSakkePointITable(&c->w_decap, c->w_i_table, &len);
}

static int setup(crypto_ctx *c)
{
    c->rng = mcgk_rng_system();
    if (mcgk_rng_bytes(c->rng, &c->ids[0][0], sizeof c->ids) != MCGK_OK ||
        mcgk_rng_bytes(c->rng, c->msg, sizeof c->msg) != MCGK_OK ||
        mcgk_rng_bytes(c->rng, c->ssv, sizeof c->ssv) != MCGK_OK)
        return setup_fail("rng");

    /* mcgk: KMS keys, community, receiver, signers */
    if (mcgk_sakke_kms_keygen(c->rng, c->z, c->Z) != MCGK_OK ||
        mcgk_eccsi_kms_keygen(c->rng, c->ksak, c->kpak) != MCGK_OK)
        return setup_fail("mcgk KMS keygen");
    if (mcgk_sakke_community_new(c->Z, &c->community) != MCGK_OK)
        return setup_fail("mcgk community");
    for (size_t k = 0; k < N_RSKS; k++)
        if (mcgk_sakke_rsk_issue(c->z, sizeof c->z, c->ids[k], ID_LEN, c->rsk[k]) != MCGK_OK)
            return setup_fail("mcgk RSK issue");
    if (mcgk_sakke_receiver_new(c->community, c->ids[0], ID_LEN, c->rsk[0], &c->receiver) !=
            MCGK_OK ||
        mcgk_sakke_encapsulate(c->community, c->ids[0], ID_LEN, c->ssv, c->encap) != MCGK_OK)
        return setup_fail("mcgk receiver / encapsulation");
    for (size_t k = 0; k < N_SIGNERS; k++) {
        mcgk_eccsi_signer s;
        if (mcgk_eccsi_issue(c->ksak, c->ids[k], ID_LEN, c->rng, c->ssk[k], c->pvt[k]) !=
                MCGK_OK ||
            mcgk_eccsi_signer_init(&s, c->kpak, c->ids[k], ID_LEN, c->ssk[k], c->pvt[k]) !=
                MCGK_OK ||
            mcgk_eccsi_sign(&s, c->msg, sizeof c->msg, c->rng, c->sig[k]) != MCGK_OK)
            return setup_fail("mcgk ECCSI issue / sign");
        mcgk_eccsi_signer_clear(&s);
    }
    if (mcgk_eccsi_signer_init(&c->signer, c->kpak, c->ids[0], ID_LEN, c->ssk[0], c->pvt[0]) !=
        MCGK_OK)
        return setup_fail("mcgk signer");

    /* wolfSSL: the same KMS keys imported; separate keys per role (see test_wolfssl.c) */
    if (wc_InitRng(&c->wrng) != 0 || wc_InitSakkeKey(&c->w_kms, NULL, INVALID_DEVID) != 0 ||
        wc_InitSakkeKey(&c->w_encap, NULL, INVALID_DEVID) != 0 ||
        wc_InitSakkeKey(&c->w_decap, NULL, INVALID_DEVID) != 0 ||
        wc_InitSakkeKey(&c->w_val, NULL, INVALID_DEVID) != 0 ||
        wc_InitEccsiKey(&c->we_kms, NULL, INVALID_DEVID) != 0 ||
        wc_InitEccsiKey(&c->we_sig, NULL, INVALID_DEVID) != 0 ||
        wc_InitEccsiKey(&c->we_ver, NULL, INVALID_DEVID) != 0 ||
        wc_InitEccsiKey(&c->we_val, NULL, INVALID_DEVID) != 0)
        return setup_fail("wolfSSL init");
    c->w_ready = 1;
    uint8_t buf[3 * MCGK_SAKKE_FP_LEN];
    memcpy(buf, c->z, MCGK_SAKKE_FP_LEN);
    memcpy(buf + MCGK_SAKKE_FP_LEN, c->Z + 1, 2 * MCGK_SAKKE_FP_LEN);
    int bad = wc_ImportSakkeKey(&c->w_kms, buf, sizeof buf) != 0;
    memcpy(buf, c->ksak, MCGK_ECCSI_SCALAR_LEN);
    memcpy(buf + MCGK_ECCSI_SCALAR_LEN, c->kpak + 1, 2 * MCGK_ECCSI_SCALAR_LEN);
    bad |= wc_ImportEccsiKey(&c->we_kms, buf, 3 * MCGK_ECCSI_SCALAR_LEN) != 0;
    mcgk_wipe(buf, sizeof buf);
    SakkeKey *cli[3] = {&c->w_encap, &c->w_decap, &c->w_val};
    for (int k = 0; k < 3; k++)
        bad |= wc_ImportSakkePublicKey(cli[k], c->Z, sizeof c->Z, 0) != 0;
    EccsiKey *ecli[3] = {&c->we_sig, &c->we_ver, &c->we_val};
    for (int k = 0; k < 3; k++)
        bad |= wc_ImportEccsiPublicKey(ecli[k], c->kpak, sizeof c->kpak, 0) != 0;
    if (bad)
        return setup_fail("wolfSSL key import");

    /* the decapsulating receiver: RSK of ids[0] */
    c->w_rsk0 = wc_ecc_new_point();
    if (c->w_rsk0 == NULL ||
        wc_DecodeSakkeRsk(&c->w_decap, c->rsk[0], MCGK_SAKKE_POINT_LEN, c->w_rsk0) != 0 ||
        wc_SetSakkeRsk(&c->w_decap, c->w_rsk0, NULL, 0) != 0 ||
        wc_SetSakkeIdentity(&c->w_decap, c->ids[0], ID_LEN) != 0)
        return setup_fail("wolfSSL receiver");
    w_tables(c);

    /* the signer: SSK/PVT of ids[0], HS set */
    mp_int s;
    ecc_point *pt = wc_ecc_new_point();
    uint8_t hs[32];
    byte hsz = sizeof hs;
    if (pt == NULL || mp_init(&s) != MP_OKAY) {
        wc_ecc_del_point(pt);
        return setup_fail("wolfSSL alloc");
    }
    bad = wc_DecodeEccsiSsk(&c->we_sig, c->ssk[0], MCGK_ECCSI_SCALAR_LEN, &s) != 0 ||
          wc_DecodeEccsiPvt(&c->we_sig, c->pvt[0], MCGK_ECCSI_POINT_LEN, pt) != 0 ||
          wc_SetEccsiPair(&c->we_sig, &s, pt) != 0 ||
          wc_HashEccsiId(&c->we_sig, WC_HASH_TYPE_SHA256, c->ids[0], ID_LEN, pt, hs, &hsz) != 0;
    mp_forcezero(&s);
    mp_free(&s);
    wc_ecc_del_point(pt);
    if (bad)
        return setup_fail("wolfSSL signer");

    /* cross-checks: both sides accept the inputs the other side will time */
    uint8_t rsk_w[MCGK_SAKKE_POINT_LEN];
    word32 sz = sizeof rsk_w;
    pt = wc_ecc_new_point();
    bad = pt == NULL || wc_MakeSakkeRsk(&c->w_kms, c->ids[0], ID_LEN, pt) != 0 ||
          wc_EncodeSakkeRsk(&c->w_kms, pt, rsk_w, &sz, 0) != 0 ||
          memcmp(rsk_w, c->rsk[0], sizeof rsk_w) != 0;
    wc_ecc_del_point(pt);
    if (bad)
        return setup_fail("wolfSSL and mcgk issue different RSKs");
    if (w_decap(c, 0) || w_rsk_validate(c, 0) || w_verify(c, 0) || w_ssk_validate(c, 0))
        return setup_fail("wolfSSL refuses mcgk's encapsulation / RSK / signature / SSK");
    return 0;
}

static void teardown(crypto_ctx *c)
{
    mcgk_sakke_receiver_free(c->receiver);
    mcgk_sakke_community_free(c->community);
    mcgk_eccsi_signer_clear(&c->signer);
    if (c->w_ready) {
        wc_ecc_del_point(c->w_rsk0);
        wc_FreeSakkeKey(&c->w_kms);
        wc_FreeSakkeKey(&c->w_encap);
        wc_FreeSakkeKey(&c->w_decap);
        wc_FreeSakkeKey(&c->w_val);
        wc_FreeEccsiKey(&c->we_kms);
        wc_FreeEccsiKey(&c->we_sig);
        wc_FreeEccsiKey(&c->we_ver);
        wc_FreeEccsiKey(&c->we_val);
        wc_FreeRng(&c->wrng);
    }
    free(c->w_rsk_table);
    free(c->w_i_table);
    mcgk_wipe(c, sizeof *c);
}

/* ---- the suite ----------------------------------------------------------------------------- */

typedef struct op_pair {
    const char *name;
    bench_op_fn mcgk;
    bench_op_fn wolf;
} op_pair;

static const op_pair ops[] = {
    {"sakke_encap_new_recipient", m_encap, w_encap},
    {"sakke_decap", m_decap, w_decap},
    {"sakke_rsk_validate", m_rsk_validate, w_rsk_validate},
    {"eccsi_sign", m_sign, w_sign},
    {"eccsi_verify", m_verify, w_verify},
    {"eccsi_ssk_validate", m_ssk_validate, w_ssk_validate},
    {"kms_rsk_issue", m_rsk_issue, w_rsk_issue},
    {"kms_ssk_issue", m_ssk_issue, w_ssk_issue},
};

static void run_crypto(const bench_opts *o)
{
    crypto_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        bench_fail("crypto: out of memory");
        return;
    }
    printf("# wolfSSL %s; identities %d octets; ECCSI messages %d octets\n",
           LIBWOLFSSL_VERSION_STRING, ID_LEN, MSG_LEN);
    if (setup(c) != 0) {
        teardown(c);
        free(c);
        return;
    }
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        char what[96];
        snprintf(what, sizeof what, "mcgk %s", ops[k].name);
        double m = bench_time_op(what, ops[k].mcgk, c, o, NULL);
        snprintf(what, sizeof what, "wolfSSL %s", ops[k].name);
        double w = bench_time_op(what, ops[k].wolf, c, o, NULL);
        bench_report(ops[k].name, m, w);
    }
    teardown(c);
    free(c);
}

BENCH_SUITE("crypto", "wolfssl", run_crypto)
