/* commands: subcommands that parse their own arguments; main.c dispatches to them. */
#ifndef CB_COMMANDS_H
#define CB_COMMANDS_H

/* chainboot write IMAGE DEVICE [--yes] [--force] [--no-verify] [--json]
 * argv[0] is "write". Returns the process exit code (see cmd_write_usage). */
int cmd_write_main(int argc, char **argv);

/* chainboot try IMAGE [--firmware bios|uefi|arm64] [--as cd|usb] [--net user|tap:IF]
 *                     [--timeout S] [--until TEXT] [--screenshot FILE] [--accel auto|tcg|kvm]
 * argv[0] is "try". Returns the process exit code (see cmd_try_usage). */
int cmd_try_main(int argc, char **argv);

/* chainboot keygen -o DIR [-s SITE] [-L LABEL] [--days N]: a Secure Boot site key and
 * certificate. argv[0] is "keygen". Returns the process exit code. */
int cmd_keygen_main(int argc, char **argv);

/* The help text of each command, for `chainboot help` and `chainboot CMD --help`. */
extern const char cmd_write_usage[];
extern const char cmd_try_usage[];
extern const char cmd_keygen_usage[];

#endif
