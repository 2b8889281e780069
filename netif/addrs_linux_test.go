package netif_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/netif"
)

func TestInterfaceAddrsInNamespace(t *testing.T) {
	h, _ := newHost(t, "addrs")
	require.NoError(t, h.AddrAdd(netip.MustParsePrefix("192.0.2.5/32")))
	require.NoError(t, h.AddrAdd(netip.MustParsePrefix("2001:db8::5/64")))
	ll, err := h.LinkLocal()
	require.NoError(t, err)

	h.Run(t, func() {
		// The thread is in the namespace: the nil-namespace paths see it.
		v4, v6, err := netif.InterfaceAddrs(h.Interface)
		require.NoError(t, err)
		require.ElementsMatch(t, []netip.Addr{h.Addr.Addr(), netip.MustParseAddr("192.0.2.5")}, v4)
		require.Equal(t, []netip.Addr{ll}, v6, "only link-local IPv6, without zone")

		v4, v6, err = netif.InterfaceAddrs("lo")
		require.NoError(t, err)
		require.Equal(t, []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1})}, v4, "the namespace's own lo")
		require.Empty(t, v6, "::1 is not link-local")
	})
}

func TestFirstUsableInterface(t *testing.T) {
	tests := []struct {
		name    string
		setup   [][]string // ip commands run in the namespace
		portUp  bool
		want    string
		wantErr error
	}{
		{"eth0", nil, true, "eth0", nil},
		{"eth0 down: none", [][]string{{"ip", "link", "set", "eth0", "down"}}, true, "", netif.ErrNoUsableInterface},
		{"eth0 down, other link up", [][]string{
			{"ip", "link", "set", "eth0", "down"},
			{"ip", "link", "add", "d0", "type", "veth", "peer", "name", "d0p"},
			{"ip", "addr", "add", "192.0.2.1/24", "dev", "d0"},
			{"ip", "link", "set", "d0p", "up"},
			{"ip", "link", "set", "d0", "up"},
		}, true, "d0", nil},
		{"link without IPv4 skipped", [][]string{
			{"ip", "link", "set", "eth0", "down"},
			{"ip", "link", "add", "d0", "type", "veth", "peer", "name", "d0p"},
			{"ip", "link", "set", "d0p", "up"},
			{"ip", "link", "set", "d0", "up"},
		}, true, "", netif.ErrNoUsableInterface},
		{"eth0 without carrier: running link preferred", [][]string{
			{"ip", "link", "add", "d0", "type", "veth", "peer", "name", "d0p"},
			{"ip", "addr", "add", "192.0.2.1/24", "dev", "d0"},
			{"ip", "link", "set", "d0p", "up"},
			{"ip", "link", "set", "d0", "up"},
		}, false, "d0", nil},
		{"eth0 without carrier, nothing else", nil, false, "eth0", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ns := newHost(t, "first")
			for _, cmd := range tt.setup {
				h.Exec(t, cmd...)
			}
			if !tt.portUp {
				require.NoError(t, h.SetPortUp(false))
				require.Eventually(t, func() bool {
					up, err := netif.LinkUp(h.Interface, ns)
					return err == nil && !up
				}, waitFor, tick)
			}
			h.Run(t, func() {
				got, err := netif.FirstUsableInterface()
				if tt.wantErr != nil {
					require.ErrorIs(t, err, tt.wantErr)
					return
				}
				require.NoError(t, err)
				require.Equal(t, tt.want, got)
			})
		})
	}
}
