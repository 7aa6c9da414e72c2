/* cli: the option parser every command shares (over the command's own option table),
 * the help text made from those tables, and the site file with its command-line
 * overrides. Its input is the command line: every value is checked by site_set or by
 * the command, never trusted here. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainscript.h"
#include "cli.h"
#include "fileio.h"

static const struct cli_opt help_opt = { "help", 'h', NULL, NULL, NULL, NULL, "this text" };

static unsigned count_opts(const struct cli_opt *o)
{
	unsigned n = 0;

	while (o && o[n].name)
		n++;
	return n;
}

/* The index in spec->opts of what getopt_long returned: 256 + index for a long option,
 * the letter for a short one; -1 for none. */
static int opt_index(const struct cli_spec *spec, int ret)
{
	unsigned n = count_opts(spec->opts);

	if (ret >= 256 && (unsigned)(ret - 256) < n)
		return ret - 256;
	for (unsigned i = 0; i < n; i++)
		if (spec->opts[i].letter && spec->opts[i].letter == ret)
			return (int)i;
	return -1;
}

/* "build, script" into buf: the commands other than spec's that take the option name
 * ("--rounds" or "-c"). */
static void other_commands(const struct cli_spec *spec, const char *name, char *buf, size_t bufsz)
{
	bool letter = name[0] == '-' && name[1] && name[1] != '-' && !name[2];

	size_t used = 0;

	buf[0] = '\0';
	for (const struct cli_command *c = cli_commands; c->name; c++) {
		if (!c->spec || c->spec == spec)
			continue;
		for (const struct cli_opt *o = c->spec->opts; o && o->name; o++) {
			if (letter ? o->letter != name[1]
				   : strncmp(name, "--", 2) || strcmp(o->name, name + 2))
				continue;
			if (used < bufsz)
				used += (size_t)snprintf(buf + used, bufsz - used, "%s%s",
							 used ? ", " : "", c->name);
			break;
		}
	}
}

/* An option the command does not take: name it, and where it belongs if anywhere. */
static int unknown_option(const struct cli_spec *spec, const char *arg)
{
	char name[64], others[256];
	size_t n = strcspn(arg, "=");

	snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1), arg);
	other_commands(spec, name, others, sizeof(others));
	if (others[0])
		fprintf(stderr,
			"chainboot %s: %s is not an option of %s, only of %s (see `chainboot %s "
			"--help`)\n",
			spec->name, name, spec->name, others, spec->name);
	else
		fprintf(stderr,
			"chainboot %s: unknown option %s (see `chainboot help` and `chainboot %s "
			"--help`)\n",
			spec->name, name, spec->name);
	return 2;
}

/* getopt_long's tables from the command's: "h" and --help are every command's. */
static void make_getopt(const struct cli_spec *spec, struct option *lo, char *so)
{
	unsigned n = count_opts(spec->opts), k = 0;

	*so++ = ':'; /* a missing value returns ':', told apart from an unknown option */
	for (unsigned i = 0; i < n; i++) {
		const struct cli_opt *o = &spec->opts[i];

		lo[i] = (struct option){ o->name, o->arg ? required_argument : no_argument, NULL,
					 256 + (int)i };
		if (o->letter) {
			so[k++] = o->letter;
			if (o->arg)
				so[k++] = ':';
		}
	}
	lo[n] = (struct option){ help_opt.name, no_argument, NULL, 'h' };
	lo[n + 1] = (struct option){ NULL, 0, NULL, 0 };
	so[k++] = 'h';
	so[k] = '\0';
}

/* One option found: an override of the site file, or the command's own value. */
static int take_option(struct cli *cl, int i, const char *val)
{
	const struct cli_opt *o = &cl->spec->opts[i];

	if (!o->section) {
		cl->own[i] = val ? val : "";
		if (cl->n_seq >= CLI_MAX_OWN) {
			fprintf(stderr, "chainboot %s: too many options (at most %d of its own)\n",
				cl->spec->name, CLI_MAX_OWN);
			return 2;
		}
		cl->seq[cl->n_seq].opt = (unsigned)i;
		cl->seq[cl->n_seq++].value = cl->own[i];
		return 0;
	}
	if (cl->n_ov >= CLI_MAX_OV) {
		fprintf(stderr, "chainboot %s: too many options (at most %d settings)\n",
			cl->spec->name, CLI_MAX_OV);
		return 2;
	}
	/* The flag names the option in messages: "--url: url: ... must start with http://" */
	static char flags[CLI_MAX_OPTS][40];
	snprintf(flags[i], sizeof(flags[i]), "--%s", o->name);
	cl->ov[cl->n_ov++] = (struct cli_override){ o->section, o->key, o->value ? o->value : val,
						    flags[i] };
	return 0;
}

