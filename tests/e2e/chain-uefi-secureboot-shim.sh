#!/bin/bash
# Secure Boot shim over the network: OVMF with Microsoft's keys (Secure Boot enforced),
# its own PXE client, chainbootd with [secureboot] mode = shim. The proxy offers
# shimx64.efi; shim fetches grubx64.efi (our signed iPXE) from the same TFTP server,
# refuses it (site key not enrolled) and fetches mmx64.efi (MokManager), which appears.
# MokManager started over the network finds no disk to enrol from (OVMF does not
# connect other disks on a network boot: a SATA and a USB disk were both not listed),
# so the key is enrolled once from a shim-mode stick (as secureboot-shim.sh does); the
# next network boot (same variables) goes shim -> grubx64.efi -> CSTM -> the profile.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/_chain.sh"
. "$(dirname "$0")/_secureboot.sh"
e2e_require qemu-system-x86_64 openssl sbsign sbverify
sb_microsoft_firmware x86_64
chain_site
sb_own_cache
sb_site_key
# The certificate on a disk of its own, as a person would bring it on a stick.
sb_shim_image x86_64

mac=$(mac_for 0)
chain_inventory "$mac"
cbd_start --inventory "$CBD_DIR/inventory.ini" --secure-boot shim \
	--sb-key "$E2E_TMP/keys/site.key" --sb-cert "$E2E_TMP/keys/site.crt"
cbd_check "chainbootd serves shimx64.efi, mmx64.efi and grubx64.efi" "event=bootfile name=shimx64.efi .*source=shim-signed"
qemu_net_start uefi none "$mac" uefi-shim-1
# shim's error box waits for OK (Enter) before it fetches and starts MokManager.
wait_for "$QEMU_SERIAL" 'Verification failed' "$BOOT_TIMEOUT" && sleep 1.5 && hmp "sendkey ret" >/dev/null
wait_for "$QEMU_SERIAL" 'Shim UEFI key management' 60
qemu_stop
cbd_check "first boot: the proxy offered shimx64.efi to $mac" "event=proxydhcp .*mac=$mac .*decision=pxe-rom file=shimx64.efi reply=(OFFER|ACK)"
cbd_check "first boot: shim fetched grubx64.efi from the same TFTP server" "event=tftp .*file=grubx64.efi status=ok "
check "first boot: shim refused our not yet enrolled iPXE (Verification failed: (0x1A) Security Violation)" \
	grep -aq 'Verification failed: (0x1A) Security Violation' "$QEMU_SERIAL"
cbd_check "first boot: shim fetched MokManager (mmx64.efi) from the same server" "event=tftp .*file=mmx64.efi status=ok "
check "first boot: MokManager appeared (Shim UEFI key management)" grep -aq 'Shim UEFI key management' "$QEMU_SERIAL"
check "first boot: no DHCP with user class $USER_CLASS from $mac" no_class "$mac" "$USER_CLASS"

# Enrol the site key once, from the shim-mode stick (CD-ROM here).
qemu_start uefi cd "$E2E_TMP/shim.iso" 1
enrolled=1 why=
sb_mok_enrol || {
	enrolled=0
	why=" (stopped at the screen showing: $STEP)"
}
qemu_stop
check "the site key enrolled from the stick through MokManager$why" test "$enrolled" = 1

OVMF_VARS=$E2E_TMP/ovmf-vars.fd
mac=$(mac_for 1)
chain_inventory "$mac"
cbd_stop
cbd_start --inventory "$CBD_DIR/inventory.ini" --secure-boot shim \
	--sb-key "$E2E_TMP/keys/site.key" --sb-cert "$E2E_TMP/keys/site.crt"
qemu_net_start uefi none "$mac" uefi-shim-2
chain_wait "$mac" e2e-known
qemu_stop
chain_evidence "OVMF Secure Boot PXE through shim, after enrolment" "$mac" e2e-known shimx64.efi pxe-rom
cbd_stop
e2e_finish
