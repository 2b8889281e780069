//go:build !linux

package lab

import (
	"context"
	"errors"
	"io"
)

// ErrNotLinux reports that network namespaces, and so the lab, need Linux.
var ErrNotLinux = errors.New("lab: needs Linux network namespaces")

// Check reports ErrNotLinux: the lab runs on Linux only.
func Check() error { return ErrNotLinux }

// Main is carpd lab; off Linux it prints the usage for -h and otherwise
// reports ErrNotLinux.
func Main(ctx context.Context, args []string, w io.Writer) error {
	o, err := ParseArgs(args)
	if err != nil {
		return err
	}
	if o.Help {
		_, err := io.WriteString(w, Usage)
		return err
	}
	return Run(ctx, o, w)
}

// Run reports ErrNotLinux.
func Run(ctx context.Context, o Options, w io.Writer) error { return ErrNotLinux }
