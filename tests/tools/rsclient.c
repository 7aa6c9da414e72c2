/* rsclient: a test client for chainbootd's Router Solicitation responder — sends one
 * Router Solicitation (hop limit 255, from the interface's link-local address) carrying a
 * chosen MAC in its source link-layer option, the way a PXE client's iPXE does, then
 * prints every Router Advertisement received within the wait as one key=value line.
 * Replies are untrusted and go through ndp_ra_parse(). For integration tests inside
 * network namespaces.
 *
 *   rsclient --iface IF --mac MAC [--to ADDR] [--hops N] [--no-slla] [--wait MS]
 *
 * Exit status: 0 when at least one RA came, 1 when none, 2 on errors. */
#include <arpa/inet.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ndp.h"
#include "tool.h"

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static void print_ra(const uint8_t *buf, size_t len, const struct sockaddr_in6 *from,
		     const struct in6_addr *dst, int hops)
{
	struct ndp_ra ra;
	const char *why = NULL;
	char src[INET6_ADDRSTRLEN], to[INET6_ADDRSTRLEN], mac[18] = "-";

	inet_ntop(AF_INET6, &from->sin6_addr, src, sizeof(src));
	inet_ntop(AF_INET6, dst, to, sizeof(to));
	if (ndp_ra_parse(buf, len, &ra, &why)) {
		printf("reply=bad from=%s to=%s bytes=%zu why=\"%s\"\n", src, to, len, why);
		return;
	}
	if (ra.has_slla)
		ndp_mac_str(ra.slla, mac);
	printf("reply=RA from=%s to=%s dst=%s hops=%d bytes=%zu hop_limit=%u managed=%d other=%d "
	       "lifetime=%u reachable=%u retrans=%u slla=%s prefix=%s mtu=%s rdnss=%s "
	       "other_opts=%u\n",
	       src, to, IN6_IS_ADDR_MULTICAST(dst) ? "multicast" : "unicast", hops, len,
	       ra.hop_limit, !!(ra.flags & 0x80), !!(ra.flags & 0x40), ra.lifetime, ra.reachable,
	       ra.retrans, mac, ra.opt_mask & 1u << NDP_OPT_PREFIX ? "yes" : "no",
	       ra.opt_mask & 1u << NDP_OPT_MTU ? "yes" : "no",
	       ra.opt_mask & 1u << NDP_OPT_RDNSS ? "yes" : "no", ra.opt_other);
}

/* Every RA within wait_ms; returns how many. */
static int receive(int fd, long long wait_ms)
{
	uint64_t end = tool_now_ms() + (uint64_t)wait_ms;
	int n = 0;

	for (;;) {
		uint64_t now = tool_now_ms();
		struct pollfd pfd = { fd, POLLIN, 0 };
		uint8_t buf[1500];
		struct sockaddr_in6 from;
		union {
			char b[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_name = &from,
				     .msg_namelen = sizeof(from),
				     .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = ctl.b,
				     .msg_controllen = sizeof(ctl.b) };
		struct in6_addr dst = IN6ADDR_ANY_INIT;
		int hops = -1;
		ssize_t got;

		if (now >= end || poll(&pfd, 1, (int)(end - now)) <= 0)
			return n;
		got = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (got < 0)
			continue;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;
				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				dst = pi.ipi6_addr;
			} else if (cm->cmsg_level == IPPROTO_IPV6 &&
				   cm->cmsg_type == IPV6_HOPLIMIT) {
				memcpy(&hops, CMSG_DATA(cm), sizeof(hops));
			}
		}
		print_ra(buf, (size_t)got, &from, &dst, hops);
		n++;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "mac", required_argument, NULL, 'm' },
		{ "to", required_argument, NULL, 't' },
		{ "hops", required_argument, NULL, 'h' },
		{ "no-slla", no_argument, NULL, 'n' },
		{ "wait", required_argument, NULL, 'w' },
		{ 0 },
	};
	const char *iface = NULL, *to = "ff02::2";
	uint8_t mac[6] = { 0 }, rs[16] = { NDP_RS };
	int hops = 255, one = 1, o, fd;
	bool slla = true, have_mac = false;
	long long wait_ms = 1500;
	struct icmp6_filter f;
	struct sockaddr_in6 dst = { .sin6_family = AF_INET6 };

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'i':
			iface = optarg;
			break;
		case 'm':
			if (parse_mac(optarg, mac)) {
				fprintf(stderr, "rsclient: --mac %s: not a MAC\n", optarg);
				return 2;
			}
			have_mac = true;
			break;
		case 't':
			to = optarg;
			break;
		case 'h':
			hops = (int)tool_num("rsclient", "--hops", optarg, 1, 255);
			break;
		case 'n':
			slla = false;
			break;
		case 'w':
			wait_ms = tool_num("rsclient", "--wait", optarg, 0, 60000);
			break;
		default:
			fprintf(stderr,
				"usage: rsclient --iface IF --mac MAC [--to ADDR] [--hops N] "
				"[--no-slla] [--wait MS]\n");
			return 2;
		}
	}
	if (!iface || !have_mac || inet_pton(AF_INET6, to, &dst.sin6_addr) != 1) {
		fprintf(stderr, "rsclient: --iface and --mac are needed, --to an IPv6 address\n");
		return 2;
	}
	dst.sin6_scope_id = if_nametoindex(iface);
	fd = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	if (fd < 0 || !dst.sin6_scope_id) {
		perror("rsclient: socket or interface");
		return 2;
	}
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ND_ROUTER_ADVERT, &f);
	setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops));
	setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops));
	setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &dst.sin6_scope_id,
		   sizeof(dst.sin6_scope_id));
	rs[8] = NDP_OPT_SLLA;
	rs[9] = 1;
	memcpy(rs + 10, mac, 6);
	if (sendto(fd, rs, slla ? 16 : 8, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		perror("rsclient: sendto");
		return 2;
	}
	o = receive(fd, wait_ms);
	printf("received=%d\n", o);
	close(fd);
	return o ? 0 : 1;
}
