/* sign: Secure Boot for images. Checks the site key and certificate (openssl), signs the
 * plan's EFI binaries with sbsign and verifies each with sbverify (argv arrays, never a
 * shell), lays out shim + MokManager, checks vendor-signed binaries. The key, the
 * certificate and the binaries are the user's files: every one is checked before use.
 * An Authenticode signature carries its signing time, so two sbsign runs differ: signed
 * copies are cached by (input, key, certificate) digests to keep images reproducible. */
#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "ipxecache.h"
#include "pesig.h"
#include "sha256.h"
#include "spawn.h"

#define SIGN_MAX_PEM (64u * 1024u)
#define SIGN_MAX_EFI (64u * 1024u * 1024u)

void sign_keys_free(struct sign_keys *k)
{
	free(k->der);
	k->der = NULL;
	k->der_len = 0;
}

static int file_hash(const char *path, size_t max, char hex[65], struct diag *d)
{
	uint8_t *buf;
	size_t len;
	int rc = fileio_read(path, max, &buf, &len, d);

	if (rc)
		return rc;
	sha256_hex(buf, len, hex);
	free(buf);
	return 0;
}

/* Run openssl with argv; its stdout (at most max bytes) into out. */
static int openssl_run(char *const argv[], struct spawn_out *out, size_t max, struct diag *d)
{
	return spawn_run(argv, NULL, out, max, d);
}

/* "Dec  3 13:57:00 2026 GMT" (openssl's notBefore/notAfter) -> Unix time, or -1. */
static time_t parse_asn1_time(const char *s)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%b %d %H:%M:%S %Y GMT", &tm);

	return end ? timegm(&tm) : (time_t)-1;
}

/* The value after "name=" on one of openssl's output lines, up to the line's end. */
static void out_field(const char *text, const char *name, char *buf, size_t bufsz)
{
	size_t n = strlen(name);

	buf[0] = '\0';
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, name, n) && l[n] == '=') {
			const char *v = l + n + 1, *e = strchrnul(v, '\n');
			snprintf(buf, bufsz, "%.*s", (int)(e - v), v);
			return;
		}
}

/* Subject and validity of the certificate; a date outside the period is a warning. */
static int cert_facts(const char *cert, struct sign_keys *k, struct diag *d)
{
	char *argv[] = { "openssl",  "x509",   "-in",	     (char *)cert, "-noout", "-subject",
			 "-nameopt", "compat", "-startdate", "-enddate",   NULL };
	struct spawn_out o = { 0 };
	char nb[64], na[64];
	time_t now = time(NULL), tb, ta;
	uint8_t *raw;
	size_t len;
	int rc = fileio_read(cert, SIGN_MAX_PEM, &raw, &len, d);

	if (rc)
		return diag_prefix(d, rc, "certificate");
	/* openssl reads DER too, sbsign only PEM: ask for PEM here, where it can be said. */
	if (!memmem(raw, len, "-----BEGIN CERTIFICATE-----", 27))
		rc = -EINVAL;
	free(raw);
	if (!rc)
		rc = openssl_run(argv, &o, 65536, d);
	if (rc) {
		spawn_out_free(&o);
		diag_clear(d);
		return diag_set(d, -EINVAL,
				"certificate %s: not a PEM X.509 certificate (a DER .cer? convert "
				"it: openssl x509 -inform der -in FILE -out FILE.pem)",
				cert);
	}
	out_field(o.data, "subject", k->subject, sizeof(k->subject));
	out_field(o.data, "notBefore", nb, sizeof(nb));
	out_field(o.data, "notAfter", na, sizeof(na));
	spawn_out_free(&o);
	tb = parse_asn1_time(nb);
	ta = parse_asn1_time(na);
	if (tb != (time_t)-1 && now < tb)
		snprintf(k->warning, sizeof(k->warning),
			 "certificate %s is not valid before %s: firmware usually ignores the "
			 "dates, but MokManager shows them",
			 cert, nb);
	else if (ta != (time_t)-1 && now > ta)
		snprintf(k->warning, sizeof(k->warning),
			 "certificate %s expired on %s: firmware usually ignores the dates, but "
			 "MokManager shows them; make a new pair with `chainboot keygen`",
			 cert, na);
	return 0;
}

/* The key file: present, PEM, without a passphrase (sbsign would stop to ask for it). */
static int key_check_text(const char *key, struct diag *d)
{
	char *text;
	size_t len;
	int rc = fileio_read_text(key, SIGN_MAX_PEM, &text, &len, d);

	if (rc) {
		diag_clear(d);
		return diag_set(d, rc,
				"key %s: %s (make a key and certificate with `chainboot "
				"keygen -o DIR`)",
				key, strerror(-rc));
	}
	if (strstr(text, "ENCRYPTED"))
		rc = diag_set(d, -EINVAL,
			      "key %s is protected by a passphrase, which a build cannot type: "
			      "write an unencrypted copy once (openssl pkey -in %s -out FILE; "
			      "chmod 600 FILE) and give that",
			      key, key);
	else if (!strstr(text, "PRIVATE KEY-----"))
		rc = diag_set(d, -EINVAL,
			      "key %s is not a PEM private key (-----BEGIN PRIVATE KEY-----)", key);
	free(text);
	return rc;
}

