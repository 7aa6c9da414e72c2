# shellcheck shell=bash
# tests/e2e/lib.sh — helpers for the end-to-end boot scenarios (sourced, not run).
#
# Each scenario gets a network namespace of its own holding:
#   br0        198.51.100.1/24, nothing else (no uplink, no default route, no IPv6)
#   tapN       QEMU NICs, created inside the namespace and enslaved to br0
#   dnsmasq    the "site" DHCP: addresses only, no boot options, --log-dhcp
#   http.server the inventory on 198.51.100.1:$HTTP_PORT serving boot.ipxe
# and a dead URL on 198.51.100.1:$DEAD_PORT (nothing listens: connection refused).
# Every process is started by us, its PID recorded, and killed by PID on exit.
#
# Output protocol: one line per check, "ok ...", "not ok ..." (followed by
# '#'-indented log excerpts) or "skip ... (reason)"; e2e_finish exits 1 if any
# check failed.

set -u

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_ROOT=$(cd "$E2E_DIR/../.." && pwd)
E2E_NAME=$(basename "$0" .sh)

CHAINBOOT=${CHAINBOOT:-build/chainboot}
case $CHAINBOOT in
/*) ;;
*) if [ -e "$CHAINBOOT" ]; then CHAINBOOT=$PWD/$CHAINBOOT; else CHAINBOOT=$E2E_ROOT/$CHAINBOOT; fi ;;
esac
# Optional: where the builder takes its iPXE binaries from (passed as --ipxe-dir;
# tests/run exports CHAINBOOT_IPXE_DIR). Empty: the builder's own default.
IPXE_DIR=${IPXE_DIR:-${CHAINBOOT_IPXE_DIR:-}}

# shellcheck disable=SC2034 # LIVE_URL, DEAD_URL: used by the scenarios
{
	USER_CLASS=${E2E_USER_CLASS:-CSTM}
	SERVER_IP=198.51.100.1
	HTTP_PORT=8080
	DEAD_PORT=8081
	LIVE_URL=http://$SERVER_IP:$HTTP_PORT/boot.ipxe
	DEAD_URL=http://$SERVER_IP:$DEAD_PORT/boot.ipxe
	INVENTORY_MARKER=E2E-INVENTORY-REACHED
}

# Generous ceiling per boot; waits return as soon as the evidence is there.
BOOT_TIMEOUT=${E2E_BOOT_TIMEOUT:-120}

OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
AAVMF_CODE=/usr/share/AAVMF/AAVMF_CODE.fd
AAVMF_VARS=/usr/share/AAVMF/AAVMF_VARS.fd

E2E_FAILED=0
E2E_LOGS_SHOWN=0
E2E_PIDS=()
E2E_NS=
E2E_TMP=
QEMU_PID=
QEMU_SERIAL=
QEMU_MON=

# ---------------------------------------------------------------- reporting

ok() { printf 'ok %s\n' "$*"; }
skip() { printf 'skip %s\n' "$*"; }
not_ok() {
	printf 'not ok %s\n' "$*"
	E2E_FAILED=1
}

# show_log TITLE FILE [N]: last N (default 15) lines of FILE, '#'-indented.
show_log() {
	local title=$1 file=$2 n=${3:-15}
	printf '#   --- %s (%s, last %s lines)\n' "$title" "${file##*/}" "$n"
	if [ -s "$file" ]; then
		# strip ANSI escapes and CRs the firmware consoles emit
		tail -n "$n" "$file" | sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\r//g' | awk '{ print "#   " $0 }'
	else
		printf '#   (empty)\n'
	fi
}

# show_logs: the server logs and the current VM's serial console.
show_logs() {
	show_log "inventory HTTP log" "$E2E_TMP/http.log" 10
	show_log "site DHCP log" "$E2E_TMP/dnsmasq.log" 12
	if [ -n "$QEMU_SERIAL" ]; then
		show_log "serial console" "$QEMU_SERIAL" 15
		show_log "qemu stderr" "$QEMU_SERIAL.qemu" 5
	fi
}

# check DESCRIPTION COMMAND...: ok/not ok by the command's status; the logs follow
# the first failure of a scenario.
check() {
	local desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc"
		if [ "$E2E_LOGS_SHOWN" = 0 ]; then
			E2E_LOGS_SHOWN=1
			show_logs
		fi
	fi
}

