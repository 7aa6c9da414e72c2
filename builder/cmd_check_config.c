/* cmd_check_config: `chainboot check-config` — the site file and options checked as a
 * build would use them (layout, arch, chain script); "configuration OK" or every error. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include <string.h>
#include <strings.h>

#include "commands.h"
#include "datadir.h"
#include "fileio.h"
#include "iniline.h"
#include "ipxebuild.h"
#include "ipxecache.h"
#include "sign.h"

/* Every key has a flag (README): the [server] ones too, as chainbootd spells them, so a
 * daemon's command line can be checked here as well. */
static const struct cli_opt check_opts[] = {
	CLI_OPTS_IMAGE,
	{ "listen", 0, "ADDR", "server", "listen", NULL,
	  "[server] the IPv4 address chainbootd serves on" },
	{ "interface", 0, "IF", "server", "interface", NULL,
	  "[server] answer proxyDHCP only on these (comma-separated)" },
	{ "http-port", 0, "N", "server", "http_port", NULL, "[server] HTTP port (1-65535)" },
	{ "boot-root", 0, "DIR", "server", "boot_root", NULL,
	  "[server] extra files served read-only" },
	{ "inventory", 0, "FILE", "server", "inventory", NULL, "[server] machines and profiles" },
	{ "user", 0, "NAME", "server", "user", NULL, "[server] user chainbootd drops to" },
	{ "proxydhcp", 0, "yes|no", "server", "proxydhcp", NULL,
	  "[server] answer PXE clients on ports 67/4011" },
	{ "no-proxydhcp", 0, NULL, "server", "proxydhcp", "no",
	  "[server] the same as --proxydhcp no" },
	{ "tftp", 0, "yes|no", "server", "tftp", NULL, "[server] serve TFTP on port 69" },
	{ "no-tftp", 0, NULL, "server", "tftp", "no", "[server] the same as --tftp no" },
	{ "ra-answer", 0, "on|off", "server", "ra_answer", NULL,
	  "[server] answer a booting client's IPv6 router solicitation" },
	{ "efi-binary", 0, "snponly|ipxe", "server", "efi_binary", NULL,
	  "[server] what UEFI x86_64 clients get" },
	{ "uefi-strategy", 0, "auto|4011|option43", "server", "uefi_strategy", NULL,
	  "[server] how UEFI PXE ROMs are answered" },
	{ "tftp-max", 0, "N", "server", "tftp_max", NULL, "[server] concurrent TFTP transfers" },
	{ "http-max", 0, "N", "server", "http_max", NULL, "[server] concurrent HTTP connections" },
	{ 0 },
};

const struct cli_spec cmd_check_config_spec = {
	"check-config",
	"[options]",
	"Check the site file and the options as build would use them; prints\n"
	"\"configuration OK\", or every error as FILE:LINE: what is wrong (exit status 2).\n",
	check_opts,
	NULL,
};

/* The first case-insensitive occurrence of needle in the n bytes at p, or NULL. */
static const char *strcasestr_n(const char *p, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (!strncasecmp(p + i, needle, k))
			return p + i;
	return NULL;
}

/* The first https:// URL the boot will fetch: a [chain] url, else one in the inventory
 * file (profile scripts, variables), as "WHERE: URL" in out. Empty: none. */
static void first_https(const struct site_config *c, char *out, size_t outsz)
{
	char *text = NULL, *p;
	size_t len;
	unsigned line = 1;

	out[0] = '\0';
	for (unsigned i = 0; i < c->n_urls; i++)
		if (!strncasecmp(c->urls[i], "https://", 8)) {
			snprintf(out, outsz, "[chain] url %s", c->urls[i]);
			return;
		}
	if (!c->inventory[0] || fileio_read_text(c->inventory, 1u << 22, &text, &len, NULL))
		return;
	for (p = text; *p; line++) {
		size_t n = strcspn(p, "\n");
		const char *u;

		/* a comment line fetches nothing: inih drops it, indented or not */
		if (!iniline_is_blank_or_comment(p) && (u = strcasestr_n(p, n, "https://"))) {
			snprintf(out, outsz, "%s:%u: %.*s", c->inventory, line,
				 (int)strcspn(u, " \t\r\n"), u);
			break;
		}
		p += n + (p[n] == '\n');
	}
	free(text);
}

/* An https:// URL with binaries that trust only iPXE's own root: a server certificate
 * from the site's own CA fails at boot ("Permission denied"), so say it here. */
static void warn_https(const struct site_config *c)
{
	char where[SITE_URL_MAX + PATH_MAX + 32], dir[PATH_MAX];
	int trust;

	first_https(c, where, sizeof(where));
	if (!where[0] || ipxecache_find_dir(c, dir, sizeof(dir), NULL))
		return;
	trust = ipxebuild_dir_trust(dir);
	if (trust > 0)
		return;
	fprintf(stderr,
		"chainboot check-config: warning: %s is https://, but the iPXE binaries in %s "
		"%s: they trust only iPXE's own root (the public CAs it cross-signs), "
		"so a server certificate from your own CA fails at boot with "
		"\"Permission denied\"; build binaries that trust it: chainboot build-ipxe "
		"--trust CA.pem --src IPXE_TREE -o DIR, then --ipxe-dir DIR\n",
		where, dir, trust == 0 ? "were built without --trust" : "are prebuilt");
}

int cmd_check_config_main(int argc, char **argv)
{
	static struct site_config c;
	static struct layout l;
	static struct cli cl;
	struct diag d = { { 0 } };
	char datadir[PATH_MAX], *script = NULL, note[256] = "", warn[512] = "";
	size_t len;
	int rc;

	rc = cli_parse(&cmd_check_config_spec, argc, argv, &cl);
	if (rc != CLI_GO)
		return rc;
	if (cl.n_args)
		return fprintf(stderr, "chainboot check-config: unexpected argument \"%s\"\n",
			       cl.args[0]),
		       2;
	rc = cli_load_site(&cl, &c, true, &d);
	/* The layout too when the site file has errors: every error at once. */
	if ((!rc || rc == -EINVAL) && !datadir_find(datadir, sizeof(datadir), &d)) {
		int lrc = cli_load_layout(datadir, &c, &l, &d);
		if (!rc)
			rc = lrc;
	} else if (!rc) {
		rc = -ENOENT;
	}
	if (!rc)
		rc = cli_fit_arch(&cl, &c, &l, note, sizeof(note), &d);
	if (!rc)
		rc = cli_render_script(&c, datadir, &script, &len, &d);
	free(script);
	/* The Secure Boot key and certificate: a pair that does not match is an error here
	 * too, not only when an image is signed. */
	if (!rc)
		rc = sign_check_site(&c, warn, sizeof(warn), &d);
	if (warn[0])
		fprintf(stderr, "chainboot check-config: warning: %s\n", warn);
	if (rc) {
		fprintf(stderr, "%s\n", d.msg);
		return 2;
	}
	if (note[0])
		fprintf(stderr, "chainboot check-config: note: %s\n", note);
	warn_https(&c);
	printf("configuration OK\n");
	return 0;
}
