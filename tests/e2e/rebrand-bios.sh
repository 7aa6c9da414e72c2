#!/bin/bash
# Rebranded ipxe.lkrn under SeaBIOS (QEMU -kernel, the script as initrd), whose script
# does NOT set user-class: the site DHCP must still see class CSTM (and CB for a shorter
# class, sent as option 77 of length 2 plus pad options). The stock ipxe.lkrn with the
# same script is seen as "iPXE": the test can fail. Both reach the inventory.
. "$(dirname "$0")/lib.sh"
e2e_require qemu-system-x86_64
. "$(dirname "$0")/_rebrand.sh"
site_up 1
rebrand_prepare

mac=$(mac_for 0)
check "rebrand ipxe.lkrn to $USER_CLASS" rebrand_bin ipxe.lkrn "$USER_CLASS" "$E2E_TMP/cstm.lkrn"
kernel_boot "$E2E_TMP/cstm.lkrn" "$mac" bios-cstm
rebrand_evidence "SeaBIOS, rebranded ipxe.lkrn" "$mac" "$USER_CLASS" iPXE

mac=$(mac_for 1)
check "rebrand ipxe.lkrn to CB (shorter class: length 2 + pad options)" rebrand_bin ipxe.lkrn CB "$E2E_TMP/cb.lkrn"
kernel_boot "$E2E_TMP/cb.lkrn" "$mac" bios-cb
rebrand_evidence "SeaBIOS, ipxe.lkrn rebranded to CB" "$mac" CB iPXE

mac=$(mac_for 2)
kernel_boot "$STOCK_DIR/ipxe.lkrn" "$mac" bios-stock
rebrand_evidence "SeaBIOS, stock ipxe.lkrn (control)" "$mac" iPXE "$USER_CLASS"
e2e_finish
