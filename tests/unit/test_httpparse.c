/* test_httpparse: the HTTP request parser, query and path decoding, Range values.
 * Every input is placed so that it ends right before a PROT_NONE page, and every
 * truncated prefix is parsed too: an over-read by one byte crashes at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpparse.h"
#include "test.h"
#include "testdata.h"

static struct http_request req;
static struct guarded cur; /* the last full input: req's spans point into it */

/* Parse text guarded; also check that each shorter prefix is "incomplete" (-2), or,
 * for inputs that are bad, that no prefix claims more bytes than it has. */
static int parse(const char *text, size_t len, bool expect_ok)
{
	struct guarded g;
	int rc, full, bad_prefix = 0;
	char what[40];
	size_t k;

	if (cur.map)
		guard_free(&cur);
	if (guard_copy(&cur, (const uint8_t *)text, len))
		return -4;
	full = httpparse_request((const char *)cur.p, len, &req);
	for (size_t n = 0; n < len; n++) {
		struct http_request r;
		if (guard_copy(&g, (const uint8_t *)text, n))
			return -4;
		rc = httpparse_request((const char *)g.p, n, &r);
		guard_free(&g);
		/* a good request: -2 until its head is complete, then the same length;
		 * a bad one: never more bytes than it has */
		if (expect_ok ? rc != ((int)n < full ? -2 : full)
			      : (rc > (int)n || rc == 0 || rc < -2))
			bad_prefix++;
	}
	for (k = 0; k < len && k < sizeof(what) - 1; k++)
		what[k] = text[k] >= 0x20 && text[k] < 0x7f ? text[k] : '.';
	what[k] = '\0';
	ok(bad_prefix == 0, "every prefix of \"%s\" (%zu bytes) consistent (%d bad)", what, len,
	   bad_prefix);
	return full;
}

#define P(s)   parse(s, sizeof(s) - 1, true)
#define BAD(s) parse(s, sizeof(s) - 1, false)

static bool span_is(struct http_span s, const char *want)
{
	return s.p && s.len == strlen(want) && !memcmp(s.p, want, s.len);
}

