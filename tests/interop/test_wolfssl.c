/*
 * Interop: mcgk's ECCSI (RFC 6507) and SAKKE (RFC 6508, parameter set 1) against
 * wolfSSL's independent implementation (libwolfssl, built with WOLFCRYPT_HAVE_ECCSI
 * and WOLFCRYPT_HAVE_SAKKE), in both directions, on random identities and keys.
 *
 * Per iteration (a fresh random 32-octet UID each time; the KMS master keys change
 * every KMS_ROTATE iterations, generated alternately by mcgk and by wolfSSL and
 * imported into the other):
 *   SAKKE  RSK issued by both KMSs (must be the same octets: RSK is deterministic),
 *          each validated by the other implementation; the same SSV encapsulated by
 *          both (must be the same octets: r = HashToIntegerRange(SSV || b) and g^r is
 *          hashed as 128 fixed octets in both), each decapsulated by the other;
 *          a random bit flipped in the encapsulation and in the RSK is rejected by both.
 *   ECCSI  (SSK, PVT) issued by each KMS, validated by the other implementation;
 *          HS computed by both must agree; every key set signs with each
 *          implementation and is verified by the other; a random bit flipped in the
 *          signature, the SSK and the PVT is rejected by both.
 * At each KMS change a random bit flipped in Z and in KPAK is rejected by both.
 *
 * How keys move between the two (encodings are identical, no conversion needed):
 *   SAKKE z      mcgk 128 octets <-> wc_ExportSakkePrivateKey / wc_ImportSakkeKey (z||x||y)
 *   SAKKE Z      mcgk 0x04||x||y  <-> wc_ExportSakkePublicKey(raw=0) / wc_ImportSakkePublicKey
 *   SAKKE RSK    mcgk 0x04||x||y  <-> wc_EncodeSakkeRsk(raw=0) / wc_DecodeSakkeRsk
 *   SAKKE R||H   mcgk 273 octets  <-> auth (R, 257) and the in/out SSV buffer (H, 16) of
 *                wc_MakeSakkeEncapsulatedSSV / wc_DeriveSakkeSSV
 *   ECCSI KSAK   32 octets <-> wc_ExportEccsiPrivateKey / wc_ImportEccsiKey (ksak||x||y)
 *   ECCSI KPAK   0x04||x||y <-> wc_ExportEccsiPublicKey(raw=0) / wc_ImportEccsiPublicKey
 *   ECCSI SSK    32 octets <-> wc_EncodeEccsiSsk / wc_DecodeEccsiSsk
 *   ECCSI PVT    0x04||x||y <-> wc_EncodeEccsiPvt(raw=0) / wc_DecodeEccsiPvt
 *   ECCSI sig    r||s||PVT, 129 octets, the same layout in both.
 *
 * wolfSSL API notes that shape this test: a SakkeKey used for RSK validation or
 * encapsulation overwrites its private scalar (it holds b there), so the KMS and
 * the client use separate SakkeKey objects; wc_VerifyEccsiHash overwrites the
 * key's SSK (it holds HS there), so signer and verifier use separate EccsiKeys.
 *
 * Secrets here are test keys; MCGK_TEST_SEED=<n> replays a run's mcgk-side randomness
 * (wolfSSL draws its own from the OS).
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/eccsi.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sakke.h>

#include <time.h>
#include <unistd.h>

#include "mcgk/eccsi.h"
#include "mcgk/sakke.h"
#include "test.h"

#define ID_LEN 32
#define KMS_ROTATE 25
#define ITERATIONS_FULL 200
#define ITERATIONS_QUICK 10
#define MSG_MAX 600

static mcgk_test_prng prng;
static mcgk_rng rng;
static WC_RNG wrng;

/* ---- small helpers ------------------------------------------------------------------ */

static size_t rand_below(size_t n) { return (size_t)(mcgk_test_prng_next(&prng) % n); }

static void flip_random_bit(uint8_t *buf, size_t len, size_t *bit_out)
{
    size_t bit = rand_below(len * 8);
    buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    if (bit_out)
        *bit_out = bit;
}

/* ---- the two KMSs of one epoch --------------------------------------------------------- */

typedef struct kms_pair {
    int made_by_wolf;
    /* mcgk view */
    uint8_t z[MCGK_SAKKE_FP_LEN];
    uint8_t Z[MCGK_SAKKE_POINT_LEN];
    uint8_t ksak[MCGK_ECCSI_SCALAR_LEN];
    uint8_t kpak[MCGK_ECCSI_POINT_LEN];
    mcgk_sakke_community *community;
    /* wolfSSL view: KMS keys (hold the secrets) and client keys (public only) */
    SakkeKey w_sakke_kms;
    SakkeKey w_sakke_cli;
    EccsiKey w_eccsi_kms;
    EccsiKey w_eccsi_ver; /* verifier / validator */
    EccsiKey w_eccsi_sig; /* signer */
    int w_init;
} kms_pair;

