#!/bin/bash
# proxydhcp.sh: chainbootd's proxyDHCP against the test client (tests/tools/dhcpclient)
# in network namespaces this test creates (198.51.100.0/24 only):
#   srv  veth0 198.51.100.2/24 (chainbootd --interface veth0), veth2 198.51.100.3/24 (not served)
#   cli  veth1 198.51.100.50/24 and .254 (the relay agent's address), peer of veth0
#   oth  veth3 198.51.100.60/24, peer of veth2: a client on an interface chainbootd must ignore
# Checks: every reply carries no address (yiaddr 0), siaddr, options 54, 60, 97 echo,
# the decision table per client kind, 4011 ACKs, relayed requests answered to giaddr:67,
# non-PXE clients and other interfaces get nothing, malformed packets are survived,
# privileges are dropped before serving, SIGHUP and SIGTERM.
. "$(dirname "$0")/lib.sh"

BUILD=${CHAINBOOT_BUILD:-$CHAINBOOT_SRCDIR/build}
DAEMON=$BUILD/chainbootd
CLIENT=$BUILD/tests/tools/dhcpclient
if [ "$(id -u)" != 0 ]; then
	echo "skip proxydhcp (not root: network namespaces need CAP_NET_ADMIN)"
	exit 0
fi
for f in "$DAEMON" "$CLIENT"; do
	[ -x "$f" ] || { notok "proxydhcp: $f is built (make tests)"; exit 1; }
done
id nobody >/dev/null 2>&1 || { echo "skip proxydhcp (no user nobody to drop to)"; exit 0; }

NS_S=cbpd-s-$$ NS_C=cbpd-c-$$ NS_O=cbpd-o-$$
DPID=
cleanup_ns() {
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && sleep 0.3 && kill -KILL "$DPID" 2>/dev/null
	ip netns delete "$NS_S" 2>/dev/null
	ip netns delete "$NS_C" 2>/dev/null
	ip netns delete "$NS_O" 2>/dev/null
}
at_exit cleanup_ns
set -e
ip netns add "$NS_S"
ip netns add "$NS_C"
ip netns add "$NS_O"
for ns in "$NS_S" "$NS_C" "$NS_O"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set lo up
done
ip -n "$NS_S" link add veth0 type veth peer name veth1 netns "$NS_C"
ip -n "$NS_S" link add veth2 type veth peer name veth3 netns "$NS_O"
ip -n "$NS_S" addr add 198.51.100.2/24 dev veth0
ip -n "$NS_S" addr add 198.51.100.3/24 dev veth2
ip -n "$NS_C" addr add 198.51.100.50/24 dev veth1
ip -n "$NS_C" addr add 198.51.100.254/24 dev veth1
ip -n "$NS_O" addr add 198.51.100.60/24 dev veth3
ip -n "$NS_S" link set veth0 up
ip -n "$NS_S" link set veth2 up
ip -n "$NS_C" link set veth1 up
ip -n "$NS_O" link set veth3 up
set +e

LOG=$T/chainbootd.log
start_daemon() { # extra args
	: >"$LOG"
	CHAINBOOT_DATADIR=$CHAINBOOT_SRCDIR ip netns exec "$NS_S" "$DAEMON" --listen 198.51.100.2 --http-port 8080 \
		--interface veth0 --user nobody --boot-root "$T/none" "$@" >"$LOG" 2>&1 &
	DPID=$!
	wait_started "$LOG" "$DPID" 30
}

start_daemon
check_match "chainbootd starts (proxyDHCP on veth0)" 'event=start .*interfaces=veth0 proxydhcp=yes' "$(cat "$LOG")"
if ! grep -q 'event=start' "$LOG"; then
	sed 's/^/#   /' "$LOG" | tail -20
	exit 1
fi

# Privileges: dropped before the loop runs; nothing left to regain.
status=$(cat "/proc/$DPID/status")
check_match "runs as nobody (uid 65534)" "^Uid:[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534" "$status"
check_match "no capabilities left" "^CapEff:[[:space:]]+0+$" "$status"
check_match "bounding set empty" "^CapBnd:[[:space:]]+0+$" "$status"
check_match "no_new_privs set" "^NoNewPrivs:[[:space:]]+1" "$status"

