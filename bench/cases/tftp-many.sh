#!/bin/bash
# tftp-many: a room of PXE clients pulling one big file at once — 32 clients × 32 MiB,
# blksize 1468 — from chainbootd, dnsmasq and tftpd-hpa: MB/s and server CPU per MB.
# It is also the engine of tftp-window.sh and tftp-bigblock.sh, which set TFTP_* and
# source this file. Each client sends from its own address (198.51.100.10 on), as the
# machines of a room would. Server CPU is that of its whole process tree (tftpd-hpa
# forks a child per transfer, which /proc counts only once reaped; atftpd runs a thread
# each): every server runs in its own cgroup, whose usage is read before and after.
# Knobs (the other two cases set them): TFTP_SERVERS, TFTP_CLIENTS, TFTP_SIZE_MIB,
# TFTP_BLKSIZE, TFTP_WINDOW, TFTP_REPEAT (transfers per client), TFTP_MTU, TFTP_PIN,
# TFTP_BASELINE, TFTP_MAX (every server's cap on transfers), TFTP_SRC_COUNT (client
# addresses, default one per client), TFTP_STORM (tftp-storm.sh: see there). Rows:
# mb_per_s, cpu_ms_per_mb (server CPU per MB moved), p99_ms (of a whole transfer),
# failed (transfers).
BENCH_CASE=${TFTP_CASE:-tftp-many}
. "$(dirname "$0")/../lib.sh"

SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
SERVERS=${TFTP_SERVERS:-chainbootd dnsmasq tftpd-hpa}
# TFTP_BASELINE=path/to/an/older/chainbootd: also measure it, as "chainbootd-baseline",
# in the same rotation (before/after figures of a change).
[ -n "${TFTP_BASELINE:-}" ] && SERVERS="$SERVERS chainbootd-baseline"
CLIENTS=${TFTP_CLIENTS:-32}
SIZE_MIB=${TFTP_SIZE_MIB:-32}
BLKSIZE=${TFTP_BLKSIZE:-1468}
WINDOW=${TFTP_WINDOW:-1}
REPEAT=${TFTP_REPEAT:-1}
MTU=${TFTP_MTU:-1500}
TMAX=${TFTP_MAX:-256}
STORM=${TFTP_STORM:-}
# PIN=1: the load tool on the last CPU, the server (threads and forks included) on the
# others, so the tool neither steals the server's cores nor preempts it at every
# packet, as clients on other machines would not. PIN=0: the scheduler places both.
PIN=${TFTP_PIN:-0}
NCPU=$(nproc)
[ "$NCPU" -ge 2 ] || PIN=0
SRV_PIN=() CLI_PIN=()
[ "$PIN" = 1 ] && SRV_PIN=(taskset -c "0-$(( NCPU - 2 ))") CLI_PIN=(taskset -c "$(( NCPU - 1 ))")
REPS=${BENCH_REPS:-5}
ANCHOR=${BENCH_ANCHOR:-/var/cache/chainboot/bench/root}
if [ "${BENCH_SMOKE:-0}" = 1 ]; then
	CLIENTS=$(( CLIENTS < 4 ? CLIENTS : 4 ))
	SIZE_MIB=1
	REPEAT=1
	REPS=1
	[ -z "$STORM" ] || STORM=4
fi
SRC_COUNT=${TFTP_SRC_COUNT:-$CLIENTS}
TOOL=$BENCH_BUILD/bench/tftpload
[ -x "$TOOL" ] || bench_die "$TOOL is not built (make BUILD=$BENCH_BUILD bench-tools)"
[ -x "$BENCH_BUILD/chainbootd" ] || bench_die "$BENCH_BUILD/chainbootd is not built"
(( SRC_COUNT <= 200 )) || bench_die "TFTP_SRC_COUNT over 200: addresses from 198.51.100.10"

