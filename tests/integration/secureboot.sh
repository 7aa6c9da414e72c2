#!/bin/bash
# secureboot: keygen, and images in db, shim and vendor mode: every EFI binary in them
# verifies (sbverify) against the site certificate, the BIOS path is the unsigned image's,
# rebuilds are byte-identical; bad keys, certificates and binaries give one clear error
# and no image.
. "$(dirname "$0")/lib.sh"
URL=http://198.51.100.1/boot.ipxe
for t in sbsign sbverify openssl xorriso mcopy; do
	command -v $t >/dev/null || { echo "skip secureboot: $t not installed (scripts/deps.sh)"; exit 0; }
done
# The iPXE binaries are found through the cache root: name them before moving it.
IPXE=${CHAINBOOT_IPXE_DIR:-$(scripts/deps.sh --print-ipxe-dir)}
export CHAINBOOT_IPXE_DIR=$IPXE
ARM_SHIM=${CHAINBOOT_SHIM_ARM64_DIR:-$(scripts/deps.sh --print-shim-arm64-dir)}
export CHAINBOOT_CACHE=$T/cache # signed copies of this test only

# esp_get IMG PATH OUT: a file from the ESP of a hybrid ISO (efi.img inside it).
esp_get() {
	rm -f "$T/esp.tmp"
	xorriso -osirrox on -indev "$1" -extract /efi.img "$T/esp.tmp" >/dev/null 2>&1 &&
		mcopy -n -i "$T/esp.tmp" "::/$2" "$3" 2>/dev/null
}

# ---- keygen
check "keygen makes a key and certificate" "$CHAINBOOT" keygen -o "$T/k" -L LAB
out=$("$CHAINBOOT" keygen -o "$T/k2/" -L LAB 2>&1)
check_match "keygen -o DIR/: paths printed as DIR/site.key, not DIR//" "wrote $T/k2/site\.key " "$out"
check_match "keygen: key file mode 0600" '^600$' "$(stat -c %a "$T/k/site.key")"
check_match "keygen: subject from the label" 'CN ?= ?LAB Secure Boot' "$(openssl x509 -in "$T/k/site.crt" -noout -subject)"
check_match "keygen: RSA 2048, SHA-256" 'sha256WithRSAEncryption' "$(openssl x509 -in "$T/k/site.crt" -noout -text)"
check_match "keygen: RSA 2048 bits" '2048 bit' "$(openssl x509 -in "$T/k/site.crt" -noout -text)"
check "keygen: the DER copy is the same certificate" cmp <(openssl x509 -in "$T/k/site.crt" -outform der) "$T/k/site.cer"
check_fails "keygen refuses to replace a key" 'exists; refusing to replace' "$CHAINBOOT" keygen -o "$T/k"
"$CHAINBOOT" keygen -o "$T/k2" >/dev/null
K=(--sb-key "$T/k/site.key" --sb-cert "$T/k/site.crt")

# ---- db mode
check "db: hybrid build" "$CHAINBOOT" build --url $URL --secure-boot db "${K[@]}" -o "$T/db.iso"
check "off: hybrid build" "$CHAINBOOT" build --url $URL -o "$T/off.iso"
for f in EFI/BOOT/BOOTX64.EFI EFI/BOOT/BOOTAA64.EFI; do
	esp_get "$T/db.iso" $f "$T/f.efi"
	check "db: $f verifies against the site certificate" sbverify --cert "$T/k/site.crt" "$T/f.efi"
	if sbverify --cert "$T/k2/site.crt" "$T/f.efi" >/dev/null 2>&1; then
		notok "db: $f does not verify against another certificate"
	else ok "db: $f does not verify against another certificate"; fi
	esp_get "$T/off.iso" $f "$T/u.efi"
	if sbverify --cert "$T/k/site.crt" "$T/u.efi" >/dev/null 2>&1; then
		notok "off: $f is unsigned"
	else ok "off: $f is unsigned"; fi
