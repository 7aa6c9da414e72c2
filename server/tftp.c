/* tftp: the read-only TFTP service. Requests arrive on UDP port 69 from any host on the
 * network (untrusted: file names, options, every packet); each accepted transfer gets
 * its own ephemeral socket connect()ed to the client (RFC 1350's transfer IDs: the
 * kernel then drops packets from any other source), is paced by ACKs with a window
 * (RFC 7440) and a back-off timer, and reads the file with preadv() from the fd
 * bootroot_open() returned (or from memory for built-in files). Nothing a client sends
 * can make a reply show a server path: error texts are fixed strings.
 * Per block the work is one recv() of the ACK and one send() of the DATA: files are read
 * ahead ~32 KiB per preadv() straight into ready packets, a window goes out as one UDP
 * GSO send (else one sendmmsg()), nothing is logged before the transfer ends. */
#include "tftp.h"
#include "timeline.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bootroot.h"
#include "log.h"
#include "tftpproto.h"
#include "udpbuf.h"

/* Retransmission: without a negotiated timeout, 1 s doubling up to 8 s; 6 retries, so a
 * client that went away costs about 30 s of a slot (1+2+4+8+8+8). With a negotiated
 * timeout (RFC 2349) that value is used as is for every retry. */
#define TFTP_RTO_MS	1000u
#define TFTP_RTO_MAX_MS 8000u
#define TFTP_RETRIES	6
/* Requests handled per wakeup of port 69, so a flood there cannot starve transfers. */
#define TFTP_BURST 32
/* Read-ahead of a file: at least TFTP_RA_MIN bytes per preadv() (22 blocks of 1468), at
 * most TFTP_RA_MAX (or one block) and TFTP_BATCH blocks, so a window is usually one read. */
#define TFTP_RA_MIN 32768u
#define TFTP_RA_MAX 65536u
/* DATA packets per sendmmsg(): a whole window (TFTP_WINDOW_CAP) at once. Also the most
 * segments of one UDP GSO send (the kernel's UDP_MAX_SEGMENTS was 64 before Linux 6.9). */
#define TFTP_BATCH   64
#define TFTP_UDP_MAX 65507u /* largest UDP payload over IPv4 */
/* IPv4 (20) + UDP (8) + TFTP (4) header bytes: blksize + 32 must fit the path MTU, so
 * DATA is never fragmented (dnsmasq caps the same way; some PXE ROMs drop fragments). */
#define TFTP_OVERHEAD 32
/* At most one "busy" log line per second, however many requests are dropped. */
#define TFTP_BUSY_LOG_MS 1000u

struct xfer {
	struct xfer *next, *prev;
	struct tftp *t;
	int sock;
	struct sockaddr_in peer;
	struct bootroot_file file;
	/* octet: blocks read ahead as ready DATA packets, TFTP_HDR + blksize apart, so
	 * each goes out from where it was read; NULL until the first DATA and for netascii */
	uint8_t *ra;
	int64_t ra_first; /* block in slot 0 */
	unsigned ra_n;	  /* blocks held */
	unsigned ra_slots;
	char name[TFTP_FILENAME_MAX + 1]; /* as the client asked (for the log only) */
	uint64_t req_hash;		  /* to recognise a retransmitted RRQ */
	enum tftp_mode mode;
	struct tftp_negotiation neg;
	int64_t base;	    /* last block acknowledged; -1 while the OACK awaits ACK 0 */
	int64_t sent_hi;    /* highest block sent */
	int64_t next_send;  /* next block of the current window to send */
	int64_t last_block; /* number of the final (short) block; -1 not yet known (netascii) */
	/* netascii: source offset and split CR/LF pair at the start of block base+1, and
	 * after it (blocks depend on their predecessor, so the window stays 1) */
	uint64_t na_off, na_next_off;
	int na_carry, na_next_carry;
	size_t na_len;	  /* payload length of block base+1 */
	uint64_t bytes;	  /* payload bytes acknowledged */
	unsigned retries; /* timer expiries since the last progress */
	unsigned retransmits;
	bool out_wanted; /* waiting for EPOLLOUT (send buffer full) */
	bool no_gso;	 /* the route refused UDP GSO: one datagram per block */
	uint64_t start_ms;
	struct loop_timer timer;
};

struct tftp {
	struct server *s;
	int fd; /* port 69 */
	bool watching;
	struct xfer *xfers;
	unsigned n_xfers;
	uint8_t *pkt; /* one send buffer for all transfers: the loop is single-threaded */
	uint8_t *src; /* netascii source bytes */
	uint64_t busy_log_ms;
	unsigned busy_dropped;
};

static struct loop *tloop(const struct tftp *t)
{
	return t->s->loop;
}

