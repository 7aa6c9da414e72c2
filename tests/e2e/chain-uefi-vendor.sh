#!/bin/bash
# Chain 3: OVMF with QEMU's EFI iPXE ROM on the NIC (a vendor iPXE under UEFI, user-class
# iPXE) -> chainbootd's proxy offers our rebranded snponly.efi over TFTP -> DHCP as CSTM
# -> the script URL -> the machine's profile.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/_chain.sh"
e2e_require qemu-system-x86_64
chain_site
mac=$(mac_for 0)
chain_inventory "$mac"
cbd_start --inventory "$CBD_DIR/inventory.ini"
qemu_net_start uefi vendor "$mac" uefi-vendor
chain_wait "$mac" e2e-known
qemu_stop
check "the NIC ROM is a vendor iPXE: site DHCP saw user-class iPXE from $mac" dhcp_class_for "$mac" iPXE
chain_evidence "OVMF + vendor EFI iPXE ROM" "$mac" e2e-known snponly.efi vendor-ipxe
cbd_stop
e2e_finish