static void kms_pair_free(kms_pair *k)
{
    mcgk_sakke_community_free(k->community);
    k->community = NULL;
    if (k->w_init) {
        wc_FreeSakkeKey(&k->w_sakke_kms);
        wc_FreeSakkeKey(&k->w_sakke_cli);
        wc_FreeEccsiKey(&k->w_eccsi_kms);
        wc_FreeEccsiKey(&k->w_eccsi_ver);
        wc_FreeEccsiKey(&k->w_eccsi_sig);
        k->w_init = 0;
    }
    mcgk_wipe(k->z, sizeof k->z);
    mcgk_wipe(k->ksak, sizeof k->ksak);
}

/* Builds a KMS pair; returns 0 on success. */
static int kms_pair_init(kms_pair *k, int by_wolf)
{
    memset(k, 0, sizeof *k);
    k->made_by_wolf = by_wolf;
    if (wc_InitSakkeKey(&k->w_sakke_kms, NULL, INVALID_DEVID) != 0 ||
        wc_InitSakkeKey(&k->w_sakke_cli, NULL, INVALID_DEVID) != 0 ||
        wc_InitEccsiKey(&k->w_eccsi_kms, NULL, INVALID_DEVID) != 0 ||
        wc_InitEccsiKey(&k->w_eccsi_ver, NULL, INVALID_DEVID) != 0 ||
        wc_InitEccsiKey(&k->w_eccsi_sig, NULL, INVALID_DEVID) != 0) {
        CHECK(0);
        return -1;
    }
    k->w_init = 1;

    if (by_wolf) {
        word32 sz;
        CHECK(wc_MakeSakkeKey(&k->w_sakke_kms, &wrng) == 0);
        sz = sizeof k->z;
        CHECK(wc_ExportSakkePrivateKey(&k->w_sakke_kms, k->z, &sz) == 0 && sz == sizeof k->z);
        sz = sizeof k->Z;
        CHECK(wc_ExportSakkePublicKey(&k->w_sakke_kms, k->Z, &sz, 0) == 0 && sz == sizeof k->Z);
        CHECK(wc_MakeEccsiKey(&k->w_eccsi_kms, &wrng) == 0);
        sz = sizeof k->ksak;
        CHECK(wc_ExportEccsiPrivateKey(&k->w_eccsi_kms, k->ksak, &sz) == 0 &&
              sz == sizeof k->ksak);
        sz = sizeof k->kpak;
        CHECK(wc_ExportEccsiPublicKey(&k->w_eccsi_kms, k->kpak, &sz, 0) == 0 &&
              sz == sizeof k->kpak);
        /* mcgk derives the same public keys from the exported secrets */
        uint8_t Z2[MCGK_SAKKE_POINT_LEN], kpak2[MCGK_ECCSI_POINT_LEN];
        CHECK_OK(mcgk_sakke_public_from_secret(k->z, sizeof k->z, Z2));
        CHECK_MEM(Z2, k->Z, sizeof Z2);
        CHECK_OK(mcgk_eccsi_kpak_from_ksak(k->ksak, kpak2));
        CHECK_MEM(kpak2, k->kpak, sizeof kpak2);
    } else {
        CHECK_OK(mcgk_sakke_kms_keygen(&rng, k->z, k->Z));
        CHECK_OK(mcgk_eccsi_kms_keygen(&rng, k->ksak, k->kpak));
        /* wolfSSL takes z || Zx || Zy and KSAK || KPAKx || KPAKy */
        uint8_t buf[3 * MCGK_SAKKE_FP_LEN];
        memcpy(buf, k->z, MCGK_SAKKE_FP_LEN);
        memcpy(buf + MCGK_SAKKE_FP_LEN, k->Z + 1, 2 * MCGK_SAKKE_FP_LEN);
        CHECK(wc_ImportSakkeKey(&k->w_sakke_kms, buf, sizeof buf) == 0);
        memcpy(buf, k->ksak, MCGK_ECCSI_SCALAR_LEN);
        memcpy(buf + MCGK_ECCSI_SCALAR_LEN, k->kpak + 1, 2 * MCGK_ECCSI_SCALAR_LEN);
        CHECK(wc_ImportEccsiKey(&k->w_eccsi_kms, buf, 3 * MCGK_ECCSI_SCALAR_LEN) == 0);
        mcgk_wipe(buf, sizeof buf);
        /* wolfSSL derives the same Z from the imported z */
        ecc_point *zp = wc_ecc_new_point();
        uint8_t Z2[MCGK_SAKKE_POINT_LEN];
        word32 sz = sizeof Z2;
        CHECK(zp != NULL && wc_MakeSakkePublicKey(&k->w_sakke_kms, zp) == 0 &&
              wc_EncodeSakkeRsk(&k->w_sakke_kms, zp, Z2, &sz, 0) == 0 && sz == sizeof Z2);
        CHECK_MEM(Z2, k->Z, sizeof Z2);
        wc_ecc_del_point(zp);
    }
    /* the clients of both implementations import the public keys, validating them */
    CHECK_OK(mcgk_sakke_community_new(k->Z, &k->community));
    CHECK(wc_ImportSakkePublicKey(&k->w_sakke_cli, k->Z, sizeof k->Z, 0) == 0);
    CHECK(wc_ImportEccsiPublicKey(&k->w_eccsi_ver, k->kpak, sizeof k->kpak, 0) == 0);
    CHECK(wc_ImportEccsiPublicKey(&k->w_eccsi_sig, k->kpak, sizeof k->kpak, 0) == 0);
    return k->community != NULL ? 0 : -1;
}

