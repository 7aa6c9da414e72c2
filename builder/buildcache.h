/* buildcache: where build-ipxe keeps its work between runs — one build tree per iPXE
 * source (so make only redoes what changed) and the result sets of recent builds, each
 * under the key of everything that went into it (so an identical build is a copy). */
#ifndef CB_BUILDCACHE_H
#define CB_BUILDCACHE_H

#include <stddef.h>
#include <stdio.h>

#include "diag.h"

#define BUILDCACHE_ID_LEN  16 /* hex digits of a source identity */
#define BUILDCACHE_KEEP	   8  /* result sets kept per tree (the newest) */
#define BUILDCACHE_KEY_HEX 65 /* a result key: SHA-256 in hex with its NUL */

/* The identity of the source tree at srcdir: a digest of every file's relative path,
 * size, mode and modification time (not its bytes: a tree of ~3000 files is checked in
 * milliseconds), leaving out the top-level build directories bin and bin-*. Any edit
 * of the tree changes it. Order does not matter (a sum of per-file digests). Returns 0
 * or -errno with d naming the file. */
int buildcache_source_id(const char *srcdir, char out[BUILDCACHE_ID_LEN + 1], struct diag *d);

/* Take the exclusive lock of the tree directory dir (created if need be): one build per
 * tree at a time; a second waits, saying so on log. *fd keeps it; buildcache_unlock()
 * releases it. Returns 0, -EINTR (a signal while waiting) or -errno. */
int buildcache_lock(const char *dir, int *fd, FILE *log, struct diag *d);
void buildcache_unlock(int fd);

/* Whether dir/results/key holds a complete result set (its .complete stamp names key). */
int buildcache_has(const char *dir, const char *key);

/* Mark dir/results/key complete (after its files were written) and remove the oldest
 * result sets beyond BUILDCACHE_KEEP. Returns 0 or -errno. */
int buildcache_commit(const char *dir, const char *key, struct diag *d);

/* Whether to write a file: its current content differs from data (or it is missing).
 * Rewriting an unchanged input would make iPXE's make redo what depends on it. */
int buildcache_differs(const char *path, const void *data, size_t len);

#endif
