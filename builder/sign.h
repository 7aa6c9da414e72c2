/* sign: Secure Boot for images: checks the site key and certificate, signs the plan's
 * EFI binaries (cached, so equal inputs give equal images), lays out shim, and checks
 * vendor-signed binaries. */
#ifndef CB_SIGN_H
#define CB_SIGN_H

#include <stddef.h>

#include "diag.h"
#include "plan.h"
#include "sbsign.h"
#include "siteconf.h"

/* Where Debian's shim-signed and shim-helpers-amd64-signed put the signed binaries. */
#define SIGN_SHIM_X64 "/usr/lib/shim/shimx64.efi.signed"
#define SIGN_MM_X64   "/usr/lib/shim/mmx64.efi.signed"
/* The certificate (DER) and its note on the ESP in shim mode, for MokManager. */
#define SIGN_ENROLL_CER "ENROLL-THIS-KEY.cer"
#define SIGN_ENROLL_TXT "ENROLL-THIS-KEY.txt"

/* Apply c->sb_mode to the plan (after plan_make, before image_build):
 *  - db: every EFI binary is replaced by a copy signed with the site key (cached by the
 *    input's, the key's and the certificate's SHA-256), verified against the cert;
 *  - shim: the same, and BOOTX64.EFI (BOOTAA64.EFI, when Debian's arm64 shim is in the
 *    cache) becomes Debian's signed shim, with MokManager and our signed iPXE as
 *    grubx64.efi (grubaa64.efi) beside it, and the certificate in DER
 *    (ENROLL-THIS-KEY.cer) with a note at the root of the ESP;
 *  - vendor: nothing is changed; every EFI binary must carry a signature (and verify
 *    against c->sb_cert when one is given);
 *  - off: nothing.
 * Notes (validity warning, what a mode did) are appended to p->note. Returns 0 or -errno
 * with d set; the plan then still belongs to the caller (plan_free). */
int sign_plan(struct plan *p, const struct site_config *c, struct diag *d);

/* For check-config: in db and shim mode, the key and certificate checks of sign_plan
 * (sbsign_check_keys); a validity warning goes to warn (may be ""). Returns 0 or -errno. */
int sign_check_site(const struct site_config *c, char *warn, size_t warnsz, struct diag *d);

#endif
