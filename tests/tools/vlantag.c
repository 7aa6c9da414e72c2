/* vlantag: a userspace 802.1Q tagger for the e2e tests, because the test kernel has
 * neither 8021q (`ip link add ... type vlan`) nor bridge VLAN filtering. It joins a
 * trunk interface (the VM's tap: tagged frames) to an access interface (a veth on the
 * untagged LAN) for one VLAN, like a switch's trunk port and a VLAN interface on it:
 *
 *   trunk  → access: frames tagged with --vid lose the tag; untagged frames and other
 *                    VLANs are dropped (the VM's untagged network has nothing on it);
 *   access → trunk:  untagged frames get the tag of --vid; tagged ones are dropped.
 *
 *   vlantag --trunk IF --access IF --vid N [--duration S] [--plain IF] [--verbose]
 *
 * Prints "vlantag: ready trunk=IF access=IF vid=N" once both sockets are bound, and at
 * the end (SIGTERM, SIGINT or --duration, default 600 s) one line of counters:
 * trunk_in= untagged_out= access_in= tagged_out= drop_untagged= drop_vid= drop_tagged=
 * drop_short= drop_big= send_err=; --plain IF: see plain_port(); --verbose: a line per frame before it. Frames are untrusted (the VM sends them) and go
 * through tests/common/vlanframe.h. Exit 0, 1 on a socket error, 2 on usage errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "interrupt.h"
#include "tool.h"
#include "vlanframe.h"

#define FRAME_MAX 2048 /* one Ethernet frame with a tag and room to spare (MTU 1500) */

struct counters {
	unsigned long trunk_in, untagged_out, access_in, tagged_out,
		drop[VLANFRAME_DROP_TOO_BIG + 1], send_err;
};

/* A raw socket on one interface, every protocol, promiscuous, with the kernel's VLAN
 * metadata (PACKET_AUXDATA). Returns the fd or -1 (message printed). */
static int open_port(const char *ifname, int *ifindex)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
	int one = 1, fd;

	*ifindex = (int)if_nametoindex(ifname);
	if (!*ifindex) {
		fprintf(stderr, "vlantag: %s: no such interface\n", ifname);
		return -1;
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0) {
		fprintf(stderr, "vlantag: packet socket: %s (needs CAP_NET_RAW)\n",
			strerror(errno));
		return -1;
	}
	sll.sll_ifindex = *ifindex;
	mr.mr_ifindex = *ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr))) {
		fprintf(stderr, "vlantag: %s: %s\n", ifname, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* One frame from fd into buf: its length, or 0 when there is nothing to relay (our own
 * transmissions, which a packet socket sees too, or a truncated frame); -1 on error.
 * tagged, tci: the tag the kernel moved into the metadata, if any. */
static ssize_t read_frame(int fd, uint8_t *buf, size_t cap, bool *tagged, uint16_t *tci)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} ctl;
	struct sockaddr_ll from;
	struct iovec iov = { buf, cap };
	struct msghdr m = { .msg_name = &from,
			    .msg_namelen = sizeof(from),
			    .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = &ctl,
			    .msg_controllen = sizeof(ctl) };
	ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);

	*tagged = false;
	*tci = 0;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (from.sll_pkttype == PACKET_OUTGOING || (m.msg_flags & MSG_TRUNC))
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		struct tpacket_auxdata aux;

		if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
		    c->cmsg_len < CMSG_LEN(sizeof(aux)))
			continue;
		memcpy(&aux, CMSG_DATA(c), sizeof(aux));
		if (aux.tp_status & TP_STATUS_VLAN_VALID) {
			*tagged = true;
			*tci = aux.tp_vlan_tci;
		}
	}
	return n;
}

static bool verbose;

/* --verbose: one line per frame, for a person reading the test's kept logs. */
static void trace(bool from_trunk, const uint8_t *f, size_t len, bool tagged, uint16_t tci,
		  enum vlanframe_verdict v)
{
	static const char *names[] = { "pass",	   "drop-short",  "drop-untagged",
				       "drop-vid", "drop-tagged", "drop-big" };

	if (!verbose || len < VLANFRAME_HDR)
		return;
	printf("vlantag: %s len=%zu dst=%02x:%02x:%02x:%02x:%02x:%02x src=%02x:%02x:%02x:%02x:%02x:"
	       "%02x type=0x%02x%02x tag=%s%u %s\n",
	       from_trunk ? "trunk>access" : "access>trunk", len, f[0], f[1], f[2], f[3], f[4],
	       f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13], tagged ? "meta:" : "",
	       tagged ? tci & 0x0fffu
		      : (len >= 16 && f[12] == 0x81 && f[13] == 0
				 ? (unsigned)((f[14] & 15) << 8 | f[15])
				 : 0u),
	       names[v]);
	fflush(stdout);
}

