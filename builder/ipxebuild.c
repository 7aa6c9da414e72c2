/* ipxebuild: the from-source path to a rebranded iPXE. The user's iPXE tree is only read:
 * it is copied into a build tree of ours (kept in the cache, builder/buildcache.c), the
 * copy's user-class is patched, and iPXE's own Makefile builds the usual targets there
 * with our chain script embedded (EMBED=) and the site's CA certificates trusted
 * (TRUST=, CERT=). Inputs: the tree (its dhcp.c is parsed as text, checked for exactly
 * one match), the class (validated by siteconf) and the --trust files (checked to be
 * one PEM certificate each). No iPXE source is carried in this repository. */
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

#include "buildcache.h"
#include "fileio.h"
#include "interrupt.h"
#include "ipxebin.h"
#include "ipxecache.h"
#include "sha256.h"
#include "siteconf.h"
#include "spawn.h"

/* Cap on the size of dhcp.c we are willing to edit (it is ~50 KB). */
#define DHCP_C_MAX (4u * 1024 * 1024)
/* Cap on a built binary we read back (ipxe.efi is ~1 MB). */
#define BUILT_MAX   (64u * 1024 * 1024)
#define CROSS_ARM64 "aarch64-linux-gnu-"
/* Bump when what a build does changes (make variables, config below): old result sets
 * then no longer match. */
#define RECIPE "chainboot-ipxebuild-3"
/* Appended to the copy's config/local/general.h: HTTPS on every platform (upstream's
 * general.h leaves it out of BIOS builds), so an https:// inventory works from BIOS too. */
#define LOCAL_GENERAL                                             \
	"\n/* chainboot build-ipxe: HTTPS on every platform */\n" \
	"#ifndef DOWNLOAD_PROTO_HTTPS\n#define DOWNLOAD_PROTO_HTTPS\n#endif\n"

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

/* Not an arch: ipxebuild_check_tools() also checks for openssl (TRUST= needs it). */
#define IPXEBUILD_NEED_OPENSSL (1u << 8)

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
	if ((arch & IPXEBUILD_NEED_OPENSSL) && !spawn_in_path("openssl"))
		ADD("openssl");
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

const char *ipxebuild_target_name(unsigned i)
{
	return i < sizeof(targets) / sizeof(targets[0]) ? targets[i].name : NULL;
}

static void target_list(char *buf, size_t bufsz)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]) && used < bufsz; i++)
		used += (size_t)snprintf(buf + used, bufsz - used, "%s%s", i ? ", " : "",
					 targets[i].name);
}

int ipxebuild_select(unsigned arch, const char *only, unsigned *mask, struct diag *d)
{
	const size_t n = sizeof(targets) / sizeof(targets[0]);
	char names[256], word[64];
	const char *p = only;

	*mask = 0;
	if (!only) {
		for (size_t i = 0; i < n; i++)
			if (targets[i].arch & arch)
				*mask |= 1u << i;
		return 0;
	}
	target_list(names, sizeof(names));
	while (*p) {
		size_t len = strcspn(p, ","), i;

		if (!len || len >= sizeof(word))
			return diag_set(d, -EINVAL,
					"--only \"%s\": give binary names separated by commas: %s",
					only, names);
		memcpy(word, p, len);
		word[len] = '\0';
		for (i = 0; i < n && strcmp(targets[i].name, word); i++)
			;
		if (i == n)
			return diag_set(d, -EINVAL,
					"--only: \"%s\" is not a binary build-ipxe makes (%s)",
					word, names);
		if (!(targets[i].arch & arch))
			return diag_set(
				d, -EINVAL,
				"--only: %s is an %s binary, but the build is for --arch %s", word,
				targets[i].arch == SITE_ARCH_ARM64 ? "arm64" : "x86_64",
				arch & SITE_ARCH_ARM64 ? "arm64" : "x86_64");
		*mask |= 1u << i;
		p += len;
		if (*p == ',' && !*++p)
			return diag_set(d, -EINVAL,
					"--only \"%s\": a name is missing after the last comma",
					only);
	}
	if (!*mask)
		return diag_set(d, -EINVAL, "--only \"\": name the binaries to build (%s)", names);
	return 0;
}

