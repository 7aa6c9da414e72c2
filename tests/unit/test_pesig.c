/* test_pesig: Secure Boot facts of real EFI binaries (Debian's iPXE, shim, MokManager;
 * an iPXE signed here with sbsign by a key made here), and of a small PE built here
 * around a real signature, at every truncated length and with every byte corrupted,
 * each copy ending at a PROT_NONE page so an over-read crashes. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "byteorder.h"
#include "pesig.h"
#include "spawn.h"
#include "test.h"
#include "testdata.h"

static int parse_guarded(const uint8_t *data, size_t len, struct pesig_info *info)
{
	struct guarded g;
	int rc;

	if (guard_copy(&g, data, len))
		return -ENOMEM;
	rc = pesig_parse(g.p, len, info);
	guard_free(&g);
	return rc;
}

static void test_debian(const char *dir)
{
	static const struct {
		const char *dir, *name;
		uint16_t machine;
		enum pesig_kind kind;
		bool is_signed;
		const char *signer;
	} cases[] = {
		{ NULL, "ipxe-amd64.efi", 0x8664, PESIG_KIND_IPXE, false, NULL },
		{ NULL, "ipxe-arm64.efi", 0xaa64, PESIG_KIND_IPXE, false, NULL },
		{ "/usr/lib/shim", "shimx64.efi.signed", 0x8664, PESIG_KIND_SHIM, true,
		  "/C=US/ST=Washington/L=Redmond/O=Microsoft Corporation/CN=Microsoft Windows "
		  "UEFI Driver Publisher" },
		{ "/usr/lib/shim", "mmx64.efi.signed", 0x8664, PESIG_KIND_MOKMANAGER, true, NULL },
		{ "/usr/lib/shim", "fbx64.efi.signed", 0x8664, PESIG_KIND_SHIM_HELPER, true, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *d = cases[i].dir ? cases[i].dir : dir;
		struct pesig_info info;
		size_t len = 0;
		uint8_t *buf = d ? slurp(d, cases[i].name, &len) : NULL;
		char mbuf[32];

		if (!buf) {
			printf("skip %s not found\n", cases[i].name);
			continue;
		}
		int rc = parse_guarded(buf, len, &info);
		ok(rc == 0, "%s parses (%d)", cases[i].name, rc);
		ok(info.machine == cases[i].machine, "%s: machine %s", cases[i].name,
		   pesig_machine_name(info.machine, mbuf, sizeof(mbuf)));
		ok(info.has_sbat && !strncmp(info.sbat, "sbat,1,", 7), "%s: SBAT \"%.20s\"",
		   cases[i].name, info.sbat);
		ok(info.kind == cases[i].kind, "%s: kind %s", cases[i].name,
		   pesig_kind_name(info.kind));
		ok((info.nsigs > 0) == cases[i].is_signed, "%s: %u signatures", cases[i].name,
		   info.nsigs);
		if (cases[i].signer)
			ok(info.signer_found && !strcmp(info.signer, cases[i].signer),
			   "%s: signer \"%s\" (issuer \"%s\")", cases[i].name, info.signer,
			   info.issuer);
		free(buf);
	}
}

/* Sign ipxe-amd64.efi with a key made here; returns the signed file (malloc'd) or NULL. */
static uint8_t *sign_here(const char *dir, const char *tmp, size_t *len)
{
	char key[4200], crt[4200], in[4200], out[4200];
	struct diag d = { { 0 } };

	snprintf(key, sizeof(key), "%s/k.pem", tmp);
	snprintf(crt, sizeof(crt), "%s/c.pem", tmp);
	snprintf(in, sizeof(in), "%s/ipxe-amd64.efi", dir);
	snprintf(out, sizeof(out), "%s/signed.efi", tmp);
	char *req[] = { "openssl",
			"req",
			"-new",
			"-x509",
			"-newkey",
			"rsa:2048",
			"-nodes",
			"-days",
			"30",
			"-subj",
			"/O=Test Org/CN=pesig test",
			"-keyout",
			key,
			"-out",
			crt,
			NULL };
	char *sign[] = { "sbsign", "--key", key, "--cert", crt, "--output", out, in, NULL };
	if (spawn_run(req, NULL, NULL, 0, &d) || spawn_run(sign, NULL, NULL, 0, &d)) {
		printf("skip signing here: %s\n", d.msg);
		return NULL;
	}
	return slurp(tmp, "signed.efi", len);
}

/* A minimal PE32+ image: headers, one .sbat section, the certificate table holding
 * sig (sig_len bytes of PKCS#7). Returns its length in out (at least 1024 bytes). */