/* ---- wolfSSL operations, reduced to octet strings -------------------------------------- */

static int w_sakke_issue(kms_pair *k, const uint8_t *id, uint8_t rsk[MCGK_SAKKE_POINT_LEN])
{
    ecc_point *p = wc_ecc_new_point();
    word32 sz = MCGK_SAKKE_POINT_LEN;
    int ok = p != NULL && wc_MakeSakkeRsk(&k->w_sakke_kms, id, ID_LEN, p) == 0 &&
             wc_EncodeSakkeRsk(&k->w_sakke_kms, p, rsk, &sz, 0) == 0 &&
             sz == MCGK_SAKKE_POINT_LEN;
    wc_ecc_del_point(p);
    return ok;
}

/* 1 when wolfSSL accepts rsk for id (RFC 6508 §6.1.2). */
static int w_sakke_validate(kms_pair *k, const uint8_t *id, const uint8_t *rsk)
{
    ecc_point *p = wc_ecc_new_point();
    int valid = 0;
    if (p != NULL && wc_DecodeSakkeRsk(&k->w_sakke_cli, rsk, MCGK_SAKKE_POINT_LEN, p) == 0 &&
        wc_ValidateSakkeRsk(&k->w_sakke_cli, id, ID_LEN, p, &valid) != 0)
        valid = 0;
    wc_ecc_del_point(p);
    return valid == 1;
}

static int w_sakke_encap(kms_pair *k, const uint8_t *id, const uint8_t ssv[16],
                         uint8_t encap[MCGK_SAKKE_ENCAP_LEN])
{
    uint8_t h[MCGK_SAKKE_SSV_LEN];
    word16 auth_sz = MCGK_SAKKE_POINT_LEN;
    memcpy(h, ssv, sizeof h);
    int ok = wc_SetSakkeIdentity(&k->w_sakke_cli, id, ID_LEN) == 0 &&
             wc_MakeSakkeEncapsulatedSSV(&k->w_sakke_cli, WC_HASH_TYPE_SHA256, h, sizeof h,
                                         encap, &auth_sz) == 0 &&
             auth_sz == MCGK_SAKKE_POINT_LEN;
    memcpy(encap + MCGK_SAKKE_POINT_LEN, h, sizeof h); /* R || H */
    return ok;
}

/* 1 when wolfSSL decapsulates (TEST passes); ssv out. */
static int w_sakke_decap(kms_pair *k, const uint8_t *id, const uint8_t *rsk,
                         const uint8_t encap[MCGK_SAKKE_ENCAP_LEN], uint8_t ssv[16])
{
    ecc_point *p = wc_ecc_new_point();
    memcpy(ssv, encap + MCGK_SAKKE_POINT_LEN, MCGK_SAKKE_SSV_LEN);
    int ok = p != NULL && wc_DecodeSakkeRsk(&k->w_sakke_cli, rsk, MCGK_SAKKE_POINT_LEN, p) == 0 &&
             wc_SetSakkeRsk(&k->w_sakke_cli, p, NULL, 0) == 0 &&
             wc_SetSakkeIdentity(&k->w_sakke_cli, id, ID_LEN) == 0 &&
             wc_DeriveSakkeSSV(&k->w_sakke_cli, WC_HASH_TYPE_SHA256, ssv, MCGK_SAKKE_SSV_LEN,
                               encap, MCGK_SAKKE_POINT_LEN) == 0;
    wc_ecc_del_point(p);
    return ok;
}

