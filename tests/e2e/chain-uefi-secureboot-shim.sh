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
e2e_require qemu-system-x86_64 openssl sbsign sbverify
MS_CODE=/usr/share/OVMF/OVMF_CODE_4M.ms.fd
MS_VARS=/usr/share/OVMF/OVMF_VARS_4M.ms.fd
for f in "$MS_CODE" "$MS_VARS" /usr/lib/shim/shimx64.efi.signed /usr/lib/shim/mmx64.efi.signed; do
	[ -r "$f" ] || skip_all "$f missing (packages ovmf, shim-signed, shim-helpers-amd64-signed)"
done
chain_site
[ -n "$IPXE_DIR" ] || IPXE_DIR=$("$E2E_ROOT/scripts/deps.sh" --print-ipxe-dir)
export CHAINBOOT_CACHE=$E2E_TMP/cache # signed copies of this test only
"$CHAINBOOT" keygen -o "$E2E_TMP/keys" -L E2E >"$E2E_TMP/keygen.log" 2>&1 ||
	{ not_ok "chainboot keygen"; show_log keygen "$E2E_TMP/keygen.log"; exit 1; }
# The certificate on a disk of its own, as a person would bring it on a stick.
build_image "$E2E_TMP/shim.iso" --url "$LIVE_URL" --user-class "$USER_CLASS" --arch x86_64 \
	--secure-boot shim --sb-key "$E2E_TMP/keys/site.key" --sb-cert "$E2E_TMP/keys/site.crt"
OVMF_CODE=$MS_CODE
OVMF_VARS=$MS_VARS
step() { # TEXT KEY...: wait for TEXT on the serial console, then press the keys
	local text=$1 k
	shift
	STEP=$text
	wait_for "$QEMU_SERIAL" "$text" 60 || return 1
	sleep 1.5
	for k in "$@"; do
		hmp "sendkey $k" >/dev/null || return 1
		sleep 0.7
	done
}

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
enrolled=1
step 'Verification failed' ret &&
	step 'Press any key to perform MOK management' spc &&
	step 'Enroll key from disk' down ret &&
	step 'Remember to make sure it is a genuine key' ret &&
	step 'ENROLL-THIS-KEY\.cer' down down ret &&
	step '\[Enroll MOK\]' down ret &&
	step 'Enroll the key\(s\)\?' down ret &&
	step 'Reboot' ret || enrolled=0
for ((i = 0; i < 120 && enrolled; i++)); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.25; done
qemu_stop
why=
[ "$enrolled" = 1 ] || why=" (stopped at the screen showing: $STEP)"
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
