# bench/httplib.sh: the HTTP cases' servers and load — chainbootd, lighttpd and nginx in
# the server namespace, each on its own port and logging one line per request to a file,
# and wrk in the client namespace. Sourced by bench/cases/http-*.sh after lib.sh.
#
# Fairness: every server is one process doing the work (nginx: worker_processes 1 — its
# master only waits; lighttpd: its default single process; chainbootd: one event loop),
# each drops to nobody, each writes one access-log line per request (chainbootd's
# event=http line to stderr, nginx's and lighttpd's default access log format to a file),
# each serves the same bytes from the same directory, keep-alive without a request cap
# (nginx keepalive_requests and lighttpd max-keep-alive-requests raised from 1000).

HTTP_ROOT=$BENCH_TMP/www
HTTP_PORT_chainbootd=80
HTTP_PORT_chainbootd_notimeline=8083
HTTP_PORT_chainbootd_baseline=8084
HTTP_PORT_lighttpd=8081
HTTP_PORT_nginx=8082
HTTP_MAC=52:54:00:12:34:56
HTTP_WRK_THREADS=2
HTTP_QUERY="/boot.ipxe?mac=$HTTP_MAC&uuid=&serial=&platform=efi&buildarch=x86_64&uc=CSTM"

# http_wrk_lua: a wrk script whose done() prints one key=value line we parse.
http_wrk_lua() {
	cat >"$BENCH_TMP/report.lua" <<'EOF'
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("wrk requests=%d bytes=%d duration_us=%d p50_us=%d p99_us=%d err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
		summary.requests, summary.bytes, summary.duration, latency:percentile(50), latency:percentile(99),
		e.connect, e.read, e.write, e.status, e.timeout))
end
EOF
}

# http_var SERVER: SERVER as a shell name (chainbootd-notimeline -> chainbootd_notimeline).
http_var() { printf '%s' "${1//-/_}"; }

