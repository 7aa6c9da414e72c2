#!/bin/bash
# Secure Boot over the network: OVMF with Secure Boot enforced (Debian's snakeoil
# variables: the snakeoil certificate in db), its own PXE client, chainbootd's proxy.
# With [secureboot] off the firmware refuses the unsigned snponly.efi it fetched (no DHCP
# with our class follows); with mode = db and the snakeoil key, chainbootd serves
# snponly.efi rebranded and signed, and the chain reaches the machine's profile.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/_chain.sh"
e2e_require qemu-system-x86_64 openssl sbsign sbverify
SB_CODE=/usr/share/OVMF/OVMF_CODE_4M.snakeoil.fd
SB_VARS=/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd
SB_KEY=/usr/share/ovmf/PkKek-1-snakeoil.key
SB_CERT=/usr/share/ovmf/PkKek-1-snakeoil.pem
for f in "$SB_CODE" "$SB_VARS" "$SB_KEY" "$SB_CERT"; do
	[ -r "$f" ] || skip_all "$f missing (Debian's ovmf package)"
done
chain_site
openssl pkey -in "$SB_KEY" -passin pass:snakeoil -out "$E2E_TMP/snakeoil.key" 2>"$E2E_TMP/openssl.log" ||
	{ not_ok "decrypt the snakeoil key"; show_log openssl "$E2E_TMP/openssl.log"; exit 1; }
[ -n "$IPXE_DIR" ] || IPXE_DIR=$("$E2E_ROOT/scripts/deps.sh" --print-ipxe-dir)
export CHAINBOOT_CACHE=$E2E_TMP/cache # signed copies of this test only
OVMF_CODE=$SB_CODE
OVMF_VARS=$SB_VARS

# Unsigned: refused by the firmware after the TFTP transfer.
mac=$(mac_for 0)
chain_inventory "$mac"
cbd_start --inventory "$CBD_DIR/inventory.ini"
qemu_net_start uefi none "$mac" uefi-sb-off
wait_for "$QEMU_SERIAL" 'Access Denied|Security Violation' "$BOOT_TIMEOUT"
rc=$?
[ "$rc" = 0 ] && sleep 15 # time for a boot that slipped through to reach DHCP
qemu_stop
check "mode off: OVMF refuses the unsigned snponly.efi (serial: Access Denied / Security Violation)" test "$rc" = 0
cbd_check "mode off: TFTP did send snponly.efi (so the refusal is the firmware's)" "event=tftp .*file=snponly.efi status=ok "
check "mode off: no DHCP with user class $USER_CLASS from $mac" no_class "$mac" "$USER_CLASS"
cbd_stop

# db: signed with the snakeoil key; the chain goes through.
mac=$(mac_for 1)
chain_inventory "$mac"
cbd_start --inventory "$CBD_DIR/inventory.ini" --secure-boot db --sb-key "$E2E_TMP/snakeoil.key" --sb-cert "$SB_CERT"
cbd_check "mode db: chainbootd serves snponly.efi rebranded and signed" "event=bootfile name=snponly.efi bytes=[0-9]+ source=rebranded\\+signed"
cbd_check "mode db: chainbootd says what it signed with" "event=bootfile secureboot=\"db: EFI binaries signed by .*SnakeOil"
qemu_net_start uefi none "$mac" uefi-sb-db
chain_wait "$mac" e2e-known
qemu_stop
chain_evidence "OVMF Secure Boot PXE, mode db" "$mac" e2e-known snponly.efi pxe-rom
cbd_stop
e2e_finish
