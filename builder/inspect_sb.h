/* inspect_sb: the Secure Boot part of `chainboot inspect`: for each EFI binary, signed
 * or not, the signer, what it is (shim, MokManager, iPXE), SBAT, and with --cert FILE
 * whether it verifies. Kept apart from inspect.c's probing and report. */
#ifndef CB_INSPECT_SB_H
#define CB_INSPECT_SB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The PEM certificate to verify EFI binaries against (NULL: no verification). */
void inspect_sb_set_cert(const char *cert);

/* Add "secure_boot" to jb for the binary buf[0..len) when it is a PE image:
 * { "signed", "signatures", "signer", "issuer", "type", "sbat", "sbat_components",
 *   "verifies" (with a certificate), "verify_error" }. Not a PE: nothing added. */
void inspect_sb_binary(const uint8_t *buf, size_t len, json_t *jb);

/* One text line for jb's "secure_boot" (nothing without one), indented by indent. */
void inspect_sb_print(FILE *out, const json_t *jb, const char *indent);

#endif
