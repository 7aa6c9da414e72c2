/* httpclient: an HTTP/1.1 test client for the integration tests. It sends requests on
 * one keep-alive connection (one after another, or all at once: pipelined), or raw
 * bytes (optionally one byte at a time), and prints one key=value line per response.
 * Everything the server sends is untrusted and checked: the status line, the head's
 * size, Content-Length (required: chainbootd always sends it), and no extra bytes.
 *
 *   httpclient [options] HOST PORT [TARGET...]
 *     -X METHOD          method for every request (GET)
 *     -H 'Name: value'   an extra header field (repeatable)
 *     --pipeline         send every request before reading any answer
 *     --close            ask for Connection: close on the last request
 *     --http10           send HTTP/1.0 (with Connection: keep-alive unless --close)
 *     --raw TEXT         send TEXT (C escapes: \r \n \t \\ \xNN) instead of requests,
 *                        then read answers until the server closes
 *     --slow MS          send byte by byte, MS ms apart (slow-loris)
 *     --hold MS          afterwards, keep the connection open MS ms (then report whether
 *                        the server closed it)
 *     --wait MS          how long to wait for each answer (5000)
 *     -o PREFIX          write the body of answer N to PREFIX.N
 *   Output: "response n=N status=S length=L type=... range=... connection=..." per
 *   answer, then "result=ok responses=N", "result=closed responses=N" (the server closed
 *   the connection) or "result=timeout responses=N". Exit 0 ok, 1 closed before all
 *   answers, 2 usage, 3 timeout, 4 protocol violation by the server.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_TARGETS 256
#define MAX_HEADERS 128
#define HEAD_MAX    16384
#define BODY_MAX    (256u << 20)

struct opts {
	const char *host;
	int port;
	const char *method;
	const char *headers[MAX_HEADERS];
	int n_headers;
	const char *targets[MAX_TARGETS];
	int n_targets;
	bool pipeline, close_last, http10;
	const char *raw;
	int slow_ms, hold_ms, wait_ms;
	const char *out_prefix;
};

static char rbuf[HEAD_MAX * 2];
static size_t rlen;

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Read more into rbuf; 1 data, 0 closed, -1 timeout, -2 error. */
static int fill(int fd, int wait_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t r;

	if (rlen == sizeof(rbuf))
		return -2;
	if (poll(&p, 1, wait_ms) <= 0)
		return -1;
	r = recv(fd, rbuf + rlen, sizeof(rbuf) - rlen, 0);
	if (r == 0)
		return 0;
	if (r < 0)
		return errno == ECONNRESET ? 0 : -2;
	rlen += (size_t)r;
	return 1;
}

static void consume(size_t n)
{
	memmove(rbuf, rbuf + n, rlen - n);
	rlen -= n;
}

/* Header value by name (case-insensitive) in head[0..n); copies to out. */
static bool header(const char *head, size_t n, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name), i = 0;

	while (i < n) {
		const char *eol = memchr(head + i, '\n', n - i);
		size_t e = eol ? (size_t)(eol - head) : n;
		if (e - i > nl + 1 && !strncasecmp(head + i, name, nl) && head[i + nl] == ':') {
			size_t s = i + nl + 1, t = e;
			while (s < t && (head[s] == ' ' || head[s] == '\t'))
				s++;
			while (t > s && (head[t - 1] == '\r' || head[t - 1] == ' '))
				t--;
			snprintf(out, cap, "%.*s", (int)(t - s), head + s);
			return true;
		}
		i = e + 1;
	}
	snprintf(out, cap, "-");
	return false;
}

/* Read one answer. Returns 1 (printed), 0 (closed before one began), -1 timeout,
 * -3 closed in the middle, -4 protocol error. */
