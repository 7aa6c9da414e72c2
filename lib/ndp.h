/* ndp: the two IPv6 Neighbor Discovery messages chainbootd speaks (RFC 4861 4.1, 4.2):
 * a bounds-checked parser for Router Solicitations and Advertisements, and a builder for
 * the one Router Advertisement it sends — "no router here, no prefix, no DHCPv6" — that
 * ends a PXE client's IPv6 autoconfiguration wait. Pure: bytes in, fields out. */
#ifndef CB_NDP_H
#define CB_NDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NDP_RS 133 /* ICMPv6 type: Router Solicitation */
#define NDP_RA 134 /* ICMPv6 type: Router Advertisement */

#define NDP_OPT_SLLA   1 /* source link-layer address */
#define NDP_OPT_PREFIX 3
#define NDP_OPT_MTU    5
#define NDP_OPT_RDNSS  25

#define NDP_RS_MIN 8  /* type, code, checksum, reserved */
#define NDP_RA_MIN 16 /* ... hop limit, flags, lifetime, reachable, retrans */
#define NDP_RA_LEN 24 /* what ndp_ra_build writes: the header and one SLLA option */

/* A Router Solicitation, from the ICMPv6 header on (as a raw ICMPv6 socket delivers
 * it). has_slla: an Ethernet source link-layer option (8 bytes) was present. */
struct ndp_rs {
	bool has_slla;
	uint8_t slla[6];
	unsigned n_opts;
};

/* A Router Advertisement's fields, for tests and the fuzz round trip. opt_mask has bit
 * T set for each option type T < 32 present; opt_other counts types >= 32. */
struct ndp_ra {
	uint8_t hop_limit, flags; /* flags: 0x80 M (managed), 0x40 O (other) */
	uint16_t lifetime;	  /* router lifetime, seconds; 0 = not a default router */
	uint32_t reachable, retrans;
	bool has_slla;
	uint8_t slla[6];
	uint32_t opt_mask;
	unsigned opt_other;
};

/* Parse buf (len bytes). Returns 0, or -EINVAL with *why (static text) saying what is
 * wrong: not type 133 or code 0, shorter than 8 bytes, an option of length 0 or one that
 * runs past the end (RFC 4861 6.1.1: such a message is dropped whole). An SLLA option
 * of another length than 8 bytes is not Ethernet: has_slla stays false. why may be NULL. */
int ndp_rs_parse(const uint8_t *buf, size_t len, struct ndp_rs *out, const char **why);

/* The same checks for a Router Advertisement (type 134, at least 16 bytes). */
int ndp_ra_parse(const uint8_t *buf, size_t len, struct ndp_ra *out, const char **why);

/* Build into buf (cap bytes) the RA chainbootd answers with: hop limit hop_limit (0 =
 * unspecified), M=0 O=0, router lifetime 0, reachable and retrans 0, one SLLA option
 * with mac; no prefix, MTU or RDNSS option. The checksum field is 0: the kernel fills
 * it for ICMPv6 raw sockets. *len = NDP_RA_LEN. Returns 0 or -ENOSPC. */
int ndp_ra_build(uint8_t *buf, size_t cap, uint8_t hop_limit, const uint8_t mac[6], size_t *len);

/* "52:54:00:12:34:56" into out (18 bytes). */
void ndp_mac_str(const uint8_t mac[6], char out[18]);

#endif