static int w_eccsi_issue(kms_pair *k, const uint8_t *id, uint8_t ssk[32], uint8_t pvt[65])
{
    mp_int s;
    ecc_point *p = wc_ecc_new_point();
    word32 sz1 = 32, sz2 = 65;
    if (mp_init(&s) != MP_OKAY) {
        wc_ecc_del_point(p);
        return 0;
    }
    int ok = p != NULL &&
             wc_MakeEccsiPair(&k->w_eccsi_kms, &wrng, WC_HASH_TYPE_SHA256, id, ID_LEN, &s, p) ==
                 0 &&
             wc_EncodeEccsiSsk(&k->w_eccsi_kms, &s, ssk, &sz1) == 0 && sz1 == 32 &&
             wc_EncodeEccsiPvt(&k->w_eccsi_kms, p, pvt, &sz2, 0) == 0 && sz2 == 65;
    mp_forcezero(&s);
    mp_free(&s);
    wc_ecc_del_point(p);
    return ok;
}

/* 1 when wolfSSL accepts (SSK, PVT) for id (RFC 6507 §5.1.2). */
static int w_eccsi_validate(kms_pair *k, const uint8_t *id, const uint8_t *ssk,
                            const uint8_t *pvt)
{
    mp_int s;
    ecc_point *p = wc_ecc_new_point();
    int valid = 0;
    if (mp_init(&s) != MP_OKAY) {
        wc_ecc_del_point(p);
        return 0;
    }
    if (p != NULL && wc_DecodeEccsiSsk(&k->w_eccsi_ver, ssk, 32, &s) == 0 &&
        wc_DecodeEccsiPvt(&k->w_eccsi_ver, pvt, 65, p) == 0 &&
        wc_ValidateEccsiPair(&k->w_eccsi_ver, WC_HASH_TYPE_SHA256, id, ID_LEN, &s, p, &valid) != 0)
        valid = 0;
    mp_forcezero(&s);
    mp_free(&s);
    wc_ecc_del_point(p);
    return valid == 1;
}

/* HS of wolfSSL for (id, pvt) into hs[32]; 1 on success. */
static int w_eccsi_hs(kms_pair *k, const uint8_t *id, const uint8_t *pvt, uint8_t hs[32])
{
    ecc_point *p = wc_ecc_new_point();
    byte hsz = 32;
    int ok = p != NULL && wc_DecodeEccsiPvt(&k->w_eccsi_ver, pvt, 65, p) == 0 &&
             wc_HashEccsiId(&k->w_eccsi_ver, WC_HASH_TYPE_SHA256, id, ID_LEN, p, hs, &hsz) == 0 &&
             hsz == 32;
    wc_ecc_del_point(p);
    return ok;
}

static int w_eccsi_sign(kms_pair *k, const uint8_t *id, const uint8_t *ssk, const uint8_t *pvt,
                        const uint8_t *msg, size_t msg_len, uint8_t sig[129])
{
    mp_int s;
    ecc_point *p = wc_ecc_new_point();
    uint8_t hs[32];
    byte hsz = 32;
    word32 sig_sz = 129;
    if (mp_init(&s) != MP_OKAY) {
        wc_ecc_del_point(p);
        return 0;
    }
    int ok = p != NULL && wc_DecodeEccsiSsk(&k->w_eccsi_sig, ssk, 32, &s) == 0 &&
             wc_DecodeEccsiPvt(&k->w_eccsi_sig, pvt, 65, p) == 0 &&
             wc_SetEccsiPair(&k->w_eccsi_sig, &s, p) == 0 &&
             wc_HashEccsiId(&k->w_eccsi_sig, WC_HASH_TYPE_SHA256, id, ID_LEN, p, hs, &hsz) == 0 &&
             wc_SignEccsiHash(&k->w_eccsi_sig, &wrng, WC_HASH_TYPE_SHA256, msg, (word32)msg_len,
                              sig, &sig_sz) == 0 &&
             sig_sz == 129;
    mp_forcezero(&s);
    mp_free(&s);
    wc_ecc_del_point(p);
    return ok;
}

