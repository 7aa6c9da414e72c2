/* inspect_probe: the facts of an image (hybrid ISO, disk/USB image, FAT image) or of a
 * single iPXE binary, as one JSON document: partitions, file systems, El Torito
 * entries, iPXE binaries and their user-class, the chain script's user-class and URLs.
 * The document is what `chainboot inspect --json` prints; inspect_report renders it. */
#ifndef CB_INSPECT_PROBE_H
#define CB_INSPECT_PROBE_H

#include <jansson.h>
#include <stdint.h>

#include "diag.h"

/* Leave FAT volumes out: they are read with mtools, a child process per file (the
 * fuzz harness probes in-process only). */
#define INSPECT_PROBE_NO_FAT 1u

/* Probe the image open at fd (size bytes; path names it in the facts and messages).
 * Problems inside a recognised image (a damaged iPXE binary, mtools missing, an
 * unreadable script) are facts, not failures. Returns 0 with *out the document (the
 * caller's reference); -EINVAL if it is none of ISO 9660 image, disk image, FAT image,
 * iPXE binary; -EBADMSG for a damaged iPXE binary or ISO volume; -ENOMEM; d has
 * "path: reason". */
int inspect_probe(int fd, uint64_t size, const char *path, unsigned flags, json_t **out,
		  struct diag *d);

#endif
