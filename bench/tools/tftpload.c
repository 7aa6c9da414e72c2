/* tftpload: TFTP load generator for make bench. One process drives N concurrent read
 * transfers (one UDP socket each, epoll, recvmmsg), each client repeating R times, as
 * RFC 1350/2347/2348/7440 receivers: ACK every window, ACK the last in-order block on a
 * gap, resend the last ACK (or the request) on timeout with bounded retries. Everything
 * the server sends is untrusted and checked (source, opcode, block numbers, sizes, the
 * OACK against what was asked, the total size). Bounded in count (clients × repeat)
 * and time (--deadline-s). Every client's socket is opened before the first request
 * goes out, and every first request goes out before any answer is read: N clients start
 * at once, as a room of machines powered on together (a boot storm).
 *
 *   tftpload --server ADDR --file NAME [--port 69] [--clients N] [--repeat R]
 *            [--blksize B] [--windowsize W] [--tsize] [--expect-size BYTES]
 *            [--verify FILE] [--times FILE] [--timeout-ms T] [--retries N]
 *            [--src ADDR [--src-count K]] [--deadline-s S]
 *   --src-count K: clients send from K consecutive addresses starting at --src (client i
 *   from src + i % K), as K machines would; the addresses must be configured.
 *   --verify FILE: every block's payload must equal FILE's bytes at its offset, and the
 *   transfer FILE's size (a local copy of what the server serves).
 *   --times FILE: one line per finished transfer: client, duration ms, retransmissions
 *   of that transfer (RRQ and ACK resends), bytes, ok or why it failed.
 *   Output, one line: ok=N failed=N bytes=N elapsed_s=X mbps=X p50_ms=X p99_ms=X
 *   max_ms=X retrans=N rrq_retrans=N gaps=N verified=N cpu_s=X (mbps = payload MB/s,
 *   10^6 bytes, over all transfers; p50/p99/max = per-transfer duration; retrans = every
 *   resend on timeout, rrq_retrans those of a request no answer had come for; verified
 *   = bytes compared with --verify's file; cpu_s = this tool's own CPU time). Exit 0
 *   when every transfer succeeded, 1 when any failed, 2 on usage or setup errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tftpproto.h"
#include "tool.h"

#define BATCH	      32 /* datagrams per recvmmsg */
#define MAX_CLIENTS   4096
#define MAX_TRANSFERS 10000000ull /* clients × repeat */
#define SCAN_NS	      5000000ull  /* timeout scan every 5 ms */
#define RCVBUF	      (4 << 20)	  /* a window of big blocks lands at once */
#define REPORT_FAILS  5		  /* failures described on stderr */

enum state { IDLE, RUNNING };

struct xfer {
	int fd;
	enum state st;
	unsigned client;
	unsigned reps_left;
	bool have_tid, started;
	struct sockaddr_in tid;
	uint64_t expect; /* next block wanted (64-bit: the wire number rolls over) */
	uint64_t bytes;
	uint32_t blksize, window;
	unsigned in_window;
	uint64_t gap_for, gap_ns; /* last gap ACK: for which expect, when */
	unsigned retries;
	unsigned retrans; /* resends of this transfer, for --times */
	uint64_t last_rx_ns, t0_ns;
};

struct opts {
	struct sockaddr_in server;
	const char *file;
	unsigned clients, repeat, retries, src_count;
	uint32_t blksize, window;
	bool ask_blksize, ask_window, ask_tsize;
	long long expect_size;
	unsigned timeout_ms, deadline_s;
	struct in_addr src;
	bool have_src;
	const char *verify, *times;
};

