/* log: one line per event, key=value, on stderr (journald-friendly). */
#ifndef CB_LOG_H
#define CB_LOG_H

#include <stdarg.h>

/* log_event("tftp", "client=%s file=%s status=%s bytes=%zu", ...): prints
 * "event=tftp client=... file=..." with a timestamp unless stderr is the journal.
 * Values that may contain spaces or quotes must go through log_quote() first. */
void log_event(const char *event, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Quote a value for a key=value line: bare if it is plain, else "..." with \" \\ and
 * \xNN for control bytes; always NUL-terminated, truncated with "…" if it does not fit. */
const char *log_quote(const char *in, char *buf, unsigned bufsz);

/* log_hold(): keep the following lines in memory; log_release() writes them in one
 * write (and stops holding). A busy event loop holds while it handles one batch of
 * events and releases before it waits again: one write for many lines instead of one
 * each. Lines stay whole and in order; a line that does not fit goes out at once. */
void log_hold(void);
void log_release(void);

/* "text" (key=value, the default) or "json": each line one JSON object with the same
 * fields in the same order ("ts" when not under the journal, "event", then the keys;
 * plain decimal numbers as integers, every other value a string). -EINVAL otherwise. */
int log_set_format(const char *name);

/* Lower the minimum: log_set_quiet(1) drops "debug" events (event names ending in ".debug"). */
void log_set_quiet(int quiet);

#endif
