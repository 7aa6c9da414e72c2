/* inspect_probe: the facts of an image — partitions and file systems (libblkid), the
 * ISO 9660 volume and its El Torito catalog (lib/iso9660.c), files on FAT (mtools), the
 * iPXE binaries' user-class and the chain script's user-class and URLs — gathered into
 * one JSON document that inspect_report prints. The image is untrusted (it may be
 * anyone's ISO or USB stick): every offset and length read from it is checked against
 * the file size, and every string taken from it is escaped as it enters the document. */
#include "inspect_probe.h"

#include <blkid/blkid.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "inspect_sb.h"
#include "ipxebin.h"
#include "iso9660.h"
#include "spawn.h"
#include "zbin.h"

/* Caps on what we read from an image: bounded memory whatever it claims. */
#define INSPECT_BIN_MAX	   (32u << 20) /* an iPXE binary (~1 MiB in practice) */
#define INSPECT_SCRIPT_MAX (1u << 20)  /* a chain script */
#define INSPECT_CFG_MAX	   (64u << 10) /* isolinux.cfg / syslinux.cfg */
#define INSPECT_LINE_MAX   4096
#define INSPECT_ITEMS_MAX  64 /* candidates per volume, partitions per table */
#define INSPECT_VOLS_MAX   16 /* file systems examined per image */

#define ISO_SECTOR ISO9660_SECTOR /* inspect reads 2048-byte-block volumes only */

#define FAT_LIST_MAX  (4u << 20) /* mdir output */
#define FAT_FILES_MAX 65536u

/* ---- image access -------------------------------------------------------- */

struct img {
	int fd;
	uint64_t size;
	const char *path;
};

/* Read exactly len bytes at off; -ERANGE if that is beyond the image. */
static int img_pread(const struct img *im, uint64_t off, void *buf, size_t len)
{
	size_t done = 0;

	if (off > im->size || len > im->size - off)
		return -ERANGE;
	while (done < len) {
		ssize_t r = pread(im->fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		done += (size_t)r;
	}
	return 0;
}

static int img_read_alloc(const struct img *im, uint64_t off, size_t len, uint8_t **out)
{
	uint8_t *b = malloc(len ? len : 1);
	int rc;

	*out = NULL;
	if (!b)
		return -ENOMEM;
	rc = img_pread(im, off, b, len);
	if (rc < 0) {
		free(b);
		return rc;
	}
	*out = b;
	return 0;
}

/* The ISO 9660 reader's read callback. */
static int img_read_cb(void *ctx, uint64_t off, void *buf, size_t len)
{
	return img_pread(ctx, off, buf, len);
}

/* ---- JSON helpers --------------------------------------------------------- */

/* Bytes from the image as a JSON string that is safe to print: control bytes
 * become \xNN (no terminal escapes), and if the rest is not valid UTF-8 every
 * non-ASCII byte does too (jansson accepts only UTF-8). */
static json_t *jstr_n(const void *data, size_t n)
{
	const uint8_t *p = data;
	json_t *j = NULL;
	char *buf;
	int pass;

	buf = malloc(n * 4 + 1);
	if (!buf)
		return json_string("");
	for (pass = 0; pass < 2 && !j; pass++) {
		size_t i, o = 0;

		for (i = 0; i < n; i++) {
			if (p[i] < 0x20 || p[i] == 0x7f || (pass && p[i] >= 0x80)) {
				snprintf(buf + o, 5, "\\x%02x", p[i]);
				o += 4;
			} else {
				buf[o++] = (char)p[i];
			}
		}
		j = json_stringn(buf, o);
	}
	free(buf);
	return j ? j : json_string("");
}

static json_t *jstr(const char *s)
{
	return jstr_n(s, s ? strlen(s) : 0);
}

static void jset(json_t *o, const char *key, json_t *v)
{
	if (v)
		json_object_set_new(o, key, v);
}

static const char *jget_str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- volumes: the ISO file system, or a FAT file system through mtools ----- */

enum vol_type { VOL_ISO, VOL_FAT };

struct vol {
	enum vol_type type;
	char name[128];
	uint64_t offset;
	const struct img *im;
	const struct iso9660 *iso;
	/* FAT: every path mdir listed ("/EFI/BOOT/BOOTX64.EFI"; dirs end in '/') */
	char **files;
	size_t nfiles;
	char list_err[sizeof(struct diag)]; /* why mdir failed, for every later use */
	bool listed;
};

static void vol_free(struct vol *v)
{
	size_t i;

	for (i = 0; i < v->nfiles; i++)
		free(v->files[i]);
	free(v->files);
	v->files = NULL;
	v->nfiles = 0;
}

/* mtools addresses a file system inside an image as "IMAGE@@OFFSET". */
static void fat_spec(const struct vol *v, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "%s@@%llu", v->im->path, (unsigned long long)v->offset);
}

