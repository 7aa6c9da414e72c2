/* tftpclient: a TFTP test client for the integration tests. It reads one file (RRQ with
 * any options, windowsize as an RFC 7440 receiver, block-number rollover), writes it out
 * and reports what was negotiated; it can also act like firmware (OVMF's aborted tsize
 * probe), hold a transfer open, lose a block on purpose, or send raw hostile packets.
 * Everything the server sends is untrusted and checked (sizes, block numbers, TIDs).
 *
 *   tftpclient [options] HOST FILE
 *     -p PORT            server port (69)
 *     -s ADDR            send from this local address
 *     -o OUT             write the file to OUT
 *     -m MODE            octet (default), netascii, or any text (sent verbatim)
 *     -b N / -t / -T N / -w N   blksize N, tsize 0, timeout N, windowsize N
 *     -O NAME=VALUE      any option, verbatim (repeatable)
 *     --wrq              send a write request instead
 *     --probe            OVMF's size probe: RRQ, read tsize from the OACK, send ERROR 8
 *     --stall MS         after the first answer, wait MS before going on
 *     --lose N           drop DATA block N the first time it arrives
 *     --wait MS          how long to wait for each packet (2000)
 *     --dup              send the request twice (a retransmitted RRQ must not start a
 *                        second transfer: its packets would come from another port)
 *     --raw HEX          send these bytes, print the one reply (or result=timeout)
 *   Output: key=value lines: "oack NAME=VALUE...", "result=ok bytes=N ...",
 *   "result=error code=N message=...", "result=timeout". Exit 0 ok, 1 TFTP error,
 *   2 usage, 3 timeout, 4 protocol violation by the server.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hex.h"
#include "tftpproto.h"
#include "tool.h"

#define MAX_OPTS    32
#define MAX_RETRIES 5

struct client {
	int fd;
	struct sockaddr_in server; /* port 69 */
	struct sockaddr_in tid;	   /* the transfer's port, once known */
	bool have_tid;
	int wait_ms;
	FILE *out;
	/* what was asked */
	const char *names[MAX_OPTS], *values[MAX_OPTS];
	size_t n_opts;
	const char *mode;
	bool asked_blksize, asked_window;
	/* what was agreed */
	uint32_t blksize, window;
	long long lose;
	bool lost;
	int stall_ms;
	bool probe;
	bool dup;
};

static _Noreturn void usage(void)
{
	fprintf(stderr, "usage: tftpclient [-p PORT] [-s ADDR] [-o OUT] [-m MODE] [-b N] [-t] [-T "
			"N] [-w N] "
			"[-O NAME=VALUE] [--wrq] [--probe] [--stall MS] [--lose N] [--wait MS] "
			"[--dup] [--raw HEX] HOST [FILE]\n");
	exit(2);
}

/* Print a string from the wire safely: printable ASCII, others as \xNN. */
static void print_safe(const char *key, const uint8_t *s, size_t len)
{
	printf("%s=\"", key);
	for (size_t i = 0; i < len; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
			putchar(s[i]);
		else
			printf("\\x%02x", s[i]);
	}
	printf("\"");
}

/* Wait for one datagram from the server's address; 0 = timeout. */
static ssize_t recv_wait(struct client *c, uint8_t *buf, size_t cap, struct sockaddr_in *from,
			 int ms)
{
	uint64_t end = tool_now_ms() + (uint64_t)ms;

	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		socklen_t fl = sizeof(*from);
		uint64_t n = tool_now_ms();
		ssize_t r;

		if (n >= end)
			return 0;
		r = poll(&p, 1, (int)(end - n));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		memset(from, 0, sizeof(*from));
		r = recvfrom(c->fd, buf, cap, 0, (struct sockaddr *)from, &fl);
		if (r < 0) {
			if (errno == EINTR || errno == ECONNREFUSED)
				continue;
			return -1;
		}
		if (from->sin_addr.s_addr != c->server.sin_addr.s_addr)
			continue; /* not our server */
		return r;
	}
}

static void send_to(struct client *c, const struct sockaddr_in *to, const uint8_t *buf, size_t len)
{
	if (sendto(c->fd, buf, len, 0, (const struct sockaddr *)to, sizeof(*to)) < 0)
		perror("tftpclient: sendto");
}