int sign_check_keys(const struct site_config *c, struct sign_keys *k, struct diag *d)
{
	struct spawn_out kpub = { 0 }, cpub = { 0 }, der = { 0 };
	int rc;

	memset(k, 0, sizeof(*k));
	k->key = c->sb_key;
	k->cert = c->sb_cert;
	rc = key_check_text(k->key, d);
	if (rc)
		return rc;
	if (access(k->cert, R_OK))
		return diag_set(d, -errno,
				"certificate %s: %s (make a key and certificate with "
				"`chainboot keygen -o DIR`)",
				k->cert, strerror(errno));
	rc = cert_facts(k->cert, k, d);
	if (rc)
		return rc;
	char *kargv[] = { "openssl", "pkey",	"-in",	 (char *)k->key,
			  "-pubout", "-passin", "pass:", NULL };
	char *cargv[] = { "openssl", "x509", "-in", (char *)k->cert, "-noout", "-pubkey", NULL };
	char *dargv[] = { "openssl", "x509", "-in", (char *)k->cert, "-outform", "der", NULL };
	rc = openssl_run(kargv, &kpub, 65536, d);
	if (rc) {
		diag_clear(d);
		rc = diag_set(d, -EINVAL, "key %s: openssl cannot read it as a private key",
			      k->key);
		goto out;
	}
	rc = openssl_run(cargv, &cpub, 65536, d);
	if (!rc && strcmp(kpub.data, cpub.data))
		rc = diag_set(d, -EINVAL,
			      "key %s and certificate %s do not match (the certificate holds "
			      "another public key): give the pair `chainboot keygen` made together",
			      k->key, k->cert);
	if (!rc)
		rc = openssl_run(dargv, &der, 65536, d);
	if (!rc) {
		k->der = (unsigned char *)der.data;
		k->der_len = der.len;
		der.data = NULL;
	}
	if (!rc)
		rc = file_hash(k->key, SIGN_MAX_PEM, k->key_hash, d);
	if (!rc)
		rc = file_hash(k->cert, SIGN_MAX_PEM, k->cert_hash, d);
out:
	spawn_out_free(&kpub);
	spawn_out_free(&cpub);
	spawn_out_free(&der);
	if (rc)
		sign_keys_free(k);
	return rc;
}

int sign_verify(const char *path, const char *cert, struct diag *d)
{
	char *argv[] = { "sbverify", "--cert", (char *)cert, (char *)path, NULL };
	int rc = spawn_run(argv, NULL, NULL, 0, d);

	if (rc == -EIO) {
		diag_clear(d);
		return diag_set(d, -EPERM,
				"%s does not verify against the certificate %s (sbverify): "
				"firmware holding that certificate would refuse it",
				path, cert);
	}
	return rc;
}

/* $cache/signed beside the rebranded copies (lib/ipxecache's directory). */
static int signed_dir(char *out, size_t outsz, struct diag *d)
{
	char dir[PATH_MAX];
	char *slash;
	int rc = ipxecache_dir(dir, sizeof(dir), d);

	if (rc)
		return rc;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	if (snprintf(out, outsz, "%s/signed", dir) >= (int)outsz)
		return diag_set(d, -ENAMETOOLONG, "%s/signed: path too long", dir);
	rc = fileio_mkdirs(out, 0755, d);
	return rc ? diag_add(d, rc, "(set CHAINBOOT_CACHE to a directory you can write)") : 0;
}

static bool is_efi_dest(const char *dest)
{
	size_t n = strlen(dest);

	return n > 4 && !strcasecmp(dest + n - 4, ".efi");
}

/* One binary: the cached signed copy of f->src, made if missing; verified either way. */
static int sign_one(struct plan_file *f, const struct sign_keys *k, const char *dir, uint32_t *mix,
		    struct diag *d)
{
	char path[PATH_MAX], tmp[PATH_MAX + 32], in_hash[65], key[4 * 65], hex[65];
	struct stat st;
	int rc;

