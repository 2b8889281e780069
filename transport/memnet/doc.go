// Package memnet is an in-memory, deterministic simulation of a LAN for
// testing CARP groups: a virtual clock and event scheduler (Sim, a
// transport.Clock) and a broadcast domain (Network) whose ports implement
// transport.Transport.
//
// Nothing happens on its own. Time advances only when the test calls
// RunUntil, RunFor or Step, and then timers (Sim.AfterFunc) and packet
// deliveries run one by one in that goroutine, in time order. With the same
// seed and the same calls, every run is identical, including the random loss,
// duplication and jitter drawn from the Sim's seeded source, so a failing
// scenario replays exactly.
//
// A network can lose, duplicate, delay and reorder packets (Impairment, per
// network or per sending port), split into partitions (Partition, Heal) and
// lose carrier on a port (Port.SetUp). A Tap observes every packet sent, for
// printing timelines.
//
//	sim := memnet.NewSim(1, time.Unix(0, 0))
//	lan := memnet.NewNetwork(sim)
//	lan.SetImpairment(memnet.Impairment{Delay: time.Millisecond, Loss: 0.01})
//	a, b := lan.Attach("a"), lan.Attach("b")
//	// give a and b to two CARP groups as their Transport, sim as their Clock
//	sim.RunFor(10 * time.Second)
//	lan.Partition([]*memnet.Port{a}) // split brain: both become master
//	sim.RunFor(10 * time.Second)
//	lan.Heal()
package memnet
