#!/bin/bash
# deb: the Debian packages from a clean copy of the tree (the files git tracks or would
# track, without build output): `make deb` builds chainboot and chainbootd, lintian
# finds no error or warning, `dpkg -c` lists the unit, the man pages, the completion and
# the conffiles, the service's Exec lines name programs the packages install, no
# maintainer script fetches anything, and the programs unpacked into a scratch root
# (dpkg-deb -x) run from there: --version, a build, an inspect, chainbootd --check.
. "$(dirname "$0")/lib.sh"

for t in dpkg-buildpackage lintian dpkg-deb git; do
	command -v "$t" >/dev/null || { echo "skip deb: $t not installed"; exit 0; }
done
git -C "$CHAINBOOT_SRCDIR" rev-parse --git-dir >/dev/null 2>&1 || { echo "skip deb: not a git checkout"; exit 0; }

S=$T/src
mkdir -p "$S"
# What git knows and does not ignore, as it is in the work tree (so uncommitted work is
# tested too); nothing built, nothing ignored.
(cd "$CHAINBOOT_SRCDIR" && git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	tar -c --null -T - -f -) | tar -x -C "$S" ||
	{ notok "deb: a clean copy of the tree (git ls-files)"; exit 1; }
# CFLAGS from the environment would change the package build; the build log is kept.
if ! (cd "$S" && env -u CFLAGS -u LDFLAGS nice make -s -o deps deb BUILD="$T/b") >"$T/build.log" 2>&1; then
	notok "deb: make deb builds the packages"
	tail -30 "$T/build.log" | sed 's/^/#   /'
	exit 1
fi
D=$T/b/deb
ver=$(dpkg-parsechangelog -l "$S/debian/changelog" -S Version)
CB=$D/chainboot_${ver}_$(dpkg --print-architecture).deb
CBD=$D/chainbootd_${ver}_$(dpkg --print-architecture).deb
check "deb: make deb built chainboot and chainbootd $ver" test -f "$CB" -a -f "$CBD"
check "deb: the package build ran no test suite (dh_auto_test overridden)" \
	bash -c "! grep -qE 'tests/run|make.* check' '$T/build.log'"

lintian --fail-on error,warning "$D"/*.changes >"$T/lintian.out" 2>&1
rc=$?
out=$(grep -v '^running with root privileges' "$T/lintian.out")
if [ "$rc" = 0 ] && ! grep -qE '^[EW]: ' <<<"$out"; then
	ok "deb: lintian: no error, no warning"
else
	notok "deb: lintian: no error, no warning (exit $rc)"
	printf '%s\n' "$out" | grep -E '^[EW]: ' | head -20 | sed 's/^/#   /'
fi

list_cb=$(dpkg -c "$CB") list_cbd=$(dpkg -c "$CBD")
for f in ./usr/bin/chainboot ./usr/sbin/chainboot-fetch-ipxe ./usr/share/man/man1/chainboot.1.gz \
	./usr/share/man/man5/chainboot.ini.5.gz ./usr/share/man/man8/chainboot-fetch-ipxe.8.gz \
	./usr/share/bash-completion/completions/chainboot ./usr/share/chainboot/layouts/hybrid.layout \
	./usr/share/chainboot/scripts/chain.ipxe.in ./var/cache/chainboot/; do
	check_match "deb: chainboot holds $f" " $f( |$)" "$list_cb"
done
for f in ./usr/sbin/chainbootd ./lib/systemd/system/chainbootd.service \
	./usr/share/man/man8/chainbootd.8.gz ./usr/share/man/man5/chainboot-inventory.5.gz \
	./usr/share/bash-completion/completions/chainbootd ./etc/chainboot/site.ini \
	./etc/chainboot/inventory.ini ./var/lib/chainboot/; do
	check_match "deb: chainbootd holds $f" " $f( |$)" "$list_cbd"
done
C=$T/ctl
dpkg-deb -e "$CBD" "$C"
check_match "deb: /etc/chainboot/site.ini and inventory.ini are conffiles" \
	'^/etc/chainboot/inventory\.ini /etc/chainboot/site\.ini $' "$(sort "$C/conffiles" | tr '\n' ' ')"
check_match "deb: chainbootd depends on the same chainboot and on its libraries (shlibs)" \
	"libc6 .*libjansson4.*libsystemd0.*chainboot \\(= $ver\\)" "$(dpkg -f "$CBD" Depends)"
check_match "deb: chainboot depends on its libraries and the image tools" \
	'libblkid1.*liblzma5.*mtools.*xorriso.*isolinux' "$(dpkg -f "$CB" Depends)"
check_match "deb: chainboot recommends what the fetch needs" 'debian-archive-keyring' "$(dpkg -f "$CB" Recommends)"
dpkg-deb -e "$CB" "$T/ctl-cb"
if grep -lE 'fetch-ipxe|apt-get|wget|curl' "$C"/p* "$T"/ctl-cb/p* 2>/dev/null; then
	notok "deb: no maintainer script fetches anything"
else
	ok "deb: no maintainer script fetches anything"
fi

R=$T/root
chmod 711 "$T" # the daemon's user (nobody) reads the shipped inventory for --check
dpkg-deb -x "$CB" "$R" && dpkg-deb -x "$CBD" "$R"
U=$R/lib/systemd/system/chainbootd.service
bad=
while read -r prog; do
	case $prog in
	/bin/kill) ;;
	*) grep -qE " \.$prog$" <<<"$list_cb$list_cbd" || bad="$bad $prog" ;;
	esac
done < <(sed -nE 's/^Exec[A-Za-z]*=[-+@!:]*([^ ]+).*/\1/p' "$U")
check "deb: every Exec line of chainbootd.service names a program the packages install${bad:+ (not:$bad)}" \
	test -z "$bad"
