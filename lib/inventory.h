/* inventory: the machines and profiles file (INI, see examples/inventory.ini), matched
 * against the facts a client sends, and the iPXE script each decision renders to. */
#ifndef CB_INVENTORY_H
#define CB_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decide.h"
#include "diag.h"
#include "siteconf.h"

#define INV_NAME_MAX	    64	/* bytes of a machine or profile name */
#define INV_FACT_MAX	    256 /* bytes of one fact a client sends (SMBIOS strings are shorter) */
#define INV_MAX_MACHINES    65536
#define INV_MAX_PROFILES    1024
#define INV_MAX_VARS	    64		/* var.NAME keys per section */
#define INV_MAX_FILE	    (16u << 20) /* bytes of the inventory file */
#define INV_GEN_TIMEOUT_MAX 60		/* seconds a generator may be given */

/* Facts a client sends as query parameters (the chain script and the proxy's URL). */
enum inv_fact {
	INV_FACT_MAC,
	INV_FACT_UUID,
	INV_FACT_SERIAL,
	INV_FACT_MANUFACTURER,
	INV_FACT_PRODUCT,
	INV_FACT_ASSET,
	INV_FACT_HOSTNAME,
	INV_FACT_PLATFORM,
	INV_FACT_BUILDARCH,
	INV_FACT_UC,
	INV_N_FACTS
};

/* "mac", "uuid", ... for a fact; the index for a query key, or -1. */
const char *inventory_fact_name(enum inv_fact f);
int inventory_fact_index(const char *key);

struct inv_facts {
	const char *v[INV_N_FACTS]; /* decoded values as sent; NULL or "" when absent */
	const char *want_profile;   /* profile= (a choice made in the menu), or NULL */
	const char *client;	    /* the client's address, for {{client}} and CB_CLIENT */
	/* filled by inventory_facts_check(): */
	bool has_mac, has_uuid;
	uint8_t mac[6];
	uint8_t uuid[16];
	char mac_text[18];  /* "52:54:00:12:34:56" (lower case), "" when absent */
	char uuid_text[37]; /* 8-4-4-4-12 lower case, "" when absent */
};

/* Check and normalise the facts: MAC (52:54:00:12:34:56, 52-54-..., or 12 hex digits)
 * and UUID (8-4-4-4-12 or 32 hex digits), each fact at most INV_FACT_MAX bytes.
 * Returns 0, or -EINVAL with *why naming the fact (the request gets a 400). */
int inventory_facts_check(struct inv_facts *f, const char **why);

struct inventory;
struct inv_machine;
struct inv_profile;

/* Read path (NULL: an empty inventory, every machine gets the menu). Every problem is
 * reported, all at once, as "file:line: what is wrong, what to do"; templates are read
 * and compiled now (relative paths from the inventory's directory), so a request never
 * meets an unknown variable. Returns 0 or -errno (-EINVAL for a bad file) with d set. */
int inventory_load(const char *path, const struct site_config *cfg, struct inventory **out,
		   struct diag *d);

/* inventory_load() over a file's text already in memory: text[0..len) (a NUL byte ends
 * what the parser sees of its line), origin names it in messages ("origin:line: ..."), dir is
 * where relative template and generator paths start ("" or NULL: the working
 * directory). The text is parsed without any I/O; only the templates and generators
 * it names are read or checked. Returns 0 or -errno (-EINVAL for a bad text). */
int inventory_load_text(const char *text, size_t len, const char *origin, const char *dir,
			const struct site_config *cfg, struct inventory **out, struct diag *d);

/* Reference counting: a reload (SIGHUP) swaps the server's pointer and frees the old
 * inventory, while a generator started for a request may still point into it; the job
 * holds a reference. inventory_free() drops one and frees the last. NULL is fine. */
struct inventory *inventory_hold(struct inventory *inv);
void inventory_free(struct inventory *inv);

/* Has the file or one of its templates changed since it was read (mtime, size, inode)?
 * For a reload-on-change poll. */
