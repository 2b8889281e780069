package netif_test

import (
	"context"
	"log/slog"
	"net/netip"
	"os"

	"github.com/gocarp/gocarp/netif"
)

// Two groups share eth0's manager; each group's state changes drive its own
// set. Not run: it needs root and changes eth0.
func ExampleVIPManager() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	m, err := netif.NewVIPManager(netif.VIPConfig{
		Interface: "eth0",
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		panic(err)
	}
	web, err := m.Add([]netip.Prefix{netip.MustParsePrefix("192.0.2.100/24"), netip.MustParsePrefix("2001:db8::100/64")})
	if err != nil {
		panic(err)
	}
	dns, err := m.Add([]netip.Prefix{netif.HostPrefix(netip.MustParseAddr("192.0.2.53"))})
	if err != nil {
		panic(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()

	web.SetMaster(false) // BACKUP at start, as ucarp runs its down script
	dns.SetMaster(false)
	web.SetMaster(true) // on web's transition to MASTER: returns at once
	dns.Remove()        // dns deleted from the configuration

	cancel() // shutdown: Run removes the VIPs before it returns
	<-done   // nil
}

// The addresses of eth0 as they change; an IPv6 address added by a script
// is reported again when duplicate address detection is over.
func ExampleWatchAddrs() {
	err := netif.WatchAddrs(context.Background(), "eth0", nil, func(addrs []netif.Addr) {
		for _, a := range addrs {
			if a.Usable {
				_ = a.Prefix // announce it, accept packets from it as our own...
			}
		}
	})
	if err != nil {
		panic(err)
	}
}
