/* diskpolicy: may `chainboot write` overwrite this target? A pure decision over a
 * snapshot of facts (sysfs, mountinfo, /proc/swaps, holders, libblkid) gathered by
 * diskfacts; no I/O here, so recorded snapshots of real machines test it exactly. */
#ifndef CB_DISKPOLICY_H
#define CB_DISKPOLICY_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#define DISK_NAME_MAX	 32  /* kernel block device names are short: sdb, nvme0n1p3, dm-12 */
#define DISK_DEVS_MAX	 72  /* target + partitions + stacked devices examined */
#define DISK_MOUNTS_MAX	 512 /* block-device mounts of the whole system */
#define DISK_SWAPS_MAX	 32
#define DISK_STACK_DEPTH 8 /* dm on dm on md …: deeper is refused as unknowable */

enum disk_kind {
	DISK_MISSING, /* the path does not exist */
	DISK_BLOCK,
	DISK_REGULAR,
	DISK_OTHER, /* directory, character device, FIFO, … */
};

enum disk_role {
	DISK_ROLE_TARGET, /* the device named on the command line */
	DISK_ROLE_PART,	  /* a partition of the target disk */
	DISK_ROLE_HOLDER, /* a device stacked on the target or a partition (dm, md, …) */
};

/* One block device as sysfs and libblkid describe it. */
struct disk_dev {
	enum disk_role role;
	int parent;		  /* index of the device this sits on; -1 for the target */
	char name[DISK_NAME_MAX]; /* kernel name */
	unsigned major, minor;
	uint64_t size;	   /* bytes (sysfs "size" is in 512-byte units) */
	unsigned partno;   /* partitions: sysfs "partition" */
	char fstype[32];   /* libblkid TYPE: vfat, ext4, swap, LVM2_member, crypto_LUKS … */
	char label[64];	   /* libblkid LABEL */
	char dm_name[128]; /* holders: device-mapper name (vg0-root, luks-…) */
	char dm_uuid[160]; /* holders: LVM-…, CRYPT-LUKS2-…, mpath-… */
	char md_level[16]; /* holders: md RAID level */
};

/* One line of /proc/self/mountinfo that is backed by a block device. */
struct disk_mount {
	unsigned major, minor; /* field 3; 0:N for btrfs and other anonymous devices */
	char mountpoint[256];
	char fstype[32];
	char source[256]; /* the "mount source" after " - fstype " */
};

/* One line of /proc/swaps. */
struct disk_swap {
	char path[256];
	bool is_file;	       /* Type "file": lives on a mounted file system */
	unsigned major, minor; /* the device, when it could be resolved (else 0:0) */
};

/* Everything the policy looks at. Filled by diskfacts_gather() (this machine) or
 * diskfacts_load() (a recorded snapshot). */
struct disk_facts {
	char path[PATH_MAX]; /* as given by the user */
	enum disk_kind kind;
	uint64_t file_size;		 /* regular files */
	unsigned rdev_major, rdev_minor; /* block devices: what stat() said */

	char syspath[PATH_MAX]; /* resolved /sys/devices/… path of the target */
	bool removable;		/* sysfs "removable" (of the disk, for a partition) */
	bool ro;
	bool is_partition;
	char parent_disk[DISK_NAME_MAX]; /* for a partition: its disk */
	char vendor[64], model[64];	 /* sysfs device/vendor, device/model (trimmed) */
	char backing_file[256];		 /* loop devices: loop/backing_file */
	char pttype[16];		 /* libblkid PTTYPE of the target: dos, gpt, … */
	char probe_error[160]; /* why libblkid could not look inside (then fstype/label are
				     * unknown; the policy does not depend on them) */
	bool stack_truncated;  /* more stacked devices than we could follow */

	struct disk_dev dev[DISK_DEVS_MAX]; /* [0] is the target */
	unsigned n_dev;
	struct disk_mount mounts[DISK_MOUNTS_MAX];
	unsigned n_mounts;
	struct disk_swap swaps[DISK_SWAPS_MAX];
	unsigned n_swaps;
};

enum dp_code {
	DP_MISSING,	 /* the path does not exist */
	DP_NOT_DEVICE,	 /* a directory, character device, … */
	DP_REGULAR_FILE, /* a regular file: only with --force */
	DP_PARTITION,	 /* a partition, not a whole disk */
	DP_READ_ONLY,
	DP_NO_MEDIUM, /* size 0: an empty card reader */
	DP_TOO_SMALL,
	DP_RUNNING_SYSTEM, /* / lives on it */
	DP_MOUNTED,
	DP_SWAP,
	DP_HOLDER,     /* a partition or the disk is a member of LVM, dm-crypt, md RAID … */
	DP_NOT_USB,    /* neither USB nor removable: only with --force */
	DP_UNKNOWABLE, /* the facts are incomplete (deep stacks): refuse rather than guess */
};

#define DP_REASONS_MAX 24

struct dp_reason {
	enum dp_code code;
	bool forceable; /* --force overrides it (then it is shown as a warning) */
	char text[640]; /* what is wrong and what to do, one line */
};

struct dp_verdict {
	struct dp_reason r[DP_REASONS_MAX];
	unsigned n;
	unsigned n_blocking; /* reasons that stop the write (after --force) */
};

/* Decide: fills v with every reason found (most serious first). Returns the number
 * of blocking reasons: 0 means the write may go ahead (forceable reasons, if any,
 * were overridden by force and are in v as warnings). image_size in bytes. */
unsigned diskpolicy_check(const struct disk_facts *f, uint64_t image_size, bool force,
			  struct dp_verdict *v);

/* The transport a disk hangs on, from its sysfs path and name: "usb", "sata", "nvme",
 * "mmc", "virtio", "scsi", "loop", "dm", "md", "firewire", … or "unknown". */
const char *diskpolicy_transport(const struct disk_facts *f);

/* A short name for a reason code (for JSON): "mounted", "swap", … */
const char *diskpolicy_code_name(enum dp_code c);

/* Human size: "15.3 GB (14.3 GiB)"-style, decimal first as printed on sticks. */
void diskpolicy_size_str(uint64_t bytes, char *out, unsigned outsz);

#endif
