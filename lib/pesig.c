/* pesig: Secure Boot facts of a PE/COFF binary (PE/COFF specification: optional header
 * data directory 4, the attribute certificate table; Authenticode = PKCS#7 SignedData,
 * RFC 2315; X.509 Name, RFC 5280; SBAT, shim's SBAT.md). The buffer is untrusted (an
 * image's file): every offset and length is checked before use, in subtraction form. */
#include "pesig.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "byteorder.h"

/* ---- DER: one TLV at a time, definite lengths only (DER has no other). */
struct der {
	const uint8_t *p;
	size_t len;
};

/* Take the next TLV off in: its tag, its content in out, and its whole encoding in
 * whole (may be NULL). Returns 0 or -EBADMSG. */
static int der_next(struct der *in, unsigned *tag, struct der *out, struct der *whole)
{
	size_t hdr = 2, n;

	if (in->len < 2)
		return -EBADMSG;
	*tag = in->p[0];
	if ((*tag & 0x1f) == 0x1f)
		return -EBADMSG; /* high tag numbers: none in what we read */
	n = in->p[1];
	if (n & 0x80) {
		unsigned k = n & 0x7f;
		if (k == 0 || k > 4 || in->len - 2 < k)
			return -EBADMSG;
		n = 0;
		for (unsigned i = 0; i < k; i++)
			n = n << 8 | in->p[2 + i];
		hdr += k;
	}
	if (n > in->len - hdr)
		return -EBADMSG;
	out->p = in->p + hdr;
	out->len = n;
	if (whole) {
		whole->p = in->p;
		whole->len = hdr + n;
	}
	in->p += hdr + n;
	in->len -= hdr + n;
	return 0;
}

/* The next TLV must have tag want. */
static int der_expect(struct der *in, unsigned want, struct der *out, struct der *whole)
{
	unsigned tag;
	int rc = der_next(in, &tag, out, whole);

	return rc ? rc : tag == want ? 0 : -EBADMSG;
}

static bool der_eq(const struct der *a, const struct der *b)
{
	return a->len == b->len && !memcmp(a->p, b->p, a->len);
}

static const struct {
	uint8_t oid[9];
	uint8_t len;
	const char *name;
} name_attrs[] = {
	{ { 0x55, 0x04, 0x03 }, 3, "CN" },
	{ { 0x55, 0x04, 0x06 }, 3, "C" },
	{ { 0x55, 0x04, 0x07 }, 3, "L" },
	{ { 0x55, 0x04, 0x08 }, 3, "ST" },
	{ { 0x55, 0x04, 0x0a }, 3, "O" },
	{ { 0x55, 0x04, 0x0b }, 3, "OU" },
	{ { 0x55, 0x04, 0x05 }, 3, "serialNumber" },
	{ { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01 }, 9, "emailAddress" },
};

static void append(char *out, size_t outsz, size_t *used, const char *s, size_t n)
{
	for (size_t i = 0; i < n && *used + 1 < outsz; i++)
		out[(*used)++] = s[i];
	out[*used] = '\0';
}

/* One attribute value as text: ASCII kept, anything else '?'; BMPString's high bytes
 * dropped when zero. */
static void name_value(const struct der *v, unsigned tag, char *out, size_t outsz, size_t *used)
{
	size_t step = tag == 0x1e ? 2 : 1;

	for (size_t i = 0; i + step <= v->len; i += step) {
		uint8_t c = step == 2 ? (v->p[i] ? 0 : v->p[i + 1]) : v->p[i];
		char ch = c >= 0x20 && c < 0x7f && c != '/' ? (char)c : '?';
		append(out, outsz, used, &ch, 1);
	}
}

