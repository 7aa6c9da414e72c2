/* chainbootd: proxyDHCP + TFTP + HTTP inventory in one process and one event loop.
 * Reads the site file and the command line (trusted: the administrator's), binds its
 * ports as root, prepares the boot files, drops to an unprivileged user before the
 * first packet is read, then serves until SIGTERM/SIGINT; SIGHUP reloads the inventory.
 * Errors are printed here, once; events are key=value lines on stderr. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootfiles.h"
#include "decide.h"
#include "diag.h"
#include "hostcheck.h"
#include "http.h"
#include "inventory.h"
#include "listenaddr.h"
#include "log.h"
#include "loop.h"
#include "ipxecache.h"
#include "notify.h"
#include "privdrop.h"
#include "proxydhcp.h"
#include "ra.h"
#include "server.h"
#include "siteconf.h"
#include "status.h"
#include "timeline.h"
#include "tftp.h"

#ifndef CHAINBOOT_VERSION
#define CHAINBOOT_VERSION "0.1.0"
#endif

static const char usage_text[] =
	"usage: chainbootd [-c SITE.INI] [options]\n"
	"\n"
	"proxyDHCP (boot information only, never an address), TFTP and HTTP for network boot,\n"
	"with per-machine iPXE scripts from an inventory. Runs in the foreground; one log line\n"
	"per event on stderr. Start as root: it binds ports 67, 4011, 69 and the HTTP port, then\n"
	"drops to [server] user. SIGHUP reloads the inventory; SIGTERM/SIGINT stop.\n"
	"\n"
	"  -c, --config FILE        site file (INI; the same one chainboot build reads)\n"
	"      --check              check the configuration and inventory, print \"configuration "
	"OK\", exit\n"
	"  -v, --verbose            also log debug events (e.g. DHCP traffic that is not PXE)\n"
	"      --log-format text|json  log lines as key=value (default) or one JSON object each\n"
	"\n"
	"every site-file key is also an option (the option wins):\n"
	"  [server] --listen ADDR   the IPv4 address served on: next-server, server id, URLs "
	"(required)\n"
	"           --interface IF  answer proxyDHCP only on IF (repeat or comma-separate; default "
	"all)\n"
	"           --http-port N   HTTP port (default 80)\n"
	"           --boot-root DIR extra files served read-only by TFTP and HTTP (default "
	"/srv/chainboot)\n"
	"           --inventory FILE machines and profiles (default none: every machine gets the "
	"menu)\n"
	"           --user NAME     drop to this user after binding (default nobody)\n"
	"           --proxydhcp yes|no, --no-proxydhcp   answer PXE clients on ports 67/4011 "
	"(default yes)\n"
	"           --tftp yes|no, --no-tftp             serve TFTP on port 69 (default yes)\n"
	"           --ra-answer on|off                   answer the IPv6 router solicitation of "
	"a\n"
	"                                    client being booted: no router (default on)\n"
	"           --efi-binary snponly|ipxe            what UEFI x86_64 clients get (default "
	"snponly)\n"
	"           --uefi-strategy auto|4011|option43   how UEFI PXE ROMs are answered (default "
	"auto)\n"
	"           --tftp-max N, --http-max N           concurrent transfers / connections\n"
	"  [site]   --user-class CLASS                   our iPXE's DHCP user-class (default "
	"CSTM)\n"
	"           --label LABEL\n"
	"  [chain]  --url URL (repeat)                   URLs in autoexec.ipxe (default "
	"http://LISTEN[:PORT]/boot.ipxe)\n"
	"           --rounds N, --backoff S, --dhcp-tries N, --http-timeout S, --menu-timeout S,\n"
	"           --try-offered yes|no\n"
	"  [image]  --ipxe-dir DIR                       iPXE binaries (default: the cache "
	"chainboot-fetch-ipxe fills)\n"
	"           --rebrand auto|yes|no\n"
	"  [secureboot] --secure-boot off|db|shim|vendor  db (and shim): serve EFI binaries "
	"signed\n"
	"           --sb-key FILE, --sb-cert FILE        with this key; vendor: unchanged\n";

/* Long options that map one-to-one onto a site-file key. */
static const struct {
	const char *flag, *section, *key;
} key_opts[] = {
	{ "listen", "server", "listen" },
	{ "interface", "server", "interface" },
	{ "http-port", "server", "http_port" },
	{ "boot-root", "server", "boot_root" },
	{ "inventory", "server", "inventory" },
	{ "user", "server", "user" },
	{ "proxydhcp", "server", "proxydhcp" },
	{ "tftp", "server", "tftp" },
	{ "ra-answer", "server", "ra_answer" },
	{ "efi-binary", "server", "efi_binary" },
	{ "uefi-strategy", "server", "uefi_strategy" },
	{ "tftp-max", "server", "tftp_max" },
	{ "http-max", "server", "http_max" },
	{ "user-class", "site", "user_class" },
	{ "label", "site", "label" },
	{ "url", "chain", "url" },
	{ "rounds", "chain", "rounds" },
	{ "backoff", "chain", "backoff" },
	{ "dhcp-tries", "chain", "dhcp_tries" },
	{ "http-timeout", "chain", "http_timeout" },
	{ "menu-timeout", "chain", "menu_timeout" },
	{ "try-offered", "chain", "try_offered" },
	{ "ipxe-dir", "image", "ipxe_dir" },
	{ "rebrand", "image", "rebrand" },
	{ "secure-boot", "secureboot", "mode" },
	{ "sb-key", "secureboot", "key" },
	{ "sb-cert", "secureboot", "cert" },
};
#define N_KEY_OPTS (sizeof(key_opts) / sizeof(key_opts[0]))

