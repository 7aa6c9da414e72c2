/* cmd_try: `chainboot try IMAGE` — argument checking, signals and exit codes around
 * try_run(), which boots the image in QEMU. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "diag.h"
#include "try.h"

enum {
	EXIT_OK =
		0, /* the VM ran as asked: stopped by itself, by --timeout, or --until text seen */
	EXIT_ERROR = 1, /* QEMU or firmware missing, QEMU failed */
	EXIT_USAGE = 2,
	EXIT_UNSEEN = 3, /* --until: the text did not appear before the VM stopped or the timeout */
	EXIT_INTR = 130,
};

static const struct cli_opt try_opts[] = {
	{ "firmware", 0, "bios|uefi|arm64", NULL, NULL, NULL,
	  "SeaBIOS, OVMF (x86_64) or AAVMF (arm64); default bios" },
	{ "as", 0, "cd|usb", NULL, NULL, NULL,
	  "attach the image as a CD-ROM (default) or a USB stick" },
	{ "net", 0, "user|tap:IF", NULL, NULL, NULL,
	  "QEMU user-mode networking (default: NAT through this host),\n"
	  "or the existing tap interface IF (bridge it to your lab network)" },
	{ "timeout", 0, "S", NULL, NULL, NULL, "stop the VM after S seconds (1-86400)" },
	{ "until", 0, "TEXT", NULL, NULL, NULL,
	  "stop as soon as TEXT appears on the serial console (BIOS: also\n"
	  "on the VGA text screen, where SeaBIOS' iPXE writes)" },
	{ "screenshot", 0, "FILE", NULL, NULL, NULL,
	  "when --timeout or --until stops the VM, save its screen:\n"
	  "FILE.png, FILE.ppm, or FILE.txt (BIOS text screen as text)" },
	{ "accel", 0, "auto|tcg|kvm", NULL, NULL, NULL,
	  "auto (default): KVM when it is usable here, else TCG" },
	{ 0 },
};

const struct cli_spec cmd_try_spec = {
	"try",
	"IMAGE [--firmware bios|uefi|arm64] [--as cd|usb] [--net user|tap:IF]\n"
	"                           [--timeout S] [--until TEXT] [--screenshot FILE] [--accel "
	"auto|tcg|kvm]",
	"Boot IMAGE in QEMU before burning it: the VM's serial console is shown here (type into "
	"it;\n"
	"Ctrl-C ends it). The image file is never changed (a USB disk runs on a throw-away "
	"overlay).\n",
	try_opts,
	"exit status: 0 the VM ran as asked; 1 error (QEMU, firmware); 2 usage; 3 --until TEXT\n"
	"not seen; 130 interrupted\n",
};

static void on_signal(int sig)
{
	(void)sig;
	try_interrupt();
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "chainboot try: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return EXIT_USAGE;
}

/* A Linux interface name: 1-15 bytes, no '/', ',', spaces (QEMU option syntax too). */
static bool ifname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 15)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a > b && !strcmp(s + a - b, suf);
}

