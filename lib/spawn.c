/* spawn: run an external tool from an argv array (posix_spawnp, never a shell) and
 * capture its output. The tool's output is untrusted only in size: it is capped. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
/* POSIX <spawn.h> has the same name as our lib/spawn.h: with -Ilib the angle form
 * finds ours (its guard makes it empty) and posix_spawnp is undeclared. Project
 * headers are included with quotes, so the build must use -iquote lib. */
#include <spawn.h>
#ifndef _SPAWN_H
#error "lib/spawn.h hides the system <spawn.h>: use -iquote lib, not -Ilib"
#endif
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* How much of a failing tool's stderr goes into the diag: enough for the usual
 * one-paragraph complaint, small enough to stay readable. */
#define SPAWN_ERR_MAX 2048
/* How much of the command line the diag repeats. */
#define SPAWN_CMD_MAX 1024
/* Environment entries we are willing to build (inherited + extra). */
#define SPAWN_ENV_MAX 4096

static const struct {
	const char *tool;
	const char *package;
} spawn_packages[] = {
	{ "xorriso", "xorriso" },
	{ "mformat", "mtools" },
	{ "mcopy", "mtools" },
	{ "mdir", "mtools" },
	{ "mtype", "mtools" },
	{ "mmd", "mtools" },
	{ "syslinux", "syslinux" },
	{ "qemu-system-x86_64", "qemu-system-x86" },
	{ "qemu-system-aarch64", "qemu-system-arm" },
	{ "dnsmasq", "dnsmasq-base" },
	{ "sbsign", "sbsigntool" },
	{ "sbverify", "sbsigntool" },
	{ "openssl", "openssl" },
};

const char *spawn_package_of(const char *tool)
{
	const char *base;
	size_t i;

	if (!tool)
		return NULL;
	/* argv[0] may be a path ("/usr/bin/mcopy"); the package is the same. */
	base = strrchr(tool, '/');
	base = base ? base + 1 : tool;
	for (i = 0; i < sizeof(spawn_packages) / sizeof(spawn_packages[0]); i++)
		if (strcmp(base, spawn_packages[i].tool) == 0)
			return spawn_packages[i].package;
	return NULL;
}

bool spawn_in_path(const char *tool)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		if (n &&
		    (size_t)snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, tool) <
			    sizeof(buf) &&
		    access(buf, X_OK) == 0)
			return true;
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

void spawn_out_free(struct spawn_out *o)
{
	if (!o)
		return;
	free(o->data);
	o->data = NULL;
	o->len = 0;
}

/* "prog arg1 'arg two'" into a bounded buffer, for error messages only. */
static void spawn_cmdline(char *const argv[], char *buf, size_t bufsz)
{
	size_t used = 0;
	size_t i;

	buf[0] = '\0';
	for (i = 0; argv[i] && used < bufsz - 1; i++) {
		bool quote = argv[i][0] == '\0' || strpbrk(argv[i], " \t'\"") != NULL;
		int n = snprintf(buf + used, bufsz - used, "%s%s%s%s", i ? " " : "",
				 quote ? "'" : "", argv[i], quote ? "'" : "");
		if (n < 0)
			break;
		used += (size_t)n < bufsz - used ? (size_t)n : bufsz - used - 1;
	}
}

/* The inherited environment with extra_env added; an extra NAME=value replaces an
 * inherited NAME so that e.g. SOURCE_DATE_EPOCH set by us wins. */
static char **spawn_environ(char *const extra_env[])
{
	size_t n_env = 0, n_extra = 0, i, j, k = 0;
	char **envp;

	while (environ && environ[n_env] && n_env < SPAWN_ENV_MAX)
		n_env++;
	while (extra_env && extra_env[n_extra] && n_extra < SPAWN_ENV_MAX)
		n_extra++;
	envp = calloc(n_env + n_extra + 1, sizeof(*envp));
	if (!envp)
		return NULL;
	for (i = 0; i < n_env; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t nlen = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		bool replaced = false;

		for (j = 0; j < n_extra; j++)
			if (strncmp(extra_env[j], environ[i], nlen) == 0 &&
			    extra_env[j][nlen] == '=')
				replaced = true;
		if (!replaced)
			envp[k++] = environ[i];
	}
	for (j = 0; j < n_extra; j++)
		envp[k++] = extra_env[j];
	envp[k] = NULL;
	return envp;
}