enum {
	OPT_KEY = 1000,
	OPT_CHECK = 2000,
	OPT_NO_PROXYDHCP,
	OPT_NO_TFTP,
	OPT_VERSION,
	OPT_LOG_FORMAT
};

struct override {
	const char *section, *key, *value;
	char where[32];
};

struct cli {
	const char *config;
	bool check, verbose, urls_given;
	struct override ov[128];
	unsigned n_ov;
	char iface_list[256]; /* --interface given several times: joined */
	bool iface_given;
};

struct daemon {
	struct site_config cfg;
	struct server srv;
	struct loop *loop;
	struct bootfiles bf;
	struct privdrop pd;
	struct proxydhcp *pdhcp;
	struct ra *ra;
	struct tftp *tftp;
	struct http *http;
	struct status *status;
	int stop_signal;
	struct loop_timer poll; /* inventory change poll */
	struct stat bad_st;	/* the inventory file as it was when it last failed to load */
	bool bad_known;
};

static int parse_cli(int argc, char **argv, struct cli *cl, struct diag *d)
{
	static struct option opts[N_KEY_OPTS + 9];
	size_t n = 0;
	int o, idx;

	for (size_t i = 0; i < N_KEY_OPTS; i++)
		opts[n++] = (struct option){ key_opts[i].flag, required_argument, NULL,
					     OPT_KEY + (int)i };
	opts[n++] = (struct option){ "config", required_argument, NULL, 'c' };
	opts[n++] = (struct option){ "check", no_argument, NULL, OPT_CHECK };
	opts[n++] = (struct option){ "no-proxydhcp", no_argument, NULL, OPT_NO_PROXYDHCP };
	opts[n++] = (struct option){ "no-tftp", no_argument, NULL, OPT_NO_TFTP };
	opts[n++] = (struct option){ "verbose", no_argument, NULL, 'v' };
	opts[n++] = (struct option){ "version", no_argument, NULL, OPT_VERSION };
	opts[n++] = (struct option){ "log-format", required_argument, NULL, OPT_LOG_FORMAT };
	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[n] = (struct option){ 0 };

	while ((o = getopt_long(argc, argv, "c:vh", opts, &idx)) != -1) {
		const char *sec = NULL, *key = NULL, *val = optarg;
		char where[32] = "";
		if (o >= OPT_KEY && o < OPT_KEY + (int)N_KEY_OPTS) {
			sec = key_opts[o - OPT_KEY].section;
			key = key_opts[o - OPT_KEY].key;
			snprintf(where, sizeof(where), "--%s", key_opts[o - OPT_KEY].flag);
			if (!strcmp(key, "url"))
				cl->urls_given = true;
			if (!strcmp(key, "interface")) {
				/* Repeated --interface adds; the site file's list is replaced. */
				size_t used = strlen(cl->iface_list);
				snprintf(cl->iface_list + used, sizeof(cl->iface_list) - used,
					 "%s%s", used ? "," : "", optarg);
				cl->iface_given = true;
				continue;
			}
		} else {
			switch (o) {
			case 'c':
				cl->config = optarg;
				continue;
			case 'v':
				cl->verbose = true;
				continue;
			case OPT_CHECK:
				cl->check = true;
				continue;
			case OPT_NO_PROXYDHCP:
				sec = "server", key = "proxydhcp", val = "no";
				snprintf(where, sizeof(where), "--no-proxydhcp");
				break;
			case OPT_NO_TFTP:
				sec = "server", key = "tftp", val = "no";
				snprintf(where, sizeof(where), "--no-tftp");
				break;
			case OPT_LOG_FORMAT:
				if (log_set_format(optarg))
					return diag_set(d, -EINVAL,
							"--log-format %s: unknown (allowed: text, "
							"json)",
							optarg);
				continue;
			case OPT_VERSION:
				printf("chainbootd %s\n", CHAINBOOT_VERSION);
				exit(0);
			case 'h':
				fputs(usage_text, stdout);
				exit(0);
			default:
				return diag_set(d, -EINVAL,
						"see chainbootd --help for the options");
			}
		}
		if (cl->n_ov >= sizeof(cl->ov) / sizeof(cl->ov[0]))
			return diag_set(d, -E2BIG, "too many options");
		cl->ov[cl->n_ov].section = sec;
		cl->ov[cl->n_ov].key = key;
		cl->ov[cl->n_ov].value = val;
		snprintf(cl->ov[cl->n_ov].where, sizeof(cl->ov[0].where), "%s", where);
		cl->n_ov++;
	}
	if (optind < argc)
		return diag_set(d, -EINVAL,
				"unexpected argument \"%s\" (the site file is given with -c)",
				argv[optind]);
	return 0;
}

