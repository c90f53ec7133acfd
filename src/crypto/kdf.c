/*
 * The 3GPP key derivation function and its TS 33.180 uses; the MIKEY PRF.
 *
 *   TS 33.220 Annex B.2   KDF: HMAC-SHA-256(key, FC || P0 || L0 || ...)
 *   TS 33.180 §5.3        key period number
 *   TS 33.180 F.2.1       MIKEY-SAKKE UID (SHA-256 of a KDF-style string)
 *   TS 33.180 F.1.3       user salt; §5.2.3 GUK-ID
 *   TS 33.180 §8 / F.1    DPCK (FC 0x53, UNCONFIRMED, see the digest)
 *   RFC 3830 §4.1.2-4.1.4 PRF and key derivation, with PRF-HMAC-SHA-256 of RFC 6043 §6.1
 *
 * Secret data: every key argument (GMK, DPPK, TGK, inkey), every derived key, every
 * HMAC output and the A_i chain values of the PRF. They live only in local buffers
 * that are wiped before return, or in OpenSSL contexts that are freed (OpenSSL
 * cleanses HMAC contexts on free). URIs, key IDs, salts once published as GUK-IDs,
 * and the UID are public.
 *
 * HMAC-SHA-256 and SHA-256 come from OpenSSL libcrypto (EVP_MAC / EVP_Digest), whose
 * running time depends on data lengths only. See mcgk/kdf.h for the contracts.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "mcgk/kdf.h"

#define HASH_LEN 32 /* SHA-256 output, octets */
#define PRF_PIECE_LEN 32 /* RFC 3830 §4.1.2: inkey pieces of 256 bits */
#define MIKEY_RAND_MAX_LEN 255 /* RAND payload length is one octet (RFC 3830 §6.11) */

static const char uid_label[] = "MIKEY-SAKKE-UID"; /* TS 33.180 F.2.1 P0, 15 octets */

/* ---- a small HMAC-SHA-256 wrapper over EVP_MAC ---------------------------------- */

typedef struct hmac {
    EVP_MAC *mac;
    EVP_MAC_CTX *ctx;
} hmac;

static mcgk_err hmac_open(hmac *h)
{
    h->mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
    h->ctx = h->mac ? EVP_MAC_CTX_new(h->mac) : NULL;
    if (h->ctx == NULL) {
        EVP_MAC_free(h->mac);
        h->mac = NULL;
        return MCGK_ERR_NO_MEMORY;
    }
    return MCGK_OK;
}

static void hmac_close(hmac *h)
{
    EVP_MAC_CTX_free(h->ctx); /* cleanses the keyed state */
    EVP_MAC_free(h->mac);
    h->ctx = NULL;
    h->mac = NULL;
}

/* Starts HMAC-SHA-256 under key (key_len may be 0). */
static mcgk_err hmac_init(hmac *h, const uint8_t *key, size_t key_len)
{
    static const uint8_t empty[1] = {0};
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_init(h->ctx, key_len ? key : empty, key_len, params))
        return MCGK_ERR_NO_MEMORY;
    return MCGK_OK;
}

static mcgk_err hmac_update(hmac *h, const uint8_t *data, size_t len)
{
    if (len == 0)
        return MCGK_OK;
    return EVP_MAC_update(h->ctx, data, len) ? MCGK_OK : MCGK_ERR_NO_MEMORY;
}

static mcgk_err hmac_final(hmac *h, uint8_t out[HASH_LEN])
{
    size_t n = 0;
    if (!EVP_MAC_final(h->ctx, out, &n, HASH_LEN) || n != HASH_LEN)
        return MCGK_ERR_NO_MEMORY;
    return MCGK_OK;
}

/* ---- TS 33.220 Annex B.2 --------------------------------------------------------- */

size_t mcgk_kdf_encode_uint(uint64_t v, uint8_t out[8])
{
    /* TS 33.180 F.1: big-endian, fewest octets; 0 is one octet 0x00 (what the
     * F.2.1 vectors require). The values are public (key periods). */
    size_t n = 1;
    while (n < 8 && (v >> (8 * n)) != 0)
        n++;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return n;
}