ALL=$T/replies.txt
: >"$ALL"
# dhc NAME ARGS...: run the client in the client namespace; its output in $OUT, and
# every reply line also collected in $ALL for the global checks.
dhc() {
	OUT=$(ip netns exec "$NS_C" "$CLIENT" --iface veth1 --wait 1000 --count 1 "$@" 2>&1)
	printf '%s\n' "$OUT" | grep '^reply ' >>"$ALL"
}
has() { grep -qE -- "$1" <<<"$OUT"; }
no_reply() { grep -q '^replies=0$' <<<"$OUT"; }

# ---- the decision table, one client kind each ----
dhc --arch 0 --user-class iPXE
check_match "vendor iPXE, BIOS: OFFER ipxe.pxe by TFTP from 198.51.100.2" \
	'type=OFFER .*yiaddr=0\.0\.0\.0 siaddr=198\.51\.100\.2 .*file="ipxe\.pxe".*opt54=198\.51\.100\.2 opt60="PXEClient" opt67="ipxe\.pxe" opt97=len17' "$OUT"
check_match "vendor iPXE, BIOS: no option 43, broadcast from port 67" 'from=198\.51\.100\.2:67 .*opt43=- ' "$OUT"
dhc --arch 7 --user-class iPXE --vendor PXEClient:Arch:00007:UNDI:003016
check_match "vendor iPXE, UEFI x86_64: snponly.efi" 'file="snponly\.efi"' "$OUT"
dhc --arch 11 --user-class iPXE --vendor PXEClient:Arch:00011:UNDI:003016
check_match "vendor iPXE, UEFI arm64: ipxe-arm64.efi" 'file="ipxe-arm64\.efi"' "$OUT"
dhc --arch 0 --user-class CSTM
check_match "our class: the fact stub, which chains the script with every fact" \
	'opt67="http://198\.51\.100\.2:8080/chain\.ipxe"' "$OUT"
dhc --arch 0
check_match "PXE ROM, BIOS: undionly.kpxe with 43/6=8" 'file="undionly\.kpxe".*sub6=8' "$OUT"
dhc --arch 7 --vendor PXEClient:Arch:00007:UNDI:003016
check_match "PXE ROM, UEFI: snponly.efi, no option 43 on port 67 (uefi_strategy auto)" \
	'file="snponly\.efi".*opt43=- ' "$OUT"
dhc --arch 16 --vendor HTTPClient:Arch:00016:UNDI:003001
check_match "UEFI HTTP boot: HTTPClient echoed, URL of snponly.efi" \
	'file="http://198\.51\.100\.2:8080/snponly\.efi".*opt60="HTTPClient"' "$OUT"
dhc --arch 7 --guid 0 --vendor PXEClient:Arch:00007:UNDI:003016
check_match "GUID of length 0 is echoed as such" 'opt97=len0 ' "$OUT"
dhc --arch 7 --guid none --vendor PXEClient:Arch:00007:UNDI:003016
check_match "no GUID in, none out" 'opt97=- ' "$OUT"

# ---- port 4011: the follow-up request of EDK2 and of iPXE ----
dhc --type request --to 198.51.100.2 --port 4011 --ciaddr 198.51.100.50 --arch 7 --item71 \
	--vendor PXEClient:Arch:00007:UNDI:003016
check_match "REQUEST on 4011: ACK from port 4011 back to the client, boot item echoed" \
	'from=198\.51\.100\.2:4011 .*type=ACK .*yiaddr=0\.0\.0\.0 siaddr=198\.51\.100\.2 .*ciaddr=198\.51\.100\.50 file="snponly\.efi".*opt43=4704800000' "$OUT"
dhc --type request --arch 0 --user-class iPXE --sid 198.51.100.1
check "a broadcast REQUEST for the site DHCP server is not answered" no_reply
dhc --type inform --arch 0 --user-class iPXE --ciaddr 198.51.100.50
check_match "INFORM: ACK with the boot file" 'type=ACK .*file="ipxe\.pxe"' "$OUT"

