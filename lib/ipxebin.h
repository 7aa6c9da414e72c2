/* ipxebin: tell what kind of iPXE binary a file is and find the DHCP user-class
 * (option 77) iPXE compiled into its DHCP request template. */
#ifndef CB_IPXEBIN_H
#define CB_IPXEBIN_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

enum ipxebin_kind {
	IPXEBIN_UNKNOWN = 0,
	IPXEBIN_EFI_X86_64,  /* PE32+ EFI application, machine 0x8664 */
	IPXEBIN_EFI_ARM64,   /* machine 0xaa64 */
	IPXEBIN_EFI_OTHER,   /* EFI for i386, riscv64, loongarch64, ... */
	IPXEBIN_BIOS_LKRN,   /* packed BIOS image with a Linux setup header (.lkrn) */
	IPXEBIN_BIOS_ROM,    /* packed PCI option ROM (e.g. QEMU's/VirtualBox's NIC ROM) */
	IPXEBIN_BIOS_PACKED, /* other packed BIOS image (.pxe, .kpxe, .kkpxe, ...) */
};

/* Longest user-class we report: DHCP option payloads are at most 255 bytes, each
 * byte may be shown as \xNN, plus the NUL. */
#define IPXEBIN_CLASS_MAX (255 * 4 + 1)

/* Where the user-class sits: in the file itself (EFI; block == -1) or in the
 * decoded data of packed block `block` (BIOS). A rebrander patches data[cls_off ..
 * cls_off+cls_len) and the length byte at opt_off+1. */
struct ipxebin_loc {
	enum ipxebin_kind kind;
	int block;	 /* zbin block index, or -1 for raw file bytes */
	size_t tmpl_off; /* start of iPXE's DHCP request options template */
	size_t tmpl_len; /* through its END (255) option */
	size_t opt_off;	 /* the option 77 code byte */
	size_t cls_off;	 /* first byte of the class */
	size_t cls_len;	 /* its length (option length byte) */
};

/* The kind of binary; IPXEBIN_UNKNOWN if neither an EFI PE image nor a packed iPXE
 * BIOS image. Never fails otherwise; buf is untrusted. */
enum ipxebin_kind ipxebin_kind(const uint8_t *buf, size_t len);
/* "EFI x86_64", "packed BIOS (.lkrn)", ... */
const char *ipxebin_kind_name(enum ipxebin_kind kind);

/* Find iPXE's DHCP request options template in data[0..len): it begins with option
 * 53 (message type, length 1), holds option 60 starting "PXEClient" and option 55,
 * and ends with option 255; option 77 inside it is the user-class. Matching on the
 * template's structure, not on "iPXE", finds a rebranded class of any length.
 * Fills loc (block = -1, kind = IPXEBIN_UNKNOWN). Returns 0, -ENOENT (no template, or a
 * template without option 77), -EEXIST (more than one template). */
int ipxebin_find_template(const uint8_t *data, size_t len, struct ipxebin_loc *loc, struct diag *d);

/* Locate the user-class in an iPXE binary: raw EFI bytes, or (packed BIOS) the
 * decoded block that holds it. For BIOS, *decoded receives that block's decoded
 * bytes (malloc'd, free it; loc offsets refer to it); for EFI, *decoded is NULL and
 * offsets refer to buf. Returns as ipxebin_user_class. */
int ipxebin_locate(const uint8_t *buf, size_t len, struct ipxebin_loc *loc, uint8_t **decoded,
		   size_t *decoded_len, struct diag *d);

/* The user-class of an iPXE binary (raw EFI, or packed BIOS: decoded first), into
 * cls NUL-terminated; a non-printable byte is shown as \xNN and a backslash as
 * two backslashes.
 * Returns 0, -ENOENT (not found / not an iPXE binary), -EEXIST (several candidates),
 * -EBADMSG (corrupt packed image), -ENOSPC (clssz too small; IPXEBIN_CLASS_MAX always
 * suffices), -ENOMEM. */
int ipxebin_user_class(const uint8_t *buf, size_t len, char *cls, size_t clssz, struct diag *d);

/* Whether an iPXE binary (raw EFI, or packed BIOS: every block decoded) holds the
 * command name (e.g. "vcreate", which builds without VLAN_CMD lack) in its command
 * table. Returns 1, 0, or -errno for a damaged packed image (d says why). */
int ipxebin_has_command(const uint8_t *buf, size_t len, const char *name, struct diag *d);

/* Format class bytes as ipxebin_user_class does. Returns 0 or -ENOSPC. */
int ipxebin_format_class(const uint8_t *cls, size_t cls_len, char *out, size_t outsz);

#endif