/* Does url start with "http://HOST[:PORT]/" for this host and port (":80" optional)?
 * Returns the length of that prefix without its '/', or 0. */
static size_t url_on(const char *url, const char *host, unsigned port)
{
	char a[96], b[96];
	size_t n;

	snprintf(a, sizeof(a), "http://%s:%u/", host, port);
	snprintf(b, sizeof(b), "http://%s/", host);
	n = strlen(a);
	if (!strncmp(url, a, n))
		return n - 1;
	n = strlen(b);
	return port == 80 && !strncmp(url, b, n) ? n - 1 : 0;
}

/* The site file's URLs that name the site file's own server follow --listen and
 * --http-port: autoexec.ipxe would otherwise send UEFI clients to a server that is not
 * this one first. Other URLs (an inventory elsewhere) are left as they are. */
static void urls_follow_server(struct site_config *c, const char *old_host, unsigned old_port)
{
	char base[96], url[SITE_URL_MAX];

	if (!old_host[0] || (!strcmp(old_host, c->listen) && old_port == c->http_port))
		return;
	if (decide_base_url(c, base, sizeof(base)))
		return;
	for (unsigned i = 0; i < c->n_urls; i++) {
		size_t n = url_on(c->urls[i], old_host, old_port);

		if (!n ||
		    snprintf(url, sizeof(url), "%s%s", base, c->urls[i] + n) >= (int)sizeof(url))
			continue;
		log_event("config",
			  "url=%u was=\"%s\" now=\"%s\" why=\"follows --listen/--http-port\"",
			  i + 1, c->urls[i], url);
		snprintf(c->urls[i], sizeof(c->urls[i]), "%s", url);
	}
}

