/* facts: the machine facts of a script request as one list, and the query strings and
 * stub script made from it (see facts.h). */
#include "facts.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *const facts_names[] = {
	"mac",	 "uuid",     "serial",	 "manufacturer", "product",
	"asset", "hostname", "platform", "buildarch",	 "uc",
};
const size_t facts_count = sizeof(facts_names) / sizeof(facts_names[0]);

int facts_uri_encode(const char *s, char *out, size_t outsz)
{
	static const char unreserved[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s; s++) {
		if (outsz - o < 4)
			return -ENAMETOOLONG;
		if (strchr(unreserved, *s)) {
			out[o++] = *s;
		} else {
			out[o++] = '%';
			out[o++] = hex[(unsigned char)*s >> 4];
			out[o++] = hex[*s & 15];
		}
	}
	if (o >= outsz)
		return -ENAMETOOLONG;
	out[o] = '\0';
	return 0;
}

int facts_query(const struct facts_expr *e, char *out, size_t outsz)
{
	size_t o = 0;

	for (size_t i = 0; i < facts_count; i++) {
		const char *name = facts_names[i], *x = NULL;
		int n;

		if (!strcmp(name, "mac"))
			x = e->mac;
		else if (!strcmp(name, "uuid"))
			x = e->uuid;
		else if (!strcmp(name, "uc"))
			x = e->uc;
		/* iPXE's "user-class" setting is what the uc fact reports. */
		n = x ? snprintf(out + o, outsz - o, "%s%s=%s", i ? "&" : "", name, x)
		      : snprintf(out + o, outsz - o, "%s%s=${%s:uristring}", i ? "&" : "", name,
				 strcmp(name, "uc") ? name : "user-class");
		if (n < 0 || (size_t)n >= outsz - o)
			return -ENAMETOOLONG;
		o += (size_t)n;
	}
	return 0;
}

int facts_stub(const char *base, const char *class, char *out, size_t outsz)
{
	char uc[3 * 255 + 1], q[2048];
	/* Typed settings expand to their text form; a :uristring override would
	 * percent-encode their raw bytes instead (a MAC as six binary bytes). */
	struct facts_expr e = { .mac = "${netX/mac}", .uuid = "${uuid}", .uc = uc };
	int n;

	if (facts_uri_encode(class, uc, sizeof(uc)) || facts_query(&e, q, sizeof(q)))
		return -ENAMETOOLONG;
	/* --autofree: the stub is gone once the real script runs, as with every chain. */
	n = snprintf(out, outsz,
		     "#!ipxe\n"
		     "# chainboot: ask the inventory with every machine fact\n"
		     "chain --autofree %s" FACTS_SCRIPT_PATH "?%s\n",
		     base, q);
	return n < 0 || (size_t)n >= outsz ? -ENAMETOOLONG : 0;
}
