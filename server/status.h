/* status: chainbootd's status listener ([server] status_listen, default 127.0.0.1:9180) —
 * GET / (HTML), /status.json, /healthz and /metrics, behind a bearer token when asked. The
 * boot HTTP port never serves these: machines on a shared LAN must not see each other. */
#ifndef CB_STATUS_H
#define CB_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "server.h"

struct status;

/* Make s->tl (the timeline, whose budget is in the site file; NULL with timeline = no)
 * and bind the status socket unless status_listen = off (*out NULL then; the timeline is
 * still made). A non-loopback address needs status_token (or status_token = none);
 * timeline = no needs status_listen = off. 0 or -errno. */
int status_open(struct server *s, struct status **out, struct diag *d);
/* The status_listen / status_token / timeline rules alone (for --check too). 0 or -EINVAL. */
int status_check(const struct site_config *c, struct diag *d);
/* Watch the socket (after the privilege drop). NULL is fine. */
int status_start(struct status *st);
/* Close the socket and connections, free s->tl. */
void status_close(struct server *s, struct status *st);

/* A growable text buffer for the renderers (the status path may allocate). */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_html(struct sbuf *b, const char *s); /* escaped for HTML text and attributes */

/* The renderers (status_render.c): 0, or -ENOMEM. healthz returns its status code. */
int status_json(const struct server *s, struct sbuf *b);
int status_html(const struct server *s, struct sbuf *b);
int status_metrics(const struct server *s, struct sbuf *b);
int status_health(const struct server *s, struct sbuf *b);

#endif
