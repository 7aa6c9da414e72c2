/* test_bootroot: opening client-named files safely — built-in files first, then beneath
 * boot_root only: "..", absolute paths, symlinks (in or out of the root), directories
 * and FIFOs are all "not found"; MIME types by extension. Runs in a private temp dir. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootroot.h"
#include "test.h"

static char tmp[] = "/tmp/cbtest-bootroot.XXXXXX";

static void put(const char *rel, const char *content)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	f = fopen(p, "w");
	if (!f || fputs(content, f) < 0 || fclose(f) != 0) {
		perror(p);
		exit(1);
	}
}

static void mk(const char *what, const char *rel, const char *target)
{
	char p[PATH_MAX];
	int rc;

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	if (!strcmp(what, "dir"))
		rc = mkdir(p, 0755);
	else if (!strcmp(what, "fifo"))
		rc = mkfifo(p, 0644);
	else
		rc = symlink(target, p);
	if (rc < 0) {
		perror(p);
		exit(1);
	}
}

/* Open and describe: rc, and for success the size and type. */
static int try_open(const struct server *s, const char *path, struct bootroot_file *f)
{
	int rc = bootroot_open(s, path, f);

	if (rc == 0 && f->fd >= 0) {
		close(f->fd);
		f->fd = -2; /* opened and closed */
	}
	return rc;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p) < 0 ? -1 : 0;
}

static void cleanup(void)
{
	/* our own temp dir only (the name came from mkdtemp); symlinks are not followed */
	if (nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
}

int main(void)
{
	static const char script[] = "#!ipxe\necho built-in\n";
	struct bootfile files[2];
	struct server s = { 0 };
	struct bootroot_file f;
	char root[PATH_MAX], outside[PATH_MAX + 32], longpath[PATH_MAX + 10];
	int rc, exe;

	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	atexit(cleanup);
	mk("dir", "root", NULL);
	mk("dir", "root/sub", NULL);
	put("outside.txt", "secret\n");
	put("root/a.txt", "hello\n");
	put("root/sub/b.efi", "MZ....");
	put("root/Menu.IPXE", "#!ipxe\n");
	put("root/autoexec.ipxe", "shadowed: must not be served\n");
	mk("symlink", "root/link-in", "a.txt");
	mk("symlink", "root/link-out", "../outside.txt");
	mk("symlink", "root/link-abs", "/etc/passwd");
	mk("symlink", "root/linkdir", "sub");
	mk("fifo", "root/fifo", NULL);
	snprintf(root, sizeof(root), "%s/root", tmp);
	snprintf(outside, sizeof(outside), "%s/outside.txt", tmp);

	exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	files[0] = (struct bootfile){ .name = "autoexec.ipxe",
				      .fd = -1,
				      .data = script,
				      .len = sizeof(script) - 1 };
	files[1] = (struct bootfile){ .name = "snponly.efi", .fd = exe };
	s.files = files;
	s.n_files = 2;
	s.boot_root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s.boot_root_fd < 0 || exe < 0) {
		perror("open");
		return 1;
	}

	rc = try_open(&s, "a.txt", &f);
	ok(rc == 0 && f.fd == -2 && f.size == 6 && !strcmp(f.type, "text/plain; charset=utf-8"),
	   "a file beneath the root (rc %d)", rc);
	ok(try_open(&s, "/a.txt", &f) == 0 && try_open(&s, "///a.txt", &f) == 0,
	   "leading slashes ignored");
	rc = try_open(&s, "sub/b.efi", &f);
	ok(rc == 0 && f.size == 6 && !strcmp(f.type, "application/octet-stream"),
	   "sub/b.efi, binary type");
	ok(try_open(&s, "sub/../a.txt", &f) == 0, "\"..\" that stays beneath the root is fine");
	ok(try_open(&s, "Menu.IPXE", &f) == 0 && !strcmp(f.type, "text/plain; charset=utf-8"),
	   "extension matched without case");

	ok(try_open(&s, "../outside.txt", &f) == -ENOENT, "../ escape refused as not found");
	ok(try_open(&s, "sub/../../outside.txt", &f) == -ENOENT, "deeper ../ escape refused");
	ok(try_open(&s, outside, &f) == -ENOENT, "absolute path (%s) is taken beneath the root",
	   outside);
	ok(try_open(&s, "link-in", &f) == -ENOENT, "symlink inside the root refused");
	ok(try_open(&s, "link-out", &f) == -ENOENT, "symlink out of the root refused");
	ok(try_open(&s, "link-abs", &f) == -ENOENT, "absolute symlink refused");
	ok(try_open(&s, "linkdir/b.efi", &f) == -ENOENT, "symlinked directory on the way refused");
	ok(try_open(&s, "sub", &f) == -ENOENT, "a directory is not served");
	ok(try_open(&s, "fifo", &f) == -ENOENT,
	   "a FIFO is not served (and opening it did not hang)");
	ok(try_open(&s, "missing", &f) == -ENOENT, "missing file");
	ok(try_open(&s, "", &f) == -ENOENT && try_open(&s, "/", &f) == -ENOENT,
	   "empty path, \"/\"");
	ok(try_open(&s, ".", &f) == -ENOENT, "\".\" is the root directory: not served");
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	ok(try_open(&s, longpath, &f) == -ENOENT, "path over PATH_MAX");

	rc = try_open(&s, "autoexec.ipxe", &f);
	ok(rc == 0 && f.fd == -1 && f.data == script && f.size == (off_t)sizeof(script) - 1,
	   "built-in file from memory wins over boot_root's copy");
	rc = bootroot_open(&s, "/snponly.efi", &f);
	ok(rc == 0 && f.fd >= 0 && f.fd != exe && f.size > 0 && !f.data,
	   "built-in file from an fd: a duplicate the caller closes");
	if (rc == 0)
		close(f.fd);
	ok(fcntl(exe, F_GETFD) >= 0, "the built-in fd itself stays open");

	close(s.boot_root_fd);
	s.boot_root_fd = -1;
	ok(try_open(&s, "a.txt", &f) == -ENOENT && try_open(&s, "autoexec.ipxe", &f) == 0,
	   "without boot_root only built-in files");
	s.n_files = 0;
	s.files = NULL;
	ok(try_open(&s, "autoexec.ipxe", &f) == -ENOENT, "no built-in files, no root: nothing");

	if (geteuid() != 0) {
		char p[PATH_MAX + 16];
		put("root/locked", "x");
		snprintf(p, sizeof(p), "%s/root/locked", tmp);
		chmod(p, 0);
		s.boot_root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		ok(try_open(&s, "locked", &f) == -EACCES, "unreadable file: access violation");
		close(s.boot_root_fd);
	} else {
		printf("skip unreadable-file check: root reads every file\n");
	}
	close(exe);
	return test_done();
}
