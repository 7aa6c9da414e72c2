#!/bin/bash
# Secure Boot shim mode on arm64 under AAVMF with Microsoft's keys (Secure Boot
# enforced): Debian's signed arm64 shim (fetched by scripts/deps.sh) runs, refuses our
# iPXE (signed with a site key it does not know yet) and
# starts MokManager; the test enrols ENROLL-THIS-KEY.cer from the stick with keys sent
# through the QEMU monitor, as a person would at the screen, and the next boot (same
# firmware variables) goes through shim into our iPXE and reaches the inventory.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/_secureboot.sh"
e2e_require qemu-system-aarch64 openssl sbsign sbverify
sb_microsoft_firmware arm64
site_up 1
sb_own_cache
sb_site_key
sb_shim_image arm64
# The virt machine has no PS/2 keyboard: a USB one for the monitor's sendkey.
KBD=(-device qemu-xhci,id=kbdbus -device usb-kbd,bus=kbdbus.0)

# First boot: shim, its refusal, MokManager; enrol the key from the stick.
MAC_BASE=0
sb_shim_first_boot arm64 "${KBD[@]}"

# Second boot, the same machine's variables: shim -> grubx64.efi (our iPXE) -> inventory.
MAC_BASE=1
boot_and_check arm64 cd "$E2E_TMP/shim.iso" "AAVMF Secure Boot (Microsoft keys), CD-ROM, arm64 shim mode after enrolment"
e2e_finish
