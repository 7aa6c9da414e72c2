/* dhcpopt: DHCPv4 packets (RFC 2131/2132) — a pure, bounds-checked parser into fixed
 * fields plus an options table, and a builder for packets we send. */
#ifndef CB_DHCPOPT_H
#define CB_DHCPOPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP_PORT_SERVER 67
#define DHCP_PORT_CLIENT 68
#define DHCP_PORT_PXE	 4011 /* PXE 2.1 boot server / proxyDHCP request port */

#define DHCP_FIXED_LEN 236 /* op .. file: the BOOTP header */
#define DHCP_MIN_LEN   240 /* the header and the magic cookie */
/* Largest datagram we parse or build. Ethernet DHCP fits 1500; RFC 2131 lets a client
 * announce up to 65535 (option 57), but no PXE client sends more than a few hundred
 * bytes: anything larger is refused rather than buffered. */
#define DHCP_MAX_LEN   4096
#define DHCP_BOOTP_MIN 300 /* RFC 1542 2.1: some relays and ROMs drop shorter replies */

#define DHCP_MAGIC 0x63825363u

enum dhcp_msgtype {
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_DECLINE = 4,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
	DHCP_RELEASE = 7,
	DHCP_INFORM = 8,
};

/* Option codes we read or write. */
enum {
	DHCP_OPT_PAD = 0,
	DHCP_OPT_VENDOR = 43, /* vendor-specific (PXE: sub-options, PXE 2.1 2.4) */
	DHCP_OPT_REQUESTED_IP = 50,
	DHCP_OPT_OVERLOAD = 52, /* RFC 2132 9.3: options also in file/sname */
	DHCP_OPT_MSGTYPE = 53,
	DHCP_OPT_SERVER_ID = 54,
	DHCP_OPT_PARAM_LIST = 55,
	DHCP_OPT_MAX_SIZE = 57,
	DHCP_OPT_VENDOR_CLASS = 60, /* "PXEClient:Arch:00000:UNDI:002001", "HTTPClient:..." */
	DHCP_OPT_CLIENT_ID = 61,
	DHCP_OPT_TFTP_SERVER = 66,
	DHCP_OPT_BOOTFILE = 67,
	DHCP_OPT_USER_CLASS = 77,  /* iPXE: raw bytes; RFC 3004: length-prefixed list */
	DHCP_OPT_CLIENT_ARCH = 93, /* RFC 4578 2.1: list of 16-bit types */
	DHCP_OPT_CLIENT_NDI = 94,
	DHCP_OPT_CLIENT_GUID = 97, /* RFC 4578 2.5: type 0 + 16 bytes (or empty) */
	DHCP_OPT_IPXE_ENCAP = 175,
	DHCP_OPT_END = 255,
};

/* PXE sub-options inside option 43 (PXE 2.1 table 2-1). */
enum {
	PXE_SUB_DISCOVERY_CONTROL = 6, /* bit 3 (value 8): boot the file in this packet */
	PXE_SUB_BOOT_ITEM = 71,	       /* type (2) + layer (2), echoed in the 4011 ACK */
};

/* The fixed BOOTP header; addresses in network byte order as on the wire. */
struct dhcp_hdr {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;				 /* host order */
	uint16_t secs, flags;			 /* host order; flags bit 15 = broadcast */
	uint32_t ciaddr, yiaddr, siaddr, giaddr; /* network order */
	uint8_t chaddr[16];
	uint8_t sname[64];
	uint8_t file[128];
};

/* One option as seen after RFC 3396 concatenation: every instance of a code, in the
 * order options, file, sname, joined into one value. */
struct dhcp_opt {
	bool present;
	uint16_t off; /* into dhcp_msg.data */
	uint16_t len;
};

struct dhcp_msg {
	struct dhcp_hdr h;
	uint8_t overload; /* option 52: 1 file, 2 sname, 3 both hold options */
	struct dhcp_opt opt[256];
	uint8_t data[DHCP_MAX_LEN]; /* option values, concatenated per code */
	size_t data_len;
};

