package memnet_test

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/transport"
	"github.com/gocarp/gocarp/transport/memnet"
)

// arrival is one delivery as seen by a handler.
type arrival struct {
	To  string
	At  time.Duration // since t0
	Pkt string
}

// lan is a Sim, a Network and ports that log every delivery.
type lan struct {
	sim   *memnet.Sim
	net   *memnet.Network
	ports map[string]*memnet.Port
	log   []arrival
}

func newLAN(t *testing.T, seed int64, names ...string) *lan {
	t.Helper()
	l := &lan{sim: memnet.NewSim(seed, t0), ports: map[string]*memnet.Port{}}
	l.net = memnet.NewNetwork(l.sim)
	for _, name := range names {
		p := l.net.Attach(name)
		require.NoError(t, p.Listen(func(pkt []byte) {
			l.log = append(l.log, arrival{name, l.sim.Now().Sub(t0), string(pkt)})
		}))
		l.ports[name] = p
	}
	return l
}

// got returns the sorted set of receivers of pkt.
func (l *lan) got(pkt string) []string {
	var to []string
	for _, a := range l.log {
		if a.Pkt == pkt {
			to = append(to, a.To)
		}
	}
	slices.Sort(to)
	return to
}

func TestBroadcast(t *testing.T) {
	l := newLAN(t, 1, "a", "b", "c")
	idle := l.net.Attach("idle") // not listening: receives nothing
	require.NoError(t, l.ports["a"].Send([]byte("from a")))
	require.NoError(t, idle.Send([]byte("from idle")))
	require.Empty(t, l.log, "nothing before the Sim runs")
	l.sim.RunFor(time.Second)
	require.Equal(t, []string{"b", "c"}, l.got("from a"))
	require.Equal(t, []string{"a", "b", "c"}, l.got("from idle"))
	require.Equal(t, memnet.PortStats{Sent: 1, Received: 1}, l.ports["a"].Stats())
	require.Equal(t, memnet.PortStats{Sent: 1}, idle.Stats())
	require.Equal(t, memnet.PortStats{Received: 2}, l.ports["b"].Stats())
}

func TestPrivateCopies(t *testing.T) {
	sim := memnet.NewSim(1, t0)
	n := memnet.NewNetwork(sim)
	n.SetImpairment(memnet.Impairment{Duplicate: 1})
	a := n.Attach("a")
	var got []string
	for _, name := range []string{"b", "c"} {
		require.NoError(t, n.Attach(name).Listen(func(pkt []byte) {
			got = append(got, name+":"+string(pkt))
			clear(pkt) // must not affect the sender, other receivers or the duplicate
		}))
	}
	buf := []byte("hello")
	require.NoError(t, a.Send(buf))
	copy(buf, "XXXXX") // nor may the sender's reuse of its buffer
	sim.RunFor(time.Second)
	slices.Sort(got)
	require.Equal(t, []string{"b:hello", "b:hello", "c:hello", "c:hello"}, got)
}

func TestDelayAndJitter(t *testing.T) {
	tests := []struct {
		name     string
		im       memnet.Impairment
		min, max time.Duration // arrival - send, inclusive
	}{
		{"Perfect", memnet.Impairment{}, 0, 0},
		{"Delay", memnet.Impairment{Delay: 7 * time.Millisecond}, 7 * time.Millisecond, 7 * time.Millisecond},
		{"Jitter", memnet.Impairment{Delay: time.Millisecond, Jitter: 10 * time.Millisecond}, time.Millisecond, 11*time.Millisecond - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLAN(t, 1, "a", "b")
			l.net.SetImpairment(tt.im)
			const n = 200
			for i := range n {
				l.sim.AfterFunc(time.Duration(i)*time.Second, func() {
					require.NoError(t, l.ports["a"].Send(fmt.Append(nil, i)))
				})
			}
			l.sim.RunFor(n * time.Second)
			require.Len(t, l.log, n)
			var spread []time.Duration
			for _, a := range l.log {
				var i int
				_, err := fmt.Sscan(a.Pkt, &i)
				require.NoError(t, err)
				d := a.At - time.Duration(i)*time.Second
				require.GreaterOrEqual(t, d, tt.min)
				require.LessOrEqual(t, d, tt.max)
				spread = append(spread, d)
			}
			if tt.im.Jitter > 0 {
				// Not all equal: jitter is drawn, not constant.
				require.Greater(t, slices.Max(spread), slices.Min(spread))
			}
		})
	}
}

