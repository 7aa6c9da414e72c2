#!/bin/bash
# chain-time: the three network chains of issue 17 (SeaBIOS + QEMU's iPXE NIC ROM, OVMF +
# QEMU's EFI iPXE ROM, OVMF's own PXE), each timed from QEMU's start to the inventory
# script request on a LAN with IPv6 on and no IPv6 router, the site DHCP handing out
# addresses only. Runs tests/e2e/chain-time.sh (the same boots the e2e test checks) once
# per repetition and server, interleaved: chainbootd (proxyDHCP, TFTP, HTTP, the RA
# responder) against the anchor, dnsmasq as proxyDHCP + TFTP with Debian's stock iPXE
# binaries keyed on user-class iPXE (the setup users pick today; chainbootd serves only
# the script over HTTP there). Rows: CHAIN_s per chain; for chainbootd also its phases
# (CHAIN_firmware_s, _fw_dhcp_s, _nbp_s, _ipxe_s). Smoke: bios_vendor once, chainbootd only.
BENCH_CASE=${BENCH_CASE:-chain-time}
. "$(dirname "$0")/../lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CHAINS="bios-vendor uefi-vendor uefi-pxe"
SERVERS=(chainbootd dnsmasq)
if [ "$BENCH_SMOKE" = 1 ]; then
	CHAINS=bios-vendor
	SERVERS=(chainbootd)
fi
DNSMASQ=$BENCH_ANCHOR/bin/dnsmasq
[ -x "$DNSMASQ" ] || DNSMASQ=$(command -v dnsmasq)
[ -n "$DNSMASQ" ] || bench_die "dnsmasq not found (scripts/bench-deps.sh)"
command -v qemu-system-x86_64 >/dev/null || bench_die "qemu-system-x86_64 not installed (scripts/deps.sh)"

cat >>"$BENCH_OUT/$BENCH_CASE.notes" <<EOF
QEMU -accel tcg, one vCPU, 256 MiB; the site DHCP is dnsmasq on the LAN (addresses only,
with its ping check before a new lease); chainbootd on another host of the LAN, IPv6
link-local on, no router. Time = QEMU start to chainbootd's log line of the script
request. A new MAC per boot (each boot is a first boot for the site DHCP). Phases
(chainbootd): firmware = to the first DHCP request; fw_dhcp = to the boot file sent
(site DHCP offer, proxy offer, TFTP); nbp = to our iPXE's first DHCP request (its
start, its 2 s Ctrl-B banner, link); ipxe = to the script request.
EOF

for rep in $(seq "$BENCH_REPS"); do
	for s in "${SERVERS[@]}"; do
		bench_log "rep $rep: $s"
		out=$(cd "$ROOT" && CHAINBOOT=$BENCH_BUILD/chainboot CHAIN_TIME_SERVER=$s \
			CHAIN_TIME_CHAINS="$CHAINS" CHAIN_TIME_DNSMASQ=$DNSMASQ E2E_BOOT_TIMEOUT=90 \
			bash tests/e2e/chain-time.sh 2>&1)
		printf '%s\n' "$out" >>"$BENCH_OUT/$BENCH_CASE.log"
		grep -q '^not ok' <<<"$out" && bench_log "$s rep $rep: a check failed (see $BENCH_CASE.log)"
		while read -r line; do
			chain=$(bench_kv chain <<<"$line")
			m=${chain//-/_}
			bench_record "$s" "$rep" "${m}_s" "$(bench_kv seconds <<<"$line")" s
			[ "$s" = chainbootd ] || continue
			for p in firmware fw_dhcp nbp ipxe; do
				v=$(bench_kv "$p" <<<"$line")
				[ -n "$v" ] && bench_record "$s" "$rep" "${m}_${p}_s" "$v" s
			done
		done < <(grep '^# chain-time ' <<<"$out" | sed 's/^# chain-time //')
	done
done