static const char *peer_str(const struct sockaddr_in *a, char *buf, size_t sz)
{
	char ip[INET_ADDRSTRLEN];

	if (!inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	snprintf(buf, sz, "%s:%u", ip, ntohs(a->sin_port));
	return buf;
}

/* "IP:port", and " mac=…" when proxyDHCP saw that IP lately: the machine, not only
 * the address its site DHCP server happened to give it. */
static const char *client_str(const struct tftp *t, const struct sockaddr_in *a, char *buf,
			      size_t sz)
{
	char who[32], mac[18];

	peer_str(a, who, sizeof(who));
	if (clientmac_find(&t->s->macs, a->sin_addr.s_addr, loop_now_ms(t->s->loop), mac))
		snprintf(buf, sz, "%s", who);
	else
		snprintf(buf, sz, "%s mac=%s", who, mac);
	return buf;
}

static uint64_t fnv1a(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* ------------------------------------------------------------------ transfers */

static void xfer_end(struct xfer *x, const char *status, const char *extra)
{
	struct tftp *t = x->t;
	char who[64], q[TFTP_FILENAME_MAX * 4 + 8];
	uint64_t now = loop_now_ms(tloop(t));

	log_event("tftp",
		  "client=%s file=%s status=%s bytes=%llu size=%lld duration_ms=%llu mode=%s "
		  "blksize=%u windowsize=%u tsize=%s retransmits=%u%s%s",
		  client_str(t, &x->peer, who, sizeof(who)), log_quote(x->name, q, sizeof(q)),
		  status, (unsigned long long)x->bytes, (long long)x->file.size,
		  (unsigned long long)(now - x->start_ms),
		  x->mode == TFTP_MODE_NETASCII ? "netascii" : "octet", x->neg.blksize,
		  x->neg.windowsize, x->neg.ack_tsize ? "yes" : "no", x->retransmits,
		  extra ? " " : "", extra ? extra : "");
	timeline_tftp(t->s->tl, now, x->peer.sin_addr.s_addr, x->name, status, x->bytes,
		      now - x->start_ms);
	loop_timer_cancel(tloop(t), &x->timer);
	loop_unwatch(tloop(t), x->sock);
	close(x->sock);
	if (x->file.fd >= 0)
		close(x->file.fd);
	free(x->ra);
	if (x->prev)
		x->prev->next = x->next;
	else
		t->xfers = x->next;
	if (x->next)
		x->next->prev = x->prev;
	t->n_xfers--;
	free(x);
}

static uint32_t rto_ms(const struct xfer *x)
{
	uint32_t ms;

	if (x->neg.timeout)
		return x->neg.timeout * 1000u;
	ms = TFTP_RTO_MS << (x->retries < 4 ? x->retries : 4);
	return ms < TFTP_RTO_MAX_MS ? ms : TFTP_RTO_MAX_MS;
}

/* Read exactly len bytes at off; a file that shrank since it was opened is an error
 * (the client was promised its size in tsize). */
static int read_at(const struct xfer *x, uint8_t *dst, size_t len, uint64_t off)
{
	size_t got = 0;

	if (x->file.data) {
		memcpy(dst, x->file.data + off, len);
		return 0;
	}
	while (got < len) {
		ssize_t n = pread(x->file.fd, dst + got, len - got, (off_t)(off + got));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		got += (size_t)n;
	}
	return 0;
}

/* Payload length of octet block n (from 1; n <= last_block). */
static size_t block_len(const struct xfer *x, int64_t n)
{
	uint64_t size = (uint64_t)x->file.size, blk = x->neg.blksize, off = (uint64_t)(n - 1) * blk;

	return off >= size ? 0 : (size - off < blk ? (size_t)(size - off) : (size_t)blk);
}

/* Read into iov[0..n) from off, all of it (preadv may stop short). */
static int readv_at(const struct xfer *x, struct iovec *iov, unsigned n, uint64_t off)
{
	for (;;) {
		ssize_t r;
		while (n > 0 && iov->iov_len == 0) {
			iov++;
			n--;
		}
		if (n == 0)
			return 0;
		r = preadv(x->file.fd, iov, (int)n, (off_t)off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO; /* the file shrank since it was opened */
		off += (uint64_t)r;
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
}

/* Fill the read-ahead with blocks first… (as many slots as there are, up to the last):
 * headers written in place, payloads by one preadv() (or copied from memory). */
static int ra_fill(struct xfer *x, int64_t first)
{
	size_t slot = TFTP_HDR + x->neg.blksize;
	uint64_t off = (uint64_t)(first - 1) * x->neg.blksize;
	struct iovec iov[TFTP_BATCH];
	unsigned n;
	int rc;

	if (!x->ra && !(x->ra = malloc(slot * x->ra_slots)))
		return -ENOMEM;
	x->ra_n = 0;
	for (n = 0; n < x->ra_slots && first + (int64_t)n <= x->last_block; n++) {
		uint8_t *p = x->ra + n * slot;
		tftp_build_data_hdr(p, TFTP_HDR,
				    (uint16_t)(uint64_t)(first + (int64_t)n)); /* rolls over */
		iov[n] = (struct iovec){ .iov_base = p + TFTP_HDR,
					 .iov_len = block_len(x, first + (int64_t)n) };
	}
	if (x->file.data) {
		for (unsigned i = 0; i < n; i++)
			memcpy(iov[i].iov_base, x->file.data + off + (uint64_t)i * x->neg.blksize,
			       iov[i].iov_len);
	} else if ((rc = readv_at(x, iov, n, off)) < 0) {
		return rc;
	}
	x->ra_first = first;
	x->ra_n = n;
	return 0;
}

/* Build netascii DATA block n in t->pkt; *plen = payload length. */
static int build_block(struct xfer *x, int64_t n, size_t *plen)
{
	struct tftp *t = x->t;
	uint64_t size = (uint64_t)x->file.size, blk = x->neg.blksize;
	uint8_t *payload = t->pkt + TFTP_HDR;
	int rc;

	tftp_build_data_hdr(t->pkt, TFTP_HDR, (uint16_t)(uint64_t)n); /* rolls over to 0 */
	/* block base+1 only (window 1), rebuilt from the saved state on resend */
	{
		size_t avail = x->na_off >= size
				       ? 0
				       : (size - x->na_off < blk ? (size_t)(size - x->na_off)
								 : (size_t)blk);
		const uint8_t *src = t->src;
		size_t used;
		int carry = x->na_carry;

		if (x->file.data)
			src = (const uint8_t *)x->file.data + x->na_off;
		else if ((rc = read_at(x, t->src, avail, x->na_off)) < 0)
			return rc;
		*plen = tftp_netascii_encode(src, avail, &used, payload, (size_t)blk, &carry);
		x->na_next_off = x->na_off + used;
		x->na_next_carry = carry;
		x->na_len = *plen;
		if (*plen < blk)
			x->last_block = n;
		return 0;
	}
}

static void want_out(struct xfer *x, bool on)
{
	if (x->out_wanted == on)
		return;
	x->out_wanted = on;
	loop_modify(tloop(x->t), x->sock, EPOLLIN | (on ? EPOLLOUT : 0));
}

static void on_timer(struct loop *l, void *arg);

/* The read failed: tell the client (a fixed text), end the transfer. */
static void read_failed(struct xfer *x, int rc)
{
	struct tftp *t = x->t;
	char extra[64];
	ssize_t len = tftp_build_error(t->pkt, TFTP_HDR + TFTP_BLKSIZE_MAX, TFTP_EUNDEF,
				       "Read error");

	(void)!send(x->sock, t->pkt, (size_t)len, 0);
	snprintf(extra, sizeof(extra), "error=\"%s\"", strerror(-rc));
	xfer_end(x, "read-error", extra);
}

/* UDP GSO (Linux 4.18): k packets of the read-ahead from p, which lie back to back,
 * as one send that the stack cuts into datagrams of TFTP_HDR + blksize (only the
 * file's last block, last here, may be shorter): a window crosses the stack once, not
 * once per block. Returns the blocks sent (errno set when fewer than k), or -1. */
static int send_gso(struct xfer *x, uint8_t *p, int64_t first, unsigned k)
{
	unsigned seg = TFTP_HDR + x->neg.blksize, per = TFTP_UDP_MAX / seg, done = 0;

	if (per > TFTP_BATCH)
		per = TFTP_BATCH;
	while (done < k) {
		unsigned n = k - done < per ? k - done : per;
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(uint16_t))];
		} ctl;
		struct iovec iov = { .iov_base = p + (size_t)done * seg,
				     .iov_len = (size_t)(n - 1) * seg + TFTP_HDR +
						block_len(x, first + (int64_t)(done + n - 1)) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		uint16_t gso = (uint16_t)seg;

		if (n > 1) {
			struct cmsghdr *c;
			memset(&ctl, 0, sizeof(ctl));
			m.msg_control = ctl.buf;
			m.msg_controllen = sizeof(ctl.buf);
			c = CMSG_FIRSTHDR(&m);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(gso));
			memcpy(CMSG_DATA(c), &gso, sizeof(gso));
		}
		if (sendmsg(x->sock, &m, 0) < 0)
			return done ? (int)done : -1;
		done += n;
	}
	return (int)done;
}

/* octet: send blocks next_send..end from the read-ahead, a window at once: one send()
 * per block in lock-step, else UDP GSO, else sendmmsg(). Returns 1 when all went out,
 * 0 when the socket is full (want_out is set), -1 when the transfer ended. */
static int send_octet(struct xfer *x, int64_t end)
{
	size_t slot = TFTP_HDR + x->neg.blksize;
	/* GSO pays when two blocks fit one UDP payload */
	bool gso = !x->no_gso && 2 * slot <= TFTP_UDP_MAX;

	while (x->next_send <= end) {
		int64_t n = x->next_send;
		uint8_t *p;
		unsigned k;
		int sent;

		if (n < x->ra_first || n >= x->ra_first + (int64_t)x->ra_n) {
			int rc = ra_fill(x, n);
			if (rc < 0) {
				read_failed(x, rc);
				return -1;
			}
		}
		p = x->ra + (size_t)(n - x->ra_first) * slot;
		k = (unsigned)(x->ra_first + (int64_t)x->ra_n - n); /* held from n on */
		if (end - n + 1 < (int64_t)k)
			k = (unsigned)(end - n + 1);
		if (k == 1) {
			sent = send(x->sock, p, TFTP_HDR + block_len(x, n), 0) < 0 ? -1 : 1;
		} else if (gso) {
			sent = send_gso(x, p, n, k);
			if (sent < 0 && (errno == EINVAL || errno == EIO || errno == EOPNOTSUPP ||
					 errno == ENOPROTOOPT)) {
				/* no GSO on this route (old kernel, no checksum offload, MTU
				 * shrank): one datagram per block from now on */
				x->no_gso = true;
				gso = false;
				continue;
			}
		} else {
			struct mmsghdr m[TFTP_BATCH];
			struct iovec iov[TFTP_BATCH];
			for (unsigned i = 0; i < k; i++) {
				iov[i] = (struct iovec){ .iov_base = p + i * slot,
							 .iov_len = TFTP_HDR +
								    block_len(x, n + (int64_t)i) };
				m[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i],
								.msg_iovlen = 1 };
				m[i].msg_len = 0;
			}
			sent = sendmmsg(x->sock, m, k, 0);
		}
		if (sent < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == ENOBUFS) {
				want_out(x, true);
				return 0;
			}
			xfer_end(x, errno == ECONNREFUSED ? "client-gone" : "send-error", NULL);
			return -1;
		}
		x->next_send += sent;
		if (x->next_send - 1 > x->sent_hi)
			x->sent_hi = x->next_send - 1;
		if ((unsigned)sent < k) {
			/* the rest did not fit; the next send reports the error, if any */
			want_out(x, true);
			return 0;
		}
	}
	return 1;
}

