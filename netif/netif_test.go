package netif_test

import (
	"net/netip"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/netif"
)

func TestNewVIPManagerValidation(t *testing.T) {
	v4 := netip.MustParseAddr("192.0.2.100")
	v6 := netip.MustParseAddr("2001:db8::100")
	tests := []struct {
		name    string
		cfg     netif.VIPConfig
		wantErr error
	}{
		{"ok IPv4", netif.VIPConfig{Interface: "eth0", VIPs: []netip.Addr{v4}}, nil},
		{"ok both families and prefixes", netif.VIPConfig{Interface: "eth0", VIPs: []netip.Addr{v4, v6}, PrefixLen4: 24, PrefixLen6: 64}, nil},
		{"ok link-local with interface zone", netif.VIPConfig{Interface: "eth0", VIPs: []netip.Addr{netip.MustParseAddr("fe80::100%eth0")}}, nil},
		{"no interface", netif.VIPConfig{VIPs: []netip.Addr{v4}}, netif.ErrNoInterface},
		{"no VIPs", netif.VIPConfig{Interface: "eth0"}, netif.ErrNoVIPs},
		{"zero address", netif.VIPConfig{Interface: "eth0", VIPs: []netip.Addr{{}}}, netif.ErrInvalidVIP},
		{"unspecified", netif.VIPConfig{Interface: "eth0", VIPs: []netip.Addr{netip.IPv4Unspecified()}}, netif.ErrInvalidVIP},
		{"multicast", netif.VIPConfig{Interface: "eth0", VIPs: []netip.Addr{netip.MustParseAddr("224.0.0.18")}}, netif.ErrInvalidVIP},
		{"loopback", netif.VIPConfig{Interface: "eth0", VIPs: []netip.Addr{netip.IPv6Loopback()}}, netif.ErrInvalidVIP},
		{"zone of another interface", netif.VIPConfig{Interface: "eth0", VIPs: []netip.Addr{netip.MustParseAddr("fe80::100%eth1")}}, netif.ErrInvalidVIP},
		{"duplicate", netif.VIPConfig{Interface: "eth0", VIPs: []netip.Addr{v4, v6, v4}}, netif.ErrDuplicateVIP},
		{"duplicate through 4in6", netif.VIPConfig{Interface: "eth0", VIPs: []netip.Addr{v4, netip.MustParseAddr("::ffff:192.0.2.100")}}, netif.ErrDuplicateVIP},
		{"IPv4 prefix too long", netif.VIPConfig{Interface: "eth0", VIPs: []netip.Addr{v4}, PrefixLen4: 33}, netif.ErrPrefixLen},
		{"IPv4 prefix negative", netif.VIPConfig{Interface: "eth0", VIPs: []netip.Addr{v4}, PrefixLen4: -1}, netif.ErrPrefixLen},
		{"IPv6 prefix too long", netif.VIPConfig{Interface: "eth0", VIPs: []netip.Addr{v6}, PrefixLen6: 129}, netif.ErrPrefixLen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := netif.NewVIPManager(tt.cfg)
			switch {
			case tt.wantErr != nil:
				require.ErrorIs(t, err, tt.wantErr)
				require.Nil(t, m)
			case runtime.GOOS != "linux":
				require.ErrorIs(t, err, netif.ErrNotImplemented)
			default:
				require.NoError(t, err)
				require.NotNil(t, m)
			}
		})
	}
}

func TestVIPManagerNormalisesAndNeverBlocks(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("VIPManager is Linux only")
	}
	m, err := netif.NewVIPManager(netif.VIPConfig{
		Interface: "eth0",
		VIPs: []netip.Addr{
			netip.MustParseAddr("::ffff:198.51.100.7"),
			netip.MustParseAddr("fe80::7%eth0"),
		},
	})
	require.NoError(t, err)
	require.Equal(t, []netip.Addr{
		netip.MustParseAddr("198.51.100.7"),
		netip.MustParseAddr("fe80::7"),
	}, m.VIPs())

	// Nothing runs the manager: SetMaster must still return every time.
	for i := range 1000 {
		m.SetMaster(i%2 == 0)
	}
	require.Equal(t, netif.VIPStats{}, m.Stats(), "nothing touched without Run")
}

func TestInterfaceAddrsErrors(t *testing.T) {
	_, _, err := netif.InterfaceAddrs("")
	require.ErrorIs(t, err, netif.ErrNoInterface)
	_, _, err = netif.InterfaceAddrs("gocarp-none0")
	require.ErrorIs(t, err, netif.ErrInterfaceNotFound)
}
