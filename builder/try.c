/* try: run QEMU on an image (see try.h). QEMU is started from an argv array; its serial
 * console comes back through a pipe that we copy to stdout and scan; its QMP socket (in
 * a private mkdtemp directory) takes the screenshot, reads the BIOS text screen and
 * ends it. Untrusted input: the guest's console output (only copied and searched) and
 * QMP replies (parsed with jansson, line length capped). */
#include "try.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "inspect.h"
#include "interrupt.h"
#include "spawn.h"

#define ARGV_MAX	  96
#define QMP_LINE_MAX	  65536
#define VGA_TEXT_ADDR	  0xb8000u /* colour text mode buffer: (char, attribute) pairs */
#define VGA_TEXT_BYTES	  4000u	   /* 80 x 25 */
#define VGA_POLL_SECS	  1.0
#define AAVMF_PFLASH_SIZE (64u << 20) /* the virt machine's flash banks are exactly 64 MiB */

void try_interrupt(void)
{
	interrupt_request();
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- firmware and acceleration --------------------------------------------- */

static bool readable(const char *p)
{
	return access(p, R_OK) == 0;
}

int try_find_firmware(enum try_fw fw, struct try_firmware *out, struct diag *d)
{
	/* Debian's file names; the 4 MiB OVMF build first (bookworm's default, what the
	 * e2e tests boot), the older 2 MiB pair as a fallback. CODE and VARS must match. */
	static const char *const ovmf[][2] = {
		{ "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd" },
		{ "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd" },
	};
	const char *pkg;

	memset(out, 0, sizeof(*out));
	out->qemu = fw == TRY_FW_ARM64 ? "qemu-system-aarch64" : "qemu-system-x86_64";
	if (!spawn_in_path(out->qemu)) {
		pkg = spawn_package_of(out->qemu);
		return diag_set(d, -ENOENT,
				"%s not found: install the Debian package %s (apt-get install %s)",
				out->qemu, pkg, pkg);
	}
	switch (fw) {
	case TRY_FW_BIOS:
		snprintf(out->bios, sizeof(out->bios), "/usr/share/seabios/bios-256k.bin");
		if (!readable(out->bios))
			return diag_set(
				d, -ENOENT,
				"SeaBIOS not found (%s): install the Debian package seabios",
				out->bios);
		return 0;
	case TRY_FW_UEFI:
		for (size_t i = 0; i < sizeof(ovmf) / sizeof(ovmf[0]); i++)
			if (readable(ovmf[i][0]) && readable(ovmf[i][1])) {
				snprintf(out->code, sizeof(out->code), "%s", ovmf[i][0]);
				snprintf(out->vars, sizeof(out->vars), "%s", ovmf[i][1]);
				return 0;
			}
		return diag_set(
			d, -ENOENT,
			"OVMF (UEFI firmware for x86_64) not found (%s and %s): install the "
			"Debian package ovmf",
			ovmf[0][0], ovmf[0][1]);
	case TRY_FW_ARM64:
		snprintf(out->code, sizeof(out->code), "/usr/share/AAVMF/AAVMF_CODE.fd");
		snprintf(out->vars, sizeof(out->vars), "/usr/share/AAVMF/AAVMF_VARS.fd");
		if (!readable(out->code) || !readable(out->vars))
			return diag_set(d, -ENOENT,
					"AAVMF (UEFI firmware for arm64) not found (%s): install "
					"the Debian "
					"package qemu-efi-aarch64",
					out->code);
		return 0;
	}
	return diag_set(d, -EINVAL, "unknown firmware");
}

/* The CPU's hardware virtualisation flag as this (possibly virtual) machine sees it. */
static bool cpu_has_virt(void)
{
	FILE *fp = fopen("/proc/cpuinfo", "re");
	char line[8192];
	bool yes = false;

	if (!fp)
		return false;
	while (!yes && fgets(line, sizeof(line), fp))
		if (!strncmp(line, "flags", 5) && (strstr(line, " vmx") || strstr(line, " svm")))
			yes = true;
	fclose(fp);
	return yes;
}

bool try_kvm_usable(enum try_fw fw, char *why, size_t whysz)
{
	struct utsname u;
	bool x86_guest = fw != TRY_FW_ARM64;
	int fd, vm;

	if (uname(&u) || strcmp(u.machine, x86_guest ? "x86_64" : "aarch64") != 0) {
		snprintf(why, whysz, "%s guest on this %s host",
			 x86_guest ? "an x86_64" : "an arm64", u.machine);
		return false;
	}
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whysz, "/dev/kvm: %s", strerror(errno));
		return false;
	}
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		close(fd);
		snprintf(why, whysz, "/dev/kvm speaks an unknown API version");
		return false;
	}
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	if (vm < 0) {
		snprintf(why, whysz, "/dev/kvm cannot create a VM: %s", strerror(errno));
		close(fd);
		return false;
	}
	close(vm);
	close(fd);
	/* Nested setups can expose a /dev/kvm that creates VMs but cannot run real-mode
	 * firmware: on our CI hosts (no vmx/svm in the guest's CPU flags) QEMU stops in
	 * SeaBIOS with "KVM internal error. Suberror: 1 … emulation failure". */
	if (x86_guest && !cpu_has_virt()) {
		snprintf(why, whysz,
			 "/dev/kvm is there but the CPU offers no vmx/svm (incomplete nested "
			 "virtualisation: firmware fails under it)");
		return false;
	}
	return true;
}

