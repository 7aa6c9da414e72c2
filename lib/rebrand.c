/* rebrand: patch the DHCP user-class (option 77) that iPXE compiles into its DHCP request
 * template, in prebuilt binaries: in place in EFI images; in packed BIOS images by
 * decoding the block that holds it, patching, and packing it again so that every size
 * in the file stays as it was. Images holding binaries (Debian's ipxe.iso) get each
 * binary patched where it lies. All input bytes are untrusted (zbin, ipxebin and
 * fsextent check them); the result is decoded again and compared before it is returned. */
#include "rebrand.h"

#include <errno.h>
#include <lzma.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "fsextent.h"
#include "sha256.h"
#include "zbin.h"

#define OPT_PAD	       0
#define OPT_USER_CLASS 77

/* What every stock build carries: option 77, length 4, "iPXE" (not RFC 3004's
 * length-prefixed form; src/net/udp/dhcp.c DHCP_STRING('i','P','X','E')). */
static const uint8_t stock_opt[] = { OPT_USER_CLASS, 4, 'i', 'P', 'X', 'E' };

/* Encoder settings tried in turn until the patched block's stream fits in the room
 * the old one had. Plain 6 first: about three times faster than iPXE's own 6|extreme,
 * and on Debian's builds it fits where 6|extreme comes out a few bytes long
 * (netboot-facts.md). The rest only run for builds those two do not fit. */
static const uint32_t presets[] = {
	6, 6 | LZMA_PRESET_EXTREME, 5, 5 | LZMA_PRESET_EXTREME, 4, 4 | LZMA_PRESET_EXTREME,
};

/* PE/COFF optional header fields (PE32 / PE32+ offsets differ after the first 92). */
#define PE_OPT_CHECKSUM 64
#define PE32_NDIRS	92
#define PE32PLUS_NDIRS	108
#define PE_DIR_SECURITY 4 /* certificate table: Authenticode signatures */

/* One binary being patched: the untrusted original and its copy in the output. */
struct slice {
	const uint8_t *orig;
	uint8_t *buf;
	size_t len;
	const char *path; /* for messages: "" for the input itself */
};

static size_t align16(size_t v)
{
	return (v + 15) & ~(size_t)15;
}

int rebrand_check_class(const char *cls, struct diag *d)
{
	size_t n = strlen(cls), i;

	if (!n)
		return diag_set(
			d, -EINVAL,
			"user-class is empty: give 1 to %d printable ASCII characters, e.g. CSTM",
			REBRAND_CLASS_MAX);
	for (i = 0; i < n; i++)
		if (cls[i] < 0x21 || cls[i] > 0x7e)
			return diag_set(
				d, -EINVAL,
				"user-class: byte %zu (0x%02x) is not printable ASCII or is a "
				"space; allowed are 1 to %d printable ASCII characters without "
				"spaces, e.g. CSTM",
				i + 1, (unsigned char)cls[i], REBRAND_CLASS_MAX);
	if (!strcmp(cls, REBRAND_STOCK_CLASS))
		return diag_set(
			d, -EINVAL,
			"user-class \"iPXE\" is what every stock and vendor iPXE ROM sends: "
			"pick your own (e.g. CSTM) so the DHCP server can tell our iPXE apart");
	if (n > REBRAND_CLASS_MAX)
		return diag_set(
			d, -ENOSPC,
			"user-class \"%s\" is %zu bytes, but a prebuilt iPXE binary has room "
			"for %d (the class is patched in place over \"iPXE\"). For a longer "
			"class: the chain script's run-time `set user-class` covers images "
			"(chainboot build writes it into every script), and `chainboot "
			"build-ipxe --src DIR` builds iPXE that sends any class from its first "
			"DHCP request",
			cls, n, REBRAND_CLASS_MAX);
	return 0;
}

/* The template's option must be the stock one, and the stock option bytes must occur
 * nowhere else: a second copy means a build we do not know, and we do not guess. */
static int rebrand_check_stock(const uint8_t *data, size_t len, const struct ipxebin_loc *loc,
			       struct diag *d)
{
	char cur[IPXEBIN_CLASS_MAX];
	const uint8_t *p = data, *hit;
	size_t left = len, count = 0, offs[2] = { 0, 0 };

