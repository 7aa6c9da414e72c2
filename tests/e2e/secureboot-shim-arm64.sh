#!/bin/bash
# Secure Boot shim mode on arm64 under AAVMF with Microsoft's keys (Secure Boot
# enforced): Debian's signed arm64 shim (fetched by scripts/deps.sh) runs, refuses our
# iPXE (signed with a site key it does not know yet) and
# starts MokManager; the test enrols ENROLL-THIS-KEY.cer from the stick with keys sent
# through the QEMU monitor, as a person would at the screen, and the next boot (same
# firmware variables) goes through shim into our iPXE and reaches the inventory.
. "$(dirname "$0")/lib.sh"
e2e_require qemu-system-aarch64 openssl sbsign sbverify
MS_CODE=/usr/share/AAVMF/AAVMF_CODE.ms.fd
MS_VARS=/usr/share/AAVMF/AAVMF_VARS.ms.fd
SHIM_DIR=${CHAINBOOT_SHIM_ARM64_DIR:-$("$E2E_ROOT/scripts/deps.sh" --print-shim-arm64-dir)}
for f in "$MS_CODE" "$MS_VARS" "$SHIM_DIR/shimaa64.efi.signed" "$SHIM_DIR/mmaa64.efi.signed"; do
	[ -r "$f" ] || skip_all "$f missing (package qemu-efi-aarch64; the arm64 shim: scripts/deps.sh)"
done
export CHAINBOOT_SHIM_ARM64_DIR=$SHIM_DIR
site_up 1
# Signed copies of this test only; the iPXE binaries are found through the cache root,
# so they are named first.
[ -n "$IPXE_DIR" ] || IPXE_DIR=$("$E2E_ROOT/scripts/deps.sh" --print-ipxe-dir)
export CHAINBOOT_CACHE=$E2E_TMP/cache
"$CHAINBOOT" keygen -o "$E2E_TMP/keys" -L E2E >"$E2E_TMP/keygen.log" 2>&1 ||
	{ not_ok "chainboot keygen"; show_log keygen "$E2E_TMP/keygen.log"; exit 1; }
build_image "$E2E_TMP/shim.iso" --url "$LIVE_URL" --user-class "$USER_CLASS" --arch arm64 \
	--secure-boot shim --sb-key "$E2E_TMP/keys/site.key" --sb-cert "$E2E_TMP/keys/site.crt"
AAVMF_CODE=$MS_CODE
AAVMF_VARS=$MS_VARS
# The virt machine has no PS/2 keyboard: a USB one for the monitor's sendkey.
KBD=(-device qemu-xhci,id=kbdbus -device usb-kbd,bus=kbdbus.0)

MAC_BASE=0
mac_for() {
	printf '52:54:00:%02x:%02x:%02x' $((($$ >> 8) & 255)) $(($$ & 255)) $((0x10 + MAC_BASE + $1))
}

# step TEXT KEY...: wait for TEXT on the serial console (MokManager draws its screens
# there too), let the screen settle, then press the keys.
step() {
	local text=$1 k
	shift
	STEP=$text
	wait_for "$QEMU_SERIAL" "$text" 60 || return 1
	sleep 1.5
	for k in "$@"; do
		hmp "sendkey $k" >/dev/null || { STEP="$text (monitor: sendkey $k failed)"; return 1; }
		sleep 0.7
	done
}

# First boot: shim, its refusal, MokManager; enrol the key from the stick.
mac=$(mac_for 0)
qemu_start arm64 cd "$E2E_TMP/shim.iso" 1 -- "${KBD[@]}"
wait_for "$QEMU_SERIAL" 'Verification failed: \(0x1A\) Security Violation' "$BOOT_TIMEOUT"
rc=$?
check "shim runs and refuses the not yet enrolled iPXE (serial: Verification failed: (0x1A) Security Violation)" test "$rc" = 0
enrolled=1
step 'Verification failed' ret &&
	step 'Press any key to perform MOK management' spc &&
	step 'Enroll key from disk' down ret &&
	step 'Remember to make sure it is a genuine key' ret &&
	step 'ENROLL-THIS-KEY\.cer' down down ret &&
	step '\[Enroll MOK\]' down ret &&
	step 'Enroll the key\(s\)\?' down ret &&
	step 'Reboot' ret || enrolled=0
check "MokManager appears (serial: Shim UEFI key management)" grep -aq 'Shim UEFI key management' "$QEMU_SERIAL"
check "MokManager's file browser shows ENROLL-THIS-KEY.cer on the stick" grep -aq 'ENROLL-THIS-KEY.cer' "$QEMU_SERIAL"
why=
[ "$enrolled" = 1 ] || why=" (stopped at the screen showing: $STEP)"
check "enrolment driven through MokManager's screens up to Reboot$why" test "$enrolled" = 1
# MokManager reboots; -no-reboot ends QEMU, the variables stay in ovmf-vars.fd.
for ((i = 0; i < 120 && enrolled; i++)); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.25; done
qemu_stop
cp "$QEMU_SERIAL" "$E2E_TMP/first-boot.serial"
no_class() { ! dhcp_class_for "$@"; }
check "before enrolment our iPXE never ran (no DHCP with user class $USER_CLASS from $mac)" no_class "$mac" "$USER_CLASS"
cp "$E2E_TMP/aavmf-vars.fd" "$E2E_TMP/enrolled-vars.fd"
AAVMF_VARS=$E2E_TMP/enrolled-vars.fd

# Second boot, the same machine's variables: shim -> grubx64.efi (our iPXE) -> inventory.
MAC_BASE=1
boot_and_check arm64 cd "$E2E_TMP/shim.iso" "AAVMF Secure Boot (Microsoft keys), CD-ROM, arm64 shim mode after enrolment"
e2e_finish