/* Defaults, the site file, the command line; then what only the daemon needs. */
static int load_config(const struct cli *cl, struct site_config *c, struct diag *d)
{
	char file_host[sizeof(c->listen)];
	unsigned file_port;
	int rc = 0;

	site_defaults(c);
	if (cl->config)
		rc = site_load(c, cl->config, d);
	if (rc && rc != -EINVAL)
		return rc;
	snprintf(file_host, sizeof(file_host), "%s", c->listen);
	file_port = c->http_port;
	if (cl->urls_given)
		site_clear_urls(c);
	if (cl->iface_given && site_set(c, "server", "interface", cl->iface_list, "--interface", d))
		rc = -EINVAL;
	for (unsigned i = 0; i < cl->n_ov; i++)
		if (site_set(c, cl->ov[i].section, cl->ov[i].key, cl->ov[i].value, cl->ov[i].where,
			     d))
			rc = -EINVAL;
	if (!c->listen[0])
		rc = diag_add(
			d, -EINVAL,
			"%s: [server] listen: not set: give the IPv4 address chainbootd serves on "
			"(--listen ADDR): it goes into every reply as next-server and server "
			"identifier",
			c->source[0] ? c->source : "configuration");
	if (!rc && listenaddr_resolve(c, d))
		rc = -EINVAL;
	/* With no [chain] url, autoexec.ipxe asks this server itself. */
	if (!rc && c->n_urls == 0) {
		char url[64];
		if (c->http_port == 80)
			snprintf(url, sizeof(url), "http://%s/boot.ipxe", c->listen);
		else
			snprintf(url, sizeof(url), "http://%s:%u/boot.ipxe", c->listen,
				 c->http_port);
		if (site_set(c, "chain", "url", url, "default URL", d))
			rc = -EINVAL;
	}
	if (!rc && !cl->urls_given)
		urls_follow_server(c, file_host, file_port);
	if (!rc && site_validate(c, d))
		rc = -EINVAL;
	return rc;
}

static int fail(struct diag *d, int rc)
{
	fprintf(stderr, "chainbootd: %s\n", d->msg[0] ? d->msg : strerror(-rc));
	return rc == -EINVAL ? 2 : 1;
}

/* ---- inventory ---- */

static enum decide_inv inv_verdict(const struct server *s, char *machine, size_t machinesz,
				   const char *mac, const char *uuid)
{
	return inventory_dhcp_match(s->inv, mac, uuid, machine, machinesz);
}

static int inventory_check(const struct site_config *c, struct server *s, struct diag *d)
{
	/* No file: s->inv stays NULL, every machine is unknown and gets the menu. */
	if (!c->inventory[0])
		return 0;
	return inventory_load(c->inventory, c, &s->inv, d);
}

/* Load the inventory again; a broken file keeps the one in use (and every boot in
 * flight, which holds its own reference). trigger: "signal" or "change". */
static void reload(struct daemon *dm, const char *trigger)
{
	struct inventory *inv = NULL;
	struct diag d = { { 0 } };
	char q[1200], f[600];
	size_t machines = 0, profiles = 0;

	if (!dm->cfg.inventory[0]) {
		log_event("reload", "trigger=%s status=skipped reason=\"no inventory configured\"",
			  trigger);
		return;
	}
	log_quote(dm->cfg.inventory, f, sizeof(f));
	if (inventory_load(dm->cfg.inventory, &dm->cfg, &inv, &d)) {
		/* Remember the broken version, so the change poll does not retry (and log)
		 * it every turn; the next edit is tried again. */
		if (!stat(dm->cfg.inventory, &dm->bad_st))
			dm->bad_known = true;
		timeline_reload(dm->srv.tl, dm->cfg.inventory, d.msg);
		log_event("reload", "trigger=%s file=%s status=failed kept=previous error=%s",
			  trigger, f, log_quote(d.msg, q, sizeof(q)));
		return;
	}
	dm->bad_known = false;
	inventory_free(dm->srv.inv);
	dm->srv.inv = inv;
	inventory_counts(inv, &machines, &profiles);
	timeline_reload(dm->srv.tl, dm->cfg.inventory, NULL);
	log_event("reload", "trigger=%s file=%s status=ok machines=%zu profiles=%zu", trigger, f,
		  machines, profiles);
}

