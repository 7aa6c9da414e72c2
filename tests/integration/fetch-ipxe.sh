#!/bin/bash
# fetch-ipxe: scripts/chainboot-fetch-ipxe without the network: where it puts the
# binaries (CHAINBOOT_CACHE), --if-missing leaves a complete cache alone, bad options
# are usage errors, and scripts/deps.sh delegates to it (one copy of the fetch logic).
. "$(dirname "$0")/lib.sh"

F=$CHAINBOOT_SRCDIR/scripts/chainboot-fetch-ipxe
check_match "fetch-ipxe: --print-dir follows CHAINBOOT_CACHE" "^$T/c/ipxe/usr/lib/ipxe$" \
	"$(CHAINBOOT_CACHE=$T/c "$F" --print-dir)"
check_match "fetch-ipxe: deps.sh --print-ipxe-dir is the same directory" "^$T/c/ipxe/usr/lib/ipxe$" \
	"$(CHAINBOOT_CACHE=$T/c "$CHAINBOOT_SRCDIR/scripts/deps.sh" --print-ipxe-dir)"
mkdir -p "$T/c/ipxe/usr/lib/ipxe"
touch "$T/c/ipxe/usr/lib/ipxe/ipxe.lkrn" "$T/c/ipxe/usr/lib/ipxe/ipxe-arm64.efi"
echo ipxe_test.deb >"$T/c/ipxe/.complete"
# An empty sources list: were it to fetch, it would fail; --if-missing must not try.
out=$(CHAINBOOT_CACHE=$T/c "$F" --if-missing 2>&1)
rc=$?
check "fetch-ipxe: --if-missing with a complete cache: exit 0, nothing printed (exit $rc: $out)" \
	test "$rc" = 0 -a -z "$out"
check "fetch-ipxe: the cache is left as it was" grep -qx ipxe_test.deb "$T/c/ipxe/.complete"
check_fails "fetch-ipxe: an unknown option is a usage error" 'unknown option "--frobnicate"' \
	"$F" --frobnicate
out=$("$F" --frobnicate 2>&1)
check "fetch-ipxe: usage errors exit 2" test $? = 2
check_match "fetch-ipxe: --help says what it does" 'with a private apt' "$("$F" --help)"
if grep -q 'apt-get.*download' "$CHAINBOOT_SRCDIR/scripts/deps.sh"; then
	notok "fetch-ipxe: deps.sh holds no second copy of the download"
else
	ok "fetch-ipxe: deps.sh holds no second copy of the download"
fi
finish
