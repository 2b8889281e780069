//go:build !linux

// Command failover-bench needs Linux network namespaces.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "failover-bench: needs Linux network namespaces")
	os.Exit(1)
}
