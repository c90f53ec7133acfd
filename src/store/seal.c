/*
 * Secrets at rest: AES-256-GCM envelope encryption, key files and scrypt
 * passphrases. See store/seal.h.
 * Secrets: KEK, DEK, plaintexts, passphrases - all wiped after use. The
 * AEAD and scrypt are OpenSSL libcrypto's (constant time in the data).
 */
#include "store/seal.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <string.h>

#include "platform/file.h"

#define SEAL_VERSION 1
#define RING_VERSION 1
#define LOG2N_MIN 10
#define LOG2N_MAX 20
#define R_MAX 16
#define P_MAX 4

static const char k_ring_aad[] = "mcgk/seal-ring/v1";

mcgk_err mcgk_seal(const uint8_t key[MCGK_SEAL_KEY_LEN], const uint8_t *aad, size_t aad_len,
                   const uint8_t *pt, size_t pt_len, const mcgk_rng *rng, uint8_t *out,
                   size_t out_cap, size_t *out_len)
{
    if (key == NULL || (aad == NULL && aad_len != 0) || (pt == NULL && pt_len != 0) ||
        out_len == NULL || aad_len > (size_t)INT32_MAX)
        return MCGK_ERR_INVALID_ARG;
    if (pt_len > MCGK_SEAL_MAX_PLAINTEXT)
        return MCGK_ERR_OVERSIZED;
    size_t need = pt_len + MCGK_SEAL_OVERHEAD;
    if (out == NULL || out_cap < need) {
        *out_len = need;
        return MCGK_ERR_BUFFER_TOO_SMALL;
    }
    uint8_t *nonce = out + 1;
    mcgk_err e = mcgk_rng_bytes(rng, nonce, MCGK_SEAL_NONCE_LEN);
    if (e != MCGK_OK)
        return e;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c == NULL)
        return MCGK_ERR_NO_MEMORY;
    int outl = 0, ok = 1;
    uint8_t *ct = out + 1 + MCGK_SEAL_NONCE_LEN;
    out[0] = SEAL_VERSION;
    ok &= EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1;
    ok &= EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, MCGK_SEAL_NONCE_LEN, NULL) == 1;
    ok &= EVP_EncryptInit_ex(c, NULL, NULL, key, nonce) == 1;
    if (ok && aad_len > 0)
        ok &= EVP_EncryptUpdate(c, NULL, &outl, aad, (int)aad_len) == 1;
    if (ok && pt_len > 0)
        ok &= EVP_EncryptUpdate(c, ct, &outl, pt, (int)pt_len) == 1;
    if (ok)
        ok &= EVP_EncryptFinal_ex(c, ct + pt_len, &outl) == 1;
    if (ok)
        ok &= EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, MCGK_SEAL_TAG_LEN, ct + pt_len) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok) {
        mcgk_wipe(out, need);
        return MCGK_ERR_NO_MEMORY;
    }
    *out_len = need;
    return MCGK_OK;
}

mcgk_err mcgk_unseal(const uint8_t key[MCGK_SEAL_KEY_LEN], const uint8_t *aad, size_t aad_len,
                     const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                     size_t *out_len)
{
    if (key == NULL || (aad == NULL && aad_len != 0) || in == NULL || out_len == NULL ||
        aad_len > (size_t)INT32_MAX)
        return MCGK_ERR_INVALID_ARG;
    if (in_len < MCGK_SEAL_OVERHEAD)
        return MCGK_ERR_TRUNCATED;
    if (in[0] != SEAL_VERSION)
        return MCGK_ERR_UNSUPPORTED;
    size_t pt_len = in_len - MCGK_SEAL_OVERHEAD;
    if (pt_len > MCGK_SEAL_MAX_PLAINTEXT)
        return MCGK_ERR_OVERSIZED;
    if ((out == NULL && pt_len != 0) || out_cap < pt_len) {
        *out_len = pt_len;
        return MCGK_ERR_BUFFER_TOO_SMALL;
    }
    const uint8_t *nonce = in + 1;
    const uint8_t *ct = in + 1 + MCGK_SEAL_NONCE_LEN;
    uint8_t tag[MCGK_SEAL_TAG_LEN];
    memcpy(tag, ct + pt_len, MCGK_SEAL_TAG_LEN);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c == NULL)
        return MCGK_ERR_NO_MEMORY;
    int outl = 0, ok = 1;
    ok &= EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1;
    ok &= EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, MCGK_SEAL_NONCE_LEN, NULL) == 1;
    ok &= EVP_DecryptInit_ex(c, NULL, NULL, key, nonce) == 1;
    if (ok && aad_len > 0)
        ok &= EVP_DecryptUpdate(c, NULL, &outl, aad, (int)aad_len) == 1;
    if (ok && pt_len > 0)
        ok &= EVP_DecryptUpdate(c, out, &outl, ct, (int)pt_len) == 1;
    if (ok)
        ok &= EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, MCGK_SEAL_TAG_LEN, tag) == 1;
    /* the tag check: Final fails when it does not verify */
    int verified = ok && EVP_DecryptFinal_ex(c, out + pt_len, &outl) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!verified) {
        if (out != NULL)
            mcgk_wipe(out, out_cap);
        return MCGK_ERR_UNSEAL;
    }
    *out_len = pt_len;
    return MCGK_OK;
}