int ipxebuild_check_pem(const char *path, const char *text, size_t len, struct diag *d)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	static const char key[] = "PRIVATE KEY-----";
	const char *p = text, *hit;
	unsigned n = 0;

	if (memmem(text, len, key, sizeof(key) - 1))
		return diag_set(d, -EINVAL,
				"--trust %s holds a private key: give the CA's certificate "
				"(-----BEGIN CERTIFICATE-----), never a key",
				path);
	while ((hit = memmem(p, len - (size_t)(p - text), begin, sizeof(begin) - 1)) != NULL) {
		n++;
		p = hit + sizeof(begin) - 1;
	}
	if (!n)
		return diag_set(
			d, -EINVAL,
			"--trust %s is not a PEM certificate (no -----BEGIN CERTIFICATE----- "
			"line): give the CA certificate in PEM form (from DER: openssl x509 "
			"-inform der -in CA.der -out CA.pem)",
			path);
	if (n > 1)
		return diag_set(d, -EINVAL,
				"--trust %s holds %u certificates, iPXE takes one per file: split "
				"it and give --trust once for each",
				path, n);
	if (!memmem(p, len - (size_t)(p - text), end, sizeof(end) - 1))
		return diag_set(d, -EINVAL,
				"--trust %s: the certificate has no -----END CERTIFICATE----- line "
				"(cut short?)",
				path);
	return 0;
}

int ipxebuild_check_trust(const char *path, struct diag *d)
{
	char *text = NULL;
	size_t len;
	int rc = fileio_read_text(path, IPXEBUILD_PEM_MAX, &text, &len, d);

	if (rc)
		return diag_prefix(d, rc, "--trust");
	rc = ipxebuild_check_pem(path, text, len, d);
	free(text);
	if (rc)
		return rc;
	/* iPXE's make takes the fingerprint with openssl: a certificate it cannot read
	 * would fail deep inside make. */
	char *argv[] = { "openssl", "x509", "-in", (char *)path, "-noout", NULL };
	rc = spawn_run(argv, NULL, NULL, 0, d);
	if (rc == -EIO)
		return diag_prefix(d, -EINVAL, "--trust %s: openssl cannot read the certificate",
				   path);
	return rc;
}

/* make takes these paths in variables: no character it would split or expand. */
static int make_safe(const char *path, struct diag *d)
{
	if (strpbrk(path, " \t\n,:$#'\"\\=%;"))
		return diag_set(
			d, -EINVAL,
			"the build directory %s has a character iPXE's make cannot take "
			"(space , : $ # = %% ; quote): set CHAINBOOT_CACHE (with --no-cache: "
			"TMPDIR) to a plain path",
			path);
	return 0;
}

struct build {
	const struct ipxebuild_opts *o;
	char tree[PATH_MAX];   /* the build tree: cache entry or temporary directory */
	char srcdir[PATH_MAX]; /* the user's src/ */
	char key[BUILDCACHE_KEY_HEX];
	unsigned mask, jobs;
	char trust[256]; /* "../trust-1.pem,../trust-2.pem" (make runs in src/) or "" */
};

