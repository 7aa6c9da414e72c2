/* try: boot an image in QEMU (`chainboot try`) with the firmware found on this system,
 * the serial console relayed to stdout, user-mode or tap networking, an optional time
 * limit, a text to wait for, and a screenshot at the end. */
#ifndef CB_TRY_H
#define CB_TRY_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

enum try_fw { TRY_FW_BIOS, TRY_FW_UEFI, TRY_FW_ARM64 };
enum try_medium { TRY_AS_CD, TRY_AS_USB };
enum try_accel { TRY_ACCEL_AUTO, TRY_ACCEL_TCG, TRY_ACCEL_KVM };

struct try_opts {
	const char *image;
	enum try_fw fw;
	enum try_medium medium;
	enum try_accel accel;
	const char *tap;   /* NULL: QEMU user-mode networking; else a tap interface name */
	unsigned timeout;  /* seconds; 0: until the VM stops or Ctrl-C */
	const char *until; /* NULL, or stop once this text appears on the serial console (or,
				 * BIOS, on the VGA text screen) */
	const char
		*screenshot; /* NULL, or FILE.png / FILE.ppm (screen) / FILE.txt (BIOS text screen),
				 * taken when --timeout or --until ends the run */
};

/* Firmware files for one firmware type. code/vars empty for BIOS (SeaBIOS is a single
 * -bios file, in bios). */
struct try_firmware {
	const char *qemu; /* qemu-system-x86_64 / qemu-system-aarch64 */
	char bios[256];
	char code[256], vars[256];
};

enum try_end {
	TRY_END_GUEST, /* the VM stopped by itself (poweroff, or reset with -no-reboot) */
	TRY_END_TIMEOUT,
	TRY_END_UNTIL,	     /* the awaited text appeared */
	TRY_END_INTERRUPTED, /* Ctrl-C / SIGTERM */
};

struct try_result {
	enum try_end end;
	double secs;	     /* from QEMU's start to the end */
	const char *seen_on; /* TRY_END_UNTIL: "serial console" or "VGA text screen" */
	bool screenshot_taken;
	int qemu_status; /* wait status when the VM stopped by itself */
};

/* Find the firmware files and QEMU binary; -ENOENT with d naming the Debian package. */
int try_find_firmware(enum try_fw fw, struct try_firmware *out, struct diag *d);

/* Whether KVM can run this guest here; why: the reason when not (for the message). */
bool try_kvm_usable(enum try_fw fw, char *why, size_t whysz);

/* Boot. Returns 0 when QEMU ran (r->end says how it ended; a VM that stopped by itself
 * with QEMU reporting an error is -EIO), or -errno with d set. */
int try_run(const struct try_opts *o, struct try_result *r, struct diag *d);

/* Stop a running try_run() (it takes the screenshot, then ends QEMU); async-signal-safe. */
void try_interrupt(void);

#endif
