#!/bin/bash
# Every URL dead: after one pass (rounds = 1) the chain script shows its local menu,
# read from the serial console (OVMF mirrors iPXE's console there).
. "$(dirname "$0")/lib.sh"
e2e_require qemu-system-x86_64
site_up 1
site=$E2E_TMP/site.ini
cat >"$site" <<EOT
[site]
user_class = $USER_CLASS
[chain]
url = $DEAD_URL
url = http://$SERVER_IP:8082/boot.ipxe
rounds = 1
backoff = 0
dhcp_tries = 1
http_timeout = 10
menu_timeout = 0
try_offered = no
EOT
img=$E2E_TMP/chainboot.iso
build_image "$img" --site "$site" --layout hybrid
mac=$(mac_for 0)
qemu_start uefi cd "$img" 1
# the menu: match loosely (its wording is the builder's), on an item such as "Retry"
wait_for "$QEMU_SERIAL" '[Rr]etry' "$BOOT_TIMEOUT"
rc=$?
took=$((SECONDS - QEMU_START))
qemu_stop
case $rc in
0) why= ;;
1) why=" (not within ${BOOT_TIMEOUT}s)" ;;
*) why=" (VM exited after ${took}s)" ;;
esac
check "all URLs dead: the local menu (an item 'Retry') appears on the serial console after ${took}s$why" [ "$rc" = 0 ]
check "all URLs dead: the menu is chainboot's (serial console shows 'chainboot')" \
	grep -Eaq 'chainboot' "$QEMU_SERIAL"
check "all URLs dead: site DHCP saw user class $USER_CLASS from $mac" dhcp_class_for "$mac" "$USER_CLASS"
check "all URLs dead: no request reached the inventory" http_no_request
e2e_finish
