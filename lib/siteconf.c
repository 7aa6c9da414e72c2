/* siteconf: the site file (INI, via libinih) that builder and server share, its defaults
 * and its checks. Input is a user's file: every value is validated, nothing is guessed. */
#include "siteconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "iniline.h"
#include "rebrand.h"

void site_defaults(struct site_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->user_class, sizeof(c->user_class), "CSTM");
	snprintf(c->label, sizeof(c->label), "CHAINBOOT");
	c->rounds = 3;
	c->backoff = 5;
	c->dhcp_tries = 3;
	c->http_timeout = 30;
	c->menu_timeout = 300;
	c->try_offered = true;
	snprintf(c->layout, sizeof(c->layout), "hybrid");
	c->arch = SITE_ARCH_X86_64 | SITE_ARCH_ARM64;
	c->http_port = 80;
	c->proxydhcp = true;
	c->tftp = true;
	c->ra_answer = true;
	snprintf(c->boot_root, sizeof(c->boot_root), "%s", SITE_BOOT_ROOT);
	snprintf(c->user, sizeof(c->user), "nobody");
	snprintf(c->efi_binary, sizeof(c->efi_binary), "snponly");
	snprintf(c->uefi_strategy, sizeof(c->uefi_strategy), "auto");
	c->tftp_max = 256;
	c->http_max = 1024;
	snprintf(c->status_listen, sizeof(c->status_listen), "127.0.0.1:9180");
	c->timeline = true;
	c->timeline_machines = 256, c->timeline_events = 32, c->timeline_stall = 60;
}

void site_clear_urls(struct site_config *c)
{
	c->n_urls = 0;
	c->n_urls_refused = 0;
	memset(c->urls, 0, sizeof(c->urls));
}

const char *site_arch_str(unsigned arch, char *buf, unsigned bufsz)
{
	snprintf(buf, bufsz, "%s%s%s", arch & SITE_ARCH_X86_64 ? "x86_64" : "",
		 (arch & SITE_ARCH_X86_64) && (arch & SITE_ARCH_ARM64) ? " " : "",
		 arch & SITE_ARCH_ARM64 ? "arm64" : "");
	return buf;
}

const char *site_sb_mode_name(enum site_sb_mode m)
{
	static const char *names[] = { "off", "shim", "db", "vendor" };

	return (unsigned)m < 4 ? names[m] : "?";
}

/* Whole-number values only, within [min, max]: no silent wrap, no trailing junk. */
static int parse_uint(const char *v, unsigned min, unsigned max, unsigned *out)
{
	unsigned long n;
	char *end;

	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return -ERANGE;
	*out = (unsigned)n;
	return 0;
}

/* A key of a section's number table: 1 set (or -EINVAL reported), 0 not in the table. */
struct num_key {
	const char *k;
	unsigned *p;
	unsigned min, max;
};

static int num_key_set(const struct num_key *t, size_t n, const char *key, const char *value,
		       const char *where, struct diag *d)
{
	unsigned v;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(key, t[i].k))
			continue;
		if (parse_uint(value, t[i].min, t[i].max, &v))
			return diag_add(d, -EINVAL,
					"%s: %s: \"%s\" is not a whole number from %u to %u", where,
					key, value, t[i].min, t[i].max);
		*t[i].p = v;
		return 1;
	}
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" },
			  *no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i]))
			return *out = true, 0;
		if (!strcasecmp(v, no[i]))
			return *out = false, 0;
	}
	return -EINVAL;
}

/* The ":PORT" after the host, if any: digits only, 1 to 65535 (an IPv6 literal's
 * colons are inside its brackets). */
