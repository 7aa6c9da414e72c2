/* sbsign: sign EFI binaries with the site's Secure Boot key (sbsign), verify them
 * (sbverify), and check the key and certificate first; shared by the builder and
 * chainbootd. */
#ifndef CB_SBSIGN_H
#define CB_SBSIGN_H

#include <stddef.h>

#include "diag.h"
#include "siteconf.h"

#define SBSIGN_MAX_EFI (64u * 1024u * 1024u)

struct sbsign_keys {
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
 * -errno with d naming the file and what to do. Free with sbsign_keys_free(). */
int sbsign_check_keys(const struct site_config *c, struct sbsign_keys *k, struct diag *d);
void sbsign_keys_free(struct sbsign_keys *k);

/* Verify path's Authenticode signature against the PEM certificate cert (sbverify).
 * Returns 0, or -EPERM with d naming the file when it does not verify. */
int sbsign_verify(const char *path, const char *cert, struct diag *d);

/* $cache/signed (beside lib/ipxecache's rebranded/), created if missing. */
int sbsign_dir(char *out, size_t outsz, struct diag *d);

/* The copy of src signed with k, as a path in out (in dir, named by hex: the SHA-256 of
 * the input's, the key's and the certificate's digests): made with sbsign if missing
 * (with src's modification time), verified against k->cert either way. Returns 0 or
 * -errno with d set (sbsign's or sbverify's complaint). */
int sbsign_file(const char *src, const struct sbsign_keys *k, const char *dir, char *out,
		size_t outsz, char hex[65], struct diag *d);

#endif
