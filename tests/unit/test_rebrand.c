/* test_rebrand: SHA-256 vectors, class checks, packed-block re-pack round trips, and
 * rebranding Debian's iPXE binaries (and ipxe.iso) to several classes, with damaged,
 * signed, duplicated and already-rebranded inputs; fsextent on ISO/FAT images. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "fsextent.h"
#include "ipxebin.h"
#include "rebrand.h"
#include "sha256.h"
#include "test.h"
#include "testdata.h"
#include "zbin.h"

static const struct {
	const char *name;
	int packed;
} binaries[] = {
	{ "ipxe.lkrn", 1 },	 { "ipxe.pxe", 1 },	    { "undionly.kpxe", 1 },
	{ "undionly.kkpxe", 1 }, { "ipxe-amd64.efi", 0 },   { "ipxe-arm64.efi", 0 },
	{ "snponly.efi", 0 },	 { "ipxe-riscv64.efi", 0 }, { "ipxe-loong64.efi", 0 },
};

static void test_sha256(void)
{
	static const struct {
		const char *in;
		const char *hex;
	} v[] = {
		/* FIPS 180-4 examples (NIST CSRC "SHA256.pdf") and the empty string. */
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	char hex[SHA256_HEX_LEN];
	struct sha256 s;
	uint8_t dig[SHA256_LEN], *a;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sha256_hex(v[i].in, strlen(v[i].in), hex);
		ok(!strcmp(hex, v[i].hex), "sha256(\"%.10s...\") = %s", v[i].in, hex);
	}
	/* One million 'a', fed in odd-sized pieces across block boundaries. */
	a = malloc(1000000);
	memset(a, 'a', 1000000);
	sha256_init(&s);
	for (i = 0; i < 1000000;) {
		size_t n = 1 + (i * 7) % 131;

		if (n > 1000000 - i)
			n = 1000000 - i;
		sha256_update(&s, a + i, n);
		i += n;
	}
	sha256_final(&s, dig);
	for (i = 0; i < SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", dig[i]);
	ok(!strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
	   "sha256 of a million 'a' in pieces: %s", hex);
	free(a);
}

static void test_classes(void)
{
	struct diag d;
	int rc;

	diag_clear(&d);
	ok(rebrand_check_class("CSTM", &d) == 0, "class CSTM is fine");
	ok(rebrand_check_class("A&B=", NULL) == 0, "class A&B= is fine");
	ok(rebrand_check_class("C", NULL) == 0, "class of 1 byte is fine");
	diag_clear(&d);
	rc = rebrand_check_class("", &d);
	ok(rc == -EINVAL && strstr(d.msg, "empty"), "empty class refused: %s", d.msg);
	diag_clear(&d);
	rc = rebrand_check_class("CSTMX", &d);
	ok(rc == -ENOSPC && strstr(d.msg, "set user-class") && strstr(d.msg, "build-ipxe"),
	   "5-byte class refused, naming set user-class and build-ipxe: %s", d.msg);
	diag_clear(&d);
	rc = rebrand_check_class("A B", &d);
	ok(rc == -EINVAL && strstr(d.msg, "space"), "class with a space refused: %s", d.msg);
	diag_clear(&d);
	rc = rebrand_check_class("\x01"
				 "AB",
				 &d);
	ok(rc == -EINVAL, "class with a control byte refused: %s", d.msg);
	diag_clear(&d);
	rc = rebrand_check_class("iPXE", &d);
	ok(rc == -EINVAL && strstr(d.msg, "vendor"), "class iPXE refused: %s", d.msg);
}

/* Re-pack the template block of a packed image with its own decoded bytes: the file
 * keeps its size, still parses, and decodes to the same bytes (round trip). */
