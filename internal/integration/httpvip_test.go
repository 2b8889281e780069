package integration

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/netns"
)

// TestHTTPVIP runs examples/httpvip on two hosts: the service answers on
// the VIP from the MASTER only, and moves with it when that host dies.
func TestHTTPVIP(t *testing.T) {
	t.Parallel()
	lan := newLAN(t, "http", 3)
	a, b, client := lan.Hosts[0], lan.Hosts[1], lan.Hosts[2]
	bin := filepath.Join(t.TempDir(), "httpvip")
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(t, err)
	build := exec.Command("go", "build", "-o", bin, "./examples/httpvip")
	build.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	start := func(h *netns.Host, name, skew string) *proc {
		cmd := []string{"env", "CARP_PASSWORD=secret", bin, "-i", "eth0", "-vhid", "42", "-vip", vip.String() + "/24", "-skew", skew, "-name", name}
		return startProc(t, h, name, cmd[0], cmd[1:]...)
	}
	pa := start(a, "A", "0")
	start(b, "B", "100")

	// get asks the VIP from the client's namespace. The socket is made on
	// this locked thread, so it belongs to the client's namespace (an
	// http.Client would dial from a goroutine of its own).
	get := func() string {
		var body string
		client.Run(t, func() {
			conn, err := net.DialTimeout("tcp", net.JoinHostPort(vip.String(), "8080"), 500*time.Millisecond)
			if err != nil {
				return
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(time.Second))
			if _, err := io.WriteString(conn, "GET / HTTP/1.0\r\n\r\n"); err != nil {
				return
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			body = strings.TrimSpace(string(b))
		})
		return body
	}
	waitFor(t, "A serves the VIP", func() bool { return get() == "A is MASTER" })
	require.False(t, b.HasAddr(vip))

	pa.signal(t, syscall.SIGKILL)
	pa.waitExit(t)
	require.NoError(t, a.SetPortUp(false))
	waitFor(t, "B serves the VIP", func() bool { return get() == "B is MASTER" })
}
