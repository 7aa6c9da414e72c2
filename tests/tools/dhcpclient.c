/* dhcpclient: a test client for chainbootd's proxyDHCP — sends one DISCOVER, REQUEST or
 * INFORM with chosen options (as a PXE ROM, iPXE, or a relay agent would) and prints
 * every reply received within the wait as one key=value line. Replies are untrusted
 * and go through dhcp_parse(). For integration tests inside network namespaces.
 *
 *   dhcpclient --iface IF [--type discover|request|inform] [--to ADDR] [--port N]
 *              [--listen-port N] [--mac MAC] [--vendor STR|--no-vendor] [--arch N]
 *              [--user-class STR] [--guid 17|16|0|none] [--giaddr ADDR] [--ciaddr ADDR]
 *              [--sid ADDR] [--item71] [--xid N] [--wait MS] [--count N]
 *
 * Exit status: 0 when at least one reply with our xid came, 1 when none, 2 on errors. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dhcpopt.h"
#include "tool.h"

static void hex(const uint8_t *p, size_t n, char *out, size_t outsz)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 3 < outsz; i++)
		o += (size_t)snprintf(out + o, outsz - o, "%02x", p[i]);
	if (!n)
		snprintf(out, outsz, "-");
}

/* Printable text of a counted value ("..." with non-printables as '?'). */
static void text(const uint8_t *p, size_t n, char *out, size_t outsz)
{
	size_t o = 0;
	out[o++] = '"';
	for (size_t i = 0; i < n && o + 2 < outsz; i++)
		out[o++] = p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' ? (char)p[i] : '?';
	out[o++] = '"';
	out[o] = '\0';
}

static int parse_addr(const char *s, uint32_t *out)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "dhcpclient: %s: not an IPv4 address\n", s);
		return -1;
	}
	*out = a.s_addr;
	return 0;
}

