#!/bin/bash
# http: chainbootd's HTTP service against the project's test client (tests/tools/
# httpclient), inside a network namespace this test creates (loopback only): scripts
# from the inventory (known MAC/UUID/serial/prefix → profile, unknown → menu, menu
# choice), escaping of hostile facts, generators (ok, failing, slow, too big, not a
# script → menu), HEAD, Range, sendfile and in-memory files byte for byte, keep-alive,
# pipelining, 404 without paths, path escapes, 400/405/414/431, slow clients, the
# connection cap, a reload with a broken inventory, one log line per request.
# CHAINBOOTD=path overrides the daemon (default: $CHAINBOOT_BUILD/chainbootd).
. "$(dirname "$0")/lib.sh"

BUILD=${CHAINBOOT_BUILD:-build}
DAEMON=${CHAINBOOTD:-$BUILD/chainbootd}
CLIENT=$BUILD/tests/tools/httpclient
need_root_daemon http ip nsenter python3 cmp
[ -x "$CLIENT" ] || { notok "http: $CLIENT not built"; exit 1; }

ns_lo http || { notok "http: create network namespace"; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
# Background clients run as `nsenter ... &` written out (not through a function, which
# would run in a subshell): nsenter execs the client, so $! is the client's own PID.
PORT=8080
hc() { in_ns "$CLIENT" "$@"; }
# get DESC EXPECT-REGEX CLIENT-ARGS... (host and port added)
get() {
	local desc=$1 re=$2 out
	shift 2
	out=$(hc "$@" 2>&1)
	LAST=$out
	check_match "http: $desc" "$re" "$out"
}

# ---- files the daemon serves: the boot root (sendfile) and the inventory
chmod 711 "$T"
R=$T/root
mkdir -p "$R/sub"
python3 - "$R" "$T" <<'PY'
import os, random, sys
r, t = sys.argv[1], sys.argv[2]
rnd = random.Random(9112)
open(f"{r}/big.bin", "wb").write(rnd.randbytes(3 * 1024 * 1024 + 77))
open(f"{r}/sub/vmlinuz", "wb").write(rnd.randbytes(100000))
open(f"{r}/empty", "wb").write(b"")
open(f"{r}/hello.txt", "w").write("hello\n")
open(f"{t}/outside.txt", "w").write("secret outside the root\n")
PY
ln -s ../outside.txt "$R/link-out"
chmod -R a+rX "$R"
chmod 644 "$T/outside.txt"

G=$T/gen
mkdir -p "$G"
cat >"$G/ok.sh" <<'EOF'
#!/bin/sh
printf '#!ipxe\necho generated for %s uuid %s var %s machine %s\n' "$CB_MAC" "$CB_UUID" "$CB_VAR_greeting" "$CB_MACHINE"
EOF
printf '#!/bin/sh\necho "#!ipxe"\necho "cannot reach the CMDB" >&2\nexit 3\n' >"$G/fail.sh"
printf '#!/bin/sh\nsleep 30\n' >"$G/slow.sh"
printf '#!/bin/sh\nhead -c 100000 /dev/zero\n' >"$G/big.sh"
printf '#!/bin/sh\necho hello\n' >"$G/noscript.sh"
chmod 755 "$G" "$G"/*.sh

INV=$T/inventory.ini
cat >"$INV" <<EOF
[menu]
default = p
timeout = 7
[profile p]
description = Profile P
script = #!ipxe
    echo profile p for {{machine}} mac {{mac}} serial {{serial}} host {{hostname}} from {{client}}
    echo var {{greeting}} server {{server}}
var.greeting = hello
[profile q]
description = Profile Q
script = #!ipxe
    echo profile q
[profile hidden]
menu = no
script = #!ipxe
    echo hidden
[profile gen-ok]
generator = $G/ok.sh
var.greeting = hi
[profile gen-fail]
generator = $G/fail.sh
[profile gen-slow]
generator = $G/slow.sh
timeout = 1
[profile gen-big]
generator = $G/big.sh
[profile gen-noscript]
generator = $G/noscript.sh
[machine m1]
mac = 52:54:00:00:00:01
profile = p
var.greeting = bonjour
[machine m2]
uuid = 11111111-2222-3333-4444-555555555555
profile = q
[machine m3]
serial = SER-3
profile = hidden
[machine lab]
mac_prefix = 52:54:00:aa
profile = q
[machine home]
mac = 52:54:00:00:00:09
boot = local
[machine off]
mac = 52:54:00:00:00:0a
boot = disabled
[machine g1]
mac = 52:54:00:00:01:01
profile = gen-ok
var.greeting = salut
[machine g2]
mac = 52:54:00:00:01:02
profile = gen-fail
[machine g3]
mac = 52:54:00:00:01:03
profile = gen-slow
[machine g4]
mac = 52:54:00:00:01:04
profile = gen-big
[machine g5]
mac = 52:54:00:00:01:05
profile = gen-noscript
EOF
chmod 644 "$INV"

cat >"$T/site.ini" <<EOF
[chain]
url = http://127.0.0.1:$PORT/boot.ipxe
[server]
listen = 127.0.0.1
http_port = $PORT
proxydhcp = no
tftp = no
boot_root = $R
inventory = $INV
user = nobody
http_max = 4
EOF
LOG=$T/daemon.log
# nsenter execs the daemon itself, so $DPID is the daemon's PID
CHAINBOOT_DATADIR=$CHAINBOOT_SRCDIR nsenter --net="/run/netns/$NS" -- "$DAEMON" -c "$T/site.ini" >"$LOG" 2>&1 &
DPID=$!
at_exit 'kill -TERM $DPID 2>/dev/null; wait $DPID 2>/dev/null'
up=
for _ in $(seq 1 50); do
	kill -0 "$DPID" 2>/dev/null || break
	if hc --wait 300 127.0.0.1 $PORT /hello.txt 2>/dev/null | grep -q 'status=200'; then up=1; break; fi
	sleep 0.2
done
if [ -z "$up" ]; then
	notok "http: daemon answers on 127.0.0.1:$PORT"
	sed 's/^/#   /' "$LOG" | tail -20
	exit 1
fi
ok "http: daemon answers on 127.0.0.1:$PORT"
B=$T/body
body() { cat "$B.${1:-1}" 2>/dev/null; }

# ---- every built-in name README's "What chainbootd serves" lists answers 200 here;
# undionly.kkpxe, which it says is not served, does not
names=$(sed -n '/^What chainbootd serves/,/^Not served/p' "$CHAINBOOT_SRCDIR/README.md" |
	grep -E '^\| `' | cut -d'|' -f2 | grep -oE '`[a-z0-9.-]+\.(pxe|kpxe|efi|lkrn|ipxe)`' | tr -d '`')
check "http: README lists the built-in names ($(echo $names))" test "$(echo "$names" | wc -w)" -ge 9
for n in $names; do
	get "README's served name $n" 'status=200' -o "$B" 127.0.0.1 $PORT "/$n"
done
get "undionly.kkpxe is not served (README says why)" 'status=404' 127.0.0.1 $PORT "/undionly.kkpxe"

# ---- the fact stub the proxy offers our iPXE: every fact, hostname and asset too
get "the fact stub" 'status=200' -o "$B" 127.0.0.1 $PORT "/chain.ipxe"
check_match "http: the stub chains this server's script with every fact" \
	"^chain --autofree http://127\\.0\\.0\\.1:$PORT/boot\\.ipxe\\?mac=\\\$\\{netX/mac\\}&uuid=\\\$\\{uuid\\}&serial=.*&asset=\\\$\\{asset:uristring\\}&hostname=\\\$\\{hostname:uristring\\}&.*&uc=CSTM$" \
	"$(body)"

# ---- scripts from the inventory
S="/boot.ipxe?uuid=&serial=&platform=efi&buildarch=x86_64&uc=CSTM"
get "known MAC: its profile" 'response n=1 status=200 .*type="text/plain; charset=utf-8"' \
	-o "$B" 127.0.0.1 $PORT "$S&mac=52%3A54%3A00%3A00%3A00%3A01"
check_match "http: profile p rendered for m1 with its own variable" \
	'^echo profile p for m1 mac 52:54:00:00:00:01 serial \$\{\} host \$\{\} from 127\.0\.0\.1$' "$(body)"
check_match "http: machine variable overrides the profile's, server URL filled" \
	"^echo var bonjour server http://127\.0\.0\.1:$PORT$" "$(body)"
check_match "http: decision logged with machine, profile and what matched" \
	'event=http client=127\.0\.0\.1:[0-9]+ method=GET path=/boot\.ipxe status=200 bytes=[0-9]+ ms=[0-9]+ decision=profile machine=m1 profile=p by=mac mac=52:54:00:00:00:01' \
	"$(cat "$LOG")"
get "known UUID" 'status=200' -o "$B" 127.0.0.1 $PORT "/boot.ipxe?mac=52:54:00:77:77:77&uuid=11111111-2222-3333-4444-555555555555"
check_match "http: UUID match gets profile q" '^echo profile q$' "$(body)"
get "known serial" 'status=200' -o "$B" 127.0.0.1 $PORT "/boot.ipxe?serial=SER-3"
check_match "http: serial match gets its profile (even one hidden from the menu)" '^echo hidden$' "$(body)"
get "MAC prefix" 'status=200' -o "$B" 127.0.0.1 $PORT "/boot.ipxe?mac=52-54-00-AA-12-34"
check_match "http: prefix match" '^echo profile q$' "$(body)"
get "unknown machine: the menu" 'status=200' -o "$B" 127.0.0.1 $PORT "/boot.ipxe?mac=52:54:00:00:00:99&serial=A%20B"
check_match "http: menu offers the profiles with default and timeout" \
	'choose --default p --timeout 7000 cb-choice' "$(body)"
check_match "http: menu items" '^item q Profile Q$' "$(body)"
if grep -q '^item hidden' <<<"$(body)"; then notok "http: menu = no is not offered"; else ok "http: menu = no is not offered"; fi
check_match "http: menu logged as such" 'path=/boot\.ipxe status=200 .*decision=menu machine=- profile=- by=- mac=52:54:00:00:00:99' "$(cat "$LOG")"
get "a choice made in the menu" 'status=200' -o "$B" 127.0.0.1 $PORT "/boot.ipxe?mac=52:54:00:00:00:99&profile=q"
check_match "http: profile=q renders q" '^echo profile q$' "$(body)"
check_match "http: logged as chosen" 'decision=chosen machine=- profile=q' "$(cat "$LOG")"
get "a hidden profile cannot be chosen" 'status=200' -o "$B" 127.0.0.1 $PORT "/boot.ipxe?mac=52:54:00:00:00:99&profile=hidden"
check_match "http: hidden -> the menu" '^menu ' "$(body)"
get "boot = local" 'status=200' -o "$B" 127.0.0.1 $PORT "/boot.ipxe?mac=52:54:00:00:00:09"
check_match "http: boot = local exits with status 1 (next boot device, also on UEFI)" '^exit 1$' "$(body)"
if grep -Eq '^exit( 0)?$' <<<"$(body)"; then notok "http: boot = local: no exit 0"; else ok "http: boot = local: no exit 0"; fi
get "boot = disabled" 'status=200' -o "$B" 127.0.0.1 $PORT "/boot.ipxe?mac=52:54:00:00:00:0a"
check_match "http: boot = disabled exits with status 1" '^exit 1$' "$(body)"
get "no facts at all: the menu" 'status=200' -o "$B" 127.0.0.1 $PORT /boot.ipxe
check_match "http: absent facts render as \${}" 'mac \$\{\} uuid \$\{\}' "$(body)"

# hostile facts: no line, command, comment or expansion gets into the script
get "hostile facts" 'status=200' -o "$B" 127.0.0.1 $PORT \
	"/boot.ipxe?mac=52:54:00:00:00:01&serial=x%0Ashell%0A&hostname=%24%7Bnet0%2Fip%7D%20%26%26%20reboot%20%23"
check_match "http: facts escaped (one word, percent-encoded)" \
	'^echo profile p for m1 mac 52:54:00:00:00:01 serial x%0Ashell%0A host %24%7Bnet0%2Fip%7D%20%26%26%20reboot%20%23 from' "$(body)"
check "http: the script kept its 3 lines" test "$(body | wc -l)" = 3
get "a '+' in a fact" 'status=200' -o "$B" 127.0.0.1 $PORT '/boot.ipxe?mac=52:54:00:00:00:01&serial=a+b'
check_match "http: '+' is not a space (no form decoding)" 'serial a%2Bb ' "$(body)"

# ---- bad requests
get "bad percent escape in the query: 400" 'status=400' 127.0.0.1 $PORT "/boot.ipxe?mac=%zz"
get "%00 in the query: 400" 'status=400' 127.0.0.1 $PORT "/boot.ipxe?serial=a%00b"
get "not a MAC: 400" 'status=400' 127.0.0.1 $PORT "/boot.ipxe?mac=52:54:00"
get "a fact given twice: 400" 'status=400' 127.0.0.1 $PORT "/boot.ipxe?mac=52:54:00:00:00:01&mac=52:54:00:00:00:02"
check_match "http: 400 logged with the reason" 'status=400 .*reason=bad-query-string fact=mac' "$(cat "$LOG")"
get "after a 400 the connection stays usable" 'response n=2 status=200' 127.0.0.1 $PORT "/boot.ipxe?mac=%zz" /hello.txt
get "POST: 405 and close" 'response n=1 status=405 .*connection=close' \
	--raw 'POST /boot.ipxe HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc' 127.0.0.1 $PORT
check_match "http: 405 then closed" 'result=closed responses=1' "$LAST"
get "unknown method: 501 (RFC 9110 9.1)" 'status=501 .*connection=close' -X BREW 127.0.0.1 $PORT /
check_match "http: 501 logged with the reason" 'method=BREW .*status=501 .*reason=unknown-method' "$(cat "$LOG")"
get "OPTIONS *: 200 with Allow" 'response n=1 status=200 length=0 .*allow="GET, HEAD, OPTIONS"' -X OPTIONS 127.0.0.1 $PORT '*'
get "OPTIONS on a path: 200 with Allow" 'status=200 length=0 .*allow="GET, HEAD, OPTIONS"' -X OPTIONS 127.0.0.1 $PORT /hello.txt
get "PUT: 405 with Allow" 'status=405 .*allow="GET, HEAD, OPTIONS"' -X PUT 127.0.0.1 $PORT /hello.txt

# ---- conditionals (RFC 9110 13): validators on static files, 304, If-Range
get "a static file carries ETag and Last-Modified" \
	'status=200 length=6 .*etag="[0-9a-f]+-[0-9a-f]+" lastmod="[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT"' \
	127.0.0.1 $PORT /hello.txt
ETAG=$(grep -oE 'etag="[^"]+"' <<<"$LAST" | head -n1 | cut -d= -f2)
LASTMOD=$(grep -oE 'lastmod="[^"]+"' <<<"$LAST" | head -n1 | sed 's/^lastmod="//; s/"$//')
get "If-None-Match with its ETag: 304, no body" 'status=304 length=0 .*etag='"$ETAG" \
	-H "If-None-Match: \"nope\", $ETAG" 127.0.0.1 $PORT /hello.txt
get "If-None-Match with another ETag: 200" 'status=200 length=6' -H 'If-None-Match: "nope"' 127.0.0.1 $PORT /hello.txt
get "If-Modified-Since its Last-Modified: 304 (wget -N, curl -z)" 'status=304 length=0' \
	-H "If-Modified-Since: $LASTMOD" 127.0.0.1 $PORT /hello.txt
get "If-Modified-Since long ago: 200" 'status=200 length=6' \
	-H 'If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT' 127.0.0.1 $PORT /hello.txt
get "If-Modified-Since that is not a date: ignored, 200" 'status=200 length=6' \
	-H 'If-Modified-Since: yesterday' 127.0.0.1 $PORT /hello.txt
get "Range with a non-matching If-Range: the whole file, 200" 'status=200 length=6 .*range="-"' \
	-H 'Range: bytes=0-1' -H 'If-Range: "x"' 127.0.0.1 $PORT /hello.txt
get "Range with its ETag as If-Range: 206" 'status=206 length=2 .*range="bytes 0-1/6"' \
	-H 'Range: bytes=0-1' -H "If-Range: $ETAG" 127.0.0.1 $PORT /hello.txt
get "Range with its Last-Modified as If-Range: 206" 'status=206 length=2' \
	-H 'Range: bytes=0-1' -H "If-Range: $LASTMOD" 127.0.0.1 $PORT /hello.txt
get "Range with a weak If-Range: the whole file" 'status=200 length=6' \
	-H 'Range: bytes=0-1' -H "If-Range: W/$ETAG" 127.0.0.1 $PORT /hello.txt
get "a built-in binary carries validators too" 'status=200 .*etag="[0-9a-f]+-[0-9a-f]+" lastmod="[A-Z]' \
	-X HEAD 127.0.0.1 $PORT /snponly.efi
get "HTTP/2 preface: 505" 'status=505' --raw 'GET / HTTP/2.0\r\nHost: a\r\n\r\n' 127.0.0.1 $PORT
get "no Host in HTTP/1.1: 400" 'response n=1 status=400' --raw 'GET / HTTP/1.1\r\n\r\n' 127.0.0.1 $PORT
get "garbage: 400" 'response n=1 status=400' --raw 'hello\r\n\r\n' 127.0.0.1 $PORT
BIGH=$(python3 -c 'print("X-Big: " + "a" * 9000)')
get "oversized header: 431" 'response n=1 status=431 .*connection=close' -H "$BIGH" 127.0.0.1 $PORT /hello.txt
MANY=(); for i in $(seq 70); do MANY+=(-H "X-$i: v"); done
get "too many header fields: 431" 'status=431' "${MANY[@]}" 127.0.0.1 $PORT /hello.txt
LONGT=/$(python3 -c 'print("a" * 5000)')
get "URI too long: 414" 'response n=1 status=414' 127.0.0.1 $PORT "$LONGT"
get "a body with GET: 400, closed" 'status=400 .*connection=close' -H 'Content-Length: 5' 127.0.0.1 $PORT /hello.txt
# Each 400 for a bad head says why in the log (issue 13 item 5), as the 408 and 503 do.
get "obs-fold header: 400" 'response n=1 status=400' --raw 'GET /hello.txt HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n folded\r\n\r\n' 127.0.0.1 $PORT
check_match "http: 400 for a header error carries reason=" 'status=400 .*reason=obs-fold' "$(cat "$LOG")"
check_match "http: 400 without Host carries reason=" 'status=400 .*reason=host-missing-or-repeated' "$(cat "$LOG")"
check_match "http: 431 carries reason=" 'status=431 .*reason=(too-many-fields|head-too-large)' "$(cat "$LOG")"
LONGF=$(python3 -c 'print("H" * 300)')
get "a fact over 256 bytes: 400" 'status=400' 127.0.0.1 $PORT "/boot.ipxe?hostname=$LONGF"
check_match "http: a too-long fact is logged by name, as too long" 'status=400 .*reason=bad-query-string fact=hostname why=too-long' "$(cat "$LOG")"

# ---- static files: built-in and boot_root, 404 without paths
get "boot_root file" 'status=200 length=6 type="text/plain; charset=utf-8"' -o "$B" 127.0.0.1 $PORT /hello.txt
get "big file (sendfile)" "status=200 length=$(stat -c %s "$R/big.bin") type=\"application/octet-stream\"" -o "$B" 127.0.0.1 $PORT /big.bin
check "http: big file byte for byte" cmp "$B.1" "$R/big.bin"
get "file in a subdirectory, percent-encoded path" 'status=200 length=100000' -o "$B" 127.0.0.1 $PORT /sub%2Fvmlinuz
check "http: subdirectory file byte for byte" cmp "$B.1" "$R/sub/vmlinuz"
get "empty file" 'status=200 length=0' 127.0.0.1 $PORT /empty
get "built-in autoexec.ipxe (in memory)" 'status=200 length=[1-9]' -o "$B" 127.0.0.1 $PORT /autoexec.ipxe
check_match "http: autoexec.ipxe is the chain script" '^#!ipxe' "$(head -1 "$B.1")"
get "missing file: 404" 'status=404' -o "$B" 127.0.0.1 $PORT /no/such/file
for p in /../outside.txt '/%2e%2e/outside.txt' /link-out /sub/../../outside.txt "/$R/hello.txt" /sub /; do
	out=$(hc -o "$B" 127.0.0.1 $PORT "$p" 2>&1)
	if grep -q 'status=404' <<<"$out" && ! grep -qE "secret|$T|/root" "$B.1"; then ok "http: $p refused as 404 without paths"; else
		notok "http: $p refused as 404 without paths"
		printf '%s\n' "$out" "$(cat "$B.1")" | sed 's/^/#   /'
	fi
done
if grep -q "$T" <(cat "$B".* 2>/dev/null); then notok "http: no server path in any answer"; else ok "http: no server path in any answer"; fi

# ---- HEAD and Range
get "HEAD of a script: length, no body" 'response n=1 status=200 length=0' -X HEAD 127.0.0.1 $PORT "/boot.ipxe?mac=52:54:00:00:00:01"
check_match "http: HEAD logged" 'method=HEAD path=/boot\.ipxe status=200 bytes=0' "$(cat "$LOG")"
check_match "http: HEAD then nothing more on the wire" 'result=ok responses=1' "$LAST"
get "HEAD of a file" 'result=ok responses=2' -X HEAD 127.0.0.1 $PORT /big.bin /autoexec.ipxe
pyslice() { python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d[int(sys.argv[2]):int(sys.argv[3])])' "$@"; }
get "Range on a file (sendfile)" 'status=206 length=1000 .*range="bytes 1000-1999/3145805"' -o "$B" -H 'Range: bytes=1000-1999' 127.0.0.1 $PORT /big.bin
check "http: the range's bytes" cmp "$B.1" <(pyslice "$R/big.bin" 1000 2000)
get "suffix Range" 'status=206 length=500 .*range="bytes 3145305-3145804/3145805"' -o "$B" -H 'Range: bytes=-500' 127.0.0.1 $PORT /big.bin
check "http: the suffix's bytes" cmp "$B.1" <(pyslice "$R/big.bin" 3145305 3145805)
get "Range on an in-memory file" 'status=206 length=7 .*range="bytes 0-6/' -o "$B" -H 'Range: bytes=0-6' 127.0.0.1 $PORT /autoexec.ipxe
check_match "http: in-memory range bytes" '^#!ipxe$' "$(cat "$B.1")"
get "unsatisfiable Range: 416" 'status=416 .*range="bytes \*/6"' -H 'Range: bytes=6-' 127.0.0.1 $PORT /hello.txt
get "several ranges: the whole file" 'status=200 length=6' -H 'Range: bytes=0-1,3-4' 127.0.0.1 $PORT /hello.txt
get "Range on a script: ignored" 'status=200' -H 'Range: bytes=0-3' 127.0.0.1 $PORT /boot.ipxe

# ---- keep-alive and pipelining
T10=(); for i in $(seq 10); do T10+=("/boot.ipxe?mac=52:54:00:00:00:0$((i % 2 + 1))" /hello.txt); done
get "keep-alive: 20 requests on one connection" 'result=ok responses=20' 127.0.0.1 $PORT "${T10[@]}"
get "pipelining: 20 requests sent at once, answered in order" 'result=ok responses=20' --pipeline 127.0.0.1 $PORT "${T10[@]}"
check_match "http: pipelined answers in order" 'response n=19 status=200 length=[0-9]+ type="text/plain; charset=utf-8".*
response n=20 status=200 length=6 ' "$LAST"
get "pipelining with a big file in the middle" 'result=ok responses=3' --pipeline -o "$B" 127.0.0.1 $PORT /hello.txt /big.bin /hello.txt
check "http: the pipelined big file byte for byte" cmp "$B.2" "$R/big.bin"
get "Connection: close is honoured" 'response n=2 status=200 .*connection=close' --close --hold 1000 127.0.0.1 $PORT /hello.txt /hello.txt
check_match "http: closed after the last answer" 'hold=closed-by-server' "$LAST"
get "HTTP/1.0 keep-alive" 'response n=2 status=200 .*connection=keep-alive' --http10 127.0.0.1 $PORT /hello.txt /hello.txt
get "HTTP/1.0 without keep-alive closes" 'result=closed responses=1' --raw 'GET /hello.txt HTTP/1.0\r\n\r\n' 127.0.0.1 $PORT

# ---- generators
get "generator: its script" 'status=200' -o "$B" 127.0.0.1 $PORT "/boot.ipxe?mac=52:54:00:00:01:01&uuid=11111111-2222-3333-4444-555555555556"
check_match "http: generator got the facts and variables in its environment" \
	'^echo generated for 52:54:00:00:01:01 uuid 11111111-2222-3333-4444-555555555556 var salut machine g1$' "$(body)"
check_match "http: generator logged" 'decision=profile machine=g1 profile=gen-ok by=mac mac=52:54:00:00:01:01 generator=ok' "$(cat "$LOG")"
for g in "2 exit status 3" "3 killed after 1000 ms" "4 killed: printed more than" "5 does not start with #!ipxe"; do
	n=${g%% *}
	get "generator failure ($g): the menu" 'status=200' -o "$B" 127.0.0.1 $PORT "/boot.ipxe?mac=52:54:00:00:01:0$n"
	check_match "http: menu served instead" '^menu ' "$(body)"
	check_match "http: failure logged (${g#* })" "event=http.generator client=.* profile=gen-.* status=failed why=\".*${g#* }" "$(cat "$LOG")"
done
# Its stderr: one log line each, with an event name, the machine and the profile; the
# menu it gets says what failed, not "not in the inventory" (issue 13 item 5).
get "generator failure: the menu says what failed" 'status=200' -o "$B" 127.0.0.1 $PORT "/boot.ipxe?mac=52:54:00:00:01:02"
check_match "http: a failed generator's menu names the machine and the profile" \
	'^echo chainboot: g2 is in the inventory, but the script generator of profile gen-fail failed' "$(body)"
if grep -q 'not in the inventory' <<<"$(body)"; then notok "http: a failed generator's menu does not say \"not in the inventory\""
else ok "http: a failed generator's menu does not say \"not in the inventory\""; fi
check_match "http: a generator's stderr logged with event, machine and profile" \
	'event=generator.stderr client=127\.0\.0\.1:[0-9]+ machine=g2 profile=gen-fail pid=[0-9]+ line="cannot reach the CMDB"' "$(cat "$LOG")"
if grep -q '^cannot reach the CMDB' "$LOG"; then notok "http: no raw generator stderr in the log"
else ok "http: no raw generator stderr in the log"; fi
check_match "http: the failure line names the machine" 'event=http.generator client=.* machine=g2 profile=gen-fail status=failed' "$(cat "$LOG")"
get "a generator in a pipeline keeps the order" 'result=ok responses=3' --pipeline -o "$B" 127.0.0.1 $PORT /hello.txt \
	"/boot.ipxe?mac=52:54:00:00:01:01" /hello.txt
check_match "http: the generated script is the second answer" '^echo generated for 52:54:00:00:01:01' "$(body 2)"

# ---- slow clients, the connection cap
t0=$SECONDS
get "slow head (one byte every 700 ms): cut off" 'result=(closed|timeout)' --slow 700 --wait 15000 \
	--raw 'GET /boot.ipxe HTTP/1.1\r\nHost: a\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaa\r\n\r\n' 127.0.0.1 $PORT
check "http: cut off within the head timeout ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -le 14
check_match "http: 408 logged" 'status=408 .*reason=head-timeout' "$(cat "$LOG")"
# four connections (http_max = 4) each waiting for a slow generator: the fifth gets a 503
HOLDERS=()
for i in 1 2 3 4; do
	nsenter --net="/run/netns/$NS" -- "$CLIENT" 127.0.0.1 $PORT "/boot.ipxe?mac=52:54:00:00:01:03" >/dev/null 2>&1 &
	HOLDERS+=($!)
done
sleep 0.4
get "at the connection cap: 503" 'response n=1 status=503' 127.0.0.1 $PORT /hello.txt
check_match "http: 503 logged once" 'status=503 reason=too-many-connections max=4' "$(cat "$LOG")"
for p in "${HOLDERS[@]}"; do wait "$p" 2>/dev/null; done
# four connections each with half a head (slow loris): a newcomer sheds the oldest
HOLDERS=()
for i in 1 2 3 4; do
	nsenter --net="/run/netns/$NS" -- "$CLIENT" --wait 8000 --raw 'GET / HTTP/1.1\r\n' 127.0.0.1 $PORT >"$T/half.$i" 2>&1 &
	HOLDERS+=($!)
	sleep 0.1
done
sleep 0.5
get "at the cap with half heads: served" 'response n=1 status=200' 127.0.0.1 $PORT /hello.txt
wait "${HOLDERS[0]}" 2>/dev/null
check_match "http: the oldest half head was closed for it" 'result=closed responses=0' "$(cat "$T/half.1")"
for p in "${HOLDERS[@]}"; do kill "$p" 2>/dev/null; done
for p in "${HOLDERS[@]}"; do wait "$p" 2>/dev/null; done
sleep 0.5
# four idle keep-alive connections: a newcomer closes the oldest instead of a 503
for i in 1 2 3 4; do
	nsenter --net="/run/netns/$NS" -- "$CLIENT" --hold 4000 127.0.0.1 $PORT /hello.txt >"$T/idle.$i" 2>&1 &
	HOLDERS[$i]=$!
	sleep 0.2
done
sleep 0.5
get "at the cap with idle connections: served" 'response n=1 status=200' 127.0.0.1 $PORT /hello.txt
for i in 1 2 3 4; do wait "${HOLDERS[$i]}" 2>/dev/null; done
check_match "http: the oldest idle connection was closed for it" 'hold=closed-by-server' "$(cat "$T/idle.1")"

# ---- reload: a broken inventory keeps the old one
printf '[machine broken\n' >>"$INV"
kill -HUP "$DPID"
for _ in $(seq 1 20); do grep -q 'event=reload .*status=failed' "$LOG" && break; sleep 0.1; done
check_match "http: broken inventory: reload refused with file:line" \
	"event=reload .*status=failed kept=previous error=.*inventory\\.ini:$(wc -l <"$INV")" "$(cat "$LOG")"
get "after a failed reload the old inventory answers" 'status=200' -o "$B" 127.0.0.1 $PORT "/boot.ipxe?mac=52:54:00:00:00:01"
check_match "http: m1 still gets profile p" '^echo profile p for m1' "$(body)"
# one edit (the daemon also polls the file for changes), then SIGHUP
sed -i -e '$d' -e 's/^var.greeting = bonjour$/var.greeting = servus/' "$INV"
kill -HUP "$DPID"
for _ in $(seq 1 40); do
	hc -o "$B" 127.0.0.1 $PORT "/boot.ipxe?mac=52:54:00:00:00:01" >/dev/null 2>&1
	grep -q '^echo var servus ' "$B.1" && break
	sleep 0.1
done
check_match "http: after a good reload m1 has its new variable" '^echo var servus ' "$(body)"
check_match "http: the good reload logged" 'event=reload .*status=ok' "$(cat "$LOG")"

# ---- one log line per request, and a clean stop
n_req=$(grep -c 'event=http client=' "$LOG")
check "http: one log line per request ($n_req)" test "$n_req" -ge 90
if grep -E 'event=http client=.*(secret|outside\.txt status=200)' "$LOG" >/dev/null; then
	notok "http: nothing outside the root was served"
else
	ok "http: nothing outside the root was served"
fi
stop_clean http "$DPID" "$LOG"
DPID=

# ---- autoexec.ipxe follows --listen/--http-port: a site-file URL naming the site file's
# own server is rewritten to where the daemon really listens; other URLs stay.
cat >"$T/moved.ini" <<EOF
[chain]
url = http://198.51.100.9:81/boot.ipxe
url = http://inventory.example/x.ipxe
[server]
listen = 198.51.100.9
http_port = 81
proxydhcp = no
tftp = no
user = nobody
EOF
CHAINBOOT_DATADIR=$CHAINBOOT_SRCDIR nsenter --net="/run/netns/$NS" -- "$DAEMON" -c "$T/moved.ini" \
	--listen 127.0.0.1 --http-port "$PORT" >"$LOG" 2>&1 &
DPID=$!
for _ in $(seq 1 50); do
	hc --wait 300 -o "$B" 127.0.0.1 $PORT /autoexec.ipxe 2>/dev/null | grep -q 'status=200' && break
	sleep 0.2
done
check_match "http: autoexec.ipxe: the site file's own-server URL follows --listen/--http-port" \
	"^set cb-url0 http://127\\.0\\.0\\.1:$PORT/boot\\.ipxe$" "$(body)"
check_match "http: autoexec.ipxe: an inventory elsewhere is kept" \
	'^set cb-url1 http://inventory\.example/x\.ipxe$' "$(body)"
check_match "http: the rewrite is logged" \
	"event=config url=1 was=\"http://198\\.51\\.100\\.9:81/boot\\.ipxe\" now=\"http://127\\.0\\.0\\.1:$PORT/boot\\.ipxe\"" "$(cat "$LOG")"
stop_clean http "$DPID" "$LOG"
DPID=
finish
