/* test_tftpproto: TFTP packet parsing (valid, malformed and every truncated prefix, each
 * placed right before a PROT_NONE page), option negotiation row by row (RFC 2347, 2348,
 * 2349, 7440), builders, ACK block numbers across the 16-bit rollover, and netascii. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "testdata.h"
#include "tftpproto.h"

/* Parse a copy that ends exactly at a guard page: a one-byte over-read faults. */
static int parse_guarded(const void *data, size_t len, struct tftp_packet *p)
{
	struct guarded g;
	int rc;

	if (guard_copy(&g, data, len) < 0) {
		perror("guard_copy");
		exit(1);
	}
	rc = tftp_parse(g.p, len, p);
	guard_free(&g);
	return rc;
}

/* Packets are written as C strings with embedded \0; sizeof - 1 drops the final NUL
 * the compiler adds. */
#define PKT(s) (const uint8_t *)(s), sizeof(s) - 1

static void test_requests(void)
{
	struct tftp_packet p;
	int rc;

	rc = parse_guarded(PKT("\0\1pxelinux.0\0octet\0"), &p);
	ok(rc == 0 && p.op == TFTP_RRQ && !strcmp(p.req.filename, "pxelinux.0") &&
		   p.req.mode == TFTP_MODE_OCTET && p.req.opts.n_seen == 0,
	   "plain RRQ (rc %d)", rc);
	rc = parse_guarded(PKT("\0\2up.bin\0OcTeT\0"), &p);
	ok(rc == 0 && p.op == TFTP_WRQ && p.req.mode == TFTP_MODE_OCTET,
	   "WRQ, mode is case-insensitive");
	rc = parse_guarded(PKT("\0\1a\0NETASCII\0"), &p);
	ok(rc == 0 && p.req.mode == TFTP_MODE_NETASCII, "netascii mode");
	rc = parse_guarded(PKT("\0\1a.txt\0mail\0"), &p);
	ok(rc == -EPROTONOSUPPORT && !strcmp(p.req.filename, "a.txt"),
	   "RFC 1350 mail mode refused, file name kept for the log (rc %d)", rc);
	rc = parse_guarded(PKT("\0\1a\0octets\0"), &p);
	ok(rc == -EPROTONOSUPPORT, "\"octets\" is not \"octet\"");

	/* iPXE: blksize 1432 + tsize; EDK2: blksize 1468, windowsize 4, tsize */
	rc = parse_guarded(
		PKT("\0\1snponly.efi\0octet\0blksize\0001468\0tsize\0000\0windowsize\0004\0"), &p);
	ok(rc == 0 && p.req.opts.has_blksize && p.req.opts.blksize == 1468 &&
		   p.req.opts.has_tsize && p.req.opts.tsize == 0 && p.req.opts.has_windowsize &&
		   p.req.opts.windowsize == 4 && !p.req.opts.has_timeout && p.req.opts.n_seen == 3,
	   "EDK2-style options");
	rc = parse_guarded(PKT("\0\1f\0octet\0BlkSize\000512\0TIMEOUT\0003\0"), &p);
	ok(rc == 0 && p.req.opts.blksize == 512 && p.req.opts.has_timeout &&
		   p.req.opts.timeout == 3,
	   "option names are case-insensitive (RFC 2347)");
	rc = parse_guarded(PKT("\0\1f\0octet\0multicast\0\0blksize\0001432\0"), &p);
	ok(rc == 0 && p.req.opts.n_unknown == 1 && p.req.opts.blksize == 1432,
	   "unknown option (RFC 2090 multicast, empty value) ignored, the rest read");
	rc = parse_guarded(
		PKT("\0\1f\0octet\0blksize\0abc\0timeout\0-1\0windowsize\0 4\0tsize\0+0\0"), &p);
	ok(rc == 0 && !p.req.opts.has_blksize && !p.req.opts.has_timeout &&
		   !p.req.opts.has_windowsize && !p.req.opts.has_tsize && p.req.opts.n_invalid == 4,
	   "non-digit values (junk, sign, space) make the option invalid, not the packet");
	rc = parse_guarded(PKT("\0\1f\0octet\0blksize\0\0"), &p);
	ok(rc == 0 && !p.req.opts.has_blksize && p.req.opts.n_invalid == 1,
	   "empty value is invalid");
	rc = parse_guarded(PKT("\0\1f\0octet\0blksize\0001024\0blksize\0008\0"), &p);
	ok(rc == 0 && p.req.opts.blksize == 1024 && p.req.opts.n_invalid == 1,
	   "a repeated option: first wins");
	rc = parse_guarded(PKT("\0\1f\0octet\0blksize\00099999999999999999999999999\0"), &p);
	ok(rc == 0 && p.req.opts.has_blksize && p.req.opts.blksize == UINT64_MAX,
	   "a huge value saturates instead of wrapping");
	rc = parse_guarded(PKT("\0\1f\0octet\0tsize\00018446744073709551615\0"), &p);
	ok(rc == 0 && p.req.opts.tsize == UINT64_MAX, "UINT64_MAX exactly");
	rc = parse_guarded(PKT("\0\1f\0octet\0\0\0\0"), &p);
	ok(rc == 0 && p.req.opts.n_seen == 0, "NUL padding after the mode is tolerated");

	/* malformed */
	ok(parse_guarded(PKT("\0\1f"), &p) == -EBADMSG && p.op == TFTP_RRQ,
	   "file name without NUL: malformed, op still known");
	ok(parse_guarded(PKT("\0\1\0octet\0"), &p) == -EBADMSG, "empty file name");
	ok(parse_guarded(PKT("\0\1f\0"), &p) == -EBADMSG, "no mode");
	ok(parse_guarded(PKT("\0\1f\0oct"), &p) == -EBADMSG, "mode without NUL");
	ok(parse_guarded(PKT("\0\1f\0octet\0blksize\0"), &p) == -EBADMSG, "option without value");
	ok(parse_guarded(PKT("\0\1f\0octet\0blksize\0001468"), &p) == -EBADMSG,
	   "value without NUL");
	ok(parse_guarded(PKT("\0\1f\0octet\0junk"), &p) == -EBADMSG, "trailing bytes without NUL");
	ok(parse_guarded(PKT("\0\1"), &p) == -EBADMSG, "opcode only");
	ok(parse_guarded(PKT("\0"), &p) == -EBADMSG && p.op == 0, "one byte");
	ok(parse_guarded("", 0, &p) == -EBADMSG, "empty datagram");
	ok(parse_guarded(PKT("\0\11x\0"), &p) == -EOPNOTSUPP, "unknown opcode 9");
	ok(parse_guarded(PKT("\xff\xff"), &p) == -EOPNOTSUPP, "opcode 65535");
}