# skip_all REASON: every check of this scenario is skipped (genuine precondition absent).
skip_all() {
	skip "$E2E_NAME ($1)"
	exit 0
}

e2e_finish() {
	exit "$E2E_FAILED"
}

# ---------------------------------------------------------------- setup and cleanup

e2e_cleanup() {
	local pid i
	# newest first: QEMU before the servers
	for ((i = ${#E2E_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${E2E_PIDS[$i]}
		kill -TERM "$pid" 2>/dev/null || continue
	done
	for pid in "${E2E_PIDS[@]}"; do
		for i in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ -n "$E2E_NS" ]; then
		ip netns delete "$E2E_NS" 2>/dev/null
	fi
	if [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ]; then
		if [ -n "${E2E_KEEP:-}" ]; then
			printf '# kept %s\n' "$E2E_TMP" >&2
		else
			rm -rf -- "$E2E_TMP"
		fi
	fi
}

# track PID: remember a process we started so that cleanup kills it.
track() { E2E_PIDS+=("$1"); }

# untrack PID: forget a process that has ended.
untrack() {
	local i
	for i in "${!E2E_PIDS[@]}"; do
		[ "${E2E_PIDS[$i]}" = "$1" ] && unset 'E2E_PIDS[i]'
	done
	E2E_PIDS=("${E2E_PIDS[@]}")
}

# e2e_require [qemu-system-x86_64|qemu-system-aarch64 ...]: skip when a genuine
# precondition is missing; otherwise set up the temp dir and the exit trap.
e2e_require() {
	local tool
	[ "$(id -u)" = 0 ] || skip_all "not root: network namespaces need CAP_NET_ADMIN"
	[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"
	for tool in ip dnsmasq python3 timeout "$@"; do
		command -v "$tool" >/dev/null 2>&1 || skip_all "$tool not installed"
	done
	case " $* " in
	*" qemu-system-x86_64 "*)
		if [ ! -r "$OVMF_CODE" ] || [ ! -r "$OVMF_VARS" ]; then
			skip_all "OVMF not installed ($OVMF_CODE)"
		fi
		;;
	esac
	case " $* " in
	*" qemu-system-aarch64 "*)
		if [ ! -r "$AAVMF_CODE" ] || [ ! -r "$AAVMF_VARS" ]; then
			skip_all "AAVMF not installed ($AAVMF_CODE)"
		fi
		;;
	esac
	E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cb-e2e-$E2E_NAME.XXXXXX") || {
		not_ok "$E2E_NAME: mktemp"
		exit 1
	}
	trap e2e_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# e2e_ipv6 NS: IPv6 off in NS, or with E2E_IPV6=1 on with link-local addresses only
# (usable at once: no duplicate address detection wait).
e2e_ipv6() {
	if [ "${E2E_IPV6:-}" = 1 ]; then
		ip netns exec "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=0 \
			net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.all.accept_dad=0 2>/dev/null
	else
		ip netns exec "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 \
			net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	fi
}

# net_up: namespace with br0 = 198.51.100.1/24 only.
net_up() {
	E2E_NS=cbe2e-$$-$RANDOM
	ip netns add "$E2E_NS" || {
		E2E_NS=
		not_ok "$E2E_NAME: create network namespace"
		exit 1
	}
	# no IPv6 on the devices we create: only 198.51.100.0/24 is ours to use
	# (E2E_IPV6=1: link-local IPv6 on, no router and no prefix, as on most LANs)
	e2e_ipv6 "$E2E_NS"
	if ! { ip -n "$E2E_NS" link set lo up &&
		ip -n "$E2E_NS" link add br0 type bridge forward_delay 0 stp_state 0 &&
		ip -n "$E2E_NS" addr add "$SERVER_IP/24" dev br0 &&
		ip -n "$E2E_NS" link set br0 up; }; then
		not_ok "$E2E_NAME: set up br0 in $E2E_NS"
		exit 1
	fi
}

# tap_add N: tapN inside the namespace, on br0.
tap_add() {
	if ! { ip -n "$E2E_NS" tuntap add "tap$1" mode tap &&
		ip -n "$E2E_NS" link set "tap$1" master br0 &&
		ip -n "$E2E_NS" link set "tap$1" up; }; then
		not_ok "$E2E_NAME: create tap$1"
		exit 1
	fi
}

# dhcp_start: the site DHCP (addresses only); logs the user class per transaction.
# DHCP_EXTRA: further dnsmasq options (words), e.g. --dhcp-host=MAC,NAME.
dhcp_start() {
	: >"$E2E_TMP/dnsmasq.log"
	ip netns exec "$E2E_NS" dnsmasq --no-daemon --conf-file=/dev/null --no-hosts --no-resolv \
		--port=0 --bind-interfaces --interface=br0 --except-interface=lo \
		--dhcp-range=198.51.100.100,198.51.100.199,1h --dhcp-authoritative \
		--log-dhcp --log-facility="$E2E_TMP/dnsmasq.log" \
		--dhcp-leasefile="$E2E_TMP/dnsmasq.leases" --pid-file="$E2E_TMP/dnsmasq.pid" \
		--user=root --group=root ${DHCP_EXTRA:-} \
		>"$E2E_TMP/dnsmasq.out" 2>&1 &
	track $!
	wait_for "$E2E_TMP/dnsmasq.log" 'DHCP, IP range 198\.51\.100\.100' 10 || {
		not_ok "$E2E_NAME: site DHCP (dnsmasq) starts"
		show_log "dnsmasq output" "$E2E_TMP/dnsmasq.out"
		show_log "dnsmasq log" "$E2E_TMP/dnsmasq.log"
		exit 1
	}
}

# http_start: the inventory, serving $E2E_TMP/www/boot.ipxe.
http_start() {
	mkdir -p "$E2E_TMP/www"
	cat >"$E2E_TMP/www/boot.ipxe" <<EOF
#!ipxe
echo $INVENTORY_MARKER mac \${netX/mac} uuid \${uuid}
poweroff || exit
EOF
	: >"$E2E_TMP/http.log"
	ip netns exec "$E2E_NS" python3 -u -m http.server "$HTTP_PORT" --bind "$SERVER_IP" \
		--directory "$E2E_TMP/www" >"$E2E_TMP/http.out" 2>"$E2E_TMP/http.log" &
	track $!
	wait_for "$E2E_TMP/http.out" "Serving HTTP on $SERVER_IP" 10 || {
		not_ok "$E2E_NAME: inventory HTTP server starts"
		show_log "http.server output" "$E2E_TMP/http.out"
		show_log "http.server log" "$E2E_TMP/http.log"
		exit 1
	}
}

# site_up [NTAPS]: namespace, bridge, NTAPS (default 1) taps, DHCP and HTTP.
site_up() {
	local i n=${1:-1}
	net_up
	for ((i = 0; i < n; i++)); do tap_add "$i"; done
	dhcp_start
	http_start
}

# ---------------------------------------------------------------- waiting and evidence

# wait_for FILE REGEX TIMEOUT: poll until FILE has a line matching the extended
# REGEX; 0 when found, 1 on timeout, 2 when the VM exited first without it.
wait_for() {
	local file=$1 re=$2 limit=$3 start=$SECONDS
	while ((SECONDS - start < limit)); do
		if [ -f "$file" ] && grep -Eaq -- "$re" "$file"; then
			return 0
		fi
		if [ -n "$QEMU_PID" ] && ! kill -0 "$QEMU_PID" 2>/dev/null; then
			grep -Eaq -- "$re" "$file" 2>/dev/null && return 0
			return 2
		fi
		sleep 0.25
	done
	return 1
}

# mac_enc MAC: a regex for the MAC in a query string: plain (52:54:...) or
# URI-encoded the way iPXE's ":uristring" writes a string setting (52%3A54%3A...).
mac_enc() { printf '%s' "${1//:/(:|%3[Aa])}"; }

# http_saw_mac MAC [PORT]: the inventory log has GET /boot.ipxe?...mac=MAC...
http_saw_mac() {
	grep -Eaiq "\"GET /boot\.ipxe\?([^ \"]*&)?mac=$(mac_enc "$1")[&\" ]" "$E2E_TMP/http.log"
}

# http_line MAC: that request line (for reporting).
http_line() {
	grep -Eai "\"GET /boot\.ipxe\?([^ \"]*&)?mac=$(mac_enc "$1")[&\" ]" "$E2E_TMP/http.log" | head -n 1
}

# http_has_param MAC KEY=VALUE-REGEX: the request for MAC carries that parameter.
http_has_param() {
	http_line "$1" | grep -Eq "[?&]$2[&\" ]"
}

# dhcp_class_for MAC CLASS: some DHCP transaction from MAC carried user class CLASS
# (dnsmasq --log-dhcp prints "<xid> user class: X" and "<xid> DHCPDISCOVER(br0) MAC").
dhcp_class_for() {
	local mac=$1 class=$2 xid
	while read -r xid; do
		grep -Eaq "dnsmasq-dhcp[^ ]* $xid user class: $class ?\$" "$E2E_TMP/dnsmasq.log" && return 0
	done < <(grep -Ea "DHCP(DISCOVER|REQUEST)\(br0\) ([0-9.]+ )?$mac ?\$" "$E2E_TMP/dnsmasq.log" |
		sed -E 's/^.*dnsmasq-dhcp[^ ]* ([0-9]+) .*$/\1/' | sort -u)
	return 1
}

# dhcp_saw_mac MAC: dnsmasq received any DHCP request from MAC.
dhcp_saw_mac() {
	grep -Eaq "DHCP(DISCOVER|REQUEST)\(br0\) ([0-9.]+ )?$1 ?\$" "$E2E_TMP/dnsmasq.log"
}

# http_no_request: the inventory got no request at all.
http_no_request() { ! grep -q 'GET /' "$E2E_TMP/http.log"; }

# no_class MAC CLASS: the site DHCP saw no transaction of class CLASS from MAC.
no_class() { ! dhcp_class_for "$1" "$2"; }

# no_request MAC: the inventory got no request from MAC.
no_request() { ! http_saw_mac "$1"; }

# mac_silent MAC: neither the site DHCP nor the inventory heard from MAC.
mac_silent() { ! dhcp_saw_mac "$1" && ! http_saw_mac "$1"; }

# ---------------------------------------------------------------- images

# build_image OUT ARGS...: $CHAINBOOT build ARGS -o OUT; reports a check.
build_image() {
	local out=$1 rc
	shift
	local -a extra=()
	[ -n "$IPXE_DIR" ] && extra=(--ipxe-dir "$IPXE_DIR")
	if [ ! -x "$CHAINBOOT" ]; then
		not_ok "$E2E_NAME: builder $CHAINBOOT exists (run make first)"
		exit 1
	fi
	"$CHAINBOOT" build "$@" "${extra[@]}" -o "$out" >"$E2E_TMP/build.log" 2>&1
	rc=$?
	if [ "$rc" = 0 ] && [ -s "$out" ]; then
		ok "chainboot build $* (image $(($(stat -c %s "$out") / 1024)) KiB)"
	else
		not_ok "chainboot build $* (exit $rc)"
		show_log "chainboot build output" "$E2E_TMP/build.log" 20
		exit 1
	fi
}

# ---------------------------------------------------------------- QEMU

# mac_for N: a distinct MAC per scenario and NIC: 52:54:00:<pid bytes>:<nic>. A scenario
# that boots several VMs may set MAC_BASE (default 0) to give each boot MACs of its own.
mac_for() {
	printf '52:54:00:%02x:%02x:%02x' $((($$ >> 8) & 255)) $(($$ & 255)) $((0x10 + ${MAC_BASE:-0} + $1))
}

# qemu_start FIRMWARE MEDIUM IMG [NNICS] [-- EXTRA QEMU ARGS]
#   FIRMWARE: bios | uefi | arm64     MEDIUM: cd | usb
# NIC i uses tap<i>, netdev id net<i>, MAC $(mac_for i). Sets QEMU_PID, QEMU_SERIAL,
# QEMU_MON (HMP unix socket). QEMU runs under `timeout` inside the namespace.
qemu_start() {
	local fw=$1 medium=$2 img=$3 nnics=${4:-1} i tag
	shift 3
	[ $# -gt 0 ] && shift
	[ "${1:-}" = -- ] && shift
	tag=$fw-$medium
	QEMU_SERIAL=$E2E_TMP/$tag.serial
	QEMU_MON=$E2E_TMP/$tag.mon
	: >"$QEMU_SERIAL"
	local -a q
	case $fw in
	bios)
		q=(qemu-system-x86_64 -M pc -m 256)
		;;
	uefi)
		cp "$OVMF_VARS" "$E2E_TMP/ovmf-vars.fd"
		q=(qemu-system-x86_64 -M q35 -m 256
			-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
			-drive "if=pflash,format=raw,unit=1,file=$E2E_TMP/ovmf-vars.fd")
		;;
	arm64)
		# AAVMF images are 64 MiB already; pad copies in case a build ships them shorter
		cp "$AAVMF_VARS" "$E2E_TMP/aavmf-vars.fd"
		truncate -s 64M "$E2E_TMP/aavmf-vars.fd"
		local code=$AAVMF_CODE
		if [ "$(stat -c %s "$AAVMF_CODE")" != 67108864 ]; then
			cp "$AAVMF_CODE" "$E2E_TMP/aavmf-code.fd"
			truncate -s 64M "$E2E_TMP/aavmf-code.fd"
			code=$E2E_TMP/aavmf-code.fd
		fi
		q=(qemu-system-aarch64 -M virt -cpu cortex-a57 -m 512
			-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code"
			-drive "if=pflash,format=raw,unit=1,file=$E2E_TMP/aavmf-vars.fd")
		;;
	*)
		echo "qemu_start: unknown firmware $fw" >&2
		return 2
		;;
	esac
	q+=(-accel tcg -smp 1 -display none -no-reboot -no-user-config -nodefaults
		-serial "file:$QEMU_SERIAL" -monitor "unix:$QEMU_MON,server=on,wait=off")
	[ "$fw" != arm64 ] && q+=(-vga std)
	case $medium in
	cd)
		if [ "$fw" = arm64 ]; then
			q+=(-device "virtio-scsi-pci,id=scsi0"
				-drive "if=none,id=cd0,media=cdrom,format=raw,readonly=on,file=$img"
				-device "scsi-cd,bus=scsi0.0,drive=cd0,bootindex=0")
		else
			q+=(-drive "if=none,id=cd0,media=cdrom,format=raw,readonly=on,file=$img"
				-device "ide-cd,drive=cd0,bootindex=0")
		fi
		;;
	usb)
		q+=(-drive "if=none,id=stick,format=raw,snapshot=on,file=$img"
			-device "qemu-xhci,id=xhci" -device "usb-storage,bus=xhci.0,drive=stick,bootindex=0")
		;;
	*)
		echo "qemu_start: unknown medium $medium" >&2
		return 2
		;;
	esac
	for ((i = 0; i < nnics; i++)); do
		q+=(-netdev "tap,id=net$i,ifname=tap$i,script=no,downscript=no"
			-device "${E2E_NIC_MODEL:-virtio-net-pci},netdev=net$i,mac=$(mac_for "$i"),bootindex=$((10 + i))")
		# the aarch64 machine has no use for QEMU's x86 EFI NIC ROMs
		[ "$fw" = arm64 ] && q[${#q[@]} - 1]+=",romfile="
	done
	q+=("$@")
	qemu_launch "${q[@]}"
}

# qemu_launch QEMU-ARGV...: start the VM in the test's namespace (its command line kept
# beside the serial log as $QEMU_SERIAL.cmd), ended by timeout after BOOT_TIMEOUT + 30 s
# whatever happens; sets QEMU_PID (tracked) and QEMU_START. Not in a subshell: $! is
# the VM's own timeout wrapper.
qemu_launch() {
	printf '%q ' "$@" >"$QEMU_SERIAL.cmd"
	ip netns exec "$E2E_NS" timeout -k 5 "$((BOOT_TIMEOUT + 30))" "$@" \
		</dev/null >"$QEMU_SERIAL.qemu" 2>&1 &
	QEMU_PID=$!
	track "$QEMU_PID"
	QEMU_START=$SECONDS
}

# qemu_stop: end the current VM (by its PID) and wait for it.
qemu_stop() {
	[ -n "$QEMU_PID" ] || return 0
	local i
	kill -TERM "$QEMU_PID" 2>/dev/null
	for i in $(seq 1 40); do
		kill -0 "$QEMU_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$QEMU_PID" 2>/dev/null
	wait "$QEMU_PID" 2>/dev/null
	untrack "$QEMU_PID"
	QEMU_PID=
}

# hmp COMMAND...: send HMP commands to the current VM's monitor socket.
hmp() {
	python3 - "$QEMU_MON" "$@" <<'EOF'
import socket, sys, time
path, cmds = sys.argv[1], sys.argv[2:]
for _ in range(100):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("monitor socket %s: no connection" % path)
s.settimeout(5)
def until_prompt():
    buf = b""
    while not buf.endswith(b"(qemu) "):
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    return buf
until_prompt()
for c in cmds:
    s.sendall(c.encode() + b"\n")
    out = until_prompt().decode(errors="replace")
    sys.stdout.write(out)
s.close()
EOF
}

# boot_and_check FIRMWARE MEDIUM IMG LABEL: boot, wait for the VM's request on the
# inventory, then check the evidence on the server side.
boot_and_check() {
	local fw=$1 medium=$2 img=$3 label=$4 mac rc
	mac=$(mac_for 0)
	qemu_start "$fw" "$medium" "$img" 1
	wait_for "$E2E_TMP/http.log" "\"GET /boot\.ipxe\?([^ \"]*&)?mac=$(mac_enc "$mac")" "$BOOT_TIMEOUT"
	rc=$?
	local took=$((SECONDS - QEMU_START))
	qemu_stop
	check_boot_evidence "$label" "$mac" "$rc" "$took" "$fw"
}

# check_boot_evidence LABEL MAC WAIT_RC SECONDS [FIRMWARE]
check_boot_evidence() {
	local label=$1 mac=$2 rc=$3 took=$4 fw=${5:-bios} why=
	case $rc in
	1) why=" (no request within ${BOOT_TIMEOUT}s)" ;;
	2) why=" (VM exited after ${took}s without a request)" ;;
	esac
	check "$label: inventory got GET /boot.ipxe?mac=$mac after ${took}s$why" http_saw_mac "$mac"
	check "$label: request carries uc=$USER_CLASS" http_has_param "$mac" "uc=$USER_CLASS"
	check "$label: site DHCP saw user class $USER_CLASS from $mac" dhcp_class_for "$mac" "$USER_CLASS"
	# UEFI firmware mirrors iPXE's console on the serial port (BIOS ipxe.lkrn does not)
	if [ "$fw" != bios ]; then
		check "$label: serial console shows 'chainboot: chain script starting'" \
			grep -Eaq 'chainboot: chain script starting' "$QEMU_SERIAL"
	fi
}

