/*
 * store/client_gmk.h - the client's GMK store: the state of each client
 * identity (mcgk/client.h: held GMKs, known groups, replay cache, deletion
 * tombstones, last accepted documents) in the client's SQLite database
 * (DATA_DIR/client.db, beside the key sets of store/store.h; one file, an
 * identity column, so one process can serve many identities).
 *
 * Crash safety (TS 33.180 §5.2 / docs/gms-protocol.md: stored before the
 * 200 goes back): mcgk_client_gmk_store_commit writes everything a
 * decision changed in ONE transaction (BEGIN IMMEDIATE ... COMMIT, WAL,
 * synchronous=FULL), so a process killed at any point leaves the old state
 * or the new one, never a mix. For the test of exactly that, the
 * environment variable MCGK_TEST_CRASH=client-commit makes the process
 * SIGKILL itself after the rows are written and before COMMIT (read once
 * at open; never set in production).
 *
 * Secrets at rest (store/seal.h): every GMK and its key parameters
 * (confidential) are sealed under the store's DEK, with associated data
 * naming the identity and the GMK-ID ("mcgk/client/gmk|<identity>|<id>"),
 * so a sealed value moved to another row does not open. In clear: IDs,
 * RAND, timestamps, use, revocation flag, group names (all of them travel
 * in clear in the I_MESSAGE or the document). Deleted rows are overwritten
 * (PRAGMA secure_delete). Plaintext in loaded states is wiped by
 * mcgk_client_state_clear.
 *
 * Every function returns MCGK_OK or MCGK_ERR_INVALID_ARG, MCGK_ERR_IO (the
 * database failed), MCGK_ERR_NO_MEMORY, and as stated below.
 */
#ifndef MCGK_STORE_CLIENT_GMK_H
#define MCGK_STORE_CLIENT_GMK_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/client.h"
#include "store/seal.h"

typedef struct mcgk_client_gmk_store mcgk_client_gmk_store;

/* Open (creating the tables if needed, mode 0600, WAL) the database at path.
 * Safe to call from several threads afterwards (one mutex). */
mcgk_err mcgk_client_gmk_store_open(const char *path, mcgk_client_gmk_store **out);
void mcgk_client_gmk_store_close(mcgk_client_gmk_store *s);

/*
 * Load the state of identity into *st (initialised here; an identity never
 * seen gives an empty state), unsealing GMKs and parameters with dek.
 * Also MCGK_ERR_UNSEAL (wrong DEK, or a row tampered with or moved),
 * MCGK_ERR_OVERSIZED / MCGK_ERR_MALFORMED (a corrupt row). On error *st
 * is left cleared.
 */
mcgk_err mcgk_client_gmk_store_load(mcgk_client_gmk_store *s, const uint8_t dek[MCGK_SEAL_KEY_LEN],
                                    const char *identity, mcgk_client_state *st);

/*
 * Write what st marks as changed (mcgk_client_process) for identity in one
 * transaction, sealing keys and parameters (nonces from rng); then clears
 * the marks. Nothing is written on error (the transaction rolls back) and
 * the marks stay. Also the codes of mcgk_seal and mcgk_key_params_encode.
 */
mcgk_err mcgk_client_gmk_store_commit(mcgk_client_gmk_store *s,
                                      const uint8_t dek[MCGK_SEAL_KEY_LEN], const char *identity,
                                      mcgk_client_state *st, const mcgk_rng *rng);

/* Every identity with rows, in order; cb returns non-zero to stop. */
typedef int (*mcgk_client_identity_cb)(void *ctx, const char *identity);
mcgk_err mcgk_client_gmk_store_identities(mcgk_client_gmk_store *s, mcgk_client_identity_cb cb,
                                          void *ctx);

#endif
