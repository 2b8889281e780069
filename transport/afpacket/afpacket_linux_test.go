//go:build linux

package afpacket_test

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/netns"
	"github.com/gocarp/gocarp/transport"
	"github.com/gocarp/gocarp/transport/afpacket"
	"github.com/gocarp/gocarp/transport/transporttest"
)

const waitTimeout = 5 * time.Second

var (
	ipv4Group = netip.MustParseAddr("224.0.0.18")
	ipv6Group = netip.MustParseAddr("ff02::12")
)

// listen opens a Conn inside h's namespace and closes it when the test ends.
func listen(t *testing.T, h *netns.Host, cfg afpacket.Config) *afpacket.Conn {
	t.Helper()
	if cfg.Interface == "" {
		cfg.Interface = h.Interface
	}
	var (
		c   *afpacket.Conn
		err error
	)
	h.Run(t, func() { c, err = afpacket.Listen(cfg) })
	if errors.Is(err, os.ErrPermission) {
		t.Skipf("afpacket: %v: try CAP_NET_RAW", err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestConformance(t *testing.T) {
	netns.Available(t)
	transporttest.Run(t, func(t *testing.T) (a, b transport.Transport, flush func()) {
		lan := netns.NewLAN(t, "conf", 2)
		cfg := afpacket.Config{Groups: []netip.Addr{ipv4Group, ipv6Group}}
		return listen(t, lan.Hosts[0], cfg), listen(t, lan.Hosts[1], cfg),
			func() { time.Sleep(time.Millisecond) }
	})
}

// sniffer captures every frame on a host's eth0, like tcpdump would.
type sniffer struct{ *netns.Capture }

func sniff(t *testing.T, h *netns.Host) *sniffer { return &sniffer{h.Capture(t)} }

// carp returns the captured frames carrying protocol 112.
func (s *sniffer) carp() [][]byte {
	return s.Frames(func(f []byte) bool {
		if len(f) < 14 {
			return false
		}
		switch binary.BigEndian.Uint16(f[12:]) {
		case 0x0800:
			return len(f) >= 34 && f[23] == 112
		case 0x86dd:
			return len(f) >= 54 && f[20] == 112
		}
		return false
	})
}

func (s *sniffer) waitCARP(t *testing.T, n int) [][]byte {
	t.Helper()
	require.Eventually(t, func() bool { return len(s.carp()) >= n }, waitTimeout, time.Millisecond)
	return s.carp()
}

func TestFrameOnWire(t *testing.T) {
	netns.Available(t)
	v4 := transporttest.IPv4Packet(netip.MustParseAddr("198.51.100.1"), 7)
	v6 := transporttest.IPv6Packet(netip.MustParseAddr("fe80::1"), 7)
	tests := []struct {
		name    string
		cfg     afpacket.Config
		pkt     []byte
		dst     string
		src     string // "" = host's MAC
		etherTy uint16
	}{
		{"IPv4", afpacket.Config{}, v4, "01:00:5e:00:00:12", "", 0x0800},
		{"IPv4VirtualMAC", afpacket.Config{SourceMAC: afpacket.VirtualMAC(42, false)}, v4, "01:00:5e:00:00:12", "00:00:5e:00:00:2a", 0x0800},
		{"IPv4NoMulticast", afpacket.Config{NoMulticast: true}, v4, "ff:ff:ff:ff:ff:ff", "", 0x0800},
		{"IPv6", afpacket.Config{Groups: []netip.Addr{ipv6Group}}, v6, "33:33:00:00:00:12", "", 0x86dd},
		{"IPv6BSDMAC", afpacket.Config{Groups: []netip.Addr{ipv6Group}, SourceMAC: afpacket.VirtualMAC(42, true)}, v6, "33:33:00:00:00:12", "00:00:5e:00:01:2a", 0x86dd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lan := netns.NewLAN(t, "wire", 2)
			a, b := lan.Hosts[0], lan.Hosts[1]
			s := sniff(t, b)
			c := listen(t, a, tt.cfg)
			src := a.MAC
			if tt.src != "" {
				src = mac(tt.src)
			}
			require.Equal(t, src, c.HardwareAddr())
			require.NoError(t, c.Send(tt.pkt))
			frames := s.waitCARP(t, 1)
			require.Len(t, frames, 1)
			f := frames[0]
			require.Equal(t, mac(tt.dst), net.HardwareAddr(f[0:6]), "destination")
			require.Equal(t, src, net.HardwareAddr(f[6:12]), "source")
			require.Equal(t, tt.etherTy, binary.BigEndian.Uint16(f[12:14]))
			require.Equal(t, tt.pkt, f[14:], "the IP packet as given")
		})
	}
}

// received is an IP packet as a Conn delivered it, split up.
type received struct {
	src, dst netip.Addr
	ttl, tos byte // TTL or hop limit, TOS or traffic class
	df       bool // IPv4 don't fragment
	payload  []byte
}

func parse(t *testing.T, pkt []byte) received {
	t.Helper()
	require.GreaterOrEqual(t, len(pkt), 20)
	if pkt[0]>>4 == 4 {
		require.Equal(t, byte(112), pkt[9], "protocol")
		hl := int(pkt[0]&0x0f) * 4
		return received{
			src: netip.AddrFrom4([4]byte(pkt[12:16])), dst: netip.AddrFrom4([4]byte(pkt[16:20])),
			ttl: pkt[8], tos: pkt[1], df: pkt[6]&0x40 != 0, payload: pkt[hl:],
		}
	}
	require.GreaterOrEqual(t, len(pkt), 40)
	require.Equal(t, byte(112), pkt[6], "next header")
	return received{
		src: netip.AddrFrom16([16]byte(pkt[8:24])), dst: netip.AddrFrom16([16]byte(pkt[24:40])),
		ttl: pkt[7], tos: pkt[0]<<4 | pkt[1]>>4, payload: pkt[40:],
	}
}

// record collects what c delivers; the returned function waits (bounded)
// for the nth packet and returns it.
func record(t *testing.T, c *afpacket.Conn) func(n int) []byte {
	t.Helper()
	var (
		mu   sync.Mutex
		pkts [][]byte
	)
	require.NoError(t, c.Listen(func(pkt []byte) {
		mu.Lock()
		pkts = append(pkts, append([]byte(nil), pkt...))
		mu.Unlock()
	}))
	return func(n int) []byte {
		t.Helper()
		get := func() [][]byte {
			mu.Lock()
			defer mu.Unlock()
			return pkts
		}
		require.Eventually(t, func() bool { return len(get()) >= n }, waitTimeout, time.Millisecond, "packet %d", n)
		require.Len(t, get(), n, "nothing else arrived")
		return get()[n-1]
	}
}

// unicast returns a CARP packet from src to dst; seq tells packets apart.
func unicast(src, dst netip.Addr, seq uint16) []byte {
	if src.Is4() {
		return withDst(transporttest.IPv4Packet(src, seq), dst)
	}
	return withDst(transporttest.IPv6Packet(src, seq), dst)
}

// TestUnicastLAN sends unicast adverts from A to B on one segment: B's Conn
// receives each with the sender's source, TTL/hop limit 255, TOS 0x10 and
// the CARP bytes unchanged, in a frame addressed to B's MAC (which the
// receive filter passes as PACKET_HOST).
func TestUnicastLAN(t *testing.T) {
	netns.Available(t)
	lan := netns.NewLAN(t, "ucast", 2)
	a, b := lan.Hosts[0], lan.Hosts[1]
	g1, g2 := netip.MustParsePrefix("2001:db8::1/64"), netip.MustParsePrefix("2001:db8::2/64")
	require.NoError(t, a.AddrAdd(g1))
	require.NoError(t, b.AddrAdd(g2))
	llA, err := a.LinkLocal()
	require.NoError(t, err)
	llB, err := b.LinkLocal()
	require.NoError(t, err)
	wire := sniff(t, b)
	// NoMulticast on A: unicast does not depend on the multicast setup.
	ca := listen(t, a, afpacket.Config{NoMulticast: true})
	cb := listen(t, b, afpacket.Config{})
	next := record(t, cb)

	tests := []struct {
		name     string
		src, dst netip.Addr
	}{
		{"IPv4", a.Addr.Addr(), b.Addr.Addr()},
		{"IPv6LinkLocal", llA, llB},
		{"IPv6Global", g1.Addr(), g2.Addr()},
		{"IPv6LinkLocalToGlobal", llA, g2.Addr()},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkt := unicast(tt.src, tt.dst, uint16(i))
			require.NoError(t, ca.Send(pkt))
			got := parse(t, next(i+1))
			sent := parse(t, pkt)
			require.Equal(t, tt.src, got.src)
			require.Equal(t, tt.dst, got.dst)
			require.Equal(t, byte(255), got.ttl)
			require.Equal(t, byte(0x10), got.tos)
			require.Equal(t, sent.payload, got.payload, "CARP bytes unchanged")
			require.Len(t, got.payload, 36)
			if tt.src.Is4() {
				require.True(t, got.df, "DF, as multicast adverts carry")
			}
			frames := wire.waitCARP(t, i+1)
			require.Equal(t, b.MAC, net.HardwareAddr(frames[i][0:6]), "to B's MAC")
			require.Equal(t, a.MAC, net.HardwareAddr(frames[i][6:12]))
		})
	}
}

