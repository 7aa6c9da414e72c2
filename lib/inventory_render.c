/* inventory_render: the inventory's templates — each profile's script compiled once at
 * load (an unknown variable is a load error, never a request's), the menu for unlisted
 * machines, the local and disabled scripts — and rendering one for a decision, or the
 * environment a generator runs with (inventory.h).
 *
 * Untrusted input: the facts a client sent; they reach a script only through
 * template_escape() (values are escaped, never parsed as template text).
 */
#include "inventory_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainscript.h"

#define GEN_PATH "/usr/local/bin:/usr/bin:/bin"

/* ---- compiling ---- */

struct resolve_ctx {
	const struct inv_profile *p; /* NULL: built-in names only */
};

static int resolve(const char *name, size_t len, void *arg)
{
	const struct resolve_ctx *c = arg;
	int s = inv_builtin_slot(name, len);

	if (s >= 0)
		return s;
	for (size_t i = 0; c->p && i < c->p->n_vars; i++)
		if (strlen(c->p->vars[i].name) == len && !memcmp(c->p->vars[i].name, name, len))
			return INV_N_BUILTIN + (int)i;
	return -1;
}

static int compile(struct inv_tmpl *t, const char *text, size_t len, const struct inv_profile *p,
		   struct template_error *err)
{
	struct resolve_ctx c = { p };
	int rc = template_compile(text, len, resolve, &c, &t->t, err);

	if (!rc)
		t->uses_query = template_uses(t->t, INV_SLOT_QUERY);
	return rc;
}

/* A compile error, at the line of the file it comes from. */
static void compile_error(struct inv_load *x, const struct inv_profile *p,
			  const struct template_error *err)
{
	char names[256], hint[512] = "";
	unsigned line;

	if (strstr(err->msg, "unknown variable"))
		snprintf(hint, sizeof(hint),
			 " (built-in: %s; others: define var.NAME in [profile %s])",
			 inv_builtin_list(names, sizeof(names), " "), p->name);
	if (p->template_full) {
		inv_lerr(x, p->template_line, "[profile %s] template: %s:%u: %s%s", p->name,
			 p->template_path, err->line, err->msg, hint);
		return;
	}
	line = err->line && err->line <= p->n_script_lines ? p->script_lines[err->line - 1]
							   : p->script_line;
	inv_lerr(x, line, "[profile %s] script: %s%s", p->name, err->msg, hint);
}

void inv_compile_profile(struct inv_load *x, struct inv_profile *p, char *text, size_t len)
{
	struct template_error err = { 0, "" };
	const char *what = p->template_path;
	int rc;

	if (!text) {
		/* script_append() left room for this: iPXE reads the last line either way,
		 * but a script that ends in a newline is what every tool expects */
		p->script[p->script_len++] = '\n';
		p->script[p->script_len] = '\0';
		text = p->script;
		len = p->script_len;
		p->script = NULL;
		what = "script";
	}
	/* iPXE runs a downloaded file as a script only when it starts with this magic. */
	if (len < 6 || memcmp(text, "#!ipxe", 6)) {
		inv_lerr(x, p->template_full ? p->template_line : p->script_line,
			 "[profile %s] %s: does not start with \"#!ipxe\" "
			 "(iPXE treats anything else as a binary to boot)",
			 p->name, what);
	} else if ((rc = compile(&p->tmpl, text, len, p, &err)) == -EINVAL) {
		compile_error(x, p, &err);
	} else if (rc) {
		inv_lerr(x, p->line, "[profile %s]: %s", p->name, strerror(-rc));
	}
	free(text);
}

/* The menu for unlisted machines, made from the profiles (file order) as a template:
 * the same {{...}} machinery fills in the facts. intro: the line that says why this
 * machine sees it. Every way out that means "the next boot device" (cb-local, a chosen
 * script that returned or ran `exit N`: ${errno} below 256, which iPXE's own errors
 * never are) is `exit 1`: a UEFI boot manager takes status 0 as success and opens its
 * setup screen instead of the next boot option. */
