/* test_outbuf: the HTTP batch buffer — puts are bounded by its capacity, and when a
 * hand-over fails (allocation failure injected, or a batch cut short) the batch is
 * dropped, so the next connection is sent only its own bytes, never another client's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "outbuf.h"
#include "test.h"

static int allocs_left = -1; /* -1: never fail */

static void *alloc_failing(size_t n)
{
	if (allocs_left == 0)
		return NULL;
	if (allocs_left > 0)
		allocs_left--;
	return malloc(n);
}

static int pend_is(const struct outpend *q, const char *want)
{
	size_t n = strlen(want);
	return q->len - q->off == n && !memcmp(q->p + q->off, want, n);
}

/* A connection whose earlier answers are still waiting: "old" not yet sent. */
static void waiting(struct outbuf *b, struct outpend *q)
{
	*q = (struct outpend){ 0 };
	outbuf_put(b, "xxold", 5);
	outbuf_hand(b, q);
	q->off = 2; /* the socket took two bytes */
	outbuf_detach(b, q);
}

static void test_capacity(void)
{
	struct outbuf *b;

	ok(outbuf_new(8, &b) == 0, "new");
	ok(outbuf_put(b, "12345678", 8) == 0 && outbuf_room(b) == 0, "fills to the capacity");
	ok(outbuf_put(b, "9", 1) == -ENOBUFS, "one byte over is refused");
	ok(b->len == 8 && !memcmp(b->data, "12345678", 8), "nothing written past the end");
	outbuf_reset(b);
	ok(outbuf_put(b, "123456789", 9) == -ENOBUFS && b->len == 0, "too big from empty");
	outbuf_free(b);
}

static void test_alloc_failure(void)
{
	struct outbuf *b;
	struct outpend first, second = { 0 };

	outbuf_new(64, &b);
	b->alloc = alloc_failing;
	waiting(b, &first);
	ok(first.owned && pend_is(&first, "old"), "the waiting rest is the connection's copy");

	/* The first connection's next answer; joining it to the waiting rest fails. */
	outbuf_put(b, "answer-for-first", 16);
	allocs_left = 0;
	ok(outbuf_hand(b, &first) == -ENOMEM, "hand-over fails when the copy cannot be made");
	allocs_left = -1;
	ok(b->len == 0 && outbuf_room(b) == 64, "the batch is empty after the failure");
	ok(pend_is(&first, "old"), "the failing connection's queue is unchanged");

	/* The next connection: only its own answer goes out. */
	outbuf_put(b, "answer-for-second", 17);
	ok(outbuf_hand(b, &second) == 0, "next hand-over");
	ok(pend_is(&second, "answer-for-second"), "the next connection gets only its own bytes");
	ok(!second.owned && second.p == b->data, "a view of the batch, no copy");

	/* The socket took part of it and the copy of the rest fails: no view is kept. */
	second.off = 3;
	allocs_left = 0;
	ok(outbuf_detach(b, &second) == -ENOMEM, "detach fails");
	allocs_left = -1;
	ok(second.p == NULL && second.len == 0, "and leaves no view into the batch");
	outpend_clear(&first);
	outbuf_free(b);
}

static void test_cut_short(void)
{
	struct outbuf *b;
	struct outpend q = { 0 };

	outbuf_new(16, &b);
	outbuf_put(b, "HTTP/1.1 200 OK\r\n", 17);
	ok(b->overflow, "a put that does not fit marks the batch");
	ok(outbuf_hand(b, &q) == -ENOBUFS && q.len == 0, "a cut-short batch is not handed on");
	ok(b->len == 0 && !b->overflow, "and is dropped");
	outbuf_put(b, "mine", 4);
	ok(outbuf_hand(b, &q) == 0 && pend_is(&q, "mine"), "the next hand-over is clean");
	outbuf_free(b);
}

static void test_join(void)
{
	struct outbuf *b;
	struct outpend q;

	outbuf_new(64, &b);
	waiting(b, &q);
	outbuf_put(b, "new", 3);
	ok(outbuf_hand(b, &q) == 0 && pend_is(&q, "oldnew") && q.owned,
	   "a new answer queues behind the waiting rest");
	ok(b->len == 0, "the batch is free again");
	outpend_clear(&q);
	ok(q.p == NULL && !q.owned, "clear frees and empties");
	outbuf_free(b);
}

int main(void)
{
	test_capacity();
	test_alloc_failure();
	test_cut_short();
	test_join();
	return test_done();
}
