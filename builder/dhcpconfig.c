/* dhcpconfig: print a DHCP server snippet (dnsmasq, ISC dhcpd, Kea) that answers like
 * chainbootd's proxyDHCP: our iPXE gets the inventory script URL, vendor iPXE ROMs and
 * PXE ROMs get our binaries by architecture, UEFI HTTP boot gets a URL. Input is the
 * site configuration (trusted, already validated); the file names and the script URL
 * come from server/decide so snippet and proxy never disagree. */
#include "dhcpconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "fileio.h"
#include "ipxebin.h"
#include "ipxecache.h"
#include "rebrand.h"

int dhcpconfig_fmt_parse(const char *name, enum dhcpconfig_fmt *out)
{
	if (!strcmp(name, "dnsmasq"))
		*out = DHCPCONFIG_DNSMASQ;
	else if (!strcmp(name, "isc") || !strcmp(name, "dhcpd"))
		*out = DHCPCONFIG_ISC;
	else if (!strcmp(name, "kea"))
		*out = DHCPCONFIG_KEA;
	else
		return -EINVAL;
	return 0;
}

/* Will the BIOS binaries chainbootd serves ask DHCP as our class? It rebrands prebuilt
 * ones only up to REBRAND_CLASS_MAX bytes; beyond that (or with rebrand = no) only
 * binaries that already carry the class (chainboot build-ipxe) do. A stock one asks
 * again as iPXE, is offered ipxe.pxe again, and the machine loops. */
static int check_bios_class(const struct site_config *c, struct diag *d)
{
	char dir[4096], path[4200], cls[IPXEBIN_CLASS_MAX];
	struct diag q = { { 0 } };
	uint8_t *buf = NULL;
	size_t len = 0;
	bool ours;

	if (c->rebrand != SITE_REBRAND_NO && strlen(c->user_class) <= REBRAND_CLASS_MAX)
		return 0;
	ours = ipxecache_find_dir(c, dir, sizeof(dir), &q) == 0;
	if (ours) {
		snprintf(path, sizeof(path), "%s/ipxe.pxe", dir);
		ours = fileio_read(path, REBRAND_MAX_INPUT, &buf, &len, &q) == 0 &&
		       ipxebin_user_class(buf, len, cls, sizeof(cls), &q) == 0 &&
		       !strcmp(cls, c->user_class);
		free(buf);
	}
	if (ours)
		return 0;
	if (c->rebrand == SITE_REBRAND_NO)
		return diag_set(d, -EINVAL,
				"rebrand = no, and the BIOS binaries do not carry user-class "
				"\"%s\": a stock ipxe.pxe asks again as iPXE and BIOS machines "
				"would loop; allow rebranding, or give --ipxe-dir with binaries "
				"from `chainboot build-ipxe -c %s`",
				c->user_class, c->user_class);
	return diag_set(d, -EINVAL,
			"user-class \"%s\" is %zu bytes: prebuilt iPXE binaries can be "
			"rebranded to 1-%d bytes only, and the stock ipxe.pxe chainbootd would "
			"serve asks again as iPXE, so BIOS machines would loop; choose a class of "
			"1-%d bytes, or give --ipxe-dir with binaries from `chainboot build-ipxe "
			"-c %s`",
			c->user_class, strlen(c->user_class), REBRAND_CLASS_MAX, REBRAND_CLASS_MAX,
			c->user_class);
}

struct vals {
	const char *L;	  /* next-server */
	char script[300]; /* the fact stub's URL (decide_script_url) */
	char base[64];	  /* http://L[:port] */
	const char *efi;  /* snponly.efi or ipxe-amd64.efi */
	const char *cls;  /* our user-class */
	const char *src;  /* where the configuration came from */
};

/* ISC and Kea put the class in a quoted string: refuse what would need escaping
 * rather than escape differently per format. */
static bool plain_class(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || *s == '\'' || *s == ',' || *s == '#')
			return false;
	return true;
}