# ---- CPU of a process tree: cgroup v2 (cpu.stat usage_usec), else v1 cpuacct, else
# the main process's own and reaped children's time (undercounts forking servers)
CG_ROOT= CG_KIND=
while read -r _ mnt type opts _; do
	case $type in
	cgroup2) [ -z "$CG_ROOT" ] && mkdir "$mnt/cbbench-$$" 2>/dev/null && rmdir "$mnt/cbbench-$$" &&
		CG_ROOT=$mnt CG_KIND=v2 ;;
	esac
done </proc/mounts
if [ -z "$CG_ROOT" ]; then
	while read -r _ mnt type opts _; do
		[ "$type" = cgroup ] && [[ ",$opts," == *,cpuacct,* ]] && mkdir "$mnt/cbbench-$$" 2>/dev/null &&
			rmdir "$mnt/cbbench-$$" && { CG_ROOT=$mnt CG_KIND=v1; break; }
	done </proc/mounts
fi
[ -n "$CG_ROOT" ] || bench_log "no writable cgroup: server CPU from /proc (misses unreaped children)"
CGS=()
# cg_new NAME: make a cgroup for one server run, path in CG (empty: none).
cg_new() {
	CG=
	[ -n "$CG_ROOT" ] || return 0
	CG=$CG_ROOT/cbbench-$$-$1
	mkdir "$CG" || bench_die "cannot create cgroup $CG"
	CGS+=("$CG")
}
# cg_exec CG CMD…: join CG (this subshell, before exec), then become CMD.
cg_exec() {
	local cg=$1; shift
	[ -z "$cg" ] || echo "$BASHPID" >"$cg/cgroup.procs" || exit 126
	exec "$@"
}
# cg_usage_us CG PID: CPU time used so far in CG (or by PID when there is no cgroup).
cg_usage_us() {
	case $CG_KIND in
	v2) awk '$1 == "usage_usec" { print $2 }' "$1/cpu.stat" ;;
	v1) echo $(( $(cat "$1/cpuacct.usage") / 1000 )) ;;
	*) bench_cpu_us "$2" ;;
	esac
}
# cg_end CG: end what is left in CG (children of a server we started), remove it.
cg_end() {
	local cg=$1 p i procs
	[ -n "$cg" ] && [ -d "$cg" ] || return 0
	for i in $(seq 20); do
		procs=$(cat "$cg/cgroup.procs" 2>/dev/null) # (cgroup files have size 0: no -s)
		[ -n "$procs" ] || break
		for p in $procs; do kill -KILL "$p" 2>/dev/null; done
		sleep 0.1
	done
	rmdir "$cg" 2>/dev/null
}
cg_cleanup() { local c; for c in "${CGS[@]}"; do cg_end "$c"; done; }
trap 'cg_cleanup; bench_cleanup' EXIT

# ---- network: the pair from lib.sh, one client address per client, the case's MTU
bench_netns_up
for (( i = 0; i < SRC_COUNT; i++ )); do
	ip -n "$BENCH_CLI_NS" addr add "$BENCH_NET.$(( 10 + i ))/24" dev "$BENCH_CLI_IF" || bench_die "client address"
done
if [ "$MTU" != 1500 ]; then
	ip -n "$BENCH_SRV_NS" link set "$BENCH_SRV_IF" mtu "$MTU" &&
		ip -n "$BENCH_CLI_NS" link set "$BENCH_CLI_IF" mtu "$MTU" || bench_die "MTU $MTU on the veth pair"
fi

# ---- the served file, readable by nobody (every server drops to it)
chmod 711 "$BENCH_TMP"
ROOT=$BENCH_TMP/root
mkdir -p "$ROOT"
SIZE=$(( SIZE_MIB * 1024 * 1024 ))
head -c "$SIZE" /dev/urandom >"$ROOT/big.bin" || bench_die "cannot write $ROOT/big.bin"
chmod -R a+rX "$ROOT"

