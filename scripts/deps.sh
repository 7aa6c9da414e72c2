#!/bin/bash
# deps.sh: install what chainboot needs (Debian packages) and fetch the next Debian
# release's iPXE (and Debian's arm64 shim for Secure Boot) into a cache, without
# changing the system's apt configuration.
# Idempotent and quick when everything is there. Run as root (make image / make check call it).
#
#   scripts/deps.sh            packages + iPXE cache
#   scripts/deps.sh --print-ipxe-dir   print where the iPXE binaries are cached
#   scripts/deps.sh --print-shim-arm64-dir   and where the arm64 shim is
set -euo pipefail

IPXE_SUITE=${CHAINBOOT_IPXE_SUITE:-trixie}
if [ "$(id -u)" = 0 ]; then
	CACHE=${CHAINBOOT_CACHE:-/var/cache/chainboot}
else
	CACHE=${CHAINBOOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/chainboot}
fi
IPXE_DIR=$CACHE/ipxe/usr/lib/ipxe
SHIM_ARM64_DIR=$CACHE/shim-arm64/usr/lib/shim

if [ "${1:-}" = --print-ipxe-dir ]; then
	echo "$IPXE_DIR"
	exit 0
fi
if [ "${1:-}" = --print-shim-arm64-dir ]; then
	echo "$SHIM_ARM64_DIR"
	exit 0
fi

say() { printf 'deps: %s\n' "$*" >&2; }
die() { printf 'deps: error: %s\n' "$*" >&2; exit 1; }

# Build, image and test dependencies. dnsmasq-base: the binary only (tests' site DHCP),
# without the system service that the dnsmasq package would start.
PKGS=(build-essential pkg-config bear clang
      libblkid-dev liblzma-dev libinih-dev libjansson-dev libmd-dev
      xorriso mtools isolinux syslinux-common syslinux
      qemu-system-x86 qemu-system-arm ovmf qemu-efi-aarch64 dnsmasq-base
      iproute2 python3 ca-certificates
      sbsigntool openssl shim-signed shim-helpers-amd64-signed)

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

# Another release's or architecture's packages are fetched with a private apt state (own
# sources list, lists, cache; empty dpkg status), naming the mirror the system already
# uses, so the system's apt setup is untouched.
find_mirror() {
	local f m=""
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# deb822: the first URIs of a stanza that carries Debian's main archive suites.
		m=$(awk 'BEGIN{RS=""} /Suites:[^\n]*(bookworm|trixie|stable)([ \n]|$)/ && !/security/ {
			if (match($0, /URIs:[ \t]*[^ \t\n]+/)) { s=substr($0,RSTART,RLENGTH); sub(/URIs:[ \t]*/,"",s); print s; exit } }' "$f")
		[ -n "$m" ] && break
	done
	if [ -z "$m" ]; then
		m=$(grep -hE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			grep -v security | sed -E 's/\[[^]]*\]//' | awk '{print $2; exit}')
	fi
	printf '%s' "$m"
}

# private_apt SUITE ARCH: a private apt state in $work for SUITE (packages of ARCH);
# sets aptopts.
private_apt() {
	local suite=$1 arch=$2 mirror keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	mirror=$(find_mirror)
	[ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list{,.d}; pass --ipxe-dir DIR to chainboot with iPXE binaries ($IPXE_SUITE's ipxe package) instead"
	[ -f "$keyring" ] || die "$keyring missing: apt-get install debian-archive-keyring"
	work=$(mktemp -d "${TMPDIR:-/tmp}/chainboot-deps.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/etc/preferences.d"
	echo "deb [arch=$arch signed-by=$keyring] $mirror $suite main" > "$work/sources.list"
	aptopts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
		 -o "Dir::Etc::Preferences=$work/etc/preferences" -o "Dir::Etc::PreferencesParts=$work/etc/preferences.d"
		 -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Dir::State::Status=/dev/null
		 -o APT::Sandbox::User=root -o Acquire::Languages=none
		 -o "APT::Architecture=$arch" -o "APT::Architectures=$arch")
	say "fetching from $mirror $suite ($arch; private apt state, system untouched)"
	apt-get "${aptopts[@]}" -qq update || die "apt-get update for $suite ($arch) failed (see above)"
}

# The iPXE binaries: Debian 12's package is a 2019 build without UEFI autoexec.ipxe and
# without arm64; the next release's has both.
fetch_ipxe() {
	if [ -f "$IPXE_DIR/ipxe.lkrn" ] && [ -f "$IPXE_DIR/ipxe-arm64.efi" ] && [ -f "$CACHE/ipxe/.complete" ]; then
		return 0
	fi
	private_apt "$IPXE_SUITE" "$(dpkg --print-architecture)"
	(cd "$work" && apt-get "${aptopts[@]}" -qq download "ipxe/$IPXE_SUITE") || die "download of ipxe/$IPXE_SUITE failed"
	deb=$(ls "$work"/ipxe_*.deb)
	rm -rf "$CACHE/ipxe.new"
	mkdir -p "$CACHE"
	dpkg-deb -x "$deb" "$CACHE/ipxe.new"
	basename "$deb" > "$CACHE/ipxe.new/.complete"
	[ -f "$CACHE/ipxe.new/usr/lib/ipxe/ipxe-arm64.efi" ] || die "$(basename "$deb") has no ipxe-arm64.efi"
	rm -rf "$CACHE/ipxe"
	mv "$CACHE/ipxe.new" "$CACHE/ipxe"
	rm -rf "$work"
	say "iPXE binaries in $IPXE_DIR ($(cat "$CACHE/ipxe/.complete"))"
}

# Secure Boot shim mode on arm64: Debian 12's Microsoft-signed arm64 shim and MokManager
# (packages shim-signed and shim-helpers-arm64-signed of arch arm64), unpacked into
# $CACHE/shim-arm64 (chainboot finds them there). A failure is a warning: arm64 then
# gets db-mode signing only, and the build says so.
fetch_shim_arm64() {
	[ -f "$SHIM_ARM64_DIR/shimaa64.efi.signed" ] && [ -f "$SHIM_ARM64_DIR/mmaa64.efi.signed" ] && return 0
	private_apt bookworm arm64
	if ! (cd "$work" && apt-get "${aptopts[@]}" -qq download shim-signed:arm64 shim-helpers-arm64-signed:arm64); then
		say "warning: the arm64 shim could not be fetched: arm64 Secure Boot images are db-mode only"
		return 0
	fi
	rm -rf "$CACHE/shim-arm64.new"
	mkdir -p "$CACHE/shim-arm64.new"
	for deb in "$work"/shim*_arm64.deb; do dpkg-deb -x "$deb" "$CACHE/shim-arm64.new"; done
	rm -rf "$CACHE/shim-arm64"
	mv "$CACHE/shim-arm64.new" "$CACHE/shim-arm64"
	rm -rf "$work"
	say "arm64 shim in $SHIM_ARM64_DIR"
}

fetch_ipxe
fetch_shim_arm64