static void test_request_limits(void)
{
	uint8_t buf[TFTP_REQUEST_MAX + 64];
	struct tftp_packet p;
	size_t n;
	int rc;

	/* file name: 255 bytes fit, 256 do not */
	memset(buf, 0, sizeof(buf));
	buf[1] = TFTP_RRQ;
	memset(buf + 2, 'a', TFTP_FILENAME_MAX);
	memcpy(buf + 2 + TFTP_FILENAME_MAX, "\0octet\0", 7);
	rc = parse_guarded(buf, 2 + TFTP_FILENAME_MAX + 7, &p);
	ok(rc == 0 && strlen(p.req.filename) == TFTP_FILENAME_MAX, "255-byte file name (rc %d)",
	   rc);
	memset(buf + 2, 'a', TFTP_FILENAME_MAX + 1);
	memcpy(buf + 3 + TFTP_FILENAME_MAX, "\0octet\0", 7);
	rc = parse_guarded(buf, 3 + TFTP_FILENAME_MAX + 7, &p);
	ok(rc == -ENAMETOOLONG && p.req.filename[0] == '\0', "256-byte file name refused (rc %d)",
	   rc);

	/* 16 options are accepted, the 17th is one too many */
	n = 2;
	memcpy(buf + n, "f\0octet\0", 8);
	n += 8;
	for (int i = 0; i < TFTP_OPTIONS_MAX; i++) {
		memcpy(buf + n, "x\0001\0", 4);
		n += 4;
	}
	rc = parse_guarded(buf, n, &p);
	ok(rc == 0 && p.req.opts.n_seen == TFTP_OPTIONS_MAX &&
		   p.req.opts.n_unknown == TFTP_OPTIONS_MAX,
	   "16 options (rc %d)", rc);
	memcpy(buf + n, "x\0001\0", 4);
	ok(parse_guarded(buf, n + 4, &p) == -E2BIG, "17 options: too many");

	/* a request over TFTP_REQUEST_MAX, well-formed otherwise */
	memset(buf, 0, sizeof(buf));
	buf[1] = TFTP_RRQ;
	memcpy(buf + 2, "f\0octet\0", 8);
	ok(parse_guarded(buf, TFTP_REQUEST_MAX, &p) == 0,
	   "request of exactly %d bytes (NUL padding)", TFTP_REQUEST_MAX);
	ok(parse_guarded(buf, TFTP_REQUEST_MAX + 1, &p) == -EBADMSG, "request over %d bytes",
	   TFTP_REQUEST_MAX);
}

