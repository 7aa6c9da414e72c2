/* cmd_dhcp_config: `chainboot dhcp-config dnsmasq|isc|kea` — print the DHCP server
 * snippet that boots like chainbootd's proxyDHCP (builder/dhcpconfig.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "dhcpconfig.h"

static const struct cli_opt dhcp_config_opts[] = {
	CLI_OPT_SITE,
	{ "listen", 0, "ADDR", "server", "listen", NULL,
	  "the IPv4 address chainbootd serves on (next-server, URLs)" },
	{ "http-port", 0, "N", "server", "http_port", NULL, "chainbootd's HTTP port" },
	CLI_OPT_CLASS("the user-class our iPXE sends (default CSTM)"),
	{ "efi-binary", 0, "snponly|ipxe", "server", "efi_binary", NULL,
	  "the iPXE for UEFI x86_64 PXE clients" },
	{ 0 },
};

const struct cli_spec cmd_dhcp_config_spec = {
	"dhcp-config",
	"dnsmasq|isc|kea [options]",
	"Print the DHCP server configuration that boots like chainbootd's proxyDHCP;\n"
	"then run chainbootd --no-proxydhcp for TFTP and HTTP.\n",
	dhcp_config_opts,
	NULL,
};

int cmd_dhcp_config_main(int argc, char **argv)
{
	static struct site_config c;
	static struct cli cl;
	struct diag d = { { 0 } };
	enum dhcpconfig_fmt fmt;
	char *text = NULL;
	size_t len;
	int rc;

	rc = cli_parse(&cmd_dhcp_config_spec, argc, argv, &cl);
	if (rc != CLI_GO)
		return rc;
	if (cl.n_args != 1 || dhcpconfig_fmt_parse(cl.args[0], &fmt)) {
		fprintf(stderr, "chainboot dhcp-config: name one server: dnsmasq, isc or kea\n");
		return 2;
	}
	rc = cli_load_site(&cl, &c, false, &d);
	if (!rc)
		rc = dhcpconfig_render(&c, fmt, &text, &len, &d);
	if (rc)
		return cli_fail("dhcp-config", &d, rc);
	fwrite(text, 1, len, stdout);
	free(text);
	return fflush(stdout) ? 1 : 0;
}
