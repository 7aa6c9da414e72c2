#!/bin/bash
# badinput: the rows of the README's "What bad input does" table that no other test
# shows end to end, each checked for what the user sees: malformed, truncated and
# overflowing DHCP packets, a wrong magic cookie and non-PXE clients (chainbootd -v log
# lines, no reply; in network namespaces this test creates, 198.51.100.0/24 only);
# inventories with duplicate MACs and templates with unknown variables (refused at load
# and on reload); bad site-file values for the daemon; corrupt iPXE binaries and files
# that are no image given to inspect, write and try.
. "$(dirname "$0")/lib.sh"

BUILD=${CHAINBOOT_BUILD:-$CHAINBOOT_SRCDIR/build}
DAEMON=${CHAINBOOTD:-$BUILD/chainbootd}
CLIENT=$BUILD/tests/tools/dhcpclient
D=${CHAINBOOT_IPXE_DIR:-}
export CHAINBOOT_DATADIR=${CHAINBOOT_DATADIR:-$CHAINBOOT_SRCDIR}

# ---- inventory and template errors: file:line and the fix, before anything is served
chmod 711 "$T"
INV=$T/inventory.ini
cat >"$INV" <<'EOF'
[profile p]
script = #!ipxe
    echo hello {{mac}}
[machine a]
mac = 52:54:00:00:00:01
profile = p
[machine b]
mac = 52:54:00:00:00:02
profile = p
EOF
chmod 644 "$INV"
if [ -x "$DAEMON" ]; then
	dcheck() { "$DAEMON" --listen 127.0.0.1 --inventory "$1" --check; }
	check_match "inventory: a good one passes --check" '^configuration OK$' "$(dcheck "$INV" 2>&1)"
	sed 's/^mac = 52:54:00:00:00:02$/mac = 52-54-00-00-00-01/' "$INV" >"$T/dupmac.ini"
	check_fails "inventory: duplicate MAC refused with both places" \
		'dupmac\.ini:8: \[machine b\] mac 52:54:00:00:00:01: already listed for \[machine a\] at line 5' \
		dcheck "$T/dupmac.ini"
	printf '[machine c]\nmac_prefix = 52:54:00:aa\nprofile = p\n[machine d]\nmac_prefix = 52:54:00:AA\nprofile = p\n' \
		| cat "$INV" - >"$T/dupprefix.ini"
	check_fails "inventory: duplicate MAC prefix refused" \
		'dupprefix\.ini:14: \[machine d\] mac_prefix 52:54:00:aa: already listed for \[machine c\] at line 11' \
		dcheck "$T/dupprefix.ini"
	printf '[machine c]\nuuid = 11111111-2222-3333-4444-555555555555\nprofile = p\n[machine d]\nuuid = 11111111-2222-3333-4444-555555555555\nprofile = p\n' \
		| cat "$INV" - >"$T/dupuuid.ini"
	check_fails "inventory: duplicate UUID refused" \
		'\[machine d\] uuid 11111111-2222-3333-4444-555555555555: already listed for \[machine c\] at line 11' \
		dcheck "$T/dupuuid.ini"
	sed 's/echo hello {{mac}}/echo hello {{mac}} {{kernel}}/' "$INV" >"$T/unkvar.ini"
	check_fails "template: unknown variable in a script, at load time, with the known ones" \
		'unkvar\.ini:3: \[profile p\] script: \{\{kernel\}\}: unknown variable \(built-in: mac uuid serial .*define var\.NAME in \[profile p\]\)' \
		dcheck "$T/unkvar.ini"
	printf '#!ipxe\necho {{hostname}}\nkernel {{kernel_url}}\n' >"$T/t.ipxe"
	printf '[profile f]\ntemplate = %s\n' "$T/t.ipxe" >"$T/unkvar2.ini"
	check_fails "template file: unknown variable named with the template's line" \
		'unkvar2\.ini:2: \[profile f\] template: .*t\.ipxe:3: \{\{kernel_url\}\}: unknown variable' \
		dcheck "$T/unkvar2.ini"
	printf '[profile f]\nvar.kernel_url = http://198.51.100.2/k\ntemplate = %s\n' "$T/t.ipxe" >"$T/var.ini"
	check_match "template file: the same variable defined by var.NAME is fine" '^configuration OK$' \
		"$(dcheck "$T/var.ini" 2>&1)"
	printf '[profile p]\nscript = #!ipxe\n    echo {{mac}\n' >"$T/unclosed.ini"
	check_fails "template: an unclosed {{ is named" 'unclosed\.ini:3: \[profile p\] script: ' dcheck "$T/unclosed.ini"

	# ---- site file values the daemon refuses: file:line, key, value, what is allowed
	sitebad() { # DESC REGEX SITE-LINES...
		local desc=$1 re=$2
		shift 2
		printf '%s\n' '[server]' "$@" >"$T/site.ini"
		check_fails "site file: $desc" "$re" "$DAEMON" -c "$T/site.ini" --check
	}
	sitebad "listen not an IPv4 address" 'site\.ini:2: listen: "300\.1\.2\.3" is not an IPv4 address' 'listen = 300.1.2.3'
	sitebad "http_port 0" 'site\.ini:3: http_port: "0" is not a whole number from 1 to 65535' \
		'listen = 198.51.100.2' 'http_port = 0'
	sitebad "proxydhcp maybe" 'site\.ini:3: proxydhcp: "maybe" is not yes or no' 'listen = 198.51.100.2' 'proxydhcp = maybe'
	sitebad "tftp_max 0" 'site\.ini:3: tftp_max: "0" is not a whole number' 'listen = 198.51.100.2' 'tftp_max = 0'
	sitebad "timeline maybe" 'site\.ini:3: timeline: "maybe" is not yes or no' 'listen = 198.51.100.2' 'timeline = maybe'
	# (an address of this host and a boot_root that exists: the rule after the host's checks)
	sitebad "timeline = no with the status listener on" \
		'\[server\] timeline = no, but status_listen is 127\.0\.0\.1:9180: .*set status_listen = off' \
		'listen = 127.0.0.1' "boot_root = $T" 'timeline = no'
	printf '%s\n' '[server]' 'listen = 127.0.0.1' "boot_root = $T" 'timeline = no' 'status_listen = off' >"$T/site.ini"
	check_match "site file: timeline = no with status_listen = off is fine" '^configuration OK$' \
		"$("$DAEMON" -c "$T/site.ini" --check 2>&1)"
	sitebad "efi_binary unknown" 'site\.ini:3: efi_binary: "grub" is unknown \(allowed: snponly, ipxe\)' \
		'listen = 198.51.100.2' 'efi_binary = grub'
	sitebad "unknown key" 'site\.ini:3: \[server\] lisen: unknown key' 'listen = 198.51.100.2' 'lisen = 198.51.100.3'
