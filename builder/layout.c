/* layout: reads the declarative image layouts (layouts/NAME.layout, INI via libinih).
 * A layout names the container, the boot loaders and which file goes where, so adding
 * one needs no C change. The files ship with chainboot but users may add their own. */
#include "layout.h"

#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "iniline.h"
#include "siteconf.h"

struct parse_ctx {
	struct layout *l;
	struct diag *d;
	const char *origin;
	struct iniline lines; /* .line: the line inih is at */
	int rc;
};

/* inih reader over the text (lib/iniline.c), counting lines for messages. */
static char *str_reader(char *str, int num, void *stream)
{
	struct parse_ctx *x = stream;

	if (!iniline_next(str, num, &x->lines))
		return NULL;
	if (x->lines.long_line == x->lines.line)
		snprintf(str, (size_t)num,
			 "["); /* longer than inih's buffer: reported unparsable */
	return str;
}

#define BAD(...) (x->rc = diag_add(x->d, -EINVAL, __VA_ARGS__), 1)

/* A path inside an image: relative, no "..", no empty parts, portable characters. */
static const char *dest_problem(const char *p)
{
	size_t n = strlen(p);

	if (!n || n >= LAYOUT_PATH_MAX)
		return "must be 1 to 127 characters";
	if (p[0] == '/' || p[n - 1] == '/' || strstr(p, "//"))
		return "must be relative, without empty parts";
	if (!strcmp(p, "..") || !strncmp(p, "../", 3) || strstr(p, "/../") ||
	    (n >= 3 && !strcmp(p + n - 3, "/..")) || !strcmp(p, ".") || strstr(p, "/./"))
		return "must not contain . or .. parts";
	if (strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/") != n)
		return "may hold only letters, digits, '.', '_', '-' and '/'";
	return NULL;
}

static int handle_layout_key(struct parse_ctx *x, const char *where, const char *k, const char *v)
{
	struct layout *l = x->l;
	char *dst = NULL;

	if (!strcmp(k, "description")) {
		snprintf(l->description, sizeof(l->description), "%s", v);
		return 1;
	}
	if (!strcmp(k, "container")) {
		if (!strcmp(v, "iso"))
			l->container = LAYOUT_ISO;
		else if (!strcmp(v, "disk"))
			l->container = LAYOUT_DISK;
		else if (!strcmp(v, "esp"))
			l->container = LAYOUT_ESP;
		else
			return BAD("%s: container: \"%s\" is unknown (allowed: iso, disk, esp)",
				   where, v);
		return 1;
	}
	if (!strcmp(k, "bios")) {
		if (!strcmp(v, "none"))
			l->bios = LAYOUT_BIOS_NONE;
		else if (!strcmp(v, "isolinux"))
			l->bios = LAYOUT_BIOS_ISOLINUX;
		else if (!strcmp(v, "syslinux"))
			l->bios = LAYOUT_BIOS_SYSLINUX;
		else
			return BAD(
				"%s: bios: \"%s\" is unknown (allowed: none, isolinux, syslinux)",
				where, v);
		return 1;
	}
	if (!strcmp(k, "hybrid")) {
		if (!strcmp(v, "yes"))
			l->hybrid = true;
		else if (!strcmp(v, "no"))
			l->hybrid = false;
		else
			return BAD("%s: hybrid: \"%s\" is not yes or no", where, v);
		return 1;
	}
	if (!strcmp(k, "arch")) {
		unsigned a = 0;
		char buf[64], *save = NULL;
		snprintf(buf, sizeof(buf), "%s", v);
		for (char *t = strtok_r(buf, " ,", &save); t; t = strtok_r(NULL, " ,", &save)) {
			if (!strcmp(t, "x86_64"))
				a |= SITE_ARCH_X86_64;
			else if (!strcmp(t, "arm64"))
				a |= SITE_ARCH_ARM64;
			else
				return BAD("%s: arch: \"%s\" is unknown (allowed: x86_64, arm64)",
					   where, t);
		}
		if (!a)
			return BAD("%s: arch: empty (allowed: x86_64, arm64)", where);
		l->arch_allowed = a;
		return 1;
	}
	if (!strcmp(k, "bios_boot"))
		dst = l->bios_boot;
	else if (!strcmp(k, "boot_catalog"))
		dst = l->boot_catalog;
	else if (!strcmp(k, "esp_image"))
		dst = l->esp_image;
	else if (!strcmp(k, "bios_dir"))
		dst = l->bios_dir;
	if (!dst)
		return BAD("%s: [layout] %s: unknown key (allowed: description, container, bios, "
			   "hybrid, "
			   "arch, bios_boot, boot_catalog, esp_image, bios_dir)",
			   where, k);
	const char *why = dest_problem(v);
	if (why)
		return BAD("%s: %s: \"%s\" %s", where, k, v, why);
	snprintf(dst, LAYOUT_PATH_MAX, "%s", v);
	return 1;
}

static int handle_entry(struct parse_ctx *x, const char *where, const char *section, const char *k,
			const char *v)
{
	struct layout *l = x->l;
	struct layout_entry *e;
	const char *colon = strchr(section, ':');
	size_t base = colon ? (size_t)(colon - section) : strlen(section);
	const char *why;

	if (l->n_entries >= LAYOUT_MAX_ENTRIES)
		return BAD("%s: more than %d files in one layout", where, LAYOUT_MAX_ENTRIES);
	e = &l->entries[l->n_entries];
	memset(e, 0, sizeof(*e));
	e->line = x->lines.line;
	e->area = (base == 3 && !strncmp(section, "esp", 3)) ? LAYOUT_AREA_ESP : LAYOUT_AREA_TREE;
	if (colon) {
		if (!strcmp(colon + 1, "x86_64"))
			e->arch = SITE_ARCH_X86_64;
		else if (!strcmp(colon + 1, "arm64"))
			e->arch = SITE_ARCH_ARM64;
		else
			return BAD("%s: [%s]: unknown architecture \"%s\" (allowed: x86_64, arm64)",
				   where, section, colon + 1);
	}
	if ((why = dest_problem(k)))
		return BAD("%s: \"%s\" %s", where, k, why);
	snprintf(e->dest, sizeof(e->dest), "%s", k);

	static const struct {
		const char *prefix;
		enum layout_src src;
	} kinds[] = {
		{ "ipxe:", LAYOUT_SRC_IPXE },
		{ "syslinux:", LAYOUT_SRC_SYSLINUX },
		{ "template:", LAYOUT_SRC_TEMPLATE },
	};
	if (!strcmp(v, "script")) {
		e->src = LAYOUT_SRC_SCRIPT;
	} else {
		size_t i;
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
			size_t pl = strlen(kinds[i].prefix);
			if (strncmp(v, kinds[i].prefix, pl))
				continue;
			const char *name = v + pl;
			if (!*name || strchr(name, '/') || strlen(name) >= sizeof(e->name) ||
			    !strcmp(name, ".") || !strcmp(name, ".."))
				return BAD("%s: %s: \"%s\" needs a plain file name after \"%s\"",
					   where, k, v, kinds[i].prefix);
			e->src = kinds[i].src;
			snprintf(e->name, sizeof(e->name), "%s", name);
			break;
		}
		if (i == sizeof(kinds) / sizeof(kinds[0]))
			return BAD("%s: %s: source \"%s\" is unknown (allowed: ipxe:FILE, "
				   "syslinux:FILE, "
				   "template:NAME, script)",
				   where, k, v);
	}
	for (unsigned i = 0; i < l->n_entries; i++) {
		const struct layout_entry *o = &l->entries[i];
		if (o->area == e->area && !strcasecmp(o->dest, e->dest) &&
		    (!o->arch || !e->arch || o->arch == e->arch))
			return BAD("%s: \"%s\" is already placed at line %u", where, k, o->line);
	}
	l->n_entries++;
	return 1;
}

