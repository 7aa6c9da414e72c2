#!/bin/bash
# Two NICs, the first without link (QEMU set_link off before the CPU starts): the chain
# script must go on to the second NIC, whose MAC then shows up on the inventory.
. "$(dirname "$0")/lib.sh"
e2e_require qemu-system-x86_64
site_up 2
img=$E2E_TMP/chainboot.iso
build_image "$img" --url "$LIVE_URL" --user-class "$USER_CLASS" --layout hybrid
mac0=$(mac_for 0)
mac1=$(mac_for 1)
# e1000: iPXE's driver reads its link state (its virtio driver reports link up always,
# so a virtio NIC "without link" only fails DHCP, after every try's full timeout).
E2E_NIC_MODEL=e1000 qemu_start bios cd "$img" 2 -- -S
# HMP answers errors as text ("Error: ...", "... not found"), with exit status 0
if hmp "set_link net0 off" "cont" >"$E2E_TMP/hmp.out" 2>&1 &&
	! grep -Eqi 'error|not found|unknown' "$E2E_TMP/hmp.out"; then
	ok "two NICs: net0 ($mac0) link set down before the CPU starts"
else
	not_ok "two NICs: net0 ($mac0) link set down before the CPU starts"
	show_log "monitor" "$E2E_TMP/hmp.out"
fi
wait_for "$E2E_TMP/http.log" "\"GET /boot\.ipxe\?([^ \"]*&)?mac=$(mac_enc "$mac1")" "$BOOT_TIMEOUT"
rc=$?
took=$((SECONDS - QEMU_START))
qemu_stop
check_boot_evidence "two NICs, second NIC" "$mac1" "$rc" "$took" bios
check "two NICs: nothing came through the NIC without link ($mac0)" mac_silent "$mac0"
e2e_finish
