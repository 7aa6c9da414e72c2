/* clientmac: the IP-to-MAC table of recent proxyDHCP clients (clientmac.h). Linear
 * search: 512 slots, consulted once per transfer or log line, never per packet sent. */
#include "clientmac.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void clientmac_note(struct clientmac *t, uint32_t ip, const uint8_t mac[6], uint64_t now_ms)
{
	struct clientmac_slot *use = NULL, *oldest = &t->slot[0];

	if (ip == 0 || ip == 0xffffffffu)
		return;
	for (unsigned i = 0; i < CLIENTMAC_SLOTS && !use; i++) {
		struct clientmac_slot *s = &t->slot[i];

		if (s->ip == ip || s->ip == 0)
			use = s;
		else if (s->seen_ms < oldest->seen_ms)
			oldest = s;
	}
	if (!use)
		use = oldest;
	use->ip = ip;
	memcpy(use->mac, mac, 6);
	use->seen_ms = now_ms;
}

int clientmac_find(const struct clientmac *t, uint32_t ip, uint64_t now_ms, char out[18])
{
	for (unsigned i = 0; i < CLIENTMAC_SLOTS; i++) {
		const struct clientmac_slot *s = &t->slot[i];
		const uint8_t *m = s->mac;

		if (s->ip != ip || ip == 0)
			continue;
		if (now_ms - s->seen_ms > CLIENTMAC_TTL_MS)
			return -ENOENT;
		snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
			 m[5]);
		return 0;
	}
	return -ENOENT;
}
