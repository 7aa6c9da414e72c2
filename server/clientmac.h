/* clientmac: which MAC address was last seen with an IPv4 address in proxyDHCP traffic,
 * so TFTP (and HTTP) log lines can name the machine by MAC, not only by IP:port. A fixed
 * table: the oldest entry makes room; entries older than CLIENTMAC_TTL_MS are not used. */
#ifndef CB_CLIENTMAC_H
#define CB_CLIENTMAC_H

#include <stdint.h>

#define CLIENTMAC_SLOTS	 512
#define CLIENTMAC_TTL_MS (30u * 60 * 1000) /* half an hour: a boot takes minutes */

struct clientmac_slot {
	uint32_t ip; /* network order; 0 = empty */
	uint8_t mac[6];
	uint64_t seen_ms;
};

struct clientmac {
	struct clientmac_slot slot[CLIENTMAC_SLOTS];
};

/* Remember that ip (network order, not 0 or broadcast) belongs to mac at now_ms. */
void clientmac_note(struct clientmac *t, uint32_t ip, const uint8_t mac[6], uint64_t now_ms);

/* "52:54:00:12:34:56" into out (18 bytes) and 0, or -ENOENT when ip was not seen lately. */
int clientmac_find(const struct clientmac *t, uint32_t ip, uint64_t now_ms, char out[18]);

#endif
