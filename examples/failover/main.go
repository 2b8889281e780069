// Command failover shows CARP failover without root and without a network:
// three nodes on an in-memory LAN, driven by a virtual clock, print a
// timeline of elections as they happen.
//
//	go run ./examples/failover
//
// Node A is preferred (advskew 0, preempt), B and C are backups (advskew 50
// and 100). A wins the first election, crashes, B takes over after the
// master-down interval, A returns and preempts B, and finally A shuts down
// gracefully with a bow-out advert, which B answers within milliseconds;
// A keeps the VIP until B's first advert reaches it (make before break).
package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/transport/memnet"
)

type event struct {
	at   time.Duration
	node string
	text string
}

type node struct {
	name  string
	cfg   carp.Config
	group *carp.Group
	port  *memnet.Port
}

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "failover:", err)
		os.Exit(1)
	}
}

func run(out io.Writer) error {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sim := memnet.NewSim(1, start)
	lan := memnet.NewNetwork(sim)
	lan.SetImpairment(memnet.Impairment{Delay: 200 * time.Microsecond})

	var (
		mu     sync.Mutex
		events []event
	)
	logf := func(at time.Time, name, format string, args ...any) {
		mu.Lock()
		events = append(events, event{at: at.Sub(start), node: name, text: fmt.Sprintf(format, args...)})
		mu.Unlock()
	}
	vip := netip.MustParseAddr("192.0.2.100")
	nodes := map[string]*node{}
	for i, spec := range []struct {
		name    string
		skew    uint8
		preempt bool
	}{{"A", 0, true}, {"B", 50, false}, {"C", 100, false}} {
		n := &node{name: spec.name}
		n.cfg = carp.Config{
			Interface: "lan0",
			VHID:      42,
			VIPs:      []netip.Addr{vip},
			Password:  []byte("demo"),
			Source:    netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + i)}),
			AdvBase:   1,
			AdvSkew:   spec.skew,
			Preempt:   spec.preempt,
			Clock:     sim,
			Rand:      sim.Rand().Uint64,
			OnMaster: func(t carp.Transition) {
				logf(t.At, spec.name, "MASTER  (%s), takes %s", t.Reason, vip)
			},
			OnBackup: func(t carp.Transition) {
				logf(t.At, spec.name, "%s  (%s)", t.To, t.Reason)
			},
		}
		nodes[spec.name] = n
	}
	boot := func(name string) error {
		n := nodes[name]
		n.port = lan.Attach(name)
		cfg := n.cfg
		cfg.Transport = n.port
		g, err := carp.New(cfg)
		if err != nil {
			return err
		}
		n.group = g
		logf(sim.Now(), name, "starts (advbase 1, advskew %d, preempt %v)", cfg.AdvSkew, cfg.Preempt)
		return g.Start()
	}
	flush := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, n := range nodes {
			_ = n.group.WaitCallbacks(ctx)
		}
		mu.Lock()
		defer mu.Unlock()
		slices.SortStableFunc(events, func(a, b event) int {
			if a.at != b.at {
				return int(a.at - b.at)
			}
			return int(a.node[0]) - int(b.node[0])
		})
		for _, e := range events {
			fmt.Fprintf(out, "%10.6fs  %s  %s\n", e.at.Seconds(), e.node, e.text)
		}
		events = events[:0]
	}
	states := func() string {
		return fmt.Sprintf("A=%s B=%s C=%s", nodes["A"].group.State(), nodes["B"].group.State(), nodes["C"].group.State())
	}

	fmt.Fprintln(out, "gocarp failover demo: three nodes, one VIP, virtual time (no root, no network)")
	fmt.Fprintln(out)
	for _, name := range []string{"A", "B", "C"} {
		if err := boot(name); err != nil {
			return err
		}
	}
	sim.RunFor(10 * time.Second)
	flush()
	fmt.Fprintf(out, "            -- after 10 s: %s\n\n", states())

	logf(sim.Now(), "A", "crashes (no farewell advert)")
	if err := nodes["A"].group.Close(); err != nil {
		return err
	}
	crashed := sim.Now()
	sim.RunFor(10 * time.Second)
	flush()
	st := nodes["B"].group.Stats()
	fmt.Fprintf(out, "            -- B took over %.3f s after the crash (master-down = 3 + 50/256 s); %s\n\n",
		st.LastTransition.At.Sub(crashed).Seconds(), "A=down B="+nodes["B"].group.State().String()+" C="+nodes["C"].group.State().String())

	if err := boot("A"); err != nil {
		return err
	}
	sim.RunFor(10 * time.Second)
	flush()
	fmt.Fprintf(out, "            -- A is back and preferred: %s\n\n", states())

	logf(sim.Now(), "A", "shuts down for maintenance: bows out (advbase 255, advskew 255), serves until a backup answers")
	bowed := sim.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Shutdown of a MASTER waits for the new master's first advert, in
	// virtual time: it runs on its own goroutine while the clock runs here.
	a := nodes["A"].group
	errc := make(chan error, 1)
	go func() { errc <- a.Shutdown(ctx) }()
	for st := a.Stats(); !st.Leaving && st.State != carp.StateStopped; st = a.Stats() {
		time.Sleep(time.Millisecond) // until it has bowed out
	}
	sim.RunFor(10 * time.Second)
	if err := <-errc; err != nil {
		return err
	}
	flush()
	st = nodes["B"].group.Stats()
	fmt.Fprintf(out, "            -- planned handover: B took over %.3f ms after the bow-out; A=down B=%s C=%s\n\n",
		float64(st.LastTransition.At.Sub(bowed).Microseconds())/1000, nodes["B"].group.State(), nodes["C"].group.State())
	for _, name := range []string{"A", "B", "C"} {
		s := nodes[name].group.Stats()
		fmt.Fprintf(out, "            %s: %d adverts sent, %d received, %d transitions\n", name, s.AdvertsSent, s.AdvertsReceived, s.Transitions)
	}
	return nil
}