# http_start_chainbootd INVENTORY [SERVER [SITE-LINE…]]: chainbootd serving HTTP only,
# boot_root = $HTTP_ROOT, as SERVER (default chainbootd; its port is HTTP_PORT_<SERVER>),
# with more [server] lines, from its own site file SERVER.ini.
http_start_chainbootd() {
	local inv=$1 name=${2:-chainbootd} v port bin=$BENCH_BUILD/chainbootd
	shift
	[ $# -gt 0 ] && shift
	v=$(http_var "$name")
	port=HTTP_PORT_$v
	port=${!port}
	cat >"$BENCH_TMP/$name.ini" <<EOF
[chain]
url = http://$BENCH_SRV_IP/boot.ipxe
[server]
listen = $BENCH_SRV_IP
http_port = $port
proxydhcp = no
tftp = no
boot_root = $HTTP_ROOT
inventory = $inv
user = nobody
http_max = 1024
EOF
	[ $# -gt 0 ] && printf '%s\n' "$@" >>"$BENCH_TMP/$name.ini"
	[ "$name" = chainbootd-baseline ] && bin=$HTTP_BASELINE
	bench_start "PID_$v" ip netns exec "$BENCH_SRV_NS" "$bin" -c "$BENCH_TMP/$name.ini"
	bench_wait_port "$BENCH_SRV_NS" tcp "$port" ||
		{ cat "$BENCH_TMP/PID_$v.log" >&2; bench_die "$name did not start"; }
}

# http_start_notimeline: the same chainbootd with [server] timeline = no (and the status
# listener off, which that needs) as server chainbootd-notimeline on its own port: the
# anchor for what the boot timeline and its counters cost per request.
http_start_notimeline() {
	http_start_chainbootd "$INV" chainbootd-notimeline "timeline = no" "status_listen = off"
}

# http_start_baseline INVENTORY: with HTTP_BASELINE=path/to/an/older/chainbootd, that
# binary as server chainbootd-baseline on its own port, added to SERVERS (before/after a
# change, in the same run); without it nothing.
http_start_baseline() {
	[ -n "${HTTP_BASELINE:-}" ] || return 0
	[ -x "$HTTP_BASELINE" ] || bench_die "HTTP_BASELINE=$HTTP_BASELINE is not an executable"
	# its status listener off: chainbootd holds the default status port
	http_start_chainbootd "$1" chainbootd-baseline "status_listen = off"
	SERVERS+=(chainbootd-baseline)
	printf '%s\n' "chainbootd-baseline: $HTTP_BASELINE (an older build), chainbootd's site file" >>"$BENCH_OUT/$BENCH_CASE.notes"
}

http_start_lighttpd() {
	local bin=$BENCH_ANCHOR/bin/lighttpd
	[ -x "$bin" ] || bench_die "$bin missing: run scripts/bench-deps.sh"
	cat >"$BENCH_TMP/lighttpd.conf" <<EOF
server.document-root = "$HTTP_ROOT"
server.bind = "$BENCH_SRV_IP"
server.port = $HTTP_PORT_lighttpd
server.username = "nobody"
server.groupname = "nogroup"
server.errorlog = "$BENCH_TMP/lighttpd-error.log"
server.max-keep-alive-requests = 1000000
server.max-connections = 1024
server.modules = ( "mod_accesslog" )
accesslog.filename = "$BENCH_TMP/lighttpd-access.log"
mimetype.assign = ( ".ipxe" => "text/plain; charset=utf-8", "" => "application/octet-stream" )
EOF
	touch "$BENCH_TMP/lighttpd-error.log" "$BENCH_TMP/lighttpd-access.log"
	chown nobody "$BENCH_TMP/lighttpd-error.log" "$BENCH_TMP/lighttpd-access.log"
	bench_start PID_lighttpd ip netns exec "$BENCH_SRV_NS" "$bin" -D -f "$BENCH_TMP/lighttpd.conf" -m "$BENCH_ANCHOR/lib/lighttpd"
	bench_wait_port "$BENCH_SRV_NS" tcp "$HTTP_PORT_lighttpd" ||
		{ cat "$BENCH_TMP/PID_lighttpd.log" "$BENCH_TMP/lighttpd-error.log" >&2; bench_die "lighttpd did not start"; }
}

http_start_nginx() {
	local bin=$BENCH_ANCHOR/bin/nginx t=$BENCH_TMP/nginx
	[ -x "$bin" ] || bench_die "$bin missing: run scripts/bench-deps.sh"
	mkdir -p "$t/tmp"
	cat >"$t/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
user nobody nogroup;
pid $t/nginx.pid;
error_log $t/error.log warn;
events { worker_connections 1024; }
http {
	types { text/plain ipxe; }
	default_type application/octet-stream;
	charset utf-8;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	access_log $t/access.log;
	client_body_temp_path $t/tmp/body;
	proxy_temp_path $t/tmp/proxy;
	fastcgi_temp_path $t/tmp/fastcgi;
	uwsgi_temp_path $t/tmp/uwsgi;
	scgi_temp_path $t/tmp/scgi;
	server {
		listen $BENCH_SRV_IP:$HTTP_PORT_nginx;
		root $HTTP_ROOT;
	}
}
EOF
	bench_start PID_nginx ip netns exec "$BENCH_SRV_NS" "$bin" -e "$t/error.log" -p "$t" -c "$t/nginx.conf"
	bench_wait_port "$BENCH_SRV_NS" tcp "$HTTP_PORT_nginx" ||
		{ cat "$BENCH_TMP/PID_nginx.log" "$t/error.log" >&2; bench_die "nginx did not start"; }
}

# http_cpu_us PID: CPU time of PID and its live children (nginx's worker).
http_cpu_us() {
	local total p
	total=$(bench_cpu_us "$1")
	for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		total=$((total + $(bench_cpu_us "$p")))
	done
	echo "$total"
}

# http_load SERVER REP SECONDS CONNS PATH [wrk options…]: one wrk run against SERVER;
# sets WRK_LINE (the done() line) and CPU_US (the server's CPU time during the run).
# REP 0 is a warm-up (nothing recorded by the caller).
http_load() {
	local server=$1 rep=$2 secs=$3 conns=$4 path=$5 pid port c0 c1 out
	shift 5
	pid=PID_$(http_var "$server"); pid=${!pid}
	port=HTTP_PORT_$(http_var "$server"); port=${!port}
	c0=$(http_cpu_us "$pid")
	out=$(bench_in_cli wrk -t "$HTTP_WRK_THREADS" -c "$conns" -d "${secs}s" --timeout 5s -s "$BENCH_TMP/report.lua" \
		"$@" "http://$BENCH_SRV_IP:$port$path" 2>&1) || { printf '%s\n' "$out" >&2; bench_die "wrk against $server failed"; }
	c1=$(http_cpu_us "$pid")
	kill -0 "$pid" 2>/dev/null || bench_die "$server died during the run (see $BENCH_TMP/PID_$(http_var "$server").log)"
	WRK_LINE=$(grep '^wrk requests=' <<<"$out")
	[ -n "$WRK_LINE" ] || { printf '%s\n' "$out" >&2; bench_die "no result from wrk against $server"; }
	CPU_US=$((c1 - c0))
	bench_log "$server rep $rep: $WRK_LINE cpu_us=$CPU_US"
}

# http_errors: wrk's error count (connect, read, write, timeouts, non-2xx) of WRK_LINE.
# With Connection: close every response ends in a read of 0 bytes, which wrk counts as a
# read error; the caller passes 1 to leave those out.
http_errors() {
	local n=0 k
	for k in err_connect err_write err_status err_timeout; do n=$((n + $(bench_kv "$k" <<<"$WRK_LINE"))); done
	[ "${1:-0}" = 1 ] || n=$((n + $(bench_kv err_read <<<"$WRK_LINE")))
	echo "$n"
}

# http_setup: namespaces, a wider port range and TIME-WAIT reuse in the client namespace
# (the close case opens a connection per request), the wrk report script, the web root.
http_setup() {
	command -v wrk >/dev/null || bench_die "wrk missing: run scripts/bench-deps.sh"
	bench_netns_up
	bench_in_cli sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1 >/dev/null
	http_wrk_lua
	mkdir -p "$HTTP_ROOT"
	chmod 755 "$BENCH_TMP" "$HTTP_ROOT"
}

# http_script_setup: chainbootd with an inventory of one machine whose profile renders
# ~600 B, and the same bytes as $HTTP_ROOT/boot.ipxe for the anchors (sets HTTP_SCRIPT_SIZE).
http_script_setup() {
	INV=$BENCH_TMP/inventory.ini
	cat >"$INV" <<EOF
[profile install]
description = Debian installer
script = #!ipxe
    # {{machine}}: Debian installer, rendered per machine by chainbootd
    echo Booting {{machine}} ({{mac}}) from {{server}}
    set base {{server}}/debian/bookworm/amd64
    set console console=ttyS0,115200n8 console=tty0
    set preseed url={{server}}/preseed/{{machine}}.cfg
    kernel \${base}/linux initrd=initrd.gz auto=true priority=critical \${preseed} hostname={{hostname}} domain=lab.example interface=auto netcfg/dhcp_timeout=60 \${console} ---
    initrd \${base}/initrd.gz
    imgstat
    echo Kernel and initrd loaded for {{machine}}; handing over
    boot || goto failed
    :failed
    echo Boot of {{machine}} failed: \${errno}; dropping to the shell in 10 s
    sleep 10
    shell
[machine rack1-node07]
mac = $HTTP_MAC
profile = install
EOF
	chmod 644 "$INV"
	http_start_chainbootd "$INV"
	# The same bytes, as a static file for the anchors (and byte count for the log).
	bench_in_cli python3 -c 'import sys, urllib.request; open(sys.argv[2], "wb").write(urllib.request.urlopen(sys.argv[1], timeout=5).read())' \
		"http://$BENCH_SRV_IP:$HTTP_PORT_chainbootd$HTTP_QUERY" "$HTTP_ROOT/boot.ipxe" || bench_die "cannot fetch the rendered script from chainbootd"
	chmod 644 "$HTTP_ROOT/boot.ipxe"
	HTTP_SCRIPT_SIZE=$(stat -c %s "$HTTP_ROOT/boot.ipxe")
	grep -q '^echo Booting rack1-node07' "$HTTP_ROOT/boot.ipxe" || bench_die "chainbootd did not render the machine's profile"
	bench_log "rendered script: $HTTP_SCRIPT_SIZE bytes"
}

# http_record SERVER REP [close]: the rows of one wrk run (WRK_LINE, CPU_US): req_per_s,
# MB_per_s, cpu_us_per_req, p50_ms, p99_ms, errors.
http_record() {
	local server=$1 rep=$2 req us bytes
	req=$(bench_kv requests <<<"$WRK_LINE")
	us=$(bench_kv duration_us <<<"$WRK_LINE")
	bytes=$(bench_kv bytes <<<"$WRK_LINE")
	[ "${req:-0}" -gt 0 ] || bench_die "$server answered no request"
	bench_record "$server" "$rep" req_per_s "$(awk -v r="$req" -v u="$us" 'BEGIN {printf "%.0f", r * 1e6 / u}')" req/s
	[ "$HTTP_RECORD_MB" = 1 ] &&
		bench_record "$server" "$rep" MB_per_s "$(awk -v b="$bytes" -v u="$us" 'BEGIN {printf "%.1f", b / u}')" MB/s
	bench_record "$server" "$rep" cpu_us_per_req "$(awk -v c="$CPU_US" -v r="$req" 'BEGIN {printf "%.2f", c / r}')" us
	bench_record "$server" "$rep" p50_ms "$(awk -v v="$(bench_kv p50_us <<<"$WRK_LINE")" 'BEGIN {printf "%.3f", v / 1000}')" ms
	bench_record "$server" "$rep" p99_ms "$(awk -v v="$(bench_kv p99_us <<<"$WRK_LINE")" 'BEGIN {printf "%.3f", v / 1000}')" ms
	bench_record "$server" "$rep" errors "$(http_errors "${3:-0}")" count
}
HTTP_RECORD_MB=0

# http_notes LINE…: lines for this case's part of summary.md (what each server logs, …).
http_notes() {
	printf '%s\n' "$@" >>"$BENCH_OUT/$BENCH_CASE.notes"
	printf '%s\n' \
		"servers: chainbootd (one process, one event loop), lighttpd $("$BENCH_ANCHOR/bin/lighttpd" -v 2>/dev/null | sed -n 's/^lighttpd\/\([^ ]*\).*/\1/p' | head -n1) (its default single process), nginx $("$BENCH_ANCHOR/bin/nginx" -v 2>&1 | sed -n 's/.*nginx\///p') (worker_processes 1); all drop to nobody" \
		"logging: one line per request for each — chainbootd its event=http line (stderr to a file), lighttpd mod_accesslog and nginx access_log (default formats) to files" \
		"keep-alive: no request cap (nginx keepalive_requests and lighttpd server.max-keep-alive-requests raised from their default 1000); wrk $HTTP_WRK_THREADS threads, client and servers in two network namespaces joined by a veth pair" \
		>>"$BENCH_OUT/$BENCH_CASE.notes"
}