static void test_other_packets(void)
{
	struct tftp_packet p;
	uint8_t big[TFTP_HDR + 600];
	int rc;

	rc = parse_guarded(PKT("\0\4\0\0"), &p);
	ok(rc == 0 && p.op == TFTP_ACK && p.block == 0, "ACK 0");
	rc = parse_guarded(PKT("\0\4\xff\xfe"), &p);
	ok(rc == 0 && p.block == 65534, "ACK 65534");
	ok(parse_guarded(PKT("\0\4\0"), &p) == -EBADMSG, "ACK of 3 bytes");
	{
		/* p.data points into the packet: compare before the guarded copy goes */
		struct guarded g;
		if (guard_copy(&g, (const uint8_t *)"\0\3\0\1abc", 7) == 0) {
			rc = tftp_parse(g.p, 7, &p);
			ok(rc == 0 && p.op == TFTP_DATA && p.block == 1 && p.data_len == 3 &&
				   p.data == g.p + 4 && !memcmp(p.data, "abc", 3),
			   "DATA 1 with 3 bytes");
			guard_free(&g);
		}
	}
	rc = parse_guarded(PKT("\0\3\0\7"), &p);
	ok(rc == 0 && p.data_len == 0, "empty DATA (final block of a multiple of blksize)");
	rc = parse_guarded(PKT("\0\5\0\10User aborted the download\0"), &p);
	ok(rc == 0 && p.op == TFTP_ERROR && p.error_code == 8 &&
		   !strcmp(p.error_msg, "User aborted the download"),
	   "EDK2's ERROR 8");
	rc = parse_guarded(PKT("\0\5\0\1no nul"), &p);
	ok(rc == 0 && !strcmp(p.error_msg, "no nul"), "ERROR without NUL: message taken as is");
	rc = parse_guarded(PKT("\0\5\0\0a\x1b[2Jb\xff\0"), &p);
	ok(rc == 0 && !strcmp(p.error_msg, "a?[2Jb?"),
	   "ERROR message: control and 8-bit bytes replaced");
	ok(parse_guarded(PKT("\0\5\0"), &p) == -EBADMSG, "ERROR of 3 bytes");
	memset(big, 'x', sizeof(big));
	big[0] = 0;
	big[1] = TFTP_ERROR;
	rc = parse_guarded(big, sizeof(big), &p);
	ok(rc == 0 && strlen(p.error_msg) == TFTP_ERRMSG_MAX, "long ERROR message cut to %d",
	   TFTP_ERRMSG_MAX);
	rc = parse_guarded(PKT("\0\6blksize\0001432\0tsize\0004096\0"), &p);
	ok(rc == 0 && p.op == TFTP_OACK && p.oack.blksize == 1432 && p.oack.tsize == 4096, "OACK");
	ok(parse_guarded(PKT("\0\6blksize\0"), &p) == -EBADMSG, "OACK option without value");
}