/* Relay what is waiting on one side; returns -1 on a socket error. */
static int relay(int from, int to, bool from_trunk, uint16_t vid, struct counters *k)
{
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t out_len = 0;
	bool tagged;
	uint16_t tci;
	ssize_t n;
	enum vlanframe_verdict v;

	for (int i = 0; i < 64; i++) { /* bounded per wake-up: the other side gets a turn */
		n = read_frame(from, in, sizeof(in), &tagged, &tci);
		if (n <= 0)
			return (int)n;
		if (from_trunk) {
			k->trunk_in++;
			v = vlanframe_untag(in, (size_t)n, tagged, tci, vid, out, sizeof(out),
					    &out_len);
		} else {
			k->access_in++;
			v = vlanframe_tag(in, (size_t)n, tagged, vid, out, sizeof(out), &out_len);
		}
		trace(from_trunk, in, (size_t)n, tagged, tci, v);
		if (v != VLANFRAME_PASS) {
			k->drop[v]++;
			continue;
		}
		if (send(to, out, out_len, 0) != (ssize_t)out_len)
			k->send_err++;
		else if (from_trunk)
			k->untagged_out++;
		else
			k->tagged_out++;
	}
	return 0;
}

/* --plain IF: turn off IF's transmit checksum offload, TSO and GSO. Linux hands a frame
 * that leaves by a veth or bridge port with its TCP/UDP checksum still to be filled
 * in (CHECKSUM_PARTIAL) and TCP in 64 KiB super-frames; a packet socket on the far end
 * gets them as they are, and a frame relayed so would reach the VM with a wrong
 * checksum (iPXE drops it) or too big. With the offloads off on the LAN side's port
 * (the peer of --access), the kernel finishes every frame before it leaves. */
static int plain_port(const char *ifname)
{
	static const unsigned cmds[] = { ETHTOOL_STXCSUM, ETHTOOL_STSO, ETHTOOL_SGSO };
	struct ethtool_value v;
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0 || strlen(ifname) >= sizeof(ifr.ifr_name)) {
		fprintf(stderr, "vlantag: --plain %s: %s\n", ifname,
			fd < 0 ? strerror(errno) : "name too long");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]) && !rc; i++) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		v = (struct ethtool_value){ .cmd = cmds[i], .data = 0 };
		ifr.ifr_data = (char *)&v;
		if (ioctl(fd, SIOCETHTOOL, &ifr)) {
			fprintf(stderr, "vlantag: --plain %s: offload off: %s\n", ifname,
				strerror(errno));
			rc = -1;
		}
	}
	close(fd);
	return rc;
}

static void usage(void)
{
	fprintf(stderr, "usage: vlantag --trunk IF --access IF --vid N [--duration S] [--plain IF] "
			"[--verbose]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *trunk = NULL, *access = NULL;
	long long vid = 0, duration = 600;
	struct counters k = { 0 };
	int tfd, afd, tidx, aidx, rc = 0;
	uint64_t t0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--verbose")) {
			verbose = true;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--trunk"))
			trunk = argv[++i];
		else if (!strcmp(argv[i], "--access"))
			access = argv[++i];
		else if (!strcmp(argv[i], "--vid"))
			vid = tool_num("vlantag", "--vid", argv[++i], 1, VLANFRAME_VIDMAX);
		else if (!strcmp(argv[i], "--plain")) {
			if (plain_port(argv[++i]))
				return 1;
		} else if (!strcmp(argv[i], "--duration"))
			duration = tool_num("vlantag", "--duration", argv[++i], 1, 86400);
		else
			usage();
	}
	if (!trunk || !access || !vid)
		usage();
	if ((tfd = open_port(trunk, &tidx)) < 0)
		return 1;
	if ((afd = open_port(access, &aidx)) < 0) {
		close(tfd);
		return 1;
	}
	interrupt_catch();
	printf("vlantag: ready trunk=%s access=%s vid=%lld\n", trunk, access, vid);
	fflush(stdout);
	t0 = tool_now_ms();
	while (!interrupt_pending() && tool_now_ms() - t0 < (uint64_t)duration * 1000) {
		struct pollfd p[2] = { { .fd = tfd, .events = POLLIN },
				       { .fd = afd, .events = POLLIN } };

		if (poll(p, 2, 500) < 0) {
			if (errno == EINTR)
				continue;
			rc = 1;
			break;
		}
		if (((p[0].revents & POLLIN) && relay(tfd, afd, true, (uint16_t)vid, &k)) ||
		    ((p[1].revents & POLLIN) && relay(afd, tfd, false, (uint16_t)vid, &k))) {
			fprintf(stderr, "vlantag: receive: %s\n", strerror(errno));
			rc = 1;
			break;
		}
	}
	printf("vlantag: trunk_in=%lu untagged_out=%lu access_in=%lu tagged_out=%lu "
	       "drop_untagged=%lu drop_vid=%lu drop_tagged=%lu drop_short=%lu drop_big=%lu "
	       "send_err=%lu\n",
	       k.trunk_in, k.untagged_out, k.access_in, k.tagged_out,
	       k.drop[VLANFRAME_DROP_UNTAGGED], k.drop[VLANFRAME_DROP_OTHER_VID],
	       k.drop[VLANFRAME_DROP_TAGGED], k.drop[VLANFRAME_DROP_SHORT],
	       k.drop[VLANFRAME_DROP_TOO_BIG], k.send_err);
	close(tfd);
	close(afd);
	return rc;
}