static void test_repack(const char *name, const uint8_t *img, size_t len)
{
	struct diag d = { { 0 } };
	struct rebrand_bin bi = { 0 };
	struct zbin z, z2;
	uint8_t *copy = malloc(len), *plain = NULL, *again = NULL;
	size_t plen = 0, alen = 0, last, i;
	int rc, same_rest = 1;

	memcpy(copy, img, len);
	rc = zbin_parse(copy, len, &z, &d);
	last = z.nblocks - 1;
	if (!rc)
		rc = zbin_decode_block(copy, len, &z.blocks[last], &plain, &plen, NULL, &d);
	ok(rc == 0, "%s: parse and decode the last block: %s", name, d.msg);
	if (rc)
		goto out;
	rc = rebrand_repack_block(copy, len, &z, last, plain, plen, &bi, &d);
	ok(rc == 0 && bi.stream <= bi.room && bi.room == z.blocks[last].data_len,
	   "%s: unpatched data re-packed (preset %u, %zu of %zu bytes): %s", name, bi.preset,
	   bi.stream, bi.room, d.msg);
	diag_clear(&d);
	rc = zbin_parse(copy, len, &z2, &d);
	if (!rc)
		rc = zbin_decode_block(copy, len, &z2.blocks[last], &again, &alen, NULL, &d);
	ok(rc == 0 && alen == plen && !memcmp(again, plain, plen),
	   "%s: re-packed block decodes to the same %zu bytes: %s", name, plen, d.msg);
	for (i = 0; i < z.blocks[last].offset; i++)
		if (copy[i] != img[i])
			same_rest = 0;
	ok(same_rest && z2.blocks[last].len == z.blocks[last].len,
	   "%s: bytes before the block and the block length unchanged", name);
	/* Asking for an impossible fit: a block of random bytes does not compress. */
	{
		uint8_t *junk = malloc(plen);
		uint32_t x = 0x9e3779b9;

		for (i = 0; i < plen; i++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			junk[i] = (uint8_t)x;
		}
		diag_clear(&d);
		memcpy(copy, img, len);
		rc = rebrand_repack_block(copy, len, &z, last, junk, plen, NULL, &d);
		ok(rc == -ENOSPC && strstr(d.msg, "build-ipxe"),
		   "%s: data that cannot fit is refused: %s", name, d.msg);
		free(junk);
	}
	diag_clear(&d);
	ok(rebrand_repack_block(copy, len, &z, 7, plain, plen, NULL, &d) == -EINVAL,
	   "%s: block index out of range refused", name);
out:
	free(copy);
	free(plain);
	free(again);
}

/* Rebrand one binary to cls and check everything a user relies on. */
static void test_rebrand_one(const char *name, int packed, const uint8_t *img, size_t len,
			     const char *cls)
{
	struct rebrand_info info;
	struct diag d = { { 0 } };
	char got[IPXEBIN_CLASS_MAX];
	uint8_t *copy = malloc(len), *out = NULL, *out2 = NULL;
	size_t i, ndiff = 0;
	int rc;

	memcpy(copy, img, len);
	rc = rebrand_bytes(copy, len, cls, &out, &info, &d);
	ok(rc == 0 && out, "%s -> %s: rebranded: %s", name, cls, d.msg);
	if (rc)
		goto out;
	ok(!memcmp(copy, img, len), "%s -> %s: input unchanged", name, cls);
	diag_clear(&d);
	rc = ipxebin_user_class(out, len, got, sizeof(got), &d);
	ok(rc == 0 && !strcmp(got, cls), "%s -> %s: reads back as \"%s\" %s", name, cls, got,
	   d.msg);
	ok(info.nbinaries == 1 && (packed ? info.bin[0].preset != 0 : info.bin[0].preset == 0),
	   "%s -> %s: info: %u binary, preset %u", name, cls, info.nbinaries, info.bin[0].preset);
	for (i = 0; i < len; i++)
		ndiff += out[i] != img[i];
	if (!packed)
		ok(ndiff >= 1 && ndiff <= 6, "%s -> %s: EFI patched in place (%zu bytes differ)",
		   name, cls, ndiff);
	/* Idempotent error: rebranding the result names its class. */
	diag_clear(&d);
	rc = rebrand_bytes(out, len, "ABCD", &out2, NULL, &d);
	ok(rc == -EALREADY && strstr(d.msg, cls) && !out2,
	   "%s -> %s: again refused as already rebranded: %s", name, cls, d.msg);
	diag_clear(&d);
	rc = rebrand_bytes(out, len, cls, &out2, NULL, &d);
	ok(rc == -EALREADY && !out2, "%s -> %s: the same class again is refused too", name, cls);
out:
	free(out);
	free(out2);
	free(copy);
}

