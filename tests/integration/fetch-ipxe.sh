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
# --source: Debian's ipxe source package, unpacked into ipxe-src/tree (build-ipxe --src).
check_match "fetch-ipxe: --source --print-dir is ipxe-src/tree in the cache" "^$T/c/ipxe-src/tree$" \
	"$(CHAINBOOT_CACHE=$T/c "$F" --source --print-dir)"
check_match "fetch-ipxe: deps.sh --print-ipxe-src-dir is the same directory" "^$T/c/ipxe-src/tree$" \
	"$(CHAINBOOT_CACHE=$T/c "$CHAINBOOT_SRCDIR/scripts/deps.sh" --print-ipxe-src-dir)"
check_fails "fetch-ipxe: --source with --shim-arm64 is a usage error" 'separate fetches' \
	"$F" --source --shim-arm64
# A mirror without source packages leaves a stamp: --if-missing does not try again
# within a day (no network here: were it to fetch, the output would say "fetching").
mkdir -p "$T/u"
echo "a mirror that serves no source packages" >"$T/u/ipxe-src.unavailable"
out=$(CHAINBOOT_CACHE=$T/u "$F" --source --if-missing 2>&1)
rc=$?
check "fetch-ipxe: --source --if-missing with a fresh unavailable stamp: exit 1 (exit $rc)" test "$rc" = 1
check_match "fetch-ipxe: ... says why, and that it tries again without --if-missing" \
	'error: a mirror that serves no source packages \(cached for a day: .*without --if-missing it tries now\)' "$out"
if grep -q fetching <<<"$out"; then notok "fetch-ipxe: ... and fetches nothing"; else ok "fetch-ipxe: ... and fetches nothing"; fi
mkdir -p "$T/c/ipxe-src/tree/src/net/udp"
touch "$T/c/ipxe-src/tree/src/net/udp/dhcp.c"
echo ipxe_test.dsc >"$T/c/ipxe-src/.complete"
out=$(CHAINBOOT_CACHE=$T/c "$F" --source --if-missing 2>&1)
rc=$?
check "fetch-ipxe: --source --if-missing with an unpacked tree: exit 0, nothing printed (exit $rc: $out)" \
	test "$rc" = 0 -a -z "$out"
finish
