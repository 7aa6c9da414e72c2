/* iso9660: ISO 9660 (ECMA-119 sections 8 and 9) with Rock Ridge names (SUSP / RRIP
 * 1.12: NM, CE, ST) and the El Torito boot catalog (1995 specification). The image is
 * untrusted: every extent is checked against the image size in subtraction form before
 * it is read, directory extents are capped, continuation areas are followed a bounded
 * number of times, and the walk that names boot images is bounded in entries and
 * directories (a damaged directory can point back at itself). */
#include "iso9660.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "byteorder.h"

#define ISO_VD_FIRST   16u /* the system area is 16 sectors */
#define ISO_VD_MAX     64u /* volume descriptors looked at */
#define ISO_DIRREC_MIN 34u
#define ISO_CE_MAX     4u /* Rock Ridge continuation areas per record */
#define ELTORITO_READ  4u /* catalog sectors read (each holds 64 entries) */

int iso9660_mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct iso9660_mem *m = ctx;

	if (off > m->len || len > m->len - off)
		return -ERANGE;
	memcpy(buf, m->p + off, len);
	return 0;
}

int iso9660_pread(const struct iso9660 *iso, uint64_t off, void *buf, size_t len)
{
	if (off > iso->size || len > iso->size - off)
		return -ERANGE;
	return len ? iso->read(iso->ctx, off, buf, len) : 0;
}

/* A malloc'd copy of [off, off + len). */
static int read_alloc(const struct iso9660 *iso, uint64_t off, size_t len, uint8_t **out)
{
	uint8_t *b;
	int rc;

	*out = NULL;
	if (off > iso->size || len > iso->size - off)
		return -ERANGE;
	b = malloc(len ? len : 1);
	if (!b)
		return -ENOMEM;
	rc = iso9660_pread(iso, off, b, len);
	if (rc < 0) {
		free(b);
		return rc;
	}
	*out = b;
	return 0;
}

/* ---- volume descriptors ---------------------------------------------------- */

static int take_pvd(struct iso9660 *iso, const uint8_t *vd, struct diag *d)
{
	size_t n = sizeof(iso->volume_id);
	unsigned bs = le16(vd + 128); /* both-endian; the little-endian half */

	if (bs != 2048 && bs != 1024 && bs != 512)
		return diag_set(d, -ENOTSUP,
				"ISO 9660 logical block size %u is not supported (only 512, 1024 "
				"or 2048)",
				bs);
	iso->block = bs;
	while (n && (vd[40 + n - 1] == ' ' || vd[40 + n - 1] == 0))
		n--;
	memcpy(iso->volume_id, vd + 40, n);
	iso->volume_id_len = n;
	iso->volume_blocks = le32(vd + 80);
	/* The root directory record at 156: extent at +2, data length at +10. */
	iso->root_lba = le32(vd + 156 + 2);
	iso->root_size = le32(vd + 156 + 10);
	return 0;
}

int iso9660_open(struct iso9660 *iso, iso9660_read_fn read, void *ctx, uint64_t size,
		 struct diag *d)
{
	uint8_t vd[ISO9660_SECTOR];
	bool have_pvd = false;
	unsigned i;
	int rc;

