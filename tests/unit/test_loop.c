/* test_loop: the event loop — timers fire in order and once, cancel and re-arm (also
 * from inside a callback), fd watches, unwatching inside a callback drops the events
 * already fetched for that fd, signals arrive through the loop. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"
#include "test.h"

static char order[64];
static size_t n_order, n_fired;

struct tm_ctx {
	struct loop_timer t;
	char tag;
	int rearm;
};

static void on_timer(struct loop *l, void *arg)
{
	struct tm_ctx *c = arg;
	n_fired++;
	if (n_order < sizeof(order) - 1)
		order[n_order++] = c->tag;
	if (c->rearm-- > 0)
		loop_timer_set(l, &c->t, 1, on_timer, c);
}

static void on_stop_timer(struct loop *l, void *arg)
{
	(void)arg;
	loop_stop(l);
}

static int pipes[2][2], fired[2];

static void on_fd(struct loop *l, int fd, uint32_t events, void *arg)
{
	int which = (int)(long)arg;
	char b[8];
	(void)events;
	fired[which]++;
	if (read(fd, b, sizeof(b)) < 0)
		return;
	/* The first to run removes the other: its pending event must not be delivered. */
	loop_unwatch(l, pipes[!which][0]);
}

static int got_signal;

static void on_sig(struct loop *l, int signo, void *arg)
{
	(void)arg;
	got_signal = signo;
	loop_stop(l);
}

int main(void)
{
	struct loop *l;
	struct tm_ctx a = { .tag = 'a' }, b = { .tag = 'b' }, c = { .tag = 'c', .rearm = 2 },
		      d = { .tag = 'd' };
	struct loop_timer stop = { 0 };

	ok(loop_new(&l) == 0, "loop_new");
	ok(loop_timer_reserve(l, 1000) == 0, "reserve room for 1000 timers");
	ok(!loop_timer_armed(&a.t), "a zeroed timer is idle");
	loop_timer_set(l, &b.t, 20, on_timer, &b);
	loop_timer_set(l, &a.t, 10, on_timer, &a);
	loop_timer_set(l, &c.t, 30, on_timer, &c);
	loop_timer_set(l, &d.t, 15, on_timer, &d);
	ok(loop_timer_armed(&d.t), "armed");
	loop_timer_cancel(l, &d.t);
	loop_timer_cancel(l, &d.t);
	ok(!loop_timer_armed(&d.t), "cancel (twice) leaves it idle");
	loop_timer_set(l, &b.t, 25, on_timer, &b); /* re-arm moves it */
	loop_timer_set(l, &stop, 120, on_stop_timer, NULL);
	ok(loop_run(l) == 0, "loop runs until stopped");
	order[n_order] = '\0';
	ok(!strcmp(order, "abccc"), "timers in due order, re-armed ones again, cancelled never: %s",
	   order);
	ok(!loop_timer_armed(&a.t) && !loop_timer_armed(&c.t), "fired timers are idle");

	/* Many timers, cancelled in a scattered order: the heap stays consistent. */
	static struct tm_ctx many[200];
	n_fired = 0;
	for (int i = 0; i < 200; i++) {
		many[i].tag = (char)('0' + i % 10);
		loop_timer_set(l, &many[i].t, (uint64_t)(200 - i) % 37 + 1, on_timer, &many[i]);
	}
	for (int i = 0; i < 200; i += 3)
		loop_timer_cancel(l, &many[i].t);
	loop_timer_set(l, &stop, 80, on_stop_timer, NULL);
	loop_run(l);
	ok(n_fired == 133, "200 timers, 67 cancelled: 133 fired (%zu)", n_fired);

	/* fd watches: both pipes readable in one batch; the first callback unwatches the other. */
	ok(pipe(pipes[0]) == 0 && pipe(pipes[1]) == 0, "pipes");
	ok(loop_watch(l, pipes[0][0], EPOLLIN, on_fd, (void *)0L) == 0, "watch 0");
	ok(loop_watch(l, pipes[1][0], EPOLLIN, on_fd, (void *)1L) == 0, "watch 1");
	ok(loop_watch(l, pipes[1][0], EPOLLIN, on_fd, (void *)1L) == -EEXIST, "one watch per fd");
	ok(write(pipes[0][1], "x", 1) == 1 && write(pipes[1][1], "y", 1) == 1, "both readable");
	loop_timer_set(l, &stop, 50, on_stop_timer, NULL);
	loop_run(l);
	ok(fired[0] + fired[1] == 1, "an fd unwatched in the same batch gets no callback (%d + %d)",
	   fired[0], fired[1]);
	loop_unwatch(l, pipes[0][0]);
	loop_unwatch(l, pipes[1][0]);
	ok(loop_modify(l, pipes[0][0], EPOLLIN) == -ENOENT, "modify an unwatched fd: -ENOENT");

	/* Signals through the loop. */
	ok(loop_signal(l, SIGUSR1, on_sig, NULL) == 0, "SIGUSR1 through the loop");
	raise(SIGUSR1); /* blocked now: waits in the signalfd */
	loop_timer_set(l, &stop, 2000, on_stop_timer, NULL);
	loop_run(l);
	ok(got_signal == SIGUSR1, "the signal arrived as a loop event");
	loop_timer_cancel(l, &stop);
	for (int i = 0; i < 2; i++) {
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
	loop_free(l);
	return test_done();
}
