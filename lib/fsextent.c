/* fsextent: find where each file of an ISO 9660 / FAT / MBR image lies in the image.
 * The whole image is untrusted: every offset is checked in subtraction form against
 * the image length, and the walk is capped in depth and entries (a crafted directory
 * can point at itself). Formats: ISO 9660 through lib/iso9660.c (its one reader);
 * Microsoft's FAT specification (BPB, FAT12/16/32 entries, 32-byte directory entries);
 * MBR. */
#include "fsextent.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "byteorder.h"
#include "iso9660.h"

#define FAT_DIRENT	  32
#define FAT_ATTR_VOLUME	  0x08
#define FAT_ATTR_DIR	  0x10
#define FAT_ATTR_LFN	  0x0f
#define FAT_NT_LOWER_BASE 0x08 /* byte 12: Windows NT's "8.3 name is lower case" bits */
#define FAT_NT_LOWER_EXT  0x10

struct walk {
	const uint8_t *img;
	size_t len;
	fsextent_cb cb;
	void *ctx;
	struct diag *d;
	unsigned entries; /* read so far, against FSEXTENT_MAX_ENTRIES */
};

struct fat {
	size_t base, size; /* the file system's bytes within the image */
	unsigned type;	   /* 12, 16 or 32 */
	size_t bps, csize; /* bytes per sector, per cluster */
	size_t fat_off, fat_len;
	size_t root_off, root_len; /* FAT12/16 fixed root directory */
	uint32_t root_clus;	   /* FAT32 */
	size_t data_off;
	uint32_t nclus;
};

static int walk_count(struct walk *w)
{
	if (++w->entries > FSEXTENT_MAX_ENTRIES)
		return diag_set(w->d, -E2BIG, "more than %u directory entries: not walking further",
				FSEXTENT_MAX_ENTRIES);
	return 0;
}

/* ------------------------------------------------------------------ FAT */

/* A FAT boot sector at base (size bytes available): fills f. 0 or -ENOENT. */
static int fat_open(const struct walk *w, size_t base, size_t size, struct fat *f)
{
	const uint8_t *b = w->img + base;
	uint64_t bps, spc, reserved, nfats, root_ent, tot, fatsz, root_secs, data_sec;
	uint64_t nclus;

	memset(f, 0, sizeof(*f));
	if (base > w->len || size > w->len - base || size < 512)
		return -ENOENT;
	if ((b[0] != 0xeb && b[0] != 0xe9) || b[510] != 0x55 || b[511] != 0xaa)
		return -ENOENT;
	bps = le16(b + 11);
	spc = b[13];
	reserved = le16(b + 14);
	nfats = b[16];
	root_ent = le16(b + 17);
	tot = le16(b + 19) ? le16(b + 19) : le32(b + 32);
	fatsz = le16(b + 22) ? le16(b + 22) : le32(b + 36);
	if ((bps != 512 && bps != 1024 && bps != 2048 && bps != 4096) || !spc ||
	    (spc & (spc - 1)) || !reserved || !nfats || nfats > 4 || !fatsz || !tot)
		return -ENOENT;
	root_secs = (root_ent * FAT_DIRENT + bps - 1) / bps;
	data_sec = reserved + nfats * fatsz + root_secs;
	/* The file system may be shorter than the space it sits in, never longer. */
	if (data_sec >= tot || tot > size / bps)
		return -ENOENT;
	nclus = (tot - data_sec) / spc;
	if (!nclus || nclus > 0x0ffffff0u)
		return -ENOENT;
	f->base = base;
	f->size = (size_t)(tot * bps);
	f->type = nclus < 4085 ? 12 : nclus < 65525 ? 16 : 32;
	f->bps = (size_t)bps;
	f->csize = (size_t)(bps * spc);
	f->fat_off = base + (size_t)(reserved * bps);
	f->fat_len = (size_t)(fatsz * bps);
	f->root_off = base + (size_t)((reserved + nfats * fatsz) * bps);
	f->root_len = (size_t)(root_ent * FAT_DIRENT);
	f->data_off = base + (size_t)(data_sec * bps);
	f->nclus = (uint32_t)nclus;
	if (f->type == 32) {
		f->root_clus = le32(b + 44);
		f->root_len = 0;
	} else if (!root_ent) {
		return -ENOENT;
	}
	return 0;
}

