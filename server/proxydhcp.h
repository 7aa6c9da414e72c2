/* proxydhcp: the proxyDHCP service (PXE 2.1, RFC 2131, RFC 4578) on ports 67 and 4011 —
 * boot information for PXE clients, never an address. */
#ifndef CB_PROXYDHCP_H
#define CB_PROXYDHCP_H

#include "decide.h"
#include "diag.h"
#include "server.h"

struct proxydhcp;

/* The inventory's word on a machine, asked per request: mac as "52:54:00:12:34:56",
 * uuid as 8-4-4-4-12 hex or "" when the client sent none; the inventory machine's name
 * into machine ("" when not listed). NULL: every machine boots. */
typedef enum decide_inv (*proxydhcp_inv_fn)(const struct server *s, char *machine, size_t machinesz,
					    const char *mac, const char *uuid);

/* Bind 0.0.0.0:67 and 0.0.0.0:4011 (as root: port 67 is privileged), resolve the
 * [server] interface names, and watch both sockets in s->loop. Nothing is read
 * until the loop runs. Returns 0 or -errno; d names the port or interface. */
int proxydhcp_open(struct server *s, proxydhcp_inv_fn inv, struct proxydhcp **out, struct diag *d);

void proxydhcp_close(struct proxydhcp *p);

/* Counters, for tests and the stop line. */
struct proxydhcp_stats {
	unsigned long received, answered, ignored, malformed;
};
void proxydhcp_stats(const struct proxydhcp *p, struct proxydhcp_stats *st);

#endif
