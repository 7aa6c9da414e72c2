/* generator: run an administrator's script generator for one request, asynchronously.
 *
 * Untrusted input: the program's output (any bytes, any amount, at any pace) — read
 * into a buffer capped at GENERATOR_MAX_OUT, checked for the "#!ipxe" magic, and
 * bounded in time; the program itself may hang, fork, or exit oddly: it runs in its own
 * process group that is killed as a whole, and is watched through a pidfd (so its exit
 * is an event in the loop, with no SIGCHLD handler and no PID-reuse race). The facts in
 * its environment come from the client; the program is told to treat them as such.
 */
#include "generator.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

struct generator_job {
	struct generator *g;
	struct generator_job *prev, *next;
	pid_t pid;
	int pidfd, outfd, errfd;
	char errline[GENERATOR_ERR_LINE]; /* a stderr line being collected */
	size_t errlen;
	unsigned err_lines, err_dropped;
	char tag[GENERATOR_TAG_MAX]; /* "machine=… profile=…" for its stderr lines */
	char *buf;
	size_t len, cap;
	bool eof, exited, killed, toobig, timedout, cancelled;
	int wstatus;
	unsigned timeout_ms;
	struct loop_timer timer;
	generator_done_fn done;
	void *arg;
};

struct generator {
	struct loop *l;
	struct generator_job *jobs;
	unsigned n;
};

int generator_new(struct loop *l, struct generator **out)
{
	struct generator *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	g->l = l;
	*out = g;
	return 0;
}

unsigned generator_running(const struct generator *g)
{
	return g ? g->n : 0;
}

/* One stderr line (without its newline) into the log, under the job's tag. */
static void err_line(struct generator_job *j, const char *s, size_t n)
{
	char text[GENERATOR_ERR_LINE + 1], q[GENERATOR_ERR_LINE * 4 + 8];

	if (n && s[n - 1] == '\r')
		n--;
	if (j->err_lines >= GENERATOR_ERR_MAX) {
		j->err_dropped++;
		return;
	}
	j->err_lines++;
	snprintf(text, sizeof(text), "%.*s", (int)n, s);
	log_event("generator.stderr", "%s pid=%d line=%s", j->tag, (int)j->pid,
		  log_quote(text, q, sizeof(q)));
}

/* Read what is there (non-blocking) and log every complete line; a line longer than
 * the buffer is logged in pieces. Returns true at EOF or on an error. */
static bool err_read(struct generator_job *j)
{
	for (;;) {
		ssize_t r = read(j->errfd, j->errline + j->errlen, sizeof(j->errline) - j->errlen);
		char *nl;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return false;
		if (r <= 0)
			return true;
		j->errlen += (size_t)r;
		while ((nl = memchr(j->errline, '\n', j->errlen))) {
			size_t n = (size_t)(nl - j->errline);
			err_line(j, j->errline, n);
			memmove(j->errline, nl + 1, j->errlen - n - 1);
			j->errlen -= n + 1;
		}
		if (j->errlen == sizeof(j->errline)) {
			err_line(j, j->errline, j->errlen);
			j->errlen = 0;
		}
	}
}

static void err_close(struct generator_job *j)
{
	if (j->errlen)
		err_line(j, j->errline, j->errlen);
	j->errlen = 0;
	if (j->err_dropped)
		log_event("generator.stderr",
			  "%s pid=%d dropped=%u note=\"more stderr lines than "
			  "%d\"",
			  j->tag, (int)j->pid, j->err_dropped, GENERATOR_ERR_MAX);
	loop_unwatch(j->g->l, j->errfd);
	close(j->errfd);
	j->errfd = -1;
}

static void on_stderr(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct generator_job *j = arg;

	(void)l;
	(void)fd;
	(void)events;
	if (err_read(j))
		err_close(j);
}

/* Kill the whole group. Only before the leader is reaped: until then its PID (= the
 * group's id) cannot be reused. */
static void kill_group(struct generator_job *j)
{
	if (!j->exited && !j->killed) {
		kill(-j->pid, SIGKILL);
		j->killed = true;
	}
}

