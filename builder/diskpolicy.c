/* diskpolicy: the refusal rules of `chainboot write`, as pure code over a disk_facts
 * snapshot (see diskpolicy.h). The facts come from the running system or a recorded
 * snapshot; strings in them (labels, mount points, dm names) are shown, never parsed. */
#include "diskpolicy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *diskpolicy_code_name(enum dp_code c)
{
	switch (c) {
	case DP_MISSING:
		return "missing";
	case DP_NOT_DEVICE:
		return "not-a-device";
	case DP_REGULAR_FILE:
		return "regular-file";
	case DP_PARTITION:
		return "partition";
	case DP_READ_ONLY:
		return "read-only";
	case DP_NO_MEDIUM:
		return "no-medium";
	case DP_TOO_SMALL:
		return "too-small";
	case DP_RUNNING_SYSTEM:
		return "running-system";
	case DP_MOUNTED:
		return "mounted";
	case DP_SWAP:
		return "swap";
	case DP_HOLDER:
		return "holder";
	case DP_NOT_USB:
		return "not-usb";
	case DP_UNKNOWABLE:
		return "unknowable";
	}
	return "unknown";
}

void diskpolicy_size_str(uint64_t bytes, char *out, unsigned outsz)
{
	/* Decimal first: that is the number printed on the stick and its box. */
	if (bytes >= 1000000000ull)
		snprintf(out, outsz, "%.1f GB (%.1f GiB)", (double)bytes / 1e9,
			 (double)bytes / (1024.0 * 1024 * 1024));
	else if (bytes >= 1000000ull)
		snprintf(out, outsz, "%.1f MB (%.1f MiB)", (double)bytes / 1e6,
			 (double)bytes / (1024.0 * 1024));
	else
		snprintf(out, outsz, "%llu bytes", (unsigned long long)bytes);
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

const char *diskpolicy_transport(const struct disk_facts *f)
{
	const char *name = f->n_dev ? f->dev[0].name : "";
	const char *p = f->syspath;

	/* Virtual devices first: their names say what they are. */
	if (starts(name, "loop"))
		return "loop";
	if (starts(name, "dm-"))
		return "dm";
	if (starts(name, "md"))
		return "md";
	if (starts(name, "zram") || starts(name, "ram"))
		return "ram";
	if (starts(name, "nbd"))
		return "nbd";
	/* Then the bus in the sysfs path, the way lsblk's TRAN column reads it: a USB
	 * mass-storage disk sits below a .../usbN/N-M/... hub port whatever the SCSI
	 * layers under it say. */
	if (strstr(p, "/usb"))
		return "usb";
	if (strstr(p, "/firewire/") || strstr(p, "/fw"))
		return "firewire";
	if (starts(name, "nvme") || strstr(p, "/nvme/"))
		return "nvme";
	if (starts(name, "mmcblk") || strstr(p, "/mmc_host/"))
		return "mmc";
	if (strstr(p, "/ata"))
		return "sata";
	if (strstr(p, "/virtio"))
		return "virtio";
	if (strstr(p, "/host") && strstr(p, "/target"))
		return "scsi";
	return "unknown";
}

__attribute__((format(printf, 4, 5))) static void add(struct dp_verdict *v, enum dp_code code,
						      bool forceable, const char *fmt, ...)
{
	va_list ap;
	struct dp_reason *r;

	if (v->n >= DP_REASONS_MAX) {
		/* Keep the last slot for a catch-all so nothing is silently dropped. */
		r = &v->r[DP_REASONS_MAX - 1];
		r->code = DP_UNKNOWABLE;
		r->forceable = false;
		snprintf(r->text, sizeof(r->text),
			 "more reasons than can be listed: this disk is busy; pick another one");
		return;
	}
	r = &v->r[v->n++];
	r->code = code;
	r->forceable = forceable;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

/* Which of our devices does a mount source or swap path name? By major:minor when
 * known (what the kernel says), else by /dev/NAME or /dev/mapper/DMNAME. */
static int dev_by_id(const struct disk_facts *f, unsigned major, unsigned minor, const char *path)
{
	unsigned i;

	if (major || minor) {
		for (i = 0; i < f->n_dev; i++)
			if (f->dev[i].major == major && f->dev[i].minor == minor)
				return (int)i;
	}
	if (starts(path, "/dev/mapper/")) {
		const char *n = path + strlen("/dev/mapper/");
		for (i = 0; i < f->n_dev; i++)
			if (f->dev[i].dm_name[0] && !strcmp(f->dev[i].dm_name, n))
				return (int)i;
	} else if (starts(path, "/dev/")) {
		const char *n = path + strlen("/dev/");
		for (i = 0; i < f->n_dev; i++)
			if (!strcmp(f->dev[i].name, n))
				return (int)i;
	}
	return -1;
}

/* "nvme0n1p3" or "dm-1 (vg0-home) on nvme0n1p3": where a stacked device comes from. */
static void dev_desc(const struct disk_facts *f, int i, char *out, size_t outsz)
{
	const struct disk_dev *dv = &f->dev[i];
	int base = i, depth = 0;

	while (base >= 0 && f->dev[base].role == DISK_ROLE_HOLDER && depth++ < DISK_STACK_DEPTH)
		base = f->dev[base].parent;
	if (dv->role != DISK_ROLE_HOLDER || base < 0)
		snprintf(out, outsz, "/dev/%s", dv->name);
	else if (dv->dm_name[0])
		snprintf(out, outsz, "/dev/mapper/%s (%s, on %s)", dv->dm_name, dv->name,
			 f->dev[base].name);
	else
		snprintf(out, outsz, "/dev/%s (on %s)", dv->name, f->dev[base].name);
}

/* What a stacked device is, and how to let go of it. */
static void holder_kind(const struct disk_dev *h, const char **kind, char *todo, size_t todosz)
{
	if (starts(h->dm_uuid, "LVM-")) {
		*kind = "LVM";
		snprintf(todo, todosz, "deactivate the volume group first (vgchange -an)");
	} else if (starts(h->dm_uuid, "CRYPT-")) {
		*kind = "dm-crypt/LUKS";
		snprintf(todo, todosz, "close it first (cryptsetup close %s)",
			 h->dm_name[0] ? h->dm_name : h->name);
	} else if (starts(h->dm_uuid, "mpath-")) {
		*kind = "multipath";
		snprintf(todo, todosz, "remove the multipath map first (multipath -f %s)",
			 h->dm_name[0] ? h->dm_name : h->name);
	} else if (h->md_level[0] || starts(h->name, "md")) {
		*kind = "md RAID";
		snprintf(todo, todosz, "stop the array first (mdadm --stop /dev/%s)", h->name);
	} else if (starts(h->name, "dm-")) {
		*kind = "device-mapper";
		snprintf(todo, todosz, "remove the mapping first (dmsetup remove %s)",
			 h->dm_name[0] ? h->dm_name : h->name);
	} else {
		*kind = "another device";
		snprintf(todo, todosz, "release it first");
	}
}

/* What the device is: only a whole-disk block device goes on to the other checks.
 * Returns true when it does. */
static bool check_kind(const struct disk_facts *f, bool force, struct dp_verdict *v)
{
	switch (f->kind) {
	case DISK_MISSING:
		add(v, DP_MISSING, false,
		    "%s does not exist: plug the stick in and find its name with lsblk "
		    "(e.g. /dev/sdb)",
		    f->path);
		return false;
	case DISK_OTHER:
		add(v, DP_NOT_DEVICE, false,
		    "%s is neither a block device nor a regular file: give the stick's "
		    "whole-disk device (lsblk shows it, e.g. /dev/sdb)",
		    f->path);
		return false;
	case DISK_REGULAR:
		add(v, DP_REGULAR_FILE, true, "%s is a regular file, not a disk%s", f->path,
		    force ? "; writing into it anyway (--force)"
			  : ": give --force to write the image into this file (or copy it with "
			    "cp)");
		return false;
	case DISK_BLOCK:
		break;
	}
	if (!f->n_dev) {
		add(v, DP_UNKNOWABLE, false,
		    "%s: nothing is known about this device (no sysfs entry): refusing "
		    "to guess",
		    f->path);
		return false;
	}
	return true;
}

/* A partition, read-only, no medium, too small. */
static void check_disk(const struct disk_facts *f, uint64_t image_size, struct dp_verdict *v)
{
	const struct disk_dev *t = &f->dev[0];
	char isz[48], dsz[48];

	if (f->is_partition)
		add(v, DP_PARTITION, false,
		    "%s is partition %u of %s, not a whole disk: a boot image needs the "
		    "whole disk; give /dev/%s (every partition on it will be destroyed)",
		    f->path, t->partno, f->parent_disk[0] ? f->parent_disk : "its disk",
		    f->parent_disk[0] ? f->parent_disk : "…");
	if (f->ro)
		add(v, DP_READ_ONLY, false,
		    "%s is read-only: slide the stick's or card's write-protect switch "
		    "off, or pick another stick",
		    f->path);
	diskpolicy_size_str(image_size, isz, sizeof(isz));
	diskpolicy_size_str(t->size, dsz, sizeof(dsz));
	if (t->size == 0)
		add(v, DP_NO_MEDIUM, false,
		    "%s has no medium (size 0): put a card in the reader, or pick the "
		    "right device",
		    f->path);
	else if (image_size > t->size)
		add(v, DP_TOO_SMALL, false,
		    "%s is too small: the image is %s, the device %s; use a stick of at "
		    "least %s",
		    f->path, isz, dsz, isz);
}

/* The running system: "/" as this process sees it (the last "/" line wins: it is the
 * one stacked on top). Returns the device index holding it, or -1. */
static int check_root(const struct disk_facts *f, struct dp_verdict *v)
{
	char desc[400];
	int root_dev = -1;

	for (unsigned i = 0; i < f->n_mounts; i++)
		if (!strcmp(f->mounts[i].mountpoint, "/"))
			root_dev = dev_by_id(f, f->mounts[i].major, f->mounts[i].minor,
					     f->mounts[i].source);
	if (root_dev >= 0) {
		dev_desc(f, root_dev, desc, sizeof(desc));
		add(v, DP_RUNNING_SYSTEM, false,
		    "%s holds the running system (/ is mounted from %s): this is the "
		    "computer's own disk; pick the USB stick instead (lsblk lists the disks)",
		    f->path, desc);
	}
	return root_dev;
}

/* Mounts, one reason per device (bind mounts and containers mount one device many
 * times); "/" was reported by check_root. */
static void check_mounts(const struct disk_facts *f, int root_dev, struct dp_verdict *v)
{
	char desc[400];

	for (unsigned i = 0; i < f->n_dev; i++) {
		const char *first = NULL;
		unsigned more = 0;

		for (unsigned j = 0; j < f->n_mounts; j++) {
			const struct disk_mount *m = &f->mounts[j];

			if (dev_by_id(f, m->major, m->minor, m->source) != (int)i)
				continue;
			if ((int)i == root_dev && !strcmp(m->mountpoint, "/"))
				continue;
			if (!first)
				first = m->mountpoint;
			else
				more++;
		}
		if (!first)
			continue;
		dev_desc(f, (int)i, desc, sizeof(desc));
		if (more)
			add(v, DP_MOUNTED, false,
			    "%s is mounted on %s and %u more place%s: unmount all of them first "
			    "(findmnt -S /dev/%s lists them)",
			    desc, first, more, more == 1 ? "" : "s", f->dev[i].name);
		else
			add(v, DP_MOUNTED, false,
			    "%s is mounted on %s: unmount it first (umount %s%s)", desc, first,
			    first,
			    starts(first, "/media/") || starts(first, "/run/media/")
				    ? ", or eject it in the file manager"
				    : "");
	}
}

static void check_swaps(const struct disk_facts *f, struct dp_verdict *v)
{
	char desc[400];

	for (unsigned i = 0; i < f->n_swaps; i++) {
		const struct disk_swap *s = &f->swaps[i];
		int k;

		if (s->is_file)
			continue; /* a swap file lives on a mounted file system: reported above */
		k = dev_by_id(f, s->major, s->minor, s->path);
		if (k < 0)
			continue;
		dev_desc(f, k, desc, sizeof(desc));
		add(v, DP_SWAP, false, "%s is in use as swap: turn it off first (swapoff %s)", desc,
		    s->path);
	}
}

/* Stacked devices directly on the disk or one of its partitions: LVM physical volumes,
 * LUKS containers, RAID members. Deeper ones are shown through these. */
static void check_holders(const struct disk_facts *f, struct dp_verdict *v)
{
	for (unsigned i = 0; i < f->n_dev; i++) {
		const struct disk_dev *h = &f->dev[i];
		const char *kind;
		char todo[200];

		if (h->role != DISK_ROLE_HOLDER || h->parent < 0 ||
		    f->dev[h->parent].role == DISK_ROLE_HOLDER)
			continue;
		holder_kind(h, &kind, todo, sizeof(todo));
		if (h->dm_name[0])
			add(v, DP_HOLDER, false,
			    "/dev/%s is in use by %s (%s, /dev/mapper/%s): %s, or pick another "
			    "disk",
			    f->dev[h->parent].name, kind, h->name, h->dm_name, todo);
		else
			add(v, DP_HOLDER, false,
			    "/dev/%s is in use by %s (/dev/%s%s%s): %s, or pick another disk",
			    f->dev[h->parent].name, kind, h->name, h->md_level[0] ? ", " : "",
			    h->md_level, todo);
	}
	if (f->stack_truncated)
		add(v, DP_UNKNOWABLE, false,
		    "%s has more stacked devices (dm/md) than chainboot follows: refusing "
		    "to guess; release them first",
		    f->path);
}

unsigned diskpolicy_check(const struct disk_facts *f, uint64_t image_size, bool force,
			  struct dp_verdict *v)
{
	const char *tr;

	memset(v, 0, sizeof(*v));
	if (check_kind(f, force, v)) {
		check_disk(f, image_size, v);
		check_mounts(f, check_root(f, v), v);
		check_swaps(f, v);
		check_holders(f, v);
		tr = diskpolicy_transport(f);
		if (strcmp(tr, "usb") != 0 && !f->removable)
			add(v, DP_NOT_USB, true,
			    "%s is not a USB stick or removable disk (transport %s, not "
			    "removable)%s",
			    f->path, tr,
			    force ? "; writing anyway (--force)"
				  : ": check it is the disk you mean (lsblk -o "
				    "NAME,TRAN,RM,SIZE,MODEL), then give --force");
	}
	for (unsigned i = 0; i < v->n; i++)
		if (!v->r[i].forceable || !force)
			v->n_blocking++;
	return v->n_blocking;
}
