/* tftpproto: the TFTP wire format (RFC 1350) and option negotiation (RFC 2347 options,
 * 2348 blksize, 2349 timeout/tsize, 7440 windowsize). Pure functions over bytes and
 * length: no sockets, no globals, so unit tests and the fuzzer call them directly. */
#ifndef CB_TFTPPROTO_H
#define CB_TFTPPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TFTP_PORT 69

enum tftp_op {
	TFTP_RRQ = 1,
	TFTP_WRQ = 2,
	TFTP_DATA = 3,
	TFTP_ACK = 4,
	TFTP_ERROR = 5,
	TFTP_OACK = 6, /* RFC 2347 */
};

enum tftp_errcode {
	TFTP_EUNDEF = 0,    /* not defined, see message */
	TFTP_ENOTFOUND = 1, /* file not found */
	TFTP_EACCESS = 2,   /* access violation */
	TFTP_ENOSPACE = 3,
	TFTP_EBADOP = 4, /* illegal TFTP operation */
	TFTP_EBADID = 5, /* unknown transfer ID */
	TFTP_EEXISTS = 6,
	TFTP_ENOUSER = 7,
	TFTP_EOPTNEG = 8, /* RFC 2347: option negotiation refused (EDK2 sends it to abort) */
};

enum tftp_mode {
	TFTP_MODE_OCTET = 0,
	TFTP_MODE_NETASCII = 1,
};

#define TFTP_HDR	     4	   /* opcode + block number / error code */
#define TFTP_BLKSIZE_DEFAULT 512   /* RFC 1350 */
#define TFTP_BLKSIZE_MIN     8	   /* RFC 2348 */
#define TFTP_BLKSIZE_MAX     65464 /* RFC 2348's upper bound */
#define TFTP_TIMEOUT_MIN     1	   /* RFC 2349, seconds */
#define TFTP_TIMEOUT_MAX     255
#define TFTP_WINDOW_MIN	     1 /* RFC 7440 */
#define TFTP_WINDOW_MAX	     65535
#define TFTP_FILENAME_MAX    255  /* longer names are refused, not truncated */
#define TFTP_REQUEST_MAX     1024 /* RFC 2347 says 512; some clients pad, so allow more */
#define TFTP_OPTIONS_MAX     16	  /* real clients send at most 5 */
#define TFTP_ERRMSG_MAX	     255  /* what we keep of a peer's error text */
#define TFTP_OPTVALUE_MAX    20	  /* digits we keep of an option value (UINT64_MAX has 20) */

/* Options as found in an RRQ/WRQ or an OACK. has_* = present with a well-formed value
 * (digits only); the value is saturated at UINT64_MAX, never wrapped. */
struct tftp_options {
	bool has_blksize, has_tsize, has_timeout, has_windowsize;
	uint64_t blksize, tsize, timeout, windowsize;
	unsigned n_seen;    /* options in the packet, known or not */
	unsigned n_unknown; /* names we do not know (RFC 2347: ignored, not acknowledged) */
	unsigned n_invalid; /* known names with a malformed value, or repeated: ignored */
};

struct tftp_request {
	char filename[TFTP_FILENAME_MAX + 1]; /* NUL-terminated copy; may hold any byte but NUL */
	enum tftp_mode mode;
	struct tftp_options opts;
};

/* One parsed packet. Pointers point into the caller's buffer. */
struct tftp_packet {
	uint16_t op;
	uint16_t block;			     /* DATA, ACK */
	uint16_t error_code;		     /* ERROR */
	char error_msg[TFTP_ERRMSG_MAX + 1]; /* ERROR: printable ASCII copy, others as '?' */
	const uint8_t *data;		     /* DATA payload */
	size_t data_len;
	struct tftp_request req;  /* RRQ, WRQ */
	struct tftp_options oack; /* OACK */
};

/* Parse one datagram. Returns 0, or:
 *   -EBADMSG          truncated or malformed (missing NUL, empty file name, option
 *                     without a value, request over TFTP_REQUEST_MAX)
 *   -EOPNOTSUPP       unknown opcode
 *   -ENAMETOOLONG     RRQ/WRQ file name over TFTP_FILENAME_MAX (filename left empty)
 *   -EPROTONOSUPPORT  RRQ/WRQ mode other than octet/netascii (e.g. RFC 1350's "mail");
 *                     filename is filled
 *   -E2BIG            more than TFTP_OPTIONS_MAX options
 * out->op is set whenever the first two bytes were there, so a caller can tell a
 * malformed request (answer it) from a stray packet (drop it). */
