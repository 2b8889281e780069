package carp_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/transport/memnet"
)

// Two nodes share a VIP on a simulated LAN. Everything runs on the Sim's
// virtual clock, so ten seconds pass at once and every run is the same.
// The node with the lower advskew becomes MASTER when its master-down timer
// expires (3 s); on a graceful shutdown it bows out and the other takes
// over within milliseconds.
func Example_group() {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sim := memnet.NewSim(1, start)
	lan := memnet.NewNetwork(sim)

	newGroup := func(name, source string, advskew uint8) *carp.Group {
		g, err := carp.New(carp.Config{
			Interface: name,
			VHID:      42,
			VIPs:      []netip.Addr{netip.MustParseAddr("192.0.2.100")},
			Password:  []byte("secret"),
			Source:    netip.MustParseAddr(source),
			AdvBase:   1,
			AdvSkew:   advskew,
			Transport: lan.Attach(name),
			Clock:     sim,
			Rand:      sim.Rand().Uint64,
		})
		if err != nil {
			panic(err)
		}
		if err := g.Start(); err != nil {
			panic(err)
		}
		return g
	}
	a := newGroup("a", "192.0.2.1", 0)
	b := newGroup("b", "192.0.2.2", 100)
	defer b.Close()

	show := func(name string, g *carp.Group) {
		st := g.Stats()
		fmt.Printf("%s: %s since %s (%s), master %s, %d adverts sent\n",
			name, st.State, st.LastTransition.At.Sub(start), st.LastTransition.Reason, st.Master, st.AdvertsSent)
	}
	sim.RunFor(10 * time.Second)
	show("a", a)
	show("b", b)

	if err := a.Shutdown(context.Background()); err != nil {
		panic(err)
	}
	sim.RunFor(time.Second)
	fmt.Println("after a shuts down:")
	show("b", b)
	// Output:
	// a: MASTER since 3s (master down), master 192.0.2.1, 8 adverts sent
	// b: BACKUP since 0s (start), master 192.0.2.1, 0 adverts sent
	// after a shuts down:
	// b: MASTER since 10.024414062s (peer bow out), master 192.0.2.2, 1 adverts sent
}
