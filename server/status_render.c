/* status_render: what the status listener answers — status.json (jansson), the HTML page
 * rendered from that same JSON (so both say the same; every text escaped, no script),
 * /healthz and /metrics in the Prometheus text format (names chainbootd_*). */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "inventory.h"
#include "status.h"
#include "timeline.h"

#ifndef CHAINBOOT_VERSION
#define CHAINBOOT_VERSION "0.1.0"
#endif

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

void sbuf_html(struct sbuf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<':
			sbuf_printf(b, "&lt;");
			break;
		case '>':
			sbuf_printf(b, "&gt;");
			break;
		case '&':
			sbuf_printf(b, "&amp;");
			break;
		case '"':
			sbuf_printf(b, "&quot;");
			break;
		case '\'':
			sbuf_printf(b, "&#39;");
			break;
		default:
			sbuf_printf(b, "%c", *s);
		}
	}
}

/* ---- the data (one JSON object) ---- */

static void iso_time(uint64_t ms, char *buf, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static json_t *step_json(const struct tl_event *e, uint64_t wall_at)
{
	char at[32];
	json_t *j;

	iso_time(wall_at, at, sizeof(at));
	j = json_pack("{s:s, s:s, s:i}", "step", timeline_kind_name(e->kind), "at", at, "boot",
		      (json_int_t)e->boot);
	switch (e->kind) {
	case TL_DHCP:
		json_object_set_new(j, "port", json_integer(e->port));
		json_object_set_new(j, "message", json_string(e->msg));
		json_object_set_new(j, "class", json_string(e->cls));
		json_object_set_new(j, "arch", e->has_arch ? json_integer(e->arch) : json_null());
		json_object_set_new(j, "decision", json_string(e->what));
		json_object_set_new(j, "offered", e->status ? json_string(e->detail) : json_null());
		break;
	case TL_TFTP:
		json_object_set_new(j, "file", json_string(e->what));
		json_object_set_new(j, "bytes", json_integer((json_int_t)e->bytes));
		json_object_set_new(j, "ms", json_integer(e->ms));
		json_object_set_new(j, "outcome", json_string(e->detail));
		break;
	case TL_SCRIPT:
		json_object_set_new(j, "profile", e->what[0] ? json_string(e->what) : json_null());
		json_object_set_new(j, "kind", json_string(e->detail));
		if (e->msg[0])
			json_object_set_new(j, "generator", json_string(e->msg));
		json_object_set_new(j, "status", json_integer(e->status));
		json_object_set_new(j, "ms", json_integer(e->ms));
		break;
	default:
		json_object_set_new(j, "path", json_string(e->what));
		json_object_set_new(j, "status", json_integer(e->status));
		json_object_set_new(j, "bytes", json_integer((json_int_t)e->bytes));
		json_object_set_new(j, "ms", json_integer(e->ms));
		json_object_set_new(j, "outcome", json_string(e->detail));
	}
	return j;
}

static int by_last_step(const void *a, const void *b, void *tlp)
{
	const struct timeline *tl = tlp;
	const struct tl_event *x = timeline_event(tl, &tl->m[*(const unsigned *)a], 0);
	const struct tl_event *y = timeline_event(tl, &tl->m[*(const unsigned *)b], 0);
	uint64_t tx = x ? x->at_ms : 0, ty = y ? y->at_ms : 0;

	return tx < ty ? 1 : tx > ty ? -1 : 0;
}

/* Machines, newest activity first; each with its steps, oldest first. */
static json_t *machines_json(const struct server *s, uint64_t now, uint64_t wall)
{
	const struct timeline *tl = s->tl;
	json_t *arr = json_array();
	unsigned *idx = malloc(sizeof(unsigned) * (tl->b.machines ? tl->b.machines : 1)), n = 0;
	char st[64], ip[INET_ADDRSTRLEN];

	if (!idx)
		return arr;
	for (unsigned i = 0; i < tl->b.machines; i++)
		if (tl->m[i].used && tl->m[i].n)
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), by_last_step, (void *)tl);
	for (unsigned k = 0; k < n; k++) {
		const struct tl_machine *m = &tl->m[idx[k]];
		json_t *steps = json_array();
		struct in_addr a = { m->ip };
		for (unsigned i = m->n; i-- > 0;) {
			const struct tl_event *e = timeline_event(tl, m, i);
			json_array_append_new(steps, step_json(e, wall - (now - e->at_ms)));
		}
		inet_ntop(AF_INET, &a, ip, sizeof(ip));
		json_array_append_new(arr,
				      json_pack("{s:s?, s:s?, s:s?, s:s?, s:i, s:s, s:o}", "mac",
						m->mac[0] ? m->mac : NULL, "uuid",
						m->uuid[0] ? m->uuid : NULL, "name",
						m->name[0] ? m->name : NULL, "ip",
						m->ip ? ip : NULL, "boots", (json_int_t)m->boots,
						"state", timeline_state(tl, m, now, st, sizeof(st)),
						"steps", steps));
	}
	free(idx);
	return arr;
}