static const char *port_problem(const char *host)
{
	size_t auth = strcspn(host, "/?");
	const char *end = host + auth, *colon = NULL, *at;
	unsigned long port = 0;

	while ((at = memchr(host, '@', (size_t)(end - host)))) /* user:password@ */
		host = at + 1;

	for (const char *p = host; p < end; p++) {
		if (*p == ']')
			colon = NULL;
		else if (*p == ':')
			colon = p;
		else if (*p == '[')
			while (p + 1 < end && *p != ']')
				p++;
	}
	if (!colon)
		return NULL;
	if (colon + 1 == end)
		return "has an empty port after ':'";
	for (const char *p = colon + 1; p < end; p++) {
		if (*p < '0' || *p > '9')
			return "has a port that is not a number";
		port = port * 10 + (unsigned long)(*p - '0');
		if (port > 65535)
			break;
	}
	if (port < 1 || port > 65535)
		return "has a port outside 1 to 65535";
	return NULL;
}

/* An http(s) URL with a host; the chain script carries it in a `set` line, so control
 * characters (which iPXE scripts cannot hold) are refused here, with the reason. */
static const char *url_problem(const char *u)
{
	const char *host;
	size_t n = strlen(u);

	if (!strncasecmp(u, "http://", 7))
		host = u + 7;
	else if (!strncasecmp(u, "https://", 8))
		host = u + 8;
	else
		return "must start with http:// or https:// (iPXE fetches the inventory script "
		       "over HTTP)";
	if (!*host || *host == '/' || *host == '?' || *host == ':')
		return "has no host name after the scheme";
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)u[i];
		if (ch < 0x20 || ch == 0x7f)
			return "contains a control character";
		if (ch == ' ')
			return "has a space (iPXE ends the URL there; percent-encode it as %20)";
	}
	const char *expand = strstr(u, "${");
	if (expand && strchr(expand, '}'))
		return "holds \"${…}\": iPXE replaces ${...} with a setting every time the value "
		       "is used, so it cannot pass through literally; write $ as %24 or { } as "
		       "%7B %7D";
	if (strchr(u, '#'))
		return "contains '#' (a fragment is never sent to the server; percent-encode it as "
		       "%23)";
	return port_problem(host);
}

static const char *class_problem(const char *v)
{
	size_t n = strlen(v);

	if (n == 0)
		return "is empty (allowed: 1 to 255 printable ASCII characters, e.g. CSTM)";
	if (n > SITE_CLASS_MAX)
		return "is longer than 255 bytes (DHCP option 77 has a one-byte length)";
	for (size_t i = 0; i < n; i++)
		if (v[i] < 0x21 || v[i] > 0x7e)
			return "has a character other than printable ASCII without spaces";
	if (!strcmp(v, "iPXE"))
		return "is \"iPXE\", the class every stock and vendor iPXE ROM sends — pick your "
		       "own (e.g. CSTM) so the DHCP server can tell our iPXE apart";
	return NULL;
}

static const char *label_problem(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > SITE_LABEL_MAX)
		return "must be 1 to 11 characters (FAT volume label limit)";
	for (size_t i = 0; i < n; i++)
		if (!isupper((unsigned char)v[i]) && !isdigit((unsigned char)v[i]) && v[i] != '_')
			return "may hold only A-Z, 0-9 and _ (ISO 9660 volume id rules)";
	return NULL;
}

static int parse_arch(const char *v, unsigned *out)
{
	char buf[128], *save = NULL, *tok;
	unsigned arch = 0;

	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v);
	for (tok = strtok_r(buf, " ,\t", &save); tok; tok = strtok_r(NULL, " ,\t", &save)) {
		if (!strcmp(tok, "x86_64") || !strcmp(tok, "amd64"))
			arch |= SITE_ARCH_X86_64;
		else if (!strcmp(tok, "arm64") || !strcmp(tok, "aarch64"))
			arch |= SITE_ARCH_ARM64;
		else
			return -EINVAL;
	}
	if (!arch)
		return -EINVAL;
	*out = arch;
	return 0;
}

static int copy_path(char *dst, size_t dstsz, const char *v, const char *base_dir)
{
	int n;

	if (v[0] == '/' || !base_dir || !*base_dir)
		n = snprintf(dst, dstsz, "%s", v);
	else
		n = snprintf(dst, dstsz, "%s/%s", base_dir, v);
	return n < 0 || (size_t)n >= dstsz ? -ENAMETOOLONG : 0;
}