	if (loc->cls_len != sizeof(stock_opt) - 2 ||
	    memcmp(data + loc->opt_off, stock_opt, sizeof(stock_opt)) != 0) {
		ipxebin_format_class(data + loc->cls_off, loc->cls_len, cur, sizeof(cur));
		return diag_set(
			d, -EALREADY,
			"already rebranded: its user-class is \"%s\", not the stock \"iPXE\"; "
			"start from the stock binary (Debian's ipxe package) to give it "
			"another class",
			cur);
	}
	while (left >= sizeof(stock_opt) &&
	       (hit = memmem(p, left, stock_opt, sizeof(stock_opt))) != NULL) {
		if (count < 2)
			offs[count] = (size_t)(hit - data);
		count++;
		left -= (size_t)(hit - p) + 1;
		p = hit + 1;
	}
	if (count != 1)
		return diag_set(
			d, -EEXIST,
			"the user-class option bytes 4d 04 \"iPXE\" occur %zu times (offsets "
			"%zu and %zu): an iPXE build we do not know; refusing to guess which "
			"one it sends (rebuild it with chainboot build-ipxe instead)",
			count, offs[0], offs[1]);
	return 0;
}

/* A shorter class shrinks the option; the freed bytes become pad options (code 0,
 * RFC 2132 section 3.1), which DHCP servers skip and iPXE copies as they are. */
static void rebrand_patch(uint8_t *data, const struct ipxebin_loc *loc, const uint8_t *cls,
			  size_t n)
{
	data[loc->opt_off + 1] = (uint8_t)n;
	memcpy(data + loc->cls_off, cls, n);
	memset(data + loc->cls_off + n, OPT_PAD, loc->cls_len - n);
}

/* The PE header fields we touch, or -ENOENT if the header is too short for them. */
static int pe_fields(const uint8_t *buf, size_t len, size_t *checksum_off, uint32_t *sec_size)
{
	size_t pe, opt, optsz, ndirs_off, dirs_off;
	uint32_t ndirs;

	if (len < 0x40)
		return -ENOENT;
	pe = le32(buf + 0x3c);
	if (pe > len || len - pe < 24)
		return -ENOENT;
	optsz = (size_t)(buf[pe + 20] | buf[pe + 21] << 8);
	opt = pe + 24;
	if (optsz > len - opt || optsz < 2)
		return -ENOENT;
	if (buf[opt] == 0x0b && buf[opt + 1] == 0x02) /* PE32+ */
		ndirs_off = PE32PLUS_NDIRS;
	else
		ndirs_off = PE32_NDIRS;
	dirs_off = ndirs_off + 4;
	if (optsz < dirs_off)
		return -ENOENT;
	*checksum_off = opt + PE_OPT_CHECKSUM;
	ndirs = le32(buf + opt + ndirs_off);
	*sec_size = 0;
	if (ndirs > PE_DIR_SECURITY && optsz - dirs_off >= (PE_DIR_SECURITY + 1) * 8)
		*sec_size = le32(buf + opt + dirs_off + PE_DIR_SECURITY * 8 + 4);
	return 0;
}

/* The PE image checksum (imagehlp's CheckSumMappedFile): 16-bit one's-complement-
 * style sum of the file with the checksum field as zero, plus the file length. */
static uint32_t pe_checksum(const uint8_t *buf, size_t len, size_t checksum_off)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		if (i >= checksum_off && i < checksum_off + 4)
			continue;
		sum += (uint32_t)(buf[i] | buf[i + 1] << 8);
		sum = (sum & 0xffff) + (sum >> 16);
	}
	if (len & 1)
		sum += buf[len - 1];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint32_t)(sum + len);
}

/* Bytes of s outside [a0, a1) and [b0, b1) (may be empty) must be unchanged. */
static int rebrand_same_except(const struct slice *s, size_t a0, size_t a1, size_t b0, size_t b1,
			       struct diag *d)
{
	size_t r[2][2] = { { a0, a1 }, { b0, b1 } }, pos = 0, i;

	if (b0 < a0) {
		r[0][0] = b0, r[0][1] = b1;
		r[1][0] = a0, r[1][1] = a1;
	}
	for (i = 0; i < 2; i++) {
		if (r[i][0] == r[i][1])
			continue;
		if (r[i][0] > pos && memcmp(s->orig + pos, s->buf + pos, r[i][0] - pos) != 0)
			goto changed;
		if (r[i][1] > pos)
			pos = r[i][1];
	}
	if (pos < s->len && memcmp(s->orig + pos, s->buf + pos, s->len - pos) != 0)
		goto changed;
	return 0;
changed:
	return diag_set(d, -EIO,
			"verification failed: bytes outside the patched range "
			"changed (a bug in chainboot; nothing was written)");
}

