/* decide: the proxyDHCP decision table and reply construction. The request (a parsed
 * DHCP packet) is untrusted; it was bounds-checked by dhcp_parse() and is only read
 * through dhcpopt accessors here. Pure functions: the service (proxydhcp.c) does the I/O.
 *
 * Rows, first match wins (README "proxyDHCP: what each client gets"):
 *   not BOOTREQUEST / wrong message for the port           -> no answer
 *   option 60 neither PXEClient nor HTTPClient              -> no answer (not a PXE client)
 *   inventory: boot=local or disabled                      -> no answer
 *   user-class = ours (our iPXE)                           -> the stub /chain.ipxe, which
 *        chains the inventory script with every fact (facts.h)
 *   HTTPClient (UEFI HTTP boot), arch 16 / 19              -> http URL of the EFI binary
 *   user-class iPXE (vendor ROM: QEMU, VirtualBox), arch 0 -> ipxe.pxe (a native-driver
 *        iPXE cannot chain undionly.kpxe), 7/9 -> snponly.efi|ipxe-amd64.efi, 11 -> ipxe-arm64.efi
 *   any other PXE ROM, arch 0 -> undionly.kpxe, 7/9 -> snponly.efi|ipxe-amd64.efi,
 *        11 -> ipxe-arm64.efi, over TFTP only
 *   (either of the two) arch 0 and the BIOS binary does not carry our class -> no
 *        answer, "would-loop" (a stock BIOS iPXE asks as iPXE again)
 *   [secureboot] mode = shim: HTTPClient 16 and PXE ROM 7/9 -> shimx64.efi instead (it
 *        fetches grubx64.efi, our signed iPXE, and mmx64.efi from the same server)
 *   any other architecture                                 -> no answer, logged
 */
#include "decide.h"

#include "facts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

