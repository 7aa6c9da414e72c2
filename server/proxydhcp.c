/* proxydhcp: receive DHCP requests on ports 67 and 4011, ask decide() what each PXE
 * client gets, and send the reply. Every datagram is untrusted: it is parsed by
 * dhcp_parse() (bounded, pure) and never used beyond what that returned. The receiving
 * interface and address come from IP_PKTINFO (kernel-supplied, trusted). */
#include "proxydhcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

/* Datagrams handled per wake-up and socket, so a flood cannot starve TFTP and HTTP. */
#define PROXYDHCP_BATCH 64

struct pd_sock {
	struct proxydhcp *p;
	int fd;
	uint16_t port;
};

struct proxydhcp {
	struct server *s;
	proxydhcp_inv_fn inv;
	struct pd_sock sock[2]; /* 67, 4011 */
	uint32_t server_ip;     /* cfg->listen, network order */
	unsigned ifindex[SITE_MAX_IFACES];
	unsigned n_ifindex;     /* 0 = every interface */
	struct proxydhcp_stats st;
	struct dhcp_msg msg;    /* one request at a time: kept off the stack (6 KiB) */
};

static bool iface_allowed(const struct proxydhcp *p, unsigned ifindex)
{
	if (!p->n_ifindex)
		return true;
	for (unsigned i = 0; i < p->n_ifindex; i++)
		if (p->ifindex[i] == ifindex)
			return true;
	return false;
}

static unsigned have_bits(const struct server *s)
{
	unsigned have = 0;
	for (size_t i = 0; i < s->n_files; i++)
		have |= decide_have_bit(s->files[i].name);
	return have;
}

/* A NUL-terminated copy of n wire bytes for the log, at most 64 of them; a NUL or
 * control byte becomes '?' (log_quote escapes the rest). */
static void printable(char *dst, size_t cap, const uint8_t *src, size_t n)
{
	size_t i;

	if (n > cap - 1)
		n = cap - 1;
	if (n > 64)
		n = 64;
	for (i = 0; i < n; i++)
		dst[i] = src[i] < 0x20 ? '?' : (char)src[i];
	dst[i] = '\0';
}

