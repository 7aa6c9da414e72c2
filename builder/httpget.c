/* httpget: GET over one TCP connection with Connection: close; the answer is read to EOF
 * (bounded by HTTPGET_MAX and a deadline) and checked: the status line, the end of the
 * head, and Content-Length when there is one. Untrusted bytes: never printed raw. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "httpget.h"

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Split http://HOST[:PORT][/PATH]. */
static int split_url(const char *url, char *host, size_t hcap, char *port, size_t pcap,
		     const char **path)
{
	const char *h, *end, *colon;

	if (strncmp(url, "http://", 7))
		return -EINVAL;
	h = url + 7;
	end = h + strcspn(h, "/?#");
	*path = *end == '/' ? end : "/";
	colon = memchr(h, ':', (size_t)(end - h));
	if (colon == h || end == h || (size_t)((colon ? colon : end) - h) >= hcap)
		return -EINVAL;
	memcpy(host, h, (size_t)((colon ? colon : end) - h));
	host[(colon ? colon : end) - h] = '\0';
	if (colon) {
		size_t n = (size_t)(end - colon - 1);
		if (!n || n >= pcap || strspn(colon + 1, "0123456789") < n)
			return -EINVAL;
		memcpy(port, colon + 1, n);
		port[n] = '\0';
	} else {
		snprintf(port, pcap, "80");
	}
	return 0;
}

/* Connect to the first address of host that answers; the socket, or -errno. */
static int dial(const char *host, const char *port, long long deadline)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	int rc = -EHOSTUNREACH;

	if (getaddrinfo(host, port, &hints, &ai))
		return -EHOSTUNREACH;
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int err = 0;
		socklen_t el = sizeof(err);

		if (fd < 0) {
			rc = -errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
			rc = fd;
			break;
		}
		err = errno;
		if (err == EINPROGRESS) {
			struct pollfd p = { fd, POLLOUT, 0 };
			long long left = deadline - ms_now();
			if (left <= 0 || poll(&p, 1, (int)left) != 1)
				err = ETIMEDOUT;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el))
				err = errno;
		}
		if (!err) {
			rc = fd;
			break;
		}
		close(fd);
		rc = -err;
	}
	freeaddrinfo(ai);
	return rc;
}

/* Wait for fd (events) until the deadline: 0, or -ETIMEDOUT. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = { fd, events, 0 };
	long long left = deadline - ms_now();

	return left > 0 && poll(&p, 1, (int)left) == 1 ? 0 : -ETIMEDOUT;
}

static int exchange(int fd, const char *req, size_t rlen, long long deadline, char **buf,
		    size_t *len)
{
	size_t off = 0, cap = 65536;
	char *b;

	while (off < rlen) {
		ssize_t n = send(fd, req + off, rlen - off, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n > 0)
			off += (size_t)n;
		else if (wait_fd(fd, POLLOUT, deadline))
			return -ETIMEDOUT;
	}
	b = malloc(cap + 1);
	if (!b)
		return -ENOMEM;
	*len = 0;
	for (;;) {
		ssize_t n;
		if (*len == cap) {
			char *nb = cap >= HTTPGET_MAX ? NULL : realloc(b, cap * 2 + 1);
			if (!nb) {
				free(b);
				return cap >= HTTPGET_MAX ? -EFBIG : -ENOMEM;
			}
			b = nb;
			cap *= 2;
		}
		n = recv(fd, b + *len, cap - *len, 0);
		if (n == 0)
			break;
		if (n > 0) {
			*len += (size_t)n;
			continue;
		}
		if ((errno != EAGAIN && errno != EINTR) || wait_fd(fd, POLLIN, deadline)) {
			int rc = errno == EAGAIN || errno == EINTR ? -ETIMEDOUT : -errno;
			free(b);
			return rc;
		}
	}
	b[*len] = '\0';
	*buf = b;
	return 0;
}

/* Status line and head of the answer in b[0..len): body offset and length. */
static int parse_answer(char *b, size_t len, int *status, size_t *boff, size_t *blen)
{
	char *end = memmem(b, len, "\r\n\r\n", 4), *cl;
	int code;

	if (!end || len < 13 || strncmp(b, "HTTP/1.", 7) || b[8] != ' ' ||
	    strspn(b + 9, "0123456789") != 3 || b[12] != ' ')
		return -EPROTO;
	code = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
	if (code < 100 || code > 599)
		return -EPROTO;
	*end = '\0';
	*boff = (size_t)(end - b) + 4;
	*blen = len - *boff;
	for (cl = b; (cl = strchr(cl, '\n')); cl++) {
		if (!strncasecmp(cl + 1, "content-length:", 15)) {
			char *e;
			unsigned long long v = strtoull(cl + 16, &e, 10);
			if (v != *blen)
				return -EPROTO; /* cut short, or more than announced */
		}
	}
	*status = code;
	return 0;
}

int httpget(const char *url, const char *token, unsigned timeout_ms, int *status, char **body,
	    size_t *len, struct diag *d)
{
	char host[256], port[8], req[1024], *buf = NULL;
	const char *path;
	long long deadline = ms_now() + timeout_ms;
	size_t n = 0, boff, blen;
	int fd, rc, w;

	if (split_url(url, host, sizeof(host), port, sizeof(port), &path))
		return diag_set(d, -EINVAL, "%s: not an http://HOST[:PORT][/PATH] URL", url);
	w = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: chainboot\r\n"
		     "Connection: close\r\n%s%s%s\r\n",
		     path, host, port, token ? "Authorization: Bearer " : "", token ? token : "",
		     token ? "\r\n" : "");
	if (w < 0 || (size_t)w >= sizeof(req) || strpbrk(path, " \r\n") ||
	    (token && strpbrk(token, "\r\n")))
		return diag_set(d, -EINVAL, "%s: URL or token too long or not printable", url);
	fd = dial(host, port, deadline);
	if (fd < 0)
		return diag_set(d, fd,
				"%s: cannot connect: %s (is chainbootd running, and its "
				"[server] status_listen this address?)",
				url, strerror(-fd));
	rc = exchange(fd, req, (size_t)w, deadline, &buf, &n);
	close(fd);
	if (rc || !buf)
		return diag_set(d, rc ? rc : -EIO, "%s: %s", url, strerror(rc ? -rc : EIO));
	rc = parse_answer(buf, n, status, &boff, &blen);
	if (rc) {
		free(buf);
		return diag_set(d, rc, "%s: not a complete HTTP answer", url);
	}
	memmove(buf, buf + boff, blen + 1);
	*body = buf;
	*len = blen;
	return 0;
}
