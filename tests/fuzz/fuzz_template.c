/* fuzz_template: libFuzzer harness for template compilation, rendering and escaping
 * (lib/template.c). The input is a template's text; its last bytes also serve as the
 * client-sent values. Checks: no crash or over-read; a compiled template renders within
 * the cap; with every value escaped the output has exactly the template's newlines (a
 * value cannot add a line) and no "${" beyond the template's own; escaped values use
 * only the documented alphabet. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "template.h"

static const char *const names[] = { "mac", "serial", "hostname", "kernel", "x" };
#define N (sizeof(names) / sizeof(names[0]))

static int resolve(const char *name, size_t len, void *arg)
{
	(void)arg;
	for (size_t i = 0; i < N; i++)
		if (strlen(names[i]) == len && !memcmp(names[i], name, len))
			return (int)i;
	return -1;
}

static size_t count(const char *s, size_t n, const char *what)
{
	size_t k = strlen(what), c = 0;

	for (size_t i = 0; i + k <= n; i++)
		if (!memcmp(s + i, what, k))
			c++;
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[TEMPLATE_MAX + 1], esc[TEMPLATE_ESCAPE_SIZE(64)];
	struct template_error err;
	struct template *t = NULL;
	char *text = malloc(size ? size : 1);
	size_t vlen = size < 64 ? size : 64, outlen = 0;
	int rc, n;

	if (!text)
		return 0;
	memcpy(text, data, size);
	/* the escape rule on the input's tail */
	n = template_escape(text + size - vlen, vlen, esc, sizeof(esc));
	CHECK(n >= 0);
	for (int i = 0; i < n; i++) {
		unsigned char c = (unsigned char)esc[i];
		CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("-._~:%${}", c));
	}
	CHECK(vlen ? (size_t)n <= 3 * vlen && !strchr(esc, '$') : !strcmp(esc, "${}"));

	rc = template_compile(text, size, resolve, NULL, &t, &err);
	CHECK(rc == 0 || rc == -EINVAL || rc == -EFBIG);
	if (rc == 0) {
		struct template_value v[N];
		for (size_t i = 0; i < N; i++)
			v[i] = (struct template_value){ text + size - vlen, vlen, true };
		rc = template_render(t, v, N, out, sizeof(out), &outlen);
		CHECK(rc == 0 || rc == -ENOSPC);
		if (rc == 0) {
			CHECK(outlen < sizeof(out) && out[outlen] == '\0');
			CHECK(count(out, outlen, "\n") == count(text, size, "\n"));
			/* non-empty escaped values bring no "${" (an empty one is "${}") */
			if (vlen)
				CHECK(count(out, outlen, "${") <= count(text, size, "${"));
		}
		template_free(t);
	} else if (rc == -EINVAL) {
		CHECK(err.line >= 1 && err.line <= count(text, size, "\n") + 1 &&
		      memchr(err.msg, '\0', sizeof(err.msg)));
	}
	free(text);
	return 0;
}
