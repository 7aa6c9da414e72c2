/* ipxebuild: build iPXE from a user's source tree with our user-class and chain script. */
#ifndef CB_IPXEBUILD_H
#define CB_IPXEBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"

struct ipxebuild_opts {
	const char *src;    /* top of an iPXE tree (or its src/); only ever read */
	const char *outdir; /* where the binaries go, named as in Debian's package */
	const char *cls;    /* user-class, 1-255 printable bytes */
	const char *script; /* embedded with EMBED= (the chain script), script_len bytes */
	size_t script_len;
	unsigned arch;		  /* SITE_ARCH_* bits: x86_64 = BIOS + EFI, arm64 = EFI (cross) */
	unsigned jobs;		  /* make -j; 0 = number of CPUs */
	const char *const *trust; /* PEM certificates iPXE trusts (TRUST=, CERT=): n_trust */
	unsigned n_trust;	  /* 0: iPXE's own root (public CAs, cross-signed) */
	const char *only;	  /* comma-separated output names to build; NULL: all of arch */
	bool no_cache;		  /* build in a temporary directory, keep nothing */
};

#define IPXEBUILD_MAX_TRUST 8
#define IPXEBUILD_PEM_MAX   (256u * 1024) /* bytes of one --trust file */

/* The text of a --trust file (path names it in d): exactly one PEM certificate, no key.
 * Returns 0, or -EINVAL with d saying what the file is instead and what to give. */
int ipxebuild_check_pem(const char *path, const char *text, size_t len, struct diag *d);

/* ipxebuild_check_pem() on the file at path, then openssl must read it as a
 * certificate (iPXE's make hands it to openssl). Returns 0 or -errno / -EINVAL. */
int ipxebuild_check_trust(const char *path, struct diag *d);

/* The outputs to build for arch and only (see ipxebuild_opts) as a bit mask over
 * ipxebuild_target_name(0..): an unknown name, or one not of arch, is -EINVAL naming
 * the ones there are. */
int ipxebuild_select(unsigned arch, const char *only, unsigned *mask, struct diag *d);

/* The stamp build-ipxe leaves in its output directory: user_class, trust (how many
 * certificates the binaries trust instead of iPXE's own root), key. */
#define IPXEBUILD_STAMP ".chainboot-build-ipxe"

/* How many --trust certificates the binaries in dir were built with (0: iPXE's own
 * root), from its stamp; -ENOENT when dir was not written by build-ipxe (prebuilt). */
int ipxebuild_dir_trust(const char *dir);

/* The output name of target i (Debian's file names), or NULL past the last. */
const char *ipxebuild_target_name(unsigned i);

/* Check that the tools the build needs are installed. Returns 0, or -ENOENT with d
 * naming the Debian packages to install. */
int ipxebuild_check_tools(unsigned arch, struct diag *d);

/* Copy o->src's src/ (without its build directories) into the build tree — kept in the
 * cache (ipxe-build/SOURCE-ID under ipxecache_root()) so a later run only remakes what
 * changed, or a temporary directory with o->no_cache — patch the user-class in the
 * copy's net/udp/dhcp.c, enable HTTPS on every platform (upstream leaves it out of BIOS
 * builds), run make for ipxe.lkrn, ipxe.pxe, undionly.kpxe, undionly.kkpxe, ipxe.efi and
 * snponly.efi (x86_64) and ipxe.efi (arm64, with the aarch64-linux-gnu- cross
 * compiler), or o->only of them, with the script embedded and o->trust trusted, check
 * that each result sends o->cls, and write them atomically into o->outdir as
 * ipxe.lkrn, ipxe.pxe, undionly.kpxe, undionly.kkpxe, ipxe-amd64.efi (and the ipxe.efi
 * link), snponly.efi, ipxe-arm64.efi. A build whose inputs (source identity, class,
 * script, certificates, targets) match a kept result set runs no make at all. Progress
 * lines go to log. Returns 0, -EINTR (interrupted), or -errno with d saying what failed
 * (a make error carries the end of make's output). */
int ipxebuild_run(const struct ipxebuild_opts *o, FILE *log, struct diag *d);

/* Stop a running build (from a signal handler): the current make is waited for, then
 * nothing more is done and the temporary directory is removed. */
void ipxebuild_interrupt(void);

/* Rewrite the user-class in the text of iPXE's src/net/udp/dhcp.c: the one
 * `DHCP_USER_CLASS_ID, DHCP_STRING ( ... )` of the request template gets cls as
 * character literals. *out is malloc'd. Returns 0, or -ENOENT / -EEXIST (none or
 * several such lines: an iPXE version we do not know), -ENOMEM. */
int ipxebuild_patch_dhcp(const char *text, size_t len, const char *cls, char **out, size_t *outlen,
			 struct diag *d);

#endif
