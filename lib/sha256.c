/* sha256: thin wrapper over libmd's SHA-256, so callers need not know the library's API.
 * A well-kept library does this job; no digest code of our own. */
#include "sha256.h"

void sha256_init(struct sha256 *s)
{
	SHA256Init(&s->ctx);
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	SHA256Update(&s->ctx, data, len);
}

void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN])
{
	SHA256Final(out, &s->ctx);
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t d[SHA256_LEN];
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, data, len);
	sha256_final(&s, d);
	for (int i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * SHA256_LEN] = '\0';
}
