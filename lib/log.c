/* log: one line per event, key=value, on stderr. Under systemd (JOURNAL_STREAM set)
 * the journal adds the time itself, so the timestamp is left out. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int quiet;
static int journal = -1;
/* Held lines (log_hold): written by log_release() in one write. */
static char held[65536];
static size_t held_len;
static int holding;

void log_set_quiet(int q)
{
	quiet = q;
}

void log_event(const char *event, const char *fmt, ...)
{
	char line[2048], ts[40] = "";
	size_t n = strlen(event);
	va_list ap;

	if (quiet && n > 6 && !strcmp(event + n - 6, ".debug"))
		return;
	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;
	if (!journal) {
		struct timespec t;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &t);
		gmtime_r(&t.tv_sec, &tm);
		snprintf(ts, sizeof(ts), "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, t.tv_nsec / 1000000);
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (holding) {
		size_t room = sizeof(held) - held_len;
		int k = snprintf(held + held_len, room, "%sevent=%s %s\n", ts, event, line);
		if (k > 0 && (size_t)k < room) {
			held_len += (size_t)k;
			return;
		}
		/* no room: out with what is held, then this line on its own */
		log_release();
		holding = 1;
	}
	/* One write per line, so lines from one process never interleave. */
	fprintf(stderr, "%sevent=%s %s\n", ts, event, line);
}

void log_hold(void)
{
	holding = 1;
}

void log_release(void)
{
	size_t off = 0;

	holding = 0;
	fflush(stderr);
	while (off < held_len) {
		ssize_t w = write(STDERR_FILENO, held + off, held_len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* stderr gone: nothing better to do with the lines */
		off += (size_t)w;
	}
	held_len = 0;
}

const char *log_quote(const char *in, char *buf, unsigned bufsz)
{
	static const char hex[] = "0123456789abcdef";
	unsigned o = 0;
	int plain = *in != '\0';

	if (bufsz < 8) {
		if (bufsz)
			buf[0] = '\0';
		return buf;
	}
	for (const unsigned char *p = (const unsigned char *)in; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '\\' || *p == '=' || *p >= 0x7f)
			plain = 0;
	if (plain && strlen(in) < bufsz) {
		memcpy(buf, in, strlen(in) + 1);
		return buf;
	}
	buf[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		/* room for the widest escape (4), the closing quote, the ellipsis (3) and NUL */
		if (o + 4 + 1 + 3 + 1 > bufsz) {
			memcpy(buf + o, "\xe2\x80\xa6", 3);
			o += 3;
			break;
		}
		if (*p == '"' || *p == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)*p;
		} else if (*p < ' ' || *p == 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[*p >> 4];
			buf[o++] = hex[*p & 15];
		} else {
			buf[o++] = (char)*p;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}
