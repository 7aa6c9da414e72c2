#!/bin/bash
# Fallback to the second URL: the first configured URL is dead (nothing listens on
# 198.51.100.1:8081, so the connection is refused); the chain script must go on to the
# second one, the live inventory. OVMF, so that iPXE's console is on the serial port.
. "$(dirname "$0")/lib.sh"
e2e_require qemu-system-x86_64
site_up 1
img=$E2E_TMP/chainboot.iso
build_image "$img" --url "$DEAD_URL" --url "$LIVE_URL" --user-class "$USER_CLASS" --layout hybrid
boot_and_check uefi cd "$img" "dead first URL, OVMF CD-ROM"
# iPXE reports each failed chain on its console, e.g. "<url>... Connection reset (...)"
check "dead first URL: serial console shows $DEAD_URL tried and refused" \
	grep -Eaq "${DEAD_URL//./\\.}.*(refused|Connection|Error)" "$QEMU_SERIAL"
e2e_finish
