/* test_chainscript: quoting and rendering of the embedded iPXE chain script.
 *
 * Quoted values are fed through a small model of how iPXE reads a script line (words
 * cut at whitespace, '#' comments, "&&"/"||"/";" separators, ${...} expansion repeated
 * until none is left, `set` joining words with one space), written from the behaviour
 * described in lib/chainscript.c, so "stores exactly" is checked rather than assumed.
 * Usage: test_chainscript [SRCDIR | path/to/chain.ipxe.in]; default $CHAINBOOT_SRCDIR or ".".
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chainscript.h"
#include "siteconf.h"
#include "test.h"

/* ---- model of the iPXE command line (only what `set` and the checks need) ---- */

#define MODEL_MAX 8192

static bool model_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

/* Expand ${name} in place; every setting is unset, so each expands to "". */
static void model_expand(char *w)
{
	for (;;) {
		char *start = NULL, *end = NULL, *p;

		for (p = w; *p; p++) {
			if (p[0] == '$' && p[1] == '{')
				start = p;
			if (start && *p == '}') {
				end = p;
				break;
			}
		}
		if (!end)
			return;
		memmove(start, end + 1, strlen(end + 1) + 1);
	}
}

/* Run one script line: returns 0 and the value `set <name> ...` would store, or -1
 * if the line is not a single complete `set` command. */
static int model_set(const char *line, char *name, size_t namesz, char *value, size_t valsz)
{
	char buf[MODEL_MAX], *words[MODEL_MAX / 2];
	size_t n = 0, i, len = strlen(line), used = 0;
	char *p;

	if (len >= sizeof(buf))
		return -1;
	if (len && line[len - 1] == '\\') /* the script reader would join the next line */
		return -1;
	memcpy(buf, line, len + 1);
	for (p = buf; *p;) {
		while (*p && model_space(*p))
			*p++ = '\0';
		if (!*p)
			break;
		words[n++] = p;
		while (*p && !model_space(*p))
			p++;
	}
	for (i = 0; i < n; i++) {
		if (words[i][0] == '#' || !strcmp(words[i], "&&") || !strcmp(words[i], "||") ||
		    !strcmp(words[i], ";"))
			return -1;
		model_expand(words[i]);
	}
	if (n < 2 || strcmp(words[0], "set") || strlen(words[1]) >= namesz)
		return -1;
	strcpy(name, words[1]);
	value[0] = '\0';
	for (i = 2; i < n; i++) {
		size_t wl = strlen(words[i]) + (i > 2);

		if (wl >= valsz - used)
			return -1;
		used += (size_t)snprintf(value + used, valsz - used, "%s%s", i > 2 ? " " : "",
					 words[i]);
	}
	return 0;
}

/* Does `set x <quote(s)>` store exactly s? */
static bool roundtrip(const char *s)
{
	char q[CHAINSCRIPT_QUOTE_SIZE(1024)], line[sizeof(q) + 8], name[16], val[MODEL_MAX];

	if (strlen(s) > 1024 || chainscript_quote(s, q, sizeof(q)) != 0)
		return false;
	snprintf(line, sizeof(line), "set x %s", q);
	return model_set(line, name, sizeof(name), val, sizeof(val)) == 0 && !strcmp(name, "x") &&
	       !strcmp(val, s);
}

/* ---- helpers ---- */

static void base_config(struct site_config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->user_class, "CSTM");
	strcpy(c->urls[0], "http://198.51.100.1:8080/boot.ipxe");
	c->n_urls = 1;
	c->rounds = 3;
	c->backoff = 5;
	c->dhcp_tries = 3;
	c->http_timeout = 30;
	c->menu_timeout = 60;
	c->try_offered = true;
}

static int render_str(const struct site_config *c, const char *t, char **out, struct diag *d)
{
	size_t len;

	diag_clear(d);
	return chainscript_render(c, t, strlen(t), out, &len, d);
}

/* Value of the rendered line "set <name> ..." (through the model), or NULL. */
static const char *rendered_value(const char *script, const char *name)
{
	static char val[MODEL_MAX];
	char line[MODEL_MAX], got[64];
	const char *p = script;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			if (model_set(line, got, sizeof(got), val, sizeof(val)) == 0 &&
			    !strcmp(got, name))
				return val;
		}
		p += len + (nl != NULL);
	}
	return NULL;
}

