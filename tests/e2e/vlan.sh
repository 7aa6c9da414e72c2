#!/bin/bash
# [chain] vlan: the machine sits on a trunk port. Its untagged network has nothing (no
# DHCP, no inventory); VLAN 100 carries the site DHCP and chainbootd. The kernel here has
# no 8021q and no bridge VLAN filtering, so tests/tools/vlantag is the switch: it joins
# the VM's tap (the trunk: frames tagged 100 lose their tag, untagged frames are
# dropped) to br0 (VLAN 100's LAN, untagged, as a trunk port's VLAN interface sees it).
# An image built without --vlan gets no address; the one built with --vlan 100 creates
# net0-100 (vcreate), asks DHCP there as CSTM and reaches its profile on chainbootd.
# UEFI (OVMF, CD-ROM): the serial console shows the chain script's lines.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/_chain.sh"
e2e_require qemu-system-x86_64
VID=100
# chainbootd's side of the LAN named as a trunk port's VLAN interface would be (there is
# no 8021q here: a veth with that name; chainbootd must take it as any other)
CBD_IF=cb0.$VID
VLANTAG=${VLANTAG:-$(dirname "$CHAINBOOT")/tests/tools/vlantag}
[ -x "$VLANTAG" ] || {
	not_ok "$E2E_NAME: $VLANTAG is built (make tests)"
	exit 1
}
mac=$(mac_for 0)

# VLAN 100's LAN: br0 with the site DHCP and chainbootd; tap0 is NOT on it.
net_up
dhcp_start
chain_inventory "$mac"
cbd_start --inventory "$CBD_DIR/inventory.ini"
if ! { ip -n "$E2E_NS" tuntap add tap0 mode tap && ip -n "$E2E_NS" link set tap0 up &&
	ip -n "$E2E_NS" link add vt0 type veth peer name vtbr0 &&
	ip -n "$E2E_NS" link set vtbr0 master br0 && ip -n "$E2E_NS" link set vtbr0 up &&
	ip -n "$E2E_NS" link set vt0 up; }; then
	not_ok "$E2E_NAME: tap0 and the tagger's veth to br0"
	exit 1
fi

# vlantag_start: the tagger between tap0 (trunk) and vt0 (VLAN 100, untagged).
VT_LOG=
vlantag_start() {
	VT_LOG=$E2E_TMP/vlantag-$1.log
	ip netns exec "$E2E_NS" "$VLANTAG" --trunk tap0 --access vt0 --vid "$VID" --plain vtbr0 --verbose \
		--duration "$((BOOT_TIMEOUT + 60))" >"$VT_LOG" 2>&1 &
	VT_PID=$!
	track "$VT_PID"
	wait_for "$VT_LOG" '^vlantag: ready ' 10 || {
		not_ok "$E2E_NAME: vlantag starts"
		show_log vlantag "$VT_LOG"
		exit 1
	}
}
# vlantag_stop: SIGTERM; its last line holds the counters.
vlantag_stop() {
	kill -TERM "$VT_PID" 2>/dev/null
	wait "$VT_PID" 2>/dev/null
	untrack "$VT_PID"
}
# vt_count NAME: a counter from the tagger's last line. vt_untagged_ip: the VM's
# untagged IPv4 and ARP frames the tagger dropped (--verbose lines). OVMF's IPv6
# neighbour solicitation and iPXE's EAPOL-Start go out untagged whatever the script does.
vt_count() { sed -nE "s/^vlantag: .*[ ]$1=([0-9]+).*/\\1/p" "$VT_LOG" | tail -n 1; }
vt_untagged_ip() { grep -Ec '^vlantag: trunk>access .* type=0x08(00|06) tag=0 drop-untagged$' "$VT_LOG"; }

base=http://$CBD_IP:$CBD_PORT
build_image "$E2E_TMP/untagged.iso" --url "$base/boot.ipxe" --user-class "$USER_CLASS" \
	--layout hybrid --arch x86_64 --try-offered no --rounds 1 --dhcp-tries 1 --menu-timeout 0
build_image "$E2E_TMP/vlan.iso" --url "$base/boot.ipxe" --user-class "$USER_CLASS" \
	--layout hybrid --arch x86_64 --try-offered no --vlan "$VID"

