#!/bin/bash
# faults: chainbootd and chainboot under faults, with nothing lost. In two network
# namespaces this test creates (server 198.51.100.1 on cbs0; clients 198.51.100.2 and
# .10-.209 on cbc0):
#   1. kill -9 of chainbootd in the middle of a TFTP and of an HTTP transfer (a rate-
#      limited link keeps them going), a restart, and the clients' retries finish with
#      the right bytes; a TFTP transfer cut by its client: the machine is "stalled after
#      tftp" in the status listener's status.json, and refused requests (not found, a
#      path outside boot_root, a write) are its steps with their outcomes;
#   2. SIGHUP with a broken inventory during a boot storm (bench/tools/bootstorm): no
#      failed boot, the refusal logged with file:line, the previous inventory serving;
#      then a good reload applies;
#   3. generators that crash, hang or print 100 MB: the menu is served and the daemon is
#      unaffected meanwhile (http.sh covers exit status, timeout and a 100 kB output);
#   4. `chainboot build` into a directory that became read-only: a clear error and the
#      previous image intact by checksum (errors.sh covers the full disk the same way);
#   5. 10,000 half-open and slow-loris TCP connections and garbage UDP to ports 67, 4011
#      and 69 (tests/tools/flood) during a boot storm: no failed boot, memory bounded.
. "$(dirname "$0")/lib.sh"

BUILD=${CHAINBOOT_BUILD:-$CHAINBOOT_SRCDIR/build}
DAEMON=${CHAINBOOTD:-$BUILD/chainbootd}
TOOLS=$BUILD/tests/tools
STORM=$BUILD/bench/bootstorm
need_root_daemon faults ip nsenter tc sha256sum cmp
for f in "$TOOLS/tftpclient" "$TOOLS/httpclient" "$TOOLS/flood" "$STORM"; do
	[ -x "$f" ] || { notok "faults: $f is built (make tests)"; exit 1; }
done
id nobody >/dev/null 2>&1 || { echo "skip faults (no user nobody to drop to)"; exit 0; }

NS_S=cbft-s-$$ NS_C=cbft-c-$$
SRV=198.51.100.1
DPID=
stop_daemon_quietly() {
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && sleep 0.5 && kill -KILL "$DPID" 2>/dev/null
}
ns_pair "$NS_S" "$NS_C" $SRV 198.51.100.2 || { notok "faults: create network namespaces"; exit 1; }
at_exit stop_daemon_quietly # runs first: the daemon ends before its namespace goes
# one address per simulated machine of the storms (chainbootd caps TFTP per address)
for i in $(seq 10 209); do echo "address add 198.51.100.$i/24 dev cbc0"; done | ip -n "$NS_C" -batch -
in_c() { ip netns exec "$NS_C" "$@"; }

