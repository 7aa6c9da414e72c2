/* fsextent: list the files of an ISO 9660, FAT or MBR disk image as byte ranges of the
 * image, so that a file can be patched in place without unpacking the image. */
#ifndef CB_FSEXTENT_H
#define CB_FSEXTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define FSEXTENT_PATH_MAX    256
#define FSEXTENT_MAX_DEPTH   16	   /* directory nesting we follow */
#define FSEXTENT_MAX_ENTRIES 65536 /* directory entries we read, over the whole walk */

struct fsextent_file {
	char path[FSEXTENT_PATH_MAX]; /* "/IPXE.KRN", "/EFI.IMG:/EFI/BOOT/BOOTX64.EFI" */
	size_t off;		      /* first byte in the image */
	size_t len;		      /* file size */
	bool contiguous;	      /* false: the bytes are not one range (FAT fragments, ISO
			   * multi-extent); off/len then cover only the first piece */
};

/* Called for every regular file; a negative return stops the walk and is returned. */
typedef int (*fsextent_cb)(const struct fsextent_file *f, void *ctx);

/* Walk img[0..len): an ISO 9660 image (its files, and the files of FAT images stored
 * in it, such as an El Torito EFI image), else an MBR disk image (the FAT partitions),
 * else a FAT image. A hybrid ISO's MBR is not walked (its partitions point at files
 * the ISO lists already). Every structure is untrusted and checked against len.
 * Returns 0, -ENOENT (none of those formats), -EBADMSG (a structure points outside the
 * image or loops: d says where), -E2BIG (more entries or depth than the caps), -EFBIG
 * (an ISO directory over ISO9660_DIR_MAX), -ENOTSUP (an ISO block size other than 512,
 * 1024 or 2048), or the callback's return value. */
int fsextent_walk(const uint8_t *img, size_t len, fsextent_cb cb, void *ctx, struct diag *d);

#endif
