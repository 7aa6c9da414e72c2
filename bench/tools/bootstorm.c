/* bootstorm: a boot storm for chainbootd — N simulated BIOS PXE clients power on within
 * S seconds; each sends a DHCP DISCOVER (broadcast, as a PXE ROM: option 60 PXEClient,
 * 93 = 0, 97) and takes the proxy OFFER, sends a REQUEST to the server's port 4011 and
 * takes the ACK, reads its boot file by TFTP (blksize 1468, lock-step), then GETs
 * /boot.ipxe?mac=<its MAC> over HTTP. One process, one epoll loop; every step is bounded
 * by timeouts and retried the way firmware does (DISCOVER/REQUEST again after 1-2 s, the
 * last TFTP ACK again after --tftp-rto, 1 s by default, HTTP again after 1 s). Everything
 * the server sends is untrusted: DHCP through dhcp_parse(), TFTP through tftp_parse(),
 * HTTP heads bounded.
 *
 *   bootstorm --iface IF --server ADDR [--clients N] [--spread S] [--tftp-file NAME]
 *             [--expect-size BYTES] [--http-port N] [--timeout-ms MS] [--src A.B.C.D[-E]]
 *             [--dhcp-tries N] [--tftp-rto MS] [--seed N] [--dump FILE] [-v]
 *   --src gives each client its own source address (client i uses the i-th address of
 *   the range, round robin), as real clients each have their own; the addresses must be
 *   on the interface. Without it every client sends from the interface's address.
 *   --tftp-rto is the TFTP retransmit timeout (firmware: about 500 ms); every
 *   retransmission is counted.
 *   --dump writes one line per client: index, start, DHCP, 4011, TFTP+HTTP and total ms.
 *
 * Prints one line: clients= ok= failed= p50_ms= p99_ms= max_ms= dhcp_fail= tftp_fail=
 * http_fail= elapsed_s= (then retry counters, send errors of our own sockets — packets
 * lost before they left — and per-stage p99s); failure reasons on
 * stderr. Exit 0 when every client booted, 1 when some failed, 2 on usage or setup errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dhcpopt.h"
#include "tftpproto.h"
#include "tool.h"

#define CLIENTS_MAX   100000
#define TFTP_BLKSIZE  1468 /* what PXE ROMs and iPXE ask for on Ethernet */
#define TFTP_RETRIES  6
#define HTTP_TRY_MS   5000 /* one HTTP attempt: connect, send, whole answer */
#define HTTP_TRIES    3
#define HTTP_RETRY_MS 1000
#define HTTP_HEAD_MAX 8192
#define HTTP_BODY_MAX (1u << 20)
#define TICK_MS	      5 /* timer scan granularity */
#define REASONS_MAX   64

enum stage { S_WAIT, S_DHCP, S_PXE, S_TFTP, S_HTTP, S_HTTP_PAUSE, S_OK, S_FAIL };
enum kind { K_UDP = 1, K_TCP = 2 };

struct client {
	enum stage st;
	enum stage failed_in;
	uint32_t xid;
	uint32_t src; /* network order; 0 = the interface's address */
	uint8_t mac[6];
	uint8_t tries;
	uint64_t t_start, t_dhcp, t_tftp, t_end, deadline;
	int ufd, tfd;
	/* TFTP */
	struct sockaddr_in tid;
	bool have_tid, oack;
	uint16_t retries;
	uint32_t blksize;
	uint64_t expect, bytes, tsize;
	char file[130];
	/* HTTP */
	bool sent;
	char *in;
	size_t in_len, head_len;
	uint64_t body_len, body_got;
	const char *why;
	char why_buf[96];
};

struct opts {
	const char *iface, *tftp_file, *dump;
	struct in_addr server;
	unsigned clients, http_port, timeout_ms, dhcp_tries, tftp_rto_ms;
	double spread;
	long long expect_size;
	uint32_t src_first, src_count; /* host order */
	uint64_t seed;
	bool verbose;
};

static struct opts O = { .clients = 1000,
			 .spread = 10,
			 .http_port = 8080,
			 .timeout_ms = 60000,
			 .dhcp_tries = 4,
			 .tftp_rto_ms = 1000,
			 .expect_size = -1 };
static struct client *C;
static int ep, dfd = -1;
static uint32_t xid_base;
static uint64_t rng;
static size_t n_done;
static unsigned long long n_send_err;
static unsigned long long n_dhcp_retry, n_pxe_retry, n_tftp_retx, n_http_retry, n_invalid;

static void mac_str(const struct client *c, char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", c->mac[0], c->mac[1], c->mac[2],
		 c->mac[3], c->mac[4], c->mac[5]);
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void finish(struct client *c, enum stage st, const char *why)
{
	c->failed_in = c->st == S_HTTP_PAUSE ? S_HTTP : c->st;
	c->st = st;
	c->why = why;
	c->t_end = tool_now_ms();
	n_done++;
	close_fd(&c->ufd);
	close_fd(&c->tfd);
	free(c->in);
	c->in = NULL;
}

