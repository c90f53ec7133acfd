/*
 * store/store.h - the persistence seam: small vtables over the rows that
 * the KMS and a client keep, so that a PostgreSQL implementation can sit
 * beside src/store/sqlite.c later. Implementations carry rows and make no
 * protocol decisions; the helpers at the end (kms_rows.c, client_rows.c)
 * add the sealing (store/seal.h) and the "keys at time T" lookup on top of
 * any implementation.
 *
 * Secrets: every key column holds ciphertext sealed under the store's DEK
 * (the KMS master secrets z and KSAK; a client's RSK and SSK). Token
 * columns hold SHA-256 hashes. Rows returned by the helpers that carry
 * plaintext keys (z, ksak, mcgk_kms_keyset) must be wiped by the caller.
 *
 * Every operation returns MCGK_OK or: MCGK_ERR_INVALID_ARG, MCGK_ERR_IO
 * (the database failed: locked past the busy timeout, disk full, corrupt),
 * MCGK_ERR_NO_MEMORY, and where stated MCGK_ERR_EXISTS,
 * MCGK_ERR_UNKNOWN_USER, MCGK_ERR_NOT_FOUND, MCGK_ERR_OVERSIZED (a stored
 * value larger than its row field). Implementations are safe to call from
 * several threads at once.
 */
#ifndef MCGK_STORE_STORE_H
#define MCGK_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/kms.h"
#include "store/seal.h"

#define MCGK_STORE_CERT_XML_MAX 32768

/* ============================== the KMS store ============================== */

/* The community: certificate and sealed master secrets; written once by init. */
typedef struct mcgk_kms_community_row {
    char cert_xml[MCGK_STORE_CERT_XML_MAX]; /* KmsCertificate document, NUL-terminated */
    uint8_t ring[MCGK_SEAL_RING_LEN];
    uint8_t sealed_z[MCGK_SAKKE_FP_LEN + MCGK_SEAL_OVERHEAD];
    uint8_t sealed_ksak[MCGK_ECCSI_SCALAR_LEN + MCGK_SEAL_OVERHEAD];
    uint64_t created_unix_s;
} mcgk_kms_community_row;

/* A partner KMS certificate (TS 33.180 D.3.2 Role "External", seed 004). */
typedef struct mcgk_kms_partner_row {
    char kms_uri[MCGK_KMS_URI_MAX];
    char cert_xml[MCGK_STORE_CERT_XML_MAX];
    uint64_t added_unix_s;
} mcgk_kms_partner_row;

/* Callbacks of the list operations: return non-zero to stop early. */
typedef int (*mcgk_kms_user_cb)(void *ctx, const mcgk_kms_user *user);
typedef int (*mcgk_kms_partner_cb)(void *ctx, const mcgk_kms_partner_row *row);

typedef struct mcgk_kms_store mcgk_kms_store;

typedef struct mcgk_kms_store_ops {
    /* MCGK_ERR_EXISTS when a community is already there */
    mcgk_err (*community_put)(mcgk_kms_store *s, const mcgk_kms_community_row *row);
    /* MCGK_ERR_NOT_FOUND before init */
    mcgk_err (*community_get)(mcgk_kms_store *s, mcgk_kms_community_row *row);
    /* the user with its identities; MCGK_ERR_EXISTS for a known URI */
    mcgk_err (*user_add)(mcgk_kms_store *s, const mcgk_kms_user *user);
    /* MCGK_ERR_UNKNOWN_USER */
    mcgk_err (*user_get)(mcgk_kms_store *s, const char *uri, mcgk_kms_user *user);
    mcgk_err (*user_list)(mcgk_kms_store *s, mcgk_kms_user_cb cb, void *ctx);
    /* MCGK_ERR_UNKNOWN_USER; revoking twice is fine */
    mcgk_err (*user_revoke)(mcgk_kms_store *s, const char *uri, uint64_t now_unix_s);
    /* replace the token hash (and reinstate); MCGK_ERR_UNKNOWN_USER */
    mcgk_err (*user_set_token)(mcgk_kms_store *s, const char *uri,
                               const uint8_t hash[MCGK_KMS_TOKEN_HASH_LEN]);
    /* MCGK_ERR_UNKNOWN_USER, MCGK_ERR_EXISTS, MCGK_ERR_OVERSIZED (too many) */
    mcgk_err (*user_grant)(mcgk_kms_store *s, const char *uri, const char *identity);
    /* insert or replace; bumps the cache number */
    mcgk_err (*partner_put)(mcgk_kms_store *s, const mcgk_kms_partner_row *row);
    /* MCGK_ERR_NOT_FOUND; bumps the cache number */
    mcgk_err (*partner_remove)(mcgk_kms_store *s, const char *kms_uri);
    mcgk_err (*partner_list)(mcgk_kms_store *s, mcgk_kms_partner_cb cb, void *ctx);
    mcgk_err (*cache_num)(mcgk_kms_store *s, uint64_t *cache_num);
    void (*close)(mcgk_kms_store *s);
} mcgk_kms_store_ops;

