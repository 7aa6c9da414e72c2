/* vlanframe: the 802.1Q tag and untag steps of the test tagger (tests/tools/vlantag.c),
 * pure over frame bytes so that a unit test can drive them. Header-only: each tool is
 * one file. Frames are untrusted (a VM sends them): every length is checked first. */
#ifndef CB_VLANFRAME_H
#define CB_VLANFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define VLANFRAME_TPID	 0x8100 /* IEEE 802.1Q tag protocol identifier */
#define VLANFRAME_MACS	 12	/* destination + source MAC */
#define VLANFRAME_HDR	 14	/* ... + EtherType */
#define VLANFRAME_TAG	 4	/* TPID + TCI */
#define VLANFRAME_VIDMAX 4094

enum vlanframe_verdict {
	VLANFRAME_PASS = 0,	  /* out[0..*out_len) is the frame to send on */
	VLANFRAME_DROP_SHORT,	  /* shorter than an Ethernet header (or a tag) */
	VLANFRAME_DROP_UNTAGGED,  /* from the trunk without a tag (another VLAN: dropped) */
	VLANFRAME_DROP_OTHER_VID, /* tagged, but not with our VLAN */
	VLANFRAME_DROP_TAGGED,	  /* from the access side, but already tagged */
	VLANFRAME_DROP_TOO_BIG,	  /* the result would not fit out */
};

/* A frame from the trunk (the VM's side) as read: in[0..len), and the tag the kernel
 * may have taken out of the data already (Linux moves a received 802.1Q tag into the
 * packet's metadata before packet sockets see it; PACKET_AUXDATA tells it): aux_valid
 * with aux_tci. A tag still in the data counts the same. Our VLAN vid passes, without
 * its tag, into out (outsz bytes). */
static inline enum vlanframe_verdict vlanframe_untag(const uint8_t *in, size_t len, bool aux_valid,
						     uint16_t aux_tci, uint16_t vid, uint8_t *out,
						     size_t outsz, size_t *out_len)
{
	uint16_t type, tci;
	size_t skip = 0;

	if (len < VLANFRAME_HDR)
		return VLANFRAME_DROP_SHORT;
	type = (uint16_t)(in[12] << 8 | in[13]);
	if (aux_valid) {
		tci = aux_tci;
	} else if (type == VLANFRAME_TPID) {
		if (len < VLANFRAME_HDR + VLANFRAME_TAG)
			return VLANFRAME_DROP_SHORT;
		tci = (uint16_t)(in[14] << 8 | in[15]);
		skip = VLANFRAME_TAG;
	} else {
		return VLANFRAME_DROP_UNTAGGED;
	}
	if ((tci & 0x0fff) != vid)
		return VLANFRAME_DROP_OTHER_VID;
	if (len - skip > outsz)
		return VLANFRAME_DROP_TOO_BIG;
	memcpy(out, in, VLANFRAME_MACS);
	memcpy(out + VLANFRAME_MACS, in + VLANFRAME_MACS + skip, len - VLANFRAME_MACS - skip);
	*out_len = len - skip;
	return VLANFRAME_PASS;
}

/* A frame from the access side (the untagged LAN): in[0..len) gets the tag of vid
 * (priority 0) after its MACs, into out (outsz bytes). A frame that is tagged already
 * (in the data or, aux_valid, in the metadata) is dropped: the access side is one VLAN. */
static inline enum vlanframe_verdict vlanframe_tag(const uint8_t *in, size_t len, bool aux_valid,
						   uint16_t vid, uint8_t *out, size_t outsz,
						   size_t *out_len)
{
	if (len < VLANFRAME_HDR)
		return VLANFRAME_DROP_SHORT;
	if (aux_valid || (uint16_t)(in[12] << 8 | in[13]) == VLANFRAME_TPID)
		return VLANFRAME_DROP_TAGGED;
	if (len > outsz || VLANFRAME_TAG > outsz - len)
		return VLANFRAME_DROP_TOO_BIG;
	memcpy(out, in, VLANFRAME_MACS);
	out[12] = VLANFRAME_TPID >> 8;
	out[13] = VLANFRAME_TPID & 0xff;
	out[14] = (uint8_t)(vid >> 8 & 0x0f);
	out[15] = (uint8_t)(vid & 0xff);
	memcpy(out + VLANFRAME_MACS + VLANFRAME_TAG, in + VLANFRAME_MACS, len - VLANFRAME_MACS);
	*out_len = len + VLANFRAME_TAG;
	return VLANFRAME_PASS;
}

#endif
