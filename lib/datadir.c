/* datadir: where chainboot's layouts/ and scripts/ are, for the builder and the daemon.
 * One lookup for both, so an installed chainboot and chainbootd always agree. */
#include "datadir.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool has_file(const char *dir, const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	if (snprintf(p, sizeof(p), "%s/%s", dir, rel) >= (int)sizeof(p))
		return false;
	return !stat(p, &st);
}

/* A data directory has both the layouts and the chain script template. */
static bool is_datadir(const char *dir)
{
	return has_file(dir, "layouts/hybrid.layout") && has_file(dir, "scripts/chain.ipxe.in");
}

int datadir_find(char *out, size_t outsz, struct diag *d)
{
	const char *env = getenv("CHAINBOOT_DATADIR");
	char exe[PATH_MAX], dir[PATH_MAX], cand[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		if (!is_datadir(env))
			return diag_set(d, -ENOENT,
					"CHAINBOOT_DATADIR=%s has no layouts/hybrid.layout and "
					"scripts/chain.ipxe.in",
					env);
		snprintf(out, outsz, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return diag_set(d, -errno, "cannot find my own path (/proc/self/exe): %s",
				strerror(errno));
	exe[n] = '\0';
	snprintf(dir, sizeof(dir), "%s", dirname(exe));
	/* bin/ -> share/chainboot; build/ or build/asan/ -> the source tree */
	for (int up = 0; up < 3; up++) {
		snprintf(cand, sizeof(cand), "%s/share/chainboot", dir);
		if (is_datadir(cand)) {
			snprintf(out, outsz, "%s", cand);
			return 0;
		}
		if (is_datadir(dir)) {
			snprintf(out, outsz, "%s", dir);
			return 0;
		}
		snprintf(cand, sizeof(cand), "%s", dir);
		snprintf(dir, sizeof(dir), "%s", dirname(cand));
	}
	return diag_set(
		d, -ENOENT,
		"cannot find chainboot's layouts/ and scripts/ (installed share/chainboot or "
		"the source tree): set CHAINBOOT_DATADIR");
}
