/* timeline: per-machine boot timelines and counters. Everything is allocated by
 * timeline_new(); a hook copies a few short strings into a slot found through a hash
 * (MAC, and the client's IPv4 address for TFTP and HTTP, which carry no MAC), so the
 * services' hot paths pay a small constant cost and the memory stays as configured. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timeline.h"

const double tl_bucket_s[TL_BUCKETS] = { 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120 };

static void copy(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;

	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

int timeline_new(const struct timeline_budget *b, struct timeline **out)
{
	struct timeline *tl;

	*out = NULL;
	if (!b->machines || !b->events)
		return -EINVAL;
	tl = calloc(1, sizeof(*tl));
	if (!tl)
		return -ENOMEM;
	tl->b = *b;
	tl->nhash = b->machines * 2;
	tl->m = calloc(b->machines, sizeof(*tl->m));
	tl->ev = calloc((size_t)b->machines * b->events, sizeof(*tl->ev));
	tl->mac_hash = malloc(tl->nhash * sizeof(int));
	tl->ip_hash = malloc(tl->nhash * sizeof(int));
	tl->merge = calloc(b->events, sizeof(*tl->merge));
	if (!tl->m || !tl->ev || !tl->mac_hash || !tl->ip_hash || !tl->merge) {
		timeline_free(tl);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < tl->nhash; i++)
		tl->mac_hash[i] = tl->ip_hash[i] = -1;
	for (unsigned i = 0; i < b->machines; i++)
		tl->m[i].ev = tl->ev + (size_t)i * b->events;
	*out = tl;
	return 0;
}

void timeline_free(struct timeline *tl)
{
	if (!tl)
		return;
	free(tl->m);
	free(tl->ev);
	free(tl->mac_hash);
	free(tl->ip_hash);
	free(tl->merge);
	free(tl);
}

/* ---- the two indexes ---- */

static unsigned mac_slot(const struct timeline *tl, const char *mac)
{
	uint32_t h = 2166136261u;

	for (; *mac; mac++)
		h = (h ^ (uint8_t)*mac) * 16777619u;
	return h % tl->nhash;
}

static unsigned ip_slot(const struct timeline *tl, uint32_t ip)
{
	return (ip * 2654435761u) % tl->nhash;
}

static void unlink_mac(struct timeline *tl, int i)
{
	int *p = &tl->mac_hash[mac_slot(tl, tl->m[i].mac)];

	while (*p >= 0 && *p != i)
		p = &tl->m[*p].mac_next;
	if (*p == i)
		*p = tl->m[i].mac_next;
	tl->m[i].mac_next = -1;
}

static void unlink_ip(struct timeline *tl, int i)
{
	int *p = &tl->ip_hash[ip_slot(tl, tl->m[i].ip)];

	while (*p >= 0 && *p != i)
		p = &tl->m[*p].ip_next;
	if (*p == i)
		*p = tl->m[i].ip_next;
	tl->m[i].ip_next = -1;
	tl->m[i].ip = 0;
}

static int find_mac(const struct timeline *tl, const char *mac)
{
	int i = tl->mac_hash[mac_slot(tl, mac)];

	while (i >= 0 && strcmp(tl->m[i].mac, mac))
		i = tl->m[i].mac_next;
	return i;
}

static int find_ip(const struct timeline *tl, uint32_t ip)
{
	int i = tl->ip_hash[ip_slot(tl, ip)];

	while (i >= 0 && tl->m[i].ip != ip)
		i = tl->m[i].ip_next;
	return i;
}

static void set_mac(struct timeline *tl, int i, const char *mac)
{
	unsigned s;

	copy(tl->m[i].mac, sizeof(tl->m[i].mac), mac);
	s = mac_slot(tl, tl->m[i].mac);
	tl->m[i].mac_next = tl->mac_hash[s];
	tl->mac_hash[s] = i;
}

/* The address is this machine's now: another machine that had it (a lease moved) loses it. */
static void set_ip(struct timeline *tl, int i, uint32_t ip)
{
	int other;
	unsigned s;

	if (!ip || tl->m[i].ip == ip)
		return;
	other = find_ip(tl, ip);
	if (other >= 0)
		unlink_ip(tl, other);
	if (tl->m[i].ip)
		unlink_ip(tl, i);
	s = ip_slot(tl, ip);
	tl->m[i].ip = ip;
	tl->m[i].ip_next = tl->ip_hash[s];
	tl->ip_hash[s] = i;
}

