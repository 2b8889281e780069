package hooks_test

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"time"

	"github.com/gocarp/gocarp/internal/hooks"
)

func Example() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	r := hooks.New(logger, 10*time.Second)
	// Becoming MASTER: queue the up script, do not wait for it.
	r.Enqueue("/etc/vip-up.sh", hooks.ScriptArgs("eth0", netip.MustParseAddr("10.1.1.252"), "")...)
	// Shutting down: give queued scripts 30 s, then kill what still runs.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = r.Close(ctx)
}