// TestUnicastRouted sends from a host on one subnet to a peer on another,
// through the router: the peer's Conn receives the packet with TTL (hop
// limit) 254, one hop spent, from the router's MAC.
func TestUnicastRouted(t *testing.T) {
	netns.Available(t)
	r := netns.NewRoutedLANs(t, "route", 1)
	a, b := r.LANs[0].Hosts[0], r.LANs[1].Hosts[0]
	wire := sniff(t, b)
	ca := listen(t, a, afpacket.Config{Groups: []netip.Addr{ipv4Group, ipv6Group}})
	cb := listen(t, b, afpacket.Config{Groups: []netip.Addr{ipv4Group, ipv6Group}})
	next := record(t, cb)
	tests := []struct {
		name     string
		src, dst netip.Addr
	}{
		{"IPv4", a.Addr.Addr(), b.Addr.Addr()},
		{"IPv6", a.Addr6.Addr(), b.Addr6.Addr()},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkt := unicast(tt.src, tt.dst, uint16(i))
			require.NoError(t, ca.Send(pkt))
			got := parse(t, next(i+1))
			require.Equal(t, tt.src, got.src)
			require.Equal(t, tt.dst, got.dst)
			require.Equal(t, byte(254), got.ttl, "one router on the way")
			require.Equal(t, parse(t, pkt).payload, got.payload)
			frames := wire.waitCARP(t, i+1)
			require.Equal(t, r.Router[1].MAC, net.HardwareAddr(frames[i][6:12]), "forwarded by the router")
		})
	}
}