/* A fresh slot: the oldest machine's, round robin (the slots fill in creation order). */
static int new_machine(struct timeline *tl, uint64_t now)
{
	int i = (int)tl->next;
	struct tl_machine *m = &tl->m[i];
	struct tl_event *ev = m->ev;

	tl->next = (tl->next + 1) % tl->b.machines;
	if (m->used) {
		if (m->mac[0])
			unlink_mac(tl, i);
		if (m->ip)
			unlink_ip(tl, i);
	}
	memset(m, 0, sizeof(*m));
	m->ev = ev;
	m->used = true;
	m->mac_next = m->ip_next = -1;
	m->created_ms = now;
	return i;
}

static const struct tl_event *last_event(const struct timeline *tl, const struct tl_machine *m);
static struct tl_event *append(struct timeline *tl, struct tl_machine *m, uint64_t now,
			       enum tl_kind kind);

/* Machine j was seen by address only (TFTP before the script named the MAC): its steps
 * are i's, appended when newer than i's last; j's slot is freed. At most budget.events. */
static void adopt(struct timeline *tl, int i, int j)
{
	struct tl_machine *m = &tl->m[i], *o = &tl->m[j];
	uint32_t a = m->n, b = o->n, k = tl->b.events, boot = m->boots ? m->boots : 1;

	/* merge both by time, newest first from the end, into the scratch ring (allocated
	 * with the timeline): the budget keeps the newest */
	while (k > 0 && (a || b)) {
		const struct tl_event *x = a ? &m->ev[(m->head + a - 1) % tl->b.events] : NULL;
		const struct tl_event *y = b ? &o->ev[(o->head + b - 1) % tl->b.events] : NULL;
		if (y && (!x || y->at_ms > x->at_ms)) {
			tl->merge[--k] = *y;
			tl->merge[k].boot = boot;
			b--;
		} else if (x) {
			tl->merge[--k] = *x;
			a--;
		}
	}
	m->n = tl->b.events - k;
	m->head = 0;
	memcpy(m->ev, tl->merge + k, m->n * sizeof(*m->ev));
	unlink_ip(tl, j);
	o->used = false;
	o->n = 0;
}

/* The machine with this MAC (or, without one, this address), made if unknown. */
static struct tl_machine *machine(struct timeline *tl, uint64_t now, const char *mac, uint32_t ip)
{
	int i = -1;

	if (mac && mac[0]) {
		i = find_mac(tl, mac);
		if (i < 0 && ip) {
			i = find_ip(tl, ip); /* seen by address only so far: it is this MAC */
			if (i >= 0 && tl->m[i].mac[0])
				i = -1;
			if (i >= 0)
				set_mac(tl, i, mac);
		}
		if (i < 0) {
			i = new_machine(tl, now);
			set_mac(tl, i, mac);
		} else if (ip) {
			int j = find_ip(tl, ip);
			if (j >= 0 && j != i && !tl->m[j].mac[0])
				adopt(tl, i, j);
		}
	} else if (ip) {
		i = find_ip(tl, ip);
		if (i < 0)
			i = new_machine(tl, now);
	} else {
		return NULL;
	}
	set_ip(tl, i, ip);
	return &tl->m[i];
}

static const struct tl_event *last_event(const struct timeline *tl, const struct tl_machine *m)
{
	return m->n ? &m->ev[(m->head + m->n - 1) % tl->b.events] : NULL;
}

/* The next slot of m's ring (its oldest step is overwritten when the ring is full). */
static struct tl_event *append(struct timeline *tl, struct tl_machine *m, uint64_t now,
			       enum tl_kind kind)
{
	struct tl_event *e;

	if (!tl->b.events || !m->ev) /* never: timeline_new() refuses an empty budget */
		return &tl->scratch;
	if (m->n < tl->b.events) {
		e = &m->ev[(m->head + m->n) % tl->b.events];
		m->n++;
	} else {
		e = &m->ev[m->head];
		m->head = (m->head + 1) % tl->b.events;
	}
	memset(e, 0, offsetof(struct tl_event, msg));
	e->msg[0] = e->cls[0] = e->what[0] = e->detail[0] = '\0';
	e->at_ms = now;
	e->kind = (uint8_t)kind;
	if (!m->boots)
		m->boots = 1;
	e->boot = m->boots;
	return e;
}

/* ---- counters ---- */