static void fail(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why_buf, sizeof(c->why_buf), fmt, ap);
	va_end(ap);
	finish(c, S_FAIL, c->why_buf);
}

static int watch(int fd, uint32_t events, size_t idx, enum kind k)
{
	struct epoll_event e = { .events = events, .data.u64 = (uint64_t)idx << 2 | k };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

static void rewatch(int fd, uint32_t events, size_t idx, enum kind k)
{
	struct epoll_event e = { .events = events, .data.u64 = (uint64_t)idx << 2 | k };

	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
}

/* ---- DHCP: DISCOVER on the shared port-68 socket, REQUEST to 4011 on the client's own */

static int build_dhcp(const struct client *c, uint8_t type, uint8_t *buf, size_t cap, size_t *len)
{
	static const char vendor[] = "PXEClient:Arch:00000:UNDI:002001";
	static const uint8_t arch[2] = { 0, 0 }, ndi[3] = { 1, 2, 1 };
	static const uint8_t params[] = { 1,   3,   43,	 60,  66,  67,	128,
					  129, 130, 131, 132, 133, 134, 135 };
	struct dhcp_hdr h = { .op = 1, .htype = 1, .hlen = 6, .xid = c->xid, .flags = 0x8000 };
	struct dhcp_build b;
	uint8_t guid[17] = { 0 };

	memcpy(h.chaddr, c->mac, 6);
	memcpy(guid + 11, c->mac, 6); /* a UUID per machine */
	h.secs = (uint16_t)((tool_now_ms() - c->t_start) / 1000);
	if (type == DHCP_REQUEST) {
		h.ciaddr = c->src;
		h.flags = 0;
	}
	dhcp_build_start(&b, buf, cap, &h, type);
	dhcp_build_opt(&b, DHCP_OPT_PARAM_LIST, params, sizeof(params));
	dhcp_build_opt(&b, DHCP_OPT_VENDOR_CLASS, vendor, sizeof(vendor) - 1);
	dhcp_build_opt(&b, DHCP_OPT_CLIENT_ARCH, arch, sizeof(arch));
	dhcp_build_opt(&b, DHCP_OPT_CLIENT_NDI, ndi, sizeof(ndi));
	dhcp_build_opt(&b, DHCP_OPT_CLIENT_GUID, guid, sizeof(guid));
	if (type == DHCP_REQUEST) /* PXE 2.1: the boot item chosen, type 0x8000 layer 0 */
		dhcp_build_opt(&b, DHCP_OPT_VENDOR, "\x47\x04\x80\x00\x00\x00\xff", 7);
	return dhcp_build_finish(&b, len);
}

static void send_discover(struct client *c)
{
	uint8_t buf[DHCP_MAX_LEN];
	size_t len;
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(DHCP_PORT_SERVER),
				  .sin_addr.s_addr = htonl(INADDR_BROADCAST) };

	if (build_dhcp(c, DHCP_DISCOVER, buf, sizeof(buf), &len) ||
	    sendto(dfd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		n_send_err++; /* a full socket buffer is a lost packet: the retry covers it */
	c->deadline = tool_now_ms() + 1000 + tool_rnd(&rng) % 1000;
}

static void send_request(struct client *c)
{
	uint8_t buf[DHCP_MAX_LEN];
	size_t len;
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(DHCP_PORT_PXE),
				  .sin_addr = O.server };

	if (build_dhcp(c, DHCP_REQUEST, buf, sizeof(buf), &len) ||
	    sendto(c->ufd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		n_send_err++; /* lost: the retry covers it */
	c->deadline = tool_now_ms() + 1000 + tool_rnd(&rng) % 1000;
}

static void start_client(struct client *c)
{
	c->st = S_DHCP;
	c->t_start = tool_now_ms();
	c->tries = 1;
	send_discover(c);
}

/* A proxyDHCP answer must give no address, name our server, and be a PXE answer. */
static const char *check_reply(const struct dhcp_msg *m, int want)
{
	size_t n;
	const uint8_t *sid = dhcp_opt_get(m, DHCP_OPT_SERVER_ID, &n);

	if (dhcp_msg_type(m) != want)
		return "wrong message type";
	if (m->h.yiaddr) {
		n_invalid++;
		return "proxyDHCP reply gave an address (yiaddr set)";
	}
	if (!sid || n != 4 || memcmp(sid, &O.server, 4)) {
		n_invalid++;
		return "option 54 is not the server";
	}
	if (!dhcp_opt_prefix(m, DHCP_OPT_VENDOR_CLASS, "PXEClient")) {
		n_invalid++;
		return "option 60 is not PXEClient";
	}
	return NULL;
}

static void start_pxe(struct client *c, size_t idx)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr.s_addr = c->src };
	int sz = 1 << 18;

	c->t_dhcp = tool_now_ms();
	c->ufd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->ufd < 0) {
		fail(c, "socket: %s", strerror(errno));
		return;
	}
	setsockopt(c->ufd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (O.iface)
		setsockopt(c->ufd, SOL_SOCKET, SO_BINDTODEVICE, O.iface,
			   (socklen_t)strlen(O.iface));
	if (bind(c->ufd, (struct sockaddr *)&me, sizeof(me)) ||
	    watch(c->ufd, EPOLLIN, idx, K_UDP)) {
		fail(c, "bind/watch: %s", strerror(errno));
		return;
	}
	c->st = S_PXE;
	c->tries = 1;
	send_request(c);
}

static void on_dhcp(void)
{
	static uint8_t buf[DHCP_MAX_LEN + 1];
	static struct dhcp_msg m;

	for (int k = 0; k < 256; k++) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(dfd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		const char *why;
		uint32_t i;

		if (r < 0)
			return;
		if (dhcp_parse(buf, (size_t)r, &m, NULL) || m.h.op != 2)
			continue;
		i = m.h.xid - xid_base;
		if (i >= O.clients || C[i].st != S_DHCP || memcmp(m.h.chaddr, C[i].mac, 6))
			continue; /* not ours, or a duplicate answer to a retransmission */
		if ((why = check_reply(&m, DHCP_OFFER))) {
			fail(&C[i], "dhcp: %s", why);
			continue;
		}
		start_pxe(&C[i], i);
	}
}

/* ---- TFTP ---- */

static void send_rrq(struct client *c)
{
	static const char *const names[] = { "blksize", "tsize" };
	static const char *const values[] = { "1468", "0" };
	uint8_t req[TFTP_REQUEST_MAX];
	ssize_t n = tftp_build_request(req, sizeof(req), TFTP_RRQ, c->file, "octet", names, values,
				       2);
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(TFTP_PORT),
				  .sin_addr = O.server };

	if (n < 0 || sendto(c->ufd, req, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		n_send_err++;
	c->deadline = tool_now_ms() + O.tftp_rto_ms;
}

static void send_ack(struct client *c, uint16_t block)
{
	uint8_t b[TFTP_HDR];

	tftp_build_ack(b, sizeof(b), block);
	if (sendto(c->ufd, b, sizeof(b), 0, (struct sockaddr *)&c->tid, sizeof(c->tid)) < 0)
		n_send_err++;
}

static void start_http(struct client *c, size_t idx);

static void on_pxe(struct client *c, const uint8_t *buf, size_t len)
{
	static struct dhcp_msg m;
	const char *why;
	const uint8_t *v;
	size_t n;

	if (dhcp_parse(buf, len, &m, NULL) || m.h.op != 2 || m.h.xid != c->xid)
		return;
	if ((why = check_reply(&m, DHCP_ACK))) {
		fail(c, "pxe 4011: %s", why);
		return;
	}
	if (O.tftp_file)
		snprintf(c->file, sizeof(c->file), "%s", O.tftp_file);
	else if ((v = dhcp_opt_get(&m, DHCP_OPT_BOOTFILE, &n)) && n && n < sizeof(c->file) &&
		 !memchr(v, 0, n))
		snprintf(c->file, sizeof(c->file), "%.*s", (int)n, (const char *)v);
	else if (m.h.file[0] && memchr(m.h.file, 0, sizeof(m.h.file)))
		snprintf(c->file, sizeof(c->file), "%s", (const char *)m.h.file);
	else {
		fail(c, "pxe 4011: ACK names no boot file");
		return;
	}
	c->st = S_TFTP;
	c->t_tftp = tool_now_ms();
	c->retries = 0;
	c->blksize = TFTP_BLKSIZE_DEFAULT;
	c->expect = 1;
	send_rrq(c);
}

static void tftp_done(struct client *c, size_t idx)
{
	long long want = O.expect_size >= 0    ? O.expect_size
			 : c->oack && c->tsize ? (long long)c->tsize
					       : -1;

	send_ack(c, (uint16_t)(c->expect - 1));
	if (want >= 0 && c->bytes != (uint64_t)want) {
		fail(c, "tftp: got %llu bytes of %s, expected %lld", (unsigned long long)c->bytes,
		     c->file, want);
		return;
	}
	close_fd(&c->ufd);
	start_http(c, idx);
}

static void on_tftp(struct client *c, size_t idx, const uint8_t *buf, size_t len,
		    const struct sockaddr_in *from)
{
	static struct tftp_packet p;

	if (from->sin_addr.s_addr != O.server.s_addr)
		return;
	if (tftp_parse(buf, len, &p) < 0)
		return; /* e.g. a late duplicate DHCP ACK from port 4011 */
	if (!c->have_tid) {
		if (p.op != TFTP_OACK && p.op != TFTP_DATA && p.op != TFTP_ERROR)
			return;
		c->tid = *from; /* RFC 1350: the first answer fixes the server's transfer ID */
		c->have_tid = true;
	} else if (from->sin_port != c->tid.sin_port) {
		return;
	}
	switch (p.op) {
	case TFTP_ERROR:
		fail(c, "tftp: ERROR %u \"%.60s\" for %s", p.error_code, p.error_msg, c->file);
		return;
	case TFTP_OACK:
		if (c->expect != 1 || c->bytes)
			return;
		if (p.oack.has_blksize &&
		    (p.oack.blksize < TFTP_BLKSIZE_MIN || p.oack.blksize > TFTP_BLKSIZE)) {
			fail(c, "tftp: OACK blksize %llu outside 8..%u",
			     (unsigned long long)p.oack.blksize, TFTP_BLKSIZE);
			return;
		}
		c->oack = true;
		c->blksize = p.oack.has_blksize ? (uint32_t)p.oack.blksize : TFTP_BLKSIZE_DEFAULT;
		c->tsize = p.oack.has_tsize ? p.oack.tsize : 0;
		send_ack(c, 0);
		c->retries = 0;
		c->deadline = tool_now_ms() + O.tftp_rto_ms;
		return;
	case TFTP_DATA:
		if (p.data_len > c->blksize) {
			fail(c, "tftp: DATA of %zu bytes with blksize %u", p.data_len, c->blksize);
			return;
		}
		if (p.block == (uint16_t)c->expect) {
			c->bytes += p.data_len;
			c->expect++;
			c->retries = 0;
			if (c->bytes > (uint64_t)1 << 32) {
				fail(c, "tftp: %s longer than 4 GiB", c->file);
				return;
			}
			if (p.data_len < c->blksize) {
				tftp_done(c, idx);
				return;
			}
			send_ack(c, p.block);
			c->deadline = tool_now_ms() + O.tftp_rto_ms;
		} else if (p.block == (uint16_t)(c->expect - 1)) {
			send_ack(c, p.block); /* our ACK was lost: the server resent the block */
		}
		return;
	default:
		return;
	}
}

static void on_udp(struct client *c, size_t idx)
{
	static uint8_t buf[TFTP_HDR + TFTP_BLKSIZE_MAX + 1];

	for (int k = 0; k < 64 && c->ufd >= 0; k++) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(c->ufd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (r < 0)
			return;
		if (c->st == S_PXE)
			on_pxe(c, buf, (size_t)r);
		else if (c->st == S_TFTP)
			on_tftp(c, idx, buf, (size_t)r, &from);
	}
}

/* ---- HTTP: one connection per client, Connection: close ---- */

static void http_attempt(struct client *c, size_t idx)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr.s_addr = c->src };
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)O.http_port),
				  .sin_addr = O.server };

	c->st = S_HTTP;
	c->sent = false;
	c->in_len = c->head_len = 0;
	c->body_len = c->body_got = 0;
	c->deadline = tool_now_ms() + HTTP_TRY_MS;
	c->tfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->tfd < 0) {
		fail(c, "http: socket: %s", strerror(errno));
		return;
	}
	if ((c->src && bind(c->tfd, (struct sockaddr *)&me, sizeof(me))) ||
	    (connect(c->tfd, (struct sockaddr *)&to, sizeof(to)) && errno != EINPROGRESS) ||
	    watch(c->tfd, EPOLLOUT, idx, K_TCP)) {
		fail(c, "http: connect: %s", strerror(errno));
		return;
	}
}

