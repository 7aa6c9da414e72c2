/* test_cli: the shared option parser (builder/cli.c) over a command's table — own
 * options, site-file overrides in the order given, the last value winning, usage errors
 * for another command's option, a missing value, a value on a flag — and the arch list
 * fitted to a layout: the default and a site file's list narrow, --arch does not. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "test.h"

static const struct cli_opt opts[] = {
	CLI_OPT_SITE,
	CLI_OPT_URL,
	CLI_OPT_ARCH,
	{ "json", 0, NULL, NULL, NULL, NULL, "a flag of its own" },
	{ "jobs", 'j', "N", NULL, NULL, NULL, "a value of its own" },
	{ "no-rebrand", 0, NULL, "image", "rebrand", "no", "a flag that sets a key" },
	{ 0 },
};

static const struct cli_spec spec = { "unit", "[options]", NULL, opts, NULL };

static int parse(struct cli *cl, const char *line)
{
	static char buf[512];
	static char *argv[32];
	int argc = 0;

	snprintf(buf, sizeof(buf), "unit %s", line);
	for (char *t = strtok(buf, " "); t && argc < 31; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	return cli_parse(&spec, argc, argv, cl);
}

static void test_parse(void)
{
	static struct cli cl;

	ok(parse(&cl, "-u http://198.51.100.1/a --json x --jobs 3 -j 4 --no-rebrand y") == CLI_GO,
	   "own options, overrides and arguments mixed");
	ok(cl.n_ov == 2 && !strcmp(cl.ov[0].key, "url") &&
		   !strcmp(cl.ov[0].value, "http://198.51.100.1/a") &&
		   !strcmp(cl.ov[0].flag, "--url") && !strcmp(cl.ov[1].key, "rebrand") &&
		   !strcmp(cl.ov[1].value, "no"),
	   "overrides in order, --no-rebrand sets rebrand = no, the flag names the option");
	ok(cli_get(&cl, "json") && !cli_get(&cl, "json")[0] && !strcmp(cli_get(&cl, "jobs"), "4"),
	   "a flag reads \"\", the last value wins");
	ok(!cli_get(&cl, "site") && !cli_get(&cl, "nonesuch"), "not given, not declared: NULL");
	{
		const char *all[1] = { NULL };

		ok(cli_get_all(&cl, "jobs", all, 1) == 2 && !strcmp(all[0], "3"),
		   "every value of a repeated option, in order; only max of them stored");
		ok(cli_get_all(&cl, "site", all, 1) == 0, "not given: none");
	}
	ok(cl.n_args == 2 && !strcmp(cl.args[0], "x") && !strcmp(cl.args[1], "y"),
	   "the arguments, in order");
	ok(parse(&cl, "--rounds 3") == 2, "another command's option: a usage error (exit 2)");
	ok(parse(&cl, "--jobs") == 2 && parse(&cl, "--json=1") == 2,
	   "a missing value, a value on a flag: usage errors");
	ok(parse(&cl, "-h") == 0, "--help: done, exit 0");
	ok(parse(&cl, "-- --json") == CLI_GO && cl.n_args == 1 && !cli_get(&cl, "json"),
	   "after --, an argument");
}

static void test_arch(void)
{
	static struct site_config c;
	static struct layout bios = { .name = "bios", .arch_allowed = SITE_ARCH_X86_64 };
	static struct cli cl;
	struct diag d = { { 0 } };
	char note[256];

	parse(&cl, "-u http://198.51.100.1/a");
	ok(cli_load_site(&cl, &c, true, &d) == 0 && cl.arch_from == CLI_ARCH_DEFAULT &&
		   c.arch == (SITE_ARCH_X86_64 | SITE_ARCH_ARM64),
	   "no arch given: the default list (%s)", d.msg);
	ok(cli_fit_arch(&cl, &c, &bios, note, sizeof(note), &d) == 0 &&
		   c.arch == SITE_ARCH_X86_64 && !note[0],
	   "the default narrows to what the layout boots, without a note");

	parse(&cl, "-u http://198.51.100.1/a --arch x86_64,arm64");
	diag_clear(&d);
	ok(cli_load_site(&cl, &c, true, &d) == 0 && cl.arch_from == CLI_ARCH_OPTION,
	   "--arch given (%s)", d.msg);
	ok(cli_fit_arch(&cl, &c, &bios, note, sizeof(note), &d) == -EINVAL &&
		   strstr(d.msg, "boots only x86_64, not arm64"),
	   "--arch the layout cannot boot: %s", d.msg);

	/* A site file that names the list itself. */
	char site[] = "/tmp/cbtest-cli.XXXXXX", line[64];
	int fd = mkstemp(site);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (f) {
		fputs("[chain]\nurl = http://198.51.100.1/a\n[image]\narch = x86_64 arm64\n", f);
		fclose(f);
	}
	snprintf(line, sizeof(line), "--site %s", site);
	parse(&cl, line);
	diag_clear(&d);
	ok(f && cli_load_site(&cl, &c, true, &d) == 0 && cl.arch_from == CLI_ARCH_SITE,
	   "the site file's arch (%s)", d.msg);
	unlink(site);
	ok(cli_fit_arch(&cl, &c, &bios, note, sizeof(note), &d) == 0 &&
		   c.arch == SITE_ARCH_X86_64 && strstr(note, "narrowed"),
	   "a site file's list narrows, with a note: %s", note);
	c.arch = SITE_ARCH_ARM64;
	diag_clear(&d);
	ok(cli_fit_arch(&cl, &c, &bios, note, sizeof(note), &d) == -EINVAL && d.msg[0],
	   "nothing left after narrowing: %s", d.msg);
}

int main(void)
{
	test_parse();
	test_arch();
	return test_done();
}
