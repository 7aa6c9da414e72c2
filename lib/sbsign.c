/* sbsign: signing EFI binaries for Secure Boot with a site key, for the builder and
 * chainbootd alike. Checks the key and certificate (openssl), signs with sbsign and
 * verifies with sbverify (argv arrays, never a shell). The key, the certificate and the
 * binaries are the user's files: each is checked before use. An Authenticode signature
 * carries its signing time, so two sbsign runs differ: signed copies are cached by
 * (input, key, certificate) digests, which keeps rebuilt images byte-identical. */
#include "sbsign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "ipxecache.h"
#include "sha256.h"
#include "spawn.h"

#define SBSIGN_MAX_PEM (64u * 1024u)

void sbsign_keys_free(struct sbsign_keys *k)
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
static int cert_facts(const char *cert, struct sbsign_keys *k, struct diag *d)
{
	char *argv[] = { "openssl",  "x509",   "-in",	     (char *)cert, "-noout", "-subject",
			 "-nameopt", "compat", "-startdate", "-enddate",   NULL };
	struct spawn_out o = { 0 };
	char nb[64], na[64];
	time_t now = time(NULL), tb, ta;
	uint8_t *raw;
	size_t len;
	int rc = fileio_read(cert, SBSIGN_MAX_PEM, &raw, &len, d);

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
	int rc = fileio_read_text(key, SBSIGN_MAX_PEM, &text, &len, d);

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

int sbsign_check_keys(const struct site_config *c, struct sbsign_keys *k, struct diag *d)
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
		rc = file_hash(k->key, SBSIGN_MAX_PEM, k->key_hash, d);
	if (!rc)
		rc = file_hash(k->cert, SBSIGN_MAX_PEM, k->cert_hash, d);
out:
	spawn_out_free(&kpub);
	spawn_out_free(&cpub);
	spawn_out_free(&der);
	if (rc)
		sbsign_keys_free(k);
	return rc;
}

int sbsign_verify(const char *path, const char *cert, struct diag *d)
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
int sbsign_dir(char *out, size_t outsz, struct diag *d)
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

int sbsign_file(const char *src, const struct sbsign_keys *k, const char *dir, char *out,
		size_t outsz, char hex[65], struct diag *d)
{
	char tmp[PATH_MAX + 64], in_hash[65], key[4 * 65];
	struct stat st;
	int rc;

	rc = file_hash(src, SBSIGN_MAX_EFI, in_hash, d);
	if (rc)
		return rc;
	snprintf(key, sizeof(key), "chainboot-sign-1 %s %s %s", in_hash, k->key_hash, k->cert_hash);
	sha256_hex(key, strlen(key), hex);
	if (snprintf(out, outsz, "%s/%s.efi", dir, hex) >= (int)outsz)
		return diag_set(d, -ENAMETOOLONG, "%s: path too long", dir);
	if (stat(out, &st) || !S_ISREG(st.st_mode)) {
		struct stat sin;
		snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", out, (long)getpid());
		char *argv[] = { "sbsign",   "--key", (char *)k->key, "--cert", (char *)k->cert,
				 "--output", tmp,     (char *)src,    NULL };
		rc = spawn_run(argv, NULL, NULL, 0, d);
		if (rc) {
			unlink(tmp);
			return rc;
		}
		/* The input's time: an image's epoch comes from its inputs' times. */
		if (!stat(src, &sin)) {
			struct timespec ts[2] = { sin.st_mtim, sin.st_mtim };
			utimensat(AT_FDCWD, tmp, ts, 0);
		}
		if (rename(tmp, out)) {
			rc = -errno;
			unlink(tmp);
			return diag_set(d, rc, "%s: %s", out, strerror(-rc));
		}
	}
	return sbsign_verify(out, k->cert, d);
}
