#!/bin/bash
# tftp: chainbootd's TFTP service against the project's test client, inside a network
# namespace this test creates (loopback only, so 65464-byte blocks fit the MTU): every
# option set byte for byte, the OVMF tsize probe, netascii, lost blocks, path escapes
# refused as "File not found" without paths, WRQ refused, hostile packets, the caps on
# concurrent transfers, one log line per transfer, a clean shutdown.
# CHAINBOOTD=path overrides the daemon (default: $CHAINBOOT_BUILD/chainbootd).
. "$(dirname "$0")/lib.sh"

BUILD=${CHAINBOOT_BUILD:-build}
DAEMON=${CHAINBOOTD:-$BUILD/chainbootd}
CLIENT=$BUILD/tests/tools/tftpclient
need_root_daemon tftp ip nsenter python3 cmp
[ -x "$CLIENT" ] || { notok "tftp: $CLIENT not built"; exit 1; }

ns_lo tftp || { notok "tftp: create network namespace"; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
tc() { in_ns "$CLIENT" "$@"; }

# ---- boot root: edge sizes, a big random file, text, escapes, links, a locked file
R=$T/root
mkdir -p "$R/sub/deeper" "$R/adir"
chmod 711 "$T"
python3 - "$R" "$T" <<'PY'
import os, sys, random
r, t = sys.argv[1], sys.argv[2]
rnd = random.Random(1350)
def put(p, b): open(p, "wb").write(b)
for n in (0, 1, 511, 512, 513, 1468, 4096, 65464, 65465):
    put(f"{r}/f{n}", bytes(rnd.getrandbits(8) for _ in range(n)))
put(f"{r}/big.bin", rnd.randbytes(3 * 1024 * 1024 + 123))
put(f"{r}/roll.bin", rnd.randbytes(65536 * 512 + 1000))  # more than 65535 blocks of 512
put(f"{r}/sub/deeper/kernel", rnd.randbytes(200000))
put(f"{r}/text.txt", b"line one\nline two\r\nbare cr\rend\n" * 100)
put(f"{t}/outside.txt", b"secret outside the root\n")
put(f"{r}/autoexec.ipxe", b"shadow copy in boot_root: must not be served\n")
PY
ln -s big.bin "$R/link-in"
ln -s ../outside.txt "$R/link-out"
ln -s "$T/outside.txt" "$R/link-abs"
ln -s sub "$R/linkdir"
echo locked >"$R/locked"
chmod 600 "$R/locked"
chmod -R a+rX "$R"
chmod 600 "$R/locked"
size() { stat -c %s "$1"; }

# ---- the daemon: the site file carries everything, so no CLI flag is guessed
cat >"$T/site.ini" <<EOF
[chain]
url = http://127.0.0.1/boot.ipxe
[server]
listen = 127.0.0.1
proxydhcp = no
tftp = yes
boot_root = $R
user = nobody
tftp_max = 10
EOF
LOG=$T/daemon.log
# the chain script template (autoexec.ipxe) comes from the source tree
export CHAINBOOT_DATADIR=${CHAINBOOT_DATADIR:-$CHAINBOOT_SRCDIR}
# nsenter execs the daemon itself ("ip netns exec" forks: its PID would not be the
# daemon's, and a SIGTERM to it would orphan the daemon)
nsenter --net="/run/netns/$NS" -- "$DAEMON" -c "$T/site.ini" >"$LOG" 2>&1 &
DPID=$!
at_exit 'kill -TERM $DPID 2>/dev/null; wait $DPID 2>/dev/null'
up=
for _ in $(seq 1 50); do
	kill -0 "$DPID" 2>/dev/null || break
	if tc --wait 200 127.0.0.1 f1 >/dev/null 2>&1; then up=1; break; fi
	sleep 0.2
done
if [ -z "$up" ]; then
	notok "tftp: daemon answers on 127.0.0.1:69"
	sed 's/^/#   /' "$LOG" | tail -20
	exit 1
fi
ok "tftp: daemon answers on 127.0.0.1:69"

# get DESC FILE ARGS...: transfer FILE and compare it byte for byte with the root's copy
get() {
	local desc=$1 f=$2 out
	shift 2
	rm -f "$T/got"
	out=$(tc "$@" -o "$T/got" 127.0.0.1 "$f" 2>&1)
	if grep -q '^result=ok' <<<"$out" && cmp -s "$T/got" "$R/${f#/}"; then ok "tftp: $desc"; else
		notok "tftp: $desc"
		printf '%s\n' "$out" | head -10 | sed 's/^/#   /'
	fi
	LAST=$out
}

# ---- every option set, byte for byte
for b in none 512 1468 8192 65464; do
	for w in 1 4 16; do
		args=(-t)
		[ "$b" != none ] && args+=(-b "$b")
		[ "$w" != 1 ] && args+=(-w "$w")
		get "big.bin blksize=$b windowsize=$w tsize" big.bin "${args[@]}"
		check_match "tftp: OACK tsize is the exact size (blksize=$b windowsize=$w)" \
			"^oack.* tsize=$(size "$R/big.bin")( |$)" "$LAST"
	done
done
get "RFC 1350 transfer without options" big.bin
check_match "tftp: no options, no OACK" '^oack none' "$LAST"
for n in 0 1 511 512 513 1468 4096 65464 65465; do
	get "f$n at blksize 512" "f$n" -b 512
	get "f$n at blksize 65464, window 4" "f$n" -b 65464 -w 4 -t
done
get "block numbers roll over after 65535 (to 0)" roll.bin -b 512 -w 16 -t
get "a file two directories down" sub/deeper/kernel -b 1468 -w 4
get "leading slash ignored" /sub/deeper/kernel
get "timeout option" f4096 -T 3 -b 1024
check_match "tftp: timeout acknowledged as asked" '^oack blksize=1024 timeout=3 ' "$LAST"
get "unknown options ignored" f4096 -O multicast= -O rollover=0 -b 1432 -t
check_match "tftp: OACK holds only known options" '^oack blksize=1432 tsize=4096 unknown=0' "$LAST"
get "only unknown options: plain transfer" f4096 -O foo=bar
check_match "tftp: only unknown options, no OACK" '^oack none' "$LAST"
get "huge blksize clamped" big.bin -b 100000 -t
check_match "tftp: blksize 100000 answered 65464" '^oack blksize=65464 ' "$LAST"
get "windowsize above the cap clamped" big.bin -b 1468 -w 1000
check_match "tftp: windowsize 1000 answered 64" ' windowsize=64 ' "$LAST"
get "blksize 7 ignored (below RFC 2348's 8)" f513 -b 7 -T 2
check_match "tftp: blksize 7 left out of the OACK" '^oack timeout=2 ' "$LAST"
get "a block lost in a window (RFC 7440 gap ACK)" big.bin -b 1468 -w 8 --lose 5
get "a block lost with window 1 (server retransmits)" f1468 -b 512 --lose 2 --wait 3000
get "retransmitted RRQ starts no second transfer" f65465 -b 1468 -t --dup
if grep -q stray_packet <<<"$LAST"; then notok "tftp: no packets from a second transfer port"; else
	ok "tftp: no packets from a second transfer port"
fi

# netascii: LF -> CR LF, CR -> CR NUL (RFC 764), no tsize, window 1
rm -f "$T/got"
out=$(tc -m netascii -t -w 8 -o "$T/got" 127.0.0.1 text.txt 2>&1)
python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d.replace(b"\r",b"\r\0").replace(b"\n",b"\r\n"))' \
	"$R/text.txt" >"$T/text.na"
