// Package transporttest is the conformance suite every transport.Transport
// implementation must pass, in the manner of hashicorp/raft's transport tests:
// one body of tests run against the in-memory network and, in privileged
// tests, against real links.
//
// The caller supplies a factory for a fresh pair of connected, open, not yet
// listening transports and a flush function that lets packets move: a
// simulated transport runs its scheduler, a real one sleeps briefly. The
// suite waits for conditions by calling flush repeatedly until they hold or a
// generous real-time deadline passes; it makes no timing assertions.
//
//	func TestConformance(t *testing.T) {
//		transporttest.Run(t, func(t *testing.T) (a, b transport.Transport, flush func()) {
//			sim := memnet.NewSim(1, time.Unix(0, 0))
//			n := memnet.NewNetwork(sim)
//			return n.Attach("a"), n.Attach("b"), func() { sim.RunFor(time.Second) }
//		})
//	}
//
// A real transport's factory sets up two linked interfaces (a veth pair in
// network namespaces, say) and passes func() { time.Sleep(time.Millisecond) }.
package transporttest
