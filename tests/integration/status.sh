#!/bin/bash
# status: chainbootd's status listener after boots driven by the test clients (DHCP, TFTP,
# HTTP) in network namespaces this test creates: status.json holds each machine's steps
# in order, a machine that stops after TFTP, or whose transfer is cut, is "stalled after
# tftp", the counters in /metrics equal what the test caused and pass `promtool check
# metrics`, /healthz turns
# 503 on a broken inventory, the boot port 404s /metrics and /status.json, the status
# port is loopback-only by default and 401s without the token when bound to the LAN,
# and the page in headless Chromium has the machines and the timeline (screenshot kept
# in $CHAINBOOT_BUILD/artefacts/status-page.png), with no console errors.
. "$(dirname "$0")/lib.sh"

BUILD=${CHAINBOOT_BUILD:-build}
DAEMON=${CHAINBOOTD:-$BUILD/chainbootd}
DHC=$BUILD/tests/tools/dhcpclient
TFC=$BUILD/tests/tools/tftpclient
HC=$BUILD/tests/tools/httpclient
need_root_daemon status ip nsenter python3 promtool
for f in "$DHC" "$TFC" "$HC"; do
	[ -x "$f" ] || { notok "status: $f built (make tests)"; exit 1; }
done
id nobody >/dev/null 2>&1 || { echo "skip status: no user nobody"; exit 0; }

S=cbst-s-$$ C=cbst-c-$$
ns_pair "$S" "$C" 198.51.100.2 198.51.100.50 || { notok "status: network namespaces"; exit 1; }
ins() { ip netns exec "$S" "$@"; }
inc() { ip netns exec "$C" "$@"; }

chmod 711 "$T"
mkdir -p "$T/root"
head -c 123456 /dev/urandom >"$T/root/vmlinuz"
chmod -R a+rX "$T/root"
INV=$T/inventory.ini
cat >"$INV" <<EOF
[profile p]
description = Profile P
script = #!ipxe
    echo profile p for {{machine}}
[profile g]
generator = $T/gen.sh
[machine web1]
mac = 52:54:00:aa:00:01
profile = p
[machine gen1]
mac = 52:54:00:dd:00:04
profile = g
EOF
printf '#!/bin/sh\necho "#!ipxe"\necho generated\n' >"$T/gen.sh"
chmod 755 "$T/gen.sh"
chmod 644 "$INV"
site() { # extra [server] lines
	cat <<EOF
[server]
listen = 198.51.100.2
interface = cbs0
http_port = 8080
boot_root = $T/root
inventory = $INV
user = nobody
timeline_stall = 3
$*
EOF
}
site >"$T/site.ini"
LOG=$T/daemon.log
DPID=
start() { # site file
	: >"$LOG"
	CHAINBOOT_DATADIR=$CHAINBOOT_SRCDIR nsenter --net="/run/netns/$S" -- "$DAEMON" -c "$1" >"$LOG" 2>&1 &
	DPID=$!
	wait_started "$LOG" "$DPID" 30
}
at_exit 'kill -TERM $DPID 2>/dev/null; wait $DPID 2>/dev/null'
start "$T/site.ini" || { notok "status: daemon starts"; sed 's/^/#   /' "$LOG" | tail; exit 1; }
ok "status: daemon starts"

# status GET PATH [HEADERS...]: body in $T/b.1, the response line in $R
sget() {
	local path=$1
	shift
	rm -f "$T/b.1"
	R=$(ins "$HC" -o "$T/b" "$@" 127.0.0.1 9180 "$path" 2>&1)
}

