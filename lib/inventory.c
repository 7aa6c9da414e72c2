/* inventory: read the inventory file (machines, profiles, the menu), match a client's
 * facts to a machine, and render the iPXE script each decision leads to.
 *
 * Untrusted inputs: the facts in struct inv_facts come from HTTP clients (query
 * parameters) and the MAC/UUID given to inventory_dhcp_verdict() from DHCP packets;
 * they are length-capped, parsed strictly, and reach a script only through
 * template_escape(). The inventory file and its templates are the administrator's:
 * every line is checked and every problem reported as "file:line: ...", all at once,
 * before an inventory is used (a reload with a broken file keeps the old one).
 *
 * Format (documented for users in examples/inventory.ini): libinih reads it through a
 * reader that counts lines, refuses over-long lines (inih would split them) and tracks
 * [kind NAME] headers itself (inih truncates section names at 50 bytes). An indented
 * line continues the value above it (Python configparser style, as inih does): that is
 * how inline scripts and long values are written.
 */
#include "inventory.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chainscript.h"
#include "fileio.h"
#include "hex.h"
#include "iniline.h"
#include "template.h"

#define MAX_ERRORS	     50
#define GEN_TIMEOUT_DEFAULT  5			     /* s */
#define MENU_TIMEOUT_DEFAULT 30			     /* s */
#define MENU_TIMEOUT_MAX     86400		     /* s */
#define TEXT_MAX	     255		     /* description, title, serial, hostname */
#define MAX_INDEX	     (4u * INV_MAX_MACHINES) /* MAC, prefix, UUID, serial, hostname entries */
#define GEN_PATH	     "/usr/local/bin:/usr/bin:/bin"

/* Template slots: the built-in names first, then the profile's variables. */
enum {
	SLOT_CLIENT = INV_N_FACTS,
	SLOT_MACHINE,
	SLOT_PROFILE,
	SLOT_SERVER,
	SLOT_SCRIPT_URL,
	SLOT_QUERY,
	N_BUILTIN
};

static const char *const builtin_names[N_BUILTIN] = {
	"mac",	    "uuid",	"serial",     "manufacturer", "product", "asset",
	"hostname", "platform", "buildarch",  "uc",	      "client",	 "machine",
	"profile",  "server",	"script_url", "query",
};

enum inv_boot { BOOT_NETBOOT = 0, BOOT_LOCAL, BOOT_DISABLED };

struct inv_var {
	const char *name;
	const char *value;
	unsigned line;
	int slot; /* machine variables: the profile variable it overrides */
};

struct tmpl {
	struct template *t;
	bool uses_query;
};

struct inv_profile {
	const char *name;
	unsigned line;
	const char *description;
	bool in_menu;
	const char *template_path; /* as written, for messages */
	const char *template_full;
	const char *generator;
	unsigned timeout_s;
	struct inv_var vars[INV_MAX_VARS];
	size_t n_vars;
	struct tmpl tmpl;
	/* while loading */
	unsigned seen
		[7]; /* line of each single key: description, menu, template, script, generator, timeout */
	char *script; /* inline script being gathered (malloc'd) */
	size_t script_len;
	unsigned *script_lines; /* file line of each script line, for messages */
	size_t n_script_lines;
};

struct inv_machine {
	const char *name;
	unsigned line;
	const char *profile_name;
	const struct inv_profile *profile;
	enum inv_boot boot;
	size_t var_start, n_vars; /* in inventory.mvars */
	unsigned ids;		  /* identifiers given (mac, uuid, ...) */
	unsigned seen[5];	  /* uuid, serial, hostname, profile, boot */
};

struct mac_ent {
	uint64_t key; /* the bytes, big-endian, left-aligned for prefixes */
	uint32_t len; /* bytes: 6 for a MAC, 1-5 for a prefix */
	uint32_t machine;
	unsigned line;
};

struct uuid_ent {
	uint8_t u[16];
	uint32_t machine;
	unsigned line;
};

struct str_ent {
	const char *s;
	uint32_t machine;
	unsigned line;
};

struct inv_file {
	const char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim;
};

struct chunk {
	struct chunk *next;
	size_t used, cap;
	char data[];
};

struct inventory {
	unsigned refs;
	const char *path;
	struct chunk *chunks;
	struct inv_profile *profiles;
	size_t n_profiles, cap_profiles;
	struct inv_machine *machines;
	size_t n_machines, cap_machines;
	struct inv_var *mvars;
	size_t n_mvars, cap_mvars;
	struct mac_ent *macs, *prefixes;
	size_t n_macs, cap_macs, n_prefixes, cap_prefixes;
	struct uuid_ent *uuids;
	size_t n_uuids, cap_uuids;
	struct str_ent *serials, *hostnames;
	size_t n_serials, cap_serials, n_hostnames, cap_hostnames;
	uint32_t *profile_order; /* profile indices sorted by name */
	struct inv_file *files;
	size_t n_files, cap_files;
	/* [menu] */
	const char *menu_default;
	unsigned menu_default_line;
	unsigned menu_timeout;
	const char *menu_title;
	unsigned menu_seen[3]; /* default, timeout, title */
	struct tmpl menu, local, disabled;
};

/* ---- small helpers ---- */