/* Run make in the tree's src/ for the selected targets of one architecture. */
static int run_make(const struct build *b, unsigned arch, struct diag *d)
{
	char *argv[24], jarg[32], earg[PATH_MAX + 8], src[PATH_MAX], targ[600], carg[600];
	unsigned n = 0;
	size_t i;

	snprintf(src, sizeof(src), "%s/src", b->tree);
	snprintf(jarg, sizeof(jarg), "-j%u", b->jobs);
	snprintf(earg, sizeof(earg), "EMBED=%s/chain.ipxe", b->tree);
	argv[n++] = "make";
	argv[n++] = "-C";
	argv[n++] = src;
	argv[n++] = jarg;
	argv[n++] = earg;
	/* A newer compiler's new warnings must not fail a release tree's build. */
	argv[n++] = "NO_WERROR=1";
	if (arch == SITE_ARCH_ARM64)
		argv[n++] = "CROSS=" CROSS_ARM64;
	if (b->trust[0]) {
		/* TRUST= replaces iPXE's own root; CERT= puts the certificates into the
		 * binary too, so a chain the server sends without its root still completes
		 * (else iPXE would ask its cross-signing service for one). */
		snprintf(targ, sizeof(targ), "TRUST=%s", b->trust);
		snprintf(carg, sizeof(carg), "CERT=%s", b->trust);
		argv[n++] = targ;
		argv[n++] = carg;
	}
	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		if (targets[i].arch == arch && (b->mask & (1u << i)))
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

/* Write path only when its content changes: make redoes what depends on it otherwise. */
static int put_input(const char *path, const void *data, size_t len, struct diag *d)
{
	if (!buildcache_differs(path, data, len))
		return 0;
	return fileio_write_atomic(path, data, len, 0644, NULL, d);
}

/* The copy of the user's src/ in the tree, made once per tree (its stamp says it is
 * whole), with HTTPS enabled in its config/local/general.h. */
static int prepare_copy(const struct build *b, FILE *log, struct diag *d)
{
	char copy[PATH_MAX], stamp[PATH_MAX], path[PATH_MAX], *text = NULL, *all = NULL;
	size_t len = 0;
	int rc;

	snprintf(copy, sizeof(copy), "%s/src", b->tree);
	snprintf(stamp, sizeof(stamp), "%s/.copied", b->tree);
	fprintf(log, "chainboot build-ipxe: building from %s in %s (your tree is not changed)\n",
		b->srcdir, b->tree);
	fflush(log);
	if (access(stamp, F_OK) == 0)
		return 0;
	rm_tree(copy);
	rc = fileio_mkdirs(copy, 0755, d);
	if (!rc)
		rc = copy_tree(b->srcdir, copy, d);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/config/local/general.h", copy);
	rc = fileio_read_text(path, DHCP_C_MAX, &text, &len, NULL);
	if (rc && rc != -ENOENT)
		return diag_set(d, rc, "%s: %s", path, strerror(-rc));
	if (asprintf(&all, "%s" LOCAL_GENERAL, rc ? "" : text) < 0)
		all = NULL;
	free(text);
	if (!all)
		return diag_set(d, -ENOMEM, "out of memory");
	snprintf(copy + strlen(copy), sizeof(copy) - strlen(copy), "/config/local");
	rc = fileio_mkdirs(copy, 0755, d);
	if (!rc)
		rc = fileio_write_atomic(path, all, strlen(all), 0644, NULL, d);
	free(all);
	if (!rc)
		rc = fileio_write_atomic(stamp, "", 0, 0644, NULL, d);
	return rc;
}

static void key_add(struct sha256 *s, const void *data, size_t len)
{
	uint64_t n = len;

	sha256_update(s, &n, sizeof(n));
	sha256_update(s, data, len);
}

/* The build's own inputs into the tree (dhcp.c patched from the user's, the script, the
 * certificates), and the key of everything that makes the result. */
static int put_inputs(struct build *b, const char *srcid, struct diag *d)
{
	const struct ipxebuild_opts *o = b->o;
	char path[PATH_MAX], *text = NULL, *patched = NULL;
	uint8_t digest[SHA256_LEN];
	size_t tlen, plen, used = 0;
	struct sha256 s;
	int rc;

	snprintf(path, sizeof(path), "%s/net/udp/dhcp.c", b->srcdir);
	rc = fileio_read(path, DHCP_C_MAX, (uint8_t **)&text, &tlen, d);
	if (!rc)
		rc = ipxebuild_patch_dhcp(text, tlen, o->cls, &patched, &plen, d);
	snprintf(path, sizeof(path), "%s/src/net/udp/dhcp.c", b->tree);
	if (!rc)
		rc = put_input(path, patched, plen, d);
	free(text);
	free(patched);
	snprintf(path, sizeof(path), "%s/chain.ipxe", b->tree);
	if (!rc)
		rc = put_input(path, o->script, o->script_len, d);
	if (rc)
		return rc;
	sha256_init(&s);
	key_add(&s, RECIPE, sizeof(RECIPE));
	key_add(&s, srcid, strlen(srcid));
	key_add(&s, o->cls, strlen(o->cls));
	key_add(&s, o->script, o->script_len);
	key_add(&s, &b->mask, sizeof(b->mask));
	b->trust[0] = '\0';
	for (unsigned i = 0; i < o->n_trust && !rc; i++) {
		uint8_t *pem = NULL;
		size_t len;

		rc = fileio_read(o->trust[i], IPXEBUILD_PEM_MAX, &pem, &len, d);
		snprintf(path, sizeof(path), "%s/trust-%u.pem", b->tree, i + 1);
		if (!rc)
			rc = put_input(path, pem, len, d);
		if (!rc) {
			key_add(&s, pem, len);
			/* Relative to src/, where make runs: short, whatever the cache's path. */
			used += (size_t)snprintf(b->trust + used, sizeof(b->trust) - used,
						 "%s../trust-%u.pem", i ? "," : "", i + 1);
		}
		free(pem);
	}
	sha256_final(&s, digest);
	for (unsigned i = 0; i < SHA256_LEN; i++)
		snprintf(b->key + 2 * i, 3, "%02x", digest[i]);
	return rc;
}

/* make, then every result checked and kept in the tree's result set b->key. */
static int build_results(struct build *b, FILE *log, struct diag *d)
{
	const struct ipxebuild_opts *o = b->o;
	char res[PATH_MAX], path[PATH_MAX];
	int rc = 0;

	for (unsigned a = SITE_ARCH_X86_64; a <= SITE_ARCH_ARM64 && !rc; a <<= 1) {
		bool any = false;

		for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
			any |= targets[i].arch == a && (b->mask & (1u << i));
		if (!any)
			continue;
		fprintf(log, "chainboot build-ipxe: make (%s, -j%u)%s: minutes the first time\n",
			a == SITE_ARCH_X86_64 ? "x86_64" : "arm64 EFI", b->jobs,
			o->n_trust ? ", trusting the --trust certificates" : "");
		fflush(log);
		rc = run_make(b, a, d);
		if (interrupt_pending())
			rc = diag_set(d, -EINTR, "interrupted; nothing was written");
	}
	snprintf(res, sizeof(res), "%s/results/%s", b->tree, b->key);
	if (!rc)
		rc = fileio_mkdirs(res, 0755, d);
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]) && !rc; i++) {
		uint8_t *buf = NULL;
		size_t len = 0;

		if (!(b->mask & (1u << i)))
			continue;
		snprintf(path, sizeof(path), "%s/src/%s", b->tree, targets[i].make);
		rc = check_built(path, o->cls, &buf, &len, d);
		snprintf(path, sizeof(path), "%s/%s", res, targets[i].name);
		if (!rc)
			rc = fileio_write_atomic(path, buf, len, 0644, NULL, d);
		free(buf);
	}
	if (!rc && !o->no_cache)
		rc = buildcache_commit(b->tree, b->key, d);
	return rc;
}

