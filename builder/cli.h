/* cli: what every `chainboot` command shares — the command table, the option tables
 * each command declares, one parser over them (an option a command does not declare is a
 * usage error that names it), help text made from the tables, and the site file with its
 * command-line overrides applied in one place. */
#ifndef CB_CLI_H
#define CB_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "layout.h"
#include "siteconf.h"

#define CLI_GO	     (-1) /* cli_parse: carry on; anything else is the exit status */
#define CLI_MAX_OPTS 48	  /* options of one command */
#define CLI_MAX_OV   64	  /* site overrides on one command line */
#define CLI_MAX_OWN  64	  /* the command's own options on one command line */

/* One option of a command. A table of them ends with a NULL name. */
struct cli_opt {
	const char *name;	   /* long name, without "--" */
	char letter;		   /* short option, or 0 */
	const char *arg;	   /* what its value is ("FILE", "yes|no"), or NULL: a flag */
	const char *section, *key; /* the site-file setting it overrides; NULL: the command's own */
	const char *value;	   /* for a flag with a key: the value it sets (--no-rebrand) */
	const char *help;	   /* '\n' continues it; NULL: not shown (test hooks) */
};

/* A command's help and options: `chainboot NAME --help` is made from it. */
struct cli_spec {
	const char *name;
	const char *synopsis; /* what follows "usage: chainboot NAME" */
	const char *about;    /* text under the usage line, or NULL */
	const struct cli_opt *opts;
	const char *epilogue; /* text after the options (exit status), or NULL */
};

/* One command: a row of cli_commands (builder/commands.c). */
struct cli_command {
	const char *name;
	int (*main)(int argc, char **argv); /* argv[0] is the command's name; returns the exit */
	const char *summary;		    /* one line for `chainboot help` */
	const struct cli_spec *spec;	    /* NULL: takes no options (help, version) */
};
extern const struct cli_command cli_commands[]; /* ends with a NULL name */

/* A site-file setting given on the command line, applied after the file in this order. */
struct cli_override {
	const char *section, *key, *value, *flag;
};

enum cli_arch_from {
	CLI_ARCH_DEFAULT, /* neither the site file nor --arch: may narrow to the layout */
	CLI_ARCH_SITE,	  /* the site file's arch: narrows to the layout, with a note */
	CLI_ARCH_OPTION,  /* --arch: a layout that cannot boot it is an error */
};

struct cli {
	const struct cli_spec *spec;
	struct cli_override ov[CLI_MAX_OV];
	unsigned n_ov;
	const char *own[CLI_MAX_OPTS]; /* by index in spec->opts: last value given, "" a flag */
	struct {
		unsigned opt; /* index in spec->opts */
		const char *value;
	} seq[CLI_MAX_OWN]; /* every own option in command-line order (repeatable ones) */
	unsigned n_seq;
	char **args; /* the arguments that are not options */
	unsigned n_args;
	enum cli_arch_from arch_from; /* set by cli_load_site */
};

/* Parse argv (argv[0] the command) against spec into cl. Returns CLI_GO, or the exit
 * status when the command is done: 0 after --help, 2 after a usage error (printed). */
int cli_parse(const struct cli_spec *spec, int argc, char **argv, struct cli *cl);

/* The value of the command's own option NAME (the last one given; "" for a flag), or
 * NULL when it was not given. */
const char *cli_get(const struct cli *cl, const char *name);

/* Every value of the command's own option NAME in command-line order (for an option
 * that may be repeated): the first max go to out; returns how many were given. */
unsigned cli_get_all(const struct cli *cl, const char *name, const char **out, unsigned max);

/* Print a command's help (`chainboot NAME --help`) and the overview (`chainboot help`). */
void cli_help(const struct cli_spec *spec, FILE *out);
void cli_overview(FILE *out);

/* The command named name, or NULL. */
const struct cli_command *cli_find(const char *name);

/* Defaults, then the site file (--site), then the overrides in order: the last word
 * wins. whole: the settings an image or a script is made from, so --url replaces the
 * file's URLs and the whole-config checks (site_validate) run. Returns 0, -EINVAL (d
 * holds every bad setting) or -errno. */
int cli_load_site(struct cli *cl, struct site_config *c, bool whole, struct diag *d);

/* The layout c->layout from the data directory's layouts/. An error is added to d (after
 * any already there) as "site.ini:12: layout: …"; an unknown name is -EINVAL. */
int cli_load_layout(const char *datadir, const struct site_config *c, struct layout *l,
		    struct diag *d);

/* Fit c->arch to what l boots: a default or site-file list narrows to it (a note in
 * note, "" if none, when the site file's list is cut); an --arch it cannot boot, or
 * nothing left, is -EINVAL with the reason in d. */
int cli_fit_arch(const struct cli *cl, struct site_config *c, const struct layout *l, char *note,
		 size_t notesz, struct diag *d);

/* The chain script for c from datadir/scripts/chain.ipxe.in; *out is malloc'd. */
int cli_render_script(const struct site_config *c, const char *datadir, char **out, size_t *len,
		      struct diag *d);

/* dir without its trailing slashes ("rb/" gives "rb", "/" stays), in buf: paths made
 * from it read rb/x, not rb//x. */
const char *cli_dir(const char *dir, char *buf, size_t bufsz);

/* "chainboot CMD: message" on stderr; returns the exit status (2 for -EINVAL, else 1). */
int cli_fail(const char *cmd, const struct diag *d, int rc);

/* The options several commands share, for their tables. */
#define CLI_OPT_SITE                                                                            \
	{                                                                                       \
		"site", 's', "FILE", NULL, NULL, NULL, "site file (INI; see examples/site.ini)" \
	}
