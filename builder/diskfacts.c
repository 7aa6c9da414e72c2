/* diskfacts: collect what diskpolicy needs about a write target. The same code reads
 * this machine (root "") or a recorded snapshot directory (root = that directory), so
 * the unit tests run the real sysfs walker on recorded trees. Inputs are the kernel's
 * files, or a snapshot someone sent us: every line and attribute is length-capped,
 * symlinks must stay inside the root, and unparsable lines are skipped, not trusted. */
#include "diskfacts.h"

#include <blkid/blkid.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define TEXT_MAX (4u << 20) /* mountinfo with thousands of container mounts stays below this */
#define ATTR_MAX 4096u	    /* one sysfs attribute */

struct src {
	const char *root;	 /* "" = this machine */
	char rootreal[PATH_MAX]; /* realpath(root), "" for this machine */
	bool snapshot;
	const char *blkid_text; /* snapshot: `blkid -o export` output */
};

/* ---- small file helpers ---------------------------------------------------- */

static int join(char *out, size_t outsz, const char *a, const char *b)
{
	int n = snprintf(out, outsz, "%s%s", a, b);

	return n < 0 || (size_t)n >= outsz ? -ENAMETOOLONG : 0;
}

/* Read a whole small text file (at most max bytes, NUL-terminated, malloc'd). */
static int read_text(const char *path, size_t max, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1);
	int fd, rc = 0;

	*out = NULL;
	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno; /* before free(), which may change errno */
		free(buf);
		return rc < 0 ? rc : -EIO; /* never 0 with *out NULL */
	}
	for (;;) {
		ssize_t r;

		if (len == cap) {
			char *nb;

			if (cap >= max) {
				rc = -EFBIG;
				break;
			}
			cap = cap * 2 > max ? max : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			break;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* One sysfs attribute below root: trimmed of the padding and newline sysfs adds
 * (SCSI vendor/model strings are space-padded to 8/16 characters). */
static int read_attr(const struct src *s, const char *dir, const char *attr, char *out,
		     size_t outsz)
{
	char p[PATH_MAX], q[PATH_MAX], *t;
	size_t n, start = 0;
	int rc;

	out[0] = '\0';
	if (snprintf(q, sizeof(q), "%s/%s", dir, attr) >= (int)sizeof(q) ||
	    join(p, sizeof(p), s->root, q))
		return -ENAMETOOLONG;
	rc = read_text(p, ATTR_MAX, &t);
	if (rc)
		return rc;
	n = strlen(t);
	while (n && isspace((unsigned char)t[n - 1]))
		n--;
	while (start < n && isspace((unsigned char)t[start]))
		start++;
	n -= start;
	if (n >= outsz)
		n = outsz - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[start + i];
		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c; /* shown to the user as-is */
	}
	out[n] = '\0';
	free(t);
	return 0;
}

static bool has_attr(const struct src *s, const char *dir, const char *attr)
{
	char p[PATH_MAX], q[PATH_MAX];
	struct stat st;

	if (snprintf(q, sizeof(q), "%s/%s", dir, attr) >= (int)sizeof(q) ||
	    join(p, sizeof(p), s->root, q))
		return false;
	return stat(p, &st) == 0;
}

static int attr_u64(const struct src *s, const char *dir, const char *attr, uint64_t *v)
{
	char buf[32], *end;
	unsigned long long x;
	int rc = read_attr(s, dir, attr, buf, sizeof(buf));

	if (rc)
		return rc;
	errno = 0;
	x = strtoull(buf, &end, 10);
	if (errno || end == buf || *end)
		return -EINVAL;
	*v = x;
	return 0;
}

static int parse_majmin(const char *t, unsigned *major, unsigned *minor)
{
	char *end;
	unsigned long a, b;

	errno = 0;
	a = strtoul(t, &end, 10);
	if (errno || end == t || *end != ':' || a > 0xfffff)
		return -EINVAL;
	t = end + 1;
	b = strtoul(t, &end, 10);
	if (errno || end == t || a > 0xfffff || b > 0xfffff)
		return -EINVAL;
	*major = (unsigned)a;
	*minor = (unsigned)b;
	return 0;
}

/* Resolve a sysfs symlink path ("/sys/dev/block/8:16") below root to the real
 * "/sys/devices/…" path, refusing links that leave the root (snapshots). */
static int resolve(const struct src *s, const char *syslink, char *out, size_t outsz)
{
	char p[PATH_MAX], r[PATH_MAX];
	size_t rl = strlen(s->rootreal);

	if (join(p, sizeof(p), s->root, syslink))
		return -ENAMETOOLONG;
	if (!realpath(p, r))
		return -errno;
	if (rl && (strncmp(r, s->rootreal, rl) != 0 || r[rl] != '/'))
		return -EXDEV;
	if (strlen(r + rl) >= outsz)
		return -ENAMETOOLONG;
	strcpy(out, r + rl);
	return 0;
}

static const char *base_name(const char *p)
{
	const char *b = strrchr(p, '/');

	return b ? b + 1 : p;
}

static void copy_str(char *dst, size_t dstsz, const char *src)
{
	snprintf(dst, dstsz, "%s", src);
}

/* mountinfo and /proc/swaps escape space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* ---- /proc parsers ---------------------------------------------------------- */

/* Split the next whitespace-separated field off *p (in place). */
static char *field(char **p)
{
	char *s = *p, *e;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return NULL;
	e = s;
	while (*e && *e != ' ' && *e != '\t')
		e++;
	if (*e)
		*e++ = '\0';
	*p = e;
	return s;
}

int diskfacts_parse_mountinfo(const char *text, struct disk_facts *f, struct diag *d)
{
	const char *line = text;

	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[4096], *p = buf, *fl[6], *fs, *src;
		unsigned major, minor, i;

		if (len >= sizeof(buf))
			goto next; /* no real mountinfo line is this long; skip rather than cut */
		memcpy(buf, line, len);
		buf[len] = '\0';
		/* 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
		 * (proc(5)): six fixed fields, optional fields up to "-", then fstype, source. */
		for (i = 0; i < 6; i++)
			if (!(fl[i] = field(&p)))
				goto next;
		while (strcmp(fl[5], "-") != 0)
			if (!(fl[5] = field(&p)))
				goto next;
		fs = field(&p);
		src = field(&p);
		if (!fs || !src || parse_majmin(fl[2], &major, &minor))
			goto next;
		/* Only block-device-backed mounts can be on a disk: a real major, or a /dev
		 * source (btrfs reports an anonymous 0:N device). */
		if (major == 0 && src[0] != '/')
			goto next;
		if (f->n_mounts >= DISK_MOUNTS_MAX)
			return diag_set(
				d, -E2BIG,
				"more than %u block-device mounts: cannot check them all, so "
				"refusing to write",
				DISK_MOUNTS_MAX);
		unescape_octal(fl[4]);
		unescape_octal(src);
		struct disk_mount *m = &f->mounts[f->n_mounts++];
		m->major = major;
		m->minor = minor;
		copy_str(m->mountpoint, sizeof(m->mountpoint), fl[4]);
		copy_str(m->fstype, sizeof(m->fstype), fs);
		copy_str(m->source, sizeof(m->source), src);
	next:
		if (!nl)
			break;
		line = nl + 1;
	}
	return 0;
}

