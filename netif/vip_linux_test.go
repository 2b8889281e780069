package netif_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/netif"
)

func TestVIPManagerMasterBackup(t *testing.T) {
	tests := []struct {
		name       string
		vips       []string
		prefixLen4 int
		prefixLen6 int
		want       []string // as ip shows them
	}{
		{"IPv4", []string{"192.0.2.100"}, 0, 0, []string{"inet 192.0.2.100/32"}},
		{"IPv6", []string{"2001:db8::100"}, 0, 0, []string{"inet6 2001:db8::100/128"}},
		{"both families, several", []string{"192.0.2.100", "203.0.113.9", "2001:db8::100", "fe80::100"}, 0, 0,
			[]string{"inet 192.0.2.100/32", "inet 203.0.113.9/32", "inet6 2001:db8::100/128", "inet6 fe80::100/128"}},
		{"configured prefixes", []string{"192.0.2.100", "2001:db8::100"}, 24, 64,
			[]string{"inet 192.0.2.100/24", "inet6 2001:db8::100/64"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ns := newHost(t, "vipmb")
			var vips []netip.Addr
			for _, s := range tt.vips {
				vips = append(vips, netip.MustParseAddr(s))
			}
			m, err := netif.NewVIPManager(netif.VIPConfig{
				Interface: h.Interface, VIPs: vips, Namespace: ns,
				PrefixLen4: tt.prefixLen4, PrefixLen6: tt.prefixLen6,
			})
			require.NoError(t, err)
			stop := startManager(t, m)

			m.SetMaster(true)
			require.Eventually(t, func() bool {
				for _, v := range vips {
					if !h.HasAddr(v) {
						return false
					}
				}
				return true
			}, waitFor, tick, "VIPs appear when MASTER")
			for _, w := range tt.want {
				family, prefix, _ := strings.Cut(w, " ")
				line := ipAddrLine(t, h, prefix)
				require.NotEmpty(t, line, "ip shows %s", w)
				require.Contains(t, line, " "+family+" ")
				if family == "inet6" {
					require.Contains(t, line, " nodad", "IPv6 VIP skips DAD")
					require.NotContains(t, line, "tentative")
				}
			}
			m.SetMaster(false)
			require.Eventually(t, func() bool {
				for _, v := range vips {
					if h.HasAddr(v) {
						return false
					}
				}
				return true
			}, waitFor, tick, "VIPs go when BACKUP")
			for _, w := range tt.want {
				_, prefix, _ := strings.Cut(w, " ")
				require.Empty(t, ipAddrLine(t, h, prefix))
			}
			require.True(t, h.HasAddr(h.Addr.Addr()), "the host's own address stays")

			require.NoError(t, stop())
			st := m.Stats()
			require.Equal(t, uint64(len(vips)), st.Adds)
			require.Equal(t, uint64(len(vips)), st.Removes)
			require.Zero(t, st.Readds)
			require.Zero(t, st.Errors)
		})
	}
}

func TestVIPManagerReaddsRemovedVIP(t *testing.T) {
	tests := []struct {
		name   string
		vip    string
		prefix string
	}{
		{"IPv4", "192.0.2.100", "192.0.2.100/32"},
		{"IPv6", "2001:db8::100", "2001:db8::100/128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ns := newHost(t, "readd")
			vip := netip.MustParseAddr(tt.vip)
			var logs logBuffer
			m, err := netif.NewVIPManager(netif.VIPConfig{
				Interface: h.Interface, VIPs: []netip.Addr{vip}, Namespace: ns,
				Logger: bufLogger(&logs),
				// Far beyond the test's deadline: the re-add must come from
				// the address notification, not from the resync.
				ResyncInterval: time.Hour,
			})
			require.NoError(t, err)
			startManager(t, m)
			m.SetMaster(true)
			require.Eventually(t, func() bool { return h.HasAddr(vip) }, waitFor, tick)

			for round := uint64(1); round <= 3; round++ {
				h.Exec(t, "ip", "addr", "del", tt.prefix, "dev", h.Interface)
				require.Eventually(t, func() bool {
					return m.Stats().Readds == round && h.HasAddr(vip)
				}, waitFor, tick, "round %d: VIP re-added", round)
			}
			require.Contains(t, logs.String(), "VIP removed while MASTER, re-adding")
			require.Contains(t, logs.String(), "level=WARN")
			require.Contains(t, logs.String(), "vip="+tt.vip)
			st := m.Stats()
			require.Equal(t, uint64(4), st.Adds)
			require.Zero(t, st.Errors)
		})
	}
}

