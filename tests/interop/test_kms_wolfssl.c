/*
 * Interop: key sets served by the mcgk KMS over its Annex D interface
 * (TS 33.180) validate in wolfSSL, an independent implementation of
 * RFC 6507 §5.1.2 (wc_ValidateEccsiPair) and RFC 6508 §6.1.2
 * (wc_ValidateSakkeRsk), with the UID of TS 33.180 F.2.1.
 *
 * Two modes:
 *  - stand-alone (ctest): a community made by the KMS core answers keyprov
 *    calls (step 1 + step 2 of mcgk/kms.h: request XML in, KmsResponse XML
 *    out) for many identities and periods; each response is parsed as a
 *    client would and validated in wolfSSL; tampered key sets are refused by
 *    wolfSSL too;
 *  - documents fetched from a running `mcgk kms serve` (the integration test
 *    tests/integration/test_kms_server.sh sets them): MCGK_KMS_INIT_XML = an
 *    init response, MCGK_KMS_KEYPROV_XML = keyprov responses separated by ':'.
 *
 * Encodings move unchanged (see tests/interop/test_wolfssl.c): Z, KPAK, RSK,
 * PVT as 0x04||x||y, SSK 32 octets. Secrets here are test keys.
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/eccsi.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/sakke.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/kms.h"
#include "platform/file.h"
#include "test.h"

typedef struct wolf_client {
    SakkeKey sakke;
    EccsiKey eccsi;
} wolf_client;

static int wolf_client_init(wolf_client *w, const mcgk_kms_cert *cert)
{
    if (wc_InitSakkeKey(&w->sakke, NULL, INVALID_DEVID) != 0)
        return -1;
    if (wc_InitEccsiKey(&w->eccsi, NULL, INVALID_DEVID) != 0) {
        wc_FreeSakkeKey(&w->sakke);
        return -1;
    }
    if (wc_ImportSakkePublicKey(&w->sakke, cert->pub_enc_key, MCGK_SAKKE_POINT_LEN, 0) != 0 ||
        wc_ImportEccsiPublicKey(&w->eccsi, cert->pub_auth_key, MCGK_ECCSI_POINT_LEN, 0) != 0) {
        wc_FreeSakkeKey(&w->sakke);
        wc_FreeEccsiKey(&w->eccsi);
        return -1;
    }
    return 0;
}

static void wolf_client_free(wolf_client *w)
{
    wc_FreeSakkeKey(&w->sakke);
    wc_FreeEccsiKey(&w->eccsi);
}

/* 1 when wolfSSL accepts the RSK and the (SSK, PVT) of ks for its UserID. */
static int wolf_accepts(wolf_client *w, const mcgk_kms_keyset *ks)
{
    int rsk_ok = 0, ssk_ok = 0;
    ecc_point *p = wc_ecc_new_point();
    if (p != NULL &&
        wc_DecodeSakkeRsk(&w->sakke, ks->rsk, MCGK_SAKKE_POINT_LEN, p) == 0 &&
        wc_ValidateSakkeRsk(&w->sakke, ks->user_id, MCGK_UID_LEN, p, &rsk_ok) != 0)
        rsk_ok = 0;
    wc_ecc_del_point(p);
    mp_int s;
    p = wc_ecc_new_point();
    if (p != NULL && mp_init(&s) == MP_OKAY) {
        if (wc_DecodeEccsiSsk(&w->eccsi, ks->ssk, MCGK_ECCSI_SCALAR_LEN, &s) == 0 &&
            wc_DecodeEccsiPvt(&w->eccsi, ks->pvt, MCGK_ECCSI_POINT_LEN, p) == 0 &&
            wc_ValidateEccsiPair(&w->eccsi, WC_HASH_TYPE_SHA256, ks->user_id, MCGK_UID_LEN, &s,
                                 p, &ssk_ok) != 0)
            ssk_ok = 0;
        mp_forcezero(&s);
        mp_free(&s);
    }
    wc_ecc_del_point(p);
    return rsk_ok == 1 && ssk_ok == 1;
}

/* The UserID must be the UID of (UserUri, KmsUri, period, offset, KeyPeriodNo). */
static int uid_matches(const mcgk_kms_cert *c, const mcgk_kms_keyset *ks)
{
    uint8_t uid[MCGK_UID_LEN];
    return mcgk_uid(ks->user_uri, strlen(ks->user_uri), c->kms_uri, strlen(c->kms_uri),
                    c->user_key_period_s, c->user_key_offset_s, ks->key_period_no,
                    uid) == MCGK_OK &&
           memcmp(uid, ks->user_id, MCGK_UID_LEN) == 0;
}

/* ---- stand-alone: the KMS core's answers ---- */