func TestUnicastErrors(t *testing.T) {
	netns.Available(t)
	lan := netns.NewLAN(t, "uerr", 2) // no default routes
	a, b := lan.Hosts[0], lan.Hosts[1]
	c := listen(t, a, afpacket.Config{})
	ll, err := a.LinkLocal()
	require.NoError(t, err)
	tests := []struct {
		name     string
		src, dst netip.Addr
		err      error
		says     string
	}{
		{"IPv4NoRoute", a.Addr.Addr(), netip.MustParseAddr("203.0.113.1"), afpacket.ErrNoRoute, "203.0.113.1"},
		{"IPv6NoRoute", ll, netip.MustParseAddr("2001:db8:2::1"), afpacket.ErrNoRoute, "2001:db8:2::1"},
		// Linux finds no route from an address that is not ours.
		{"IPv4SourceNotOurs", netip.MustParseAddr("192.0.2.1"), b.Addr.Addr(), afpacket.ErrNoRoute, "198.51.100.2 from 192.0.2.1"},
		{"IPv6SourceNotOurs", netip.MustParseAddr("2001:db8::99"), netip.MustParseAddr("fe80::2"), nil, "fe80::2 from 2001:db8::99"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Send(unicast(tt.src, tt.dst, uint16(i)))
			require.Error(t, err)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
			}
			require.Contains(t, err.Error(), tt.says)
		})
	}

	t.Run("LinkDown", func(t *testing.T) {
		pkt := unicast(a.Addr.Addr(), b.Addr.Addr(), 9)
		require.NoError(t, c.Send(pkt))
		require.NoError(t, a.SetPortUp(false))
		require.Eventually(t, func() bool { return errors.Is(c.Send(pkt), transport.ErrLinkDown) }, waitTimeout, time.Millisecond)
		require.NoError(t, a.SetPortUp(true))
		require.Eventually(t, func() bool { return c.Send(pkt) == nil }, waitTimeout, time.Millisecond)
	})
}

