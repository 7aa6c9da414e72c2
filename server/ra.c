/* ra: the Router Solicitation responder (ra.h). Every RS is untrusted: its hop limit
 * (255: it did not cross a router), receiving interface and source come from the kernel;
 * its bytes go through ndp_rs_parse(), and only the MAC found there is used, as a key.
 * The answer goes to the RS's own link-local source address, never to a group. */
#include "ra.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "ndp.h"

#define RA_BATCH 32 /* datagrams per wake-up and socket: a flood cannot starve the rest */
_Static_assert(RA_CLIENTS % RA_WAYS == 0, "the clients' table is whole sets");

struct ra_client {
	uint8_t mac[6];
	uint64_t seen_ms, answered_ms; /* 0 = never */
};

struct ra_pending {
	struct sockaddr_in6 from; /* sin6_family 0 = free slot */
	unsigned ifindex;
	uint8_t mac[6];
	uint64_t at_ms;
};

struct ra {
	struct server *s;
	int fd;	   /* raw ICMPv6, RS only */
	int sniff; /* AF_PACKET, DHCP to port 67 (without proxyDHCP), or -1 */
	unsigned ifindex[SITE_MAX_IFACES];
	uint8_t ifmac[SITE_MAX_IFACES][6];
	char ifname[SITE_MAX_IFACES][IF_NAMESIZE];
	unsigned n_if;
	struct ra_client client[RA_CLIENTS];
	struct ra_pending pend[RA_PENDING];
	struct ra_stats st;
	struct dhcp_msg msg; /* one sniffed request at a time, off the stack */
	uint8_t rx[DHCP_MAX_LEN + 64];
};

bool ra_pxe_request(const struct dhcp_msg *m)
{
	int type = dhcp_msg_type(m);

	return m->h.op == 1 && m->h.htype == 1 && m->h.hlen == 6 &&
	       (type == DHCP_DISCOVER || type == DHCP_REQUEST) &&
	       (dhcp_opt_prefix(m, DHCP_OPT_VENDOR_CLASS, "PXEClient") ||
		dhcp_opt_prefix(m, DHCP_OPT_VENDOR_CLASS, "HTTPClient"));
}

static int if_slot(const struct ra *r, unsigned ifindex)
{
	for (unsigned i = 0; i < r->n_if; i++)
		if (r->ifindex[i] == ifindex)
			return (int)i;
	return -1;
}

/* The clients' table is set-associative: a MAC hashes to one set of RA_WAYS entries and
 * the oldest of that set makes room, so noting a client (every PXE DHCP request, on the
 * proxyDHCP path) looks at RA_WAYS entries, not RA_CLIENTS. */
static struct ra_client *client_set(struct ra *r, const uint8_t mac[6])
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (int i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 16777619u;
	return &r->client[(h % (RA_CLIENTS / RA_WAYS)) * RA_WAYS];
}

static struct ra_client *client_find(struct ra *r, const uint8_t mac[6], uint64_t now)
{
	struct ra_client *set = client_set(r, mac);

	for (unsigned i = 0; i < RA_WAYS; i++) {
		struct ra_client *c = &set[i];
		if (c->seen_ms && !memcmp(c->mac, mac, 6))
			return now - c->seen_ms <= RA_SEEN_MS ? c : NULL;
	}
	return NULL;
}

static void log_ra(const char *ev, const char *mac, const char *ifname,
		   const struct sockaddr_in6 *from, const char *what)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(AF_INET6, &from->sin6_addr, a, sizeof(a));
	log_event(ev, "msg=RS mac=%s iface=%s from=%s %s", mac, ifname, a, what);
}

