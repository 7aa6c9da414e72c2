/* iniline: the one line reader under inih's ini_parse_stream for every INI file (site,
 * layout, inventory): over a counted buffer in memory, so parsers need no file. */
#ifndef CB_INILINE_H
#define CB_INILINE_H

#include <stdbool.h>
#include <stddef.h>

struct iniline {
	const char *text;
	size_t len, off;
	unsigned line;	    /* lines handed out so far: inih calls back right after reading one */
	unsigned long_line; /* first line longer than inih's buffer, 0 if none */
	int max_line;	    /* inih's buffer (its longest line + 2: newline and NUL) */
};

/* Read text[0..len) (NUL bytes end nothing: callers refuse them first if they must). */
void iniline_init(struct iniline *r, const char *text, size_t len);

/* inih's reader: the next line, with its '\n', NUL-terminated in str (num bytes), or
 * NULL at the end. A line that does not fit is skipped whole (str is "") and
 * remembered in long_line: inih would otherwise split it into two bogus lines. */
char *iniline_next(char *str, int num, struct iniline *r);

/* Whether the line at s (up to its newline) is blank or a comment (';' or '#' after
 * blanks, indented or not): inih skips those, so nothing in them is a value. */
bool iniline_is_blank_or_comment(const char *s);

#endif
