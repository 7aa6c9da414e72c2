# shellcheck shell=bash
# _secureboot.sh — what the Secure Boot scenarios (secureboot-*, chain-uefi-secureboot*)
# share (sourced after lib.sh, and after _chain.sh where used; tests/run skips files
# starting with "_"): Debian's Secure Boot firmware and keys, a cache of this test's own,
# the images, the refused unsigned boot and the drive through MokManager's screens. Each
# boot gets MACs of its own through MAC_BASE (lib.sh's mac_for), so one boot's requests
# cannot stand in for another's.

# sb_snakeoil_firmware x86_64|arm64: Debian's firmware with Secure Boot enforced and the
# snakeoil certificate in db (SB_CODE, SB_VARS, SB_KEY, SB_CERT), made the one every later
# VM boots; skip_all when a file is missing.
sb_snakeoil_firmware() {
	local f pkgs
	case $1 in
	x86_64)
		SB_CODE=/usr/share/OVMF/OVMF_CODE_4M.snakeoil.fd
		SB_VARS=/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd
		pkgs="Debian's ovmf package"
		;;
	arm64)
		SB_CODE=/usr/share/AAVMF/AAVMF_CODE.snakeoil.fd
		SB_VARS=/usr/share/AAVMF/AAVMF_VARS.snakeoil.fd
		pkgs="Debian's qemu-efi-aarch64 and ovmf packages"
		;;
	*)
		echo "sb_snakeoil_firmware: unknown arch $1" >&2
		exit 2
		;;
	esac
	SB_KEY=/usr/share/ovmf/PkKek-1-snakeoil.key
	SB_CERT=/usr/share/ovmf/PkKek-1-snakeoil.pem
	for f in "$SB_CODE" "$SB_VARS" "$SB_KEY" "$SB_CERT"; do
		[ -r "$f" ] || skip_all "$f missing ($pkgs)"
	done
	sb_use_firmware "$1" "$SB_CODE" "$SB_VARS"
}

# sb_microsoft_firmware x86_64|arm64: Debian's firmware with Microsoft's keys (MS_CODE,
# MS_VARS), made the one every later VM boots, and the signed shim and MokManager it
# trusts (arm64: fetched by scripts/deps.sh, exported as CHAINBOOT_SHIM_ARM64_DIR for the
# builder); skip_all when a file is missing.
sb_microsoft_firmware() {
	local f pkgs
	local -a shim
	case $1 in
	x86_64)
		MS_CODE=/usr/share/OVMF/OVMF_CODE_4M.ms.fd
		MS_VARS=/usr/share/OVMF/OVMF_VARS_4M.ms.fd
		shim=(/usr/lib/shim/shimx64.efi.signed /usr/lib/shim/mmx64.efi.signed)
		pkgs="packages ovmf, shim-signed, shim-helpers-amd64-signed"
		;;
	arm64)
		MS_CODE=/usr/share/AAVMF/AAVMF_CODE.ms.fd
		MS_VARS=/usr/share/AAVMF/AAVMF_VARS.ms.fd
		SHIM_DIR=${CHAINBOOT_SHIM_ARM64_DIR:-$("$E2E_ROOT/scripts/deps.sh" --print-shim-arm64-dir)}
		shim=("$SHIM_DIR/shimaa64.efi.signed" "$SHIM_DIR/mmaa64.efi.signed")
		pkgs="package qemu-efi-aarch64; the arm64 shim: scripts/deps.sh"
		;;
	*)
		echo "sb_microsoft_firmware: unknown arch $1" >&2
		exit 2
		;;
	esac
	for f in "$MS_CODE" "$MS_VARS" "${shim[@]}"; do
		[ -r "$f" ] || skip_all "$f missing ($pkgs)"
	done
	if [ "$1" = arm64 ]; then
		export CHAINBOOT_SHIM_ARM64_DIR=$SHIM_DIR
	fi
	sb_use_firmware "$1" "$MS_CODE" "$MS_VARS"
}

