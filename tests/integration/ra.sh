#!/bin/bash
# ra.sh: chainbootd's Router Solicitation responder (server/ra.c) against the test client
# (tests/tools/rsclient, tests/tools/dhcpclient) in network namespaces this test creates:
#   srv  veth0 198.51.100.2/24 + its IPv6 link-local (chainbootd --interface veth0)
#   cli  veth1 198.51.100.50/24 + its link-local; a Linux host (accept_ra on) beside the
#        PXE clients the tools play
# Checks: an RS from a MAC chainbootd just answered in DHCP gets exactly one unicast RA
# (lifetime 0, M=0 O=0, no prefix/MTU/RDNSS, hop limit 255, our MAC), and the Linux host
# that receives it gains no route or address; an RS from any other MAC, without the
# source link-layer option, or with a hop limit below 255 gets nothing; an RS that comes
# before its client's DHCP request is answered when that request comes; ra_answer = off
# sends nothing; with --no-proxydhcp the DISCOVER is seen (not answered) and the same holds.
. "$(dirname "$0")/lib.sh"

BUILD=${CHAINBOOT_BUILD:-$CHAINBOOT_SRCDIR/build}
DAEMON=$BUILD/chainbootd
DHC=$BUILD/tests/tools/dhcpclient
RSC=$BUILD/tests/tools/rsclient
need_root_daemon ra ip
for f in "$DHC" "$RSC"; do
	[ -x "$f" ] || { notok "ra: $f is built (make tests)"; exit 1; }
done
id nobody >/dev/null 2>&1 || { echo "skip ra (no user nobody to drop to)"; exit 0; }

NS_S=cbra-s-$$ NS_C=cbra-c-$$
DPID=
at_exit 'ip netns delete "$NS_C" 2>/dev/null; ip netns delete "$NS_S" 2>/dev/null'
at_exit '[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && sleep 0.3 && kill -KILL "$DPID" 2>/dev/null'
setup() {
	local ns
	ip netns add "$NS_S" && ip netns add "$NS_C" || return 1
	for ns in "$NS_S" "$NS_C"; do
		# IPv6 on (link-local only: no router, no prefix); no DAD wait for the test
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
			net.ipv6.conf.default.disable_ipv6=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.all.accept_dad=0 || return 1
		ip -n "$ns" link set lo up || return 1
	done
	ip -n "$NS_S" link add veth0 type veth peer name veth1 netns "$NS_C" &&
		ip -n "$NS_S" addr add 198.51.100.2/24 dev veth0 &&
		ip -n "$NS_C" addr add 198.51.100.50/24 dev veth1 &&
		ip -n "$NS_S" link set veth0 up && ip -n "$NS_C" link set veth1 up
}
# ll_ready NS IF: IF has a usable (not tentative) link-local address, within 5 s.
ll_ready() {
	local i
	for ((i = 0; i < 50; i++)); do
		ip -n "$1" -6 addr show dev "$2" scope link | grep -v tentative | grep -q 'inet6 fe80' && return 0
		sleep 0.1
	done
	return 1
}
setup && ll_ready "$NS_S" veth0 && ll_ready "$NS_C" veth1 ||
	{ notok "ra: network namespaces with IPv6 link-local"; exit 1; }
SRV_MAC=$(ip netns exec "$NS_S" cat /sys/class/net/veth0/address)

LOG=$T/chainbootd.log
start_daemon() { # extra args
	: >"$LOG"
	CHAINBOOT_DATADIR=$CHAINBOOT_SRCDIR ip netns exec "$NS_S" "$DAEMON" -v --listen 198.51.100.2 \
		--http-port 8080 --interface veth0 --user nobody --boot-root "$T/none" "$@" >"$LOG" 2>&1 &
	DPID=$!
	wait_started "$LOG" "$DPID" 30
}
stop_daemon() {
	stop_clean "$1" "$DPID" "$LOG"
	DPID=
}
# dhc MAC ARGS...: a PXE ROM's DISCOVER (BIOS, vendor iPXE) from MAC.
dhc() {
	local mac=$1
	shift
	ip netns exec "$NS_C" "$DHC" --iface veth1 --wait 500 --count 1 --mac "$mac" "$@" >/dev/null 2>&1
}
# rs MAC ARGS...: one RS; every RA received within the wait in $OUT.
rs() {
	local mac=$1
	shift
	OUT=$(ip netns exec "$NS_C" "$RSC" --iface veth1 --mac "$mac" --wait 1200 "$@" 2>&1)
}
count() { grep -c '^reply=RA' <<<"$OUT"; }
none() { [ "$(count)" = 0 ] && grep -q '^received=0$' <<<"$OUT"; }

M1=52:54:00:aa:00:01 M2=52:54:00:aa:00:02 M3=52:54:00:aa:00:03 M4=52:54:00:aa:00:04
M5=52:54:00:aa:00:05 M6=52:54:00:aa:00:06

# ---- proxyDHCP mode ----
start_daemon
check_match "chainbootd starts with the RA responder on" 'event=start .*proxydhcp=yes .*ra_answer=on' "$(cat "$LOG")"
dhc "$M1" --arch 0 --user-class iPXE
rs "$M1"
check_match "RS from a client proxyDHCP just answered: one RA" '^received=1$' "$OUT"
check_match "the RA: unicast to the client's link-local address, hop limit 255" \
	'^reply=RA from=fe80::[0-9a-f:]+ to=fe80::[0-9a-f:]+ dst=unicast hops=255 ' "$OUT"