bool inventory_changed(const struct inventory *inv);

/* Counts, for the log. */
void inventory_counts(const struct inventory *inv, size_t *machines, size_t *profiles);

/* The machine for these facts, first match wins: exact MAC, UUID, serial, hostname
 * (case-insensitive), then the longest mac_prefix. *by names the fact that matched.
 * NULL when the inventory (or inv itself) does not list it. */
const struct inv_machine *inventory_match(const struct inventory *inv, const struct inv_facts *f,
					  const char **by);

/* The proxy's question (part of the decision table): what does the inventory say of
 * the machine with this MAC (text, any form inventory_facts_check takes) and UUID
 * ("" or NULL when the client sent none)? Matches by MAC, UUID and mac_prefix only:
 * serial and hostname are not in a DHCP packet. inv may be NULL (unknown). */
enum decide_inv inventory_dhcp_verdict(const struct inventory *inv, const char *mac,
				       const char *uuid);

/* The same, and the matched machine's name in machine ("" when none; may be NULL). */
enum decide_inv inventory_dhcp_match(const struct inventory *inv, const char *mac, const char *uuid,
				     char *machine, size_t machinesz);

/* true when that machine is marked boot = local or boot = disabled: the proxy gives it
 * no answer at all. */
bool inventory_boot_local(const struct inventory *inv, const char *mac);

enum inv_decision {
	INV_DECIDE_PROFILE,  /* a listed machine: its profile */
	INV_DECIDE_CHOSEN,   /* an unlisted machine: the profile picked in the menu */
	INV_DECIDE_MENU,     /* an unlisted machine: the menu */
	INV_DECIDE_LOCAL,    /* boot = local: a script that exits to the next boot device */
	INV_DECIDE_DISABLED, /* boot = disabled: a script that says so and exits */
};

struct inv_result {
	enum inv_decision decision;
	const struct inv_machine *machine; /* NULL when unlisted */
	const struct inv_profile *profile; /* for PROFILE and CHOSEN */
	const char *by;			   /* what matched: "mac", "uuid", ... or "" */
	bool generator_failed; /* MENU because the profile's generator failed (set by caller) */
};

/* Decide what the client gets. f must have passed inventory_facts_check(). */
void inventory_decide(const struct inventory *inv, const struct inv_facts *f, struct inv_result *r);

/* "profile", "chosen", "menu", "local", "disabled". */
const char *inventory_decision_str(enum inv_decision d);
const char *inventory_machine_name(const struct inv_machine *m);
const char *inventory_profile_name(const struct inv_profile *p);

/* The profile's generator program (absolute path), or NULL when it has a template. */
const char *inventory_generator(const struct inv_profile *p, unsigned *timeout_ms);

/* Render the script for r (the profile's template, the menu, or the local/disabled
 * script) into out[0..cap), NUL-terminated. server_url is "http://LISTEN[:PORT]".
 * A profile with a generator renders the menu here (the caller runs the generator and
 * falls back to this). Returns 0 with *len set, or -ENOSPC. */
int inventory_render(const struct inventory *inv, const struct inv_result *r,
		     const struct inv_facts *f, const char *server_url, char *out, size_t cap,
		     size_t *len);

/* The environment for r's generator: CB_MAC, CB_UUID, CB_SERIAL, CB_MANUFACTURER,
 * CB_PRODUCT, CB_ASSET, CB_HOSTNAME, CB_PLATFORM, CB_BUILDARCH, CB_UC (as sent,
 * decoded; MAC and UUID normalised), CB_CLIENT, CB_MACHINE, CB_PROFILE, CB_SERVER,
 * CB_VAR_<NAME> for each variable, PATH. Strings go to buf; envp gets at most max-1
 * pointers and a NULL. Returns 0 or -ENOSPC. */
int inventory_generator_env(const struct inventory *inv, const struct inv_result *r,
			    const struct inv_facts *f, const char *server_url, char *buf,
			    size_t cap, char **envp, size_t max);

#endif
