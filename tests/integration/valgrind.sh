#!/bin/bash
# valgrind: chainbootd starts, drops privileges, answers one proxyDHCP DISCOVER, one
# TFTP read, HTTP requests (a script, a file, the menu, a 404), reloads its inventory on
# SIGHUP and stops on SIGTERM under valgrind's memcheck: exit 0, no memory error, no
# definite or indirect leak. Needs a build without sanitizers (valgrind and ASan exclude
# each other): $CHAINBOOT_PLAIN_BUILD (make check sets it), else $CHAINBOOT_BUILD when
# that one is plain; skipped otherwise. Network namespaces this test creates,
# 198.51.100.0/24 only.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "skip valgrind (not root: network namespaces and port 67 need root)"
	exit 0
fi
command -v valgrind >/dev/null || { echo "skip valgrind (valgrind not installed: scripts/deps.sh)"; exit 0; }
id nobody >/dev/null 2>&1 || { echo "skip valgrind (no user nobody to drop to)"; exit 0; }
plain() { [ -x "$1/chainbootd" ] && ! grep -q __asan_init "$1/chainbootd"; }
B=
for b in "${CHAINBOOT_PLAIN_BUILD:-}" "${CHAINBOOT_BUILD:-}"; do
	[ -n "$b" ] && plain "$b" && { B=$b; break; }
done
if [ -z "$B" ]; then
	echo "skip valgrind (no chainbootd without sanitizers: set CHAINBOOT_PLAIN_BUILD, as make check does)"
	exit 0
fi
DAEMON=$B/chainbootd
# the clients may come from the sanitized build: they are not under test here
TOOLS=${CHAINBOOT_BUILD:-$B}/tests/tools
[ -x "$TOOLS/dhcpclient" ] || TOOLS=$B/tests/tools
for f in dhcpclient tftpclient httpclient; do
	[ -x "$TOOLS/$f" ] || { notok "valgrind: $TOOLS/$f is built (make tests)"; exit 1; }
done

NS_S=cbvg-s-$$ NS_C=cbvg-c-$$
SRV=198.51.100.1
DPID=
ns_pair "$NS_S" "$NS_C" $SRV 198.51.100.2 || { notok "valgrind: create network namespaces"; exit 1; }
at_exit '[ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null' # before the namespaces go
in_c() { ip netns exec "$NS_C" "$@"; }

chmod 711 "$T"
R=$T/root
mkdir -p "$R"
head -c 100000 /dev/urandom >"$R/file.bin"
cat >"$T/inventory.ini" <<'EOF'
[profile p]
script = #!ipxe
    echo hello {{mac}}
[machine m]
mac = 52:54:00:00:00:01
profile = p
EOF
chmod -R a+rX "$R" "$T/inventory.ini"

LOG=$T/daemon.log
VLOG=$T/valgrind.log
# nsenter execs valgrind, which runs the daemon in the same process: $DPID gets the signals
CHAINBOOT_DATADIR=$CHAINBOOT_SRCDIR nsenter --net="/run/netns/$NS_S" -- valgrind --quiet --vgdb=no --error-exitcode=99 \
	--leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
	--track-fds=no --log-file="$VLOG" "$DAEMON" --listen $SRV --interface cbs0 --boot-root "$R" \
	--inventory "$T/inventory.ini" --http-port 8080 --user nobody >"$LOG" 2>&1 &
DPID=$!
if ! wait_started "$LOG" "$DPID" 60; then
	notok "valgrind: chainbootd starts under valgrind"
	tail -20 "$LOG" "$VLOG" | sed 's/^/#   /'
	exit 1
fi
ok "valgrind: chainbootd starts under valgrind"
check_match "valgrind: privileges dropped to nobody under valgrind" "^Uid:[[:space:]]+65534[[:space:]]+65534" \
	"$(cat /proc/"$DPID"/status)"

out=$(in_c "$TOOLS/dhcpclient" --iface cbc0 --wait 5000 --count 1 --arch 0 2>&1)
check_match "valgrind: a proxyDHCP OFFER" 'type=OFFER .*file="undionly\.kpxe"' "$out"
# Files from memory (the boot files chainbootd prepared at start): valgrind 3.19 has no
# openat2, and the boot root is opened only with it (ENOSYS is refused, not worked around).
out=$(in_c "$TOOLS/tftpclient" --wait 5000 -b 1468 -t -o "$T/tftp.out" $SRV undionly.kpxe 2>&1)
check_match "valgrind: a TFTP read" '^result=ok bytes=[1-9][0-9]{4,} ' "$out"
check_match "valgrind: TFTP bytes as announced" "tsize=$(stat -c %s "$T/tftp.out") " "$out"
out=$(in_c "$TOOLS/httpclient" --wait 10000 -o "$T/http" $SRV 8080 "/boot.ipxe?mac=52:54:00:00:00:01" \
	/autoexec.ipxe "/boot.ipxe?mac=52:54:00:00:00:02" /file.bin 2>&1)
check_match "valgrind: a script, a file, the menu and a 404 on one connection" 'result=ok responses=4' "$out"
check_match "valgrind: the machine's script" '^echo hello 52:54:00:00:00:01$' "$(cat "$T/http.1" 2>/dev/null)"
check_match "valgrind: the chain script" '^#!ipxe' "$(head -1 "$T/http.2" 2>/dev/null)"
check_match "valgrind: the menu for an unknown machine" '^menu ' "$(cat "$T/http.3" 2>/dev/null)"
kill -HUP "$DPID"
for _ in $(seq 1 100); do grep -q 'event=reload .*status=ok' "$LOG" && break; sleep 0.1; done
check_match "valgrind: SIGHUP reload" 'event=reload .*status=ok' "$(cat "$LOG")"

kill -TERM "$DPID"
rc=
for _ in $(seq 1 300); do
	if ! kill -0 "$DPID" 2>/dev/null; then wait "$DPID"; rc=$?; break; fi
	sleep 0.1
done
DPID=
if [ "$rc" = 0 ]; then ok "valgrind: SIGTERM: exit 0, no memory error or leak"; else
	notok "valgrind: SIGTERM: exit 0, no memory error or leak (status ${rc:-still running}; 99 = valgrind found errors)"
	head -60 "$VLOG" | sed 's/^/#   /'
fi
check "valgrind: no report in the valgrind log" test -z "$(grep "^==" "$VLOG")"
check_match "valgrind: stop line logged" 'event=stop signal=TERM' "$(cat "$LOG")"
finish
