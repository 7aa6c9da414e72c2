/* test_layout: the layout file reader — the shipped layouts and every kind of mistake. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "siteconf.h"
#include "test.h"

static int parse(const char *text, struct layout *l, struct diag *d)
{
	diag_clear(d);
	memset(l, 0, sizeof(*l));
	strcpy(l->name, "t");
	return layout_parse(text, "t.layout", l, d);
}

int main(void)
{
	static struct layout l;
	struct diag d = { { 0 } };
	const char *src = getenv("CHAINBOOT_SRCDIR");
	char dir[4096];
	int rc;

	snprintf(dir, sizeof(dir), "%s/layouts", src ? src : ".");
	static const char *shipped[] = { "hybrid", "usb", "efi", "bios" };
	for (size_t i = 0; i < 4; i++) {
		diag_clear(&d);
		rc = layout_load(dir, shipped[i], &l, &d);
		ok(rc == 0, "shipped layout %s loads (%s)", shipped[i], d.msg);
	}
	layout_load(dir, "hybrid", &l, &d);
	ok(l.container == LAYOUT_ISO && l.bios == LAYOUT_BIOS_ISOLINUX && l.hybrid,
	   "hybrid: iso, isolinux, hybrid");
	int esp_x = 0, esp_a = 0, script = 0;
	for (unsigned i = 0; i < l.n_entries; i++) {
		const struct layout_entry *e = &l.entries[i];
		esp_x += e->area == LAYOUT_AREA_ESP && e->arch == SITE_ARCH_X86_64 &&
			 !strcmp(e->dest, "EFI/BOOT/BOOTX64.EFI");
		esp_a += e->area == LAYOUT_AREA_ESP && e->arch == SITE_ARCH_ARM64 &&
			 !strcmp(e->dest, "EFI/BOOT/BOOTAA64.EFI");
		script += e->src == LAYOUT_SRC_SCRIPT;
	}
	ok(esp_x == 1 && esp_a == 1, "hybrid: BOOTX64 for x86_64, BOOTAA64 for arm64");
	ok(script == 2, "hybrid: the script in the ISO tree and the ESP");
	diag_clear(&d);
	ok(layout_check_arch(&l, SITE_ARCH_ARM64, &d) == 0, "hybrid takes arm64");
	layout_load(dir, "bios", &l, &d);
	diag_clear(&d);
	ok(layout_check_arch(&l, SITE_ARCH_ARM64, &d) == -EINVAL &&
		   strstr(d.msg, "boots only x86_64"),
	   "bios refuses arm64: %s", d.msg);

	diag_clear(&d);
	rc = layout_load(dir, "nope", &l, &d);
	ok(rc == -ENOENT && strstr(d.msg, "\"nope\" is unknown") && strstr(d.msg, "hybrid"),
	   "unknown layout lists the known: %s", d.msg);

	rc = parse("[layout]\ncontainer = esp\n[esp]\nEFI/BOOT/BOOTX64.EFI = ipxe:ipxe-amd64.efi\n",
		   &l, &d);
	ok(rc == 0 && l.n_entries == 1 && l.entries[0].src == LAYOUT_SRC_IPXE &&
		   !strcmp(l.entries[0].name, "ipxe-amd64.efi"),
	   "a minimal new layout needs no C change");
	rc = parse("[layout]\ncontainer = floppy\n", &l, &d);
	ok(rc == -EINVAL && strstr(d.msg, "t.layout:2: container: \"floppy\" is unknown"),
	   "bad container: %s", d.msg);
	rc = parse("[layout]\ncontainer = esp\n[esp]\n../x = script\n", &l, &d);
	ok(rc == -EINVAL && strstr(d.msg, "must not contain . or .. parts"),
	   "dot-dot destination refused");
	rc = parse("[layout]\ncontainer = esp\n[esp]\n/abs = script\n", &l, &d);
	ok(rc == -EINVAL && strstr(d.msg, "relative"), "absolute destination refused");
	rc = parse("[layout]\ncontainer = esp\n[esp]\nx = ipxe:../../etc/shadow\n", &l, &d);
	ok(rc == -EINVAL && strstr(d.msg, "plain file name"), "source path escape refused");
	rc = parse("[layout]\ncontainer = esp\n[esp]\nx = http://x\n", &l, &d);
	ok(rc == -EINVAL && strstr(d.msg, "source \"http://x\" is unknown"), "unknown source kind");
	rc = parse("[layout]\ncontainer = esp\n[esp:sparc]\nx = script\n", &l, &d);
	ok(rc == -EINVAL && strstr(d.msg, "unknown architecture \"sparc\""),
	   "unknown arch section");
	rc = parse("[layout]\ncontainer = esp\n[esp]\nx = script\nX = script\n", &l, &d);
	ok(rc == -EINVAL && strstr(d.msg, "already placed at line 4"),
	   "duplicate destination (FAT is case-blind)");
	rc = parse("[layout]\ncontainer = iso\nbios = isolinux\n[tree]\nx = script\n", &l, &d);
	ok(rc == -EINVAL && strstr(d.msg, "needs bios_boot"), "isolinux without bios_boot");
	rc = parse("[layout]\ncontainer = disk\nbios = isolinux\n[tree]\nx = script\n", &l, &d);
	ok(rc == -EINVAL && strstr(d.msg, "only with container = iso"), "isolinux on a disk");
	rc = parse("[layout]\ncontainer = iso\n[esp]\nx = script\n", &l, &d);
	ok(rc == -EINVAL && strstr(d.msg, "esp_image"), "iso with ESP files but no esp_image");
	rc = parse("[layout]\ncontainer = esp\n[tree]\nx = script\n", &l, &d);
	ok(rc == -EINVAL && strstr(d.msg, "only [esp] sections"), "esp container with tree files");
	rc = parse("[layout]\ncontainer = esp\n", &l, &d);
	ok(rc == -EINVAL && strstr(d.msg, "places no files"), "empty layout");
	rc = parse("[layout]\nbios = none\n[esp]\nx = script\n", &l, &d);
	ok(rc == -EINVAL && strstr(d.msg, "container is missing"), "missing container");
	rc = parse("[layout]\ncolour = red\n", &l, &d);
	ok(rc == -EINVAL && strstr(d.msg, "t.layout:2: [layout] colour: unknown key"),
	   "unknown key: %s", d.msg);
	rc = parse("[layout]\ncontainer = esp\n[esp]\nno equals here\n", &l, &d);
	ok(rc == -EINVAL && strstr(d.msg, "t.layout:4: not a"), "syntax error line: %s", d.msg);
	char big[600];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	char text[800];
	snprintf(text, sizeof(text), "[layout]\ncontainer = esp\n[esp]\n%s = script\n", big);
	rc = parse(text, &l, &d);
	ok(rc == -EINVAL, "over-long line refused");
	char many[8192] = "[layout]\ncontainer = esp\n[esp]\n";
	for (int i = 0; i < LAYOUT_MAX_ENTRIES + 1; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "f%d = script\n", i);
	rc = parse(many, &l, &d);
	ok(rc == -EINVAL && strstr(d.msg, "more than 64 files"), "entry count capped");
	return test_done();
}
