/* fuzz_zbin: libFuzzer harness for the packed BIOS image parser and block decoder
 * (lib/zbin.c). The input is a whole (hostile) file; every block that parses is decoded. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "zbin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = { { 0 } };
	struct zbin z;
	size_t i;

	if (zbin_parse(data, size, &z, &d) != 0)
		return 0;
	for (i = 0; i < z.nblocks; i++) {
		uint8_t *out = NULL;
		size_t outlen = 0, used = 0;

		if (zbin_decode_block(data, size, &z.blocks[i], &out, &outlen, &used, &d) == 0) {
			/* The filter must undo what it applies, on any bytes. */
			zbin_filter_apply(out, outlen);
			zbin_filter_undo(out, outlen);
		}
		free(out);
	}
	return 0;
}
