/* template: server-side {{name}} substitution in iPXE script templates — compiled once
 * (every name checked at load time), rendered per request. Pure: no I/O, no globals. */
#ifndef CB_TEMPLATE_H
#define CB_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#define TEMPLATE_MAX	  65536 /* bytes of template text, and of a rendered script */
#define TEMPLATE_NAME_MAX 32	/* bytes of a {{name}} */

/* Longest escaped form of n bytes: every byte may become %XX; "${}" when empty. */
#define TEMPLATE_ESCAPE_SIZE(n) (3 * (n) + 4)

struct template;

/* Maps a placeholder name (not NUL-terminated) to a slot number >= 0, or -1 when the
 * name is unknown (a load-time error). */
typedef int (*template_resolve_fn)(const char *name, size_t len, void *arg);

struct template_error {
	unsigned line; /* 1-based line of the template text */
	char msg[256];
};

/* Compile text[0..len): "{{ name }}" (spaces optional; name [A-Za-z_][A-Za-z0-9_]*, at
 * most TEMPLATE_NAME_MAX bytes, on one line) becomes a slot from resolve(); everything
 * else, iPXE's own ${...} included, is kept as it is. Returns 0, -EINVAL (err says
 * where and why: unknown name, unclosed "{{", bad name), -EFBIG (over TEMPLATE_MAX) or
 * -ENOMEM. */
int template_compile(const char *text, size_t len, template_resolve_fn resolve, void *arg,
		     struct template **out, struct template_error *err);

void template_free(struct template *t);

/* Does the template use slot? (e.g. to skip preparing a value nobody reads) */
bool template_uses(const struct template *t, int slot);

struct template_value {
	const char *s;
	size_t len;
	bool escape; /* a value a client sent: passed through template_escape() */
};

/* Render with vals[slot] for each placeholder (a slot >= nvals renders empty) into
 * out[0..cap), NUL-terminated. Returns 0 with *outlen set, or -ENOSPC. */
int template_render(const struct template *t, const struct template_value *vals, size_t nvals,
		    char *out, size_t cap, size_t *outlen);

/* The escape rule for client-sent values. Bytes in RFC 3986's unreserved set
 * (A-Z a-z 0-9 - . _ ~) and ':' are kept, every other byte becomes %XX (upper-case
 * hex), and an empty value becomes "${}" (iPXE expands it to nothing, but it is still a
 * word, so `iseq {{serial}} X` keeps two arguments). The result is one iPXE word that
 * holds no whitespace, newline, '$', '{', '}', '#', '&', '|', ';', quote or backslash:
 * it can neither start a command, a comment or an expansion, nor end a line; it is
 * also a correctly encoded URL query value. Returns the length written (without the
 * NUL), or -ENOSPC; out needs TEMPLATE_ESCAPE_SIZE(n) bytes. */
int template_escape(const char *in, size_t n, char *out, size_t cap);

#endif
