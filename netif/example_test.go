package netif_test

import (
	"context"
	"log/slog"
	"net/netip"
	"os"

	"github.com/gocarp/gocarp/netif"
)

// A CARP group's state changes drive the manager; a link watcher feeds the
// election. Not run: it needs root and changes eth0.
func ExampleVIPManager() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	m, err := netif.NewVIPManager(netif.VIPConfig{
		Interface: "eth0",
		VIPs:      []netip.Addr{netip.MustParseAddr("192.0.2.100"), netip.MustParseAddr("2001:db8::100")},
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		panic(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	go func() {
		_ = netif.WatchLink(ctx, "eth0", nil, func(up bool) {
			// hand EventLinkUp or EventLinkDown to the election
		})
	}()

	m.SetMaster(false) // BACKUP at start, as ucarp runs its down script
	m.SetMaster(true)  // on the transition to MASTER: returns at once

	cancel() // shutdown: Run removes the VIPs before it returns
	<-done   // nil
}
