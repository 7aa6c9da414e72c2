/* test_badinput: files that are no bootable image, as write and try see them
 * (inspect_sniff_image), and a cut-off ipxe.lkrn as inspect sees it: each gets the
 * sentence the README's bad-input table shows. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "inspect.h"
#include "test.h"

#define ISO_VD (16 * 2048)

/* A memory file holding n bytes of buf. */
static int memfile(const void *buf, size_t n)
{
	int fd = memfd_create("badinput", MFD_CLOEXEC);

	if (fd < 0 || (n && write(fd, buf, n) != (ssize_t)n)) {
		perror("memfd");
		exit(2);
	}
	return fd;
}

/* Sniff n bytes of buf; why in out. */
static int sniff(const void *buf, size_t n, char *out, size_t outsz)
{
	int fd = memfile(buf, n), rc;

	out[0] = '\0';
	rc = inspect_sniff_image(fd, out, outsz);
	close(fd);
	return rc;
}

static void test_sniff(void)
{
	static uint8_t b[ISO_VD + 4096];
	char why[160];

	memset(b, 0, sizeof(b));
	memcpy(b + ISO_VD + 1, "CD001", 5);
	ok(sniff(b, sizeof(b), why, sizeof(why)) == 0, "ISO 9660 (CD001 at sector 16): an image");
	ok(sniff(b, ISO_VD + 5, why, sizeof(why)) == -EINVAL,
	   "ISO cut inside its first descriptor: not an image (%s)", why);

	memset(b, 0, sizeof(b));
	b[510] = 0x55;
	b[511] = 0xaa;
	ok(sniff(b, 512, why, sizeof(why)) == 0,
	   "one sector ending 55 aa (MBR, GPT, FAT): an image");
	ok(sniff(b, 511, why, sizeof(why)) == -EINVAL, "511 bytes: not an image");
	b[511] = 0xab;
	ok(sniff(b, 4096, why, sizeof(why)) == -EINVAL &&
		   strstr(why, "no ISO 9660 volume descriptor and no boot sector"),
	   "zeros: %s", why);

	ok(sniff("", 0, why, sizeof(why)) == -EINVAL && !strcmp(why, "it is empty"), "empty: %s",
	   why);

	static const struct {
		const char *bytes;
		size_t n;
		const char *want;
	} magic[] = {
		{ "\xfd"
		  "7zXZ\0\0\x04",
		  8, "xz-compressed: decompress it first (unxz)" },
		{ "\x1f\x8b\x08\0", 4, "gzip-compressed: decompress it first (gunzip)" },
		{ "\x28\xb5\x2f\xfd\0", 5, "zstd-compressed: decompress it first (unzstd)" },
		{ "BZh91AY&SY", 10, "bzip2-compressed: decompress it first (bunzip2)" },
		{ "MZ\x90\0", 4, "a PE program (an EFI binary such as snponly.efi)" },
	};
	for (size_t i = 0; i < sizeof(magic) / sizeof(magic[0]); i++) {
		memset(b, 0, sizeof(b));
		memcpy(b, magic[i].bytes, magic[i].n);
		b[510] = 0x55; /* even with a boot-sector signature */
		b[511] = 0xaa;
		ok(sniff(b, 4096, why, sizeof(why)) == -EINVAL && strstr(why, magic[i].want),
		   "magic %zu: %s", i, why);
	}

	/* ipxe.lkrn (and any bzImage): boot sector 55 aa, then "HdrS" at 0x202. */
	memset(b, 0, sizeof(b));
	b[510] = 0x55;
	b[511] = 0xaa;
	memcpy(b + 0x202, "HdrS", 4);
	ok(sniff(b, 8192, why, sizeof(why)) == -EINVAL &&
		   !strcmp(why, "it is a Linux kernel (such as ipxe.lkrn)"),
	   "Linux kernel: %s", why);

	/* A read error is not "not an image". */
	int fd = memfile("x", 1);
	close(fd);
	ok(inspect_sniff_image(fd, why, sizeof(why)) == -EBADF, "closed fd: -EBADF");
}

/* inspect: a Linux-boot-protocol file that is no complete packed iPXE image is said
 * to be one, not taken for a disk image because of its 55 aa. */
static void test_inspect_cut_lkrn(void)
{
	static uint8_t b[200000];
	char path[64];
	struct diag d = { { 0 } };
	FILE *out = tmpfile();
	int fd, rc;

	memset(b, 0, sizeof(b));
	b[510] = 0x55;
	b[511] = 0xaa;
	memcpy(b + 0x202, "HdrS", 4);
	fd = memfile(b, sizeof(b));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rc = inspect_image(path, false, out, &d);
	ok(rc == -EINVAL && strstr(d.msg, ": a Linux kernel, not a whole iPXE .lkrn: "),
	   "cut-off .lkrn: %s", d.msg);
	ok(out && ftell(out) == 0, "nothing printed on failure");
	if (out)
		fclose(out);
	close(fd);
}

int main(void)
{
	test_sniff();
	test_inspect_cut_lkrn();
	return test_done();
}