static void job_free(struct generator_job *j)
{
	struct generator *g = j->g;

	loop_timer_cancel(g->l, &j->timer);
	if (j->errfd >= 0) {
		err_read(j); /* what it wrote before the end, then the end of it */
		err_close(j);
	}
	if (j->outfd >= 0) {
		loop_unwatch(g->l, j->outfd);
		close(j->outfd);
	}
	if (j->pidfd >= 0) {
		loop_unwatch(g->l, j->pidfd);
		close(j->pidfd);
	}
	if (j->prev)
		j->prev->next = j->next;
	else
		g->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	g->n--;
	free(j->buf);
	free(j);
}

/* Done when the program has exited and its output is complete (EOF), or it was killed
 * (a killed program's descendants outside its group may hold the pipe: not waited for). */
static void maybe_finish(struct generator_job *j)
{
	enum generator_status st = GENERATOR_OK;
	char why[96] = "";

	if (!j->exited || (!j->eof && !j->killed))
		return;
	if (j->timedout) {
		st = GENERATOR_TIMEOUT;
		snprintf(why, sizeof(why), "killed after %u ms (the profile's timeout)",
			 j->timeout_ms);
	} else if (j->toobig) {
		st = GENERATOR_TOOBIG;
		snprintf(why, sizeof(why), "killed: printed more than %d bytes", GENERATOR_MAX_OUT);
	} else if (WIFSIGNALED(j->wstatus)) {
		st = GENERATOR_FAILED;
		snprintf(why, sizeof(why), "killed by signal %d", WTERMSIG(j->wstatus));
	} else if (!WIFEXITED(j->wstatus) || WEXITSTATUS(j->wstatus) != 0) {
		st = GENERATOR_FAILED;
		snprintf(why, sizeof(why), "exit status %d",
			 WIFEXITED(j->wstatus) ? WEXITSTATUS(j->wstatus) : -1);
	} else if (j->len < 6 || memcmp(j->buf, "#!ipxe", 6)) {
		/* iPXE would take anything else for a binary image to boot */
		st = GENERATOR_NOTSCRIPT;
		snprintf(why, sizeof(why), "output (%zu bytes) does not start with #!ipxe", j->len);
	}
	if (!j->cancelled && j->done)
		j->done(j->arg, st, j->buf ? j->buf : "", j->len, why);
	job_free(j);
}