static int rebrand_efi(struct slice *s, const uint8_t *cls, size_t n, struct diag *d)
{
	struct ipxebin_loc loc;
	uint8_t *dec = NULL;
	size_t declen, ck_off = 0;
	uint32_t sec = 0, ck;
	int rc;

	if (pe_fields(s->buf, s->len, &ck_off, &sec) == 0 && sec)
		return diag_set(d, -EPERM,
				"signed EFI binary (Authenticode certificate table of %u bytes): "
				"patching it would break the signature Secure Boot checks. Keep it "
				"stock and let the chain script's `set user-class` set the class, "
				"or rebrand an unsigned build",
				sec);
	rc = ipxebin_locate(s->buf, s->len, &loc, &dec, &declen, d);
	free(dec); /* NULL for EFI: the template is in the file as built */
	if (rc)
		return rc;
	rc = rebrand_check_stock(s->buf, s->len, &loc, d);
	if (rc)
		return rc;
	rebrand_patch(s->buf, &loc, cls, n);
	/* iPXE's EFI builds leave the checksum 0 (no firmware checks it); keep a
	 * non-zero one valid. */
	if (ck_off && s->len - ck_off >= 4 && le32(s->buf + ck_off)) {
		ck = pe_checksum(s->buf, s->len, ck_off);
		put_le32(s->buf + ck_off, ck);
		return rebrand_same_except(s, loc.opt_off, loc.opt_off + sizeof(stock_opt), ck_off,
					   ck_off + 4, d);
	}
	return rebrand_same_except(s, loc.opt_off, loc.opt_off + sizeof(stock_opt), 0, 0, d);
}

/* Streams already made in this process, by the SHA-256 of the block they encode:
 * Debian's ipxe.iso holds ipxe.lkrn byte for byte, and encoding is most of the time
 * a rebrand takes. Entries live until exit. */
#define MEMO_SLOTS 8

static struct {
	char key[SHA256_HEX_LEN];
	uint32_t preset;
	size_t room;
	uint8_t *enc;
	size_t enclen;
} memo[MEMO_SLOTS];
static unsigned memo_next;
static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;

static int memo_get(const char *key, size_t room, uint8_t **enc, size_t *enclen, uint32_t *preset)
{
	int rc = -ENOENT;
	unsigned i;

	pthread_mutex_lock(&memo_lock);
	for (i = 0; i < MEMO_SLOTS && rc; i++) {
		if (!memo[i].enc || memo[i].room != room || strcmp(memo[i].key, key) != 0)
			continue;
		*enc = malloc(memo[i].enclen);
		if (*enc) {
			memcpy(*enc, memo[i].enc, memo[i].enclen);
			*enclen = memo[i].enclen;
			*preset = memo[i].preset;
			rc = 0;
		}
	}
	pthread_mutex_unlock(&memo_lock);
	return rc;
}

static void memo_put(const char *key, size_t room, const uint8_t *enc, size_t enclen,
		     uint32_t preset)
{
	uint8_t *copy = malloc(enclen);
	unsigned slot;

	if (!copy)
		return; /* only a lost speed-up */
	memcpy(copy, enc, enclen);
	pthread_mutex_lock(&memo_lock);
	slot = memo_next++ % MEMO_SLOTS;
	free(memo[slot].enc);
	snprintf(memo[slot].key, sizeof(memo[slot].key), "%s", key);
	memo[slot].room = room;
	memo[slot].enc = copy;
	memo[slot].enclen = enclen;
	memo[slot].preset = preset;
	pthread_mutex_unlock(&memo_lock);
}

/* Does a new stream of enclen bytes fit block i? The last block ends at EOF, so the
 * stream may be followed by padding inside it: iPXE's unlzma stops at the end marker,
 * and its CRC check covers the whole block as the length field says. After an inner
 * block, libprefix.S install_block finds the next one at the 16-byte boundary after
 * stream + CRC, so the new stream must end within the same 16-byte step. */