int diskfacts_parse_swaps(const char *text, struct disk_facts *f, struct diag *d)
{
	const char *line = text;
	bool header = true;

	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[1024], *p = buf, *path, *type;

		if (header) { /* "Filename  Type  Size  Used  Priority" */
			header = false;
			goto next;
		}
		if (len >= sizeof(buf))
			goto next;
		memcpy(buf, line, len);
		buf[len] = '\0';
		path = field(&p);
		type = field(&p);
		if (!path || !type)
			goto next;
		if (f->n_swaps >= DISK_SWAPS_MAX)
			return diag_set(d, -E2BIG,
					"more than %u swap areas: cannot check them all, so "
					"refusing to write",
					DISK_SWAPS_MAX);
		unescape_octal(path);
		struct disk_swap *s = &f->swaps[f->n_swaps++];
		copy_str(s->path, sizeof(s->path), path);
		s->is_file = strcmp(type, "file") == 0;
	next:
		if (!nl)
			break;
		line = nl + 1;
	}
	return 0;
}

/* ---- sysfs walk ---------------------------------------------------------------- */

/* Fill one device's sysfs facts from its /sys/devices/… directory. */
static void read_dev(const struct src *s, const char *sys, struct disk_dev *dv)
{
	char buf[64];
	uint64_t v;

	copy_str(dv->name, sizeof(dv->name), base_name(sys));
	if (!read_attr(s, sys, "dev", buf, sizeof(buf)))
		parse_majmin(buf, &dv->major, &dv->minor);
	/* sysfs "size" counts 512-byte units whatever the logical block size */
	if (!attr_u64(s, sys, "size", &v) && v <= UINT64_MAX / 512)
		dv->size = v * 512;
	if (!attr_u64(s, sys, "partition", &v) && v < 1u << 20)
		dv->partno = (unsigned)v;
	read_attr(s, sys, "dm/name", dv->dm_name, sizeof(dv->dm_name));
	read_attr(s, sys, "dm/uuid", dv->dm_uuid, sizeof(dv->dm_uuid));
	read_attr(s, sys, "md/level", dv->md_level, sizeof(dv->md_level));
}

