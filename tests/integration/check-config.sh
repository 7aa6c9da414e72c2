#!/bin/bash
# check-config: the shipped example is OK; a bad site file lists every error as
# "file:line: key: what is wrong, what is allowed"; the command line overrides the file.
. "$(dirname "$0")/lib.sh"

out=$("$CHAINBOOT" check-config --site examples/site.ini 2>&1)
check_match "examples/site.ini: configuration OK" '^configuration OK$' "$out"

cat >"$T/bad.ini" <<'INI'
[site]
user_class = 
label = lower case

[chain]
url = ftp://198.51.100.1/boot.ipxe
rounds = 0
backoff = 5s
try_offered = maybe
colour = blue

[image]
layout = ../../etc
arch = sparc
[nonsense]
INI
out=$("$CHAINBOOT" check-config --site "$T/bad.ini" 2>&1)
rc=$?
check "bad file: non-zero exit" test $rc -ne 0
check_match "bad file: empty user_class at line 2" "bad.ini:2: user_class: .* is empty" "$out"
check_match "bad file: label at line 3" 'bad.ini:3: label: "lower case" may hold only A-Z' "$out"
check_match "bad file: ftp URL at line 6" 'bad.ini:6: url: "ftp://198.51.100.1/boot.ipxe" must start with http:// or https://' "$out"
check_match "bad file: rounds range at line 7" 'bad.ini:7: rounds: "0" is not a whole number from 1 to 100' "$out"
check_match "bad file: backoff junk at line 8" 'bad.ini:8: backoff: "5s" is not a whole number' "$out"
check_match "bad file: boolean at line 9" 'bad.ini:9: try_offered: "maybe" is not yes or no' "$out"
check_match "bad file: unknown key at line 10" 'bad.ini:10: \[chain\] colour: unknown key' "$out"
check_match "bad file: layout name at line 13" 'bad.ini:13: layout: "../../etc" is not a layout name' "$out"
check_match "bad file: arch at line 14" 'bad.ini:14: arch: "sparc" is not a list of architectures \(allowed: x86_64, arm64\)' "$out"
check_match "bad file: empty unknown section at line 15" 'bad.ini:15: \[nonsense\]: unknown section' "$out"
if grep -q 'configuration OK' <<<"$out"; then notok "bad file: not OK"; else ok "bad file: not OK"; fi

printf '[chain]\nurl = http://198.51.100.1/a\nthis line has no equals sign\n' >"$T/syntax.ini"
check_fails "syntax error names the line" 'syntax.ini:3: not a "key = value" line' "$CHAINBOOT" check-config --site "$T/syntax.ini"

printf '[chain]\nurl = http://198.51.100.1/%s\n' "$(head -c 400 /dev/zero | tr '\0' a)" >"$T/long.ini"
out=$("$CHAINBOOT" check-config --site "$T/long.ini" 2>&1)
if grep -q 'configuration OK' <<<"$out"; then
	ok "long URL line is read whole"
else
	check_match "long URL line is refused with its line number" 'long.ini:2: line longer than' "$out"
fi

check_fails "missing site file" 'nope.ini: cannot read the site file: No such file' "$CHAINBOOT" check-config --site "$T/nope.ini"