static void dnsmasq(FILE *f, const struct vals *v)
{
	fprintf(f,
		"# chainboot: network boot options for dnsmasq, from %s\n"
		"# (user-class %s, boot server %s). Add to the dnsmasq configuration that hands "
		"out\n"
		"# your addresses, and run chainbootd --no-proxydhcp there (TFTP and HTTP only).\n"
		"# dnsmasq matches user-classes as substrings; tags start with cb-.\n"
		"dhcp-userclass=set:cb-ours,%s\n"
		"dhcp-userclass=set:cb-ipxe,iPXE\n"
		"dhcp-vendorclass=set:cb-pxe,PXEClient\n"
		"dhcp-vendorclass=set:cb-http,HTTPClient\n"
		"dhcp-match=set:cb-bios,option:client-arch,0\n"
		"dhcp-match=set:cb-x64,option:client-arch,7\n"
		"dhcp-match=set:cb-x64,option:client-arch,9\n"
		"dhcp-match=set:cb-arm64,option:client-arch,11\n"
		"dhcp-match=set:cb-http-x64,option:client-arch,16\n"
		"dhcp-match=set:cb-http-arm64,option:client-arch,19\n"
		"\n"
		"# Our iPXE (user-class %s): chainbootd's stub, which chains the inventory "
		"script with every machine fact.\n"
		"dhcp-boot=tag:cb-ours,%s\n"
		"\n"
		"# Vendor iPXE ROMs (user-class iPXE: VirtualBox, QEMU, many NICs) lack commands "
		"such as\n"
		"# console: they get our full iPXE, rebranded to %s (BIOS: ipxe.pxe, not "
		"undionly.kpxe).\n"
		"dhcp-boot=tag:cb-ipxe,tag:!cb-ours,tag:cb-bios,ipxe.pxe,,%s\n"
		"dhcp-boot=tag:cb-ipxe,tag:!cb-ours,tag:cb-x64,%s,,%s\n"
		"dhcp-boot=tag:cb-ipxe,tag:!cb-ours,tag:cb-arm64,ipxe-arm64.efi,,%s\n"
		"\n"
		"# PXE ROMs (firmware): by architecture, over TFTP from chainbootd.\n"
		"dhcp-boot=tag:cb-pxe,tag:!cb-ipxe,tag:!cb-ours,tag:cb-bios,undionly.kpxe,,%s\n"
		"dhcp-boot=tag:cb-pxe,tag:!cb-ipxe,tag:!cb-ours,tag:cb-x64,%s,,%s\n"
		"dhcp-boot=tag:cb-pxe,tag:!cb-ipxe,tag:!cb-ours,tag:cb-arm64,ipxe-arm64.efi,,%s\n"
		"\n"
		"# UEFI HTTP boot: the EFI binary by URL; the firmware wants option 60 HTTPClient "
		"back.\n"
		"dhcp-boot=tag:cb-http,tag:!cb-ours,tag:cb-http-x64,%s/%s\n"
		"dhcp-boot=tag:cb-http,tag:!cb-ours,tag:cb-http-arm64,%s/ipxe-arm64.efi\n"
		"dhcp-option-force=tag:cb-http,tag:!cb-ours,option:vendor-class,HTTPClient\n",
		v->src, v->cls, v->L, v->cls, v->cls, v->script, v->cls, v->L, v->efi, v->L, v->L,
		v->L, v->efi, v->L, v->L, v->base, v->efi, v->base);
}