/* READY=1 (or, ready false, only) the status line for systemd; after a failed reload the
 * status says so. */
static void daemon_notify(const struct daemon *dm, bool ready)
{
	const char *note = dm->bad_known ? "last reload failed, previous inventory kept" : NULL;
	size_t machines = 0, profiles = 0;

	if (dm->srv.inv)
		inventory_counts(dm->srv.inv, &machines, &profiles);
	if (ready)
		notify_ready(&dm->cfg, machines, profiles, note);
	else
		notify_status(&dm->cfg, machines, profiles, note);
}

static void on_hup(struct loop *l, int signo, void *arg)
{
	(void)l;
	(void)signo;
	notify_reloading();
	reload(arg, "signal");
	daemon_notify(arg, true);
}

/* Reload on file change too: a cheap stat poll (inventory_changed) every 2 s, so an
 * edited file takes effect without a signal and without inotify's rename pitfalls. */
#define INVENTORY_POLL_MS 2000
static void on_poll(struct loop *l, void *arg)
{
	struct daemon *dm = arg;
	struct stat st;

	if (dm->cfg.inventory[0] && inventory_changed(dm->srv.inv)) {
		bool same_bad = dm->bad_known && !stat(dm->cfg.inventory, &st) &&
				st.st_ino == dm->bad_st.st_ino &&
				st.st_size == dm->bad_st.st_size &&
				st.st_mtim.tv_sec == dm->bad_st.st_mtim.tv_sec &&
				st.st_mtim.tv_nsec == dm->bad_st.st_mtim.tv_nsec;
		if (!same_bad) {
			reload(dm, "change");
			daemon_notify(dm, false);
		}
	}
	loop_timer_set(l, &dm->poll, INVENTORY_POLL_MS, on_poll, dm);
}

static void on_stop(struct loop *l, int signo, void *arg)
{
	struct daemon *dm = arg;
	dm->stop_signal = signo;
	notify_stopping();
	loop_stop(l);
}

/* ---- start-up ---- */

static int open_services(struct daemon *dm, struct diag *d)
{
	int rc;

	if (dm->cfg.proxydhcp) {
		rc = proxydhcp_open(&dm->srv, inv_verdict, &dm->pdhcp, d);
		if (rc)
			return rc;
	}
	if (dm->cfg.ra_answer) {
		struct diag rd = { { 0 } };
		char q[600];
		/* A speed-up, not a service: a host without IPv6 on the boot LAN still boots
		 * its clients, only slower. */
		if (ra_open(&dm->srv, &dm->ra, &rd))
			log_event("ra",
				  "status=unavailable error=%s note=\"PXE clients wait for "
				  "IPv6 autoconfiguration to time out\"",
				  log_quote(rd.msg, q, sizeof(q)));
		dm->srv.ra = dm->ra;
	}
	if (dm->cfg.tftp) {
		rc = tftp_open(&dm->srv, &dm->tftp, d);
		if (rc)
			return rc;
	}
	rc = http_open(&dm->srv, &dm->http, d);
	if (rc)
		return rc;
	return status_open(&dm->srv, &dm->status, d);
}