func TestVIPManagerShutdownRemovesVIPs(t *testing.T) {
	h, ns := newHost(t, "shut")
	vips := []netip.Addr{netip.MustParseAddr("198.51.100.200"), netip.MustParseAddr("2001:db8::100")}
	m, err := netif.NewVIPManager(netif.VIPConfig{Interface: h.Interface, VIPs: vips, Namespace: ns})
	require.NoError(t, err)
	stop := startManager(t, m)
	m.SetMaster(true)
	require.Eventually(t, func() bool { return h.HasAddr(vips[0]) && h.HasAddr(vips[1]) }, waitFor, tick)

	require.NoError(t, stop())
	// Run has returned: the removal is done, not pending.
	require.False(t, h.HasAddr(vips[0]))
	require.False(t, h.HasAddr(vips[1]))
	require.True(t, h.HasAddr(h.Addr.Addr()), "the host's own address stays")
	require.Equal(t, uint64(2), m.Stats().Removes)
	require.ErrorIs(t, m.Run(context.Background()), netif.ErrRunning)
}

func TestVIPManagerNeutralLeavesInterfaceAlone(t *testing.T) {
	h, ns := newHost(t, "neutral")
	vip := netip.MustParseAddr("192.0.2.100")
	require.NoError(t, h.AddrAdd(netip.PrefixFrom(vip, 32)))
	m, err := netif.NewVIPManager(netif.VIPConfig{
		Interface: h.Interface, VIPs: []netip.Addr{vip}, Namespace: ns,
		ResyncInterval: 10 * time.Millisecond,
	})
	require.NoError(t, err)
	stop := startManager(t, m)
	require.NoError(t, stop())
	require.True(t, h.HasAddr(vip), "SetMaster never called: VIP untouched, also at shutdown")
	require.Equal(t, netif.VIPStats{}, m.Stats())
}

// A VIP already present is adopted, not an error; as BACKUP it is removed
// whatever prefix length it was added with (a script's /24, say).
func TestVIPManagerExistingAddresses(t *testing.T) {
	h, ns := newHost(t, "exist")
	adopted := netip.MustParseAddr("192.0.2.100")
	leftover := netip.MustParseAddr("203.0.113.7")
	require.NoError(t, h.AddrAdd(netip.PrefixFrom(adopted, 32)))
	require.NoError(t, h.AddrAdd(netip.PrefixFrom(leftover, 24)))

	var logs logBuffer
	m, err := netif.NewVIPManager(netif.VIPConfig{
		Interface: h.Interface, VIPs: []netip.Addr{adopted, leftover}, Namespace: ns,
		Logger: bufLogger(&logs),
	})
	require.NoError(t, err)
	stop := startManager(t, m)
	m.SetMaster(true)
	require.Eventually(t, func() bool {
		return strings.Count(logs.String(), "VIP already on interface") == 2
	}, waitFor, tick)
	// A deleted adopted VIP counts as a re-add: the manager holds it.
	h.Exec(t, "ip", "addr", "del", "192.0.2.100/32", "dev", h.Interface)
	require.Eventually(t, func() bool { return m.Stats().Readds == 1 && h.HasAddr(adopted) }, waitFor, tick)

	m.SetMaster(false)
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
	vip := netip.MustParseAddr("192.0.2.100")
	var logs logBuffer
	m, err := netif.NewVIPManager(netif.VIPConfig{
		Interface: "vip0", VIPs: []netip.Addr{vip}, Namespace: ns,
		Logger: bufLogger(&logs), ResyncInterval: 20 * time.Millisecond,
	})
	require.NoError(t, err)
	startManager(t, m)
	m.SetMaster(true)
	require.Eventually(t, func() bool { return m.Stats().Errors >= 2 }, waitFor, tick, "failures counted, retried")
	require.Contains(t, logs.String(), "cannot look up interface")

	addLink(t, h, "vip0")
	require.Eventually(t, func() bool {
		return strings.Contains(h.Exec(t, "ip", "-o", "addr", "show", "dev", "vip0"), " 192.0.2.100/32 ")
	}, waitFor, tick)
}