static char *const fat_env[] = {
	/* Foreign FAT images with odd geometry would otherwise be refused. */
	"MTOOLS_SKIP_CHECK=1",
	NULL,
};

static int fat_list(struct vol *v, struct diag *d)
{
	char spec[INSPECT_LINE_MAX + 32];
	char *argv[] = { "mdir", "-/", "-b", "-i", spec, "::/", NULL };
	struct diag ld = { { 0 } };
	struct spawn_out o;
	size_t p = 0;
	int rc;

	if (v->listed)
		return v->list_err[0] ? diag_set(d, -EIO, "%s", v->list_err) : 0;
	v->listed = true;
	fat_spec(v, spec, sizeof(spec));
	rc = spawn_run(argv, fat_env, &o, FAT_LIST_MAX, &ld);
	if (rc < 0) {
		memcpy(v->list_err, ld.msg, sizeof(v->list_err));
		return diag_set(d, rc, "%s", ld.msg);
	}
	/* One "::/path" per line. mdir's output is bounded by FAT_LIST_MAX. */
	while (p < o.len && v->nfiles < FAT_FILES_MAX) {
		char *nl = memchr(o.data + p, '\n', o.len - p);
		size_t l = nl ? (size_t)(nl - (o.data + p)) : o.len - p;

		if (l > 2 && memcmp(o.data + p, "::", 2) == 0 && l - 2 < INSPECT_LINE_MAX) {
			char **nf = realloc(v->files, (v->nfiles + 1) * sizeof(*nf));
			char *s = nf ? strndup(o.data + p + 2, l - 2) : NULL;

			if (nf)
				v->files = nf;
			if (!s)
				break;
			v->files[v->nfiles++] = s;
		}
		p += l + 1;
	}
	spawn_out_free(&o);
	return 0;
}

/* The path as the FAT listing spells it (FAT compares without case). */
static const char *fat_find(struct vol *v, const char *path)
{
	size_t i;

	for (i = 0; i < v->nfiles; i++)
		if (strcasecmp(v->files[i], path) == 0)
			return v->files[i];
	return NULL;
}

/* Read a whole file from the volume (at most max bytes). -ENOENT if absent,
 * -EFBIG if larger than max. */
static int vol_read(struct vol *v, const char *path, uint8_t **buf, size_t *len, size_t max,
		    struct diag *d)
{
	*buf = NULL;
	*len = 0;
	if (v->type == VOL_ISO) {
		struct iso9660_ent e;
		int rc = iso9660_lookup(v->iso, path, &e, d);

		if (rc < 0)
			return rc;
		if (e.dir)
			return -ENOENT;
		if (e.multi)
			return diag_set(d, -ENOTSUP, "%s is a multi-extent file (not supported)",
					path);
		if (e.size > max)
			return diag_set(d, -EFBIG, "%s is %u bytes (limit %zu)", path, e.size, max);
		rc = img_read_alloc(v->im, (uint64_t)e.lba * ISO_SECTOR, e.size, buf);
		if (rc < 0)
			return diag_set(d, rc,
					"%s: extent at sector %u (%u bytes) lies outside "
					"the image: truncated or damaged",
					path, e.lba, e.size);
		*len = e.size;
		return 0;
	} else {
		char spec[INSPECT_LINE_MAX + 32], target[INSPECT_LINE_MAX + 4];
		char *argv[] = { "mtype", "-i", spec, target, NULL };
		const char *real;
		struct spawn_out o;
		int rc;

		rc = fat_list(v, d);
		if (rc < 0)
			return rc;
		real = fat_find(v, path);
		if (!real)
			return -ENOENT;
		fat_spec(v, spec, sizeof(spec));
		snprintf(target, sizeof(target), "::%s", real);
		rc = spawn_run(argv, fat_env, &o, max, d);
		if (rc < 0)
			return rc;
		*buf = (uint8_t *)o.data;
		*len = o.len;
		return 0;
	}
}

/* Names in a directory (FAT: from the listing; ISO: from the directory). */
struct name_list {
	char *names[INSPECT_ITEMS_MAX];
	size_t n;
};

static int iso_list_cb(const struct iso9660_ent *e, void *vctx)
{
	struct name_list *l = vctx;

	if (e->dir)
		return 0;
	if (l->n >= INSPECT_ITEMS_MAX)
		return 1;
	l->names[l->n] = strdup(e->name);
	if (l->names[l->n])
		l->n++;
	return 0;
}

static void vol_list_dir(struct vol *v, const char *dir, struct name_list *l)
{
	size_t dlen = strlen(dir), i;

	l->n = 0;
	if (v->type == VOL_ISO) {
		struct iso9660_ent e;

		if (iso9660_lookup(v->iso, dir, &e, NULL) == 0 && e.dir)
			iso9660_readdir(v->iso, e.lba, e.size, iso_list_cb, l, NULL);
		return;
	}
	if (fat_list(v, NULL) < 0)
		return;
	for (i = 0; i < v->nfiles && l->n < INSPECT_ITEMS_MAX; i++) {
		const char *f = v->files[i];

		if (strncasecmp(f, dir, dlen) == 0 && f[dlen] == '/' && f[dlen + 1] &&
		    !strchr(f + dlen + 1, '/')) {
			l->names[l->n] = strdup(f + dlen + 1);
			if (l->names[l->n])
				l->n++;
		}
	}
}

