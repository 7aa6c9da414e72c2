/* test_decide: the proxyDHCP decision table, one check per row, and the reply built
 * for each row (parsed back with dhcp_parse): no address, siaddr, 54, 60, 97, 67, 43. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "decide.h"
#include "test.h"

static struct site_config cfg;
static struct dhcp_msg req, rep;
static uint32_t server_ip;

struct client {
	uint8_t type;
	const char *vc;	    /* option 60, NULL = absent */
	int arch;	    /* option 93, -1 = absent */
	const char *uc;	    /* option 77 raw, NULL = absent */
	int guid;	    /* -1 absent, 0 empty, 17 type-0 GUID */
	uint32_t giaddr;    /* network order */
	uint32_t sid;	    /* option 54, 0 = absent */
	const char *item71; /* option 43 sub-option 71 (4 bytes), NULL = absent */
	uint8_t op;
};

/* A client: message type, option 60, 93 (-1 absent), 77 (NULL absent), 97 length (-1 absent). */
#define CL(t, v, a, u, g) \
	((struct client){ .type = (t), .vc = (v), .arch = (a), .uc = (u), .guid = (g) })

static const uint8_t guid17[17] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static void make_req(const struct client *c)
{
	uint8_t buf[1024];
	struct dhcp_hdr h = { .op = c->op ? c->op : 1,
			      .htype = 1,
			      .hlen = 6,
			      .xid = 0xabcdef01,
			      .giaddr = c->giaddr };
	struct dhcp_build b;
	size_t len;

	memcpy(h.chaddr, "\x52\x54\x00\xaa\xbb\xcc", 6);
	dhcp_build_start(&b, buf, sizeof(buf), &h, c->type);
	if (c->vc)
		dhcp_build_opt(&b, DHCP_OPT_VENDOR_CLASS, c->vc, strlen(c->vc));
	if (c->arch >= 0) {
		uint8_t a[2] = { (uint8_t)(c->arch >> 8), (uint8_t)c->arch };
		dhcp_build_opt(&b, DHCP_OPT_CLIENT_ARCH, a, 2);
	}
	if (c->uc)
		dhcp_build_opt(&b, DHCP_OPT_USER_CLASS, c->uc, strlen(c->uc));
	if (c->guid >= 0)
		dhcp_build_opt(&b, DHCP_OPT_CLIENT_GUID, guid17, (size_t)c->guid);
	if (c->sid)
		dhcp_build_opt(&b, DHCP_OPT_SERVER_ID, &c->sid, 4);
	if (c->item71) {
		uint8_t enc[8] = { 71, 4 };
		memcpy(enc + 2, c->item71, 4);
		enc[6] = 255;
		dhcp_build_opt(&b, DHCP_OPT_VENDOR, enc, 7);
	}
	if (dhcp_build_finish(&b, &len) || dhcp_parse(buf, len, &req, NULL))
		printf("# test setup: request did not build\n");
}

static struct decide_out out;
static struct decide_in in;

/* Decide for client c arriving on port; returns decide()'s rc. */
static unsigned foreign; /* binaries that ask as another class (run() passes it on) */

static int run(const struct client *c, uint16_t port, enum decide_inv inv, unsigned have)
{
	make_req(c);
	in = (struct decide_in){ .msg = &req,
				 .port = port,
				 .server_ip = server_ip,
				 .inv = inv,
				 .have = have,
				 .foreign = foreign };
	return decide(&cfg, &in, &out);
}

/* Build and parse the reply of the last decision. */
static int reply(void)
{
	uint8_t buf[DHCP_MAX_LEN];
	size_t len;
	int rc = decide_reply(&in, &out, buf, sizeof(buf), &len);
	if (rc)
		return rc;
	return dhcp_parse(buf, len, &rep, NULL);
}

static bool opt_is(uint8_t code, const void *val, size_t n)
{
	size_t len;
	const uint8_t *v = dhcp_opt_get(&rep, code, &len);
	return v && len == n && !memcmp(v, val, n);
}

/* The invariants of every reply: BOOTREPLY, same xid and chaddr, no address, siaddr
 * and option 54 = us, 60 echo, 67 = the file. */
