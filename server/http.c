/* http: the HTTP/1.1 service — /boot.ipxe renders a machine's script from the inventory,
 * every other path is a static boot file (built-in, then boot_root).
 *
 * Untrusted input: every byte a TCP client sends, at any pace. Heads are parsed by
 * httpparse (pure, capped: 8 KiB head, 4 KiB target, 64 fields); facts go to the
 * inventory, which escapes them before they reach a script; paths go to bootroot_open()
 * (openat2 RESOLVE_BENEATH, no symlinks) and are never echoed back. Each connection has
 * a fixed input buffer, at most one response in flight and one timer (idle, slow head,
 * stalled write, linger); the number of connections is capped (http_max): at the cap
 * the oldest connection waiting for its client (idle keep-alive, or a head still
 * incomplete) is closed, else the newcomer gets a 503.
 *
 * Throughput: one read per readiness event; the responses to every complete request in
 * the buffer (pipelining) are built in one shared batch buffer and sent with one
 * sendmsg; scripts are rendered into a shared buffer (the loop is single-threaded), so
 * a request costs no allocation; files go out with sendfile, one slice per connection
 * and loop turn (SENDFILE_TURN), round-robin; the request log lines of one loop pass go
 * out in one write (log_hold). Only a response that does not fit the socket at once has
 * its rest copied to the connection (then EPOLLOUT).
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "bootroot.h"
#include "generator.h"
#include "timeline.h"
#include "httpparse.h"
#include "inventory.h"
#include "log.h"
#include "outbuf.h"
#include "template.h"

#define IN_CAP	     (HTTP_MAX_HEAD + 4096) /* one head, and the start of a pipelined next one */
#define HEAD_RESERVE 1024		    /* the longest response head we write */
#define OUT_CAP \
	(TEMPLATE_MAX + HEAD_RESERVE + 16384) /* batch: many small responses or one big script */
/* The sizes that must agree. A request is handled only when the batch has room for
 * one head and one script; a script is rendered into TEMPLATE_MAX + 1 bytes or printed
 * by a generator (capped at GENERATOR_MAX_OUT) and goes into the batch whole. */
_Static_assert(GENERATOR_MAX_OUT <= TEMPLATE_MAX,
	       "a generator's script must fit where a rendered one does");
_Static_assert(OUT_CAP >= HEAD_RESERVE + TEMPLATE_MAX + 1,
	       "the batch must hold one head and the largest script");
#define ACCEPT_BATCH	64
#define ACCEPT_PAUSE_MS 100 /* out of fds: let the listen queue wait a little */
/* A file answer's share of one loop turn: then the connection waits for the next
 * EPOLLOUT (level-triggered, so at once while the socket has room), and every other
 * connection, a script request too, gets its turn first. Filling one socket until
 * EAGAIN instead left the others idle meanwhile and made each wait for a wake-up. */
#define SENDFILE_TURN (256u << 10)
#define FREE_KEEP     64   /* idle connection structs kept for reuse */
#define GEN_SLACK_MS  5000 /* a generating connection's timer beyond the generator's */
#define SCRIPT_PATH   "/boot.ipxe"
#define SCRIPT_TYPE   "text/plain; charset=utf-8"

enum cstate { C_READ, C_WRITE, C_GEN, C_LINGER };

/* What a generator run needs after the request's buffers are reused. */
struct genctx {
	struct inventory *inv; /* held: a reload may drop the server's reference meanwhile */
	struct inv_facts f;
	struct inv_result r;
	bool head;
	unsigned minor;
	uint64_t t0;
	char method[HTTP_MAX_METHOD + 1];
	char path[64];
	char q[2 * HTTP_MAX_TARGET + 2];
};

struct conn {
	struct http *h;
	struct conn *all_prev, *all_next;   /* every open connection */
	struct conn *idle_prev, *idle_next; /* idle keep-alive ones, oldest first */
	bool idle;
	int fd;
	uint32_t events;
	enum cstate state;
	struct loop_timer timer;
	uint64_t deadline;
	uint64_t req_start; /* ms of the first byte of the request being read; 0: none */
	bool eof;	    /* the client has shut its sending side */
	bool close_after;   /* close once the output is out */
	bool client_close;  /* the client asked for the close: it sends nothing more */
	bool nodelay;	    /* TCP_NODELAY set (on the first keep-alive answer) */
	char ip[INET_ADDRSTRLEN];
	char peer[INET_ADDRSTRLEN + 8];
	/* output not yet sent: pend (the batch, or a copy of its rest), then data, then file */
	struct outpend pend;
	const char *data;
	size_t data_len, data_off;
	int file_fd;
	off_t file_off, file_end;
	/* the log line of a file response, written when it is done */
	struct {
		bool on;
		int status;
		uint64_t t0;
		uint64_t total, sent;
		char method[HTTP_MAX_METHOD + 1];
		char path[300];
	} big;
	struct generator_job *job;
	struct genctx *gen;
	struct conn *next_free;
	size_t in_len;
	char in[IN_CAP];
};

struct http {
	struct server *s;
	int lfd;
	bool watching, accept_paused;
	unsigned max, n_conns, n_free;
	struct conn *all, *free_list, *idle_head, *idle_tail;
	struct inventory *empty; /* served when the server has no inventory */
	struct generator *gen;
	struct loop_timer accept_timer;
	struct loop_timer log_timer; /* armed while request lines are held (log_hold) */
	char server_url[64];
	struct http_stats st;
	unsigned long rejects_unlogged;
	uint64_t reject_log_ms;
	time_t date_sec;
	char date[40];
	/* scratch for the request being handled (one at a time: single-threaded loop) */
	struct outbuf *out; /* OUT_CAP bytes */
	char render[TEMPLATE_MAX + 1];
	char path[HTTP_MAX_TARGET + 1];
	char qbuf[2 * HTTP_MAX_TARGET + 2];
	char env[32768];
	char *envp[128];
};

static void process(struct conn *c);
static void close_conn(struct conn *c, const char *why);

/* ---- small helpers ---- */

static uint64_t now_ms(const struct http *h)
{
	return loop_now_ms(h->s->loop);
}

static const char *status_text(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 206:
		return "Partial Content";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 414:
		return "URI Too Long";
	case 416:
		return "Range Not Satisfiable";
	case 431:
		return "Request Header Fields Too Large";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Internal Server Error";
	}
}

