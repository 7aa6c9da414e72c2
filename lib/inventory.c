/* inventory: loading an inventory — the file, then its templates and generators: the
 * only file I/O of the inventory (inventory_int.h has the parts) — and its lifetime
 * (references, the reload-on-change check).
 *
 * The file and the templates are the administrator's; they are read whole, with a cap,
 * by lib/fileio.c, and parsed as text (inventory_parse.c). Every problem is reported,
 * all at once, before an inventory is used (a reload with a broken file keeps the old).
 */
#include "inventory_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

/* Remember a file read, for inventory_changed(). */
static int track_file(struct inv_load *x, const char *path, int fd)
{
	struct inventory *inv = x->inv;
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (inv_grow(&inv->files, &inv->cap_files, inv->n_files + 1, sizeof(*inv->files)))
		return -ENOMEM;
	inv->files[inv->n_files++] = (struct inv_file){ path, st.st_dev, st.st_ino, st.st_size,
							st.st_mtim };
	return 0;
}

/* Read a whole file of at most max bytes (and track it). Returns 0, -EFBIG, -EINVAL
 * (not a regular file), -EIO (it changed while being read) or -errno. */
static int read_file(struct inv_load *x, const char *path, char **out, size_t *len, size_t max)
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

static void check_generator(struct inv_load *x, const struct inv_profile *p)
{
	struct stat st;

	if (stat(p->generator, &st)) {
		inv_lerr(x, p->generator_line, "[profile %s] generator: %s: %s", p->name,
			 p->generator, strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode) || access(p->generator, X_OK))
		inv_lerr(x, p->generator_line,
			 "[profile %s] generator: %s: not an executable file (chmod +x it; it "
			 "runs as the daemon's unprivileged user)",
			 p->name, p->generator);
}

static void load_template(struct inv_load *x, struct inv_profile *p)
{
	char *text = NULL;
	size_t len = 0;
	int rc = read_file(x, p->template_full, &text, &len, TEMPLATE_MAX);

	if (rc) {
		inv_lerr(x, p->template_line, "[profile %s] template: %s: %s", p->name,
			 p->template_path,
			 rc == -EFBIG	 ? "larger than 64 KiB"
			 : rc == -EINVAL ? "not a regular file"
			 : rc == -EIO	 ? "it changed while being read"
					 : strerror(-rc));
		free(text);
		return;
	}
	inv_compile_profile(x, p, text, len);
}

/* Profiles: exactly one script source each, then compiled (or the generator checked). */
static void load_profiles(struct inv_load *x)
{
	struct inventory *inv = x->inv;

	for (size_t i = 0; i < inv->n_profiles; i++) {
		struct inv_profile *p = &inv->profiles[i];
		int sources = !!p->template_line + !!p->script_line + !!p->generator_line;
		if (sources != 1) {
			inv_lerr(x, p->line,
				 "[profile %s]: %s (give exactly one of template = FILE, script = "
				 "..., generator = PROGRAM)",
				 p->name, sources ? "more than one script source" : "no script");
			continue;
		}
		if (p->timeout_line && !p->generator)
			inv_lerr(x, p->timeout_line,
				 "[profile %s] timeout: only a generator has a time limit",
				 p->name);
		if (p->generator)
			check_generator(x, p);
		else if (p->template_full)
			load_template(x, p);
		else if (p->script)
			inv_compile_profile(x, p, NULL, 0);
	}
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
	template_free(inv->menu_failed.t);
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
		struct inv_chunk *c = inv->chunks;
		inv->chunks = c->next;
		free(c);
	}
	free(inv);
}

static struct inv_load *load_new(const char *origin, const struct site_config *cfg, struct diag *d)
{
	struct inventory *inv = calloc(1, sizeof(*inv));
	struct inv_load *x = calloc(1, sizeof(*x));

	if (!inv || !x) {
		free(inv);
		free(x);
		diag_add(d, -ENOMEM, "%s: out of memory", origin);
		return NULL;
	}
	inv->refs = 1;
	inv->menu_timeout = INV_MENU_TIMEOUT_DEFAULT;
	x->inv = inv;
	x->cfg = cfg;
	x->d = d;
	x->path = origin;
	return x;
}

/* After the text: the index, the profiles, the menu; the inventory or every error. */
static int load_finish(struct inv_load *x, int rc, struct inventory **out)
{
	struct inventory *inv = x->inv;

	if (!rc && !x->rc) {
		inv_index_names(x);
		if (!x->rc)
			load_profiles(x);
		if (!x->rc)
			inv_index_machines(x);
		if (!x->errors && !x->rc)
			inv_compile_builtin(x);
	}
	if (!rc)
		rc = x->rc ? x->rc : x->errors ? -EINVAL : 0;
	free_loading(inv);
	if (rc)
		destroy(inv);
	else
		*out = inv;
	free(x);
	return rc;
}

static void set_dir(struct inv_load *x, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == path)
		snprintf(x->dir, sizeof(x->dir), "/");
	else if (slash)
		snprintf(x->dir, sizeof(x->dir), "%.*s", (int)(slash - path), path);
}

int inventory_load_text(const char *text, size_t len, const char *origin, const char *dir,
			const struct site_config *cfg, struct inventory **out, struct diag *d)
{
	struct inv_load *x = load_new(origin, cfg, d);

	*out = NULL;
	if (!x)
		return -ENOMEM;
	snprintf(x->dir, sizeof(x->dir), "%s", dir ? dir : "");
	inv_parse(x, text, len);
	return load_finish(x, 0, out);
}

/* Open, check and read the file at x->inv->path; 0 with the text, or -errno (d says). */
static int load_file(struct inv_load *x, const char *path, char **text, size_t *len)
{
	struct diag rd = { { 0 } };
	struct stat st;
	int rc, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return diag_add(x->d, -errno, "%s: cannot read the inventory: %s", path,
				strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > INV_MAX_FILE) {
		close(fd);
		return diag_add(x->d, -EINVAL, "%s: not a regular file of at most %u MiB", path,
				INV_MAX_FILE >> 20);
	}
	if ((rc = track_file(x, x->inv->path, fd))) {
		close(fd);
		return diag_add(x->d, rc, "%s: %s", path, strerror(-rc));
	}
	rc = fileio_read_fd(fd, path, INV_MAX_FILE, (uint8_t **)text, len, &rd);
	close(fd);
	if (rc)
		return diag_add(x->d, rc, "%s", rd.msg);
	return 0;
}

int inventory_load(const char *path, const struct site_config *cfg, struct inventory **out,
		   struct diag *d)
{
	struct inv_load *x = load_new(path ? path : "(no inventory)", cfg, d);
	char *text = NULL;
	size_t len = 0;
	int rc = 0;

	*out = NULL;
	if (!x)
		return -ENOMEM;
	if (path) {
		x->inv->path = inv_strndup(x->inv, path, strlen(path));
		rc = x->inv->path ? load_file(x, path, &text, &len)
				  : diag_add(d, -ENOMEM, "%s: out of memory", path);
		if (!rc) {
			set_dir(x, path);
			inv_parse(x, text, len);
			free(text);
		}
	}
	return load_finish(x, rc, out);
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