static bool rebrand_fits(const struct zbin *z, size_t i, size_t enclen)
{
	const struct zbin_block *b = &z->blocks[i];

	if (enclen > b->data_len)
		return false;
	if (i + 1 == z->nblocks)
		return true;
	if (align16(b->end) != z->blocks[i + 1].offset)
		return enclen == b->data_len; /* a jump to a 512-byte boundary: keep it exact */
	return align16(b->data_off + enclen + 4) == align16(b->end);
}

int rebrand_repack_block(uint8_t *buf, size_t len, const struct zbin *z, size_t block,
			 const uint8_t *plain, size_t plen, struct rebrand_bin *bi, struct diag *d)
{
	const struct zbin_block *b;
	struct zbin z2;
	uint8_t *enc = NULL, *check = NULL;
	size_t enclen = 0, checklen = 0, used = 0, crc_at, i;
	char key[SHA256_HEX_LEN];
	uint32_t preset = 0;
	bool fits;
	int rc;

	if (block >= z->nblocks || z->nblocks > ZBIN_MAX_BLOCKS ||
	    z->blocks[z->nblocks - 1].end > len)
		return diag_set(d, -EINVAL, "packed block %zu is not in the image", block + 1);
	b = &z->blocks[block];
	sha256_hex(plain, plen, key);
	fits = memo_get(key, b->data_len, &enc, &enclen, &preset) == 0 &&
	       rebrand_fits(z, block, enclen);
	for (i = 0; i < sizeof(presets) / sizeof(presets[0]) && !fits; i++) {
		free(enc);
		enc = NULL;
		rc = zbin_encode_block(plain, plen, presets[i], &enc, &enclen, d);
		if (rc)
			goto out;
		fits = rebrand_fits(z, block, enclen);
		preset = presets[i];
		if (fits)
			memo_put(key, b->data_len, enc, enclen, preset);
	}
	if (!fits) {
		rc = diag_set(
			d, -ENOSPC,
			"packed block %zu: the patched data recompresses to %zu bytes or more "
			"with every encoder preset tried, more than the %zu the block has: "
			"this build cannot be rebranded in place; build iPXE with "
			"chainboot build-ipxe instead",
			block + 1, enclen, b->data_len);
		goto out;
	}
	if (bi) {
		bi->preset = preset;
		bi->stream = enclen;
		bi->room = b->data_len;
	}

	/* New stream, zero padding, CRC; an inner block gets its new length. */
	crc_at = b->data_off + (block + 1 == z->nblocks ? b->data_len : enclen);
	memcpy(buf + b->data_off, enc, enclen);
	memset(buf + b->data_off + enclen, 0, crc_at - b->data_off - enclen);
	put_le32(buf + crc_at, zbin_crc32(ZBIN_CRC_SEED, buf + b->data_off, crc_at - b->data_off));
	if (crc_at + 4 < b->end) {
		put_le32(buf + b->offset, (uint32_t)(crc_at + 4 - b->data_off));
		memset(buf + crc_at + 4, 0, b->end - crc_at - 4);
	}

	/* Verify: the file parses as before (chain, CRCs, .lkrn header) and the block
	 * decodes to exactly the intended data. */
	rc = zbin_parse(buf, len, &z2, d);
	if (!rc && (z2.nblocks != z->nblocks || z2.blocks[block].offset != b->offset))
		rc = diag_set(d, -EIO, "the rebuilt image's block chain differs");
	if (!rc)
		rc = zbin_decode_block(buf, len, &z2.blocks[block], &check, &checklen, &used, d);
	if (!rc && (checklen != plen || used != enclen || memcmp(check, plain, plen) != 0))
		rc = diag_set(d, -EIO, "the rebuilt block does not decode to the intended data");
	if (rc && rc != -ENOMEM)
		diag_prefix(d, rc,
			    "verification after re-packing block %zu failed (a bug in chainboot; "
			    "nothing was written)",
			    block + 1);
out:
	free(enc);
	free(check);
	return rc;
}

static int rebrand_packed(struct slice *s, const uint8_t *cls, size_t n, struct rebrand_bin *bi,
			  struct diag *d)
{
	struct ipxebin_loc loc, loc2 = { 0 };
	struct zbin z;
	uint8_t *plain = NULL;
	size_t plen = 0;
	char got[IPXEBIN_CLASS_MAX], want[IPXEBIN_CLASS_MAX];
	int rc;

