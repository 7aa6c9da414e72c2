#!/bin/bash
# tftp-window: one client with RFC 7440 windowsize 16 (blksize 1468) pulling 32 MiB four
# times in a row, from chainbootd and atftpd (the anchor that implements windowsize):
# MB/s, server CPU per MB. The engine is tftp-many.sh.
TFTP_CASE=tftp-window
TFTP_SERVERS=${TFTP_SERVERS:-chainbootd atftpd}
TFTP_CLIENTS=1
TFTP_REPEAT=4
TFTP_WINDOW=16
. "$(dirname "$0")/tftp-many.sh"
