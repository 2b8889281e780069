package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/gocarp/gocarp/internal/inspect"
)

// inspectMain is carpd inspect: decode and verify CARP in a capture or live.
func inspectMain(args []string, stdout, stderr io.Writer) int {
	opts, source, iface, err := inspect.ParseArgs(args, os.Getenv)
	switch {
	case errors.Is(err, inspect.ErrHelp):
		fmt.Fprint(stdout, inspect.Usage)
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "carpd inspect: %v\n%s", err, inspect.Usage)
		return 1
	}
	opts.Stderr = stderr
	if iface != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := inspect.Live(ctx, iface, opts, stdout); err != nil && ctx.Err() == nil {
			fmt.Fprintf(stderr, "carpd inspect: %v\n", err)
			return 2
		}
		return 0
	}
	in := os.Stdin
	if source != "-" {
		f, err := os.Open(source)
		if err != nil {
			fmt.Fprintf(stderr, "carpd inspect: %v\n", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	sum, err := inspect.ReadPcap(in, opts, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "carpd inspect: %s: %v\n", source, err)
		return 2
	}
	fmt.Fprintf(stderr, "%d packets, %d CARP: %d checksum errors, %d digests ok, %d bad, %d malformed\n",
		sum.Packets, sum.CARP, sum.ChecksumBad, sum.AuthOK, sum.AuthBad, sum.Malformed)
	return 0
}