struct run {
	const struct opts *o;
	int ep;
	struct xfer *x;
	uint8_t req[TFTP_REQUEST_MAX];
	size_t req_len;
	uint64_t ok, failed, bytes, retrans, rrq_retrans, gaps, fails_told, verified;
	const uint8_t *want; /* --verify's file */
	size_t want_len;
	FILE *times;
	double *dur_ms;
	size_t n_dur;
	unsigned active;
};

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static _Noreturn void usage(void)
{
	fprintf(stderr,
		"usage: tftpload --server ADDR --file NAME [--port 69] [--clients N] [--repeat R] "
		"[--blksize B] [--windowsize W] [--tsize] [--expect-size BYTES] [--verify FILE] "
		"[--times FILE] [--timeout-ms T] [--retries N] [--src ADDR [--src-count K]] "
		"[--deadline-s S]\n");
	exit(2);
}

static void fail(struct run *r, struct xfer *x, const char *why)
{
	if (r->fails_told++ < REPORT_FAILS)
		fprintf(stderr, "tftpload: client %u: transfer failed after %llu bytes: %s\n",
			x->client, (unsigned long long)x->bytes, why);
	r->failed++;
}

static void send_ack(struct xfer *x, uint16_t block)
{
	uint8_t b[TFTP_HDR];

	tftp_build_ack(b, sizeof(b), block);
	/* connected to the server's TID; a lost ACK is recovered by the timeout */
	(void)!send(x->fd, b, sizeof(b), MSG_DONTWAIT);
}

static void send_req(struct run *r, struct xfer *x)
{
	(void)!sendto(x->fd, r->req, r->req_len, MSG_DONTWAIT,
		      (const struct sockaddr *)&r->o->server, sizeof(r->o->server));
}

/* Open a socket for the next transfer of x, without sending anything yet; 0, or -1
 * with the failure counted. */
