#!/bin/bash
# tftp-bigblock: 32 clients × 32 MiB with blksize 8192 (RFC 2348; jumbo frames, MTU 9000
# on the namespace link, so blocks are not fragmented), from chainbootd and atftpd: MB/s,
# server CPU per MB. The engine is tftp-many.sh.
TFTP_CASE=tftp-bigblock
TFTP_SERVERS=${TFTP_SERVERS:-chainbootd atftpd}
TFTP_BLKSIZE=8192
TFTP_MTU=9000
. "$(dirname "$0")/tftp-many.sh"
