/* notify: sd_notify(3) messages for systemd's Type=notify. A failed send is logged once
 * and otherwise ignored: the daemon serves the same whether or not anyone listens. */
#include "notify.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "log.h"

static void send_state(const char *state)
{
	static bool reported;
	int rc = sd_notify(0, state);
	char q[200];

	if (rc < 0 && !reported) {
		reported = true;
		log_event("notify", "status=failed error=%s note=\"systemd is not told the state\"",
			  log_quote(strerror(-rc), q, sizeof(q)));
	}
}

void notify_ready(const struct site_config *c, size_t machines, size_t profiles, const char *note)
{
	char msg[1024];

	/* One line for `systemctl status`: where, what, and the inventory's size. */
	snprintf(msg, sizeof(msg),
		 "READY=1\nSTATUS=serving %s: proxyDHCP %s, TFTP %s, HTTP port %u; inventory %s: "
		 "%zu machines, %zu profiles%s%s",
		 c->listen, c->proxydhcp ? "on" : "off", c->tftp ? "on" : "off", c->http_port,
		 c->inventory[0] ? "loaded" : "none", machines, profiles, note ? "; " : "",
		 note ? note : "");
	send_state(msg);
}

void notify_reloading(void)
{
	struct timespec t;
	char msg[96];

	clock_gettime(CLOCK_MONOTONIC, &t);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)t.tv_sec * 1000000ULL + (unsigned long long)t.tv_nsec / 1000);
	send_state(msg);
}

void notify_stopping(void)
{
	send_state("STOPPING=1\nSTATUS=stopping");
}