/* Send what is due: the OACK, or the blocks of the window from next_send on. Returns
 * 0, or -1 when the transfer ended (x is freed). */
static int send_window(struct xfer *x)
{
	struct tftp *t = x->t;
	int64_t end;

	if (x->base < 0) {
		/* at most four short options: always fits */
		ssize_t len = tftp_build_oack(t->pkt, TFTP_HDR + TFTP_BLKSIZE_MAX, &x->neg);
		if (send(x->sock, t->pkt, (size_t)len, 0) < 0) {
			if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR) {
				want_out(x, true);
				goto arm;
			}
			xfer_end(x, errno == ECONNREFUSED ? "client-gone" : "send-error", NULL);
			return -1;
		}
		x->sent_hi = 0;
		want_out(x, false);
		goto arm;
	}
	end = x->base + (int64_t)x->neg.windowsize;
	if (x->last_block >= 0 && end > x->last_block)
		end = x->last_block;
	if (x->mode == TFTP_MODE_OCTET) {
		int rc = send_octet(x, end);
		if (rc < 0)
			return -1;
		if (rc == 0)
			goto arm;
	}
	while (x->next_send <= end) { /* netascii */
		size_t plen;
		int rc = build_block(x, x->next_send, &plen);
		if (rc < 0) {
			read_failed(x, rc);
			return -1;
		}
		if (send(x->sock, t->pkt, TFTP_HDR + plen, 0) < 0) {
			if (errno == EAGAIN || errno == ENOBUFS) {
				want_out(x, true);
				goto arm;
			}
			if (errno == EINTR)
				continue;
			xfer_end(x, errno == ECONNREFUSED ? "client-gone" : "send-error", NULL);
			return -1;
		}
		if (x->next_send > x->sent_hi)
			x->sent_hi = x->next_send;
		x->next_send++;
		if (x->last_block >= 0 && end > x->last_block)
			end = x->last_block; /* netascii: the short block was just found */
	}
	want_out(x, false);