# ---- relayed: to giaddr:67, giaddr kept ----
dhc --to 198.51.100.2 --listen-port 67 --giaddr 198.51.100.254 --arch 0 --user-class iPXE
check_match "relayed DISCOVER: reply to giaddr:67 with giaddr kept" \
	'from=198\.51\.100\.2:67 .*type=OFFER .*yiaddr=0\.0\.0\.0 .*giaddr=198\.51\.100\.254 .*file="ipxe\.pxe"' "$OUT"
check_match "the daemon logged the relay destination" 'decision=vendor-ipxe .*to=198\.51\.100\.254:67' "$(cat "$LOG")"

# ---- nothing for others ----
dhc --no-vendor --arch 0
check "no option 60 (an ordinary DHCP client): no reply" no_reply
dhc --vendor "MSFT 5.0"
check "option 60 MSFT 5.0: no reply" no_reply
dhc --arch 10 --vendor PXEClient:Arch:00010:UNDI:003016
check "unknown architecture (10): no reply" no_reply
check_match "unknown architecture is logged" 'event=proxydhcp .*arch=10 .*decision=unknown-arch' "$(cat "$LOG")"
OUT=$(ip netns exec "$NS_O" "$CLIENT" --iface veth3 --wait 1000 --arch 0 --user-class iPXE 2>&1)
check "a PXE client on veth2 (not in --interface) gets nothing" no_reply

# ---- malformed input is survived ----
ip netns exec "$NS_C" python3 - <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"veth1")
base = bytearray(300); base[0] = 1; base[236:240] = b"\x63\x82\x53\x63"
for pkt in (b"", b"\x01", bytes(239), base + b"\x35\x05\x01", base + b"\x34\x01\x07\xff",
            base + b"\x3c\xff" + b"PXEClient", bytes(range(256)) * 20):
    s.sendto(bytes(pkt), ("255.255.255.255", 67))
    s.sendto(bytes(pkt), ("198.51.100.2", 4011))
EOF
sleep 0.3
check "still running after malformed packets" kill -0 "$DPID"
dhc --arch 0 --user-class iPXE
check_match "and still answering" 'file="ipxe\.pxe"' "$OUT"

# ---- every reply seen: no address handed out, siaddr and server id set ----
n_all=$(grep -c '^reply ' "$ALL")
n_bad=$(grep '^reply ' "$ALL" | grep -vcE 'yiaddr=0\.0\.0\.0 siaddr=198\.51\.100\.2 .*opt54=198\.51\.100\.2 opt60="(PXE|HTTP)Client"')
check "all $n_all replies: yiaddr 0, siaddr and option 54 = 198.51.100.2, option 60 echoed" test "$n_all" -gt 10 -a "$n_bad" = 0

# ---- signals ----
kill -HUP "$DPID"
sleep 0.3
check_match "SIGHUP without an inventory: logged, still running" 'event=reload ' "$(cat "$LOG")"
check "still running after SIGHUP" kill -0 "$DPID"
kill -TERM "$DPID"
rc=0
for _ in $(seq 1 40); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
wait "$DPID"
rc=$?
DPID=
check "SIGTERM: clean exit (status $rc, no sanitizer report)" test "$rc" = 0
check_match "stop line with counters" 'event=stop signal=TERM dhcp_received=[0-9]+ dhcp_answered=[0-9]+' "$(cat "$LOG")"

# ---- the inventory's part of the table: boot=local gets no answer; reloads ----
chmod 711 "$T"
INV=$T/inventory.ini
cat >"$INV" <<'EOF'
[profile p]
script = #!ipxe
    echo hello {{mac}}