# sb_use_firmware x86_64|arm64 CODE VARS: what qemu_start boots from now on (OVMF_* or
# AAVMF_*, which e2e_require checked are the stock images).
# shellcheck disable=SC2034 # OVMF_*, AAVMF_*: read by lib.sh's qemu_start
sb_use_firmware() {
	if [ "$1" = arm64 ]; then
		AAVMF_CODE=$2
		AAVMF_VARS=$3
	else
		OVMF_CODE=$2
		OVMF_VARS=$3
	fi
}

# sb_snakeoil_key: $E2E_TMP/snakeoil.key, SB_KEY decrypted. The packaged key is
# encrypted (password "snakeoil", /usr/share/doc/ovmf/README.Debian): an unencrypted copy
# in this test's directory only.
sb_snakeoil_key() {
	openssl pkey -in "$SB_KEY" -passin pass:snakeoil -out "$E2E_TMP/snakeoil.key" 2>"$E2E_TMP/openssl.log" ||
		{ not_ok "decrypt the snakeoil key"; show_log openssl "$E2E_TMP/openssl.log"; exit 1; }
}

# sb_own_cache: signed copies of this test only (CHAINBOOT_CACHE in $E2E_TMP); the iPXE
# binaries are found through the cache root, so they are named first (IPXE_DIR).
sb_own_cache() {
	[ -n "$IPXE_DIR" ] || IPXE_DIR=$("$E2E_ROOT/scripts/deps.sh" --print-ipxe-dir)
	export CHAINBOOT_CACHE=$E2E_TMP/cache
}

# sb_db_images ARCH: $E2E_TMP/off.iso (unsigned) and $E2E_TMP/db.iso (db mode, signed
# with the snakeoil key: sb_snakeoil_key first).
sb_db_images() {
	build_image "$E2E_TMP/off.iso" --url "$LIVE_URL" --user-class "$USER_CLASS" --arch "$1"
	build_image "$E2E_TMP/db.iso" --url "$LIVE_URL" --user-class "$USER_CLASS" --arch "$1" \
		--secure-boot db --sb-key "$E2E_TMP/snakeoil.key" --sb-cert "$SB_CERT"
}

# sb_site_key: a site key and certificate of this test's own in $E2E_TMP/keys.
sb_site_key() {
	"$CHAINBOOT" keygen -o "$E2E_TMP/keys" -L E2E >"$E2E_TMP/keygen.log" 2>&1 ||
		{ not_ok "chainboot keygen"; show_log keygen "$E2E_TMP/keygen.log"; exit 1; }
}

# sb_shim_image ARCH: $E2E_TMP/shim.iso in shim mode, signed with the site key
# (sb_site_key first); ENROLL-THIS-KEY.cer is on it for MokManager.
sb_shim_image() {
	build_image "$E2E_TMP/shim.iso" --url "$LIVE_URL" --user-class "$USER_CLASS" --arch "$1" \
		--secure-boot shim --sb-key "$E2E_TMP/keys/site.key" --sb-cert "$E2E_TMP/keys/site.crt"
}

# sb_refusal_wait GRACE: wait for the firmware's refusal on the serial console, then
# GRACE seconds more (time for a boot that slipped through to reach DHCP, had it not been
# refused); stops the VM. SB_RC: wait_for's status (0: refused).
sb_refusal_wait() {
	wait_for "$QEMU_SERIAL" 'Access Denied|Security Violation' "$BOOT_TIMEOUT"
	SB_RC=$?
	[ "$SB_RC" = 0 ] && sleep "$1"
	qemu_stop
}

# sb_refused FW IMG LABEL: boot the unsigned IMG as CD-ROM with Secure Boot on (MAC
# $(mac_for 0)): the firmware refuses it, so our iPXE never asks DHCP or the inventory.
sb_refused() {
	local fw=$1 img=$2 label=$3 mac
	mac=$(mac_for 0)
	qemu_start "$fw" cd "$img" 1
	sb_refusal_wait 20
	check "$label, Secure Boot on: firmware refuses it (serial: Access Denied / Security Violation)" test "$SB_RC" = 0
	check "$label: the site DHCP never saw user class $USER_CLASS from $mac" no_class "$mac" "$USER_CLASS"
	check "$label: no inventory request from $mac" no_request "$mac"
}

