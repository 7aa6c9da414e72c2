/* ra: ends a PXE client's IPv6 autoconfiguration wait. A firmware iPXE (QEMU's NIC ROM,
 * VirtualBox's) waits up to ~10 s for a Router Advertisement on a LAN with no IPv6
 * router; chainbootd answers the Router Solicitation of a client it is booting right now
 * with a unicast RA that says "no router, no prefix, no DHCPv6" (lib/ndp.h), and nothing
 * to any other host. */
#ifndef CB_RA_H
#define CB_RA_H

#include <stdint.h>

#include "diag.h"
#include "dhcpopt.h"
#include "server.h"

struct ra;

/* A client counts as being booted for this long after its last PXE DHCP request. */
#define RA_SEEN_MS 60000u
/* An RS that comes before the client's DHCP request waits this long for it. */
#define RA_PENDING_MS 5000u
/* At most one RA per client in this time, whatever it sends. */
#define RA_MIN_GAP_MS 1000u

#define RA_CLIENTS 256 /* booting clients remembered at once (the oldest of a set makes room) */
#define RA_WAYS	   8   /* entries per hash set of that table */
#define RA_PENDING 32  /* solicitations waiting for their client's DHCP request */

/* As root, before privileges drop: a raw ICMPv6 socket receiving Router Solicitations
 * only (ICMP6_FILTER), joined to ff02::2 on the served interfaces ([server] interface,
 * else the one holding [server] listen), hop limit 255 on send; without proxyDHCP
 * (cfg->proxydhcp false) also a receive-only AF_PACKET socket that notes PXE clients'
 * DHCP requests to port 67 (it never answers them). Registers with s->loop; nothing is
 * read before the loop runs. Returns 0 or -errno with d saying what failed. */
int ra_open(struct server *s, struct ra **out, struct diag *d);

/* NULL is accepted. */
void ra_close(struct ra *r);

/* proxyDHCP answered a PXE client with this MAC at now_ms: answer its solicitations from
 * now on (and the one waiting, if any). r may be NULL. */
void ra_note(struct ra *r, const uint8_t mac[6], uint64_t now_ms);

/* Is m a request from a PXE or HTTP boot client (BOOTREQUEST, DISCOVER or REQUEST,
 * option 60 PXEClient or HTTPClient, Ethernet address)? */
bool ra_pxe_request(const struct dhcp_msg *m);

struct ra_stats {
	unsigned long received, answered, ignored;
};
void ra_stats(const struct ra *r, struct ra_stats *st);

#endif
