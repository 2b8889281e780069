package memnet_test

import (
	"testing"
	"time"

	"github.com/gocarp/gocarp/transport"
	"github.com/gocarp/gocarp/transport/memnet"
	"github.com/gocarp/gocarp/transport/transporttest"
)

func TestConformance(t *testing.T) {
	tests := []struct {
		name string
		im   memnet.Impairment
	}{
		{"Perfect", memnet.Impairment{}},
		// Loss and duplication would break the suite's exact counts; delay
		// and jitter must not.
		{"DelayJitter", memnet.Impairment{Delay: 10 * time.Millisecond, Jitter: 50 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			transporttest.Run(t, func(t *testing.T) (a, b transport.Transport, flush func()) {
				sim := memnet.NewSim(1, t0)
				n := memnet.NewNetwork(sim)
				n.SetImpairment(tt.im)
				// A bystander that must not disturb a and b.
				_ = n.Attach("c").Listen(func([]byte) {})
				return n.Attach("a"), n.Attach("b"), func() { sim.RunFor(time.Second) }
			})
		})
	}
}
