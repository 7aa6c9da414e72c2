/* test_diskpolicy: the write refusal policy on recorded disk snapshots (tests/data/disks),
 * the snapshot loader (the same sysfs walker as on a live machine), and the parsers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diskfacts.h"
#include "diskpolicy.h"
#include "test.h"

#define MiB   (1024ull * 1024)
#define IMAGE (4 * MiB) /* a hybrid image */

static struct disk_facts f;
static struct dp_verdict v;
static char datadir[4096];

static int load(const char *name)
{
	struct diag d = { { 0 } };
	char dir[4200];
	int rc;

	snprintf(dir, sizeof(dir), "%s/%s", datadir, name);
	rc = diskfacts_load(dir, &f, &d);
	ok(rc == 0, "%s: snapshot loads (%s)", name, d.msg);
	return rc;
}

static bool has(enum dp_code c)
{
	for (unsigned i = 0; i < v.n; i++)
		if (v.r[i].code == c)
			return true;
	return false;
}

static const char *text(enum dp_code c)
{
	for (unsigned i = 0; i < v.n; i++)
		if (v.r[i].code == c)
			return v.r[i].text;
	return "";
}

static unsigned count(enum dp_code c)
{
	unsigned n = 0;

	for (unsigned i = 0; i < v.n; i++)
		n += v.r[i].code == c;
	return n;
}

static void dump(const char *name)
{
	for (unsigned i = 0; i < v.n; i++)
		printf("# %s: %s%s: %s\n", name, diskpolicy_code_name(v.r[i].code),
		       v.r[i].forceable ? " (forceable)" : "", v.r[i].text);
}

static void test_usb_stick(void)
{
	if (load("usb-stick"))
		return;
	ok(f.kind == DISK_BLOCK && f.rdev_major == 8 && f.rdev_minor == 16,
	   "usb-stick: block device 8:16");
	ok(!strcmp(diskpolicy_transport(&f), "usb"), "usb-stick: transport usb (%s)",
	   diskpolicy_transport(&f));
	ok(f.removable && !f.ro && !f.is_partition, "usb-stick: removable, writable, whole disk");
	ok(!strcmp(f.vendor, "SanDisk") && !strcmp(f.model, "Cruzer Blade"),
	   "usb-stick: SCSI padding trimmed: \"%s\" \"%s\"", f.vendor, f.model);
	ok(f.dev[0].size == 30031872ull * 512, "usb-stick: size from 512-byte units: %llu",
	   (unsigned long long)f.dev[0].size);
	ok(f.n_dev == 2 && f.dev[1].role == DISK_ROLE_PART && !strcmp(f.dev[1].name, "sdb1") &&
		   f.dev[1].partno == 1,
	   "usb-stick: one partition sdb1 (n_dev %u)", f.n_dev);
	ok(!strcmp(f.pttype, "dos") && !strcmp(f.dev[1].fstype, "vfat") &&
		   !strcmp(f.dev[1].label, "SANDISK"),
	   "usb-stick: blkid: dos, vfat \"SANDISK\" (%s %s %s)", f.pttype, f.dev[1].fstype,
	   f.dev[1].label);
	ok(f.n_mounts > 0 && f.n_swaps == 1 && f.swaps[0].is_file,
	   "usb-stick: %u block mounts, a swap file", f.n_mounts);
	ok(diskpolicy_check(&f, IMAGE, false, &v) == 0 && v.n == 0, "usb-stick: may be written");
	dump("usb-stick");
	ok(diskpolicy_check(&f, 32000000000ull, true, &v) == 1 && has(DP_TOO_SMALL) &&
		   strstr(text(DP_TOO_SMALL), "32.0 GB") && strstr(text(DP_TOO_SMALL), "15.4 GB"),
	   "usb-stick: a 32 GB image is too big even with --force: %s", text(DP_TOO_SMALL));
	ok(diskpolicy_check(&f, f.dev[0].size, false, &v) == 0,
	   "usb-stick: an image of exactly the stick's size fits");
}

