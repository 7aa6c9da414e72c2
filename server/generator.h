/* generator: run a profile's external program that writes a machine's iPXE script —
 * facts in its environment, the script on its stdout — under a time limit and an output
 * cap, without blocking the event loop (pipe and pidfd watched by the loop). */
#ifndef CB_GENERATOR_H
#define CB_GENERATOR_H

#include <stddef.h>

#include "loop.h"

#define GENERATOR_MAX_JOBS 16	 /* programs running at once; more get the menu */
#define GENERATOR_MAX_OUT  65536 /* bytes of script a program may print */
#define GENERATOR_ERR_LINE 400	 /* bytes of one stderr line logged (longer: cut) */
#define GENERATOR_ERR_MAX  20	 /* stderr lines logged per run; the rest are counted */
#define GENERATOR_TAG_MAX  256

enum generator_status {
	GENERATOR_OK = 0,
	GENERATOR_FAILED,    /* exit status other than 0, or killed by a signal */
	GENERATOR_TIMEOUT,   /* still running at the time limit: killed */
	GENERATOR_TOOBIG,    /* printed more than GENERATOR_MAX_OUT bytes: killed */
	GENERATOR_NOTSCRIPT, /* its output does not start with "#!ipxe" */
};

/* Called once per job, from the loop, unless the job was cancelled. out/len: what the
 * program printed (valid during the call only); why: one phrase for the log when st is
 * not GENERATOR_OK ("exit status 3", "killed after 5000 ms", ...). */
typedef void (*generator_done_fn)(void *arg, enum generator_status st, const char *out, size_t len,
				  const char *why);

struct generator;
struct generator_job;

int generator_new(struct loop *l, struct generator **out);

/* Kills every running program (SIGKILL to its process group), reaps it, no callbacks. */
void generator_free(struct generator *g);

/* Start program (an absolute path; no shell, no PATH search) with exactly envp as its
 * environment, stdin /dev/null, stdout a pipe, stderr another pipe whose lines are
 * logged as event=generator.stderr with tag ("machine=m1 profile=p", already quoted for
 * the log; at most GENERATOR_ERR_MAX lines a run), in its own process group, every
 * signal at its default and unblocked. Returns 0 (*job set; done() follows), -EBUSY
 * (GENERATOR_MAX_JOBS running) or -errno (it could not be started: e.g. -ENOENT,
 * -EACCES); then done() is never called. */
int generator_start(struct generator *g, const char *program, char *const envp[],
		    unsigned timeout_ms, const char *tag, generator_done_fn done, void *arg,
		    struct generator_job **job);

/* The request went away: kill the program; done() is not called. */
void generator_cancel(struct generator_job *job);

unsigned generator_running(const struct generator *g);

#endif