	rc = zbin_parse(s->buf, s->len, &z, d);
	if (rc)
		return rc;
	rc = ipxebin_locate(s->buf, s->len, &loc, &plain, &plen, d);
	if (rc)
		goto out;
	if (loc.block < 0 || (size_t)loc.block >= z.nblocks || !plain) {
		rc = diag_set(d, -ENOENT, "no packed block holds the DHCP request template");
		goto out;
	}
	rc = rebrand_check_stock(plain, plen, &loc, d);
	if (rc)
		goto out;
	rebrand_patch(plain, &loc, cls, n);
	rc = rebrand_repack_block(s->buf, s->len, &z, (size_t)loc.block, plain, plen, bi, d);
	if (rc)
		goto out;
	/* Independent of our offsets: the rest of the file is as it was, and the
	 * template walk over the block (which rebrand_repack_block decoded again and
	 * found equal to plain) finds the new class. */
	rc = rebrand_same_except(s, z.blocks[loc.block].offset, z.blocks[loc.block].end, 0, 0, d);
	if (!rc)
		rc = ipxebin_find_template(plain, plen, &loc2, d);
	if (!rc) {
		ipxebin_format_class(cls, n, want, sizeof(want));
		ipxebin_format_class(plain + loc2.cls_off, loc2.cls_len, got, sizeof(got));
		if (strcmp(got, want) != 0)
			rc = diag_set(
				d, -EIO,
				"verification failed: the result reads as user-class "
				"\"%s\", not \"%s\" (a bug in chainboot; nothing was written)",
				got, want);
	}
out:
	free(plain);
	return rc;
}

/* A PCI option ROM's bytes must sum to 0 (mod 256) or the BIOS skips it; iPXE keeps
 * the byte that makes it so at offset 6 (romprefix.S "checksum"). Fixed only when the
 * original summed to 0, i.e. when it is that kind of ROM. */
static void rom_fix_checksum(struct slice *s)
{
	uint8_t before = 0, after = 0;
	size_t i;

	for (i = 0; i < s->len; i++) {
		before = (uint8_t)(before + s->orig[i]);
		after = (uint8_t)(after + s->buf[i]);
	}
	if (before == 0 && s->len > 6)
		s->buf[6] = (uint8_t)(s->buf[6] - after);
}

/* One binary, in place in s->buf. Fills the info slot (may be NULL). */
static int rebrand_one(struct slice *s, enum ipxebin_kind kind, const uint8_t *cls, size_t n,
		       struct rebrand_info *info, struct diag *d)
{
	char want[IPXEBIN_CLASS_MAX], got[IPXEBIN_CLASS_MAX];
	struct rebrand_bin bi = { .kind = kind };
	int rc;

	switch (kind) {
	case IPXEBIN_EFI_X86_64:
	case IPXEBIN_EFI_ARM64:
	case IPXEBIN_EFI_OTHER:
		rc = rebrand_efi(s, cls, n, d);
		break;
	case IPXEBIN_BIOS_LKRN:
	case IPXEBIN_BIOS_ROM:
	case IPXEBIN_BIOS_PACKED:
		rc = rebrand_packed(s, cls, n, &bi, d);
		if (!rc && kind == IPXEBIN_BIOS_ROM)
			rom_fix_checksum(s);
		break;
	default:
		rc = diag_set(d, -ENOENT, "not an iPXE binary");
		break;
	}
	/* EFI: an independent check, the class as inspect reads it (a packed image
	 * had its decoded block checked the same way in rebrand_packed). */
	if (!rc && !bi.preset) {
		ipxebin_format_class(cls, n, want, sizeof(want));
		rc = ipxebin_user_class(s->buf, s->len, got, sizeof(got), d);
		if (!rc && strcmp(want, got) != 0)
			rc = diag_set(
				d, -EIO,
				"verification failed: the result reads as user-class "
				"\"%s\", not \"%s\" (a bug in chainboot; nothing was written)",
				got, want);
	}
	if (rc)
		return rc;
	if (info && info->nbinaries < REBRAND_MAX_BINARIES) {
		snprintf(bi.path, sizeof(bi.path), "%s", s->path);
		info->bin[info->nbinaries] = bi;
	}
	if (info)
		info->nbinaries++;
	return 0;
}

/* ------------------------------------------------------------------ images */

