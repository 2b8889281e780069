package netif_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/netns"
	"github.com/gocarp/gocarp/netif"
)

// newNSManager builds a manager on h's eth0 with opts applied.
func newNSManager(t *testing.T, h *netns.Host, ns *netif.Namespace, opts ...func(*netif.VIPConfig)) *netif.VIPManager {
	t.Helper()
	cfg := netif.VIPConfig{Interface: h.Interface, Namespace: ns}
	for _, o := range opts {
		o(&cfg)
	}
	m, err := netif.NewVIPManager(cfg)
	require.NoError(t, err)
	return m
}

func addSet(t *testing.T, m *netif.VIPManager, vips ...string) *netif.VIPSet {
	t.Helper()
	var ps []netip.Prefix
	for _, v := range vips {
		ps = append(ps, netip.MustParsePrefix(v))
	}
	s, err := m.Add(ps)
	require.NoError(t, err)
	return s
}

// hasAll reports whether every VIP of s is on h's interface (want true) or
// none is (want false).
func hasAll(h *netns.Host, s *netif.VIPSet, want bool) bool {
	for _, v := range s.VIPs() {
		if h.HasAddr(v.Addr()) != want {
			return false
		}
	}
	return true
}

func TestVIPManagerMasterBackup(t *testing.T) {
	tests := []struct {
		name string
		vips []string
		want []string // as ip shows them
	}{
		{"IPv4", []string{"192.0.2.100/32"}, []string{"inet 192.0.2.100/32"}},
		{"IPv6", []string{"2001:db8::100/128"}, []string{"inet6 2001:db8::100/128"}},
		{"both families, several", []string{"192.0.2.100/32", "203.0.113.9/32", "2001:db8::100/128", "fe80::100/128"},
			[]string{"inet 192.0.2.100/32", "inet 203.0.113.9/32", "inet6 2001:db8::100/128", "inet6 fe80::100/128"}},
		{"prefixes", []string{"192.0.2.100/24", "2001:db8::100/64"},
			[]string{"inet 192.0.2.100/24", "inet6 2001:db8::100/64"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ns := newHost(t, "vipmb")
			// With DAD on, an IPv6 VIP added without NODAD would be
			// tentative for a second or more.
			h.Exec(t, "sysctl", "-q", "-w", "net.ipv6.conf."+h.Interface+".accept_dad=1")
			m := newNSManager(t, h, ns)
			s := addSet(t, m, tt.vips...)
			stop := startManager(t, m)

			s.SetMaster(true)
			require.Eventually(t, func() bool { return hasAll(h, s, true) }, waitFor, tick, "VIPs appear when MASTER")
			for _, w := range tt.want {
				family, prefix, _ := strings.Cut(w, " ")
				line := ipAddrLine(t, h, prefix)
				require.NotEmpty(t, line, "ip shows %s", w)
				require.Contains(t, line, " "+family+" ")
				if family == "inet6" {
					require.Contains(t, line, " nodad", "IPv6 VIP skips DAD")
					require.NotContains(t, line, "tentative", "usable at once")
				}
			}
			s.SetMaster(false)
			require.Eventually(t, func() bool { return hasAll(h, s, false) }, waitFor, tick, "VIPs go when BACKUP")
			require.True(t, h.HasAddr(h.Addr.Addr()), "the host's own address stays")

			require.NoError(t, stop())
			n := uint64(len(tt.vips))
			want := netif.VIPStats{Adds: n, Removes: n}
			require.Equal(t, want, m.Stats())
			require.Equal(t, want, s.Stats())
		})
	}
}

// A VIP with a prefix shorter than the host's gets the connected route the
// kernel makes for it, as "ip addr add 203.0.113.100/24" in a script would.
func TestVIPManagerConnectedRoute(t *testing.T) {
	h, ns := newHost(t, "route")
	m := newNSManager(t, h, ns)
	s := addSet(t, m, "203.0.113.100/24", "2001:db8:1::100/64")
	startManager(t, m)
	routes := func() string {
		return h.Exec(t, "ip", "route", "show", "dev", h.Interface) + h.Exec(t, "ip", "-6", "route", "show", "dev", h.Interface)
	}
	require.NotContains(t, routes(), "203.0.113.0/24")

	s.SetMaster(true)
	require.Eventually(t, func() bool {
		r := routes()
		return strings.Contains(r, "203.0.113.0/24 proto kernel scope link src 203.0.113.100") &&
			strings.Contains(r, "2001:db8:1::/64 proto kernel")
	}, waitFor, tick, "connected routes come with the VIPs")

	s.SetMaster(false)
	require.Eventually(t, func() bool {
		r := routes()
		return !strings.Contains(r, "203.0.113.0/24") && !strings.Contains(r, "2001:db8:1::/64")
	}, waitFor, tick, "and go with them")
}

