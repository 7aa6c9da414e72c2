/* cmd_try: `chainboot try IMAGE` — argument checking, signals and exit codes around
 * try_run(), which boots the image in QEMU. */
#include <errno.h>
#include <getopt.h>
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

const char cmd_try_usage[] =
	"usage: chainboot try IMAGE [--firmware bios|uefi|arm64] [--as cd|usb] [--net "
	"user|tap:IF]\n"
	"                           [--timeout S] [--until TEXT] [--screenshot FILE] [--accel "
	"auto|tcg|kvm]\n"
	"\n"
	"Boot IMAGE in QEMU before burning it: the VM's serial console is shown here (type into "
	"it;\n"
	"Ctrl-C ends it). The image file is never changed (a USB disk runs on a throw-away "
	"overlay).\n"
	"\n"
	"  --firmware bios|uefi|arm64  SeaBIOS, OVMF (x86_64) or AAVMF (arm64); default bios\n"
	"  --as cd|usb                 attach the image as a CD-ROM (default) or a USB stick\n"
	"  --net user|tap:IF           QEMU user-mode networking (default: NAT through this "
	"host),\n"
	"                              or the existing tap interface IF (bridge it to your lab "
	"network)\n"
	"  --timeout S                 stop the VM after S seconds (1-86400)\n"
	"  --until TEXT                stop as soon as TEXT appears on the serial console (BIOS: "
	"also\n"
	"                              on the VGA text screen, where SeaBIOS' iPXE writes)\n"
	"  --screenshot FILE           when --timeout or --until stops the VM, save its screen:\n"
	"                              FILE.png, FILE.ppm, or FILE.txt (BIOS text screen as text)\n"
	"  --accel auto|tcg|kvm        auto (default): KVM when it is usable here, else TCG\n"
	"\n"
	"exit status: 0 the VM ran as asked; 1 error (QEMU, firmware); 2 usage; 3 --until TEXT\n"
	"not seen; 130 interrupted\n";

enum { OPT_FIRMWARE = 256, OPT_AS, OPT_NET, OPT_TIMEOUT, OPT_UNTIL, OPT_SCREENSHOT, OPT_ACCEL };

static const struct option try_opts_long[] = {
	{ "firmware", required_argument, NULL, OPT_FIRMWARE },
	{ "as", required_argument, NULL, OPT_AS },
	{ "net", required_argument, NULL, OPT_NET },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "screenshot", required_argument, NULL, OPT_SCREENSHOT },
	{ "accel", required_argument, NULL, OPT_ACCEL },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
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

int cmd_try_main(int argc, char **argv)
{
	struct try_opts o = { .fw = TRY_FW_BIOS, .medium = TRY_AS_CD, .accel = TRY_ACCEL_AUTO };
	struct try_result r;
	struct diag d = { { 0 } };
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", try_opts_long, NULL)) != -1) {
		switch (opt) {
		case OPT_FIRMWARE:
			if (!strcmp(optarg, "bios"))
				o.fw = TRY_FW_BIOS;
			else if (!strcmp(optarg, "uefi"))
				o.fw = TRY_FW_UEFI;
			else if (!strcmp(optarg, "arm64"))
				o.fw = TRY_FW_ARM64;
			else
				return usage_error("--firmware \"%s\": bios, uefi or arm64",
						   optarg);
			break;
		case OPT_AS:
			if (!strcmp(optarg, "cd"))
				o.medium = TRY_AS_CD;
			else if (!strcmp(optarg, "usb"))
				o.medium = TRY_AS_USB;
			else
				return usage_error("--as \"%s\": cd or usb", optarg);
			break;
		case OPT_NET:
			if (!strcmp(optarg, "user"))
				o.tap = NULL;
			else if (!strncmp(optarg, "tap:", 4) && ifname_ok(optarg + 4))
				o.tap = optarg + 4;
			else
				return usage_error("--net \"%s\": user, or tap:IF with IF an "
						   "existing tap interface "
						   "(1-15 of A-Z a-z 0-9 - _ .)",
						   optarg);
			break;
		case OPT_TIMEOUT: {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 86400)
				return usage_error("--timeout \"%s\": seconds, 1-86400", optarg);
			o.timeout = (unsigned)v;
			break;
		}
		case OPT_UNTIL:
			if (!optarg[0] || strlen(optarg) > 200)
				return usage_error("--until \"%s\": 1 to 200 characters", optarg);
			o.until = optarg;
			break;
		case OPT_SCREENSHOT:
			if (!ends_with(optarg, ".png") && !ends_with(optarg, ".ppm") &&
			    !ends_with(optarg, ".txt"))
				return usage_error("--screenshot \"%s\": a file name ending in "
						   ".png, .ppm or .txt",
						   optarg);
			o.screenshot = optarg;
			break;
		case OPT_ACCEL:
			if (!strcmp(optarg, "auto"))
				o.accel = TRY_ACCEL_AUTO;
			else if (!strcmp(optarg, "tcg"))
				o.accel = TRY_ACCEL_TCG;
			else if (!strcmp(optarg, "kvm"))
				o.accel = TRY_ACCEL_KVM;
			else
				return usage_error("--accel \"%s\": auto, tcg or kvm", optarg);
			break;
		case 'h':
			fputs(cmd_try_usage, stdout);
			return EXIT_OK;
		default:
			fputs(cmd_try_usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "chainboot try: give one image: chainboot try IMAGE [options] "
				"(chainboot try --help)\n");
		return EXIT_USAGE;
	}
	o.image = argv[optind];
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
