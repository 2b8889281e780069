package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/gocarp/gocarp/internal/lab"
)

// labMain is carpd lab: a three-node CARP LAN in network namespaces.
func labMain(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := lab.Main(ctx, args, stdout); err != nil {
		fmt.Fprintf(stderr, "carpd lab: %v\n", err)
		return 1
	}
	return 0
}