# ---- machine A boots: PXE ROM DHCP, TFTP of the offered file, our iPXE's DHCP, the
# script, a kernel. Machine B asks DHCP and TFTP, then nothing.
SIZE=
inc "$DHC" --iface cbc0 --wait 1000 --count 1 --mac 52:54:00:aa:00:01 --arch 0 >"$T/d1" 2>&1
check_match "status: A gets undionly.kpxe" 'file="undionly\.kpxe"' "$(cat "$T/d1")"
inc "$TFC" -o "$T/undi" 198.51.100.2 undionly.kpxe >/dev/null 2>&1
SIZE=$(stat -c %s "$T/undi" 2>/dev/null || echo 0)
inc "$DHC" --iface cbc0 --wait 1000 --count 1 --mac 52:54:00:aa:00:01 --arch 0 --user-class CSTM >"$T/d2" 2>&1
out=$(inc "$HC" 198.51.100.2 8080 "/boot.ipxe?mac=52:54:00:aa:00:01" /vmlinuz 2>&1)
check_match "status: A's script and kernel served" 'n=2 status=200' "$out"
sleep 0.3
inc "$DHC" --iface cbc0 --wait 1000 --count 1 --mac 52:54:00:bb:00:02 --arch 0 >/dev/null 2>&1
inc "$TFC" -o "$T/undi2" 198.51.100.2 undionly.kpxe >/dev/null 2>&1

sget /status.json
check_match "status: /status.json 200" 'status=200' "$R"
steps() { python3 - "$T/b.1" "$1" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
for m in j["machines"]:
    if m.get("mac") == sys.argv[2]:
        out = []
        for s in m["steps"]:
            k = s["step"]
            d = {"dhcp": lambda: "dhcp:%s:%s" % (s["port"], s["offered"]),
                 "tftp": lambda: "tftp:%s:%s:%d" % (s["file"], s["outcome"], s["bytes"]),
                 "script": lambda: "script:%s:%s:%d" % (s["profile"], s["kind"], s["status"]),
                 "file": lambda: "file:%s:%d:%d" % (s["path"], s["status"], s["bytes"])}[k]()
            out.append(d)
        print(" ".join(out), "|", m.get("name"), "|", m["state"])
PY
}
A=$(steps 52:54:00:aa:00:01)
want="dhcp:67:undionly.kpxe tftp:undionly.kpxe:ok:$SIZE dhcp:67:http://198.51.100.2:8080/chain.ipxe script:p:template:200 file:/vmlinuz:200:123456 | web1 | in progress"
[ "$A" = "$want" ] && ok "status: A's steps, exactly and in order" || {
	notok "status: A's steps, exactly and in order"
	echo "#   got:  $A"
	echo "#   want: $want"
}
sleep 3.5
sget /status.json
check_match "status: A is done" '\| done$' "$(steps 52:54:00:aa:00:01)"
check_match "status: B stalled after tftp" "^dhcp:67:undionly.kpxe tftp:undionly.kpxe:ok:$SIZE \| None \| stalled after tftp$" "$(steps 52:54:00:bb:00:02)"
check_match "status: inventory file and load time" "\"file\": \"$INV\"" "$(cat "$T/b.1")"
check_match "status: served binaries with their user-class" '"name": "undionly.kpxe",' "$(cat "$T/b.1")"

# ---- chainboot status: the same table in the terminal
out=$(ins "$CHAINBOOT" status 2>&1)
check_match "status: chainboot status lists A, done" '^52:54:00:aa:00:01 +web1 .* done +file .*/vmlinuz' "$out"
check_match "status: chainboot status lists B, stalled" '^52:54:00:bb:00:02 .*stalled after tftp +tftp .*undionly.kpxe' "$out"

# ---- metrics
sget /metrics
cp "$T/b.1" "$T/metrics.txt"
check "status: promtool check metrics" promtool check metrics <"$T/metrics.txt"
metric() { # NAME{LABELS} -> its value (sum over matching lines)
	grep -F "$1" "$T/metrics.txt" | awk '{s += $NF} END {print s + 0}'
}
m() { # DESC FILTER WANT
	local got
	got=$(metric "$2")
	[ "$got" = "$3" ] && ok "status: metrics: $1 = $3" || notok "status: metrics: $1 = $3 (got $got)"
}
m "dhcp requests on port 67" 'chainbootd_dhcp_requests_total{port="67"' 3
m "dhcp replies" 'chainbootd_dhcp_replies_total{' 3
m "tftp transfers ok" 'chainbootd_tftp_transfers_total{outcome="ok"}' 2
m "tftp bytes ok" 'chainbootd_tftp_bytes_total{outcome="ok"}' $((SIZE * 2))
m "tftp duration count" 'chainbootd_tftp_transfer_duration_seconds_count' 2
m "http script 200" 'chainbootd_http_requests_total{route="script",status="200"}' 1
m "http file 200" 'chainbootd_http_requests_total{route="file",status="200"}' 1
m "template scripts" 'chainbootd_scripts_total{kind="template"}' 1
m "inventory machines" 'chainbootd_machines ' 2
m "inventory profiles" 'chainbootd_profiles ' 2
m "boots in progress" 'chainbootd_boots_in_progress ' 0
m "build info" 'chainbootd_build_info{version=' 1

