#!/usr/bin/env bash
# failover-bench.sh: carpd's and ucarp's failover times on a LAN of network
# namespaces, same flags for both (advbase 1, master -k 0, backup -k 100).
# The work is done by the Go program in scripts/failover-bench (see its doc
# comment); this wrapper runs it from the module root.
#
#   sudo scripts/failover-bench.sh [-rounds 5] [-carpd PATH] [-ucarp /usr/sbin/ucarp]
#   sudo scripts/failover-bench.sh -mode handover [-rounds 5]   # a client's outage, ping every 1 ms
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
	echo "failover-bench: needs root for network namespaces: sudo $0 $*" >&2
	exit 1
fi
if ! command -v go >/dev/null; then
	echo "failover-bench: go not in PATH (sudo resets it: sudo env PATH=\"\$PATH\" $0)" >&2
	exit 1
fi
exec go run ./scripts/failover-bench "$@"