/* ---- argv building ---------------------------------------------------------- */

struct av {
	char *v[ARGV_MAX + 1];
	unsigned n;
	bool overflow;
};

__attribute__((format(printf, 2, 3))) static void av_add(struct av *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (a->n >= ARGV_MAX) {
		a->overflow = true;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s) {
		a->overflow = true;
		return;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void av_free(struct av *a)
{
	for (unsigned i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

/* QEMU option values separate parameters with ',': a comma in a path is doubled. */
static int qemu_escape(const char *in, char *out, size_t outsz)
{
	size_t n = 0;

	for (; *in; in++) {
		if (n + 3 > outsz)
			return -ENAMETOOLONG;
		if (*in == ',')
			out[n++] = ',';
		out[n++] = *in;
	}
	out[n] = '\0';
	return 0;
}

/* ---- small file helpers ------------------------------------------------------ */

/* Copy src to dst (created 0600), then extend it with zeros to pad_to bytes if shorter. */
static int copy_file(const char *src, const char *dst, off_t pad_to, struct diag *d)
{
	char buf[65536];
	int in, out, rc = 0;
	struct stat st;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return diag_set(d, -errno, "%s: %s", src, strerror(errno));
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		rc = diag_set(d, -errno, "%s: %s", dst, strerror(errno));
		close(in);
		return rc;
	}
	for (;;) {
		ssize_t r = read(in, buf, sizeof(buf)), w = 0;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = diag_set(d, -errno, "%s: %s", src, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		while (w < r) {
			ssize_t k = write(out, buf + w, (size_t)(r - w));

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				rc = diag_set(d, k < 0 ? -errno : -EIO, "%s: %s", dst,
					      strerror(k < 0 ? errno : EIO));
				break;
			}
			w += k;
		}
		if (rc)
			break;
	}
	if (!rc && pad_to && !fstat(out, &st) && st.st_size < pad_to && ftruncate(out, pad_to))
		rc = diag_set(d, -errno, "%s: %s", dst, strerror(errno));
	if (close(out) && !rc)
		rc = diag_set(d, -errno, "%s: %s", dst, strerror(errno));
	close(in);
	return rc;
}

/* Put a file from our temp directory at the user's path: beside it under a temporary
 * name, then rename, so the user never sees half a screenshot. */
static int publish(const char *tmp, const char *dest, struct diag *d)
{
	char t[4096];
	int rc;

	if (snprintf(t, sizeof(t), "%s.tmp-%ld", dest, (long)getpid()) >= (int)sizeof(t))
		return diag_set(d, -ENAMETOOLONG, "%s: path too long", dest);
	rc = copy_file(tmp, t, 0, d);
	if (!rc && rename(t, dest))
		rc = diag_set(d, -errno, "%s: %s", dest, strerror(errno));
	if (rc)
		unlink(t);
	else
		chmod(dest, 0644);
	return rc;
}

/* ---- QMP -------------------------------------------------------------------------- */

struct qmp {
	int fd;
	char buf[QMP_LINE_MAX];
	size_t len;
};

static int qmp_connect(struct qmp *q, const char *path, pid_t pid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	double t0 = now();

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	/* QEMU creates the socket during start-up: retry for a while, unless it died. */
	while (now() - t0 < 10.0) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			q->fd = fd;
			q->len = 0;
			return 0;
		}
		close(fd);
		siginfo_t si = { 0 };

		/* WNOWAIT: only look; the main loop collects the exit status. */
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == pid)
			return -ESRCH;
		usleep(50 * 1000);
	}
	return -ETIMEDOUT;
}

