/* test_timeline: boot timelines — steps in order per machine (MAC, then by address), a
 * new boot on a firmware's request, the oldest steps and machines dropped at the budget,
 * "stalled after STEP" and "done", refused TFTP requests as steps, and counters that
 * equal the events appended. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "test.h"
#include "timeline.h"

static uint32_t ip(const char *s)
{
	struct in_addr a;
	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

static void pxe(struct timeline *tl, uint64_t now, const char *mac, const char *cls)
{
	struct tl_dhcp d = { .mac = mac,
			     .msg = "DISCOVER",
			     .decision = "pxe-bios",
			     .file = "undionly.kpxe",
			     .class_kind = cls,
			     .port = 67,
			     .has_arch = true,
			     .arch = 0,
			     .answered = true,
			     .reply_msg = "OFFER" };
	timeline_dhcp(tl, now, &d);
}

static uint64_t row(const struct tl_counter *c, const char *a, const char *b)
{
	for (unsigned i = 0; i < c->n; i++)
		if (!strcmp(c->row[i].l[0], a) && (!b || !strcmp(c->row[i].l[1], b)))
			return c->row[i].n;
	return 0;
}

static void test_one_boot(void)
{
	struct timeline_budget b = { 4, 8, 10 };
	struct timeline *tl;
	const struct tl_machine *m;
	const struct tl_event *e;
	char st[64];

	ok(timeline_new(&b, &tl) == 0, "new");
	pxe(tl, 1000, "52:54:00:00:00:01", "none");
	timeline_tftp(tl, 1100, ip("198.51.100.50"), "undionly.kpxe", "ok", 70000, 80);
	/* the address is not known from the DISCOVER (sent from 0.0.0.0): a second machine */
	ok(tl->m[0].used && tl->m[1].used,
	   "TFTP from an address not yet known: its own entry, for now");
	/* our iPXE asks DHCP (from 0.0.0.0) after the TFTP step: the merge keeps time order */
	pxe(tl, 1150, "52:54:00:00:00:01", "ours");
	timeline_script(tl, 1200, "198.51.100.50", "52:54:00:00:00:01", "web1", "p", "template",
			NULL);
	timeline_http(tl, 1210, "198.51.100.50", "/boot.ipxe", 200, 300, 10);
	timeline_http(tl, 1300, "198.51.100.50", "/vmlinuz", 200, 5000000, 90);
	m = &tl->m[0];
	ok(m->n == 5 && !strcmp(m->name, "web1") && !tl->m[1].used,
	   "TFTP (by address), script and file joined the MAC's machine");
	e = timeline_event(tl, m, 2);
	ok(e && e->kind == TL_DHCP && e->at_ms == 1150, "our iPXE's DHCP after the TFTP step");
	e = timeline_event(tl, m, 3);
	ok(e && e->kind == TL_TFTP && !strcmp(e->what, "undionly.kpxe"), "the TFTP step in order");
	e = timeline_event(tl, m, 4);
	ok(e && e->kind == TL_DHCP && !strcmp(e->what, "pxe-bios") &&
		   !strcmp(e->detail, "undionly.kpxe") && e->port == 67,
	   "oldest step: the DHCP request and what was offered");
	e = timeline_event(tl, m, 1);
	ok(e && e->kind == TL_SCRIPT && e->status == 200 && e->ms == 10 && !strcmp(e->what, "p") &&
		   !strcmp(e->detail, "template"),
	   "the script step has its answer's status and time");
	e = timeline_event(tl, m, 0);
	ok(e && e->kind == TL_FILE && e->bytes == 5000000 && !strcmp(e->what, "/vmlinuz"),
	   "newest: the file");
	ok(!strcmp(timeline_state(tl, m, 1400, st, sizeof(st)), "in progress"), "in progress");
	ok(!strcmp(timeline_state(tl, m, 20000, st, sizeof(st)), "done"), "done after the file");
	timeline_tftp(tl, 1500, ip("198.51.100.52"), "undionly.kpxe", "timeout", 512, 9000);
	ok(!strcmp(timeline_state(tl, &tl->m[2], 20000, st, sizeof(st)), "stalled after tftp"),
	   "stalled after tftp");
	ok(timeline_in_progress(tl, 1600) == 2 && timeline_in_progress(tl, 20000) == 0,
	   "boots in progress");
	ok(row(&tl->c.dhcp, "67", NULL) == 2 && row(&tl->c.replies, "67", "OFFER") == 2 &&
		   row(&tl->c.tftp, "ok", NULL) == 1 && row(&tl->c.tftp, "timeout", NULL) == 1 &&
		   row(&tl->c.tftp_bytes, "ok", NULL) == 70000 &&
		   row(&tl->c.http, "script", "200") == 1 && row(&tl->c.http, "file", "200") == 1 &&
		   row(&tl->c.scripts, "template", NULL) == 1 && tl->c.tftp_ms.count == 2,
	   "counters equal the events");
	timeline_free(tl);
}

