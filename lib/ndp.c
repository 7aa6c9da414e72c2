/* ndp: Router Solicitation / Advertisement codec (ndp.h). Every option header is checked
 * against the bytes left before it is read; nothing past len is touched. */
#include "ndp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define WHY(s) (why ? (void)(*why = (s)) : (void)0, -EINVAL)

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Walk the options in buf[off..len), recording what both messages need. */
static int walk_opts(const uint8_t *buf, size_t len, size_t off, bool *has_slla, uint8_t slla[6],
		     uint32_t *mask, unsigned *other, unsigned *n, const char **why)
{
	while (off < len) {
		size_t left = len - off, olen;

		if (left < 2)
			return WHY("option header cut short");
		olen = (size_t)buf[off + 1] * 8;
		if (olen == 0)
			return WHY("option of length 0");
		if (olen > left)
			return WHY("option runs past the end of the message");
		if (buf[off] == NDP_OPT_SLLA && olen == 8 && !*has_slla) {
			*has_slla = true;
			memcpy(slla, buf + off + 2, 6);
		}
		if (buf[off] < 32)
			*mask |= 1u << buf[off];
		else
			(*other)++;
		(*n)++;
		off += olen;
	}
	return 0;
}

int ndp_rs_parse(const uint8_t *buf, size_t len, struct ndp_rs *out, const char **why)
{
	uint32_t mask = 0;
	unsigned other = 0;

	memset(out, 0, sizeof(*out));
	if (len < NDP_RS_MIN)
		return WHY("shorter than a Router Solicitation (8 bytes)");
	if (buf[0] != NDP_RS)
		return WHY("not a Router Solicitation");
	if (buf[1] != 0)
		return WHY("ICMPv6 code is not 0");
	return walk_opts(buf, len, NDP_RS_MIN, &out->has_slla, out->slla, &mask, &other,
			 &out->n_opts, why);
}

int ndp_ra_parse(const uint8_t *buf, size_t len, struct ndp_ra *out, const char **why)
{
	unsigned n = 0;

	memset(out, 0, sizeof(*out));
	if (len < NDP_RA_MIN)
		return WHY("shorter than a Router Advertisement (16 bytes)");
	if (buf[0] != NDP_RA)
		return WHY("not a Router Advertisement");
	if (buf[1] != 0)
		return WHY("ICMPv6 code is not 0");
	out->hop_limit = buf[4];
	out->flags = buf[5];
	out->lifetime = be16(buf + 6);
	out->reachable = be32(buf + 8);
	out->retrans = be32(buf + 12);
	return walk_opts(buf, len, NDP_RA_MIN, &out->has_slla, out->slla, &out->opt_mask,
			 &out->opt_other, &n, why);
}

int ndp_ra_build(uint8_t *buf, size_t cap, uint8_t hop_limit, const uint8_t mac[6], size_t *len)
{
	if (cap < NDP_RA_LEN)
		return -ENOSPC;
	memset(buf, 0, NDP_RA_LEN);
	buf[0] = NDP_RA;
	buf[4] = hop_limit;
	/* flags (M, O), router lifetime, reachable time, retrans timer: all 0 */
	buf[16] = NDP_OPT_SLLA;
	buf[17] = 1; /* 8 bytes */
	memcpy(buf + 18, mac, 6);
	*len = NDP_RA_LEN;
	return 0;
}

void ndp_mac_str(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}