/* Every prefix of valid packets, guarded: no over-read, and a prefix that cuts a field
 * is never taken for a complete request. */
static void test_truncations(void)
{
	static const struct {
		const uint8_t *p;
		size_t len;
	} pk[] = {
		{ PKT("\0\1snponly.efi\0octet\0blksize\0001468\0tsize\0000\0windowsize\0004\0") },
		{ PKT("\0\1f\0netascii\0timeout\0005\0multicast\0\0") },
		{ PKT("\0\2x\0octet\0") },
		{ PKT("\0\5\0\10User aborted the download\0") },
		{ PKT("\0\6blksize\0001432\0tsize\0004096\0") },
		{ PKT("\0\3\0\1data") },
		{ PKT("\0\4\0\1") },
	};
	unsigned crashes_would_show = 0, wrong = 0;

	for (size_t i = 0; i < sizeof(pk) / sizeof(pk[0]); i++) {
		for (size_t n = 0; n <= pk[i].len; n++) {
			struct tftp_packet p;
			int rc = parse_guarded(pk[i].p, n, &p);
			uint16_t op = n >= 2 ? (uint16_t)(pk[i].p[0] << 8 | pk[i].p[1]) : 0;
			/* a request or OACK prefix is complete only where it ends in a NUL that
			 * closes a value (or the mode) */
			if ((op == TFTP_RRQ || op == TFTP_WRQ) && n < pk[i].len && rc == 0 &&
			    pk[i].p[n - 1] != '\0')
				wrong++;
			if (n == pk[i].len && rc != 0)
				wrong++;
		}
		crashes_would_show++;
	}
	ok(wrong == 0, "every prefix of %u packets parsed without over-read; %u wrong results",
	   crashes_would_show, wrong);
}

struct neg_row {
	const char *what;
	const uint8_t *pkt;
	size_t len;
	uint32_t max_blk;
	uint32_t max_win;
	int64_t size;
	bool netascii;
	bool oack;
	uint32_t blksize, windowsize, timeout;
	int tsize; /* -1 not acknowledged */
};

