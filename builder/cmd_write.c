/* cmd_write: `chainboot write IMAGE DEVICE` — arguments, the device summary, the policy
 * verdict, confirmation, progress display (terminal bar, plain lines, or JSON events)
 * and exit codes. The facts come from diskfacts, the decision from diskpolicy, the
 * writing from write.c; strings from the device (model, labels) are shown escaped. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "diag.h"
#include "diskfacts.h"
#include "diskpolicy.h"
#include "inspect.h"
#include "write.h"

enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1, /* I/O error, cannot open, the device changed: see the message */
	EXIT_USAGE = 2,
	EXIT_REFUSED = 3, /* safety policy or no confirmation: nothing was written */
	EXIT_VERIFY = 4,  /* written, but the read-back differs: the stick is bad */
	EXIT_INTR = 130,  /* Ctrl-C / SIGTERM: see the message for the state of the device */
};

static const struct cli_opt write_opts[] = {
	{ "yes", 'y', NULL, NULL, NULL, NULL, "do not ask (needed when not on a terminal)" },
	{ "force", 'f', NULL, NULL, NULL, NULL,
	  "also write a disk that is not USB/removable, or a regular file, or an\n"
	  "IMAGE that is neither an ISO 9660 nor a disk image" },
	{ "no-verify", 0, NULL, NULL, NULL, NULL, "skip the read-back" },
	{ "json", 0, NULL, NULL, NULL, NULL,
	  "one JSON event per line on stdout, for programs (needs --yes)" },
	/* Test hook, deliberately not in the help (help NULL): pause before the read-back
	 * until a writer opens and closes FIFO; tests corrupt the device meanwhile to prove
	 * that verification catches it. It only waits; it never changes what is written. */
	{ "test-pause-before-verify", 0, "FIFO", NULL, NULL, NULL, NULL },
	{ 0 },
};

const struct cli_spec cmd_write_spec = {
	"write",
	"IMAGE DEVICE [--yes] [--force] [--no-verify] [--json]",
	"Write IMAGE raw to the whole disk DEVICE (e.g. /dev/sdb), then read it back and compare.\n"
	"Shows what is on DEVICE first and refuses a device that is mounted, used as swap, holds\n"
	"the running system, belongs to LVM/RAID/dm-crypt, is a partition, or is too small.\n",
	write_opts,
	"exit status: 0 written and verified; 1 error (I/O, open); 2 usage; 3 refused or not\n"
	"confirmed (nothing written); 4 verify failed (the stick returned other data);\n"
	"130 interrupted (the message says whether the device is incomplete)\n",
};

struct ui {
	bool json;
	bool tty;	  /* stdout is a terminal: a redrawn progress bar */
	double last_line; /* plain mode: elapsed time of the last progress line */
	int last_phase;
};

/* ---- output helpers ------------------------------------------------------------ */