static int add_dev(struct disk_facts *f, char (*paths)[PATH_MAX], const char *sys,
		   enum disk_role role, int parent)
{
	if (f->n_dev >= DISK_DEVS_MAX)
		return -E2BIG;
	memset(&f->dev[f->n_dev], 0, sizeof(f->dev[0]));
	f->dev[f->n_dev].role = role;
	f->dev[f->n_dev].parent = parent;
	copy_str(paths[f->n_dev], PATH_MAX, sys);
	f->n_dev++;
	return (int)f->n_dev - 1;
}

static int cmp_partno(const void *a, const void *b)
{
	const struct disk_dev *x = a, *y = b;

	return (x->partno > y->partno) - (x->partno < y->partno);
}

/* Partitions: subdirectories of the disk's sysfs directory that have "partition". */
static int walk_partitions(const struct src *s, struct disk_facts *f, char (*paths)[PATH_MAX])
{
	char dirp[PATH_MAX], sub[PATH_MAX];
	struct dirent *de;
	unsigned first = f->n_dev;
	DIR *dir;

	if (join(dirp, sizeof(dirp), s->root, f->syspath))
		return -ENAMETOOLONG;
	dir = opendir(dirp);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		int k;

		if (strncmp(de->d_name, f->dev[0].name, strlen(f->dev[0].name)) != 0)
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", f->syspath, de->d_name) >= (int)sizeof(sub))
			continue;
		if (!has_attr(s, sub, "partition"))
			continue;
		k = add_dev(f, paths, sub, DISK_ROLE_PART, 0);
		if (k < 0) {
			f->stack_truncated = true;
			break;
		}
		read_dev(s, sub, &f->dev[k]);
	}
	closedir(dir);
	/* readdir order is arbitrary: show partitions in table order (paths stay in step). */
	for (unsigned i = first + 1; i < f->n_dev; i++)
		for (unsigned j = i; j > first && cmp_partno(&f->dev[j - 1], &f->dev[j]) > 0; j--) {
			struct disk_dev t = f->dev[j];
			char tp[PATH_MAX];

			f->dev[j] = f->dev[j - 1];
			f->dev[j - 1] = t;
			memcpy(tp, paths[j], PATH_MAX);
			memcpy(paths[j], paths[j - 1], PATH_MAX);
			memcpy(paths[j - 1], tp, PATH_MAX);
		}
	return 0;
}