static void test_usb_partition(void)
{
	if (load("usb-partition"))
		return;
	ok(f.is_partition && !strcmp(f.parent_disk, "sdb") && f.dev[0].partno == 1,
	   "usb-partition: partition 1 of sdb");
	ok(f.removable && !strcmp(diskpolicy_transport(&f), "usb"),
	   "usb-partition: removable/usb taken from the disk");
	ok(f.n_dev == 1, "usb-partition: no sub-partitions walked");
	ok(diskpolicy_check(&f, IMAGE, true, &v) == 1 && has(DP_PARTITION) && !v.r[0].forceable &&
		   strstr(text(DP_PARTITION), "give /dev/sdb"),
	   "usb-partition: refused even with --force, names the disk: %s", text(DP_PARTITION));
}

static void test_usb_mounted(void)
{
	if (load("usb-mounted"))
		return;
	ok(!strcmp(f.dev[1].label, "ALICE USB"), "usb-mounted: blkid export unescaped: \"%s\"",
	   f.dev[1].label);
	diskpolicy_check(&f, IMAGE, false, &v);
	dump("usb-mounted");
	ok(v.n_blocking == 1 && has(DP_MOUNTED) &&
		   strstr(text(DP_MOUNTED), "/dev/sdc1 is mounted on /media/alice/ALICE USB"),
	   "usb-mounted: refused, mount point unescaped: %s", text(DP_MOUNTED));
	ok(!has(DP_NOT_USB) && !has(DP_RUNNING_SYSTEM), "usb-mounted: nothing else");
	ok(diskpolicy_check(&f, IMAGE, true, &v) == 1,
	   "usb-mounted: --force does not override a mount");
}

static void test_usb_swap(void)
{
	if (load("usb-swap"))
		return;
	ok(!f.removable && !strcmp(diskpolicy_transport(&f), "usb"),
	   "usb-swap: a USB SSD reports removable 0");
	ok(f.n_swaps == 2 && f.swaps[1].major == 8 && f.swaps[1].minor == 18,
	   "usb-swap: /dev/sdb2 resolved to 8:18 through the snapshot's sysfs");
	diskpolicy_check(&f, IMAGE, false, &v);
	dump("usb-swap");
	ok(v.n_blocking == 1 && has(DP_SWAP) && strstr(text(DP_SWAP), "swapoff /dev/sdb2"),
	   "usb-swap: refused: %s", text(DP_SWAP));
	ok(!has(DP_NOT_USB), "usb-swap: USB transport is enough without the removable flag");
}

static void test_readers(void)
{
	if (!load("usb-reader-small")) {
		ok(!strcmp(f.model, "SD/MMC") && f.dev[0].size == 62720ull * 512,
		   "usb-reader-small: 32 MB card");
		ok(diskpolicy_check(&f, IMAGE, false, &v) == 0,
		   "usb-reader-small: a 4 MiB image fits");
		ok(diskpolicy_check(&f, 64 * MiB, false, &v) == 1 && has(DP_TOO_SMALL),
		   "usb-reader-small: 64 MiB does not: %s", text(DP_TOO_SMALL));
	}
	if (!load("usb-reader-empty")) {
		ok(diskpolicy_check(&f, IMAGE, true, &v) == 1 && has(DP_NO_MEDIUM) &&
			   !has(DP_TOO_SMALL),
		   "usb-reader-empty: no medium: %s", text(DP_NO_MEDIUM));
	}
}

static void test_sata_root(void)
{
	if (load("sata-root"))
		return;
	ok(!strcmp(diskpolicy_transport(&f), "sata") && !f.removable,
	   "sata-root: transport sata, fixed");
	ok(f.n_dev == 4, "sata-root: sda + 3 partitions");
	diskpolicy_check(&f, IMAGE, false, &v);
	dump("sata-root");
	ok(has(DP_RUNNING_SYSTEM) && strstr(text(DP_RUNNING_SYSTEM), "from /dev/sda2"),
	   "sata-root: running system: %s", text(DP_RUNNING_SYSTEM));
	ok(v.r[0].code == DP_RUNNING_SYSTEM, "sata-root: the running system is the first reason");
	ok(count(DP_MOUNTED) == 1 && strstr(text(DP_MOUNTED), "/dev/sda1 is mounted on /boot/efi"),
	   "sata-root: / reported once, /boot/efi as a mount: %s", text(DP_MOUNTED));
	ok(has(DP_SWAP) && strstr(text(DP_SWAP), "/dev/sda3"), "sata-root: swap partition: %s",
	   text(DP_SWAP));
	ok(has(DP_NOT_USB) && v.n_blocking == 4, "sata-root: not USB (%u blocking)", v.n_blocking);
	ok(diskpolicy_check(&f, IMAGE, true, &v) == 3, "sata-root: --force overrides only not-USB");
}