static void requests(void)
{
	int rc;

	rc = P("GET /boot.ipxe?mac=52%3A54%3A00%3A12%3A34%3A56&uuid= HTTP/1.1\r\nHost: "
	       "198.51.100.1\r\n"
	       "User-Agent: iPXE/1.21.1+ (g4bd064de)\r\nConnection: keep-alive\r\n\r\n");
	ok(rc > 0 && (size_t)rc ==
			     cur.maplen - (size_t)(cur.p - cur.map) - (size_t)sysconf(_SC_PAGESIZE),
	   "iPXE request parsed whole: %d", rc);
	ok(req.method == HTTP_METHOD_GET && span_is(req.method_raw, "GET"), "method GET");
	ok(span_is(req.path, "/boot.ipxe"), "path");
	ok(span_is(req.query, "mac=52%3A54%3A00%3A12%3A34%3A56&uuid="), "query kept raw");
	ok(req.minor == 1 && req.keep_alive && !req.has_body, "HTTP/1.1, keep-alive");
	ok(span_is(req.host, "198.51.100.1") && req.n_headers == 3, "host, header count");

	rc = P("HEAD /snponly.efi HTTP/1.1\r\nHost: x\r\nRange: bytes=0-99\r\nConnection: "
	       "close\r\n\r\nGET");
	ok(rc > 0 && req.method == HTTP_METHOD_HEAD, "HEAD parsed, pipelined bytes left: %d", rc);
	ok(!req.keep_alive && span_is(req.range, "bytes=0-99") && !req.query.p,
	   "close, range, no query");

	rc = P("GET / HTTP/1.0\r\n\r\n");
	ok(rc == 18 && req.minor == 0 && !req.keep_alive && !req.host.p,
	   "HTTP/1.0 without Host: closes");
	rc = P("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
	ok(rc > 0 && req.keep_alive, "HTTP/1.0 keep-alive");
	rc = P("GET / HTTP/1.1\nHost: a\n\n");
	ok(rc == 24 && req.keep_alive, "bare LF line ends accepted (RFC 9112 2.2)");
	rc = P("\r\n\r\nGET /a HTTP/1.1\r\nHost: a\r\n\r\n");
	ok(rc == 32 && span_is(req.path, "/a"), "leading empty lines skipped and counted");
	rc = P("GET http://198.51.100.1:8080/x.ipxe?a=b HTTP/1.1\r\nHost: y\r\n\r\n");
	ok(rc > 0 && span_is(req.path, "/x.ipxe") && span_is(req.query, "a=b"), "absolute-form");
	rc = P("GET http://h?q=1 HTTP/1.1\r\nHost: y\r\n\r\n");
	ok(rc > 0 && span_is(req.path, "/") && span_is(req.query, "q=1"),
	   "absolute-form without path");
	rc = P("GET /a?%zz HTTP/1.1\r\nHost: y\r\nX-Empty:\r\nX-Tab:\tv \t\r\n\r\n");
	ok(rc > 0 && req.n_headers == 3,
	   "bad escapes are the query decoder's business; empty values fine");
	rc = P("POST /x HTTP/1.1\r\nHost: y\r\nContent-Length: 5\r\n\r\n");
	ok(rc > 0 && req.method == HTTP_METHOD_OTHER && req.has_body,
	   "POST: parsed, 405 is the server's");
	rc = P("GET /x HTTP/1.1\r\nHost: y\r\nTransfer-Encoding: chunked\r\n\r\n");
	ok(rc > 0 && req.has_body, "Transfer-Encoding marks a body");
	rc = P("GET /x HTTP/1.1\r\nHost: y\r\nContent-Length: 0\r\n\r\n");
	ok(rc > 0 && !req.has_body, "Content-Length 0: no body");
	rc = P("GET /x HTTP/1.1\r\nHost: y\r\nRange: bytes=1-2\r\nRange: bytes=3-4\r\n\r\n");
	ok(rc > 0 && !req.range.p, "two Range headers: ignored");
	rc = P("GET /x HTTP/1.1\r\nhOsT: y\r\nIf-Modified-Since: Sat, 29 Oct 1994 19:43:31 "
	       "GMT\r\n\r\n");
	ok(rc > 0 && span_is(req.host, "y") &&
		   span_is(req.if_modified_since, "Sat, 29 Oct 1994 19:43:31 GMT"),
	   "names case-insensitive");
	rc = P("GET /x HTTP/1.1\r\nHost: y\r\nX: \x80\xff obs-text\r\n\r\n");
	ok(rc > 0, "obs-text in a value");
	rc = P("GET /x HTTP/1.9\r\nHost: y\r\n\r\n");
	ok(rc > 0 && req.minor == 9 && req.keep_alive, "HTTP/1.9 is an HTTP/1.x");

	/* malformed: each with the status due */
	struct {
		const char *text;
		int status;
		const char *what;
	} bad[] = {
		{ "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "HTTP/2 over plain text" },
		{ "GET / HTTP/1.1\r\n\r\n", 400, "1.1 without Host" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "two Host" },
		{ "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "space before colon" },
		{ "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400, "obs-fold" },
		{ "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400, "bare CR" },
		{ "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400, "control byte in a value" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", 400,
		  "Content-Length list" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
		  400, "two lengths" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400,
		  "negative length" },
		{ "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "two spaces" },
		{ "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400, "space in target" },
		{ "GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400, "DEL in target" },
		{ "GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400, "raw UTF-8 in target" },
		{ "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400, "asterisk-form for GET" },
		{ "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", 400, "absolute-form without host" },
		{ "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400, "junk after version" },
		{ "GET / HTTQ/1.1\r\n", 400, "not HTTP" },
		{ "GET /\r\n\r\n", 400, "HTTP/0.9" },
		{ " GET / HTTP/1.1\r\n", 400, "leading space" },
		{ "G(T / HTTP/1.1\r\n", 400, "bad method byte" },
		{ "VERYLONGMETHODNAMEHERE / HTTP/1.1\r\n", 501, "method over 16 bytes" },
		{ "GET / HTTP/1.1\r\n: v\r\n\r\n", 400, "empty field name" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nX\r\n\r\n", 400, "field without colon" },
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		rc = parse(bad[k].text, strlen(bad[k].text), false);
		ok(rc == -1 && req.status == bad[k].status, "%s: %d %d", bad[k].what, rc,
		   req.status);
	}
	/* NUL inside a value (length-counted input) */
	rc = parse("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 29, false);
	ok(rc == -1 && req.status == 400, "NUL in a value: %d", rc);
}

static void caps(void)
{
	static char big[3 * HTTP_MAX_HEAD];
	size_t n;
	int rc;

	/* target over its cap: 414, as soon as the cap is passed */
	n = (size_t)snprintf(big, sizeof(big), "GET /");
	memset(big + n, 'a', HTTP_MAX_TARGET + 10);
	n += HTTP_MAX_TARGET + 10;
	rc = httpparse_request(big, n, &req);
	ok(rc == -1 && req.status == 414, "long target: 414 (%d %d)", rc, req.status);
	n = (size_t)snprintf(big, sizeof(big), "GET /");
	memset(big + n, 'a', HTTP_MAX_TARGET - 1);
	n += HTTP_MAX_TARGET - 1;
	n += (size_t)snprintf(big + n, sizeof(big) - n, " HTTP/1.1\r\nHost: a\r\n\r\n");
	rc = httpparse_request(big, n, &req);
	ok(rc == (int)n && req.path.len == HTTP_MAX_TARGET, "target of exactly the cap: %d", rc);

	/* head over its cap: 431 once HTTP_MAX_HEAD bytes hold no end */
	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ");
	memset(big + n, 'b', HTTP_MAX_HEAD);
	n += HTTP_MAX_HEAD;
	rc = httpparse_request(big, HTTP_MAX_HEAD - 1, &req);
	ok(rc == -2, "just under the cap: still incomplete");
	rc = httpparse_request(big, n, &req);
	ok(rc == -1 && req.status == 431, "header block over the cap: 431 (%d %d)", rc, req.status);

	/* too many fields */
	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int k = 0; k < HTTP_MAX_HEADERS; k++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "X-%d: v\r\n", k);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n");
	rc = httpparse_request(big, n, &req);
	ok(rc == -1 && req.status == 431, "%d fields: 431", HTTP_MAX_HEADERS + 1);

	/* a flood of empty lines is bounded too */
	for (n = 0; n + 2 <= 2 * HTTP_MAX_HEAD; n += 2)
		memcpy(big + n, "\r\n", 2);
	rc = httpparse_request(big, n, &req);
	ok(rc < 0, "only empty lines: never a request (%d)", rc);
}

static void decoding(void)
{
	char out[64], buf[256];
	struct http_param p[HTTP_MAX_PARAMS];
	int n;

	ok(httpparse_decode("a%3Ab%3ac+d", 11, out, sizeof(out)) == 7 && !strcmp(out, "a:b:c+d"),
	   "percent-decoding, '+' stays '+': %s", out);
	ok(httpparse_decode("%", 1, out, sizeof(out)) == -1, "lone %%");
	ok(httpparse_decode("%4", 2, out, sizeof(out)) == -1, "short escape");
	ok(httpparse_decode("%4g", 3, out, sizeof(out)) == -1, "bad hex");
	ok(httpparse_decode("a%00b", 5, out, sizeof(out)) == -1, "%%00 refused");
	ok(httpparse_decode("a\0b", 3, out, sizeof(out)) == -1, "raw NUL refused");
	ok(httpparse_decode("abcd", 4, out, 4) == -1 && httpparse_decode("abc", 3, out, 4) == 3,
	   "output cap counts the NUL");
	ok(httpparse_decode("", 0, out, 1) == 0 && out[0] == '\0', "empty");

	const char *q = "mac=52%3A54%3A00%3A12%3A34%3A56&uuid=&&flag&serial=A+B%20C&";
	n = httpparse_query(q, strlen(q), p, HTTP_MAX_PARAMS, buf, sizeof(buf));
	ok(n == 4, "4 pairs: %d", n);
	ok(n == 4 && !strcmp(p[0].key, "mac") && !strcmp(p[0].value, "52:54:00:12:34:56"),
	   "mac decoded");
	ok(n == 4 && !strcmp(p[1].key, "uuid") && !strcmp(p[1].value, ""), "empty value");
	ok(n == 4 && !strcmp(p[2].key, "flag") && !strcmp(p[2].value, ""), "key without =");
	ok(n == 4 && !strcmp(p[3].value, "A+B C"), "+ kept, %%20 a space");
	ok(httpparse_query("=x", 2, p, 4, buf, sizeof(buf)) == -1, "empty key");
	ok(httpparse_query("a=%zz", 5, p, 4, buf, sizeof(buf)) == -1, "bad escape in a value");
	ok(httpparse_query("a=1&b=2&c=3", 11, p, 2, buf, sizeof(buf)) == -1,
	   "more pairs than room");
	ok(httpparse_query("abc=def", 7, p, 2, buf, 6) == -1, "buffer too small");
	ok(httpparse_query("", 0, p, 2, buf, sizeof(buf)) == 0, "empty query");

	/* every prefix of a query, guarded: never reads past its length */
	struct guarded g;
	int fails = 0;
	for (size_t k = 0; k <= strlen(q); k++) {
		if (guard_copy(&g, (const uint8_t *)q, k))
			break;
		n = httpparse_query((const char *)g.p, k, p, HTTP_MAX_PARAMS, buf, sizeof(buf));
		if (n < -1 || n > 4)
			fails++;
		guard_free(&g);
	}
	ok(fails == 0, "query prefixes guarded");
}

/* Methods (RFC 9110 9.1: 501 for one we do not know, 405 for one we refuse), OPTIONS *,
 * and the conditional headers' values. */
static void conditionals(void)
{
	int64_t t = -1;
	int rc;

	rc = P("BREW /x HTTP/1.1\r\nHost: y\r\n\r\n");
	ok(rc > 0 && req.method == HTTP_METHOD_UNKNOWN, "BREW: an unknown method (501)");
	rc = P("DELETE /x HTTP/1.1\r\nHost: y\r\n\r\n");
	ok(rc > 0 && req.method == HTTP_METHOD_OTHER, "DELETE: a defined method we refuse (405)");
	rc = P("OPTIONS * HTTP/1.1\r\nHost: y\r\n\r\n");
	ok(rc > 0 && req.method == HTTP_METHOD_OPTIONS && span_is(req.path, "*"),
	   "OPTIONS *: asterisk-form accepted");
	rc = BAD("GET * HTTP/1.1\r\nHost: y\r\n\r\n");
	ok(rc == -1 && req.status == 400, "GET *: 400 (asterisk-form is OPTIONS only)");
	rc = P("GET /x HTTP/1.1\r\nHost: y\r\nIf-None-Match: \"a\"\r\nIf-Range: \"b\"\r\n"
	       "If-Modified-Since: x\r\n\r\n");
	ok(rc > 0 && span_is(req.if_none_match, "\"a\"") && span_is(req.if_range, "\"b\"") &&
		   span_is(req.if_modified_since, "x"),
	   "the conditional headers are kept");
	ok(httpparse_date("Sun, 06 Nov 1994 08:49:37 GMT", 29, &t) == 0 && t == 784111777,
	   "IMF-fixdate: RFC 9110's example is 784111777 (%lld)", (long long)t);
	ok(httpparse_date("Thu, 01 Jan 1970 00:00:00 GMT", 29, &t) == 0 && t == 0, "the epoch");
	ok(httpparse_date("Tue, 29 Feb 2028 23:59:59 GMT", 29, &t) == 0 && t == 1835481599,
	   "a leap day (%lld)", (long long)t);
	ok(httpparse_date("Thu, 29 Feb 2027 00:00:00 GMT", 29, &t) == -1 &&
		   httpparse_date("Sunday, 06-Nov-94 08:49:37 GMT", 30, &t) == -1 &&
		   httpparse_date("Sun, 06 Nov 1994 08:49:37 UTC", 29, &t) == -1 &&
		   httpparse_date("Sun, 06 Xyz 1994 08:49:37 GMT", 29, &t) == -1 &&
		   httpparse_date("Sun, 06 Nov 1994 24:49:37 GMT", 29, &t) == -1 &&
		   httpparse_date("Sun, 06 Nov 1994 08:49:37 GM", 28, &t) == -1,
	   "not a date: no leap day, obsolete forms, other zones, bad month or hour, cut");
	for (size_t n = 0; n < 29; n++)
		ok(httpparse_date("Sun, 06 Nov 1994 08:49:37 GMT", n, &t) == -1 || n == 29,
		   "date cut to %zu bytes: refused", n);
	ok(httpparse_etag_listed("\"a\", W/\"6-1\"", 13, "\"6-1\"") &&
		   httpparse_etag_listed("*", 1, "\"6-1\"") &&
		   httpparse_etag_listed("\"6-1\"", 5, "\"6-1\""),
	   "If-None-Match: listed, weak, *");
	ok(!httpparse_etag_listed("\"6-2\"", 5, "\"6-1\"") &&
		   !httpparse_etag_listed("\"6-1", 4, "\"6-1\"") &&
		   !httpparse_etag_listed("6-1", 3, "\"6-1\"") &&
		   !httpparse_etag_listed("\"a\" x \"6-1\"", 13, "\"6-1\"") &&
		   !httpparse_etag_listed("", 0, "\"6-1\""),
	   "If-None-Match: other tags, unterminated, unquoted, junk, empty never match");
}

static void ranges(void)
{
	uint64_t a = 99, b = 99;
	struct {
		const char *v;
		uint64_t size;
		int rc;
		uint64_t a, b;
	} t[] = {
		{ "bytes=0-99", 1000, 1, 0, 99 },
		{ "bytes=0-", 1000, 1, 0, 999 },
		{ "bytes=500-2000", 1000, 1, 500, 999 },
		{ "bytes=-100", 1000, 1, 900, 999 },
		{ "bytes=-5000", 1000, 1, 0, 999 },
		{ "bytes=999-999", 1000, 1, 999, 999 },
		{ "BYTES=1-2", 1000, 1, 1, 2 },
		{ "bytes=1000-", 1000, -1, 0, 0 },
		{ "bytes=-0", 1000, -1, 0, 0 },
		{ "bytes=0-0", 0, -1, 0, 0 },
		{ "bytes=-1", 0, -1, 0, 0 },
		{ "bytes=5-1", 1000, 0, 0, 0 },
		{ "bytes=0-1,5-6", 1000, 0, 0, 0 },
		{ "bytes=", 1000, 0, 0, 0 },
		{ "bytes=-", 1000, 0, 0, 0 },
		{ "items=0-1", 1000, 0, 0, 0 },
		{ "bytes=x-1", 1000, 0, 0, 0 },
		{ "bytes=99999999999999999999-", 1000, 0, 0, 0 },
		{ "bytes=18446744073709551615-", 1000, 0, 0, 0 },
	};

	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		int rc = httpparse_range(t[k].v, strlen(t[k].v), t[k].size, &a, &b);
		ok(rc == t[k].rc && (rc != 1 || (a == t[k].a && b == t[k].b)),
		   "Range %s of %llu: %d %llu-%llu", t[k].v, (unsigned long long)t[k].size, rc,
		   (unsigned long long)a, (unsigned long long)b);
	}
	ok(httpparse_range(NULL, 0, 10, &a, &b) == 0, "no Range");
}

int main(void)
{
	requests();
	caps();
	decoding();
	ranges();
	conditionals();
	if (cur.map)
		guard_free(&cur);
	ok(httpparse_lceq("Host", 4, "host") && !httpparse_lceq("Hos", 3, "host") &&
		   !httpparse_lceq("Hostx", 5, "host"),
	   "lceq compares whole words");
	return test_done();
}
