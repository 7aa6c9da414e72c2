#!/bin/bash
# chain-time: the three network chains on a LAN with IPv6 on and no IPv6 router (the
# site DHCP hands out addresses only), each timed from QEMU's start to the inventory
# script request:
#   bios-vendor  SeaBIOS + QEMU's iPXE NIC ROM -> our ipxe.pxe -> script
#   uefi-vendor  OVMF + QEMU's EFI iPXE ROM -> our snponly.efi -> script
#   uefi-pxe     OVMF's own PXE -> our snponly.efi -> script
# A firmware iPXE waits for IPv6 autoconfiguration to time out when no router answers;
# chainbootd answers the Router Solicitation of the client it boots (server/ra.c), and
# the path is asserted from its log: RS answered with a no-router RA for this MAC, then
# the script request. The time is printed, not asserted: targets live in make bench
# (bench/cases/chain-time.sh runs this file with CHAIN_TIME_* set).
#   CHAIN_TIME_CHAINS  which chains (default all three)
#   CHAIN_TIME_REPS    boots per chain (default 1)
#   CHAIN_TIME_SERVER  chainbootd (default) | dnsmasq: the anchor, dnsmasq as proxyDHCP
#                      and TFTP with Debian's stock iPXE binaries, keyed on user-class
#                      iPXE as the usual recipe is; chainbootd then serves only HTTP
#   CHAIN_TIME_RA      on (default) | off: chainbootd's [server] ra_answer
#   CHAIN_TIME_CBD_ARGS more chainbootd options (e.g. --efi-binary ipxe), chainbootd only
# Each boot prints "# chain-time server=S chain=C rep=N seconds=X.XX".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/_chain.sh"
e2e_require qemu-system-x86_64
E2E_IPV6=1
CHAINS=${CHAIN_TIME_CHAINS:-bios-vendor uefi-vendor uefi-pxe}
REPS=${CHAIN_TIME_REPS:-1}
SERVER=${CHAIN_TIME_SERVER:-chainbootd}
RA=${CHAIN_TIME_RA:-on}
STOCK=${IPXE_DIR:-$(cd "$E2E_ROOT" && scripts/deps.sh --print-ipxe-dir 2>/dev/null)}
ANCHOR_DNSMASQ=${CHAIN_TIME_DNSMASQ:-dnsmasq}

chain_site
# cb0 gets its link-local address at once (no DAD): the responder can start
for i in $(seq 1 50); do
	[ -n "$CBD_NS" ] || cbd_net
	ip -n "$CBD_NS" -6 addr show dev cb0 scope link | grep -v tentative | grep -q 'inet6 fe80' && break
	sleep 0.1
done

# anchor_start: dnsmasq on cb0 as proxyDHCP + TFTP (stock ipxe.pxe, snponly.efi), the
# vendor ROM and the stock binaries (class iPXE) sent to the script URL.
anchor_start() {
	local url="http://$CBD_IP:$CBD_PORT/boot.ipxe?mac=\${net0/mac}"
	mkdir -p "$E2E_TMP/stock"
	cp "$STOCK/ipxe.pxe" "$STOCK/snponly.efi" "$E2E_TMP/stock/"
	: >"$E2E_TMP/anchor.log"
	ip netns exec "$CBD_NS" "$ANCHOR_DNSMASQ" --no-daemon --conf-file=/dev/null --no-hosts \
		--no-resolv --port=0 --bind-interfaces --interface=cb0 --except-interface=lo \
		--dhcp-range=198.51.100.0,proxy --dhcp-userclass=set:ipxe,iPXE \
		--pxe-service=tag:!ipxe,x86PC,"chainload iPXE",ipxe.pxe \
		--pxe-service=tag:ipxe,x86PC,"inventory",$url \
		--pxe-service=tag:!ipxe,x86-64_EFI,"chainload iPXE",snponly.efi \
		--pxe-service=tag:ipxe,x86-64_EFI,"inventory",$url \
		--enable-tftp --tftp-root="$E2E_TMP/stock" --log-dhcp \
		--log-facility="$E2E_TMP/anchor.log" --pid-file="$E2E_TMP/anchor.pid" \
		--dhcp-leasefile="$E2E_TMP/anchor.leases" --user=root --group=root \
		>"$E2E_TMP/anchor.out" 2>&1 &
	track $!
	wait_for "$E2E_TMP/anchor.log" 'proxy on subnet|DHCP, proxy' 10 || {
		not_ok "anchor dnsmasq (proxyDHCP + TFTP) starts"
		show_log "dnsmasq output" "$E2E_TMP/anchor.out"
		exit 1
	}
}

mac=$(mac_for 0)
chain_inventory "$mac"
if [ "$SERVER" = dnsmasq ]; then
	[ -r "$STOCK/ipxe.pxe" ] || skip_all "no stock iPXE binaries ($STOCK)"
	cbd_start --inventory "$CBD_DIR/inventory.ini" --no-proxydhcp --no-tftp --ra-answer off
	anchor_start
