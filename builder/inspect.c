/* inspect: `chainboot inspect`'s work — open the image (a file or a block device), probe
 * it (inspect_probe.c: the facts) and print the report (inspect_report.c); and the quick
 * check whether a file is an image at all, for write and try. */
#include "inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inspect_probe.h"
#include "inspect_report.h"
#include "iso9660.h"

int inspect_image(const char *path, bool json, FILE *out, struct diag *d)
{
	json_t *facts = NULL;
	struct stat st;
	off_t end;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		return diag_set(d, rc, "%s: cannot open: %s", path, strerror(-rc));
	}
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
		rc = diag_set(d, -EINVAL, "%s: not a regular file or block device", path);
		goto out;
	}
	/* lseek also sizes block devices (a USB stick), where st_size is 0. */
	end = lseek(fd, 0, SEEK_END);
	if (end < 0) {
		rc = -errno;
		diag_set(d, rc, "%s: cannot determine size: %s", path, strerror(-rc));
		goto out;
	}
	rc = inspect_probe(fd, (uint64_t)end, path, 0, &facts, d);
	if (!rc)
		(void)inspect_report(out, facts, json);
	json_decref(facts);
out:
	close(fd);
	return rc;
}

/* ---- is it an image at all (write, try) ---------------------------------- */

/* ---- is it an image at all (write, try) ---------------------------------- */

int inspect_sniff_image(int fd, char *why, size_t whysz)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *what;
	} packed[] = {
		{ "\xfd"
		  "7zXZ\0",
		  6, "xz-compressed: decompress it first (unxz)" },
		{ "\x1f\x8b", 2, "gzip-compressed: decompress it first (gunzip)" },
		{ "\x28\xb5\x2f\xfd", 4, "zstd-compressed: decompress it first (unzstd)" },
		{ "BZh", 3, "bzip2-compressed: decompress it first (bunzip2)" },
		{ "MZ", 2, "a PE program (an EFI binary such as snponly.efi)" },
	};
	uint8_t buf[16 * ISO9660_SECTOR + 6];
	size_t n = 0;

	while (n < sizeof(buf)) {
		ssize_t r = pread(fd, buf + n, sizeof(buf) - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n == sizeof(buf) && !memcmp(buf + 16 * ISO9660_SECTOR + 1, "CD001", 5))
		return 0;
	for (size_t i = 0; i < sizeof(packed) / sizeof(packed[0]); i++)
		if (n >= packed[i].len && !memcmp(buf, packed[i].magic, packed[i].len))
			return snprintf(why, whysz, "it is %s", packed[i].what), -EINVAL;
	/* The Linux boot header: ipxe.lkrn, a vmlinuz; they carry 55 aa too. */
	if (n >= 0x206 && !memcmp(buf + 0x202, "HdrS", 4))
		return snprintf(why, whysz, "it is a Linux kernel (such as ipxe.lkrn)"), -EINVAL;
	/* MBR, GPT's protective MBR and a FAT boot sector all end sector 0 with 55 aa. */
	if (n >= 512 && buf[510] == 0x55 && buf[511] == 0xaa)
		return 0;
	if (!n)
		return snprintf(why, whysz, "it is empty"), -EINVAL;
	return snprintf(why, whysz,
			"no ISO 9660 volume descriptor and no boot sector (55 aa at byte 510)"),
	       -EINVAL;
}
