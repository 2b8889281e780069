package integration

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSystemdNotify runs carpd -c as systemd runs a unit of Type=notify,
// with $NOTIFY_SOCKET: carpd sends READY=1 there once its group runs, and
// the scripts it starts do not inherit the variable.
func TestSystemdNotify(t *testing.T) {
	t.Parallel()
	lan := newLAN(t, "notify", 1)
	h := lan.Hosts[0]
	dir := t.TempDir()
	// A path socket: unlike an abstract one, it is reachable from the
	// host's network namespace.
	sock := filepath.Join(dir, "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })

	envFile := filepath.Join(dir, "up.env")
	up := filepath.Join(dir, "up")
	require.NoError(t, os.WriteFile(up, fmt.Appendf(nil, "#!/bin/sh\nenv > '%s'\n", envFile), 0o755))
	cfg := writeConfig(t, dir, []configGroup{{vhid: 42, vips: []string{vip.String() + "/24"}, extra: fmt.Sprintf("up_script = %q\n", up)}})
	p := startProc(t, h, "A", "/usr/bin/env", "NOTIFY_SOCKET="+sock, carpdBin, "-f", "none", "--control", controlPath(t), "-c", cfg)

	require.NoError(t, c.SetReadDeadline(time.Now().Add(convergeTimeout)))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	require.NoError(t, err, "no notification from carpd")
	require.Equal(t, "READY=1", string(buf[:n]))
	// The group runs (its log reaches the test later than the datagram).
	p.waitOutput(t, regexp.MustCompile(`msg="state change" group=eth0-42 .*to=BACKUP`))

	waitFor(t, "the up script ran", func() bool {
		b, err := os.ReadFile(envFile)
		return err == nil && len(b) > 0
	})
	env, err := os.ReadFile(envFile)
	require.NoError(t, err)
	require.NotContains(t, string(env), "NOTIFY_SOCKET=", "a script inherited $NOTIFY_SOCKET")
	require.True(t, strings.Contains(string(env), "PATH="), "the env file is not the script's environment")

	// Nothing more: no second READY=1.
	require.NoError(t, c.SetReadDeadline(time.Now().Add(500*time.Millisecond)))
	_, err = c.Read(buf)
	require.Error(t, err, "a second notification")
}