# ---- the page in headless Chromium
if command -v chromium >/dev/null; then
	H=$T/chromium
	mkdir -p "$H"
	art=$BUILD/artefacts
	mkdir -p "$art"
	ins env HOME="$H" timeout 60 chromium --headless --no-sandbox --disable-gpu \
		--user-data-dir="$H/profile" --enable-logging=stderr --v=0 \
		--dump-dom http://127.0.0.1:9180/ >"$T/dom.html" 2>"$T/chromium.log"
	dom=$(cat "$T/dom.html")
	check_match "status: page (Chromium DOM) lists machine A" '<td><a href="#m[0-9]+">52:54:00:aa:00:01</a></td><td>web1</td>' "$dom"
	check_match "status: page shows B stalled after tftp" 'stalled after tftp' "$dom"
	check_match "status: page has A's timeline" '<b>script</b> .*profile=p</span> <span class="kv">kind=template' "$dom"
	if grep -E 'CONSOLE|Uncaught' "$T/chromium.log" >/dev/null; then
		notok "status: no console errors"
		grep -E 'CONSOLE|Uncaught' "$T/chromium.log" | head -5 | sed 's/^/#   /'
	else
		ok "status: no console errors"
	fi
	ins env HOME="$H" timeout 60 chromium --headless --no-sandbox --disable-gpu \
		--user-data-dir="$H/profile" --hide-scrollbars --window-size=1100,1000 \
		--screenshot="$art/status-page.png" http://127.0.0.1:9180/ >/dev/null 2>&1
	check_match "status: screenshot kept ($art/status-page.png)" 'PNG image' "$(file "$art/status-page.png" 2>&1)"
else
	echo "skip status: chromium not installed (the page in a browser)"
fi

# ---- machine C's TFTP transfer is cut (the client goes away after the first block): the
# server gives up on it, and C is "stalled after tftp" with that outcome
inc "$DHC" --iface cbc0 --wait 1000 --count 1 --mac 52:54:00:cc:00:03 --arch 0 >/dev/null 2>&1
nsenter --net="/run/netns/$C" -- "$TFC" -T 1 --stall 30000 -o "$T/cut" 198.51.100.2 undionly.kpxe >/dev/null 2>&1 &
cpid=$!
sleep 0.5
kill "$cpid" 2>/dev/null
wait "$cpid" 2>/dev/null
for _ in $(seq 1 100); do grep -qE 'event=tftp .*file=undionly.kpxe status=[a-z-]+ ' "$LOG" &&
	[ "$(grep -cE 'event=tftp .*file=undionly.kpxe status=' "$LOG")" -ge 3 ] && break; sleep 0.2; done
cut=$(grep -E 'event=tftp .*file=undionly.kpxe status=' "$LOG" | tail -1 | sed -E 's/.* status=([^ ]+).*/\1/')
sleep 3.5
sget /status.json
check_match "status: C's cut transfer: stalled after tftp ($cut)" "^dhcp:67:undionly.kpxe tftp:undionly.kpxe:$cut:[0-9]+ \| None \| stalled after tftp$" "$(steps 52:54:00:cc:00:03)"
[ "$cut" != ok ] && ok "status: the cut transfer's outcome is not ok ($cut)" || notok "status: the cut transfer's outcome is not ok"