	rc = file_hash(f->src, SIGN_MAX_EFI, in_hash, d);
	if (rc)
		return rc;
	snprintf(key, sizeof(key), "chainboot-sign-1 %s %s %s", in_hash, k->key_hash, k->cert_hash);
	sha256_hex(key, strlen(key), hex);
	snprintf(path, sizeof(path), "%s/%s.efi", dir, hex);
	if (stat(path, &st) || !S_ISREG(st.st_mode)) {
		struct stat sin;
		snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
		char *argv[] = { "sbsign",   "--key", (char *)k->key, "--cert", (char *)k->cert,
				 "--output", tmp,     f->src,	      NULL };
		rc = spawn_run(argv, NULL, NULL, 0, d);
		if (rc) {
			unlink(tmp);
			return diag_prefix(d, rc, "signing %s", f->dest);
		}
		/* The input's time: the image's epoch comes from its inputs' times. */
		if (!stat(f->src, &sin)) {
			struct timespec ts[2] = { sin.st_mtim, sin.st_mtim };
			utimensat(AT_FDCWD, tmp, ts, 0);
		}
		if (rename(tmp, path)) {
			rc = -errno;
			unlink(tmp);
			return diag_set(d, rc, "%s: %s", path, strerror(-rc));
		}
		if (stat(path, &st))
			return diag_set(d, -errno, "%s: %s", path, strerror(errno));
	}
	rc = sign_verify(path, k->cert, d);
	if (rc)
		return diag_prefix(d, rc, "signed copy of %s", f->dest);
	snprintf(f->src, sizeof(f->src), "%s", path);
	f->len = (size_t)st.st_size;
	for (const char *s = hex; *s; s++)
		*mix = (*mix ^ (unsigned char)*s) * 16777619u;
	return 0;
}

