#!/bin/bash
# record.sh: record the facts `chainboot write` decides on for one block device, as a
# snapshot directory that tests/unit/test_diskpolicy.c can replay (format: README.md).
# Reads only (sysfs, /proc, blkid -p); writes only below OUTDIR. Review the result
# before sharing it: mountinfo names this machine's mount points.
#
#   tests/data/disks/record.sh /dev/sdb tests/data/disks/my-stick
set -euo pipefail
[ $# -eq 2 ] || { sed -n '2,7p' "$0" >&2; exit 2; }
dev=$1 out=$2
[ -b "$dev" ] || { echo "record.sh: $dev is not a block device" >&2; exit 2; }
[ -e "$out" ] && { echo "record.sh: $out exists" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

majmin=$(printf '%d:%d' "0x$(stat -L -c %t "$dev")" "0x$(stat -L -c %T "$dev")")
printf 'path=%s\nkind=block\nrdev=%s\n' "$dev" "$majmin" >"$out/target"

# copy_attrs SYSDIR: the attribute files chainboot reads, at the same place below $out.
copy_attrs() {
	local d=$1 a
	mkdir -p "$out$d"
	for a in dev size removable ro partition dm/name dm/uuid md/level loop/backing_file; do
		if [ -f "$d/$a" ]; then
			mkdir -p "$(dirname "$out$d/$a")"
			cat "$d/$a" >"$out$d/$a" 2>/dev/null || true
		fi
	done
	# device -> the parent device (SCSI LUN, NVMe controller, MMC card): vendor/model/name
	if [ -L "$d/device" ] && [ ! -e "$out$d/device" ]; then
		local real
		real=$(readlink -f "$d/device")
		mkdir -p "$out$real"
		for a in vendor model name; do
			[ -f "$real/$a" ] && cat "$real/$a" >"$out$real/$a"
		done
		ln -sr "$out$real" "$out$d/device"
	fi
}

# link NAME SYSDIR: /sys/class/block/NAME -> SYSDIR, as the kernel has it.
link() {
	mkdir -p "$out/sys/class/block"
	[ -e "$out/sys/class/block/$1" ] || ln -sr "$out$2" "$out/sys/class/block/$1"
}

# walk SYSDIR: the device, then its holders (recursively).
walk() {
	local d=$1 h hd
	copy_attrs "$d"
	link "$(basename "$d")" "$d"
	mkdir -p "$out$d/holders"
	for h in "$d"/holders/*; do
		[ -e "$h" ] || continue
		hd=$(readlink -f "$h")
		[ -e "$out$hd/dev" ] || walk "$hd"
		ln -sr "$out$hd" "$out$d/holders/$(basename "$h")"
	done
}

top=$(readlink -f "/sys/dev/block/$majmin")
mkdir -p "$out/sys/dev/block"
walk "$top"
ln -sr "$out$top" "$out/sys/dev/block/$majmin"
# a partition: also its disk's removable/device attributes
if [ -f "$top/partition" ]; then
	copy_attrs "$(dirname "$top")"
fi
for p in "$top"/*; do
	[ -f "$p/partition" ] && walk "$p"
done

mkdir -p "$out/proc/self"
cat /proc/self/mountinfo >"$out/proc/self/mountinfo"
cat /proc/swaps >"$out/proc/swaps"

{
	blkid -p -o export "$dev" || true
	for p in "$top"/*; do
		[ -f "$p/partition" ] || continue
		echo
		blkid -p -o export "/dev/$(basename "$p")" || true
	done
} >"$out/blkid"
echo "recorded $dev ($majmin, $top) in $out"
