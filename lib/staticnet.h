/* staticnet: one [static] host entry of the site file (a fixed IPv4 address for a MAC, or
 * for any MAC), parsed and checked. */
#ifndef CB_STATICNET_H
#define CB_STATICNET_H

#include <stddef.h>

#define STATICNET_MAX 64 /* entries in one site file */

struct staticnet {
	char mac[18];	  /* "52:54:00:12:34:56", lower case as iPXE shows ${netX/mac};
			   * "" = the entry for any MAC */
	char addr[16];	  /* dotted IPv4 */
	unsigned prefix;  /* 1 to 32 */
	char netmask[16]; /* the prefix as a dotted mask (iPXE's netX/netmask) */
	char gateway[16]; /* "" = none (only the local subnet is reachable) */
	char dns[16];	  /* "" = none */
	unsigned line;	  /* where it was given (site file line), for messages */
};

/* Parse "MAC|any ADDRESS/PREFIX [gateway IPV4] [dns IPV4]" (words separated by
 * spaces or tabs, keywords in any order after the address) into e. MAC: six hex pairs
 * separated by ':' or '-', unicast. Returns 0, or -EINVAL with why (whysz bytes) saying
 * what is wrong and what is allowed. */
int staticnet_parse(const char *value, struct staticnet *e, char *why, size_t whysz);

/* True for the entry that serves any MAC. */
static inline int staticnet_is_any(const struct staticnet *e)
{
	return e->mac[0] == '\0';
}

#endif
