# shellcheck shell=bash
# _exitlocal.sh — what exit-local-bios/-uefi share (sourced after lib.sh; tests/run skips
# files starting with "_"): the inventory says "boot the local disk" and the firmware must
# then boot the machine's next boot device.
#
# The VM has the chainboot image first (CD or USB) and a second bootable disk second
# (virtio-blk, bootindex 1; on SeaBIOS behind a USB stick an IDE CD-ROM, see below). That "local disk" is another chainboot image whose only URL
# is /second.ipxe: its request in chainbootd's log, after the first image's /boot.ipxe,
# proves the firmware went on to the next device. chainbootd (198.51.100.2, HTTP only,
# --no-proxydhcp: nothing offered by DHCP may stand in for the URLs) is the inventory;
# each boot gets its own SMBIOS UUID, which the inventory matches:
#   local  a machine with boot = local (chainbootd's own exit script)
#   exit1  a machine whose profile script is `exit 1`
#   menu   an unlisted machine: the inventory menu, whose default after 2 s is cb-local
#   chainmenu  (no inventory answer) every URL fails, the chain script's own menu, and
#          "Exit to the next boot device" chosen by keys sent through the QEMU monitor

. "$(dirname "${BASH_SOURCE[0]}")/_chain.sh"

EL_UUID_LOCAL=5ab1e000-0000-4000-8000-00000000001a
EL_UUID_EXIT1=5ab1e000-0000-4000-8000-00000000001b
EL_UUID_MENU=5ab1e000-0000-4000-8000-00000000001c
EL_UUID_CMENU=5ab1e000-0000-4000-8000-00000000001d

# exitlocal_site: LAN, site DHCP, the inventory, chainbootd, and the images: first.iso
# (URL /boot.ipxe), second.iso (URL /second.ipxe, the "local disk") and cmenu.iso (URL
# /nosuch.ipxe, 404, one round: the chain script's own menu, waiting for a key).
exitlocal_site() {
	chain_site
	[ -n "$CBD_NS" ] || cbd_net
	cat >"$CBD_DIR/inventory.ini" <<EOF
[menu]
timeout = 2
title = chainboot e2e: not in the inventory

[profile e2e-exit1]
description = a script that sends the machine to its next boot device
script = #!ipxe
    echo E2E-PROFILE e2e-exit1: exit 1
    exit 1

[machine e2e-local-vm]
uuid = $EL_UUID_LOCAL
boot = local

[machine e2e-exit1-vm]
uuid = $EL_UUID_EXIT1
profile = e2e-exit1
EOF
	printf '#!ipxe\necho E2E-SECOND-DISK booted\npoweroff\n' >"$CBD_DIR/root/second.ipxe"
	cbd_start --no-proxydhcp --inventory "$CBD_DIR/inventory.ini"
	local base=http://$CBD_IP:$CBD_PORT
	EL_FIRST=$E2E_TMP/first.iso EL_SECOND=$E2E_TMP/second.iso EL_CMENU=$E2E_TMP/cmenu.iso
	build_image "$EL_FIRST" --url "$base/boot.ipxe" --user-class "$USER_CLASS" --layout hybrid \
		--try-offered no
	build_image "$EL_SECOND" --url "$base/second.ipxe" --user-class "$USER_CLASS" \
		--layout hybrid --try-offered no
	build_image "$EL_CMENU" --url "$base/nosuch.ipxe" --user-class "$USER_CLASS" \
		--layout hybrid --try-offered no --rounds 1 --menu-timeout 0
}

# el_line REGEX: the number of the first line of chainbootd's log after line $EL_FROM
# that matches (empty when none).
el_line() {
	awk -v from="$EL_FROM" -v re="$1" 'NR > from && $0 ~ re { print NR; exit }' "$CBD_LOG"
}

# el_wait REGEX TIMEOUT: wait_for on this boot's lines of chainbootd's log only (0 found,
# 1 timeout, 2 the VM ended first).
el_wait() {
	local start=$SECONDS
	while ((SECONDS - start < $2)); do
		[ -n "$(el_line "$1")" ] && return 0
		if ! kill -0 "$QEMU_PID" 2>/dev/null; then
			[ -n "$(el_line "$1")" ] && return 0
			return 2
		fi
		sleep 0.25
	done
	return 1
}

# el_no_uiapp: OVMF's boot manager never started UiApp during this boot.
el_no_uiapp() { ! grep -Eaq 'starting Boot[0-9A-F]+ "UiApp"' "$QEMU_SERIAL"; }

