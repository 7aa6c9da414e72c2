/* ipxebuild: the from-source path to a rebranded iPXE. The user's iPXE tree is only read:
 * it is copied into a temporary directory, the copy's user-class is patched, and iPXE's
 * own Makefile builds the usual targets there with our chain script embedded (EMBED=).
 * Inputs: the tree (its dhcp.c is parsed as text, checked for exactly one match) and
 * the class (validated by siteconf). No iPXE source is carried in this repository. */
#include "ipxebuild.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "interrupt.h"
#include "ipxebin.h"
#include "siteconf.h"
#include "spawn.h"

/* Cap on the size of dhcp.c we are willing to edit (it is ~50 KB). */
#define DHCP_C_MAX (4u * 1024 * 1024)
/* Cap on a built binary we read back (ipxe.efi is ~1 MB). */
#define BUILT_MAX   (64u * 1024 * 1024)
#define CROSS_ARM64 "aarch64-linux-gnu-"

void ipxebuild_interrupt(void)
{
	interrupt_request();
}

struct target {
	const char *make; /* make target, relative to src/ */
	const char *name; /* file name in the output directory (Debian's) */
	unsigned arch;
};

static const struct target targets[] = {
	{ "bin/ipxe.lkrn", "ipxe.lkrn", SITE_ARCH_X86_64 },
	{ "bin/ipxe.pxe", "ipxe.pxe", SITE_ARCH_X86_64 },
	{ "bin/undionly.kpxe", "undionly.kpxe", SITE_ARCH_X86_64 },
	{ "bin/undionly.kkpxe", "undionly.kkpxe", SITE_ARCH_X86_64 },
	{ "bin-x86_64-efi/ipxe.efi", "ipxe-amd64.efi", SITE_ARCH_X86_64 },
	{ "bin-x86_64-efi/snponly.efi", "snponly.efi", SITE_ARCH_X86_64 },
	{ "bin-arm64-efi/ipxe.efi", "ipxe-arm64.efi", SITE_ARCH_ARM64 },
};

int ipxebuild_check_tools(unsigned arch, struct diag *d)
{
	static const struct {
		const char *tool, *package;
	} need[] = {
		{ "make", "make" }, { "gcc", "gcc" },	     { "ld", "binutils" },
		{ "perl", "perl" }, { "mformat", "mtools" },
	};
	char missing[512] = "";
	size_t used = 0, i;

#define ADD(pkg)                                                                                \
	do {                                                                                    \
		if (!strstr(missing, " " pkg) && used < sizeof(missing))                        \
			used += (size_t)snprintf(missing + used, sizeof(missing) - used, " %s", \
						 pkg);                                          \
	} while (0)
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!spawn_in_path(need[i].tool) && used < sizeof(missing))
			used += (size_t)snprintf(missing + used, sizeof(missing) - used, " %s",
						 need[i].package);
	/* iPXE's util/zbin.c (the packer of BIOS images) includes <lzma.h>. */
	if ((arch & SITE_ARCH_X86_64) && access("/usr/include/lzma.h", R_OK) != 0)
		ADD("liblzma-dev");
	if ((arch & SITE_ARCH_ARM64) && !spawn_in_path(CROSS_ARM64 "gcc"))
		ADD("gcc-aarch64-linux-gnu");
#undef ADD
	if (used)
		return diag_set(
			d, -ENOENT,
			"building iPXE needs packages that are missing: apt-get install%s%s",
			missing,
			(arch & SITE_ARCH_ARM64) && strstr(missing, "aarch64")
				? " (or build for --arch x86_64 only)"
				: "");
	return 0;
}

/* A C character literal for one printable byte. */
static void char_lit(char c, char out[5])
{
	if (c == '\'' || c == '\\')
		snprintf(out, 5, "'\\%c'", c);
	else
		snprintf(out, 5, "'%c'", c);
}

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static size_t skip_ws(const char *t, size_t len, size_t i)
{
	while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
		i++;
	return i;
}