/* Next line from QMP within timeout seconds: 0, -ETIMEDOUT, -EIO (closed). */
static int qmp_line(struct qmp *q, char *out, size_t outsz, double timeout)
{
	double t0 = now();

	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);

		if (nl) {
			size_t n = (size_t)(nl - q->buf);

			if (n < outsz) {
				memcpy(out, q->buf, n);
				out[n] = '\0';
			} else {
				out[0] = '\0'; /* too long for us: not a reply we wait for */
			}
			memmove(q->buf, nl + 1, q->len - n - 1);
			q->len -= n + 1;
			return 0;
		}
		if (q->len == sizeof(q->buf))
			q->len = 0; /* an over-long line: drop it */
		double left = timeout - (now() - t0);
		struct pollfd p = { .fd = q->fd, .events = POLLIN };

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		ssize_t r = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EIO;
		q->len += (size_t)r;
	}
}

/* Send one command and wait for its reply (events in between are skipped). */
static int qmp_cmd(struct qmp *q, json_t *cmd, double timeout, char *err, size_t errsz)
{
	static char line[QMP_LINE_MAX];
	char *s = json_dumps(cmd, JSON_COMPACT);
	size_t len;
	int rc = -EIO;

	json_decref(cmd);
	if (!s)
		return -ENOMEM;
	len = strlen(s);
	s[len] = '\n'; /* json_dumps leaves room for exactly the NUL: send it as the newline */
	if (q->fd < 0 || send(q->fd, s, len + 1, MSG_NOSIGNAL) != (ssize_t)(len + 1)) {
		free(s);
		return -EIO;
	}
	free(s);
	for (;;) {
		json_t *r;

		rc = qmp_line(q, line, sizeof(line), timeout);
		if (rc)
			return rc;
		r = json_loads(line, 0, NULL);
		if (!r)
			continue;
		if (json_object_get(r, "return")) {
			json_decref(r);
			return 0;
		}
		if (json_object_get(r, "error")) {
			const char *desc = json_string_value(
				json_object_get(json_object_get(r, "error"), "desc"));

			snprintf(err, errsz, "%s", desc ? desc : "error");
			json_decref(r);
			return -EIO;
		}
		json_decref(r); /* an event */
	}
}

static int qmp_hello(struct qmp *q)
{
	static char line[QMP_LINE_MAX];
	char err[256];
	int rc = qmp_line(q, line, sizeof(line), 10.0); /* the greeting */

	return rc ? rc
		  : qmp_cmd(q, json_pack("{s:s}", "execute", "qmp_capabilities"), 10.0, err,
			    sizeof(err));
}

/* The BIOS text screen: QEMU reads VGA memory for us (pmemsave); every other byte is
 * a character. Rows end in '\n'; unprintable bytes become spaces. */
static int vga_text(struct qmp *q, const char *dir, char *out, size_t outsz)
{
	char path[4096], err[256];
	unsigned char raw[VGA_TEXT_BYTES];
	size_t n = 0;
	ssize_t r;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/vga.bin", dir);
	rc = qmp_cmd(q,
		     json_pack("{s:s, s:{s:I, s:I, s:s}}", "execute", "pmemsave", "arguments",
			       "val", (json_int_t)VGA_TEXT_ADDR, "size", (json_int_t)VGA_TEXT_BYTES,
			       "filename", path),
		     5.0, err, sizeof(err));
	if (rc)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = read(fd, raw, sizeof(raw));
	close(fd);
	if (r != (ssize_t)sizeof(raw))
		return -EIO;
	for (unsigned i = 0; i < VGA_TEXT_BYTES / 2 && n + 2 < outsz; i++) {
		unsigned char c = raw[2 * i];

		out[n++] = c >= 0x20 && c < 0x7f ? (char)c : ' ';
		if (i % 80 == 79) {
			while (n && out[n - 1] == ' ')
				n--;
			out[n++] = '\n';
		}
	}
	while (n >= 2 && out[n - 1] == '\n' && out[n - 2] == '\n')
		n--; /* empty rows at the bottom */
	out[n] = '\0';
	return 0;
}

/* ---- running QEMU -------------------------------------------------------------------- */

/* fork + execvp rather than posix_spawnp: the child must ask for SIGTERM when we die
 * (PR_SET_PDEATHSIG), or a killed `chainboot try` would leave QEMU running a CPU
 * hot. Still an argv array, never a shell. */
