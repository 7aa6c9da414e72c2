/* fuzz_tftp: libFuzzer harness for the TFTP packet parser and option negotiation
 * (lib/tftpproto.c). The input is one hostile datagram. Besides "no crash, no
 * over-read", it checks what the server relies on: negotiated values stay within the
 * RFC bounds and the server's limits, the OACK we would send parses back to the same
 * values, ACK block mapping stays inside the window, netascii blocks concatenate. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tftpproto.h"

static void check_negotiation(const struct tftp_options *o, const uint8_t *data, size_t size)
{
	/* server limits taken from the input's last bytes, so they vary too */
	uint32_t seed = size >= 4
				? (uint32_t)data[size - 1] << 24 | (uint32_t)data[size - 2] << 16 |
					  (uint32_t)data[size - 3] << 8 | data[size - 4]
				: 0;
	struct tftp_limits lim = { .max_blksize = seed & 0x1ffff,
				   .max_windowsize = (seed >> 17) & 0x7f,
				   .file_size = (seed & 0x80000000u) ? -1 : (int64_t)(seed >> 3),
				   .netascii = (seed >> 30) & 1 };
	struct tftp_negotiation n;
	struct tftp_packet back;
	uint8_t oack[512];
	ssize_t len;

	tftp_negotiate(o, &lim, &n);
	CHECK(n.blksize >= TFTP_BLKSIZE_MIN && n.blksize <= TFTP_BLKSIZE_MAX);
	CHECK(n.ack_blksize || n.blksize == TFTP_BLKSIZE_DEFAULT);
	CHECK(!n.ack_blksize ||
	      n.blksize <=
		      (lim.max_blksize > TFTP_BLKSIZE_MIN ? lim.max_blksize : TFTP_BLKSIZE_MIN));
	CHECK(!n.ack_blksize || n.blksize <= o->blksize);
	CHECK(n.windowsize >= 1 && n.windowsize <= TFTP_WINDOW_MAX);
	CHECK(n.windowsize <= (lim.max_windowsize ? lim.max_windowsize : 1));
	CHECK(!n.ack_windowsize || !lim.netascii);
	CHECK(!n.ack_timeout || (n.timeout >= TFTP_TIMEOUT_MIN && n.timeout <= TFTP_TIMEOUT_MAX &&
				 n.timeout == o->timeout));
	CHECK(!n.ack_tsize || (lim.file_size >= 0 && n.tsize == (uint64_t)lim.file_size));
	CHECK(n.oack == (n.ack_blksize || n.ack_tsize || n.ack_timeout || n.ack_windowsize));

	len = tftp_build_oack(oack, sizeof(oack), &n);
	CHECK(len >= 2);
	CHECK(tftp_parse(oack, (size_t)len, &back) == 0 && back.op == TFTP_OACK);
	CHECK(back.oack.has_blksize == n.ack_blksize && back.oack.has_tsize == n.ack_tsize &&
	      back.oack.has_timeout == n.ack_timeout &&
	      back.oack.has_windowsize == n.ack_windowsize);
	CHECK(!n.ack_blksize || back.oack.blksize == n.blksize);
	CHECK(!n.ack_tsize || back.oack.tsize == n.tsize);
	CHECK(!n.ack_timeout || back.oack.timeout == n.timeout);
	CHECK(!n.ack_windowsize || back.oack.windowsize == n.windowsize);
}

static void check_netascii(const uint8_t *data, size_t size)
{
	static uint8_t whole[4 * 4096 + 8], part[4 * 4096 + 8];
	size_t used, wn, pn = 0, off = 0, blk;
	int carry = -1;

	if (size > 4096)
		size = 4096;
	wn = tftp_netascii_encode(data, size, &used, whole, sizeof(whole), &carry);
	CHECK(used == size && carry == -1 && wn >= size && wn <= 2 * size);
	blk = size ? (size_t)(data[0] % 16) + 1 : 1;
	carry = -1;
	for (;;) {
		size_t avail = size - off < blk ? size - off : blk;
		size_t got = tftp_netascii_encode(data + off, avail, &used, part + pn, blk, &carry);
		CHECK(got <= blk && used <= avail);
		off += used;
		pn += got;
		if (got < blk)
			break;
		CHECK(pn <= wn);
	}
	CHECK(off == size && pn == wn && !memcmp(whole, part, wn));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tftp_packet p;
	int rc = tftp_parse(data, size, &p);

	if (rc == 0 && (p.op == TFTP_RRQ || p.op == TFTP_WRQ)) {
		size_t fl = strlen(p.req.filename);
		CHECK(fl > 0 && fl <= TFTP_FILENAME_MAX);
		CHECK(p.req.opts.n_seen <= TFTP_OPTIONS_MAX);
		CHECK(p.req.opts.n_unknown + p.req.opts.n_invalid <= p.req.opts.n_seen);
		check_negotiation(&p.req.opts, data, size);
	}
	if (rc == 0 && p.op == TFTP_OACK)
		check_negotiation(&p.oack, data, size);
	if (rc == 0 && p.op == TFTP_ERROR) {
		uint8_t e[TFTP_HDR + TFTP_ERRMSG_MAX + 1];
		ssize_t n = tftp_build_error(e, sizeof(e), p.error_code, p.error_msg);
		CHECK(n >= TFTP_HDR + 1 && e[n - 1] == 0);
	}
	if (rc == 0 && p.op == TFTP_DATA)
		CHECK(p.data + p.data_len == data + size);
	if (size >= 6) {
		/* ACK mapping: any base, a window below 65536 */
		int64_t base =
			(int64_t)((uint32_t)data[0] << 16 | (uint32_t)data[1] << 8 | data[2]) - 1;
		int64_t sent = base + (data[3] << 8 | data[4]);
		uint16_t wire = (uint16_t)(data[5] << 8 | (size > 6 ? data[6] : 0));
		int64_t b = tftp_ack_block(base, sent, wire);
		CHECK(b == -1 || (b > base && b <= sent && (uint16_t)(uint64_t)b == wire));
	}
	check_netascii(data, size);
	return 0;
}