/* A path key (PATH_MAX buffer): relative to the site file's folder. An empty value
 * unsets the key where that is allowed (empty_ok); elsewhere it is refused. */
static int set_path(char *dst, const char *v, bool empty_ok, const char *base_dir)
{
	if (!*v && empty_ok) {
		dst[0] = '\0';
		return 0;
	}
	if (!*v)
		return -EINVAL;
	return copy_path(dst, PATH_MAX, v, base_dir);
}

/* [secureboot]: mode, key, cert. Paths are checked for existence when an image is made
 * (builder/sign.c), where the reason can be told with what the file holds. */
static int secureboot_key(struct site_config *c, const char *key, const char *value,
			  const char *where, const char *base_dir, struct diag *d)
{
	if (!strcmp(key, "mode")) {
		for (int m = SITE_SB_OFF; m <= SITE_SB_VENDOR; m++)
			if (!strcmp(value, site_sb_mode_name((enum site_sb_mode)m))) {
				c->sb_mode = (enum site_sb_mode)m;
				return 0;
			}
		return diag_add(d, -EINVAL,
				"%s: mode: \"%s\" is unknown (allowed: off, shim, db, vendor)",
				where, value);
	}
	if (!strcmp(key, "key") || !strcmp(key, "cert")) {
		if (set_path(key[0] == 'k' ? c->sb_key : c->sb_cert, value, true, base_dir))
			return diag_add(d, -EINVAL, "%s: %s: \"%s\" is not a usable path", where,
					key, value);
		return 0;
	}
	return diag_add(d, -EINVAL,
			"%s: [secureboot] %s: unknown key (allowed: mode, key, cert; see "
			"examples/site.ini)",
			where, key);
}

/* The line number at the end of "file:line" (0 for a command-line origin). */
static unsigned where_line(const char *where)
{
	const char *colon = strrchr(where, ':');
	unsigned n = 0;

	if (!colon || !colon[1] || parse_uint(colon + 1, 1, UINT_MAX, &n))
		return 0;
	return n;
}

/* [static] host = MAC|any ADDRESS/PREFIX [gateway IPV4] [dns IPV4]: one entry per MAC
 * and one for any MAC (staticnet.h). */
static int static_key(struct site_config *c, const char *key, const char *value, const char *where,
		      struct diag *d)
{
	struct staticnet e;
	char why[256];

	/* "52:54:00:12:34:56 = ..." reaches us as key "52", value "54:00:12:34:56 = ...". */
	if (strlen(key) == 2 && isxdigit((unsigned char)key[0]) &&
	    isxdigit((unsigned char)key[1]) && strchr(value, '='))
		return diag_add(d, -EINVAL,
				"%s: [static] \"%s:%s\": a MAC cannot be the key (inih reads ':' "
				"as a separator): write host = %s:%.*s%s",
				where, key, value, key, (int)strcspn(value, " \t="), value,
				strchr(value, '=') + 1);
	if (strcmp(key, "host"))
		return diag_add(d, -EINVAL,
				"%s: [static] %s: unknown key (allowed: host = MAC|any "
				"ADDRESS/PREFIX [gateway IPV4] [dns IPV4], repeated; see "
				"examples/site.ini)",
				where, key);
	if (staticnet_parse(value, &e, why, sizeof(why)))
		return diag_add(d, -EINVAL, "%s: [static] host: %s", where, why);
	for (unsigned i = 0; i < c->n_statics; i++) {
		const struct staticnet *o = &c->statics[i];

		if (strcmp(o->mac, e.mac))
			continue;
		if (o->line)
			return diag_add(d, -EINVAL,
					"%s: [static] host: %s already has an entry at line %u "
					"(one entry per MAC; remove one)",
					where, e.mac[0] ? e.mac : "any", o->line);
		return diag_add(d, -EINVAL,
				"%s: [static] host: %s already has an entry (one entry per MAC)",
				where, e.mac[0] ? e.mac : "any");
	}
	if (c->n_statics >= STATICNET_MAX)
		return diag_add(d, -EINVAL, "%s: [static] host: more than %d entries", where,
				STATICNET_MAX);
	e.line = where_line(where);
	c->statics[c->n_statics++] = e;
	return 0;
}