static int read_response(int fd, const struct opts *o, int n, bool head_only)
{
	char type[128], range[128], conn[64], clen[32], etag[96], lastmod[64], allow[64];
	size_t hl = 0;
	unsigned long long len;
	int status, rc;
	char *end;

	for (;;) {
		char *e = rlen ? memmem(rbuf, rlen, "\r\n\r\n", 4) : NULL;
		if (e) {
			hl = (size_t)(e - rbuf) + 4;
			break;
		}
		if (rlen >= HEAD_MAX) {
			printf("error=\"response head over %d bytes\"\n", HEAD_MAX);
			return -4;
		}
		rc = fill(fd, o->wait_ms);
		if (rc == 0)
			return rlen ? -3 : 0;
		if (rc < 0)
			return rc == -1 ? -1 : -4;
	}
	if (hl < 16 || memcmp(rbuf, "HTTP/1.", 7) || rbuf[8] != ' ') {
		printf("error=\"bad status line\"\n");
		return -4;
	}
	status = (int)strtol(rbuf + 9, &end, 10);
	if (end != rbuf + 12 || status < 100 || status > 599) {
		printf("error=\"bad status code\"\n");
		return -4;
	}
	if (!header(rbuf, hl, "Content-Length", clen, sizeof(clen))) {
		printf("error=\"no Content-Length\"\n");
		return -4;
	}
	len = strtoull(clen, &end, 10);
	if (*end || !clen[0] || len > BODY_MAX) {
		printf("error=\"bad Content-Length %s\"\n", clen);
		return -4;
	}
	header(rbuf, hl, "Content-Type", type, sizeof(type));
	header(rbuf, hl, "Content-Range", range, sizeof(range));
	header(rbuf, hl, "Connection", conn, sizeof(conn));
	header(rbuf, hl, "ETag", etag, sizeof(etag));
	header(rbuf, hl, "Last-Modified", lastmod, sizeof(lastmod));
	header(rbuf, hl, "Allow", allow, sizeof(allow));
	consume(hl);
	if (head_only)
		len = 0;
	{
		FILE *f = NULL;
		unsigned long long got = 0;
		if (o->out_prefix) {
			char path[4096];
			snprintf(path, sizeof(path), "%s.%d", o->out_prefix, n);
			f = fopen(path, "wb");
		}
		while (got < len) {
			size_t take;
			if (!rlen) {
				rc = fill(fd, o->wait_ms);
				if (rc == 0) {
					if (f)
						fclose(f);
					printf("response n=%d status=%d length=%llu got=%llu "
					       "error=\"closed in the body\"\n",
					       n, status, len, got);
					return -3;
				}
				if (rc < 0) {
					if (f)
						fclose(f);
					return rc == -1 ? -1 : -4;
				}
			}
			take = rlen < len - got ? rlen : (size_t)(len - got);
			if (f)
				fwrite(rbuf, 1, take, f);
			consume(take);
			got += take;
		}
		if (f)
			fclose(f);
	}
	printf("response n=%d status=%d length=%llu type=\"%s\" range=\"%s\" connection=%s "
	       "etag=%s lastmod=\"%s\" allow=\"%s\"\n",
	       n, status, len, type, range, conn, etag[0] ? etag : "-", lastmod, allow);
	fflush(stdout);
	return 1;
}

static int send_all(int fd, const char *p, size_t n, int slow_ms)
{
	while (n) {
		ssize_t w = send(fd, p, slow_ms ? 1 : n, MSG_NOSIGNAL);
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
		if (slow_ms && n) {
			struct timespec t = { slow_ms / 1000, (long)(slow_ms % 1000) * 1000000L };
			nanosleep(&t, NULL);
		}
	}
	return 0;
}

static size_t unescape(const char *s, char *out, size_t cap)
{
	size_t o = 0;

	for (; *s && o < cap; s++) {
		if (*s != '\\' || !s[1]) {
			out[o++] = *s;
			continue;
		}
		s++;
		switch (*s) {
		case 'r':
			out[o++] = '\r';
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case '0':
			out[o++] = '\0';
			break;
		case 'x': {
			unsigned v = 0;
			int k;
			for (k = 0; k < 2 && s[1] && strchr("0123456789abcdefABCDEF", s[1]);
			     k++, s++)
				v = v * 16 +
				    (unsigned)(s[1] <= '9' ? s[1] - '0' : (s[1] | 32) - 'a' + 10);
			out[o++] = (char)v;
			break;
		}
		default:
			out[o++] = *s;
			break;
		}
	}
	return o;
}

static size_t build(const struct opts *o, int i, char *buf, size_t cap)
{
	bool last = i == o->n_targets - 1, close = last && o->close_last;
	int n = snprintf(buf, cap,
			 "%s %s HTTP/1.%d\r\nHost: %s:%d\r\nUser-Agent: chainboot-httpclient\r\n",
			 o->method, o->targets[i], o->http10 ? 0 : 1, o->host, o->port);

	for (int k = 0; k < o->n_headers && n > 0 && (size_t)n < cap; k++)
		n += snprintf(buf + n, cap - (size_t)n, "%s\r\n", o->headers[k]);
	if (n > 0 && (size_t)n < cap)
		n += snprintf(buf + n, cap - (size_t)n, "%s\r\n",
			      close	  ? "Connection: close\r\n"
			      : o->http10 ? "Connection: keep-alive\r\n"
					  : "");
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: httpclient [-X METHOD] [-H HDR] [--pipeline] [--close] [--http10] "
			"[--raw TEXT] "
			"[--slow MS] [--hold MS] [--wait MS] [-o PREFIX] HOST PORT [TARGET...]\n");
	return 2;
}

static int finish(const char *result, int responses, int code)
{
	printf("result=%s responses=%d\n", result, responses);
	return code;
}

/* Requests (and the raw bytes) are built here: a whole pipeline must fit. */
static char sbuf[1 << 20];