/* Damaged copies: every one an error with a message or (for bytes no check covers) a
 * verified result; never a crash or over-read (guard page after each copy). */
static void test_damage(const char *name, const uint8_t *img, size_t len, int packed)
{
	static const size_t cuts[] = { 0, 1, 63, 64, 512, 1023, 1024, 4096, 65536 };
	struct guarded g;
	struct diag d;
	uint8_t *out;
	size_t i;
	int bad = 0, rc;

	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]) + 2; i++) {
		size_t n = i < sizeof(cuts) / sizeof(cuts[0]) ? cuts[i] : len - (i == 9 ? 1 : 4096);

		if (n > len || guard_copy(&g, img, n) < 0)
			continue;
		diag_clear(&d);
		out = NULL;
		rc = rebrand_bytes(g.p, n, "CSTM", &out, NULL, &d);
		/* An EFI file cut after its template may still be rebranded: that is
		 * a correct result for those bytes. */
		if ((rc == 0 && packed) || (rc && !d.msg[0]))
			bad = 1;
		free(out);
		guard_free(&g);
	}
	ok(!bad, "%s: truncated copies are refused with a message", name);

	/* Flip bytes spread over the file. */
	bad = 0;
	for (i = 0; i < 24; i++) {
		size_t at = (len / 24) * i + 17;

		if (guard_copy(&g, img, len) < 0)
			continue;
		g.p[at] ^= 0x5a;
		diag_clear(&d);
		out = NULL;
		rc = rebrand_bytes(g.p, len, "CB", &out, NULL, &d);
		if (rc && !d.msg[0])
			bad = 1;
		if (rc == 0) {
			char got[IPXEBIN_CLASS_MAX];

			if (ipxebin_user_class(out, len, got, sizeof(got), NULL) ||
			    strcmp(got, "CB"))
				bad = 1;
		}
		free(out);
		guard_free(&g);
	}
	ok(!bad, "%s: flipped bytes give an error with a message or a verified result", name);
}

static void test_efi_special(const uint8_t *img, size_t len)
{
	struct diag d = { { 0 } };
	uint8_t *copy = malloc(len), *out = NULL;
	size_t pe = le32(img + 0x3c), opt = pe + 24, off;
	uint8_t *hit;
	uint64_t sum = 0;
	size_t i;
	int rc;

	/* Signed: a certificate table entry (data directory 4) in the PE32+ header. */
	memcpy(copy, img, len);
	copy[opt + 112 + 4 * 8 + 4] = 0x10;
	rc = rebrand_bytes(copy, len, "CSTM", &out, NULL, &d);
	ok(rc == -EPERM && strstr(d.msg, "signed"), "signed EFI refused: %s", d.msg);
	free(out);
	out = NULL;

	/* Two copies of the option bytes: an unknown build. */
	memcpy(copy, img, len);
	memcpy(copy + 0x200, "\x4d\x04iPXE", 6);
	diag_clear(&d);
	rc = rebrand_bytes(copy, len, "CSTM", &out, NULL, &d);
	ok(rc == -EEXIST && strstr(d.msg, "2 times"), "duplicated option bytes refused: %s", d.msg);
	free(out);
	out = NULL;

	/* A non-zero PE checksum is recomputed (our own independent sum here). */
	memcpy(copy, img, len);
	copy[opt + 64] = 1;
	diag_clear(&d);
	rc = rebrand_bytes(copy, len, "CSTM", &out, NULL, &d);
	ok(rc == 0, "EFI with a PE checksum rebrands: %s", d.msg);
	if (!rc) {
		for (i = 0; i + 1 < len; i += 2)
			if (i != opt + 64 && i != opt + 66)
				sum = ((sum + (uint32_t)(out[i] | out[i + 1] << 8)) & 0xffff) +
				      ((sum + (uint32_t)(out[i] | out[i + 1] << 8)) >> 16);
		sum = (sum & 0xffff) + (sum >> 16) + len;
		ok(le32(out + opt + 64) == (uint32_t)sum, "PE checksum fixed: 0x%08x (want 0x%08x)",
		   le32(out + opt + 64), (uint32_t)sum);
	}
	free(out);
	out = NULL;

	/* Shorter class: new length, pad options after it. */
	diag_clear(&d);
	rc = rebrand_bytes(img, len, "CB", &out, NULL, &d);
	hit = out ? memmem(out, len,
			   "\x4d\x02"
			   "CB",
			   4)
		  : NULL;
	off = hit ? (size_t)(hit - out) : 0;
	ok(rc == 0 && hit && out[off + 4] == 0 && out[off + 5] == 0,
	   "class CB: option 77 length 2, then two pad options");
	free(out);
	free(copy);
}

