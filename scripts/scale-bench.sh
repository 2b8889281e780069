#!/usr/bin/env bash
# scale-bench.sh: what N CARP/VRRP groups cost (CPU, RSS, PSS) with carpd
# (one process, carpd -c), ucarp (one process per group) and keepalived (one
# process, N vrrp_instance), on two hosts of a LAN of network namespaces.
# The work is done by the Go program in scripts/scale-bench (see its doc
# comment); this wrapper runs it from the module root.
#
#   sudo scripts/scale-bench.sh [-n 255] [-advbase 1] [-window 60s] [-rounds 1] [-carpd PATH] [-profile FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
	echo "scale-bench: needs root for network namespaces: sudo $0 $*" >&2
	exit 1
fi
if ! command -v go >/dev/null; then
	echo "scale-bench: go not in PATH (sudo resets it: sudo env PATH=\"\$PATH\" $0)" >&2
	exit 1
fi
export SCALE_BENCH_CMD="scripts/scale-bench.sh"
exec go run ./scripts/scale-bench "$@"
