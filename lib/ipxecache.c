/* ipxecache: rebranded iPXE binaries cached by (SHA-256 of the input, user-class). The
 * cache directory is ours but its files are re-checked on use (size and class), so a
 * damaged entry is rebuilt rather than put into an image. */
#include "ipxecache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "ipxebin.h"
#include "rebrand.h"
#include "sha256.h"

static int cache_root(const char *sub, const char *what, char *out, size_t outsz, struct diag *d)
{
	const char *env = getenv("CHAINBOOT_CACHE"), *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	int n;

	/* The same roots scripts/deps.sh uses for the iPXE package. */
	if (env && *env)
		n = snprintf(out, outsz, "%s/%s", env, sub);
	else if (geteuid() == 0)
		n = snprintf(out, outsz, "/var/cache/chainboot/%s", sub);
	else if (xdg && *xdg)
		n = snprintf(out, outsz, "%s/chainboot/%s", xdg, sub);
	else if (home && *home)
		n = snprintf(out, outsz, "%s/.cache/chainboot/%s", home, sub);
	else
		return diag_set(d, -ENOENT,
				"no cache directory for %s: set CHAINBOOT_CACHE (or HOME)", what);
	if (n < 0 || (size_t)n >= outsz)
		return diag_set(d, -ENAMETOOLONG, "cache directory path too long: %s", out);
	return 0;
}

int ipxecache_root(const char *sub, char *out, size_t outsz, struct diag *d)
{
	return cache_root(sub, sub, out, outsz, d);
}

int ipxecache_dir(char *out, size_t outsz, struct diag *d)
{
	return cache_root("rebranded", "rebranded iPXE binaries", out, outsz, d);
}

/* Is the cached file at path exactly in[0..len) rebranded to cls? A cache entry is
 * checked before every use, so a damaged one is rebuilt, never put into an image. */
static int cache_valid(const char *path, const uint8_t *in, size_t len, const char *cls)
{
	uint8_t *buf;
	size_t blen;
	int ok;

	if (fileio_read(path, REBRAND_MAX_INPUT, &buf, &blen, NULL))
		return 0;
	ok = blen == len && rebrand_verify(in, buf, len, cls, NULL) == 0;
	free(buf);
	return ok;
}

/* The index: a small file per (stock binary's identity, class) naming its cached copy
 * and that copy's identity when it was last verified. A build whose inputs did not
 * change then reads no binary, hashes nothing and decodes no LZMA (those were 80 ms of
 * a 0.15 s build). Any write to either file changes its ctime, which sends the lookup
 * back to the full path: hash, check, rebuild. */
static int index_path(const char *dir, const struct stat *st, const char *clshex, char *out,
		      size_t outsz)
{
	int n = snprintf(out, outsz, "%s.index/%llx.%llx.%llx.%lld.%ld.%lld.%ld.%s", dir,
			 (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
			 (unsigned long long)st->st_size, (long long)st->st_mtim.tv_sec,
			 st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec,
			 clshex);
	return n > 0 && (size_t)n < outsz ? 0 : -ENAMETOOLONG;
}

static void stamp_format(const struct stat *o, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "%llx %llx %llx %lld %ld\n", (unsigned long long)o->st_dev,
		 (unsigned long long)o->st_ino, (unsigned long long)o->st_size,
		 (long long)o->st_ctim.tv_sec, o->st_ctim.tv_nsec);
}

/* The cached copy the index names for this input, if it is unchanged since verified. */
static int index_lookup(const char *ipath, const char *dir, char *out, size_t outsz)
{
	char stamp[128];
	uint8_t *buf;
	size_t len;
	struct stat o;
	const char *nl;
	int ok = 0;

	if (fileio_read(ipath, 4096, &buf, &len, NULL))
		return 0;
	/* "NAME\nSTAMP\n": NAME is a file in dir, never a path */
	nl = memchr(buf, '\n', len);
	if (nl && nl > (const char *)buf && !memchr(buf, '/', (size_t)(nl - (const char *)buf)) &&
	    snprintf(out, outsz, "%s/%.*s", dir, (int)(nl - (const char *)buf), (const char *)buf) <
		    (int)outsz &&
	    stat(out, &o) == 0 && S_ISREG(o.st_mode)) {
		stamp_format(&o, stamp, sizeof(stamp));
		ok = len - (size_t)(nl + 1 - (const char *)buf) == strlen(stamp) &&
		     !memcmp(nl + 1, stamp, strlen(stamp));
	}
	free(buf);
	return ok;
}

/* Best effort: a failure only means the next build takes the full path again. */
static void index_store(const char *ipath, const char *dir, const char *cached)
{
	char idir[4096], text[4096 + 128], stamp[128];
	const char *name = strrchr(cached, '/') + 1;
	struct stat o;
	int n;

	if (stat(cached, &o) < 0 ||
	    snprintf(idir, sizeof(idir), "%s.index", dir) >= (int)sizeof(idir))
		return;
	if (mkdir(idir, 0755) < 0 && errno != EEXIST)
		return;
	stamp_format(&o, stamp, sizeof(stamp));
	n = snprintf(text, sizeof(text), "%s\n%s", name, stamp);
	if (n > 0 && (size_t)n < sizeof(text))
		(void)fileio_write_atomic(ipath, text, (size_t)n, 0644, NULL, NULL);
}

int ipxecache_get(const char *src, const char *cls, char *out, size_t outsz, int *rebranded,
		  struct diag *d)
{
	char dir[4096], hash[SHA256_HEX_LEN], clshex[2 * 255 + 1], got[IPXEBIN_CLASS_MAX];
	char want[IPXEBIN_CLASS_MAX], ipath[4096 + 128];
	int have_index;
	const char *base = strrchr(src, '/');
	uint8_t *buf = NULL, *res = NULL;
	struct stat st;
	size_t len, i, n = strlen(cls);
	int rc;

