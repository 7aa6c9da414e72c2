/* buildcache: build-ipxe's work kept between runs (a tree per iPXE source, recent result
 * sets by key). Everything here is ours, but a result set counts only with its stamp,
 * written last, and build-ipxe checks each binary again before using it. */
#include "buildcache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "sha256.h"

#define MAX_DEPTH 32	      /* directory levels walked in a source tree */
#define STAMP	  ".complete" /* a result set's last file, naming its key */

struct walk {
	uint64_t sum, count;
	char path[PATH_MAX];
	size_t top; /* length of the source directory's own path in path */
};

/* One file's part of the identity: SHA-256 over (relative path, size, mode, mtime). */
static void walk_add(struct walk *w, const struct stat *st)
{
	struct sha256 s;
	uint8_t h[SHA256_LEN];
	uint64_t v = 0;
	int64_t t[4] = { st->st_size, st->st_mode, st->st_mtim.tv_sec, st->st_mtim.tv_nsec };

	sha256_init(&s);
	sha256_update(&s, w->path + w->top, strlen(w->path + w->top) + 1);
	sha256_update(&s, t, sizeof(t));
	sha256_final(&s, h);
	memcpy(&v, h, sizeof(v));
	w->sum += v;
	w->count++;
}

static int walk_dir(struct walk *w, size_t len, unsigned depth, struct diag *d)
{
	DIR *dir;
	struct dirent *e;
	int rc = 0;

	if (depth > MAX_DEPTH)
		return diag_set(d, -ELOOP, "%s: more than %d directory levels", w->path, MAX_DEPTH);
	dir = opendir(w->path);
	if (!dir)
		return diag_set(d, -errno, "%s: %s", w->path, strerror(errno));
	while (!rc && (e = readdir(dir)) != NULL) {
		struct stat st;
		int n;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		/* The tree's own build products are not its source. */
		if (!depth && (!strcmp(e->d_name, "bin") || !strncmp(e->d_name, "bin-", 4)))
			continue;
		n = snprintf(w->path + len, sizeof(w->path) - len, "/%s", e->d_name);
		if (n < 0 || (size_t)n >= sizeof(w->path) - len) {
			rc = diag_set(d, -ENAMETOOLONG, "%s/%s: path too long", w->path, e->d_name);
			break;
		}
		if (lstat(w->path, &st)) {
			rc = diag_set(d, -errno, "%s: %s", w->path, strerror(errno));
			break;
		}
		walk_add(w, &st);
		if (S_ISDIR(st.st_mode))
			rc = walk_dir(w, len + (size_t)n, depth + 1, d);
		w->path[len] = '\0';
	}
	closedir(dir);
	return rc;
}

int buildcache_source_id(const char *srcdir, char out[BUILDCACHE_ID_LEN + 1], struct diag *d)
{
	static struct walk w;
	char hex[SHA256_HEX_LEN];
	uint64_t v[2];
	int n, rc;

	memset(&w, 0, sizeof(w));
	n = snprintf(w.path, sizeof(w.path), "%s", srcdir);
	if (n < 0 || (size_t)n >= sizeof(w.path))
		return diag_set(d, -ENAMETOOLONG, "%s: path too long", srcdir);
	w.top = (size_t)n;
	rc = walk_dir(&w, w.top, 0, d);
	if (rc)
		return rc;
	v[0] = w.sum;
	v[1] = w.count;
	sha256_hex(v, sizeof(v), hex);
	memcpy(out, hex, BUILDCACHE_ID_LEN);
	out[BUILDCACHE_ID_LEN] = '\0';
	return 0;
}

