/*
 * Shared plumbing of the daemon verbs. See shell.h.
 * Secrets: passphrases (wiped by shell_kek_clear) and secret files read
 * through shell_read_secret (wiped by mcgk_file_free).
 */
#include "shell.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mcgk/platform.h"
#include "platform/file.h"
#include "platform/log.h"

mcgk_err shell_path(const char *dir, const char *name, char out[SHELL_PATH_MAX])
{
    int n = snprintf(out, SHELL_PATH_MAX, "%s/%s", dir, name);
    if (n < 0 || n >= SHELL_PATH_MAX) {
        fprintf(stderr, "path too long: %s/%s\n", dir, name);
        return MCGK_ERR_USAGE;
    }
    return MCGK_OK;
}

mcgk_err shell_data_dir(const cli_args *a, const char *role, int create, char out[SHELL_PATH_MAX])
{
    const char *flag = cli_get(a, "data-dir");
    const char *env = getenv("MCGK_DATA_DIR");
    const char *home = getenv("HOME");
    int n;
    if (flag != NULL)
        n = snprintf(out, SHELL_PATH_MAX, "%s", flag);
    else if (env != NULL && env[0] != '\0')
        n = snprintf(out, SHELL_PATH_MAX, "%s", env);
    else if (home != NULL && home[0] != '\0')
        n = snprintf(out, SHELL_PATH_MAX, "%s/.local/share/mcgk/%s", home, role);
    else
        n = snprintf(out, SHELL_PATH_MAX, "mcgk-%s", role);
    if (n <= 0 || n >= SHELL_PATH_MAX) {
        fprintf(stderr, "--data-dir: path too long\n");
        return MCGK_ERR_USAGE;
    }
    if (create) {
        mcgk_err e = mcgk_dir_ensure_private(out);
        if (e != MCGK_OK) {
            fprintf(stderr, "cannot create data directory %s: %s\n", out, strerror(errno));
            return e;
        }
    }
    return MCGK_OK;
}

mcgk_err shell_read_secret(const char *path, uint8_t **out, size_t *len)
{
    uint8_t *d = NULL;
    size_t n = 0;
    mcgk_err e = mcgk_file_read_private(path, 4096, &d, &n);
    if (e == MCGK_ERR_FILE_MODE) {
        fprintf(stderr, "%s: group or others may read it; chmod 600 it first\n", path);
        return e;
    }
    if (e != MCGK_OK) {
        fprintf(stderr, "cannot read %s\n", path);
        return e;
    }
    size_t l = n;
    while (l > 0 && (d[l - 1] == '\n' || d[l - 1] == '\r'))
        d[--l] = 0;
    *out = d;
    *len = l;
    return MCGK_OK;
}

mcgk_err shell_kek_resolve(const cli_args *a, const char *data_dir, int create_key_file,
                           shell_kek *k)
{
    memset(k, 0, sizeof *k);
    const char *kf = cli_get(a, "key-file");
    const char *pf = cli_get(a, "passphrase-file");
    const char *env = getenv("MCGK_PASSPHRASE");
    if (kf != NULL && (pf != NULL || (env != NULL && env[0] != '\0'))) {
        fprintf(stderr, "give either --key-file or a passphrase, not both\n");
        return MCGK_ERR_USAGE;
    }
    if (pf != NULL) {
        uint8_t *p = NULL;
        size_t n = 0;
        mcgk_err e = shell_read_secret(pf, &p, &n);
        if (e != MCGK_OK)
            return e;
        if (n == 0) {
            mcgk_file_free(p, 1);
            fprintf(stderr, "%s: empty passphrase\n", pf);
            return MCGK_ERR_USAGE;
        }
        k->pass = p;
        k->pass_len = n;
    } else if (env != NULL && env[0] != '\0') {
        size_t n = strlen(env);
        k->pass = malloc(n + 1);
        if (k->pass == NULL)
            return MCGK_ERR_NO_MEMORY;
        memcpy(k->pass, env, n + 1);
        k->pass_len = n;
    }
    if (k->pass != NULL) {
        k->src.passphrase = (const char *)k->pass;
        k->src.passphrase_len = k->pass_len;
        return MCGK_OK;
    }
    mcgk_err e = kf != NULL ? (snprintf(k->key_file, sizeof k->key_file, "%s", kf) <
                                       (int)sizeof k->key_file
                                   ? MCGK_OK
                                   : MCGK_ERR_USAGE)
                            : shell_path(data_dir, "kek.key", k->key_file);
    if (e != MCGK_OK)
        return e;
    if (create_key_file && !mcgk_file_exists(k->key_file)) {
        e = mcgk_seal_keyfile_create(k->key_file, mcgk_rng_system());
        if (e != MCGK_OK) {
            fprintf(stderr, "cannot create key file %s\n", k->key_file);
            return e;
        }
    }
    k->src.key_file = k->key_file;
    return MCGK_OK;
}

void shell_kek_clear(shell_kek *k)
{
    if (k == NULL)
        return;
    if (k->pass != NULL)
        mcgk_file_free(k->pass, k->pass_len + 1);
    memset(k, 0, sizeof *k);
}

mcgk_err shell_log_level(const cli_args *a)
{
    const char *l = cli_get(a, "log-level");
    if (l == NULL)
        return MCGK_OK;
    mcgk_log_level level;
    if (!mcgk_log_level_parse(l, &level)) {
        fprintf(stderr, "--log-level: one of debug, info, warn, error, off\n");
        return MCGK_ERR_USAGE;
    }
    mcgk_log_set_level(level);
    return MCGK_OK;
}

static sigset_t shell_set(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    sigaddset(&s, SIGHUP);
    return s;
}

void shell_signals_block(void)
{
    sigset_t s = shell_set();
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int shell_signal_wait(long timeout_ms)
{
    sigset_t s = shell_set();
    for (;;) {
        int sig;
        if (timeout_ms < 0) {
            sig = sigwaitinfo(&s, NULL);
        } else {
            struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
            sig = sigtimedwait(&s, NULL, &ts);
        }
        if (sig > 0)
            return sig;
        if (errno == EAGAIN)
            return 0;
        if (errno != EINTR)
            return 0;
    }
}
