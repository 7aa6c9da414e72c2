/* fuzz_inventory: libFuzzer harness for the inventory (lib/inventory_parse.c: libinih
 * with lib/iniline.c, every key's check; inventory_match.c: the duplicate and reference
 * checks, the index; inventory_render.c: template compilation, the menu) and, when a
 * text loads, matching, deciding and rendering. The input bytes go straight to the
 * shipped inventory_load_text(), the parser the daemon's inventory_load() uses after
 * reading the file. Relative template paths point into a directory that does not
 * exist, so the only I/O is a failing open. Checks: no crash, leak or over-read; a
 * refused text always says why as origin:line; renders fit or report -ENOSPC. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct site_config cfg; /* the inventory reads nothing from it today */
	static char out[70000];
	struct inventory *inv = NULL;
	struct diag d = { { 0 } };
	int rc;

	rc = inventory_load_text((const char *)data, size, "fuzz.ini", "/nonexistent/fuzz", &cfg,
				 &inv, &d);
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc) {
		CHECK(!inv && d.msg[0] && strstr(d.msg, "fuzz.ini"));
	} else {
		static const char *const macs[] = { "52:54:00:12:34:56", "02:00:00:00:00:01",
						    "525400aa0001", "" };
		struct inv_facts f;
		struct inv_result r;
		const char *why;
		size_t len;

		for (size_t i = 0; i < sizeof(macs) / sizeof(macs[0]); i++) {
			memset(&f, 0, sizeof(f));
			f.v[INV_FACT_MAC] = macs[i];
			f.v[INV_FACT_SERIAL] = size > 3 ? (const char *)"SER-1" : "";
			f.v[INV_FACT_HOSTNAME] = "Host1";
			f.want_profile = i == 3 ? "p" : NULL;
			f.client = "198.51.100.9";
			CHECK(inventory_facts_check(&f, &why) == 0);
			inventory_decide(inv, &f, &r);
			rc = inventory_render(inv, &r, &f, "http://198.51.100.1", out, sizeof(out),
					      &len);
			CHECK(rc == 0 || rc == -ENOSPC);
			if (rc == 0)
				CHECK(len < sizeof(out) && !memcmp(out, "#!ipxe", 6));
			(void)inventory_dhcp_verdict(inv, macs[i],
						     "11111111-2222-3333-4444-555555555555");
		}
		inventory_free(inv);
	}
	return 0;
}
