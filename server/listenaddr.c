/* listenaddr: resolve `listen = auto` from the host's interface addresses (getifaddrs).
 * Ambiguity is an error rather than a guess: the address goes into every proxyDHCP
 * reply as next-server, and a wrong one sends machines elsewhere. */
#include "listenaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool iface_wanted(const struct site_config *c, const char *name)
{
	if (c->n_interfaces == 0)
		return true;
	for (unsigned i = 0; i < c->n_interfaces; i++)
		if (!strcmp(c->interfaces[i], name))
			return true;
	return false;
}

int listenaddr_resolve(struct site_config *c, struct diag *d)
{
	struct ifaddrs *all, *a;
	char found[256] = "", first[INET_ADDRSTRLEN] = "";
	unsigned n = 0;

	if (strcmp(c->listen, "auto"))
		return 0;
	if (getifaddrs(&all))
		return diag_set(d, -errno,
				"[server] listen = auto: cannot list this host's "
				"addresses: %s; set listen to the address",
				strerror(errno));
	for (a = all; a; a = a->ifa_next) {
		char ip[INET_ADDRSTRLEN];
		size_t used = strlen(found);

		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET ||
		    (a->ifa_flags & IFF_LOOPBACK) || !(a->ifa_flags & IFF_UP) ||
		    !iface_wanted(c, a->ifa_name))
			continue;
		inet_ntop(AF_INET, &((struct sockaddr_in *)a->ifa_addr)->sin_addr, ip, sizeof(ip));
		if (!n++)
			snprintf(first, sizeof(first), "%s", ip);
		snprintf(found + used, sizeof(found) - used, "%s%s (%s)", used ? ", " : "", ip,
			 a->ifa_name);
	}
	freeifaddrs(all);
	if (n == 1) {
		snprintf(c->listen, sizeof(c->listen), "%s", first);
		return 0;
	}
	if (n == 0)
		return diag_set(d, -EINVAL,
				"[server] listen = auto: no IPv4 address on %s: set listen to "
				"the address machines reach this host at",
				c->n_interfaces ? "the [server] interface(s)" : "any interface");
	return diag_set(d, -EINVAL,
			"[server] listen = auto: %u addresses (%s): set listen to the one on the "
			"boot network, or name its interface with [server] interface",
			n, found);
}
