/*
 * Interop: GMK I_MESSAGEs built by mcgk (src/mikey/gmk_build.c) opened with
 * wolfSSL's independent implementations, and the other way round.
 *
 * wolfSSL (libwolfssl with WOLFCRYPT_HAVE_ECCSI / _SAKKE, HAVE_AESGCM) checks
 * every cryptographic part of each mcgk-built message, located with the
 * mcgk codec:
 *   SIGN   the ECCSI signature over octets 0 .. signed_len (SIGN header
 *          included) verifies under the GMS UID (RFC 6507, RFC 6509 §4.3);
 *   SAKKE  the SAKKE payload decapsulates with the member's RSK to the GMK
 *          (RFC 6508 §6.2.2); the SAKKE-to-self extension (E.5) with the GMS's;
 *   UID    the member and GMS UIDs equal SHA-256 of the TS 33.180 F.2.1
 *          string written out here and hashed with wolfSSL;
 *   params the DPCK (HMAC-SHA-256 of 0x53 || GUK-ID || 0x0004, 128 LSBs)
 *          and AES-128-GCM with the 16-octet IV and the 32-octet AAD open the
 *          type-7 envelope (TS 33.180 §8.5.4, E.6) to the key parameters;
 * and in the other direction mcgk_gmk_open accepts a message whose SAKKE
 * payload was encapsulated and whose signature was made by wolfSSL (the
 * encapsulation is deterministic: both must give the same octets).
 * Iterations use fresh KMS keys, identities and GMKs; MCGK_TEST_QUICK runs fewer.
 * Secrets are test keys.
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/eccsi.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sakke.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "mcgk/gmk_message.h"
#include "mcgk/kdf.h"
#include "test.h"

#define ITERATIONS_FULL 24
#define ITERATIONS_QUICK 4
#define MSG_CAP 4096
#define PERIOD_S 2592000
#define KMS_URI "kms.interop.example"
#define GMS_URI "sip:gms@interop.example"

static mcgk_test_prng prng;
static mcgk_rng rng;
static WC_RNG wrng;

typedef struct ident {
    char uri[64];
    uint8_t uid[MCGK_UID_LEN];
    uint8_t rsk[MCGK_SAKKE_POINT_LEN];
    uint8_t ssk[MCGK_ECCSI_SCALAR_LEN];
    uint8_t pvt[MCGK_ECCSI_POINT_LEN];
} ident;

/* ---- independent (wolfSSL) computations ------------------------------------------------- */

static void put_param(uint8_t *s, size_t *n, const uint8_t *p, size_t len)
{
    memcpy(s + *n, p, len);
    *n += len;
    s[(*n)++] = (uint8_t)(len >> 8);
    s[(*n)++] = (uint8_t)len;
}

static size_t min_be(uint64_t v, uint8_t out[8])
{
    size_t n = 1;
    while (n < 8 && (v >> (8 * n)) != 0)
        n++;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return n;
}

/* TS 33.180 F.2.1, written out: SHA-256(0x00 || P0 L0 || uri L1 || kms L2 || period L3 ||
   offset L4 || period_no L5) with minimal big-endian integers */
static int w_uid(const char *uri, uint64_t period_no, uint8_t uid[32])
{
    uint8_t s[512], b[8];
    size_t n = 0;
    s[n++] = 0x00;
    put_param(s, &n, (const uint8_t *)"MIKEY-SAKKE-UID", 15);
    put_param(s, &n, (const uint8_t *)uri, strlen(uri));
    put_param(s, &n, (const uint8_t *)KMS_URI, strlen(KMS_URI));
    put_param(s, &n, b, min_be(PERIOD_S, b));
    put_param(s, &n, b, min_be(0, b));
    put_param(s, &n, b, min_be(period_no, b));
    return wc_Sha256Hash(s, (word32)n, uid) == 0;
}

static int w_verify(const uint8_t kpak[65], const uint8_t *id, const uint8_t *msg, size_t len,
                    const uint8_t sig[129])
{
    EccsiKey k;
    ecc_point *p = wc_ecc_new_point();
    uint8_t hs[32];
    byte hsz = sizeof hs;
    int verified = 0;
    if (p == NULL || wc_InitEccsiKey(&k, NULL, INVALID_DEVID) != 0) {
        wc_ecc_del_point(p);
        return 0;
    }
    if (wc_ImportEccsiPublicKey(&k, kpak, 65, 0) == 0 &&
        wc_DecodeEccsiPvtFromSig(&k, sig, 129, p) == 0 &&
        wc_HashEccsiId(&k, WC_HASH_TYPE_SHA256, id, 32, p, hs, &hsz) == 0 &&
        wc_VerifyEccsiHash(&k, WC_HASH_TYPE_SHA256, msg, (word32)len, sig, 129, &verified) != 0)
        verified = 0;
    wc_FreeEccsiKey(&k);
    wc_ecc_del_point(p);
    return verified == 1;
}

