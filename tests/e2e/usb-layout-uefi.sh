#!/bin/bash
# usb layout (MBR disk, one FAT partition) booted by OVMF from a USB disk: EFI/BOOT/BOOTX64.EFI.
. "$(dirname "$0")/lib.sh"
e2e_require qemu-system-x86_64
site_up 1
img=$E2E_TMP/chainboot.img
build_image "$img" --url "$LIVE_URL" --user-class "$USER_CLASS" --layout usb
boot_and_check uefi usb "$img" "OVMF USB disk (usb layout)"
e2e_finish