static void put_len16(uint8_t out[2], size_t len)
{
    out[0] = (uint8_t)(len >> 8);
    out[1] = (uint8_t)len;
}

static int params_ok(const mcgk_kdf_param *params, size_t n)
{
    if (n > MCGK_KDF_MAX_PARAMS || (n != 0 && params == NULL))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (params[i].len > MCGK_KDF_PARAM_MAX_LEN || (params[i].len != 0 && params[i].data == NULL))
            return 0;
    return 1;
}

mcgk_err mcgk_kdf(const uint8_t *key, size_t key_len, uint8_t fc, const mcgk_kdf_param *params,
                  size_t n, uint8_t out[MCGK_KDF_OUT_LEN])
{
    if ((key == NULL && key_len != 0) || out == NULL || !params_ok(params, n))
        return MCGK_ERR_INVALID_ARG;

    uint8_t tmp[HASH_LEN];
    uint8_t len16[2];
    hmac h;
    mcgk_err err = hmac_open(&h);
    if (err != MCGK_OK)
        return err;
    err = hmac_init(&h, key, key_len);
    if (err == MCGK_OK)
        err = hmac_update(&h, &fc, 1); /* S = FC || P0 || L0 || ... (TS 33.220 B.2.2) */
    for (size_t i = 0; i < n && err == MCGK_OK; i++) {
        put_len16(len16, params[i].len);
        err = hmac_update(&h, params[i].data, params[i].len);
        if (err == MCGK_OK)
            err = hmac_update(&h, len16, 2);
    }
    if (err == MCGK_OK)
        err = hmac_final(&h, tmp);
    if (err == MCGK_OK)
        memcpy(out, tmp, HASH_LEN);
    mcgk_wipe(tmp, sizeof tmp);
    hmac_close(&h);
    return err;
}

/* ---- TS 33.180 §5.3 key periods --------------------------------------------------- */

mcgk_err mcgk_key_period_no(uint64_t t_ntp_s, uint64_t period_s, uint64_t offset_s,
                            uint64_t *period_no)
{
    if (period_no == NULL || period_s == 0 || t_ntp_s < offset_s)
        return MCGK_ERR_INVALID_ARG;
    /* KeyPeriodNo = floor((T - UserKeyOffset) / UserKeyPeriod), T in NTP seconds */
    *period_no = (t_ntp_s - offset_s) / period_s;
    return MCGK_OK;
}

/* ---- TS 33.180 F.2.1 UID ------------------------------------------------------------ */

mcgk_err mcgk_uid(const char *uri, size_t uri_len, const char *kms_uri, size_t kms_uri_len,
                  uint64_t period_s, uint64_t offset_s, uint64_t period_no,
                  uint8_t uid[MCGK_UID_LEN])
{
    if (uri == NULL || kms_uri == NULL || uid == NULL || period_s == 0)
        return MCGK_ERR_INVALID_ARG;
    if (uri_len == 0 || uri_len > MCGK_KDF_PARAM_MAX_LEN || kms_uri_len == 0 ||
        kms_uri_len > MCGK_KDF_PARAM_MAX_LEN)
        return MCGK_ERR_IDENTITY;

    /* S = 0x00 || P0 || L0 || P1 || L1 ... with the integers P3..P5 minimally encoded */
    uint8_t ints[3][8];
    size_t ints_len[3];
    ints_len[0] = mcgk_kdf_encode_uint(period_s, ints[0]);
    ints_len[1] = mcgk_kdf_encode_uint(offset_s, ints[1]);
    ints_len[2] = mcgk_kdf_encode_uint(period_no, ints[2]);

    const uint8_t *part[6] = {(const uint8_t *)uid_label, (const uint8_t *)uri,
                              (const uint8_t *)kms_uri, ints[0], ints[1], ints[2]};
    size_t part_len[6] = {sizeof uid_label - 1, uri_len, kms_uri_len,
                          ints_len[0], ints_len[1], ints_len[2]};

    static const uint8_t fc = 0x00; /* a dummy FC (F.2.1) */
    uint8_t digest[HASH_LEN];
    unsigned int dlen = 0;
    mcgk_err err = MCGK_ERR_NO_MEMORY;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
        !EVP_DigestUpdate(md, &fc, 1))
        goto out;
    for (size_t i = 0; i < 6; i++) {
        uint8_t len16[2];
        put_len16(len16, part_len[i]);
        if (!EVP_DigestUpdate(md, part[i], part_len[i]) || !EVP_DigestUpdate(md, len16, 2))
            goto out;
    }
    if (!EVP_DigestFinal_ex(md, digest, &dlen) || dlen != HASH_LEN)
        goto out;
    memcpy(uid, digest, MCGK_UID_LEN);
    err = MCGK_OK;
