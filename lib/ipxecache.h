/* ipxecache: rebranded copies of iPXE binaries, cached on disk by (SHA-256 of the
 * stock binary, user-class), so builds (and later chainbootd) rebrand each binary once. */
#ifndef CB_IPXECACHE_H
#define CB_IPXECACHE_H

#include <stddef.h>

#include "diag.h"
#include "siteconf.h"

/* The cache directory: $CHAINBOOT_CACHE/rebranded, else /var/cache/chainboot/rebranded
 * as root, else $XDG_CACHE_HOME (or ~/.cache)/chainboot/rebranded. Not created here.
 * Returns 0 or -ENAMETOOLONG / -ENOENT (no HOME for a non-root user). */
int ipxecache_dir(char *out, size_t outsz, struct diag *d);

/* The same root with another subdirectory sub (e.g. "ipxe-build"): where chainboot keeps
 * what it makes once and uses again. Not created here. Errors as ipxecache_dir(). */
int ipxecache_root(const char *sub, char *out, size_t outsz, struct diag *d);

/* A copy of the iPXE binary at src that sends user-class cls, as a path in out:
 *  - src itself when it already sends cls (e.g. built by chainboot build-ipxe);
 *  - the cached copy when there is a valid one (same size, class cls), or when the
 *    index (DIR.index/) says that copy was verified and neither file changed since;
 *  - else a new copy: rebranded in memory, verified, written atomically into the
 *    cache with src's modification time (so an image's epoch does not change).
 * *rebranded (may be NULL) tells whether out is a rebranded copy (1) or src (0).
 * Returns 0, or rebrand_bytes()'s errors (src not stock iPXE, class too long, ...),
 * or -errno when the cache cannot be written (d names the directory and the way out:
 * CHAINBOOT_CACHE or --no-rebrand). */
int ipxecache_get(const char *src, const char *cls, char *out, size_t outsz, int *rebranded,
		  struct diag *d);

/* The directory of stock iPXE binaries: c->ipxe_dir when set (must be a directory),
 * else $CHAINBOOT_IPXE_DIR, else the first of the deps.sh cache (root's, then the
 * user's) and /usr/lib/ipxe that holds ipxe.lkrn and ipxe-arm64.efi. */
int ipxecache_find_dir(const struct site_config *c, char *out, size_t outsz, struct diag *d);

#endif
