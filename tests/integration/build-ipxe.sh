#!/bin/bash
# build-ipxe: iPXE built from the source tree in $IPXE_SRC with a class longer than a
# prebuilt binary could take and the chain script embedded; the tree is left as it
# was; the results are usable as --ipxe-dir. Takes minutes: runs only when IPXE_SRC
# points at an iPXE tree (e.g. a clone of iPXE's git repository), else it is skipped.
. "$(dirname "$0")/lib.sh"
if [ -z "${IPXE_SRC:-}" ]; then
	echo "skip build-ipxe (IPXE_SRC not set)"
	exit 0
fi
if [ ! -f "$IPXE_SRC/src/net/udp/dhcp.c" ]; then
	notok "IPXE_SRC=$IPXE_SRC is an iPXE tree (no src/net/udp/dhcp.c)"
	finish
	exit
fi
URL=http://198.51.100.1:8080/boot.ipxe
CLS=chainboot-lab # 13 bytes: only a build from source can send it from the first request

# The tree must be the same afterwards: no build products, dhcp.c untouched.
before=$(cd "$IPXE_SRC" && find . -path ./.git -prune -o -type f -newer "$IPXE_SRC/src/net/udp/dhcp.c" -print | sort; sha256sum src/net/udp/dhcp.c)
bin_before=$(ls -d "$IPXE_SRC"/src/bin* 2>/dev/null)

check_fails "not an iPXE tree: refused" 'not an iPXE source tree' \
	"$CHAINBOOT" build-ipxe --src "$T" --url $URL -o "$T/none"
check_fails "no --src: usage" 'give the iPXE source tree' "$CHAINBOOT" build-ipxe --url $URL
if ! command -v aarch64-linux-gnu-gcc >/dev/null; then
	check_fails "arm64 without the cross compiler: names the package" 'apt-get install gcc-aarch64-linux-gnu' \
		"$CHAINBOOT" build-ipxe --src "$IPXE_SRC" --url $URL -o "$T/none"
fi
check_fails "no URL: the embedded script needs one" 'no inventory URL' \
	"$CHAINBOOT" build-ipxe --src "$IPXE_SRC" -o "$T/none"

mkdir -p "$T/tmp"
out=$(TMPDIR=$T/tmp "$CHAINBOOT" build-ipxe --src "$IPXE_SRC" --arch x86_64 -c "$CLS" --url $URL -o "$T/ipxe" 2>&1)
rc=$?
check_match "build-ipxe --arch x86_64 succeeds (exit $rc)" 'wrote 6 binaries sending user-class chainboot-lab' "$out"
check_match "build-ipxe says the tree is not changed" 'your tree is not changed' "$out"
for f in ipxe.lkrn ipxe.pxe undionly.kpxe undionly.kkpxe ipxe-amd64.efi snponly.efi; do
	check_match "$f sends $CLS" "user-class: \"$CLS\"" "$("$CHAINBOOT" inspect "$T/ipxe/$f" 2>&1)"
done
check "ipxe.efi links to ipxe-amd64.efi as in Debian's package" test "$(readlink "$T/ipxe/ipxe.efi")" = ipxe-amd64.efi
# EFI binaries are not compressed: the embedded chain script is visible in them.
check "the chain script is embedded (EFI: URL in the binary)" grep -aq "$URL" "$T/ipxe/ipxe-amd64.efi"
after=$(cd "$IPXE_SRC" && find . -path ./.git -prune -o -type f -newer "$IPXE_SRC/src/net/udp/dhcp.c" -print | sort; sha256sum src/net/udp/dhcp.c)
check "the source tree is unchanged" test "$before" = "$after"
check "no build directory appeared in the source tree" test "$bin_before" = "$(ls -d "$IPXE_SRC"/src/bin* 2>/dev/null)"
check "no temporary directory left" test -z "$(ls -A "$T/tmp")"

# The results are a usable --ipxe-dir; build uses them as they are (they send the class).
export CHAINBOOT_CACHE=$T/cache
check "build --ipxe-dir with them" "$CHAINBOOT" build --url $URL -c "$CLS" --arch x86_64 --ipxe-dir "$T/ipxe" -o "$T/img.iso"
out=$("$CHAINBOOT" inspect "$T/img.iso" 2>&1)
check_match "image's ipxe.lkrn sends $CLS" "ipxe.lkrn: packed BIOS .*user-class \"$CLS\"" "$out"
check_match "image's BOOTX64.EFI sends $CLS" "BOOTX64.EFI: EFI x86_64, user-class \"$CLS\"" "$out"
check "nothing was rebranded or cached" test ! -e "$T/cache/rebranded"
# rebrand refuses them: they are not stock
check_fails "rebrand of a build-ipxe binary: already has its class" "already rebranded: its user-class is \"$CLS\"" \
	"$CHAINBOOT" rebrand -c CSTM "$T/ipxe/ipxe-amd64.efi" "$T/x.efi"
finish
