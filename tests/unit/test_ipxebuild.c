/* test_ipxebuild: the dhcp.c user-class patch of build-ipxe on synthetic source text
 * (no iPXE source here): one match rewritten, quoting, none or several refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipxebuild.h"
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
	return test_done();
}