/* Holders, breadth first: what sits on the target and its partitions, then on those. */
static void walk_holders(const struct src *s, struct disk_facts *f, char (*paths)[PATH_MAX])
{
	unsigned depth[DISK_DEVS_MAX] = { 0 };

	for (unsigned i = 0; i < f->n_dev; i++) {
		char dirp[PATH_MAX], hl[PATH_MAX], hsys[PATH_MAX];
		struct dirent *de;
		DIR *dir;

		if (snprintf(hl, sizeof(hl), "%s%s/holders", s->root, paths[i]) >= (int)sizeof(hl))
			continue;
		copy_str(dirp, sizeof(dirp), hl);
		dir = opendir(dirp);
		if (!dir)
			continue;
		while ((de = readdir(dir))) {
			bool dup = false;
			int k;

			if (de->d_name[0] == '.')
				continue;
			for (unsigned j = 0; j < f->n_dev; j++)
				dup |= !strcmp(f->dev[j].name, de->d_name);
			if (dup)
				continue; /* e.g. one md array on two partitions of this disk */
			if (depth[i] + 1 > DISK_STACK_DEPTH) {
				f->stack_truncated = true;
				continue;
			}
			if (snprintf(hl, sizeof(hl), "/sys/class/block/%s", de->d_name) >=
				    (int)sizeof(hl) ||
			    resolve(s, hl, hsys, sizeof(hsys))) {
				f->stack_truncated =
					true; /* a holder we cannot see: do not guess */
				continue;
			}
			k = add_dev(f, paths, hsys, DISK_ROLE_HOLDER, (int)i);
			if (k < 0) {
				f->stack_truncated = true;
				break;
			}
			depth[k] = depth[i] + 1;
			read_dev(s, hsys, &f->dev[k]);
		}
		closedir(dir);
	}
}

/* Swap partitions by major:minor: stat() on this machine; in a snapshot (no /dev)
 * the /dev/NAME is looked up in the recorded sysfs instead. */
static void resolve_swaps(const struct src *s, struct disk_facts *f)
{
	for (unsigned i = 0; i < f->n_swaps; i++) {
		struct disk_swap *sw = &f->swaps[i];
		char p[PATH_MAX], buf[32];
		struct stat st;

		if (sw->is_file)
			continue;
		if (!s->snapshot) {
			if (!join(p, sizeof(p), s->root, sw->path) && !stat(p, &st) &&
			    S_ISBLK(st.st_mode)) {
				sw->major = major(st.st_rdev);
				sw->minor = minor(st.st_rdev);
			}
			continue;
		}
		if (strncmp(sw->path, "/dev/", 5) || strchr(sw->path + 5, '/'))
			continue; /* /dev/mapper/NAME: the policy matches the dm name */
		if (snprintf(p, sizeof(p), "/sys/class/block/%s", sw->path + 5) < (int)sizeof(p) &&
		    !read_attr(s, p, "dev", buf, sizeof(buf)))
			parse_majmin(buf, &sw->major, &sw->minor);
	}
}

/* ---- libblkid ------------------------------------------------------------------ */

static void probe_fs(int fd, uint64_t off, uint64_t size, struct disk_dev *dv)
{
	blkid_probe pr = blkid_new_probe();
	const char *val;

	if (!pr)
		return;
	if (blkid_probe_set_device(pr, fd, (blkid_loff_t)off, (blkid_loff_t)size) == 0) {
		blkid_probe_enable_superblocks(pr, 1);
		blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL);
		blkid_probe_enable_partitions(pr, 0);
		if (blkid_do_safeprobe(pr) == 0) {
			if (!blkid_probe_lookup_value(pr, "TYPE", &val, NULL))
				copy_str(dv->fstype, sizeof(dv->fstype), val);
			if (!blkid_probe_lookup_value(pr, "LABEL", &val, NULL))
				copy_str(dv->label, sizeof(dv->label), val);
		}
	}
	blkid_free_probe(pr);
}

/* Probe the target on this machine: its partition table, the file system (if any)
 * on the whole device, and each partition's file system at its offset. */
