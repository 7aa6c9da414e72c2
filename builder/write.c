/* write: the write procedure of `chainboot write` (see write.h). The image is ours or
 * the user's file; the target was approved by diskpolicy and is re-checked here after
 * the exclusive open (same device, big enough), since it may have been swapped between.
 *
 * Verification hash: CRC-64 (ECMA-182, the .xz check) from liblzma, which chainboot
 * already links. The threat is a faulty or fake-capacity stick, a bad cable or an
 * unplug, not an adversary (who could rewrite the stick after we finish anyway): a
 * 64-bit CRC catches every burst up to 64 bits and any other corruption except with
 * probability 2^-64, at several GB/s, far faster than any stick. One CRC per 4 MiB
 * block is kept as well, so a mismatch is located without re-reading the image. */
#include "write.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <lzma.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "interrupt.h"

#define DIRECT_ALIGN   4096u /* covers 512- and 4096-byte logical blocks */
#define PROGRESS_EVERY 0.25

void write_interrupt(void)
{
	interrupt_request();
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct wctx {
	const struct write_request *rq;
	struct write_result *res;
	int fd;
	bool direct;	 /* O_DIRECT currently set on fd */
	double t0, last; /* phase start, last progress report */
	enum write_phase phase;
};

static void report(struct wctx *w, uint64_t done, bool final)
{
	double t = now();
	struct write_progress p;

	if (!w->rq->progress || (!final && t - w->last < PROGRESS_EVERY))
		return;
	w->last = t;
	p.phase = w->phase;
	p.done = done;
	p.total = w->rq->image_size;
	p.elapsed = t - w->t0;
	p.final = final;
	w->rq->progress(&p, w->rq->ctx);
}

static void phase(struct wctx *w, enum write_phase ph)
{
	w->phase = ph;
	w->t0 = now();
	w->last = 0;
}

/* O_DIRECT needs aligned lengths: the unaligned tail of an image goes through the
 * page cache (and is flushed with the rest). */
static int set_direct(struct wctx *w, bool on)
{
	int fl;

	if (w->direct == on || !w->res->direct)
		return 0;
	fl = fcntl(w->fd, F_GETFL);
	if (fl < 0 || fcntl(w->fd, F_SETFL, on ? fl | O_DIRECT : fl & ~O_DIRECT) < 0)
		return -errno;
	w->direct = on;
	return 0;
}

static int pread_full(int fd, void *buf, size_t len, uint64_t off, size_t *got)
{
	size_t done = 0;

	*got = 0; /* defined on every return */
	while (done < len) {
		ssize_t r = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue; /* a signal only sets the interrupt flag; the loop above looks at it */
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	*got = done;
	return 0;
}

static int pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pwrite(fd, (const char *)buf + done, len - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ENOSPC;
		done += (size_t)r;
	}
	return 0;
}

/* One chunk at off, len bytes: the aligned part direct, the rest buffered. */
static int io_chunk(struct wctx *w, bool wr, void *buf, size_t len, uint64_t off)
{
	size_t aligned = len & ~(size_t)(DIRECT_ALIGN - 1), got;
	int rc = 0;

	if (aligned) {
		rc = set_direct(w, true);
		if (!rc && wr)
			rc = pwrite_full(w->fd, buf, aligned, off);
		else if (!rc) {
			rc = pread_full(w->fd, buf, aligned, off, &got);
			if (!rc && got != aligned)
				rc = -ENODATA;
		}
	}
	if (!rc && len > aligned) {
		rc = set_direct(w, false);
		if (!rc && wr)
			rc = pwrite_full(w->fd, (char *)buf + aligned, len - aligned,
					 off + aligned);
		else if (!rc) {
			rc = pread_full(w->fd, (char *)buf + aligned, len - aligned, off + aligned,
					&got);
			if (!rc && got != len - aligned)
				rc = -ENODATA;
		}
	}
	return rc;
}

static int open_target(const struct write_request *rq, struct wctx *w, struct diag *d)
{
	/* O_EXCL on a block device: the kernel refuses if anything holds it — a mounted
	 * partition, LVM, md, or a partition manager — the last line of defence behind
	 * the policy. (On a regular file O_EXCL without O_CREAT means nothing.) */
	int base = O_RDWR | O_CLOEXEC | (rq->block ? O_EXCL : O_NOFOLLOW);
	struct stat st;
	uint64_t size = 0;

	w->fd = open(rq->target, base | O_DIRECT);
	w->direct = w->res->direct = w->fd >= 0;
	if (w->fd < 0 && errno == EINVAL) /* a file system without O_DIRECT (tmpfs) */
		w->fd = open(rq->target, base);
	if (w->fd < 0) {
		int e = errno;

		if (e == EBUSY)
			return diag_set(
				d, -e,
				"%s is in use (a partition is mounted, or LVM, RAID or another "
				"program holds it): unmount or release it, then try again",
				rq->target);
		if (e == EACCES || e == EPERM)
			return diag_set(
				d, -e,
				"%s: %s: writing a disk needs root (run chainboot write with sudo)",
				rq->target, strerror(e));
		if (e == EROFS)
			return diag_set(d, -e,
					"%s is read-only: slide the write-protect switch off",
					rq->target);
		if (e == ENOMEDIUM)
			return diag_set(d, -e, "%s has no medium: put the card in", rq->target);
		return diag_set(d, -e, "%s: %s", rq->target, strerror(e));
	}
	if (fstat(w->fd, &st))
		return diag_set(d, -errno, "%s: %s", rq->target, strerror(errno));
	if (rq->block) {
		if (!S_ISBLK(st.st_mode) || major(st.st_rdev) != rq->major ||
		    minor(st.st_rdev) != rq->minor)
			return diag_set(
				d, -ESTALE,
				"%s is no longer the device that was checked (unplugged and "
				"another one plugged in?): nothing written; run chainboot write "
				"again",
				rq->target);
		if (ioctl(w->fd, BLKGETSIZE64, &size))
			return diag_set(d, -errno, "%s: cannot read its size: %s", rq->target,
					strerror(errno));
		if (size < rq->image_size)
			return diag_set(
				d, -ENOSPC,
				"%s is now smaller (%llu bytes) than the image (%llu bytes): "
				"nothing written",
				rq->target, (unsigned long long)size,
				(unsigned long long)rq->image_size);
	} else if (!S_ISREG(st.st_mode)) {
		return diag_set(d, -EINVAL, "%s is no longer a regular file: nothing written",
				rq->target);
	}
	return 0;
}

static void human(uint64_t b, char *out, size_t outsz)
{
	snprintf(out, outsz, "%.1f MiB", (double)b / (1024.0 * 1024.0));
}

static int do_write(struct wctx *w, uint8_t *buf, uint64_t *crcs, struct diag *d)
{
	const struct write_request *rq = w->rq;
	uint64_t off = 0, crc = 0;
	size_t i = 0;
	char a[32], b[32];
	int rc;

	phase(w, WRITE_PHASE_WRITE);
	report(w, 0, false);
	while (off < rq->image_size) {
		size_t len = rq->image_size - off > WRITE_CHUNK ? WRITE_CHUNK
								: (size_t)(rq->image_size - off),
		       got;

		if (interrupt_pending()) {
			fsync(w->fd); /* what was written is at least on the medium, consistently */
			human(off, a, sizeof(a));
			human(rq->image_size, b, sizeof(b));
			return diag_set(
				d, -EINTR,
				"interrupted after %s of %s: %s is now incomplete and will not "
				"boot; run chainboot write again",
				a, b, rq->target);
		}
		rc = pread_full(rq->image_fd, buf, len, off, &got);
		if (rc || got != len)
			return diag_set(d, rc ? rc : -EIO,
					"%s: read error at byte %llu: %s (the image changed while "
					"being written?); %s is now incomplete",
					rq->image, (unsigned long long)off,
					rc ? strerror(-rc) : "file ended early", rq->target);
		crcs[i] = lzma_crc64(buf, len, 0);
		crc = lzma_crc64(buf, len, crc);
		rc = io_chunk(w, true, buf, len, off);
		if (rc == -ENOSPC)
			return diag_set(d, rc,
					"%s ended at byte %llu although it claims to be bigger (a "
					"fake-capacity "
					"stick?); it is now incomplete",
					rq->target, (unsigned long long)off);
		if (rc)
			return diag_set(d, rc,
					"%s: write error at byte %llu: %s (faulty or unplugged "
					"stick?); it is "
					"now incomplete",
					rq->target, (unsigned long long)off, strerror(-rc));
		off += len;
		w->res->written = off;
		i++;
		report(w, off, false);
	}
	w->res->crc_image = crc;
	w->res->write_secs = now() - w->t0;
	report(w, off, true);
	return 0;
}

/* fsync: the data and the device's own write cache; BLKFLSBUF: drop our page cache
 * for the device, so the read-back comes from the medium (O_DIRECT reads do anyway;
 * the unaligned tail does not). Then let the kernel see the new partition table. */
static int do_flush(struct wctx *w, struct diag *d)
{
	const struct write_request *rq = w->rq;

	phase(w, WRITE_PHASE_FLUSH);
	report(w, 0, false);
	if (fsync(w->fd))
		return diag_set(
			d, -errno,
			"%s: flushing failed: %s (faulty or unplugged stick?); its contents are "
			"uncertain",
			rq->target, strerror(errno));
	if (rq->block) {
		if (ioctl(w->fd, BLKFLSBUF, 0))
			return diag_set(d, -errno, "%s: BLKFLSBUF: %s", rq->target,
					strerror(errno));
		w->res->reread_rc = ioctl(w->fd, BLKRRPART, 0) ? -errno : 0;
	} else {
		posix_fadvise(w->fd, 0, 0, POSIX_FADV_DONTNEED);
		w->res->reread_rc = -ENOTBLK;
	}
	w->res->flush_secs = now() - w->t0;
	report(w, rq->image_size, true);
	return 0;
}

/* Test hook (see write.h): block until a writer opened and closed the FIFO. */
static int do_pause(const char *fifo, struct diag *d)
{
	char buf[64];
	int fd = open(fifo, O_RDONLY | O_CLOEXEC);

	if (fd < 0 && errno == EINTR)
		return -EINTR;
	if (fd < 0)
		return diag_set(d, -errno, "%s: %s", fifo, strerror(errno));
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return interrupt_pending() ? -EINTR : 0;
}

static int do_verify(struct wctx *w, uint8_t *buf, uint8_t *ibuf, const uint64_t *crcs,
		     struct diag *d)
{
	const struct write_request *rq = w->rq;
	struct write_result *res = w->res;
	uint64_t off = 0, crc = 0;
	size_t i = 0;
	int rc;

	phase(w, WRITE_PHASE_VERIFY);
	report(w, 0, false);
	res->first_bad = UINT64_MAX;
	while (off < rq->image_size) {
		size_t len = rq->image_size - off > WRITE_CHUNK ? WRITE_CHUNK
								: (size_t)(rq->image_size - off),
		       got;

		if (interrupt_pending())
			return diag_set(d, -EINTR,
					"interrupted while verifying: %s was written and flushed "
					"completely "
					"but not verified; run chainboot write again to be sure",
					rq->target);
		rc = io_chunk(w, false, buf, len, off);
		if (rc)
			return diag_set(d, rc,
					"%s: read error at byte %llu while verifying: %s (faulty "
					"or unplugged "
					"stick?)",
					rq->target, (unsigned long long)off,
					rc == -ENODATA ? "device ended early" : strerror(-rc));
		crc = lzma_crc64(buf, len, crc);
		if (lzma_crc64(buf, len, 0) != crcs[i]) {
			res->bad_chunks++;
			/* Locate the first differing byte: only on failure, so re-reading the
			 * image chunk costs nothing in the normal case. */
			if (res->first_bad == UINT64_MAX) {
				res->first_bad = off;
				if (!pread_full(rq->image_fd, ibuf, len, off, &got) && got == len)
					for (size_t k = 0; k < len; k++)
						if (buf[k] != ibuf[k]) {
							res->first_bad = off + k;
							break;
						}
			}
		}
		off += len;
		i++;
		report(w, off, false);
	}
	res->crc_device = crc;
	res->verify_secs = now() - w->t0;
	res->verified = res->bad_chunks == 0 && crc == res->crc_image;
	report(w, off, true);
	if (!res->verified)
		return diag_set(d, -EBADMSG,
				"verify failed: %s returned different data from byte %llu on "
				"(%llu of %llu blocks of 4 MiB differ; CRC-64 written %016llx, "
				"read %016llx): the "
				"stick is faulty or fake; do not boot from it, try another stick",
				rq->target, (unsigned long long)res->first_bad,
				(unsigned long long)res->bad_chunks,
				(unsigned long long)((rq->image_size + WRITE_CHUNK - 1) /
						     WRITE_CHUNK),
				(unsigned long long)res->crc_image, (unsigned long long)crc);
	return 0;
}

int write_image(const struct write_request *rq, struct write_result *res, struct diag *d)
{
	struct wctx w = { .rq = rq, .res = res, .fd = -1 };
	uint8_t *buf = NULL, *ibuf = NULL;
	uint64_t *crcs = NULL;
	uint64_t nchunks;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!rq->image_size)
		return diag_set(d, -EINVAL, "%s is empty: nothing to write", rq->image);
	nchunks = (rq->image_size + WRITE_CHUNK - 1) / WRITE_CHUNK;
	if (nchunks > SIZE_MAX / sizeof(*crcs))
		return diag_set(d, -EFBIG, "%s: too large", rq->image);
	crcs = calloc((size_t)nchunks, sizeof(*crcs));
	if (!crcs || posix_memalign((void **)&buf, DIRECT_ALIGN, WRITE_CHUNK) ||
	    posix_memalign((void **)&ibuf, DIRECT_ALIGN, WRITE_CHUNK)) {
		rc = diag_set(d, -ENOMEM, "out of memory");
		goto out;
	}
	rc = open_target(rq, &w, d);
	if (rc)
		goto out;
	rc = do_write(&w, buf, crcs, d);
	if (!rc)
		rc = do_flush(&w, d);
	if (!rc && rq->verify && rq->pause_fifo)
		rc = do_pause(rq->pause_fifo, d);
	if (rc == -EINTR && d && !d->msg[0])
		diag_set(d, rc,
			 "interrupted before verifying: %s was written and flushed completely but "
			 "not "
			 "verified; run chainboot write again to be sure",
			 rq->target);
	if (!rc && rq->verify)
		rc = do_verify(&w, buf, ibuf, crcs, d);
out:
	if (w.fd >= 0 && close(w.fd) && !rc)
		rc = diag_set(d, -errno, "%s: %s", rq->target, strerror(errno));
	free(buf);
	free(ibuf);
	free(crcs);
	return rc;
}
