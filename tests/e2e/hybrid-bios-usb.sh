#!/bin/bash
# Hybrid image written to a USB stick, booted by SeaBIOS from the USB disk (isohybrid MBR).
. "$(dirname "$0")/lib.sh"
e2e_require qemu-system-x86_64
site_up 1
img=$E2E_TMP/chainboot.iso
build_image "$img" --url "$LIVE_URL" --user-class "$USER_CLASS" --layout hybrid
boot_and_check bios usb "$img" "SeaBIOS USB disk (hybrid)"
e2e_finish