done
xorriso -osirrox on -indev "$T/db.iso" -extract /ipxe.lkrn "$T/db.lkrn" >/dev/null 2>&1
xorriso -osirrox on -indev "$T/off.iso" -extract /ipxe.lkrn "$T/off.lkrn" >/dev/null 2>&1
check "db: the BIOS path (ipxe.lkrn) is the unsigned image's" cmp "$T/db.lkrn" "$T/off.lkrn"
check "db: rebuild" "$CHAINBOOT" build --url $URL --secure-boot db "${K[@]}" -o "$T/db2.iso"
check "db: rebuilds are byte-identical (signed copies cached)" cmp "$T/db.iso" "$T/db2.iso"
if cmp -s "$T/db.iso" "$T/off.iso"; then notok "db and off images differ"; else ok "db and off images differ"; fi
check "db: usb layout" "$CHAINBOOT" build --url $URL --layout usb --secure-boot db "${K[@]}" -o "$T/db.img"
mcopy -n -i "$T/db.img@@1M" ::/EFI/BOOT/BOOTX64.EFI "$T/usb.efi" 2>/dev/null
check "db: usb BOOTX64.EFI verifies" sbverify --cert "$T/k/site.crt" "$T/usb.efi"
check "db: efi layout (the FAT grows to hold the signed binaries)" \
	"$CHAINBOOT" build --url $URL --layout efi --secure-boot db "${K[@]}" -o "$T/db.esp"
mcopy -n -i "$T/db.esp" ::/EFI/BOOT/BOOTAA64.EFI "$T/esp.efi" 2>/dev/null
check "db: efi BOOTAA64.EFI verifies" sbverify --cert "$T/k/site.crt" "$T/esp.efi"
out=$("$CHAINBOOT" build --url $URL --secure-boot db "${K[@]}" -o "$T/n.iso" 2>&1)
check_match "db: the build says what it signed" 'Secure Boot db: 2 EFI binaries signed by .*LAB' "$out"
check "site file [secureboot] works as the flags do" bash -c "printf '[chain]\nurl = $URL\n[secureboot]\nmode = db\nkey = k/site.key\ncert = k/site.crt\n' >'$T/sb.ini' &&
	'$CHAINBOOT' build -s '$T/sb.ini' -o '$T/site.iso' && cmp '$T/site.iso' '$T/db.iso'"

# ---- shim mode
if [ -r /usr/lib/shim/shimx64.efi.signed ] && [ -r /usr/lib/shim/mmx64.efi.signed ]; then
	check "shim: hybrid build" "$CHAINBOOT" build --url $URL --secure-boot shim "${K[@]}" -o "$T/shim.iso"
	esp_get "$T/shim.iso" EFI/BOOT/BOOTX64.EFI "$T/s.efi"
	check "shim: BOOTX64.EFI is Debian's signed shim" cmp "$T/s.efi" /usr/lib/shim/shimx64.efi.signed
	esp_get "$T/shim.iso" EFI/BOOT/mmx64.efi "$T/s.efi"
	check "shim: mmx64.efi is MokManager" cmp "$T/s.efi" /usr/lib/shim/mmx64.efi.signed
	esp_get "$T/shim.iso" EFI/BOOT/grubx64.efi "$T/s.efi"
	check "shim: grubx64.efi (our iPXE) verifies against the site certificate" sbverify --cert "$T/k/site.crt" "$T/s.efi"
	esp_get "$T/shim.iso" ENROLL-THIS-KEY.cer "$T/s.cer"
	check "shim: ENROLL-THIS-KEY.cer is the site certificate in DER" cmp "$T/s.cer" "$T/k/site.cer"
	esp_get "$T/shim.iso" ENROLL-THIS-KEY.txt "$T/s.txt"
	check_match "shim: the note tells the enrolment steps" 'Enroll key from disk' "$(cat "$T/s.txt" 2>&1)"
	if [ -r "$ARM_SHIM/shimaa64.efi.signed" ]; then
		export CHAINBOOT_SHIM_ARM64_DIR=$ARM_SHIM
		"$CHAINBOOT" build --url $URL --secure-boot shim "${K[@]}" -o "$T/shim.iso" >/dev/null 2>&1
		esp_get "$T/shim.iso" EFI/BOOT/BOOTAA64.EFI "$T/s.efi"
		check "shim: BOOTAA64.EFI is Debian's signed arm64 shim" cmp "$T/s.efi" "$ARM_SHIM/shimaa64.efi.signed"
		esp_get "$T/shim.iso" EFI/BOOT/grubaa64.efi "$T/s.efi"
		check "shim: grubaa64.efi (our arm64 iPXE) verifies" sbverify --cert "$T/k/site.crt" "$T/s.efi"
	else
		echo "skip shim arm64: no arm64 shim in $ARM_SHIM (scripts/deps.sh)"
	fi
	out=$(CHAINBOOT_SHIM_ARM64_DIR=$T/none CHAINBOOT_CACHE=$T/cache-noshim "$CHAINBOOT" build --url $URL \
		--secure-boot shim "${K[@]}" -o "$T/shim-noarm.iso" 2>&1)
	check_match "shim without an arm64 shim: the build says arm64 is db only" 'arm64 has no shim here.*db mode only' "$out"
	check "shim: rebuilds are byte-identical" bash -c "'$CHAINBOOT' build --url $URL --secure-boot shim ${K[*]} -o '$T/shim2.iso' && cmp '$T/shim.iso' '$T/shim2.iso'"
	# Without Debian's shim packages (an empty tmpfs over /usr/lib/shim in a mount
	# namespace of this build alone): one error naming the packages, no image.
	if unshare -m true 2>/dev/null; then
		check_fails "shim without the shim packages: the packages are named" \
			'mode = shim needs Debian.s signed shim and MokManager .*apt-get install shim-signed shim-helpers-amd64-signed' \
			unshare -m sh -c 'mount -t tmpfs none /usr/lib/shim && exec "$0" "$@"' \
			"$CHAINBOOT" build --url $URL --secure-boot shim "${K[@]}" -o "$T/noshim.iso"
		check "shim without the shim packages: nothing written" test ! -e "$T/noshim.iso"
	else
		echo "skip shim without packages: no mount namespaces"
	fi
