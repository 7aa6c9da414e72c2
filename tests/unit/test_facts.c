/* test_facts: one list of machine facts on every path. The query the image's chain
 * script sends, the stub chainbootd serves at /chain.ipxe, the inventory's fact table and
 * the URL the proxy and each dhcp-config snippet offer are compared with facts_names.
 * Usage: test_facts [SRCDIR]; default $CHAINBOOT_SRCDIR or ".". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainscript.h"
#include "decide.h"
#include "dhcpconfig.h"
#include "facts.h"
#include "fileio.h"
#include "inventory.h"
#include "siteconf.h"
#include "test.h"

/* The keys of the query after the first '?' in line (up to a space or newline), in
 * order, joined by ','; false if there is no query. */
static bool query_keys(const char *line, char *out, size_t outsz)
{
	const char *p = strchr(line, '?');
	size_t o = 0;

	if (!p)
		return false;
	for (p++; *p && *p != ' ' && *p != '\n';) {
		const char *eq = strchr(p, '=');
		size_t n;

		if (!eq)
			return false;
		n = (size_t)(eq - p);
		if (o + n + 2 > outsz)
			return false;
		if (o)
			out[o++] = ',';
		memcpy(out + o, p, n);
		o += n;
		/* Values may hold ${a:b} but never a bare '&'. */
		p = eq;
		while (*p && *p != '&' && *p != ' ' && *p != '\n')
			p++;
		if (*p == '&')
			p++;
	}
	out[o] = '\0';
	return true;
}

static void expected_keys(char *out, size_t outsz)
{
	size_t o = 0;

	for (size_t i = 0; i < facts_count; i++)
		o += (size_t)snprintf(out + o, outsz - o, "%s%s", i ? "," : "", facts_names[i]);
}

static void test_inventory_table(void)
{
	bool same = facts_count == INV_N_FACTS;

	for (size_t i = 0; same && i < facts_count; i++)
		same = !strcmp(facts_names[i], inventory_fact_name((enum inv_fact)i)) &&
		       inventory_fact_index(facts_names[i]) == (int)i;
	ok(same, "the inventory matches on exactly the %zu facts, in the same order", facts_count);
}

static void test_chain_script(const char *srcdir, const char *want)
{
	char path[4096], keys[512];
	struct site_config c;
	char *tmpl = NULL, *out = NULL;
	size_t tlen = 0, len = 0;
	struct diag d;
	const char *line;

	snprintf(path, sizeof(path), "%s/scripts/chain.ipxe.in", srcdir);
	diag_clear(&d);
	site_defaults(&c);
	snprintf(c.urls[0], sizeof(c.urls[0]), "http://198.51.100.2/boot.ipxe");
	c.n_urls = 1;
	ok(fileio_read_text(path, CHAINSCRIPT_MAX, &tmpl, &tlen, &d) == 0 &&
		   chainscript_render(&c, tmpl, tlen, &out, &len, &d) == 0,
	   "chain script renders (%s)", d.msg);
	line = out ? strstr(out, "\nchain --autofree --timeout ${cb-http-ms} ${cb-url") : NULL;
	/* The URL is ${cb-urlN}${cb-sepN}: the query starts after the separator. */
	if (line) {
		const char *q = strstr(line, "}${cb-sep${cb-i}}");
		char buf[1024];

		snprintf(buf, sizeof(buf), "?%s", q ? q + strlen("}${cb-sep${cb-i}}") : "");
		ok(q && query_keys(buf, keys, sizeof(keys)) && !strcmp(keys, want),
		   "chain script sends every fact in order: %s", q ? keys : "(no URL line)");
		ok(strstr(line, "mac=${cb-mac:uristring}&uuid=${cb-uuid:uristring}&") != NULL,
		   "chain script: MAC and UUID from its per-NIC settings");
	} else {
		ok(0, "chain script has its URL line");
	}
	free(tmpl);
	free(out);
}

static void test_stub(const char *want)
{
	char stub[4096], keys[512], small[64];

	ok(facts_stub("http://198.51.100.2:8080", "C S", stub, sizeof(stub)) == 0, "stub renders");
	ok(!strncmp(stub, "#!ipxe\n", 7) &&
		   strstr(stub, "\nchain --autofree http://198.51.100.2:8080/boot.ipxe?mac=") !=
			   NULL,
	   "stub: an iPXE script chaining this server's /boot.ipxe");
	ok(query_keys(strstr(stub, "\nchain "), keys, sizeof(keys)) && !strcmp(keys, want),
	   "stub sends every fact in order: %s", keys);
	ok(strstr(stub, "&uc=C%20S\n") && strstr(stub, "mac=${netX/mac}&uuid=${uuid}&"),
	   "stub: class written literally, percent-encoded; MAC and UUID as text");
	ok(facts_stub("http://198.51.100.2", "CSTM", small, sizeof(small)) == -ENAMETOOLONG,
	   "stub: a short buffer is -ENAMETOOLONG");
	ok(facts_uri_encode("abc", small, 3) == -ENAMETOOLONG &&
		   facts_uri_encode("a~/", small, sizeof(small)) == 0 && !strcmp(small, "a~%2F"),
	   "uri encoding: bounded, unreserved kept");
}

/* The proxy offers the stub; so does every dhcp-config snippet, and none of them an
 * inline query that could only hold some of the facts. */
static void test_offers(void)
{
	static const enum dhcpconfig_fmt fmts[] = { DHCPCONFIG_DNSMASQ, DHCPCONFIG_ISC,
						    DHCPCONFIG_KEA };
	static const char *const names[] = { "dnsmasq", "isc", "kea" };
	struct site_config c;
	char url[256];
	struct diag d;

	site_defaults(&c);
	snprintf(c.listen, sizeof(c.listen), "198.51.100.2");
	c.http_port = 8080;
	ok(decide_script_url(&c, url, sizeof(url)) == 0 &&
		   !strcmp(url, "http://198.51.100.2:8080/" FACTS_STUB_NAME),
	   "proxy offers the stub: %s", url);
	for (size_t i = 0; i < 3; i++) {
		char *out = NULL;
		size_t len = 0;

		diag_clear(&d);
		ok(dhcpconfig_render(&c, fmts[i], &out, &len, &d) == 0 && out &&
			   strstr(out, "http://198.51.100.2:8080/" FACTS_STUB_NAME) &&
			   !strstr(out, "boot.ipxe?"),
		   "%s snippet offers the stub, no partial fact list (%s)", names[i], d.msg);
		free(out);
	}
}

int main(int argc, char **argv)
{
	const char *srcdir = argc > 1 ? argv[1] : getenv("CHAINBOOT_SRCDIR");
	char want[512];

	expected_keys(want, sizeof(want));
	ok(strstr(want, "hostname") && strstr(want, "asset"), "the list has hostname and asset");
	test_inventory_table();
	test_chain_script(srcdir ? srcdir : ".", want);
	test_stub(want);
	test_offers();
	return test_done();
}
