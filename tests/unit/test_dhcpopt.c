/* test_dhcpopt: the DHCP codec — fields, options, RFC 3396 concatenation and overload,
 * classes, GUIDs, sub-options, the builder; every truncated prefix and every damaged
 * input placed against a PROT_NONE page so a one-byte over-read crashes at once. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dhcpopt.h"
#include "test.h"

static uint8_t *guard_base;
static size_t page;

/* Copy n bytes so that they end exactly at a PROT_NONE page. */
static const uint8_t *at_guard(const uint8_t *p, size_t n)
{
	uint8_t *end = guard_base + 2 * page;
	memcpy(end - n, p, n);
	return end - n;
}

static struct dhcp_msg msg; /* 6 KiB: not on the stack */

static int parse_guarded(const uint8_t *p, size_t n, const char **why)
{
	return dhcp_parse(at_guard(p, n), n, &msg, why);
}

/* A DISCOVER as a PXE ROM sends it, built with our own builder. */
static size_t make_discover(uint8_t *buf, size_t cap, const char *vc, const uint8_t *arch,
			    size_t archlen, const void *uc, size_t uclen, const uint8_t *guid,
			    size_t guidlen)
{
	struct dhcp_hdr h = { .op = 1, .htype = 1, .hlen = 6, .xid = 0x12345678, .flags = 0x8000 };
	struct dhcp_build b;
	size_t len = 0;

	memcpy(h.chaddr, "\x52\x54\x00\x12\x34\x56", 6);
	dhcp_build_start(&b, buf, cap, &h, DHCP_DISCOVER);
	if (vc)
		dhcp_build_opt(&b, DHCP_OPT_VENDOR_CLASS, vc, strlen(vc));
	if (arch)
		dhcp_build_opt(&b, DHCP_OPT_CLIENT_ARCH, arch, archlen);
	if (uc)
		dhcp_build_opt(&b, DHCP_OPT_USER_CLASS, uc, uclen);
	if (guid)
		dhcp_build_opt(&b, DHCP_OPT_CLIENT_GUID, guid, guidlen);
	if (dhcp_build_finish(&b, &len))
		return 0;
	return len;
}

