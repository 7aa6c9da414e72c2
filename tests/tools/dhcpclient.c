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

struct opts {
	const char *iface, *vendor, *uc;
	uint32_t to, giaddr, ciaddr, sid, xid;
	unsigned port, lport, wait, count;
	int arch, guid, item71, type;
	uint8_t mac[6];
};

static const struct option long_opts[] = {
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

/* The options that take an address or a MAC; 0, or -1 after a message. */
static int parse_addr_opt(int c, const char *arg, struct opts *o)
{
	switch (c) {
	case 'T':
		return parse_addr(arg, &o->to);
	case 'G':
		return parse_addr(arg, &o->giaddr);
	case 'C':
		return parse_addr(arg, &o->ciaddr);
	case 's':
		return parse_addr(arg, &o->sid);
	default: /* 'm' */
		if (sscanf(arg, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &o->mac[0], &o->mac[1], &o->mac[2],
			   &o->mac[3], &o->mac[4], &o->mac[5]) != 6)
			return fprintf(stderr, "dhcpclient: bad --mac\n"), -1;
		return 0;
	}
}

/* One option from getopt_long into o; 0, or -1 on a usage error. */
static int parse_opt(int c, const char *arg, struct opts *o, const char **type_s)
{
	switch (c) {
	case 'T':
	case 'G':
	case 'C':
	case 's':
	case 'm':
		return parse_addr_opt(c, arg, o);
	case 'i':
		o->iface = arg;
		break;
	case 't':
		*type_s = arg;
		break;
	case 'p':
		o->port = (unsigned)atoi(arg);
		break;
	case 'l':
		o->lport = (unsigned)atoi(arg);
		break;
	case 'V':
		o->vendor = arg;
		break;
	case 'N':
		o->vendor = NULL;
		break;
	case 'a':
		o->arch = atoi(arg);
		break;
	case 'u':
		o->uc = arg;
		break;
	case 'g':
		o->guid = !strcmp(arg, "none") ? -1 : atoi(arg);
		break;
	case '7':
		o->item71 = 1;
		break;
	case 'x':
		o->xid = (uint32_t)strtoul(arg, NULL, 0);
		break;
	case 'w':
		o->wait = (unsigned)atoi(arg);
		break;
	case 'c':
		o->count = (unsigned)atoi(arg);
		break;
	default:
		return -1;
	}
	return 0;
}

/* The command line into o; 0, or the exit status 2 on a usage error. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	const char *type_s = "discover";
	int c;

	*o = (struct opts){ .vendor = "PXEClient:Arch:00000:UNDI:002001",
			    .to = htonl(INADDR_BROADCAST),
			    .xid = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 8,
			    .port = 67,
			    .lport = 68,
			    .wait = 1500,
			    .arch = -1,
			    .guid = 17,
			    .mac = { 0x52, 0x54, 0x00, 0xde, 0xad, 0x01 } };
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1)
		if (parse_opt(c, optarg, o, &type_s))
			return 2;
	if (!o->iface)
		return fprintf(stderr, "dhcpclient: --iface is required\n"), 2;
	o->type = !strcmp(type_s, "discover")  ? DHCP_DISCOVER
		  : !strcmp(type_s, "request") ? DHCP_REQUEST
		  : !strcmp(type_s, "inform")  ? DHCP_INFORM
		  : !strcmp(type_s, "release") ? DHCP_RELEASE
					       : 0;
	if (!o->type || o->wait > 30000)
		return fprintf(stderr, "dhcpclient: bad --type or --wait\n"), 2;
	return 0;
}

/* The request as o asks for it into buf; 0, or 2 when it does not fit. */
static int build_request(const struct opts *o, uint8_t *buf, size_t cap, size_t *len)
{
	struct dhcp_hdr h = { .op = 1,
			      .htype = 1,
			      .hlen = 6,
			      .xid = o->xid,
			      .ciaddr = o->ciaddr,
			      .giaddr = o->giaddr,
			      .flags = o->ciaddr ? 0 : 0x8000 };
	struct dhcp_build b;

	memcpy(h.chaddr, o->mac, 6);
	if (o->giaddr)
		h.hops = 1;
	dhcp_build_start(&b, buf, cap, &h, (uint8_t)o->type);
	if (o->vendor)
		dhcp_build_opt(&b, DHCP_OPT_VENDOR_CLASS, o->vendor, strlen(o->vendor));
	if (o->arch >= 0) {
		uint8_t a[2] = { (uint8_t)(o->arch >> 8), (uint8_t)o->arch };
		dhcp_build_opt(&b, DHCP_OPT_CLIENT_ARCH, a, 2);
	}
	if (o->uc)
		dhcp_build_opt(&b, DHCP_OPT_USER_CLASS, o->uc, strlen(o->uc));
	if (o->guid >= 0) {
		uint8_t g[17] = { 0,	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
				  0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01 };
		dhcp_build_opt(&b, DHCP_OPT_CLIENT_GUID, o->guid == 16 ? g + 1 : g,
			       o->guid == 16 ? 16
			       : o->guid     ? 17
					     : 0);
	}
	if (o->sid)
		dhcp_build_opt(&b, DHCP_OPT_SERVER_ID, &o->sid, 4);
	if (o->item71)
		dhcp_build_opt(&b, DHCP_OPT_VENDOR, "\x47\x04\x80\x00\x00\x00\xff", 7);
	if (dhcp_build_finish(&b, len))
		return fprintf(stderr, "dhcpclient: packet does not fit\n"), 2;
	return 0;
}

/* A UDP socket on --listen-port, bound to --iface, that may broadcast; -1 after perror. */
static int open_socket(const struct opts *o)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons((uint16_t)o->lport) };
	int one = 1, fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return perror("socket"), -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->iface, (socklen_t)strlen(o->iface)))
		return perror("setsockopt"), -1;
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)))
		return perror("bind"), -1;
	return fd;
}

/* Print every reply within --wait (up to --count of ours); how many had our xid. */
static int collect_replies(int fd, const struct opts *o, uint8_t *buf, size_t cap)
{
	static struct dhcp_msg m;
	uint64_t end = tool_now_ms() + o->wait;
	int got = 0;

	for (;;) {
		uint64_t t = tool_now_ms();
		struct pollfd pfd = { fd, POLLIN, 0 };
		if (t >= end)
			break;
		if (poll(&pfd, 1, (int)(end - t)) <= 0)
			continue;
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&from, &fl);
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
		print_reply(&m, &from, o->xid);
		fflush(stdout);
		if (m.h.xid == o->xid && ++got && o->count && (unsigned)got >= o->count)
			break;
	}
	return got;
}

int main(int argc, char **argv)
{
	static uint8_t buf[DHCP_MAX_LEN + 1];
	struct opts o;
	size_t len;
	int fd, got, rc;

	if ((rc = parse_opts(argc, argv, &o)) != 0 ||
	    (rc = build_request(&o, buf, sizeof(buf), &len)) != 0)
		return rc;
	if ((fd = open_socket(&o)) < 0)
		return 2;
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)o.port),
				   .sin_addr.s_addr = o.to };
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		return perror("sendto"), 2;
	printf("sent type=%s xid=0x%08x to=%s:%u bytes=%zu\n", dhcp_type_name(o.type), o.xid,
	       inet_ntoa(dst.sin_addr), o.port, len);
	fflush(stdout);
	got = collect_replies(fd, &o, buf, sizeof(buf));
	printf("replies=%d\n", got);
	close(fd);
	return got ? 0 : 1;
}
