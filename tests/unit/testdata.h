/* testdata.h: what the unit tests that read Debian's iPXE binaries share: where the
 * binaries are, reading one, and guard-page copies that turn an over-read into a crash. */
#ifndef CB_TESTDATA_H
#define CB_TESTDATA_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Where the iPXE binaries are: $CHAINBOOT_IPXE_DIR, else the cache scripts/deps.sh
 * fills. NULL if none has them. */
static inline const char *ipxe_dir(void)
{
	static const char *const dirs[] = { "/var/cache/chainboot/ipxe/usr/lib/ipxe" };
	const char *env = getenv("CHAINBOOT_IPXE_DIR");
	char probe[4096];
	size_t i;

	if (env && *env)
		return env;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(probe, sizeof(probe), "%s/ipxe.lkrn", dirs[i]);
		if (access(probe, R_OK) == 0)
			return dirs[i];
	}
	return NULL;
}

static inline uint8_t *slurp(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	uint8_t *buf = NULL;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* A copy of data that ends exactly at a page followed by a PROT_NONE page, so a
 * one-byte over-read faults at once (picohttpparser's test trick). */
struct guarded {
	uint8_t *map;
	size_t maplen;
	uint8_t *p;
};

static inline int guard_copy(struct guarded *g, const uint8_t *data, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t body = (len + page - 1) / page * page;

	g->maplen = body + page;
	g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED)
		return -1;
	if (mprotect(g->map + body, page, PROT_NONE) < 0)
		return -1;
	g->p = g->map + body - len;
	if (len)
		memcpy(g->p, data, len);
	return 0;
}

static inline void guard_free(struct guarded *g)
{
	munmap(g->map, g->maplen);
}

#endif