static bool name_ok(const char *v, size_t max, const char *extra)
{
	size_t n = strlen(v);

	if (!n || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr(extra, v[i]))
			return false;
	return true;
}

static int server_key(struct site_config *c, const char *key, const char *value, const char *where,
		      const char *base_dir, struct diag *d)
{
	struct in_addr a;
	int rc;

#define BAD(...) diag_add(d, -EINVAL, "%s: %s: " __VA_ARGS__)
	if (!strcmp(key, "listen")) {
		/* chainbootd resolves it (server/listenaddr.c); builder commands refuse it. */
		if (!strcmp(value, "auto")) {
			snprintf(c->listen, sizeof(c->listen), "auto");
			return 0;
		}
		if (inet_pton(AF_INET, value, &a) != 1 || a.s_addr == htonl(INADDR_ANY) ||
		    a.s_addr == htonl(INADDR_BROADCAST))
			return BAD("\"%s\" is not an IPv4 address of this host (e.g. 198.51.100.1)",
				   where, key, value);
		snprintf(c->listen, sizeof(c->listen), "%s", value);
		return 0;
	}
	if (!strcmp(key, "interface")) {
		char buf[256], *save = NULL;
		unsigned cnt = 0;
		if (strlen(value) >= sizeof(buf))
			return BAD("list too long", where, key);
		strcpy(buf, value);
		for (char *t = strtok_r(buf, " ,\t", &save); t; t = strtok_r(NULL, " ,\t", &save)) {
			if (!name_ok(t, 15, "_.:-"))
				return BAD("\"%s\" is not an interface name (at most 15 of A-Z a-z "
					   "0-9 _ . : -)",
					   where, key, t);
			if (cnt >= SITE_MAX_IFACES)
				return BAD("more than %d interfaces", where, key, SITE_MAX_IFACES);
			snprintf(c->interfaces[cnt++], sizeof(c->interfaces[0]), "%s", t);
		}
		c->n_interfaces = cnt;
		return 0;
	}
	if (!strcmp(key, "user")) {
		if (!name_ok(value, 32, "_-.") || isdigit((unsigned char)value[0]))
			return BAD("\"%s\" is not a user name", where, key, value);
		snprintf(c->user, sizeof(c->user), "%s", value);
		return 0;
	}
	if (!strcmp(key, "efi_binary")) {
		if (strcmp(value, "snponly") && strcmp(value, "ipxe"))
			return BAD("\"%s\" is unknown (allowed: snponly, ipxe)", where, key, value);
		snprintf(c->efi_binary, sizeof(c->efi_binary), "%s", value);
		return 0;
	}
	if (!strcmp(key, "uefi_strategy")) {
		if (strcmp(value, "auto") && strcmp(value, "4011") && strcmp(value, "option43"))
			return BAD("\"%s\" is unknown (allowed: auto, 4011, option43)", where, key,
				   value);
		snprintf(c->uefi_strategy, sizeof(c->uefi_strategy), "%s", value);
		return 0;
	}
	if (!strcmp(key, "status_listen") || !strcmp(key, "status_token")) {
		bool tok = key[7] == 't'; /* the address is checked when the daemon binds it */
		if (snprintf(tok ? c->status_token : c->status_listen,
			     tok ? sizeof(c->status_token) : sizeof(c->status_listen), "%s",
			     value) >=
		    (int)(tok ? sizeof(c->status_token) : sizeof(c->status_listen)))
			return BAD("\"%.20s…\" is too long", where, key, value);
		return 0;
	}
	if (!strcmp(key, "proxydhcp") || !strcmp(key, "tftp") || !strcmp(key, "timeline")) {
		bool *b = key[0] == 'p' ? &c->proxydhcp : key[1] == 'f' ? &c->tftp : &c->timeline;
		if (parse_bool(value, b))
			return BAD("\"%s\" is not yes or no", where, key, value);
		return 0;
	}
	if (!strcmp(key, "ra_answer")) {
		if (parse_bool(value, &c->ra_answer))
			return BAD("\"%s\" is not on or off", where, key, value);
		return 0;
	}
	if (!strcmp(key, "boot_root") || !strcmp(key, "inventory")) {
		bool inv = key[0] == 'i'; /* no inventory: every machine gets the menu */

		if (set_path(inv ? c->inventory : c->boot_root, value, inv, base_dir))
			return BAD("\"%s\" is not a usable path", where, key, value);
		return 0;
	}
	const struct num_key nums[] = {
		{ "http_port", &c->http_port, 1, 65535 },
		{ "tftp_max", &c->tftp_max, 1, 65536 },
		{ "http_max", &c->http_max, 1, 65536 },
		{ "timeline_machines", &c->timeline_machines, 1, 65536 },
		{ "timeline_events", &c->timeline_events, 1, 1024 },
		{ "timeline_stall", &c->timeline_stall, 1, 86400 },
	};
	if ((rc = num_key_set(nums, sizeof(nums) / sizeof(nums[0]), key, value, where, d)))
		return rc < 0 ? rc : 0;
	return diag_add(
		d, -EINVAL,
		"%s: [server] %s: unknown key (see examples/site.ini for the keys of [server])",
		where, key);
#undef BAD
}