# ================================================================ chainbootd (chain-*.sh)
# Added for the network-boot chain scenarios. chainbootd runs in a namespace of its own
# on 198.51.100.2, joined to br0 by a veth pair: another host on the site's LAN, beside
# the site DHCP (dnsmasq on 198.51.100.1, addresses only, nothing of PXE).
CBD_IP=198.51.100.2
CBD_PORT=8080
# chainbootd's interface in its namespace (a scenario may name it like a VLAN interface)
CBD_IF=${CBD_IF:-cb0}
CBD_NS=
CBD_PID=
CBD_LOG=
CBD_DIR=
CHAINBOOTD=${CHAINBOOTD:-$(dirname "$CHAINBOOT")/chainbootd}

# cbd_net: the server's namespace and the veth pair ($CBD_IF there, cbbr0 on br0).
cbd_net() {
	CBD_NS=cbsrv-$$-$RANDOM
	# newest first at exit: chainbootd and QEMU (e2e_cleanup), then this namespace
	trap 'e2e_cleanup; ip netns delete "$CBD_NS" 2>/dev/null' EXIT
	if ! { ip netns add "$CBD_NS" &&
		e2e_ipv6 "$CBD_NS" &&
		ip -n "$CBD_NS" link set lo up &&
		ip -n "$E2E_NS" link add cbbr0 type veth peer name "$CBD_IF" netns "$CBD_NS" &&
		ip -n "$E2E_NS" link set cbbr0 master br0 && ip -n "$E2E_NS" link set cbbr0 up &&
		ip -n "$CBD_NS" addr add "$CBD_IP/24" dev "$CBD_IF" && ip -n "$CBD_NS" link set "$CBD_IF" up; }; then
		not_ok "$E2E_NAME: chainbootd's namespace and veth on br0"
		exit 1
	fi
	CBD_DIR=$E2E_TMP/cbd
	mkdir -p "$CBD_DIR/root"
	# chainbootd reads its inventory again (SIGHUP) as the unprivileged user
	chmod 711 "$E2E_TMP"
}

