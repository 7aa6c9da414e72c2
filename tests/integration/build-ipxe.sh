#!/bin/bash
# build-ipxe: iPXE built from source — $IPXE_SRC, else Debian's ipxe source package that
# scripts/chainboot-fetch-ipxe --source fetches into the cache — with a class longer than
# a prebuilt binary could take and the chain script embedded; with --trust CA.pem the
# binary carries the CA (TRUST= fingerprint, CERT= certificate); a bad --trust file is
# refused naming it; the tree is left as it was; the results are usable as --ipxe-dir; an
# identical second run comes from the cache without make. Only the EFI platform is built
# (ipxe-amd64.efi, snponly.efi): minutes the first time, seconds after (the build tree is
# kept in the cache, ipxe-build/).
. "$(dirname "$0")/lib.sh"
. "$CHAINBOOT_SRCDIR/tests/common/ipxesrc.sh"
URL=http://198.51.100.1:8080/boot.ipxe
CLS=chainboot-lab # 13 bytes: only a build from source can send it from the first request

# What needs no iPXE tree runs without one.
check_fails "not an iPXE tree: refused" 'not an iPXE source tree' \
	"$CHAINBOOT" build-ipxe --src "$T" --url $URL -o "$T/none"
check_fails "no --src: usage" 'give the iPXE source tree' "$CHAINBOOT" build-ipxe --url $URL
if ! src=$(ipxe_src "$T/fetch-src.log"); then
	echo "skip build-ipxe from source (no iPXE source: $(tail -n 1 "$T/fetch-src.log"); set IPXE_SRC to an iPXE tree)"
	finish
	exit
fi
B=(--src "$src" --arch x86_64 --jobs 2)

# The tree must be the same afterwards: no build products, dhcp.c untouched.
before=$(cd "$src" && find . -path ./.git -prune -o -type f -newer "$src/src/net/udp/dhcp.c" -print | sort; sha256sum src/net/udp/dhcp.c)
bin_before=$(ls -d "$src"/src/bin* 2>/dev/null)

if ! command -v aarch64-linux-gnu-gcc >/dev/null; then
	check_fails "arm64 without the cross compiler: names the package" 'apt-get install gcc-aarch64-linux-gnu' \
		"$CHAINBOOT" build-ipxe --src "$src" --url $URL -o "$T/none"
fi
check_fails "no URL: the embedded script needs one" 'no inventory URL' \
	"$CHAINBOOT" build-ipxe --src "$src" -o "$T/none"
check_fails "--only with an unknown name: the names there are" '--only: "ipxe.iso" is not a binary build-ipxe makes \(ipxe.lkrn, .*snponly.efi, ipxe-arm64.efi\)' \
	"$CHAINBOOT" build-ipxe "${B[@]}" --only ipxe.iso --url $URL -o "$T/none"
check_fails "--only an arm64 binary with --arch x86_64: refused" '--only: ipxe-arm64.efi is an arm64 binary, but the build is for --arch x86_64' \
	"$CHAINBOOT" build-ipxe "${B[@]}" --only ipxe-arm64.efi --url $URL -o "$T/none"

# --trust: each file must be one PEM certificate; the error names the file.
CA_DIR=${CHAINBOOT_CACHE:-/var/cache/chainboot}/e2e-test-ca
if ! test_ca "$CA_DIR" 198.51.100.1 >"$T/ca.log" 2>&1; then
	notok "test CA (openssl): $(tail -n 2 "$T/ca.log")"
	finish
	exit
fi
echo 'not a certificate' >"$T/notes.txt"
cat "$CA_DIR/ca.pem" "$CA_DIR/server.pem" >"$T/bundle.pem"
head -n 5 "$CA_DIR/ca.pem" >"$T/cut.pem"
sed '2s/^.\{8\}/AAAAAAAA/' "$CA_DIR/ca.pem" >"$T/garbled.pem"
check_fails "--trust a private key: refused, naming the file" "--trust $CA_DIR/server.key holds a private key: give the CA's certificate" \
	"$CHAINBOOT" build-ipxe "${B[@]}" --url $URL --trust "$CA_DIR/server.key" -o "$T/none"
check_fails "--trust a text file: not a PEM certificate" "--trust $T/notes.txt is not a PEM certificate \(no -----BEGIN CERTIFICATE----- line\)" \
	"$CHAINBOOT" build-ipxe "${B[@]}" --url $URL --trust "$T/notes.txt" -o "$T/none"
check_fails "--trust a bundle of two: one per file" "--trust $T/bundle.pem holds 2 certificates, iPXE takes one per file" \
	"$CHAINBOOT" build-ipxe "${B[@]}" --url $URL --trust "$T/bundle.pem" -o "$T/none"
check_fails "--trust a cut certificate: no END line" "--trust $T/cut.pem: the certificate has no -----END CERTIFICATE----- line" \
	"$CHAINBOOT" build-ipxe "${B[@]}" --url $URL --trust "$T/cut.pem" -o "$T/none"
check_fails "--trust a garbled certificate: openssl cannot read it" "--trust $T/garbled.pem: openssl cannot read the certificate" \
	"$CHAINBOOT" build-ipxe "${B[@]}" --url $URL --trust "$T/garbled.pem" -o "$T/none"
check_fails "--trust a missing file: named" "--trust: $T/missing.pem: cannot read" \
	"$CHAINBOOT" build-ipxe "${B[@]}" --url $URL --trust "$T/missing.pem" -o "$T/none"
"$CHAINBOOT" build-ipxe "${B[@]}" --url $URL --trust "$T/notes.txt" -o "$T/none" >/dev/null 2>&1
check "a bad --trust file: exit 2 (bad input)" test $? = 2
check "a bad --trust file: nothing written" test ! -e "$T/none"

