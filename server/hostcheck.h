/* hostcheck: what `chainbootd --check` verifies on this host beyond the site file, so that
 * "configuration OK" means the daemon will start and serve: the listen address and the
 * interfaces exist here, boot_root is a directory, the inventory is readable as [server]
 * user (reloads run after the drop). */
#ifndef CB_HOSTCHECK_H
#define CB_HOSTCHECK_H

#include <stdbool.h>

#include "diag.h"
#include "privdrop.h"
#include "siteconf.h"

/* Every problem found is added to d, one line each; returns 0 or -EINVAL.
 * boot_root_default: boot_root is the built-in default (a missing one is then only a
 * note in note, not an error: the daemon serves the built-in files). */
int hostcheck_run(const struct site_config *c, const struct privdrop *pd, bool boot_root_default,
		  char *note, unsigned notesz, struct diag *d);

#endif