/* [chain]: what the chain script does (url repeats; numbers within their ranges). */
static int chain_key(struct site_config *c, const char *key, const char *value, const char *where,
		     struct diag *d)
{
	const char *why;
	int rc;

#define BAD(...) diag_add(d, -EINVAL, "%s: %s: " __VA_ARGS__)
	if (!strcmp(key, "url")) {
		if ((why = url_problem(value)) || strlen(value) >= SITE_URL_MAX ||
		    c->n_urls >= SITE_MAX_URLS)
			c->n_urls_refused++;
		if (why)
			return BAD("\"%s\" %s", where, key, value, why);
		if (strlen(value) >= SITE_URL_MAX)
			return BAD("URL is longer than %d bytes", where, key, SITE_URL_MAX - 1);
		if (c->n_urls >= SITE_MAX_URLS)
			return BAD("more than %d URLs; list at most %d", where, key, SITE_MAX_URLS,
				   SITE_MAX_URLS);
		snprintf(c->urls[c->n_urls++], SITE_URL_MAX, "%s", value);
		return 0;
	}
	const struct num_key nums[] = {
		{ "rounds", &c->rounds, 1, 100 },
		{ "backoff", &c->backoff, 0, 600 },
		{ "dhcp_tries", &c->dhcp_tries, 1, 20 },
		{ "http_timeout", &c->http_timeout, 1, 3600 },
		{ "menu_timeout", &c->menu_timeout, 0, 86400 },
	};
	if ((rc = num_key_set(nums, sizeof(nums) / sizeof(nums[0]), key, value, where, d)))
		return rc < 0 ? rc : 0;
	if (!strcmp(key, "try_offered")) {
		if (parse_bool(value, &c->try_offered))
			return BAD("\"%s\" is not yes or no", where, key, value);
		return 0;
	}
	if (!strcmp(key, "vlan")) {
		if (parse_uint(value, 0, SITE_VLAN_MAX, &c->vlan))
			return BAD("\"%s\" is not a VLAN ID from 1 to %d (0: no VLAN, "
				   "the NIC's untagged network)",
				   where, key, value, SITE_VLAN_MAX);
		return 0;
	}
	return diag_add(
		d, -EINVAL,
		"%s: [chain] %s: unknown key (see examples/site.ini for the keys of [chain])",
		where, key);
#undef BAD
}

/* base_dir: where relative paths in this value start (the site file's directory, or
 * NULL for the command line's current directory). */