# anchor NAME FILE: the anchor daemon (scripts/bench-deps.sh's bin/NAME, or FILE as
# dpkg-deb -x left it); fails when absent.
anchor() {
	local p
	for p in "$ANCHOR/bin/$1" "$ANCHOR/$2"; do
		[ -x "$p" ] && { echo "$p"; return 0; }
	done
	return 1
}

# server_cmd NAME: the command line that serves $ROOT on 198.51.100.1:69 in the
# foreground as nobody; empty when the server is not installed.
server_cmd() {
	local bin
	case $1 in
	chainbootd|chainbootd-baseline)
		bin=$BENCH_BUILD/chainbootd
		[ "$1" = chainbootd ] || bin=$TFTP_BASELINE
		[ -x "$bin" ] || return 1
		CMD=(env CHAINBOOT_DATADIR="$SRCDIR" "$bin" --listen "$BENCH_SRV_IP"
		     --no-proxydhcp --boot-root "$ROOT" --http-port 8080 --user nobody --tftp-max "$TMAX"
		     --ipxe-dir "$("$SRCDIR/scripts/deps.sh" --print-ipxe-dir)") ;;
	dnsmasq)
		bin=$(anchor dnsmasq usr/sbin/dnsmasq || command -v dnsmasq) || return 1
		CMD=("$bin" --no-daemon --conf-file=/dev/null --port=0 --no-hosts --no-resolv --pid-file=
		     --enable-tftp --tftp-root="$ROOT" --tftp-max="$TMAX" --interface="$BENCH_SRV_IF"
		     --bind-interfaces --user=nobody --group=nogroup --log-facility=-) ;;
	tftpd-hpa)
		bin=$(anchor tftpd-hpa usr/sbin/in.tftpd) || return 1
		CMD=("$bin" --foreground --listen --address "$BENCH_SRV_IP:69"
		     --user nobody --secure "$ROOT") ;;
	atftpd)
		bin=$(anchor atftpd usr/sbin/atftpd) || return 1
		CMD=("$bin" --daemon --no-fork --port 69 --bind-address "$BENCH_SRV_IP"
		     --user nobody --group nogroup --maxthread "$TMAX" --logfile - "$ROOT") ;;
	*) bench_die "unknown server $1" ;;
	esac
}

declare -A MISSING=()
for s in $SERVERS; do
	server_cmd "$s" || { MISSING[$s]=1; bench_log "skip $s: not installed (scripts/bench-deps.sh, BENCH_ANCHOR=$ANCHOR)"; }
done

opts=(--server "$BENCH_SRV_IP" --file big.bin --clients "$CLIENTS" --repeat "$REPEAT" --blksize "$BLKSIZE"
      --windowsize "$WINDOW" --expect-size "$SIZE" --src "$BENCH_NET.10" --src-count "$SRC_COUNT"
      --timeout-ms 1000 --retries 5 --deadline-s 300)
if [ -n "$STORM" ]; then
	bench_log "storm: ${STORM// /, } clients at once × $SIZE_MIB MiB from $SRC_COUNT address(es), blksize $BLKSIZE + tsize, 500 ms client timeout, every block verified, tftp_max $TMAX, $REPS reps: $SERVERS"
else
	bench_log "$CLIENTS clients × $REPEAT × $SIZE_MIB MiB, blksize $BLKSIZE, windowsize $WINDOW, MTU $MTU, pinned $PIN, $REPS reps: $SERVERS"
fi

