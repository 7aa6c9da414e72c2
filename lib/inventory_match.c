/* inventory_match: the inventory's index — profiles and machines by name, identifiers
 * (MAC, MAC prefix, UUID, serial, hostname) in sorted arrays, duplicates and dangling
 * references reported — and matching a client's facts against it (inventory.h).
 *
 * Untrusted input: the facts (HTTP query parameters, DHCP MAC and UUID text) — length
 * capped and parsed strictly by inventory_facts_check() before a lookup. Sorting takes
 * the inventory as qsort_r()'s argument: no global state, loads may run side by side.
 */
#include "inventory_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- facts ---- */

const char *inventory_fact_name(enum inv_fact f)
{
	return (unsigned)f < INV_N_FACTS ? inv_builtin_name((int)f) : "?";
}

int inventory_fact_index(const char *key)
{
	for (int i = 0; i < INV_N_FACTS; i++)
		if (!strcmp(key, inv_builtin_name(i)))
			return i;
	return -1;
}

int inventory_facts_check(struct inv_facts *f, const char **why)
{
	f->has_mac = f->has_uuid = false;
	f->mac_text[0] = f->uuid_text[0] = '\0';
	for (int i = 0; i < INV_N_FACTS; i++) {
		if (f->v[i] && strnlen(f->v[i], INV_FACT_MAX + 1) > INV_FACT_MAX) {
			*why = inv_builtin_name(i);
			return -EINVAL;
		}
	}
	if (f->v[INV_FACT_MAC] && f->v[INV_FACT_MAC][0]) {
		if (inv_parse_mac(f->v[INV_FACT_MAC], strlen(f->v[INV_FACT_MAC]), f->mac)) {
			*why = "mac";
			return -EINVAL;
		}
		f->has_mac = true;
		inv_format_mac(f->mac, f->mac_text);
	}
	if (f->v[INV_FACT_UUID] && f->v[INV_FACT_UUID][0]) {
		if (inv_parse_uuid(f->v[INV_FACT_UUID], strlen(f->v[INV_FACT_UUID]), f->uuid)) {
			*why = "uuid";
			return -EINVAL;
		}
		f->has_uuid = true;
		inv_format_uuid(f->uuid, f->uuid_text);
	}
	if (f->want_profile && (strnlen(f->want_profile, INV_NAME_MAX + 1) > INV_NAME_MAX ||
				(f->want_profile[0] && !inv_name_ok(f->want_profile)))) {
		*why = "profile";
		return -EINVAL;
	}
	return 0;
}

/* ---- the index ---- */

/* qsort_r() must not be given NULL, even for no elements (C11 7.22.5 for qsort). */
static void sort(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *, void *),
		 void *arg)
{
	if (n > 1)
		qsort_r(v, n, size, cmp, arg);
}

static int cmp_profile(const void *a, const void *b, void *arg)
{
	const struct inventory *inv = arg;

	return strcmp(inv->profiles[*(const uint32_t *)a].name,
		      inv->profiles[*(const uint32_t *)b].name);
}

static int cmp_machine_name(const void *a, const void *b, void *arg)
{
	const struct inventory *inv = arg;

	return strcmp(inv->machines[*(const uint32_t *)a].name,
		      inv->machines[*(const uint32_t *)b].name);
}