mkdir -p "$T/tmp"
out=$(TMPDIR=$T/tmp "$CHAINBOOT" build-ipxe "${B[@]}" --only ipxe-amd64.efi,snponly.efi -c "$CLS" --url $URL -o "$T/ipxe" 2>&1)
rc=$?
check_match "build-ipxe --only ipxe-amd64.efi,snponly.efi succeeds (exit $rc)" 'wrote 2 binaries sending user-class chainboot-lab to' "$out"
check_match "build-ipxe says the tree is not changed" 'your tree is not changed' "$out"
for f in ipxe-amd64.efi snponly.efi; do
	check_match "$f sends $CLS" "user-class: \"$CLS\"" "$("$CHAINBOOT" inspect "$T/ipxe/$f" 2>&1)"
done
check "only what --only named was written" test "$(ls "$T/ipxe" | sort | tr '\n' ' ')" = "ipxe-amd64.efi ipxe.efi snponly.efi "
check "ipxe.efi links to ipxe-amd64.efi as in Debian's package" test "$(readlink "$T/ipxe/ipxe.efi")" = ipxe-amd64.efi
# EFI binaries are not compressed: the embedded chain script is visible in them.
check "the chain script is embedded (EFI: URL in the binary)" grep -aq "$URL" "$T/ipxe/ipxe-amd64.efi"
check "the stamp says: no --trust" grep -qx 'trust = 0' "$T/ipxe/.chainboot-build-ipxe"
check "nothing was left in TMPDIR (the build tree is in the cache)" test -z "$(ls -A "$T/tmp")"

# The same build again: from the cache, no make.
out=$("$CHAINBOOT" build-ipxe "${B[@]}" --only ipxe-amd64.efi,snponly.efi -c "$CLS" --url $URL -o "$T/ipxe2" 2>&1)
check_match "the same build again: from the cache, no make" 'the same build is in the cache .*no make needed' "$out"
if grep -q 'make (' <<<"$out"; then notok "the same build again: make did not run"; else ok "the same build again: make did not run"; fi
check "the cached binaries are the same bytes" cmp -s "$T/ipxe/ipxe-amd64.efi" "$T/ipxe2/ipxe-amd64.efi"

# --trust: the build the https-private-ca scenario makes (so one of the two finds it in
# the cache): the CA's certificate (CERT=) and its SHA-256 fingerprint (TRUST=) are in
# the binary, which the prebuilt one does not hold.
HTTPS=https://198.51.100.1:8443/boot.ipxe
out=$("$CHAINBOOT" build-ipxe "${B[@]}" --only ipxe-amd64.efi --trust "$CA_DIR/ca.pem" --url "$HTTPS" \
	--rounds 1 --menu-timeout 0 -c CSTM -o "$T/trusted" 2>&1)
rc=$?
check_match "build-ipxe --trust ca.pem succeeds (exit $rc)" 'wrote 1 binaries sending user-class CSTM, trusting the --trust certificates' "$out"
check "the stamp says: 1 certificate trusted" grep -qx 'trust = 1' "$T/trusted/.chainboot-build-ipxe"
openssl x509 -in "$CA_DIR/ca.pem" -outform der -out "$T/ca.der"
has_bytes() { python3 -c 'import sys; sys.exit(0 if open(sys.argv[1],"rb").read() in open(sys.argv[2],"rb").read() else 1)' "$@"; }
python3 -c 'import hashlib,sys; open(sys.argv[2],"wb").write(hashlib.sha256(open(sys.argv[1],"rb").read()).digest())' "$T/ca.der" "$T/ca.fp"
check "--trust: the CA's certificate is in the binary (CERT=)" has_bytes "$T/ca.der" "$T/trusted/ipxe-amd64.efi"
check "--trust: the CA's SHA-256 fingerprint is in the binary (TRUST=)" has_bytes "$T/ca.fp" "$T/trusted/ipxe-amd64.efi"
if has_bytes "$T/ca.fp" "$T/ipxe/ipxe-amd64.efi"; then
	notok "without --trust: the fingerprint is not in the binary"
else
	ok "without --trust: the fingerprint is not in the binary"
fi
out=$("$CHAINBOOT" check-config --url "$HTTPS" --ipxe-dir "$T/trusted" --layout efi --arch x86_64 2>&1)
check "check-config with these binaries: no https warning" test "$out" = "configuration OK"

after=$(cd "$src" && find . -path ./.git -prune -o -type f -newer "$src/src/net/udp/dhcp.c" -print | sort; sha256sum src/net/udp/dhcp.c)
check "the source tree is unchanged" test "$before" = "$after"
check "no build directory appeared in the source tree" test "$bin_before" = "$(ls -d "$src"/src/bin* 2>/dev/null)"

# The results are a usable --ipxe-dir; build uses them as they are (they send the class).
export CHAINBOOT_CACHE=$T/cache
check "build --layout efi --ipxe-dir with them" "$CHAINBOOT" build --url $URL -c "$CLS" --layout efi --arch x86_64 --ipxe-dir "$T/ipxe" -o "$T/img.iso"
out=$("$CHAINBOOT" inspect "$T/img.iso" 2>&1)
check_match "image's BOOTX64.EFI sends $CLS" "BOOTX64.EFI: EFI x86_64, user-class \"$CLS\"" "$out"
check "nothing was rebranded or cached" test ! -e "$T/cache/rebranded"
# rebrand refuses them: they are not stock
check_fails "rebrand of a build-ipxe binary: already has its class" "already rebranded: its user-class is \"$CLS\"" \
	"$CHAINBOOT" rebrand -c CSTM "$T/ipxe/ipxe-amd64.efi" "$T/x.efi"
finish
