/* plan: site config + layout -> the exact files and parameters of one image. Decisions
 * and file look-ups; nothing of the image is written here (that is image.c's job). The
 * one write is to the rebranded-binary cache (lib/ipxecache), outside the image. */
#include "plan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chainscript.h"
#include "fileio.h"
#include "ipxebin.h"
#include "ipxecache.h"
#include "rebrand.h"

static bool is_file(const char *path)
{
	struct stat st;
	return !stat(path, &st) && S_ISREG(st.st_mode);
}

static int find_syslinux(const char *name, char *out, size_t outsz, struct diag *d)
{
	static const char *dirs[] = { "/usr/lib/ISOLINUX", "/usr/lib/syslinux/modules/bios",
				      "/usr/lib/syslinux/mbr", "/usr/lib/syslinux" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(out, outsz, "%s/%s", dirs[i], name);
		if (is_file(out))
			return 0;
	}
	return diag_set(d, -ENOENT,
			"%s not found in /usr/lib/ISOLINUX or /usr/lib/syslinux: "
			"apt-get install isolinux syslinux-common (or run scripts/deps.sh)",
			name);
}

/* template:NAME -> scripts/NAME.in with @LABEL@ and @USER_CLASS@ filled in. */
static int render_template(const struct site_config *c, const char *datadir, const char *name,
			   char **out, size_t *out_len, struct diag *d)
{
	char path[PATH_MAX], *tmpl, *res, *w;
	size_t len, cap;
	int rc;

	snprintf(path, sizeof(path), "%s/scripts/%s.in", datadir, name);
	rc = fileio_read_text(path, 65536, &tmpl, &len, d);
	if (rc)
		return rc;
	cap = len + 64 * (strlen(c->label) + strlen(c->user_class)) + 1;
	res = w = malloc(cap);
	if (!res) {
		free(tmpl);
		return diag_set(d, -ENOMEM, "out of memory");
	}
	for (const char *r = tmpl; *r;) {
		const char *val = NULL;
		size_t skip = 0;
		if (!strncmp(r, "@LABEL@", 7))
			val = c->label, skip = 7;
		else if (!strncmp(r, "@USER_CLASS@", 12))
			val = c->user_class, skip = 12;
		if (val && (size_t)(w - res) + strlen(val) < cap) {
			w = stpcpy(w, val);
			r += skip;
		} else if ((size_t)(w - res) + 1 < cap) {
			*w++ = *r++;
		} else {
			free(tmpl);
			free(res);
			return diag_set(d, -E2BIG, "%s: too many substitutions", path);
		}
	}
	*w = '\0';
	free(tmpl);
	*out = res;
	*out_len = (size_t)(w - res);
	return 0;
}

/* FNV-1a: the FAT serial and MBR id come from the content, so equal inputs give equal
 * images while different images get different ids. */
static uint32_t fnv1a(uint32_t h, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static int parse_sde(const char *s, time_t *out, struct diag *d)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 315532800LL || v > 4102444800LL)
		return diag_set(d, -EINVAL,
				"SOURCE_DATE_EPOCH=\"%s\" is not a Unix time between 1980 and 2100",
				s);
	*out = (time_t)v;
	return 0;
}

/* Rebranded binaries send our class from their first DHCP request (also when a PXE
 * ROM loads them, and in the iPXE shell); the script's `set user-class` only acts once
 * it runs. A class longer than "iPXE" does not fit in place. */
static int plan_rebrand(const struct site_config *c, struct plan *p, struct diag *d)
{
	p->rebrand = c->rebrand != SITE_REBRAND_NO;
	/* Secure Boot vendor mode: the binaries are signed; a changed byte breaks that. */
	if (c->sb_mode == SITE_SB_VENDOR)
		p->rebrand = false;
	if (!p->rebrand || strlen(c->user_class) <= REBRAND_CLASS_MAX)
		return 0;
	if (c->rebrand == SITE_REBRAND_YES)
		return diag_set(d, -EINVAL,
				"rebrand = yes, but user_class \"%s\" is longer than the %d "
				"bytes a prebuilt iPXE binary holds",
				c->user_class, REBRAND_CLASS_MAX);
	p->rebrand = false;
	snprintf(p->note, sizeof(p->note),
		 "user-class \"%.64s%s\" is %zu bytes, longer than the %d a prebuilt iPXE "
		 "binary holds: the "
		 "image carries stock binaries, which ask DHCP as \"iPXE\" until the chain "
		 "script's `set "
		 "user-class` runs. For the class from the first request, use `chainboot "
		 "build-ipxe` "
		 "(then --ipxe-dir), or a class of 1-%d bytes",
		 c->user_class, strlen(c->user_class) > 64 ? "…" : "", strlen(c->user_class),
		 REBRAND_CLASS_MAX, REBRAND_CLASS_MAX);
	return 0;
}