/* What the output directory holds, for check-config (ipxebuild_dir_trust()). */
static int write_stamp(const struct build *b, struct diag *d)
{
	char path[PATH_MAX], text[1024];
	int n;

	n = snprintf(text, sizeof(text),
		     "# written by chainboot build-ipxe: what these binaries are\n"
		     "user_class = %s\ntrust = %u\nkey = %s\n",
		     b->o->cls, b->o->n_trust, b->key);
	if (n < 0 || (size_t)n >= sizeof(text))
		return diag_set(d, -ENAMETOOLONG, "user-class too long for the stamp");
	snprintf(path, sizeof(path), "%s/" IPXEBUILD_STAMP, b->o->outdir);
	return fileio_write_atomic(path, text, (size_t)n, 0644, NULL, d);
}

int ipxebuild_dir_trust(const char *dir)
{
	char path[PATH_MAX], *text = NULL, *p;
	size_t len;
	int n = -ENOENT;

	snprintf(path, sizeof(path), "%s/" IPXEBUILD_STAMP, dir);
	if (fileio_read_text(path, 4096, &text, &len, NULL))
		return -ENOENT;
	p = strstr(text, "\ntrust = ");
	if (p) {
		n = (int)strtol(p + 9, NULL, 10);
		if (n < 0 || n > IPXEBUILD_MAX_TRUST)
			n = -ENOENT;
	}
	free(text);
	return n;
}

/* The result set into o->outdir: every binary checked before any is written, so the
 * output directory gets a whole set or nothing new. */
