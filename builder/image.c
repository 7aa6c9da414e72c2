/* image: turn a plan into the image file. Stages the files in a mkdtemp directory,
 * makes FAT file systems with mtools, the ISO with xorriso, the MBR itself; every
 * external tool runs from an argv array. The result appears atomically or not at all. */
#include "image.h"
#include "fileio.h"
#include "interrupt.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spawn.h"

#define MIB (1024u * 1024u)

void image_interrupt(void)
{
	interrupt_request();
}

struct build {
	const struct plan *p;
	struct diag *d;
	char stage[PATH_MAX];
	char env_sde[64];
	char *env[4];
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) ? -1 : 0;
}

static void stage_remove(const char *dir)
{
	if (dir[0])
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;
	while (len) {
		ssize_t w = pwrite(fd, p, len, off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		off += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Copy src to an open fd (from its start); used for staging and for the final output. */
static int copy_to_fd(const char *src, int out, struct diag *d, const char *what)
{
	char buf[1 << 16];
	int in = open(src, O_RDONLY | O_CLOEXEC), rc = 0;

	if (in < 0)
		return diag_set(d, -errno, "%s: cannot read: %s", src, strerror(errno));
	for (;;) {
		if (interrupt_pending()) {
			rc = diag_set(d, -EINTR, "interrupted; nothing was written");
			break;
		}
		ssize_t r = read(in, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = diag_set(d, -errno, "%s: read error: %s", src, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		rc = write_all(out, buf, (size_t)r);
		if (rc) {
			diag_set(d, rc, "%s: write error: %s", what, strerror(-rc));
			break;
		}
	}
	close(in);
	return rc;
}

static int mkdir_parents(const char *root, const char *rel, struct diag *d)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", root, rel);

	if (n < 0 || (size_t)n >= sizeof(path))
		return diag_set(d, -ENAMETOOLONG, "%s/%s: path too long", root, rel);
	for (char *s = path + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return diag_set(d, -errno, "%s: cannot create: %s", path, strerror(errno));
		*s = '/';
	}
	return 0;
}

/* Put one planned file at stage/<area>/<dest> with the plan's epoch as its time. */
static int stage_file(struct build *b, const struct plan_file *f, char *out, size_t outsz)
{
	const char *area = f->area == LAYOUT_AREA_ESP ? "esp" : "tree";
	char root[PATH_MAX];
	struct timespec ts[2];
	int fd, rc;

	snprintf(root, sizeof(root), "%s/%s", b->stage, area);
	rc = mkdir_parents(root, f->dest, b->d);
	if (rc)
		return rc;
	snprintf(out, outsz, "%s/%s", root, f->dest);
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return diag_set(b->d, -errno, "%s: cannot create: %s", out, strerror(errno));
	if (f->src[0]) {
		rc = copy_to_fd(f->src, fd, b->d, out);
	} else {
		const char *data = f->data ? f->data : b->p->script;
		size_t len = f->data ? f->len : b->p->script_len;
		rc = write_all(fd, data, len);
		if (rc)
			diag_set(b->d, rc, "%s: write error: %s", out, strerror(-rc));
	}
	ts[0].tv_sec = ts[1].tv_sec = b->p->epoch;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (!rc && futimens(fd, ts))
		rc = diag_set(b->d, -errno, "%s: cannot set time: %s", out, strerror(errno));
	if (close(fd) && !rc)
		rc = diag_set(b->d, -errno, "%s: write error: %s", out, strerror(errno));
	return rc;
}

/* nftw() passes no user pointer; the epoch for touch_dirs() waits here. */
static time_t touch_epoch;

/* Directory times are part of the image too (ISO 9660 records them). */
static int touch_dirs(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	struct timespec ts[2] = { { touch_epoch, 0 }, { touch_epoch, 0 } };

	(void)st;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		return utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) ? -1 : 0;
	return 0;
}

static int run(struct build *b, char *const argv[])
{
	int rc;

	if (interrupt_pending())
		return diag_set(b->d, -EINTR, "interrupted; nothing was written");
	rc = spawn_run(argv, b->env, NULL, 0, b->d);
	if (interrupt_pending()) {
		diag_clear(b->d);
		return diag_set(b->d, -EINTR, "interrupted; nothing was written");
	}
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Make a FAT file system at img@@offset of `bytes` and copy the area's files into it.
 * hidden: sectors before the file system on its disk (BPB field; syslinux needs it). */
static int fat_make(struct build *b, const char *img, unsigned long long offset,
		    unsigned long long bytes, enum layout_area area, unsigned long long hidden)
{
	char dev[PATH_MAX + 32], total[32], hid[32], serial[16], staged[PATH_MAX],
		dest[LAYOUT_PATH_MAX + 4];
	char *dirs[LAYOUT_MAX_ENTRIES * 4];
	unsigned ndirs = 0;
	int rc;

	snprintf(dev, sizeof(dev), "%s@@%llu", img, offset);
	snprintf(total, sizeof(total), "%llu", bytes / 512);
	snprintf(hid, sizeof(hid), "%llu", hidden);
	snprintf(serial, sizeof(serial), "%08x", b->p->serial);
	/* 64 heads x 32 sectors: the geometry mtools and syslinux agree on for USB media. */
	char *mformat[] = { "mformat", "-i", dev,    "-T", total,
			    "-h",      "64", "-s",   "32", "-H",
			    hid,       "-N", serial, "-v", (char *)b->p->cfg->label,
			    "::",      NULL };
	rc = run(b, mformat);
	if (rc)
		return rc;

	/* Every parent directory once, parents before children. */
	for (unsigned i = 0; i < b->p->n_files; i++) {
		const struct plan_file *f = &b->p->files[i];
		if (f->area != area)
			continue;
		for (const char *s = f->dest; (s = strchr(s, '/')); s++) {
			char *dir = strndup(f->dest, (size_t)(s - f->dest));
			bool seen = false;
			if (!dir) {
				rc = diag_set(b->d, -ENOMEM, "out of memory");
				goto out;
			}
			for (unsigned j = 0; j < ndirs; j++)
				seen |= !strcmp(dirs[j], dir);
			if (seen || ndirs >= sizeof(dirs) / sizeof(dirs[0]))
				free(dir);
			else
				dirs[ndirs++] = dir;
		}
	}
	qsort(dirs, ndirs, sizeof(dirs[0]), cmp_str);
	for (unsigned j = 0; j < ndirs; j++) {
		snprintf(dest, sizeof(dest), "::/%s", dirs[j]);
		char *mmd[] = { "mmd", "-i", dev, dest, NULL };
		rc = run(b, mmd);
		if (rc)
			goto out;
	}
	for (unsigned i = 0; i < b->p->n_files; i++) {
		const struct plan_file *f = &b->p->files[i];
		if (f->area != area)
			continue;
		snprintf(staged, sizeof(staged), "%s/%s/%s", b->stage,
			 area == LAYOUT_AREA_ESP ? "esp" : "tree", f->dest);
		snprintf(dest, sizeof(dest), "::/%s", f->dest);
		char *mcopy[] = { "mcopy", "-i", dev, "-m", "-D", "o", staged, dest, NULL };
		rc = run(b, mcopy);
		if (rc) {
			diag_prefix(b->d, rc, "copying %s into the FAT image (%llu KiB)", f->dest,
				    bytes / 1024);
			goto out;
		}
	}
out:
	for (unsigned j = 0; j < ndirs; j++)
		free(dirs[j]);
	return rc;
}

/* Room for the area's files, their directories, the FATs and some slack. */
static unsigned long long fat_size(const struct plan *p, enum layout_area area,
				   unsigned long long slack, unsigned long long align)
{
	unsigned long long sum = 128 * 1024 + slack;
	for (unsigned i = 0; i < p->n_files; i++)
		if (p->files[i].area == area)
			sum += (p->files[i].len + 4095) / 4096 * 4096 + 4096;
	sum += sum / 32;
	return (sum + align - 1) / align * align;
}

static int make_esp(struct build *b, const char *img, unsigned long long *size_out)
{
	unsigned long long size = fat_size(b->p, LAYOUT_AREA_ESP, 0, 64 * 512);
	int fd = open(img, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644), rc;

	if (fd < 0)
		return diag_set(b->d, -errno, "%s: cannot create: %s", img, strerror(errno));
	rc = ftruncate(fd, (off_t)size) ? -errno : 0;
	close(fd);
	if (rc)
		return diag_set(b->d, rc, "%s: cannot size: %s", img, strerror(-rc));
	if (size_out)
		*size_out = size;
	return fat_make(b, img, 0, size, LAYOUT_AREA_ESP, 0);
}

static int build_iso(struct build *b, const char *out)
{
	const struct layout *l = b->p->layout;
	char tree[PATH_MAX], esp[PATH_MAX];
	char *argv[48];
	unsigned n = 0;
	int rc;

	snprintf(tree, sizeof(tree), "%s/tree", b->stage);
	if (b->p->esp) {
		snprintf(esp, sizeof(esp), "%s/%s", tree, l->esp_image);
		rc = mkdir_parents(tree, l->esp_image, b->d);
		if (rc)
			return rc;
		rc = make_esp(b, esp, NULL);
		if (rc)
			return rc;
		struct timespec ts[2] = { { b->p->epoch, 0 }, { b->p->epoch, 0 } };
		utimensat(AT_FDCWD, esp, ts, 0);
	}
	if ((b->p->bios || b->p->esp) && (rc = mkdir_parents(tree, l->boot_catalog, b->d)))
		return rc; /* the catalog's directory may hold nothing else (e.g. arm64 only) */
	touch_epoch = b->p->epoch;
	nftw(tree, touch_dirs, 16, FTW_PHYS | FTW_DEPTH);

	argv[n++] = "xorriso";
	argv[n++] = "-as";
	argv[n++] = "mkisofs";
	argv[n++] = "-o";
	argv[n++] = (char *)out;
	argv[n++] = "-V";
	argv[n++] = (char *)b->p->cfg->label;
	argv[n++] =
		"-r"; /* Rock Ridge with uid/gid 0 and sane modes: no builder's identity leaks */
	argv[n++] = "-iso-level";
	argv[n++] = "3";
	if (b->p->bios || b->p->esp) {
		argv[n++] = "-c";
		argv[n++] = (char *)l->boot_catalog;
	}
	if (b->p->bios) {
		if (l->hybrid) {
			argv[n++] = "-isohybrid-mbr";
			argv[n++] = "/usr/lib/ISOLINUX/isohdpfx.bin";
		}
		argv[n++] = "-b";
		argv[n++] = (char *)l->bios_boot;
		argv[n++] = "-no-emul-boot";
		argv[n++] = "-boot-load-size";
		argv[n++] = "4";
		argv[n++] = "-boot-info-table";
	}
	if (b->p->esp) {
		if (b->p->bios)
			argv[n++] = "-eltorito-alt-boot";
		argv[n++] = "-e";
		argv[n++] = (char *)l->esp_image;
		argv[n++] = "-no-emul-boot";
		if (l->hybrid) {
			/* GPT entry of type Basic Data for the ESP: UEFI laptops that ignored the
			 * plain isohybrid layout boot this one (iPXE issue 522). */
			argv[n++] = "-isohybrid-gpt-basdat";
			if (!b->p->bios)
				argv[n++] = "-part_like_isohybrid";
		}
	}
	argv[n++] = tree;
	argv[n] = NULL;
	if (l->hybrid && b->p->bios && access("/usr/lib/ISOLINUX/isohdpfx.bin", R_OK))
		return diag_set(b->d, -ENOENT,
				"/usr/lib/ISOLINUX/isohdpfx.bin missing: apt-get install isolinux");
	return run(b, argv);
}

static void lba_to_chs(unsigned long long lba, unsigned char chs[3])
{
	unsigned long long c = lba / (255 * 63), h = (lba / 63) % 255, s = lba % 63 + 1;
	if (c > 1023) {
		c = 1023, h = 254, s = 63; /* beyond CHS: the conventional "use LBA" marker */
	}
	chs[0] = (unsigned char)h;
	chs[1] = (unsigned char)(s | ((c >> 2) & 0xc0));
	chs[2] = (unsigned char)(c & 0xff);
}

static int build_disk(struct build *b, const char *out)
{
	const struct layout *l = b->p->layout;
	const unsigned long long part_off = MIB, start = part_off / 512;
	unsigned long long part = fat_size(b->p, LAYOUT_AREA_TREE, MIB, MIB); /* slack for edits */
	unsigned char mbr[512] = { 0 }, fstype[8];
	char *code = NULL;
	size_t code_len = 0;
	int fd, rc;

	fd = open(out, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return diag_set(b->d, -errno, "%s: cannot create: %s", out, strerror(errno));
	if (ftruncate(fd, (off_t)(part_off + part))) {
		rc = diag_set(b->d, -errno, "%s: cannot size: %s", out, strerror(errno));
		goto out;
	}
	rc = fat_make(b, out, part_off, part, LAYOUT_AREA_TREE, start);
	if (rc)
		goto out;
	if (b->p->bios) {
		char offset[32], dir[LAYOUT_PATH_MAX + 2];
		snprintf(offset, sizeof(offset), "%llu", part_off);
		snprintf(dir, sizeof(dir), "/%s", l->bios_dir);
		char *sysl[] = { "syslinux", "--offset",  offset,      "--directory",
				 dir,	     "--install", (char *)out, NULL };
		rc = run(b, sysl);
		if (rc)
			goto out;
		rc = fileio_read_text("/usr/lib/syslinux/mbr/mbr.bin", 440, &code, &code_len, b->d);
		if (rc) {
			diag_prefix(b->d, rc, "the syslinux MBR (apt-get install syslinux-common)");
			goto out;
		}
		memcpy(mbr, code, code_len);
	}
	/* Partition type from what mformat chose (BPB file system type string). */
	if (pread(fd, fstype, 8, (off_t)part_off + 54) != 8) {
		rc = diag_set(b->d, -EIO, "%s: cannot read back the FAT boot sector", out);
		goto out;
	}
	unsigned char type = !memcmp(fstype, "FAT12", 5)   ? 0x01
			     : !memcmp(fstype, "FAT16", 5) ? 0x0e
							   : 0x0c;
	unsigned long long count = part / 512;
	unsigned char *e = mbr + 446;
	mbr[440] = (unsigned char)b->p->serial;
	mbr[441] = (unsigned char)(b->p->serial >> 8);
	mbr[442] = (unsigned char)(b->p->serial >> 16);
	mbr[443] = (unsigned char)(b->p->serial >> 24);
	e[0] = 0x80; /* active: the syslinux MBR boots the active partition */
	lba_to_chs(start, e + 1);
	e[4] = type;
	lba_to_chs(start + count - 1, e + 5);
	for (int i = 0; i < 4; i++) {
		e[8 + i] = (unsigned char)(start >> (8 * i));
		e[12 + i] = (unsigned char)(count >> (8 * i));
	}
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	rc = pwrite_all(fd, mbr, sizeof(mbr), 0);
	if (rc)
		diag_set(b->d, rc, "%s: cannot write the MBR: %s", out, strerror(-rc));
out:
	free(code);
	close(fd);
	return rc;
}

/* Refuse outputs that are not (or cannot become) a regular file. */
static int check_output(const char *output, struct diag *d)
{
	struct stat st;

	if (!*output)
		return diag_set(d, -EINVAL, "no output file: give -o FILE");
	if (stat(output, &st) == 0) {
		if (S_ISBLK(st.st_mode))
			return diag_set(d, -EPERM,
					"%s is a block device: build to a file, then use "
					"`chainboot write IMAGE %s` to put it on the stick safely",
					output, output);
		if (S_ISDIR(st.st_mode))
			return diag_set(
				d, -EISDIR,
				"%s is a directory: give a file name, e.g. %s/chainboot.iso",
				output, output);
		if (!S_ISREG(st.st_mode))
			return diag_set(
				d, -EPERM,
				"%s exists and is not a regular file; refusing to replace it",
				output);
	}
	return 0;
}

/* Copy the finished image next to its destination under a temporary name, fsync, rename:
 * a crash or a full disk leaves the previous image as it was. */
static int install_output(const char *built, const char *output, struct diag *d)
{
	char dirbuf[PATH_MAX], basebuf[PATH_MAX], tmp[PATH_MAX];
	const char *dir, *base;
	int fd, dfd, rc;

	snprintf(dirbuf, sizeof(dirbuf), "%s", output);
	snprintf(basebuf, sizeof(basebuf), "%s", output);
	dir = dirname(dirbuf);
	base = basename(basebuf);
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base) >= (int)sizeof(tmp))
		return diag_set(d, -ENAMETOOLONG, "%s: path too long", output);
	fd = mkstemp(tmp);
	if (fd < 0)
		return diag_set(d, -errno, "cannot create the image in %s: %s", dir,
				strerror(errno));
	rc = copy_to_fd(built, fd, d, output);
	if (!rc && fchmod(fd, 0644))
		rc = diag_set(d, -errno, "%s: %s", tmp, strerror(errno));
	if (!rc && fsync(fd))
		rc = diag_set(d, -errno, "%s: writing to disk failed: %s", output, strerror(errno));
	if (close(fd) && !rc)
		rc = diag_set(d, -errno, "%s: writing failed: %s", output, strerror(errno));
	if (!rc && interrupt_pending())
		rc = diag_set(d, -EINTR, "interrupted; nothing was written");
	if (!rc && rename(tmp, output))
		rc = diag_set(d, -errno, "cannot rename %s to %s: %s", tmp, output,
			      strerror(errno));
	if (rc) {
		unlink(tmp);
		return rc;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd); /* the rename itself must reach the disk too */
		close(dfd);
	}
	return 0;
}

int image_build(const struct plan *p, const char *output, struct diag *d)
{
	struct build b = { .p = p, .d = d };
	const char *tmpdir = getenv("TMPDIR");
	char built[PATH_MAX], staged[PATH_MAX];
	int rc;

	rc = check_output(output, d);
	if (rc)
		return rc;
	snprintf(b.stage, sizeof(b.stage), "%s/chainboot.XXXXXX",
		 tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(b.stage))
		return diag_set(d, -errno, "cannot make a staging directory in %s: %s",
				tmpdir && *tmpdir ? tmpdir : "/tmp", strerror(errno));
	for (int i = 0; i < 2; i++) {
		char area[PATH_MAX];
		snprintf(area, sizeof(area), "%s/%s", b.stage, i ? "esp" : "tree");
		if (mkdir(area, 0755)) {
			rc = diag_set(d, -errno, "%s: cannot create: %s", area, strerror(errno));
			goto out;
		}
	}
	snprintf(b.env_sde, sizeof(b.env_sde), "SOURCE_DATE_EPOCH=%lld", (long long)p->epoch);
	b.env[0] = b.env_sde;
	b.env[1] = "MTOOLSRC=/dev/null"; /* no user mtools config changes our images */
	b.env[2] = "MTOOLS_SKIP_CHECK=1";
	b.env[3] = NULL;

	for (unsigned i = 0; i < p->n_files; i++) {
		rc = stage_file(&b, &p->files[i], staged, sizeof(staged));
		if (rc)
			goto out;
	}
	snprintf(built, sizeof(built), "%s/image.out", b.stage);
	switch (p->layout->container) {
	case LAYOUT_ISO:
		rc = build_iso(&b, built);
		break;
	case LAYOUT_DISK:
		rc = build_disk(&b, built);
		break;
	case LAYOUT_ESP:
		rc = make_esp(&b, built, NULL);
		break;
	}
	if (rc)
		goto out;
	rc = install_output(built, output, d);
out:
	stage_remove(b.stage);
	return rc;
}
