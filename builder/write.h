/* write: put an image on a whole disk (or, with --force, a file) — exclusive open, large
 * aligned direct writes with progress, flush, partition re-read, read-back verify. The
 * decision whether this target may be written is diskpolicy's, made before this runs. */
#ifndef CB_WRITE_H
#define CB_WRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"

#define WRITE_CHUNK (4u << 20) /* large enough for full USB 3 speed; aligned for O_DIRECT */

enum write_phase {
	WRITE_PHASE_WRITE,
	WRITE_PHASE_FLUSH,
	WRITE_PHASE_VERIFY,
};

struct write_progress {
	enum write_phase phase;
	uint64_t done, total; /* bytes */
	double elapsed;	      /* seconds since the phase began */
	bool final;	      /* the phase's last report */
};

typedef void (*write_progress_fn)(const struct write_progress *p, void *ctx);

struct write_request {
	const char *image; /* path, for messages */
	int image_fd;	   /* open for reading */
	uint64_t image_size;
	const char *target; /* path to open */
	bool block;	    /* a block device (else a regular file, written with --force) */
	unsigned major,
		minor; /* block: the device the policy approved; a different one is refused */
	bool verify;
	const char *pause_fifo;	    /* test hook, NULL normally: before the read-back, wait until a
				     * writer has opened and closed this FIFO (the test corrupts the
				     * device meanwhile, as a second writer would) */
	write_progress_fn progress; /* may be NULL; called at most ~4 times a second per phase */
	void *ctx;
};

struct write_result {
	uint64_t written; /* bytes written (== image_size when all went well) */
	double write_secs, flush_secs, verify_secs;
	bool direct;	     /* O_DIRECT was used (honest progress, verify reads the medium) */
	int reread_rc;	     /* BLKRRPART: 0, or -errno (-EINVAL: the kernel does not scan
				     * partitions on this device, e.g. a loop device without -P) */
	bool verified;	     /* read back and equal */
	uint64_t crc_image;  /* CRC-64 (ECMA-182, as in .xz) of the image as written */
	uint64_t crc_device; /* of what was read back */
	uint64_t first_bad;  /* verify failure: first differing byte */
	uint64_t bad_chunks; /* verify failure: how many WRITE_CHUNK blocks differ */
};

/* Write rq->image to rq->target. Returns 0 (written, flushed, verified unless
 * !rq->verify), -EBADMSG (verify found different data: res says where), -EINTR
 * (stopped by write_interrupt(): d says whether the target is now incomplete), or
 * another -errno with d set (open, I/O errors, the device changed since the check). */
int write_image(const struct write_request *rq, struct write_result *res, struct diag *d);

/* Ask a running write_image() to stop at the next block; async-signal-safe. */
void write_interrupt(void);

#endif
