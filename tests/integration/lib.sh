# lib.sh: helpers for the integration tests (sourced). Each check prints one
# "ok …" / "not ok …" line for tests/run; temp files live in $T, removed on exit.
set -u
: "${CHAINBOOT:=build/chainboot}"
: "${CHAINBOOT_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
cd "$CHAINBOOT_SRCDIR" || exit 2
T=$(mktemp -d "${TMPDIR:-/tmp}/cbtest.XXXXXX")
_cleanups=()
trap 'for c in "${_cleanups[@]}"; do eval "$c"; done; rm -rf "$T"' EXIT
at_exit() { _cleanups=("$1" "${_cleanups[@]}"); }
FAILS=0

ok() { echo "ok $*"; }
notok() { echo "not ok $*"; FAILS=$((FAILS + 1)); }

# check DESC CMD...: the command must succeed.
check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$desc"; else
		notok "$desc"
		printf '%s\n' "$out" | head -20 | sed 's/^/#   /'
	fi
}

# check_fails DESC REGEX CMD...: the command must fail and print something matching REGEX.
check_fails() {
	local desc=$1 re=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && grep -qE -- "$re" <<<"$out"; then ok "$desc"; else
		notok "$desc (exit $rc, wanted failure matching /$re/)"
		printf '%s\n' "$out" | head -20 | sed 's/^/#   /'
	fi
}

# check_match DESC REGEX TEXT
check_match() {
	if grep -qE -- "$2" <<<"$3"; then ok "$1"; else
		notok "$1 (no /$2/ in:)"
		printf '%s\n' "$3" | head -20 | sed 's/^/#   /'
	fi
}

finish() { [ "$FAILS" -eq 0 ]; }

# ---- chainbootd tests: network namespaces and the daemon's life -----------------

# need_root_daemon NAME TOOL...: a skip line and exit 0 unless $DAEMON (chainbootd) is
# built, this runs as root (network namespaces, ports below 1024) and each TOOL is found.
need_root_daemon() {
	local name=$1 tool
	shift
	if [ ! -x "$DAEMON" ]; then
		echo "skip $name: $DAEMON not built (make)"
		exit 0
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "skip $name: not root (network namespaces and ports below 1024 need root)"
		exit 0
	fi
	for tool in "$@"; do
		command -v "$tool" >/dev/null || { echo "skip $name: $tool not installed"; exit 0; }
	done
}

# ns_lo NAME: one network namespace of this test, loopback only (deleted on exit); its
# name in $NS. Non-zero if it could not be made.
ns_lo() {
	NS=cb$1-$$-$RANDOM
	ip netns add "$NS" || return 1
	at_exit "ip netns delete $NS 2>/dev/null"
	ip -n "$NS" link set lo up
}

# ns_pair S C SADDR CADDR [SIF CIF]: two network namespaces of this test (deleted on
# exit), joined by a veth pair: SIF in S with SADDR/24, CIF in C with CADDR/24 (none if
# CADDR is empty); loopback up and IPv6 off in both. Non-zero if a step failed.
ns_pair() {
	local s=$1 c=$2 sa=$3 ca=$4 si=${5:-cbs0} ci=${6:-cbc0} ns
	at_exit "ip netns delete $c 2>/dev/null; ip netns delete $s 2>/dev/null"
	ip netns add "$s" && ip netns add "$c" || return 1
	for ns in "$s" "$c"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 && ip -n "$ns" link set lo up || return 1
	done
	ip -n "$s" link add "$si" type veth peer name "$ci" netns "$c" &&
		ip -n "$s" addr add "$sa/24" dev "$si" &&
		{ [ -z "$ca" ] || ip -n "$c" addr add "$ca/24" dev "$ci"; } &&
		ip -n "$s" link set "$si" up && ip -n "$c" link set "$ci" up
}

# wait_started LOG PID SECONDS: until chainbootd has logged event=start in LOG. Non-zero
# if PID ended or the time ran out first.
wait_started() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q 'event=start' "$1" && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	grep -q 'event=start' "$1"
}

# stop_clean DESC PID LOG: SIGTERM; the daemon must exit with status 0 within 5 s and
# its log hold no sanitizer report. One ok/not ok line.
stop_clean() {
	local desc=$1 pid=$2 log=$3 rc= i
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; rc=$?; break; fi
		sleep 0.1
	done
	if [ "$rc" = 0 ] && ! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error' "$log"; then
		ok "$desc: clean exit on SIGTERM, no sanitizer report"
	else
		notok "$desc: clean exit on SIGTERM, no sanitizer report (status ${rc:-still running})"
		grep -E -A8 'Sanitizer|runtime error' "$log" | head -30 | sed 's/^/#   /'
		tail -5 "$log" | sed 's/^/#   /'
	fi
}