static void name_list_free(struct name_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->names[i]);
	l->n = 0;
}

/* ---- syslinux/isolinux config and iPXE scripts (counted bytes, not strings) -- */

/* Split buf into lines and call fn on each as a NUL-terminated copy (lines longer
 * than INSPECT_LINE_MAX are cut: no config or script line we care about is). */
static void for_each_line(const uint8_t *buf, size_t len, void (*fn)(char *line, void *ctx),
			  void *ctx)
{
	char line[INSPECT_LINE_MAX];
	size_t p = 0;

	while (p < len) {
		const uint8_t *nl = memchr(buf + p, '\n', len - p);
		size_t l = nl ? (size_t)(nl - (buf + p)) : len - p, c = l;

		if (c > sizeof(line) - 1)
			c = sizeof(line) - 1;
		memcpy(line, buf + p, c);
		line[c] = '\0';
		/* A NUL byte in the line ends it for our purposes. */
		if (c && line[c - 1] == '\r')
			line[c - 1] = '\0';
		fn(line, ctx);
		p += l + 1;
	}
}

static char *skip_ws(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static void rtrim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/* Next whitespace-separated token; advances *s. */
static char *next_token(char **s)
{
	char *t = skip_ws(*s), *e;

	if (!*t)
		return NULL;
	e = t;
	while (*e && *e != ' ' && *e != '\t')
		e++;
	if (*e)
		*e++ = '\0';
	*s = e;
	return t;
}

struct cfg_ctx {
	json_t *kernels, *initrds;
	char default_label[INSPECT_LINE_MAX];
};

static void cfg_add_list(json_t *arr, const char *list)
{
	/* INITRD takes a comma-separated list (syslinux 4+). */
	const char *p = list;

	while (*p) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);

		if (n && json_array_size(arr) < INSPECT_ITEMS_MAX)
			json_array_append_new(arr, jstr_n(p, n));
		p += n + (c ? 1 : 0);
	}
}

static void cfg_line(char *line, void *vctx)
{
	struct cfg_ctx *c = vctx;
	char *s = line, *kw = next_token(&s), *arg;

	if (!kw || kw[0] == '#')
		return;
	arg = next_token(&s);
	if (!arg)
		return;
	if (!strcasecmp(kw, "KERNEL") || !strcasecmp(kw, "LINUX")) {
		if (json_array_size(c->kernels) < INSPECT_ITEMS_MAX)
			json_array_append_new(c->kernels, jstr(arg));
	} else if (!strcasecmp(kw, "INITRD")) {
		cfg_add_list(c->initrds, arg);
	} else if (!strcasecmp(kw, "APPEND")) {
		for (; arg; arg = next_token(&s))
			if (!strncmp(arg, "initrd=", 7))
				cfg_add_list(c->initrds, arg + 7);
	} else if (!strcasecmp(kw, "DEFAULT")) {
		snprintf(c->default_label, sizeof(c->default_label), "%s", arg);
	}
}

struct script_ctx {
	json_t *js;
	json_t *urls;
	bool first;
};

/* iPXE "set [--opts] [scope/]name[:type] value": the setting name alone. */
static char *setting_name(char *tok)
{
	char *slash = strrchr(tok, '/'), *colon;

	if (slash)
		tok = slash + 1;
	colon = strchr(tok, ':');
	if (colon)
		*colon = '\0';
	return tok;
}

static void script_line(char *line, void *vctx)
{
	struct script_ctx *c = vctx;
	char *s = line, *cmd, *name;

	if (c->first) {
		c->first = false;
		jset(c->js, "ipxe_header", json_boolean(strncmp(line, "#!ipxe", 6) == 0));
	}
	cmd = next_token(&s);
	if (!cmd || strcmp(cmd, "set") != 0)
		return;
	do
		name = next_token(&s);
	while (name && name[0] == '-');
	if (!name)
		return;
	name = setting_name(name);
	s = skip_ws(s);
	rtrim(s);
	if (!strcmp(name, "user-class")) {
		if (!json_object_get(c->js, "user_class"))
			jset(c->js, "user_class", jstr(s));
	} else if (!strncmp(name, "cb-url", 6) &&
		   strspn(name + 6, "0123456789") == strlen(name + 6)) {
		json_t *u = json_object();

		if (!u || json_array_size(c->urls) >= INSPECT_ITEMS_MAX) {
			json_decref(u);
			return;
		}
		jset(u, "setting", jstr(name));
		jset(u, "url", jstr(s));
		json_array_append_new(c->urls, u);
	}
}

/* ---- examining one volume -------------------------------------------------- */

