#!/bin/bash
# Secure Boot db mode on arm64: AAVMF with Debian's snakeoil variables (Secure Boot
# enforced, the snakeoil certificate in db). The unsigned image is refused (no DHCP with
# our class, no inventory request); the image signed with the snakeoil key boots to the
# inventory as CD-ROM.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/_secureboot.sh"
e2e_require qemu-system-aarch64 openssl sbsign sbverify
sb_snakeoil_firmware arm64
site_up 1
sb_snakeoil_key
sb_own_cache
sb_db_images arm64

MAC_BASE=0
sb_refused arm64 "$E2E_TMP/off.iso" "arm64 unsigned image"

MAC_BASE=1
boot_and_check arm64 cd "$E2E_TMP/db.iso" "AAVMF Secure Boot (snakeoil db), CD-ROM, db mode"
e2e_finish