static int start_services(struct daemon *dm, struct diag *d)
{
	int rc = 0;

	if (dm->tftp && (rc = tftp_start(dm->tftp)))
		return diag_set(d, rc, "TFTP: cannot start: %s", strerror(-rc));
	if (dm->http && (rc = http_start(dm->http)))
		return diag_set(d, rc, "HTTP: cannot start: %s", strerror(-rc));
	if ((rc = status_start(dm->status)))
		return diag_set(d, rc, "status: cannot start: %s", strerror(-rc));
	return 0;
}

static void close_services(struct daemon *dm)
{
	status_close(&dm->srv, dm->status);
	dm->status = NULL;
	http_close(dm->http);
	dm->http = NULL;
	tftp_close(dm->tftp);
	dm->tftp = NULL;
	proxydhcp_close(dm->pdhcp);
	dm->pdhcp = NULL;
	dm->srv.ra = NULL;
	ra_close(dm->ra);
	dm->ra = NULL;
}

static void log_bootfiles(const struct bootfiles *bf)
{
	char q[600];

	for (size_t i = 0; i < bf->n; i++)
		log_event("bootfile", "name=%s bytes=%zu source=%s", bf->files[i].name,
			  bf->files[i].len, bf->how[i]);
	if (bf->missing[0])
		log_event("bootfile", "missing=%s dir=%s note=\"not offered to any client\"",
			  bf->missing, bf->ipxe_dir);
	if (bf->stock_why[0])
		log_event("bootfile", "warning=%s", log_quote(bf->stock_why, q, sizeof(q)));
	if (bf->sb_note[0])
		log_event("bootfile", "secureboot=%s", log_quote(bf->sb_note, q, sizeof(q)));
}

/* --check: "configuration OK" means it will start: the address, interfaces and files on
 * this host too, and the iPXE binaries found. */
static int check_only(struct daemon *dm, struct diag *d)
{
	char dir[PATH_MAX], note[PATH_MAX + 100];
	int rc = hostcheck_run(&dm->cfg, &dm->pd, !strcmp(dm->cfg.boot_root, SITE_BOOT_ROOT), note,
			       sizeof(note), d);

	if (!rc)
		rc = status_check(&dm->cfg, d);
	if (!rc)
		rc = ipxecache_find_dir(&dm->cfg, dir, sizeof(dir), d);
	if (rc) {
		inventory_free(dm->srv.inv);
		return fail(d, rc);
	}
	if (note[0])
		fprintf(stderr, "chainbootd: note: %s\n", note);
	printf("configuration OK\n");
	if (dm->cfg.inventory[0]) {
		size_t machines = 0, profiles = 0;
		inventory_counts(dm->srv.inv, &machines, &profiles);
		printf("inventory %s: %zu machines, %zu profiles\n", dm->cfg.inventory, machines,
		       profiles);
	}
	inventory_free(dm->srv.inv);
	printf("iPXE binaries: %s\n", dir);
	return 0;
}

