/* ipxebin: classify iPXE binaries (EFI PE or packed BIOS) and find the user-class in
 * iPXE's DHCP request options template. The binary's bytes are untrusted: every
 * offset is checked against the length before it is read. */
#include "ipxebin.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "zbin.h"

/* DHCP option codes (RFC 2132, RFC 3004, RFC 4578) in iPXE's template
 * (src/net/udp/dhcp.c dhcp_request_options_data): 53 message type, 57 max message
 * size, 93 client arch, 94 NDI, 60 vendor class "PXEClient:Arch:...", 77 user
 * class, 55 parameter request list, 255 end. */
#define OPT_PAD		 0
#define OPT_MSG_TYPE	 53
#define OPT_PARAM_LIST	 55
#define OPT_VENDOR_CLASS 60
#define OPT_USER_CLASS	 77
#define OPT_END		 255
/* The template is ~90 bytes; anything longer is not it. */
#define TMPL_MAX 512

/* EFI images are PE/COFF (UEFI spec 2.10 section 2.1.1): "MZ", e_lfanew at 0x3c,
 * "PE\0\0", COFF header (machine at +4, optional header size at +20), optional
 * header with Subsystem at +68 for both PE32 and PE32+. Subsystems 10-13 are EFI
 * application / boot service driver / runtime driver / ROM. */
static enum ipxebin_kind ipxebin_pe_kind(const uint8_t *buf, size_t len)
{
	size_t pe, opt, optsz;
	uint16_t machine, magic, subsystem;

	if (len < 0x40 || buf[0] != 'M' || buf[1] != 'Z')
		return IPXEBIN_UNKNOWN;
	pe = le32(buf + 0x3c);
	if (pe > len || len - pe < 24 || memcmp(buf + pe, "PE\0\0", 4) != 0)
		return IPXEBIN_UNKNOWN;
	machine = le16(buf + pe + 4);
	optsz = le16(buf + pe + 20);
	opt = pe + 24;
	if (optsz < 70 || len - opt < 70)
		return IPXEBIN_UNKNOWN;
	magic = le16(buf + opt);
	if (magic != 0x10b && magic != 0x20b)
		return IPXEBIN_UNKNOWN;
	subsystem = le16(buf + opt + 68);
	if (subsystem < 10 || subsystem > 13)
		return IPXEBIN_UNKNOWN;
	switch (machine) {
	case 0x8664:
		return IPXEBIN_EFI_X86_64;
	case 0xaa64:
		return IPXEBIN_EFI_ARM64;
	default:
		return IPXEBIN_EFI_OTHER;
	}
}

static enum ipxebin_kind ipxebin_bios_kind(const struct zbin *z)
{
	switch (z->prefix) {
	case ZBIN_PREFIX_LKRN:
		return IPXEBIN_BIOS_LKRN;
	case ZBIN_PREFIX_ROM:
		return IPXEBIN_BIOS_ROM;
	case ZBIN_PREFIX_OTHER:
		break;
	}
	return IPXEBIN_BIOS_PACKED;
}

enum ipxebin_kind ipxebin_kind(const uint8_t *buf, size_t len)
{
	enum ipxebin_kind k = ipxebin_pe_kind(buf, len);
	struct zbin z;

	if (k != IPXEBIN_UNKNOWN)
		return k;
	if (zbin_parse(buf, len, &z, NULL) == 0)
		return ipxebin_bios_kind(&z);
	return IPXEBIN_UNKNOWN;
}

const char *ipxebin_kind_name(enum ipxebin_kind kind)
{
	switch (kind) {
	case IPXEBIN_EFI_X86_64:
		return "EFI x86_64";
	case IPXEBIN_EFI_ARM64:
		return "EFI arm64";
	case IPXEBIN_EFI_OTHER:
		return "EFI (other architecture)";
	case IPXEBIN_BIOS_LKRN:
		return "packed BIOS (.lkrn)";
	case IPXEBIN_BIOS_ROM:
		return "packed BIOS option ROM";
	case IPXEBIN_BIOS_PACKED:
		return "packed BIOS (.pxe/.kpxe)";
	case IPXEBIN_UNKNOWN:
		break;
	}
	return "unknown";
}

/* Walk the options starting at data[start] (known to be 53,1) and tell whether they
 * form the request template. Fills loc; loc->opt_off == SIZE_MAX if no option 77. */