# ---- what the daemon serves (it runs as nobody: everything world-readable)
chmod 711 "$T"
R=$T/root
G=$T/gen
mkdir -p "$R" "$G"
head -c $((6 * 1024 * 1024 + 333)) /dev/urandom >"$R/big.bin"
head -c 102400 /dev/urandom >"$R/storm.bin"
printf '#!/bin/sh\nkill -SEGV $$\n' >"$G/crash.sh"
printf '#!/bin/sh\nsleep 30\n' >"$G/hang.sh"
printf '#!/bin/sh\nhead -c 100000000 /dev/zero\n' >"$G/huge.sh"
chmod 755 "$G" "$G"/*.sh
INV=$T/inventory.ini
write_inventory() { # GREETING
	cat >"$INV" <<EOF
[menu]
default = p
timeout = 5
[profile p]
description = Profile P
script = #!ipxe
    echo greeting $1 for {{mac}}
[profile gen-crash]
generator = $G/crash.sh
[profile gen-hang]
generator = $G/hang.sh
timeout = 2
[profile gen-huge]
generator = $G/huge.sh
[machine first]
mac = 52:54:00:00:00:00
profile = p
[machine crash]
mac = 52:54:00:00:02:01
profile = gen-crash
[machine hang]
mac = 52:54:00:00:02:02
profile = gen-hang
[machine huge]
mac = 52:54:00:00:02:03
profile = gen-huge
EOF
	chmod 644 "$INV"
}
write_inventory one
chmod -R a+rX "$R"

# A boot with no step for 2 s is stalled (or done): the cut transfer's machine is soon.
STALL=2
printf '[server]\ntimeline_stall = %s\n' $STALL >"$T/site.ini"
N_START=0
LOG=
start_daemon() {
	N_START=$((N_START + 1))
	LOG=$T/daemon.$N_START.log
	# nsenter execs the daemon itself: $DPID is chainbootd's own PID
	CHAINBOOT_DATADIR=$CHAINBOOT_SRCDIR nsenter --net="/run/netns/$NS_S" -- "$DAEMON" -c "$T/site.ini" \
		--listen $SRV --interface cbs0 --boot-root "$R" --inventory "$INV" --http-port 8080 \
		--user nobody "$@" >"$LOG" 2>&1 &
	DPID=$!
	wait_started "$LOG" "$DPID" 10
}
stop_daemon() { # DESC: SIGTERM, exit 0, no sanitizer report
	stop_clean "faults: $1" "$DPID" "$LOG"
	DPID=
}
ms() { echo $(($(date +%s%N) / 1000000)); }
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }

if ! start_daemon; then
	notok "faults: chainbootd starts"
	sed 's/^/#   /' "$LOG" | tail -20
	exit 1
fi
ok "faults: chainbootd starts"

# ======== 1. kill -9 mid transfer, restart, the client retries
# 20 Mbit/s from the server: a 6 MiB file takes about 2.5 s, so there is a middle.
if ! tc -n "$NS_S" qdisc add dev cbs0 root tbf rate 20mbit burst 32kb latency 2s; then
	notok "faults: a 20 Mbit/s link for the kill tests (tc qdisc tbf: is sch_tbf available?)"
fi
BIG=$(size_of "$R/big.bin")

# kill_mid KIND OUTFILE CMD...: start CMD, wait until OUTFILE holds part of the file,
# kill -9 the daemon, restart it, then retry CMD (a fresh request, as firmware does)
# until it succeeds with the whole file.
kill_mid() {
	local kind=$1 out=$2 cpid part=0 tries rc=1
	shift 2
	rm -f "$out"
	in_c "$@" >"$T/$kind.try0" 2>&1 &
	cpid=$!
	for _ in $(seq 1 60); do
		part=$(size_of "$out")
		[ "$part" -gt 200000 ] && break
		sleep 0.05
	done
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	if [ "$part" -gt 0 ] && [ "$part" -lt "$BIG" ]; then ok "faults: $kind: daemon killed mid transfer ($part of $BIG bytes)"; else
		notok "faults: $kind: daemon killed mid transfer ($part of $BIG bytes)"
	fi
	start_daemon || notok "faults: $kind: daemon restarts after kill -9"
	wait "$cpid"
	check "faults: $kind: the interrupted transfer fails (not a short file taken as whole)" \
		test "$(size_of "$out")" -lt "$BIG"
	for tries in 1 2 3 4 5; do
		rm -f "$out"
		if in_c "$@" >"$T/$kind.try$tries" 2>&1 && cmp -s "$out" "$R/big.bin"; then rc=0; break; fi
		sleep 0.5
	done
	if [ $rc = 0 ]; then ok "faults: $kind: the retry after the restart gets the whole file (try $tries)"; else
		notok "faults: $kind: the retry after the restart gets the whole file"
		tail -3 "$T/$kind.try"* | sed 's/^/#   /'
	fi
}
kill_mid tftp "$T/tftp.out" "$TOOLS/tftpclient" --wait 500 -b 1468 -t -o "$T/tftp.out" $SRV big.bin

# ---- a TFTP transfer cut by its client (it goes away mid-file, from 198.51.100.10):
# chainbootd gives up on it, and once no step came for timeline_stall the status
# listener's status.json has that machine "stalled after tftp", the cut transfer its last
# step with a failed outcome. 198.51.100.11's requests are refused: a file that is not
# there, a path outside boot_root, a write; each is a step with its outcome.
CUT=198.51.100.10 REF=198.51.100.11
# nsenter execs the client itself: $cpid is tftpclient's own PID, the one to kill
nsenter --net="/run/netns/$NS_C" -- "$TOOLS/tftpclient" -s $CUT --wait 500 -T 1 -b 1468 -o "$T/cut.out" \
	$SRV big.bin >/dev/null 2>&1 &
cpid=$!
for _ in $(seq 1 60); do [ "$(size_of "$T/cut.out")" -gt 200000 ] && break; sleep 0.05; done
part=$(size_of "$T/cut.out")
kill -TERM "$cpid" 2>/dev/null
wait "$cpid" 2>/dev/null
check "faults: a TFTP client goes away mid transfer ($part of $BIG bytes)" test "$part" -gt 0 -a "$part" -lt "$BIG"
for _ in $(seq 1 100); do grep -q "event=tftp client=$CUT:.* file=big.bin status=" "$LOG" && break; sleep 0.2; done
cut=$(grep "event=tftp client=$CUT:.* file=big.bin status=" "$LOG" | tail -1 | sed -E 's/.* status=([^ ]+).*/\1/')
check "faults: chainbootd gives up on the cut transfer (status=${cut:-none})" test -n "$cut" -a "$cut" != ok
[ -n "$cut" ] && [ "$cut" != ok ] || grep "event=tftp client=$CUT:" "$LOG" | sed 's/^/#   /'
in_c "$TOOLS/tftpclient" -s $REF --wait 1000 -o "$T/ref1" $SRV nothere.bin >"$T/ref1.out" 2>&1
in_c "$TOOLS/tftpclient" -s $REF --wait 1000 -o "$T/ref2" $SRV ../../etc/passwd >"$T/ref2.out" 2>&1
in_c "$TOOLS/tftpclient" -s $REF --wait 1000 --wrq $SRV up.bin >"$T/ref3.out" 2>&1
check_match "faults: the refused requests got TFTP errors" 'result=error code=1 .*result=error code=[12] .*result=error code=2 ' \
	"$(cat "$T/ref1.out" "$T/ref2.out" "$T/ref3.out" | tr '\n' ' ')"
