/* tftp: chainbootd's read-only TFTP service (RFC 1350, 2347, 2348, 2349, 7440) on the
 * event loop: the built-in boot files and boot_root, for PXE ROMs and firmware. */
#ifndef CB_TFTP_H
#define CB_TFTP_H

#include "diag.h"
#include "server.h"

struct tftp;

/* Concurrent transfers one client address may hold (the global cap is cfg->tftp_max)
 * once the table is short of slots: OVMF overlaps its tsize probe with the download; 8
 * leaves room for that and retries. While more than 1/TFTP_SHARED_RESERVE of tftp_max
 * is free an address may hold more (machines behind one NAT starting together). */
#define TFTP_PER_CLIENT_MAX 8
#define TFTP_SHARED_RESERVE 4
/* Largest window we agree to (RFC 7440 allows 65535): EDK2 asks 4, tftp-hpa up to 64. */
#define TFTP_WINDOW_CAP 64

/* Bind UDP port 69 on s->cfg->listen (every address when it is empty). Needs root (or
 * CAP_NET_BIND_SERVICE): call before privileges are dropped. s must outlive the service.
 * Returns 0 or -errno with d saying what to do. */
int tftp_open(struct server *s, struct tftp **out, struct diag *d);

/* Start answering requests: register with s->loop. Call after privileges are dropped,
 * so no request is ever handled as root. Returns 0 or -errno. */
int tftp_start(struct tftp *t);

/* End every transfer (each logged with status=shutdown), close the sockets, free t.
 * NULL is accepted. */
void tftp_close(struct tftp *t);

/* Transfers in flight. */
unsigned tftp_active(const struct tftp *t);

#endif