/* True if some command on some line is the word w (first word, or after && || ;). */
static bool has_command(const char *script, const char *w)
{
	const char *p = script;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[MODEL_MAX], *tok, *save = NULL;
		bool cmd_pos = true;

		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			for (tok = strtok_r(line, " \t\r", &save); tok;
			     tok = strtok_r(NULL, " \t\r", &save)) {
				if (tok[0] == '#')
					break;
				if (!strcmp(tok, "&&") || !strcmp(tok, "||") || !strcmp(tok, ";")) {
					cmd_pos = true;
					continue;
				}
				if (cmd_pos && tok[0] != ':' && !strcmp(tok, w))
					return true;
				cmd_pos = false;
			}
		}
		p += len + (nl != NULL);
	}
	return false;
}

/* The number of `exit` commands in the script (command position, as has_command finds
 * them); *not_one counts those not written `exit 1`. */
static unsigned count_exits(const char *script, unsigned *not_one)
{
	const char *p = script;
	unsigned n = 0;

	*not_one = 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[MODEL_MAX], *tok, *save = NULL;
		bool cmd_pos = true, after_exit = false;

		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			for (tok = strtok_r(line, " \t\r", &save); tok;
			     tok = strtok_r(NULL, " \t\r", &save)) {
				if (tok[0] == '#')
					break;
				if (after_exit && strcmp(tok, "1"))
					(*not_one)++;
				if (after_exit)
					cmd_pos = after_exit = false;
				if (!strcmp(tok, "&&") || !strcmp(tok, "||") || !strcmp(tok, ";")) {
					cmd_pos = true;
					continue;
				}
				if (cmd_pos && !strcmp(tok, "exit")) {
					n++;
					after_exit = true;
					continue;
				}
				cmd_pos = false;
			}
			*not_one += after_exit; /* `exit` ending its line */
		}
		p += len + (nl != NULL);
	}
	return n;
}

