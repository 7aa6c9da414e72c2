/* server: what chainbootd's services share — config, boot files and the inventory. */
#ifndef CB_SERVER_H
#define CB_SERVER_H

#include <stddef.h>
#include <stdbool.h>
#include <time.h>

#include "clientmac.h"
#include "loop.h"
#include "siteconf.h"

struct timeline;
struct ra;	  /* ra.h: the Router Solicitation responder, or NULL */
struct inventory; /* lib/inventory.h: reloadable; NULL = every machine unknown */

/* The files the daemon serves without the user copying anything: the rebranded iPXE
 * binaries (by Debian file name: ipxe.pxe, undionly.kpxe, snponly.efi, ipxe-amd64.efi,
 * ipxe-arm64.efi, ipxe.lkrn) and autoexec.ipxe (the chain script); held open or in
 * memory, prepared before privileges are dropped. */
struct bootfile {
	const char *name; /* as requested over TFTP/HTTP, e.g. "snponly.efi" */
	int fd;		  /* open read-only, or -1 when data is set */
	const char *data; /* in-memory content (e.g. autoexec.ipxe) */
	size_t len;
	time_t mtime; /* when it was made (in-memory files: when the daemon prepared it) */
	/* A stock binary that asks DHCP as another class than ours (user-class too long
	 * to rebrand in place, or rebrand = no): BIOS clients would loop on it. */
	bool foreign_class;
};

struct server {
	const struct site_config *cfg;
	struct loop *loop;
	struct bootfile *files; /* the built-in boot files */
	size_t n_files;
	int boot_root_fd;      /* cfg->boot_root opened O_PATH|O_DIRECTORY, or -1 */
	struct inventory *inv; /* current inventory (swapped on reload) */
	struct timeline *tl;   /* boot timelines and counters (timeline.h), or NULL */
	struct clientmac macs; /* IP -> MAC from proxyDHCP requests, for TFTP/HTTP logs */
	struct ra *ra;	       /* told of each PXE client proxyDHCP answers */
};

/* Find a built-in boot file by name, or NULL. */
const struct bootfile *server_bootfile(const struct server *s, const char *name);

#endif
