/* http: chainbootd's HTTP/1.1 service in the shared event loop — per-machine iPXE
 * scripts at /boot.ipxe (from the inventory) and static boot files (built-in, then
 * boot_root), GET and HEAD, keep-alive, pipelining, Range, sendfile. */
#ifndef CB_HTTP_H
#define CB_HTTP_H

#include "diag.h"
#include "server.h"

/* Time limits (milliseconds). */
#define HTTP_IDLE_MS   15000 /* keep-alive connection with no request started */
#define HTTP_HEAD_MS   10000 /* from a request's first byte to its complete head (slow loris) */
#define HTTP_WRITE_MS  30000 /* without any progress writing a response */
#define HTTP_LINGER_MS 2000  /* draining a client's bytes after an error, before closing */

struct http;

/* Bind TCP s->cfg->listen:http_port (as root: port 80 is privileged) and prepare the
 * connection pool for s->cfg->http_max connections. Nothing is accepted until
 * http_start(). Ignores SIGPIPE for the process (a client that closes early must be an
 * EPIPE, not the end of the daemon) and raises the soft RLIMIT_NOFILE towards what
 * http_max needs. Returns 0 or -errno; d names the address and what to do. */
int http_open(struct server *s, struct http **out, struct diag *d);

/* Watch the socket in s->loop (after the privilege drop). Returns 0 or -errno. */
int http_start(struct http *h);

/* Close every connection (log lines for unfinished responses), kill running
 * generators, close the socket. NULL is fine. */
void http_close(struct http *h);

struct http_stats {
	unsigned long connections; /* accepted */
	unsigned long requests;	   /* answered */
	unsigned long rejected;	   /* refused at the connection cap (503) */
	unsigned open;		   /* connections open now */
};
void http_stats(const struct http *h, struct http_stats *st);

#endif