static void isc(FILE *f, const struct vals *v)
{
	fprintf(f,
		"# chainboot: network boot options for ISC dhcpd, from %s\n"
		"# (user-class %s, boot server %s). Put the option line at the top of dhcpd.conf "
		"and\n"
		"# the if-block inside the subnet (or pool) your machines boot from; run "
		"chainbootd\n"
		"# --no-proxydhcp (TFTP and HTTP only).\n"
		"option cb-client-arch code 93 = unsigned integer 16;\n"
		"\n"
		"if exists user-class and option user-class = \"%s\" {\n"
		"  # Our iPXE: chainbootd's stub, which chains the inventory script with every "
		"fact.\n"
		"  option bootfile-name \"%s\";\n"
		"} elsif exists user-class and option user-class = \"iPXE\" {\n"
		"  # Vendor iPXE ROMs (VirtualBox, QEMU, many NICs): our full, rebranded iPXE.\n"
		"  next-server %s;\n"
		"  if option cb-client-arch = 00:00 { filename \"ipxe.pxe\"; }\n"
		"  elsif option cb-client-arch = 00:07 or option cb-client-arch = 00:09 { filename "
		"\"%s\"; }\n"
		"  elsif option cb-client-arch = 00:0b { filename \"ipxe-arm64.efi\"; }\n"
		"} elsif substring (option vendor-class-identifier, 0, 10) = \"HTTPClient\" {\n"
		"  # UEFI HTTP boot: the EFI binary by URL, and option 60 HTTPClient back.\n"
		"  option vendor-class-identifier \"HTTPClient\";\n"
		"  if option cb-client-arch = 00:10 { filename \"%s/%s\"; }\n"
		"  elsif option cb-client-arch = 00:13 { filename \"%s/ipxe-arm64.efi\"; }\n"
		"} elsif substring (option vendor-class-identifier, 0, 9) = \"PXEClient\" {\n"
		"  # PXE ROMs (firmware): by architecture, over TFTP from chainbootd.\n"
		"  next-server %s;\n"
		"  if option cb-client-arch = 00:00 { filename \"undionly.kpxe\"; }\n"
		"  elsif option cb-client-arch = 00:07 or option cb-client-arch = 00:09 { filename "
		"\"%s\"; }\n"
		"  elsif option cb-client-arch = 00:0b { filename \"ipxe-arm64.efi\"; }\n"
		"}\n",
		v->src, v->cls, v->L, v->cls, v->script, v->L, v->efi, v->base, v->efi, v->base,
		v->L, v->efi);
}

static void kea(FILE *f, const struct vals *v)
{
	/* Kea's config is JSON with comments allowed; classes are evaluated in order,
	 * so member('cb-ours') can exclude our iPXE from the later ones. */
	fprintf(f,
		"// chainboot: network boot classes for Kea DHCPv4, from %s\n"
		"// (user-class %s, boot server %s). Merge \"client-classes\" into your \"Dhcp4\" "
		"map;\n"
		"// run chainbootd --no-proxydhcp (TFTP and HTTP only).\n"
		"{\n"
		"  \"Dhcp4\": {\n"
		"    \"client-classes\": [\n"
		"      { \"name\": \"cb-ours\", \"test\": \"option[77].hex == '%s'\",\n"
		"        \"option-data\": [ { \"name\": \"boot-file-name\", \"always-send\": "
		"true,\n"
		"                           \"data\": \"%s\" } ] },\n"
		"      { \"name\": \"cb-ipxe-bios\", \"test\": \"not member('cb-ours') and "
		"option[77].hex == 'iPXE' and option[93].hex == 0x0000\",\n"
		"        \"next-server\": \"%s\", \"boot-file-name\": \"ipxe.pxe\" },\n"
		"      { \"name\": \"cb-ipxe-x64\", \"test\": \"not member('cb-ours') and "
		"option[77].hex == 'iPXE' and (option[93].hex == 0x0007 or option[93].hex == "
		"0x0009)\",\n"
		"        \"next-server\": \"%s\", \"boot-file-name\": \"%s\" },\n"
		"      { \"name\": \"cb-ipxe-arm64\", \"test\": \"not member('cb-ours') and "
		"option[77].hex == 'iPXE' and option[93].hex == 0x000b\",\n"
		"        \"next-server\": \"%s\", \"boot-file-name\": \"ipxe-arm64.efi\" },\n"
		"      { \"name\": \"cb-http-x64\", \"test\": \"substring(option[60].hex,0,10) == "
		"'HTTPClient' and option[93].hex == 0x0010\",\n"
		"        \"boot-file-name\": \"%s/%s\",\n"
		"        \"option-data\": [ { \"name\": \"vendor-class-identifier\", "
		"\"always-send\": true, \"data\": \"HTTPClient\" } ] },\n"
		"      { \"name\": \"cb-http-arm64\", \"test\": \"substring(option[60].hex,0,10) "
		"== 'HTTPClient' and option[93].hex == 0x0013\",\n"
		"        \"boot-file-name\": \"%s/ipxe-arm64.efi\",\n"
		"        \"option-data\": [ { \"name\": \"vendor-class-identifier\", "
		"\"always-send\": true, \"data\": \"HTTPClient\" } ] },\n"
		"      { \"name\": \"cb-pxe-bios\", \"test\": \"not member('cb-ours') and not "
		"member('cb-ipxe-bios') and substring(option[60].hex,0,9) == 'PXEClient' and "
		"option[93].hex == 0x0000\",\n"
		"        \"next-server\": \"%s\", \"boot-file-name\": \"undionly.kpxe\" },\n"
		"      { \"name\": \"cb-pxe-x64\", \"test\": \"not member('cb-ours') and not "
		"member('cb-ipxe-x64') and substring(option[60].hex,0,9) == 'PXEClient' and "
		"(option[93].hex == 0x0007 or option[93].hex == 0x0009)\",\n"
		"        \"next-server\": \"%s\", \"boot-file-name\": \"%s\" },\n"
		"      { \"name\": \"cb-pxe-arm64\", \"test\": \"not member('cb-ours') and not "
		"member('cb-ipxe-arm64') and substring(option[60].hex,0,9) == 'PXEClient' and "
		"option[93].hex == 0x000b\",\n"
		"        \"next-server\": \"%s\", \"boot-file-name\": \"ipxe-arm64.efi\" }\n"
		"    ]\n"
		"  }\n"
		"}\n",
		v->src, v->cls, v->L, v->cls, v->script, v->L, v->L, v->efi, v->L, v->base, v->efi,
		v->base, v->L, v->L, v->efi, v->L);
}

