/* test_zbin: CRC-32 vectors, the call/jump filter, and parsing/decoding Debian's
 * packed iPXE BIOS images, including damaged copies placed before a guard page. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <lzma.h>

#include "test.h"
#include "testdata.h"
#include "zbin.h"

static const char *const packed_names[] = { "ipxe.lkrn", "ipxe.pxe", "undionly.kpxe",
					    "undionly.kkpxe" };

static uint32_t rnd_state = 0x12345678;

static uint32_t rnd(void)
{
	/* xorshift32: reproducible "random" data without libc's rand() quality
	 * concerns or platform differences. */
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static void test_crc32(void)
{
	static const uint8_t check[] = "123456789";
	uint8_t buf[64];
	uint32_t c, c2;

	/* The standard CRC-32 check value is 0xcbf43926 with the final xor; iPXE's
	 * packer stores the value without it. */
	c = zbin_crc32(ZBIN_CRC_SEED, check, 9);
	ok(c == 0x340bc6d9u, "crc32 of \"123456789\" without final xor: 0x%08x", c);
	ok((c ^ 0xffffffffu) == 0xcbf43926u, "crc32 check value 0xcbf43926");
	ok(zbin_crc32(ZBIN_CRC_SEED, check, 0) == 0xffffffffu, "crc32 of nothing is the seed");
	c = zbin_crc32(ZBIN_CRC_SEED, "a", 1);
	ok((c ^ 0xffffffffu) == 0xe8b7be43u, "crc32 of \"a\" (0xe8b7be43 with final xor)");
	c = zbin_crc32(ZBIN_CRC_SEED, check, 4);
	c = zbin_crc32(c, check + 4, 5);
	ok(c == 0x340bc6d9u, "crc32 chains over split buffers");

	/* iPXE's decompressor checks CRC(data || stored crc) == 0. */
	memcpy(buf, check, 9);
	c = zbin_crc32(ZBIN_CRC_SEED, buf, 9);
	buf[9] = (uint8_t)c;
	buf[10] = (uint8_t)(c >> 8);
	buf[11] = (uint8_t)(c >> 16);
	buf[12] = (uint8_t)(c >> 24);
	c2 = zbin_crc32(ZBIN_CRC_SEED, buf, 13);
	ok(c2 == 0, "crc32 over data and its stored crc is 0 (what unlzma.S checks)");
}

static void test_filter(void)
{
	/* Worked example of the transform: call at offset 2 with rel32 = 1 in a
	 * 12-byte block (limit 7) becomes absolute 2 + 1 = 3. */
	uint8_t v[12] = { 0x90, 0x90, 0xe8, 0x01, 0, 0, 0, 0x90, 0x90, 0x90, 0x90, 0x90 };
	uint8_t w[12];
	size_t sizes[] = { 0, 1, 4, 5, 6, 9, 10, 11, 64, 1000, 65536 + 7 };
	size_t i, j;
	int all_ok = 1, changed = 0;

	memcpy(w, v, sizeof(v));
	zbin_filter_apply(w, sizeof(w));
	ok(w[3] == 3 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[2] == 0xe8,
	   "filter makes rel32 +1 at offset 2 absolute 3");
	zbin_filter_undo(w, sizeof(w));
	ok(memcmp(v, w, sizeof(v)) == 0, "filter undo restores the worked example");

	/* jmp near the end whose target falls in [limit-offset, limit): parked as a
	 * negative number, then restored. */
	memset(w, 0x90, sizeof(w));
	w[5] = 0xe9;
	w[6] = 6; /* offset 5, limit 7: 6 >= 7-5 and < 7 -> 6-7 = -1 */
	w[7] = w[8] = w[9] = 0;
	zbin_filter_apply(w, sizeof(w));
	ok(w[6] == 0xff && w[7] == 0xff && w[8] == 0xff && w[9] == 0xff,
	   "filter parks a colliding target at -1");
	zbin_filter_undo(w, sizeof(w));
	ok(w[6] == 6 && w[7] == 0 && w[8] == 0 && w[9] == 0, "filter undo un-parks it");

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (j = 0; j < 20; j++) {
			size_t n = sizes[i], k;
			uint8_t *a = malloc(n + 1), *b = malloc(n + 1);

			for (k = 0; k < n; k++) {
				uint32_t r = rnd();

				/* Plenty of opcodes and small targets, the cases that
				 * get rewritten, plus arbitrary bytes. */
				if ((r & 7) == 0)
					a[k] = (r & 8) ? 0xe8 : 0xe9;
				else if ((r & 7) == 1)
					a[k] = (uint8_t)(r >> 24) % 16;
				else if ((r & 7) == 2)
					a[k] = 0xff;
				else
					a[k] = (uint8_t)(r >> 8);
			}
			if (n)
				memcpy(b, a, n);
			zbin_filter_apply(b, n);
			if (n && memcmp(a, b, n) != 0)
				changed = 1;
			zbin_filter_undo(b, n);
			if (n && memcmp(a, b, n) != 0)
				all_ok = 0;
			free(a);
			free(b);
		}
	}
	ok(all_ok, "filter undo(apply(x)) == x on 220 random buffers of 0..65543 bytes");
	ok(changed, "filter changed some random buffers (it does something)");
}