struct found {
	size_t off, len;
	enum ipxebin_kind kind;
	char path[FSEXTENT_PATH_MAX];
};

struct collect {
	const uint8_t *img;
	struct found bins[REBRAND_MAX_BINARIES];
	size_t n;
	struct diag *d;
};

static int collect_cb(const struct fsextent_file *f, void *vctx)
{
	struct collect *c = vctx;
	enum ipxebin_kind kind;
	size_t i;

	if (!f->contiguous) {
		/* The first piece tells whether it would have mattered. */
		if (ipxebin_kind(c->img + f->off, f->len) != IPXEBIN_UNKNOWN ||
		    (f->len >= 2 && c->img[f->off] == 'M' && c->img[f->off + 1] == 'Z'))
			return diag_set(
				c->d, -ENOTSUP,
				"%s is fragmented inside the image, so it cannot be patched in "
				"place: rebrand the binaries first, then build the image",
				f->path);
		return 0;
	}
	kind = ipxebin_kind(c->img + f->off, f->len);
	if (kind == IPXEBIN_UNKNOWN)
		return 0;
	for (i = 0; i < c->n; i++) {
		if (c->bins[i].off == f->off && c->bins[i].len == f->len)
			return 0; /* one file listed twice (ISO hard links) */
		if (f->off < c->bins[i].off + c->bins[i].len && c->bins[i].off < f->off + f->len)
			return diag_set(c->d, -EBADMSG, "%s overlaps %s inside the image", f->path,
					c->bins[i].path);
	}
	if (c->n >= REBRAND_MAX_BINARIES)
		return diag_set(c->d, -E2BIG, "more than %d iPXE binaries in one image",
				REBRAND_MAX_BINARIES);
	c->bins[c->n] = (struct found){ .off = f->off, .len = f->len, .kind = kind };
	snprintf(c->bins[c->n].path, sizeof(c->bins[c->n].path), "%s", f->path);
	c->n++;
	return 0;
}

static int rebrand_image(const uint8_t *in, uint8_t *out, size_t len, const uint8_t *cls, size_t n,
			 struct rebrand_info *info, struct diag *d, bool *is_image)
{
	struct diag wd = { { 0 } };
	struct collect *c;
	size_t i, end = 0;
	int rc;

	*is_image = false;
	c = calloc(1, sizeof(*c));
	if (!c)
		return diag_set(d, -ENOMEM, "out of memory");
	c->img = in;
	c->d = &wd;
	rc = fsextent_walk(in, len, collect_cb, c, &wd);
	if (rc == -ENOENT && !c->n)
		goto out; /* not an image: the caller explains what the file is */
	*is_image = true;
	if (rc) {
		rc = diag_set(d, rc, "%s", wd.msg);
		goto out;
	}
	if (!c->n) {
		rc = diag_set(d, -ENOENT, "an ISO/FAT/disk image without any iPXE binary in it");
		goto out;
	}
	for (i = 0; i < c->n; i++) {
		struct slice s = { in + c->bins[i].off, out + c->bins[i].off, c->bins[i].len,
				   c->bins[i].path };

		rc = rebrand_one(&s, c->bins[i].kind, cls, n, info, d);
		if (rc) {
			diag_prefix(d, rc, "%s at offset %zu", c->bins[i].path, c->bins[i].off);
			goto out;
		}
		if (info && info->nbinaries <= REBRAND_MAX_BINARIES)
			info->bin[info->nbinaries - 1].offset = c->bins[i].off;
	}
	/* Between the binaries, the image must be as it was. Binaries do not overlap
	 * (collect_cb); compare every gap in offset order. */
	for (;;) {
		size_t next = SIZE_MAX, nlen = 0;

		for (i = 0; i < c->n; i++)
			if (c->bins[i].off >= end && c->bins[i].off < next)
				next = c->bins[i].off, nlen = c->bins[i].len;
		if (next == SIZE_MAX)
			next = len;
		if (memcmp(in + end, out + end, next - end) != 0) {
			rc = diag_set(d, -EIO,
				      "verification failed: image bytes outside the binaries "
				      "changed (a bug in chainboot; nothing was written)");
			goto out;
		}
		if (next == len)
			break;
		end = next + nlen;
	}
	rc = 0;
out:
	free(c);
	return rc;
}