arm:
	loop_timer_set(tloop(t), &x->timer, rto_ms(x), on_timer, x);
	return 0;
}

static void on_timer(struct loop *l, void *arg)
{
	struct xfer *x = arg;

	(void)l;
	if (++x->retries > TFTP_RETRIES) {
		/* Some clients never ACK the final block (dnsmasq notes the same): the
		 * file was sent, but we cannot know it arrived. */
		xfer_end(x,
			 x->last_block >= 0 && x->sent_hi >= x->last_block ? "unacked" : "timeout",
			 NULL);
		return;
	}
	x->retransmits++;
	x->next_send = x->base + 1;
	send_window(x);
}

/* Returns -1 when the transfer ended. */
static int on_ack(struct xfer *x, uint16_t wire)
{
	int64_t b = tftp_ack_block(x->base, x->sent_hi, wire);

	if (b < 0)
		return 0; /* duplicate or stale: never resend on it (Sorcerer's Apprentice) */
	if (x->mode == TFTP_MODE_OCTET) {
		uint64_t done = (uint64_t)b * x->neg.blksize;
		x->bytes = done < (uint64_t)x->file.size ? done : (uint64_t)x->file.size;
	} else if (b == x->base + 1 && b > 0) {
		x->bytes += x->na_len;
		x->na_off = x->na_next_off;
		x->na_carry = x->na_next_carry;
	}
	x->base = b;
	x->retries = 0;
	if (x->last_block >= 0 && x->base >= x->last_block) {
		xfer_end(x, "ok", NULL);
		return -1;
	}
	/* RFC 7440: an ACK inside the window means the client saw a gap; either way the
	 * next window starts right after the acknowledged block. */
	x->next_send = x->base + 1;
	return send_window(x);
}

