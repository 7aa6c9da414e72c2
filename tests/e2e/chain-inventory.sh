#!/bin/bash
# Chain 5, the inventory decides: through the same network chain (OVMF PXE -> our
# snponly.efi -> CSTM -> script URL), a known MAC boots its own profile; an unknown MAC
# gets the menu, and after the menu's timeout its default profile; a MAC marked
# boot = local gets no proxyDHCP answer at all.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/_chain.sh"
e2e_require qemu-system-x86_64
chain_site
known=$(mac_for 0) unknown=$(mac_for 1) quiet=$(mac_for 2)
chain_inventory "$known" "$quiet"
cbd_start --inventory "$CBD_DIR/inventory.ini"

qemu_net_start uefi none "$known" inv-known
chain_wait "$known" e2e-known
qemu_stop
chain_evidence "known MAC" "$known" e2e-known snponly.efi pxe-rom
cbd_check "known MAC: matched by its MAC in the inventory" \
	"event=http .*path=/boot\\.ipxe status=200 .*decision=profile machine=e2e-known-vm profile=e2e-known by=mac mac=$known"

qemu_net_start uefi none "$unknown" inv-unknown
chain_wait "$unknown" e2e-default
qemu_stop
cbd_check "unknown MAC: first the menu" "event=http .*path=/boot\\.ipxe status=200 .*decision=menu .*mac=$unknown"
check "unknown MAC: the menu was shown (serial console)" \
	grep -Eaq 'this machine is not in the inventory' "$QEMU_SERIAL"
cbd_check "unknown MAC: after the timeout, the menu's default profile" \
	"event=http .*path=/boot\\.ipxe status=200 .*decision=chosen .*profile=e2e-default .*mac=$unknown"
chain_evidence "unknown MAC" "$unknown" e2e-default snponly.efi pxe-rom

# boot = local: OVMF asks and asks; the proxy stays silent (the site DHCP still answers).
qemu_net_start uefi none "$quiet" inv-local
cbd_wait "event=proxydhcp .*mac=$quiet .*decision=local" 60
rc=$?
sleep 3
qemu_stop
check "boot = local: the proxy saw $quiet and logged decision=local (wait status $rc)" test "$rc" = 0
check "boot = local: no boot file was offered to $quiet" \
	cbd_never "event=proxydhcp .*mac=$quiet .*reply="
check "boot = local: the site DHCP still gave $quiet an address" dhcp_saw_mac "$quiet"
cbd_stop
e2e_finish
