/* test_iso9660: the ISO 9660 / Rock Ridge / El Torito reader (lib/iso9660.c) on a small
 * image made here byte by byte — names, lookups, the boot catalog — and on damaged
 * copies: every truncated prefix (ending at a guard page), directories that point back
 * at the root, a Rock Ridge continuation area that continues itself, bad records,
 * extents outside the image, a failing read callback; and the extent finder
 * (lib/fsextent.c), which walks the same image through the same reader. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fsextent.h"
#include "iso9660.h"
#include "test.h"
#include "testdata.h"

#define SEC	  2048u
#define NSEC	  26u
#define ROOT	  20u
#define BOOTDIR	  21u
#define CATALOG	  22u
#define EFIIMG	  23u
#define README	  24u
#define CEAREA	  25u
#define IMG_BYTES (NSEC * SEC)

static void put32(uint8_t *p, uint32_t v) /* both-endian 32-bit (ECMA-119 7.3.3) */
{
	for (int i = 0; i < 4; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
		p[7 - i] = (uint8_t)(v >> (8 * i));
	}
}

/* One directory record at p; returns its length. */
static size_t put_rec(uint8_t *p, uint32_t lba, uint32_t size, uint8_t flags, const char *name,
		      size_t nl, const uint8_t *sua, size_t sual)
{
	size_t rl = 33 + nl + ((nl & 1) ? 0 : 1) + sual;

	rl += rl & 1;
	memset(p, 0, rl);
	p[0] = (uint8_t)rl;
	put32(p + 2, lba);
	put32(p + 10, size);
	p[25] = flags;
	p[32] = (uint8_t)nl;
	memcpy(p + 33, name, nl);
	if (sual)
		memcpy(p + 33 + nl + ((nl & 1) ? 0 : 1), sua, sual);
	return rl;
}

static size_t put_dots(uint8_t *p, uint32_t self, uint32_t parent)
{
	size_t o = put_rec(p, self, SEC, 2, "\0", 1, NULL, 0);

	return o + put_rec(p + o, parent, SEC, 2, "\1", 1, NULL, 0);
}

/* A Rock Ridge NM entry for name at p; returns its length. */
static size_t put_nm(uint8_t *p, const char *name)
{
	size_t n = strlen(name);

	p[0] = 'N', p[1] = 'M', p[2] = (uint8_t)(5 + n), p[3] = 1, p[4] = 0;
	memcpy(p + 5, name, n);
	return 5 + n;
}

/* A CE entry continuing the System Use area at (lba, off, len). */
static size_t put_ce(uint8_t *p, uint32_t lba, uint32_t off, uint32_t len)
{
	memset(p, 0, 28);
	p[0] = 'C', p[1] = 'E', p[2] = 28, p[3] = 1;
	put32(p + 4, lba);
	put32(p + 12, off);
	put32(p + 20, len);
	return 28;
}

static void put_catalog(uint8_t *cat)
{
	unsigned sum = 0;

	cat[0] = 1; /* validation entry, platform x86 */
	cat[30] = 0x55, cat[31] = 0xaa;
	for (int i = 0; i < 32; i += 2)
		sum += (unsigned)(cat[i] | cat[i + 1] << 8);
	sum = (0x10000 - (sum & 0xffff)) & 0xffff;
	cat[28] = (uint8_t)sum, cat[29] = (uint8_t)(sum >> 8);
	cat[32] = 0x88, cat[38] = 4, cat[40] = README; /* default entry: BIOS */
	cat[64] = 0x91, cat[65] = 0xef, cat[66] = 1;   /* last section: EFI, 1 entry */
	cat[96] = 0x88, cat[102] = 4, cat[104] = EFIIMG;
}

/* The image: / holds BOOT/ (EFI.IMG and UP -> /), README.TXT with the Rock Ridge name
 * ReadMe.txt, LOOP -> / and CE.TXT whose name continues in a CE area that continues
 * itself; an El Torito catalog with a BIOS and an EFI entry. */
