/* dhcpload: a proxyDHCP load generator for make bench — keeps K PXE DISCOVERs in flight
 * from many fake MACs, matches each reply to its request by xid and chaddr, checks it
 * (parsed by dhcp_parse(): replies are untrusted) and prints one key=value result line.
 * Bounded: stops at --count requests or --duration seconds, whichever comes first.
 * Latency is send to reply; a request with no reply within --timeout-ms is lost, and
 * its slot takes a new request. With --port 4011 (and --to the server) it sends the
 * REQUEST a PXE ROM sends there instead, and expects an ACK.
 *
 *   dhcpload --iface IF [--to ADDR] [--port 67|4011] [--count N] [--duration S]
 *            [--inflight K] [--macs M] [--arch N] [--timeout-ms T] [--src ADDR]
 *   dhcpload --reflect --iface IF [--port 67] [--duration S]
 *
 * --reflect is the other end, for a floor: a responder doing no DHCP work at all, each
 * request sent back as it came (op = 2) to 255.255.255.255:68, the way a proxyDHCP
 * answers. What it measures is the kernel's and the scheduler's share of a round trip
 * on this machine; its replies are counted invalid (no options checked), by design.
 *
 * Output: sent= replies= valid= invalid= yiaddr_nonzero= lost= late= elapsed_s= rate=
 *         p50_us= p99_us= max_us= cpu_us=   (rate = valid replies per second; cpu_us is
 *         this tool's own CPU time, to show the generator is not the bottleneck)
 * Exit status: 0 when at least one valid reply came, 1 when none, 2 on errors. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dhcpopt.h"

#define BATCH	     64	 /* datagrams per sendmmsg/recvmmsg */
#define PKT_CAP	     512 /* our DISCOVER is ~350 bytes */
#define MAX_INFLIGHT 4096

static int reflect(int fd, double duration);

struct slot {
	uint64_t sent_ns; /* 0 = free */
	uint32_t xid;
	uint16_t gen;
	uint8_t mac[6];
};

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int parse_addr(const char *s, uint32_t *out)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "dhcpload: %s: not an IPv4 address\n", s);
		return -1;
	}
	*out = a.s_addr;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* A DISCOVER as a PXE 2.1 ROM sends it (options 57, 60, 93, 94, 97, 55); to port 4011
 * the REQUEST the ROM sends there instead, asking for boot item 0x8000 layer 0. */
static int build_discover(uint8_t *buf, size_t *len, uint32_t xid, const uint8_t mac[6],
			  unsigned arch, bool pxe_port)
{
	static const uint8_t prl[] = { 1,  2,  3,  4,	5,   6,	  12,  13,  15,	 17,  18, 22,
				       23, 28, 40, 41,	42,  43,  50,  51,  54,	 58,  59, 60,
				       66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135 };
	struct dhcp_hdr h = { .op = 1, .htype = 1, .hlen = 6, .xid = xid, .flags = 0x8000 };
	uint8_t a[2] = { (uint8_t)(arch >> 8), (uint8_t)arch }, ndi[3] = { 1, 2, 1 },
		msz[2] = { 1260 >> 8, 1260 & 0xff };
	uint8_t guid[17] = { 0 };
	char vc[40];
	struct dhcp_build b;

	memcpy(h.chaddr, mac, 6);
	static const uint8_t base[12] = { 0xcb, 0x10, 0xad, 0x00, 0x00, 0x00,
					  0x40, 0x00, 0x80, 0x00, 0x00, 0x00 };
	memcpy(guid + 1, base, sizeof(base)); /* one machine per MAC: the MAC's low bytes */
	memcpy(guid + 13, mac + 2, 4);
	snprintf(vc, sizeof(vc), "PXEClient:Arch:%05u:UNDI:002001", arch);
	dhcp_build_start(&b, buf, PKT_CAP, &h, pxe_port ? DHCP_REQUEST : DHCP_DISCOVER);
	dhcp_build_opt(&b, DHCP_OPT_MAX_SIZE, msz, 2);
	dhcp_build_opt(&b, DHCP_OPT_PARAM_LIST, prl, sizeof(prl));
	dhcp_build_opt(&b, DHCP_OPT_CLIENT_ARCH, a, 2);
	dhcp_build_opt(&b, DHCP_OPT_CLIENT_NDI, ndi, 3);
	dhcp_build_opt(&b, DHCP_OPT_VENDOR_CLASS, vc, strlen(vc));
	dhcp_build_opt(&b, DHCP_OPT_CLIENT_GUID, guid, sizeof(guid));
	if (pxe_port)
		dhcp_build_opt(&b, DHCP_OPT_VENDOR, "\x47\x04\x80\x00\x00\x00\xff", 7);
	return dhcp_build_finish(&b, len);
}

