/* spawn: run an external tool from an argv array (never a shell) and capture its output. */
#ifndef CB_SPAWN_H
#define CB_SPAWN_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

struct spawn_out {
	char *data; /* NUL-terminated, malloc'd; free with spawn_out_free() */
	size_t len;
};

/* Run argv (argv[0] looked up in PATH) with stdin from /dev/null.
 * extra_env: NULL or a NULL-terminated list of "NAME=value" added to the environment.
 * out: NULL to discard stdout, else receives it (capped at max_out bytes; more is an error).
 * Returns 0 if the tool exited 0. Otherwise -ENOENT (tool missing: d names the Debian
 * package that has it), -EIO (non-zero exit or signal: d has the command and its stderr),
 * or another -errno. */
int spawn_run(char *const argv[], char *const extra_env[], struct spawn_out *out, size_t max_out,
	      struct diag *d);

void spawn_out_free(struct spawn_out *o);

/* Whether tool (a name without '/') is an executable in a directory of $PATH (the
 * default /usr/local/bin:/usr/bin:/bin when unset): the search posix_spawnp makes,
 * so a command can say which tool is missing before it starts any. */
bool spawn_in_path(const char *tool);

/* The Debian package that ships a tool, or NULL if unknown. */
const char *spawn_package_of(const char *tool);

#endif