static bool fat_valid(const struct fat *f, uint32_t c)
{
	return c >= 2 && c - 2 < f->nclus;
}

/* The FAT entry of cluster c; 0xffffffff when it lies outside the FAT. */
static uint32_t fat_next(const struct walk *w, const struct fat *f, uint32_t c)
{
	const uint8_t *fat = w->img + f->fat_off;
	size_t o;

	switch (f->type) {
	case 12:
		o = (size_t)c + c / 2;
		if (o >= f->fat_len || f->fat_len - o < 2)
			return 0xffffffffu;
		return c & 1 ? (uint32_t)le16(fat + o) >> 4 : le16(fat + o) & 0xfffu;
	case 16:
		o = (size_t)c * 2;
		if (o >= f->fat_len || f->fat_len - o < 2)
			return 0xffffffffu;
		return le16(fat + o);
	default:
		o = (size_t)c * 4;
		if (o >= f->fat_len || f->fat_len - o < 4)
			return 0xffffffffu;
		return le32(fat + o) & 0x0fffffffu;
	}
}

static size_t fat_clus_off(const struct fat *f, uint32_t c)
{
	return f->data_off + (size_t)(c - 2) * f->csize;
}

/* "NAME.EXT" from a directory entry, lower-cased as Windows NT marks it. */
static void fat_name(const uint8_t *e, char *out, size_t outsz)
{
	char base[9], ext[4];
	size_t nb = 8, ne = 3, i;

	while (nb && e[nb - 1] == ' ')
		nb--;
	while (ne && e[8 + ne - 1] == ' ')
		ne--;
	for (i = 0; i < nb; i++) {
		char ch = (char)(e[i] >= 0x20 && e[i] < 0x7f ? e[i] : '?');
		base[i] = (e[12] & FAT_NT_LOWER_BASE && ch >= 'A' && ch <= 'Z') ? (char)(ch + 32)
										: ch;
	}
	base[nb] = '\0';
	for (i = 0; i < ne; i++) {
		char ch = (char)(e[8 + i] >= 0x20 && e[8 + i] < 0x7f ? e[8 + i] : '?');
		ext[i] = (e[12] & FAT_NT_LOWER_EXT && ch >= 'A' && ch <= 'Z') ? (char)(ch + 32)
									      : ch;
	}
	ext[ne] = '\0';
	snprintf(out, outsz, "%s%s%s", base, ne ? "." : "", ext);
}

static int fat_dir(struct walk *w, const struct fat *f, size_t off, size_t len, uint32_t clus,
		   const char *path, unsigned depth);

/* One 32-byte entry. Returns 1 at the end-of-directory mark, 0 to go on, or -errno. */
static int fat_entry(struct walk *w, const struct fat *f, const uint8_t *e, const char *path,
		     unsigned depth)
{
	struct fsextent_file file = { .contiguous = true };
	char name[16];
	uint32_t clus, c, size, need, n;
	int rc;

	if (e[0] == 0)
		return 1;
	if (e[0] == 0xe5 || e[11] == FAT_ATTR_LFN || (e[11] & FAT_ATTR_VOLUME) || e[0] == '.')
		return 0;
	rc = walk_count(w);
	if (rc)
		return rc;
	fat_name(e, name, sizeof(name));
	clus = (uint32_t)le16(e + 26) | (f->type == 32 ? (uint32_t)le16(e + 20) << 16 : 0);
	size = le32(e + 28);
	if (snprintf(file.path, sizeof(file.path), "%s/%s", path, name) >= (int)sizeof(file.path))
		return diag_set(w->d, -E2BIG, "%s/%s: path too long", path, name);
	if (e[11] & FAT_ATTR_DIR) {
		if (!fat_valid(f, clus))
			return diag_set(w->d, -EBADMSG,
					"FAT directory %s starts at invalid cluster %u", file.path,
					clus);
		return fat_dir(w, f, 0, 0, clus, file.path, depth + 1);
	}
	if (!size)
		return 0;
	if (!fat_valid(f, clus))
		return diag_set(w->d, -EBADMSG, "FAT file %s starts at invalid cluster %u",
				file.path, clus);
	/* Follow the chain for as many clusters as the size needs; a break in the run
	 * (or a chain that ends early) means the bytes are not one range. */
	need = (uint32_t)(((uint64_t)size + f->csize - 1) / f->csize);
	for (c = clus, n = 1; n < need; n++) {
		uint32_t next = fat_next(w, f, c);

		if (next != c + 1 || !fat_valid(f, next)) {
			file.contiguous = false;
			break;
		}
		c = next;
	}
	file.off = fat_clus_off(f, clus);
	/* The whole file, or a fragmented file's first run, must lie inside the file
	 * system (a size field can claim more than the clusters hold). */
	file.len = file.contiguous || (uint64_t)n * f->csize > size ? size : (size_t)n * f->csize;
	if (file.off > f->base + f->size || file.len > f->base + f->size - file.off)
		return diag_set(w->d, -EBADMSG,
				"FAT file %s (%u bytes at cluster %u) runs past the end "
				"of its file system",
				file.path, size, clus);
	return w->cb(&file, w->ctx);
}

