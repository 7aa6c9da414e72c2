/* inventory_int: what the inventory's parts share behind inventory.h — the loaded
 * structure, the loading context, and each part's entry points:
 *   inventory_parse.c   text -> sections, keys, values (pure: no I/O)
 *   inventory_match.c   the index (names, identifiers, references) and matching
 *   inventory_render.c  templates: compiling, the menu, rendering, a generator's env
 *   inventory.c         loading a file (the only I/O: the file, templates, generators)
 * Not for use outside lib/inventory*.c. */
#ifndef CB_INVENTORY_INT_H
#define CB_INVENTORY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "diag.h"
#include "iniline.h"
#include "inventory.h"
#include "siteconf.h"
#include "template.h"

#define INV_MAX_ERRORS		 50
#define INV_GEN_TIMEOUT_DEFAULT	 5			 /* s */
#define INV_MENU_TIMEOUT_DEFAULT 30			 /* s */
#define INV_MENU_TIMEOUT_MAX	 86400			 /* s */
#define INV_TEXT_MAX		 255			 /* description, title, serial, hostname */
#define INV_MAX_INDEX		 (4u * INV_MAX_MACHINES) /* MAC, prefix, UUID, serial, hostname */
#define INV_VALUE_MAX		 4096			 /* a value continued over indented lines */

/* Template slots: the built-in names first (the facts, then these), then the profile's
 * variables. inv_builtin_name() has the names: the one list of them. */
enum {
	INV_SLOT_CLIENT = INV_N_FACTS,
	INV_SLOT_MACHINE,
	INV_SLOT_PROFILE,
	INV_SLOT_SERVER,
	INV_SLOT_SCRIPT_URL,
	INV_SLOT_QUERY,
	INV_N_BUILTIN
};

enum inv_boot { INV_BOOT_NETBOOT = 0, INV_BOOT_LOCAL, INV_BOOT_DISABLED };

struct inv_var {
	const char *name;
	const char *value;
	unsigned line;
	int slot; /* machine variables: the profile variable it overrides */
};

struct inv_tmpl {
	struct template *t;
	bool uses_query;
};

struct inv_profile {
	const char *name;
	unsigned line;
	const char *description;
	bool in_menu;
	const char *template_path; /* as written, for messages */
	const char *template_full;
	const char *generator;
	unsigned timeout_s;
	struct inv_var vars[INV_MAX_VARS];
	size_t n_vars;
	struct inv_tmpl tmpl;
	/* lines of the keys that later checks name (0: not given) */
	unsigned template_line, script_line, generator_line, timeout_line;
	/* while loading */
	char *script; /* inline script being gathered (malloc'd) */
	size_t script_len;
	unsigned *script_lines; /* file line of each script line, for messages */
	size_t n_script_lines;
};

struct inv_machine {
	const char *name;
	unsigned line;
	const char *profile_name;
	unsigned profile_line;
	const struct inv_profile *profile;
	enum inv_boot boot;
	size_t var_start, n_vars; /* in inventory.mvars */
	unsigned ids;		  /* identifiers given (mac, uuid, ...) */
};

struct inv_mac_ent {
	uint64_t key; /* the bytes, big-endian, left-aligned for prefixes */
	uint32_t len; /* bytes: 6 for a MAC, 1-5 for a prefix */
	uint32_t machine;
	unsigned line;
};

struct inv_uuid_ent {
	uint8_t u[16];
	uint32_t machine;
	unsigned line;
};

struct inv_str_ent {
	const char *s;
	uint32_t machine;
	unsigned line;
};

struct inv_file {
	const char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim;
};

struct inv_chunk {
	struct inv_chunk *next;
	size_t used, cap;
	char data[];
};

struct inventory {
	unsigned refs;
	const char *path;
	struct inv_chunk *chunks;
	struct inv_profile *profiles;
	size_t n_profiles, cap_profiles;
	struct inv_machine *machines;
	size_t n_machines, cap_machines;
	struct inv_var *mvars;
	size_t n_mvars, cap_mvars;
	struct inv_mac_ent *macs, *prefixes;
	size_t n_macs, cap_macs, n_prefixes, cap_prefixes;
	struct inv_uuid_ent *uuids;
	size_t n_uuids, cap_uuids;
	struct inv_str_ent *serials, *hostnames;
	size_t n_serials, cap_serials, n_hostnames, cap_hostnames;
	uint32_t *profile_order; /* profile indices sorted by name */
	struct inv_file *files;
	size_t n_files, cap_files;
	/* [menu] */
	const char *menu_default;
	unsigned menu_default_line;
	unsigned menu_timeout;
	const char *menu_title;
	struct inv_tmpl menu, local, disabled;
	struct inv_tmpl menu_failed; /* the menu for a listed machine whose generator failed */
};

