/* hex: the one hex-digit decoder (MAC and UUID facts, %XX in URLs, test tools). */
#ifndef CB_HEX_H
#define CB_HEX_H

/* c as a hex digit (0-9, a-f, A-F): its value 0..15, or -1. */
int hex_digit(int c);

/* The byte written as two hex digits at s[0], s[1]: 0..255, or -1 when either is not a
 * hex digit (s[1] is not read when s[0] is not one, so a NUL-terminated s is safe). */
int hex_byte(const char *s);

#endif
