//go:build linux

package arp_test

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/arp"
	"github.com/gocarp/gocarp/internal/netns"
)

const waitTimeout = 5 * time.Second

func newAnnouncer(t *testing.T, h *netns.Host, mac net.HardwareAddr) *arp.Announcer {
	t.Helper()
	var (
		a   *arp.Announcer
		err error
	)
	h.Run(t, func() { a, err = arp.NewAnnouncer(h.Interface, mac) })
	if errors.Is(err, os.ErrPermission) {
		t.Skipf("arp: %v: try CAP_NET_RAW", err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// etherType matches frames of one EtherType.
func etherType(et uint16) func([]byte) bool {
	return func(f []byte) bool { return len(f) >= 14 && binary.BigEndian.Uint16(f[12:]) == et }
}

func TestAnnounceOnWire(t *testing.T) {
	netns.Available(t)
	lan := netns.NewLAN(t, "garp", 2)
	a, b := lan.Hosts[0], lan.Hosts[1]
	wire := b.Capture(t)
	arps, nas := etherType(0x0806), etherType(0x86dd)
	ann := newAnnouncer(t, a, nil)
	require.Equal(t, a.MAC, ann.HardwareAddr())

	vip4 := netip.MustParseAddr("198.51.100.100")
	vip6 := netip.MustParseAddr("2001:db8::100")
	require.NoError(t, ann.Announce([]netip.Addr{vip4, vip6}))

	wantARP, err := arp.GratuitousARP(a.MAC, vip4)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(wire.Frames(arps)) >= 1 }, waitTimeout, time.Millisecond)
	require.Equal(t, [][]byte{wantARP}, wire.Frames(arps))

	wantNA, err := arp.NeighborAdvertisement(a.MAC, vip6, netip.Addr{}, false)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		for _, f := range wire.Frames(nas) {
			if string(f) == string(wantNA) {
				return true
			}
		}
		return false
	}, waitTimeout, time.Millisecond)
}

// TestAnnounceUpdatesNeighbors gives B a neighbour entry for each VIP
// pointing at a wrong MAC; A's announcement must move it to A's MAC (or to
// the announced virtual MAC). For IPv6 the entry is STALE or REACHABLE: an
// advertisement without the Override flag would leave the address alone
// (RFC 4861 §7.2.5), so this checks the flag as the kernel reads it, along
// with the Router flag it copies into the entry. The kernel validates the
// frames on the way.
func TestAnnounceUpdatesNeighbors(t *testing.T) {
	netns.Available(t)
	tests := []struct {
		name      string
		mac       net.HardwareAddr // nil = interface's
		nud       string
		linkLocal bool // NA from A's link-local address instead of the VIP
		router    bool
	}{
		{"InterfaceMAC", nil, "stale", false, false},
		{"VirtualMAC", mac("00:00:5e:00:01:2a"), "stale", false, false},
		{"Reachable", nil, "reachable", false, false},
		{"FromLinkLocal", nil, "stale", true, false},
		{"Router", mac("00:00:5e:00:01:2a"), "stale", true, true},
	}
	vips := []netip.Addr{netip.MustParseAddr("198.51.100.100"), netip.MustParseAddr("2001:db8::100")}
	stale := "02:00:00:00:ff:ff"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lan := netns.NewLAN(t, "neigh", 2)
			a, b := lan.Hosts[0], lan.Hosts[1]
			want := tt.mac
			if want == nil {
				want = a.MAC
			}
			for _, vip := range vips {
				b.Exec(t, "ip", "neigh", "replace", vip.String(), "lladdr", stale, "dev", "eth0", "nud", tt.nud)
				got, ok := b.Neighbor(vip)
				require.True(t, ok)
				require.Equal(t, mac(stale), got)
			}
			ann := newAnnouncer(t, a, tt.mac)
			ann.Router = tt.router
			if tt.linkLocal {
				ll, err := a.LinkLocal()
				require.NoError(t, err)
				ann.Source = ll
			}
			require.NoError(t, ann.Announce(vips))
			for _, vip := range vips {
				require.Eventually(t, func() bool {
					got, ok := b.Neighbor(vip)
					return ok && got.String() == want.String()
				}, waitTimeout, time.Millisecond, "neighbour entry for %s", vip)
			}
			entry := b.Exec(t, "ip", "-6", "neigh", "show", vips[1].String(), "dev", "eth0")
			require.Contains(t, entry, "lladdr "+want.String())
			require.Equal(t, tt.router, strings.Contains(entry, " router"), "router flag in %q", entry)
		})
	}
}

// TestAnnounceRouterPerCall flips Announcer.Router between announcements:
// each one carries the value of its call, as B's neighbour entry shows.
func TestAnnounceRouterPerCall(t *testing.T) {
	netns.Available(t)
	lan := netns.NewLAN(t, "router", 2)
	a, b := lan.Hosts[0], lan.Hosts[1]
	vip := netip.MustParseAddr("2001:db8::100")
	b.Exec(t, "ip", "neigh", "replace", vip.String(), "lladdr", "02:00:00:00:ff:ff", "dev", "eth0", "nud", "stale")
	ann := newAnnouncer(t, a, nil)
	for _, router := range []bool{true, false, true} {
		ann.Router = router
		require.NoError(t, ann.Announce([]netip.Addr{vip}))
		require.Eventually(t, func() bool {
			entry := b.Exec(t, "ip", "-6", "neigh", "show", vip.String(), "dev", "eth0")
			return strings.Contains(entry, "lladdr "+a.MAC.String()) && strings.Contains(entry, " router") == router
		}, waitTimeout, 10*time.Millisecond, "router flag %v", router)
	}
}

func TestAnnounceErrors(t *testing.T) {
	netns.Available(t)
	lan := netns.NewLAN(t, "annerr", 1)
	h := lan.Hosts[0]
	h.Run(t, func() {
		_, err := arp.NewAnnouncer("nonexistent0", nil)
		require.Error(t, err)
		_, err = arp.NewAnnouncer(h.Interface, net.HardwareAddr{1, 2, 3})
		require.ErrorIs(t, err, arp.ErrBadMAC)
	})
	ann := newAnnouncer(t, h, nil)
	// A bad VIP fails alone; the good one still goes out.
	err := ann.Announce([]netip.Addr{{}, netip.MustParseAddr("198.51.100.100")})
	require.ErrorIs(t, err, arp.ErrNotIPv6)
	require.NoError(t, ann.Close())
	require.NoError(t, ann.Close())
	require.ErrorIs(t, ann.Announce([]netip.Addr{netip.MustParseAddr("198.51.100.100")}), net.ErrClosed)
}
