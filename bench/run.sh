#!/bin/bash
# bench/run.sh: run the bench cases (chainbootd and chainboot against the anchors people
# use today), then write summary.md and one chart per case into the results directory.
#
#   bench/run.sh [--smoke] [--reps N] [--out DIR] [--build DIR] [--anchor DIR] [CASE…]
#
#   --smoke      every case once with tiny sizes (checks that the bench runs, not speed)
#   --reps N     repetitions per server, interleaved (default 5; --smoke: 1)
#   --out DIR    results directory (default bench/results/<YYYY-MM-DD>[-HHMM])
#   --build DIR  build with chainbootd, chainboot and bench/ tools (default build/, -O2)
#   --anchor DIR the anchor servers (default: scripts/bench-deps.sh --print-anchor-dir)
#   CASE…        only these cases (names of bench/cases/*.sh without .sh)
#
# Needs root (network namespaces). A failed case is reported and the others still run;
# the exit status is 1 when any case failed (targets missed do not fail the run).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SMOKE=0 REPS='' OUT='' BUILD=$ROOT/build ANCHOR=''
CASES=()
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SMOKE=1 ;;
	--reps) REPS=${2:?--reps needs a number}; shift ;;
	--out) OUT=${2:?--out needs a directory}; shift ;;
	--build) BUILD=${2:?--build needs a directory}; shift ;;
	--anchor) ANCHOR=${2:?--anchor needs a directory}; shift ;;
	-h|--help) usage 0 ;;
	-*) echo "bench: unknown option $1" >&2; usage 2 >&2 ;;
	*) CASES+=("$1") ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || { echo "bench: run as root (the cases create network namespaces)" >&2; exit 2; }
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
[ -x "$BUILD/chainbootd" ] || { echo "bench: $BUILD/chainbootd missing: make BUILD=$BUILD all bench-tools" >&2; exit 2; }
[ -n "$REPS" ] || { [ "$SMOKE" = 1 ] && REPS=1 || REPS=5; }
case $REPS in ''|*[!0-9]*|0) echo "bench: --reps must be a positive number, not '$REPS'" >&2; exit 2 ;; esac
[ -n "$ANCHOR" ] || ANCHOR=$("$ROOT/scripts/bench-deps.sh" --print-anchor-dir)
if [ -z "$OUT" ]; then
	OUT=$ROOT/bench/results/$(date -u +%F)
	[ -e "$OUT" ] && OUT=$OUT-$(date -u +%H%M)
fi
mkdir -p "$OUT" || exit 2
OUT=$(cd "$OUT" && pwd)

if [ ${#CASES[@]} -eq 0 ]; then
	for f in "$ROOT"/bench/cases/*.sh; do [ -f "$f" ] && CASES+=("$(basename "$f" .sh)"); done
fi
for c in "${CASES[@]}"; do
	[ -f "$ROOT/bench/cases/$c.sh" ] || { echo "bench: no case $c (bench/cases/$c.sh)" >&2; exit 2; }
done

export BENCH_OUT=$OUT BENCH_BUILD=$BUILD BENCH_SMOKE=$SMOKE BENCH_REPS=$REPS BENCH_ANCHOR=$ANCHOR
# Binaries built outside the tree find layouts/ and scripts/ here.
export CHAINBOOT_DATADIR=${CHAINBOOT_DATADIR:-$ROOT}
# A case may not run longer than this (it is killed with TERM, its cleanup still runs).
CASE_LIMIT=${BENCH_CASE_LIMIT:-$([ "$SMOKE" = 1 ] && echo 300 || echo 3600)}

{
	echo "date=$(date -u +%FT%TZ)"
	echo "host=$(uname -n)"
	echo "kernel=$(uname -srm)"
	echo "nproc=$(nproc)"
	echo "cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n1)"
	echo "mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
	echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "smoke=$SMOKE"
	echo "reps=$REPS"
	echo "build=$BUILD"
	echo "commit=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
} >"$OUT/machine.txt"

echo "bench: results in $OUT (reps $REPS$([ "$SMOKE" = 1 ] && echo ', smoke'))"
failed=()
: >"$OUT/status.tsv"
for c in "${CASES[@]}"; do
	rm -f "$OUT/$c.tsv" "$OUT/$c.notes"
	t0=$(date +%s.%N)
	echo "bench: case $c"
	BENCH_CASE=$c timeout --signal=TERM --kill-after=30 "$CASE_LIMIT" \
		bash "$ROOT/bench/cases/$c.sh" 2> >(tee "$OUT/$c.log" >&2)
	rc=$?
	secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
	rows=0
	[ -f "$OUT/$c.tsv" ] && rows=$(wc -l <"$OUT/$c.tsv")
	if [ "$rc" = 0 ] && [ "$rows" -gt 0 ]; then
		status=ok
	else
		status=failed
		failed+=("$c")
		[ "$rc" = 124 ] && echo "bench: case $c killed after $CASE_LIMIT s" >&2
	fi
	printf '%s\t%s\t%s\t%s\t%s\n' "$c" "$status" "$rc" "$rows" "$secs" >>"$OUT/status.tsv"
	echo "bench: case $c: $status (exit $rc, $rows rows, $secs s)"
done
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"

python3 "$ROOT/bench/summarize" "$OUT" "$ROOT/bench/targets" >"$OUT/summary.md" ||
	{ echo "bench: summarize failed" >&2; failed+=(summarize); }
if command -v gnuplot >/dev/null; then
	"$ROOT/bench/plot" "$OUT" || { echo "bench: plot failed" >&2; failed+=(plot); }
else
	echo "bench: gnuplot missing (scripts/bench-deps.sh installs it): no charts" >&2
fi
echo "bench: summary in $OUT/summary.md"
grep -E '^- (met|MISSED|not measured)' "$OUT/summary.md" 2>/dev/null | sed 's/^/  /'
if [ ${#failed[@]} -gt 0 ]; then
	echo "bench: FAILED: ${failed[*]}" >&2
	exit 1
fi