# cbd_start ARGS...: chainbootd --listen 198.51.100.2 --http-port 8080 --interface $CBD_IF
# --boot-root $CBD_DIR/root ARGS; waits for its start line. Logs to $CBD_LOG.
cbd_start() {
	[ -n "$CBD_NS" ] || cbd_net
	if [ ! -x "$CHAINBOOTD" ]; then
		not_ok "$E2E_NAME: $CHAINBOOTD is built (make)"
		exit 1
	fi
	chmod -R a+rX "$CBD_DIR"
	CBD_LOG=$E2E_TMP/chainbootd.log
	: >"$CBD_LOG"
	local -a extra=()
	[ -n "$IPXE_DIR" ] && extra=(--ipxe-dir "$IPXE_DIR")
	CHAINBOOT_DATADIR=$E2E_ROOT ip netns exec "$CBD_NS" "$CHAINBOOTD" --listen "$CBD_IP" --http-port "$CBD_PORT" \
		--interface "$CBD_IF" --boot-root "$CBD_DIR/root" --user nobody "${extra[@]}" "$@" >"$CBD_LOG" 2>&1 &
	CBD_PID=$!
	track "$CBD_PID"
	if ! wait_for "$CBD_LOG" 'event=start ' 60; then
		not_ok "$E2E_NAME: chainbootd starts ($*)"
		show_log "chainbootd" "$CBD_LOG" 20
		exit 1
	fi
	ok "chainbootd started on $CBD_IP ($*)"
}