static json_t *counter_json(const struct tl_counter *c, const char *const *names)
{
	json_t *arr = json_array();

	for (unsigned i = 0; i < c->n; i++) {
		json_t *o = json_object();
		for (unsigned k = 0; k < TL_LABELS && names[k]; k++)
			json_object_set_new(o, names[k], json_string(c->row[i].l[k]));
		json_object_set_new(o, "count", json_integer((json_int_t)c->row[i].n));
		json_array_append_new(arr, o);
	}
	return arr;
}

static const char *const L_DHCP[] = { "port", "message", "decision", "arch" };
static const char *const L_REPLY[] = { "port", "message", NULL };
static const char *const L_OUT[] = { "outcome", NULL };
static const char *const L_HTTP[] = { "route", "status", NULL };
static const char *const L_KIND[] = { "kind", NULL };

static json_t *counters_json(const struct timeline *tl)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "dhcp_requests",
			 counter_json(&tl->c.dhcp, L_DHCP), "dhcp_replies",
			 counter_json(&tl->c.replies, L_REPLY), "tftp_transfers",
			 counter_json(&tl->c.tftp, L_OUT), "tftp_bytes",
			 counter_json(&tl->c.tftp_bytes, L_OUT), "http_requests",
			 counter_json(&tl->c.http, L_HTTP), "scripts",
			 counter_json(&tl->c.scripts, L_KIND), "generator_runs",
			 counter_json(&tl->c.gen, L_OUT), "inventory_reloads",
			 counter_json(&tl->c.reloads, L_OUT));
}

/* 200 with "ok", or 503 and the reason. */
static int health(const struct server *s, const char **why)
{
	if (s->cfg->inventory[0] && !s->inv) {
		*why = "inventory not loaded";
		return 503;
	}
	if (s->tl->inv_error[0]) {
		*why = "inventory: the last reload failed (the previous one is in use)";
		return 503;
	}
	*why = "ok";
	return 200;
}

static json_t *status_build(const struct server *s)
{
	const struct timeline *tl = s->tl;
	uint64_t now = loop_now_ms(s->loop), wall = wall_ms();
	size_t machines = 0, profiles = 0;
	json_t *served = json_array(), *inv;
	const char *why;
	char at[32];
	int code = health(s, &why);

	if (s->inv)
		inventory_counts(s->inv, &machines, &profiles);
	iso_time(tl->inv_loaded_wall * 1000, at, sizeof(at));
	inv = json_pack("{s:s?, s:b, s:s?, s:s?, s:i, s:i}", "file",
			s->cfg->inventory[0] ? s->cfg->inventory : NULL, "loaded", s->inv != NULL,
			"loaded_at", tl->inv_loaded ? at : NULL, "last_error",
			tl->inv_error[0] ? tl->inv_error : NULL, "machines", (json_int_t)machines,
			"profiles", (json_int_t)profiles);
	for (size_t i = 0; i < s->n_files; i++)
		json_array_append_new(served,
				      json_pack("{s:s, s:i, s:s}", "name", s->files[i].name,
						"bytes", (json_int_t)s->files[i].len, "user_class",
						s->files[i].foreign_class ? "stock"
									  : s->cfg->user_class));
	iso_time(wall, at, sizeof(at));
	return json_pack("{s:s, s:s, s:{s:b, s:s}, s:o, s:o, s:s, s:i, s:o, s:o}", "version",
			 CHAINBOOT_VERSION, "now", at, "health", "ok", code == 200, "reason", why,
			 "inventory", inv, "served", served, "secure_boot",
			 site_sb_mode_name(s->cfg->sb_mode), "boots_in_progress",
			 (json_int_t)timeline_in_progress(tl, now), "machines",
			 machines_json(s, now, wall), "counters", counters_json(tl));
}