static int menu_text(const struct inventory *inv, const char *intro, char **out, size_t *len)
{
	size_t cap = 8192 + inv->n_profiles * (INV_NAME_MAX + 4 * INV_TEXT_MAX + 16), n = 0;
	char *b = malloc(cap), q[CHAINSCRIPT_QUOTE_SIZE(INV_TEXT_MAX)];
	const char *def = inv->menu_default ? inv->menu_default : "cb-local";
	bool any = false;

#define ADD(...) (n < cap ? n += (size_t)snprintf(b + n, cap - n, __VA_ARGS__) : n)
	if (!b)
		return -ENOMEM;
	ADD("#!ipxe\n"
	    "# chainboot: the menu for machines the inventory does not list (made by chainbootd)\n"
	    "%s"
	    ":cb-menu\n",
	    intro);
	if (chainscript_quote(inv->menu_title ? inv->menu_title
					      : "chainboot: choose what this machine boots",
			      q, sizeof(q)))
		snprintf(q, sizeof(q), "chainboot");
	ADD("menu %s\n", q);
	for (size_t i = 0; i < inv->n_profiles; i++) {
		const struct inv_profile *p = &inv->profiles[i];
		if (!p->in_menu)
			continue;
		if (!any)
			ADD("item --gap Profiles\n");
		any = true;
		if (!p->description || chainscript_quote(p->description, q, sizeof(q)))
			snprintf(q, sizeof(q), "%s", p->name);
		ADD("item %s %s\n", p->name, q);
	}
	ADD("item --gap Other\n"
	    "item cb-local Boot from the next boot device (local disk)\n"
	    "item cb-retry Ask the inventory again\n"
	    "item cb-shell iPXE shell\n");
	if (inv->menu_timeout)
		ADD("choose --default %s --timeout %u cb-choice || set cb-choice cb-shell\n", def,
		    inv->menu_timeout * 1000u);
	else
		ADD("choose --default %s cb-choice || set cb-choice cb-shell\n", def);
	ADD("iseq ${cb-choice} cb-local && goto cb-local ||\n"
	    "iseq ${cb-choice} cb-shell && goto cb-shell ||\n"
	    "iseq ${cb-choice} cb-retry && goto cb-retry ||\n"
	    "echo chainboot: profile ${cb-choice}\n"
	    "chain --autofree {{script_url}}?{{query}}&profile=${cb-choice} && exit 1 ||\n"
	    "set cb-e:uint8 ${errno} ||\n"
	    "iseq ${cb-e} ${errno} && exit 1 ||\n"
	    "goto cb-failed\n"
	    ":cb-retry\n"
	    "chain --autofree {{script_url}}?{{query}} && exit 1 ||\n"
	    "set cb-e:uint8 ${errno} ||\n"
	    "iseq ${cb-e} ${errno} && exit 1 ||\n"
	    ":cb-failed\n"
	    "echo chainboot: that did not boot; back to the menu in 5 seconds\n"
	    "sleep 5 ||\n"
	    "goto cb-menu\n"
	    ":cb-shell\n"
	    "echo chainboot: iPXE shell (type exit to return to the menu)\n"
	    "shell ||\n"
	    "goto cb-menu\n"
	    ":cb-local\n"
	    "echo chainboot: exiting to the next boot device\n"
	    "exit 1\n");
#undef ADD
	if (n >= cap) {
		free(b);
		return -ENOSPC;
	}
	*out = b;
	*len = n;
	return 0;
}

/* exit 1, not 0: see menu_text. */
static const char local_text[] =
	"#!ipxe\n"
	"echo chainboot: {{machine}} boots from its local disk (inventory: boot = local)\n"
	"exit 1\n";
static const char menu_unlisted[] =
	"echo chainboot: this machine is not in the inventory (mac {{mac}} uuid {{uuid}} "
	"serial {{serial}})\n";
/* A listed machine whose profile's generator failed: say so, not "not listed". */
static const char menu_gen_failed[] =
	"echo chainboot: {{machine}} is in the inventory, but the script generator of profile "
	"{{profile}} failed (chainbootd's log says why): the menu instead\n";

static const char disabled_text[] =
	"#!ipxe\n"
	"echo chainboot: {{machine}} is disabled in the inventory (boot = disabled): not "
	"booting from the network\n"
	"exit 1\n";