static void send_ack(struct client *c, uint16_t block)
{
	uint8_t b[TFTP_HDR];

	tftp_build_ack(b, sizeof(b), block);
	send_to(c, &c->tid, b, sizeof(b));
}

static int report_error(const uint8_t *buf, size_t len)
{
	struct tftp_packet p;

	if (tftp_parse(buf, len, &p) < 0)
		return 4;
	printf("result=error code=%u ", p.error_code);
	print_safe("message", (const uint8_t *)p.error_msg, strlen(p.error_msg));
	printf("\n");
	return 1;
}

/* Check an OACK against what we asked (RFC 2347: only options we sent, blksize and
 * windowsize not above our values) and adopt it. */
static int take_oack(struct client *c, const uint8_t *buf, size_t len)
{
	struct tftp_packet p;
	struct cur_opt {
		const char *name;
		bool has;
		uint64_t v;
	} o[4];
	int rc = tftp_parse(buf, len, &p);

	if (rc < 0) {
		printf("result=protocol error=\"malformed OACK\"\n");
		return 4;
	}
	o[0] = (struct cur_opt){ "blksize", p.oack.has_blksize, p.oack.blksize };
	o[1] = (struct cur_opt){ "tsize", p.oack.has_tsize, p.oack.tsize };
	o[2] = (struct cur_opt){ "timeout", p.oack.has_timeout, p.oack.timeout };
	o[3] = (struct cur_opt){ "windowsize", p.oack.has_windowsize, p.oack.windowsize };
	printf("oack");
	for (int i = 0; i < 4; i++)
		if (o[i].has)
			printf(" %s=%llu", o[i].name, (unsigned long long)o[i].v);
	printf(" unknown=%u invalid=%u\n", p.oack.n_unknown, p.oack.n_invalid);
	if (p.oack.n_unknown || p.oack.n_invalid) {
		printf("result=protocol error=\"OACK with options we did not ask for\"\n");
		return 4;
	}
	if (p.oack.has_blksize) {
		if (!c->asked_blksize || p.oack.blksize < TFTP_BLKSIZE_MIN ||
		    p.oack.blksize > c->blksize) {
			printf("result=protocol error=\"OACK blksize %llu not within 8..%u\"\n",
			       (unsigned long long)p.oack.blksize, c->blksize);
			return 4;
		}
		c->blksize = (uint32_t)p.oack.blksize;
	} else {
		c->blksize = TFTP_BLKSIZE_DEFAULT;
	}
	if (p.oack.has_windowsize) {
		if (!c->asked_window || p.oack.windowsize < 1 || p.oack.windowsize > c->window) {
			printf("result=protocol error=\"OACK windowsize %llu not within 1..%u\"\n",
			       (unsigned long long)p.oack.windowsize, c->window);
			return 4;
		}
		c->window = (uint32_t)p.oack.windowsize;
	} else {
		c->window = 1;
	}
	return 0;
}

/* One read or write in progress: the request (to resend) and how far it got. */
struct xfer {
	uint8_t req[TFTP_REQUEST_MAX];
	size_t req_len;
	uint64_t expect, bytes, blocks, out_of_order, t0;
	unsigned in_window, retries;
	bool started;
};

/* What the xfer_ steps return when the transfer goes on; anything else is the exit status. */
#define XFER_MORE (-1)

/* --stall: wait once, after the first answer. */
static void stall_once(struct client *c)
{
	if (c->stall_ms > 0) {
		usleep((useconds_t)c->stall_ms * 1000);
		c->stall_ms = 0;
	}
}

/* Nothing came within the wait: give up after MAX_RETRIES, else resend. */
static int xfer_timeout(struct client *c, struct xfer *x)
{
	if (++x->retries > MAX_RETRIES) {
		printf("result=timeout bytes=%llu\n", (unsigned long long)x->bytes);
		return 3;
	}
	/* resend what the server is missing: the request, or our last ACK */
	if (!c->have_tid)
		send_to(c, &c->server, x->req, x->req_len);
	else
		send_ack(c, (uint16_t)(x->expect - 1));
	return XFER_MORE;
}