int tftp_parse(const uint8_t *buf, size_t len, struct tftp_packet *out);

/* What the server is willing to do for one transfer. */
struct tftp_limits {
	uint32_t max_blksize;	 /* e.g. path MTU - 32, at most TFTP_BLKSIZE_MAX */
	uint32_t max_windowsize; /* server cap, at most TFTP_WINDOW_MAX */
	int64_t file_size;	 /* for tsize; -1 = unknown (netascii): tsize not acknowledged */
	bool netascii;		 /* windowsize is not acknowledged (blocks are produced in order) */
};

/* The agreed parameters; ack_* says which options go into the OACK. */
struct tftp_negotiation {
	bool oack; /* at least one option acknowledged: send OACK and wait for ACK 0 */
	bool ack_blksize, ack_tsize, ack_timeout, ack_windowsize;
	uint32_t blksize;    /* TFTP_BLKSIZE_DEFAULT unless acknowledged */
	uint32_t timeout;    /* seconds; 0 = not negotiated (server's own back-off) */
	uint32_t windowsize; /* 1 unless acknowledged */
	uint64_t tsize;
};

/* Negotiate a read request's options (RFC 2347: the server acknowledges the options it
 * accepts, possibly with a smaller blksize/windowsize, and silently drops the rest).
 * blksize below 8 is ignored, above the limit clamped; timeout outside 1..255 ignored
 * (RFC 2349: the client's value is not ours to change); windowsize 0 ignored, above the
 * limit clamped; tsize answered with the file size when it is known. */
void tftp_negotiate(const struct tftp_options *req, const struct tftp_limits *lim,
		    struct tftp_negotiation *out);

/* Builders: write into buf (capacity cap) and return the length, or -ENOSPC. */
ssize_t tftp_build_oack(uint8_t *buf, size_t cap, const struct tftp_negotiation *n);
/* ERROR with a fixed server message (never a path); the message is cut to fit. */
ssize_t tftp_build_error(uint8_t *buf, size_t cap, uint16_t code, const char *msg);
ssize_t tftp_build_ack(uint8_t *buf, size_t cap, uint16_t block);
/* DATA header only: the caller reads the payload straight into buf + TFTP_HDR. */
ssize_t tftp_build_data_hdr(uint8_t *buf, size_t cap, uint16_t block);
/* RRQ/WRQ for clients and tests: names[i]/values[i] are added as options verbatim. */
ssize_t tftp_build_request(uint8_t *buf, size_t cap, uint16_t op, const char *filename,
			   const char *mode, const char *const *names, const char *const *values,
			   size_t n_opts);

/* Which block an ACK acknowledges. Block numbers on the wire are 16 bits and roll over
 * to 0 after 65535 (what iPXE, EDK2 and tftp-hpa's default expect), so the server keeps
 * 64-bit numbers: base = last block acknowledged (-1 while an OACK awaits ACK 0),
 * sent_hi = highest block sent. Returns the block in (base, sent_hi] whose low 16 bits
 * are wire, or -1 for a duplicate, stale or future ACK (ignored: RFC 1350's Sorcerer's
 * Apprentice fix is never to resend on a duplicate ACK). Needs sent_hi - base < 65536. */
int64_t tftp_ack_block(int64_t base, int64_t sent_hi, uint16_t wire);

/* netascii (RFC 1350 via RFC 764): LF becomes CR LF, CR becomes CR NUL. Encodes src into
 * dst (at most dst_cap bytes). *carry is the second byte of a pair cut at a block end
 * (-1 = none): it is written first and updated. *consumed = source bytes used. Returns
 * bytes written. */
size_t tftp_netascii_encode(const uint8_t *src, size_t src_len, size_t *consumed, uint8_t *dst,
			    size_t dst_cap, int *carry);

/* Name of an opcode / error code for logs ("RRQ", "file-not-found"...). */
const char *tftp_op_name(uint16_t op);

#endif