struct mcgk_kms_store {
    const mcgk_kms_store_ops *ops;
};

/* ============================== a client's store ============================== */

/* A KMS certificate the client holds: its home KMS, or a partner's (certcache). */
typedef struct mcgk_client_cert_row {
    char kms_uri[MCGK_KMS_URI_MAX];
    int home;
    char cert_xml[MCGK_STORE_CERT_XML_MAX];
    uint64_t fetched_unix_s;
} mcgk_client_cert_row;

/* A key set as stored: RSK and SSK sealed. */
typedef struct mcgk_client_keyset_row {
    char identity[MCGK_KMS_URI_MAX];
    char kms_uri[MCGK_KMS_URI_MAX];
    uint64_t period_no;
    int has_valid_from, has_valid_to;
    uint64_t valid_from_unix_s, valid_to_unix_s;
    uint8_t user_id[MCGK_UID_LEN];
    uint8_t pvt[MCGK_ECCSI_POINT_LEN];
    uint8_t sealed_rsk[MCGK_SAKKE_POINT_LEN + MCGK_SEAL_OVERHEAD];
    uint8_t sealed_ssk[MCGK_ECCSI_SCALAR_LEN + MCGK_SEAL_OVERHEAD];
    uint64_t fetched_unix_s;
} mcgk_client_keyset_row;

typedef int (*mcgk_client_cert_cb)(void *ctx, const mcgk_client_cert_row *row);
typedef int (*mcgk_client_keyset_cb)(void *ctx, const mcgk_client_keyset_row *row);

typedef struct mcgk_client_store mcgk_client_store;

typedef struct mcgk_client_store_ops {
    /* the seal ring: MCGK_ERR_NOT_FOUND when none yet; put fails with EXISTS */
    mcgk_err (*ring_get)(mcgk_client_store *s, uint8_t ring[MCGK_SEAL_RING_LEN]);
    mcgk_err (*ring_put)(mcgk_client_store *s, const uint8_t ring[MCGK_SEAL_RING_LEN]);
    /* insert or replace; a home certificate makes every other one non-home */
    mcgk_err (*cert_put)(mcgk_client_store *s, const mcgk_client_cert_row *row);
    /* kms_uri NULL: the home certificate. MCGK_ERR_NOT_FOUND */
    mcgk_err (*cert_get)(mcgk_client_store *s, const char *kms_uri, mcgk_client_cert_row *row);
    mcgk_err (*cert_list)(mcgk_client_store *s, mcgk_client_cert_cb cb, void *ctx);
    /* insert or replace (identity, kms_uri, period_no) */
    mcgk_err (*keyset_put)(mcgk_client_store *s, const mcgk_client_keyset_row *row);
    /* MCGK_ERR_NO_KEYS */
    mcgk_err (*keyset_get)(mcgk_client_store *s, const char *identity, const char *kms_uri,
                           uint64_t period_no, mcgk_client_keyset_row *row);
    mcgk_err (*keyset_list)(mcgk_client_store *s, mcgk_client_keyset_cb cb, void *ctx);
    /* delete key sets of periods before period_no (for kms_uri); *deleted counts */
    mcgk_err (*keyset_prune)(mcgk_client_store *s, const char *kms_uri, uint64_t period_no,
                             uint64_t *deleted);
    void (*close)(mcgk_client_store *s);
} mcgk_client_store_ops;

struct mcgk_client_store {
    const mcgk_client_store_ops *ops;
};

