// Command bench measures carpd side by side with ucarp 1.5.2 and
// keepalived on a LAN of network namespaces, every figure of
// BENCHMARKS.md in one run, and prints them with the machine and the date.
// Run it as root from the module root:
//
//	sudo go run ./scripts/bench [-rounds 10] [-hold 10m] [-only failover,handover,subsecond,hold,health,scale,codec]
//
// The LAN: a bridge, a master m (198.51.100.1), a backup b (198.51.100.2)
// and a client c (198.51.100.50) that pings the VIP 198.51.100.100 every
// millisecond and reads every advert and echo reply with its kernel
// receive timestamp. carpd and ucarp get the same ucarp command line
// (scripts that add and remove the VIP, -z); keepalived the same roles as
// priorities (200 for the master, 156 for the backup: its skew time is
// then CARP's advskew 100). Rounds are interleaved (carpd, ucarp,
// keepalived, carpd...), and each trigger comes at a random point of the
// master's advert interval. The figures:
//
//   - failover (a): the master host dies (cable pulled, every process
//     SIGKILLed): the silence on the wire and the client's outage, against
//     the backup's master-down interval;
//   - handover (b): SIGTERM (carpd and ucarp with -z; keepalived sends
//     priority 0), and carpd handover: the client's outage;
//   - subsecond (c): (a) in sub-second mode (advbase 0, advskew 26/52 and
//     3/6; keepalived vrrp_version 3 at the nearest centisecond);
//   - hold (c): the same pairs, all at once, for -hold beside a CPU hog:
//     spurious takeovers;
//   - health (f): a check fails (interval 200 ms, fall 3): the flag file
//     created → the backup's first echo reply (carpd [[check]], keepalived
//     vrrp_script; ucarp has none);
//   - scale (d): scripts/scale-bench's CPU and memory with 255 groups;
//   - codec (e): go test -bench of the hmac and wire packages.
//
// The output ends with a summary: the header, a headline table and every
// figure's table, in Markdown. Everything (namespaces, processes, the
// temporary directory) is removed at the end, on Ctrl-C and on failure;
// logs are kept only on failure or with -keep-logs.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

// hogArg runs the program as the CPU hog of the hold (hog.go).
const hogArg = "-internal-cpu-hog"

func main() {
	if len(os.Args) == 3 && os.Args[1] == hogArg {
		n, _ := strconv.Atoi(os.Args[2])
		spin(n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}
