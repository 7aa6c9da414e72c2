#!/bin/bash
# rebrand: every binary of Debian's ipxe package (and its ipxe.iso) rebranded to CSTM,
# CB and A&B=; inspect and an independent decoder (Python's lzma, xorriso, mtools) show
# the new class; sizes unchanged; bad inputs refused with nothing written; build uses
# rebranded copies from the cache by default.
. "$(dirname "$0")/lib.sh"
D=${CHAINBOOT_IPXE_DIR:-}
if [ -z "$D" ] || [ ! -f "$D/ipxe.lkrn" ]; then
	echo "skip rebrand (no iPXE binaries: run scripts/deps.sh or set CHAINBOOT_IPXE_DIR)"
	exit 0
fi
export CHAINBOOT_CACHE=$T/cache
URL=http://198.51.100.1/boot.ipxe
BINS=(ipxe.lkrn ipxe.pxe undionly.kpxe undionly.kkpxe ipxe-amd64.efi ipxe-arm64.efi snponly.efi
      ipxe-riscv64.efi ipxe-loong64.efi)
present=()
for f in "${BINS[@]}" ipxe.iso; do [ -f "$D/$f" ] && present+=("$f"); done

# Independent reader: finds the last packed block by its CRC (no chainboot code), decodes
# it with Python's lzma (raw LZMA1, lc=2 lp=0 pb=0), undoes the x86 call/jump filter, and
# prints the class of option 77 in iPXE's template (or "raw" search for EFI files).
cat >"$T/decode.py" <<'PY'
import lzma, re, struct, sys, zlib
d = open(sys.argv[1], "rb").read()
def ipxe_crc(b):  # seed 0xffffffff, no final xor
    return zlib.crc32(b) ^ 0xffffffff
data = None
if d[:2] != b"MZ":
    for off in range(0, len(d) - 8, 16):
        (l,) = struct.unpack_from("<I", d, off)
        if l >= 9 and off + 4 + l == len(d) and \
           ipxe_crc(d[off + 4:off + l]) == struct.unpack_from("<I", d, off + l)[0]:
            dec = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA1,
                  "lc": 2, "lp": 0, "pb": 0, "dict_size": 1 << 24}])
            data = bytearray(dec.decompress(d[off + 4:off + l]))
            lim = len(data) - 5
            i = 0
            while i <= lim:   # iPXE unlzma.S bcj_filter, decoding direction
                if data[i] in (0xE8, 0xE9):
                    (v,) = struct.unpack_from("<i", data, i + 1)
                    if 0 <= v < lim: v -= i
                    elif -i <= v < 0: v += lim
                    struct.pack_into("<i", data, i + 1, v)
                    i += 4
                i += 1
            break
    if data is None:
        sys.exit("no packed block found")
else:
    data = d
# the template: 53,1 ... 60 "PXEClient..." 77 len class ... 55 ... 255 (0 = pad)
out = []
for mm in re.finditer(rb"\x3c[\x09-\x40]PXEClient", bytes(data)):
    p = mm.start()
    while p < len(data) and data[p] not in (0x4d, 0xff):
        p += 1 if data[p] == 0 else 2 + data[p + 1]
    if p < len(data) and data[p] == 0x4d:
        out.append(bytes(data[p + 2:p + 2 + data[p + 1]]).decode("latin-1"))
print(" ".join(out) if out else "none")
PY

# --- every binary, three classes ---
for cls in CSTM CB 'A&B='; do
	mkdir -p "$T/$cls"
	for f in "${present[@]}"; do
		[ "$f" = ipxe.iso ] && [ "$cls" != CSTM ] && continue
		out=$T/$cls/$f
		check "$f -> $cls: rebrand" "$CHAINBOOT" rebrand --user-class "$cls" "$D/$f" "$out"
		[ -f "$out" ] || continue
		check "$f -> $cls: size unchanged" test "$(stat -c %s "$out")" = "$(stat -c %s "$D/$f")"
		[ "$f" = ipxe.iso ] && continue
		check_match "$f -> $cls: inspect shows it" "user-class: \"$cls\"" "$("$CHAINBOOT" inspect "$out" 2>&1)"
		check_match "$f -> $cls: independent decode shows it" "^$cls\$" "$(python3 "$T/decode.py" "$out" 2>&1)"
		check_match "$f: stock decodes as iPXE (the decoder works)" '^iPXE$' "$(python3 "$T/decode.py" "$D/$f" 2>&1)"
	done
done