/* From the '(' at i: the index of its ')', skipping character literals; 0 if none. */
static size_t close_paren(const char *t, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (t[i] == '\'') {
			/* 'x' or '\x': at most 4 characters; an unterminated one ends the search */
			size_t j = i + 1 < len && t[i + 1] == '\\' ? i + 3 : i + 2;

			if (j >= len || t[j] != '\'')
				return 0;
			i = j;
		} else if (t[i] == ')') {
			return i;
		} else if (t[i] == '(' || t[i] == ';' || t[i] == '}') {
			return 0; /* not the simple argument list we expect */
		}
	}
	return 0;
}

int ipxebuild_patch_dhcp(const char *text, size_t len, const char *cls, char **out, size_t *outlen,
			 struct diag *d)
{
	static const char key[] = "DHCP_USER_CLASS_ID", mac[] = "DHCP_STRING";
	size_t i, found = 0, arg_open = 0, arg_close = 0, ncls = strlen(cls), cap, w;
	char *res;

	*out = NULL;
	for (i = 0; i + sizeof(key) - 1 <= len; i++) {
		size_t j, o, c;

		if (memcmp(text + i, key, sizeof(key) - 1) != 0 || (i && ident_char(text[i - 1])))
			continue;
		j = skip_ws(text, len, i + sizeof(key) - 1);
		if (j >= len || text[j] != ',')
			continue; /* a use elsewhere, e.g. "case DHCP_USER_CLASS_ID:" */
		j = skip_ws(text, len, j + 1);
		if (len - j < sizeof(mac) - 1 || memcmp(text + j, mac, sizeof(mac) - 1) != 0)
			continue;
		o = skip_ws(text, len, j + sizeof(mac) - 1);
		if (o >= len || text[o] != '(' || !(c = close_paren(text, len, o)))
			continue;
		if (!found++) {
			arg_open = o;
			arg_close = c;
		}
	}
	if (found != 1)
		return diag_set(
			d, found ? -EEXIST : -ENOENT,
			"net/udp/dhcp.c has %zu `DHCP_USER_CLASS_ID, DHCP_STRING ( ... )` "
			"entries, expected exactly 1: an iPXE version chainboot does not know; "
			"patch the user-class by hand",
			found);
	/* Each byte becomes "'x', " (at most 6 characters). */
	cap = len + 6 * ncls + 8;
	res = malloc(cap);
	if (!res)
		return diag_set(d, -ENOMEM, "out of memory");
	memcpy(res, text, arg_open + 1);
	w = arg_open + 1;
	for (i = 0; i < ncls; i++) {
		char lit[5];

		char_lit(cls[i], lit);
		w += (size_t)snprintf(res + w, cap - w, "%s%s", i ? ", " : " ", lit);
	}
	res[w++] = ' ';
	memcpy(res + w, text + arg_close, len - arg_close);
	w += len - arg_close;
	*out = res;
	*outlen = w;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 32, FTW_DEPTH | FTW_PHYS);
}

/* The tree's src/ directory: DIR/src, or DIR itself when it is src/. */
static int find_src(const char *top, char *out, size_t outsz, struct diag *d)
{
	char probe[PATH_MAX];

	snprintf(out, outsz, "%s/src", top);
	snprintf(probe, sizeof(probe), "%s/net/udp/dhcp.c", out);
	if (access(probe, R_OK) == 0)
		return 0;
	snprintf(out, outsz, "%s", top);
	snprintf(probe, sizeof(probe), "%s/net/udp/dhcp.c", out);
	if (access(probe, R_OK) == 0)
		return 0;
	return diag_set(d, -ENOENT,
			"%s is not an iPXE source tree (no src/net/udp/dhcp.c): give the top "
			"directory of a clone of iPXE's git repository",
			top);
}