# ---- a generator's script: counted by kind, its run by outcome and duration
out=$(inc "$HC" 198.51.100.2 8080 "/boot.ipxe?mac=52:54:00:dd:00:04" 2>&1)
check_match "status: the generator's script served" 'n=1 status=200' "$out"
sget /metrics
cp "$T/b.1" "$T/metrics.txt"
m "generator scripts" 'chainbootd_scripts_total{kind="generator"}' 1
m "generator runs ok" 'chainbootd_generator_runs_total{outcome="ok"}' 1
m "generator duration count" 'chainbootd_generator_duration_seconds_count' 1
check "status: promtool check metrics (with a generator run)" promtool check metrics <"$T/metrics.txt"
sget /status.json
check_match "status: the generator step in status.json" '^script:g:generator:200 \| gen1 \|' "$(steps 52:54:00:dd:00:04)"

# ---- every text on the page is escaped: a client's own path, for instance
inc "$HC" --raw 'GET /<b>x</b>"\x27 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' 198.51.100.2 8080 >/dev/null 2>&1
sget /
check_match "status: a client's path is escaped on the page" 'path=/&lt;b&gt;x&lt;/b&gt;&quot;&#39;' "$(cat "$T/b.1")"
if grep -qF '<b>x</b>' "$T/b.1"; then notok "status: no raw client text on the page"; else ok "status: no raw client text on the page"; fi

# ---- health
sget /healthz
check_match "status: healthz 200 with the inventory loaded" 'status=200' "$R"
cp "$INV" "$T/inv.good"
echo "[machine broken" >>"$INV"
for _ in $(seq 1 40); do grep -q 'event=reload.*status=failed' "$LOG" && break; sleep 0.2; done
sget /healthz
check_match "status: healthz 503 after a failed reload" 'status=503' "$R"
check_match "status: healthz says why" 'reload failed' "$(cat "$T/b.1" 2>/dev/null)"
sget /status.json
check_match "status: status.json has the reload error with file:line" "\"last_error\": \".*inventory.ini:[0-9]+" "$(cat "$T/b.1")"

# ---- who may look
out=$(ins "$HC" 198.51.100.2 8080 /metrics /status.json 2>&1)
check_match "status: the boot port 404s /metrics" 'n=1 status=404' "$out"
check_match "status: the boot port 404s /status.json" 'n=2 status=404' "$out"
out=$(inc "$HC" --wait 1000 198.51.100.2 9180 /metrics 2>&1)
if grep -q 'status=' <<<"$out"; then
	notok "status: from the client namespace the status port is unreachable by default"
else
	ok "status: from the client namespace the status port is unreachable by default"
fi
stop_clean "status" "$DPID" "$LOG"
cp "$T/inv.good" "$INV"

site "status_listen = 198.51.100.2:9180" >"$T/lan.ini"
check_fails "status: a LAN address without status_token is refused" 'status_token' \
	env CHAINBOOT_DATADIR="$CHAINBOOT_SRCDIR" ip netns exec "$S" timeout 10 "$DAEMON" -c "$T/lan.ini"
check_fails "status: chainbootd --check says so too" 'not a loopback address: set status_token' \
	env CHAINBOOT_DATADIR="$CHAINBOOT_SRCDIR" ip netns exec "$S" "$DAEMON" -c "$T/lan.ini" --check
site "status_listen = 198.51.100.2:9180" "
status_token = s3cret" >"$T/tok.ini"
start "$T/tok.ini" || notok "status: daemon starts with a token"
out=$(inc "$HC" 198.51.100.2 9180 /metrics 2>&1)
check_match "status: without the token: 401" 'status=401' "$out"
out=$(inc "$HC" -H "Authorization: Bearer wrong" 198.51.100.2 9180 /metrics 2>&1)
check_match "status: a wrong token: 401" 'status=401' "$out"
out=$(inc "$HC" -H "Authorization: Bearer s3cret" 198.51.100.2 9180 /metrics /healthz 2>&1)
check_match "status: with the token: 200" 'n=1 status=200' "$out"
out=$(inc "$CHAINBOOT" status --server http://198.51.100.2:9180/ 2>&1)
check_match "status: chainboot status without the token says so" 'HTTP 401 .*--token' "$out"
out=$(inc env CHAINBOOT_STATUS_TOKEN=s3cret "$CHAINBOOT" status --server http://198.51.100.2:9180 2>&1)
check_match "status: chainboot status with the token" 'health: ok' "$out"
stop_clean "status (token)" "$DPID" "$LOG"
finish