int dhcpconfig_render(const struct site_config *c, enum dhcpconfig_fmt fmt, char **out, size_t *len,
		      struct diag *d)
{
	struct vals v = { .L = c->listen,
			  .cls = c->user_class,
			  .src = c->source[0] ? c->source : "the command line" };
	FILE *f;
	int n;

	if (!c->listen[0] || !strcmp(c->listen, "auto"))
		return diag_set(
			d, -EINVAL,
			"dhcp-config needs the boot server's address: set [server] listen or "
			"give --listen ADDR (listen = auto is resolved by chainbootd only)");
	if (!plain_class(c->user_class))
		return diag_set(
			d, -EINVAL,
			"user-class \"%s\" has a quote, backslash, comma or '#', which DHCP "
			"server configurations cannot carry as written: choose a plain class",
			c->user_class);
	/* dnsmasq matches classes as substrings: ours inside "iPXE" would hand the script
	 * to every vendor ROM, the very failure chainboot exists to avoid. */
	if (fmt == DHCPCONFIG_DNSMASQ && strstr("iPXE", c->user_class))
		return diag_set(
			d, -EINVAL,
			"user-class \"%s\" is part of \"iPXE\": dnsmasq matches classes as "
			"substrings and would treat vendor iPXE ROMs as ours; choose another class",
			c->user_class);
	n = check_bios_class(c, d);
	if (n)
		return n;
	if (decide_script_url(c, v.script, sizeof(v.script)))
		return diag_set(d, -EINVAL, "the script URL for %s does not fit one DHCP option",
				c->listen);
	n = c->http_port == 80
		    ? snprintf(v.base, sizeof(v.base), "http://%s", c->listen)
		    : snprintf(v.base, sizeof(v.base), "http://%s:%u", c->listen, c->http_port);
	if (n < 0 || (size_t)n >= sizeof(v.base))
		return diag_set(d, -EINVAL, "listen address too long");
	v.efi = strcmp(c->efi_binary, "ipxe") ? "snponly.efi" : "ipxe-amd64.efi";

	*out = NULL;
	*len = 0;
	f = open_memstream(out, len);
	if (!f)
		return diag_set(d, -ENOMEM, "out of memory");
	switch (fmt) {
	case DHCPCONFIG_DNSMASQ:
		dnsmasq(f, &v);
		break;
	case DHCPCONFIG_ISC:
		isc(f, &v);
		break;
	case DHCPCONFIG_KEA:
		kea(f, &v);
		break;
	}
	if (fclose(f)) {
		free(*out);
		*out = NULL;
		return diag_set(d, -ENOMEM, "out of memory");
	}
	return 0;
}