static bool reply_common(const char *vc)
{
	return rep.h.op == 2 && rep.h.xid == 0xabcdef01 &&
	       !memcmp(rep.h.chaddr, "\x52\x54\x00\xaa\xbb\xcc", 6) && rep.h.yiaddr == 0 &&
	       rep.h.siaddr == server_ip && opt_is(DHCP_OPT_SERVER_ID, &server_ip, 4) &&
	       opt_is(DHCP_OPT_VENDOR_CLASS, vc, strlen(vc)) &&
	       opt_is(DHCP_OPT_BOOTFILE, out.file, strlen(out.file));
}

static bool has43_bypass(void)
{
	size_t n, sl;
	const uint8_t *v = dhcp_opt_get(&rep, DHCP_OPT_VENDOR, &n), *s;
	return v && dhcp_sub_get(v, n, PXE_SUB_DISCOVERY_CONTROL, &s, &sl) == 0 && sl == 1 &&
	       s[0] == 8;
}

#define PXE_BIOS "PXEClient:Arch:00000:UNDI:002001"
#define PXE_EFI	 "PXEClient:Arch:00007:UNDI:003016"

int main(void)
{
	struct client c;
	size_t n;

	site_defaults(&cfg);
	snprintf(cfg.listen, sizeof(cfg.listen), "198.51.100.2");
	inet_pton(AF_INET, "198.51.100.2", &server_ip);
	const unsigned ALL = DECIDE_HAVE_ALL;

	/* ---- row: our user-class -> the inventory script URL ---- */
	c = CL(DHCP_DISCOVER, PXE_BIOS, 0, "CSTM", 17);
	ok(run(&c, 67, DECIDE_INV_UNKNOWN, ALL) == 0 && out.answer && !strcmp(out.row, "script") &&
		   out.http,
	   "ours: answered with the script (row %s)", out.row);
	ok(!strcmp(out.file, "http://198.51.100.2/chain.ipxe"),
	   "ours: the fact stub's URL (it chains the script with every fact): %s", out.file);
	ok(reply() == 0 && reply_common("PXEClient") && !dhcp_opt_get(&rep, DHCP_OPT_VENDOR, &n),
	   "ours: OFFER with option 67, no option 43");
	ok(dhcp_msg_type(&rep) == DHCP_OFFER && opt_is(DHCP_OPT_CLIENT_GUID, guid17, 17),
	   "ours: OFFER, 97 echoed (17)");
	c.type = DHCP_REQUEST;
	ok(run(&c, 4011, DECIDE_INV_NETBOOT, ALL) == 0 && out.answer && out.reply_type == DHCP_ACK,
	   "ours on 4011: ACK");
	cfg.http_port = 8080;
	run(&c, 4011, DECIDE_INV_NETBOOT, ALL);
	ok(!strcmp(out.file, "http://198.51.100.2:8080/chain.ipxe"),
	   "ours: port in the URL when not 80");
	cfg.http_port = 80;
	/* An RFC 3004 encoded class matches as well. */
	c = CL(DHCP_DISCOVER, PXE_EFI, 7,
	       "\x04"
	       "CSTM",
	       -1);
	ok(run(&c, 67, DECIDE_INV_UNKNOWN, ALL) == 0 && !strcmp(out.row, "script"),
	   "ours in RFC 3004 form");
	/* A 200-byte class: the offer stays short (the class goes in the stub). */
	memset(cfg.user_class, 'A', 200);
	cfg.user_class[200] = '\0';
	c = CL(DHCP_DISCOVER, PXE_EFI, 7, cfg.user_class, -1);
	ok(run(&c, 67, DECIDE_INV_UNKNOWN, ALL) == 0 && out.answer &&
		   !strcmp(out.file, "http://198.51.100.2/chain.ipxe"),
	   "ours with a 200-byte class: the same short URL");
	snprintf(cfg.user_class, sizeof(cfg.user_class), "CSTM");

	/* ---- BIOS binaries that do not carry our class: no answer, they would loop ---- */
	foreign = DECIDE_HAVE_ALL;
	c = CL(DHCP_DISCOVER, PXE_BIOS, 0, "iPXE", 17);
	ok(run(&c, 67, DECIDE_INV_UNKNOWN, ALL) == 0 && !out.answer &&
		   !strcmp(out.row, "would-loop") && strstr(out.why, "loop"),
	   "stock BIOS binary, vendor iPXE: no answer (row %s)", out.row);
	c = CL(DHCP_DISCOVER, PXE_BIOS, 0, NULL, 17);
	ok(run(&c, 67, DECIDE_INV_UNKNOWN, ALL) == 0 && !out.answer &&
		   !strcmp(out.row, "would-loop"),
	   "stock BIOS binary, PXE ROM: no answer (row %s)", out.row);
	c = CL(DHCP_DISCOVER, PXE_EFI, 7, "iPXE", 17);
	ok(run(&c, 67, DECIDE_INV_UNKNOWN, ALL) == 0 && out.answer &&
		   !strcmp(out.file, "snponly.efi"),
	   "stock UEFI binary: served (autoexec.ipxe sets the class)");
	c = CL(DHCP_DISCOVER, PXE_BIOS, 0, "CSTM", 17);
	ok(run(&c, 67, DECIDE_INV_UNKNOWN, ALL) == 0 && out.answer && !strcmp(out.row, "script"),
	   "our class is still offered the script");
	foreign = DECIDE_HAVE_UNDIONLY;
	c = CL(DHCP_DISCOVER, PXE_BIOS, 0, "iPXE", 17);
	ok(run(&c, 67, DECIDE_INV_UNKNOWN, ALL) == 0 && out.answer && !strcmp(out.file, "ipxe.pxe"),
	   "only the binary offered counts: ipxe.pxe carries our class");
	foreign = 0;

	/* ---- row: vendor iPXE (class iPXE) ---- */
	c = CL(DHCP_DISCOVER, PXE_BIOS, 0, "iPXE", 17);
	ok(run(&c, 67, DECIDE_INV_UNKNOWN, ALL) == 0 && out.answer &&
		   !strcmp(out.row, "vendor-ipxe") && !strcmp(out.file, "ipxe.pxe") && !out.http,
	   "vendor iPXE BIOS: ipxe.pxe over TFTP (got %s)", out.file);
	ok(reply() == 0 && reply_common("PXEClient") && !strcmp((char *)rep.h.file, "ipxe.pxe") &&
		   !has43_bypass(),
	   "vendor iPXE BIOS: file field and 67, siaddr, no option 43");
	c = CL(DHCP_DISCOVER, PXE_EFI, 7, "iPXE", 17);
	ok(run(&c, 67, 0, ALL) == 0 && !strcmp(out.file, "snponly.efi"),
	   "vendor iPXE EFI arch 7: snponly.efi");
	c.arch = 9;
	ok(run(&c, 67, 0, ALL) == 0 && !strcmp(out.file, "snponly.efi"),
	   "vendor iPXE EFI arch 9: snponly.efi");
	snprintf(cfg.efi_binary, sizeof(cfg.efi_binary), "ipxe");
	ok(run(&c, 67, 0, ALL) == 0 && !strcmp(out.file, "ipxe-amd64.efi"),
	   "efi_binary = ipxe: ipxe-amd64.efi");
	snprintf(cfg.efi_binary, sizeof(cfg.efi_binary), "snponly");
	c.arch = 11;
	ok(run(&c, 67, 0, ALL) == 0 && !strcmp(out.file, "ipxe-arm64.efi"),
	   "vendor iPXE arm64: ipxe-arm64.efi");
	c.arch = 6;
	ok(run(&c, 67, 0, ALL) == 0 && !out.answer && !strcmp(out.row, "unknown-arch"),
	   "vendor iPXE IA32 EFI: no answer");
	c = CL(DHCP_DISCOVER, PXE_BIOS, 0, "iPXE", -1);
	cfg.tftp = false;
	ok(run(&c, 67, 0, ALL) == 0 && out.answer &&
		   !strcmp(out.file, "http://198.51.100.2/ipxe.pxe"),
	   "vendor iPXE with TFTP off: the binary by HTTP (%s)", out.file);
	cfg.tftp = true;
	ok(run(&c, 67, 0, ALL & ~DECIDE_HAVE_IPXE_PXE) == 0 && !out.answer &&
		   !strcmp(out.row, "missing"),
	   "vendor iPXE BIOS without ipxe.pxe on the server: no answer");

	/* ---- row: PXE ROM by option 93 ---- */
	c = CL(DHCP_DISCOVER, PXE_BIOS, 0, NULL, 17);
	ok(run(&c, 67, 0, ALL) == 0 && out.answer && !strcmp(out.row, "pxe-rom") &&
		   !strcmp(out.file, "undionly.kpxe"),
	   "PXE ROM BIOS: undionly.kpxe");
	ok(reply() == 0 && reply_common("PXEClient") && has43_bypass(),
	   "PXE ROM BIOS: 43/6=8 on 67");
	c = CL(DHCP_DISCOVER, "PXEClient", -1, NULL, -1);
	ok(run(&c, 67, 0, ALL) == 0 && out.answer && !strcmp(out.file, "undionly.kpxe"),
	   "PXE 2.0 ROM without option 93: taken as BIOS");
	ok(reply() == 0 && !dhcp_opt_get(&rep, DHCP_OPT_CLIENT_GUID, &n),
	   "no 97 in the request: none in the reply");
	c = CL(DHCP_DISCOVER, PXE_EFI, 7, NULL, 0);
	ok(run(&c, 67, 0, ALL) == 0 && out.answer && !strcmp(out.file, "snponly.efi") &&
		   !out.bypass43,
	   "PXE ROM UEFI, strategy auto: snponly.efi, no option 43 on 67 (EDK2 asks on 4011)");
	ok(reply() == 0 && reply_common("PXEClient") && !dhcp_opt_get(&rep, DHCP_OPT_VENDOR, &n) &&
		   opt_is(DHCP_OPT_CLIENT_GUID, "", 0),
	   "PXE ROM UEFI auto: reply without 43, empty 97 echoed empty");
	/* [secureboot] shim: UEFI x86_64 firmware gets shim (when served); iPXE ROMs, arm64,
	 * BIOS and our own class do not. */
	cfg.sb_mode = SITE_SB_SHIM;
	ok(run(&c, 67, 0, ALL | DECIDE_HAVE_SHIM_X64) == 0 && out.answer &&
		   !strcmp(out.file, "shimx64.efi") && !strcmp(out.row, "pxe-rom"),
	   "shim mode: PXE ROM UEFI x86_64 gets shimx64.efi (%s)", out.file);
	ok(run(&c, 67, 0, ALL) == 0 && !strcmp(out.file, "snponly.efi"),
	   "shim mode without shim served: snponly.efi");
	c.arch = 11;
	ok(run(&c, 67, 0, ALL | DECIDE_HAVE_SHIM_X64) == 0 && !strcmp(out.file, "ipxe-arm64.efi"),
	   "shim mode: arm64 PXE still gets ipxe-arm64.efi");
	c = CL(DHCP_DISCOVER, PXE_EFI, 7, "iPXE", 17);
	ok(run(&c, 67, 0, ALL | DECIDE_HAVE_SHIM_X64) == 0 && !strcmp(out.file, "snponly.efi"),
	   "shim mode: a vendor iPXE ROM gets snponly.efi, not shim");
	c = CL(DHCP_DISCOVER, PXE_EFI, 7, "CSTM", 17);
	ok(run(&c, 67, 0, ALL | DECIDE_HAVE_SHIM_X64) == 0 && !strcmp(out.row, "script"),
	   "shim mode: our class still gets the script");
	cfg.sb_mode = SITE_SB_OFF;
	c = CL(DHCP_DISCOVER, PXE_EFI, 7, NULL, 0);
	ok(run(&c, 67, 0, ALL | DECIDE_HAVE_SHIM_X64) == 0 && !strcmp(out.file, "snponly.efi"),
	   "mode off: shim never offered");
	snprintf(cfg.uefi_strategy, sizeof(cfg.uefi_strategy), "option43");
	ok(run(&c, 67, 0, ALL) == 0 && out.bypass43 && reply() == 0 && has43_bypass(),
	   "PXE ROM UEFI, strategy option43: 43/6=8 on 67");
	snprintf(cfg.uefi_strategy, sizeof(cfg.uefi_strategy), "4011");
	ok(run(&c, 67, 0, ALL) == 0 && !out.bypass43, "PXE ROM UEFI, strategy 4011: no 43 on 67");
	c.type = DHCP_REQUEST;
	c.item71 = "\x00\x00\x00\x00";
	ok(run(&c, 4011, 0, ALL) == 0 && out.answer && out.reply_type == DHCP_ACK && !out.bypass43,
	   "PXE ROM UEFI on 4011: ACK");
	ok(reply() == 0 && reply_common("PXEClient") && dhcp_msg_type(&rep) == DHCP_ACK &&
		   !has43_bypass(),
	   "4011 ACK carries the file and no 6=8");
	{
		const uint8_t *v = dhcp_opt_get(&rep, DHCP_OPT_VENDOR, &n), *s;
		size_t sl;
		ok(v && dhcp_sub_get(v, n, PXE_SUB_BOOT_ITEM, &s, &sl) == 0 && sl == 4,
		   "4011 ACK echoes boot item 71");
	}
	/* README's decision table, row by row: auto and 4011 are one strategy; the port-67
	 * OFFER names the boot file under both (only option 43 is left out), and option43
	 * still answers a client that asks on 4011 anyway. */
	{
		static const char *strategies[] = { "auto", "4011", "option43" };
		for (unsigned i = 0; i < 3; i++) {
			bool o43 = i == 2;
			snprintf(cfg.uefi_strategy, sizeof(cfg.uefi_strategy), "%s", strategies[i]);
			c = CL(DHCP_DISCOVER, PXE_EFI, 7, NULL, 17);
			ok(run(&c, 67, 0, ALL) == 0 && out.answer && reply() == 0 &&
				   reply_common("PXEClient") &&
				   !strcmp((const char *)rep.h.file, "snponly.efi") &&
				   dhcp_msg_type(&rep) == DHCP_OFFER && has43_bypass() == o43 &&
				   (o43 || !dhcp_opt_get(&rep, DHCP_OPT_VENDOR, &n)),
			   "uefi_strategy %s: the port-67 OFFER carries snponly.efi, %s",
			   strategies[i], o43 ? "with 43/6=8" : "without option 43");
			c.type = DHCP_REQUEST;
			c.item71 = "\x00\x00\x00\x00";
			ok(run(&c, 4011, 0, ALL) == 0 && out.answer && reply() == 0 &&
				   dhcp_msg_type(&rep) == DHCP_ACK && reply_common("PXEClient") &&
				   !has43_bypass(),
			   "uefi_strategy %s: a REQUEST on 4011 gets an ACK with snponly.efi",
			   strategies[i]);
		}
	}
	snprintf(cfg.uefi_strategy, sizeof(cfg.uefi_strategy), "auto");
	c = CL(DHCP_DISCOVER, "PXEClient:Arch:00011:UNDI:003016", 11, NULL, 17);
	ok(run(&c, 67, 0, ALL) == 0 && !strcmp(out.file, "ipxe-arm64.efi"),
	   "PXE ROM arm64: ipxe-arm64.efi");
	c = CL(DHCP_DISCOVER, PXE_BIOS, 0, NULL, 17);
	cfg.tftp = false;
	ok(run(&c, 67, 0, ALL) == 0 && !out.answer && !strcmp(out.row, "pxe-rom"),
	   "PXE ROM with TFTP off: no answer");
	cfg.tftp = true;
	c.arch = 10;
	ok(run(&c, 67, 0, ALL) == 0 && !out.answer && !strcmp(out.row, "unknown-arch"),
	   "arch 10 (ARM32): no answer");
	c.arch = 6;
	ok(run(&c, 67, 0, ALL) == 0 && !out.answer && !strcmp(out.row, "unknown-arch"),
	   "arch 6 (IA32 EFI): no answer");

	/* ---- row: UEFI HTTP boot ---- */
	c = CL(DHCP_DISCOVER, "HTTPClient:Arch:00016:UNDI:003001", 16, NULL, 17);
	ok(run(&c, 67, 0, ALL) == 0 && out.answer && !strcmp(out.row, "http-boot") &&
		   !strcmp(out.file, "http://198.51.100.2/snponly.efi"),
	   "HTTPClient x86_64: URL of snponly.efi (%s)", out.file);
	ok(reply() == 0 && reply_common("HTTPClient") && !strcmp((char *)rep.h.file, out.file) &&
		   !dhcp_opt_get(&rep, DHCP_OPT_VENDOR, &n),
	   "HTTPClient: 60 HTTPClient, URL in file and 67, no 43");
	c.arch = 19;
	ok(run(&c, 67, 0, ALL) == 0 && !strcmp(out.file, "http://198.51.100.2/ipxe-arm64.efi"),
	   "HTTPClient arm64");
	c.arch = 15;
	ok(run(&c, 67, 0, ALL) == 0 && !out.answer && !strcmp(out.row, "unknown-arch"),
	   "HTTPClient x86 (15): no answer");
	c.arch = -1;
	c.vc = "HTTPClient";
	ok(run(&c, 67, 0, ALL) == 0 && !out.answer, "HTTPClient without arch: no answer");

	/* ---- rows that never answer ---- */
	c = CL(DHCP_DISCOVER, NULL, 0, NULL, -1);
	ok(run(&c, 67, 0, ALL) == 0 && !out.answer && !strcmp(out.row, "ignore"),
	   "no option 60: not a PXE client");
	c.vc = "MSFT 5.0";
	ok(run(&c, 67, 0, ALL) == 0 && !out.answer, "option 60 MSFT 5.0: no answer");
	c.vc = "PXECl";
	ok(run(&c, 67, 0, ALL) == 0 && !out.answer, "truncated PXEClient: no answer");
	c = CL(DHCP_DISCOVER, PXE_BIOS, 0, "CSTM", 17);
	ok(run(&c, 67, DECIDE_INV_LOCAL, ALL) == 0 && !out.answer && !strcmp(out.row, "local"),
	   "inventory boot=local: no answer, even to our iPXE");
	c = CL(DHCP_REQUEST, PXE_BIOS, 0, "iPXE", 17);
	inet_pton(AF_INET, "198.51.100.1", &c.sid);
	ok(run(&c, 67, 0, ALL) == 0 && !out.answer,
	   "REQUEST on 67 for the site DHCP server: not ours");
	c.sid = server_ip;
	ok(run(&c, 67, 0, ALL) == 0 && out.answer && out.reply_type == DHCP_ACK,
	   "REQUEST on 67 naming us: ACK");
	c.sid = 0;
	ok(run(&c, 67, 0, ALL) == 0 && !out.answer, "REQUEST on 67 without server id: not ours");
	c = CL(DHCP_INFORM, PXE_BIOS, 0, "iPXE", 17);
	ok(run(&c, 67, 0, ALL) == 0 && out.answer && out.reply_type == DHCP_ACK,
	   "INFORM on 67: ACK");
	c.type = DHCP_DISCOVER;
	ok(run(&c, 4011, 0, ALL) == 0 && !out.answer, "DISCOVER on 4011: no answer");
	c.type = DHCP_RELEASE;
	ok(run(&c, 67, 0, ALL) == 0 && !out.answer, "RELEASE: no answer");
	c.type = DHCP_DISCOVER;
	c.op = 2;
	ok(run(&c, 67, 0, ALL) == 0 && !out.answer, "a BOOTREPLY is never answered");

	/* ---- where replies go ---- */
	uint32_t ip, client_ip, relay;
	uint16_t port;
	inet_pton(AF_INET, "198.51.100.150", &client_ip);
	inet_pton(AF_INET, "198.51.100.254", &relay);
	c = CL(DHCP_DISCOVER, PXE_BIOS, 0, "iPXE", 17);
	run(&c, 67, 0, ALL);
	decide_dest(&in, 0, 68, &ip, &port);
	ok(ip == htonl(INADDR_BROADCAST) && port == 68, "DISCOVER: to 255.255.255.255:68");
	c.giaddr = relay;
	run(&c, 67, 0, ALL);
	decide_dest(&in, relay, 67, &ip, &port);
	ok(ip == relay && port == 67, "relayed: to giaddr:67");
	ok(reply() == 0 && rep.h.giaddr == relay && rep.h.yiaddr == 0,
	   "relayed reply keeps giaddr, no address");
	c = CL(DHCP_REQUEST, PXE_EFI, 7, NULL, 17);
	run(&c, 4011, 0, ALL);
	decide_dest(&in, client_ip, 68, &ip, &port);
	ok(ip == client_ip && port == 68, "4011 REQUEST: back to the sender");
	decide_dest(&in, 0, 68, &ip, &port);
	ok(ip == htonl(INADDR_BROADCAST) && port == 68, "4011 from 0.0.0.0: broadcast");

	ok(decide_have_bit("ipxe.pxe") == DECIDE_HAVE_IPXE_PXE &&
		   decide_have_bit("autoexec.ipxe") == 0,
	   "have bits");
	return test_done();
}
