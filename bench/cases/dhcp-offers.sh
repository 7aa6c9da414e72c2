#!/bin/bash
# dhcp-offers: proxyDHCP offers per second from many fake MACs, 64 BIOS PXE DISCOVERs in
# flight (bench/tools/dhcpload), chainbootd against dnsmasq in proxy mode, interleaved.
# With DHCP_BENCH_MODE=latency (bench/cases/dhcp-latency.sh) it is the latency case: one
# request in flight, p50/p99. Each server runs alone in the server namespace, started
# fresh per repetition, logging one line per packet to a file as it does by default.
source "$(dirname "$0")/../lib.sh"
MODE=${DHCP_BENCH_MODE:-offers}
BENCH_CASE=dhcp-$MODE
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
: "${BENCH_OUT:?}" "${BENCH_BUILD:?}"
BENCH_SMOKE=${BENCH_SMOKE:-0}
BENCH_REPS=${BENCH_REPS:-5}
[ "$BENCH_SMOKE" = 1 ] && BENCH_REPS=1
mkdir -p "$BENCH_OUT"

DAEMON=$BENCH_BUILD/chainbootd
LOAD=$BENCH_BUILD/bench/dhcpload
DNSMASQ=
[ -n "${BENCH_ANCHOR:-}" ] && [ -x "$BENCH_ANCHOR/bin/dnsmasq" ] && DNSMASQ=$BENCH_ANCHOR/bin/dnsmasq
[ -n "$DNSMASQ" ] || DNSMASQ=$(command -v dnsmasq || true)
[ -n "$DNSMASQ" ] || DNSMASQ=$(PATH=/usr/sbin:/sbin:$PATH command -v dnsmasq || true)
[ -x "$DAEMON" ] || bench_die "$DAEMON is not built (make BUILD=… all)"
[ -x "$LOAD" ] || bench_die "$LOAD is not built (make BUILD=… bench-tools)"
[ -n "$DNSMASQ" ] || bench_die "dnsmasq not found (apt-get install dnsmasq-base, or scripts/bench-deps.sh)"
[ "$(id -u)" = 0 ] || bench_die "needs root (network namespaces, port 67)"

# Load shape: offers = 64 in flight from 5000 MACs for a fixed time; latency = one at a
# time. The count bounds a run as much as the duration does.
if [ "$MODE" = latency ]; then
	INFLIGHT=1 DUR=6 COUNT=50000
else
	INFLIGHT=64 DUR=8 COUNT=5000000
fi
WARM=2000
if [ "$BENCH_SMOKE" = 1 ]; then
	DUR=2 COUNT=2000 WARM=50
fi
LOAD_ARGS=(--iface "$BENCH_CLI_IF" --port 67 --inflight "$INFLIGHT" --macs 5000 --arch 0 --timeout-ms 1000)

bench_netns_up
ROOT=$BENCH_TMP/root
mkdir -p "$ROOT"
chmod a+rx "$BENCH_TMP" "$ROOT"
IPXE_DIR=${CHAINBOOT_IPXE_DIR:-$("$SRCDIR/scripts/deps.sh" --print-ipxe-dir 2>/dev/null || true)}
IPXE_ARGS=()
[ -n "$IPXE_DIR" ] && [ -d "$IPXE_DIR" ] && IPXE_ARGS=(--ipxe-dir "$IPXE_DIR")

# "udp-floor" is dhcpload --reflect: no DHCP work at all, each request bounced back as a
# broadcast — what the kernel and scheduler alone cost per round trip here (its replies
# carry no PXE options, so they are not counted valid; BENCH_DHCP_FLOOR=0 leaves it out).
# BENCH_DHCP_BEFORE=/path/to/an/older/chainbootd adds it as server "chainbootd-before"
# (before/after figures for a change, in the same interleaved run).
# "chainbootd-notimeline" (offers only) is the same binary with [server] timeline = no:
# what the boot timeline and its counters cost per offer (bench/targets: within 5 %).
SERVERS=(chainbootd dnsmasq)
[ "$MODE" = offers ] && SERVERS+=(chainbootd-notimeline)
[ "${BENCH_DHCP_FLOOR:-1}" = 1 ] && SERVERS+=(udp-floor)
[ -n "${BENCH_DHCP_BEFORE:-}" ] && SERVERS+=(chainbootd-before)

