#!/bin/bash
# tests/e2e/tools/handmade-chainboot.sh — a DEVELOPMENT AID for the e2e harness, not a
# product component: it accepts the `chainboot build` command line and assembles an
# image by hand with xorriso/mtools/syslinux and stock Debian iPXE binaries, with
# `set user-class` in the script instead of rebranded binaries. It lets the harness be
# checked independently of the real builder:
#   CHAINBOOT=tests/e2e/tools/handmade-chainboot.sh tests/e2e/hybrid-bios-cd.sh
# The scenarios run against build/chainboot by default; results with this script say
# nothing about the real builder.
set -u

die() {
	echo "handmade-chainboot: $*" >&2
	exit 1
}

[ "${1:-}" = build ] || die "usage: $0 build [--url URL]... [--user-class C] [--layout L] [--arch A] [--ipxe-dir D] -o OUT"
shift
urls=() class=CSTM layout=hybrid arch="x86_64 arm64" out=
ipxe=/tmp/ipxecache/x/usr/lib/ipxe
rounds=1
while [ $# -gt 0 ]; do
	case $1 in
	--url) urls+=("$2"); shift 2 ;;
	--user-class) class=$2; shift 2 ;;
	--layout) layout=$2; shift 2 ;;
	--arch) arch=$2; shift 2 ;;
	--ipxe-dir) ipxe=$2; shift 2 ;;
	--site)
		# only "url = ..." and "rounds = ..." lines are understood
		while IFS= read -r line; do
			case $line in
			url*=*) u=${line#*=}; u=${u# }; urls+=("$u") ;;
			rounds*=*) rounds=${line#*=}; rounds=${rounds// /} ;;
			esac
		done <"$2"
		shift 2
		;;
	-o) out=$2; shift 2 ;;
	*) die "unknown option $1" ;;
	esac
done
[ -n "$out" ] || die "-o OUT is required"
[ ${#urls[@]} -gt 0 ] || die "no --url"
for f in ipxe.lkrn ipxe-amd64.efi ipxe-arm64.efi; do
	[ -r "$ipxe/$f" ] || die "$ipxe/$f missing"
done

w=$(mktemp -d) || exit 1
trap 'rm -rf -- "$w"' EXIT

# the chain script
{
	echo '#!ipxe'
	echo "set user-class $class"
	echo "echo chainboot: chain script starting (user-class $class)"
	cat <<'EOT'
set round:int32 0
:round
set i:int32 0
:nic
isset ${net${i}/mac} || goto nics_done
echo chainboot: net${i} dhcp
ifconf -c dhcp net${i} || goto nic_next
set cbmac ${net${i}/mac}
EOT
	for u in "${urls[@]}"; do
		echo "echo chainboot: trying $u"
		echo "chain --autofree $u?mac=\${cbmac:uristring}&uuid=\${uuid}&uc=$class ||"
	done
	cat <<'EOT'
:nic_next
inc i
goto nic
:nics_done
inc round
EOT
	echo "iseq \${round} $rounds || goto round"
	cat <<'EOT'
:menu
menu chainboot: no inventory answered
item retry Retry
item shell iPXE shell
choose sel || goto menu
goto ${sel}
:retry
goto round
:shell
shell
EOT
} >"$w/chain.ipxe"

mk_esp() { # mk_esp IMG SECTORS
	rm -f "$1"
	mformat -i "$1" -C -T "$2" -h 64 -s 32 -v CHAINBOOT :: || exit 1
	mmd -i "$1" ::/EFI ::/EFI/BOOT || exit 1
	case " $arch " in *" x86_64 "*) mcopy -i "$1" "$ipxe/ipxe-amd64.efi" ::/EFI/BOOT/BOOTX64.EFI || exit 1 ;; esac
	case " $arch " in *" arm64 "*) mcopy -i "$1" "$ipxe/ipxe-arm64.efi" ::/EFI/BOOT/BOOTAA64.EFI || exit 1 ;; esac
	mcopy -i "$1" "$w/chain.ipxe" ::/EFI/BOOT/autoexec.ipxe || exit 1
	mcopy -i "$1" "$w/chain.ipxe" ::/autoexec.ipxe || exit 1
}

case $layout in
hybrid)
	mkdir -p "$w/iso/isolinux"
	cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$w/iso/isolinux/"
	cp "$ipxe/ipxe.lkrn" "$w/iso/isolinux/ipxe.lkrn"
	cp "$w/chain.ipxe" "$w/iso/isolinux/chain.ipxe"
	printf 'DEFAULT ipxe\nLABEL ipxe\n  KERNEL ipxe.lkrn\n  INITRD chain.ipxe\n' >"$w/iso/isolinux/isolinux.cfg"
	mk_esp "$w/iso/esp.img" 6144
	xorriso -as mkisofs -quiet -V CHAINBOOT -o "$out" \
		-isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin \
		-b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
		-eltorito-alt-boot -e esp.img -no-emul-boot -isohybrid-gpt-basdat \
		"$w/iso" || exit 1
	;;
usb)
	# 16 MiB disk, one FAT partition from sector 2048, syslinux + EFI tree
	part=$w/part.img
	mk_esp "$part" $((14 * 2048))
	mmd -i "$part" ::/syslinux
	mcopy -i "$part" "$ipxe/ipxe.lkrn" ::/syslinux/ipxe.lkrn
	mcopy -i "$part" "$w/chain.ipxe" ::/syslinux/chain.ipxe
	printf 'DEFAULT ipxe\nLABEL ipxe\n  KERNEL ipxe.lkrn\n  INITRD chain.ipxe\n' >"$w/syslinux.cfg"
	mcopy -i "$part" "$w/syslinux.cfg" ::/syslinux/syslinux.cfg
	syslinux --install --directory /syslinux "$part" || exit 1
	truncate -s 16M "$out.tmp"
	dd if=/usr/lib/syslinux/mbr/mbr.bin of="$out.tmp" conv=notrunc status=none
	# partition 1: active, type 0x0e (FAT16 LBA), LBA 2048, 28672 sectors; signature 55aa
	printf '\x80\x00\x00\x00\x0e\x00\x00\x00\x00\x08\x00\x00\x00\x70\x00\x00' |
		dd of="$out.tmp" bs=1 seek=446 conv=notrunc status=none
	printf '\x55\xaa' | dd of="$out.tmp" bs=1 seek=510 conv=notrunc status=none
	dd if="$part" of="$out.tmp" bs=512 seek=2048 conv=notrunc status=none
	mv "$out.tmp" "$out"
	;;
*) die "layout $layout not supported here" ;;
esac