/* The options' values into o, each checked; returns 0 or the usage error's exit status. */
static int try_opts_check(const struct cli *cl, struct try_opts *o)
{
	const char *v;

	if ((v = cli_get(cl, "firmware"))) {
		if (!strcmp(v, "bios"))
			o->fw = TRY_FW_BIOS;
		else if (!strcmp(v, "uefi"))
			o->fw = TRY_FW_UEFI;
		else if (!strcmp(v, "arm64"))
			o->fw = TRY_FW_ARM64;
		else
			return usage_error("--firmware \"%s\": bios, uefi or arm64", v);
	}
	if ((v = cli_get(cl, "as"))) {
		if (!strcmp(v, "cd"))
			o->medium = TRY_AS_CD;
		else if (!strcmp(v, "usb"))
			o->medium = TRY_AS_USB;
		else
			return usage_error("--as \"%s\": cd or usb", v);
	}
	if ((v = cli_get(cl, "net"))) {
		if (!strcmp(v, "user"))
			o->tap = NULL;
		else if (!strncmp(v, "tap:", 4) && ifname_ok(v + 4))
			o->tap = v + 4;
		else
			return usage_error("--net \"%s\": user, or tap:IF with IF an "
					   "existing tap interface "
					   "(1-15 of A-Z a-z 0-9 - _ .)",
					   v);
	}
	if ((v = cli_get(cl, "timeout"))) {
		char *end;
		long t;

		errno = 0;
		t = strtol(v, &end, 10);
		if (errno || end == v || *end || t < 1 || t > 86400)
			return usage_error("--timeout \"%s\": seconds, 1-86400", v);
		o->timeout = (unsigned)t;
	}
	if ((v = cli_get(cl, "until"))) {
		if (!v[0] || strlen(v) > 200)
			return usage_error("--until \"%s\": 1 to 200 characters", v);
		o->until = v;
	}
	if ((v = cli_get(cl, "screenshot"))) {
		if (!ends_with(v, ".png") && !ends_with(v, ".ppm") && !ends_with(v, ".txt"))
			return usage_error("--screenshot \"%s\": a file name ending in "
					   ".png, .ppm or .txt",
					   v);
		o->screenshot = v;
	}
	if ((v = cli_get(cl, "accel"))) {
		if (!strcmp(v, "auto"))
			o->accel = TRY_ACCEL_AUTO;
		else if (!strcmp(v, "tcg"))
			o->accel = TRY_ACCEL_TCG;
		else if (!strcmp(v, "kvm"))
			o->accel = TRY_ACCEL_KVM;
		else
			return usage_error("--accel \"%s\": auto, tcg or kvm", v);
	}
	return 0;
}

int cmd_try_main(int argc, char **argv)
{
	struct try_opts o = { .fw = TRY_FW_BIOS, .medium = TRY_AS_CD, .accel = TRY_ACCEL_AUTO };
	struct try_result r;
	struct diag d = { { 0 } };
	static struct cli cl;
	int rc;

	rc = cli_parse(&cmd_try_spec, argc, argv, &cl);
	if (rc != CLI_GO)
		return rc;
	rc = try_opts_check(&cl, &o);
	if (rc)
		return rc;
	if (cl.n_args != 1) {
		fprintf(stderr, "chainboot try: give one image: chainboot try IMAGE [options] "
				"(chainboot try --help)\n");
		return EXIT_USAGE;
	}
	o.image = cl.args[0];
	if (o.screenshot && ends_with(o.screenshot, ".txt") && o.fw != TRY_FW_BIOS)
		return usage_error("--screenshot \"%s\": a text screen exists only with --firmware "
				   "bios (UEFI draws "
				   "graphics): use .png",
				   o.screenshot);
	if (o.screenshot && !o.timeout && !o.until)
		return usage_error("--screenshot \"%s\" needs --timeout or --until (it is taken "
				   "when they stop the VM)",
				   o.screenshot);

	/* No SA_RESTART: Ctrl-C must end the wait at once; SIGPIPE ignored so a closed
	 * stdout (| head) ends the copying, not us with QEMU still running. */
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = try_run(&o, &r, &d);
	if (rc) {
		fprintf(stderr, "chainboot try: %s\n", d.msg[0] ? d.msg : strerror(-rc));
		return rc == -EINVAL ? EXIT_USAGE : EXIT_ERROR;
	}
	switch (r.end) {
	case TRY_END_UNTIL:
		fprintf(stderr,
			"chainboot try: \"%s\" appeared on the %s after %.1f s; VM stopped\n",
			o.until, r.seen_on, r.secs);
		break;
	case TRY_END_TIMEOUT:
		fprintf(stderr, "chainboot try: %u s passed (--timeout); VM stopped\n", o.timeout);
		break;
	case TRY_END_GUEST:
		fprintf(stderr, "chainboot try: the VM stopped by itself after %.1f s\n", r.secs);
		break;
	case TRY_END_INTERRUPTED:
		fprintf(stderr, "chainboot try: interrupted after %.1f s; VM stopped\n", r.secs);
		break;
	}
	if (r.screenshot_taken)
		fprintf(stderr, "chainboot try: screenshot saved to %s\n", o.screenshot);
	if (r.end == TRY_END_INTERRUPTED)
		return EXIT_INTR;
	if (o.until && r.end != TRY_END_UNTIL) {
		fprintf(stderr, "chainboot try: \"%s\" did not appear%s\n", o.until,
			o.fw == TRY_FW_BIOS ? " on the serial console or the VGA text screen"
					    : " on the serial console");
		return EXIT_UNSEEN;
	}
	return EXIT_OK;
}
