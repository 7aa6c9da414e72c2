#!/bin/bash
# dhcp-config.sh: `chainboot dhcp-config dnsmasq|isc|kea` prints snippets that make a
# site's own DHCP server answer like chainbootd's proxy. The dnsmasq one is run for real
# (dnsmasq is a test dependency) in a network namespace pair this test creates
# (198.51.100.0/24), and asked by the test client as each kind of client; dhcpd and
# kea-dhcp4 check their snippets' syntax when installed (else: skip).
. "$(dirname "$0")/lib.sh"

BUILD=${CHAINBOOT_BUILD:-$CHAINBOOT_SRCDIR/build}
CLIENT=$BUILD/tests/tools/dhcpclient
CB=$CHAINBOOT
case $CB in /*) ;; *) CB=$CHAINBOOT_SRCDIR/$CB ;; esac

out=$("$CB" dhcp-config dnsmasq --listen 198.51.100.2 --http-port 8080 2>&1)
check_match "dnsmasq: our class -> the fact stub (chains the script with every fact)" \
	'^dhcp-boot=tag:cb-ours,http://198\.51\.100\.2:8080/chain\.ipxe$' "$out"
check_match "dnsmasq: vendor iPXE BIOS -> ipxe.pxe from 198.51.100.2" \
	'^dhcp-boot=tag:cb-ipxe,tag:!cb-ours,tag:cb-bios,ipxe\.pxe,,198\.51\.100\.2$' "$out"
check_match "dnsmasq: PXE ROM UEFI -> snponly.efi" '^dhcp-boot=tag:cb-pxe,tag:!cb-ipxe,tag:!cb-ours,tag:cb-x64,snponly\.efi,,198\.51\.100\.2$' "$out"
out=$("$CB" dhcp-config isc --listen 198.51.100.2 --efi-binary ipxe 2>&1)
check_match "isc: efi_binary ipxe -> ipxe-amd64.efi" 'filename "ipxe-amd64\.efi"' "$out"
check_match "isc: our class by option 67" 'option bootfile-name "http://198\.51\.100\.2/chain\.ipxe"' "$out"
printf '[site]\nuser_class = LAB1\n[server]\nlisten = 198.51.100.9\nhttp_port = 81\n' >"$T/site.ini"
out=$("$CB" dhcp-config kea --site "$T/site.ini" 2>&1)
check_match "kea: values from the site file" "option\[77\]\.hex == 'LAB1'.*|http://198\.51\.100\.9:81/" "$out"
# A class prebuilt binaries cannot carry: the stock BIOS ipxe.pxe would ask again as
# iPXE and loop, so no snippet is printed (issue 13: it used to say "rebranded to ABCDE").
for fmt in dnsmasq isc kea; do
	check_fails "$fmt: a 5-byte class is refused (BIOS machines would loop)" \
		'user-class "ABCDE" is 5 bytes: .*BIOS machines would loop; choose a class of 1-4 bytes, or give --ipxe-dir with binaries from `chainboot build-ipxe' \
		"$CB" dhcp-config "$fmt" --listen 198.51.100.1 -c ABCDE
done
printf '[server]\nlisten = 198.51.100.1\n[image]\nrebrand = no\n' >"$T/norebrand.ini"
check_fails "rebrand = no with stock binaries is refused too" 'rebrand = no, and the BIOS binaries do not carry user-class "CSTM"' \
	"$CB" dhcp-config dnsmasq --site "$T/norebrand.ini"
check "kea: the snippet is JSON once its // comments are dropped" \
	python3 -c 'import json,sys; json.loads("\n".join(l for l in sys.stdin.read().splitlines() if not l.startswith("//")))' <<<"$out"
check_fails "no listen address: says how to give it" 'set \[server\] listen or give --listen' "$CB" dhcp-config dnsmasq
check_fails "a class inside \"iPXE\" is refused for dnsmasq (substring matching)" 'part of "iPXE"' \
	"$CB" dhcp-config dnsmasq --listen 198.51.100.2 --user-class PXE
check_fails "unknown server name" 'name one server: dnsmasq, isc or kea' "$CB" dhcp-config bind --listen 198.51.100.2

"$CB" dhcp-config dnsmasq --listen 198.51.100.2 >"$T/boot.conf"
check_match "dnsmasq --test accepts the snippet" 'syntax check OK' "$(dnsmasq --test --conf-file="$T/boot.conf" 2>&1)"
if command -v dhcpd >/dev/null; then
	"$CB" dhcp-config isc --listen 198.51.100.2 >"$T/isc.txt"
	{ grep '^option cb-' "$T/isc.txt"; echo 'subnet 198.51.100.0 netmask 255.255.255.0 {'
	  echo 'range 198.51.100.100 198.51.100.199;'; sed -n '/^if exists/,$p' "$T/isc.txt"; echo '}'; } >"$T/dhcpd.conf"
	check "dhcpd -t accepts the ISC snippet" dhcpd -t -cf "$T/dhcpd.conf"
else
	echo "skip dhcp-config: ISC dhcpd syntax (dhcpd not installed)"
fi

# ---- dnsmasq as the full DHCP server with the snippet, asked by each kind of client ----
if [ "$(id -u)" != 0 ] || [ ! -x "$CLIENT" ]; then
	echo "skip dhcp-config: dnsmasq run (needs root for network namespaces and $CLIENT)"
	finish
	exit
fi
NS_S=cbdc-s-$$ NS_C=cbdc-c-$$ DNSMASQ_PID=
ns_pair "$NS_S" "$NS_C" 198.51.100.1 "" veth0 veth1 || { notok "dhcp-config: namespaces"; exit 1; }
# runs first: dnsmasq ends before its namespace goes
at_exit '[ -n "$DNSMASQ_PID" ] && kill "$DNSMASQ_PID" 2>/dev/null && wait "$DNSMASQ_PID" 2>/dev/null'
ip netns exec "$NS_S" dnsmasq --no-daemon --conf-file="$T/boot.conf" --no-hosts --no-resolv --port=0 \
	--bind-interfaces --interface=veth0 --dhcp-range=198.51.100.100,198.51.100.199,1h \
	--dhcp-leasefile="$T/leases" --log-dhcp --log-facility="$T/dnsmasq.log" --user=root --group=root \
	>"$T/dnsmasq.out" 2>&1 &
DNSMASQ_PID=$!
for _ in $(seq 1 40); do grep -q 'DHCP, IP range' "$T/dnsmasq.log" 2>/dev/null && break; sleep 0.25; done
# (dnsmasq pings an address before its first offer: up to ~3 s)
ask() { ip netns exec "$NS_C" "$CLIENT" --iface veth1 --wait 6000 --count 1 "$@" 2>&1; }
check_match "dnsmasq: vendor iPXE BIOS gets ipxe.pxe, next-server 198.51.100.2" \
	'siaddr=198\.51\.100\.2 .*(file="ipxe\.pxe"|opt67="ipxe\.pxe)' "$(ask --arch 0 --user-class iPXE)"
check_match "dnsmasq: vendor iPXE UEFI gets snponly.efi" '"snponly\.efi' "$(ask --arch 7 --user-class iPXE)"
check_match "dnsmasq: our iPXE gets the fact stub's URL" 'http://198\.51\.100\.2/chain\.ipxe' \
	"$(ask --arch 0 --user-class CSTM)"
check_match "dnsmasq: a BIOS PXE ROM gets undionly.kpxe" '"undionly\.kpxe' "$(ask --arch 0)"
check_match "dnsmasq: an arm64 PXE ROM gets ipxe-arm64.efi" '"ipxe-arm64\.efi' \
	"$(ask --arch 11 --vendor PXEClient:Arch:00011:UNDI:003016)"
check_match "dnsmasq: UEFI HTTP boot gets the URL and HTTPClient" \
	'http://198\.51\.100\.2/snponly\.efi.*opt60="HTTPClient"' "$(ask --arch 16 --vendor HTTPClient:Arch:00016:UNDI:003001)"
finish
