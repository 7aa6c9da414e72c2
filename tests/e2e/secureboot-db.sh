#!/bin/bash
# Secure Boot db mode under OVMF with Secure Boot enforced (Debian's snakeoil variables:
# the snakeoil certificate in db). The unsigned image is refused by the same firmware
# (no DHCP with our class, no inventory request); the image signed with the snakeoil key
# boots to the inventory as CD-ROM and as USB stick.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/_secureboot.sh"
e2e_require qemu-system-x86_64 openssl sbsign sbverify
sb_snakeoil_firmware x86_64
site_up 1
sb_snakeoil_key
sb_own_cache
sb_db_images x86_64

# A MAC of its own for each boot, so one boot's requests cannot stand in for another's.
MAC_BASE=0
# Unsigned: the firmware refuses BOOTX64.EFI; our iPXE never asks DHCP.
sb_refused uefi "$E2E_TMP/off.iso" "unsigned image"

MAC_BASE=1
boot_and_check uefi cd "$E2E_TMP/db.iso" "OVMF Secure Boot (snakeoil db), CD-ROM, db mode"
MAC_BASE=2
boot_and_check uefi usb "$E2E_TMP/db.iso" "OVMF Secure Boot (snakeoil db), USB stick, db mode"
e2e_finish
