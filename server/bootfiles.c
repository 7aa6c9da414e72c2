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
#include "sbsign.h"

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

/* What Secure Boot signing needs: the checked keys and the signed-copy cache. */
struct sb_ctx {
	struct sbsign_keys k;
	char dir[PATH_MAX];
	bool on;
};

static bool is_efi(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && !strcmp(name + n - 4, ".efi");
}

/* The signed copy of the file at path (db mode), read into memory. */
static int load_signed(struct bootfiles *bf, const struct sb_ctx *sb, const char *name,
		       const char *path, const char *how, struct diag *d)
{
	char out[PATH_MAX], hex[65];
	uint8_t *buf;
	size_t len;
	int rc = sbsign_file(path, &sb->k, sb->dir, out, sizeof(out), hex, d);

	if (rc)
		return diag_prefix(d, rc, "signing %s for Secure Boot", name);
	rc = fileio_read(out, SBSIGN_MAX_EFI, &buf, &len, d);
	if (rc)
		return rc;
	add(bf, name, buf, len, how);
	return 0;
}

/* One binary: the cached rebranded copy, else rebranded in memory, else (class too
 * long for the binary) the stock bytes; with sb on, EFI binaries signed. */
static int load_binary(const struct site_config *c, struct bootfiles *bf, const char *name,
		       bool can_rebrand, const struct sb_ctx *sb, struct diag *d)
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
		if (sb->on && is_efi(name))
			return load_signed(bf, sb, name, path,
					   rebranded ? "rebranded+signed" : "already-ours+signed",
					   d);
		rc = fileio_read(path, REBRAND_MAX_INPUT, &buf, &len, d);
		if (rc)
			return rc;
		add(bf, name, buf, len, rebranded ? "rebranded" : "already-ours");
		return 0;
	}
	if (sb->on && is_efi(name) && can_rebrand)
		return diag_set(d, -EROFS,
				"%s: cannot sign a rebranded copy: the rebrand cache cannot be "
				"written (set CHAINBOOT_CACHE to a writable directory): %s",
				src, cd.msg);
	if (sb->on && is_efi(name))
		return load_signed(bf, sb, name, src, "stock+signed", d);
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
	add(bf, name, buf, len, c->sb_mode == SITE_SB_VENDOR ? "vendor" : "stock");
	bf->files[bf->n - 1].foreign_class = true;
	return 0;
}

/* shim over the network (x86_64): Debian's shim as shimx64.efi, MokManager as mmx64.efi,
 * and grubx64.efi, the name shim asks the same server for: the signed iPXE the
 * decision table would give (efi_binary). Missing shim packages: UEFI clients get the
 * signed iPXE as in db mode, and the log says why. */
static int add_shim(const struct site_config *c, struct bootfiles *bf, struct diag *d)
{
	static const char shim[] = "/usr/lib/shim/shimx64.efi.signed",
			  mm[] = "/usr/lib/shim/mmx64.efi.signed";
	const char *want = strcmp(c->efi_binary, "ipxe") ? "snponly.efi" : "ipxe-amd64.efi";
	const struct bootfile *ipxe = NULL;
	uint8_t *b1, *b2;
	size_t l1, l2;
	int rc;

	for (size_t i = 0; i < bf->n; i++)
		if (!strcmp(bf->files[i].name, want))
			ipxe = &bf->files[i];
	if (!ipxe || access(shim, R_OK) || access(mm, R_OK)) {
		size_t n = strlen(bf->sb_note);
		snprintf(bf->sb_note + n, sizeof(bf->sb_note) - n,
			 "; shim not served: %s missing (apt-get install shim-signed "
			 "shim-helpers-amd64-signed)",
			 ipxe ? shim : want);
		return 0;
	}
	rc = fileio_read(shim, SBSIGN_MAX_EFI, &b1, &l1, d);
	if (rc)
		return rc;
	rc = fileio_read(mm, SBSIGN_MAX_EFI, &b2, &l2, d);
	if (rc) {
		free(b1);
		return rc;
	}
	bf->files[bf->n] = (struct bootfile){ .name = "grubx64.efi",
					      .fd = -1,
					      .data = ipxe->data,
					      .len = ipxe->len };
	bf->how[bf->n++] = "alias";
	add(bf, "shimx64.efi", b1, l1, "shim-signed");
	add(bf, "mmx64.efi", b2, l2, "shim-helpers-amd64-signed");
	return 0;
}

