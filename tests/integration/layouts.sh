#!/bin/bash
# layouts: every shipped layout builds a real image (xorriso, mtools, syslinux) that
# xorriso -report_el_torito, libblkid (blkid -p) and mdir confirm, carrying our script.
. "$(dirname "$0")/lib.sh"
URL='http://198.51.100.1/boot.ipxe?site=lab&x=1'
B=("$CHAINBOOT" build --url "$URL" --url http://198.51.100.2/boot.ipxe)

"$CHAINBOOT" script --url "$URL" --url http://198.51.100.2/boot.ipxe >"$T/expected.ipxe"
check "script: renders" test -s "$T/expected.ipxe"

# --- hybrid: ISO 9660 + El Torito BIOS + EFI + MBR/GPT ---
check "hybrid: builds" "${B[@]}" -o "$T/h.iso"
size=$(stat -c %s "$T/h.iso")
check "hybrid: at most 4 MiB ($size bytes)" test "$size" -le $((4 * 1024 * 1024))
et=$(xorriso -indev "$T/h.iso" -report_el_torito plain 2>&1)
check_match "hybrid: El Torito BIOS entry is isolinux.bin" 'El Torito img path : +1 +/isolinux/isolinux.bin' "$et"
check_match "hybrid: El Torito UEFI entry" 'El Torito boot img : +2 +UEFI' "$et"
check_match "hybrid: UEFI entry is the ESP image" 'El Torito img path : +2 +/efi.img' "$et"
check_match "hybrid: MBR isohybrid with GPT" 'Boot record +: El Torito , MBR isohybrid.*GPT' "$et"
bl=$(blkid -p -o export "$T/h.iso")
check_match "hybrid: blkid sees ISO 9660" '^TYPE=iso9660$' "$bl"
check_match "hybrid: blkid sees volume label" '^LABEL=CHAINBOOT$' "$bl"
check_match "hybrid: blkid sees a partition table" '^PTTYPE=(dos|gpt)$' "$bl"
gpt=$(xorriso -indev "$T/h.iso" -report_system_area plain 2>&1)
check_match "hybrid: GPT has the ESP as basic data partition" 'GPT type GUID.*a2a0d0ebe5b9334487c068b6b72699c7' "$gpt"
xorriso -osirrox on -indev "$T/h.iso" -extract /efi.img "$T/esp.img" -extract /chain.ipxe "$T/chain.ipxe" \
	-extract /isolinux/isolinux.cfg "$T/isolinux.cfg" >/dev/null 2>&1
esp=$(mdir -/ -b -i "$T/esp.img" ::/ 2>&1)
check_match "hybrid: ESP has EFI/BOOT/BOOTX64.EFI" '::/EFI/BOOT/BOOTX64.EFI' "$esp"
check_match "hybrid: ESP has EFI/BOOT/BOOTAA64.EFI" '::/EFI/BOOT/BOOTAA64.EFI' "$esp"
check_match "hybrid: ESP has autoexec.ipxe" '::/autoexec.ipxe' "$esp"
check "hybrid: ESP is FAT (blkid)" sh -c "blkid -p -o value -s TYPE '$T/esp.img' | grep -qx vfat"
mtype -i "$T/esp.img" ::/autoexec.ipxe >"$T/autoexec.ipxe" 2>/dev/null
check "hybrid: ESP autoexec.ipxe is the chain script" cmp "$T/autoexec.ipxe" "$T/expected.ipxe"
check "hybrid: ISO chain.ipxe is the same script" cmp "$T/chain.ipxe" "$T/expected.ipxe"
# build rebrands by default (class CSTM): the ESP holds the rebranded copy of the binary.
"$CHAINBOOT" rebrand -c CSTM "$CHAINBOOT_IPXE_DIR/ipxe-amd64.efi" "$T/x64-cstm.efi" >/dev/null
check "hybrid: ESP BOOTX64.EFI is the (rebranded) iPXE binary" sh -c "mtype -i '$T/esp.img' ::/EFI/BOOT/BOOTX64.EFI | cmp - '$T/x64-cstm.efi'"
check_match "hybrid: ISOLINUX starts ipxe.lkrn with the script as initrd" 'INITRD /chain.ipxe' "$(cat "$T/isolinux.cfg" 2>&1)"

# --- hybrid, arm64 only: no BIOS entry, still a USB-bootable disk ---
check "hybrid arm64-only: builds" "${B[@]}" --arch arm64 -o "$T/a.iso"
et=$(xorriso -indev "$T/a.iso" -report_el_torito plain 2>&1)
check_match "hybrid arm64-only: UEFI entry" 'El Torito boot img : +1 +UEFI' "$et"
if grep -q BIOS <<<"$et"; then notok "hybrid arm64-only: no BIOS entry"; else ok "hybrid arm64-only: no BIOS entry"; fi
xorriso -osirrox on -indev "$T/a.iso" -extract /efi.img "$T/esp-a.img" >/dev/null 2>&1
esp=$(mdir -/ -b -i "$T/esp-a.img" ::/ 2>&1)
check_match "hybrid arm64-only: ESP has BOOTAA64.EFI" 'BOOTAA64.EFI' "$esp"
if grep -q BOOTX64 <<<"$esp"; then notok "hybrid arm64-only: no BOOTX64.EFI"; else ok "hybrid arm64-only: no BOOTX64.EFI"; fi

# --- usb: MBR disk, one FAT partition with syslinux and the EFI tree ---
check "usb: builds" "${B[@]}" --layout usb -o "$T/u.img"
bl=$(blkid -p -o export "$T/u.img")
check_match "usb: blkid sees an MBR" '^PTTYPE=dos$' "$bl"
part=$(blkid -p -o export --offset 1048576 "$T/u.img")
check_match "usb: partition 1 at 1 MiB is FAT" '^TYPE=vfat$' "$part"
check_match "usb: partition label" '^LABEL=CHAINBOOT$' "$part"
mbr=$(od -An -tx1 -j 446 -N 16 "$T/u.img" | tr -d ' \n')
check_match "usb: partition 1 is active and starts at sector 2048" '^80.{6}(01|0e|0c).{6}00080000' "$mbr"
check_match "usb: MBR signature" '55aa' "$(od -An -tx1 -j 510 -N 2 "$T/u.img" | tr -d ' \n')"
fat=$(mdir -/ -b -a -i "$T/u.img@@1M" ::/ 2>&1)
for f in ipxe.lkrn autoexec.ipxe EFI/BOOT/BOOTX64.EFI EFI/BOOT/BOOTAA64.EFI syslinux/syslinux.cfg syslinux/ldlinux.sys syslinux/ldlinux.c32; do
	check_match "usb: FAT has $f" "::/$f\$" "$fat"
done
mtype -i "$T/u.img@@1M" ::/autoexec.ipxe >"$T/u-autoexec.ipxe" 2>/dev/null
check "usb: autoexec.ipxe is the chain script" cmp "$T/u-autoexec.ipxe" "$T/expected.ipxe"
check_match "usb: syslinux loads the editable autoexec.ipxe" 'INITRD /autoexec.ipxe' "$(mtype -i "$T/u.img@@1M" ::/syslinux/syslinux.cfg 2>&1)"
free=$(mdir -i "$T/u.img@@1M" ::/ 2>&1 | awk '/bytes free/ {gsub(/[^0-9]/,"",$0); print}')
check "usb: room left for edits (${free:-?} bytes free)" test "${free:-0}" -ge 500000

# --- efi: a bare ESP image ---
check "efi: builds" "${B[@]}" --layout efi -o "$T/e.img"
check_match "efi: blkid sees FAT" '^TYPE=vfat$' "$(blkid -p -o export "$T/e.img")"
esp=$(mdir -/ -b -i "$T/e.img" ::/ 2>&1)
check_match "efi: has BOOTX64.EFI" 'BOOTX64.EFI' "$esp"
check_match "efi: has autoexec.ipxe" 'autoexec.ipxe' "$esp"

# --- bios: ISO with only the BIOS entry ---
check "bios: builds" "${B[@]}" --layout bios --arch x86_64 -o "$T/b.iso"
et=$(xorriso -indev "$T/b.iso" -report_el_torito plain 2>&1)
check_match "bios: BIOS entry" 'El Torito boot img : +1 +BIOS' "$et"
if grep -q UEFI <<<"$et"; then notok "bios: no UEFI entry"; else ok "bios: no UEFI entry"; fi
check_fails "bios: refuses arm64" 'boots only x86_64' "${B[@]}" --layout bios --arch arm64 -o "$T/b2.iso"
check "bios: nothing written on refusal" test ! -e "$T/b2.iso"
finish
