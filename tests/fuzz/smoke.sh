#!/bin/bash
# smoke: every libFuzzer harness for a short, bounded time on its seeds, as part of
# `make check`, so the harnesses and parsers cannot rot; long runs are `make fuzz`.
set -u
cd "$(dirname "$0")/../.." || exit 2
B=${CHAINBOOT_BUILD:?set by tests/run}/fuzz
T=${FUZZ_SMOKE_TIME:-10}
if ! ls "$B"/fuzz_* >/dev/null 2>&1; then
	echo "skip fuzz smoke (no harnesses in $B: build them with make fuzz-build; needs clang)"
	exit 0
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/cbfuzz.XXXXXX")
trap 'rm -rf "$W"' EXIT
tests/fuzz/mkcorpus.sh "$W/corpus" "${CHAINBOOT_IPXE_DIR:-}" >/dev/null 2>&1
fails=0
for h in "$B"/fuzz_*; do
	[ -x "$h" ] || continue
	n=${h##*/fuzz_}
	dict=tests/fuzz/$n.dict
	[ -f "$dict" ] || dict=tests/fuzz/ipxe.dict
	seeds=tests/fuzz/corpus/$n
	[ -d "$seeds" ] || seeds=
	mkdir -p "$W/corpus/$n" "$W/art"
	if "$h" -max_total_time="$T" -max_len=131072 -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
		-dict="$dict" -artifact_prefix="$W/art/$n-" "$W/corpus/$n" $seeds >"$W/$n.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$W/$n.log")
		echo "ok fuzz $n: ${runs:-?} runs in $T s, no crash"
	else
		echo "not ok fuzz $n: the harness failed (crash, leak, timeout or UBSan report)"
		tail -n 30 "$W/$n.log" | sed 's/^/#   /'
		fails=$((fails + 1))
	fi
done
[ "$fails" -eq 0 ]