static void count(struct tl_counter *c, const char *a, const char *b, const char *d, const char *e,
		  uint64_t inc)
{
	const char *l[TL_LABELS] = { a ? a : "", b ? b : "", d ? d : "", e ? e : "" };
	unsigned i;

	for (i = 0; i < c->n; i++) {
		struct tl_row *r = &c->row[i];
		if (!strncmp(r->l[0], l[0], TL_LABEL_MAX - 1) &&
		    !strncmp(r->l[1], l[1], TL_LABEL_MAX - 1) &&
		    !strncmp(r->l[2], l[2], TL_LABEL_MAX - 1) &&
		    !strncmp(r->l[3], l[3], TL_LABEL_MAX - 1))
			break;
	}
	if (i == c->n) {
		if (c->n == TL_ROWS) {
			c->other += inc;
			return;
		}
		for (unsigned k = 0; k < TL_LABELS; k++)
			copy(c->row[i].l[k], TL_LABEL_MAX, l[k]);
		c->n++;
	}
	c->row[i].n += inc;
}

static void observe(struct tl_hist *h, uint64_t ms)
{
	unsigned i = 0;

	while (i < TL_BUCKETS && (double)ms > tl_bucket_s[i] * 1000)
		i++;
	h->b[i]++;
	h->count++;
	h->sum_ms += ms;
}

/* ---- hooks ---- */

/* Decimal text of v (a hook runs per packet: no snprintf there). */
static const char *utoa(unsigned v, char *buf, size_t cap)
{
	char *p = buf + cap - 1;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) && p > buf);
	return p;
}

static bool from_firmware(const char *class_kind)
{
	return !class_kind || (strcmp(class_kind, "ours") && strcmp(class_kind, "iPXE"));
}

void timeline_dhcp(struct timeline *tl, uint64_t now, const struct tl_dhcp *d)
{
	char pbuf[8], abuf[8];
	const char *port, *arch;
	struct tl_machine *m;
	const struct tl_event *last;
	struct tl_event *e;

	if (!tl)
		return;
	port = utoa(d->port, pbuf, sizeof(pbuf));
	arch = d->has_arch ? utoa(d->arch, abuf, sizeof(abuf)) : "none";
	count(&tl->c.dhcp, port, d->msg, d->decision, arch, 1);
	if (d->answered)
		count(&tl->c.replies, port, d->reply_msg, NULL, NULL, 1);
	/* not PXE (a plain DHCP client on the LAN): counted, not a boot step */
	if (!d->decision || !strcmp(d->decision, "ignore"))
		return;
	m = machine(tl, now, d->mac, d->ip);
	if (!m)
		return;
	last = last_event(tl, m);
	/* A firmware's request after other steps, or after a pause, starts a new boot;
	 * our iPXE asking again continues the one in progress. */
	if (!last || (last->kind != TL_DHCP && from_firmware(d->class_kind)) ||
	    now - last->at_ms > (uint64_t)tl->b.stall_s * 1000)
		m->boots++;
	if (d->uuid && d->uuid[0])
		copy(m->uuid, sizeof(m->uuid), d->uuid);
	e = append(tl, m, now, TL_DHCP);
	e->port = d->port;
	e->has_arch = d->has_arch;
	e->arch = d->arch;
	e->status = d->answered;
	copy(e->msg, sizeof(e->msg), d->msg);
	copy(e->cls, sizeof(e->cls), d->class_kind);
	copy(e->what, sizeof(e->what), d->decision);
	copy(e->detail, sizeof(e->detail), d->answered ? d->file : "");
}

static void tftp_step(struct timeline *tl, uint64_t now, uint32_t ip, const char *file,
		      const char *outcome, uint64_t bytes, uint64_t ms)
{
	struct tl_machine *m = machine(tl, now, NULL, ip);
	struct tl_event *e;

	if (!m)
		return;
	e = append(tl, m, now, TL_TFTP);
	e->bytes = bytes;
	e->ms = (uint32_t)ms;
	copy(e->what, sizeof(e->what), file);
	copy(e->detail, sizeof(e->detail), outcome);
}

void timeline_tftp(struct timeline *tl, uint64_t now, uint32_t ip, const char *file,
		   const char *outcome, uint64_t bytes, uint64_t ms)
{
	if (!tl)
		return;
	count(&tl->c.tftp, outcome, NULL, NULL, NULL, 1);
	count(&tl->c.tftp_bytes, outcome, NULL, NULL, NULL, bytes);
	observe(&tl->c.tftp_ms, ms);
	tftp_step(tl, now, ip, file, outcome, bytes, ms);
}

/* No transfer took place: no bytes, and no duration for the histogram. */
void timeline_tftp_refused(struct timeline *tl, uint64_t now, uint32_t ip, const char *file,
			   const char *outcome)
{
	if (!tl)
		return;
	count(&tl->c.tftp, outcome, NULL, NULL, NULL, 1);
	tftp_step(tl, now, ip, file, outcome, 0, 0);
}

