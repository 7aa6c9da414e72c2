/* cmd_inspect: `chainboot inspect FILE [--json]` — what an image or an iPXE binary holds
 * (builder/inspect.c). */
#include <stdio.h>

#include "commands.h"
#include "inspect.h"

static const struct cli_opt inspect_opts[] = {
	{ "json", 0, NULL, NULL, NULL, NULL, "one JSON object on stdout, for programs" },
	{ 0 },
};

const struct cli_spec cmd_inspect_spec = {
	"inspect",
	"FILE [--json]",
	"Show what an image (ISO, disk or ESP image) or an iPXE binary holds: partitions,\n"
	"boot entries, the iPXE user-class, the embedded script and its URLs.\n",
	inspect_opts,
	NULL,
};

int cmd_inspect_main(int argc, char **argv)
{
	static struct cli cl;
	struct diag d = { { 0 } };
	int rc;

	rc = cli_parse(&cmd_inspect_spec, argc, argv, &cl);
	if (rc != CLI_GO)
		return rc;
	if (cl.n_args != 1)
		return fprintf(stderr, "chainboot inspect: give one image or iPXE binary: "
				       "chainboot inspect FILE [--json]\n"),
		       2;
	rc = inspect_image(cl.args[0], cli_get(&cl, "json") != NULL, stdout, &d);
	if (rc)
		return cli_fail("inspect", &d, rc);
	return 0;
}