[machine quiet]
mac = 52:54:00:de:ad:02
boot = local
[machine known]
mac = 52:54:00:de:ad:03
profile = p
[machine off]
mac = 52:54:00:de:ad:04
boot = disabled
EOF
chmod 644 "$INV"
start_daemon --inventory "$INV"
check_match "chainbootd starts with an inventory" 'event=start .*inventory=' "$(cat "$LOG")"
dhc --mac 52:54:00:de:ad:02 --arch 0 --user-class iPXE
check "boot = local: no answer" no_reply
check_match "boot = local: logged as such" 'mac=52:54:00:de:ad:02 .*decision=local' "$(cat "$LOG")"
dhc --mac 52:54:00:de:ad:03 --arch 0 --user-class iPXE
check_match "a listed machine that boots: answered" 'file="ipxe\.pxe"' "$OUT"
check_match "proxyDHCP lines name the inventory machine" \
	'event=proxydhcp .*mac=52:54:00:de:ad:03 .*machine=known decision=vendor-ipxe' "$(cat "$LOG")"
dhc --mac 52:54:00:de:ad:04 --arch 0 --user-class iPXE
check "boot = disabled: no answer" no_reply
check_match "boot = disabled: logged as disabled, not local" \
	'mac=52:54:00:de:ad:04 .*machine=off decision=disabled reason="inventory: boot=disabled"' "$(cat "$LOG")"
# TFTP lines carry the MAC the proxy saw with the client's address.
dhc --mac 52:54:00:de:ad:03 --arch 0 --user-class iPXE
ip netns exec "$NS_C" "$BUILD/tests/tools/tftpclient" -o "$T/got.pxe" 198.51.100.2 ipxe.pxe >/dev/null 2>&1
for _ in $(seq 1 20); do grep -q 'event=tftp .*file=ipxe.pxe' "$LOG" && break; sleep 0.1; done
check_match "TFTP line names the MAC proxyDHCP saw for that IP" \
	'event=tftp client=198\.51\.100\.[0-9]+:[0-9]+ mac=52:54:00:de:ad:03 file=ipxe\.pxe status=ok' "$(cat "$LOG")"
printf '[machine broken\n' >>"$INV"
kill -HUP "$DPID"
sleep 0.5
check_match "SIGHUP with a broken inventory: file:line logged, previous kept" \
	'event=reload trigger=signal .*status=failed kept=previous error=.*inventory\.ini:13' "$(cat "$LOG")"
dhc --mac 52:54:00:de:ad:02 --arch 0 --user-class iPXE
check "the previous inventory still rules (boot = local: no answer)" no_reply
# Fixed by an edit: the change is noticed without a signal.
sed -i -e '$d' -e 's/^boot = local$/profile = p/' "$INV"
for _ in $(seq 1 40); do grep -q 'trigger=change .*status=ok' "$LOG" && break; sleep 0.2; done
check_match "an edited inventory is reloaded by itself" 'event=reload trigger=change .*status=ok' "$(cat "$LOG")"
dhc --mac 52:54:00:de:ad:02 --arch 0 --user-class iPXE
check_match "and the machine now boots" 'file="ipxe\.pxe"' "$OUT"
kill -TERM "$DPID"
wait "$DPID"
rc=$?
DPID=
check "stops cleanly (status $rc)" test "$rc" = 0

# ---- a class too long to rebrand prebuilt binaries: a stock BIOS iPXE would ask again
# as iPXE and be offered ipxe.pxe for ever, so BIOS clients get no answer (UEFI ones
# get the class from autoexec.ipxe and are served)
start_daemon --user-class ABCDE
check_match "class ABCDE: the start warning says BIOS clients get no answer" \
	'event=bootfile warning=.*ABCDE.*BIOS clients get no answer' "$(cat "$LOG")"
dhc --arch 0 --user-class iPXE
check "class ABCDE, vendor iPXE BIOS: no answer (no loop)" no_reply
check_match "class ABCDE, vendor iPXE BIOS: logged as would-loop" \
	'event=proxydhcp .*class=iPXE .*decision=would-loop ' "$(cat "$LOG")"
dhc --arch 0
check "class ABCDE, BIOS PXE ROM (undionly.kpxe would ask as iPXE): no answer" no_reply
dhc --arch 7 --user-class iPXE --vendor PXEClient:Arch:00007:UNDI:003016
check_match "class ABCDE, vendor iPXE UEFI: still snponly.efi" 'file="snponly\.efi"' "$OUT"
kill -TERM "$DPID"
wait "$DPID"
DPID=

