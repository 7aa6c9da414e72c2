/* status: the status listener — its own TCP socket in the shared loop, a few connections,
 * one request each (parsed by lib/httpparse), answered whole, then closed. Bearer token
 * when configured; required for an address other than loopback (or status_token = none). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "httpparse.h"
#include "log.h"
#include "status.h"
#include "timeline.h"

#define STATUS_CONNS 8
#define STATUS_MS    5000 /* a connection's whole life: request and answer */

struct sconn {
	struct status *st;
	int fd; /* -1: free */
	char in[HTTP_MAX_HEAD];
	size_t in_len;
	struct sbuf out;
	size_t out_off;
	struct loop_timer timer;
};

struct status {
	struct server *s;
	int fd;
	const char *token; /* NULL: none asked */
	struct sconn c[STATUS_CONNS];
};

static void conn_close(struct sconn *c)
{
	loop_timer_cancel(c->st->s->loop, &c->timer);
	loop_unwatch(c->st->s->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	free(c->out.p);
	c->out = (struct sbuf){ 0 };
}

static void on_timeout(struct loop *l, void *arg)
{
	(void)l;
	conn_close(arg);
}

/* "Authorization: Bearer TOKEN" among the (already parsed, so well-formed) header lines. */
static bool authorized(const struct status *st, const char *head, size_t len)
{
	static const char name[] = "\nauthorization:";
	size_t tl = strlen(st->token), n = sizeof(name) - 1;

	for (size_t i = 0; i + n < len; i++) {
		if (!httpparse_lceq(head + i, n, name))
			continue;
		const char *v = head + i + n, *end = head + len;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		if (end - v < 7 || !httpparse_lceq(v, 7, "bearer "))
			return false;
		v += 7;
		size_t vl = 0;
		while (v + vl < end && v[vl] != '\r' && v[vl] != '\n')
			vl++;
		unsigned diff = vl != tl; /* no early exit: the time says nothing of the token */
		for (size_t k = 0; k < tl; k++)
			diff |= (unsigned)(k < vl ? v[k] : 0) ^ (unsigned)st->token[k];
		return !diff;
	}
	return false;
}

static void respond(struct sconn *c, int code, const char *type, const char *body, size_t blen,
		    bool head)
{
	const char *text = code == 200	 ? "OK"
			   : code == 400 ? "Bad Request"
			   : code == 401 ? "Unauthorized"
			   : code == 404 ? "Not Found"
			   : code == 405 ? "Method Not Allowed"
			   : code == 503 ? "Service Unavailable"
					 : "Error";
	struct sbuf *o = &c->out;

	sbuf_printf(o,
		    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		    "Cache-Control: no-store\r\nConnection: close\r\n%s\r\n",
		    code, text, type, blen,
		    code == 401 ? "WWW-Authenticate: Bearer realm=\"chainbootd\"\r\n" : "");
	if (!head && blen)
		sbuf_printf(o, "%.*s", (int)blen, body);
}

static void route(struct sconn *c, const struct http_request *req, size_t head_len)
{
	const struct server *s = c->st->s;
	struct sbuf b = { 0 };
	char path[64], q[80];
	int code = 200, n;
	const char *type = "text/plain; charset=utf-8";
	bool head = req->method == HTTP_METHOD_HEAD;

	n = httpparse_decode(req->path.p, req->path.len, path, sizeof(path));
	if (n < 0)
		path[0] = '\0'; /* not one of ours: 404 */
	if (req->method == HTTP_METHOD_OTHER)
		code = 405, sbuf_printf(&b, "405 only GET and HEAD\n");
	else if (c->st->token && !authorized(c->st, c->in, head_len))
		code = 401, sbuf_printf(&b, "401 a bearer token is needed (status_token)\n");
	else if (!strcmp(path, "/status.json"))
		type = "application/json", code = status_json(s, &b) ? 500 : 200;
	else if (!strcmp(path, "/"))
		type = "text/html; charset=utf-8", code = status_html(s, &b) ? 500 : 200;
	else if (!strcmp(path, "/healthz"))
		code = status_health(s, &b);
	else if (!strcmp(path, "/metrics"))
		type = "text/plain; version=0.0.4; charset=utf-8",
		code = status_metrics(s, &b) ? 500 : 200;
	else
		code = 404, sbuf_printf(&b, "404 not found\n");
	if (b.oom)
		code = 500;
	respond(c, code, type, b.p, b.oom ? 0 : b.len, head);
	free(b.p);
	log_event("status", "path=%s status=%d bytes=%zu",
		  log_quote(n < 0 ? "?" : path, q, sizeof(q)), code, c->out.len);
}

static void on_conn(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct sconn *c = arg;
	struct http_request req;
	ssize_t r;
	int n;

	(void)events;
	if (c->out.len) {
		r = send(fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0 || (c->out_off += (size_t)r) == c->out.len)
			conn_close(c);
		return;
	}
	r = recv(fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		conn_close(c);
		return;
	}
	c->in_len += (size_t)r;
	n = httpparse_request(c->in, c->in_len, &req);
	if (n == -2 && c->in_len < sizeof(c->in))
		return;
	if (n < 0) {
		respond(c, 400, "text/plain; charset=utf-8", "400 bad request\n", 16, false);
	} else {
		route(c, &req, (size_t)n);
	}
	if (c->out.oom) {
		conn_close(c);
		return;
	}
	loop_modify(l, fd, EPOLLOUT);
}

static void on_listen(struct loop *l, int lfd, uint32_t events, void *arg)
{
	struct status *st = arg;

	(void)events;
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct sconn *c = NULL;
		if (fd < 0)
			return;
		for (unsigned i = 0; i < STATUS_CONNS && !c; i++)
			if (st->c[i].fd < 0)
				c = &st->c[i];
		if (!c || loop_watch(l, fd, EPOLLIN, on_conn, c)) {
			close(fd); /* a few readers at a time is plenty for a status page */
			continue;
		}
		c->fd = fd;
		c->in_len = 0;
		c->out_off = 0;
		loop_timer_set(l, &c->timer, STATUS_MS, on_timeout, c);
	}
}