func TestReordering(t *testing.T) {
	tests := []struct {
		name    string
		im      memnet.Impairment
		reorder bool
	}{
		{"NoJitterKeepsOrder", memnet.Impairment{Delay: 10 * time.Millisecond}, false},
		{"JitterReorders", memnet.Impairment{Delay: 10 * time.Millisecond, Jitter: 10 * time.Millisecond}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLAN(t, 3, "a", "b")
			l.net.SetImpairment(tt.im)
			const n = 500
			for i := range n {
				// Two packets at each instant, one every millisecond.
				l.sim.AfterFunc(time.Duration(i/2)*time.Millisecond, func() {
					require.NoError(t, l.ports["a"].Send(fmt.Appendf(nil, "%04d", i)))
				})
			}
			l.sim.RunFor(time.Second)
			require.Len(t, l.log, n)
			inversions := 0
			for i := 1; i < len(l.log); i++ {
				if l.log[i].Pkt < l.log[i-1].Pkt {
					inversions++
				}
			}
			if tt.reorder {
				require.Greater(t, inversions, n/10)
			} else {
				require.Zero(t, inversions)
			}
		})
	}
}

// impairmentRun sends n packets from a to b under im and returns the stats.
func impairmentRun(t *testing.T, seed int64, im memnet.Impairment, n int) (a, b memnet.PortStats) {
	t.Helper()
	l := newLAN(t, seed, "a", "b")
	l.ports["a"].SetImpairment(im)
	// A chain of sends, one per millisecond, keeps the event queue short.
	var send func(i int)
	send = func(i int) {
		if i == n {
			return
		}
		if err := l.ports["a"].Send([]byte{byte(i)}); err != nil {
			panic(err)
		}
		l.sim.AfterFunc(time.Millisecond, func() { send(i + 1) })
	}
	l.sim.AfterFunc(0, func() { send(0) })
	l.sim.RunFor(time.Duration(n)*time.Millisecond + time.Minute)
	require.Zero(t, l.sim.Pending())
	return l.ports["a"].Stats(), l.ports["b"].Stats()
}

func TestImpairmentStatistics(t *testing.T) {
	const n = 10000
	tests := []struct {
		name                   string
		im                     memnet.Impairment
		wantDropped, wantDuped float64 // expected fraction of n
	}{
		{"None", memnet.Impairment{}, 0, 0},
		{"Loss10", memnet.Impairment{Loss: 0.1}, 0.1, 0},
		{"Loss100", memnet.Impairment{Loss: 1}, 1, 0},
		{"Dup20", memnet.Impairment{Duplicate: 0.2}, 0, 0.2},
		{"Dup100", memnet.Impairment{Duplicate: 1}, 0, 1},
		// A lost copy is never duplicated: 0.3 of the surviving 0.7.
		{"LossAndDup", memnet.Impairment{Loss: 0.5, Duplicate: 0.3, Jitter: time.Second}, 0.5, 0.15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := impairmentRun(t, 42, tt.im, n)
			require.EqualValues(t, n, a.Sent)
			// Conservation: every copy is either received or dropped.
			require.Equal(t, a.Sent+a.Duplicated, b.Received+a.Dropped)
			// The seed fixes the outcome; the band (±3 percentage points, over
			// 10 standard deviations) only guards against a broken model.
			require.InDelta(t, tt.wantDropped, float64(a.Dropped)/n, 0.03)
			require.InDelta(t, tt.wantDuped, float64(a.Duplicated)/n, 0.03)
			// And the same seed gives the very same counts.
			a2, b2 := impairmentRun(t, 42, tt.im, n)
			require.Equal(t, a, a2)
			require.Equal(t, b, b2)
		})
	}
}

func TestInvalidImpairmentPanics(t *testing.T) {
	tests := []memnet.Impairment{
		{Loss: -0.1},
		{Loss: 1.1},
		{Loss: math.NaN()},
		{Duplicate: 2},
		{Duplicate: math.NaN()},
		{Delay: -1},
		{Jitter: -1},
	}
	for _, im := range tests {
		t.Run(fmt.Sprintf("%+v", im), func(t *testing.T) {
			n := memnet.NewNetwork(memnet.NewSim(1, t0))
			require.Panics(t, func() { n.SetImpairment(im) })
			require.Panics(t, func() { n.Attach("a").SetImpairment(im) })
		})
	}
}

