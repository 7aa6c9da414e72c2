/* bootroot: open the file a client asked for — a built-in boot file, else one beneath
 * boot_root — for TFTP and HTTP. The path is untrusted (a TFTP file name or a decoded
 * URL path from any client): it is resolved by the kernel with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS) relative to the root's fd, so "..", absolute paths and every
 * symlink are refused without a stat/open race, and only regular files are served. */
#include "bootroot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* glibc 2.36 (Debian 12) has no openat2() wrapper. */
static int sys_openat2(int dirfd, const char *path, const struct open_how *how)
{
	return (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

/* MIME type by extension, for HTTP's Content-Type. iPXE ignores it; browsers and curl
 * users looking at the server do not. */
static const char *mime_type(const char *path)
{
	static const struct {
		const char *ext;
		const char *type;
	} types[] = {
		{ "ipxe", "text/plain; charset=utf-8" },
		{ "txt", "text/plain; charset=utf-8" },
		{ "cfg", "text/plain; charset=utf-8" },
		{ "conf", "text/plain; charset=utf-8" },
		{ "ks", "text/plain; charset=utf-8" },
		{ "sh", "text/plain; charset=utf-8" },
		{ "yaml", "text/plain; charset=utf-8" },
		{ "yml", "text/plain; charset=utf-8" },
		{ "html", "text/html; charset=utf-8" },
		{ "htm", "text/html; charset=utf-8" },
		{ "css", "text/css" },
		{ "json", "application/json" },
		{ "xml", "application/xml" },
		{ "iso", "application/x-iso9660-image" },
		{ "gz", "application/gzip" },
		{ "xz", "application/x-xz" },
		{ "zst", "application/zstd" },
		{ "tar", "application/x-tar" },
		{ "png", "image/png" },
		{ "jpg", "image/jpeg" },
		{ "svg", "image/svg+xml" },
	};
	const char *slash = strrchr(path, '/'), *dot = strrchr(slash ? slash : path, '.');

	if (dot && dot[1])
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (!strcasecmp(dot + 1, types[i].ext))
				return types[i].type;
	/* EFI binaries, kernels, initrds, .kpxe/.pxe/.lkrn: raw bytes */
	return "application/octet-stream";
}

/* The built-in files (rebranded iPXE binaries, autoexec.ipxe) take precedence over
 * boot_root, so a stray file there cannot shadow what the proxy hands out. Searched
 * here rather than through server_bootfile() so that this module links on its own. */
static const struct bootfile *builtin(const struct server *s, const char *name)
{
	for (size_t i = 0; s->files && i < s->n_files; i++)
		if (s->files[i].name && !strcmp(s->files[i].name, name))
			return &s->files[i];
	return NULL;
}

/* Hand fd out as name if it is a regular file; else close it. Directories, devices,
 * FIFOs and sockets are never served. */
static int serve_fd(int fd, const char *name, struct bootroot_file *f)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -ENOENT;
	}
	f->fd = fd;
	f->data = NULL;
	f->size = st.st_size;
	f->mtime = st.st_mtime;
	f->type = mime_type(name);
	return 0;
}

static int open_builtin(const struct bootfile *b, const char *name, struct bootroot_file *f)
{
	int fd;

	if (b->fd < 0) {
		if (!b->data)
			return -ENOENT;
		f->fd = -1;
		f->data = b->data;
		f->size = (off_t)b->len;
		f->mtime = b->mtime;
		f->type = mime_type(name);
		return 0;
	}
	/* The caller closes what it gets; the shared fd stays open for the next client.
	 * The duplicate shares the file offset, so readers use pread(), never read(). */
	fd = fcntl(b->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	return serve_fd(fd, name, f);
}

int bootroot_open(const struct server *s, const char *path, struct bootroot_file *f)
{
	struct open_how how;
	const struct bootfile *b;
	int fd;

	f->fd = -1;
	f->data = NULL;
	f->size = 0;
	f->mtime = 0;
	f->type = NULL;
	while (*path == '/')
		path++;
	if (!*path || strlen(path) >= PATH_MAX)
		return -ENOENT;
	if ((b = builtin(s, path)))
		return open_builtin(b, path, f);
	if (s->boot_root_fd < 0)
		return -ENOENT;

	memset(&how, 0, sizeof(how));
	/* O_NONBLOCK: opening a FIFO someone left in the root must not hang the loop;
	 * it is refused after fstat anyway. */
	how.flags = O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	fd = sys_openat2(s->boot_root_fd, path, &how);
	if (fd < 0) {
		switch (errno) {
		case EACCES:
		case EPERM:
			return -EACCES;
		case ENOSYS: /* kernel older than 5.6: refuse rather than open unsafely */
			return -ENOSYS;
		case ENOMEM:
		case EMFILE:
		case ENFILE:
			return -errno;
		default:
			/* ENOENT, ENOTDIR, EXDEV (escapes the root), ELOOP (a symlink),
			 * ENAMETOOLONG, EISDIR...: all "not found" to the client. */
			return -ENOENT;
		}
	}
	return serve_fd(fd, path, f);
}
