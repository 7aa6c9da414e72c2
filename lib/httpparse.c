/* httpparse: parse HTTP/1.1 request heads, query strings and Range values.
 *
 * Every input here is untrusted: bytes straight from a TCP client. All functions are
 * pure (bytes + length in, result out), read nothing past the length they are given,
 * never run str* functions on the input, and stop at the caps in httpparse.h. They are
 * unit-tested on every truncated prefix placed before a PROT_NONE page and fuzzed
 * (tests/fuzz/fuzz_http.c).
 *
 * Grammar followed (RFC 9112 3, 5; RFC 9110 5.6): method SP request-target SP
 * HTTP-version CRLF, then field-name ":" OWS field-value OWS CRLF lines, then CRLF.
 * Strict where leniency has led to request smuggling (whitespace before ':', obs-fold,
 * bare CR, two Content-Lengths), lenient where RFC 9112 allows it (bare LF line ends,
 * empty lines before the request line).
 */
#include "httpparse.h"

#include <string.h>

#include "hex.h"

/* RFC 9110 5.6.2 tchar. */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	switch (c) {
	case '!':
	case '#':
	case '$':
	case '%':
	case '&':
	case '\'':
	case '*':
	case '+':
	case '-':
	case '.':
	case '^':
	case '_':
	case '`':
	case '|':
	case '~':
		return true;
	default:
		return false;
	}
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

bool httpparse_lceq(const char *a, size_t n, const char *b)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!b[i] || lower((unsigned char)a[i]) != (unsigned char)b[i])
			return false;
	return b[i] == '\0';
}

static int fail(struct http_request *r, int status, const char *why)
{
	r->status = status;
	r->why = why;
	return -1;
}

/* A line end at buf[i]: LF, or CR LF. Returns its length (1 or 2), 0 when buf[i] is
 * not a line end, -2 when a CR is the last byte we have, -1 for a bare CR. */
static int eol(const char *buf, size_t i, size_t len)
{
	if (buf[i] == '\n')
		return 1;
	if (buf[i] != '\r')
		return 0;
	if (len - i < 2)
		return -2;
	return buf[i + 1] == '\n' ? 2 : -1;
}

/* Comma-separated tokens of a Connection value (RFC 9110 7.6.1). */
static void connection_tokens(const char *v, size_t n, bool *close, bool *keep)
{
	size_t i = 0;

	while (i < n) {
		size_t s, e;
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (httpparse_lceq(v + s, e - s, "close"))
			*close = true;
		else if (httpparse_lceq(v + s, e - s, "keep-alive"))
			*keep = true;
	}
}

/* Content-Length: digits only; a list ("5, 5") is refused rather than guessed at. */
static int content_length(const char *v, size_t n, bool *nonzero)
{
	size_t i;

	if (n == 0 || n > 19)
		return -1;
	*nonzero = false;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (v[i] != '0')
			*nonzero = true;
	}
	return 0;
}

/* The header fields we act on; the others are only counted. */
static int take_field(struct http_request *r, const char *name, size_t nlen, const char *v,
		      size_t vlen, bool *conn_close, bool *conn_keep, unsigned *hosts,
		      unsigned *lengths, unsigned *ranges)
{
	bool nonzero;

	switch (lower((unsigned char)name[0])) {
	case 'h':
		if (httpparse_lceq(name, nlen, "host")) {
			r->host.p = v;
			r->host.len = vlen;
			++*hosts;
		}
		break;
	case 'c':
		if (httpparse_lceq(name, nlen, "connection")) {
			connection_tokens(v, vlen, conn_close, conn_keep);
		} else if (httpparse_lceq(name, nlen, "content-length")) {
			if (content_length(v, vlen, &nonzero) || ++*lengths > 1)
				return -1;
			if (nonzero)
				r->has_body = true;
		}
		break;
	case 't':
		if (httpparse_lceq(name, nlen, "transfer-encoding"))
			r->has_body = true;
		break;
	case 'r':
		if (httpparse_lceq(name, nlen, "range")) {
			r->range.p = v;
			r->range.len = vlen;
			++*ranges;
		}
		break;
	case 'i':
		if (httpparse_lceq(name, nlen, "if-modified-since")) {
			r->if_modified_since.p = v;
			r->if_modified_since.len = vlen;
		} else if (httpparse_lceq(name, nlen, "if-none-match")) {
			r->if_none_match.p = v;
			r->if_none_match.len = vlen;
		} else if (httpparse_lceq(name, nlen, "if-range")) {
			r->if_range.p = v;
			r->if_range.len = vlen;
		}
		break;
	default:
		break;
	}
	return 0;
}