static void test_nvme_lvm(void)
{
	if (load("nvme-lvm"))
		return;
	ok(!strcmp(diskpolicy_transport(&f), "nvme") &&
		   !strcmp(f.model, "WDC PC SN730 SDBPNTY-512G-1101"),
	   "nvme-lvm: nvme, model from the controller: \"%s\"", f.model);
	ok(f.n_dev == 7, "nvme-lvm: disk, 3 partitions, LUKS and 2 LVM volumes (%u)", f.n_dev);
	ok(f.n_dev == 7 && f.dev[4].role == DISK_ROLE_HOLDER &&
		   !strcmp(f.dev[4].dm_name, "nvme0n1p3_crypt") &&
		   !strcmp(f.dev[f.dev[5].parent].name, "dm-0"),
	   "nvme-lvm: holders walked through the LUKS device");
	diskpolicy_check(&f, IMAGE, false, &v);
	dump("nvme-lvm");
	ok(count(DP_HOLDER) == 1 &&
		   strstr(text(DP_HOLDER), "nvme0n1p3 is in use by dm-crypt/LUKS") &&
		   strstr(text(DP_HOLDER), "cryptsetup close nvme0n1p3_crypt"),
	   "nvme-lvm: LUKS holder: %s", text(DP_HOLDER));
	ok(has(DP_RUNNING_SYSTEM) && strstr(text(DP_RUNNING_SYSTEM),
					    "/dev/mapper/debian--vg-root (dm-1, on nvme0n1p3)"),
	   "nvme-lvm: / on LVM on LUKS traced to the partition: %s", text(DP_RUNNING_SYSTEM));
	ok(count(DP_MOUNTED) == 2, "nvme-lvm: /boot/efi and /boot mounted");
	ok(has(DP_SWAP) && strstr(text(DP_SWAP), "debian--vg-swap_1"), "nvme-lvm: swap on LVM: %s",
	   text(DP_SWAP));
	ok(diskpolicy_check(&f, IMAGE, true, &v) >= 5, "nvme-lvm: refused with --force");
}

static void test_recorded_here(void)
{
	if (!load("virtio-root")) {
		diskpolicy_check(&f, IMAGE, true, &v);
		dump("virtio-root");
		ok(!strcmp(diskpolicy_transport(&f), "virtio") && has(DP_RUNNING_SYSTEM) &&
			   has(DP_MOUNTED),
		   "virtio-root (recorded on a CI VM): running system and /run/netns");
	}
	if (!load("loop")) {
		ok(!strcmp(diskpolicy_transport(&f), "loop") && f.backing_file[0],
		   "loop (recorded): transport loop, backing file %s", f.backing_file);
		ok(diskpolicy_check(&f, IMAGE, false, &v) == 1 && has(DP_NOT_USB) &&
			   v.r[0].forceable && strstr(text(DP_NOT_USB), "give --force"),
		   "loop: refused as not USB: %s", text(DP_NOT_USB));
		ok(diskpolicy_check(&f, IMAGE, true, &v) == 0 && v.n == 1 &&
			   strstr(v.r[0].text, "writing anyway"),
		   "loop: --force turns it into a warning: %s", v.r[0].text);
	}
}

