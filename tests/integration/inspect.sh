#!/bin/bash
# inspect: reads our images and foreign ones (Debian's ipxe.iso), as text and JSON, and
# fails with the reason on files it cannot read.
. "$(dirname "$0")/lib.sh"
U1='http://198.51.100.1/boot.ipxe?site=lab&x=1'
U2=http://198.51.100.2/boot.ipxe

check "hybrid builds" "$CHAINBOOT" build --url "$U1" --url $U2 --user-class LAB7 -o "$T/h.iso"
out=$("$CHAINBOOT" inspect "$T/h.iso" 2>&1)
check_match "text: ISO 9660 hybrid" 'ISO 9660 image \(hybrid' "$out"
check_match "text: El Torito BIOS entry" 'x86 BIOS, bootable, no emulation.*/isolinux/isolinux.bin' "$out"
check_match "text: El Torito EFI entry" 'EFI, bootable, no emulation.*/efi.img' "$out"
check_match "text: GPT partition" 'partition table: gpt' "$out"
# build rebrands the binaries by default: they carry the site's class themselves.
check_match "text: lkrn class" 'iPXE /ipxe.lkrn: packed BIOS .*user-class "LAB7"' "$out"
check_match "text: BOOTX64 class" 'BOOTX64.EFI: EFI x86_64, user-class "LAB7"' "$out"
check_match "text: BOOTAA64 class" 'BOOTAA64.EFI: EFI arm64, user-class "LAB7"' "$out"
check_match "text: script sets the class" 'script /autoexec.ipxe: set user-class LAB7' "$out"
check_match "text: first URL with &" 'cb-url0 http://198\.51\.100\.1/boot\.ipxe\?site=lab&x=1' "$out"
check_match "text: second URL" 'cb-url1 http://198\.51\.100\.2/boot\.ipxe' "$out"

"$CHAINBOOT" inspect --json "$T/h.iso" >"$T/h.json" 2>&1
check "json: valid JSON" python3 -m json.tool "$T/h.json"
j=$(python3 - "$T/h.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
et = d["iso9660"]["el_torito"]["entries"]
print("platforms", ",".join(e["platform"] for e in et))
for v in d["volumes"]:
    for b in v.get("ipxe_binaries", []):
        print("bin", b["path"], b["user_class"])
    for s in v.get("scripts", []):
        print("script", s["path"], s["user_class"], " ".join(u["url"] for u in s["urls"]))
PY
)
check_match "json: El Torito platforms" '^platforms x86 BIOS,EFI$' "$j"
check_match "json: lkrn class" '^bin /ipxe.lkrn LAB7$' "$j"
check_match "json: BOOTAA64 class" '^bin /EFI/BOOT/BOOTAA64.EFI LAB7$' "$j"
check_match "json: script class and URLs" "^script /autoexec.ipxe LAB7 http://198.51.100.1/boot.ipxe\\?site=lab&x=1 $U2\$" "$j"

check "usb builds" "$CHAINBOOT" build --url $U2 --layout usb -o "$T/u.img"
out=$("$CHAINBOOT" inspect "$T/u.img" 2>&1)
check_match "usb: MBR partition with FAT" '1: start 1048576, .*file system vfat "CHAINBOOT"' "$out"
check_match "usb: syslinux config" 'kernel /ipxe.lkrn initrd /autoexec.ipxe' "$out"
check_match "usb: script URL" "cb-url0 $U2" "$out"

check "efi builds (stock binaries)" "$CHAINBOOT" build --url $U2 --layout efi --no-rebrand -o "$T/e.img"
check_match "efi: FAT image with BOOTX64" 'BOOTX64.EFI: EFI x86_64, user-class "iPXE"' "$("$CHAINBOOT" inspect "$T/e.img" 2>&1)"