static void emit(json_t *o)
{
	if (!o)
		return;
	json_dumpf(o, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(o);
}

/* Device strings (model, label) are shown on a terminal: no control characters. */
static void clean(const char *in, char *out, size_t outsz)
{
	size_t n = 0;

	for (; *in && n + 1 < outsz; in++)
		out[n++] = ((unsigned char)*in < 0x20 || *in == 0x7f) ? '?' : *in;
	out[n] = '\0';
}

static const char *phase_name(enum write_phase p)
{
	return p == WRITE_PHASE_WRITE ? "write" : p == WRITE_PHASE_FLUSH ? "flush" : "verify";
}

static void fmt_eta(double s, char *out, size_t outsz)
{
	unsigned long t = s < 0 ? 0 : s > 359999 ? 359999 : (unsigned long)(s + 0.5);

	if (t >= 3600)
		snprintf(out, outsz, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(out, outsz, "%lu:%02lu", t / 60, t % 60);
}

static void on_progress(const struct write_progress *p, void *ctx)
{
	struct ui *u = ctx;
	double mib = 1024.0 * 1024.0;
	double rate = p->elapsed > 0 ? (double)p->done / p->elapsed : 0;
	double eta = rate > 0 ? (double)(p->total - p->done) / rate : 0;
	char e[16];

	if (u->json) {
		if (p->final)
			emit(json_pack("{s:s, s:s, s:I, s:f}", "event", "phase_done", "phase",
				       phase_name(p->phase), "bytes", (json_int_t)p->done,
				       "seconds", p->elapsed));
		else if (p->phase != WRITE_PHASE_FLUSH &&
			 (p->elapsed - u->last_line >= 1.0 || p->done == 0)) {
			u->last_line = p->elapsed;
			emit(json_pack("{s:s, s:s, s:I, s:I, s:f, s:f}", "event", "progress",
				       "phase", phase_name(p->phase), "bytes", (json_int_t)p->done,
				       "total", (json_int_t)p->total, "bytes_per_second", rate,
				       "eta_seconds", eta));
		}
		return;
	}
	if ((int)p->phase != u->last_phase) {
		u->last_phase = (int)p->phase;
		u->last_line = 0;
	}
	if (p->phase == WRITE_PHASE_FLUSH) {
		if (!p->final) {
			printf("flushing: waiting for the device to store everything (fsync, "
			       "BLKFLSBUF)...%s",
			       u->tty ? "" : "\n");
			fflush(stdout);
		} else {
			printf("%sflushed in %.1f s\n", u->tty ? " " : "", p->elapsed);
			fflush(stdout);
		}
		return;
	}
	fmt_eta(eta, e, sizeof(e));
	if (p->final) {
		printf("%s%s %.1f MiB in %.1f s (%.1f MB/s)%s\n", u->tty ? "\r\033[K" : "",
		       p->phase == WRITE_PHASE_WRITE ? "written:" : "read back:",
		       (double)p->done / mib, p->elapsed, rate / 1e6,
		       p->phase == WRITE_PHASE_WRITE ? "" : " from the device");
	} else if (u->tty) {
		char bar[33];
		unsigned fill = p->total ? (unsigned)((double)p->done / (double)p->total * 30.0)
					 : 0;

		for (unsigned i = 0; i < 30; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[30] = '\0';
		printf("\r\033[K%-9s [%s] %3.0f%%  %.1f/%.1f MiB  %.1f MB/s  ETA %s",
		       p->phase == WRITE_PHASE_WRITE ? "writing" : "verifying", bar,
		       p->total ? 100.0 * (double)p->done / (double)p->total : 0.0,
		       (double)p->done / mib, (double)p->total / mib, rate / 1e6, e);
	} else if (p->done == 0) {
		/* Logs and pipes: one line when the phase starts, then one every 5 s. */
		printf("%s %.1f MiB...\n",
		       p->phase == WRITE_PHASE_WRITE ? "writing" : "verifying: reading back",
		       (double)p->total / mib);
	} else if (p->elapsed - u->last_line >= 5.0) {
		u->last_line = p->elapsed;
		printf("%s: %.1f of %.1f MiB (%.0f%%), %.1f MB/s, ETA %s\n",
		       p->phase == WRITE_PHASE_WRITE ? "writing" : "verifying",
		       (double)p->done / mib, (double)p->total / mib,
		       p->total ? 100.0 * (double)p->done / (double)p->total : 0.0, rate / 1e6, e);
	}
	fflush(stdout);
}

/* ---- the device summary ---------------------------------------------------------- */

static void print_summary(const struct disk_facts *f, const char *image, uint64_t image_size)
{
	char sz[48], a[200], b[200];

	diskpolicy_size_str(image_size, sz, sizeof(sz));
	printf("image:  %s, %s\n", image, sz);
	if (f->kind == DISK_REGULAR) {
		diskpolicy_size_str(f->file_size, sz, sizeof(sz));
		printf("target: %s, a regular file of %s\n", f->path, sz);
		return;
	}
	if (f->kind != DISK_BLOCK || !f->n_dev)
		return;
	clean(f->vendor, a, sizeof(a));
	clean(f->model, b, sizeof(b));
	diskpolicy_size_str(f->dev[0].size, sz, sizeof(sz));
	{
		const char *base = strrchr(f->path, '/');
		bool same = !strcmp(base ? base + 1 : f->path, f->dev[0].name);
		bool paren = !same || a[0] || b[0];

		/* "/dev/sdb (SanDisk Cruzer Blade)", "/dev/disk/by-id/… (sdb: …)", "/dev/loop0" */
		printf("target: %s%s%s%s%s%s%s%s, %s, transport %s, %s%s\n", f->path,
		       paren ? " (" : "", same ? "" : f->dev[0].name,
		       !same && (a[0] || b[0]) ? ": " : "", a, a[0] && b[0] ? " " : "", b,
		       paren ? ")" : "", sz, diskpolicy_transport(f),
		       f->removable ? "removable" : "not removable", f->ro ? ", read-only" : "");
	}
	if (f->backing_file[0]) {
		clean(f->backing_file, a, sizeof(a));
		printf("        loop device backed by %s\n", a);
	}
	if (f->pttype[0] || f->dev[0].fstype[0]) {
		clean(f->dev[0].label, a, sizeof(a));
		printf("        holds: %s%s%s%s%s%s%s\n", f->pttype[0] ? f->pttype : "",
		       f->pttype[0] ? " partition table" : "",
		       f->pttype[0] && f->dev[0].fstype[0] ? ", " : "", f->dev[0].fstype,
		       a[0] ? " \"" : "", a, a[0] ? "\"" : "");
	}
	for (unsigned i = 1; i < f->n_dev; i++) {
		const struct disk_dev *dv = &f->dev[i];

		diskpolicy_size_str(dv->size, sz, sizeof(sz));
		clean(dv->label, a, sizeof(a));
		clean(dv->dm_name, b, sizeof(b));
		printf("        %s%-10s %-22s %s%s%s%s%s\n",
		       dv->role == DISK_ROLE_HOLDER ? "  -> " : "", dv->name, sz,
		       dv->fstype[0] ? dv->fstype
				     : (dv->role == DISK_ROLE_PART ? "(no file system found)" : ""),
		       a[0] ? " \"" : "", a, a[0] ? "\"" : "", b[0] ? b : "");
	}
	if (f->probe_error[0])
		printf("        holds: unknown (cannot look inside: %s)\n", f->probe_error);
	else if (f->n_dev == 1 && !f->pttype[0] && !f->dev[0].fstype[0])
		printf("        holds: no partition table or file system found\n");
}

static json_t *summary_json(const struct disk_facts *f, const char *image, uint64_t image_size)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:s}", "event", "target", "image", image,
			      "image_size", (json_int_t)image_size, "device", f->path);
	json_t *parts = json_array();

	if (!o || !parts) {
		json_decref(o);
		json_decref(parts);
		return NULL;
	}
	json_object_set_new(o, "kind",
			    json_string(f->kind == DISK_BLOCK	  ? "block"
					: f->kind == DISK_REGULAR ? "regular"
					: f->kind == DISK_MISSING ? "missing"
								  : "other"));
	if (f->kind == DISK_BLOCK && f->n_dev) {
		json_object_set_new(o, "name", json_string(f->dev[0].name));
		json_object_set_new(o, "size", json_integer((json_int_t)f->dev[0].size));
		json_object_set_new(o, "transport", json_string(diskpolicy_transport(f)));
		json_object_set_new(o, "removable", json_boolean(f->removable));
		json_object_set_new(o, "vendor", json_string(f->vendor));
		json_object_set_new(o, "model", json_string(f->model));
		json_object_set_new(o, "pttype", json_string(f->pttype));
		json_object_set_new(o, "fstype", json_string(f->dev[0].fstype));
		for (unsigned i = 1; i < f->n_dev; i++) {
			const struct disk_dev *dv = &f->dev[i];

			json_array_append_new(parts,
					      json_pack("{s:s, s:s, s:I, s:s, s:s}", "name",
							dv->name, "role",
							dv->role == DISK_ROLE_PART ? "partition"
										   : "holder",
							"size", (json_int_t)dv->size, "fstype",
							dv->fstype, "label", dv->label));
		}
	} else if (f->kind == DISK_REGULAR) {
		json_object_set_new(o, "size", json_integer((json_int_t)f->file_size));
	}
	json_object_set_new(o, "devices", parts);
	return o;
}

