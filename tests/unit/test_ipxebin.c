/* test_ipxebin: binary kinds and the user-class in Debian's iPXE binaries, in
 * hand-made DHCP templates (rebranded, odd, hostile), and after an in-place rebrand
 * done with the zbin/ipxebin API the rebrander will use. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ipxebin.h"
#include "test.h"
#include "testdata.h"
#include "zbin.h"

static const struct {
	const char *name;
	enum ipxebin_kind kind;
} binaries[] = {
	{ "ipxe.lkrn", IPXEBIN_BIOS_LKRN },	   { "ipxe.pxe", IPXEBIN_BIOS_PACKED },
	{ "undionly.kpxe", IPXEBIN_BIOS_PACKED },  { "undionly.kkpxe", IPXEBIN_BIOS_PACKED },
	{ "ipxe-amd64.efi", IPXEBIN_EFI_X86_64 },  { "ipxe-arm64.efi", IPXEBIN_EFI_ARM64 },
	{ "snponly.efi", IPXEBIN_EFI_X86_64 },	   { "ipxe-riscv64.efi", IPXEBIN_EFI_OTHER },
	{ "ipxe-loong64.efi", IPXEBIN_EFI_OTHER },
};

/* iPXE's request template (src/net/udp/dhcp.c) as a stock x86_64 EFI build has
 * it, with the user-class replaced by cls (cls_len bytes, then pad zeros). */
static size_t make_template(uint8_t *out, const uint8_t *cls, size_t cls_len, size_t pad,
			    int with_class)
{
	static const uint8_t head[] = { 0x35, 0x01, 0x00, 0x39, 0x02, 0x05, 0xc0, 0x5d, 0x02,
					0x00, 0x07, 0x5e, 0x03, 0x01, 0x03, 0x0a, 0x3c, 0x20 };
	static const char vendor[] = "PXEClient:Arch:00007:UNDI:003010";
	static const uint8_t tail[] = { 0x37, 0x18, 0x01, 0x03, 0x06, 0x07, 0x0c, 0x0f, 0x11,
					0x1a, 0x2a, 0x2b, 0x3c, 0x42, 0x43, 0x77, 0x80, 0x81,
					0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0xaf, 0xcb, 0xff };
	size_t n = 0;

	memcpy(out + n, head, sizeof(head));
	n += sizeof(head);
	memcpy(out + n, vendor, 32);
	n += 32;
	if (with_class) {
		out[n++] = 77;
		out[n++] = (uint8_t)cls_len;
		memcpy(out + n, cls, cls_len);
		n += cls_len;
	}
	memset(out + n, 0, pad);
	n += pad;
	memcpy(out + n, tail, sizeof(tail));
	n += sizeof(tail);
	return n;
}

/* A buffer of filler with templates at the given offsets. */
static void fill(uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + 0x11);
}