struct iso_ctx {
	int krn, efi, fragments;
	size_t krn_off;
};

static int iso_cb(const struct fsextent_file *f, void *vctx)
{
	struct iso_ctx *c = vctx;

	if (!f->contiguous)
		c->fragments++;
	if (strstr(f->path, "IPXE.KRN")) {
		c->krn++;
		c->krn_off = f->off;
	}
	if (strstr(f->path, "EFI.IMG:/") && strcasestr(f->path, ".efi"))
		c->efi++;
	return 0;
}

static int count_cb(const struct fsextent_file *f, void *vctx)
{
	(void)f;
	(*(unsigned *)vctx)++;
	return 0;
}

static void test_iso(const char *dir)
{
	struct rebrand_info info;
	struct iso_ctx c = { 0 };
	struct diag d = { { 0 } };
	struct guarded g;
	uint8_t *iso, *lkrn, *out = NULL, *again = NULL;
	size_t len = 0, llen = 0, i;
	unsigned n;
	int rc, bad = 0;

	iso = slurp(dir, "ipxe.iso", &len);
	lkrn = slurp(dir, "ipxe.lkrn", &llen);
	if (!iso || !lkrn) {
		printf("skip %s:%d ipxe.iso or ipxe.lkrn not readable\n", __FILE__, __LINE__);
		free(iso);
		free(lkrn);
		return;
	}
	rc = fsextent_walk(iso, len, iso_cb, &c, &d);
	ok(rc == 0 && c.krn == 1 && c.efi == 4 && !c.fragments,
	   "ipxe.iso: walk finds IPXE.KRN and 4 EFI files in EFI.IMG, all contiguous (%d, %d): %s",
	   c.krn, c.efi, d.msg);
	ok(c.krn_off && c.krn_off <= len - llen && !memcmp(iso + c.krn_off, lkrn, llen),
	   "ipxe.iso: IPXE.KRN extent holds ipxe.lkrn byte for byte");

	diag_clear(&d);
	rc = rebrand_bytes(iso, len, "CSTM", &out, &info, &d);
	ok(rc == 0 && info.nbinaries == 5 && info.kind == IPXEBIN_UNKNOWN,
	   "ipxe.iso: 5 binaries rebranded: %u %s", info.nbinaries, d.msg);
	if (!rc) {
		char got[IPXEBIN_CLASS_MAX];

		rc = ipxebin_user_class(out + c.krn_off, llen, got, sizeof(got), NULL);
		ok(rc == 0 && !strcmp(got, "CSTM"), "ipxe.iso: the kernel inside reads CSTM");
		diag_clear(&d);
		ok(rebrand_bytes(out, len, "CB", &again, NULL, &d) == -EALREADY && !again,
		   "ipxe.iso rebranded twice: refused: %s", d.msg);
	}
	free(out);
	free(lkrn);

	/* Truncated ISOs (end at a guard page): errors or fewer files, no over-read. */
	for (i = 0; i < 40; i++) {
		size_t cut = i < 20 ? 32768 + i * 997 : len / 40 * (i - 20) + 1;
		unsigned cnt = 0;

		if (guard_copy(&g, iso, cut) < 0)
			continue;
		diag_clear(&d);
		rc = fsextent_walk(g.p, cut, count_cb, &cnt, &d);
		if (rc && !d.msg[0])
			bad = 1;
		guard_free(&g);
	}
	ok(!bad, "ipxe.iso truncated 40 ways: walk errors carry a message, no over-read");

	/* A directory record pointing at itself is cut off by the depth cap. */
	{
		uint8_t *loop = malloc(len);
		size_t root;

		memcpy(loop, iso, len);
		root = (size_t)le32(loop + 32768 + 156 + 2) * 2048;
		/* first real entry after "." and ".." becomes a directory = root */
		{
			size_t p = root + loop[root];

			p += loop[p];
			memcpy(loop + p + 2, loop + 32768 + 156 + 2, 8);
			memcpy(loop + p + 10, loop + 32768 + 156 + 10, 8);
			loop[p + 25] |= 2;
		}
		n = 0;
		diag_clear(&d);
		rc = fsextent_walk(loop, len, count_cb, &n, &d);
		ok(rc == -E2BIG && d.msg[0], "ISO directory loop stopped by the caps: %s", d.msg);
		free(loop);
	}
	free(iso);
}

