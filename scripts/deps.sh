#!/bin/bash
# deps.sh: install what chainboot needs (Debian packages) and fetch the next Debian
# release's iPXE into a cache, without changing the system's apt configuration.
# Idempotent and quick when everything is there. Run as root (make image / make check call it).
#
#   scripts/deps.sh            packages + iPXE cache
#   scripts/deps.sh --print-ipxe-dir   print where the iPXE binaries are cached
#   scripts/deps.sh --print-shim-arm64-dir   and where the arm64 shim is
#   scripts/deps.sh --print-ipxe-src-dir     and where Debian's iPXE source tree is
set -euo pipefail

# The iPXE fetch is its own command (also installed, for chainbootd.service): one copy.
FETCH=$(dirname "$0")/chainboot-fetch-ipxe
if [ "${1:-}" = --print-ipxe-dir ]; then
	exec "$FETCH" --print-dir
fi
if [ "${1:-}" = --print-shim-arm64-dir ]; then
	exec "$FETCH" --shim-arm64 --print-dir
fi
if [ "${1:-}" = --print-ipxe-src-dir ]; then
	exec "$FETCH" --source --print-dir
fi

say() { printf 'deps: %s\n' "$*" >&2; }
die() { printf 'deps: error: %s\n' "$*" >&2; exit 1; }

# Build, image, packaging (make deb, man pages, unit checks) and test dependencies.
# dnsmasq-base: the binary only (tests' site DHCP), without the system service that the
# dnsmasq package would start. clang-format, clang-tidy and cppcheck: make lint;
# valgrind: the valgrind test; bear: make compile_commands.json; prometheus (promtool)
# and chromium (headless): status.sh checks /metrics and the status page; file: its PNG.
# build-ipxe (iPXE's src/Makefile, x86_64): gcc, binutils, make (build-essential), perl
# (its util/ scripts), liblzma-dev (util/zbin), mtools, openssl (TRUST=, CERT=); Debian's
# ipxe source comes unpacked by dpkg-source (dpkg-dev). arm64 needs gcc-aarch64-linux-gnu,
# which build-ipxe names when it is missing (the tests build x86_64 only).
PKGS=(build-essential pkg-config bear clang clang-format clang-tidy cppcheck valgrind
      libblkid-dev liblzma-dev libinih-dev libjansson-dev libmd-dev
      xorriso mtools isolinux syslinux-common syslinux
      qemu-system-x86 qemu-system-arm ovmf qemu-efi-aarch64 dnsmasq-base
      libsystemd-dev iproute2 python3 ca-certificates perl
      debhelper dpkg-dev lintian mandoc man-db bash-completion systemd
      sbsigntool openssl shim-signed shim-helpers-amd64-signed prometheus chromium file)

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
# without arm64; chainboot-fetch-ipxe fetches the next release's into the cache with a
# private apt state (the system's apt setup untouched), from the mirror it already uses.
"$FETCH" --if-missing
# Secure Boot shim mode on arm64: Debian 12's Microsoft-signed arm64 shim and MokManager.
# Not having them is a warning: arm64 then gets db-mode signing only, and builds say so.
"$FETCH" --shim-arm64 --if-missing ||
	say "warning: the arm64 shim could not be fetched: arm64 Secure Boot images are db-mode only"
# The source of the same ipxe package, for chainboot build-ipxe and its tests (which skip
# without it). A mirror that serves no source packages is a warning, not a failure.
if ! "$FETCH" --source --if-missing >"${TMPDIR:-/tmp}/chainboot-deps-src.$$" 2>&1; then
	say "warning: the ipxe source package could not be fetched ($(grep -v '^chainboot-fetch-ipxe: fetching' "${TMPDIR:-/tmp}/chainboot-deps-src.$$" | tail -n 1)): the tests of building iPXE from source (build-ipxe, the trusted half of https-private-ca) skip unless IPXE_SRC names an iPXE tree"
fi
rm -f "${TMPDIR:-/tmp}/chainboot-deps-src.$$"