/* RFC 9110 6.6.1: an origin server with a clock sends Date. Formatted once a second. */
/* IMF-fixdate (RFC 9110 5.6.7) of t into out (at least 30 bytes). */
static void fmt_date(time_t t, char *out, size_t outsz)
{
	static const char days[] = "SunMonTueWedThuFriSat",
			  months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, outsz, "%.3s, %02d %.3s %04d %02d:%02d:%02d GMT", days + 3 * tm.tm_wday,
		 tm.tm_mday, months + 3 * tm.tm_mon, tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		 tm.tm_sec);
}

static const char *http_date(struct http *h)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	if (ts.tv_sec != h->date_sec) {
		fmt_date(ts.tv_sec, h->date, sizeof(h->date));
		h->date_sec = ts.tv_sec;
	}
	return h->date;
}

/* The batch buffer. process() flushes before a request when less than one head and
 * one script would fit; a put that still does not fit (a bug) marks the batch cut
 * short, and flush() drops it and closes the connection rather than send half. */
static void out_put(struct http *h, const char *s, size_t n)
{
	(void)outbuf_put(h->out, s, n);
}

static void out_str(struct http *h, const char *s)
{
	out_put(h, s, strlen(s));
}

static void out_u64(struct http *h, uint64_t v)
{
	char b[24];
	size_t i = sizeof(b);

	do
		b[--i] = (char)('0' + v % 10);
	while (v /= 10);
	out_put(h, b + i, sizeof(b) - i);
}

struct resp {
	int status;
	unsigned minor; /* the request's HTTP/1.<minor> */
	bool close;	/* Connection: close */
	bool no_store;	/* scripts are per machine and per moment */
	bool ranges;	/* Accept-Ranges: bytes */
	bool allow;	/* 405, OPTIONS: Allow */
	const char *type;
	uint64_t length;     /* Content-Length */
	const char *crange;  /* Content-Range value, or NULL */
	const char *etag;    /* ETag value (quoted), or NULL */
	const char *lastmod; /* Last-Modified value, or NULL */
};

static void put_head(struct http *h, const struct resp *r)
{
	out_str(h, "HTTP/1.1 ");
	out_u64(h, (uint64_t)r->status);
	out_put(h, " ", 1);
	out_str(h, status_text(r->status));
	out_str(h, "\r\nServer: chainbootd\r\nDate: ");
	out_str(h, http_date(h));
	out_str(h, "\r\nContent-Type: ");
	out_str(h, r->type);
	out_str(h, "\r\nContent-Length: ");
	out_u64(h, r->length);
	out_str(h, "\r\n");
	if (r->no_store)
		out_str(h, "Cache-Control: no-store\r\n");
	if (r->ranges)
		out_str(h, "Accept-Ranges: bytes\r\n");
	if (r->crange) {
		out_str(h, "Content-Range: ");
		out_str(h, r->crange);
		out_str(h, "\r\n");
	}
	if (r->etag) {
		out_str(h, "ETag: ");
		out_str(h, r->etag);
		out_str(h, "\r\n");
	}
	if (r->lastmod) {
		out_str(h, "Last-Modified: ");
		out_str(h, r->lastmod);
		out_str(h, "\r\n");
	}
	if (r->allow)
		out_str(h, "Allow: GET, HEAD, OPTIONS\r\n");
	if (r->close)
		out_str(h, "Connection: close\r\n");
	else if (r->minor == 0)
		out_str(h, "Connection: keep-alive\r\n"); /* HTTP/1.0 asked for it: confirm */
	out_str(h, "\r\n");
}

/* Copy a counted piece of the client's bytes into a C string for log_quote(). */
static const char *span_str(const char *p, size_t n, char *buf, size_t cap)
{
	if (!p)
		return "-";
	if (n > cap - 1)
		n = cap - 1;
	memcpy(buf, p, n); /* no NUL inside: the parser allows only visible ASCII here */
	buf[n] = '\0';
	return buf;
}

static void log_timer_fire(struct loop *l, void *arg)
{
	(void)l;
	(void)arg;
	log_release();
}

static void log_request(struct conn *c, const char *method, const char *path, int status,
			uint64_t bytes, uint64_t t0, const char *extra)
{
	char qm[64], qp[320];
	uint64_t now = now_ms(c->h);

	/* Under load one loop pass answers many requests: their lines go out in one write
	 * when the pass ends (a 0 ms timer runs before the loop waits again), not one
	 * write each — a tenth of the CPU time of a small keep-alive request. */
	if (!loop_timer_armed(&c->h->log_timer)) {
		log_hold();
		loop_timer_set(c->h->s->loop, &c->h->log_timer, 0, log_timer_fire, NULL);
	}

	timeline_http(c->h->s->tl, now, c->ip, path, status, bytes, now > t0 ? now - t0 : 0);
	log_event("http", "client=%s method=%s path=%s status=%d bytes=%llu ms=%llu%s", c->peer,
		  log_quote(method, qm, sizeof(qm)), log_quote(path, qp, sizeof(qp)), status,
		  (unsigned long long)bytes, (unsigned long long)(now > t0 ? now - t0 : 0),
		  extra ? extra : "");
}

static void log_req(struct conn *c, const struct http_request *req, int status, uint64_t bytes,
		    uint64_t t0, const char *extra)
{
	char m[HTTP_MAX_METHOD + 1], p[256];

	log_request(c, span_str(req->method_raw.p, req->method_raw.len, m, sizeof(m)),
		    span_str(req->path.p, req->path.len, p, sizeof(p)), status, bytes, t0, extra);
}

/* A short text answer (errors): the status line again as the body. */
static void reply_text(struct conn *c, const struct http_request *req, int status, bool close,
		       uint64_t t0, const char *extra)
{
	struct http *h = c->h;
	char body[64];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, status_text(status));
	struct resp r = { .status = status,
			  .minor = req->minor,
			  .close = close || c->close_after,
			  .type = "text/plain; charset=utf-8",
			  .length = (uint64_t)n,
			  .allow = status == 405 };

	if (status == 304 || (status == 200 && req->method == HTTP_METHOD_OPTIONS))
		n = 0; /* no content (RFC 9110 15.4.5); OPTIONS: the Allow line says it all */
	r.length = (uint64_t)n;
	r.allow = r.allow || req->method == HTTP_METHOD_OPTIONS;
	put_head(h, &r);
	if (req->method != HTTP_METHOD_HEAD)
		out_put(h, body, (size_t)n);
	if (close) {
		c->close_after = true;
		c->client_close = false; /* we cut it short: the client may still be sending */
	}
	log_req(c, req, status, req->method == HTTP_METHOD_HEAD ? 0 : (uint64_t)n, t0, extra);
}

