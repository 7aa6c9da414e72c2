#!/bin/bash
# A machine the inventory knows only by its host name: the site DHCP gives it the name
# (option 12); chained from QEMU's vendor iPXE ROM through chainbootd, our iPXE is
# offered the fact stub, which sends every fact — hostname too — so the machine gets
# its own profile, not the menu (issue 13: the offered URL used to leave hostname out).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/_chain.sh"
e2e_require qemu-system-x86_64
mac=$(mac_for 0)
DHCP_EXTRA="--dhcp-host=$mac,lab7"
chain_site
chain_inventory 52:54:00:ff:ff:01
# Replace the MAC entry by one that names only the host.
sed -i '/^\[machine e2e-known-vm\]/,$d' "$CBD_DIR/inventory.ini"
printf '[machine e2e-lab7]\nhostname = LAB7\nprofile = e2e-known\n' >>"$CBD_DIR/inventory.ini"
cbd_start --inventory "$CBD_DIR/inventory.ini"
qemu_net_start bios vendor "$mac" vendor-hostname
chain_wait "$mac" e2e-known
qemu_stop
check "the site DHCP gave $mac its host name lab7" grep -Eq "lab7" "$E2E_TMP/dnsmasq.log"
chain_evidence "vendor iPXE ROM, machine listed by hostname" "$mac" e2e-known ipxe.pxe vendor-ipxe
cbd_check "the inventory matched the machine by hostname" \
	"event=http .*path=/boot\\.ipxe status=200 .*machine=e2e-lab7 profile=e2e-known by=hostname"
check "it was not shown the menu" cbd_never "event=http .*path=/boot\\.ipxe status=200 .*decision=menu .*mac=$mac"
check "nothing matched it by MAC" cbd_never "by=mac mac=$mac"
cbd_stop
e2e_finish
