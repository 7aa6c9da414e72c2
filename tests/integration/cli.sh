#!/bin/bash
# cli: each command takes only its own options (another command's option is a usage error
# naming it), has its own --help, and help and the unknown-command message list every
# command of the table; a layout narrows the default architectures, an --arch it cannot
# boot is an error.
. "$(dirname "$0")/lib.sh"
URL=http://198.51.100.1/boot.ipxe
COMMANDS="build inspect check-config script rebrand build-ipxe write try dhcp-config help version"

# check_exit DESC CODE REGEX CMD...: exit status CODE and output matching REGEX.
check_exit() {
	local desc=$1 want=$2 re=$3 out rc
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq "$want" ] && grep -qE -- "$re" <<<"$out"; then ok "$desc"; else
		notok "$desc (exit $rc, wanted $want and /$re/)"
		printf '%s\n' "$out" | head -20 | sed 's/^/#   /'
	fi
}

check_exit "inspect --rounds: usage error naming --rounds and where it belongs" 2 \
	'chainboot inspect: --rounds is not an option of inspect, only of build' \
	"$CHAINBOOT" inspect --rounds 3 x.iso
check_exit "inspect --rounds=3: the same" 2 '--rounds is not an option of inspect' \
	"$CHAINBOOT" inspect x.iso --rounds=3
check_exit "rebrand --layout: not its option" 2 '--layout is not an option of rebrand' \
	"$CHAINBOOT" rebrand --layout bios a b
check_exit "write --url: not its option" 2 '--url is not an option of write' \
	"$CHAINBOOT" write --url $URL a b
check_exit "try -o: not its option" 2 '-o is not an option of try, only of build' \
	"$CHAINBOOT" try -o x a.iso
check_exit "dhcp-config --rounds: not its option" 2 '--rounds is not an option of dhcp-config' \
	"$CHAINBOOT" dhcp-config dnsmasq --rounds 2
check_exit "an option of no command" 2 'unknown option --frobnicate' \
	"$CHAINBOOT" script --url $URL --frobnicate
check_exit "a flag given a value" 2 '--json takes no value' "$CHAINBOOT" inspect --json=yes x.iso
check_exit "a missing value" 2 '--url needs a value \(URL\)' "$CHAINBOOT" script --url
# The same option where it belongs is accepted.
check_exit "script --rounds 3 is fine" 0 'set rounds 3|rounds.*3' "$CHAINBOOT" script --url $URL --rounds 3

out=$("$CHAINBOOT" help 2>&1)
for c in $COMMANDS; do
	check_match "help lists $c" "^  $c +[a-z]" "$out"
done
for c in $COMMANDS; do
	[ "$c" = help ] || [ "$c" = version ] && continue
	check_exit "$c --help: its own usage" 0 "^usage: chainboot $c " "$CHAINBOOT" "$c" --help
	check_exit "help $c: the same text" 0 "^usage: chainboot $c " "$CHAINBOOT" help "$c"
done
check_exit "build --help shows --rounds" 0 '--rounds N' "$CHAINBOOT" build --help
out=$("$CHAINBOOT" inspect --help 2>&1)
if grep -q -- '--rounds\|--url' <<<"$out"; then notok "inspect --help shows only its options"; else
	ok "inspect --help shows only its options"
fi
out=$("$CHAINBOOT" write --help 2>&1)
if grep -q -- 'test-pause' <<<"$out"; then notok "write --help hides its test hook"; else
	ok "write --help hides its test hook"
fi

out=$("$CHAINBOOT" frobnicate 2>&1)
rc=$?
check "unknown command: exit 2 (got $rc)" test $rc -eq 2
for c in $COMMANDS; do
	check_match "unknown command lists $c" "commands: .*\\b$c\\b" "$out"
done
check_exit "no command: the overview on stderr, exit 2" 2 '^commands:' "$CHAINBOOT"
check_exit "version" 0 '^chainboot [0-9]' "$CHAINBOOT" --version

# --layout bios boots x86_64 only: the default list (x86_64 arm64) narrows to it ...
check_exit "bios layout with the default arch: configuration OK" 0 '^configuration OK$' \
	"$CHAINBOOT" check-config --url $URL --layout bios
check_exit "bios layout with the default arch builds, for x86_64" 0 'layout bios, arch x86_64,' \
	"$CHAINBOOT" build --url $URL --layout bios -o "$T/b.iso"
# ... as does a site file's list, with a note ...
printf '[chain]\nurl = %s\n[image]\narch = x86_64 arm64\n' $URL >"$T/site.ini"
check_exit "bios layout with the site file's arch: narrowed, with a note" 0 \
	"note: layout bios boots only x86_64: arch narrowed from the site file's \"x86_64 arm64\"" \
	"$CHAINBOOT" check-config --site "$T/site.ini" --layout bios
# ... but an explicit --arch it cannot boot is an error.
check_exit "bios layout with --arch arm64: error" 2 'layout bios boots only x86_64, not arm64' \
	"$CHAINBOOT" check-config --url $URL --layout bios --arch arm64
check_exit "bios layout with --arch 'x86_64 arm64': error" 2 'boots only x86_64, not arm64' \
	"$CHAINBOOT" build --url $URL --layout bios --arch "x86_64 arm64" -o "$T/b2.iso"
check "refused build left no image" test ! -e "$T/b2.iso"
check_exit "hybrid keeps both" 0 'arch x86_64 arm64,' \
	"$CHAINBOOT" build --url $URL --layout hybrid -o "$T/h.iso"
# Issue 13 item 7: one exit status (2) for every configuration error, one message each.
for cmd in "build -o $T/e.iso" script check-config "dhcp-config dnsmasq --listen 198.51.100.1" \
	"rebrand $T/in.pxe $T/out.pxe"; do
	# shellcheck disable=SC2086 # the command and its arguments split on purpose
	check_exit "missing site file: exit 2 (${cmd%% *})" 2 'nope\.ini: cannot read the site file' \
		"$CHAINBOOT" $cmd --site "$T/nope.ini"
done
check_exit "--layout nosuch: exit 2, like every other setting" 2 '--layout: layout: "nosuch" is unknown' \
	"$CHAINBOOT" build --url $URL --layout nosuch -o "$T/n.iso"
out=$("$CHAINBOOT" build --url ftp://x/y -o "$T/f.iso" 2>&1)
check_match "--url ftp://x/y: says why" '--url: url: "ftp://x/y" must start with http://' "$out"
if grep -q 'no inventory URL' <<<"$out"; then notok "--url ftp://x/y: no misleading \"no inventory URL\""
else ok "--url ftp://x/y: no misleading \"no inventory URL\""; fi
out=$("$CHAINBOOT" script --url 'http://198.51.100.1/${net0/mac}' 2>&1)
check_match "--url with \${…}: refused, named by the flag" '^chainboot script: --url: url: .* holds "\$\{…\}"' "$out"
if grep -q 'chain\.ipxe\.in' <<<"$out"; then notok "--url with \${…}: no template path"
else ok "--url with \${…}: no template path"; fi
check_exit "check-config takes the [server] flags" 0 '^configuration OK$' "$CHAINBOOT" check-config --url $URL \
	--listen 198.51.100.1 --interface eth0 --http-port 8080 --boot-root /srv/x --inventory i.ini --user nobody \
	--proxydhcp yes --no-proxydhcp --tftp no --no-tftp --efi-binary ipxe --uefi-strategy 4011 --tftp-max 4 --http-max 8
check_exit "check-config checks a [server] flag's value" 2 '--http-port: http_port: "99999" is not a whole number' \
	"$CHAINBOOT" check-config --url $URL --http-port 99999
finish