/* The command line into o and the server's address into sa; 0, or usage()'s 2. */
static int parse_opts(int argc, char **argv, struct opts *o, struct sockaddr_in *sa)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;
		if (!strcmp(a, "-X") && more)
			o->method = argv[++i];
		else if (!strcmp(a, "-H") && more && o->n_headers < MAX_HEADERS)
			o->headers[o->n_headers++] = argv[++i];
		else if (!strcmp(a, "--pipeline"))
			o->pipeline = true;
		else if (!strcmp(a, "--close"))
			o->close_last = true;
		else if (!strcmp(a, "--http10"))
			o->http10 = true;
		else if (!strcmp(a, "--raw") && more)
			o->raw = argv[++i];
		else if (!strcmp(a, "--slow") && more)
			o->slow_ms = atoi(argv[++i]);
		else if (!strcmp(a, "--hold") && more)
			o->hold_ms = atoi(argv[++i]);
		else if (!strcmp(a, "--wait") && more)
			o->wait_ms = atoi(argv[++i]);
		else if (!strcmp(a, "-o") && more)
			o->out_prefix = argv[++i];
		else if (a[0] == '-')
			return usage();
		else if (!o->host)
			o->host = a;
		else if (!o->port)
			o->port = atoi(a);
		else if (o->n_targets < MAX_TARGETS)
			o->targets[o->n_targets++] = a;
		else
			return usage();
	}
	if (!o->host || o->port <= 0 || o->port > 65535 || (!o->raw && !o->n_targets))
		return usage();
	if (inet_pton(AF_INET, o->host, &sa->sin_addr) != 1)
		return usage();
	sa->sin_port = htons((uint16_t)o->port);
	return 0;
}

/* The result line for read_response()'s rc other than 1; closed_code: the exit status
 * when the server closed the connection. */
static int finish_read(int rc, int got, int closed_code)
{
	if (rc == 0 || rc == -3)
		return finish("closed", got, closed_code);
	return rc == -1 ? finish("timeout", got, 3) : finish("error", got, 4);
}

/* --raw: send the bytes, then print answers until the server closes. */
static int run_raw(int fd, const struct opts *o)
{
	size_t len = unescape(o->raw, sbuf, sizeof(sbuf));
	int got = 0, rc;

	if (send_all(fd, sbuf, len, o->slow_ms))
		printf("note=\"send failed: %s\"\n", strerror(errno));
	while ((rc = read_response(fd, o, got + 1, false)) == 1)
		got++;
	return finish_read(rc, got, 0);
}

/* --pipeline: every request in one send; 0, or usage()'s 2 when they do not fit. */
static int send_pipeline(int fd, const struct opts *o)
{
	size_t len = 0;

	for (int i = 0; i < o->n_targets; i++) {
		size_t n = build(o, i, sbuf + len, sizeof(sbuf) - len);
		if (!n)
			return usage();
		len += n;
	}
	if (send_all(fd, sbuf, len, o->slow_ms))
		printf("note=\"send failed: %s\"\n", strerror(errno));
	return 0;
}

/* Each target's answer (sending its request first unless pipelined); 0 when all came,
 * else the exit status after the result line. */
static int run_requests(int fd, const struct opts *o, int *got)
{
	static char one[16384];
	bool head = !strcmp(o->method, "HEAD");
	int rc;

	if (o->pipeline && (rc = send_pipeline(fd, o)) != 0)
		return rc;
	for (int i = 0; i < o->n_targets; i++) {
		if (!o->pipeline) {
			size_t n = build(o, i, one, sizeof(one));
			if (!n)
				return usage();
			if (send_all(fd, one, n, o->slow_ms)) {
				printf("note=\"send failed: %s\"\n", strerror(errno));
			}
		}
		rc = read_response(fd, o, i + 1, head);
		if (rc != 1)
			return finish_read(rc, *got, 1);
		(*got)++;
	}
	return 0;
}

/* --hold: keep the connection idle for MS ms and say whether the server closed it;
 * 0, or -1 when it sent something. */
static int hold_open(int fd, const struct opts *o)
{
	long long end = now_ms() + o->hold_ms;

	for (;;) {
		long long left = end - now_ms();
		int rc;

		if (left <= 0) {
			printf("hold=open\n");
			return 0;
		}
		rc = fill(fd, (int)left);
		if (rc == 0) {
			printf("hold=closed-by-server after_ms=%lld\n",
			       o->hold_ms - (end - now_ms()));
			return 0;
		}
		if (rc == 1) {
			printf("error=\"unexpected bytes while idle\"\n");
			return -1;
		}
	}
}

int main(int argc, char **argv)
{
	struct opts o = { .method = "GET", .wait_ms = 5000 };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd, got = 0, rc;

	if ((rc = parse_opts(argc, argv, &o, &sa)) != 0)
		return rc;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		printf("error=\"connect: %s\"\n", strerror(errno));
		return finish("closed", 0, 1);
	}
	if (o.raw)
		return run_raw(fd, &o);
	if ((rc = run_requests(fd, &o, &got)) != 0)
		return rc;
	if (rlen) {
		printf("error=\"%zu bytes after the last answer\"\n", rlen);
		return finish("error", got, 4);
	}
	if (o.hold_ms > 0 && hold_open(fd, &o))
		return finish("error", got, 4);
	close(fd);
	return finish("ok", got, 0);
}
