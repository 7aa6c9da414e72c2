/* diskfacts: gather the facts diskpolicy decides on — sysfs attributes, holders,
 * /proc/self/mountinfo, /proc/swaps, libblkid — for one target path, from this machine
 * or from a recorded snapshot directory (tests/data/disks/NAME, see its README). */
#ifndef CB_DISKFACTS_H
#define CB_DISKFACTS_H

#include "diag.h"
#include "diskpolicy.h"

/* The facts about path on this machine. A missing path or a non-device is not an
 * error (f->kind says so; the policy refuses it). Returns 0 or -errno with d set
 * (e.g. -EACCES when the device cannot be probed without root). */
int diskfacts_gather(const char *path, struct disk_facts *f, struct diag *d);

/* The same facts from a recorded snapshot directory:
 *   target              "path=/dev/sdb", "kind=block|regular|missing|other", "rdev=8:16", "size=N"
 *   sys/…               the sysfs subset (dev/block/MAJ:MIN and class/block/NAME symlinks
 *                       into devices/…, with their attribute files)
 *   proc/self/mountinfo, proc/swaps   copies of the originals
 *   blkid               `blkid -o export` of the disk and its partitions
 * Returns 0 or -errno with d naming the file and line that is wrong. */
int diskfacts_load(const char *dir, struct disk_facts *f, struct diag *d);

/* Parsers, exposed for unit tests. Each takes the whole file text (NUL-terminated)
 * and appends to f; lines that cannot be parsed are skipped (they are the kernel's
 * own format), but a table that does not fit is -E2BIG. */
int diskfacts_parse_mountinfo(const char *text, struct disk_facts *f, struct diag *d);
int diskfacts_parse_swaps(const char *text, struct disk_facts *f, struct diag *d);

#endif
