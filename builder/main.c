/* chainboot: the command line. Parses arguments, reads the site file, and hands the
 * work to the modules (plan -> image, inspect); every error is printed here, once. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lzma.h>

#include "chainscript.h"
#include "datadir.h"
#include "commands.h"
#include "dhcpconfig.h"
#include "diag.h"
#include "fileio.h"
#include "image.h"
#include "inspect.h"
#include "inspect_sb.h"
#include "ipxebuild.h"
#include "layout.h"
#include "plan.h"
#include "rebrand.h"
#include "sign.h"
#include "siteconf.h"
#include "zbin.h"

#ifndef CHAINBOOT_VERSION
#define CHAINBOOT_VERSION "0.1.0"
#endif

static const char usage_text[] =
	"usage: chainboot COMMAND [options]\n"
	"\n"
	"commands:\n"
	"  build          make a boot image (default layout: hybrid ISO/USB, BIOS + UEFI x86_64 + "
	"UEFI arm64)\n"
	"  inspect IMAGE  show partitions, boot entries, iPXE user-class, embedded script and URLs "
	"[--json]\n"
	"                 and each EFI binary's signer, type, SBAT; --cert FILE: does it verify\n"
	"  check-config   check the site file and options; prints \"configuration OK\" or every "
	"error\n"
	"  script         print the chain script an image would carry\n"
	"  rebrand IN OUT give prebuilt iPXE binaries (or an image of them, e.g. ipxe.iso) our "
	"user-class:\n"
	"                 rebrand [-c CLASS] IN OUT | IN... DIR | --in-place FILE...\n"
	"  build-ipxe     build iPXE from source with our user-class and chain script embedded:\n"
	"                 build-ipxe --src IPXE_TREE [-o DIR] (then: build --ipxe-dir DIR)\n"
	"  write IMG DEV  write an image to a USB stick safely: refuses the wrong disk, verifies "
	"(write --help)\n"
	"  try IMAGE      boot an image in QEMU, its serial console on this terminal (try --help)\n"
	"  dhcp-config dnsmasq|isc|kea  print the DHCP server snippet that boots like chainbootd's "
	"proxy\n"
	"  keygen -o DIR  make a Secure Boot site key and certificate (keygen --help)\n"
	"  help           this text\n"
	"\n"
	"options of build, check-config and script (each overrides the site file):\n"
	"  -s, --site FILE          site file (INI; see examples/site.ini)\n"
	"  -u, --url URL            inventory script URL; repeat for fallbacks (replaces the "
	"file's list)\n"
	"  -c, --user-class CLASS   DHCP user-class our iPXE sends (default CSTM)\n"
	"  -l, --layout NAME        hybrid, usb, efi, bios, or a file NAME.layout in the layouts "
	"directory\n"
	"  -a, --arch LIST          x86_64 and/or arm64 (default: both)\n"
	"  -L, --label LABEL        volume label (A-Z 0-9 _, at most 11)\n"
	"  -i, --ipxe-dir DIR       iPXE binaries to use (default: the cache scripts/deps.sh "
	"fills)\n"
	"      --rounds N           passes over every NIC and URL before the menu (1-100)\n"
	"      --backoff S          seconds before the second pass, doubling (0-600)\n"
	"      --dhcp-tries N       DHCP attempts per NIC per pass (1-20)\n"
	"      --http-timeout S     seconds one URL may take (1-3600)\n"
	"      --menu-timeout S     seconds before the menu retries by itself (0 = wait)\n"
	"      --try-offered yes|no try an http(s)/.ipxe boot file offered by (proxy)DHCP first\n"
	"  -o, --output FILE        image to write (build; default chainboot.iso, or chainboot.img "
	"for usb/efi)\n"
	"      --rebrand yes|no|auto  put rebranded iPXE binaries in the image (default auto: when "
	"the class fits)\n"
	"      --no-rebrand         the same as --rebrand no: stock binaries, the class is set by "
	"the script only\n"
	"      --secure-boot MODE   off, shim (signed shim + MokManager), db (signed iPXE) or "
	"vendor (signed as given)\n"
	"      --sb-key FILE        the site's PEM private key (shim, db; see chainboot keygen)\n"
	"      --sb-cert FILE       its PEM certificate (shim, db; vendor: verify against it)\n"
	"\n"
	"options of rebrand:\n"
	"  -c, --user-class CLASS   1 to 4 printable ASCII characters (default: the site file's, "
	"else CSTM)\n"
	"      --in-place           rewrite the given files themselves (atomically)\n"
	"\n"
	"options of build-ipxe (and the build options above, for the class and the embedded "
	"script):\n"
	"      --src DIR            an iPXE source tree (git clone of ipxe/ipxe); it is copied, "
	"never changed\n"
	"  -o, --output DIR         where the binaries go (default ipxe-build), usable as "
	"--ipxe-dir\n"
	"  -j, --jobs N             parallel make jobs (default: the number of CPUs)\n"
	"\n"
	"environment: SOURCE_DATE_EPOCH (reproducible timestamps), CHAINBOOT_DATADIR, "
	"CHAINBOOT_IPXE_DIR,\n"
	"             CHAINBOOT_CACHE (cache root; rebranded binaries go to its rebranded/)\n";

enum {
	OPT_ROUNDS = 256,
	OPT_BACKOFF,
	OPT_DHCP_TRIES,
	OPT_HTTP_TIMEOUT,
	OPT_MENU_TIMEOUT,
	OPT_TRY_OFFERED,
	OPT_JSON,
	OPT_IN_PLACE,
	OPT_REBRAND,
	OPT_NO_REBRAND,
	OPT_SRC,
	OPT_SECURE_BOOT,
	OPT_SB_KEY,
	OPT_SB_CERT,
	OPT_CERT,
};

static const struct option long_opts[] = {
	{ "site", required_argument, NULL, 's' },
	{ "url", required_argument, NULL, 'u' },
	{ "user-class", required_argument, NULL, 'c' },
	{ "layout", required_argument, NULL, 'l' },
	{ "arch", required_argument, NULL, 'a' },
	{ "label", required_argument, NULL, 'L' },
	{ "ipxe-dir", required_argument, NULL, 'i' },
	{ "output", required_argument, NULL, 'o' },
	{ "rounds", required_argument, NULL, OPT_ROUNDS },
	{ "backoff", required_argument, NULL, OPT_BACKOFF },
	{ "dhcp-tries", required_argument, NULL, OPT_DHCP_TRIES },
	{ "http-timeout", required_argument, NULL, OPT_HTTP_TIMEOUT },
	{ "menu-timeout", required_argument, NULL, OPT_MENU_TIMEOUT },
	{ "try-offered", required_argument, NULL, OPT_TRY_OFFERED },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "in-place", no_argument, NULL, OPT_IN_PLACE },
	{ "rebrand", required_argument, NULL, OPT_REBRAND },
	{ "no-rebrand", no_argument, NULL, OPT_NO_REBRAND },
	{ "src", required_argument, NULL, OPT_SRC },
	{ "secure-boot", required_argument, NULL, OPT_SECURE_BOOT },
	{ "sb-key", required_argument, NULL, OPT_SB_KEY },
	{ "sb-cert", required_argument, NULL, OPT_SB_CERT },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "jobs", required_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* A command-line override: applied after the site file, in the order given. */