int main(int argc, char **argv)
{
	static struct cli cl;
	static struct daemon dm;
	struct diag d = { { 0 } };
	char ifaces[256] = "", q[300];
	int rc;

	if (parse_cli(argc, argv, &cl, &d))
		return fail(&d, -EINVAL);
	rc = load_config(&cl, &dm.cfg, &d);
	if (rc)
		return fail(&d, rc);
	log_set_quiet(!cl.verbose);
	dm.srv.cfg = &dm.cfg;
	dm.srv.boot_root_fd = -1;
	rc = privdrop_resolve(dm.cfg.user, &dm.pd, &d);
	if (!rc)
		rc = inventory_check(&dm.cfg, &dm.srv, &d);
	if (rc)
		return fail(&d, rc);
	if (cl.check)
		return check_only(&dm, &d);

	rc = loop_new(&dm.loop);
	if (rc)
		return fail(&d, diag_set(&d, rc, "event loop: %s", strerror(-rc)));
	dm.srv.loop = dm.loop;
	/* boot_root is optional: without it only the built-in files are served. */
	dm.srv.boot_root_fd = open(dm.cfg.boot_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dm.srv.boot_root_fd < 0)
		log_event("boot_root",
			  "dir=%s status=unavailable error=%s note=\"serving the built-in files "
			  "only\"",
			  log_quote(dm.cfg.boot_root, q, sizeof(q)),
			  log_quote(strerror(errno), q + 150, 150));
	/* Every port first, as root; nothing is read until the loop runs. */
	rc = open_services(&dm, &d);
	if (!rc)
		rc = bootfiles_prepare(&dm.cfg, &dm.bf, &d);
	if (rc)
		goto out;
	dm.srv.files = dm.bf.files;
	dm.srv.n_files = dm.bf.n;
	log_bootfiles(&dm.bf);
	/* Before the first packet is read: no parser ever runs as root. */
	rc = privdrop_apply(&dm.pd, &d);
	if (rc)
		goto out;
	rc = start_services(&dm, &d);
	if (!rc)
		rc = loop_signal(dm.loop, SIGHUP, on_hup, &dm);
	if (!rc)
		rc = loop_signal(dm.loop, SIGTERM, on_stop, &dm);
	if (!rc)
		rc = loop_signal(dm.loop, SIGINT, on_stop, &dm);
	if (!rc)
		loop_timer_set(dm.loop, &dm.poll, INVENTORY_POLL_MS, on_poll, &dm);
	if (rc) {
		diag_set(&d, rc, "starting: %s", strerror(-rc));
		goto out;
	}
	for (unsigned i = 0; i < dm.cfg.n_interfaces; i++)
		snprintf(ifaces + strlen(ifaces), sizeof(ifaces) - strlen(ifaces), "%s%s",
			 i ? "," : "", dm.cfg.interfaces[i]);
	{
		char qi[600];
		size_t machines = 0, profiles = 0;
		if (dm.srv.inv)
			inventory_counts(dm.srv.inv, &machines, &profiles);
		log_event("start",
			  "version=%s listen=%s interfaces=%s proxydhcp=%s tftp=%s ra_answer=%s "
			  "http_port=%u "
			  "user=%s uid=%u "
			  "user_class=%s uefi_strategy=%s efi_binary=%s inventory=%s machines=%zu "
			  "profiles=%zu",
			  CHAINBOOT_VERSION, dm.cfg.listen, ifaces[0] ? ifaces : "all",
			  dm.cfg.proxydhcp ? "yes" : "no", dm.cfg.tftp ? "yes" : "no",
			  dm.ra		     ? "on"
			  : dm.cfg.ra_answer ? "unavailable"
					     : "off",
			  dm.cfg.http_port, dm.pd.was_root ? dm.cfg.user : "unchanged",
			  (unsigned)getuid(), log_quote(dm.cfg.user_class, q, sizeof(q)),
			  dm.cfg.uefi_strategy, dm.cfg.efi_binary,
			  dm.cfg.inventory[0] ? log_quote(dm.cfg.inventory, qi, sizeof(qi))
					      : "none",
			  machines, profiles);
	}
	daemon_notify(&dm, true); /* bound, prepared, privileges dropped */
	rc = loop_run(dm.loop);
	if (rc)
		diag_set(&d, rc, "event loop: %s", strerror(-rc));
out : {
	struct proxydhcp_stats st = { 0 };
	if (dm.pdhcp)
		proxydhcp_stats(dm.pdhcp, &st);
	close_services(&dm);
	if (!rc)
		log_event("stop", "signal=%s dhcp_received=%lu dhcp_answered=%lu",
			  dm.stop_signal == SIGTERM  ? "TERM"
			  : dm.stop_signal == SIGINT ? "INT"
						     : "none",
			  st.received, st.answered);
}
	bootfiles_free(&dm.bf);
	inventory_free(dm.srv.inv);
	if (dm.srv.boot_root_fd >= 0)
		close(dm.srv.boot_root_fd);
	loop_free(dm.loop);
	if (rc)
		return fail(&d, rc);
	return 0;
}
