/* ipxebuild: build iPXE from a user's source tree with our user-class and chain script. */
#ifndef CB_IPXEBUILD_H
#define CB_IPXEBUILD_H

#include <stddef.h>
#include <stdio.h>

#include "diag.h"

struct ipxebuild_opts {
	const char *src;    /* top of an iPXE tree (or its src/); only ever read */
	const char *outdir; /* where the binaries go, named as in Debian's package */
	const char *cls;    /* user-class, 1-255 printable bytes */
	const char *script; /* embedded with EMBED= (the chain script), script_len bytes */
	size_t script_len;
	unsigned arch; /* SITE_ARCH_* bits: x86_64 = BIOS + EFI, arm64 = EFI (cross) */
	unsigned jobs; /* make -j; 0 = number of CPUs */
};

/* Check that the tools the build needs are installed. Returns 0, or -ENOENT with d
 * naming the Debian packages to install. */
int ipxebuild_check_tools(unsigned arch, struct diag *d);

/* Copy o->src's src/ (without its build directories) into a temporary directory, patch
 * the user-class in the copy's net/udp/dhcp.c, run make for ipxe.lkrn, ipxe.pxe,
 * undionly.kpxe, undionly.kkpxe, ipxe.efi and snponly.efi (x86_64) and ipxe.efi
 * (arm64, with the aarch64-linux-gnu- cross compiler) with the script embedded, check
 * that each result sends o->cls, and write them atomically into o->outdir as
 * ipxe.lkrn, ipxe.pxe, undionly.kpxe, undionly.kkpxe, ipxe-amd64.efi (and the ipxe.efi
 * link), snponly.efi, ipxe-arm64.efi. The temporary directory is removed on every
 * path. Progress lines go to log. Returns 0, -EINTR (interrupted), or -errno with d
 * saying what failed (a make error carries the end of make's output). */
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
