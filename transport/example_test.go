package transport_test

import (
	"fmt"
	"time"

	"github.com/gocarp/gocarp/transport"
	"github.com/gocarp/gocarp/transport/memnet"
)

// ticker is code written against transport.Clock: it neither knows nor cares
// whether time is real.
func ticker(c transport.Clock, every time.Duration, n int, tick func(time.Time)) {
	var next func()
	next = func() {
		tick(c.Now())
		if n--; n > 0 {
			c.AfterFunc(every, next)
		}
	}
	c.AfterFunc(every, next)
}

// The same code runs on transport.SystemClock in production and on a
// simulated clock in tests, where a minute passes in no time.
func ExampleClock() {
	start := time.Unix(0, 0)
	sim := memnet.NewSim(1, start)
	ticker(sim, 20*time.Second, 3, func(now time.Time) {
		fmt.Println(now.Sub(start))
	})
	sim.RunFor(time.Hour)
	// Output:
	// 20s
	// 40s
	// 1m0s
}

// A Transport is used the same way whatever it runs on: listen, send, close.
func ExampleTransport() {
	sim := memnet.NewSim(1, time.Unix(0, 0))
	lan := memnet.NewNetwork(sim)
	var a, b transport.Transport = lan.Attach("a"), lan.Attach("b")

	_ = b.Listen(func(pkt []byte) {
		// pkt is only valid during the call: copy what you keep.
		fmt.Printf("b got % x\n", pkt)
	})
	_ = a.Send([]byte{0x45, 0x10})
	sim.RunFor(time.Second)

	_ = a.Close()
	fmt.Println(a.Send([]byte{0x45}))
	// Output:
	// b got 45 10
	// transport: closed
}
