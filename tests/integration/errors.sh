#!/bin/bash
# errors: bad inputs each give one clear error, a non-zero exit, and leave no file
# behind (no partial image, no staging directory, the previous image untouched).
. "$(dirname "$0")/lib.sh"
URL=http://198.51.100.1/boot.ipxe
mkdir -p "$T/out" "$T/tmp" "$T/empty"
export TMPDIR=$T/tmp

nothing_left() { # DESC: the output and staging directories must be empty
	if [ -z "$(ls -A "$T/out" "$T/tmp" 2>/dev/null | grep -v ':$' | grep .)" ]; then ok "$1: no file left"; else
		notok "$1: no file left"
		ls -la "$T/out" "$T/tmp" | sed 's/^/#   /'
	fi
	rm -rf "${T:?}/out/"* "${T:?}/tmp/"*
}

check_fails "unknown layout is named, with the known ones" '--layout: layout: "nope" is unknown \(have: .*hybrid' \
	"$CHAINBOOT" build --url $URL --layout nope -o "$T/out/x.iso"
nothing_left "unknown layout"

check_fails "missing iPXE binaries name the file and the fix" 'ipxe.lkrn not found in .*empty.*deps.sh.*--ipxe-dir' \
	"$CHAINBOOT" build --url $URL --ipxe-dir "$T/empty" -o "$T/out/x.iso"
nothing_left "missing iPXE binaries"

check_fails "ipxe-dir that is not a directory" 'is not a directory' \
	"$CHAINBOOT" build --url $URL --ipxe-dir "$T/nonexistent" -o "$T/out/x.iso"
nothing_left "bad ipxe-dir"

check_fails "URL that is not http(s)" '--url: url: "ftp://198.51.100.1/x" must start with http:// or https://' \
	"$CHAINBOOT" build --url ftp://198.51.100.1/x -o "$T/out/x.iso"
nothing_left "ftp URL"

check_fails "URL without a host" 'has no host' "$CHAINBOOT" build --url http:///boot.ipxe -o "$T/out/x.iso"

long=$(head -c 256 /dev/zero | tr '\0' A)
check_fails "user-class over 255 bytes" 'user_class: .*longer than 255 bytes' \
	"$CHAINBOOT" build --url $URL --user-class "$long" -o "$T/out/x.iso"
nothing_left "long user-class"
check "user-class of exactly 255 bytes is accepted" "$CHAINBOOT" check-config --url $URL --user-class "${long:1}"
check_fails "user-class iPXE is refused with the reason" 'every stock and vendor iPXE' \
	"$CHAINBOOT" build --url $URL --user-class iPXE -o "$T/out/x.iso"

check_fails "no URL at all" 'no inventory URL' "$CHAINBOOT" build -o "$T/out/x.iso"
nothing_left "no URL"

check_fails "output is a directory" 'is a directory' "$CHAINBOOT" build --url $URL -o "$T/out"
check_fails "unknown option" 'see `chainboot help`' "$CHAINBOOT" build --bogus
check_fails "unknown command" 'unknown command "frobnicate"' "$CHAINBOOT" frobnicate

# Interrupted build: a slow xorriso (a shim ahead in PATH that sleeps, then runs the
# real one) gives time to send SIGTERM; the build must stop, clean up and exit 130.
mkdir -p "$T/bin"
printf '#!/bin/sh\nsleep 2\nexec /usr/bin/xorriso "$@"\n' >"$T/bin/xorriso"
chmod +x "$T/bin/xorriso"
PATH=$T/bin:$PATH "$CHAINBOOT" build --url $URL -o "$T/out/x.iso" >"$T/int.log" 2>&1 &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
rc=$?
check "interrupted build exits 130 (got $rc)" test $rc -eq 130
check_match "interrupted build says so" 'interrupted; nothing was written' "$(cat "$T/int.log")"
nothing_left "interrupted build"

if [ "$(id -u)" != 0 ]; then
	echo "skip read-only, full and block-device outputs (need root for mount/losetup)"
	finish
	exit
fi

# Read-only output directory (root ignores permission bits, so a read-only mount).
mkdir -p "$T/ro"
if mount -t tmpfs -o ro,size=1m cbtest-ro "$T/ro"; then
	at_exit "umount '$T/ro'"
	check_fails "read-only output directory" "cannot create the image in .*/ro: Read-only file system" \
		"$CHAINBOOT" build --url $URL -o "$T/ro/x.iso"
	check "read-only output directory: nothing written" test -z "$(ls -A "$T/ro")"
	nothing_left "read-only output directory"
else
	notok "mount a read-only tmpfs"
fi

# Full output directory: the previous image must survive a failed rebuild.
mkdir -p "$T/full"
if mount -t tmpfs -o size=6m cbtest-full "$T/full"; then
	at_exit "umount '$T/full'"
	check "full disk: first build fits" "$CHAINBOOT" build --url $URL -o "$T/full/x.iso"
	cp "$T/full/x.iso" "$T/prev.iso"
	head -c $((1536 * 1024)) /dev/zero >"$T/full/filler" 2>/dev/null
	check_fails "full disk: clear error" 'No space left on device' \
		"$CHAINBOOT" build --url http://198.51.100.2/other.ipxe -o "$T/full/x.iso"
	check "full disk: previous image intact" cmp "$T/full/x.iso" "$T/prev.iso"
	check "full disk: no temporary file left" test "$(ls -A "$T/full" | sort | tr '\n' ' ')" = "filler x.iso "
	nothing_left "full disk"
else
	notok "mount a small tmpfs"
fi

# A block device is `chainboot write`'s business, never build's.
truncate -s 8M "$T/disk.raw"
if loop=$(losetup --find --show "$T/disk.raw" 2>/dev/null); then
	at_exit "losetup -d $loop"
	sum=$(md5sum <"$loop")
	check_fails "block device output is refused, pointing at chainboot write" 'is a block device.*chainboot write' \
		"$CHAINBOOT" build --url $URL -o "$loop"
	check "block device untouched" test "$(md5sum <"$loop")" = "$sum"
else
	echo "skip block device output (no loop device available)"
fi
finish
