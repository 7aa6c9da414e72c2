/* test_inventory: loading (the shipped example, and every error as file:line), matching
 * by each identifier, decisions, rendering with escaping, generator environment,
 * reference counting and change detection. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inventory.h"
#include "test.h"

static char dir[] = "/tmp/cbinv.XXXXXX";
static char path[4200];
static struct site_config cfg;
static char out[70000];
static size_t outlen;

static void write_file(const char *name, const char *text, mode_t mode)
{
	char p[4200];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	chmod(p, mode);
}

/* Load text as dir/inv.ini; returns rc, d filled. */
static int load_text(const char *text, struct inventory **inv, struct diag *d)
{
	write_file("inv.ini", text, 0644);
	diag_clear(d);
	return inventory_load(path, &cfg, inv, d);
}

static void facts_init(struct inv_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->client = "198.51.100.20";
}

/* The first line of a (multi-line) diagnostic, so each check prints one line. */
static const char *line1(const char *msg)
{
	static char b[4][300];
	static int k;
	char *p = b[k++ & 3];

	snprintf(p, sizeof(b[0]), "%s", msg);
	p[strcspn(p, "\n")] = '\0';
	return p;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void example(void)
{
	struct inventory *inv = NULL;
	struct diag d = { { 0 } };
	struct inv_facts f;
	struct inv_result r;
	const struct inv_machine *m;
	const char *by, *why = NULL;
	size_t nm, np;
	int rc;

	rc = inventory_load("examples/inventory.ini", &cfg, &inv, &d);
	ok(rc == 0, "examples/inventory.ini loads: %s", line1(d.msg));
	if (rc)
		return;
	inventory_counts(inv, &nm, &np);
	ok(nm == 4 && np == 3, "4 machines, 3 profiles (%zu %zu)", nm, np);

	struct {
		const char *mac, *uuid, *serial, *hostname, *want, *by;
	} t[] = {
		{ "52:54:00:12:34:56", NULL, NULL, NULL, "web1", "mac" },
		{ "52-54-00-12-34-56", NULL, NULL, NULL, "web1", "mac" },
		{ "525400123456", NULL, NULL, NULL, "web1", "mac" },
		{ "52:54:00:AA:00:01", NULL, NULL, NULL, "lab-vms", "mac_prefix" },
		{ "52:54:00:12:34:56", "4C4C4544-0051-3610-8056-B4C04F503432", NULL, NULL, "web1",
		  "mac" },
		{ "52:54:00:99:99:99", "4C4C4544-0051-3610-8056-B4C04F503432", NULL, NULL, "db1",
		  "uuid" },
		{ NULL, "4c4c454400513610 8056b4c04f503432", NULL, NULL, NULL, NULL },
		{ NULL, NULL, "CZ1234ABCD", NULL, "db1", "serial" },
		{ NULL, NULL, "cz1234abcd", NULL, NULL, "" },
		{ "52:54:00:99:99:99", NULL, NULL, NULL, NULL, "" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		facts_init(&f);
		f.v[INV_FACT_MAC] = t[i].mac;
		f.v[INV_FACT_UUID] = t[i].uuid;
		f.v[INV_FACT_SERIAL] = t[i].serial;
		rc = inventory_facts_check(&f, &why);
		if (!t[i].by) {
			ok(rc == -EINVAL && !strcmp(why, "uuid"), "row %zu: bad uuid refused", i);
			continue;
		}
		m = inventory_match(inv, &f, &by);
		ok(rc == 0 && !strcmp(inventory_machine_name(m), t[i].want ? t[i].want : "") &&
			   !strcmp(by, t[i].by),
		   "row %zu: %s by %s", i, inventory_machine_name(m), by);
	}

	/* web1: its profile's template, its own var.cmdline, iPXE's ${...} untouched */
	facts_init(&f);
	f.v[INV_FACT_MAC] = "52:54:00:12:34:56";
	f.v[INV_FACT_SERIAL] = "x\n&& shell #${y}";
	inventory_facts_check(&f, &why);
	inventory_decide(inv, &f, &r);
	ok(r.decision == INV_DECIDE_PROFILE &&
		   !strcmp(inventory_profile_name(r.profile), "debian-installer"),
	   "web1 -> debian-installer");
	rc = inventory_render(inv, &r, &f, "http://198.51.100.1", out, sizeof(out), &outlen);
	ok(rc == 0 &&
		   strstr(out, "priority=critical auto=true hostname=web1 "
			       "BOOTIF=01-${netX/mac:hexhyp}") &&
		   strstr(out, "kernel http://mirror.example/") &&
		   strstr(out, "web1 (52:54:00:12:34:56) boots profile "
			       "debian-installer"),
	   "template rendered with the machine's variable");
	ok(!strstr(out, "{{"), "no placeholder left");

	/* unknown machine: the menu, with the facts carried (escaped) into its URLs */
	facts_init(&f);
	f.v[INV_FACT_MAC] = "52:54:00:99:99:99";
	f.v[INV_FACT_SERIAL] = "A B&C";
	f.v[INV_FACT_PLATFORM] = "efi";
	inventory_facts_check(&f, &why);
	inventory_decide(inv, &f, &r);
	ok(r.decision == INV_DECIDE_MENU && !r.machine, "unknown -> menu");
	rc = inventory_render(inv, &r, &f, "http://198.51.100.1:8080", out, sizeof(out), &outlen);
	ok(rc == 0 && strstr(out, "item debian-installer Debian 12 network installer\n") &&
		   strstr(out, "item rescue ") &&
		   strstr(out, "choose --default cb-local --timeout 30000 cb-choice") &&
		   strstr(out, "chain --autofree "
			       "http://198.51.100.1:8080/"
			       "boot.ipxe?mac=52:54:00:99:99:99&serial=A%20B%26C"
			       "&platform=efi&profile=${cb-choice} && exit 1 ||") &&
		   strstr(out, "\n:cb-local\necho chainboot: exiting to the next boot device\nexit "
			       "1\n") &&
		   strstr(out,
			  "\nset cb-e:uint8 ${errno} ||\niseq ${cb-e} ${errno} && exit 1 ||\n") &&
		   !strstr(out, "exit 0") && !strstr(out, "exit ||") && !strstr(out, "exit\n") &&
		   strstr(out, "menu chainboot: this machine is not in the inventory, choose what "
			       "it boots\n"),
	   "menu: items, default, timeout, title, URL with escaped facts; every exit is exit 1");
	ok(!strncmp(out, "#!ipxe\n", 7) && !strstr(out, "{{"), "menu is a script");

	/* a choice made in the menu */
	f.want_profile = "rescue";
	inventory_decide(inv, &f, &r);
	ok(r.decision == INV_DECIDE_CHOSEN && !strcmp(inventory_profile_name(r.profile), "rescue"),
	   "profile=rescue chosen");
	/* hostile facts cannot add lines or commands */
	f.v[INV_FACT_SERIAL] = "1\nshell\n";
	f.v[INV_FACT_HOSTNAME] = "${net0/ip} && reboot";
	inventory_facts_check(&f, &why);
	rc = inventory_render(inv, &r, &f, "http://198.51.100.1", out, sizeof(out), &outlen);
	ok(rc == 0 && count_lines(out) == 4 &&
		   strstr(out, "serial 1%0Ashell%0A from 198.51.100.20"),
	   "rescue: facts escaped, line count kept");
	f.want_profile = "nosuch";
	inventory_decide(inv, &f, &r);
	ok(r.decision == INV_DECIDE_MENU, "unknown profile= -> menu");
	f.want_profile = "rescue";
	f.v[INV_FACT_MAC] = "52:54:00:12:34:56";
	inventory_facts_check(&f, &why);
	inventory_decide(inv, &f, &r);
	ok(r.decision == INV_DECIDE_PROFILE &&
		   !strcmp(inventory_profile_name(r.profile), "debian-installer"),
	   "a listed machine keeps its profile whatever profile= says");

	/* boot = local */
	facts_init(&f);
	f.v[INV_FACT_MAC] = "52:54:00:12:34:57";
	inventory_facts_check(&f, &why);
	inventory_decide(inv, &f, &r);
	rc = inventory_render(inv, &r, &f, "http://198.51.100.1", out, sizeof(out), &outlen);
	ok(r.decision == INV_DECIDE_LOCAL && rc == 0 &&
		   strstr(out, "desktop7 boots from its local disk") && strstr(out, "\nexit 1\n") &&
		   !strstr(out, "exit 0"),
	   "boot = local: exit 1 (a UEFI boot manager then tries the next boot option)");
	ok(inventory_dhcp_verdict(inv, "52:54:00:12:34:57", "") == DECIDE_INV_LOCAL,
	   "proxy: local");
	ok(inventory_boot_local(inv, "52:54:00:12:34:57") &&
		   !inventory_boot_local(inv, "52:54:00:12:34:56"),
	   "inventory_boot_local");
	ok(inventory_dhcp_verdict(inv, "52:54:00:12:34:56", NULL) == DECIDE_INV_NETBOOT,
	   "proxy: netboot by MAC");
	ok(inventory_dhcp_verdict(inv, "00:11:22:33:44:55",
				  "4c4c4544-0051-3610-8056-b4c04f503432") == DECIDE_INV_NETBOOT,
	   "proxy: netboot by UUID");
	ok(inventory_dhcp_verdict(inv, "52:54:00:aa:12:12", "") == DECIDE_INV_NETBOOT,
	   "proxy: by prefix");
	ok(inventory_dhcp_verdict(inv, "00:11:22:33:44:55", "") == DECIDE_INV_UNKNOWN &&
		   inventory_dhcp_verdict(inv, "junk", "junk") == DECIDE_INV_UNKNOWN &&
		   inventory_dhcp_verdict(NULL, "52:54:00:12:34:57", "") == DECIDE_INV_UNKNOWN,
	   "proxy: unknown, junk, no inventory");

	/* generator environment */
	{
		char buf[8192], *envp[128];
		facts_init(&f);
		f.v[INV_FACT_MAC] = "52-54-00-12-34-56";
		f.v[INV_FACT_SERIAL] = "S N";
		inventory_facts_check(&f, &why);
		inventory_decide(inv, &f, &r);
		rc = inventory_generator_env(inv, &r, &f, "http://198.51.100.1", buf, sizeof(buf),
					     envp, 128);
		bool mac = false, serial = false, var = false, path_ok = false, machine = false;
		size_t n = 0;
		for (; rc == 0 && envp[n]; n++) {
			mac |= !strcmp(envp[n], "CB_MAC=52:54:00:12:34:56");
			serial |= !strcmp(envp[n], "CB_SERIAL=S N");
			var |= !strcmp(envp[n],
				       "CB_VAR_cmdline=priority=critical auto=true hostname=web1");
			path_ok |= !strncmp(envp[n], "PATH=/", 6);
			machine |= !strcmp(envp[n], "CB_MACHINE=web1");
		}
		ok(rc == 0 && mac && serial && var && path_ok && machine,
		   "generator env: %zu entries", n);
		ok(inventory_generator_env(inv, &r, &f, "x", buf, 40, envp, 128) == -ENOSPC &&
			   inventory_generator_env(inv, &r, &f, "x", buf, sizeof(buf), envp, 3) ==
				   -ENOSPC,
		   "generator env caps");
	}
	ok(inventory_hold(inv) == inv, "hold");
	inventory_free(inv);
	inventory_free(inv); /* the last reference: ASan checks both */
	ok(1, "two references released");
}

static void errors(void)
{
	struct {
		const char *text;
		const char *want;
	} t[] = {
		{ "[machine a]\nmac = 52:54:00:00:00:01\nprofile = p\n[machine b]\nmac = "
		  "52:54:00:00:00:01\nprofile = p\n"
		  "[profile p]\nscript = #!ipxe\n",
		  "inv.ini:5: [machine b] mac 52:54:00:00:00:01: already listed for [machine a] at "
		  "line 2" },
		{ "[machine a]\nmac = 1\n",
		  "inv.ini:2: [machine a] mac: \"1\" is not a MAC address" },
		{ "[machine a]\nmacc = 52:54:00:00:00:01\n",
		  "inv.ini:2: [machine a] macc: unknown key (allowed in [machine]" },
		{ "[host a]\nmac = x\n", "inv.ini:1: [host a]: unknown section" },
		{ "[machine]\n", "inv.ini:1: [machine]: no name" },
		{ "[machine a b]\n", "inv.ini:1: [machine a b]: not a usable name" },
		{ "[machine a\n", "inv.ini:1: section header without ']'" },
		{ "mac = x\n", "inv.ini:1: mac: key outside a section" },
		{ "[machine a]\nmac = 52:54:00:00:00:01\nprofile = nope\n",
		  "inv.ini:3: [machine a] profile: no [profile nope]" },
		{ "[machine a]\nmac = 52:54:00:00:00:01\n", "inv.ini:1: [machine a]: no profile" },
		{ "[machine a]\nprofile = p\n[profile p]\nscript = #!ipxe\n",
		  "inv.ini:1: [machine a]: nothing to recognise it by" },
		{ "[profile p]\ndescription = x\n", "inv.ini:1: [profile p]: no script" },
		{ "[profile p]\nscript = #!ipxe\ngenerator = /bin/true\n",
		  "inv.ini:1: [profile p]: more than one script source" },
		{ "[profile p]\nscript = #!ipxe\n  echo ok\n  ; comment\n\n  kernel {{kernel}}\n",
		  "inv.ini:6: [profile p] script: {{kernel}}: unknown variable (built-in:" },
		{ "[profile p]\nscript = echo hi\n",
		  "inv.ini:2: [profile p] script: does not start with \"#!ipxe\"" },
		{ "[profile p]\ntemplate = missing.ipxe\n",
		  "inv.ini:2: [profile p] template: missing.ipxe: No such file" },
		{ "[profile p]\ntemplate = bad.ipxe\n",
		  "inv.ini:2: [profile p] template: bad.ipxe:3: {{nope}}: unknown variable" },
		{ "[profile p]\nscript = #!ipxe\n[profile p]\nscript = #!ipxe\n",
		  "inv.ini:3: [profile p]: defined twice (also at line 1)" },
		{ "[machine a]\nhostname = h\nboot = local\n[machine a]\nserial = s\nboot = "
		  "local\n",
		  "inv.ini:4: [machine a]: defined twice (also at line 1)" },
		{ "[machine a]\nhostname = H1\nboot = local\n[machine b]\nhostname = h1\nboot = "
		  "local\n",
		  "inv.ini:5: [machine b] hostname \"h1\": already listed for [machine a] at line "
		  "2" },
		{ "[machine a]\nuuid = 4c4c4544-0051-3610-8056-b4c04f503432\nboot = "
		  "local\n[machine b]\n"
		  "uuid = 4C4C4544005136108056B4C04F503432\nboot = local\n",
		  "inv.ini:5: [machine b] uuid 4c4c4544-" },
		{ "[machine a]\nprofile = p\n  q\nmac = 52:54:00:00:00:01\n[profile p]\nscript = "
		  "#!ipxe\n",
		  "inv.ini:3: indented line: it would continue \"profile\"" },
		{ "[menu]\ndefault = zz\n", "inv.ini:2: [menu] default: no [profile zz]" },
		{ "[menu]\ntimeout = -1\n",
		  "inv.ini:2: [menu] timeout: \"-1\" is not a whole number" },
		{ "[menu]\n[menu]\n", "inv.ini:2: [menu]: a second [menu] section" },
		{ "[machine a]\nmac = 52:54:00:00:00:01\nprofile = p\nvar.x = 1\n[profile "
		  "p]\nscript = #!ipxe\n",
		  "inv.ini:4: [machine a] var.x: [profile p] has no var.x to override" },
		{ "[profile p]\nscript = #!ipxe\nvar.mac = 1\n",
		  "inv.ini:3: [profile p] var.mac: \"mac\" is a built-in name" },
		{ "[profile p]\nscript = #!ipxe\nvar.a-b = 1\n",
		  "inv.ini:3: [profile p] var.a-b: not a variable name" },
		{ "[profile p]\nscript = #!ipxe\nvar.a = {{mac}}\n",
		  "inv.ini:3: [profile p] var.a: value holds \"{{\"" },
		{ "[profile p]\ngenerator = noexec.sh\n", "inv.ini:2: [profile p] generator: " },
		{ "[profile p]\nscript = #!ipxe\ntimeout = 5\n",
		  "inv.ini:3: [profile p] timeout: only a generator" },
		{ "[profile p]\ngenerator = /bin/true\ntimeout = 61\n",
		  "inv.ini:3: [profile p] timeout: \"61\" is not" },
		{ "[profile cb-x]\n", "inv.ini:1: [profile cb-x]: names starting \"cb-\"" },
		{ "[machine a]\nserial = s\nserial = t\n",
		  "inv.ini:3: [machine a] serial: given twice (also at line 2)" },
		{ "[machine a]\nboot = maybe\n",
		  "inv.ini:2: [machine a] boot: \"maybe\" is not netboot, local or disabled" },
		{ "[profile p]\nscript = #!ipxe\nmenu = perhaps\n",
		  "inv.ini:3: [profile p] menu: \"perhaps\" is not yes or no" },
		{ "[machine a]\nmac_prefix = 52:54:00:00:00:01\n",
		  "is not a MAC prefix of 1-5 bytes" },
		{ "[machine a]\nthis line has no equals\n",
		  "inv.ini:2: not a \"key = value\" line" },
	};
	struct inventory *inv;
	struct diag d;

	write_file("bad.ipxe", "#!ipxe\necho\nkernel {{nope}}\n", 0644);
	write_file("noexec.sh", "#!/bin/sh\n", 0644);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = load_text(t[i].text, &inv, &d);
		ok(rc == -EINVAL && !inv && strstr(d.msg, t[i].want), "error %zu: %s", i,
		   line1(d.msg));
	}

	/* every error at once */
	int rc = load_text(
		"[machine a]\nmac = 1\nfoo = 2\n[profile q]\nscript = nope\n[menu]\ntimeout = x\n",
		&inv, &d);
	ok(rc == -EINVAL && count_lines(d.msg) == 5 && strstr(d.msg, ":2:") &&
		   strstr(d.msg, ":3:") && strstr(d.msg, ":5:") && strstr(d.msg, ":7:"),
	   "all errors reported: %s", line1(d.msg));

	/* over-long line */
	char big[400];
	snprintf(big, sizeof(big), "[profile p]\nscript = #!ipxe\ndescription = %0300d\n", 7);
	rc = load_text(big, &inv, &d);
	ok(rc == -EINVAL && strstr(d.msg, "inv.ini:3: line longer than 197 characters"),
	   "long line: %s", line1(d.msg));

	/* not a file */
	diag_clear(&d);
	rc = inventory_load(dir, &cfg, &inv, &d);
	ok(rc == -EINVAL && strstr(d.msg, "not a regular file"), "a directory: %s", line1(d.msg));
	diag_clear(&d);
	rc = inventory_load("/nonexistent/inv.ini", &cfg, &inv, &d);
	ok(rc == -ENOENT && strstr(d.msg, "cannot read the inventory"), "missing file: %s",
	   line1(d.msg));
}

static void others(void)
{
	struct inventory *inv = NULL;
	struct diag d = { { 0 } };
	struct inv_facts f;
	struct inv_result r;
	const char *why = NULL;
	char longfact[400];
	int rc;

	/* no inventory: the menu, without profiles, waiting nowhere near for ever */
	rc = inventory_load(NULL, &cfg, &inv, &d);
	ok(rc == 0 && inv, "empty inventory");
	facts_init(&f);
	inventory_decide(inv, &f, &r);
	rc = inventory_render(inv, &r, &f, "http://198.51.100.1", out, sizeof(out), &outlen);
	ok(rc == 0 && r.decision == INV_DECIDE_MENU && !strstr(out, "item --gap Profiles") &&
		   strstr(out, "item cb-local") && strstr(out, "mac ${} uuid ${}"),
	   "empty inventory: a bare menu");
	ok(!inventory_changed(inv), "nothing to change");
	inventory_free(inv);

	/* continuation lines, menu without timeout, generator, inline script lines */
	write_file("gen.sh", "#!/bin/sh\necho '#!ipxe'\n", 0755);
	rc = load_text(
		"[menu]\ntimeout = 0\ndefault = p\n[profile p]\ndescription = one\n  two\nscript = "
		"#!ipxe\n"
		"  echo {{a}}\n\n  # dropped\n  echo {{machine}}\nvar.a = x\n  y\n[profile g]\n"
		"generator = gen.sh\ntimeout = 2\nmenu = no\n[machine m]\nmac = 02:00:00:00:00:01\n"
		"  02:00:00:00:00:02, 02:00:00:00:00:03\nprofile = g\n",
		&inv, &d);
	ok(rc == 0, "continuations load: %s", line1(d.msg));
	if (!rc) {
		unsigned ms = 0;
		facts_init(&f);
		f.v[INV_FACT_MAC] = "02:00:00:00:00:03";
		inventory_facts_check(&f, &why);
		inventory_decide(inv, &f, &r);
		ok(r.decision == INV_DECIDE_PROFILE && inventory_generator(r.profile, &ms) &&
			   ms == 2000 && strstr(inventory_generator(r.profile, &ms), "/gen.sh"),
		   "third MAC on a continuation line; generator");
		rc = inventory_render(inv, &r, &f, "http://s", out, sizeof(out), &outlen);
		ok(rc == 0 && strstr(out, "menu") &&
			   strstr(out, "choose --default p cb-choice ||") &&
			   strstr(out, "item p one two\n") && !strstr(out, "item g "),
		   "generator profile renders the menu as fallback");
		f.want_profile = "p";
		f.v[INV_FACT_MAC] = NULL;
		inventory_facts_check(&f, &why);
		inventory_decide(inv, &f, &r);
		rc = inventory_render(inv, &r, &f, "http://s", out, sizeof(out), &outlen);
		ok(rc == 0 && !strcmp(out, "#!ipxe\necho x y\necho ${}\n"),
		   "inline script: lines joined, comments dropped");
		f.want_profile = "g";
		inventory_decide(inv, &f, &r);
		ok(r.decision == INV_DECIDE_MENU, "menu = no: not choosable");
		ok(!inventory_changed(inv), "unchanged");
		sleep(0);
		write_file("inv.ini", "[menu]\n", 0644);
		ok(inventory_changed(inv), "changed after a rewrite");
		inventory_free(inv);
	}

	/* facts */
	facts_init(&f);
	memset(longfact, 'a', sizeof(longfact));
	longfact[INV_FACT_MAX + 1] = '\0';
	f.v[INV_FACT_PRODUCT] = longfact;
	ok(inventory_facts_check(&f, &why) == -EINVAL && !strcmp(why, "product"),
	   "fact over 256 bytes");
	longfact[INV_FACT_MAX] = '\0';
	ok(inventory_facts_check(&f, &why) == 0, "fact of 256 bytes");
	f.v[INV_FACT_MAC] = "52:54:00:12:34";
	ok(inventory_facts_check(&f, &why) == -EINVAL && !strcmp(why, "mac"), "short MAC");
	f.v[INV_FACT_MAC] = "52:54:00-12:34:56";
	ok(inventory_facts_check(&f, &why) == -EINVAL, "mixed separators");
	f.v[INV_FACT_MAC] = "";
	f.want_profile = "../x";
	ok(inventory_facts_check(&f, &why) == -EINVAL && !strcmp(why, "profile"), "bad profile=");
	f.want_profile = NULL;
	ok(inventory_facts_check(&f, &why) == 0 && !f.has_mac, "empty MAC is no MAC");
	ok(inventory_fact_index("serial") == INV_FACT_SERIAL &&
		   inventory_fact_index("query") == -1 &&
		   !strcmp(inventory_fact_name(INV_FACT_UC), "uc"),
	   "fact names");
}

/* The parser over a buffer (what the fuzzer drives): the same verdicts as from a file,
 * messages named by the origin given, relative paths from the dir given. */
static void from_text(void)
{
	static const char text[] = "[machine a]\nmac = 52:54:00:00:00:0a\nprofile = p\n"
				   "[profile p]\ntemplate = t.ipxe\nvar.k = v\n";
	struct inventory *inv = NULL;
	struct diag d = { { 0 } };
	struct inv_facts f;
	struct inv_result r;
	const char *why;
	size_t len;
	int rc;

	write_file("t.ipxe", "#!ipxe\necho {{machine}} {{k}}\n", 0644);
	rc = inventory_load_text(text, sizeof(text) - 1, "mem.ini", dir, &cfg, &inv, &d);
	ok(rc == 0 && inv, "a text loads, its template found from dir: %s", line1(d.msg));
	if (inv) {
		facts_init(&f);
		f.v[INV_FACT_MAC] = "52:54:00:00:00:0a";
		inventory_facts_check(&f, &why);
		inventory_decide(inv, &f, &r);
		rc = inventory_render(inv, &r, &f, "http://198.51.100.1", out, sizeof(out), &len);
		ok(rc == 0 && strstr(out, "echo a v"), "and renders the machine and its variable");
		ok(!inventory_changed(inv), "the template is tracked, unchanged");
		inventory_free(inv);
	}
	diag_clear(&d);
	rc = inventory_load_text(text, sizeof(text) - 1, "mem.ini", "/nonexistent", &cfg, &inv, &d);
	ok(rc == -EINVAL && !inv &&
		   strstr(d.msg, "mem.ini:5: [profile p] template: t.ipxe: No such"),
	   "a relative template from another dir: %s", line1(d.msg));
	diag_clear(&d);
	rc = inventory_load_text("[machine a]\nmac = 1\n", 19, "mem.ini", NULL, &cfg, &inv, &d);
	ok(rc == -EINVAL && strstr(d.msg, "mem.ini:2: [machine a] mac: \"1\" is not a MAC"),
	   "errors name the origin: %s", line1(d.msg));
	diag_clear(&d);
	rc = inventory_load_text("[menu]\nfoo = 1\n", 15, "mem.ini", NULL, &cfg, &inv, &d);
	ok(rc == -EINVAL &&
		   strstr(d.msg, "[menu] foo: unknown key (allowed in [menu]: default, timeout, "
				 "title)"),
	   "allowed keys come from the key table: %s", line1(d.msg));
}

int main(void)
{
	site_defaults(&cfg);
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return test_done();
	}
	snprintf(path, sizeof(path), "%s/inv.ini", dir);
	example();
	errors();
	others();
	from_text();
	{
		char cmd[4300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			ok(0, "cleanup");
	}
	return test_done();
}
