#!/bin/bash
# service: chainbootd.service as `make install` writes it (into a prefix of this test):
# `systemd-analyze verify` accepts it (and its man pages), `systemd-analyze security
# --offline=yes` rates it at most 3.0 ("OK"), it is Type=notify with the config check
# before start, reload by SIGHUP and restart on failure, and every Exec line names a
# program the install put there.
. "$(dirname "$0")/lib.sh"

BUILD=${CHAINBOOT_BUILD:-build}
command -v systemd-analyze >/dev/null || { echo "skip service: systemd-analyze not installed"; exit 0; }
for f in "$BUILD/chainboot" "$BUILD/chainbootd"; do
	[ -x "$f" ] || { notok "service: $f built"; exit 1; }
done
P=$T/inst
# -o all: install what is built, never rebuild it here (the build is the caller's)
check "service: make install into a prefix" \
	make -s -o all install BUILD="$BUILD" PREFIX="$P/usr" SYSCONFDIR="$P/etc" UNITDIR="$P/unit"
U=$P/unit/chainbootd.service
[ -f "$U" ] || { notok "service: $U installed"; exit 1; }

out=$(MANPATH=$P/usr/share/man systemd-analyze verify "$U" 2>&1)
rc=$?
if [ $rc = 0 ] && [ -z "$out" ]; then ok "service: systemd-analyze verify: no complaint"; else
	notok "service: systemd-analyze verify: no complaint (exit $rc)"
	printf '%s\n' "$out" | sed 's/^/#   /'
fi
sec=$(systemd-analyze security --offline=yes "$U" 2>&1)
level=$(sed -nE 's/.*Overall exposure level for chainbootd\.service: ([0-9.]+) .*/\1/p' <<<"$sec")
if [ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l <= 3.0) }'; then
	ok "service: systemd-analyze security --offline=yes: exposure $level <= 3.0"
else
	notok "service: systemd-analyze security --offline=yes: exposure ${level:-?} <= 3.0"
	grep '✗' <<<"$sec" | sed 's/^/#   /'
fi
check "service: security --threshold=30 passes" \
	systemd-analyze security --offline=yes --threshold=30 "$U"

unit=$(cat "$U")
check_match "service: Type=notify" '^Type=notify$' "$unit"
check_match "service: the configuration is checked before start" \
	"^ExecStartPre=$P/usr/sbin/chainbootd --check -c $P/etc/chainboot/site\.ini$" "$unit"
check_match "service: runs the installed daemon on the installed site file" \
	"^ExecStart=$P/usr/sbin/chainbootd -c $P/etc/chainboot/site\.ini$" "$unit"
check_match "service: reload is SIGHUP" '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit"
check_match "service: restart on failure" '^Restart=on-failure$' "$unit"
check_match "service: the iPXE fetch only when the cache is empty, its failure not fatal" \
	"^ExecStartPre=-$P/usr/sbin/chainboot-fetch-ipxe --if-missing$" "$unit"
check_match "service: only the cache is writable" '^CacheDirectory=chainboot$' "$unit"
if grep -qE '^(ReadWritePaths|ReadWriteDirectories)=' <<<"$unit"; then
	notok "service: no ReadWritePaths beyond the cache"
else
	ok "service: no ReadWritePaths beyond the cache"
fi
# Every program an Exec line starts is the installed one (or the system's kill).
bad=
while read -r prog; do
	case $prog in
	"$P"/*) [ -x "$prog" ] || bad="$bad $prog" ;;
	/bin/kill) ;;
	*) bad="$bad $prog" ;;
	esac
done < <(sed -nE 's/^Exec[A-Za-z]*=[-+@!:]*([^ ]+).*/\1/p' "$U")
check "service: every Exec program is installed (${bad:-all there})" test -z "$bad"
check "service: the installed chainbootd --check works with the installed files" \
	"$P/usr/sbin/chainbootd" -c "$P/etc/chainboot/site.ini" --listen 198.51.100.2 --user nobody --check
finish