static int xfer_open(struct run *r, struct xfer *x)
{
	const struct opts *o = r->o;
	struct epoll_event ev = { .events = EPOLLIN };
	int sz = RCVBUF;

	x->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (x->fd < 0) {
		fail(r, x, strerror(errno));
		return -1;
	}
	/* Root may exceed rmem_max (FORCE); otherwise take what the kernel allows. */
	if (setsockopt(x->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		(void)setsockopt(x->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (o->have_src) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		a.sin_addr.s_addr = htonl(ntohl(o->src.s_addr) + x->client % o->src_count);
		if (bind(x->fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			char why[96];
			snprintf(why, sizeof(why), "bind %s: %s", inet_ntoa(a.sin_addr),
				 strerror(errno));
			close(x->fd);
			x->fd = -1;
			fail(r, x, why);
			return -1;
		}
	}
	ev.data.u32 = (uint32_t)(x - r->x);
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, x->fd, &ev) < 0) {
		close(x->fd);
		x->fd = -1;
		fail(r, x, strerror(errno));
		return -1;
	}
	x->st = RUNNING;
	x->have_tid = x->started = false;
	x->expect = 1;
	x->bytes = 0;
	x->blksize = TFTP_BLKSIZE_DEFAULT;
	x->window = 1;
	x->in_window = 0;
	x->gap_for = 0;
	x->retries = 0;
	x->retrans = 0;
	r->active++;
	return 0;
}

/* The transfer's clock starts with its request. */
static void xfer_go(struct run *r, struct xfer *x)
{
	x->t0_ns = x->last_rx_ns = now_ns();
	send_req(r, x);
}

static int xfer_begin(struct run *r, struct xfer *x)
{
	if (xfer_open(r, x) < 0)
		return -1;
	xfer_go(r, x);
	return 0;
}

/* End the current transfer (ok or not) and start the next repetition, if any. */
static void xfer_finish(struct run *r, struct xfer *x, const char *why)
{
	uint64_t t = now_ns();

	if (!why && r->o->expect_size >= 0 && x->bytes != (uint64_t)r->o->expect_size)
		why = "size differs from --expect-size";
	if (!why && r->want && x->bytes != r->want_len)
		why = "size differs from --verify's file";
	if (r->times)
		fprintf(r->times, "%u %.2f %u %llu %s\n", x->client, (double)(t - x->t0_ns) / 1e6,
			x->retrans, (unsigned long long)x->bytes, why ? why : "ok");
	if (why) {
		fail(r, x, why);
	} else {
		r->ok++;
		r->dur_ms[r->n_dur++] = (double)(t - x->t0_ns) / 1e6;
	}
	r->bytes += x->bytes;
	epoll_ctl(r->ep, EPOLL_CTL_DEL, x->fd, NULL);
	close(x->fd);
	x->fd = -1;
	x->st = IDLE;
	r->active--;
	while (x->reps_left > 0) {
		x->reps_left--;
		if (xfer_begin(r, x) == 0)
			break;
	}
}

/* An OACK may only hold what we asked, blksize and windowsize not above our values
 * (RFC 2347, 2348, 7440). Returns NULL or why it is not acceptable. */
static const char *take_oack(const struct run *r, struct xfer *x, const uint8_t *buf, size_t len)
{
	const struct opts *o = r->o;
	struct tftp_packet p;

	if (tftp_parse(buf, len, &p) < 0)
		return "malformed OACK";
	if (p.oack.n_unknown || p.oack.n_invalid)
		return "OACK with options we did not ask for";
	if (p.oack.has_blksize) {
		if (!o->ask_blksize || p.oack.blksize < TFTP_BLKSIZE_MIN ||
		    p.oack.blksize > o->blksize)
			return "OACK blksize out of range";
		x->blksize = (uint32_t)p.oack.blksize;
	}
	if (p.oack.has_windowsize) {
		if (!o->ask_window || p.oack.windowsize < 1 || p.oack.windowsize > o->window)
			return "OACK windowsize out of range";
		x->window = (uint32_t)p.oack.windowsize;
	}
	if (p.oack.has_tsize &&
	    (!o->ask_tsize || (o->expect_size >= 0 && p.oack.tsize != (uint64_t)o->expect_size)))
		return "OACK tsize unexpected or wrong";
	if (p.oack.has_timeout)
		return "OACK timeout we did not ask for";
	return NULL;
}

/* One datagram for transfer x. Returns false when the transfer ended. */
static bool on_datagram(struct run *r, struct xfer *x, const uint8_t *buf, size_t len,
			const struct sockaddr_in *from, uint64_t t)
{
	uint16_t op, block;
	size_t dlen;

	if (from->sin_addr.s_addr != r->o->server.sin_addr.s_addr)
		return true; /* not our server */
	if (!x->have_tid) {
		/* RFC 1350: the first answer fixes the server's transfer ID; connect so
		 * that the kernel drops anything from another port */
		x->tid = *from;
		x->have_tid = true;
		if (connect(x->fd, (const struct sockaddr *)from, sizeof(*from)) < 0) {
			xfer_finish(r, x, "connect to the server's TID failed");
			return false;
		}
	} else if (from->sin_port != x->tid.sin_port) {
		return true; /* queued before connect(): another TID, ignore */
	}
	if (len < TFTP_HDR) {
		xfer_finish(r, x, "runt packet");
		return false;
	}
	op = (uint16_t)(buf[0] << 8 | buf[1]);
	block = (uint16_t)(buf[2] << 8 | buf[3]);
	if (op == TFTP_ERROR) {
		xfer_finish(r, x, "server sent ERROR");
		return false;
	}
	if (op == TFTP_OACK) {
		const char *why;
		if (x->started)
			return true; /* resent OACK: our ACK 0 was late */
		if ((why = take_oack(r, x, buf, len))) {
			xfer_finish(r, x, why);
			return false;
		}
		x->started = true;
		x->retries = 0;
		x->last_rx_ns = t;
		send_ack(x, 0);
		return true;
	}
	if (op != TFTP_DATA) {
		xfer_finish(r, x, "unexpected opcode");
		return false;
	}
	if (!x->started)
		x->started = true; /* no OACK: every option ignored, RFC 1350 transfer */
	dlen = len - TFTP_HDR;
	if (dlen > x->blksize) {
		xfer_finish(r, x, "DATA larger than blksize");
		return false;
	}
	if (block != (uint16_t)x->expect) {
		/* RFC 7440: a gap (or, lock-step, a resent block whose ACK was lost):
		 * ACK the last in-order block, once per gap and timeout quarter */
		if (x->gap_for != x->expect ||
		    t - x->gap_ns > (uint64_t)r->o->timeout_ms * 250000ull) {
			x->gap_for = x->expect;
			x->gap_ns = t;
			r->gaps++;
			send_ack(x, (uint16_t)(x->expect - 1));
		}
		x->in_window = 0;
		return true;
	}
	if (r->want) {
		/* blocks arrive in order here, so x->bytes is this block's offset */
		if (x->bytes + dlen > r->want_len ||
		    memcmp(buf + TFTP_HDR, r->want + x->bytes, dlen) != 0) {
			xfer_finish(r, x, "block content differs from --verify's file");
			return false;
		}
		r->verified += dlen;
	}
	x->bytes += dlen;
	x->expect++;
	x->retries = 0;
	x->last_rx_ns = t;
	if (dlen < x->blksize) {
		send_ack(x, block);
		xfer_finish(r, x, NULL);
		return false;
	}
	if (++x->in_window >= x->window) {
		send_ack(x, block);
		x->in_window = 0;
	}
	return true;
}

static void on_readable(struct run *r, struct xfer *x, uint8_t *bufs, size_t bufsz)
{
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in from[BATCH];
	int n;

	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ .iov_base = bufs + (size_t)i * bufsz, .iov_len = bufsz };
		m[i].msg_hdr = (struct msghdr){ .msg_name = &from[i],
						.msg_namelen = sizeof(from[i]),
						.msg_iov = &iov[i],
						.msg_iovlen = 1 };
	}
	n = recvmmsg(x->fd, m, BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0) {
		if (n < 0 && errno == ECONNREFUSED)
			xfer_finish(r, x, "server port unreachable");
		return;
	}
	uint64_t t = now_ns();
	for (int i = 0; i < n; i++) {
		if (m[i].msg_hdr.msg_flags & MSG_TRUNC) {
			xfer_finish(r, x, "datagram larger than the largest block");
			return;
		}
		if (!on_datagram(r, x, iov[i].iov_base, m[i].msg_len, &from[i], t))
			return;
	}
}