# cbd_stop: end chainbootd (SIGTERM, by PID) and check that it exited cleanly.
cbd_stop() {
	[ -n "$CBD_PID" ] || return 0
	local rc i
	kill -TERM "$CBD_PID" 2>/dev/null
	for i in $(seq 1 50); do
		kill -0 "$CBD_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$CBD_PID" 2>/dev/null
	rc=$?
	untrack "$CBD_PID"
	CBD_PID=
	check "chainbootd stops cleanly on SIGTERM (status $rc)" test "$rc" = 0
}

# cbd_saw REGEX: chainbootd logged a matching line.
cbd_saw() { grep -Eaq -- "$1" "$CBD_LOG"; }
# cbd_wait REGEX TIMEOUT: wait for such a line (0 found, 1 timeout, 2 VM gone).
cbd_wait() { wait_for "$CBD_LOG" "$1" "$2"; }

# cbd_check DESC REGEX: a check on chainbootd's log; on failure its tail is shown too.
cbd_check() {
	local desc=$1 re=$2
	if cbd_saw "$re"; then
		ok "$desc"
	else
		not_ok "$desc"
		show_log "chainbootd log" "$CBD_LOG" 25
		[ -n "$QEMU_SERIAL" ] && show_log "serial console" "$QEMU_SERIAL" 15
		show_log "site DHCP log" "$E2E_TMP/dnsmasq.log" 10
	fi
}