int status_json(const struct server *s, struct sbuf *b)
{
	json_t *j = status_build(s);
	char *txt = j ? json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;

	json_decref(j);
	if (!txt)
		return -ENOMEM;
	sbuf_printf(b, "%s\n", txt);
	free(txt);
	return b->oom ? -ENOMEM : 0;
}

int status_health(const struct server *s, struct sbuf *b)
{
	const char *why;
	int code = health(s, &why);

	sbuf_printf(b, "%s\n", why);
	return code;
}

/* ---- the page ---- */

static const char *jstr(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

static void html_step(struct sbuf *b, json_t *st)
{
	const char *kind = jstr(st, "step");
	json_t *v;
	const char *k;

	sbuf_printf(b, "<li class=\"step\"><span class=\"at\">");
	sbuf_html(b, jstr(st, "at"));
	sbuf_printf(b, "</span> <b>");
	sbuf_html(b, kind);
	sbuf_printf(b, "</b>");
	json_object_foreach(st, k, v)
	{
		char num[32];
		if (!strcmp(k, "step") || !strcmp(k, "at"))
			continue;
		sbuf_printf(b, " <span class=\"kv\">");
		sbuf_html(b, k);
		sbuf_printf(b, "=");
		if (json_is_integer(v))
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		else
			snprintf(num, sizeof(num), "%s", json_is_null(v) ? "-" : "");
		sbuf_html(b, json_is_string(v) ? json_string_value(v) : num);
		sbuf_printf(b, "</span>");
	}
	sbuf_printf(b, "</li>\n");
}

static void html_machines(struct sbuf *b, json_t *ms)
{
	size_t i;
	json_t *m, *st;

	sbuf_printf(b, "<h2>Machines</h2>\n<table id=\"machines\"><tr><th>MAC</th><th>name</th>"
		       "<th>address</th><th>boots</th><th>last boot</th></tr>\n");
	json_array_foreach(ms, i, m)
	{
		sbuf_printf(b, "<tr><td><a href=\"#m%zu\">", i);
		sbuf_html(b, jstr(m, "mac")[0] ? jstr(m, "mac") : "(no MAC yet)");
		sbuf_printf(b, "</a></td><td>");
		sbuf_html(b, jstr(m, "name"));
		sbuf_printf(b, "</td><td>");
		sbuf_html(b, jstr(m, "ip"));
		sbuf_printf(b, "</td><td>%lld</td><td class=\"state\">",
			    (long long)json_integer_value(json_object_get(m, "boots")));
		sbuf_html(b, jstr(m, "state"));
		sbuf_printf(b, "</td></tr>\n");
	}
	sbuf_printf(b, "</table>\n");
	json_array_foreach(ms, i, m)
	{
		size_t k;
		sbuf_printf(b, "<h3 id=\"m%zu\">Timeline of ", i);
		sbuf_html(b, jstr(m, "mac")[0] ? jstr(m, "mac") : jstr(m, "ip"));
		sbuf_printf(b, " (");
		sbuf_html(b, jstr(m, "state"));
		sbuf_printf(b, ")</h3>\n<ol class=\"timeline\">\n");
		json_array_foreach(json_object_get(m, "steps"), k, st) html_step(b, st);
		sbuf_printf(b, "</ol>\n");
	}
}

static void html_rest(struct sbuf *b, json_t *j)
{
	json_t *inv = json_object_get(j, "inventory"), *f, *c, *rows, *r;
	const char *k;
	size_t i;

	sbuf_printf(b, "<h2>Inventory</h2>\n<p id=\"inventory\">file ");
	sbuf_html(b, jstr(inv, "file")[0] ? jstr(inv, "file") : "(none)");
	sbuf_printf(b, ", loaded %s, %lld machines, %lld profiles",
		    json_is_true(json_object_get(inv, "loaded")) ? "yes" : "no",
		    (long long)json_integer_value(json_object_get(inv, "machines")),
		    (long long)json_integer_value(json_object_get(inv, "profiles")));
	if (jstr(inv, "loaded_at")[0]) {
		sbuf_printf(b, ", at ");
		sbuf_html(b, jstr(inv, "loaded_at"));
	}
	sbuf_printf(b, "</p>\n");
	if (jstr(inv, "last_error")[0]) {
		sbuf_printf(b, "<p class=\"error\">last reload failed: ");
		sbuf_html(b, jstr(inv, "last_error"));
		sbuf_printf(b, "</p>\n");
	}
	sbuf_printf(b, "<h2>Served</h2>\n<table><tr><th>file</th><th>bytes</th><th>user-class"
		       "</th></tr>\n");
	json_array_foreach(json_object_get(j, "served"), i, f)
	{
		sbuf_printf(b, "<tr><td>");
		sbuf_html(b, jstr(f, "name"));
		sbuf_printf(b, "</td><td>%lld</td><td>",
			    (long long)json_integer_value(json_object_get(f, "bytes")));
		sbuf_html(b, jstr(f, "user_class"));
		sbuf_printf(b, "</td></tr>\n");
	}
	sbuf_printf(b, "</table>\n<p>Secure Boot: ");
	sbuf_html(b, jstr(j, "secure_boot"));
	sbuf_printf(b, "</p>\n<h2>Counters</h2>\n<ul id=\"counters\">\n");
	c = json_object_get(j, "counters");
	json_object_foreach(c, k, rows)
	{
		json_array_foreach(rows, i, r)
		{
			const char *lk;
			json_t *lv;
			sbuf_printf(b, "<li>");
			sbuf_html(b, k);
			json_object_foreach(r, lk, lv)
			{
				if (!json_is_string(lv))
					continue;
				sbuf_printf(b, " ");
				sbuf_html(b, lk);
				sbuf_printf(b, "=");
				sbuf_html(b, json_string_value(lv));
			}
			sbuf_printf(b, ": %lld</li>\n",
				    (long long)json_integer_value(json_object_get(r, "count")));
		}
	}
	sbuf_printf(b, "</ul>\n");
}

int status_html(const struct server *s, struct sbuf *b)
{
	json_t *j = status_build(s), *h;

	if (!j)
		return -ENOMEM;
	h = json_object_get(j, "health");
	/* refreshes itself without JavaScript */
	sbuf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		       "<meta http-equiv=\"refresh\" content=\"10\">"
		       "<title>chainbootd status</title><style>"
		       "body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
		       "td,th{border:1px solid #bbb;padding:.2em .6em;text-align:left}"
		       ".kv{color:#333;margin-left:.6em}.at{color:#777;font-family:monospace}"
		       ".error,.bad{color:#b00}.good{color:#070}</style></head><body>\n"
		       "<h1>chainbootd ");
	sbuf_html(b, jstr(j, "version"));
	sbuf_printf(b, "</h1>\n<p id=\"health\" class=\"%s\">health: ",
		    json_is_true(json_object_get(h, "ok")) ? "good" : "bad");
	sbuf_html(b, jstr(h, "reason"));
	sbuf_printf(b, " &middot; boots in progress: %lld &middot; ",
		    (long long)json_integer_value(json_object_get(j, "boots_in_progress")));
	sbuf_html(b, jstr(j, "now"));
	sbuf_printf(b, "</p>\n");
	html_machines(b, json_object_get(j, "machines"));
	html_rest(b, j);
	sbuf_printf(b, "</body></html>\n");
	json_decref(j);
	return b->oom ? -ENOMEM : 0;
}

