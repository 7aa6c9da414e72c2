#!/bin/bash
# `chainboot try`: boots the hybrid image under SeaBIOS and OVMF (TCG) with user-mode
# networking, for a bounded time, and finds the chain script's first line on the serial
# console (OVMF mirrors iPXE's console there; for SeaBIOS try sets graphics=off so that
# SeaBIOS mirrors ipxe.lkrn's VGA text there) or, failing that, on the VGA text screen
# try reads through QMP. Also: time limit, text not seen, Ctrl-C, missing QEMU, argument
# errors. QEMU runs inside a network namespace of ours with no uplink, so its user-mode
# network reaches nothing.
. "$(dirname "$0")/lib.sh"

FIRST_LINE='chainboot: chain script starting'

# try_expect DESC WANT_RC REGEX CMD...: exit status and stderr+stdout matching REGEX.
try_expect() {
	local desc=$1 want=$2 re=$3 out rc
	shift 3
	out=$("$@" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" = "$want" ] && grep -Eq -- "$re" <<<"$out"; then ok "$desc"; else
		not_ok "$desc (exit $rc, wanted $want and /$re/)"
		printf '%s\n' "$out" | tail -n 8 | sed 's/^/#   /'
	fi
}

# ---- argument errors: refused before anything starts (no root needed)
try_expect "try: unknown firmware is a usage error" 2 'firmware "coreboot": bios, uefi or arm64' \
	"$CHAINBOOT" try x.iso --firmware coreboot
try_expect "try: --net tap needs an interface name" 2 'tap:IF with IF an existing tap interface' \
	"$CHAINBOOT" try x.iso --net tap:
try_expect "try: --timeout range" 2 'timeout "0": seconds, 1-86400' "$CHAINBOOT" try x.iso --timeout 0
try_expect "try: text screenshots only with BIOS" 2 'text screen exists only with --firmware bios' \
	"$CHAINBOOT" try x.iso --firmware uefi --timeout 5 --screenshot s.txt
try_expect "try: missing image" 1 'nope.iso: No such file or directory' "$CHAINBOOT" try "$E2E_DIR/nope.iso" --timeout 5
try_expect "try: QEMU missing names the Debian package" 1 \
	'qemu-system-x86_64 not found: install the Debian package qemu-system-x86' \
	env PATH=/nonexistent "$CHAINBOOT" try "$0" --timeout 5
try_expect "try: help documents the exit codes" 0 'exit status: 0 the VM ran as asked' "$CHAINBOOT" try --help

e2e_require qemu-system-x86_64
net_up
img=$E2E_TMP/chainboot.iso
build_image "$img" --url "http://$SERVER_IP/boot.ipxe"
sum_before=$(sha256sum <"$img")

# run_try TAG ARGS...: chainboot try in the namespace, bounded twice (its own --timeout
# and an outer timeout); stdout (the serial console) in $E2E_TMP/TAG.out, stderr in .err.
run_try() {
	local tag=$1
	shift
	QEMU_SERIAL=$E2E_TMP/$tag.out
	ip netns exec "$E2E_NS" timeout -k 5 180 "$CHAINBOOT" try "$img" "$@" \
		</dev/null >"$E2E_TMP/$tag.out" 2>"$E2E_TMP/$tag.err"
	TRY_RC=$?
}

has() { grep -Eaq -- "$2" "$1"; }

# BIOS, CD: the first line shows on the VGA text screen; the text screenshot holds it.
run_try bios --firmware bios --as cd --net user --timeout 60 --until "$FIRST_LINE" --screenshot "$E2E_TMP/bios.txt"
check "try bios cd: exit 0 (got $TRY_RC)" [ "$TRY_RC" = 0 ]
check "try bios cd: says it uses TCG and why" has "$E2E_TMP/bios.err" 'TCG emulation'
check "try bios cd: '$FIRST_LINE' found within 60 s" has "$E2E_TMP/bios.err" "\"$FIRST_LINE\" appeared on the (VGA text screen|serial console) after"
check "try bios cd: the serial console is relayed (ISOLINUX)" has "$E2E_TMP/bios.out" 'ISOLINUX'
check "try bios cd: the text screenshot shows the line" has "$E2E_TMP/bios.txt" "$FIRST_LINE \(user-class CSTM\)"
sed -n 's/^chainboot try: //p' "$E2E_TMP/bios.err" | sed 's/^/# /'

# UEFI, CD: OVMF mirrors iPXE's console on the serial port.
run_try uefi --firmware uefi --as cd --net user --timeout 90 --until "$FIRST_LINE" --screenshot "$E2E_TMP/uefi.png"
check "try uefi cd: exit 0 (got $TRY_RC)" [ "$TRY_RC" = 0 ]
check "try uefi cd: '$FIRST_LINE' on the serial console" has "$E2E_TMP/uefi.err" "\"$FIRST_LINE\" appeared on the serial console"
check "try uefi cd: the line is in the relayed output" has "$E2E_TMP/uefi.out" "$FIRST_LINE"
check "try uefi cd: PNG screenshot" has "$E2E_TMP/uefi.png" 'PNG'
sed -n 's/^chainboot try: //p' "$E2E_TMP/uefi.err" | sed 's/^/# /'

# BIOS, USB: boots too, and the image file is not changed by the guest.
run_try usb --firmware bios --as usb --timeout 60 --until "$FIRST_LINE"
check "try bios usb: exit 0 (got $TRY_RC)" [ "$TRY_RC" = 0 ]
check "try bios usb: image unchanged" [ "$(sha256sum <"$img")" = "$sum_before" ]

# --timeout alone ends the run normally; an --until text that never comes is exit 3.
run_try timeout --timeout 3
check "try --timeout 3: exit 0 (got $TRY_RC)" [ "$TRY_RC" = 0 ]
check "try --timeout 3: says so" has "$E2E_TMP/timeout.err" '3 s passed \(--timeout\); VM stopped'
run_try unseen --timeout 3 --until 'no such text'
check "try --until unseen: exit 3 (got $TRY_RC)" [ "$TRY_RC" = 3 ]
check "try --until unseen: says so" has "$E2E_TMP/unseen.err" '"no such text" did not appear'

# Ctrl-C: QEMU is ended and nothing is left running.
ip netns exec "$E2E_NS" "$CHAINBOOT" try "$img" </dev/null >"$E2E_TMP/int.out" 2>"$E2E_TMP/int.err" &
tpid=$!
track "$tpid"
sleep 3
kill -INT "$tpid"
wait "$tpid"
rc=$?
untrack "$tpid"
check "try Ctrl-C: exit 130 (got $rc)" [ "$rc" = 130 ]
check "try Ctrl-C: says so" has "$E2E_TMP/int.err" 'interrupted after'
no_qemu_left() { ! pgrep -f -- "qemu-system.*$img" >/dev/null; } # pgrep never lists itself
check "try Ctrl-C: no QEMU left running" no_qemu_left
e2e_finish