void inv_compile_builtin(struct inv_load *x)
{
	struct inventory *inv = x->inv;
	struct template_error err;
	char *text;
	size_t len;

	memset(&err, 0, sizeof(err));
	if (menu_text(inv, menu_unlisted, &text, &len))
		return inv_oom(x);
	if (compile(&inv->menu, text, len, NULL, &err)) {
		free(text);
		inv_lerr(x, 0, "internal: the built-in menu does not compile: line %u: %s",
			 err.line, err.msg);
		return;
	}
	free(text);
	if (menu_text(inv, menu_gen_failed, &text, &len))
		return inv_oom(x);
	if (compile(&inv->menu_failed, text, len, NULL, &err) ||
	    compile(&inv->local, local_text, sizeof(local_text) - 1, NULL, &err) ||
	    compile(&inv->disabled, disabled_text, sizeof(disabled_text) - 1, NULL, &err))
		inv_lerr(x, 0, "internal: the built-in menu does not compile: line %u: %s",
			 err.line, err.msg);
	free(text);
}

/* ---- rendering ---- */

/* The facts again as a query string, each value escaped (so also safe in a script). */
static size_t build_query(const struct inv_facts *f, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; i < INV_N_FACTS; i++) {
		const char *v = f->v[i];
		if (i == INV_FACT_MAC || i == INV_FACT_UUID) /* as normalised */
			v = i == INV_FACT_MAC ? f->mac_text : f->uuid_text;
		const char *k = inv_builtin_name(i);
		size_t kl = strlen(k);
		int n;
		if (!v || !*v)
			continue;
		if (kl + 2 >= cap - o)
			break;
		if (o)
			out[o++] = '&';
		memcpy(out + o, k, kl);
		o += kl;
		out[o++] = '=';
		n = template_escape(v, strnlen(v, INV_FACT_MAX), out + o, cap - o);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	out[o] = '\0';
	return o;
}

int inventory_render(const struct inventory *inv, const struct inv_result *r,
		     const struct inv_facts *f, const char *server_url, char *out, size_t cap,
		     size_t *len)
{
	struct template_value v[INV_N_BUILTIN + INV_MAX_VARS];
	char script_url[SITE_URL_MAX],
		query[INV_N_FACTS * (16 + TEMPLATE_ESCAPE_SIZE(INV_FACT_MAX))];
	const struct inv_profile *p = NULL;
	const struct inv_tmpl *t;
	size_t nv = INV_N_BUILTIN, su;

	if (!inv)
		return -EINVAL;
	switch (r->decision) {
	case INV_DECIDE_PROFILE:
	case INV_DECIDE_CHOSEN:
		p = r->profile;
		t = p && p->tmpl.t ? &p->tmpl
				   : &inv->menu; /* a generator profile falls back to the menu */
		if (t == &inv->menu)
			p = NULL;
		break;
	case INV_DECIDE_LOCAL:
		t = &inv->local;
		break;
	case INV_DECIDE_DISABLED:
		t = &inv->disabled;
		break;
	default:
		t = r->generator_failed ? &inv->menu_failed : &inv->menu;
		break;
	}
	for (int i = 0; i < INV_N_FACTS; i++) {
		const char *s = f->v[i];
		if (i == INV_FACT_MAC || i == INV_FACT_UUID) /* as normalised */
			s = i == INV_FACT_MAC ? f->mac_text : f->uuid_text;
		v[i] = (struct template_value){ s, s ? strnlen(s, INV_FACT_MAX) : 0, true };
	}
	v[INV_SLOT_CLIENT] =
		(struct template_value){ f->client, f->client ? strnlen(f->client, 64) : 0, true };
	v[INV_SLOT_MACHINE] = (struct template_value){ inventory_machine_name(r->machine),
						       strlen(inventory_machine_name(r->machine)),
						       true };
	v[INV_SLOT_PROFILE] = (struct template_value){ inventory_profile_name(r->profile),
						       strlen(inventory_profile_name(r->profile)),
						       true };
	su = strnlen(server_url, SITE_URL_MAX - 16);
	v[INV_SLOT_SERVER] = (struct template_value){ server_url, su, false };
	memcpy(script_url, server_url, su);
	memcpy(script_url + su, "/boot.ipxe", 11);
	v[INV_SLOT_SCRIPT_URL] = (struct template_value){ script_url, su + 10, false };
	v[INV_SLOT_QUERY] = (struct template_value){
		query, t->uses_query ? build_query(f, query, sizeof(query)) : 0, false
	};
	if (p) {
		for (size_t i = 0; i < p->n_vars; i++)
			v[INV_N_BUILTIN + i] = (struct template_value){ p->vars[i].value,
									strlen(p->vars[i].value),
									false };
		nv += p->n_vars;
		for (size_t k = 0; r->machine && k < r->machine->n_vars; k++) {
			const struct inv_var *mv = &inv->mvars[r->machine->var_start + k];
			if (mv->slot >= 0 && (size_t)mv->slot < p->n_vars)
				v[INV_N_BUILTIN + mv->slot] = (struct template_value){
					mv->value, strlen(mv->value), false
				};
		}
	}
	return template_render(t->t, v, nv, out, cap, len);
}

