#!/bin/bash
# Chain 6, why the rebrand matters: a DHCP setup keyed on user-class iPXE (a test-only
# configuration of the site dnsmasq, the classic mistake) hands the inventory script
# straight to the NIC's vendor iPXE ROM (QEMU's, like VirtualBox's). chainbootd serves
# the same inventory as in the other scenarios; the ROM fetches the script and stops at
# `console: command not found`: the script never reaches its end. The test fails if
# the vendor ROM ever runs it to the end, or if our iPXE is involved.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/_chain.sh"
e2e_require qemu-system-x86_64
net_up
tap_add 0
mac=$(mac_for 0)
url="http://$CBD_IP:$CBD_PORT/boot.ipxe?mac=\${netX/mac}&uc=\${user-class}"
site_dhcp_start_with --dhcp-userclass=set:ipxe,iPXE "--dhcp-boot=tag:ipxe,$url"
chain_inventory "$mac"
# No proxyDHCP here: the site DHCP gives the boot file; chainbootd serves HTTP and TFTP.
cbd_start --inventory "$CBD_DIR/inventory.ini" --no-proxydhcp
qemu_net_start bios vendor "$mac" wrong-class
wait_for "$QEMU_SERIAL" 'console: command not found' "$BOOT_TIMEOUT"
rc=$?
took=$((SECONDS - QEMU_START))
# give a full iPXE time to run the rest of the script, were it one
sleep 5
qemu_stop
check "the site DHCP saw user-class iPXE from $mac (the vendor ROM)" dhcp_class_for "$mac" iPXE
cbd_check "chainbootd served the vendor ROM its script (profile e2e-known)" \
	"event=http .*path=/boot\\.ipxe status=200 .*profile=e2e-known .*mac=$mac"
check "the vendor ROM stopped: 'console: command not found' on its console after ${took}s (wait status $rc)" \
	test "$rc" = 0
check "the script never reached its end (no /e2e/reached/ request)" \
	cbd_never 'event=http .*path=/e2e/reached/'
check "our iPXE was never involved: no user-class $USER_CLASS from $mac" \
	no_class "$mac" "$USER_CLASS"
cbd_stop
e2e_finish