static void scan_timeouts(struct run *r, uint64_t t, bool past_deadline)
{
	uint64_t to = (uint64_t)r->o->timeout_ms * 1000000ull;

	for (unsigned i = 0; i < r->o->clients; i++) {
		struct xfer *x = &r->x[i];
		if (x->st != RUNNING)
			continue;
		if (past_deadline) {
			x->reps_left = 0;
			xfer_finish(r, x, "deadline");
			continue;
		}
		if (t - x->last_rx_ns < to)
			continue;
		if (++x->retries > r->o->retries) {
			xfer_finish(r, x, "timeout");
			continue;
		}
		r->retrans++;
		x->retrans++;
		x->last_rx_ns = t;
		x->in_window = 0;
		if (!x->have_tid) {
			r->rrq_retrans++;
			send_req(r, x);
		} else {
			send_ack(x, (uint16_t)(x->expect - 1));
		}
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

/* Read all of path into memory (the file --verify compares with); exits 2 on failure. */
static uint8_t *load_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *p = NULL;
	size_t got = 0;

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size < 0 ||
	    !(p = malloc(st.st_size ? (size_t)st.st_size : 1))) {
		fprintf(stderr, "tftpload: --verify %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, p + got, (size_t)st.st_size - got);
		if (n <= 0) {
			fprintf(stderr, "tftpload: --verify %s: %s\n", path,
				n < 0 ? strerror(errno) : "the file shrank while read");
			exit(2);
		}
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return p;
}

static void report(const struct run *r, uint64_t t0)
{
	double el = (double)(now_ns() - t0) / 1e9;
	struct rusage ru;

	qsort(r->dur_ms, r->n_dur, sizeof(double), cmp_double);
	getrusage(RUSAGE_SELF, &ru);
	printf("ok=%llu failed=%llu bytes=%llu elapsed_s=%.3f mbps=%.2f p50_ms=%.2f "
	       "p99_ms=%.2f max_ms=%.2f retrans=%llu rrq_retrans=%llu gaps=%llu verified=%llu "
	       "cpu_s=%.3f\n",
	       (unsigned long long)r->ok, (unsigned long long)r->failed,
	       (unsigned long long)r->bytes, el, el > 0 ? (double)r->bytes / 1e6 / el : 0.0,
	       pct(r->dur_ms, r->n_dur, 0.50), pct(r->dur_ms, r->n_dur, 0.99),
	       r->n_dur ? r->dur_ms[r->n_dur - 1] : 0.0, (unsigned long long)r->retrans,
	       (unsigned long long)r->rrq_retrans, (unsigned long long)r->gaps,
	       (unsigned long long)r->verified,
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	const char *server = NULL;
	unsigned port = TFTP_PORT;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--tsize")) {
			o->ask_tsize = true;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--server"))
			server = v;
		else if (!strcmp(a, "--port"))
			port = (unsigned)tool_num("tftpload", a, v, 1, 65535);
		else if (!strcmp(a, "--file"))
			o->file = v;
		else if (!strcmp(a, "--clients"))
			o->clients = (unsigned)tool_num("tftpload", a, v, 1, MAX_CLIENTS);
		else if (!strcmp(a, "--repeat"))
			o->repeat = (unsigned)tool_num("tftpload", a, v, 1, 1000000);
		else if (!strcmp(a, "--blksize")) {
			o->blksize = (uint32_t)tool_num("tftpload", a, v, TFTP_BLKSIZE_MIN,
							TFTP_BLKSIZE_MAX);
			o->ask_blksize = true;
		} else if (!strcmp(a, "--windowsize")) {
			o->window = (uint32_t)tool_num("tftpload", a, v, TFTP_WINDOW_MIN,
						       TFTP_WINDOW_MAX);
			o->ask_window = o->window > 1;
		} else if (!strcmp(a, "--expect-size"))
			o->expect_size = tool_num("tftpload", a, v, -1, 1LL << 50);
		else if (!strcmp(a, "--timeout-ms"))
			o->timeout_ms = (unsigned)tool_num("tftpload", a, v, 10, 600000);
		else if (!strcmp(a, "--retries"))
			o->retries = (unsigned)tool_num("tftpload", a, v, 0, 100);
		else if (!strcmp(a, "--deadline-s"))
			o->deadline_s = (unsigned)tool_num("tftpload", a, v, 1, 86400);
		else if (!strcmp(a, "--verify"))
			o->verify = v;
		else if (!strcmp(a, "--times"))
			o->times = v;
		else if (!strcmp(a, "--src-count"))
			o->src_count = (unsigned)tool_num("tftpload", a, v, 1, 254);
		else if (!strcmp(a, "--src")) {
			if (inet_pton(AF_INET, v, &o->src) != 1) {
				fprintf(stderr, "tftpload: --src \"%s\" is not an IPv4 address\n",
					v);
				exit(2);
			}
			o->have_src = true;
		} else
			usage();
	}
	if (!server || !o->file)
		usage();
	if (strlen(o->file) > TFTP_FILENAME_MAX) {
		fprintf(stderr, "tftpload: --file is longer than %d bytes\n", TFTP_FILENAME_MAX);
		exit(2);
	}
	if ((unsigned long long)o->clients * o->repeat > MAX_TRANSFERS) {
		fprintf(stderr, "tftpload: --clients × --repeat is over %llu transfers\n",
			MAX_TRANSFERS);
		exit(2);
	}
	o->server.sin_family = AF_INET;
	o->server.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, server, &o->server.sin_addr) != 1) {
		fprintf(stderr, "tftpload: --server \"%s\" is not an IPv4 address\n", server);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct opts o = { .clients = 1,
			  .repeat = 1,
			  .retries = 5,
			  .src_count = 1,
			  .blksize = TFTP_BLKSIZE_DEFAULT,
			  .window = 1,
			  .expect_size = -1,
			  .timeout_ms = 1000,
			  .deadline_s = 600 };
	struct run r = { .o = &o };
	const char *names[3], *values[3];
	char bs[16], ws[16];
	size_t n_opts = 0, bufsz;
	uint8_t *bufs;
	uint64_t t0, deadline, next_scan;
	ssize_t rl;

	parse_args(argc, argv, &o);
	if (o.verify)
		r.want = load_file(o.verify, &r.want_len);
	if (o.times && !(r.times = fopen(o.times, "we"))) {
		fprintf(stderr, "tftpload: --times %s: %s\n", o.times, strerror(errno));
		return 2;
	}
	if (o.ask_blksize) {
		snprintf(bs, sizeof(bs), "%u", o.blksize);
		names[n_opts] = "blksize";
		values[n_opts++] = bs;
	}
	if (o.ask_tsize) {
		names[n_opts] = "tsize";
		values[n_opts++] = "0";
	}
	if (o.ask_window) {
		snprintf(ws, sizeof(ws), "%u", o.window);
		names[n_opts] = "windowsize";
		values[n_opts++] = ws;
	}
	rl = tftp_build_request(r.req, sizeof(r.req), TFTP_RRQ, o.file, "octet", names, values,
				n_opts);
	if (rl < 0) {
		fprintf(stderr, "tftpload: request too long\n");
		return 2;
	}
	r.req_len = (size_t)rl;
	/* one byte more than the largest block, so an oversized datagram shows as MSG_TRUNC */
	bufsz = TFTP_HDR + (o.ask_blksize ? o.blksize : TFTP_BLKSIZE_DEFAULT) + 1;
	bufs = malloc(bufsz * BATCH);
	r.x = calloc(o.clients, sizeof(*r.x));
	r.dur_ms = malloc(sizeof(double) * (size_t)o.clients * o.repeat);
	r.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!bufs || !r.x || !r.dur_ms || r.ep < 0) {
		fprintf(stderr, "tftpload: out of memory or epoll: %s\n", strerror(errno));
		free(bufs);
		free(r.x);
		free(r.dur_ms);
		if (r.ep >= 0)
			close(r.ep);
		return 2;
	}
	t0 = now_ns();
	deadline = t0 + (uint64_t)o.deadline_s * 1000000000ull;
	next_scan = t0 + SCAN_NS;
	/* every socket first, then every request back to back: the clients start at once */
	for (unsigned i = 0; i < o.clients; i++) {
		struct xfer *x = &r.x[i];
		x->client = i;
		x->fd = -1;
		x->reps_left = o.repeat - 1;
		while (xfer_open(&r, x) < 0 && x->reps_left > 0)
			x->reps_left--;
	}
	for (unsigned i = 0; i < o.clients; i++)
		if (r.x[i].st == RUNNING)
			xfer_go(&r, &r.x[i]);
	while (r.active) {
		struct epoll_event ev[64];
		int n = epoll_wait(r.ep, ev, 64, 5);
		uint64_t t;

		if (n < 0) {
			if (errno != EINTR) {
				fprintf(stderr, "tftpload: epoll_wait: %s\n", strerror(errno));
				deadline = 0; /* end every transfer, as failed */
			}
			n = 0;
		}
		for (int i = 0; i < n; i++) {
			struct xfer *x = &r.x[ev[i].data.u32];
			if (x->st == RUNNING)
				on_readable(&r, x, bufs, bufsz);
		}
		t = now_ns();
		if (t >= next_scan || t >= deadline) {
			scan_timeouts(&r, t, t >= deadline);
			next_scan = t + SCAN_NS;
		}
	}
	report(&r, t0);
	if (r.times && fclose(r.times) != 0) {
		fprintf(stderr, "tftpload: --times %s: %s\n", o.times, strerror(errno));
		r.failed++;
	}
	free((void *)r.want);
	free(bufs);
	free(r.x);
	free(r.dur_ms);
	close(r.ep);
	return r.failed ? 1 : 0;
}
