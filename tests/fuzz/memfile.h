/* memfile: a fuzz input as a file path (memfd under /proc/self/fd), for parsers that read files. */
#ifndef CB_FUZZ_MEMFILE_H
#define CB_FUZZ_MEMFILE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* The fd of a memfd holding data[0..size), its path in path; -1 when it cannot be made
 * (the caller skips the input). The caller closes the fd. */
static inline int fuzz_memfile(const char *name, const uint8_t *data, size_t size, char *path, size_t pathsz)
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
