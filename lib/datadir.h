/* datadir: where chainboot's layouts/ and scripts/ are, for the builder and the daemon. */
#ifndef CB_DATADIR_H
#define CB_DATADIR_H

#include <stddef.h>

#include "diag.h"

/* $CHAINBOOT_DATADIR, an installed share/chainboot beside the binary, or the source
 * tree the binary was built in (build/ or build/asan/). Returns 0 or -ENOENT/-errno. */
int datadir_find(char *out, size_t outsz, struct diag *d);

#endif