static bool tmpl_walk(const uint8_t *data, size_t len, size_t start, struct ipxebin_loc *loc)
{
	bool vendor = false, params = false;
	size_t p = start;

	loc->opt_off = SIZE_MAX;
	while (p < len && p - start < TMPL_MAX) {
		uint8_t code = data[p], olen;

		if (code == OPT_PAD) {
			p++;
			continue;
		}
		if (code == OPT_END) {
			if (!vendor || !params)
				return false;
			loc->tmpl_off = start;
			loc->tmpl_len = p + 1 - start;
			return true;
		}
		if (len - p < 2)
			return false;
		olen = data[p + 1];
		if (olen > len - p - 2)
			return false;
		switch (code) {
		case OPT_VENDOR_CLASS:
			vendor = olen >= 9 && memcmp(data + p + 2, "PXEClient", 9) == 0;
			break;
		case OPT_PARAM_LIST:
			params = olen > 0;
			break;
		case OPT_USER_CLASS:
			if (loc->opt_off != SIZE_MAX)
				return false; /* twice: not iPXE's template */
			loc->opt_off = p;
			loc->cls_off = p + 2;
			loc->cls_len = olen;
			break;
		default:
			break;
		}
		p += 2 + (size_t)olen;
	}
	return false;
}

/* What a scan over one or more buffers found. */
struct tmpl_scan {
	size_t with_class;    /* templates holding option 77 */
	size_t without_class; /* templates without it */
	struct ipxebin_loc first;
	int first_block;
	size_t second_off;
	int second_block;
	size_t bare_off; /* first template without option 77 */
};

static void tmpl_record(struct tmpl_scan *s, const struct ipxebin_loc *loc, int block)
{
	if (loc->opt_off == SIZE_MAX) {
		if (!s->without_class++)
			s->bare_off = loc->tmpl_off;
		return;
	}
	if (!s->with_class) {
		s->first = *loc;
		s->first_block = block;
	} else if (s->with_class == 1) {
		s->second_off = loc->tmpl_off;
		s->second_block = block;
	}
	s->with_class++;
}

static void tmpl_scan(const uint8_t *data, size_t len, int block, struct tmpl_scan *s)
{
	struct ipxebin_loc pending;
	bool have_pending = false;
	const uint8_t *p = data;
	size_t left = len;

	while (left >= 2) {
		const uint8_t *hit = memchr(p, OPT_MSG_TYPE, left - 1);
		struct ipxebin_loc loc;
		size_t off;

		if (!hit)
			break;
		off = (size_t)(hit - data);
		/* 53 with length 1 opens the template (the type is filled in later). */
		if (hit[1] == 1 && tmpl_walk(data, len, off, &loc)) {
			loc.block = block;
			/* Bytes just before the template can also parse as options that
			 * run into it (seen in Debian's 2019 pxe-e1000.rom): walks that
			 * end on the same END byte are one template, the last start. */
			if (have_pending &&
			    pending.tmpl_off + pending.tmpl_len != loc.tmpl_off + loc.tmpl_len)
				tmpl_record(s, &pending, block);
			pending = loc;
			have_pending = true;
		}
		left -= (size_t)(hit - p) + 1;
		p = hit + 1;
	}
	if (have_pending)
		tmpl_record(s, &pending, block);
}

int ipxebin_find_template(const uint8_t *data, size_t len, struct ipxebin_loc *loc, struct diag *d)
{
	struct tmpl_scan s = { 0 };

	tmpl_scan(data, len, -1, &s);
	if (s.with_class > 1)
		return diag_set(d, -EEXIST,
				"%zu DHCP request templates with a user-class (offsets %zu and "
				"%zu): cannot tell which one iPXE uses",
				s.with_class, s.first.tmpl_off, s.second_off);
	if (!s.with_class && s.without_class)
		return diag_set(d, -ENOENT,
				"the DHCP request template at offset %zu has no user-class "
				"option (77): this build does not send one",
				s.bare_off);
	if (!s.with_class)
		return diag_set(d, -ENOENT,
				"no iPXE DHCP request template (options 53, 60 \"PXEClient\", "
				"77, 55) found: not an iPXE binary");
	*loc = s.first;
	loc->kind = IPXEBIN_UNKNOWN; /* the caller knows what the bytes are */
	loc->block = -1;
	return 0;
}

int ipxebin_format_class(const uint8_t *cls, size_t cls_len, char *out, size_t outsz)
{
	size_t i, o = 0;

	for (i = 0; i < cls_len; i++) {
		uint8_t c = cls[i];
		size_t need = (c >= 0x20 && c < 0x7f) ? (c == '\\' ? 2 : 1) : 4;

		if (need >= outsz - o) {
			if (outsz)
				out[0] = '\0';
			return -ENOSPC;
		}
		if (need == 1)
			out[o] = (char)c;
		else if (need == 2)
			memcpy(out + o, "\\\\", 2);
		else
			snprintf(out + o, 5, "\\x%02x", c);
		o += need;
	}
	if (!outsz)
		return -ENOSPC;
	out[o] = '\0';
	return 0;
}

