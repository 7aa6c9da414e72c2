/* tftpproto: parse and build TFTP packets (RFC 1350, 2347, 2348, 2349, 7440) and
 * negotiate options. Every input byte is untrusted (it comes from any host that can
 * reach UDP port 69): all reads go through a bounded cursor, strings are found with
 * memchr and copied with an explicit NUL before any str* function sees them. */
#include "tftpproto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A bounded cursor over the packet (BusyBox udhcp style): every read checks remaining. */
struct cur {
	const uint8_t *p;
	size_t len;
};

/* Next NUL-terminated field: *s and *slen, without the NUL. -EBADMSG if no NUL before the
 * end (a truncated packet). */
static int cur_string(struct cur *c, const uint8_t **s, size_t *slen)
{
	const uint8_t *nul = memchr(c->p, 0, c->len);

	if (!nul)
		return -EBADMSG;
	*s = c->p;
	*slen = (size_t)(nul - c->p);
	c->p = nul + 1;
	c->len -= *slen + 1;
	return 0;
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Case-insensitive compare of counted wire bytes with a lower-case constant
 * (RFC 2347: option names and RFC 1350: modes are case-insensitive). */
static bool word_is(const uint8_t *s, size_t len, const char *lower)
{
	size_t n = strlen(lower);

	if (len != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if (c != (uint8_t)lower[i])
			return false;
	}
	return true;
}

/* Decimal digits only (no sign, no space: strtoul would accept both), saturating at
 * UINT64_MAX so "99999999999999999999999" reads as huge, never as a wrapped small number. */
static int parse_num(const uint8_t *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned d;
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			v = UINT64_MAX;
		else
			v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* name/value pairs up to the end of the packet (RRQ/WRQ after the mode, or OACK). */
static int parse_options(struct cur *c, struct tftp_options *o)
{
	static const char *const names[] = { "blksize", "tsize", "timeout", "windowsize" };
	bool *has[] = { &o->has_blksize, &o->has_tsize, &o->has_timeout, &o->has_windowsize };
	uint64_t *val[] = { &o->blksize, &o->tsize, &o->timeout, &o->windowsize };

	while (c->len > 0) {
		const uint8_t *name, *value;
		size_t nlen, vlen, k;
		uint64_t v;
		int rc;

		if ((rc = cur_string(c, &name, &nlen)) < 0)
			return rc;
		/* Some PXE ROMs pad the request with NUL bytes after the mode: an empty
		 * name is padding, not an option. */
		if (nlen == 0)
			continue;
		if ((rc = cur_string(c, &value, &vlen)) < 0)
			return rc; /* a name without a value */
		if (++o->n_seen > TFTP_OPTIONS_MAX)
			return -E2BIG;
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (word_is(name, nlen, names[k]))
				break;
		if (k == sizeof(names) / sizeof(names[0])) {
			o->n_unknown++; /* e.g. iPXE's "multicast" (RFC 2090): ignored */
			continue;
		}
		/* First occurrence wins; a repeat or a malformed value is dropped, so the
		 * option is simply not acknowledged (RFC 2347 lets a server ignore it). */
		if (*has[k] || parse_num(value, vlen, &v) < 0) {
			o->n_invalid++;
			continue;
		}
		*has[k] = true;
		*val[k] = v;
	}
	return 0;
}

static int parse_request(struct cur *c, struct tftp_request *r)
{
	const uint8_t *s;
	size_t len;
	int rc;

	if ((rc = cur_string(c, &s, &len)) < 0)
		return rc;
	if (len == 0)
		return -EBADMSG;
	if (len > TFTP_FILENAME_MAX)
		return -ENAMETOOLONG;
	memcpy(r->filename, s, len);
	r->filename[len] = '\0';
	if ((rc = cur_string(c, &s, &len)) < 0)
		return rc;
	if (word_is(s, len, "octet"))
		r->mode = TFTP_MODE_OCTET;
	else if (word_is(s, len, "netascii"))
		r->mode = TFTP_MODE_NETASCII;
	else
		return -EPROTONOSUPPORT; /* "mail" (obsolete) or junk */
	return parse_options(c, &r->opts);
}

int tftp_parse(const uint8_t *buf, size_t len, struct tftp_packet *out)
{
	struct cur c;

	memset(out, 0, sizeof(*out));
	if (len < 2)
		return -EBADMSG;
	out->op = (uint16_t)get16(buf);
	c.p = buf + 2;
	c.len = len - 2;
	switch (out->op) {
	case TFTP_RRQ:
	case TFTP_WRQ:
		if (len > TFTP_REQUEST_MAX)
			return -EBADMSG;
		return parse_request(&c, &out->req);
	case TFTP_DATA:
	case TFTP_ACK:
		if (c.len < 2)
			return -EBADMSG;
		out->block = (uint16_t)get16(c.p);
		/* ACK is exactly 4 bytes; trailing bytes some stacks add are harmless. */
		out->data = c.p + 2;
		out->data_len = c.len - 2;
		if (out->op == TFTP_ACK) {
			out->data = NULL;
			out->data_len = 0;
		}
		return 0;
	case TFTP_ERROR: {
		const uint8_t *msg, *nul;
		size_t mlen;

		if (c.len < 2)
			return -EBADMSG;
		out->error_code = (uint16_t)get16(c.p);
		msg = c.p + 2;
		mlen = c.len - 2;
		/* The message should end in NUL; some clients leave it out. Take what is
		 * there, keep only printable ASCII: it goes into our log. */
		nul = memchr(msg, 0, mlen);
		if (nul)
			mlen = (size_t)(nul - msg);
		if (mlen > TFTP_ERRMSG_MAX)
			mlen = TFTP_ERRMSG_MAX;
		for (size_t i = 0; i < mlen; i++)
			out->error_msg[i] = (msg[i] >= 0x20 && msg[i] < 0x7f) ? (char)msg[i] : '?';
		out->error_msg[mlen] = '\0';
		return 0;
	}
	case TFTP_OACK:
		if (len > TFTP_REQUEST_MAX)
			return -EBADMSG;
		return parse_options(&c, &out->oack);
	default:
		return -EOPNOTSUPP;
	}
}

void tftp_negotiate(const struct tftp_options *req, const struct tftp_limits *lim,
		    struct tftp_negotiation *out)
{
	uint64_t maxblk = lim->max_blksize, maxwin = lim->max_windowsize;

	memset(out, 0, sizeof(*out));
	out->blksize = TFTP_BLKSIZE_DEFAULT;
	out->windowsize = 1;
	if (maxblk > TFTP_BLKSIZE_MAX)
		maxblk = TFTP_BLKSIZE_MAX;
	if (maxblk < TFTP_BLKSIZE_MIN)
		maxblk = TFTP_BLKSIZE_MIN;
	if (maxwin > TFTP_WINDOW_MAX)
		maxwin = TFTP_WINDOW_MAX;
	if (maxwin < TFTP_WINDOW_MIN)
		maxwin = TFTP_WINDOW_MIN;

	/* RFC 2348: the server may answer a smaller blksize than asked; values below
	 * 8 are outside the RFC and dropped (the transfer then uses 512). */
	if (req->has_blksize && req->blksize >= TFTP_BLKSIZE_MIN) {
		out->ack_blksize = true;
		out->blksize = (uint32_t)(req->blksize < maxblk ? req->blksize : maxblk);
	}
	/* RFC 2349: the timeout is the client's; the server acknowledges it as is or not
	 * at all. */
	if (req->has_timeout && req->timeout >= TFTP_TIMEOUT_MIN &&
	    req->timeout <= TFTP_TIMEOUT_MAX) {
		out->ack_timeout = true;
		out->timeout = (uint32_t)req->timeout;
	}
	/* RFC 2349: in a read request tsize is 0 and the OACK carries the size. Firmware
	 * (EDK2/OVMF, Intel PXE) sends a "tsize" probe, reads the size from the OACK and
	 * aborts with ERROR 8: the answer must be the exact size. */
	if (req->has_tsize && lim->file_size >= 0) {
		out->ack_tsize = true;
		out->tsize = (uint64_t)lim->file_size;
	}
	/* RFC 7440: the server may answer a smaller window. netascii blocks depend on the
	 * previous one, so netascii transfers keep a window of 1. */
	if (req->has_windowsize && req->windowsize >= TFTP_WINDOW_MIN && !lim->netascii) {
		out->ack_windowsize = true;
		out->windowsize = (uint32_t)(req->windowsize < maxwin ? req->windowsize : maxwin);
	}
	out->oack = out->ack_blksize || out->ack_timeout || out->ack_tsize || out->ack_windowsize;
}

/* Append "name\0value\0"; -ENOSPC if it does not fit. */
static int put_option(uint8_t *buf, size_t cap, size_t *at, const char *name, uint64_t v)
{
	char num[24];
	size_t nlen = strlen(name), vlen;

	vlen = (size_t)snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	if (*at > cap || nlen + 1 + vlen + 1 > cap - *at)
		return -ENOSPC;
	memcpy(buf + *at, name, nlen + 1);
	*at += nlen + 1;
	memcpy(buf + *at, num, vlen + 1);
	*at += vlen + 1;
	return 0;
}

ssize_t tftp_build_oack(uint8_t *buf, size_t cap, const struct tftp_negotiation *n)
{
	size_t at = 2;

	if (cap < 2)
		return -ENOSPC;
	put16(buf, TFTP_OACK);
	if ((n->ack_blksize && put_option(buf, cap, &at, "blksize", n->blksize)) ||
	    (n->ack_tsize && put_option(buf, cap, &at, "tsize", n->tsize)) ||
	    (n->ack_timeout && put_option(buf, cap, &at, "timeout", n->timeout)) ||
	    (n->ack_windowsize && put_option(buf, cap, &at, "windowsize", n->windowsize)))
		return -ENOSPC;
	return (ssize_t)at;
}

ssize_t tftp_build_error(uint8_t *buf, size_t cap, uint16_t code, const char *msg)
{
	size_t mlen = strlen(msg);

	if (cap < TFTP_HDR + 1)
		return -ENOSPC;
	if (mlen > cap - TFTP_HDR - 1)
		mlen = cap - TFTP_HDR - 1;
	if (mlen > TFTP_ERRMSG_MAX)
		mlen = TFTP_ERRMSG_MAX;
	put16(buf, TFTP_ERROR);
	put16(buf + 2, code);
	memcpy(buf + TFTP_HDR, msg, mlen);
	buf[TFTP_HDR + mlen] = 0;
	return (ssize_t)(TFTP_HDR + mlen + 1);
}

ssize_t tftp_build_ack(uint8_t *buf, size_t cap, uint16_t block)
{
	if (cap < TFTP_HDR)
		return -ENOSPC;
	put16(buf, TFTP_ACK);
	put16(buf + 2, block);
	return TFTP_HDR;
}

ssize_t tftp_build_data_hdr(uint8_t *buf, size_t cap, uint16_t block)
{
	if (cap < TFTP_HDR)
		return -ENOSPC;
	put16(buf, TFTP_DATA);
	put16(buf + 2, block);
	return TFTP_HDR;
}

static int put_string(uint8_t *buf, size_t cap, size_t *at, const char *s)
{
	size_t n = strlen(s) + 1;

	if (*at > cap || n > cap - *at)
		return -ENOSPC;
	memcpy(buf + *at, s, n);
	*at += n;
	return 0;
}

ssize_t tftp_build_request(uint8_t *buf, size_t cap, uint16_t op, const char *filename,
			   const char *mode, const char *const *names, const char *const *values,
			   size_t n_opts)
{
	size_t at = 2;

	if (cap < 2)
		return -ENOSPC;
	put16(buf, op);
	if (put_string(buf, cap, &at, filename) || put_string(buf, cap, &at, mode))
		return -ENOSPC;
	for (size_t i = 0; i < n_opts; i++)
		if (put_string(buf, cap, &at, names[i]) || put_string(buf, cap, &at, values[i]))
			return -ENOSPC;
	return (ssize_t)at;
}

int64_t tftp_ack_block(int64_t base, int64_t sent_hi, uint16_t wire)
{
	int64_t first = base + 1, b;
	uint16_t d;

	if (base < -1 || sent_hi < first)
		return -1;
	d = (uint16_t)(wire - (uint16_t)(uint64_t)first);
	b = first + d;
	return b <= sent_hi ? b : -1;
}

size_t tftp_netascii_encode(const uint8_t *src, size_t src_len, size_t *consumed, uint8_t *dst,
			    size_t dst_cap, int *carry)
{
	size_t i = 0, o = 0;

	if (*carry >= 0 && dst_cap > 0) {
		dst[o++] = (uint8_t)*carry;
		*carry = -1;
	}
	while (i < src_len && o < dst_cap && *carry < 0) {
		uint8_t c = src[i++], second;

		if (c == '\n')
			second = '\n';
		else if (c == '\r')
			second = '\0';
		else {
			dst[o++] = c;
			continue;
		}
		dst[o++] = '\r';
		if (o < dst_cap)
			dst[o++] = second;
		else
			*carry = second; /* the pair straddles the block end */
	}
	*consumed = i;
	return o;
}

const char *tftp_op_name(uint16_t op)
{
	switch (op) {
	case TFTP_RRQ:
		return "RRQ";
	case TFTP_WRQ:
		return "WRQ";
	case TFTP_DATA:
		return "DATA";
	case TFTP_ACK:
		return "ACK";
	case TFTP_ERROR:
		return "ERROR";
	case TFTP_OACK:
		return "OACK";
	default:
		return "unknown";
	}
}