/* Split the request-target into path and query. Origin-form ("/p?q") is what clients
 * send; absolute-form ("http://host/p?q", RFC 9112 3.2.2) must be accepted too. */
static int split_target(struct http_request *r, const char *t, size_t n)
{
	size_t i = 0, q;

	if (n >= 7 && httpparse_lceq(t, 7, "http://")) {
		i = 7;
		while (i < n && t[i] != '/' && t[i] != '?')
			i++;
		if (i == 7)
			return -1; /* no authority */
		if (i == n || t[i] == '?') {
			/* "http://host" or "http://host?q": the path is "/" */
			r->path.p = "/";
			r->path.len = 1;
			if (i < n) {
				r->query.p = t + i + 1;
				r->query.len = n - i - 1;
			}
			return 0;
		}
	} else if (n == 0 || t[0] != '/') {
		return -1; /* "*" and authority-form belong to OPTIONS and CONNECT */
	}
	for (q = i; q < n && t[q] != '?'; q++)
		;
	r->path.p = t + i;
	r->path.len = q - i;
	if (q < n) {
		r->query.p = t + q + 1;
		r->query.len = n - q - 1;
	}
	return 0;
}

/* A head being parsed: buf[i] is the next byte; nothing at or past lim is looked at
 * (lim is len, or one head's worth past the start when more has arrived). */
struct head {
	const char *buf;
	size_t i, lim, len;
	bool conn_close, conn_keep;
	unsigned hosts, lengths, ranges;
};

/* The head stops at lim: incomplete if that is all we have, else too large. */
static int cut(const struct head *h, struct http_request *req)
{
	return h->lim == h->len ? -2 : fail(req, 431, "head-too-large");
}

/* The line end at h->i, which must be there; then past it. */
static int line_end(struct head *h, struct http_request *req)
{
	int e = eol(h->buf, h->i, h->lim);

	if (e == -2)
		return cut(h, req);
	if (e <= 0)
		return fail(req, 400, "bad-line-end");
	h->i += (size_t)e;
	return 0;
}

/* The methods RFC 9110 9.3 and RFC 5789 define that we do not serve: 405, not 501. */
static bool is_defined_method(const char *m, size_t n)
{
	static const char *const defined[] = {
		"POST", "PUT", "DELETE", "CONNECT", "TRACE", "PATCH"
	};

	for (size_t i = 0; i < sizeof(defined) / sizeof(defined[0]); i++)
		if (strlen(defined[i]) == n && !memcmp(m, defined[i], n))
			return true;
	return false;
}

/* method SP: a token; GET, HEAD and OPTIONS served, the other defined ones known. */
static int parse_method(struct head *h, struct http_request *req)
{
	const char *buf = h->buf;
	size_t start = h->i;

	while (h->i < h->lim && is_tchar((unsigned char)buf[h->i])) {
		if (h->i - start >= HTTP_MAX_METHOD)
			return fail(req, 501, "method-too-long");
		h->i++;
	}
	if (h->i == h->lim)
		return cut(h, req);
	if (buf[h->i] != ' ' || h->i == start)
		return fail(req, 400, "bad-request-line");
	req->method_raw.p = buf + start;
	req->method_raw.len = h->i - start;
	if (req->method_raw.len == 3 && !memcmp(buf + start, "GET", 3))
		req->method = HTTP_METHOD_GET; /* methods are case-sensitive (RFC 9110 9.1) */
	else if (req->method_raw.len == 4 && !memcmp(buf + start, "HEAD", 4))
		req->method = HTTP_METHOD_HEAD;
	else if (req->method_raw.len == 7 && !memcmp(buf + start, "OPTIONS", 7))
		req->method = HTTP_METHOD_OPTIONS;
	else if (is_defined_method(buf + start, req->method_raw.len))
		req->method = HTTP_METHOD_OTHER;
	else
		req->method = HTTP_METHOD_UNKNOWN;
	h->i++;
	return 0;
}

