# shellcheck shell=bash
# _chain.sh — what the chain-* scenarios share (sourced after lib.sh; tests/run skips
# files starting with "_"): a LAN with the site DHCP (addresses only), chainbootd on
# 198.51.100.2 with a test inventory, and the evidence of one network boot taken from
# chainbootd's own log lines and the site DHCP log.

# chain_site: br0 + tap0 + the site DHCP (no inventory HTTP server: chainbootd is it).
chain_site() {
	net_up
	tap_add 0
	dhcp_start
}

# chain_inventory KNOWN_MAC [LOCAL_MAC]: KNOWN_MAC boots profile e2e-known; LOCAL_MAC (if
# given) is boot = local; any other machine gets the menu, whose default after 3 s is
# e2e-default. Each profile runs `console` (a command vendor iPXE ROMs lack: there the
# script stops), fetches /e2e/reached/PROFILE/MAC (the evidence that the whole script
# ran on a full iPXE) and powers off.
chain_inventory() {
	local known=$1 local_mac=${2:-}
	[ -n "$CBD_NS" ] || cbd_net
	{
		cat <<EOF
[menu]
default = e2e-default
timeout = 3
title = chainboot e2e: this machine is not in the inventory

[profile e2e-known]
description = the known machine's own profile
script = #!ipxe
    echo E2E-PROFILE e2e-known machine {{machine}} mac {{mac}} uc {{uc}}
    console
    imgfetch {{server}}/e2e/reached/e2e-known/{{mac}} ||
    poweroff || exit

[profile e2e-default]
description = what unknown machines boot when nobody chooses
script = #!ipxe
    echo E2E-PROFILE e2e-default mac {{mac}} uc {{uc}}
    console
    imgfetch {{server}}/e2e/reached/e2e-default/{{mac}} ||
    poweroff || exit

[machine e2e-known-vm]
mac = $known
profile = e2e-known
EOF
		if [ -n "$local_mac" ]; then
			printf '\n[machine e2e-local-vm]\nmac = %s\nboot = local\n' "$local_mac"
		fi
	} >"$CBD_DIR/inventory.ini"
}

# cbd_never REGEX: chainbootd logged no such line.
cbd_never() { ! cbd_saw "$1"; }

# chain_wait MAC PROFILE: wait until the profile's script ran to its end for MAC (or
# the VM is gone, or BOOT_TIMEOUT); sets CHAIN_RC and CHAIN_TOOK (seconds since QEMU
# started).
chain_wait() {
	cbd_wait "event=http .*path=/e2e/reached/$2/$1 " "$BOOT_TIMEOUT"
	CHAIN_RC=$?
	CHAIN_TOOK=$((SECONDS - QEMU_START))
}

# chain_evidence LABEL MAC PROFILE BINARY ROW: the whole chain for MAC, from the logs:
# the proxy offered BINARY by row ROW, TFTP sent it, the site DHCP then saw class CSTM
# from MAC, the proxy offered it the fact stub (/chain.ipxe) and HTTP served that, then its
# script (PROFILE), and
# the script ran to its end on our iPXE. CHAIN_BY_HTTP=1: BINARY came by HTTP (a URL).
chain_evidence() {
	local label=$1 mac=$2 profile=$3 bin=$4 row=$5 why=
	case $CHAIN_RC in
	1) why=" (not within ${BOOT_TIMEOUT}s)" ;;
	2) why=" (the VM ended after ${CHAIN_TOOK}s without it)" ;;
	esac
	cbd_check "$label: proxy offered $bin to $mac (row $row), no address" \
		"event=proxydhcp .*mac=$mac .*decision=$row file=(http://$CBD_IP:$CBD_PORT/)?$bin reply=(OFFER|ACK)"
	if [ "${CHAIN_BY_HTTP:-}" = 1 ]; then
		cbd_check "$label: HTTP sent $bin" "event=http .*path=/$bin status=200 "
	else
		cbd_check "$label: TFTP sent $bin whole" "event=tftp .*file=$bin status=ok "
	fi
	check "$label: site DHCP saw user-class $USER_CLASS from $mac" dhcp_class_for "$mac" "$USER_CLASS"
	cbd_check "$label: proxy offered the fact stub to $mac asking as $USER_CLASS" \
		"event=proxydhcp .*mac=$mac .*class=$USER_CLASS .*decision=script file=\"?http://$CBD_IP:$CBD_PORT/chain\\.ipxe\"? "
	cbd_check "$label: HTTP served the fact stub" "event=http .*path=/chain\\.ipxe status=200 "
	cbd_check "$label: HTTP served $mac its script (profile $profile)" \
		"event=http .*path=/boot\\.ipxe status=200 .*profile=$profile .*mac=$mac"
	cbd_check "$label: the script ran to its end on our iPXE after ${CHAIN_TOOK}s$why" \
		"event=http .*path=/e2e/reached/$profile/$mac "
}

# chain_timeline LABEL MAC BIN PROFILE: chainbootd's own /status.json (its status
# listener, 127.0.0.1:9180 in its namespace) holds MAC's boot as exactly the steps the
# chain takes, in order: DHCP answers (the firmware's, then our iPXE's), TFTP of BIN,
# the fact stub, the profile's script, the file the script fetches. Repeated DHCP
# requests of one phase (DISCOVER, then REQUEST) count as one step here.
chain_timeline() {
	local label=$1 mac=$2 bin=$3 profile=$4 got want
	got=$(ip netns exec "$CBD_NS" python3 - "$mac" <<'PY' 2>&1
import json, sys, urllib.request
j = json.load(urllib.request.urlopen("http://127.0.0.1:9180/status.json", timeout=10))
for m in j["machines"]:
    if m.get("mac") != sys.argv[1]:
        continue
    out = []
    for s in m["steps"]:
        k = s["step"]
        if k == "dhcp":
            d = "dhcp:%s" % (s["offered"] or "-")
        elif k == "tftp":
            d = "tftp:%s:%s" % (s["file"], s["outcome"])
        elif k == "script":
            d = "script:%s:%s:%d" % (s["profile"], s["kind"], s["status"])
        else:
            d = "file:%s:%d" % (s["path"], s["status"])
        if not out or out[-1] != d:
            out.append(d)
    print(" ".join(out))
PY
)
	want="dhcp:$bin tftp:$bin:ok dhcp:http://$CBD_IP:$CBD_PORT/chain.ipxe file:/chain.ipxe:200 script:$profile:template:200 file:/e2e/reached/$profile/$mac:"
	if [[ $got == "$want"* ]]; then
		ok "$label: status.json holds $mac's boot, every step in order"
	else
		not_ok "$label: status.json holds $mac's boot, every step in order"
		echo "#   got:  $got"
		echo "#   want: $want..."
	fi
}
