/* plan: site config + layout -> the exact list of files and parameters of one image. */
#ifndef CB_PLAN_H
#define CB_PLAN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "diag.h"
#include "layout.h"
#include "siteconf.h"

struct plan_file {
	enum layout_area area;
	char dest[LAYOUT_PATH_MAX];
	char src[PATH_MAX]; /* file to copy, or "" when data holds generated content */
	char *data;	    /* generated content (malloc'd), or NULL */
	size_t len;	    /* size of the file or of data */
};

struct plan {
	const struct site_config *cfg;
	const struct layout *layout;
	struct plan_file files[LAYOUT_MAX_ENTRIES];
	unsigned n_files;
	char *script; /* the chain script (shared by every "script" entry) */
	size_t script_len;
	char ipxe_dir[PATH_MAX];
	bool bios;	 /* the image gets a BIOS boot path */
	bool esp;	 /* the image gets an ESP */
	time_t epoch;	 /* every timestamp in the image */
	uint32_t serial; /* FAT serial / MBR id, derived from the content */
	bool rebrand;	 /* iPXE binaries are rebranded copies (from the cache) */
	char note[768];	 /* something the user should know, not an error ("" if none) */
};

/* Build the plan: choose the entries for c->arch, resolve every source file (iPXE,
 * syslinux), render templates and the chain script from datadir/scripts, and fix the
 * epoch (SOURCE_DATE_EPOCH, else the newest input file's mtime) and serial. iPXE
 * binaries are replaced by copies rebranded to c->user_class (c->rebrand), made or
 * found in the cache (lib/ipxecache); a cache entry keeps the stock file's mtime. */
int plan_make(const struct site_config *c, const struct layout *l, const char *datadir,
	      struct plan *p, struct diag *d);

void plan_free(struct plan *p);

#endif