static void *arena(struct inventory *inv, size_t n)
{
	struct chunk *c = inv->chunks;
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

static char *arena_strndup(struct inventory *inv, const char *s, size_t n)
{
	char *p = arena(inv, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static int grow(void *pp, size_t *cap, size_t need, size_t size)
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
static int parse_hexbytes(const char *s, size_t len, uint8_t *out, int max)
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

static int parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	return parse_hexbytes(s, len, mac, 6) == 6 ? 0 : -1;
}

/* 8-4-4-4-12 hex, or 32 hex digits. The text order is kept as it is (what dmidecode,
 * iPXE's ${uuid} and the proxy's option 97 text show). */
static int parse_uuid(const char *s, size_t len, uint8_t u[16])
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

static void format_mac(const uint8_t m[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void format_uuid(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

static uint64_t mac_key(const uint8_t *b, size_t n)
{
	uint64_t k = 0;

	for (size_t i = 0; i < 6; i++)
		k = k << 8 | (i < n ? b[i] : 0);
	return k;
}

static bool name_ok(const char *s)
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

static int builtin_slot(const char *name, size_t len)
{
	for (int i = 0; i < N_BUILTIN; i++)
		if (strlen(builtin_names[i]) == len && !memcmp(builtin_names[i], name, len))
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

const char *inventory_fact_name(enum inv_fact f)
{
	return (unsigned)f < INV_N_FACTS ? builtin_names[f] : "?";
}

int inventory_fact_index(const char *key)
{
	for (int i = 0; i < INV_N_FACTS; i++)
		if (!strcmp(key, builtin_names[i]))
			return i;
	return -1;
}

int inventory_facts_check(struct inv_facts *f, const char **why)
{
	f->has_mac = f->has_uuid = false;
	f->mac_text[0] = f->uuid_text[0] = '\0';
	for (int i = 0; i < INV_N_FACTS; i++) {
		if (f->v[i] && strnlen(f->v[i], INV_FACT_MAX + 1) > INV_FACT_MAX) {
			*why = builtin_names[i];
			return -EINVAL;
		}
	}
	if (f->v[INV_FACT_MAC] && f->v[INV_FACT_MAC][0]) {
		if (parse_mac(f->v[INV_FACT_MAC], strlen(f->v[INV_FACT_MAC]), f->mac)) {
			*why = "mac";
			return -EINVAL;
		}
		f->has_mac = true;
		format_mac(f->mac, f->mac_text);
	}
	if (f->v[INV_FACT_UUID] && f->v[INV_FACT_UUID][0]) {
		if (parse_uuid(f->v[INV_FACT_UUID], strlen(f->v[INV_FACT_UUID]), f->uuid)) {
			*why = "uuid";
			return -EINVAL;
		}
		f->has_uuid = true;
		format_uuid(f->uuid, f->uuid_text);
	}
	if (f->want_profile && (strnlen(f->want_profile, INV_NAME_MAX + 1) > INV_NAME_MAX ||
				(f->want_profile[0] && !name_ok(f->want_profile)))) {
		*why = "profile";
		return -EINVAL;
	}
	return 0;
}

/* ---- loading ---- */

enum sec_kind { SEC_NONE, SEC_MENU, SEC_PROFILE, SEC_MACHINE, SEC_BAD };

struct load {
	struct inventory *inv;
	const struct site_config *cfg;
	struct diag *d;
	struct iniline lines;
	const char *path;
	char dir[PATH_MAX];
	unsigned line; /* the line inih is at (it calls back right after reading one) */
	unsigned errors;
	unsigned err_lines[MAX_ERRORS];
	size_t n_err_lines;
	enum sec_kind kind;
	size_t cur;
	char sec_text[INV_NAME_MAX + 16];
	bool cont;     /* the line just read continues the key above (inih multiline) */
	bool have_key; /* a key was read in this section: an indented line continues it */
	unsigned key_line;
	bool menu_seen;
	int rc; /* -ENOMEM and such; -EINVAL is counted in errors */
};

static void lerr(struct load *x, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void lerr(struct load *x, unsigned line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (x->errors++ >= MAX_ERRORS) {
		if (x->errors == MAX_ERRORS + 1)
			diag_add(x->d, -EINVAL, "%s: more than %d errors; fix the ones above first",
				 x->path, MAX_ERRORS);
		return;
	}
	if (x->n_err_lines < MAX_ERRORS)
		x->err_lines[x->n_err_lines++] = line;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(x->d, -EINVAL, "%s:%u: %s", x->path, line, msg);
}

static void oom(struct load *x)
{
	if (!x->rc)
		diag_add(x->d, -ENOMEM, "%s: out of memory while reading", x->path);
	x->rc = -ENOMEM;
}

/* Relative paths are taken from the inventory's directory. */
static const char *full_path(struct load *x, const char *v)
{
	char buf[PATH_MAX];
	int n;

	if (v[0] == '/' || !x->dir[0])
		n = snprintf(buf, sizeof(buf), "%s", v);
	else
		n = snprintf(buf, sizeof(buf), "%s/%s", x->dir, v);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return NULL;
	return arena_strndup(x->inv, buf, (size_t)n);
}

static void begin_section(struct load *x, const char *p, size_t n)
{
	struct inventory *inv = x->inv;
	char kind[16], name[INV_NAME_MAX + 2];
	size_t i = 0, ks, ke, ns, ne;

	x->have_key = false;
	x->kind = SEC_BAD;
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
		lerr(x, x->line, "%s: name longer than %d characters", x->sec_text, INV_NAME_MAX);
		return;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(ne - ns), p + ns);

	if (!strcmp(kind, "menu")) {
		if (name[0]) {
			lerr(x, x->line, "[menu %s]: [menu] takes no name", name);
			return;
		}
		if (x->menu_seen) {
			lerr(x, x->line,
			     "[menu]: a second [menu] section (there is one menu; merge them)");
			return;
		}
		x->menu_seen = true;
		x->kind = SEC_MENU;
		return;
	}
	if (strcmp(kind, "profile") && strcmp(kind, "machine")) {
		lerr(x, x->line,
		     "%s: unknown section (allowed: [machine NAME], [profile NAME], [menu])",
		     x->sec_text);
		return;
	}
	if (!name_ok(name)) {
		lerr(x, x->line, "%s: %s name (1-%d of A-Z a-z 0-9 _ - .)", x->sec_text,
		     name[0] ? "not a usable" : "no", INV_NAME_MAX);
		return;
	}
	if (kind[1] == 'r') {
		struct inv_profile *pr;
		if (!strncmp(name, "cb-", 3)) {
			lerr(x, x->line,
			     "%s: names starting \"cb-\" are kept for the menu's own items",
			     x->sec_text);
			return;
		}
		if (inv->n_profiles >= INV_MAX_PROFILES) {
			lerr(x, x->line, "%s: more than %d profiles", x->sec_text,
			     INV_MAX_PROFILES);
			return;
		}
		if (grow(&inv->profiles, &inv->cap_profiles, inv->n_profiles + 1,
			 sizeof(*inv->profiles)))
			return oom(x);
		pr = &inv->profiles[inv->n_profiles];
		memset(pr, 0, sizeof(*pr));
		pr->name = arena_strndup(inv, name, strlen(name));
		if (!pr->name)
			return oom(x);
		pr->line = x->line;
		pr->in_menu = true;
		pr->timeout_s = GEN_TIMEOUT_DEFAULT;
		x->cur = inv->n_profiles++;
		x->kind = SEC_PROFILE;
	} else {
		struct inv_machine *m;
		if (inv->n_machines >= INV_MAX_MACHINES) {
			lerr(x, x->line, "%s: more than %d machines", x->sec_text,
			     INV_MAX_MACHINES);
			return;
		}
		if (grow(&inv->machines, &inv->cap_machines, inv->n_machines + 1,
			 sizeof(*inv->machines)))
			return oom(x);
		m = &inv->machines[inv->n_machines];
		memset(m, 0, sizeof(*m));
		m->name = arena_strndup(inv, name, strlen(name));
		if (!m->name)
			return oom(x);
		m->line = x->line;
		m->var_start = inv->n_mvars;
		x->cur = inv->n_machines++;
		x->kind = SEC_MACHINE;
	}
}

/* inih's reader hook: counts lines, catches over-long ones, and follows what inih is
 * about to do with each line (section header, continuation) — inih itself only calls
 * back for keys and truncates section names. */
static char *reader(char *str, int num, void *stream)
{
	struct load *x = stream;
	const char *p;

	if (!iniline_next(str, num, &x->lines))
		return NULL; /* an over-long line comes back empty: reported after parsing */
	x->line = x->lines.line;
	p = str;
	if (x->line == 1 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3; /* UTF-8 BOM, which inih skips too */
	x->cont = false;
	{
		const char *s = p + strspn(p, " \t\r\n");
		if (!*s || *s == ';' || *s == '#')
			return str; /* blank or comment: inih skips it */
		if (s > p && x->have_key) {
			x->cont = true; /* indented: continues the value above */
			return str;
		}
		if (*s == '[') {
			const char *end = strchr(s, ']');
			if (!end) {
				x->kind = SEC_BAD;
				x->have_key = false;
				lerr(x, x->line, "section header without ']'");
			} else {
				begin_section(x, s + 1, (size_t)(end - s - 1));
			}
		}
	}
	return str;
}

/* A key that may appear once per section: remember its line, or complain. */
static bool once(struct load *x, unsigned *seen, const char *key)
{
	if (*seen) {
		lerr(x, x->line, "%s %s: given twice (also at line %u)", x->sec_text, key, *seen);
		return false;
	}
	*seen = x->line;
	return true;
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

/* Append " more" to an arena string (continuation of a text value). */
static const char *join(struct load *x, const char *old, const char *sep, const char *more)
{
	size_t a = strlen(old), b = strlen(sep), c = strlen(more);
	char *p;

	if (a + b + c > 4096) {
		lerr(x, x->line, "%s: value longer than 4096 characters", x->sec_text);
		return old;
	}
	p = arena(x->inv, a + b + c + 1);
	if (!p) {
		oom(x);
		return old;
	}
	snprintf(p, a + b + c + 1, "%s%s%s", old, sep, more);
	return p;
}

static void add_var(struct load *x, struct inv_var *vars, size_t *n, const char *key,
		    const char *value, const char *where)
{
	const char *name = key + 4, *why;

	if (!var_name_ok(name)) {
		lerr(x, x->line,
		     "%s %s: not a variable name (after \"var.\": a letter or _, then letters, "
		     "digits, _; "
		     "at most %d)",
		     x->sec_text, key, TEMPLATE_NAME_MAX);
		return;
	}
	if (builtin_slot(name, strlen(name)) >= 0) {
		lerr(x, x->line, "%s %s: \"%s\" is a built-in name (%s); choose another",
		     x->sec_text, key, name,
		     "mac, uuid, serial, manufacturer, product, asset, hostname, platform, "
		     "buildarch, uc, client, "
		     "machine, profile, server, script_url, query");
		return;
	}
	if ((why = text_problem(value))) {
		lerr(x, x->line, "%s %s: value %s", x->sec_text, key, why);
		return;
	}
	for (size_t i = 0; i < *n; i++) {
		if (!strcmp(vars[i].name, name)) {
			lerr(x, x->line, "%s %s: given twice (also at line %u)", x->sec_text, key,
			     vars[i].line);
			return;
		}
	}
	if (*n >= INV_MAX_VARS) {
		lerr(x, x->line, "%s %s: more than %d variables in %s", x->sec_text, key,
		     INV_MAX_VARS, where);
		return;
	}
	vars[*n].name = arena_strndup(x->inv, name, strlen(name));
	vars[*n].value = arena_strndup(x->inv, value, strlen(value));
	if (!vars[*n].name || !vars[*n].value)
		return oom(x);
	vars[*n].line = x->line;
	vars[*n].slot = -1;
	++*n;
}

static void menu_key(struct load *x, const char *key, const char *value)
{
	struct inventory *inv = x->inv;
	const char *why;

	if (!strcmp(key, "default")) {
		if (!once(x, &inv->menu_seen[0], key))
			return;
		if (!name_ok(value)) {
			lerr(x, x->line, "[menu] default: \"%s\" is not a profile name", value);
			return;
		}
		inv->menu_default = arena_strndup(inv, value, strlen(value));
		inv->menu_default_line = x->line;
		if (!inv->menu_default)
			oom(x);
	} else if (!strcmp(key, "timeout")) {
		if (!once(x, &inv->menu_seen[1], key))
			return;
		if (parse_uint(value, 0, MENU_TIMEOUT_MAX, &inv->menu_timeout))
			lerr(x, x->line,
			     "[menu] timeout: \"%s\" is not a whole number of seconds from 0 (wait "
			     "for a "
			     "key) to %d",
			     value, MENU_TIMEOUT_MAX);
	} else if (!strcmp(key, "title")) {
		if (!once(x, &inv->menu_seen[2], key))
			return;
		if (strlen(value) > TEXT_MAX || (why = text_problem(value)))
			lerr(x, x->line, "[menu] title: %s",
			     strlen(value) > TEXT_MAX ? "longer than 255 characters" : why);
		else if (!(inv->menu_title = arena_strndup(inv, value, strlen(value))))
			oom(x);
	} else {
		lerr(x, x->line, "[menu] %s: unknown key (allowed: default, timeout, title)", key);
	}
}

static void script_append(struct load *x, struct inv_profile *p, const char *s, bool newline)
{
	size_t n = strlen(s);
	char *q;
	unsigned *l;

	if (p->script_len + n + 3 > TEMPLATE_MAX) {
		lerr(x, x->line, "%s script: longer than %d bytes (use template = FILE)",
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
		return oom(x);
	if (newline)
		p->script[p->script_len++] = '\n';
	memcpy(p->script + p->script_len, s, n + 1);
	p->script_len += n;
	p->script_lines[p->n_script_lines++] = x->line;
}

static void profile_key(struct load *x, const char *key, const char *value)
{
	struct inv_profile *p = &x->inv->profiles[x->cur];
	const char *why;

	if (!strcmp(key, "description")) {
		if (!once(x, &p->seen[0], key))
			return;
		if (strlen(value) > TEXT_MAX || (why = text_problem(value)))
			lerr(x, x->line, "%s description: %s", x->sec_text,
			     strlen(value) > TEXT_MAX ? "longer than 255 characters" : why);
		else if (!(p->description = arena_strndup(x->inv, value, strlen(value))))
			oom(x);
	} else if (!strcmp(key, "menu")) {
		if (once(x, &p->seen[1], key) && parse_bool(value, &p->in_menu))
			lerr(x, x->line, "%s menu: \"%s\" is not yes or no", x->sec_text, value);
	} else if (!strcmp(key, "template")) {
		if (!once(x, &p->seen[2], key))
			return;
		p->template_path = arena_strndup(x->inv, value, strlen(value));
		p->template_full = value[0] ? full_path(x, value) : NULL;
		if (!p->template_full)
			lerr(x, x->line, "%s template: \"%s\" is not a usable path", x->sec_text,
			     value);
	} else if (!strcmp(key, "script")) {
		if (once(x, &p->seen[3], key))
			script_append(x, p, value, false);
	} else if (!strcmp(key, "generator")) {
		if (!once(x, &p->seen[4], key))
			return;
		p->generator = value[0] ? full_path(x, value) : NULL;
		if (!p->generator)
			lerr(x, x->line, "%s generator: \"%s\" is not a usable path", x->sec_text,
			     value);
	} else if (!strcmp(key, "timeout")) {
		if (once(x, &p->seen[5], key) &&
		    parse_uint(value, 1, INV_GEN_TIMEOUT_MAX, &p->timeout_s))
			lerr(x, x->line,
			     "%s timeout: \"%s\" is not a whole number of seconds from 1 to %d "
			     "(the "
			     "generator's time limit)",
			     x->sec_text, value, INV_GEN_TIMEOUT_MAX);
	} else if (!strncmp(key, "var.", 4)) {
		add_var(x, p->vars, &p->n_vars, key, value, "a profile");
	} else {
		lerr(x, x->line,
		     "%s %s: unknown key (allowed in [profile]: description, menu, template, "
		     "script, "
		     "generator, timeout, var.NAME)",
		     x->sec_text, key);
	}
}

static void add_mac(struct load *x, const char *key, const char *item, size_t len)
{
	struct inventory *inv = x->inv;
	bool prefix = key[3] == '_';
	uint8_t b[6];
	int n = parse_hexbytes(item, len, b, 6);

	if (prefix ? n < 1 || n > 5 : n != 6) {
		lerr(x, x->line, "%s %s: \"%.*s\" is not %s", x->sec_text, key,
		     (int)(len > 40 ? 40 : len), item,
		     prefix ? "a MAC prefix of 1-5 bytes (e.g. 52:54:00)"
			    : "a MAC address (e.g. 52:54:00:12:34:56)");
		return;
	}
	if (inv->n_macs + inv->n_prefixes >= MAX_INDEX) {
		lerr(x, x->line, "%s %s: too many MAC entries", x->sec_text, key);
		return;
	}
	if (prefix) {
		if (grow(&inv->prefixes, &inv->cap_prefixes, inv->n_prefixes + 1,
			 sizeof(*inv->prefixes)))
			return oom(x);
		inv->prefixes[inv->n_prefixes++] = (struct mac_ent){ mac_key(b, (size_t)n),
								     (uint32_t)n, (uint32_t)x->cur,
								     x->line };
	} else {
		if (grow(&inv->macs, &inv->cap_macs, inv->n_macs + 1, sizeof(*inv->macs)))
			return oom(x);
		inv->macs[inv->n_macs++] = (struct mac_ent){ mac_key(b, 6), 6, (uint32_t)x->cur,
							     x->line };
	}
	inv->machines[x->cur].ids++;
}

/* "mac = a, b c": a list separated by commas and/or spaces. */
static void mac_list(struct load *x, const char *key, const char *v)
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
			add_mac(x, key, v + s, i - s);
	}
}

static void add_str(struct load *x, struct str_ent **v, size_t *n, size_t *cap, const char *s,
		    bool lower)
{
	char *c;

	if (grow(v, cap, *n + 1, sizeof(**v)))
		return oom(x);
	c = arena_strndup(x->inv, s, strlen(s));
	if (!c)
		return oom(x);
	if (lower)
		for (char *q = c; *q; q++)
			if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q + 32);
	(*v)[(*n)++] = (struct str_ent){ c, (uint32_t)x->cur, x->line };
	x->inv->machines[x->cur].ids++;
}

static void machine_key(struct load *x, const char *key, const char *value)
{
	struct inventory *inv = x->inv;
	struct inv_machine *m = &inv->machines[x->cur];
	const char *why;

	if (!strcmp(key, "mac") || !strcmp(key, "mac_prefix")) {
		if (!value[0])
			lerr(x, x->line, "%s %s: empty", x->sec_text, key);
		mac_list(x, key, value);
	} else if (!strcmp(key, "uuid")) {
		struct uuid_ent e = { .machine = (uint32_t)x->cur, .line = x->line };
		if (!once(x, &m->seen[0], key))
			return;
		if (parse_uuid(value, strlen(value), e.u)) {
			lerr(x, x->line,
			     "%s uuid: \"%.40s\" is not a UUID (8-4-4-4-12 hex digits, as "
			     "dmidecode -s "
			     "system-uuid prints it)",
			     x->sec_text, value);
			return;
		}
		if (grow(&inv->uuids, &inv->cap_uuids, inv->n_uuids + 1, sizeof(*inv->uuids)))
			return oom(x);
		inv->uuids[inv->n_uuids++] = e;
		m->ids++;
	} else if (!strcmp(key, "serial") || !strcmp(key, "hostname")) {
		bool host = key[0] == 'h';
		if (!once(x, &m->seen[host ? 2 : 1], key))
			return;
		if (!value[0] || strlen(value) > TEXT_MAX || (why = text_problem(value))) {
			lerr(x, x->line, "%s %s: %s", x->sec_text, key,
			     !value[0]			? "empty"
			     : strlen(value) > TEXT_MAX ? "longer than 255 characters"
							: why);
			return;
		}
		if (host)
			add_str(x, &inv->hostnames, &inv->n_hostnames, &inv->cap_hostnames, value,
				true);
		else
			add_str(x, &inv->serials, &inv->n_serials, &inv->cap_serials, value, false);
	} else if (!strcmp(key, "profile")) {
		if (!once(x, &m->seen[3], key))
			return;
		if (!name_ok(value)) {
			lerr(x, x->line, "%s profile: \"%.40s\" is not a profile name", x->sec_text,
			     value);
			return;
		}
		if (!(m->profile_name = arena_strndup(inv, value, strlen(value))))
			oom(x);
	} else if (!strcmp(key, "boot")) {
		if (!once(x, &m->seen[4], key))
			return;
		if (!strcmp(value, "netboot"))
			m->boot = BOOT_NETBOOT;
		else if (!strcmp(value, "local"))
			m->boot = BOOT_LOCAL;
		else if (!strcmp(value, "disabled"))
			m->boot = BOOT_DISABLED;
		else
			lerr(x, x->line, "%s boot: \"%.40s\" is not netboot, local or disabled",
			     x->sec_text, value);
	} else if (!strncmp(key, "var.", 4)) {
		size_t n = m->n_vars;
		if (grow(&inv->mvars, &inv->cap_mvars, inv->n_mvars + 1, sizeof(*inv->mvars)))
			return oom(x);
		add_var(x, inv->mvars + m->var_start, &n, key, value, "a machine");
		if (n > m->n_vars) {
			m->n_vars = n;
			inv->n_mvars++;
		}
	} else {
		lerr(x, x->line,
		     "%s %s: unknown key (allowed in [machine]: mac, mac_prefix, uuid, serial, "
		     "hostname, "
		     "profile, boot, var.NAME)",
		     x->sec_text, key);
	}
}

/* An indented line: more of the value above (inih passes the previous key again). */
static void continuation(struct load *x, const char *key, const char *value)
{
	struct inventory *inv = x->inv;

	if (x->kind == SEC_PROFILE) {
		struct inv_profile *p = &inv->profiles[x->cur];
		if (!strcmp(key, "script")) {
			if (p->script)
				script_append(x, p, value, true);
			return;
		}
		if (!strcmp(key, "description") && p->description) {
			p->description = join(x, p->description, " ", value);
			return;
		}
		if (!strncmp(key, "var.", 4) && p->n_vars &&
		    !strcmp(p->vars[p->n_vars - 1].name, key + 4)) {
			p->vars[p->n_vars - 1].value = join(x, p->vars[p->n_vars - 1].value, " ",
							    value);
			return;
		}
	} else if (x->kind == SEC_MACHINE) {
		struct inv_machine *m = &inv->machines[x->cur];
		if (!strcmp(key, "mac") || !strcmp(key, "mac_prefix")) {
			mac_list(x, key, value);
			return;
		}
		if (!strncmp(key, "var.", 4) && m->n_vars &&
		    !strcmp(inv->mvars[m->var_start + m->n_vars - 1].name, key + 4)) {
			struct inv_var *v = &inv->mvars[m->var_start + m->n_vars - 1];
			v->value = join(x, v->value, " ", value);
			return;
		}
	} else if (x->kind == SEC_MENU && !strcmp(key, "title") && inv->menu_title) {
		inv->menu_title = join(x, inv->menu_title, " ", value);
		return;
	} else if (x->kind == SEC_BAD) {
		return;
	}
	lerr(x, x->line,
	     "indented line: it would continue \"%s\" above, which takes one line (unindent it, or "
	     "continue only script, description, title, mac and var.NAME values)",
	     key);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct load *x = user;

	(void)section; /* tracked by reader(): inih truncates long names */
	if (x->rc)
		return 1;
	if (x->cont) {
		continuation(x, name, value);
		return 1;
	}
	x->have_key = true;
	switch (x->kind) {
	case SEC_NONE:
		lerr(x, x->line,
		     "%s: key outside a section (start with [machine NAME], [profile NAME] or "
		     "[menu])",
		     name);
		break;
	case SEC_MENU:
		menu_key(x, name, value);
		break;
	case SEC_PROFILE:
		profile_key(x, name, value);
		break;
	case SEC_MACHINE:
		machine_key(x, name, value);
		break;
	case SEC_BAD:
		break; /* reported at its header */
	}
	return 1;
}

/* ---- after reading: resolve, check, compile ---- */

static struct inventory *sort_inv; /* qsort has no context argument; loading is single-threaded */

/* qsort() must not be given NULL, even for no elements (C11 7.22.5). */
static void sort(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(v, n, size, cmp);
}

static int cmp_profile(const void *a, const void *b)
{
	return strcmp(sort_inv->profiles[*(const uint32_t *)a].name,
		      sort_inv->profiles[*(const uint32_t *)b].name);
}

static int cmp_machine_name(const void *a, const void *b)
{
	return strcmp(sort_inv->machines[*(const uint32_t *)a].name,
		      sort_inv->machines[*(const uint32_t *)b].name);
}

static int cmp_mac(const void *a, const void *b)
{
	const struct mac_ent *x = a, *y = b;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_uuid(const void *a, const void *b)
{
	const struct uuid_ent *x = a, *y = b;
	int c = memcmp(x->u, y->u, 16);
	return c ? c : x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_str(const void *a, const void *b)
{
	const struct str_ent *x = a, *y = b;
	int c = strcmp(x->s, y->s);
	return c ? c : x->line < y->line ? -1 : x->line > y->line;
}

static const struct inv_profile *find_profile(const struct inventory *inv, const char *name)
{
	size_t lo = 0, hi = inv->n_profiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct inv_profile *p = &inv->profiles[inv->profile_order[mid]];
		int c = strcmp(name, p->name);
		if (!c)
			return p;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int track_file(struct load *x, const char *path, int fd)
{
	struct inventory *inv = x->inv;
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (grow(&inv->files, &inv->cap_files, inv->n_files + 1, sizeof(*inv->files)))
		return -ENOMEM;
	inv->files[inv->n_files++] = (struct inv_file){ path, st.st_dev, st.st_ino, st.st_size,
							st.st_mtim };
	return 0;
}

/* Read a whole file of at most max bytes (and track it for inventory_changed()).
 * Returns 0, -EFBIG, -EINVAL (not a regular file), -EIO (changed while read) or -errno. */
static int read_file(struct load *x, const char *path, char **out, size_t *len, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), rc;

	*out = NULL;
	if (fd < 0)
		return -errno;
	rc = fileio_read_fd(fd, path, max, (uint8_t **)out, len, NULL);
	if (!rc)
		rc = track_file(x, path, fd);
	close(fd);
	return rc;
}

struct resolve_ctx {
	const struct inv_profile *p; /* NULL: built-in names only */
};

static int resolve(const char *name, size_t len, void *arg)
{
	const struct resolve_ctx *c = arg;
	int s = builtin_slot(name, len);

	if (s >= 0)
		return s;
	for (size_t i = 0; c->p && i < c->p->n_vars; i++)
		if (strlen(c->p->vars[i].name) == len && !memcmp(c->p->vars[i].name, name, len))
			return N_BUILTIN + (int)i;
	return -1;
}

static int compile(struct tmpl *t, const char *text, size_t len, const struct inv_profile *p,
		   struct template_error *err)
{
	struct resolve_ctx c = { p };
	int rc = template_compile(text, len, resolve, &c, &t->t, err);

	if (!rc)
		t->uses_query = template_uses(t->t, SLOT_QUERY);
	return rc;
}

static void compile_profile(struct load *x, struct inv_profile *p)
{
	struct template_error err = { 0, "" };
	const char *what = p->template_path;
	char *text = NULL;
	size_t len = 0;
	unsigned line = 0;
	int rc;

	if (p->template_full) {
		rc = read_file(x, p->template_full, &text, &len, TEMPLATE_MAX);
		if (rc) {
			lerr(x, p->seen[2], "[profile %s] template: %s: %s", p->name,
			     p->template_path,
			     rc == -EFBIG    ? "larger than 64 KiB"
			     : rc == -EINVAL ? "not a regular file"
			     : rc == -EIO    ? "it changed while being read"
					     : strerror(-rc));
			free(text);
			return;
		}
	} else {
		/* script_append() left room for this: iPXE reads the last line either way,
		 * but a script that ends in a newline is what every tool expects */
		p->script[p->script_len++] = '\n';
		p->script[p->script_len] = '\0';
		text = p->script;
		len = p->script_len;
		p->script = NULL;
		what = "script";
	}
	/* iPXE runs a downloaded file as a script only when it starts with this magic. */
	if (len < 6 || memcmp(text, "#!ipxe", 6)) {
		lerr(x, p->template_full ? p->seen[2] : p->seen[3],
		     "[profile %s] %s: does not start with \"#!ipxe\" "
		     "(iPXE treats anything else as a binary to boot)",
		     p->name, what);
		free(text);
		return;
	}
	rc = compile(&p->tmpl, text, len, p, &err);
	if (rc == -EINVAL) {
		bool unknown = strstr(err.msg, "unknown variable") != NULL;
		if (p->template_full) {
			line = p->seen[2];
			lerr(x, line, "[profile %s] template: %s:%u: %s%s%s%s", p->name,
			     p->template_path, err.line, err.msg,
			     unknown ? " (built-in: mac uuid serial manufacturer product asset "
				       "hostname "
				       "platform buildarch uc client machine profile server "
				       "script_url query; others: "
				       "define var.NAME in [profile "
				     : "",
			     unknown ? p->name : "", unknown ? "])" : "");
		} else {
			line = err.line && err.line <= p->n_script_lines
				       ? p->script_lines[err.line - 1]
				       : p->seen[3];
			lerr(x, line, "[profile %s] script: %s%s%s%s", p->name, err.msg,
			     unknown ? " (built-in: mac uuid serial manufacturer product asset "
				       "hostname platform "
				       "buildarch uc client machine profile server script_url "
				       "query; others: define "
				       "var.NAME in [profile "
				     : "",
			     unknown ? p->name : "", unknown ? "])" : "");
		}
	} else if (rc) {
		lerr(x, p->line, "[profile %s]: %s", p->name, strerror(-rc));
	}
	free(text);
}

static void check_generator(struct load *x, struct inv_profile *p)
{
	struct stat st;

	if (stat(p->generator, &st)) {
		lerr(x, p->seen[4], "[profile %s] generator: %s: %s", p->name, p->generator,
		     strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode) || access(p->generator, X_OK)) {
		lerr(x, p->seen[4],
		     "[profile %s] generator: %s: not an executable file (chmod +x it; it runs as "
		     "the "
		     "daemon's unprivileged user)",
		     p->name, p->generator);
		return;
	}
}

/* The menu for unlisted machines, made from the profiles (file order) as a template:
 * the same {{...}} machinery fills in the facts. */
static int menu_text(struct inventory *inv, const struct site_config *cfg, char **out, size_t *len)
{
	size_t cap = 8192 + inv->n_profiles * (INV_NAME_MAX + 4 * TEXT_MAX + 16), n = 0;
	char *b = malloc(cap), q[CHAINSCRIPT_QUOTE_SIZE(TEXT_MAX)];
	const char *def = inv->menu_default ? inv->menu_default : "cb-local";
	bool any = false;

#define ADD(...) (n < cap ? n += (size_t)snprintf(b + n, cap - n, __VA_ARGS__) : n)
	(void)cfg;
	if (!b)
		return -ENOMEM;
	ADD("#!ipxe\n"
	    "# chainboot: the menu for machines the inventory does not list (made by chainbootd)\n"
	    "echo chainboot: this machine is not in the inventory (mac {{mac}} uuid {{uuid}} "
	    "serial {{serial}})\n"
	    ":cb-menu\n");
	if (chainscript_quote(inv->menu_title ? inv->menu_title
					      : "chainboot: choose what this machine boots",
			      q, sizeof(q)))
		snprintf(q, sizeof(q), "chainboot");
	ADD("menu %s\n", q);
	for (size_t i = 0; i < inv->n_profiles; i++) {
		const struct inv_profile *p = &inv->profiles[i];
		if (!p->in_menu)
			continue;
		if (!any)
			ADD("item --gap Profiles\n");
		any = true;
		if (!p->description || chainscript_quote(p->description, q, sizeof(q)))
			snprintf(q, sizeof(q), "%s", p->name);
		ADD("item %s %s\n", p->name, q);
	}
	ADD("item --gap Other\n"
	    "item cb-local Boot from the next boot device (local disk)\n"
	    "item cb-retry Ask the inventory again\n"
	    "item cb-shell iPXE shell\n");
	if (inv->menu_timeout)
		ADD("choose --default %s --timeout %u cb-choice || set cb-choice cb-shell\n", def,
		    inv->menu_timeout * 1000u);
	else
		ADD("choose --default %s cb-choice || set cb-choice cb-shell\n", def);
	ADD("iseq ${cb-choice} cb-local && goto cb-local ||\n"
	    "iseq ${cb-choice} cb-shell && goto cb-shell ||\n"
	    "iseq ${cb-choice} cb-retry && goto cb-retry ||\n"
	    "echo chainboot: profile ${cb-choice}\n"
	    "chain --autofree {{script_url}}?{{query}}&profile=${cb-choice} && exit ||\n"
	    "goto cb-failed\n"
	    ":cb-retry\n"
	    "chain --autofree {{script_url}}?{{query}} && exit ||\n"
	    ":cb-failed\n"
	    "echo chainboot: that did not boot; back to the menu in 5 seconds\n"
	    "sleep 5 ||\n"
	    "goto cb-menu\n"
	    ":cb-shell\n"
	    "echo chainboot: iPXE shell (type exit to return to the menu)\n"
	    "shell ||\n"
	    "goto cb-menu\n"
	    ":cb-local\n"
	    "echo chainboot: exiting to the next boot device\n"
	    "exit 0\n");
#undef ADD
	if (n >= cap) {
		free(b);
		return -ENOSPC;
	}
	*out = b;
	*len = n;
	return 0;
}

static const char local_text[] =
	"#!ipxe\n"
	"echo chainboot: {{machine}} boots from its local disk (inventory: boot = local)\n"
	"exit 0\n";
static const char disabled_text[] =
	"#!ipxe\n"
	"echo chainboot: {{machine}} is disabled in the inventory (boot = disabled): not "
	"booting from the network\n"
	"exit 0\n";

static void check_dups_mac(struct load *x, struct mac_ent *v, size_t n, const char *what)
{
	struct inventory *inv = x->inv;

	sort(v, n, sizeof(*v), cmp_mac);
	for (size_t i = 1; i < n; i++) {
		if (v[i].key != v[i - 1].key || v[i].len != v[i - 1].len)
			continue;
		uint8_t b[6];
		char t[18];
		for (int k = 0; k < 6; k++)
			b[k] = (uint8_t)(v[i].key >> (40 - 8 * k));
		format_mac(b, t);
		t[v[i].len * 3 - 1] = '\0';
		lerr(x, v[i].line, "[machine %s] %s %s: already listed for [machine %s] at line %u",
		     inv->machines[v[i].machine].name, what, t,
		     inv->machines[v[i - 1].machine].name, v[i - 1].line);
	}
}

static void check_dups_str(struct load *x, struct str_ent *v, size_t n, const char *what)
{
	struct inventory *inv = x->inv;

	sort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(v[i].s, v[i - 1].s))
			lerr(x, v[i].line,
			     "[machine %s] %s \"%.60s\": already listed for [machine %s] at line "
			     "%u",
			     inv->machines[v[i].machine].name, what, v[i].s,
			     inv->machines[v[i - 1].machine].name, v[i - 1].line);
}

static void finish(struct load *x)
{
	struct inventory *inv = x->inv;
	uint32_t *order;
	struct template_error err;
	char *text;
	size_t len;

	/* profiles and machines by name: duplicates, and the index for lookups */
	inv->profile_order = malloc((inv->n_profiles + 1) * sizeof(*inv->profile_order));
	order = malloc((inv->n_machines + 1) * sizeof(*order));
	if (!inv->profile_order || !order) {
		free(order);
		return oom(x);
	}
	sort_inv = inv;
	for (size_t i = 0; i < inv->n_profiles; i++)
		inv->profile_order[i] = (uint32_t)i;
	sort(inv->profile_order, inv->n_profiles, sizeof(*order), cmp_profile);
	for (size_t i = 1; i < inv->n_profiles; i++) {
		const struct inv_profile *a = &inv->profiles[inv->profile_order[i - 1]],
					 *b = &inv->profiles[inv->profile_order[i]];
		if (!strcmp(a->name, b->name))
			lerr(x, a->line > b->line ? a->line : b->line,
			     "[profile %s]: defined twice (also at line %u)", a->name,
			     a->line < b->line ? a->line : b->line);
	}
	for (size_t i = 0; i < inv->n_machines; i++)
		order[i] = (uint32_t)i;
	sort(order, inv->n_machines, sizeof(*order), cmp_machine_name);
	for (size_t i = 1; i < inv->n_machines; i++) {
		const struct inv_machine *a = &inv->machines[order[i - 1]],
					 *b = &inv->machines[order[i]];
		if (!strcmp(a->name, b->name))
			lerr(x, a->line > b->line ? a->line : b->line,
			     "[machine %s]: defined twice (also at line %u)", a->name,
			     a->line < b->line ? a->line : b->line);
	}
	free(order);
	sort_inv = NULL;

	/* profiles: one source each, compiled */
	for (size_t i = 0; i < inv->n_profiles; i++) {
		struct inv_profile *p = &inv->profiles[i];
		int sources = !!p->seen[2] + !!p->seen[3] + !!p->seen[4];
		if (sources != 1) {
			lerr(x, p->line,
			     "[profile %s]: %s (give exactly one of template = FILE, script = ..., "
			     "generator = PROGRAM)",
			     p->name, sources ? "more than one script source" : "no script");
			continue;
		}
		if (p->seen[5] && !p->generator)
			lerr(x, p->seen[5],
			     "[profile %s] timeout: only a generator has a time limit", p->name);
		if (p->generator)
			check_generator(x, p);
		else if (p->template_full || p->script)
			compile_profile(x, p);
	}

	/* machines: profile, identifiers, variables */
	for (size_t i = 0; i < inv->n_machines; i++) {
		struct inv_machine *m = &inv->machines[i];
		if (!m->ids)
			lerr(x, m->line,
			     "[machine %s]: nothing to recognise it by (give mac, mac_prefix, "
			     "uuid, serial "
			     "or hostname)",
			     m->name);
		if (m->profile_name) {
			m->profile = find_profile(inv, m->profile_name);
			if (!m->profile)
				lerr(x, m->seen[3],
				     "[machine %s] profile: no [profile %s] in this file", m->name,
				     m->profile_name);
		} else if (m->boot == BOOT_NETBOOT) {
			lerr(x, m->line,
			     "[machine %s]: no profile (give profile = NAME, or boot = local / "
			     "disabled)",
			     m->name);
		}
		for (size_t k = 0; k < m->n_vars; k++) {
			struct inv_var *v = &inv->mvars[m->var_start + k];
			const struct inv_profile *p = m->profile;
			for (size_t j = 0; p && j < p->n_vars; j++)
				if (!strcmp(p->vars[j].name, v->name))
					v->slot = (int)j;
			if (p && v->slot < 0)
				lerr(x, v->line,
				     "[machine %s] var.%s: [profile %s] has no var.%s to override "
				     "(define its "
				     "default there)",
				     m->name, v->name, p->name, v->name);
		}
	}
	if (inv->menu_default) {
		const struct inv_profile *p = find_profile(inv, inv->menu_default);
		if (!p)
			lerr(x, inv->menu_default_line,
			     "[menu] default: no [profile %s] in this file", inv->menu_default);
		else if (!p->in_menu)
			lerr(x, inv->menu_default_line,
			     "[menu] default: [profile %s] has menu = no", inv->menu_default);
	}

	/* identifiers: duplicates are errors, and sorted arrays are the lookup index */
	check_dups_mac(x, inv->macs, inv->n_macs, "mac");
	check_dups_mac(x, inv->prefixes, inv->n_prefixes, "mac_prefix");
	sort(inv->uuids, inv->n_uuids, sizeof(*inv->uuids), cmp_uuid);
	for (size_t i = 1; i < inv->n_uuids; i++) {
		if (memcmp(inv->uuids[i].u, inv->uuids[i - 1].u, 16))
			continue;
		char t[37];
		format_uuid(inv->uuids[i].u, t);
		lerr(x, inv->uuids[i].line,
		     "[machine %s] uuid %s: already listed for [machine %s] at line %u",
		     inv->machines[inv->uuids[i].machine].name, t,
		     inv->machines[inv->uuids[i - 1].machine].name, inv->uuids[i - 1].line);
	}
	check_dups_str(x, inv->serials, inv->n_serials, "serial");
	check_dups_str(x, inv->hostnames, inv->n_hostnames, "hostname");

	if (x->errors || x->rc)
		return;
	memset(&err, 0, sizeof(err));
	if (menu_text(inv, x->cfg, &text, &len))
		return oom(x);
	if (compile(&inv->menu, text, len, NULL, &err) ||
	    compile(&inv->local, local_text, sizeof(local_text) - 1, NULL, &err) ||
	    compile(&inv->disabled, disabled_text, sizeof(disabled_text) - 1, NULL, &err))
		lerr(x, 0, "internal: the built-in menu does not compile: line %u: %s", err.line,
		     err.msg);
	free(text);
}

static void free_loading(struct inventory *inv)
{
	for (size_t i = 0; i < inv->n_profiles; i++) {
		free(inv->profiles[i].script);
		free(inv->profiles[i].script_lines);
		inv->profiles[i].script = NULL;
		inv->profiles[i].script_lines = NULL;
	}
}

static void destroy(struct inventory *inv)
{
	free_loading(inv);
	for (size_t i = 0; i < inv->n_profiles; i++)
		template_free(inv->profiles[i].tmpl.t);
	template_free(inv->menu.t);
	template_free(inv->local.t);
	template_free(inv->disabled.t);
	free(inv->profiles);
	free(inv->machines);
	free(inv->mvars);
	free(inv->macs);
	free(inv->prefixes);
	free(inv->uuids);
	free(inv->serials);
	free(inv->hostnames);
	free(inv->profile_order);
	free(inv->files);
	while (inv->chunks) {
		struct chunk *c = inv->chunks;
		inv->chunks = c->next;
		free(c);
	}
	free(inv);
}

int inventory_load(const char *path, const struct site_config *cfg, struct inventory **out,
		   struct diag *d)
{
	struct load *x;
	struct inventory *inv;
	struct diag rd = { { 0 } };
	struct stat st;
	const char *slash;
	char *text;
	size_t len;
	int rc, fd;

	*out = NULL;
	inv = calloc(1, sizeof(*inv));
	x = calloc(1, sizeof(*x));
	if (!inv || !x) {
		free(inv);
		free(x);
		return diag_add(d, -ENOMEM, "%s: out of memory", path ? path : "inventory");
	}
	inv->refs = 1;
	inv->menu_timeout = MENU_TIMEOUT_DEFAULT;
	x->inv = inv;
	x->cfg = cfg;
	x->d = d;
	x->path = path ? path : "(no inventory)";
	if (path) {
		inv->path = arena_strndup(inv, path, strlen(path));
		if (!inv->path) {
			rc = diag_add(d, -ENOMEM, "%s: out of memory", path);
			goto out;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0) {
			rc = diag_add(d, -errno, "%s: cannot read the inventory: %s", path,
				      strerror(errno));
			goto out;
		}
		if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > INV_MAX_FILE) {
			rc = diag_add(d, -EINVAL, "%s: not a regular file of at most %u MiB", path,
				      INV_MAX_FILE >> 20);
			close(fd);
			goto out;
		}
		if ((rc = track_file(x, inv->path, fd))) {
			close(fd);
			rc = diag_add(d, rc, "%s: %s", path, strerror(-rc));
			goto out;
		}
		rc = fileio_read_fd(fd, path, INV_MAX_FILE, (uint8_t **)&text, &len, &rd);
		close(fd);
		if (rc) {
			rc = diag_add(d, rc, "%s", rd.msg);
			goto out;
		}
		iniline_init(&x->lines, text, len);
		slash = strrchr(path, '/');
		if (slash == path)
			snprintf(x->dir, sizeof(x->dir), "/");
		else if (slash)
			snprintf(x->dir, sizeof(x->dir), "%.*s", (int)(slash - path), path);
		rc = ini_parse_stream(reader, x, handler, x);
		free(text);
		if (rc > 0) {
			/* inih's first unparsable line; skip it when reader() already said why */
			bool said = false;
			for (size_t i = 0; i < x->n_err_lines; i++)
				said |= x->err_lines[i] == (unsigned)rc;
			if (!said)
				lerr(x, (unsigned)rc,
				     "not a \"key = value\" line, a [section] header or a comment");
		} else if (rc < 0) {
			oom(x);
		}
		if (x->lines.long_line)
			lerr(x, x->lines.long_line,
			     "line longer than %d characters; continue a long value on indented "
			     "lines below it",
			     x->lines.max_line - 3);
	}
	if (!x->rc)
		finish(x);
	rc = x->rc ? x->rc : x->errors ? -EINVAL : 0;
out:
	free_loading(inv);
	if (rc)
		destroy(inv);
	else
		*out = inv;
	free(x);
	return rc;
}

struct inventory *inventory_hold(struct inventory *inv)
{
	if (inv)
		inv->refs++;
	return inv;
}

void inventory_free(struct inventory *inv)
{
	if (inv && --inv->refs == 0)
		destroy(inv);
}

bool inventory_changed(const struct inventory *inv)
{
	for (size_t i = 0; inv && i < inv->n_files; i++) {
		const struct inv_file *f = &inv->files[i];
		struct stat st;
		if (stat(f->path, &st))
			return true;
		if (st.st_dev != f->dev || st.st_ino != f->ino || st.st_size != f->size ||
		    st.st_mtim.tv_sec != f->mtim.tv_sec || st.st_mtim.tv_nsec != f->mtim.tv_nsec)
			return true;
	}
	return false;
}

void inventory_counts(const struct inventory *inv, size_t *machines, size_t *profiles)
{
	*machines = inv ? inv->n_machines : 0;
	*profiles = inv ? inv->n_profiles : 0;
}

/* ---- matching ---- */

static const struct mac_ent *find_mac(const struct mac_ent *v, size_t n, uint64_t key, uint32_t len)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct mac_ent *e = &v[mid];
		if (e->len == len && e->key == key)
			return e;
		if (e->len < len || (e->len == len && e->key < key))
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct uuid_ent *find_uuid(const struct inventory *inv, const uint8_t u[16])
{
	size_t lo = 0, hi = inv->n_uuids;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(u, inv->uuids[mid].u, 16);
		if (!c)
			return &inv->uuids[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static const struct str_ent *find_str(const struct str_ent *v, size_t n, const char *s)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s, v[mid].s);
		if (!c)
			return &v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static const struct inv_machine *match_ids(const struct inventory *inv, const uint8_t *mac,
					   const uint8_t *uuid, const char **by)
{
	const struct mac_ent *e;
	const struct uuid_ent *u;

	if (mac && (e = find_mac(inv->macs, inv->n_macs, mac_key(mac, 6), 6)))
		return *by = "mac", &inv->machines[e->machine];
	if (uuid && (u = find_uuid(inv, uuid)))
		return *by = "uuid", &inv->machines[u->machine];
	return NULL;
}

static const struct inv_machine *match_prefix(const struct inventory *inv, const uint8_t *mac,
					      const char **by)
{
	const struct mac_ent *e;

	for (uint32_t len = 5; mac && inv->n_prefixes && len >= 1; len--)
		if ((e = find_mac(inv->prefixes, inv->n_prefixes, mac_key(mac, len), len)))
			return *by = "mac_prefix", &inv->machines[e->machine];
	return NULL;
}

const struct inv_machine *inventory_match(const struct inventory *inv, const struct inv_facts *f,
					  const char **by)
{
	const struct inv_machine *m;
	const struct str_ent *s;
	const char *v;

	*by = "";
	if (!inv)
		return NULL;
	if ((m = match_ids(inv, f->has_mac ? f->mac : NULL, f->has_uuid ? f->uuid : NULL, by)))
		return m;
	v = f->v[INV_FACT_SERIAL];
	if (v && *v && (s = find_str(inv->serials, inv->n_serials, v)))
		return *by = "serial", &inv->machines[s->machine];
	v = f->v[INV_FACT_HOSTNAME];
	if (v && *v && inv->n_hostnames) {
		char low[INV_FACT_MAX + 1];
		size_t n = strnlen(v, INV_FACT_MAX);
		for (size_t i = 0; i < n; i++)
			low[i] = v[i] >= 'A' && v[i] <= 'Z' ? (char)(v[i] + 32) : v[i];
		low[n] = '\0';
		if ((s = find_str(inv->hostnames, inv->n_hostnames, low)))
			return *by = "hostname", &inv->machines[s->machine];
	}
	return match_prefix(inv, f->has_mac ? f->mac : NULL, by);
}

enum decide_inv inventory_dhcp_verdict(const struct inventory *inv, const char *mac,
				       const char *uuid)
{
	uint8_t m[6], u[16];
	bool has_m, has_u;
	const struct inv_machine *x;
	const char *by;

	if (!inv)
		return DECIDE_INV_UNKNOWN;
	has_m = mac && *mac && !parse_mac(mac, strnlen(mac, 64), m);
	has_u = uuid && *uuid && !parse_uuid(uuid, strnlen(uuid, 64), u);
	x = match_ids(inv, has_m ? m : NULL, has_u ? u : NULL, &by);
	if (!x)
		x = match_prefix(inv, has_m ? m : NULL, &by);
	if (!x)
		return DECIDE_INV_UNKNOWN;
	return x->boot == BOOT_NETBOOT ? DECIDE_INV_NETBOOT : DECIDE_INV_LOCAL;
}

bool inventory_boot_local(const struct inventory *inv, const char *mac)
{
	return inventory_dhcp_verdict(inv, mac, NULL) == DECIDE_INV_LOCAL;
}

void inventory_decide(const struct inventory *inv, const struct inv_facts *f, struct inv_result *r)
{
	memset(r, 0, sizeof(*r));
	r->machine = inventory_match(inv, f, &r->by);
	if (r->machine) {
		switch (r->machine->boot) {
		case BOOT_LOCAL:
			r->decision = INV_DECIDE_LOCAL;
			return;
		case BOOT_DISABLED:
			r->decision = INV_DECIDE_DISABLED;
			return;
		case BOOT_NETBOOT:
			break;
		}
		r->decision = INV_DECIDE_PROFILE;
		r->profile = r->machine->profile;
		return;
	}
	/* A choice made in the menu counts only for profiles the menu offers. */
	if (inv && f->want_profile && f->want_profile[0]) {
		const struct inv_profile *p = find_profile(inv, f->want_profile);
		if (p && p->in_menu) {
			r->decision = INV_DECIDE_CHOSEN;
			r->profile = p;
			return;
		}
	}
	r->decision = INV_DECIDE_MENU;
}

const char *inventory_decision_str(enum inv_decision d)
{
	static const char *const s[] = { "profile", "chosen", "menu", "local", "disabled" };
	return (unsigned)d < sizeof(s) / sizeof(s[0]) ? s[d] : "?";
}

const char *inventory_machine_name(const struct inv_machine *m)
{
	return m ? m->name : "";
}

const char *inventory_profile_name(const struct inv_profile *p)
{
	return p ? p->name : "";
}

const char *inventory_generator(const struct inv_profile *p, unsigned *timeout_ms)
{
	if (!p || !p->generator)
		return NULL;
	*timeout_ms = p->timeout_s * 1000u;
	return p->generator;
}

/* ---- rendering ---- */

/* The facts again as a query string, each value escaped (so also safe in a script). */
static size_t build_query(const struct inv_facts *f, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; i < INV_N_FACTS; i++) {
		const char *v = f->v[i];
		if (i == INV_FACT_MAC || i == INV_FACT_UUID) /* as normalised */
			v = i == INV_FACT_MAC ? f->mac_text : f->uuid_text;
		size_t kl = strlen(builtin_names[i]);
		int n;
		if (!v || !*v)
			continue;
		if (kl + 2 >= cap - o)
			break;
		if (o)
			out[o++] = '&';
		memcpy(out + o, builtin_names[i], kl);
		o += kl;
		out[o++] = '=';
		n = template_escape(v, strnlen(v, INV_FACT_MAX), out + o, cap - o);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	out[o] = '\0';
	return o;
}

int inventory_render(const struct inventory *inv, const struct inv_result *r,
		     const struct inv_facts *f, const char *server_url, char *out, size_t cap,
		     size_t *len)
{
	struct template_value v[N_BUILTIN + INV_MAX_VARS];
	char script_url[SITE_URL_MAX],
		query[INV_N_FACTS * (16 + TEMPLATE_ESCAPE_SIZE(INV_FACT_MAX))];
	const struct inv_profile *p = NULL;
	const struct tmpl *t;
	size_t nv = N_BUILTIN, su;

	if (!inv)
		return -EINVAL;
	switch (r->decision) {
	case INV_DECIDE_PROFILE:
	case INV_DECIDE_CHOSEN:
		p = r->profile;
		t = p && p->tmpl.t ? &p->tmpl
				   : &inv->menu; /* a generator profile falls back to the menu */
		if (t == &inv->menu)
			p = NULL;
		break;
	case INV_DECIDE_LOCAL:
		t = &inv->local;
		break;
	case INV_DECIDE_DISABLED:
		t = &inv->disabled;
		break;
	default:
		t = &inv->menu;
		break;
	}
	for (int i = 0; i < INV_N_FACTS; i++) {
		const char *s = f->v[i];
		if (i == INV_FACT_MAC || i == INV_FACT_UUID) /* as normalised */
			s = i == INV_FACT_MAC ? f->mac_text : f->uuid_text;
		v[i] = (struct template_value){ s, s ? strnlen(s, INV_FACT_MAX) : 0, true };
	}
	v[SLOT_CLIENT] = (struct template_value){ f->client, f->client ? strnlen(f->client, 64) : 0,
						  true };
	v[SLOT_MACHINE] = (struct template_value){ inventory_machine_name(r->machine),
						   strlen(inventory_machine_name(r->machine)),
						   true };
	v[SLOT_PROFILE] = (struct template_value){ inventory_profile_name(r->profile),
						   strlen(inventory_profile_name(r->profile)),
						   true };
	su = strnlen(server_url, SITE_URL_MAX - 16);
	v[SLOT_SERVER] = (struct template_value){ server_url, su, false };
	memcpy(script_url, server_url, su);
	memcpy(script_url + su, "/boot.ipxe", 11);
	v[SLOT_SCRIPT_URL] = (struct template_value){ script_url, su + 10, false };
	v[SLOT_QUERY] = (struct template_value){
		query, t->uses_query ? build_query(f, query, sizeof(query)) : 0, false
	};
	if (p) {
		for (size_t i = 0; i < p->n_vars; i++)
			v[N_BUILTIN + i] = (struct template_value){ p->vars[i].value,
								    strlen(p->vars[i].value),
								    false };
		nv += p->n_vars;
		for (size_t k = 0; r->machine && k < r->machine->n_vars; k++) {
			const struct inv_var *mv = &inv->mvars[r->machine->var_start + k];
			if (mv->slot >= 0 && (size_t)mv->slot < p->n_vars)
				v[N_BUILTIN + mv->slot] = (struct template_value){
					mv->value, strlen(mv->value), false
				};
		}
	}
	return template_render(t->t, v, nv, out, cap, len);
}

static int env_add(char *buf, size_t cap, size_t *used, char **envp, size_t max, size_t *n,
		   const char *k1, const char *k2, const char *val)
{
	int len;

	if (*n + 1 >= max || *used >= cap)
		return -ENOSPC;
	len = snprintf(buf + *used, cap - *used, "%s%s=%s", k1, k2, val ? val : "");
	if (len < 0 || (size_t)len >= cap - *used)
		return -ENOSPC;
	envp[(*n)++] = buf + *used;
	*used += (size_t)len + 1;
	return 0;
}

int inventory_generator_env(const struct inventory *inv, const struct inv_result *r,
			    const struct inv_facts *f, const char *server_url, char *buf,
			    size_t cap, char **envp, size_t max)
{
	static const char *const upper[INV_N_FACTS] = {
		"MAC",	 "UUID",     "SERIAL",	 "MANUFACTURER", "PRODUCT",
		"ASSET", "HOSTNAME", "PLATFORM", "BUILDARCH",	 "UC"
	};
	const struct inv_profile *p = r->profile;
	size_t used = 0, n = 0;
	int rc = 0;

	if (max == 0)
		return -ENOSPC;
	for (int i = 0; i < INV_N_FACTS && !rc; i++) {
		const char *s = f->v[i];
		if (i == INV_FACT_MAC || i == INV_FACT_UUID) /* as normalised */
			s = i == INV_FACT_MAC ? f->mac_text : f->uuid_text;
		rc = env_add(buf, cap, &used, envp, max, &n, "CB_", upper[i], s);
	}
	if (!rc)
		rc = env_add(buf, cap, &used, envp, max, &n, "CB_", "CLIENT", f->client);
	if (!rc)
		rc = env_add(buf, cap, &used, envp, max, &n, "CB_", "MACHINE",
			     inventory_machine_name(r->machine));
	if (!rc)
		rc = env_add(buf, cap, &used, envp, max, &n, "CB_", "PROFILE",
			     inventory_profile_name(p));
	if (!rc)
		rc = env_add(buf, cap, &used, envp, max, &n, "CB_", "SERVER", server_url);
	if (!rc)
		rc = env_add(buf, cap, &used, envp, max, &n, "PATH", "", GEN_PATH);
	for (size_t i = 0; p && i < p->n_vars && !rc; i++) {
		const char *val = p->vars[i].value;
		/* the machine's own value wins, as in templates */
		for (size_t k = 0; inv && r->machine && k < r->machine->n_vars; k++)
			if (inv->mvars[r->machine->var_start + k].slot == (int)i)
				val = inv->mvars[r->machine->var_start + k].value;
		rc = env_add(buf, cap, &used, envp, max, &n, "CB_VAR_", p->vars[i].name, val);
	}
	if (rc)
		return rc;
	envp[n] = NULL;
	return 0;
}