/* Resolve a name from a syslinux config: absolute, or relative to the config's
 * directory; "." and ".." components are folded (never above the root). */
static void cfg_resolve(const char *cfgpath, const char *name, char *out, size_t outsz)
{
	char tmp[INSPECT_LINE_MAX], *save = NULL, *comp;
	const char *slash = strrchr(cfgpath, '/');
	int dirlen = slash ? (int)(slash - cfgpath) : 0;
	size_t o = 0;

	if (name[0] == '/')
		snprintf(tmp, sizeof(tmp), "%s", name);
	else
		snprintf(tmp, sizeof(tmp), "%.*s/%s", dirlen, cfgpath, name);
	out[0] = '\0';
	for (comp = strtok_r(tmp, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		size_t cl = strlen(comp);

		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			while (o && out[o - 1] != '/')
				o--;
			if (o)
				o--;
			out[o] = '\0';
			continue;
		}
		if (cl + 2 > outsz - o)
			break;
		out[o++] = '/';
		memcpy(out + o, comp, cl + 1);
		o += cl;
	}
	if (!o)
		snprintf(out, outsz, "/");
}

struct cand {
	char path[INSPECT_LINE_MAX];
	bool named; /* named by a config: report if missing */
};

static void cand_add(struct cand *c, size_t *n, const char *path, bool named)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcasecmp(c[i].path, path)) {
			c[i].named |= named;
			return;
		}
	if (*n >= INSPECT_ITEMS_MAX)
		return;
	snprintf(c[*n].path, sizeof(c[*n].path), "%s", path);
	c[*n].named = named;
	(*n)++;
}

static void examine_binary(const uint8_t *buf, size_t len, json_t *jb)
{
	char cls[IPXEBIN_CLASS_MAX];
	struct diag d = { { 0 } };
	enum ipxebin_kind k = ipxebin_kind(buf, len);
	int rc;

	jset(jb, "size", json_integer((json_int_t)len));
	jset(jb, "kind", jstr(ipxebin_kind_name(k)));
	inspect_sb_binary(buf, len, jb);
	rc = ipxebin_user_class(buf, len, cls, sizeof(cls), &d);
	if (rc == 0)
		jset(jb, "user_class", jstr(cls));
	else
		jset(jb, "error", jstr(d.msg));
}

/* The first syslinux/isolinux config found: its kernels become binary candidates,
 * its initrds script candidates (both named: reported when missing). */
static void examine_boot_config(struct vol *v, json_t *jv, struct cand *bins, size_t *nb,
				struct cand *scr, size_t *ns)
{
	static const char *const cfgs[] = {
		"/isolinux.cfg", "/isolinux/isolinux.cfg", "/boot/isolinux/isolinux.cfg",
		"/syslinux.cfg", "/syslinux/syslinux.cfg", "/boot/syslinux/syslinux.cfg",
	};
	struct diag d = { { 0 } };

	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		struct cfg_ctx c = { 0 };
		json_t *jc, *it;
		uint8_t *buf;
		size_t len, k;

		diag_clear(&d);
		if (vol_read(v, cfgs[i], &buf, &len, INSPECT_CFG_MAX, &d) < 0)
			continue;
		jc = json_object();
		c.kernels = json_array();
		c.initrds = json_array();
		for_each_line(buf, len, cfg_line, &c);
		free(buf);
		/* "DEFAULT ipxe.lkrn" without LABELs names the kernel itself. */
		if (!json_array_size(c.kernels) && c.default_label[0])
			json_array_append_new(c.kernels, jstr(c.default_label));
		jset(jc, "path", jstr(cfgs[i]));
		json_array_foreach(c.kernels, k, it)
		{
			char p[INSPECT_LINE_MAX];

			cfg_resolve(cfgs[i], json_string_value(it), p, sizeof(p));
			cand_add(bins, nb, p, true);
		}
		json_array_foreach(c.initrds, k, it)
		{
			char p[INSPECT_LINE_MAX];

			cfg_resolve(cfgs[i], json_string_value(it), p, sizeof(p));
			cand_add(scr, ns, p, true);
		}
		jset(jc, "kernel", c.kernels);
		jset(jc, "initrd", c.initrds);
		jset(jv, "boot_config", jc);
		return;
	}
}

/* The usual places: /ipxe.lkrn, the .efi files in /EFI/BOOT, and the chain script's names. */
static void examine_usual(struct vol *v, struct cand *bins, size_t *nb, struct cand *scr,
			  size_t *ns)
{
	static const char *const scripts[] = { "/chain.ipxe", "/autoexec.ipxe",
					       "/EFI/BOOT/autoexec.ipxe" };
	struct name_list efi = { .n = 0 };
	size_t i;

	cand_add(bins, nb, "/ipxe.lkrn", false);
	vol_list_dir(v, "/EFI/BOOT", &efi);
	for (i = 0; i < efi.n; i++) {
		size_t l = strlen(efi.names[i]);
		char p[INSPECT_LINE_MAX];

		if (l > 4 && !strcasecmp(efi.names[i] + l - 4, ".efi")) {
			snprintf(p, sizeof(p), "/EFI/BOOT/%s", efi.names[i]);
			cand_add(bins, nb, p, false);
		}
	}
	name_list_free(&efi);
	for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++)
		cand_add(scr, ns, scripts[i], false);
}

