/* listenaddr: `[server] listen = auto` made concrete — this host's one IPv4 address on
 * the boot network, so a packaged site file can start without being edited. */
#ifndef CB_LISTENADDR_H
#define CB_LISTENADDR_H

#include "diag.h"
#include "siteconf.h"

/* When c->listen is "auto": the IPv4 address of the interfaces c names ([server]
 * interface; every interface when none is named), loopback left out, written into
 * c->listen. Exactly one address must be found: none or several is -EINVAL with d
 * naming what was found and what to set. Any other value: nothing done, 0. */
int listenaddr_resolve(struct site_config *c, struct diag *d);

#endif