/* A directory: the fixed FAT12/16 root (off, len) or a cluster chain from clus. */
static int fat_dir(struct walk *w, const struct fat *f, size_t off, size_t len, uint32_t clus,
		   const char *path, unsigned depth)
{
	uint32_t steps = 0;
	size_t i;
	int rc;

	if (depth > FSEXTENT_MAX_DEPTH)
		return diag_set(w->d, -E2BIG, "FAT directory %s nested deeper than %d", path,
				FSEXTENT_MAX_DEPTH);
	if (!clus) {
		for (i = 0; i < len / FAT_DIRENT; i++) {
			rc = fat_entry(w, f, w->img + off + i * FAT_DIRENT, path, depth);
			if (rc)
				return rc < 0 ? rc : 0;
		}
		return 0;
	}
	while (fat_valid(f, clus)) {
		/* The chain may loop; no chain is longer than the cluster count. */
		if (++steps > f->nclus)
			return diag_set(w->d, -EBADMSG, "FAT directory %s: cluster chain loops",
					path);
		for (i = 0; i < f->csize / FAT_DIRENT; i++) {
			rc = fat_entry(w, f, w->img + fat_clus_off(f, clus) + i * FAT_DIRENT, path,
				       depth);
			if (rc)
				return rc < 0 ? rc : 0;
		}
		clus = fat_next(w, f, clus);
	}
	return 0;
}

static int fat_walk(struct walk *w, const struct fat *f, const char *path, unsigned depth)
{
	/* fat_open checked the root area against the file system: data_sec < tot. */
	if (f->type == 32)
		return fat_dir(w, f, 0, 0, f->root_clus, path, depth);
	return fat_dir(w, f, f->root_off, f->root_len, 0, path, depth);
}

/* ------------------------------------------------------------------ ISO 9660 */

/* The records come from the one ISO 9660 reader (lib/iso9660.c); here they become
 * paths and byte ranges, directories are followed (capped in depth: a directory can
 * point at itself) and FAT images stored as files are walked too. */
struct iso_dir_ctx {
	struct walk *w;
	const struct iso9660 *iso;
	const char *path;
	unsigned depth;
	bool prev_multi;
};

static int iso_dir(struct walk *w, const struct iso9660 *iso, uint32_t lba, uint32_t size,
		   const char *path, unsigned depth);

/* An El Torito EFI image is a FAT file system stored as a file. */
static int iso_fat_file(struct walk *w, const struct fsextent_file *file, unsigned depth)
{
	char sub[FSEXTENT_PATH_MAX];
	struct fat f;

	if (fat_open(w, file->off, file->len, &f))
		return 0;
	if (snprintf(sub, sizeof(sub), "%s:", file->path) >= (int)sizeof(sub))
		return diag_set(w->d, -E2BIG, "%s: path too long", file->path);
	return fat_walk(w, &f, sub, depth + 1);
}