static void on_xfer(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct xfer *x = arg;
	uint8_t buf[TFTP_HDR + TFTP_ERRMSG_MAX + 2];

	(void)l;
	if ((events & EPOLLOUT) && x->out_wanted) {
		if (send_window(x) < 0)
			return;
	}
	if (!(events & (EPOLLIN | EPOLLERR)))
		return;
	/* One datagram per wakeup: a client answers a window with one ACK, so a second
	 * recv() would nearly always find nothing (a wasted syscall per block); epoll is
	 * level-triggered, so whatever is left is reported on the next turn. */
	for (;;) {
		struct tftp_packet p;
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			/* ECONNREFUSED: ICMP port unreachable, the client is gone */
			xfer_end(x, errno == ECONNREFUSED ? "client-gone" : "recv-error", NULL);
			return;
		}
		/* the ACK, every block: no full parse */
		if (n >= TFTP_HDR && buf[0] == 0 && buf[1] == TFTP_ACK) {
			on_ack(x, (uint16_t)(buf[2] << 8 | buf[3]));
			return;
		}
		if (tftp_parse(buf, (size_t)n, &p) < 0)
			return;
		if (p.op == TFTP_ERROR) {
			/* EDK2 (OVMF) and Intel PXE ROMs ask with tsize, read the size from
			 * our OACK and abort with ERROR 8: that is the expected end of a
			 * size probe, not a failure of ours. */
			char extra[TFTP_ERRMSG_MAX * 4 + 64], q[TFTP_ERRMSG_MAX * 4 + 8];
			snprintf(extra, sizeof(extra), "client_error=%u client_message=%s",
				 p.error_code, log_quote(p.error_msg, q, sizeof(q)));
			xfer_end(x, x->base < 0 && x->neg.ack_tsize ? "size-probe" : "aborted",
				 extra);
		}
		/* anything else on a read transfer is ignored */
		return;
	}
}

/* ------------------------------------------------------------------ requests */

/* Reply on port 69 before a transfer exists, from the address the request came to. */
static void reply_error(struct tftp *t, const struct sockaddr_in *peer, const struct in_addr *local,
			uint16_t code, const char *msg)
{
	uint8_t pkt[TFTP_HDR + 128];
	ssize_t len = tftp_build_error(pkt, sizeof(pkt), code, msg);
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} ctl;
	struct iovec iov = { .iov_base = pkt, .iov_len = (size_t)len };
	struct msghdr m = { .msg_name = (void *)peer,
			    .msg_namelen = sizeof(*peer),
			    .msg_iov = &iov,
			    .msg_iovlen = 1 };
	struct cmsghdr *c;
	struct in_pktinfo pi;

	memset(&ctl, 0, sizeof(ctl));
	if (local->s_addr != htonl(INADDR_ANY)) {
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst = *local;
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
	(void)!sendmsg(t->fd, &m, MSG_DONTWAIT);
}

static void log_refused(const struct tftp *t, const struct sockaddr_in *peer, const char *name,
			const char *status, const char *extra)
{
	char who[64], q[TFTP_FILENAME_MAX * 4 + 8];

	log_event("tftp", "client=%s file=%s status=%s%s%s", client_str(t, peer, who, sizeof(who)),
		  log_quote(name, q, sizeof(q)), status, extra ? " " : "", extra ? extra : "");
	/* "busy" got no answer (the client retries and is served): not a step of its boot */
	if (strcmp(status, "busy"))
		timeline_tftp_refused(t->s->tl, loop_now_ms(tloop(t)), peer->sin_addr.s_addr, name,
				      status);
}

