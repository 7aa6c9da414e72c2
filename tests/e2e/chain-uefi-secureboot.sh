#!/bin/bash
# Secure Boot over the network: OVMF with Secure Boot enforced (Debian's snakeoil
# variables: the snakeoil certificate in db), its own PXE client, chainbootd's proxy.
# With [secureboot] off the firmware refuses the unsigned snponly.efi it fetched (no DHCP
# with our class follows); with mode = db and the snakeoil key, chainbootd serves
# snponly.efi rebranded and signed, and the chain reaches the machine's profile.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/_chain.sh"
. "$(dirname "$0")/_secureboot.sh"
e2e_require qemu-system-x86_64 openssl sbsign sbverify
sb_snakeoil_firmware x86_64
chain_site
sb_snakeoil_key
sb_own_cache

# Unsigned: refused by the firmware after the TFTP transfer.
mac=$(mac_for 0)
chain_inventory "$mac"
cbd_start --inventory "$CBD_DIR/inventory.ini"
qemu_net_start uefi none "$mac" uefi-sb-off
sb_refusal_wait 15
check "mode off: OVMF refuses the unsigned snponly.efi (serial: Access Denied / Security Violation)" test "$SB_RC" = 0
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