# start_server NAME: start it in the server namespace, wait until it serves; sets SPID.
start_server() {
	local i
	local bin=$DAEMON site=()
	case $1 in
	chainbootd | chainbootd-before | chainbootd-notimeline)
		[ "$1" = chainbootd-before ] && bin=$BENCH_DHCP_BEFORE
		if [ "$1" = chainbootd-notimeline ]; then
			printf '[server]\ntimeline = no\nstatus_listen = off\n' >"$BENCH_TMP/notimeline.ini"
			chmod 644 "$BENCH_TMP/notimeline.ini"
			site=(-c "$BENCH_TMP/notimeline.ini")
		fi
		# TFTP stays on: without it chainbootd rightly refuses BIOS PXE ROMs (they load
		# only by TFTP); nothing asks it for a file here.
		bench_start SPID env CHAINBOOT_DATADIR="$SRCDIR" ip netns exec "$BENCH_SRV_NS" "$bin" \
			"${site[@]}" --listen "$BENCH_SRV_IP" --interface "$BENCH_SRV_IF" --http-port 8080 \
			--user nobody --boot-root "$ROOT" "${IPXE_ARGS[@]}"
		for i in $(seq 100); do
			grep -q 'event=start ' "$BENCH_TMP/SPID.log" 2>/dev/null && return 0
			kill -0 "$SPID" 2>/dev/null || break
			sleep 0.1
		done
		;;
	dnsmasq)
		# As a service runs it: in the foreground (-k, not the -d debug mode that also
		# echoes every log line to stderr), its default per-packet log going to a file.
		: >"$BENCH_TMP/dnsmasq-file.log"
		chmod a+w "$BENCH_TMP/dnsmasq-file.log"
		bench_start SPID ip netns exec "$BENCH_SRV_NS" "$DNSMASQ" --keep-in-foreground --conf-file=/dev/null \
			--port=0 --dhcp-range="$BENCH_NET.0,proxy" --pxe-service=x86PC,"boot",undionly \
			--interface="$BENCH_SRV_IF" --bind-interfaces --user=nobody --pid-file= --leasefile-ro \
			--log-facility="$BENCH_TMP/dnsmasq-file.log"
		bench_wait_port "$BENCH_SRV_NS" udp 67 && kill -0 "$SPID" 2>/dev/null && return 0
		;;
	udp-floor)
		bench_start SPID ip netns exec "$BENCH_SRV_NS" "$LOAD" --reflect --iface "$BENCH_SRV_IF" --port 67 \
			--duration 300
		bench_wait_port "$BENCH_SRV_NS" udp 67 && kill -0 "$SPID" 2>/dev/null && return 0
		;;
	esac
	tail -n 20 "$BENCH_TMP/SPID.log" >&2
	bench_die "$1 did not start"
}

# kv KEY: the value of KEY in $RES (dhcpload's result line).
kv() { bench_kv "$1" <<<"$RES"; }
ms() { awk -v u="$1" 'BEGIN { printf "%.3f", u / 1000 }'; }

{
	echo "load: bench/tools/dhcpload, BIOS PXE DISCOVERs (options 57, 60, 93, 94, 97, 55) to 255.255.255.255:67 from 5000 fake MACs, $INFLIGHT in flight, ${DUR} s or $COUNT requests per run; every reply parsed and checked (op, xid, chaddr, yiaddr 0, PXEClient, option 54, boot file)"
	echo "servers log as they do by default, to a file: chainbootd one key=value line per reply on stderr, dnsmasq (-k, --log-facility=FILE) one line per reply; chainbootd also has TFTP and HTTP open"
	[ "$MODE" = offers ] && echo "chainbootd-notimeline: chainbootd with [server] timeline = no (and status_listen = off): no boot timeline, no counters; chainbootd itself keeps both (the default)"
	echo "udp-floor: dhcpload --reflect, a responder doing no DHCP work (each request sent straight back as a broadcast): the kernel's and scheduler's share of a round trip on this machine"
} >>"$BENCH_OUT/$BENCH_CASE.notes"

for rep in $(seq "$BENCH_REPS"); do
	for srv in "${SERVERS[@]}"; do
		start_server "$srv"
		# Warm-up (page faults, first-packet paths), and proof the setup answers at all.
		RES=$(bench_in_cli "$LOAD" "${LOAD_ARGS[@]}" --count "$WARM" --duration 5)
		ok=valid
		[ "$srv" = udp-floor ] && ok=replies
		if [ "$(kv $ok)" = 0 ] || [ -z "$(kv $ok)" ]; then
			tail -n 20 "$BENCH_TMP/SPID.log" >&2
			bench_die "$srv gave no valid reply to BIOS PXE DISCOVERs (warm-up: ${RES:-no result})"
		fi
		c0=$(bench_cpu_us "$SPID")
		RES=$(bench_in_cli "$LOAD" "${LOAD_ARGS[@]}" --count "$COUNT" --duration "$DUR")
		c1=$(bench_cpu_us "$SPID")
		bench_stop "$SPID"
		bench_log "rep $rep $srv: $RES server_cpu_us=$((c1 - c0))"
		valid=$(kv valid) replies=$(kv replies) rate=$(kv rate)
		[ -n "$replies" ] && [ "$(kv $ok)" -gt 0 ] || bench_die "$srv: no valid reply (${RES:-dhcpload failed})"
		[ "$srv" = udp-floor ] && rate=$(awk -v n="$replies" -v e="$(kv elapsed_s)" 'BEGIN { printf "%.1f", (e > 0 ? n / e : 0) }')
		if [ "$MODE" = latency ]; then
			bench_record "$srv" "$rep" p50_ms "$(ms "$(kv p50_us)")" ms
			bench_record "$srv" "$rep" p99_ms "$(ms "$(kv p99_us)")" ms
			bench_record "$srv" "$rep" max_ms "$(ms "$(kv max_us)")" ms
		else
			bench_record "$srv" "$rep" offers_per_s "$rate" offers/s
			bench_record "$srv" "$rep" cpu_us_per_offer \
				"$(awk -v c=$((c1 - c0)) -v n="$replies" 'BEGIN { printf "%.2f", c / n }')" us
			bench_record "$srv" "$rep" p50_ms "$(ms "$(kv p50_us)")" ms
			bench_record "$srv" "$rep" p99_ms "$(ms "$(kv p99_us)")" ms
			bench_record "$srv" "$rep" addresses_given "$(kv yiaddr_nonzero)" replies
			# The generator's own CPU share: it must not be the bottleneck.
			bench_record "$srv" "$rep" loadgen_cpu_pct \
				"$(awk -v c="$(kv cpu_us)" -v e="$(kv elapsed_s)" 'BEGIN { printf "%.1f", (e > 0 ? c / e / 1e4 : 0) }')" %
		fi
		[ "$srv" = udp-floor ] || bench_record "$srv" "$rep" invalid "$(kv invalid)" replies
		bench_record "$srv" "$rep" lost "$(kv lost)" requests
	done
done