static int site_set_in(struct site_config *c, const char *section, const char *key,
		       const char *value, const char *where, const char *base_dir, struct diag *d)
{
	const char *why;

#define BAD(...) diag_add(d, -EINVAL, "%s: %s: " __VA_ARGS__)
	if (!strcmp(section, "site")) {
		if (!strcmp(key, "user_class")) {
			if ((why = class_problem(value)))
				return BAD("\"%.40s%s\" %s", where, key, value,
					   strlen(value) > 40 ? "…" : "", why);
			snprintf(c->user_class, sizeof(c->user_class), "%s", value);
			return 0;
		}
		if (!strcmp(key, "label")) {
			if ((why = label_problem(value)))
				return BAD("\"%s\" %s", where, key, value, why);
			snprintf(c->label, sizeof(c->label), "%s", value);
			return 0;
		}
	} else if (!strcmp(section, "chain")) {
		return chain_key(c, key, value, where, d);
	} else if (!strcmp(section, "image")) {
		if (!strcmp(key, "layout")) {
			size_t len = strlen(value);
			if (!len || len >= sizeof(c->layout) ||
			    strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789_-") != len)
				return BAD("\"%s\" is not a layout name (lower-case letters, "
					   "digits, _ and -; see layouts/)",
					   where, key, value);
			snprintf(c->layout, sizeof(c->layout), "%s", value);
			snprintf(c->layout_from, sizeof(c->layout_from), "%s", where);
			return 0;
		}
		if (!strcmp(key, "arch")) {
			if (parse_arch(value, &c->arch))
				return BAD("\"%s\" is not a list of architectures (allowed: "
					   "x86_64, arm64)",
					   where, key, value);
			return 0;
		}
		if (!strcmp(key, "rebrand")) {
			bool b;
			if (!strcasecmp(value, "auto"))
				c->rebrand = SITE_REBRAND_AUTO;
			else if (!parse_bool(value, &b))
				c->rebrand = b ? SITE_REBRAND_YES : SITE_REBRAND_NO;
			else
				return BAD("\"%s\" is not yes, no or auto", where, key, value);
			return 0;
		}
		if (!strcmp(key, "ipxe_dir") || !strcmp(key, "output")) {
			bool ipxe = key[0] == 'i'; /* empty: search the usual places */

			if (set_path(ipxe ? c->ipxe_dir : c->output, value, ipxe, base_dir))
				return BAD("\"%s\" is not a usable path", where, key, value);
			return 0;
		}
	} else if (!strcmp(section, "server")) {
		/* Read by chainbootd; the builder checks it too, so one file serves both. */
		return server_key(c, key, value, where, base_dir, d);
	} else if (!strcmp(section, "secureboot")) {
		return secureboot_key(c, key, value, where, base_dir, d);
	} else if (!strcmp(section, "static")) {
		return static_key(c, key, value, where, d);
	} else {
		return diag_add(d, -EINVAL,
				"%s: [%s]: unknown section (allowed: [site], [chain], [image], "
				"[server], [secureboot], [static])",
				where, section);
	}
	return diag_add(d, -EINVAL,
			"%s: [%s] %s: unknown key (see examples/site.ini for the keys of [%s])",
			where, section, key, section);
#undef BAD
}

int site_set(struct site_config *c, const char *section, const char *key, const char *value,
	     const char *where, struct diag *d)
{
	return site_set_in(c, section, key, value, where, NULL, d);
}

static bool site_section_known(const char *name)
{
	return !strcmp(name, "site") || !strcmp(name, "chain") || !strcmp(name, "image") ||
	       !strcmp(name, "server") || !strcmp(name, "secureboot") || !strcmp(name, "static");
}

#define SITE_MAX_SEEN 64 /* keys and sections remembered for duplicates (about 40 exist) */

/* A key or a [section] (key "") met in the file, and where. */
struct load_seen {
	char section[16], key[24];
	unsigned line;
};

struct load_ctx {
	struct site_config *c;
	struct diag *d;
	struct iniline lines; /* .line: the line inih is at (it calls back right after one) */
	const char *path;
	char dir[PATH_MAX];
	struct load_seen seen[SITE_MAX_SEEN];
	unsigned n_seen;
	int rc;
};

/* Only [chain] url and [static] host may be given more than once (README's site-file
 * table: "repeat"). */
static bool key_repeatable(const char *section, const char *key)
{
	return (!strcmp(section, "chain") && !strcmp(key, "url")) ||
	       (!strcmp(section, "static") && !strcmp(key, "host"));
}

/* A second [section] header or a second key in one section silently overrode the first:
 * an error naming both lines. Returns true when it was a duplicate. */
static bool load_duplicate(struct load_ctx *x, const char *section, const char *key)
{
	struct load_seen *s;

	if (key[0] && key_repeatable(section, key))
		return false;
	for (unsigned i = 0; i < x->n_seen; i++) {
		s = &x->seen[i];
		if (strcmp(s->section, section) || strcmp(s->key, key))
			continue;
		if (key[0])
			diag_add(x->d, -EINVAL,
				 "%s:%u: [%s] %s: already set at line %u (each key once; remove "
				 "one)",
				 x->path, x->lines.line, section, key, s->line);
		else
			diag_add(x->d, -EINVAL,
				 "%s:%u: [%s]: the section is already opened at line %u (give "
				 "each section once; merge them)",
				 x->path, x->lines.line, section, s->line);
		x->rc = -EINVAL;
		return true;
	}
	if (x->n_seen < SITE_MAX_SEEN && strlen(section) < sizeof(s->section) &&
	    strlen(key) < sizeof(s->key)) {
		s = &x->seen[x->n_seen++];
		snprintf(s->section, sizeof(s->section), "%s", section);
		snprintf(s->key, sizeof(s->key), "%s", key);
		s->line = x->lines.line;
	}
	return false;
}

/* inih's reader hook: counts lines for "file:line" messages and catches lines longer
 * than inih's buffer, which it would otherwise split into two bogus lines. */
static char *load_reader(char *str, int num, void *stream)
{
	struct load_ctx *x = stream;

	if (!iniline_next(str, num, &x->lines))
		return NULL; /* an over-long line comes back empty: reported after parsing */
	/* Section headers are checked here, so an unknown section is reported even
	 * when it holds no key (inih calls the handler only for keys). */
	const char *p = str + strspn(str, " \t");
	const char *end = *p == '[' ? strchr(p, ']') : NULL;
	if (end) {
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)(end - p - 1), p + 1);
		if (!site_section_known(name)) {
			diag_add(x->d, -EINVAL,
				 "%s:%u: [%s]: unknown section (allowed: [site], [chain], [image], "
				 "[server], [secureboot], [static])",
				 x->path, x->lines.line, name);
			x->rc = -EINVAL;
		} else {
			load_duplicate(x, name, "");
		}
	}
	return str;
}

