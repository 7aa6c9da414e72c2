#!/bin/bash
# build: `chainboot build` of the hybrid x86_64+arm64 image (examples/site.ini) against
# grub-mkrescue of a minimal image with the same payload (ipxe.lkrn + chain script;
# BIOS and x86_64 UEFI, the GRUB platforms the host has) and a bare floor: the same
# mformat + mmd + mcopy of the same ESP content and the same xorriso command that
# chainboot runs, with nothing around them. Servers: chainboot, grub-mkrescue, bare.
# Rows: wall_s, cpu_s (user+system of the tool and every child it waited for, from
# /usr/bin/time's getrusage), and once: identical (1 = two chainboot builds with
# SOURCE_DATE_EPOCH are byte-identical), image_kb per tool.
BENCH_CASE=${BENCH_CASE:-build}
. "$(dirname "$0")/../lib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
CB=$BENCH_BUILD/chainboot
SITE=$SRC/examples/site.ini
export CHAINBOOT_DATADIR=${CHAINBOOT_DATADIR:-$SRC}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
[ -x "$CB" ] || bench_die "$CB missing: make BUILD=$BENCH_BUILD all"
for t in grub-mkrescue xorriso mformat mcopy mmd /usr/bin/time; do
	command -v "$t" >/dev/null || bench_die "$t missing: run scripts/bench-deps.sh"
done
W=$BENCH_TMP

# ---- reproducibility, and the inputs of the other two from chainboot's own image
"$CB" build --site "$SITE" -o "$W/cb1.iso" >/dev/null 2>"$W/cb.err" || { cat "$W/cb.err" >&2; bench_die "chainboot build failed"; }
"$CB" build --site "$SITE" -o "$W/cb2.iso" >/dev/null 2>"$W/cb.err" || { cat "$W/cb.err" >&2; bench_die "chainboot build failed"; }
if cmp -s "$W/cb1.iso" "$W/cb2.iso"; then same=1; else same=0; fi
bench_record chainboot 0 identical "$same" bool
bench_log "two builds with SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH byte-identical: $same"

T=$W/tree
mkdir -p "$T" "$W/esp"
xorriso -osirrox on -indev "$W/cb1.iso" -extract / "$T" >/dev/null 2>&1 || bench_die "cannot extract $W/cb1.iso"
chmod -R u+w "$T"
[ -f "$T/efi.img" ] && [ -f "$T/isolinux/isolinux.bin" ] || bench_die "chainboot's image has no efi.img or isolinux/isolinux.bin"
mcopy -s -n -i "$T/efi.img" ::/ "$W/esp/" || bench_die "cannot read the ESP of $W/cb1.iso"
ESP_SECTORS=$(( $(stat -c %s "$T/efi.img") / 512 ))
rm -f "$T/efi.img" "$T/isolinux/boot.cat"
ESP_FILES=()
while IFS= read -r f; do ESP_FILES+=("${f#"$W"/esp/}"); done < <(find "$W/esp" -type f | sort)
ISOHDPFX=/usr/lib/ISOLINUX/isohdpfx.bin
[ -f "$ISOHDPFX" ] || bench_die "$ISOHDPFX missing (package isolinux)"

# bare: what chainboot runs, nothing else (the tree is already staged)
cat >"$W/bare.sh" <<EOF
set -e
out=\$1; tree=\$2
rm -f "\$tree/efi.img"
truncate -s $((ESP_SECTORS * 512)) "\$tree/efi.img"
mformat -i "\$tree/efi.img" -T $ESP_SECTORS -h 64 -s 32 -H 0 -N 943238e7 -v CHAINBOOT ::
$(for d in $(printf '%s\n' "${ESP_FILES[@]}" | xargs -n1 dirname | grep -v '^\.$' | sort -u | awk -F/ '{p=""; for (i=1;i<=NF;i++) {p = p (i>1?"/":"") $i; print p}}' | awk '!s[$0]++'); do
	echo "mmd -i \"\$tree/efi.img\" ::/$d"
done)
$(for f in "${ESP_FILES[@]}"; do echo "mcopy -i \"\$tree/efi.img\" -m -D o $W/esp/$f ::/$f"; done)
xorriso -as mkisofs -o "\$out" -V CHAINBOOT -r -iso-level 3 -c isolinux/boot.cat -isohybrid-mbr $ISOHDPFX \\
	-b isolinux/isolinux.bin -no-emul-boot -boot-load-size 4 -boot-info-table \\
	-eltorito-alt-boot -e efi.img -no-emul-boot -isohybrid-gpt-basdat "\$tree" 2>/dev/null
