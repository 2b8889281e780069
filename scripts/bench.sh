#!/usr/bin/env bash
# bench.sh: carpd side by side with ucarp and keepalived, every figure of
# BENCHMARKS.md in one run (failover, planned handover, sub-second mode and
# its hold on a loaded host, a failing health check, 255 groups, the codec),
# on LANs of network namespaces. The work is done by the Go program in
# scripts/bench (see its doc comment); this wrapper runs it from the module
# root.
#
#   sudo scripts/bench.sh                          # 10 rounds, a 10-minute hold: about 35 minutes
#   sudo scripts/bench.sh -rounds 2 -hold 30s -scale-window 10s   # a quick look
#   sudo scripts/bench.sh -only failover,handover -impl carpd,keepalived
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root for network namespaces: sudo $0 $*" >&2
	exit 1
fi
if ! command -v go >/dev/null; then
	echo "bench: go not in PATH (sudo resets it: sudo env PATH=\"\$PATH\" $0)" >&2
	exit 1
fi
export BENCH_CMD="scripts/bench.sh"
exec go run ./scripts/bench "$@"
