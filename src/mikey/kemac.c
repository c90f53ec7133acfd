/*
 * KEMAC protection under a pre-shared key (RFC 3830 PSK mode): the transport
 * keys of §4.1.4, the AES-CM-128 encryption of §4.2.3 and the HMAC-SHA-1-160
 * MAC of §6.2 (mikey.md §12.3-§12.5). Contract: see mcgk/gsk_message.h.
 *
 * Secrets: the pre-shared key (the GMK), the three transport keys, the
 * counter blocks (salt-derived) and the keystream - local buffers are wiped
 * before every return. AES and HMAC come from OpenSSL libcrypto (AES-NI or
 * its constant-time table-free code; HMAC is data-independent); no branch or
 * index here depends on a secret.
 */
#include <string.h>

#include <openssl/evp.h>

#include "mcgk/gsk_message.h"
#include "mcgk/kdf.h"

#define BLOCK 16
#define CHUNK_BLOCKS 32 /* counter blocks encrypted per EVP call */

/* RFC 3830 §4.1.4: the PSK transport keys use CS ID 0xFF in the label */
#define PSK_CS_ID 0xFF

void mcgk_mikey_psk_keys_clear(mcgk_mikey_psk_keys *keys)
{
    if (keys != NULL)
        mcgk_wipe(keys, sizeof *keys);
}

mcgk_err mcgk_mikey_psk_keys_derive(const uint8_t *psk, size_t psk_len, uint32_t csb_id,
                                    const uint8_t *rand, size_t rand_len,
                                    mcgk_mikey_psk_keys *keys)
{
    if (keys == NULL)
        return MCGK_ERR_INVALID_ARG;
    /* label = constant || 0xFF || CSB ID || RAND (RFC 3830 §4.1.4) */
    mcgk_err e = mcgk_mikey_derive(psk, psk_len, MCGK_PRF_PSK_ENCR, PSK_CS_ID, csb_id, rand,
                                   rand_len, keys->encr, sizeof keys->encr);
    if (e == MCGK_OK)
        e = mcgk_mikey_derive(psk, psk_len, MCGK_PRF_PSK_AUTH, PSK_CS_ID, csb_id, rand, rand_len,
                              keys->auth, sizeof keys->auth);
    if (e == MCGK_OK)
        e = mcgk_mikey_derive(psk, psk_len, MCGK_PRF_PSK_SALT, PSK_CS_ID, csb_id, rand, rand_len,
                              keys->salt, sizeof keys->salt);
    if (e != MCGK_OK)
        mcgk_mikey_psk_keys_clear(keys);
    return e;
}

void mcgk_mikey_aes_cm_iv(const uint8_t salt[MCGK_MIKEY_PSK_SALT_KEY_LEN], uint32_t csb_id,
                          uint64_t t_value, uint8_t iv[MCGK_MIKEY_AES_CM_IV_LEN])
{
    /* RFC 3830 §4.2.3: IV = (S XOR (0x0000 || CSB ID || T)) || 0x0000, S the 112-bit salt */
    uint8_t x[MCGK_MIKEY_PSK_SALT_KEY_LEN] = {0};
    for (int i = 0; i < 4; i++)
        x[2 + i] = (uint8_t)(csb_id >> (24 - 8 * i));
    for (int i = 0; i < 8; i++)
        x[6 + i] = (uint8_t)(t_value >> (56 - 8 * i));
    for (size_t i = 0; i < sizeof x; i++)
        iv[i] = (uint8_t)(salt[i] ^ x[i]);
    iv[14] = 0;
    iv[15] = 0;
}

/* out = iv + i mod 2^128 (big-endian), without a branch on the (secret) IV octets;
 * i < 2^16. RFC 3830's IV has a zero 16-bit low end, so i never carries beyond it. */
static void counter_block(const uint8_t iv[BLOCK], size_t i, uint8_t out[BLOCK])
{
    unsigned carry = 0;
    for (int k = BLOCK - 1; k >= 0; k--) {
        unsigned add = k >= BLOCK - 2 ? (unsigned)(i >> (8 * (BLOCK - 1 - k))) & 0xFF : 0;
        unsigned sum = iv[k] + add + carry;
        out[k] = (uint8_t)sum;
        carry = sum >> 8;
    }
}

mcgk_err mcgk_mikey_aes_cm(const uint8_t key[MCGK_MIKEY_PSK_ENCR_KEY_LEN],
                           const uint8_t iv[MCGK_MIKEY_AES_CM_IV_LEN], const uint8_t *in,
                           size_t len, uint8_t *out)
{
    if (key == NULL || iv == NULL || ((in == NULL || out == NULL) && len != 0) ||
        len > MCGK_MIKEY_AES_CM_MAX_LEN)
        return MCGK_ERR_INVALID_ARG;
    if (len == 0)
        return MCGK_OK;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c == NULL) {
        mcgk_wipe(out, len);
        return MCGK_ERR_NO_MEMORY;
    }
    int ok = EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL) == 1 &&
             EVP_CIPHER_CTX_set_padding(c, 0) == 1;
    /* keystream block i = AES(key, IV + i) (RFC 3711 §4.1.1) */
    uint8_t ctr[CHUNK_BLOCKS * BLOCK], ks[CHUNK_BLOCKS * BLOCK];
    size_t block = 0;
    for (size_t off = 0; ok && off < len;) {
        size_t n = (len - off + BLOCK - 1) / BLOCK;
        if (n > CHUNK_BLOCKS)
            n = CHUNK_BLOCKS;
        for (size_t b = 0; b < n; b++, block++)
            counter_block(iv, block, ctr + b * BLOCK);
        int outl = 0;
        ok = EVP_EncryptUpdate(c, ks, &outl, ctr, (int)(n * BLOCK)) == 1 &&
             outl == (int)(n * BLOCK);
        size_t take = len - off < n * BLOCK ? len - off : n * BLOCK;
        for (size_t i = 0; ok && i < take; i++)
            out[off + i] = (uint8_t)(in[off + i] ^ ks[i]);
        off += take;
    }
    EVP_CIPHER_CTX_free(c); /* cleanses the key schedule */
    mcgk_wipe(ctr, sizeof ctr);
    mcgk_wipe(ks, sizeof ks);
    if (!ok) {
        mcgk_wipe(out, len);
        return MCGK_ERR_NO_MEMORY;
    }
    return MCGK_OK;
}

mcgk_err mcgk_mikey_kemac_mac(const uint8_t auth_key[MCGK_MIKEY_PSK_AUTH_KEY_LEN],
                              const uint8_t *msg, size_t len,
                              uint8_t mac[MCGK_MIKEY_MAC_HMAC_SHA1_160_LEN])
{
    if (auth_key == NULL || (msg == NULL && len != 0) || mac == NULL)
        return MCGK_ERR_INVALID_ARG;
    /* RFC 3830 §6.2: HMAC-SHA-1, 160 bits, keyed with auth_key */
    static const uint8_t empty[1];
    size_t n = 0;
    uint8_t *m = EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, auth_key,
                           MCGK_MIKEY_PSK_AUTH_KEY_LEN, len ? msg : empty, len, mac,
                           MCGK_MIKEY_MAC_HMAC_SHA1_160_LEN, &n);
    return m != NULL && n == MCGK_MIKEY_MAC_HMAC_SHA1_160_LEN ? MCGK_OK : MCGK_ERR_NO_MEMORY;
}
