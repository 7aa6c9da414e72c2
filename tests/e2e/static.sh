#!/bin/bash
# [static]: no DHCP server on the LAN at all (a static-address data centre). The image's
# site file gives this machine's MAC a fixed address (and any other MAC another one);
# DHCP fails once, the chain script sets 198.51.100.50/24 from [static] on net0 and
# reaches its profile on chainbootd, which logs the request from exactly that address.
# UEFI (OVMF, CD-ROM): the serial console shows the chain script's lines.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/_chain.sh"
e2e_require qemu-system-x86_64
mac=$(mac_for 0)
ADDR=198.51.100.50 ANY=198.51.100.60

# br0 and tap0 only: no site DHCP, no proxyDHCP (nothing on the LAN hands out anything).
net_up
tap_add 0
chain_inventory "$mac"
cbd_start --no-proxydhcp --inventory "$CBD_DIR/inventory.ini"

# The entry for any MAC comes first in the file: the MAC's own entry must still win.
cat >"$E2E_TMP/site.ini" <<INI
[site]
user_class = $USER_CLASS

[chain]
url = http://$CBD_IP:$CBD_PORT/boot.ipxe
try_offered = no
dhcp_tries = 1

[static]
host = any $ANY/24 gateway $SERVER_IP
host = ${mac^^} $ADDR/24 gateway $SERVER_IP dns $SERVER_IP
INI
build_image "$E2E_TMP/static.iso" --site "$E2E_TMP/site.ini" --layout hybrid --arch x86_64

qemu_start uefi cd "$E2E_TMP/static.iso" 1
chain_wait "$mac" e2e-known
qemu_stop
check "DHCP on net0 found no server (serial console)" \
	grep -Eaq 'chainboot: net0: no DHCP answer after 1 tries' "$QEMU_SERIAL"
check "the chain script set $ADDR from [static] for $mac (serial console)" \
	grep -Eaq "chainboot: net0: static address $ADDR netmask 255\\.255\\.255\\.0 from \\[static\\] \\($mac\\)" "$QEMU_SERIAL"
cbd_check "chainbootd served $mac's profile script to $ADDR (after ${CHAIN_TOOK}s, wait $CHAIN_RC)" \
	"event=http client=${ADDR//./\\.}:[0-9]+ .*path=/boot\\.ipxe status=200 .*profile=e2e-known .*mac=$mac"
cbd_check "the profile ran to its end from $ADDR" \
	"event=http client=${ADDR//./\\.}:[0-9]+ .*path=/e2e/reached/e2e-known/$mac "
check "nothing came from the any-MAC address $ANY" cbd_never "client=${ANY//./\\.}:"
cbd_stop
e2e_finish