static void test_negotiation(void)
{
	static const struct neg_row rows[] = {
		{ "no options: RFC 1350 transfer", PKT("\0\1f\0octet\0"), 65464, 64, 100, false,
		  false, 512, 1, 0, -1 },
		{ "iPXE: blksize 1432 + tsize", PKT("\0\1f\0octet\0blksize\0001432\0tsize\0000\0"),
		  1468, 64, 5000, false, true, 1432, 1, 0, 5000 },
		{ "EDK2: blksize 1468, windowsize 4, tsize",
		  PKT("\0\1f\0octet\0blksize\0001468\0windowsize\0004\0tsize\0000\0"), 1468, 64, 7,
		  false, true, 1468, 4, 0, 7 },
		{ "blksize clamped to the path MTU", PKT("\0\1f\0octet\0blksize\0008192\0"), 1468,
		  64, 1, false, true, 1468, 1, 0, -1 },
		{ "blksize 65464 on loopback", PKT("\0\1f\0octet\0blksize\00065464\0"), 65504, 64,
		  1, false, true, 65464, 1, 0, -1 },
		{ "blksize 65465 clamped to 65464", PKT("\0\1f\0octet\0blksize\00065465\0"), 65504,
		  64, 1, false, true, 65464, 1, 0, -1 },
		{ "huge blksize clamped", PKT("\0\1f\0octet\0blksize\0009999999999999999999999\0"),
		  65504, 64, 1, false, true, 65464, 1, 0, -1 },
		{ "blksize 8 (RFC 2348 minimum)", PKT("\0\1f\0octet\0blksize\0008\0"), 1468, 64, 1,
		  false, true, 8, 1, 0, -1 },
		{ "blksize 7 ignored: no OACK", PKT("\0\1f\0octet\0blksize\0007\0"), 1468, 64, 1,
		  false, false, 512, 1, 0, -1 },
		{ "blksize 0 ignored", PKT("\0\1f\0octet\0blksize\0000\0"), 1468, 64, 1, false,
		  false, 512, 1, 0, -1 },
		{ "server limit below 8 taken as 8", PKT("\0\1f\0octet\0blksize\0001468\0"), 3, 64,
		  1, false, true, 8, 1, 0, -1 },
		{ "timeout 1", PKT("\0\1f\0octet\0timeout\0001\0"), 1468, 64, 1, false, true, 512,
		  1, 1, -1 },
		{ "timeout 255", PKT("\0\1f\0octet\0timeout\000255\0"), 1468, 64, 1, false, true,
		  512, 1, 255, -1 },
		{ "timeout 0 not acknowledged", PKT("\0\1f\0octet\0timeout\0000\0"), 1468, 64, 1,
		  false, false, 512, 1, 0, -1 },
		{ "timeout 256 not acknowledged (never changed)",
		  PKT("\0\1f\0octet\0timeout\000256\0"), 1468, 64, 1, false, false, 512, 1, 0, -1 },
		{ "tsize of an empty file", PKT("\0\1f\0octet\0tsize\0000\0"), 1468, 64, 0, false,
		  true, 512, 1, 0, 0 },
		{ "tsize: client value ignored, size answered", PKT("\0\1f\0octet\0tsize\000123\0"),
		  1468, 64, 99, false, true, 512, 1, 0, 99 },
		{ "tsize unknown (netascii): not acknowledged",
		  PKT("\0\1f\0netascii\0tsize\0000\0"), 1468, 64, -1, true, false, 512, 1, 0, -1 },
		{ "windowsize 1", PKT("\0\1f\0octet\0windowsize\0001\0"), 1468, 64, 1, false, true,
		  512, 1, 0, -1 },
		{ "windowsize 64 (cap)", PKT("\0\1f\0octet\0windowsize\00064\0"), 1468, 64, 1,
		  false, true, 512, 64, 0, -1 },
		{ "windowsize 65535 clamped to the cap", PKT("\0\1f\0octet\0windowsize\00065535\0"),
		  1468, 64, 1, false, true, 512, 64, 0, -1 },
		{ "windowsize 70000 clamped", PKT("\0\1f\0octet\0windowsize\00070000\0"), 1468,
		  100000, 1, false, true, 512, 65535, 0, -1 },
		{ "windowsize 0 ignored", PKT("\0\1f\0octet\0windowsize\0000\0"), 1468, 64, 1,
		  false, false, 512, 1, 0, -1 },
		{ "windowsize not for netascii", PKT("\0\1f\0netascii\0windowsize\0008\0"), 1468,
		  64, -1, true, false, 512, 1, 0, -1 },
		{ "only unknown options: no OACK",
		  PKT("\0\1f\0octet\0multicast\0\0rollover\0000\0"), 1468, 64, 1, false, false, 512,
		  1, 0, -1 },
		{ "unknown mixed with known", PKT("\0\1f\0octet\0foo\0bar\0blksize\0001024\0"),
		  1468, 64, 1, false, true, 1024, 1, 0, -1 },
		{ "everything at once",
		  PKT("\0\1f\0octet\0blksize\00065464\0tsize\0000\0timeout\0002\0windowsize\00016"
		      "\0"),
		  65504, 64, 123456789, false, true, 65464, 16, 2, 123456789 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct neg_row *r = &rows[i];
		struct tftp_packet p, back;
		struct tftp_limits lim = { .max_blksize = r->max_blk,
					   .max_windowsize = r->max_win,
					   .file_size = r->size,
					   .netascii = r->netascii };
		struct tftp_negotiation n;
		uint8_t oack[256];
		ssize_t olen;
		bool good;

		if (parse_guarded(r->pkt, r->len, &p) != 0) {
			ok(0, "%s: request did not parse", r->what);
			continue;
		}
		tftp_negotiate(&p.req.opts, &lim, &n);
		good = n.oack == r->oack && n.blksize == r->blksize &&
		       n.windowsize == r->windowsize && n.timeout == r->timeout &&
		       n.ack_tsize == (r->tsize >= 0) &&
		       (r->tsize < 0 || n.tsize == (uint64_t)r->tsize);
		/* what goes out must parse back to the same values */
		olen = tftp_build_oack(oack, sizeof(oack), &n);
		if (olen < 0 || parse_guarded(oack, (size_t)olen, &back) != 0 ||
		    back.op != TFTP_OACK || back.oack.has_blksize != n.ack_blksize ||
		    back.oack.has_tsize != n.ack_tsize || back.oack.has_timeout != n.ack_timeout ||
		    back.oack.has_windowsize != n.ack_windowsize ||
		    (n.ack_blksize && back.oack.blksize != n.blksize) ||
		    (n.ack_tsize && back.oack.tsize != n.tsize) ||
		    (n.ack_windowsize && back.oack.windowsize != n.windowsize))
			good = false;
		ok(good,
		   "negotiation: %s (got oack=%d blksize=%u windowsize=%u timeout=%u tsize=%s%llu)",
		   r->what, n.oack, n.blksize, n.windowsize, n.timeout, n.ack_tsize ? "" : "none/",
		   (unsigned long long)n.tsize);
	}
}

static void test_builders(void)
{
	uint8_t b[600];
	struct tftp_packet p;
	char longmsg[400];
	ssize_t n;
	const char *names[] = { "blksize", "tsize" }, *values[] = { "1468", "0" };

	n = tftp_build_error(b, sizeof(b), TFTP_ENOTFOUND, "File not found");
	ok(n == 4 + 15 && !memcmp(b, "\0\5\0\1File not found\0", 19), "ERROR packet bytes");
	memset(longmsg, 'm', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	n = tftp_build_error(b, sizeof(b), 0, longmsg);
	ok(n == 4 + TFTP_ERRMSG_MAX + 1 && b[n - 1] == 0,
	   "long ERROR text cut, still NUL-terminated");
	n = tftp_build_error(b, 10, 0, longmsg);
	ok(n == 10 && b[9] == 0, "ERROR text cut to a small buffer");
	ok(tftp_build_error(b, 4, 0, "x") == -ENOSPC, "ERROR: no room");
	ok(tftp_build_ack(b, sizeof(b), 0xabcd) == 4 && !memcmp(b, "\0\4\xab\xcd", 4), "ACK bytes");
	ok(tftp_build_data_hdr(b, sizeof(b), 1) == 4 && !memcmp(b, "\0\3\0\1", 4),
	   "DATA header bytes");
	ok(tftp_build_ack(b, 3, 0) == -ENOSPC, "ACK: no room");
	n = tftp_build_request(b, sizeof(b), TFTP_RRQ, "boot/x.efi", "octet", names, values, 2);
	ok(n > 0 && parse_guarded(b, (size_t)n, &p) == 0 && !strcmp(p.req.filename, "boot/x.efi") &&
		   p.req.opts.blksize == 1468 && p.req.opts.has_tsize,
	   "request round trip");
	ok(tftp_build_request(b, 12, TFTP_RRQ, "boot/x.efi", "octet", names, values, 2) == -ENOSPC,
	   "request: no room");
	{
		struct tftp_negotiation neg = { .oack = true,
						.ack_blksize = true,
						.blksize = 65464,
						.ack_tsize = true,
						.tsize = UINT64_MAX };
		ok(tftp_build_oack(b, 20, &neg) == -ENOSPC, "OACK: no room");
		n = tftp_build_oack(b, sizeof(b), &neg);
		ok(n > 0 && parse_guarded(b, (size_t)n, &p) == 0 && p.oack.tsize == UINT64_MAX,
		   "OACK with the largest tsize");
	}
}

static void test_ack_blocks(void)
{
	ok(tftp_ack_block(-1, 0, 0) == 0, "ACK 0 answers the OACK");
	ok(tftp_ack_block(-1, 0, 1) == -1, "ACK 1 before any DATA: ignored");
	ok(tftp_ack_block(0, 4, 4) == 4, "ACK of the window's end");
	ok(tftp_ack_block(0, 4, 2) == 2, "ACK inside the window (RFC 7440: a gap)");
	ok(tftp_ack_block(0, 4, 0) == -1, "duplicate ACK ignored (Sorcerer's Apprentice)");
	ok(tftp_ack_block(0, 4, 5) == -1, "ACK of a block not sent yet ignored");
	ok(tftp_ack_block(4, 4, 4) == -1, "nothing outstanding");
	ok(tftp_ack_block(65533, 65537, 65535) == 65535, "ACK 65535 before the rollover");
	ok(tftp_ack_block(65533, 65537, 0) == 65536, "block 65536 is 0 on the wire");
	ok(tftp_ack_block(65533, 65537, 1) == 65537, "block 65537 is 1 on the wire");
	ok(tftp_ack_block(65533, 65537, 65533) == -1, "duplicate across the rollover");
	ok(tftp_ack_block(65533, 65537, 2) == -1, "future across the rollover");
	ok(tftp_ack_block(3 * 65536 + 10, 3 * 65536 + 74, 50) == 3 * 65536 + 50, "third rollover");
	ok(tftp_ack_block(-2, 5, 0) == -1, "bad base refused");
}

static void encode_all(const uint8_t *src, size_t n, uint8_t *dst, size_t *dn)
{
	size_t used;
	int carry = -1;

	*dn = tftp_netascii_encode(src, n, &used, dst, 4 * n + 4, &carry);
}

static void test_netascii(void)
{
	static const uint8_t in[] = "a\nb\rc\r\nd";
	uint8_t out[64], whole[4096], chunked[4096], src[1000];
	size_t n, used, wn, cn;
	int carry = -1;
	uint32_t rnd = 0x9e3779b9;
	unsigned bad = 0;

	n = tftp_netascii_encode(in, sizeof(in) - 1, &used, out, sizeof(out), &carry);
	ok(n == 12 && used == 8 && carry == -1 && !memcmp(out, "a\r\nb\r\0c\r\0\r\nd", 12),
	   "LF -> CR LF, CR -> CR NUL");
	carry = -1;
	n = tftp_netascii_encode((const uint8_t *)"ab\n", 3, &used, out, 3, &carry);
	ok(n == 3 && used == 3 && carry == '\n' && !memcmp(out, "ab\r", 3),
	   "pair cut at the block end");
	n = tftp_netascii_encode((const uint8_t *)"", 0, &used, out, 3, &carry);
	ok(n == 1 && carry == -1 && out[0] == '\n', "carried byte starts the next block");

	/* blocks of any size concatenate to the one-shot encoding */
	for (size_t i = 0; i < sizeof(src); i++) {
		rnd ^= rnd << 13;
		rnd ^= rnd >> 17;
		rnd ^= rnd << 5;
		src[i] = (uint8_t)("ab\r\n"[rnd & 3]);
	}
	encode_all(src, sizeof(src), whole, &wn);
	for (size_t blk = 1; blk <= 17; blk++) {
		size_t off = 0;
		carry = -1;
		cn = 0;
		for (;;) {
			size_t avail = sizeof(src) - off < blk ? sizeof(src) - off : blk;
			size_t got = tftp_netascii_encode(src + off, avail, &used, chunked + cn,
							  blk, &carry);
			off += used;
			cn += got;
			if (got < blk)
				break;
		}
		if (cn != wn || memcmp(whole, chunked, wn) || off != sizeof(src))
			bad++;
	}
	ok(bad == 0, "netascii in blocks of 1..17 bytes equals the one-shot encoding");
}

int main(void)
{
	test_requests();
	test_request_limits();
	test_other_packets();
	test_truncations();
	test_negotiation();
	test_builders();
	test_ack_blocks();
	test_netascii();
	return test_done();
}