static int probe_live(struct disk_facts *f, struct diag *d)
{
	blkid_probe pr;
	int fd;

	if (!f->n_dev || !f->dev[0].size)
		return 0;
	fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;

		/* Not fatal: the refusal reasons do not depend on the contents, and a
		 * refusal explains more than "cannot open"; the write's own open reports
		 * the error if it comes to that. */
		if ((e == EACCES || e == EPERM) && geteuid() != 0)
			snprintf(f->probe_error, sizeof(f->probe_error),
				 "%s (writing a disk needs root: run chainboot "
				 "write with sudo)",
				 strerror(e));
		else if (e != ENOMEDIUM)
			snprintf(f->probe_error, sizeof(f->probe_error), "%s", strerror(e));
		(void)d;
		return 0;
	}
	probe_fs(fd, 0, 0, &f->dev[0]);
	pr = blkid_new_probe();
	if (pr && !f->is_partition && blkid_probe_set_device(pr, fd, 0, 0) == 0) {
		blkid_partlist pl;
		blkid_parttable tab;

		blkid_probe_enable_superblocks(pr, 0);
		blkid_probe_enable_partitions(pr, 1);
		pl = blkid_probe_get_partitions(pr);
		if (pl && (tab = blkid_partlist_get_table(pl))) {
			int n = blkid_partlist_numof_partitions(pl);

			copy_str(f->pttype, sizeof(f->pttype), blkid_parttable_get_type(tab));
			for (int i = 0; i < n; i++) {
				blkid_partition p = blkid_partlist_get_partition(pl, i);
				uint64_t start = (uint64_t)blkid_partition_get_start(p) * 512;
				uint64_t size = (uint64_t)blkid_partition_get_size(p) * 512;
				int no = blkid_partition_get_partno(p);

				/* Only partitions inside the device; a table from a bigger image
				 * (a stick written with a cut-off image) can claim more. */
				if (start > f->dev[0].size || size > f->dev[0].size - start)
					continue;
				for (unsigned k = 1; k < f->n_dev; k++)
					if (f->dev[k].role == DISK_ROLE_PART &&
					    f->dev[k].partno == (unsigned)no)
						probe_fs(fd, start, size, &f->dev[k]);
			}
		}
	}
	if (pr)
		blkid_free_probe(pr);
	close(fd);
	return 0;
}

/* Snapshot: `blkid -o export` blocks (KEY=value lines, blank line between devices). */
static void unescape_export(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (*r == '\\' && r[1])
			r++;
		*w++ = *r;
	}
	*w = '\0';
}

static void apply_blkid_export(const char *text, struct disk_facts *f)
{
	const char *line = text;
	struct disk_dev *cur = NULL;
	bool cur_target = false;

	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[512], *eq;

		if (len == 0) {
			cur = NULL;
			cur_target = false;
			goto next;
		}
		if (len >= sizeof(buf))
			goto next;
		memcpy(buf, line, len);
		buf[len] = '\0';
		eq = strchr(buf, '=');
		if (!eq)
			goto next;
		*eq++ = '\0';
		unescape_export(eq);
		if (!strcmp(buf, "DEVNAME")) {
			cur = NULL;
			for (unsigned k = 0; k < f->n_dev; k++)
				if (!strncmp(eq, "/dev/", 5) && !strcmp(f->dev[k].name, eq + 5))
					cur = &f->dev[k];
			cur_target = cur == &f->dev[0];
		} else if (cur && !strcmp(buf, "TYPE")) {
			copy_str(cur->fstype, sizeof(cur->fstype), eq);
		} else if (cur && !strcmp(buf, "LABEL")) {
			copy_str(cur->label, sizeof(cur->label), eq);
		} else if (cur_target && !strcmp(buf, "PTTYPE")) {
			copy_str(f->pttype, sizeof(f->pttype), eq);
		}
	next:
		if (!nl)
			break;
		line = nl + 1;
	}
}

/* ---- the whole gathering -------------------------------------------------------- */