if grep -q '^result=ok' <<<"$out" && cmp -s "$T/got" "$T/text.na"; then ok "tftp: netascii conversion"; else
	notok "tftp: netascii conversion"
	printf '%s\n' "$out" | sed 's/^/#   /'
fi
check_match "tftp: netascii without tsize or window" '^oack none' "$out"

# OVMF: RRQ with tsize (+ blksize), reads the size from the OACK, aborts with ERROR 8
out=$(tc --probe -t -b 1468 127.0.0.1 big.bin 2>&1)
check_match "tftp: OVMF size probe answered with the size" "^oack blksize=1468 tsize=$(size "$R/big.bin") " "$out"
check_match "tftp: OVMF size probe ends cleanly" '^result=probed' "$out"
get "download after the probe" big.bin -b 1468 -w 4 -t

# built-in file (the chain script) wins over boot_root's copy
rm -f "$T/got"
out=$(tc -o "$T/got" 127.0.0.1 autoexec.ipxe 2>&1)
if grep -q '^result=ok' <<<"$out" && head -c 6 "$T/got" | grep -q '^#!ipxe' && ! cmp -s "$T/got" "$R/autoexec.ipxe"; then
	ok "tftp: built-in autoexec.ipxe served, not boot_root's copy"
else
	notok "tftp: built-in autoexec.ipxe served, not boot_root's copy"
	printf '%s\n' "$out" | sed 's/^/#   /'
fi

