package link_test

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/hmac"
	"github.com/gocarp/gocarp/link"
	"github.com/gocarp/gocarp/transport"
	"github.com/gocarp/gocarp/transport/memnet"
	"github.com/gocarp/gocarp/transport/transporttest"
	"github.com/gocarp/gocarp/wire"
)

var (
	t0       = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	password = []byte("secret")
)

// vip returns the VIP of vhid: 198.51.100.vhid (203.0.113.x beyond 250).
func vip(vhid uint8) netip.Addr {
	if vhid > 250 {
		return netip.AddrFrom4([4]byte{203, 0, 113, vhid})
	}
	return netip.AddrFrom4([4]byte{198, 51, 100, vhid})
}

// host is one simulated machine: a link over a memnet port, and groups.
type host struct {
	name   string
	src    netip.Addr
	port   *memnet.Port
	link   *link.Link
	groups map[uint8]*carp.Group
}

func newHost(t *testing.T, lan *memnet.Network, name, src string) *host {
	t.Helper()
	h := &host{name: name, src: netip.MustParseAddr(src), port: lan.Attach(name), groups: map[uint8]*carp.Group{}}
	l, err := link.New(link.Config{Interface: "eth0", Transport: h.port})
	require.NoError(t, err)
	l.SetAddrs([]netip.Addr{h.src})
	h.link = l
	t.Cleanup(func() { _ = l.Close() })
	return h
}

// add starts a group for vhid on h's link with the given skew.
func (h *host) add(t *testing.T, sim *memnet.Sim, vhid, skew uint8) *carp.Group {
	t.Helper()
	p, err := h.link.Port(vhid)
	require.NoError(t, err)
	g, err := carp.New(carp.Config{
		Interface: "eth0",
		VHID:      vhid,
		VIPs:      []netip.Addr{vip(vhid)},
		Password:  password,
		Source:    h.src,
		AdvSkew:   skew,
		Preempt:   true,
		Transport: p,
		Clock:     sim,
		Rand:      sim.Rand().Uint64,
	})
	require.NoError(t, err)
	require.NoError(t, g.Start())
	t.Cleanup(func() { _ = g.Close() })
	h.groups[vhid] = g
	return g
}

func (h *host) states() map[uint8]carp.State {
	out := map[uint8]carp.State{}
	for v, g := range h.groups {
		out[v] = g.State()
	}
	return out
}

func allIn(n int, s carp.State) map[uint8]carp.State {
	out := map[uint8]carp.State{}
	for v := 1; v <= n; v++ {
		out[uint8(v)] = s
	}
	return out
}

// Fifty groups share one link per host: the preferred host is MASTER of
// all, nothing moves while the LAN is calm, and when it dies all fifty move
// to the other host at the protocol's bound.
func TestManyGroupsOneLink(t *testing.T) {
	const n = 50
	sim := memnet.NewSim(1, t0)
	lan := memnet.NewNetwork(sim)
	a := newHost(t, lan, "a", "198.51.100.201")
	b := newHost(t, lan, "b", "198.51.100.202")
	for v := uint8(1); v <= n; v++ {
		a.add(t, sim, v, 0)
		b.add(t, sim, v, 100)
	}
	sim.RunFor(10 * time.Second)
	require.Equal(t, allIn(n, carp.StateMaster), a.states())
	require.Equal(t, allIn(n, carp.StateBackup), b.states())

	transitions := func() (sum uint64) {
		for _, h := range []*host{a, b} {
			for _, g := range h.groups {
				sum += g.Stats().Transitions
			}
		}
		return sum
	}
	before := transitions()
	sim.RunFor(time.Minute)
	require.Equal(t, before, transitions(), "a transition on a calm LAN")

	// One parse per packet: every advert a sent reached b's link once and
	// went to exactly one group; nothing was dropped.
	st := b.link.Stats()
	require.Equal(t, st.Received, st.Delivered)
	require.Empty(t, st.Dropped)
	var heard uint64
	for _, g := range b.groups {
		heard += g.Stats().AdvertsReceived
	}
	require.Equal(t, st.Delivered, heard)

	// a dies: its port goes dark. The last advert of each group was at
	// most one interval before; the bound is 3 × 1 + 100/256 s after it.
	killed := sim.Now()
	a.port.SetUp(false)
	bound := 3*time.Second + 100*time.Second/256
	sim.RunFor(bound - time.Second - time.Millisecond)
	require.Equal(t, allIn(n, carp.StateBackup), b.states(), "b took over before the bound")
	sim.RunFor(time.Second + 2*time.Millisecond)
	require.Equal(t, allIn(n, carp.StateMaster), b.states())
	for v, g := range b.groups {
		lt := g.Stats().LastTransition
		require.Equal(t, carp.StateMaster, lt.To, "vhid %d", v)
		require.LessOrEqual(t, lt.At.Sub(killed), bound, "vhid %d", v)
	}
}