	if (rebranded)
		*rebranded = 0;
	if (n > 255)
		return diag_set(d, -EINVAL, "user-class longer than 255 bytes");
	/* The class in hex: any printable byte (also '/') is safe in a file name. */
	for (i = 0; i < n; i++)
		snprintf(clshex + 2 * i, 3, "%02x", (unsigned char)cls[i]);
	clshex[2 * n] = '\0';
	if (stat(src, &st) < 0)
		return diag_set(d, -errno, "%s: %s", src, strerror(errno));
	have_index = ipxecache_dir(dir, sizeof(dir), NULL) == 0 &&
		     index_path(dir, &st, clshex, ipath, sizeof(ipath)) == 0;
	if (have_index && index_lookup(ipath, dir, out, outsz)) {
		if (rebranded)
			*rebranded = 1;
		return 0;
	}
	rc = fileio_read(src, REBRAND_MAX_INPUT, &buf, &len, d);
	if (rc)
		return rc;
	/* Already ours (build-ipxe output, or a rebranded directory): use it as it is. */
	if (ipxebin_user_class(buf, len, got, sizeof(got), NULL) == 0 &&
	    ipxebin_format_class((const uint8_t *)cls, n, want, sizeof(want)) == 0 &&
	    !strcmp(got, want)) {
		if (snprintf(out, outsz, "%s", src) >= (int)outsz)
			rc = diag_set(d, -ENAMETOOLONG, "%s: path too long", src);
		goto out;
	}
	rc = ipxecache_dir(dir, sizeof(dir), d);
	if (rc)
		goto out;
	sha256_hex(buf, len, hash);
	if (snprintf(out, outsz, "%s/%s-%s-%s", dir, hash, clshex, base ? base + 1 : src) >=
	    (int)outsz) {
		rc = diag_set(d, -ENAMETOOLONG, "cache path for %s too long", src);
		goto out;
	}
	if (rebranded)
		*rebranded = 1;
	if (cache_valid(out, buf, len, cls)) {
		if (have_index)
			index_store(ipath, dir, out);
		goto out;
	}
	rc = rebrand_bytes(buf, len, cls, &res, NULL, d);
	if (rc) {
		diag_prefix(d, rc, "%s", src);
		goto out;
	}
	rc = fileio_mkdirs(dir, 0755, d);
	if (!rc)
		rc = fileio_write_atomic(out, res, len, 0644, &st.st_mtim, d);
	if (!rc && have_index)
		index_store(ipath, dir, out);
	if (rc)
		diag_prefix(d, rc,
			    "caching the rebranded %s in %s (set CHAINBOOT_CACHE to a writable "
			    "directory, or build with --no-rebrand)",
			    src, dir);
out:
	free(buf);
	free(res);
	return rc;
}

static bool is_regular(const char *path)
{
	struct stat st;
	return !stat(path, &st) && S_ISREG(st.st_mode);
}

/* An iPXE directory is usable when it has the binaries every layout may ask for. */
static bool ipxe_dir_ok(const char *dir)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/ipxe.lkrn", dir);
	if (!is_regular(p))
		return false;
	snprintf(p, sizeof(p), "%s/ipxe-arm64.efi", dir);
	return is_regular(p);
}

int ipxecache_find_dir(const struct site_config *c, char *out, size_t outsz, struct diag *d)
{
	const char *env = getenv("CHAINBOOT_IPXE_DIR"), *home = getenv("HOME");
	const char *xdg = getenv("XDG_CACHE_HOME");
	char cand[4][PATH_MAX];
	unsigned n = 0;

	if (c->ipxe_dir[0]) {
		struct stat st;
		if (stat(c->ipxe_dir, &st) || !S_ISDIR(st.st_mode))
			return diag_set(
				d, -ENOENT,
				"ipxe_dir \"%s\" is not a directory: give the directory holding "
				"Debian's ipxe binaries (ipxe.lkrn, ipxe-amd64.efi, "
				"ipxe-arm64.efi)",
				c->ipxe_dir);
		snprintf(out, outsz, "%s", c->ipxe_dir);
		return 0;
	}
	if (env && *env) {
		snprintf(out, outsz, "%s", env);
		return 0;
	}
	snprintf(cand[n++], PATH_MAX, "/var/cache/chainboot/ipxe/usr/lib/ipxe");
	if (xdg && *xdg)
		snprintf(cand[n++], PATH_MAX, "%s/chainboot/ipxe/usr/lib/ipxe", xdg);
	else if (home && *home)
		snprintf(cand[n++], PATH_MAX, "%s/.cache/chainboot/ipxe/usr/lib/ipxe", home);
	snprintf(cand[n++], PATH_MAX, "/usr/lib/ipxe"); /* Debian 13+'s own package */
	for (unsigned i = 0; i < n; i++) {
		if (ipxe_dir_ok(cand[i])) {
			snprintf(out, outsz, "%s", cand[i]);
			return 0;
		}
	}
	return diag_set(
		d, -ENOENT,
		"no iPXE binaries found (looked in %s%s%s%s%s): run chainboot-fetch-ipxe (in a "
		"source tree: scripts/chainboot-fetch-ipxe) to fetch "
		"them, or give --ipxe-dir DIR (ipxe_dir =) with Debian's ipxe package binaries "
		"(trixie or newer)",
		cand[0], n > 1 ? ", " : "", n > 1 ? cand[1] : "", n > 2 ? ", " : "",
		n > 2 ? cand[2] : "");
}
