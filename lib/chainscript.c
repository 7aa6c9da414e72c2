/* chainscript: render the embedded iPXE chain script from its template and the site config.
 *
 * Untrusted inputs: the template text (counted bytes; may hold anything, NULs included)
 * and every string in struct site_config (each must find its NUL inside its array).
 *
 * How iPXE reads a script line, learnt from the iPXE source Debian's
 * 1.21.1+git20250501.dad20602 is built from (src/image/script.c, src/core/exec.c,
 * src/core/settings.c expand_settings(), src/hci/commands/nvo_cmd.c):
 *  - '\n' ends a line, a '\r' just before it is dropped, a '\\' at its very end joins
 *    the next line;
 *  - the line is cut into words at isspace() bytes; there is no quoting or escaping,
 *    so quotes and backslashes are ordinary bytes;
 *  - a word beginning with '#' starts a comment; the whole words "&&", "||" and ";"
 *    separate commands ("a&b" or "x&&y" inside a word are ordinary text);
 *  - then each word is expanded: the last "${" before the first "}" is replaced by
 *    that setting's value (empty if unset or badly named), over and over until no
 *    "${" is followed by a "}"; so a value holding "${...}" can neither be stored by
 *    `set` nor survive being used, while a "${" with no "}" after it stays literal;
 *  - `set` joins its value words with exactly one space.
 */
#include "chainscript.h"

#include "facts.h"
#include "fileio.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* "${}" is a word that expands to nothing: the empty name never matches a setting
 * (iPXE setting_cmp() does not compare empty names and tag 0 is DHCP padding). It
 * stands for an empty word between two spaces, and hides a leading '#' or a whole
 * "&&" from the parser. */
#define EMPTY_WORD     "${}"
#define EMPTY_WORD_LEN 3

/* Upper bounds for the numbers we write; beyond them the script would misbehave
 * (int32 overflow in `inc`, unsigned ms overflow in --timeout) or wait absurdly. */
#define MAX_ROUNDS	 1000u
#define MAX_DHCP_TRIES	 100u
#define MAX_HTTP_TIMEOUT 3600u	/* s */
#define MAX_WAIT	 86400u /* s: menu timeout and any one backoff wait */

#define PLACEHOLDER_MAX 32

/* Bounded writer over a caller's buffer; cap counts the NUL. */
struct sbuf {
	char *p;
	size_t len;
	size_t cap;
};

static int sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->cap == 0 || n > b->cap - 1 - b->len)
		return -ENOSPC;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int sb_str(struct sbuf *b, const char *s)
{
	return sb_put(b, s, strlen(s));
}