static int load_handler(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *x = user;
	char where[PATH_MAX + 32];

	snprintf(where, sizeof(where), "%s:%u", x->path, x->lines.line);
	if (!section[0]) {
		diag_add(x->d, -EINVAL,
			 "%s: %s: key outside a section (start the file with [site], [chain] or "
			 "[image])",
			 where, name);
		x->rc = -EINVAL;
		return 1;
	}
	if (!site_section_known(section))
		return 1; /* reported once, at its header, by load_reader() */
	if (strchr(name, ' ') || strchr(name, '\t')) {
		/* inih takes ':' as a separator too: "url http://h/x" reads as key "url http". */
		const char *sp = name + strcspn(name, " \t");
		diag_add(x->d, -EINVAL,
			 "%s: \"%s:%s\" is not a \"key = value\" line (inih reads ':' as the "
			 "separator): write key = value, e.g. %.*s = %s:%s",
			 where, name, value, (int)(sp - name), name, sp + strspn(sp, " \t"), value);
		x->rc = -EINVAL;
		return 1;
	}
	if (load_duplicate(x, section, name))
		return 1;
	if (site_set_in(x->c, section, name, value, where, x->dir, x->d))
		x->rc = -EINVAL;
	return 1; /* keep going: show every error at once */
}

int site_load(struct site_config *c, const char *path, struct diag *d)
{
	struct load_ctx x = { .c = c, .d = d, .path = path };
	struct diag rd = { { 0 } };
	const char *slash;
	char *text;
	size_t len;
	int rc, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return diag_add(d, -errno, "%s: cannot read the site file: %s", path,
				strerror(errno));
	rc = fileio_read_fd(fd, path, SITE_MAX_FILE, (uint8_t **)&text, &len, &rd);
	close(fd);
	if (rc)
		return diag_add(d, rc, "%s", rd.msg);
	iniline_init(&x.lines, text, len);
	slash = strrchr(path, '/');
	if (slash)
		snprintf(x.dir, sizeof(x.dir), "%.*s", (int)(slash - path), path);
	if (slash == path)
		snprintf(x.dir, sizeof(x.dir), "/");
	rc = ini_parse_stream(load_reader, &x, load_handler, &x);
	free(text);
	if (rc > 0) {
		/* inih reports the first line it could not parse (no '=' or no closing ']'). */
		diag_add(d, -EINVAL, "%s:%d: not a \"key = value\" line or a [section] header",
			 path, rc);
		x.rc = -EINVAL;
	} else if (rc < 0) {
		return diag_add(d, -ENOMEM, "%s: out of memory while reading", path);
	}
	if (x.lines.long_line) {
		diag_add(d, -EINVAL, "%s:%u: line longer than %d characters; shorten it", path,
			 x.lines.long_line, x.lines.max_line - 2);
		x.rc = -EINVAL;
	}
	if (!x.rc)
		snprintf(c->source, sizeof(c->source), "%s", path);
	return x.rc;
}