check_match "the RA: lifetime 0, M=0 O=0, reachable/retrans 0, our MAC as SLLA" \
	"managed=0 other=0 lifetime=0 reachable=0 retrans=0 slla=$SRV_MAC " "$OUT"
check_match "the RA: no prefix, MTU, RDNSS or other option" 'prefix=no mtu=no rdnss=no other_opts=0$' "$OUT"
check_match "the RA is logged with the MAC" "event=ra msg=RS mac=$M1 iface=veth0 from=fe80::.* decision=answer reply=RA lifetime=0 prefix=none" "$(cat "$LOG")"
routes=$(ip -n "$NS_C" -6 route show; ip -n "$NS_C" -6 addr show dev veth1 scope global)
check "the Linux host that got it has no default route and no global address" \
	test -z "$(grep -E 'default|inet6' <<<"$routes" | grep -v 'fe80::/64')"
rs "$M1" --wait 200
check_match "a later RS (iPXE's own, after the chain): answered too" '^received=1$' "$OUT"
rs "$M1" --wait 300
check "another RS within a second: nothing (one RA per second per client)" none
sleep 1
rs "$M1" --hops 64
check "RS with hop limit 64 (crossed a router): nothing" none
check_match "  logged as such" "mac=- .*reason=\"hop limit is not 255" "$(cat "$LOG")"
rs "$M1" --no-slla
check "RS without a source link-layer option: nothing" none
rs "$M2"
check "RS from a MAC not seen in DHCP (a host not booting): nothing" none
check_match "  logged at debug with the MAC" "event=ra.debug msg=RS mac=$M2 .*decision=ignore reason=\"not a PXE client" "$(cat "$LOG")"
dhc "$M3" --no-vendor
rs "$M3"
check "RS from an ordinary DHCP client (no PXEClient): nothing" none
# RS first, DHCP after (iPXE sends both at once): answered when the DISCOVER comes
ip netns exec "$NS_C" "$RSC" --iface veth1 --mac "$M4" --wait 3000 >"$T/rs4" 2>&1 &
RSPID=$!
sleep 0.5
dhc "$M4" --arch 7 --user-class iPXE --vendor PXEClient:Arch:00007:UNDI:003016
wait "$RSPID"
check_match "RS before the client's DISCOVER: answered once the DISCOVER is" '^received=1$' "$(cat "$T/rs4")"
stop_daemon "proxyDHCP mode"

# ---- ra_answer = off ----
printf '[server]\nra_answer = off\n' >"$T/off.ini"
start_daemon -c "$T/off.ini"
check_match "ra_answer = off: start line says so" 'event=start .*ra_answer=off' "$(cat "$LOG")"
dhc "$M5" --arch 0 --user-class iPXE
rs "$M5"
check "ra_answer = off: a booting client's RS gets nothing" none
stop_daemon "ra_answer = off"
printf '[server]\nlisten = 198.51.100.2\nra_answer = maybe\n' >"$T/bad.ini"
check_fails "ra_answer = maybe: refused with file:line" 'bad\.ini:3: .*ra_answer: "maybe" is not on or off' \
	ip netns exec "$NS_S" "$DAEMON" -c "$T/bad.ini" --check

# ---- --no-proxydhcp: the DISCOVER is only seen ----
start_daemon --no-proxydhcp
check_match "--no-proxydhcp: starts with the RA responder on" 'event=start .*proxydhcp=no .*ra_answer=on' "$(cat "$LOG")"
OUT=$(ip netns exec "$NS_C" "$DHC" --iface veth1 --wait 500 --count 1 --mac "$M6" --arch 0 --user-class iPXE 2>&1)
check_match "--no-proxydhcp: the DISCOVER gets no DHCP answer from chainbootd" '^replies=0$' "$OUT"
check_match "--no-proxydhcp: the DISCOVER was noted" "event=ra.debug msg=DISCOVER mac=$M6 decision=noted" "$(cat "$LOG")"
rs "$M6"
check_match "--no-proxydhcp: RS from that client: one unicast RA, lifetime 0, no prefix" \
	'^reply=RA .* dst=unicast hops=255 .*lifetime=0 .*prefix=no mtu=no rdnss=no other_opts=0' "$OUT"
check_match "--no-proxydhcp: exactly one" '^received=1$' "$OUT"
rs "$M2"
check "--no-proxydhcp: RS from a MAC not seen in DHCP: nothing" none
stop_daemon "--no-proxydhcp"

# ---- IPv6 off on the interface: chainbootd starts, says why there is no responder ----
ip netns exec "$NS_S" sysctl -qw net.ipv6.conf.veth0.disable_ipv6=1
start_daemon
check_match "IPv6 off on veth0: starts, the responder unavailable and why" \
	'event=ra status=unavailable error=.*veth0: no IPv6 link-local address' "$(cat "$LOG")"
check_match "  start line says unavailable" 'event=start .*ra_answer=unavailable' "$(cat "$LOG")"
stop_daemon "IPv6 off"
finish