static void start_http(struct client *c, size_t idx)
{
	c->in = malloc(HTTP_HEAD_MAX);
	if (!c->in) {
		fail(c, "http: out of memory");
		return;
	}
	c->tries = 1;
	http_attempt(c, idx);
}

/* An attempt failed: wait a second and try again, as iPXE's retry loop in a chain script does. */
static void http_retry(struct client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void http_retry(struct client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why_buf, sizeof(c->why_buf), fmt, ap);
	va_end(ap);
	close_fd(&c->tfd);
	if (c->tries >= HTTP_TRIES) {
		finish(c, S_FAIL, c->why_buf);
		return;
	}
	c->tries++;
	n_http_retry++;
	c->st = S_HTTP_PAUSE;
	c->deadline = tool_now_ms() + HTTP_RETRY_MS;
}

static int parse_head(struct client *c)
{
	char *h = c->in, *e = memmem(h, c->in_len, "\r\n\r\n", 4), *p, *end;
	int status;

	if (!e)
		return c->in_len >= HTTP_HEAD_MAX ? -1 : 0;
	*e = '\0';
	c->head_len = (size_t)(e - h) + 4;
	if (c->head_len < 16 || strncmp(h, "HTTP/1.", 7) || h[8] != ' ')
		return -1;
	status = (int)strtol(h + 9, &end, 10);
	if (end != h + 12)
		return -1;
	if (status != 200)
		return -status;
	for (p = strchr(h, '\n'); p; p = strchr(p + 1, '\n'))
		if (!strncasecmp(p + 1, "Content-Length:", 15)) {
			unsigned long long v = strtoull(p + 16, &end, 10);
			if (end == p + 16 || (*end != '\r' && *end != '\0') || v > HTTP_BODY_MAX)
				return -1;
			c->body_len = v;
			return 1;
		}
	return -1;
}

