/* inspect: report what an image holds — partitions and file systems (libblkid), the
 * ISO 9660 volume and its El Torito catalog (read here), files on FAT (mtools), the
 * iPXE binaries' user-class and the chain script's user-class and URLs. The image
 * is untrusted (it may be anyone's ISO or USB stick): every offset and length read
 * from it is checked against the file size, and every string shown is escaped. */
#include "inspect.h"
#include "inspect_sb.h"

#include <blkid/blkid.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "byteorder.h"
#include "ipxebin.h"
#include "spawn.h"
#include "zbin.h"

/* Caps on what we read from an image: bounded memory whatever it claims. */
#define INSPECT_BIN_MAX	   (32u << 20) /* an iPXE binary (~1 MiB in practice) */
#define INSPECT_SCRIPT_MAX (1u << 20)  /* a chain script */
#define INSPECT_CFG_MAX	   (64u << 10) /* isolinux.cfg / syslinux.cfg */
#define INSPECT_LINE_MAX   4096
#define INSPECT_ITEMS_MAX  64 /* candidates per volume, partitions per table */
#define INSPECT_VOLS_MAX   16 /* file systems examined per image */

#define ISO_SECTOR	   2048u
#define ISO_VD_FIRST	   16u
#define ISO_VD_MAX	   64u	      /* volume descriptors we look at */
#define ISO_DIR_MAX	   (4u << 20) /* one directory extent */
#define ISO_NAME_MAX	   255u
#define ISO_DEPTH_MAX	   16u
#define ISO_WALK_MAX	   20000u /* entries visited to name El Torito images */
#define ISO_WALK_QUEUE_MAX 256u	  /* directories queued in that walk */
#define ISO_CE_MAX	   4u	  /* Rock Ridge continuation areas per record */
#define ELTORITO_SECTORS   4u	  /* catalog sectors read (each holds 64 entries) */
#define ELTORITO_MAX	   64u

#define FAT_LIST_MAX  (4u << 20) /* mdir output */
#define FAT_FILES_MAX 65536u

/* ---- image access -------------------------------------------------------- */

struct img {
	int fd;
	uint64_t size;
	const char *path;
};

