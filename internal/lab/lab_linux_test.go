//go:build linux

package lab_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gocarp/gocarp/internal/syncbuf"

	"github.com/gocarp/gocarp/internal/lab"
	"github.com/stretchr/testify/require"
)

// needLab skips the test unless the lab can run: root and ip(8).
func needLab(t *testing.T) {
	t.Helper()
	if err := lab.Check(); err != nil {
		t.Skipf("namespace test skipped: %v (as root: sudo go test ./internal/lab)", err)
	}
}

// carpdDir holds the carpd the tests build (the test binary is not carpd).
var (
	carpdDir   string
	buildCarpd = sync.OnceValues(func() (string, error) {
		bin := filepath.Join(carpdDir, "carpd")
		out, err := exec.Command("go", "build", "-o", bin, "github.com/gocarp/gocarp/cmd/carpd").CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("go build carpd: %w: %s", err, out)
		}
		return bin, nil
	})
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "carplab-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	carpdDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func carpd(t *testing.T) string {
	t.Helper()
	bin, err := buildCarpd()
	require.NoError(t, err)
	return bin
}

// syncBuffer is safe for the lab's writer and the test.
type syncBuffer = syncbuf.Buffer

func requireNoLabNamespaces(t *testing.T) {
	t.Helper()
	left, err := lab.Namespaces(context.Background(), lab.Prefix)
	require.NoError(t, err)
	require.Empty(t, left, "namespaces left behind")
}

func TestRunWholeLab(t *testing.T) {
	needLab(t)
	bin := carpd(t)
	tests := []struct {
		name string
		opts lab.Options
		want []string
	}{
		{
			name: "timeline",
			opts: lab.Options{Executable: bin},
			want: []string{
				"A is MASTER", "A won the election",
				"A dies: SIGKILL", "B is MASTER (master down)", "B took over",
				"A preempted B", "SIGTERM to A", "MASTER (peer bow out)", "bow-out advert",
				"02:00:00:00:00:0b (B", "Cleaned up", "Node logs:",
			},
		},
		{
			name: "verbose",
			opts: lab.Options{Executable: bin, Verbose: true},
			want: []string{"[A] ", "[B] ", "switching to state: MASTER", "B took over", "A preempted B", "Cleaned up"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out syncBuffer
			err := lab.Run(context.Background(), tt.opts, &out)
			t.Log("\n" + out.String())
			require.NoError(t, err)
			for _, w := range tt.want {
				require.Contains(t, out.String(), w)
			}
			requireNoLabNamespaces(t)
		})
	}
}

func TestRunCleansUpWhenInterrupted(t *testing.T) {
	needLab(t)
	bin := carpd(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- lab.Run(ctx, lab.Options{Executable: bin, Keep: true}, &out) }()
	// Interrupt in the middle of the scenario, once the first master is up.
	require.Eventually(t, func() bool { return bytes.Contains([]byte(out.String()), []byte("A won the election")) },
		20*time.Second, 10*time.Millisecond)
	cancel()
	err := <-done
	t.Log("\n" + out.String())
	require.ErrorIs(t, err, lab.ErrInterrupted)
	require.Contains(t, out.String(), "Cleaned up")
	requireNoLabNamespaces(t)
}

func TestRunRemovesLeftovers(t *testing.T) {
	needLab(t)
	// A crashed run's namespaces, one with a process still inside.
	ctx := context.Background()
	lan, err := lab.NewLAN(ctx, lab.Prefix, []lab.Host{{Name: "a", Addr: netipPrefix("198.51.100.1/24"), MAC: mac(0x0a)}})
	require.NoError(t, err)
	p, err := lab.StartProcess(lan.Namespace("a"), "sleeper", []string{"sleep", "60"}, nil)
	require.NoError(t, err)
	defer p.Stop(os.Kill, 0)
	// A failing carpd stops the scenario at once; the leftovers go first.
	var out syncBuffer
	err = lab.Run(ctx, lab.Options{Executable: "/bin/false"}, &out)
	t.Log("\n" + out.String())
	require.ErrorIs(t, err, lab.ErrScenario)
	require.Contains(t, out.String(), "Removed the leftovers of an earlier run: ")
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the process in the stale namespace still runs")
	}
	requireNoLabNamespaces(t)
}

func netipPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func mac(b byte) net.HardwareAddr { return net.HardwareAddr{0x02, 0, 0, 0, 0, b} }
