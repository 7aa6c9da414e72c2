#!/bin/bash
# install: `make install` and `make uninstall` with DESTDIR and PREFIX (what the packages
# use): every file lands under DESTDIR/PREFIX (the unit under UNITDIR, the configuration
# under SYSCONFDIR) and nowhere else, the unit names the installed paths, the installed
# chainboot runs from there, a changed configuration file survives a second install and
# the uninstall, and the uninstall leaves no other file behind.
. "$(dirname "$0")/lib.sh"

BUILD=${CHAINBOOT_BUILD:-build}
for f in "$BUILD/chainboot" "$BUILD/chainbootd"; do
	[ -x "$f" ] || { notok "install: $f built"; exit 1; }
done
D=$T/dest
# -o all: install what is built, never rebuild it here
mk() { make -s -o all BUILD="$BUILD" DESTDIR="$D" PREFIX=/opt/cb "$@"; }
check "install: make install DESTDIR=… PREFIX=/opt/cb" mk install
files=$(cd "$D" && find . -type f -o -type l | sort)
outside=$(grep -vE '^\./opt/cb/' <<<"$files")
check "install: every file under DESTDIR/PREFIX${outside:+ (not: $outside)}" test -z "$outside"
for f in bin/chainboot sbin/chainbootd sbin/chainboot-fetch-ipxe share/chainboot/layouts/hybrid.layout \
	share/chainboot/scripts/chain.ipxe.in share/chainboot/examples/site.ini \
	share/man/man1/chainboot.1 share/man/man8/chainbootd.8 share/man/man5/chainboot.ini.5 \
	share/man/man5/chainboot-inventory.5 share/man/man8/chainboot-fetch-ipxe.8 \
	share/bash-completion/completions/chainboot share/bash-completion/completions/chainbootd \
	lib/systemd/system/chainbootd.service etc/chainboot/site.ini etc/chainboot/inventory.ini; do
	check_match "install: $f" "^\./opt/cb/$f$" "$files"
done
check_match "install: the unit names PREFIX's chainbootd and site file (without DESTDIR)" \
	'^ExecStart=/opt/cb/sbin/chainbootd -c /opt/cb/etc/chainboot/site\.ini$' \
	"$(cat "$D/opt/cb/lib/systemd/system/chainbootd.service")"
check "install: the programs are executable" test -x "$D/opt/cb/bin/chainboot" -a -x "$D/opt/cb/sbin/chainbootd"
(
	unset CHAINBOOT_DATADIR
	check "install: the installed chainboot finds its data beside it and prints a script" \
		"$D/opt/cb/bin/chainboot" script --url http://198.51.100.2/boot.ipxe
)

# a second install keeps a changed configuration file
echo "; mine" >>"$D/opt/cb/etc/chainboot/site.ini"
check "install: a second install" mk install
check "install: it kept the changed site.ini" grep -qx '; mine' "$D/opt/cb/etc/chainboot/site.ini"

out=$(mk uninstall 2>&1)
check_match "install: make uninstall says it kept the changed site.ini" 'kept .*/opt/cb/etc/chainboot/site\.ini' "$out"
left=$(cd "$D" && find . -type f -o -type l | sort)
check_match "install: after uninstall only the changed site.ini is left" '^\./opt/cb/etc/chainboot/site\.ini$' "$left"
rm -f "$D/opt/cb/etc/chainboot/site.ini"
check "install: uninstall again with nothing there" mk uninstall

# SYSCONFDIR, UNITDIR, BINDIR apart from PREFIX
D=$T/dest2
check "install: SYSCONFDIR=/etc UNITDIR=/lib/systemd/system PREFIX=/usr (the packages' layout)" \
	make -s -o all BUILD="$BUILD" DESTDIR="$D" PREFIX=/usr SYSCONFDIR=/etc UNITDIR=/lib/systemd/system install
check "install: the unit in UNITDIR, the configuration in SYSCONFDIR" \
	test -f "$D/lib/systemd/system/chainbootd.service" -a -f "$D/etc/chainboot/site.ini"
check_match "install: the unit names /usr/sbin and /etc" '^ExecStartPre=/usr/sbin/chainbootd --check -c /etc/chainboot/site\.ini$' \
	"$(cat "$D/lib/systemd/system/chainbootd.service")"
check "install: uninstall" make -s -o all BUILD="$BUILD" DESTDIR="$D" PREFIX=/usr SYSCONFDIR=/etc UNITDIR=/lib/systemd/system uninstall
check "install: nothing left" test -z "$(cd "$D" && find . -type f -o -type l)"
finish
