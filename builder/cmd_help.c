/* cmd_help: `chainboot help [COMMAND]` and `chainboot version`; the text comes from the
 * command table and each command's option table. */
#include <stdio.h>

#include "commands.h"

#ifndef CHAINBOOT_VERSION
#define CHAINBOOT_VERSION "0.1.0"
#endif

int cmd_help_main(int argc, char **argv)
{
	const struct cli_command *c;

	if (argc < 2) {
		cli_overview(stdout);
		return 0;
	}
	c = cli_find(argv[1]);
	if (!c || argc > 2) {
		fprintf(stderr,
			"chainboot help: give one command (chainboot help lists them)%s%s%s\n",
			c ? "" : ": \"", c ? "" : argv[1], c ? "" : "\" is none");
		return 2;
	}
	if (c->spec)
		cli_help(c->spec, stdout);
	else
		printf("chainboot %s: %s\n", c->name, c->summary);
	return 0;
}

int cmd_version_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("chainboot %s\n", CHAINBOOT_VERSION);
	return 0;
}
