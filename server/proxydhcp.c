/* proxydhcp: receive DHCP requests on ports 67 and 4011, ask decide() what each PXE
 * client gets, and send the reply. Every datagram is untrusted: it is parsed by
 * dhcp_parse() (bounded, pure) and never used beyond what that returned. The receiving
 * interface and address come from IP_PKTINFO (kernel-supplied, trusted). */
#include "proxydhcp.h"
#include "ra.h"
#include "timeline.h"

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
#include "udpbuf.h"

/* Datagrams handled per wake-up and socket, so a flood cannot starve TFTP and HTTP;
 * taken PROXYDHCP_RX at a time by recvmmsg, their replies sent by one sendmmsg. */
#define PROXYDHCP_BATCH 64
#define PROXYDHCP_RX	32

struct pd_sock {
	struct proxydhcp *p;
	int fd;
	uint16_t port;
};

/* A reply built and waiting for its batch's sendmmsg; its log line is written after
 * the send, so it can say whether the send failed. */
struct pd_reply {
	struct sockaddr_in to;
	union {
		char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl;
	size_t len;
	char log[1024];
	uint8_t buf[DHCP_MAX_LEN];
};

struct proxydhcp {
	struct server *s;
	proxydhcp_inv_fn inv;
	struct pd_sock sock[2]; /* 67, 4011 */
	uint32_t server_ip;	/* cfg->listen, network order */
	unsigned ifindex[SITE_MAX_IFACES];
	unsigned n_ifindex; /* 0 = every interface */
	struct proxydhcp_stats st;
	struct dhcp_msg msg; /* one request at a time: kept off the stack (6 KiB) */
	/* The name of the last interface not in [server] interface (if_indextoname opens
	 * a socket per call: too dear per datagram), looked up again after a second. */
	unsigned name_ifindex;
	uint64_t name_ms;
	char name[IF_NAMESIZE];
	uint8_t rx[PROXYDHCP_RX][DHCP_MAX_LEN + 1];
	struct pd_reply tx[PROXYDHCP_RX];
	unsigned n_tx;
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

static const char *iface_name(struct proxydhcp *p, unsigned ifindex)
{
	const struct site_config *c = p->s->cfg;
	uint64_t now = loop_now_ms(p->s->loop);

	for (unsigned i = 0; i < p->n_ifindex && i < c->n_interfaces; i++)
		if (p->ifindex[i] == ifindex)
			return c->interfaces[i];
	if (ifindex != p->name_ifindex || now - p->name_ms >= 1000 || !p->name[0]) {
		if (!if_indextoname(ifindex, p->name))
			snprintf(p->name, sizeof(p->name), "?");
		p->name_ifindex = ifindex;
		p->name_ms = now;
	}
	return p->name;
}

static unsigned have_bits(const struct server *s, bool foreign)
{
	unsigned have = 0;
	for (size_t i = 0; i < s->n_files; i++)
		if (!foreign || s->files[i].foreign_class)
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

/* Address r (built in r->buf, r->len bytes) to ip:port, leaving from our address. */
static void reply_address(struct pd_reply *r, uint32_t ip, uint16_t port, unsigned ifindex,
			  uint32_t spec_dst)
{
	struct msghdr mh = { .msg_control = r->ctl.b, .msg_controllen = sizeof(r->ctl.b) };
	struct cmsghdr *cm;
	struct in_pktinfo pi = { 0 };

	r->to = (struct sockaddr_in){ .sin_family = AF_INET,
				      .sin_port = htons(port),
				      .sin_addr.s_addr = ip };
	memset(&r->ctl, 0, sizeof(r->ctl));
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
}

/* Send the queued replies with as few sendmmsg calls as they allow, then log each. */
static void flush_replies(struct pd_sock *ps)
{
	struct proxydhcp *p = ps->p;
	struct mmsghdr mm[PROXYDHCP_RX];
	struct iovec iov[PROXYDHCP_RX];
	int err[PROXYDHCP_RX];
	unsigned n = p->n_tx, i = 0;

	memset(mm, 0, sizeof(mm[0]) * n);
	for (unsigned k = 0; k < n; k++) {
		struct pd_reply *r = &p->tx[k];
		iov[k] = (struct iovec){ r->buf, r->len };
		mm[k].msg_hdr = (struct msghdr){ .msg_name = &r->to,
						 .msg_namelen = sizeof(r->to),
						 .msg_iov = &iov[k],
						 .msg_iovlen = 1,
						 .msg_control = r->ctl.b,
						 .msg_controllen = sizeof(r->ctl.b) };
		err[k] = 0;
	}
	while (i < n) {
		int sent = sendmmsg(ps->fd, mm + i, n - i, MSG_DONTWAIT);
		if (sent < 0) {
			if (errno == EINTR)
				continue;
			err[i++] = errno; /* this one failed: go on with the rest */
		} else {
			i += (unsigned)sent;
		}
	}
	for (unsigned k = 0; k < n; k++) {
		log_event("proxydhcp", "%s%s%s", p->tx[k].log,
			  err[k] ? " status=send-failed error=" : "",
			  err[k] ? strerror(err[k]) : "");
		if (err[k])
			p->st.ignored++;
		else
			p->st.answered++;
	}
	p->n_tx = 0;
}

/* Which IP the client has or asks for (source, ciaddr, option 50 of a REQUEST to the
 * site's DHCP server), with its MAC: TFTP and HTTP log lines name the MAC from it. */
static void note_client(struct proxydhcp *p, const struct dhcp_msg *m,
			const struct sockaddr_in *from)
{
	uint64_t now = loop_now_ms(p->s->loop);
	const uint8_t *v;
	uint32_t ip;
	size_t n;

	if (m->h.htype != 1 || m->h.hlen != 6)
		return;
	clientmac_note(&p->s->macs, from->sin_addr.s_addr, m->h.chaddr, now);
	clientmac_note(&p->s->macs, m->h.ciaddr, m->h.chaddr, now);
	v = dhcp_opt_get(m, DHCP_OPT_REQUESTED_IP, &n);
	if (v && n == 4) {
		memcpy(&ip, v, 4);
		clientmac_note(&p->s->macs, ip, m->h.chaddr, now);
	}
}

static void handle(struct pd_sock *ps, const uint8_t *buf, size_t len,
		   const struct sockaddr_in *from, unsigned ifindex)
{
	struct proxydhcp *p = ps->p;
	const struct site_config *c = p->s->cfg;
	struct dhcp_msg *m = &p->msg;
	struct decide_in in = { .msg = m, .port = ps->port, .server_ip = p->server_ip };
	struct decide_out o;
	char mac[48], uuid[37], src[24], cls[96], vc[96], q1[128], q2[128];
	char why[64], machine[64], qm[200];
	const char *err = NULL, *ifname;
	const uint8_t *v;
	struct pd_reply *r = &p->tx[p->n_tx];
	size_t n;
	uint32_t to_ip;
	uint16_t to_port;
	int rc;

	p->st.received++;
	ifname = iface_name(p, ifindex);
	snprintf(src, sizeof(src), "%s:%u", inet_ntoa(from->sin_addr), ntohs(from->sin_port));
	if (!iface_allowed(p, ifindex)) {
		p->st.ignored++;
		log_event("proxydhcp.debug",
			  "port=%u iface=%s from=%s decision=ignore reason=\"not a served "
			  "interface\"",
			  ps->port, ifname, src);
		return;
	}
	rc = dhcp_parse(buf, len, m, &err);
	if (rc) {
		p->st.malformed++;
		log_event("proxydhcp.debug",
			  "port=%u iface=%s from=%s bytes=%zu decision=ignore reason=\"malformed: "
			  "%s\"",
			  ps->port, ifname, src, len, err ? err : "?");
		return;
	}
	dhcp_chaddr_str(&m->h, mac);
	if (dhcp_guid_str(m, uuid))
		uuid[0] = '\0';
	note_client(p, m, from);
	machine[0] = '\0';
	in.inv = p->inv ? p->inv(p->s, machine, sizeof(machine), mac, uuid) : DECIDE_INV_UNKNOWN;
	log_quote(machine[0] ? machine : "-", qm, sizeof(qm));
	in.have = have_bits(p->s, false);
	in.foreign = have_bits(p->s, true);
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

	timeline_dhcp(p->s->tl, loop_now_ms(p->s->loop),
		      &(struct tl_dhcp){ mac, uuid, dhcp_type_name(dhcp_msg_type(m)), o.row, o.file,
					 o.class_kind, from->sin_addr.s_addr, ps->port, o.has_arch,
					 o.answer, o.arch, dhcp_type_name(o.reply_type) });
	if (!o.answer) {
		p->st.ignored++;
		/* Non-PXE DHCP traffic is the bulk on a shared network: debug only. */
		log_event(strcmp(o.row, "ignore") ? "proxydhcp" : "proxydhcp.debug",
			  "msg=%s port=%u iface=%s mac=%s from=%s xid=0x%08x arch=%s vendor=%s "
			  "class=%s uuid=%s machine=%s "
			  "decision=%s%s%s reason=\"%s\"",
			  dhcp_type_name(dhcp_msg_type(m)), ps->port, ifname, mac, src, m->h.xid,
			  why, log_quote(vc, q1, sizeof(q1)), log_quote(cls, q2, sizeof(q2)),
			  uuid[0] ? uuid : "-", qm, o.row, o.file[0] ? " file=" : "", o.file,
			  o.why);
		return;
	}
	/* A client we boot: its Router Solicitation is answered from now on (ra.h). */
	if (ra_pxe_request(m))
		ra_note(p->s->ra, m->h.chaddr, loop_now_ms(p->s->loop));
	rc = decide_reply(&in, &o, r->buf, sizeof(r->buf), &r->len);
	if (rc) {
		p->st.ignored++;
		log_event("proxydhcp", "mac=%s decision=error reason=\"reply does not fit\"", mac);
		return;
	}
	decide_dest(&in, from->sin_addr.s_addr, ntohs(from->sin_port), &to_ip, &to_port);
	reply_address(r, to_ip, to_port, ifindex, p->server_ip);
	{
		struct in_addr a = { to_ip };
		char dst[24], fq[300];
		snprintf(dst, sizeof(dst), "%s:%u", inet_ntoa(a), to_port);
		snprintf(r->log, sizeof(r->log),
			 "msg=%s port=%u iface=%s mac=%s from=%s xid=0x%08x arch=%s vendor=%s "
			 "class=%s uuid=%s machine=%s "
			 "decision=%s file=%s reply=%s option43=%s to=%s bytes=%zu",
			 dhcp_type_name(dhcp_msg_type(m)), ps->port, ifname, mac, src, m->h.xid,
			 why, log_quote(vc, q1, sizeof(q1)), log_quote(cls, q2, sizeof(q2)),
			 uuid[0] ? uuid : "-", qm, o.row, log_quote(o.file, fq, sizeof(fq)),
			 dhcp_type_name(o.reply_type), o.bypass43 ? "6:8" : "none", dst, r->len);
	}
	p->n_tx++; /* sent, logged and counted by flush_replies() */
}

static void on_readable(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct pd_sock *ps = arg;
	struct proxydhcp *p = ps->p;
	struct sockaddr_in from[PROXYDHCP_RX];
	union {
		char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl[PROXYDHCP_RX];
	struct iovec iov[PROXYDHCP_RX];
	struct mmsghdr mm[PROXYDHCP_RX];

	(void)l;
	(void)events;
	for (int done = 0; done < PROXYDHCP_BATCH;) {
		for (int i = 0; i < PROXYDHCP_RX; i++) {
			iov[i] = (struct iovec){ p->rx[i], sizeof(p->rx[i]) };
			mm[i].msg_hdr = (struct msghdr){ .msg_name = &from[i],
							 .msg_namelen = sizeof(from[i]),
							 .msg_iov = &iov[i],
							 .msg_iovlen = 1,
							 .msg_control = ctl[i].b,
							 .msg_controllen = sizeof(ctl[i].b) };
			mm[i].msg_len = 0;
		}
		int got = recvmmsg(fd, mm, PROXYDHCP_RX, MSG_DONTWAIT, NULL);

		if (got <= 0)
			return; /* EAGAIN, or an ICMP error from an earlier send: nothing to do */
		for (int i = 0; i < got; i++) {
			struct msghdr *mh = &mm[i].msg_hdr;
			unsigned ifindex = 0;

			for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
				if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
					struct in_pktinfo pi;
					memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
					ifindex = (unsigned)pi.ipi_ifindex;
				}
			}
			if ((mh->msg_flags & MSG_TRUNC) || mh->msg_namelen < sizeof(from[i])) {
				p->st.received++;
				p->st.malformed++;
				continue; /* over DHCP_MAX_LEN: never a PXE client */
			}
			handle(ps, p->rx[i], mm[i].msg_len, &from[i], ifindex);
		}
		if (p->n_tx)
			flush_replies(ps);
		done += got;
		if (got < PROXYDHCP_RX)
			return; /* drained */
	}
}

static int open_port(struct proxydhcp *p, struct pd_sock *ps, uint16_t port, struct diag *d)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_ANY) };
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
		return diag_set(d, -errno, "proxyDHCP: setsockopt on port %u: %s", port,
				strerror(errno));
	udpbuf_grow(ps->fd, UDPBUF_RCV);
	/* The wildcard address: requests from clients without an address are broadcasts. */
	if (bind(ps->fd, (struct sockaddr *)&a, sizeof(a)))
		return diag_set(
			d, -errno, "proxyDHCP: cannot bind UDP port %u: %s%s", port,
			strerror(errno),
			errno == EACCES ? " (start chainbootd as root; it drops to [server] user "
					  "after binding)"
			: errno == EADDRINUSE
				? " (a DHCP server on this host holds it without SO_REUSEADDR: run "
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
		return diag_set(d, -EINVAL,
				"proxyDHCP needs [server] listen (or --listen): the address put in "
				"replies as next-server and server identifier");
	}
	p->server_ip = a.s_addr;
	for (unsigned i = 0; i < c->n_interfaces; i++) {
		unsigned idx = if_nametoindex(c->interfaces[i]);
		if (!idx) {
			free(p);
			return diag_set(d, -ENODEV,
					"[server] interface: %s: no such network interface",
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
