/* test_ipxebuild: the dhcp.c user-class patch of build-ipxe on synthetic source text
 * (no iPXE source here): one match rewritten, quoting, none or several refused; the
 * --trust file check (one PEM certificate, never a key) and the --only selection. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipxebuild.h"
#include "siteconf.h"
#include "test.h"

static char *patch(const char *text, const char *cls, int *rc, struct diag *d)
{
	char *out = NULL;
	size_t len = 0;

	diag_clear(d);
	*rc = ipxebuild_patch_dhcp(text, strlen(text), cls, &out, &len, d);
	if (out) {
		char *z = realloc(out, len + 1);

		if (!z) {
			free(out);
			return NULL;
		}
		z[len] = '\0';
		out = z;
	}
	return out;
}

#define BEGIN "-----BEGIN CERTIFICATE-----\n"
#define END   "-----END CERTIFICATE-----\n"

static int pem(const char *text, struct diag *d)
{
	diag_clear(d);
	return ipxebuild_check_pem("ca.pem", text, strlen(text), d);
}

static void test_pem(void)
{
	struct diag d = { { 0 } };
	const char *cert = BEGIN "MIIB\n" END;
	int rc;

	ok(pem(cert, &d) == 0, "one certificate: accepted: %s", d.msg);
	ok(pem("subject=CN = x\n" BEGIN "MIIB\n" END, &d) == 0,
	   "text before the certificate (openssl x509 -text): accepted");
	rc = pem("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n", &d);
	ok(rc == -EINVAL && strstr(d.msg, "ca.pem holds a private key"), "a key: refused: %s",
	   d.msg);
	rc = pem(BEGIN "MIIB\n" END "-----BEGIN RSA PRIVATE KEY-----\n", &d);
	ok(rc == -EINVAL && strstr(d.msg, "private key"), "a certificate with its key: refused");
	rc = pem("hello\n", &d);
	ok(rc == -EINVAL && strstr(d.msg, "ca.pem is not a PEM certificate"),
	   "no certificate: refused: %s", d.msg);
	rc = pem(BEGIN "MIIB\n" END BEGIN "MIIC\n" END, &d);
	ok(rc == -EINVAL && strstr(d.msg, "holds 2 certificates"), "a bundle: refused: %s", d.msg);
	rc = pem(BEGIN "MIIB\n", &d);
	ok(rc == -EINVAL && strstr(d.msg, "no -----END CERTIFICATE-----"), "cut short: refused: %s",
	   d.msg);
	rc = ipxebuild_check_pem("ca.pem", BEGIN, sizeof(BEGIN) - 2, &d);
	ok(rc == -EINVAL, "a BEGIN line cut inside: refused, no over-read");
	rc = ipxebuild_check_pem("ca.pem", "", 0, &d);
	ok(rc == -EINVAL, "an empty file: refused");
}

static void test_select(void)
{
	struct diag d = { { 0 } };
	unsigned mask, all, n;
	int rc;

	for (n = 0; ipxebuild_target_name(n); n++)
		;
	ok(n == 7, "seven binaries build-ipxe makes (%u)", n);
	rc = ipxebuild_select(SITE_ARCH_X86_64 | SITE_ARCH_ARM64, NULL, &all, &d);
	ok(rc == 0 && all == (1u << n) - 1, "no --only: every binary of both arches");
	rc = ipxebuild_select(SITE_ARCH_X86_64, NULL, &mask, &d);
	ok(rc == 0 && mask && !(mask & (1u << 6)), "x86_64: not the arm64 one");
	rc = ipxebuild_select(SITE_ARCH_X86_64, "ipxe-amd64.efi,snponly.efi", &mask, &d);
	ok(rc == 0 && mask == ((1u << 4) | (1u << 5)), "--only two names: those two (%x)", mask);
	diag_clear(&d);
	rc = ipxebuild_select(SITE_ARCH_X86_64, "ipxe.iso", &mask, &d);
	ok(rc == -EINVAL && strstr(d.msg, "\"ipxe.iso\" is not a binary") &&
		   strstr(d.msg, "snponly.efi"),
	   "an unknown name: refused with the list: %s", d.msg);
	diag_clear(&d);
	rc = ipxebuild_select(SITE_ARCH_X86_64, "ipxe-arm64.efi", &mask, &d);
	ok(rc == -EINVAL && strstr(d.msg, "arm64 binary"), "another arch's binary: refused: %s",
	   d.msg);
	ok(ipxebuild_select(SITE_ARCH_X86_64, "", &mask, &d) == -EINVAL, "--only \"\": refused");
	ok(ipxebuild_select(SITE_ARCH_X86_64, "ipxe.lkrn,", &mask, &d) == -EINVAL,
	   "a trailing comma: refused");
	ok(ipxebuild_select(SITE_ARCH_X86_64, ",ipxe.lkrn", &mask, &d) == -EINVAL,
	   "a leading comma: refused");
	ok(ipxebuild_select(SITE_ARCH_X86_64, "ipxe.lkrn,,ipxe.pxe", &mask, &d) == -EINVAL,
	   "an empty name: refused");
}

int main(void)
{
	static const char tmpl[] = "static uint8_t req[] = {\n"
				   "\tDHCP_VENDOR_CLASS_ID, DHCP_STRING ( 'P', 'X', 'E' ),\n"
				   "\tDHCP_USER_CLASS_ID, DHCP_STRING ( 'i', 'P', 'X', 'E' ),\n"
				   "\tDHCP_END\n};\n"
				   "/* elsewhere */ case DHCP_USER_CLASS_ID: break;\n";
	struct diag d = { { 0 } };
	char *out, *two;
	int rc;

	out = patch(tmpl, "CSTM", &rc, &d);
	ok(rc == 0 && out && strstr(out, "DHCP_USER_CLASS_ID, DHCP_STRING ( 'C', 'S', 'T', 'M' ),"),
	   "CSTM replaces iPXE: %s", d.msg);
	ok(out && strstr(out, "DHCP_STRING ( 'P', 'X', 'E' )") &&
		   strstr(out, "case DHCP_USER_CLASS_ID:"),
	   "the rest of the text is untouched");
	free(out);

	out = patch(tmpl, "chainboot-lab", &rc, &d);
	ok(rc == 0 && out &&
		   strstr(out,
			  "( 'c', 'h', 'a', 'i', 'n', 'b', 'o', 'o', 't', '-', 'l', 'a', 'b' )"),
	   "a 13-byte class (build-ipxe has no length limit)");
	free(out);

	out = patch(tmpl, "a'b\\c", &rc, &d);
	ok(rc == 0 && out && strstr(out, "( 'a', '\\'', 'b', '\\\\', 'c' )"),
	   "quote and backslash escaped: %.48s",
	   out && strstr(out, "USER") ? strstr(out, "USER") : "");
	free(out);

	out = patch("DHCP_USER_CLASS_ID,DHCP_STRING('i','P','X','E'),", "AB", &rc, &d);
	ok(rc == 0 && out && !strcmp(out, "DHCP_USER_CLASS_ID,DHCP_STRING( 'A', 'B' ),"),
	   "no spaces in the source: %s", out ? out : d.msg);
	free(out);

	out = patch("int x = DHCP_USER_CLASS_ID;\n", "AB", &rc, &d);
	ok(rc == -ENOENT && !out && strstr(d.msg, "0 "), "no template line: refused: %s", d.msg);

	two = malloc(2 * sizeof(tmpl));
	strcpy(two, tmpl);
	strcat(two, tmpl);
	out = patch(two, "AB", &rc, &d);
	ok(rc == -EEXIST && !out && strstr(d.msg, "2 "), "two template lines: refused: %s", d.msg);
	free(two);

	out = patch("MY_DHCP_USER_CLASS_ID, DHCP_STRING ( 'x' ),", "AB", &rc, &d);
	ok(rc == -ENOENT, "a longer identifier is not the one");
	out = patch("DHCP_USER_CLASS_ID, DHCP_STRING ( 'x', f(1) ),", "AB", &rc, &d);
	ok(rc == -ENOENT, "an argument list that is not plain characters is not patched");
	out = patch("DHCP_USER_CLASS_ID, DHCP_STRING ( 'x'", "AB", &rc, &d);
	ok(rc == -ENOENT, "unterminated list at end of text: no over-read");
	test_pem();
	test_select();
	return test_done();
}
