/* test_siteconf: site file parsing — defaults, every key, and the error messages. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "siteconf.h"
#include "test.h"

static char tmpl[] = "/tmp/cbsite.XXXXXX";

/* Write text to a temp file and load it on top of defaults. */
static int load_text(const char *text, struct site_config *c, struct diag *d)
{
	int fd = mkstemp(tmpl);
	int rc;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -EIO;
	close(fd);
	site_defaults(c);
	diag_clear(d);
	rc = site_load(c, tmpl, d);
	unlink(tmpl);
	strcpy(tmpl, "/tmp/cbsite.XXXXXX");
	return rc;
}

/* Load "[static]\nhost = <value>" and expect rc; the message must hold want (or be empty). */
static void static_case(const char *value, int want_rc, const char *want, const char *desc)
{
	static struct site_config c;
	struct diag d = { { 0 } };
	char text[512];
	int rc;

	snprintf(text, sizeof(text), "[static]\nhost = %s\n", value);
	rc = load_text(text, &c, &d);
	ok(rc == want_rc && (!want || strstr(d.msg, want)), "[static] %s: \"%s\" -> %d %s", desc,
	   value, rc, d.msg);
}

/* [chain] vlan and the [static] section: what is stored, and every refusal's sentence. */
static void test_vlan_static(void)
{
	static struct site_config c;
	struct diag d = { { 0 } };
	int rc;

	site_defaults(&c);
	ok(c.vlan == 0 && c.n_statics == 0, "default: no VLAN, no [static] entries");
	rc = load_text("[chain]\nvlan = 100\n", &c, &d);
	ok(rc == 0 && c.vlan == 100, "vlan = 100 read");
	rc = load_text("[chain]\nvlan = 4094\n", &c, &d);
	ok(rc == 0 && c.vlan == 4094, "vlan = 4094 read");
	rc = load_text("[chain]\nvlan = 0\n", &c, &d);
	ok(rc == 0 && c.vlan == 0, "vlan = 0: no VLAN");
	rc = load_text("[chain]\nvlan = 4095\n", &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, ":2: vlan: \"4095\" is not a VLAN ID from 1 to 4094"),
	   "vlan 4095 refused with file:line and the range: %s", d.msg);
	rc = load_text("[chain]\nvlan = ten\n", &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, "\"ten\" is not a VLAN ID"), "vlan ten refused: %s",
	   d.msg);
	diag_clear(&d);
	site_defaults(&c);
	ok(site_set(&c, "chain", "vlan", "-1", "--vlan", &d) == -EINVAL &&
		   strstr(d.msg, "--vlan: vlan: \"-1\""),
	   "--vlan -1 refused, named by its flag: %s", d.msg);

	rc = load_text("[static]\nhost = any 198.51.100.60/24\n"
		       "host = 52:54:00:AA:BB:CC 198.51.100.50/25 gateway 198.51.100.1 dns "
		       "198.51.100.53\n"
		       "host = 52-54-00-aa-bb-cd\t198.51.100.51/32\n",
		       &c, &d);
	ok(rc == 0 && c.n_statics == 3, "three [static] entries read (%s)", d.msg);
	ok(rc == 0 && c.statics[0].mac[0] == '\0' && !strcmp(c.statics[0].addr, "198.51.100.60") &&
		   !strcmp(c.statics[0].netmask, "255.255.255.0") && !c.statics[0].gateway[0] &&
		   c.statics[0].line == 2,
	   "any: address, netmask from /24, no gateway, line 2");
	ok(rc == 0 && !strcmp(c.statics[1].mac, "52:54:00:aa:bb:cc") &&
		   !strcmp(c.statics[1].netmask, "255.255.255.128") &&
		   !strcmp(c.statics[1].gateway, "198.51.100.1") &&
		   !strcmp(c.statics[1].dns, "198.51.100.53") && c.statics[1].prefix == 25,
	   "MAC entry: lower case, /25 netmask, gateway, dns");
	ok(rc == 0 && !strcmp(c.statics[2].mac, "52:54:00:aa:bb:cd") &&
		   !strcmp(c.statics[2].netmask, "255.255.255.255"),
	   "dashes and a tab accepted; /32");

	static_case("52:54:00:aa:bb 198.51.100.50/24", -EINVAL,
		    "\"52:54:00:aa:bb\" is not a MAC address", "short MAC");
	static_case("52:54:00:aa:bb:zz 198.51.100.50/24", -EINVAL, "is not a MAC address",
		    "bad hex");
	static_case("52:54-00:aa:bb:cc 198.51.100.50/24", -EINVAL, "is not a MAC address",
		    "mixed separators");
	static_case("01:00:5e:00:00:01 198.51.100.50/24", -EINVAL, "multicast MAC", "multicast");
	static_case("52:54:00:aa:bb:cc", -EINVAL, "needs at least a MAC", "no address");
	static_case("52:54:00:aa:bb:cc 198.51.100.50", -EINVAL, "has no /PREFIX", "no prefix");
	static_case("52:54:00:aa:bb:cc 198.51.100.500/24", -EINVAL,
		    "\"198.51.100.500\" is not an IPv4 address", "bad address");
	static_case("52:54:00:aa:bb:cc 198.51.100.50/33", -EINVAL,
		    "prefix \"/33\" is not a whole number from 1 to 32", "prefix 33");
	static_case("52:54:00:aa:bb:cc 198.51.100.50/0", -EINVAL, "from 1 to 32", "prefix 0");
	static_case("52:54:00:aa:bb:cc 198.51.100.50/2x", -EINVAL, "from 1 to 32", "prefix junk");
	static_case("52:54:00:aa:bb:cc 198.51.100.0/24", -EINVAL, "is the network address",
		    "network address");
	static_case("52:54:00:aa:bb:cc 198.51.100.255/24", -EINVAL, "is the broadcast address",
		    "broadcast address");
	static_case("52:54:00:aa:bb:cc 127.0.0.5/8", -EINVAL, "loopback", "loopback");
	static_case("52:54:00:aa:bb:cc 224.0.0.5/8", -EINVAL, "multicast", "multicast address");
	static_case("52:54:00:aa:bb:cc 198.51.100.50/24 gateway 203.0.113.1", -EINVAL,
		    "gateway 203.0.113.1 is outside the machine's subnet 198.51.100.50/24",
		    "gateway off the subnet");
	static_case("52:54:00:aa:bb:cc 198.51.100.50/24 gateway 198.51.100.50", -EINVAL,
		    "the machine's own address", "gateway = address");
	static_case("52:54:00:aa:bb:cc 198.51.100.50/24 gateway", -EINVAL,
		    "gateway: needs an IPv4 address", "gateway without a value");
	static_case("52:54:00:aa:bb:cc 198.51.100.50/24 dns x", -EINVAL,
		    "dns: \"x\" is not an IPv4 address", "bad dns");
	static_case("52:54:00:aa:bb:cc 198.51.100.50/24 dns 198.51.100.1 dns 198.51.100.2", -EINVAL,
		    "dns is given twice", "dns twice");
	static_case("52:54:00:aa:bb:cc 198.51.100.50/24 gw 198.51.100.1", -EINVAL,
		    "\"gw\" is not a keyword here", "unknown keyword");

	rc = load_text("[static]\nhost = 52:54:00:aa:bb:cc 198.51.100.50/24\n"
		       "host = 52-54-00-AA-BB-CC 198.51.100.51/24\n",
		       &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, ":3: [static] host: 52:54:00:aa:bb:cc already has an "
					  "entry at line 2"),
	   "the same MAC twice (other spelling) refused, naming both lines: %s", d.msg);
	rc = load_text("[static]\nhost = any 198.51.100.50/24\nhost = any 198.51.100.51/24\n", &c,
		       &d);
	ok(rc == -EINVAL && strstr(d.msg, ":3: [static] host: any already has an entry at line 2"),
	   "two entries for any MAC refused: %s", d.msg);
	rc = load_text("[static]\n52:54:00:aa:bb:cc = 198.51.100.50/24\n", &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, "a MAC cannot be the key") &&
		   strstr(d.msg, "write host = 52:54:00:aa:bb:cc 198.51.100.50/24"),
	   "a MAC as the key: says to write host = MAC ...: %s", d.msg);
	rc = load_text("[static]\naddress = 198.51.100.50/24\n", &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, "[static] address: unknown key (allowed: host"),
	   "unknown key in [static]: %s", d.msg);
	rc = load_text("[static]\nhost = 52:54:00:aa:bb:cc 198.51.100.50/24\n[static]\n", &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, "the section is already opened at line 1"),
	   "[static] opened twice: %s", d.msg);
	rc = load_text("[statik]\n", &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, "[secureboot], [static])"),
	   "an unknown section lists [static]: %s", d.msg);
}

