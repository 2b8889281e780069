package memnet_test

import (
	"testing"
	"time"

	"github.com/gocarp/gocarp/transport/memnet"
)

// BenchmarkSendDeliver measures one 56-byte packet sent to one listener and
// delivered by the Sim.
func BenchmarkSendDeliver(b *testing.B) {
	sim := memnet.NewSim(1, t0)
	lan := memnet.NewNetwork(sim)
	lan.SetImpairment(memnet.Impairment{Delay: time.Millisecond, Jitter: time.Millisecond, Loss: 0.01})
	a := lan.Attach("a")
	var got int
	_ = lan.Attach("b").Listen(func([]byte) { got++ })
	pkt := make([]byte, 56)
	b.ReportAllocs()
	for b.Loop() {
		_ = a.Send(pkt)
		sim.RunFor(time.Second)
	}
	if got == 0 {
		b.Fatal("nothing delivered")
	}
}