else
	echo "skip shim mode: shim-signed / shim-helpers-amd64-signed not installed"
fi

# ---- inspect: signer, type, SBAT, --cert
out=$("$CHAINBOOT" inspect "$T/db.iso" --cert "$T/k/site.crt" 2>&1)
check_match "inspect: db image's BOOTX64.EFI: iPXE signed by the site key, SBAT" \
	'BOOTX64.EFI: .*' "$out"
check_match "inspect: signer and verification shown" 'Secure Boot: iPXE, signed \(1\) by /CN=LAB Secure Boot \(chainboot\), SBAT sbat,ipxe; verifies against' "$out"
out=$("$CHAINBOOT" inspect "$T/db.iso" --cert "$T/k2/site.crt" 2>&1)
check_match "inspect: another certificate does not verify" 'does NOT verify against' "$out"
out=$("$CHAINBOOT" inspect "$T/off.iso" 2>&1)
check_match "inspect: the unsigned image's binaries are not signed" 'Secure Boot: iPXE, not signed, SBAT sbat,ipxe' "$out"
out=$("$CHAINBOOT" inspect --json "$T/db.iso" --cert "$T/k/site.crt" 2>&1)
check_match "inspect --json: secure_boot with signer and verifies" '"secure_boot": \{[^}]*"signer": "/CN=LAB Secure Boot \(chainboot\)"' "$(tr -d '\n' <<<"$out" | sed 's/  */ /g')"
check_match "inspect --json: verifies true" '"verifies": true' "$out"
check_fails "inspect --cert with a missing file" 'nothing.crt: No such file' "$CHAINBOOT" inspect "$T/db.iso" --cert "$T/nothing.crt"
if [ -f "$T/shim.iso" ]; then
	out=$("$CHAINBOOT" inspect "$T/shim.iso" 2>&1)
	check_match "inspect: shim image names shim, MokManager and iPXE" \
		'Secure Boot: shim, signed.*Microsoft.*(.|\n)*' "$out"
	check_match "inspect: MokManager named" 'Secure Boot: MokManager, signed' "$out"
fi

# ---- vendor mode
mkdir -p "$T/vendor" "$T/unsigned"
cp "$IPXE"/ipxe.lkrn "$IPXE"/ipxe-amd64.efi "$IPXE"/ipxe-arm64.efi "$T/unsigned/"
cp "$IPXE"/ipxe.lkrn "$T/vendor/"
for f in ipxe-amd64.efi ipxe-arm64.efi; do
	sbsign --key "$T/k/site.key" --cert "$T/k/site.crt" --output "$T/vendor/$f" "$IPXE/$f" 2>/dev/null
done
check_fails "vendor: unsigned binaries are refused" 'carries no signature' \
	"$CHAINBOOT" build --url $URL --secure-boot vendor --ipxe-dir "$T/unsigned" -o "$T/v0.iso"
check "vendor: unsigned: nothing written" test ! -e "$T/v0.iso"
out=$("$CHAINBOOT" build --url $URL --secure-boot vendor --ipxe-dir "$T/vendor" -o "$T/v.iso" 2>&1)
check_match "vendor: signed binaries build, and the build says where the class comes from" 'set user-class' "$out"
esp_get "$T/v.iso" EFI/BOOT/BOOTX64.EFI "$T/v.efi"
check "vendor: BOOTX64.EFI is the given file, unchanged (not rebranded)" cmp "$T/v.efi" "$T/vendor/ipxe-amd64.efi"
check "vendor: with --sb-cert each binary is verified" \
	"$CHAINBOOT" build --url $URL --secure-boot vendor --sb-cert "$T/k/site.crt" --ipxe-dir "$T/vendor" -o "$T/v2.iso"