/* ---- timers and state ---- */

static void on_timer(struct loop *l, void *arg);

static void set_deadline(struct conn *c, uint64_t when)
{
	struct loop *l = c->h->s->loop;
	uint64_t now = loop_now_ms(l);

	/* Lazy: the armed timer is moved only when it would fire too late; when it fires
	 * early it re-arms itself for the deadline. Most requests move no timer at all. */
	c->deadline = when;
	if (!loop_timer_armed(&c->timer) || c->timer.due_ms > when)
		loop_timer_set(l, &c->timer, when > now ? when - now : 0, on_timer, c);
}

static void set_events(struct conn *c, uint32_t ev)
{
	if (c->events != ev && loop_modify(c->h->s->loop, c->fd, ev) == 0)
		c->events = ev;
}

static void idle_add(struct conn *c)
{
	struct http *h = c->h;

	if (c->idle)
		return;
	c->idle = true;
	c->idle_next = NULL;
	c->idle_prev = h->idle_tail;
	if (h->idle_tail)
		h->idle_tail->idle_next = c;
	else
		h->idle_head = c;
	h->idle_tail = c;
}

static void idle_del(struct conn *c)
{
	struct http *h = c->h;

	if (!c->idle)
		return;
	c->idle = false;
	if (c->idle_prev)
		c->idle_prev->idle_next = c->idle_next;
	else
		h->idle_head = c->idle_next;
	if (c->idle_next)
		c->idle_next->idle_prev = c->idle_prev;
	else
		h->idle_tail = c->idle_prev;
}

/* After an error answer: stop sending, read (and drop) what the client still sends
 * for a moment, then close — closing with unread bytes would reset the connection and
 * could destroy the answer before the client reads it (RFC 9112 9.6). */
static void start_linger(struct conn *c)
{
	idle_del(c);
	shutdown(c->fd, SHUT_WR);
	c->state = C_LINGER;
	c->in_len = 0;
	set_events(c, EPOLLIN);
	set_deadline(c, now_ms(c->h) + HTTP_LINGER_MS);
}

static void on_timer(struct loop *l, void *arg)
{
	struct conn *c = arg;
	uint64_t now = loop_now_ms(l);

	if (now < c->deadline) {
		loop_timer_set(l, &c->timer, c->deadline - now, on_timer, c);
		return;
	}
	switch (c->state) {
	case C_READ:
		if (c->in_len == 0) {
			close_conn(c, NULL); /* idle keep-alive: a quiet close */
			return;
		}
		/* A head that took too long (slow loris): say so, best effort, and close. */
		{
			static const char msg[] =
				"HTTP/1.1 408 Request Timeout\r\nServer: chainbootd\r\n"
				"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 20\r\n"
				"Connection: close\r\n\r\n408 Request Timeout\n";
			if (send(c->fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* nothing more to do: we close either way */
			}
			log_request(c, "-", "-", 408, 20, c->req_start, " reason=head-timeout");
			close_conn(c, NULL);
		}
		return;
	case C_WRITE:
		close_conn(c, "write-timeout");
		return;
	case C_GEN:
		/* The generator has its own limit; this is a safety net. */
		close_conn(c, "generator-timeout");
		return;
	case C_LINGER:
		close_conn(c, NULL);
		return;
	}
}

/* ---- output ---- */

static void finish_big(struct conn *c, bool complete)
{
	char extra[64];

	if (!c->big.on)
		return;
	c->big.on = false;
	snprintf(extra, sizeof(extra), "%s", complete ? "" : " result=aborted");
	log_request(c, c->big.method, c->big.path, c->big.status, c->big.sent, c->big.t0, extra);
}

/* Send what is pending: pend, data (one sendmsg), then the file (sendfile).
 * Returns 0 when all is out, 1 when the socket is full, -1 on an error. */
static int write_pending(struct conn *c)
{
	bool progress = false;
	int rc = 0;

	while (c->pend.off < c->pend.len || c->data_off < c->data_len) {
		struct iovec iov[2];
		struct msghdr m = { .msg_iov = iov };
		size_t w;
		ssize_t r;

		if (c->pend.off < c->pend.len)
			iov[m.msg_iovlen++] = (struct iovec){ (void *)(c->pend.p + c->pend.off),
							      c->pend.len - c->pend.off };
		if (c->data_off < c->data_len)
			iov[m.msg_iovlen++] = (struct iovec){ (void *)(c->data + c->data_off),
							      c->data_len - c->data_off };
		/* MSG_NOSIGNAL: a client gone away is EPIPE, not SIGPIPE; MSG_MORE: the file's
		 * bytes follow, so the head need not go out in a packet of its own. */
		r = sendmsg(c->fd, &m,
			    MSG_NOSIGNAL | MSG_DONTWAIT | (c->file_fd >= 0 ? MSG_MORE : 0));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = errno == EAGAIN ? 1 : -1;
			goto out;
		}
		progress = true;
		w = (size_t)r;
		if (c->pend.off < c->pend.len) {
			size_t k = c->pend.len - c->pend.off < w ? c->pend.len - c->pend.off : w;
			c->pend.off += k;
			w -= k;
		}
		c->data_off += w;
		c->big.sent += w;
	}
	outpend_clear(&c->pend);
	c->data = NULL;
	c->data_len = c->data_off = 0;
	if (c->file_fd >= 0 && c->file_off < c->file_end) {
		uint64_t left = (uint64_t)(c->file_end - c->file_off);
		size_t want = left < SENDFILE_TURN ? (size_t)left : SENDFILE_TURN;
		ssize_t r;

		do
			r = sendfile(c->fd, c->file_fd, &c->file_off, want);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			rc = errno == EAGAIN ? 1 : -1;
			goto out;
		}
		if (r == 0) {
			/* The file shrank under us: the promised length cannot be kept. */
			rc = -1;
			goto out;
		}
		progress = true;
		c->big.sent += (uint64_t)r;
		/* The rest waits for the next turn: a short count means the socket is full,
		 * and a retry now would cost an EAGAIN or a sliver of a write. */
		if ((uint64_t)r < left) {
			rc = 1;
			goto out;
		}
	}
	if (c->file_fd >= 0) {
		close(c->file_fd);
		c->file_fd = -1;
	}
	finish_big(c, true);