/* Read exactly len bytes at off; -ERANGE if that is beyond the image. */
static int img_pread(const struct img *im, uint64_t off, void *buf, size_t len)
{
	size_t done = 0;

	if (off > im->size || len > im->size - off)
		return -ERANGE;
	while (done < len) {
		ssize_t r = pread(im->fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		done += (size_t)r;
	}
	return 0;
}

static int img_read_alloc(const struct img *im, uint64_t off, size_t len, uint8_t **out)
{
	uint8_t *b = malloc(len ? len : 1);
	int rc;

	*out = NULL;
	if (!b)
		return -ENOMEM;
	rc = img_pread(im, off, b, len);
	if (rc < 0) {
		free(b);
		return rc;
	}
	*out = b;
	return 0;
}

/* ---- JSON helpers --------------------------------------------------------- */

/* Bytes from the image as a JSON string that is safe to print: control bytes
 * become \xNN (no terminal escapes), and if the rest is not valid UTF-8 every
 * non-ASCII byte does too (jansson accepts only UTF-8). */
static json_t *jstr_n(const void *data, size_t n)
{
	const uint8_t *p = data;
	json_t *j = NULL;
	char *buf;
	int pass;

	buf = malloc(n * 4 + 1);
	if (!buf)
		return json_string("");
	for (pass = 0; pass < 2 && !j; pass++) {
		size_t i, o = 0;

		for (i = 0; i < n; i++) {
			if (p[i] < 0x20 || p[i] == 0x7f || (pass && p[i] >= 0x80)) {
				snprintf(buf + o, 5, "\\x%02x", p[i]);
				o += 4;
			} else {
				buf[o++] = (char)p[i];
			}
		}
		j = json_stringn(buf, o);
	}
	free(buf);
	return j ? j : json_string("");
}

static json_t *jstr(const char *s)
{
	return jstr_n(s, s ? strlen(s) : 0);
}

static void jset(json_t *o, const char *key, json_t *v)
{
	if (v)
		json_object_set_new(o, key, v);
}

static const char *jget_str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- ISO 9660 (ECMA-119) with Rock Ridge names (SUSP/RRIP 1.12) ------------ */

struct iso {
	const struct img *im;
	uint32_t root_lba, root_size;
	bool have_catalog;
	uint32_t catalog_lba;
};

struct iso_ent {
	char name[ISO_NAME_MAX + 1]; /* Rock Ridge name, else ISO name sans ";1" */
	bool rr;
	bool dir;
	bool multi; /* multi-extent file: we read only whole single extents */
	uint32_t lba, size;
};

/* Return 0 to go on, 1 to stop, <0 on error. */
typedef int (*iso_dir_cb)(const struct iso_ent *e, void *ctx);

/* Append a Rock Ridge NM component; names longer than ISO_NAME_MAX are cut
 * (they then match nothing we look up, which is all we need). */
static void iso_name_append(struct iso_ent *e, size_t *nlen, const uint8_t *p, size_t n)
{
	if (n > ISO_NAME_MAX - *nlen)
		n = ISO_NAME_MAX - *nlen;
	memcpy(e->name + *nlen, p, n);
	*nlen += n;
	e->name[*nlen] = '\0';
}

/* Walk a System Use area for NM entries; CE entries continue it elsewhere. */
static void iso_susp(const struct iso *iso, const uint8_t *sua, size_t len, struct iso_ent *e,
		     size_t *nlen, unsigned depth)
{
	size_t q = 0;

	while (len - q >= 4) {
		size_t el = sua[q + 2];

		if (el < 4 || el > len - q)
			return;
		if (sua[q] == 'N' && sua[q + 1] == 'M' && el >= 5 && !(sua[q + 4] & 0x06)) {
			iso_name_append(e, nlen, sua + q + 5, el - 5);
			e->rr = true;
		} else if (sua[q] == 'S' && sua[q + 1] == 'T') {
			return;
		} else if (sua[q] == 'C' && sua[q + 1] == 'E' && el >= 28 && depth < ISO_CE_MAX) {
			uint64_t off = (uint64_t)le32(sua + q + 4) * ISO_SECTOR +
				       le32(sua + q + 12);
			uint32_t celen = le32(sua + q + 20);
			uint8_t *ce;

			if (celen <= ISO_SECTOR && img_read_alloc(iso->im, off, celen, &ce) == 0) {
				iso_susp(iso, ce, celen, e, nlen, depth + 1);
				free(ce);
			}
		}
		q += el;
	}
}

static int iso_readdir(const struct iso *iso, uint32_t lba, uint32_t size, iso_dir_cb cb, void *ctx,
		       struct diag *d)
{
	uint8_t *buf;
	size_t p = 0;
	int rc;

	if (size > ISO_DIR_MAX)
		return diag_set(d, -EFBIG,
				"ISO 9660 directory at sector %u claims %u bytes "
				"(limit %u): damaged image",
				lba, size, ISO_DIR_MAX);
	rc = img_read_alloc(iso->im, (uint64_t)lba * ISO_SECTOR, size, &buf);
	if (rc < 0)
		return diag_set(d, rc,
				"ISO 9660 directory at sector %u (%u bytes) lies outside "
				"the image: truncated or damaged",
				lba, size);
	while (p < size) {
		size_t rl = buf[p], nl, sua_off, nlen = 0;
		struct iso_ent e;

		if (rl == 0) {
			/* Records do not span sectors; the rest of this one is padding. */
			p = (p / ISO_SECTOR + 1) * ISO_SECTOR;
			continue;
		}
		/* The name length byte is inside the record only if the record fits. */
		nl = rl >= 33 && rl <= size - p ? buf[p + 32] : 0;
		if (rl < 34 || rl > size - p || nl > rl - 33) {
			rc = diag_set(d, -EBADMSG,
				      "ISO 9660 directory at sector %u: bad record "
				      "at byte %zu: damaged image",
				      lba, p);
			goto out;
		}
		memset(&e, 0, sizeof(e));
		e.lba = le32(buf + p + 2);
		e.size = le32(buf + p + 10);
		e.dir = buf[p + 25] & 0x02;
		e.multi = buf[p + 25] & 0x80;
		if (nl == 1 && (buf[p + 33] == 0 || buf[p + 33] == 1)) {
			p += rl; /* "." and ".." */
			continue;
		}
		/* The System Use area starts after the name, padded to an even offset. */
		sua_off = 33 + nl + ((nl & 1) ? 0 : 1);
		if (sua_off < rl)
			iso_susp(iso, buf + p + sua_off, rl - sua_off, &e, &nlen, 0);
		if (!e.rr || !nlen) {
			size_t i;

			nlen = 0;
			e.rr = false;
			iso_name_append(&e, &nlen, buf + p + 33, nl);
			/* "NAME.EXT;1" -> "NAME.EXT"; "DIR." -> "DIR" */
			for (i = 0; i < nlen; i++)
				if (e.name[i] == ';')
					nlen = i;
			while (nlen && e.name[nlen - 1] == '.')
				nlen--;
			e.name[nlen] = '\0';
		}
		/* A NUL inside the name: keep it from matching anything. */
		if (memchr(e.name, '\0', nlen))
			for (size_t i = 0; i < nlen; i++)
				if (!e.name[i])
					e.name[i] = '?';
		rc = cb(&e, ctx);
		if (rc)
			goto out;
		p += rl;
	}
	rc = 0;
out:
	free(buf);
	return rc < 0 ? rc : 0;
}

struct iso_find_ctx {
	const char *want;
	size_t want_len;
	struct iso_ent *out;
	bool found;
};

static int iso_find_cb(const struct iso_ent *e, void *vctx)
{
	struct iso_find_ctx *c = vctx;

	/* Rock Ridge names are case-sensitive; ISO names are upper case and we
	 * look up what people write, so those compare without case. */
	if (strlen(e->name) != c->want_len)
		return 0;
	if (e->rr ? strncmp(e->name, c->want, c->want_len) != 0
		  : strncasecmp(e->name, c->want, c->want_len) != 0)
		return 0;
	*c->out = *e;
	c->found = true;
	return 1;
}

/* Look up an absolute path ("/isolinux/isolinux.cfg"). -ENOENT if absent. */
static int iso_lookup(const struct iso *iso, const char *path, struct iso_ent *out, struct diag *d)
{
	uint32_t lba = iso->root_lba, size = iso->root_size;
	const char *p = path;
	unsigned depth = 0;

	memset(out, 0, sizeof(*out));
	out->dir = true;
	out->lba = lba;
	out->size = size;
	while (*p) {
		struct iso_find_ctx c = { 0 };
		const char *slash;
		int rc;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		if (++depth > ISO_DEPTH_MAX || !out->dir)
			return -ENOENT;
		slash = strchr(p, '/');
		c.want = p;
		c.want_len = slash ? (size_t)(slash - p) : strlen(p);
		c.out = out;
		rc = iso_readdir(iso, lba, size, iso_find_cb, &c, d);
		if (rc < 0)
			return rc;
		if (!c.found)
			return -ENOENT;
		lba = out->lba;
		size = out->size;
		p += c.want_len;
	}
	return 0;
}

/* Breadth-first search for the file whose extent starts at lba (to name El Torito
 * boot images). Visits at most ISO_WALK_MAX entries. */
struct iso_walk_dir {
	uint32_t lba, size;
	char path[INSPECT_LINE_MAX];
};

struct iso_walk_ctx {
	uint32_t want;
	const char *dir;
	char *found;
	size_t foundsz;
	struct iso_walk_dir *queue;
	size_t qlen, qcap;
	unsigned visited;
};

static int iso_walk_cb(const struct iso_ent *e, void *vctx)
{
	struct iso_walk_ctx *c = vctx;

	if (++c->visited > ISO_WALK_MAX)
		return 1;
	if (!e->dir && e->lba == c->want && e->size) {
		snprintf(c->found, c->foundsz, "%s/%s", c->dir, e->name);
		return 1;
	}
	if (e->dir && c->qlen < ISO_WALK_QUEUE_MAX &&
	    strlen(c->dir) + strlen(e->name) + 2 < sizeof(c->queue[0].path)) {
		struct iso_walk_dir *q;

		/* A directory already queued is not queued again: a damaged image whose
		 * directories point back at themselves would fill the queue with one. */
		for (size_t i = 0; i < c->qlen; i++)
			if (c->queue[i].lba == e->lba)
				return 0;
		/* Grown as directories turn up: most images have a handful, and a full
		 * queue up front (1 MiB, zeroed) per El Torito entry cost more than the walk. */
		if (c->qlen == c->qcap) {
			size_t ncap = c->qcap ? c->qcap * 2 : 8;
			struct iso_walk_dir *nq;

			if (ncap > ISO_WALK_QUEUE_MAX)
				ncap = ISO_WALK_QUEUE_MAX;
			nq = realloc(c->queue, ncap * sizeof(*nq));
			if (!nq)
				return 0; /* not named, as when the queue is full */
			c->queue = nq;
			c->qcap = ncap;
		}
		q = &c->queue[c->qlen++];

		q->lba = e->lba;
		q->size = e->size;
		snprintf(q->path, sizeof(q->path), "%s/%s", c->dir, e->name);
	}
	return 0;
}

static void iso_name_lba(const struct iso *iso, uint32_t lba, char *out, size_t outsz)
{
	struct iso_walk_ctx c = { 0 };
	size_t head = 0;

	out[0] = '\0';
	c.want = lba;
	c.found = out;
	c.foundsz = outsz;
	c.qcap = 8;
	c.queue = malloc(c.qcap * sizeof(*c.queue));
	if (!c.queue)
		return;
	c.queue[0].lba = iso->root_lba;
	c.queue[0].size = iso->root_size;
	c.queue[0].path[0] = '\0';
	c.qlen = 1;
	while (head < c.qlen && !out[0] && c.visited <= ISO_WALK_MAX) {
		/* A copy: the callback may move the queue when it grows it. */
		struct iso_walk_dir cur = c.queue[head++];

		c.dir = cur.path;
		if (iso_readdir(iso, cur.lba, cur.size, iso_walk_cb, &c, NULL) < 0)
			continue;
	}
	free(c.queue);
}

/* Primary volume descriptor and boot record. -ENOENT if not ISO 9660. */
static int iso_open(const struct img *im, struct iso *iso, json_t *jiso, struct diag *d)
{
	uint8_t vd[ISO_SECTOR];
	bool have_pvd = false;
	unsigned i;

	memset(iso, 0, sizeof(*iso));
	iso->im = im;
	for (i = 0; i < ISO_VD_MAX; i++) {
		uint64_t off = (uint64_t)(ISO_VD_FIRST + i) * ISO_SECTOR;

		if (img_pread(im, off, vd, sizeof(vd)) < 0 || memcmp(vd + 1, "CD001", 5) != 0)
			break;
		if (vd[0] == 255)
			break;
		if (vd[0] == 1 && !have_pvd) {
			size_t n = 32;

			/* Logical block size (both-endian at 128): El Torito and our
			 * reader assume 2048, as every CD/DVD image has. */
			if (le16(vd + 128) != ISO_SECTOR)
				return diag_set(d, -ENOTSUP,
						"ISO 9660 logical block size "
						"%u is not supported (only 2048)",
						le16(vd + 128));
			while (n && (vd[40 + n - 1] == ' ' || vd[40 + n - 1] == 0))
				n--;
			jset(jiso, "volume_id", jstr_n(vd + 40, n));
			jset(jiso, "volume_blocks", json_integer(le32(vd + 80)));
			/* Root directory record at 156: extent at +2, length at +10. */
			iso->root_lba = le32(vd + 156 + 2);
			iso->root_size = le32(vd + 156 + 10);
			have_pvd = true;
		} else if (vd[0] == 0 && memcmp(vd + 7, "EL TORITO SPECIFICATION", 23) == 0) {
			iso->have_catalog = true;
			iso->catalog_lba = le32(vd + 0x47);
		}
	}
	if (i == 0)
		return -ENOENT;
	if (!have_pvd)
		return diag_set(d, -EBADMSG,
				"ISO 9660 image without a primary volume "
				"descriptor: damaged image");
	return 0;
}

/* ---- El Torito (1995 spec: validation entry, default entry, sections) ------ */

struct et_entry {
	unsigned platform;
	bool bootable;
	unsigned media;
	uint16_t load_seg;
	uint16_t sectors;
	uint32_t lba;
};

static const char *et_platform(unsigned p)
{
	switch (p) {
	case 0x00:
		return "x86 BIOS";
	case 0x01:
		return "PowerPC";
	case 0x02:
		return "Mac";
	case 0xef:
		return "EFI";
	default:
		return "unknown";
	}
}

static const char *et_media(unsigned m)
{
	static const char *const names[] = { "no emulation", "1.2M floppy", "1.44M floppy",
					     "2.88M floppy", "hard disk" };

	return m < sizeof(names) / sizeof(names[0]) ? names[m] : "unknown";
}

static void et_parse_entry(const uint8_t *e, unsigned platform, struct et_entry *out)
{
	out->platform = platform;
	out->bootable = e[0] == 0x88;
	out->media = e[1] & 0x0f;
	out->load_seg = le16(e + 2);
	out->sectors = le16(e + 6);
	out->lba = le32(e + 8);
}

static int et_read(const struct iso *iso, struct et_entry *ents, size_t *n, struct diag *d)
{
	uint8_t cat[ELTORITO_SECTORS * ISO_SECTOR];
	uint64_t off = (uint64_t)iso->catalog_lba * ISO_SECTOR;
	size_t len = sizeof(cat), p;
	unsigned sum = 0, i;

	*n = 0;
	if (off > iso->im->size || iso->im->size - off < 64)
		return diag_set(d, -EBADMSG,
				"El Torito catalog at sector %u lies outside the "
				"image",
				iso->catalog_lba);
	if (len > iso->im->size - off)
		len = (size_t)(iso->im->size - off);
	if (img_pread(iso->im, off, cat, len) < 0)
		return diag_set(d, -EIO, "cannot read the El Torito catalog at sector %u",
				iso->catalog_lba);
	/* Validation entry: header 1, key 55 aa, 16-bit words summing to 0. */
	for (i = 0; i < 32; i += 2)
		sum += le16(cat + i);
	if (cat[0] != 1 || cat[30] != 0x55 || cat[31] != 0xaa || (sum & 0xffff) != 0)
		return diag_set(d, -EBADMSG,
				"El Torito catalog at sector %u: bad validation "
				"entry",
				iso->catalog_lba);
	et_parse_entry(cat + 32, cat[1], &ents[(*n)++]);
	/* Section headers (0x90 more follow, 0x91 last), each with its entries;
	 * 0x44 marks an extension record of the previous entry. */
	p = 64;
	while (len - p >= 32 && (cat[p] == 0x90 || cat[p] == 0x91)) {
		bool last = cat[p] == 0x91;
		unsigned platform = cat[p + 1], count = le16(cat + p + 2), k = 0;

		p += 32;
		while (k < count && len - p >= 32) {
			if (cat[p] != 0x44) {
				if (*n >= ELTORITO_MAX)
					return 0;
				et_parse_entry(cat + p, platform, &ents[(*n)++]);
				k++;
			}
			p += 32;
		}
		if (last)
			break;
	}
	return 0;
}

/* ---- volumes: the ISO file system, or a FAT file system through mtools ----- */

enum vol_type { VOL_ISO, VOL_FAT };

struct vol {
	enum vol_type type;
	char name[128];
	uint64_t offset;
	const struct img *im;
	const struct iso *iso;
	/* FAT: every path mdir listed ("/EFI/BOOT/BOOTX64.EFI"; dirs end in '/') */
	char **files;
	size_t nfiles;
	char list_err[sizeof(struct diag)]; /* why mdir failed, for every later use */
	bool listed;
};

static void vol_free(struct vol *v)
{
	size_t i;

	for (i = 0; i < v->nfiles; i++)
		free(v->files[i]);
	free(v->files);
	v->files = NULL;
	v->nfiles = 0;
}

/* mtools addresses a file system inside an image as "IMAGE@@OFFSET". */
static void fat_spec(const struct vol *v, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "%s@@%llu", v->im->path, (unsigned long long)v->offset);
}