/* 1 when wolfSSL verifies sig by id over msg; HS comes from the PVT inside sig. */
static int w_eccsi_verify(kms_pair *k, const uint8_t *id, const uint8_t *msg, size_t msg_len,
                          const uint8_t sig[129])
{
    ecc_point *p = wc_ecc_new_point();
    uint8_t hs[32];
    byte hsz = 32;
    int verified = 0;
    if (p != NULL && wc_DecodeEccsiPvtFromSig(&k->w_eccsi_ver, sig, 129, p) == 0 &&
        wc_HashEccsiId(&k->w_eccsi_ver, WC_HASH_TYPE_SHA256, id, ID_LEN, p, hs, &hsz) == 0) {
        if (wc_VerifyEccsiHash(&k->w_eccsi_ver, WC_HASH_TYPE_SHA256, msg, (word32)msg_len, sig,
                               129, &verified) != 0)
            verified = 0;
    }
    wc_ecc_del_point(p);
    return verified == 1;
}

/* ---- mcgk operations, same shape ------------------------------------------------------------ */

static mcgk_err m_sakke_decap(kms_pair *k, const uint8_t *id, const uint8_t *rsk,
                              const uint8_t *encap, uint8_t ssv[16])
{
    mcgk_sakke_receiver *r = NULL;
    mcgk_err e = mcgk_sakke_receiver_new(k->community, id, ID_LEN, rsk, &r);
    if (e == MCGK_OK)
        e = mcgk_sakke_decapsulate(r, encap, ssv);
    mcgk_sakke_receiver_free(r);
    return e;
}

/* ---- the tests ---------------------------------------------------------------------------- */

static int iterations(void) { return mcgk_test_quick() ? ITERATIONS_QUICK : ITERATIONS_FULL; }

static kms_pair kms;
static int kms_epoch = -1;
static int rejections_wolf_not_mcgk;
static int rejections_mcgk_not_wolf;

static int use_kms(int i)
{
    int rotate = mcgk_test_quick() ? 5 : KMS_ROTATE;
    int epoch = i / rotate;
    if (epoch == kms_epoch)
        return 0;
    if (kms_epoch >= 0)
        kms_pair_free(&kms);
    kms_epoch = epoch;
    return kms_pair_init(&kms, epoch % 2 == 1);
}

/* Z and KPAK with one random bit flipped: mcgk and wolfSSL both refuse them. */
static void test_public_key_flips(void)
{
    int rounds = mcgk_test_quick() ? 2 : 8;
    for (int r = 0; r < rounds; r++) {
        uint8_t Z[MCGK_SAKKE_POINT_LEN], kpak[MCGK_ECCSI_POINT_LEN];
        memcpy(Z, kms.Z, sizeof Z);
        memcpy(kpak, kms.kpak, sizeof kpak);
        size_t bz, bk;
        flip_random_bit(Z, sizeof Z, &bz);
        flip_random_bit(kpak, sizeof kpak, &bk);

        mcgk_sakke_community *c = NULL;
        mcgk_err e = mcgk_sakke_community_new(Z, &c);
        CHECK(e != MCGK_OK);
        CHECK(c == NULL);
        mcgk_sakke_community_free(c);
        SakkeKey wz;
        CHECK(wc_InitSakkeKey(&wz, NULL, INVALID_DEVID) == 0);
        CHECK(wc_ImportSakkePublicKey(&wz, Z, sizeof Z, 0) != 0);
        wc_FreeSakkeKey(&wz);

        uint8_t ssk[32], pvt[65], id[ID_LEN];
        mcgk_test_prng_fill(&prng, id, sizeof id);
        CHECK_OK(mcgk_eccsi_issue(kms.ksak, id, sizeof id, &rng, ssk, pvt));
        e = mcgk_eccsi_validate_ssk(kpak, id, sizeof id, ssk, pvt);
        CHECK(e != MCGK_OK);
        EccsiKey wk;
        CHECK(wc_InitEccsiKey(&wk, NULL, INVALID_DEVID) == 0);
        CHECK(wc_ImportEccsiPublicKey(&wk, kpak, sizeof kpak, 0) != 0);
        wc_FreeEccsiKey(&wk);
        mcgk_wipe(ssk, sizeof ssk);
    }
}