sleep $((STALL + 1))
# machine ADDRESS: its state, then its TFTP steps as file:outcome, from status.json
machine() {
	python3 - "$T/status.1" "$1" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
for m in j["machines"]:
    if m.get("ip") == sys.argv[2]:
        print(m["state"] + " | " + " ".join("%s:%s" % (s["file"], s["outcome"]) for s in m["steps"] if s["step"] == "tftp"))
PY
}
rm -f "$T/status.1"
out=$(ip netns exec "$NS_S" "$TOOLS/httpclient" -o "$T/status" 127.0.0.1 9180 /status.json 2>&1)
check_match "faults: the status listener answers /status.json" 'status=200' "$out"
check_match "faults: the cut transfer's machine is stalled after tftp, its last step the cut ($cut)" \
	"^stalled after tftp \| big\.bin:$cut\$" "$(machine $CUT 2>&1)"
check_match "faults: refused requests are the machine's steps, with their outcomes" \
	'^stalled after tftp \| nothere\.bin:not-found \.\./\.\./etc/passwd:(access-denied|not-found) up\.bin:write-refused$' \
	"$(machine $REF 2>&1)"
kill_mid http "$T/http.1" "$TOOLS/httpclient" --wait 3000 -o "$T/http" $SRV 8080 /big.bin
tc -n "$NS_S" qdisc del dev cbs0 root 2>/dev/null

# ======== 2. SIGHUP with a broken inventory during a boot storm
storm() { # OUT ARGS...: run the storm in the client namespace
	local out=$1
	shift
	in_c "$STORM" --iface cbc0 --server $SRV --tftp-file storm.bin --expect-size 102400 --http-port 8080 \
		--src 198.51.100.10-209 "$@" >"$out" 2>"$out.err"
}
script_of() { in_c "$TOOLS/httpclient" -o "$T/script" $SRV 8080 "/boot.ipxe?mac=$1" >/dev/null 2>&1; cat "$T/script.1" 2>/dev/null; }
storm "$T/storm2" --clients 200 --spread 4 &
SPID=$!
sleep 1
printf '[machine broken\n' >>"$INV"
BROKEN_LINE=$(wc -l <"$INV")
kill -HUP "$DPID"
for _ in $(seq 1 30); do grep -q 'event=reload trigger=signal .*status=failed' "$LOG" && break; sleep 0.1; done
check_match "faults: SIGHUP with a broken inventory under load: refused with file:line" \
	"event=reload trigger=signal .*status=failed kept=previous error=.*inventory\\.ini:$BROKEN_LINE" "$(cat "$LOG")"