struct override {
	const char *section, *key, *value, *flag;
};

struct cli {
	const char *site;
	struct override ov[64];
	unsigned n_ov;
	bool urls_given;
	bool output_given;
	bool json;
	bool in_place;
	const char *src;    /* build-ipxe --src */
	const char *jobs;   /* build-ipxe -j */
	const char *output; /* -o as given (build-ipxe: a directory) */
	const char *cert;   /* inspect --cert: verify EFI binaries against it */
	char *args[64];
	unsigned n_args;
};

static int add_ov(struct cli *cl, const char *section, const char *key, const char *value,
		  const char *flag)
{
	if (cl->n_ov >= sizeof(cl->ov) / sizeof(cl->ov[0]))
		return -E2BIG;
	cl->ov[cl->n_ov++] = (struct override){ section, key, value, flag };
	return 0;
}

static int parse_cli(int argc, char **argv, struct cli *cl, struct diag *d)
{
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "s:u:c:l:a:L:i:o:j:h", long_opts, NULL)) != -1) {
		int rc = 0;
		switch (opt) {
		case 's':
			cl->site = optarg;
			break;
		case 'u':
			rc = add_ov(cl, "chain", "url", optarg, "--url");
			cl->urls_given = true;
			break;
		case 'c':
			rc = add_ov(cl, "site", "user_class", optarg, "--user-class");
			break;
		case 'L':
			rc = add_ov(cl, "site", "label", optarg, "--label");
			break;
		case 'l':
			rc = add_ov(cl, "image", "layout", optarg, "--layout");
			break;
		case 'a':
			rc = add_ov(cl, "image", "arch", optarg, "--arch");
			break;
		case 'i':
			rc = add_ov(cl, "image", "ipxe_dir", optarg, "--ipxe-dir");
			break;
		case 'o':
			rc = add_ov(cl, "image", "output", optarg, "--output");
			cl->output_given = true;
			cl->output = optarg;
			break;
		case OPT_ROUNDS:
			rc = add_ov(cl, "chain", "rounds", optarg, "--rounds");
			break;
		case OPT_BACKOFF:
			rc = add_ov(cl, "chain", "backoff", optarg, "--backoff");
			break;
		case OPT_DHCP_TRIES:
			rc = add_ov(cl, "chain", "dhcp_tries", optarg, "--dhcp-tries");
			break;
		case OPT_HTTP_TIMEOUT:
			rc = add_ov(cl, "chain", "http_timeout", optarg, "--http-timeout");
			break;
		case OPT_MENU_TIMEOUT:
			rc = add_ov(cl, "chain", "menu_timeout", optarg, "--menu-timeout");
			break;
		case OPT_TRY_OFFERED:
			rc = add_ov(cl, "chain", "try_offered", optarg, "--try-offered");
			break;
		case OPT_JSON:
			cl->json = true;
			break;
		case OPT_IN_PLACE:
			cl->in_place = true;
			break;
		case OPT_REBRAND:
			rc = add_ov(cl, "image", "rebrand", optarg, "--rebrand");
			break;
		case OPT_NO_REBRAND:
			rc = add_ov(cl, "image", "rebrand", "no", "--no-rebrand");
			break;
		case OPT_SRC:
			cl->src = optarg;
			break;
		case OPT_SECURE_BOOT:
			rc = add_ov(cl, "secureboot", "mode", optarg, "--secure-boot");
			break;
		case OPT_SB_KEY:
			rc = add_ov(cl, "secureboot", "key", optarg, "--sb-key");
			break;
		case OPT_SB_CERT:
			rc = add_ov(cl, "secureboot", "cert", optarg, "--sb-cert");
			break;
		case OPT_CERT:
			cl->cert = optarg;
			break;
		case 'j':
			cl->jobs = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			return diag_set(d, -EINVAL, "see `chainboot help` for the options");
		}
		if (rc)
			return diag_set(d, rc, "too many options");
	}
	for (; optind < argc; optind++) {
		if (cl->n_args >= sizeof(cl->args) / sizeof(cl->args[0]))
			return diag_set(d, -E2BIG, "too many arguments");
		cl->args[cl->n_args++] = argv[optind];
	}
	return 0;
}