static void make_image(uint8_t *img)
{
	uint8_t sua[64], *vd = img + 16 * SEC, *root = img + ROOT * SEC;
	size_t o, n;

	memset(img, 0, IMG_BYTES);
	vd[0] = 1, memcpy(vd + 1, "CD001", 5), vd[6] = 1;
	memset(vd + 40, ' ', 32), memcpy(vd + 40, "TESTVOL", 7);
	put32(vd + 80, NSEC);
	vd[128] = SEC & 0xff, vd[129] = SEC >> 8, vd[130] = SEC >> 8, vd[131] = SEC & 0xff;
	put_rec(vd + 156, ROOT, SEC, 2, "\0", 1, NULL, 0);
	vd += SEC;
	vd[0] = 0, memcpy(vd + 1, "CD001", 5), vd[6] = 1;
	memcpy(vd + 7, "EL TORITO SPECIFICATION", 23);
	vd[0x47] = CATALOG;
	vd += SEC;
	vd[0] = 255, memcpy(vd + 1, "CD001", 5), vd[6] = 1;

	o = put_dots(root, ROOT, ROOT);
	o += put_rec(root + o, BOOTDIR, SEC, 2, "BOOT", 4, NULL, 0);
	n = put_nm(sua, "ReadMe.txt");
	o += put_rec(root + o, README, 100, 0, "README.TXT;1", 12, sua, n);
	o += put_rec(root + o, ROOT, SEC, 2, "LOOP", 4, NULL, 0);
	n = put_ce(sua, CEAREA, 0, 40);
	o += put_rec(root + o, README, 10, 0, "CE.TXT;1", 8, sua, n);
	n = put_nm(img + CEAREA * SEC, "ce");
	put_ce(img + CEAREA * SEC + n, CEAREA, 0, 40);

	o = put_dots(img + BOOTDIR * SEC, BOOTDIR, ROOT);
	o += put_rec(img + BOOTDIR * SEC + o, EFIIMG, SEC, 0, "EFI.IMG;1", 9, NULL, 0);
	put_rec(img + BOOTDIR * SEC + o, ROOT, SEC, 2, "UP", 2, NULL, 0);
	put_catalog(img + CATALOG * SEC);
	memcpy(img + README * SEC, "hello", 5);
}

static int open_mem(struct iso9660 *iso, struct iso9660_mem *m, const uint8_t *p, size_t len,
		    struct diag *d)
{
	m->p = p;
	m->len = len;
	diag_clear(d);
	return iso9660_open(iso, iso9660_mem_read, m, len, d);
}