static int w_sign(const uint8_t kpak[65], const ident *u, const uint8_t *msg, size_t len,
                  uint8_t sig[129])
{
    EccsiKey k;
    mp_int s;
    ecc_point *p = wc_ecc_new_point();
    uint8_t hs[32];
    byte hsz = sizeof hs;
    word32 sz = 129;
    int ok = 0;
    if (p == NULL || mp_init(&s) != MP_OKAY) {
        wc_ecc_del_point(p);
        return 0;
    }
    if (wc_InitEccsiKey(&k, NULL, INVALID_DEVID) == 0) {
        ok = wc_ImportEccsiPublicKey(&k, kpak, 65, 0) == 0 &&
             wc_DecodeEccsiSsk(&k, u->ssk, 32, &s) == 0 &&
             wc_DecodeEccsiPvt(&k, u->pvt, 65, p) == 0 && wc_SetEccsiPair(&k, &s, p) == 0 &&
             wc_HashEccsiId(&k, WC_HASH_TYPE_SHA256, u->uid, 32, p, hs, &hsz) == 0 &&
             wc_SignEccsiHash(&k, &wrng, WC_HASH_TYPE_SHA256, msg, (word32)len, sig, &sz) == 0 &&
             sz == 129;
        wc_FreeEccsiKey(&k);
    }
    mp_forcezero(&s);
    mp_free(&s);
    wc_ecc_del_point(p);
    return ok;
}

static int w_decap(const uint8_t Z[257], const ident *u, const uint8_t encap[273],
                   uint8_t ssv[16])
{
    SakkeKey k;
    ecc_point *p = wc_ecc_new_point();
    int ok = 0;
    memcpy(ssv, encap + 257, 16);
    if (p != NULL && wc_InitSakkeKey(&k, NULL, INVALID_DEVID) == 0) {
        ok = wc_ImportSakkePublicKey(&k, Z, 257, 0) == 0 &&
             wc_DecodeSakkeRsk(&k, u->rsk, 257, p) == 0 && wc_SetSakkeRsk(&k, p, NULL, 0) == 0 &&
             wc_SetSakkeIdentity(&k, u->uid, 32) == 0 &&
             wc_DeriveSakkeSSV(&k, WC_HASH_TYPE_SHA256, ssv, 16, encap, 257) == 0;
        wc_FreeSakkeKey(&k);
    }
    wc_ecc_del_point(p);
    return ok;
}

static int w_encap(const uint8_t Z[257], const uint8_t *uid, const uint8_t ssv[16],
                   uint8_t encap[273])
{
    SakkeKey k;
    word16 auth = 257;
    uint8_t h[16];
    memcpy(h, ssv, 16);
    int ok = 0;
    if (wc_InitSakkeKey(&k, NULL, INVALID_DEVID) == 0) {
        ok = wc_ImportSakkePublicKey(&k, Z, 257, 0) == 0 &&
             wc_SetSakkeIdentity(&k, uid, 32) == 0 &&
             wc_MakeSakkeEncapsulatedSSV(&k, WC_HASH_TYPE_SHA256, h, 16, encap, &auth) == 0 &&
             auth == 257;
        wc_FreeSakkeKey(&k);
    }
    memcpy(encap + 257, h, 16);
    return ok;
}

/* DPCK and AES-128-GCM (16-octet IV) of the key-parameters envelope, with wolfSSL */
static int w_open_params(const uint8_t gmk[16], const uint8_t *env, size_t env_len,
                         uint8_t *pt, size_t *pt_len)
{
    if (env_len < 35 + 16)
        return 0;
    uint8_t s[7] = {0x53, env[28], env[29], env[30], env[31], 0x00, 0x04}, mac[32];
    Hmac h;
    int ok = wc_HmacInit(&h, NULL, INVALID_DEVID) == 0 &&
             wc_HmacSetKey(&h, WC_SHA256, gmk, 16) == 0 && wc_HmacUpdate(&h, s, sizeof s) == 0 &&
             wc_HmacFinal(&h, mac) == 0;
    wc_HmacFree(&h);
    size_t plen = ((size_t)env[33] << 8) | env[34];
    if (!ok || plen + 35 != env_len || plen < 16)
        return 0;
    Aes aes;
    if (wc_AesInit(&aes, NULL, INVALID_DEVID) != 0)
        return 0;
    ok = wc_AesGcmSetKey(&aes, mac + 16, 16) == 0 &&
         wc_AesGcmDecrypt(&aes, pt, env + 35, (word32)(plen - 16), env + 12, 16,
                          env + 35 + plen - 16, 16, env, 32) == 0;
    wc_AesFree(&aes);
    *pt_len = plen - 16;
    return ok;
}