int site_validate(const struct site_config *c, struct diag *d)
{
	int rc = 0;

	if (c->n_urls == 0 && !c->n_urls_refused) /* a refused one was told already */
		rc = diag_add(d, -EINVAL,
			      "%s: no inventory URL: give one with [chain] url = http://… or --url",
			      c->source[0] ? c->source : "configuration");
	/* A prebuilt binary is patched in place over "iPXE": room for 4 bytes. */
	if (c->rebrand == SITE_REBRAND_YES && strlen(c->user_class) > REBRAND_CLASS_MAX)
		rc = diag_add(
			d, -EINVAL,
			"%s: rebrand = yes, but user_class \"%s\" is %zu bytes and a prebuilt "
			"iPXE binary has room for %d: choose a class of 1-%d bytes, or rebrand = "
			"auto/no "
			"(the chain script's `set user-class` still sends it), or build iPXE with "
			"`chainboot build-ipxe`",
			c->source[0] ? c->source : "configuration", c->user_class,
			strlen(c->user_class), REBRAND_CLASS_MAX, REBRAND_CLASS_MAX);
	/* Signing needs both halves; vendor mode may name a cert to check the binaries. */
	if ((c->sb_mode == SITE_SB_DB || c->sb_mode == SITE_SB_SHIM) &&
	    (!c->sb_key[0] || !c->sb_cert[0]))
		rc = diag_add(d, -EINVAL,
			      "%s: [secureboot] mode = %s needs key = FILE and cert = FILE (or "
			      "--sb-key/--sb-cert); make a pair with `chainboot keygen -o DIR`",
			      c->source[0] ? c->source : "configuration",
			      site_sb_mode_name(c->sb_mode));
	if (c->sb_mode == SITE_SB_VENDOR && c->rebrand == SITE_REBRAND_YES)
		rc = diag_add(d, -EINVAL,
			      "%s: [secureboot] mode = vendor with rebrand = yes: rebranding would "
			      "break the vendor's signature; set rebrand = auto or no",
			      c->source[0] ? c->source : "configuration");
	return rc;
}
