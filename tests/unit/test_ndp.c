/* test_ndp: Router Solicitation parsing (valid, with and without the source link-layer
 * option, bad option lengths, every truncated prefix placed before a guard page), and
 * the Router Advertisement chainbootd builds: lifetime 0, M=0 O=0, one SLLA option only. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndp.h"
#include "test.h"
#include "testdata.h"

static int rs_guarded(const uint8_t *data, size_t len, struct ndp_rs *rs, const char **why)
{
	struct guarded g;
	int rc;

	if (guard_copy(&g, data, len) < 0) {
		perror("guard_copy");
		exit(1);
	}
	rc = ndp_rs_parse(g.p, len, rs, why);
	guard_free(&g);
	return rc;
}

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* An RS as iPXE and Linux send it: header, then SLLA (type 1, length 1 = 8 bytes). */
static const uint8_t rs_slla[] = { 133, 0, 0x12, 0x34, 0,    0,	   0,	 0,
				   1,	1, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void test_rs_valid(void)
{
	struct ndp_rs rs;
	const char *why = NULL;
	char s[18];

	ok(rs_guarded(rs_slla, sizeof(rs_slla), &rs, &why) == 0 && rs.has_slla &&
		   !memcmp(rs.slla, mac, 6) && rs.n_opts == 1,
	   "RS with an Ethernet SLLA option: MAC taken");
	ndp_mac_str(rs.slla, s);
	ok(!strcmp(s, "52:54:00:12:34:56"), "MAC as text: %s", s);
	ok(rs_guarded(rs_slla, 8, &rs, &why) == 0 && !rs.has_slla && rs.n_opts == 0,
	   "RS without options (from the unspecified address): valid, no MAC");

	/* a nonce-like unknown option (type 14, 8 bytes) before the SLLA */
	uint8_t two[24] = { 133, 0, 0, 0, 0, 0, 0, 0, 14, 1, 9, 9, 9, 9, 9, 9 };
	memcpy(two + 16, rs_slla + 8, 8);
	ok(rs_guarded(two, sizeof(two), &rs, &why) == 0 && rs.has_slla &&
		   !memcmp(rs.slla, mac, 6) && rs.n_opts == 2,
	   "unknown option before the SLLA is skipped");

	/* SLLA of 16 bytes: not an Ethernet address */
	uint8_t longll[24] = { 133, 0, 0, 0, 0, 0, 0, 0, 1, 2, 1, 2, 3, 4, 5, 6, 7, 8 };
	ok(rs_guarded(longll, sizeof(longll), &rs, &why) == 0 && !rs.has_slla,
	   "SLLA of 16 bytes: valid message, not taken as a MAC");

	/* two SLLA options: the first counts */
	uint8_t dup[24];
	memcpy(dup, rs_slla, 16);
	memcpy(dup + 16, (const uint8_t[]){ 1, 1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff }, 8);
	ok(rs_guarded(dup, sizeof(dup), &rs, &why) == 0 && !memcmp(rs.slla, mac, 6),
	   "two SLLA options: the first one is the MAC");
}

static void test_rs_bad(void)
{
	struct ndp_rs rs;
	const char *why;
	uint8_t b[16];

	why = NULL;
	ok(rs_guarded(rs_slla, 7, &rs, &why) == -EINVAL && why && strstr(why, "shorter"),
	   "7 bytes: too short (%s)", why ? why : "-");
	memcpy(b, rs_slla, 16);
	b[0] = 134;
	why = NULL;
	ok(rs_guarded(b, 16, &rs, &why) == -EINVAL && why && strstr(why, "not a Router Sol"),
	   "type 134 is not an RS (%s)", why ? why : "-");
	memcpy(b, rs_slla, 16);
	b[1] = 1;
	ok(rs_guarded(b, 16, &rs, &why) == -EINVAL, "code 1: refused");
	memcpy(b, rs_slla, 16);
	b[9] = 0;
	why = NULL;
	ok(rs_guarded(b, 16, &rs, &why) == -EINVAL && why && strstr(why, "length 0"),
	   "option of length 0: the whole message is dropped (%s)", why ? why : "-");
	memcpy(b, rs_slla, 16);
	b[9] = 2;
	why = NULL;
	ok(rs_guarded(b, 16, &rs, &why) == -EINVAL && why && strstr(why, "past the end"),
	   "option longer than what is left: refused (%s)", why ? why : "-");
	b[9] = 255;
	ok(rs_guarded(b, 16, &rs, &why) == -EINVAL, "option length 255*8: refused");
	ok(rs_guarded(rs_slla, 9, &rs, &why) == -EINVAL, "one byte of an option header: refused");
	ok(ndp_rs_parse(rs_slla, 0, &rs, NULL) == -EINVAL, "empty, why NULL: refused");

	/* every prefix: parses or is refused, never reads past the end (guard page) */
	int bad = 0;
	for (size_t n = 0; n <= sizeof(rs_slla); n++) {
		int rc = rs_guarded(rs_slla, n, &rs, NULL);
		if (!(rc == 0 || rc == -EINVAL) || (rc == 0 && n != 8 && n != 16))
			bad++;
	}
	ok(bad == 0, "every prefix of an RS: only 8 and 16 bytes parse");
}

static void test_ra_build(void)
{
	uint8_t buf[64];
	struct ndp_ra ra;
	size_t len = 0;
	const char *why = NULL;

	ok(ndp_ra_build(buf, NDP_RA_LEN - 1, 0, mac, &len) == -ENOSPC, "RA: small buffer refused");
	ok(ndp_ra_build(buf, sizeof(buf), 0, mac, &len) == 0 && len == NDP_RA_LEN,
	   "RA built: %zu bytes", len);
	ok(ndp_ra_parse(buf, len, &ra, &why) == 0, "RA parses back (%s)", why ? why : "ok");
	ok(ra.lifetime == 0 && ra.flags == 0 && ra.hop_limit == 0 && ra.reachable == 0 &&
		   ra.retrans == 0,
	   "RA: lifetime 0 (no default router), M=0 O=0, hop limit/reachable/retrans unspecified");
	ok(ra.opt_mask == 1u << NDP_OPT_SLLA && ra.opt_other == 0 && ra.has_slla &&
		   !memcmp(ra.slla, mac, 6),
	   "RA: the SLLA option only (no prefix, MTU, RDNSS)");
	ok(buf[2] == 0 && buf[3] == 0, "RA: checksum left to the kernel");
	ok(ndp_ra_build(buf, sizeof(buf), 64, mac, &len) == 0 &&
		   ndp_ra_parse(buf, len, &ra, NULL) == 0 && ra.hop_limit == 64,
	   "RA with hop limit 64");

	uint8_t pfx[48];
	memcpy(pfx, buf, 24);
	memset(pfx + 24, 0, 24);
	pfx[24] = NDP_OPT_PREFIX;
	pfx[25] = 3;
	ok(ndp_ra_parse(pfx, 48, &ra, NULL) == 0 && (ra.opt_mask & 1u << NDP_OPT_PREFIX),
	   "RA parser sees a prefix option (what the tests check is absent)");
	ok(ndp_ra_parse(rs_slla, 16, &ra, &why) == -EINVAL, "an RS is not an RA");
	ok(ndp_ra_parse(buf, 15, &ra, &why) == -EINVAL, "RA of 15 bytes: refused");
}

int main(void)
{
	test_rs_valid();
	test_rs_bad();
	test_ra_build();
	return test_done();
}
