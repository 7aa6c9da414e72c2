/* httpparse: HTTP/1.1 request heads (RFC 9112), query strings, percent-decoding and
 * Range headers (RFC 9110 14) — pure functions over bytes + length, no I/O. */
#ifndef CB_HTTPPARSE_H
#define CB_HTTPPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Caps on what a client may send (OpenBSD httpd style: bounded memory under attack).
 * iPXE's longest request (every fact, URL-encoded) stays under 1.5 KiB. */
#define HTTP_MAX_HEAD	 8192 /* request line + header fields, bytes: 431 beyond */
#define HTTP_MAX_TARGET	 4096 /* request-target, bytes: 414 beyond */
#define HTTP_MAX_HEADERS 64   /* header fields: 431 beyond */
#define HTTP_MAX_METHOD	 16   /* method token, bytes: 501 beyond */
#define HTTP_MAX_PARAMS	 32   /* query parameters: 400 beyond */

enum http_method {
	HTTP_METHOD_OTHER = 0, /* a method RFC 9110 defines that we do not serve: 405 */
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_OPTIONS, /* "OPTIONS *" or a path: 200 with Allow */
	HTTP_METHOD_UNKNOWN, /* a valid token no RFC defines: 501 (RFC 9110 9.1) */
};

/* A piece of the caller's buffer: not NUL-terminated. p is NULL when absent. */
struct http_span {
	const char *p;
	size_t len;
};

struct http_request {
	enum http_method method;
	struct http_span method_raw; /* as sent, for the log */
	struct http_span path;	     /* origin-form path, still percent-encoded, starts with '/' */
	struct http_span query;	     /* after '?' (without it); p NULL when there is no '?' */
	unsigned minor;		     /* HTTP/1.<minor>: 0 or 1 */
	bool keep_alive;	     /* the connection may carry another request */
	bool has_body;		     /* Content-Length > 0 or Transfer-Encoding: refused (400) */
	struct http_span host;
	struct http_span range; /* p NULL when absent or sent more than once */
	struct http_span if_modified_since;
	struct http_span if_none_match;
	struct http_span if_range;
	unsigned n_headers;
	int status;	 /* after -1: the status to answer (400, 414, 431, 501 or 505) */
	const char *why; /* after -1: a log word for it ("obs-fold", "bad-version", ...) */
};

/* Parse one request head from buf[0..len). Returns the bytes it takes (request line,
 * header fields and the empty line; leading empty lines included, RFC 9112 2.2), -2
 * when more bytes are needed, or -1 when it is malformed or over a cap (req->status
 * says which answer is due; the connection must then be closed). Looks at no more
 * than HTTP_MAX_HEAD bytes (plus leading empty lines); spans point into buf. */
int httpparse_request(const char *buf, size_t len, struct http_request *req);

/* An IMF-fixdate (RFC 9110 5.6.7, "Sun, 06 Nov 1994 08:49:37 GMT"; the obsolete forms
 * are not accepted: a date that does not parse makes the condition false). Returns 0
 * with *t set, or -1. */
int httpparse_date(const char *v, size_t len, int64_t *t);

/* Does an If-None-Match value (a list of entity-tags, or "*") match etag (a strong tag
 * with its quotes)? Weak comparison (RFC 9110 13.1.2): W/ is ignored. Returns true or
 * false; a malformed list never matches. */
bool httpparse_etag_listed(const char *v, size_t len, const char *etag);

/* Strict percent-decoding: '%' must be followed by two hex digits, "%00" is refused
 * (the result is used as a C string), '+' stays '+' (no form rules: iPXE's :uristring
 * leaves '+' unencoded). Writes the bytes and a NUL to out (cap counts the NUL).
 * Returns the decoded length, or -1 (malformed or does not fit). */
int httpparse_decode(const char *in, size_t len, char *out, size_t cap);

struct http_param {
	const char *key;   /* decoded, NUL-terminated, in the caller's buf */
	const char *value; /* "" for "key" without '=' */
};

/* Split a raw query (without '?') at '&' into key=value pairs, each decoded as by
 * httpparse_decode(); empty pieces ("a=1&&b=2") are skipped. The strings go to buf
 * (2 * len + 2 bytes always suffice). Returns the number of pairs, or -1 (malformed:
 * a bad escape, an empty key, more than max pairs, or buf too small). */
int httpparse_query(const char *q, size_t len, struct http_param *params, size_t max, char *buf,
		    size_t cap);

/* One Range header value against a representation of size bytes. Returns 1 with
 * [*first, *last] set for a single satisfiable byte range (last clamped to size-1),
 * 0 when the header is to be ignored (not "bytes=", several ranges, malformed:
 * RFC 9110 14.2 allows serving the whole file), -1 when unsatisfiable (416). */
int httpparse_range(const char *v, size_t len, uint64_t size, uint64_t *first, uint64_t *last);

/* Case-insensitive comparison of n bytes of a with the lower-case ASCII string b. */
bool httpparse_lceq(const char *a, size_t n, const char *b);

#endif