# sb_mok_step TEXT KEY...: wait for TEXT on the serial console (MokManager draws its
# screens there too), let the screen settle, then press the keys through the monitor.
# STEP: the screen waited for (and the key, if sendkey failed).
sb_mok_step() {
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

# sb_mok_enrol: with a shim-mode CD-ROM booting, as a person at the screen would: OK on
# shim's refusal, MokManager, enrol ENROLL-THIS-KEY.cer from the disk, Reboot; then wait
# (up to 30 s) for the VM to end (MokManager reboots, -no-reboot ends QEMU; the variables
# stay in its vars file). Non-zero when a screen did not come; STEP names it.
sb_mok_enrol() {
	local i
	sb_mok_step 'Verification failed' ret &&
		sb_mok_step 'Press any key to perform MOK management' spc &&
		sb_mok_step 'Enroll key from disk' down ret &&
		sb_mok_step 'Remember to make sure it is a genuine key' ret &&
		sb_mok_step 'ENROLL-THIS-KEY\.cer' down down ret &&
		sb_mok_step '\[Enroll MOK\]' down ret &&
		sb_mok_step 'Enroll the key\(s\)\?' down ret &&
		sb_mok_step 'Reboot' ret || return 1
	for ((i = 0; i < 120; i++)); do
		kill -0 "$QEMU_PID" 2>/dev/null || break
		sleep 0.25
	done
}

# sb_shim_first_boot FW [QEMU ARGS...]: the first boot of $E2E_TMP/shim.iso as CD-ROM (MAC
# $(mac_for 0)): shim refuses our not yet enrolled iPXE, MokManager enrols the key from
# the stick, our iPXE never ran. The serial log is kept as first-boot.serial and the
# enrolled variables (enrolled-vars.fd) become the firmware's for the next boot.
# shellcheck disable=SC2034 # OVMF_VARS, AAVMF_VARS: read by lib.sh's qemu_start
sb_shim_first_boot() {
	local fw=$1 mac rc enrolled=1 why=
	shift
	mac=$(mac_for 0)
	qemu_start "$fw" cd "$E2E_TMP/shim.iso" 1 -- "$@"
	wait_for "$QEMU_SERIAL" 'Verification failed: \(0x1A\) Security Violation' "$BOOT_TIMEOUT"
	rc=$?
	check "shim runs and refuses the not yet enrolled iPXE (serial: Verification failed: (0x1A) Security Violation)" test "$rc" = 0
	sb_mok_enrol || {
		enrolled=0
		why=" (stopped at the screen showing: $STEP)"
	}
	check "MokManager appears (serial: Shim UEFI key management)" grep -aq 'Shim UEFI key management' "$QEMU_SERIAL"
	check "MokManager's file browser shows ENROLL-THIS-KEY.cer on the stick" grep -aq 'ENROLL-THIS-KEY.cer' "$QEMU_SERIAL"
	check "enrolment driven through MokManager's screens up to Reboot$why" test "$enrolled" = 1
	qemu_stop
	cp "$QEMU_SERIAL" "$E2E_TMP/first-boot.serial"
	check "before enrolment our iPXE never ran (no DHCP with user class $USER_CLASS from $mac)" no_class "$mac" "$USER_CLASS"
	if [ "$fw" = arm64 ]; then
		cp "$E2E_TMP/aavmf-vars.fd" "$E2E_TMP/enrolled-vars.fd"
		AAVMF_VARS=$E2E_TMP/enrolled-vars.fd
	else
		cp "$E2E_TMP/ovmf-vars.fd" "$E2E_TMP/enrolled-vars.fd"
		OVMF_VARS=$E2E_TMP/enrolled-vars.fd
	fi
}
