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

struct opts {
	const char *iface;
	uint32_t to, src;
	unsigned long count, macs, inflight, arch, port, timeout_ms;
	double duration;
	int reflecting;
};

/* One run: the slots in flight, the counters, the latencies, the batch buffers. */
struct run {
	const struct opts *o;
	int fd;
	struct slot *slot;
	unsigned *freel;
	size_t nfree, active;
	uint32_t *lat, maxlat;
	size_t lat_cap, nlat; /* grows up to count */
	uint32_t key;
	struct sockaddr_in dst;
	unsigned long sent, replies, valid, invalid, yinz, lost, late, mac_i;
	uint64_t t0, end_send, last, tmo;
	uint8_t sbuf[BATCH][PKT_CAP], rbuf[BATCH][DHCP_MAX_LEN + 1];
	struct dhcp_msg m;
	struct mmsghdr smsg[BATCH], rmsg[BATCH];
	struct iovec siov[BATCH], riov[BATCH];
	unsigned sslot[BATCH];
};

static int parse_opts(int argc, char **argv, struct opts *o)
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
	int c;

	*o = (struct opts){ .to = htonl(INADDR_BROADCAST),
			    .src = htonl(INADDR_ANY),
			    .count = 10000,
			    .macs = 1000,
			    .inflight = 64,
			    .port = 67,
			    .timeout_ms = 1000,
			    .duration = 10 };
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->iface = optarg;
			break;
		case 'T':
			if (parse_addr(optarg, &o->to))
				return 2;
			break;
		case 's':
			if (parse_addr(optarg, &o->src))
				return 2;
			break;
		case 'p':
			o->port = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			o->count = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			o->duration = strtod(optarg, NULL);
			break;
		case 'k':
			o->inflight = strtoul(optarg, NULL, 10);
			break;
		case 'm':
			o->macs = strtoul(optarg, NULL, 10);
			break;
		case 'a':
			o->arch = strtoul(optarg, NULL, 10);
			break;
		case 't':
			o->timeout_ms = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			o->reflecting = 1;
			break;
		default:
			return 2;
		}
	}
	if (!o->iface)
		return fprintf(stderr, "dhcpload: --iface is required\n"), 2;
	if (!o->port || o->port > 65535 || !o->count || o->count > 100000000 ||
	    !(o->duration > 0 && o->duration <= 600) || !o->inflight ||
	    o->inflight > MAX_INFLIGHT || !o->macs || o->macs > 0xffffff || o->arch > 0xffff ||
	    !o->timeout_ms || o->timeout_ms > 60000)
		return fprintf(stderr,
			       "dhcpload: bad value: need --port 1..65535, --count 1..1e8, "
			       "--duration 0..600, "
			       "--inflight 1..%d, --macs 1..16777215, --arch 0..65535, "
			       "--timeout-ms 1..60000\n",
			       MAX_INFLIGHT),
		       2;
	return 0;
}

/* Replies are broadcast to 255.255.255.255:68: bind the port on the wildcard (or
 * --src) address, on the one interface. Returns the socket or -1 (said why). */
static int open_socket(const struct opts *o)
{
	struct sockaddr_in me = { .sin_family = AF_INET,
				  .sin_port = htons(o->reflecting ? (uint16_t)o->port
								  : DHCP_PORT_CLIENT),
				  .sin_addr.s_addr = o->src };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1, bufsz = 4 << 20;

	if (fd < 0)
		return perror("dhcpload: socket"), -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->iface, (socklen_t)strlen(o->iface)))
		return perror("dhcpload: setsockopt"), close(fd), -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz,
		   sizeof(bufsz)); /* best effort: capped by rmem_max */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)))
		return perror("dhcpload: bind"), close(fd), -1;
	return fd;
}

static int run_init(struct run *r, const struct opts *o, int fd)
{
	r->o = o;
	r->fd = fd;
	r->slot = calloc(o->inflight, sizeof(*r->slot));
	r->freel = calloc(o->inflight, sizeof(*r->freel));
	r->lat_cap = o->count < 65536 ? o->count : 65536;
	r->lat = malloc(r->lat_cap * sizeof(*r->lat));
	if (!r->slot || !r->freel || !r->lat)
		return fprintf(stderr, "dhcpload: out of memory\n"), 2;
	r->dst = (struct sockaddr_in){ .sin_family = AF_INET,
				       .sin_port = htons((uint16_t)o->port),
				       .sin_addr.s_addr = o->to };
	r->key = ((uint32_t)now_ns() ^ (uint32_t)getpid() << 16) & 0xffff0000u;
	r->nfree = o->inflight;
	r->tmo = (uint64_t)o->timeout_ms * 1000000u;
	for (size_t i = 0; i < o->inflight; i++)
		r->freel[i] = (unsigned)(o->inflight - 1 - i);
	for (int i = 0; i < BATCH; i++) {
		r->riov[i] = (struct iovec){ r->rbuf[i], sizeof(r->rbuf[i]) };
		r->rmsg[i].msg_hdr.msg_iov = &r->riov[i];
		r->rmsg[i].msg_hdr.msg_iovlen = 1;
	}
	r->t0 = now_ns();
	r->end_send = r->t0 + (uint64_t)(o->duration * 1e9);
	return 0;
}

