/* fuzz_fsextent: libFuzzer harness for the ISO 9660 / FAT / MBR walker (lib/fsextent.c)
 * and the in-place rebrander over what it finds (lib/rebrand.c), on hostile images. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fsextent.h"
#include "fuzz.h"
#include "rebrand.h"

struct ctx {
	const uint8_t *img;
	size_t len;
};

/* Every extent the walker reports must lie inside the image: touch its bytes. */
static int touch(const struct fsextent_file *f, void *vctx)
{
	const struct ctx *c = vctx;
	volatile uint8_t sink = 0;

	if (f->off > c->len || f->len > c->len - f->off)
		abort();
	if (f->len)
		sink ^= c->img[f->off] ^ c->img[f->off + f->len - 1];
	(void)sink;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c = { data, size };
	struct diag d = { { 0 } };
	uint8_t *out = NULL;

	(void)fsextent_walk(data, size, touch, &c, &d);
	if (rebrand_bytes(data, size, "CB", &out, NULL, NULL) == 0)
		free(out);
	return 0;
}
