/* zbin: find, check and decode the LZMA-packed blocks of iPXE BIOS images, and the
 * filter/CRC/encode helpers a rebrander needs. Every byte of the image is untrusted:
 * lengths are checked in subtraction form and work is capped for hostile inputs. */
#include "zbin.h"

#include <errno.h>
#include <limits.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"

/* An LZMA1 stream is at least 5 bytes (a zero byte and the 32-bit range coder
 * state), and the CRC follows it. */
#define ZBIN_MIN_LEN (5u + 4u)
/* Offsets of the Linux boot protocol fields a .lkrn carries (Documentation/x86/
 * boot.rst): iPXE's lkrnprefix.S has zbin fill setup_sects and syssize. */
#define LKRN_SETUP_SECTS 0x1f1
#define LKRN_SYSSIZE	 0x1f4
#define LKRN_BOOT_FLAG	 0x1fe
#define LKRN_HEADER	 0x202
/* Cap on CRC work while looking for the chain, as a multiple of the file size: a
 * real image needs about one pass; a crafted one could force one per candidate. */
#define ZBIN_CRC_BUDGET_FACTOR 8u

uint32_t zbin_crc32(uint32_t crc, const void *data, size_t len)
{
	static uint32_t table[256];
	static bool have_table;
	const uint8_t *p = data;
	size_t i;

	/* Table built on first use; the race between threads is benign (same values)
	 * but nothing here is threaded anyway. */
	if (!have_table) {
		for (i = 0; i < 256; i++) {
			uint32_t c = (uint32_t)i;
			int k;

			for (k = 0; k < 8; k++)
				c = (c >> 1) ^ ((c & 1) ? 0xedb88320u : 0);
			table[i] = c;
		}
		have_table = true;
	}
	for (i = 0; i < len; i++)
		crc = (crc >> 8) ^ table[(crc ^ p[i]) & 0xff];
	return crc;
}

/* The filter rewrites the rel32 operand after each e8 (call) / e9 (jmp) opcode,
 * scanning opcodes at every offset up to len-5 and skipping the 4 operand bytes
 * after a hit. Targets inside [0, limit) become absolute, which makes repeated
 * calls to one function compress well; the targets that would then collide are
 * moved into the range no real input maps to, so the mapping stays reversible
 * (iPXE src/util/zbin.c bcj_filter, undone by unlzma.S bcj_filter). Blocks longer
 * than INT32_MAX cannot occur (limit must fit the 32-bit operand) and are left. */
void zbin_filter_apply(uint8_t *data, size_t len)
{
	int64_t limit, off;

	if (len < 5 || len > INT32_MAX)
		return;
	limit = (int64_t)len - 5;
	for (off = 0; off <= limit; off++) {
		int64_t t;

		if (data[off] != 0xe8 && data[off] != 0xe9)
			continue;
		t = (int32_t)le32(data + off + 1);
		if (t >= -off && t < limit - off)
			t += off;
		else if (t >= limit - off && t < limit)
			t -= limit;
		put_le32(data + off + 1, (uint32_t)t);
		off += 4;
	}
}

void zbin_filter_undo(uint8_t *data, size_t len)
{
	int64_t limit, off;

	if (len < 5 || len > INT32_MAX)
		return;
	limit = (int64_t)len - 5;
	for (off = 0; off <= limit; off++) {
		int64_t v;

		if (data[off] != 0xe8 && data[off] != 0xe9)
			continue;
		v = (int32_t)le32(data + off + 1);
		if (v >= 0 && v < limit)
			v -= off; /* absolute [0,limit) back to relative */
		else if (v < 0 && v >= -off)
			v += limit; /* parked [-off,0) back to [limit-off,limit) */
		put_le32(data + off + 1, (uint32_t)v);
		off += 4;
	}
}

