/* log: one line per event, key=value (or the same fields as one JSON object), on stderr.
 * Under systemd (JOURNAL_STREAM set) the journal adds the time itself, so the timestamp
 * is left out. */
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int quiet;
static int journal = -1;
static int json; /* --log-format json: one JSON object per line */
/* Held lines (log_hold): written by log_release() in one write. */
static char held[65536];
static size_t held_len;
static int holding;

void log_set_quiet(int q)
{
	quiet = q;
}

int log_set_format(const char *name)
{
	if (!strcmp(name, "text"))
		json = 0;
	else if (!strcmp(name, "json"))
		json = 1;
	else
		return -EINVAL;
	return 0;
}

/* Undo log_quote() for one value at *p (bare up to a space, or "..." with \" \\ \xNN);
 * advances *p past it. */
static void unquote(const char **p, char *out, size_t outsz)
{
	const char *s = *p;
	size_t o = 0;

	if (*s != '"') {
		while (*s && *s != ' ') {
			if (o + 1 < outsz)
				out[o++] = *s;
			s++;
		}
	} else {
		for (s++; *s && *s != '"'; s++) {
			char c = *s;
			if (c == '\\' && s[1] == 'x' && isxdigit((unsigned char)s[2]) &&
			    isxdigit((unsigned char)s[3])) {
				char hex[3] = { s[2], s[3], 0 };
				c = (char)strtol(hex, NULL, 16);
				s += 3;
			} else if (c == '\\' && s[1]) {
				c = *++s;
			}
			if (o + 1 < outsz)
				out[o++] = c;
		}
		if (*s == '"')
			s++;
	}
	out[o] = '\0';
	*p = s;
}

/* A plain decimal number (no sign, no leading zero) becomes a JSON integer. */
static json_t *json_value(const char *v)
{
	size_t n = strlen(v);

	if (n && n <= 18 && strspn(v, "0123456789") == n && (v[0] != '0' || n == 1))
		return json_integer(strtoll(v, NULL, 10));
	json_t *j = json_string(v);
	if (!j) {
		/* not UTF-8 (a client's bytes): the same text with '?' for each byte over 0x7f */
		char safe[2048];
		size_t i;
		for (i = 0; v[i] && i + 1 < sizeof(safe); i++)
			safe[i] = (unsigned char)v[i] < 0x80 ? v[i] : '?';
		safe[i] = '\0';
		j = json_string(safe);
	}
	return j;
}

/* The key=value line as one JSON object with the same fields, in the same order. */
static void to_json(const char *ts, const char *event, const char *line, char *out, size_t outsz)
{
	json_t *o = json_object();
	char key[64], val[2048], *text;
	const char *p = line;

	if (ts[0])
		json_object_set_new(o, "ts", json_string(ts));
	json_object_set_new(o, "event", json_string(event));
	while (*p) {
		size_t k = strcspn(p, "= ");
		if (p[k] != '=' || k == 0 || k >= sizeof(key)) {
			/* not key=value (never written so): keep the word under "text" */
			unquote(&p, val, sizeof(val));
			json_object_set_new(o, "text", json_value(val));
		} else {
			memcpy(key, p, k);
			key[k] = '\0';
			p += k + 1;
			unquote(&p, val, sizeof(val));
			json_object_set_new(o, key, json_value(val));
		}
		while (*p == ' ')
			p++;
	}
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	snprintf(out, outsz, "%s\n", text ? text : "{}");
	free(text);
	json_decref(o);
}

void log_event(const char *event, const char *fmt, ...)
{
	char line[2048], ts[40] = "", out[4096];
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
		snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 t.tv_nsec / 1000000);
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (json)
		to_json(ts, event, line, out, sizeof(out));
	else
		snprintf(out, sizeof(out), "%s%s%sevent=%s %s\n", ts[0] ? "ts=" : "", ts,
			 ts[0] ? " " : "", event, line);
	if (holding) {
		size_t room = sizeof(held) - held_len, k = strlen(out);
		if (k < room) {
			memcpy(held + held_len, out, k + 1);
			held_len += k;
			return;
		}
		/* no room: out with what is held, then this line on its own */
		log_release();
		holding = 1;
	}
	/* One write per line, so lines from one process never interleave. */
	fputs(out, stderr);
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