static void test_names(const uint8_t *img)
{
	struct iso9660_mem m;
	struct iso9660 iso;
	struct iso9660_ent e;
	struct diag d = { { 0 } };
	char path[512], name[ISO9660_PATH_MAX];
	int rc;

	rc = open_mem(&iso, &m, img, IMG_BYTES, &d);
	ok(rc == 0 && iso.block == SEC && iso.root_lba == ROOT && iso.volume_id_len == 7 &&
		   !memcmp(iso.volume_id, "TESTVOL", 7) && iso.volume_blocks == NSEC,
	   "open: block size, root, volume id \"TESTVOL\" (%d %s)", rc, d.msg);
	ok(iso.have_catalog && iso.catalog_lba == CATALOG, "open: the El Torito boot record");
	rc = iso9660_lookup(&iso, "/boot/efi.img", &e, &d);
	ok(rc == 0 && !e.dir && e.lba == EFIIMG && e.size == SEC && !strcmp(e.name, "EFI.IMG"),
	   "lookup /boot/efi.img: an ISO name, found without case, \";1\" cut (%d)", rc);
	rc = iso9660_lookup(&iso, "/ReadMe.txt", &e, &d);
	ok(rc == 0 && e.rr && !strcmp(e.iso_name, "README.TXT") && e.lba == README,
	   "lookup /ReadMe.txt: the Rock Ridge name; iso_name README.TXT (%d)", rc);
	ok(iso9660_lookup(&iso, "/readme.txt", &e, &d) == -ENOENT,
	   "lookup /readme.txt: Rock Ridge names compare with case");
	rc = iso9660_lookup(&iso, "/cececece", &e, &d);
	ok(rc == 0 && e.rr, "a CE area continuing itself: followed 3 more times, then cut (%d)",
	   rc);
	ok(iso9660_lookup(&iso, "/LOOP/LOOP/BOOT/UP/BOOT/EFI.IMG", &e, &d) == 0 && e.lba == EFIIMG,
	   "lookup through directories that point back at the root");
	path[0] = '\0';
	for (int i = 0; i < 20; i++)
		strcat(path, "/LOOP");
	ok(iso9660_lookup(&iso, path, &e, &d) == -ENOENT, "20 LOOP components: the depth cap");
	iso9660_name_lba(&iso, EFIIMG, name, sizeof(name));
	ok(!strcmp(name, "/BOOT/EFI.IMG"), "name_lba: the EFI image is /BOOT/EFI.IMG (\"%s\")",
	   name);
	iso9660_name_lba(&iso, 999, name, sizeof(name));
	ok(!name[0], "name_lba of an extent no file has: \"\", the looping walk ends");
}

static void test_eltorito(uint8_t *img)
{
	struct eltorito_entry ents[ELTORITO_MAX];
	struct iso9660_mem m;
	struct iso9660 iso;
	struct diag d = { { 0 } };
	size_t n = 0;
	int rc;

	open_mem(&iso, &m, img, IMG_BYTES, &d);
	rc = eltorito_read(&iso, ents, ELTORITO_MAX, &n, &d);
	ok(rc == 0 && n == 2 && ents[0].platform == 0 && ents[0].bootable &&
		   ents[0].lba == README && ents[1].platform == 0xef && ents[1].lba == EFIIMG &&
		   ents[1].sectors == 4,
	   "catalog: the BIOS default entry and the EFI section entry (%d, %zu)", rc, n);
	ok(!strcmp(eltorito_platform_name(ents[1].platform), "EFI") &&
		   !strcmp(eltorito_media_name(ents[1].media), "no emulation"),
	   "platform and media names");
	ok(eltorito_read(&iso, ents, 1, &n, &d) == 0 && n == 1, "at most max entries");
	img[CATALOG * SEC + 28] ^= 1;
	diag_clear(&d);
	rc = eltorito_read(&iso, ents, ELTORITO_MAX, &n, &d);
	ok(rc == -EBADMSG && strstr(d.msg, "bad validation entry"),
	   "a catalog whose words do not sum to 0: %s", d.msg);
	img[CATALOG * SEC + 28] ^= 1;
	iso.catalog_lba = NSEC + 5;
	diag_clear(&d);
	ok(eltorito_read(&iso, ents, ELTORITO_MAX, &n, &d) == -EBADMSG && d.msg[0],
	   "a catalog outside the image: %s", d.msg);
}

/* Every reader call on a damaged image: errors carry a message, nothing over-reads. */
static int read_all(const uint8_t *p, size_t len)
{
	struct eltorito_entry ents[ELTORITO_MAX];
	struct iso9660_mem m;
	struct iso9660 iso;
	struct iso9660_ent e;
	struct diag d = { { 0 } };
	char name[ISO9660_PATH_MAX];
	size_t n;
	int rc;

	rc = open_mem(&iso, &m, p, len, &d);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return d.msg[0] ? 0 : -1;
	diag_clear(&d);
	rc = iso9660_lookup(&iso, "/BOOT/EFI.IMG", &e, &d);
	if (rc && rc != -ENOENT && !d.msg[0])
		return -1;
	iso9660_name_lba(&iso, EFIIMG, name, sizeof(name));
	diag_clear(&d);
	if (iso.have_catalog && eltorito_read(&iso, ents, ELTORITO_MAX, &n, &d) && !d.msg[0])
		return -1;
	return 0;
}

