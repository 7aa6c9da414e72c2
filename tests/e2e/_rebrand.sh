# shellcheck shell=bash
# _rebrand.sh — what the rebrand-* scenarios share (sourced after lib.sh; tests/run
# skips files starting with "_"). Boots a single iPXE binary whose script does not set
# user-class, so the class the site DHCP sees is the one compiled into the binary.

# rebrand_prepare: the stock binaries and the script every boot runs.
rebrand_prepare() {
	STOCK_DIR=${IPXE_DIR:-$("$E2E_ROOT/scripts/deps.sh" --print-ipxe-dir)}
	if [ ! -f "$STOCK_DIR/ipxe.lkrn" ]; then
		not_ok "$E2E_NAME: iPXE binaries in $STOCK_DIR (run scripts/deps.sh)"
		exit 1
	fi
	# No `set user-class` here: on purpose.
	cat >"$E2E_TMP/script.ipxe" <<EOS
#!ipxe
echo rebrand-e2e: script starting
ifconf -c dhcp net0 || ifconf -c dhcp net0 || ifconf -c dhcp net0
chain http://$SERVER_IP:$HTTP_PORT/boot.ipxe?mac=\${net0/mac} || shell
EOS
	cp "$E2E_TMP/script.ipxe" "$E2E_TMP/autoexec.ipxe"
}

# rebrand_bin NAME CLASS OUT: chainboot rebrand of the stock binary NAME.
rebrand_bin() {
	"$CHAINBOOT" rebrand --user-class "$2" "$STOCK_DIR/$1" "$3" >"$E2E_TMP/rebrand-$2.log" 2>&1 || {
		cat "$E2E_TMP/rebrand-$2.log" >&2
		return 1
	}
}

# make_esp EFI OUT: a FAT image (no partition table) with EFI/BOOT/BOOTX64.EFI = EFI and
# autoexec.ipxe beside it.
make_esp() {
	rm -f "$2"
	mformat -C -i "$2" -T 8192 -h 2 -s 32 -v ESP :: &&
		mmd -i "$2" ::/EFI ::/EFI/BOOT &&
		mcopy -i "$2" "$1" ::/EFI/BOOT/BOOTX64.EFI &&
		mcopy -i "$2" "$E2E_TMP/autoexec.ipxe" ::/EFI/BOOT/autoexec.ipxe &&
		mcopy -i "$2" "$E2E_TMP/autoexec.ipxe" ::/autoexec.ipxe
}

# kernel_boot LKRN MAC TAG: SeaBIOS boots LKRN with QEMU's -kernel and the script as
# initrd (what ISOLINUX does); the NIC has no option ROM, so every DHCP request from MAC
# comes from LKRN. Waits for the inventory request, then stops the VM.
kernel_boot() {
	local lkrn=$1 mac=$2 tag=$3 rc
	QEMU_SERIAL=$E2E_TMP/$tag.serial
	: >"$QEMU_SERIAL"
	local -a q=(qemu-system-x86_64 -M pc -m 256 -accel tcg -smp 1 -display none -no-reboot
		-no-user-config -nodefaults -vga std -serial "file:$QEMU_SERIAL"
		-kernel "$lkrn" -initrd "$E2E_TMP/script.ipxe"
		-netdev tap,id=net0,ifname=tap0,script=no,downscript=no
		-device "virtio-net-pci,netdev=net0,mac=$mac,romfile=")
	qemu_launch "${q[@]}"
	boot_wait "$mac"
}

# esp_boot ESP MAC TAG: OVMF boots the ESP as a USB disk. The NIC has no option ROM
# (OVMF drives virtio-net itself), so no other iPXE than ours can ask DHCP from MAC.
esp_boot() {
	local esp=$1 mac=$2 tag=$3
	QEMU_SERIAL=$E2E_TMP/$tag.serial
	: >"$QEMU_SERIAL"
	cp "$OVMF_VARS" "$E2E_TMP/$tag-vars.fd"
	local -a q=(qemu-system-x86_64 -M q35 -m 256 -accel tcg -smp 1 -display none -no-reboot
		-no-user-config -nodefaults -vga std -serial "file:$QEMU_SERIAL"
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
		-drive "if=pflash,format=raw,unit=1,file=$E2E_TMP/$tag-vars.fd"
		-drive "if=none,id=stick,format=raw,snapshot=on,file=$esp"
		-device qemu-xhci,id=xhci -device "usb-storage,bus=xhci.0,drive=stick,bootindex=0"
		-netdev tap,id=net0,ifname=tap0,script=no,downscript=no
		-device "virtio-net-pci,netdev=net0,mac=$mac,romfile=,bootindex=10")
	qemu_launch "${q[@]}"
	boot_wait "$mac"
}

# boot_wait MAC: until the inventory logs MAC's request (or the VM stops/times out).
boot_wait() {
	wait_for "$E2E_TMP/http.log" "\"GET /boot\.ipxe\?([^ \"]*&)?mac=$(mac_enc "$1")" "$BOOT_TIMEOUT"
	BOOT_RC=$?
	BOOT_TOOK=$((SECONDS - QEMU_START))
	qemu_stop
}

# dhcp_classes MAC: every user class the site DHCP logged for MAC's transactions.
dhcp_classes() {
	local xid
	grep -Ea "DHCP(DISCOVER|REQUEST)\(br0\) ([0-9.]+ )?$1 ?\$" "$E2E_TMP/dnsmasq.log" |
		sed -E 's/^.*dnsmasq-dhcp[^ ]* ([0-9]+) .*$/\1/' | sort -u |
		while read -r xid; do
			grep -Ea "dnsmasq-dhcp[^ ]* $xid user class: " "$E2E_TMP/dnsmasq.log" |
				sed -E 's/^.* user class: (.*[^ ]) ?$/\1/'
		done | sort -u
}

# rebrand_evidence LABEL MAC WANT_CLASS NOT_CLASS
rebrand_evidence() {
	local label=$1 mac=$2 want=$3 not=$4 classes why=
	case $BOOT_RC in
	1) why=" (no request within ${BOOT_TIMEOUT}s)" ;;
	2) why=" (VM exited after ${BOOT_TOOK}s without a request)" ;;
	esac
	check "$label: inventory got GET /boot.ipxe?mac=$mac after ${BOOT_TOOK}s$why" http_saw_mac "$mac"
	check "$label: site DHCP saw user class $want from $mac" dhcp_class_for "$mac" "$want"
	classes=$(dhcp_classes "$mac" | paste -sd' ')
	check "$label: and never $not (classes seen: ${classes:-none})" \
		eval "! grep -qw -- '$not' <<<'$classes'"
}