int main(void)
{
	static struct site_config c;
	struct diag d = { { 0 } };
	int rc;

	site_defaults(&c);
	ok(!strcmp(c.user_class, "CSTM"), "default user-class is CSTM");
	ok(c.arch == (SITE_ARCH_X86_64 | SITE_ARCH_ARM64), "default arch is x86_64 and arm64");
	ok(!strcmp(c.layout, "hybrid"), "default layout is hybrid");
	ok(site_validate(&c, &d) == -EINVAL && strstr(d.msg, "no inventory URL"),
	   "no URL is an error");

	rc = load_text("[site]\nuser_class = LAB\nlabel = BOOT_1\n[chain]\n"
		       "url = http://198.51.100.1/a.ipxe?x=1&y=2\nurl = https://198.51.100.2/b\n"
		       "rounds = 5\nbackoff=0\ndhcp_tries = 2\nhttp_timeout = 9\nmenu_timeout = 0\n"
		       "try_offered = no\n[image]\nlayout = usb\narch = arm64\n[server]\nlisten = "
		       "198.51.100.2\n",
		       &c, &d);
	ok(rc == 0, "good file loads (rc=%d %s)", rc, d.msg);
	ok(!strcmp(c.user_class, "LAB") && !strcmp(c.label, "BOOT_1"), "site keys read");
	ok(c.n_urls == 2 && !strcmp(c.urls[0], "http://198.51.100.1/a.ipxe?x=1&y=2") &&
		   !strcmp(c.urls[1], "https://198.51.100.2/b"),
	   "URLs kept in order, & intact");
	ok(c.rounds == 5 && c.backoff == 0 && c.dhcp_tries == 2 && c.http_timeout == 9 &&
		   c.menu_timeout == 0,
	   "numbers read");
	ok(!c.try_offered, "boolean read");
	ok(!strcmp(c.layout, "usb") && c.arch == SITE_ARCH_ARM64, "image keys read");
	ok(site_validate(&c, &d) == 0, "validates");
	ok(!strcmp(c.listen, "198.51.100.2") && c.http_port == 80 && c.proxydhcp && c.tftp &&
		   c.timeline,
	   "[server] read, defaults kept");
	rc = load_text("[server]\ntimeline = no\ntftp = no\n", &c, &d);
	ok(rc == 0 && !c.timeline && !c.tftp && c.proxydhcp, "timeline = no read (rc=%d)", rc);

	rc = load_text(
		"[server]\nlisten = 0.0.0.0\nhttp_port = 70000\nuser = 1x\nefi_binary = grub\n"
		"uefi_strategy = x\ninterface = averyveryverylongname\nbogus = 1\n",
		&c, &d);
	ok(rc == -EINVAL && strstr(d.msg, ":2: listen") && strstr(d.msg, ":3: http_port") &&
		   strstr(d.msg, ":4: user") && strstr(d.msg, ":5: efi_binary") &&
		   strstr(d.msg, ":6: uefi_strategy") && strstr(d.msg, ":7: interface") &&
		   strstr(d.msg, ":8: [server] bogus: unknown key"),
	   "[server] errors, one per line: %s", d.msg);

	rc = load_text("[chain]\nrounds = 101\n", &c, &d);
	ok(rc == -EINVAL &&
		   strstr(d.msg, ":2: rounds: \"101\" is not a whole number from 1 to 100"),
	   "out of range named with line: %s", d.msg);
	rc = load_text("[chain]\nrounds = -1\n", &c, &d);
	ok(rc == -EINVAL, "negative refused");
	rc = load_text("[chain]\nrounds = 99999999999999999999\n", &c, &d);
	ok(rc == -EINVAL, "overflow refused, not wrapped");
	rc = load_text("[chain]\nurl = file:///etc/passwd\n", &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, "must start with http:// or https://"),
	   "non-http URL: %s", d.msg);
	rc = load_text("[chain]\nurl = http://198.51.100.1/a#frag\n", &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, "'#'"), "fragment refused");
	/* RFC 3986 has no space in a URL: a client (curl, a DHCP server's option 67) would
	 * end it there, so it is refused with the encoding to use. */
	rc = load_text("[chain]\nurl = http://198.51.100.1/a b\n", &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, "has a space") && strstr(d.msg, "%20"),
	   "space in the path refused: %s", d.msg);
	rc = load_text("[chain]\nurl = http://198.51.100.1:99999/a\n", &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, ":2: url:") && strstr(d.msg, "outside 1 to 65535"),
	   "port 99999 refused: %s", d.msg);
	rc = load_text("[chain]\nurl = http://198.51.100.1:8x/a\n", &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, "not a number"), "port 8x refused: %s", d.msg);
	rc = load_text("[chain]\nurl = http://u:p@[2001:db8::1]:8080/a\n", &c, &d);
	ok(rc == 0, "user:password and an IPv6 literal with a port accepted: %s", d.msg);
	rc = load_text("[chain]\nurl = http://198.51.100.1/a\nurl = http://198.51.100.1/b\n"
		       "rounds = 2\n[site]\nlabel = A\nlabel = B\n[chain]\n",
		       &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, ":7: [site] label: already set at line 6") &&
		   strstr(d.msg, ":8: [chain]: the section is already opened at line 1") &&
		   !strstr(d.msg, ":3:"),
	   "duplicates named with both lines, url repeatable: %s", d.msg);
	rc = load_text("[chain]\nurl http://198.51.100.1/a\n", &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, ":2: \"url http://198.51.100.1/a\"") &&
		   strstr(d.msg, "write key = value, e.g. url = http://198.51.100.1/a"),
	   "key:value read by inih as key \"url http\": %s", d.msg);
	rc = load_text("url = http://198.51.100.1/\n", &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, "outside a section"), "key before any section");
	rc = load_text("[site]\nuser_class = two words\n", &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, "printable ASCII without spaces"),
	   "space in class refused");
	rc = load_text("[site]\nuser_class = iPXE\n", &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, "vendor iPXE"), "class iPXE refused with the reason");
	rc = load_text("[site]\nlabel = TWELVE_CHARS\n", &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, "1 to 11"), "long label refused");
	rc = load_text("[image]\narch = x86_64,arm64\n", &c, &d);
	ok(rc == 0 && c.arch == (SITE_ARCH_X86_64 | SITE_ARCH_ARM64), "comma list of arches");
	rc = load_text("[image]\narch =\n", &c, &d);
	ok(rc == -EINVAL, "empty arch refused");
	rc = load_text("[image]\nlayout = My Layout\n", &c, &d);
	ok(rc == -EINVAL, "layout name with spaces refused");
	rc = load_text("[weird]\nx = 1\n", &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, ":1: [weird]: unknown section") && !strstr(d.msg, ":2:"),
	   "unknown section reported once: %s", d.msg);
	rc = load_text("[chain]\nurl = http://198.51.100.1/\n[empty]\n", &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, ":3: [empty]: unknown section"), "empty unknown section");
	rc = load_text("[chain]\nurl = http://198.51.100.1/1\nurl = http://198.51.100.1/2\nurl = "
		       "http://198.51.100.1/3\n"
		       "url = http://198.51.100.1/4\nurl = http://198.51.100.1/5\nurl = "
		       "http://198.51.100.1/6\n"
		       "url = http://198.51.100.1/7\nurl = http://198.51.100.1/8\nurl = "
		       "http://198.51.100.1/9\n"
		       "url = http://198.51.100.1/10\nurl = http://198.51.100.1/11\nurl = "
		       "http://198.51.100.1/12\n"
		       "url = http://198.51.100.1/13\nurl = http://198.51.100.1/14\nurl = "
		       "http://198.51.100.1/15\n"
		       "url = http://198.51.100.1/16\nurl = http://198.51.100.1/17\n",
		       &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, ":18: url: more than 16 URLs"), "URL count capped: %s",
	   d.msg);

	/* Every bad line is reported, not just the first. */
	rc = load_text("[chain]\nrounds = x\nbackoff = y\n", &c, &d);
	ok(rc == -EINVAL && strstr(d.msg, ":2: rounds") && strstr(d.msg, ":3: backoff"),
	   "all errors listed");

	/* Relative paths start at the file's directory. */
	rc = load_text("[image]\nipxe_dir = bin\noutput = out.iso\n", &c, &d);
	ok(rc == 0 && !strcmp(c.ipxe_dir, "/tmp/bin") && !strcmp(c.output, "/tmp/out.iso"),
	   "relative paths from the file's directory (%s)", c.ipxe_dir);

	/* Overrides report the flag. */
	site_defaults(&c);
	diag_clear(&d);
	ok(site_set(&c, "chain", "url", "gopher://x", "--url", &d) == -EINVAL &&
		   !strncmp(d.msg, "--url: url:", 11),
	   "override error names the flag: %s", d.msg);
	ok(site_load(&c, "/nonexistent/site.ini", &d) == -ENOENT, "missing file is -ENOENT");

	/* [secureboot]: mode, key, cert; relative paths from the file; bad values by line. */
	site_defaults(&c);
	ok(c.sb_mode == SITE_SB_OFF, "secureboot: default mode off");
	rc = load_text("[secureboot]\nmode = shim\nkey = k/site.key\ncert = /etc/c.crt\n", &c, &d);
	ok(rc == 0 && c.sb_mode == SITE_SB_SHIM && !strcmp(c.sb_key, "/tmp/k/site.key") &&
		   !strcmp(c.sb_cert, "/etc/c.crt"),
	   "secureboot: mode shim, key from the file's directory (%s), cert", c.sb_key);
	rc = load_text("[secureboot]\nmode = on\nsalt = 1\n", &c, &d);
	ok(rc == -EINVAL &&
		   strstr(d.msg, ":2: mode: \"on\" is unknown (allowed: off, shim, db, vendor)") &&
		   strstr(d.msg, ":3: [secureboot] salt: unknown key"),
	   "secureboot: bad mode and unknown key by line: %s", d.msg);
	rc = load_text("[chain]\nurl = http://198.51.100.1/x\n[secureboot]\nmode = db\nkey = k\n",
		       &c, &d);
	diag_clear(&d);
	ok(rc == 0 && site_validate(&c, &d) == -EINVAL &&
		   strstr(d.msg, "needs key = FILE and cert"),
	   "secureboot: db without cert fails validation: %s", d.msg);
	rc = load_text("[chain]\nurl = http://198.51.100.1/x\n[image]\nrebrand = yes\n"
		       "[secureboot]\nmode = vendor\n",
		       &c, &d);
	diag_clear(&d);
	ok(rc == 0 && site_validate(&c, &d) == -EINVAL && strstr(d.msg, "break the vendor"),
	   "secureboot: vendor with rebrand = yes fails validation");
	ok(!strcmp(site_sb_mode_name(SITE_SB_VENDOR), "vendor"), "secureboot: mode names");
	test_vlan_static();
	return test_done();
}
