#!/bin/bash
# http-file4: http-file with 4 keep-alive connections at once (several machines pulling
# their kernels): the connections share the sender, so this is where its fairness and
# pacing between writes show. Rows as http-file's.
export BENCH_CASE=${BENCH_CASE:-http-file4} HTTP_FILE_CONNS=4
exec bash "$(dirname "$0")/http-file.sh"
