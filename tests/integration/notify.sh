#!/bin/bash
# notify: chainbootd's sd_notify messages (systemd Type=notify) to a unix datagram socket
# this test opens as NOTIFY_SOCKET, with the daemon in a network namespace of its own:
# READY=1 comes only when proxyDHCP (67), TFTP (69) and HTTP (80) already answer and
# privileges are dropped (the receiver probes all three and reads the sender's uid the
# moment READY=1 arrives); SIGHUP gives RELOADING=1 then READY=1 (with the inventory's
# counts, and a note after a broken reload); SIGTERM gives STOPPING=1 before the exit.
# The daemon logs with --log-format json here, so its lines are checked as JSON too.
. "$(dirname "$0")/lib.sh"

BUILD=${CHAINBOOT_BUILD:-build}
DAEMON=${CHAINBOOTD:-$BUILD/chainbootd}
TOOLS=$BUILD/tests/tools
need_root_daemon notify ip nsenter python3
for f in dhcpclient tftpclient httpclient; do
	[ -x "$TOOLS/$f" ] || { notok "notify: $TOOLS/$f built (make tests)"; exit 1; }
done
id nobody >/dev/null 2>&1 || { echo "skip notify: no user nobody"; exit 0; }
NS_S=cbnot-s-$$ NS_C=cbnot-c-$$
ns_pair "$NS_S" "$NS_C" 198.51.100.2 198.51.100.50 veth0 veth1 ||
	{ notok "notify: network namespaces set up"; exit 1; }
chmod 711 "$T"

INV=$T/inventory.ini
cat >"$INV" <<'EOF2'
[profile p]
script = #!ipxe
    echo p
[machine m1]
mac = 52:54:00:00:00:01
profile = p
EOF2
chmod 644 "$INV"

# The receiver: one line per datagram ("msg pid=N KEY=V|KEY=V"); at the first READY=1
# it probes the three ports from the client namespace and reads the sender's uid.
SOCK=$T/notify.sock
OUT=$T/notify.out
cat >"$T/recv.py" <<'EOF2'
import os, socket, struct, subprocess, sys, time
sock_path, tools, out = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock_path)
os.chmod(sock_path, 0o777)          # the daemon sends as nobody after the drop
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.settimeout(1.0)
f = open(out, "w", buffering=1)
f.write("listening\n")
def run(args):
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=10)
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired:
        return 124, ""
probed = False
deadline = time.monotonic() + 90
while time.monotonic() < deadline:
    try:
        data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    except socket.timeout:
        continue
    pid = -1
    for level, kind, val in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iii", val[:12])[0]
    fields = data.decode(errors="replace").strip("\n").split("\n")
    f.write("msg pid=%d %s\n" % (pid, "|".join(fields)))
    if "READY=1" in fields and not probed:
        probed = True
        d, _ = run([tools + "/dhcpclient", "--iface", "veth1", "--arch", "0",
                    "--user-class", "iPXE", "--wait", "1000", "--count", "1"])
        t, _ = run([tools + "/tftpclient", "--wait", "1000", "198.51.100.2", "autoexec.ipxe"])
        h, ho = run([tools + "/httpclient", "--wait", "1000", "198.51.100.2", "80", "/autoexec.ipxe"])
        uid = "?"
        try:
            for line in open("/proc/%d/status" % pid):
                if line.startswith("Uid:"):
                    uid = line.split()[1]
        except OSError:
            pass
        f.write("probe dhcp=%d tftp=%d http=%d http200=%d uid=%s\n"
                % (d, t, h, "status=200" in ho, uid))
    if "STOPPING=1" in fields:
        break
f.write("done\n")
EOF2
ip netns exec "$NS_C" python3 "$T/recv.py" "$SOCK" "$TOOLS" "$OUT" &
RPID=$!
at_exit 'kill $RPID 2>/dev/null; wait $RPID 2>/dev/null'
for _ in $(seq 1 50); do grep -q listening "$OUT" 2>/dev/null && break; sleep 0.1; done

# waitfor REGEX SECONDS: until a line of the receiver's output matches
waitfor() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		grep -qE -- "$1" "$OUT" && return 0
		sleep 0.1
	done
	return 1
}