/* Flip, truncate and otherwise damage a packed image: every result must be an
 * error with a message (or, if the damage misses every checked byte, a success),
 * never a crash or an over-read. */
static void test_damage(const char *name, const uint8_t *img, size_t len, const struct zbin *z)
{
	const struct zbin_block *last = &z->blocks[z->nblocks - 1];
	struct guarded g;
	struct diag d;
	struct zbin z2;
	uint8_t *copy, *out;
	size_t outlen, cut, i;
	int rc, bad = 0;

	copy = malloc(len);
	memcpy(copy, img, len);
	copy[last->data_off + last->data_len / 2] ^= 0x40;
	diag_clear(&d);
	rc = zbin_parse(copy, len, &z2, &d);
	ok(rc == -EBADMSG && strstr(d.msg, "CRC mismatch"),
	   "%s: flipped LZMA byte is a CRC error: %d %s", name, rc, d.msg);

	/* Same damage with the CRC made to match: the LZMA decoder itself must
	 * reject it or produce different bytes, and not crash. */
	{
		uint32_t c = zbin_crc32(ZBIN_CRC_SEED, copy + last->data_off, last->data_len);
		uint8_t *orig = NULL;
		size_t origlen = 0;

		copy[last->data_off + last->data_len] = (uint8_t)c;
		copy[last->data_off + last->data_len + 1] = (uint8_t)(c >> 8);
		copy[last->data_off + last->data_len + 2] = (uint8_t)(c >> 16);
		copy[last->data_off + last->data_len + 3] = (uint8_t)(c >> 24);
		diag_clear(&d);
		rc = zbin_parse(copy, len, &z2, &d);
		ok(rc == 0, "%s: flipped byte with fixed CRC still parses", name);
		diag_clear(&d);
		rc = zbin_decode_block(copy, len, &z2.blocks[z2.nblocks - 1], &out, &outlen, NULL,
				       &d);
		zbin_decode_block(img, len, last, &orig, &origlen, NULL, NULL);
		ok((rc < 0 && d.msg[0]) ||
			   (rc == 0 && (outlen != origlen || memcmp(out, orig, outlen) != 0)),
		   "%s: decoding damaged LZMA data fails or differs: %d %s", name, rc, d.msg);
		free(out);
		free(orig);
	}
	free(copy);

	/* Truncations: at block boundaries, inside blocks, and a sweep near the end
	 * and the start, each in a buffer ending at a guard page. */
	for (cut = 0; cut < len; cut++) {
		int interesting = cut < 1100 || len - cut < 600 || cut % 4099 == 0;

		for (i = 0; i < z->nblocks && !interesting; i++)
			interesting = cut - z->blocks[i].offset < 8 ||
				      z->blocks[i].offset - cut < 8;
		if (!interesting)
			continue;
		if (guard_copy(&g, img, cut) < 0) {
			bad = 1;
			break;
		}
		diag_clear(&d);
		rc = zbin_parse(g.p, cut, &z2, &d);
		/* A .pxe cut right at a block end is a shorter valid chain only if
		 * that block ends the file; for iPXE's layout it does not. */
		if (rc == 0 || !d.msg[0])
			bad = 1;
		guard_free(&g);
	}
	ok(!bad, "%s: every truncation is an error with a message, no over-read", name);

	/* Mangled length fields. */
	bad = 0;
	for (i = 0; i < z->nblocks; i++) {
		static const uint32_t vals[] = { 0, 1, 8, 9, 0x7fffffff, 0xffffffff };
		size_t k;

		for (k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
			if (guard_copy(&g, img, len) < 0) {
				bad = 1;
				break;
			}
			g.p[z->blocks[i].offset] = (uint8_t)vals[k];
			g.p[z->blocks[i].offset + 1] = (uint8_t)(vals[k] >> 8);
			g.p[z->blocks[i].offset + 2] = (uint8_t)(vals[k] >> 16);
			g.p[z->blocks[i].offset + 3] = (uint8_t)(vals[k] >> 24);
			diag_clear(&d);
			rc = zbin_parse(g.p, len, &z2, &d);
			if (rc == 0 || !d.msg[0])
				bad = 1;
			guard_free(&g);
		}
	}
	ok(!bad, "%s: mangled block lengths are errors", name);
}