unsigned decide_have_bit(const char *name)
{
	static const struct {
		const char *n;
		unsigned bit;
	} files[] = {
		{ "ipxe.pxe", DECIDE_HAVE_IPXE_PXE },
		{ "undionly.kpxe", DECIDE_HAVE_UNDIONLY },
		{ "snponly.efi", DECIDE_HAVE_SNPONLY },
		{ "ipxe-amd64.efi", DECIDE_HAVE_IPXE_AMD64 },
		{ "ipxe-arm64.efi", DECIDE_HAVE_IPXE_ARM64 },
		{ "shimx64.efi", DECIDE_HAVE_SHIM_X64 },
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (!strcmp(name, files[i].n))
			return files[i].bit;
	return 0;
}

/* http://LISTEN[:PORT] */
int decide_base_url(const struct site_config *c, char *out, size_t outsz)
{
	int n = c->http_port == 80 ? snprintf(out, outsz, "http://%s", c->listen)
				   : snprintf(out, outsz, "http://%s:%u", c->listen, c->http_port);
	return n < 0 || (size_t)n >= outsz ? -ENAMETOOLONG : 0;
}

int decide_script_url(const struct site_config *c, char *out, size_t outsz)
{
	char base[64];
	int n;

	if (decide_base_url(c, base, sizeof(base)))
		return -ENAMETOOLONG;
	/* The stub chains /boot.ipxe with every fact (facts.h): all of them do not fit
	 * one option 67. */
	n = snprintf(out, outsz, "%s/" FACTS_STUB_NAME, base);
	return n < 0 || (size_t)n >= outsz || n > 255 ? -ENAMETOOLONG : 0;
}

static bool is_uefi_arch(uint16_t a)
{
	return a == ARCH_EFI_IA32 || a == ARCH_EFI_BC || a == ARCH_EFI_X64 || a == ARCH_EFI_ARM64;
}

/* The iPXE binary for an architecture, or NULL. */
static const char *binary_for(const struct site_config *c, uint16_t arch, bool bios_native)
{
	switch (arch) {
	case ARCH_BIOS:
		/* A native-driver iPXE ROM has no PXE/UNDI stack to hand over:
		 * undionly.kpxe fails when chained from it, ipxe.pxe brings its own drivers. */
		return bios_native ? "ipxe.pxe" : "undionly.kpxe";
	case ARCH_EFI_BC:
	case ARCH_EFI_X64:
	case ARCH_HTTP_X64:
		/* snponly drives the NIC through the firmware's SNP: it avoids the
		 * VirtualBox E1000 hang when a second driver takes the NIC. */
		return strcmp(c->efi_binary, "ipxe") ? "snponly.efi" : "ipxe-amd64.efi";
	case ARCH_EFI_ARM64:
	case ARCH_HTTP_ARM64:
		return "ipxe-arm64.efi";
	default:
		return NULL;
	}
}

static int no(struct decide_out *o, const char *row, const char *why)
{
	o->answer = false;
	o->row = row;
	o->why = why;
	return 0;
}

/* The message type: which ones get an answer, and of which type. Returns 1 when the
 * message is answered (o->reply_type set), 0 after no(). */
static int decide_reply_type(const struct decide_in *in, struct decide_out *o)
{
	const struct dhcp_msg *m = in->msg;
	int type = dhcp_msg_type(m);
	const uint8_t *v;
	size_t n;

	if (m->h.op != 1)
		return no(o, "ignore", "not a BOOTREQUEST");
	if (in->port == DHCP_PORT_PXE) {
		/* PXE 2.1: the client, configured by then, asks the boot server here. */
		if (type != DHCP_REQUEST && type != DHCP_INFORM)
			return no(o, "ignore", "only REQUEST and INFORM are answered on port 4011");
		o->reply_type = DHCP_ACK;
	} else if (type == DHCP_DISCOVER) {
		o->reply_type = DHCP_OFFER;
	} else if (type == DHCP_INFORM) {
		o->reply_type = DHCP_ACK;
	} else if (type == DHCP_REQUEST) {
		/* A broadcast REQUEST selects the site DHCP server's offer: it is not ours
		 * to ACK. Only a REQUEST naming us as server (option 54) is. */
		v = dhcp_opt_get(m, DHCP_OPT_SERVER_ID, &n);
		if (!v || n != 4 || memcmp(v, &in->server_ip, 4))
			return no(o, "ignore", "REQUEST for another server");
		o->reply_type = DHCP_ACK;
	} else {
		return no(o, "ignore", "not DISCOVER, REQUEST or INFORM");
	}
	return 1;
}

/* The binary for a firmware client (HTTP boot, a vendor's iPXE or a PXE ROM) and the
 * row it takes. Returns the binary's name, or NULL after no(). */
static const char *decide_binary(const struct site_config *c, const struct decide_in *in, bool ipxe,
				 struct decide_out *o)
{
	const char *bin;

	/* PXE 2.0 ROMs may omit option 93 and the "Arch:" field: those were all BIOS. */
	if (!o->has_arch) {
		if (o->httpclient)
			return no(o, "unknown-arch", "HTTPClient without an architecture"), NULL;
		o->arch = ARCH_BIOS;
	}
	if (o->httpclient) {
		/* UEFI HTTP boot loads an EFI binary by URL; only the HTTP arch types. */
		if (o->arch != ARCH_HTTP_X64 && o->arch != ARCH_HTTP_ARM64)
			return no(o, "unknown-arch", "no binary for this HTTP boot architecture"),
			       NULL;
		o->row = "http-boot";
		o->http = true;
		return binary_for(c, o->arch, false);
	}
	bin = binary_for(c, o->arch, ipxe);
	if (!bin || o->arch == ARCH_HTTP_X64 || o->arch == ARCH_HTTP_ARM64)
		return no(o, "unknown-arch", "no binary for this architecture"), NULL;
	if (ipxe) {
		o->row = "vendor-ipxe";
		/* A vendor iPXE speaks HTTP too, should TFTP be off. */
		o->http = !c->tftp;
		return bin;
	}
	if (!c->tftp)
		return no(o, "pxe-rom", "TFTP is off and a PXE ROM loads only by TFTP"), NULL;
	o->row = "pxe-rom";
	/* Both UEFI strategies fail on some firmware (netboot-facts.md): dnsmasq and
	 * pixiecore leave 43 out on 67 so EDK2 asks again on 4011; smee sends 43/6=8 and
	 * boots from the offer. BIOS PXE ROMs get 6=8: without it a PXE 2.1 ROM starts
	 * boot server discovery. auto: 4011 for UEFI (OVMF boots that way), 43 for BIOS. */
	if (in->port != DHCP_PORT_PXE)
		o->bypass43 = !is_uefi_arch(o->arch) || !strcmp(c->uefi_strategy, "option43");
	return bin;
}

/* [secureboot] shim: UEFI x86_64 firmware (PXE or HTTP boot, not an iPXE ROM) gets
 * Debian's shim, which fetches grubx64.efi (our signed iPXE) and, to enrol the key,
 * mmx64.efi from the same server and directory. */
static const char *shim_instead(const struct site_config *c, const struct decide_in *in,
				const struct decide_out *o, const char *bin)
{
	if (c->sb_mode == SITE_SB_SHIM && (in->have & DECIDE_HAVE_SHIM_X64) &&
	    (o->arch == ARCH_EFI_BC || o->arch == ARCH_EFI_X64 || o->arch == ARCH_HTTP_X64))
		return "shimx64.efi";
	return bin;
}

/* The boot file of a firmware client's answer, once its binary is chosen. */
static int decide_file(const struct site_config *c, const struct decide_in *in, const char *bin,
		       struct decide_out *o)
{
	char base[64];

	/* A BIOS iPXE only runs an embedded script (autoexec.ipxe is UEFI-only): a stock
	 * one asks again as iPXE, is offered ipxe.pxe again, and so on for ever. */
	if (o->arch == ARCH_BIOS && (in->foreign & decide_have_bit(bin))) {
		o->row = "would-loop";
		o->why = "the BIOS binary asks DHCP as iPXE (user-class too long to rebrand, or "
			 "rebrand = no): it would loop; use a class of 1-4 bytes or binaries "
			 "from chainboot build-ipxe";
		snprintf(o->file, sizeof(o->file), "%s", bin);
		return 0;
	}
	if (!(in->have & decide_have_bit(bin))) {
		o->row = "missing";
		o->why = "boot file not available (not in the iPXE directory)";
		snprintf(o->file, sizeof(o->file), "%s", bin);
		return 0;
	}
	if (o->http) {
		if (decide_base_url(c, base, sizeof(base)))
			return -ENAMETOOLONG;
		snprintf(o->file, sizeof(o->file), "%s/%s", base, bin);
	} else {
		snprintf(o->file, sizeof(o->file), "%s", bin);
	}
	o->answer = true;
	return 0;
}

int decide(const struct site_config *c, const struct decide_in *in, struct decide_out *o)
{
	const struct dhcp_msg *m = in->msg;
	bool ours, ipxe;
	const char *bin;
	size_t n;

	memset(o, 0, sizeof(*o));
	o->class_kind = "none";
	o->has_arch = dhcp_client_arch(m, &o->arch) == 0;
	ours = dhcp_user_class_is(m, c->user_class, strlen(c->user_class));
	ipxe = !ours && dhcp_user_class_is(m, "iPXE", 4);
	if (ours)
		o->class_kind = "ours";
	else if (ipxe)
		o->class_kind = "iPXE";
	else if (dhcp_opt_get(m, DHCP_OPT_USER_CLASS, &n))
		o->class_kind = "other";

	if (!decide_reply_type(in, o))
		return 0;
	if (dhcp_opt_prefix(m, DHCP_OPT_VENDOR_CLASS, "HTTPClient"))
		o->httpclient = true;
	else if (!dhcp_opt_prefix(m, DHCP_OPT_VENDOR_CLASS, "PXEClient"))
		return no(o, "ignore",
			  "not a PXE client (option 60 is not PXEClient or HTTPClient)");
	if (in->inv == DECIDE_INV_LOCAL)
		return no(o, "local", "inventory: boot=local");
	if (in->inv == DECIDE_INV_DISABLED)
		return no(o, "disabled", "inventory: boot=disabled");

	if (ours) {
		o->answer = true;
		o->row = "script";
		o->http = true;
		if (decide_script_url(c, o->file, sizeof(o->file)))
			return -ENAMETOOLONG;
		return 0;
	}
	bin = decide_binary(c, in, ipxe, o);
	if (bin && !ipxe)
		bin = shim_instead(c, in, o, bin);
	return bin ? decide_file(c, in, bin, o) : 0;
}

int decide_reply(const struct decide_in *in, const struct decide_out *o, uint8_t *buf, size_t cap,
		 size_t *len)
{
	const struct dhcp_msg *m = in->msg;
	struct dhcp_hdr h;
	struct dhcp_build b;
	const uint8_t *v;
	uint8_t enc[64];
	size_t n, enc_len = 0, flen = strlen(o->file);
	const char *vc = o->httpclient ? "HTTPClient" : "PXEClient";

	memset(&h, 0, sizeof(h));
	h.op = 2; /* BOOTREPLY */
	h.htype = m->h.htype;
	h.hlen = m->h.hlen;
	h.xid = m->h.xid;
	h.flags = m->h.flags;
	/* RFC 2131 table 3: ciaddr 0 in an OFFER, the client's own in an ACK. */
	h.ciaddr = o->reply_type == DHCP_ACK ? m->h.ciaddr : 0;
	h.yiaddr = 0; /* never an address: that is the site DHCP server's job */
	/* iPXE ignores a proxy offer's boot file unless next-server is filled. */
	h.siaddr = in->server_ip;
	h.giaddr = m->h.giaddr;
	memcpy(h.chaddr, m->h.chaddr, sizeof(h.chaddr));
	/* The file field when it fits (iPXE prefers it to option 67 when set; some PXE
	 * ROMs read only the field); option 67 always. */
	if (flen < sizeof(h.file))
		memcpy(h.file, o->file, flen);

	dhcp_build_start(&b, buf, cap, &h, o->reply_type);
	dhcp_build_opt(&b, DHCP_OPT_SERVER_ID, &in->server_ip, 4);
	dhcp_build_opt(&b, DHCP_OPT_VENDOR_CLASS, vc, strlen(vc));
	/* PXE 2.1: the GUID comes back as the client sent it (17 bytes, or empty). */
	v = dhcp_opt_get(m, DHCP_OPT_CLIENT_GUID, &n);
	if (v)
		dhcp_build_opt(&b, DHCP_OPT_CLIENT_GUID, v, n);
	if (o->bypass43) {
		uint8_t ctl = 8;
		dhcp_sub_add(enc, sizeof(enc), &enc_len, PXE_SUB_DISCOVERY_CONTROL, &ctl, 1);
	}
	if (in->port == DHCP_PORT_PXE) {
		/* PXE 2.1 2.2.4: the boot server's ACK names the boot item it answers. */
		const uint8_t *req43 = dhcp_opt_get(m, DHCP_OPT_VENDOR, &n), *item;
		size_t ilen;
		if (req43 && !dhcp_sub_get(req43, n, PXE_SUB_BOOT_ITEM, &item, &ilen) && ilen == 4)
			dhcp_sub_add(enc, sizeof(enc), &enc_len, PXE_SUB_BOOT_ITEM, item, ilen);
	}
	if (enc_len) {
		enc[enc_len++] = DHCP_OPT_END;
		dhcp_build_opt(&b, DHCP_OPT_VENDOR, enc, enc_len);
	}
	dhcp_build_opt(&b, DHCP_OPT_BOOTFILE, o->file, flen);
	return dhcp_build_finish(&b, len);
}

void decide_dest(const struct decide_in *in, uint32_t src_ip, uint16_t src_port, uint32_t *ip,
		 uint16_t *port)
{
	const struct dhcp_msg *m = in->msg;

	if (m->h.giaddr) {
		*ip = m->h.giaddr;
		*port = DHCP_PORT_SERVER;
	} else if (in->port == DHCP_PORT_PXE && src_ip) {
		*ip = src_ip;
		*port = src_port;
	} else {
		*ip = htonl(INADDR_BROADCAST);
		*port = DHCP_PORT_CLIENT;
	}
}