/* A packed PCI option ROM (QEMU's NIC ROMs are iPXE; Debian's ipxe-qemu): the BIOS
 * only runs it when its bytes sum to 0, so the checksum byte must follow the patch. */
static void test_rom(void)
{
	static const char *const roms[] = { "/usr/lib/ipxe/qemu/pxe-virtio.rom",
					    "/usr/lib/ipxe/qemu/pxe-e1000.rom" };
	char got[IPXEBIN_CLASS_MAX];
	struct diag d = { { 0 } };
	uint8_t *rom = NULL, *out = NULL, sum = 0;
	size_t len = 0, i, r;

	for (r = 0; r < sizeof(roms) / sizeof(roms[0]) && !rom; r++)
		rom = slurp("/", roms[r], &len);
	if (!rom) {
		printf("skip %s:%d no packed iPXE option ROM (Debian ipxe-qemu) to rebrand\n",
		       __FILE__, __LINE__);
		return;
	}
	ok(ipxebin_kind(rom, len) == IPXEBIN_BIOS_ROM, "%s is a packed option ROM", roms[r - 1]);
	ok(rebrand_bytes(rom, len, "CSTM", &out, NULL, &d) == 0, "option ROM rebranded: %s", d.msg);
	if (out) {
		for (i = 0; i < len; i++)
			sum = (uint8_t)(sum + out[i]);
		ok(sum == 0, "option ROM still sums to 0 (checksum byte fixed)");
		ok(ipxebin_user_class(out, len, got, sizeof(got), NULL) == 0 &&
			   !strcmp(got, "CSTM"),
		   "option ROM reads CSTM");
	}
	free(out);
	free(rom);
}

int main(void)
{
	const char *dir = ipxe_dir();
	size_t i;

	test_sha256();
	test_classes();
	if (!dir) {
		printf("skip %s:%d no iPXE binaries (set CHAINBOOT_IPXE_DIR or run "
		       "scripts/deps.sh)\n",
		       __FILE__, __LINE__);
		return test_done();
	}
	for (i = 0; i < sizeof(binaries) / sizeof(binaries[0]); i++) {
		size_t len = 0;
		uint8_t *img = slurp(dir, binaries[i].name, &len);

		if (!img) {
			printf("skip %s:%d %s/%s not readable\n", __FILE__, __LINE__, dir,
			       binaries[i].name);
			continue;
		}
		if (binaries[i].packed)
			test_repack(binaries[i].name, img, len);
		test_rebrand_one(binaries[i].name, binaries[i].packed, img, len, "CSTM");
		if (i == 0 || i == 2 || i == 4) {
			test_rebrand_one(binaries[i].name, binaries[i].packed, img, len, "CB");
			test_rebrand_one(binaries[i].name, binaries[i].packed, img, len, "A&B=");
			test_damage(binaries[i].name, img, len, binaries[i].packed);
		}
		if (i == 4)
			test_efi_special(img, len);
		free(img);
	}
	test_iso(dir);
	test_rom();
	return test_done();
}