static char *const fat_env[] = {
	/* Foreign FAT images with odd geometry would otherwise be refused. */
	"MTOOLS_SKIP_CHECK=1",
	NULL,
};

static int fat_list(struct vol *v, struct diag *d)
{
	char spec[INSPECT_LINE_MAX + 32];
	char *argv[] = { "mdir", "-/", "-b", "-i", spec, "::/", NULL };
	struct diag ld = { { 0 } };
	struct spawn_out o;
	size_t p = 0;
	int rc;

	if (v->listed)
		return v->list_err[0] ? diag_set(d, -EIO, "%s", v->list_err) : 0;
	v->listed = true;
	fat_spec(v, spec, sizeof(spec));
	rc = spawn_run(argv, fat_env, &o, FAT_LIST_MAX, &ld);
	if (rc < 0) {
		memcpy(v->list_err, ld.msg, sizeof(v->list_err));
		return diag_set(d, rc, "%s", ld.msg);
	}
	/* One "::/path" per line. mdir's output is bounded by FAT_LIST_MAX. */
	while (p < o.len && v->nfiles < FAT_FILES_MAX) {
		char *nl = memchr(o.data + p, '\n', o.len - p);
		size_t l = nl ? (size_t)(nl - (o.data + p)) : o.len - p;

		if (l > 2 && memcmp(o.data + p, "::", 2) == 0 && l - 2 < INSPECT_LINE_MAX) {
			char **nf = realloc(v->files, (v->nfiles + 1) * sizeof(*nf));
			char *s = nf ? strndup(o.data + p + 2, l - 2) : NULL;

			if (nf)
				v->files = nf;
			if (!s)
				break;
			v->files[v->nfiles++] = s;
		}
		p += l + 1;
	}
	spawn_out_free(&o);
	return 0;
}

/* The path as the FAT listing spells it (FAT compares without case). */
static const char *fat_find(struct vol *v, const char *path)
{
	size_t i;

	for (i = 0; i < v->nfiles; i++)
		if (strcasecmp(v->files[i], path) == 0)
			return v->files[i];
	return NULL;
}

/* Read a whole file from the volume (at most max bytes). -ENOENT if absent,
 * -EFBIG if larger than max. */