static int plan_script(const struct site_config *c, const char *datadir, struct plan *p,
		       struct diag *d)
{
	char tmpl_path[PATH_MAX];

	snprintf(tmpl_path, sizeof(tmpl_path), "%s/" CHAINSCRIPT_TEMPLATE, datadir);
	return chainscript_render_file(c, tmpl_path, NULL, &p->script, &p->script_len, d);
}

/* Where one entry's bytes come from: an iPXE binary (its rebranded copy from the
 * cache; hashed gets the stock path), a syslinux file, or a rendered template. */
static int plan_source(const struct site_config *c, const struct layout *l, const char *datadir,
		       const struct layout_entry *e, struct plan *p, struct plan_file *f,
		       char *hashed, size_t hashedsz, struct diag *d)
{
	struct stat st;
	int rc;

	switch (e->src) {
	case LAYOUT_SRC_IPXE:
		snprintf(f->src, sizeof(f->src), "%s/%s", p->ipxe_dir, e->name);
		if (stat(f->src, &st) || !S_ISREG(st.st_mode))
			return diag_set(d, -ENOENT,
					"iPXE binary %s not found in %s (layout %s, line %u): run "
					"scripts/deps.sh, or give --ipxe-dir DIR with Debian's "
					"ipxe package binaries",
					e->name, p->ipxe_dir, l->name, e->line);
		/* The ids hash the stock binary's path: where the cache lives must not
		 * change the image (the class is in the hashed script anyway). */
		snprintf(hashed, hashedsz, "%s", f->src);
		if (!p->rebrand)
			return 0;
		rc = ipxecache_get(hashed, c->user_class, f->src, sizeof(f->src), NULL, d);
		if (rc)
			diag_add(d, rc,
				 "(to put stock iPXE binaries into the image "
				 "instead, give "
				 "--no-rebrand or set [image] rebrand = no)");
		return rc;
	case LAYOUT_SRC_SYSLINUX:
		return find_syslinux(e->name, f->src, sizeof(f->src), d);
	case LAYOUT_SRC_TEMPLATE:
		return render_template(c, datadir, e->name, &f->data, &f->len, d);
	case LAYOUT_SRC_SCRIPT:
		break;
	}
	return 0;
}

/* The file's size, and what of it goes into the ids (FAT serial, MBR id): its path,
 * size and mtime, or the generated bytes. */
static int plan_hash(const struct layout_entry *e, struct plan *p, struct plan_file *f,
		     const char *hashed, uint32_t *h, time_t *newest, struct diag *d)
{
	struct stat st;

	if (f->src[0]) {
		if (stat(f->src, &st))
			return diag_set(d, -errno, "%s: %s", f->src, strerror(errno));
		f->len = (size_t)st.st_size;
		if (st.st_mtime > *newest)
			*newest = st.st_mtime;
		*h = fnv1a(*h, hashed[0] ? hashed : f->src, strlen(hashed[0] ? hashed : f->src));
		*h = fnv1a(*h, &st.st_size, sizeof(st.st_size));
		*h = fnv1a(*h, &st.st_mtime, sizeof(st.st_mtime));
	} else if (e->src == LAYOUT_SRC_SCRIPT) {
		f->len = p->script_len;
		*h = fnv1a(*h, p->script, p->script_len);
	} else {
		*h = fnv1a(*h, f->data, f->len);
	}
	*h = fnv1a(*h, f->dest, strlen(f->dest));
	return 0;
}

/* [chain] vlan needs iPXE's vcreate, which builds without VLAN_CMD (upstream's default,
 * so `chainboot build-ipxe` output) lack; Debian's binaries have it. A binary without it
 * still boots (the script says so and goes on to the menu): a note, not an error. */
