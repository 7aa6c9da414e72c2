#!/bin/bash
# Hybrid image booted as a CD-ROM (virtio-scsi) by AAVMF on qemu-system-aarch64: BOOTAA64.EFI + autoexec.ipxe.
. "$(dirname "$0")/lib.sh"
e2e_require qemu-system-aarch64
site_up 1
img=$E2E_TMP/chainboot.iso
build_image "$img" --url "$LIVE_URL" --user-class "$USER_CLASS" --layout hybrid --arch "x86_64 arm64"
boot_and_check arm64 cd "$img" "AAVMF arm64 CD-ROM (hybrid)"
e2e_finish