out:
	if (progress && c->state == C_WRITE)
		set_deadline(c, now_ms(c->h) + HTTP_WRITE_MS);
	return rc;
}

/* Hand the batch to this connection and send. Whatever the socket does not take is
 * copied out of the shared buffer before another connection reuses it. On every error
 * the batch is empty and this connection holds no view of it (it is closed next). */
static int flush(struct conn *c)
{
	struct http *h = c->h;
	int rc;

	if (outbuf_hand(h->out, &c->pend))
		return -1;
	rc = write_pending(c);
	if (rc < 0 || (rc > 0 && outbuf_detach(h->out, &c->pend))) {
		if (!c->pend.owned)
			c->pend = (struct outpend){ 0 };
		return -1;
	}
	return rc;
}

/* ---- requests ---- */

static void reply_script(struct conn *c, bool head, unsigned minor, bool close, const char *body,
			 size_t len)
{
	struct http *h = c->h;
	struct resp r = { .status = 200,
			  .minor = minor,
			  .close = close,
			  .no_store = true,
			  .type = SCRIPT_TYPE,
			  .length = len };

	put_head(h, &r);
	if (!head)
		out_put(h, body, len);
}

static void script_extra(struct conn *c, const struct inv_result *r, const struct inv_facts *f,
			 const char *how, char *buf, size_t cap)
{
	timeline_script(c->h->s->tl, now_ms(c->h), c->ip, f->mac_text,
			r->machine ? inventory_machine_name(r->machine) : NULL,
			r->profile ? inventory_profile_name(r->profile) : NULL,
			r->decision == INV_DECIDE_MENU	  ? "menu"
			: r->decision >= INV_DECIDE_LOCAL ? "local"
			: how				  ? "generator"
							  : "template",
			how ? (strstr(how, "=ok") ? "ok" : "failed") : NULL);
	snprintf(buf, cap, " decision=%s machine=%s profile=%s by=%s mac=%s%s",
		 inventory_decision_str(r->decision),
		 r->machine ? inventory_machine_name(r->machine) : "-",
		 r->profile ? inventory_profile_name(r->profile) : "-", r->by[0] ? r->by : "-",
		 f->mac_text[0] ? f->mac_text : "-", how ? how : "");
}

static void gen_done(void *arg, enum generator_status st, const char *out, size_t len,
		     const char *why)
{
	struct conn *c = arg;
	struct http *h = c->h;
	struct genctx *g = c->gen;
	char extra[512], how[200], q[160];
	size_t n = 0;

	c->job = NULL;
	c->gen = NULL;
	if (st == GENERATOR_OK) {
		snprintf(how, sizeof(how), " generator=ok");
		reply_script(c, g->head, g->minor, c->close_after, out, len);
		n = len;
	} else {
		/* The machine gets the menu instead; the daemon carries on. */
		log_event("http.generator",
			  "client=%s machine=%s profile=%s status=failed why=%s note=\"serving the "
			  "menu\"",
			  c->peer, g->r.machine ? inventory_machine_name(g->r.machine) : "-",
			  inventory_profile_name(g->r.profile), log_quote(why, q, sizeof(q)));
		snprintf(how, sizeof(how), " generator=failed");
		g->r.decision = INV_DECIDE_MENU;
		g->r.generator_failed = true;
		if (inventory_render(g->inv, &g->r, &g->f, h->server_url, h->render,
				     sizeof(h->render), &n)) {
			struct http_request req = { .minor = g->minor,
						    .method = g->head ? HTTP_METHOD_HEAD
								      : HTTP_METHOD_GET };
			reply_text(c, &req, 500, false, g->t0, " reason=render");
			goto done;
		}
		reply_script(c, g->head, g->minor, c->close_after, h->render, n);
	}
	script_extra(c, &g->r, &g->f, how, extra, sizeof(extra));
	log_request(c, g->method, g->path, 200, g->head ? 0 : n, g->t0, extra);
done:
	inventory_free(g->inv);
	free(g);
	c->state = C_READ;
	process(c); /* sends it, then any pipelined request waiting */
}

/* Run the profile's generator; 0 when it runs (the answer follows in gen_done). */
static int start_generator(struct conn *c, const struct http_request *req, uint64_t t0,
			   struct inventory *inv, const struct inv_facts *f,
			   const struct inv_result *r, const char *prog, unsigned ms)
{
	struct http *h = c->h;
	struct genctx *g = malloc(sizeof(*g));
	char q[96];
	int rc;

	if (!g)
		return -ENOMEM;
	memcpy(g->q, h->qbuf, sizeof(g->q));
	g->f = *f;
	/* the facts point into h->qbuf: move them to the copy */
	for (int i = 0; i < INV_N_FACTS; i++)
		if (f->v[i] >= h->qbuf && f->v[i] < h->qbuf + sizeof(h->qbuf))
			g->f.v[i] = g->q + (f->v[i] - h->qbuf);
	if (f->want_profile >= h->qbuf && f->want_profile < h->qbuf + sizeof(h->qbuf))
		g->f.want_profile = g->q + (f->want_profile - h->qbuf);
	g->r = *r;
	g->head = req->method == HTTP_METHOD_HEAD;
	g->minor = req->minor;
	g->t0 = t0;
	span_str(req->method_raw.p, req->method_raw.len, g->method, sizeof(g->method));
	span_str(req->path.p, req->path.len, g->path, sizeof(g->path));
	rc = inventory_generator_env(inv, r, &g->f, h->server_url, h->env, sizeof(h->env), h->envp,
				     sizeof(h->envp) / sizeof(h->envp[0]));
	if (!rc) {
		char tag[GENERATOR_TAG_MAX], qm[100], qp[100];
		snprintf(tag, sizeof(tag), "client=%s machine=%s profile=%s", c->peer,
			 log_quote(r->machine ? inventory_machine_name(r->machine) : "-", qm,
				   sizeof(qm)),
			 log_quote(inventory_profile_name(r->profile), qp, sizeof(qp)));
		rc = generator_start(h->gen, prog, h->envp, ms, tag, gen_done, c, &c->job);
	}
	if (rc) {
		log_event("http.generator",
			  "client=%s profile=%s status=failed why=%s note=\"serving the menu\"",
			  c->peer, inventory_profile_name(r->profile),
			  log_quote(rc == -EBUSY ? "too many generators running" : strerror(-rc), q,
				    sizeof(q)));
		free(g);
		return rc;
	}
	g->inv = inventory_hold(inv);
	c->gen = g;
	c->state = C_GEN;
	idle_del(c);
	return 0;
}

