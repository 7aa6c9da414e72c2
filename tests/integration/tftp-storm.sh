#!/bin/bash
# tftp-storm: 32, then 256 TFTP clients start at once against chainbootd (issue 17 item 6),
# in two network namespaces this test creates: every socket open before the first RRQ,
# every RRQ out before any answer is read, each as firmware asks (blksize 1468 + tsize,
# lock-step, the last ACK or the RRQ again after 500 ms), all from one client address
# (VMs behind a NAT). Every block is compared with the served file; the retransmissions
# are counted and reported. Asserted: every transfer completes with the file's exact
# bytes, the daemon logs each as ok, and none was refused as busy while slots were free
# (the per-address cap binds only once the table is short). Speed is the bench's job
# (bench/cases/tftp-storm.sh), not this test's.
# CHAINBOOTD=path overrides the daemon (default: $CHAINBOOT_BUILD/chainbootd).
. "$(dirname "$0")/lib.sh"

BUILD=${CHAINBOOT_BUILD:-$CHAINBOOT_SRCDIR/build}
DAEMON=${CHAINBOOTD:-$BUILD/chainbootd}
LOAD=$BUILD/bench/tftpload
need_root_daemon tftp-storm ip nsenter
[ -x "$LOAD" ] || { notok "tftp-storm: $LOAD is built (make tests)"; exit 1; }
id nobody >/dev/null 2>&1 || { echo "skip tftp-storm (no user nobody to drop to)"; exit 0; }

NS_S=cbts-s-$$ NS_C=cbts-c-$$
SRV=198.51.100.1 CLI=198.51.100.2
DPID=
stop_daemon_quietly() {
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && sleep 0.5 && kill -KILL "$DPID" 2>/dev/null
}
ns_pair "$NS_S" "$NS_C" $SRV $CLI || { notok "tftp-storm: create network namespaces"; exit 1; }
at_exit stop_daemon_quietly # runs first: the daemon ends before its namespace goes

# ---- what the daemon serves (it runs as nobody): 1 MiB and an odd tail, random bytes
chmod 711 "$T"
R=$T/root
mkdir -p "$R"
SIZE=$((1024 * 1024 + 777))
head -c $SIZE /dev/urandom >"$R/storm.bin"
chmod -R a+rX "$R"

# tftp_max 512: 256 from one address fit the share an address may take (3/4 of it)
cat >"$T/site.ini" <<EOF
[chain]
url = http://$SRV/boot.ipxe
[server]
listen = $SRV
proxydhcp = no
tftp = yes
http_port = 8080
boot_root = $R
user = nobody
tftp_max = 512
EOF
LOG=$T/daemon.log
export CHAINBOOT_DATADIR=${CHAINBOOT_DATADIR:-$CHAINBOOT_SRCDIR}
# nsenter execs the daemon itself, so $DPID is chainbootd's own PID
nsenter --net="/run/netns/$NS_S" -- "$DAEMON" -c "$T/site.ini" >"$LOG" 2>&1 &
DPID=$!
if ! wait_started "$LOG" "$DPID" 30; then
	notok "tftp-storm: daemon started"
	sed 's/^/#   /' "$LOG" | tail -20
	exit 1
fi
ok "tftp-storm: daemon started"

# storm N: N clients at once; one ok/not ok line per property, retransmissions reported.
storm() {
	local n=$1 out rc logged
	local before
	before=$(grep -c 'event=tftp .*file=storm\.bin status=ok ' "$LOG")
	out=$(ip netns exec "$NS_C" "$LOAD" --server $SRV --file storm.bin --clients "$n" \
		--blksize 1468 --tsize --expect-size $SIZE --verify "$R/storm.bin" \
		--timeout-ms 500 --retries 20 --deadline-s 120 --times "$T/times$n" 2>"$T/err$n")
	rc=$?
	echo "# $n clients: $out"
	sed 's/^/#   /' "$T/err$n" | head -5
	check_match "tftp-storm: $n at once: every transfer completes (tool exit $rc)" \
		"^ok=$n failed=0 bytes=$((n * SIZE)) " "$out"
	check_match "tftp-storm: $n at once: every block identical to the served file" \
		" verified=$((n * SIZE)) " "$out"
	[ "$(grep -c ' ok$' "$T/times$n" 2>/dev/null)" = "$n" ] &&
		ok "tftp-storm: $n at once: $n per-transfer results, all ok" ||
		notok "tftp-storm: $n at once: $n per-transfer results, all ok"
	# the daemon logs a transfer when the final ACK lands: give the last ones a moment
	for _ in $(seq 1 50); do
		logged=$(($(grep -c 'event=tftp .*file=storm\.bin status=ok ' "$LOG") - before))
		[ "$logged" -ge "$n" ] && break
		sleep 0.1
	done
	[ "$logged" = "$n" ] && ok "tftp-storm: $n at once: daemon logs $n transfers ok" ||
		notok "tftp-storm: $n at once: daemon logs $n transfers ok (logged $logged)"
}
storm 32
storm 256
if grep -q 'event=tftp .*status=busy' "$LOG"; then
	notok "tftp-storm: no request refused as busy (slots were free)"
	grep 'status=busy' "$LOG" | head -3 | sed 's/^/#   /'
else
	ok "tftp-storm: no request refused as busy (slots were free)"
fi

stop_clean tftp-storm "$DPID" "$LOG"
DPID=
finish