# Without --vlan: DHCP goes out untagged and the tagger drops it; the menu follows.
vlantag_start untagged
qemu_start uefi cd "$E2E_TMP/untagged.iso" 1
wait_for "$QEMU_SERIAL" 'chainboot: all URLs failed, round 1/1, showing the local menu' "$BOOT_TIMEOUT"
rc=$?
qemu_stop
vlantag_stop
check "no --vlan: the chain script found no DHCP on the untagged network, then its menu (wait $rc)" \
	test "$rc" = 0
check "no --vlan: the site DHCP on VLAN $VID never heard from $mac" test "$(dhcp_saw_mac "$mac"; echo $?)" = 1
check "no --vlan: the tagger dropped the VM's untagged IPv4/ARP frames ($(vt_untagged_ip)), passed none" \
	test "$(vt_untagged_ip)" -gt 0 -a "$(vt_count untagged_out)" = 0
check "no --vlan: chainbootd got no request" cbd_never "event=http .*path=/boot\\.ipxe"

# With --vlan 100: net0-100, DHCP and the inventory on VLAN 100.
vlantag_start tagged
qemu_start uefi cd "$E2E_TMP/vlan.iso" 1
chain_wait "$mac" e2e-known
qemu_stop
vlantag_stop
ip=$(sed -nE "s/^.*DHCPACK\\(br0\\) ([0-9.]+) $mac.*/\\1/p" "$E2E_TMP/dnsmasq.log" | tail -n 1)
check "--vlan $VID: the chain script made net0-$VID and was configured on it" \
	grep -Eaq "chainboot: net0-$VID: configured as 198\\.51\\.100\\." "$QEMU_SERIAL"
check "--vlan $VID: site DHCP saw user-class $USER_CLASS from $mac (through the tagger)" \
	dhcp_class_for "$mac" "$USER_CLASS"
check "--vlan $VID: site DHCP acknowledged an address for $mac (${ip:-none})" test -n "$ip"
cbd_check "--vlan $VID: chainbootd's proxyDHCP answered $mac on $CBD_IF (the image tries only its URL)" \
	"event=proxydhcp .*iface=$CBD_IF mac=$mac .*class=$USER_CLASS .*decision=script"
cbd_check "--vlan $VID: chainbootd served $mac's profile script to ${ip:-?}" \
	"event=http client=${ip:-none}:[0-9]+ .*path=/boot\\.ipxe status=200 .*profile=e2e-known .*mac=$mac"
cbd_check "--vlan $VID: the profile ran to its end (after ${CHAIN_TOOK}s, wait $CHAIN_RC)" \
	"event=http client=${ip:-none}:[0-9]+ .*path=/e2e/reached/e2e-known/$mac "
check "--vlan $VID: the tagger untagged $(vt_count untagged_out) frames from the VM and tagged $(vt_count tagged_out) back" \
	test "$(vt_count untagged_out)" -gt 0 -a "$(vt_count tagged_out)" -gt 0
check "--vlan $VID: the VM sent no untagged IPv4/ARP frame ($(vt_untagged_ip))" \
	test "$(vt_untagged_ip)" = 0

# The same image on SeaBIOS (ipxe.lkrn, whose console is VGA only): tap0's one way to
# br0 is still the tagger, so the profile's second run is the BIOS iPXE on VLAN 100.
reached() { grep -Eac "event=http client=[0-9.:]+ .*path=/e2e/reached/e2e-known/$mac " "$CBD_LOG"; }
before=$(reached)
vlantag_start bios
qemu_start bios cd "$E2E_TMP/vlan.iso" 1
start=$SECONDS
while [ "$(reached)" -le "$before" ] && ((SECONDS - start < BOOT_TIMEOUT)) && kill -0 "$QEMU_PID" 2>/dev/null; do
	sleep 0.5
done
took=$((SECONDS - start))
qemu_stop
vlantag_stop
check "BIOS --vlan $VID: the profile ran to its end once more, through the tagger (after ${took}s)" \
	test "$(reached)" -gt "$before"
check "BIOS --vlan $VID: the tagger untagged $(vt_count untagged_out) frames from the VM, and the VM sent no untagged IPv4/ARP ($(vt_untagged_ip))" \
	test "$(vt_count untagged_out)" -gt 0 -a "$(vt_untagged_ip)" = 0
cbd_stop
e2e_finish