static void serve_script(struct conn *c, const struct http_request *req, uint64_t t0)
{
	struct http *h = c->h;
	struct http_param params[HTTP_MAX_PARAMS];
	struct inv_facts f;
	struct inv_result r;
	struct inventory *inv = h->s->inv ? h->s->inv : h->empty;
	const char *why = NULL, *prog;
	char extra[512];
	unsigned ms = 0;
	size_t len;
	int n = 0;

	memset(&f, 0, sizeof(f));
	f.client = c->ip;
	if (req->query.p)
		n = httpparse_query(req->query.p, req->query.len, params, HTTP_MAX_PARAMS, h->qbuf,
				    sizeof(h->qbuf));
	if (n < 0) {
		reply_text(c, req, 400, false, t0, " reason=bad-query-string");
		return;
	}
	for (int i = 0; i < n; i++) {
		const char **slot = NULL;
		int k;
		if (!strcmp(params[i].key, "profile"))
			slot = &f.want_profile;
		else if ((k = inventory_fact_index(params[i].key)) >= 0)
			slot = &f.v[k];
		if (!slot)
			continue; /* facts a later chain script may add are ignored, not refused */
		if (*slot) {
			snprintf(extra, sizeof(extra),
				 " reason=bad-query-string fact=%s why=given-twice", params[i].key);
			reply_text(c, req, 400, false, t0, extra);
			return;
		}
		*slot = params[i].value;
	}
	if (inventory_facts_check(&f, &why)) {
		int k = inventory_fact_index(why);
		const char *v = k >= 0 ? f.v[k] : f.want_profile;
		size_t max = k >= 0 ? INV_FACT_MAX : INV_NAME_MAX;
		/* Which fact, and whether it was too long or not of its form. */
		snprintf(extra, sizeof(extra), " reason=bad-query-string fact=%s why=%s", why,
			 v && strnlen(v, max + 1) > max ? "too-long" : "malformed");
		reply_text(c, req, 400, false, t0, extra);
		return;
	}
	inventory_decide(inv, &f, &r);
	if ((r.decision == INV_DECIDE_PROFILE || r.decision == INV_DECIDE_CHOSEN) &&
	    (prog = inventory_generator(r.profile, &ms))) {
		if (!start_generator(c, req, t0, inv, &f, &r, prog, ms))
			return;
		r.decision = INV_DECIDE_MENU; /* could not run it: the menu, as for any failure */
		r.generator_failed = true;
	}
	if (inventory_render(inv, &r, &f, h->server_url, h->render, sizeof(h->render), &len)) {
		reply_text(c, req, 500, false, t0, " reason=script-too-large");
		return;
	}
	reply_script(c, req->method == HTTP_METHOD_HEAD, req->minor, c->close_after, h->render,
		     len);
	script_extra(c, &r, &f, NULL, extra, sizeof(extra));
	log_req(c, req, 200, req->method == HTTP_METHOD_HEAD ? 0 : len, t0, extra);
}

/* A file's validators: a strong ETag from its size and modification time (like most
 * servers: a rewrite changes one of them) and Last-Modified. */
static void validators(const struct bootroot_file *f, char *etag, size_t esz, char *lastmod,
		       size_t lsz)
{
	snprintf(etag, esz, "\"%llx-%llx\"", (unsigned long long)f->size,
		 (unsigned long long)f->mtime);
	fmt_date(f->mtime, lastmod, lsz);
}

/* RFC 9110 13.1.1-13.1.3, 13.2.2: If-None-Match decides when present, else
 * If-Modified-Since (a date that does not parse is ignored). */
static bool not_modified(const struct http_request *req, const char *etag, time_t mtime)
{
	int64_t since;

	if (req->if_none_match.p)
		return httpparse_etag_listed(req->if_none_match.p, req->if_none_match.len, etag);
	return req->if_modified_since.p &&
	       !httpparse_date(req->if_modified_since.p, req->if_modified_since.len, &since) &&
	       (int64_t)mtime <= since;
}

/* RFC 9110 13.1.5: a Range with an If-Range that does not match (our strong ETag
 * exactly, or our Last-Modified date exactly) is ignored: the whole file is sent. */
static bool if_range_holds(const struct http_request *req, const char *etag, time_t mtime)
{
	const char *v = req->if_range.p;
	size_t n = req->if_range.len;
	int64_t t;

	if (!v)
		return true;
	if (n && (v[0] == '"' || v[0] == 'W'))
		return n == strlen(etag) && !memcmp(v, etag, n); /* W/ never matches */
	return !httpparse_date(v, n, &t) && t == (int64_t)mtime;
}

/* 304: the head alone, with the validators. */
static void reply_not_modified(struct conn *c, const struct http_request *req, struct resp *r,
			       uint64_t t0)
{
	r->status = 304;
	r->type = "application/octet-stream";
	r->length = 0;
	r->ranges = false;
	put_head(c->h, r);
	log_req(c, req, 304, 0, t0, NULL);
}