/* An X.509 Name (SEQUENCE OF SET OF AttributeTypeAndValue) as "/C=US/O=Org/CN=Name". */
static int name_render(struct der name, char *out, size_t outsz)
{
	size_t used = 0;

	out[0] = '\0';
	while (name.len) {
		struct der set, atv, oid, val;
		unsigned tag;
		int rc = der_expect(&name, 0x31, &set, NULL);
		while (!rc && set.len) {
			const char *label = NULL;
			rc = der_expect(&set, 0x30, &atv, NULL);
			if (!rc)
				rc = der_expect(&atv, 0x06, &oid, NULL);
			if (!rc)
				rc = der_next(&atv, &tag, &val, NULL);
			if (rc)
				break;
			for (size_t i = 0; i < sizeof(name_attrs) / sizeof(name_attrs[0]); i++)
				if (oid.len == name_attrs[i].len &&
				    !memcmp(oid.p, name_attrs[i].oid, oid.len))
					label = name_attrs[i].name;
			if (!label)
				continue;
			append(out, outsz, &used, "/", 1);
			append(out, outsz, &used, label, strlen(label));
			append(out, outsz, &used, "=", 1);
			name_value(&val, tag, out, outsz, &used);
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* A certificate's serial, issuer and subject (TBSCertificate, RFC 5280 4.1). */
static int cert_names(struct der cert, struct der *serial, struct der *issuer, struct der *subject)
{
	struct der c, tbs, skip;
	unsigned tag;
	int rc = der_expect(&cert, 0x30, &c, NULL);

	if (!rc)
		rc = der_expect(&c, 0x30, &tbs, NULL);
	if (!rc && tbs.len && tbs.p[0] == 0xa0)
		rc = der_next(&tbs, &tag, &skip, NULL); /* [0] version */
	if (!rc)
		rc = der_expect(&tbs, 0x02, serial, NULL);
	if (!rc)
		rc = der_expect(&tbs, 0x30, &skip, NULL); /* signature algorithm */
	if (!rc)
		rc = der_expect(&tbs, 0x30, issuer, NULL);
	if (!rc)
		rc = der_expect(&tbs, 0x30, &skip, NULL); /* validity */
	if (!rc)
		rc = der_expect(&tbs, 0x30, subject, NULL);
	return rc;
}

static const uint8_t oid_signed_data[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02 };

/* PKCS#7 ContentInfo -> SignedData: the certificate named by the first SignerInfo's
 * issuerAndSerialNumber (RFC 2315 9.1, 9.2). */
static int pkcs7_signer(struct der in, struct pesig_info *out)
{
	struct der ci, oid, expl, sd, skip, certs = { 0 }, infos, si, ias, iss, ser;
	unsigned tag;
	int rc = der_expect(&in, 0x30, &ci, NULL);

	if (!rc)
		rc = der_expect(&ci, 0x06, &oid, NULL);
	if (!rc && (oid.len != sizeof(oid_signed_data) ||
		    memcmp(oid.p, oid_signed_data, sizeof(oid_signed_data))))
		rc = -EBADMSG;
	if (!rc)
		rc = der_expect(&ci, 0xa0, &expl, NULL);
	if (!rc)
		rc = der_expect(&expl, 0x30, &sd, NULL);
	if (!rc)
		rc = der_expect(&sd, 0x02, &skip, NULL); /* version */
	if (!rc)
		rc = der_expect(&sd, 0x31, &skip, NULL); /* digestAlgorithms */
	if (!rc)
		rc = der_expect(&sd, 0x30, &skip, NULL); /* contentInfo (SpcIndirectData) */
	if (!rc && sd.len && sd.p[0] == 0xa0)
		rc = der_next(&sd, &tag, &certs, NULL);
	if (!rc && sd.len && sd.p[0] == 0xa1)
		rc = der_next(&sd, &tag, &skip, NULL); /* crls */
	if (!rc)
		rc = der_expect(&sd, 0x31, &infos, NULL);
	if (!rc)
		rc = der_expect(&infos, 0x30, &si, NULL);
	if (!rc)
		rc = der_expect(&si, 0x02, &skip, NULL); /* version */
	if (!rc)
		rc = der_expect(&si, 0x30, &ias, NULL);
	if (!rc)
		rc = der_expect(&ias, 0x30, &iss, NULL);
	if (!rc)
		rc = der_expect(&ias, 0x02, &ser, NULL);
	while (!rc && certs.len) {
		struct der cert, cser, ciss, csub;
		rc = der_next(&certs, &tag, &skip, &cert);
		if (rc || tag != 0x30 || cert_names(cert, &cser, &ciss, &csub))
			continue; /* another choice of CertificateChoices, or unreadable */
		if (!der_eq(&cser, &ser) || !der_eq(&ciss, &iss))
			continue;
		if (name_render(csub, out->signer, sizeof(out->signer)) ||
		    name_render(ciss, out->issuer, sizeof(out->issuer)))
			return -EBADMSG;
		out->signer_found = true;
		return 0;
	}
	return rc ? rc : -ENOENT;
}

/* The attribute certificate table: 8-byte aligned WIN_CERTIFICATE entries. */
static int cert_table(const uint8_t *buf, size_t len, uint32_t off, uint32_t size,
		      struct pesig_info *out)
{
	size_t pos = off, end;

	if (!size)
		return 0;
	if (off > len || size > len - off)
		return -EBADMSG;
	end = (size_t)off + size;
	while (end - pos >= 8) {
		uint32_t dwlen = le32(buf + pos);
		uint16_t type = le16(buf + pos + 6);
		if (dwlen < 8 || dwlen > end - pos)
			return -EBADMSG;
		if (type == 0x0002) { /* WIN_CERT_TYPE_PKCS_SIGNED_DATA */
			struct der p7 = { buf + pos + 8, dwlen - 8 };
			if (out->nsigs++ == 0)
				(void)pkcs7_signer(p7, out); /* unreadable: counted, no signer */
		}
		size_t step = ((size_t)dwlen + 7) & ~(size_t)7;
		if (step > end - pos)
			break;
		pos += step;
	}
	return 0;
}

static bool has_utf16(const uint8_t *buf, size_t len, const char *s)
{
	uint8_t pat[64];
	size_t n = strlen(s);

	if (2 * n > sizeof(pat))
		return false;
	for (size_t i = 0; i < n; i++) {
		pat[2 * i] = (uint8_t)s[i];
		pat[2 * i + 1] = 0;
	}
	return memmem(buf, len, pat, 2 * n) != NULL;
}

/* The first field of each SBAT line names a component: "ipxe", "shim", ... */
static bool sbat_has(const char *sbat, const char *comp)
{
	size_t n = strlen(comp);

	for (const char *l = sbat; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, comp, n) && l[n] == ',')
			return true;
	return false;
}

static void classify(const uint8_t *buf, size_t len, struct pesig_info *out)
{
	if (!out->has_sbat)
		return;
	if (sbat_has(out->sbat, "ipxe"))
		out->kind = PESIG_KIND_IPXE;
	else if (!sbat_has(out->sbat, "shim"))
		return;
	else if (out->has_sbatlevel)
		out->kind = PESIG_KIND_SHIM;
	else if (has_utf16(buf, len, "Enroll key from disk"))
		out->kind = PESIG_KIND_MOKMANAGER;
	else
		out->kind = PESIG_KIND_SHIM_HELPER;
}

/* Is a section named ".sbatlevel"? Names longer than 8 bytes are "/N": offset N in the
 * COFF string table, after the symbol table (GNU ld writes them so in EFI images). */
static bool is_sbatlevel(const uint8_t *buf, size_t len, size_t pe, const uint8_t *name)
{
	static const char want[] = ".sbatlevel";
	uint32_t symtab = le32(buf + pe + 12), nsym = le32(buf + pe + 16);
	unsigned long off = 0;
	size_t strtab;

	if (name[0] != '/')
		return false;
	for (unsigned i = 1; i < 8 && name[i]; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		off = off * 10 + (unsigned)(name[i] - '0');
	}
	if (!symtab || symtab > len || nsym > (len - symtab) / 18)
		return false;
	strtab = symtab + (size_t)nsym * 18;
	if (off > len - strtab || sizeof(want) > len - strtab - off)
		return false;
	return !memcmp(buf + strtab + off, want, sizeof(want));
}

static void read_sections(const uint8_t *buf, size_t len, size_t pe, size_t sec, unsigned nsec,
			  struct pesig_info *out)
{
	for (unsigned i = 0; i < nsec; i++) {
		const uint8_t *s = buf + sec + 40 * (size_t)i;
		uint32_t vsize = le32(s + 8), rsize = le32(s + 16), rptr = le32(s + 20);
		uint32_t n = vsize && vsize < rsize ? vsize : rsize;

		if (is_sbatlevel(buf, len, pe, s))
			out->has_sbatlevel = true;
		if (memcmp(s, ".sbat\0\0\0", 8) || out->has_sbat)
			continue;
		if (rptr > len || n > len - rptr)
			continue; /* a section past the end of the file: no SBAT read */
		out->has_sbat = true;
		size_t k = 0;
		for (uint32_t j = 0; j < n && k + 1 < sizeof(out->sbat); j++) {
			uint8_t c = buf[rptr + j];
			if (c == 0)
				break;
			out->sbat[k++] = c == '\n' || (c >= 0x20 && c < 0x7f) ? (char)c : '?';
		}
		out->sbat[k] = '\0';
	}
}

int pesig_parse(const uint8_t *buf, size_t len, struct pesig_info *out)
{
	size_t pe, opt, sec, dirs;
	uint16_t nsec, optsz, magic;
	uint32_t ndirs;

	memset(out, 0, sizeof(*out));
	if (len < 0x40 || buf[0] != 'M' || buf[1] != 'Z')
		return -EINVAL;
	pe = le32(buf + 0x3c);
	if (pe > len || len - pe < 24 || memcmp(buf + pe, "PE\0\0", 4))
		return -EINVAL;
	out->machine = le16(buf + pe + 4);
	nsec = le16(buf + pe + 6);
	optsz = le16(buf + pe + 20);
	opt = pe + 24;
	if (optsz < 2 || optsz > len - opt || nsec > PESIG_MAX_SECTIONS)
		return -EBADMSG;
	magic = le16(buf + opt);
	if (magic != 0x10b && magic != 0x20b)
		return -EBADMSG;
	out->pe32plus = magic == 0x20b;
	dirs = out->pe32plus ? 112 : 96; /* data directories start here */
	sec = opt + optsz;
	if ((size_t)nsec * 40 > len - sec)
		return -EBADMSG;
	read_sections(buf, len, pe, sec, nsec, out);
	classify(buf, len, out);
	if (optsz < dirs)
		return 0; /* no data directories: nothing signed */
	ndirs = le32(buf + opt + dirs - 4);
	if (ndirs <= 4 || optsz - dirs < 5 * 8)
		return 0; /* no certificate table entry */
	return cert_table(buf, len, le32(buf + opt + dirs + 32), le32(buf + opt + dirs + 36), out);
}

const char *pesig_machine_name(uint16_t machine, char *buf, size_t bufsz)
{
	switch (machine) {
	case 0x8664:
		return "x86_64";
	case 0xaa64:
		return "arm64";
	case 0x014c:
		return "ia32";
	case 0x01c2:
	case 0x01c4:
		return "arm";
	default:
		snprintf(buf, bufsz, "machine 0x%04x", machine);
		return buf;
	}
}

const char *pesig_kind_name(enum pesig_kind k)
{
	static const char *names[] = { "unknown", "iPXE", "shim", "MokManager", "shim helper" };

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "unknown";
}