/* One candidate read from the volume into a new object; NULL when it is absent and
 * nothing named it. *buf holds the bytes when the object has no "error". */
static json_t *examine_read(struct vol *v, const struct cand *c, size_t max, uint8_t **buf,
			    size_t *len)
{
	struct diag d = { { 0 } };
	json_t *j;
	int rc;

	rc = vol_read(v, c->path, buf, len, max, &d);
	if (rc == -ENOENT && !c->named)
		return NULL;
	j = json_object();
	jset(j, "path", jstr(c->path));
	if (rc == -ENOENT)
		jset(j, "error", jstr("named by the boot config but not on the volume"));
	else if (rc < 0)
		jset(j, "error", jstr(d.msg));
	return j;
}

static void examine_binaries(struct vol *v, const struct cand *bins, size_t nb, json_t *jbins)
{
	for (size_t i = 0; i < nb; i++) {
		uint8_t *buf = NULL;
		size_t len = 0;
		json_t *jb = examine_read(v, &bins[i], INSPECT_BIN_MAX, &buf, &len);

		if (!jb)
			continue;
		if (!json_object_get(jb, "error"))
			examine_binary(buf, len, jb);
		free(buf);
		json_array_append_new(jbins, jb);
	}
}

static void examine_scripts(struct vol *v, const struct cand *scr, size_t ns, json_t *jscr)
{
	for (size_t i = 0; i < ns; i++) {
		struct script_ctx c = { 0 };
		uint8_t *buf = NULL;
		size_t len = 0;
		json_t *js = examine_read(v, &scr[i], INSPECT_SCRIPT_MAX, &buf, &len);

		if (!js)
			continue;
		if (!json_object_get(js, "error")) {
			c.js = js;
			c.urls = json_array();
			c.first = true;
			jset(js, "size", json_integer((json_int_t)len));
			for_each_line(buf, len, script_line, &c);
			if (!json_object_get(js, "user_class"))
				jset(js, "user_class", json_null());
			jset(js, "urls", c.urls);
		}
		free(buf);
		json_array_append_new(jscr, js);
	}
}

static void examine_volume(struct vol *v, json_t *jv)
{
	struct cand *bins = calloc(INSPECT_ITEMS_MAX, sizeof(*bins));
	struct cand *scr = calloc(INSPECT_ITEMS_MAX, sizeof(*scr));
	json_t *jbins = json_array(), *jscr = json_array();
	size_t nb = 0, ns = 0;
	struct diag d = { { 0 } };

	jset(jv, "name", jstr(v->name));
	jset(jv, "offset", json_integer((json_int_t)v->offset));
	if (!bins || !scr || !jbins || !jscr) {
		jset(jv, "error", jstr("out of memory"));
		goto out;
	}
	if (v->type == VOL_FAT && fat_list(v, &d) < 0) {
		jset(jv, "error", jstr(d.msg));
		goto out;
	}
	examine_boot_config(v, jv, bins, &nb, scr, &ns);
	examine_usual(v, bins, &nb, scr, &ns);
	examine_binaries(v, bins, nb, jbins);
	examine_scripts(v, scr, ns, jscr);
out:
	jset(jv, "ipxe_binaries", jbins);
	jset(jv, "scripts", jscr);
	free(bins);
	free(scr);
}

/* ---- libblkid ------------------------------------------------------------- */

/* File system type and label at [off, off+size) (size 0: to the end). */
static void probe_fs(const struct img *im, uint64_t off, uint64_t size, char *type, size_t typesz,
		     json_t *where)
{
	blkid_probe pr = blkid_new_probe();
	const char *val;
	int rc;

	type[0] = '\0';
	if (!pr)
		return;
	if (blkid_probe_set_device(pr, im->fd, (blkid_loff_t)off, (blkid_loff_t)size) < 0)
		goto out;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL);
	blkid_probe_enable_partitions(pr, 0);
	rc = blkid_do_safeprobe(pr);
	if (rc == -2) {
		jset(where, "filesystem", jstr("ambiguous"));
		goto out;
	}
	if (rc != 0)
		goto out;
	if (blkid_probe_lookup_value(pr, "TYPE", &val, NULL) == 0) {
		snprintf(type, typesz, "%s", val);
		jset(where, "filesystem", jstr(val));
	}
	if (blkid_probe_lookup_value(pr, "LABEL", &val, NULL) == 0)
		jset(where, "label", jstr(val));
out:
	blkid_free_probe(pr);
}