int buildcache_lock(const char *dir, int *fd, FILE *log, struct diag *d)
{
	char path[PATH_MAX];
	int rc = fileio_mkdirs(dir, 0755, d);

	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/.lock", dir);
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0)
		return diag_set(d, -errno, "%s: %s", path, strerror(errno));
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	fprintf(log, "chainboot build-ipxe: waiting for another build-ipxe using %s\n", dir);
	fflush(log);
	/* No SA_RESTART on our handlers: a signal ends the wait with EINTR. */
	if (flock(*fd, LOCK_EX) == 0)
		return 0;
	rc = -errno;
	close(*fd);
	*fd = -1;
	return rc == -EINTR ? diag_set(d, -EINTR, "interrupted; nothing was written")
			    : diag_set(d, rc, "%s: cannot lock: %s", path, strerror(-rc));
}

void buildcache_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* closing releases the flock */
}

int buildcache_has(const char *dir, const char *key)
{
	char path[PATH_MAX], *text = NULL;
	size_t len;
	int ok;

	snprintf(path, sizeof(path), "%s/results/%s/" STAMP, dir, key);
	if (fileio_read_text(path, 256, &text, &len, NULL))
		return 0;
	ok = len >= strlen(key) && !memcmp(text, key, strlen(key));
	free(text);
	return ok;
}

struct aged {
	char name[BUILDCACHE_KEY_HEX];
	struct timespec t;
};

static int aged_cmp(const void *a, const void *b)
{
	const struct timespec *x = &((const struct aged *)a)->t, *y = &((const struct aged *)b)->t;

	if (x->tv_sec != y->tv_sec)
		return x->tv_sec > y->tv_sec ? -1 : 1;
	return x->tv_nsec > y->tv_nsec ? -1 : x->tv_nsec < y->tv_nsec;
}

/* Remove dir/results/NAME and its files (a result set is flat). */
static void remove_set(const char *results, const char *name)
{
	char path[PATH_MAX];
	DIR *dir;
	struct dirent *e;

	snprintf(path, sizeof(path), "%s/%s", results, name);
	dir = opendir(path);
	if (!dir)
		return;
	while ((e = readdir(dir)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(dir), e->d_name, 0);
	closedir(dir);
	rmdir(path);
}

/* Keep the newest BUILDCACHE_KEEP result sets (by their stamps' times). */
static void prune(const char *results)
{
	struct aged sets[4 * BUILDCACHE_KEEP] = { 0 };
	unsigned n = 0;
	DIR *dir = opendir(results);
	struct dirent *e;

	if (!dir)
		return;
	while ((e = readdir(dir)) != NULL) {
		char path[PATH_MAX];
		struct stat st;

		if (e->d_name[0] == '.' || strlen(e->d_name) >= BUILDCACHE_KEY_HEX)
			continue;
		snprintf(path, sizeof(path), "%s/%s/" STAMP, results, e->d_name);
		if (stat(path, &st))
			st.st_mtim = (struct timespec){ 0, 0 }; /* unfinished: oldest */
		if (n == sizeof(sets) / sizeof(sets[0]))
			break; /* more next time */
		snprintf(sets[n].name, sizeof(sets[n].name), "%s", e->d_name);
		sets[n++].t = st.st_mtim;
	}
	closedir(dir);
	qsort(sets, n, sizeof(sets[0]), aged_cmp);
	for (unsigned i = BUILDCACHE_KEEP; i < n; i++)
		remove_set(results, sets[i].name);
}

int buildcache_commit(const char *dir, const char *key, struct diag *d)
{
	char path[PATH_MAX], stamp[BUILDCACHE_KEY_HEX + 1];
	int rc;

	snprintf(path, sizeof(path), "%s/results/%s/" STAMP, dir, key);
	snprintf(stamp, sizeof(stamp), "%s\n", key);
	rc = fileio_write_atomic(path, stamp, strlen(stamp), 0644, NULL, d);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/results", dir);
	prune(path);
	return 0;
}

int buildcache_differs(const char *path, const void *data, size_t len)
{
	uint8_t *old = NULL;
	size_t olen;
	int differs;

	if (fileio_read(path, len + 1, &old, &olen, NULL))
		return 1;
	differs = olen != len || memcmp(old, data, len) != 0;
	free(old);
	return differs;
}