# ipxe.iso: the binaries inside, read back with xorriso and mtools.
if [ -f "$T/CSTM/ipxe.iso" ]; then
	xorriso -osirrox on -indev "$T/CSTM/ipxe.iso" -extract /ipxe.krn "$T/iso.krn" -extract /efi.img "$T/iso-efi.img" >/dev/null 2>&1
	check_match "ipxe.iso: its ipxe.krn decodes as CSTM" '^CSTM$' "$(python3 "$T/decode.py" "$T/iso.krn" 2>&1)"
	for e in bootx64.efi bootaa64.efi; do
		mtype -i "$T/iso-efi.img" "::/efi/boot/$e" >"$T/iso-$e" 2>/dev/null
		check_match "ipxe.iso: EFI/BOOT/$e reads CSTM" '^CSTM$' "$(python3 "$T/decode.py" "$T/iso-$e" 2>&1)"
	done
	check_match "ipxe.iso: inspect shows the class" 'ipxe.krn: packed BIOS .*user-class "CSTM"' "$("$CHAINBOOT" inspect "$T/CSTM/ipxe.iso" 2>&1)"
	check "ipxe.iso: still an El Torito image" sh -c "xorriso -indev '$T/CSTM/ipxe.iso' -report_el_torito plain 2>&1 | grep -q 'El Torito boot img : *2 *UEFI'"
fi

# --- one invocation for the whole package: how long it takes ---
mkdir -p "$T/all"
t0=$(date +%s%N)
check "all ${#present[@]} package files in one rebrand" "$CHAINBOOT" rebrand -c CSTM "${present[@]/#/$D/}" "$T/all"
ms=$((($(date +%s%N) - t0) / 1000000))
check "all package files rebranded in ${ms} ms (sanitizer build; bound 20 s)" test "$ms" -lt 20000

# --- already rebranded: the same error each time, naming the class ---
for i in 1 2; do
	check_fails "already rebranded (run $i): refused, names the class" 'already rebranded: its user-class is "CB"' \
		"$CHAINBOOT" rebrand -c CSTM "$T/CB/ipxe.lkrn" "$T/again.lkrn"
done
check_fails "already rebranded EFI: refused" 'already rebranded: its user-class is "A&B="' \
	"$CHAINBOOT" rebrand -c CSTM "$T/A&B=/ipxe-amd64.efi" "$T/again.efi"
check "already rebranded: nothing written" test ! -e "$T/again.lkrn" -a ! -e "$T/again.efi"

# --- bad inputs: one clear error each, no OUT, no temp file ---
mkdir -p "$T/bad" "$T/o"
head -c 200000 "$D/ipxe.lkrn" >"$T/bad/truncated.lkrn"
: >"$T/bad/empty"
printf 'just some text\n' >"$T/bad/text.txt"
python3 - "$D/undionly.kpxe" "$T/bad" <<'PY'
import struct, sys, zlib
src, out = sys.argv[1], sys.argv[2]
d = bytearray(open(src, "rb").read())
for off in range(0, len(d) - 8, 16):  # the last block, found by its CRC
    (l,) = struct.unpack_from("<I", d, off)
    if l >= 9 and off + 4 + l == len(d) and (zlib.crc32(d[off+4:off+l]) ^ 0xffffffff) == struct.unpack_from("<I", d, off + l)[0]:
        break
