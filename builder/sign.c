/* sign: Secure Boot for images: applies [secureboot] mode to a plan. Signs the plan's EFI
 * binaries through lib/sbsign (cached, verified), lays out shim + MokManager, checks
 * vendor-signed binaries (lib/pesig). The binaries are the user's files: each is
 * checked before use. */
#include "sign.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "ipxecache.h"
#include "pesig.h"
#include "spawn.h"

static bool is_efi_dest(const char *dest)
{
	size_t n = strlen(dest);

	return n > 4 && !strcasecmp(dest + n - 4, ".efi");
}

/* One binary: the cached signed copy of f->src (lib/sbsign), verified. */
static int sign_one(struct plan_file *f, const struct sbsign_keys *k, const char *dir,
		    uint32_t *mix, struct diag *d)
{
	char path[PATH_MAX], hex[65];
	struct stat st;
	int rc = sbsign_file(f->src, k, dir, path, sizeof(path), hex, d);

	if (rc)
		return diag_prefix(d, rc, "signing %s", f->dest);
	if (stat(path, &st))
		return diag_set(d, -errno, "%s: %s", path, strerror(errno));
	snprintf(f->src, sizeof(f->src), "%s", path);
	f->len = (size_t)st.st_size;
	for (const char *s = hex; *s; s++)
		*mix = (*mix ^ (unsigned char)*s) * 16777619u;
	return 0;
}

