/* cmd_inspect: `chainboot inspect FILE [--json]` — what an image or an iPXE binary holds
 * (builder/inspect.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "inspect.h"
#include "inspect_sb.h"

static const struct cli_opt inspect_opts[] = {
	{ "json", 0, NULL, NULL, NULL, NULL, "one JSON object on stdout, for programs" },
	{ "cert", 0, "FILE", NULL, NULL, NULL,
	  "PEM certificate: say whether each EFI binary's signature verifies against it" },
	{ 0 },
};

const struct cli_spec cmd_inspect_spec = {
	"inspect",
	"FILE [--json] [--cert FILE]",
	"Show what an image (ISO, disk or ESP image) or an iPXE binary holds: partitions,\n"
	"boot entries, the iPXE user-class, the embedded script and its URLs, and for each\n"
	"EFI binary its Secure Boot facts (signed, signer, shim/MokManager/iPXE, SBAT).\n",
	inspect_opts,
	NULL,
};

int cmd_inspect_main(int argc, char **argv)
{
	static struct cli cl;
	struct diag d = { { 0 } };
	const char *cert;
	int rc;

	rc = cli_parse(&cmd_inspect_spec, argc, argv, &cl);
	if (rc != CLI_GO)
		return rc;
	if (cl.n_args != 1)
		return fprintf(stderr, "chainboot inspect: give one image or iPXE binary: "
				       "chainboot inspect FILE [--json]\n"),
		       2;
	cert = cli_get(&cl, "cert");
	if (cert && access(cert, R_OK))
		return fprintf(stderr, "chainboot inspect: --cert %s: %s\n", cert, strerror(errno)),
		       2;
	inspect_sb_set_cert(cert);
	rc = inspect_image(cl.args[0], cli_get(&cl, "json") != NULL, stdout, &d);
	if (rc)
		return cli_fail("inspect", &d, rc);
	return 0;
}