bad = bytearray(d); bad[off + 4 + l // 2] ^= 0x40
open(out + "/badcrc.kpxe", "wb").write(bad)
crc = zlib.crc32(bad[off+4:off+l]) ^ 0xffffffff   # same damage, CRC made to match
struct.pack_into("<I", bad, off + l, crc)
open(out + "/badlzma.kpxe", "wb").write(bad)
PY
check_fails "truncated file" 'truncated|corrupt' "$CHAINBOOT" rebrand "$T/bad/truncated.lkrn" "$T/o/x"
check_fails "wrong CRC" 'CRC mismatch' "$CHAINBOOT" rebrand "$T/bad/badcrc.kpxe" "$T/o/x"
check_fails "corrupt LZMA stream" 'LZMA data (invalid|ends before)|corrupt' "$CHAINBOOT" rebrand "$T/bad/badlzma.kpxe" "$T/o/x"
check_fails "not an iPXE file" 'not an iPXE binary' "$CHAINBOOT" rebrand "$T/bad/text.txt" "$T/o/x"
check_fails "empty file" 'empty file' "$CHAINBOOT" rebrand "$T/bad/empty" "$T/o/x"
check_fails "class of 0 bytes" 'empty' "$CHAINBOOT" rebrand -c '' "$D/ipxe.lkrn" "$T/o/x"
check_fails "class of 5 bytes: says what covers it" 'room for 4.*set user-class.*build-ipxe' \
	"$CHAINBOOT" rebrand -c CSTMX "$D/ipxe.lkrn" "$T/o/x"
check_fails "class iPXE" 'every stock and vendor' "$CHAINBOOT" rebrand -c iPXE "$D/ipxe.lkrn" "$T/o/x"
check_fails "class with a space" 'space' "$CHAINBOOT" rebrand -c 'A B' "$D/ipxe.lkrn" "$T/o/x"
check_fails "missing input" 'No such file' "$CHAINBOOT" rebrand "$T/bad/none" "$T/o/x"
check_fails "only IN given: usage" 'give IN OUT' "$CHAINBOOT" rebrand "$D/ipxe.lkrn"
check "bad inputs: nothing written, no temp file" test -z "$(ls -A "$T/o")"

# --- IN is never changed; --in-place rewrites atomically ---
sum=$(sha256sum "$D/ipxe.lkrn" "$D/snponly.efi")
cp "$D/snponly.efi" "$T/o/inplace.efi"
check_fails "OUT == IN without --in-place is refused" 'give --in-place' \
	"$CHAINBOOT" rebrand -c CSTM "$T/o/inplace.efi" "$T/o/inplace.efi"
check "--in-place rewrites the file" "$CHAINBOOT" rebrand -c LAB1 --in-place "$T/o/inplace.efi"
check_match "--in-place: the file now reads LAB1" 'user-class: "LAB1"' "$("$CHAINBOOT" inspect "$T/o/inplace.efi" 2>&1)"
check "--in-place: no temp file left" test "$(ls -A "$T/o")" = inplace.efi
check "the package files were never changed" test "$sum" = "$(sha256sum "$D/ipxe.lkrn" "$D/snponly.efi")"
# site file class
printf '[site]\nuser_class = SITE\n' >"$T/site.ini"
check "class from the site file" "$CHAINBOOT" rebrand --site "$T/site.ini" "$D/snponly.efi" "$T/o/site.efi"
check_match "site class: SITE" 'user-class: "SITE"' "$("$CHAINBOOT" inspect "$T/o/site.efi" 2>&1)"

# --- build: rebranded copies from the cache by default ---
check "build (default: rebranded)" "$CHAINBOOT" build --url $URL -c LAB7 -o "$T/b1.iso"
out=$("$CHAINBOOT" inspect "$T/b1.iso" 2>&1)
check_match "build: lkrn in the image sends LAB7" 'ipxe.lkrn: packed BIOS .*user-class "LAB7"' "$out"
check_match "build: BOOTX64.EFI sends LAB7" 'BOOTX64.EFI: EFI x86_64, user-class "LAB7"' "$out"
check_match "build: BOOTAA64.EFI sends LAB7" 'BOOTAA64.EFI: EFI arm64, user-class "LAB7"' "$out"
n=$(find "$T/cache/rebranded" -type f -name '*-4c414237-*' | wc -l)
check "build: three cached copies keyed by class (found $n)" test "$n" = 3
stamp=$(stat -c %Y "$T/cache/rebranded/"* | sort -u)
check "build: cached copies keep the package files' mtime" test "$stamp" = "$(stat -c %Y "$D/ipxe.lkrn" "$D/ipxe-amd64.efi" "$D/ipxe-arm64.efi" | sort -u)"
ino=$(stat -c %i "$T/cache/rebranded/"*ipxe.lkrn)
check "build again (from the cache)" "$CHAINBOOT" build --url $URL -c LAB7 -o "$T/b2.iso"
check "build again: byte-identical image" cmp "$T/b1.iso" "$T/b2.iso"
check "build again: cache entry reused, not rewritten" test "$ino" = "$(stat -c %i "$T/cache/rebranded/"*ipxe.lkrn)"
check "build with another cache directory" env CHAINBOOT_CACHE="$T/cache2" "$CHAINBOOT" build --url $URL -c LAB7 -o "$T/b2c.iso"
check "  ... gives the same image (the cache's place is not in it)" cmp "$T/b1.iso" "$T/b2c.iso"
# a damaged cache entry is not put into an image: it is rebuilt
printf 'junk' | dd of="$(ls "$T/cache/rebranded/"*ipxe-amd64.efi)" bs=1 seek=0 conv=notrunc 2>/dev/null
check "build with a damaged cache entry" "$CHAINBOOT" build --url $URL -c LAB7 -o "$T/b3.iso"
check "damaged cache entry rebuilt: same image" cmp "$T/b1.iso" "$T/b3.iso"
check "build again: the index of verified copies is kept beside the cache" test -n "$(ls "$T/cache/rebranded.index")"
# damage that keeps size and mtime (touch -r) still changes ctime, so the index does not vouch for it
f=$(ls "$T/cache/rebranded/"*ipxe.lkrn)
cp -p "$f" "$T/lkrn.orig"
printf 'junk' | dd of="$f" bs=1 seek=2000 conv=notrunc 2>/dev/null
touch -r "$T/lkrn.orig" "$f"
check "build with a damaged entry of the same size and mtime" "$CHAINBOOT" build --url $URL -c LAB7 -o "$T/b4.iso"
check "  ... rebuilt: same image" cmp "$T/b1.iso" "$T/b4.iso"
check "build --no-rebrand" "$CHAINBOOT" build --url $URL -c LAB7 --no-rebrand -o "$T/b4.iso"
check_match "--no-rebrand: stock binaries" 'BOOTX64.EFI: EFI x86_64, user-class "iPXE"' "$("$CHAINBOOT" inspect "$T/b4.iso" 2>&1)"
printf '[chain]\nurl = %s\n[image]\nrebrand = no\n' "$URL" >"$T/norebrand.ini"
check "rebrand = no in the site file" "$CHAINBOOT" build --site "$T/norebrand.ini" -o "$T/b5.iso"
check_match "rebrand = no: stock binaries" 'ipxe.lkrn: packed BIOS .*user-class "iPXE"' "$("$CHAINBOOT" inspect "$T/b5.iso" 2>&1)"
out=$("$CHAINBOOT" build --url $URL -c LONGCLASS -o "$T/b6.iso" 2>&1)
check_match "long class, rebrand auto: a note, stock binaries" 'note: user-class "LONGCLASS" is 9 bytes.*build-ipxe' "$out"
check_match "long class: the build says stock iPXE" 'stock iPXE' "$out"
check_fails "long class with --rebrand yes: an error" 'rebrand = yes, but user_class "LONGCLASS" is 9 bytes' \
	"$CHAINBOOT" build --url $URL -c LONGCLASS --rebrand yes -o "$T/b7.iso"
check_fails "bad --rebrand value" '"maybe" is not yes, no or auto' "$CHAINBOOT" build --url $URL --rebrand maybe -o "$T/b7.iso"
check "no image from the failed builds" test ! -e "$T/b7.iso"
# binaries that already send the class (build-ipxe output) are used as they are
mkdir -p "$T/mine"
"$CHAINBOOT" rebrand -c MINE "$D/ipxe.lkrn" "$D/ipxe-amd64.efi" "$D/ipxe-arm64.efi" "$T/mine" >/dev/null
rm -rf "$T/cache"
check "build from binaries that already send the class" "$CHAINBOOT" build --url $URL -c MINE --ipxe-dir "$T/mine" -o "$T/b8.iso"
check "  ... used as they are (nothing cached)" test ! -e "$T/cache/rebranded"
check_fails "binaries with another class: refused, naming it" 'already rebranded: its user-class is "MINE"' \
	"$CHAINBOOT" build --url $URL -c LAB7 --ipxe-dir "$T/mine" -o "$T/b9.iso"
check_fails "binaries with another class: the way out is named" 'give --no-rebrand or set \[image\] rebrand = no' \
	"$CHAINBOOT" build --url $URL -c LAB7 --ipxe-dir "$T/mine" -o "$T/b9.iso"
# an unwritable cache is a clear error
mkdir -p "$T/rocache" && touch "$T/rocache/rebranded"
check_fails "unwritable cache: names it and the way out" 'cache.*CHAINBOOT_CACHE|--no-rebrand' \
	env CHAINBOOT_CACHE="$T/rocache" "$CHAINBOOT" build --url $URL -o "$T/b9.iso"
# Issue 13 item 7: rebrand's own limits in its messages, directories as given.
check_fails "rebrand -c \"\": says 1 to 4 (what rebrand can do)" 'user-class is empty: give 1 to 4 printable' \
	"$CHAINBOOT" rebrand -c "" "$D/ipxe.pxe" "$T/empty.pxe"
if "$CHAINBOOT" rebrand -c "" "$D/ipxe.pxe" "$T/empty.pxe" 2>&1 | grep -q '1 to 255'; then
	notok "rebrand -c \"\": no 1 to 255"
else ok "rebrand -c \"\": no 1 to 255"; fi
mkdir -p "$T/rb"
out=$(cd "$T" && "$CHAINBOOT" rebrand -c LAB1 "$D/undionly.kpxe" rb/ 2>&1)
check_match "rebrand into rb/: wrote rb/undionly.kpxe" 'wrote rb/undionly\.kpxe ' "$out"
if grep -q 'rb//' <<<"$out"; then notok "rebrand into rb/: no rb//"; else ok "rebrand into rb/: no rb//"; fi
finish
