#!/bin/bash
# bootstorm: a room of machines powering on at once — 1,000 simulated BIOS PXE clients
# (bench/tools/bootstorm) started within 10 s, each DISCOVER → REQUEST on 4011 → TFTP of a
# 100 KiB file → HTTP script, against chainbootd in its own network namespace; firmware-
# like timeouts (DISCOVER/REQUEST again after 1-2 s, TFTP 500 ms, HTTP 1 s). Each
# client sends from its own address (198.51.100.10-249 on the client side, as real
# machines each have one), so chainbootd's per-address TFTP cap sees what it would see
# in a real room. No anchor publishes this; targets: 0 failures, p99 end-to-end ≤ 2 s.
# Records per repetition: failures, p50_ms, p99_ms, max_ms, tftp_retransmits,
# dhcp_retries (DISCOVERs and 4011 REQUESTs sent again), rss_kb (peak) and cpu_ms of
# the daemon. BENCH_SMOKE=1: 50 clients over 2 s. BOOTSTORM_CLIENTS, BOOTSTORM_SPREAD
# (seconds; 0: every client in the same instant) and BOOTSTORM_TFTP_MAX (chainbootd's
# --tftp-max, default its own 256) change the room.
set -u
BENCH_CASE=bootstorm
. "$(dirname "$0")/../lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)

DAEMON=$BENCH_BUILD/chainbootd
STORM=$BENCH_BUILD/bench/bootstorm
for f in "$DAEMON" "$STORM"; do
	[ -x "$f" ] || bench_die "$f is not built (make BUILD=$BENCH_BUILD all bench-tools)"
done
id nobody >/dev/null 2>&1 || bench_die "no user nobody for chainbootd to drop to"
if [ -z "${CHAINBOOT_IPXE_DIR:-}" ]; then
	CHAINBOOT_IPXE_DIR=$("$SRC/scripts/deps.sh" --print-ipxe-dir) || bench_die "no iPXE binaries (scripts/deps.sh)"
fi
export CHAINBOOT_IPXE_DIR
export CHAINBOOT_DATADIR=${CHAINBOOT_DATADIR:-$SRC}

if [ "${BENCH_SMOKE:-0}" = 1 ]; then
	CLIENTS=50 SPREAD=2 REPS=1
else
	CLIENTS=${BOOTSTORM_CLIENTS:-1000} SPREAD=${BOOTSTORM_SPREAD:-10} REPS=${BENCH_REPS:-3}
fi
SIZE=102400

# the daemon runs as nobody: everything it reads must be world-readable
chmod 711 "$BENCH_TMP"
ROOT=$BENCH_TMP/root
mkdir -p "$ROOT"
head -c $SIZE /dev/urandom >"$ROOT/storm.bin"
# one known machine (the first client's MAC) with its profile; everyone else: the menu
cat >"$BENCH_TMP/inventory.ini" <<'EOF'
[menu]
default = linux
timeout = 5
[profile linux]
description = Install Linux
script = #!ipxe
    kernel http://{{server}}/vmlinuz console=ttyS0 mac={{mac}}
    initrd http://{{server}}/initrd.img
    boot
[machine first]
mac = 52:54:00:00:00:00
profile = linux
EOF
chmod -R a+rX "$ROOT" "$BENCH_TMP/inventory.ini"

bench_netns_up
# 240 client addresses, one per simulated machine (round robin beyond 240)
for i in $(seq 10 249); do echo "address add $BENCH_NET.$i/24 dev $BENCH_CLI_IF"; done |
	ip -n "$BENCH_CLI_NS" -batch - || bench_die "cannot add the client addresses"

for rep in $(seq 1 "$REPS"); do
	# ip netns exec execs the daemon (no fork), so the PID is chainbootd's own
	bench_start DPID ip netns exec "$BENCH_SRV_NS" "$DAEMON" --listen "$BENCH_SRV_IP" --interface "$BENCH_SRV_IF" \
		--boot-root "$ROOT" --inventory "$BENCH_TMP/inventory.ini" --http-port 8080 --user nobody \
		${BOOTSTORM_TFTP_MAX:+--tftp-max "$BOOTSTORM_TFTP_MAX"}
	bench_wait_port "$BENCH_SRV_NS" tcp 8080 || { cat "$BENCH_TMP/DPID.log" >&2; bench_die "chainbootd did not start"; }
	bench_wait_port "$BENCH_SRV_NS" udp 69 && bench_wait_port "$BENCH_SRV_NS" udp 67 || bench_die "chainbootd: no TFTP or proxyDHCP"
	# the ports are bound before the boot files are prepared: the storm starts at "event=start"
	for _ in $(seq 100); do grep -q 'event=start' "$BENCH_TMP/DPID.log" && break; sleep 0.1; done
	out=$(bench_in_cli "$STORM" --iface "$BENCH_CLI_IF" --server "$BENCH_SRV_IP" --clients "$CLIENTS" \
		--spread "$SPREAD" --tftp-file storm.bin --expect-size $SIZE --http-port 8080 \
		--src "$BENCH_NET.10-249" --timeout-ms 60000 --tftp-rto 500 2>"$BENCH_TMP/storm.err")
	rss=$(bench_rss_kb "$DPID")
	cpu=$(bench_cpu_us "$DPID")
	bench_stop "$DPID"
	line=$(grep '^clients=' <<<"$out")
	[ -n "$line" ] || { cat "$BENCH_TMP/storm.err" >&2; bench_die "bootstorm printed no result"; }
	bench_log "rep $rep: $line rss_kb=$rss"
	[ -s "$BENCH_TMP/storm.err" ] && sed 's/^/    /' "$BENCH_TMP/storm.err" | head -n 12 >&2
	bench_record chainbootd "$rep" failures "$(bench_kv failed <<<"$line")" count
	bench_record chainbootd "$rep" p50_ms "$(bench_kv p50_ms <<<"$line")" ms
	bench_record chainbootd "$rep" p99_ms "$(bench_kv p99_ms <<<"$line")" ms
	bench_record chainbootd "$rep" max_ms "$(bench_kv max_ms <<<"$line")" ms
	bench_record chainbootd "$rep" tftp_retransmits "$(bench_kv tftp_retransmits <<<"$line")" count
	bench_record chainbootd "$rep" dhcp_retries "$(($(bench_kv dhcp_retries <<<"$line") + $(bench_kv pxe_retries <<<"$line")))" count
	bench_record chainbootd "$rep" rss_kb "$rss" KiB
	bench_record chainbootd "$rep" cpu_ms $((cpu / 1000)) ms
done