# ---- configuration errors and --check ----
check_fails "no listen address: a clear error" 'listen: not set' \
	env CHAINBOOT_DATADIR="$CHAINBOOT_SRCDIR" "$DAEMON" --check
check_fails "bad --uefi-strategy: named with the allowed values" '--uefi-strategy: uefi_strategy: "sometimes" is unknown \(allowed: auto, 4011, option43\)' \
	"$DAEMON" --listen 198.51.100.2 --uefi-strategy sometimes --check
check_fails "unknown user: named with the way out" 'user "cb-no-such-user" does not exist' \
	"$DAEMON" --listen 198.51.100.2 --user cb-no-such-user --check
printf '[server]\nlisten = 198.51.100.2\nhttp_port = 99999\n' >"$T/bad.ini"
check_fails "bad site file value: file:line" 'bad\.ini:3: http_port: "99999" is not a whole number' \
	"$DAEMON" -c "$T/bad.ini" --check
# listen = auto (the packaged site file's value): the one address of the interface
check_match "listen = auto with one address on the interface: configuration OK" '^configuration OK$' \
	"$(CHAINBOOT_DATADIR=$CHAINBOOT_SRCDIR ip netns exec "$NS_S" "$DAEMON" --listen auto --interface veth0 --check 2>&1)"
check_fails "listen = auto with two addresses: refused, both named" \
	'listen = auto: 2 addresses \(198\.51\.100\.2 \(veth0\), 198\.51\.100\.3 \(veth2\)\): set listen to the one on the boot network' \
	env CHAINBOOT_DATADIR="$CHAINBOOT_SRCDIR" ip netns exec "$NS_S" "$DAEMON" --listen auto --check
check_fails "dhcp-config refuses listen = auto (only chainbootd resolves it)" 'listen = auto is resolved by chainbootd only' \
	"$CHAINBOOT" dhcp-config dnsmasq --listen auto
check_match "--check prints configuration OK" '^configuration OK$' \
	"$(CHAINBOOT_DATADIR=$CHAINBOOT_SRCDIR ip netns exec "$NS_S" "$DAEMON" --listen 198.51.100.2 --check 2>&1)"
# "configuration OK" means it will start: this host's addresses, interfaces and files.
dchk() { CHAINBOOT_DATADIR=$CHAINBOOT_SRCDIR ip netns exec "$NS_S" "$DAEMON" "$@" --check; }
check_fails "--check: a listen address this host does not have" \
	'listen: 198\.51\.100\.77 is not an address of this host \(it has: .*198\.51\.100\.2' \
	dchk --listen 198.51.100.77
check_fails "--check: an interface that does not exist" 'interface: "cbnosuch0" does not exist on this host' \
	dchk --listen 198.51.100.2 --interface cbnosuch0
check_fails "--check: a missing boot_root" "boot_root: $T/nosuch: No such file or directory" \
	dchk --listen 198.51.100.2 --boot-root "$T/nosuch"
mkdir -p "$T/private" && chmod 700 "$T/private"
printf '[profile p]\nscript = #!ipxe\n' >"$T/private/inv.ini"
check_fails "--check: an inventory [server] user cannot read, naming the user" \
	"inventory: $T/private/inv\.ini: user nobody \(\[server\] user.*cannot read it: Permission denied" \
	dchk --listen 198.51.100.2 --user nobody --inventory "$T/private/inv.ini"
# proxyDHCP needs port 67: taken by another socket without SO_REUSEADDR -> a clear message
ip netns exec "$NS_S" python3 -c '
import socket, time, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 67)); print("bound", flush=True); time.sleep(5)' >"$T/hold.out" 2>&1 &
HOLD=$!
for _ in $(seq 1 20); do grep -q bound "$T/hold.out" && break; sleep 0.1; done
check_fails "port 67 in use: says what to do" 'cannot bind UDP port 67: Address already in use \(a DHCP server' \
	timeout 10 env CHAINBOOT_DATADIR="$CHAINBOOT_SRCDIR" ip netns exec "$NS_S" "$DAEMON" --listen 198.51.100.2 --no-tftp --http-port 8080
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null
finish