static const char *gpt_type_name(const char *uuid)
{
	static const struct {
		const char *uuid, *name;
	} types[] = {
		{ "c12a7328-f81f-11d2-ba4b-00a0c93ec93b", "EFI System" },
		{ "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7", "Microsoft basic data" },
		{ "0fc63daf-8483-4772-8e79-3d69d8477de4", "Linux filesystem" },
		{ "21686148-6449-6e6f-744e-656564454649", "BIOS boot" },
	};
	size_t i;

	for (i = 0; uuid && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcasecmp(uuid, types[i].uuid))
			return types[i].name;
	return NULL;
}

/* One partition table (force_gpt: the GPT behind a hybrid MBR, which libblkid
 * otherwise leaves out because the MBR is not protective). */
static void probe_parts(const struct img *im, bool force_gpt, json_t *tables)
{
	blkid_probe pr = blkid_new_probe();
	blkid_partlist pl;
	blkid_parttable tab;
	json_t *jt, *jparts;
	int i, n;

	if (!pr)
		return;
	if (blkid_probe_set_device(pr, im->fd, 0, 0) < 0)
		goto out;
	blkid_probe_enable_superblocks(pr, 0);
	blkid_probe_enable_partitions(pr, 1);
	if (force_gpt) {
		char *only[] = { "gpt", NULL };

		blkid_probe_set_partitions_flags(pr, BLKID_PARTS_FORCE_GPT);
		blkid_probe_filter_partitions_type(pr, BLKID_FLTR_ONLYIN, only);
	}
	pl = blkid_probe_get_partitions(pr);
	if (!pl || !(tab = blkid_partlist_get_table(pl)))
		goto out;
	if (force_gpt && strcmp(blkid_parttable_get_type(tab), "gpt") != 0)
		goto out;
	jt = json_object();
	jparts = json_array();
	jset(jt, "type", jstr(blkid_parttable_get_type(tab)));
	n = blkid_partlist_numof_partitions(pl);
	for (i = 0; i < n && i < INSPECT_ITEMS_MAX; i++) {
		blkid_partition p = blkid_partlist_get_partition(pl, i);
		json_t *jp = json_object();
		uint64_t start, size;
		const char *s;
		char fs[64], t[16];

		if (!p || !jp) {
			json_decref(jp);
			continue;
		}
		start = (uint64_t)blkid_partition_get_start(p) * 512;
		size = (uint64_t)blkid_partition_get_size(p) * 512;
		jset(jp, "number", json_integer(blkid_partition_get_partno(p)));
		jset(jp, "start", json_integer((json_int_t)start));
		jset(jp, "size", json_integer((json_int_t)size));
		s = blkid_partition_get_type_string(p);
		if (s) {
			jset(jp, "type", jstr(s));
			if (gpt_type_name(s))
				jset(jp, "type_name", jstr(gpt_type_name(s)));
		} else {
			snprintf(t, sizeof(t), "0x%02x", blkid_partition_get_type(p));
			jset(jp, "type", jstr(t));
			if (blkid_partition_get_type(p) == 0xef)
				jset(jp, "type_name", jstr("EFI System"));
		}
		s = blkid_partition_get_name(p);
		if (s && *s)
			jset(jp, "name", jstr(s));
		if (start < im->size && size)
			probe_fs(im, start, size <= im->size - start ? size : im->size - start, fs,
				 sizeof(fs), jp);
		json_array_append_new(jparts, jp);
	}
	jset(jt, "partitions", jparts);
	json_array_append_new(tables, jt);
out:
	blkid_free_probe(pr);
}

/* ---- the whole image -------------------------------------------------------- */

static void add_fat_volume(struct vol *vols, size_t *nv, size_t max, const struct img *im,
			   uint64_t off, const char *name)
{
	size_t i;

	for (i = 0; i < *nv; i++)
		if (vols[i].offset == off)
			return; /* the El Torito ESP is usually also a partition */
	if (*nv >= max)
		return;
	memset(&vols[*nv], 0, sizeof(vols[*nv]));
	vols[*nv].type = VOL_FAT;
	vols[*nv].offset = off;
	vols[*nv].im = im;
	snprintf(vols[*nv].name, sizeof(vols[*nv].name), "%s", name);
	(*nv)++;
}

/* ---- the whole image -------------------------------------------------------- */

struct probe {
	struct img im;
	struct iso9660 iso;
	bool is_iso;
	unsigned flags;
	json_t *root, *tables;
	struct vol *vols;
	size_t nv;
	char fstype[64];
};

/* An ISO 9660 volume? El Torito and this reader assume 2048-byte blocks, as every
 * CD/DVD image has. Returns 0 (p->is_iso says which) or the error. */
