#!/bin/bash
# deps.sh: install what chainboot needs (Debian packages) and fetch the next Debian
# release's iPXE into a cache, without changing the system's apt configuration.
# Idempotent and quick when everything is there. Run as root (make image / make check call it).
#
#   scripts/deps.sh            packages + iPXE cache
#   scripts/deps.sh --print-ipxe-dir   print where the iPXE binaries are cached
set -euo pipefail

IPXE_SUITE=${CHAINBOOT_IPXE_SUITE:-trixie}
if [ "$(id -u)" = 0 ]; then
	CACHE=${CHAINBOOT_CACHE:-/var/cache/chainboot}
else
	CACHE=${CHAINBOOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/chainboot}
fi
IPXE_DIR=$CACHE/ipxe/usr/lib/ipxe

if [ "${1:-}" = --print-ipxe-dir ]; then
	echo "$IPXE_DIR"
	exit 0
fi

say() { printf 'deps: %s\n' "$*" >&2; }
die() { printf 'deps: error: %s\n' "$*" >&2; exit 1; }

# Build, image and test dependencies. dnsmasq-base: the binary only (tests' site DHCP),
# without the system service that the dnsmasq package would start. clang-format,
# clang-tidy and cppcheck: make lint; valgrind: the valgrind test; bear: make
# compile_commands.json.
PKGS=(build-essential pkg-config bear clang clang-format clang-tidy cppcheck valgrind
      libblkid-dev liblzma-dev libinih-dev libjansson-dev libmd-dev
      xorriso mtools isolinux syslinux-common syslinux
      qemu-system-x86 qemu-system-arm ovmf qemu-efi-aarch64 dnsmasq-base
      iproute2 python3 ca-certificates)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} — run this script as root, or: apt-get install ${missing[*]}"
	say "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The iPXE binaries: Debian 12's package is a 2019 build without UEFI autoexec.ipxe and
# without arm64; the next release's has both. Fetch that one .deb with a private apt
# state (own sources list, lists, cache; empty dpkg status) so the system's apt setup
# is untouched, naming the mirror the system already uses.
if [ -f "$IPXE_DIR/ipxe.lkrn" ] && [ -f "$IPXE_DIR/ipxe-arm64.efi" ] && [ -f "$CACHE/ipxe/.complete" ]; then
	exit 0
fi

mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	# deb822: the first URIs of a stanza that carries Debian's main archive suites.
	mirror=$(awk 'BEGIN{RS=""} /Suites:[^\n]*(bookworm|trixie|stable)([ \n]|$)/ && !/security/ {
		if (match($0, /URIs:[ \t]*[^ \t\n]+/)) { s=substr($0,RSTART,RLENGTH); sub(/URIs:[ \t]*/,"",s); print s; exit } }' "$f")
	[ -n "$mirror" ] && break
done
if [ -z "$mirror" ]; then
	mirror=$(grep -hE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		grep -v security | sed -E 's/\[[^]]*\]//' | awk '{print $2; exit}')
fi
[ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list{,.d}; pass --ipxe-dir DIR to chainboot with iPXE binaries ($IPXE_SUITE's ipxe package) instead"

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || die "$keyring missing: apt-get install debian-archive-keyring"

work=$(mktemp -d "${TMPDIR:-/tmp}/chainboot-deps.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/etc/preferences.d"
echo "deb [signed-by=$keyring] $mirror $IPXE_SUITE main" > "$work/sources.list"
aptopts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
	 -o "Dir::Etc::Preferences=$work/etc/preferences" -o "Dir::Etc::PreferencesParts=$work/etc/preferences.d"
	 -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Dir::State::Status=/dev/null
	 -o APT::Sandbox::User=root -o Acquire::Languages=none)
say "fetching the $IPXE_SUITE ipxe package from $mirror (private apt state, system untouched)"
apt-get "${aptopts[@]}" -qq update || die "apt-get update for $IPXE_SUITE failed (see above)"
(cd "$work" && apt-get "${aptopts[@]}" -qq download "ipxe/$IPXE_SUITE") || die "download of ipxe/$IPXE_SUITE failed"
deb=$(ls "$work"/ipxe_*.deb)
rm -rf "$CACHE/ipxe.new"
mkdir -p "$CACHE"
dpkg-deb -x "$deb" "$CACHE/ipxe.new"
basename "$deb" > "$CACHE/ipxe.new/.complete"
[ -f "$CACHE/ipxe.new/usr/lib/ipxe/ipxe-arm64.efi" ] || die "$(basename "$deb") has no ipxe-arm64.efi"
rm -rf "$CACHE/ipxe"
mv "$CACHE/ipxe.new" "$CACHE/ipxe"
say "iPXE binaries in $IPXE_DIR ($(cat "$CACHE/ipxe/.complete"))"
