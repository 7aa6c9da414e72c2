/* bootfiles: load (and rebrand) the iPXE binaries and render autoexec.ipxe, all before
 * privileges are dropped. Inputs are local files named by the trusted configuration:
 * the package's binaries (checked by the rebrand code, which refuses what it does not
 * recognise) and our own script template. */
#include "bootfiles.h"

#include "datadir.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chainscript.h"
#include "decide.h"
#include "facts.h"
#include "fileio.h"
#include "ipxebin.h"
#include "ipxecache.h"
#include "rebrand.h"

/* Debian's file names, as TFTP/HTTP clients ask for them. ipxe.efi is Debian's
 * symlink to ipxe-amd64.efi and served as the same bytes. */
static const char *const binaries[] = {
	"ipxe.pxe", "undionly.kpxe", "snponly.efi", "ipxe-amd64.efi", "ipxe-arm64.efi", "ipxe.lkrn",
};

const struct bootfile *server_bootfile(const struct server *s, const char *name)
{
	for (size_t i = 0; i < s->n_files; i++)
		if (!strcmp(s->files[i].name, name))
			return &s->files[i];
	return NULL;
}

static void add(struct bootfiles *bf, const char *name, void *mem, size_t len, const char *how)
{
	bf->files[bf->n] = (struct bootfile){ .name = name,
					      .fd = -1,
					      .data = mem,
					      .len = len,
					      .mtime = time(NULL) };
	bf->mem[bf->n] = mem;
	bf->how[bf->n] = how;
	bf->n++;
	bf->have |= decide_have_bit(name);
}

/* chain.ipxe: what the proxy offers our iPXE (decide_script_url); it chains the
 * inventory script with every fact, which one option 67 could not hold. */
static int add_stub(const struct site_config *c, struct bootfiles *bf, struct diag *d)
{
	char base[64], *stub;
	size_t cap = 4096;

	if (decide_base_url(c, base, sizeof(base)))
		return diag_set(d, -ENAMETOOLONG, "[server] listen \"%s\": too long for a URL",
				c->listen);
	stub = malloc(cap);
	if (!stub)
		return diag_set(d, -ENOMEM, "out of memory");
	if (facts_stub(base, c->user_class, stub, cap)) {
		free(stub);
		return diag_set(d, -ENAMETOOLONG, "the %s stub does not fit %zu bytes",
				FACTS_STUB_NAME, cap);
	}
	add(bf, FACTS_STUB_NAME, stub, strlen(stub), "generated");
	return 0;
}

/* One binary: the cached rebranded copy, else rebranded in memory, else (class too
 * long for the binary) the stock bytes. */
static int load_binary(const struct site_config *c, struct bootfiles *bf, const char *name,
		       bool can_rebrand, struct diag *d)
{
	char src[PATH_MAX], path[PATH_MAX], cls[IPXEBIN_CLASS_MAX];
	struct diag cd = { { 0 } };
	uint8_t *buf = NULL, *res = NULL;
	size_t len;
	int rc, rebranded = 0;

	snprintf(src, sizeof(src), "%s/%s", bf->ipxe_dir, name);
	if (access(src, R_OK)) {
		size_t used = strlen(bf->missing);
		snprintf(bf->missing + used, sizeof(bf->missing) - used, "%s%s", used ? "," : "",
			 name);
		return 0;
	}
	if (can_rebrand &&
	    ipxecache_get(src, c->user_class, path, sizeof(path), &rebranded, &cd) == 0) {
		rc = fileio_read(path, REBRAND_MAX_INPUT, &buf, &len, d);
		if (rc)
			return rc;
		add(bf, name, buf, len, rebranded ? "rebranded" : "already-ours");
		return 0;
	}
	rc = fileio_read(src, REBRAND_MAX_INPUT, &buf, &len, d);
	if (rc)
		return rc;
	if (can_rebrand) {
		/* The cache could not be written (read-only /var/cache, no HOME): the same
		 * rebrand, kept in memory only. */
		diag_clear(&cd);
		rc = rebrand_bytes(buf, len, c->user_class, &res, NULL, &cd);
		if (rc == 0) {
			free(buf);
			add(bf, name, res, len, "rebranded");
			return 0;
		}
		if (rc != -EALREADY) {
			free(buf);
			return diag_set(d, rc, "%s: cannot rebrand to user-class %s: %s", src,
					c->user_class, cd.msg);
		}
	}
	/* Binaries from chainboot build-ipxe carry a class of any length already. */
	if (ipxebin_user_class(buf, len, cls, sizeof(cls), &cd) == 0 &&
	    !strcmp(cls, c->user_class)) {
		add(bf, name, buf, len, "already-ours");
		return 0;
	}
	add(bf, name, buf, len, "stock");
	bf->files[bf->n - 1].foreign_class = true;
	return 0;
}

