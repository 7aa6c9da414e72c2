/* rebrand: change the DHCP user-class compiled into prebuilt iPXE binaries, in memory. */
#ifndef CB_REBRAND_H
#define CB_REBRAND_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "ipxebin.h"
#include "zbin.h"

/* The class every stock iPXE build sends (src/net/udp/dhcp.c), and so the room a
 * prebuilt binary has for ours: option 77 is patched in place, never grown. */
#define REBRAND_STOCK_CLASS "iPXE"
#define REBRAND_CLASS_MAX   4
/* Binaries rebranded inside one image file (ipxe.iso holds five). */
#define REBRAND_MAX_BINARIES 32
/* Largest input read: Debian's ipxe.iso is 9 MiB; hybrid images of ours are ~4 MiB. */
#define REBRAND_MAX_INPUT (64u * 1024 * 1024)

struct rebrand_bin {
	enum ipxebin_kind kind;
	char path[256];	 /* inside an image ("/IPXE.KRN"), "" for IN itself */
	size_t offset;	 /* where the binary starts in IN */
	uint32_t preset; /* packed BIOS: the xz preset whose stream fitted; 0 for EFI */
	size_t stream;	 /* packed BIOS: bytes of the new LZMA stream */
	size_t room;	 /* packed BIOS: bytes the block had for it */
};

struct rebrand_info {
	enum ipxebin_kind kind; /* IN's kind; IPXEBIN_UNKNOWN for an image of binaries */
	unsigned nbinaries;	/* binaries patched: 1, or those inside an ISO/FAT/disk image */
	struct rebrand_bin bin[REBRAND_MAX_BINARIES];
};

/* Check a class for rebranding: 1 to REBRAND_CLASS_MAX printable ASCII bytes without
 * spaces, not "iPXE". Returns 0, -EINVAL (empty, bad byte, "iPXE") or -ENOSPC (too
 * long: d says that the chain script's `set user-class` and `chainboot build-ipxe`
 * cover longer classes). */
int rebrand_check_class(const char *cls, struct diag *d);

/* Rebrand in[0..len) to user-class cls: an iPXE binary (EFI PE, packed BIOS .lkrn/
 * .pxe/.kpxe/.kkpxe/ROM), or an image holding such binaries (ISO 9660 such as
 * Debian's ipxe.iso, a FAT image, an MBR disk image), whose every binary is patched
 * in place. *out (malloc'd, len bytes: the size never changes) is verified before it
 * is returned: decoded again, it holds exactly the intended bytes and class. in is
 * never changed. info may be NULL.
 * Returns 0; -EINVAL (bad class), -ENOSPC (class longer than the binary's, or a
 * recompressed block that fits no preset), -ENOENT (not an iPXE binary / no binary
 * in the image), -EALREADY (already rebranded: d names the current class), -EEXIST
 * (the stock option bytes occur more than once: unknown build), -EBADMSG (corrupt
 * image), -EPERM (a signed EFI binary: patching would break its signature),
 * -ENOTSUP (a binary fragmented inside an image), -EIO/-ENOMEM. d has one line naming the binary, the offset and what to do. */
int rebrand_bytes(const uint8_t *in, size_t len, const char *cls, uint8_t **out,
		  struct rebrand_info *info, struct diag *d);

/* Is out[0..len) exactly in[0..len) (a stock iPXE binary, not an image) rebranded to
 * cls? EFI: out must equal in patched (the option, a non-zero PE checksum). Packed BIOS:
 * the same block chain, every byte outside the template's block unchanged, and that
 * block decoding to in's block patched (the LZMA stream itself may differ: any preset
 * that fits is right). No encoding, so it is cheap enough to check a cached copy before
 * each use. Returns 0, or -EBADMSG with d saying what differs, or rebrand_bytes()'s
 * errors about in. */
int rebrand_verify(const uint8_t *in, const uint8_t *out, size_t len, const char *cls,
		   struct diag *d);

/* Re-pack block `block` of the packed BIOS image buf[0..len) (parsed into z) in place
 * with new decoded data plain[0..plen): recompressed with the first encoder preset whose
 * stream fits where the old one was (the last block is padded back to its old length;
 * an inner block must keep its successor's 16-byte position), CRC and length fixed,
 * then parsed and decoded again and compared with plain. Only bytes of that block
 * change; the file's size never does. bi (may be NULL) gets preset, stream and room.
 * Returns 0, -EINVAL (no such block), -ENOSPC (no preset fits), -EIO (verification
 * failed), -ENOMEM. */
int rebrand_repack_block(uint8_t *buf, size_t len, const struct zbin *z, size_t block,
			 const uint8_t *plain, size_t plen, struct rebrand_bin *bi, struct diag *d);

#endif
