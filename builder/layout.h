/* layout: the declarative image layouts in layouts/NAME.layout, read into a struct the plan uses. */
#ifndef CB_LAYOUT_H
#define CB_LAYOUT_H

#include <stdbool.h>

#include "diag.h"

#define LAYOUT_MAX_ENTRIES 64
#define LAYOUT_PATH_MAX	   128

enum layout_container {
	LAYOUT_ISO,  /* ISO 9660 file (xorriso), optionally a hybrid disk too */
	LAYOUT_DISK, /* MBR disk image with one FAT partition */
	LAYOUT_ESP,  /* a bare FAT image (an EFI system partition) */
};

enum layout_bios {
	LAYOUT_BIOS_NONE,
	LAYOUT_BIOS_ISOLINUX, /* El Torito no-emulation boot of ISOLINUX */
	LAYOUT_BIOS_SYSLINUX, /* syslinux installed into the FAT partition with mtools */
};

enum layout_area {
	LAYOUT_AREA_TREE, /* the ISO 9660 tree (iso) or the FAT partition (disk) */
	LAYOUT_AREA_ESP,  /* the FAT ESP image (El Torito EFI image in iso; the output for esp) */
};

enum layout_src {
	LAYOUT_SRC_IPXE,     /* ipxe:NAME: a binary from the iPXE directory */
	LAYOUT_SRC_SYSLINUX, /* syslinux:NAME: a file from the isolinux/syslinux packages */
	LAYOUT_SRC_TEMPLATE, /* template:NAME: scripts/NAME.in with @VARS@ filled in */
	LAYOUT_SRC_SCRIPT,   /* script: the generated chain script */
};

struct layout_entry {
	enum layout_area area;
	unsigned arch;		    /* SITE_ARCH_* bits it is for; 0 = every arch */
	char dest[LAYOUT_PATH_MAX]; /* path inside the area, no leading '/' */
	enum layout_src src;
	char name[LAYOUT_PATH_MAX]; /* NAME of ipxe:/syslinux:/template: */
	unsigned line;		    /* in the layout file, for messages */
};

struct layout {
	char name[64];
	char path[4096];
	char description[256];
	enum layout_container container;
	enum layout_bios bios;
	bool hybrid; /* iso: also a USB disk (MBR + GPT, isohybrid-gpt-basdat) */
	char bios_boot[LAYOUT_PATH_MAX];    /* iso: El Torito BIOS boot file in the tree */
	char boot_catalog[LAYOUT_PATH_MAX]; /* iso: where the El Torito catalog goes */
	char esp_image[LAYOUT_PATH_MAX];    /* iso: path of the ESP image in the tree */
	char bios_dir[LAYOUT_PATH_MAX];	    /* disk: directory syslinux installs into */
	unsigned arch_allowed;		    /* which arches the layout can carry */
	struct layout_entry entries[LAYOUT_MAX_ENTRIES];
	unsigned n_entries;
};

/* Load layouts/NAME.layout from dir. Errors name the file, line and what is allowed;
 * an unknown NAME lists the layouts that exist. */
int layout_load(const char *dir, const char *name, struct layout *l, struct diag *d);

/* Parse layout text (what layout_load reads); origin names it in messages. */
int layout_parse(const char *text, const char *origin, struct layout *l, struct diag *d);

/* Does the layout boot anything for these arches? (-EINVAL with the reason if not.) */
int layout_check_arch(const struct layout *l, unsigned arch, struct diag *d);

#endif