/* Defaults, then the site file, then the command line: the last word wins. whole:
 * the settings an image or a script is made from, so -u replaces the file's URLs and
 * the whole-config checks (site_validate) run; rebrand and build-ipxe need only the
 * class, and no URL. */
static int load_site(struct cli *cl, struct site_config *c, bool whole, struct diag *d)
{
	int rc = 0;

	site_defaults(c);
	if (cl->site)
		rc = site_load(c, cl->site, d);
	if (whole && cl->urls_given)
		site_clear_urls(c);
	for (unsigned i = 0; i < cl->n_ov; i++)
		if (site_set(c, cl->ov[i].section, cl->ov[i].key, cl->ov[i].value, cl->ov[i].flag,
			     d))
			rc = -EINVAL;
	if (whole && (!rc || rc == -EINVAL))
		if (site_validate(c, d))
			rc = -EINVAL;
	return rc;
}

static int fail(const char *cmd, struct diag *d, int rc)
{
	fprintf(stderr, "chainboot %s: %s\n", cmd, d->msg[0] ? d->msg : strerror(-rc));
	return rc == -EINVAL ? 2 : 1;
}

static int render_script(const struct site_config *c, const char *datadir, char **out, size_t *len,
			 struct diag *d)
{
	char path[PATH_MAX], *tmpl;
	size_t tlen;
	int rc;

