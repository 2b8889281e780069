package integration

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPasswordNotInEnviron: a carpd given its password in $CARPD_PASSWORD
// runs without it in /proc/PID/environ (the block ps e and any process of
// the same user read), and its scripts inherit neither the password nor
// carpd's -B marker; the group still elects with the password.
func TestPasswordNotInEnviron(t *testing.T) {
	t.Parallel()
	lan := newLAN(t, "env", 1)
	a := lan.Hosts[0]
	dir := t.TempDir()
	envOut := filepath.Join(dir, "env")
	up := filepath.Join(dir, "up.sh")
	require.NoError(t, os.WriteFile(up, []byte(fmt.Sprintf("#!/bin/sh\nenv > %s\nip addr add \"$2\"/24 dev \"$1\"\n", envOut)), 0o755))
	pidFile := filepath.Join(dir, "carpd.pid")
	const secret = "envsecret42"
	cmd := a.Command(context.Background(), carpdBin, "-B", "-f", "none", "--pidfile", pidFile, "-i", "eth0",
		"-s", a.Addr.Addr().String(), "-v", "9", "-a", "198.51.100.109", "-u", up)
	cmd.Env = append(os.Environ(), "CARPD_PASSWORD="+secret)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "carpd -B: %s", out)
	b, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	proc, err := os.FindProcess(pid)
	require.NoError(t, err)
	t.Cleanup(func() { _ = proc.Kill() })

	waitFor(t, "the daemon takes the VIP", func() bool { return a.HasAddr(netip.MustParseAddr("198.51.100.109")) })
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	require.NoError(t, err)
	require.NotContains(t, string(environ), secret, "the password is in /proc/%d/environ", pid)
	require.NotContains(t, string(environ), "CARPD_PASSWORD=")
	waitFor(t, "the up script ran", func() bool { _, err := os.Stat(envOut); return err == nil })
	scriptEnv, err := os.ReadFile(envOut)
	require.NoError(t, err)
	require.NotContains(t, string(scriptEnv), secret)
	require.NotContains(t, string(scriptEnv), "CARPD_DAEMONIZED")
	require.NotContains(t, string(scriptEnv), "CARPD_PASSWORD")
}