/* ---- the command ---------------------------------------------------------------- */

static void on_signal(int sig)
{
	(void)sig;
	write_interrupt();
}

static int finish(const struct ui *u, int code, const char *msg)
{
	if (msg && msg[0])
		fprintf(stderr, "chainboot write: %s\n", msg);
	if (u->json)
		emit(json_pack("{s:s, s:i, s:s}", "event", code ? "error" : "done", "exit", code,
			       "message", msg ? msg : ""));
	return code;
}

static bool confirm(const struct disk_facts *f)
{
	char line[64], m[200];

	clean(f->model, m, sizeof(m));
	fprintf(stderr, "Everything on %s%s%s%s will be destroyed. Type yes to write: ", f->path,
		m[0] ? " (" : "", m, m[0] ? ")" : "");
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, "yes") == 0;
}

/* What the command line asked for. */
struct write_args {
	const char *image, *target, *pause;
	bool yes, force, verify;
};

/* The image opened (*ifd, *ist) and sniffed: a compressed download, an .efi or .lkrn
 * given by mistake would be copied as is and boot nothing, so say what it is instead.
 * Returns CLI_GO, or the exit status (reported, the image closed). */
static int write_open_image(const struct write_args *w, const struct ui *u, int *ifd,
			    struct stat *ist)
{
	char msg[sizeof(struct diag)], notimg[160];
	int rc;