/* CB_MAC, CB_UUID, ...: the built-in name in capitals. */
static const char *env_name(int slot, char *buf, size_t cap)
{
	const char *s = inv_builtin_name(slot);
	size_t i = 0;

	for (; s[i] && i + 1 < cap; i++)
		buf[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 32) : s[i];
	buf[i] = '\0';
	return buf;
}

static int env_add(char *buf, size_t cap, size_t *used, char **envp, size_t max, size_t *n,
		   const char *k1, const char *k2, const char *val)
{
	int len;

	if (*n + 1 >= max || *used >= cap)
		return -ENOSPC;
	len = snprintf(buf + *used, cap - *used, "%s%s=%s", k1, k2, val ? val : "");
	if (len < 0 || (size_t)len >= cap - *used)
		return -ENOSPC;
	envp[(*n)++] = buf + *used;
	*used += (size_t)len + 1;
	return 0;
}

int inventory_generator_env(const struct inventory *inv, const struct inv_result *r,
			    const struct inv_facts *f, const char *server_url, char *buf,
			    size_t cap, char **envp, size_t max)
{
	const struct inv_profile *p = r->profile;
	size_t used = 0, n = 0;
	int rc = 0;

	if (max == 0)
		return -ENOSPC;
	for (int i = 0; i < INV_N_FACTS && !rc; i++) {
		const char *s = f->v[i];
		char up[INV_NAME_MAX];
		if (i == INV_FACT_MAC || i == INV_FACT_UUID) /* as normalised */
			s = i == INV_FACT_MAC ? f->mac_text : f->uuid_text;
		rc = env_add(buf, cap, &used, envp, max, &n, "CB_", env_name(i, up, sizeof(up)), s);
	}
	if (!rc)
		rc = env_add(buf, cap, &used, envp, max, &n, "CB_", "CLIENT", f->client);
	if (!rc)
		rc = env_add(buf, cap, &used, envp, max, &n, "CB_", "MACHINE",
			     inventory_machine_name(r->machine));
	if (!rc)
		rc = env_add(buf, cap, &used, envp, max, &n, "CB_", "PROFILE",
			     inventory_profile_name(p));
	if (!rc)
		rc = env_add(buf, cap, &used, envp, max, &n, "CB_", "SERVER", server_url);
	if (!rc)
		rc = env_add(buf, cap, &used, envp, max, &n, "PATH", "", GEN_PATH);
	for (size_t i = 0; p && i < p->n_vars && !rc; i++) {
		const char *val = p->vars[i].value;
		/* the machine's own value wins, as in templates */
		for (size_t k = 0; inv && r->machine && k < r->machine->n_vars; k++)
			if (inv->mvars[r->machine->var_start + k].slot == (int)i)
				val = inv->mvars[r->machine->var_start + k].value;
		rc = env_add(buf, cap, &used, envp, max, &n, "CB_VAR_", p->vars[i].name, val);
	}
	if (rc)
		return rc;
	envp[n] = NULL;
	return 0;
}
