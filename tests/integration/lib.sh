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