static void on_output(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct generator_job *j = arg;

	(void)l;
	(void)events;
	for (;;) {
		ssize_t r;
		if (j->len == j->cap) {
			/* grow up to one byte past the cap: that byte proves "too big" */
			size_t ncap = j->cap ? j->cap * 2 : 4096;
			char *nb;
			if (ncap > GENERATOR_MAX_OUT + 1)
				ncap = GENERATOR_MAX_OUT + 1;
			if (ncap == j->cap) {
				j->toobig = true;
				kill_group(j);
				j->eof = true;
				break;
			}
			nb = realloc(j->buf, ncap);
			if (!nb) {
				j->toobig = true; /* treated as a failure; the log says killed */
				kill_group(j);
				j->eof = true;
				break;
			}
			j->buf = nb;
			j->cap = ncap;
		}
		r = read(fd, j->buf + j->len, j->cap - j->len);
		if (r > 0) {
			j->len += (size_t)r;
			if (j->len > GENERATOR_MAX_OUT) {
				j->toobig = true;
				kill_group(j);
				j->eof = true;
				break;
			}
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		j->eof = true; /* EOF, or an error reading: the output ends here */
		break;
	}
	loop_unwatch(j->g->l, fd);
	close(fd);
	j->outfd = -1;
	maybe_finish(j);
}

static void on_exit_fd(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct generator_job *j = arg;
	pid_t r;

	(void)l;
	(void)events;
	do
		r = waitpid(j->pid, &j->wstatus, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return; /* not yet (a spurious wake-up) */
	if (r < 0)
		j->wstatus =
			0xff00; /* reaped elsewhere: status unknown, reported as exit status 255 */
	j->exited = true;
	loop_unwatch(j->g->l, fd);
	close(fd);
	j->pidfd = -1;
	maybe_finish(j);
}

static void on_timeout(struct loop *l, void *arg)
{
	struct generator_job *j = arg;

	(void)l;
	j->timedout = true;
	if (j->exited) {
		/* The program is gone but something it started still holds the pipe: stop
		 * waiting. (Its group is not killed now: the leader was reaped, so its id
		 * might in principle belong to someone else.) */
		j->killed = true;
		maybe_finish(j);
		return;
	}
	kill_group(j);
}

int generator_start(struct generator *g, const char *program, char *const envp[],
		    unsigned timeout_ms, const char *tag, generator_done_fn done, void *arg,
		    struct generator_job **job)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	struct generator_job *j;
	char *argv[] = { (char *)program, NULL };
	int p[2], e[2] = { -1, -1 }, rc;
	sigset_t none, all;

	*job = NULL;
	if (g->n >= GENERATOR_MAX_JOBS)
		return -EBUSY;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->g = g;
	j->pidfd = j->outfd = j->errfd = -1;
	snprintf(j->tag, sizeof(j->tag), "%s", tag ? tag : "");
	j->timeout_ms = timeout_ms;
	j->done = done;
	j->arg = arg;
	/* The child's end stays blocking: a full pipe must make the program wait, not fail. */
	if (pipe2(p, O_CLOEXEC)) {
		rc = -errno;
		free(j);
		return rc;
	}
	/* stderr: a pipe too, so its lines are logged under the machine and profile. */
	if (pipe2(e, O_CLOEXEC) || fcntl(p[0], F_SETFL, O_NONBLOCK) ||
	    fcntl(e[0], F_SETFL, O_NONBLOCK)) {
		rc = -errno;
		goto err_pipe;
	}
	if ((rc = -posix_spawn_file_actions_init(&fa)))
		goto err_pipe;
	if ((rc = -posix_spawnattr_init(&attr)))
		goto err_fa;
	sigemptyset(&none);
	sigfillset(&all);
	/* The daemon blocks the signals it takes through signalfd and may ignore SIGPIPE;
	 * both would be inherited across exec. Its own process group lets a timeout kill
	 * the program and whatever it started. */
	rc = -posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!rc)
		rc = -posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	if (!rc)
		rc = -posix_spawn_file_actions_adddup2(&fa, e[1], 2);
	if (!rc)
		rc = -posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
							      POSIX_SPAWN_SETSIGDEF |
							      POSIX_SPAWN_SETPGROUP);
	if (!rc)
		rc = -posix_spawnattr_setsigmask(&attr, &none);
	if (!rc)
		rc = -posix_spawnattr_setsigdefault(&attr, &all);
	if (!rc)
		rc = -posix_spawnattr_setpgroup(&attr, 0);
	if (!rc)
		rc = -posix_spawn(&j->pid, program, &fa, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	close(e[1]);
	p[1] = e[1] = -1;
	if (rc)
		goto err_pipe;
	j->outfd = p[0];
	/* pidfd (Linux 5.3): the exit becomes readable in the loop. */
	j->pidfd = (int)syscall(SYS_pidfd_open, j->pid, 0);
	if (j->pidfd < 0) {
		rc = -errno;
		goto err_child;
	}
	if ((rc = loop_watch(g->l, j->outfd, EPOLLIN, on_output, j)))
		goto err_child;
	if ((rc = loop_watch(g->l, j->pidfd, EPOLLIN, on_exit_fd, j))) {
		loop_unwatch(g->l, j->outfd);
		goto err_child;
	}
	if ((rc = loop_watch(g->l, e[0], EPOLLIN, on_stderr, j))) {
		loop_unwatch(g->l, j->outfd);
		loop_unwatch(g->l, j->pidfd);
		goto err_child;
	}
	j->errfd = e[0];
	loop_timer_set(g->l, &j->timer, timeout_ms, on_timeout, j);
	j->next = g->jobs;
	if (g->jobs)
		g->jobs->prev = j;
	g->jobs = j;
	g->n++;
	*job = j;
	return 0;

err_child:
	kill(-j->pid, SIGKILL);
	while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (j->pidfd >= 0)
		close(j->pidfd);
	goto err_pipe;
err_fa:
	posix_spawn_file_actions_destroy(&fa);
err_pipe:
	close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	for (int k = 0; k < 2; k++)
		if (e[k] >= 0)
			close(e[k]);
	free(j);
	return rc;
}

void generator_cancel(struct generator_job *j)
{
	if (!j)
		return;
	j->cancelled = true;
	j->done = NULL;
	kill_group(j);
}

void generator_free(struct generator *g)
{
	if (!g)
		return;
	for (struct generator_job *j = g->jobs, *next; j; j = next) {
		next = j->next; /* job_free() unlinks j and frees it */
		if (!j->exited) {
			kill_group(j);
			while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
				;
			j->exited = true;
		}
		job_free(j);
	}
	free(g);
}
