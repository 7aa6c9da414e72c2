/* inspect: report what an image (hybrid ISO, disk/USB image, FAT image) or a single
 * iPXE binary holds: partitions, file systems, El Torito entries, iPXE binaries and
 * their user-class, and the embedded chain script's user-class and URLs. */
#ifndef CB_INSPECT_H
#define CB_INSPECT_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"

/* Inspect the image (or block device) at path and print the report to out: text,
 * or with json one JSON object. Problems inside a recognised image (a damaged iPXE
 * binary, mtools missing, an unreadable script) are part of the report, not a
 * failure. Returns 0; -ENOENT/-EACCES/-EIO... if the file cannot be read;
 * -EINVAL if it is none of ISO 9660 image, disk image, FAT image, iPXE binary.
 * On failure d has "path: reason" and nothing is printed. */
int inspect_image(const char *path, bool json, FILE *out, struct diag *d);

/* Whether the file open at fd looks like an image a machine can boot from: an ISO 9660
 * volume descriptor at sector 16, or a boot sector (55 aa at byte 510: MBR, GPT, FAT).
 * Returns 0 if so; -EINVAL with why set ("it is xz-compressed: ...") if not; -errno if
 * it cannot be read. For write and try, which would otherwise copy or boot anything. */
int inspect_sniff_image(int fd, char *why, size_t whysz);

#endif
