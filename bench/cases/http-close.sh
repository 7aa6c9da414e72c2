#!/bin/bash
# http-close: the per-machine script of http-script with a new TCP connection per request
# (wrk -H 'Connection: close'): chainbootd rendering it against nginx and lighttpd serving
# it as a static file; 64 connections at a time, 2 threads, 10 s per run (smoke: 1 s).
# Rows: req_per_s, cpu_us_per_req, p50_ms, p99_ms, errors (wrk's read error at each
# server close is the expected end of a response and is not counted).
BENCH_CASE=${BENCH_CASE:-http-close}
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../httplib.sh"

SECS=10
[ "$BENCH_SMOKE" = 1 ] && SECS=1
CONNS=64
SERVERS=(chainbootd nginx lighttpd)

http_setup
http_script_setup
http_start_lighttpd
http_start_nginx
http_notes "load: wrk -H 'Connection: close' (connect, one request, server closes), $CONNS at a time, ${SECS} s per run; client port range 1024-65535 with tcp_tw_reuse in the client namespace"

[ "$BENCH_SMOKE" = 1 ] || for s in "${SERVERS[@]}"; do http_load "$s" 0 1 "$CONNS" "$HTTP_QUERY" -H 'Connection: close'; done
for rep in $(seq "$BENCH_REPS"); do
	for s in "${SERVERS[@]}"; do
		http_load "$s" "$rep" "$SECS" "$CONNS" "$HTTP_QUERY" -H 'Connection: close'
		http_record "$s" "$rep" close
	done
done