# el_before A B: both line numbers are there and A comes first.
el_before() { [ -n "$1" ] && [ -n "$2" ] && [ "$1" -lt "$2" ]; }

# exitlocal_boot FIRMWARE MEDIUM CASE: one boot of the first image as MEDIUM with the
# second disk behind it; the evidence is from chainbootd's log lines of this boot only.
exitlocal_boot() {
	local fw=$1 medium=$2 case=$3 uuid first_re img=$EL_FIRST label rc took why=
	label="$fw $medium, $case"
	case $case in
	local) uuid=$EL_UUID_LOCAL first_re="path=/boot\\.ipxe status=200 .*decision=local machine=e2e-local-vm" ;;
	exit1) uuid=$EL_UUID_EXIT1 first_re="path=/boot\\.ipxe status=200 .*decision=profile machine=e2e-exit1-vm profile=e2e-exit1" ;;
	menu) uuid=$EL_UUID_MENU first_re="path=/boot\\.ipxe status=200 .*decision=menu " ;;
	chainmenu) uuid=$EL_UUID_CMENU first_re="path=/nosuch\\.ipxe status=404" img=$EL_CMENU ;;
	esac
	# SeaBIOS gives all hard disks one boot entry (the first by bootindex): behind a USB
	# stick another hard disk is never tried, so there the next device is a CD-ROM.
	local -a second=(-drive "if=none,id=disk2,format=raw,snapshot=on,file=$EL_SECOND"
		-device "virtio-blk-pci,drive=disk2,bootindex=1")
	if [ "$fw$medium" = biosusb ]; then
		second=(-drive "if=none,id=disk2,media=cdrom,format=raw,readonly=on,file=$EL_SECOND"
			-device "ide-cd,drive=disk2,bootindex=1")
	fi
	EL_FROM=$(wc -l <"$CBD_LOG")
	qemu_start "$fw" "$medium" "$img" 1 -- -uuid "$uuid" "${second[@]}"
	if [ "$case" = chainmenu ]; then
		# the menu is drawn right after the 404; choose waits for ever (menu_timeout 0).
		# Items: Retry, iPXE shell, Reboot, Exit to the next boot device.
		el_wait "$first_re" "$BOOT_TIMEOUT"
		sleep 5
		hmp "sendkey down" "sendkey down" "sendkey down" >/dev/null
		sleep 1
		hmp "sendkey ret" >/dev/null
	fi
	el_wait "path=/second\\.ipxe status=200 " "$BOOT_TIMEOUT"
	rc=$?
	took=$((SECONDS - QEMU_START))
	qemu_stop
	case $rc in
	1) why=" (not within ${BOOT_TIMEOUT}s)" ;;
	2) why=" (the VM ended after ${took}s without it)" ;;
	esac
	local l1 l2
	l1=$(el_line "$first_re")
	l2=$(el_line "path=/second\\.ipxe status=200 ")
	if [ -n "$l1" ]; then ok "$label: the first image asked ($(sed -n "${l1}p" "$CBD_LOG" | grep -Eo 'path=[^ ]+ status=[0-9]+( .*decision=[a-z]+)?' || echo "line $l1"))"; else
		not_ok "$label: the first image asked the inventory (/boot.ipxe, uuid $uuid)"
		show_log "chainbootd log" "$CBD_LOG" 20
		show_log "serial console" "$QEMU_SERIAL" 20
	fi
	if el_before "$l1" "$l2"; then
		ok "$label: then the next boot device (the second image) asked for /second.ipxe after ${took}s"
	else
		not_ok "$label: then the next boot device (the second image) asked for /second.ipxe$why"
		show_log "chainbootd log" "$CBD_LOG" 20
		show_log "serial console" "$QEMU_SERIAL" 20
	fi
	# UEFI firmware mirrors iPXE's console on the serial port (BIOS ipxe.lkrn does not)
	if [ "$fw" = uefi ]; then
		check "$label: console: the chain script exited to the next boot device" \
			grep -Eaq 'chainboot: (inventory script (returned|exited with status [^ ,]+)|exiting to the next boot device)' "$QEMU_SERIAL"
		# what `exit` with status 0 did: OVMF's boot manager opened its setup screen
		check "$label: console: OVMF did not open its setup screen (UiApp)" \
			el_no_uiapp
	fi
}
