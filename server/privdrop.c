/* privdrop: switch chainbootd from root to an unprivileged user once its sockets are
 * bound (OpenBSD tftpd, dnsmasq do the same), so a parser bug cannot act as root. The
 * user name comes from the site file or the command line (trusted configuration). */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int privdrop_resolve(const char *user, struct privdrop *p, struct diag *d)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int e;

	memset(p, 0, sizeof(*p));
	snprintf(p->user, sizeof(p->user), "%s", user);
	p->was_root = geteuid() == 0;
	e = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (e || !res)
		return diag_set(
			d, -ENOENT,
			"user \"%s\" does not exist: create it (useradd --system %s) or set "
			"[server] user / --user to an existing unprivileged user",
			user, user);
	if (pw.pw_uid == 0 || pw.pw_gid == 0)
		return diag_set(d, -EINVAL,
				"user \"%s\" has uid or gid 0: chainbootd must drop to an "
				"unprivileged user ([server] user / --user)",
				user);
	p->uid = pw.pw_uid;
	p->gid = pw.pw_gid;
	return 0;
}

/* Effective, permitted and inheritable capability sets, all 64 bits. */
static int caps_left(uint64_t *eff, uint64_t *perm, uint64_t *inh)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct c[2] = {
		0
	}; /* zeroed: valgrind 3.19 marks only c[0] written */

	if (syscall(SYS_capget, &h, c))
		return -errno;
	*eff = (uint64_t)c[1].effective << 32 | c[0].effective;
	*perm = (uint64_t)c[1].permitted << 32 | c[0].permitted;
	*inh = (uint64_t)c[1].inheritable << 32 | c[0].inheritable;
	return 0;
}

int privdrop_apply(const struct privdrop *p, struct diag *d)
{
	uint64_t eff = 0, perm = 0, inh = 0;
	int rc;

	if (!p->was_root) {
		/* Nothing to give up; still make sure nothing can be gained. */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			return diag_set(d, -errno, "prctl(PR_SET_NO_NEW_PRIVS): %s",
					strerror(errno));
		return 0;
	}
	/* The bounding set needs CAP_SETPCAP: clear it while still root. Numbers past
	 * the kernel's last capability give EINVAL, which ends the walk. */
	for (int cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL)
			break;
		return diag_set(d, -errno, "dropping capability %d from the bounding set: %s", cap,
				strerror(errno));
	}
	/* Ambient capabilities (Linux >= 4.3) would survive the uid change. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return diag_set(d, -errno, "clearing ambient capabilities: %s", strerror(errno));
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0))
		return diag_set(d, -errno, "prctl(PR_SET_KEEPCAPS, 0): %s", strerror(errno));
	if (setgroups(1, &p->gid))
		return diag_set(d, -errno, "setgroups(%u): %s", (unsigned)p->gid, strerror(errno));
	if (setresgid(p->gid, p->gid, p->gid))
		return diag_set(d, -errno, "setresgid(%u): %s", (unsigned)p->gid, strerror(errno));
	/* With every uid non-zero and KEEPCAPS off, the kernel empties the permitted and
	 * effective sets here (capabilities(7), "Effect of user ID changes"). */
	if (setresuid(p->uid, p->uid, p->uid))
		return diag_set(d, -errno, "setresuid(%u): %s", (unsigned)p->uid, strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return diag_set(d, -errno, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
	rc = caps_left(&eff, &perm, &inh);
	if (rc)
		return diag_set(d, rc, "capget: %s", strerror(-rc));
	if (eff || perm || inh)
		return diag_set(
			d, -EPERM,
			"capabilities left after dropping to %s (effective %#llx, permitted "
			"%#llx): refusing to run",
			p->user, (unsigned long long)eff, (unsigned long long)perm);
	if (setuid(0) == 0 || setgid(0) == 0)
		return diag_set(d, -EPERM,
				"could regain root after dropping to %s: refusing to run", p->user);
	return 0;
}
