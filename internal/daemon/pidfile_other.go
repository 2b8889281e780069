//go:build !unix

package daemon

import (
	"fmt"
	"os"
	"strconv"
)

// WritePIDFile writes the process id to path.
func WritePIDFile(path string) (remove func(), err error) {
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("pidfile: %w", err)
	}
	return func() { _ = os.Remove(path) }, nil
}
