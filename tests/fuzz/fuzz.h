/* fuzz: what every libFuzzer harness here shares: the entry point's prototype, CHECK (a
 * failed property is a crash libFuzzer records) and a fuzz input as a file (memfd). */
#ifndef CB_FUZZ_H
#define CB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                 \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

/* The fd of a memfd holding data[0..size), its path (under /proc/self/fd) in path; -1
 * when it cannot be made. For parsers that read files. The caller closes the fd. */
static inline int fuzz_memfile(const char *name, const uint8_t *data, size_t size, char *path,
			       size_t pathsz)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, pathsz, "/proc/self/fd/%d", fd);
	return fd;
}

#endif
