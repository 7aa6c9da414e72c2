/* inspect_report: the report of what inspect_probe found — text for people, or the
 * facts themselves as JSON. Every string in the facts was escaped by the probe (no
 * control byte reaches the terminal). */
#include "inspect_report.h"

#include <errno.h>
#include <string.h>

#include "inspect_sb.h"

static const char *jget_str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void print_volume(FILE *out, const json_t *jv)
{
	const json_t *jc = json_object_get(jv, "boot_config"), *it, *u;
	size_t i, k;

	long long off = (long long)json_integer_value(json_object_get(jv, "offset"));

	if (off)
		fprintf(out, "  %s at byte %lld:\n", jget_str(jv, "name"), off);
	else
		fprintf(out, "  %s:\n", jget_str(jv, "name"));
	if (jget_str(jv, "error"))
		fprintf(out, "    error: %s\n", jget_str(jv, "error"));
	if (jc) {
		fprintf(out, "    boot config %s:", jget_str(jc, "path"));
		json_array_foreach(json_object_get(jc, "kernel"), i, it)
			fprintf(out, " kernel %s", json_string_value(it));
		json_array_foreach(json_object_get(jc, "initrd"), i, it)
			fprintf(out, " initrd %s", json_string_value(it));
		fprintf(out, "\n");
	}
	json_array_foreach(json_object_get(jv, "ipxe_binaries"), i, it)
	{
		fprintf(out, "    iPXE %s: ", jget_str(it, "path"));
		if (jget_str(it, "kind"))
			fprintf(out, "%s, ", jget_str(it, "kind"));
		if (jget_str(it, "user_class"))
			fprintf(out, "user-class \"%s\"\n", jget_str(it, "user_class"));
		else
			fprintf(out, "%s\n", jget_str(it, "error") ? jget_str(it, "error") : "?");
		inspect_sb_print(out, it, "      ");
	}
	json_array_foreach(json_object_get(jv, "scripts"), i, it)
	{
		fprintf(out, "    script %s: ", jget_str(it, "path"));
		if (jget_str(it, "error")) {
			fprintf(out, "%s\n", jget_str(it, "error"));
			continue;
		}
		if (jget_str(it, "user_class"))
			fprintf(out, "set user-class %s", jget_str(it, "user_class"));
		else
			fprintf(out, "no set user-class");
		if (!json_array_size(json_object_get(it, "urls")))
			fprintf(out, "; URLs: none");
		json_array_foreach(json_object_get(it, "urls"), k, u)
			fprintf(out, "%s%s %s", k ? ", " : "; URLs: ", jget_str(u, "setting"),
				jget_str(u, "url"));
		fprintf(out, "\n");
	}
	if (!json_array_size(json_object_get(jv, "ipxe_binaries")) &&
	    !json_array_size(json_object_get(jv, "scripts")) && !jget_str(jv, "error"))
		fprintf(out, "    no iPXE binary or chain script found\n");
}

void inspect_report_text(FILE *out, const json_t *root)
{
	const json_t *t, *p, *it, *jiso, *jb;
	size_t i, k;

	fprintf(out, "%s: %lld bytes, %s\n", jget_str(root, "path"),
		(long long)json_integer_value(json_object_get(root, "size")),
		jget_str(root, "kind_name"));
	jb = json_object_get(root, "ipxe_binary");
	if (jb) {
		fprintf(out, "  kind: %s\n", jget_str(jb, "kind"));
		if (jget_str(jb, "user_class"))
			fprintf(out, "  user-class: \"%s\"\n", jget_str(jb, "user_class"));
		else
			fprintf(out, "  user-class: %s\n", jget_str(jb, "error"));
		inspect_sb_print(out, jb, "  ");
		return;
	}
	if (jget_str(root, "filesystem"))
		fprintf(out, "  file system: %s%s%s%s\n", jget_str(root, "filesystem"),
			jget_str(root, "label") ? " \"" : "",
			jget_str(root, "label") ? jget_str(root, "label") : "",
			jget_str(root, "label") ? "\"" : "");
	json_array_foreach(json_object_get(root, "partition_tables"), i, t)
	{
		fprintf(out, "  partition table: %s\n", jget_str(t, "type"));
		json_array_foreach(json_object_get(t, "partitions"), k, p)
		{
			fprintf(out, "    %lld: start %lld, %lld bytes, type %s",
				(long long)json_integer_value(json_object_get(p, "number")),
				(long long)json_integer_value(json_object_get(p, "start")),
				(long long)json_integer_value(json_object_get(p, "size")),
				jget_str(p, "type"));
			if (jget_str(p, "type_name"))
				fprintf(out, " (%s)", jget_str(p, "type_name"));
			if (jget_str(p, "name"))
				fprintf(out, ", name \"%s\"", jget_str(p, "name"));
			fprintf(out, ", file system %s",
				jget_str(p, "filesystem") ? jget_str(p, "filesystem") : "none");
			if (jget_str(p, "label"))
				fprintf(out, " \"%s\"", jget_str(p, "label"));
			fprintf(out, "\n");
		}
	}
	jiso = json_object_get(root, "iso9660");
	if (jiso) {
		const json_t *et = json_object_get(jiso, "el_torito");

		fprintf(out, "  ISO 9660 volume id: \"%s\"\n", jget_str(jiso, "volume_id"));
		if (et && jget_str(et, "error"))
			fprintf(out, "  El Torito: %s\n", jget_str(et, "error"));
		else if (et)
			fprintf(out, "  El Torito boot catalog at sector %lld:\n",
				(long long)json_integer_value(
					json_object_get(et, "catalog_sector")));
		else
			fprintf(out, "  El Torito: none (not bootable as a CD)\n");
		json_array_foreach(et ? json_object_get(et, "entries") : NULL, i, it)
		{
			const json_t *esp = json_object_get(it, "esp");

			fprintf(out,
				"    %zu: %s, %s, %s, load segment 0x%04llx, %lld sectors, "
				"load RBA %lld",
				i + 1, jget_str(it, "platform"),
				json_is_true(json_object_get(it, "bootable")) ? "bootable"
									      : "not bootable",
				jget_str(it, "emulation"),
				(long long)json_integer_value(json_object_get(it, "load_segment")),
				(long long)json_integer_value(json_object_get(it, "sector_count")),
				(long long)json_integer_value(json_object_get(it, "load_rba")));
			if (jget_str(it, "file"))
				fprintf(out, " (%s)", jget_str(it, "file"));
			if (esp)
				fprintf(out, ", ESP image at byte %lld: %s",
					(long long)json_integer_value(
						json_object_get(esp, "offset")),
					jget_str(esp, "filesystem") ? jget_str(esp, "filesystem")
								    : "no file system");
			fprintf(out, "\n");
		}
	}
	json_array_foreach(json_object_get(root, "volumes"), i, it) print_volume(out, it);
}

int inspect_report(FILE *out, const json_t *facts, bool json)
{
	if (json) {
		json_dumpf(facts, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', out);
	} else {
		inspect_report_text(out, facts);
	}
	return ferror(out) ? -EIO : 0;
}