static void serve_static(struct conn *c, const struct http_request *req, uint64_t t0)
{
	struct http *h = c->h;
	struct bootroot_file f;
	struct resp r = { .status = 200,
			  .minor = req->minor,
			  .close = c->close_after,
			  .ranges = true };
	char crange[80], etag[48], lastmod[40];
	uint64_t first = 0, last = 0, size;
	int rc = bootroot_open(h->s, h->path, &f);

	if (rc) {
		/* never a server path in the answer: just the status */
		int status = rc == -ENOENT || rc == -ENOSYS		       ? 404
			     : rc == -EACCES				       ? 403
			     : rc == -EMFILE || rc == -ENFILE || rc == -ENOMEM ? 503
									       : 500;
		reply_text(c, req, status, false, t0, NULL);
		return;
	}
	size = (uint64_t)f.size;
	last = size ? size - 1 : 0;
	validators(&f, etag, sizeof(etag), lastmod, sizeof(lastmod));
	r.etag = etag;
	r.lastmod = lastmod;
	if (not_modified(req, etag, f.mtime)) {
		if (f.fd >= 0)
			close(f.fd);
		reply_not_modified(c, req, &r, t0);
		return;
	}
	if (req->range.p && if_range_holds(req, etag, f.mtime)) {
		int rr = httpparse_range(req->range.p, req->range.len, size, &first, &last);
		if (rr < 0) {
			struct resp e = { .status = 416,
					  .minor = req->minor,
					  .close = c->close_after,
					  .ranges = true,
					  .type = "text/plain; charset=utf-8",
					  .length = 26,
					  .crange = crange };
			snprintf(crange, sizeof(crange), "bytes */%llu", (unsigned long long)size);
			if (f.fd >= 0)
				close(f.fd);
			put_head(h, &e);
			if (req->method != HTTP_METHOD_HEAD)
				out_put(h, "416 Range Not Satisfiable\n", 26);
			log_req(c, req, 416, req->method == HTTP_METHOD_HEAD ? 0 : 26, t0, NULL);
			return;
		}
		if (rr > 0) {
			r.status = 206;
			snprintf(crange, sizeof(crange), "bytes %llu-%llu/%llu",
				 (unsigned long long)first, (unsigned long long)last,
				 (unsigned long long)size);
			r.crange = crange;
		}
	}
	r.type = f.type ? f.type : "application/octet-stream";
	r.length = size ? last - first + 1 : 0;
	put_head(h, &r);
	if (req->method == HTTP_METHOD_HEAD || r.length == 0) {
		if (f.fd >= 0)
			close(f.fd);
		log_req(c, req, r.status, 0, t0, NULL);
		return;
	}
	if (f.data) {
		c->data = f.data + first;
		c->data_len = r.length;
		c->data_off = 0;
		if (f.fd >= 0)
			close(f.fd);
	} else {
		c->file_fd = f.fd;
		c->file_off = (off_t)first;
		c->file_end = (off_t)(first + r.length);
	}
	/* logged when the last byte is out (or the client leaves) */
	c->big.on = true;
	c->big.status = r.status;
	c->big.t0 = t0;
	c->big.total = r.length;
	c->big.sent = 0;
	span_str(req->method_raw.p, req->method_raw.len, c->big.method, sizeof(c->big.method));
	span_str(req->path.p, req->path.len, c->big.path, sizeof(c->big.path));
}

static void handle(struct conn *c, const struct http_request *req)
{
	struct http *h = c->h;
	uint64_t t0 = c->req_start ? c->req_start : now_ms(h);
	int n;

	h->st.requests++;
	c->close_after = !req->keep_alive;
	c->client_close = c->close_after;
	if (!c->close_after && !c->nodelay) {
		/* answers are written whole: Nagle would only delay a pipelined second one.
		 * A connection's first answer goes out at once anyway, and a closing one is
		 * pushed by the close, so one-request connections skip this call. */
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->nodelay = true;
	}
	if (req->method == HTTP_METHOD_OTHER || req->method == HTTP_METHOD_UNKNOWN) {
		/* a body may follow that we will not read: answer and close. RFC 9110 9.1: a
		 * method the server does not know is 501, a known one it refuses 405. */
		reply_text(c, req, req->method == HTTP_METHOD_OTHER ? 405 : 501, true, t0,
			   req->method == HTTP_METHOD_OTHER ? " reason=method-not-allowed"
							    : " reason=unknown-method");
		return;
	}
	if (req->method == HTTP_METHOD_OPTIONS) {
		reply_text(c, req, 200, false, t0, NULL);
		return;
	}
	if (req->has_body) {
		reply_text(c, req, 400, true, t0, " reason=request-body");
		return;
	}
	n = httpparse_decode(req->path.p, req->path.len, h->path, sizeof(h->path));
	if (n < 0) {
		reply_text(c, req, 400, false, t0, " reason=bad-path-encoding");
		return;
	}
	if ((size_t)n == sizeof(SCRIPT_PATH) - 1 && !memcmp(h->path, SCRIPT_PATH, (size_t)n))
		serve_script(c, req, t0);
	else
		serve_static(c, req, t0);
}

/* What to wait for next, once the handling and the writing are done for now. */
static void settle(struct conn *c, int rc)
{
	struct http *h = c->h;

	if (rc < 0) {
		close_conn(c, "write-error");
		return;
	}
	if (rc > 0 && c->state == C_GEN) {
		/* earlier pipelined answers drain while the generator runs */
		set_events(c, EPOLLOUT);
		set_deadline(c, now_ms(h) + INV_GEN_TIMEOUT_MAX * 1000u + GEN_SLACK_MS);
		return;
	}
	if (rc > 0) {
		idle_del(c);
		c->state = C_WRITE;
		set_events(c, EPOLLOUT);
		set_deadline(c, now_ms(h) + HTTP_WRITE_MS);
		return;
	}
	if (c->state == C_GEN) {
		set_events(c, 0); /* EPOLLHUP/EPOLLERR still come: the client leaving */
		set_deadline(c, now_ms(h) + INV_GEN_TIMEOUT_MAX * 1000u + GEN_SLACK_MS);
		return;
	}
	if (c->close_after) {
		/* The client said it closes and sent nothing after its request: nothing can
		 * arrive to reset the connection, so close now (no lingering round trip). */
		if (c->client_close && !c->in_len) {
			close_conn(c, NULL);
			return;
		}
		start_linger(c);
		return;
	}
	c->state = C_READ;
	if (c->eof) {
		close_conn(c, NULL); /* all answered; the client sends nothing more */
		return;
	}
	set_events(c, EPOLLIN);
	if (c->in_len) {
		/* Half a head is waiting for the client like an idle connection: at the cap
		 * it may be shed too, or a slow-loris flood would turn everyone away. */
		idle_add(c);
		if (!c->req_start)
			c->req_start = now_ms(h);
		set_deadline(c, c->req_start + HTTP_HEAD_MS);
	} else {
		idle_add(c);
		set_deadline(c, now_ms(h) + HTTP_IDLE_MS);
	}
}

