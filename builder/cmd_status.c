/* cmd_status: `chainboot status [--server URL]` — the machines table of a running
 * chainbootd, from its status listener's /status.json (builder/httpget.c). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "httpget.h"

#define STATUS_DEFAULT_URL "http://127.0.0.1:9180"

static const struct cli_opt status_opts[] = {
	{ "server", 0, "URL", NULL, NULL, NULL,
	  "chainbootd's status listener (default " STATUS_DEFAULT_URL ")" },
	{ "token", 0, "TOKEN", NULL, NULL, NULL,
	  "its bearer token ([server] status_token); default $CHAINBOOT_STATUS_TOKEN" },
	{ 0 },
};

const struct cli_spec cmd_status_spec = {
	"status",
	"[--server URL] [--token TOKEN]",
	"Show the machines a running chainbootd has seen: each one's last boot, its state\n"
	"(in progress, done, stalled after a step) and that step.\n",
	status_opts,
	NULL,
};

static const char *str(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v && v[0] ? v : "-";
}

/* One cell of the terminal: no control bytes from the server reach it. */
static void cell(const char *s, int width)
{
	char buf[128];
	size_t i;

	for (i = 0; i < sizeof(buf) - 1 && s[i]; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	printf("%-*s ", width, buf);
}

static int print_table(json_t *j)
{
	json_t *ms = json_object_get(j, "machines"), *m, *h = json_object_get(j, "health");
	size_t i;

	if (!json_is_array(ms))
		return -EPROTO;
	printf("chainbootd %s, health: %s, boots in progress: %lld\n", str(j, "version"),
	       str(h, "reason"),
	       (long long)json_integer_value(json_object_get(j, "boots_in_progress")));
	printf("%-17s %-16s %-15s %5s %-22s %s\n", "MAC", "NAME", "ADDRESS", "BOOTS", "STATE",
	       "LAST STEP");
	json_array_foreach(ms, i, m)
	{
		json_t *steps = json_object_get(m, "steps");
		json_t *last = json_array_get(steps, json_array_size(steps) - 1);
		char step[160] = "-";
		if (last)
			snprintf(step, sizeof(step), "%s %s %s", str(last, "step"), str(last, "at"),
				 json_is_string(json_object_get(last, "file"))	 ? str(last, "file")
				 : json_is_string(json_object_get(last, "path")) ? str(last, "path")
				 : json_is_string(json_object_get(last, "profile"))
					 ? str(last, "profile")
					 : str(last, "decision"));
		cell(str(m, "mac"), 17);
		cell(str(m, "name"), 16);
		cell(str(m, "ip"), 15);
		printf("%5lld ", (long long)json_integer_value(json_object_get(m, "boots")));
		cell(str(m, "state"), 22);
		cell(step, 0);
		printf("\n");
	}
	if (!json_array_size(ms))
		printf("(no machine has asked yet)\n");
	return 0;
}

int cmd_status_main(int argc, char **argv)
{
	static struct cli cl;
	struct diag d = { { 0 } };
	const char *server, *token;
	char url[1100], *body = NULL;
	size_t len = 0;
	int rc, code = 0;
	json_t *j;

	rc = cli_parse(&cmd_status_spec, argc, argv, &cl);
	if (rc != CLI_GO)
		return rc;
	if (cl.n_args)
		return fprintf(stderr,
			       "chainboot status: no arguments (the server is --server URL)\n"),
		       2;
	server = cli_get(&cl, "server");
	token = cli_get(&cl, "token");
	if (!token)
		token = getenv("CHAINBOOT_STATUS_TOKEN");
	if (token && !token[0])
		token = NULL;
	if (!server)
		server = STATUS_DEFAULT_URL;
	if (strlen(server) > 1000)
		return fprintf(stderr, "chainboot status: --server: URL too long\n"), 2;
	/* "http://host:9180", ".../" and ".../status.json" name the same listener */
	snprintf(url, sizeof(url), "%s", server);
	len = strlen(url);
	if (len < 12 || strcmp(url + len - 12, "/status.json")) {
		while (len && url[len - 1] == '/')
			url[--len] = '\0';
		snprintf(url + len, sizeof(url) - len, "/status.json");
	}
	len = 0;
	rc = httpget(url, token, 10000, &code, &body, &len, &d);
	if (rc)
		return cli_fail("status", &d, rc);
	if (code != 200) {
		free(body);
		fprintf(stderr, "chainboot status: %s: HTTP %d%s\n", url, code,
			code == 401 ? " (give the server's status_token: --token or "
				      "CHAINBOOT_STATUS_TOKEN)"
				    : "");
		return 1;
	}
	j = json_loadb(body, len, 0, NULL);
	free(body);
	rc = j ? print_table(j) : -EPROTO;
	json_decref(j);
	if (rc) {
		fprintf(stderr, "chainboot status: %s: not chainbootd's status.json\n", url);
		return 1;
	}
	return fflush(stdout) ? 1 : 0;
}
