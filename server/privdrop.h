/* privdrop: give up root after the ports are bound — another user, no capabilities,
 * no way back (PR_SET_NO_NEW_PRIVS) — before the first packet is read. */
#ifndef CB_PRIVDROP_H
#define CB_PRIVDROP_H

#include <stdbool.h>
#include <sys/types.h>

#include "diag.h"

struct privdrop {
	char user[33];
	uid_t uid;
	gid_t gid;
	bool was_root; /* running as root at start: a drop will happen */
};

/* Look the user up (before anything else, so --check and the start report an unknown
 * user at once). Refuses uid 0 as the target. Returns 0, -ENOENT, -EINVAL. */
int privdrop_resolve(const char *user, struct privdrop *p, struct diag *d);

/* As root: setgroups to the user's primary group only, setresgid, setresuid, clear the
 * capability bounding and ambient sets and PR_SET_NO_NEW_PRIVS; then verify that no
 * capability is left and that setuid(0) fails. Not root: only PR_SET_NO_NEW_PRIVS
 * (there is nothing to drop). Returns 0 or -errno; d names the step that failed. */
int privdrop_apply(const struct privdrop *p, struct diag *d);

#endif