// A packet for a vhid nobody runs here is counted once, on the link; the
// groups never see it.
func TestUnknownVHIDCountedOnce(t *testing.T) {
	sim := memnet.NewSim(1, t0)
	lan := memnet.NewNetwork(sim)
	a := newHost(t, lan, "a", "198.51.100.201")
	c := newHost(t, lan, "c", "198.51.100.203")
	for v := uint8(1); v <= 3; v++ {
		a.add(t, sim, v, 0)
	}
	g1 := c.add(t, sim, 1, 100)
	sim.RunFor(20 * time.Second)

	st := c.link.Stats()
	var sentOther uint64
	for v, g := range a.groups {
		if v != 1 {
			sentOther += g.Stats().AdvertsSent
		}
	}
	require.NotZero(t, sentOther)
	require.Equal(t, map[string]uint64{"bad_vhid": sentOther}, st.Dropped)
	require.Equal(t, a.groups[1].Stats().AdvertsSent, st.Delivered)
	require.Empty(t, g1.Stats().Dropped, "the group saw none of the other vhids' adverts")
	require.Equal(t, carp.StateBackup, g1.State())
}

// signed returns a valid advert for vhid from src to the IPv4 group.
func signed(t testing.TB, vhid uint8, src netip.Addr, skew uint8) []byte {
	t.Helper()
	s, err := hmac.NewSigner(password, vhid, []netip.Addr{vip(vhid)})
	require.NoError(t, err)
	a := wire.Advert{Version: wire.Version, Type: wire.TypeAdvertisement, VHID: vhid, AuthLen: wire.AuthLen,
		AdvBase: 1, AdvSkew: skew, Counter: 7, Digest: s.Sign(7)}
	b, err := wire.AppendIPv4(nil, src, wire.IPv4Group, 1, &a)
	require.NoError(t, err)
	return b
}

// The own-packet filter follows the interface's addresses as they change.
func TestOwnAddressesFollow(t *testing.T) {
	sim := memnet.NewSim(1, t0)
	lan := memnet.NewNetwork(sim)
	a := newHost(t, lan, "a", "198.51.100.201")
	other := netip.MustParseAddr("198.51.100.77")
	// The address is ours when the group starts, and goes away later.
	a.link.SetAddrs([]netip.Addr{a.src, other})
	g := a.add(t, sim, 7, 100)
	inj := lan.Attach("inj")

	require.NoError(t, inj.Send(signed(t, 7, other, 0)))
	sim.RunFor(0)
	require.Equal(t, map[string]uint64{"own_packet": 1}, a.link.Stats().Dropped)
	require.Zero(t, g.Stats().AdvertsReceived)

	a.link.SetAddrs([]netip.Addr{a.src}) // the address went away
	require.NoError(t, inj.Send(signed(t, 7, other, 0)))
	sim.RunFor(0)
	require.Equal(t, uint64(1), g.Stats().AdvertsReceived)
	require.Equal(t, netip.MustParseAddr("198.51.100.77"), g.Stats().Master)
}

// The link's carrier reaches every group, also one that starts while the
// carrier is down.
func TestCarrierFansOut(t *testing.T) {
	sim := memnet.NewSim(1, t0)
	lan := memnet.NewNetwork(sim)
	a := newHost(t, lan, "a", "198.51.100.201")
	for v := uint8(1); v <= 3; v++ {
		a.add(t, sim, v, 0)
	}
	sim.RunFor(10 * time.Second)
	require.Equal(t, allIn(3, carp.StateMaster), a.states())

	a.link.SetCarrier(false)
	require.Equal(t, allIn(3, carp.StateInit), a.states())
	late := a.add(t, sim, 4, 0)
	require.Equal(t, carp.StateInit, late.State(), "a group started without carrier waits in INIT")

	a.link.SetCarrier(true)
	require.Equal(t, allIn(4, carp.StateBackup), a.states())
	sim.RunFor(10 * time.Second)
	require.Equal(t, allIn(4, carp.StateMaster), a.states())
}