static void test_roundtrip(void)
{
	uint8_t buf[1024], guid[17] = { 0 };
	const uint8_t *v;
	size_t len, n;
	uint16_t arch;
	char s[48];
	const char *why;

	for (int i = 1; i < 17; i++)
		guid[i] = (uint8_t)(0x10 + i);
	len = make_discover(buf, sizeof(buf), "PXEClient:Arch:00007:UNDI:003016",
			    (const uint8_t *)"\x00\x07", 2, "iPXE", 4, guid, 17);
	ok(len == DHCP_MIN_LEN + 3 + 34 + 4 + 6 + 19 + 1, "DISCOVER built (%zu bytes)", len);
	ok(parse_guarded(buf, len, &why) == 0, "DISCOVER parses (%s)", why ? why : "");
	ok(msg.h.op == 1 && msg.h.htype == 1 && msg.h.hlen == 6 && msg.h.xid == 0x12345678 &&
		   msg.h.flags == 0x8000,
	   "header fields");
	ok(!strcmp(dhcp_chaddr_str(&msg.h, s), "52:54:00:12:34:56"), "chaddr as text: %s", s);
	ok(dhcp_msg_type(&msg) == DHCP_DISCOVER, "option 53");
	ok(dhcp_opt_prefix(&msg, DHCP_OPT_VENDOR_CLASS, "PXEClient"), "option 60 prefix");
	ok(!dhcp_opt_prefix(&msg, DHCP_OPT_VENDOR_CLASS, "HTTPClient"), "option 60 other prefix");
	ok(dhcp_client_arch(&msg, &arch) == 0 && arch == 7, "option 93 = 7");
	ok(dhcp_user_class_is(&msg, "iPXE", 4), "raw user-class iPXE");
	ok(!dhcp_user_class_is(&msg, "CSTM", 4) && !dhcp_user_class_is(&msg, "iPX", 3),
	   "other classes do not match");
	ok(dhcp_guid_str(&msg, s) == 0 && !strcmp(s, "11121314-1516-1718-191a-1b1c1d1e1f20"),
	   "GUID type 0: %s", s);
	v = dhcp_opt_get(&msg, DHCP_OPT_CLIENT_GUID, &n);
	ok(v && n == 17 && !memcmp(v, guid, 17), "option 97 kept as sent");
	ok(!dhcp_opt_get(&msg, DHCP_OPT_BOOTFILE, &n), "absent option is NULL");

	/* Every truncation: either a clean error or (past the last option) success. */
	int bad = 0;
	for (size_t cut = 0; cut < len; cut++) {
		int rc = parse_guarded(buf, cut, NULL);
		if (cut < DHCP_MIN_LEN ? rc != -EBADMSG : rc != 0 && rc != -EBADMSG)
			bad++;
	}
	ok(bad == 0, "every truncated prefix gives 0 or -EBADMSG (%d wrong)", bad);
	/* Every single-byte change in the options area: no crash, a defined answer. */
	bad = 0;
	for (size_t at = DHCP_MIN_LEN - 4; at < len; at++) {
		for (int x = 1; x < 256; x <<= 1) {
			uint8_t m[1024];
			memcpy(m, buf, len);
			m[at] ^= (uint8_t)x;
			int rc = parse_guarded(m, len, NULL);
			if (rc != 0 && rc != -EBADMSG)
				bad++;
		}
	}
	ok(bad == 0, "every flipped bit gives 0 or -EBADMSG (%d wrong)", bad);
}

static void test_errors(void)
{
	uint8_t buf[DHCP_MAX_LEN + 8] = { 0 };
	const char *why;
	size_t len = DHCP_MIN_LEN;

	buf[0] = 1;
	buf[236] = 0x63, buf[237] = 0x82, buf[238] = 0x53, buf[239] = 0x63;
	ok(parse_guarded(buf, len, &why) == 0,
	   "header without options parses (no END is accepted)");
	ok(dhcp_msg_type(&msg) == 0, "no option 53 -> type 0");
	buf[236] = 0;
	ok(parse_guarded(buf, len, &why) == -EBADMSG && why && strstr(why, "magic"),
	   "no magic cookie: %s", why);
	buf[236] = 0x63;
	ok(parse_guarded(buf, 239, &why) == -EBADMSG, "239 bytes: too short");
	ok(dhcp_parse(buf, DHCP_MAX_LEN + 1, &msg, &why) == -EMSGSIZE,
	   "over 4096 bytes: -EMSGSIZE");
	buf[2] = 17;
	ok(parse_guarded(buf, len, &why) == -EBADMSG, "hlen 17 refused");
	buf[2] = 6;

	/* option 53 whose length runs past the end */
	buf[240] = 53, buf[241] = 5, buf[242] = 1;
	ok(parse_guarded(buf, 243, &why) == -EBADMSG && strstr(why, "past"),
	   "length past the end: %s", why);
	/* code without a length byte */
	buf[240] = 53;
	ok(parse_guarded(buf, 241, &why) == -EBADMSG && strstr(why, "length byte"),
	   "no length byte: %s", why);
	/* PAD then END then junk: the junk is never read */
	buf[240] = 0, buf[241] = 0, buf[242] = 255, buf[243] = 53, buf[244] = 200;
	ok(parse_guarded(buf, 245, &why) == 0, "PAD, END, then junk: fine");
	/* overload: bad length, bad value */
	buf[240] = 52, buf[241] = 2, buf[242] = 1, buf[243] = 1, buf[244] = 255;
	ok(parse_guarded(buf, 245, &why) == -EBADMSG && strstr(why, "52"),
	   "option 52 of 2 bytes: %s", why);
	buf[241] = 1, buf[242] = 4, buf[243] = 255;
	ok(parse_guarded(buf, 244, &why) == -EBADMSG && strstr(why, "52"), "option 52 = 4: %s",
	   why);
	/* overload into a file field whose option runs past the field */
	buf[242] = 1;
	memset(buf + 108, 0, 128);
	buf[108 + 126] = 67, buf[108 + 127] = 9;
	ok(parse_guarded(buf, 244, &why) == -EBADMSG,
	   "an option in file running past the field: %s", why);
	memset(buf + 108, 0, 128);
}