/* ---- metrics ---- */

static void prom_label(struct sbuf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			sbuf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			sbuf_printf(b, "\\n");
		else
			sbuf_printf(b, "%c", *v);
	}
}

static void prom_counter(struct sbuf *b, const char *name, const char *help,
			 const struct tl_counter *c, const char *const *labels)
{
	sbuf_printf(b, "# HELP chainbootd_%s %s\n# TYPE chainbootd_%s counter\n", name, help, name);
	for (unsigned i = 0; i <= c->n; i++) {
		if (i == c->n && !c->other)
			break;
		sbuf_printf(b, "chainbootd_%s{", name);
		for (unsigned k = 0; k < TL_LABELS && labels[k]; k++) {
			sbuf_printf(b, "%s%s=\"", k ? "," : "", labels[k]);
			prom_label(b, i < c->n ? c->row[i].l[k] : "other");
			sbuf_printf(b, "\"");
		}
		sbuf_printf(b, "} %llu\n", (unsigned long long)(i < c->n ? c->row[i].n : c->other));
	}
}

static void prom_hist(struct sbuf *b, const char *name, const char *help, const struct tl_hist *h)
{
	uint64_t cum = 0;

	sbuf_printf(b, "# HELP chainbootd_%s %s\n# TYPE chainbootd_%s histogram\n", name, help,
		    name);
	for (unsigned i = 0; i < TL_BUCKETS; i++) {
		cum += h->b[i];
		sbuf_printf(b, "chainbootd_%s_bucket{le=\"%g\"} %llu\n", name, tl_bucket_s[i],
			    (unsigned long long)cum);
	}
	sbuf_printf(b, "chainbootd_%s_bucket{le=\"+Inf\"} %llu\n", name,
		    (unsigned long long)h->count);
	sbuf_printf(b, "chainbootd_%s_sum %.3f\nchainbootd_%s_count %llu\n", name,
		    (double)h->sum_ms / 1000, name, (unsigned long long)h->count);
}