static int probe_iso_open(struct probe *p, json_t *jiso, struct diag *d)
{
	int rc = iso9660_open(&p->iso, img_read_cb, &p->im, p->im.size, d);

	if (rc == -ENOENT)
		return 0;
	if (rc == 0 && p->iso.block != ISO_SECTOR)
		rc = diag_set(d, -ENOTSUP,
			      "ISO 9660 logical block size %u is not supported (only 2048)",
			      p->iso.block);
	if (rc)
		return diag_prefix(d, rc, "%s", p->im.path);
	p->is_iso = true;
	jset(jiso, "volume_id", jstr_n(p->iso.volume_id, p->iso.volume_id_len));
	jset(jiso, "volume_blocks", json_integer(p->iso.volume_blocks));
	return 0;
}

/* A single iPXE binary (small files that are not ISO images)? 1 if so (the facts are
 * in p->root), 0 if not, or the error: a damaged one is named as such. */
static int probe_binary(struct probe *p, struct diag *d)
{
	struct diag zd = { { 0 } };
	const char *path = p->im.path;
	size_t size = (size_t)p->im.size;
	struct zbin z;
	uint8_t *buf;
	int rc;

	if (p->is_iso || p->im.size > INSPECT_BIN_MAX)
		return 0;
	rc = img_read_alloc(&p->im, 0, size, &buf);
	if (rc < 0)
		return diag_set(d, rc, "%s: cannot read: %s", path, strerror(-rc));
	if (ipxebin_kind(buf, size) != IPXEBIN_UNKNOWN) {
		json_t *jb = json_object();

		examine_binary(buf, size, jb);
		free(buf);
		jset(p->root, "kind", jstr("ipxe-binary"));
		jset(p->root, "kind_name", jstr("iPXE binary"));
		jset(p->root, "ipxe_binary", jb);
		return 1;
	}
	/* A packed image whose chain is intact but a CRC fails is a damaged iPXE binary,
	 * not "some other file": say which block. */
	rc = zbin_parse(buf, size, &z, &zd) == -EBADMSG
		     ? diag_set(d, -EBADMSG, "%s: damaged iPXE BIOS image: %s", path, zd.msg)
		     : 0;
	/* A cut-off ipxe.lkrn keeps its boot sector's 55 aa: libblkid would call it a
	 * disk image. Its Linux boot header says what it is. */
	if (!rc && size >= 0x206 && !memcmp(buf + 0x202, "HdrS", 4))
		rc = diag_set(d, -EINVAL, "%s: a Linux kernel, not a whole iPXE .lkrn: %s", path,
			      zd.msg[0] ? zd.msg : "no packed iPXE blocks");
	free(buf);
	return rc;
}

/* One El Torito entry's facts; an EFI image that holds a FAT file system becomes a
 * volume to examine. */
static json_t *probe_et_entry(struct probe *p, const struct eltorito_entry *e)
{
	json_t *je = json_object();
	char file[INSPECT_LINE_MAX];

	jset(je, "platform", jstr(eltorito_platform_name(e->platform)));
	jset(je, "platform_id", json_integer(e->platform));
	jset(je, "bootable", json_boolean(e->bootable));
	jset(je, "emulation", jstr(eltorito_media_name(e->media)));
	jset(je, "load_segment", json_integer(e->load_seg));
	jset(je, "sector_count", json_integer(e->sectors));
	jset(je, "load_rba", json_integer(e->lba));
	iso9660_name_lba(&p->iso, e->lba, file, sizeof(file));
	if (file[0])
		jset(je, "file", jstr(file));
	if (e->platform == 0xef) {
		uint64_t off = (uint64_t)e->lba * ISO_SECTOR;
		/* Sector count is in 512-byte units; 0 or 1 means "to the end" for images
		 * over 32 MiB. */
		uint64_t size = e->sectors > 1 ? (uint64_t)e->sectors * 512 : 0;
		json_t *esp = json_object();
		char t[64];

		jset(esp, "offset", json_integer((json_int_t)off));
		if (off < p->im.size) {
			if (size > p->im.size - off)
				size = p->im.size - off;
			probe_fs(&p->im, off, size, t, sizeof(t), esp);
			if (!strcmp(t, "vfat"))
				add_fat_volume(p->vols, &p->nv, INSPECT_VOLS_MAX, &p->im, off,
					       "EFI system partition (El Torito EFI image)");
		}
		jset(je, "esp", esp);
	}
	return je;
}

static void probe_eltorito(struct probe *p, json_t *jiso)
{
	struct eltorito_entry ents[ELTORITO_MAX];
	json_t *et, *jents;
	struct diag ed = { { 0 } };
	size_t n = 0;

	if (!p->iso.have_catalog)
		return;
	et = json_object();
	jents = json_array();
	if (eltorito_read(&p->iso, ents, ELTORITO_MAX, &n, &ed) < 0)
		jset(et, "error", jstr(ed.msg));
	jset(et, "catalog_sector", json_integer(p->iso.catalog_lba));
	for (size_t i = 0; i < n; i++)
		json_array_append_new(jents, probe_et_entry(p, &ents[i]));
	jset(et, "entries", jents);
	jset(jiso, "el_torito", et);
}