func TestPortImpairmentOverridesNetwork(t *testing.T) {
	l := newLAN(t, 1, "a", "b")
	a, b := l.ports["a"], l.ports["b"]
	l.net.SetImpairment(memnet.Impairment{Loss: 1})
	send := func(p *memnet.Port, pkt string) {
		require.NoError(t, p.Send([]byte(pkt)))
		l.sim.RunFor(time.Second)
	}

	send(a, "lost")
	a.SetImpairment(memnet.Impairment{}) // explicitly perfect
	send(a, "a perfect")
	send(b, "b still lossy")
	a.SetImpairment(memnet.Impairment{Delay: 100 * time.Millisecond})
	send(a, "a delayed")
	a.ClearImpairment()
	send(a, "a lossy again")

	require.Equal(t, []arrival{
		{"b", 1 * time.Second, "a perfect"},
		{"b", 3*time.Second + 100*time.Millisecond, "a delayed"},
	}, l.log)
	require.EqualValues(t, 2, a.Stats().Dropped)
	require.EqualValues(t, 1, b.Stats().Dropped)
}

func TestLinkDown(t *testing.T) {
	tests := []struct {
		name    string
		down    string // port that goes down
		when    time.Duration
		sendErr error
		want    []string // receivers of a's packet
		dropped uint64   // a's Dropped
	}{
		{"AllUp", "", 0, nil, []string{"b", "c"}, 0},
		{"SenderDown", "a", 0, transport.ErrLinkDown, nil, 0},
		{"ReceiverDown", "b", 0, nil, []string{"c"}, 0},
		{"ReceiverDownInFlight", "b", 5 * time.Millisecond, nil, []string{"c"}, 1},
		{"SenderDownInFlight", "a", 5 * time.Millisecond, nil, []string{"b", "c"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLAN(t, 1, "a", "b", "c")
			l.net.SetImpairment(memnet.Impairment{Delay: 10 * time.Millisecond})
			if tt.down != "" {
				l.sim.AfterFunc(tt.when, func() { l.ports[tt.down].SetUp(false) })
			}
			l.sim.AfterFunc(time.Millisecond, func() {
				require.ErrorIs(t, l.ports["a"].Send([]byte("p")), tt.sendErr)
			})
			l.sim.RunFor(time.Second)
			require.Equal(t, tt.want, l.got("p"))
			st := l.ports["a"].Stats()
			require.Equal(t, tt.dropped, st.Dropped)
			require.Equal(t, tt.sendErr == nil, st.Sent == 1)
			if tt.down != "" {
				require.False(t, l.ports[tt.down].Up())
				l.ports[tt.down].SetUp(true)
				require.True(t, l.ports[tt.down].Up())
			}
			// Up again: everything flows.
			l.log = nil
			require.NoError(t, l.ports["a"].Send([]byte("q")))
			l.sim.RunFor(time.Second)
			require.Equal(t, []string{"b", "c"}, l.got("q"))
		})
	}
}

