/* bootroot: open a requested file — a built-in boot file or one under boot_root — safely. */
#ifndef CB_BOOTROOT_H
#define CB_BOOTROOT_H

#include <stddef.h>
#include <sys/types.h>

#include "server.h"

struct bootroot_file {
	int fd;		  /* open read-only (caller closes), or -1 when data is set */
	const char *data; /* in-memory built-in file (not owned) */
	off_t size;
	time_t mtime;	  /* for Last-Modified and the ETag */
	const char *type; /* MIME type guessed from the name, for HTTP */
};

/* Resolve a client's path (untrusted: from TFTP or an HTTP URL, already percent-decoded)
 * to a file: built-in boot files first, then s->boot_root_fd with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), fstat'ed, regular files only.
 * Leading '/' is ignored. Returns 0, -ENOENT (not found, or refused: the caller
 * reports "not found" without any server path), -EACCES or another -errno. */
int bootroot_open(const struct server *s, const char *path, struct bootroot_file *f);

#endif