static int vol_read(struct vol *v, const char *path, uint8_t **buf, size_t *len, size_t max,
		    struct diag *d)
{
	*buf = NULL;
	*len = 0;
	if (v->type == VOL_ISO) {
		struct iso_ent e;
		int rc = iso_lookup(v->iso, path, &e, d);

		if (rc < 0)
			return rc;
		if (e.dir)
			return -ENOENT;
		if (e.multi)
			return diag_set(d, -ENOTSUP, "%s is a multi-extent file (not supported)",
					path);
		if (e.size > max)
			return diag_set(d, -EFBIG, "%s is %u bytes (limit %zu)", path, e.size, max);
		rc = img_read_alloc(v->im, (uint64_t)e.lba * ISO_SECTOR, e.size, buf);
		if (rc < 0)
			return diag_set(d, rc,
					"%s: extent at sector %u (%u bytes) lies outside "
					"the image: truncated or damaged",
					path, e.lba, e.size);
		*len = e.size;
		return 0;
	} else {
		char spec[INSPECT_LINE_MAX + 32], target[INSPECT_LINE_MAX + 4];
		char *argv[] = { "mtype", "-i", spec, target, NULL };
		const char *real;
		struct spawn_out o;
		int rc;

		rc = fat_list(v, d);
		if (rc < 0)
			return rc;
		real = fat_find(v, path);
		if (!real)
			return -ENOENT;
		fat_spec(v, spec, sizeof(spec));
		snprintf(target, sizeof(target), "::%s", real);
		rc = spawn_run(argv, fat_env, &o, max, d);
		if (rc < 0)
			return rc;
		*buf = (uint8_t *)o.data;
		*len = o.len;
		return 0;
	}
}

/* Names in a directory (FAT: from the listing; ISO: from the directory). */
struct name_list {
	char *names[INSPECT_ITEMS_MAX];
	size_t n;
};

static int iso_list_cb(const struct iso_ent *e, void *vctx)
{
	struct name_list *l = vctx;

	if (e->dir)
		return 0;
	if (l->n >= INSPECT_ITEMS_MAX)
		return 1;
	l->names[l->n] = strdup(e->name);
	if (l->names[l->n])
		l->n++;
	return 0;
}

static void vol_list_dir(struct vol *v, const char *dir, struct name_list *l)
{
	size_t dlen = strlen(dir), i;

	l->n = 0;
	if (v->type == VOL_ISO) {
		struct iso_ent e;

		if (iso_lookup(v->iso, dir, &e, NULL) == 0 && e.dir)
			iso_readdir(v->iso, e.lba, e.size, iso_list_cb, l, NULL);
		return;
	}
	if (fat_list(v, NULL) < 0)
		return;
	for (i = 0; i < v->nfiles && l->n < INSPECT_ITEMS_MAX; i++) {
		const char *f = v->files[i];

		if (strncasecmp(f, dir, dlen) == 0 && f[dlen] == '/' && f[dlen + 1] &&
		    !strchr(f + dlen + 1, '/')) {
			l->names[l->n] = strdup(f + dlen + 1);
			if (l->names[l->n])
				l->n++;
		}
	}
}

static void name_list_free(struct name_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->names[i]);
	l->n = 0;
}

/* ---- syslinux/isolinux config and iPXE scripts (counted bytes, not strings) -- */

/* Split buf into lines and call fn on each as a NUL-terminated copy (lines longer
 * than INSPECT_LINE_MAX are cut: no config or script line we care about is). */
static void for_each_line(const uint8_t *buf, size_t len, void (*fn)(char *line, void *ctx),
			  void *ctx)
{
	char line[INSPECT_LINE_MAX];
	size_t p = 0;

	while (p < len) {
		const uint8_t *nl = memchr(buf + p, '\n', len - p);
		size_t l = nl ? (size_t)(nl - (buf + p)) : len - p, c = l;

		if (c > sizeof(line) - 1)
			c = sizeof(line) - 1;
		memcpy(line, buf + p, c);
		line[c] = '\0';
		/* A NUL byte in the line ends it for our purposes. */
		if (c && line[c - 1] == '\r')
			line[c - 1] = '\0';
		fn(line, ctx);
		p += l + 1;
	}
}

static char *skip_ws(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static void rtrim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/* Next whitespace-separated token; advances *s. */
static char *next_token(char **s)
{
	char *t = skip_ws(*s), *e;

	if (!*t)
		return NULL;
	e = t;
	while (*e && *e != ' ' && *e != '\t')
		e++;
	if (*e)
		*e++ = '\0';
	*s = e;
	return t;
}

struct cfg_ctx {
	json_t *kernels, *initrds;
	char default_label[INSPECT_LINE_MAX];
};

static void cfg_add_list(json_t *arr, const char *list)
{
	/* INITRD takes a comma-separated list (syslinux 4+). */
	const char *p = list;

	while (*p) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);

		if (n && json_array_size(arr) < INSPECT_ITEMS_MAX)
			json_array_append_new(arr, jstr_n(p, n));
		p += n + (c ? 1 : 0);
	}
}

static void cfg_line(char *line, void *vctx)
{
	struct cfg_ctx *c = vctx;
	char *s = line, *kw = next_token(&s), *arg;

	if (!kw || kw[0] == '#')
		return;
	arg = next_token(&s);
	if (!arg)
		return;
	if (!strcasecmp(kw, "KERNEL") || !strcasecmp(kw, "LINUX")) {
		if (json_array_size(c->kernels) < INSPECT_ITEMS_MAX)
			json_array_append_new(c->kernels, jstr(arg));
	} else if (!strcasecmp(kw, "INITRD")) {
		cfg_add_list(c->initrds, arg);
	} else if (!strcasecmp(kw, "APPEND")) {
		for (; arg; arg = next_token(&s))
			if (!strncmp(arg, "initrd=", 7))
				cfg_add_list(c->initrds, arg + 7);
	} else if (!strcasecmp(kw, "DEFAULT")) {
		snprintf(c->default_label, sizeof(c->default_label), "%s", arg);
	}
}

struct script_ctx {
	json_t *js;
	json_t *urls;
	bool first;
};

/* iPXE "set [--opts] [scope/]name[:type] value": the setting name alone. */
static char *setting_name(char *tok)
{
	char *slash = strrchr(tok, '/'), *colon;

	if (slash)
		tok = slash + 1;
	colon = strchr(tok, ':');
	if (colon)
		*colon = '\0';
	return tok;
}

static void script_line(char *line, void *vctx)
{
	struct script_ctx *c = vctx;
	char *s = line, *cmd, *name;

	if (c->first) {
		c->first = false;
		jset(c->js, "ipxe_header", json_boolean(strncmp(line, "#!ipxe", 6) == 0));
	}
	cmd = next_token(&s);
	if (!cmd || strcmp(cmd, "set") != 0)
		return;
	do
		name = next_token(&s);
	while (name && name[0] == '-');
	if (!name)
		return;
	name = setting_name(name);
	s = skip_ws(s);
	rtrim(s);
	if (!strcmp(name, "user-class")) {
		if (!json_object_get(c->js, "user_class"))
			jset(c->js, "user_class", jstr(s));
	} else if (!strncmp(name, "cb-url", 6) &&
		   strspn(name + 6, "0123456789") == strlen(name + 6)) {
		json_t *u = json_object();

		if (!u || json_array_size(c->urls) >= INSPECT_ITEMS_MAX) {
			json_decref(u);
			return;
		}
		jset(u, "setting", jstr(name));
		jset(u, "url", jstr(s));
		json_array_append_new(c->urls, u);
	}
}

/* ---- examining one volume -------------------------------------------------- */