static void test_damaged(uint8_t *img)
{
	struct iso9660_mem m;
	struct iso9660 iso;
	struct iso9660_ent e;
	struct diag d = { { 0 } };
	struct guarded g;
	int bad = 0, opened = 0;

	for (size_t cut = 0; cut <= IMG_BYTES; cut += cut < 16 * SEC ? SEC : 61) {
		if (guard_copy(&g, img, cut) < 0)
			continue;
		if (read_all(g.p, cut))
			bad++;
		if (open_mem(&iso, &m, g.p, cut, &d) == 0)
			opened++;
		guard_free(&g);
	}
	ok(!bad && opened > 0, "every truncated prefix: errors carry a message, no over-read");

	open_mem(&iso, &m, img, IMG_BYTES, &d);
	img[ROOT * SEC + 68] = 10; /* the third record's length: shorter than a record */
	diag_clear(&d);
	ok(iso9660_lookup(&iso, "/BOOT", &e, &d) == -EBADMSG && strstr(d.msg, "bad record"),
	   "a record shorter than 34 bytes: %s", d.msg);
	make_image(img);
	diag_clear(&d);
	ok(iso9660_readdir(&iso, NSEC - 1, 2 * SEC, NULL, NULL, &d) == -EBADMSG &&
		   strstr(d.msg, "lies outside the image"),
	   "a directory past the end: %s", d.msg);
	diag_clear(&d);
	ok(iso9660_readdir(&iso, ROOT, ISO9660_DIR_MAX + 1, NULL, NULL, &d) == -EFBIG && d.msg[0],
	   "a directory over the cap: %s", d.msg);
	img[16 * SEC + 128] = 0, img[16 * SEC + 129] = 3; /* block size 768 */
	ok(open_mem(&iso, &m, img, IMG_BYTES, &d) == -ENOTSUP && d.msg[0], "block size 768: %s",
	   d.msg);
	img[16 * SEC] = 2; /* no primary volume descriptor left */
	ok(open_mem(&iso, &m, img, IMG_BYTES, &d) == -EBADMSG && d.msg[0],
	   "no primary volume descriptor: %s", d.msg);
	make_image(img);
}

/* A read callback that fails past the volume descriptors (an I/O error on a stick). */
static int failing_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	return off >= ROOT * SEC ? -EIO : iso9660_mem_read(ctx, off, buf, len);
}

static int count_cb(const struct fsextent_file *f, void *ctx)
{
	unsigned *n = ctx;

	(void)f;
	(*n)++;
	return 0;
}

static void test_callers(const uint8_t *img)
{
	struct iso9660_mem m = { img, IMG_BYTES };
	struct iso9660 iso;
	struct iso9660_ent e;
	struct diag d = { { 0 } };
	unsigned n = 0;
	int rc;

	rc = iso9660_open(&iso, failing_read, &m, IMG_BYTES, &d);
	ok(rc == 0, "open reads only the volume descriptors");
	rc = iso9660_lookup(&iso, "/BOOT", &e, &d);
	ok(rc == -EIO && strstr(d.msg, "sector 20"), "the callback's error comes back: %s", d.msg);
	/* fsextent walks the same image with the same reader: LOOP -> / is cut by its depth
	 * cap, after it listed the files on the way down. */
	diag_clear(&d);
	rc = fsextent_walk(img, IMG_BYTES, count_cb, &n, &d);
	ok(rc == -E2BIG && n > 0 && strstr(d.msg, "nested deeper"),
	   "fsextent on the looping image: %u files, then the depth cap: %s", n, d.msg);
}

int main(void)
{
	static uint8_t img[IMG_BYTES];

	make_image(img);
	test_names(img);
	test_eltorito(img);
	test_damaged(img);
	test_callers(img);
	return test_done();
}
