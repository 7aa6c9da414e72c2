/* flood: hostile background load for the fault tests — up to N TCP connections to the
 * HTTP port that send nothing or half a request line and then hang (slow loris), and
 * datagrams of random length and bytes (some shaped like DHCP or TFTP so they get past
 * the first checks) to the DHCP, PXE and TFTP ports. Bounded in count, rate and time;
 * sends only to --server. The first N connections open at --conn-rate (5000/s); those the
 * server closes are opened again at --reopen-rate (500/s; 0: never), so the pressure
 * holds for the whole --duration without turning into a SYN flood.
 *
 *   flood --server ADDR [--http-port N] [--conns N] [--conn-rate N/s] [--reopen-rate N/s]
 *         [--partial PCT] [--udp N] [--udp-rate N/s] [--udp-ports 67,4011,69]
 *         [--duration S] [--src ADDR]
 *
 * Prints "holding tcp=N opened=N" once the first N connections are opened (or after 5 s
 * of trying), then at the end one line: tcp_opened= tcp_peak= tcp_open_at_end=
 * closed_by_server= connect_failed= udp_sent= udp_replies= (TFTP errors, from other
 * ports) udp_replies_dhcp= (from ports 67 and 4011) elapsed_s=. Exit 0, or 2 on usage
 * errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "interrupt.h"
#include "tool.h"

#define CONNS_MAX 100000
#define UDP_MAX	  10000000
#define PORTS_MAX 8

struct conn {
	int fd;
	bool connected, partial;
};

static uint64_t rng = 88172645463325252ull;

/* One hostile datagram for port: random bytes, sometimes a plausible start. */
static size_t garbage(uint8_t *buf, size_t cap, unsigned port)
{
	size_t len = tool_rnd(&rng) % 4 ? tool_rnd(&rng) % 600 : tool_rnd(&rng) % cap;

	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)tool_rnd(&rng);
	switch (tool_rnd(&rng) % 3) {
	case 0:
		break; /* pure noise */
	case 1:
		if ((port == 67 || port == 4011) && len >= 240) {
			/* a BOOTREQUEST with the magic cookie and random options behind it */
			buf[0] = 1, buf[1] = 1, buf[2] = 6;
			buf[236] = 0x63, buf[237] = 0x82, buf[238] = 0x53, buf[239] = 0x63;
		} else if (port == 69 && len >= 4) {
			buf[0] = 0,
			buf[1] = (uint8_t)(1 + tool_rnd(&rng) % 6); /* any opcode, random rest */
		}
		break;
	default:
		if (port == 69 && len >= 16) {
			/* an RRQ-shaped packet with a random name and options, NUL-terminated or not */
			buf[0] = 0, buf[1] = 1;
			if (tool_rnd(&rng) % 2)
				buf[len - 1] = 0;
		} else if ((port == 67 || port == 4011) && len >= 244) {
			buf[0] = 1, buf[1] = 1, buf[2] = 6;
			buf[236] = 0x63, buf[237] = 0x82, buf[238] = 0x53, buf[239] = 0x63;
			buf[240] = 60,
			buf[241] = (uint8_t)(len - 242); /* option 60 longer than what is left */
		}
		break;
	}
	return len;
}

struct opts {
	struct in_addr server, src;
	unsigned http_port, n_conns, conn_rate, reopen_rate, partial, udp_rate;
	unsigned ports[PORTS_MAX], n_ports;
	long long udp_total, duration;
};

struct stats {
	unsigned long long opened, closed_srv, conn_fail, udp_sent, udp_replies, udp_replies_dhcp;
	unsigned open_now, peak;
};

/* Everything one run holds: the options, the counters, the sockets and the rate credit. */
struct flood {
	struct opts o;
	struct stats st;
	struct conn *cs;
	int ep, ufd;
	unsigned next_slot;
	double conn_credit, udp_credit;
	uint8_t ubuf[1500];
};