static char *read_template(int argc, char **argv, size_t *len)
{
	const char *arg = argc > 1 ? argv[1] : getenv("CHAINBOOT_SRCDIR");
	char path[4096];
	struct stat st;
	char *buf;
	FILE *f;

	if (!arg || !*arg)
		arg = ".";
	if (stat(arg, &st) == 0 && S_ISREG(st.st_mode))
		snprintf(path, sizeof(path), "%s", arg);
	else
		snprintf(path, sizeof(path), "%s/scripts/chain.ipxe.in", arg);
	f = fopen(path, "rb");
	if (!f) {
		printf("# cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	buf = malloc(CHAINSCRIPT_MAX + 1);
	*len = buf ? fread(buf, 1, CHAINSCRIPT_MAX, f) : 0;
	fclose(f);
	if (buf)
		buf[*len] = '\0';
	return buf;
}

/* Render every prefix of t placed right before a PROT_NONE page: any read past the
 * counted length faults at once. Returns false if some prefix gave an odd result. */
static bool prefix_sweep(const struct site_config *c, const char *t, size_t tlen)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t span = ((tlen + (size_t)pg - 1) / (size_t)pg + 1) * (size_t)pg;
	char *map = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *guard, *out;
	bool good = true;
	struct diag d;
	size_t n, olen;

	if (map == MAP_FAILED)
		return false;
	guard = map + span - (size_t)pg;
	if (mprotect(guard, (size_t)pg, PROT_NONE) != 0) {
		munmap(map, span);
		return false;
	}
	for (n = 0; n <= tlen; n++) {
		char *at = guard - n;
		int rc;

		memcpy(at, t, n);
		diag_clear(&d);
		rc = chainscript_render(c, at, n, &out, &olen, &d);
		if (rc == 0)
			free(out);
		else if (rc != -EINVAL || out != NULL || !d.msg[0])
			good = false;
	}
	munmap(map, span);
	return good;
}

/* ---- tests ---- */

static void test_quote(void)
{
	static const char *const cases[] = {
		"CSTM",
		"http://198.51.100.1:8080/boot.ipxe?site=lab&rack=4",
		"http://h/a b/c d?x=1 2",
		"http://h/x?a=${b",
		"http://h/${",
		"a  b",
		" leading",
		"trailing ",
		"   ",
		"a && b || c ; d",
		"&&",
		"x&&y",
		"# not a comment",
		"a #b",
		"\"quoted\" 'single'",
		"back\\slash\\",
		"end in backslash \\",
		"$ {x} $x }{ ${",
		"\xc3\xa9t\xc3\xa9",
		"",
	};
	char q[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(roundtrip(cases[i]), "set stores exactly \"%s\"", cases[i]);

	ok(chainscript_quote("http://h/x?a=1&b=2", q, sizeof(q)) == 0 &&
		   !strcmp(q, "http://h/x?a=1&b=2"),
	   "a URL with & needs no change (got %s)", q);
	ok(chainscript_quote("a  b", q, sizeof(q)) == 0 && !strcmp(q, "a ${} b"),
	   "double space keeps an empty word (got %s)", q);
	ok(chainscript_quote("a && b", q, sizeof(q)) == 0 && !strcmp(q, "a ${}&& b"),
	   "a lone && is hidden from the parser (got %s)", q);
	ok(chainscript_quote("#x", q, sizeof(q)) == 0 && !strcmp(q, "${}#x"),
	   "a leading # does not start a comment (got %s)", q);
	ok(chainscript_quote("a\\", q, sizeof(q)) == 0 && !strcmp(q, "a\\${}"),
	   "a trailing backslash does not join lines (got %s)", q);

	ok(chainscript_quote("http://h/${b}", q, sizeof(q)) == -EINVAL,
	   "${...} is refused: iPXE would expand it");
	ok(chainscript_quote("a\nb", q, sizeof(q)) == -EINVAL, "newline is refused");
	ok(chainscript_quote("a\tb", q, sizeof(q)) == -EINVAL, "tab is refused");
	ok(chainscript_quote("a\rb", q, sizeof(q)) == -EINVAL, "CR is refused");
	ok(chainscript_quote("a\x7f", q, sizeof(q)) == -EINVAL, "DEL is refused");
	ok(chainscript_quote("CSTM", q, 4) == -ENOSPC && q[0] == '\0',
	   "too small a buffer: -ENOSPC and an empty string");
	ok(chainscript_quote("CSTM", q, 5) == 0, "exact fit works");
	ok(chainscript_quote("CSTM", q, 0) == -ENOSPC, "zero-size buffer: -ENOSPC");
	ok(chainscript_quote("     ", q, CHAINSCRIPT_QUOTE_SIZE(5)) == 0,
	   "CHAINSCRIPT_QUOTE_SIZE covers the worst case (all spaces)");
}

static void test_render_inline(void)
{
	static const char tmpl[] = "#!ipxe\n@SETTINGS@\necho chainboot: chain script "
				   "starting (user-class @USER_CLASS@)\necho mail@host\n";
	struct site_config c;
	struct diag d;
	char *out = NULL;
	size_t len;
	int rc;

	base_config(&c);
	strcpy(c.urls[0], "http://inv/boot.ipxe?site=a&b=c");
	strcpy(c.urls[1], "http://inv/a b/boot.ipxe");
	strcpy(c.urls[2], "http://inv/x?lit=${y");
	strcpy(c.urls[3], "HTTPS://inv/ends?");
	c.n_urls = 4;
	rc = render_str(&c, tmpl, &out, &d);
	ok(rc == 0, "inline template renders (%s)", d.msg);
	if (rc)
		return;
	ok(strstr(out, "\nset user-class CSTM\n") != NULL, "set user-class CSTM is there");
	ok(strstr(out, "\necho chainboot: chain script starting (user-class CSTM)\n") != NULL,
	   "@USER_CLASS@ replaced in the first echo");
	ok(strstr(out, "echo mail@host\n") != NULL, "a lone @ is left alone");
	ok(strstr(out, "@SETTINGS@") == NULL, "@SETTINGS@ replaced");
	ok(rendered_value(out, "cb-url0") && !strcmp(rendered_value(out, "cb-url0"), c.urls[0]),
	   "URL with & stored exactly");
	ok(rendered_value(out, "cb-url1") && !strcmp(rendered_value(out, "cb-url1"), c.urls[1]),
	   "URL with spaces stored exactly");
	ok(rendered_value(out, "cb-url2") && !strcmp(rendered_value(out, "cb-url2"), c.urls[2]),
	   "URL with a literal ${ stored exactly");
	ok(rendered_value(out, "cb-sep0") && !strcmp(rendered_value(out, "cb-sep0"), "&"),
	   "a URL with a query gets its facts after &");
	ok(rendered_value(out, "cb-sep1") && !strcmp(rendered_value(out, "cb-sep1"), "?"),
	   "a URL without a query gets its facts after ?");
	ok(rendered_value(out, "cb-sep3") && !strcmp(rendered_value(out, "cb-sep3"), ""),
	   "a URL ending in ? gets no separator");
	ok(rendered_value(out, "cb-tls0") && !strcmp(rendered_value(out, "cb-tls0"), "0") &&
		   rendered_value(out, "cb-tls3") && !strcmp(rendered_value(out, "cb-tls3"), "1"),
	   "cb-tlsN: 1 for an https URL (any case), 0 for http");
	ok(rendered_value(out, "cb-nurls:int32") &&
		   !strcmp(rendered_value(out, "cb-nurls:int32"), "4"),
	   "cb-nurls is 4");
	ok(rendered_value(out, "cb-http-ms:int32") &&
		   !strcmp(rendered_value(out, "cb-http-ms:int32"), "30000"),
	   "http_timeout becomes milliseconds");
	len = strlen(out);
	ok(len > 0 && out[len - 1] == '\n' && !strstr(out, "\n\n\n"),
	   "no stray blank lines around the settings");
	free(out);
}

static void test_render_errors(void)
{
	struct site_config c;
	struct diag d;
	char *out = (char *)1, *big;
	size_t len, n;
	int rc;

	base_config(&c);
	rc = render_str(&c, "#!ipxe\n@SETTINGS@\necho @FOO@ here\n", &out, &d);
	ok(rc == -EINVAL && out == NULL, "unknown placeholder: -EINVAL, no output");
	ok(strstr(d.msg, "@FOO@") && strstr(d.msg, "line 3"), "message names it: %s", d.msg);

	ok(render_str(&c, "#!ipxe\necho hi\n", &out, &d) == -EINVAL && strstr(d.msg, "@SETTINGS@"),
	   "missing @SETTINGS@: %s", d.msg);
	ok(render_str(&c, "#!ipxe\n@SETTINGS@\n@SETTINGS@\n", &out, &d) == -EINVAL &&
		   strstr(d.msg, "line 3"),
	   "second @SETTINGS@: %s", d.msg);
	ok(render_str(&c, "#!ipxe\necho @SETTINGS@\n", &out, &d) == -EINVAL,
	   "@SETTINGS@ inside a line: %s", d.msg);
	ok(render_str(&c, "echo hi\n@SETTINGS@\n", &out, &d) == -EINVAL && strstr(d.msg, "#!ipxe"),
	   "no #!ipxe signature: %s", d.msg);
	diag_clear(&d);
	ok(chainscript_render(&c, "#!ipxe\n@SETTINGS@\nx\0y\n", 22, &out, &len, &d) == -EINVAL &&
		   strstr(d.msg, "line 3"),
	   "NUL in the template: %s", d.msg);

	n = CHAINSCRIPT_MAX + 100;
	big = malloc(n + 1);
	if (big) {
		memset(big, '#', n);
		memcpy(big, "#!ipxe\n@SETTINGS@\n", 18);
		big[n] = '\0';
		out = (char *)1;
		rc = render_str(&c, big, &out, &d);
		ok(rc == -EFBIG && out == NULL && strstr(d.msg, "exceed"),
		   "too-long output: -EFBIG (%s)", d.msg);
		free(big);
	}

	base_config(&c);
	strcpy(c.urls[1], "http://inv/x\ny");
	c.n_urls = 2;
	ok(render_str(&c, "#!ipxe\n@SETTINGS@\n", &out, &d) == -EINVAL && strstr(d.msg, "url 2") &&
		   strstr(d.msg, "0x0a"),
	   "newline in a URL: %s", d.msg);
	base_config(&c);
	strcpy(c.urls[0], "http://inv/${net0/mac}");
	ok(render_str(&c, "#!ipxe\n@SETTINGS@\n", &out, &d) == -EINVAL && strstr(d.msg, "${"),
	   "${...} in a URL: %s", d.msg);
	base_config(&c);
	strcpy(c.user_class, "CS\tTM");
	ok(render_str(&c, "#!ipxe\n@SETTINGS@\n", &out, &d) == -EINVAL &&
		   strstr(d.msg, "user_class"),
	   "tab in the user class: %s", d.msg);
	base_config(&c);
	memset(c.user_class, 'A', sizeof(c.user_class));
	ok(render_str(&c, "#!ipxe\n@SETTINGS@\n", &out, &d) == -EINVAL &&
		   strstr(d.msg, "user_class"),
	   "unterminated user class: %s", d.msg);
	base_config(&c);
	c.user_class[0] = '\0';
	ok(render_str(&c, "#!ipxe\n@SETTINGS@\n", &out, &d) == -EINVAL, "empty user class: %s",
	   d.msg);
	base_config(&c);
	strcpy(c.urls[0], "-http://inv/");
	ok(render_str(&c, "#!ipxe\n@SETTINGS@\n", &out, &d) == -EINVAL && strstr(d.msg, "absolute"),
	   "URL without a scheme: %s", d.msg);
	base_config(&c);
	strcpy(c.urls[0], "http://inv/x#frag");
	ok(render_str(&c, "#!ipxe\n@SETTINGS@\n", &out, &d) == -EINVAL && strstr(d.msg, "fragment"),
	   "URL with a fragment: %s", d.msg);
	base_config(&c);
	c.n_urls = SITE_MAX_URLS + 1;
	ok(render_str(&c, "#!ipxe\n@SETTINGS@\n", &out, &d) == -EINVAL, "too many URLs: %s", d.msg);
	base_config(&c);
	c.rounds = 0;
	ok(render_str(&c, "#!ipxe\n@SETTINGS@\n", &out, &d) == -EINVAL && strstr(d.msg, "rounds"),
	   "zero rounds: %s", d.msg);
	base_config(&c);
	c.dhcp_tries = 0;
	ok(render_str(&c, "#!ipxe\n@SETTINGS@\n", &out, &d) == -EINVAL &&
		   strstr(d.msg, "dhcp_tries"),
	   "zero DHCP tries: %s", d.msg);
	base_config(&c);
	c.backoff = 60;
	c.rounds = 30;
	ok(render_str(&c, "#!ipxe\n@SETTINGS@\n", &out, &d) == -EINVAL && strstr(d.msg, "backoff"),
	   "backoff doubling beyond a day: %s", d.msg);
	base_config(&c);
	c.backoff = 0;
	c.rounds = 1000;
	ok(render_str(&c, "#!ipxe\n@SETTINGS@\n", &out, &d) == 0, "no backoff, many rounds: %s",
	   d.msg);
	free(out);
	out = NULL;
	ok(chainscript_render(&c, "#!ipxe\n", 7, NULL, &len, &d) == -EINVAL,
	   "NULL output pointer refused");
}

static void test_render_real(const char *t, size_t tlen)
{
	static const char start_line[] =
		"\necho chainboot: chain script starting (user-class CSTM)\n";
	struct site_config c;
	char *out = NULL, name[16];
	const char *first_echo, *p, *last = NULL;
	struct diag d;
	size_t len;
	unsigned i;
	int rc;

	base_config(&c);
	for (i = 0; i < SITE_MAX_URLS; i++)
		snprintf(c.urls[i], sizeof(c.urls[i]),
			 "http://inv%u.example/a b/boot.ipxe?n=%u&m=${", i, i);
	c.n_urls = SITE_MAX_URLS;
	diag_clear(&d);
	rc = chainscript_render(&c, t, tlen, &out, &len, &d);
	ok(rc == 0, "real template renders (%s)", d.msg);
	if (rc)
		return;
	ok(len == strlen(out) && len <= CHAINSCRIPT_MAX, "length reported (%zu bytes)", len);
	ok(strncmp(out, "#!ipxe\n", 7) == 0, "starts with #!ipxe");
	ok(rendered_value(out, "user-class") && !strcmp(rendered_value(out, "user-class"), "CSTM"),
	   "set user-class CSTM");
	first_echo = strstr(out, "\necho ");
	ok(first_echo && !strncmp(first_echo, start_line, strlen(start_line)),
	   "first printed line is the recognisable start line");
	ok(strstr(out, "ifconf -c dhcp ${cb-nic}") != NULL, "ifconf -c dhcp is used");
	ok(!has_command(out, "dhcp"), "the bare dhcp command is never used");
	ok(strstr(out, "chain --autofree --timeout ${cb-http-ms}") != NULL,
	   "URL attempts are bounded by --timeout");
	ok(strstr(out, "choose --default cb-retry --timeout ${cb-menu-ms}") != NULL,
	   "menu defaults to retry with the configured timeout");
	ok(!strstr(out, "@SETTINGS@") && !strstr(out, "@USER_CLASS@"), "no placeholder left");
	{
		unsigned not_one, n = count_exits(out, &not_one);

		/* status 0 sends OVMF to its setup screen instead of the next boot option */
		ok(n >= 3 && not_one == 0,
		   "every exit to the next boot device is exit 1 (%u exits, %u not exit 1)", n,
		   not_one);
	}
	ok(strstr(out,
		  "set cb-e:uint8 ${errno} ||\niseq ${cb-e} ${errno} && goto cb-exited ||\n") &&
		   strstr(out, "\n:cb-exited\n"),
	   "a script's own exit N (errno below 256) goes to the next boot device");
	for (i = 0; i < SITE_MAX_URLS; i++) {
		char needle[32];

		snprintf(name, sizeof(name), "cb-url%u", i);
		snprintf(needle, sizeof(needle), "\nset cb-url%u ", i);
		p = strstr(out, needle);
		ok(p && (!last || p > last) && rendered_value(out, name) &&
			   !strcmp(rendered_value(out, name), c.urls[i]),
		   "URL %u present, in order, stored exactly", i + 1);
		last = p;
	}
	ok(strstr(out, "mac=${cb-mac:uristring}&uuid=${cb-uuid:uristring}&serial=") &&
		   strstr(out, "&uc=${user-class:uristring}"),
	   "machine facts are appended URL-encoded");
	free(out);

	ok(prefix_sweep(&c, t, tlen), "every prefix of the template renders or fails cleanly");
}

/* One [static] entry as staticnet_parse() leaves it. */
static void add_static(struct site_config *c, const char *mac, const char *addr, const char *mask,
		       const char *gw, const char *dns)
{
	struct staticnet *e = &c->statics[c->n_statics++];

	memset(e, 0, sizeof(*e));
	snprintf(e->mac, sizeof(e->mac), "%s", mac);
	snprintf(e->addr, sizeof(e->addr), "%s", addr);
	snprintf(e->netmask, sizeof(e->netmask), "%s", mask);
	snprintf(e->gateway, sizeof(e->gateway), "%s", gw);
	snprintf(e->dns, sizeof(e->dns), "%s", dns);
	e->prefix = 24;
}

/* [chain] vlan and [static]: the values as `set` lines (MAC entries before the one for
 * any MAC), the template's use of them, and what check_config refuses. */
static void test_render_vlan_static(const char *t, size_t tlen)
{
	struct site_config c;
	char *out = NULL;
	const char *v;
	struct diag d;
	size_t len;
	int rc;

	base_config(&c);
	diag_clear(&d);
	rc = chainscript_render(&c, t, tlen, &out, &len, &d);
	ok(rc == 0 && (v = rendered_value(out, "cb-vlan")) && !strcmp(v, "0"),
	   "no vlan: set cb-vlan 0 (%s)", d.msg);
	ok(rc == 0 && (v = rendered_value(out, "cb-nstatic:int32")) && !strcmp(v, "0"),
	   "no [static]: cb-nstatic 0");
	free(out);
	out = NULL;

	c.vlan = 100;
	add_static(&c, "", "198.51.100.60", "255.255.255.0", "", "");
	add_static(&c, "52:54:00:aa:bb:cc", "198.51.100.50", "255.255.255.0", "198.51.100.1",
		   "198.51.100.53");
	diag_clear(&d);
	rc = chainscript_render(&c, t, tlen, &out, &len, &d);
	ok(rc == 0, "vlan 100 and two [static] entries render (%s)", d.msg);
	if (rc)
		return;
	ok((v = rendered_value(out, "cb-vlan")) && !strcmp(v, "100"), "set cb-vlan 100");
	ok((v = rendered_value(out, "cb-nstatic:int32")) && !strcmp(v, "2"), "cb-nstatic 2");
	ok((v = rendered_value(out, "cb-smac0")) && !strcmp(v, "52:54:00:aa:bb:cc"),
	   "the MAC entry comes first although the file gave it second");
	ok((v = rendered_value(out, "cb-sip0")) && !strcmp(v, "198.51.100.50") &&
		   (v = rendered_value(out, "cb-smask0")) && !strcmp(v, "255.255.255.0") &&
		   (v = rendered_value(out, "cb-sgw0")) && !strcmp(v, "198.51.100.1") &&
		   (v = rendered_value(out, "cb-sdns0")) && !strcmp(v, "198.51.100.53"),
	   "entry 0: address, netmask, gateway, dns");
	ok((v = rendered_value(out, "cb-smac1")) && !strcmp(v, "any") &&
		   (v = rendered_value(out, "cb-sip1")) && !strcmp(v, "198.51.100.60") &&
		   !rendered_value(out, "cb-sgw1") && !rendered_value(out, "cb-sdns1"),
	   "the entry for any MAC last, without gateway and dns lines");
	ok(strstr(out, "vcreate --tag ${cb-vlan} net${cb-idx}") &&
		   strstr(out, "set cb-nic net${cb-idx}-${cb-vlan}\n"),
	   "the template creates netX-N and uses it");
	ok(strstr(out, "set ${cb-nic}/ip ${cb-sip${cb-j}}") &&
		   strstr(out, "set ${cb-nic}/netmask ${cb-smask${cb-j}}"),
	   "the template sets the static address on the device in use");
	ok(strstr(out, "iseq ${cb-smac${cb-j}} ${cb-mac} && goto cb-static-set ||") &&
		   strstr(out, "iseq ${cb-smac${cb-j}} any && goto cb-static-set ||"),
	   "an entry matches by MAC or as any");
	free(out);
	out = NULL;

	c.vlan = 4095;
	ok(render_str(&c, "#!ipxe\n@SETTINGS@\n", &out, &d) == -EINVAL && strstr(d.msg, "vlan") &&
		   strstr(d.msg, "4094"),
	   "vlan 4095 refused with the range: %s", d.msg);
	c.vlan = 4094;
	ok(render_str(&c, "#!ipxe\n@SETTINGS@\n", &out, &d) == 0, "vlan 4094 accepted");
	free(out);
	out = NULL;
	add_static(&c, "", "198.51.100.61", "255.255.255.0", "", "");
	ok(render_str(&c, "#!ipxe\n@SETTINGS@\n", &out, &d) == -EINVAL && strstr(d.msg, "any"),
	   "two entries for any MAC refused: %s", d.msg);
	c.n_statics--;
	snprintf(c.statics[0].addr, sizeof(c.statics[0].addr), "1.2.3.4 ${x}");
	ok(render_str(&c, "#!ipxe\n@SETTINGS@\n", &out, &d) == -EINVAL &&
		   strstr(d.msg, "[static] entry 1"),
	   "an entry holding other than IPv4 text refused: %s", d.msg);
	c.statics[0].addr[0] = '\0';
	ok(render_str(&c, "#!ipxe\n@SETTINGS@\n", &out, &d) == -EINVAL,
	   "an entry without an address refused: %s", d.msg);
	c.n_statics = STATICNET_MAX + 1;
	ok(render_str(&c, "#!ipxe\n@SETTINGS@\n", &out, &d) == -EINVAL && strstr(d.msg, "at most"),
	   "more than %d entries refused: %s", STATICNET_MAX, d.msg);
}

int main(int argc, char **argv)
{
	size_t tlen = 0;
	char *t;

	test_quote();
	test_render_inline();
	test_render_errors();
	t = read_template(argc, argv, &tlen);
	ok(t != NULL, "scripts/chain.ipxe.in readable");
	if (t) {
		test_render_real(t, tlen);
		test_render_vlan_static(t, tlen);
	}
	free(t);
	return test_done();
}
