/* facts: the one list of machine facts a script request carries (mac, uuid, serial, …),
 * written as an iPXE query string. The image's chain script, the stub chainbootd serves
 * at /chain.ipxe (what the proxy and the dhcp-config snippets offer) and the README's
 * list all come from here, so a fact the inventory matches on cannot go missing on one
 * path. Pure: no I/O. */
#ifndef CB_FACTS_H
#define CB_FACTS_H

#include <stddef.h>

/* The stub's path on chainbootd (HTTP and TFTP): it chains /boot.ipxe with the facts.
 * One DHCP option 67 (255 bytes; iPXE does not join split options) cannot hold all of
 * them, so the offer names this short URL instead. */
#define FACTS_STUB_NAME	  "chain.ipxe"
#define FACTS_SCRIPT_PATH "/boot.ipxe"

/* The facts, in the order they appear in every query. */
extern const char *const facts_names[];
extern const size_t facts_count;

/* How three facts are expanded where the default ${NAME:uristring} is not right: the
 * chain script keeps the NIC's MAC and UUID in its own settings, and a rebranded binary
 * sends its class without a user-class setting (the stub writes it literally). NULL
 * means the default. */
struct facts_expr {
	const char *mac;
	const char *uuid;
	const char *uc;
};

/* Write "mac=EXPR&uuid=EXPR&…&uc=EXPR" (NUL-terminated) into out. Returns 0 or
 * -ENAMETOOLONG. */
int facts_query(const struct facts_expr *e, char *out, size_t outsz);

/* Percent-encode s (RFC 3986 unreserved characters kept) into out. Returns 0 or
 * -ENAMETOOLONG. */
int facts_uri_encode(const char *s, char *out, size_t outsz);

/* The stub script: "#!ipxe", then a chain to BASE/boot.ipxe with every fact, the class
 * given literally (class, encoded here). Returns 0 or -ENAMETOOLONG. */
int facts_stub(const char *base, const char *class, char *out, size_t outsz);

#endif