/* A block header at off that fits in the file; 0 if there is none. */
static int zbin_block_at(const uint8_t *buf, size_t len, size_t off, struct zbin_block *b)
{
	uint32_t l;

	if (off > len || len - off < 4)
		return 0;
	l = le32(buf + off);
	if (l < ZBIN_MIN_LEN || l > len - off - 4)
		return 0;
	b->offset = off;
	b->len = l;
	b->data_off = off + 4;
	b->data_len = l - 4;
	b->crc = le32(buf + b->data_off + b->data_len);
	b->end = off + 4 + l;
	return 1;
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* An option ROM is padded to its 512-byte size field after the last block; the
 * padding is one repeated byte (0xff from iPXE's build). */
static bool zbin_is_padding(const uint8_t *buf, size_t len, size_t from, size_t tail_max)
{
	size_t i;

	if (from > len || len - from > tail_max)
		return false;
	for (i = from; i < len; i++)
		if (buf[i] != buf[from] || (buf[i] != 0xff && buf[i] != 0x00))
			return false;
	return true;
}

/* Follow block lengths from start; a chain counts only if its last block ends
 * exactly at EOF (or, tail_max > 0, in the padding of an option ROM). Between
 * blocks iPXE aligns to 16 bytes; once, the payload may start on a 512-byte
 * boundary instead (_payload_align of .lkrn and .mrom). */
static size_t zbin_chain(const uint8_t *buf, size_t len, size_t start, size_t tail_max,
			 struct zbin_block *blocks)
{
	bool jumped = false;
	size_t n = 0, off = start;

	while (n < ZBIN_MAX_BLOCKS) {
		struct zbin_block *b = &blocks[n], probe;
		size_t next;

		if (!zbin_block_at(buf, len, off, b))
			return 0;
		n++;
		if (b->end == len || (tail_max && zbin_is_padding(buf, len, b->end, tail_max)))
			return n;
		next = align_up(b->end, 16);
		if (zbin_block_at(buf, len, next, &probe)) {
			off = next;
			continue;
		}
		next = align_up(b->end, 512);
		if (jumped || next >= len)
			return 0;
		jumped = true;
		off = next;
	}
	return 0;
}

/* The .lkrn setup header (Linux boot protocol) tells where the payload starts and
 * how long it is; it must agree with the chain we found. */
static int zbin_check_lkrn(const uint8_t *buf, size_t len, struct zbin *z, struct diag *d)
{
	size_t sects, syssize, i;

	sects = buf[LKRN_SETUP_SECTS] ? buf[LKRN_SETUP_SECTS] : 4; /* 0 means 4 */
	z->payload_off = (sects + 1) * 512;
	syssize = (size_t)le32(buf + LKRN_SYSSIZE) * 16;
	for (i = 1; i < z->nblocks; i++)
		if (z->blocks[i].offset == z->payload_off)
			break;
	if (i == z->nblocks)
		return diag_set(d, -EBADMSG,
				"setup header puts the payload at offset %zu (setup_sects %zu) "
				"but no packed block starts there: the image is corrupt",
				z->payload_off, sects);
	if (syssize < len - z->payload_off || syssize - (len - z->payload_off) >= 16)
		return diag_set(d, -EBADMSG,
				"setup header syssize says %zu payload bytes but the file has "
				"%zu: the image is truncated or corrupt",
				syssize, len - z->payload_off);
	return 0;
}

int zbin_parse(const uint8_t *buf, size_t len, struct zbin *z, struct diag *d)
{
	struct zbin_block chain[ZBIN_MAX_BLOCKS];
	size_t start, limit, budget, best_good = 0, best_block = 0;
	size_t bad_off = 0;
	uint32_t bad_stored = 0, bad_calc = 0;
	bool seen_bad = false;

	memset(z, 0, sizeof(*z));
	/* Also guarantees the .lkrn and ROM header fields read below exist. */
	if (len < 1024)
		return diag_set(d, -ENOENT, "%zu bytes is too small for a packed iPXE BIOS image",
				len);
	if (len > SIZE_MAX / ZBIN_CRC_BUDGET_FACTOR)
		return diag_set(d, -E2BIG, "%zu bytes is too large for a packed iPXE BIOS image",
				len);
	budget = len * ZBIN_CRC_BUDGET_FACTOR;
	if (le32(buf + LKRN_HEADER) == 0x53726448u /* "HdrS" */ && buf[LKRN_BOOT_FLAG] == 0x55 &&
	    buf[LKRN_BOOT_FLAG + 1] == 0xaa)
		z->prefix = ZBIN_PREFIX_LKRN;
	/* PCI expansion ROM header: 55 aa, then the size in 512-byte units. */
	else if (buf[0] == 0x55 && buf[1] == 0xaa && (size_t)buf[2] * 512 == len)
		z->prefix = ZBIN_PREFIX_ROM;

	/* The prefix code knows where its first block is only as an immediate in its
	 * own instructions; what the file guarantees is the chain: the first block's
	 * length leads, by 16-byte steps, through every block to EOF, and each CRC
	 * holds. Try each 16-byte boundary of the prefix area in order; a false
	 * start has to survive a 32-bit CRC check to be taken. */
	limit = len < ZBIN_MAX_PREFIX ? len : ZBIN_MAX_PREFIX;
	for (start = 0; start < limit; start += 16) {
		size_t n = zbin_chain(buf, len, start, z->prefix == ZBIN_PREFIX_ROM ? 511 : 0,
				      chain),
		       i;

		if (n != ZBIN_MAX_BLOCKS)
			continue;
		for (i = 0; i < n; i++) {
			uint32_t c;

			if (chain[i].data_len > budget)
				return diag_set(d, -E2BIG,
						"too many candidate block chains: not a packed "
						"iPXE BIOS image");
			budget -= chain[i].data_len;
			c = zbin_crc32(ZBIN_CRC_SEED, buf + chain[i].data_off, chain[i].data_len);
			if (c != chain[i].crc) {
				if (!seen_bad || i > best_good) {
					seen_bad = true;
					best_good = i;
					best_block = i + 1;
					bad_off = chain[i].offset;
					bad_stored = chain[i].crc;
					bad_calc = c;
				}
				break;
			}
		}
		if (i < n)
			continue;
		z->nblocks = n;
		memcpy(z->blocks, chain, n * sizeof(chain[0]));
		z->prefix_len = chain[0].offset;
		if (z->prefix == ZBIN_PREFIX_LKRN)
			return zbin_check_lkrn(buf, len, z, d);
		return 0;
	}
	if (seen_bad && best_good > 0)
		return diag_set(d, -EBADMSG,
				"packed block %zu at offset %zu: CRC mismatch (stored 0x%08x, "
				"computed 0x%08x): the image is corrupt",
				best_block, bad_off, bad_stored, bad_calc);
	return diag_set(d, -ENOENT,
			"no chain of LZMA-packed blocks with valid CRCs ending at end of "
			"file: truncated, corrupt, or not a packed iPXE BIOS image");
}

int zbin_decode_block(const uint8_t *buf, size_t len, const struct zbin_block *b, uint8_t **out,
		      size_t *outlen, size_t *stream_len, struct diag *d)
{
	lzma_options_lzma opt;
	lzma_filter filters[2];
	lzma_stream strm = LZMA_STREAM_INIT;
	uint8_t *obuf = NULL;
	size_t osize;
	lzma_ret ret;
	uint32_t crc;
	int rc;

	*out = NULL;
	*outlen = 0;
	/* The block may come from a caller's own table: check it against buf too. */
	if (b->offset > len || len - b->offset < 4 || b->len < ZBIN_MIN_LEN ||
	    b->len > len - b->offset - 4 || b->data_off != b->offset + 4 ||
	    b->data_len != (size_t)b->len - 4)
		return diag_set(d, -EINVAL, "packed block at offset %zu lies outside the file",
				b->offset);
	crc = zbin_crc32(ZBIN_CRC_SEED, buf + b->data_off, b->data_len);
	if (crc != le32(buf + b->data_off + b->data_len))
		return diag_set(d, -EBADMSG,
				"packed block at offset %zu: CRC mismatch (stored 0x%08x, "
				"computed 0x%08x): the image is corrupt",
				b->offset, le32(buf + b->data_off + b->data_len), crc);

	if (lzma_lzma_preset(&opt, LZMA_PRESET_DEFAULT))
		return diag_set(d, -EIO, "liblzma: cannot set up LZMA options");
	opt.lc = ZBIN_LZMA_LC;
	opt.lp = ZBIN_LZMA_LP;
	opt.pb = ZBIN_LZMA_PB;
	/* Any stream decoding to at most ZBIN_MAX_DECODED bytes fits this window. */
	opt.dict_size = ZBIN_MAX_DECODED;
	filters[0] = (lzma_filter){ .id = LZMA_FILTER_LZMA1, .options = &opt };
	filters[1] = (lzma_filter){ .id = LZMA_VLI_UNKNOWN, .options = NULL };
	ret = lzma_raw_decoder(&strm, filters);
	if (ret != LZMA_OK)
		return diag_set(d, ret == LZMA_MEM_ERROR ? -ENOMEM : -EIO,
				"liblzma: cannot start the LZMA1 decoder (error %d)", (int)ret);

	osize = b->data_len < ZBIN_MAX_DECODED / 4 ? b->data_len * 4 : ZBIN_MAX_DECODED;
	if (osize < 4096)
		osize = 4096;
	obuf = malloc(osize);
	if (!obuf) {
		rc = diag_set(d, -ENOMEM, "out of memory decoding block at offset %zu", b->offset);
		goto err;
	}
	strm.next_in = buf + b->data_off;
	strm.avail_in = b->data_len;
	strm.next_out = obuf;
	strm.avail_out = osize;
	for (;;) {
		ret = lzma_code(&strm, LZMA_FINISH);
		if (ret == LZMA_STREAM_END)
			break;
		if (ret == LZMA_OK && strm.avail_out == 0) {
			size_t used = osize, grow;
			uint8_t *p;

			if (osize >= ZBIN_MAX_DECODED) {
				rc = diag_set(d, -EFBIG,
					      "packed block at offset %zu decodes to more than "
					      "%u bytes: not an iPXE image",
					      b->offset, ZBIN_MAX_DECODED);
				goto err;
			}
			grow = osize > ZBIN_MAX_DECODED - osize ? ZBIN_MAX_DECODED : osize * 2;
			p = realloc(obuf, grow);
			if (!p) {
				rc = diag_set(d, -ENOMEM,
					      "out of memory decoding block at offset %zu",
					      b->offset);
				goto err;
			}
			obuf = p;
			osize = grow;
			strm.next_out = obuf + used;
			strm.avail_out = osize - used;
			continue;
		}
		if (ret == LZMA_OK)
			continue;
		if (ret == LZMA_MEM_ERROR) {
			rc = diag_set(d, -ENOMEM, "out of memory decoding block at offset %zu",
				      b->offset);
			goto err;
		}
		/* LZMA_BUF_ERROR: the data ran out before the end-of-payload marker;
		 * LZMA_DATA_ERROR: invalid stream. Both mean a damaged image. */
		rc = diag_set(d, -EBADMSG,
			      "packed block at offset %zu: LZMA data %s at input byte %llu: "
			      "the image is corrupt",
			      b->offset,
			      ret == LZMA_BUF_ERROR ? "ends before its end marker" : "invalid",
			      (unsigned long long)strm.total_in);
		goto err;
	}
	*outlen = (size_t)strm.total_out;
	if (stream_len)
		*stream_len = (size_t)strm.total_in;
	lzma_end(&strm);
	zbin_filter_undo(obuf, *outlen);
	*out = obuf;
	return 0;

err:
	lzma_end(&strm);
	free(obuf);
	return rc;
}

int zbin_encode_block(const uint8_t *plain, size_t len, uint32_t preset, uint8_t **out,
		      size_t *outlen, struct diag *d)
{
	lzma_options_lzma opt;
	lzma_filter filters[2];
	uint8_t *tmp = NULL, *obuf = NULL;
	size_t osize, opos = 0;
	lzma_ret ret;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (len > ZBIN_MAX_DECODED)
		return diag_set(d, -EFBIG, "block of %zu bytes is larger than %u", len,
				ZBIN_MAX_DECODED);
	if (lzma_lzma_preset(&opt, preset))
		return diag_set(d, -EINVAL, "liblzma: unsupported preset %u", preset);
	opt.lc = ZBIN_LZMA_LC;
	opt.lp = ZBIN_LZMA_LP;
	opt.pb = ZBIN_LZMA_PB;
	filters[0] = (lzma_filter){ .id = LZMA_FILTER_LZMA1, .options = &opt };
	filters[1] = (lzma_filter){ .id = LZMA_VLI_UNKNOWN, .options = NULL };

	tmp = malloc(len ? len : 1);
	/* LZMA expands incompressible data only slightly; this is ample. */
	osize = len + len / 8 + 65536;
	obuf = malloc(osize);
	if (!tmp || !obuf) {
		rc = diag_set(d, -ENOMEM, "out of memory encoding a %zu-byte block", len);
		goto err;
	}
	if (len)
		memcpy(tmp, plain, len);
	zbin_filter_apply(tmp, len);
	ret = lzma_raw_buffer_encode(filters, NULL, tmp, len, obuf, &opos, osize);
	if (ret != LZMA_OK) {
		rc = diag_set(d, ret == LZMA_MEM_ERROR ? -ENOMEM : -EIO,
			      "liblzma: LZMA1 encoding failed (error %d)", (int)ret);
		goto err;
	}
	free(tmp);
	*out = obuf;
	*outlen = opos;
	return 0;

err:
	free(tmp);
	free(obuf);
	return rc;
}