static uint32_t ip_of(const char *ip)
{
	struct in_addr a;

	return ip && inet_pton(AF_INET, ip, &a) == 1 ? a.s_addr : 0;
}

void timeline_script(struct timeline *tl, uint64_t now, const char *ip, const char *mac,
		     const char *name, const char *profile, const char *kind, const char *gen)
{
	struct tl_machine *m;
	struct tl_event *e;

	if (!tl)
		return;
	count(&tl->c.scripts, kind, NULL, NULL, NULL, 1);
	if (gen)
		count(&tl->c.gen, gen, NULL, NULL, NULL, 1);
	m = machine(tl, now, mac, ip_of(ip));
	if (!m)
		return;
	if (name && name[0] && strcmp(name, "-"))
		copy(m->name, sizeof(m->name), name);
	e = append(tl, m, now, TL_SCRIPT);
	e->status = -1; /* until timeline_http() */
	copy(e->what, sizeof(e->what), profile && strcmp(profile, "-") ? profile : "");
	copy(e->detail, sizeof(e->detail), kind);
	if (gen)
		copy(e->msg, sizeof(e->msg), gen);
}

void timeline_http(struct timeline *tl, uint64_t now, const char *ip, const char *path, int status,
		   uint64_t bytes, uint64_t ms)
{
	bool script = path && !strcmp(path, "/boot.ipxe");
	char st[8];
	struct tl_machine *m;
	struct tl_event *e;

	if (!tl)
		return;
	count(&tl->c.http, script ? "script" : "file",
	      utoa(status > 0 ? (unsigned)status : 0, st, sizeof(st)), NULL, NULL, 1);
	m = machine(tl, now, NULL, ip_of(ip));
	if (!m)
		return;
	e = (struct tl_event *)last_event(tl, m);
	if (script && e && e->kind == TL_SCRIPT && e->status == -1) {
		e->status = (int16_t)status;
		e->bytes = bytes;
		e->ms = (uint32_t)ms;
		if (e->msg[0])
			observe(&tl->c.gen_ms, ms);
		return;
	}
	e = append(tl, m, now, script ? TL_SCRIPT : TL_FILE);
	e->status = (int16_t)status;
	e->bytes = bytes;
	e->ms = (uint32_t)ms;
	copy(e->what, sizeof(e->what), path);
	snprintf(e->detail, sizeof(e->detail), "%s",
		 status < 300	 ? "ok"
		 : status == 404 ? "not-found"
				 : "error");
}

void timeline_reload(struct timeline *tl, const char *file, const char *error)
{
	if (!tl)
		return;
	count(&tl->c.reloads, error ? "failed" : "ok", NULL, NULL, NULL, 1);
	copy(tl->inv_file, sizeof(tl->inv_file), file);
	copy(tl->inv_error, sizeof(tl->inv_error), error);
	if (!error) {
		tl->inv_loaded = true;
		tl->inv_loaded_wall = (uint64_t)time(NULL);
	}
}

/* ---- reading ---- */

const char *timeline_kind_name(unsigned kind)
{
	static const char *const names[] = { "dhcp", "tftp", "script", "file" };
	return kind < 4 ? names[kind] : "?";
}

const struct tl_event *timeline_event(const struct timeline *tl, const struct tl_machine *m,
				      unsigned i)
{
	if (i >= m->n)
		return NULL;
	return &m->ev[(m->head + m->n - 1 - i) % tl->b.events];
}

static bool finished(const struct tl_event *e)
{
	if (e->kind == TL_FILE)
		return e->status >= 200 && e->status < 300;
	return e->kind == TL_SCRIPT && e->status >= 200 && e->status < 300 &&
	       !strcmp(e->detail, "local");
}

const char *timeline_state(const struct timeline *tl, const struct tl_machine *m, uint64_t now,
			   char *buf, size_t cap)
{
	const struct tl_event *e = last_event(tl, m);

	if (!e)
		snprintf(buf, cap, "no steps");
	else if (now - e->at_ms < (uint64_t)tl->b.stall_s * 1000)
		snprintf(buf, cap, "in progress");
	else if (finished(e))
		snprintf(buf, cap, "done");
	else
		snprintf(buf, cap, "stalled after %s", timeline_kind_name(e->kind));
	return buf;
}

unsigned timeline_in_progress(const struct timeline *tl, uint64_t now)
{
	unsigned n = 0;

	for (unsigned i = 0; i < tl->b.machines; i++) {
		const struct tl_event *e = tl->m[i].used ? last_event(tl, &tl->m[i]) : NULL;
		if (e && now - e->at_ms < (uint64_t)tl->b.stall_s * 1000)
			n++;
	}
	return n;
}
