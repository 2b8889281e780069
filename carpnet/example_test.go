package carpnet_test

import (
	"context"
	"log"
	"net/netip"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/carpnet"
	"github.com/gocarp/gocarp/netif"
)

// A service embeds a failover group on eth0: the VIP is on the interface
// while this host is MASTER, and serve runs meanwhile. (Needs Linux and
// CAP_NET_RAW, CAP_NET_ADMIN; not run by go test.)
func Example() {
	ctx := context.Background()
	ifc, err := carpnet.Open(carpnet.Config{Interface: "eth0"})
	if err != nil {
		log.Fatal(err)
	}
	defer ifc.Close()
	serve := func(ctx context.Context) { <-ctx.Done() }
	g, err := ifc.NewGroup(carp.Config{
		VHID:        42,
		VIPs:        []netip.Addr{netip.MustParseAddr("198.51.100.100")},
		Password:    []byte("secret"),
		AdvSkew:     100,
		WhileMaster: func(ctx context.Context, _ carp.Transition) { serve(ctx) },
	}, carpnet.VIPPrefixes(netip.MustParsePrefix("198.51.100.100/24")))
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = ifc.Run(ctx) }()
	if err := g.Run(ctx); err != nil {
		log.Fatal(err)
	}
}

// Two groups in one process share the interface: one socket, each packet
// parsed once and handed to its group.
func ExampleInterface_NewGroup() {
	ifc, err := carpnet.Open(carpnet.Config{Interface: "eth0"})
	if err != nil {
		log.Fatal(err)
	}
	defer ifc.Close()
	for _, vhid := range []uint8{1, 2} {
		g, err := ifc.NewGroup(carp.Config{
			VHID:     vhid,
			VIPs:     []netip.Addr{netip.AddrFrom4([4]byte{198, 51, 100, 100 + vhid})},
			Password: []byte("secret"),
		}, carpnet.ManageVIPs)
		if err != nil {
			log.Fatal(err)
		}
		_ = g.Start()
		defer g.Close()
	}
	_ = ifc.Run(context.Background())
}

// Interface tracking and a sync set, as carpd's track_interfaces and sync
// keys do them, with the library's pieces: the uplink's carrier demotes
// both groups by 240 while it is down (each through a source of its own,
// so that a health check's demotion is not overwritten), and the two
// groups, a router's outside and inside, move as one.
func ExampleInterface_NewGroup_trackInterface() {
	ctx := context.Background()
	ifc, err := carpnet.Open(carpnet.Config{Interface: "eth0"})
	if err != nil {
		log.Fatal(err)
	}
	defer ifc.Close()
	var set []*carp.Group
	for _, vhid := range []uint8{1, 2} {
		g, err := ifc.NewGroup(carp.Config{
			VHID:     vhid,
			VIPs:     []netip.Addr{netip.AddrFrom4([4]byte{198, 51, 100, 100 + vhid})},
			Password: []byte("secret"),
			Preempt:  true, // a demoted master's better backup takes over
		}, carpnet.ManageVIPs)
		if err != nil {
			log.Fatal(err)
		}
		set = append(set, g)
	}
	go func() {
		err := netif.WatchLink(ctx, "eth1", nil, func(up bool) {
			n, reason := uint8(240), "eth1 carrier lost"
			if up {
				n, reason = 0, "eth1 carrier back"
			}
			for _, g := range set {
				_, _ = g.Demote("track eth1", n, reason)
			}
		})
		if err != nil {
			log.Print(err)
		}
	}()
	for _, g := range set {
		_ = g.Start()
		defer g.Close()
	}
	_ = ifc.Run(ctx)
}