static int gather_block(const struct src *s, struct disk_facts *f, struct diag *d)
{
	char link[64], diskdir[PATH_MAX], buf[64], (*paths)[PATH_MAX];
	uint64_t v;
	int rc;

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", f->rdev_major, f->rdev_minor);
	rc = resolve(s, link, f->syspath, sizeof(f->syspath));
	if (rc == -ENOENT)
		return 0; /* no sysfs entry: n_dev stays 0 and the policy refuses to guess */
	if (rc)
		return diag_set(d, rc, "%s: cannot resolve %s%s: %s", f->path, s->root, link,
				strerror(-rc));
	paths = calloc(DISK_DEVS_MAX, PATH_MAX);
	if (!paths)
		return diag_set(d, -ENOMEM, "out of memory");
	add_dev(f, paths, f->syspath, DISK_ROLE_TARGET, -1);
	read_dev(s, f->syspath, &f->dev[0]);
	f->is_partition = has_attr(s, f->syspath, "partition");
	copy_str(diskdir, sizeof(diskdir), f->syspath);
	if (f->is_partition) {
		char *slash = strrchr(diskdir, '/');

		if (slash)
			*slash = '\0';
		copy_str(f->parent_disk, sizeof(f->parent_disk), base_name(diskdir));
	}
	if (!read_attr(s, f->syspath, "ro", buf, sizeof(buf)))
		f->ro = !strcmp(buf, "1");
	/* Partitions have no "removable" or device/ of their own: ask the disk. */
	if (!attr_u64(s, diskdir, "removable", &v))
		f->removable = v == 1;
	read_attr(s, diskdir, "device/vendor", f->vendor, sizeof(f->vendor));
	if (read_attr(s, diskdir, "device/model", f->model, sizeof(f->model)))
		read_attr(s, diskdir, "device/name", f->model, sizeof(f->model)); /* MMC cards */
	/* virtio's device/vendor is a PCI id (0x1af4), not a name: not worth showing */
	if (!strncmp(f->vendor, "0x", 2))
		f->vendor[0] = '\0';
	read_attr(s, diskdir, "loop/backing_file", f->backing_file, sizeof(f->backing_file));
	if (!f->is_partition) {
		rc = walk_partitions(s, f, paths);
		if (rc && rc != -ENOENT) {
			free(paths);
			return diag_set(d, rc, "%s: cannot list %s%s: %s", f->path, s->root,
					f->syspath, strerror(-rc));
		}
	}
	walk_holders(s, f, paths);
	free(paths);
	return 0;
}

static int read_proc(const struct src *s, struct disk_facts *f, struct diag *d)
{
	char p[PATH_MAX], *t;
	int rc;

	if (join(p, sizeof(p), s->root, "/proc/self/mountinfo"))
		return diag_set(d, -ENAMETOOLONG, "%s: path too long", s->root);
	rc = read_text(p, TEXT_MAX, &t);
	if (rc)
		return diag_set(d, rc, "%s: %s: cannot check what is mounted, so refusing to write",
				p, strerror(-rc));
	rc = diskfacts_parse_mountinfo(t, f, d);
	free(t);
	if (rc)
		return rc;
	join(p, sizeof(p), s->root, "/proc/swaps");
	rc = read_text(p, TEXT_MAX, &t);
	if (rc == -ENOENT)
		return 0; /* a kernel without swap support has no /proc/swaps */
	if (rc)
		return diag_set(d, rc, "%s: %s: cannot check swap, so refusing to write", p,
				strerror(-rc));
	rc = diskfacts_parse_swaps(t, f, d);
	free(t);
	if (!rc)
		resolve_swaps(s, f);
	return rc;
}

static int gather(const struct src *s, struct disk_facts *f, struct diag *d)
{
	int rc = 0;

	if (f->kind == DISK_BLOCK) {
		rc = gather_block(s, f, d);
		if (!rc)
			rc = read_proc(s, f, d);
		if (!rc && s->snapshot && s->blkid_text)
			apply_blkid_export(s->blkid_text, f);
		else if (!rc && !s->snapshot)
			rc = probe_live(f, d);
	}
	return rc;
}

int diskfacts_gather(const char *path, struct disk_facts *f, struct diag *d)
{
	static struct src s = { .root = "" };
	struct stat st;

	memset(f, 0, sizeof(*f));
	if (strlen(path) >= sizeof(f->path))
		return diag_set(d, -ENAMETOOLONG, "%s: path too long", path);
	strcpy(f->path, path);
	if (stat(path, &st)) {
		if (errno != ENOENT && errno != ENOTDIR)
			return diag_set(d, -errno, "%s: %s", path, strerror(errno));
		f->kind = DISK_MISSING;
		return 0;
	}
	if (S_ISBLK(st.st_mode)) {
		f->kind = DISK_BLOCK;
		f->rdev_major = major(st.st_rdev);
		f->rdev_minor = minor(st.st_rdev);
	} else if (S_ISREG(st.st_mode)) {
		f->kind = DISK_REGULAR;
		f->file_size = (uint64_t)st.st_size;
		return 0;
	} else {
		f->kind = DISK_OTHER;
		return 0;
	}
	return gather(&s, f, d);
}

