/* cmd_keygen: `chainboot keygen -o DIR`: a site key and certificate for Secure Boot
 * (RSA 2048, SHA-256, code signing), made by openssl from an argv array. Never replaces
 * an existing key: a lost key means re-enrolling every machine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "fileio.h"
#include "siteconf.h"
#include "spawn.h"

static const struct cli_opt keygen_opts_tbl[] = {
	{ "output", 'o', "DIR", NULL, NULL, NULL,
	  "where site.key, site.crt and site.cer go (required; made if missing)" },
	CLI_OPT_SITE,
	{ "label", 'L', "LABEL", NULL, NULL, NULL,
	  "name in the subject (default: the site file's [site] label)" },
	{ "days", 0, "N", NULL, NULL, NULL, "validity in days, 1 to 36500 (default 3650)" },
	{ 0 },
};

const struct cli_spec cmd_keygen_spec = {
	"keygen",
	"-o DIR [-s SITE] [-L LABEL] [--days N]",
	"Make DIR/site.key (private, mode 0600), DIR/site.crt (PEM) and DIR/site.cer (DER,\n"
	"for MokManager or the firmware's db). Subject: \"LABEL Secure Boot (chainboot)\".\n"
	"Refuses to replace existing files. Then: chainboot build --secure-boot shim|db\n"
	"--sb-key DIR/site.key --sb-cert DIR/site.crt\n",
	keygen_opts_tbl,
	NULL,
};

struct keygen_opts {
	const char *dir, *site, *label;
	unsigned days;
};

/* CLI_GO, or the exit status. */
static int keygen_parse(int argc, char **argv, struct keygen_opts *o)
{
	static struct cli cl;
	const char *days;
	char *end;
	int rc = cli_parse(&cmd_keygen_spec, argc, argv, &cl);

	if (rc != CLI_GO)
		return rc;
	static char dir[PATH_MAX];

	o->dir = cli_get(&cl, "output");
	if (o->dir)
		o->dir = cli_dir(o->dir, dir, sizeof(dir));
	o->site = cli_get(&cl, "site");
	o->label = cli_get(&cl, "label");
	days = cli_get(&cl, "days");
	if (days) {
		unsigned long v = strtoul(days, &end, 10);
		if (*end || end == days || v < 1 || v > 36500)
			return fprintf(stderr,
				       "chainboot keygen: --days \"%s\" is not a whole number from "
				       "1 to 36500\n",
				       days),
			       2;
		o->days = (unsigned)v;
	}
	if (cl.n_args)
		return fprintf(stderr, "chainboot keygen: unexpected argument \"%s\"\n",
			       cl.args[0]),
		       2;
	if (!o->dir)
		return fprintf(stderr, "chainboot keygen: give the directory: -o DIR\n"), 2;
	return CLI_GO;
}

/* The subject from the label; labels hold only A-Z 0-9 _ (siteconf), nothing to escape. */
static int keygen_label(const struct keygen_opts *o, char *out, size_t outsz, struct diag *d)
{
	static struct site_config c;
	int rc = 0;

	site_defaults(&c);
	if (o->site)
		rc = site_load(&c, o->site, d);
	if (!rc && o->label)
		rc = site_set(&c, "site", "label", o->label, "--label", d);
	if (!rc)
		snprintf(out, outsz, "%s", c.label);
	return rc;
}

int cmd_keygen_main(int argc, char **argv)
{
	struct keygen_opts o = { .days = 3650 };
	struct diag d = { { 0 } };
	char label[32], subj[128], key[PATH_MAX], crt[PATH_MAX], cer[PATH_MAX], tmpkey[PATH_MAX],
		days[16];
	int rc;

	rc = keygen_parse(argc, argv, &o);
	if (rc != CLI_GO)
		return rc;
	rc = keygen_label(&o, label, sizeof(label), &d);
	if (rc)
		return fprintf(stderr, "chainboot keygen: %s\n", d.msg), 2;
	if (snprintf(key, sizeof(key), "%s/site.key", o.dir) >= (int)sizeof(key) ||
	    snprintf(tmpkey, sizeof(tmpkey), "%s/.site.key.new", o.dir) >= (int)sizeof(tmpkey))
		return fprintf(stderr, "chainboot keygen: %s: path too long\n", o.dir), 2;
	snprintf(crt, sizeof(crt), "%s/site.crt", o.dir);
	snprintf(cer, sizeof(cer), "%s/site.cer", o.dir);
	for (const char *f = key; f; f = f == key ? crt : f == crt ? cer : NULL)
		if (!access(f, F_OK))
			return fprintf(stderr,
				       "chainboot keygen: %s exists; refusing to replace a site "
				       "key "
				       "(machines that enrolled it would stop booting): choose "
				       "another -o DIR\n",
				       f),
			       1;
	rc = fileio_mkdirs(o.dir, 0700, &d);
	if (rc)
		return fprintf(stderr, "chainboot keygen: %s\n", d.msg), 1;
	snprintf(subj, sizeof(subj), "/CN=%s Secure Boot (chainboot)", label);
	snprintf(days, sizeof(days), "%u", o.days);
	/* The key is written under a temporary name in a 0700 step, then renamed: a half-made
	 * pair never looks like a usable one. */
	char *req[] = { "openssl", "req",
			"-new",	   "-x509",
			"-newkey", "rsa:2048",
			"-sha256", "-nodes",
			"-days",   days,
			"-subj",   subj,
			"-addext", "extendedKeyUsage=codeSigning",
			"-keyout", tmpkey,
			"-out",	   crt,
			NULL };
	char *der[] = { "openssl", "x509", "-in", crt, "-outform", "der", "-out", cer, NULL };
	mode_t old = umask(077);
	rc = spawn_run(req, NULL, NULL, 0, &d);
	umask(old);
	if (!rc && chmod(tmpkey, 0600))
		rc = diag_set(&d, -errno, "%s: %s", tmpkey, strerror(errno));
	if (!rc && chmod(crt, 0644))
		rc = diag_set(&d, -errno, "%s: %s", crt, strerror(errno));
	if (!rc)
		rc = spawn_run(der, NULL, NULL, 0, &d);
	if (!rc && chmod(cer, 0644))
		rc = diag_set(&d, -errno, "%s: %s", cer, strerror(errno));
	if (!rc && rename(tmpkey, key))
		rc = diag_set(&d, -errno, "%s: %s", key, strerror(errno));
	if (rc) {
		unlink(tmpkey);
		unlink(crt);
		unlink(cer);
		return fprintf(stderr, "chainboot keygen: %s\n", d.msg), 1;
	}
	printf("chainboot: wrote %s (private: keep it safe, mode 0600), %s and %s (subject "
	       "\"CN=%s Secure Boot (chainboot)\", RSA 2048, SHA-256, %u days)\n"
	       "  build with: chainboot build --secure-boot shim --sb-key %s --sb-cert %s\n",
	       key, crt, cer, label, o.days, key, crt);
	return 0;
}