// Two groups on one interface, one manager: each set follows its own
// owner, and the counters are per set.
func TestVIPManagerSetsAreIndependent(t *testing.T) {
	h, ns := newHost(t, "sets")
	m := newNSManager(t, h, ns)
	a := addSet(t, m, "192.0.2.10/32", "2001:db8::10/128")
	b := addSet(t, m, "192.0.2.20/24")
	stop := startManager(t, m)

	a.SetMaster(true)
	b.SetMaster(false)
	require.Eventually(t, func() bool { return hasAll(h, a, true) }, waitFor, tick)
	require.True(t, hasAll(h, b, false))

	a.SetMaster(false)
	b.SetMaster(true)
	require.Eventually(t, func() bool { return hasAll(h, a, false) && hasAll(h, b, true) }, waitFor, tick)

	a.SetMaster(true)
	require.Eventually(t, func() bool { return hasAll(h, a, true) }, waitFor, tick)
	require.True(t, hasAll(h, b, true), "b untouched by a's changes")

	require.NoError(t, stop())
	require.True(t, hasAll(h, a, false) && hasAll(h, b, false), "shutdown takes every set's VIPs off")
	require.Equal(t, netif.VIPStats{Adds: 4, Removes: 4}, a.Stats())
	require.Equal(t, netif.VIPStats{Adds: 1, Removes: 1}, b.Stats())
	require.Equal(t, netif.VIPStats{Adds: 5, Removes: 5}, m.Stats())
}

func TestVIPManagerReaddsRemovedVIP(t *testing.T) {
	tests := []struct {
		name   string
		prefix string
	}{
		{"IPv4", "192.0.2.100/32"},
		{"IPv4 with prefix", "203.0.113.100/24"},
		{"IPv6", "2001:db8::100/128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ns := newHost(t, "readd")
			var logs logBuffer
			m := newNSManager(t, h, ns, func(c *netif.VIPConfig) {
				c.Logger = bufLogger(&logs)
				// Far beyond the test's deadline: the re-add must come from
				// the address notification, not from the resync.
				c.ResyncInterval = time.Hour
			})
			other := addSet(t, m, "192.0.2.200/32")
			s := addSet(t, m, tt.prefix)
			vip := s.VIPs()[0].Addr()
			startManager(t, m)
			other.SetMaster(true)
			s.SetMaster(true)
			require.Eventually(t, func() bool { return h.HasAddr(vip) && hasAll(h, other, true) }, waitFor, tick)

			for round := uint64(1); round <= 3; round++ {
				h.Exec(t, "ip", "addr", "del", tt.prefix, "dev", h.Interface)
				require.Eventually(t, func() bool {
					return s.Stats().Readds == round && h.HasAddr(vip)
				}, waitFor, tick, "round %d: VIP re-added", round)
			}
			require.Contains(t, logs.String(), "VIP removed while MASTER, re-adding")
			require.Contains(t, logs.String(), "level=WARN")
			require.Contains(t, logs.String(), "interface="+h.Interface)
			require.Contains(t, logs.String(), "vip="+tt.prefix)
			require.Equal(t, netif.VIPStats{Adds: 4, Readds: 3}, s.Stats())
			require.Equal(t, netif.VIPStats{Adds: 1}, other.Stats(), "the other set untouched")
		})
	}
}

func TestVIPSetRemove(t *testing.T) {
	h, ns := newHost(t, "remove")
	m := newNSManager(t, h, ns)
	master := addSet(t, m, "192.0.2.10/32", "2001:db8::10/128")
	backup := addSet(t, m, "192.0.2.20/32")
	neutral := addSet(t, m, "192.0.2.30/32")
	stay := addSet(t, m, "192.0.2.40/32")
	// A script added these: a set holds only what it saw while MASTER.
	require.NoError(t, h.AddrAdd(netip.MustParsePrefix("192.0.2.30/32")))
	startManager(t, m)
	master.SetMaster(true)
	backup.SetMaster(false)
	stay.SetMaster(true)
	require.Eventually(t, func() bool { return hasAll(h, master, true) && hasAll(h, stay, true) }, waitFor, tick)

	master.Remove()
	require.Eventually(t, func() bool {
		return hasAll(h, master, false) && master.Stats().Removes == 2
	}, waitFor, tick, "a removed MASTER set's VIPs go")

	backup.Remove()
	neutral.Remove()
	// The VIPs can go into a new set at once; its MASTER wins.
	again := addSet(t, m, "192.0.2.10/24")
	again.SetMaster(true)
	require.Eventually(t, func() bool { return hasAll(h, again, true) }, waitFor, tick)
	require.Contains(t, ipAddrLine(t, h, "192.0.2.10/24"), "inet ", "added with the new set's prefix")

	// The removals are done (the add came after them): a removed set wants
	// nothing, so an address a script adds now stays. A re-add of one of
	// stay's VIPs marks a reconcile after the script's add.
	require.NoError(t, h.AddrAdd(netip.MustParsePrefix("192.0.2.20/32")))
	require.NoError(t, h.AddrDel(netip.MustParsePrefix("192.0.2.40/32")))
	require.Eventually(t, func() bool { return stay.Stats().Readds == 1 && hasAll(h, stay, true) }, waitFor, tick)
	require.True(t, h.HasAddr(netip.MustParseAddr("192.0.2.20")), "a removed BACKUP set held nothing")
	require.True(t, h.HasAddr(netip.MustParseAddr("192.0.2.30")), "a removed neutral set held nothing")
	require.True(t, hasAll(h, stay, true), "the other sets untouched")
	require.Zero(t, m.Stats().Errors)
}

