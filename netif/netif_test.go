package netif_test

import (
	"net/netip"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/netif"
)

func TestNewVIPManagerValidation(t *testing.T) {
	_, err := netif.NewVIPManager(netif.VIPConfig{})
	require.ErrorIs(t, err, netif.ErrNoInterface)
	_, err = netif.NewVIPManager(netif.VIPConfig{Interface: "eth0", ResyncInterval: -1})
	require.Error(t, err)
	m, err := netif.NewVIPManager(netif.VIPConfig{Interface: "eth0"})
	if runtime.GOOS != "linux" {
		require.ErrorIs(t, err, netif.ErrNotImplemented)
		return
	}
	require.NoError(t, err)
	require.NotNil(t, m)
}

// newManager returns a manager on eth0 that is never run: Add, SetMaster
// and Remove need neither root nor Run.
func newManager(t *testing.T) *netif.VIPManager {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("VIPManager is Linux only")
	}
	m, err := netif.NewVIPManager(netif.VIPConfig{Interface: "eth0"})
	require.NoError(t, err)
	return m
}

func TestVIPManagerAdd(t *testing.T) {
	p := netip.MustParsePrefix
	tests := []struct {
		name    string
		vips    []netip.Prefix
		want    []netip.Prefix
		wantErr error
		errText string
	}{
		{name: "both families, prefixes kept", vips: []netip.Prefix{p("192.0.2.100/24"), p("2001:db8::100/64")},
			want: []netip.Prefix{p("192.0.2.100/24"), p("2001:db8::100/64")}},
		{name: "normalised", vips: []netip.Prefix{p("::ffff:198.51.100.7/128")}, want: []netip.Prefix{p("198.51.100.7/32")}},
		{name: "none", wantErr: netif.ErrNoVIPs},
		{name: "invalid", vips: []netip.Prefix{p("224.0.0.18/32")}, wantErr: netif.ErrInvalidVIP, errText: "224.0.0.18"},
		{name: "duplicate, other prefix length", vips: []netip.Prefix{p("192.0.2.100/24"), p("192.0.2.100/32")},
			wantErr: netif.ErrDuplicateVIP, errText: "192.0.2.100"},
		{name: "duplicate through 4in6", vips: []netip.Prefix{p("192.0.2.100/32"), p("::ffff:192.0.2.100/128")},
			wantErr: netif.ErrDuplicateVIP, errText: "192.0.2.100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newManager(t)
			s, err := m.Add(tt.vips)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Contains(t, err.Error(), tt.errText)
				require.Nil(t, s)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, s.VIPs())
		})
	}
}

func TestVIPManagerOneSetPerVIP(t *testing.T) {
	m := newManager(t)
	a, err := m.Add([]netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")})
	require.NoError(t, err)
	_, err = m.Add([]netip.Prefix{netip.MustParsePrefix("192.0.2.2/32"), netip.MustParsePrefix("192.0.2.1/32")})
	require.ErrorIs(t, err, netif.ErrDuplicateVIP)
	require.ErrorContains(t, err, "192.0.2.1 is already in another set on eth0")

	// A failed Add claims nothing: 192.0.2.2 is free.
	b, err := m.Add([]netip.Prefix{netip.MustParsePrefix("192.0.2.2/32")})
	require.NoError(t, err)

	// Removed, its address may go into another set.
	a.Remove()
	a.Remove()
	a.SetMaster(true) // after Remove: nothing, and no panic
	_, err = m.Add([]netip.Prefix{netip.MustParsePrefix("192.0.2.1/32")})
	require.NoError(t, err)

	// Nothing runs the manager: SetMaster must still return every time.
	for i := range 1000 {
		b.SetMaster(i%2 == 0)
	}
	require.Equal(t, netif.VIPStats{}, m.Stats(), "nothing touched without Run")
	require.Equal(t, netif.VIPStats{}, b.Stats())
}

func TestInterfaceAddrsErrors(t *testing.T) {
	_, _, err := netif.InterfaceAddrs("")
	require.ErrorIs(t, err, netif.ErrNoInterface)
	_, _, err = netif.InterfaceAddrs("gocarp-none0")
	require.ErrorIs(t, err, netif.ErrInterfaceNotFound)
}