static int cost_ok(uint8_t log2_n, uint8_t r, uint8_t p)
{
    return log2_n >= LOG2N_MIN && log2_n <= LOG2N_MAX && r >= 1 && r <= R_MAX && p >= 1 &&
           p <= P_MAX;
}

mcgk_err mcgk_seal_kek_from_passphrase(const char *pass, size_t pass_len,
                                       const uint8_t salt[MCGK_SEAL_SALT_LEN], uint8_t log2_n,
                                       uint8_t r, uint8_t p, uint8_t kek[MCGK_SEAL_KEY_LEN])
{
    if ((pass == NULL && pass_len != 0) || salt == NULL || kek == NULL || !cost_ok(log2_n, r, p))
        return MCGK_ERR_INVALID_ARG;
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
    if (kdf == NULL)
        return MCGK_ERR_NO_MEMORY;
    EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);
    if (kctx == NULL)
        return MCGK_ERR_NO_MEMORY;
    uint64_t n = (uint64_t)1 << log2_n;
    uint32_t rr = r, pp = p;
    /* memory use is 128 * r * N (* p for the parallel lanes) plus slack */
    uint64_t maxmem = 128ull * rr * n * pp + (16u << 20);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)(uintptr_t)pass,
                                          pass_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)(uintptr_t)salt,
                                          MCGK_SEAL_SALT_LEN),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &rr),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &pp),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
        OSSL_PARAM_construct_end(),
    };
    int ok = EVP_KDF_derive(kctx, kek, MCGK_SEAL_KEY_LEN, params) == 1;
    EVP_KDF_CTX_free(kctx);
    if (!ok) {
        mcgk_wipe(kek, MCGK_SEAL_KEY_LEN);
        return MCGK_ERR_NO_MEMORY;
    }
    return MCGK_OK;
}

static int source_kind(const mcgk_seal_kek_source *src)
{
    if (src == NULL)
        return 0;
    int has_file = src->key_file != NULL;
    int has_pass = src->passphrase != NULL;
    if (has_file == has_pass)
        return 0;
    return has_file ? MCGK_SEAL_KIND_KEYFILE : MCGK_SEAL_KIND_PASSPHRASE;
}

static mcgk_err derive_kek(const mcgk_seal_ring *ring, const mcgk_seal_kek_source *src,
                           uint8_t kek[MCGK_SEAL_KEY_LEN])
{
    if (ring->kind == MCGK_SEAL_KIND_KEYFILE)
        return mcgk_seal_keyfile_load(src->key_file, kek);
    return mcgk_seal_kek_from_passphrase(src->passphrase, src->passphrase_len, ring->salt,
                                         ring->scrypt_log2_n, ring->scrypt_r, ring->scrypt_p,
                                         kek);
}