static void sakke_round(const uint8_t *id)
{
    uint8_t rsk_m[MCGK_SAKKE_POINT_LEN], rsk_w[MCGK_SAKKE_POINT_LEN];
    /* RSK issued by both KMSs: RSK = [(a + z)^-1 mod q]P is deterministic */
    CHECK_OK(mcgk_sakke_rsk_issue(kms.z, sizeof kms.z, id, ID_LEN, rsk_m));
    CHECK(w_sakke_issue(&kms, id, rsk_w));
    CHECK_MEM(rsk_m, rsk_w, sizeof rsk_m);
    /* each validates the other's */
    CHECK_OK(mcgk_sakke_rsk_validate(kms.community, id, ID_LEN, rsk_w));
    CHECK(w_sakke_validate(&kms, id, rsk_m));

    /* the same SSV encapsulated by both gives the same R || H */
    uint8_t ssv[MCGK_SAKKE_SSV_LEN], enc_m[MCGK_SAKKE_ENCAP_LEN], enc_w[MCGK_SAKKE_ENCAP_LEN];
    mcgk_test_prng_fill(&prng, ssv, sizeof ssv);
    CHECK_OK(mcgk_sakke_encapsulate(kms.community, id, ID_LEN, ssv, enc_m));
    CHECK(w_sakke_encap(&kms, id, ssv, enc_w));
    CHECK_MEM(enc_m, enc_w, sizeof enc_m);

    /* cross decapsulation */
    uint8_t out[MCGK_SAKKE_SSV_LEN];
    CHECK(w_sakke_decap(&kms, id, rsk_m, enc_m, out));
    CHECK_MEM(out, ssv, sizeof ssv);
    memset(out, 0, sizeof out);
    CHECK_OK(m_sakke_decap(&kms, id, rsk_w, enc_w, out));
    CHECK_MEM(out, ssv, sizeof ssv);

    /* a flipped bit in the encapsulation: both refuse */
    uint8_t bad[MCGK_SAKKE_ENCAP_LEN];
    memcpy(bad, enc_w, sizeof bad);
    size_t bit;
    flip_random_bit(bad, sizeof bad, &bit);
    mcgk_err e = m_sakke_decap(&kms, id, rsk_m, bad, out);
    int w_ok = w_sakke_decap(&kms, id, rsk_w, bad, out);
    CHECK(e != MCGK_OK);
    if (bit >= 8 * MCGK_SAKKE_POINT_LEN) /* a bit of H: R is intact, only TEST can fail */
        CHECK_ERR(e, MCGK_ERR_DECAPSULATE);
    CHECK(!w_ok);
    if (e != MCGK_OK && w_ok)
        rejections_mcgk_not_wolf++;
    if (e == MCGK_OK && !w_ok)
        rejections_wolf_not_mcgk++;

    /* a flipped bit in the RSK: both refuse it */
    uint8_t bad_rsk[MCGK_SAKKE_POINT_LEN];
    memcpy(bad_rsk, rsk_m, sizeof bad_rsk);
    flip_random_bit(bad_rsk, sizeof bad_rsk, NULL);
    CHECK(mcgk_sakke_rsk_validate(kms.community, id, ID_LEN, bad_rsk) != MCGK_OK);
    CHECK(!w_sakke_validate(&kms, id, bad_rsk));

    mcgk_wipe(rsk_m, sizeof rsk_m);
    mcgk_wipe(rsk_w, sizeof rsk_w);
    mcgk_wipe(ssv, sizeof ssv);
    mcgk_wipe(out, sizeof out);
}

static void eccsi_sign_verify_across(const uint8_t *id, const uint8_t *ssk, const uint8_t *pvt)
{
    uint8_t msg[MSG_MAX];
    size_t msg_len = rand_below(MSG_MAX + 1);
    mcgk_test_prng_fill(&prng, msg, msg_len);

    /* mcgk signs, wolfSSL verifies */
    mcgk_eccsi_signer signer;
    uint8_t sig_m[MCGK_ECCSI_SIG_LEN], sig_w[MCGK_ECCSI_SIG_LEN];
    CHECK_OK(mcgk_eccsi_signer_init(&signer, kms.kpak, id, ID_LEN, ssk, pvt));
    CHECK_OK(mcgk_eccsi_sign(&signer, msg, msg_len, &rng, sig_m));
    mcgk_eccsi_signer_clear(&signer);
    CHECK(w_eccsi_verify(&kms, id, msg, msg_len, sig_m));
    CHECK_MEM(sig_m + 64, pvt, 65); /* the PVT travels in the signature */

    /* wolfSSL signs, mcgk verifies */
    CHECK(w_eccsi_sign(&kms, id, ssk, pvt, msg, msg_len, sig_w));
    CHECK_OK(mcgk_eccsi_verify(kms.kpak, id, ID_LEN, msg, msg_len, sig_w));
    CHECK_MEM(sig_w + 64, pvt, 65);

    /* a flipped bit in the signature: both refuse */
    const uint8_t *sigs[2] = {sig_m, sig_w};
    for (int s = 0; s < 2; s++) {
        uint8_t bad[MCGK_ECCSI_SIG_LEN];
        memcpy(bad, sigs[s], sizeof bad);
        size_t bit;
        flip_random_bit(bad, sizeof bad, &bit);
        mcgk_err e = mcgk_eccsi_verify(kms.kpak, id, ID_LEN, msg, msg_len, bad);
        int w_ok = w_eccsi_verify(&kms, id, msg, msg_len, bad);
        CHECK(e != MCGK_OK);
        if (bit < 8 * 64) /* r or s: the PVT is intact, only the verdict can fail */
            CHECK_ERR(e, MCGK_ERR_SIGNATURE);
        CHECK(!w_ok);
        if (e != MCGK_OK && w_ok)
            rejections_mcgk_not_wolf++;
        if (e == MCGK_OK && !w_ok)
            rejections_wolf_not_mcgk++;
    }
    /* a flipped bit in the message: both refuse (when there is a message) */
    if (msg_len > 0) {
        flip_random_bit(msg, msg_len, NULL);
        CHECK_ERR(mcgk_eccsi_verify(kms.kpak, id, ID_LEN, msg, msg_len, sig_w),
                  MCGK_ERR_SIGNATURE);
        CHECK(!w_eccsi_verify(&kms, id, msg, msg_len, sig_m));
    }
}

