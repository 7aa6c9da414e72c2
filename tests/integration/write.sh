#!/bin/bash
# write: `chainboot write` on loop devices this test creates (losetup --find --show) and
# removes on every exit path. Loop devices are neither USB nor removable, so the policy
# refuses them without --force (checked first); the other cases pass --force. Nothing
# but these loop devices and files under $T is ever written.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "skip write: needs root (loop devices)"
	exit 0
fi
for tool in losetup mkfs.ext4 mount umount sha256sum cmp python3 timeout; do
	command -v "$tool" >/dev/null || { echo "skip write: $tool not installed"; exit 0; }
done

# check_exit DESC CODE REGEX CMD...: exit status CODE and output matching REGEX.
check_exit() {
	local desc=$1 want=$2 re=$3 out rc
	shift 3
	out=$("$@" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" = "$want" ] && grep -qE -- "$re" <<<"$out"; then ok "$desc"; else
		notok "$desc (exit $rc, wanted $want and /$re/)"
		printf '%s\n' "$out" | head -20 | sed 's/^/#   /'
	fi
}

# check_rc DESC WANT GOT
check_rc() {
	if [ "$2" = "$3" ]; then ok "$1 (exit $3)"; else notok "$1 (exit $3, wanted $2)"; fi
}

# newfile SIZE: a fresh zeroed backing file in $FILE.
newfile() {
	FILE=$(mktemp "$T/disk.XXXXXX")
	truncate -s "$1" "$FILE"
}

# newloop SIZE [losetup options]: a loop device on a fresh file (or on $FILE when SIZE
# is "file") in $LOOP, detached on every exit path.
newloop() {
	[ "$1" = file ] || newfile "$1"
	shift
	LOOP=$(losetup --find --show "$@" "$FILE") || { notok "losetup --find --show $FILE"; exit 1; }
	at_exit "losetup -d $LOOP 2>/dev/null"
}

sum() { sha256sum <"$1" | cut -d' ' -f1; }

IMG=$T/h.iso
check "hybrid image builds" "$CHAINBOOT" build --url http://198.51.100.1/boot.ipxe -o "$IMG"
[ -s "$IMG" ] || exit 1
SIZE=$(stat -c %s "$IMG")

# ---- the policy refuses a loop device without --force, and touches nothing
newloop 64M
L1=$LOOP
before=$(sum "$L1")
check_exit "loop device refused as not USB without --force" 3 \
	"refused: $L1 is not a USB stick or removable disk \(transport loop, not removable\).*give --force" \
	"$CHAINBOOT" write "$IMG" "$L1" --yes
check_exit "no terminal and no --yes: refused" 3 "no terminal to confirm on.*--yes; nothing was written" \
	"$CHAINBOOT" write "$IMG" "$L1" --force
[ "$(sum "$L1")" = "$before" ] && ok "refused writes left $L1 untouched" || notok "refused writes changed $L1"

# ---- a write verifies
out=$("$CHAINBOOT" write "$IMG" "$L1" --yes --force 2>&1)
rc=$?
check_rc "write: succeeds" 0 "$rc"
check_match "write: shows the target" "target: $L1, 67.1 MB \(64.0 MiB\), transport loop, not removable" "$out"
check_match "write: warns that --force overrode not-USB" "warning: $L1 is not a USB stick.*writing anyway \(--force\)" "$out"
check_match "write: progress lines" 'writing 4.0 MiB' "$out"
check_match "write: flushed" 'flushed in [0-9.]+ s' "$out"
check_match "write: read back and equal" "chainboot: $L1 now holds .*h.iso \(CRC-64 [0-9a-f]{16}, read back and equal\)" "$out"
check "write: device holds the image byte for byte" cmp -n "$SIZE" "$IMG" "$L1"
out=$("$CHAINBOOT" write "$IMG" "$L1" --yes --force 2>&1)
check_match "write: the summary shows what the device now holds" 'holds: dos partition table, iso9660 "CHAINBOOT"' "$out"

# an image whose size is not a multiple of 4096: the tail goes through the page cache
head -c $((3 * 1024 * 1024 + 1000)) /dev/urandom >"$T/odd.img"
check_exit "write: unaligned image size verifies" 0 "read back and equal" \
	"$CHAINBOOT" write "$T/odd.img" "$L1" --yes --force
check "write: unaligned image byte for byte" cmp -n $((3 * 1024 * 1024 + 1000)) "$T/odd.img" "$L1"

# --json: one event per line
"$CHAINBOOT" write "$IMG" "$L1" --yes --force --json >"$T/w.json" 2>"$T/w.err"
rc=$?
j=$(python3 - "$T/w.json" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
print("events", " ".join(e["event"] for e in ev))
print("phases", " ".join(e["phase"] for e in ev if e["event"] == "phase_done"))
d = ev[-1]
print("done", d["event"], d["exit"], d["verified"], len(d["crc64"]), ev[0]["transport"], ev[0]["size"])
PY
)
check_rc "json: succeeds" 0 "$rc"
check_match "json: target first, done last" '^events target .*progress.* done$' "$j"
check_match "json: write, flush, verify" '^phases write flush verify$' "$j"
check_match "json: done, verified, crc" '^done done 0 True 16 loop 67108864$' "$j"
check_exit "json without --yes is refused" 3 '"event":"error","exit":3.*--json needs --yes' \
	"$CHAINBOOT" write "$IMG" "$L1" --force --json

# ---- a verify failure is detected: a second writer corrupts the device between the
# write and the read-back (the hidden --test-pause-before-verify FIFO hook only waits)
mkfifo "$T/pause"
"$CHAINBOOT" write "$IMG" "$L1" --yes --force --test-pause-before-verify "$T/pause" >"$T/vf.out" 2>&1 &
wpid=$!
# wait_flushed FILE PID: chainboot reported the flush (then it waits on the FIFO).
wait_flushed() {
	for _ in $(seq 1 300); do
		grep -q 'flushed in' "$1" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
wait_flushed "$T/vf.out" "$wpid"
# The image's sector at 1 MiB with every bit flipped: differs from its first byte on
# (random bytes would equal the original first byte once in 256 runs).
python3 -c 'import sys; d = open(sys.argv[1], "rb").read()[1048576:1048576 + 512]; sys.stdout.buffer.write(bytes(b ^ 0xff for b in d))' \
	"$IMG" >"$T/bad.sector"
# Opening the FIFO for writing blocks until chainboot waits on it; then the second writer.
timeout 60 bash -c 'exec 3>"$1" && dd if="$3" of="$2" bs=512 count=1 seek=2048 oflag=direct conv=notrunc status=none' \
	_ "$T/pause" "$L1" "$T/bad.sector"
wait "$wpid"
rc=$?
check_rc "verify failure: detected" 4 "$rc"
check_match "verify failure: reported with the first bad byte" \
	"verify failed: $L1 returned different data from byte 1048576 on \(1 of 1 blocks of 4 MiB differ" "$(cat "$T/vf.out")"
if grep -q 'read back and equal' "$T/vf.out"; then notok "verify failure: no success claimed"; else ok "verify failure: no success claimed"; fi

# ---- Ctrl-C while paused before the read-back: stops cleanly and says what state it is in
"$CHAINBOOT" write "$IMG" "$L1" --yes --force --test-pause-before-verify "$T/pause" >"$T/int.out" 2>&1 &
wpid=$!
wait_flushed "$T/int.out" "$wpid"
sleep 0.2
kill -INT "$wpid"
wait "$wpid"
rc=$?
check_rc "Ctrl-C: stops" 130 "$rc"
check_match "Ctrl-C: says the device was written but not verified" \
	'interrupted before verifying: .* was written and flushed completely but not verified' "$(cat "$T/int.out")"

# ---- a stick with a mounted file system is refused and left untouched. With kernel
# partition support the mount is on partition 1; kernels without it (CONFIG_MSDOS_PARTITION
# unset, as on some CI VMs) get the file system on the whole device.
newfile 64M
# an MBR with one Linux partition at 1 MiB (no sfdisk needed)
python3 - "$FILE" <<'PY'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(446)
    f.write(struct.pack("<B3sB3sII", 0, b"\0\0\0", 0x83, b"\0\0\0", 2048, 65536) + b"\0" * 48 + b"\x55\xaa")
PY
newloop file -P
L2=$LOOP
mkdir -p "$T/mnt"
if [ -b "${L2}p1" ]; then
	part=${L2}p1
	mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 -L CBTEST "$part"
	what="partition ${L2}p1"
else
	part=$L2
	mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 -L CBTEST "$part"
	what="the whole device (this kernel has no partition support)"
	echo "skip write: mounted partition variant (no kernel partition support): testing a mounted whole device instead"
fi
# Read-only, and no lazy inode-table init: a rw ext4 mount keeps writing in the background
# (ext4lazyinit, superblock), which would make "untouched" unprovable.
if mount -o ro "$part" "$T/mnt"; then
	at_exit "umount $T/mnt 2>/dev/null"
	before=$(sum "$L2")
	check_exit "mounted: $what refused even with --force" 3 "refused: $part is mounted on $T/mnt: unmount it first" \
		"$CHAINBOOT" write "$IMG" "$L2" --yes --force
	[ "$(sum "$L2")" = "$before" ] && ok "mounted: $L2 untouched (sha256 before = after)" || notok "mounted: $L2 changed"
	if [ "$part" != "$L2" ]; then
		check_exit "partition named instead of the disk: refused" 3 "refused: $part is partition 1 of $(basename "$L2").*give $L2" \
			"$CHAINBOOT" write "$IMG" "$part" --yes --force
	else
		echo "skip write: partition-path refusal (no kernel partition support; covered by the unit test on recorded snapshots)"
	fi
	umount "$T/mnt"
else
	notok "mount $part"
fi

# ---- swap in use
newloop 16M
L3=$LOOP
mkswap -q "$L3" >/dev/null 2>&1
if swapon -p -1 "$L3" 2>/dev/null; then
	at_exit "swapoff $L3 2>/dev/null"
	before=$(sum "$L3")
	check_exit "swap: refused even with --force" 3 "refused: $L3 is in use as swap: turn it off first \(swapoff $L3\)" \
		"$CHAINBOOT" write "$IMG" "$L3" --yes --force
	[ "$(sum "$L3")" = "$before" ] && ok "swap: $L3 untouched" || notok "swap: $L3 changed"
	swapoff "$L3"
else
	echo "skip write: swap refusal (swapon not permitted here; covered by the unit test)"
fi

# ---- too small
newloop 2M
L4=$LOOP
before=$(sum "$L4")
check_exit "too small: refused even with --force" 3 "refused: $L4 is too small: the image is 4.2 MB \(4.0 MiB\), the device 2.1 MB" \
	"$CHAINBOOT" write "$IMG" "$L4" --yes --force
[ "$(sum "$L4")" = "$before" ] && ok "too small: $L4 untouched" || notok "too small: $L4 changed"

# ---- regular files and other targets
truncate -s 8M "$T/file.img"
check_exit "regular file refused without --force" 3 "refused: $T/file.img is a regular file, not a disk: give --force" \
	"$CHAINBOOT" write "$IMG" "$T/file.img" --yes
check_exit "regular file written with --force" 0 "read back and equal" "$CHAINBOOT" write "$IMG" "$T/file.img" --yes --force
check "regular file holds the image" cmp -n "$SIZE" "$IMG" "$T/file.img"
check_exit "missing device" 3 "/dev/nonexistent-cb does not exist: plug the stick in" \
	"$CHAINBOOT" write "$IMG" /dev/nonexistent-cb --yes --force
check_exit "character device refused" 3 "/dev/null is neither a block device nor a regular file" \
	"$CHAINBOOT" write "$IMG" /dev/null --yes --force
check_exit "image and target the same file" 2 "the image and the target are the same file" \
	"$CHAINBOOT" write "$IMG" "$IMG" --yes --force
check_exit "usage: one argument" 2 "give the image and the device" "$CHAINBOOT" write "$IMG"
check_exit "help documents the exit codes" 0 "exit status: 0 written and verified.*" "$CHAINBOOT" write --help
finish