/* What a PXE client needs from a proxyDHCP reply: no address, PXEClient, a server,
 * and (BIOS) a boot file — in the file field, option 67, or a boot-server list (43.8)
 * that sends the ROM on to port 4011. */
static bool reply_ok(const struct dhcp_msg *m, unsigned arch)
{
	const uint8_t *v, *s;
	size_t n, sl;

	if (m->h.yiaddr)
		return false;
	if (!dhcp_opt_prefix(m, DHCP_OPT_VENDOR_CLASS, "PXEClient"))
		return false;
	v = dhcp_opt_get(m, DHCP_OPT_SERVER_ID, &n);
	if (!v || n != 4 || !memcmp(v, "\0\0\0\0", 4))
		return false;
	if (arch == 0) {
		bool file = m->h.file[0] ||
			    ((v = dhcp_opt_get(m, DHCP_OPT_BOOTFILE, &n)) && n && v[0]);
		bool servers = (v = dhcp_opt_get(m, DHCP_OPT_VENDOR, &n)) &&
			       !dhcp_sub_get(v, n, 8, &s, &sl) && sl >= 7;
		if (!file && !servers)
			return false;
		if (file && !m->h.siaddr && !dhcp_opt_get(m, DHCP_OPT_TFTP_SERVER, &n))
			return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "to", required_argument, NULL, 'T' },
		{ "port", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "inflight", required_argument, NULL, 'k' },
		{ "macs", required_argument, NULL, 'm' },
		{ "arch", required_argument, NULL, 'a' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "src", required_argument, NULL, 's' },
		{ "reflect", no_argument, NULL, 'r' },
		{ 0 },
	};
	const char *iface = NULL;
	uint32_t to = htonl(INADDR_BROADCAST), src = htonl(INADDR_ANY);
	unsigned long count = 10000, macs = 1000, inflight = 64, arch = 0, port = 67,
		      timeout_ms = 1000;
	double duration = 10;
	int o, fd, one = 1, bufsz = 4 << 20, reflecting = 0;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'i':
			iface = optarg;
			break;
		case 'T':
			if (parse_addr(optarg, &to))
				return 2;
			break;
		case 's':
			if (parse_addr(optarg, &src))
				return 2;
			break;
		case 'p':
			port = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			count = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			duration = strtod(optarg, NULL);
			break;
		case 'k':
			inflight = strtoul(optarg, NULL, 10);
			break;
		case 'm':
			macs = strtoul(optarg, NULL, 10);
			break;
		case 'a':
			arch = strtoul(optarg, NULL, 10);
			break;
		case 't':
			timeout_ms = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			reflecting = 1;
			break;
		default:
			return 2;
		}
	}
	if (!iface)
		return fprintf(stderr, "dhcpload: --iface is required\n"), 2;
	if (!port || port > 65535 || !count || count > 100000000 ||
	    !(duration > 0 && duration <= 600) || !inflight || inflight > MAX_INFLIGHT || !macs ||
	    macs > 0xffffff || arch > 0xffff || !timeout_ms || timeout_ms > 60000)
		return fprintf(stderr,
			       "dhcpload: bad value: need --port 1..65535, --count 1..1e8, "
			       "--duration 0..600, "
			       "--inflight 1..%d, --macs 1..16777215, --arch 0..65535, "
			       "--timeout-ms 1..60000\n",
			       MAX_INFLIGHT),
		       2;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return perror("dhcpload: socket"), 2;
	/* Replies are broadcast to 255.255.255.255:68: bind the port on the wildcard (or
	 * --src) address, on the one interface. */
	struct sockaddr_in me = { .sin_family = AF_INET,
				  .sin_port = htons(reflecting ? (uint16_t)port : DHCP_PORT_CLIENT),
				  .sin_addr.s_addr = src };
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, iface, (socklen_t)strlen(iface)))
		return perror("dhcpload: setsockopt"), 2;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz,
		   sizeof(bufsz)); /* best effort: capped by rmem_max */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)))
		return perror("dhcpload: bind"), 2;
	if (reflecting)
		return reflect(fd, duration);

	struct slot *slot = calloc(inflight, sizeof(*slot));
	unsigned *freel = calloc(inflight, sizeof(*freel));
	size_t lat_cap = count < 65536 ? count : 65536, nlat = 0; /* grows up to count */
	uint32_t *lat = malloc(lat_cap * sizeof(*lat));
	static uint8_t sbuf[BATCH][PKT_CAP], rbuf[BATCH][DHCP_MAX_LEN + 1];
	static struct dhcp_msg m;
	struct mmsghdr smsg[BATCH], rmsg[BATCH];
	struct iovec siov[BATCH], riov[BATCH];
	unsigned sslot[BATCH];
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)port),
				   .sin_addr.s_addr = to };
	uint32_t key = ((uint32_t)now_ns() ^ (uint32_t)getpid() << 16) & 0xffff0000u;
	unsigned long sent = 0, replies = 0, valid = 0, invalid = 0, yinz = 0, lost = 0, late = 0,
		      mac_i = 0;
	size_t nfree = inflight, active = 0;
	uint64_t t0, end_send, last = 0, tmo = (uint64_t)timeout_ms * 1000000u;
	uint32_t maxlat = 0;

	if (!slot || !freel || !lat)
		return fprintf(stderr, "dhcpload: out of memory\n"), 2;
	for (size_t i = 0; i < inflight; i++)
		freel[i] = (unsigned)(inflight - 1 - i);
	memset(rmsg, 0, sizeof(rmsg));
	for (int i = 0; i < BATCH; i++) {
		riov[i] = (struct iovec){ rbuf[i], sizeof(rbuf[i]) };
		rmsg[i].msg_hdr.msg_iov = &riov[i];
		rmsg[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_ns();
	end_send = t0 + (uint64_t)(duration * 1e9);
	for (;;) {
		uint64_t now = now_ns();
		bool sending = sent < count && now < end_send;

		/* Fill every free slot with a new DISCOVER, in batches. */
		while (sending && nfree) {
			int n = 0;
			while (n < BATCH && nfree && sent + (unsigned long)n < count) {
				unsigned s = freel[--nfree];
				struct slot *sl = &slot[s];
				size_t len;
				unsigned long idx = mac_i++ % macs;

				sl->gen++;
				sl->xid = ((uint32_t)sl->gen << 16 | s) ^ key;
				sl->mac[0] = 0x02; /* locally administered, unicast */
				sl->mac[1] = 0xcb;
				sl->mac[2] = 0;
				sl->mac[3] = (uint8_t)(idx >> 16);
				sl->mac[4] = (uint8_t)(idx >> 8);
				sl->mac[5] = (uint8_t)idx;
				if (build_discover(sbuf[n], &len, sl->xid, sl->mac, (unsigned)arch,
						   port == DHCP_PORT_PXE))
					return fprintf(stderr, "dhcpload: packet does not fit\n"),
					       2;
				siov[n] = (struct iovec){ sbuf[n], len };
				memset(&smsg[n], 0, sizeof(smsg[n]));
				smsg[n].msg_hdr = (struct msghdr){ .msg_name = &dst,
								   .msg_namelen = sizeof(dst),
								   .msg_iov = &siov[n],
								   .msg_iovlen = 1 };
				sslot[n++] = s;
			}
			if (!n)
				break;
			uint64_t ts = now_ns();
			int r = sendmmsg(fd, smsg, (unsigned)n, 0);
			if (r < 0) {
				if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR)
					return perror("dhcpload: sendmmsg"), 2;
				r = 0;
			}
			for (int i = 0; i < n; i++) {
				if (i < r) {
					slot[sslot[i]].sent_ns = ts;
					active++;
				} else {
					freel[nfree++] =
						sslot[i]; /* not sent: try again next round */
				}
			}
			sent += (unsigned long)r;
			if (r < n)
				break;
		}
		if (!sending && !active)
			break;

		/* Wait for replies until the earliest timeout (or the end of sending). */
		uint64_t next = sending ? end_send : UINT64_MAX;
		for (size_t i = 0; i < inflight; i++)
			if (slot[i].sent_ns && slot[i].sent_ns + tmo < next)
				next = slot[i].sent_ns + tmo;
		now = now_ns();
		int wait_ms = next <= now ? 0 : (int)((next - now + 999999) / 1000000);
		struct pollfd pfd = { fd, POLLIN, 0 };
		if (wait_ms > 100)
			wait_ms = 100;
		if (poll(&pfd, 1, wait_ms) > 0) {
			for (;;) {
				for (int i = 0; i < BATCH; i++)
					rmsg[i].msg_hdr.msg_flags = 0;
				int r = recvmmsg(fd, rmsg, BATCH, MSG_DONTWAIT, NULL);
				uint64_t tr = now_ns();
				if (r <= 0)
					break;
				for (int i = 0; i < r; i++) {
					const char *why = NULL;
					if (rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) {
						replies++, invalid++;
						continue;
					}
					if (dhcp_parse(rbuf[i], rmsg[i].msg_len, &m, &why)) {
						replies++, invalid++;
						continue;
					}
					if (m.h.op != 2)
						continue; /* a request (ours or another client's), not a reply */
					unsigned s = (m.h.xid ^ key) & 0xffff;
					if (s >= inflight) {
						replies++, invalid++; /* never ours */
						continue;
					}
					if (!slot[s].sent_ns || slot[s].xid != m.h.xid) {
						late++; /* after its timeout, or a second reply */
						continue;
					}
					replies++;
					if (memcmp(m.h.chaddr, slot[s].mac, 6)) {
						invalid++;
						continue;
					}
					uint64_t d = (tr - slot[s].sent_ns) / 1000;
					uint32_t us = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
					if (m.h.yiaddr)
						yinz++;
					if (reply_ok(&m, (unsigned)arch) &&
					    dhcp_msg_type(&m) ==
						    (port == DHCP_PORT_PXE ? DHCP_ACK : DHCP_OFFER))
						valid++;
					else
						invalid++;
					if (nlat == lat_cap) {
						uint32_t *more = realloc(lat, 2 * lat_cap *
										      sizeof(*lat));
						if (!more)
							return fprintf(stderr,
								       "dhcpload: out of memory\n"),
							       2;
						lat = more;
						lat_cap *= 2;
					}
					lat[nlat++] = us;
					if (us > maxlat)
						maxlat = us;
					slot[s].sent_ns = 0;
					freel[nfree++] = s;
					active--;
					last = tr;
				}
				if (r < BATCH)
					break;
			}
		}
		now = now_ns();
		for (size_t i = 0; i < inflight; i++) {
			if (slot[i].sent_ns && now - slot[i].sent_ns >= tmo) {
				slot[i].sent_ns = 0;
				freel[nfree++] = (unsigned)i;
				active--;
				lost++;
			}
		}
	}

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double el = last > t0 ? (double)(last - t0) / 1e9 : 0;
	qsort(lat, nlat, sizeof(*lat), cmp_u32);
	uint32_t p50 = nlat ? lat[(nlat - 1) / 2] : 0,
		 p99 = nlat ? lat[(size_t)((double)(nlat - 1) * 0.99)] : 0;
	printf("sent=%lu replies=%lu valid=%lu invalid=%lu yiaddr_nonzero=%lu lost=%lu late=%lu "
	       "elapsed_s=%.3f "
	       "rate=%.1f p50_us=%u p99_us=%u max_us=%u cpu_us=%ld\n",
	       sent, replies, valid, invalid, yinz, lost, late, el,
	       el > 0 ? (double)valid / el : 0.0, p50, p99, maxlat,
	       (long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
		       ru.ru_stime.tv_usec);
	free(slot);
	free(freel);
	free(lat);
	close(fd);
	return valid ? 0 : 1;
}

/* The floor responder: epoll-free, one poll per wake-up, then every queued datagram
 * sent straight back (recvmmsg/sendmmsg), until the duration is over. */
static int reflect(int fd, double duration)
{
	static uint8_t buf[BATCH][DHCP_MAX_LEN + 1];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in bc = { .sin_family = AF_INET,
				  .sin_port = htons(DHCP_PORT_CLIENT),
				  .sin_addr.s_addr = htonl(INADDR_BROADCAST) };
	uint64_t end = now_ns() + (uint64_t)(duration * 1e9);
	unsigned long n = 0;

	for (uint64_t now; (now = now_ns()) < end;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		uint64_t left_ms = (end - now) / 1000000 + 1;
		if (poll(&pfd, 1, left_ms > 100 ? 100 : (int)left_ms) <= 0)
			continue;
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
			mm[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
		}
		int r = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
		for (int i = 0; i < r; i++) {
			buf[i][0] = 2; /* BOOTREPLY */
			iov[i].iov_len = mm[i].msg_len;
			mm[i].msg_hdr = (struct msghdr){ .msg_name = &bc,
							 .msg_namelen = sizeof(bc),
							 .msg_iov = &iov[i],
							 .msg_iovlen = 1 };
		}
		for (int i = 0; i < r;) {
			int s = sendmmsg(fd, mm + i, (unsigned)(r - i), 0);
			if (s <= 0)
				break;
			i += s;
		}
		if (r > 0)
			n += (unsigned long)r;
	}
	printf("reflected=%lu\n", n);
	return 0;
}