static int send_reply(struct pd_sock *ps, const uint8_t *buf, size_t len, uint32_t ip, uint16_t port,
		      unsigned ifindex, uint32_t spec_dst)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = ip };
	union { char b[CMSG_SPACE(sizeof(struct in_pktinfo))]; struct cmsghdr align; } ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	struct in_pktinfo pi = { 0 };

	memset(&ctl, 0, sizeof(ctl));
	mh.msg_control = ctl.b;
	mh.msg_controllen = sizeof(ctl.b);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	/* A limited broadcast has no route: leave by the interface the request came in
	 * on, with our address as source (dnsmasq does the same). */
	if (ip == htonl(INADDR_BROADCAST))
		pi.ipi_ifindex = (int)ifindex;
	pi.ipi_spec_dst.s_addr = spec_dst;
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	if (sendmsg(ps->fd, &mh, MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

static void handle(struct pd_sock *ps, const uint8_t *buf, size_t len, const struct sockaddr_in *from,
		   unsigned ifindex)
{
	struct proxydhcp *p = ps->p;
	const struct site_config *c = p->s->cfg;
	struct dhcp_msg *m = &p->msg;
	struct decide_in in = { .msg = m, .port = ps->port, .server_ip = p->server_ip };
	struct decide_out o;
	char ifname[IF_NAMESIZE] = "?", mac[48], uuid[37], src[24], cls[96], vc[96], q1[128], q2[128];
	char why[64];
	const char *err = NULL;
	const uint8_t *v;
	uint8_t reply[DHCP_MAX_LEN];
	size_t n, rlen;
	uint32_t to_ip;
	uint16_t to_port;
	int rc;

	p->st.received++;
	if_indextoname(ifindex, ifname);
	snprintf(src, sizeof(src), "%s:%u", inet_ntoa(from->sin_addr), ntohs(from->sin_port));
	if (!iface_allowed(p, ifindex)) {
		p->st.ignored++;
		log_event("proxydhcp.debug", "port=%u iface=%s from=%s decision=ignore reason=\"not a served interface\"",
			  ps->port, ifname, src);
		return;
	}
	rc = dhcp_parse(buf, len, m, &err);
	if (rc) {
		p->st.malformed++;
		log_event("proxydhcp.debug", "port=%u iface=%s from=%s bytes=%zu decision=ignore reason=\"malformed: %s\"",
			  ps->port, ifname, src, len, err ? err : "?");
		return;
	}
	dhcp_chaddr_str(&m->h, mac);
	if (dhcp_guid_str(m, uuid))
		uuid[0] = '\0';
	in.inv = p->inv ? p->inv(p->s, mac, uuid) : DECIDE_INV_UNKNOWN;
	in.have = have_bits(p->s);
	if (decide(c, &in, &o)) {
		p->st.ignored++;
		log_event("proxydhcp", "mac=%s decision=error reason=\"boot URL too long\"", mac);
		return;
	}
	/* Printable copies of the client's classes for the log (then quoted, escaped). */
	v = dhcp_opt_get(m, DHCP_OPT_USER_CLASS, &n);
	printable(cls, sizeof(cls), v, v ? n : 0);
	v = dhcp_opt_get(m, DHCP_OPT_VENDOR_CLASS, &n);
	printable(vc, sizeof(vc), v, v ? n : 0);
	if (o.has_arch)
		snprintf(why, sizeof(why), "%u", o.arch);
	else
		snprintf(why, sizeof(why), "none");

	if (!o.answer) {
		p->st.ignored++;
		/* Non-PXE DHCP traffic is the bulk on a shared network: debug only. */
		log_event(strcmp(o.row, "ignore") ? "proxydhcp" : "proxydhcp.debug",
			  "msg=%s port=%u iface=%s mac=%s from=%s xid=0x%08x arch=%s vendor=%s class=%s uuid=%s "
			  "decision=%s%s%s reason=\"%s\"",
			  dhcp_type_name(dhcp_msg_type(m)), ps->port, ifname, mac, src, m->h.xid, why,
			  log_quote(vc, q1, sizeof(q1)), log_quote(cls, q2, sizeof(q2)), uuid[0] ? uuid : "-",
			  o.row, o.file[0] ? " file=" : "", o.file, o.why);
		return;
	}
	rc = decide_reply(&in, &o, reply, sizeof(reply), &rlen);
	if (rc) {
		p->st.ignored++;
		log_event("proxydhcp", "mac=%s decision=error reason=\"reply does not fit\"", mac);
		return;
	}
	decide_dest(&in, from->sin_addr.s_addr, ntohs(from->sin_port), &to_ip, &to_port);
	rc = send_reply(ps, reply, rlen, to_ip, to_port, ifindex, p->server_ip);
	{
		struct in_addr a = { to_ip };
		char dst[24], fq[300];
		snprintf(dst, sizeof(dst), "%s:%u", inet_ntoa(a), to_port);
		log_event("proxydhcp",
			  "msg=%s port=%u iface=%s mac=%s from=%s xid=0x%08x arch=%s vendor=%s class=%s uuid=%s "
			  "decision=%s file=%s reply=%s option43=%s to=%s bytes=%zu%s%s",
			  dhcp_type_name(dhcp_msg_type(m)), ps->port, ifname, mac, src, m->h.xid, why,
			  log_quote(vc, q1, sizeof(q1)), log_quote(cls, q2, sizeof(q2)), uuid[0] ? uuid : "-", o.row,
			  log_quote(o.file, fq, sizeof(fq)), dhcp_type_name(o.reply_type), o.bypass43 ? "6:8" : "none",
			  dst, rlen, rc ? " status=send-failed error=" : "", rc ? strerror(-rc) : "");
	}
	if (rc)
		p->st.ignored++;
	else
		p->st.answered++;
}

static void on_readable(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct pd_sock *ps = arg;
	uint8_t buf[DHCP_MAX_LEN + 1];

	(void)l;
	(void)events;
	for (int i = 0; i < PROXYDHCP_BATCH; i++) {
		struct sockaddr_in from;
		union { char b[CMSG_SPACE(sizeof(struct in_pktinfo))]; struct cmsghdr align; } ctl;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
				     .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
		unsigned ifindex = 0;
		ssize_t r = recvmsg(fd, &mh, MSG_DONTWAIT);

		if (r < 0)
			return; /* EAGAIN, or an ICMP error from an earlier send: nothing to do */
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				ifindex = (unsigned)pi.ipi_ifindex;
			}
		}
		if ((mh.msg_flags & MSG_TRUNC) || mh.msg_namelen < sizeof(from)) {
			ps->p->st.received++;
			ps->p->st.malformed++;
			continue; /* over DHCP_MAX_LEN: never a PXE client */
		}
		handle(ps, buf, (size_t)r, &from, ifindex);
	}
}

