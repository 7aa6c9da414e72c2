/* pesig: what a PE/COFF (EFI) binary says about Secure Boot: its Authenticode
 * signatures and their signer, its SBAT section, what kind of loader it is. A pure
 * reader over a buffer (inspect and the fuzzer call it); it verifies nothing. */
#ifndef CB_PESIG_H
#define CB_PESIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PESIG_NAME_MAX	   256
#define PESIG_SBAT_MAX	   512
#define PESIG_MAX_SECTIONS 96 /* the PE/COFF specification's limit */

enum pesig_kind {
	PESIG_KIND_UNKNOWN = 0,
	PESIG_KIND_IPXE,       /* SBAT component "ipxe" */
	PESIG_KIND_SHIM,       /* SBAT "shim" with a .sbatlevel section (shim itself) */
	PESIG_KIND_MOKMANAGER, /* SBAT "shim", and its menu text (MokManager) */
	PESIG_KIND_SHIM_HELPER /* SBAT "shim", neither of those (e.g. fallback fbx64.efi) */
};

struct pesig_info {
	uint16_t machine; /* COFF machine: 0x8664 x86_64, 0xaa64 arm64, ... */
	bool pe32plus;
	unsigned nsigs;		     /* WIN_CERTIFICATE entries of type PKCS#7 SignedData */
	bool signer_found;	     /* the first signature's signer certificate was read */
	char signer[PESIG_NAME_MAX]; /* its subject, "/C=US/O=Example/CN=Name" */
	char issuer[PESIG_NAME_MAX]; /* its issuer */
	bool has_sbat;
	char sbat[PESIG_SBAT_MAX]; /* the .sbat text (CSV lines), non-printables as '?' */
	bool has_sbatlevel;
	enum pesig_kind kind;
};

/* Read buf[0..len). Returns 0; -EINVAL if it is not a PE image ("MZ" + "PE\0\0");
 * -EBADMSG if a header, the section table or the certificate table runs past the end
 * or is inconsistent. A signature whose PKCS#7 cannot be read still counts in nsigs
 * (signer_found stays false). Never reads outside the buffer. */
int pesig_parse(const uint8_t *buf, size_t len, struct pesig_info *out);

/* "x86_64", "arm64", "ia32", "arm", or "machine 0x...." in buf. */
const char *pesig_machine_name(uint16_t machine, char *buf, size_t bufsz);

/* "iPXE", "shim", "MokManager", "shim helper", or "unknown". */
const char *pesig_kind_name(enum pesig_kind k);

#endif