func TestPorts(t *testing.T) {
	sim := memnet.NewSim(1, t0)
	lan := memnet.NewNetwork(sim)
	l, err := link.New(link.Config{Interface: "eth0", Transport: lan.Attach("a")})
	require.NoError(t, err)
	p, err := l.Port(9)
	require.NoError(t, err)
	_, err = l.Port(9)
	require.ErrorIs(t, err, link.ErrVHIDInUse)
	require.NoError(t, p.Close())
	require.ErrorIs(t, p.Send([]byte{0x45}), transport.ErrClosed)
	p2, err := l.Port(9)
	require.NoError(t, err, "a closed port's vhid is free again")
	require.NoError(t, l.Close())
	require.ErrorIs(t, p2.Send([]byte{0x45}), transport.ErrClosed)
	_, err = l.Port(10)
	require.ErrorIs(t, err, transport.ErrClosed)
	_, err = link.New(link.Config{})
	require.ErrorIs(t, err, link.ErrNoTransport)
}

// A port is a transport like any other: the conformance suite, with a
// bystander group on another vhid of the same link.
func TestConformance(t *testing.T) {
	transporttest.Run(t, func(t *testing.T) (a, b transport.Transport, flush func()) {
		sim := memnet.NewSim(1, t0)
		lan := memnet.NewNetwork(sim)
		mk := func(name string) *link.Link {
			l, err := link.New(link.Config{Interface: name, Transport: lan.Attach(name)})
			require.NoError(t, err)
			t.Cleanup(func() { _ = l.Close() })
			by, err := l.Port(2)
			require.NoError(t, err)
			require.NoError(t, by.Listen(func([]byte) {}))
			return l
		}
		la, lb := mk("a"), mk("b")
		pa, err := la.Port(1) // transporttest's packets carry vhid 1
		require.NoError(t, err)
		pb, err := lb.Port(1)
		require.NoError(t, err)
		return pa, pb, func() { sim.RunFor(time.Second) }
	})
}

// capture is a transport that hands its handler to the test.
type capture struct{ h transport.Handler }

func (c *capture) Send([]byte) error                { return nil }
func (c *capture) Listen(h transport.Handler) error { c.h = h; return nil }
func (c *capture) Close() error                     { return nil }

// The received-advert path, link to group, allocates nothing: with many
// groups it runs hundreds of times a second.
func TestReceiveAllocatesNothing(t *testing.T) {
	tr := &capture{}
	l, err := link.New(link.Config{Interface: "eth0", Transport: tr})
	require.NoError(t, err)
	defer l.Close()
	var groups []*carp.Group
	for v := uint8(1); v <= 250; v++ {
		p, err := l.Port(v)
		require.NoError(t, err)
		g, err := carp.New(carp.Config{VHID: v, VIPs: []netip.Addr{vip(v)}, Password: password,
			Source: netip.MustParseAddr("192.0.2.201"), AdvSkew: 100, Transport: p})
		require.NoError(t, err)
		require.NoError(t, g.Start())
		defer g.Close()
		groups = append(groups, g)
	}
	pkts := [][]byte{}
	for v := uint8(1); v <= 250; v++ {
		pkts = append(pkts, signed(t, v, netip.MustParseAddr("198.51.100.202"), 0))
	}
	pkts = append(pkts, signed(t, 251, netip.MustParseAddr("198.51.100.202"), 0)) // nobody's
	i := 0
	allocs := testing.AllocsPerRun(2000, func() {
		tr.h(pkts[i%len(pkts)])
		i++
	})
	require.Zero(t, allocs)
	for _, g := range groups {
		require.Equal(t, carp.StateBackup, g.State())
		require.NotZero(t, g.Stats().AdvertsReceived)
	}
	require.NotZero(t, l.Stats().Dropped["bad_vhid"])
}