	*ifd = open(w->image, O_RDONLY | O_CLOEXEC);
	if (*ifd < 0) {
		snprintf(msg, sizeof(msg), "%s: %s", w->image, strerror(errno));
		return finish(u, EXIT_ERROR, msg);
	}
	if (fstat(*ifd, ist) || !S_ISREG(ist->st_mode) || ist->st_size <= 0) {
		snprintf(
			msg, sizeof(msg),
			"%s: not a non-empty regular file (give the image made by chainboot build)",
			w->image);
		rc = finish(u, EXIT_USAGE, msg);
		goto err;
	}
	rc = inspect_sniff_image(*ifd, notimg, sizeof(notimg));
	if (rc && rc != -EINVAL) {
		snprintf(msg, sizeof(msg), "%s: cannot read: %s", w->image, strerror(-rc));
		rc = finish(u, EXIT_ERROR, msg);
		goto err;
	}
	if (rc && !w->force) {
		snprintf(msg, sizeof(msg),
			 "refused: %s is not an ISO 9660 or disk image: %s; give the image "
			 "chainboot build made (--force writes it anyway); nothing was written",
			 w->image, notimg);
		rc = finish(u, EXIT_REFUSED, msg);
		goto err;
	}
	if (rc)
		fprintf(stderr,
			"warning: %s is not an ISO 9660 or disk image: %s; writing anyway "
			"(--force)\n",
			w->image, notimg);
	return CLI_GO;
err:
	close(*ifd);
	return rc;
}

/* The policy's verdict: warnings for what --force overrides, else every refusal.
 * Returns CLI_GO or EXIT_REFUSED. */
static int write_policy(const struct disk_facts *f, uint64_t size, const struct write_args *w,
			const struct ui *u)
{
	static struct dp_verdict v;
	json_t *arr;

	diskpolicy_check(f, size, w->force, &v);
	for (unsigned i = 0; i < v.n; i++)
		if (v.r[i].forceable && w->force)
			fprintf(stderr, "warning: %s\n", v.r[i].text);
	if (!v.n_blocking)
		return CLI_GO;
	arr = u->json ? json_array() : NULL;
	for (unsigned i = 0; i < v.n; i++) {
		if (v.r[i].forceable && w->force)
			continue;
		fprintf(stderr, "chainboot write: refused: %s\n", v.r[i].text);
		if (arr)
			json_array_append_new(arr, json_pack("{s:s, s:b, s:s}", "code",
							     diskpolicy_code_name(v.r[i].code),
							     "forceable", v.r[i].forceable,
							     "message", v.r[i].text));
	}
	if (u->json)
		emit(json_pack("{s:s, s:o, s:i}", "event", "refused", "reasons", arr, "exit",
			       EXIT_REFUSED));
	fprintf(stderr, "chainboot write: nothing was written\n");
	return EXIT_REFUSED;
}

/* --yes, or "yes" typed on the terminal. Returns CLI_GO or the exit status. */
static int write_confirm(const struct write_args *w, const struct ui *u, const struct disk_facts *f)
{
	char msg[256];
	const char *why = u->json ? "--json needs --yes (a program cannot answer the "
				    "question)"
			  : !isatty(STDIN_FILENO) ? "no terminal to confirm on: check the target "
						    "above, then give --yes"
						  : NULL;

	if (w->yes)
		return CLI_GO;
	if (!why && confirm(f))
		return CLI_GO;
	snprintf(msg, sizeof(msg), "refused: %s; nothing was written", why ? why : "not confirmed");
	return finish(u, EXIT_REFUSED, msg);
}