/* Unicast the no-router RA to the solicitation's source, out of the interface it came in. */
static void answer(struct ra *r, struct ra_client *c, const struct sockaddr_in6 *to,
		   unsigned ifindex, uint64_t now)
{
	int slot = if_slot(r, ifindex);
	uint8_t buf[NDP_RA_LEN];
	union {
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct in6_pktinfo pi = { .ipi6_ifindex = ifindex };
	struct iovec iov;
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;
	char mac[18], what[160];
	size_t len;

	if (slot < 0 || ndp_ra_build(buf, sizeof(buf), 0, r->ifmac[slot], &len))
		return;
	iov = (struct iovec){ buf, len };
	mh = (struct msghdr){ .msg_name = (void *)to,
			      .msg_namelen = sizeof(*to),
			      .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = ctl.b,
			      .msg_controllen = sizeof(ctl.b) };
	memset(&ctl, 0, sizeof(ctl));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	ndp_mac_str(c->mac, mac);
	c->answered_ms = now;
	if (sendmsg(r->fd, &mh, MSG_DONTWAIT) < 0) {
		snprintf(what, sizeof(what), "decision=answer status=send-failed error=\"%s\"",
			 strerror(errno));
		r->st.ignored++;
	} else {
		snprintf(what, sizeof(what),
			 "decision=answer reply=RA lifetime=0 prefix=none managed=0 other=0 "
			 "bytes=%zu",
			 len);
		r->st.answered++;
	}
	log_ra("ra", mac, r->ifname[slot], to, what);
}

static void pend_add(struct ra *r, const struct sockaddr_in6 *from, unsigned ifindex,
		     const uint8_t mac[6], uint64_t now)
{
	struct ra_pending *use = &r->pend[0];

	for (unsigned i = 0; i < RA_PENDING; i++) {
		struct ra_pending *p = &r->pend[i];
		if (!p->from.sin6_family || !memcmp(p->mac, mac, 6) ||
		    now - p->at_ms > RA_PENDING_MS) {
			use = p;
			break;
		}
		if (p->at_ms < use->at_ms)
			use = p;
	}
	use->from = *from;
	use->ifindex = ifindex;
	memcpy(use->mac, mac, 6);
	use->at_ms = now;
}

void ra_note(struct ra *r, const uint8_t mac[6], uint64_t now)
{
	struct ra_client *c = NULL, *oldest, *set;

	if (!r)
		return;
	set = client_set(r, mac);
	oldest = &set[0];
	for (unsigned i = 0; i < RA_WAYS && !c; i++) {
		struct ra_client *x = &set[i];
		if (!x->seen_ms || !memcmp(x->mac, mac, 6))
			c = x;
		else if (x->seen_ms < oldest->seen_ms)
			oldest = x;
	}
	if (!c) {
		c = oldest;
		c->answered_ms = 0;
	}
	if (memcmp(c->mac, mac, 6))
		c->answered_ms = 0;
	memcpy(c->mac, mac, 6);
	c->seen_ms = now ? now : 1;
	/* Its solicitation came first (iPXE sends RS and DHCPDISCOVER at once): answer it now. */
	for (unsigned i = 0; i < RA_PENDING; i++) {
		struct ra_pending *p = &r->pend[i];
		if (p->from.sin6_family && !memcmp(p->mac, mac, 6)) {
			if (now - p->at_ms <= RA_PENDING_MS)
				answer(r, c, &p->from, p->ifindex, now);
			p->from.sin6_family = 0;
		}
	}
}

/* One solicitation: its hop limit, interface and source were read from the kernel. */
static void handle_rs(struct ra *r, const uint8_t *buf, size_t len, const struct sockaddr_in6 *from,
		      unsigned ifindex, int hops)
{
	uint64_t now = loop_now_ms(r->s->loop);
	int slot = if_slot(r, ifindex);
	struct ndp_rs rs;
	struct ra_client *c;
	const char *why = NULL;
	char mac[18] = "-", what[160];

	r->st.received++;
	if (slot < 0)
		why = "not a served interface";
	else if (hops != 255)
		why = "hop limit is not 255 (it crossed a router)";
	else if (!IN6_IS_ADDR_LINKLOCAL(&from->sin6_addr))
		why = "source is not a link-local address";
	else if (ndp_rs_parse(buf, len, &rs, &why))
		; /* why set */
	else if (!rs.has_slla)
		why = "no source link-layer address option";
	if (!why) {
		ndp_mac_str(rs.slla, mac);
		c = client_find(r, rs.slla, now);
		if (!c) {
			pend_add(r, from, ifindex, rs.slla, now);
			why = "not a PXE client chainbootd is booting (waits 5 s for its DHCP)";
		} else if (c->answered_ms && now - c->answered_ms < RA_MIN_GAP_MS) {
			why = "answered less than a second ago";
		} else {
			answer(r, c, from, ifindex, now);
			return;
		}
	}
	r->st.ignored++;
	snprintf(what, sizeof(what), "decision=ignore reason=\"%s\"", why);
	log_ra("ra.debug", mac, slot < 0 ? "?" : r->ifname[slot], from, what);
}

static void on_rs(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct ra *r = arg;

	(void)l;
	(void)events;
	for (int n = 0; n < RA_BATCH; n++) {
		struct sockaddr_in6 from;
		union {
			char b[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = { r->rx, sizeof(r->rx) };
		struct msghdr mh = { .msg_name = &from,
				     .msg_namelen = sizeof(from),
				     .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = ctl.b,
				     .msg_controllen = sizeof(ctl.b) };
		unsigned ifindex = 0;
		int hops = -1;
		ssize_t got = recvmsg(fd, &mh, MSG_DONTWAIT);

		if (got < 0)
			return; /* EAGAIN: drained */
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != IPPROTO_IPV6)
				continue;
			if (cm->cmsg_type == IPV6_PKTINFO &&
			    cm->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
				struct in6_pktinfo pi;
				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				ifindex = pi.ipi6_ifindex;
			} else if (cm->cmsg_type == IPV6_HOPLIMIT &&
				   cm->cmsg_len >= CMSG_LEN(sizeof(int))) {
				memcpy(&hops, CMSG_DATA(cm), sizeof(hops));
			}
		}
		if ((mh.msg_flags & MSG_TRUNC) || mh.msg_namelen < sizeof(from)) {
			r->st.received++;
			r->st.ignored++;
			continue;
		}
		handle_rs(r, r->rx, (size_t)got, &from, ifindex, hops);
	}
}

/* A datagram from the sniffer starts at the IPv4 header (SOCK_DGRAM): check every
 * length down to the DHCP payload, which dhcp_parse() then reads. */
static void handle_sniffed(struct ra *r, const uint8_t *p, size_t len)
{
	size_t ihl, tot, ulen;
	char mac[18];

	if (len < 20 || (p[0] >> 4) != 4)
		return;
	ihl = (size_t)(p[0] & 0xf) * 4;
	tot = (size_t)p[2] << 8 | p[3];
	if (ihl < 20 || tot < ihl + 8 || tot > len || p[9] != 17)
		return;
	ulen = (size_t)p[ihl + 4] << 8 | p[ihl + 5];
	if ((p[ihl + 2] << 8 | p[ihl + 3]) != DHCP_PORT_SERVER || ulen < 8 || ulen > tot - ihl)
		return;
	if (dhcp_parse(p + ihl + 8, ulen - 8, &r->msg, NULL) || !ra_pxe_request(&r->msg))
		return;
	ndp_mac_str(r->msg.h.chaddr, mac);
	log_event("ra.debug",
		  "msg=%s mac=%s decision=noted reason=\"PXE client's DHCP request "
		  "(seen, not answered: proxydhcp is off)\"",
		  dhcp_type_name(dhcp_msg_type(&r->msg)), mac);
	ra_note(r, r->msg.h.chaddr, loop_now_ms(r->s->loop));
}

static void on_sniff(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct ra *r = arg;

	(void)l;
	(void)events;
	for (int n = 0; n < RA_BATCH; n++) {
		struct sockaddr_ll sl = { 0 };
		socklen_t sll = sizeof(sl);
		ssize_t got = recvfrom(fd, r->rx, sizeof(r->rx), MSG_DONTWAIT | MSG_TRUNC,
				       (struct sockaddr *)&sl, &sll);

		if (got < 0)
			return;
		if ((size_t)got > sizeof(r->rx) || sll < offsetof(struct sockaddr_ll, sll_addr) ||
		    sl.sll_pkttype == PACKET_OUTGOING || if_slot(r, (unsigned)sl.sll_ifindex) < 0)
			continue;
		handle_sniffed(r, r->rx, (size_t)got);
	}
}

/* The served interfaces: [server] interface, or the one that holds [server] listen;
 * with each one's MAC (the RA's source link-layer option). */
static int find_ifaces(struct ra *r, struct diag *d)
{
	const struct site_config *c = r->s->cfg;
	struct ifaddrs *ifa, *i;
	struct in_addr want;

	if (getifaddrs(&ifa))
		return diag_set(d, -errno, "RA: getifaddrs: %s", strerror(errno));
	if (c->n_interfaces) {
		for (unsigned k = 0; k < c->n_interfaces; k++)
			snprintf(r->ifname[k], IF_NAMESIZE, "%s", c->interfaces[k]);
		r->n_if = c->n_interfaces;
	} else if (inet_pton(AF_INET, c->listen, &want) == 1) {
		for (i = ifa; i && !r->n_if; i = i->ifa_next)
			if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
			    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == want.s_addr)
				snprintf(r->ifname[r->n_if++], IF_NAMESIZE, "%s", i->ifa_name);
	}
	for (unsigned k = 0; k < r->n_if; k++) {
		bool mac = false;
		r->ifindex[k] = if_nametoindex(r->ifname[k]);
		for (i = ifa; i && !mac; i = i->ifa_next) {
			if (!i->ifa_addr || i->ifa_addr->sa_family != AF_PACKET ||
			    strcmp(i->ifa_name, r->ifname[k]))
				continue;
			const struct sockaddr_ll *ll = (const struct sockaddr_ll *)i->ifa_addr;
			if (ll->sll_halen == 6) {
				memcpy(r->ifmac[k], ll->sll_addr, 6);
				mac = true;
			}
		}
		bool ll = false;
		for (i = ifa; i && !ll; i = i->ifa_next)
			ll = i->ifa_addr && i->ifa_addr->sa_family == AF_INET6 &&
			     !strcmp(i->ifa_name, r->ifname[k]) &&
			     IN6_IS_ADDR_LINKLOCAL(
				     &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr);
		if (!r->ifindex[k] || !mac || !ll) {
			freeifaddrs(ifa);
			return diag_set(d, -ENODEV, "RA: interface %s: %s", r->ifname[k],
					!r->ifindex[k] ? "no such network interface"
					: !mac	       ? "not Ethernet (no MAC address)"
						       : "no IPv6 link-local address (is IPv6 off "
							 "on it? net.ipv6.conf.IF.disable_ipv6)");
		}
	}
	freeifaddrs(ifa);
	if (!r->n_if)
		return diag_set(d, -ENODEV,
				"RA: no interface holds [server] listen %s: set [server] interface",
				c->listen);
	return 0;
}