/* Resolve a name from a syslinux config: absolute, or relative to the config's
 * directory; "." and ".." components are folded (never above the root). */
static void cfg_resolve(const char *cfgpath, const char *name, char *out, size_t outsz)
{
	char tmp[INSPECT_LINE_MAX], *save = NULL, *comp;
	const char *slash = strrchr(cfgpath, '/');
	int dirlen = slash ? (int)(slash - cfgpath) : 0;
	size_t o = 0;

	if (name[0] == '/')
		snprintf(tmp, sizeof(tmp), "%s", name);
	else
		snprintf(tmp, sizeof(tmp), "%.*s/%s", dirlen, cfgpath, name);
	out[0] = '\0';
	for (comp = strtok_r(tmp, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		size_t cl = strlen(comp);

		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			while (o && out[o - 1] != '/')
				o--;
			if (o)
				o--;
			out[o] = '\0';
			continue;
		}
		if (cl + 2 > outsz - o)
			break;
		out[o++] = '/';
		memcpy(out + o, comp, cl + 1);
		o += cl;
	}
	if (!o)
		snprintf(out, outsz, "/");
}

struct cand {
	char path[INSPECT_LINE_MAX];
	bool named; /* named by a config: report if missing */
};

static void cand_add(struct cand *c, size_t *n, const char *path, bool named)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcasecmp(c[i].path, path)) {
			c[i].named |= named;
			return;
		}
	if (*n >= INSPECT_ITEMS_MAX)
		return;
	snprintf(c[*n].path, sizeof(c[*n].path), "%s", path);
	c[*n].named = named;
	(*n)++;
}

static void examine_binary(const uint8_t *buf, size_t len, json_t *jb)
{
	char cls[IPXEBIN_CLASS_MAX];
	struct diag d = { { 0 } };
	enum ipxebin_kind k = ipxebin_kind(buf, len);
	int rc;

	jset(jb, "size", json_integer((json_int_t)len));
	jset(jb, "kind", jstr(ipxebin_kind_name(k)));
	inspect_sb_binary(buf, len, jb);
	rc = ipxebin_user_class(buf, len, cls, sizeof(cls), &d);
	if (rc == 0)
		jset(jb, "user_class", jstr(cls));
	else
		jset(jb, "error", jstr(d.msg));
}

static void examine_volume(struct vol *v, json_t *jv)
{
	static const char *const cfgs[] = {
		"/isolinux.cfg", "/isolinux/isolinux.cfg", "/boot/isolinux/isolinux.cfg",
		"/syslinux.cfg", "/syslinux/syslinux.cfg", "/boot/syslinux/syslinux.cfg",
	};
	static const char *const scripts[] = { "/chain.ipxe", "/autoexec.ipxe",
					       "/EFI/BOOT/autoexec.ipxe" };
	struct cand *bins = calloc(INSPECT_ITEMS_MAX, sizeof(*bins));
	struct cand *scr = calloc(INSPECT_ITEMS_MAX, sizeof(*scr));
	json_t *jbins = json_array(), *jscr = json_array();
	size_t nb = 0, ns = 0, i;
	struct name_list efi = { .n = 0 };
	struct diag d = { { 0 } };

	jset(jv, "name", jstr(v->name));
	jset(jv, "offset", json_integer((json_int_t)v->offset));
	if (!bins || !scr || !jbins || !jscr) {
		jset(jv, "error", jstr("out of memory"));
		goto out;
	}
	if (v->type == VOL_FAT && fat_list(v, &d) < 0) {
		jset(jv, "error", jstr(d.msg));
		goto out;
	}

	for (i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		struct cfg_ctx c = { 0 };
		json_t *jc, *it;
		uint8_t *buf;
		size_t len, k;

		diag_clear(&d);
		if (vol_read(v, cfgs[i], &buf, &len, INSPECT_CFG_MAX, &d) < 0)
			continue;
		jc = json_object();
		c.kernels = json_array();
		c.initrds = json_array();
		for_each_line(buf, len, cfg_line, &c);
		free(buf);
		/* "DEFAULT ipxe.lkrn" without LABELs names the kernel itself. */
		if (!json_array_size(c.kernels) && c.default_label[0])
			json_array_append_new(c.kernels, jstr(c.default_label));
		jset(jc, "path", jstr(cfgs[i]));
		json_array_foreach(c.kernels, k, it)
		{
			char p[INSPECT_LINE_MAX];

			cfg_resolve(cfgs[i], json_string_value(it), p, sizeof(p));
			cand_add(bins, &nb, p, true);
		}
		json_array_foreach(c.initrds, k, it)
		{
			char p[INSPECT_LINE_MAX];

			cfg_resolve(cfgs[i], json_string_value(it), p, sizeof(p));
			cand_add(scr, &ns, p, true);
		}
		jset(jc, "kernel", c.kernels);
		jset(jc, "initrd", c.initrds);
		jset(jv, "boot_config", jc);
		break;
	}

	cand_add(bins, &nb, "/ipxe.lkrn", false);
	vol_list_dir(v, "/EFI/BOOT", &efi);
	for (i = 0; i < efi.n; i++) {
		size_t l = strlen(efi.names[i]);
		char p[INSPECT_LINE_MAX];

		if (l > 4 && !strcasecmp(efi.names[i] + l - 4, ".efi")) {
			snprintf(p, sizeof(p), "/EFI/BOOT/%s", efi.names[i]);
			cand_add(bins, &nb, p, false);
		}
	}
	name_list_free(&efi);
	for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++)
		cand_add(scr, &ns, scripts[i], false);

	for (i = 0; i < nb; i++) {
		json_t *jb;
		uint8_t *buf;
		size_t len;
		int rc;

		diag_clear(&d);
		rc = vol_read(v, bins[i].path, &buf, &len, INSPECT_BIN_MAX, &d);
		if (rc == -ENOENT && !bins[i].named)
			continue;
		jb = json_object();
		jset(jb, "path", jstr(bins[i].path));
		if (rc == -ENOENT)
			jset(jb, "error", jstr("named by the boot config but not on the volume"));
		else if (rc < 0)
			jset(jb, "error", jstr(d.msg));
		else
			examine_binary(buf, len, jb);
		free(buf);
		json_array_append_new(jbins, jb);
	}
	for (i = 0; i < ns; i++) {
		struct script_ctx c = { 0 };
		json_t *js;
		uint8_t *buf;
		size_t len;
		int rc;

		diag_clear(&d);
		rc = vol_read(v, scr[i].path, &buf, &len, INSPECT_SCRIPT_MAX, &d);
		if (rc == -ENOENT && !scr[i].named)
			continue;
		js = json_object();
		jset(js, "path", jstr(scr[i].path));
		if (rc == -ENOENT) {
			jset(js, "error", jstr("named by the boot config but not on the volume"));
		} else if (rc < 0) {
			jset(js, "error", jstr(d.msg));
		} else {
			c.js = js;
			c.urls = json_array();
			c.first = true;
			jset(js, "size", json_integer((json_int_t)len));
			for_each_line(buf, len, script_line, &c);
			if (!json_object_get(js, "user_class"))
				jset(js, "user_class", json_null());
			jset(js, "urls", c.urls);
		}
		free(buf);
		json_array_append_new(jscr, js);
	}
out:
	jset(jv, "ipxe_binaries", jbins);
	jset(jv, "scripts", jscr);
	free(bins);
	free(scr);
}

/* ---- libblkid ------------------------------------------------------------- */