static int write_outputs(const struct build *b, FILE *log, struct diag *d)
{
	const struct ipxebuild_opts *o = b->o;
	char path[PATH_MAX], dst[PATH_MAX];
	unsigned written = 0;
	int rc = fileio_mkdirs(o->outdir, 0755, d);

	for (int pass = 0; pass < 2 && !rc; pass++) {
		for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]) && !rc; i++) {
			uint8_t *buf = NULL;
			size_t len = 0;

			if (!(b->mask & (1u << i)))
				continue;
			snprintf(path, sizeof(path), "%s/results/%s/%s", b->tree, b->key,
				 targets[i].name);
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
	for (size_t i = 0; !rc && i < sizeof(targets) / sizeof(targets[0]); i++) {
		char tmp[PATH_MAX];

		if (strcmp(targets[i].name, "ipxe-amd64.efi") || !(b->mask & (1u << i)))
			continue;
		snprintf(dst, sizeof(dst), "%s/ipxe.efi", o->outdir);
		snprintf(tmp, sizeof(tmp), "%s/.ipxe.efi.%ld", o->outdir, (long)getpid());
		unlink(tmp);
		if (symlink("ipxe-amd64.efi", tmp) < 0 || rename(tmp, dst) < 0) {
			rc = diag_set(d, -errno, "cannot link %s: %s", dst, strerror(errno));
			unlink(tmp);
		}
	}
	if (!rc)
		rc = write_stamp(b, d);
	if (!rc)
		fprintf(log,
			"chainboot build-ipxe: wrote %u binaries sending user-class %s%s to %s\n",
			written, o->cls, o->n_trust ? ", trusting the --trust certificates" : "",
			o->outdir);
	return rc;
}

/* The build tree: the cache's entry for this source (locked), or a temporary one. */
static int open_tree(struct build *b, const char *srcid, int *lock, FILE *log, struct diag *d)
{
	const char *tmpdir = getenv("TMPDIR");
	char root[PATH_MAX], real[PATH_MAX];
	int rc;

	if (b->o->no_cache) {
		snprintf(b->tree, sizeof(b->tree), "%s/chainboot-ipxe.XXXXXX",
			 tmpdir && *tmpdir ? tmpdir : "/tmp");
		if (!mkdtemp(b->tree))
			return diag_set(d, -errno, "cannot create a temporary directory in %s: %s",
					tmpdir && *tmpdir ? tmpdir : "/tmp", strerror(errno));
	} else {
		rc = ipxecache_root("ipxe-build", root, sizeof(root), d);
		if (rc)
			return rc;
		if (snprintf(b->tree, sizeof(b->tree), "%s/%s", root, srcid) >=
		    (int)sizeof(b->tree))
			return diag_set(d, -ENAMETOOLONG, "%s: path too long", root);
		rc = buildcache_lock(b->tree, lock, log, d);
		if (rc)
			return rc;
	}
	/* make runs in src/: every path handed to it must be absolute. */
	if (!realpath(b->tree, real))
		return diag_set(d, -errno, "%s: %s", b->tree, strerror(errno));
	snprintf(b->tree, sizeof(b->tree), "%s", real);
	return make_safe(b->tree, d);
}

int ipxebuild_run(const struct ipxebuild_opts *o, FILE *log, struct diag *d)
{
	static struct build b;
	char srcid[BUILDCACHE_ID_LEN + 1];
	unsigned arch = 0; /* of the selected targets: the tools they need */
	int lock = -1, rc;
	long ncpu;

	memset(&b, 0, sizeof(b));
	b.o = o;
	interrupt_clear();
	rc = find_src(o->src, b.srcdir, sizeof(b.srcdir), d);
	if (!rc)
		rc = ipxebuild_select(o->arch, o->only, &b.mask, d);
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		arch |= b.mask & (1u << i) ? targets[i].arch : 0;
	if (!rc)
		rc = ipxebuild_check_tools(arch | (o->n_trust ? IPXEBUILD_NEED_OPENSSL : 0), d);
	if (!rc)
		rc = buildcache_source_id(b.srcdir, srcid, d);
	if (rc)
		return rc;
	b.jobs = o->jobs;
	if (!b.jobs) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		b.jobs = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	rc = open_tree(&b, srcid, &lock, log, d);
	if (!rc)
		rc = prepare_copy(&b, log, d);
	if (!rc)
		rc = put_inputs(&b, srcid, d);
	if (rc)
		goto out;
	if (!o->no_cache && buildcache_has(b.tree, b.key)) {
		fprintf(log,
			"chainboot build-ipxe: the same build is in the cache (%.12s): no make "
			"needed\n",
			b.key);
		fflush(log);
	} else {
		rc = build_results(&b, log, d);
	}
	if (!rc)
		rc = write_outputs(&b, log, d);
out:
	buildcache_unlock(lock);
	if (o->no_cache && b.tree[0])
		rm_tree(b.tree);
	return rc;
}
