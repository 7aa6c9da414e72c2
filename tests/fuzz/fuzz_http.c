/* fuzz_http: libFuzzer harness for the HTTP request parser and its helpers
 * (lib/httpparse.c). The input is what one client sends on a connection: pipelined
 * request heads are parsed one after another, as the server does. Besides "no crash, no
 * over-read" (the input is copied to a buffer of exactly its size), it checks what the
 * server relies on: spans lie inside the input, a complete head parses the same on its
 * own and every shorter prefix is "incomplete" or "malformed", decoded paths and query
 * values stay within their documented buffer sizes, Range answers stay inside the file. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "httpparse.h"

static void span_inside(struct http_span s, const char *buf, size_t len)
{
	if (!s.p)
		return;
	/* "/" for an absolute-form target without a path is a constant, not the input */
	if (s.len == 1 && s.p[0] == '/' && !(s.p >= buf && s.p < buf + len))
		return;
	CHECK(s.p >= buf && s.len <= len && s.p - buf <= (ptrdiff_t)(len - s.len));
}

static void helpers(const struct http_request *r, uint64_t size)
{
	static char out[2 * HTTP_MAX_TARGET + 2];
	struct http_param p[HTTP_MAX_PARAMS];
	uint64_t a = 0, b = 0;
	int n;

	n = httpparse_decode(r->path.p, r->path.len, out, sizeof(out));
	CHECK(n < 0 ||
	      ((size_t)n <= r->path.len && out[n] == '\0' && !memchr(out, '\0', (size_t)n)));
	if (r->query.p) {
		/* 2 * len + 2 bytes always suffice (httpparse.h) */
		n = httpparse_query(r->query.p, r->query.len, p, HTTP_MAX_PARAMS, out,
				    2 * r->query.len + 2);
		CHECK(n >= -1 && n <= HTTP_MAX_PARAMS);
		for (int i = 0; i < n; i++)
			CHECK(p[i].key[0] && strlen(p[i].key) <= r->query.len &&
			      strlen(p[i].value) <= r->query.len);
	}
	if (r->if_modified_since.p) {
		int64_t t;
		if (!httpparse_date(r->if_modified_since.p, r->if_modified_since.len, &t))
			CHECK(t >= 0 && t < (int64_t)10000 * 366 * 86400);
	}
	if (r->if_none_match.p)
		(void)httpparse_etag_listed(r->if_none_match.p, r->if_none_match.len, "\"6-1\"");
	if (r->if_range.p) {
		int64_t t;
		(void)httpparse_date(r->if_range.p, r->if_range.len, &t);
	}
	n = httpparse_range(r->range.p, r->range.len, size, &a, &b);
	CHECK(n >= -1 && n <= 1);
	if (n == 1)
		CHECK(a <= b && b < size);
	if (n == -1)
		CHECK(r->range.p != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	size_t off = 0;
	int rounds = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	while (off < size && rounds++ < 64) {
		struct http_request r, again;
		int n = httpparse_request(buf + off, size - off, &r);
		CHECK(n >= -2 && n <= (int)(size - off) && n != 0);
		if (n == -1)
			CHECK(r.status == 400 || r.status == 414 || r.status == 431 ||
			      r.status == 501 || r.status == 505);
		if (n < 0)
			break;
		CHECK(r.path.p && r.path.len >= 1 &&
		      (r.path.p[0] == '/' ||
		       (r.method == HTTP_METHOD_OPTIONS && r.path.len == 1 && r.path.p[0] == '*')));
		CHECK(r.minor <= 9);
		CHECK(r.method_raw.len >= 1 && r.method_raw.len <= HTTP_MAX_METHOD);
		CHECK(r.path.len <= HTTP_MAX_TARGET && r.n_headers <= HTTP_MAX_HEADERS);
		span_inside(r.method_raw, buf + off, (size_t)n);
		span_inside(r.path, buf + off, (size_t)n);
		span_inside(r.query, buf + off, (size_t)n);
		span_inside(r.host, buf + off, (size_t)n);
		span_inside(r.range, buf + off, (size_t)n);
		/* the head alone is complete, and the same; one byte less is never a request */
		CHECK(httpparse_request(buf + off, (size_t)n, &again) == n);
		CHECK(again.keep_alive == r.keep_alive && again.method == r.method);
		CHECK(httpparse_request(buf + off, (size_t)n - 1, &again) < 0);
		helpers(&r, size >= 8 ? (uint64_t)data[size - 1] << 16 |
						(uint64_t)data[size - 2] << 8 | data[size - 3]
				      : size);
		off += (size_t)n;
	}
	free(buf);
	return 0;
}