out:
    EVP_MD_CTX_free(md);
    return err;
}

/* ---- TS 33.180 F.1.3 user salt, §5.2.3 GUK-ID --------------------------------------- */

mcgk_err mcgk_user_salt(const uint8_t *gmk, size_t gmk_len, const char *uri, size_t uri_len,
                        uint32_t *salt)
{
    if (gmk == NULL || gmk_len == 0 || uri == NULL || salt == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (uri_len == 0 || uri_len > MCGK_KDF_PARAM_MAX_LEN)
        return MCGK_ERR_IDENTITY;

    uint8_t k[MCGK_KDF_OUT_LEN];
    mcgk_kdf_param p0 = {(const uint8_t *)uri, uri_len};
    mcgk_err err = mcgk_kdf(gmk, gmk_len, MCGK_KDF_FC_USER_SALT, &p0, 1, k);
    if (err == MCGK_OK) {
        /* the 28 least significant bits = the low nibble of octet 28 and octets 29..31 */
        *salt = (((uint32_t)k[28] << 24) | ((uint32_t)k[29] << 16) | ((uint32_t)k[30] << 8) |
                 (uint32_t)k[31]) &
                0x0FFFFFFFu;
    }
    mcgk_wipe(k, sizeof k);
    return err;
}

mcgk_err mcgk_guk_id(const uint8_t *gmk, size_t gmk_len, uint32_t gmk_id, const char *uri,
                     size_t uri_len, uint32_t *guk_id)
{
    if (guk_id == NULL)
        return MCGK_ERR_INVALID_ARG;
    uint32_t salt = 0;
    mcgk_err err = mcgk_user_salt(gmk, gmk_len, uri, uri_len, &salt);
    if (err == MCGK_OK) {
        /* TS 33.180 §5.2.3: the purpose tag (4 MSBs) is kept, the 28 LSBs are xor-ed */
        *guk_id = (gmk_id & 0xF0000000u) | ((gmk_id ^ salt) & 0x0FFFFFFFu);
    }
    mcgk_wipe(&salt, sizeof salt);
    return err;
}

/* ---- DPCK (TS 33.180 §8, FC 0x53 UNCONFIRMED) -------------------------------------- */

mcgk_err mcgk_dpck(const uint8_t *dppk, size_t dppk_len, uint32_t dppk_id,
                   uint8_t dpck[MCGK_KEY_LEN])
{
    if (dppk == NULL || dppk_len == 0 || dpck == NULL)
        return MCGK_ERR_INVALID_ARG;
    uint8_t id[4] = {(uint8_t)(dppk_id >> 24), (uint8_t)(dppk_id >> 16), (uint8_t)(dppk_id >> 8),
                     (uint8_t)dppk_id};
    uint8_t k[MCGK_KDF_OUT_LEN];
    mcgk_kdf_param p0 = {id, sizeof id};
    mcgk_err err = mcgk_kdf(dppk, dppk_len, MCGK_KDF_FC_DPCK, &p0, 1, k);
    if (err == MCGK_OK)
        memcpy(dpck, k + MCGK_KDF_OUT_LEN - MCGK_KEY_LEN, MCGK_KEY_LEN); /* 128 LSBs */
    mcgk_wipe(k, sizeof k);
    return err;
}

/* ---- RFC 3830 §4.1.2 PRF with PRF-HMAC-SHA-256 (RFC 6043 §6.1) ---------------------- */

/*
 * out ^= P(s, label, m) truncated to out_len, where
 *   P(s, label, m) = HMAC(s, A_1 || label) || ... || HMAC(s, A_m || label),
 *   A_0 = label, A_i = HMAC(s, A_{i-1}).
 */
static mcgk_err prf_p_xor(hmac *h, const uint8_t *s, size_t s_len, const uint8_t *label,
                          size_t label_len, uint8_t *out, size_t out_len)
{
    uint8_t a[HASH_LEN];
    uint8_t block[HASH_LEN];
    mcgk_err err;

    /* A_1 = HMAC(s, A_0 = label) */
    err = hmac_init(h, s, s_len);
    if (err == MCGK_OK)
        err = hmac_update(h, label, label_len);
    if (err == MCGK_OK)
        err = hmac_final(h, a);
    for (size_t off = 0; off < out_len && err == MCGK_OK; off += HASH_LEN) {
        if (off != 0) { /* A_i = HMAC(s, A_{i-1}) */
            err = hmac_init(h, s, s_len);
            if (err == MCGK_OK)
                err = hmac_update(h, a, HASH_LEN);
            if (err == MCGK_OK)
                err = hmac_final(h, a);
            if (err != MCGK_OK)
                break;
        }
        err = hmac_init(h, s, s_len);
        if (err == MCGK_OK)
            err = hmac_update(h, a, HASH_LEN);
        if (err == MCGK_OK)
            err = hmac_update(h, label, label_len);
        if (err == MCGK_OK)
            err = hmac_final(h, block);
        if (err == MCGK_OK) {
            size_t take = out_len - off < HASH_LEN ? out_len - off : HASH_LEN;
            for (size_t i = 0; i < take; i++)
                out[off + i] ^= block[i];
        }
    }
    mcgk_wipe(a, sizeof a);
    mcgk_wipe(block, sizeof block);
    return err;
}

mcgk_err mcgk_mikey_prf(const uint8_t *inkey, size_t inkey_len, const uint8_t *label,
                        size_t label_len, uint8_t *out, size_t out_len)
{
    if (inkey == NULL || inkey_len == 0 || (label == NULL && label_len != 0) || out == NULL ||
        out_len == 0)
        return MCGK_ERR_INVALID_ARG;

    hmac h;
    mcgk_err err = hmac_open(&h);
    if (err != MCGK_OK)
        return err;
    memset(out, 0, out_len);
    /* n = ceil(inkey_len / 256 bits) pieces; the outputs of P are xor-ed (§4.1.2) */
    for (size_t off = 0; off < inkey_len && err == MCGK_OK; off += PRF_PIECE_LEN) {
        size_t s_len = inkey_len - off < PRF_PIECE_LEN ? inkey_len - off : PRF_PIECE_LEN;
        err = prf_p_xor(&h, inkey + off, s_len, label, label_len, out, out_len);
    }
    if (err != MCGK_OK)
        mcgk_wipe(out, out_len);
    hmac_close(&h);
    return err;
}

mcgk_err mcgk_mikey_derive(const uint8_t *key, size_t key_len, uint32_t constant, uint8_t cs_id,
                           uint32_t csb_id, const uint8_t *rand, size_t rand_len, uint8_t *out,
                           size_t out_len)
{
    if ((rand == NULL && rand_len != 0) || rand_len > MIKEY_RAND_MAX_LEN)
        return MCGK_ERR_INVALID_ARG;
    /* label = constant || cs_id || csb_id || RAND (RFC 3830 §4.1.3, §4.1.4) */
    uint8_t label[9 + MIKEY_RAND_MAX_LEN];
    label[0] = (uint8_t)(constant >> 24);
    label[1] = (uint8_t)(constant >> 16);
    label[2] = (uint8_t)(constant >> 8);
    label[3] = (uint8_t)constant;
    label[4] = cs_id;
    label[5] = (uint8_t)(csb_id >> 24);
    label[6] = (uint8_t)(csb_id >> 16);
    label[7] = (uint8_t)(csb_id >> 8);
    label[8] = (uint8_t)csb_id;
    if (rand_len != 0)
        memcpy(label + 9, rand, rand_len);
    return mcgk_mikey_prf(key, key_len, label, 9 + rand_len, out, out_len);
}
