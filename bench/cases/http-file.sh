#!/bin/bash
# http-file: a 64 MiB file (smoke: 1 MiB) from the boot root over keep-alive connections,
# chainbootd against lighttpd and nginx (all with sendfile), 10 s per run (smoke: 1 s).
# http-file: one connection (one machine pulling its kernel), 1 wrk thread;
# http-file4 (cases/http-file4.sh): 4 connections at once, 2 wrk threads.
# Rows: MB_per_s (body bytes ÷ time, MB = 10^6 B), req_per_s, cpu_us_per_req, p50_ms,
# p99_ms, errors.
BENCH_CASE=${BENCH_CASE:-http-file}
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../httplib.sh"

SECS=10 MIB=64
[ "$BENCH_SMOKE" = 1 ] && SECS=1 MIB=1
CONNS=${HTTP_FILE_CONNS:-1}
case $CONNS in '' | *[!0-9]* | 0) bench_die "HTTP_FILE_CONNS must be a positive number, not '$CONNS'" ;; esac
# wrk needs a connection per thread
[ "$CONNS" -lt "$HTTP_WRK_THREADS" ] && HTTP_WRK_THREADS=$CONNS
SERVERS=(chainbootd lighttpd nginx)
HTTP_RECORD_MB=1

http_setup
# incompressible bytes, so no layer can shortcut them
head -c $((MIB * 1024 * 1024)) /dev/urandom >"$HTTP_ROOT/big.bin"
chmod 644 "$HTTP_ROOT/big.bin"
printf '[machine none]\nmac = 02:00:00:00:00:01\nboot = local\n' >"$BENCH_TMP/inventory.ini"
chmod 644 "$BENCH_TMP/inventory.ini"
http_start_chainbootd "$BENCH_TMP/inventory.ini"
http_start_baseline "$BENCH_TMP/inventory.ini"
http_start_lighttpd
http_start_nginx
http_notes "load: wrk, $CONNS keep-alive connection(s) each fetching /big.bin ($MIB MiB, random bytes, in the page cache) again and again, ${SECS} s per run"

[ "$BENCH_SMOKE" = 1 ] || for s in "${SERVERS[@]}"; do http_load "$s" 0 1 "$CONNS" /big.bin; done
for rep in $(seq "$BENCH_REPS"); do
	for s in "${SERVERS[@]}"; do
		http_load "$s" "$rep" "$SECS" "$CONNS" /big.bin
		http_record "$s" "$rep"
	done
done