static void note_add(struct plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note_add(struct plan *p, const char *fmt, ...)
{
	size_t n = strlen(p->note);
	va_list ap;

	snprintf(p->note + n, sizeof(p->note) - n, "%s", n ? "; " : "");
	n = strlen(p->note);
	va_start(ap, fmt);
	vsnprintf(p->note + n, sizeof(p->note) - n, fmt, ap);
	va_end(ap);
}

static struct plan_file *plan_add(struct plan *p, enum layout_area area, const char *dest,
				  struct diag *d)
{
	struct plan_file *f;

	if (p->n_files >= LAYOUT_MAX_ENTRIES) {
		diag_set(d, -E2BIG, "too many files in the image for shim mode");
		return NULL;
	}
	f = &p->files[p->n_files++];
	memset(f, 0, sizeof(*f));
	f->area = area;
	snprintf(f->dest, sizeof(f->dest), "%s", dest);
	return f;
}

static const char enroll_text[] =
	"This stick boots with UEFI Secure Boot on through shim (signed by Microsoft).\r\n"
	"shim runs the network boot loader (grubx64.efi, iPXE signed with your site key)\r\n"
	"only once that key is enrolled. On the first boot of each machine shim shows\r\n"
	"\"Verification failed: (0x1A) Security Violation\" and starts MokManager:\r\n"
	"  1. Enroll key from disk\r\n"
	"  2. pick this volume, then " SIGN_ENROLL_CER "\r\n"
	"  3. View key 0 (check the subject), Continue, Yes\r\n"
	"  4. Reboot. From then on the machine boots straight into the chain script.\r\n";

/* shim on x86_64: EFI/BOOT/BOOTX64.EFI is shim, our signed iPXE moves to grubx64.efi
 * beside it (the name Debian's shim loads), MokManager beside both. */
static int shim_layout(struct plan *p, const struct sign_keys *k, struct diag *d)
{
	unsigned n = p->n_files;
	bool done_area[2] = { false, false };

	if (access(SIGN_SHIM_X64, R_OK) || access(SIGN_MM_X64, R_OK))
		return diag_set(
			d, -ENOENT,
			"[secureboot] mode = shim needs Debian's signed shim and MokManager "
			"(%s, %s): apt-get install shim-signed shim-helpers-amd64-signed "
			"(or run scripts/deps.sh)",
			SIGN_SHIM_X64, SIGN_MM_X64);
	for (unsigned i = 0; i < n; i++) {
		struct plan_file *f = &p->files[i], *s;
		const char *base = strrchr(f->dest, '/');
		char dir[LAYOUT_PATH_MAX], dest[LAYOUT_PATH_MAX + 16];
		enum layout_area area = f->area;

		base = base ? base + 1 : f->dest;
		if (strcasecmp(base, "BOOTX64.EFI"))
			continue;
		snprintf(dir, sizeof(dir), "%.*s", (int)(base - f->dest), f->dest);
		snprintf(dest, sizeof(dest), "%sgrubx64.efi", dir);
		snprintf(f->dest, sizeof(f->dest), "%s", dest);
		if (!(s = plan_add(p, area, "", d)))
			return -E2BIG;
		snprintf(s->dest, sizeof(s->dest), "%sBOOTX64.EFI", dir);
		snprintf(s->src, sizeof(s->src), "%s", SIGN_SHIM_X64);
		if (!(s = plan_add(p, area, "", d)))
			return -E2BIG;
		snprintf(s->dest, sizeof(s->dest), "%smmx64.efi", dir);
		snprintf(s->src, sizeof(s->src), "%s", SIGN_MM_X64);
		if (done_area[area])
			continue;
		done_area[area] = true;
		if (!(s = plan_add(p, area, SIGN_ENROLL_CER, d)))
			return -E2BIG;
		s->data = malloc(k->der_len);
		if (!s->data)
			return diag_set(d, -ENOMEM, "out of memory");
		memcpy(s->data, k->der, k->der_len);
		s->len = k->der_len;
		if (!(s = plan_add(p, area, SIGN_ENROLL_TXT, d)))
			return -E2BIG;
		s->data = strdup(enroll_text);
		if (!s->data)
			return diag_set(d, -ENOMEM, "out of memory");
		s->len = strlen(enroll_text);
	}
	for (unsigned i = n; i < p->n_files; i++) {
		struct stat st;
		if (p->files[i].src[0] && !stat(p->files[i].src, &st))
			p->files[i].len = (size_t)st.st_size;
	}
	return 0;
}

/* vendor: the binaries are used as they are; each must carry a signature (lib/pesig),
 * and verify against the certificate when one is given. sbverify reports success for
 * any certificate once a binary has several signatures (sbsigntool 0.9.4, seen with
 * Debian's shim): such a binary is not checked against it, and the build says so. */
static int vendor_check(struct plan *p, const struct site_config *c, struct diag *d)
{
	unsigned multi = 0;

	for (unsigned i = 0; i < p->n_files; i++) {
		struct plan_file *f = &p->files[i];
		struct pesig_info info;
		uint8_t *buf;
		size_t len;
		int rc;

		if (!f->src[0] || !is_efi_dest(f->dest))
			continue;
		rc = fileio_read(f->src, SIGN_MAX_EFI, &buf, &len, d);
		if (rc)
			return rc;
		rc = pesig_parse(buf, len, &info);
		free(buf);
		if (rc || !info.nsigs)
			return diag_set(
				d, -EPERM,
				"[secureboot] mode = vendor: %s (%s) %s, so firmware with "
				"Secure Boot on would refuse it: give --ipxe-dir a directory of "
				"signed binaries, or use mode db or shim to sign ours",
				f->dest, f->src,
				rc ? "is not a PE/EFI binary" : "carries no signature");
		if (!c->sb_cert[0])
			continue;
		if (info.nsigs > 1) {
			multi++;
			continue;
		}
		rc = sign_verify(f->src, c->sb_cert, d);
		if (rc)
			return diag_prefix(d, rc, "[secureboot] mode = vendor: %s", f->dest);
	}
	note_add(p,
		 "Secure Boot vendor: the EFI binaries are used unchanged (signed, not "
		 "rebranded); the user-class comes from `set user-class` in the chain script%s",
		 c->sb_cert[0] ? ", each verified against the certificate" : "");
	if (multi)
		note_add(p,
			 "%u binar%s with several signatures (e.g. shim) not checked against the "
			 "certificate: sbverify cannot tell which signature verifies",
			 multi, multi == 1 ? "y" : "ies");
	return 0;
}

int sign_plan(struct plan *p, const struct site_config *c, struct diag *d)
{
	struct sign_keys k;
	char dir[PATH_MAX];
	uint32_t mix = p->serial;
	unsigned n = p->n_files, nsigned = 0;
	int rc;

	if (c->sb_mode == SITE_SB_OFF)
		return 0;
	if (c->sb_mode == SITE_SB_VENDOR)
		return vendor_check(p, c, d);
	rc = sign_check_keys(c, &k, d);
	if (rc)
		return rc;
	rc = signed_dir(dir, sizeof(dir), d);
	for (unsigned i = 0; !rc && i < n; i++) {
		struct plan_file *f = &p->files[i];
		if (!f->src[0] || !is_efi_dest(f->dest))
			continue;
		rc = sign_one(f, &k, dir, &mix, d);
		nsigned++;
	}
	if (!rc && c->sb_mode == SITE_SB_SHIM)
		rc = shim_layout(p, &k, d);
	if (!rc) {
		char what[160];
		snprintf(what, sizeof(what), "%u EFI binar%s signed by %.100s", nsigned,
			 nsigned == 1 ? "y" : "ies", k.subject);
		note_add(p, "Secure Boot %s: %s", site_sb_mode_name(c->sb_mode), what);
		if (c->sb_mode == SITE_SB_SHIM && (c->arch & SITE_ARCH_ARM64))
			note_add(p, "arm64 has no shim here (Debian's arm64 shim is not "
				    "installed): BOOTAA64.EFI is signed for db mode only");
		if (k.warning[0])
			note_add(p, "warning: %s", k.warning);
		p->serial = mix;
	}
	sign_keys_free(&k);
	return rc;
}