static void print_reply(const struct dhcp_msg *m, const struct sockaddr_in *from, uint32_t xid)
{
	char f[160], sn[80], o54[20] = "-", o60[80] = "-", o67[300] = "-", o97[40] = "-",
			     o43[80] = "-", o77[80] = "-";
	char yi[16], si[16], gi[16], ci[16], sub6[8] = "-";
	const uint8_t *v, *s;
	size_t n, sl;
	struct in_addr a;

	text(m->h.file, strnlen((const char *)m->h.file, sizeof(m->h.file)), f, sizeof(f));
	text(m->h.sname, strnlen((const char *)m->h.sname, sizeof(m->h.sname)), sn, sizeof(sn));
	if ((v = dhcp_opt_get(m, DHCP_OPT_SERVER_ID, &n)) && n == 4)
		inet_ntop(AF_INET, v, o54, sizeof(o54));
	if ((v = dhcp_opt_get(m, DHCP_OPT_VENDOR_CLASS, &n)))
		text(v, n, o60, sizeof(o60));
	if ((v = dhcp_opt_get(m, DHCP_OPT_BOOTFILE, &n)))
		text(v, n, o67, sizeof(o67));
	if ((v = dhcp_opt_get(m, DHCP_OPT_CLIENT_GUID, &n)))
		snprintf(o97, sizeof(o97), "len%zu", n);
	if ((v = dhcp_opt_get(m, DHCP_OPT_USER_CLASS, &n)))
		text(v, n, o77, sizeof(o77));
	if ((v = dhcp_opt_get(m, DHCP_OPT_VENDOR, &n))) {
		hex(v, n, o43, sizeof(o43));
		if (!dhcp_sub_get(v, n, PXE_SUB_DISCOVERY_CONTROL, &s, &sl) && sl == 1)
			snprintf(sub6, sizeof(sub6), "%u", s[0]);
	}
	a.s_addr = m->h.yiaddr;
	inet_ntop(AF_INET, &a, yi, sizeof(yi));
	a.s_addr = m->h.siaddr;
	inet_ntop(AF_INET, &a, si, sizeof(si));
	a.s_addr = m->h.giaddr;
	inet_ntop(AF_INET, &a, gi, sizeof(gi));
	a.s_addr = m->h.ciaddr;
	inet_ntop(AF_INET, &a, ci, sizeof(ci));
	printf("reply from=%s:%u op=%u type=%s xid=0x%08x ours=%s yiaddr=%s siaddr=%s giaddr=%s "
	       "ciaddr=%s file=%s "
	       "sname=%s opt54=%s opt60=%s opt67=%s opt97=%s opt77=%s opt43=%s sub6=%s\n",
	       inet_ntoa(from->sin_addr), ntohs(from->sin_port), m->h.op,
	       dhcp_type_name(dhcp_msg_type(m)), m->h.xid, m->h.xid == xid ? "yes" : "no", yi, si,
	       gi, ci, f, sn, o54, o60, o67, o97, o77, o43, sub6);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "type", required_argument, NULL, 't' },
		{ "to", required_argument, NULL, 'T' },
		{ "port", required_argument, NULL, 'p' },
		{ "listen-port", required_argument, NULL, 'l' },
		{ "mac", required_argument, NULL, 'm' },
		{ "vendor", required_argument, NULL, 'V' },
		{ "no-vendor", no_argument, NULL, 'N' },
		{ "arch", required_argument, NULL, 'a' },
		{ "user-class", required_argument, NULL, 'u' },
		{ "guid", required_argument, NULL, 'g' },
		{ "giaddr", required_argument, NULL, 'G' },
		{ "ciaddr", required_argument, NULL, 'C' },
		{ "sid", required_argument, NULL, 's' },
		{ "item71", no_argument, NULL, '7' },
		{ "xid", required_argument, NULL, 'x' },
		{ "wait", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'c' },
		{ 0 },
	};
	const char *iface = NULL, *vendor = "PXEClient:Arch:00000:UNDI:002001", *uc = NULL,
		   *type_s = "discover";
	uint32_t to = htonl(INADDR_BROADCAST), giaddr = 0, ciaddr = 0, sid = 0;
	unsigned port = 67, lport = 68, wait = 1500, count = 0;
	int arch = -1, guid = 17, item71 = 0, o, fd, one = 1, got = 0, type;
	uint32_t xid = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 8;
	uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xde, 0xad, 0x01 };
	static uint8_t buf[DHCP_MAX_LEN + 1];
	static struct dhcp_msg m;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'i':
			iface = optarg;
			break;
		case 't':
			type_s = optarg;
			break;
		case 'T':
			if (parse_addr(optarg, &to))
				return 2;
			break;
		case 'p':
			port = (unsigned)atoi(optarg);
			break;
		case 'l':
			lport = (unsigned)atoi(optarg);
			break;
		case 'm':
			if (sscanf(optarg, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
				   &mac[2], &mac[3], &mac[4], &mac[5]) != 6)
				return fprintf(stderr, "dhcpclient: bad --mac\n"), 2;
			break;
		case 'V':
			vendor = optarg;
			break;
		case 'N':
			vendor = NULL;
			break;
		case 'a':
			arch = atoi(optarg);
			break;
		case 'u':
			uc = optarg;
			break;
		case 'g':
			guid = !strcmp(optarg, "none") ? -1 : atoi(optarg);
			break;
		case 'G':
			if (parse_addr(optarg, &giaddr))
				return 2;
			break;
		case 'C':
			if (parse_addr(optarg, &ciaddr))
				return 2;
			break;
		case 's':
			if (parse_addr(optarg, &sid))
				return 2;
			break;
		case '7':
			item71 = 1;
			break;
		case 'x':
			xid = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'w':
			wait = (unsigned)atoi(optarg);
			break;
		case 'c':
			count = (unsigned)atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (!iface)
		return fprintf(stderr, "dhcpclient: --iface is required\n"), 2;
	type = !strcmp(type_s, "discover")  ? DHCP_DISCOVER
	       : !strcmp(type_s, "request") ? DHCP_REQUEST
	       : !strcmp(type_s, "inform")  ? DHCP_INFORM
	       : !strcmp(type_s, "release") ? DHCP_RELEASE
					    : 0;
	if (!type || wait > 30000)
		return fprintf(stderr, "dhcpclient: bad --type or --wait\n"), 2;

	struct dhcp_hdr h = { .op = 1,
			      .htype = 1,
			      .hlen = 6,
			      .xid = xid,
			      .ciaddr = ciaddr,
			      .giaddr = giaddr,
			      .flags = ciaddr ? 0 : 0x8000 };
	struct dhcp_build b;
	size_t len;
	memcpy(h.chaddr, mac, 6);
	if (giaddr)
		h.hops = 1;
	dhcp_build_start(&b, buf, sizeof(buf), &h, (uint8_t)type);
	if (vendor)
		dhcp_build_opt(&b, DHCP_OPT_VENDOR_CLASS, vendor, strlen(vendor));
	if (arch >= 0) {
		uint8_t a[2] = { (uint8_t)(arch >> 8), (uint8_t)arch };
		dhcp_build_opt(&b, DHCP_OPT_CLIENT_ARCH, a, 2);
	}
	if (uc)
		dhcp_build_opt(&b, DHCP_OPT_USER_CLASS, uc, strlen(uc));
	if (guid >= 0) {
		uint8_t g[17] = { 0,	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
				  0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01 };
		dhcp_build_opt(&b, DHCP_OPT_CLIENT_GUID, guid == 16 ? g + 1 : g,
			       guid == 16 ? 16
			       : guid	  ? 17
					  : 0);
	}
	if (sid)
		dhcp_build_opt(&b, DHCP_OPT_SERVER_ID, &sid, 4);
	if (item71)
		dhcp_build_opt(&b, DHCP_OPT_VENDOR, "\x47\x04\x80\x00\x00\x00\xff", 7);
	if (dhcp_build_finish(&b, &len))
		return fprintf(stderr, "dhcpclient: packet does not fit\n"), 2;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return perror("socket"), 2;
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons((uint16_t)lport) };
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, iface, (socklen_t)strlen(iface)))
		return perror("setsockopt"), 2;
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)))
		return perror("bind"), 2;
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)port),
				   .sin_addr.s_addr = to };
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		return perror("sendto"), 2;
	printf("sent type=%s xid=0x%08x to=%s:%u bytes=%zu\n", dhcp_type_name(type), xid,
	       inet_ntoa(dst.sin_addr), port, len);
	fflush(stdout);

	uint64_t end = tool_now_ms() + wait;
	for (;;) {
		uint64_t t = tool_now_ms();
		struct pollfd pfd = { fd, POLLIN, 0 };
		if (t >= end)
			break;
		if (poll(&pfd, 1, (int)(end - t)) <= 0)
			continue;
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		const char *why = NULL;
		if (r < 0)
			continue;
		if (dhcp_parse(buf, (size_t)r, &m, &why)) {
			printf("reply from=%s:%u malformed=\"%s\"\n", inet_ntoa(from.sin_addr),
			       ntohs(from.sin_port), why ? why : "?");
			continue;
		}
		if (m.h.op != 2)
			continue; /* our own broadcast, or another client's request */
		print_reply(&m, &from, xid);
		fflush(stdout);
		if (m.h.xid == xid && ++got && count && (unsigned)got >= count)
			break;
	}
	printf("replies=%d\n", got);
	close(fd);
	return got ? 0 : 1;
}