/* Append up to n bytes to a growing buffer without exceeding cap.
 * Returns 0, 1 if bytes had to be dropped, -ENOMEM. */
static int spawn_append(char **buf, size_t *len, size_t *alloc, size_t cap, const char *src,
			size_t n)
{
	int dropped = 0;

	if (n > cap - *len) {
		n = cap - *len;
		dropped = 1;
	}
	if (!n)
		return dropped;
	if (n + 1 > *alloc - *len) {
		size_t want = *alloc ? *alloc : 4096;
		char *p;

		while (want - *len < n + 1)
			want = want > SIZE_MAX / 2 ? *len + n + 1 : want * 2;
		p = realloc(*buf, want);
		if (!p)
			return -ENOMEM;
		*buf = p;
		*alloc = want;
	}
	memcpy(*buf + *len, src, n);
	*len += n;
	(*buf)[*len] = '\0';
	return dropped;
}

/* One tool being run: its pipes and what it has printed so far. */
struct spawn_job {
	char cmd[SPAWN_CMD_MAX];
	int opipe[2], epipe[2];
	char *obuf, *ebuf;
	size_t olen, oalloc, elen, ealloc, max_out;
	bool overflow, oom;
	pid_t pid;
};

/* Report a posix_spawnp() failure: a missing tool names its Debian package. */
static int spawn_failed(const struct spawn_job *j, const char *tool, int err, struct diag *d)
{
	const char *pkg = spawn_package_of(tool);

	if (err == ENOENT && pkg)
		return diag_set(d, -ENOENT,
				"%s: command not found; install the Debian package %s "
				"(apt-get install %s, or scripts/deps.sh)",
				tool, pkg, pkg);
	if (err == ENOENT)
		return diag_set(d, -ENOENT, "%s: command not found in PATH", tool);
	return diag_set(d, -err, "%s: cannot start: %s", j->cmd, strerror(err));
}

/* Pipes, then the child with stdin from /dev/null, stdout to the pipe (or /dev/null
 * when want_out is false) and stderr to the other pipe. */
static int spawn_start(struct spawn_job *j, char *const argv[], char **envp, bool want_out,
		       struct diag *d)
{
	posix_spawn_file_actions_t fa;
	int rc;

	/* O_CLOEXEC: only the dup2'd copies reach the child; no fd leaks into it. */
	if ((want_out && pipe2(j->opipe, O_CLOEXEC) < 0) || pipe2(j->epipe, O_CLOEXEC) < 0) {
		rc = -errno;
		return diag_set(d, rc, "%s: cannot create pipe: %s", j->cmd, strerror(-rc));
	}
	rc = posix_spawn_file_actions_init(&fa);
	if (rc)
		return diag_set(d, -rc, "%s: %s", j->cmd, strerror(rc));
	/* stdin from /dev/null: a tool that prompts (mtools on a clash, xorriso
	 * on a question) must fail, not hang the builder. */
	rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!rc)
		rc = want_out ? posix_spawn_file_actions_adddup2(&fa, j->opipe[1], 1)
			      : posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, j->epipe[1], 2);
	if (rc)
		rc = diag_set(d, -rc, "%s: %s", j->cmd, strerror(rc));
	else if ((rc = posix_spawnp(&j->pid, argv[0], &fa, NULL, argv, envp)))
		rc = spawn_failed(j, argv[0], rc, d);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return rc;
	/* Parent keeps only the read ends, so EOF arrives when the child exits. */
	if (j->opipe[1] >= 0) {
		close(j->opipe[1]);
		j->opipe[1] = -1;
	}
	close(j->epipe[1]);
	j->epipe[1] = -1;
	return 0;
}