static int parse_error(const struct cli_spec *spec, int ret, char **argv)
{
	int i = opt_index(spec, optopt);

	if (ret == ':' && i >= 0)
		fprintf(stderr, "chainboot %s: --%s needs a value (%s)\n", spec->name,
			spec->opts[i].name, spec->opts[i].arg);
	else if (i >= 0 && optopt >= 256)
		fprintf(stderr, "chainboot %s: --%s takes no value\n", spec->name,
			spec->opts[i].name);
	else if (optopt > 0 && optopt < 256) {
		char s[3] = { '-', (char)optopt, '\0' };
		return unknown_option(spec, s);
	} else
		return unknown_option(spec, argv[optind - 1]);
	return 2;
}

int cli_parse(const struct cli_spec *spec, int argc, char **argv, struct cli *cl)
{
	struct option lo[CLI_MAX_OPTS + 2];
	char so[2 * CLI_MAX_OPTS + 3];
	int ret;

	memset(cl, 0, sizeof(*cl));
	cl->spec = spec;
	if (count_opts(spec->opts) > CLI_MAX_OPTS) {
		fprintf(stderr, "chainboot %s: more than %d options in its table\n", spec->name,
			CLI_MAX_OPTS);
		return 1;
	}
	make_getopt(spec, lo, so);
	optind = 1;
	opterr = 0;
	while ((ret = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		int i = opt_index(spec, ret), rc;

		if (ret == 'h' && i < 0) {
			cli_help(spec, stdout);
			return 0;
		}
		if (ret == '?' || ret == ':' || i < 0)
			return parse_error(spec, ret, argv);
		rc = take_option(cl, i, spec->opts[i].arg ? optarg : NULL);
		if (rc)
			return rc;
	}
	cl->args = argv + optind;
	cl->n_args = (unsigned)(argc - optind);
	return CLI_GO;
}

const char *cli_get(const struct cli *cl, const char *name)
{
	for (unsigned i = 0; i < count_opts(cl->spec->opts); i++)
		if (!strcmp(cl->spec->opts[i].name, name))
			return cl->own[i];
	return NULL;
}

unsigned cli_get_all(const struct cli *cl, const char *name, const char **out, unsigned max)
{
	unsigned n = 0;

	for (unsigned k = 0; k < cl->n_seq; k++)
		if (!strcmp(cl->spec->opts[cl->seq[k].opt].name, name)) {
			if (n < max)
				out[n] = cl->seq[k].value;
			n++;
		}
	return n;
}

/* "  -s, --site FILE" */
static int opt_left(const struct cli_opt *o, char *buf, size_t bufsz)
{
	return snprintf(buf, bufsz, "  %c%c%c --%s%s%s", o->letter ? '-' : ' ',
			o->letter ? o->letter : ' ', o->letter ? ',' : ' ', o->name,
			o->arg ? " " : "", o->arg ? o->arg : "");
}

static void print_opt(const struct cli_opt *o, int width, FILE *out)
{
	char left[128];
	int n = opt_left(o, left, sizeof(left));
	const char *h = o->help;

	fputs(left, out);
	if (n > width)
		fprintf(out, "\n%*s", width, "");
	else
		fprintf(out, "%*s", width - n, "");
	while (*h) {
		size_t len = strcspn(h, "\n");

		fprintf(out, "  %.*s\n", (int)len, h);
		h += len;
		if (*h == '\n' && *++h)
			fprintf(out, "%*s", width, "");
	}
}

void cli_help(const struct cli_spec *spec, FILE *out)
{
	int width = 0;
	char left[128];

	fprintf(out, "usage: chainboot %s%s%s\n", spec->name, spec->synopsis[0] ? " " : "",
		spec->synopsis);
	if (spec->about)
		fprintf(out, "\n%s", spec->about);
	for (const struct cli_opt *o = spec->opts; o && o->name; o++) {
		int n = opt_left(o, left, sizeof(left));

		if (o->help && n > width && n <= 30)
			width = n;
	}
	if (width < 16)
		width = 16;
	fprintf(out, "\noptions:\n");
	for (const struct cli_opt *o = spec->opts; o && o->name; o++)
		if (o->help)
			print_opt(o, width, out);
	print_opt(&help_opt, width, out);
	if (spec->epilogue)
		fprintf(out, "\n%s", spec->epilogue);
}

void cli_overview(FILE *out)
{
	fprintf(out, "usage: chainboot COMMAND [options] (chainboot COMMAND --help: its "
		     "options)\n\ncommands:\n");
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(out, "  %-13s %s\n", c->name, c->summary);
	fprintf(out, "\nenvironment: SOURCE_DATE_EPOCH (reproducible timestamps), "
		     "CHAINBOOT_DATADIR, CHAINBOOT_IPXE_DIR,\n"
		     "             CHAINBOOT_CACHE (cache root; rebranded binaries go to its "
		     "rebranded/)\n");
}

const struct cli_command *cli_find(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int cli_load_site(struct cli *cl, struct site_config *c, bool whole, struct diag *d)
{
	const char *site = cli_get(cl, "site");
	unsigned def;
	int rc = 0;

	site_defaults(c);
	/* arch 0 until a setting names one: then it is known whether the list is the
	 * default, the site file's or --arch's (cli_fit_arch treats them apart). */
	def = c->arch;
	c->arch = 0;
	cl->arch_from = CLI_ARCH_DEFAULT;
	if (site)
		rc = site_load(c, site, d);
	if (c->arch)
		cl->arch_from = CLI_ARCH_SITE;
	if (whole) {
		for (unsigned i = 0; i < cl->n_ov; i++)
			if (!strcmp(cl->ov[i].key, "url")) {
				site_clear_urls(c);
				break;
			}
	}
	for (unsigned i = 0; i < cl->n_ov; i++) {
		if (!strcmp(cl->ov[i].key, "arch"))
			cl->arch_from = CLI_ARCH_OPTION;
		if (site_set(c, cl->ov[i].section, cl->ov[i].key, cl->ov[i].value, cl->ov[i].flag,
			     d))
			rc = -EINVAL;
	}
	if (!c->arch)
		c->arch = def;
	if (whole && (!rc || rc == -EINVAL))
		if (site_validate(c, d))
			rc = -EINVAL;
	/* A missing or unreadable site file is a configuration error too: exit 2. */
	return rc && rc != -ENOMEM ? -EINVAL : rc;
}

int cli_load_layout(const char *datadir, const struct site_config *c, struct layout *l,
		    struct diag *d)
{
	struct diag ld = { { 0 } };
	char dir[PATH_MAX];
	const char *msg = ld.msg;
	int rc;

	snprintf(dir, sizeof(dir), "%s/layouts", datadir);
	rc = layout_load(dir, c->layout, l, &ld);
	if (!rc)
		return 0;
	/* An unknown layout is a bad setting like any other: the same exit status, and
	 * named with the line (or flag) that chose it, after the site file's errors. */
	if (rc == -ENOENT)
		rc = -EINVAL;
	if (!strncmp(msg, "layout ", 7))
		msg += 7;
	if (c->layout_from[0])
		return diag_add(d, rc, "%s: layout: %s", c->layout_from, msg);
	return diag_add(d, rc, "layout: %s", msg);
}

int cli_fit_arch(const struct cli *cl, struct site_config *c, const struct layout *l, char *note,
		 size_t notesz, struct diag *d)
{
	unsigned fit = c->arch & l->arch_allowed;
	char was[32], now[32];

	note[0] = '\0';
	if (cl->arch_from == CLI_ARCH_OPTION || !fit)
		return layout_check_arch(l, c->arch, d);
	if (fit != c->arch && cl->arch_from == CLI_ARCH_SITE)
		snprintf(note, notesz,
			 "layout %s boots only %s: arch narrowed from the site file's \"%s\" to %s",
			 l->name, site_arch_str(fit, now, sizeof(now)),
			 site_arch_str(c->arch, was, sizeof(was)), now);
	c->arch = fit;
	return 0;
}

int cli_render_script(const struct site_config *c, const char *datadir, char **out, size_t *len,
		      struct diag *d)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/" CHAINSCRIPT_TEMPLATE, datadir);
	/* The template is ours, not the user's: its path would only mislead. */
	return chainscript_render_file(c, path, "the chain script", out, len, d);
}

const char *cli_dir(const char *dir, char *buf, size_t bufsz)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	snprintf(buf, bufsz, "%.*s", (int)n, dir);
	return buf;
}

int cli_fail(const char *cmd, const struct diag *d, int rc)
{
	fprintf(stderr, "chainboot %s: %s\n", cmd, d->msg[0] ? d->msg : strerror(-rc));
	return rc == -EINVAL ? 2 : 1;
}