/* A new DISCOVER (or REQUEST) in free slot s, as the n-th datagram of the batch. */
static int prepare(struct run *r, unsigned s, int n)
{
	struct slot *sl = &r->slot[s];
	unsigned long idx = r->mac_i++ % r->o->macs;
	size_t len;

	sl->gen++;
	sl->xid = ((uint32_t)sl->gen << 16 | s) ^ r->key;
	sl->mac[0] = 0x02; /* locally administered, unicast */
	sl->mac[1] = 0xcb;
	sl->mac[2] = 0;
	sl->mac[3] = (uint8_t)(idx >> 16);
	sl->mac[4] = (uint8_t)(idx >> 8);
	sl->mac[5] = (uint8_t)idx;
	if (build_discover(r->sbuf[n], &len, sl->xid, sl->mac, (unsigned)r->o->arch,
			   r->o->port == DHCP_PORT_PXE))
		return fprintf(stderr, "dhcpload: packet does not fit\n"), 2;
	r->siov[n] = (struct iovec){ r->sbuf[n], len };
	memset(&r->smsg[n], 0, sizeof(r->smsg[n]));
	r->smsg[n].msg_hdr = (struct msghdr){ .msg_name = &r->dst,
					      .msg_namelen = sizeof(r->dst),
					      .msg_iov = &r->siov[n],
					      .msg_iovlen = 1 };
	r->sslot[n] = s;
	return 0;
}

/* Fill every free slot with a new request, in batches. Returns 0 or 2. */
static int send_some(struct run *r)
{
	while (r->nfree) {
		int n = 0, sent;
		uint64_t ts;

		while (n < BATCH && r->nfree && r->sent + (unsigned long)n < r->o->count)
			if (prepare(r, r->freel[--r->nfree], n++))
				return 2;
		if (!n)
			return 0;
		ts = now_ns();
		sent = sendmmsg(r->fd, r->smsg, (unsigned)n, 0);
		if (sent < 0) {
			if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR)
				return perror("dhcpload: sendmmsg"), 2;
			sent = 0;
		}
		for (int i = 0; i < n; i++) {
			if (i < sent) {
				r->slot[r->sslot[i]].sent_ns = ts;
				r->active++;
			} else {
				r->freel[r->nfree++] = r->sslot[i]; /* not sent: next round */
			}
		}
		r->sent += (unsigned long)sent;
		if (sent < n)
			return 0;
	}
	return 0;
}

/* Until the earliest timeout (or the end of sending), at most 100 ms. */
static int wait_ms(const struct run *r, bool sending)
{
	uint64_t next = sending ? r->end_send : UINT64_MAX, now;
	int ms;

	for (size_t i = 0; i < r->o->inflight; i++)
		if (r->slot[i].sent_ns && r->slot[i].sent_ns + r->tmo < next)
			next = r->slot[i].sent_ns + r->tmo;
	now = now_ns();
	ms = next <= now ? 0 : (int)((next - now + 999999) / 1000000);
	return ms > 100 ? 100 : ms;
}