static void on_tcp(struct client *c, size_t idx, uint32_t ev)
{
	if (c->st != S_HTTP)
		return;
	if (!c->sent) {
		char req[256];
		char mac[18];
		int err = 0, n;
		socklen_t el = sizeof(err);

		getsockopt(c->tfd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err || (ev & (EPOLLERR | EPOLLHUP))) {
			http_retry(c, "http: connect: %s", strerror(err ? err : ECONNRESET));
			return;
		}
		mac_str(c, mac);
		n = snprintf(req, sizeof(req),
			     "GET /boot.ipxe?mac=%s HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: "
			     "iPXE/1.21.1\r\n"
			     "Connection: close\r\n\r\n",
			     mac, inet_ntoa(O.server), O.http_port);
		if (send(c->tfd, req, (size_t)n, MSG_NOSIGNAL) != n) {
			http_retry(c, "http: send: %s", strerror(errno));
			return;
		}
		c->sent = true;
		rewatch(c->tfd, EPOLLIN, idx, K_TCP);
		return;
	}
	for (;;) {
		char tmp[16384], *dst = c->head_len ? tmp : c->in + c->in_len;
		size_t room = c->head_len ? sizeof(tmp) : HTTP_HEAD_MAX - c->in_len;
		ssize_t r = recv(c->tfd, dst, room, 0);

		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			http_retry(c, "http: recv: %s", strerror(errno));
			return;
		}
		if (r == 0) {
			http_retry(c, "http: closed after %llu of %llu body bytes",
				   (unsigned long long)c->body_got,
				   (unsigned long long)c->body_len);
			return;
		}
		if (!c->head_len) {
			int rc;
			c->in_len += (size_t)r;
			rc = parse_head(c);
			if (rc == 0)
				continue;
			if (rc < -1) {
				http_retry(c, "http: status %d", -rc);
				return;
			}
			if (rc < 0) {
				fail(c, "http: malformed response head");
				return;
			}
			/* body bytes that came with the head */
			c->body_got = c->in_len - c->head_len;
			if (c->body_got >= 6 && memcmp(c->in + c->head_len, "#!ipxe", 6)) {
				fail(c, "http: the answer is not an iPXE script");
				return;
			}
		} else {
			c->body_got += (uint64_t)r;
		}
		if (c->body_got > c->body_len) {
			fail(c, "http: %llu bytes past Content-Length",
			     (unsigned long long)(c->body_got - c->body_len));
			return;
		}
		if (c->body_got == c->body_len) {
			if (c->body_len < 6) {
				fail(c, "http: script of %llu bytes",
				     (unsigned long long)c->body_len);
				return;
			}
			finish(c, S_OK, NULL);
			return;
		}
	}
}