static void test_constructed(void)
{
	memset(&f, 0, sizeof(f));
	strcpy(f.path, "disk.img");
	f.kind = DISK_REGULAR;
	ok(diskpolicy_check(&f, IMAGE, false, &v) == 1 && has(DP_REGULAR_FILE),
	   "regular file: refused: %s", text(DP_REGULAR_FILE));
	ok(diskpolicy_check(&f, IMAGE, true, &v) == 0, "regular file: written with --force");
	f.kind = DISK_MISSING;
	ok(diskpolicy_check(&f, IMAGE, true, &v) == 1 && has(DP_MISSING), "missing: %s",
	   text(DP_MISSING));
	f.kind = DISK_OTHER;
	ok(diskpolicy_check(&f, IMAGE, true, &v) == 1 && has(DP_NOT_DEVICE),
	   "character device or directory refused");
	f.kind = DISK_BLOCK;
	ok(diskpolicy_check(&f, IMAGE, true, &v) == 1 && has(DP_UNKNOWABLE),
	   "block device without sysfs facts refused");

	/* read-only stick; a btrfs mount (anonymous 0:N device) matched by its source */
	if (load("usb-stick"))
		return;
	f.ro = true;
	ok(diskpolicy_check(&f, IMAGE, false, &v) == 1 && has(DP_READ_ONLY), "read-only: %s",
	   text(DP_READ_ONLY));
	f.ro = false;
	struct disk_mount *m = &f.mounts[f.n_mounts++];
	memset(m, 0, sizeof(*m));
	m->minor = 45;
	strcpy(m->mountpoint, "/mnt/b");
	strcpy(m->source, "/dev/sdb1");
	ok(diskpolicy_check(&f, IMAGE, false, &v) == 1 && has(DP_MOUNTED),
	   "btrfs 0:45 mount found by source name");
	/* the same device mounted many times (bind mounts): one reason */
	for (int i = 0; i < 3; i++) {
		m = &f.mounts[f.n_mounts++];
		memset(m, 0, sizeof(*m));
		m->major = 8;
		m->minor = 17;
		snprintf(m->mountpoint, sizeof(m->mountpoint), "/var/lib/c%d", i);
		strcpy(m->source, "/dev/sdb1");
	}
	ok(diskpolicy_check(&f, IMAGE, false, &v) == 1 &&
		   strstr(text(DP_MOUNTED), "and 3 more places"),
	   "bind mounts folded into one reason: %s", text(DP_MOUNTED));
	f.stack_truncated = true;
	ok(diskpolicy_check(&f, IMAGE, true, &v) == 2 && has(DP_UNKNOWABLE),
	   "an incomplete holder walk is refused");
}

static void test_transport(void)
{
	static const struct {
		const char *name, *path, *want;
	} t[] = {
		{ "mmcblk0",
		  "/sys/devices/pci0000:00/0000:00:1c.0/0000:02:00.0/rtsx_pci_sdmmc.0/mmc_host/"
		  "mmc0/mmc0:aaaa/block/mmcblk0",
		  "mmc" },
		{ "sdb",
		  "/sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/"
		  "block/sdb",
		  "usb" },
		{ "sdc",
		  "/sys/devices/pci0000:00/0000:00:1f.2/ata3/host2/target2:0:0/2:0:0:0/block/sdc",
		  "sata" },
		{ "sdd",
		  "/sys/devices/pci0000:00/0000:00:03.0/0000:03:00.0/host1/target1:0:0/1:0:0:0/"
		  "block/sdd",
		  "scsi" },
		{ "sde",
		  "/sys/devices/pci0000:00/0000:00:1e.0/0000:05:02.0/fw0/fw0.0/host3/target3:0:0/"
		  "3:0:0:0/block/sde",
		  "firewire" },
		{ "vdb", "/sys/devices/pci0000:00/0000:00:05.0/virtio2/block/vdb", "virtio" },
		{ "dm-3", "/sys/devices/virtual/block/dm-3", "dm" },
		{ "md127", "/sys/devices/virtual/block/md127", "md" },
		{ "zram0", "/sys/devices/virtual/block/zram0", "ram" },
		{ "xvda", "/sys/devices/vbd-51712/block/xvda", "unknown" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&f, 0, sizeof(f));
		f.n_dev = 1;
		strcpy(f.dev[0].name, t[i].name);
		strcpy(f.syspath, t[i].path);
		ok(!strcmp(diskpolicy_transport(&f), t[i].want), "transport of %s: %s (want %s)",
		   t[i].name, diskpolicy_transport(&f), t[i].want);
	}
}

