/* inventory_parse: the inventory file's text to sections, keys and values, each value
 * checked as it is read (inventory_int.h). Pure: it reads nothing but the text it is
 * given, so tests and the fuzzer feed it bytes directly.
 *
 * Untrusted input: the text is the administrator's file — every line is checked and
 * every problem reported as "file:line: ...", all at once. Format (documented for users
 * in examples/inventory.ini): libinih reads it through lib/iniline.c (lines counted,
 * over-long lines refused rather than split); reader() follows [kind NAME] headers
 * itself (inih truncates section names at 50 bytes). An indented line continues the
 * value above it (Python configparser style, as inih does): that is how inline scripts
 * and long values are written. Keys come from one table (keys[]), indexed by enum
 * inv_key.
 */
#include "inventory_int.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "facts.h"
#include "hex.h"

/* The built-in template names, in slot order: the facts (lib/facts.c has their one
 * list, in enum inv_fact order: test_facts checks it), then these. */
static const char *const slot_names[INV_N_BUILTIN - INV_N_FACTS] = {
	[INV_SLOT_CLIENT - INV_N_FACTS] = "client",
	[INV_SLOT_MACHINE - INV_N_FACTS] = "machine",
	[INV_SLOT_PROFILE - INV_N_FACTS] = "profile",
	[INV_SLOT_SERVER - INV_N_FACTS] = "server",
	[INV_SLOT_SCRIPT_URL - INV_N_FACTS] = "script_url",
	[INV_SLOT_QUERY - INV_N_FACTS] = "query",
};

const char *inv_builtin_name(int slot)
{
	if (slot >= 0 && slot < INV_N_FACTS && (size_t)slot < facts_count)
		return facts_names[slot];
	if (slot >= INV_N_FACTS && slot < INV_N_BUILTIN)
		return slot_names[slot - INV_N_FACTS];
	return "?";
}

const char *inv_builtin_list(char *buf, size_t cap, const char *sep)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < INV_N_BUILTIN && n < cap; i++) {
		int w = snprintf(buf + n, cap - n, "%s%s", i ? sep : "", inv_builtin_name(i));
		if (w < 0)
			break;
		n += (size_t)w;
	}
	return buf;
}

/* ---- small helpers ---- */