/* ---- timers ---- */

static void on_timeout(struct client *c, size_t idx, uint64_t now)
{
	if (now - c->t_start >= O.timeout_ms) {
		static const char *const names[] = { "wait", "dhcp", "pxe 4011", "tftp",
						     "http", "http", "",	 "" };
		fail(c, "%s: overall timeout (%u ms)", names[c->st], O.timeout_ms);
		return;
	}
	if (now < c->deadline)
		return;
	switch (c->st) {
	case S_DHCP:
		if (c->tries >= O.dhcp_tries) {
			fail(c, "dhcp: no proxy OFFER after %u DISCOVERs", c->tries);
			return;
		}
		c->tries++;
		n_dhcp_retry++;
		send_discover(c);
		break;
	case S_PXE:
		if (c->tries >= O.dhcp_tries) {
			fail(c, "pxe 4011: no ACK after %u REQUESTs", c->tries);
			return;
		}
		c->tries++;
		n_pxe_retry++;
		send_request(c);
		break;
	case S_TFTP:
		if (++c->retries > TFTP_RETRIES) {
			fail(c,
			     "tftp: %s: no answer after %u retransmissions (block %llu, %llu "
			     "bytes)",
			     c->file, TFTP_RETRIES, (unsigned long long)c->expect,
			     (unsigned long long)c->bytes);
			return;
		}
		n_tftp_retx++;
		/* resend what the server is missing: the request, or our last ACK */
		if (!c->have_tid)
			send_rrq(c);
		else {
			send_ack(c, (uint16_t)(c->expect - 1));
			c->deadline = now + O.tftp_rto_ms;
		}
		break;
	case S_HTTP:
		http_retry(c, "http: no complete answer within %u ms", HTTP_TRY_MS);
		break;
	case S_HTTP_PAUSE:
		http_attempt(c, idx);
		break;
	default:
		break;
	}
}

