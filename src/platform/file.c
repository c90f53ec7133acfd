/*
 * File helpers for the shells. See platform/file.h.
 * Secrets: whatever the caller reads or writes through these (key files,
 * tokens, passphrases); read buffers are wiped by mcgk_file_free.
 */
#include "platform/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mcgk/base.h"

static mcgk_err read_fd(int fd, size_t max_len, uint8_t **data, size_t *len)
{
    size_t cap = 4096, n = 0;
    if (cap > max_len + 1)
        cap = max_len + 1;
    uint8_t *buf = malloc(cap);
    if (buf == NULL)
        return MCGK_ERR_NO_MEMORY;
    for (;;) {
        if (n == cap) {
            if (cap > max_len) {
                mcgk_wipe(buf, n);
                free(buf);
                return MCGK_ERR_OVERSIZED;
            }
            size_t ncap = cap * 2 > max_len + 1 ? max_len + 1 : cap * 2;
            uint8_t *nb = malloc(ncap);
            if (nb == NULL) {
                mcgk_wipe(buf, n);
                free(buf);
                return MCGK_ERR_NO_MEMORY;
            }
            memcpy(nb, buf, n);
            mcgk_wipe(buf, n);
            free(buf);
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            mcgk_wipe(buf, n);
            free(buf);
            return MCGK_ERR_IO;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > max_len) {
        mcgk_wipe(buf, n);
        free(buf);
        return MCGK_ERR_OVERSIZED;
    }
    if (n == cap) {
        uint8_t *nb = malloc(n + 1);
        if (nb == NULL) {
            mcgk_wipe(buf, n);
            free(buf);
            return MCGK_ERR_NO_MEMORY;
        }
        memcpy(nb, buf, n);
        mcgk_wipe(buf, n);
        free(buf);
        buf = nb;
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return MCGK_OK;
}

static mcgk_err read_common(const char *path, size_t max_len, uint8_t **data, size_t *len,
                            int private_only)
{
    if (path == NULL || data == NULL || len == NULL)
        return MCGK_ERR_INVALID_ARG;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return MCGK_ERR_IO;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return MCGK_ERR_IO;
    }
    if (private_only && (st.st_mode & 077) != 0) {
        close(fd);
        return MCGK_ERR_FILE_MODE;
    }
    mcgk_err e = read_fd(fd, max_len, data, len);
    close(fd);
    return e;
}

mcgk_err mcgk_file_read(const char *path, size_t max_len, uint8_t **data, size_t *len)
{
    return read_common(path, max_len, data, len, 0);
}

mcgk_err mcgk_file_read_private(const char *path, size_t max_len, uint8_t **data, size_t *len)
{
    return read_common(path, max_len, data, len, 1);
}

void mcgk_file_free(uint8_t *data, size_t len)
{
    if (data == NULL)
        return;
    mcgk_wipe(data, len);
    free(data);
}

static mcgk_err write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return MCGK_ERR_IO;
        }
        p += w;
        len -= (size_t)w;
    }
    return MCGK_OK;
}

mcgk_err mcgk_file_write_private(const char *path, const void *data, size_t len, int exclusive)
{
    if (path == NULL || (data == NULL && len != 0))
        return MCGK_ERR_INVALID_ARG;
    if (exclusive) {
        /* O_EXCL gives the atomic "did not exist" check */
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            return errno == EEXIST ? MCGK_ERR_EXISTS : MCGK_ERR_IO;
        mcgk_err e = write_all(fd, data, len);
        if (e == MCGK_OK && fsync(fd) != 0)
            e = MCGK_ERR_IO;
        if (close(fd) != 0 && e == MCGK_OK)
            e = MCGK_ERR_IO;
        if (e != MCGK_OK)
            unlink(path);
        return e;
    }
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (tmp == NULL)
        return MCGK_ERR_NO_MEMORY;
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp); /* mode 0600 */
    if (fd < 0) {
        free(tmp);
        return MCGK_ERR_IO;
    }
    mcgk_err e = write_all(fd, data, len);
    if (e == MCGK_OK && fchmod(fd, 0600) != 0)
        e = MCGK_ERR_IO;
    if (e == MCGK_OK && fsync(fd) != 0)
        e = MCGK_ERR_IO;
    if (close(fd) != 0 && e == MCGK_OK)
        e = MCGK_ERR_IO;
    if (e == MCGK_OK && rename(tmp, path) != 0)
        e = MCGK_ERR_IO;
    if (e != MCGK_OK)
        unlink(tmp);
    free(tmp);
    return e;
}

mcgk_err mcgk_dir_ensure_private(const char *dir)
{
    if (dir == NULL || dir[0] == '\0')
        return MCGK_ERR_INVALID_ARG;
    size_t n = strlen(dir);
    char *p = malloc(n + 1);
    if (p == NULL)
        return MCGK_ERR_NO_MEMORY;
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            free(p);
            return MCGK_ERR_IO;
        }
        p[i] = c;
    }
    struct stat st;
    int ok = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    free(p);
    return ok ? MCGK_OK : MCGK_ERR_IO;
}

int mcgk_file_exists(const char *path)
{
    struct stat st;
    return path != NULL && stat(path, &st) == 0;
}