static void eccsi_round(const uint8_t *id)
{
    uint8_t ssk_m[32], pvt_m[65], ssk_w[32], pvt_w[65];
    CHECK_OK(mcgk_eccsi_issue(kms.ksak, id, ID_LEN, &rng, ssk_m, pvt_m));
    CHECK(w_eccsi_issue(&kms, id, ssk_w, pvt_w));
    /* each validates the other's key set */
    CHECK_OK(mcgk_eccsi_validate_ssk(kms.kpak, id, ID_LEN, ssk_w, pvt_w));
    CHECK(w_eccsi_validate(&kms, id, ssk_m, pvt_m));
    /* HS = SHA-256(G || KPAK || ID || PVT) agrees */
    uint8_t hs_m[32], hs_w[32];
    CHECK_OK(mcgk_eccsi_hs(kms.kpak, id, ID_LEN, pvt_w, hs_m));
    CHECK(w_eccsi_hs(&kms, id, pvt_w, hs_w));
    CHECK_MEM(hs_m, hs_w, 32);

    /* both key sets sign with both implementations */
    eccsi_sign_verify_across(id, ssk_m, pvt_m);
    eccsi_sign_verify_across(id, ssk_w, pvt_w);

    /* flipped bits in SSK and in PVT: both refuse the key set */
    uint8_t bad_ssk[32], bad_pvt[65];
    memcpy(bad_ssk, ssk_w, sizeof bad_ssk);
    flip_random_bit(bad_ssk, sizeof bad_ssk, NULL);
    CHECK(mcgk_eccsi_validate_ssk(kms.kpak, id, ID_LEN, bad_ssk, pvt_w) != MCGK_OK);
    CHECK(!w_eccsi_validate(&kms, id, bad_ssk, pvt_w));
    memcpy(bad_pvt, pvt_m, sizeof bad_pvt);
    flip_random_bit(bad_pvt, sizeof bad_pvt, NULL);
    CHECK(mcgk_eccsi_validate_ssk(kms.kpak, id, ID_LEN, ssk_m, bad_pvt) != MCGK_OK);
    CHECK(!w_eccsi_validate(&kms, id, ssk_m, bad_pvt));

    mcgk_wipe(ssk_m, sizeof ssk_m);
    mcgk_wipe(ssk_w, sizeof ssk_w);
    mcgk_wipe(bad_ssk, sizeof bad_ssk);
}

/* R-000-15: an encapsulation to one UID is not opened by another UID's RSK (either
 * implementation); R-000-16: a signature verifies only under the signer's UID. */