func TestPartition(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e"}
	tests := []struct {
		name string
		sets [][]string
		want map[string][]string // sender -> receivers
	}{
		{"None", nil, map[string][]string{"a": {"b", "c", "d", "e"}}},
		{"OneSetRestTogether", [][]string{{"a", "b"}}, map[string][]string{
			"a": {"b"}, "b": {"a"}, "c": {"d", "e"}, "e": {"c", "d"},
		}},
		{"TwoSets", [][]string{{"a"}, {"b", "c"}}, map[string][]string{
			"a": nil, "b": {"c"}, "d": {"e"},
		}},
		{"EverySet", [][]string{{"a", "b", "c"}, {"d", "e"}}, map[string][]string{
			"a": {"b", "c"}, "d": {"e"},
		}},
		{"LastSetWins", [][]string{{"a", "b"}, {"b", "c"}}, map[string][]string{
			"a": nil, "b": {"c"}, "d": {"e"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLAN(t, 1, names...)
			var sets [][]*memnet.Port
			for _, set := range tt.sets {
				var ps []*memnet.Port
				for _, name := range set {
					ps = append(ps, l.ports[name])
				}
				sets = append(sets, ps)
			}
			l.net.Partition(sets...)
			for from, want := range tt.want {
				require.NoError(t, l.ports[from].Send([]byte(from)))
				l.sim.RunFor(time.Second)
				require.Equal(t, want, l.got(from), "from %s", from)
			}
			l.net.Heal()
			l.log = nil
			require.NoError(t, l.ports["a"].Send([]byte("healed")))
			l.sim.RunFor(time.Second)
			require.Equal(t, []string{"b", "c", "d", "e"}, l.got("healed"))
		})
	}
}

func TestPartitionKeepsInFlight(t *testing.T) {
	l := newLAN(t, 1, "a", "b")
	l.net.SetImpairment(memnet.Impairment{Delay: 10 * time.Millisecond})
	require.NoError(t, l.ports["a"].Send([]byte("on the wire")))
	l.net.Partition([]*memnet.Port{l.ports["a"]})
	l.sim.RunFor(time.Second)
	require.Equal(t, []string{"b"}, l.got("on the wire"))
}

func TestPartitionForeignPortPanics(t *testing.T) {
	sim := memnet.NewSim(1, t0)
	n1, n2 := memnet.NewNetwork(sim), memnet.NewNetwork(sim)
	p := n2.Attach("x")
	require.Panics(t, func() { n1.Partition([]*memnet.Port{p}) })
	// n1 is still usable: the panic left no lock held.
	require.NotPanics(t, func() { n1.Heal() })
}

func TestClosedPort(t *testing.T) {
	l := newLAN(t, 1, "a", "b")
	a, b := l.ports["a"], l.ports["b"]
	require.NoError(t, b.Send([]byte("in flight")))
	require.NoError(t, a.Close())
	require.NoError(t, a.Close())
	require.ErrorIs(t, a.Send([]byte("x")), transport.ErrClosed)
	require.ErrorIs(t, a.Listen(func([]byte) {}), transport.ErrClosed)
	require.NoError(t, b.Send([]byte("after close")))
	l.sim.RunFor(time.Second)
	require.Empty(t, l.log)
	require.Equal(t, memnet.PortStats{Sent: 2, Dropped: 1}, b.Stats())
}

func TestListenErrors(t *testing.T) {
	n := memnet.NewNetwork(memnet.NewSim(1, t0))
	p := n.Attach("p")
	require.ErrorIs(t, p.Listen(nil), memnet.ErrNilHandler)
	require.NoError(t, p.Listen(func([]byte) {}))
	require.ErrorIs(t, p.Listen(func([]byte) {}), transport.ErrAlreadyListening)
	require.ErrorIs(t, memnet.ErrLinkDown, transport.ErrLinkDown)
}

func TestTap(t *testing.T) {
	l := newLAN(t, 1, "a", "b")
	type sent struct {
		From string
		At   time.Duration
		Pkt  string
	}
	var taps []sent
	l.net.Tap(func(from *memnet.Port, pkt []byte, at time.Time) {
		taps = append(taps, sent{from.Name(), at.Sub(t0), string(pkt)})
	})
	l.net.Partition([]*memnet.Port{l.ports["a"]}) // taps see sends nobody receives
	l.sim.AfterFunc(time.Second, func() { _ = l.ports["a"].Send([]byte("1")) })
	l.sim.AfterFunc(2*time.Second, func() { _ = l.ports["b"].Send([]byte("2")) })
	l.sim.AfterFunc(3*time.Second, func() {
		l.ports["b"].SetUp(false)
		_ = l.ports["b"].Send([]byte("not on the wire"))
	})
	l.sim.RunFor(time.Minute)
	require.Equal(t, []sent{{"a", time.Second, "1"}, {"b", 2 * time.Second, "2"}}, taps)
	require.Panics(t, func() { l.net.Tap(nil) })
}

// scenario is a busy, lossy, jittery exchange among three ports; it returns
// every delivery in order.
func scenario(t *testing.T, seed int64) []arrival {
	l := newLAN(t, seed, "a", "b", "c")
	l.net.SetImpairment(memnet.Impairment{Loss: 0.2, Duplicate: 0.1, Delay: 10 * time.Millisecond, Jitter: 20 * time.Millisecond})
	for _, name := range []string{"a", "b", "c"} {
		p := l.ports[name]
		for i := range 100 {
			l.sim.AfterFunc(time.Duration(i)*5*time.Millisecond, func() {
				require.NoError(t, p.Send(fmt.Appendf(nil, "%s%d", name, i)))
			})
		}
	}
	// Split and heal mid-run.
	l.sim.AfterFunc(100*time.Millisecond, func() { l.net.Partition([]*memnet.Port{l.ports["c"]}) })
	l.sim.AfterFunc(300*time.Millisecond, l.net.Heal)
	l.sim.RunFor(time.Second)
	return l.log
}

func TestDeterminism(t *testing.T) {
	first := scenario(t, 99)
	require.Greater(t, len(first), 300)
	require.Equal(t, first, scenario(t, 99), "same seed, same run")
	require.NotEqual(t, first, scenario(t, 100), "another seed, another run")
}
