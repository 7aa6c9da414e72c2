/* inspect_sb: Secure Boot facts of the EFI binaries `chainboot inspect` finds: lib/pesig
 * reads them (the bytes come from the image: untrusted, pesig checks every length);
 * with --cert, sbverify checks the signature on a private temporary copy. */
#include "inspect_sb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "pesig.h"
#include "spawn.h"

static const char *sb_cert;

void inspect_sb_set_cert(const char *cert)
{
	sb_cert = cert;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* sbverify --cert on a temporary copy: 1 verifies, 0 does not, -errno when it cannot run. */
static int verify_copy(const uint8_t *buf, size_t len, struct diag *d)
{
	const char *tmpdir = getenv("TMPDIR");
	char path[4096];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/chainboot-inspect.XXXXXX",
		 tmpdir && *tmpdir ? tmpdir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return diag_set(d, -errno, "cannot make a temporary file: %s", strerror(errno));
	rc = write_all(fd, buf, len);
	close(fd);
	if (!rc) {
		char *argv[] = { "sbverify", "--cert", (char *)sb_cert, path, NULL };
		rc = spawn_run(argv, NULL, NULL, 0, d);
		rc = rc == 0 ? 1 : rc == -EIO ? 0 : rc;
	} else {
		diag_set(d, rc, "cannot write a temporary file");
	}
	unlink(path);
	return rc;
}

/* "sbat,ipxe" from the SBAT text: the first field of each line. */
static void sbat_components(const char *sbat, char *out, size_t outsz)
{
	size_t used = 0;

	out[0] = '\0';
	for (const char *l = sbat; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		size_t n = strcspn(l, ",\n");
		if (!n)
			continue;
		int w = snprintf(out + used, outsz - used, "%s%.*s", used ? "," : "", (int)n, l);
		if (w < 0 || (size_t)w >= outsz - used)
			break;
		used += (size_t)w;
	}
}

void inspect_sb_binary(const uint8_t *buf, size_t len, json_t *jb)
{
	struct pesig_info info;
	struct diag d = { { 0 } };
	char comps[PESIG_SBAT_MAX];
	json_t *js;

	if (pesig_parse(buf, len, &info))
		return;
	js = json_object();
	json_object_set_new(js, "signed", json_boolean(info.nsigs > 0));
	json_object_set_new(js, "signatures", json_integer(info.nsigs));
	if (info.signer_found) {
		json_object_set_new(js, "signer", json_string(info.signer));
		json_object_set_new(js, "issuer", json_string(info.issuer));
	}
	json_object_set_new(js, "type", json_string(pesig_kind_name(info.kind)));
	json_object_set_new(js, "sbat", json_boolean(info.has_sbat));
	if (info.has_sbat) {
		sbat_components(info.sbat, comps, sizeof(comps));
		json_object_set_new(js, "sbat_components", json_string(comps));
	}
	if (sb_cert && info.nsigs > 1) {
		/* sbverify says "OK" for any certificate once there are several signatures
		 * (sbsigntool 0.9.4, Debian's shim): no answer beats a wrong one. */
		json_object_set_new(js, "cert", json_string(sb_cert));
		json_object_set_new(js, "verify_error",
				    json_string(
					    "several signatures: sbverify cannot tell which one "
					    "verifies"));
	} else if (sb_cert) {
		int v = info.nsigs ? verify_copy(buf, len, &d) : 0;
		json_object_set_new(js, "cert", json_string(sb_cert));
		if (v < 0)
			json_object_set_new(js, "verify_error", json_string(d.msg));
		else
			json_object_set_new(js, "verifies", json_boolean(v == 1));
	}
	json_object_set_new(jb, "secure_boot", js);
}

static const char *jstr_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

void inspect_sb_print(FILE *out, const json_t *jb, const char *indent)
{
	const json_t *js = json_object_get(jb, "secure_boot");
	const json_t *v;

	if (!js)
		return;
	fprintf(out, "%sSecure Boot: %s", indent, jstr_of(js, "type"));
	if (json_is_true(json_object_get(js, "signed")))
		fprintf(out, ", signed (%lld) by %s",
			(long long)json_integer_value(json_object_get(js, "signatures")),
			json_object_get(js, "signer") ? jstr_of(js, "signer")
						      : "(signer unreadable)");
	else
		fprintf(out, ", not signed");
	fprintf(out, ", SBAT %s",
		json_is_true(json_object_get(js, "sbat")) ? jstr_of(js, "sbat_components")
							  : "none");
	if ((v = json_object_get(js, "verifies")))
		fprintf(out, "; %s %s",
			json_is_true(v) ? "verifies against" : "does NOT verify against",
			jstr_of(js, "cert"));
	else if (json_object_get(js, "verify_error"))
		fprintf(out, "; cannot verify: %s", jstr_of(js, "verify_error"));
	fprintf(out, "\n");
}