static void test_overload_and_split(void)
{
	uint8_t buf[1024], big[600];
	struct dhcp_hdr h = { .op = 1, .htype = 1, .hlen = 6 };
	struct dhcp_build b;
	const uint8_t *v;
	size_t len, n;
	uint8_t ov = 3;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)('a' + i % 26);
	/* RFC 3396: 600 bytes become three instances, read back as one value. */
	dhcp_build_start(&b, buf, sizeof(buf), &h, DHCP_OFFER);
	dhcp_build_opt(&b, DHCP_OPT_BOOTFILE, big, sizeof(big));
	ok(dhcp_build_finish(&b, &len) == 0 && len == DHCP_MIN_LEN + 3 + 2 * 3 + 600 + 1,
	   "600-byte option built (%zu)", len);
	ok(parse_guarded(buf, len, NULL) == 0, "split option parses");
	v = dhcp_opt_get(&msg, DHCP_OPT_BOOTFILE, &n);
	ok(v && n == 600 && !memcmp(v, big, 600), "split option joined back (len %zu)", n);

	/* Option 52 = 3: options field, then file, then sname — one option spread over all three. */
	memset(&h, 0, sizeof(h));
	h.op = 1;
	h.hlen = 6;
	h.file[0] = 77, h.file[1] = 2, h.file[2] = 'C', h.file[3] = 'D', h.file[4] = 255;
	h.sname[0] = 77, h.sname[1] = 1, h.sname[2] = 'E', h.sname[3] = 60, h.sname[4] = 3;
	memcpy(h.sname + 5, "PXE", 3);
	h.sname[8] = 255;
	dhcp_build_start(&b, buf, sizeof(buf), &h, DHCP_DISCOVER);
	dhcp_build_opt(&b, DHCP_OPT_OVERLOAD, &ov, 1);
	dhcp_build_opt(&b, DHCP_OPT_USER_CLASS, "AB", 2);
	ok(dhcp_build_finish(&b, &len) == 0, "overloaded packet built");
	ok(parse_guarded(buf, len, NULL) == 0 && msg.overload == 3, "option 52 = 3 read");
	v = dhcp_opt_get(&msg, DHCP_OPT_USER_CLASS, &n);
	ok(v && n == 5 && !memcmp(v, "ABCDE", 5), "77 joined in order options, file, sname: %.*s",
	   (int)n, v ? (const char *)v : "");
	ok(dhcp_opt_prefix(&msg, DHCP_OPT_VENDOR_CLASS, "PXE"), "an option only in sname is found");
	/* Without option 52, file and sname are plain fields, never options. */
	buf[DHCP_MIN_LEN + 3] = 0; /* PAD over 52's code... */
	buf[DHCP_MIN_LEN + 4] = 0;
	buf[DHCP_MIN_LEN + 5] = 0;
	ok(parse_guarded(buf, len, NULL) == 0 && msg.overload == 0 &&
		   !dhcp_opt_get(&msg, DHCP_OPT_VENDOR_CLASS, &n),
	   "no option 52: sname is not read as options");
}