# The command line wins over the file.
s=$("$CHAINBOOT" script --site examples/site.ini --user-class LAB1 --url http://198.51.100.9/x.ipxe)
check_match "override: --user-class replaces the file's" 'set user-class LAB1' "$s"
check_match "override: --url replaces the file's list" '198\.51\.100\.9/x\.ipxe' "$s"
if grep -q '198.51.100.1/boot.ipxe' <<<"$s"; then notok "override: file URLs gone"; else ok "override: file URLs gone"; fi
check_fails "bad override names the flag" '--rounds: rounds: "x"' "$CHAINBOOT" check-config --site examples/site.ini --rounds x
# Item 3 of issue 13: what inih would take silently, and URLs iPXE cannot use.
cat >"$T/dup.ini" <<'INI'
[chain]
url = http://198.51.100.1/a.ipxe
url = http://198.51.100.1/b.ipxe
rounds = 2
rounds = 4
url http://198.51.100.1/c.ipxe
[image]
layout = nosuch
[chain]
backoff = 1
INI
out=$("$CHAINBOOT" check-config --site "$T/dup.ini" 2>&1)
rc=$?
check "dup file: exit 2" test $rc -eq 2
check_match "duplicate key: an error naming both lines" 'dup.ini:5: \[chain\] rounds: already set at line 4' "$out"
if grep -q 'dup.ini:3' <<<"$out"; then notok "[chain] url may repeat"; else ok "[chain] url may repeat"; fi
check_match "duplicate section: an error naming both lines" 'dup.ini:9: \[chain\]: the section is already opened at line 1' "$out"
check_match "url without '=': says to write key = value" 'dup.ini:6: "url http://198.51.100.1/c.ipxe" is not a "key = value" line .*write key = value, e.g. url = http://198.51.100.1/c.ipxe' "$out"
check_match "unknown layout: file:line, with the other errors" 'dup.ini:8: layout: "nosuch" is unknown \(have: ' "$out"
check_fails "unknown --layout: exit 2, named by its flag" '^chainboot build: --layout: layout: "nosuch" is unknown|--layout: layout: "nosuch" is unknown' \
	"$CHAINBOOT" check-config --site examples/site.ini --layout nosuch
"$CHAINBOOT" build --site examples/site.ini --layout nosuch -o "$T/x.iso" >/dev/null 2>&1
check "build --layout nosuch: exit 2 (a configuration error)" test $? -eq 2
check_fails "URL with a space refused" 'url: "http://198.51.100.1/a b.ipxe" has a space' \
	"$CHAINBOOT" check-config --site examples/site.ini --url 'http://198.51.100.1/a b.ipxe'
check_fails "URL with port 99999 refused" 'url: "http://198.51.100.1:99999/a.ipxe" has a port outside 1 to 65535' \
	"$CHAINBOOT" check-config --site examples/site.ini --url 'http://198.51.100.1:99999/a.ipxe'
check "URL with port 8080 and an IPv6 literal accepted" \
	"$CHAINBOOT" check-config --site examples/site.ini --url 'http://198.51.100.1:8080/a.ipxe' --url 'http://[2001:db8::1]:81/b.ipxe'
# https:// with prebuilt binaries: they trust only iPXE's own root, so a site CA fails at
# boot; check-config says so and names the fix. Binaries from build-ipxe --trust (its
# stamp in the directory) do not get the warning; http:// never does.
HTTPS=https://198.51.100.1:8443/boot.ipxe
mkdir -p "$T/stock" "$T/trusted" "$T/untrusted"
for d in stock trusted untrusted; do cp "$CHAINBOOT_IPXE_DIR/ipxe.lkrn" "$CHAINBOOT_IPXE_DIR/ipxe-amd64.efi" "$T/$d/"; done
printf 'user_class = CSTM\ntrust = 1\nkey = x\n' >"$T/trusted/.chainboot-build-ipxe"
printf 'user_class = CSTM\ntrust = 0\nkey = x\n' >"$T/untrusted/.chainboot-build-ipxe"
out=$("$CHAINBOOT" check-config --url "$HTTPS" --ipxe-dir "$T/stock" --arch x86_64 2>&1)
check "https:// with prebuilt binaries: still configuration OK (exit $?)" grep -qx 'configuration OK' <<<"$out"
check_match "https:// with prebuilt binaries: a warning naming the URL, the directory and the fix" \
	"warning: \\[chain\\] url ${HTTPS//./\\.} is https://, but the iPXE binaries in $T/stock are prebuilt: .*Permission denied.*chainboot build-ipxe --trust CA.pem" "$out"
out=$("$CHAINBOOT" check-config --url "$HTTPS" --ipxe-dir "$T/untrusted" --arch x86_64 2>&1)
check_match "https:// with build-ipxe binaries without --trust: warned too" 'were built without --trust: .*build-ipxe --trust CA.pem' "$out"
out=$("$CHAINBOOT" check-config --url "$HTTPS" --ipxe-dir "$T/trusted" --arch x86_64 2>&1)
check "https:// with build-ipxe --trust binaries: no warning" test "$out" = "configuration OK"
out=$("$CHAINBOOT" check-config --url http://198.51.100.1/boot.ipxe --ipxe-dir "$T/stock" --arch x86_64 2>&1)
check "http:// with prebuilt binaries: no warning" test "$out" = "configuration OK"
cat >"$T/inv.ini" <<'INI'
[profile install]
script = #!ipxe
    kernel http://198.51.100.1/vmlinuz
    initrd https://198.51.100.1:8443/initrd.img
    boot
INI
out=$("$CHAINBOOT" check-config --url http://198.51.100.1/boot.ipxe --inventory "$T/inv.ini" --ipxe-dir "$T/stock" --arch x86_64 2>&1)
check_match "an https:// URL in the inventory: warned with file:line" "warning: $T/inv.ini:4: https://198\\.51\\.100\\.1:8443/initrd\\.img is https://, but .* are prebuilt" "$out"
# https:// only on comment lines (INI's # and ;, a script's #): nothing is fetched, no warning
cat >"$T/inv-comments.ini" <<'INI'
# the mirror moves to https://198.51.100.1:8443/ next year
; https://198.51.100.1:8443/old
[profile install]
script = #!ipxe
    # initrd https://198.51.100.1:8443/initrd.img
    kernel http://198.51.100.1/vmlinuz
    boot
INI
out=$("$CHAINBOOT" check-config --url http://198.51.100.1/boot.ipxe --inventory "$T/inv-comments.ini" --ipxe-dir "$T/stock" --arch x86_64 2>&1)
check "https:// only in comment lines of the inventory: no warning" test "$out" = "configuration OK"
finish