/* Whether a packet from `from` belongs to the transfer; a stray one gets an ERROR. */
static bool xfer_check_tid(struct client *c, const struct sockaddr_in *from)
{
	if (!c->have_tid) {
		/* RFC 1350: the first answer fixes the server's transfer ID */
		c->tid = *from;
		c->have_tid = true;
		printf("server_port=%u\n", ntohs(from->sin_port));
	} else if (from->sin_port != c->tid.sin_port) {
		uint8_t e[64];
		ssize_t el = tftp_build_error(e, sizeof(e), TFTP_EBADID, "Unknown transfer ID");
		send_to(c, from, e, (size_t)el); /* RFC 1350 section 4 */
		printf("stray_packet_from_port=%u\n", ntohs(from->sin_port));
		return false;
	}
	return true;
}

/* The first OACK: adopt it, then ACK 0 (or, for --probe, refuse the transfer). */
static int xfer_oack(struct client *c, struct xfer *x, const uint8_t *buf, size_t n)
{
	int rc = take_oack(c, buf, n);

	if (rc != 0)
		return rc;
	x->started = true;
	x->retries = 0;
	if (c->probe) {
		/* EDK2's size probe: take the size, refuse the rest */
		uint8_t e[64];
		ssize_t el = tftp_build_error(e, sizeof(e), TFTP_EOPTNEG,
					      "User aborted the download");
		send_to(c, &c->tid, e, (size_t)el);
		printf("result=probed\n");
		return 0;
	}
	stall_once(c);
	send_ack(c, 0);
	return XFER_MORE;
}

/* One DATA packet: check it, write it out, ACK at the window's end or the last block. */
static int xfer_data(struct client *c, struct xfer *x, const struct tftp_packet *p)
{
	if (!x->started) {
		/* no OACK: the server ignored every option (RFC 1350 transfer) */
		printf("oack none\n");
		c->blksize = TFTP_BLKSIZE_DEFAULT;
		c->window = 1;
		x->started = true;
		stall_once(c);
	}
	if (p->data_len > c->blksize) {
		printf("result=protocol error=\"DATA of %zu bytes, blksize %u\"\n", p->data_len,
		       c->blksize);
		return 4;
	}
	if (p->block != (uint16_t)x->expect) {
		/* RFC 7440: out of order in the window: ACK the last in-order block */
		x->out_of_order++;
		send_ack(c, (uint16_t)(x->expect - 1));
		x->in_window = 0;
		return XFER_MORE;
	}
	if (c->lose >= 0 && (uint64_t)c->lose == x->expect && !c->lost) {
		c->lost = true; /* pretend this one never arrived */
		return XFER_MORE;
	}
	x->retries = 0;
	if (c->out && p->data_len && fwrite(p->data, 1, p->data_len, c->out) != p->data_len) {
		perror("tftpclient: write");
		return 2;
	}
	x->bytes += p->data_len;
	x->blocks++;
	x->expect++;
	if (p->data_len < c->blksize) {
		send_ack(c, p->block);
		printf("result=ok bytes=%llu blocks=%llu out_of_order=%llu blksize=%u "
		       "windowsize=%u ms=%llu\n",
		       (unsigned long long)x->bytes, (unsigned long long)x->blocks,
		       (unsigned long long)x->out_of_order, c->blksize, c->window,
		       (unsigned long long)(tool_now_ms() - x->t0));
		return 0;
	}
	if (++x->in_window >= c->window) {
		send_ack(c, p->block);
		x->in_window = 0;
	}
	return XFER_MORE;
}

/* One packet from the transfer's server port, by its opcode. */
static int xfer_packet(struct client *c, struct xfer *x, const uint8_t *buf, size_t n)
{
	struct tftp_packet p;

	if (tftp_parse(buf, n, &p) < 0) {
		printf("result=protocol error=\"malformed packet\"\n");
		return 4;
	}
	if (p.op == TFTP_ERROR)
		return report_error(buf, n);
	if (p.op == TFTP_OACK && !x->started)
		return xfer_oack(c, x, buf, n);
	if (p.op != TFTP_DATA) {
		if (p.op == TFTP_OACK)
			return XFER_MORE; /* a resent OACK: our ACK 0 was lost or late */
		printf("result=protocol error=\"unexpected %s\"\n", tftp_op_name(p.op));
		return 4;
	}
	return xfer_data(c, x, &p);
}

