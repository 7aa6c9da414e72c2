/* outbuf: the HTTP service's batch buffer (the answers to every pipelined request of
 * one pass, built in one shared buffer and sent with one sendmsg) and a connection's
 * pending output (a view of the batch while it is being sent, else its own copy). */
#ifndef CB_OUTBUF_H
#define CB_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>

struct outbuf {
	size_t len, cap;
	bool overflow; /* a put did not fit: the batch is cut short and must not be sent */
	/* malloc; the memory must be free()-able. Tests inject an allocation failure. */
	void *(*alloc)(size_t n);
	char data[];
};

/* Bytes a connection still has to send: p[off..len). owned: p is the connection's own
 * copy (freed by outpend_clear), else a view of the batch, valid until the next put. */
struct outpend {
	const char *p;
	size_t len, off;
	bool owned;
};

/* A batch of cap bytes. Returns 0 or -ENOMEM. */
int outbuf_new(size_t cap, struct outbuf **out);
void outbuf_free(struct outbuf *b);

/* Append n bytes. Returns 0, or -ENOBUFS when they do not fit: nothing is appended and
 * the batch is marked cut short (outbuf_hand drops it). */
int outbuf_put(struct outbuf *b, const void *s, size_t n);

/* Bytes a put may still append. */
size_t outbuf_room(const struct outbuf *b);

/* Drop the batch's bytes (and the cut-short mark). */
void outbuf_reset(struct outbuf *b);

/* Give the batch to a connection: q becomes a view of it, or, when q still holds bytes
 * (earlier answers waiting), q's rest and the batch joined in a new copy. The batch is
 * empty afterwards on every path, so what it held can never reach another connection.
 * Returns 0, -ENOMEM (q unchanged, the batch dropped) or -ENOBUFS (the batch was cut
 * short: dropped, q unchanged). */
int outbuf_hand(struct outbuf *b, struct outpend *q);

/* Before the batch is reused: if q is a view of it, copy q's unsent rest into q's own
 * memory. Returns 0 or -ENOMEM (q is then emptied: it never points into the batch). */
int outbuf_detach(struct outbuf *b, struct outpend *q);

/* Free q's copy, if it owns one, and empty it. */
void outpend_clear(struct outpend *q);

#endif
