#!/bin/bash
# service: chainbootd.service as `make install` writes it (into a prefix of this test):
# `systemd-analyze verify` accepts it (and its man pages), `systemd-analyze security
# --offline=yes` rates it at most 3.0 ("OK"), it is Type=notify with the config check
# before start, reload by SIGHUP and restart on failure, every Exec line names a
# program the install put there, and its capability set is what chainbootd needs: enough
# to start, and none of it spare.
. "$(dirname "$0")/lib.sh"

BUILD=${CHAINBOOT_BUILD:-build}
command -v systemd-analyze >/dev/null || { echo "skip service: systemd-analyze not installed"; exit 0; }
for f in "$BUILD/chainboot" "$BUILD/chainbootd"; do
	[ -x "$f" ] || { notok "service: $f built"; exit 1; }
done
P=$T/inst
chmod 711 "$T" # the daemon's user (nobody) reads the installed inventory for --check
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
	"$P/usr/sbin/chainbootd" -c "$P/etc/chainboot/site.ini" --listen 127.0.0.1 --user nobody --check

# The capabilities the unit keeps are enough for chainbootd, and each one is needed:
# the daemon started as root with exactly that bounding set (and no_new_privs) in a
# network namespace of this test starts; with any one of them left out it refuses.
caps=$(sed -nE 's/^CapabilityBoundingSet=(.*)$/\1/p' "$U")
DAEMON=$BUILD/chainbootd
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null || ! command -v nsenter >/dev/null ||
	! id nobody >/dev/null 2>&1; then
	echo "skip service: the capability set against the daemon (needs root, setpriv, nsenter, user nobody)"
	finish
	exit
fi
ns_lo svc || { notok "service: network namespace"; finish; exit 1; }
# run_caps LOG CAP...: chainbootd with only these capabilities; its PID in $DPID
run_caps() {
	local log=$1 set=-all c
	shift
	for c in "$@"; do set="$set,+$(tr 'A-Z' 'a-z' <<<"${c#CAP_}")"; done
	CHAINBOOT_DATADIR=$CHAINBOOT_SRCDIR nsenter --net="/run/netns/$NS" -- \
		setpriv --bounding-set="$set" --no-new-privs -- "$DAEMON" --listen 127.0.0.1 \
		--user nobody --boot-root "$T/none" >"$log" 2>&1 &
	DPID=$!
}
# shellcheck disable=SC2086  # the unit's list, split into words
run_caps "$T/all.log" $caps
if wait_started "$T/all.log" "$DPID" 30; then
	ok "service: chainbootd runs with only the unit's capabilities ($caps)"
	stop_clean "service: with the unit's capabilities" "$DPID" "$T/all.log"
else
	notok "service: chainbootd runs with only the unit's capabilities ($caps)"
	tail -5 "$T/all.log" | sed 's/^/#   /'
	kill -TERM "$DPID" 2>/dev/null
fi
for c in $caps; do
	# shellcheck disable=SC2046  # the unit's list less one, split into words
	run_caps "$T/$c.log" $(tr ' ' '\n' <<<"$caps" | grep -vx "$c")
	for _ in $(seq 1 150); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$DPID" 2>/dev/null; then
		notok "service: without $c chainbootd cannot start (it still runs: the unit keeps one too many)"
		kill -TERM "$DPID"; wait "$DPID"
	else
		wait "$DPID"
		rc=$?
		if [ "$rc" != 0 ] && ! grep -q 'event=start' "$T/$c.log"; then
			ok "service: without $c chainbootd cannot start ($(tail -1 "$T/$c.log" | cut -c1-90))"
		else
			notok "service: without $c chainbootd cannot start (exit $rc)"
		fi
	fi
done
finish
