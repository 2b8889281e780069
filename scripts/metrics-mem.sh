#!/bin/bash
# metrics-mem.sh: what serving /metrics costs carpd in memory. As root:
#
#   sudo scripts/metrics-mem.sh [N] [SETTLE] [CARPD...]
#
# For each carpd binary (default: one built from this tree as a release
# is, CGO_ENABLED=0), runs carpd -c with N groups (default 50) on a veth
# pair in a network namespace of its own, once without and once with
# --http (scraped every second, so that the figure includes the
# collector's work), and prints VmRSS (/proc/PID/status), then Pss,
# Pss_Anon and Pss_File (smaps_rollup) after SETTLE seconds (default 10).
# Anon is the heap and stacks; File is the binary's pages, clean and
# shared with the page cache. Everything it creates is removed on exit.
set -euo pipefail
n=${1:-50}
settle=${2:-10}
shift 2 2>/dev/null || shift $#
tmp=$(mktemp -d)
ns=carpmem-$$
cleanup() {
	for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
bins=("$@")
if [ ${#bins[@]} -eq 0 ]; then
	(cd "$(dirname "$0")/.." && CGO_ENABLED=0 go build -o "$tmp/carpd" ./cmd/carpd)
	bins=("$tmp/carpd")
fi
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add eth0 type veth peer name eth1
ip -n "$ns" link set eth0 up
ip -n "$ns" link set eth1 up
ip -n "$ns" addr add 198.51.100.1/24 dev eth0
{
	printf '[defaults]\npassword = "secret"\nadvbase = 1\nmanage_vips = true\n'
	for v in $(seq 1 "$n"); do
		printf '\n[[group]]\ninterface = "eth0"\nvhid = %d\nvips = ["203.0.113.%d/24"]\n' "$v" "$v"
	done
} >"$tmp/carpd.toml"
printf '%-24s %-5s %6s %10s %10s %10s %10s\n' BINARY HTTP GROUPS VmRSS_KiB Pss_KiB Anon_KiB File_KiB
for bin in "${bins[@]}"; do
	for http in no yes; do
		args=(-f none --control "$tmp/carpd.sock" -c "$tmp/carpd.toml")
		[ "$http" = yes ] && args+=(--http 127.0.0.1:9108)
		ip netns exec "$ns" "$bin" "${args[@]}" 2>"$tmp/log" &
		pid=$!
		for _ in $(seq "$settle"); do
			sleep 1
			if [ "$http" = yes ]; then
				ip netns exec "$ns" bash -c 'exec 3<>/dev/tcp/127.0.0.1/9108 && printf "GET /metrics HTTP/1.0\r\n\r\n" >&3 && cat <&3 >/dev/null' 2>/dev/null || true
			fi
		done
		rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
		read -r pss anon file < <(awk '/^Pss:/ {p=$2} /^Pss_Anon:/ {a=$2} /^Pss_File:/ {f=$2} END {print p, a, f}' "/proc/$pid/smaps_rollup")
		printf '%-24s %-5s %6d %10d %10d %10d %10d\n' "$(basename "$bin")" "$http" "$n" "$rss" "$pss" "$anon" "$file"
		kill -TERM "$pid"
		wait "$pid" || true
	done
done