#define CLI_OPT_CLASS(help)                                                  \
	{                                                                    \
		"user-class", 'c', "CLASS", "site", "user_class", NULL, help \
	}
#define CLI_OPT_URL                                                                             \
	{                                                                                       \
		"url", 'u', "URL", "chain", "url", NULL,                                        \
			"inventory script URL; repeat for fallbacks (replaces the file's list)" \
	}
#define CLI_OPT_ARCH                                                                    \
	{                                                                               \
		"arch", 'a', "LIST", "image", "arch", NULL,                             \
			"x86_64 and/or arm64 (default: both, or what the layout boots)" \
	}
/* The [chain] settings: how the chain script retries. */
#define CLI_OPTS_CHAIN                                                                    \
	{ "rounds",                                                                       \
	  0,                                                                              \
	  "N",                                                                            \
	  "chain",                                                                        \
	  "rounds",                                                                       \
	  NULL,                                                                           \
	  "passes over every NIC and URL before the menu (1-100)" },                      \
		{ "backoff",                                                              \
		  0,                                                                      \
		  "S",                                                                    \
		  "chain",                                                                \
		  "backoff",                                                              \
		  NULL,                                                                   \
		  "seconds before the second pass, doubling (0-600)" },                   \
		{ "dhcp-tries",                                                           \
		  0,                                                                      \
		  "N",                                                                    \
		  "chain",                                                                \
		  "dhcp_tries",                                                           \
		  NULL,                                                                   \
		  "DHCP attempts per NIC per pass (1-20)" },                              \
		{ "http-timeout",                                                         \
		  0,                                                                      \
		  "S",                                                                    \
		  "chain",                                                                \
		  "http_timeout",                                                         \
		  NULL,                                                                   \
		  "seconds one URL may take (1-3600)" },                                  \
		{ "menu-timeout",                                                         \
		  0,                                                                      \
		  "S",                                                                    \
		  "chain",                                                                \
		  "menu_timeout",                                                         \
		  NULL,                                                                   \
		  "seconds before the menu retries by itself (0 = wait)" },               \
		{ "try-offered",                                                          \
		  0,                                                                      \
		  "yes|no",                                                               \
		  "chain",                                                                \
		  "try_offered",                                                          \
		  NULL,                                                                   \
		  "try an http(s)/.ipxe boot file offered by (proxy)DHCP first" },        \
	{                                                                                 \
		"vlan", 0, "N", "chain", "vlan", NULL,                                    \
			"802.1Q VLAN the chain script uses on every NIC (1-4094, 0 none)" \
	}
/* Everything an image is made from: build, check-config and script take these. */
#define CLI_OPTS_IMAGE                                                                             \
	CLI_OPT_SITE, CLI_OPT_URL, CLI_OPT_CLASS("DHCP user-class our iPXE sends (default CSTM)"), \
		{ "layout",                                                                        \
		  'l',                                                                             \
		  "NAME",                                                                          \
		  "image",                                                                         \
		  "layout",                                                                        \
		  NULL,                                                                            \
		  "hybrid, usb, efi, bios, or a file NAME.layout in the layouts directory" },      \
		CLI_OPT_ARCH, { "label",                                                           \
				'L',                                                               \
				"LABEL",                                                           \
				"site",                                                            \
				"label",                                                           \
				NULL,                                                              \
				"volume label (A-Z 0-9 _, at most 11)" },                          \
		{ "ipxe-dir",                                                                      \
		  'i',                                                                             \
		  "DIR",                                                                           \
		  "image",                                                                         \
		  "ipxe_dir",                                                                      \
		  NULL,                                                                            \
		  "iPXE binaries to use (default: the cache scripts/deps.sh fills)" },             \
		CLI_OPTS_CHAIN,                                                                    \
		{ "output",                                                                        \
		  'o',                                                                             \
		  "FILE",                                                                          \
		  "image",                                                                         \
		  "output",                                                                        \
		  NULL,                                                                            \
		  "image to write (default chainboot.iso, or chainboot.img for usb/efi)" },        \
		{ "rebrand",                                                                       \
		  0,                                                                               \
		  "yes|no|auto",                                                                   \
		  "image",                                                                         \
		  "rebrand",                                                                       \
		  NULL,                                                                            \
		  "put rebranded iPXE binaries in the image (default auto: when the\n"             \
		  "class fits)" },                                                                 \
		{ "no-rebrand",                                                                    \
		  0,                                                                               \
		  NULL,                                                                            \
		  "image",                                                                         \
		  "rebrand",                                                                       \
		  "no",                                                                            \
		  "the same as --rebrand no: stock binaries, the class is set by the\n"            \
		  "script only" },                                                                 \
		{ "secure-boot",                                                                   \
		  0,                                                                               \
		  "MODE",                                                                          \
		  "secureboot",                                                                    \
		  "mode",                                                                          \
		  NULL,                                                                            \
		  "off, shim (signed shim + MokManager), db (signed iPXE) or vendor\n"             \
		  "(signed binaries used as given)" },                                             \
		{ "sb-key",                                                                        \
		  0,                                                                               \
		  "FILE",                                                                          \
		  "secureboot",                                                                    \
		  "key",                                                                           \
		  NULL,                                                                            \
		  "the site's PEM private key (shim, db; see chainboot keygen)" },                 \
	{                                                                                          \
		"sb-cert", 0, "FILE", "secureboot", "cert", NULL,                                  \
			"its PEM certificate (shim, db; vendor: verify against it)"                \
	}

#endif