else
	echo "skip inventory, template and site-file checks of chainbootd ($DAEMON not built)"
fi

# ---- [chain] vlan and [static] values the builder refuses: file:line, value, what is allowed
chainbad() { # DESC REGEX SITE-LINES...
	local desc=$1 re=$2
	shift 2
	printf '%s\n' '[chain]' 'url = http://198.51.100.2/boot.ipxe' "$@" >"$T/chain.ini"
	check_fails "site file: $desc" "$re" "$CHAINBOOT" check-config --site "$T/chain.ini"
}
chainbad "vlan 4095" 'chain\.ini:3: vlan: "4095" is not a VLAN ID from 1 to 4094' 'vlan = 4095'
check_fails "--vlan 5000: named by its flag" '--vlan: vlan: "5000" is not a VLAN ID from 1 to 4094' \
	"$CHAINBOOT" check-config --url http://198.51.100.2/boot.ipxe --vlan 5000
chainbad "static: bad MAC" 'chain\.ini:4: \[static\] host: "52:54:00:zz:00:01" is not a MAC address' \
	'[static]' 'host = 52:54:00:zz:00:01 198.51.100.50/24'
chainbad "static: bad address" 'chain\.ini:4: \[static\] host: "198\.51\.100\.256" is not an IPv4 address' \
	'[static]' 'host = 52:54:00:00:00:01 198.51.100.256/24'
chainbad "static: prefix 33" 'chain\.ini:4: \[static\] host: prefix "/33" is not a whole number from 1 to 32' \
	'[static]' 'host = 52:54:00:00:00:01 198.51.100.50/33'
chainbad "static: gateway outside the subnet" \
	'chain\.ini:4: \[static\] host: gateway 203\.0\.113\.1 is outside the machine.s subnet 198\.51\.100\.50/24' \
	'[static]' 'host = 52:54:00:00:00:01 198.51.100.50/24 gateway 203.0.113.1'