EOF

# grub-mkrescue: a minimal GRUB image booting the same ipxe.lkrn with the chain script
G=$W/grubtree
mkdir -p "$G/boot/grub"
cp "$T/ipxe.lkrn" "$T/chain.ipxe" "$G/"
cat >"$G/boot/grub/grub.cfg" <<'EOF'
set timeout=0
menuentry chainboot {
	linux16 /ipxe.lkrn
	initrd16 /chain.ipxe
}
EOF
PLATFORMS=$(ls -d /usr/lib/grub/*/ 2>/dev/null | xargs -n1 basename | grep -E '^(i386-pc|x86_64-efi|arm64-efi)$' | tr '\n' ' ')
bench_log "grub-mkrescue platforms on this host: $PLATFORMS"

# run SERVER REP CMD…: time one build, record wall_s and cpu_s
run() {
	local server=$1 rep=$2 out t0 wall usr sys
	shift 2
	out=$W/$server.iso
	rm -f "$out"
	t0=$(date +%s%N)
	/usr/bin/time -f 'time %U %S' -o "$W/time.txt" "$@" "$out" >/dev/null 2>"$W/$server.err" ||
		{ tail -n 20 "$W/$server.err" >&2; bench_die "$server build failed"; }
	wall=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
	[ -s "$out" ] || bench_die "$server wrote no image"
	read -r _ usr sys <"$W/time.txt"
	bench_record "$server" "$rep" wall_s "$wall" s
	bench_record "$server" "$rep" cpu_s "$(awk -v u="$usr" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')" s
	bench_log "$server rep $rep: wall $wall s, user $usr s, sys $sys s, $(( $(stat -c %s "$out") / 1024 )) KiB"
	[ "$rep" = 1 ] && bench_record "$server" 0 image_kb "$(( $(stat -c %s "$out") / 1024 ))" KiB
	return 0
}
cb_build() { "$CB" build --site "$SITE" -o "$1"; }
bare_build() { bash "$W/bare.sh" "$1" "$T"; }
grub_build() { grub-mkrescue -o "$1" "$G"; }
export -f cb_build bare_build grub_build
export CB SITE W T G

# a build takes a fraction of a second: four times the repetitions of the other cases
REPS=$((BENCH_SMOKE == 1 ? 1 : BENCH_REPS * 4))
for rep in $(seq "$REPS"); do
	run chainboot "$rep" bash -c 'cb_build "$1"' _
	run grub-mkrescue "$rep" bash -c 'grub_build "$1"' _
	run bare "$rep" bash -c 'bare_build "$1"' _
done
printf '%s\n' \
	"chainboot: hybrid image, x86_64 (BIOS + UEFI) and arm64 (UEFI), from examples/site.ini: reads and rebrands the iPXE binaries, writes the chain script, runs mformat/mmd/mcopy and xorriso" \
	"grub-mkrescue: minimal GRUB image for $PLATFORMS(the host's GRUB platforms) booting the same ipxe.lkrn + chain script" \
	"bare: only the mformat + ${#ESP_FILES[@]} mcopy + xorriso commands chainboot runs, on the already staged tree (the floor for any tool built on mtools and xorriso)" \
	"$REPS builds per tool, interleaved; wall_s from the clock around each build (the image written to a temporary directory)" \
	"cpu_s: user + system time of the tool and every child process it waited for (getrusage via /usr/bin/time)" \
	"identical: two chainboot builds with SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH compared with cmp (1 = byte-identical)" \
	>>"$BENCH_OUT/$BENCH_CASE.notes"