/* File system type and label at [off, off+size) (size 0: to the end). */
static void probe_fs(const struct img *im, uint64_t off, uint64_t size, char *type, size_t typesz,
		     json_t *where)
{
	blkid_probe pr = blkid_new_probe();
	const char *val;
	int rc;

	type[0] = '\0';
	if (!pr)
		return;
	if (blkid_probe_set_device(pr, im->fd, (blkid_loff_t)off, (blkid_loff_t)size) < 0)
		goto out;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL);
	blkid_probe_enable_partitions(pr, 0);
	rc = blkid_do_safeprobe(pr);
	if (rc == -2) {
		jset(where, "filesystem", jstr("ambiguous"));
		goto out;
	}
	if (rc != 0)
		goto out;
	if (blkid_probe_lookup_value(pr, "TYPE", &val, NULL) == 0) {
		snprintf(type, typesz, "%s", val);
		jset(where, "filesystem", jstr(val));
	}
	if (blkid_probe_lookup_value(pr, "LABEL", &val, NULL) == 0)
		jset(where, "label", jstr(val));
out:
	blkid_free_probe(pr);
}

static const char *gpt_type_name(const char *uuid)
{
	static const struct {
		const char *uuid, *name;
	} types[] = {
		{ "c12a7328-f81f-11d2-ba4b-00a0c93ec93b", "EFI System" },
		{ "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7", "Microsoft basic data" },
		{ "0fc63daf-8483-4772-8e79-3d69d8477de4", "Linux filesystem" },
		{ "21686148-6449-6e6f-744e-656564454649", "BIOS boot" },
	};
	size_t i;

	for (i = 0; uuid && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcasecmp(uuid, types[i].uuid))
			return types[i].name;
	return NULL;
}

/* One partition table (force_gpt: the GPT behind a hybrid MBR, which libblkid
 * otherwise leaves out because the MBR is not protective). */
static void probe_parts(const struct img *im, bool force_gpt, json_t *tables)
{
	blkid_probe pr = blkid_new_probe();
	blkid_partlist pl;
	blkid_parttable tab;
	json_t *jt, *jparts;
	int i, n;

	if (!pr)
		return;
	if (blkid_probe_set_device(pr, im->fd, 0, 0) < 0)
		goto out;
	blkid_probe_enable_superblocks(pr, 0);
	blkid_probe_enable_partitions(pr, 1);
	if (force_gpt) {
		char *only[] = { "gpt", NULL };

		blkid_probe_set_partitions_flags(pr, BLKID_PARTS_FORCE_GPT);
		blkid_probe_filter_partitions_type(pr, BLKID_FLTR_ONLYIN, only);
	}
	pl = blkid_probe_get_partitions(pr);
	if (!pl || !(tab = blkid_partlist_get_table(pl)))
		goto out;
	if (force_gpt && strcmp(blkid_parttable_get_type(tab), "gpt") != 0)
		goto out;
	jt = json_object();
	jparts = json_array();
	jset(jt, "type", jstr(blkid_parttable_get_type(tab)));
	n = blkid_partlist_numof_partitions(pl);
	for (i = 0; i < n && i < INSPECT_ITEMS_MAX; i++) {
		blkid_partition p = blkid_partlist_get_partition(pl, i);
		json_t *jp = json_object();
		uint64_t start, size;
		const char *s;
		char fs[64], t[16];

		if (!p || !jp) {
			json_decref(jp);
			continue;
		}
		start = (uint64_t)blkid_partition_get_start(p) * 512;
		size = (uint64_t)blkid_partition_get_size(p) * 512;
		jset(jp, "number", json_integer(blkid_partition_get_partno(p)));
		jset(jp, "start", json_integer((json_int_t)start));
		jset(jp, "size", json_integer((json_int_t)size));
		s = blkid_partition_get_type_string(p);
		if (s) {
			jset(jp, "type", jstr(s));
			if (gpt_type_name(s))
				jset(jp, "type_name", jstr(gpt_type_name(s)));
		} else {
			snprintf(t, sizeof(t), "0x%02x", blkid_partition_get_type(p));
			jset(jp, "type", jstr(t));
			if (blkid_partition_get_type(p) == 0xef)
				jset(jp, "type_name", jstr("EFI System"));
		}
		s = blkid_partition_get_name(p);
		if (s && *s)
			jset(jp, "name", jstr(s));
		if (start < im->size && size)
			probe_fs(im, start, size <= im->size - start ? size : im->size - start, fs,
				 sizeof(fs), jp);
		json_array_append_new(jparts, jp);
	}
	jset(jt, "partitions", jparts);
	json_array_append_new(tables, jt);
out:
	blkid_free_probe(pr);
}

/* ---- text rendering (from the same JSON the --json mode prints) ------------- */

static void print_volume(FILE *out, const json_t *jv)
{
	const json_t *jc = json_object_get(jv, "boot_config"), *it, *u;
	size_t i, k;

	long long off = (long long)json_integer_value(json_object_get(jv, "offset"));

	if (off)
		fprintf(out, "  %s at byte %lld:\n", jget_str(jv, "name"), off);
	else
		fprintf(out, "  %s:\n", jget_str(jv, "name"));
	if (jget_str(jv, "error"))
		fprintf(out, "    error: %s\n", jget_str(jv, "error"));
	if (jc) {
		fprintf(out, "    boot config %s:", jget_str(jc, "path"));
		json_array_foreach(json_object_get(jc, "kernel"), i, it)
			fprintf(out, " kernel %s", json_string_value(it));
		json_array_foreach(json_object_get(jc, "initrd"), i, it)
			fprintf(out, " initrd %s", json_string_value(it));
		fprintf(out, "\n");
	}
	json_array_foreach(json_object_get(jv, "ipxe_binaries"), i, it)
	{
		fprintf(out, "    iPXE %s: ", jget_str(it, "path"));
		if (jget_str(it, "kind"))
			fprintf(out, "%s, ", jget_str(it, "kind"));
		if (jget_str(it, "user_class"))
			fprintf(out, "user-class \"%s\"\n", jget_str(it, "user_class"));
		else
			fprintf(out, "%s\n", jget_str(it, "error") ? jget_str(it, "error") : "?");
		inspect_sb_print(out, it, "      ");
	}
	json_array_foreach(json_object_get(jv, "scripts"), i, it)
	{
		fprintf(out, "    script %s: ", jget_str(it, "path"));
		if (jget_str(it, "error")) {
			fprintf(out, "%s\n", jget_str(it, "error"));
			continue;
		}
		if (jget_str(it, "user_class"))
			fprintf(out, "set user-class %s", jget_str(it, "user_class"));
		else
			fprintf(out, "no set user-class");
		if (!json_array_size(json_object_get(it, "urls")))
			fprintf(out, "; URLs: none");
		json_array_foreach(json_object_get(it, "urls"), k, u)
			fprintf(out, "%s%s %s", k ? ", " : "; URLs: ", jget_str(u, "setting"),
				jget_str(u, "url"));
		fprintf(out, "\n");
	}
	if (!json_array_size(json_object_get(jv, "ipxe_binaries")) &&
	    !json_array_size(json_object_get(jv, "scripts")) && !jget_str(jv, "error"))
		fprintf(out, "    no iPXE binary or chain script found\n");
}