	snprintf(path, sizeof(path), "%s/scripts/chain.ipxe.in", datadir);
	rc = fileio_read_text(path, 1 << 20, &tmpl, &tlen, d);
	if (rc)
		return rc;
	rc = chainscript_render(c, tmpl, tlen, out, len, d);
	free(tmpl);
	return rc ? diag_prefix(d, rc, "%s", path) : 0;
}

static int load_layout(const char *datadir, const char *name, struct layout *l, struct diag *d)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/layouts", datadir);
	return layout_load(dir, name, l, d);
}

static int cmd_check_config(struct cli *cl)
{
	static struct site_config c;
	struct diag d = { { 0 } };
	char datadir[PATH_MAX], *script = NULL, warn[512];
	size_t len;
	static struct layout l;
	int rc;

	rc = load_site(cl, &c, true, &d);
	if (!rc)
		rc = datadir_find(datadir, sizeof(datadir), &d);
	if (!rc)
		rc = load_layout(datadir, c.layout, &l, &d);
	if (!rc)
		rc = layout_check_arch(&l, c.arch, &d);
	if (!rc)
		rc = render_script(&c, datadir, &script, &len, &d);
	if (!rc)
		rc = sign_check_site(&c, warn, sizeof(warn), &d);
	free(script);
	if (rc) {
		fprintf(stderr, "%s\n", d.msg);
		return 2;
	}
	if (warn[0])
		fprintf(stderr, "chainboot check-config: warning: %s\n", warn);
	printf("configuration OK\n");
	return 0;
}

static int cmd_script(struct cli *cl)
{
	static struct site_config c;
	struct diag d = { { 0 } };
	char datadir[PATH_MAX], *script = NULL;
	size_t len;
	int rc;

	rc = load_site(cl, &c, true, &d);
	if (!rc)
		rc = datadir_find(datadir, sizeof(datadir), &d);
	if (!rc)
		rc = render_script(&c, datadir, &script, &len, &d);
	if (rc)
		return fail("script", &d, rc);
	fwrite(script, 1, len, stdout);
	free(script);
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	image_interrupt();
}

static int cmd_build(struct cli *cl)
{
	static struct site_config c;
	static struct layout l;
	static struct plan p;
	struct diag d = { { 0 } };
	char datadir[PATH_MAX], archs[32];
	struct stat st;
	int rc;

	if (cl->n_args)
		return fprintf(stderr,
			       "chainboot build: unexpected argument \"%s\" (the output is -o "
			       "FILE)\n",
			       cl->args[0]),
		       2;
	rc = load_site(cl, &c, true, &d);
	if (rc)
		return fail("build", &d, rc);
	rc = datadir_find(datadir, sizeof(datadir), &d);
	if (!rc)
		rc = load_layout(datadir, c.layout, &l, &d);
	if (rc)
		return fail("build", &d, rc);
	if (!c.output[0])
		snprintf(c.output, sizeof(c.output), "%s",
			 l.container == LAYOUT_ISO ? "chainboot.iso" : "chainboot.img");
	rc = plan_make(&c, &l, datadir, &p, &d);
	if (rc)
		return fail("build", &d, rc);
	rc = sign_plan(&p, &c, &d); /* before the ESP is made: its files are the signed ones */
	if (rc) {
		plan_free(&p);
		return fail("build", &d, rc);
	}
	if (p.note[0])
		fprintf(stderr, "chainboot build: note: %s\n", p.note);
	/* No SA_RESTART: a signal must end the build's current step, not be slept through. */
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	rc = image_build(&p, c.output, &d);
	plan_free(&p);
	if (rc == -EINTR)
		return fprintf(stderr, "chainboot build: %s\n", d.msg), 130;
	if (rc)
		return fail("build", &d, rc);
	if (stat(c.output, &st))
		st.st_size = 0;
	printf("chainboot: wrote %s (%.1f MiB, layout %s, arch %s, user-class %s, %s iPXE, %u "
	       "URL%s)\n",
	       c.output, (double)st.st_size / (1024.0 * 1024.0), l.name,
	       site_arch_str(c.arch, archs, sizeof(archs)), c.user_class,
	       p.rebrand ? "rebranded" : "stock", c.n_urls, c.n_urls == 1 ? "" : "s");
	return 0;
}