# qemu_net_start FIRMWARE ROM MAC TAG [-- EXTRA]: a diskless VM that boots from its NIC.
#   FIRMWARE bios (SeaBIOS) | uefi (OVMF); ROM vendor (QEMU's own iPXE ROM, Debian
#   ipxe-qemu) | none (the firmware's own PXE; OVMF has a virtio-net driver).
# SeaBIOS (graphics=off: its serial console) mirrors the text screen, so the vendor ROM's
# console reaches the serial file too.
qemu_net_start() {
	local fw=$1 rom=$2 mac=$3 tag=$4 romopt=
	shift 4
	[ "${1:-}" = -- ] && shift
	QEMU_SERIAL=$E2E_TMP/$tag.serial
	QEMU_MON=$E2E_TMP/$tag.mon
	: >"$QEMU_SERIAL"
	[ "$rom" = none ] && romopt=,romfile=
	local -a q
	case $fw in
	bios) q=(qemu-system-x86_64 -M pc,graphics=off -m 256) ;;
	uefi)
		cp "$OVMF_VARS" "$E2E_TMP/ovmf-vars-$tag.fd"
		q=(qemu-system-x86_64 -M q35 -m 256
			-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
			-drive "if=pflash,format=raw,unit=1,file=$E2E_TMP/ovmf-vars-$tag.fd") ;;
	*) echo "qemu_net_start: unknown firmware $fw" >&2; return 2 ;;
	esac
	q+=(-accel tcg -smp 1 -display none -no-reboot -no-user-config -nodefaults -vga std
		-serial "file:$QEMU_SERIAL" -monitor "unix:$QEMU_MON,server=on,wait=off"
		-netdev tap,id=net0,ifname=tap0,script=no,downscript=no
		-device "virtio-net-pci,netdev=net0,mac=$mac,bootindex=1$romopt" "$@")
	qemu_launch "${q[@]}"
}

