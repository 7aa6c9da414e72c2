/* zbin: the packed layout of iPXE BIOS images (.lkrn, .pxe, .kpxe, .kkpxe): find the
 * compressed blocks, check and decode them, and the helpers to re-encode them. */
#ifndef CB_ZBIN_H
#define CB_ZBIN_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* Layout (learned from iPXE src/util/zbin.c, src/arch/x86/prefix/libprefix.S,
 * unlzma.S, src/arch/x86/scripts/pcbios.lds):
 *
 *   [uncompressed prefix][block .text16.early] ... [block .text16.late]
 *   [block .data16][block .textdata]            EOF (an option ROM: padding, EOF)
 *
 * Each block starts on a 16-byte boundary (a .lkrn puts the payload, i.e. the
 * blocks after the first, on the 512-byte boundary its setup header names) and is
 *
 *   u32 len (LE)  = number of bytes that follow: LZMA data + 4-byte CRC
 *   raw LZMA1 stream (lc=2 lp=0 pb=0, end-of-payload marker), compressed from the
 *                   block's bytes after the x86 call/jump filter (zbin_filter_apply)
 *   u32 crc (LE)  = CRC-32 (reflected, poly 0xedb88320) of the LZMA data, seed
 *                   0xffffffff, no final xor; so the CRC over data+crc is 0.
 *
 * iPXE's decompressor stops at the end-of-payload marker and finds the next block
 * after the 4 bytes that follow the stream, so a re-encoded stream may be followed by
 * padding only in the last block (which ends at EOF). */

/* libprefix.S packs exactly four: .text16.early, .text16.late, .data16, .textdata.
 * Requiring all four means an image cut at a block boundary is not taken for a
 * shorter valid one. */
#define ZBIN_MAX_BLOCKS	 4
#define ZBIN_MAX_PREFIX	 (64u * 1024)	     /* where the first block may start */
#define ZBIN_MAX_DECODED (16u * 1024 * 1024) /* per block; .textdata is ~1 MiB */
#define ZBIN_LZMA_LC	 2
#define ZBIN_LZMA_LP	 0
#define ZBIN_LZMA_PB	 0
#define ZBIN_CRC_SEED	 0xffffffffu

enum zbin_prefix {
	ZBIN_PREFIX_OTHER = 0, /* .pxe, .kpxe, .kkpxe, ... (no header we read) */
	ZBIN_PREFIX_LKRN,      /* Linux bzImage header (ipxe.lkrn) */
	ZBIN_PREFIX_ROM,       /* PCI option ROM (.rom; vendor NIC ROMs), padded */
};

struct zbin_block {
	size_t offset;	 /* of the u32 length field */
	uint32_t len;	 /* its value: LZMA data + CRC */
	size_t data_off; /* offset + 4: first byte of the LZMA data */
	size_t data_len; /* len - 4 */
	uint32_t crc;	 /* stored CRC (at data_off + data_len) */
	size_t end;	 /* offset + 4 + len: first byte after the CRC */
};

struct zbin {
	enum zbin_prefix prefix;
	size_t prefix_len;  /* bytes before the first block */
	size_t payload_off; /* LKRN: where the setup header puts the payload, else 0 */
	size_t nblocks;
	struct zbin_block blocks[ZBIN_MAX_BLOCKS];
};

/* Find the packed blocks of an iPXE BIOS image in buf[0..len). The blocks must form
 * a chain of four ending exactly at EOF and every CRC must match; a .lkrn's setup header
 * must agree. Returns 0, -ENOENT (no such chain: not a packed iPXE image, or
 * truncated), -EBADMSG (a chain whose CRC or setup header is wrong: corrupt; d names
 * the block and offset), -E2BIG (too much work for a hostile input). */
int zbin_parse(const uint8_t *buf, size_t len, struct zbin *z, struct diag *d);

/* Decode one block: CRC check, raw LZMA1 decode, undo the call/jump filter.
 * *out is malloc'd (free it); *stream_len (may be NULL) receives the number of LZMA
 * bytes the stream used (== data_len in an unmodified image). Returns 0, -EINVAL
 * (block outside buf), -EBADMSG (CRC or LZMA data wrong), -EFBIG (decodes to more
 * than ZBIN_MAX_DECODED), -ENOMEM. */
int zbin_decode_block(const uint8_t *buf, size_t len, const struct zbin_block *b, uint8_t **out,
		      size_t *outlen, size_t *stream_len, struct diag *d);

/* Encode plain data as iPXE does: filter a copy, raw LZMA1 (lc/lp/pb above) with
 * the given xz preset (iPXE: 6 | LZMA_PRESET_EXTREME). *out is malloc'd and holds
 * only the LZMA stream (no len, no CRC). Returns 0, -ENOMEM, -EIO. */
int zbin_encode_block(const uint8_t *plain, size_t len, uint32_t preset, uint8_t **out,
		      size_t *outlen, struct diag *d);

/* CRC-32 as iPXE's packer uses it: reflected, poly 0xedb88320, no final xor.
 * Start with ZBIN_CRC_SEED; may be chained over several buffers. */
uint32_t zbin_crc32(uint32_t crc, const void *data, size_t len);

/* The x86 call/jump filter (opcodes e8/e9 + rel32): apply converts relative
 * targets inside the block to absolute ones before compression, undo reverses it.
 * In place; undo(apply(x)) == x for any bytes. */
void zbin_filter_apply(uint8_t *data, size_t len);
void zbin_filter_undo(uint8_t *data, size_t len);

#endif
