#!/bin/bash
# completion: completion/chainboot loads into bash with bash-completion and registers
# chainboot and chainbootd; for a few partial command lines (COMP_WORDS as bash sets them)
# it offers the commands, each command's options, option values, and chainbootd's options,
# taken from the built programs' --help.
. "$(dirname "$0")/lib.sh"

BUILD=${CHAINBOOT_BUILD:-build}
BC=/usr/share/bash-completion/bash_completion
[ -f "$BC" ] || { echo "skip completion: bash-completion not installed"; exit 0; }
for f in "$BUILD/chainboot" "$BUILD/chainbootd"; do
	[ -x "$f" ] || { notok "completion: $f built"; exit 1; }
done
C=$CHAINBOOT_SRCDIR/completion/chainboot
check_match "completion: complete -p shows chainboot and chainbootd" \
	'^complete -F _chainboot chainboot.*complete -F _chainbootd chainbootd$' \
	"$(bash -c "source $BC; source $C; complete -p chainboot chainbootd" 2>&1 | tr '\n' ' ' | sed 's/ $//')"

# comp WORDS...: what completing the last word offers, sorted, on one line
comp() {
	PATH=$BUILD:$PATH bash -c '
		source "$1"; source "$2"; shift 2
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		fn=$(complete -p "$1" | sed -E "s/.*-F ([^ ]+) .*/\1/")
		"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$BC" "$C" "$@" 2>&1
}
# expect DESC WANTED-REGEX WORDS...
expect() {
	local desc=$1 re=$2
	shift 2
	check_match "completion: $desc" "$re" "$(comp "$@")"
}
expect "'chainboot b' offers build and build-ipxe" '^build build-ipxe $' chainboot b
expect "'chainboot ' offers every command" 'build .*check-config .*dhcp-config .*inspect .*rebrand .*try .*write ' chainboot ''
expect "'chainboot build --ro' offers --rounds" '^--rounds $' chainboot build --ro
expect "'chainboot build --layout ' offers the layouts" '^bios efi hybrid usb $' chainboot build --layout ''
expect "'chainboot build -a ' offers the architectures" '^arm64 x86_64 $' chainboot build -a ''
expect "'chainboot try --firm' offers --firmware" '^--firmware $' chainboot try --firm
expect "'chainboot try --firmware u' offers uefi" '^uefi $' chainboot try --firmware u
expect "'chainboot write --' offers write's options" '--force .*--json .*--no-verify .*--yes' chainboot write --
expect "'chainboot dhcp-config ' offers the formats" '^dnsmasq isc kea $' chainboot dhcp-config ''
out=$(comp chainboot dhcp-config --)
if grep -q -- '--no-proxydhcp' <<<"$out"; then
	notok "completion: dhcp-config does not offer chainbootd's --no-proxydhcp ($out)"
else
	ok "completion: dhcp-config does not offer chainbootd's --no-proxydhcp"
fi
expect "'chainboot --ver' offers --version" '^--version $' chainboot --ver
expect "'chainbootd --log' offers --log-format" '^--log-format $' chainbootd --log
expect "'chainbootd --log-format j' offers json" '^json $' chainbootd --log-format j
expect "'chainbootd --no-' offers --no-proxydhcp and --no-tftp" '^--no-proxydhcp --no-tftp $' chainbootd --no-
expect "'chainbootd --uefi-strategy ' offers the strategies" '^4011 auto option43 $' chainbootd --uefi-strategy ''
# every option offered for chainbootd is one it accepts
for o in $(comp chainbootd --); do
	out=$("$BUILD/chainbootd" "$o" 1 --help 2>&1)
	if grep -qE 'unrecognized option|invalid option' <<<"$out"; then notok "completion: chainbootd accepts $o"; bad=1; fi
done
[ -z "${bad:-}" ] && ok "completion: every option offered for chainbootd is accepted"
finish