LOG=$T/chainbootd.log
# nsenter execs the daemon itself, so $DPID is the daemon's PID
NOTIFY_SOCKET=$SOCK CHAINBOOT_DATADIR=$CHAINBOOT_SRCDIR nsenter --net="/run/netns/$NS_S" -- \
	"$DAEMON" --listen 198.51.100.2 --interface veth0 --user nobody --boot-root "$T/none" \
	--inventory "$INV" --log-format json >"$LOG" 2>&1 &
DPID=$!
at_exit 'kill -TERM $DPID 2>/dev/null; wait $DPID 2>/dev/null'
if ! waitfor '^probe ' 60; then
	notok "notify: READY=1 received"
	sed 's/^/#   /' "$OUT" "$LOG" | tail -20
	exit 1
fi
ok "notify: READY=1 received"
first=$(grep -m1 '^msg ' "$OUT")
check_match "notify: READY=1 is the first message, sent by the daemon itself (MAINPID)" \
	"^msg pid=$DPID READY=1\|STATUS=" "$first"
check_match "notify: STATUS= summary: address, services, inventory counts" \
	'STATUS=serving 198\.51\.100\.2: proxyDHCP on, TFTP on, HTTP port 80; inventory loaded: 1 machines, 1 profiles$' "$first"
probe=$(grep '^probe ' "$OUT")
check_match "notify: at READY=1 proxyDHCP on port 67 already answers" 'dhcp=0 ' "$probe"
check_match "notify: at READY=1 TFTP on port 69 already serves autoexec.ipxe" 'tftp=0 ' "$probe"
check_match "notify: at READY=1 HTTP on port 80 already serves autoexec.ipxe" 'http=0 http200=1 ' "$probe"
check_match "notify: at READY=1 privileges are dropped (uid 65534)" 'uid=65534$' "$probe"
check_match "notify: READY=1 after the daemon's start line" '^\{"ts":"[0-9T:.-]+Z","event":"start","version":' "$(cat "$LOG")"
# --log-format json: every line of the log is one JSON object
check "notify: --log-format json: every log line is a JSON object with an event" \
	python3 -c 'import json,sys; [json.loads(l)["event"] for l in open(sys.argv[1]) if l.strip()]' "$LOG"

# SIGHUP: RELOADING=1, then READY=1 again
kill -HUP "$DPID"
if waitfor '^msg .*RELOADING=1\|MONOTONIC_USEC=[0-9]+$' 10; then
	ok "notify: SIGHUP: RELOADING=1 with MONOTONIC_USEC"
else
	notok "notify: SIGHUP: RELOADING=1 with MONOTONIC_USEC"
fi
for _ in $(seq 1 50); do [ "$(grep -c 'READY=1' "$OUT")" -ge 2 ] && break; sleep 0.1; done
seq_msgs=$(grep '^msg ' "$OUT" | sed -E 's/^msg pid=[0-9]+ ([A-Z]+=1).*/\1/' | tr '\n' ' ')
check_match "notify: SIGHUP: RELOADING=1 then READY=1" '^READY=1 RELOADING=1 READY=1 $' "$seq_msgs"
check_match "notify: reloaded status: counts" 'READY=1\|STATUS=.*1 machines, 1 profiles$' \
	"$(grep '^msg ' "$OUT" | tail -1)"

# A broken inventory: still RELOADING=1 then READY=1 (the old one serves), the status says so
printf '[machine m2]\nmac = 52:54:00:00:00:01\nprofile = p\n' >>"$INV"
kill -HUP "$DPID"
for _ in $(seq 1 50); do [ "$(grep -c 'READY=1' "$OUT")" -ge 3 ] && break; sleep 0.1; done
check_match "notify: broken reload: READY=1 with a note, previous inventory kept" \
	'READY=1\|STATUS=.*last reload failed, previous inventory kept$' "$(grep '^msg ' "$OUT" | tail -1)"

# SIGTERM: STOPPING=1, and the receiver sees it before the daemon is gone
stop_clean "notify" "$DPID" "$LOG"
waitfor '^done' 5 >/dev/null
check_match "notify: SIGTERM: STOPPING=1" '^msg pid=[0-9]+ STOPPING=1' "$(grep '^msg ' "$OUT" | tail -1)"
n=$(grep -c '^msg ' "$OUT")
check "notify: six messages in all (READY, RELOADING, READY, RELOADING, READY, STOPPING)" test "$n" = 6
if grep -q 'event=notify' "$LOG"; then notok "notify: no send failed"; else ok "notify: no send failed"; fi
finish