// TestUnicastWhereMulticastIsFiltered drops the CARP groups in the switch,
// as some clouds and hypervisors do, with nftables on the bridge (a rule in
// B's own input would come too late: packet sockets see frames before
// netfilter). Multicast adverts stop there, counted by the rules; unicast
// ones still arrive.
func TestUnicastWhereMulticastIsFiltered(t *testing.T) {
	netns.Available(t)
	lan := netns.NewLAN(t, "mfilt", 2)
	a, b := lan.Hosts[0], lan.Hosts[1]
	dropped := lan.DropCARPMulticast(t)
	d4, d6 := dropped()
	require.Equal(t, [2]uint64{0, 0}, [2]uint64{d4, d6})

	llA, err := a.LinkLocal()
	require.NoError(t, err)
	llB, err := b.LinkLocal()
	require.NoError(t, err)
	cfg := afpacket.Config{Groups: []netip.Addr{ipv4Group, ipv6Group}}
	ca, cb := listen(t, a, cfg), listen(t, b, cfg)
	next := record(t, cb)

	require.NoError(t, ca.Send(transporttest.IPv4Packet(a.Addr.Addr(), 1)))
	require.NoError(t, ca.Send(transporttest.IPv6Packet(llA, 2)))
	require.Eventually(t, func() bool {
		v4, v6 := dropped()
		return v4 == 1 && v6 == 1
	}, waitTimeout, time.Millisecond, "multicast dropped in the switch")

	// Sent after the dropped ones: arriving first and alone, they show the
	// multicast ones never came through.
	v4, v6 := unicast(a.Addr.Addr(), b.Addr.Addr(), 3), unicast(llA, llB, 4)
	require.NoError(t, ca.Send(v4))
	require.Equal(t, parse(t, v4).payload, parse(t, next(1)).payload)
	require.NoError(t, ca.Send(v6))
	require.Equal(t, parse(t, v6).payload, parse(t, next(2)).payload)
}

// maddr returns ip maddr for eth0 in h.
func maddr(t *testing.T, h *netns.Host) string {
	t.Helper()
	return h.Exec(t, "ip", "maddr", "show", "dev", "eth0")
}

func TestMembership(t *testing.T) {
	netns.Available(t)
	tests := []struct {
		name   string
		cfg    afpacket.Config
		joined []string
		absent []string
	}{
		{"Default", afpacket.Config{}, []string{"inet  224.0.0.18", "01:00:5e:00:00:12"}, []string{"ff02::12"}},
		{"Both", afpacket.Config{Groups: []netip.Addr{ipv4Group, ipv6Group}}, []string{"inet  224.0.0.18", "inet6 ff02::12", "33:33:00:00:00:12"}, nil},
		{"OtherGroup", afpacket.Config{Groups: []netip.Addr{netip.MustParseAddr("239.192.0.1")}}, []string{"inet  239.192.0.1", "01:00:5e:40:00:01"}, []string{"224.0.0.18"}},
		{"NoMulticast", afpacket.Config{NoMulticast: true}, nil, []string{"224.0.0.18", "ff02::12"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lan := netns.NewLAN(t, "join", 1)
			h := lan.Hosts[0]
			c := listen(t, h, tt.cfg)
			out := maddr(t, h)
			for _, s := range tt.joined {
				require.Contains(t, out, s)
			}
			for _, s := range tt.absent {
				require.NotContains(t, out, s)
			}
			if len(tt.joined) > 0 && tt.joined[0] == "inet  224.0.0.18" {
				// The IGMP view: group 224.0.0.18 as the kernel prints it.
				igmp := h.Exec(t, "cat", "/proc/net/igmp")
				require.Contains(t, igmp, "120000E0")
			}
			require.NoError(t, c.Close())
			out = maddr(t, h)
			for _, s := range tt.joined {
				if strings.HasPrefix(s, "inet") {
					require.NotContains(t, out, s, "left on Close")
				}
			}
		})
	}
}