/* Whether a new transfer for peer's address must wait. The per-address cap only binds
 * once less than a quarter of tftp_max is free: dropping a request while slots sit idle
 * only makes its client wait out a retransmission timeout (firmware: 0.5-1 s), and 32
 * clients behind one address (VMs behind a NAT, a test rig) starting together then
 * finished in 3x the time of the rest (issue 17 item 6). The quarter kept back is what
 * the cap protects: one address can never take the whole table from the others. */
static bool over_cap(struct tftp *t, const struct sockaddr_in *peer)
{
	unsigned same = 0, cap = TFTP_PER_CLIENT_MAX, max = t->s->cfg->tftp_max;

	if (t->n_xfers >= max)
		return true;
	if (t->n_xfers < max - max / TFTP_SHARED_RESERVE)
		return false;
	if (cap > max)
		cap = max;
	/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): the analyzer cannot tell that a
	 * superseded transfer's x->t is this t, whose list xfer_end() took it off. */
	for (struct xfer *x = t->xfers; x; x = x->next)
		if (x->peer.sin_addr.s_addr == peer->sin_addr.s_addr)
			same++;
	return same >= cap;
}

static void log_busy(struct tftp *t, const struct sockaddr_in *peer, const char *name)
{
	uint64_t now = loop_now_ms(tloop(t));
	char extra[64];

	t->busy_dropped++;
	if (t->busy_log_ms && now - t->busy_log_ms < TFTP_BUSY_LOG_MS)
		return;
	/* No reply: the client retransmits its RRQ and gets a slot when one frees up;
	 * an ERROR would make firmware give up the boot. */
	snprintf(extra, sizeof(extra), "active=%u max=%u dropped=%u", t->n_xfers,
		 t->s->cfg->tftp_max, t->busy_dropped);
	log_refused(t, peer, name, "busy", extra);
	t->busy_log_ms = now;
	t->busy_dropped = 0;
}

/* A transfer socket from the address the request came to, connected to the client. */
static int xfer_socket(const struct in_addr *local, const struct sockaddr_in *peer, unsigned *mtu)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr = *local };
	int fd, v = IP_PMTUDISC_DONT, m = 0;
	socklen_t ml = sizeof(m);

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Let the kernel fragment rather than fail if the path MTU drops mid-transfer. */
	(void)setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    connect(fd, (const struct sockaddr *)peer, sizeof(*peer)) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	/* The route's MTU toward this client (65536 on loopback, 1500 on Ethernet). */
	if (getsockopt(fd, IPPROTO_IP, IP_MTU, &m, &ml) < 0 ||
	    m <= TFTP_OVERHEAD + TFTP_BLKSIZE_MIN)
		m = 1500;
	*mtu = (unsigned)m;
	return fd;
}

static void start_transfer(struct tftp *t, const struct sockaddr_in *peer,
			   const struct in_addr *local, const struct tftp_request *req,
			   uint64_t hash, struct bootroot_file *f)
{
	struct tftp_limits lim = { .max_windowsize = TFTP_WINDOW_CAP };
	struct xfer *x;
	unsigned mtu = 0;
	int sock;

	sock = xfer_socket(local, peer, &mtu);
	if (sock < 0) {
		char extra[64];
		snprintf(extra, sizeof(extra), "error=\"%s\"", strerror(-sock));
		reply_error(t, peer, local, TFTP_EUNDEF, "Server busy, try again");
		log_refused(t, peer, req->filename, "error", extra);
		goto err_file;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		reply_error(t, peer, local, TFTP_EUNDEF, "Server busy, try again");
		log_refused(t, peer, req->filename, "error", "error=\"out of memory\"");
		goto err_sock;
	}
	x->t = t;
	x->sock = sock;
	x->peer = *peer;
	x->file = *f;
	x->req_hash = hash;
	x->mode = req->mode;
	memcpy(x->name, req->filename, sizeof(x->name));
	x->start_ms = loop_now_ms(tloop(t));
	x->na_carry = -1;
	lim.max_blksize = mtu - TFTP_OVERHEAD;
	lim.netascii = req->mode == TFTP_MODE_NETASCII;
	/* netascii grows LF to CR LF, so the size on the wire is not the file's size
	 * (RFC 2349 allows leaving tsize out then). */
	lim.file_size = lim.netascii ? -1 : (int64_t)f->size;
	tftp_negotiate(&req->opts, &lim, &x->neg);
	if (x->mode == TFTP_MODE_OCTET) {
		/* read-ahead: a window if it fits in TFTP_RA_MAX, never more blocks than
		 * the file has */
		size_t blk = x->neg.blksize, nb = TFTP_RA_MIN / blk;
		x->last_block = (int64_t)((uint64_t)f->size / x->neg.blksize) + 1;
		if (nb < x->neg.windowsize)
			nb = x->neg.windowsize;
		if (nb > TFTP_RA_MAX / blk)
			nb = TFTP_RA_MAX / blk;
		if (nb > TFTP_BATCH)
			nb = TFTP_BATCH;
		if (nb > (uint64_t)x->last_block)
			nb = (size_t)x->last_block;
		x->ra_slots = nb ? (unsigned)nb : 1;
	} else {
		x->last_block = -1;
	}
	/* With options the OACK goes first and the client answers ACK 0 (RFC 2347);
	 * without, DATA 1 is the answer (RFC 1350). */
	x->base = x->neg.oack ? -1 : 0;
	x->sent_hi = x->base;
	x->next_send = x->base + 1;
	if (loop_watch(tloop(t), sock, EPOLLIN, on_xfer, x) < 0) {
		reply_error(t, peer, local, TFTP_EUNDEF, "Server busy, try again");
		log_refused(t, peer, req->filename, "error", "error=\"loop\"");
		free(x);
		goto err_sock;
	}
	x->next = t->xfers;
	if (t->xfers)
		t->xfers->prev = x;
	t->xfers = x;
	t->n_xfers++;
	send_window(x);
	return;

err_sock:
	close(sock);
err_file:
	if (f->fd >= 0)
		close(f->fd);
}

