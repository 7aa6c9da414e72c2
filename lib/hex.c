/* hex: hex digits to values (hex.h). Pure; the input is anyone's bytes. */
#include "hex.h"

int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_byte(const char *s)
{
	int h = hex_digit((unsigned char)s[0]), l;

	if (h < 0)
		return -1;
	l = hex_digit((unsigned char)s[1]);
	return l < 0 ? -1 : h << 4 | l;
}
