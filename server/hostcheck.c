/* hostcheck: this host against the configuration (hostcheck.h). Reads the host's own
 * interface list and files only; nothing is sent. */
#include "hostcheck.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* "lo 127.0.0.1, eth0 198.51.100.1" (addresses) or "lo, eth0" (names) into buf. */
static void host_list(const struct ifaddrs *ifs, bool addrs, char *buf, size_t bufsz)
{
	size_t used = 0;

	buf[0] = '\0';
	for (const struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		char ip[INET_ADDRSTRLEN] = "", item[64];
		bool dup = false;

		if (addrs) {
			if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
				continue;
			inet_ntop(
				AF_INET,
				&((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr,
				ip, sizeof(ip));
		}
		snprintf(item, sizeof(item), "%s%s%s", i->ifa_name, addrs ? " " : "", ip);
		for (const struct ifaddrs *j = ifs; j != i && !addrs; j = j->ifa_next)
			dup |= !strcmp(j->ifa_name, i->ifa_name);
		if (dup || used >= bufsz)
			continue;
		used += (size_t)snprintf(buf + used, bufsz - used, "%s%s", used ? ", " : "", item);
	}
}

static int check_addresses(const struct site_config *c, struct diag *d)
{
	struct ifaddrs *ifs = NULL;
	struct in_addr want;
	bool found = false;
	char have[512];
	int rc = 0;

	if (getifaddrs(&ifs))
		return diag_add(d, -errno, "cannot list this host's interfaces: %s",
				strerror(errno));
	inet_pton(AF_INET, c->listen, &want); /* checked by siteconf */
	for (const struct ifaddrs *i = ifs; i && !found; i = i->ifa_next)
		found = i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
			((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr.s_addr ==
				want.s_addr;
	if (!found) {
		host_list(ifs, true, have, sizeof(have));
		rc = diag_add(d, -EINVAL,
			      "[server] listen: %s is not an address of this host (it has: %s): "
			      "give one of them, or configure the address first (HTTP binds to it)",
			      c->listen, have[0] ? have : "no IPv4 address");
	}
	for (unsigned k = 0; k < c->n_interfaces; k++) {
		if (if_nametoindex(c->interfaces[k]))
			continue;
		host_list(ifs, false, have, sizeof(have));
		rc = diag_add(d, -EINVAL,
			      "[server] interface: \"%s\" does not exist on this host (it has: %s)",
			      c->interfaces[k], have);
	}
	freeifaddrs(ifs);
	return rc;
}

/* Can the user the daemon drops to open the inventory? Asked of the kernel in a child
 * that drops exactly as the daemon does, so groups, ACLs and parent directories count. */
static int check_inventory_as_user(const struct site_config *c, const struct privdrop *pd,
				   struct diag *d)
{
	int status = 0, err;
	pid_t pid;

	if (!c->inventory[0] || !pd->was_root)
		return 0; /* no drop: the load just done ran as the daemon's user */
	pid = fork();
	if (pid < 0)
		return diag_add(d, -errno, "cannot fork to check the inventory: %s",
				strerror(errno));
	if (pid == 0) {
		struct diag cd = { { 0 } };
		int fd;

		if (privdrop_apply(pd, &cd))
			_exit(255);
		fd = open(c->inventory, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		_exit(fd < 0 ? (errno > 0 && errno < 254 ? errno : 254) : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return diag_add(d, -errno, "waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	err = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
	if (err == 255 || err == 254 || !err)
		return diag_add(d, -EINVAL,
				"[server] inventory: could not check whether user %s can read %s",
				pd->user, c->inventory);
	return diag_add(
		d, -EINVAL,
		"[server] inventory: %s: user %s ([server] user, whom chainbootd runs as "
		"after binding its ports, and who reads it on every reload) cannot read it: "
		"%s; make it and its directories readable by %s",
		c->inventory, pd->user, strerror(err), pd->user);
}

int hostcheck_run(const struct site_config *c, const struct privdrop *pd, bool boot_root_default,
		  char *note, unsigned notesz, struct diag *d)
{
	struct stat st;
	int rc = 0;

	note[0] = '\0';
	if (check_addresses(c, d))
		rc = -EINVAL;
	int src = stat(c->boot_root, &st);

	if (src || !S_ISDIR(st.st_mode)) {
		const char *why = src ? strerror(errno) : "not a directory";

		if (boot_root_default)
			snprintf(note, notesz,
				 "boot_root %s (the default): %s: only the built-in files are "
				 "served",
				 c->boot_root, why);
		else
			rc = diag_add(d, -EINVAL,
				      "[server] boot_root: %s: %s (create it, or leave boot_root "
				      "unset to serve the built-in files only)",
				      c->boot_root, why);
	}
	if (check_inventory_as_user(c, pd, d))
		rc = -EINVAL;
	return rc;
}