/* The section being read. */
enum inv_sec { INV_SEC_NONE, INV_SEC_MENU, INV_SEC_PROFILE, INV_SEC_MACHINE, INV_SEC_BAD };

/* Every key of every section: inventory_parse.c's key table is indexed by this. */
enum inv_key {
	INV_KEY_MENU_DEFAULT,
	INV_KEY_MENU_TIMEOUT,
	INV_KEY_MENU_TITLE,
	INV_KEY_PROFILE_DESCRIPTION,
	INV_KEY_PROFILE_MENU,
	INV_KEY_PROFILE_TEMPLATE,
	INV_KEY_PROFILE_SCRIPT,
	INV_KEY_PROFILE_GENERATOR,
	INV_KEY_PROFILE_TIMEOUT,
	INV_KEY_PROFILE_VAR,
	INV_KEY_MACHINE_MAC,
	INV_KEY_MACHINE_MAC_PREFIX,
	INV_KEY_MACHINE_UUID,
	INV_KEY_MACHINE_SERIAL,
	INV_KEY_MACHINE_HOSTNAME,
	INV_KEY_MACHINE_PROFILE,
	INV_KEY_MACHINE_BOOT,
	INV_KEY_MACHINE_VAR,
	INV_N_KEYS
};

/* One load: where messages go and what the parser is in the middle of. */
struct inv_load {
	struct inventory *inv;
	const struct site_config *cfg;
	struct diag *d;
	struct iniline lines;
	const char *path; /* names the text in messages */
	char dir[4096];	  /* relative template and generator paths start here ("": cwd) */
	unsigned line;	  /* the line inih is at (it calls back right after reading one) */
	unsigned errors;
	unsigned err_lines[INV_MAX_ERRORS];
	size_t n_err_lines;
	enum inv_sec kind;
	size_t cur;
	char sec_text[INV_NAME_MAX + 16];
	unsigned seen[INV_N_KEYS]; /* line of each once-only key in this section, 0: not yet */
	bool cont;		   /* the line just read continues the key above (inih multiline) */
	bool have_key; /* a key was read in this section: an indented line continues it */
	bool menu_seen;
	int rc; /* -ENOMEM and such; -EINVAL is counted in errors */
};

/* ---- inventory_parse.c ---- */

/* "file:line: msg" (all of them, up to INV_MAX_ERRORS). */
void inv_lerr(struct inv_load *x, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void inv_oom(struct inv_load *x);

/* Memory that lives as long as the inventory. */
void *inv_arena(struct inventory *inv, size_t n);
char *inv_strndup(struct inventory *inv, const char *s, size_t n);
/* Make room for need elements of size in *pp (capacity *cap). Returns 0 or -ENOMEM. */
int inv_grow(void *pp, size_t *cap, size_t need, size_t size);

/* The name of a built-in template slot (a fact, client, machine, ...); the names joined
 * by sep into buf, for messages. */
const char *inv_builtin_name(int slot);
int inv_builtin_slot(const char *name, size_t len);
const char *inv_builtin_list(char *buf, size_t cap, const char *sep);

/* Identifiers: hex bytes (':' or '-' separated, or not), MAC, UUID, their text. */
int inv_parse_hexbytes(const char *s, size_t len, uint8_t *out, int max);
int inv_parse_mac(const char *s, size_t len, uint8_t mac[6]);
int inv_parse_uuid(const char *s, size_t len, uint8_t u[16]);
void inv_format_mac(const uint8_t m[6], char out[18]);
void inv_format_uuid(const uint8_t u[16], char out[37]);
uint64_t inv_mac_key(const uint8_t *b, size_t n);
bool inv_name_ok(const char *s);

/* Parse text[0..len) into x->inv (sections, keys, values, each checked). Pure: reads
 * nothing but the text; every problem goes to x via inv_lerr(). */
void inv_parse(struct inv_load *x, const char *text, size_t len);

/* ---- inventory_match.c ---- */

/* Profiles and machines by name (duplicates are errors; the profile index). */
void inv_index_names(struct inv_load *x);
/* Machines' profiles and variables, the menu's default, and the identifier index
 * (duplicates are errors). After inv_index_names(). */
void inv_index_machines(struct inv_load *x);
const struct inv_profile *inv_find_profile(const struct inventory *inv, const char *name);

/* ---- inventory_render.c ---- */

/* Compile p's script: text[0..len) is its template file's content, or NULL for its
 * inline script. Problems go to x. */
void inv_compile_profile(struct inv_load *x, struct inv_profile *p, char *text, size_t len);
/* The menu and the local/disabled scripts, once the profiles are known. */
void inv_compile_builtin(struct inv_load *x);

#endif
