#!/bin/bash
# bench-deps.sh: install what `make bench` needs — load tools and charting from Debian
# packages, and the anchor servers (nginx, lighttpd, tftpd-hpa, atftpd) as extracted
# binaries only, so no service is started or enabled on this machine.
# Idempotent and quick when everything is there. Run as root (make bench calls it).
#
#   scripts/bench-deps.sh                  install
#   scripts/bench-deps.sh --print-anchor-dir   print where the anchor binaries are
#
# Layout of the anchor directory (default /var/cache/chainboot/bench/root):
#   PKG/…          each package's files as dpkg-deb -x left them (PKG = nginx, lighttpd, …)
#   bin/nginx bin/lighttpd bin/tftpd-hpa bin/atftpd   the daemons
#   bin/dnsmasq    /usr/sbin/dnsmasq (dnsmasq-base, installed by scripts/deps.sh)
#   lib/lighttpd   lighttpd's modules (server.modules-path)
set -euo pipefail

if [ "$(id -u)" = 0 ]; then
	ANCHOR=${BENCH_ANCHOR:-/var/cache/chainboot/bench/root}
else
	ANCHOR=${BENCH_ANCHOR:-${XDG_CACHE_HOME:-$HOME/.cache}/chainboot/bench/root}
fi
if [ "${1:-}" = --print-anchor-dir ]; then
	echo "$ANCHOR"
	exit 0
fi

say() { printf 'bench-deps: %s\n' "$*" >&2; }
die() { printf 'bench-deps: error: %s\n' "$*" >&2; exit 1; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
available() { apt-cache show "$1" >/dev/null 2>&1; }
apt_install() {
	[ "$(id -u)" = 0 ] || die "missing packages: $* — run this script as root, or: apt-get install $*"
	say "installing: $*"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "$@" >/dev/null || die "apt-get install $* failed"
	fi
}

# Tools that start no service: HTTP load (wrk), charts, and what the image-build case
# compares with (grub-mkrescue with BIOS and x86_64 UEFI modules; arm64 modules where the
# archive has them, i.e. on arm64 hosts).
PKGS=(wrk gnuplot-nox grub-common grub-pc-bin grub-efi-amd64-bin mtools xorriso
      dnsmasq-base iproute2 python3 time)
missing=()
for p in "${PKGS[@]}"; do installed "$p" || missing+=("$p"); done
if ! installed grub-efi-arm64-bin && available grub-efi-arm64-bin &&
   [ "$(dpkg --print-architecture)" = arm64 ]; then
	missing+=(grub-efi-arm64-bin)
fi
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

# The anchor daemons: package -> file inside it -> name under bin/.
DAEMONS=("nginx usr/sbin/nginx nginx"
         "lighttpd usr/sbin/lighttpd lighttpd"
         "tftpd-hpa usr/sbin/in.tftpd tftpd-hpa"
         "atftpd usr/sbin/atftpd atftpd")

# Missing shared libraries of the extracted binaries ("not found" in ldd).
missing_libs() {
	local d pkg file name
	for d in "${DAEMONS[@]}"; do
		read -r pkg file name <<<"$d"
		[ -x "$ANCHOR/bin/$name" ] || { echo "$name:absent"; continue; }
		ldd "$ANCHOR/bin/$name" 2>/dev/null | awk -v n="$name" '/not found/ {print n ":" $1}'
	done
}

stamp=$ANCHOR/.complete
if [ -f "$stamp" ] && [ -z "$(missing_libs)" ] && [ -x "$ANCHOR/bin/dnsmasq" ]; then
	exit 0
fi
[ "$(id -u)" = 0 ] || die "anchor servers missing in $ANCHOR — run this script as root"

work=$(mktemp -d "${TMPDIR:-/tmp}/chainboot-bench-deps.XXXXXX")
trap 'rm -rf "$work"' EXIT
# apt downloads as its sandbox user when that user may write here
chmod 755 "$work"
id _apt >/dev/null 2>&1 && chown _apt "$work"
mkdir -p "$ANCHOR/bin"
libs=()
for d in "${DAEMONS[@]}"; do
	read -r pkg file name <<<"$d"
	# Debian 12 has the nginx binary in "nginx"; older releases in "nginx-core".
	cands=("$pkg")
	[ "$pkg" = nginx ] && cands+=(nginx-core nginx-light)
	got=
	for c in "${cands[@]}"; do
		available "$c" || continue
		rm -f "$work"/*.deb
		(cd "$work" && apt-get download -qq "$c" 2>/dev/null) || { apt-get update -qq; (cd "$work" && apt-get download -qq "$c"); } ||
			die "apt-get download $c failed"
		deb=$(ls "$work"/*.deb)
		if dpkg-deb -c "$deb" | grep " \./$file\$" >/dev/null; then
			rm -rf "${ANCHOR:?}/$pkg"
			dpkg-deb -x "$deb" "$ANCHOR/$pkg"
			ln -sfn "../$pkg/$file" "$ANCHOR/bin/$name"
			got=$c
			say "$name from $(basename "$deb")"
			break
		fi
	done
	[ -n "$got" ] || die "no package among ${cands[*]} has /$file (apt-cache show ${cands[*]})"
	# Its shared libraries: the lib* packages it depends on (installing libraries starts no service).
	while read -r dep; do
		case $dep in lib*) installed "$dep" || libs+=("$dep") ;; esac
	done < <(apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
		--no-replaces --no-enhances "$got" | awk '/Depends:/ && $2 !~ /^</ {print $2}' | sort -u)
done
mkdir -p "$ANCHOR/lib"
ln -sfn ../lighttpd/usr/lib/lighttpd "$ANCHOR/lib/lighttpd"
[ -x /usr/sbin/dnsmasq ] || die "/usr/sbin/dnsmasq missing: run scripts/deps.sh (package dnsmasq-base)"
ln -sfn /usr/sbin/dnsmasq "$ANCHOR/bin/dnsmasq"
[ ${#libs[@]} -eq 0 ] || apt_install $(printf '%s\n' "${libs[@]}" | sort -u)

left=$(missing_libs)
[ -z "$left" ] || die "shared libraries still missing after install (binary:library): $left — install the package holding each"
for n in nginx lighttpd; do "$ANCHOR/bin/$n" -v >/dev/null 2>&1 || die "$ANCHOR/bin/$n does not run (-v failed)"; done
date -u +%FT%TZ >"$stamp"
say "anchor servers in $ANCHOR"
