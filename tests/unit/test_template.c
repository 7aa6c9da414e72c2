/* test_template: {{name}} compilation (load-time errors with lines), rendering, and the
 * escape rule that keeps client-sent facts from adding iPXE commands. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "test.h"
#include "testdata.h"

static const char *const names[] = { "mac", "serial", "kernel", "server", "x_1" };
#define N_NAMES (sizeof(names) / sizeof(names[0]))

static int resolve(const char *name, size_t len, void *arg)
{
	(void)arg;
	for (size_t i = 0; i < N_NAMES; i++)
		if (strlen(names[i]) == len && !memcmp(names[i], name, len))
			return (int)i;
	return -1;
}

static char out[TEMPLATE_MAX + 1];
static size_t outlen;

/* Compile text and render with vals; returns the compile/render rc. */
static int run(const char *text, const struct template_value *vals, struct template_error *err)
{
	struct template *t;
	int rc = template_compile(text, strlen(text), resolve, NULL, &t, err);

	if (rc)
		return rc;
	rc = template_render(t, vals, N_NAMES, out, sizeof(out), &outlen);
	template_free(t);
	return rc;
}

/* Only bytes the escape rule may produce. */
static bool escaped_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("-._~:%", c)))
			return false;
	}
	return true;
}

int main(void)
{
	struct template_value v[N_NAMES] = {
		{ "52:54:00:12:34:56", 17, true },
		{ "", 0, true },
		{ "http://198.51.100.1/vmlinuz console=ttyS0", 41, false },
		{ "http://198.51.100.1:8080", 24, false },
		{ NULL, 0, false },
	};
	struct template_error err = { 0, "" };
	struct template *t;
	char buf[64];
	int rc, n;

	rc = run("#!ipxe\nkernel {{kernel}} BOOTIF={{ mac }} s={{serial}}\nchain "
		 "{{server}}/x?m=${net0/mac}&y={{x_1}}\n",
		 v, &err);
	ok(rc == 0, "renders: %d %s", rc, err.msg);
	ok(!strcmp(out, "#!ipxe\nkernel http://198.51.100.1/vmlinuz console=ttyS0 "
			"BOOTIF=52:54:00:12:34:56 s=${}\n"
			"chain http://198.51.100.1:8080/x?m=${net0/mac}&y=\n"),
	   "admin values verbatim, facts escaped, empty fact is ${}, iPXE ${} untouched");
	ok(outlen == strlen(out), "length returned");
	ok(run("", v, &err) == 0 && outlen == 0, "empty template");
	ok(run("no placeholders { } {x} ${a} $ {", v, &err) == 0 &&
		   !strcmp(out, "no placeholders { } {x} ${a} $ {"),
	   "single braces pass");

	/* load-time errors, with the line */
	struct {
		const char *text;
		unsigned line;
		const char *msg;
	} bad[] = {
		{ "#!ipxe\n\nkernel {{initrd}}\n", 3, "{{initrd}}: unknown variable" },
		{ "#!ipxe\n{{mac\n}}", 2, "must close" },
		{ "{{mac}", 1, "must close" },
		{ "{{}}", 1, "starts with a letter" },
		{ "a\nb\n{{ma-c}}", 3, "only letters" },
		{ "{{1mac}}", 1, "starts with a letter" },
		{ "{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}", 1, "longer than 32" },
		{ "{{", 1, "must close" },
		{ "x {{ {{mac}}", 1, "must close" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		rc = run(bad[i].text, v, &err);
		ok(rc == -EINVAL && err.line == bad[i].line && strstr(err.msg, bad[i].msg),
		   "error %zu: line %u: %s", i, err.line, err.msg);
	}
	/* NUL bytes in a template are literal bytes, and counted */
	rc = template_compile("a\0{{mac}}", 9, resolve, NULL, &t, &err);
	ok(rc == 0, "NUL in text compiles");
	if (!rc) {
		rc = template_render(t, v, N_NAMES, out, sizeof(out), &outlen);
		ok(rc == 0 && outlen == 19 && out[1] == '\0' && !memcmp(out + 2, "52:54", 5),
		   "rendered with the NUL");
		ok(template_uses(t, 0) && !template_uses(t, 1), "template_uses");
		/* output cap */
		ok(template_render(t, v, N_NAMES, out, 19, &outlen) == -ENOSPC,
		   "no room for the NUL: -ENOSPC");
		ok(template_render(t, v, N_NAMES, out, 20, &outlen) == 0, "exact room");
		ok(template_render(t, v, 0, out, 20, &outlen) == 0 && outlen == 2,
		   "missing slot renders empty");
		template_free(t);
	}
	static char huge[TEMPLATE_MAX + 2];
	memset(huge, 'x', sizeof(huge) - 1);
	ok(template_compile(huge, TEMPLATE_MAX + 1, resolve, NULL, &t, &err) == -EFBIG,
	   "over TEMPLATE_MAX");

	/* every prefix of a template, guarded */
	const char *tx = "#!ipxe\n{{ kernel }} {{mac}} ${x} {{ serial}}{";
	int fails = 0;
	for (size_t k = 0; k <= strlen(tx); k++) {
		struct guarded g;
		if (guard_copy(&g, (const uint8_t *)tx, k))
			break;
		rc = template_compile((const char *)g.p, k, resolve, NULL, &t, &err);
		if (rc == 0) {
			if (template_render(t, v, N_NAMES, out, sizeof(out), &outlen))
				fails++;
			template_free(t);
		} else if (rc != -EINVAL) {
			fails++;
		}
		guard_free(&g);
	}
	ok(fails == 0, "template prefixes guarded");

	/* the escape rule */
	struct {
		const char *in;
		const char *want;
	} esc[] = {
		{ "SN-123_abc.~:", "SN-123_abc.~:" },
		{ "", "${}" },
		{ "a b", "a%20b" },
		{ "x\nshell", "x%0Ashell" },
		{ "${net0/mac}", "%24%7Bnet0%2Fmac%7D" },
		{ "&& shell", "%26%26%20shell" },
		{ "|| reboot", "%7C%7C%20reboot" },
		{ "#comment", "%23comment" },
		{ "a;b", "a%3Bb" },
		{ "q\"'\\", "q%22%27%5C" },
		{ "100%", "100%25" },
		{ "a+b=c&d", "a%2Bb%3Dc%26d" },
		{ "\xc3\xa9\xff", "%C3%A9%FF" },
	};
	for (size_t i = 0; i < sizeof(esc) / sizeof(esc[0]); i++) {
		n = template_escape(esc[i].in, strlen(esc[i].in), buf, sizeof(buf));
		ok(n == (int)strlen(esc[i].want) && !strcmp(buf, esc[i].want),
		   "escape \"%s\" -> %s", esc[i].want, buf);
	}
	/* every single byte value, and random strings: only the safe alphabet comes out */
	int unsafe = 0;
	for (int c = 0; c < 256; c++) {
		char in = (char)c;
		n = template_escape(&in, 1, buf, sizeof(buf));
		if (n < 1 || !escaped_ok(buf, (size_t)n))
			unsafe++;
	}
	srand(7);
	for (int r = 0; r < 2000; r++) {
		char in[20];
		for (size_t k = 0; k < sizeof(in); k++)
			in[k] = (char)(rand() & 0xff);
		n = template_escape(in, sizeof(in), buf, sizeof(buf));
		if (n < 0 || !escaped_ok(buf, (size_t)n) ||
		    (size_t)n > TEMPLATE_ESCAPE_SIZE(sizeof(in)))
			unsafe++;
	}
	ok(unsafe == 0, "escaped output is always [A-Za-z0-9-._~:%%] (%d bad)", unsafe);
	ok(template_escape("abc", 3, buf, 3) == -ENOSPC && template_escape("abc", 3, buf, 4) == 3,
	   "escape cap");
	ok(template_escape(" ", 1, buf, 3) == -ENOSPC && template_escape("", 0, buf, 3) == -ENOSPC,
	   "escape cap, %%XX and ${}");
	return test_done();
}