/* Answer every complete request in the input, in order, then send. */
static void process(struct conn *c)
{
	struct http *h = c->h;
	int rc = 0;

	for (;;) {
		size_t off = 0;
		bool progress = false;

		while (c->state == C_READ && !c->close_after && off < c->in_len && !c->data_len &&
		       c->file_fd < 0) {
			struct http_request req;
			int n;
			if (outbuf_room(h->out) < HEAD_RESERVE + TEMPLATE_MAX + 1) {
				rc = flush(c);
				if (rc)
					break;
			}
			n = httpparse_request(c->in + off, c->in_len - off, &req);
			if (n == -2 && c->in_len - off < IN_CAP)
				break;
			if (n < 0) {
				/* malformed, or the buffer is full of one unfinished head */
				int status = n == -1 ? req.status : 431;
				struct http_request none = { .minor = 1 };
				char why[64];
				snprintf(why, sizeof(why), " reason=%s",
					 n == -1 && req.why ? req.why : "head-too-large");
				h->st.requests++;
				reply_text(c, n == -1 && req.method_raw.p ? &req : &none, status,
					   true, c->req_start ? c->req_start : now_ms(h), why);
				off = c->in_len;
				progress = true;
				break;
			}
			handle(c, &req);
			off += (size_t)n;
			progress = true;
			c->req_start = off < c->in_len ? now_ms(h) : 0;
		}
		if (off) {
			memmove(c->in, c->in + off, c->in_len - off);
			c->in_len -= off;
		}
		if (!rc)
			rc = flush(c);
		/* A file answer stopped the loop; when it went out at once, carry on with
		 * the pipelined requests behind it. */
		if (rc || !progress || c->state != C_READ || c->close_after || !c->in_len)
			break;
	}
	settle(c, rc);
}

static void read_input(struct conn *c)
{
	ssize_t r;

	if (c->in_len < IN_CAP) {
		do
			r = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len, 0);
		while (r < 0 && errno == EINTR);
		if (r > 0) {
			if (c->in_len == 0)
				c->req_start = now_ms(c->h);
			c->in_len += (size_t)r;
			idle_del(c);
		} else if (r == 0) {
			c->eof = true;
		} else if (errno != EAGAIN) {
			close_conn(c, NULL);
			return;
		}
	}
	if (c->eof && c->in_len == 0) {
		close_conn(c, NULL);
		return;
	}
	process(c);
}

static void on_conn(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct conn *c = arg;
	int rc;

	(void)l;
	(void)fd;
	if (events & EPOLLERR) {
		close_conn(c, c->state == C_READ && !c->in_len ? NULL : "connection-error");
		return;
	}
	switch (c->state) {
	case C_READ:
		read_input(c);
		return;
	case C_WRITE:
		rc = write_pending(c);
		if (rc == 0)
			c->state = C_READ;
		if (rc <= 0) {
			/* all out (or broken): settle, then serve the pipelined rest */
			if (rc < 0) {
				close_conn(c, "write-error");
				return;
			}
			process(c);
		}
		return;
	case C_GEN:
		if (events & EPOLLHUP) {
			close_conn(c, "client-left");
			return;
		}
		if (events & EPOLLOUT) {
			rc = write_pending(c);
			if (rc < 0)
				close_conn(c, "write-error");
			else if (rc == 0)
				set_events(c, 0);
		}
		return;
	case C_LINGER: {
		char sink[4096];
		ssize_t r = recv(c->fd, sink, sizeof(sink), 0);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR) || (events & EPOLLHUP))
			close_conn(c, NULL);
		return;
	}
	}
}

/* ---- connections ---- */

static void close_conn(struct conn *c, const char *why)
{
	struct http *h = c->h;
	struct loop *l = h->s->loop;

	if (why)
		log_event("http.close", "client=%s reason=%s", c->peer, why);
	finish_big(c, false);
	if (c->job) {
		generator_cancel(c->job);
		c->job = NULL;
	}
	if (c->gen) {
		inventory_free(c->gen->inv);
		free(c->gen);
		c->gen = NULL;
	}
	idle_del(c);
	loop_timer_cancel(l, &c->timer);
	loop_unwatch(l, c->fd);
	close(c->fd);
	if (c->file_fd >= 0)
		close(c->file_fd);
	outpend_clear(&c->pend);
	if (c->all_prev)
		c->all_prev->all_next = c->all_next;
	else
		h->all = c->all_next;
	if (c->all_next)
		c->all_next->all_prev = c->all_prev;
	h->n_conns--;
	if (h->n_free < FREE_KEEP) {
		c->next_free = h->free_list;
		h->free_list = c;
		h->n_free++;
	} else {
		free(c);
	}
}

static void on_accept_timer(struct loop *l, void *arg)
{
	struct http *h = arg;

	if (h->accept_paused && loop_modify(l, h->lfd, EPOLLIN) == 0)
		h->accept_paused = false;
}

/* At the cap with nobody idle: a short 503, without waiting for the client. */
static void reject(struct http *h, int fd, const char *peer)
{
	static const char msg[] = "HTTP/1.1 503 Service Unavailable\r\nServer: chainbootd\r\n"
				  "Content-Type: text/plain; charset=utf-8\r\nContent-Length: "
				  "24\r\nRetry-After: 1\r\n"
				  "Connection: close\r\n\r\n503 Service Unavailable\n";
	uint64_t now = now_ms(h);

	if (send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* best effort */
	}
	close(fd);
	h->st.rejected++;
	h->rejects_unlogged++;
	/* one line a second at most: a flood must not become a log flood */
	if (now - h->reject_log_ms >= 1000) {
		log_event("http",
			  "client=%s status=503 reason=too-many-connections max=%u rejected=%lu",
			  peer, h->max, h->rejects_unlogged);
		h->rejects_unlogged = 0;
		h->reject_log_ms = now;
	}
}

