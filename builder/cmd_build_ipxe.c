/* cmd_build_ipxe: `chainboot build-ipxe --src TREE` — iPXE built from a source tree with
 * our user-class, the chain script embedded and the site's CA trusted (--trust), cached
 * between runs (builder/ipxebuild.c, builder/buildcache.c). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "datadir.h"
#include "ipxebuild.h"

static const struct cli_opt build_ipxe_opts[] = {
	{ "src", 0, "DIR", NULL, NULL, NULL,
	  "an iPXE source tree (git clone of ipxe/ipxe); it is copied, never changed" },
	{ "output", 'o', "DIR", NULL, NULL, NULL,
	  "where the binaries go (default ipxe-build), usable as --ipxe-dir" },
	{ "jobs", 'j', "N", NULL, NULL, NULL, "parallel make jobs (default: the number of CPUs)" },
	{ "trust", 't', "CA.pem", NULL, NULL, NULL,
	  "trust this CA certificate (PEM) for https:// instead of iPXE's own root;\n"
	  "repeat for several (iPXE's TRUST= and CERT=)" },
	{ "only", 0, "LIST", NULL, NULL, NULL,
	  "build only these binaries (comma-separated: ipxe.lkrn, ipxe.pxe,\n"
	  "undionly.kpxe, undionly.kkpxe, ipxe-amd64.efi, snponly.efi, ipxe-arm64.efi)" },
	{ "no-cache", 0, NULL, NULL, NULL, NULL,
	  "build in a temporary directory and keep nothing (default: the build tree\n"
	  "and recent results are kept in the cache, ipxe-build/)" },
	CLI_OPT_SITE,
	CLI_OPT_URL,
	CLI_OPT_CLASS("DHCP user-class the binaries send (default CSTM)"),
	CLI_OPT_ARCH,
	CLI_OPTS_CHAIN,
	{ 0 },
};

const struct cli_spec cmd_build_ipxe_spec = {
	"build-ipxe",
	"--src IPXE_TREE [-o DIR] [--trust CA.pem] [options]",
	"Build iPXE from source with our user-class and the chain script embedded (the same\n"
	"site file and options as build), trusting your own CA for https:// with --trust;\n"
	"then: chainboot build --ipxe-dir DIR. Debian's ipxe source package, unpacked:\n"
	"see chainboot-fetch-ipxe(8).\n",
	build_ipxe_opts,
	NULL,
};

static void on_signal(int sig)
{
	(void)sig;
	ipxebuild_interrupt();
}

static int parse_jobs(const char *s, unsigned *out)
{
	unsigned long j;
	char *end;

	errno = 0;
	j = strtoul(s, &end, 10);
	if (errno || end == s || *end || j < 1 || j > 256)
		return fprintf(stderr,
			       "chainboot build-ipxe: --jobs \"%s\" is not a number from 1 "
			       "to 256\n",
			       s),
		       2;
	*out = (unsigned)j;
	return 0;
}

/* Every --trust file checked (one PEM certificate each) before anything is built. */
static int get_trust(const struct cli *cl, struct ipxebuild_opts *o, const char **trust,
		     struct diag *d)
{
	unsigned n = cli_get_all(cl, "trust", trust, IPXEBUILD_MAX_TRUST);
	int rc;

	if (n > IPXEBUILD_MAX_TRUST)
		return diag_set(d, -EINVAL, "--trust given %u times: at most %d certificates", n,
				IPXEBUILD_MAX_TRUST);
	for (unsigned i = 0; i < n; i++) {
		rc = ipxebuild_check_trust(trust[i], d);
		if (rc)
			return rc;
	}
	o->trust = trust;
	o->n_trust = n;
	return 0;
}

int cmd_build_ipxe_main(int argc, char **argv)
{
	static struct site_config c;
	static struct cli cl;
	struct ipxebuild_opts o = { 0 };
	const char *trust[IPXEBUILD_MAX_TRUST];
	struct diag d = { { 0 } };
	char datadir[PATH_MAX], outdir[PATH_MAX], *script = NULL;
	size_t len;
	int rc;

	rc = cli_parse(&cmd_build_ipxe_spec, argc, argv, &cl);
	if (rc != CLI_GO)
		return rc;
	if (!cli_get(&cl, "src"))
		return fprintf(stderr,
			       "chainboot build-ipxe: give the iPXE source tree: --src DIR\n"),
		       2;
	if (cl.n_args)
		return fprintf(stderr,
			       "chainboot build-ipxe: unexpected argument \"%s\" (the output is -o "
			       "DIR)\n",
			       cl.args[0]),
		       2;
	if (cli_get(&cl, "jobs") && parse_jobs(cli_get(&cl, "jobs"), &o.jobs))
		return 2;
	/* The embedded script is the chain script: the same site file and flags as build. */
	rc = get_trust(&cl, &o, trust, &d);
	if (!rc)
		rc = cli_load_site(&cl, &c, true, &d);
	if (!rc)
		rc = datadir_find(datadir, sizeof(datadir), &d);
	if (!rc)
		rc = cli_render_script(&c, datadir, &script, &len, &d);
	if (rc)
		return cli_fail("build-ipxe", &d, rc);
	o.src = cli_get(&cl, "src");
	o.outdir = cli_get(&cl, "output") ? cli_dir(cli_get(&cl, "output"), outdir, sizeof(outdir))
					  : "ipxe-build";
	o.cls = c.user_class;
	o.script = script;
	o.script_len = len;
	o.arch = c.arch;
	o.only = cli_get(&cl, "only");
	o.no_cache = cli_get(&cl, "no-cache") != NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	rc = ipxebuild_run(&o, stdout, &d);
	free(script);
	if (rc == -EINTR)
		return fprintf(stderr, "chainboot build-ipxe: %s\n", d.msg), 130;
	if (rc)
		return cli_fail("build-ipxe", &d, rc);
	printf("chainboot: use them with: chainboot build --ipxe-dir %s (they already send %s: "
	       "build uses them as they are)\n",
	       o.outdir, c.user_class);
	return 0;
}
