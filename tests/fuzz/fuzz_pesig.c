/* fuzz_pesig: libFuzzer harness for the PE/Authenticode/SBAT reader (lib/pesig.c). The
 * input is a whole (hostile) EFI binary; whatever parses must be self-consistent. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "pesig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pesig_info info;
	char mbuf[32];
	int rc = pesig_parse(data, size, &info);

	CHECK(rc == 0 || rc == -EINVAL || rc == -EBADMSG);
	if (rc)
		return 0;
	/* Every string is NUL-terminated within its buffer. */
	CHECK(memchr(info.signer, 0, sizeof(info.signer)) != NULL);
	CHECK(memchr(info.issuer, 0, sizeof(info.issuer)) != NULL);
	CHECK(memchr(info.sbat, 0, sizeof(info.sbat)) != NULL);
	CHECK(!info.signer_found || info.nsigs > 0);
	CHECK(info.has_sbat || info.kind == PESIG_KIND_UNKNOWN);
	CHECK(pesig_kind_name(info.kind) != NULL);
	CHECK(pesig_machine_name(info.machine, mbuf, sizeof(mbuf)) != NULL);
	return 0;
}
