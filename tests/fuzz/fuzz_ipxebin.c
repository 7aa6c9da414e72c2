/* fuzz_ipxebin: libFuzzer harness for the user-class finder (lib/ipxebin.c): binary
 * kind, packed-image decode, DHCP template walk, class formatting, on hostile bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "ipxebin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char cls[IPXEBIN_CLASS_MAX], small[8];
	struct diag d = { { 0 } };
	struct ipxebin_loc loc;

	(void)ipxebin_kind(data, size);
	(void)ipxebin_user_class(data, size, cls, sizeof(cls), &d);
	/* A too-small buffer must be refused, never overrun. */
	(void)ipxebin_user_class(data, size, small, sizeof(small), NULL);
	(void)ipxebin_find_template(data, size, &loc, NULL);
	return 0;
}