static void test_arch_class_guid(void)
{
	uint8_t buf[1024];
	size_t len;
	uint16_t arch;
	char s[48];

	len = make_discover(buf, sizeof(buf), "PXEClient:Arch:00009:UNDI:003016", NULL, 0, NULL, 0,
			    NULL, 0);
	ok(parse_guarded(buf, len, NULL) == 0 && dhcp_client_arch(&msg, &arch) == 0 && arch == 9,
	   "arch from option 60 when 93 is absent");
	len = make_discover(buf, sizeof(buf), "PXEClient:Arch:00009",
			    (const uint8_t *)"\x00\x0b\x00\x07", 4, NULL, 0, NULL, 0);
	ok(parse_guarded(buf, len, NULL) == 0 && dhcp_client_arch(&msg, &arch) == 0 && arch == 11,
	   "option 93 wins, first entry of the list");
	len = make_discover(buf, sizeof(buf), "PXEClient:Arch:0007", (const uint8_t *)"\x00", 1,
			    NULL, 0, NULL, 0);
	ok(parse_guarded(buf, len, NULL) == 0 && dhcp_client_arch(&msg, &arch) == -ENOENT,
	   "1-byte 93 and a 4-digit Arch: no architecture");
	len = make_discover(buf, sizeof(buf), "PXEClient", NULL, 0, NULL, 0, NULL, 0);
	ok(parse_guarded(buf, len, NULL) == 0 && dhcp_client_arch(&msg, &arch) == -ENOENT,
	   "no arch at all");
	len = make_discover(buf, sizeof(buf), "HTTPClient:Arch:00016", NULL, 0, NULL, 0, NULL, 0);
	ok(parse_guarded(buf, len, NULL) == 0 && dhcp_client_arch(&msg, &arch) == 0 && arch == 16,
	   "HTTPClient:Arch:00016");

	len = make_discover(buf, sizeof(buf), "PXEClient", NULL, 0, "\x04iPXE", 5, NULL, 0);
	ok(parse_guarded(buf, len, NULL) == 0 && dhcp_user_class_is(&msg, "iPXE", 4),
	   "RFC 3004 form of iPXE");
	len = make_discover(buf, sizeof(buf), "PXEClient", NULL, 0,
			    "\x03"
			    "abc\x04"
			    "CSTM",
			    9, NULL, 0);
	ok(parse_guarded(buf, len, NULL) == 0 && dhcp_user_class_is(&msg, "CSTM", 4) &&
		   dhcp_user_class_is(&msg, "abc", 3) && !dhcp_user_class_is(&msg, "iPXE", 4),
	   "RFC 3004 list, second entry");
	len = make_discover(buf, sizeof(buf), "PXEClient", NULL, 0,
			    "\x09"
			    "CSTM",
			    5, NULL, 0);
	ok(parse_guarded(buf, len, NULL) == 0 && !dhcp_user_class_is(&msg, "CSTM", 4),
	   "RFC 3004 entry running past the option: no match, no over-read");
	len = make_discover(buf, sizeof(buf), "PXEClient", NULL, 0, "iPXE2", 5, NULL, 0);
	ok(parse_guarded(buf, len, NULL) == 0 && !dhcp_user_class_is(&msg, "iPXE", 4),
	   "iPXE2 is not iPXE");

	len = make_discover(buf, sizeof(buf), "PXEClient", NULL, 0, NULL, 0, (const uint8_t *)"",
			    0);
	ok(parse_guarded(buf, len, NULL) == 0 && dhcp_guid_str(&msg, s) == -ENOENT && !s[0],
	   "empty GUID");
	len = make_discover(
		buf, sizeof(buf), "PXEClient", NULL, 0, NULL, 0,
		(const uint8_t *)"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10",
		16);
	ok(parse_guarded(buf, len, NULL) == 0 && dhcp_guid_str(&msg, s) == 0 &&
		   !strcmp(s, "01020304-0506-0708-090a-0b0c0d0e0f10"),
	   "16-byte GUID without type: %s", s);
	len = make_discover(buf, sizeof(buf), "PXEClient", NULL, 0, NULL, 0,
			    (const uint8_t *)"\x01\x02\x03", 3);
	ok(parse_guarded(buf, len, NULL) == 0 && dhcp_guid_str(&msg, s) == -EBADMSG,
	   "3-byte GUID refused");
}

