/* fileio: read a whole file with a size cap, write one atomically (temp, fsync, rename), mkdir -p. */
#ifndef CB_FILEIO_H
#define CB_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"

/* Read the regular file at path (at most max bytes) into a malloc'd buffer (one spare
 * NUL byte after the data). Returns 0, -errno, or -EFBIG; d names the file. */
int fileio_read(const char *path, size_t max, uint8_t **out, size_t *len, struct diag *d);

/* fileio_read() on an open fd (path only names it in d): for callers that open the
 * file themselves (to keep its identity, or with their own open message). EINTR is
 * retried; a file that shrinks or grows while being read is -EIO. */
int fileio_read_fd(int fd, const char *path, size_t max, uint8_t **out, size_t *len,
		   struct diag *d);

/* fileio_read() for text: the same checks, the buffer as NUL-terminated chars. */
int fileio_read_text(const char *path, size_t max, char **out, size_t *len, struct diag *d);

/* Write data to path atomically: a temporary file beside it (same directory, so the
 * rename cannot cross file systems), fsync, rename over path, fsync the directory.
 * A crash or a full disk leaves path as it was. mode: permission bits of the new file.
 * mtime: if non-NULL, the file's modification time (seconds, nanoseconds).
 * Refuses a path that is a directory or a device. Returns 0 or -errno; d names it. */
int fileio_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			const struct timespec *mtime, struct diag *d);

/* mkdir -p: create path and any missing parents, each with mode (an existing
 * directory is fine). Returns 0 or -errno; d names the level that could not be made. */
int fileio_mkdirs(const char *path, mode_t mode, struct diag *d);

#endif