static void on_request(struct tftp *t, const uint8_t *buf, size_t len,
		       const struct sockaddr_in *peer, const struct in_addr *local)
{
	struct tftp_packet p;
	struct bootroot_file f;
	char name[TFTP_FILENAME_MAX + 1];
	uint64_t hash;
	int rc;

	/* Source port 0 or a broadcast/multicast source cannot be answered. */
	if (peer->sin_port == 0 || peer->sin_addr.s_addr == htonl(INADDR_BROADCAST) ||
	    IN_MULTICAST(ntohl(peer->sin_addr.s_addr)))
		return;
	rc = tftp_parse(buf, len, &p);
	/* Only requests are answered on port 69: answering a stray DATA/ACK/ERROR could
	 * start an error ping-pong with another TFTP host. */
	if (p.op != TFTP_RRQ && p.op != TFTP_WRQ)
		return;
	if (p.op == TFTP_WRQ) {
		reply_error(t, peer, local, TFTP_EACCESS,
			    "Access violation: this server is read-only");
		log_refused(t, peer, rc == 0 || rc == -EPROTONOSUPPORT ? p.req.filename : "",
			    "write-refused", NULL);
		return;
	}
	switch (rc) {
	case 0:
		break;
	case -ENAMETOOLONG:
		reply_error(t, peer, local, TFTP_EBADOP, "File name too long");
		log_refused(t, peer, "", "malformed", "error=\"file name too long\"");
		return;
	case -EPROTONOSUPPORT:
		reply_error(t, peer, local, TFTP_EBADOP, "Unsupported transfer mode (use octet)");
		log_refused(t, peer, p.req.filename, "malformed", "error=\"unsupported mode\"");
		return;
	case -E2BIG:
		reply_error(t, peer, local, TFTP_EOPTNEG, "Too many options");
		log_refused(t, peer, p.req.filename, "malformed", "error=\"too many options\"");
		return;
	default:
		reply_error(t, peer, local, TFTP_EBADOP, "Malformed request");
		log_refused(t, peer, p.req.filename, "malformed", NULL);
		return;
	}

	/* A retransmitted RRQ (the client missed our first answer) must not start a second
	 * transfer: the first one resends on its timer. A different request from the same
	 * port (firmware reusing it after an aborted probe) replaces the old transfer. */
	hash = fnv1a(buf, len);
	for (struct xfer *x = t->xfers; x; x = x->next) {
		if (x->peer.sin_addr.s_addr != peer->sin_addr.s_addr ||
		    x->peer.sin_port != peer->sin_port)
			continue;
		if (x->req_hash == hash)
			return;
		xfer_end(x, "superseded", NULL);
		break;
	}
	if (over_cap(t, peer)) {
		log_busy(t, peer, p.req.filename);
		return;
	}

	/* Windows clients (WDS, pxelinux configs written on Windows) use backslashes. */
	memcpy(name, p.req.filename, sizeof(name));
	for (char *c = name; *c; c++) {
		if (*c == '\\')
			*c = '/';
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			reply_error(t, peer, local, TFTP_ENOTFOUND, "File not found");
			log_refused(t, peer, p.req.filename, "not-found",
				    "error=\"control character in name\"");
			return;
		}
	}
	rc = bootroot_open(t->s, name, &f);
	if (rc == -ENOENT) {
		reply_error(t, peer, local, TFTP_ENOTFOUND, "File not found");
		log_refused(t, peer, p.req.filename, "not-found", NULL);
		return;
	}
	if (rc == -EACCES) {
		reply_error(t, peer, local, TFTP_EACCESS, "Access violation");
		log_refused(t, peer, p.req.filename, "access-denied", NULL);
		return;
	}
	if (rc < 0) {
		char extra[64];
		snprintf(extra, sizeof(extra), "error=\"%s\"", strerror(-rc));
		reply_error(t, peer, local, TFTP_EUNDEF, "Cannot open the file");
		log_refused(t, peer, p.req.filename, "error", extra);
		return;
	}
	start_transfer(t, peer, local, &p.req, hash, &f);
}

