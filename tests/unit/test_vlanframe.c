/* test_vlanframe: the test tagger's 802.1Q steps (tests/common/vlanframe.h): our VLAN in
 * and out, every drop, and every frame length up to a header and a bit, each input at
 * the end of a page followed by a PROT_NONE page so a one-byte over-read crashes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test.h"
#include "vlanframe.h"

static uint8_t *guard_page;
static size_t page;

/* n bytes of src placed so that the byte after them is unreadable. */
static const uint8_t *at_edge(const uint8_t *src, size_t n)
{
	uint8_t *p = guard_page + page - n;

	memcpy(p, src, n);
	return p;
}

/* An untagged IPv4 frame: MACs, EtherType 0x0800, payload bytes 0, 1, 2, ... */
static size_t plain_frame(uint8_t *f, size_t payload)
{
	static const uint8_t macs[12] = { 0x52, 0x54, 0, 0, 0, 1, 0x52, 0x54, 0, 0, 0, 2 };

	memcpy(f, macs, 12);
	f[12] = 0x08;
	f[13] = 0x00;
	for (size_t i = 0; i < payload; i++)
		f[14 + i] = (uint8_t)i;
	return 14 + payload;
}

static void test_tag(void)
{
	uint8_t in[64], out[80], small[60];
	size_t n = plain_frame(in, 46), len = 0;
	enum vlanframe_verdict v;

	v = vlanframe_tag(at_edge(in, n), n, false, 100, out, sizeof(out), &len);
	ok(v == VLANFRAME_PASS && len == n + 4, "tag: passes, 4 bytes longer (%zu)", len);
	ok(!memcmp(out, in, 12) && out[12] == 0x81 && out[13] == 0x00 && out[14] == 0x00 &&
		   out[15] == 100 && out[16] == 0x08 && out[17] == 0x00 &&
		   !memcmp(out + 18, in + 14, 46),
	   "tag: MACs, 81 00, TCI 0x0064, then the original EtherType and payload");
	v = vlanframe_tag(at_edge(in, n), n, false, 4094, out, sizeof(out), &len);
	ok(v == VLANFRAME_PASS && out[14] == 0x0f && out[15] == 0xfe, "tag: VID 4094 is 0x0ffe");
	v = vlanframe_tag(at_edge(in, n), n, true, 100, out, sizeof(out), &len);
	ok(v == VLANFRAME_DROP_TAGGED, "tag: a frame the kernel saw tagged is dropped");
	v = vlanframe_tag(at_edge(out, n + 4), n + 4, false, 100, small, sizeof(small), &len);
	ok(v == VLANFRAME_DROP_TAGGED, "tag: a frame tagged in its data is dropped");
	v = vlanframe_tag(at_edge(in, n), n, false, 100, small, sizeof(small), &len);
	ok(v == VLANFRAME_DROP_TOO_BIG, "tag: no room for the tag: dropped, not cut");
	for (size_t k = 0; k < 14; k++) {
		v = vlanframe_tag(at_edge(in, k), k, false, 100, out, sizeof(out), &len);
		if (v != VLANFRAME_DROP_SHORT) {
			ok(0, "tag: a frame of %zu bytes is too short (got %d)", k, v);
			return;
		}
	}
	ok(1, "tag: every frame shorter than 14 bytes is too short, read within bounds");
}

static void test_untag(void)
{
	uint8_t in[64], tagged[80], out[80], small[40];
	size_t n = plain_frame(in, 46), tn = 0, len = 0;
	enum vlanframe_verdict v;

	ok(vlanframe_tag(in, n, false, 100, tagged, sizeof(tagged), &tn) == VLANFRAME_PASS,
	   "untag: a tagged frame to start from");
	v = vlanframe_untag(at_edge(tagged, tn), tn, false, 0, 100, out, sizeof(out), &len);
	ok(v == VLANFRAME_PASS && len == n && !memcmp(out, in, n),
	   "untag: tag in the data: the original frame back");
	v = vlanframe_untag(at_edge(in, n), n, true, 100, 100, out, sizeof(out), &len);
	ok(v == VLANFRAME_PASS && len == n && !memcmp(out, in, n),
	   "untag: tag in the metadata (Linux took it out): the frame as it is");
	v = vlanframe_untag(at_edge(in, n), n, true, 0x2000 | 100, 100, out, sizeof(out), &len);
	ok(v == VLANFRAME_PASS, "untag: priority bits do not matter");
	v = vlanframe_untag(at_edge(in, n), n, false, 0, 100, out, sizeof(out), &len);
	ok(v == VLANFRAME_DROP_UNTAGGED, "untag: an untagged frame from the trunk is dropped");
	v = vlanframe_untag(at_edge(tagged, tn), tn, false, 0, 200, out, sizeof(out), &len);
	ok(v == VLANFRAME_DROP_OTHER_VID, "untag: another VLAN (data) is dropped");
	v = vlanframe_untag(at_edge(in, n), n, true, 200, 100, out, sizeof(out), &len);
	ok(v == VLANFRAME_DROP_OTHER_VID, "untag: another VLAN (metadata) is dropped");
	v = vlanframe_untag(at_edge(tagged, tn), tn, false, 0, 100, small, sizeof(small), &len);
	ok(v == VLANFRAME_DROP_TOO_BIG, "untag: output too small: dropped, not cut");
	for (size_t k = 0; k < 18; k++) {
		v = vlanframe_untag(at_edge(tagged, k), k, false, 0, 100, out, sizeof(out), &len);
		if (v != VLANFRAME_DROP_SHORT) {
			ok(0, "untag: a tagged frame cut to %zu bytes is too short (got %d)", k, v);
			return;
		}
	}
	ok(1, "untag: every tagged frame cut below 18 bytes is too short, read within bounds");
	v = vlanframe_untag(at_edge(tagged, 18), 18, false, 0, 100, out, sizeof(out), &len);
	ok(v == VLANFRAME_PASS && len == 14, "untag: a bare tagged header gives a bare header");
}

int main(void)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	guard_page = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			  0);
	if (guard_page == MAP_FAILED || mprotect(guard_page + page, page, PROT_NONE)) {
		perror("mmap");
		return 2;
	}
	test_tag();
	test_untag();
	return test_done();
}
