#!/bin/bash
# https-private-ca: the inventory served over HTTPS with a certificate from the site's own
# CA (a test CA made with openssl; server certificate for 198.51.100.1 by IP SAN). The
# prebuilt iPXE trusts only iPXE's own root: it fails the handshake and its console says
# so (iPXE's "Permission denied" and the chain script's line naming build-ipxe --trust),
# and the server logs the refused handshake and no request. An iPXE from
# `chainboot build-ipxe --trust CA.pem` reaches the script (the HTTPS server's log).
# OVMF, so that iPXE's console is on the serial port. Takes minutes the first time
# (build-ipxe compiles iPXE's EFI platform; the build is kept in the cache, ipxe-build/).
# Without an iPXE source tree (IPXE_SRC, else Debian's ipxe source package) the prebuilt
# half still runs and the build-ipxe half is reported skipped, with the reason.
. "$(dirname "$0")/lib.sh"
e2e_require qemu-system-x86_64 openssl
. "$E2E_ROOT/tests/common/ipxesrc.sh"
src=$(ipxe_src "$E2E_TMP/fetch-src.log") ||
	{ src= no_src="no iPXE source: $(tail -n 1 "$E2E_TMP/fetch-src.log") (set IPXE_SRC to an iPXE tree)"; }

HTTPS_PORT=8443
URL=https://$SERVER_IP:$HTTPS_PORT/boot.ipxe
# The test CA and the server's certificate are made once and kept beside the build cache:
# a new CA each run would make every run a new build (the certificate is in its key).
CA_DIR=${CHAINBOOT_CACHE:-/var/cache/chainboot}/e2e-test-ca
if ! test_ca "$CA_DIR" "$SERVER_IP" >"$E2E_TMP/ca.log" 2>&1; then
	not_ok "test CA and server certificate in $CA_DIR (openssl)"
	show_log "openssl" "$E2E_TMP/ca.log" 10
	e2e_finish
fi
ok "test CA and a server certificate for IP $SERVER_IP ($CA_DIR)"

img_stock=$E2E_TMP/prebuilt.iso
build_image "$img_stock" --url "$URL" --user-class "$USER_CLASS" --layout efi --arch x86_64 --rounds 1 --menu-timeout 0
stock_dir=()
[ -n "$IPXE_DIR" ] && stock_dir=(--ipxe-dir "$IPXE_DIR")
out=$("$CHAINBOOT" check-config --url "$URL" "${stock_dir[@]}" 2>&1)
check "check-config warns: https:// with prebuilt binaries names build-ipxe --trust" \
	grep -q 'warning: .*https://.*prebuilt.*chainboot build-ipxe --trust CA.pem' <<<"$out"

# The site: DHCP (addresses only) and the inventory over HTTPS, in the namespace.
net_up
tap_add 0
dhcp_start
https_start "$HTTPS_PORT" "$CA_DIR/server.pem" "$CA_DIR/server.key"
mac=$(mac_for 0)

# 1. Prebuilt iPXE: the handshake fails, the console says what to do, nothing is fetched.
qemu_start uefi cd "$img_stock" 1
wait_for "$QEMU_SERIAL" 'chainboot: .*showing the local menu' "$BOOT_TIMEOUT"
rc=$?
qemu_stop
cp "$QEMU_SERIAL" "$E2E_TMP/prebuilt.serial" # the next boot's console goes to the same file
check "prebuilt: the chain script gave up on the https URL (wait status $rc)" test "$rc" = 0
check "prebuilt: console shows iPXE's error for $URL: Permission denied" \
	grep -Eaq "${URL//./\\.}.*Permission denied" "$QEMU_SERIAL"
check "prebuilt: console names the fix (chainboot build-ipxe --trust CA.pem)" \
	grep -Eaq 'chainboot: net0: URL 1 is https: .*chainboot build-ipxe --trust CA\.pem' "$QEMU_SERIAL"
check "prebuilt: the HTTPS server logged the refused handshake" \
	grep -Eaq '^198\.51\.100\.[0-9]+ TLS handshake failed' "$E2E_TMP/http.log"
check "prebuilt: the HTTPS server got no request" http_no_request

# 2. build-ipxe --trust: the same URL reached; evidence from the HTTPS server's log.
if [ -z "$src" ]; then
	skip "build-ipxe --trust: an iPXE trusting the CA reaches the script ($no_src)"
	e2e_finish
fi
# The trusted binary: only ipxe-amd64.efi (one platform to compile), then an EFI image.
trusted=$E2E_TMP/ipxe-trusted
t0=$SECONDS
if "$CHAINBOOT" build-ipxe --src "$src" --only ipxe-amd64.efi --arch x86_64 --jobs 2 \
	--trust "$CA_DIR/ca.pem" --url "$URL" --rounds 1 --menu-timeout 0 -c "$USER_CLASS" \
	-o "$trusted" >"$E2E_TMP/build-ipxe.log" 2>&1; then
	ok "build-ipxe --trust ca.pem --only ipxe-amd64.efi ($((SECONDS - t0)) s$(grep -q 'in the cache' "$E2E_TMP/build-ipxe.log" && echo ', from the cache'))"
else
	not_ok "build-ipxe --trust ca.pem --only ipxe-amd64.efi"
	show_log "build-ipxe" "$E2E_TMP/build-ipxe.log" 30
	e2e_finish
fi
check "build-ipxe's stamp says the binaries trust 1 certificate" grep -qx 'trust = 1' "$trusted/.chainboot-build-ipxe"
img_trusted=$E2E_TMP/trusted.iso
IPXE_DIR=$trusted build_image "$img_trusted" --url "$URL" --user-class "$USER_CLASS" --layout efi --arch x86_64 --rounds 1 --menu-timeout 0
out=$("$CHAINBOOT" check-config --url "$URL" --ipxe-dir "$trusted" 2>&1)
check "check-config: no warning with build-ipxe --trust binaries" test "$out" = "configuration OK"

cp "$E2E_TMP/http.log" "$E2E_TMP/http.log.prebuilt"
: >"$E2E_TMP/http.log"
qemu_start uefi cd "$img_trusted" 1
wait_for "$E2E_TMP/http.log" "\"GET /boot\.ipxe\?([^ \"]*&)?mac=$(mac_enc "$mac")" "$BOOT_TIMEOUT"
rc=$?
took=$((SECONDS - QEMU_START))
wait_for "$QEMU_SERIAL" "$INVENTORY_MARKER" 20
qemu_stop
check_boot_evidence "build-ipxe --trust, OVMF CD-ROM, https" "$mac" "$rc" "$took" uefi
check "trusted: the inventory script ran (console shows $INVENTORY_MARKER)" \
	grep -Eaq "$INVENTORY_MARKER mac $mac" "$QEMU_SERIAL"
check "trusted: no handshake was refused" bash -c "! grep -q 'TLS handshake failed' '$E2E_TMP/http.log'"
e2e_finish