static void test_core_keysets_validate_in_wolfssl(void)
{
    mcgk_test_prng prng;
    mcgk_rng rng = mcgk_test_prng_init(&prng, 4242);
    mcgk_kms_cert tmpl, cert;
    memset(&tmpl, 0, sizeof tmpl);
    snprintf(tmpl.kms_uri, sizeof tmpl.kms_uri, "kms.example.org");
    tmpl.user_key_period_s = 2592000;
    uint8_t z[MCGK_SAKKE_FP_LEN], ksak[MCGK_ECCSI_SCALAR_LEN];
    mcgk_kms *kms = NULL;
    CHECK_OK(mcgk_kms_generate(&tmpl, &rng, &cert, z, ksak));
    CHECK_OK(mcgk_kms_new(&cert, z, ksak, NULL, &kms));
    mcgk_wipe(z, sizeof z);
    mcgk_wipe(ksak, sizeof ksak);
    if (kms == NULL)
        return;
    wolf_client w;
    CHECK(wolf_client_init(&w, &cert) == 0);
    const uint64_t now = 1714564800u;
    int n = mcgk_test_quick() ? 4 : 24;
    for (int i = 0; i < n; i++) {
        char user[64], body[1024], path[256], enc[200];
        snprintf(user, sizeof user, "sip:user%d@example.org", i);
        mcgk_kms_user row;
        memset(&row, 0, sizeof row);
        snprintf(row.uri, sizeof row.uri, "%s", user);
        CHECK_OK(mcgk_kms_token_hash("tok", 3, row.token_hash));
        snprintf(body, sizeof body,
                 "<KmsRequest xmlns='" MCGK_KMS_NS "' Version='1.1.0'><UserUri>%s</UserUri>"
                 "<KmsUri>kms.example.org</KmsUri><Time>2024-05-01T12:00:00Z</Time>"
                 "<ClientReqUrl>https://kms/</ClientReqUrl></KmsRequest>",
                 user);
        /* alternate the current period and the next one (by NTP time in the path) */
        CHECK_OK(mcgk_kms_percent_encode(user, enc, sizeof enc));
        uint64_t t = now + MCGK_NTP_UNIX_OFFSET_S + (uint64_t)(i % 2) * tmpl.user_key_period_s;
        snprintf(path, sizeof path, MCGK_KMS_ROOT_PATH "/keyprov/%s/%08llX00000000", enc,
                 (unsigned long long)(t & 0xffffffffu));
        mcgk_kms_call call;
        mcgk_kms_reply reply;
        CHECK_OK(mcgk_kms_call_parse("POST", path, "Bearer tok", (const uint8_t *)body,
                                     strlen(body), &call));
        CHECK_OK(mcgk_kms_call_answer(kms, &call, &row, NULL, 0, 0, now, &rng, &reply));
        mcgk_kms_response r;
        CHECK_OK(mcgk_kms_response_parse((const uint8_t *)reply.body, reply.body_len, &r));
        mcgk_kms_reply_clear(&reply);
        if (r.n_keysets != 1) {
            mcgk_test_fail(__FILE__, __LINE__, "no key set for %s", user);
            mcgk_kms_response_clear(&r);
            continue;
        }
        mcgk_kms_keyset *ks = &r.keysets[0];
        CHECK(uid_matches(&cert, ks));
        if (!wolf_accepts(&w, ks))
            mcgk_test_fail(__FILE__, __LINE__, "wolfSSL refuses the key set of %s", user);
        /* tampering is refused by wolfSSL as well */
        mcgk_kms_keyset bad = *ks;
        bad.ssk[31] ^= 1;
        CHECK(!wolf_accepts(&w, &bad));
        bad = *ks;
        bad.user_id[0] ^= 1;
        CHECK(!wolf_accepts(&w, &bad));
        mcgk_kms_keyset_clear(&bad);
        mcgk_kms_response_clear(&r);
    }
    wolf_client_free(&w);
    mcgk_kms_free(kms);
}

/* ---- documents fetched from a running server ---- */

static mcgk_err load_response(const char *path, mcgk_kms_response *r)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    mcgk_err e = mcgk_file_read(path, MCGK_KMS_RESPONSE_MAX_LEN, &buf, &len);
    if (e == MCGK_OK)
        e = mcgk_kms_response_parse(buf, len, r);
    mcgk_file_free(buf, len);
    return e;
}

static void test_fetched_keysets_validate_in_wolfssl(void)
{
    const char *init = getenv("MCGK_KMS_INIT_XML");
    const char *list = getenv("MCGK_KMS_KEYPROV_XML");
    mcgk_kms_response ri;
    CHECK_OK(load_response(init, &ri));
    if (ri.msg != MCGK_KMS_MSG_INIT || ri.n_certs != 1) {
        mcgk_test_fail(__FILE__, __LINE__, "%s is not an init response", init);
        mcgk_kms_response_clear(&ri);
        return;
    }
    wolf_client w;
    CHECK(wolf_client_init(&w, &ri.certs[0]) == 0);
    char *copy = strdup(list);
    int count = 0;
    for (char *save = NULL, *f = strtok_r(copy, ":", &save); f; f = strtok_r(NULL, ":", &save)) {
        mcgk_kms_response r;
        CHECK_OK(load_response(f, &r));
        for (size_t i = 0; i < r.n_keysets; i++) {
            const mcgk_kms_keyset *ks = &r.keysets[i];
            if (!uid_matches(&ri.certs[0], ks))
                mcgk_test_fail(__FILE__, __LINE__, "%s: UserID is not the UID", f);
            if (!wolf_accepts(&w, ks))
                mcgk_test_fail(__FILE__, __LINE__, "%s: wolfSSL refuses %s", f, ks->user_uri);
            else
                printf("  wolfSSL accepts the key set of %s, period %llu\n", ks->user_uri,
                       (unsigned long long)ks->key_period_no);
            count++;
        }
        mcgk_kms_response_clear(&r);
    }
    CHECK(count > 0);
    free(copy);
    wolf_client_free(&w);
    mcgk_kms_response_clear(&ri);
}

int main(void)
{
    if (wolfCrypt_Init() != 0)
        return 2;
    if (getenv("MCGK_KMS_INIT_XML") != NULL && getenv("MCGK_KMS_KEYPROV_XML") != NULL)
        TEST_RUN(test_fetched_keysets_validate_in_wolfssl);
    else
        TEST_RUN(test_core_keysets_validate_in_wolfssl);
    wolfCrypt_Cleanup();
    TEST_MAIN_END();
}
