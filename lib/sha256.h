/* sha256: SHA-256 digests (libmd's, from Debian's libmd), used to key caches by content. */
#ifndef CB_SHA256_H
#define CB_SHA256_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sha2.h>

#define SHA256_LEN     32
#define SHA256_HEX_LEN (2 * SHA256_LEN + 1) /* with the NUL */

struct sha256 {
	SHA2_CTX ctx;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN]);
/* One-shot: digest of data[0..len) as 64 lower-case hex digits and a NUL. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN]);

#endif