static int sb_fmt(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int sb_fmt(struct sbuf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -EINVAL; /* only short fixed lines come through here */
	return sb_put(b, tmp, (size_t)n);
}

enum quote_problem {
	QUOTE_OK,
	QUOTE_CONTROL, /* a byte below 0x20 or 0x7f */
	QUOTE_EXPANDS, /* "${" followed later by "}" */
};

/* Find the first thing in s that no iPXE `set` line can carry; *off is its offset. */
static enum quote_problem quote_problem(const char *s, size_t *off)
{
	const char *open = NULL;
	const char *p;

	for (p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		/* '\n' would end the line, '\r' is stripped at its end, and tab/VT/FF
		 * are word breaks that `set` would turn into one space. */
		if (ch < 0x20 || ch == 0x7f) {
			*off = (size_t)(p - s);
			return QUOTE_CONTROL;
		}
		if (!open && ch == '$' && p[1] == '{')
			open = p;
		if (open && ch == '}') {
			*off = (size_t)(open - s);
			return QUOTE_EXPANDS;
		}
	}
	return QUOTE_OK;
}

/* One space-free piece of the input as an iPXE word. */
static int quote_word(struct sbuf *b, const char *w, size_t n, bool last)
{
	int rc;

	if (n == 0) /* two spaces in a row, or a space at either end */
		return sb_put(b, EMPTY_WORD, EMPTY_WORD_LEN);
	if (w[0] == '#' || (n == 2 && (!memcmp(w, "&&", 2) || !memcmp(w, "||", 2))) ||
	    (n == 1 && w[0] == ';')) {
		rc = sb_put(b, EMPTY_WORD, EMPTY_WORD_LEN);
		if (rc)
			return rc;
	}
	rc = sb_put(b, w, n);
	if (rc)
		return rc;
	/* A '\\' ending the line would join the next line onto this one. */
	if (last && w[n - 1] == '\\')
		rc = sb_put(b, EMPTY_WORD, EMPTY_WORD_LEN);
	return rc;
}

int chainscript_quote(const char *in, char *out, size_t outsz)
{
	struct sbuf b = { out, 0, outsz };
	size_t n, i, start = 0, off;
	int rc;

	if (!in || !out)
		return -EINVAL;
	if (outsz == 0)
		return -ENOSPC;
	out[0] = '\0';
	if (quote_problem(in, &off) != QUOTE_OK)
		return -EINVAL;

	/* Split at every single space: `set` puts exactly one space back between words. */
	n = strlen(in);
	for (i = 0; i <= n; i++) {
		if (i < n && in[i] != ' ')
			continue;
		if (start > 0 && (rc = sb_put(&b, " ", 1)) != 0)
			goto err;
		rc = quote_word(&b, in + start, i - start, i == n);
		if (rc)
			goto err;
		start = i + 1;
	}
	return 0;

err:
	out[0] = '\0';
	return rc;
}

/* Check one config string: terminated inside its array, non-empty, quotable. */
static int check_text(const char *s, size_t cap, const char *what, struct diag *d)
{
	size_t off;

	if (!memchr(s, '\0', cap))
		return diag_set(d, -EINVAL, "%s: longer than %zu bytes", what, cap - 1);
	if (!s[0])
		return diag_set(d, -EINVAL, "%s: empty", what);
	switch (quote_problem(s, &off)) {
	case QUOTE_CONTROL:
		return diag_set(d, -EINVAL,
				"%s: control byte 0x%02x at offset %zu: an iPXE script line "
				"cannot carry it (newline ends the line, tab splits words); "
				"percent-encode it",
				what, (unsigned char)s[off], off);
	case QUOTE_EXPANDS:
		return diag_set(d, -EINVAL,
				"%s: \"${\" at offset %zu is closed by a later \"}\": iPXE "
				"replaces ${...} with a setting every time the value is used, "
				"so it cannot pass through literally; write $ as %%24 or "
				"{ } as %%7B %%7D",
				what, off);
	case QUOTE_OK:
		break;
	}
	return 0;
}

static int check_range(unsigned v, unsigned lo, unsigned hi, const char *what, const char *unit,
		       struct diag *d)
{
	if (v < lo || v > hi)
		return diag_set(d, -EINVAL, "%s: %u%s is out of range; allowed %u to %u%s", what, v,
				unit, lo, hi, unit);
	return 0;
}

/* A [static] field holds what staticnet_parse() writes: dotted IPv4 or MAC text only. */
static bool static_text_ok(const char *s, size_t cap, bool empty_ok)
{
	size_t n = strnlen(s, cap);

	return n < cap && (n || empty_ok) && strspn(s, "0123456789abcdef:.") == n;
}

static int check_statics(const struct site_config *c, struct diag *d)
{
	unsigned any = 0;

	if (c->n_statics > STATICNET_MAX)
		return diag_set(d, -EINVAL, "[static]: %u entries, at most %d allowed",
				c->n_statics, STATICNET_MAX);
	for (unsigned i = 0; i < c->n_statics; i++) {
		const struct staticnet *e = &c->statics[i];

		any += staticnet_is_any(e);
		if (!static_text_ok(e->mac, sizeof(e->mac), true) ||
		    !static_text_ok(e->addr, sizeof(e->addr), false) ||
		    !static_text_ok(e->netmask, sizeof(e->netmask), false) ||
		    !static_text_ok(e->gateway, sizeof(e->gateway), true) ||
		    !static_text_ok(e->dns, sizeof(e->dns), true))
			return diag_set(d, -EINVAL,
					"[static] entry %u: not as staticnet_parse() writes it "
					"(MAC and dotted IPv4 text only)",
					i + 1);
	}
	if (any > 1)
		return diag_set(d, -EINVAL, "[static]: %u entries for any MAC, at most one", any);
	return 0;
}

static int check_config(const struct site_config *c, struct diag *d)
{
	char what[64];
	unsigned i, r, wait;
	int rc;

	rc = check_text(c->user_class, sizeof(c->user_class), "[site] user_class", d);
	if (rc)
		return rc;
	if (c->n_urls > SITE_MAX_URLS)
		return diag_set(d, -EINVAL, "[chain] url: %u URLs, at most %u allowed", c->n_urls,
				SITE_MAX_URLS);
	for (i = 0; i < c->n_urls; i++) {
		const char *u = c->urls[i];

		snprintf(what, sizeof(what), "[chain] url %u", i + 1);
		rc = check_text(u, sizeof(c->urls[i]), what, d);
		if (rc)
			return rc;
		/* `chain` would take a word starting with '-' as an option; a scheme
		 * starts with a letter (RFC 3986 section 3.1). */
		if (!isalpha((unsigned char)u[0]) || !strchr(u, ':'))
			return diag_set(d, -EINVAL,
					"%s: \"%s\" is not an absolute URL (want e.g. "
					"http://host/boot.ipxe)",
					what, u);
		/* iPXE never sends a fragment, and the machine facts would land in it. */
		if (strchr(u, '#'))
			return diag_set(d, -EINVAL,
					"%s: \"%s\" has a #fragment, which is never sent to "
					"the server and would swallow the machine facts; "
					"remove it",
					what, u);
	}
	if ((rc = check_range(c->rounds, 1, MAX_ROUNDS, "[chain] rounds", "", d)) ||
	    (rc = check_range(c->dhcp_tries, 1, MAX_DHCP_TRIES, "[chain] dhcp_tries", "", d)) ||
	    (rc = check_range(c->http_timeout, 1, MAX_HTTP_TIMEOUT, "[chain] http_timeout", " s",
			      d)) ||
	    (rc = check_range(c->menu_timeout, 0, MAX_WAIT, "[chain] menu_timeout", " s", d)) ||
	    (rc = check_range(c->backoff, 0, MAX_WAIT, "[chain] backoff", " s", d)))
		return rc;
	if (c->vlan > SITE_VLAN_MAX)
		return diag_set(d, -EINVAL,
				"[chain] vlan: %u is out of range; allowed 1 to %d (0: none)",
				c->vlan, SITE_VLAN_MAX);
	if ((rc = check_statics(c, d)))
		return rc;
	/* The wait doubles after every pass but the last: backoff * 2^(rounds - 2). */
	wait = c->backoff;
	for (r = 2; r < c->rounds && wait; r++) {
		if (wait > MAX_WAIT / 2)
			return diag_set(d, -EINVAL,
					"[chain] backoff: %u s doubling after each of %u "
					"rounds would wait more than %u s before the last "
					"round; lower rounds or backoff",
					c->backoff, c->rounds, MAX_WAIT);
		wait *= 2;
	}
	return 0;
}

/* `set name <value>` with the value quoted; value was checked by check_config(). */
static int put_set(struct sbuf *b, const char *name, const char *value)
{
	char q[CHAINSCRIPT_QUOTE_SIZE(SITE_URL_MAX)];
	int rc;

	rc = chainscript_quote(value, q, sizeof(q));
	if (rc)
		return rc;
	if ((rc = sb_str(b, "set ")) || (rc = sb_str(b, name)) || (rc = sb_put(b, " ", 1)) ||
	    (rc = sb_str(b, q)) || (rc = sb_put(b, "\n", 1)))
		return rc;
	return 0;
}

/* One [static] entry as cb-smacI, cb-sipI, cb-smaskI and, when given, cb-sgwI, cb-sdnsI. */
static int put_static(struct sbuf *b, unsigned i, const struct staticnet *e)
{
	int rc;

	if ((rc = sb_fmt(b, "set cb-smac%u %s\n", i, staticnet_is_any(e) ? "any" : e->mac)) ||
	    (rc = sb_fmt(b, "set cb-sip%u %s\n", i, e->addr)) ||
	    (rc = sb_fmt(b, "set cb-smask%u %s\n", i, e->netmask)))
		return rc;
	if (e->gateway[0] && (rc = sb_fmt(b, "set cb-sgw%u %s\n", i, e->gateway)))
		return rc;
	if (e->dns[0] && (rc = sb_fmt(b, "set cb-sdns%u %s\n", i, e->dns)))
		return rc;
	return 0;
}

/* The [static] entries: those for a MAC first, the one for any MAC last, because the
 * script takes the first that matches. */
static int put_statics(struct sbuf *b, const struct site_config *c)
{
	unsigned k = 0;
	int rc;

	if ((rc = sb_fmt(b, "set cb-nstatic:int32 %u\n", c->n_statics)))
		return rc;
	for (int any = 0; any < 2; any++)
		for (unsigned i = 0; i < c->n_statics; i++)
			if (staticnet_is_any(&c->statics[i]) == any &&
			    (rc = put_static(b, k++, &c->statics[i])))
				return rc;
	return 0;
}

/* The @SETTINGS@ block: every site value the template's logic reads. */
static int put_settings(struct sbuf *b, const struct site_config *c)
{
	char name[32];
	unsigned i;
	int rc;

	rc = sb_str(b, "# Site values (written by chainboot from the site file).\n");
	if (rc)
		return rc;
	/* At run time, so that even a stock iPXE binary asks DHCP as this class. */
	if ((rc = put_set(b, "user-class", c->user_class)))
		return rc;
	if ((rc = sb_fmt(b, "set cb-try-offered %d\n", c->try_offered ? 1 : 0)) ||
	    (rc = sb_fmt(b, "set cb-rounds:int32 %u\n", c->rounds)) ||
	    (rc = sb_fmt(b, "set cb-backoff:int32 %u\n", c->backoff)) ||
	    (rc = sb_fmt(b, "set cb-dhcp-tries:int32 %u\n", c->dhcp_tries)) ||
	    (rc = sb_fmt(b, "set cb-http-ms:int32 %u\n", c->http_timeout * 1000u)) ||
	    (rc = sb_fmt(b, "set cb-menu-ms:int32 %u\n", c->menu_timeout * 1000u)) ||
	    (rc = sb_fmt(b, "set cb-nurls:int32 %u\n", c->n_urls)) ||
	    (rc = sb_fmt(b, "set cb-vlan %u\n", c->vlan)) || (rc = put_statics(b, c)))
		return rc;
	for (i = 0; i < c->n_urls; i++) {
		const char *u = c->urls[i];
		size_t len = strlen(u);
		const char *sep;

		snprintf(name, sizeof(name), "cb-url%u", i);
		if ((rc = put_set(b, name, u)))
			return rc;
		/* The facts join an existing query with '&'; nothing is needed when the
		 * URL already ends in '?' or '&'. */
		if (u[len - 1] == '?' || u[len - 1] == '&')
			sep = EMPTY_WORD;
		else
			sep = strchr(u, '?') ? "&" : "?";
		if ((rc = sb_fmt(b, "set cb-sep%u %s\n", i, sep)))
			return rc;
		/* An https:// URL that fails gets a line on trusting the site's own CA. */
		if ((rc = sb_fmt(b, "set cb-tls%u %d\n", i, !strncasecmp(u, "https://", 8))))
			return rc;
	}
	return 0;
}

/* @FACTS@: the machine facts as a query (facts.h), from the chain script's own per-NIC
 * settings for the MAC and UUID. */
static int put_facts(struct sbuf *b)
{
	static const struct facts_expr e = { .mac = "${cb-mac:uristring}",
					     .uuid = "${cb-uuid:uristring}" };
	char q[1024];
	int rc = facts_query(&e, q, sizeof(q));

	return rc ? rc : sb_str(b, q);
}

/* Length of a placeholder name after the '@' at t[0], or 0 if t is not "@NAME@". */
static size_t placeholder_len(const char *t, size_t left)
{
	size_t i;

	for (i = 1; i < left && i <= PLACEHOLDER_MAX; i++) {
		unsigned char ch = (unsigned char)t[i];

		if (ch == '@')
			return i > 1 ? i - 1 : 0;
		if (!(isupper(ch) || isdigit(ch) || ch == '_'))
			return 0;
	}
	return 0;
}

static int render(const struct site_config *c, const char *t, size_t tlen, struct sbuf *b,
		  struct diag *d)
{
	char q[CHAINSCRIPT_QUOTE_SIZE(SITE_CLASS_MAX)];
	unsigned line = 1, settings_line = 0;
	size_t i = 0, run;
	int rc;

	while (i < tlen) {
		const char *at = memchr(t + i, '@', tlen - i);
		size_t nlen;

		run = at ? (size_t)(at - (t + i)) : tlen - i;
		for (size_t k = 0; k < run; k++)
			line += t[i + k] == '\n';
		if ((rc = sb_put(b, t + i, run)))
			return rc;
		i += run;
		if (i == tlen)
			break;

		nlen = placeholder_len(t + i, tlen - i);
		if (nlen == 0) { /* a lone '@' is text */
			if ((rc = sb_put(b, "@", 1)))
				return rc;
			i++;
			continue;
		}
		if (nlen == 8 && !memcmp(t + i + 1, "SETTINGS", 8)) {
			size_t end = i + nlen + 2;

			/* It expands to whole lines, so it must stand alone on one. */
			if ((i > 0 && t[i - 1] != '\n') ||
			    (end < tlen && t[end] != '\n' && t[end] != '\r'))
				return diag_set(d, -EINVAL,
						"template line %u: @SETTINGS@ must stand "
						"alone on its line",
						line);
			if (settings_line)
				return diag_set(d, -EINVAL,
						"template line %u: second @SETTINGS@ (first "
						"on line %u)",
						line, settings_line);
			settings_line = line;
			if ((rc = put_settings(b, c)))
				return rc;
			/* put_settings() ended with '\n'; the template's own follows. */
			if (b->len && b->p[b->len - 1] == '\n' && end < tlen && t[end] == '\n')
				b->p[--b->len] = '\0';
		} else if (nlen == 10 && !memcmp(t + i + 1, "USER_CLASS", 10)) {
			if ((rc = chainscript_quote(c->user_class, q, sizeof(q))) ||
			    (rc = sb_str(b, q)))
				return rc;
		} else if (nlen == 5 && !memcmp(t + i + 1, "FACTS", 5)) {
			if ((rc = put_facts(b)))
				return rc;
		} else {
			return diag_set(d, -EINVAL,
					"template line %u: unknown placeholder @%.*s@ "
					"(known: @SETTINGS@, @USER_CLASS@, @FACTS@)",
					line, (int)nlen, t + i + 1);
		}
		i += nlen + 2;
	}
	if (!settings_line)
		return diag_set(d, -EINVAL,
				"template has no @SETTINGS@ line: the script would run "
				"without the site's values");
	return 0;
}

int chainscript_render(const struct site_config *c, const char *tmpl, size_t tmpl_len, char **out,
		       size_t *out_len, struct diag *d)
{
	struct sbuf b;
	const char *nul;
	char *shrunk;
	int rc;

	if (!out || !out_len)
		return diag_set(d, -EINVAL, "chainscript_render: no output pointer");
	*out = NULL;
	*out_len = 0;
	if (!c || (!tmpl && tmpl_len))
		return diag_set(d, -EINVAL, "chainscript_render: no config or template");

	rc = check_config(c, d);
	if (rc)
		return rc;
	/* iPXE only runs an image as a script if it starts with this signature. */
	if (tmpl_len < 6 || memcmp(tmpl, "#!ipxe", 6) != 0)
		return diag_set(d, -EINVAL,
				"template does not start with \"#!ipxe\"; iPXE would not "
				"recognise the result as a script");
	nul = memchr(tmpl, '\0', tmpl_len);
	if (nul) {
		unsigned line = 1;

		for (const char *p = tmpl; p < nul; p++)
			line += *p == '\n';
		return diag_set(d, -EINVAL, "template line %u: NUL byte (iPXE ends the line there)",
				line);
	}

	b.cap = CHAINSCRIPT_MAX + 1;
	b.len = 0;
	b.p = malloc(b.cap);
	if (!b.p)
		return diag_set(d, -ENOMEM, "chain script: out of memory");
	b.p[0] = '\0';

	rc = render(c, tmpl, tmpl_len, &b, d);
	if (rc == -ENOSPC)
		rc = diag_set(d, -EFBIG,
			      "rendered chain script would exceed %d bytes; shorten the "
			      "template or the URLs",
			      CHAINSCRIPT_MAX);
	if (rc) {
		/* Every path above names its cause; this only guards against silence. */
		diag_set(d, rc, "chain script: rendering failed (%s)", strerror(-rc));
		goto err;
	}

	shrunk = realloc(b.p, b.len + 1);
	*out = shrunk ? shrunk : b.p;
	*out_len = b.len;
	return 0;

err:
	free(b.p);
	return rc;
}

int chainscript_render_file(const struct site_config *c, const char *path, const char *what,
			    char **out, size_t *out_len, struct diag *d)
{
	char *tmpl;
	size_t tlen;
	int rc = fileio_read_text(path, 1 << 20, &tmpl, &tlen, d);

	if (rc)
		return rc;
	rc = chainscript_render(c, tmpl, tlen, out, out_len, d);
	free(tmpl);
	return rc ? diag_prefix(d, rc, "%s", what ? what : path) : 0;
}