static void test_templates(void)
{
	uint8_t buf[4096], t[512];
	struct ipxebin_loc loc;
	struct diag d = { { 0 } };
	char out[IPXEBIN_CLASS_MAX];
	struct guarded g;
	size_t n, cut;
	int rc, bad = 0;

	fill(buf, sizeof(buf));
	n = make_template(t, (const uint8_t *)"CSTM", 4, 0, 1);
	memcpy(buf + 1000, t, n);
	memset(&loc, 0, sizeof(loc));
	rc = ipxebin_find_template(buf, sizeof(buf), &loc, &d);
	ok(rc == 0 && loc.tmpl_off == 1000 && loc.tmpl_len == n && loc.cls_len == 4 &&
		   memcmp(buf + loc.cls_off, "CSTM", 4) == 0 && buf[loc.opt_off] == 77,
	   "rebranded CSTM template found at 1000: %d %s", rc, d.msg);

	/* A shorter class, the freed bytes turned into pad options. */
	fill(buf, sizeof(buf));
	n = make_template(t, (const uint8_t *)"ABC", 3, 1, 1);
	memcpy(buf + 17, t, n);
	diag_clear(&d);
	rc = ipxebin_find_template(buf, sizeof(buf), &loc, &d);
	ok(rc == 0 && loc.cls_len == 3 && memcmp(buf + loc.cls_off, "ABC", 3) == 0,
	   "3-byte class with a pad option found: %d %s", rc, d.msg);

	/* A longer class (a custom build) and bytes that need escaping. */
	fill(buf, sizeof(buf));
	n = make_template(t, (const uint8_t *)"lab\\net\x01zz", 10, 0, 1);
	memcpy(buf + 3000, t, n);
	diag_clear(&d);
	rc = ipxebin_find_template(buf, sizeof(buf), &loc, &d);
	ok(rc == 0 && loc.cls_len == 10, "10-byte class found: %d %s", rc, d.msg);
	rc = ipxebin_format_class(buf + loc.cls_off, loc.cls_len, out, sizeof(out));
	ok(rc == 0 && strcmp(out, "lab\\\\net\\x01zz") == 0, "class escaped: %s", out);
	ok(ipxebin_format_class(buf + loc.cls_off, loc.cls_len, out, 8) == -ENOSPC,
	   "format into a too small buffer is -ENOSPC");
	ok(ipxebin_format_class((const uint8_t *)"iPXE", 4, out, 5) == 0 &&
		   strcmp(out, "iPXE") == 0,
	   "format fits exactly");

	/* Template without option 77. */
	fill(buf, sizeof(buf));
	n = make_template(t, NULL, 0, 0, 0);
	memcpy(buf + 500, t, n);
	diag_clear(&d);
	rc = ipxebin_find_template(buf, sizeof(buf), &loc, &d);
	ok(rc == -ENOENT && strstr(d.msg, "no user-class"), "template without 77: %s", d.msg);

	/* Two templates: ambiguous. */
	fill(buf, sizeof(buf));
	n = make_template(t, (const uint8_t *)"iPXE", 4, 0, 1);
	memcpy(buf + 100, t, n);
	memcpy(buf + 2000, t, n);
	diag_clear(&d);
	rc = ipxebin_find_template(buf, sizeof(buf), &loc, &d);
	ok(rc == -EEXIST && strstr(d.msg, "100") && strstr(d.msg, "2000"), "two templates: %s",
	   d.msg);

	/* Bytes before the template that also parse as options running into it
	 * (Debian's 2019 pxe-e1000.rom has such): one template, the real start. */
	fill(buf, sizeof(buf));
	n = make_template(t, (const uint8_t *)"iPXE", 4, 0, 1);
	buf[697] = 0x35;
	buf[698] = 0x01;
	buf[699] = 0x07;
	memcpy(buf + 700, t, n);
	diag_clear(&d);
	rc = ipxebin_find_template(buf, sizeof(buf), &loc, &d);
	ok(rc == 0 && loc.tmpl_off == 700, "lead-in options merge into one template at %zu: %s",
	   loc.tmpl_off, d.msg);

	/* Vendor class not PXEClient: not the template. */
	fill(buf, sizeof(buf));
	n = make_template(t, (const uint8_t *)"iPXE", 4, 0, 1);
	t[18] = 'X';
	memcpy(buf + 100, t, n);
	diag_clear(&d);
	rc = ipxebin_find_template(buf, sizeof(buf), &loc, &d);
	ok(rc == -ENOENT, "no PXEClient vendor class, no template: %s", d.msg);

	/* No template at all. */
	fill(buf, sizeof(buf));
	diag_clear(&d);
	rc = ipxebin_find_template(buf, sizeof(buf), &loc, &d);
	ok(rc == -ENOENT && strstr(d.msg, "not an iPXE binary"), "filler: %s", d.msg);

	/* Every truncation of a buffer ending in a template, before a guard page. */
	n = make_template(t, (const uint8_t *)"iPXE", 4, 0, 1);
	for (cut = 0; cut <= n; cut++) {
		if (guard_copy(&g, t, cut) < 0) {
			bad = 1;
			break;
		}
		diag_clear(&d);
		rc = ipxebin_find_template(g.p, cut, &loc, &d);
		if ((cut < n && rc != -ENOENT) || (cut == n && rc != 0))
			bad = 1;
		rc = ipxebin_user_class(g.p, cut, out, sizeof(out), &d);
		if ((cut < n && rc != -ENOENT) || (cut == n && (rc || strcmp(out, "iPXE"))))
			bad = 1;
		guard_free(&g);
	}
	ok(!bad, "every truncated template is -ENOENT, the whole one found, no over-read");
}