static int cmp_mac(const void *a, const void *b, void *arg)
{
	const struct inv_mac_ent *x = a, *y = b;

	(void)arg;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_uuid(const void *a, const void *b, void *arg)
{
	const struct inv_uuid_ent *x = a, *y = b;
	int c = memcmp(x->u, y->u, 16);

	(void)arg;
	return c ? c : x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_str(const void *a, const void *b, void *arg)
{
	const struct inv_str_ent *x = a, *y = b;
	int c = strcmp(x->s, y->s);

	(void)arg;
	return c ? c : x->line < y->line ? -1 : x->line > y->line;
}

const struct inv_profile *inv_find_profile(const struct inventory *inv, const char *name)
{
	size_t lo = 0, hi = inv->n_profiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct inv_profile *p = &inv->profiles[inv->profile_order[mid]];
		int c = strcmp(name, p->name);
		if (!c)
			return p;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static void check_dups_mac(struct inv_load *x, struct inv_mac_ent *v, size_t n, const char *what)
{
	struct inventory *inv = x->inv;

	sort(v, n, sizeof(*v), cmp_mac, inv);
	for (size_t i = 1; i < n; i++) {
		uint8_t b[6];
		char t[18];

		if (v[i].key != v[i - 1].key || v[i].len != v[i - 1].len)
			continue;
		for (int k = 0; k < 6; k++)
			b[k] = (uint8_t)(v[i].key >> (40 - 8 * k));
		inv_format_mac(b, t);
		t[v[i].len * 3 - 1] = '\0';
		inv_lerr(x, v[i].line,
			 "[machine %s] %s %s: already listed for [machine %s] at line %u",
			 inv->machines[v[i].machine].name, what, t,
			 inv->machines[v[i - 1].machine].name, v[i - 1].line);
	}
}

static void check_dups_uuid(struct inv_load *x)
{
	struct inventory *inv = x->inv;

	sort(inv->uuids, inv->n_uuids, sizeof(*inv->uuids), cmp_uuid, inv);
	for (size_t i = 1; i < inv->n_uuids; i++) {
		char t[37];

		if (memcmp(inv->uuids[i].u, inv->uuids[i - 1].u, 16))
			continue;
		inv_format_uuid(inv->uuids[i].u, t);
		inv_lerr(x, inv->uuids[i].line,
			 "[machine %s] uuid %s: already listed for [machine %s] at line %u",
			 inv->machines[inv->uuids[i].machine].name, t,
			 inv->machines[inv->uuids[i - 1].machine].name, inv->uuids[i - 1].line);
	}
}

static void check_dups_str(struct inv_load *x, struct inv_str_ent *v, size_t n, const char *what)
{
	struct inventory *inv = x->inv;

	sort(v, n, sizeof(*v), cmp_str, inv);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(v[i].s, v[i - 1].s))
			inv_lerr(x, v[i].line,
				 "[machine %s] %s \"%.60s\": already listed for [machine %s] at "
				 "line %u",
				 inv->machines[v[i].machine].name, what, v[i].s,
				 inv->machines[v[i - 1].machine].name, v[i - 1].line);
}

/* Report names given twice among n items (order: indices sorted by name). */
static void check_dup_names(struct inv_load *x, const uint32_t *order, size_t n, bool profiles)
{
	const struct inventory *inv = x->inv;

	for (size_t i = 1; i < n; i++) {
		const char *a = profiles ? inv->profiles[order[i - 1]].name
					 : inv->machines[order[i - 1]].name;
		const char *b = profiles ? inv->profiles[order[i]].name
					 : inv->machines[order[i]].name;
		unsigned la = profiles ? inv->profiles[order[i - 1]].line
				       : inv->machines[order[i - 1]].line;
		unsigned lb = profiles ? inv->profiles[order[i]].line
				       : inv->machines[order[i]].line;

		if (!strcmp(a, b))
			inv_lerr(x, la > lb ? la : lb, "[%s %s]: defined twice (also at line %u)",
				 profiles ? "profile" : "machine", a, la < lb ? la : lb);
	}
}

void inv_index_names(struct inv_load *x)
{
	struct inventory *inv = x->inv;
	uint32_t *order;

	inv->profile_order = malloc((inv->n_profiles + 1) * sizeof(*inv->profile_order));
	order = malloc((inv->n_machines + 1) * sizeof(*order));
	if (!inv->profile_order || !order) {
		free(order);
		return inv_oom(x);
	}
	for (size_t i = 0; i < inv->n_profiles; i++)
		inv->profile_order[i] = (uint32_t)i;
	sort(inv->profile_order, inv->n_profiles, sizeof(*order), cmp_profile, inv);
	check_dup_names(x, inv->profile_order, inv->n_profiles, true);
	for (size_t i = 0; i < inv->n_machines; i++)
		order[i] = (uint32_t)i;
	sort(order, inv->n_machines, sizeof(*order), cmp_machine_name, inv);
	check_dup_names(x, order, inv->n_machines, false);
	free(order);
}

/* A machine's profile exists, and each of its variables overrides one of that profile. */
static void resolve_machine(struct inv_load *x, struct inv_machine *m)
{
	struct inventory *inv = x->inv;

	if (!m->ids)
		inv_lerr(x, m->line,
			 "[machine %s]: nothing to recognise it by (give mac, mac_prefix, uuid, "
			 "serial or hostname)",
			 m->name);
	if (m->profile_name) {
		m->profile = inv_find_profile(inv, m->profile_name);
		if (!m->profile)
			inv_lerr(x, m->profile_line,
				 "[machine %s] profile: no [profile %s] in this file", m->name,
				 m->profile_name);
	} else if (m->boot == INV_BOOT_NETBOOT) {
		inv_lerr(x, m->line,
			 "[machine %s]: no profile (give profile = NAME, or boot = local / "
			 "disabled)",
			 m->name);
	}
	for (size_t k = 0; k < m->n_vars; k++) {
		struct inv_var *v = &inv->mvars[m->var_start + k];
		const struct inv_profile *p = m->profile;
		for (size_t j = 0; p && j < p->n_vars; j++)
			if (!strcmp(p->vars[j].name, v->name))
				v->slot = (int)j;
		if (p && v->slot < 0)
			inv_lerr(x, v->line,
				 "[machine %s] var.%s: [profile %s] has no var.%s to override "
				 "(define its default there)",
				 m->name, v->name, p->name, v->name);
	}
}

void inv_index_machines(struct inv_load *x)
{
	struct inventory *inv = x->inv;

	for (size_t i = 0; i < inv->n_machines; i++)
		resolve_machine(x, &inv->machines[i]);
	if (inv->menu_default) {
		const struct inv_profile *p = inv_find_profile(inv, inv->menu_default);
		if (!p)
			inv_lerr(x, inv->menu_default_line,
				 "[menu] default: no [profile %s] in this file", inv->menu_default);
		else if (!p->in_menu)
			inv_lerr(x, inv->menu_default_line,
				 "[menu] default: [profile %s] has menu = no", inv->menu_default);
	}
	/* identifiers: duplicates are errors, and sorted arrays are the lookup index */
	check_dups_mac(x, inv->macs, inv->n_macs, "mac");
	check_dups_mac(x, inv->prefixes, inv->n_prefixes, "mac_prefix");
	check_dups_uuid(x);
	check_dups_str(x, inv->serials, inv->n_serials, "serial");
	check_dups_str(x, inv->hostnames, inv->n_hostnames, "hostname");
}

/* ---- matching ---- */

static const struct inv_mac_ent *find_mac(const struct inv_mac_ent *v, size_t n, uint64_t key,
					  uint32_t len)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct inv_mac_ent *e = &v[mid];
		if (e->len == len && e->key == key)
			return e;
		if (e->len < len || (e->len == len && e->key < key))
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct inv_uuid_ent *find_uuid(const struct inventory *inv, const uint8_t u[16])
{
	size_t lo = 0, hi = inv->n_uuids;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(u, inv->uuids[mid].u, 16);
		if (!c)
			return &inv->uuids[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static const struct inv_str_ent *find_str(const struct inv_str_ent *v, size_t n, const char *s)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s, v[mid].s);
		if (!c)
			return &v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static const struct inv_machine *match_ids(const struct inventory *inv, const uint8_t *mac,
					   const uint8_t *uuid, const char **by)
{
	const struct inv_mac_ent *e;
	const struct inv_uuid_ent *u;

	if (mac && (e = find_mac(inv->macs, inv->n_macs, inv_mac_key(mac, 6), 6)))
		return *by = "mac", &inv->machines[e->machine];
	if (uuid && (u = find_uuid(inv, uuid)))
		return *by = "uuid", &inv->machines[u->machine];
	return NULL;
}

static const struct inv_machine *match_prefix(const struct inventory *inv, const uint8_t *mac,
					      const char **by)
{
	const struct inv_mac_ent *e;

	for (uint32_t len = 5; mac && inv->n_prefixes && len >= 1; len--)
		if ((e = find_mac(inv->prefixes, inv->n_prefixes, inv_mac_key(mac, len), len)))
			return *by = "mac_prefix", &inv->machines[e->machine];
	return NULL;
}

const struct inv_machine *inventory_match(const struct inventory *inv, const struct inv_facts *f,
					  const char **by)
{
	const struct inv_machine *m;
	const struct inv_str_ent *s;
	const char *v;

	*by = "";
	if (!inv)
		return NULL;
	if ((m = match_ids(inv, f->has_mac ? f->mac : NULL, f->has_uuid ? f->uuid : NULL, by)))
		return m;
	v = f->v[INV_FACT_SERIAL];
	if (v && *v && (s = find_str(inv->serials, inv->n_serials, v)))
		return *by = "serial", &inv->machines[s->machine];
	v = f->v[INV_FACT_HOSTNAME];
	if (v && *v && inv->n_hostnames) {
		char low[INV_FACT_MAX + 1];
		size_t n = strnlen(v, INV_FACT_MAX);
		for (size_t i = 0; i < n; i++)
			low[i] = v[i] >= 'A' && v[i] <= 'Z' ? (char)(v[i] + 32) : v[i];
		low[n] = '\0';
		if ((s = find_str(inv->hostnames, inv->n_hostnames, low)))
			return *by = "hostname", &inv->machines[s->machine];
	}
	return match_prefix(inv, f->has_mac ? f->mac : NULL, by);
}

enum decide_inv inventory_dhcp_match(const struct inventory *inv, const char *mac, const char *uuid,
				     char *machine, size_t machinesz)
{
	uint8_t m[6], u[16];
	bool has_m, has_u;
	const struct inv_machine *x;
	const char *by;

	if (machine && machinesz)
		machine[0] = '\0';
	if (!inv)
		return DECIDE_INV_UNKNOWN;
	has_m = mac && *mac && !inv_parse_mac(mac, strnlen(mac, 64), m);
	has_u = uuid && *uuid && !inv_parse_uuid(uuid, strnlen(uuid, 64), u);
	x = match_ids(inv, has_m ? m : NULL, has_u ? u : NULL, &by);
	if (!x)
		x = match_prefix(inv, has_m ? m : NULL, &by);
	if (!x)
		return DECIDE_INV_UNKNOWN;
	if (machine && machinesz)
		snprintf(machine, machinesz, "%s", x->name);
	return x->boot == INV_BOOT_NETBOOT ? DECIDE_INV_NETBOOT
	       : x->boot == INV_BOOT_LOCAL ? DECIDE_INV_LOCAL
					   : DECIDE_INV_DISABLED;
}

enum decide_inv inventory_dhcp_verdict(const struct inventory *inv, const char *mac,
				       const char *uuid)
{
	return inventory_dhcp_match(inv, mac, uuid, NULL, 0);
}

bool inventory_boot_local(const struct inventory *inv, const char *mac)
{
	enum decide_inv v = inventory_dhcp_verdict(inv, mac, NULL);

	return v == DECIDE_INV_LOCAL || v == DECIDE_INV_DISABLED;
}

void inventory_decide(const struct inventory *inv, const struct inv_facts *f, struct inv_result *r)
{
	memset(r, 0, sizeof(*r));
	r->machine = inventory_match(inv, f, &r->by);
	if (r->machine) {
		switch (r->machine->boot) {
		case INV_BOOT_LOCAL:
			r->decision = INV_DECIDE_LOCAL;
			return;
		case INV_BOOT_DISABLED:
			r->decision = INV_DECIDE_DISABLED;
			return;
		case INV_BOOT_NETBOOT:
			break;
		}
		r->decision = INV_DECIDE_PROFILE;
		r->profile = r->machine->profile;
		return;
	}
	/* A choice made in the menu counts only for profiles the menu offers. */
	if (inv && f->want_profile && f->want_profile[0]) {
		const struct inv_profile *p = inv_find_profile(inv, f->want_profile);
		if (p && p->in_menu) {
			r->decision = INV_DECIDE_CHOSEN;
			r->profile = p;
			return;
		}
	}
	r->decision = INV_DECIDE_MENU;
}

const char *inventory_decision_str(enum inv_decision d)
{
	static const char *const s[] = { "profile", "chosen", "menu", "local", "disabled" };
	return (unsigned)d < sizeof(s) / sizeof(s[0]) ? s[d] : "?";
}

const char *inventory_machine_name(const struct inv_machine *m)
{
	return m ? m->name : "";
}

const char *inventory_profile_name(const struct inv_profile *p)
{
	return p ? p->name : "";
}

const char *inventory_generator(const struct inv_profile *p, unsigned *timeout_ms)
{
	if (!p || !p->generator)
		return NULL;
	*timeout_ms = p->timeout_s * 1000u;
	return p->generator;
}
