//go:build !linux

package scalebench

import (
	"context"
	"errors"
	"io"
)

// Command is how the header says the run was started.
var Command string

// Figure is the median of one implementation's rounds.
type Figure struct {
	Impl, Label   string
	Procs         int
	CPU, RSS, PSS float64
	Stable        bool
}

// Run needs Linux network namespaces.
func Run(context.Context, []string, io.Writer, io.Writer) ([]Figure, error) {
	return nil, errors.New("scale-bench: needs Linux network namespaces")
}
