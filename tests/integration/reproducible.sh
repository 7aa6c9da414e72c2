#!/bin/bash
# reproducible: the same inputs give byte-identical images, with SOURCE_DATE_EPOCH and
# without it (the epoch then comes from the input files, not the clock).
. "$(dirname "$0")/lib.sh"
URL=http://198.51.100.1/boot.ipxe

for layout in hybrid usb efi; do
	check "$layout: first build" "$CHAINBOOT" build --url $URL --layout $layout -o "$T/$layout.1"
	sleep 1.1 # a clock-derived time would now differ
	check "$layout: second build" "$CHAINBOOT" build --url $URL --layout $layout -o "$T/$layout.2"
	check "$layout: byte-identical without SOURCE_DATE_EPOCH" cmp "$T/$layout.1" "$T/$layout.2"
	check "$layout: build with SOURCE_DATE_EPOCH" env SOURCE_DATE_EPOCH=1700000000 "$CHAINBOOT" build --url $URL --layout $layout -o "$T/$layout.3"
	check "$layout: again with SOURCE_DATE_EPOCH" env SOURCE_DATE_EPOCH=1700000000 "$CHAINBOOT" build --url $URL --layout $layout -o "$T/$layout.4"
	check "$layout: byte-identical with SOURCE_DATE_EPOCH" cmp "$T/$layout.3" "$T/$layout.4"
	if cmp -s "$T/$layout.1" "$T/$layout.3"; then
		notok "$layout: SOURCE_DATE_EPOCH changes the image (it must be used)"
	else
		ok "$layout: SOURCE_DATE_EPOCH changes the image (it must be used)"
	fi
done

# The dates inside are the epoch's, not today's.
env SOURCE_DATE_EPOCH=1700000000 "$CHAINBOOT" build --url $URL -o "$T/d.iso" >/dev/null
check_match "ISO volume date is SOURCE_DATE_EPOCH" 'UUID=2023-11-14-22-13-20-00' "$(blkid -p -o export "$T/d.iso")"
xorriso -osirrox on -indev "$T/d.iso" -extract /efi.img "$T/d-esp.img" >/dev/null 2>&1
check_match "ESP file dates are SOURCE_DATE_EPOCH" '2023-11-14 +22:13' "$(mdir -i "$T/d-esp.img" ::/EFI/BOOT 2>&1)"

# A different URL is a different image (the script is inside), and a different FAT serial.
check "other URL builds" "$CHAINBOOT" build --url http://198.51.100.2/boot.ipxe -o "$T/o.iso"
if cmp -s "$T/hybrid.1" "$T/o.iso"; then notok "other URL gives another image"; else ok "other URL gives another image"; fi
finish