/* ---- the test -------------------------------------------------------------------------- */

static void issue(const uint8_t *z, const uint8_t *ksak, const uint8_t *kpak,
                  const mcgk_sakke_community *c, const char *uri, uint64_t period_no, ident *u)
{
    snprintf(u->uri, sizeof u->uri, "%s", uri);
    CHECK_OK(mcgk_uid(uri, strlen(uri), KMS_URI, strlen(KMS_URI), PERIOD_S, 0, period_no, u->uid));
    uint8_t wuid[32];
    CHECK(w_uid(uri, period_no, wuid) && memcmp(wuid, u->uid, 32) == 0);
    CHECK_OK(mcgk_sakke_rsk_issue(z, MCGK_SAKKE_FP_LEN, u->uid, 32, u->rsk));
    CHECK_OK(mcgk_eccsi_issue(ksak, u->uid, 32, &rng, u->ssk, u->pvt));
    (void)kpak;
    (void)c;
}

static void one_round(int it)
{
    uint8_t z[MCGK_SAKKE_FP_LEN], Z[MCGK_SAKKE_POINT_LEN], ksak[32], kpak[65];
    CHECK_OK(mcgk_sakke_kms_keygen(&rng, z, Z));
    CHECK_OK(mcgk_eccsi_kms_keygen(&rng, ksak, kpak));
    mcgk_sakke_community *c = NULL;
    CHECK_OK(mcgk_sakke_community_new(Z, &c));
    mcgk_gmk_kms kms = {KMS_URI, PERIOD_S, 0, kpak, c};
    uint64_t now = 1700000000u + (uint64_t)it * 1000003u;
    uint64_t t = now + MCGK_NTP_UNIX_OFFSET_S, period_no = t / PERIOD_S;
    ident gms, user;
    char uri[64];
    snprintf(uri, sizeof uri, "sip:user-%d-%u@interop.example", it,
             (unsigned)mcgk_test_prng_next(&prng));
    issue(z, ksak, kpak, c, GMS_URI, period_no, &gms);
    issue(z, ksak, kpak, c, uri, period_no, &user);
    mcgk_eccsi_signer signer;
    CHECK_OK(mcgk_eccsi_signer_init(&signer, kpak, gms.uid, 32, gms.ssk, gms.pvt));

    uint8_t gmk[16], rnd[16];
    uint32_t gmk_id;
    CHECK_OK(mcgk_gmk_generate(&rng, MCGK_PURPOSE_GMK, gmk, &gmk_id, rnd));
    mcgk_key_params kp;
    mcgk_key_params_init(&kp, MCGK_PURPOSE_GMK);
    kp.activation_ntp_s = t;
    CHECK_OK(mcgk_key_params_add_group(&kp, "sip:grp@interop.example", 23));
    mcgk_gmk_build_cfg bc;
    memset(&bc, 0, sizeof bc);
    bc.key = gmk;
    bc.key_id = gmk_id;
    bc.rand = rnd;
    bc.rand_len = 16;
    bc.ts_ntp_s = t;
    bc.params = &kp;
    bc.gms_uri = GMS_URI;
    bc.gms_kms = &kms;
    bc.signer = &signer;
    bc.sakke_to_self = 1;
    bc.hide_initiator = it % 2;
    bc.hide_responder = (it / 2) % 2;
    bc.map = it % 3 == 0 ? MCGK_GMK_MAP_EMPTY : MCGK_GMK_MAP_GENERIC;
    bc.cs_id = MCGK_GMK_CS_ID_MCPTT;
    mcgk_gmk_ctx ctx;
    CHECK_OK(mcgk_gmk_ctx_init(&ctx, &bc));
    mcgk_gmk_member mb = {user.uri, &kms};
    static uint8_t msg[MSG_CAP], msg2[MSG_CAP];
    size_t len = 0;
    uint32_t guk = 0;
    CHECK_OK(mcgk_gmk_build_one(&ctx, &mb, &rng, msg, sizeof msg, &len, &guk));

    /* wolfSSL opens every cryptographic part */
    mcgk_mikey_msg m;
    CHECK_OK(mcgk_mikey_parse(msg, len, &m, NULL));
    CHECK(m.hdr.csb_id == guk);
    CHECK(w_verify(kpak, gms.uid, msg, m.signed_len, msg + m.signed_len));
    CHECK(!w_verify(kpak, user.uid, msg, m.signed_len, msg + m.signed_len));
    const mcgk_mikey_payload *sp = mcgk_mikey_find(&m, MCGK_MIKEY_PT_SAKKE, NULL);
    uint8_t ssv[16];
    CHECK(sp != NULL && w_decap(Z, &user, sp->u.sakke.data, ssv) && memcmp(ssv, gmk, 16) == 0);
    const mcgk_mikey_genext *self = mcgk_mikey_find_genext(&m, MCGK_MIKEY_EXT_SAKKE_TO_SELF);
    CHECK(self != NULL && w_decap(Z, &gms, self->sakke.data, ssv) && memcmp(ssv, gmk, 16) == 0);
    const mcgk_mikey_genext *g = mcgk_mikey_find_genext(&m, MCGK_MIKEY_EXT_KEY_PARAMS);
    uint8_t pt[MCGK_KP_CONTENT_MAX_LEN];
    size_t pl = 0;
    CHECK(g != NULL && w_open_params(gmk, g->data, g->len, pt, &pl));
    mcgk_key_params back;
    CHECK_OK(mcgk_key_params_decode(pt, pl, &back));
    CHECK(back.n_groups == 1 && back.activation_ntp_s == t);
    if (bc.hide_initiator) {
        const mcgk_mikey_idr *d = mcgk_mikey_find_idr(&m, MCGK_MIKEY_ROLE_IDRUIDI);
        CHECK(d != NULL && memcmp(d->data, gms.uid, 32) == 0);
    }

    /* the other way: wolfSSL's encapsulation (same octets) and signature, opened by mcgk */
    uint8_t wenc[273];
    CHECK(sp != NULL && w_encap(Z, user.uid, gmk, wenc) &&
          memcmp(wenc, sp->u.sakke.data, 273) == 0);
    mcgk_mikey_payload *wp = (mcgk_mikey_payload *)mcgk_mikey_find(&m, MCGK_MIKEY_PT_SAKKE, NULL);
    wp->u.sakke.data = wenc;
    size_t n2 = 0, sl = 0;
    CHECK_OK(mcgk_mikey_encode(&m, msg2, sizeof msg2, &n2, &sl));
    CHECK(w_sign(kpak, &gms, msg2, sl, msg2 + sl));
    mcgk_sakke_receiver *rcv = NULL;
    CHECK_OK(mcgk_sakke_receiver_new(c, user.uid, 32, user.rsk, &rcv));
    mcgk_gmk_own_keys own = {period_no, rcv};
    static const char *const auth[] = {GMS_URI};
    static const mcgk_gmk_group_gms groups[] = {{"sip:grp@interop.example", GMS_URI}};
    mcgk_gmk_open_cfg oc;
    mcgk_gmk_open_cfg_init(&oc);
    oc.own_uri = user.uri;
    oc.own_kms = &kms;
    oc.own_keys = &own;
    oc.n_own_keys = 1;
    oc.authorised_gms = auth;
    oc.n_authorised_gms = 1;
    oc.groups = groups;
    oc.n_groups = 1;
    mcgk_gmk_result r;
    CHECK_OK(mcgk_gmk_open(&oc, msg2, n2, now, &r, NULL));
    CHECK(memcmp(r.key, gmk, 16) == 0 && r.key_id == gmk_id && r.csb_id == guk);
    mcgk_gmk_result_clear(&r);
    /* a wolfSSL signature by the wrong identity is refused by mcgk */
    CHECK(w_sign(kpak, &user, msg2, sl, msg2 + sl));
    CHECK_ERR(mcgk_gmk_open(&oc, msg2, n2, now, &r, NULL), MCGK_ERR_SIGNATURE);

    mcgk_sakke_receiver_free(rcv);
    mcgk_gmk_ctx_clear(&ctx);
    mcgk_eccsi_signer_clear(&signer);
    mcgk_sakke_community_free(c);
    mcgk_wipe(z, sizeof z);
    mcgk_wipe(ksak, sizeof ksak);
    mcgk_wipe(&gms, sizeof gms);
    mcgk_wipe(&user, sizeof user);
}

static void test_mcgk_imessage_opens_in_wolfssl_and_back(void)
{
    int n = mcgk_test_quick() ? ITERATIONS_QUICK : ITERATIONS_FULL;
    for (int it = 0; it < n; it++)
        one_round(it);
}

int main(void)
{
    const char *seed = getenv("MCGK_TEST_SEED");
    uint64_t s = seed != NULL ? strtoull(seed, NULL, 10) : 0x494d5347;
    rng = mcgk_test_prng_init(&prng, s);
    printf("seed %llu\n", (unsigned long long)s);
    if (wc_InitRng(&wrng) != 0) {
        printf("wolfSSL RNG unavailable\n");
        return 1;
    }
    TEST_RUN(test_mcgk_imessage_opens_in_wolfssl_and_back);
    wc_FreeRng(&wrng);
    TEST_MAIN_END();
}
