#!/bin/bash
# http-script: a ~600 B per-machine iPXE script rendered by chainbootd from its inventory
# (GET /boot.ipxe?mac=…) against lighttpd and nginx serving the same bytes as a static
# file; wrk, 64 keep-alive connections, 2 threads, 10 s per run (smoke: 1 s).
# chainbootd-notimeline is the same chainbootd with [server] timeline = no: what the boot
# timeline and its counters cost per request (bench/targets: within 5 %).
# Rows per server and repetition (servers interleaved): req_per_s, cpu_us_per_req (the
# server's CPU time over the run ÷ requests), p50_ms, p99_ms, errors.
BENCH_CASE=${BENCH_CASE:-http-script}
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../httplib.sh"

SECS=10
[ "$BENCH_SMOKE" = 1 ] && SECS=1
CONNS=64
SERVERS=(chainbootd chainbootd-notimeline lighttpd nginx)

http_setup
http_script_setup
http_start_notimeline
http_start_baseline "$INV"
http_start_lighttpd
http_start_nginx
http_notes "load: wrk, $CONNS keep-alive connections, ${SECS} s per run; chainbootd renders the script per request (inventory lookup by MAC + template), the anchors send the same $HTTP_SCRIPT_SIZE bytes from a static file" \
	"chainbootd-notimeline: chainbootd with [server] timeline = no (and status_listen = off): no boot timeline, no counters; chainbootd itself keeps both (the default)"

# warm-up (page cache, first connections), not recorded
[ "$BENCH_SMOKE" = 1 ] || for s in "${SERVERS[@]}"; do http_load "$s" 0 1 "$CONNS" "$HTTP_QUERY"; done
for rep in $(seq "$BENCH_REPS"); do
	for s in "${SERVERS[@]}"; do
		http_load "$s" "$rep" "$SECS" "$CONNS" "$HTTP_QUERY"
		http_record "$s" "$rep"
	done
done