/* The reply in rbuf[i] (len bytes) that arrived at tr. Returns 0 or 2. */
static int take_reply(struct run *r, int i, uint64_t tr)
{
	struct dhcp_msg *m = &r->m;
	const char *why = NULL;
	unsigned s;
	uint64_t d;
	uint32_t us;

	if ((r->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) ||
	    dhcp_parse(r->rbuf[i], r->rmsg[i].msg_len, m, &why)) {
		r->replies++, r->invalid++;
		return 0;
	}
	if (m->h.op != 2)
		return 0; /* a request (ours or another client's), not a reply */
	s = (m->h.xid ^ r->key) & 0xffff;
	if (s >= r->o->inflight) {
		r->replies++, r->invalid++; /* never ours */
		return 0;
	}
	if (!r->slot[s].sent_ns || r->slot[s].xid != m->h.xid) {
		r->late++; /* after its timeout, or a second reply */
		return 0;
	}
	r->replies++;
	if (memcmp(m->h.chaddr, r->slot[s].mac, 6)) {
		r->invalid++;
		return 0;
	}
	d = (tr - r->slot[s].sent_ns) / 1000;
	us = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	if (m->h.yiaddr)
		r->yinz++;
	if (reply_ok(m, (unsigned)r->o->arch) &&
	    dhcp_msg_type(m) == (r->o->port == DHCP_PORT_PXE ? DHCP_ACK : DHCP_OFFER))
		r->valid++;
	else
		r->invalid++;
	if (r->nlat == r->lat_cap) {
		uint32_t *more = realloc(r->lat, 2 * r->lat_cap * sizeof(*r->lat));
		if (!more)
			return fprintf(stderr, "dhcpload: out of memory\n"), 2;
		r->lat = more;
		r->lat_cap *= 2;
	}
	r->lat[r->nlat++] = us;
	if (us > r->maxlat)
		r->maxlat = us;
	r->slot[s].sent_ns = 0;
	r->freel[r->nfree++] = s;
	r->active--;
	r->last = tr;
	return 0;
}

/* Every reply queued now. Returns 0 or 2. */
static int receive(struct run *r)
{
	for (;;) {
		int n;
		uint64_t tr;

		for (int i = 0; i < BATCH; i++)
			r->rmsg[i].msg_hdr.msg_flags = 0;
		n = recvmmsg(r->fd, r->rmsg, BATCH, MSG_DONTWAIT, NULL);
		tr = now_ns();
		if (n <= 0)
			return 0;
		for (int i = 0; i < n; i++)
			if (take_reply(r, i, tr))
				return 2;
		if (n < BATCH)
			return 0;
	}
}

/* Requests without a reply within the timeout are lost; their slots are free again. */
static void expire(struct run *r)
{
	uint64_t now = now_ns();

	for (size_t i = 0; i < r->o->inflight; i++) {
		if (r->slot[i].sent_ns && now - r->slot[i].sent_ns >= r->tmo) {
			r->slot[i].sent_ns = 0;
			r->freel[r->nfree++] = (unsigned)i;
			r->active--;
			r->lost++;
		}
	}
}

static void report(struct run *r)
{
	struct rusage ru;
	double el = r->last > r->t0 ? (double)(r->last - r->t0) / 1e9 : 0;
	uint32_t p50, p99;

	getrusage(RUSAGE_SELF, &ru);
	qsort(r->lat, r->nlat, sizeof(*r->lat), cmp_u32);
	p50 = r->nlat ? r->lat[(r->nlat - 1) / 2] : 0;
	p99 = r->nlat ? r->lat[(size_t)((double)(r->nlat - 1) * 0.99)] : 0;
	printf("sent=%lu replies=%lu valid=%lu invalid=%lu yiaddr_nonzero=%lu lost=%lu late=%lu "
	       "elapsed_s=%.3f "
	       "rate=%.1f p50_us=%u p99_us=%u max_us=%u cpu_us=%ld\n",
	       r->sent, r->replies, r->valid, r->invalid, r->yinz, r->lost, r->late, el,
	       el > 0 ? (double)r->valid / el : 0.0, p50, p99, r->maxlat,
	       (long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
		       ru.ru_stime.tv_usec);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct run *r;
	int fd, rc = parse_opts(argc, argv, &o);

	if (rc)
		return rc;
	fd = open_socket(&o);
	if (fd < 0)
		return 2;
	if (o.reflecting)
		return reflect(fd, o.duration);
	r = calloc(1, sizeof(*r)); /* the batch buffers are large: not on the stack */
	if (!r)
		return fprintf(stderr, "dhcpload: out of memory\n"), 2;
	rc = run_init(r, &o, fd);
	while (!rc) {
		bool sending = r->sent < o.count && now_ns() < r->end_send;
		struct pollfd pfd = { fd, POLLIN, 0 };

		if (sending)
			rc = send_some(r);
		if (rc || (!sending && !r->active))
			break;
		if (poll(&pfd, 1, wait_ms(r, sending)) > 0)
			rc = receive(r);
		expire(r);
	}
	if (!rc) {
		report(r);
		rc = r->valid ? 0 : 1;
	}
	free(r->slot);
	free(r->freel);
	free(r->lat);
	free(r);
	close(fd);
	return rc;
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