static void note_add(struct plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note_add(struct plan *p, const char *fmt, ...)
{
	size_t n = strlen(p->note);
	va_list ap;

	snprintf(p->note + n, sizeof(p->note) - n, "%s", n ? "; " : "");
	n = strlen(p->note);
	va_start(ap, fmt);
	vsnprintf(p->note + n, sizeof(p->note) - n, fmt, ap);
	va_end(ap);
}

static struct plan_file *plan_add(struct plan *p, enum layout_area area, const char *dest,
				  struct diag *d)
{
	struct plan_file *f;

	if (p->n_files >= LAYOUT_MAX_ENTRIES) {
		diag_set(d, -E2BIG, "too many files in the image for shim mode");
		return NULL;
	}
	f = &p->files[p->n_files++];
	memset(f, 0, sizeof(*f));
	f->area = area;
	snprintf(f->dest, sizeof(f->dest), "%s", dest);
	return f;
}

static const char enroll_text[] =
	"This stick boots with UEFI Secure Boot on through shim (signed by Microsoft).\r\n"
	"shim runs the network boot loader (grubx64.efi, iPXE signed with your site key)\r\n"
	"only once that key is enrolled. On the first boot of each machine shim shows\r\n"
	"\"Verification failed: (0x1A) Security Violation\" and starts MokManager:\r\n"
	"  1. Enroll key from disk\r\n"
	"  2. pick this volume, then " SIGN_ENROLL_CER "\r\n"
	"  3. View key 0 (check the subject), Continue, Yes\r\n"
	"  4. Reboot. From then on the machine boots straight into the chain script.\r\n";

/* Where Debian's arm64 shim is: $CHAINBOOT_SHIM_ARM64_DIR (only there, when set), else
 * the cache scripts/deps.sh fills (this cache's, then root's), or the system's own (on
 * an arm64 host). */
static bool find_arm64_shim(char *shim, char *mm, size_t sz)
{
	char dir[PATH_MAX], cache[PATH_MAX];
	const char *env = getenv("CHAINBOOT_SHIM_ARM64_DIR");
	const char *dirs[4] = { env && *env ? env : NULL, NULL,
				"/var/cache/chainboot/shim-arm64/usr/lib/shim", "/usr/lib/shim" };
	struct diag d = { { 0 } };

	if (!ipxecache_dir(cache, sizeof(cache), &d)) {
		char *slash = strrchr(cache, '/');
		if (slash)
			*slash = '\0';
		snprintf(dir, sizeof(dir), "%s/shim-arm64/usr/lib/shim", cache);
		dirs[1] = dir;
	}
	for (unsigned i = 0; i < (dirs[0] ? 1u : 4u); i++) {
		if (!dirs[i])
			continue;
		snprintf(shim, sz, "%s/shimaa64.efi.signed", dirs[i]);
		snprintf(mm, sz, "%s/mmaa64.efi.signed", dirs[i]);
		if (!access(shim, R_OK) && !access(mm, R_OK))
			return true;
	}
	return false;
}

struct shim_arch {
	const char *boot, *loader, *mm; /* BOOTX64.EFI, grubx64.efi (what shim loads), mmx64.efi */
	char shim_src[PATH_MAX], mm_src[PATH_MAX];
	bool have;
};

/* The certificate (DER) and the note, once per area, at its root. */
static int shim_enroll_files(struct plan *p, enum layout_area area, const struct sbsign_keys *k,
			     struct diag *d)
{
	struct plan_file *s = plan_add(p, area, SIGN_ENROLL_CER, d);

	if (!s)
		return -E2BIG;
	s->data = malloc(k->der_len);
	if (!s->data)
		return diag_set(d, -ENOMEM, "out of memory");
	memcpy(s->data, k->der, k->der_len);
	s->len = k->der_len;
	if (!(s = plan_add(p, area, SIGN_ENROLL_TXT, d)))
		return -E2BIG;
	s->data = strdup(enroll_text);
	if (!s->data)
		return diag_set(d, -ENOMEM, "out of memory");
	s->len = strlen(enroll_text);
	return 0;
}

/* shim: EFI/BOOT/BOOTX64.EFI (BOOTAA64.EFI) is shim, our signed iPXE moves to grubx64.efi
 * (grubaa64.efi) beside it, the name Debian's shim loads, MokManager beside both.
 * *arm64_db: arm64 binaries left as db-signed iPXE (no arm64 shim found). */
static int shim_layout(struct plan *p, const struct sbsign_keys *k, bool *arm64_db, struct diag *d)
{
	struct shim_arch arches[2] = { { "BOOTX64.EFI", "grubx64.efi", "mmx64.efi", "", "", true },
				       { "BOOTAA64.EFI", "grubaa64.efi", "mmaa64.efi", "", "",
					 false } };
	unsigned n = p->n_files;
	bool done_area[2] = { false, false };
	int rc;

	snprintf(arches[0].shim_src, PATH_MAX, "%s", SIGN_SHIM_X64);
	snprintf(arches[0].mm_src, PATH_MAX, "%s", SIGN_MM_X64);
	arches[1].have = find_arm64_shim(arches[1].shim_src, arches[1].mm_src, PATH_MAX);
	for (unsigned i = 0; i < n; i++) {
		struct plan_file *f = &p->files[i], *s;
		const char *base = strrchr(f->dest, '/');
		char dir[LAYOUT_PATH_MAX];
		enum layout_area area = f->area;
		struct shim_arch *a = NULL;

		base = base ? base + 1 : f->dest;
		for (unsigned j = 0; j < 2; j++)
			if (!strcasecmp(base, arches[j].boot))
				a = &arches[j];
		if (!a)
			continue;
		if (a == &arches[1] && !a->have) {
			*arm64_db = true;
			continue;
		}
		if (access(a->shim_src, R_OK) || access(a->mm_src, R_OK))
			return diag_set(d, -ENOENT,
					"[secureboot] mode = shim needs Debian's signed shim and "
					"MokManager (%s, %s): apt-get install shim-signed "
					"shim-helpers-amd64-signed (or run scripts/deps.sh)",
					a->shim_src, a->mm_src);
		snprintf(dir, sizeof(dir), "%.*s", (int)(base - f->dest), f->dest);
		snprintf(f->dest, sizeof(f->dest), "%s%s", dir, a->loader);
		if (!(s = plan_add(p, area, "", d)))
			return -E2BIG;
		snprintf(s->dest, sizeof(s->dest), "%s%s", dir, a->boot);
		snprintf(s->src, sizeof(s->src), "%s", a->shim_src);
		if (!(s = plan_add(p, area, "", d)))
			return -E2BIG;
		snprintf(s->dest, sizeof(s->dest), "%s%s", dir, a->mm);
		snprintf(s->src, sizeof(s->src), "%s", a->mm_src);
		if (done_area[area])
			continue;
		done_area[area] = true;
		rc = shim_enroll_files(p, area, k, d);
		if (rc)
			return rc;
	}
	for (unsigned i = n; i < p->n_files; i++) {
		struct stat st;
		if (p->files[i].src[0] && !stat(p->files[i].src, &st))
			p->files[i].len = (size_t)st.st_size;
	}
	return 0;
}

/* vendor: the binaries are used as they are; each must carry a signature (lib/pesig),
 * and verify against the certificate when one is given. sbverify reports success for
 * any certificate once a binary has several signatures (sbsigntool 0.9.4, seen with
 * Debian's shim): such a binary is not checked against it, and the build says so. */
static int vendor_check(struct plan *p, const struct site_config *c, struct diag *d)
{
	unsigned multi = 0;

	for (unsigned i = 0; i < p->n_files; i++) {
		struct plan_file *f = &p->files[i];
		struct pesig_info info;
		uint8_t *buf;
		size_t len;
		int rc;

		if (!f->src[0] || !is_efi_dest(f->dest))
			continue;
		rc = fileio_read(f->src, SBSIGN_MAX_EFI, &buf, &len, d);
		if (rc)
			return rc;
		rc = pesig_parse(buf, len, &info);
		free(buf);
		if (rc || !info.nsigs)
			return diag_set(
				d, -EPERM,
				"[secureboot] mode = vendor: %s (%s) %s, so firmware with "
				"Secure Boot on would refuse it: give --ipxe-dir a directory of "
				"signed binaries, or use mode db or shim to sign ours",
				f->dest, f->src,
				rc ? "is not a PE/EFI binary" : "carries no signature");
		if (!c->sb_cert[0])
			continue;
		if (info.nsigs > 1) {
			multi++;
			continue;
		}
		rc = sbsign_verify(f->src, c->sb_cert, d);
		if (rc)
			return diag_prefix(d, rc, "[secureboot] mode = vendor: %s", f->dest);
	}
	note_add(p,
		 "Secure Boot vendor: the EFI binaries are used unchanged (signed, not "
		 "rebranded); the user-class comes from `set user-class` in the chain script%s",
		 c->sb_cert[0] ? ", each verified against the certificate" : "");
	if (multi)
		note_add(p,
			 "%u binar%s with several signatures (e.g. shim) not checked against the "
			 "certificate: sbverify cannot tell which signature verifies",
			 multi, multi == 1 ? "y" : "ies");
	return 0;
}

int sign_plan(struct plan *p, const struct site_config *c, struct diag *d)
{
	struct sbsign_keys k;
	char dir[PATH_MAX];
	uint32_t mix = p->serial;
	unsigned n = p->n_files, nsigned = 0;
	bool arm64_db = false;
	int rc;

	if (c->sb_mode == SITE_SB_OFF)
		return 0;
	if (c->sb_mode == SITE_SB_VENDOR)
		return vendor_check(p, c, d);
	rc = sbsign_check_keys(c, &k, d);
	if (rc)
		return rc;
	rc = sbsign_dir(dir, sizeof(dir), d);
	for (unsigned i = 0; !rc && i < n; i++) {
		struct plan_file *f = &p->files[i];
		if (!f->src[0] || !is_efi_dest(f->dest))
			continue;
		rc = sign_one(f, &k, dir, &mix, d);
		nsigned++;
	}
	if (!rc && c->sb_mode == SITE_SB_SHIM)
		rc = shim_layout(p, &k, &arm64_db, d);
	if (!rc) {
		char what[160];
		snprintf(what, sizeof(what), "%u EFI binar%s signed by %.100s", nsigned,
			 nsigned == 1 ? "y" : "ies", k.subject);
		note_add(p, "Secure Boot %s: %s", site_sb_mode_name(c->sb_mode), what);
		if (arm64_db)
			note_add(p,
				 "arm64 has no shim here (Debian's arm64 shim is not in "
				 "the cache: run scripts/deps.sh): BOOTAA64.EFI is signed for db "
				 "mode only");
		if (k.warning[0])
			note_add(p, "warning: %s", k.warning);
		p->serial = mix;
	}
	sbsign_keys_free(&k);
	return rc;
}

int sign_check_site(const struct site_config *c, char *warn, size_t warnsz, struct diag *d)
{
	struct sbsign_keys k;
	int rc;

	warn[0] = '\0';
	if (c->sb_mode != SITE_SB_DB && c->sb_mode != SITE_SB_SHIM)
		return 0;
	rc = sbsign_check_keys(c, &k, d);
	if (rc)
		return rc;
	snprintf(warn, warnsz, "%s", k.warning);
	sbsign_keys_free(&k);
	return 0;
}
