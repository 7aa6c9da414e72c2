/* dhcpopt: DHCPv4 packet codec. Every input byte comes from the network and is
 * untrusted: each read is bounds-checked in subtraction form, no str* runs on wire
 * bytes, and the parser is a pure function over (bytes, length) so unit tests and the
 * fuzzer (tests/fuzz/fuzz_dhcp.c) call it directly. */
#include "dhcpopt.h"

#include <errno.h>
#include <string.h>

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Network-order address fields are kept as they are on the wire. */
static uint32_t get_addr(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* One option area (the options field, or file/sname under option 52). Counting pass
 * (dst NULL): adds each instance's length to tot[] and marks it present; copying pass:
 * appends each instance at cur[code]. first52: the first option 52 seen (count pass,
 * options field only), -1 if none. */
static int scan_area(const uint8_t *p, size_t n, uint16_t tot[256], bool present[256], uint8_t *dst,
		     uint16_t cur[256], int *first52, const char **why)
{
	size_t i = 0;

	while (i < n) {
		uint8_t code = p[i];
		size_t olen;

		if (code == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (code == DHCP_OPT_END)
			return 0;
		if (n - i < 2) {
			*why = "an option has no length byte";
			return -EBADMSG;
		}
		olen = p[i + 1];
		if (olen > n - i - 2) {
			*why = "an option runs past the end of its area";
			return -EBADMSG;
		}
		if (!dst) {
			/* Cannot overflow: all values together are shorter than the packet. */
			tot[code] = (uint16_t)(tot[code] + olen);
			present[code] = true;
			if (code == DHCP_OPT_OVERLOAD && first52 && *first52 < 0) {
				if (olen != 1) {
					*why = "option 52 (overload) is not one byte";
					return -EBADMSG;
				}
				*first52 = p[i + 2];
			}
		} else {
			memcpy(dst + cur[code], p + i + 2, olen);
			cur[code] = (uint16_t)(cur[code] + olen);
		}
		i += 2 + olen;
	}
	return 0;
}

int dhcp_parse(const uint8_t *buf, size_t len, struct dhcp_msg *m, const char **why)
{
	uint16_t tot[256] = { 0 }, cur[256];
	bool present[256] = { false };
	const uint8_t *area[3];
	size_t area_len[3];
	unsigned n_areas = 1;
	int ov = -1, rc;
	const char *dummy;
	size_t off = 0;

	if (!why)
		why = &dummy;
	*why = NULL;
	memset(&m->h, 0, sizeof(m->h));
	memset(m->opt, 0, sizeof(m->opt));
	m->overload = 0;
	m->data_len = 0;
	if (len > DHCP_MAX_LEN) {
		*why = "larger than 4096 bytes";
		return -EMSGSIZE;
	}
	if (len < DHCP_MIN_LEN) {
		*why = "shorter than a DHCP header (240 bytes)";
		return -EBADMSG;
	}
	if (get32(buf + 236) != DHCP_MAGIC) {
		*why = "no DHCP magic cookie (BOOTP or not DHCP)";
		return -EBADMSG;
	}
	m->h.op = buf[0];
	m->h.htype = buf[1];
	m->h.hlen = buf[2];
	m->h.hops = buf[3];
	m->h.xid = get32(buf + 4);
	m->h.secs = (uint16_t)(buf[8] << 8 | buf[9]);
	m->h.flags = (uint16_t)(buf[10] << 8 | buf[11]);
	m->h.ciaddr = get_addr(buf + 12);
	m->h.yiaddr = get_addr(buf + 16);
	m->h.siaddr = get_addr(buf + 20);
	m->h.giaddr = get_addr(buf + 24);
	memcpy(m->h.chaddr, buf + 28, 16);
	memcpy(m->h.sname, buf + 44, 64);
	memcpy(m->h.file, buf + 108, 128);
	if (m->h.hlen > sizeof(m->h.chaddr)) {
		*why = "hardware address length over 16";
		return -EBADMSG;
	}

	area[0] = buf + DHCP_MIN_LEN;
	area_len[0] = len - DHCP_MIN_LEN;
	rc = scan_area(area[0], area_len[0], tot, present, NULL, NULL, &ov, why);
	if (rc)
		return rc;
	if (ov >= 0) {
		if (ov < 1 || ov > 3) {
			*why = "option 52 (overload) is not 1, 2 or 3";
			return -EBADMSG;
		}
		m->overload = (uint8_t)ov;
		/* RFC 3396 section 7: options field, then file, then sname. */
		if (ov & 1) {
			area[n_areas] = buf + 108;
			area_len[n_areas++] = 128;
		}
		if (ov & 2) {
			area[n_areas] = buf + 44;
			area_len[n_areas++] = 64;
		}
		for (unsigned a = 1; a < n_areas; a++) {
			rc = scan_area(area[a], area_len[a], tot, present, NULL, NULL, NULL, why);
			if (rc)
				return rc;
		}
	}
	for (unsigned c = 0; c < 256; c++) {
		if (!present[c])
			continue;
		/* Values are copies of distinct bytes of buf, so their sum is below len. */
		m->opt[c].present = true;
		m->opt[c].off = (uint16_t)off;
		m->opt[c].len = tot[c];
		cur[c] = (uint16_t)off;
		off += tot[c];
	}
	m->data_len = off;
	for (unsigned a = 0; a < n_areas; a++) {
		rc = scan_area(area[a], area_len[a], tot, present, m->data, cur, NULL, why);
		if (rc)
			return rc;
	}
	return 0;
}

const uint8_t *dhcp_opt_get(const struct dhcp_msg *m, uint8_t code, size_t *len)
{
	if (!m->opt[code].present)
		return NULL;
	*len = m->opt[code].len;
	return m->data + m->opt[code].off;
}

int dhcp_msg_type(const struct dhcp_msg *m)
{
	size_t n;
	const uint8_t *v = dhcp_opt_get(m, DHCP_OPT_MSGTYPE, &n);

	return v && n == 1 ? v[0] : 0;
}

bool dhcp_opt_prefix(const struct dhcp_msg *m, uint8_t code, const char *prefix)
{
	size_t n, p = strlen(prefix);
	const uint8_t *v = dhcp_opt_get(m, code, &n);

	return v && n >= p && !memcmp(v, prefix, p);
}

int dhcp_client_arch(const struct dhcp_msg *m, uint16_t *arch)
{
	size_t n;
	const uint8_t *v = dhcp_opt_get(m, DHCP_OPT_CLIENT_ARCH, &n);

	if (v && n >= 2) {
		*arch = (uint16_t)(v[0] << 8 | v[1]);
		return 0;
	}
	/* Older PXE ROMs leave 93 out; PXE 2.1 puts the same number in option 60 as
	 * "PXEClient:Arch:xxxxx" (five decimal digits). */
	v = dhcp_opt_get(m, DHCP_OPT_VENDOR_CLASS, &n);
	if (!v)
		return -ENOENT;
	for (size_t i = 0; i + 5 <= n; i++) {
		unsigned val = 0, d = 0;
		if (memcmp(v + i, "Arch:", 5))
			continue;
		for (size_t j = i + 5; j < n && d < 5 && v[j] >= '0' && v[j] <= '9'; j++, d++)
			val = val * 10 + (unsigned)(v[j] - '0');
		if (d != 5 || val > 65535)
			return -ENOENT;
		*arch = (uint16_t)val;
		return 0;
	}
	return -ENOENT;
}

bool dhcp_user_class_is(const struct dhcp_msg *m, const char *cls, size_t n)
{
	size_t len, i = 0;
	const uint8_t *v = dhcp_opt_get(m, DHCP_OPT_USER_CLASS, &len);

	if (!v || !n)
		return false;
	/* iPXE sends the class as raw bytes (not RFC 3004). */
	if (len == n && !memcmp(v, cls, n))
		return true;
	/* RFC 3004: a list of length-prefixed entries; only a list that parses exactly
	 * is read as one. */
	while (i < len) {
		size_t l = v[i];
		if (l == 0 || l > len - i - 1)
			return false;
		if (l == n && !memcmp(v + i + 1, cls, n))
			return true;
		i += 1 + l;
	}
	return false;
}

int dhcp_guid_str(const struct dhcp_msg *m, char out[37])
{
	static const char hex[] = "0123456789abcdef";
	size_t n, o = 0;
	const uint8_t *v = dhcp_opt_get(m, DHCP_OPT_CLIENT_GUID, &n);

	out[0] = '\0';
	if (!v || n == 0)
		return -ENOENT;
	/* RFC 4578 2.5: type 0 then 16 bytes. Some ROMs send the 16 bytes alone. */
	if (n == 17 && v[0] == 0)
		v++;
	else if (n != 16)
		return -EBADMSG;
	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[v[i] >> 4];
		out[o++] = hex[v[i] & 15];
	}
	out[o] = '\0';
	return 0;
}

int dhcp_sub_get(const uint8_t *enc, size_t len, uint8_t code, const uint8_t **val, size_t *vlen)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = enc[i];
		size_t l;
		if (c == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (c == DHCP_OPT_END)
			return -ENOENT;
		if (len - i < 2)
			return -EBADMSG;
		l = enc[i + 1];
		if (l > len - i - 2)
			return -EBADMSG;
		if (c == code) {
			*val = enc + i + 2;
			*vlen = l;
			return 0;
		}
		i += 2 + l;
	}
	return -ENOENT;
}

