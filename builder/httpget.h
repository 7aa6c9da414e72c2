/* httpget: a small HTTP/1.1 GET client (http:// URLs only) for `chainboot status`. */
#ifndef CB_HTTPGET_H
#define CB_HTTPGET_H

#include <stddef.h>

#include "diag.h"

#define HTTPGET_MAX (16u << 20) /* bytes of an answer */

/* GET url (http://HOST[:PORT][/PATH]), with "Authorization: Bearer token" unless token
 * is NULL, within timeout_ms. On 0: *status, and *body (malloc'd, NUL-terminated,
 * *len bytes without the NUL). -errno otherwise, with d naming the URL and the cause. */
int httpget(const char *url, const char *token, unsigned timeout_ms, int *status, char **body,
	    size_t *len, struct diag *d);

#endif