chainbad "static: the same MAC twice" \
	'chain\.ini:5: \[static\] host: 52:54:00:00:00:01 already has an entry at line 4' \
	'[static]' 'host = 52:54:00:00:00:01 198.51.100.50/24' 'host = 52-54-00-00-00-01 198.51.100.51/24'
chainbad "static: MAC as the key (inih splits at ':')" \
	'chain\.ini:4: \[static\] "52:54:00:00:00:01 = 198\.51\.100\.50/24": a MAC cannot be the key .*write host = 52:54:00:00:00:01 198\.51\.100\.50/24' \
	'[static]' '52:54:00:00:00:01 = 198.51.100.50/24'

# ---- corrupt iPXE binaries given to inspect (rebrand: tests/integration/rebrand.sh)
if [ -n "$D" ] && [ -f "$D/undionly.kpxe" ] && [ -f "$D/ipxe.lkrn" ] && [ -f "$D/snponly.efi" ]; then
	mkdir -p "$T/bad"
	python3 - "$D/undionly.kpxe" "$T/bad" <<'PY'
import struct, sys, zlib
src, out = sys.argv[1], sys.argv[2]
d = bytearray(open(src, "rb").read())
for off in range(0, len(d) - 8, 16):  # the last packed block, found by its CRC
    (l,) = struct.unpack_from("<I", d, off)
    if l >= 9 and off + 4 + l == len(d) and (zlib.crc32(d[off+4:off+l]) ^ 0xffffffff) == struct.unpack_from("<I", d, off + l)[0]:
        break