/* ============================== SQLite ============================== */

/*
 * Open (creating if needed, mode 0600, WAL journal) the SQLite database at
 * path. Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_IO, MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_kms_store_open_sqlite(const char *path, mcgk_kms_store **out);
mcgk_err mcgk_client_store_open_sqlite(const char *path, mcgk_client_store **out);

/* Close either (NULL is fine). */
void mcgk_kms_store_close(mcgk_kms_store *s);
void mcgk_client_store_close(mcgk_client_store *s);

/* ============================== helpers over any store ============================== */

/*
 * KMS init: seal z and KSAK under a new DEK wrapped by the KEK of src, and
 * store them with the certificate. scrypt_log2_n 0 = default cost.
 * Returns MCGK_OK, MCGK_ERR_EXISTS, the codes of mcgk_seal_ring_create,
 * mcgk_kms_cert_encode and the store.
 */
mcgk_err mcgk_kms_store_init_community(mcgk_kms_store *s, const mcgk_seal_kek_source *src,
                                       uint8_t scrypt_log2_n, const mcgk_kms_cert *cert,
                                       const uint8_t z[MCGK_SAKKE_FP_LEN],
                                       const uint8_t ksak[MCGK_ECCSI_SCALAR_LEN],
                                       uint64_t now_unix_s, const mcgk_rng *rng);

/*
 * KMS serve: the certificate and the unsealed master secrets (secret: wipe
 * z and ksak). Returns MCGK_OK, MCGK_ERR_NOT_FOUND (not initialised),
 * MCGK_ERR_UNSEAL (wrong key file / passphrase, or tampered), the codes of
 * mcgk_seal_ring_open, mcgk_kms_cert_parse and the store.
 */
mcgk_err mcgk_kms_store_load_community(mcgk_kms_store *s, const mcgk_seal_kek_source *src,
                                       mcgk_kms_cert *cert, uint8_t z[MCGK_SAKKE_FP_LEN],
                                       uint8_t ksak[MCGK_ECCSI_SCALAR_LEN]);

/*
 * Client: the store's DEK, creating the ring under src on first use.
 * Returns MCGK_OK and the codes of mcgk_seal_ring_create / _open / the store.
 */
mcgk_err mcgk_client_store_unlock(mcgk_client_store *s, const mcgk_seal_kek_source *src,
                                  uint8_t scrypt_log2_n, const mcgk_rng *rng,
                                  uint8_t dek[MCGK_SEAL_KEY_LEN]);

/*
 * Client: store a (checked) key set of kms_uri, sealing RSK and SSK with
 * the DEK; the associated data binds each ciphertext to its row.
 * Returns MCGK_OK and the codes of mcgk_seal and the store.
 */
mcgk_err mcgk_client_store_put_keyset(mcgk_client_store *s, const uint8_t dek[MCGK_SEAL_KEY_LEN],
                                      const mcgk_kms_keyset *ks, uint64_t now_unix_s,
                                      const mcgk_rng *rng);

/*
 * "Keys at time T": the key set of identity under kms_uri (NULL: the home
 * KMS) for the key period that contains t_ntp_s (TS 33.180 §5.3), with RSK
 * and SSK unsealed (secret: mcgk_kms_keyset_clear when done). Key sets are
 * time-limited: none is returned outside its period.
 * Returns MCGK_OK, MCGK_ERR_NO_KEYS (no certificate or no key set for that
 * period), MCGK_ERR_PERIOD (t before the KMS's offset), MCGK_ERR_UNSEAL
 * (wrong DEK or tampered row), and the codes of mcgk_kms_cert_parse and the
 * store.
 */
mcgk_err mcgk_client_keys_at(mcgk_client_store *s, const uint8_t dek[MCGK_SEAL_KEY_LEN],
                             const char *identity, const char *kms_uri, uint64_t t_ntp_s,
                             mcgk_kms_keyset *ks);

/* The certificate of kms_uri (NULL: home), parsed. Returns MCGK_OK,
 * MCGK_ERR_NOT_FOUND and the codes of mcgk_kms_cert_parse and the store. */
mcgk_err mcgk_client_cert_at(mcgk_client_store *s, const char *kms_uri, mcgk_kms_cert *cert);

#endif
