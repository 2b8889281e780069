//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// carpd -B whose daemon fails to start reports the failure, with the
// daemon's error and status, instead of exiting 0 with the error lost.
func TestDaemonizeReportsStartFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("builds carpd")
	}
	bin := filepath.Join(t.TempDir(), "carpd")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	// An interface that does not exist: the daemon fails at its start,
	// whether or not we may open raw sockets.
	began := time.Now()
	cmd := exec.Command(bin, "-B", "-f", "none", "-i", "nosuchif0", "-s", "198.51.100.1", "-v", "1", "-p", "x", "-a", "198.51.100.100")
	out, err = cmd.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "carpd -B exited 0: %s", out)
	require.Equal(t, 1, ee.ExitCode(), "the daemon's own status: a config error: %s", out)
	require.Contains(t, string(out), "nosuchif0", "the daemon's error reaches the terminal")
	require.Less(t, time.Since(began), 20*time.Second)
	require.False(t, strings.Contains(string(out), "no word from the daemon"), "%s", out)
}
