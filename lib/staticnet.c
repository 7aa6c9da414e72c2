/* staticnet: one [static] host entry, "MAC|any ADDRESS/PREFIX [gateway IPV4] [dns IPV4]".
 * The value is a user's site file line: every word is checked, nothing is guessed, and
 * the result is what the chain script's `set netX/ip` lines will carry, so it holds only
 * dotted IPv4 text and a lower-case MAC. */
#include "staticnet.h"
#include "hex.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *why, size_t whysz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Six hex pairs with one separator kind (':' or '-'), into lower-case colon text. */
static bool mac_parse(const char *w, char out[18])
{
	char sep;

	if (strlen(w) != 17)
		return false;
	sep = w[2];
	if (sep != ':' && sep != '-')
		return false;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (w[i] != sep)
				return false;
			out[i] = ':';
		} else {
			if (!isxdigit((unsigned char)w[i]))
				return false;
			out[i] = (char)tolower((unsigned char)w[i]);
		}
	}
	out[17] = '\0';
	return true;
}

/* A dotted IPv4 address (inet_pton: exactly four decimal parts), host order in *a. */
static bool ipv4_parse(const char *w, uint32_t *a)
{
	struct in_addr in;

	if (inet_pton(AF_INET, w, &in) != 1)
		return false;
	*a = ntohl(in.s_addr);
	return true;
}

/* Why a unicast host address cannot be this one, or NULL. */
static const char *ipv4_unusable(uint32_t a)
{
	if (a == 0)
		return "is 0.0.0.0";
	if ((a >> 24) == 127)
		return "is a loopback address (127.0.0.0/8)";
	if ((a >> 28) >= 14)
		return "is a multicast or reserved address (224.0.0.0 and above)";
	return NULL;
}

static void ipv4_text(uint32_t a, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* "ADDRESS/PREFIX" into e->addr, e->prefix, e->netmask; *a and *mask for the checks that
 * follow. */
static int addr_parse(const char *w, struct staticnet *e, uint32_t *a, uint32_t *mask, char *why,
		      size_t whysz)
{
	const char *slash = strchr(w, '/');
	char ip[16];
	unsigned long p;
	const char *bad;
	char *end;

	if (!slash)
		return fail(why, whysz,
			    "\"%s\" has no /PREFIX: give the address with its prefix length, "
			    "e.g. 198.51.100.50/24",
			    w);
	if ((size_t)(slash - w) >= sizeof(ip) ||
	    (snprintf(ip, sizeof(ip), "%.*s", (int)(slash - w), w), !ipv4_parse(ip, a)))
		return fail(why, whysz, "\"%.*s\" is not an IPv4 address (e.g. 198.51.100.50)",
			    (int)(slash - w), w);
	if ((bad = ipv4_unusable(*a)))
		return fail(why, whysz, "address %s %s; give the machine's own address", ip, bad);
	errno = 0;
	p = strtoul(slash + 1, &end, 10);
	if (!isdigit((unsigned char)slash[1]) || *end || errno || p < 1 || p > 32)
		return fail(why, whysz, "prefix \"/%s\" is not a whole number from 1 to 32",
			    slash + 1);
	*mask = p == 32 ? 0xffffffffu : ~(0xffffffffu >> p);
	/* On a subnet of 4 or more addresses the first and last are not hosts' (RFC 1812
	 * section 4.2.2.11; /31 and /32 have no such addresses, RFC 3021). */
	if (p <= 30 && ((*a & ~*mask) == 0 || (*a & ~*mask) == ~*mask))
		return fail(why, whysz,
			    "address %s is the %s address of its /%lu subnet, not a host's", ip,
			    (*a & ~*mask) == 0 ? "network" : "broadcast", p);
	e->prefix = (unsigned)p;
	ipv4_text(*a, e->addr);
	ipv4_text(*mask, e->netmask);
	return 0;
}

/* The keyword pairs after the address: gateway (in the subnet) and dns, once each. */
static int option_parse(const char *kw, const char *val, struct staticnet *e, uint32_t a,
			uint32_t mask, char *why, size_t whysz)
{
	bool gw = !strcmp(kw, "gateway");
	char *dst = gw ? e->gateway : e->dns;
	const char *bad;
	uint32_t v;

	if (!gw && strcmp(kw, "dns"))
		return fail(why, whysz,
			    "\"%s\" is not a keyword here (after the address: gateway IPV4, "
			    "dns IPV4)",
			    kw);
	if (!val)
		return fail(why, whysz, "%s: needs an IPv4 address after it", kw);
	if (dst[0])
		return fail(why, whysz, "%s is given twice (once each)", kw);
	if (!ipv4_parse(val, &v))
		return fail(why, whysz, "%s: \"%s\" is not an IPv4 address (e.g. 198.51.100.1)", kw,
			    val);
	if ((bad = ipv4_unusable(v)))
		return fail(why, whysz, "%s: %s %s", kw, val, bad);
	if (gw && v == a)
		return fail(why, whysz, "gateway %s is the machine's own address", val);
	/* iPXE would ARP for a gateway outside the subnet and never reach it. */
	if (gw && (v & mask) != (a & mask))
		return fail(why, whysz, "gateway %s is outside the machine's subnet %s/%u", val,
			    e->addr, e->prefix);
	ipv4_text(v, dst);
	return 0;
}

int staticnet_parse(const char *value, struct staticnet *e, char *why, size_t whysz)
{
	char buf[256], *save = NULL, *w[8];
	uint32_t a = 0, mask = 0;
	unsigned n = 0;
	int rc;

	memset(e, 0, sizeof(*e));
	if (strlen(value) >= sizeof(buf))
		return fail(why, whysz, "is longer than %zu characters", sizeof(buf) - 1);
	strcpy(buf, value);
	for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == sizeof(w) / sizeof(w[0]))
			return fail(why, whysz,
				    "has too many words (want MAC|any ADDRESS/PREFIX [gateway "
				    "IPV4] [dns IPV4])");
		w[n++] = t;
	}
	if (n < 2)
		return fail(why, whysz,
			    "needs at least a MAC (or any) and ADDRESS/PREFIX, e.g. "
			    "52:54:00:12:34:56 198.51.100.50/24 gateway 198.51.100.1");
	if (strcasecmp(w[0], "any")) {
		if (!mac_parse(w[0], e->mac))
			return fail(why, whysz,
				    "\"%s\" is not a MAC address (six hex pairs such as "
				    "52:54:00:12:34:56) nor any",
				    w[0]);
		if (hex_digit(e->mac[1]) & 1)
			return fail(why, whysz,
				    "%s is a multicast MAC address; a NIC's own MAC is unicast",
				    w[0]);
	}
	if ((rc = addr_parse(w[1], e, &a, &mask, why, whysz)))
		return rc;
	for (unsigned i = 2; i < n; i += 2)
		if ((rc = option_parse(w[i], i + 1 < n ? w[i + 1] : NULL, e, a, mask, why, whysz)))
			return rc;
	return 0;
}