// TestMembershipSocketQueuesNothing sends adverts to a host and checks that
// the raw IP sockets holding its memberships queue none of them.
func TestMembershipSocketQueuesNothing(t *testing.T) {
	netns.Available(t)
	lan := netns.NewLAN(t, "rawq", 2)
	a, b := lan.Hosts[0], lan.Hosts[1]
	cfg := afpacket.Config{Groups: []netip.Addr{ipv4Group, ipv6Group}}
	ca, cb := listen(t, a, cfg), listen(t, b, cfg)
	var mu sync.Mutex
	n := 0
	require.NoError(t, ca.Listen(func([]byte) {
		mu.Lock()
		n++
		mu.Unlock()
	}))
	ll, err := b.LinkLocal()
	require.NoError(t, err)
	const sent = 10
	for i := range sent / 2 {
		require.NoError(t, cb.Send(transporttest.IPv4Packet(b.Addr.Addr(), uint16(i))))
		require.NoError(t, cb.Send(transporttest.IPv6Packet(ll, uint16(i))))
	}
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return n == sent
	}, waitTimeout, time.Millisecond)

	for _, table := range []string{"/proc/net/raw", "/proc/net/raw6"} {
		lines := strings.Split(strings.TrimSpace(a.Exec(t, "cat", table)), "\n")[1:]
		found := 0
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) < 5 || !strings.HasSuffix(f[1], ":0070") { // local port = protocol 112
				continue
			}
			found++
			require.Equal(t, "00000000:00000000", f[4], "%s: tx_queue:rx_queue of %s", table, l)
		}
		require.Equal(t, 1, found, "%s: one membership socket", table)
	}
}

func TestBadGroup(t *testing.T) {
	netns.Available(t)
	lan := netns.NewLAN(t, "badgrp", 1)
	lan.Hosts[0].Run(t, func() {
		_, err := afpacket.Listen(afpacket.Config{Interface: "eth0", Groups: []netip.Addr{netip.MustParseAddr("198.51.100.9")}})
		require.ErrorIs(t, err, afpacket.ErrBadGroup)
		_, err = afpacket.Listen(afpacket.Config{Interface: "nonexistent0"})
		require.Error(t, err)
	})
}

