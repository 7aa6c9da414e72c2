/* notify: tell the service manager (systemd Type=notify) how chainbootd is doing:
 * ready, reloading, stopping, and a one-line status. Without NOTIFY_SOCKET (run by hand,
 * in tests) every call does nothing. */
#ifndef CB_NOTIFY_H
#define CB_NOTIFY_H

#include <stddef.h>

#include "siteconf.h"

/* READY=1 with STATUS= a summary of what is served: call only once every socket is
 * bound, the boot files are prepared and privileges are dropped. note (may be NULL) is
 * appended, e.g. why a reload kept the previous inventory. */
void notify_ready(const struct site_config *c, size_t machines, size_t profiles, const char *note);

/* RELOADING=1 (with MONOTONIC_USEC, as systemd 253+ wants): a reload begins; the next
 * notify_ready() ends it. */
void notify_reloading(void);

/* STOPPING=1: shutdown has begun. */
void notify_stopping(void);

#endif
