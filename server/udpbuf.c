/* udpbuf: large receive buffers for the daemon's UDP sockets (boot storms arrive at once). */
#include <sys/socket.h>

#include "udpbuf.h"

void udpbuf_grow(int fd, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)))
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
}
