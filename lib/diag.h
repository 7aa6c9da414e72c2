/* diag: one error message carried from where it is found to the edge that prints it. */
#ifndef CB_DIAG_H
#define CB_DIAG_H

#include <stddef.h>

/* Functions return 0 or -errno and, on failure, fill a diag with the one line a
 * user needs: which file/field/value was wrong and what to do about it. Only the
 * outermost caller (the CLI) prints it. */
struct diag {
	char msg[4096];
};

/* Set the message (printf-style); returns rc so callers can `return diag_set(d, -EINVAL, ...)`.
 * d may be NULL. The first message set wins: later calls do not overwrite it. */
int diag_set(struct diag *d, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefix an existing message with context ("building x.iso: ..."); keeps rc. */
int diag_prefix(struct diag *d, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Append one more line (used where every error should be shown, e.g. check-config). */
int diag_add(struct diag *d, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

void diag_clear(struct diag *d);

#if defined(__clang_analyzer__) && !defined(CB_DIAG_IMPL)
/* For `make lint` only: clang-tidy's analyzer sees one file at a time and would take
 * `return diag_set(d, -EINVAL, ...)` for a call that may return 0, and -errno for a
 * value that may be 0. Tell it what they return: rc, which is negative (-errno). */
#include <errno.h>
#define DIAG_RC_(fn, d, rc, ...)         \
	({                               \
		int rc_ = (rc);          \
		fn(d, rc_, __VA_ARGS__); \
		rc_ < 0 ? rc_ : -EIO;    \
	})
#define diag_set(d, rc, ...)	DIAG_RC_(diag_set, d, rc, __VA_ARGS__)
#define diag_prefix(d, rc, ...) DIAG_RC_(diag_prefix, d, rc, __VA_ARGS__)
#define diag_add(d, rc, ...)	DIAG_RC_(diag_add, d, rc, __VA_ARGS__)
#endif

#endif
