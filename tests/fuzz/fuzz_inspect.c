/* fuzz_inspect: libFuzzer harness for what `chainboot inspect` reads from an untrusted
 * image, through the shipped modules: inspect_probe (builder/inspect_probe.c) over the
 * ISO 9660 / Rock Ridge / El Torito reader (lib/iso9660.c), libblkid's partition and
 * file-system probes, the isolinux/syslinux config and iPXE script scanners and the
 * iPXE binaries found on the ISO volume, then inspect_report's text and JSON. FAT
 * volumes are left out (INSPECT_PROBE_NO_FAT): inspect reads those with mtools, a child
 * process per file, not in-process. The reader is also driven directly over memory, as
 * lib/fsextent.c uses it. The input is an image, written to a memfd and read through its
 * fd as inspect does. Checks: no crash, leak or over-read; every probe failure carries a
 * message; the text report has no control byte but newlines; the JSON is valid. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "inspect_probe.h"
#include "inspect_report.h"
#include "iso9660.h"

/* The reader over memory, as the extent finder uses it: every El Torito entry named. */
static void fuzz_reader(const uint8_t *data, size_t size)
{
	struct iso9660_mem mem = { data, size };
	struct eltorito_entry ents[ELTORITO_MAX];
	struct iso9660_ent e;
	struct iso9660 iso;
	struct diag d = { { 0 } };
	char file[ISO9660_PATH_MAX];
	size_t n = 0;
	int rc;

	rc = iso9660_open(&iso, iso9660_mem_read, &mem, size, &d);
	CHECK(rc == 0 || rc == -ENOENT || d.msg[0]);
	if (rc)
		return;
	if (iso.have_catalog && eltorito_read(&iso, ents, ELTORITO_MAX, &n, &d) < 0)
		CHECK(d.msg[0]);
	CHECK(n <= ELTORITO_MAX);
	for (size_t i = 0; i < n; i++) {
		iso9660_name_lba(&iso, ents[i].lba, file, sizeof(file));
		CHECK(strlen(file) < sizeof(file));
	}
	(void)iso9660_lookup(&iso, "/isolinux/isolinux.cfg", &e, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = { { 0 } };
	char memfd_path[64], *text = NULL;
	size_t textlen = 0;
	json_t *facts = NULL;
	FILE *out;
	int fd, rc;

	fuzz_reader(data, size);
	fd = fuzz_memfile("image", data, size, memfd_path, sizeof(memfd_path));
	if (fd < 0)
		abort();
	rc = inspect_probe(fd, size, "fuzz.img", INSPECT_PROBE_NO_FAT, &facts, &d);
	close(fd);
	CHECK((rc == 0 && facts) || (rc < 0 && !facts && d.msg[0]));
	if (rc)
		return 0;
	out = open_memstream(&text, &textlen);
	if (!out)
		abort();
	inspect_report_text(out, facts);
	fclose(out);
	for (size_t i = 0; i < textlen; i++)
		CHECK((unsigned char)text[i] >= 0x20 || text[i] == '\n');
	free(text);
	text = json_dumps(facts, JSON_COMPACT);
	CHECK(text != NULL);
	free(text);
	json_decref(facts);
	return 0;
}