int bootfiles_prepare(const struct site_config *c, struct bootfiles *bf, struct diag *d)
{
	char datadir[PATH_MAX], tmpl_path[PATH_MAX + 32];
	struct diag cd = { { 0 } };
	char *tmpl = NULL, *script = NULL;
	size_t tmpl_len, script_len;
	bool can_rebrand;
	int rc;

	memset(bf, 0, sizeof(*bf));
	rc = ipxecache_find_dir(c, bf->ipxe_dir, sizeof(bf->ipxe_dir), d);
	if (rc)
		return rc;
	/* Binaries carry "iPXE" (4 bytes) and are patched in place, never grown. */
	can_rebrand = c->rebrand != SITE_REBRAND_NO && rebrand_check_class(c->user_class, &cd) == 0;
	if (c->rebrand == SITE_REBRAND_NO)
		snprintf(bf->stock_why, sizeof(bf->stock_why),
			 "[image] rebrand = no: serving the binaries as they are; UEFI clients get "
			 "the class from autoexec.ipxe; BIOS clients get no answer where the BIOS "
			 "binary asks as another class (it would loop)");
	else if (!can_rebrand)
		snprintf(
			bf->stock_why, sizeof(bf->stock_why),
			"user-class %s is longer than the 4 bytes a prebuilt binary has room for: "
			"UEFI clients get the class from autoexec.ipxe; BIOS clients get no answer "
			"unless the BIOS binaries carry it (a stock one would loop): use a class "
			"of at most 4 characters, or binaries from chainboot build-ipxe",
			c->user_class);
	for (size_t i = 0; i < sizeof(binaries) / sizeof(binaries[0]); i++) {
		rc = load_binary(c, bf, binaries[i], can_rebrand, d);
		if (rc)
			goto fail;
		if (!strcmp(binaries[i], "ipxe-amd64.efi") && bf->n &&
		    !strcmp(bf->files[bf->n - 1].name, binaries[i])) {
			struct bootfile *f = &bf->files[bf->n - 1];
			bf->files[bf->n] = (struct bootfile){ .name = "ipxe.efi",
							      .fd = -1,
							      .data = f->data,
							      .len = f->len };
			bf->how[bf->n++] = "alias";
		}
	}
	if (!(bf->have & DECIDE_HAVE_ALL)) {
		rc = diag_set(
			d, -ENOENT,
			"%s holds none of the iPXE binaries (ipxe.pxe, undionly.kpxe, snponly.efi, "
			"ipxe-amd64.efi, ipxe-arm64.efi): run chainboot-fetch-ipxe or set [image] "
			"ipxe_dir",
			bf->ipxe_dir);
		goto fail;
	}

	/* autoexec.ipxe: UEFI iPXE loaded over the network fetches it from the same
	 * server (TFTP or HTTP) and runs it: the chain script with its fallbacks. */
	rc = datadir_find(datadir, sizeof(datadir), d);
	if (rc)
		goto fail;
	snprintf(tmpl_path, sizeof(tmpl_path), "%s/scripts/chain.ipxe.in", datadir);
	rc = fileio_read_text(tmpl_path, CHAINSCRIPT_MAX, &tmpl, &tmpl_len, d);
	if (rc)
		goto fail;
	rc = chainscript_render(c, tmpl, tmpl_len, &script, &script_len, d);
	free(tmpl);
	if (rc) {
		diag_prefix(d, rc, "%s", tmpl_path);
		goto fail;
	}
	add(bf, "autoexec.ipxe", script, script_len, "generated");
	return add_stub(c, bf, d);
fail:
	bootfiles_free(bf);
	return rc;
}

void bootfiles_free(struct bootfiles *bf)
{
	for (size_t i = 0; i < bf->n; i++)
		free(bf->mem[i]);
	memset(bf, 0, sizeof(*bf));
}
