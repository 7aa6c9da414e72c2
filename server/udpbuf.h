/* udpbuf: large receive buffers for the daemon's UDP sockets (boot storms arrive at once). */
#ifndef CHAINBOOT_UDPBUF_H
#define CHAINBOOT_UDPBUF_H

/* Receive buffer asked for on ports 67, 4011 and 69: a thousand clients powered on
 * together send their first DISCOVERs and RRQs within milliseconds; the kernel's
 * default (rmem_default, ~208 KiB) drops some and the firmware's retry costs seconds. */
#define UDPBUF_RCV (4 << 20)

/* Grow fd's receive buffer to bytes: SO_RCVBUFFORCE while still root (past rmem_max),
 * else SO_RCVBUF (capped by rmem_max). Best effort: a smaller buffer still works. */
void udpbuf_grow(int fd, int bytes);

#endif
