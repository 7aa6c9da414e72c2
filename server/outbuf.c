/* outbuf: the HTTP batch buffer and each connection's pending output (outbuf.h). The
 * batch is shared by every connection (the loop is single-threaded): whatever path a
 * hand-over takes, the batch ends empty, so one client's answer cannot be sent to the
 * next. Inputs are the service's own answers; sizes are checked here, not trusted. */
#include "outbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int outbuf_new(size_t cap, struct outbuf **out)
{
	struct outbuf *b = malloc(sizeof(*b) + cap);

	*out = NULL;
	if (!b)
		return -ENOMEM;
	b->len = 0;
	b->cap = cap;
	b->overflow = false;
	b->alloc = malloc;
	*out = b;
	return 0;
}

void outbuf_free(struct outbuf *b)
{
	free(b);
}

int outbuf_put(struct outbuf *b, const void *s, size_t n)
{
	if (n > b->cap - b->len) {
		b->overflow = true;
		return -ENOBUFS;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	return 0;
}

size_t outbuf_room(const struct outbuf *b)
{
	return b->cap - b->len;
}

void outbuf_reset(struct outbuf *b)
{
	b->len = 0;
	b->overflow = false;
}

int outbuf_hand(struct outbuf *b, struct outpend *q)
{
	size_t rest = q->len - q->off;
	char *p;

	if (b->overflow) {
		outbuf_reset(b);
		return -ENOBUFS;
	}
	if (!b->len)
		return 0;
	if (!rest) {
		outpend_clear(q);
		q->p = b->data;
		q->len = b->len;
		b->len = 0;
		return 0;
	}
	/* earlier answers still waiting (a generator ran meanwhile): queue behind them */
	p = b->alloc(rest + b->len);
	if (!p) {
		outbuf_reset(b);
		return -ENOMEM;
	}
	memcpy(p, q->p + q->off, rest);
	memcpy(p + rest, b->data, b->len);
	outpend_clear(q);
	q->p = p;
	q->len = rest + b->len;
	q->owned = true;
	b->len = 0;
	return 0;
}

int outbuf_detach(struct outbuf *b, struct outpend *q)
{
	size_t n = q->len - q->off;
	char *p;

	if (!q->p || q->owned)
		return 0;
	p = b->alloc(n ? n : 1);
	if (!p) {
		*q = (struct outpend){ 0 };
		return -ENOMEM;
	}
	memcpy(p, q->p + q->off, n);
	*q = (struct outpend){ .p = p, .len = n, .owned = true };
	return 0;
}

void outpend_clear(struct outpend *q)
{
	if (q->owned)
		free((void *)q->p);
	*q = (struct outpend){ 0 };
}
