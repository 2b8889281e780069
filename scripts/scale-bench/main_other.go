//go:build !linux

// Command scale-bench needs Linux network namespaces.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "scale-bench: needs Linux network namespaces")
	os.Exit(1)
}
