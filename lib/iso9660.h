/* iso9660: the one reader of ISO 9660 volumes (ECMA-119) with Rock Ridge names and of
 * their El Torito boot catalogs, over a read callback (a file, or bytes in memory), for
 * inspect and the extent finder (fsextent). */
#ifndef CB_ISO9660_H
#define CB_ISO9660_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define ISO9660_SECTOR	  2048u	     /* a CD sector: volume descriptors, El Torito */
#define ISO9660_DIR_MAX	  (4u << 20) /* one directory extent we read */
#define ISO9660_NAME_MAX  255u	     /* Rock Ridge names are cut here */
#define ISO9660_PATH_MAX  4096u	     /* paths named by iso9660_name_lba */
#define ISO9660_DEPTH_MAX 16u	     /* path components iso9660_lookup follows */
#define ISO9660_WALK_MAX  20000u     /* entries iso9660_name_lba visits */
#define ISO9660_QUEUE_MAX 256u	     /* directories iso9660_name_lba queues */
#define ELTORITO_MAX	  64u	     /* catalog entries read */

/* Read exactly len bytes at off into buf: 0 or -errno. The reader calls it only for
 * ranges inside the image (off + len <= size), never for more than ISO9660_DIR_MAX. */
typedef int (*iso9660_read_fn)(void *ctx, uint64_t off, void *buf, size_t len);

struct iso9660 {
	iso9660_read_fn read;
	void *ctx;
	uint64_t size;	/* of the image: every extent is checked against it */
	unsigned block; /* logical block size: 2048, or 512 / 1024 */
	uint32_t root_lba, root_size;
	uint8_t volume_id[32]; /* as stored (any bytes), trailing spaces and NULs cut */
	size_t volume_id_len;
	uint32_t volume_blocks;
	bool have_catalog;    /* an El Torito boot record was found */
	uint32_t catalog_lba; /* in 2048-byte sectors */
};

/* One directory record ("." and ".." are never reported). */
struct iso9660_ent {
	char name[ISO9660_NAME_MAX + 1];     /* Rock Ridge name, else the ISO name */
	char iso_name[ISO9660_NAME_MAX + 1]; /* ISO name: ";1" and a final "." cut, bytes
					      * outside printable ASCII shown as '?' */
	bool rr;			     /* name is a Rock Ridge name */
	bool dir;
	bool multi; /* a multi-extent file's record other than the last */
	uint32_t lba, size;
};

/* 0 to go on, 1 to stop (not an error), negative to stop with that error. */
typedef int (*iso9660_dir_cb)(const struct iso9660_ent *e, void *ctx);

/* The volume descriptors from sector 16 on: the primary one and an El Torito boot
 * record. Returns 0; -ENOENT if there is no ISO 9660 volume descriptor; -EBADMSG
 * (no primary volume descriptor) or -ENOTSUP (block size not 512, 1024 or 2048) with d
 * set; or the read callback's error. */
int iso9660_open(struct iso9660 *iso, iso9660_read_fn read, void *ctx, uint64_t size,
		 struct diag *d);

/* Read len bytes at off; -ERANGE if the range is not inside the image. */
int iso9660_pread(const struct iso9660 *iso, uint64_t off, void *buf, size_t len);

/* Call cb for every record of the directory extent (lba, size): names from Rock Ridge
 * NM entries (following up to 4 CE continuation areas) or the ISO name. Returns 0 (also
 * when cb stopped it), cb's negative value, or -EFBIG / -EBADMSG (over ISO9660_DIR_MAX,
 * outside the image, a bad record) with d set. */
int iso9660_readdir(const struct iso9660 *iso, uint32_t lba, uint32_t size, iso9660_dir_cb cb,
		    void *ctx, struct diag *d);

/* Look up an absolute path ("/isolinux/isolinux.cfg"): Rock Ridge names compare with
 * case, ISO names without. Returns 0, -ENOENT, or readdir's error. */
int iso9660_lookup(const struct iso9660 *iso, const char *path, struct iso9660_ent *out,
		   struct diag *d);

/* The path of the file whose extent starts at lba ("/isolinux/isolinux.bin"), found by a
 * breadth-first walk bounded by ISO9660_WALK_MAX entries and ISO9660_QUEUE_MAX
 * directories (each directory queued once: damaged images loop); "" if not found. */
void iso9660_name_lba(const struct iso9660 *iso, uint32_t lba, char *out, size_t outsz);

/* One El Torito boot entry (1995 specification: default entry, section entries). */
struct eltorito_entry {
	unsigned platform; /* 0 x86 BIOS, 0xef EFI, ... */
	bool bootable;
	unsigned media; /* 0 no emulation, 1-3 floppies, 4 hard disk */
	uint16_t load_seg;
	uint16_t sectors; /* 512-byte units */
	uint32_t lba;	  /* 2048-byte sectors */
};

/* The boot catalog (iso->have_catalog): the validation entry checked, then the default
 * entry and every section's entries, at most max. Returns 0 with *n entries, or
 * -EBADMSG / -EIO with d set (*n holds what was read before). */
int eltorito_read(const struct iso9660 *iso, struct eltorito_entry *ents, size_t max, size_t *n,
		  struct diag *d);

const char *eltorito_platform_name(unsigned platform); /* "x86 BIOS", "EFI", ... */
const char *eltorito_media_name(unsigned media);       /* "no emulation", ... */

/* A read callback over bytes in memory: ctx is a struct iso9660_mem. */
struct iso9660_mem {
	const uint8_t *p;
	size_t len;
};
int iso9660_mem_read(void *ctx, uint64_t off, void *buf, size_t len);

#endif