/* [secureboot] for the network: db and shim sign (shim also serves shim itself:
 * add_shim), vendor serves the binaries unchanged. */
static int sb_prepare(const struct site_config *c, struct bootfiles *bf, struct sb_ctx *sb,
		      struct diag *d)
{
	int rc;

	if (c->sb_mode == SITE_SB_VENDOR) {
		snprintf(bf->sb_note, sizeof(bf->sb_note),
			 "vendor: binaries served unchanged (not rebranded, their signatures "
			 "kept); the user-class comes from autoexec.ipxe");
		return 0;
	}
	if (c->sb_mode != SITE_SB_DB && c->sb_mode != SITE_SB_SHIM)
		return 0;
	rc = sbsign_check_keys(c, &sb->k, d);
	if (!rc)
		rc = sbsign_dir(sb->dir, sizeof(sb->dir), d);
	if (rc)
		return diag_prefix(d, rc, "[secureboot] mode = %s", site_sb_mode_name(c->sb_mode));
	sb->on = true;
	snprintf(bf->sb_note, sizeof(bf->sb_note), "%s: EFI binaries signed by %.200s%s%s%s",
		 site_sb_mode_name(c->sb_mode), sb->k.subject,
		 c->sb_mode == SITE_SB_SHIM ? "; UEFI x86_64 firmware gets shimx64.efi, which "
					      "loads grubx64.efi (signed iPXE) and mmx64.efi"
					    : "",
		 sb->k.warning[0] ? "; warning: " : "", sb->k.warning);
	return 0;
}

int bootfiles_prepare(const struct site_config *c, struct bootfiles *bf, struct diag *d)
{
	char datadir[PATH_MAX], tmpl_path[PATH_MAX + 32];
	struct diag cd = { { 0 } };
	char *script = NULL;
	size_t script_len;
	struct sb_ctx sb = { .on = false };
	bool can_rebrand;
	int rc;

	memset(bf, 0, sizeof(*bf));
	rc = ipxecache_find_dir(c, bf->ipxe_dir, sizeof(bf->ipxe_dir), d);
	if (rc)
		return rc;
	/* Binaries carry "iPXE" (4 bytes) and are patched in place, never grown. */
	can_rebrand = c->rebrand != SITE_REBRAND_NO && c->sb_mode != SITE_SB_VENDOR &&
		      rebrand_check_class(c->user_class, &cd) == 0;
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
	rc = sb_prepare(c, bf, &sb, d);
	if (rc)
		goto fail;
	for (size_t i = 0; i < sizeof(binaries) / sizeof(binaries[0]); i++) {
		rc = load_binary(c, bf, binaries[i], can_rebrand, &sb, d);
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
	snprintf(tmpl_path, sizeof(tmpl_path), "%s/" CHAINSCRIPT_TEMPLATE, datadir);
	rc = chainscript_render_file(c, tmpl_path, NULL, &script, &script_len, d);
	if (rc)
		goto fail;
	add(bf, "autoexec.ipxe", script, script_len, "generated");
	if (c->sb_mode == SITE_SB_SHIM) {
		rc = add_shim(c, bf, d);
		if (rc)
			goto fail;
	}
	rc = add_stub(c, bf, d);
	if (rc)
		goto fail;
	sbsign_keys_free(&sb.k);
	return 0;
fail:
	sbsign_keys_free(&sb.k);
	bootfiles_free(bf);
	return rc;
}

void bootfiles_free(struct bootfiles *bf)
{
	for (size_t i = 0; i < bf->n; i++)
		free(bf->mem[i]);
	memset(bf, 0, sizeof(*bf));
}