static int start_qemu(char *const argv[], int out_fd, bool keep_stdin, pid_t *pid, struct diag *d)
{
	pid_t parent = getpid(), p;
	int errpipe[2], e = 0;

	if (pipe2(errpipe, O_CLOEXEC))
		return diag_set(d, -errno, "pipe: %s", strerror(errno));
	p = fork();
	if (p < 0) {
		e = errno;
		close(errpipe[0]);
		close(errpipe[1]);
		return diag_set(d, -e, "fork: %s", strerror(e));
	}
	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		if (dup2(out_fd, STDOUT_FILENO) < 0)
			goto fail;
		if (!keep_stdin) {
			int nul = open("/dev/null", O_RDONLY);

			if (nul < 0 || dup2(nul, STDIN_FILENO) < 0)
				goto fail;
		}
		execvp(argv[0], argv);
	fail:
		e = errno;
		if (write(errpipe[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(errpipe[1]);
	if (read(errpipe[0], &e, sizeof(e)) == (ssize_t)sizeof(e)) {
		close(errpipe[0]);
		waitpid(p, NULL, 0);
		if (e == ENOENT)
			return diag_set(d, -ENOENT, "%s not found: install the Debian package %s",
					argv[0],
					spawn_package_of(argv[0]) ? spawn_package_of(argv[0])
								  : "that provides it");
		return diag_set(d, -e, "cannot start %s: %s", argv[0], strerror(e));
	}
	close(errpipe[0]);
	*pid = p;
	return 0;
}

/* Wait for QEMU to end, up to secs; true if it did (status in *st). */
static bool wait_exit(pid_t pid, double secs, int *st)
{
	double t0 = now();

	do {
		pid_t r = waitpid(pid, st, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return true;
		usleep(50 * 1000);
	} while (now() - t0 < secs);
	return false;
}

/* Copy what QEMU printed to stdout and look for the awaited text across reads. */
struct relay {
	const char *until;
	size_t ulen;
	char tail[512]; /* the last ulen-1 bytes seen, so a match may span two reads */
	size_t tlen;
	bool seen;
	bool out_ok; /* stdout still writable */
};

static void relay(struct relay *rl, const char *buf, size_t n)
{
	size_t w = 0;

	while (rl->out_ok && w < n) {
		ssize_t k = write(STDOUT_FILENO, buf + w, n - w);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			rl->out_ok = false; /* reader gone: keep scanning, stop copying */
			break;
		}
		w += (size_t)k;
	}
	if (!rl->until || rl->seen)
		return;
	char joined[sizeof(rl->tail) + 4096];

	for (size_t off = 0; off < n; off += 4096) {
		size_t part = n - off > 4096 ? 4096 : n - off, keep;

		memcpy(joined, rl->tail, rl->tlen);
		memcpy(joined + rl->tlen, buf + off, part);
		if (memmem(joined, rl->tlen + part, rl->until, rl->ulen)) {
			rl->seen = true;
			return;
		}
		keep = rl->ulen - 1 < rl->tlen + part ? rl->ulen - 1 : rl->tlen + part;
		memmove(rl->tail, joined + rl->tlen + part - keep, keep);
		rl->tlen = keep;
	}
}

static const char *fw_name(enum try_fw fw)
{
	return fw == TRY_FW_BIOS   ? "SeaBIOS (BIOS)"
	       : fw == TRY_FW_UEFI ? "OVMF (UEFI x86_64)"
				   : "AAVMF (UEFI arm64)";
}

static int build_argv(const struct try_opts *o, const struct try_firmware *fw, const char *dir,
		      bool kvm, struct av *a, struct diag *d)
{
	char img[8192], edir[8192], code[8192 + 16];
	bool x86 = o->fw != TRY_FW_ARM64;

	if (qemu_escape(o->image, img, sizeof(img)))
		return diag_set(d, -ENAMETOOLONG, "%s: path too long", o->image);
	if (qemu_escape(dir, edir, sizeof(edir)))
		return diag_set(d, -ENAMETOOLONG, "%s: path too long", dir);
	av_add(a, "%s", fw->qemu);
	switch (o->fw) {
	case TRY_FW_BIOS:
		/* graphics=off: SeaBIOS mirrors the VGA text console on the serial port and
		 * takes serial input as keys (its "sercon"), so ipxe.lkrn, which writes to
		 * VGA only, is seen and can be typed to on the terminal. */
		av_add(a, "-M");
		av_add(a, "pc,graphics=off");
		av_add(a, "-m");
		av_add(a, "256");
		av_add(a, "-bios");
		av_add(a, "%s", fw->bios);
		break;
	case TRY_FW_UEFI:
	case TRY_FW_ARM64:
		/* The variable store is written by the firmware: a private copy each run
		 * (arm64: the code too, padded to the flash size). */
		if (qemu_escape(fw->code, code, sizeof(code)))
			return diag_set(d, -ENAMETOOLONG, "%s: path too long", fw->code);
		if (o->fw == TRY_FW_ARM64) {
			snprintf(code, sizeof(code), "%s/code.fd", edir);
			av_add(a, "-M");
			av_add(a, "virt");
			av_add(a, "-cpu");
			av_add(a, "%s", kvm ? "host" : "cortex-a57");
			av_add(a, "-m");
			av_add(a, "512");
		} else {
			av_add(a, "-M");
			av_add(a, "q35");
			av_add(a, "-m");
			av_add(a, "256");
		}
		av_add(a, "-drive");
		av_add(a, "if=pflash,format=raw,unit=0,readonly=on,file=%s", code);
		av_add(a, "-drive");
		av_add(a, "if=pflash,format=raw,unit=1,file=%s/vars.fd", edir);
		break;
	}
	av_add(a, "-accel");
	av_add(a, "%s", kvm ? "kvm" : "tcg");
	av_add(a, "-smp");
	av_add(a, "1");
	av_add(a, "-display");
	av_add(a, "none");
	av_add(a, "-no-reboot");
	av_add(a, "-no-user-config");
	av_add(a, "-nodefaults");
	av_add(a, "-name");
	av_add(a, "chainboot-try");
	/* Serial on QEMU's stdout, which is our pipe; stdin stays the terminal, so keys
	 * reach the guest (and Ctrl-C ends QEMU and us). */
	av_add(a, "-serial");
	av_add(a, "stdio");
	av_add(a, "-qmp");
	av_add(a, "unix:%s/qmp.sock,server=on,wait=off", edir);
	if (x86) {
		av_add(a, "-vga");
		av_add(a, "std");
	} else if (o->screenshot) {
		av_add(a, "-device");
		av_add(a, "ramfb"); /* AAVMF draws on it: something for screendump to capture */
	}
	if (o->medium == TRY_AS_CD) {
		if (x86) {
			av_add(a, "-drive");
			av_add(a, "if=none,id=cd0,media=cdrom,format=raw,readonly=on,file=%s", img);
			av_add(a, "-device");
			av_add(a, "ide-cd,drive=cd0,bootindex=0");
		} else {
			av_add(a, "-device");
			av_add(a, "virtio-scsi-pci,id=scsi0");
			av_add(a, "-drive");
			av_add(a, "if=none,id=cd0,media=cdrom,format=raw,readonly=on,file=%s", img);
			av_add(a, "-device");
			av_add(a, "scsi-cd,bus=scsi0.0,drive=cd0,bootindex=0");
		}
	} else {
		/* snapshot=on: whatever the guest writes goes to a throw-away overlay; the
		 * image file is never changed by trying it. */
		av_add(a, "-drive");
		av_add(a, "if=none,id=stick,format=raw,snapshot=on,file=%s", img);
		av_add(a, "-device");
		av_add(a, "qemu-xhci,id=xhci");
		av_add(a, "-device");
		av_add(a, "usb-storage,bus=xhci.0,drive=stick,bootindex=0");
	}
	av_add(a, "-netdev");
	if (o->tap)
		av_add(a, "tap,id=net0,ifname=%s,script=no,downscript=no", o->tap);
	else
		av_add(a, "user,id=net0");
	/* romfile= : no QEMU NIC option ROM. Those are the weak vendor iPXE builds this
	 * project works around; the image brings its own iPXE, and a ROM boot would only
	 * blur what is being tried. */
	av_add(a, "-device");
	av_add(a, "virtio-net-pci,netdev=net0,romfile=");
	if (a->overflow)
		return diag_set(d, -E2BIG, "QEMU command line too long");
	return 0;
}

static void cleanup_dir(const char *dir)
{
	static const char *const files[] = { "vars.fd",	 "code.fd",  "qmp.sock", "vga.bin",
					     "shot.png", "shot.ppm", "shot.txt" };
	char p[4096];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcmp(s + a - b, suf);
}

static int take_screenshot(const struct try_opts *o, struct qmp *q, const char *dir, struct diag *d)
{
	char tmp[4096], err[256];
	int rc;

	if (ends_with(o->screenshot, ".txt")) {
		static char text[VGA_TEXT_BYTES];
		FILE *fp;

		snprintf(tmp, sizeof(tmp), "%s/shot.txt", dir);
		rc = vga_text(q, dir, text, sizeof(text));
		if (rc)
			return diag_set(d, rc, "screenshot: cannot read the text screen: %s",
					strerror(-rc));
		fp = fopen(tmp, "we");
		if (!fp)
			return diag_set(d, -errno, "%s: %s", tmp, strerror(errno));
		fputs(text, fp);
		if (fclose(fp))
			return diag_set(d, -errno, "%s: %s", tmp, strerror(errno));
	} else {
		bool png = ends_with(o->screenshot, ".png");

		snprintf(tmp, sizeof(tmp), "%s/shot.%s", dir, png ? "png" : "ppm");
		rc = qmp_cmd(q,
			     json_pack("{s:s, s:{s:s, s:s}}", "execute", "screendump", "arguments",
				       "filename", tmp, "format", png ? "png" : "ppm"),
			     10.0, err, sizeof(err));
		if (rc)
			return diag_set(d, rc, "screenshot: QEMU: %s",
					rc == -EIO && err[0] ? err : strerror(-rc));
	}
	return publish(tmp, o->screenshot, d);
}

/* One run of QEMU: what try_run's steps share. */
struct try_session {
	const struct try_opts *o;
	struct try_result *r;
	struct try_firmware *fw;
	struct av a;
	struct qmp q;
	struct relay rl;
	char dir[4096];
	bool kvm, running, pipe_open;
	double t0;
	int pfd[2], st;
	pid_t pid;
};

/* The image must be a readable file or block device. */
static int try_check_image(const struct try_opts *o, struct diag *d)
{
	struct stat ist;

	if (stat(o->image, &ist))
		return diag_set(d, -errno, "%s: %s", o->image, strerror(errno));
	if (!S_ISREG(ist.st_mode) && !S_ISBLK(ist.st_mode))
		return diag_set(d, -EINVAL, "%s: not an image file", o->image);
	if (access(o->image, R_OK))
		return diag_set(d, -errno, "%s: %s", o->image, strerror(errno));
	return 0;
}

/* The image must be an ISO or disk image: anything else would boot to "no bootable
 * device" and sit there until --timeout. */
static int try_sniff_image(const struct try_opts *o, struct diag *d)
{
	char what[160];
	int ifd, rc;

	ifd = open(o->image, O_RDONLY | O_CLOEXEC);
	if (ifd < 0)
		return diag_set(d, -errno, "%s: %s", o->image, strerror(errno));
	rc = inspect_sniff_image(ifd, what, sizeof(what));
	close(ifd);
	if (rc == -EINVAL)
		return diag_set(d, rc,
				"%s is not an ISO 9660 or disk image: %s; give the image "
				"chainboot build "
				"made",
				o->image, what);
	if (rc)
		return diag_set(d, rc, "%s: cannot read: %s", o->image, strerror(-rc));
	return 0;
}

/* KVM or TCG, and the line that says how the image boots. */
static bool try_choose_accel(const struct try_opts *o)
{
	char why[256] = "", accel[320];
	bool kvm = false;

	if (o->accel == TRY_ACCEL_KVM) {
		kvm = true;
		if (!try_kvm_usable(o->fw, why, sizeof(why)))
			fprintf(stderr, "chainboot try: warning: --accel kvm although %s\n", why);
	} else if (o->accel == TRY_ACCEL_AUTO) {
		kvm = try_kvm_usable(o->fw, why, sizeof(why));
	}
	if (kvm)
		snprintf(accel, sizeof(accel), "KVM");
	else if (why[0])
		snprintf(accel, sizeof(accel), "TCG emulation, slower (KVM not usable: %s)", why);
	else
		snprintf(accel, sizeof(accel), "TCG emulation (--accel tcg)");
	fprintf(stderr, "chainboot try: booting %s as %s with %s, %s%s; %s\n", o->image,
		o->medium == TRY_AS_CD ? "a CD-ROM" : "a USB disk", fw_name(o->fw),
		o->tap ? "network on tap " : "user-mode networking", o->tap ? o->tap : "", accel);
	return kvm;
}

/* The temporary directory, with writable copies of the UEFI variable store (and
 * AAVMF's code, padded to its flash size). */
static int try_prepare_dir(struct try_session *s, struct diag *d)
{
	const char *tmpdir = getenv("TMPDIR");
	char p[4096];
	int rc = 0;

	if (snprintf(s->dir, sizeof(s->dir), "%s/chainboot-try.XXXXXX",
		     tmpdir && *tmpdir ? tmpdir : "/tmp") >= (int)sizeof(s->dir) ||
	    !mkdtemp(s->dir)) {
		s->dir[0] = '\0';
		return diag_set(d, -errno, "cannot make a temporary directory in %s: %s",
				tmpdir ? tmpdir : "/tmp", strerror(errno));
	}
	if (s->o->fw != TRY_FW_BIOS) {
		off_t pad = s->o->fw == TRY_FW_ARM64 ? AAVMF_PFLASH_SIZE : 0;

		snprintf(p, sizeof(p), "%s/vars.fd", s->dir);
		rc = copy_file(s->fw->vars, p, pad, d);
		if (!rc && s->o->fw == TRY_FW_ARM64) {
			snprintf(p, sizeof(p), "%s/code.fd", s->dir);
			rc = copy_file(s->fw->code, p, pad, d);
		}
	}
	return rc;
}

/* QEMU started, its output on a pipe, its QMP socket connected if it came up. */
static int try_start(struct try_session *s, struct diag *d)
{
	char p[4096];
	int rc;

	rc = build_argv(s->o, s->fw, s->dir, s->kvm, &s->a, d);
	if (rc)
		return rc;
	if (pipe2(s->pfd, O_CLOEXEC))
		return diag_set(d, -errno, "pipe: %s", strerror(errno));
	rc = start_qemu(s->a.v, s->pfd[1], isatty(STDIN_FILENO), &s->pid, d);
	close(s->pfd[1]);
	s->pfd[1] = -1;
	if (rc)
		return rc;
	s->running = true;
	s->t0 = now();
	snprintf(p, sizeof(p), "%s/qmp.sock", s->dir);
	if (qmp_connect(&s->q, p, s->pid) || qmp_hello(&s->q)) {
		if (s->q.fd >= 0)
			close(s->q.fd);
		s->q.fd = -1; /* QEMU failed to start (its message is on stderr) or QMP is broken */
	}
	return 0;
}

/* Relay the console until the VM ends, Ctrl-C, --until's text or --timeout. */
static void try_wait(struct try_session *s)
{
	const struct try_opts *o = s->o;
	struct try_result *r = s->r;
	double last_vga = 0;

	for (;;) {
		struct pollfd pp = { .fd = s->pipe_open ? s->pfd[0] : -1, .events = POLLIN };
		char buf[8192];

		if (poll(&pp, 1, 200) > 0) {
			ssize_t n = read(s->pfd[0], buf, sizeof(buf));

			if (n > 0)
				relay(&s->rl, buf, (size_t)n);
			else if (n == 0 || errno != EINTR)
				s->pipe_open =
					false; /* QEMU closed its stdout: wait for it to end */
		}
		/* Ctrl-C on a terminal reaches QEMU too (same process group) and it quits by
		 * itself: look at our flag first so that is reported as an interruption. */
		if (interrupt_pending()) {
			r->end = TRY_END_INTERRUPTED;
			return;
		}
		if (waitpid(s->pid, &s->st, WNOHANG) == s->pid) {
			s->running = false;
			r->end = TRY_END_GUEST;
			return;
		}
		if (s->rl.seen) {
			r->end = TRY_END_UNTIL;
			r->seen_on = "serial console";
			return;
		}
		if (o->timeout && now() - s->t0 >= o->timeout) {
			r->end = TRY_END_TIMEOUT;
			return;
		}
		/* SeaBIOS' iPXE (ipxe.lkrn) writes to the VGA text screen only: look there too. */
		if (o->until && o->fw == TRY_FW_BIOS && s->q.fd >= 0 &&
		    now() - last_vga >= VGA_POLL_SECS) {
			static char text[VGA_TEXT_BYTES];

			last_vga = now();
			if (!vga_text(&s->q, s->dir, text, sizeof(text)) &&
			    strstr(text, o->until)) {
				r->end = TRY_END_UNTIL;
				r->seen_on = "VGA text screen";
				return;
			}
		}
	}
}

/* The text was found mid-line: show the rest of that line (briefly) before stopping. */
static void try_finish_line(struct try_session *s)
{
	double t1 = now();

	if (s->r->end != TRY_END_UNTIL || !s->pipe_open)
		return;
	while (now() - t1 < 0.5) {
		struct pollfd pp = { .fd = s->pfd[0], .events = POLLIN };
		char buf[4096];
		ssize_t n;

		if (poll(&pp, 1, 100) <= 0)
			continue;
		n = read(s->pfd[0], buf, sizeof(buf));
		if (n <= 0)
			break;
		relay(&s->rl, buf, (size_t)n);
		if (memchr(buf, '\n', (size_t)n))
			break;
	}
}

/* A VM still running: the screenshot, then QEMU ended politely (it restores the
 * terminal), then firmly, by its PID. */
static void try_end_qemu(struct try_session *s)
{
	char err[256];

	if (!s->running)
		return;
	if (s->o->screenshot && s->q.fd >= 0 && s->r->end != TRY_END_GUEST) {
		struct diag sd = { { 0 } };

		if (take_screenshot(s->o, &s->q, s->dir, &sd))
			fprintf(stderr, "chainboot try: %s\n", sd.msg);
		else
			s->r->screenshot_taken = true;
	}
	if (s->q.fd >= 0)
		qmp_cmd(&s->q, json_pack("{s:s}", "execute", "quit"), 5.0, err, sizeof(err));
	if (!wait_exit(s->pid, 5.0, &s->st)) {
		kill(s->pid, SIGTERM);
		if (!wait_exit(s->pid, 3.0, &s->st)) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &s->st, 0);
		}
	}
}

/* What QEMU printed last (its serial output before it ended), and how it ended. */
static int try_drain(struct try_session *s, struct diag *d)
{
	struct try_result *r = s->r;
	int rc = 0;

	for (;;) {
		char buf[8192];
		ssize_t n = read(s->pfd[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		relay(&s->rl, buf, (size_t)n);
	}
	if (s->rl.seen && r->end == TRY_END_GUEST) {
		r->end = TRY_END_UNTIL;
		r->seen_on = "serial console";
	}
	r->qemu_status = s->st;
	if (!s->running && (!WIFEXITED(s->st) || WEXITSTATUS(s->st) != 0))
		rc = diag_set(d, -EIO,
			      "QEMU stopped with %s %d after %.1f s (its message is above)",
			      WIFEXITED(s->st) ? "status" : "signal",
			      WIFEXITED(s->st) ? WEXITSTATUS(s->st) : WTERMSIG(s->st), r->secs);
	if (s->o->screenshot && !r->screenshot_taken && !rc)
		fprintf(stderr,
			"chainboot try: no screenshot: the VM %s before it could be taken\n",
			r->end == TRY_END_GUEST ? "had stopped by itself" : "ended");
	return rc;
}

int try_run(const struct try_opts *o, struct try_result *r, struct diag *d)
{
	static struct try_firmware fw;
	struct try_session s = { .o = o, .r = r, .fw = &fw, .pipe_open = true, .pfd = { -1, -1 } };
	int rc;

	memset(r, 0, sizeof(*r));
	s.q.fd = -1;
	s.pid = -1;
	s.rl.until = o->until;
	s.rl.out_ok = true;
	rc = try_check_image(o, d);
	if (rc)
		return rc;
	if (o->until && (!o->until[0] || strlen(o->until) >= sizeof(s.rl.tail)))
		return diag_set(d, -EINVAL, "--until: 1 to %zu characters", sizeof(s.rl.tail) - 1);
	s.rl.ulen = o->until ? strlen(o->until) : 0;
	rc = try_find_firmware(o->fw, &fw, d);
	if (!rc)
		rc = try_sniff_image(o, d);
	if (rc)
		return rc;
	s.kvm = try_choose_accel(o);
	rc = try_prepare_dir(&s, d);
	if (!rc)
		rc = try_start(&s, d);
	if (!rc) {
		try_wait(&s);
		r->secs = now() - s.t0;
		try_finish_line(&s);
		try_end_qemu(&s);
		rc = try_drain(&s, d);
	}
	if (s.q.fd >= 0)
		close(s.q.fd);
	if (s.pfd[0] >= 0)
		close(s.pfd[0]);
	if (s.pfd[1] >= 0)
		close(s.pfd[1]);
	av_free(&s.a);
	if (s.dir[0])
		cleanup_dir(s.dir);
	return rc;
}