func BenchmarkReceive(b *testing.B) {
	tr := &capture{}
	l, err := link.New(link.Config{Interface: "eth0", Transport: tr})
	require.NoError(b, err)
	defer l.Close()
	var pkts [][]byte
	for v := 1; v <= 255; v++ {
		p, err := l.Port(uint8(v))
		require.NoError(b, err)
		g, err := carp.New(carp.Config{VHID: uint8(v), VIPs: []netip.Addr{vip(uint8(v))}, Password: password,
			Source: netip.MustParseAddr("192.0.2.201"), AdvSkew: 100, Transport: p})
		require.NoError(b, err)
		require.NoError(b, g.Start())
		defer g.Close()
		s, err := hmac.NewSigner(password, uint8(v), []netip.Addr{vip(uint8(v))})
		require.NoError(b, err)
		a := wire.Advert{Version: wire.Version, Type: wire.TypeAdvertisement, VHID: uint8(v), AuthLen: wire.AuthLen,
			AdvBase: 1, Counter: 7, Digest: s.Sign(7)}
		pkt, err := wire.AppendIPv4(nil, netip.MustParseAddr("198.51.100.202"), wire.IPv4Group, 1, &a)
		require.NoError(b, err)
		pkts = append(pkts, pkt)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		tr.h(pkts[i%len(pkts)])
	}
}

func ExampleLink() {
	sim := memnet.NewSim(1, t0)
	lan := memnet.NewNetwork(sim)
	l, _ := link.New(link.Config{Interface: "eth0", Transport: lan.Attach("a")})
	defer l.Close()
	for _, vhid := range []uint8{1, 2} {
		port, _ := l.Port(vhid)
		g, _ := carp.New(carp.Config{
			VHID: vhid, VIPs: []netip.Addr{vip(vhid)}, Password: password,
			Source: netip.MustParseAddr("192.0.2.1"), Transport: port, Clock: sim,
		})
		_ = g.Start()
		defer g.Close()
	}
	sim.RunFor(4 * time.Second)
	fmt.Println(l.Stats().Received, "packets read: the groups send, nobody else does")
	// Output: 0 packets read: the groups send, nobody else does
}

// loopback is a transport that delivers every packet sent back to its
// handler from a goroutine of its own, as a real socket's reader does.
type loopback struct {
	mu sync.Mutex
	h  transport.Handler
	ch chan []byte
}

func (l *loopback) Send(b []byte) error {
	select {
	case l.ch <- slices.Clone(b):
	default: // a full queue drops, as a socket buffer would
	}
	// A slow send, as a syscall can be: the reader gets the packet and
	// enters its delivery before the sender's next send.
	time.Sleep(time.Millisecond)
	return nil
}

func (l *loopback) Listen(h transport.Handler) error {
	l.mu.Lock()
	l.h = h
	l.mu.Unlock()
	go func() {
		for b := range l.ch {
			// Our own adverts, seen from another source: the group
			// hears a worse master on every one.
			if b[0]>>4 == 4 {
				copy(b[12:16], []byte{198, 51, 100, 250})
				b[10], b[11] = 0, 0
				binary.BigEndian.PutUint16(b[10:], wire.Checksum(b[:20]))
			} else {
				b[23] ^= 0xff
			}
			h(b)
		}
	}()
	return nil
}

func (l *loopback) Close() error { return nil }

// A group sends from its timer while the link's reader delivers to it:
// with real goroutines neither may wait for the other (a port that took
// its delivery lock in Send deadlocked here).
func TestSendWhileReceiving(t *testing.T) {
	tr := &loopback{ch: make(chan []byte, 64)}
	l, err := link.New(link.Config{Interface: "eth0", Transport: tr})
	require.NoError(t, err)
	p, err := l.Port(5)
	require.NoError(t, err)
	// Dual-stack: two sends per advert, so the reader can take a packet
	// between them.
	g, err := carp.New(carp.Config{VHID: 5, VIPs: []netip.Addr{vip(5), netip.MustParseAddr("2001:db8::5")}, Password: password,
		Source: netip.MustParseAddr("192.0.2.201"), Source6: netip.MustParseAddr("fe80::1"),
		SubSecond: true, AdvSkew: 1, DeadRatio: 1, Transport: p})
	require.NoError(t, err)
	require.NoError(t, g.Start())
	// An advert every 1/256 s: hundreds of sends race hundreds of
	// deliveries. A deadlock blocks Stats too, so wait from a goroutine.
	heard := make(chan struct{})
	go func() {
		for g.Stats().AdvertsReceived < 200 {
			time.Sleep(10 * time.Millisecond)
		}
		close(heard)
	}()
	select {
	case <-heard:
	case <-time.After(10 * time.Second): // correctness bound, not a timing claim
		t.Fatal("the group stopped: sender and reader wait for each other")
	}
	done := make(chan struct{})
	go func() {
		_ = g.Close()
		_ = l.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close deadlocked")
	}
}