int rebrand_verify(const uint8_t *in, const uint8_t *out, size_t len, const char *cls,
		   struct diag *d)
{
	enum ipxebin_kind kind = ipxebin_kind(in, len);
	struct ipxebin_loc loc;
	struct zbin zi, zo;
	uint8_t *plain = NULL, *got = NULL, *expect = NULL;
	size_t plen = 0, glen = 0, n = strlen(cls);
	const struct zbin_block *b;
	int rc;

	rc = rebrand_check_class(cls, d);
	if (rc)
		return rc;
	if (kind == IPXEBIN_UNKNOWN)
		return diag_set(d, -ENOENT, "not an iPXE binary");
	if (ipxebin_kind(out, len) != kind)
		return diag_set(d, -EBADMSG, "the copy is not the same kind of binary");
	rc = ipxebin_locate(in, len, &loc, &plain, &plen, d);
	if (!rc)
		rc = rebrand_check_stock(plain ? plain : in, plain ? plen : len, &loc, d);
	if (rc)
		goto out;
	if (loc.block < 0) {
		/* EFI: patching is cheap, so compare with a fresh result. */
		rc = rebrand_bytes(in, len, cls, &expect, NULL, d);
		if (!rc && memcmp(expect, out, len) != 0)
			rc = diag_set(d, -EBADMSG, "the copy differs from the rebranded binary");
		goto out;
	}
	if (!plain) { /* ipxebin_locate() decodes the block of every packed image */
		rc = diag_set(d, -EIO,
			      "no decoded block for the DHCP template (a bug in chainboot)");
		goto out;
	}
	rebrand_patch(plain, &loc, (const uint8_t *)cls, n);
	rc = zbin_parse(out, len, &zo, d);
	if (!rc)
		rc = zbin_parse(in, len, &zi, d);
	if (rc)
		goto out;
	b = &zi.blocks[loc.block];
	if (zo.nblocks != zi.nblocks || zo.blocks[loc.block].offset != b->offset ||
	    zo.blocks[loc.block].end != b->end || memcmp(in, out, b->offset) != 0 ||
	    memcmp(in + b->end, out + b->end, len - b->end) != 0) {
		rc = diag_set(d, -EBADMSG,
			      "the copy differs outside the block that holds the class");
		goto out;
	}
	rc = zbin_decode_block(out, len, &zo.blocks[loc.block], &got, &glen, NULL, d);
	if (!rc && (glen != plen || memcmp(got, plain, plen) != 0))
		rc = diag_set(d, -EBADMSG,
			      "the copy's block does not decode to the rebranded data");
out:
	free(plain);
	free(got);
	free(expect);
	return rc;
}

int rebrand_bytes(const uint8_t *in, size_t len, const char *cls, uint8_t **out,
		  struct rebrand_info *info, struct diag *d)
{
	enum ipxebin_kind kind;
	struct ipxebin_loc loc;
	uint8_t *buf, *dec = NULL;
	size_t n, declen;
	bool is_image;
	int rc;

	*out = NULL;
	if (info)
		memset(info, 0, sizeof(*info));
	rc = rebrand_check_class(cls, d);
	if (rc)
		return rc;
	n = strlen(cls);
	if (!len)
		return diag_set(d, -ENOENT, "empty file: not an iPXE binary");
	buf = malloc(len);
	if (!buf)
		return diag_set(d, -ENOMEM, "out of memory for a %zu-byte file", len);
	memcpy(buf, in, len);

	kind = ipxebin_kind(in, len);
	if (info)
		info->kind = kind;
	if (kind != IPXEBIN_UNKNOWN) {
		struct slice s = { in, buf, len, "" };

		rc = rebrand_one(&s, kind, (const uint8_t *)cls, n, info, d);
		goto out;
	}
	rc = rebrand_image(in, buf, len, (const uint8_t *)cls, n, info, d, &is_image);
	if (is_image)
		goto out;
	/* Neither a binary we classify nor an image: ipxebin_locate tells a damaged
	 * packed image (CRC, LZMA, header) from a file that is not iPXE at all. */
	rc = ipxebin_locate(in, len, &loc, &dec, &declen, d);
	free(dec);
	if (rc == 0)
		rc = diag_set(
			d, -ENOENT,
			"holds an iPXE DHCP request template but is neither an EFI PE image "
			"nor a complete packed BIOS image: a format chainboot does not rebrand");
out:
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}