static void test_packed(const char *dir, const char *name)
{
	struct diag d = { { 0 } };
	uint8_t *img, *out = NULL, *enc = NULL;
	size_t len = 0, outlen, enclen, used, i;
	struct zbin z;
	int rc, dec_ok = 1, same = 1, used_all = 1;

	img = slurp(dir, name, &len);
	if (!img) {
		printf("skip %s:%d %s/%s not readable\n", __FILE__, __LINE__, dir, name);
		return;
	}
	rc = zbin_parse(img, len, &z, &d);
	ok(rc == 0, "%s: parses: %s", name, d.msg);
	if (rc) {
		free(img);
		return;
	}
	ok(z.nblocks == 4, "%s: 4 packed blocks (got %zu)", name, z.nblocks);
	ok(z.blocks[z.nblocks - 1].end == len, "%s: last block ends at EOF", name);
	ok(z.prefix_len == z.blocks[0].offset && z.prefix_len % 16 == 0 && z.prefix_len > 0,
	   "%s: prefix of %zu bytes before the first block", name, z.prefix_len);
	if (strstr(name, ".lkrn"))
		ok(z.prefix == ZBIN_PREFIX_LKRN && z.payload_off == z.blocks[1].offset,
		   "%s: lkrn setup header agrees (payload at %zu)", name, z.payload_off);
	for (i = 0; i < z.nblocks; i++) {
		diag_clear(&d);
		rc = zbin_decode_block(img, len, &z.blocks[i], &out, &outlen, &used, &d);
		if (rc) {
			dec_ok = 0;
			printf("# %s block %zu: %s\n", name, i, d.msg);
			continue;
		}
		if (used != z.blocks[i].data_len)
			used_all = 0;
		/* Re-encoding the decoded bytes with iPXE's own preset must give the
		 * shipped bytes back: proves filter, LZMA options and framing. */
		rc = zbin_encode_block(out, outlen, 6 | LZMA_PRESET_EXTREME, &enc, &enclen, &d);
		if (rc || enclen != z.blocks[i].data_len ||
		    memcmp(enc, img + z.blocks[i].data_off, enclen) != 0)
			same = 0;
		free(enc);
		free(out);
	}
	ok(dec_ok, "%s: all blocks decode", name);
	ok(used_all, "%s: each LZMA stream fills its block exactly", name);
	ok(same, "%s: re-encoding with preset 6|extreme reproduces every block byte for byte",
	   name);
	test_damage(name, img, len, &z);
	free(img);
}

static void test_not_packed(const char *dir)
{
	static uint8_t zeros[4096];
	struct diag d = { { 0 } };
	uint8_t *img;
	size_t len = 0;
	struct zbin z;
	int rc;

	rc = zbin_parse(zeros, sizeof(zeros), &z, &d);
	ok(rc == -ENOENT && d.msg[0], "zeros: not a packed image: %s", d.msg);
	diag_clear(&d);
	rc = zbin_parse(zeros, 100, &z, &d);
	ok(rc == -ENOENT, "100 bytes: too small: %s", d.msg);
	if (!dir)
		return;
	img = slurp(dir, "ipxe-amd64.efi", &len);
	if (!img) {
		printf("skip %s:%d ipxe-amd64.efi not readable\n", __FILE__, __LINE__);
		return;
	}
	diag_clear(&d);
	rc = zbin_parse(img, len, &z, &d);
	ok(rc == -ENOENT, "ipxe-amd64.efi is not a packed BIOS image: %s", d.msg);
	free(img);
}

int main(void)
{
	const char *dir = ipxe_dir();
	size_t i;

	test_crc32();
	test_filter();
	test_not_packed(dir);
	if (!dir) {
		printf("skip %s:%d no iPXE binaries (set CHAINBOOT_IPXE_DIR or run "
		       "scripts/deps.sh)\n",
		       __FILE__, __LINE__);
		return test_done();
	}
	for (i = 0; i < sizeof(packed_names) / sizeof(packed_names[0]); i++)
		test_packed(dir, packed_names[i]);
	return test_done();
}