/* cp -a of every entry of src except bin and bin-* (the tree's own build products) into dst. */
static int copy_tree(const char *src, const char *dst, struct diag *d)
{
	DIR *dir = opendir(src);
	struct dirent *e;
	char **argv = NULL, **tmp;
	size_t n = 0, cap = 0, i;
	int rc = 0;

	if (!dir)
		return diag_set(d, -errno, "%s: %s", src, strerror(errno));
	while ((e = readdir(dir)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strcmp(e->d_name, "bin") || !strncmp(e->d_name, "bin-", 4))
			continue;
		if (n + 5 >= cap) {
			cap = cap ? cap * 2 : 64;
			tmp = realloc(argv, cap * sizeof(*argv));
			if (!tmp) {
				rc = diag_set(d, -ENOMEM, "out of memory");
				goto out;
			}
			argv = tmp;
		}
		if (!n) {
			argv[n++] = strdup("cp");
			argv[n++] = strdup("-a");
			argv[n++] = strdup("--reflink=auto");
		}
		if (asprintf(&argv[n], "%s/%s", src, e->d_name) < 0) {
			rc = diag_set(d, -ENOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	if (n < 4) {
		rc = diag_set(d, -ENOENT, "%s is empty", src);
		goto out;
	}
	argv[n++] = strdup(dst);
	argv[n] = NULL;
	for (i = 0; i < n; i++)
		if (!argv[i]) {
			rc = diag_set(d, -ENOMEM, "out of memory");
			goto out;
		}
	rc = spawn_run(argv, NULL, NULL, 0, d);
	if (rc)
		diag_prefix(d, rc, "copying the iPXE tree");
out:
	closedir(dir);
	for (i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
	return rc;
}

/* Run make in srcdir for the targets of one architecture. */
static int run_make(const char *srcdir, const char *embed, unsigned arch, unsigned jobs,
		    struct diag *d)
{
	char *argv[24], jarg[32], earg[PATH_MAX + 8];
	unsigned n = 0;
	size_t i;

	snprintf(jarg, sizeof(jarg), "-j%u", jobs);
	snprintf(earg, sizeof(earg), "EMBED=%s", embed);
	argv[n++] = "make";
	argv[n++] = "-C";
	argv[n++] = (char *)srcdir;
	argv[n++] = jarg;
	argv[n++] = earg;
	/* A newer compiler's new warnings must not fail a release tree's build. */
	argv[n++] = "NO_WERROR=1";
	if (arch == SITE_ARCH_ARM64)
		argv[n++] = "CROSS=" CROSS_ARM64;
	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		if (targets[i].arch == arch)
			argv[n++] = (char *)targets[i].make;
	argv[n] = NULL;
	return spawn_run(argv, NULL, NULL, 0, d);
}

/* Read a built binary back: it must be an iPXE binary that sends cls. */
static int check_built(const char *path, const char *cls, uint8_t **buf, size_t *len,
		       struct diag *d)
{
	char got[IPXEBIN_CLASS_MAX], want[IPXEBIN_CLASS_MAX];
	int rc;

	rc = fileio_read(path, BUILT_MAX, buf, len, d);
	if (rc)
		return diag_prefix(d, rc, "make said it built %s, but", path);
	rc = ipxebin_user_class(*buf, *len, got, sizeof(got), d);
	if (!rc &&
	    ipxebin_format_class((const uint8_t *)cls, strlen(cls), want, sizeof(want)) == 0 &&
	    strcmp(got, want) != 0)
		rc = diag_set(d, -EIO,
			      "%s sends user-class \"%s\", not \"%s\": the dhcp.c patch did not "
			      "take effect",
			      path, got, want);
	if (rc) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

int ipxebuild_run(const struct ipxebuild_opts *o, FILE *log, struct diag *d)
{
	char srcdir[PATH_MAX], stage[PATH_MAX], copy[PATH_MAX], path[PATH_MAX], embed[PATH_MAX];
	char *text = NULL, *patched = NULL;
	const char *tmpdir = getenv("TMPDIR");
	size_t tlen, plen, i;
	unsigned jobs = o->jobs, written = 0;
	long ncpu;
	int rc;

	interrupt_clear();
	rc = find_src(o->src, srcdir, sizeof(srcdir), d);
	if (!rc)
		rc = ipxebuild_check_tools(o->arch, d);
	if (rc)
		return rc;
	if (!jobs) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	snprintf(stage, sizeof(stage), "%s/chainboot-ipxe.XXXXXX",
		 tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(stage))
		return diag_set(d, -errno, "cannot create a temporary directory in %s: %s",
				tmpdir && *tmpdir ? tmpdir : "/tmp", strerror(errno));
	snprintf(copy, sizeof(copy), "%s/src", stage);
	snprintf(embed, sizeof(embed), "%s/chain.ipxe", stage);

	fprintf(log, "chainboot build-ipxe: copying %s into %s (your tree is not changed)\n",
		srcdir, stage);
	fflush(log);
	rc = fileio_mkdirs(copy, 0755, d);
	if (!rc)
		rc = copy_tree(srcdir, copy, d);
	if (rc)
		goto out;
	snprintf(path, sizeof(path), "%s/net/udp/dhcp.c", copy);
	rc = fileio_read(path, DHCP_C_MAX, (uint8_t **)&text, &tlen, d);
	if (!rc)
		rc = ipxebuild_patch_dhcp(text, tlen, o->cls, &patched, &plen, d);
	if (!rc)
		rc = fileio_write_atomic(path, patched, plen, 0644, NULL, d);
	if (!rc)
		rc = fileio_write_atomic(embed, o->script, o->script_len, 0644, NULL, d);
	if (rc)
		goto out;

	for (unsigned a = SITE_ARCH_X86_64; a <= SITE_ARCH_ARM64; a <<= 1) {
		if (!(o->arch & a))
			continue;
		fprintf(log, "chainboot build-ipxe: make (%s, -j%u): a few minutes\n",
			a == SITE_ARCH_X86_64 ? "x86_64 BIOS and EFI" : "arm64 EFI", jobs);
		fflush(log);
		rc = run_make(copy, embed, a, jobs, d);
		if (interrupt_pending())
			rc = diag_set(d, -EINTR, "interrupted; nothing was written");
		if (rc)
			goto out;
	}
	rc = fileio_mkdirs(o->outdir, 0755, d);
	if (rc)
		goto out;
	/* Check every result before writing any, so the output directory gets a whole
	 * set or nothing new. */
	for (int pass = 0; pass < 2 && !rc; pass++) {
		for (i = 0; i < sizeof(targets) / sizeof(targets[0]) && !rc; i++) {
			uint8_t *buf = NULL;
			size_t len = 0;
			char dst[PATH_MAX];

			if (!(o->arch & targets[i].arch))
				continue;
			snprintf(path, sizeof(path), "%s/%s", copy, targets[i].make);
			rc = check_built(path, o->cls, &buf, &len, d);
			if (!rc && pass == 1) {
				if (snprintf(dst, sizeof(dst), "%s/%s", o->outdir,
					     targets[i].name) >= (int)sizeof(dst))
					rc = diag_set(d, -ENAMETOOLONG, "%s: path too long",
						      o->outdir);
				else
					rc = fileio_write_atomic(dst, buf, len, 0644, NULL, d);
				written += !rc;
			}
			free(buf);
		}
	}
	/* Debian ships ipxe.efi as a link to ipxe-amd64.efi. */
	if (!rc && (o->arch & SITE_ARCH_X86_64)) {
		char link[PATH_MAX], tmp[PATH_MAX];

		snprintf(link, sizeof(link), "%s/ipxe.efi", o->outdir);
		snprintf(tmp, sizeof(tmp), "%s/.ipxe.efi.%ld", o->outdir, (long)getpid());
		unlink(tmp);
		if (symlink("ipxe-amd64.efi", tmp) < 0 || rename(tmp, link) < 0) {
			rc = diag_set(d, -errno, "cannot link %s: %s", link, strerror(errno));
			unlink(tmp);
		}
	}
	if (!rc)
		fprintf(log,
			"chainboot build-ipxe: wrote %u binaries sending user-class %s to %s\n",
			written, o->cls, o->outdir);
out:
	free(text);
	free(patched);
	rm_tree(stage);
	return rc;
}
