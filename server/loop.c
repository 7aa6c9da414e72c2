/* loop: chainbootd's one event loop — epoll for fds, a binary min-heap of caller-owned
 * timers, signalfd for signals. No input here is untrusted: the services read the
 * sockets; the loop only dispatches. */
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOOP_MAX_EVENTS	 64
#define LOOP_MAX_SIGNALS 8

struct watch {
	loop_fd_fn fn;
	void *arg;
	uint32_t gen; /* 0 = free slot */
};

struct loop {
	int epfd;
	/* Watches indexed by fd: fds are small dense integers. */
	struct watch *w;
	size_t nw;
	uint32_t gen;
	/* Timer heap, 1-based: heap[1] is the earliest. */
	struct loop_timer **heap;
	size_t nheap, capheap;
	uint64_t now;
	int sigfd;
	sigset_t sigmask;
	struct {
		int signo;
		loop_signal_fn fn;
		void *arg;
	} sig[LOOP_MAX_SIGNALS];
	unsigned nsig;
	int stop;
};

static uint64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

int loop_new(struct loop **out)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int e = errno;
		free(l);
		return -e;
	}
	l->sigfd = -1;
	sigemptyset(&l->sigmask);
	l->now = mono_ms();
	*out = l;
	return 0;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	if (l->sigfd >= 0) {
		close(l->sigfd);
		sigprocmask(SIG_UNBLOCK, &l->sigmask, NULL);
	}
	close(l->epfd);
	free(l->w);
	free(l->heap);
	free(l);
}

/* epoll's data carries the fd and the watch's generation, so an event already fetched
 * for an fd that was unwatched (and maybe reused) in the same batch is dropped. */
static uint64_t ev_data(int fd, uint32_t gen)
{
	return (uint64_t)gen << 32 | (uint32_t)fd;
}

int loop_watch(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *arg)
{
	struct epoll_event ev = { 0 };

	if (fd < 0 || !fn)
		return -EINVAL;
	if ((size_t)fd >= l->nw) {
		size_t n = l->nw ? l->nw : 64;
		struct watch *w;
		while (n <= (size_t)fd)
			n *= 2;
		w = realloc(l->w, n * sizeof(*w));
		if (!w)
			return -ENOMEM;
		memset(w + l->nw, 0, (n - l->nw) * sizeof(*w));
		l->w = w;
		l->nw = n;
	}
	if (l->w[fd].gen)
		return -EEXIST;
	if (++l->gen == 0)
		l->gen = 1;
	ev.events = events;
	ev.data.u64 = ev_data(fd, l->gen);
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	l->w[fd] = (struct watch){ fn, arg, l->gen };
	return 0;
}

int loop_modify(struct loop *l, int fd, uint32_t events)
{
	struct epoll_event ev = { 0 };

	if (fd < 0 || (size_t)fd >= l->nw || !l->w[fd].gen)
		return -ENOENT;
	ev.events = events;
	ev.data.u64 = ev_data(fd, l->w[fd].gen);
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

void loop_unwatch(struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nw || !l->w[fd].gen)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->w[fd].gen = 0;
	l->w[fd].fn = NULL;
}

uint64_t loop_now_ms(const struct loop *l)
{
	return l->now;
}

/* ---- timer heap ---- */

static void heap_place(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->slot = i;
}

static void heap_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	while (i > 1 && l->heap[i / 2]->due_ms > t->due_ms) {
		heap_place(l, i, l->heap[i / 2]);
		i /= 2;
	}
	heap_place(l, i, t);
}

static void heap_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i;
		if (c > l->nheap)
			break;
		if (c + 1 <= l->nheap && l->heap[c + 1]->due_ms < l->heap[c]->due_ms)
			c++;
		if (l->heap[c]->due_ms >= t->due_ms)
			break;
		heap_place(l, i, l->heap[c]);
		i = c;
	}
	heap_place(l, i, t);
}

static void heap_remove(struct loop *l, struct loop_timer *t)
{
	size_t i = t->slot;
	struct loop_timer *last = l->heap[l->nheap--];

	t->slot = 0;
	if (i > l->nheap)
		return; /* t was the last one */
	heap_place(l, i, last);
	heap_up(l, i);
	heap_down(l, last->slot);
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	if (t->slot)
		heap_remove(l, t);
}