static void on_listen(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct tftp *t = arg;
	/* One byte more than the largest request we accept, so an oversized one is seen
	 * as oversized (MSG_TRUNC reports the real length). */
	uint8_t buf[TFTP_REQUEST_MAX + 1];

	(void)l;
	(void)events;
	for (int i = 0; i < TFTP_BURST; i++) {
		struct sockaddr_in peer;
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		} ctl;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr m = { .msg_name = &peer,
				    .msg_namelen = sizeof(peer),
				    .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = ctl.buf,
				    .msg_controllen = sizeof(ctl.buf) };
		struct in_addr local = { .s_addr = htonl(INADDR_ANY) };
		ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* EAGAIN, or an ICMP error from an earlier reply */
		}
		if (m.msg_namelen < sizeof(peer) || peer.sin_family != AF_INET)
			continue;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				local = pi.ipi_spec_dst;
			}
		}
		on_request(t, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf), &peer,
			   &local);
	}
}

/* ------------------------------------------------------------------ service */

int tftp_open(struct server *s, struct tftp **out, struct diag *d)
{
	const char *addr = s->cfg->listen[0] ? s->cfg->listen : "0.0.0.0";
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(TFTP_PORT) };
	struct tftp *t;
	int one = 1, rc;

	*out = NULL;
	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1)
		return diag_set(d, -EINVAL, "tftp: listen address \"%s\" is not an IPv4 address",
				addr);
	t = calloc(1, sizeof(*t));
	if (!t)
		return diag_set(d, -ENOMEM, "tftp: out of memory");
	t->s = s;
	t->fd = -1;
	/* one buffer for the largest DATA packet; netascii reads up to blksize source bytes */
	t->pkt = malloc(TFTP_HDR + TFTP_BLKSIZE_MAX);
	t->src = malloc(TFTP_BLKSIZE_MAX);
	if (!t->pkt || !t->src) {
		rc = diag_set(d, -ENOMEM, "tftp: out of memory");
		goto err_free;
	}
	t->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		rc = diag_set(d, -errno, "tftp: cannot create a UDP socket: %s", strerror(errno));
		goto err_free;
	}
	/* IP_PKTINFO: which of our addresses a request came to, so that the transfer's
	 * replies come from it (clients check the server address). */
	if (setsockopt(t->fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0) {
		rc = diag_set(d, -errno, "tftp: setsockopt IP_PKTINFO: %s", strerror(errno));
		goto err_sock;
	}
	udpbuf_grow(t->fd, UDPBUF_RCV);
	if (bind(t->fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		rc = -errno;
		if (rc == -EACCES)
			diag_set(d, rc,
				 "tftp: cannot bind UDP port %d on %s: %s (start chainbootd as "
				 "root; it drops privileges after binding), or set tftp = no",
				 TFTP_PORT, addr, strerror(-rc));
		else if (rc == -EADDRINUSE)
			diag_set(d, rc,
				 "tftp: UDP port %d on %s is in use (another TFTP server, e.g. "
				 "dnsmasq or tftpd-hpa?): stop it, or set tftp = no",
				 TFTP_PORT, addr);
		else
			diag_set(d, rc,
				 "tftp: cannot bind UDP port %d on %s: %s (is the address on "
				 "one of this host's interfaces?)",
				 TFTP_PORT, addr, strerror(-rc));
		goto err_sock;
	}
	*out = t;
	return 0;

err_sock:
	close(t->fd);
err_free:
	free(t->pkt);
	free(t->src);
	free(t);
	return rc;
}

int tftp_start(struct tftp *t)
{
	int rc;

	if (!t->s->loop)
		return -EINVAL;
	/* one timer per transfer: reserved now so that arming one never allocates */
	if ((rc = loop_timer_reserve(t->s->loop, t->s->cfg->tftp_max)) < 0)
		return rc;
	if ((rc = loop_watch(t->s->loop, t->fd, EPOLLIN, on_listen, t)) < 0)
		return rc;
	t->watching = true;
	return 0;
}

void tftp_close(struct tftp *t)
{
	if (!t)
		return;
	for (struct xfer *x = t->xfers, *next; x; x = next) {
		next = x->next; /* xfer_end() unlinks x and frees it */
		xfer_end(x, "shutdown", NULL);
	}
	if (t->watching)
		loop_unwatch(t->s->loop, t->fd);
	if (t->fd >= 0)
		close(t->fd);
	free(t->pkt);
	free(t->src);
	free(t);
}

unsigned tftp_active(const struct tftp *t)
{
	return t ? t->n_xfers : 0;
}
