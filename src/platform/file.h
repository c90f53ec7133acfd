/*
 * platform/file.h - small file helpers for the shells (apps, store, net):
 * bounded whole-file reads, private (0600) writes and private (0700)
 * directories. Buffers that may hold secrets are wiped on every path.
 */
#ifndef MCGK_PLATFORM_FILE_H
#define MCGK_PLATFORM_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/error.h"

/*
 * Read the whole file at path (at most max_len octets) into a malloc'ed
 * buffer with a NUL after the last octet (not counted in *len). Free it
 * with mcgk_file_free, which wipes it.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_IO (cannot open/read),
 * MCGK_ERR_OVERSIZED (longer than max_len), MCGK_ERR_NO_MEMORY.
 */
mcgk_err mcgk_file_read(const char *path, size_t max_len, uint8_t **data, size_t *len);

/* As mcgk_file_read, and first checks that group and others have no access
 * (MCGK_ERR_FILE_MODE otherwise): for key, token and passphrase files. */
mcgk_err mcgk_file_read_private(const char *path, size_t max_len, uint8_t **data, size_t *len);

/* Wipe and free a buffer from mcgk_file_read (len = its length). NULL is fine. */
void mcgk_file_free(uint8_t *data, size_t len);

/*
 * Write data to path with mode 0600: to a temporary file in the same
 * directory, fsync, then rename over path (so readers see the old or the
 * new content). With exclusive != 0, fails with MCGK_ERR_EXISTS if path
 * exists. Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_EXISTS, MCGK_ERR_IO.
 */
mcgk_err mcgk_file_write_private(const char *path, const void *data, size_t len, int exclusive);

/* Create dir (and missing parents) with mode 0700; an existing directory is
 * accepted as it is. Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_IO. */
mcgk_err mcgk_dir_ensure_private(const char *dir);

/* 1 when path exists (any type). */
int mcgk_file_exists(const char *path);

#endif
