#!/bin/bash
# Chain 2: OVMF's own PXE client (the NIC has no option ROM) -> chainbootd's proxy ->
# TFTP snponly.efi (rebranded) -> it fetches autoexec.ipxe (the chain script) by TFTP ->
# DHCP as CSTM -> the script URL -> the machine's profile. Once with uefi_strategy auto
# (no option 43 on port 67: OVMF asks again on port 4011) and once with option43
# (43/6=8 and the file in the offer: no port 4011).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/_chain.sh"
e2e_require qemu-system-x86_64
chain_site
mac=$(mac_for 0)
chain_inventory "$mac"

cbd_start --inventory "$CBD_DIR/inventory.ini"
qemu_net_start uefi none "$mac" uefi-pxe-4011
chain_wait "$mac" e2e-known
qemu_stop
chain_evidence "OVMF PXE, strategy auto" "$mac" e2e-known snponly.efi pxe-rom
cbd_check "OVMF PXE, strategy auto: offer without option 43, then OVMF's REQUEST on 4011 answered" \
	"event=proxydhcp msg=REQUEST port=4011 .*mac=$mac .*decision=pxe-rom file=snponly.efi reply=ACK"
cbd_check "OVMF PXE, strategy auto: the offer on 67 had no option 43" \
	"event=proxydhcp msg=DISCOVER port=67 .*mac=$mac .*file=snponly.efi reply=OFFER option43=none"
cbd_check "OVMF PXE: autoexec.ipxe fetched by TFTP" "event=tftp .*file=autoexec.ipxe status=ok "
check "OVMF PXE: the chain script ran (serial console)" grep -Eaq 'chainboot: chain script starting' "$QEMU_SERIAL"
cbd_stop

# another MAC, so that no evidence of the first boot counts for the second
mac=$(mac_for 1)
chain_inventory "$mac"
cbd_start --inventory "$CBD_DIR/inventory.ini" --uefi-strategy option43
qemu_net_start uefi none "$mac" uefi-pxe-43
chain_wait "$mac" e2e-known
qemu_stop
chain_evidence "OVMF PXE, strategy option43" "$mac" e2e-known snponly.efi pxe-rom
cbd_check "OVMF PXE, strategy option43: 43/6=8 in the offer" \
	"event=proxydhcp msg=DISCOVER port=67 .*mac=$mac .*file=snponly.efi reply=OFFER option43=6:8"
check "OVMF PXE, strategy option43: no request on port 4011" \
	cbd_never "port=4011 .*mac=$mac .*decision=pxe-rom"
cbd_stop
e2e_finish