func TestVIPManagerShutdownRemovesVIPs(t *testing.T) {
	h, ns := newHost(t, "shut")
	m := newNSManager(t, h, ns)
	s := addSet(t, m, "198.51.100.200/32", "2001:db8::100/128")
	stop := startManager(t, m)
	s.SetMaster(true)
	require.Eventually(t, func() bool { return hasAll(h, s, true) }, waitFor, tick)

	require.NoError(t, stop())
	// Run has returned: the removal is done, not pending.
	require.True(t, hasAll(h, s, false))
	require.True(t, h.HasAddr(h.Addr.Addr()), "the host's own address stays")
	require.Equal(t, uint64(2), m.Stats().Removes)
	require.ErrorIs(t, m.Run(context.Background()), netif.ErrRunning)
}

func TestVIPManagerNeutralLeavesInterfaceAlone(t *testing.T) {
	h, ns := newHost(t, "neutral")
	vip := netip.MustParsePrefix("192.0.2.100/32")
	require.NoError(t, h.AddrAdd(vip))
	m := newNSManager(t, h, ns, func(c *netif.VIPConfig) { c.ResyncInterval = 10 * time.Millisecond })
	addSet(t, m, vip.String())
	stop := startManager(t, m)
	require.NoError(t, stop())
	require.True(t, h.HasAddr(vip.Addr()), "SetMaster never called: VIP untouched, also at shutdown")
	require.Equal(t, netif.VIPStats{}, m.Stats())
}

// A VIP already present is adopted, not an error; as BACKUP it is removed
// whatever prefix length it was added with (a script's /24, say).
func TestVIPManagerExistingAddresses(t *testing.T) {
	h, ns := newHost(t, "exist")
	require.NoError(t, h.AddrAdd(netip.MustParsePrefix("192.0.2.100/32")))
	require.NoError(t, h.AddrAdd(netip.MustParsePrefix("203.0.113.7/24")))
	adopted, leftover := netip.MustParseAddr("192.0.2.100"), netip.MustParseAddr("203.0.113.7")

	var logs logBuffer
	m := newNSManager(t, h, ns, func(c *netif.VIPConfig) { c.Logger = bufLogger(&logs) })
	s := addSet(t, m, "192.0.2.100/32", "203.0.113.7/32")
	stop := startManager(t, m)
	s.SetMaster(true)
	require.Eventually(t, func() bool {
		return strings.Count(logs.String(), "VIP already on interface") == 2
	}, waitFor, tick)
	// A deleted adopted VIP counts as a re-add: the manager holds it.
	h.Exec(t, "ip", "addr", "del", "192.0.2.100/32", "dev", h.Interface)
	require.Eventually(t, func() bool { return m.Stats().Readds == 1 && h.HasAddr(adopted) }, waitFor, tick)

	s.SetMaster(false)
	require.Eventually(t, func() bool { return !h.HasAddr(adopted) && !h.HasAddr(leftover) }, waitFor, tick)
	require.NoError(t, stop())
	st := m.Stats()
	require.Zero(t, st.Errors)
	require.Equal(t, uint64(1), st.Adds, "only the re-add; the present ones were adopted")
	require.Equal(t, uint64(2), st.Removes)
}

// With no interface yet, errors are logged and retried; the VIP appears
// once the interface does, through the periodic resync (adding a link
// brings no address notification).
func TestVIPManagerRetriesUntilInterfaceExists(t *testing.T) {
	h, ns := newHost(t, "late")
	var logs logBuffer
	m, err := netif.NewVIPManager(netif.VIPConfig{
		Interface: "vip0", Namespace: ns,
		Logger: bufLogger(&logs), ResyncInterval: 20 * time.Millisecond,
	})
	require.NoError(t, err)
	s := addSet(t, m, "192.0.2.100/32")
	startManager(t, m)
	s.SetMaster(true)
	require.Eventually(t, func() bool { return m.Stats().Errors >= 2 }, waitFor, tick, "failures counted, retried")
	require.Contains(t, logs.String(), "cannot look up interface")
	require.Contains(t, logs.String(), "interface=vip0")

	addLink(t, h, "vip0")
	require.Eventually(t, func() bool {
		return strings.Contains(h.Exec(t, "ip", "-o", "addr", "show", "dev", "vip0"), " 192.0.2.100/32 ")
	}, waitFor, tick)
}
