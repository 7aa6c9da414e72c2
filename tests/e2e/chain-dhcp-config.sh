#!/bin/bash
# For sites that run their own DHCP server: `chainboot dhcp-config dnsmasq` prints the
# snippet, the site dnsmasq runs with it as the full DHCP server, and chainbootd runs
# with --no-proxydhcp (TFTP and HTTP only). The vendor iPXE ROM on SeaBIOS then gets our
# rebranded ipxe.pxe from the site DHCP, asks again as CSTM, gets the script URL, and
# the machine's profile runs to its end.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/_chain.sh"
e2e_require qemu-system-x86_64
net_up
tap_add 0
mac=$(mac_for 0)
if ! "$CHAINBOOT" dhcp-config dnsmasq --listen "$CBD_IP" --http-port "$CBD_PORT" >"$E2E_TMP/boot.conf" 2>"$E2E_TMP/dhcp-config.err"; then
	not_ok "chainboot dhcp-config dnsmasq"
	show_log "dhcp-config" "$E2E_TMP/dhcp-config.err"
	exit 1
fi
ok "chainboot dhcp-config dnsmasq ($(grep -c '^dhcp-' "$E2E_TMP/boot.conf") lines)"
site_dhcp_start_with --conf-file="$E2E_TMP/boot.conf"
chain_inventory "$mac"
cbd_start --inventory "$CBD_DIR/inventory.ini" --no-proxydhcp
qemu_net_start bios vendor "$mac" dhcp-config
chain_wait "$mac" e2e-known
qemu_stop
why=
case $CHAIN_RC in 1) why=" (not within ${BOOT_TIMEOUT}s)" ;; 2) why=" (the VM ended first)" ;; esac
check "site DHCP (with the snippet) saw the vendor ROM as user-class iPXE from $mac" dhcp_class_for "$mac" iPXE
check "site DHCP offered it ipxe.pxe from next-server $CBD_IP" \
	grep -Eaq "(bootfile name|option: 67 bootfile-name) +ipxe\\.pxe" "$E2E_TMP/dnsmasq.log"
cbd_check "TFTP sent ipxe.pxe whole" "event=tftp .*file=ipxe\\.pxe status=ok "
check "site DHCP saw user-class $USER_CLASS from $mac" dhcp_class_for "$mac" "$USER_CLASS"
check "site DHCP offered our iPXE the fact stub" \
	grep -Eaq "http://$CBD_IP:$CBD_PORT/chain\\.ipxe" "$E2E_TMP/dnsmasq.log"
cbd_check "HTTP served the fact stub" "event=http .*path=/chain\\.ipxe status=200 "
cbd_check "HTTP served $mac its script (profile e2e-known)" \
	"event=http .*path=/boot\\.ipxe status=200 .*profile=e2e-known .*mac=$mac"
cbd_check "the script ran to its end on our iPXE after ${CHAIN_TOOK}s$why" "event=http .*path=/e2e/reached/e2e-known/$mac "
cbd_check "chainbootd's proxy stayed off" "event=start .*proxydhcp=no"
cbd_stop
e2e_finish