/* request-target SP: visible ASCII only; its length is capped before the head's. */
static int parse_target(struct head *h, struct http_request *req, size_t *tstart, size_t *tlen)
{
	*tstart = h->i;
	while (h->i < h->lim && h->buf[h->i] != ' ') {
		unsigned char c = (unsigned char)h->buf[h->i];
		if (c <= 0x20 || c >= 0x7f)
			return fail(req, 400, "bad-target-byte");
		if (h->i - *tstart >= HTTP_MAX_TARGET)
			return fail(req, 414, "uri-too-long");
		h->i++;
	}
	if (h->i == h->lim)
		return cut(h, req);
	*tlen = h->i - *tstart;
	if (*tlen == 0)
		return fail(req, 400, "empty-target");
	h->i++;
	return 0;
}

/* HTTP-version: "HTTP/" DIGIT "." DIGIT, then the line end. */
static int parse_version(struct head *h, struct http_request *req)
{
	const char *v = h->buf + h->i;

	if (h->lim - h->i < 8) {
		/* What we have must still be a prefix of a version. */
		static const char proto[] = "HTTP/";
		for (size_t k = 0; k < h->lim - h->i && k < 5; k++)
			if (v[k] != proto[k])
				return fail(req, 400, "bad-version");
		return cut(h, req);
	}
	if (memcmp(v, "HTTP/", 5) || v[5] < '0' || v[5] > '9' || v[6] != '.' || v[7] < '0' ||
	    v[7] > '9')
		return fail(req, 400, "bad-version");
	if (v[5] != '1')
		return fail(req, 505, "version-not-supported");
	req->minor = (unsigned)(v[7] - '0');
	h->i += 8;
	if (h->i == h->lim)
		return cut(h, req);
	return line_end(h, req);
}

/* A field value up to the line end; *ve excludes trailing whitespace. */
static int field_value(struct head *h, struct http_request *req, size_t *vs, size_t *ve)
{
	while (h->i < h->lim && (h->buf[h->i] == ' ' || h->buf[h->i] == '\t'))
		h->i++;
	*vs = h->i;
	for (;;) {
		unsigned char c;
		if (h->i == h->lim)
			return cut(h, req);
		c = (unsigned char)h->buf[h->i];
		if (c == '\r' || c == '\n')
			break;
		/* field-value: VCHAR, SP, HTAB, obs-text; no NUL or other controls */
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(req, 400, "control-byte-in-field");
		h->i++;
	}
	*ve = h->i;
	while (*ve > *vs && (h->buf[*ve - 1] == ' ' || h->buf[*ve - 1] == '\t'))
		--*ve;
	return line_end(h, req);
}

/* One header field line, or the empty line. Returns 1 at the end of the head, 0 for a
 * field, or the parser's -1 / -2. */
static int parse_field(struct head *h, struct http_request *req)
{
	const char *buf = h->buf;
	size_t ns, nlen, vs, ve;
	int e;

	if (h->i == h->lim)
		return cut(h, req);
	e = eol(buf, h->i, h->lim);
	if (e == -2)
		return cut(h, req);
	if (e == -1)
		return fail(req, 400, "bare-cr");
	if (e > 0) {
		h->i += (size_t)e;
		return 1; /* the empty line: end of the head */
	}
	/* obs-fold (a line starting with whitespace) is refused: RFC 9112 5.2 */
	if (buf[h->i] == ' ' || buf[h->i] == '\t')
		return fail(req, 400, "obs-fold");
	ns = h->i;
	while (h->i < h->lim && is_tchar((unsigned char)buf[h->i]))
		h->i++;
	if (h->i == h->lim)
		return cut(h, req);
	/* no whitespace between name and colon: RFC 9112 5.1 says reject */
	if (buf[h->i] != ':' || h->i == ns)
		return fail(req, 400, "bad-field-name");
	nlen = h->i - ns;
	h->i++;
	if ((e = field_value(h, req, &vs, &ve)))
		return e;
	if (++req->n_headers > HTTP_MAX_HEADERS)
		return fail(req, 431, "too-many-fields");
	if (take_field(req, buf + ns, nlen, buf + vs, ve - vs, &h->conn_close, &h->conn_keep,
		       &h->hosts, &h->lengths, &h->ranges))
		return fail(req, 400, "bad-field");
	return 0;
}