/* One read from fd (readable): into stdout's buffer or stderr's; EOF closes it. */
static void spawn_read(struct spawn_job *j, int *fd)
{
	char chunk[16384];
	ssize_t r = read(*fd, chunk, sizeof(chunk));

	if (r < 0 && errno == EINTR)
		return;
	if (r <= 0) {
		close(*fd);
		*fd = -1;
		return;
	}
	/* Keep draining past the caps so the child never blocks on a full pipe; what
	 * does not fit is dropped and reported. */
	if (fd == &j->opipe[0]) {
		int a = j->overflow || j->oom ? 0
					      : spawn_append(&j->obuf, &j->olen, &j->oalloc,
							     j->max_out, chunk, (size_t)r);

		if (a > 0)
			j->overflow = true;
		else if (a < 0)
			j->oom = true;
	} else {
		spawn_append(&j->ebuf, &j->elen, &j->ealloc, SPAWN_ERR_MAX, chunk, (size_t)r);
	}
}

/* Read stdout and stderr until the child closes both. */
static void spawn_drain(struct spawn_job *j)
{
	for (;;) {
		struct pollfd pfd[2];
		int *fds[2];
		nfds_t n = 0;

		if (j->opipe[0] >= 0) {
			fds[n] = &j->opipe[0];
			pfd[n++] = (struct pollfd){ .fd = j->opipe[0], .events = POLLIN };
		}
		if (j->epipe[0] >= 0) {
			fds[n] = &j->epipe[0];
			pfd[n++] = (struct pollfd){ .fd = j->epipe[0], .events = POLLIN };
		}
		if (!n)
			return;
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		for (nfds_t i = 0; i < n; i++)
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				spawn_read(j, fds[i]);
	}
}

/* Wait for the child; a failure carries the command and its stderr. */
static int spawn_wait(struct spawn_job *j, struct diag *d)
{
	int status = 0;

	while (waitpid(j->pid, &status, 0) < 0) {
		if (errno != EINTR) {
			int rc = -errno;
			return diag_set(d, rc, "%s: waitpid: %s", j->cmd, strerror(-rc));
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	/* Drop trailing newlines so the message stays one block. */
	while (j->elen && (j->ebuf[j->elen - 1] == '\n' || j->ebuf[j->elen - 1] == '\r'))
		j->ebuf[--j->elen] = '\0';
	if (WIFSIGNALED(status))
		return diag_set(d, -EIO, "%s: killed by signal %d%s%s", j->cmd, WTERMSIG(status),
				j->elen ? ": " : "", j->elen ? j->ebuf : "");
	return diag_set(d, -EIO, "%s: exited with status %d%s%s", j->cmd, WEXITSTATUS(status),
			j->elen ? ": " : "", j->elen ? j->ebuf : "(no error output)");
}

/* The captured stdout, once the tool succeeded. */
static int spawn_output(struct spawn_job *j, struct spawn_out *out, struct diag *d)
{
	if (j->oom)
		return diag_set(d, -ENOMEM, "%s: out of memory reading its output", j->cmd);
	if (j->overflow)
		return diag_set(d, -EFBIG, "%s: output larger than %zu bytes", j->cmd, j->max_out);
	if (!out)
		return 0;
	if (!j->obuf && !(j->obuf = calloc(1, 1)))
		return diag_set(d, -ENOMEM, "%s: out of memory", j->cmd);
	out->data = j->obuf;
	out->len = j->olen;
	j->obuf = NULL;
	return 0;
}

int spawn_run(char *const argv[], char *const extra_env[], struct spawn_out *out, size_t max_out,
	      struct diag *d)
{
	struct spawn_job j = { .opipe = { -1, -1 }, .epipe = { -1, -1 }, .max_out = max_out };
	char **envp;
	int rc;

	if (out) {
		out->data = NULL;
		out->len = 0;
	}
	if (!argv || !argv[0])
		return diag_set(d, -EINVAL, "internal error: spawn_run without a command");
	spawn_cmdline(argv, j.cmd, sizeof(j.cmd));
	envp = spawn_environ(extra_env);
	if (!envp)
		return diag_set(d, -ENOMEM, "%s: out of memory", j.cmd);
	rc = spawn_start(&j, argv, envp, out != NULL, d);
	if (!rc) {
		spawn_drain(&j);
		rc = spawn_wait(&j, d);
	}
	if (!rc)
		rc = spawn_output(&j, out, d);
	for (int i = 0; i < 2; i++) {
		if (j.opipe[i] >= 0)
			close(j.opipe[i]);
		if (j.epipe[i] >= 0)
			close(j.epipe[i]);
	}
	free(envp);
	free(j.obuf);
	free(j.ebuf);
	return rc;
}