static void test_pe_headers(void)
{
	uint8_t pe[1024];
	struct guarded g;
	size_t cut;
	int bad = 0;

	memset(pe, 0, sizeof(pe));
	pe[0] = 'M';
	pe[1] = 'Z';
	pe[0x3c] = 0x80;
	memcpy(pe + 0x80, "PE\0\0", 4);
	pe[0x84] = 0x64; /* machine 0x8664 */
	pe[0x85] = 0x86;
	pe[0x94] = 240;	 /* optional header size */
	pe[0x98] = 0x0b; /* PE32+ */
	pe[0x99] = 0x02;
	pe[0x98 + 68] = 10; /* EFI application */
	ok(ipxebin_kind(pe, sizeof(pe)) == IPXEBIN_EFI_X86_64, "hand-made PE32+ EFI x86_64");
	pe[0x84] = 0x64;
	pe[0x85] = 0xaa;
	ok(ipxebin_kind(pe, sizeof(pe)) == IPXEBIN_EFI_ARM64, "hand-made PE32+ EFI arm64");
	pe[0x98 + 68] = 3; /* Windows console: not EFI */
	ok(ipxebin_kind(pe, sizeof(pe)) == IPXEBIN_UNKNOWN, "non-EFI subsystem is unknown");
	pe[0x98 + 68] = 10;
	pe[0x3c] = 0xf0;
	pe[0x3d] = 0xff;
	pe[0x3e] = 0xff;
	pe[0x3f] = 0xff;
	ok(ipxebin_kind(pe, sizeof(pe)) == IPXEBIN_UNKNOWN, "e_lfanew past the end is unknown");
	pe[0x3c] = 0x80;
	pe[0x3d] = pe[0x3e] = pe[0x3f] = 0;
	for (cut = 0; cut <= 0x98 + 70; cut++) {
		if (guard_copy(&g, pe, cut) < 0) {
			bad = 1;
			break;
		}
		if (ipxebin_kind(g.p, cut) != IPXEBIN_UNKNOWN && cut < 0x98 + 70)
			bad = 1;
		guard_free(&g);
	}
	ok(!bad, "truncated PE headers are unknown, no over-read");
}

static void test_binaries(const char *dir)
{
	size_t i;

	for (i = 0; i < sizeof(binaries) / sizeof(binaries[0]); i++) {
		char cls[IPXEBIN_CLASS_MAX];
		struct diag d = { { 0 } };
		enum ipxebin_kind k;
		uint8_t *img;
		size_t len = 0;
		int rc;

		img = slurp(dir, binaries[i].name, &len);
		if (!img) {
			printf("skip %s:%d %s not readable in %s\n", __FILE__, __LINE__,
			       binaries[i].name, dir);
			continue;
		}
		k = ipxebin_kind(img, len);
		ok(k == binaries[i].kind, "%s: kind %s", binaries[i].name, ipxebin_kind_name(k));
		rc = ipxebin_user_class(img, len, cls, sizeof(cls), &d);
		ok(rc == 0 && strcmp(cls, "iPXE") == 0, "%s: user-class \"%s\" %s",
		   binaries[i].name, cls, d.msg);
		free(img);
	}
}

static void test_not_ipxe(const char *dir)
{
	char cls[IPXEBIN_CLASS_MAX];
	struct diag d = { { 0 } };
	uint8_t *img;
	size_t len = 0;
	int rc;

	img = slurp(dir, "ipxe.iso", &len);
	if (!img) {
		printf("skip %s:%d ipxe.iso not readable\n", __FILE__, __LINE__);
		return;
	}
	ok(ipxebin_kind(img, len) == IPXEBIN_UNKNOWN, "ipxe.iso is not an iPXE binary itself");
	rc = ipxebin_user_class(img, len, cls, sizeof(cls), &d);
	ok(rc == -ENOENT && strstr(d.msg, "not an iPXE binary"), "ipxe.iso: %s", d.msg);
	free(img);
}

/* Damaged packed image: an error naming the damage, not "not iPXE". */
static void test_corrupt(const char *dir)
{
	char cls[IPXEBIN_CLASS_MAX];
	struct diag d = { { 0 } };
	struct zbin z;
	uint8_t *img;
	size_t len = 0;
	int rc;

	img = slurp(dir, "undionly.kpxe", &len);
	if (!img) {
		printf("skip %s:%d undionly.kpxe not readable\n", __FILE__, __LINE__);
		return;
	}
	if (zbin_parse(img, len, &z, NULL) == 0) {
		img[z.blocks[3].data_off + 1000] ^= 1;
		rc = ipxebin_user_class(img, len, cls, sizeof(cls), &d);
		ok(rc == -EBADMSG && strstr(d.msg, "CRC"), "corrupt kpxe: %d %s", rc, d.msg);
		diag_clear(&d);
		rc = ipxebin_user_class(img, len - 1, cls, sizeof(cls), &d);
		ok(rc < 0 && d.msg[0], "truncated corrupt kpxe: %d %s", rc, d.msg);
	}
	free(img);
}