/* The last lines: the partition table re-read, the verification. */
static int write_done(const struct write_args *w, const struct ui *u, const struct disk_facts *f,
		      const struct write_request *rq, const struct write_result *res)
{
	char crc[20];

	if (u->json) {
		snprintf(crc, sizeof(crc), "%016llx",
			 (unsigned long long)(w->verify ? res->crc_device : res->crc_image));
		emit(json_pack("{s:s, s:i, s:b, s:s, s:I, s:b}", "event", "done", "exit", EXIT_OK,
			       "verified", res->verified, "crc64", crc, "bytes",
			       (json_int_t)res->written, "partitions_reread",
			       rq->block && !res->reread_rc));
		return EXIT_OK;
	}
	if (rq->block && res->reread_rc == 0)
		printf("partition table re-read by the kernel\n");
	else if (rq->block && res->reread_rc == -EINVAL)
		printf("partition table not re-read: the kernel does not scan partitions "
		       "on this device\n");
	else if (rq->block)
		printf("partition table not re-read (%s): unplug and replug the stick to "
		       "see the new "
		       "partitions\n",
		       strerror(-res->reread_rc));
	if (w->verify)
		printf("chainboot: %s now holds %s (CRC-64 %016llx, read back and "
		       "equal)%s\n",
		       w->target, w->image, (unsigned long long)res->crc_device,
		       rq->block && (f->removable || !strcmp(diskpolicy_transport(f), "usb"))
			       ? "; you can unplug it"
			       : "");
	else
		printf("chainboot: wrote %s to %s (not verified: --no-verify)\n", w->image,
		       w->target);
	return EXIT_OK;
}

/* Write and verify (write.c), with the signals that end it between blocks. */
static int write_run(const struct write_args *w, struct ui *u, const struct disk_facts *f, int ifd,
		     uint64_t size)
{
	struct write_request rq = { 0 };
	struct write_result res;
	struct diag d = { { 0 } };
	int rc;

	/* No SA_RESTART: a signal must end a blocking wait (the test FIFO); the write loop
	 * looks at the flag between blocks, so the device is never left mid-block. */
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	rq.image = w->image;
	rq.image_fd = ifd;
	rq.image_size = size;
	rq.target = w->target;
	rq.block = f->kind == DISK_BLOCK;
	rq.major = f->rdev_major;
	rq.minor = f->rdev_minor;
	rq.verify = w->verify;
	rq.pause_fifo = w->pause;
	rq.progress = on_progress;
	rq.ctx = u;
	rc = write_image(&rq, &res, &d);
	if (u->tty && rc)
		printf("\n");
	if (rc == -EINTR)
		return finish(u, EXIT_INTR, d.msg);
	if (rc == -EBADMSG)
		return finish(u, EXIT_VERIFY, d.msg);
	if (rc)
		return finish(u, EXIT_ERROR, d.msg);
	return write_done(w, u, f, &rq, &res);
}

int cmd_write_main(int argc, char **argv)
{
	static struct disk_facts f;
	static struct cli cl;
	struct diag d = { { 0 } };
	struct ui u = { .last_phase = -1 };
	struct write_args w;
	struct stat ist = { 0 }, tst;
	int ifd, rc;

	rc = cli_parse(&cmd_write_spec, argc, argv, &cl);
	if (rc != CLI_GO)
		return rc;
	if (cl.n_args != 2) {
		fprintf(stderr,
			"chainboot write: give the image and the device: chainboot write IMAGE "
			"DEVICE "
			"(e.g. chainboot write chainboot.iso /dev/sdb; lsblk lists the disks)\n");
		return EXIT_USAGE;
	}
	w = (struct write_args){ cl.args[0],
				 cl.args[1],
				 cli_get(&cl, "test-pause-before-verify"),
				 cli_get(&cl, "yes") != NULL,
				 cli_get(&cl, "force") != NULL,
				 cli_get(&cl, "no-verify") == NULL };
	u.json = cli_get(&cl, "json") != NULL;
	u.tty = !u.json && isatty(STDOUT_FILENO);
	rc = write_open_image(&w, &u, &ifd, &ist);
	if (rc != CLI_GO)
		return rc;
	rc = diskfacts_gather(w.target, &f, &d);
	if (rc) {
		rc = finish(&u, EXIT_ERROR, d.msg);
		goto out;
	}
	if (f.kind == DISK_REGULAR && !stat(w.target, &tst) && tst.st_dev == ist.st_dev &&
	    tst.st_ino == ist.st_ino) {
		rc = finish(&u, EXIT_USAGE, "the image and the target are the same file");
		goto out;
	}
	if (u.json)
		emit(summary_json(&f, w.image, (uint64_t)ist.st_size));
	else
		print_summary(&f, w.image, (uint64_t)ist.st_size);
	fflush(stdout); /* before the warnings and refusals on stderr */
	rc = write_policy(&f, (uint64_t)ist.st_size, &w, &u);
	if (rc == CLI_GO)
		rc = write_confirm(&w, &u, &f);
	if (rc == CLI_GO)
		rc = write_run(&w, &u, &f, ifd, (uint64_t)ist.st_size);
out:
	close(ifd);
	return rc;
}