static int open_icmp6(struct ra *r, struct diag *d)
{
	struct icmp6_filter f;
	int one = 1, hops = 255, zero = 0;

	r->fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (r->fd < 0)
		return diag_set(d, -errno, "RA: raw ICMPv6 socket: %s%s", strerror(errno),
				errno == EPERM || errno == EACCES
					? " (needs root or CAP_NET_RAW at start)"
					: "");
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ND_ROUTER_SOLICIT, &f);
	if (setsockopt(r->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) ||
	    setsockopt(r->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) ||
	    setsockopt(r->fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)) ||
	    setsockopt(r->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) ||
	    setsockopt(r->fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)))
		return diag_set(d, -errno, "RA: setsockopt: %s", strerror(errno));
	/* Only the groups this socket joins, not every group the host is in. */
	(void)setsockopt(r->fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &zero, sizeof(zero));
	for (unsigned k = 0; k < r->n_if; k++) {
		struct ipv6_mreq m = { .ipv6mr_interface = r->ifindex[k] };
		inet_pton(AF_INET6, "ff02::2", &m.ipv6mr_multiaddr); /* all-routers */
		if (setsockopt(r->fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof(m)))
			return diag_set(d, -errno,
					"RA: joining ff02::2 on %s: %s (is IPv6 off on it? "
					"net.ipv6.conf.%s.disable_ipv6)",
					r->ifname[k], strerror(errno), r->ifname[k]);
	}
	return 0;
}

