/* template: compile "{{name}}" placeholders in an iPXE script template and render them.
 *
 * Untrusted inputs: the template text is the administrator's file (counted bytes; may
 * hold anything, NULs included), checked here with file-line errors. The values given
 * to template_render() marked `escape` come from HTTP clients (facts such as serial or
 * hostname): they pass through template_escape(), whose rule (see template.h) makes it
 * impossible for them to add an iPXE command, comment, expansion or line.
 *
 * Why {{...}} and not ${...}: iPXE expands ${...} itself at run time, and templates use
 * that (${net0/mac}, ${cb-choice}); server-side values need a syntax iPXE never sees.
 */
#include "template.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct seg {
	uint32_t off; /* into text; literal segments only */
	uint32_t len;
	int32_t slot; /* -1: literal */
};

struct template
{
	struct seg *segs;
	size_t n_segs;
	char *text; /* the literal bytes, owned */
	size_t text_len;
};

static bool name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(unsigned char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

static int error_at(struct template_error *err, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int error_at(struct template_error *err, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->line = line;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Find "{{" at or after i; returns len when there is none. */
static size_t find_open(const char *t, size_t i, size_t len)
{
	for (; len - i >= 2; i++)
		if (t[i] == '{' && t[i + 1] == '{')
			return i;
	return len;
}

int template_compile(const char *text, size_t len, template_resolve_fn resolve, void *arg,
		     struct template **out, struct template_error *err)
{
	struct template *t;
	size_t i = 0, n_open = 0, k, line = 1;

	*out = NULL;
	if (len > TEMPLATE_MAX)
		return -EFBIG;
	/* Upper bound on segments: each "{{" gives at most a literal and a placeholder. */
	for (k = find_open(text, 0, len); k < len; k = find_open(text, k + 2, len))
		n_open++;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->segs = calloc(2 * n_open + 1, sizeof(*t->segs));
	t->text = malloc(len + 1);
	if (!t->segs || !t->text) {
		template_free(t);
		return -ENOMEM;
	}
	memcpy(t->text, text, len);
	t->text[len] = '\0';
	t->text_len = len;

	while (i < len) {
		size_t o = find_open(text, i, len), ns, ne, j;
		int slot;

		for (j = i; j < o; j++)
			line += text[j] == '\n';
		if (o > i)
			t->segs[t->n_segs++] = (struct seg){ (uint32_t)i, (uint32_t)(o - i), -1 };
		if (o == len)
			break;
		j = o + 2;
		while (j < len && text[j] == ' ')
			j++;
		ns = j;
		while (j < len && name_char((unsigned char)text[j]))
			j++;
		ne = j;
		while (j < len && text[j] == ' ')
			j++;
		if (len - j < 2 || text[j] != '}' || text[j + 1] != '}') {
			/* Say what is there, up to the line's end, printable only. */
			size_t e = o;
			while (e < len && e - o < 40 && text[e] != '\n' &&
			       (unsigned char)text[e] >= 0x20)
				e++;
			if (ne == ns || j >= len || text[j] == '\n' || text[j] == '}' ||
			    name_char((unsigned char)text[j]))
				return template_free(t),
				       error_at(err, (unsigned)line,
						"\"%.*s\": \"{{\" starts a placeholder {{name}} "
						"(letters, digits, _) that must close with \"}}\" "
						"on the same line",
						(int)(e - o), text + o);
			return template_free(t), error_at(err, (unsigned)line,
							  "\"%.*s\": a placeholder name holds only "
							  "letters, digits and _",
							  (int)(e - o), text + o);
		}
		if (ne == ns || !name_start((unsigned char)text[ns]))
			return template_free(t),
			       error_at(
				       err, (unsigned)line,
				       "\"{{%.*s}}\": a placeholder name starts with a letter or _",
				       (int)(ne - ns), text + ns);
		if (ne - ns > TEMPLATE_NAME_MAX)
			return template_free(t),
			       error_at(err, (unsigned)line,
					"\"{{%.*s...}}\": placeholder name longer than 32 bytes",
					32, text + ns);
		slot = resolve(text + ns, ne - ns, arg);
		if (slot < 0)
			return template_free(t),
			       error_at(err, (unsigned)line, "{{%.*s}}: unknown variable",
					(int)(ne - ns), text + ns);
		t->segs[t->n_segs++] = (struct seg){ 0, 0, slot };
		i = j + 2;
	}
	*out = t;
	return 0;
}

void template_free(struct template *t)
{
	if (!t)
		return;
	free(t->segs);
	free(t->text);
	free(t);
}

bool template_uses(const struct template *t, int slot)
{
	for (size_t i = 0; i < t->n_segs; i++)
		if (t->segs[i].slot == slot)
			return true;
	return false;
}

int template_escape(const char *in, size_t n, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (n == 0) {
		if (cap < 4)
			return -ENOSPC;
		memcpy(out, "${}", 4);
		return 3;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
			    c == '~' || c == ':';
		size_t need = keep ? 1 : 3;
		if (need >= cap - o || cap == 0)
			return -ENOSPC;
		if (keep) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return (int)o;
}

int template_render(const struct template *t, const struct template_value *vals, size_t nvals,
		    char *out, size_t cap, size_t *outlen)
{
	size_t o = 0;

	if (cap == 0)
		return -ENOSPC;
	for (size_t i = 0; i < t->n_segs; i++) {
		const struct seg *s = &t->segs[i];
		const struct template_value *v;

		if (s->slot < 0) {
			if (s->len >= cap - o)
				return -ENOSPC;
			memcpy(out + o, t->text + s->off, s->len);
			o += s->len;
			continue;
		}
		if ((size_t)s->slot >= nvals)
			continue;
		v = &vals[s->slot];
		if (v->escape) {
			int n = template_escape(v->s ? v->s : "", v->s ? v->len : 0, out + o,
						cap - o);
			if (n < 0)
				return -ENOSPC;
			o += (size_t)n;
		} else if (v->s && v->len) {
			if (v->len >= cap - o)
				return -ENOSPC;
			memcpy(out + o, v->s, v->len);
			o += v->len;
		}
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
}