void *inv_arena(struct inventory *inv, size_t n)
{
	struct inv_chunk *c = inv->chunks;
	char *p;

	n = (n + 7) & ~(size_t)7;
	if (!c || n > c->cap - c->used) {
		size_t cap = n > 65536 ? n : 65536;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = inv->chunks;
		c->used = 0;
		c->cap = cap;
		inv->chunks = c;
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

char *inv_strndup(struct inventory *inv, const char *s, size_t n)
{
	char *p = inv_arena(inv, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

int inv_grow(void *pp, size_t *cap, size_t need, size_t size)
{
	void **p = pp, *q;
	size_t n = *cap ? *cap : 16;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

/* n bytes as hex pairs, separated by ':' or '-' (the same one throughout) or by
 * nothing. Returns the number of bytes (1..max) or -1. */
int inv_parse_hexbytes(const char *s, size_t len, uint8_t *out, int max)
{
	char sep = 0;
	size_t i = 0;
	int n = 0;

	if (len >= 3 && (s[2] == ':' || s[2] == '-'))
		sep = s[2];
	while (i < len) {
		int h, l;
		if (n == max || len - i < 2)
			return -1;
		h = hex_digit((unsigned char)s[i]);
		l = hex_digit((unsigned char)s[i + 1]);
		if (h < 0 || l < 0)
			return -1;
		out[n++] = (uint8_t)(h << 4 | l);
		i += 2;
		if (sep && i < len) {
			if (s[i] != sep || i + 1 == len)
				return -1;
			i++;
		}
	}
	return n ? n : -1;
}

int inv_parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	return inv_parse_hexbytes(s, len, mac, 6) == 6 ? 0 : -1;
}

/* 8-4-4-4-12 hex, or 32 hex digits. The text order is kept as it is (what dmidecode,
 * iPXE's ${uuid} and the proxy's option 97 text show). */
int inv_parse_uuid(const char *s, size_t len, uint8_t u[16])
{
	size_t i = 0;
	int n = 0;
	bool dashes = len == 36;

	if (len != 36 && len != 32)
		return -1;
	while (i < len) {
		int h, l;
		if (dashes && (i == 8 || i == 13 || i == 18 || i == 23)) {
			if (s[i] != '-')
				return -1;
			i++;
			continue;
		}
		if (len - i < 2 || n == 16)
			return -1;
		h = hex_digit((unsigned char)s[i]);
		l = hex_digit((unsigned char)s[i + 1]);
		if (h < 0 || l < 0)
			return -1;
		u[n++] = (uint8_t)(h << 4 | l);
		i += 2;
	}
	return n == 16 ? 0 : -1;
}

void inv_format_mac(const uint8_t m[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

void inv_format_uuid(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

uint64_t inv_mac_key(const uint8_t *b, size_t n)
{
	uint64_t k = 0;

	for (size_t i = 0; i < 6; i++)
		k = k << 8 | (i < n ? b[i] : 0);
	return k;
}

bool inv_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > INV_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

static bool var_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > TEMPLATE_NAME_MAX || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

int inv_builtin_slot(const char *name, size_t len)
{
	for (int i = 0; i < INV_N_BUILTIN; i++)
		if (strlen(inv_builtin_name(i)) == len && !memcmp(inv_builtin_name(i), name, len))
			return i;
	return -1;
}

/* No control bytes (iPXE lines cannot carry them) and no "{{" (values are literal). */
static const char *text_problem(const char *s)
{
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "holds a control character";
		if (p[0] == '{' && p[1] == '{')
			return "holds \"{{\" (values are literal; placeholders work only in "
			       "templates)";
	}
	return NULL;
}

/* ---- parsing ---- */

void inv_lerr(struct inv_load *x, unsigned line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (x->errors++ >= INV_MAX_ERRORS) {
		if (x->errors == INV_MAX_ERRORS + 1)
			diag_add(x->d, -EINVAL, "%s: more than %d errors; fix the ones above first",
				 x->path, INV_MAX_ERRORS);
		return;
	}
	if (x->n_err_lines < INV_MAX_ERRORS)
		x->err_lines[x->n_err_lines++] = line;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(x->d, -EINVAL, "%s:%u: %s", x->path, line, msg);
}

void inv_oom(struct inv_load *x)
{
	if (!x->rc)
		diag_add(x->d, -ENOMEM, "%s: out of memory while reading", x->path);
	x->rc = -ENOMEM;
}

/* Relative paths are taken from the inventory's directory. */
static const char *full_path(struct inv_load *x, const char *v)
{
	char buf[PATH_MAX];
	int n;

	if (v[0] == '/' || !x->dir[0])
		n = snprintf(buf, sizeof(buf), "%s", v);
	else
		n = snprintf(buf, sizeof(buf), "%s/%s", x->dir, v);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return NULL;
	return inv_strndup(x->inv, buf, (size_t)n);
}

/* The sections: [menu], [profile NAME], [machine NAME]. */
static const struct {
	const char *name;
	enum inv_sec kind;
} sections[] = {
	{ "machine", INV_SEC_MACHINE },
	{ "profile", INV_SEC_PROFILE },
	{ "menu", INV_SEC_MENU },
};

/* Every key: its section, its name ("var." starts the var.NAME family), whether it may
 * be given once per section, and whether an indented line below continues it. Messages
 * that list the allowed keys are made from this table, in this order. */
static const struct key_def {
	const char *name;
	enum inv_sec sec;
	bool once, continues;
} keys[INV_N_KEYS] = {
	[INV_KEY_MENU_DEFAULT] = { "default", INV_SEC_MENU, true, false },
	[INV_KEY_MENU_TIMEOUT] = { "timeout", INV_SEC_MENU, true, false },
	[INV_KEY_MENU_TITLE] = { "title", INV_SEC_MENU, true, true },
	[INV_KEY_PROFILE_DESCRIPTION] = { "description", INV_SEC_PROFILE, true, true },
	[INV_KEY_PROFILE_MENU] = { "menu", INV_SEC_PROFILE, true, false },
	[INV_KEY_PROFILE_TEMPLATE] = { "template", INV_SEC_PROFILE, true, false },
	[INV_KEY_PROFILE_SCRIPT] = { "script", INV_SEC_PROFILE, true, true },
	[INV_KEY_PROFILE_GENERATOR] = { "generator", INV_SEC_PROFILE, true, false },
	[INV_KEY_PROFILE_TIMEOUT] = { "timeout", INV_SEC_PROFILE, true, false },
	[INV_KEY_PROFILE_VAR] = { "var.", INV_SEC_PROFILE, false, true },
	[INV_KEY_MACHINE_MAC] = { "mac", INV_SEC_MACHINE, false, true },
	[INV_KEY_MACHINE_MAC_PREFIX] = { "mac_prefix", INV_SEC_MACHINE, false, true },
	[INV_KEY_MACHINE_UUID] = { "uuid", INV_SEC_MACHINE, true, false },
	[INV_KEY_MACHINE_SERIAL] = { "serial", INV_SEC_MACHINE, true, false },
	[INV_KEY_MACHINE_HOSTNAME] = { "hostname", INV_SEC_MACHINE, true, false },
	[INV_KEY_MACHINE_PROFILE] = { "profile", INV_SEC_MACHINE, true, false },
	[INV_KEY_MACHINE_BOOT] = { "boot", INV_SEC_MACHINE, true, false },
	[INV_KEY_MACHINE_VAR] = { "var.", INV_SEC_MACHINE, false, true },
};

static bool is_var_key(const struct key_def *k)
{
	return !strcmp(k->name, "var.");
}

/* The key's entry for this section, or -1. */
static int key_find(enum inv_sec sec, const char *key)
{
	for (int k = 0; k < INV_N_KEYS; k++) {
		if (keys[k].sec != sec)
			continue;
		if (is_var_key(&keys[k]) ? !strncmp(key, "var.", 4) : !strcmp(key, keys[k].name))
			return k;
	}
	return -1;
}

/* "mac, mac_prefix, ..., var.NAME": the keys of sec, for messages. */
static const char *key_list(enum inv_sec sec, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int k = 0; k < INV_N_KEYS && n < cap; k++) {
		int w;
		if (keys[k].sec != sec)
			continue;
		w = snprintf(buf + n, cap - n, "%s%s%s", n ? ", " : "", keys[k].name,
			     is_var_key(&keys[k]) ? "NAME" : "");
		if (w < 0)
			break;
		n += (size_t)w;
	}
	return buf;
}

static const char *sec_name(enum inv_sec sec)
{
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (sections[i].kind == sec)
			return sections[i].name;
	return "?";
}

static void new_profile(struct inv_load *x, const char *name)
{
	struct inventory *inv = x->inv;
	struct inv_profile *pr;

	if (!strncmp(name, "cb-", 3)) {
		inv_lerr(x, x->line, "%s: names starting \"cb-\" are kept for the menu's own items",
			 x->sec_text);
		return;
	}
	if (inv->n_profiles >= INV_MAX_PROFILES) {
		inv_lerr(x, x->line, "%s: more than %d profiles", x->sec_text, INV_MAX_PROFILES);
		return;
	}
	if (inv_grow(&inv->profiles, &inv->cap_profiles, inv->n_profiles + 1,
		     sizeof(*inv->profiles)))
		return inv_oom(x);
	pr = &inv->profiles[inv->n_profiles];
	memset(pr, 0, sizeof(*pr));
	pr->name = inv_strndup(inv, name, strlen(name));
	if (!pr->name)
		return inv_oom(x);
	pr->line = x->line;
	pr->in_menu = true;
	pr->timeout_s = INV_GEN_TIMEOUT_DEFAULT;
	x->cur = inv->n_profiles++;
	x->kind = INV_SEC_PROFILE;
}

static void new_machine(struct inv_load *x, const char *name)
{
	struct inventory *inv = x->inv;
	struct inv_machine *m;

	if (inv->n_machines >= INV_MAX_MACHINES) {
		inv_lerr(x, x->line, "%s: more than %d machines", x->sec_text, INV_MAX_MACHINES);
		return;
	}
	if (inv_grow(&inv->machines, &inv->cap_machines, inv->n_machines + 1,
		     sizeof(*inv->machines)))
		return inv_oom(x);
	m = &inv->machines[inv->n_machines];
	memset(m, 0, sizeof(*m));
	m->name = inv_strndup(inv, name, strlen(name));
	if (!m->name)
		return inv_oom(x);
	m->line = x->line;
	m->var_start = inv->n_mvars;
	x->cur = inv->n_machines++;
	x->kind = INV_SEC_MACHINE;
}

/* A "[kind name]" header (p[0..n): between the brackets). */
static void begin_section(struct inv_load *x, const char *p, size_t n)
{
	char kind[16], name[INV_NAME_MAX + 2];
	size_t i = 0, ks, ke, ns, ne;
	enum inv_sec sec = INV_SEC_BAD;

	x->have_key = false;
	x->kind = INV_SEC_BAD;
	memset(x->seen, 0, sizeof(x->seen));
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	ks = i;
	while (i < n && p[i] != ' ' && p[i] != '\t')
		i++;
	ke = i;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	ns = i;
	ne = n;
	while (ne > ns && (p[ne - 1] == ' ' || p[ne - 1] == '\t'))
		ne--;
	snprintf(x->sec_text, sizeof(x->sec_text), "[%.*s%s%.*s]",
		 (int)(ke - ks < 12 ? ke - ks : 12), p + ks, ne > ns ? " " : "",
		 (int)(ne - ns < INV_NAME_MAX ? ne - ns : INV_NAME_MAX), p + ns);
	snprintf(kind, sizeof(kind), "%.*s", (int)(ke - ks < 15 ? ke - ks : 15), p + ks);
	if (ne - ns > INV_NAME_MAX) {
		inv_lerr(x, x->line, "%s: name longer than %d characters", x->sec_text,
			 INV_NAME_MAX);
		return;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(ne - ns), p + ns);
	for (size_t k = 0; k < sizeof(sections) / sizeof(sections[0]); k++)
		if (!strcmp(kind, sections[k].name))
			sec = sections[k].kind;
	switch (sec) {
	case INV_SEC_MENU:
		if (name[0]) {
			inv_lerr(x, x->line, "[menu %s]: [menu] takes no name", name);
			return;
		}
		if (x->menu_seen) {
			inv_lerr(x, x->line,
				 "[menu]: a second [menu] section (there is one menu; merge them)");
			return;
		}
		x->menu_seen = true;
		x->kind = INV_SEC_MENU;
		return;
	case INV_SEC_PROFILE:
	case INV_SEC_MACHINE:
		if (!inv_name_ok(name)) {
			inv_lerr(x, x->line, "%s: %s name (1-%d of A-Z a-z 0-9 _ - .)", x->sec_text,
				 name[0] ? "not a usable" : "no", INV_NAME_MAX);
			return;
		}
		if (sec == INV_SEC_PROFILE)
			new_profile(x, name);
		else
			new_machine(x, name);
		return;
	default:
		inv_lerr(x, x->line,
			 "%s: unknown section (allowed: [machine NAME], [profile NAME], [menu])",
			 x->sec_text);
		return;
	}
}

/* inih's reader hook: counts lines, catches over-long ones, and follows what inih is
 * about to do with each line (section header, continuation) — inih itself only calls
 * back for keys and truncates section names. */
static char *reader(char *str, int num, void *stream)
{
	struct inv_load *x = stream;
	const char *p, *s;

	if (!iniline_next(str, num, &x->lines))
		return NULL; /* an over-long line comes back empty: reported after parsing */
	x->line = x->lines.line;
	p = str;
	if (x->line == 1 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3; /* UTF-8 BOM, which inih skips too */
	x->cont = false;
	if (iniline_is_blank_or_comment(p))
		return str; /* inih skips it */
	s = p + strspn(p, " \t\r\n");
	if (s > p && x->have_key) {
		x->cont = true; /* indented: continues the value above */
		return str;
	}
	if (*s == '[') {
		const char *end = strchr(s, ']');
		if (!end) {
			x->kind = INV_SEC_BAD;
			x->have_key = false;
			inv_lerr(x, x->line, "section header without ']'");
		} else {
			begin_section(x, s + 1, (size_t)(end - s - 1));
		}
	}
	return str;
}

static int parse_uint(const char *v, unsigned min, unsigned max, unsigned *out)
{
	unsigned long n;
	char *end;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return -1;
	*out = (unsigned)n;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") ||
	    !strcmp(v, "1"))
		return *out = true, 0;
	if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") ||
	    !strcmp(v, "0"))
		return *out = false, 0;
	return -1;
}

/* A text value (description, title, serial, hostname): why it is refused, or NULL. */
static const char *text_refused(const char *v, bool empty_ok)
{
	if (!empty_ok && !v[0])
		return "empty";
	if (strlen(v) > INV_TEXT_MAX)
		return "longer than 255 characters";
	return text_problem(v);
}

/* Append " more" to an arena string (continuation of a text value). */
static const char *join(struct inv_load *x, const char *old, const char *sep, const char *more)
{
	size_t a = strlen(old), b = strlen(sep), c = strlen(more);
	char *p;

	if (a + b + c > INV_VALUE_MAX) {
		inv_lerr(x, x->line, "%s: value longer than %d characters", x->sec_text,
			 INV_VALUE_MAX);
		return old;
	}
	p = inv_arena(x->inv, a + b + c + 1);
	if (!p) {
		inv_oom(x);
		return old;
	}
	snprintf(p, a + b + c + 1, "%s%s%s", old, sep, more);
	return p;
}

static void add_var(struct inv_load *x, struct inv_var *vars, size_t *n, const char *key,
		    const char *value, const char *where)
{
	const char *name = key + 4, *why;
	char list[256];

	if (!var_name_ok(name)) {
		inv_lerr(x, x->line,
			 "%s %s: not a variable name (after \"var.\": a letter or _, then "
			 "letters, digits, _; at most %d)",
			 x->sec_text, key, TEMPLATE_NAME_MAX);
		return;
	}
	if (inv_builtin_slot(name, strlen(name)) >= 0) {
		inv_lerr(x, x->line, "%s %s: \"%s\" is a built-in name (%s); choose another",
			 x->sec_text, key, name, inv_builtin_list(list, sizeof(list), ", "));
		return;
	}
	if ((why = text_problem(value))) {
		inv_lerr(x, x->line, "%s %s: value %s", x->sec_text, key, why);
		return;
	}
	for (size_t i = 0; i < *n; i++) {
		if (!strcmp(vars[i].name, name)) {
			inv_lerr(x, x->line, "%s %s: given twice (also at line %u)", x->sec_text,
				 key, vars[i].line);
			return;
		}
	}
	if (*n >= INV_MAX_VARS) {
		inv_lerr(x, x->line, "%s %s: more than %d variables in %s", x->sec_text, key,
			 INV_MAX_VARS, where);
		return;
	}
	vars[*n].name = inv_strndup(x->inv, name, strlen(name));
	vars[*n].value = inv_strndup(x->inv, value, strlen(value));
	if (!vars[*n].name || !vars[*n].value)
		return inv_oom(x);
	vars[*n].line = x->line;
	vars[*n].slot = -1;
	++*n;
}

static void menu_key(struct inv_load *x, enum inv_key k, const char *value)
{
	struct inventory *inv = x->inv;
	const char *why;

	switch (k) {
	case INV_KEY_MENU_DEFAULT:
		if (!inv_name_ok(value)) {
			inv_lerr(x, x->line, "[menu] default: \"%s\" is not a profile name", value);
			return;
		}
		inv->menu_default = inv_strndup(inv, value, strlen(value));
		inv->menu_default_line = x->line;
		if (!inv->menu_default)
			inv_oom(x);
		return;
	case INV_KEY_MENU_TIMEOUT:
		if (parse_uint(value, 0, INV_MENU_TIMEOUT_MAX, &inv->menu_timeout))
			inv_lerr(x, x->line,
				 "[menu] timeout: \"%s\" is not a whole number of seconds from 0 "
				 "(wait for a key) to %d",
				 value, INV_MENU_TIMEOUT_MAX);
		return;
	case INV_KEY_MENU_TITLE:
		if ((why = text_refused(value, true)))
			inv_lerr(x, x->line, "[menu] title: %s", why);
		else if (!(inv->menu_title = inv_strndup(inv, value, strlen(value))))
			inv_oom(x);
		return;
	default:
		return;
	}
}

static void script_append(struct inv_load *x, struct inv_profile *p, const char *s, bool newline)
{
	size_t n = strlen(s);
	char *q;
	unsigned *l;

	if (p->script_len + n + 3 > TEMPLATE_MAX) {
		inv_lerr(x, x->line, "%s script: longer than %d bytes (use template = FILE)",
			 x->sec_text, TEMPLATE_MAX);
		return;
	}
	q = realloc(p->script, p->script_len + n + 3); /* newline before, NUL, final newline */
	l = realloc(p->script_lines, (p->n_script_lines + 1) * sizeof(*l));
	if (q)
		p->script = q;
	if (l)
		p->script_lines = l;
	if (!q || !l)
		return inv_oom(x);
	if (newline)
		p->script[p->script_len++] = '\n';
	memcpy(p->script + p->script_len, s, n + 1);
	p->script_len += n;
	p->script_lines[p->n_script_lines++] = x->line;
}

static void profile_key(struct inv_load *x, enum inv_key k, const char *key, const char *value)
{
	struct inv_profile *p = &x->inv->profiles[x->cur];
	const char *why;

	switch (k) {
	case INV_KEY_PROFILE_DESCRIPTION:
		if ((why = text_refused(value, true)))
			inv_lerr(x, x->line, "%s description: %s", x->sec_text, why);
		else if (!(p->description = inv_strndup(x->inv, value, strlen(value))))
			inv_oom(x);
		return;
	case INV_KEY_PROFILE_MENU:
		if (parse_bool(value, &p->in_menu))
			inv_lerr(x, x->line, "%s menu: \"%s\" is not yes or no", x->sec_text,
				 value);
		return;
	case INV_KEY_PROFILE_TEMPLATE:
		p->template_line = x->line;
		p->template_path = inv_strndup(x->inv, value, strlen(value));
		p->template_full = value[0] ? full_path(x, value) : NULL;
		if (!p->template_full)
			inv_lerr(x, x->line, "%s template: \"%s\" is not a usable path",
				 x->sec_text, value);
		return;
	case INV_KEY_PROFILE_SCRIPT:
		p->script_line = x->line;
		script_append(x, p, value, false);
		return;
	case INV_KEY_PROFILE_GENERATOR:
		p->generator_line = x->line;
		p->generator = value[0] ? full_path(x, value) : NULL;
		if (!p->generator)
			inv_lerr(x, x->line, "%s generator: \"%s\" is not a usable path",
				 x->sec_text, value);
		return;
	case INV_KEY_PROFILE_TIMEOUT:
		p->timeout_line = x->line;
		if (parse_uint(value, 1, INV_GEN_TIMEOUT_MAX, &p->timeout_s))
			inv_lerr(x, x->line,
				 "%s timeout: \"%s\" is not a whole number of seconds from 1 to "
				 "%d (the generator's time limit)",
				 x->sec_text, value, INV_GEN_TIMEOUT_MAX);
		return;
	case INV_KEY_PROFILE_VAR:
		add_var(x, p->vars, &p->n_vars, key, value, "a profile");
		return;
	default:
		return;
	}
}

static void add_mac(struct inv_load *x, enum inv_key k, const char *item, size_t len)
{
	struct inventory *inv = x->inv;
	bool prefix = k == INV_KEY_MACHINE_MAC_PREFIX;
	uint8_t b[6];
	int n = inv_parse_hexbytes(item, len, b, 6);

	if (prefix ? n < 1 || n > 5 : n != 6) {
		inv_lerr(x, x->line, "%s %s: \"%.*s\" is not %s", x->sec_text, keys[k].name,
			 (int)(len > 40 ? 40 : len), item,
			 prefix ? "a MAC prefix of 1-5 bytes (e.g. 52:54:00)"
				: "a MAC address (e.g. 52:54:00:12:34:56)");
		return;
	}
	if (inv->n_macs + inv->n_prefixes >= INV_MAX_INDEX) {
		inv_lerr(x, x->line, "%s %s: too many MAC entries", x->sec_text, keys[k].name);
		return;
	}
	if (prefix) {
		if (inv_grow(&inv->prefixes, &inv->cap_prefixes, inv->n_prefixes + 1,
			     sizeof(*inv->prefixes)))
			return inv_oom(x);
		inv->prefixes[inv->n_prefixes++] = (struct inv_mac_ent){
			inv_mac_key(b, (size_t)n), (uint32_t)n, (uint32_t)x->cur, x->line
		};
	} else {
		if (inv_grow(&inv->macs, &inv->cap_macs, inv->n_macs + 1, sizeof(*inv->macs)))
			return inv_oom(x);
		inv->macs[inv->n_macs++] = (struct inv_mac_ent){ inv_mac_key(b, 6), 6,
								 (uint32_t)x->cur, x->line };
	}
	inv->machines[x->cur].ids++;
}

/* "mac = a, b c": a list separated by commas and/or spaces. */
static void mac_list(struct inv_load *x, enum inv_key k, const char *v)
{
	size_t i = 0, n = strlen(v);

	while (i < n) {
		size_t s;
		while (i < n && (v[i] == ' ' || v[i] == ',' || v[i] == '\t'))
			i++;
		s = i;
		while (i < n && v[i] != ' ' && v[i] != ',' && v[i] != '\t')
			i++;
		if (i > s)
			add_mac(x, k, v + s, i - s);
	}
}

static void add_str(struct inv_load *x, struct inv_str_ent **v, size_t *n, size_t *cap,
		    const char *s, bool lower)
{
	char *c;

	if (inv_grow(v, cap, *n + 1, sizeof(**v)))
		return inv_oom(x);
	c = inv_strndup(x->inv, s, strlen(s));
	if (!c)
		return inv_oom(x);
	if (lower)
		for (char *q = c; *q; q++)
			if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q + 32);
	(*v)[(*n)++] = (struct inv_str_ent){ c, (uint32_t)x->cur, x->line };
	x->inv->machines[x->cur].ids++;
}

static void machine_uuid(struct inv_load *x, const char *value)
{
	struct inventory *inv = x->inv;
	struct inv_uuid_ent e = { .machine = (uint32_t)x->cur, .line = x->line };

	if (inv_parse_uuid(value, strlen(value), e.u)) {
		inv_lerr(x, x->line,
			 "%s uuid: \"%.40s\" is not a UUID (8-4-4-4-12 hex digits, as "
			 "dmidecode -s system-uuid prints it)",
			 x->sec_text, value);
		return;
	}
	if (inv_grow(&inv->uuids, &inv->cap_uuids, inv->n_uuids + 1, sizeof(*inv->uuids)))
		return inv_oom(x);
	inv->uuids[inv->n_uuids++] = e;
	inv->machines[x->cur].ids++;
}

static void machine_var(struct inv_load *x, const char *key, const char *value)
{
	struct inventory *inv = x->inv;
	struct inv_machine *m = &inv->machines[x->cur];
	size_t n = m->n_vars;

	if (inv_grow(&inv->mvars, &inv->cap_mvars, inv->n_mvars + 1, sizeof(*inv->mvars)))
		return inv_oom(x);
	add_var(x, inv->mvars + m->var_start, &n, key, value, "a machine");
	if (n > m->n_vars) {
		m->n_vars = n;
		inv->n_mvars++;
	}
}

static void machine_key(struct inv_load *x, enum inv_key k, const char *key, const char *value)
{
	struct inventory *inv = x->inv;
	struct inv_machine *m = &inv->machines[x->cur];
	const char *why;

	switch (k) {
	case INV_KEY_MACHINE_MAC:
	case INV_KEY_MACHINE_MAC_PREFIX:
		if (!value[0])
			inv_lerr(x, x->line, "%s %s: empty", x->sec_text, key);
		mac_list(x, k, value);
		return;
	case INV_KEY_MACHINE_UUID:
		machine_uuid(x, value);
		return;
	case INV_KEY_MACHINE_SERIAL:
	case INV_KEY_MACHINE_HOSTNAME:
		if ((why = text_refused(value, false))) {
			inv_lerr(x, x->line, "%s %s: %s", x->sec_text, key, why);
			return;
		}
		if (k == INV_KEY_MACHINE_HOSTNAME)
			add_str(x, &inv->hostnames, &inv->n_hostnames, &inv->cap_hostnames, value,
				true);
		else
			add_str(x, &inv->serials, &inv->n_serials, &inv->cap_serials, value, false);
		return;
	case INV_KEY_MACHINE_PROFILE:
		if (!inv_name_ok(value)) {
			inv_lerr(x, x->line, "%s profile: \"%.40s\" is not a profile name",
				 x->sec_text, value);
			return;
		}
		m->profile_line = x->line;
		if (!(m->profile_name = inv_strndup(inv, value, strlen(value))))
			inv_oom(x);
		return;
	case INV_KEY_MACHINE_BOOT:
		if (!strcmp(value, "netboot"))
			m->boot = INV_BOOT_NETBOOT;
		else if (!strcmp(value, "local"))
			m->boot = INV_BOOT_LOCAL;
		else if (!strcmp(value, "disabled"))
			m->boot = INV_BOOT_DISABLED;
		else
			inv_lerr(x, x->line, "%s boot: \"%.40s\" is not netboot, local or disabled",
				 x->sec_text, value);
		return;
	case INV_KEY_MACHINE_VAR:
		machine_var(x, key, value);
		return;
	default:
		return;
	}
}

/* The variable an indented line would continue: the last one given, if it is key's. */
static struct inv_var *last_var(struct inv_load *x, const char *key)
{
	struct inventory *inv = x->inv;
	struct inv_var *v = NULL;

	if (x->kind == INV_SEC_PROFILE && inv->profiles[x->cur].n_vars)
		v = &inv->profiles[x->cur].vars[inv->profiles[x->cur].n_vars - 1];
	else if (x->kind == INV_SEC_MACHINE && inv->machines[x->cur].n_vars)
		v = &inv->mvars[inv->machines[x->cur].var_start + inv->machines[x->cur].n_vars - 1];
	return v && !strcmp(v->name, key + 4) ? v : NULL;
}

/* An indented line: more of the value above (inih passes the previous key again).
 * Returns false when the key takes one line (or its first line was refused). */
static bool continuation(struct inv_load *x, enum inv_key k, const char *key, const char *value)
{
	struct inventory *inv = x->inv;
	struct inv_profile *p;
	struct inv_var *v;

	switch (k) {
	case INV_KEY_PROFILE_SCRIPT:
		p = &inv->profiles[x->cur]; /* a profile key: x is in a [profile] */
		if (p->script)
			script_append(x, p, value, true);
		return true; /* a refused first line was reported already */
	case INV_KEY_PROFILE_DESCRIPTION:
		p = &inv->profiles[x->cur];
		if (!p->description)
			return false;
		p->description = join(x, p->description, " ", value);
		return true;
	case INV_KEY_MENU_TITLE:
		if (!inv->menu_title)
			return false;
		inv->menu_title = join(x, inv->menu_title, " ", value);
		return true;
	case INV_KEY_MACHINE_MAC:
	case INV_KEY_MACHINE_MAC_PREFIX:
		mac_list(x, k, value);
		return true;
	case INV_KEY_PROFILE_VAR:
	case INV_KEY_MACHINE_VAR:
		if (!(v = last_var(x, key)))
			return false;
		v->value = join(x, v->value, " ", value);
		return true;
	default:
		return false;
	}
}

static void continued(struct inv_load *x, const char *key, const char *value)
{
	int k = key_find(x->kind, key);

	if (x->kind == INV_SEC_BAD)
		return;
	if (k >= 0 && keys[k].continues && continuation(x, (enum inv_key)k, key, value))
		return;
	inv_lerr(x, x->line,
		 "indented line: it would continue \"%s\" above, which takes one line (unindent "
		 "it, or continue only script, description, title, mac and var.NAME values)",
		 key);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct inv_load *x = user;
	char list[160];
	int k;

	(void)section; /* tracked by reader(): inih truncates long names */
	if (x->rc)
		return 1;
	if (x->cont) {
		continued(x, name, value);
		return 1;
	}
	x->have_key = true;
	if (x->kind == INV_SEC_BAD)
		return 1; /* reported at its header */
	if (x->kind == INV_SEC_NONE) {
		inv_lerr(x, x->line,
			 "%s: key outside a section (start with [machine NAME], [profile NAME] "
			 "or [menu])",
			 name);
		return 1;
	}
	k = key_find(x->kind, name);
	if (k < 0) {
		inv_lerr(x, x->line, "%s %s: unknown key (allowed in [%s]: %s)", x->sec_text, name,
			 sec_name(x->kind), key_list(x->kind, list, sizeof(list)));
		return 1;
	}
	if (keys[k].once) {
		if (x->seen[k]) {
			inv_lerr(x, x->line, "%s %s: given twice (also at line %u)", x->sec_text,
				 name, x->seen[k]);
			return 1;
		}
		x->seen[k] = x->line;
	}
	if (x->kind == INV_SEC_MENU)
		menu_key(x, (enum inv_key)k, value);
	else if (x->kind == INV_SEC_PROFILE)
		profile_key(x, (enum inv_key)k, name, value);
	else
		machine_key(x, (enum inv_key)k, name, value);
	return 1;
}

void inv_parse(struct inv_load *x, const char *text, size_t len)
{
	int rc;

	iniline_init(&x->lines, text, len);
	rc = ini_parse_stream(reader, x, handler, x);
	if (rc > 0) {
		/* inih's first unparsable line; skip it when reader() already said why */
		bool said = false;
		for (size_t i = 0; i < x->n_err_lines; i++)
			said |= x->err_lines[i] == (unsigned)rc;
		if (!said)
			inv_lerr(x, (unsigned)rc,
				 "not a \"key = value\" line, a [section] header or a comment");
	} else if (rc < 0) {
		inv_oom(x);
	}
	if (x->lines.long_line)
		inv_lerr(x, x->lines.long_line,
			 "line longer than %d characters; continue a long value on indented "
			 "lines below it",
			 x->lines.max_line - 3);
}