check_fails "vendor: a binary not signed by --sb-cert is refused" 'does not verify against' \
	"$CHAINBOOT" build --url $URL --secure-boot vendor --sb-cert "$T/k2/site.crt" --ipxe-dir "$T/vendor" -o "$T/v3.iso"
check_fails "vendor with rebrand = yes is refused" 'would break the vendor' \
	"$CHAINBOOT" build --url $URL --secure-boot vendor --rebrand yes --ipxe-dir "$T/vendor" -o "$T/v4.iso"

# ---- bad input: one clear error, no image
bad() { # DESC REGEX ARGS...
	local desc=$1 re=$2
	shift 2
	rm -f "$T/bad.iso"
	check_fails "$desc" "$re" "$CHAINBOOT" build --url $URL "$@" -o "$T/bad.iso"
	check "$desc: nothing written" test ! -e "$T/bad.iso"
}
bad "key and certificate that do not match" 'do not match' --secure-boot db --sb-key "$T/k/site.key" --sb-cert "$T/k2/site.crt"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -aes256 -pass pass:secret -out "$T/enc.key" 2>/dev/null
bad "passphrase-protected key" 'protected by a passphrase' --secure-boot db --sb-key "$T/enc.key" --sb-cert "$T/k/site.crt"
bad "missing key file" "nothing.key: No such file" --secure-boot db --sb-key "$T/nothing.key" --sb-cert "$T/k/site.crt"
bad "missing certificate file" "nothing.crt: No such file" --secure-boot db --sb-key "$T/k/site.key" --sb-cert "$T/nothing.crt"
bad "certificate in DER" 'not a PEM X.509 certificate' --secure-boot db --sb-key "$T/k/site.key" --sb-cert "$T/k/site.cer"
bad "a certificate as the key" 'not a PEM private key' --secure-boot db --sb-key "$T/k/site.crt" --sb-cert "$T/k/site.crt"
bad "db without key and cert" 'needs key = FILE and cert = FILE' --secure-boot db
bad "unknown mode" '--secure-boot: mode: "uefi" is unknown \(allowed: off, shim, db, vendor\)' --secure-boot uefi
printf '[chain]\nurl = %s\n[secureboot]\nmode = maybe\nsalt = 1\n' $URL >"$T/bad.ini"
check_fails "site file: bad mode with file:line" 'bad.ini:4: mode: "maybe" is unknown' "$CHAINBOOT" build -s "$T/bad.ini" -o "$T/bad.iso"
check_fails "site file: unknown key with file:line" 'bad.ini:5: \[secureboot\] salt: unknown key' "$CHAINBOOT" build -s "$T/bad.ini" -o "$T/bad.iso"

check_fails "check-config: key and certificate that do not match" 'do not match' \
	"$CHAINBOOT" check-config --url $URL --secure-boot db --sb-key "$T/k/site.key" --sb-cert "$T/k2/site.crt"
check_match "check-config: a good pair is OK" 'configuration OK' \
	"$("$CHAINBOOT" check-config --url $URL --secure-boot db "${K[@]}" 2>&1)"

# A certificate outside its validity period: a warning, the image is made.
mkdir -p "$T/ca" && : >"$T/ca/index.txt" && echo 01 >"$T/ca/serial"
printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s/ca/index.txt\nserial = %s/ca/serial\nnew_certs_dir = %s/ca\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n' "$T" "$T" "$T" >"$T/ca/ca.cnf"
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/ca/old.key" -out "$T/ca/old.csr" -subj /CN=old 2>/dev/null
openssl ca -batch -config "$T/ca/ca.cnf" -selfsign -keyfile "$T/ca/old.key" -in "$T/ca/old.csr" -out "$T/ca/old.crt" \
	-startdate 20000101000000Z -enddate 20010101000000Z >/dev/null 2>&1
out=$("$CHAINBOOT" build --url $URL --secure-boot db --sb-key "$T/ca/old.key" --sb-cert "$T/ca/old.crt" -o "$T/old.iso" 2>&1)
check_match "expired certificate: a warning naming the date" 'warning: certificate .*old.crt expired on Jan  1 00:00:00 2001' "$out"
check "expired certificate: the image is made" test -s "$T/old.iso"
finish
