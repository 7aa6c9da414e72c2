#!/bin/bash
# bench-smoke: every bench case once with tiny sizes (bench/run.sh --smoke), so the bench
# cannot rot: each case must write rows, the summary and a chart per case must appear.
# Speed is not judged here (the targets are make bench's business). Installs what the
# bench needs (scripts/bench-deps.sh). Uses the plain -O2 build when make check names it
# (CHAINBOOT_PLAIN_BUILD), else $CHAINBOOT_BUILD.
. "$(dirname "$0")/lib.sh"

BUILD=${CHAINBOOT_PLAIN_BUILD:-${CHAINBOOT_BUILD:-build}}
case $BUILD in /*) ;; *) BUILD=$CHAINBOOT_SRCDIR/$BUILD ;; esac
if [ "$(id -u)" != 0 ]; then
	echo "skip bench-smoke: not root (network namespaces need root)"
	exit 0
fi
if [ ! -x "$BUILD/chainbootd" ]; then
	echo "skip bench-smoke: $BUILD/chainbootd not built"
	exit 0
fi
check "bench-smoke: scripts/bench-deps.sh installs the bench's tools and anchors" scripts/bench-deps.sh
missing=()
for f in bench/tools/*.c; do
	[ -f "$f" ] || continue
	b=$(basename "$f" .c)
	[ -x "$BUILD/bench/$b" ] || missing+=("$b")
done
if [ ${#missing[@]} -gt 0 ]; then
	notok "bench-smoke: bench tools built in $BUILD/bench (missing: ${missing[*]}; make BUILD=$BUILD bench-tools)"
	exit 1
fi

OUT=$T/results
BENCH_CASE_LIMIT=${BENCH_CASE_LIMIT:-120} bench/run.sh --smoke --build "$BUILD" --out "$OUT" >"$T/run.log" 2>&1
rc=$?
for f in bench/cases/*.sh; do
	c=$(basename "$f" .sh)
	st=$(awk -F'\t' -v c="$c" '$1 == c {print $2 " (exit " $3 ", " $4 " rows, " $5 " s)"}' "$OUT/status.tsv" 2>/dev/null)
	if [ "${st%% *}" = ok ] && [ -s "$OUT/$c.tsv" ]; then
		ok "bench-smoke $c ${st#ok }"
	else
		notok "bench-smoke $c ${st:-(did not run)}"
		tail -n 15 "$OUT/$c.log" 2>/dev/null | sed 's/^/#   /'
	fi
done
check_match "bench-smoke: run.sh exits 0 when every case wrote rows (exit $rc)" '^0$' "$rc"
check "bench-smoke: summary.md written" test -s "$OUT/summary.md"
check_match "bench-smoke: the summary evaluates the targets" '^## Targets' "$(cat "$OUT/summary.md" 2>/dev/null)"
check_match "bench-smoke: the summary names the machine" '^- machine: [0-9]+ CPUs' "$(cat "$OUT/summary.md" 2>/dev/null)"
for f in "$OUT"/*.tsv; do
	c=$(basename "$f" .tsv)
	case $c in status|medians) continue ;; esac
	check "bench-smoke: chart $c.png" test -s "$OUT/$c.png"
done
if [ "$rc" != 0 ]; then
	grep -E '^bench' "$T/run.log" | tail -n 20 | sed 's/^/#   /'
fi
finish