check_match "faults: the previous inventory keeps serving" '^echo greeting one for 52:54:00:00:00:00$' \
	"$(script_of 52:54:00:00:00:00)"
sleep 1
write_inventory two
kill -HUP "$DPID"
for _ in $(seq 1 30); do [ "$(script_of 52:54:00:00:00:00)" = "$(printf '#!ipxe\necho greeting two for 52:54:00:00:00:00')" ] && break; sleep 0.1; done
check_match "faults: then a good reload applies" '^echo greeting two for 52:54:00:00:00:00$' "$(script_of 52:54:00:00:00:00)"
check_match "faults: the good reload is logged" 'event=reload .*status=ok' "$(cat "$LOG")"
wait "$SPID"
line=$(grep '^clients=' "$T/storm2")
check_match "faults: storm through the reloads: 200 clients, 0 failed boots" '^clients=200 ok=200 failed=0 ' "$line"
grep -q 'failed=0 ' <<<"$line" || sed 's/^/#   /' "$T/storm2.err" | head -12
echo "# storm during reloads: $line"

# ======== 3. generators that crash, hang or print 100 MB
# gen_menu DESC MAC WHY: the machine gets the menu, the failure is logged with WHY
gen_menu() {
	local body
	body=$(script_of "$2")
	check_match "faults: generator that $1: the menu is served" '^menu ' "$body"
	check_match "faults: generator that $1: logged" "event=http.generator .*status=failed why=\".*$3" "$(cat "$LOG")"
}
gen_menu "crashes (SIGSEGV)" 52:54:00:00:02:01 "killed by signal"
t0=$(ms)
gen_menu "prints 100 MB" 52:54:00:00:02:03 "killed: printed more than"
check "faults: the 100 MB generator is cut off quickly ($(($(ms) - t0)) ms)" test $(($(ms) - t0)) -lt 5000
# while one generator hangs (killed after its 2 s), others are served at once
in_c "$TOOLS/httpclient" -o "$T/hang" $SRV 8080 "/boot.ipxe?mac=52:54:00:00:02:02" >"$T/hang.out" 2>&1 &
HPID=$!
sleep 0.3
t0=$(ms)
body=$(script_of 52:54:00:00:00:00)
t1=$(ms)
check_match "faults: a request during a hanging generator is served" '^echo greeting two' "$body"
check "faults: ... at once ($((t1 - t0)) ms, limit 1000)" test $((t1 - t0)) -lt 1000
out=$(in_c "$TOOLS/tftpclient" --wait 1000 -b 1468 -o "$T/tftp.during" $SRV storm.bin 2>&1)
check_match "faults: TFTP is served during the hanging generator" '^result=ok bytes=102400 ' "$out"
wait "$HPID"
check_match "faults: the hanging generator's client gets the menu" '^menu ' "$(cat "$T/hang.1" 2>/dev/null)"
check_match "faults: the hang is logged as a timeout" 'event=http.generator .*status=failed why=".*killed after 2000 ms' "$(cat "$LOG")"
sleep 0.3
kids=$(cat /proc/"$DPID"/task/*/children 2>/dev/null | tr -d ' \n')
check "faults: no generator process left behind (children: ${kids:-none})" test -z "$kids"
t0=$(ms)
body=$(script_of 52:54:00:00:00:00)
check "faults: the daemon is unaffected: next request served in $(($(ms) - t0)) ms" test $(($(ms) - t0)) -lt 1000

# ======== 4. build into a directory that became read-only: previous image intact
RO=$T/ro
mkdir -p "$RO"
if mount -t tmpfs -o size=16m cbtest-faults "$RO"; then
	at_exit "umount '$RO' 2>/dev/null"
	if "$CHAINBOOT" build --url http://$SRV:8080/boot.ipxe -o "$RO/x.iso" >"$T/build1.log" 2>&1; then
		sum=$(sha256sum <"$RO/x.iso")
		mount -o remount,ro "$RO"
		check_fails "faults: build into a read-only directory: clear error" 'cannot create the image in .*: Read-only file system' \
			"$CHAINBOOT" build --url http://$SRV:8080/other.ipxe -o "$RO/x.iso"
		check "faults: read-only directory: previous image intact (sha256)" test "$(sha256sum <"$RO/x.iso")" = "$sum"
		check "faults: read-only directory: nothing else in it" test "$(ls -A "$RO")" = x.iso
	else
		notok "faults: first build into the tmpfs"
		tail -5 "$T/build1.log" | sed 's/^/#   /'
	fi
	umount "$RO"
else
	notok "faults: mount a tmpfs"
fi

# ======== 5. flood of half-open TCP connections and garbage UDP during a boot storm
stop_daemon "after the kills, reloads and generators"
start_daemon || { notok "faults: daemon starts for the flood"; exit 1; }
rss0=$(awk '/^VmRSS:/ {print $2}' /proc/"$DPID"/status)
# 10,000 connections (half send nothing, half a request line), opened at 5,000 a second;
# those the server closes are reopened at 500 a second (a faster churn is a SYN flood,
# the kernel's business: SYN cookies); 20,000 datagrams at 2,000 a second.
(ulimit -n 20000 && exec ip netns exec "$NS_C" "$TOOLS/flood" --server $SRV --src 198.51.100.2 --conns 10000 \
	--partial 50 --conn-rate 5000 --reopen-rate 500 --udp 20000 --udp-rate 2000 --duration 12) >"$T/flood.out" 2>&1 &
FPID=$!
for _ in $(seq 1 100); do grep -q '^holding' "$T/flood.out" && break; sleep 0.1; done
check_match "faults: flood holds connections" '^holding tcp=[0-9]{4,}' "$(cat "$T/flood.out")"
storm "$T/storm5" --clients 200 --spread 3
line=$(grep '^clients=' "$T/storm5")
fds=$(ls /proc/"$DPID"/fd | wc -l)
rss=$(awk '/^VmHWM:/ {print $2}' /proc/"$DPID"/status)
wait "$FPID"
fline=$(grep '^tcp_opened=' "$T/flood.out")
echo "# storm under flood: $line"
echo "# flood: $fline"
echo "# daemon RSS: ${rss0} KiB at start, peak ${rss} KiB"
check_match "faults: storm under the flood: 200 clients, 0 failed boots" '^clients=200 ok=200 failed=0 ' "$line"
grep -q 'failed=0 ' <<<"$line" || sed 's/^/#   /' "$T/storm5.err" | head -12
if grep -qE 'Sanitizer|runtime error' "$T/storm2.err" "$T/storm5.err"; then notok "faults: the load tools ran clean"; else
	ok "faults: the load tools ran clean (no sanitizer report)"
fi
opened=$(tr ' ' '\n' <<<"$fline" | sed -n 's/^tcp_opened=//p')
check "faults: the flood opened ${opened:-no} connections (at least 10,000; the daemon sheds them)" \
	test "${opened:-0}" -ge 10000
check_match "faults: no DHCP reply to garbage" 'udp_replies_dhcp=0 ' "$fline"
# http_max (1024) connections, the listening and UDP sockets, the log, boot_root
check "faults: the daemon holds at most http_max (1024) connections ($fds fds during the flood)" test "$fds" -le 1100
# Memory bound, from measurement: the plain -O2 build peaks at about 16 MiB under this
# flood (1,024 connections with a 12 KiB input buffer each, plus the boot files held in
# memory), so 64 MiB leaves room without hiding a leak per connection (15,000 are opened
# and closed). ASan starts at about 58 MiB (shadow memory) and peaks near 78 MiB with
# its quarantine of freed blocks: 192 MiB for that build.
if grep -q __asan_init "$DAEMON" 2>/dev/null; then LIMIT=$((192 * 1024)); else LIMIT=$((64 * 1024)); fi
check "faults: daemon memory bounded under the flood (peak $rss KiB, limit $LIMIT KiB)" test "${rss:-0}" -lt $LIMIT
check "faults: daemon still running after the flood" kill -0 "$DPID"
check_match "faults: and still serving" '^echo greeting two' "$(script_of 52:54:00:00:00:00)"
stop_daemon "after the flood"
finish