# A foreign image and single binaries.
out=$("$CHAINBOOT" inspect "$CHAINBOOT_IPXE_DIR/ipxe.iso" 2>&1)
check_match "Debian ipxe.iso: BIOS iPXE class iPXE" 'packed BIOS .*user-class "iPXE"' "$out"
check_match "Debian ipxe.iso: EFI iPXE class iPXE" 'bootx64.efi: EFI x86_64, user-class "iPXE"' "$out"
for f in ipxe.lkrn ipxe.pxe undionly.kpxe undionly.kkpxe ipxe-amd64.efi ipxe-arm64.efi snponly.efi; do
	check_match "binary $f: class iPXE" 'user-class:? "iPXE"' "$("$CHAINBOOT" inspect "$CHAINBOOT_IPXE_DIR/$f" 2>&1)"
done

# Files it cannot read: non-zero, with the reason.
head -c 100000 /dev/urandom >"$T/random.bin"
check_fails "random bytes: refused with the reason" 'not an ISO 9660 image, disk image, FAT image or iPXE binary' \
	"$CHAINBOOT" inspect "$T/random.bin"
check_fails "missing file" 'No such file' "$CHAINBOOT" inspect "$T/none.iso"
head -c 1000000 "$T/h.iso" >"$T/trunc.iso"
out=$("$CHAINBOOT" inspect "$T/trunc.iso" 2>&1)
rc=$?
check "truncated image: no crash (exit $rc)" test $rc -lt 128
# A root directory that ends one byte into a record (found by fuzz_inspect: the name
# length byte was read before the record was checked to fit; ASan saw the over-read).
python3 - "$T/h.iso" "$T/shortdir.iso" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
pvd = 16 * 2048
root = struct.unpack_from("<I", b, pvd + 156 + 2)[0] * 2048
n = b[root] + 1  # the "." record and one byte: the next record's length
struct.pack_into("<I", b, pvd + 156 + 10, n); struct.pack_into(">I", b, pvd + 156 + 14, n)
b[root + n - 1] = 50
open(sys.argv[2], "wb").write(b)
PY
check_match "directory cut inside a record: reported as damaged, no over-read" \
	'ISO 9660 directory at sector [0-9]+: bad record at byte [0-9]+: damaged image' \
	"$("$CHAINBOOT" inspect "$T/shortdir.iso" 2>&1)"
# Directories that point back at the root (a damaged image): 300 of them before the
# directory holding the El Torito image. Naming the image walks the tree breadth-first
# with a bounded queue; a directory already queued must not take another place, or
# these 300 fill it and the image goes unnamed (as it did before 8d61da4).
mkdir -p "$T/loop/zz"
for i in $(seq -w 0 299); do mkdir "$T/loop/a$i"; done
head -c 4096 /dev/urandom >"$T/loop/zz/boot.img"
xorriso -as mkisofs -quiet -R -o "$T/loop.iso" -b zz/boot.img -no-emul-boot "$T/loop" 2>/dev/null
python3 - "$T/loop.iso" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
pvd = 16 * 2048
rlba = struct.unpack_from("<I", b, pvd + 156 + 2)[0]
p = rlba * 2048
end = p + struct.unpack_from("<I", b, pvd + 156 + 10)[0]
n = 0
while p < end:
    if b[p] == 0:  # padding to the end of the sector
        p = (p // 2048 + 1) * 2048
        continue
    if b[p + 25] & 2 and b[p + 32] > 1 and b[p + 33] == ord("A"):
        struct.pack_into("<I", b, p + 2, rlba); struct.pack_into(">I", b, p + 6, rlba); n += 1
    p += b[p]
if n != 300:
    sys.exit("loop.iso: %d directories pointed at the root, wanted 300" % n)
open(sys.argv[1], "wb").write(b)
PY
check_match "directories that point back at the root: the El Torito image is still named" \
	'no emulation, .*load RBA [0-9]+ \(/zz/boot\.img\)' "$("$CHAINBOOT" inspect "$T/loop.iso" 2>&1)"
check_fails "no argument" 'give one image' "$CHAINBOOT" inspect
finish
