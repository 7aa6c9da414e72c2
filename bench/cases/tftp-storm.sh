#!/bin/bash
# tftp-storm: machines powered on together — 32, then 256 TFTP clients start at once
# (every socket open before the first RRQ, every RRQ out before any answer is read),
# each as firmware asks (blksize 1468 + tsize, lock-step, its last ACK or the RRQ again
# after 500 ms), 1 MiB each, every block compared with the served file; all from one
# address (VMs behind a NAT, a test rig: the case that found chainbootd's per-address
# cap dropping RRQs while slots sat free, issue 17 item 6). Every server is given
# tftp_max 512, so that 256 from one address fit chainbootd's share (it keeps a quarter
# of the table for other addresses). Rows per N: stormN_retransmits (client resends,
# RRQ and ACK), stormN_slowest_ms, stormN_median_ms, stormN_slowest_per_median,
# stormN_mb_per_s, stormN_failed. The engine is tftp-many.sh.
TFTP_CASE=tftp-storm
TFTP_SERVERS=${TFTP_SERVERS:-chainbootd dnsmasq tftpd-hpa atftpd}
TFTP_STORM=${TFTP_STORM:-32 256}
TFTP_SIZE_MIB=${TFTP_SIZE_MIB:-1}
TFTP_SRC_COUNT=${TFTP_SRC_COUNT:-1}
TFTP_MAX=${TFTP_MAX:-512}
TFTP_CLIENTS=1
. "$(dirname "$0")/tftp-many.sh"
