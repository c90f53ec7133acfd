/*
 * apps/shell.h - what the daemon verbs (kms, client, later gms) share:
 * the data directory, the key-encryption key of the store (key file or
 * passphrase), reading secret files, signals for a clean shutdown, and
 * the log level flag.
 *
 * Secrets: passphrases and tokens read here are wiped by the matching
 * _clear/_free function.
 */
#ifndef MCGK_APPS_SHELL_H
#define MCGK_APPS_SHELL_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "store/seal.h"

#define SHELL_PATH_MAX 4096

/* The flags every daemon verb accepts (append to a verb's flag list). */
#define SHELL_KEK_FLAGS {"key-file", 1}, {"passphrase-file", 1}
#define SHELL_COMMON_FLAGS {"data-dir", 1}, {"log-level", 1}

/* Help text for those flags. */
#define SHELL_KEK_HELP                                                                       \
    "  --key-file PATH       key-encryption key file (32 random octets as hex, mode 0600);\n" \
    "                        default DATA_DIR/kek.key, created on first use\n"                \
    "  --passphrase-file P   derive the key-encryption key from the passphrase in file P\n"   \
    "                        (mode 0600) with scrypt instead; MCGK_PASSPHRASE in the\n"       \
    "                        environment does the same. Use the same choice every time.\n"
#define SHELL_COMMON_HELP                                                                    \
    "  --data-dir DIR        where the state lives (mode 0700); default $MCGK_DATA_DIR,\n"     \
    "                        else ~/.local/share/mcgk/ROLE\n"                                  \
    "  --log-level LEVEL     debug, info (default), warn, error or off; logs go to stderr\n"

/*
 * The data directory for role (flag, $MCGK_DATA_DIR, ~/.local/share/mcgk/role),
 * created with mode 0700 when create != 0 (otherwise not checked: callers
 * check for the files they need). Prints the problem on failure.
 */
mcgk_err shell_data_dir(const cli_args *a, const char *role, int create, char out[SHELL_PATH_MAX]);

/* path = dir/name; MCGK_ERR_USAGE when too long. */
mcgk_err shell_path(const char *dir, const char *name, char out[SHELL_PATH_MAX]);

/* Where the store's KEK comes from (see SHELL_KEK_HELP). */
typedef struct shell_kek {
    mcgk_seal_kek_source src;
    char key_file[SHELL_PATH_MAX];
    uint8_t *pass; /* secret */
    size_t pass_len;
} shell_kek;

/*
 * Resolve the KEK source from the flags / environment. With create_key_file,
 * a missing default key file is created (0600). Prints the problem.
 * Returns MCGK_OK, MCGK_ERR_USAGE, MCGK_ERR_FILE_MODE, MCGK_ERR_IO and the
 * codes of mcgk_seal_keyfile_create.
 */
mcgk_err shell_kek_resolve(const cli_args *a, const char *data_dir, int create_key_file,
                           shell_kek *k);
void shell_kek_clear(shell_kek *k);

/* Read a one-line secret file (mode 0600 enforced), trailing newline removed.
 * Free with mcgk_file_free(*out, *len + 1). */
mcgk_err shell_read_secret(const char *path, uint8_t **out, size_t *len);

/* Apply --log-level. MCGK_ERR_USAGE for an unknown level. */
mcgk_err shell_log_level(const cli_args *a);

/* Block SIGINT, SIGTERM, SIGHUP in this thread (call before starting threads,
 * which inherit the mask) and ignore SIGPIPE. */
void shell_signals_block(void);
/* Wait up to timeout_ms (< 0: forever) for one of them; returns it, or 0. */
int shell_signal_wait(long timeout_ms);

/* CLI_PARSE_FLAGS, then --log-level applied (the flags must include it). */
#define SHELL_PARSE_FLAGS(...)                                                               \
    CLI_PARSE_FLAGS(__VA_ARGS__);                                                            \
    if ((e = shell_log_level(&a)) != MCGK_OK)                                                 \
    return cli_fail(e)

#endif
