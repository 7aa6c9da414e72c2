#!/bin/bash
# Chain 4: UEFI HTTP boot. OVMF (HTTPClient, arch 16) -> the proxy offers the URL of our
# snponly.efi -> it fetches autoexec.ipxe over HTTP -> CSTM -> the script URL -> the
# machine's profile. chainbootd runs with --no-tftp so that OVMF's PXE attempts get no
# answer and it falls through to HTTP boot. Debian 12's OVMF tries HTTP only after its
# PXEv4 and PXEv6 attempts time out (~140 s of TCG time); E2E_FAST=1 skips it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/_chain.sh"
if [ "${E2E_FAST:-}" = 1 ]; then
	skip "chain-uefi-httpboot (E2E_FAST=1: Debian 12's OVMF starts UEFI HTTP boot only after its PXEv4 and PXEv6 attempts time out, ~140 s per boot)"
	exit 0
fi
e2e_require qemu-system-x86_64
BOOT_TIMEOUT=${E2E_BOOT_TIMEOUT:-300}
chain_site
mac=$(mac_for 0)
chain_inventory "$mac"
cbd_start --inventory "$CBD_DIR/inventory.ini" --no-tftp
qemu_net_start uefi none "$mac" uefi-http
chain_wait "$mac" e2e-known
qemu_stop
CHAIN_BY_HTTP=1 chain_evidence "OVMF HTTP boot" "$mac" e2e-known snponly.efi http-boot
cbd_check "OVMF HTTP boot: the offer echoed HTTPClient" "event=proxydhcp .*mac=$mac .*vendor=HTTPClient"
cbd_check "OVMF HTTP boot: autoexec.ipxe fetched over HTTP" "event=http .*path=/autoexec\\.ipxe status=200 "
cbd_stop
e2e_finish
