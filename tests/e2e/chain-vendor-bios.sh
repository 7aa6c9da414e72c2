#!/bin/bash
# Chain 1, the VirtualBox case: SeaBIOS with QEMU's own NIC ROM (a vendor iPXE: Debian
# ipxe-qemu, user-class iPXE, no `console`) -> chainbootd's proxy offers our rebranded
# ipxe.pxe over TFTP -> it asks DHCP as CSTM -> the proxy offers the inventory script
# URL -> the machine's own profile runs to its end. The site DHCP knows nothing of PXE.
# chainbootd's status.json then holds exactly those steps, in order.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/_chain.sh"
e2e_require qemu-system-x86_64
chain_site
mac=$(mac_for 0)
chain_inventory "$mac"
cbd_start --inventory "$CBD_DIR/inventory.ini"
qemu_net_start bios vendor "$mac" vendor-bios
chain_wait "$mac" e2e-known
qemu_stop
check "the NIC ROM is a vendor iPXE: site DHCP saw user-class iPXE from $mac" dhcp_class_for "$mac" iPXE
chain_evidence "SeaBIOS + vendor iPXE ROM" "$mac" e2e-known ipxe.pxe vendor-ipxe
chain_timeline "SeaBIOS + vendor iPXE ROM" "$mac" ipxe.pxe e2e-known
cbd_stop
e2e_finish