bad = bytearray(d); bad[off + 4 + l // 2] ^= 0x40
open(out + "/badcrc.kpxe", "wb").write(bad)
struct.pack_into("<I", bad, off + l, zlib.crc32(bad[off+4:off+l]) ^ 0xffffffff)
open(out + "/badlzma.kpxe", "wb").write(bad)
PY
	head -c 200000 "$D/ipxe.lkrn" >"$T/bad/cut.lkrn"
	head -c 50000 "$D/undionly.kpxe" >"$T/bad/cut.kpxe"
	head -c 100000 "$D/snponly.efi" >"$T/bad/cut.efi"
	check_fails "inspect: a packed block with a wrong CRC" \
		'badcrc\.kpxe: damaged iPXE BIOS image: packed block [0-9]+ at offset [0-9]+: CRC mismatch \(stored 0x[0-9a-f]+, computed 0x[0-9a-f]+\): the image is corrupt' \
		"$CHAINBOOT" inspect "$T/bad/badcrc.kpxe"
	out=$("$CHAINBOOT" inspect "$T/bad/badlzma.kpxe" 2>&1)
	check_match "inspect: corrupt LZMA data is reported in place of the user-class" \
		'user-class: packed block at offset [0-9]+: LZMA data invalid at input byte [0-9]+: the image is corrupt' "$out"
	check_fails "inspect: a cut-off ipxe.lkrn is a damaged kernel, not a disk image" \
		'cut\.lkrn: a Linux kernel, not a whole iPXE \.lkrn: no chain of LZMA-packed blocks with valid CRCs ending at end of file' \
		"$CHAINBOOT" inspect "$T/bad/cut.lkrn"
	check_fails "inspect: a cut-off .kpxe" 'cut\.kpxe: not an ISO 9660 image, disk image, FAT image or iPXE binary' \
		"$CHAINBOOT" inspect "$T/bad/cut.kpxe"
	out=$("$CHAINBOOT" inspect "$T/bad/cut.efi" 2>&1)
	check_match "inspect: a cut-off .efi: no DHCP template found, in place of the user-class" \
		'user-class: no iPXE DHCP request template \(options 53, 60 "PXEClient", 77, 55\) found: not an iPXE binary' "$out"
	check_fails "rebrand: a cut-off .efi" 'cut\.efi: no iPXE DHCP request template .* found: not an iPXE binary' \
		"$CHAINBOOT" rebrand -c ABCD "$T/bad/cut.efi" "$T/bad/out.efi"
	check "rebrand: nothing written for the cut-off .efi" test ! -e "$T/bad/out.efi"
else
	echo "skip corrupt iPXE binaries (no iPXE binaries: run scripts/deps.sh or set CHAINBOOT_IPXE_DIR)"
fi

# ---- [chain] vlan with an iPXE binary built without VLAN_CMD (no vcreate): a note, the image
if [ -n "$D" ] && [ -f "$D/ipxe-amd64.efi" ]; then
	mkdir -p "$T/novlan"
	cp "$D"/* "$T/novlan/" 2>/dev/null
	python3 - "$T/novlan/ipxe-amd64.efi" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.find(b"\0vcreate\0")  # the command table's name: renamed, as if never built in
assert i >= 0
b[i + 7] = ord("f")
open(p, "wb").write(b)
PY
	out=$("$CHAINBOOT" build --url http://198.51.100.2/boot.ipxe --vlan 100 --ipxe-dir "$T/novlan" \
		--no-rebrand --arch x86_64 -o "$T/novlan.iso" 2>&1)
	check_match "build --vlan: a binary without vcreate gets a note naming it" \
		'note: ipxe-amd64\.efi has no vcreate command \(vlan = 100\): its chain script cannot tag' "$out"
	check "build --vlan: the image is made all the same" test -s "$T/novlan.iso"
	out=$("$CHAINBOOT" build --url http://198.51.100.2/boot.ipxe --vlan 100 --no-rebrand --arch x86_64 \
		--ipxe-dir "$D" -o "$T/vlan.iso" 2>&1)
	check "build --vlan: Debian's binaries all have vcreate (no note)" \
		test -s "$T/vlan.iso" -a "$(grep -c vcreate <<<"$out")" = 0
else
	echo "skip the vcreate note (no iPXE binaries: run scripts/deps.sh or set CHAINBOOT_IPXE_DIR)"
fi

# ---- files that are no image: inspect, write, try
head -c 100000 /dev/urandom >"$T/random.bin"
printf '[chain]\nurl = http://198.51.100.2/boot.ipxe\n' >"$T/text.ini"
check "a hybrid image builds (the good case)" "$CHAINBOOT" build --url http://198.51.100.2/boot.ipxe -o "$T/good.iso"
xz -1 -k -c "$T/good.iso" >"$T/good.iso.xz"
check_fails "inspect: a text file" 'text\.ini: not an ISO 9660 image, disk image, FAT image or iPXE binary' \
	"$CHAINBOOT" inspect "$T/text.ini"
check_fails "inspect: a compressed image" 'good\.iso\.xz: not an ISO 9660 image, disk image, FAT image or iPXE binary' \
	"$CHAINBOOT" inspect "$T/good.iso.xz"
truncate -s 16M "$T/target.img"
tsum=$(md5sum <"$T/target.img")
wfails() { # DESC REGEX IMAGE: refused with exit 3 and the target untouched
	local out rc
	out=$("$CHAINBOOT" write "$3" "$T/target.img" --yes </dev/null 2>&1)
	rc=$?
	if [ $rc = 3 ] && grep -qE -- "$2" <<<"$out" && [ "$(md5sum <"$T/target.img")" = "$tsum" ]; then ok "write: $1"; else
		notok "write: $1 (exit $rc, wanted 3 and /$2/, target untouched)"
		printf '%s\n' "$out" | head -5 | sed 's/^/#   /'
	fi
}
wfails "random bytes refused, nothing written" \
	'refused: .*random\.bin is not an ISO 9660 or disk image: no ISO 9660 volume descriptor and no boot sector \(55 aa at byte 510\); give the image chainboot build made \(--force writes it anyway\); nothing was written' \
	"$T/random.bin"
wfails "an xz-compressed image: says to decompress it" 'good\.iso\.xz is not an ISO 9660 or disk image: it is xz-compressed: decompress it first \(unxz\)' \
	"$T/good.iso.xz"
wfails "a text file refused" 'text\.ini is not an ISO 9660 or disk image' "$T/text.ini"
if [ -n "$D" ] && [ -f "$D/snponly.efi" ]; then
	wfails "an EFI binary refused" 'snponly\.efi is not an ISO 9660 or disk image: it is a PE program' "$D/snponly.efi"
	wfails "ipxe.lkrn refused" 'ipxe\.lkrn is not an ISO 9660 or disk image: it is a Linux kernel' "$D/ipxe.lkrn"
fi
: >"$T/empty.img"
check_fails "write: an empty file refused" 'empty\.img: not a non-empty regular file' \
	"$CHAINBOOT" write "$T/empty.img" "$T/target.img" --yes
out=$("$CHAINBOOT" write "$T/random.bin" "$T/target.img" --yes --force --json </dev/null 2>&1)
check_match "write --force: a warning, then written" 'warning: .*random\.bin is not an ISO 9660 or disk image: .*writing anyway \(--force\)' "$out"
check "write --force: the bytes are on the target" cmp -n 100000 "$T/random.bin" "$T/target.img"
check_match "write: an ISO is not refused as an image" 'target.img now holds .*good\.iso' \
	"$("$CHAINBOOT" write "$T/good.iso" "$T/target.img" --yes --force </dev/null 2>&1)"
if command -v qemu-system-x86_64 >/dev/null && [ -r /usr/share/seabios/bios-256k.bin ]; then
	for f in random.bin good.iso.xz; do
		out=$(timeout 20 "$CHAINBOOT" try "$T/$f" --timeout 5 </dev/null 2>&1)
		rc=$?
		if [ $rc = 2 ] && grep -qE "$f is not an ISO 9660 or disk image: .*give the image chainboot build made" <<<"$out"; then
			ok "try: $f refused before QEMU starts (exit 2)"
		else
			notok "try: $f refused before QEMU starts (exit $rc)"
			printf '%s\n' "$out" | head -5 | sed 's/^/#   /'
		fi
	done
else
	echo "skip try with files that are no image (no qemu-system-x86_64 or SeaBIOS)"
fi

# ---- DHCP: malformed, truncated, overflowing, wrong cookie, not PXE (needs root)
if [ "$(id -u)" != 0 ]; then
	echo "skip DHCP bad input (not root: network namespaces need CAP_NET_ADMIN)"
	finish
	exit
fi
for f in "$DAEMON" "$CLIENT"; do
	[ -x "$f" ] || { notok "badinput: $f is built (make tests)"; finish; exit 1; }
done
id nobody >/dev/null 2>&1 || { echo "skip DHCP bad input (no user nobody)"; finish; exit; }
NS_S=cbbad-s-$$ NS_C=cbbad-c-$$
DPID=
if ! ns_pair "$NS_S" "$NS_C" 198.51.100.2 198.51.100.50 veth0 veth1; then
	notok "badinput: network namespaces set up"
	finish
	exit 1
fi
# runs first: the daemon ends before its namespace goes
at_exit '[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && sleep 0.3 && kill -KILL "$DPID" 2>/dev/null'
LOG=$T/chainbootd.log
# nsenter execs the daemon itself, so $DPID is the daemon's PID
nsenter --net="/run/netns/$NS_S" -- "$DAEMON" --verbose --listen 198.51.100.2 --http-port 8080 \
	--user nobody --boot-root "$T/none" --inventory "$INV" >"$LOG" 2>&1 &
DPID=$!
if ! wait_started "$LOG" "$DPID" 30; then
	notok "badinput: chainbootd starts"
	sed 's/^/#   /' "$LOG" | tail -20
	finish
	exit 1
fi
ok "badinput: chainbootd starts with -v in the namespace"

# One datagram per case, each from its own source port (so its log line can be found)
# and with its own xid; replies to port 68 are collected and printed as "reply XID".
ip netns exec "$NS_C" python3 - >"$T/dhcp.out" 2>&1 <<'EOF'
import socket, struct, time
def pkt(op=1, hlen=6, cookie=b"\x63\x82\x53\x63", opts=None, xid=0, file=b""):
    h = bytearray(240)
    h[0], h[1], h[2] = op, 1, hlen
    h[4:8] = struct.pack(">I", xid)
    h[10] = 0x80                                    # broadcast flag
    h[28:34] = bytes([0x52, 0x54, 0x00, 0x00, 0x00, 0x01])
    h[108:108 + len(file)] = file
    h[236:240] = cookie
    if opts is None:
        opts = (b"\x35\x01\x01" + b"\x3c\x20PXEClient:Arch:00000:UNDI:002001" + b"\x5d\x02\x00\x00"
                + b"\x5e\x03\x01\x02\x01" + b"\x61\x11\x00" + bytes(range(1, 17)) + b"\x37\x04\x01\x03\x2b\x3c\xff")
    return bytes(h) + opts
good = pkt
valid = good(xid=7100)
cases = {
    7001: good(xid=7001),                                           # control: answered
    7002: good(xid=7002, cookie=b"\x63\x82\x53\x64"),               # wrong magic cookie
    7003: good(xid=7003)[:239],                                     # one byte short of a header
    7004: b"",                                                      # empty datagram
    7005: good(xid=7005, opts=b"\x35\x01\x01\x3c\xffPXEClient"),    # option 60 says 255 bytes
    7006: good(xid=7006, opts=b"\x35\x01\x01\x3c"),                 # option code without a length
    7007: good(xid=7007, opts=b"\x35\x01\x01\x34\x02\x01\x01\xff"), # option 52 of 2 bytes
    7008: good(xid=7008, opts=b"\x35\x01\x01\x34\x01\x04\xff"),     # option 52 = 4
    7009: good(xid=7009, opts=b"\x35\x01\x01\x34\x01\x01\xff", file=b"\x3c\xf0PXEClient"),  # overload: past the file field
    7010: good(xid=7010, hlen=17),                                  # hardware address of 17 bytes
    7011: good(xid=7011) + bytes(5000),                             # over 4096 bytes
    7012: good(xid=7012, opts=b"\x35\x01\x01\x37\x03\x01\x03\x06\xff"),              # an ordinary DHCP client
    7013: good(xid=7013, opts=b"\x35\x01\x01\x3c\x08MSFT 5.0\xff"),                  # Windows DHCP client
    7014: good(xid=7014, op=2),                                     # a BOOTREPLY (another server's)
    7015: good(xid=7015, opts=b"\x3c\x09PXEClient\xff"),            # PXE, but no message type
}
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
rx.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
rx.bind(("0.0.0.0", 68))
rx.settimeout(0.2)
def send(port, data):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"veth1")
    s.bind(("0.0.0.0", port))
    s.sendto(data, ("255.255.255.255", 67))
    s.close()
for port, data in cases.items():
    send(port, data)
    print("sent", port, len(data), flush=True)
    time.sleep(0.02)
# the truncation sweep: every prefix of a valid PXE DISCOVER, all from port 7100
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"veth1")
s.bind(("0.0.0.0", 7100))
for n in range(len(valid)):
    s.sendto(valid[:n], ("255.255.255.255", 67))
    if n % 32 == 0:
        time.sleep(0.02)   # the daemon reads 64 datagrams per wake-up: no socket overflow
print("sweep", len(valid), flush=True)
end = time.time() + 1.5
while time.time() < end:
    try:
        d, a = rx.recvfrom(4096)
    except socket.timeout:
        continue
    if len(d) >= 8:
        print("reply", struct.unpack(">I", d[4:8])[0], flush=True)
EOF
OUT=$(cat "$T/dhcp.out")
sleep 0.3
L=$(cat "$LOG")
# line PORT: the daemon's log line for the datagram from that source port
line() { grep -E "from=198\.51\.100\.50:$1 " <<<"$L"; }
replied() { grep -qx "reply $1" <<<"$OUT"; }
check_match "dhcp: the control DISCOVER is answered (the setup works)" '^reply 7001$' "$OUT"
dcase() { # PORT DESC REGEX: logged with -v as REGEX, not answered
	local l
	l=$(line "$1")
	if [ "$(grep -c . <<<"$l")" = 1 ] && grep -qE -- "$3" <<<"$l" && ! replied "$1"; then ok "dhcp: $2"; else
		notok "dhcp: $2 (wanted one log line /$3/ and no reply)"
		printf '%s\n' "$l" | head -3 | sed 's/^/#   /'
		grep "reply $1" <<<"$OUT" | sed 's/^/#   /'
	fi
}
M='event=proxydhcp\.debug port=67 iface=veth0 from=198\.51\.100\.50:[0-9]+ bytes=[0-9]+ decision=ignore reason="malformed: '
dcase 7002 "wrong magic cookie: ignored, logged" "${M}no DHCP magic cookie \(BOOTP or not DHCP\)\""
dcase 7003 "239 bytes: ignored as shorter than a header" "bytes=239 decision=ignore reason=\"malformed: shorter than a DHCP header \(240 bytes\)\""
dcase 7004 "empty datagram: ignored" "bytes=0 decision=ignore reason=\"malformed: shorter than a DHCP header \(240 bytes\)\""
dcase 7005 "option length past the end of the packet" "${M}an option runs past the end of its area\""
dcase 7006 "option code without a length byte" "${M}an option has no length byte\""
dcase 7007 "option 52 (overload) of 2 bytes" "${M}option 52 \(overload\) is not one byte\""
dcase 7008 "option 52 (overload) = 4" "${M}option 52 \(overload\) is not 1, 2 or 3\""
dcase 7009 "overloaded file field with an option running past it" "${M}an option runs past the end of its area\""
dcase 7010 "hardware address length 17" "${M}hardware address length over 16\""
dcase 7012 "an ordinary DHCP client (no option 60): ignored, debug line only" \
	'event=proxydhcp\.debug msg=DISCOVER .*mac=52:54:00:00:00:01 .*vendor="" .*decision=ignore reason="not a PXE client \(option 60 is not PXEClient or HTTPClient\)"'
dcase 7013 "a Windows DHCP client (MSFT 5.0): ignored" \
	'event=proxydhcp\.debug msg=DISCOVER .*vendor="MSFT 5\.0" .*decision=ignore reason="not a PXE client'
dcase 7014 "a BOOTREPLY: ignored" 'decision=ignore reason="not a BOOTREQUEST"'
dcase 7015 "PXE without a message type: ignored" 'decision=ignore reason="not DISCOVER, REQUEST or INFORM"'
if [ -z "$(line 7011)" ] && ! replied 7011; then ok "dhcp: over 4096 bytes: dropped, no reply, no log line"; else
	notok "dhcp: over 4096 bytes: dropped, no reply, no log line"
	line 7011 | sed 's/^/#   /'
fi
# the sweep: one line per datagram, each prefix shorter than the header refused as such
n=$(sed -n 's/^sweep //p' <<<"$OUT")
sw=$(line 7100)
n_lines=$(grep -c . <<<"$sw")
n_short=$(grep -c 'reason="malformed: shorter than a DHCP header (240 bytes)"' <<<"$sw")
n_cut=$(grep -cE 'reason="malformed: an option (runs past the end of its area|has no length byte)"' <<<"$sw")
check "dhcp: truncation sweep: every one of the $n prefixes logged once (got $n_lines)" test "${n:-0}" -gt 300 -a "$n_lines" = "$n"
check "dhcp: truncation sweep: the 240 prefixes shorter than a header say so (got $n_short)" test "$n_short" = 240
check "dhcp: truncation sweep: prefixes cut inside an option say so (got $n_cut)" test "$n_cut" -gt 30
other=$(grep -vE 'reason="malformed: |decision=ignore|decision=pxe-rom ' <<<"$sw")
check "dhcp: truncation sweep: prefixes that parse are decided normally" test -z "$other"
check "dhcp: still running after all of it" kill -0 "$DPID"
OUTC=$(ip netns exec "$NS_C" "$CLIENT" --iface veth1 --wait 1000 --count 1 --arch 0 2>&1)
check_match "dhcp: and still answering a PXE ROM" 'type=OFFER .*file="undionly\.kpxe"' "$OUTC"
L=$(cat "$LOG")
if grep -qE 'event=proxydhcp (msg|mac)=.*from=198\.51\.100\.50:70(0[2-9]|1[0-5]) ' <<<"$L"; then
	notok "dhcp: without -v none of it would be logged (all debug lines)"
else
	ok "dhcp: without -v none of it would be logged (all debug lines)"
fi

# ---- reloads with the same errors: refused, the previous inventory kept
cp "$T/dupmac.ini" "$INV"
kill -HUP "$DPID"
for _ in $(seq 1 20); do grep -q 'event=reload .*status=failed' "$LOG" && break; sleep 0.1; done
check_match "reload with a duplicate MAC: refused, previous kept, file:line logged" \
	'event=reload trigger=signal .*status=failed kept=previous error=.*inventory\.ini:8: \[machine b\] mac 52:54:00:00:00:01: already listed for \[machine a\] at line 5' \
	"$(cat "$LOG")"
cp "$T/unkvar.ini" "$INV"
kill -HUP "$DPID"
for _ in $(seq 1 20); do [ "$(grep -c 'event=reload .*status=failed' "$LOG")" -ge 2 ] && break; sleep 0.1; done
check_match "reload with an unknown template variable: refused, previous kept" \
	'event=reload trigger=signal .*status=failed kept=previous error=.*inventory\.ini:3: \[profile p\] script: \{\{kernel\}\}: unknown variable' \
	"$(cat "$LOG")"
stop_clean "badinput: chainbootd" "$DPID" "$LOG"
DPID=
finish
