/* commands: the command table. A new command is one row here and its builder/cmd_*.c;
 * `chainboot help`, the unknown-command message and main.c's dispatch all read it. */
#include <stddef.h>

#include "commands.h"

const struct cli_command cli_commands[] = {
	{ "build", cmd_build_main,
	  "make a boot image (default layout: hybrid ISO/USB, BIOS + UEFI x86_64 + UEFI arm64)",
	  &cmd_build_spec },
	{ "inspect", cmd_inspect_main,
	  "show partitions, boot entries, iPXE user-class, embedded script and URLs",
	  &cmd_inspect_spec },
	{ "check-config", cmd_check_config_main,
	  "check the site file and options; prints \"configuration OK\" or every error",
	  &cmd_check_config_spec },
	{ "script", cmd_script_main, "print the chain script an image would carry",
	  &cmd_script_spec },
	{ "rebrand", cmd_rebrand_main,
	  "give prebuilt iPXE binaries (or an image of them) our user-class", &cmd_rebrand_spec },
	{ "build-ipxe", cmd_build_ipxe_main,
	  "build iPXE from source with our user-class and chain script embedded",
	  &cmd_build_ipxe_spec },
	{ "write", cmd_write_main,
	  "write an image to a USB stick safely: refuses the wrong disk, verifies",
	  &cmd_write_spec },
	{ "try", cmd_try_main, "boot an image in QEMU, its serial console on this terminal",
	  &cmd_try_spec },
	{ "dhcp-config", cmd_dhcp_config_main,
	  "print the DHCP server snippet (dnsmasq, isc, kea) that boots like chainbootd's proxy",
	  &cmd_dhcp_config_spec },
	{ "keygen", cmd_keygen_main,
	  "make a Secure Boot site key and certificate (for --secure-boot shim|db)",
	  &cmd_keygen_spec },
	{ "status", cmd_status_main,
	  "show the machines a running chainbootd has seen, and their boots", &cmd_status_spec },
	{ "help", cmd_help_main, "this text; help COMMAND: that command's options", NULL },
	{ "version", cmd_version_main, "print the version", NULL },
	{ NULL, NULL, NULL, NULL },
};