static int parse_ports(struct opts *o, const char *a, const char *v)
{
	char tmp[128], *save = NULL, *tok;

	snprintf(tmp, sizeof(tmp), "%s", v);
	o->n_ports = 0;
	for (tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->n_ports == PORTS_MAX)
			return fprintf(stderr, "flood: --udp-ports: at most %d\n", PORTS_MAX), 2;
		o->ports[o->n_ports++] = (unsigned)tool_num("flood", a, tok, 1, 65535);
	}
	return 0;
}

static int parse_addr(const char *a, const char *v, struct in_addr *out)
{
	if (inet_pton(AF_INET, v, out) != 1)
		return fprintf(stderr, "flood: %s: \"%s\" is not an IPv4 address\n", a, v), 2;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: flood --server ADDR [--http-port N] [--conns N] "
			"[--conn-rate N] [--reopen-rate N] "
			"[--partial PCT] [--udp N] [--udp-rate N] [--udp-ports "
			"P,P] [--duration S] "
			"[--src ADDR]\n");
	return 2;
}

/* One "--name value" pair into o; 0, or the exit status of a usage error. */
static int parse_opt(struct opts *o, const char *a, const char *v)
{
	if (!strcmp(a, "--server") || !strcmp(a, "--src"))
		return parse_addr(a, v, !strcmp(a, "--server") ? &o->server : &o->src);
	if (!strcmp(a, "--udp-ports"))
		return parse_ports(o, a, v);
	if (!strcmp(a, "--http-port"))
		o->http_port = (unsigned)tool_num("flood", a, v, 1, 65535);
	else if (!strcmp(a, "--conns"))
		o->n_conns = (unsigned)tool_num("flood", a, v, 0, CONNS_MAX);
	else if (!strcmp(a, "--conn-rate"))
		o->conn_rate = (unsigned)tool_num("flood", a, v, 1, 100000);
	else if (!strcmp(a, "--reopen-rate"))
		o->reopen_rate = (unsigned)tool_num("flood", a, v, 0, 100000);
	else if (!strcmp(a, "--partial"))
		o->partial = (unsigned)tool_num("flood", a, v, 0, 100);
	else if (!strcmp(a, "--udp"))
		o->udp_total = tool_num("flood", a, v, 0, UDP_MAX);
	else if (!strcmp(a, "--udp-rate"))
		o->udp_rate = (unsigned)tool_num("flood", a, v, 1, 100000);
	else if (!strcmp(a, "--duration"))
		o->duration = tool_num("flood", a, v, 1, 600);
	else
		return usage();
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .http_port = 8080,
			    .n_conns = 10000,
			    .conn_rate = 5000,
			    .reopen_rate = 500,
			    .partial = 50,
			    .udp_rate = 2000,
			    .ports = { 67, 4011, 69 },
			    .n_ports = 3,
			    .udp_total = 20000,
			    .duration = 20 };
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int rc;

		if (!v) {
			fprintf(stderr, "flood: %s needs a value\n", a);
			return 2;
		}
		if ((rc = parse_opt(o, a, v)) != 0)
			return rc;
	}
	if (!o->server.s_addr)
		return fprintf(stderr, "flood: --server is required\n"), 2;
	return 0;
}

/* One fd per connection: ask for all of them (the test raises the hard limit). */
static void raise_fd_limit(struct opts *o)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)o->n_conns + 16) {
		fprintf(stderr,
			"flood: RLIMIT_NOFILE is %llu: holding at most that many "
			"connections\n",
			(unsigned long long)rl.rlim_cur);
		o->n_conns = rl.rlim_cur > 32 ? (unsigned)rl.rlim_cur - 32 : 0;
	}
}