int httpparse_request(const char *buf, size_t len, struct http_request *req)
{
	struct head h = { .buf = buf, .len = len };
	size_t start, tstart = 0, tlen = 0;
	int e;

	memset(req, 0, sizeof(*req));
	/* RFC 9112 2.2: ignore empty lines before the request line (some clients send a
	 * CRLF after a request body). Bounded by the same cap as a head. */
	while (h.i < len && h.i < HTTP_MAX_HEAD) {
		e = eol(buf, h.i, len);
		if (e == -2)
			return -2;
		if (e <= 0)
			break;
		h.i += (size_t)e;
	}
	start = h.i;
	/* Never look further than one head's worth of bytes. */
	h.lim = len - start > HTTP_MAX_HEAD ? start + HTTP_MAX_HEAD : len;
	if (h.i >= h.lim)
		return len - start >= HTTP_MAX_HEAD ? fail(req, 431, "head-too-large") : -2;
	if ((e = parse_method(&h, req)) || (e = parse_target(&h, req, &tstart, &tlen)) ||
	    (e = parse_version(&h, req)))
		return e;
	/* "*" (asterisk-form) belongs to OPTIONS alone (RFC 9112 3.2.4). */
	if (tlen == 1 && buf[tstart] == '*' && req->method == HTTP_METHOD_OPTIONS) {
		req->path.p = buf + tstart;
		req->path.len = 1;
	} else if (split_target(req, buf + tstart, tlen)) {
		return fail(req, 400, "bad-target");
	}
	while (!(e = parse_field(&h, req)))
		;
	if (e < 0)
		return e;
	/* RFC 9112 3.2: a 1.1 request without exactly one Host is a 400. */
	if (h.hosts > 1 || (req->minor >= 1 && h.hosts == 0))
		return fail(req, 400, "host-missing-or-repeated");
	if (h.ranges > 1) {
		req->range.p = NULL; /* ambiguous: serve the whole file */
		req->range.len = 0;
	}
	/* RFC 9112 9.3: 1.1 stays open unless "close"; 1.0 only with "keep-alive". */
	req->keep_alive = req->minor >= 1 ? !h.conn_close : h.conn_keep && !h.conn_close;
	return (int)h.i;
}

int httpparse_date(const char *v, size_t len, int64_t *t)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int64_t y, mon, d, hh, mm, ss, yd = 0;
	const char *m;

	/* "Sun, 06 Nov 1994 08:49:37 GMT": exactly 29 bytes. */
	if (len != 29 || v[3] != ',' || v[4] != ' ' || v[7] != ' ' || v[11] != ' ' ||
	    v[16] != ' ' || v[19] != ':' || v[22] != ':' || v[25] != ' ' ||
	    memcmp(v + 26, "GMT", 3))
		return -1;
	for (size_t i = 0; i < 29; i++)
		if ((i == 5 || i == 6 || (i >= 12 && i <= 15) || i == 17 || i == 18 || i == 20 ||
		     i == 21 || i == 23 || i == 24) &&
		    (v[i] < '0' || v[i] > '9'))
			return -1;
	m = NULL;
	for (size_t i = 0; i + 3 <= sizeof(days) - 1; i += 3)
		if (!memcmp(v, days + i, 3))
			m = days + i;
	if (!m)
		return -1;
	m = NULL;
	for (size_t i = 0; i + 3 <= sizeof(months) - 1; i += 3)
		if (!memcmp(v + 8, months + i, 3))
			m = months + i;
	if (!m)
		return -1;
	mon = (m - months) / 3;
	d = (v[5] - '0') * 10 + (v[6] - '0');
	y = (v[12] - '0') * 1000 + (v[13] - '0') * 100 + (v[14] - '0') * 10 + (v[15] - '0');
	hh = (v[17] - '0') * 10 + (v[18] - '0');
	mm = (v[20] - '0') * 10 + (v[21] - '0');
	ss = (v[23] - '0') * 10 + (v[24] - '0');
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || d < 1 || d > mdays[mon] + (mon == 1 && leap) || hh > 23 || mm > 59 ||
	    ss > 60)
		return -1;
	for (int64_t k = 1970; k < y; k++)
		yd += ((k % 4 == 0 && k % 100 != 0) || k % 400 == 0) ? 366 : 365;
	for (int64_t k = 0; k < mon; k++)
		yd += mdays[k] + (k == 1 && leap);
	*t = ((yd + d - 1) * 24 + hh) * 3600 + mm * 60 + ss;
	return 0;
}