// TestOwnFramesNotDelivered runs two Conns on one host: neither may see the
// other's (or its own) transmissions, which reach packet sockets as
// PACKET_OUTGOING, while both see a peer's.
func TestOwnFramesNotDelivered(t *testing.T) {
	netns.Available(t)
	lan := netns.NewLAN(t, "own", 2)
	a, b := lan.Hosts[0], lan.Hosts[1]
	type rec struct {
		mu   sync.Mutex
		pkts [][]byte
	}
	record := func(c *afpacket.Conn) *rec {
		r := &rec{}
		require.NoError(t, c.Listen(func(pkt []byte) {
			r.mu.Lock()
			r.pkts = append(r.pkts, append([]byte(nil), pkt...))
			r.mu.Unlock()
		}))
		return r
	}
	get := func(r *rec) [][]byte {
		r.mu.Lock()
		defer r.mu.Unlock()
		return append([][]byte(nil), r.pkts...)
	}
	a1, a2 := listen(t, a, afpacket.Config{}), listen(t, a, afpacket.Config{})
	bc := listen(t, b, afpacket.Config{})
	r1, r2, rb := record(a1), record(a2), record(bc)

	own1 := transporttest.IPv4Packet(a.Addr.Addr(), 1)
	own2 := transporttest.IPv4Packet(a.Addr.Addr(), 2)
	peer := transporttest.IPv4Packet(b.Addr.Addr(), 3)
	require.NoError(t, a1.Send(own1))
	require.NoError(t, a2.Send(own2))
	require.NoError(t, bc.Send(peer))

	require.Eventually(t, func() bool { return len(get(rb)) >= 2 && len(get(r1)) >= 1 && len(get(r2)) >= 1 },
		waitTimeout, time.Millisecond)
	time.Sleep(20 * time.Millisecond) // let a wrongly looped copy arrive
	require.Equal(t, [][]byte{peer}, get(r1))
	require.Equal(t, [][]byte{peer}, get(r2))
	require.ElementsMatch(t, [][]byte{own1, own2}, get(rb))
}

func TestLinkDown(t *testing.T) {
	netns.Available(t)
	lan := netns.NewLAN(t, "carrier", 2)
	a := lan.Hosts[0]
	c := listen(t, a, afpacket.Config{})
	pkt := transporttest.IPv4Packet(a.Addr.Addr(), 1)
	require.NoError(t, c.Send(pkt))

	require.NoError(t, a.SetPortUp(false))
	require.Eventually(t, func() bool { return errors.Is(c.Send(pkt), transport.ErrLinkDown) }, waitTimeout, time.Millisecond)

	require.NoError(t, a.SetPortUp(true))
	require.Eventually(t, func() bool { return c.Send(pkt) == nil }, waitTimeout, time.Millisecond)

	a.Exec(t, "ip", "link", "set", "eth0", "down")
	require.ErrorIs(t, c.Send(pkt), transport.ErrLinkDown)
	a.Exec(t, "ip", "link", "set", "eth0", "up")
	require.Eventually(t, func() bool { return c.Send(pkt) == nil }, waitTimeout, time.Millisecond)
}

// TestReceiveAfterLinkFlap checks that the read goroutine survives the
// interface going down and up.
func TestReceiveAfterLinkFlap(t *testing.T) {
	netns.Available(t)
	lan := netns.NewLAN(t, "flap", 2)
	a, b := lan.Hosts[0], lan.Hosts[1]
	ca, cb := listen(t, a, afpacket.Config{}), listen(t, b, afpacket.Config{})
	got := make(chan []byte, 16)
	require.NoError(t, cb.Listen(func(pkt []byte) { got <- append([]byte(nil), pkt...) }))

	b.Exec(t, "ip", "link", "set", "eth0", "down")
	b.Exec(t, "ip", "link", "set", "eth0", "up")
	pkt := transporttest.IPv4Packet(a.Addr.Addr(), 9)
	deadline := time.After(waitTimeout)
	for {
		require.NoError(t, ca.Send(pkt))
		select {
		case p := <-got:
			require.Equal(t, pkt, p)
			return
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			require.FailNow(t, "nothing received after the link came back")
		}
	}
}

func TestAddrs(t *testing.T) {
	netns.Available(t)
	lan := netns.NewLAN(t, "addrs", 1)
	h := lan.Hosts[0]
	c := listen(t, h, afpacket.Config{})
	ll, err := h.LinkLocal()
	require.NoError(t, err)
	require.Contains(t, c.Addrs(), h.Addr.Addr())
	require.Contains(t, c.Addrs(), ll)

	vip := netip.MustParsePrefix("2001:db8::100/64")
	require.NoError(t, h.AddrAdd(vip))
	// Asked from the test's goroutine, outside the namespace: still h's.
	require.Contains(t, c.Addrs(), vip.Addr())
	require.NoError(t, c.Close())
	require.Nil(t, c.Addrs())
}