static void test_sub(void)
{
	uint8_t enc[16];
	const uint8_t *v;
	size_t len = 0, n;
	uint8_t eight = 8;

	ok(dhcp_sub_add(enc, sizeof(enc), &len, PXE_SUB_DISCOVERY_CONTROL, &eight, 1) == 0 &&
		   len == 3,
	   "6=8 added");
	ok(dhcp_sub_add(enc, sizeof(enc), &len, PXE_SUB_BOOT_ITEM, "\x80\x00\x00\x00", 4) == 0 &&
		   len == 9,
	   "71 added");
	enc[len++] = 255;
	ok(dhcp_sub_get(enc, len, 6, &v, &n) == 0 && n == 1 && v[0] == 8, "6 found");
	ok(dhcp_sub_get(enc, len, 71, &v, &n) == 0 && n == 4 && v[0] == 0x80, "71 found");
	ok(dhcp_sub_get(enc, len, 9, &v, &n) == -ENOENT, "9 absent");
	ok(dhcp_sub_add(enc, sizeof(enc), &len, 9, "0123456789", 10) == -ENOSPC,
	   "no room: -ENOSPC");
	uint8_t bad[] = { 6, 5, 8 };
	ok(dhcp_sub_get(at_guard(bad, 3), 3, 71, &v, &n) == -EBADMSG,
	   "sub-option past the block: -EBADMSG");
	uint8_t cut[] = { 0, 0, 6 };
	ok(dhcp_sub_get(at_guard(cut, 3), 3, 71, &v, &n) == -EBADMSG,
	   "sub-option without length: -EBADMSG");
}

static void test_builder_limits(void)
{
	uint8_t buf[DHCP_BOOTP_MIN];
	struct dhcp_hdr h = { .op = 2 };
	struct dhcp_build b;
	uint8_t big[100] = { 0 };
	size_t len;

	dhcp_build_start(&b, buf, 100, &h, DHCP_OFFER);
	ok(dhcp_build_finish(&b, &len) == -ENOSPC, "buffer under 300 bytes refused");
	dhcp_build_start(&b, buf, sizeof(buf), &h, DHCP_OFFER);
	dhcp_build_opt(&b, DHCP_OPT_BOOTFILE, big, sizeof(big));
	ok(dhcp_build_finish(&b, &len) == -ENOSPC, "options past the buffer: -ENOSPC (sticky)");
	dhcp_build_start(&b, buf, sizeof(buf), &h, DHCP_OFFER);
	ok(dhcp_build_finish(&b, &len) == 0 && len == DHCP_BOOTP_MIN &&
		   buf[DHCP_MIN_LEN + 3] == 255 && buf[DHCP_BOOTP_MIN - 1] == 0,
	   "a small packet is padded with zeros to 300 bytes after END");
	ok(!strcmp(dhcp_type_name(DHCP_ACK), "ACK") && !strcmp(dhcp_type_name(99), "other"),
	   "type names");
}

int main(void)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	guard_base = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			  0);
	if (guard_base == MAP_FAILED || mprotect(guard_base + 2 * page, page, PROT_NONE))
		return 1;
	/* room for DHCP_MAX_LEN + a little before the guard */
	if (2 * page < DHCP_MAX_LEN + 8) {
		munmap(guard_base, 3 * page);
		guard_base = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		mprotect(guard_base + 3 * page, page, PROT_NONE);
		guard_base += page;
	}
	test_roundtrip();
	test_errors();
	test_overload_and_split();
	test_arch_class_guid();
	test_sub();
	test_builder_limits();
	return test_done();
}
