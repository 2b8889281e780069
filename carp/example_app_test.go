package carp_test

import (
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/transport/memnet"
)

// server is an application that serves only while its group is MASTER.
type server struct{ serving atomic.Bool }

func (s *server) config(name, source string, advskew uint8, lan *memnet.Network, sim *memnet.Sim) carp.Config {
	return carp.Config{
		Interface: name,
		VHID:      7,
		VIPs:      []netip.Addr{netip.MustParseAddr("192.0.2.100")},
		Password:  []byte("secret"),
		Source:    netip.MustParseAddr(source),
		AdvSkew:   advskew,
		Transport: lan.Attach(name),
		Clock:     sim,
		OnMaster:  func(carp.Transition) { s.serving.Store(true) },
		OnBackup:  func(carp.Transition) { s.serving.Store(false) },
	}
}

// serveWhileMaster is the test a developer writes for such an application:
// run the simulation, look at the flag. The callbacks have run by the time
// RunFor returns (the Sim waits for them), so nothing else is needed.
func serveWhileMaster() string {
	sim := memnet.NewSim(1, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	lan := memnet.NewNetwork(sim)
	var a, b server
	ga, err := carp.New(a.config("a", "192.0.2.1", 0, lan, sim))
	if err != nil {
		panic(err)
	}
	gb, err := carp.New(b.config("b", "192.0.2.2", 100, lan, sim))
	if err != nil {
		panic(err)
	}
	_ = ga.Start()
	_ = gb.Start()
	defer gb.Close()

	var log strings.Builder
	report := func(when string) {
		fmt.Fprintf(&log, "%s: a serving %v, b serving %v\n", when, a.serving.Load(), b.serving.Load())
	}
	sim.RunFor(5 * time.Second)
	report("after 5 s")
	_ = ga.Close() // a crashes
	sim.RunFor(5 * time.Second)
	report("a closed")
	return log.String()
}

// The obvious test passes, the same way every time.
func TestServeWhileMaster(t *testing.T) {
	want := "after 5 s: a serving true, b serving false\na closed: a serving false, b serving true\n"
	for range 100 {
		require.Equal(t, want, serveWhileMaster())
	}
}

// An application that serves only while MASTER, tested on the in-memory
// LAN without waiting for anything: the simulation runs the callbacks at
// their virtual time.
func Example_serveWhileMaster() {
	fmt.Print(serveWhileMaster())
	// Output:
	// after 5 s: a serving true, b serving false
	// a closed: a serving false, b serving true
}
