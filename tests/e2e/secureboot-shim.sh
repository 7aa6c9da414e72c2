#!/bin/bash
# Secure Boot shim mode under OVMF with Microsoft's keys (Secure Boot enforced): Debian's
# signed shim runs, refuses our iPXE (signed with a site key it does not know yet) and
# starts MokManager; the test enrols ENROLL-THIS-KEY.cer from the stick with keys sent
# through the QEMU monitor, as a person would at the screen, and the next boot (same
# firmware variables) goes through shim into our iPXE and reaches the inventory.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/_secureboot.sh"
e2e_require qemu-system-x86_64 openssl sbsign sbverify
sb_microsoft_firmware x86_64
site_up 1
sb_own_cache
sb_site_key
sb_shim_image x86_64

# First boot: shim, its refusal, MokManager; enrol the key from the stick.
MAC_BASE=0
sb_shim_first_boot uefi

# Second boot, the same machine's variables: shim -> grubx64.efi (our iPXE) -> inventory.
MAC_BASE=1
boot_and_check uefi cd "$E2E_TMP/shim.iso" "OVMF Secure Boot (Microsoft keys), CD-ROM, shim mode after enrolment"
e2e_finish