/* What the image is (ISO, disk, FAT image), with its volumes; -EINVAL if none. */
static int probe_kind(struct probe *p, json_t *jiso, struct diag *d)
{
	const char *fs = p->fstype;

	if (p->is_iso) {
		struct vol *v = &p->vols[p->nv++];

		jset(p->root, "kind", jstr("iso9660"));
		jset(p->root, "kind_name",
		     jstr(json_array_size(p->tables) ? "ISO 9660 image (hybrid: also a disk image)"
						     : "ISO 9660 image"));
		memset(v, 0, sizeof(*v));
		v->type = VOL_ISO;
		v->im = &p->im;
		v->iso = &p->iso;
		snprintf(v->name, sizeof(v->name), "ISO 9660 file system");
		probe_eltorito(p, jiso);
		json_incref(jiso);
		jset(p->root, "iso9660", jiso);
	} else if (json_array_size(p->tables)) {
		jset(p->root, "kind", jstr("disk"));
		jset(p->root, "kind_name", jstr("disk image"));
	} else if (!strcmp(fs, "vfat")) {
		jset(p->root, "kind", jstr("fat"));
		jset(p->root, "kind_name", jstr("FAT image"));
		add_fat_volume(p->vols, &p->nv, INSPECT_VOLS_MAX, &p->im, 0, "FAT file system");
	} else {
		return diag_set(d, -EINVAL,
				"%s: not an ISO 9660 image, disk image, FAT image or iPXE "
				"binary%s%s%s",
				p->im.path, fs[0] ? " (it holds a " : "", fs,
				fs[0] ? " file system)" : "");
	}
	return 0;
}

/* FAT partitions (the ESP of a hybrid image or USB stick) become volumes. */
static void probe_part_volumes(struct probe *p)
{
	for (size_t i = 0; i < json_array_size(p->tables); i++) {
		const json_t *t = json_array_get(p->tables, i), *jp;
		size_t k;

		json_array_foreach(json_object_get(t, "partitions"), k, jp)
		{
			const char *fs = jget_str(jp, "filesystem");
			char name[128];

			if (!fs || strcmp(fs, "vfat"))
				continue;
			snprintf(name, sizeof(name), "FAT partition %lld of the %s table",
				 (long long)json_integer_value(json_object_get(jp, "number")),
				 jget_str(t, "type"));
			add_fat_volume(p->vols, &p->nv, INSPECT_VOLS_MAX, &p->im,
				       (uint64_t)json_integer_value(json_object_get(jp, "start")),
				       name);
		}
	}
}

static void probe_volumes(struct probe *p)
{
	json_t *jvols = json_array();

	for (size_t i = 0; i < p->nv; i++) {
		json_t *jv;

		if (p->vols[i].type == VOL_FAT && (p->flags & INSPECT_PROBE_NO_FAT))
			continue;
		jv = json_object();
		examine_volume(&p->vols[i], jv);
		json_array_append_new(jvols, jv);
		vol_free(&p->vols[i]);
	}
	jset(p->root, "volumes", jvols);
}

int inspect_probe(int fd, uint64_t size, const char *path, unsigned flags, json_t **out,
		  struct diag *d)
{
	struct probe p = { .im = { .fd = fd, .size = size, .path = path }, .flags = flags };
	json_t *jiso = json_object();
	int rc;

	*out = NULL;
	p.root = json_object();
	p.tables = json_array();
	p.vols = calloc(INSPECT_VOLS_MAX, sizeof(*p.vols));
	if (!p.root || !p.tables || !jiso || !p.vols) {
		rc = diag_set(d, -ENOMEM, "%s: out of memory", path);
		goto out;
	}
	jset(p.root, "path", jstr(path));
	jset(p.root, "size", json_integer((json_int_t)size));
	/* ISO 9660 first (an ISO is never an iPXE binary); then, for small files, an iPXE
	 * binary: a .lkrn has a boot-sector 55 aa that libblkid could take for an MBR. */
	rc = probe_iso_open(&p, jiso, d);
	if (!rc)
		rc = probe_binary(&p, d);
	if (rc) {
		if (rc > 0)
			rc = 0, *out = json_incref(p.root);
		goto out;
	}
	probe_fs(&p.im, 0, 0, p.fstype, sizeof(p.fstype), p.root);
	probe_parts(&p.im, false, p.tables);
	if (json_array_size(p.tables) &&
	    !strcmp(jget_str(json_array_get(p.tables, 0), "type"), "dos"))
		probe_parts(&p.im, true, p.tables);
	rc = probe_kind(&p, jiso, d);
	if (rc)
		goto out;
	probe_part_volumes(&p);
	jset(p.root, "partition_tables", json_incref(p.tables));
	probe_volumes(&p);
	*out = json_incref(p.root);
out:
	for (size_t i = 0; p.vols && i < p.nv; i++)
		vol_free(&p.vols[i]);
	free(p.vols);
	json_decref(jiso);
	json_decref(p.tables);
	json_decref(p.root);
	return rc;
}
