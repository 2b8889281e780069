// Command scale-bench measures what N CARP/VRRP groups cost with carpd,
// ucarp and keepalived on a LAN of network namespaces, and prints a
// Markdown table; the work is in scripts/internal/scalebench (see its doc
// comment and scripts/README.md). Run it as root from the module root:
//
//	sudo go run ./scripts/scale-bench [-n 255] [-advbase 1] [-window 60s] [-rounds 1]
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/gocarp/gocarp/scripts/internal/scalebench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if _, err := scalebench.Run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "scale-bench: %v\n", err)
		os.Exit(1)
	}
}