else
	cbd_start --inventory "$CBD_DIR/inventory.ini" --ra-answer "$RA" ${CHAIN_TIME_CBD_ARGS:-}
	cbd_check "the RA responder runs on cb0 (IPv6 link-local, no router)" \
		"event=start .*ra_answer=$RA"
fi

# ts_s LINE: the ts= of a chainbootd log line, as seconds since the epoch.
ts_s() { date -u -d "$(sed -E 's/^ts=([^ ]+) .*/\1/' <<<"$1")" +%s.%N; }

# phases T0 MAC: where the seconds went, from the server logs (chainbootd's, or the
# anchor's dnsmasq log, whose times are whole seconds: firmware and after_dhcp only): firmware = QEMU start to the
# firmware's first DHCP request; fw_dhcp = to the boot file sent (the site DHCP's offer,
# the proxy offer, 4011, TFTP); nbp = to our (or the stock) iPXE's first DHCP request
# (its start, banner and link); ipxe = to the script request.
phases() {
	local t0=$1 mac=$2 a b c d
	if [ "$SERVER" = dnsmasq ]; then
		phases_dnsmasq "$t0" "$mac"
		return
	fi
	a=$(grep -Ea -m1 "event=proxydhcp .*mac=$mac " "$CBD_LOG")
	b=$(grep -Ea -m1 "event=tftp .*mac=$mac .*status=ok " "$CBD_LOG")
	c=$(grep -Ea -m1 "event=proxydhcp .*mac=$mac .*class=$USER_CLASS " "$CBD_LOG")
	d=$(grep -Ea -m1 "event=http .*path=/boot\.ipxe status=200 .*mac=$mac" "$CBD_LOG")
	[ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] && [ -n "$d" ] || return 0
	awk -v t="$t0" -v a="$(ts_s "$a")" -v b="$(ts_s "$b")" -v c="$(ts_s "$c")" -v d="$(ts_s "$d")" \
		'BEGIN { printf "firmware=%.2f fw_dhcp=%.2f nbp=%.2f ipxe=%.2f", a - t, b - a, c - b, d - c }'
}
phases_dnsmasq() {
	local t0=$1 mac=$2 a d
	a=$(grep -Ea -m1 "PXE\(cb0\) ([0-9.]+ )?$mac" "$E2E_TMP/anchor.log" | awk '{ print $3 }')
	d=$(grep -Ea -m1 "event=http .*path=/boot\.ipxe status=200 .*mac=$mac" "$CBD_LOG")
	[ -n "$a" ] && [ -n "$d" ] || return 0
	awk -v t="$t0" -v a="$(date -d "$a" +%s)" -v d="$(ts_s "$d")" \
		'BEGIN { printf "firmware=%.0f after_dhcp=%.0f", a - t, d - a }'
}

n=0
for rep in $(seq 1 "$REPS"); do
	for chain in $CHAINS; do
		n=$((n + 1))
		mac=$(printf '52:54:00:%02x:%02x:%02x' $((($$ >> 8) & 255)) $(($$ & 255)) $((0x20 + n)))
		case $chain in
		bios-vendor) fw=bios rom=vendor ;;
		uefi-vendor) fw=uefi rom=vendor ;;
		uefi-pxe) fw=uefi rom=none ;;
		*) not_ok "chain-time: unknown chain $chain"; continue ;;
		esac
		t0=$(date +%s.%N)
		qemu_net_start "$fw" "$rom" "$mac" "$chain-$rep"
		script_re="event=http .*path=/boot\\.ipxe status=200 .*mac=$mac"
		cbd_wait "$script_re" "$BOOT_TIMEOUT"
		rc=$?
		qemu_stop
		line=$(grep -Ea -m1 -- "$script_re" "$CBD_LOG")
		if [ "$rc" != 0 ] || [ -z "$line" ]; then
			cbd_check "$chain ($SERVER, rep $rep): the script request from $mac" "$script_re"
			continue
		fi
		secs=$(awk -v a="$t0" -v b="$(ts_s "$line")" 'BEGIN { printf "%.2f", b - a }')
		ok "$chain ($SERVER, rep $rep): script request from $mac after ${secs}s"
		echo "# chain-time server=$SERVER chain=$chain rep=$rep seconds=$secs $(phases "$t0" "$mac")"
		if [ "$SERVER" = chainbootd ] && [ "$RA" = on ] && [ "$rom" = vendor ]; then
			cbd_check "$chain: the vendor ROM's Router Solicitation answered (no-router RA)" \
				"event=ra msg=RS mac=$mac iface=cb0 from=fe80::[^ ]* decision=answer reply=RA lifetime=0 prefix=none"
		fi
	done
done
cbd_stop
e2e_finish