static void test_parsers(void)
{
	struct diag d = { { 0 } };
	static char big[DISK_MOUNTS_MAX * 80 + 100];
	size_t n = 0;

	memset(&f, 0, sizeof(f));
	ok(diskfacts_parse_mountinfo(
		   "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root "
		   "rw,errors=continue\n"
		   "37 35 0:45 / /srv/b\\040c rw shared:2 shared:3 - btrfs /dev/sdb1 rw\n"
		   "38 35 0:22 / /proc rw - proc proc rw\n"
		   "garbage line\n"
		   "39 35 8:1 / /x rw\n" /* no separator: skipped */
		   "40 35 x:1 / /y rw - ext4 /dev/sda1 rw\n"
		   "41 35 8:2 / /z rw - ext4 /dev/sda2 rw", /* no final newline */
		   &f, &d) == 0,
	   "mountinfo parses");
	ok(f.n_mounts == 3, "mountinfo: 3 block mounts kept, proc and bad lines skipped (%u)",
	   f.n_mounts);
	ok(f.n_mounts == 3 && f.mounts[0].major == 98 && !strcmp(f.mounts[0].mountpoint, "/mnt2") &&
		   !strcmp(f.mounts[0].source, "/dev/root") && !strcmp(f.mounts[0].fstype, "ext3"),
	   "mountinfo: optional field skipped");
	ok(f.n_mounts == 3 && !strcmp(f.mounts[1].mountpoint, "/srv/b c") && f.mounts[1].major == 0,
	   "mountinfo: \\040 unescaped, btrfs kept by its /dev source");
	ok(f.n_mounts == 3 && !strcmp(f.mounts[2].source, "/dev/sda2"),
	   "mountinfo: last line without newline");

	memset(&f, 0, sizeof(f));
	for (unsigned i = 0; i <= DISK_MOUNTS_MAX; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
				      "%u 1 8:1 / /m%u rw - ext4 /dev/sda1 rw\n", i, i);
	diag_clear(&d);
	ok(diskfacts_parse_mountinfo(big, &f, &d) == -E2BIG && strstr(d.msg, "refusing"),
	   "mountinfo: too many mounts: %s", d.msg);

	memset(&f, 0, sizeof(f));
	ok(diskfacts_parse_swaps(
		   "Filename\tType\tSize\tUsed\tPriority\n/dev/sda3 partition 999420 0 -2\n"
		   "/var/swap\\040file file 1024 0 -3\n",
		   &f, &d) == 0 &&
		   f.n_swaps == 2 && !f.swaps[0].is_file && f.swaps[1].is_file &&
		   !strcmp(f.swaps[1].path, "/var/swap file"),
	   "swaps: header skipped, partition and (escaped) file");
}

/* A snapshot is data from elsewhere: bad target files and links that leave the
 * snapshot directory are refused, not followed. */
static void test_bad_snapshots(void)
{
	char dir[] = "/tmp/cb-test-disks.XXXXXX", p[256];
	struct diag d = { { 0 } };
	FILE *fp;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(p, sizeof(p), "%s/target", dir);
	fp = fopen(p, "w");
	fputs("path=/dev/sdz\nkind=floppy\n", fp);
	fclose(fp);
	ok(diskfacts_load(dir, &f, &d) == -EINVAL && strstr(d.msg, "target:2: kind \"floppy\""),
	   "bad kind: %s", d.msg);

	fp = fopen(p, "w");
	fputs("path=/dev/sdz\nkind=block\nrdev=8:0\n", fp);
	fclose(fp);
	snprintf(p, sizeof(p), "%s/sys/dev/block", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/sys", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/sys/dev", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/sys/dev/block", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/sys/dev/block/8:0", dir);
	ok(symlink("/", p) == 0, "escaping link made");
	diag_clear(&d);
	ok(diskfacts_load(dir, &f, &d) == -EXDEV,
	   "a sysfs link leaving the snapshot is refused: %s", d.msg);
	unlink(p);
	snprintf(p, sizeof(p), "%s/target", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/sys/dev/block", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/sys/dev", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/sys", dir);
	rmdir(p);
	rmdir(dir);
}

int main(void)
{
	const char *src = getenv("CHAINBOOT_SRCDIR");

	snprintf(datadir, sizeof(datadir), "%s/tests/data/disks", src ? src : ".");
	test_usb_stick();
	test_usb_partition();
	test_usb_mounted();
	test_usb_swap();
	test_readers();
	test_sata_root();
	test_nvme_lvm();
	test_recorded_here();
	test_constructed();
	test_transport();
	test_parsers();
	test_bad_snapshots();
	return test_done();
}