# storm_measure SERVER REP: for each N of TFTP_STORM, N clients start at once against the
# running server (firmware-like: tsize, 500 ms retransmit timeout); rows stormN_*.
storm_measure() {
	local s=$1 rep=$2 n line p50 max
	for n in $STORM; do
		line=$("${CLI_PIN[@]}" ip netns exec "$BENCH_CLI_NS" "$TOOL" --server "$BENCH_SRV_IP" --file big.bin \
			--clients "$n" --blksize "$BLKSIZE" --tsize --expect-size "$SIZE" --verify "$ROOT/big.bin" \
			--src "$BENCH_NET.10" --src-count "$SRC_COUNT" --timeout-ms 500 --retries 20 --deadline-s 300) ||
			bench_log "$s rep $rep storm $n: transfers failed: $line"
		p50=$(bench_kv p50_ms <<<"$line") max=$(bench_kv max_ms <<<"$line")
		[ -n "$max" ] || bench_die "$s: no result from tftpload"
		bench_record "$s" "$rep" "storm${n}_retransmits" "$(bench_kv retrans <<<"$line")" count
		bench_record "$s" "$rep" "storm${n}_slowest_ms" "$max" ms
		bench_record "$s" "$rep" "storm${n}_median_ms" "$p50" ms
		bench_record "$s" "$rep" "storm${n}_slowest_per_median" \
			"$(awk -v a="$max" -v b="$p50" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')" x
		bench_record "$s" "$rep" "storm${n}_mb_per_s" "$(bench_kv mbps <<<"$line")" MB/s
		bench_record "$s" "$rep" "storm${n}_failed" "$(bench_kv failed <<<"$line")" transfers
		bench_log "$s rep $rep storm $n: $line"
		sleep 0.5 # the last ACKs land, slots free
	done
}
for (( rep = 1; rep <= REPS; rep++ )); do
	for s in $SERVERS; do
		[ -z "${MISSING[$s]:-}" ] || continue
		server_cmd "$s"
		cg_new "$s-$rep"
		cg=$CG
		bench_start PID cg_exec "$cg" "${SRV_PIN[@]}" ip netns exec "$BENCH_SRV_NS" "${CMD[@]}"
		if ! bench_wait_port "$BENCH_SRV_NS" udp 69; then
			tail -n 5 "$BENCH_TMP/PID.log" >&2
			bench_die "$s did not listen on UDP port 69"
		fi
		# done starting when idle (chainbootd binds, then rebrands its boot files)
		cpu0=$(cg_usage_us "$cg" "$PID")
		for i in $(seq 50); do
			sleep 0.1
			c=$(cg_usage_us "$cg" "$PID")
			(( c - cpu0 < 2000 )) && { cpu0=$c; break; }
			cpu0=$c
		done
		if [ -n "$STORM" ]; then
			storm_measure "$s" "$rep"
			bench_stop "$PID"
			cg_end "$cg"
			continue
		fi
		line=$("${CLI_PIN[@]}" ip netns exec "$BENCH_CLI_NS" "$TOOL" "${opts[@]}") || bench_log "$s rep $rep: transfers failed: $line"
		sleep 0.2 # the last ACKs and child exits land
		cpu1=$(cg_usage_us "$cg" "$PID")
		bench_stop "$PID"
		keep=() # stopped: never signal that PID again (it may be reused)
		for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$PID" ] || keep+=("$p"); done
		BENCH_PIDS=("${keep[@]}")
		cg_end "$cg"
		bytes=$(bench_kv bytes <<<"$line")
		[ -n "$bytes" ] || bench_die "$s: no result from tftpload"
		cpu_ms_mb=$(awk -v c=$(( cpu1 - cpu0 )) -v b="$bytes" 'BEGIN { printf "%.3f", (b > 0 ? c / 1000 / (b / 1e6) : 0) }')
		bench_record "$s" "$rep" mb_per_s "$(bench_kv mbps <<<"$line")" MB/s
		bench_record "$s" "$rep" cpu_ms_per_mb "$cpu_ms_mb" ms/MB
		bench_record "$s" "$rep" p99_ms "$(bench_kv p99_ms <<<"$line")" ms
		bench_record "$s" "$rep" failed "$(bench_kv failed <<<"$line")" transfers
		bench_log "$s rep $rep: $line server_cpu_ms_per_mb=$cpu_ms_mb"
	done
done