	memset(iso, 0, sizeof(*iso));
	iso->read = read;
	iso->ctx = ctx;
	iso->size = size;
	for (i = 0; i < ISO_VD_MAX; i++) {
		uint64_t off = (uint64_t)(ISO_VD_FIRST + i) * ISO9660_SECTOR;

		if (iso9660_pread(iso, off, vd, sizeof(vd)) < 0 || memcmp(vd + 1, "CD001", 5) != 0)
			break;
		if (vd[0] == 255) /* set terminator */
			break;
		if (vd[0] == 1 && !have_pvd) {
			rc = take_pvd(iso, vd, d);
			if (rc)
				return rc;
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

/* ---- directories ----------------------------------------------------------- */

/* Append a Rock Ridge NM component; names longer than ISO9660_NAME_MAX are cut (they
 * then match nothing looked up, which is all inspect needs). */
static void name_append(struct iso9660_ent *e, size_t *nlen, const uint8_t *p, size_t n)
{
	if (n > ISO9660_NAME_MAX - *nlen)
		n = ISO9660_NAME_MAX - *nlen;
	memcpy(e->name + *nlen, p, n);
	*nlen += n;
	e->name[*nlen] = '\0';
}

/* Walk a System Use area for NM entries; a CE entry continues it elsewhere. */
static void susp_walk(const struct iso9660 *iso, const uint8_t *sua, size_t len,
		      struct iso9660_ent *e, size_t *nlen, unsigned depth)
{
	size_t q = 0;

	while (len - q >= 4) {
		size_t el = sua[q + 2];

		if (el < 4 || el > len - q)
			return;
		if (sua[q] == 'N' && sua[q + 1] == 'M' && el >= 5 && !(sua[q + 4] & 0x06)) {
			name_append(e, nlen, sua + q + 5, el - 5);
			e->rr = true;
		} else if (sua[q] == 'S' && sua[q + 1] == 'T') {
			return;
		} else if (sua[q] == 'C' && sua[q + 1] == 'E' && el >= 28 && depth < ISO_CE_MAX) {
			uint64_t off = (uint64_t)le32(sua + q + 4) * iso->block +
				       le32(sua + q + 12);
			uint32_t celen = le32(sua + q + 20);
			uint8_t *ce;

			if (celen <= iso->block && read_alloc(iso, off, celen, &ce) == 0) {
				susp_walk(iso, ce, celen, e, nlen, depth + 1);
				free(ce);
			}
		}
		q += el;
	}
}

/* The ISO name of the record's name bytes ("NAME.EXT;1" -> "NAME.EXT", "DIR." -> "DIR")
 * into iso_name (printable) and, without a Rock Ridge name, into name (as stored).
 * Returns the length of name. */
static size_t iso_names(struct iso9660_ent *e, const uint8_t *nm, size_t nl, size_t rrlen)
{
	size_t n = 0, i;

	while (n < nl && nm[n] != ';')
		n++;
	while (n && nm[n - 1] == '.')
		n--;
	for (i = 0; i < n; i++)
		e->iso_name[i] = (char)(nm[i] >= 0x20 && nm[i] < 0x7f ? nm[i] : '?');
	e->iso_name[n] = '\0';
	if (e->rr)
		return rrlen;
	memcpy(e->name, nm, n);
	e->name[n] = '\0';
	return n;
}

/* One directory record at rec (rl bytes, checked by the caller) into e. */
static void parse_record(const struct iso9660 *iso, const uint8_t *rec, size_t rl,
			 struct iso9660_ent *e)
{
	size_t nl = rec[32], sua_off, nlen = 0;

	memset(e, 0, sizeof(*e));
	e->lba = le32(rec + 2);
	e->size = le32(rec + 10);
	e->dir = rec[25] & 0x02;
	e->multi = rec[25] & 0x80;
	/* The System Use area starts after the name, padded to an even offset. */
	sua_off = 33 + nl + ((nl & 1) ? 0 : 1);
	if (sua_off < rl)
		susp_walk(iso, rec + sua_off, rl - sua_off, e, &nlen, 0);
	if (!nlen)
		e->rr = false;
	nlen = iso_names(e, rec + 33, nl, nlen);
	/* A NUL inside the name: keep it from matching anything. */
	for (size_t i = 0; i < nlen; i++)
		if (!e->name[i])
			e->name[i] = '?';
}

int iso9660_readdir(const struct iso9660 *iso, uint32_t lba, uint32_t size, iso9660_dir_cb cb,
		    void *ctx, struct diag *d)
{
	uint64_t off = (uint64_t)lba * iso->block;
	uint8_t *buf;
	size_t p = 0;
	int rc;

	if (size > ISO9660_DIR_MAX)
		return diag_set(d, -EFBIG,
				"ISO 9660 directory at sector %u claims %u bytes "
				"(limit %u): damaged image",
				lba, size, ISO9660_DIR_MAX);
	rc = read_alloc(iso, off, size, &buf);
	if (rc == -ERANGE)
		return diag_set(d, -EBADMSG,
				"ISO 9660 directory at sector %u (%u bytes) lies outside "
				"the image: truncated or damaged",
				lba, size);
	if (rc < 0)
		return diag_set(d, rc, "ISO 9660 directory at sector %u: %s", lba, strerror(-rc));
	while (p < size) {
		size_t rl = buf[p], nl;
		struct iso9660_ent e;

		if (rl == 0) {
			/* Records do not span blocks; the rest of this one is padding. */
			p = (p / iso->block + 1) * iso->block;
			continue;
		}
		/* The name length byte is inside the record only if the record fits. */
		nl = rl >= 33 && rl <= size - p ? buf[p + 32] : 0;
		if (rl < ISO_DIRREC_MIN || rl > size - p || nl > rl - 33) {
			rc = diag_set(d, -EBADMSG,
				      "ISO 9660 directory at sector %u: bad record "
				      "at byte %zu: damaged image",
				      lba, p);
			goto out;
		}
		if (nl == 1 && (buf[p + 33] == 0 || buf[p + 33] == 1)) {
			p += rl; /* "." and ".." */
			continue;
		}
		parse_record(iso, buf + p, rl, &e);
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

struct find_ctx {
	const char *want;
	size_t want_len;
	struct iso9660_ent *out;
	bool found;
};

static int find_cb(const struct iso9660_ent *e, void *vctx)
{
	struct find_ctx *c = vctx;

	/* Rock Ridge names are case-sensitive; ISO names are upper case and we look up
	 * what people write, so those compare without case. */
	if (strlen(e->name) != c->want_len)
		return 0;
	if (e->rr ? strncmp(e->name, c->want, c->want_len) != 0
		  : strncasecmp(e->name, c->want, c->want_len) != 0)
		return 0;
	*c->out = *e;
	c->found = true;
	return 1;
}

int iso9660_lookup(const struct iso9660 *iso, const char *path, struct iso9660_ent *out,
		   struct diag *d)
{
	uint32_t lba = iso->root_lba, size = iso->root_size;
	const char *p = path;
	unsigned depth = 0;

	memset(out, 0, sizeof(*out));
	out->dir = true;
	out->lba = lba;
	out->size = size;
	while (*p) {
		struct find_ctx c = { 0 };
		const char *slash;
		int rc;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		if (++depth > ISO9660_DEPTH_MAX || !out->dir)
			return -ENOENT;
		slash = strchr(p, '/');
		c.want = p;
		c.want_len = slash ? (size_t)(slash - p) : strlen(p);
		c.out = out;
		rc = iso9660_readdir(iso, lba, size, find_cb, &c, d);
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

/* ---- naming a boot image: breadth-first search by extent ------------------- */

struct walk_dir {
	uint32_t lba, size;
	char path[ISO9660_PATH_MAX];
};

struct walk_ctx {
	uint32_t want;
	const char *dir;
	char *found;
	size_t foundsz;
	struct walk_dir *queue;
	size_t qlen, qcap;
	unsigned visited;
};

/* Queue the directory e (once: damaged images point directories back at themselves). */
static void walk_queue(struct walk_ctx *c, const struct iso9660_ent *e)
{
	struct walk_dir *q;

	for (size_t i = 0; i < c->qlen; i++)
		if (c->queue[i].lba == e->lba)
			return;
	/* Grown as directories turn up: most images have a handful, and a full queue up
	 * front (1 MiB, zeroed) per El Torito entry cost more than the walk. */
	if (c->qlen == c->qcap) {
		size_t ncap = c->qcap ? c->qcap * 2 : 8;
		struct walk_dir *nq;

		if (ncap > ISO9660_QUEUE_MAX)
			ncap = ISO9660_QUEUE_MAX;
		nq = realloc(c->queue, ncap * sizeof(*nq));
		if (!nq)
			return; /* not named, as when the queue is full */
		c->queue = nq;
		c->qcap = ncap;
	}
	q = &c->queue[c->qlen++];
	q->lba = e->lba;
	q->size = e->size;
	snprintf(q->path, sizeof(q->path), "%s/%s", c->dir, e->name);
}

static int walk_cb(const struct iso9660_ent *e, void *vctx)
{
	struct walk_ctx *c = vctx;

	if (++c->visited > ISO9660_WALK_MAX)
		return 1;
	if (!e->dir && e->lba == c->want && e->size) {
		snprintf(c->found, c->foundsz, "%s/%s", c->dir, e->name);
		return 1;
	}
	if (e->dir && c->qlen < ISO9660_QUEUE_MAX &&
	    strlen(c->dir) + strlen(e->name) + 2 < sizeof(c->queue[0].path))
		walk_queue(c, e);
	return 0;
}

void iso9660_name_lba(const struct iso9660 *iso, uint32_t lba, char *out, size_t outsz)
{
	struct walk_ctx c = { 0 };
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
	while (head < c.qlen && !out[0] && c.visited <= ISO9660_WALK_MAX) {
		/* A copy: the callback may move the queue when it grows it. */
		struct walk_dir cur = c.queue[head++];

		c.dir = cur.path;
		(void)iso9660_readdir(iso, cur.lba, cur.size, walk_cb, &c, NULL);
	}
	free(c.queue);
}

/* ---- El Torito -------------------------------------------------------------- */

const char *eltorito_platform_name(unsigned p)
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

const char *eltorito_media_name(unsigned m)
{
	static const char *const names[] = { "no emulation", "1.2M floppy", "1.44M floppy",
					     "2.88M floppy", "hard disk" };

	return m < sizeof(names) / sizeof(names[0]) ? names[m] : "unknown";
}

static void parse_entry(const uint8_t *e, unsigned platform, struct eltorito_entry *out)
{
	out->platform = platform;
	out->bootable = e[0] == 0x88;
	out->media = e[1] & 0x0f;
	out->load_seg = le16(e + 2);
	out->sectors = le16(e + 6);
	out->lba = le32(e + 8);
}

int eltorito_read(const struct iso9660 *iso, struct eltorito_entry *ents, size_t max, size_t *n,
		  struct diag *d)
{
	uint8_t cat[ELTORITO_READ * ISO9660_SECTOR];
	uint64_t off = (uint64_t)iso->catalog_lba * ISO9660_SECTOR;
	size_t len = sizeof(cat), p;
	unsigned sum = 0, i;

	*n = 0;
	if (off > iso->size || iso->size - off < 64)
		return diag_set(d, -EBADMSG,
				"El Torito catalog at sector %u lies outside the image",
				iso->catalog_lba);
	if (len > iso->size - off)
		len = (size_t)(iso->size - off);
	if (iso9660_pread(iso, off, cat, len) < 0)
		return diag_set(d, -EIO, "cannot read the El Torito catalog at sector %u",
				iso->catalog_lba);
	/* Validation entry: header 1, key 55 aa, 16-bit words summing to 0. */
	for (i = 0; i < 32; i += 2)
		sum += le16(cat + i);
	if (cat[0] != 1 || cat[30] != 0x55 || cat[31] != 0xaa || (sum & 0xffff) != 0)
		return diag_set(d, -EBADMSG, "El Torito catalog at sector %u: bad validation entry",
				iso->catalog_lba);
	if (!max)
		return 0;
	parse_entry(cat + 32, cat[1], &ents[(*n)++]);
	/* Section headers (0x90 more follow, 0x91 last), each with its entries; 0x44
	 * marks an extension record of the previous entry. */
	p = 64;
	while (len - p >= 32 && (cat[p] == 0x90 || cat[p] == 0x91)) {
		bool last = cat[p] == 0x91;
		unsigned platform = cat[p + 1], count = le16(cat + p + 2), k = 0;

		p += 32;
		while (k < count && len - p >= 32) {
			if (cat[p] != 0x44) {
				if (*n >= max)
					return 0;
				parse_entry(cat + p, platform, &ents[(*n)++]);
				k++;
			}
			p += 32;
		}
		if (last)
			break;
	}
	return 0;
}