/* ---- setup and report ---- */

static int parse_src(const char *s)
{
	char a[64], *dash;
	struct in_addr lo, hi;

	snprintf(a, sizeof(a), "%s", s);
	dash = strchr(a, '-');
	if (dash)
		*dash = '\0';
	if (inet_pton(AF_INET, a, &lo) != 1)
		return -1;
	hi = lo;
	if (dash && !strchr(dash + 1, '.')) {
		char *end;
		long last = strtol(dash + 1, &end, 10);
		if (*end || last < (long)(ntohl(lo.s_addr) & 0xff) || last > 254)
			return -1;
		hi.s_addr = htonl((ntohl(lo.s_addr) & ~0xffu) | (uint32_t)last);
	} else if (dash && inet_pton(AF_INET, dash + 1, &hi) != 1) {
		return -1;
	}
	if (ntohl(hi.s_addr) < ntohl(lo.s_addr) || ntohl(hi.s_addr) - ntohl(lo.s_addr) > 65535)
		return -1;
	O.src_first = ntohl(lo.s_addr);
	O.src_count = ntohl(hi.s_addr) - ntohl(lo.s_addr) + 1;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t pct(const uint64_t *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	i = (size_t)ceil(p * (double)n) - 1;
	return v[i < n ? i : n - 1];
}

static void usage(void)
{
	fprintf(stderr, "usage: bootstorm --iface IF --server ADDR [--clients N] [--spread S] "
			"[--tftp-file NAME]\n"
			"                 [--expect-size BYTES] [--http-port N] [--timeout-ms MS]\n"
			"                 [--src A.B.C.D[-LAST]] [--dhcp-tries N] [--seed N] "
			"[--tftp-rto MS] [--dump FILE] [-v]\n");
	exit(2);
}

static void report(uint64_t t0, uint64_t t_last)
{
	uint64_t *lat = calloc(O.clients, sizeof(*lat)), *ld = calloc(O.clients, sizeof(*ld)),
		 *lt = calloc(O.clients, sizeof(*lt)), *lh = calloc(O.clients, sizeof(*lh));
	size_t n = 0, fails[8] = { 0 }, printed = 0;
	struct reason {
		const char *why;
		unsigned n;
	} reasons[REASONS_MAX];
	size_t n_reasons = 0;

	if (!lat || !ld || !lt || !lh) {
		fprintf(stderr, "bootstorm: out of memory\n");
		exit(2);
	}
	FILE *dump = O.dump ? fopen(O.dump, "w") : NULL;

	if (O.dump && !dump)
		fprintf(stderr, "bootstorm: --dump %s: %s\n", O.dump, strerror(errno));
	if (dump)
		fprintf(dump, "# client start_ms dhcp_ms pxe_ms tftp_http_ms total_ms result\n");
	for (size_t i = 0; i < O.clients; i++) {
		struct client *c = &C[i];
		if (dump)
			fprintf(dump, "%zu %llu %lld %lld %lld %llu %s\n", i,
				(unsigned long long)(c->t_start - t0),
				c->t_dhcp ? (long long)(c->t_dhcp - c->t_start) : -1LL,
				c->t_tftp ? (long long)(c->t_tftp - c->t_dhcp) : -1LL,
				c->st == S_OK ? (long long)(c->t_end - c->t_tftp) : -1LL,
				(unsigned long long)(c->t_end - c->t_start),
				c->st == S_OK ? "ok" : "failed");
		if (c->st == S_OK) {
			lat[n] = c->t_end - c->t_start;
			ld[n] = c->t_dhcp - c->t_start;
			lt[n] = c->t_tftp - c->t_dhcp; /* the 4011 exchange */
			lh[n] = c->t_end - c->t_tftp;  /* TFTP and HTTP */
			n++;
			continue;
		}
		fails[c->failed_in]++;
		if (O.verbose || printed < 10) {
			char mac[18];
			mac_str(c, mac);
			fprintf(stderr, "bootstorm: client %zu mac=%s failed at %llu ms: %s\n", i,
				mac, (unsigned long long)(c->t_end - c->t_start),
				c->why ? c->why : "?");
			printed++;
		}
		/* reasons without the numbers that vary, counted */
		{
			size_t k;
			for (k = 0; k < n_reasons; k++)
				if (!strncmp(reasons[k].why, c->why, 24))
					break;
			if (k == n_reasons && n_reasons < REASONS_MAX)
				reasons[n_reasons++] = (struct reason){ c->why, 0 };
			if (k < n_reasons)
				reasons[k].n++;
		}
	}
	if (dump)
		fclose(dump);
	for (size_t k = 0; k < n_reasons; k++)
		fprintf(stderr, "bootstorm: %u failed like: %s\n", reasons[k].n, reasons[k].why);
	qsort(lat, n, sizeof(*lat), cmp_u64);
	qsort(ld, n, sizeof(*ld), cmp_u64);
	qsort(lt, n, sizeof(*lt), cmp_u64);
	qsort(lh, n, sizeof(*lh), cmp_u64);
	printf("clients=%u ok=%zu failed=%zu p50_ms=%llu p99_ms=%llu max_ms=%llu dhcp_fail=%zu "
	       "tftp_fail=%zu "
	       "http_fail=%zu elapsed_s=%.2f dhcp_retries=%llu pxe_retries=%llu "
	       "tftp_retransmits=%llu "
	       "http_retries=%llu invalid_replies=%llu send_errors=%llu dhcp_p99_ms=%llu "
	       "pxe_p99_ms=%llu "
	       "tftp_http_p99_ms=%llu\n",
	       O.clients, n, O.clients - n, (unsigned long long)pct(lat, n, 0.5),
	       (unsigned long long)pct(lat, n, 0.99), (unsigned long long)(n ? lat[n - 1] : 0),
	       fails[S_DHCP] + fails[S_PXE] + fails[S_WAIT], fails[S_TFTP], fails[S_HTTP],
	       (double)(t_last - t0) / 1000.0, n_dhcp_retry, n_pxe_retry, n_tftp_retx, n_http_retry,
	       n_invalid, n_send_err, (unsigned long long)pct(ld, n, 0.99),
	       (unsigned long long)pct(lt, n, 0.99), (unsigned long long)pct(lh, n, 0.99));
	fflush(stdout);
	free(lat);
	free(ld);
	free(lt);
	free(lh);
}

static int parse_opts(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "server", required_argument, NULL, 's' },
		{ "clients", required_argument, NULL, 'n' },
		{ "spread", required_argument, NULL, 'S' },
		{ "tftp-file", required_argument, NULL, 'f' },
		{ "expect-size", required_argument, NULL, 'e' },
		{ "http-port", required_argument, NULL, 'p' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "src", required_argument, NULL, 'a' },
		{ "dhcp-tries", required_argument, NULL, 'd' },
		{ "tftp-rto", required_argument, NULL, 'T' },
		{ "seed", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "dump", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool have_server = false;
	char *end;
	int o;

	O.seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 20;
	while ((o = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (o) {
		case 'i':
			O.iface = optarg;
			break;
		case 's':
			if (inet_pton(AF_INET, optarg, &O.server) != 1)
				return fprintf(stderr,
					       "bootstorm: --server: \"%s\" is not an IPv4 "
					       "address\n",
					       optarg),
				       2;
			have_server = true;
			break;
		case 'n':
			O.clients = (unsigned)tool_num("bootstorm", "--clients", optarg, 1,
						       CLIENTS_MAX);
			break;
		case 'S':
			O.spread = strtod(optarg, &end);
			if (*end || end == optarg || !(O.spread >= 0 && O.spread <= 3600))
				return fprintf(stderr,
					       "bootstorm: --spread: \"%s\" is not 0..3600 "
					       "seconds\n",
					       optarg),
				       2;
			break;
		case 'f':
			if (strlen(optarg) > 128)
				return fprintf(stderr,
					       "bootstorm: --tftp-file: longer than 128 bytes\n"),
				       2;
			O.tftp_file = optarg;
			break;
		case 'e':
			O.expect_size = tool_num("bootstorm", "--expect-size", optarg, 0,
						 1LL << 32);
			break;
		case 'p':
			O.http_port = (unsigned)tool_num("bootstorm", "--http-port", optarg, 1,
							 65535);
			break;
		case 't':
			O.timeout_ms = (unsigned)tool_num("bootstorm", "--timeout-ms", optarg, 100,
							  3600000);
			break;
		case 'a':
			if (parse_src(optarg))
				return fprintf(stderr,
					       "bootstorm: --src: \"%s\" is not ADDR or "
					       "ADDR-LAST\n",
					       optarg),
				       2;
			break;
		case 'd':
			O.dhcp_tries = (unsigned)tool_num("bootstorm", "--dhcp-tries", optarg, 1,
							  20);
			break;
		case 'T':
			O.tftp_rto_ms = (unsigned)tool_num("bootstorm", "--tftp-rto", optarg, 50,
							   10000);
			break;
		case 'r':
			O.seed = (uint64_t)tool_num("bootstorm", "--seed", optarg, 1, INT64_MAX);
			break;
		case 'v':
			O.verbose = true;
			break;
		case 'D':
			O.dump = optarg;
			break;
		default:
			usage();
		}
	}
	if (!O.iface || !have_server || optind != argc)
		usage();
	return 0;
}

/* The clients (MAC, xid, source address) and their power-on times, sorted. */
static int make_clients(uint64_t **starts_out)
{
	struct rlimit rl;
	uint64_t *starts;

	/* two sockets per client at most */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	C = calloc(O.clients, sizeof(*C));
	*starts_out = starts = calloc(O.clients, sizeof(*starts));
	if (!C || !starts)
		return fprintf(stderr, "bootstorm: out of memory\n"), 2;
	xid_base = tool_rnd(&rng);
	for (size_t i = 0; i < O.clients; i++) {
		struct client *c = &C[i];
		c->ufd = c->tfd = -1;
		c->xid = xid_base + (uint32_t)i;
		c->mac[0] = 0x52, c->mac[1] = 0x54, c->mac[2] = 0x00;
		c->mac[3] = (uint8_t)(i >> 16), c->mac[4] = (uint8_t)(i >> 8),
		c->mac[5] = (uint8_t)i;
		if (O.src_count)
			c->src = htonl(O.src_first + (uint32_t)(i % O.src_count));
		/* power-on times: uniform over the spread, in order */
		starts[i] = (uint64_t)((double)tool_rnd(&rng) / 65536.0 / 65536.0 * O.spread *
				       1000.0);
	}
	qsort(starts, O.clients, sizeof(*starts), cmp_u64);
	return 0;
}

/* The epoll set and the one DHCP socket every client shares (port 68). */
static int open_dhcp(void)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(DHCP_PORT_CLIENT) };
	struct epoll_event e = { .events = EPOLLIN, .data.u64 = 0 };
	int one = 1, sz = 8 << 20;

	ep = epoll_create1(EPOLL_CLOEXEC);
	dfd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ep < 0 || dfd < 0)
		return perror("bootstorm: socket"), 2;
	/* every OFFER of the storm is a broadcast to port 68: room for a burst */
	if (setsockopt(dfd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(dfd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(dfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(dfd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) ||
	    setsockopt(dfd, SOL_SOCKET, SO_BINDTODEVICE, O.iface, (socklen_t)strlen(O.iface)) ||
	    bind(dfd, (struct sockaddr *)&me, sizeof(me)))
		return fprintf(stderr, "bootstorm: cannot bind UDP port 68 on %s: %s\n", O.iface,
			       strerror(errno)),
		       2;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, dfd, &e))
		return perror("bootstorm: epoll"), 2;
	return 0;
}

