/* test_log: the log lines as key=value and as JSON (--log-format json) carry the same
 * fields: each line is captured from stderr (a pipe) and parsed back. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "test.h"

/* What the log wrote to stderr while fn ran (stderr is a pipe meanwhile). */
static char captured[65536];
static const char *capture(void (*fn)(void))
{
	int p[2], saved = dup(STDERR_FILENO);
	ssize_t n;

	if (pipe(p) || saved < 0)
		return "";
	fflush(stderr);
	dup2(p[1], STDERR_FILENO);
	close(p[1]);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = read(p[0], captured, sizeof(captured) - 1);
	close(p[0]);
	captured[n > 0 ? n : 0] = '\0';
	return captured;
}

static void one_line(void)
{
	char q1[100], q2[100];
	log_event("tftp", "client=%s file=%s bytes=%zu note=%s code=%s",
		  log_quote("198.51.100.50:2001", q1, sizeof(q1)),
		  log_quote("a \"b\"\\c\x01", q2, sizeof(q2)), (size_t)1468, "0042", "0");
}

static void held_lines(void)
{
	log_hold();
	log_event("a", "n=1");
	log_event("b", "n=2 bad=%s", "\xff\xfe");
	log_release();
}

static void debug_line(void)
{
	log_event("proxydhcp.debug", "x=1");
}

/* The journal check is made once per process: a fresh one without JOURNAL_STREAM. */
static void stamped_line(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		unsetenv("JOURNAL_STREAM");
		execl("/proc/self/exe", "test_log", "stamped", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	json_error_t err;
	json_t *o;
	const char *out;

	if (argc == 2 && !strcmp(argv[1], "stamped")) {
		log_set_format("json");
		log_event("start", "x=1");
		return 0;
	}
	/* JOURNAL_STREAM set: no timestamp, so lines compare exactly */
	setenv("JOURNAL_STREAM", "8:1", 1);
	out = capture(one_line);
	ok(!strcmp(out, "event=tftp client=198.51.100.50:2001 file=\"a \\\"b\\\"\\\\c\\x01\" "
			"bytes=1468 note=0042 code=0\n"),
	   "text: key=value with the quoted value: %s", out);

	ok(log_set_format("yaml") == -EINVAL, "an unknown format is refused");
	ok(log_set_format("json") == 0, "json is a format");
	out = capture(one_line);
	ok(strchr(out, '\n') == out + strlen(out) - 1, "json: one line");
	o = json_loads(out, 0, &err);
	ok(o != NULL, "json: the line parses: %s", out);
	ok(o && !strcmp(json_string_value(json_object_get(o, "event")), "tftp"), "json: event");
	ok(o && !strcmp(json_string_value(json_object_get(o, "client")), "198.51.100.50:2001"),
	   "json: a bare value");
	ok(o && !strcmp(json_string_value(json_object_get(o, "file")), "a \"b\"\\c\x01"),
	   "json: a quoted value is unquoted (\\\", \\\\, \\xNN)");
	ok(o && json_integer_value(json_object_get(o, "bytes")) == 1468,
	   "json: numbers are integers");
	ok(o && json_is_string(json_object_get(o, "note")), "json: 0042 stays a string");
	ok(o && json_is_integer(json_object_get(o, "code")), "json: 0 is an integer");
	ok(o && json_object_size(o) == 6, "json: the same fields and no more (%zu)",
	   o ? json_object_size(o) : 0);
	ok(!strncmp(out, "{\"event\":\"tftp\",\"client\":", 25),
	   "json: fields in the line's order");
	json_decref(o);

	out = capture(held_lines);
	ok(!strcmp(out, "{\"event\":\"a\",\"n\":1}\n{\"event\":\"b\",\"n\":2,\"bad\":\"??\"}\n"),
	   "json: held lines, in order; bytes that are not UTF-8 become '?': %s", out);

	out = capture(stamped_line);
	o = json_loads(out, 0, &err);
	ok(o && json_is_string(json_object_get(o, "ts")) &&
		   strlen(json_string_value(json_object_get(o, "ts"))) == 24,
	   "json: a timestamp outside the journal: %s", out);
	json_decref(o);
	ok(o && !strncmp(out, "{\"ts\":", 6), "json: ts comes first");
	log_set_quiet(1);
	ok(*capture(debug_line) == '\0', "quiet drops debug events in json too");
	ok(log_set_format("text") == 0, "back to text");
	return test_done();
}
