#!/bin/bash
# Hybrid image booted as a CD-ROM by OVMF: El Torito EFI image -> BOOTX64.EFI + autoexec.ipxe.
. "$(dirname "$0")/lib.sh"
e2e_require qemu-system-x86_64
site_up 1
img=$E2E_TMP/chainboot.iso
build_image "$img" --url "$LIVE_URL" --user-class "$USER_CLASS" --layout hybrid
boot_and_check uefi cd "$img" "OVMF CD-ROM (hybrid)"
e2e_finish