int ipxebin_locate(const uint8_t *buf, size_t len, struct ipxebin_loc *loc, uint8_t **decoded,
		   size_t *decoded_len, struct diag *d)
{
	enum ipxebin_kind kind = ipxebin_pe_kind(buf, len);
	struct tmpl_scan s = { 0 };
	uint8_t *blocks[ZBIN_MAX_BLOCKS] = { NULL };
	size_t blens[ZBIN_MAX_BLOCKS] = { 0 };
	struct diag zd = { { 0 } };
	struct zbin z;
	size_t i;
	int rc;

	*decoded = NULL;
	*decoded_len = 0;
	memset(loc, 0, sizeof(*loc));
	if (kind != IPXEBIN_UNKNOWN) {
		/* EFI iPXE is not compressed: the template is in the file as built. */
		rc = ipxebin_find_template(buf, len, loc, d);
		loc->kind = kind;
		return rc;
	}
	rc = zbin_parse(buf, len, &z, &zd);
	if (rc < 0) {
		struct diag td = { { 0 } };

		/* Not packed: maybe an uncompressed iPXE build in a format we do not
		 * classify; its template would be in the raw bytes. */
		if (ipxebin_find_template(buf, len, loc, &td) == 0)
			return 0;
		/* A .lkrn header, or a chain that failed only its CRC, means a
		 * damaged iPXE image: say so rather than "not iPXE". */
		if (z.prefix == ZBIN_PREFIX_LKRN || rc == -EBADMSG)
			return diag_set(d, rc, "%s", zd.msg);
		return diag_set(d, -ENOENT,
				"not an iPXE binary: neither an EFI PE image nor a complete packed "
				"BIOS image, and no DHCP request template in its bytes");
	}
	kind = ipxebin_bios_kind(&z);
	for (i = 0; i < z.nblocks; i++) {
		rc = zbin_decode_block(buf, len, &z.blocks[i], &blocks[i], &blens[i], NULL, d);
		if (rc < 0)
			goto out;
		tmpl_scan(blocks[i], blens[i], (int)i, &s);
	}
	if (s.with_class > 1) {
		rc = diag_set(d, -EEXIST,
			      "%zu DHCP request templates with a user-class (block %d offset "
			      "%zu, block %d offset %zu): cannot tell which one iPXE uses",
			      s.with_class, s.first_block + 1, s.first.tmpl_off, s.second_block + 1,
			      s.second_off);
		goto out;
	}
	if (!s.with_class) {
		rc = diag_set(d, -ENOENT,
			      s.without_class ? "the DHCP request template has no user-class "
						"option (77): this build does not send one"
					      : "no iPXE DHCP request template in the decoded "
						"blocks: not an iPXE image");
		goto out;
	}
	*loc = s.first;
	loc->kind = kind;
	loc->block = s.first_block;
	*decoded = blocks[s.first_block];
	*decoded_len = blens[s.first_block];
	blocks[s.first_block] = NULL;
	rc = 0;
out:
	for (i = 0; i < ZBIN_MAX_BLOCKS; i++)
		free(blocks[i]);
	return rc;
}

int ipxebin_user_class(const uint8_t *buf, size_t len, char *cls, size_t clssz, struct diag *d)
{
	struct ipxebin_loc loc;
	uint8_t *dec;
	size_t declen;
	int rc;

	if (clssz)
		cls[0] = '\0';
	rc = ipxebin_locate(buf, len, &loc, &dec, &declen, d);
	if (rc < 0)
		return rc;
	/* loc was checked against the buffer it came from by tmpl_walk. */
	rc = ipxebin_format_class((dec ? dec : buf) + loc.cls_off, loc.cls_len, cls, clssz);
	free(dec);
	if (rc < 0)
		return diag_set(d, rc, "user-class of %zu bytes does not fit a %zu-byte buffer",
				loc.cls_len, clssz);
	return 0;
}

/* A command name is a NUL-terminated string in iPXE's command table (struct command);
 * with a NUL before it too, "vcreate" does not match inside a longer word. */
static bool has_word(const uint8_t *buf, size_t len, const char *name)
{
	char pat[64];
	size_t n = strlen(name);

	if (n + 2 > sizeof(pat))
		return false;
	pat[0] = '\0';
	memcpy(pat + 1, name, n);
	pat[n + 1] = '\0';
	return memmem(buf, len, pat, n + 2) != NULL;
}

int ipxebin_has_command(const uint8_t *buf, size_t len, const char *name, struct diag *d)
{
	struct diag zd = { { 0 } };
	struct zbin z;
	int found = 0, rc;

	if (ipxebin_pe_kind(buf, len) != IPXEBIN_UNKNOWN)
		return has_word(buf, len, name); /* EFI iPXE is not compressed */
	rc = zbin_parse(buf, len, &z, &zd);
	if (rc < 0)
		return diag_set(d, rc, "%s", zd.msg);
	for (size_t i = 0; i < z.nblocks && !found; i++) {
		uint8_t *blk;
		size_t blen;

		rc = zbin_decode_block(buf, len, &z.blocks[i], &blk, &blen, NULL, d);
		if (rc < 0)
			return rc;
		found = has_word(blk, blen, name);
		free(blk);
	}
	return found;
}