/* One pass of the loop's events: the shared DHCP socket, or a client's UDP or TCP. */
static void dispatch(const struct epoll_event *evs, int n)
{
	for (int k = 0; k < n; k++) {
		uint64_t d = evs[k].data.u64;
		size_t idx = (size_t)(d >> 2);
		if (d == 0) {
			on_dhcp();
			continue;
		}
		if ((d & 3) == K_UDP && C[idx].ufd >= 0)
			on_udp(&C[idx], idx);
		else if ((d & 3) == K_TCP && C[idx].tfd >= 0)
			on_tcp(&C[idx], idx, evs[k].events);
	}
}

/* Power the clients on at their times and run them all to the end. Returns 0 or 2. */
static int storm(const uint64_t *starts, uint64_t t0)
{
	struct epoll_event evs[256];
	size_t next = 0, lo = 0;

	while (n_done < O.clients) {
		uint64_t now = tool_now_ms();
		int timeout = TICK_MS, n;

		while (next < O.clients && now - t0 >= starts[next]) {
			start_client(&C[next]);
			next++;
		}
		if (next < O.clients && t0 + starts[next] - now < (uint64_t)timeout)
			timeout = (int)(t0 + starts[next] - now);
		n = epoll_wait(ep, evs, 256, timeout);
		if (n < 0 && errno != EINTR)
			return perror("bootstorm: epoll_wait"), 2;
		dispatch(evs, n);
		/* timers: scan the clients that are running (they started in order) */
		now = tool_now_ms();
		while (lo < next && (C[lo].st == S_OK || C[lo].st == S_FAIL))
			lo++;
		for (size_t i = lo; i < next; i++) {
			struct client *c = &C[i];
			if (c->st == S_OK || c->st == S_FAIL)
				continue;
			if (now >= c->deadline || now - c->t_start >= O.timeout_ms)
				on_timeout(c, i, now);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t *starts = NULL, t0, t_last;
	size_t failed = 0;
	int rc = parse_opts(argc, argv);

	if (rc)
		return rc;
	rng = O.seed | 1;
	rc = make_clients(&starts);
	if (!rc)
		rc = open_dhcp();
	t0 = tool_now_ms();
	if (!rc)
		rc = storm(starts, t0);
	if (rc)
		return rc;
	t_last = t0;
	for (size_t i = 0; i < O.clients; i++)
		if (C[i].t_end > t_last)
			t_last = C[i].t_end;
	report(t0, t_last);
	for (size_t i = 0; i < O.clients; i++)
		if (C[i].st != S_OK)
			failed++;
	close(dfd);
	close(ep);
	free(starts);
	free(C);
	return failed ? 1 : 0;
}
