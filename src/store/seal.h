/*
 * store/seal.h - secrets at rest: envelope encryption with AES-256-GCM.
 *
 * A store holds one random data-encryption key (DEK). Every secret column
 * (KMS master secrets z and KSAK, a client's RSK and SSK, a GMS's GMKs) is
 * sealed under the DEK with its own random nonce and an associated-data
 * label naming where it lives ("kms/z", "client/rsk/<uri>/<period>"), so a
 * ciphertext moved to another row does not open. The DEK itself is stored
 * wrapped (sealed) under a key-encryption key (KEK) taken from
 *   - a key file: 32 random octets (raw, or 64 hex characters), mode 0600, or
 *   - a passphrase, stretched with scrypt (RFC 7914) and a random salt.
 * Changing the passphrase only re-wraps the DEK.
 *
 * Sealed format: 0x01 || nonce (12) || ciphertext || tag (16).
 *
 * Secrets: the KEK, the DEK, every plaintext. All temporaries are wiped.
 * The ring (mcgk_seal_ring) is public metadata: salt, scrypt cost, the
 * wrapped DEK.
 */
#ifndef MCGK_STORE_SEAL_H
#define MCGK_STORE_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/base.h"

#define MCGK_SEAL_KEY_LEN 32
#define MCGK_SEAL_NONCE_LEN 12
#define MCGK_SEAL_TAG_LEN 16
#define MCGK_SEAL_OVERHEAD (1 + MCGK_SEAL_NONCE_LEN + MCGK_SEAL_TAG_LEN)
#define MCGK_SEAL_SALT_LEN 16
#define MCGK_SEAL_MAX_PLAINTEXT (1u << 20)
/* Encoded ring: version, kind, log2 N, r, p, salt, wrapped DEK */
#define MCGK_SEAL_RING_LEN (5 + MCGK_SEAL_SALT_LEN + MCGK_SEAL_OVERHEAD + MCGK_SEAL_KEY_LEN)
/* scrypt defaults: N = 2^15, r = 8, p = 1 (32 MiB, ~0.1 s) */
#define MCGK_SEAL_SCRYPT_LOG2_N 15
#define MCGK_SEAL_SCRYPT_R 8
#define MCGK_SEAL_SCRYPT_P 1

/*
 * out = seal(key, aad, pt): out_cap >= pt_len + MCGK_SEAL_OVERHEAD; *out_len
 * gets the length. The nonce comes from rng.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_OVERSIZED (pt_len >
 * MCGK_SEAL_MAX_PLAINTEXT), MCGK_ERR_BUFFER_TOO_SMALL (*out_len = needed),
 * MCGK_ERR_RNG, MCGK_ERR_NO_MEMORY (OpenSSL context).
 */
mcgk_err mcgk_seal(const uint8_t key[MCGK_SEAL_KEY_LEN], const uint8_t *aad, size_t aad_len,
                   const uint8_t *pt, size_t pt_len, const mcgk_rng *rng, uint8_t *out,
                   size_t out_cap, size_t *out_len);

/*
 * pt = unseal(key, aad, in): out_cap >= in_len - MCGK_SEAL_OVERHEAD. On any
 * failure out is left zeroed up to out_cap.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_TRUNCATED (shorter than the
 * overhead), MCGK_ERR_UNSUPPORTED (unknown version octet),
 * MCGK_ERR_BUFFER_TOO_SMALL (*out_len = needed), MCGK_ERR_UNSEAL (tag does
 * not verify: wrong key, wrong aad, or tampered), MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_unseal(const uint8_t key[MCGK_SEAL_KEY_LEN], const uint8_t *aad, size_t aad_len,
                     const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                     size_t *out_len);

/* Where the KEK comes from: exactly one of key_file / passphrase. */
typedef struct mcgk_seal_kek_source {
    const char *key_file;   /* path of a key file (see mcgk_seal_keyfile_create) */
    const char *passphrase; /* secret; passphrase_len octets, not NUL-terminated */
    size_t passphrase_len;
} mcgk_seal_kek_source;

