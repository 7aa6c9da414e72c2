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

int main(int argc, char **argv)
{
	struct in_addr server = { 0 }, src = { 0 };
	unsigned http_port = 8080, n_conns = 10000, conn_rate = 5000, reopen_rate = 500,
		 partial = 50, udp_rate = 2000;
	unsigned ports[PORTS_MAX] = { 67, 4011, 69 }, n_ports = 3;
	long long udp_total = 20000, duration = 20;
	unsigned long long opened = 0, closed_srv = 0, conn_fail = 0, udp_sent = 0, udp_replies = 0,
			   udp_replies_dhcp = 0;
	unsigned open_now = 0, peak = 0;
	struct conn *cs;
	struct rlimit rl;
	uint64_t t0, last_tick;
	double conn_credit = 0, udp_credit = 0;
	bool announced = false;
	int ep, ufd;
	static uint8_t ubuf[1500];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) {
			fprintf(stderr, "flood: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--server")) {
			if (inet_pton(AF_INET, v, &server) != 1)
				return fprintf(stderr,
					       "flood: --server: \"%s\" is not an IPv4 address\n",
					       v),
				       2;
		} else if (!strcmp(a, "--src")) {
			if (inet_pton(AF_INET, v, &src) != 1)
				return fprintf(stderr,
					       "flood: --src: \"%s\" is not an IPv4 address\n", v),
				       2;
		} else if (!strcmp(a, "--http-port"))
			http_port = (unsigned)tool_num("flood", a, v, 1, 65535);
		else if (!strcmp(a, "--conns"))
			n_conns = (unsigned)tool_num("flood", a, v, 0, CONNS_MAX);
		else if (!strcmp(a, "--conn-rate"))
			conn_rate = (unsigned)tool_num("flood", a, v, 1, 100000);
		else if (!strcmp(a, "--reopen-rate"))
			reopen_rate = (unsigned)tool_num("flood", a, v, 0, 100000);
		else if (!strcmp(a, "--partial"))
			partial = (unsigned)tool_num("flood", a, v, 0, 100);
		else if (!strcmp(a, "--udp"))
			udp_total = tool_num("flood", a, v, 0, UDP_MAX);
		else if (!strcmp(a, "--udp-rate"))
			udp_rate = (unsigned)tool_num("flood", a, v, 1, 100000);
		else if (!strcmp(a, "--duration"))
			duration = tool_num("flood", a, v, 1, 600);
		else if (!strcmp(a, "--udp-ports")) {
			char tmp[128], *save = NULL, *tok;
			snprintf(tmp, sizeof(tmp), "%s", v);
			n_ports = 0;
			for (tok = strtok_r(tmp, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				if (n_ports == PORTS_MAX)
					return fprintf(stderr, "flood: --udp-ports: at most %d\n",
						       PORTS_MAX),
					       2;
				ports[n_ports++] = (unsigned)tool_num("flood", a, tok, 1, 65535);
			}
		} else {
			fprintf(stderr, "usage: flood --server ADDR [--http-port N] [--conns N] "
					"[--conn-rate N] [--reopen-rate N] "
					"[--partial PCT] [--udp N] [--udp-rate N] [--udp-ports "
					"P,P] [--duration S] "
					"[--src ADDR]\n");
			return 2;
		}
	}
	if (!server.s_addr)
		return fprintf(stderr, "flood: --server is required\n"), 2;
	rng ^= (uint64_t)getpid() << 17;

	/* one fd per connection: ask for all of them (the test raises the hard limit) */
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < (rlim_t)n_conns + 16) {
			fprintf(stderr,
				"flood: RLIMIT_NOFILE is %llu: holding at most that many "
				"connections\n",
				(unsigned long long)rl.rlim_cur);
			n_conns = rl.rlim_cur > 32 ? (unsigned)rl.rlim_cur - 32 : 0;
		}
	}
	interrupt_catch(); /* SIGTERM or SIGINT: stop and print the summary */
	signal(SIGPIPE, SIG_IGN);
	cs = calloc(n_conns ? n_conns : 1, sizeof(*cs));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ufd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!cs || ep < 0 || ufd < 0)
		return perror("flood: setup"), 2;
	for (unsigned i = 0; i < n_conns; i++)
		cs[i].fd = -1;
	if (src.s_addr) {
		struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr = src };
		if (bind(ufd, (struct sockaddr *)&me, sizeof(me)))
			return perror("flood: bind"), 2;
	}

	t0 = last_tick = tool_now_ms();
	unsigned next_slot = 0;
	while (!interrupt_pending() && tool_now_ms() - t0 < (uint64_t)duration * 1000) {
		struct epoll_event evs[256];
		uint64_t now = tool_now_ms();
		double dt = (double)(now - last_tick) / 1000.0;
		unsigned rate;
		int n;

		last_tick = now;
		/* the first N at --conn-rate; then the ones the server closed at --reopen-rate */
		rate = opened < n_conns ? conn_rate : reopen_rate;
		conn_credit += dt * rate;
		if (conn_credit > rate / 10.0 + 1)
			conn_credit = rate / 10.0 + 1;
		udp_credit += dt * udp_rate;
		if (udp_credit > udp_rate / 10.0 + 1)
			udp_credit = udp_rate / 10.0 + 1;

		/* open connections into free slots, at the bounded rate */
		for (unsigned scanned = 0;
		     conn_credit >= 1 && open_now < n_conns && scanned < n_conns; scanned++) {
			struct conn *c = &cs[next_slot];
			unsigned idx = next_slot;
			next_slot = (next_slot + 1) % n_conns;
			if (c->fd >= 0)
				continue;
			struct sockaddr_in to = { .sin_family = AF_INET,
						  .sin_port = htons((uint16_t)http_port),
						  .sin_addr = server };
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			conn_credit -= 1;
			if (fd < 0) {
				conn_fail++;
				break;
			}
			if (src.s_addr) {
				struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr = src };
				if (bind(fd, (struct sockaddr *)&me, sizeof(me))) {
					close(fd);
					conn_fail++;
					break;
				}
			}
			if (connect(fd, (struct sockaddr *)&to, sizeof(to)) &&
			    errno != EINPROGRESS) {
				close(fd);
				conn_fail++;
				continue;
			}
			struct epoll_event e = { .events = EPOLLOUT | EPOLLIN | EPOLLRDHUP,
						 .data.u32 = idx };
			if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e)) {
				close(fd);
				conn_fail++;
				continue;
			}
			c->fd = fd;
			c->connected = false;
			c->partial = tool_rnd(&rng) % 100 < partial;
			opened++;
			open_now++;
			if (open_now > peak)
				peak = open_now;
		}
		if (!announced && (opened >= n_conns || now - t0 >= 5000)) {
			printf("holding tcp=%u opened=%llu\n", open_now, opened);
			fflush(stdout);
			announced = true;
		}

		/* garbage datagrams, at the bounded rate, until the total is sent */
		while (udp_credit >= 1 && (long long)udp_sent < udp_total) {
			unsigned port = ports[tool_rnd(&rng) % n_ports];
			struct sockaddr_in to = { .sin_family = AF_INET,
						  .sin_port = htons((uint16_t)port),
						  .sin_addr = server };
			size_t len = garbage(ubuf, sizeof(ubuf), port);
			udp_credit -= 1;
			if (sendto(ufd, ubuf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0 &&
			    errno == EAGAIN)
				break;
			udp_sent++;
		}
		for (;;) { /* count what comes back: DHCP must answer none of it */
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t r = recvfrom(ufd, ubuf, sizeof(ubuf), 0, (struct sockaddr *)&from,
					     &fl);
			if (r < 0)
				break;
			if (ntohs(from.sin_port) == 67 || ntohs(from.sin_port) == 4011)
				udp_replies_dhcp++;
			else
				udp_replies++;
		}

		n = epoll_wait(ep, evs, 256, 2);
		for (int k = 0; k < n; k++) {
			struct conn *c = &cs[evs[k].data.u32];
			uint32_t ev = evs[k].events;
			char junk[4096];

			if (c->fd < 0)
				continue;
			if (!c->connected && (ev & EPOLLOUT) && !(ev & (EPOLLERR | EPOLLHUP))) {
				static const char half[] = "GET /boot.ipxe?mac=52:54:00:";
				struct epoll_event e = { .events = EPOLLIN | EPOLLRDHUP,
							 .data.u32 = evs[k].data.u32 };
				c->connected = true;
				if (c->partial &&
				    send(c->fd, half, sizeof(half) - 1, MSG_NOSIGNAL) < 0)
					ev |= EPOLLERR;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
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
					closed_srv++;
				else
					conn_fail++;
				close(c->fd);
				c->fd = -1;
				open_now--;
			}
		}
	}
	printf("tcp_opened=%llu tcp_peak=%u tcp_open_at_end=%u closed_by_server=%llu "
	       "connect_failed=%llu "
	       "udp_sent=%llu udp_replies=%llu udp_replies_dhcp=%llu elapsed_s=%.1f\n",
	       opened, peak, open_now, closed_srv, conn_fail, udp_sent, udp_replies,
	       udp_replies_dhcp, (double)(tool_now_ms() - t0) / 1000.0);
	fflush(stdout);
	for (unsigned i = 0; i < n_conns; i++)
		if (cs[i].fd >= 0)
			close(cs[i].fd);
	free(cs);
	close(ufd);
	close(ep);
	return 0;
}