check_match "deb: the unit reads the conffile" '^ExecStart=/usr/sbin/chainbootd -c /etc/chainboot/site\.ini$' "$(cat "$U")"
if command -v systemd-analyze >/dev/null; then
	lvl=$(systemd-analyze security --offline=yes "$U" 2>&1 | sed -nE 's/.*Overall exposure level for chainbootd\.service: ([0-9.]+) .*/\1/p')
	check "deb: the packaged unit's exposure (${lvl:-?}) is at most 3.0" awk -v l="${lvl:-99}" 'BEGIN { exit !(l <= 3.0) }'
fi

# The unpacked programs, with nothing from the source tree: layouts and scripts come
# from $R/usr/share/chainboot, found beside the program.
unset CHAINBOOT_DATADIR
check_match "deb: the installed chainboot --version is the package's" "^chainboot ${ver%%-*}$" \
	"$("$R/usr/bin/chainboot" --version 2>&1)"
check "deb: the installed chainboot builds an image" \
	"$R/usr/bin/chainboot" build --url http://198.51.100.2/boot.ipxe -o "$T/x.iso"
check_match "deb: the image carries the URL" 'http://198\.51\.100\.2/boot\.ipxe' \
	"$("$R/usr/bin/chainboot" inspect "$T/x.iso" 2>&1)"
# The shipped site.ini says listen = auto: on a host with one IPv4 address (a namespace
# with one veth address here) it checks OK as it is; with none it says what to set.
NSD=cbdeb$$
if ip netns add "$NSD" 2>/dev/null; then
	at_exit "ip netns del $NSD 2>/dev/null"
	check_fails "deb: the shipped site.ini on a host without an address says what to set" \
		'listen = auto: no IPv4 address on any interface: set listen' \
		ip netns exec "$NSD" "$R/usr/sbin/chainbootd" --check -c "$R/etc/chainboot/site.ini" --user nobody
	ip -n "$NSD" link add d0 type veth peer name d1 &&
		ip -n "$NSD" addr add 198.51.100.7/24 dev d0 &&
		ip -n "$NSD" link set d0 up && ip -n "$NSD" link set d1 up
	check_match "deb: the shipped site.ini (listen = auto) checks OK on a host with one address" \
		'^configuration OK' "$(ip netns exec "$NSD" "$R/usr/sbin/chainbootd" --check \
			-c "$R/etc/chainboot/site.ini" --user nobody 2>&1)"
else
	echo "skip deb: listen = auto checks (no network namespaces)"
fi
check_match "deb: with listen given, the shipped site.ini and inventory.ini check OK" \
	'^configuration OK' "$("$R/usr/sbin/chainbootd" --check -c "$R/etc/chainboot/site.ini" \
		--listen 127.0.0.1 --user nobody 2>&1)"
check_match "deb: the shipped site.ini names the package's user" '^user = _chainboot$' "$(cat "$R/etc/chainboot/site.ini")"
check "deb: the installed chainboot-fetch-ipxe runs (--print-dir)" "$R/usr/sbin/chainboot-fetch-ipxe" --print-dir
finish