static void print_text(FILE *out, const json_t *root)
{
	const json_t *t, *p, *it, *jiso, *jb;
	size_t i, k;

	fprintf(out, "%s: %lld bytes, %s\n", jget_str(root, "path"),
		(long long)json_integer_value(json_object_get(root, "size")),
		jget_str(root, "kind_name"));
	jb = json_object_get(root, "ipxe_binary");
	if (jb) {
		fprintf(out, "  kind: %s\n", jget_str(jb, "kind"));
		if (jget_str(jb, "user_class"))
			fprintf(out, "  user-class: \"%s\"\n", jget_str(jb, "user_class"));
		else
			fprintf(out, "  user-class: %s\n", jget_str(jb, "error"));
		inspect_sb_print(out, jb, "  ");
		return;
	}
	if (jget_str(root, "filesystem"))
		fprintf(out, "  file system: %s%s%s%s\n", jget_str(root, "filesystem"),
			jget_str(root, "label") ? " \"" : "",
			jget_str(root, "label") ? jget_str(root, "label") : "",
			jget_str(root, "label") ? "\"" : "");
	json_array_foreach(json_object_get(root, "partition_tables"), i, t)
	{
		fprintf(out, "  partition table: %s\n", jget_str(t, "type"));
		json_array_foreach(json_object_get(t, "partitions"), k, p)
		{
			fprintf(out, "    %lld: start %lld, %lld bytes, type %s",
				(long long)json_integer_value(json_object_get(p, "number")),
				(long long)json_integer_value(json_object_get(p, "start")),
				(long long)json_integer_value(json_object_get(p, "size")),
				jget_str(p, "type"));
			if (jget_str(p, "type_name"))
				fprintf(out, " (%s)", jget_str(p, "type_name"));
			if (jget_str(p, "name"))
				fprintf(out, ", name \"%s\"", jget_str(p, "name"));
			fprintf(out, ", file system %s",
				jget_str(p, "filesystem") ? jget_str(p, "filesystem") : "none");
			if (jget_str(p, "label"))
				fprintf(out, " \"%s\"", jget_str(p, "label"));
			fprintf(out, "\n");
		}
	}
	jiso = json_object_get(root, "iso9660");
	if (jiso) {
		const json_t *et = json_object_get(jiso, "el_torito");

		fprintf(out, "  ISO 9660 volume id: \"%s\"\n", jget_str(jiso, "volume_id"));
		if (et && jget_str(et, "error"))
			fprintf(out, "  El Torito: %s\n", jget_str(et, "error"));
		else if (et)
			fprintf(out, "  El Torito boot catalog at sector %lld:\n",
				(long long)json_integer_value(
					json_object_get(et, "catalog_sector")));
		else
			fprintf(out, "  El Torito: none (not bootable as a CD)\n");
		json_array_foreach(et ? json_object_get(et, "entries") : NULL, i, it)
		{
			const json_t *esp = json_object_get(it, "esp");

			fprintf(out,
				"    %zu: %s, %s, %s, load segment 0x%04llx, %lld sectors, "
				"load RBA %lld",
				i + 1, jget_str(it, "platform"),
				json_is_true(json_object_get(it, "bootable")) ? "bootable"
									      : "not bootable",
				jget_str(it, "emulation"),
				(long long)json_integer_value(json_object_get(it, "load_segment")),
				(long long)json_integer_value(json_object_get(it, "sector_count")),
				(long long)json_integer_value(json_object_get(it, "load_rba")));
			if (jget_str(it, "file"))
				fprintf(out, " (%s)", jget_str(it, "file"));
			if (esp)
				fprintf(out, ", ESP image at byte %lld: %s",
					(long long)json_integer_value(
						json_object_get(esp, "offset")),
					jget_str(esp, "filesystem") ? jget_str(esp, "filesystem")
								    : "no file system");
			fprintf(out, "\n");
		}
	}
	json_array_foreach(json_object_get(root, "volumes"), i, it) print_volume(out, it);
}

/* ---- the whole image -------------------------------------------------------- */

static void add_fat_volume(struct vol *vols, size_t *nv, size_t max, const struct img *im,
			   uint64_t off, const char *name)
{
	size_t i;

	for (i = 0; i < *nv; i++)
		if (vols[i].offset == off)
			return; /* the El Torito ESP is usually also a partition */
	if (*nv >= max)
		return;
	memset(&vols[*nv], 0, sizeof(vols[*nv]));
	vols[*nv].type = VOL_FAT;
	vols[*nv].offset = off;
	vols[*nv].im = im;
	snprintf(vols[*nv].name, sizeof(vols[*nv].name), "%s", name);
	(*nv)++;
}