/* The snapshot's "target" file: key=value lines describing what stat() said. */
static int parse_target(const char *file, const char *text, struct disk_facts *f, struct diag *d)
{
	const char *line = text;
	unsigned lineno = 0;
	bool have_path = false, have_kind = false;

	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[PATH_MAX + 16], *eq;

		lineno++;
		if (len == 0 || line[0] == '#')
			goto next;
		if (len >= sizeof(buf))
			return diag_set(d, -EINVAL, "%s:%u: line too long", file, lineno);
		memcpy(buf, line, len);
		buf[len] = '\0';
		eq = strchr(buf, '=');
		if (!eq)
			return diag_set(d, -EINVAL, "%s:%u: expected key=value", file, lineno);
		*eq++ = '\0';
		if (!strcmp(buf, "path")) {
			if (strlen(eq) >= sizeof(f->path))
				return diag_set(d, -EINVAL, "%s:%u: path too long", file, lineno);
			strcpy(f->path, eq);
			have_path = true;
		} else if (!strcmp(buf, "kind")) {
			have_kind = true;
			if (!strcmp(eq, "block"))
				f->kind = DISK_BLOCK;
			else if (!strcmp(eq, "regular"))
				f->kind = DISK_REGULAR;
			else if (!strcmp(eq, "missing"))
				f->kind = DISK_MISSING;
			else if (!strcmp(eq, "other"))
				f->kind = DISK_OTHER;
			else
				return diag_set(
					d, -EINVAL,
					"%s:%u: kind \"%s\": block, regular, missing or other",
					file, lineno, eq);
		} else if (!strcmp(buf, "rdev")) {
			if (parse_majmin(eq, &f->rdev_major, &f->rdev_minor))
				return diag_set(d, -EINVAL, "%s:%u: rdev \"%s\": MAJOR:MINOR", file,
						lineno, eq);
		} else if (!strcmp(buf, "size")) {
			char *end;

			errno = 0;
			f->file_size = strtoull(eq, &end, 10);
			if (errno || end == eq || *end)
				return diag_set(d, -EINVAL, "%s:%u: size \"%s\": a number of bytes",
						file, lineno, eq);
		} else {
			return diag_set(d, -EINVAL,
					"%s:%u: unknown key \"%s\" (path, kind, rdev, size)", file,
					lineno, buf);
		}
	next:
		if (!nl)
			break;
		line = nl + 1;
	}
	if (!have_path || !have_kind)
		return diag_set(d, -EINVAL, "%s: needs path= and kind=", file);
	return 0;
}

int diskfacts_load(const char *dir, struct disk_facts *f, struct diag *d)
{
	static struct src s;
	char p[PATH_MAX], *t = NULL, *bt = NULL;
	int rc;

	memset(f, 0, sizeof(*f));
	memset(&s, 0, sizeof(s));
	s.root = dir;
	s.snapshot = true;
	if (!realpath(dir, s.rootreal))
		return diag_set(d, -errno, "%s: %s", dir, strerror(errno));
	if (join(p, sizeof(p), dir, "/target"))
		return diag_set(d, -ENAMETOOLONG, "%s: path too long", dir);
	rc = read_text(p, 64 << 10, &t);
	if (rc)
		return diag_set(d, rc, "%s: %s", p, strerror(-rc));
	rc = parse_target(p, t, f, d);
	free(t);
	if (rc)
		return rc;
	join(p, sizeof(p), dir, "/blkid");
	rc = read_text(p, TEXT_MAX, &bt);
	if (rc && rc != -ENOENT)
		return diag_set(d, rc, "%s: %s", p, strerror(-rc));
	s.blkid_text = bt;
	rc = gather(&s, f, d);
	free(bt);
	return rc;
}
