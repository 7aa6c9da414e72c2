/* commands: the `chainboot` commands, one builder/cmd_*.c each; builder/commands.c
 * lists them in cli_commands, from which main.c dispatches and help is made. */
#ifndef CB_COMMANDS_H
#define CB_COMMANDS_H

#include "cli.h"

/* Each takes argv[0] = its name, parses its own options (cli_parse over its spec) and
 * returns the process exit status. */
int cmd_build_main(int argc, char **argv);
int cmd_inspect_main(int argc, char **argv);
int cmd_check_config_main(int argc, char **argv);
int cmd_script_main(int argc, char **argv);
int cmd_rebrand_main(int argc, char **argv);
int cmd_build_ipxe_main(int argc, char **argv);
int cmd_write_main(int argc, char **argv);
int cmd_try_main(int argc, char **argv);
int cmd_dhcp_config_main(int argc, char **argv);
int cmd_help_main(int argc, char **argv);
int cmd_version_main(int argc, char **argv);

int cmd_keygen_main(int argc, char **argv);
int cmd_status_main(int argc, char **argv);

/* Their options and help texts. */
extern const struct cli_spec cmd_build_spec, cmd_inspect_spec, cmd_check_config_spec,
	cmd_script_spec, cmd_rebrand_spec, cmd_build_ipxe_spec, cmd_write_spec, cmd_try_spec,
	cmd_dhcp_config_spec, cmd_keygen_spec, cmd_status_spec;

#endif