/* The connection slots, the epoll set and the UDP socket; 0, or 2 after a message. */
static int flood_setup(struct flood *f)
{
	f->cs = calloc(f->o.n_conns ? f->o.n_conns : 1, sizeof(*f->cs));
	f->ep = epoll_create1(EPOLL_CLOEXEC);
	f->ufd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!f->cs || f->ep < 0 || f->ufd < 0)
		return perror("flood: setup"), 2;
	for (unsigned i = 0; i < f->o.n_conns; i++)
		f->cs[i].fd = -1;
	if (f->o.src.s_addr) {
		struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr = f->o.src };
		if (bind(f->ufd, (struct sockaddr *)&me, sizeof(me)))
			return perror("flood: bind"), 2;
	}
	return 0;
}

/* Add dt seconds of credit at each rate, capped at a tenth of a second's worth. */
static void flood_refill(struct flood *f, double dt)
{
	unsigned rate;

	/* the first N at --conn-rate; then the ones the server closed at --reopen-rate */
	rate = f->st.opened < f->o.n_conns ? f->o.conn_rate : f->o.reopen_rate;
	f->conn_credit += dt * rate;
	if (f->conn_credit > rate / 10.0 + 1)
		f->conn_credit = rate / 10.0 + 1;
	f->udp_credit += dt * f->o.udp_rate;
	if (f->udp_credit > f->o.udp_rate / 10.0 + 1)
		f->udp_credit = f->o.udp_rate / 10.0 + 1;
}

enum open_result { OPEN_DONE, OPEN_FAILED, OPEN_STOP };

/* Start a non-blocking connect into slot idx. OPEN_STOP: out of sockets, try next tick. */
static enum open_result flood_open_one(struct flood *f, unsigned idx)
{
	struct conn *c = &f->cs[idx];
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)f->o.http_port),
				  .sin_addr = f->o.server };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	f->conn_credit -= 1;
	if (fd < 0)
		return OPEN_STOP;
	if (f->o.src.s_addr) {
		struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr = f->o.src };
		if (bind(fd, (struct sockaddr *)&me, sizeof(me))) {
			close(fd);
			return OPEN_STOP;
		}
	}
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) && errno != EINPROGRESS) {
		close(fd);
		return OPEN_FAILED;
	}
	struct epoll_event e = { .events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.u32 = idx };
	if (epoll_ctl(f->ep, EPOLL_CTL_ADD, fd, &e)) {
		close(fd);
		return OPEN_FAILED;
	}
	c->fd = fd;
	c->connected = false;
	c->partial = tool_rnd(&rng) % 100 < f->o.partial;
	return OPEN_DONE;
}

/* Open connections into free slots, at the bounded rate. */
static void flood_open(struct flood *f)
{
	unsigned n = f->o.n_conns;

	for (unsigned scanned = 0; f->conn_credit >= 1 && f->st.open_now < n && scanned < n;
	     scanned++) {
		unsigned idx = f->next_slot;
		enum open_result r;

		f->next_slot = (f->next_slot + 1) % n;
		if (f->cs[idx].fd >= 0)
			continue;
		r = flood_open_one(f, idx);
		if (r != OPEN_DONE) {
			f->st.conn_fail++;
			if (r == OPEN_STOP)
				break;
			continue;
		}
		f->st.opened++;
		f->st.open_now++;
		if (f->st.open_now > f->st.peak)
			f->st.peak = f->st.open_now;
	}
}

/* Garbage datagrams, at the bounded rate, until the total is sent. */
static void flood_send_udp(struct flood *f)
{
	while (f->udp_credit >= 1 && (long long)f->st.udp_sent < f->o.udp_total) {
		unsigned port = f->o.ports[tool_rnd(&rng) % f->o.n_ports];
		struct sockaddr_in to = { .sin_family = AF_INET,
					  .sin_port = htons((uint16_t)port),
					  .sin_addr = f->o.server };
		size_t len = garbage(f->ubuf, sizeof(f->ubuf), port);
		f->udp_credit -= 1;
		if (sendto(f->ufd, f->ubuf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0 &&
		    errno == EAGAIN)
			break;
		f->st.udp_sent++;
	}
}

/* Count what comes back: DHCP must answer none of it. */
static void flood_count_replies(struct flood *f)
{
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(f->ufd, f->ubuf, sizeof(f->ubuf), 0, (struct sockaddr *)&from,
				     &fl);
		if (r < 0)
			break;
		if (ntohs(from.sin_port) == 67 || ntohs(from.sin_port) == 4011)
			f->st.udp_replies_dhcp++;
		else
			f->st.udp_replies++;
	}
}