# ---- refusals: "File not found" (code 1), nothing more, never a path
refused() { # DESC CODE MESSAGE ARGS...
	local desc=$1 code=$2 msg=$3 out
	shift 3
	out=$(tc "$@" 2>&1)
	if grep -qx "result=error code=$code message=\"$msg\"" <<<"$out" && ! grep -qF "$T" <<<"$out"; then
		ok "tftp: $desc"
	else
		notok "tftp: $desc (wanted code $code \"$msg\")"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
}
for p in ../outside.txt sub/../../outside.txt "$T/outside.txt" link-out link-abs link-in \
	linkdir/deeper/kernel adir sub missing.efi '..' 'sub\..\..\outside.txt'; do
	refused "refused as not found: $p" 1 "File not found" 127.0.0.1 "$p"
done
refused "unreadable file: access violation, no path" 2 "Access violation" 127.0.0.1 locked
refused "WRQ refused: read-only" 2 "Access violation: this server is read-only" --wrq 127.0.0.1 new.bin
refused "mode mail refused" 4 "Unsupported transfer mode (use octet)" -m mail 127.0.0.1 f1
refused "malformed RRQ (no NUL)" 4 "Malformed request" --raw 0001666f6f 127.0.0.1
refused "RRQ without mode" 4 "Malformed request" --raw 0001666f6f00 127.0.0.1
refused "option without value" 4 "Malformed request" --raw 00016631006f6374657400626c6b73697a6500 127.0.0.1
refused "file name over 255 bytes" 4 "File name too long" --raw "0001$(printf '61%.0s' $(seq 256))006f6374657400" 127.0.0.1
for raw in 0003000161 00040000 000500014e6f00 0006626c6b73697a650031343638 00 ffff; do
	out=$(tc --wait 400 --raw "$raw" 127.0.0.1 2>&1)
	check_match "tftp: stray packet $raw on port 69 not answered" '^result=timeout' "$out"
done
kill -0 "$DPID" 2>/dev/null && ok "tftp: daemon alive after hostile packets" ||
	notok "tftp: daemon alive after hostile packets"

# ---- caps: 8 transfers per client address once less than a quarter of tftp_max (10) is
# free (8 held: 2 free), tftp_max in all
pids=()
for i in $(seq 1 8); do
	tc --stall 8000 -t -b 512 -o "$T/hold$i" 127.0.0.1 f65465 >"$T/hold$i.out" 2>&1 &
	pids+=($!)
done
sleep 1
out=$(tc --wait 300 127.0.0.1 f1 2>&1)
check_match "tftp: 9th transfer from one address waits (per-client cap)" '^result=timeout' "$out"
for i in 1 2; do
	tc --stall 8000 -s 127.0.0.2 -o "$T/other$i" 127.0.0.1 f4096 >"$T/other$i.out" 2>&1 &
	pids+=($!)
done
sleep 1
out=$(tc --wait 300 -s 127.0.0.3 127.0.0.1 f1 2>&1)
check_match "tftp: 11th transfer waits (tftp_max = 10)" '^result=timeout' "$out"
check_match "tftp: the refused request is logged as busy" 'event=tftp .*status=busy .*max=10' "$(cat "$LOG")"
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
for i in $(seq 1 8); do cmp -s "$T/hold$i" "$R/f65465" || fails=$((fails + 1)); done
[ "$fails" = 0 ] && ok "tftp: the 10 held transfers complete intact" ||
	notok "tftp: the 10 held transfers complete intact ($fails failed)"
get "a slot is free again" f4096 -s 127.0.0.3

# ---- the log: one line per transfer, no server path in what clients were told
n_ok=$(grep -c 'event=tftp .*status=ok ' "$LOG")
check_match "tftp: log line per transfer (client, file, bytes, duration, status)" \
	'event=tftp client=127\.0\.0\.1:[0-9]+ file=big\.bin status=ok bytes=3145851 size=3145851 duration_ms=[0-9]+ ' "$(cat "$LOG")"
[ "$n_ok" -ge 50 ] && ok "tftp: $n_ok successful transfers logged" || notok "tftp: only $n_ok successful transfers logged"
check_match "tftp: the probe is logged as a size probe" 'status=size-probe .*client_error=8' "$(cat "$LOG")"
check_match "tftp: escapes are logged as not-found" 'file=\.\./outside\.txt status=not-found' "$(cat "$LOG")"
check_match "tftp: lost block retransmitted by the server" 'file=f1468 status=ok .*blksize=512 .*retransmits=[1-9]' "$(cat "$LOG")"

# ---- shutdown: SIGTERM ends the daemon cleanly (sanitizer builds: no leak report)
stop_clean tftp "$DPID" "$LOG"
finish