int inspect_image(const char *path, bool json, FILE *out, struct diag *d)
{
	struct vol *vols = NULL;
	struct img im = { .fd = -1, .path = path };
	struct iso iso;
	struct stat st;
	json_t *root = NULL, *jiso = NULL, *tables = NULL, *jvols = NULL;
	char fstype[64];
	size_t nv = 0, i;
	bool is_iso = false;
	off_t end;
	int rc;

	im.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (im.fd < 0) {
		rc = -errno;
		return diag_set(d, rc, "%s: cannot open: %s", path, strerror(-rc));
	}
	if (fstat(im.fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
		rc = diag_set(d, -EINVAL, "%s: not a regular file or block device", path);
		goto err_fd;
	}
	/* lseek also sizes block devices (a USB stick), where st_size is 0. */
	end = lseek(im.fd, 0, SEEK_END);
	if (end < 0) {
		rc = -errno;
		diag_set(d, rc, "%s: cannot determine size: %s", path, strerror(-rc));
		goto err_fd;
	}
	im.size = (uint64_t)end;
	root = json_object();
	tables = json_array();
	jvols = json_array();
	jiso = json_object();
	vols = calloc(INSPECT_VOLS_MAX, sizeof(*vols));
	if (!root || !tables || !jvols || !jiso || !vols) {
		rc = diag_set(d, -ENOMEM, "%s: out of memory", path);
		goto err;
	}
	jset(root, "path", jstr(path));
	jset(root, "size", json_integer((json_int_t)im.size));

	/* ISO 9660 first (an ISO is never an iPXE binary); then, for small files, an
	 * iPXE binary: a .lkrn has a boot-sector 55 aa that libblkid could take for
	 * an MBR. */
	rc = iso_open(&im, &iso, jiso, d);
	if (rc == 0) {
		is_iso = true;
	} else if (rc != -ENOENT) {
		diag_prefix(d, rc, "%s", path);
		goto err;
	}
	if (!is_iso && im.size <= INSPECT_BIN_MAX) {
		uint8_t *buf;

		rc = img_read_alloc(&im, 0, (size_t)im.size, &buf);
		if (rc < 0) {
			diag_set(d, rc, "%s: cannot read: %s", path, strerror(-rc));
			goto err;
		}
		struct zbin z;
		struct diag zd = { { 0 } };

		/* A packed image whose chain is intact but a CRC fails is a damaged
		 * iPXE binary, not "some other file": say which block. */
		if (ipxebin_kind(buf, (size_t)im.size) == IPXEBIN_UNKNOWN &&
		    zbin_parse(buf, (size_t)im.size, &z, &zd) == -EBADMSG) {
			free(buf);
			rc = diag_set(d, -EBADMSG, "%s: damaged iPXE BIOS image: %s", path, zd.msg);
			goto err;
		}
		/* A cut-off ipxe.lkrn keeps its boot sector's 55 aa: libblkid would call
		 * it a disk image. Its Linux boot header says what it is. */
		if (ipxebin_kind(buf, (size_t)im.size) == IPXEBIN_UNKNOWN && im.size >= 0x206 &&
		    !memcmp(buf + 0x202, "HdrS", 4)) {
			free(buf);
			rc = diag_set(d, -EINVAL, "%s: a Linux kernel, not a whole iPXE .lkrn: %s",
				      path, zd.msg[0] ? zd.msg : "no packed iPXE blocks");
			goto err;
		}
		if (ipxebin_kind(buf, (size_t)im.size) != IPXEBIN_UNKNOWN) {
			json_t *jb = json_object();

			examine_binary(buf, (size_t)im.size, jb);
			free(buf);
			jset(root, "kind", jstr("ipxe-binary"));
			jset(root, "kind_name", jstr("iPXE binary"));
			jset(root, "ipxe_binary", jb);
			goto print;
		}
		free(buf);
	}

	probe_fs(&im, 0, 0, fstype, sizeof(fstype), root);
	probe_parts(&im, false, tables);
	if (json_array_size(tables) && !strcmp(jget_str(json_array_get(tables, 0), "type"), "dos"))
		probe_parts(&im, true, tables);

	if (is_iso) {
		struct et_entry ents[ELTORITO_MAX];
		size_t n = 0;

		jset(root, "kind", jstr("iso9660"));
		jset(root, "kind_name",
		     jstr(json_array_size(tables) ? "ISO 9660 image (hybrid: also a disk image)"
						  : "ISO 9660 image"));
		memset(&vols[nv], 0, sizeof(vols[nv]));
		vols[nv].type = VOL_ISO;
		vols[nv].offset = 0;
		vols[nv].im = &im;
		vols[nv].iso = &iso;
		snprintf(vols[nv].name, sizeof(vols[nv].name), "ISO 9660 file system");
		nv++;
		if (iso.have_catalog) {
			json_t *et = json_object(), *jents = json_array();
			struct diag ed = { { 0 } };

			if (et_read(&iso, ents, &n, &ed) < 0)
				jset(et, "error", jstr(ed.msg));
			jset(et, "catalog_sector", json_integer(iso.catalog_lba));
			for (i = 0; i < n; i++) {
				json_t *je = json_object();
				char file[INSPECT_LINE_MAX];

				jset(je, "platform", jstr(et_platform(ents[i].platform)));
				jset(je, "platform_id", json_integer(ents[i].platform));
				jset(je, "bootable", json_boolean(ents[i].bootable));
				jset(je, "emulation", jstr(et_media(ents[i].media)));
				jset(je, "load_segment", json_integer(ents[i].load_seg));
				jset(je, "sector_count", json_integer(ents[i].sectors));
				jset(je, "load_rba", json_integer(ents[i].lba));
				iso_name_lba(&iso, ents[i].lba, file, sizeof(file));
				if (file[0])
					jset(je, "file", jstr(file));
				if (ents[i].platform == 0xef) {
					uint64_t off = (uint64_t)ents[i].lba * ISO_SECTOR;
					/* Sector count is in 512-byte units; 0 or 1 means
					 * "to the end" for images over 32 MiB. */
					uint64_t size = ents[i].sectors > 1
								? (uint64_t)ents[i].sectors * 512
								: 0;
					json_t *esp = json_object();
					char t[64];

					jset(esp, "offset", json_integer((json_int_t)off));
					if (off < im.size) {
						if (size > im.size - off)
							size = im.size - off;
						probe_fs(&im, off, size, t, sizeof(t), esp);
						if (!strcmp(t, "vfat"))
							add_fat_volume(vols, &nv, INSPECT_VOLS_MAX,
								       &im, off,
								       "EFI system partition "
								       "(El Torito EFI image)");
					}
					jset(je, "esp", esp);
				}
				json_array_append_new(jents, je);
			}
			jset(et, "entries", jents);
			jset(jiso, "el_torito", et);
		}
		jset(root, "iso9660", jiso);
		jiso = NULL;
	} else if (json_array_size(tables)) {
		jset(root, "kind", jstr("disk"));
		jset(root, "kind_name", jstr("disk image"));
	} else if (!strcmp(fstype, "vfat")) {
		jset(root, "kind", jstr("fat"));
		jset(root, "kind_name", jstr("FAT image"));
		add_fat_volume(vols, &nv, INSPECT_VOLS_MAX, &im, 0, "FAT file system");
	} else {
		rc = diag_set(d, -EINVAL,
			      "%s: not an ISO 9660 image, disk image, FAT image or iPXE "
			      "binary%s%s%s",
			      path, fstype[0] ? " (it holds a " : "", fstype,
			      fstype[0] ? " file system)" : "");
		goto err;
	}

	/* FAT partitions (the ESP of a hybrid image or USB stick). */
	for (i = 0; i < json_array_size(tables); i++) {
		const json_t *t = json_array_get(tables, i), *p;
		size_t k;

		json_array_foreach(json_object_get(t, "partitions"), k, p)
		{
			const char *fs = jget_str(p, "filesystem");
			char name[128];

			if (!fs || strcmp(fs, "vfat"))
				continue;
			snprintf(name, sizeof(name), "FAT partition %lld of the %s table",
				 (long long)json_integer_value(json_object_get(p, "number")),
				 jget_str(t, "type"));
			add_fat_volume(vols, &nv, INSPECT_VOLS_MAX, &im,
				       (uint64_t)json_integer_value(json_object_get(p, "start")),
				       name);
		}
	}
	jset(root, "partition_tables", tables);
	tables = NULL;
	for (i = 0; i < nv; i++) {
		json_t *jv = json_object();

		examine_volume(&vols[i], jv);
		json_array_append_new(jvols, jv);
		vol_free(&vols[i]);
	}
	jset(root, "volumes", jvols);
	jvols = NULL;

print:
	if (json) {
		json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', out);
	} else {
		print_text(out, root);
	}
	rc = 0;
err:
	json_decref(tables);
	json_decref(jvols);
	json_decref(jiso);
	json_decref(root);
	free(vols);
err_fd:
	close(im.fd);
	return rc;
}

/* ---- is it an image at all (write, try) ---------------------------------- */

int inspect_sniff_image(int fd, char *why, size_t whysz)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *what;
	} packed[] = {
		{ "\xfd"
		  "7zXZ\0",
		  6, "xz-compressed: decompress it first (unxz)" },
		{ "\x1f\x8b", 2, "gzip-compressed: decompress it first (gunzip)" },
		{ "\x28\xb5\x2f\xfd", 4, "zstd-compressed: decompress it first (unzstd)" },
		{ "BZh", 3, "bzip2-compressed: decompress it first (bunzip2)" },
		{ "MZ", 2, "a PE program (an EFI binary such as snponly.efi)" },
	};
	uint8_t buf[ISO_VD_FIRST * ISO_SECTOR + 6];
	size_t n = 0;

	while (n < sizeof(buf)) {
		ssize_t r = pread(fd, buf + n, sizeof(buf) - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n == sizeof(buf) && !memcmp(buf + ISO_VD_FIRST * ISO_SECTOR + 1, "CD001", 5))
		return 0;
	for (size_t i = 0; i < sizeof(packed) / sizeof(packed[0]); i++)
		if (n >= packed[i].len && !memcmp(buf, packed[i].magic, packed[i].len))
			return snprintf(why, whysz, "it is %s", packed[i].what), -EINVAL;
	/* The Linux boot header: ipxe.lkrn, a vmlinuz; they carry 55 aa too. */
	if (n >= 0x206 && !memcmp(buf + 0x202, "HdrS", 4))
		return snprintf(why, whysz, "it is a Linux kernel (such as ipxe.lkrn)"), -EINVAL;
	/* MBR, GPT's protective MBR and a FAT boot sector all end sector 0 with 55 aa. */
	if (n >= 512 && buf[510] == 0x55 && buf[511] == 0xaa)
		return 0;
	if (!n)
		return snprintf(why, whysz, "it is empty"), -EINVAL;
	return snprintf(why, whysz,
			"no ISO 9660 volume descriptor and no boot sector (55 aa at byte 510)"),
	       -EINVAL;
}
