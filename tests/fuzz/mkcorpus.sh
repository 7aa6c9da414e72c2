#!/bin/bash
# mkcorpus.sh OUTDIR IPXE_DIR: seed corpora for the fuzz harnesses, made from Debian's
# iPXE binaries (so no iPXE bytes are kept in this repository): the first kilobytes of
# each binary, the area around its DHCP template, small whole packed images, and
# corrupted variants (flipped bytes, truncations, mangled block lengths and CRCs).
set -eu
out=$1 dir=$2
mkdir -p "$out/zbin" "$out/ipxebin" "$out/fsextent" "$out/inspect" "$out/pesig"
# inspect: small ISOs made by xorriso (Rock Ridge, Joliet, El Torito BIOS + EFI entries,
# an isolinux.cfg and a chain script; one with an MBR and one with a GPT partition for
# the EFI image), each under -max_len; no iPXE bytes in them.
if command -v xorriso >/dev/null && command -v mformat >/dev/null; then
	t=$(mktemp -d "${TMPDIR:-/tmp}/cbiso.XXXXXX")
	mkdir -p "$t/iso/isolinux" "$t/iso/EFI/BOOT"
	printf 'DEFAULT ipxe\nLABEL ipxe\n KERNEL ipxe.lkrn\n INITRD /chain.ipxe,../x\n APPEND initrd=chain.ipxe\n' >"$t/iso/isolinux/isolinux.cfg"
	printf '#!ipxe\nset user-class CSTM\nset --timeout 5 cb-url0 http://198.51.100.1/boot.ipxe\n' >"$t/iso/chain.ipxe"
	printf 'MZ' >"$t/iso/EFI/BOOT/BOOTX64.EFI"
	head -c 2048 /dev/zero >"$t/iso/isolinux/ipxe.lkrn"
	head -c 4096 /dev/zero >"$t/iso/efi.img"
	mformat -C -i "$t/efi.fat" -T 24 -h 1 -s 24 -S 2 :: 2>/dev/null
	x() { xorriso -as mkisofs -R -V CHAINBOOT -no-pad -b isolinux/ipxe.lkrn -no-emul-boot \
		-eltorito-alt-boot "$@" "$t/iso" >/dev/null 2>&1 || true; }
	x -J -e efi.img -no-emul-boot -o "$out/inspect/rr-joliet.iso"
	x -e --interval:appended_partition_2:all:: -no-emul-boot -append_partition 2 0xef "$t/efi.fat" \
		-o "$out/inspect/mbr-esp.iso"
	x -e --interval:appended_partition_2:all:: -no-emul-boot -append_partition 2 0xef "$t/efi.fat" \
		-appended_part_as_gpt -o "$out/inspect/gpt-esp.iso"
	rm -rf "$t"
fi
if [ ! -d "$dir" ]; then
	echo "mkcorpus: no iPXE binaries in $dir (run scripts/deps.sh); starting from empty corpora" >&2
	exit 0
fi
python3 - "$out" "$dir" <<'PY'
import os, struct, sys, zlib
out, d = sys.argv[1], sys.argv[2]
def put(kind, name, data):
    open(os.path.join(out, kind, name), "wb").write(bytes(data))
def flip(b, at, x=0x40):
    b = bytearray(b); b[at % len(b)] ^= x; return b
for f in sorted(os.listdir(d)):
    p = os.path.join(d, f)
    if not os.path.isfile(p) or f.endswith(".iso"):
        continue
    b = open(p, "rb").read()
    for n in (1024, 4096, 16384):
        put("zbin", f"{f}.head{n}", b[:n]); put("ipxebin", f"{f}.head{n}", b[:n])
    if f.endswith(".efi"):  # pesig: PE headers and section table (the .sbat is beyond)
        put("pesig", f"{f}.head4096", b[:4096]); put("pesig", f"{f}.head4096.flip", flip(b[:4096], 0x3c, 0x01))
    t = b.find(b"\x4d\x04iPXE")
    if t > 0:  # EFI: the template as it is in the file
        seg = b[max(0, t - 512):t + 512]
        put("ipxebin", f"{f}.tmpl", seg); put("ipxebin", f"{f}.tmpl.flip", flip(seg, 512 + 1, 0x7f))
        put("ipxebin", f"{f}.pehead+tmpl", b[:1024] + seg)
    if len(b) < 160 * 1024 and t < 0:  # small packed images, whole, and damaged
        put("zbin", f"{f}.whole", b); put("ipxebin", f"{f}.whole", b)
        put("zbin", f"{f}.cut1", b[:-1]); put("zbin", f"{f}.flip", flip(b, len(b) // 2))
        for off in range(0, len(b) - 8, 16):
            (l,) = struct.unpack_from("<I", b, off)
            if l >= 9 and off + 4 + l == len(b):
                m = bytearray(b); struct.pack_into("<I", m, off, 0xffffffff); put("zbin", f"{f}.badlen", m)
                m = bytearray(b); m[off + l] ^= 1; put("zbin", f"{f}.badcrc", m)
                m = flip(b, off + 4 + l // 2)
                struct.pack_into("<I", m, off + l, zlib.crc32(m[off + 4:off + l]) ^ 0xffffffff)
                put("zbin", f"{f}.badlzma", m); put("ipxebin", f"{f}.badlzma", m)
                break
# fsextent: the start of Debian's ipxe.iso (volume descriptors, root directory) and a
# tiny FAT image made by mtools when it is there.
iso = os.path.join(d, "ipxe.iso")
if os.path.isfile(iso):
    b = open(iso, "rb").read(96 * 1024)
    put("fsextent", "ipxe.iso.head", b); put("fsextent", "ipxe.iso.flip", flip(b, 40000))
    put("inspect", "ipxe.iso.head", b)
PY
if command -v mformat >/dev/null && command -v mcopy >/dev/null; then
	f=$out/fsextent/fat12.img
	rm -f "$f"
	mformat -C -i "$f" -T 128 -h 1 -s 32 -S 2 :: 2>/dev/null &&
		mmd -i "$f" ::/EFI ::/EFI/BOOT 2>/dev/null &&
		head -c 3000 "$dir/snponly.efi" >"$out/x.efi" &&
		mcopy -i "$f" "$out/x.efi" ::/EFI/BOOT/BOOTX64.EFI 2>/dev/null || true
	rm -f "$out/x.efi"
fi
exit 0
