/* test_fileio: the one whole-file reader (a cap, regular files only, a file whose size
 * is not what fstat said is an error, never a truncated text), the counted INI line
 * reader (lines counted, an over-long line skipped whole, not split), the hex decoder
 * and the PATH search. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "hex.h"
#include "iniline.h"
#include "spawn.h"
#include "test.h"

static char dir[] = "/tmp/test_fileio.XXXXXX";

static void put(const char *name, const char *text, char *path, size_t cap)
{
	FILE *f;

	snprintf(path, cap, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_read(void)
{
	struct diag d = { { 0 } };
	char path[256], fifo[256];
	uint8_t *buf;
	size_t len;
	int rc;

	put("a.txt", "hello\n", path, sizeof(path));
	rc = fileio_read(path, 100, &buf, &len, &d);
	ok(rc == 0 && len == 6 && !memcmp(buf, "hello\n", 7), "a small file, NUL after it");
	free(buf);
	diag_clear(&d);
	rc = fileio_read(path, 5, &buf, &len, &d);
	ok(rc == -EFBIG && !buf && strstr(d.msg, "more than the 5 allowed"), "over the cap: %s",
	   d.msg);
	diag_clear(&d);
	rc = fileio_read(dir, 100, &buf, &len, &d);
	ok(rc == -EINVAL && strstr(d.msg, "not a regular file"), "a directory: %s", d.msg);
	diag_clear(&d);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	mkfifo(fifo, 0600);
	rc = fileio_read(fifo, 100, &buf, &len, &d);
	ok(rc == -EINVAL, "a FIFO is refused without blocking the open: %s", d.msg);
	unlink(fifo);
	diag_clear(&d);
	rc = fileio_read("/nonexistent/x", 100, &buf, &len, &d);
	ok(rc == -ENOENT && strstr(d.msg, "/nonexistent/x: cannot read"), "missing: %s", d.msg);
	diag_clear(&d);
	/* fstat says 0 bytes, read gives more: the reader must not return a cut text */
	rc = fileio_read("/proc/self/status", 1 << 20, &buf, &len, &d);
	ok(rc == -EIO && !buf && strstr(d.msg, "grew while being read"),
	   "a file larger than fstat said is an error: %s", d.msg);
	unlink(path);
}

static void test_lines(void)
{
	static const char text[] = "[a]\nk = v\n0123456789abcdef\nlast";
	struct iniline r;
	char line[12];

	iniline_init(&r, text, sizeof(text) - 1);
	ok(iniline_next(line, sizeof(line), &r) && !strcmp(line, "[a]\n") && r.line == 1,
	   "first line with its newline");
	ok(iniline_next(line, sizeof(line), &r) && !strcmp(line, "k = v\n") && r.line == 2,
	   "second line");
	ok(iniline_next(line, sizeof(line), &r) && !strcmp(line, "") && r.long_line == 3,
	   "an over-long line is skipped whole and remembered");
	ok(iniline_next(line, sizeof(line), &r) && !strcmp(line, "last") && r.line == 4,
	   "a last line without newline, not a split piece of the long one");
	ok(!iniline_next(line, sizeof(line), &r), "then the end");
	iniline_init(&r, "12345678901\n", 12);
	ok(iniline_next(line, sizeof(line), &r) && !strcmp(line, "") && r.long_line == 1,
	   "a line that fills the buffer but for its newline is over-long");
	iniline_init(&r, "1234567890\n", 11);
	ok(iniline_next(line, sizeof(line), &r) && !strcmp(line, "1234567890\n"),
	   "a line and newline that just fit");
	ok(iniline_is_blank_or_comment("") && iniline_is_blank_or_comment(" \t\r\n") &&
		   iniline_is_blank_or_comment("# x") && iniline_is_blank_or_comment("  ; x\n"),
	   "blank lines and comments, indented or not, are what inih skips");
	ok(!iniline_is_blank_or_comment("k = v # x") && !iniline_is_blank_or_comment("  a\n# b"),
	   "a value line is not a comment, whatever follows it or its newline");
}

static void test_hex(void)
{
	ok(hex_digit('0') == 0 && hex_digit('9') == 9 && hex_digit('a') == 10 &&
		   hex_digit('F') == 15,
	   "hex digits");
	ok(hex_digit('g') == -1 && hex_digit('/') == -1 && hex_digit(':') == -1 &&
		   hex_digit(0) == -1 && hex_digit(0xc0) == -1,
	   "non-digits");
	ok(hex_byte("3F") == 0x3f && hex_byte("a0") == 0xa0, "a byte");
	ok(hex_byte("3") == -1 && hex_byte("x0") == -1 && hex_byte("0x") == -1, "bad pairs");
}

static void test_path(void)
{
	const char *old = getenv("PATH");
	char *saved = old ? strdup(old) : NULL;

	ok(spawn_in_path("sh"), "sh is in PATH");
	ok(!spawn_in_path("no-such-tool-chainboot"), "a missing tool is not");
	setenv("PATH", "/nonexistent::/bin", 1);
	ok(spawn_in_path("sh"), "empty and missing PATH entries are skipped");
	setenv("PATH", "/nonexistent", 1);
	ok(!spawn_in_path("sh"), "only PATH is searched");
	if (saved)
		setenv("PATH", saved, 1);
	free(saved);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("not ok mkdtemp\n");
		return 1;
	}
	test_read();
	test_lines();
	test_hex();
	test_path();
	rmdir(dir);
	return test_done();
}
