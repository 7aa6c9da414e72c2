/* iniline: counted lines for inih (iniline.h). The text is a user's file: every copy is
 * bounded by inih's buffer size, and a line too long for it is skipped, not split. */
#include "iniline.h"

#include <string.h>

void iniline_init(struct iniline *r, const char *text, size_t len)
{
	*r = (struct iniline){ .text = text, .len = len };
}

char *iniline_next(char *str, int num, struct iniline *r)
{
	const char *p, *nl;
	size_t left, n;

	if (num < 2 || r->off >= r->len)
		return NULL;
	p = r->text + r->off;
	left = r->len - r->off;
	nl = memchr(p, '\n', left);
	n = nl ? (size_t)(nl - p) + 1 : left;
	r->off += n;
	r->line++;
	r->max_line = num;
	if (n > (size_t)num - 1) {
		if (!r->long_line)
			r->long_line = r->line;
		str[0] = '\0'; /* skipped; the caller reports it after parsing */
		return str;
	}
	memcpy(str, p, n);
	str[n] = '\0';
	return str;
}

bool iniline_is_blank_or_comment(const char *s)
{
	s += strspn(s, " \t\r");
	return !*s || *s == '\n' || *s == ';' || *s == '#';
}
