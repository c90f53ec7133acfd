/*
 * apps/client_app.h - what the verbs of `mcgk client` share: opening the
 * client's store (DATA_DIR/client.db) and unlocking its DEK, and the entry
 * points of the verbs that live in their own files (run: cmd_client_run.c,
 * keys: cmd_client_keys.c, call: cmd_client_call.c, listen: cmd_client_listen.c).
 *
 * Secrets: the DEK returned by client_open_store (wipe it when done).
 */
#ifndef MCGK_APPS_CLIENT_APP_H
#define MCGK_APPS_CLIENT_APP_H

#include <stdint.h>

#include "cli.h"
#include "shell.h"
#include "store/store.h"

#define CLIENT_DB_NAME "client.db"

/*
 * The data directory (created with create != 0), the key-set store opened on
 * DATA_DIR/client.db and its DEK (the ring is created on first use). Prints
 * the problem. Returns MCGK_OK, MCGK_ERR_NO_KEYS (no store and create == 0),
 * and the codes of shell_data_dir, shell_kek_resolve, the store and
 * mcgk_client_store_unlock.
 */
mcgk_err client_open_store(const cli_args *a, int create, char dir[SHELL_PATH_MAX],
                           mcgk_client_store **s, uint8_t dek[MCGK_SEAL_KEY_LEN]);

extern const char client_run_help[];
int client_run_main(int argc, char **argv);

extern const char client_keys_help[];
int client_keys_main(int argc, char **argv);

/* a group call: send (cmd_client_call.c) and hear (cmd_client_listen.c) SRTP under the GMK */
extern const char client_call_help[];
int client_call_main(int argc, char **argv);
extern const char client_listen_help[];
int client_listen_main(int argc, char **argv);

#endif