static int parse_handler(void *user, const char *section, const char *k, const char *v)
{
	struct parse_ctx *x = user;
	char where[4200];

	snprintf(where, sizeof(where), "%s:%u", x->origin, x->lines.line);
	if (!strcmp(section, "layout"))
		return handle_layout_key(x, where, k, v);
	if (!strcmp(section, "tree") || !strncmp(section, "tree:", 5) || !strcmp(section, "esp") ||
	    !strncmp(section, "esp:", 4))
		return handle_entry(x, where, section, k, v);
	return BAD("%s: [%s]: unknown section (allowed: [layout], [tree], [tree:ARCH], [esp], "
		   "[esp:ARCH])",
		   where, section);
}

int layout_parse(const char *text, const char *origin, struct layout *l, struct diag *d)
{
	struct parse_ctx x = { .l = l, .d = d, .origin = origin };
	char name[64] = "";
	int rc;

	snprintf(name, sizeof(name), "%s", l->name);
	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->container = (enum layout_container) - 1;
	l->arch_allowed = SITE_ARCH_X86_64 | SITE_ARCH_ARM64;
	iniline_init(&x.lines, text, strlen(text));
	rc = ini_parse_stream(str_reader, &x, parse_handler, &x);
	if (rc > 0)
		return diag_add(
			d, -EINVAL,
			"%s:%d: not a \"key = value\" line or a [section] header (or too long)",
			origin, rc);
	if (rc < 0)
		return diag_add(d, -ENOMEM, "%s: out of memory", origin);
	if (x.rc)
		return x.rc;

	/* Consistency: what the builder needs to make this container. */
	if (l->container == (enum layout_container) - 1)
		return diag_add(d, -EINVAL,
				"%s: [layout] container is missing (allowed: iso, disk, esp)",
				origin);
	if (l->container == LAYOUT_ISO && l->bios == LAYOUT_BIOS_ISOLINUX && !l->bios_boot[0])
		return diag_add(
			d, -EINVAL,
			"%s: bios = isolinux needs bios_boot = PATH of isolinux.bin in [tree]",
			origin);
	if (l->container != LAYOUT_ISO && l->bios == LAYOUT_BIOS_ISOLINUX)
		return diag_add(d, -EINVAL, "%s: bios = isolinux works only with container = iso",
				origin);
	if (l->container != LAYOUT_DISK && l->bios == LAYOUT_BIOS_SYSLINUX)
		return diag_add(d, -EINVAL, "%s: bios = syslinux works only with container = disk",
				origin);
	if (l->container == LAYOUT_DISK && l->bios == LAYOUT_BIOS_SYSLINUX && !l->bios_dir[0])
		return diag_add(d, -EINVAL, "%s: bios = syslinux needs bios_dir = DIR", origin);
	if (l->hybrid && l->container != LAYOUT_ISO)
		return diag_add(d, -EINVAL, "%s: hybrid = yes works only with container = iso",
				origin);
	bool has_esp = false;
	for (unsigned i = 0; i < l->n_entries; i++)
		has_esp |= l->entries[i].area == LAYOUT_AREA_ESP;
	if (l->container == LAYOUT_ISO && has_esp && !l->esp_image[0])
		return diag_add(d, -EINVAL, "%s: [esp] files in an iso need esp_image = PATH",
				origin);
	if (l->container != LAYOUT_ISO && l->container != LAYOUT_ESP && has_esp)
		return diag_add(d, -EINVAL,
				"%s: [esp] sections need container = iso or esp (a disk's FAT "
				"partition is [tree])",
				origin);
	if (l->container == LAYOUT_ESP) {
		for (unsigned i = 0; i < l->n_entries; i++)
			if (l->entries[i].area != LAYOUT_AREA_ESP)
				return diag_add(d, -EINVAL,
						"%s:%u: container = esp takes only [esp] sections",
						origin, l->entries[i].line);
	}
	if (l->n_entries == 0)
		return diag_add(d, -EINVAL, "%s: the layout places no files", origin);
	return 0;
}

