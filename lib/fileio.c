/* fileio: whole-file read with a cap, and atomic whole-file write. The paths come from
 * the user; the data is ours. Nothing here leaves a half-written file at the target. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int fileio_read_fd(int fd, const char *path, size_t max, uint8_t **out, size_t *len, struct diag *d)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0, size;
	char extra;
	ssize_t r = 0;

	*out = NULL;
	*len = 0;
	if (fstat(fd, &st) < 0)
		return diag_set(d, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return diag_set(d, -EINVAL, "%s: not a regular file", path);
	if ((uint64_t)st.st_size > max)
		return diag_set(d, -EFBIG, "%s: %lld bytes is more than the %zu allowed", path,
				(long long)st.st_size, max);
	size = (size_t)st.st_size;
	buf = malloc(size + 1);
	if (!buf)
		return diag_set(d, -ENOMEM, "%s: out of memory", path);
	/* Exactly st_size bytes, then the end: a file that shrinks or grows while it is
	 * read is an error, never a silently truncated (or half-new) text. */
	while (got < size) {
		r = read(fd, buf + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got == size)
		do
			r = read(fd, &extra, 1);
		while (r < 0 && errno == EINTR);
	if (r != 0 || got < size) {
		int e = r < 0 ? errno : EIO;

		free(buf);
		return diag_set(d, -e, "%s: read error: %s", path,
				r < 0	     ? strerror(e)
				: got < size ? "the file shrank while being read"
					     : "the file grew while being read");
	}
	buf[got] = 0;
	*out = buf;
	*len = got;
	return 0;
}

int fileio_read(const char *path, size_t max, uint8_t **out, size_t *len, struct diag *d)
{
	/* O_NONBLOCK|O_NOCTTY: a FIFO or a terminal at the path must not block the open
	 * (fileio_read_fd then refuses it as not a regular file). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), rc;

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return diag_set(d, -errno, "%s: cannot read: %s", path, strerror(errno));
	rc = fileio_read_fd(fd, path, max, out, len, d);
	close(fd);
	return rc;
}

int fileio_read_text(const char *path, size_t max, char **out, size_t *len, struct diag *d)
{
	uint8_t *buf;
	int rc = fileio_read(path, max, &buf, len, d);

	*out = (char *)buf;
	return rc;
}

int fileio_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			const struct timespec *mtime, struct diag *d)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	const uint8_t *p = data;
	struct stat st;
	size_t done = 0;
	int fd, dfd, e, rc = 0;

	if (!*base)
		return diag_set(d, -EISDIR, "%s: is a directory, not a file name", path);
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return diag_set(d, S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL,
				"%s: %s; give a regular file name", path,
				S_ISDIR(st.st_mode) ? "is a directory"
						    : "exists and is not a regular file");
	if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	else
		snprintf(dir, sizeof(dir), ".");
	/* Hidden, beside the target, unique: never mistaken for the result. */
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base) >= (int)sizeof(tmp))
		return diag_set(d, -ENAMETOOLONG, "%s: path too long", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return diag_set(d, -errno, "cannot create a file in %s: %s", dir, strerror(errno));
	while (done < len) {
		ssize_t w = write(fd, p + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = diag_set(d, -errno, "cannot write %s: %s", tmp, strerror(errno));
			goto err;
		}
		done += (size_t)w;
	}
	if (fchmod(fd, mode & 07777) < 0) {
		rc = diag_set(d, -errno, "cannot set the mode of %s: %s", tmp, strerror(errno));
		goto err;
	}
	if (mtime) {
		struct timespec ts[2] = { *mtime, *mtime };

		if (futimens(fd, ts) < 0) {
			rc = diag_set(d, -errno, "cannot set the time of %s: %s", tmp,
				      strerror(errno));
			goto err;
		}
	}
	if (fsync(fd) < 0) {
		rc = diag_set(d, -errno, "cannot write %s: %s", tmp, strerror(errno));
		goto err;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = diag_set(d, -errno, "cannot write %s: %s", tmp, strerror(errno));
		goto err;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = diag_set(d, -errno, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto err;
	}
	/* The rename itself must reach the disk too. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
err:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = e;
	return rc;
}

int fileio_mkdirs(const char *path, mode_t mode, struct diag *d)
{
	char tmp[PATH_MAX];
	size_t i, n = strlen(path);

	if (n >= sizeof(tmp))
		return diag_set(d, -ENAMETOOLONG, "%s: path too long", path);
	memcpy(tmp, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return diag_set(d, -errno, "cannot create %s: %s", tmp, strerror(errno));
		tmp[i] = path[i];
	}
	return 0;
}