/* Rebrand EFI in place: 6 bytes (class and maybe its length), nothing else. */
static void test_rebrand_efi(const char *dir)
{
	char cls[IPXEBIN_CLASS_MAX];
	struct diag d = { { 0 } };
	struct ipxebin_loc loc;
	uint8_t *img, *dec;
	size_t len = 0, declen;
	int rc;

	img = slurp(dir, "ipxe-amd64.efi", &len);
	if (!img) {
		printf("skip %s:%d ipxe-amd64.efi not readable\n", __FILE__, __LINE__);
		return;
	}
	rc = ipxebin_locate(img, len, &loc, &dec, &declen, &d);
	ok(rc == 0 && !dec && loc.block == -1 && loc.kind == IPXEBIN_EFI_X86_64 && loc.cls_len == 4,
	   "ipxe-amd64.efi: located in the raw file at %zu", loc.cls_off);
	if (rc == 0) {
		memcpy(img + loc.cls_off, "CSTM", 4);
		rc = ipxebin_user_class(img, len, cls, sizeof(cls), &d);
		ok(rc == 0 && strcmp(cls, "CSTM") == 0, "patched EFI says \"%s\"", cls);
		/* Shorter class: new length, freed byte becomes a pad option. */
		img[loc.opt_off + 1] = 3;
		memcpy(img + loc.cls_off, "LAB\0", 4);
		rc = ipxebin_user_class(img, len, cls, sizeof(cls), &d);
		ok(rc == 0 && strcmp(cls, "LAB") == 0, "3-byte class + pad says \"%s\"", cls);
	}
	free(img);
}

/* Rebrand a packed image with the API: decode the block holding the template,
 * patch, re-encode, pad to the old length, fix the CRC. The last block ends the
 * file, so padding after the LZMA end marker is harmless (netboot-facts.md). */
static void test_rebrand_packed(const char *dir)
{
	char cls[IPXEBIN_CLASS_MAX];
	struct diag d = { { 0 } };
	struct ipxebin_loc loc;
	struct zbin z;
	uint8_t *img, *dec = NULL, *enc = NULL;
	size_t len = 0, declen, enclen;
	const struct zbin_block *b;
	uint32_t c;
	int rc;

	img = slurp(dir, "ipxe.pxe", &len);
	if (!img) {
		printf("skip %s:%d ipxe.pxe not readable\n", __FILE__, __LINE__);
		return;
	}
	rc = ipxebin_locate(img, len, &loc, &dec, &declen, &d);
	ok(rc == 0 && dec && loc.block == 3 && loc.cls_len == 4 &&
		   memcmp(dec + loc.cls_off, "iPXE", 4) == 0,
	   "ipxe.pxe: template in block %d at %zu of %zu decoded bytes", loc.block, loc.tmpl_off,
	   declen);
	if (rc || zbin_parse(img, len, &z, &d) != 0 || loc.block != 3)
		goto out;
	b = &z.blocks[loc.block];
	memcpy(dec + loc.cls_off, "CSTM", 4);
	rc = zbin_encode_block(dec, declen, 6, &enc, &enclen, &d);
	ok(rc == 0 && enclen <= b->data_len, "re-encoded block: %zu bytes, room %zu", enclen,
	   b->data_len);
	if (rc || enclen > b->data_len)
		goto out;
	memcpy(img + b->data_off, enc, enclen);
	memset(img + b->data_off + enclen, 0, b->data_len - enclen);
	c = zbin_crc32(ZBIN_CRC_SEED, img + b->data_off, b->data_len);
	img[b->data_off + b->data_len] = (uint8_t)c;
	img[b->data_off + b->data_len + 1] = (uint8_t)(c >> 8);
	img[b->data_off + b->data_len + 2] = (uint8_t)(c >> 16);
	img[b->data_off + b->data_len + 3] = (uint8_t)(c >> 24);
	rc = ipxebin_user_class(img, len, cls, sizeof(cls), &d);
	ok(rc == 0 && strcmp(cls, "CSTM") == 0, "rebranded ipxe.pxe says \"%s\" %s", cls, d.msg);
out:
	free(enc);
	free(dec);
	free(img);
}

int main(void)
{
	const char *dir = ipxe_dir();

	test_templates();
	test_pe_headers();
	if (!dir) {
		printf("skip %s:%d no iPXE binaries (set CHAINBOOT_IPXE_DIR or run "
		       "scripts/deps.sh)\n",
		       __FILE__, __LINE__);
		return test_done();
	}
	test_binaries(dir);
	test_not_ipxe(dir);
	test_corrupt(dir);
	test_rebrand_efi(dir);
	test_rebrand_packed(dir);
	return test_done();
}
