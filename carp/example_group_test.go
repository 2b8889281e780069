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
// expires (3 s). A planned handover is make before break: a bows out and
// keeps serving (still MASTER, leaving) until b, taking over within
// milliseconds, advertises; then a is BACKUP and shuts down at once.
// (Shutdown of a MASTER does the same, and waits for b: under a virtual
// clock, call it from another goroutine while the clock runs.)
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

	if err := a.BowOut(); err != nil {
		panic(err)
	}
	fmt.Println("a bowed out; leaving:", a.Stats().Leaving)
	show("a", a)
	sim.RunFor(time.Second)
	fmt.Println("after b's first advert:")
	show("a", a)
	show("b", b)
	if err := a.Shutdown(context.Background()); err != nil {
		panic(err)
	}
	// Output:
	// a: MASTER since 3s (master down), master 192.0.2.1, 8 adverts sent
	// b: BACKUP since 0s (start), master 192.0.2.1, 0 adverts sent
	// a bowed out; leaving: true
	// a: MASTER since 3s (master down), master 192.0.2.1, 9 adverts sent
	// after b's first advert:
	// a: BACKUP since 10.024414062s (bow out), master 192.0.2.2, 9 adverts sent
	// b: MASTER since 10.024414062s (peer bow out), master 192.0.2.2, 1 adverts sent
}