static void on_listen(struct loop *l, int lfd, uint32_t events, void *arg)
{
	struct http *h = arg;

	(void)events;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_in sa = { 0 }; /* accept4() fills it; zeroed for the analyzer */
		socklen_t sl = sizeof(sa);
		char ip[INET_ADDRSTRLEN] = "?", peer[INET_ADDRSTRLEN + 8];
		struct conn *c;
		int fd = accept4(lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* the listen queue keeps them; try again shortly instead of spinning */
				log_event("http.accept",
					  "error=%s note=\"pausing accept for %d ms\"",
					  strerror(errno), ACCEPT_PAUSE_MS);
				if (loop_modify(l, lfd, 0) == 0) {
					h->accept_paused = true;
					loop_timer_set(l, &h->accept_timer, ACCEPT_PAUSE_MS,
						       on_accept_timer, h);
				}
			}
			return;
		}
		if (sa.sin_family == AF_INET)
			inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
		snprintf(peer, sizeof(peer), "%s:%u", ip, ntohs(sa.sin_port));
		if (h->n_conns >= h->max) {
			if (h->idle_head)
				close_conn(h->idle_head,
					   NULL); /* RFC 9112 9.5: idle ones may be closed */
			else {
				reject(h, fd, peer);
				continue;
			}
		}
		if (h->free_list) {
			c = h->free_list;
			h->free_list = c->next_free;
			h->n_free--;
		} else if (!(c = malloc(sizeof(*c)))) {
			reject(h, fd, peer);
			continue;
		}
		memset(c, 0, offsetof(struct conn, in));
		c->h = h;
		c->fd = fd;
		c->file_fd = -1;
		c->events = EPOLLIN;
		memcpy(c->ip, ip, sizeof(c->ip));
		memcpy(c->peer, peer, sizeof(c->peer));
		if (loop_watch(l, fd, EPOLLIN, on_conn, c)) {
			close(fd);
			c->next_free = h->free_list;
			h->free_list = c;
			h->n_free++;
			continue;
		}
		c->all_next = h->all;
		if (h->all)
			h->all->all_prev = c;
		h->all = c;
		h->n_conns++;
		h->st.connections++;
		/* TCP_DEFER_ACCEPT: the request is usually there already */
		read_input(c);
	}
}

/* ---- service ---- */

int http_open(struct server *s, struct http **out, struct diag *d)
{
	const struct site_config *cfg = s->cfg;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct rlimit rl;
	struct http *h;
	int one = 1, defer = 5, rc;

	*out = NULL;
	if (inet_pton(AF_INET, cfg->listen, &sa.sin_addr) != 1)
		return diag_set(d, -EINVAL, "HTTP: [server] listen \"%s\" is not an IPv4 address",
				cfg->listen);
	sa.sin_port = htons((uint16_t)cfg->http_port);
	h = calloc(1, sizeof(*h));
	if (!h)
		return diag_set(d, -ENOMEM, "HTTP: out of memory");
	h->s = s;
	h->max = cfg->http_max ? cfg->http_max : 1;
	if (cfg->http_port == 80)
		snprintf(h->server_url, sizeof(h->server_url), "http://%s", cfg->listen);
	else
		snprintf(h->server_url, sizeof(h->server_url), "http://%s:%u", cfg->listen,
			 cfg->http_port);
	if (outbuf_new(OUT_CAP, &h->out)) {
		free(h);
		return diag_set(d, -ENOMEM, "HTTP: out of memory");
	}
	rc = inventory_load(NULL, cfg, &h->empty, d);
	if (rc) {
		outbuf_free(h->out);
		free(h);
		return rc;
	}
	/* SIGPIPE would end the daemon when a client closes during sendfile(), which has no
	 * MSG_NOSIGNAL; generators get their default back (generator.c). */
	signal(SIGPIPE, SIG_IGN);
	/* Each connection is an fd: make room for http_max of them beside the rest. */
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rlim_t want = (rlim_t)h->max + cfg->tftp_max + 256;
		if (rl.rlim_cur < want && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	h->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->lfd < 0) {
		rc = -errno;
		goto err;
	}
	setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->lfd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		diag_set(d, rc, "HTTP: cannot listen on %s:%u: %s (%s)", cfg->listen,
			 cfg->http_port, strerror(-rc),
			 rc == -EADDRINUSE ? "another web server has the port: stop it or choose "
					     "[server] http_port"
			 : rc == -EADDRNOTAVAIL ? "[server] listen must be an address of this host"
			 : rc == -EACCES	? "ports below 1024 need root"
						: "check [server] listen and http_port");
		goto err_sock;
	}
	/* Accept only once the request has arrived: no wake-up for an empty connection,
	 * and idle connect floods wait in the kernel, not in our pool. */
	setsockopt(h->lfd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer));
	if (listen(h->lfd, 1024)) {
		rc = -errno;
		diag_set(d, rc, "HTTP: listen on %s:%u: %s", cfg->listen, cfg->http_port,
			 strerror(-rc));
		goto err_sock;
	}
	*out = h;
	return 0;

err_sock:
	close(h->lfd);
err:
	if (!d || !d->msg[0])
		diag_set(d, rc, "HTTP: socket: %s", strerror(-rc));
	inventory_free(h->empty);
	outbuf_free(h->out);
	free(h);
	return rc;
}

int http_start(struct http *h)
{
	struct loop *l = h->s->loop;
	int rc;

	rc = generator_new(l, &h->gen);
	if (rc)
		return rc;
	/* every connection and generator may hold a timer at once: no allocation later */
	rc = loop_timer_reserve(l, h->max + GENERATOR_MAX_JOBS + 8);
	if (rc)
		return rc;
	rc = loop_watch(l, h->lfd, EPOLLIN, on_listen, h);
	if (rc)
		return rc;
	h->watching = true;
	log_event("http", "status=listening url=%s max_connections=%u", h->server_url, h->max);
	return 0;
}

void http_close(struct http *h)
{
	if (!h)
		return;
	for (struct conn *c = h->all, *next; c; c = next) {
		next = c->all_next; /* close_conn() unlinks c and frees or parks it */
		close_conn(c, NULL);
	}
	while (h->free_list) {
		struct conn *c = h->free_list;
		h->free_list = c->next_free;
		free(c);
	}
	generator_free(h->gen);
	if (h->watching)
		loop_unwatch(h->s->loop, h->lfd);
	if (loop_timer_armed(&h->accept_timer))
		loop_timer_cancel(h->s->loop, &h->accept_timer);
	if (loop_timer_armed(&h->log_timer)) {
		loop_timer_cancel(h->s->loop, &h->log_timer);
		log_release();
	}
	close(h->lfd);
	inventory_free(h->empty);
	outbuf_free(h->out);
	free(h);
}

void http_stats(const struct http *h, struct http_stats *st)
{
	*st = h->st;
	st->open = h->n_conns;
}