/* Parse one datagram (untrusted) into m. Pure: reads buf[0..len) only.
 * Returns 0, or -EBADMSG (malformed; *why names the problem), -EMSGSIZE (over
 * DHCP_MAX_LEN). why may be NULL. A missing END option is accepted (many ROMs pad
 * with zeros instead). */
int dhcp_parse(const uint8_t *buf, size_t len, struct dhcp_msg *m, const char **why);

/* The value of option code: pointer into m (length in *len), or NULL when absent.
 * A present option of length 0 returns a non-NULL pointer and *len 0. */
const uint8_t *dhcp_opt_get(const struct dhcp_msg *m, uint8_t code, size_t *len);

/* Option 53, or 0 when absent or not one byte. */
int dhcp_msg_type(const struct dhcp_msg *m);

/* Option code's value starts with the bytes of prefix (NUL-terminated literal). */
bool dhcp_opt_prefix(const struct dhcp_msg *m, uint8_t code, const char *prefix);

/* The client's architecture: the first type of option 93, else the number after
 * "Arch:" in option 60 ("PXEClient:Arch:00007:..."). Returns 0 or -ENOENT. */
int dhcp_client_arch(const struct dhcp_msg *m, uint16_t *arch);

/* Option 77 names class cls (n bytes): either the whole raw value equals it (iPXE
 * sends raw bytes) or one entry of an RFC 3004 length-prefixed list does. */
bool dhcp_user_class_is(const struct dhcp_msg *m, const char *cls, size_t n);

/* Option 97 as text: "" when absent or empty, else the 16 UUID bytes (after the
 * type byte when the length is 17) as 8-4-4-4-12 lower-case hex in wire order.
 * out must hold 37 bytes. Returns 0, -ENOENT (absent/empty) or -EBADMSG (other length). */
int dhcp_guid_str(const struct dhcp_msg *m, char out[37]);

/* Find sub-option code in an encapsulated block (option 43 or 175): the same
 * code/length/value layout, PAD skipped, END stops. Returns 0 (*val, *vlen set),
 * -ENOENT, or -EBADMSG when a length runs past the block. */
int dhcp_sub_get(const uint8_t *enc, size_t len, uint8_t code, const uint8_t **val, size_t *vlen);

/* Building a packet into a caller's buffer. Errors stick: after the first one every
 * call is a no-op and dhcp_build_finish() returns it. */
struct dhcp_build {
	uint8_t *buf;
	size_t cap, len;
	int err;
};

/* Start a packet: the header h, the magic cookie and option 53 = type. cap must be at
 * least DHCP_BOOTP_MIN. */
void dhcp_build_start(struct dhcp_build *b, uint8_t *buf, size_t cap, const struct dhcp_hdr *h,
		      uint8_t type);
/* Append option code; a value over 255 bytes is split into several instances
 * (RFC 3396), which every reader concatenates. */
void dhcp_build_opt(struct dhcp_build *b, uint8_t code, const void *val, size_t len);
/* END, then zero padding up to DHCP_BOOTP_MIN. Returns 0 (*len = packet size),
 * or -ENOSPC when the buffer was too small. */
int dhcp_build_finish(struct dhcp_build *b, size_t *len);

/* Append one sub-option to an encapsulated block being built in enc[0..cap)
 * (*len used so far). Returns 0 or -ENOSPC. */
int dhcp_sub_add(uint8_t *enc, size_t cap, size_t *len, uint8_t code, const void *val, size_t vlen);

/* Names for logs: "DISCOVER", ..., "none" (0), "other". */
const char *dhcp_type_name(int type);
/* "52:54:00:12:34:56" for an Ethernet chaddr (hlen 6); hex of up to 16 bytes otherwise. */
const char *dhcp_chaddr_str(const struct dhcp_hdr *h, char out[48]);

#endif