static size_t make_pe(uint8_t *out, const uint8_t *sig, size_t sig_len)
{
	static const char sbat[] = "sbat,1,SBAT Version,sbat,1,x\nipxe,1,iPXE,ipxe.efi,1,x\n";
	const size_t pe = 0x40, opt = pe + 24, sec = opt + 240, sbat_at = 0x200, cert_at = 0x400;
	size_t total = cert_at + 8 + sig_len;

	memset(out, 0, total);
	out[0] = 'M', out[1] = 'Z';
	put_le32(out + 0x3c, (uint32_t)pe);
	memcpy(out + pe, "PE\0\0", 4);
	out[pe + 4] = 0x64, out[pe + 5] = 0x86; /* x86_64 */
	out[pe + 6] = 1;			/* one section */
	out[pe + 20] = 240;			/* optional header size */
	out[opt] = 0x0b, out[opt + 1] = 0x02;	/* PE32+ */
	put_le32(out + opt + 108, 16);		/* data directories */
	put_le32(out + opt + 112 + 32, (uint32_t)cert_at);
	put_le32(out + opt + 112 + 36, (uint32_t)(8 + sig_len));
	memcpy(out + sec, ".sbat", 5);
	put_le32(out + sec + 8, sizeof(sbat) - 1);
	put_le32(out + sec + 16, sizeof(sbat) - 1);
	put_le32(out + sec + 20, (uint32_t)sbat_at);
	memcpy(out + sbat_at, sbat, sizeof(sbat) - 1);
	put_le32(out + cert_at, (uint32_t)(8 + sig_len));
	out[cert_at + 4] = 0x00, out[cert_at + 5] = 0x02; /* revision 2.0 */
	out[cert_at + 6] = 0x02;			  /* PKCS#7 SignedData */
	memcpy(out + cert_at + 8, sig, sig_len);
	return total;
}

static void test_signed_here(const char *dir)
{
	char tmp[] = "/tmp/test_pesig.XXXXXX";
	struct pesig_info info;
	size_t len = 0;
	uint8_t *buf;

	if (!mkdtemp(tmp)) {
		ok(0, "mkdtemp");
		return;
	}
	buf = sign_here(dir, tmp, &len);
	if (buf) {
		ok(parse_guarded(buf, len, &info) == 0 && info.nsigs == 1 && info.signer_found,
		   "signed here: one signature, signer found");
		ok(!strcmp(info.signer, "/O=Test Org/CN=pesig test") &&
			   !strcmp(info.issuer, info.signer),
		   "signed here: signer \"%s\", issuer \"%s\"", info.signer, info.issuer);
		ok(info.kind == PESIG_KIND_IPXE, "signed here: still iPXE");

		/* The signature alone, in a small PE, for the exhaustive sweeps. */
		uint32_t pe = le32(buf + 0x3c), opt = pe + 24;
		uint32_t off = le32(buf + opt + 112 + 32), size = le32(buf + opt + 112 + 36);
		uint8_t *small = NULL;
		if (off < len && size <= len - off && size > 8 && size < 16384)
			small = malloc(0x400 + size);
		ok(small != NULL, "signed here: certificate table at %u, %u bytes", off, size);
		if (small) {
			size_t slen = make_pe(small, buf + off + 8, le32(buf + off) - 8);
			unsigned bad = 0, crashes_would_show = 0;
			ok(parse_guarded(small, slen, &info) == 0 && info.signer_found &&
				   !strcmp(info.signer, "/O=Test Org/CN=pesig test") &&
				   info.has_sbat,
			   "small PE around the signature: signer \"%s\"", info.signer);
			for (size_t n = 0; n < slen; n++) {
				int rc = parse_guarded(small, n, &info);
				if (rc != 0 && rc != -EINVAL && rc != -EBADMSG)
					bad++;
				if (n >= slen - 8 && info.signer_found)
					bad++; /* a truncated signature must not yield a signer */
			}
			ok(bad == 0, "every truncated length (%zu) is refused or read partly",
			   slen);
			for (size_t i = 0; i < slen; i++) {
				for (unsigned v = 0; v < 3; v++) {
					uint8_t save = small[i];
					small[i] = v == 0   ? 0xff
						   : v == 1 ? 0x80
							    : (uint8_t)(save ^ 1);
					int rc = parse_guarded(small, slen, &info);
					crashes_would_show += rc == 0 || rc == -EINVAL ||
							      rc == -EBADMSG;
					small[i] = save;
				}
			}
			ok(crashes_would_show == 3 * slen,
			   "every byte corrupted three ways: %u parses", crashes_would_show);
			free(small);
		}
		free(buf);
	}
	static const char *const made[] = { "k.pem", "c.pem", "signed.efi" };
	char path[4200];
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmp, made[i]);
		unlink(path);
	}
	rmdir(tmp);
}

static void test_not_pe(void)
{
	static const uint8_t zeros[256];
	uint8_t mz[256] = { 'M', 'Z' };
	struct pesig_info info;

	ok(parse_guarded(zeros, sizeof(zeros), &info) == -EINVAL, "zeros: not a PE");
	ok(parse_guarded(mz, 2, &info) == -EINVAL, "\"MZ\" alone: not a PE");
	put_le32(mz + 0x3c, 0xfffffff0u);
	ok(parse_guarded(mz, sizeof(mz), &info) == -EINVAL, "e_lfanew past the end: not a PE");
	put_le32(mz + 0x3c, 0x80);
	memcpy(mz + 0x80, "PE\0\0", 4);
	mz[0x80 + 20] = 0xff, mz[0x80 + 21] = 0xff;
	ok(parse_guarded(mz, sizeof(mz), &info) == -EBADMSG, "optional header past the end");
}

int main(void)
{
	const char *dir = ipxe_dir();

	test_not_pe();
	if (!dir) {
		printf("skip Debian's iPXE binaries not found (scripts/deps.sh)\n");
		return test_done();
	}
	test_debian(dir);
	test_signed_here(dir);
	return test_done();
}