static int open_port(struct proxydhcp *p, struct pd_sock *ps, uint16_t port, struct diag *d)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY) };
	int one = 1, rc;

	ps->p = p;
	ps->port = port;
	ps->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ps->fd < 0)
		return diag_set(d, -errno, "proxyDHCP: socket: %s", strerror(errno));
	/* Broadcasts reach every socket bound to the port with SO_REUSEADDR, so a DHCP
	 * server on the same host that sets it too keeps working beside us. */
	if (setsockopt(ps->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(ps->fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) ||
	    setsockopt(ps->fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)))
		return diag_set(d, -errno, "proxyDHCP: setsockopt on port %u: %s", port, strerror(errno));
	/* The wildcard address: requests from clients without an address are broadcasts. */
	if (bind(ps->fd, (struct sockaddr *)&a, sizeof(a)))
		return diag_set(d, -errno, "proxyDHCP: cannot bind UDP port %u: %s%s", port, strerror(errno),
				errno == EACCES ? " (start chainbootd as root; it drops to [server] user after binding)"
				: errno == EADDRINUSE ? " (a DHCP server on this host holds it without SO_REUSEADDR: run "
							"chainbootd on another host, or use --no-proxydhcp and chainboot "
							"dhcp-config)"
						      : "");
	rc = loop_watch(p->s->loop, ps->fd, EPOLLIN, on_readable, ps);
	if (rc)
		return diag_set(d, rc, "proxyDHCP: watching port %u: %s", port, strerror(-rc));
	return 0;
}

int proxydhcp_open(struct server *s, proxydhcp_inv_fn inv, struct proxydhcp **out, struct diag *d)
{
	const struct site_config *c = s->cfg;
	struct proxydhcp *p = calloc(1, sizeof(*p));
	struct in_addr a;
	int rc;

	if (!p)
		return diag_set(d, -ENOMEM, "proxyDHCP: out of memory");
	p->s = s;
	p->inv = inv;
	p->sock[0].fd = p->sock[1].fd = -1;
	if (inet_pton(AF_INET, c->listen, &a) != 1) {
		free(p);
		return diag_set(d, -EINVAL, "proxyDHCP needs [server] listen (or --listen): the address put in "
				"replies as next-server and server identifier");
	}
	p->server_ip = a.s_addr;
	for (unsigned i = 0; i < c->n_interfaces; i++) {
		unsigned idx = if_nametoindex(c->interfaces[i]);
		if (!idx) {
			free(p);
			return diag_set(d, -ENODEV, "[server] interface: %s: no such network interface",
					c->interfaces[i]);
		}
		p->ifindex[p->n_ifindex++] = idx;
	}
	rc = open_port(p, &p->sock[0], DHCP_PORT_SERVER, d);
	if (!rc)
		rc = open_port(p, &p->sock[1], DHCP_PORT_PXE, d);
	if (rc) {
		proxydhcp_close(p);
		return rc;
	}
	*out = p;
	return 0;
}

void proxydhcp_close(struct proxydhcp *p)
{
	if (!p)
		return;
	for (int i = 0; i < 2; i++) {
		if (p->sock[i].fd >= 0) {
			loop_unwatch(p->s->loop, p->sock[i].fd);
			close(p->sock[i].fd);
		}
	}
	free(p);
}

void proxydhcp_stats(const struct proxydhcp *p, struct proxydhcp_stats *st)
{
	*st = p->st;
}