static int parse_listen(const char *v, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(v, ':');
	char *end;
	unsigned long port;

	if (!colon || (size_t)(colon - v) >= sizeof(host))
		return -EINVAL;
	memcpy(host, v, (size_t)(colon - v));
	host[colon - v] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end || !colon[1] || port == 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -EINVAL;
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

static int make_timeline(struct server *s, struct diag *d)
{
	const struct site_config *c = s->cfg;
	struct timeline_budget b = { c->timeline_machines, c->timeline_events, c->timeline_stall };
	int rc;

	if (!c->timeline) /* s->tl NULL: every hook returns at once */
		return 0;
	rc = timeline_new(&b, &s->tl);
	if (rc)
		return diag_set(d, rc, "timeline: %u machines x %u events: %s",
				c->timeline_machines, c->timeline_events, strerror(-rc));
	if (s->inv)
		timeline_reload(s->tl, c->inventory, NULL);
	return 0;
}

int status_check(const struct site_config *c, struct diag *d)
{
	struct sockaddr_in sa = { 0 };

	if (!strcmp(c->status_listen, "off"))
		return 0;
	/* the page, status.json, /metrics and /healthz are all read from the timeline */
	if (!c->timeline)
		return diag_set(d, -EINVAL,
				"%s: [server] timeline = no, but status_listen is %s: the status "
				"listener shows the timeline; set status_listen = off as well, or "
				"timeline = yes",
				c->source[0] ? c->source : "configuration", c->status_listen);
	if (parse_listen(c->status_listen, &sa))
		return diag_set(d, -EINVAL,
				"%s: [server] status_listen \"%s\": not ADDR:PORT with an IPv4 "
				"address (e.g. 127.0.0.1:9180), or off",
				c->source[0] ? c->source : "configuration", c->status_listen);
	if ((ntohl(sa.sin_addr.s_addr) >> 24) != 127 && !c->status_token[0])
		return diag_set(d, -EINVAL,
				"%s: [server] status_listen %s is not a loopback address: set "
				"status_token (a bearer token), or status_token = none to let "
				"anyone there see every machine",
				c->source[0] ? c->source : "configuration", c->status_listen);
	return 0;
}

int status_open(struct server *s, struct status **out, struct diag *d)
{
	const struct site_config *c = s->cfg;
	struct sockaddr_in sa = { 0 };
	struct status *st;
	int one = 1, rc;

	*out = NULL;
	rc = make_timeline(s, d);
	if (!rc)
		rc = status_check(c, d);
	if (rc || !strcmp(c->status_listen, "off"))
		return rc;
	parse_listen(c->status_listen, &sa); /* checked above */
	st = calloc(1, sizeof(*st));
	if (!st)
		return diag_set(d, -ENOMEM, "status: out of memory");
	st->s = s;
	st->token = c->status_token[0] && strcmp(c->status_token, "none") ? c->status_token : NULL;
	for (unsigned i = 0; i < STATUS_CONNS; i++)
		st->c[i] = (struct sconn){ .st = st, .fd = -1 };
	st->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (st->fd < 0 || setsockopt(st->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(st->fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(st->fd, 16)) {
		rc = -errno;
		if (st->fd >= 0)
			close(st->fd);
		free(st);
		return diag_set(d, rc,
				"status: cannot listen on %s: %s (see [server] status_listen)",
				c->status_listen, strerror(-rc));
	}
	*out = st;
	return 0;
}

int status_start(struct status *st)
{
	if (!st)
		return 0;
	int rc = loop_timer_reserve(st->s->loop, STATUS_CONNS);
	return rc ? rc : loop_watch(st->s->loop, st->fd, EPOLLIN, on_listen, st);
}

void status_close(struct server *s, struct status *st)
{
	if (st) {
		for (unsigned i = 0; i < STATUS_CONNS; i++)
			if (st->c[i].fd >= 0)
				conn_close(&st->c[i]);
		loop_unwatch(s->loop, st->fd);
		close(st->fd);
		free(st);
	}
	timeline_free(s->tl);
	s->tl = NULL;
}