static void prom_gauge(struct sbuf *b, const char *name, const char *help, unsigned long v)
{
	sbuf_printf(b, "# HELP chainbootd_%s %s\n# TYPE chainbootd_%s gauge\nchainbootd_%s %lu\n",
		    name, help, name, name, v);
}

int status_metrics(const struct server *s, struct sbuf *b)
{
	const struct tl_counters *c = &s->tl->c;
	size_t machines = 0, profiles = 0;

	if (s->inv)
		inventory_counts(s->inv, &machines, &profiles);
	prom_counter(b, "dhcp_requests_total", "DHCP requests by port, message, decision, arch.",
		     &c->dhcp, L_DHCP);
	prom_counter(b, "dhcp_replies_total", "proxyDHCP replies sent.", &c->replies, L_REPLY);
	prom_counter(b, "tftp_transfers_total", "TFTP transfers by outcome.", &c->tftp, L_OUT);
	prom_counter(b, "tftp_bytes_total", "TFTP bytes sent, by outcome.", &c->tftp_bytes, L_OUT);
	prom_hist(b, "tftp_transfer_duration_seconds", "TFTP transfer durations.", &c->tftp_ms);
	prom_counter(b, "http_requests_total", "HTTP requests by route and status.", &c->http,
		     L_HTTP);
	prom_counter(b, "scripts_total", "iPXE scripts served, by kind.", &c->scripts, L_KIND);
	prom_counter(b, "generator_runs_total", "Script generator runs by outcome.", &c->gen,
		     L_OUT);
	prom_hist(b, "generator_duration_seconds", "Script generator run durations.", &c->gen_ms);
	prom_counter(b, "inventory_reloads_total", "Inventory loads by outcome.", &c->reloads,
		     L_OUT);
	prom_gauge(b, "machines", "Machines in the inventory.", machines);
	prom_gauge(b, "profiles", "Profiles in the inventory.", profiles);
	prom_gauge(b, "boots_in_progress", "Machines with a boot step in the stall window.",
		   timeline_in_progress(s->tl, loop_now_ms(s->loop)));
	sbuf_printf(b,
		    "# HELP chainbootd_build_info The version of chainbootd.\n"
		    "# TYPE chainbootd_build_info gauge\n"
		    "chainbootd_build_info{version=\"%s\"} 1\n",
		    CHAINBOOT_VERSION);
	return b->oom ? -ENOMEM : 0;
}
