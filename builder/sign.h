/* sign: Secure Boot for images: checks the site key and certificate, signs the plan's
 * EFI binaries (cached, so equal inputs give equal images), lays out shim, and checks
 * vendor-signed binaries. */
#ifndef CB_SIGN_H
#define CB_SIGN_H

#include <stddef.h>

#include "diag.h"
#include "plan.h"
#include "siteconf.h"

/* Where Debian's shim-signed and shim-helpers-amd64-signed put the signed binaries. */
#define SIGN_SHIM_X64 "/usr/lib/shim/shimx64.efi.signed"
#define SIGN_MM_X64   "/usr/lib/shim/mmx64.efi.signed"
/* The certificate (DER) and its note on the ESP in shim mode, for MokManager. */
#define SIGN_ENROLL_CER "ENROLL-THIS-KEY.cer"
#define SIGN_ENROLL_TXT "ENROLL-THIS-KEY.txt"

struct sign_keys {
	const char *key, *cert; /* the site's PEM files */
	char key_hash[65];	/* SHA-256 of the key file (part of the cache key) */
	char cert_hash[65];	/* SHA-256 of the certificate file */
	char subject[512];	/* the certificate's subject, for messages */
	char warning[512];	/* not an error (validity dates), "" if none */
	unsigned char *der;	/* the certificate in DER (malloc'd) */
	size_t der_len;
};

/* Check c->sb_key and c->sb_cert: both readable, the key PEM and not passphrase-protected,
 * the certificate PEM, and the key the certificate's. A certificate outside its validity
 * period is a warning in k->warning (firmware usually ignores the dates). Returns 0 or
 * -errno with d naming the file and what to do. Free with sign_keys_free(). */
int sign_check_keys(const struct site_config *c, struct sign_keys *k, struct diag *d);
void sign_keys_free(struct sign_keys *k);

/* Verify path's Authenticode signature against the PEM certificate cert (sbverify).
 * Returns 0, or -EPERM with d naming the file when it does not verify. */
int sign_verify(const char *path, const char *cert, struct diag *d);

/* Apply c->sb_mode to the plan (after plan_make, before image_build):
 *  - db: every EFI binary is replaced by a copy signed with the site key (cached by the
 *    input's, the key's and the certificate's SHA-256), verified against the cert;
 *  - shim: the same, and on x86_64 BOOTX64.EFI becomes Debian's signed shim, with
 *    MokManager and our signed iPXE as grubx64.efi beside it, and the certificate in
 *    DER (ENROLL-THIS-KEY.cer) with a note at the root of the ESP;
 *  - vendor: nothing is changed; every EFI binary must carry a signature (and verify
 *    against c->sb_cert when one is given);
 *  - off: nothing.
 * Notes (validity warning, what a mode did) are appended to p->note. Returns 0 or -errno
 * with d set; the plan then still belongs to the caller (plan_free). */
int sign_plan(struct plan *p, const struct site_config *c, struct diag *d);

#endif
