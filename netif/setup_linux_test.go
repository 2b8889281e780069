package netif_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocarp/gocarp/internal/syncbuf"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/netns"
	"github.com/gocarp/gocarp/netif"
)

// waitFor is the generous deadline for the kernel and the manager to act;
// the tests poll, they do not measure.
const (
	waitFor = 10 * time.Second
	tick    = 10 * time.Millisecond
)

// newHost builds a one-host LAN and opens its namespace for netif.
func newHost(t *testing.T, name string) (*netns.Host, *netif.Namespace) {
	t.Helper()
	netns.Available(t)
	lan := netns.NewLAN(t, name, 1)
	h := lan.Hosts[0]
	ns, err := netif.OpenNamespace(h.Namespace)
	require.NoError(t, err)
	// Registered after NewLAN's cleanup, so it runs before the namespaces go.
	t.Cleanup(func() { require.NoError(t, ns.Close()) })
	return h, ns
}

// startManager runs m until the test ends or stop is called; stop returns
// Run's result.
func startManager(t *testing.T, m *netif.VIPManager) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- m.Run(ctx) }()
	var (
		once sync.Once
		err  error
	)
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-errc
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// logBuffer is a concurrency-safe log sink.
type logBuffer = syncbuf.Buffer

func bufLogger(b *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// ipAddrLine returns the line of "ip -o addr show dev eth0" that carries
// prefix (as "192.0.2.100/32"), or "".
func ipAddrLine(t *testing.T, h *netns.Host, prefix string) string {
	t.Helper()
	out := h.Exec(t, "ip", "-o", "addr", "show", "dev", h.Interface)
	for line := range strings.SplitSeq(out, "\n") {
		if strings.Contains(line, " "+prefix+" ") {
			return line
		}
	}
	return ""
}

// addLink adds a veth pair name/name+"p" inside h's namespace, both ends up,
// so name is up and running. (Kernels without the dummy driver have veth.)
func addLink(t *testing.T, h *netns.Host, name string) {
	t.Helper()
	h.Exec(t, "ip", "link", "add", name, "type", "veth", "peer", "name", name+"p")
	h.Exec(t, "ip", "link", "set", name+"p", "up")
	h.Exec(t, "ip", "link", "set", name, "up")
}
