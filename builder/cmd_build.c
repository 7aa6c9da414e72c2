/* cmd_build: `chainboot build` — the site file and options into a plan (plan.c), the plan
 * into an image (image.c), with the signals that must end a build cleanly. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "datadir.h"
#include "image.h"
#include "plan.h"
#include "sign.h"

static const struct cli_opt build_opts[] = {
	CLI_OPTS_IMAGE,
	{ 0 },
};

const struct cli_spec cmd_build_spec = {
	"build",
	"[options]",
	"Make a boot image from the site file and these options (each overrides the file).\n",
	build_opts,
	"environment: SOURCE_DATE_EPOCH (reproducible timestamps), CHAINBOOT_DATADIR,\n"
	"CHAINBOOT_IPXE_DIR, CHAINBOOT_CACHE (cache root; rebranded binaries go to its "
	"rebranded/)\n",
};

static void on_signal(int sig)
{
	(void)sig;
	image_interrupt();
}

/* Site file, layout, arch and output name: what the plan needs. */
static int build_config(struct cli *cl, struct site_config *c, struct layout *l, char *datadir,
			struct diag *d)
{
	char note[256];
	int rc;

	rc = cli_load_site(cl, c, true, d);
	/* The layout too when the site file has errors: every error at once. */
	if ((!rc || rc == -EINVAL) && !datadir_find(datadir, PATH_MAX, d)) {
		int lrc = cli_load_layout(datadir, c, l, d);
		if (!rc)
			rc = lrc;
	} else if (!rc) {
		rc = -ENOENT;
	}
	if (!rc)
		rc = cli_fit_arch(cl, c, l, note, sizeof(note), d);
	if (rc)
		return rc;
	if (note[0])
		fprintf(stderr, "chainboot build: note: %s\n", note);
	if (!c->output[0])
		snprintf(c->output, sizeof(c->output), "%s",
			 l->container == LAYOUT_ISO ? "chainboot.iso" : "chainboot.img");
	return 0;
}

int cmd_build_main(int argc, char **argv)
{
	static struct site_config c;
	static struct layout l;
	static struct plan p;
	static struct cli cl;
	struct diag d = { { 0 } };
	char datadir[PATH_MAX], archs[32];
	struct stat st;
	int rc;

	rc = cli_parse(&cmd_build_spec, argc, argv, &cl);
	if (rc != CLI_GO)
		return rc;
	if (cl.n_args)
		return fprintf(stderr,
			       "chainboot build: unexpected argument \"%s\" (the output is -o "
			       "FILE)\n",
			       cl.args[0]),
		       2;
	rc = build_config(&cl, &c, &l, datadir, &d);
	if (!rc)
		rc = plan_make(&c, &l, datadir, &p, &d);
	if (rc)
		return cli_fail("build", &d, rc);
	/* Before the ESP is made: its files must be the signed ones. */
	rc = sign_plan(&p, &c, &d);
	if (rc) {
		plan_free(&p);
		return cli_fail("build", &d, rc);
	}
	if (p.note[0])
		fprintf(stderr, "chainboot build: note: %s\n", p.note);
	/* No SA_RESTART: a signal must end the build's current step, not be slept through. */
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	rc = image_build(&p, c.output, &d);
	plan_free(&p);
	if (rc == -EINTR)
		return fprintf(stderr, "chainboot build: %s\n", d.msg), 130;
	if (rc)
		return cli_fail("build", &d, rc);
	if (stat(c.output, &st))
		st.st_size = 0;
	printf("chainboot: wrote %s (%.1f MiB, layout %s, arch %s, user-class %s, %s iPXE, %u "
	       "URL%s)\n",
	       c.output, (double)st.st_size / (1024.0 * 1024.0), l.name,
	       site_arch_str(c.arch, archs, sizeof(archs)), c.user_class,
	       p.rebrand ? "rebranded" : "stock", c.n_urls, c.n_urls == 1 ? "" : "s");
	return 0;
}
