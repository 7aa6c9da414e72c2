/* chainboot: the command line's entry point. Finds the command in the table
 * (builder/commands.c) and hands it the arguments; each command parses its own
 * options and prints its errors, once. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int main(int argc, char **argv)
{
	const struct cli_command *c;
	char list[512];
	size_t used = 0;

	if (argc < 2) {
		cli_overview(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		argv[1] = "help";
	else if (!strcmp(argv[1], "--version"))
		argv[1] = "version";
	c = cli_find(argv[1]);
	if (c)
		return c->main(argc - 1, argv + 1);
	list[0] = '\0';
	for (c = cli_commands; c->name && used < sizeof(list); c++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "",
					 c->name);
	fprintf(stderr, "chainboot: unknown command \"%s\" (commands: %s)\n", argv[1], list);
	return 2;
}