typedef enum mcgk_seal_kind {
    MCGK_SEAL_KIND_KEYFILE = 1,
    MCGK_SEAL_KIND_PASSPHRASE = 2
} mcgk_seal_kind;

/* The public metadata kept beside the sealed data. */
typedef struct mcgk_seal_ring {
    uint8_t kind;          /* mcgk_seal_kind */
    uint8_t scrypt_log2_n; /* passphrase only */
    uint8_t scrypt_r;
    uint8_t scrypt_p;
    uint8_t salt[MCGK_SEAL_SALT_LEN];
    uint8_t wrapped_dek[MCGK_SEAL_OVERHEAD + MCGK_SEAL_KEY_LEN];
} mcgk_seal_ring;

/*
 * New DEK from rng, wrapped under the KEK of src. scrypt_log2_n = 0 takes
 * the default cost (tests pass a small one). On success ring is filled and
 * dek holds the DEK (secret: wipe it when done).
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG (neither or both sources, cost out
 * of range), MCGK_ERR_RNG, MCGK_ERR_NO_MEMORY, and those of
 * mcgk_seal_keyfile_load.
 */
mcgk_err mcgk_seal_ring_create(const mcgk_seal_kek_source *src, uint8_t scrypt_log2_n,
                               const mcgk_rng *rng, mcgk_seal_ring *ring,
                               uint8_t dek[MCGK_SEAL_KEY_LEN]);

/*
 * Unwrap the DEK of ring with the KEK of src.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_UNSUPPORTED (ring kind does
 * not match the source kind), MCGK_ERR_UNSEAL (wrong key file or
 * passphrase), MCGK_ERR_NO_MEMORY, and those of mcgk_seal_keyfile_load.
 */
mcgk_err mcgk_seal_ring_open(const mcgk_seal_ring *ring, const mcgk_seal_kek_source *src,
                             uint8_t dek[MCGK_SEAL_KEY_LEN]);

/* Fixed-length encoding of a ring for storage (MCGK_SEAL_RING_LEN octets). */
void mcgk_seal_ring_encode(const mcgk_seal_ring *ring, uint8_t out[MCGK_SEAL_RING_LEN]);
/* Returns MCGK_OK, MCGK_ERR_LENGTH, MCGK_ERR_UNSUPPORTED (version or kind),
 * MCGK_ERR_MALFORMED (scrypt cost out of range). ring untouched on failure. */
mcgk_err mcgk_seal_ring_decode(const uint8_t *in, size_t in_len, mcgk_seal_ring *ring);

/*
 * Create a key file: 32 octets from rng written as 64 hex characters and a
 * newline, mode 0600, refusing to overwrite (MCGK_ERR_EXISTS).
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_EXISTS, MCGK_ERR_IO, MCGK_ERR_RNG.
 */
mcgk_err mcgk_seal_keyfile_create(const char *path, const mcgk_rng *rng);

/*
 * Load a key file (32 raw octets, or 64 hex characters with optional
 * trailing newline). Refuses files that group or others may access.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_IO, MCGK_ERR_FILE_MODE,
 * MCGK_ERR_LENGTH (neither form), MCGK_ERR_HEX.
 */
mcgk_err mcgk_seal_keyfile_load(const char *path, uint8_t kek[MCGK_SEAL_KEY_LEN]);

/*
 * KEK = scrypt(passphrase, salt, N = 2^log2_n, r, p), 32 octets.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG (cost out of range: log2_n in
 * [10, 20], r in [1, 16], p in [1, 4]), MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_seal_kek_from_passphrase(const char *pass, size_t pass_len,
                                       const uint8_t salt[MCGK_SEAL_SALT_LEN], uint8_t log2_n,
                                       uint8_t r, uint8_t p, uint8_t kek[MCGK_SEAL_KEY_LEN]);

#endif