/* One epoll event on a connection: send the half request once connected, read and
 * drop whatever the server says, and free the slot when it closes. */
static void flood_conn_event(struct flood *f, uint32_t idx, uint32_t ev)
{
	struct conn *c = &f->cs[idx];
	char junk[4096];

	if (c->fd < 0)
		return;
	if (!c->connected && (ev & EPOLLOUT) && !(ev & (EPOLLERR | EPOLLHUP))) {
		static const char half[] = "GET /boot.ipxe?mac=52:54:00:";
		struct epoll_event e = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = idx };
		c->connected = true;
		if (c->partial && send(c->fd, half, sizeof(half) - 1, MSG_NOSIGNAL) < 0)
			ev |= EPOLLERR;
		epoll_ctl(f->ep, EPOLL_CTL_MOD, c->fd, &e);
	}
	if (ev & EPOLLIN) {
		ssize_t r;
		while ((r = recv(c->fd, junk, sizeof(junk), 0)) > 0) {
		}
		if (r == 0)
			ev |= EPOLLRDHUP;
	}
	if (ev & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
		if (c->connected)
			f->st.closed_srv++;
		else
			f->st.conn_fail++;
		close(c->fd);
		c->fd = -1;
		f->st.open_now--;
	}
}

/* Until --duration or a signal: open, send, count and service connections each tick. */
static void flood_run(struct flood *f, uint64_t t0)
{
	uint64_t last_tick = t0;
	bool announced = false;

	while (!interrupt_pending() && tool_now_ms() - t0 < (uint64_t)f->o.duration * 1000) {
		struct epoll_event evs[256];
		uint64_t now = tool_now_ms();
		int n;

		flood_refill(f, (double)(now - last_tick) / 1000.0);
		last_tick = now;
		flood_open(f);
		if (!announced && (f->st.opened >= f->o.n_conns || now - t0 >= 5000)) {
			printf("holding tcp=%u opened=%llu\n", f->st.open_now, f->st.opened);
			fflush(stdout);
			announced = true;
		}
		flood_send_udp(f);
		flood_count_replies(f);
		n = epoll_wait(f->ep, evs, 256, 2);
		for (int k = 0; k < n; k++)
			flood_conn_event(f, evs[k].data.u32, evs[k].events);
	}
}

static void flood_report(const struct stats *st, uint64_t t0)
{
	printf("tcp_opened=%llu tcp_peak=%u tcp_open_at_end=%u closed_by_server=%llu "
	       "connect_failed=%llu "
	       "udp_sent=%llu udp_replies=%llu udp_replies_dhcp=%llu elapsed_s=%.1f\n",
	       st->opened, st->peak, st->open_now, st->closed_srv, st->conn_fail, st->udp_sent,
	       st->udp_replies, st->udp_replies_dhcp, (double)(tool_now_ms() - t0) / 1000.0);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static struct flood f;
	uint64_t t0;
	int rc;

	if ((rc = parse_opts(argc, argv, &f.o)) != 0)
		return rc;
	rng ^= (uint64_t)getpid() << 17;
	raise_fd_limit(&f.o);
	interrupt_catch(); /* SIGTERM or SIGINT: stop and print the summary */
	signal(SIGPIPE, SIG_IGN);
	if ((rc = flood_setup(&f)) != 0)
		return rc;
	t0 = tool_now_ms();
	flood_run(&f, t0);
	flood_report(&f.st, t0);
	for (unsigned i = 0; i < f.o.n_conns; i++)
		if (f.cs[i].fd >= 0)
			close(f.cs[i].fd);
	free(f.cs);
	close(f.ufd);
	close(f.ep);
	return 0;
}
