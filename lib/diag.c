/* diag: one error message carried from where it is found to the edge that prints it. */
#define CB_DIAG_IMPL /* the functions themselves, not diag.h's analyzer view */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int diag_set(struct diag *d, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!d || d->msg[0])
		return rc;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	return rc;
}

int diag_prefix(struct diag *d, int rc, const char *fmt, ...)
{
	char head[512], old[sizeof(d->msg)];
	va_list ap;

	if (!d)
		return rc;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, d->msg, sizeof(old));
	snprintf(d->msg, sizeof(d->msg), "%s: %s", head, old);
	return rc;
}

int diag_add(struct diag *d, int rc, const char *fmt, ...)
{
	size_t used;
	va_list ap;

	if (!d)
		return rc;
	used = strlen(d->msg);
	if (used && used < sizeof(d->msg) - 1)
		d->msg[used++] = '\n';
	if (used >= sizeof(d->msg) - 1)
		return rc;
	va_start(ap, fmt);
	vsnprintf(d->msg + used, sizeof(d->msg) - used, fmt, ap);
	va_end(ap);
	return rc;
}

void diag_clear(struct diag *d)
{
	if (d)
		d->msg[0] = '\0';
}