static void build_put(struct dhcp_build *b, const void *p, size_t n)
{
	if (b->err)
		return;
	if (n > b->cap - b->len) {
		b->err = -ENOSPC;
		return;
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

void dhcp_build_start(struct dhcp_build *b, uint8_t *buf, size_t cap, const struct dhcp_hdr *h,
		      uint8_t type)
{
	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	b->err = 0;
	if (cap < DHCP_BOOTP_MIN) {
		b->err = -ENOSPC;
		return;
	}
	memset(buf, 0, DHCP_MIN_LEN);
	buf[0] = h->op;
	buf[1] = h->htype;
	buf[2] = h->hlen;
	buf[3] = h->hops;
	put32(buf + 4, h->xid);
	buf[8] = (uint8_t)(h->secs >> 8);
	buf[9] = (uint8_t)h->secs;
	buf[10] = (uint8_t)(h->flags >> 8);
	buf[11] = (uint8_t)h->flags;
	memcpy(buf + 12, &h->ciaddr, 4);
	memcpy(buf + 16, &h->yiaddr, 4);
	memcpy(buf + 20, &h->siaddr, 4);
	memcpy(buf + 24, &h->giaddr, 4);
	memcpy(buf + 28, h->chaddr, 16);
	memcpy(buf + 44, h->sname, 64);
	memcpy(buf + 108, h->file, 128);
	put32(buf + 236, DHCP_MAGIC);
	b->len = DHCP_MIN_LEN;
	if (type)
		dhcp_build_opt(b, DHCP_OPT_MSGTYPE, &type, 1);
}

void dhcp_build_opt(struct dhcp_build *b, uint8_t code, const void *val, size_t len)
{
	const uint8_t *p = val;

	do {
		size_t chunk = len > 255 ? 255 : len;
		uint8_t head[2] = { code, (uint8_t)chunk };
		build_put(b, head, 2);
		if (chunk)
			build_put(b, p, chunk);
		p += chunk;
		len -= chunk;
	} while (len && !b->err);
}

int dhcp_build_finish(struct dhcp_build *b, size_t *len)
{
	uint8_t end = DHCP_OPT_END;

	build_put(b, &end, 1);
	if (b->err)
		return b->err;
	if (b->len < DHCP_BOOTP_MIN) {
		memset(b->buf + b->len, 0, DHCP_BOOTP_MIN - b->len);
		b->len = DHCP_BOOTP_MIN;
	}
	*len = b->len;
	return 0;
}

int dhcp_sub_add(uint8_t *enc, size_t cap, size_t *len, uint8_t code, const void *val, size_t vlen)
{
	if (*len > cap || vlen > 255 || vlen + 2 > cap - *len)
		return -ENOSPC;
	enc[*len] = code;
	enc[*len + 1] = (uint8_t)vlen;
	if (vlen)
		memcpy(enc + *len + 2, val, vlen);
	*len += 2 + vlen;
	return 0;
}

const char *dhcp_type_name(int type)
{
	static const char *names[] = { "none", "DISCOVER", "OFFER",   "REQUEST", "DECLINE",
				       "ACK",  "NAK",	   "RELEASE", "INFORM" };

	return type >= 0 && type <= 8 ? names[type] : "other";
}

const char *dhcp_chaddr_str(const struct dhcp_hdr *h, char out[48])
{
	static const char hex[] = "0123456789abcdef";
	size_t n = h->hlen > 16 ? 16 : h->hlen, o = 0;

	for (size_t i = 0; i < n; i++) {
		if (i)
			out[o++] = ':';
		out[o++] = hex[h->chaddr[i] >> 4];
		out[o++] = hex[h->chaddr[i] & 15];
	}
	out[o] = '\0';
	return out;
}