bool loop_timer_armed(const struct loop_timer *t)
{
	return t->slot != 0;
}

int loop_timer_reserve(struct loop *l, size_t n)
{
	size_t cap = l->capheap ? l->capheap : 64;
	struct loop_timer **h;

	if (n + 1 < l->capheap)
		return 0;
	while (cap <= n + 1)
		cap *= 2;
	h = realloc(l->heap, cap * sizeof(struct loop_timer *)); /* an array of pointers */
	if (!h)
		return -ENOMEM;
	l->heap = h;
	l->capheap = cap;
	return 0;
}

void loop_timer_set(struct loop *l, struct loop_timer *t, uint64_t after_ms, loop_timer_fn fn,
		    void *arg)
{
	loop_timer_cancel(l, t);
	t->due_ms = l->now + after_ms;
	t->fn = fn;
	t->arg = arg;
	if (l->nheap + 1 >= l->capheap && loop_timer_reserve(l, l->nheap + 1)) {
		/* This API cannot report an error, and a timer that never fires would
		 * leak a transfer for ever: stop loudly (a supervisor restarts us). */
		log_event("loop.error", "error=out-of-memory what=\"timer heap of %zu\"",
			  l->nheap + 1);
		abort();
	}
	l->nheap++;
	l->heap[l->nheap] = t;
	t->slot = l->nheap;
	heap_up(l, l->nheap);
}

static void run_timers(struct loop *l)
{
	/* Bounded: only timers due now; a callback re-arming with 0 ms runs next turn. */
	uint64_t now = l->now;
	unsigned n = 0;

	while (l->nheap && l->heap[1]->due_ms <= now && n++ < 4096 && !l->stop) {
		struct loop_timer *t = l->heap[1];
		heap_remove(l, t);
		if (t->fn)
			t->fn(l, t->arg);
	}
}

/* ---- signals ---- */

static void on_signal(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si[8];
	ssize_t r;

	(void)events;
	(void)arg;
	while ((r = read(fd, si, sizeof(si))) > 0) {
		for (size_t i = 0; i < (size_t)r / sizeof(si[0]); i++)
			for (unsigned k = 0; k < l->nsig; k++)
				if (l->sig[k].signo == (int)si[i].ssi_signo)
					l->sig[k].fn(l, l->sig[k].signo, l->sig[k].arg);
	}
}

int loop_signal(struct loop *l, int signo, loop_signal_fn fn, void *arg)
{
	int fd, rc;

	if (l->nsig >= LOOP_MAX_SIGNALS)
		return -ENOSPC;
	sigaddset(&l->sigmask, signo);
	/* Blocked, so the signal waits in the signalfd instead of interrupting. */
	if (sigprocmask(SIG_BLOCK, &l->sigmask, NULL))
		return -errno;
	fd = signalfd(l->sigfd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (l->sigfd < 0) {
		l->sigfd = fd;
		rc = loop_watch(l, fd, EPOLLIN, on_signal, NULL);
		if (rc)
			return rc;
	}
	l->sig[l->nsig].signo = signo;
	l->sig[l->nsig].fn = fn;
	l->sig[l->nsig].arg = arg;
	l->nsig++;
	return 0;
}

/* ---- running ---- */

int loop_run(struct loop *l)
{
	struct epoll_event ev[LOOP_MAX_EVENTS];

	l->stop = 0;
	while (!l->stop) {
		int timeout = -1, n;

		l->now = mono_ms();
		run_timers(l);
		if (l->stop)
			break;
		if (l->nheap) {
			uint64_t due = l->heap[1]->due_ms;
			timeout = due <= l->now		 ? 0
				  : due - l->now > 60000 ? 60000
							 : (int)(due - l->now);
		}
		n = epoll_wait(l->epfd, ev, LOOP_MAX_EVENTS, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		l->now = mono_ms();
		for (int i = 0; i < n && !l->stop; i++) {
			int fd = (int)(uint32_t)ev[i].data.u64;
			uint32_t gen = (uint32_t)(ev[i].data.u64 >> 32);
			struct watch *w;
			if (fd < 0 || (size_t)fd >= l->nw)
				continue;
			w = &l->w[fd];
			if (w->gen != gen || !w->fn)
				continue; /* unwatched earlier in this batch */
			w->fn(l, fd, ev[i].events, w->arg);
		}
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = 1;
}
