/* bootfiles: the files chainbootd serves without the user copying anything — the
 * package's iPXE binaries rebranded to our user-class, and autoexec.ipxe (the chain
 * script) — prepared in memory at start, before privileges are dropped. */
#ifndef CB_BOOTFILES_H
#define CB_BOOTFILES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "server.h"
#include "siteconf.h"

#define BOOTFILES_MAX 16

struct bootfiles {
	struct bootfile files[BOOTFILES_MAX]; /* what struct server points at */
	size_t n;
	void *mem[BOOTFILES_MAX];	/* buffers we own */
	const char *how[BOOTFILES_MAX]; /* "rebranded", "stock", "generated", "alias" */
	unsigned have;			/* DECIDE_HAVE_* bits */
	char ipxe_dir[PATH_MAX];
	char missing[256];   /* names not found in ipxe_dir, for the log */
	char stock_why[512]; /* why binaries are served stock, "" when rebranded */
	char sb_note[512];   /* what [secureboot] mode did to the binaries, "" when off */
};

/* Find the iPXE directory (cfg ipxe_dir, CHAINBOOT_IPXE_DIR, the deps cache), rebrand
 * each binary to c->user_class through the rebrand cache (lib/ipxecache; in memory if
 * the cache cannot be written), render autoexec.ipxe from scripts/chain.ipxe.in.
 * A class that does not fit a binary (over 4 bytes) serves the stock binaries and says
 * so in stock_why. A missing binary is left out (named in missing); no binary at all is
 * an error. [secureboot] db and shim: every EFI binary is the rebranded copy signed with
 * the site key (lib/sbsign, verified); shim adds shimx64.efi, mmx64.efi and grubx64.efi
 * (the signed iPXE under the name shim asks for); vendor: the binaries unchanged. Returns 0 or -errno with d set. */
int bootfiles_prepare(const struct site_config *c, struct bootfiles *bf, struct diag *d);

void bootfiles_free(struct bootfiles *bf);

#endif
