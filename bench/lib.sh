# bench/lib.sh: shared plumbing for bench cases — namespaces, processes, CPU time, results.
# Sourced by bench/run.sh and every bench/cases/*.sh. A case runs as its own bash process
# with these variables set by run.sh:
#   BENCH_OUT    directory of this run's results (the case appends to $BENCH_OUT/<case>.tsv)
#   BENCH_BUILD  build directory holding chainbootd, chainboot and bench/ tools (absolute)
#   BENCH_SMOKE  1 = tiny sizes, one repetition (CI's bench-smoke), else 0
#   BENCH_REPS   repetitions per server (interleaved: A B C A B C …)
#   BENCH_ANCHOR directory with the anchor servers' extracted binaries (scripts/bench-deps.sh)
# Traffic stays inside the two namespaces made here (198.51.100.0/24) or on loopback.

BENCH_NET=198.51.100
BENCH_SRV_IP=$BENCH_NET.1
BENCH_CLI_IP=$BENCH_NET.2
BENCH_SRV_IF=cbs0
BENCH_CLI_IF=cbc0
BENCH_SRV_NS=cbb-srv-$$
BENCH_CLI_NS=cbb-cli-$$
BENCH_PIDS=()
BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cbbench.XXXXXX")

bench_log() { printf '  [%s] %s\n' "${BENCH_CASE:-bench}" "$*" >&2; }
bench_die() { printf 'bench %s: %s\n' "${BENCH_CASE:-}" "$*" >&2; exit 1; }

# bench_netns_up: two namespaces joined by a veth pair; server 198.51.100.1 on cbs0,
# client 198.51.100.2 on cbc0, IPv6 off (no router solicitations), no uplink.
bench_netns_up() {
	ip netns add "$BENCH_SRV_NS" && ip netns add "$BENCH_CLI_NS" || bench_die "cannot create namespaces (need root)"
	ip -n "$BENCH_SRV_NS" link add "$BENCH_SRV_IF" type veth peer name "$BENCH_CLI_IF" netns "$BENCH_CLI_NS" || bench_die "veth"
	local ns dev ip
	for ns in "$BENCH_SRV_NS:$BENCH_SRV_IF:$BENCH_SRV_IP" "$BENCH_CLI_NS:$BENCH_CLI_IF:$BENCH_CLI_IP"; do
		IFS=: read -r ns dev ip <<<"$ns"
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null
		ip -n "$ns" link set lo up
		ip -n "$ns" addr add "$ip/24" dev "$dev"
		ip -n "$ns" link set "$dev" up
	done
}
bench_in_srv() { ip netns exec "$BENCH_SRV_NS" "$@"; }
bench_in_cli() { ip netns exec "$BENCH_CLI_NS" "$@"; }

# bench_start VAR CMD…: start CMD in the background (stdout+stderr to $BENCH_TMP/VAR.log),
# remember its PID in VAR and for cleanup. Only PIDs we started are ever signalled.
bench_start() {
	local var=$1; shift
	"$@" >"$BENCH_TMP/$var.log" 2>&1 &
	BENCH_PIDS+=("$!")
	printf -v "$var" '%s' "$!"
}
# bench_stop PID: TERM, then KILL after 5 s; waits for it.
bench_stop() {
	local pid=$1 i keep=() p
	[ -n "$pid" ] || return 0
	# forget it first, so cleanup never signals a PID the system has since reused
	for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
	BENCH_PIDS=("${keep[@]}")
	kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}
# bench_wait_port NS PROTO PORT: wait (10 s) until something listens on PORT in NS.
bench_wait_port() {
	local ns=$1 proto=$2 port=$3 i
	for i in $(seq 100); do
		ip netns exec "$ns" ss -Hln"${proto:0:1}" "sport = :$port" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# bench_cpu_us PID: user+system CPU time of PID and its reaped children, in microseconds.
# Works across namespaces (the PID is in our PID namespace).
bench_cpu_us() {
	local f
	f=$(cut -d' ' -f14-17 "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	set -- $f
	echo $(( ($1 + $2 + $3 + $4) * 1000000 / $(getconf CLK_TCK) ))
}
# bench_rss_kb PID: resident set size (VmHWM, the peak) in KiB.
bench_rss_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# bench_record SERVER REP METRIC VALUE UNIT: one result row for this case.
#   metric names are the case's own (e.g. offers_per_s, cpu_us_per_offer, p99_ms);
#   bench/targets says which metric is compared with which anchor and how.
bench_record() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$BENCH_CASE" "$1" "$2" "$3" "$4" "$5" >>"$BENCH_OUT/$BENCH_CASE.tsv"
}
# bench_kv KEY < line-of-key=value: print the value of KEY from a tool's result line.
bench_kv() { tr ' ' '\n' | sed -n "s/^$1=//p" | head -n1; }

bench_cleanup() {
	local p
	for p in "${BENCH_PIDS[@]}"; do bench_stop "$p"; done
	ip netns delete "$BENCH_CLI_NS" 2>/dev/null
	ip netns delete "$BENCH_SRV_NS" 2>/dev/null
	rm -rf "$BENCH_TMP"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
