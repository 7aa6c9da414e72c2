/* sha256: SHA-256 (FIPS 180-4), used to key caches by file content. */
#ifndef CB_SHA256_H
#define CB_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN (2 * SHA256_LEN + 1) /* with the NUL */

struct sha256 {
	uint32_t h[8];
	uint64_t total;  /* bytes hashed so far */
	uint8_t buf[64]; /* a partial block */
	size_t used;     /* bytes in buf */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN]);
/* One-shot: digest of data[0..len) as 64 lower-case hex digits and a NUL. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN]);

#endif