mcgk_err mcgk_seal_ring_create(const mcgk_seal_kek_source *src, uint8_t scrypt_log2_n,
                               const mcgk_rng *rng, mcgk_seal_ring *ring,
                               uint8_t dek[MCGK_SEAL_KEY_LEN])
{
    int kind = source_kind(src);
    if (kind == 0 || ring == NULL || dek == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (scrypt_log2_n == 0)
        scrypt_log2_n = MCGK_SEAL_SCRYPT_LOG2_N;
    if (!cost_ok(scrypt_log2_n, MCGK_SEAL_SCRYPT_R, MCGK_SEAL_SCRYPT_P))
        return MCGK_ERR_INVALID_ARG;
    mcgk_seal_ring r;
    memset(&r, 0, sizeof r);
    r.kind = (uint8_t)kind;
    r.scrypt_log2_n = scrypt_log2_n;
    r.scrypt_r = MCGK_SEAL_SCRYPT_R;
    r.scrypt_p = MCGK_SEAL_SCRYPT_P;
    uint8_t kek[MCGK_SEAL_KEY_LEN], d[MCGK_SEAL_KEY_LEN];
    size_t wl = 0;
    mcgk_err e = mcgk_rng_bytes(rng, r.salt, sizeof r.salt);
    if (e == MCGK_OK)
        e = mcgk_rng_bytes(rng, d, sizeof d);
    if (e == MCGK_OK)
        e = derive_kek(&r, src, kek);
    if (e == MCGK_OK)
        e = mcgk_seal(kek, (const uint8_t *)k_ring_aad, sizeof k_ring_aad - 1, d, sizeof d, rng,
                      r.wrapped_dek, sizeof r.wrapped_dek, &wl);
    if (e == MCGK_OK) {
        memcpy(dek, d, sizeof d);
        *ring = r;
    }
    mcgk_wipe(kek, sizeof kek);
    mcgk_wipe(d, sizeof d);
    return e;
}

mcgk_err mcgk_seal_ring_open(const mcgk_seal_ring *ring, const mcgk_seal_kek_source *src,
                             uint8_t dek[MCGK_SEAL_KEY_LEN])
{
    int kind = source_kind(src);
    if (kind == 0 || ring == NULL || dek == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (kind != ring->kind)
        return MCGK_ERR_UNSUPPORTED;
    uint8_t kek[MCGK_SEAL_KEY_LEN], d[MCGK_SEAL_KEY_LEN];
    size_t dl = 0;
    mcgk_err e = derive_kek(ring, src, kek);
    if (e == MCGK_OK)
        e = mcgk_unseal(kek, (const uint8_t *)k_ring_aad, sizeof k_ring_aad - 1,
                        ring->wrapped_dek, sizeof ring->wrapped_dek, d, sizeof d, &dl);
    if (e == MCGK_OK)
        memcpy(dek, d, sizeof d);
    mcgk_wipe(kek, sizeof kek);
    mcgk_wipe(d, sizeof d);
    return e;
}

void mcgk_seal_ring_encode(const mcgk_seal_ring *ring, uint8_t out[MCGK_SEAL_RING_LEN])
{
    out[0] = RING_VERSION;
    out[1] = ring->kind;
    out[2] = ring->scrypt_log2_n;
    out[3] = ring->scrypt_r;
    out[4] = ring->scrypt_p;
    memcpy(out + 5, ring->salt, MCGK_SEAL_SALT_LEN);
    memcpy(out + 5 + MCGK_SEAL_SALT_LEN, ring->wrapped_dek, sizeof ring->wrapped_dek);
}

mcgk_err mcgk_seal_ring_decode(const uint8_t *in, size_t in_len, mcgk_seal_ring *ring)
{
    if (in == NULL || ring == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (in_len != MCGK_SEAL_RING_LEN)
        return MCGK_ERR_LENGTH;
    if (in[0] != RING_VERSION ||
        (in[1] != MCGK_SEAL_KIND_KEYFILE && in[1] != MCGK_SEAL_KIND_PASSPHRASE))
        return MCGK_ERR_UNSUPPORTED;
    if (!cost_ok(in[2], in[3], in[4]))
        return MCGK_ERR_MALFORMED;
    ring->kind = in[1];
    ring->scrypt_log2_n = in[2];
    ring->scrypt_r = in[3];
    ring->scrypt_p = in[4];
    memcpy(ring->salt, in + 5, MCGK_SEAL_SALT_LEN);
    memcpy(ring->wrapped_dek, in + 5 + MCGK_SEAL_SALT_LEN, sizeof ring->wrapped_dek);
    return MCGK_OK;
}

mcgk_err mcgk_seal_keyfile_create(const char *path, const mcgk_rng *rng)
{
    if (path == NULL)
        return MCGK_ERR_INVALID_ARG;
    uint8_t k[MCGK_SEAL_KEY_LEN];
    char hex[2 * MCGK_SEAL_KEY_LEN + 2];
    mcgk_err e = mcgk_rng_bytes(rng, k, sizeof k);
    if (e == MCGK_OK)
        e = mcgk_hex_encode(k, sizeof k, hex, sizeof hex);
    if (e == MCGK_OK) {
        hex[2 * MCGK_SEAL_KEY_LEN] = '\n';
        e = mcgk_file_write_private(path, hex, 2 * MCGK_SEAL_KEY_LEN + 1, 1);
    }
    mcgk_wipe(k, sizeof k);
    mcgk_wipe(hex, sizeof hex);
    return e;
}

mcgk_err mcgk_seal_keyfile_load(const char *path, uint8_t kek[MCGK_SEAL_KEY_LEN])
{
    if (path == NULL || kek == NULL)
        return MCGK_ERR_INVALID_ARG;
    uint8_t *data = NULL;
    size_t len = 0, n = 0;
    mcgk_err e = mcgk_file_read_private(path, 256, &data, &len);
    if (e != MCGK_OK)
        return e == MCGK_ERR_OVERSIZED ? MCGK_ERR_LENGTH : e;
    if (len == MCGK_SEAL_KEY_LEN) {
        memcpy(kek, data, MCGK_SEAL_KEY_LEN);
    } else {
        size_t hl = len;
        while (hl > 0 && (data[hl - 1] == '\n' || data[hl - 1] == '\r'))
            hl--;
        if (hl != 2 * MCGK_SEAL_KEY_LEN) {
            e = MCGK_ERR_LENGTH;
        } else {
            e = mcgk_hex_decode((const char *)data, hl, kek, MCGK_SEAL_KEY_LEN, &n);
            if (e != MCGK_OK)
                mcgk_wipe(kek, MCGK_SEAL_KEY_LEN);
        }
    }
    mcgk_file_free(data, len);
    return e;
}