static void test_R_000_15_16_wrong_identity_rejected(void)
{
    int rounds = mcgk_test_quick() ? 2 : 10;
    for (int i = 0; i < rounds; i++) {
        CHECK(use_kms(i * KMS_ROTATE) == 0);
        uint8_t a[ID_LEN], b[ID_LEN];
        mcgk_test_prng_fill(&prng, a, sizeof a);
        memcpy(b, a, sizeof b);
        b[rand_below(ID_LEN)] ^= (uint8_t)(1u + rand_below(255));
        uint8_t rsk_b[MCGK_SAKKE_POINT_LEN], ssv[16], enc[MCGK_SAKKE_ENCAP_LEN], out[16];
        CHECK_OK(mcgk_sakke_rsk_issue(kms.z, sizeof kms.z, b, ID_LEN, rsk_b));
        mcgk_test_prng_fill(&prng, ssv, sizeof ssv);
        CHECK(w_sakke_encap(&kms, a, ssv, enc));
        CHECK_ERR(m_sakke_decap(&kms, b, rsk_b, enc, out), MCGK_ERR_DECAPSULATE);
        CHECK(!w_sakke_decap(&kms, b, rsk_b, enc, out));
        /* the RSK of b is not an RSK of a */
        CHECK_ERR(mcgk_sakke_rsk_validate(kms.community, a, ID_LEN, rsk_b), MCGK_ERR_RSK_INVALID);
        CHECK(!w_sakke_validate(&kms, a, rsk_b));

        uint8_t ssk[32], pvt[65], sig[129];
        const uint8_t msg[] = "group key transport";
        CHECK(w_eccsi_issue(&kms, a, ssk, pvt));
        CHECK(w_eccsi_sign(&kms, a, ssk, pvt, msg, sizeof msg, sig));
        CHECK_OK(mcgk_eccsi_verify(kms.kpak, a, ID_LEN, msg, sizeof msg, sig));
        CHECK_ERR(mcgk_eccsi_verify(kms.kpak, b, ID_LEN, msg, sizeof msg, sig),
                  MCGK_ERR_SIGNATURE);
        CHECK(!w_eccsi_verify(&kms, b, msg, sizeof msg, sig));
        mcgk_wipe(rsk_b, sizeof rsk_b);
        mcgk_wipe(ssk, sizeof ssk);
    }
}

static void test_sakke_eccsi_interop_random(void)
{
    int n = iterations();
    for (int i = 0; i < n; i++) {
        if (use_kms(i) != 0)
            return;
        if (i % (mcgk_test_quick() ? 5 : KMS_ROTATE) == 0)
            test_public_key_flips();
        uint8_t id[ID_LEN];
        mcgk_test_prng_fill(&prng, id, sizeof id);
        int before = mcgk_test_failures;
        sakke_round(id);
        eccsi_round(id);
        if (mcgk_test_failures != before) {
            printf("  iteration %d (KMS by %s) failed\n", i, kms.made_by_wolf ? "wolfSSL" : "mcgk");
            if (mcgk_test_failures - before > 20)
                return; /* one broken iteration is enough to read */
        }
    }
    printf("  %d identities, %d KMS key sets; rejected by only one side: mcgk %d, wolfSSL %d\n",
           n, kms_epoch + 1, rejections_mcgk_not_wolf, rejections_wolf_not_mcgk);
}

/* Signatures with r = 0 or s = 0: RFC 6507 §5.2.2 step 1 requires r, s in [1, q-1].
 * mcgk must refuse; wolfSSL's verdict is only reported (older releases lacked the check). */
static void test_eccsi_zero_r_s_refused(void)
{
    CHECK(use_kms(0) == 0);
    uint8_t id[ID_LEN], ssk[32], pvt[65], sig[129];
    mcgk_test_prng_fill(&prng, id, sizeof id);
    CHECK_OK(mcgk_eccsi_issue(kms.ksak, id, ID_LEN, &rng, ssk, pvt));
    const uint8_t msg[] = "m";
    for (int which = 0; which < 3; which++) {
        memset(sig, 0, 64);
        if (which == 1)
            memset(sig + 32, 0x11, 32); /* r = 0, s != 0 */
        if (which == 2)
            memset(sig, 0x11, 32); /* r != 0, s = 0 */
        memcpy(sig + 64, pvt, 65);
        CHECK(mcgk_eccsi_verify(kms.kpak, id, ID_LEN, msg, sizeof msg, sig) != MCGK_OK);
        if (w_eccsi_verify(&kms, id, msg, sizeof msg, sig))
            printf("  note: wolfSSL accepts an ECCSI signature with %s\n",
                   which == 0 ? "r = s = 0" : which == 1 ? "r = 0" : "s = 0");
    }
    mcgk_wipe(ssk, sizeof ssk);
}

int main(void)
{
    uint64_t seed;
    const char *s = getenv("MCGK_TEST_SEED");
    if (s != NULL && *s != '\0')
        seed = strtoull(s, NULL, 0);
    else
        seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    printf("MCGK_TEST_SEED=%llu\n", (unsigned long long)seed);
    rng = mcgk_test_prng_init(&prng, seed);
    if (wc_InitRng(&wrng) != 0) {
        printf("wolfSSL RNG init failed\n");
        return 1;
    }

    TEST_RUN(test_sakke_eccsi_interop_random);
    TEST_RUN(test_R_000_15_16_wrong_identity_rejected);
    TEST_RUN(test_eccsi_zero_r_s_refused);

    if (kms_epoch >= 0)
        kms_pair_free(&kms);
    wc_FreeRng(&wrng);
    TEST_MAIN_END();
}