static int run_transfer(struct client *c, const char *file, uint16_t op)
{
	struct xfer x = { .expect = 1, .t0 = tool_now_ms() };
	size_t cap = TFTP_HDR + TFTP_BLKSIZE_MAX + 1;
	uint8_t *buf;
	ssize_t rlen;
	int rc;

	rlen = tftp_build_request(x.req, sizeof(x.req), op, file, c->mode, c->names, c->values,
				  c->n_opts);
	if (rlen < 0) {
		fprintf(stderr, "tftpclient: request too long\n");
		return 2;
	}
	x.req_len = (size_t)rlen;
	buf = malloc(cap);
	if (!buf)
		return 2;
	send_to(c, &c->server, x.req, x.req_len);
	if (c->dup)
		send_to(c, &c->server, x.req, x.req_len);
	do {
		struct sockaddr_in from;
		ssize_t n = recv_wait(c, buf, cap, &from, c->wait_ms);

		if (n <= 0)
			rc = xfer_timeout(c, &x);
		else if (!xfer_check_tid(c, &from))
			rc = XFER_MORE;
		else
			rc = xfer_packet(c, &x, buf, (size_t)n);
	} while (rc == XFER_MORE);
	free(buf);
	return rc;
}

/* Send arbitrary bytes to the server port and describe the one reply. */
static int run_raw(struct client *c, const char *hex)
{
	uint8_t out[65536], in[2048];
	size_t n = 0;
	struct sockaddr_in from;
	struct tftp_packet p;
	ssize_t r;

	for (const char *h = hex; *h;) {
		int a, b;
		if (*h == ' ' || *h == ':') {
			h++;
			continue;
		}
		a = hex_digit(h[0]);
		b = h[1] ? hex_digit(h[1]) : -1;
		if (a < 0 || b < 0 || n >= sizeof(out)) {
			fprintf(stderr, "tftpclient: --raw wants hex bytes\n");
			return 2;
		}
		out[n++] = (uint8_t)(a << 4 | b);
		h += 2;
	}
	send_to(c, &c->server, out, n);
	r = recv_wait(c, in, sizeof(in), &from, c->wait_ms);
	if (r <= 0) {
		printf("result=timeout\n");
		return 3;
	}
	if (tftp_parse(in, (size_t)r, &p) < 0) {
		printf("result=reply op=%u malformed\n",
		       r >= 2 ? (unsigned)(in[0] << 8 | in[1]) : 0);
		return 4;
	}
	if (p.op == TFTP_ERROR)
		return report_error(in, (size_t)r);
	printf("result=reply op=%s\n", tftp_op_name(p.op));
	/* a transfer may have started: end it politely */
	{
		uint8_t e[64];
		ssize_t el = tftp_build_error(e, sizeof(e), TFTP_EUNDEF, "test done");
		send_to(c, &from, e, (size_t)el);
	}
	return 0;
}

/* What the command line names besides the client's settings. */
struct args {
	const char *host, *file, *out, *raw, *port, *src;
	uint16_t op;
};

static void add_opt(struct client *c, const char *name, const char *value)
{
	if (c->n_opts >= MAX_OPTS)
		usage();
	c->names[c->n_opts] = name;
	c->values[c->n_opts] = value;
	c->n_opts++;
}

/* -O NAME=VALUE: split into a buffer of its own, which the request is built from. */
static void add_raw_opt(struct client *c, const char *v)
{
	static char optbuf[MAX_OPTS][80];
	char *eq;

	if (c->n_opts >= MAX_OPTS || strlen(v) >= sizeof(optbuf[0]) || !(eq = strchr(v, '=')))
		usage();
	strcpy(optbuf[c->n_opts], v);
	eq = optbuf[c->n_opts] + (eq - v);
	*eq = '\0';
	add_opt(c, optbuf[c->n_opts], eq + 1);
}

/* The options without a value; false when a is not one of them. */
static bool parse_flag(struct client *c, struct args *g, const char *a)
{
	if (!strcmp(a, "--wrq"))
		g->op = TFTP_WRQ;
	else if (!strcmp(a, "--probe"))
		c->probe = true;
	else if (!strcmp(a, "--dup"))
		c->dup = true;
	else if (!strcmp(a, "-t"))
		add_opt(c, "tsize", "0");
	else
		return false;
	return true;
}

