/* decide: the proxyDHCP decision table — which PXE client gets which boot file, by
 * which strategy — and the reply packet built from a decision. Pure: no sockets, no
 * clock, no globals; unit-tested row by row (tests/unit/test_decide.c). */
#ifndef CB_DECIDE_H
#define CB_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcpopt.h"
#include "siteconf.h"

/* RFC 4578 2.1 / IANA processor architecture types (option 93) we act on. */
enum {
	ARCH_BIOS = 0, /* x86 BIOS (also what a Raspberry Pi 5 claims) */
	ARCH_EFI_IA32 = 6,
	ARCH_EFI_BC = 7,  /* "EFI BC": what most x86_64 firmware (OVMF too) sends */
	ARCH_EFI_X64 = 9, /* x86_64 UEFI: the registry's number, used by some firmware */
	ARCH_EFI_ARM64 = 11,
	ARCH_HTTP_X64 = 16,   /* UEFI HTTP boot, x86_64 */
	ARCH_HTTP_ARM64 = 19, /* UEFI HTTP boot, arm64 */
};

/* What the inventory says of the machine (MAC / UUID). */
enum decide_inv {
	DECIDE_INV_UNKNOWN = 0, /* not listed: boots (and gets the menu) */
	DECIDE_INV_NETBOOT,	/* listed, boots its profile */
	DECIDE_INV_LOCAL,	/* boot=local: no answer at all */
	DECIDE_INV_DISABLED,	/* boot=disabled: no answer either, logged as such */
};

/* Built-in boot files the server holds (bit per file). */
enum {
	DECIDE_HAVE_IPXE_PXE = 1u << 0,	  /* ipxe.pxe */
	DECIDE_HAVE_UNDIONLY = 1u << 1,	  /* undionly.kpxe */
	DECIDE_HAVE_SNPONLY = 1u << 2,	  /* snponly.efi */
	DECIDE_HAVE_IPXE_AMD64 = 1u << 3, /* ipxe-amd64.efi */
	DECIDE_HAVE_IPXE_ARM64 = 1u << 4, /* ipxe-arm64.efi */
	DECIDE_HAVE_ALL = 0x1f,		  /* the iPXE binaries */
	DECIDE_HAVE_SHIM_X64 =
		1u << 5, /* shimx64.efi (+ grubx64.efi, mmx64.efi): [secureboot] shim */
};

/* The bit for a boot file name, 0 for other names. */
unsigned decide_have_bit(const char *name);

struct decide_in {
	const struct dhcp_msg *msg; /* the parsed request */
	uint16_t port;		    /* where it arrived: 67 or 4011 */
	uint32_t server_ip;	    /* our address (network order): option 54, siaddr */
	enum decide_inv inv;
	unsigned have;	  /* DECIDE_HAVE_* */
	unsigned foreign; /* DECIDE_HAVE_* of binaries that ask as another class than ours */
};

struct decide_out {
	bool answer;
	const char *row;    /* table row, for logs and tests (see decide.c) */
	const char *why;    /* when !answer: one phrase why not */
	uint8_t reply_type; /* DHCP_OFFER or DHCP_ACK */
	char file[256];	    /* TFTP file name, or an http:// URL */
	bool http;	    /* file is a URL */
	bool httpclient;    /* the client is UEFI HTTP boot: option 60 "HTTPClient" */
	bool bypass43;	    /* option 43 sub-option 6 = 8 (boot this file, no discovery) */
	bool has_arch;
	uint16_t arch;
	const char *class_kind; /* "ours", "iPXE", "other" or "none" (option 77) */
};

/* Decide what the client of in gets under config c. Returns 0 (out filled; out->answer
 * false with out->why for "no answer"), -ENAMETOOLONG when a URL does not fit. */
int decide(const struct site_config *c, const struct decide_in *in, struct decide_out *out);

/* Build the reply for an answering decision into buf (cap >= DHCP_BOOTP_MIN):
 * yiaddr always 0 (we never hand out addresses); siaddr = in->server_ip; options 53,
 * 54, 60 (PXEClient or HTTPClient), 97 echoed as received, 67; option 43 with 6 = 8
 * when o->bypass43, or echoing the boot item (71) of a 4011 request.
 * Returns 0 (*len set) or -ENOSPC. */
int decide_reply(const struct decide_in *in, const struct decide_out *o, uint8_t *buf, size_t cap,
		 size_t *len);

/* Where the reply goes (RFC 2131 4.1, PXE 2.1): giaddr:67 for relayed requests; the
 * sender's address and port for a request on 4011 from a configured client; else the
 * broadcast 255.255.255.255:68 (the client has no address yet, and we never give one).
 * src_ip, *ip in network order. */
void decide_dest(const struct decide_in *in, uint32_t src_ip, uint16_t src_port, uint32_t *ip,
		 uint16_t *port);

/* The URL our own iPXE is offered: http://LISTEN[:PORT]/chain.ipxe, the stub that
 * chains the inventory script with every machine fact (facts.h; all of them would not
 * fit one 255-byte option 67). Returns 0 or -ENAMETOOLONG. */
int decide_script_url(const struct site_config *c, char *out, size_t outsz);

/* http://LISTEN[:PORT] of this server. Returns 0 or -ENAMETOOLONG. */
int decide_base_url(const struct site_config *c, char *out, size_t outsz);

#endif