# site_dhcp_start_with ARGS...: the site DHCP as dhcp_start starts it, plus ARGS (for a
# scenario that needs the site's DHCP configured differently, e.g. keyed on iPXE).
site_dhcp_start_with() {
	: >"$E2E_TMP/dnsmasq.log"
	ip netns exec "$E2E_NS" dnsmasq --no-daemon --conf-file=/dev/null --no-hosts --no-resolv \
		--port=0 --bind-interfaces --interface=br0 --except-interface=lo \
		--dhcp-range=198.51.100.100,198.51.100.199,1h --dhcp-authoritative \
		--log-dhcp --log-facility="$E2E_TMP/dnsmasq.log" \
		--dhcp-leasefile="$E2E_TMP/dnsmasq.leases" --pid-file="$E2E_TMP/dnsmasq.pid" \
		--user=root --group=root "$@" \
		>"$E2E_TMP/dnsmasq.out" 2>&1 &
	track $!
	wait_for "$E2E_TMP/dnsmasq.log" 'DHCP, IP range 198\.51\.100\.100' 10 || {
		not_ok "$E2E_NAME: site DHCP (dnsmasq $*) starts"
		show_log "dnsmasq output" "$E2E_TMP/dnsmasq.out"
		exit 1
	}
}

# ================================================================ HTTPS (https-*.sh)
# https_start PORT CERT KEY: the inventory over TLS on $SERVER_IP:PORT, serving
# $E2E_TMP/www/boot.ipxe; requests logged to $E2E_TMP/http.log as http.server logs them
# (so http_saw_mac works), and each refused handshake as "ADDR TLS handshake failed: why".
https_start() {
	local port=$1 cert=$2 key=$3
	mkdir -p "$E2E_TMP/www"
	cat >"$E2E_TMP/www/boot.ipxe" <<EOT
#!ipxe
echo $INVENTORY_MARKER mac \${netX/mac} uuid \${uuid}
poweroff || exit
EOT
	: >"$E2E_TMP/http.log"
	ip netns exec "$E2E_NS" python3 -u - "$SERVER_IP" "$port" "$cert" "$key" "$E2E_TMP/www" \
		>"$E2E_TMP/http.out" 2>"$E2E_TMP/http.log" <<'EOT' &
import functools, http.server, ssl, sys
ip, port, cert, key, root = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
class Server(http.server.ThreadingHTTPServer):
    def get_request(self):
        sock, addr = self.socket.accept()
        sock.settimeout(20)  # a client that stalls mid-handshake must not hold the server
        try:
            return ctx.wrap_socket(sock, server_side=True), addr
        except (ssl.SSLError, OSError) as e:
            sys.stderr.write("%s TLS handshake failed: %s\n" % (addr[0], e))
            sock.close()
            raise
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
srv = Server((ip, port), handler)
print("Serving HTTPS on %s port %d" % (ip, port), flush=True)
srv.serve_forever()
EOT
	track $!
	wait_for "$E2E_TMP/http.out" "Serving HTTPS on $SERVER_IP" 10 || {
		not_ok "$E2E_NAME: inventory HTTPS server starts"
		show_log "https server output" "$E2E_TMP/http.out"
		show_log "https server log" "$E2E_TMP/http.log"
		exit 1
	}
}
