#!/bin/bash
# http-bigfile: a 64 MiB file to 4 keep-alive clients at once, each fetching it twice on
# one connection, while a fifth client asked for the same file and reads nothing: every
# copy must arrive byte for byte (sha256), a script request must still be answered
# meanwhile, and the stalled client must not hold the others up (issue 17). Runs in a
# network namespace this test creates (loopback only).
# CHAINBOOTD=path overrides the daemon (default: $CHAINBOOT_BUILD/chainbootd).
. "$(dirname "$0")/lib.sh"

BUILD=${CHAINBOOT_BUILD:-build}
DAEMON=${CHAINBOOTD:-$BUILD/chainbootd}
CLIENT=$BUILD/tests/tools/httpclient
need_root_daemon http-bigfile ip nsenter python3 sha256sum
[ -x "$CLIENT" ] || { notok "http-bigfile: $CLIENT not built"; exit 1; }

ns_lo httpbig || { notok "http-bigfile: create network namespace"; exit 1; }
PORT=8080
hc() { ip netns exec "$NS" "$CLIENT" "$@"; }

chmod 711 "$T"
R=$T/root
mkdir -p "$R"
head -c $((64 * 1024 * 1024 + 4093)) /dev/urandom >"$R/big.bin" # not a multiple of a slice
chmod -R a+rX "$R"
WANT=$(sha256sum <"$R/big.bin" | cut -d' ' -f1)
SIZE=$(stat -c %s "$R/big.bin")
cat >"$T/inventory.ini" <<'EOF'
[profile p]
script = #!ipxe
    echo profile p for {{machine}}
[machine m1]
mac = 52:54:00:00:00:01
profile = p
EOF
chmod 644 "$T/inventory.ini"
cat >"$T/site.ini" <<EOF
[chain]
url = http://127.0.0.1:$PORT/boot.ipxe
[server]
listen = 127.0.0.1
http_port = $PORT
proxydhcp = no
tftp = no
status_listen = off
boot_root = $R
inventory = $T/inventory.ini
user = nobody
EOF
LOG=$T/daemon.log
# nsenter execs the daemon itself, so $DPID is the daemon's PID
CHAINBOOT_DATADIR=$CHAINBOOT_SRCDIR nsenter --net="/run/netns/$NS" -- "$DAEMON" -c "$T/site.ini" >"$LOG" 2>&1 &
DPID=$!
at_exit 'kill -TERM $DPID 2>/dev/null; wait $DPID 2>/dev/null'
up=
for _ in $(seq 1 50); do
	kill -0 "$DPID" 2>/dev/null || break
	if hc --wait 300 127.0.0.1 $PORT "/boot.ipxe?mac=52:54:00:00:00:01" 2>/dev/null | grep -q 'status=200'; then up=1; break; fi
	sleep 0.2
done
if [ -z "$up" ]; then
	notok "http-bigfile: daemon answers on 127.0.0.1:$PORT"
	sed 's/^/#   /' "$LOG" | tail -20
	exit 1
fi

# The stalled client: asks for the file, reads only the first bytes, then nothing until
# told to go (a file appears) or 60 s pass; then reports how much the socket had queued.
cat >"$T/stall.py" <<'PY'
import os, socket, sys, time
port, go = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
first = s.recv(4096)
print("stall first=%s" % (b"200" in first.split(b"\r\n", 1)[0]), flush=True)
t0 = time.monotonic()
while not os.path.exists(go) and time.monotonic() - t0 < 60:
    time.sleep(0.05)
s.close()
PY
GO=$T/go
ip netns exec "$NS" python3 "$T/stall.py" $PORT "$GO" >"$T/stall.out" 2>&1 &
SPID=$!
at_exit 'touch $GO; wait $SPID 2>/dev/null'
for _ in $(seq 1 50); do grep -q '^stall first=' "$T/stall.out" && break; sleep 0.1; done
check_match "http-bigfile: the stalled client got its answer's start" 'stall first=True' "$(cat "$T/stall.out")"

# Four keep-alive clients at once, each fetching the file twice on its one connection.
# Background clients are `ip netns exec ... &` written out: $! is the client itself.
PIDS=()
for i in 1 2 3 4; do
	ip netns exec "$NS" "$CLIENT" --wait 60000 -o "$T/c$i" 127.0.0.1 $PORT /big.bin /big.bin >"$T/c$i.out" 2>&1 &
	PIDS+=("$!")
done
at_exit 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done'
# While they run: a script answers (the downloads do not hold the loop).
out=$(hc --wait 10000 -o "$T/s" 127.0.0.1 $PORT "/boot.ipxe?mac=52:54:00:00:00:01" 2>&1)
check_match "http-bigfile: a script request is answered during the downloads" 'status=200' "$out"
check_match "http-bigfile: the script is m1's" '^echo profile p for m1' "$(cat "$T/s.1" 2>/dev/null)"
for i in 1 2 3 4; do
	wait "${PIDS[$((i - 1))]}"
	rc=$?
	check_match "http-bigfile: client $i: two answers on one connection (exit $rc)" \
		"response n=1 status=200 length=$SIZE .*response n=2 status=200 length=$SIZE .*result=ok responses=2" \
		"$(tr '\n' ' ' <"$T/c$i.out")"
	for n in 1 2; do
		got=$(sha256sum <"$T/c$i.$n" 2>/dev/null | cut -d' ' -f1)
		check "http-bigfile: client $i copy $n byte for byte (sha256)" test "$got" = "$WANT"
		rm -f "$T/c$i.$n"
	done
done
PIDS=()
# The stalled client was still connected all along: the others did not wait for it.
check "http-bigfile: the stalled client was still waiting when the others were done" kill -0 "$SPID"
touch "$GO"
wait "$SPID"
for _ in $(seq 1 50); do grep -q 'result=aborted' "$LOG" && break; sleep 0.1; done
check_match "http-bigfile: the stalled client's answer is logged as aborted" \
	'event=http .*path=/big.bin status=200 .*result=aborted' "$(cat "$LOG")"
n=$(grep -cE "event=http .*path=/big.bin status=200 bytes=$SIZE" "$LOG")
check "http-bigfile: eight complete answers logged ($n)" test "$n" -eq 8
stop_clean http-bigfile "$DPID" "$LOG"
DPID=
finish