/* An option a with its value v; usage() on an unknown one. */
static void parse_valued(struct client *c, struct args *g, const char *a, const char *v)
{
	if (!strcmp(a, "-p"))
		g->port = v;
	else if (!strcmp(a, "-s"))
		g->src = v;
	else if (!strcmp(a, "-o"))
		g->out = v;
	else if (!strcmp(a, "-m"))
		c->mode = v;
	else if (!strcmp(a, "-b")) {
		c->blksize = (uint32_t)tool_num("tftpclient", NULL, v, 0, 1000000);
		c->asked_blksize = true;
		add_opt(c, "blksize", v);
	} else if (!strcmp(a, "-T"))
		add_opt(c, "timeout", v);
	else if (!strcmp(a, "-w")) {
		c->window = (uint32_t)tool_num("tftpclient", NULL, v, 0, 1000000);
		c->asked_window = true;
		add_opt(c, "windowsize", v);
	} else if (!strcmp(a, "-O"))
		add_raw_opt(c, v);
	else if (!strcmp(a, "--stall"))
		c->stall_ms = (int)tool_num("tftpclient", NULL, v, 0, 600000);
	else if (!strcmp(a, "--lose"))
		c->lose = tool_num("tftpclient", NULL, v, 1, 1LL << 40);
	else if (!strcmp(a, "--wait"))
		c->wait_ms = (int)tool_num("tftpclient", NULL, v, 1, 600000);
	else if (!strcmp(a, "--raw"))
		g->raw = v;
	else
		usage();
}

/* The command line into c and g; usage() (exit 2) on any error. */
static void parse_args(int argc, char **argv, struct client *c, struct args *g)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (a[0] != '-' || !a[1]) {
			if (!g->host)
				g->host = a;
			else if (!g->file)
				g->file = a;
			else
				usage();
			continue;
		}
		if (parse_flag(c, g, a))
			continue;
		if (!v)
			usage();
		i++;
		parse_valued(c, g, a, v);
	}
	if (!g->host || (!g->file && !g->raw))
		usage();
}

/* Resolve the server and open the socket (from -s ADDR); 0, or 2 after a message. */
static int open_client(struct client *c, const struct args *g)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM }, *ai;

	if (getaddrinfo(g->host, g->port, &hints, &ai) != 0) {
		fprintf(stderr, "tftpclient: cannot resolve %s\n", g->host);
		return 2;
	}
	memcpy(&c->server, ai->ai_addr, sizeof(c->server));
	freeaddrinfo(ai);
	c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		perror("tftpclient: socket");
		return 2;
	}
	{
		/* Room for a whole window of 64 KiB blocks: on loopback the server's burst
		 * lands at once, and a firmware-sized buffer would drop most of it. Root
		 * may exceed rmem_max (FORCE); otherwise take what the kernel allows. */
		int sz = 16 << 20;
		if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
			(void)setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	if (g->src) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		if (inet_pton(AF_INET, g->src, &a.sin_addr) != 1 ||
		    bind(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			fprintf(stderr, "tftpclient: cannot send from %s\n", g->src);
			return 2;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct client c = { .fd = -1,
			    .wait_ms = 2000,
			    .mode = "octet",
			    .blksize = TFTP_BLKSIZE_DEFAULT,
			    .window = 1,
			    .lose = -1 };
	struct args g = { .port = "69", .op = TFTP_RRQ };
	int rc;

	parse_args(argc, argv, &c, &g);
	if ((rc = open_client(&c, &g)) != 0)
		return rc;
	if (g.raw) {
		rc = run_raw(&c, g.raw);
		close(c.fd);
		return rc;
	}
	if (g.out && !(c.out = fopen(g.out, "wb"))) {
		perror(g.out);
		return 2;
	}
	rc = run_transfer(&c, g.file, g.op);
	if (c.out && fclose(c.out) != 0 && rc == 0) {
		perror(g.out);
		rc = 2;
	}
	close(c.fd);
	fflush(stdout);
	return rc;
}
