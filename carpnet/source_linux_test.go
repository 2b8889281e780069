//go:build linux

package carpnet

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func prefixes(ss ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func TestSourceFor(t *testing.T) {
	addrs := prefixes("192.0.2.7/24", "198.51.100.1/24", "198.51.100.100/24", "fe80::1/64")
	// 198.51.100.100 is another group's VIP, left on the interface.
	otherVIP := func(a netip.Addr) bool { return a == netip.MustParseAddr("198.51.100.100") }
	tests := []struct {
		name  string
		vips  []netip.Prefix
		addrs []netip.Prefix
		want  string // "" = error
	}{
		{"the address in the VIP's subnet", prefixes("198.51.100.50/24"), addrs, "198.51.100.1"},
		{"never a VIP, this group's or another's", prefixes("198.51.100.1/24"), addrs, "192.0.2.7"},
		{"another group's VIP in the subnet is not a source", prefixes("198.51.100.60/24"), prefixes("198.51.100.100/24", "198.51.100.2/24"), "198.51.100.2"},
		{"first IPv4 when no subnet matches", prefixes("203.0.113.5/32"), addrs, "192.0.2.7"},
		{"no IPv4 address", prefixes("198.51.100.5/24"), prefixes("fe80::1/64"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isVIP := func(a netip.Addr) bool {
				for _, v := range tt.vips {
					if v.Addr() == a {
						return true
					}
				}
				return otherVIP(a)
			}
			var vips []netip.Addr
			for _, v := range tt.vips {
				vips = append(vips, v.Addr())
			}
			got, err := sourceFor(vips, tt.addrs, isVIP)
			if tt.want == "" {
				require.ErrorContains(t, err, "no IPv4 address")
				return
			}
			require.NoError(t, err)
			require.Equal(t, netip.MustParseAddr(tt.want), got)
		})
	}
}

func TestSource6For(t *testing.T) {
	addrs := prefixes("198.51.100.1/24", "2001:db8:1::1/64", "fe80::1/64")
	ll, err := source6For(nil, addrs)
	require.NoError(t, err)
	require.Equal(t, netip.MustParseAddr("fe80::1"), ll, "multicast adverts go from the link-local address")
	ll, err = source6For([]netip.Addr{netip.MustParseAddr("fe80::2")}, addrs)
	require.NoError(t, err)
	require.Equal(t, netip.MustParseAddr("fe80::1"), ll, "so do those to a link-local peer")
	g, err := source6For([]netip.Addr{netip.MustParseAddr("198.51.100.2"), netip.MustParseAddr("2001:db8:2::1")}, addrs)
	require.NoError(t, err)
	require.Equal(t, netip.MustParseAddr("2001:db8:1::1"), g, "a routed peer needs a global source")
	_, err = source6For([]netip.Addr{netip.MustParseAddr("2001:db8:2::1")}, prefixes("fe80::1/64"))
	require.ErrorContains(t, err, "no global IPv6 address")
	_, err = source6For(nil, prefixes("198.51.100.1/24"))
	require.ErrorContains(t, err, "no IPv6 link-local address")
}
