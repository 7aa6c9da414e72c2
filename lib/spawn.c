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

int spawn_run(char *const argv[], char *const extra_env[], struct spawn_out *out, size_t max_out,
	      struct diag *d)
{
	posix_spawn_file_actions_t fa;
	char cmd[SPAWN_CMD_MAX];
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, oalloc = 0, elen = 0, ealloc = 0;
	int opipe[2] = { -1, -1 }, epipe[2] = { -1, -1 };
	bool overflow = false, oom = false;
	char **envp = NULL;
	int rc, status = 0;
	pid_t pid;

	if (out) {
		out->data = NULL;
		out->len = 0;
	}
	if (!argv || !argv[0])
		return diag_set(d, -EINVAL, "internal error: spawn_run without a command");
	spawn_cmdline(argv, cmd, sizeof(cmd));

	envp = spawn_environ(extra_env);
	if (!envp) {
		rc = diag_set(d, -ENOMEM, "%s: out of memory", cmd);
		goto err_env;
	}
	/* O_CLOEXEC: only the dup2'd copies reach the child; no fd leaks into it. */
	if ((out && pipe2(opipe, O_CLOEXEC) < 0) || pipe2(epipe, O_CLOEXEC) < 0) {
		rc = -errno;
		diag_set(d, rc, "%s: cannot create pipe: %s", cmd, strerror(-rc));
		goto err_pipe;
	}
	rc = posix_spawn_file_actions_init(&fa);
	if (rc) {
		rc = diag_set(d, -rc, "%s: %s", cmd, strerror(rc));
		goto err_pipe;
	}
	/* stdin from /dev/null: a tool that prompts (mtools on a clash, xorriso
	 * on a question) must fail, not hang the builder. */
	rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!rc)
		rc = out ? posix_spawn_file_actions_adddup2(&fa, opipe[1], 1)
			 : posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, epipe[1], 2);
	if (rc) {
		rc = diag_set(d, -rc, "%s: %s", cmd, strerror(rc));
		goto err_fa;
	}
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp);
	if (rc) {
		const char *pkg = spawn_package_of(argv[0]);

		if (rc == ENOENT && pkg)
			rc = diag_set(d, -ENOENT,
				      "%s: command not found; install the Debian package %s "
				      "(apt-get install %s, or scripts/deps.sh)",
				      argv[0], pkg, pkg);
		else if (rc == ENOENT)
			rc = diag_set(d, -ENOENT, "%s: command not found in PATH", argv[0]);
		else
			rc = diag_set(d, -rc, "%s: cannot start: %s", cmd, strerror(rc));
		goto err_fa;
	}
	/* Parent keeps only the read ends, so EOF arrives when the child exits. */
	if (out) {
		close(opipe[1]);
		opipe[1] = -1;
	}
	close(epipe[1]);
	epipe[1] = -1;

	for (;;) {
		struct pollfd pfd[2];
		nfds_t n = 0;
		char chunk[16384];
		int i;

		if (opipe[0] >= 0)
			pfd[n++] = (struct pollfd){ .fd = opipe[0], .events = POLLIN };
		if (epipe[0] >= 0)
			pfd[n++] = (struct pollfd){ .fd = epipe[0], .events = POLLIN };
		if (!n)
			break;
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < (int)n; i++) {
			ssize_t r;

			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(pfd[i].fd, chunk, sizeof(chunk));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				close(pfd[i].fd);
				if (pfd[i].fd == opipe[0])
					opipe[0] = -1;
				else
					epipe[0] = -1;
				continue;
			}
			/* Keep draining past the caps so the child never blocks on a
			 * full pipe; what does not fit is dropped and reported. */
			if (pfd[i].fd == opipe[0]) {
				int a = overflow || oom ? 0
							: spawn_append(&obuf, &olen, &oalloc,
								       max_out, chunk, (size_t)r);

				if (a > 0)
					overflow = true;
				else if (a < 0)
					oom = true;
			} else {
				spawn_append(&ebuf, &elen, &ealloc, SPAWN_ERR_MAX, chunk,
					     (size_t)r);
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			rc = -errno;
			diag_set(d, rc, "%s: waitpid: %s", cmd, strerror(-rc));
			goto err_fa;
		}
	}

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* Drop trailing newlines so the message stays one block. */
		while (elen && (ebuf[elen - 1] == '\n' || ebuf[elen - 1] == '\r'))
			ebuf[--elen] = '\0';
		if (WIFSIGNALED(status))
			rc = diag_set(d, -EIO, "%s: killed by signal %d%s%s", cmd, WTERMSIG(status),
				      elen ? ": " : "", elen ? ebuf : "");
		else
			rc = diag_set(d, -EIO, "%s: exited with status %d%s%s", cmd,
				      WEXITSTATUS(status), elen ? ": " : "",
				      elen ? ebuf : "(no error output)");
		goto err_fa;
	}
	if (oom) {
		rc = diag_set(d, -ENOMEM, "%s: out of memory reading its output", cmd);
		goto err_fa;
	}
	if (overflow) {
		rc = diag_set(d, -EFBIG, "%s: output larger than %zu bytes", cmd, max_out);
		goto err_fa;
	}
	if (out) {
		if (!obuf) {
			obuf = calloc(1, 1);
			if (!obuf) {
				rc = diag_set(d, -ENOMEM, "%s: out of memory", cmd);
				goto err_fa;
			}
		}
		out->data = obuf;
		out->len = olen;
		obuf = NULL;
	}
	rc = 0;

err_fa:
	posix_spawn_file_actions_destroy(&fa);
err_pipe:
	if (opipe[0] >= 0)
		close(opipe[0]);
	if (opipe[1] >= 0)
		close(opipe[1]);
	if (epipe[0] >= 0)
		close(epipe[0]);
	if (epipe[1] >= 0)
		close(epipe[1]);
	free(envp);
err_env:
	free(obuf);
	free(ebuf);
	return rc;
}
