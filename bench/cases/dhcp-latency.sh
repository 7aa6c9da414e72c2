#!/bin/bash
# dhcp-latency: proxyDHCP latency with one BIOS PXE DISCOVER in flight, p50/p99,
# chainbootd against dnsmasq in proxy mode — the dhcp-offers case in latency mode.
DHCP_BENCH_MODE=latency exec bash "$(dirname "$0")/dhcp-offers.sh" "$@"