static int iso_entry(const struct iso9660_ent *e, void *vctx)
{
	struct iso_dir_ctx *c = vctx;
	struct walk *w = c->w;
	struct fsextent_file file = { .contiguous = true };
	size_t bs = c->iso->block;
	int rc;

	rc = walk_count(w);
	if (rc)
		return rc;
	if (snprintf(file.path, sizeof(file.path), "%s/%s", c->path, e->iso_name) >=
	    (int)sizeof(file.path))
		return diag_set(w->d, -E2BIG, "%s/%s: path too long", c->path, e->iso_name);
	if (e->dir)
		return iso_dir(w, c->iso, e->lba, e->size, file.path, c->depth + 1);
	/* Each extent of a multi-extent file is its own record; all but the last carry
	 * the flag, so the last one is known by the one before it. */
	file.contiguous = !e->multi && !c->prev_multi;
	c->prev_multi = e->multi;
	if ((uint64_t)e->lba * bs > w->len || e->size > w->len - (size_t)e->lba * bs)
		return diag_set(w->d, -EBADMSG,
				"ISO file %s (sector %u, %u bytes) lies outside the image",
				file.path, e->lba, e->size);
	file.off = (size_t)e->lba * bs;
	file.len = e->size;
	rc = w->cb(&file, w->ctx);
	if (rc)
		return rc;
	return file.contiguous ? iso_fat_file(w, &file, c->depth) : 0;
}

static int iso_dir(struct walk *w, const struct iso9660 *iso, uint32_t lba, uint32_t size,
		   const char *path, unsigned depth)
{
	struct iso_dir_ctx c = { w, iso, path, depth, false };

	if (depth > FSEXTENT_MAX_DEPTH)
		return diag_set(w->d, -E2BIG, "ISO directory %s nested deeper than %d",
				path[0] ? path : "/", FSEXTENT_MAX_DEPTH);
	return iso9660_readdir(iso, lba, size, iso_entry, &c, w->d);
}

/* ------------------------------------------------------------------ MBR */

static bool mbr_fat_type(uint8_t t)
{
	/* FAT12, FAT16 <32M, FAT16, FAT32 CHS/LBA, FAT16 LBA, EFI system partition. */
	return t == 0x01 || t == 0x04 || t == 0x06 || t == 0x0b || t == 0x0c || t == 0x0e ||
	       t == 0xef;
}

static int mbr_walk(struct walk *w, bool *found)
{
	unsigned i;
	int rc;

	*found = false;
	if (w->len < 512 || w->img[510] != 0x55 || w->img[511] != 0xaa)
		return 0;
	for (i = 0; i < 4; i++) {
		const uint8_t *e = w->img + 446 + 16 * i;
		uint64_t start = (uint64_t)le32(e + 8) * 512, count = (uint64_t)le32(e + 12) * 512;
		struct fat f;
		char path[32];

		if ((e[0] != 0 && e[0] != 0x80) || !mbr_fat_type(e[4]) || !count)
			continue;
		if (start > w->len || count > w->len - start)
			continue; /* a partition beyond the file: not ours to read */
		if (fat_open(w, (size_t)start, (size_t)count, &f))
			continue;
		*found = true;
		snprintf(path, sizeof(path), "partition%u:", i + 1);
		rc = fat_walk(w, &f, path, 0);
		if (rc)
			return rc;
	}
	return 0;
}

int fsextent_walk(const uint8_t *img, size_t len, fsextent_cb cb, void *ctx, struct diag *d)
{
	struct walk w = { .img = img, .len = len, .cb = cb, .ctx = ctx, .d = d };
	struct iso9660_mem mem = { img, len };
	struct iso9660 iso;
	struct fat f;
	bool found;
	int rc;

	rc = iso9660_open(&iso, iso9660_mem_read, &mem, len, d);
	if (rc == 0)
		return iso_dir(&w, &iso, iso.root_lba, iso.root_size, "", 0);
	if (rc != -ENOENT)
		return rc;
	/* A FAT boot sector also ends in 55 aa: a partition table is told apart by a
	 * FAT BPB at offset 0 failing to parse. */
	if (fat_open(&w, 0, len, &f) == 0)
		return fat_walk(&w, &f, "", 0);
	rc = mbr_walk(&w, &found);
	if (rc || found)
		return rc;
	return diag_set(d, -ENOENT, "not an ISO 9660, FAT or MBR disk image");
}