/* Without proxyDHCP nothing listens on port 67: see the PXE clients' requests anyway,
 * receive-only. The filter (IPv4, UDP, first fragment, destination port 67) is attached
 * before the socket is bound to a protocol, so nothing else is ever queued. */
static int open_sniff(struct ra *r, struct diag *d)
{
	static struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x40, 0, 8),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 6),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 4, 0),
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, DHCP_PORT_SERVER, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, DHCP_MAX_LEN + 64),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };
	int one = 1;

	r->sniff = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->sniff < 0)
		return diag_set(d, -errno, "RA: packet socket (seeing DHCP without proxyDHCP): %s",
				strerror(errno));
	if (setsockopt(r->sniff, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		return diag_set(d, -errno, "RA: packet filter: %s", strerror(errno));
	(void)setsockopt(r->sniff, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	if (r->n_if == 1)
		a.sll_ifindex = (int)r->ifindex[0];
	if (bind(r->sniff, (struct sockaddr *)&a, sizeof(a)))
		return diag_set(d, -errno, "RA: packet socket on %s: %s",
				r->n_if == 1 ? r->ifname[0] : "every interface", strerror(errno));
	return 0;
}

int ra_open(struct server *s, struct ra **out, struct diag *d)
{
	struct ra *r = calloc(1, sizeof(*r));
	int rc;

	if (!r)
		return diag_set(d, -ENOMEM, "RA: out of memory");
	r->s = s;
	r->fd = r->sniff = -1;
	rc = find_ifaces(r, d);
	if (!rc)
		rc = open_icmp6(r, d);
	if (!rc && !s->cfg->proxydhcp)
		rc = open_sniff(r, d);
	if (!rc && (rc = loop_watch(s->loop, r->fd, EPOLLIN, on_rs, r)))
		diag_set(d, rc, "RA: watching its socket: %s", strerror(-rc));
	if (!rc && r->sniff >= 0 && (rc = loop_watch(s->loop, r->sniff, EPOLLIN, on_sniff, r)))
		diag_set(d, rc, "RA: watching the packet socket: %s", strerror(-rc));
	if (rc) {
		ra_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void ra_close(struct ra *r)
{
	if (!r)
		return;
	if (r->fd >= 0) {
		loop_unwatch(r->s->loop, r->fd);
		close(r->fd);
	}
	if (r->sniff >= 0) {
		loop_unwatch(r->s->loop, r->sniff);
		close(r->sniff);
	}
	free(r);
}

void ra_stats(const struct ra *r, struct ra_stats *st)
{
	*st = r->st;
}
