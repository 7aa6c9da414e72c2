/* dhcpconfig: the DHCP server snippet (dnsmasq, ISC dhcpd, Kea) that does what
 * chainbootd's proxyDHCP would, for sites that control their own DHCP server. */
#ifndef CB_DHCPCONFIG_H
#define CB_DHCPCONFIG_H

#include <stddef.h>

#include "diag.h"
#include "siteconf.h"

enum dhcpconfig_fmt {
	DHCPCONFIG_DNSMASQ,
	DHCPCONFIG_ISC,
	DHCPCONFIG_KEA,
};

/* "dnsmasq", "isc" (or "dhcpd"), "kea". Returns 0 or -EINVAL. */
int dhcpconfig_fmt_parse(const char *name, enum dhcpconfig_fmt *out);

/* Render the snippet for c (needs [server] listen; the boot file names and the script
 * URL are the ones chainbootd's proxy would offer: lib/decide.h). *out is malloc'd,
 * NUL-terminated. Returns 0 or -EINVAL (d says which setting is missing or unusable). */
int dhcpconfig_render(const struct site_config *c, enum dhcpconfig_fmt fmt, char **out, size_t *len,
		      struct diag *d);

#endif