int layout_check_arch(const struct layout *l, unsigned arch, struct diag *d)
{
	char want[32], can[32];

	if (arch & ~l->arch_allowed)
		return diag_set(
			d, -EINVAL,
			"layout %s boots only %s, not %s: choose --arch %s or another layout",
			l->name, site_arch_str(l->arch_allowed, can, sizeof(can)),
			site_arch_str(arch & ~l->arch_allowed, want, sizeof(want)),
			site_arch_str(l->arch_allowed & arch ? l->arch_allowed & arch
							     : l->arch_allowed,
				      can, sizeof(can)));
	return 0;
}

/* The names of layouts in dir, for "unknown layout" messages. */
static void list_layouts(const char *dir, char *buf, size_t sz)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	size_t used = 0;

	buf[0] = '\0';
	if (!dh)
		return;
	while ((de = readdir(dh))) {
		size_t n = strlen(de->d_name);
		if (n <= 7 || strcmp(de->d_name + n - 7, ".layout"))
			continue;
		int w = snprintf(buf + used, sz - used, "%s%.*s", used ? ", " : "", (int)(n - 7),
				 de->d_name);
		if (w < 0 || (size_t)w >= sz - used)
			break;
		used += (size_t)w;
	}
	closedir(dh);
}

int layout_load(const char *dir, const char *name, struct layout *l, struct diag *d)
{
	char path[4096], *text = NULL, names[512];
	struct diag rd = { { 0 } };
	size_t n;
	int rc;

	snprintf(path, sizeof(path), "%s/%s.layout", dir, name);
	rc = fileio_read_text(path, 65536, &text, &n, &rd);
	if (rc == -ENOENT) {
		list_layouts(dir, names, sizeof(names));
		return diag_set(d, rc, "layout \"%s\" is unknown (have: %s; files in %s)", name,
				names[0] ? names : "none", dir);
	}
	if (rc == -EFBIG)
		return diag_set(d, rc, "%s: not a layout file (larger than 64 KiB or unreadable)",
				path);
	if (rc)
		return diag_set(d, rc, "%s", rd.msg);
	if (memchr(text, '\0', n)) {
		free(text);
		return diag_set(d, -EINVAL, "%s: not a text file", path);
	}
	snprintf(l->name, sizeof(l->name), "%s", name);
	rc = layout_parse(text, path, l, d);
	free(text);
	if (!rc)
		snprintf(l->path, sizeof(l->path), "%s", path);
	return rc;
}