static void plan_vlan_check(const struct site_config *c, const struct layout_entry *e,
			    const struct plan_file *f, struct plan *p)
{
	struct diag d = { { 0 } };
	uint8_t *buf;
	size_t len, used = strlen(p->note);
	int has;

	if (!c->vlan || e->src != LAYOUT_SRC_IPXE || !f->src[0])
		return;
	if (fileio_read(f->src, 64u << 20, &buf, &len, &d))
		return; /* plan_hash() reports an unreadable file */
	has = ipxebin_has_command(buf, len, "vcreate", &d);
	free(buf);
	if (has == 1 || used >= sizeof(p->note) - 1)
		return;
	snprintf(p->note + used, sizeof(p->note) - used, "%s%s %s (vlan = %u): %s",
		 used ? "; " : "", e->name,
		 has ? "could not be read for its commands" : "has no vcreate command", c->vlan,
		 has ? d.msg
		     : "its chain script cannot tag and goes on to the menu; use Debian's "
		       "binaries, or build iPXE with VLAN_CMD");
}

/* Something must boot: BIOS (with its boot file in the tree) or an ESP. */
static int plan_check_boot(const struct site_config *c, const struct layout *l, struct plan *p,
			   struct diag *d)
{
	p->bios = l->bios != LAYOUT_BIOS_NONE && (c->arch & SITE_ARCH_X86_64);
	if (p->bios && l->container == LAYOUT_ISO) {
		bool found = false;
		for (unsigned i = 0; i < p->n_files; i++)
			found |= p->files[i].area == LAYOUT_AREA_TREE &&
				 !strcmp(p->files[i].dest, l->bios_boot);
		if (!found)
			return diag_set(d, -EINVAL,
					"%s: bios_boot %s is not placed in [tree] for x86_64",
					l->path, l->bios_boot);
	}
	if (!p->bios && !p->esp && l->container != LAYOUT_DISK)
		return diag_set(d, -EINVAL, "layout %s has nothing that boots for arch %s", l->name,
				c->arch & SITE_ARCH_ARM64 ? "arm64" : "x86_64");
	return 0;
}

int plan_make(const struct site_config *c, const struct layout *l, const char *datadir,
	      struct plan *p, struct diag *d)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	time_t newest = 0;
	uint32_t h = 2166136261u;
	int rc;

	memset(p, 0, sizeof(*p));
	p->cfg = c;
	p->layout = l;
	rc = layout_check_arch(l, c->arch, d);
	if (!rc)
		rc = ipxecache_find_dir(c, p->ipxe_dir, sizeof(p->ipxe_dir), d);
	if (!rc)
		rc = plan_rebrand(c, p, d);
	if (!rc)
		rc = plan_script(c, datadir, p, d);
	if (rc)
		return rc;
	for (unsigned i = 0; i < l->n_entries; i++) {
		const struct layout_entry *e = &l->entries[i];
		char hashed[PATH_MAX] = "";
		struct plan_file *f;

		if (e->arch && !(e->arch & c->arch))
			continue;
		f = &p->files[p->n_files++];
		f->area = e->area;
		snprintf(f->dest, sizeof(f->dest), "%s", e->dest);
		rc = plan_source(c, l, datadir, e, p, f, hashed, sizeof(hashed), d);
		if (!rc)
			rc = plan_hash(e, p, f, hashed, &h, &newest, d);
		if (rc)
			goto err;
		plan_vlan_check(c, e, f, p);
		if (f->area == LAYOUT_AREA_ESP)
			p->esp = true;
	}
	rc = plan_check_boot(c, l, p, d);
	if (rc)
		goto err;
	/* Inputs decide the epoch, never the clock: the package files' mtimes are stable. */
	if (sde && *sde) {
		rc = parse_sde(sde, &p->epoch, d);
		if (rc)
			goto err;
	} else {
		p->epoch = newest ? newest : 315532800; /* 1980-01-01: FAT's first day */
	}
	h = fnv1a(h, &p->epoch, sizeof(p->epoch));
	h = fnv1a(h, c->label, strlen(c->label));
	p->serial = h;
	return 0;
err:
	plan_free(p);
	return rc;
}

void plan_free(struct plan *p)
{
	for (unsigned i = 0; i < p->n_files; i++) {
		free(p->files[i].data);
		p->files[i].data = NULL;
	}
	free(p->script);
	p->script = NULL;
	p->n_files = 0;
}