static int cmd_inspect(struct cli *cl)
{
	struct diag d = { { 0 } };
	int rc;

	if (cl->n_args != 1)
		return fprintf(stderr, "chainboot inspect: give one image or iPXE binary: "
				       "chainboot inspect FILE [--json]\n"),
		       2;
	if (cl->cert && access(cl->cert, R_OK))
		return fprintf(stderr, "chainboot inspect: --cert %s: %s\n", cl->cert,
			       strerror(errno)),
		       2;
	inspect_sb_set_cert(cl->cert);
	rc = inspect_image(cl->args[0], cl->json, stdout, &d);
	if (rc)
		return fail("inspect", &d, rc);
	return 0;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* One rebrand job; jobs run on worker threads and report in order afterwards. */
struct rebrand_job {
	const char *in;
	char out[PATH_MAX];
	const char *cls;
	int rc;
	struct diag d;
	char report[2048];
};

/* One file: read IN, rebrand in memory (verified there), write OUT atomically. IN is
 * only ever replaced when OUT is IN (--in-place), and then by the same atomic rename. */
static int rebrand_file(struct rebrand_job *j)
{
	struct rebrand_info *info;
	struct timespec t0;
	struct stat sin, sout;
	uint8_t *buf = NULL, *res = NULL;
	const char *shown = j->out;
	size_t len, used;
	char detail[160] = "";
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (stat(j->in, &sin))
		return diag_set(&j->d, -errno, "%s: %s", j->in, strerror(errno));
	info = calloc(1, sizeof(*info));
	if (!info)
		return diag_set(&j->d, -ENOMEM, "out of memory");
	rc = fileio_read(j->in, REBRAND_MAX_INPUT, &buf, &len, &j->d);
	if (!rc) {
		rc = rebrand_bytes(buf, len, j->cls, &res, info, &j->d);
		if (rc)
			diag_prefix(&j->d, rc, "%s", j->in);
	}
	free(buf);
	if (!rc)
		rc = fileio_write_atomic(j->out, res, len, sin.st_mode & 0777, NULL, &j->d);
	free(res);
	if (rc) {
		free(info);
		return rc;
	}
	if (info->nbinaries == 1 && info->bin[0].preset)
		snprintf(detail, sizeof(detail), "; LZMA preset %u%s, %zu of %zu bytes",
			 info->bin[0].preset & LZMA_PRESET_LEVEL_MASK,
			 info->bin[0].preset & LZMA_PRESET_EXTREME ? "e" : "", info->bin[0].stream,
			 info->bin[0].room);
	else if (info->nbinaries > 1)
		snprintf(detail, sizeof(detail), "; %u binaries inside", info->nbinaries);
	if (!stat(j->out, &sout) && sout.st_ino == sin.st_ino && sout.st_dev == sin.st_dev)
		shown = "it in place";
	used = (size_t)snprintf(
		j->report, sizeof(j->report),
		"chainboot: rebranded %s (%s%s) to user-class %s, wrote %s (%zu bytes, %.0f ms)\n",
		j->in, info->kind == IPXEBIN_UNKNOWN ? "image" : ipxebin_kind_name(info->kind),
		detail, j->cls, shown, len, ms_since(&t0));
	for (unsigned i = 0; info->nbinaries > 1 && i < info->nbinaries && i < REBRAND_MAX_BINARIES;
	     i++) {
		if (used >= sizeof(j->report))
			break;
		used += (size_t)snprintf(j->report + used, sizeof(j->report) - used, "  %s: %s\n",
					 info->bin[i].path, ipxebin_kind_name(info->bin[i].kind));
	}
	free(info);
	return 0;
}

struct rebrand_pool {
	struct rebrand_job *jobs;
	unsigned n;
	unsigned next; /* taken under lock */
	pthread_mutex_t lock;
};

static void *rebrand_worker(void *arg)
{
	struct rebrand_pool *p = arg;

	for (;;) {
		unsigned i;

		pthread_mutex_lock(&p->lock);
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->n)
			return NULL;
		p->jobs[i].rc = rebrand_file(&p->jobs[i]);
	}
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool is_dir(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

static int cmd_rebrand(struct cli *cl)
{
	static struct site_config c;
	struct rebrand_pool pool = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct diag d = { { 0 } };
	pthread_t threads[8];
	unsigned i, nin, nthreads = 0, want;
	long ncpu;
	int rc, failed = 0;

	rc = load_site(cl, &c, false, &d);
	if (!rc)
		rc = rebrand_check_class(c.user_class, &d);
	if (rc)
		return fail("rebrand", &d, rc == -ENOSPC ? -EINVAL : rc);
	if (cl->in_place) {
		if (!cl->n_args)
			return fprintf(stderr, "chainboot rebrand: --in-place needs the files to "
					       "rewrite\n"),
			       2;
		nin = cl->n_args;
	} else {
		if (cl->n_args < 2)
			return fprintf(stderr, "chainboot rebrand: give IN OUT, IN... DIR, or "
					       "--in-place FILE... "
					       "(IN is never changed without --in-place)\n"),
			       2;
		nin = cl->n_args - 1;
		if (nin > 1 && !is_dir(cl->args[nin]))
			return fprintf(stderr,
				       "chainboot rebrand: with several inputs the last argument "
				       "must be a "
				       "directory: %s is not\n",
				       cl->args[nin]),
			       2;
	}
	pool.jobs = calloc(nin, sizeof(*pool.jobs));
	if (!pool.jobs)
		return fprintf(stderr, "chainboot rebrand: out of memory\n"), 1;
	for (i = 0; i < nin; i++) {
		struct rebrand_job *j = &pool.jobs[pool.n];
		const char *in = cl->args[i], *base = strrchr(in, '/');

		j->in = in;
		j->cls = c.user_class;
		if (cl->in_place)
			snprintf(j->out, sizeof(j->out), "%s", in);
		else if (is_dir(cl->args[nin]) &&
			 snprintf(j->out, sizeof(j->out), "%s/%s", cl->args[nin],
				  base ? base + 1 : in) >= (int)sizeof(j->out)) {
			fprintf(stderr, "chainboot rebrand: %s/%s: path too long\n", cl->args[nin],
				in);
			failed = 1;
			continue;
		} else if (!is_dir(cl->args[nin]))
			snprintf(j->out, sizeof(j->out), "%s", cl->args[nin]);
		if (!cl->in_place && same_file(in, j->out)) {
			fprintf(stderr,
				"chainboot rebrand: %s: OUT is the input file itself; give "
				"--in-place to "
				"rewrite it, or another OUT\n",
				in);
			failed = 1;
			continue;
		}
		pool.n++;
	}
	/* Packed BIOS images spend ~0.2 s each in the LZMA encoder: spread the files
	 * over the CPUs. The CRC table is built on first use: build it before the
	 * threads start. */
	zbin_crc32(ZBIN_CRC_SEED, "", 0);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	want = ncpu > 1 ? (unsigned)ncpu : 1;
	if (want > pool.n)
		want = pool.n;
	if (want > sizeof(threads) / sizeof(threads[0]))
		want = sizeof(threads) / sizeof(threads[0]);
	for (i = 1; i < want; i++)
		if (pthread_create(&threads[nthreads], NULL, rebrand_worker, &pool) == 0)
			nthreads++;
	rebrand_worker(&pool);
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	for (i = 0; i < pool.n; i++) {
		if (pool.jobs[i].rc) {
			fprintf(stderr, "chainboot rebrand: %s\n",
				pool.jobs[i].d.msg[0] ? pool.jobs[i].d.msg
						      : strerror(-pool.jobs[i].rc));
			failed = 1;
		} else {
			fputs(pool.jobs[i].report, stdout);
		}
	}
	free(pool.jobs);
	return failed;
}

static void on_signal_build_ipxe(int sig)
{
	(void)sig;
	ipxebuild_interrupt();
}

static int cmd_build_ipxe(struct cli *cl)
{
	static struct site_config c;
	struct ipxebuild_opts o = { 0 };
	struct diag d = { { 0 } };
	char datadir[PATH_MAX], *script = NULL, *end;
	size_t len;
	int rc;

	if (!cl->src)
		return fprintf(stderr,
			       "chainboot build-ipxe: give the iPXE source tree: --src DIR\n"),
		       2;
	if (cl->n_args)
		return fprintf(stderr,
			       "chainboot build-ipxe: unexpected argument \"%s\" (the output is -o "
			       "DIR)\n",
			       cl->args[0]),
		       2;
	if (cl->jobs) {
		unsigned long j;

		errno = 0;
		j = strtoul(cl->jobs, &end, 10);
		if (errno || end == cl->jobs || *end || j < 1 || j > 256)
			return fprintf(stderr,
				       "chainboot build-ipxe: --jobs \"%s\" is not a number from 1 "
				       "to 256\n",
				       cl->jobs),
			       2;
		o.jobs = (unsigned)j;
	}
	/* The embedded script is the chain script: the same site file and flags as build. */
	rc = load_site(cl, &c, true, &d);
	if (!rc)
		rc = datadir_find(datadir, sizeof(datadir), &d);
	if (!rc)
		rc = render_script(&c, datadir, &script, &len, &d);
	if (rc)
		return fail("build-ipxe", &d, rc);
	o.src = cl->src;
	o.outdir = cl->output ? cl->output : "ipxe-build";
	o.cls = c.user_class;
	o.script = script;
	o.script_len = len;
	o.arch = c.arch;
	struct sigaction sa = { .sa_handler = on_signal_build_ipxe };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	rc = ipxebuild_run(&o, stdout, &d);
	free(script);
	if (rc == -EINTR)
		return fprintf(stderr, "chainboot build-ipxe: %s\n", d.msg), 130;
	if (rc)
		return fail("build-ipxe", &d, rc);
	printf("chainboot: use them with: chainboot build --ipxe-dir %s (they already send %s: "
	       "build uses them "
	       "as they are)\n",
	       o.outdir, c.user_class);
	return 0;
}

int main(int argc, char **argv)
{
	static struct cli cl;
	struct diag d = { { 0 } };
	const char *cmd;

	if (argc < 2) {
		fputs(usage_text, stderr);
		return 2;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("chainboot %s\n", CHAINBOOT_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "write"))
		return cmd_write_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "try"))
		return cmd_try_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "dhcp-config"))
		return dhcpconfig_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "keygen"))
		return cmd_keygen_main(argc - 1, argv + 1);
	if (parse_cli(argc - 1, argv + 1, &cl, &d))
		return fail(cmd, &d, -EINVAL);
	if (!strcmp(cmd, "build"))
		return cmd_build(&cl);
	if (!strcmp(cmd, "inspect"))
		return cmd_inspect(&cl);
	if (!strcmp(cmd, "check-config"))
		return cmd_check_config(&cl);
	if (!strcmp(cmd, "script"))
		return cmd_script(&cl);
	if (!strcmp(cmd, "rebrand"))
		return cmd_rebrand(&cl);
	if (!strcmp(cmd, "build-ipxe"))
		return cmd_build_ipxe(&cl);
	fprintf(stderr,
		"chainboot: unknown command \"%s\" (commands: build, inspect, check-config, "
		"script, "
		"rebrand, build-ipxe, keygen, help)\n",
		cmd);
	return 2;
}
