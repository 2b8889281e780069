package memnet_test

import (
	"fmt"
	"time"

	"github.com/gocarp/gocarp/transport/memnet"
)

func Example() {
	start := time.Unix(0, 0)
	sim := memnet.NewSim(1, start)
	lan := memnet.NewNetwork(sim)
	lan.SetImpairment(memnet.Impairment{Delay: 5 * time.Millisecond})
	a, b := lan.Attach("a"), lan.Attach("b")

	lan.Tap(func(from *memnet.Port, pkt []byte, at time.Time) {
		fmt.Printf("%v %s sends %q\n", at.Sub(start), from.Name(), pkt)
	})
	_ = b.Listen(func(pkt []byte) {
		fmt.Printf("%v b receives %q\n", sim.Now().Sub(start), pkt)
	})

	// Send a packet every second, as a CARP master would.
	var advertise func()
	advertise = func() {
		_ = a.Send([]byte("advert"))
		sim.AfterFunc(time.Second, advertise)
	}
	sim.AfterFunc(0, advertise)

	sim.RunFor(1500 * time.Millisecond)
	b.SetUp(false)
	sim.RunFor(time.Second)
	fmt.Printf("a: %+v\n", a.Stats())
	// Output:
	// 0s a sends "advert"
	// 5ms b receives "advert"
	// 1s a sends "advert"
	// 1.005s b receives "advert"
	// 2s a sends "advert"
	// a: {Sent:3 Received:0 Dropped:0 Duplicated:0}
}

func ExampleNetwork_Partition() {
	sim := memnet.NewSim(1, time.Unix(0, 0))
	lan := memnet.NewNetwork(sim)
	a, b, c := lan.Attach("a"), lan.Attach("b"), lan.Attach("c")
	for _, p := range []*memnet.Port{a, b, c} {
		_ = p.Listen(func(pkt []byte) { fmt.Printf("%s got %s\n", p.Name(), pkt) })
	}

	lan.Partition([]*memnet.Port{a})
	_ = b.Send([]byte("split"))
	sim.RunFor(time.Second)

	lan.Heal()
	_ = b.Send([]byte("healed"))
	sim.RunFor(time.Second)
	// Output:
	// c got split
	// a got healed
	// c got healed
}
