/* fuzz_dhcp: libFuzzer harness for the DHCP packet parser (lib/dhcpopt.c). The input is
 * one hostile datagram. Every accessor runs on what parses, and a round-trip property
 * is checked: rebuilding the parsed options with the builder and parsing again gives
 * the same values (RFC 3396 splitting and joining agree). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcpopt.h"
#include "fuzz.h"

static struct dhcp_msg m, m2;
static uint8_t out[DHCP_MAX_LEN * 2];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *v, *s;
	size_t n, sl, len;
	uint16_t arch;
	char text[48];
	struct dhcp_build b;

	if (dhcp_parse(data, size, &m, NULL))
		return 0;
	(void)dhcp_msg_type(&m);
	(void)dhcp_opt_prefix(&m, DHCP_OPT_VENDOR_CLASS, "PXEClient");
	(void)dhcp_client_arch(&m, &arch);
	(void)dhcp_user_class_is(&m, "iPXE", 4);
	(void)dhcp_user_class_is(&m, "CSTM", 4);
	(void)dhcp_guid_str(&m, text);
	(void)dhcp_chaddr_str(&m.h, text);
	if ((v = dhcp_opt_get(&m, DHCP_OPT_VENDOR, &n))) {
		(void)dhcp_sub_get(v, n, PXE_SUB_DISCOVERY_CONTROL, &s, &sl);
		(void)dhcp_sub_get(v, n, PXE_SUB_BOOT_ITEM, &s, &sl);
	}

	/* Round trip: header and every option (except 52: the rebuilt packet carries
	 * everything in the options field) through the builder. */
	struct dhcp_hdr h = m.h;
	if (m.overload & 1)
		memset(h.file, 0, sizeof(h.file));
	if (m.overload & 2)
		memset(h.sname, 0, sizeof(h.sname));
	dhcp_build_start(&b, out, sizeof(out), &h, 0);
	for (unsigned c = 1; c < 255; c++)
		if (c != DHCP_OPT_OVERLOAD && (v = dhcp_opt_get(&m, (uint8_t)c, &n)))
			dhcp_build_opt(&b, (uint8_t)c, v, n);
	if (dhcp_build_finish(&b, &len) || len > DHCP_MAX_LEN)
		return 0; /* bigger than we accept: nothing to compare */
	if (dhcp_parse(out, len, &m2, NULL))
		abort();
	for (unsigned c = 1; c < 255; c++) {
		size_t n2;
		const uint8_t *v2;
		if (c == DHCP_OPT_OVERLOAD)
			continue;
		v = dhcp_opt_get(&m, (uint8_t)c, &n);
		v2 = dhcp_opt_get(&m2, (uint8_t)c, &n2);
		if (!v != !v2 || (v && (n != n2 || memcmp(v, v2, n))))
			abort();
	}
	if (memcmp(&m.h.chaddr, &m2.h.chaddr, sizeof(m.h.chaddr)) || m.h.xid != m2.h.xid ||
	    m.h.giaddr != m2.h.giaddr)
		abort();
	return 0;
}
