/* fuzz_inspect: libFuzzer harness for what `chainboot inspect` reads from an untrusted
 * image (builder/inspect.c, included here to reach its static readers): the ISO 9660
 * volume descriptors, directories with Rock Ridge names and continuation areas, the
 * El Torito catalog and naming its boot images, the partition tables and file systems
 * through libblkid, the isolinux/syslinux config and iPXE script scanners and the
 * iPXE binaries found on the ISO volume, then the text report. FAT volumes are left
 * out: inspect reads those with mtools (a child process per file), not in-process.
 * The input is an image, written to a memfd and read through its fd as inspect does.
 * Checks: no crash, leak or over-read; the report has no control byte but newlines. */
#include "../../builder/inspect.c"
/* inspect.c reports each EFI binary's Secure Boot facts through inspect_sb.c. */
#include "../../builder/inspect_sb.c"
#include "fuzz.h"

static void fuzz_iso(struct img *im, struct iso *iso, json_t *root, json_t *jiso, bool hybrid)
{
	struct et_entry ents[ELTORITO_MAX];
	struct vol v;
	json_t *jvols = json_array(), *jv = json_object();
	size_t n = 0, i;

	jset(root, "kind", jstr("iso9660"));
	jset(root, "kind_name",
	     jstr(hybrid ? "ISO 9660 image (hybrid: also a disk image)" : "ISO 9660 image"));
	if (iso->have_catalog) {
		json_t *et = json_object(), *jents = json_array();
		struct diag ed = { { 0 } };

		if (et_read(iso, ents, &n, &ed) < 0)
			jset(et, "error", jstr(ed.msg));
		CHECK(n <= ELTORITO_MAX);
		jset(et, "catalog_sector", json_integer(iso->catalog_lba));
		for (i = 0; i < n; i++) {
			json_t *je = json_object();
			char file[INSPECT_LINE_MAX];

			jset(je, "platform", jstr(et_platform(ents[i].platform)));
			jset(je, "emulation", jstr(et_media(ents[i].media)));
			jset(je, "load_rba", json_integer(ents[i].lba));
			iso_name_lba(iso, ents[i].lba, file, sizeof(file));
			CHECK(strlen(file) < sizeof(file));
			if (file[0])
				jset(je, "file", jstr(file));
			json_array_append_new(jents, je);
		}
		jset(et, "entries", jents);
		jset(jiso, "el_torito", et);
	}
	memset(&v, 0, sizeof(v));
	v.type = VOL_ISO;
	v.im = im;
	v.iso = iso;
	snprintf(v.name, sizeof(v.name), "ISO 9660 file system");
	examine_volume(&v, jv);
	vol_free(&v);
	json_array_append_new(jvols, jv);
	jset(root, "volumes", jvols);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct img im = { .fd = -1, .path = "fuzz.img" };
	struct diag d = { { 0 } };
	json_t *root = json_object(), *jiso = json_object(), *tables = json_array();
	struct iso iso;
	char fstype[64], memfd_path[64], *text = NULL;
	size_t textlen = 0;
	FILE *out;
	int rc;

	if (!root || !jiso || !tables)
		abort();
	im.fd = fuzz_memfile("image", data, size, memfd_path, sizeof(memfd_path));
	if (im.fd < 0)
		abort();
	im.size = size;
	jset(root, "path", jstr(im.path));
	jset(root, "size", json_integer((json_int_t)size));

	rc = iso_open(&im, &iso, jiso, &d);
	CHECK(rc == 0 || rc == -ENOENT || ((rc == -ENOTSUP || rc == -EBADMSG) && d.msg[0]));
	if (rc != 0 && size <= INSPECT_BIN_MAX && ipxebin_kind(data, size) != IPXEBIN_UNKNOWN) {
		json_t *jb = json_object();

		examine_binary(data, size, jb);
		jset(root, "kind", jstr("ipxe-binary"));
		jset(root, "kind_name", jstr("iPXE binary"));
		jset(root, "ipxe_binary", jb);
	} else {
		/* The whole-image probe is libblkid's own superblock code; an ISO is found
		 * by iso_open() already, so only other images pay for it. */
		fstype[0] = '\0';
		if (rc != 0)
			probe_fs(&im, 0, 0, fstype, sizeof(fstype), root);
		probe_parts(&im, false, tables);
		if (json_array_size(tables) &&
		    !strcmp(jget_str(json_array_get(tables, 0), "type"), "dos"))
			probe_parts(&im, true, tables);
		if (rc == 0) {
			fuzz_iso(&im, &iso, root, jiso, json_array_size(tables) > 0);
			jset(root, "iso9660", jiso);
			jiso = NULL;
		} else {
			jset(root, "kind_name",
			     jstr(json_array_size(tables)   ? "disk image"
				  : !strcmp(fstype, "vfat") ? "FAT image"
							    : "other"));
		}
	}
	json_decref(jiso);
	jset(root, "partition_tables", tables);

	out = open_memstream(&text, &textlen);
	if (!out)
		abort();
	print_text(out, root);
	fclose(out);
	for (size_t i = 0; i < textlen; i++)
		CHECK((unsigned char)text[i] >= 0x20 || text[i] == '\n');
	free(text);
	json_decref(root);
	close(im.fd);
	return 0;
}
