/* loop: chainbootd's one event loop (epoll): fd watchers, timers, signals. */
#ifndef CB_LOOP_H
#define CB_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;

typedef void (*loop_fd_fn)(struct loop *l, int fd, uint32_t events, void *arg);
typedef void (*loop_timer_fn)(struct loop *l, void *arg);
typedef void (*loop_signal_fn)(struct loop *l, int signo, void *arg);

/* A timer lives in the caller's own struct (no allocation per timer); it must stay
 * valid while armed. Zero-initialise before first use. */
struct loop_timer {
	uint64_t due_ms;
	loop_timer_fn fn;
	void *arg;
	size_t slot; /* position in the loop's heap; 0 = not armed */
};

/* Returns 0 or -errno. */
int loop_new(struct loop **out);
void loop_free(struct loop *l);

/* Watch fd for events (EPOLLIN, EPOLLOUT, ...); one watch per fd. */
int loop_watch(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *arg);
int loop_modify(struct loop *l, int fd, uint32_t events);
/* Stop watching fd (before closing it). Safe to call from within fn. */
void loop_unwatch(struct loop *l, int fd);

/* Monotonic milliseconds, read once per loop iteration. */
uint64_t loop_now_ms(const struct loop *l);

/* (Re)arm t to fire once after after_ms; cancel is a no-op on an idle timer. */
void loop_timer_set(struct loop *l, struct loop_timer *t, uint64_t after_ms, loop_timer_fn fn,
		    void *arg);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);
bool loop_timer_armed(const struct loop_timer *t);
/* Make room for n armed timers at once (services call it with their caps at start, so
 * arming never allocates later). Returns 0 or -ENOMEM. */
int loop_timer_reserve(struct loop *l, size_t n);

/* Deliver signo through the loop (signalfd), not as an asynchronous handler. */
int loop_signal(struct loop *l, int signo, loop_signal_fn fn, void *arg);

/* Run until loop_stop(); returns 0 or -errno of a failed epoll_wait. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif
