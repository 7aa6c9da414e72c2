# shellcheck shell=bash
# tests/common/ipxesrc.sh — what the build-ipxe tests share (sourced, not run).

# ipxe_src LOG: print the iPXE source tree to build from: $IPXE_SRC when set, else the
# source of Debian's ipxe package, fetched once into the cache by
# scripts/chainboot-fetch-ipxe --source (private apt state). 1 when there is none (LOG
# holds why: its last line).
ipxe_src() {
	local log=$1 fetch
	fetch=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/chainboot-fetch-ipxe
	if [ -n "${IPXE_SRC:-}" ]; then
		if [ -f "$IPXE_SRC/src/net/udp/dhcp.c" ]; then
			echo "$IPXE_SRC"
			return 0
		fi
		echo "IPXE_SRC=$IPXE_SRC is not an iPXE tree (no src/net/udp/dhcp.c)" >"$log"
		return 1
	fi
	"$fetch" --source --if-missing >"$log" 2>&1 || return 1
	"$fetch" --source --print-dir
}

# test_ca DIR IP: a test CA (DIR/ca.pem, ca.key) and a server certificate for IP (DIR/server.pem,
# server.key: subjectAltName IP:IP, serverAuth), made with openssl unless DIR holds them.
# Kept: the CA is part of a build-ipxe --trust build's key, so a new one is a new build.
test_ca() {
	local dir=$1 ip=$2
	if [ -s "$dir/ca.pem" ] && [ -s "$dir/server.pem" ] && [ -s "$dir/server.key" ] &&
		openssl x509 -in "$dir/server.pem" -noout -checkend 86400 >/dev/null &&
		openssl x509 -in "$dir/server.pem" -noout -ext subjectAltName | grep -q "IP Address:$ip\$"; then
		return 0
	fi
	mkdir -p "$dir.new" && chmod 700 "$dir.new" || return 1
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=chainboot test CA" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
		-keyout "$dir.new/ca.key" -out "$dir.new/ca.pem" &&
		openssl req -newkey rsa:2048 -nodes -subj "/CN=$ip" \
			-keyout "$dir.new/server.key" -out "$dir.new/server.csr" &&
		printf 'subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n' \
			"$ip" >"$dir.new/server.ext" &&
		openssl x509 -req -days 3650 -in "$dir.new/server.csr" -CA "$dir.new/ca.pem" \
			-CAkey "$dir.new/ca.key" -set_serial 2 -extfile "$dir.new/server.ext" \
			-out "$dir.new/server.pem" || return 1
	rm -rf "$dir" && mv "$dir.new" "$dir"
}