bool httpparse_etag_listed(const char *v, size_t len, const char *etag)
{
	size_t i = 0, elen = strlen(etag);

	while (i < len && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (len - i == 1 && v[i] == '*')
		return true;
	while (i < len) {
		size_t start;

		if (len - i >= 2 && v[i] == 'W' && v[i + 1] == '/')
			i += 2;
		if (i >= len || v[i] != '"')
			return false;
		start = i++;
		while (i < len && v[i] != '"')
			i++;
		if (i >= len)
			return false;
		i++;
		if (i - start == elen && !memcmp(v + start, etag, elen))
			return true;
		while (i < len && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i < len && v[i] != ',')
			return false;
		while (i < len && (v[i] == ',' || v[i] == ' ' || v[i] == '\t'))
			i++;
	}
	return false;
}

int httpparse_decode(const char *in, size_t len, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	if (cap == 0 || len > (size_t)INT32_MAX)
		return -1;
	while (i < len) {
		unsigned char c = (unsigned char)in[i];
		if (c == '%') {
			int h, l;
			if (len - i < 3)
				return -1;
			h = hex_digit((unsigned char)in[i + 1]);
			l = hex_digit((unsigned char)in[i + 2]);
			if (h < 0 || l < 0 || (h == 0 && l == 0))
				return -1;
			c = (unsigned char)(h << 4 | l);
			i += 3;
		} else {
			if (c == '\0')
				return -1;
			i++;
		}
		if (o >= cap - 1)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (int)o;
}

int httpparse_query(const char *q, size_t len, struct http_param *params, size_t max, char *buf,
		    size_t cap)
{
	size_t i = 0, used = 0, n = 0;

	while (i < len) {
		size_t s = i, eq, e;
		int kl, vl;

		while (i < len && q[i] != '&')
			i++;
		e = i;
		if (i < len)
			i++; /* the '&' */
		if (e == s)
			continue;
		for (eq = s; eq < e && q[eq] != '='; eq++)
			;
		if (eq == s || n >= max)
			return -1;
		kl = httpparse_decode(q + s, eq - s, buf + used, cap - used);
		if (kl < 0)
			return -1;
		params[n].key = buf + used;
		used += (size_t)kl + 1;
		if (used >= cap)
			return -1;
		vl = httpparse_decode(eq < e ? q + eq + 1 : q + e, eq < e ? e - eq - 1 : 0,
				      buf + used, cap - used);
		if (vl < 0)
			return -1;
		params[n].value = buf + used;
		used += (size_t)vl + 1;
		n++;
	}
	return (int)n;
}

/* A decimal number of at most 19 digits (no overflow of uint64_t). */
static size_t number(const char *v, size_t n, uint64_t *out)
{
	size_t i = 0;
	uint64_t x = 0;

	while (i < n && v[i] >= '0' && v[i] <= '9') {
		if (i == 19)
			return 0;
		x = x * 10 + (uint64_t)(v[i] - '0');
		i++;
	}
	*out = x;
	return i;
}

int httpparse_range(const char *v, size_t len, uint64_t size, uint64_t *first, uint64_t *last)
{
	uint64_t a = 0, b = 0;
	size_t i, k;
	bool have_a, have_b;

	if (!v || len < 6 || !httpparse_lceq(v, 6, "bytes="))
		return 0;
	i = 6;
	while (i < len && (v[i] == ' ' || v[i] == '\t'))
		i++;
	k = number(v + i, len - i, &a);
	have_a = k > 0;
	i += k;
	if (i == len || v[i] != '-')
		return 0;
	i++;
	k = number(v + i, len - i, &b);
	have_b = k > 0;
	i += k;
	while (i < len && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (i != len)
		return 0; /* several ranges, or junk: serve the whole representation */
	if (!have_a && !have_b)
		return 0;
	if (!have_a) {
		/* suffix range "-N": the last N bytes (RFC 9110 14.1.3) */
		if (b == 0 || size == 0)
			return -1;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return 1;
	}
	if (have_b && b < a)
		return 0; /* invalid: ignored, not unsatisfiable (RFC 9110 14.1.1) */
	if (a >= size)
		return -1;
	*first = a;
	*last = have_b && b < size ? b : size - 1;
	return 1;
}
