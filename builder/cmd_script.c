/* cmd_script: `chainboot script` — print the chain script an image would carry. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "datadir.h"

static const struct cli_opt script_opts[] = {
	CLI_OPTS_IMAGE,
	{ 0 },
};

const struct cli_spec cmd_script_spec = {
	"script",
	"[options]",
	"Print the chain script an image made with the same site file and options would\n"
	"carry.\n",
	script_opts,
	NULL,
};

int cmd_script_main(int argc, char **argv)
{
	static struct site_config c;
	static struct cli cl;
	struct diag d = { { 0 } };
	char datadir[PATH_MAX], *script = NULL;
	size_t len;
	int rc;

	rc = cli_parse(&cmd_script_spec, argc, argv, &cl);
	if (rc != CLI_GO)
		return rc;
	if (cl.n_args)
		return fprintf(stderr, "chainboot script: unexpected argument \"%s\"\n",
			       cl.args[0]),
		       2;
	rc = cli_load_site(&cl, &c, true, &d);
	if (!rc)
		rc = datadir_find(datadir, sizeof(datadir), &d);
	if (!rc)
		rc = cli_render_script(&c, datadir, &script, &len, &d);
	if (rc)
		return cli_fail("script", &d, rc);
	fwrite(script, 1, len, stdout);
	free(script);
	return 0;
}
