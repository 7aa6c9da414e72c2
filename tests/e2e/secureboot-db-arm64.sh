#!/bin/bash
# Secure Boot db mode on arm64: AAVMF with Debian's snakeoil variables (Secure Boot
# enforced, the snakeoil certificate in db). The unsigned image is refused (no DHCP with
# our class, no inventory request); the image signed with the snakeoil key boots to the
# inventory as CD-ROM.
. "$(dirname "$0")/lib.sh"
e2e_require qemu-system-aarch64 openssl sbsign sbverify
SB_CODE=/usr/share/AAVMF/AAVMF_CODE.snakeoil.fd
SB_VARS=/usr/share/AAVMF/AAVMF_VARS.snakeoil.fd
SB_KEY=/usr/share/ovmf/PkKek-1-snakeoil.key
SB_CERT=/usr/share/ovmf/PkKek-1-snakeoil.pem
for f in "$SB_CODE" "$SB_VARS" "$SB_KEY" "$SB_CERT"; do
	[ -r "$f" ] || skip_all "$f missing (Debian's qemu-efi-aarch64 and ovmf packages)"
done
site_up 1
openssl pkey -in "$SB_KEY" -passin pass:snakeoil -out "$E2E_TMP/snakeoil.key" 2>"$E2E_TMP/openssl.log" ||
	{ not_ok "decrypt the snakeoil key"; show_log openssl "$E2E_TMP/openssl.log"; exit 1; }
# Signed copies of this test only; the iPXE binaries are found through the cache root,
# so they are named first.
[ -n "$IPXE_DIR" ] || IPXE_DIR=$("$E2E_ROOT/scripts/deps.sh" --print-ipxe-dir)
export CHAINBOOT_CACHE=$E2E_TMP/cache
build_image "$E2E_TMP/off.iso" --url "$LIVE_URL" --user-class "$USER_CLASS" --arch arm64
build_image "$E2E_TMP/db.iso" --url "$LIVE_URL" --user-class "$USER_CLASS" --arch arm64 \
	--secure-boot db --sb-key "$E2E_TMP/snakeoil.key" --sb-cert "$SB_CERT"
AAVMF_CODE=$SB_CODE
AAVMF_VARS=$SB_VARS

MAC_BASE=0
mac_for() {
	printf '52:54:00:%02x:%02x:%02x' $((($$ >> 8) & 255)) $(($$ & 255)) $((0x10 + MAC_BASE + $1))
}
no_class() { ! dhcp_class_for "$@"; }
no_request() { ! http_saw_mac "$1"; }

mac=$(mac_for 0)
qemu_start arm64 cd "$E2E_TMP/off.iso" 1
wait_for "$QEMU_SERIAL" 'Access Denied|Security Violation' "$BOOT_TIMEOUT"
rc=$?
[ "$rc" = 0 ] && sleep 20 # time for a boot that slipped through to reach DHCP
qemu_stop
check "arm64 unsigned image, Secure Boot on: firmware refuses it (serial: Access Denied / Security Violation)" test "$rc" = 0
check "arm64 unsigned image: the site DHCP never saw user class $USER_CLASS from $mac" no_class "$mac" "$USER_CLASS"
check "arm64 unsigned image: no inventory request from $mac" no_request "$mac"

MAC_BASE=1
boot_and_check arm64 cd "$E2E_TMP/db.iso" "AAVMF Secure Boot (snakeoil db), CD-ROM, db mode"
e2e_finish
