/* fuzz_ndp: libFuzzer harness for the Router Solicitation parser (lib/ndp.c), the one
 * chainbootd runs on what a raw ICMPv6 socket delivers. The input is one hostile ICMPv6
 * message. Properties: a parsed SLLA lies inside the input; the RA built for that MAC
 * parses back with lifetime 0, M=0 O=0 and the SLLA option alone. The RA parser (used by
 * the test tool) runs on the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "ndp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ndp_rs rs;
	struct ndp_ra ra;
	const char *why = NULL;
	uint8_t out[NDP_RA_LEN];
	size_t len;

	(void)ndp_ra_parse(data, size, &ra, &why);
	if (ndp_rs_parse(data, size, &rs, &why)) {
		CHECK(why != NULL);
		return 0;
	}
	CHECK(size >= NDP_RS_MIN && data[0] == NDP_RS);
	if (!rs.has_slla)
		return 0;
	CHECK(size >= 16 && memmem(data + 8, size - 8, rs.slla, 6) != NULL);
	CHECK(ndp_ra_build(out, sizeof(out), 0, rs.slla, &len) == 0 && len == NDP_RA_LEN);
	CHECK(ndp_ra_parse(out, len, &ra, &why) == 0);
	CHECK(ra.lifetime == 0 && ra.flags == 0 && ra.opt_mask == 1u << NDP_OPT_SLLA &&
	      ra.opt_other == 0 && !memcmp(ra.slla, rs.slla, 6));
	return 0;
}