static void test_budget(void)
{
	struct timeline_budget b = { 2, 3, 10 };
	struct timeline *tl;
	char mac[18];

	timeline_new(&b, &tl);
	for (int i = 0; i < 5; i++)
		timeline_tftp(tl, 100 + (uint64_t)i, ip("198.51.100.9"), i == 4 ? "last" : "f",
			      "ok", 1, 1);
	ok(tl->m[0].n == 3 && !strcmp(timeline_event(tl, &tl->m[0], 0)->what, "last") &&
		   !timeline_event(tl, &tl->m[0], 3),
	   "events beyond the budget drop the oldest");
	for (int i = 0; i < 3; i++) {
		snprintf(mac, sizeof(mac), "52:54:00:00:01:%02x", i);
		pxe(tl, 200 + (uint64_t)i, mac, "none");
	}
	ok(!strcmp(tl->m[0].mac, "52:54:00:00:01:01") && !strcmp(tl->m[1].mac, "52:54:00:00:01:02"),
	   "machines beyond the budget drop the oldest");
	pxe(tl, 300, "52:54:00:00:01:02", "none");
	ok(tl->m[1].n == 2 && tl->m[1].boots == 1, "DHCP after DHCP: the same boot");
	timeline_tftp(tl, 301, ip("198.51.100.9"), "x", "ok", 1, 1);
	pxe(tl, 400, "52:54:00:00:01:01", "ours");
	ok(tl->m[0].boots == 1, "our iPXE asking continues the boot");
	timeline_tftp(tl, 401, ip("198.51.100.7"), "x", "ok", 1, 1);
	timeline_free(tl);
	ok(timeline_new(&(struct timeline_budget){ 0, 1, 1 }, &tl) == -EINVAL,
	   "empty budget refused");
}

/* A refused RRQ (file not found, say) is the machine's TFTP step with that outcome, and
 * "stalled after tftp" when nothing follows; it counts, but not as a transfer's time. */
static void test_refused(void)
{
	struct timeline_budget b = { 4, 8, 10 };
	struct timeline *tl;
	const struct tl_machine *m;
	const struct tl_event *e;
	char st[64];

	ok(timeline_new(&b, &tl) == 0, "new");
	timeline_tftp_refused(NULL, 1, ip("198.51.100.60"), "x", "not-found"); /* no-op */
	pxe(tl, 1000, "52:54:00:00:00:61", "none");
	timeline_tftp_refused(tl, 1050, ip("198.51.100.61"), "missing.efi", "not-found");
	pxe(tl, 1060, "52:54:00:00:00:61", "ours");
	timeline_script(tl, 1070, "198.51.100.61", "52:54:00:00:00:61", NULL, NULL, "menu", NULL);
	timeline_tftp_refused(tl, 1100, ip("198.51.100.61"), "../etc/passwd", "access-denied");
	e = timeline_event(tl, &tl->m[0], 0);
	ok(e && e->kind == TL_TFTP && !strcmp(e->what, "../etc/passwd") &&
		   !strcmp(e->detail, "access-denied") && e->bytes == 0 && e->ms == 0,
	   "a refused request: the machine's newest step, with its outcome");
	e = timeline_event(tl, &tl->m[0], 3);
	ok(e && e->kind == TL_TFTP && !strcmp(e->what, "missing.efi") &&
		   !strcmp(e->detail, "not-found"),
	   "the refusal before the MAC was known joined the machine, in order");
	ok(!strcmp(timeline_state(tl, &tl->m[0], 20000, st, sizeof(st)), "stalled after tftp"),
	   "refused, then nothing: stalled after tftp");
	timeline_tftp_refused(tl, 1200, ip("198.51.100.62"), "", "malformed");
	timeline_tftp_refused(tl, 1300, ip("198.51.100.62"), "up.bin", "write-refused");
	m = NULL;
	for (unsigned i = 0; i < b.machines; i++)
		if (tl->m[i].used && tl->m[i].ip == ip("198.51.100.62"))
			m = &tl->m[i];
	e = m ? timeline_event(tl, m, 0) : NULL;
	ok(m && m->n == 2 && !m->mac[0] && e && !strcmp(e->detail, "write-refused"),
	   "a machine known by address only: its refusals");
	ok(row(&tl->c.tftp, "not-found", NULL) == 1 &&
		   row(&tl->c.tftp, "access-denied", NULL) == 1 &&
		   row(&tl->c.tftp, "malformed", NULL) == 1 &&
		   row(&tl->c.tftp, "write-refused", NULL) == 1 && tl->c.tftp_bytes.n == 0 &&
		   tl->c.tftp_ms.count == 0,
	   "refusals counted by outcome, without bytes or a duration");
	timeline_free(tl);
}

int main(void)
{
	test_one_boot();
	test_budget();
	test_refused();
	return test_done();
}
