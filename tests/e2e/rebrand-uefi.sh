#!/bin/bash
# Rebranded ipxe.efi (ipxe-amd64.efi) under OVMF, started from a FAT ESP whose
# autoexec.ipxe does NOT set user-class: the site DHCP must see class CSTM. The stock
# ipxe.efi with the same script is seen as "iPXE": the test can fail. Both reach the
# inventory.
. "$(dirname "$0")/lib.sh"
e2e_require qemu-system-x86_64 mformat mcopy mmd
. "$(dirname "$0")/_rebrand.sh"
site_up 1
rebrand_prepare

check "rebrand ipxe-amd64.efi to $USER_CLASS" rebrand_bin ipxe-amd64.efi "$USER_CLASS" "$E2E_TMP/cstm.efi"
check "ESP with the rebranded ipxe.efi and autoexec.ipxe" make_esp "$E2E_TMP/cstm.efi" "$E2E_TMP/esp-cstm.img"
check "ESP with the stock ipxe.efi and autoexec.ipxe" make_esp "$STOCK_DIR/ipxe-amd64.efi" "$E2E_TMP/esp-stock.img"

mac=$(mac_for 0)
esp_boot "$E2E_TMP/esp-cstm.img" "$mac" uefi-cstm
rebrand_evidence "OVMF, rebranded ipxe.efi" "$mac" "$USER_CLASS" iPXE
check "OVMF, rebranded ipxe.efi: serial console shows our script ran" \
	grep -aq 'rebrand-e2e: script starting' "$QEMU_SERIAL"

mac=$(mac_for 1)
esp_boot "$E2E_TMP/esp-stock.img" "$mac" uefi-stock
rebrand_evidence "OVMF, stock ipxe.efi (control)" "$mac" iPXE "$USER_CLASS"
e2e_finish
